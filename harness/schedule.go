package harness

import (
	"context"
	"fmt"
	"hash/fnv"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/corslab/corslab/scenarios"
)

// Scheduling: how many scenarios are in flight at once, and which ones must
// not overlap.
//
// Every scenario has its own unique path (/r/<name>-<seq>/), and the
// browser's caches are keyed by URL: the preflight cache by the full URL
// (chromium-facts.md Q2-g5) and the HTTP cache likewise, so one scenario's
// requests can neither fill nor hit another's cache entries, and its
// events, console lines and journal entries are attributed by that path
// (engine.Page.Watch), never by arrival order. What scenarios do share is
// the browser's cookie jar, see sharedState.
const (
	// DefaultJobs is how many scenarios are in flight per page when
	// Options.Jobs is 0, chosen by measurement on an idle 2-core machine
	// (README, Speed; BenchmarkJobsN): the work is CPU-bound there, and
	// more in flight costs less CPU a scenario (fewer wake-ups for more
	// messages). Past 2 runnable tasks per CPU, placesAt gives fewer.
	DefaultJobs = MaxJobs
	// MaxJobs bounds Options.Jobs: Chromium keeps at most 6 connections
	// per host in one socket pool (a page's pool for one host and one
	// credentials mode), and each scenario has at most one request on the
	// wire at a time, so up to 6 scenarios of one page never queue
	// behind each other inside the browser.
	MaxJobs = 6
)

// Jobs is how many requests the session lets be in flight per page
// (Options.Jobs, or 1 when the engine cannot run more at once).
func (s *Session) Jobs() int { return s.jobs }

// EngineName is the name of the session's engine: "chromium", "firefox"
// or "webkit".
func (s *Session) EngineName() string { return s.eng.Name() }

// checkJobs validates Options.Jobs and gives the number to use.
func checkJobs(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultJobs, nil
	case n < 0 || n > MaxJobs:
		return 0, fmt.Errorf("jobs %d: want 1 to %d (Chromium keeps %d connections per host; more would queue in the browser)", n, MaxJobs, MaxJobs)
	}
	return n, nil
}

// RunOptions configures RunAll.
type RunOptions struct {
	// Jobs is how many scenarios may be in flight per page; 0 means the
	// session's (Options.Jobs), 1 runs them one after another in list
	// order.
	Jobs int
	// Started, if not nil, is called as each scenario starts; n counts
	// the scenarios started so far, from 0. Calls are serialised.
	Started func(n int, sc scenarios.Scenario)
	// Done, if not nil, is called with each result in list order, as
	// soon as it and every result before it are in. Calls are
	// serialised.
	Done func(i int, res Result)
}

// RunAll runs the scenarios, up to opt.Jobs at a time per page, and returns
// a result for every scenario in list order: those not run because ctx
// ended get the verdict error with the reason (NotRun). Scenarios with the
// longest deliberate waits (after:) start first, and a scenario waiting
// holds no place, so the waits overlap with everything else, the opening
// of the other pages included: each scenario starts once its own pages
// are open.
func (s *Session) RunAll(ctx context.Context, list []scenarios.Scenario, opt RunOptions) []Result {
	jobs := opt.Jobs
	if jobs == 0 {
		jobs = s.jobs
	}
	if jobs <= 1 {
		s.Prepare(ctx, list)
		return s.runInOrder(ctx, list, opt)
	}
	slots := newPageSlots(min(jobs, MaxJobs))
	results := make([]Result, len(list))
	have := make([]bool, len(list))
	var mu sync.Mutex
	started, next := 0, 0
	start := func(sc scenarios.Scenario) {
		mu.Lock()
		defer mu.Unlock()
		if opt.Started != nil {
			opt.Started(started, sc)
		}
		started++
	}
	var wg sync.WaitGroup
	for _, i := range waitsFirst(list) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := s.runScenario(ctx, list[i], slots, start)
			mu.Lock()
			defer mu.Unlock()
			results[i], have[i] = res, true
			for ; next < len(list) && have[next]; next++ {
				if opt.Done != nil {
					opt.Done(next, results[next])
				}
			}
		}()
	}
	wg.Wait()
	return results
}

// runInOrder is RunAll with one scenario at a time, in list order.
func (s *Session) runInOrder(ctx context.Context, list []scenarios.Scenario, opt RunOptions) []Result {
	out := make([]Result, 0, len(list))
	for i, sc := range list {
		var res Result
		if ctx.Err() != nil {
			res = s.notRun(sc, notRunReason(ctx))
		} else {
			if opt.Started != nil {
				opt.Started(i, sc)
			}
			res = s.runScenario(ctx, sc, s.slots, nil)
		}
		out = append(out, res)
		if opt.Done != nil {
			opt.Done(i, res)
		}
	}
	return out
}

