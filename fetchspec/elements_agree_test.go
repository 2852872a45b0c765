package fetchspec_test

import (
	"strings"
	"testing"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
)

// A wrong expectation of an element's load, of timing or of the response
// URL disagrees with the standard, naming the field.
func TestElementDisagreements(t *testing.T) {
	tests := []struct {
		scenario string
		change   func(e *scenarios.Expect)
		want     string
	}{
		{"elements-img-without-crossorigin-loads-tainted", func(e *scenarios.Expect) { e.Tainted = ptrTo(false) }, "tainted: expected false, standard true"},
		{"elements-img-without-crossorigin-loads-tainted", func(e *scenarios.Expect) { e.RequestMode = "cors" }, "request_mode: expected cors, standard no-cors"},
		{"elements-script-anonymous-errors-not-muted", func(e *scenarios.Expect) { e.MutedErrors = ptrTo(true) }, "muted_errors: expected true, standard false"},
		{"elements-timing-allow-origin-wildcard", func(e *scenarios.Expect) { e.TimingAllowed = ptrTo(false) }, "timing_allowed: expected false, standard true"},
		{"elements-response-url-after-redirect", func(e *scenarios.Expect) { e.ResponseURLOrigin = "{bar}" }, "response_url_origin: expected http://bar.localhost:41002, standard http://baz.localhost:41003"},
	}
	for _, tt := range tests {
		sc := catalogScenario(t, tt.scenario)
		tt.change(&sc.Expect)
		p := fetchspec.Predict(sc, testEnv())[0]
		got := strings.Join(p.Disagreements(sc.Expect, testOrigins), "\n")
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s: want %q in:\n%s", tt.scenario, tt.want, got)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }
