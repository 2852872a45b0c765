// Package fetchspec is the CORS part of the WHATWG Fetch standard, written
// in Go as the standard writes it: one function per algorithm, named as the
// standard names it, its section linked in the doc comment and its numbered
// steps as one-line comments above the code that does them, so that the code
// can be read beside https://fetch.spec.whatwg.org/ (quoted at commit
// 586cd2a of whatwg/fetch).
//
// Header names and values are byte sequences; a Go string holds them byte
// for byte, and every comparison here is the standard's: byte-exact unless
// the standard says byte-case-insensitive.
//
// The algorithms that decide (CORSCheck, CORSPreflightFetch, the cache
// matches, HTTPRedirectFetch) record what they looked at in a Trace: the
// ordered steps taken, each with its section link, the header line or
// value it read and whether it passed. Predict runs a whole scenario through
// them and says, per request, what a browser that follows the standard
// would do.
//
// The package imports nothing of corslab's but scenarios.
package fetchspec

import (
	"fmt"
	"strings"
)

// Spec is the address of the Fetch standard; section anchors are appended.
const Spec = "https://fetch.spec.whatwg.org/"

// Outcomes of a traced step.
const (
	// Passed: a check the step makes held.
	Passed = "passed"
	// Failed: a check the step makes did not hold; the algorithm returns
	// failure or a network error here.
	Failed = "failed"
	// Done: the step does something (appends a header, sets a flag) and
	// checks nothing.
	Done = "done"
)

// Step is one step of an algorithm the model took.
type Step struct {
	// Algorithm is the standard's name for the algorithm, e.g. "CORS check".
	Algorithm string `json:"algorithm"`
	// Number is the step's number in the standard, e.g. "7.5".
	Number string `json:"step"`
	// URL is the section, e.g. https://fetch.spec.whatwg.org/#concept-cors-check.
	URL string `json:"url"`
	// Says is what the step does, in a few words.
	Says string `json:"says"`
	// Saw is the exact header line or value the step looked at, if any.
	Saw string `json:"saw,omitempty"`
	// Outcome is Passed, Failed or Done.
	Outcome string `json:"outcome"`
	// Subject is what a check is about, when it names one thing: the
	// method or request-header name a preflight's answer must allow, the
	// Access-Control-Allow-Origin value compared.
	Subject string `json:"subject,omitempty"`
}

// String writes the step on one line: "✓ CORS check 4: … (saw …)".
func (s Step) String() string {
	mark := map[string]string{Passed: "✓", Failed: "✗", Done: "·"}[s.Outcome]
	out := fmt.Sprintf("%s %s step %s: %s", mark, s.Algorithm, s.Number, s.Says)
	if s.Saw != "" {
		out += " [" + s.Saw + "]"
	}
	return out
}

// Trace is the ordered list of steps an algorithm (or a whole fetch) took.
// A nil *Trace records nothing, so the algorithms can be called without one.
type Trace struct {
	Steps []Step
}

// add records a step; anchor is a section of the Fetch standard, or a full
// URL for another standard (XMLHttpRequest).
func (t *Trace) add(algorithm, anchor, number, outcome, saw, says string, args ...any) {
	if t == nil {
		return
	}
	if len(args) > 0 {
		says = fmt.Sprintf(says, args...)
	}
	u := anchor
	if !strings.HasPrefix(anchor, "https://") {
		u = Spec + "#" + anchor
	}
	t.Steps = append(t.Steps, Step{Algorithm: algorithm, Number: number, URL: u, Says: says, Saw: saw, Outcome: outcome})
}

// check records a step that checks something and returns ok, so a caller
// can write `if !t.check(...) { return failure }`.
func (t *Trace) check(ok bool, algorithm, anchor, number, saw, says string, args ...any) bool {
	outcome := Passed
	if !ok {
		outcome = Failed
	}
	t.add(algorithm, anchor, number, outcome, saw, says, args...)
	return ok
}

// about sets the subject of the last step recorded (see Step.Subject).
func (t *Trace) about(subject string) {
	if t != nil && len(t.Steps) > 0 {
		t.Steps[len(t.Steps)-1].Subject = subject
	}
}

// failedSince returns the first failed step recorded after the first n
// steps (the check that made an algorithm fail), or the last step.
func (t *Trace) failedSince(n int) *Step {
	if t == nil {
		return nil
	}
	for i := n; i < len(t.Steps); i++ {
		if t.Steps[i].Outcome == Failed {
			s := t.Steps[i]
			return &s
		}
	}
	return t.last()
}

// mark returns how many steps are recorded, for failedSince.
func (t *Trace) mark() int {
	if t == nil {
		return 0
	}
	return len(t.Steps)
}

// last returns the last step recorded, or nil.
func (t *Trace) last() *Step {
	if t == nil || len(t.Steps) == 0 {
		return nil
	}
	s := t.Steps[len(t.Steps)-1]
	return &s
}

// line renders a header as it was on the wire, for Step.Saw.
func line(name, value string) string { return name + ": " + value }

// lines renders every header line of name in l, or "no NAME header".
func lines(l HeaderList, name string) string {
	var out string
	for _, h := range l {
		if byteLowercase(h.Name) == byteLowercase(name) {
			if out != "" {
				out += " | "
			}
			out += line(h.Name, h.Value)
		}
	}
	if out == "" {
		return "no " + name + " header"
	}
	return out
}