// waitsFirst returns the indexes of list ordered by the scenario's total
// deliberate wait, longest first, list order otherwise: the run's wall
// time is then close to its longest chain of waits.
func waitsFirst(list []scenarios.Scenario) []int {
	idx := make([]int, len(list))
	wait := make([]int64, len(list))
	for i, sc := range list {
		idx[i] = i
		for _, st := range sc.RequestSteps() {
			wait[i] += int64(st.After.D())
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return wait[idx[a]] > wait[idx[b]] })
	return idx
}

// sharedState names the state of the session a scenario uses that other
// scenarios may use too; scenarios that name the same state never overlap
// (stateLocks). Four things qualify:
//
//   - The cookie jar of the browser the scenario's pages live in (the main
//     one, or the one that keeps third-party cookie blocking). A scenario
//     that uses cookies empties the whole jar before and after it, sets
//     cookies that (with Path=/ or a Domain) would go with another
//     scenario's credentialed request, and reads the jar to tell whether a
//     cookie was set; any request the Fetch model says includes
//     credentials (an <img> without crossorigin, a same-origin fetch)
//     would carry them, or store the cookies its answer sets. A request
//     that includes no credentials neither sends nor stores any
//     (chromium-facts.md Q2-i), so it shares nothing.
//   - The error events of a page's window, which a script element's load
//     collects (page.go's elementFunc): a muted error has no filename to
//     tell whose script raised it, so two scripts on one page take turns.
//   - The resource timing buffer of a page, which a step that reads its
//     request's PerformanceResourceTiming entry empties first (page.go's
//     pageFunc): it would wipe another such step's entry in flight.
//   - What a Local Network Access step sets and reads (localNetworkAccess).
func (s *Session) sharedState(sc scenarios.Scenario) []string {
	var names []string
	for _, st := range sc.RequestSteps() {
		if lnaStep(st) && !slices.Contains(names, localNetworkAccess) {
			names = append(names, localNetworkAccess)
		}
		if api := st.Request.WithDefaults().API; api == scenarios.APIScript || api == scenarios.APIModule {
			if n := "error events of " + pageKey(sc, st); !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		if st.Expect.TimingAllowed != nil {
			if n := "resource timing buffer of " + pageKey(sc, st); !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if !touchesJar(sc) {
		return names
	}
	if (sc.ThirdPartyCookies == "block") != s.opt.BlockThirdPartyCookies {
		return append(names, "jar of the browser that blocks third-party cookies")
	}
	return append(names, "jar")
}

// localNetworkAccess is what Local Network Access steps share (lna.go):
// the permissions of the page's origin, set for the whole browser before
// each step and reset after the scenario, and the loopback and local
// twins' listeners, whose idle connections a step closes and whose new
// connections it counts. Only these steps set those permissions (a page
// on loopback is never gated, whatever its origin's permission) or send
// to those listeners (lnaTarget), so they take turns with each other
// alone and overlap with everything else.
const localNetworkAccess = "Local Network Access permissions and twin listeners"

// stateLocks are the session's locks on shared state, by name.
type stateLocks struct {
	mu    sync.Mutex
	locks map[string]chan struct{}
}

// lock takes the named locks (in name order, so two callers never wait on
// each other) and returns the function that releases them; it fails only
// when ctx ends first.
func (l *stateLocks) lock(ctx context.Context, names []string) (func(), error) {
	names = slices.Sorted(slices.Values(names))
	var held []chan struct{}
	unlock := func() {
		for _, ch := range held {
			<-ch
		}
	}
	for _, n := range names {
		l.mu.Lock()
		if l.locks == nil {
			l.locks = map[string]chan struct{}{}
		}
		ch, ok := l.locks[n]
		if !ok {
			ch = make(chan struct{}, 1)
			l.locks[n] = ch
		}
		l.mu.Unlock()
		select {
		case ch <- struct{}{}:
			held = append(held, ch)
		case <-ctx.Done():
			unlock()
			return nil, ctx.Err()
		}
	}
	return unlock, nil
}

// pageSlots bounds the requests in flight per page. A freed place goes to
// the waiter of the highest rank, in order of arrival within a rank.
type pageSlots struct {
	n int
	// load reads the machine's load average; cpus is its CPU count.
	load func() float64
	cpus int

	mu    sync.Mutex
	pages map[string]*pageQueue
	// limit is the places per page at the load read at limitAt.
	limit   int
	limitAt time.Time
}

// loadFull is the load average per CPU up to which a page has all its
// places. Past it the machine is short of CPU, not of waiting: requests in
// flight together only take longer each (measured: at load 130 on 2 CPUs,
// 4 in flight made the catalog no faster and 57 of its requests overran
// the 5 s request timeout that none overran one at a time), so the places
// shrink in proportion, down to 1.
const loadFull = 2

// placesAt is how many of n places a page has at a load average on cpus
// CPUs.
func placesAt(n int, load float64, cpus int) int {
	if cpus <= 0 {
		return n
	}
	per := load / float64(cpus)
	if per <= loadFull {
		return n
	}
	return max(1, min(n, int(float64(n)*loadFull/per)))
}

// places is the places per page now, the load read at most once a second.
// Called with p.mu held.
func (p *pageSlots) places() int {
	if now := time.Now(); now.Sub(p.limitAt) >= time.Second {
		p.limit, p.limitAt = placesAt(p.n, p.load(), p.cpus), now
	}
	return p.limit
}

// Rank orders the waiters for a page's place.
type Rank int

// firstRank is the rank of a scenario's first step, given the shared state
// it holds (sharedState).
func firstRank(shared []string) Rank {
	if len(shared) > 0 {
		return TurnHeld
	}
	return FirstStep
}

const (
	// FirstStep is the first step of a scenario that holds nothing
	// another scenario waits for.
	FirstStep Rank = iota
	// TurnHeld is the first step of a scenario that holds shared state
	// (sharedState): the scenarios that take turns with it wait for it to
	// end, so it must not queue behind those that wait for nothing (in a
	// catalog run, the jar's fifty turns would otherwise each wait behind
	// a page's whole queue).
	TurnHeld
	// LaterStep is a step after the first: due after a wait, or right
	// after the step before (a preflight still in the cache), it must not
	// queue behind scenarios that have not started.
	LaterStep
	ranks
)

// pageQueue is one page's places: how many are taken, and who waits, by
// rank.
type pageQueue struct {
	used    int
	waiting [ranks][]chan struct{}
}

// top is the list of the highest-ranked waiters, nil if none wait; called
// with p.mu held.
func (q *pageQueue) top() *[]chan struct{} {
	for r := ranks - 1; r >= 0; r-- {
		if len(q.waiting[r]) > 0 {
			return &q.waiting[r]
		}
	}
	return nil
}

func newPageSlots(n int) *pageSlots {
	return &pageSlots{n: max(n, 1), load: loadAverage, cpus: runtime.NumCPU(), pages: map[string]*pageQueue{}}
}

// acquire waits for a place on the page key and returns its release; it
// fails only when ctx ends first.
func (p *pageSlots) acquire(ctx context.Context, key string, rank Rank) (func(), error) {
	p.mu.Lock()
	q, ok := p.pages[key]
	if !ok {
		q = &pageQueue{}
		p.pages[key] = q
	}
	release := func() { p.release(q) }
	if q.used < p.places() && !slices.ContainsFunc(q.waiting[rank:], func(l []chan struct{}) bool { return len(l) > 0 }) {
		q.used++
		p.mu.Unlock()
		return release, nil
	}
	ch := make(chan struct{})
	q.waiting[rank] = append(q.waiting[rank], ch)
	p.mu.Unlock()
	select {
	case <-ch:
		return release, nil
	case <-ctx.Done():
		p.mu.Lock()
		removed := remove(&q.waiting[rank], ch)
		p.mu.Unlock()
		if !removed {
			// Handed a place just as ctx ended: give it on.
			p.release(q)
		}
		return nil, ctx.Err()
	}
}

// release frees a place and gives the free places to the waiters, the
// highest rank first.
func (p *pageSlots) release(q *pageQueue) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q.used--
	for q.used < p.places() {
		list := q.top()
		if list == nil {
			return
		}
		close((*list)[0])
		*list = (*list)[1:]
		q.used++
	}
}

// remove takes ch out of list, saying whether it was there.
func remove(list *[]chan struct{}, ch chan struct{}) bool {
	i := slices.Index(*list, ch)
	if i < 0 {
		return false
	}
	*list = slices.Delete(*list, i, i+1)
	return true
}

// pageKey names the page a step runs in: its label or origin, and the
// browser it lives in.
func pageKey(sc scenarios.Scenario, st scenarios.Step) string {
	return fmt.Sprintf("%s|block=%t", pageLabel(st), sc.ThirdPartyCookies == "block")
}

// ParseShard reads --shard's "K/N": shard K (1 to N) of N.
func ParseShard(s string) (k, n int, err error) {
	if _, err := fmt.Sscanf(s, "%d/%d", &k, &n); err != nil || fmt.Sprintf("%d/%d", k, n) != s {
		return 0, 0, fmt.Errorf("%q: want K/N, e.g. 2/4", s)
	}
	if n < 1 || k < 1 || k > n {
		return 0, 0, fmt.Errorf("%q: want 1 <= K <= N", s)
	}
	return k, n, nil
}

// Shard returns the scenarios of shard k (1 to n) of n, in list order. A
// scenario's shard depends on its name alone (FNV-1a), so it always lands
// in the same shard whatever else is selected, and the n shards together
// hold every scenario exactly once.
func Shard(list []scenarios.Scenario, k, n int) []scenarios.Scenario {
	var out []scenarios.Scenario
	for _, sc := range list {
		if ShardOf(sc.Name, n) == k {
			out = append(out, sc)
		}
	}
	return out
}

// ShardOf is the shard (1 to n) a scenario name belongs to.
func ShardOf(name string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int(h.Sum32()%uint32(n)) + 1
}
