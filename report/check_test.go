package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/corslab/corslab/policy"
)

func sampleCheck() PolicyCheck {
	return PolicyCheck{Policy: "p.yaml", Target: "http://127.0.0.1:8080/api", Browser: "Chromium 156", Passed: 1, Failed: 1,
		Results: []policy.Result{
			{Probe: policy.Probe{Name: "GET from https://app.example.com", Method: "GET", Page: "https://app.example.com", Because: "origins lists it"}, Expected: "allowed", Observed: "allowed (200)", Pass: true, Why: "the server answered ..."},
			{Probe: policy.Probe{Name: "look-alike (suffix) https://evilapp.example.com", Method: "GET", Page: "https://evilapp.example.com", Because: "not listed"}, Expected: "blocked", Observed: "allowed (200)", Why: "<script>alert(1)</script> reflected"},
		}}
}

func TestCheckFormats(t *testing.T) {
	rep := sampleCheck()
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
		want  []string
	}{
		{"text", func(b *bytes.Buffer) error { return CheckText(b, rep) }, []string{"FAIL  look-alike (suffix)", "2 probes: 1 match the policy, 1 do not.", "policy: not listed"}},
		{"json", func(b *bytes.Buffer) error { return CheckJSON(b, rep) }, []string{`"failed": 1`, `"name": "look-alike (suffix) https://evilapp.example.com"`}},
		{"junit", func(b *bytes.Buffer) error { return CheckJUnit(b, rep) }, []string{`tests="2"`, `failures="1"`, `message="expected blocked, observed allowed (200)"`}},
		{"html", func(b *bytes.Buffer) error { return CheckHTML(b, rep) }, []string{`<tr class="fail">`, "2 probes:", "&lt;script&gt;alert(1)&lt;/script&gt;", `id="onlyfail"`}},
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
			if tt.name == "html" && (strings.Contains(b.String(), "http://") && strings.Contains(b.String(), "<link") || strings.Contains(b.String(), "<script src")) {
				t.Error("the HTML report must not load anything")
			}
		})
	}
}
