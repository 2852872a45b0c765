package corslab

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/onsi/gomega/types"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// Observation is what the browser, the page and the server saw of one request.
type Observation = harness.Observation

// observationMatcher is a Gomega matcher over an *Observation (or a
// harness.Result, whose last observation is used).
type observationMatcher struct {
	what  string
	check func(o *Observation) (bool, string)
	why   string
}

func (m *observationMatcher) Match(actual any) (bool, error) {
	o, err := toObservation(actual)
	if err != nil {
		return false, err
	}
	ok, why := m.check(o)
	m.why = why
	return ok, nil
}

func (m *observationMatcher) FailureMessage(actual any) string {
	return fmt.Sprintf("Expected the request to %s, but %s\n%s", m.what, m.why, FormatObservation(actual))
}

func (m *observationMatcher) NegatedFailureMessage(actual any) string {
	return fmt.Sprintf("Expected the request not to %s, but it did\n%s", m.what, FormatObservation(actual))
}

func toObservation(actual any) (*Observation, error) {
	switch v := actual.(type) {
	case *Observation:
		if v == nil {
			return nil, fmt.Errorf("corslab matcher: nil observation")
		}
		return v, nil
	case Observation:
		return &v, nil
	case harness.Result:
		if o := v.Last(); o != nil {
			return o, nil
		}
		return nil, fmt.Errorf("corslab matcher: the scenario has no observation (%s)", v.Error)
	case *harness.Result:
		return toObservation(*v)
	}
	return nil, fmt.Errorf("corslab matcher: expected an *corslab.Observation or a harness.Result, got %T", actual)
}

// FormatObservation renders an observation (or result) in full, for failure messages.
func FormatObservation(actual any) string {
	o, err := toObservation(actual)
	if err != nil {
		return err.Error()
	}
	cp := *o
	cp.Exchange = nil
	b, _ := json.MarshalIndent(cp, "  ", "  ")
	return "Observation:\n  " + string(b)
}

// BeAllowed succeeds when the page got a response: the fetch resolved.
func BeAllowed() types.GomegaMatcher {
	return &observationMatcher{what: "be allowed", check: func(o *Observation) (bool, string) {
		return o.Outcome == scenarios.OutcomeAllowed, "it was blocked (" + reason(o) + ")"
	}}
}

// BeBlocked succeeds when the request failed with a network error.
func BeBlocked() types.GomegaMatcher {
	return &observationMatcher{what: "be blocked", check: func(o *Observation) (bool, string) {
		return o.Outcome == scenarios.OutcomeBlocked, "it was allowed"
	}}
}

// BeBlockedWith succeeds when the request was blocked and Chromium's CORS
// error (Network.CorsError, e.g. "MissingAllowOriginHeader") is reason.
func BeBlockedWith(reason string) types.GomegaMatcher {
	return &observationMatcher{what: "be blocked with " + reason, check: func(o *Observation) (bool, string) {
		if o.Outcome != scenarios.OutcomeBlocked {
			return false, "it was allowed"
		}
		return o.CorsError == reason, "the reason was " + quoteOrNone(o.CorsError)
	}}
}

// HaveSentPreflight succeeds when the browser sent a CORS preflight.
func HaveSentPreflight() types.GomegaMatcher {
	return &observationMatcher{what: "have sent a preflight", check: func(o *Observation) (bool, string) {
		return o.Preflight, "no OPTIONS preflight went out"
	}}
}

// HaveReachedServer succeeds when the actual request arrived at the server.
func HaveReachedServer() types.GomegaMatcher {
	return &observationMatcher{what: "have reached the server", check: func(o *Observation) (bool, string) {
		return o.ReachedServer, "the server's journal has no actual request"
	}}
}

// ExposeHeader succeeds when JavaScript could read the response header name.
func ExposeHeader(name string) types.GomegaMatcher {
	return &observationMatcher{what: "expose header " + name, check: func(o *Observation) (bool, string) {
		_, ok := o.ReadableHeaders[strings.ToLower(name)]
		return ok, "JS could read only: " + strings.Join(keys(o.ReadableHeaders), ", ")
	}}
}

// MatchExpectation succeeds when the observation matches a scenario's
// expectation field by field; the failure lists every mismatching field.
func MatchExpectation(e scenarios.Expect) types.GomegaMatcher {
	return &observationMatcher{what: "match the expectation", check: func(o *Observation) (bool, string) {
		m := harness.Compare(e, o)
		return len(m) == 0, "these fields differ:\n    " + strings.Join(m, "\n    ")
	}}
}

func reason(o *Observation) string {
	if o.CorsError != "" {
		return o.CorsError
	}
	if o.JSError != "" {
		return o.JSError
	}
	return "no reason given"
}

func quoteOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return fmt.Sprintf("%q", s)
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
