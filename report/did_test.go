package report

import (
	"strings"
	"testing"

	"github.com/corslab/corslab/harness"
)

// Did says when the browser could not report a reason (WebKit), rather
// than leave it blank, and only then.
func TestDidSaysWhatWasNotObservable(t *testing.T) {
	tests := []struct {
		name string
		o    harness.Observation
		want string
	}{
		{"no reason observable", harness.Observation{Outcome: "blocked", JSError: "TypeError: Load failed",
			ObservedBy:    map[string][]string{"outcome": {"page"}},
			NotObservable: &harness.NotObservable{Engine: "WebKit", Fields: []string{"cors_error", "failed_check"}}},
			`reason: not observable in WebKit; the page saw "TypeError: Load failed"`},
		{"reason observed", harness.Observation{Outcome: "blocked", CorsError: "MissingAllowOriginHeader", JSError: "TypeError: Failed to fetch",
			ObservedBy: map[string][]string{"cors_error": {"browser"}}}, "MissingAllowOriginHeader"},
		{"no reason recorded, none said unobservable", harness.Observation{Outcome: "blocked", JSError: "TypeError: Failed to fetch",
			ObservedBy: map[string][]string{"outcome": {"page"}}}, "TypeError: Failed to fetch"},
		{"looked, found none", harness.Observation{Outcome: "blocked", JSError: "TypeError: Failed to fetch",
			ObservedBy: map[string][]string{"cors_error": {"browser"}}}, "TypeError: Failed to fetch"},
	}
	for _, tt := range tests {
		got := Did(&tt.o)
		if !strings.HasSuffix(got, tt.want) || tt.name != "no reason observable" && strings.Contains(got, "not observable") {
			t.Errorf("%s: %q, want it to end in %q", tt.name, got, tt.want)
		}
	}
}
