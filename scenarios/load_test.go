package scenarios

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const good = `scenarios:
  - name: ok-one
    group: simple
    request: {method: DELETE, headers: {Api-Key: k}}
    server:
      response:
        headers:
          Access-Control-Allow-Origin: "{origin}"
          X-Two: ["a", "b"]
    expect: {outcome: allowed, preflight: true}
`

func TestParseGood(t *testing.T) {
	got, err := Parse("good.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d scenarios", len(got))
	}
	s := got[0]
	if s.Source != "good.yaml:2" {
		t.Errorf("source %q", s.Source)
	}
	if v := s.Server.Response.Headers.Get("x-two"); len(v) != 2 || v[0] != "a" || v[1] != "b" {
		t.Errorf("X-Two = %q, want two lines", v)
	}
	if s.Expect.Preflight == nil || !*s.Expect.Preflight {
		t.Errorf("preflight not read")
	}
	if s.Request.Headers[0].Name != "Api-Key" {
		t.Errorf("header name case lost: %q", s.Request.Headers[0].Name)
	}
}

// Every bad input gives FILE:LINE and says what is wrong; none panics.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"bad yaml", "scenarios:\n  - name: [x\n", "bad.yaml:1: did not find expected"},
		{"tab indent", "scenarios:\n\t- name: a\n", "bad.yaml:2: found character that cannot start any token"},
		{"empty", "", "bad.yaml:1: empty file"},
		{"no scenarios key", "foo: 1\n", `bad.yaml:1: unknown field "foo"`},
		{"unknown field", "scenarios:\n  - name: a\n    group: g\n    expect: {outcome: allowed}\n    colour: red\n", `bad.yaml:5: unknown field "colour" in scenario`},
		{"unknown nested field", "scenarios:\n  - name: a\n    group: g\n    request:\n      methd: GET\n    expect: {outcome: allowed}\n", `bad.yaml:5: unknown field "methd" in request`},
		{"wrong type", "scenarios:\n  - name: a\n    group: g\n    server:\n      response:\n        status: lots\n    expect: {outcome: allowed}\n", `bad.yaml:6: wrong type`},
		{"missing name", "scenarios:\n  - group: g\n    expect: {outcome: allowed}\n", "bad.yaml:2: scenario has no name"},
		{"bad name", "scenarios:\n  - name: Big_Name\n    group: g\n    expect: {outcome: allowed}\n", `bad.yaml:2: name "Big_Name" is not lowercase-kebab`},
		{"duplicate", "scenarios:\n  - name: a\n    group: g\n    expect: {outcome: allowed}\n  - name: a\n    group: g\n    expect: {outcome: allowed}\n", `bad.yaml:5: duplicate scenario name "a" (first at bad.yaml:2)`},
		{"CR LF in value", "scenarios:\n  - name: a\n    group: g\n    server:\n      response:\n        headers:\n          X-Evil: \"a\\r\\nSet-Cookie: x=1\"\n    expect: {outcome: allowed}\n", `bad.yaml:7: header X-Evil: value "a\r\nSet-Cookie: x=1" contains CR or LF`},
		{"CR in request header", "scenarios:\n  - name: a\n    group: g\n    request:\n      headers: {X-A: \"1\\n2\"}\n    expect: {outcome: allowed}\n", `bad.yaml:5: header X-A: value`},
		{"bad header name", "scenarios:\n  - name: a\n    group: g\n    request:\n      headers: {\"X A\": b}\n    expect: {outcome: allowed}\n", `header name "X A" is not an HTTP token`},
		{"no expect", "scenarios:\n  - name: a\n    group: g\n", `bad.yaml:2: scenario "a" has no expect`},
		{"bad outcome", "scenarios:\n  - name: a\n    group: g\n    expect: {outcome: maybe}\n", `bad.yaml:4: outcome "maybe" is not allowed or blocked`},
		{"bad credentials", "scenarios:\n  - name: a\n    group: g\n    request: {credentials: always}\n    expect: {outcome: allowed}\n", `credentials "always" is not one of`},
		{"bad status", "scenarios:\n  - name: a\n    group: g\n    server: {response: {status: 99}}\n    expect: {outcome: allowed}\n", `status 99 is outside 100-999`},
		{"status above 999", "scenarios:\n  - name: a\n    group: g\n    server:\n      response:\n        status: 1000\n    expect: {outcome: allowed}\n", `bad.yaml:6: status 1000 is outside 100-999`},
		{"CR in a reason", "scenarios:\n  - name: a\n    group: g\n    server:\n      response:\n        reason: \"OK\\r\\nX: 1\"\n    expect: {outcome: allowed}\n", `bad.yaml:6: reason "OK\r\nX: 1" contains CR or LF`},
		{"LF in a step server's header", "scenarios:\n  - name: a\n    group: g\n    steps:\n      - expect: {outcome: allowed}\n        server:\n          response:\n            headers: {X-A: \"1\\n2\"}\n", `bad.yaml:8: header X-A: value "1\n2" contains CR or LF`},
		{"raw without a status line", "scenarios:\n  - name: a\n    group: g\n    server:\n      response:\n        raw: |\n          Access-Control-Allow-Origin: *\n\n          body\n    expect: {outcome: allowed}\n", `bad.yaml:6: raw answer must start with a status line such as HTTP/1.1 200 OK, not "Access-Control-Allow-Origin: *"`},
		{"raw with headers", "scenarios:\n  - name: a\n    group: g\n    server:\n      preflight:\n        headers: {X-A: b}\n        raw: \"HTTP/1.1 204 No Content\\r\\n\\r\\n\"\n    expect: {outcome: allowed}\n", `bad.yaml:7: raw is the whole answer`},
		{"raw redirect with to", "scenarios:\n  - name: a\n    group: g\n    server:\n      redirects:\n        - to: baz\n          raw: \"HTTP/1.1 302 Found\\r\\n\\r\\n\"\n    expect: {outcome: allowed}\n", `bad.yaml:7: raw is the whole redirect`},
		{"raw as a list", "scenarios:\n  - name: a\n    group: g\n    server:\n      response:\n        raw: [a]\n    expect: {outcome: allowed}\n", `bad.yaml:6: raw must be text`},
		{"cookie for a bad host", "scenarios:\n  - name: a\n    group: g\n    cookies: [{for: \"www bar\", cookie: \"a=1\"}]\n    expect: {outcome: allowed}\n", `bad.yaml:4: cookie for "www bar": not a label`},
		{"cookie unknown field", "scenarios:\n  - name: a\n    group: g\n    cookies:\n      - {host: baz, cookie: \"a=1\"}\n    expect: {outcome: allowed}\n", `bad.yaml:5: unknown field "host" in a cookie`},
		{"bad duration", "scenarios:\n  - name: a\n    group: g\n    server: {response: {delay: soon}}\n    expect: {outcome: allowed}\n", `bad.yaml:4: "soon" is not a duration`},
		{"bad allow origin", "scenarios:\n  - name: a\n    group: g\n    server:\n      allow_origins: [\"http://x.test/\"]\n    expect: {outcome: allowed}\n", `bad.yaml:5: allow_origins entry "http://x.test/"`},
		{"steps and request", "scenarios:\n  - name: a\n    group: g\n    request: {}\n    expect: {outcome: allowed}\n    steps:\n      - expect: {outcome: allowed}\n", `has both steps and a top-level request/expect`},
		{"bad page", "scenarios:\n  - name: a\n    group: g\n    page: \"evil_page\"\n    expect: {outcome: allowed}\n", `bad.yaml:4: page "evil_page" is neither an origin label`},
		{"page origin with path", "scenarios:\n  - name: a\n    group: g\n    page: \"https://app.test/x\"\n    expect: {outcome: allowed}\n", `bad.yaml:4: page "https://app.test/x" is not an http(s) origin`},
		{"page origin on localhost", "scenarios:\n  - name: a\n    group: g\n    page: \"http://foo.localhost:1\"\n    expect: {outcome: allowed}\n", `localhost names are the lab's own`},
		{"header list of maps", "scenarios:\n  - name: a\n    group: g\n    server:\n      response:\n        headers:\n          X-A: [{b: c}]\n    expect: {outcome: allowed}\n", `bad.yaml:7: header X-A: list items must be plain values`},
		{"allowed with cors error", "scenarios:\n  - name: a\n    group: g\n    expect: {outcome: allowed, cors_error: MissingAllowOriginHeader}\n", `a CORS error always blocks`},
		{"redirect not 3xx", "scenarios:\n  - name: a\n    group: g\n    server: {redirects: [{status: 200}]}\n    expect: {outcome: allowed}\n", `redirect status 200 is not 3xx`},
		{"3pc block with origin page", "scenarios:\n  - name: a\n    group: g\n    page: \"https://app.test\"\n    third_party_cookies: block\n    expect: {outcome: allowed}\n", `bad.yaml:5: third_party_cookies: block works with label pages only`},
		{"bad cookie", "scenarios:\n  - name: a\n    group: g\n    cookies: [\"novalue\"]\n    expect: {outcome: allowed}\n", `cookie "novalue" is not name=value`},
		// #11 items 4 and 5: a second document, and errors the parser gives without a line.
		{"second document", "scenarios:\n  - name: a\n    group: g\n    expect: {outcome: allowed}\n---\nscenarios: [{colour: red}]\n", `bad.yaml:5: a second YAML document`},
		{"second empty document", "scenarios:\n  - name: a\n    group: g\n    expect: {outcome: allowed}\n\n--- \n", `bad.yaml:6: a second YAML document`},
		{"second document broken", "scenarios:\n  - name: a\n---\n[x\n", `bad.yaml:3: did not find expected`},
		{"control character", "scenarios:\n  - name: a\n    group: g\n    lesson: \"x\x01y\"\n", `bad.yaml:4: control characters are not allowed`},
		{"DEL", "scenarios:\n  - name: a\n\n    lesson: x\x7fy\n", `bad.yaml:4: control characters are not allowed`},
		{"invalid UTF-8", "scenarios:\n  - name: a\n    group: g\n    lesson: \"caf\xe9\"\n", `bad.yaml:4: not UTF-8 text`},
		{"invalid UTF-8 on line 1", "\xc3\x28: 1\n", `bad.yaml:1: not UTF-8 text`},
		{"unknown anchor", "scenarios:\n  - name: a\n    group: g\n    lesson: *nope\n", `bad.yaml:4: unknown anchor "nope"`},
		{"nesting too deep", "scenarios: " + strings.Repeat("[", 20000), `bad.yaml:1: nesting too deep`},
		{"key given twice", "scenarios:\n  - name: a\n    group: g\n    name: b\n    expect: {outcome: allowed}\n", `bad.yaml:4: "name" is given twice (first at line 2)`},
		{"map key given twice", "scenarios:\n  - name: a\n    group: g\n    expect:\n      outcome: allowed\n      server_received: {X-A: \"1\", X-A: \"2\"}\n", `bad.yaml:6: "X-A" is given twice (first at line 6)`},
		{"unknown field through an alias", "base: &b {colour: red}\nscenarios:\n  - <<: *b\n    name: a\n", `bad.yaml:1: unknown field "base"`},
		{"top level a list", "- a\n- b\n", `bad.yaml:1: wrong type: a list where a mapping (the file (expected 'scenarios:')) is expected`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
			// Every error line names the file and a line.
			for _, l := range strings.Split(err.Error(), "\n") {
				if !lineRe.MatchString(l) {
					t.Fatalf("error line %q is not FILE:LINE: message", l)
				}
			}
		})
	}
}

