package harness

import (
	"context"
	"sort"
	"testing"
	"time"

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
