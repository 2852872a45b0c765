package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/policy"
)

func sampleCheck() PolicyCheck {
	long := "http://127.0.0.1:8080/api/" + strings.Repeat("very-long-path-segment/", 8)
	results := []policy.Result{
		{Probe: policy.Probe{Name: "GET from https://app.example.com", Kind: policy.KindSimple, Method: "GET", Page: "https://app.example.com", Because: "origins lists it"}, Expected: "allowed", Observed: "allowed (200)", State: policy.StatePass, Pass: true, Why: "the server answered ..."},
		{Probe: policy.Probe{Name: "look-alike (suffix) https://evilapp.example.com", Kind: policy.KindLookAlike, Method: "GET", Page: "https://evilapp.example.com", Because: "not listed"}, Expected: "blocked", Observed: "allowed (200)", State: policy.StateFail, Why: "<script>alert(1)</script> reflected"},
		{Probe: policy.Probe{Name: "read X-Total-Count from " + long, Kind: policy.KindExpose, Method: "GET", Page: "https://app.example.com", Because: "expose_headers lists it"}, Expected: "allowed, reads X-Total-Count", Observed: "allowed (404)", State: policy.StateInconclusive, Why: "the response carries no X-Total-Count header"},
	}
	findings := []policy.Finding{
		{ID: policy.BugSuffix, Severity: policy.Critical, Title: "bar matches origins by suffix: https://evilapp.example.com was allowed", Why: "an attacker reads the user's data", Evidence: []string{"look-alike (suffix) https://evilapp.example.com: read"}, Probes: []string{"look-alike (suffix) https://evilapp.example.com"}, Source: "check"},
		{ID: "error-responses-unreadable", Severity: policy.Warning, Title: "Access-Control-Allow-Origin on 200 but not on 404", Why: "a bare TypeError", Accepted: true, Source: "check"},
	}
	return NewPolicyCheck("p.yaml", "http://127.0.0.1:8080/api", "Chromium 156", time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC), results, findings)
}

func TestCheckFormats(t *testing.T) {
	rep := sampleCheck()
	rep.Width = 100
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
		want  []string
	}{
		{"text", func(b *bytes.Buffer) error { return CheckText(b, rep) }, []string{"Findings:\n  CRITICAL bar matches origins by suffix", "(accepted by the policy)", "FAIL          look-alike (suffix)", "INCONCLUSIVE  read X-Total-Count",
			"3 probes: 1 match the policy, 1 do not, 1 inconclusive; 2 findings (1 critical, 1 warning, 1 accepted by the policy).", "policy: not listed"}},
		{"json", func(b *bytes.Buffer) error { return CheckJSON(b, rep) }, []string{`"failed": 1`, `"inconclusive": 1`, `"findings": [`, `"id": "suffix-match"`, `"severity": "critical"`, `"state": "inconclusive"`, "very-long-path-segment/very-long-path-segment/very-long-path-segment/very-long-path-segment/very-long-path-segment/"}},
		{"junit", func(b *bytes.Buffer) error { return CheckJUnit(b, rep) }, []string{"<testsuites ", `timestamp="2026-12-02T14:00:00Z"`, `tests="5"`, `failures="2"`, `message="expected blocked, observed allowed (200)"`, `<skipped message="inconclusive`, `classname="corslab.finding.suffix-match"`}},
		{"html", func(b *bytes.Buffer) error { return CheckHTML(b, rep) }, []string{`<tr class="fail">`, "3 probes:", `<div class="finding critical" id="finding-0">`, `href="#finding-0">see the finding above`, `id="onlyfail"`, "accepted by the policy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("%s output lacks %q:\n%s", tt.name, w, b.String())
				}
			}
			switch tt.name {
			case "html":
				if strings.Contains(b.String(), "<link") || strings.Contains(b.String(), "<script src") {
					t.Error("the HTML report must not load anything")
				}
				if strings.Index(b.String(), "<h2>Findings") > strings.Index(b.String(), "<h2>Probes") {
					t.Error("the findings must come first")
				}
				if strings.Contains(b.String(), "&lt;script&gt;alert(1)") {
					t.Error("a probe explained by a finding repeats its why")
				}
			case "junit":
				var doc junitSuites
				if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
					t.Fatalf("not XML: %v", err)
				}
			}
		})
	}
}

// TestCheckTextFitsTheWidth: every line of the table fits the terminal,
// long probe names cut with …, whatever the width.
func TestCheckTextFitsTheWidth(t *testing.T) {
	for _, width := range []int{60, 80, 100, 160} {
		rep := sampleCheck()
		rep.Width = width
		var b bytes.Buffer
		if err := CheckText(&b, rep); err != nil {
			t.Fatal(err)
		}
		inTable := false
		for _, line := range strings.Split(b.String(), "\n") {
			if strings.HasPrefix(line, "      PROBE") || strings.HasPrefix(line, "  ") && strings.Contains(line, "PROBE") {
				inTable = true
			}
			if inTable && line == "" {
				break
			}
			if inTable && utf8.RuneCountInString(line) > width {
				t.Errorf("width %d: a %d-column line: %q", width, utf8.RuneCountInString(line), line)
			}
		}
		if !inTable {
			t.Fatalf("no table in:\n%s", b.String())
		}
		if width < 100 && !strings.Contains(b.String(), "…") {
			t.Errorf("width %d: nothing was cut", width)
		}
	}
}

