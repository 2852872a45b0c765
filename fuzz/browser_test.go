package fuzz_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/corslab/corslab/fuzz"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

func startSession(tb testing.TB) *harness.Session {
	tb.Helper()
	if testing.Short() {
		tb.Skip("needs Chromium; skipped with -short")
	}
	s, err := harness.Start(context.Background(), harness.Options{})
	if errors.Is(err, harness.ErrNoBrowser) {
		tb.Skipf("no browser: %v", err)
	}
	if err != nil {
		tb.Fatalf("starting the session: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestFuzzRediscoversTheAuthorizationWildcard: from KnownSeed, in Chromium,
// the fuzzer finds the known departure (Access-Control-Allow-Headers `*`
// covering Authorization, which the standard fails at CORS-preflight fetch
// step 7.6) by case KnownSeedCase, far within 2,000, and shrinks it to the
// one header.
func TestFuzzRediscoversTheAuthorizationWildcard(t *testing.T) {
	s := startSession(t)
	rep := fuzz.Run(context.Background(), s, fuzz.Options{Count: fuzz.KnownSeedCase + 1, Seed: fuzz.KnownSeed})
	var found *fuzz.Finding
	for i, f := range rep.Findings {
		t.Logf("case %d: %s: %v", f.Case, f.Signature, f.Disagreements)
		if strings.Contains(f.Signature, "CORS-preflight fetch step 7.6") {
			found = &rep.Findings[i]
		}
	}
	if found == nil {
		t.Fatalf("no finding at CORS-preflight fetch step 7.6 in %d cases (%d not observed)", rep.Cases, rep.Errors)
	}
	hs := found.Scenario.Request.Headers
	if len(hs) != 1 || !strings.EqualFold(hs[0].Name, "Authorization") {
		t.Errorf("shrunk to %v, want Authorization alone", hs)
	}
	if pre := found.Scenario.Server.Preflight; pre == nil || !slices.ContainsFunc(pre.Headers.Get("Access-Control-Allow-Headers"), func(v string) bool { return strings.Contains(v, "*") }) {
		t.Errorf("the shrunk preflight has no Allow-Headers *: %+v", pre)
	}
	path, err := fuzz.WriteFinding(t.TempDir(), *found)
	if err != nil {
		t.Fatal(err)
	}
	list, err := scenarios.LoadFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	// The file replays: Chromium does what it records, and the run still
	// disagrees with the standard, as the divergence mark says.
	res := s.Run(context.Background(), list[0])
	if res.Verdict != harness.Pass || res.DivergenceMarkError() != "" {
		t.Errorf("the finding's file: verdict %s, mismatches %v, mark %q", res.Verdict, res.Mismatches, res.DivergenceMarkError())
	}
	t.Logf("%d cases, %d runs, %.1f cases/s", rep.Cases, rep.Runs, rep.CasesPerSecond())
}

// BenchmarkFuzz reports the fuzzer's throughput in Chromium, shrinking
// included: cases/s.
func BenchmarkFuzz(b *testing.B) {
	s := startSession(b)
	var runs int
	var secs float64
	for b.Loop() {
		rep := fuzz.Run(context.Background(), s, fuzz.Options{Count: 50, Seed: 2})
		runs += rep.Runs
		secs += rep.Elapsed.Seconds()
	}
	b.ReportMetric(float64(runs)/secs, "cases/s")
}
