package harness

import (
	"slices"
	"strings"
	"testing"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/scenarios"
)

// An engine without the browser's reports (WebKit) has its reason and
// console said as not observable, and their expectations not compared; the
// page's and the journal's fields still are. An engine with them (Chromium)
// compares everything.
func TestNotObservableIsSaidNotCompared(t *testing.T) {
	check, cors := "CORS check step 2", "MissingAllowOriginHeader"
	e := scenarios.Expect{Outcome: scenarios.OutcomeAllowed, FailedCheck: &check, CorsError: &cors, Console: "not allowed"}
	o := &Observation{Outcome: scenarios.OutcomeBlocked, JSError: "TypeError: Load failed"}
	tests := []struct {
		engine      string
		caps        engine.Capabilities
		notCompared []string
		mismatches  []string
	}{
		{"webkit", engine.Capabilities{},
			[]string{`failed_check: expected "CORS check step 2", not observable in WebKit`, `cors_error: expected MissingAllowOriginHeader, not observable in WebKit`, `console: expected "not allowed", not observable in WebKit`},
			[]string{"outcome:"}},
		{"chromium", engine.Capabilities{Network: true, Reason: true, Console: true, Issues: true},
			nil, []string{"outcome:", "failed_check:", "cors_error:", "console:"}},
	}
	for _, tt := range tests {
		o.NotObservable = notObservable(tt.engine, tt.caps)
		got, notCompared := comparable(e, o)
		if !slices.Equal(notCompared, tt.notCompared) {
			t.Errorf("%s: not compared %q, want %q", tt.engine, notCompared, tt.notCompared)
		}
		m := Compare(got, o)
		if len(m) != len(tt.mismatches) {
			t.Fatalf("%s: mismatches %q, want %d starting %q", tt.engine, m, len(tt.mismatches), tt.mismatches)
		}
		for i, p := range tt.mismatches {
			if !strings.HasPrefix(m[i], p) {
				t.Errorf("%s: mismatch %q, want %s…", tt.engine, m[i], p)
			}
		}
	}
}
