package serve_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/serve"
)

// start starts a playground on a free port, or skips without a browser.
func start(t *testing.T) *serve.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Chromium; skipped with -short")
	}
	srv, err := serve.Start(context.Background(), serve.Options{Addr: "127.0.0.1:0"})
	if errors.Is(err, harness.ErrNoBrowser) {
		t.Skipf("no browser: %v", err)
	}
	if err != nil {
		t.Fatalf("starting the playground: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("closing: %v", err)
		}
	})
	return srv
}

// call makes one request to the playground through loopback, whatever
// the Host header says.
func call(t *testing.T, srv *serve.Server, method, path, host, ctype string, body io.Reader, hdr ...string) (int, string) {
	t.Helper()
	u := strings.Replace(srv.URL(), "foo.localhost", "127.0.0.1", 1)
	u = strings.TrimSuffix(u, "/play/") + path
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAPI(t *testing.T) {
	srv := start(t)
	seed, err := os.ReadFile("testdata/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	port := srv.URL()[strings.LastIndex(srv.URL(), ":")+1 : len(srv.URL())-len("/play/")]

	t.Run("catalog is list --format json", func(t *testing.T) {
		code, body := call(t, srv, "GET", "/api/catalog", "", "", nil)
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		all, _ := scenarios.Catalog()
		var got struct{ Scenarios []json.RawMessage }
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Scenarios) != len(all) {
			t.Fatalf("%d scenarios, want %d", len(got.Scenarios), len(all))
		}
	})
	t.Run("run answers run --format json", func(t *testing.T) {
		code, body := call(t, srv, "POST", "/api/run?engine=chromium", "", "application/yaml", strings.NewReader(string(seed)))
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		var doc struct {
			Browser   string
			Scenarios []struct {
				Name, Verdict string
				Observed      struct {
					Preflight bool
					Requests  []struct{ Method string }
				}
			}
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		s := doc.Scenarios[0]
		if s.Verdict != "pass" || !s.Observed.Preflight || len(s.Observed.Requests) != 2 || s.Observed.Requests[0].Method != "OPTIONS" || s.Observed.Requests[1].Method != "DELETE" {
			t.Fatalf("seed exchange: %+v", doc)
		}
	})
	t.Run("the same document as JSON", func(t *testing.T) {
		code, body := call(t, srv, "POST", "/api/parse", "", "application/yaml", strings.NewReader(string(seed)))
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		code, body = call(t, srv, "POST", "/api/run", "", "application/json", strings.NewReader(body))
		if code != 200 || !strings.Contains(body, `"verdict": "pass"`) {
			t.Fatalf("%d %s", code, body)
		}
	})
	t.Run("downloaded YAML runs unchanged", func(t *testing.T) {
		code, body := call(t, srv, "POST", "/api/yaml", "", "application/yaml", strings.NewReader(string(seed)))
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		back, err := scenarios.Parse("download.yaml", []byte(body))
		want, _ := scenarios.Parse("seed.yaml", seed)
		if err != nil || back[0].Name != want[0].Name || back[0].Server.Preflight.Status != 204 {
			t.Fatalf("%v\n%s", err, body)
		}
	})
	bad := []struct {
		name, method, path, host, ctype, body string
		hdr                                   []string
		code                                  int
		want                                  string
	}{
		{"a foreign Host (DNS rebinding)", "GET", "/api/catalog", "attacker.example:" + port, "", "", nil, 421, "is not this server's"},
		{"the right name on another port", "GET", "/api/catalog", "127.0.0.1:1", "", "", nil, 421, "is not this server's"},
		{"another site's page", "POST", "/api/run", "", "application/yaml", string(seed), []string{"Origin", "http://attacker.example"}, 403, "only its own page"},
		{"another label's page", "POST", "/api/run", "", "application/yaml", string(seed), []string{"Origin", "http://evil.localhost:" + port}, 403, "only its own page"},
		{"an unknown field", "POST", "/api/run", "", "application/yaml", "scenarios:\n  - name: x\n    group: g\n    bogus: 1\n", nil, 400, "request body:4:"},
		{"bad YAML", "POST", "/api/run", "", "application/yaml", "scenarios: [\n", nil, 400, "request body:"},
		{"a status out of range", "POST", "/api/run", "", "application/yaml", "scenarios:\n  - name: x\n    group: g\n    server: {response: {status: 1000}}\n    expect: {outcome: allowed}\n", nil, 400, "request body:4:"},
		{"empty body", "POST", "/api/run", "", "application/yaml", "", nil, 400, "request body:1:"},
		{"a wrong content type", "POST", "/api/run", "", "text/html", string(seed), nil, 400, "Content-Type"},
		{"an engine not here", "POST", "/api/run?engine=netscape", "", "application/yaml", string(seed), nil, 400, "not available"},
		{"a full-origin page", "POST", "/api/run", "", "application/yaml", "scenarios:\n  - name: x\n    group: g\n    page: https://app.example.com\n    expect: {outcome: allowed}\n", nil, 400, "full origins"},
		{"a visit that ended", "POST", "/api/visit/999/end", "", "", "", nil, 404, "ended"},
		{"two scenarios for your browser", "POST", "/api/visit", "", "application/yaml", "scenarios:\n  - {name: a, group: g, expect: {outcome: allowed}}\n  - {name: b, group: g, expect: {outcome: allowed}}\n", nil, 400, "one at a time"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			code, body := call(t, srv, c.method, c.path, c.host, c.ctype, strings.NewReader(c.body), c.hdr...)
			if code != c.code || !strings.Contains(body, c.want) {
				t.Fatalf("got %d %q, want %d with %q", code, body, c.code, c.want)
			}
		})
	}
	t.Run("the page sits on foo's origin", func(t *testing.T) {
		code, body := call(t, srv, "GET", "/play/", "127.0.0.1:"+port, "", nil)
		if code != http.StatusFound {
			t.Fatalf("%d %s", code, body)
		}
		code, body = call(t, srv, "GET", "/play/", "foo.localhost:"+port, "", nil)
		if code != 200 || !strings.Contains(body, "corslab playground") || strings.Contains(body, "https://") {
			t.Fatalf("%d %.300s", code, body)
		}
	})
}
