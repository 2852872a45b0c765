package policy

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// StopAfterErrors is how many probes in a row may fail to run (a target
// that answers too slowly, a browser that went away) before a run gives up
// on the rest: a target that sends one byte a second then costs seconds,
// not minutes. "In a row" is in the order the probes end; with more than
// one in flight, those already started finish, no new one starts.
const StopAfterErrors = 3

// Run is RunJobs with one probe at a time.
func Run(ctx context.Context, d Doer, target, path string, probes []Probe, progress func(Result)) []Result {
	return RunJobs(ctx, d, target, path, probes, 1, progress)
}

// RunJobs runs every probe against target (an origin outside the lab such
// as http://127.0.0.1:8080, or a lab label such as "bar") and path, with up
// to jobs probes in flight at once (1 or less: one at a time). The probes
// are independent: each has its own unique path, and the Doer serialises
// the ones that share the cookie jar (see harness.Session). progress (if
// not nil) is called after each probe that ran, one call at a time, in the
// order they end.
//
// Results come back in probe order, one per probe, except Local Network
// Access probes when d is no LocalDoer (left out). When ctx ends (a
// deadline) or StopAfterErrors probes in a row could not run, no further
// probe starts, and each one left gets an error result saying why it was
// not run. Every number of jobs follows these rules; jobs only changes how
// many probes are in flight.
func RunJobs(ctx context.Context, d Doer, target, path string, probes []Probe, jobs int, progress func(Result)) []Result {
	results := make([]*Result, len(probes))
	sem := make(chan struct{}, max(jobs, 1))
	var mu sync.Mutex
	var wg sync.WaitGroup
	var stop stopRule
	for i, p := range probes {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		mu.Lock()
		why := stop.why(ctx)
		if why != "" {
			for j, rest := range probes[i:] {
				r := notRun(rest, why)
				results[i+j] = &r
			}
			mu.Unlock()
			break
		}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, ok := runProbe(ctx, d, p, target, path)
			if !ok {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			stop.record(r)
			results[i] = &r
			if progress != nil {
				progress(r)
			}
		}()
	}
	wg.Wait()
	out := make([]Result, 0, len(probes))
	for _, r := range results {
		if r != nil {
			out = append(out, *r)
		}
	}
	return out
}

// runProbe runs one probe from its page and judges it; ok is false for a
// probe d cannot run (Local Network Access without a LocalDoer).
func runProbe(ctx context.Context, d Doer, p Probe, target, path string) (Result, bool) {
	page := p.Page
	if page == "null" {
		page = "sandboxed"
	}
	start := time.Now()
	obs, ok, err := doProbe(ctx, d, page, p, target, path)
	if !ok {
		return Result{}, false
	}
	r := Judge(p, obs, err)
	r.Why = localNetworkWhy(p, r)
	if r.State == StateFail {
		r.Standard = standardOf(p, obs, target, path, engineMaxAgeCap(d))
		r.Why += r.Standard.Why()
	}
	r.Duration = time.Since(start)
	return r, true
}

// stopRule counts the probes in a row, in the order they end, that could
// not run.
type stopRule struct {
	inARow  int
	lastErr string
}

func (s *stopRule) record(r Result) {
	if r.State != StateError {
		s.inARow = 0
		return
	}
	s.inARow++
	s.lastErr = r.Error
}

// why is the reason the next probe must not start, "" when it may.
func (s *stopRule) why(ctx context.Context) string {
	switch {
	case ctx.Err() != nil:
		return "not run: the run's deadline passed (" + context.Cause(ctx).Error() + ")"
	case s.inARow >= StopAfterErrors:
		return fmt.Sprintf("not run: the last %d probes could not run (%s)", s.inARow, s.lastErr)
	}
	return ""
}

// notRun is the result of a probe that was not started, and why.
func notRun(p Probe, why string) Result {
	return Result{Probe: p, Expected: p.Expect.String(), Observed: "error", State: StateError, Error: why, Why: why}
}
