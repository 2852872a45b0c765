package fetchspec_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

func catalogScenario(t testing.TB, name string) scenarios.Scenario {
	t.Helper()
	all, err := scenarios.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range all {
		if sc.Name == name {
			return sc
		}
	}
	t.Fatalf("no scenario %s", name)
	return scenarios.Scenario{}
}

// The prediction of a preflighted request: the preflight's Origin, ACRM and
// ACRH, the actual request, what the page reads, and a trace of spec steps
// with links.
func TestPredictPreflight(t *testing.T) {
	p := fetchspec.Predict(catalogScenario(t, "preflight-delete-api-key"), testEnv())[0]
	if p.Outcome != "allowed" || !*p.Preflight || *p.PreflightCached || !*p.ReachedServer || *p.Status != 200 || *p.ResponseType != "cors" || *p.Body != "deleted" {
		t.Errorf("prediction %s", p.Summary())
	}
	if *p.RequestMethod != "DELETE" || *p.RequestHeaders != "api-key" || *p.OriginSent != "http://foo.localhost:41001" || *p.MethodReceived != "DELETE" {
		t.Errorf("sent ACRM %q ACRH %q Origin %q method %q", *p.RequestMethod, *p.RequestHeaders, *p.OriginSent, *p.MethodReceived)
	}
	if len(p.Requests) != 2 || !p.Requests[0].Preflight || p.Requests[0].Method != "OPTIONS" || p.Requests[0].IncludeCredentials {
		t.Fatalf("requests %+v", p.Requests)
	}
	if _, sent, known := p.Requests[0].Decided("Api-Key"); sent || !known {
		t.Error("the preflight must not carry the page's Api-Key")
	}
	if v, sent, _ := p.Requests[1].Decided("api-key"); !sent || v != "super-secure-123" {
		t.Errorf("the actual request carries Api-Key %q", v)
	}
	if r, known := p.HeaderReadable("content-type"); !r || !known {
		t.Error("content-type should be readable")
	}
	var algs []string
	for _, s := range p.Trace {
		if !strings.HasPrefix(s.URL, fetchspec.Spec+"#") {
			t.Errorf("step %v has no spec link", s)
		}
		if !slices.Contains(algs, s.Algorithm) {
			algs = append(algs, s.Algorithm)
		}
	}
	for _, want := range []string{"main fetch", "HTTP fetch", "CORS-preflight fetch", "CORS check", "HTTP-network-or-cache fetch"} {
		if !slices.Contains(algs, want) {
			t.Errorf("the trace has no %s step (it has %v)", want, algs)
		}
	}
}

// A failing step is named, with the header line it looked at.
func TestPredictFailingStep(t *testing.T) {
	for _, tt := range []struct {
		scenario, alg, step, saw string
	}{
		{"rejected-trailing-slash", "CORS check", "4", "Access-Control-Allow-Origin: http://foo.localhost:41001/"},
		{"rejected-preflight-header-not-allowed", "CORS-preflight fetch", "7.7", "Access-Control-Allow-Headers: Content-Type"},
		{"wildcard-allow-headers-authorization", "CORS-preflight fetch", "7.6", "Access-Control-Allow-Headers: *"},
		{"wildcard-origin-with-credentials", "CORS check", "3", "Access-Control-Allow-Origin: *"},
		{"redirects-location-with-credentials", "HTTP-redirect fetch", "9", "Location: http://user:secret@baz.localhost:1/never"},
		{"opaque-no-cors-delete-refused", "new Request(input, init)", "32.1", "DELETE"},
		{"strict-allow-methods-one-bad-item", "CORS-preflight fetch", "7.3", "Access-Control-Allow-Methods: PUT, PATCH DELETE"},
	} {
		p := fetchspec.Predict(catalogScenario(t, tt.scenario), testEnv())[0]
		f := p.FailedAt
		if p.Outcome != "blocked" || f == nil || f.Algorithm != tt.alg || f.Number != tt.step || f.Saw != tt.saw {
			t.Errorf("%s: %s, failed at %+v; want %s step %s saw %q", tt.scenario, p.Summary(), f, tt.alg, tt.step, tt.saw)
		}
	}
}

