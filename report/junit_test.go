package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

func TestJUnit(t *testing.T) {
	res := func(name, group, verdict string, mismatches []string, errText string) harness.Result {
		return harness.Result{
			Scenario: scenarios.Scenario{Name: name, Group: group},
			Verdict:  verdict, Mismatches: mismatches, Error: errText, Duration: 25 * time.Millisecond,
			Steps: []harness.StepResult{{Observed: &harness.Observation{Outcome: "allowed", Status: 200, ResponseType: "cors"}}},
		}
	}
	run := Run{Results: []harness.Result{
		res("simple-a", "simple", harness.Pass, nil, ""),
		res("simple-b", "simple", harness.Fail, []string{
			"outcome: expected blocked, observed allowed",
			"cors_error: expected MissingAllowOriginHeader, observed \"\"",
		}, ""),
		res("cache-steps", "cache", harness.Fail, []string{"step 2: preflight_cached: expected true, observed false"}, ""),
		res("rejected-x", "rejected", harness.Error, nil, "timed out after 5s"),
	}, Elapsed: time.Second}

	var b bytes.Buffer
	if err := JUnit(&b, run); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("the report is not XML: %v\n%s", err, b.String())
	}
	if doc.Tests != 4 || doc.Failures != 2 || doc.Errors != 1 {
		t.Errorf("totals: tests %d failures %d errors %d, want 4 2 1", doc.Tests, doc.Failures, doc.Errors)
	}
	cases := map[string]junitCase{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Classname != s.Name {
				t.Errorf("%s: classname %q in suite %q", c.Name, c.Classname, s.Name)
			}
			if _, dup := cases[c.Name]; dup {
				t.Errorf("%s: two testcases", c.Name)
			}
			cases[c.Name] = c
		}
	}
	tests := []struct {
		name, classname string
		failure         []string // substrings of the failure message; nil: none
		isError         bool
	}{
		{"simple-a", "simple", nil, false},
		{"simple-b", "simple", []string{"mismatch in outcome, cors_error", "expected blocked, observed allowed"}, false},
		{"cache-steps", "cache", []string{"mismatch in preflight_cached"}, false},
		{"rejected-x", "rejected", nil, true},
	}
	for _, tc := range tests {
		c, ok := cases[tc.name]
		if !ok {
			t.Errorf("%s: no testcase", tc.name)
			continue
		}
		if c.Classname != tc.classname {
			t.Errorf("%s: classname %q, want %q", tc.name, c.Classname, tc.classname)
		}
		switch {
		case tc.failure == nil && c.Failure != nil:
			t.Errorf("%s: unexpected failure %q", tc.name, c.Failure.Message)
		case tc.failure != nil && c.Failure == nil:
			t.Errorf("%s: no failure", tc.name)
		case tc.failure != nil:
			for _, w := range tc.failure {
				if !strings.Contains(c.Failure.Message, w) {
					t.Errorf("%s: failure message %q lacks %q", tc.name, c.Failure.Message, w)
				}
			}
		}
		if tc.isError != (c.Error != nil) {
			t.Errorf("%s: error element present = %v, want %v", tc.name, c.Error != nil, tc.isError)
		}
	}
}
