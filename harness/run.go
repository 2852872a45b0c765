package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/corslab/corslab/scenarios"
)

// Run runs every step of a scenario and returns the verdict. Errors of the
// harness (timeouts, a dead browser) give the verdict "error".
func (s *Session) Run(ctx context.Context, sc scenarios.Scenario) Result {
	start := time.Now()
	res := Result{Scenario: sc, Engine: s.eng.Name(), Browser: s.Browser.Version()}
	prefix := s.Lab.Register(sc.Name, sc.Server)
	defer s.Lab.Forget(prefix)
	defer s.forgetEvents(prefix + "/")
	cookies := usesCookies(sc) && s.Browser.Capabilities().Cookies
	if err := s.jarReachable(sc); err != nil {
		res.Verdict, res.Error = Error, err.Error()
		return res
	}
	if cookies {
		if err := s.prepareCookies(ctx, sc, prefix); err != nil {
			res.Verdict, res.Error = Error, err.Error()
			return res
		}
		defer s.clearJar(ctx, sc)
	}
	defer s.resetLNA(ctx, sc)
	for i, st := range sc.RequestSteps() {
		if d := st.After.D(); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		s.Lab.Configure(prefix, sc.StepServer(st))
		sr := s.step(ctx, prefix, sc, st, cookies)
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
		sr.Mismatches = Compare(s.ExpandExpect(sr.Expect), obs)
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

// RunAll runs scenarios in order, calling progress (if not nil) before each,
// and returns a result for every scenario: those not run because ctx ended
// get the verdict error with the reason (NotRun).
func (s *Session) RunAll(ctx context.Context, list []scenarios.Scenario, progress func(i int, sc scenarios.Scenario)) []Result {
	s.Prepare(ctx, list)
	out := make([]Result, 0, len(list))
	for i, sc := range list {
		if ctx.Err() != nil {
			reason := notRunReason(ctx)
			for _, rest := range list[i:] {
				nr := NotRun(rest, reason)
				nr.Engine, nr.Browser = s.eng.Name(), s.Browser.Version()
				out = append(out, nr)
			}
			break
		}
		if progress != nil {
			progress(i, sc)
		}
		out = append(out, s.Run(ctx, sc))
	}
	return out
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
