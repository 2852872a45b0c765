package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/report"
	"github.com/corslab/corslab/scenarios"
)

// shardJSON writes a JSON report of the given results, as run --format
// json writes it.
func shardJSON(t *testing.T, dir, name string, results ...harness.Result) string {
	t.Helper()
	var b strings.Builder
	if err := report.JSON(&b, report.Run{Browser: "Chromium 156", Results: results}); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, b.String())
}

func result(name, group, verdict string) harness.Result {
	r := harness.Result{Scenario: scenarios.Scenario{Name: name, Group: group}, Verdict: verdict,
		Steps: []harness.StepResult{{Observed: &harness.Observation{Outcome: "allowed", Status: 200, ResponseType: "cors"}}}}
	if verdict == harness.Fail {
		r.Mismatches = []string{"status: expected 201, observed 200"}
	}
	return r
}

func TestMerge(t *testing.T) {
	dir := t.TempDir()
	// Two built-in names, given in the other order than the catalog's.
	a := shardJSON(t, dir, "a.json", result("wildcard-origin-no-credentials", "wildcard", harness.Pass))
	b := shardJSON(t, dir, "b.json", result("simple-get-exact-origin", "simple", harness.Pass), result("mine", "own", harness.Fail))
	code, out, errs := corslab(t, "merge", a, b)
	if code != exitMismatch {
		t.Fatalf("exit %d, want 1 (one scenario failed): %s", code, errs)
	}
	iSimple, iWild, iMine := strings.Index(out, "simple-get-exact-origin"), strings.Index(out, "wildcard-origin-no-credentials"), strings.Index(out, "mine")
	if iSimple < 0 || iWild < 0 || iMine < 0 || iSimple > iWild || iWild > iMine {
		t.Errorf("not in catalog order, own scenarios last:\n%s", out)
	}
	if !strings.Contains(out, "2 passed, 1 failed") || !strings.Contains(out, "status: expected 201") {
		t.Errorf("one summary with the mismatch wanted:\n%s", out)
	}
	// JSON, JUnit and HTML of the merge, with one summary.
	code, out, _ = corslab(t, "merge", a, b, "--format", "json")
	var d report.Document
	if err := json.Unmarshal([]byte(out), &d); err != nil || code != exitMismatch {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if d.Summary.Total != 3 || d.Summary.Passed != 2 || d.Summary.Failed != 1 || d.Browser != "Chromium 156" {
		t.Errorf("summary %+v, browser %q", d.Summary, d.Browser)
	}
	if _, out, _ = corslab(t, "merge", a, b, "--format", "junit"); !strings.Contains(out, `tests="3" failures="1"`) {
		t.Errorf("junit:\n%s", out)
	}
	if _, out, _ = corslab(t, "merge", a, b, "--format", "html"); !strings.Contains(out, "mine") {
		t.Errorf("html lacks a scenario")
	}
	// Only passes: exit 0.
	if code, _, errs := corslab(t, "merge", a); code != exitOK {
		t.Errorf("exit %d: %s", code, errs)
	}
}

func TestMergeBadInput(t *testing.T) {
	dir := t.TempDir()
	a := shardJSON(t, dir, "a.json", result("x", "own", harness.Pass))
	notJSON := writeFile(t, dir, "n.json", "scenarios: [")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"overlapping shards", []string{a, a}, "scenario x is also in"},
		{"not a report", []string{notJSON}, "n.json: not a corslab JSON report"},
		{"no file", nil, "merge needs the JSON reports"},
		{"a missing file", []string{filepath.Join(dir, "none.json")}, "none.json"},
		{"bad format", []string{a, "--format", "xml"}, `--format "xml"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := corslab(t, append([]string{"merge"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errs, tc.want)
			}
		})
	}
}

func TestJobsAndShardFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--jobs", "0"}, "--jobs 0: want 1 to 6"},
		{[]string{"run", "--jobs", "7"}, "--jobs 7: want 1 to 6"},
		{[]string{"run", "--shard", "3/2"}, `--shard "3/2": want 1 <= K <= N`},
		{[]string{"run", "--shard", "half"}, `--shard "half": want K/N`},
		{[]string{"check", "--policy", "p.yaml", "--jobs", "9"}, "--jobs 9: want 1 to 6"},
	}
	for _, tc := range tests {
		code, _, errs := corslab(t, tc.args...)
		if code != exitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

// Shards 1/3 to 3/3 of the catalog are disjoint and together the catalog.
func TestShardSelection(t *testing.T) {
	all, err := scenarios.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for k := 1; k <= 3; k++ {
		for _, sc := range harness.Shard(all, k, 3) {
			seen[sc.Name]++
		}
	}
	if len(seen) != len(all) {
		t.Fatalf("the shards hold %d of %d scenarios", len(seen), len(all))
	}
	for n, c := range seen {
		if c != 1 {
			t.Errorf("%s in %d shards", n, c)
		}
	}
}
