package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// twoEngines is a run of one scenario on two engines that disagree.
func twoEngines() Run {
	sc := scenarios.Scenario{Name: "simple-get", Group: "simple"}
	ok := harness.Result{Scenario: sc, Engine: "chromium", Browser: "Chromium 156", Verdict: harness.Pass,
		Steps: []harness.StepResult{{Observed: &harness.Observation{Outcome: "allowed", Status: 200}}}}
	bad := harness.Result{Scenario: sc, Engine: "firefox", Browser: "Firefox 153.8.0", Verdict: harness.Fail,
		Mismatches: []string{"outcome: expected allowed, observed blocked"},
		Steps:      []harness.StepResult{{Observed: &harness.Observation{Outcome: "blocked", CorsError: "CORSMissingAllowOrigin2"}}}}
	return Run{Results: []harness.Result{ok, bad}}
}

func TestTextMatrix(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, twoEngines()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"scenario", "chromium", "firefox", "✓ allowed 200", "✗ blocked CORSMissingAllowOrigin2",
		"✗ simple-get on firefox", "outcome: expected allowed", "firefox (Firefox 153.8.0): 0 passed, 1 failed", "1 passed, 1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("matrix lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "simple-get  ") != 1 {
		t.Errorf("one row per scenario:\n%s", out)
	}
}

func TestJSONOneResultPerEngine(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, twoEngines()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Scenarios []struct{ Name, Engine, Browser, Verdict string }
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Scenarios) != 2 || doc.Scenarios[1].Engine != "firefox" || doc.Scenarios[1].Browser != "Firefox 153.8.0" {
		t.Fatalf("want one result per engine with engine and browser: %+v", doc.Scenarios)
	}
}

func TestJUnitSuitePerEngine(t *testing.T) {
	var b bytes.Buffer
	if err := JUnit(&b, twoEngines()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`<testsuite name="chromium"`, `<testsuite name="firefox"`, `classname="firefox.simple"`} {
		if !strings.Contains(out, want) {
			t.Errorf("JUnit lacks %s:\n%s", want, out)
		}
	}
}

func TestHTMLMatrix(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, twoEngines(), HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `id="matrix"`) || !strings.Contains(b.String(), "Firefox 153.8.0") {
		t.Error("the HTML report of two engines must open with the matrix")
	}
}
