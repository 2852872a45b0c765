package policy

import (
	"context"
	"sync"
	"time"
)

// RunJobs is Run with up to jobs probes in flight at once: the probes are
// independent (each has its own unique path, and the Doer serialises the
// ones that share the cookie jar; see harness.Session). Results come back
// in probe order; progress (if not nil) is called after each probe, one
// call at a time, in the order they end. A probe not started before ctx
// ended is left out, as Run leaves it out.
func RunJobs(ctx context.Context, d Doer, target, path string, probes []Probe, jobs int, progress func(Result)) []Result {
	if jobs <= 1 {
		return Run(ctx, d, target, path, probes, progress)
	}
	results := make([]*Result, len(probes))
	sem := make(chan struct{}, jobs)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, p := range probes {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			page := p.Page
			if page == "null" {
				page = "sandboxed"
			}
			start := time.Now()
			obs, err := d.Do(ctx, page, p.Request(target, path))
			r := Judge(p, obs, err)
			r.Duration = time.Since(start)
			mu.Lock()
			defer mu.Unlock()
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
