package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The whole catalog agrees with the standard but its two marked divergences;
// no browser runs.
func TestPredictCatalog(t *testing.T) {
	code, out, errs := corslab(t, "predict", "--format", "json", "--bar-port", "8080")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc predictDocument
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	marked := 0
	for _, r := range doc.Scenarios {
		if r.Divergence {
			marked++
		}
	}
	if doc.Summary.Total < 200 || doc.Summary.Failed != 0 || doc.Summary.Divergences != marked || marked < 3 {
		t.Errorf("summary %+v", doc.Summary)
	}
	if doc.Origins["bar"] != "http://bar.localhost:8080" {
		t.Errorf("origins %v", doc.Origins)
	}
	for _, r := range doc.Scenarios {
		if r.Predicted == nil || len(r.Trace) == 0 && r.Predicted.Outcome != "" {
			t.Errorf("%s: no prediction or no trace", r.Name)
		}
		if r.Verdict == verdictDivergence && !r.Divergence {
			t.Errorf("%s: verdict divergence without the mark", r.Name)
		}
	}
}

// A wrong expectation that the scenario does not mark as a divergence is
// exit 1, naming the field; a divergence mark on a scenario the standard
// agrees with is exit 1 too.
func TestPredictWrongExpectation(t *testing.T) {
	dir := t.TempDir()
	wrong := strings.Replace(okScenario, "outcome: allowed", "outcome: blocked", 1)
	code, out, _ := corslab(t, "predict", "--file", writeFile(t, dir, "wrong.yaml", wrong))
	if code != exitMismatch || !strings.Contains(out, "outcome: expected blocked, standard allowed") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	marked := strings.Replace(okScenario, "    request:", "    divergence: true\n    request:", 1)
	code, out, _ = corslab(t, "predict", "--file", writeFile(t, dir, "marked.yaml", marked))
	if code != exitMismatch || !strings.Contains(out, "yet the standard agrees") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	code, out, _ = corslab(t, "predict", "--file", writeFile(t, dir, "ok.yaml", okScenario))
	if code != exitOK || !strings.Contains(out, "1 agree with the Fetch standard") || !strings.Contains(out, "#concept-cors-check") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

func TestPredictUsage(t *testing.T) {
	for _, args := range [][]string{
		{"predict", "--format", "junit"},
		{"predict", "--foo-port", "70000"},
		{"predict", "no-such-scenario"},
		{"predict", "--max-age-cap", "-1"},
	} {
		if code, _, _ := corslab(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