var lineRe = regexp.MustCompile(`^bad\.yaml:[1-9][0-9]*: \S`)

func TestLoadFilesAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	os.WriteFile(a, []byte(good), 0o600)
	os.WriteFile(b, []byte(good), 0o600)
	_, err := LoadFiles(a, b)
	if err == nil || !strings.Contains(err.Error(), b+":2: duplicate scenario name \"ok-one\"") {
		t.Fatalf("want a duplicate across files, got %v", err)
	}
	_, err = LoadFiles(filepath.Join(dir, "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "missing.yaml: cannot read") {
		t.Fatalf("want a read error naming the file, got %v", err)
	}
}

func TestCatalogLoads(t *testing.T) {
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 40 {
		t.Fatalf("catalog has %d scenarios, want at least 40", len(all))
	}
	for i := 1; i < len(all); i++ {
		if GroupRank(all[i].Group) < GroupRank(all[i-1].Group) {
			t.Fatalf("catalog not in teaching order at %s", all[i].Name)
		}
	}
}

// The fuzz seeds hold each kind of input the loader refuses (#11); every
// refusal must come with a line, and nothing may panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("scenarios:\n  - name: a\n"))
	f.Add([]byte(good + "---\n" + good))
	f.Add([]byte("scenarios:\n  - name: \"a\x01\"\n"))
	f.Add([]byte("scenarios:\n  - name: \xff\n"))
	f.Add([]byte("scenarios: " + strings.Repeat("[", 10001)))
	f.Add([]byte("scenarios:\n  - name: *x\n"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nscenarios: [*c]\n"))
	f.Add([]byte("s: &s {name: a, group: g, expect: {outcome: allowed}}\nscenarios: [{<<: *s}, {<<: *s, name: b}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("fuzz.yaml", data) // must not panic
		if err == nil {
			return
		}
		for _, l := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(l, "fuzz.yaml:") || strings.HasPrefix(l, "fuzz.yaml: ") {
				t.Fatalf("error without a line: %q", l)
			}
		}
	})
}

