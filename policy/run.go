package policy

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// Doer runs one request from a page; *harness.Session is one.
type Doer interface {
	Do(ctx context.Context, page string, req scenarios.Request) (*harness.Observation, error)
}

// Result is a probe's verdict.
type Result struct {
	Probe Probe `json:"probe"`
	// Expected and Observed are short phrases: "allowed", "blocked after a
	// preflight", "error".
	Expected string `json:"expected"`
	Observed string `json:"observed"`
	// State is pass, fail, inconclusive (the probe could not decide, e.g.
	// the response carries no header whose exposure it checks) or error
	// (the probe could not run).
	State string `json:"state"`
	// Pass is true when the browser did what the policy says.
	Pass bool `json:"pass"`
	// Why explains the observation: Chromium's reason and the server's
	// answer that led to it.
	Why string `json:"why"`
	// Error is a harness error (the probe could not run), "" otherwise.
	Error string `json:"error,omitempty"`
	// Standard is what the Fetch standard says about the request, given
	// the server's answers (inferred, asked of fetchspec): set for a probe
	// that does not match the policy.
	Standard *Standard `json:"standard,omitempty"`
	// Observation is the full record, for reports.
	Observation *harness.Observation `json:"observation,omitempty"`
	Duration    time.Duration        `json:"-"`
}

// Result states.
const (
	StatePass         = "pass"
	StateFail         = "fail"
	StateInconclusive = "inconclusive"
	StateError        = "error"
)

// Target splits a target URL into the origin and the path (with query)
// probes request.
func Target(raw string) (origin, path string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("target %q is not an absolute URL", raw)
	}
	path = u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return u.Scheme + "://" + u.Host, path, nil
}

