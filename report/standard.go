package report

import (
	"fmt"
	"strings"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// modelView is the Fetch standard's trace of one request (the model's
// prediction, fetchspec.Predict), cut where each request it sends begins,
// so that each answer on the wire can be set beside the standard's checks
// of it. A nil *modelView (no prediction) gives no steps.
type modelView struct {
	p     *fetchspec.StepPrediction
	trace []fetchspec.Step
	// before are the steps before the first request: the page's call and
	// main fetch's choice (basic, opaque, CORS, with a preflight or not).
	before []fetchspec.Step
	// preflights and actuals are the requests in the order they are sent.
	preflights, actuals []segment
	// failedAt is the index in trace of the step that failed the request
	// (the prediction's FailedAt), -1 for none.
	failedAt int
}

// segment is the standard's steps for one request it sends: those that
// make the request (credentials, Origin) and those about its answer (the
// checks, a redirect followed); start and end index the trace.
type segment struct {
	request, answer []fetchspec.Step
	start, end      int
}

// requestAlgorithms are the algorithms whose steps at the head of a
// segment put headers on the request rather than check its answer.
var requestAlgorithms = []string{"HTTP-network-or-cache fetch", "append a request Origin header"}

func newModelView(mv *harness.ModelVerdict) *modelView {
	if mv == nil || mv.Predicted == nil {
		return nil
	}
	m := &modelView{p: mv.Predicted, trace: mv.Trace, failedAt: -1}
	if m.trace == nil {
		m.trace = mv.Predicted.Trace
	}
	if f := m.p.FailedAt; f != nil {
		for i, s := range m.trace {
			if s == *f {
				m.failedAt = i
			}
		}
	}
	end := len(m.trace)
	if len(m.p.Requests) > 0 {
		end = min(m.p.Requests[0].TraceAt, len(m.trace))
	}
	m.before = m.trace[:end]
	for i, w := range m.p.Requests {
		start, stop := min(w.TraceAt, len(m.trace)), len(m.trace)
		if i+1 < len(m.p.Requests) {
			stop = min(m.p.Requests[i+1].TraceAt, len(m.trace))
		}
		seg := segment{start: start, end: stop}
		steps := m.trace[start:stop]
		k := 0
		for k < len(steps) && containsString(requestAlgorithms, steps[k].Algorithm) {
			k++
		}
		seg.request, seg.answer = steps[:k], steps[k:]
		if w.Preflight {
			m.preflights = append(m.preflights, seg)
		} else {
			m.actuals = append(m.actuals, seg)
		}
	}
	return m
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// preflight and actual return the standard's i-th preflight or actual
// request, or nil when the standard sends no such request.
func (m *modelView) preflight(i int) *segment {
	if m == nil || i >= len(m.preflights) {
		return nil
	}
	return &m.preflights[i]
}

func (m *modelView) actual(i int) *segment {
	if m == nil || i >= len(m.actuals) {
		return nil
	}
	return &m.actuals[i]
}

// fails reports whether the standard fails the request in this segment.
func (m *modelView) fails(s *segment) bool {
	return m != nil && s != nil && m.failedAt >= s.start && m.failedAt < s.end
}

// failure is the step that fails the request and whether it judged the
// preflight's answer; nil when the standard lets the request through (or
// cannot say).
func (m *modelView) failure() (*fetchspec.Step, bool) {
	if m == nil || m.failedAt < 0 {
		return nil, false
	}
	for i := range m.preflights {
		if m.fails(&m.preflights[i]) {
			return &m.trace[m.failedAt], true
		}
	}
	return &m.trace[m.failedAt], false
}

// stepChecks renders steps of the standard as checks: ✓ passed, ✗ failed,
// · a step that does something and checks nothing; each links its section.
func stepChecks(steps []fetchspec.Step) []Check {
	var out []Check
	for _, s := range steps {
		state := map[string]string{fetchspec.Passed: CheckOK, fetchspec.Failed: CheckFail}[s.Outcome]
		if state == "" {
			state = CheckNote
		}
		out = append(out, Check{State: state, Text: stepText(s), Spec: s.URL})
	}
	return out
}

// stepText is a step in words: "CORS check step 4: … [Access-Control-Allow-Origin: …]".
func stepText(s fetchspec.Step) string {
	t := s.Algorithm + " step " + s.Number + ": " + s.Says
	if s.Saw != "" {
		t += " [" + s.Saw + "]"
	}
	return t
}

// answerTitle heads the standard's checks of an answer.
func answerTitle(m *modelView, s *segment, preflight, last bool) string {
	switch {
	case m.fails(s) && preflight:
		f := m.trace[m.failedAt]
		return fmt.Sprintf("The Fetch standard checks the answer: it fails at %s step %s, so the actual request is not sent", f.Algorithm, f.Number)
	case m.fails(s):
		f := m.trace[m.failedAt]
		return fmt.Sprintf("The Fetch standard checks the answer: it fails at %s step %s, so the page may not read it", f.Algorithm, f.Number)
	case preflight:
		return "The Fetch standard checks the answer: the preflight passes"
	case !last:
		return "The Fetch standard checks the answer: it passes, and the redirect is followed"
	case m.p.Outcome == scenarios.OutcomeAllowed:
		return "The Fetch standard checks the answer: it passes, so the page may read it"
	}
	return "The Fetch standard's steps for this answer"
}

// standardSays is what the standard does with the request, in a sentence.
func standardSays(m *modelView) string {
	if m == nil {
		return ""
	}
	p := m.p
	switch p.Outcome {
	case scenarios.OutcomeBlocked:
		if f := p.FailedAt; f != nil {
			return fmt.Sprintf("The Fetch standard fails this at %s step %s: %s%s <%s>", f.Algorithm, f.Number, f.Says, sawNote(*f), f.URL)
		}
		return "The Fetch standard fails this with a network error."
	case scenarios.OutcomeAllowed:
		s := "The Fetch standard lets this through"
		if p.ResponseType != nil {
			s += ": the page gets a " + *p.ResponseType + " response"
		}
		return s + "."
	}
	for _, n := range p.NotPredicted {
		if r, ok := strings.CutPrefix(n, "outcome and what follows: "); ok {
			return "The Fetch standard cannot say here: " + r + "."
		}
	}
	return "The Fetch standard cannot say here."
}

func sawNote(s fetchspec.Step) string {
	if s.Saw == "" {
		return ""
	}
	return " [" + s.Saw + "]"
}

// differ says, from the model's disagreements, where what the browser did
// departs from the standard: the failing step when one lets through what
// the other refuses, and whether the scenario records the departure.
func differ(m *modelView, mv *harness.ModelVerdict, o *harness.Observation, browser string, marked bool) string {
	if mv == nil || mv.Agrees {
		return ""
	}
	var s string
	f := m.p.FailedAt
	switch {
	case m.p.Outcome == scenarios.OutcomeBlocked && o.Outcome == scenarios.OutcomeAllowed && f != nil:
		s = fmt.Sprintf("The Fetch standard fails this at %s step %s because %s%s; %s let it through.", f.Algorithm, f.Number, f.Says, sawNote(*f), browser)
	case m.p.Outcome == scenarios.OutcomeAllowed && o.Outcome == scenarios.OutcomeBlocked:
		s = fmt.Sprintf("The Fetch standard lets this through (every check passes); %s blocked it", browser)
		if r := engineReason(o); r != "" {
			s += " (" + r + ")"
		}
		s += "."
	default:
		s = fmt.Sprintf("What %s did departs from the Fetch standard in the lines below.", browser)
	}
	if marked {
		return s + " The scenario records this departure (divergence)."
	}
	return s + " The scenario is not marked as a divergence: a departure not yet recorded, or a fault of the model."
}

// engineReason is the engine's own name for a failure: "CorsError (failed parameter)".
func engineReason(o *harness.Observation) string {
	if o.CorsError == "" {
		return ""
	}
	r := o.CorsError
	if o.FailedParameter != "" {
		r += " (" + o.FailedParameter + ")"
	}
	return r
}