// Only regular files are read, and at most MaxFileSize bytes of them: a
// FIFO with no writer, a device and a directory are refused at once.
func TestReadInputRefuses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{fifo, fifo + ": cannot read: a named pipe (FIFO), not a regular file"},
		{"/dev/zero", "/dev/zero: cannot read: a device, not a regular file"},
		{dir, dir + ": cannot read: a directory, not a regular file"},
		{big, big + ": too large: 4194305 bytes, the limit is 4194304 (4 MiB)"},
	}
	for _, tt := range tests {
		done := make(chan error, 1)
		go func() { _, err := LoadFiles(tt.path); done <- err }()
		select {
		case err := <-done:
			if err == nil || err.Error() != tt.want {
				t.Errorf("LoadFiles(%s) = %v, want %s", tt.path, err, tt.want)
			}
		case <-time.After(time.Minute):
			t.Fatalf("LoadFiles(%s) did not return", tt.path)
		}
	}
	ok := filepath.Join(dir, "ok.yaml")
	if err := os.WriteFile(ok, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFiles(ok); err != nil {
		t.Fatalf("a regular file is refused: %v", err)
	}
}

// Unknown fields are pruned before the yaml decoder sees a mapping (it
// compares every key with every other), and big expectation maps are read
// by StringMap: both reported by the loader's own wording, so these fail if
// the decoder does the work again.
func TestParseLargeMappingsByTheLoader(t *testing.T) {
	var b strings.Builder
	b.WriteString("scenarios:\n  - name: a\n    group: g\n    expect: {outcome: allowed}\n")
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&b, "    k%d: v\n", i)
	}
	_, err := Parse("big.yaml", []byte(b.String()))
	if err == nil || err.Error() != "big.yaml:5: unknown field \"k0\" in scenario\nbig.yaml:6: unknown field \"k1\" in scenario\nbig.yaml:7: unknown field \"k2\" in scenario" {
		t.Fatalf("got %v", err)
	}
	got, err := Parse("map.yaml", []byte(manyKeys(1000, "server_received")))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got[0].Expect.ServerReceived); n != 1000 {
		t.Fatalf("read %d keys, want 1000", n)
	}
}

