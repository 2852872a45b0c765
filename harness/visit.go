package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// A Visit runs a scenario in a browser the harness does not drive: the
// playground visitor's own browser. The harness registers the scenario's
// server and hands out each step's request (the very function and argument
// its own pages run); the visitor's page runs it and sends back what
// JavaScript saw, and the harness assembles the observation from that and
// bar's journal. The browser's side (its events, CORS reason, console) is
// not observable there, so expectations of it are not compared: the
// result's Unobserved lists them.
type Visit struct {
	s  *Session
	sc scenarios.Scenario
	// Prefix is the scenario's unique path on the lab's origins.
	Prefix string `json:"prefix"`
	// Function is the JavaScript source of the page's request function.
	Function string `json:"function"`
	// Steps are the requests, in order.
	Steps []VisitStep `json:"steps"`

	mu      sync.Mutex
	results []StepResult
	mark    int // journal length when the current step began
	began   int // the step begun last, -1 before the first
}

// VisitStep is one request of a visit.
type VisitStep struct {
	// Page is the step's page label (foo, evil, sandboxed).
	Page string `json:"page"`
	// Origin is the page's origin ("null" when sandboxed).
	Origin string `json:"origin"`
	// After is how long to wait before the step, in milliseconds.
	After int64 `json:"after_ms,omitempty"`
	// Call is the argument of Function for this step.
	Call json.RawMessage `json:"call"`
}

// unobservable are the expectation fields only the browser's own reports
// can decide; a visitor's browser does not give them to the page.
var unobservable = []string{"failed_check", "cors_error", "failed_parameter", "console", "cookie_set", "from_cache"}

// BeginVisit registers sc for a visit. Full-origin pages
// (https://app.example.com) and cookie scenarios need a browser the harness
// controls, and are refused.
func (s *Session) BeginVisit(sc scenarios.Scenario) (*Visit, error) {
	if usesCookies(sc) {
		return nil, errors.New("scenarios with cookies or third_party_cookies need a browser corslab drives: run them headless")
	}
	v := &Visit{s: s, sc: sc, Function: pageFunc, began: -1}
	for i, st := range sc.RequestSteps() {
		label := pageLabel(st)
		if strings.Contains(label, "://") {
			return nil, fmt.Errorf("step %d: page %s: a full origin needs a browser corslab drives: run it headless", i+1, label)
		}
		origin := "null"
		if label != "sandboxed" {
			origin = s.Lab.Origin(label)
		}
		v.Steps = append(v.Steps, VisitStep{Page: label, Origin: origin, After: st.After.D().Milliseconds()})
	}
	v.Prefix = s.Lab.Register(sc.Name, sc.Server)
	for i, st := range sc.RequestSteps() {
		arg, err := json.Marshal(s.pageRequest(v.Prefix, st.Request))
		if err != nil {
			s.Lab.Forget(v.Prefix)
			return nil, fmt.Errorf("encoding step %d: %w", i+1, err)
		}
		v.Steps[i].Call = arg
	}
	return v, nil
}

// Begin readies step i (0-based): bar answers as the step's server says,
// and the journal from now on is the step's.
func (v *Visit) Begin(i int) error {
	steps := v.sc.RequestSteps()
	v.mu.Lock()
	defer v.mu.Unlock()
	if i != len(v.results) || i >= len(steps) {
		return fmt.Errorf("step %d cannot begin now: %d of %d steps are done", i+1, len(v.results), len(steps))
	}
	v.s.Lab.Configure(v.Prefix, v.sc.StepServer(steps[i]))
	v.mark = len(v.s.Lab.Journal(v.Prefix))
	v.began = i
	return nil
}

// Finish takes what the page saw for step i (the request function's JSON
// result) and returns the step's observation and verdict, from the page
// and bar's journal.
func (v *Visit) Finish(i int, page []byte) (StepResult, error) {
	steps := v.sc.RequestSteps()
	v.mu.Lock()
	defer v.mu.Unlock()
	if i != v.began || i != len(v.results) {
		return StepResult{}, fmt.Errorf("step %d was not begun", i+1)
	}
	var r pageResult
	if err := json.Unmarshal(page, &r); err != nil {
		return StepResult{}, fmt.Errorf("the page's result: %w", err)
	}
	st := steps[i]
	// The page's promise settled, so what reached bar for it has arrived;
	// a short grace covers a request still being journaled.
	time.Sleep(50 * time.Millisecond)
	entries := v.s.Lab.Journal(v.Prefix)[v.mark:]
	obs := &Observation{Page: v.Steps[i].Origin, URL: v.s.targetURL(v.Prefix, st.Request), Requests: entries}
	sr := StepResult{Expect: st.Expect, Observed: obs}
	if err := servers.ServerLayerError(entries); err != nil {
		sr.Error = err.Error()
	} else {
		assemble(obs, r, engine.View{}, engine.Capabilities{}, false)
		inferPreflightCached(obs, st.Request, v.Steps[i].Origin)
		sr.Mismatches = Compare(v.s.ExpandExpect(observable(st.Expect)), obs)
	}
	v.results = append(v.results, sr)
	return sr, nil
}

// Result is the visit's result so far, judged as Run judges, with the
// browser-only fields of the expectation left out.
func (v *Visit) Result() Result {
	v.mu.Lock()
	defer v.mu.Unlock()
	res := Result{Scenario: v.sc, Steps: append([]StepResult(nil), v.results...)}
	if len(res.Steps) == 0 {
		res.Verdict, res.Error = Error, "no step was run"
		return res
	}
	res.judge()
	return res
}

// End forgets the visit's path and journal.
func (v *Visit) End() { v.s.Lab.Forget(v.Prefix) }

// Unobservable names the expectation fields a visit cannot compare.
func Unobservable() []string { return append([]string(nil), unobservable...) }

// observable is e without the fields only the browser can report.
func observable(e scenarios.Expect) scenarios.Expect {
	e.FailedCheck, e.CorsError, e.FailedParameter = nil, nil, nil
	e.Console = ""
	e.CookieSet, e.FromCache = nil, nil
	return e
}