// TestJUnitSharedStructure: run and check write the same root, both with
// a timestamp, and a harness failure is an <error> testcase.
func TestJUnitSharedStructure(t *testing.T) {
	var run, chk, harnessErr bytes.Buffer
	if err := JUnit(&run, Run{Elapsed: time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := CheckJUnit(&chk, sampleCheck()); err != nil {
		t.Fatal(err)
	}
	if err := HarnessErrorJUnit(&harnessErr, "corslab check", time.Now(), errors.New("chrome failed to start")); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]*bytes.Buffer{"run": &run, "check": &chk, "harness error": &harnessErr} {
		var doc junitSuites
		if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatalf("%s: not XML: %v", name, err)
		}
		if doc.XMLName.Local != "testsuites" || doc.Timestamp == "" {
			t.Errorf("%s: root %q, timestamp %q", name, doc.XMLName.Local, doc.Timestamp)
		}
	}
	if !strings.Contains(harnessErr.String(), `<error message="chrome failed to start" type="harness">`) {
		t.Errorf("harness error JUnit:\n%s", harnessErr.String())
	}
	rep := sampleCheck()
	rep.Error = "opening the pages: no answer"
	var b bytes.Buffer
	if err := CheckJUnit(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `<error message="opening the pages: no answer"`) {
		t.Errorf("a check that could not run in full has no <error>:\n%s", b.String())
	}
}

// standardSample is sampleCheck whose failing probe carries the Fetch
// standard's view: three steps, the last one failing.
func standardSample() PolicyCheck {
	rep := sampleCheck()
	steps := []fetchspec.Step{
		{Algorithm: "main fetch", Number: "12", URL: "https://fetch.spec.whatwg.org/#concept-main-fetch", Says: "a CORS request with a safelisted method and headers: no preflight", Outcome: fetchspec.Done},
		{Algorithm: "append a request Origin header", Number: "3", URL: "https://fetch.spec.whatwg.org/#append-a-request-origin-header", Says: "Origin goes with the request", Outcome: fetchspec.Done},
		{Algorithm: "CORS check", Number: "2", URL: "https://fetch.spec.whatwg.org/#concept-cors-check", Says: "the response must carry Access-Control-Allow-Origin", Saw: "no Access-Control-Allow-Origin header", Outcome: fetchspec.Failed},
	}
	rep.Results[1].Standard = &policy.Standard{Outcome: "blocked", FailedAt: &steps[2], Trace: steps}
	rep.Results[1].Why += rep.Results[1].Standard.Why()
	return rep
}

// TestCheckReportsShowTheStandard: the text report names the failing step
// with its link (the whole trace only with Explain); JSON and HTML have
// the whole trace. The same expectations fail on a report without it.
func TestCheckReportsShowTheStandard(t *testing.T) {
	failing := "✗ CORS check step 2: the response must carry Access-Control-Allow-Origin [no Access-Control-Allow-Origin header]"
	other := "append a request Origin header step 3"
	tests := []struct {
		name        string
		write       func(*bytes.Buffer, PolicyCheck) error
		want, never []string
	}{
		{"text", func(b *bytes.Buffer, r PolicyCheck) error { return CheckText(b, r) },
			[]string{"why: <script>alert(1)</script> reflected; the Fetch standard fails it at CORS check step 2 (https://fetch.spec.whatwg.org/#concept-cors-check)"}, []string{other, "steps"}},
		{"text --explain", func(b *bytes.Buffer, r PolicyCheck) error { r.Explain = true; return CheckText(b, r) },
			[]string{failing, "the Fetch standard's steps (blocked; inferred from the server's answers):", "· " + other, "https://fetch.spec.whatwg.org/#append-a-request-origin-header"}, nil},
		{"json", func(b *bytes.Buffer, r PolicyCheck) error { return CheckJSON(b, r) },
			[]string{`"standard": {`, `"failed_at": {`, `"algorithm": "CORS check"`, `"step": "2"`, `"url": "https://fetch.spec.whatwg.org/#concept-cors-check"`, `"trace": [`, `"algorithm": "` + "append a request Origin header" + `"`}, nil},
		{"html", func(b *bytes.Buffer, r PolicyCheck) error { return CheckHTML(b, r) },
			[]string{`<details class="standard"><summary>the Fetch standard (blocked): CORS check step 2</summary>`, `<li class="failed">`, `<a href="https://fetch.spec.whatwg.org/#append-a-request-origin-header">`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var with, without bytes.Buffer
			if err := tt.write(&with, standardSample()); err != nil {
				t.Fatal(err)
			}
			if err := tt.write(&without, sampleCheck()); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(with.String(), w) {
					t.Errorf("lacks %q:\n%s", w, with.String())
				}
				// The flip: without the standard's view, the expectation fails.
				if strings.Contains(without.String(), w) {
					t.Errorf("%q is there without the standard's view: the check cannot fail", w)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(with.String(), n) {
					t.Errorf("the short report shows %q:\n%s", n, with.String())
				}
			}
		})
	}
}
