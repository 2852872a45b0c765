package harness

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/servers"
)

// ModelDisagreements compares what the Fetch standard predicts for a request
// (fetchspec.Predict) with what was observed, field by field, for the fields
// both know, and returns one line per difference: "preflight: standard
// true, observed false". A field the model does not predict (nil, or listed
// in NotPredicted) is not compared; so is a field the observation lacks (no
// journal for a server outside the lab).
func ModelDisagreements(p *fetchspec.StepPrediction, o *Observation) []string {
	if p == nil || o == nil || p.Outcome == "" {
		return nil
	}
	var out []string
	differ := func(field string, standard, observed any) {
		out = append(out, fmt.Sprintf("%s: standard %v, observed %v", field, show(standard), show(observed)))
	}
	if p.Outcome != o.Outcome {
		std := p.Outcome
		if p.FailedAt != nil {
			std += " (" + p.FailedAt.Algorithm + " step " + p.FailedAt.Number + ")"
		}
		differ("outcome", std, o.Outcome)
	}
	boolField := func(field string, standard *bool, observed bool) {
		if standard != nil && *standard != observed {
			differ(field, *standard, observed)
		}
	}
	boolField("preflight", p.Preflight, o.Preflight)
	boolField("preflight_cached", p.PreflightCached, o.PreflightCached)
	boolField("reached_server", p.ReachedServer, o.ReachedServer)
	boolField("cookie_set", p.CookieSet, o.CookieSet)
	if p.JSError != "" && o.Outcome == p.Outcome && !strings.Contains(o.JSError, p.JSError) {
		differ("js_error", p.JSError, o.JSError)
	}
	if p.Outcome == o.Outcome && o.Outcome == "allowed" {
		out = append(out, responseDisagreements(p, o)...)
	}
	if p.CookiesSent != nil && len(*p.CookiesSent) == 0 && len(o.CookiesSent) > 0 {
		differ("cookies_sent", "none", strings.Join(o.CookiesSent, "; "))
	}
	if a := o.ActualEntry(); a != nil && p.MethodReceived != nil && *p.MethodReceived != a.Method {
		differ("method_received", *p.MethodReceived, a.Method)
	}
	out = append(out, elementModelDisagreements(p, o)...)
	out = append(out, wireDisagreements("preflight headers", p.LastWire(true), o.PreflightEntry())...)
	out = append(out, wireDisagreements("request headers", p.LastWire(false), o.ActualEntry())...)
	return out
}

// responseDisagreements compares what the page read.
func responseDisagreements(p *fetchspec.StepPrediction, o *Observation) []string {
	var out []string
	differ := func(field string, standard, observed any) {
		out = append(out, fmt.Sprintf("%s: standard %v, observed %v", field, show(standard), show(observed)))
	}
	if p.Status != nil && *p.Status != o.Status {
		differ("status", *p.Status, o.Status)
	}
	if p.ResponseType != nil && *p.ResponseType != o.ResponseType {
		differ("response_type", *p.ResponseType, o.ResponseType)
	}
	if p.Body != nil && *p.Body != o.Body {
		differ("body", *p.Body, o.Body)
	}
	if p.Redirected != nil && *p.Redirected != o.Redirected {
		differ("redirected", *p.Redirected, o.Redirected)
	}
	for _, name := range sortedKeys(o.ReadableHeaders) {
		if readable, known := p.HeaderReadable(name); known && !readable {
			out = append(out, fmt.Sprintf("readable_headers: the standard hides %s, observed readable (%q)", name, o.ReadableHeaders[name]))
		} else if v, ok := p.ReadableHeaders[name]; ok && v != o.ReadableHeaders[name] {
			out = append(out, fmt.Sprintf("readable_headers: %s: standard %q, observed %q", name, v, o.ReadableHeaders[name]))
		}
	}
	for _, name := range sortedKeys(p.ReadableHeaders) {
		if _, ok := o.ReadableHeaders[name]; !ok {
			out = append(out, fmt.Sprintf("readable_headers: the standard exposes %s, observed hidden", name))
		}
	}
	return out
}

// wireDisagreements compares the headers the standard decides for a request
// with what the server received (entry nil: it never arrived; that is
// reached_server's or preflight's to say).
func wireDisagreements(what string, w *fetchspec.WireRequest, entry *servers.Entry) []string {
	if w == nil || entry == nil {
		return nil
	}
	var out []string
	names := slices.Clone(w.Absent)
	for _, h := range w.Headers {
		if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, h.Name) }) {
			names = append(names, h.Name)
		}
	}
	for _, name := range names {
		v, sent, known := w.Decided(name)
		if !known {
			continue
		}
		vals, got := entry.Headers[http.CanonicalHeaderKey(name)]
		observed := strings.Join(vals, ", ")
		switch {
		case sent && !got:
			out = append(out, fmt.Sprintf("%s: the standard sends %s: %q, the server did not receive it", what, name, v))
		case !sent && got:
			out = append(out, fmt.Sprintf("%s: the standard does not send %s, the server received %q", what, name, observed))
		case sent && v != observed:
			out = append(out, fmt.Sprintf("%s: %s: standard %q, observed %q", what, name, v, observed))
		}
	}
	return out
}