// A wrong expectation is reported, field by field: the comparison can fail.
func TestDisagreementsCatchWrongExpectations(t *testing.T) {
	f, tr := false, true
	s200, s404 := 200, 404
	body := "wrong body"
	cookies := []string{"session=x"}
	tests := []struct {
		scenario string
		wrong    func(e *scenarios.Expect)
		want     string
	}{
		{"simple-get-exact-origin", func(e *scenarios.Expect) { e.Outcome = "blocked" }, "outcome: expected blocked, standard allowed"},
		{"simple-get-exact-origin", func(e *scenarios.Expect) { e.Preflight = &tr }, "preflight: expected true, standard false"},
		{"rejected-preflight-404", func(e *scenarios.Expect) { e.ReachedServer = &tr }, "reached_server: expected true, standard false"},
		{"strict-actual-status-404", func(e *scenarios.Expect) { e.Status = &s200 }, "status: expected 200, standard 404"},
		{"simple-get-exact-origin", func(e *scenarios.Expect) { e.Status = &s404 }, "status: expected 404, standard 200"},
		{"simple-get-exact-origin", func(e *scenarios.Expect) { e.Body = &body }, `body: expected "wrong body", standard "hello from bar"`},
		{"simple-get-exact-origin", func(e *scenarios.Expect) { e.ResponseType = "basic" }, "response_type: expected basic, standard cors"},
		{"exposure-custom-header-exposed", func(e *scenarios.Expect) { e.ReadableHeaders = []string{"x-internal"} }, "readable_headers: expected x-internal to be readable"},
		{"exposure-custom-header-exposed", func(e *scenarios.Expect) { e.UnreadableHeaders = []string{"x-request-id"} }, "unreadable_headers: expected x-request-id to be hidden"},
		{"redirects-303-put-becomes-get", func(e *scenarios.Expect) { e.MethodReceived = "PUT" }, "method_received: expected PUT, standard GET"},
		{"redirects-cross-origin-origin-becomes-null", func(e *scenarios.Expect) { e.ServerReceived = map[string]string{"Origin": "{foo}"} }, `server_received: expected Origin: "http://foo.localhost:41001", standard "null"`},
		{"opaque-no-cors-get", func(e *scenarios.Expect) {
			e.ServerNotReceived = nil
			e.ServerReceived = map[string]string{"Origin": "*"}
		}, "server_received: expected Origin, the standard does not send it"},
		{"safelist-request-headers-sorted-lowercase", func(e *scenarios.Expect) {
			e.PreflightReceived = map[string]string{"Access-Control-Request-Headers": "x-alpha,x-zeta,content-type"}
		}, `preflight_received: expected Access-Control-Request-Headers: "x-alpha,x-zeta,content-type", standard "content-type,x-alpha,x-zeta"`},
		{"credentials-preflight-carries-no-cookie", func(e *scenarios.Expect) { e.PreflightNotReceived = []string{"Access-Control-Request-Method"} }, "preflight_not_received: expected no Access-Control-Request-Method"},
		{"credentials-omit-sends-no-cookie", func(e *scenarios.Expect) { e.CookiesSent = &cookies }, "cookies_sent: expected session=x, the standard sends no cookie"},
		{"cache-max-age-reuse", func(e *scenarios.Expect) { e.PreflightCached = &f }, "step 2: preflight_cached: expected false, standard true"},
		{"credentials-set-cookie-ignored-without-credentials", func(e *scenarios.Expect) { e.CookieSet = &tr }, "cookie_set: expected true, standard false"},
		{"rejected-preflight-404", func(e *scenarios.Expect) { e.FailedCheck = ptrString("CORS check step 2") }, `failed_check: expected "CORS check step 2"`},
	}
	for _, tt := range tests {
		sc := catalogScenario(t, tt.scenario)
		if len(sc.Steps) > 0 {
			tt.wrong(&sc.Steps[len(sc.Steps)-1].Expect)
		} else {
			tt.wrong(&sc.Expect)
		}
		got := strings.Join(disagreements(sc), "\n")
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s with a wrong expectation: disagreements\n%s\nwant one containing %q", tt.scenario, got, tt.want)
		}
	}
}

// An engine that names no step for a refusal (failed_check "") is no
// disagreement: it says nothing of which check failed.
func TestNoStepNamedIsNoDisagreement(t *testing.T) {
	sc := catalogScenario(t, "rejected-preflight-404")
	sc.Expect.FailedCheck = ptrString("")
	if d := disagreements(sc); len(d) != 0 {
		t.Errorf("failed_check \"\" gave disagreements %q", d)
	}
}