// manyKeys is a valid scenario file with n keys under expect.<field>, or, for
// field "headers", n response headers.
func manyKeys(n int, field string) string {
	var b strings.Builder
	b.WriteString("scenarios:\n  - name: a\n    group: g\n")
	if field == "headers" {
		b.WriteString("    expect: {outcome: allowed}\n    server:\n      response:\n        headers:\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "          X-H%d: v\n", i)
		}
		return b.String()
	}
	b.WriteString("    expect:\n      outcome: allowed\n      " + field + ":\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "        X-H%d: v\n", i)
	}
	return b.String()
}

// BenchmarkParseKeys loads files of 10k and 100k keys: the time per key
// should stay about the same (#11 item 7: 100k keys took 39 s).
func BenchmarkParseKeys(b *testing.B) {
	for _, field := range []string{"server_received", "headers", "unknown"} {
		for _, n := range []int{10_000, 100_000} {
			data := []byte(manyKeys(n, field))
			if field == "unknown" {
				data = []byte(unknownKeys(n))
			}
			b.Run(fmt.Sprintf("%s/%dk", field, n/1000), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for i := 0; i < b.N; i++ {
					_, err := Parse("bench.yaml", data)
					if (err != nil) != (field == "unknown") {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// unknownKeys is a scenario with n unknown fields.
func unknownKeys(n int) string {
	var b strings.Builder
	b.WriteString("scenarios:\n  - name: a\n    group: g\n    expect: {outcome: allowed}\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    k%d: v\n", i)
	}
	return b.String()
}

// The byte notation and the #8 fields read as the README says.
func TestParseBytesAndShapes(t *testing.T) {
	const src = `scenarios:
  - name: shapes
    group: g
    cookies:
      - "a=1"
      - {for: www.bar.localhost, cookie: "b=2; Path=/"}
    server:
      preflight:
        raw: |
          HTTP/1.1 100 Continue

          HTTP/1.1 204 No Content
          Access-Control-Allow-Origin: *
      response:
        status: 680
        reason: "Caf\xE9"
        headers:
          Access-Control-Allow-Origin: "\0*"
          X-Ctl: "a\x01b\tc"
    steps:
      - expect: {outcome: allowed, status_text: "Caf\xE9"}
      - expect: {outcome: blocked}
        server:
          response:
            raw: "HTTP/1.1 200 OK\nX: bare LF\n\n"
`
	got, err := Parse("shapes.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	s := got[0]
	if want := "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\n"; string(s.Server.Preflight.Raw) != want {
		t.Errorf("block raw = %q, want CRLF line ends %q", s.Server.Preflight.Raw, want)
	}
	if want := "HTTP/1.1 200 OK\nX: bare LF\n\n"; string(s.Steps[1].Server.Response.Raw) != want {
		t.Errorf("quoted raw = %q, want exactly %q", s.Steps[1].Server.Response.Raw, want)
	}
	if v := s.Server.Response.Headers.Get("Access-Control-Allow-Origin"); v[0] != "\x00*" {
		t.Errorf("NUL value = %q", v[0])
	}
	if s.Server.Response.Status != 680 || *s.Server.Response.Reason != "Café" || *s.Steps[0].Expect.StatusText != "Café" {
		t.Errorf("status %d reason %q", s.Server.Response.Status, *s.Server.Response.Reason)
	}
	if s.Cookies[0].Label() != "bar" || s.Cookies[1].Label() != "www.bar" || s.Cookies[1].SetCookie != "b=2; Path=/" {
		t.Errorf("cookies %+v", s.Cookies)
	}
	if s.StepServer(s.Steps[0]).Response.Status != 680 || s.StepServer(s.Steps[1]).Response.Raw == "" {
		t.Errorf("step servers not chosen")
	}
}
