package policy

import (
	"fmt"
	"strings"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// Standard is what the Fetch standard says about a probe's request, given
// the answers the server actually sent: the model (fetchspec.Predict) runs
// the standard's algorithms over the observed preflight and response.
// It is inferred, never observed.
type Standard struct {
	// Outcome is the standard's: allowed or blocked.
	Outcome string `json:"outcome"`
	// FailedAt is the step that fails the request, nil when the standard
	// lets it through.
	FailedAt *fetchspec.Step `json:"failed_at,omitempty"`
	// Trace is every step the standard takes, in order, with its link.
	Trace []fetchspec.Step `json:"trace"`
}

// Key is the step a report shows on one line: the failing step, else the
// last check that passed (the one that let the request through); nil when
// the trace has none.
func (s *Standard) Key() *fetchspec.Step {
	if s == nil {
		return nil
	}
	if s.FailedAt != nil {
		return s.FailedAt
	}
	for i := len(s.Trace) - 1; i >= 0; i-- {
		if s.Trace[i].Outcome == fetchspec.Passed {
			return &s.Trace[i]
		}
	}
	return nil
}

// standardOf asks the model about a probe that ran: the probe's request
// from its page to the target, answered by what the server sent (the last
// preflight answer and the last answer to the request, as the browser saw
// them). nil when there is nothing to ask (no observation, or an answer
// the replay cannot stand for: redirects). maxAgeCap is the probing
// engine's cap on Access-Control-Max-Age (engineMaxAgeCap).
func standardOf(p Probe, obs *harness.Observation, target, path string, maxAgeCap int) *Standard {
	if obs == nil || len(obs.Exchange) == 0 {
		return nil
	}
	var srv scenarios.Server
	seen := false
	for _, m := range obs.Exchange {
		switch m.Kind {
		case "preflight response":
			r := answerOf(m)
			srv.Preflight = &r
		case "response":
			srv.Response, seen = answerOf(m), true
		case "redirect response":
			return nil
		}
	}
	if !seen && srv.Preflight == nil {
		return nil
	}
	if !seen {
		srv.Response = scenarios.Response{Status: 200} // never sent: the preflight decided
	}
	// The origin the request went to: the observation's URL (a lab label
	// such as bar has no origin of its own here), else the target.
	u := obs.URL
	if u == "" {
		u = target
	}
	origin, _, err := Target(u)
	if err != nil {
		return nil
	}
	page := p.Page
	if page == "null" {
		page = "sandboxed"
	}
	// The model puts a request on Prefix + Path: the probe's path is the
	// prefix, "/" the rest.
	req := p.Request("bar", "/")
	prefix := strings.TrimSuffix(p.Request("bar", path).Path, "/")
	req.Path = "/"
	sc := scenarios.Scenario{Name: "probe", Page: page, Request: req, Server: srv}
	env := fetchspec.Env{Origins: probeOrigins{bar: origin}, Prefix: prefix, MaxAgeCap: maxAgeCap}
	if prefix == "" {
		env.Prefix = "/"
		sc.Request.Path = ""
	}
	preds := fetchspec.Predict(sc, env)
	if len(preds) == 0 || preds[0].Outcome == "" {
		return nil
	}
	pr := preds[0]
	return &Standard{Outcome: pr.Outcome, FailedAt: pr.FailedAt, Trace: pr.Trace}
}

// answerOf is an observed answer as a scenario's server would send it.
func answerOf(m harness.Message) scenarios.Response {
	r := scenarios.Response{Status: m.Status}
	for _, h := range m.Headers {
		r.Headers = append(r.Headers, scenarios.Header{Name: h[0], Values: []string{h[1]}})
	}
	return r
}

// probeOrigins maps a probe's labels for the model: bar is the target's
// origin, a page is its own full origin, sandboxed is opaque.
type probeOrigins struct{ bar string }

func (o probeOrigins) Origin(label string) string {
	switch {
	case label == "bar":
		return o.bar
	case label == "sandboxed":
		return "null"
	case strings.Contains(label, "://"):
		return label
	}
	return ""
}

// Why is what a probe's why adds from the standard's trace: the step that
// decided, with its link; "" when the model could not say (or s is nil).
func (s *Standard) Why() string {
	k := s.Key()
	if k == nil {
		return ""
	}
	verb := "lets it through after"
	if k.Outcome == fetchspec.Failed {
		verb = "fails it at"
	}
	return fmt.Sprintf("; the Fetch standard %s %s step %s (%s)", verb, k.Algorithm, k.Number, k.URL)
}

// engineMaxAgeCap is the cap on Access-Control-Max-Age of the engine d
// runs probes in (harness.MaxAgeCap), which the model's view applies:
// Chromium's when d does not name its engine.
func engineMaxAgeCap(d Doer) int {
	if e, ok := d.(interface{ EngineName() string }); ok {
		return harness.MaxAgeCap(e.EngineName())
	}
	return harness.MaxAgeCap("chromium")
}

// A session names its engine.
var _ interface{ EngineName() string } = (*harness.Session)(nil)
