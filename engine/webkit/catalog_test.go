package webkit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/corslab/corslab/engine/webkit"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// The catalog runs on WebKit in the Ginkgo suite (suite_test.go), to the
// catalog's own expectations for WebKit (engines: webkit:). What is left
// here is the local-network group, whose WebKit answers are not yet in the
// catalog (its file is being recorded on Firefox): WebKit has no Local
// Network Access, so a request Chromium holds back from a public page
// reaches bar and, with the right CORS headers, is allowed.

// forWebKit is a local-network scenario as WebKit answers it: what
// Chromium blocks is allowed and reaches bar, and Chromium's own words
// (its error sentence) are not expected.
func forWebKit(sc scenarios.Scenario) scenarios.Scenario {
	yes := true
	lift := func(e *scenarios.Expect) {
		e.JSError = ""
		if e.Outcome == scenarios.OutcomeBlocked {
			e.Outcome, e.ReachedServer = scenarios.OutcomeAllowed, &yes
		}
	}
	lift(&sc.Expect)
	for i := range sc.Steps {
		lift(&sc.Steps[i].Expect)
	}
	return sc
}

// start starts a lab on WebKit, or skips when WebKit is not installed.
func start(t *testing.T, list []scenarios.Scenario) *harness.Session {
	t.Helper()
	if testing.Short() {
		t.Skip("needs WebKit; skipped with -short")
	}
	if _, err := webkit.FindTools(); err != nil {
		t.Skipf("no WebKit: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := harness.StartFor(ctx, harness.Options{Engine: webkit.New()}, list)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// TestLocalNetworkOnWebKit: every local-network scenario WebKit can run is
// sent and answered there as if Local Network Access did not exist,
// observed by the page and bar's journal; and the check could fail: the
// catalog's own (Chromium's) expectation of a gated request fails.
func TestLocalNetworkOnWebKit(t *testing.T) {
	all, err := scenarios.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	var list []scenarios.Scenario
	for _, sc := range all {
		if sc.Group == "local-network" {
			list = append(list, sc)
		}
	}
	s := start(t, list)
	gated := 0
	for _, sc := range list {
		t.Run(sc.Name, func(t *testing.T) {
			if err := s.Unsupported(sc); err != nil {
				t.Skip("not run on WebKit: " + err.Error())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res := s.Run(ctx, forWebKit(sc))
			if res.Verdict != harness.Pass {
				t.Fatalf("%s (%s): %s %s\n%s", sc.Name, sc.Source, res.Verdict, res.Error, strings.Join(res.Mismatches, "\n"))
			}
			if sc.Expect.Outcome == scenarios.OutcomeBlocked && len(sc.Steps) == 0 {
				gated++
				if res := s.Run(ctx, sc); res.Verdict != harness.Fail || !strings.Contains(strings.Join(res.Mismatches, "\n"), "outcome: expected blocked") {
					t.Errorf("Chromium's expectation passed on WebKit: %s %v", res.Verdict, res.Mismatches)
				}
			}
		})
	}
	if gated == 0 {
		t.Error("no gated request was run: the test shows nothing")
	}
}
