package report

import (
	"slices"
	"strings"
	"testing"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
)

// TestWhyCoversEveryCorsError checks that every value of Chromium's
// CorsError has its own plain explanation and a fix naming what to change.
func TestWhyCoversEveryCorsError(t *testing.T) {
	if len(CorsErrors) != 28 {
		t.Errorf("CorsErrors has %d values, CDP has 28", len(CorsErrors))
	}
	seen := map[string]bool{}
	for _, e := range CorsErrors {
		if seen[e] {
			t.Errorf("%s listed twice", e)
		}
		seen[e] = true
		wf := Why(WhyInput{CorsError: e, PageOrigin: "http://foo.localhost:1", Method: "PUT", PageHeaders: []string{"Api-Key"}, URL: "http://bar.localhost:2/r/x/", Mode: "same-origin", Redirect: "manual"})
		switch {
		case wf.Why == "":
			t.Errorf("%s: no Why", e)
		case strings.Contains(wf.Why, "Chromium refused the response with the CORS error"):
			t.Errorf("%s: only the generic explanation", e)
		case len(wf.Fix) == 0 || wf.Fix[0] == "":
			t.Errorf("%s: no Fix", e)
		case wf.Short == "" || wf.Check == "":
			t.Errorf("%s: no Short or Check", e)
		}
	}
	if wf := Why(WhyInput{CorsError: "SomethingNew"}); !strings.Contains(wf.Why, "SomethingNew") {
		t.Errorf("an unknown CorsError is not named: %q", wf.Why)
	}
}

