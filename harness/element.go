package harness

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
)

// fillElement takes what the page saw of an element's load (tainted, the
// script's error events), the request's resource timing, and the actual
// request's mode as the browser wrote it on the wire and the server
// received it (Sec-Fetch-Mode), and records who observed each.
func fillElement(o *Observation, r pageResult, v engine.View, caps engine.Capabilities) {
	if r.Tainted != nil {
		o.Tainted = *r.Tainted
		o.by("tainted", SidePage)
	}
	if len(r.ScriptErrors) > 0 {
		// Muted only if every error the script raised was muted.
		o.MutedErrors = true
		for _, e := range r.ScriptErrors {
			o.MutedErrors = o.MutedErrors && e.muted()
			o.ScriptErrors = append(o.ScriptErrors, fmt.Sprintf("%q at %s:%d:%d, error object: %v", e.Message, e.Filename, e.Line, e.Column, e.HasError))
		}
		o.by("muted_errors", SidePage)
	}
	if r.OK && r.URL != "" {
		o.ResponseURL = r.URL
		o.by("response_url", SidePage)
	}
	if r.Timing != nil {
		o.TimingAllowed = r.Timing.detailed()
		o.by("timing_allowed", SidePage)
	}
	browserMode := ""
	for _, n := range v.Requests {
		if n.Preflight || len(n.Hops) == 0 || !n.Hops[0].RawHeaders {
			continue
		}
		for _, h := range n.Hops[0].Headers {
			if http.CanonicalHeaderKey(h[0]) == "Sec-Fetch-Mode" {
				browserMode = h[1]
			}
		}
		break
	}
	serverMode := ""
	for _, e := range o.Requests {
		if !e.Preflight {
			serverMode = e.Headers.Get("Sec-Fetch-Mode")
			break
		}
	}
	switch {
	case serverMode != "":
		o.RequestMode = serverMode
		o.by("request_mode", SideServer)
		if browserMode == serverMode && caps.RawHeaders {
			o.by("request_mode", SideBrowser)
		}
	case browserMode != "":
		o.RequestMode = browserMode
		o.by("request_mode", SideBrowser)
	}
}

// compareElement checks the fields of an element's load and of resource
// timing: request_mode, tainted, muted_errors, timing_allowed. A field the
// page could not look at (no error event came, no timing entry was found)
// is a mismatch that says so, never a silent pass.
func compareElement(e scenarios.Expect, o *Observation) []string {
	var m []string
	seen := func(field string) bool { return len(o.ObservedBy[field]) > 0 }
	boolField := func(field string, want *bool, got bool, unseen string) {
		switch {
		case want == nil:
		case !seen(field):
			m = append(m, fmt.Sprintf("%s: expected %v, %s", field, *want, unseen))
		case *want != got:
			m = append(m, fmt.Sprintf("%s: expected %v, observed %v", field, *want, got))
		}
	}
	if e.ResponseURLOrigin != "" {
		if got := urlOrigin(o.ResponseURL); got != e.ResponseURLOrigin {
			m = append(m, fmt.Sprintf("response_url_origin: expected %s, observed %v (response URL %v)", e.ResponseURLOrigin, show(got), show(o.ResponseURL)))
		}
	}
	if e.RequestMode != "" && e.RequestMode != o.RequestMode {
		m = append(m, fmt.Sprintf("request_mode: expected %s, observed %v", e.RequestMode, show(o.RequestMode)))
	}
	boolField("tainted", e.Tainted, o.Tainted, "not observed: the element did not load, so the page could not try to read it")
	boolField("muted_errors", e.MutedErrors, o.MutedErrors, "not observed: no error event reached window (the script did not load, or did not throw)")
	boolField("timing_allowed", e.TimingAllowed, o.TimingAllowed, "not observed: the page found no PerformanceResourceTiming entry for the URL")
	return m
}

// urlOrigin is the serialized origin of an http(s) URL, "" when it has none.
func urlOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// elementModelDisagreements compares the standard's prediction of an
// element's load and of resource timing with what was observed; a field
// the page could not look at is not compared.
func elementModelDisagreements(p *fetchspec.StepPrediction, o *Observation) []string {
	var out []string
	boolField := func(field string, standard *bool, observed bool) {
		if standard != nil && len(o.ObservedBy[field]) > 0 && *standard != observed {
			out = append(out, fmt.Sprintf("%s: standard %v, observed %v", field, *standard, observed))
		}
	}
	boolField("tainted", p.Tainted, o.Tainted)
	boolField("muted_errors", p.MutedErrors, o.MutedErrors)
	boolField("timing_allowed", p.TimingAllowed, o.TimingAllowed)
	if p.ResponseURLOrigin != nil && o.ResponseURL != "" && *p.ResponseURLOrigin != urlOrigin(o.ResponseURL) {
		out = append(out, fmt.Sprintf("response_url_origin: standard %s, observed %s", *p.ResponseURLOrigin, urlOrigin(o.ResponseURL)))
	}
	if p.RequestMode != nil && o.RequestMode != "" && *p.RequestMode != o.RequestMode {
		out = append(out, fmt.Sprintf("request_mode: standard %s, observed %s", *p.RequestMode, o.RequestMode))
	}
	return out
}
