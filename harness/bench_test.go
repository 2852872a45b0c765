package harness

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/corslab/corslab/engine/engines"
	"github.com/corslab/corslab/scenarios"
)

// BenchmarkLaunch measures starting the lab and Chromium, and closing them.
func BenchmarkLaunch(b *testing.B) {
	for b.Loop() {
		s, err := Start(context.Background(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkCatalog runs the whole built-in catalog on one session and
// reports the median time of a single-request scenario (no delayed steps)
// next to the time of the whole catalog.
func BenchmarkCatalog(b *testing.B) {
	all, err := scenarios.Catalog()
	if err != nil {
		b.Fatal(err)
	}
	s, err := StartFor(context.Background(), Options{}, all)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var single []time.Duration
	var delayed time.Duration
	for b.Loop() {
		for _, sc := range all {
			res := s.Run(context.Background(), sc)
			if res.Verdict != Pass {
				b.Fatalf("%s: %s %v %s", sc.Name, res.Verdict, res.Mismatches, res.Error)
			}
			hasDelay := false
			for _, st := range sc.Steps {
				if st.After > 0 {
					hasDelay = true
				}
			}
			if hasDelay {
				delayed += res.Duration
			} else {
				single = append(single, res.Duration)
			}
		}
	}
	sort.Slice(single, func(i, j int) bool { return single[i] < single[j] })
	if len(single) > 0 {
		b.ReportMetric(float64(single[len(single)/2].Microseconds())/1000, "ms/scenario-median")
		b.ReportMetric(float64(single[len(single)*9/10].Microseconds())/1000, "ms/scenario-p90")
	}
	b.ReportMetric(float64(len(all)), "scenarios")
	b.ReportMetric(delayed.Seconds()/float64(b.N), "s-in-delayed-steps/op")
}

// independent returns n single-request scenarios that share no state, made
// from the catalog's (renamed, cycled): the 300-scenario file.
func independent(b *testing.B, n int) []scenarios.Scenario {
	all, err := scenarios.Catalog()
	if err != nil {
		b.Fatal(err)
	}
	var pool []scenarios.Scenario
	s := &Session{}
	for _, sc := range all {
		if len(sc.Steps) == 0 && s.sharedState(sc) == nil && !strings.Contains(sc.RequestSteps()[0].Page, "://") {
			pool = append(pool, sc)
		}
	}
	out := make([]scenarios.Scenario, n)
	for i := range out {
		out[i] = pool[i%len(pool)]
		out[i].Name = fmt.Sprintf("%s-%d", out[i].Name, i)
	}
	return out
}

// runTimed runs list with jobs on s and fails the benchmark on any
// scenario that does not pass; it returns the wall time.
func runTimed(b *testing.B, s *Session, list []scenarios.Scenario, jobs int) time.Duration {
	start := time.Now()
	for _, r := range s.RunAll(context.Background(), list, RunOptions{Jobs: jobs}) {
		if r.Verdict != Pass {
			b.Fatalf("jobs %d: %s: %s %v %s", jobs, r.Scenario.Name, r.Verdict, r.Mismatches, r.Error)
		}
	}
	return time.Since(start)
}

// interleaved runs list in chunks of 30, each chunk with every jobs
// setting in turn (the first setting rotating), and returns each setting's
// total wall time: on a shared machine whose load drifts, every setting
// sees the same load, so their ratio holds within one run.
func interleaved(b *testing.B, s *Session, list []scenarios.Scenario, settings []int) map[int]time.Duration {
	took := map[int]time.Duration{}
	for c, lo := 0, 0; lo < len(list); c, lo = c+1, lo+30 {
		chunk := list[lo:min(lo+30, len(list))]
		for k := range settings {
			jobs := settings[(c+k)%len(settings)]
			took[jobs] += runTimed(b, s, chunk, jobs)
		}
	}
	return took
}

// BenchmarkJobs runs 300 independent single-request scenarios with
// --jobs 1 and with the default, interleaved on one session, and reports
// the ratio of their wall times (goal: at most 0.5). The first pass, on a
// fresh browser, is reported on its own (cold-default/jobs1): a browser's
// first few hundred requests cost more CPU than later ones, and on a
// 2-core machine that CPU, not waiting, bounds what overlap can gain.
func BenchmarkJobs(b *testing.B) {
	list := independent(b, 300)
	s, err := StartFor(context.Background(), Options{}, list)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	cold := interleaved(b, s, list, []int{1, DefaultJobs}) // b.Loop times from its first call
	var seq, par time.Duration
	for b.Loop() {
		took := interleaved(b, s, list, []int{1, DefaultJobs})
		seq += took[1]
		par += took[DefaultJobs]
	}
	b.ReportMetric(seq.Seconds()/float64(b.N), "s-jobs1/op")
	b.ReportMetric(par.Seconds()/float64(b.N), "s-default/op")
	b.ReportMetric(par.Seconds()/seq.Seconds(), "default/jobs1")
	// After the loop: its first call resets the timer and the metrics.
	b.ReportMetric(cold[DefaultJobs].Seconds()/cold[1].Seconds(), "cold-default/jobs1")
}

// BenchmarkJobsN runs the same 300 scenarios with each number of jobs,
// interleaved, so the default can be chosen by measurement.
func BenchmarkJobsN(b *testing.B) {
	list := independent(b, 300)
	s, err := StartFor(context.Background(), Options{}, list)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var settings []int
	for j := 1; j <= MaxJobs; j++ {
		settings = append(settings, j)
	}
	took := map[int]time.Duration{}
	for b.Loop() {
		for j, d := range interleaved(b, s, list, settings) {
			took[j] += d
		}
	}
	for j := 2; j <= MaxJobs; j++ {
		b.ReportMetric(took[j].Seconds()/took[1].Seconds(), fmt.Sprintf("jobs%d/jobs1", j))
	}
	b.ReportMetric(took[1].Seconds()/float64(b.N), "s-jobs1/op")
}

// longestWaitChain is the longest total of deliberate waits (after:) of
// one scenario, or of the scenarios that share state and so run one
// after another.
func longestWaitChain(list []scenarios.Scenario) time.Duration {
	s := &Session{}
	var longest time.Duration
	byState := map[string]time.Duration{}
	for _, sc := range list {
		var w time.Duration
		for _, st := range sc.RequestSteps() {
			w += st.After.D()
		}
		longest = max(longest, w)
		for _, k := range s.sharedState(sc) {
			byState[k] += w
			longest = max(longest, byState[k])
		}
	}
	return longest
}

// BenchmarkCatalogWall runs the whole catalog as `corslab run` does, browser
// start and stop included, with the default jobs, and reports its wall
// time against its longest chain of deliberate waits (goal: at most the
// chain + 2 s).
func BenchmarkCatalogWall(b *testing.B) {
	all, err := scenarios.Catalog()
	if err != nil {
		b.Fatal(err)
	}
	chain := longestWaitChain(all)
	var wall time.Duration
	for b.Loop() {
		start := time.Now()
		s, err := StartFor(context.Background(), Options{}, all)
		if err != nil {
			b.Fatal(err)
		}
		runTimed(b, s, all, 0)
		s.Close()
		wall += time.Since(start)
	}
	b.ReportMetric(wall.Seconds()/float64(b.N), "s-wall/op")
	b.ReportMetric(chain.Seconds(), "s-longest-wait-chain")
	b.ReportMetric(wall.Seconds()/float64(b.N)-chain.Seconds(), "s-over-chain/op")
}

// BenchmarkCoreGroups runs the four core groups (simple, preflight,
// rejected, wildcard) browser start and stop included, with --jobs 1 and
// the default in turn (goal: at most 1.5 s on an idle machine).
func BenchmarkCoreGroups(b *testing.B) {
	all, err := scenarios.Catalog()
	if err != nil {
		b.Fatal(err)
	}
	var core []scenarios.Scenario
	for _, sc := range all {
		switch sc.Group {
		case "simple", "preflight", "rejected", "wildcard":
			core = append(core, sc)
		}
	}
	took := map[int]time.Duration{}
	for b.Loop() {
		for _, jobs := range []int{1, DefaultJobs} {
			start := time.Now()
			s, err := StartFor(context.Background(), Options{Jobs: jobs}, core)
			if err != nil {
				b.Fatal(err)
			}
			runTimed(b, s, core, jobs)
			s.Close()
			took[jobs] += time.Since(start)
		}
	}
	b.ReportMetric(took[DefaultJobs].Seconds()/float64(b.N), "s-default/op")
	b.ReportMetric(took[1].Seconds()/float64(b.N), "s-jobs1/op")
	b.ReportMetric(took[DefaultJobs].Seconds()/took[1].Seconds(), "default/jobs1")
	b.ReportMetric(float64(len(core)), "scenarios")
}

// BenchmarkEngines measures, for every installed engine in one run, the
// start of the lab and its browser (with closing it) and the median of a
// single allowed cross-origin request, so the engines can be compared at
// the same load: go test -run '^$' -bench Engines -benchtime 3x ./harness/
func BenchmarkEngines(b *testing.B) {
	engs, err := engines.Parse("all")
	if err != nil {
		b.Skip(err)
	}
	for _, eng := range engs {
		b.Run(eng.Name()+"/launch", func(b *testing.B) {
			for b.Loop() {
				s, err := Start(context.Background(), Options{Engine: eng})
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
		})
		b.Run(eng.Name()+"/request", func(b *testing.B) {
			s, err := Start(context.Background(), Options{Engine: eng})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			sc := allowed("bench-request")
			var took []time.Duration
			for b.Loop() {
				for range 15 {
					res := s.Run(context.Background(), sc)
					if res.Verdict != Pass {
						b.Fatalf("%s: %s %v %s", eng.Name(), res.Verdict, res.Mismatches, res.Error)
					}
					took = append(took, res.Duration)
				}
			}
			sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms/request-median")
			b.ReportMetric(float64(took[len(took)*9/10].Microseconds())/1000, "ms/request-p90")
		})
	}
}
