package harness

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
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

// ModelVerdict is one request of a run set beside the Fetch standard's
// prediction for it: every run is a differential run.
type ModelVerdict struct {
	// Predicted is what a browser that follows the standard does
	// (fetchspec.Predict), with the steps it took in Trace.
	Predicted *fetchspec.StepPrediction `json:"predicted"`
	Trace     []fetchspec.Step          `json:"trace"`
	// Agrees is true when no field both know differs.
	Agrees bool `json:"agrees"`
	// Disagreements are ModelDisagreements' lines ("preflight: standard
	// true, observed false").
	Disagreements []string `json:"disagreements"`
}

// NewModelVerdict compares a prediction with an observation (ModelDisagreements).
func NewModelVerdict(p *fetchspec.StepPrediction, o *Observation) *ModelVerdict {
	d := ModelDisagreements(p, o)
	if d == nil {
		d = []string{}
	}
	return &ModelVerdict{Predicted: p, Trace: p.Trace, Agrees: len(d) == 0, Disagreements: d}
}

// ModelEnv is what the model needs to predict a scenario run in this
// session under prefix: the origins its pages and bar are on, the
// scenario's path, the run's timeout and the engine's cap on
// Access-Control-Max-Age.
func (s *Session) ModelEnv(sc scenarios.Scenario, prefix string) fetchspec.Env {
	return fetchspec.Env{Origins: s.modelOrigins(sc), Prefix: prefix, MaxAgeCap: MaxAgeCap(s.eng.Name()), Timeout: s.timeout}
}

// modelOrigins are the lab's origins as the scenario meets them: a page or
// bar in the local address space is on its label's local twin
// (Lab.LocalOrigin), a public page on an engine that places pages by
// their address on the public twin, the target of another Local Network
// Access scenario on the loopback twin, as lnaTab and lnaTarget place
// them. Spaces are read from the first step (the catalog's Local Network
// Access scenarios keep one per scenario).
func (s *Session) modelOrigins(sc scenarios.Scenario) scenarios.Origins {
	steps := sc.RequestSteps()
	if len(steps) == 0 {
		return s.Lab
	}
	n := steps[0].LocalNetwork.WithDefaults()
	page := pageLabel(steps[0])
	o := twinOrigins{lab: s.Lab, local: map[string]bool{}}
	switch {
	case n.AddressSpace == scenarios.SpaceLocal:
		o.local[page] = true
	case n.AddressSpace == scenarios.SpacePublic && s.lnaPageOrigin(page, n.AddressSpace) != s.Lab.Origin(page):
		o.public = page
	}
	target := steps[0].Request.WithDefaults().Target
	switch {
	case n.TargetSpace == scenarios.SpaceLocal:
		o.local[target] = true
	case lnaScenario(sc) && target != page:
		o.loopback = target
	}
	if len(o.local) == 0 && o.loopback == "" && o.public == "" {
		return s.Lab
	}
	return o
}

// twinOrigins moves some labels to their local twins, one to the loopback
// twin and one to the public twin.
type twinOrigins struct {
	lab      *servers.Lab
	local    map[string]bool
	loopback string
	public   string
}

func (o twinOrigins) Origin(label string) string {
	u := ""
	switch {
	case o.local[label]:
		u = o.lab.LocalOrigin(label)
	case label == o.loopback:
		u = o.lab.LoopbackTwinOrigin(label)
	case label == o.public:
		u = o.lab.PublicTwinOrigin(label)
	}
	if u == "" {
		return o.lab.Origin(label)
	}
	return u
}

// MaxAgeCap is the cap an engine puts on Access-Control-Max-Age, in
// seconds (a browser's fact, measured: chromium-facts.md); 0 for an
// engine not known.
func MaxAgeCap(engineName string) int {
	switch engineName {
	case "chromium":
		return fetchspec.ChromiumMaxAgeCap
	case "firefox":
		return fetchspec.FirefoxMaxAgeCap
	}
	return 0
}

// ModelDisagreements lists every step's disagreements with the Fetch
// standard, "step N: " before each when the scenario has several steps.
func (r Result) ModelDisagreements() []string {
	var out []string
	for i, sr := range r.Steps {
		if sr.Model == nil {
			continue
		}
		for _, d := range sr.Model.Disagreements {
			if len(r.Steps) > 1 {
				d = fmt.Sprintf("step %d: %s", i+1, d)
			}
			out = append(out, d)
		}
	}
	return out
}

// DivergenceMarkError says what is wrong with a scenario's divergence mark
// given the run: a scenario marked divergence must disagree with the
// standard somewhere, and one not marked must agree everywhere. "" when the
// mark is right, or when no step was compared (not observed).
func (r Result) DivergenceMarkError() string {
	compared := false
	for _, sr := range r.Steps {
		compared = compared || sr.Model != nil
	}
	if !compared {
		return ""
	}
	d := r.ModelDisagreements()
	on := ""
	if r.Engine != "" {
		on = " on " + r.Engine
	}
	switch marked := r.Marked(); {
	case marked && len(d) == 0:
		return r.Scenario.Name + " is marked divergence" + on + ", yet what the browser did agrees with the Fetch standard"
	case !marked && len(d) > 0:
		return r.Scenario.Name + " is not marked divergence" + on + ", yet what the browser did disagrees with the Fetch standard:\n    " + strings.Join(d, "\n    ")
	}
	return ""
}

// Marked says whether the scenario is marked as departing from the Fetch
// standard on the result's engine (on any engine, when none is named).
func (r Result) Marked() bool {
	if r.Engine == "" {
		return r.Scenario.Divergence.Any()
	}
	return r.Scenario.Divergence.Has(r.Engine)
}
