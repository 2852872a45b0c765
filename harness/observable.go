package harness

import (
	"fmt"
	"slices"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/scenarios"
)

// NotObservable says what an engine cannot observe at all: fields only the
// browser's own reports decide, which an engine without them (WebKit under
// WebDriver) never sees. Such a field is not blank and not inferred: the
// reports say "not observable in <Engine>", and an expectation of it is
// not compared there (StepResult.NotCompared lists it).
type NotObservable struct {
	// Engine is the engine's display name, e.g. WebKit.
	Engine string `json:"engine"`
	// Fields are the fields, by their JSON names.
	Fields []string `json:"fields"`
}

// Has says whether field is one the engine cannot observe.
func (n *NotObservable) Has(field string) bool { return n != nil && slices.Contains(n.Fields, field) }

// notObservable is what an engine with caps cannot observe; nil when it
// observes every browser-side field (Chromium, Firefox).
func notObservable(name string, caps engine.Capabilities) *NotObservable {
	var f []string
	if !caps.Network {
		f = append(f, "exchange", "net_error")
	}
	if !caps.Reason {
		f = append(f, "cors_error", "failed_parameter", "failed_check")
	}
	if !caps.Console {
		f = append(f, "console")
	}
	if !caps.Issues {
		f = append(f, "issues")
	}
	if len(f) == 0 {
		return nil
	}
	return &NotObservable{Engine: EngineTitle(name), Fields: f}
}

// EngineTitle is an engine's name as people write it: WebKit for webkit.
func EngineTitle(name string) string {
	switch name {
	case "chromium":
		return "Chromium"
	case "firefox":
		return "Firefox"
	case "webkit":
		return "WebKit"
	}
	return name
}

// comparable splits an expectation into what the observation can be
// compared on, and the expectations of fields the engine cannot observe,
// each said as "failed_check: expected "CORS check step 2", not observable
// in WebKit".
func comparable(e scenarios.Expect, o *Observation) (scenarios.Expect, []string) {
	n := o.NotObservable
	if n == nil {
		return e, nil
	}
	var out []string
	drop := func(field string, set bool, want any, clear func()) {
		if set && n.Has(field) {
			out = append(out, fmt.Sprintf("%s: expected %v, not observable in %s", field, show(want), n.Engine))
			clear()
		}
	}
	drop("failed_check", e.FailedCheck != nil, deref(e.FailedCheck), func() { e.FailedCheck = nil })
	drop("cors_error", e.CorsError != nil, deref(e.CorsError), func() { e.CorsError = nil })
	drop("failed_parameter", e.FailedParameter != nil, deref(e.FailedParameter), func() { e.FailedParameter = nil })
	drop("console", e.Console != "", e.Console, func() { e.Console = "" })
	return e, out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
