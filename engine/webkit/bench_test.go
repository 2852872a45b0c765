package webkit_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/engine/chromium"
	"github.com/corslab/corslab/engine/webkit"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// benchEngines are WebKit and, beside it in the same run, Chromium.
var benchEngines = []engine.Engine{webkit.New(), chromium.Engine{}}

func startBench(b *testing.B, eng engine.Engine, list []scenarios.Scenario) *harness.Session {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := harness.StartFor(ctx, harness.Options{Engine: eng}, list)
	if errors.Is(err, engine.ErrNoBrowser) {
		b.Skipf("no %s: %v", eng.Name(), err)
	}
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkWebKitLaunch measures starting the lab and the browser (for
// WebKit: Xvfb, WebKitWebDriver, MiniBrowser and foo's window) and closing
// them, for WebKit and Chromium.
func BenchmarkWebKitLaunch(b *testing.B) {
	if _, err := webkit.FindTools(); err != nil {
		b.Skipf("no WebKit: %v", err)
	}
	for _, eng := range benchEngines {
		b.Run(eng.Name(), func(b *testing.B) {
			for b.Loop() {
				if err := startBench(b, eng, nil).Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWebKitRequest runs the four core groups (the catalog's first
// four in teaching order) on one session per
// engine and reports the median and p90 time of a scenario (one request,
// observed and judged), for WebKit and Chromium.
func BenchmarkWebKitRequest(b *testing.B) {
	if _, err := webkit.FindTools(); err != nil {
		b.Skipf("no WebKit: %v", err)
	}
	all, err := scenarios.Catalog()
	if err != nil {
		b.Fatal(err)
	}
	var list []scenarios.Scenario
	for _, sc := range all {
		if slices.Contains(scenarios.Groups()[:4], sc.Group) && len(sc.Steps) == 0 {
			list = append(list, sc)
		}
	}
	for _, eng := range benchEngines {
		b.Run(eng.Name(), func(b *testing.B) {
			s := startBench(b, eng, list)
			defer s.Close()
			var times []time.Duration
			for b.Loop() {
				for _, sc := range list {
					// The catalog's expectation on the engine (engines:).
					res := s.Run(context.Background(), sc)
					if res.Verdict != harness.Pass {
						b.Fatalf("%s: %s %v %s", sc.Name, res.Verdict, res.Mismatches, res.Error)
					}
					times = append(times, res.Duration)
				}
			}
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms/request-median")
			b.ReportMetric(float64(times[len(times)*9/10].Microseconds())/1000, "ms/request-p90")
			b.ReportMetric(float64(len(list)), "scenarios")
		})
	}
}