// TestWhyFix checks that the explanation and the fix are computed from the
// observed values: the failed parameter, bar's headers, the page's origin.
func TestWhyFix(t *testing.T) {
	const foo = "http://foo.localhost:41001"
	tests := []struct {
		name   string
		in     WhyInput
		why    []string
		fix    []string
		notFix []string
		check  string
	}{
		{
			name:  "header not allowed, page spelling kept",
			in:    WhyInput{CorsError: "HeaderDisallowedByPreflightResponse", FailedParameter: "api-key", PageOrigin: foo, PageHeaders: []string{"Api-Key"}},
			why:   []string{"Api-Key", "no Access-Control-Allow-Headers"},
			fix:   []string{"Have bar answer OPTIONS with `Access-Control-Allow-Headers: Api-Key`"},
			check: "headers",
		},
		{
			name:  "header not allowed, added to bar's list",
			in:    WhyInput{CorsError: "HeaderDisallowedByPreflightResponse", FailedParameter: "x-custom", PageOrigin: foo, PageHeaders: []string{"X-Custom"}, Preflight: [][2]string{{"Access-Control-Allow-Headers", "Content-Type"}}},
			why:   []string{`says "Content-Type"`},
			fix:   []string{"`Access-Control-Allow-Headers: Content-Type, X-Custom`"},
			check: "headers",
		},
		{
			name: "authorization is never covered by a wildcard",
			in:   WhyInput{CorsError: "HeaderDisallowedByPreflightResponse", FailedParameter: "authorization", PageOrigin: foo, PageHeaders: []string{"Authorization"}, Preflight: [][2]string{{"Access-Control-Allow-Headers", "*"}}},
			why:  []string{"never covers Authorization"},
			fix:  []string{"`Access-Control-Allow-Headers: *, Authorization`"},
		},
		{
			name:   "wildcard headers with credentials",
			in:     WhyInput{CorsError: "HeaderDisallowedByPreflightResponse", FailedParameter: "x-a", PageOrigin: foo, PageHeaders: []string{"X-A"}, Credentials: true, Preflight: [][2]string{{"Access-Control-Allow-Headers", "*"}}},
			why:    []string{"only for requests without credentials"},
			fix:    []string{"`Access-Control-Allow-Headers: X-A`"},
			notFix: []string{"*, X-A"},
		},
		{
			name:  "method not allowed",
			in:    WhyInput{CorsError: "MethodDisallowedByPreflightResponse", FailedParameter: "PUT", PageOrigin: foo, Method: "PUT", Preflight: [][2]string{{"Access-Control-Allow-Methods", "GET, POST"}}},
			why:   []string{"PUT", `"GET, POST"`},
			fix:   []string{"`Access-Control-Allow-Methods: GET, POST, PUT`"},
			check: "methods",
		},
		{
			name: "method listed in another case",
			in:   WhyInput{CorsError: "MethodDisallowedByPreflightResponse", FailedParameter: "patch", PageOrigin: foo, Method: "patch", Preflight: [][2]string{{"Access-Control-Allow-Methods", "PATCH"}}},
			why:  []string{"case-sensitively"},
			fix:  []string{"`Access-Control-Allow-Methods: PATCH, patch`"},
		},
		{
			name:  "missing allow origin on an error answer",
			in:    WhyInput{CorsError: "MissingAllowOriginHeader", PageOrigin: foo, ResponseStatus: 500},
			why:   []string{"(500) has no Access-Control-Allow-Origin"},
			fix:   []string{"`Access-Control-Allow-Origin: " + foo + "`", "error answers too"},
			check: "origin",
		},
		{
			name:  "trailing slash",
			in:    WhyInput{CorsError: "AllowOriginMismatch", FailedParameter: foo + "/", PageOrigin: foo},
			why:   []string{"never ends with \"/\""},
			fix:   []string{"`Access-Control-Allow-Origin: " + foo + "`"},
			check: "origin",
		},
		{
			name: "port missing",
			in:   WhyInput{CorsError: "AllowOriginMismatch", FailedParameter: "http://foo.localhost", PageOrigin: foo},
			why:  []string{"port is part of the origin"},
		},
		{
			name: "tainted origin after a redirect",
			in:   WhyInput{CorsError: "AllowOriginMismatch", FailedParameter: foo, PageOrigin: "null", Page: foo, Server: "baz", ResponseStatus: 200},
			why:  []string{"baz's answer", "request's Origin is null"},
			fix:  []string{"Have baz send", "`Access-Control-Allow-Origin: null`"},
		},
		{
			name:  "two allow origin lines",
			in:    WhyInput{CorsError: "MultipleAllowOriginValues", FailedParameter: foo + ", http://other.localhost", PageOrigin: foo},
			why:   []string{"never a list"},
			fix:   []string{"exactly one line `Access-Control-Allow-Origin: " + foo + "`"},
			check: "origin",
		},
		{
			name:  "wildcard with credentials",
			in:    WhyInput{CorsError: "WildcardOriginNotAllowed", PageOrigin: foo, Credentials: true},
			fix:   []string{"`Access-Control-Allow-Origin: " + foo + "` and `Access-Control-Allow-Credentials: true`"},
			check: "origin",
		},
		{
			name:  "credentials capitalised",
			in:    WhyInput{CorsError: "InvalidAllowCredentials", FailedParameter: "True", PageOrigin: foo, Credentials: true, Response: [][2]string{{"Access-Control-Allow-Origin", foo}}},
			why:   []string{`"True"`, "exact lowercase"},
			fix:   []string{"`Access-Control-Allow-Credentials: true`."},
			check: "credentials",
		},
		{
			name:  "preflight credentials missing",
			in:    WhyInput{CorsError: "PreflightInvalidAllowCredentials", PageOrigin: foo, Credentials: true},
			why:   []string{"bar's preflight answer", "has no Access-Control-Allow-Credentials"},
			fix:   []string{"Have bar answer OPTIONS with `Access-Control-Allow-Credentials: true` together with `Access-Control-Allow-Origin: " + foo + "`"},
			check: "credentials",
		},
		{
			name:  "preflight 404",
			in:    WhyInput{CorsError: "PreflightInvalidStatus", PageOrigin: foo, PreflightStatus: 404},
			why:   []string{"404 Not Found", "ok status"},
			fix:   []string{"`HTTP/1.1 204 No Content`"},
			check: "status",
		},
		{
			name: "preflight redirected",
			in:   WhyInput{CorsError: "PreflightDisallowedRedirect", PageOrigin: foo, PreflightStatus: 302, Preflight: [][2]string{{"Location", "https://bar.example/x"}}},
			why:  []string{"302 to https://bar.example/x"},
		},
		{
			name: "redirect with credentials in the URL",
			in:   WhyInput{CorsError: "RedirectContainsCredentials", PageOrigin: foo, Response: [][2]string{{"Location", "http://user:secret@baz.localhost:1/x"}}},
			fix:  []string{"`Location: http://baz.localhost:1/x`"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wf := Why(tc.in)
			fix := strings.Join(wf.Fix, "\n")
			for _, w := range tc.why {
				if !strings.Contains(wf.Why, w) {
					t.Errorf("Why lacks %q: %s", w, wf.Why)
				}
			}
			for _, w := range tc.fix {
				if !strings.Contains(fix, w) {
					t.Errorf("Fix lacks %q: %s", w, fix)
				}
			}
			for _, w := range tc.notFix {
				if strings.Contains(fix, w) {
					t.Errorf("Fix has %q: %s", w, fix)
				}
			}
			if tc.check != "" && wf.Check != tc.check {
				t.Errorf("Check = %q, want %q", wf.Check, tc.check)
			}
		})
	}
}

