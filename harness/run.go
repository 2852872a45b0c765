package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
)

// Run runs every step of a scenario and returns the verdict. Errors of the
// harness (timeouts, a dead browser) give the verdict "error". Run may be
// called from several goroutines: scenarios that share state wait for each
// other (sharedState), and at most Options.Jobs requests are in flight per
// page.
func (s *Session) Run(ctx context.Context, sc scenarios.Scenario) Result {
	return s.runScenario(ctx, sc, s.slots, nil)
}

// runScenario is Run with the page slots of a run; started (if not nil) is
// called once the scenario's pages are open, it holds what it shares and
// its first step has a place on its page. A scenario that could not start
// before ctx ended is NotRun. Its Duration runs from then: the wait for a
// place is not the scenario's.
func (s *Session) runScenario(ctx context.Context, sc scenarios.Scenario, slots *pageSlots, started func(scenarios.Scenario)) Result {
	// Its pages first, holding nothing: a page being opened is no
	// scenario's time, and no other scenario's turn.
	s.openTabs(ctx, sc)
	shared := s.sharedState(sc)
	unlock, err := s.state.lock(ctx, shared)
	if err != nil {
		return s.notRun(sc, notRunReason(ctx))
	}
	defer unlock()
	if ctx.Err() != nil {
		return s.notRun(sc, notRunReason(ctx))
	}
	start := time.Now()
	res := Result{Scenario: sc, Engine: s.eng.Name(), Browser: s.Browser.Version()}
	prefix := s.Lab.Register(sc.Name, sc.Server)
	defer s.Lab.Forget(prefix)
	defer s.forgetEvents(prefix + "/")
	// cookies: the jar is read after each step. A scenario that only
	// includes credentials has the jar emptied before and after it too, so
	// it neither sends another's cookies nor leaves its answers' behind.
	cookies := usesCookies(sc) && s.Browser.Capabilities().Cookies
	if err := s.Unsupported(sc); err != nil {
		res.Verdict, res.Error = Error, err.Error()
		return res
	}
	if touchesJar(sc) && s.Browser.Capabilities().Cookies {
		if err := s.prepareCookies(ctx, sc, prefix); err != nil {
			res.Verdict, res.Error = Error, err.Error()
			return res
		}
		defer s.clearJar(ctx, sc)
	}
	defer s.resetLNA(ctx, sc)
	preds := fetchspec.Predict(sc, s.ModelEnv(sc, prefix))
	for i, st := range sc.RequestSteps() {
		if d := st.After.D(); d > 0 {
			// A wait holds no page slot: other scenarios run meanwhile.
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		var sr StepResult
		rank := firstRank(shared)
		if i > 0 {
			rank = LaterStep
		}
		release, err := slots.acquire(ctx, pageKey(sc, st), rank)
		switch {
		case err != nil && i == 0:
			return s.notRun(sc, notRunReason(ctx))
		case err != nil:
			sr = StepResult{Expect: st.Expect, Error: fmt.Sprintf("interrupted: %v", err)}
		default:
			if i == 0 {
				start = time.Now()
				if started != nil {
					started(sc)
				}
			}
			s.Lab.Configure(prefix, sc.StepServer(st))
			sr = s.step(ctx, prefix, sc, st, cookies)
			release()
			if sr.Error == "" && sr.Observed != nil && i < len(preds) {
				sr.Model = NewModelVerdict(&preds[i], sr.Observed)
			}
		}
		if sr.Error != "" && len(sc.Steps) > 0 {
			sr.Error = fmt.Sprintf("step %d: %s", i+1, sr.Error)
		}
		res.Steps = append(res.Steps, sr)
		if sr.Error != "" {
			break
		}
	}
	res.Duration = time.Since(start)
	res.judge()
	return res
}

// step runs one step and compares its observation with the step's
// expectation.
func (s *Session) step(ctx context.Context, prefix string, sc scenarios.Scenario, st scenarios.Step, cookies bool) StepResult {
	// The expectation on this engine: engine-specific fields of another
	// engine are not checked here.
	sr := StepResult{Expect: st.Expect.For(s.eng.Name())}
	obs, err := s.runStep(ctx, prefix, sc, st, cookies)
	sr.Observed = obs
	switch {
	case err != nil:
		sr.Error = err.Error()
	case obs != nil:
		// What the engine cannot observe is said, not compared.
		e, notCompared := comparable(s.ExpandExpect(sr.Expect), obs)
		sr.Mismatches, sr.NotCompared = Compare(e, obs), notCompared
	}
	return sr
}

// judge gives the verdict from the steps: error if one could not be
// observed, fail if one did not match, pass otherwise.
func (r *Result) judge() {
	r.Verdict = Pass
	for i, sr := range r.Steps {
		for _, m := range sr.Mismatches {
			if len(r.Steps) > 1 {
				m = fmt.Sprintf("step %d: %s", i+1, m)
			}
			r.Mismatches = append(r.Mismatches, m)
		}
		if sr.Error != "" && r.Error == "" {
			r.Error = sr.Error
		}
	}
	switch {
	case r.Error != "":
		r.Verdict = Error
	case len(r.Mismatches) > 0:
		r.Verdict = Fail
	}
}

// notRun is NotRun with the session's engine and browser named.
func (s *Session) notRun(sc scenarios.Scenario, reason string) Result {
	r := NotRun(sc, reason)
	r.Engine, r.Browser = s.eng.Name(), s.Browser.Version()
	return r
}

// NotRun is the result of a scenario that was not run: verdict error, the
// reason, and each step's expectation with no observation.
func NotRun(sc scenarios.Scenario, reason string) Result {
	res := Result{Scenario: sc, Verdict: Error, Error: reason}
	for _, st := range sc.RequestSteps() {
		res.Steps = append(res.Steps, StepResult{Expect: st.Expect})
	}
	return res
}

// notRunReason says why the rest of a run did not run once ctx ended.
func notRunReason(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "not run: the run's deadline passed"
	}
	return "not run: interrupted"
}
