package report

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

const (
	testFoo = "http://foo.localhost:41001"
	testURL = "http://bar.localhost:41002/r/x-1/transfer"
)

// blockedPost is an observation of a simple POST that bar answered without
// Access-Control-Allow-Origin: blocked, though it reached bar.
func blockedPost() harness.Result {
	blocked := scenarios.OutcomeBlocked
	sc := scenarios.Scenario{
		Name: "x", Group: "simple", Lesson: "A lesson.", Spec: "https://fetch.spec.whatwg.org/#cors-check",
		Request: scenarios.Request{Method: "POST", Path: "/transfer", Body: "a=1", Headers: scenarios.Headers{{Name: "Content-Type", Values: []string{"application/x-www-form-urlencoded"}}}},
		Expect:  scenarios.Expect{Outcome: blocked},
	}
	o := &harness.Observation{
		Page: testFoo, URL: testURL, Outcome: blocked, JSError: "TypeError: Failed to fetch",
		CorsError: "MissingAllowOriginHeader", NetError: "net::ERR_FAILED", ReachedServer: true,
		Console: "Access to fetch at '" + testURL + "' from origin '" + testFoo + "' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
		Exchange: []harness.Message{
			{Kind: "request", Line: "POST /r/x-1/transfer HTTP/1.1", URL: testURL, Headers: [][2]string{
				{"Accept", "*/*"}, {"Content-Type", "application/x-www-form-urlencoded"}, {"Host", "bar.localhost:41002"}, {"Origin", testFoo}, {"User-Agent", "HeadlessChrome"},
			}},
			{Kind: "response", Line: "HTTP/1.1 200 OK", Status: 200, Headers: [][2]string{{"Content-Length", "4"}, {"Content-Type", "text/plain"}}},
		},
		Requests: []servers.Entry{{Origin: "bar", Method: "POST", Path: "/r/x-1/transfer", Host: "bar.localhost:41002", Headers: http.Header{"Origin": {testFoo}, "Accept": {"*/*"}, "Content-Type": {"application/x-www-form-urlencoded"}, "Content-Length": {"3"}}, Status: 200}},
	}
	return withModel(harness.Result{Scenario: sc, Verdict: harness.Pass, Steps: []harness.StepResult{{Expect: sc.Expect, Observed: o}}})
}

// withModel sets each step beside the Fetch standard's prediction, as a run
// does (the test origins' ports, the scenario under /r/x-1).
func withModel(res harness.Result) harness.Result {
	env := fetchspec.Env{Origins: fetchspec.LabOrigins{Foo: 41001, Bar: 41002, Baz: 41003}, Prefix: "/r/x-1", MaxAgeCap: fetchspec.ChromiumMaxAgeCap}
	preds := fetchspec.Predict(res.Scenario, env)
	for i := range res.Steps {
		if i < len(preds) && res.Steps[i].Observed != nil {
			res.Steps[i].Model = harness.NewModelVerdict(&preds[i], res.Steps[i].Observed)
		}
	}
	return res
}