// TestWhyIsKeyedByTheFailingStep: the step of the Fetch standard that fails
// the request picks the explanation; Chromium's CorsError is shown beside
// it and does not change it.
func TestWhyIsKeyedByTheFailingStep(t *testing.T) {
	const foo = "http://foo.localhost:41001"
	step := &fetchspec.Step{Algorithm: "CORS-preflight fetch", Number: "7.7", Says: "api-key must be listed in Access-Control-Allow-Headers",
		Saw: "Access-Control-Allow-Headers: X-Other", Outcome: fetchspec.Failed, Subject: "api-key", URL: fetchspec.Spec + "#cors-preflight-fetch-0"}
	base := WhyInput{Failure: step, InPreflight: true, PageOrigin: foo, PageHeaders: []string{"Api-Key"},
		Preflight: [][2]string{{"Access-Control-Allow-Headers", "X-Other"}}}
	a, b := base, base
	a.CorsError, a.FailedParameter = "HeaderDisallowedByPreflightResponse", "api-key"
	b.CorsError = "PreflightMissingAllowOriginHeader" // a wrong engine reason
	wa, wb := Why(a), Why(b)
	if wa.Why != wb.Why || !slices.Equal(wa.Fix, wb.Fix) {
		t.Errorf("the CorsError changed the explanation:\n%q\n%q", wa.Why, wb.Why)
	}
	if !strings.Contains(wa.Fix[0], "`Access-Control-Allow-Headers: X-Other, Api-Key`") || wa.Step != "CORS-preflight fetch step 7.7" {
		t.Errorf("explanation not from step 7.7: %+v", wa)
	}
	if wa.Engine != "HeaderDisallowedByPreflightResponse (api-key)" || wb.Engine != "PreflightMissingAllowOriginHeader" {
		t.Errorf("the engine's reason is not shown beside: %q, %q", wa.Engine, wb.Engine)
	}
	// Without a failing step (the standard lets it through) the engine's
	// reason is all there is.
	c := a
	c.Failure = nil
	if wc := Why(c); wc.Step != "" || !strings.Contains(wc.Why, "Api-Key") {
		t.Errorf("from the engine's reason: %+v", wc)
	}
}

// TestEveryFailingStepIsExplained: every step at which the model fails a
// scenario of the catalog has its own explanation and a fix, and the kind
// it is read as matches the engine's name for it where Chromium agrees.
func TestEveryFailingStepIsExplained(t *testing.T) {
	all, err := scenarios.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	env := fetchspec.Env{Origins: fetchspec.LabOrigins{Foo: 41001, Bar: 41002, Baz: 41003}, MaxAgeCap: fetchspec.ChromiumMaxAgeCap}
	seen := map[string]bool{}
	for _, sc := range all {
		steps := sc.RequestSteps()
		for i, p := range fetchspec.Predict(sc, env) {
			if p.FailedAt == nil {
				continue
			}
			key := p.FailedAt.Algorithm + " " + p.FailedAt.Number
			in := WhyInput{Failure: p.FailedAt, PageOrigin: "http://foo.localhost:41001", Method: "PUT", PageHeaders: []string{"Api-Key"}, URL: p.URL}
			wf := Why(in)
			if wf.Why == "" || len(wf.Fix) == 0 || wf.Short == "" || strings.Contains(wf.Why, "Chromium refused the response") {
				t.Errorf("%s fails at %s: no explanation of its own: %+v", sc.Name, key, wf)
			}
			if e := steps[i].Expect.CorsError; e != nil && *e != "" && !sc.Divergence.Any() {
				k, _, _ := failureKind(in)
				if want := corsErrorFailure(*e); want != failUnknown && k != want {
					t.Errorf("%s: the standard's step %s reads as %q, Chromium's %s as %q", sc.Name, key, k, *e, want)
				}
			}
			seen[key] = true
		}
	}
	if len(seen) < 10 {
		t.Errorf("only %d failing steps in the catalog: %v", len(seen), seen)
	}
}

// TestWhyNamesTheServerThatAnswered: after a redirect the answer that failed
// came from another server than bar; every explanation and fix names the
// server the journal says answered, never a hard-coded bar.
func TestWhyNamesTheServerThatAnswered(t *testing.T) {
	for _, e := range CorsErrors {
		wf := Why(WhyInput{CorsError: e, PageOrigin: "http://foo.localhost:1", Method: "PUT", PageHeaders: []string{"Api-Key"},
			URL: "http://baz.localhost:3/r/x/_h1/", Server: "baz", PreflightStatus: 404, ResponseStatus: 200, Mode: "same-origin", Redirect: "manual"})
		text := wf.Why + "\n" + strings.Join(wf.Fix, "\n")
		if strings.Contains(text, "bar ") || strings.Contains(text, "bar's") {
			t.Errorf("%s: names bar although baz answered:\n%s", e, text)
		}
	}
}

// TestWhyWarnsNullWithCredentials: the fix for a credentialed request whose
// Origin became null after a redirect does not present
// `Access-Control-Allow-Origin: null` with credentials as a plain setup.
func TestWhyWarnsNullWithCredentials(t *testing.T) {
	in := WhyInput{CorsError: "AllowOriginMismatch", FailedParameter: "http://foo.localhost:1", PageOrigin: "null", Page: "http://foo.localhost:1", Server: "baz", Credentials: true}
	wf := Why(in)
	if !strings.Contains(wf.Fix[0], "call baz directly") {
		t.Errorf("the first fix should be to call baz directly: %q", wf.Fix)
	}
	if len(wf.Fix) < 2 || !strings.Contains(wf.Fix[1], "risk") || !strings.Contains(wf.Fix[1], "sandboxed") {
		t.Errorf("allowing null with credentials must carry its warning: %q", wf.Fix)
	}
	in.Credentials = false
	if wf := Why(in); len(wf.Fix) != 1 {
		t.Errorf("without credentials null after a redirect is one plain fix: %q", wf.Fix)
	}
}
