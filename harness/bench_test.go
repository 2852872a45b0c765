package harness

import (
	"context"
	"sort"
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