func TestExplainBlockedAsExpected(t *testing.T) {
	tests := []struct {
		name    string
		opt     ExplainOptions
		want    []string
		notWant []string
	}{
		{
			name: "default headers",
			opt:  ExplainOptions{},
			want: []string{
				"① The page on " + testFoo + " calls fetch('" + testURL + "', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'a=1'})",
				"· main fetch step 12: a CORS request with a safelisted method and headers: no preflight <https://fetch.spec.whatwg.org/#concept-main-fetch>",
				"② No preflight goes out.",
				"POST /r/x-1/transfer HTTP/1.1",
				"Origin: " + testFoo,
				"(2 more headers; --all-headers shows them)",
				"The Fetch standard checks the answer: it fails at CORS check step 2, so the page may not read it",
				"✗ CORS check step 2: the response must carry Access-Control-Allow-Origin (null is not `null`) [no Access-Control-Allow-Origin header] <https://fetch.spec.whatwg.org/#concept-cors-check>",
				"Standard: The Fetch standard fails this at CORS check step 2",
				"Chromium's reason: MissingAllowOriginHeader",
				"Verdict ✓ (expected): blocked, as expected, because no Access-Control-Allow-Origin — Chromium says: \"Access to fetch at",
				"bar received the POST and answered 200: the server did the work",
				"Fix (only if bar means to let " + testFoo + " read this): Have bar send, with its 200 answer, `Access-Control-Allow-Origin: " + testFoo + "`",
				"Spec: https://fetch.spec.whatwg.org/#cors-check",
			},
			notWant: []string{"User-Agent", "\033[", "Differs"},
		},
		{
			name:    "all headers",
			opt:     ExplainOptions{AllHeaders: true},
			want:    []string{"User-Agent: HeadlessChrome", "Accept: */*"},
			notWant: []string{"more headers"},
		},
		{
			name: "colour",
			opt:  ExplainOptions{Color: true},
			want: []string{"\033[32m✓\033[0m", "\033[31m✗\033[0m"},
		},
		{
			name: "outside the browser",
			opt:  ExplainOptions{Outside: &Outside{Method: "POST", URL: "http://bar.localhost:41002/r/x-2/transfer", Status: 200, Line: "HTTP/1.1 200 OK", RespBody: "done"}},
			want: []string{"Outside the browser:", "→ HTTP/1.1 200 OK, body \"done\"", "The browser refused the page this answer, yet any client outside a browser gets it"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Explain(&b, blockedPost(), tc.opt); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(b.String(), w) {
					t.Errorf("has %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// TestExplainWrongExpectation checks the verdict of a scenario whose
// expectation the browser did not meet.
func TestExplainWrongExpectation(t *testing.T) {
	res := blockedPost()
	res.Verdict = harness.Fail
	res.Steps[0].Expect.Outcome = scenarios.OutcomeAllowed
	res.Steps[0].Mismatches = []string{"outcome: expected allowed, observed blocked (MissingAllowOriginHeader)"}
	var b bytes.Buffer
	Explain(&b, res, ExplainOptions{})
	for _, w := range []string{"✗ x", "Verdict ✗ (expected allowed): blocked, because", "mismatch: outcome: expected allowed", "Fix: Have bar send"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("lacks %q:\n%s", w, b.String())
		}
	}
	if strings.Contains(b.String(), "as expected") {
		t.Errorf("says \"as expected\" for a failed expectation:\n%s", b.String())
	}
}

func TestShownByDefault(t *testing.T) {
	extra := map[string]bool{"api-key": true}
	tests := []struct {
		name string
		want bool
	}{
		{"Origin", true}, {"Host", true}, {"Vary", true}, {"Cookie", true}, {"Set-Cookie", true},
		{"Content-Type", true}, {"Access-Control-Allow-Origin", true}, {"access-control-request-headers", true},
		{"Api-Key", true}, {"User-Agent", false}, {"Accept-Encoding", false}, {"Sec-Fetch-Mode", false},
	}
	for _, tc := range tests {
		if got := ShownByDefault(tc.name, extra); got != tc.want {
			t.Errorf("ShownByDefault(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestExplainHarnessError checks that a step the harness could not observe
// to its end is reported as such, without a made-up why or fix.
func TestExplainHarnessError(t *testing.T) {
	res := blockedPost()
	res.Verdict = harness.Error
	res.Error = "timed out after 5s waiting for the request to settle (the server never answered?)"
	res.Steps[0].Error = res.Error
	res.Steps[0].Observed.Outcome = ""
	var b bytes.Buffer
	Explain(&b, res, ExplainOptions{})
	out := b.String()
	if !strings.Contains(out, "Verdict ✗ (expected blocked): not observed to the end: timed out") {
		t.Errorf("no harness error in the verdict:\n%s", out)
	}
	for _, w := range []string{"Why:", "Fix"} {
		if strings.Contains(out, w) {
			t.Errorf("explains a half observation (%q):\n%s", w, out)
		}
	}
}

// TestExplainTellsTheDivergence: where the browser lets through what the
// standard fails, the story says so from the model's diff, naming the
// failing step; the fix is given for browsers that follow the standard.
func TestExplainTellsTheDivergence(t *testing.T) {
	var sc scenarios.Scenario
	all, err := scenarios.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Name == "wildcard-allow-headers-authorization" {
			sc = s
		}
	}
	if sc.Name == "" {
		t.Fatal("no wildcard-allow-headers-authorization in the catalog")
	}
	// What Chromium 156 did: the preflight passes, the actual GET is read.
	url := "http://bar.localhost:41002/r/x-1/"
	o := &harness.Observation{Page: testFoo, URL: url, Outcome: scenarios.OutcomeAllowed, Status: 200, ResponseType: "cors", Preflight: true, ReachedServer: true,
		Exchange: []harness.Message{
			{Kind: "preflight request", Line: "OPTIONS /r/x-1/ HTTP/1.1", URL: url, Headers: [][2]string{{"Host", "bar.localhost:41002"}, {"Origin", testFoo}, {"Access-Control-Request-Method", "GET"}, {"Access-Control-Request-Headers", "authorization"}}},
			{Kind: "preflight response", Line: "HTTP/1.1 204 No Content", Status: 204, Headers: [][2]string{{"Access-Control-Allow-Origin", testFoo}, {"Access-Control-Allow-Headers", "*"}}},
			{Kind: "request", Line: "GET /r/x-1/ HTTP/1.1", URL: url, Headers: [][2]string{{"Host", "bar.localhost:41002"}, {"Origin", testFoo}}},
			{Kind: "response", Line: "HTTP/1.1 200 OK", Status: 200, Headers: [][2]string{{"Access-Control-Allow-Origin", testFoo}}},
		}}
	res := withModel(harness.Result{Scenario: sc, Verdict: harness.Pass, Steps: []harness.StepResult{{Expect: sc.Expect, Observed: o}}})
	var b bytes.Buffer
	if err := Explain(&b, res, ExplainOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, w := range []string{
		"≠ Differs: The Fetch standard fails this at CORS-preflight fetch step 7.6 because Authorization must be listed by name: `*` never covers it [Access-Control-Allow-Headers: *]; Chromium let it through. The scenario records this departure (divergence).",
		`≠ outcome: standard "blocked (CORS-preflight fetch step 7.6)", observed allowed`,
		"✗ CORS-preflight fetch step 7.6: Authorization must be listed by name",
		"Fix (for browsers that follow the Fetch standard): Have bar answer OPTIONS with `Access-Control-Allow-Headers: *, Authorization`",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("lacks %q:\n%s", w, out)
		}
	}
	// Unmarked, the same diff is a finding.
	res.Scenario.Divergence = nil
	b.Reset()
	Explain(&b, res, ExplainOptions{})
	if !strings.Contains(b.String(), "not marked as a divergence") {
		t.Errorf("an unmarked disagreement is not called out:\n%s", b.String())
	}
}

// The text report marks what disagrees with the standard: as marked for a
// divergence, and a wrong mark named.
func TestTextMarksDisagreements(t *testing.T) {
	differ := &harness.ModelVerdict{Disagreements: []string{"preflight: standard true, observed false"}}
	agree := &harness.ModelVerdict{Agrees: true, Disagreements: []string{}}
	tests := []struct {
		name    string
		marked  bool
		model   *harness.ModelVerdict
		want    []string
		notWant []string
	}{
		{"agrees", false, agree, nil, []string{"≠"}},
		{"marked and differs", true, differ, []string{"≠ departs from the Fetch standard, as marked (divergence)", "≠ standard: preflight: standard true, observed false"}, []string{"wrong mark"}},
		{"unmarked and differs", false, differ, []string{"≠ standard: preflight: standard true, observed false", "≠ wrong mark: x is not marked divergence"}, []string{"as marked"}},
		{"marked and agrees", true, agree, []string{"≠ wrong mark: x is marked divergence, yet"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var div scenarios.Divergence
			if tt.marked {
				div = scenarios.Divergence{scenarios.BaseEngine}
			}
			res := harness.Result{Scenario: scenarios.Scenario{Name: "x", Divergence: div}, Verdict: harness.Pass,
				Steps: []harness.StepResult{{Observed: &harness.Observation{Outcome: "allowed"}, Model: tt.model}}}
			var b bytes.Buffer
			if err := Text(&b, Run{Results: []harness.Result{res}}); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(b.String(), w) {
					t.Errorf("has %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// On Firefox the explanation says what Firefox said, in its own words and
// under its own name, and never names Chromium; the HTML report too.
func TestExplainNamesTheEngine(t *testing.T) {
	res := blockedPost()
	res.Engine, res.Browser = "firefox", "Firefox 153.8.0"
	o := res.Steps[0].Observed
	o.CorsError, o.NetError, o.JSError = "CORSMissingAllowOrigin2", "", "TypeError: NetworkError when attempting to fetch resource."
	o.Console = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at " + testURL + ". (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200."
	res.Scenario.Divergence = scenarios.Divergence{"firefox"}
	var b bytes.Buffer
	if err := Explain(&b, res, ExplainOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Firefox's reason: CORSMissingAllowOrigin2", "— Firefox says: \"Cross-Origin Request Blocked", "where Firefox departs from the Fetch standard"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("lacks %q:\n%s", w, b.String())
		}
	}
	if strings.Contains(b.String(), "Chromium") {
		t.Errorf("names Chromium on Firefox:\n%s", b.String())
	}
	var h bytes.Buffer
	if err := HTML(&h, Run{Browser: res.Browser, Results: []harness.Result{res}}, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h.String(), "Chromium") {
		i := strings.Index(h.String(), "Chromium")
		t.Errorf("the HTML report names Chromium on Firefox: …%s…", h.String()[max(0, i-120):i+40])
	}
}

// A preflight refused on Firefox, whose reason (CORSMethodNotFound) does
// not say "preflight", is told as a request never sent, not as an answer
// from the HTTP cache: failed_check names the preflight's step.
func TestExplainFirefoxPreflightRefusalIsNotACacheHit(t *testing.T) {
	o := &harness.Observation{
		Page: testFoo, URL: testURL, Outcome: scenarios.OutcomeBlocked, Preflight: true,
		CorsError: "CORSMethodNotFound", FailedCheck: "CORS-preflight fetch step 7.5",
		Exchange: []harness.Message{
			{Kind: "preflight request", Line: "OPTIONS /r/x-1/transfer HTTP/1.1", URL: testURL},
			{Kind: "preflight response", Line: "HTTP/1.1 204 No Content", Status: 204},
			{Kind: "request", Line: "DELETE /r/x-1/transfer HTTP/1.1", URL: testURL},
		},
		Requests: []servers.Entry{{Origin: "bar", Method: "OPTIONS", Path: "/r/x-1/transfer", Preflight: true, Status: 204}},
	}
	sc := scenarios.Scenario{Name: "x", Request: scenarios.Request{Method: "DELETE", Path: "/transfer"}, Expect: scenarios.Expect{Outcome: scenarios.OutcomeBlocked}}
	res := harness.Result{Scenario: sc, Engine: "firefox", Verdict: harness.Pass, Steps: []harness.StepResult{{Expect: sc.Expect, Observed: o}}}
	var b bytes.Buffer
	if err := Explain(&b, res, ExplainOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "HTTP cache") || !strings.Contains(b.String(), "The actual DELETE is never sent") {
		t.Errorf("tells a cache hit, or not the request never sent:\n%s", b.String())
	}
}