// Judge compares what the browser did with what the policy implies.
func Judge(p Probe, obs *harness.Observation, err error) Result {
	r := Result{Probe: p, Expected: p.Expect.String(), Observation: obs}
	r.State = StateError
	if err != nil {
		r.Observed, r.Error, r.Why = "error", err.Error(), "the probe could not run: "+err.Error()
		return r
	}
	if obs == nil {
		r.Observed, r.Error, r.Why = "error", "no observation", "the probe could not run"
		return r
	}
	r.State = StateFail
	allowed := obs.Outcome == scenarios.OutcomeAllowed
	r.Observed = "blocked"
	if allowed {
		r.Observed = fmt.Sprintf("allowed (%d)", obs.Status)
	}
	if !allowed {
		if st := lastStatus(obs, "response"); st != 0 {
			r.Observed += fmt.Sprintf(" (server answered %d)", st)
		}
	}
	if obs.Preflight {
		r.Observed += " after a preflight"
		if st := preflightStatus(obs); st != 0 {
			r.Observed += fmt.Sprintf(" (%d)", st)
		}
	}
	var problems, undecided []string
	status := lastStatus(obs, "response")
	if p.Expect.ErrorStatus && status >= 200 && status <= 299 {
		undecided = append(undecided, fmt.Sprintf("the server answered %d to a path that should not exist, so no error response was probed: list an error path (a 401 endpoint) under paths", status))
	}
	switch {
	case p.Expect.Allowed && !allowed && p.Expect.MayBlock:
		r.Why = blockReason(obs) + " (accepted: error_responses: unreadable)"
	case p.Expect.Allowed && !allowed:
		problems = append(problems, "the browser blocked it: "+blockReason(obs))
	case !p.Expect.Allowed && allowed:
		problems = append(problems, fmt.Sprintf("the page on %s could read the response: the server answered %s", obs.Page, corsHeaders(obs, false)))
	case !allowed:
		r.Why = blockReason(obs)
	default:
		r.Why = "the server answered " + corsHeaders(obs, false)
	}
	if p.Expect.Preflight != nil && *p.Expect.Preflight && !obs.Preflight && allowed {
		problems = append(problems, "no preflight went out although the request needs one")
	}
	if allowed {
		for _, h := range p.Expect.Readable {
			if _, ok := obs.ReadableHeaders[strings.ToLower(h)]; ok {
				continue
			}
			if responseHeader(obs, "response", h) == "" {
				undecided = append(undecided, fmt.Sprintf("the response carries no %s header, so its exposure cannot be checked here: point the target at a resource that sends it", h))
				continue
			}
			aceh := responseHeader(obs, "response", "Access-Control-Expose-Headers")
			problems = append(problems, fmt.Sprintf("JavaScript could not read %s (Access-Control-Expose-Headers: %s)", h, orNone(aceh)))
		}
		if len(p.Expect.Readable) > 0 && len(problems) == 0 && len(undecided) == 0 {
			r.Observed += ", reads " + strings.Join(p.Expect.Readable, ", ")
		}
	}
	if p.Expect.MaxAge != nil && obs.Preflight {
		got := responseHeader(obs, "preflight response", "Access-Control-Max-Age")
		if got != strconv.Itoa(*p.Expect.MaxAge) {
			problems = append(problems, fmt.Sprintf("the preflight answer says Access-Control-Max-Age: %s", orNone(got)))
		} else {
			r.Observed += ", max-age " + got
		}
	}
	if p.Expect.VaryOrigin {
		vary := responseHeader(obs, "response", "Vary")
		switch {
		case !hasToken(vary, "Origin") && !hasToken(vary, "*"):
			problems = append(problems, fmt.Sprintf("the answer carries no Vary: Origin (Vary: %s): a shared cache may hand it to another origin", orNone(vary)))
		default:
			r.Observed += ", Vary: " + vary
		}
	}
	if len(problems) > 0 {
		r.Why = strings.Join(problems, "; ")
		return r
	}
	if len(undecided) > 0 {
		r.State, r.Why = StateInconclusive, strings.Join(undecided, "; ")
		return r
	}
	r.State, r.Pass = StatePass, true
	return r
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// blockReason is Chromium's reason for blocking, with its console sentence.
func blockReason(o *harness.Observation) string {
	var parts []string
	if o.CorsError != "" {
		reason := o.CorsError
		if o.FailedParameter != "" {
			reason += " (" + o.FailedParameter + ")"
		}
		parts = append(parts, reason)
	}
	if o.Console != "" {
		msg := o.Console
		if _, after, ok := strings.Cut(msg, "has been blocked by CORS policy: "); ok {
			msg = after
		}
		parts = append(parts, msg)
	}
	if len(parts) == 0 {
		if o.NetError != "" {
			return o.NetError
		}
		if o.JSError != "" {
			return o.JSError
		}
		return "no reason given"
	}
	return strings.Join(parts, ": ")
}

// corsHeaders lists the Access-Control-* headers of the last response the
// browser saw.
func corsHeaders(o *harness.Observation, preflight bool) string {
	kind := "response"
	if preflight {
		kind = "preflight response"
	}
	var parts []string
	for _, m := range o.Exchange {
		if m.Kind != kind {
			continue
		}
		parts = parts[:0]
		for _, h := range m.Headers {
			if strings.HasPrefix(strings.ToLower(h[0]), "access-control-") {
				parts = append(parts, h[0]+": "+h[1])
			}
		}
	}
	if len(parts) == 0 {
		return "no Access-Control-* headers"
	}
	return strings.Join(parts, ", ")
}

// responseHeader is a header of the last message of kind, "" when absent.
func responseHeader(o *harness.Observation, kind, name string) string {
	v := ""
	for _, m := range o.Exchange {
		if m.Kind != kind {
			continue
		}
		v = ""
		for _, h := range m.Headers {
			if strings.EqualFold(h[0], name) {
				v = h[1]
			}
		}
	}
	return v
}

// hasToken reports whether a comma-separated header value lists tok.
func hasToken(v, tok string) bool {
	for _, t := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(t), tok) {
			return true
		}
	}
	return false
}

// preflightStatus is the status of the preflight answer, 0 when unknown.
func preflightStatus(o *harness.Observation) int { return lastStatus(o, "preflight response") }

// lastStatus is the status of the last message of kind, 0 when none.
func lastStatus(o *harness.Observation, kind string) int {
	st := 0
	for _, m := range o.Exchange {
		if m.Kind == kind {
			st = m.Status
		}
	}
	return st
}
