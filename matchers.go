package corslab

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/onsi/gomega/types"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/report"
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
	// outcome is the outcome the matcher expects ("" when it is not about
	// the outcome): the story's verdict line says it.
	outcome string
	// full adds the whole observation as JSON (WithFullObservation).
	full bool
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
	return fmt.Sprintf("Expected the request to %s, but %s\n%s", m.what, m.why, m.details(actual, m.outcome, "expected it to "+m.what+": "+m.why))
}

func (m *observationMatcher) NegatedFailureMessage(actual any) string {
	other := ""
	switch m.outcome {
	case scenarios.OutcomeAllowed:
		other = scenarios.OutcomeBlocked
	case scenarios.OutcomeBlocked:
		other = scenarios.OutcomeAllowed
	}
	return fmt.Sprintf("Expected the request not to %s, but it did\n%s", m.what, m.details(actual, other, "expected it not to "+m.what))
}

// details is the story `corslab explain` tells of the request (bar's
// preflight and response headers, the checks the browser made, Why and
// Fix), then the whole observation when WithFullObservation asked for it
// or $CORSLAB_FULL_OBSERVATION is set.
func (m *observationMatcher) details(actual any, outcome, mismatch string) string {
	s := Story(actual, outcome, mismatch)
	if m.full || os.Getenv("CORSLAB_FULL_OBSERVATION") != "" {
		s += FormatObservation(actual)
	} else {
		s += "(the whole observation: wrap the matcher in corslab.WithFullObservation, or set CORSLAB_FULL_OBSERVATION=1)"
	}
	return s
}

// WithFullObservation makes a corslab matcher's failure message end with
// the whole observation as JSON (every header the browser sent, the
// journal, which side observed each field), after the story.
func WithFullObservation(m types.GomegaMatcher) types.GomegaMatcher {
	if om, ok := m.(*observationMatcher); ok {
		cp := *om
		cp.full = true
		return &cp
	}
	return m
}

// Story is the explanation `corslab explain` prints for the request that
// made actual (an *Observation or a harness.Result): the page's call, bar's
// preflight and response headers as the browser saw them, each check the
// browser made, the verdict against outcome ("allowed", "blocked", or ""
// for the observed one), mismatch, and Why and Fix. For an observation
// alone the page's call is read back from the wire: the method from the
// request line, the page's own headers from the preflight's
// Access-Control-Request-Headers.
func Story(actual any, outcome, mismatch string) string {
	var res harness.Result
	switch v := actual.(type) {
	case harness.Result:
		res = v
	case *harness.Result:
		if v != nil {
			res = *v
		}
	default:
		o, err := toObservation(actual)
		if err != nil {
			return err.Error() + "\n"
		}
		if outcome == "" {
			outcome = o.Outcome
		}
		req := requestOnTheWire(o)
		res = harness.Result{
			Scenario: scenarios.Scenario{Name: req.Method + " " + o.URL + " from " + o.Page, Group: "corslab", Page: o.Page, Request: req, Expect: scenarios.Expect{Outcome: outcome}},
			Verdict:  harness.Fail,
			Steps:    []harness.StepResult{{Expect: scenarios.Expect{Outcome: outcome}, Observed: o, Mismatches: []string{mismatch}}},
		}
	}
	var b strings.Builder
	if err := report.Explain(&b, res, report.ExplainOptions{}); err != nil {
		return "(no story: " + err.Error() + ")\n"
	}
	return b.String()
}

// requestOnTheWire reads the page's request back from the exchange the
// browser reported.
func requestOnTheWire(o *Observation) scenarios.Request {
	r := scenarios.Request{Method: "GET"}
	var acrh []string
	for _, m := range o.Exchange {
		switch m.Kind {
		case "request":
			if method, _, ok := strings.Cut(m.Line, " "); ok && method != "" {
				r.Method = method
			}
			for _, h := range m.Headers {
				if strings.EqualFold(h[0], "Cookie") {
					r.Credentials = "include"
				}
			}
		case "preflight request":
			for _, h := range m.Headers {
				switch strings.ToLower(h[0]) {
				case "access-control-request-method":
					r.Method = h[1]
				case "access-control-request-headers":
					acrh = strings.Split(h[1], ",")
				}
			}
		}
	}
	for _, name := range acrh {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		v := ""
		for _, m := range o.Exchange {
			if m.Kind != "request" {
				continue
			}
			for _, h := range m.Headers {
				if strings.EqualFold(h[0], name) {
					v = h[1]
				}
			}
		}
		r.Headers = append(r.Headers, scenarios.Header{Name: name, Values: []string{v}})
	}
	return r
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
	return &observationMatcher{what: "be allowed", outcome: scenarios.OutcomeAllowed, check: func(o *Observation) (bool, string) {
		return o.Outcome == scenarios.OutcomeAllowed, "it was blocked (" + reason(o) + ")"
	}}
}

// BeBlocked succeeds when the request failed with a network error.
func BeBlocked() types.GomegaMatcher {
	return &observationMatcher{what: "be blocked", outcome: scenarios.OutcomeBlocked, check: func(o *Observation) (bool, string) {
		return o.Outcome == scenarios.OutcomeBlocked, "it was allowed"
	}}
}

// BeBlockedWith succeeds when the request was blocked and Chromium's CORS
// error (Network.CorsError, e.g. "MissingAllowOriginHeader") is reason.
func BeBlockedWith(reason string) types.GomegaMatcher {
	return &observationMatcher{what: "be blocked with " + reason, outcome: scenarios.OutcomeBlocked, check: func(o *Observation) (bool, string) {
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