func ptrString(s string) *string { return &s }

// Fields the standard does not decide are not predicted, and say why.
func TestNotPredicted(t *testing.T) {
	p := fetchspec.Predict(catalogScenario(t, "security-missing-vary-cache-poisoning-same-site"), testEnv())[1]
	if p.Outcome != "" || p.Status != nil || p.ReachedServer != nil {
		t.Errorf("a step the HTTP cache may answer was predicted: %s", p.Summary())
	}
	if !slices.ContainsFunc(p.NotPredicted, func(s string) bool { return strings.Contains(s, "HTTP cache") }) {
		t.Errorf("not_predicted does not say why: %q", p.NotPredicted)
	}
	p = fetchspec.Predict(catalogScenario(t, "credentials-include-exact-origin"), testEnv())[0]
	if p.CookiesSent != nil {
		t.Error("the cookies a jar sends were guessed")
	}
	if r, known := p.HeaderReadable("content-length"); known {
		t.Errorf("content-length, which the server adds, was predicted readable=%v", r)
	}
}

// Timing the model cannot see: an entry within the margin of its expiry is
// too close to call, farther away it is decided.
func TestPredictCacheTiming(t *testing.T) {
	sc := catalogScenario(t, "cache-max-age-expires") // Max-Age 1, second PUT after 2s
	if p := fetchspec.Predict(sc, testEnv())[1]; p.Preflight == nil || !*p.Preflight {
		t.Errorf("2s after a 1s entry: %s", p.Summary())
	}
	sc.Steps[1].After = scenarios.Duration(1100_000_000)
	if p := fetchspec.Predict(sc, testEnv())[1]; p.Outcome != "" {
		t.Errorf("1.1s after a 1s entry should be too close to call: %s", p.Summary())
	}
}

