package fetchspec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/corslab/corslab/scenarios"
)

// Disagreements compares an expectation with the prediction, field by
// field, for the fields both decide, and returns one line per difference:
// "preflight: expected true, standard false". Placeholders in expected
// values are expanded with o.
func (p *StepPrediction) Disagreements(e scenarios.Expect, o scenarios.Origins) []string {
	var out []string
	differ := func(field string, want, got any) {
		out = append(out, fmt.Sprintf("%s: expected %v, standard %v", field, show(want), show(got)))
	}
	x := func(s string) string { return scenarios.Expand(s, "", o) }
	if e.Outcome != "" && p.Outcome != "" && e.Outcome != p.Outcome {
		got := p.Outcome
		if p.FailedAt != nil {
			got += " (" + p.FailedAt.Algorithm + " step " + p.FailedAt.Number + ")"
		}
		differ("outcome", e.Outcome, got)
	}
	// failed_check "" records an engine that names no step for its
	// refusal (Firefox's CORSDidNotSucceed2, or a security error with no
	// CORS message key): it says nothing of which check failed, so it is
	// no departure; the outcome still is compared.
	if c := p.FailedCheck(); e.FailedCheck != nil && *e.FailedCheck != "" && c != nil && *e.FailedCheck != *c {
		differ("failed_check", *e.FailedCheck, *c)
	}
	boolField := func(field string, want, got *bool) {
		if want != nil && got != nil && *want != *got {
			differ(field, *want, *got)
		}
	}
	boolField("preflight", e.Preflight, p.Preflight)
	boolField("preflight_cached", e.PreflightCached, p.PreflightCached)
	boolField("reached_server", e.ReachedServer, p.ReachedServer)
	boolField("redirected", e.Redirected, p.Redirected)
	boolField("cookie_set", e.CookieSet, p.CookieSet)
	if e.Status != nil && p.Status != nil && *e.Status != *p.Status {
		differ("status", *e.Status, *p.Status)
	}
	if e.ResponseType != "" && p.ResponseType != nil && e.ResponseType != *p.ResponseType {
		differ("response_type", e.ResponseType, *p.ResponseType)
	}
	if e.Body != nil && p.Body != nil && x(*e.Body) != *p.Body {
		differ("body", x(*e.Body), *p.Body)
	}
	for _, h := range e.ReadableHeaders {
		if r, known := p.HeaderReadable(h); known && !r {
			out = append(out, fmt.Sprintf("readable_headers: expected %s to be readable, the standard hides it", h))
		}
	}
	for _, h := range e.UnreadableHeaders {
		if r, known := p.HeaderReadable(h); known && r {
			out = append(out, fmt.Sprintf("unreadable_headers: expected %s to be hidden, the standard exposes it", h))
		}
	}
	if e.MethodReceived != "" && p.ReachedServer != nil {
		switch {
		case p.MethodReceived == nil && *p.ReachedServer == false:
			out = append(out, fmt.Sprintf("method_received: expected %s, the standard sends no actual request", e.MethodReceived))
		case p.MethodReceived != nil && *p.MethodReceived != e.MethodReceived:
			differ("method_received", e.MethodReceived, *p.MethodReceived)
		}
	}
	if e.CookiesSent != nil && p.CookiesSent != nil && len(*p.CookiesSent) == 0 && len(*e.CookiesSent) > 0 {
		out = append(out, fmt.Sprintf("cookies_sent: expected %s, the standard sends no cookie", strings.Join(*e.CookiesSent, "; ")))
	}
	out = append(out, p.elementDisagreements(e, x)...)
	out = append(out, p.headerDisagreements("server_received", "server_not_received", false, e.ServerReceived, e.ServerNotReceived, x)...)
	out = append(out, p.headerDisagreements("preflight_received", "preflight_not_received", true, e.PreflightReceived, e.PreflightNotReceived, x)...)
	return out
}

// headerDisagreements checks what the last preflight (or the actual request
// at its last hop) carries against want (name → value, "*" any) and
// unwanted names.
func (p *StepPrediction) headerDisagreements(field, notField string, preflight bool, want map[string]string, unwanted []string, x func(string) string) []string {
	if p.Outcome == "" {
		// The model stopped where it could not know: what went out is not
		// all of it.
		return nil
	}
	w := p.LastWire(preflight)
	if w == nil {
		var out []string
		for _, name := range sortedKeys(want) {
			out = append(out, fmt.Sprintf("%s: expected %s, the standard sends no such request", field, name))
		}
		return out
	}
	var out []string
	for _, name := range sortedKeys(want) {
		v, sent, known := w.Decided(name)
		switch {
		case !known:
		case !sent:
			out = append(out, fmt.Sprintf("%s: expected %s, the standard does not send it", field, name))
		case want[name] != "*" && x(want[name]) != v:
			out = append(out, fmt.Sprintf("%s: expected %s: %q, standard %q", field, name, x(want[name]), v))
		}
	}
	for _, name := range unwanted {
		if v, sent, known := w.Decided(name); known && sent {
			out = append(out, fmt.Sprintf("%s: expected no %s, the standard sends %q", notField, name, v))
		}
	}
	return out
}

// LastWire returns the last preflight (preflight true) or the last actual
// request the model sent, or nil.
func (p *StepPrediction) LastWire(preflight bool) *WireRequest {
	for i := len(p.Requests) - 1; i >= 0; i-- {
		if p.Requests[i].Preflight == preflight {
			return &p.Requests[i]
		}
	}
	return nil
}

func show(v any) any {
	if s, ok := v.(string); ok {
		if s == "" {
			return `""`
		}
		if strings.ContainsAny(s, " ,\"") {
			return fmt.Sprintf("%q", s)
		}
	}
	return v
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
