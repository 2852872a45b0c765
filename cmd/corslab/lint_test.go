package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	dir := t.TempDir()
	risky := writeFile(t, dir, "risky.yaml", "origins: [https://app.example.com, http://app.example.com, \"null\"]\ncredentials: true\nmax_age: 86400\n")
	code, out, _ := corslab(t, "lint", "--policy", risky)
	if code != exitMismatch {
		t.Errorf("a critical finding: exit %d, want %d", code, exitMismatch)
	}
	for _, want := range []string{"critical null-origin", "critical http-twin", "warning  max-age-over-cap", "why:", "spec: https://fetch.spec.whatwg.org/#"} {
		if !strings.Contains(out, want) {
			t.Errorf("lint output lacks %q:\n%s", want, out)
		}
	}
	clean := writeFile(t, dir, "clean.yaml", "origins: [https://app.example.com]\nmethods: [DELETE]\ncredentials: true\nmax_age: 600\n")
	code, out, _ = corslab(t, "lint", "--policy", clean, "--format", "json")
	var doc struct {
		Findings []struct{ ID, Severity string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if code != exitOK || len(doc.Findings) != 0 {
		t.Errorf("a clean policy: exit %d, findings %v", code, doc.Findings)
	}
	bad := writeFile(t, dir, "bad.yaml", "origins: [app.example.com]\n")
	if code, _, errs := corslab(t, "lint", "--policy", bad); code != exitUsage || !strings.Contains(errs, "bad.yaml:1") {
		t.Errorf("a bad policy: exit %d, %s", code, errs)
	}
	if code, _, _ := corslab(t, "lint"); code != exitUsage {
		t.Errorf("no --policy: exit %d", code)
	}
}