// LabOrigins names origins exactly as the lab's servers do.
func TestLabOriginsMatchTheLab(t *testing.T) {
	lab, err := servers.Start(context.Background(), servers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	l := fetchspec.LabOrigins{Foo: lab.Port("foo"), Bar: lab.Port("bar"), Baz: lab.Port("baz")}
	for _, label := range []string{"", "foo", "bar", "baz", "evil", "app.foo", "sandboxed", "null", "https://app.example.com"} {
		if got, want := l.Origin(label), lab.Origin(label); got != want {
			t.Errorf("Origin(%q) = %q, the lab says %q", label, got, want)
		}
	}
}

func TestNewRequestGuards(t *testing.T) {
	origin := fetchspec.ParseOrigin("http://foo.localhost:1")
	body := "{}"
	tests := []struct {
		name    string
		in      fetchspec.APIRequest
		want    fetchspec.HeaderList
		throws  string
		methodW string
	}{
		{"forbidden headers are dropped", fetchspec.APIRequest{URL: "http://bar.localhost/", Headers: []fetchspec.Header{{"Cookie", "a=1"}, {"Origin", "x"}, {"X-A", " 1 "}}},
			hl("X-A", "1", "Accept", "*/*"), "", "GET"},
		{"no-cors keeps only no-CORS-safelisted headers", fetchspec.APIRequest{URL: "http://bar.localhost/", Mode: "no-cors", Method: "post", Body: &body,
			Headers: []fetchspec.Header{{"X-Api-Key", "k"}, {"Accept-Language", "fr"}, {"Range", "bytes=0-1"}, {"Content-Type", "application/json"}}},
			hl("Accept-Language", "fr", "Content-Type", "text/plain;charset=UTF-8", "Accept", "*/*"), "", "POST"},
		{"no-cors refuses DELETE", fetchspec.APIRequest{URL: "http://bar.localhost/", Mode: "no-cors", Method: "DELETE"}, nil, "TypeError", ""},
		{"GET has no body", fetchspec.APIRequest{URL: "http://bar.localhost/", Body: &body}, nil, "TypeError", ""},
		{"TRACE is forbidden", fetchspec.APIRequest{URL: "http://bar.localhost/", Method: "trace"}, nil, "TypeError", ""},
		{"credentials in the URL", fetchspec.APIRequest{URL: "http://u:p@bar.localhost/"}, nil, "TypeError", ""},
		{"xhr combines repeated headers", fetchspec.APIRequest{API: "xhr", URL: "http://bar.localhost/", Method: "put", Body: &body,
			Headers: []fetchspec.Header{{"X-A", "1"}, {"x-a", "2"}}}, hl("X-A", "1, 2", "Content-Type", "text/plain;charset=UTF-8", "Accept", "*/*"), "", "PUT"},
		{"xhr forbids TRACK", fetchspec.APIRequest{API: "xhr", URL: "http://bar.localhost/", Method: "TRACK"}, nil, "SecurityError", ""},
	}
	for _, tt := range tests {
		r, err := fetchspec.NewRequest(tt.in, origin, origin.Serialized, nil)
		if tt.throws != "" {
			var ae *fetchspec.APIError
			if err == nil || !errorsAs(err, &ae) || ae.Name != tt.throws {
				t.Errorf("%s: err %v, want %s", tt.name, err, tt.throws)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !slices.Equal(r.HeaderList, tt.want) || r.Method != tt.methodW {
			t.Errorf("%s: %s %v, want %s %v", tt.name, r.Method, r.HeaderList, tt.methodW, tt.want)
		}
	}
}

// BenchmarkPredictCatalog predicts every scenario of the built-in catalog.
func BenchmarkPredictCatalog(b *testing.B) {
	all, err := scenarios.Catalog()
	if err != nil {
		b.Fatal(err)
	}
	env := testEnv()
	for b.Loop() {
		for _, sc := range all {
			fetchspec.Predict(sc, env)
		}
	}
}

func errorsAs(err error, target **fetchspec.APIError) bool { return errors.As(err, target) }

// A raw answer is bytes for the browser's HTTP parser: the model does not
// guess what it reads, and says so; a step's own server answers that step.
func TestPredictRawAndStepServers(t *testing.T) {
	raw := scenarios.Scenario{Name: "raw", Server: scenarios.Server{Response: scenarios.Response{
		Raw: "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin *\r\n\r\n"}}}
	p := fetchspec.Predict(raw, testEnv())[0]
	if p.Outcome != "" || p.Status != nil {
		t.Errorf("a raw answer was predicted: %s", p.Summary())
	}
	if !slices.ContainsFunc(p.NotPredicted, func(s string) bool { return strings.Contains(s, "raw bytes (raw response)") }) {
		t.Errorf("not_predicted does not say why: %q", p.NotPredicted)
	}
	acao := func(v string) scenarios.Server {
		return scenarios.Server{Response: scenarios.Response{Headers: scenarios.Headers{{Name: "Access-Control-Allow-Origin", Values: []string{v}}}}}
	}
	closed := acao("http://other.localhost")
	steps := scenarios.Scenario{Name: "steps", Server: acao("*"), Steps: []scenarios.Step{
		{Expect: scenarios.Expect{Outcome: "allowed"}},
		{Server: &closed, Expect: scenarios.Expect{Outcome: "blocked"}},
		{Expect: scenarios.Expect{Outcome: "allowed"}},
	}}
	for i, p := range fetchspec.Predict(steps, testEnv()) {
		if want := steps.Steps[i].Expect.Outcome; p.Outcome != want {
			t.Errorf("step %d: %s, want %s", i+1, p.Summary(), want)
		}
	}
}

// A Location written with {scenario_path} on another origin is the next hop
// of the scenario's server, as the lab serves it.
func TestPredictWrittenLocation(t *testing.T) {
	star := scenarios.Headers{{Name: "Access-Control-Allow-Origin", Values: []string{"*"}}}
	sc := scenarios.Scenario{Name: "loc", Server: scenarios.Server{
		Redirects: []scenarios.Redirect{{Status: 307, Location: "{baz}{scenario_path}/final", Headers: star}},
		Response:  scenarios.Response{Headers: star, Body: "final"}}}
	p := fetchspec.Predict(sc, testEnv())[0]
	if p.Outcome != "allowed" || *p.Body != "final" || !*p.Redirected || *p.OriginSent != "null" {
		t.Fatalf("prediction %s", p.Summary())
	}
	if last := p.Requests[len(p.Requests)-1]; last.URL != "http://baz.localhost:41003/r/loc/_h1/final" {
		t.Errorf("last request to %s", last.URL)
	}
}
