package fuzz

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

var testEnv = fetchspec.Env{Origins: fetchspec.LabOrigins{Foo: 41001, Bar: 41002, Baz: 41003}, MaxAgeCap: fetchspec.ChromiumMaxAgeCap}

// Every generated case is a valid scenario: it goes through the loader's
// checks (as a file would), and a seed gives the same cases every time.
func TestGenerateIsValidAndRepeatable(t *testing.T) {
	a, b := NewRand(7), NewRand(7)
	for i := range 2000 {
		sc := Generate(a, i)
		if again := Generate(b, i); !reflect.DeepEqual(sc, again) {
			t.Fatalf("case %d differs for the same seed", i)
		}
		data, err := yaml.Marshal(map[string][]scenarios.Scenario{"scenarios": {sc}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := scenarios.Parse("fuzz.yaml", data); err != nil {
			t.Fatalf("case %d does not load: %v\n%s", i, err, data)
		}
	}
}

// coversAuthorization says whether a case is the known departure: the
// standard fails it at CORS-preflight fetch step 7.6 (`*` never covers
// Authorization).
func coversAuthorization(sc scenarios.Scenario) bool {
	for _, p := range fetchspec.Predict(sc, testEnv) {
		if p.FailedAt != nil && p.FailedAt.Algorithm == "CORS-preflight fetch" && p.FailedAt.Number == "7.6" && wildcardAllowHeaders(sc) {
			return true
		}
	}
	return false
}

// KnownSeed reaches the Allow-Headers `*` and Authorization departure
// early; the generator reaches it within 2,000 cases from any of these
// seeds.
func TestSeedsReachTheAuthorizationDeparture(t *testing.T) {
	for _, seed := range []uint64{KnownSeed, 1, 2, 3, 42} {
		r, hit := NewRand(seed), -1
		for i := 0; i < 2000 && hit < 0; i++ {
			if coversAuthorization(Generate(r, i)) {
				hit = i
			}
		}
		if hit < 0 {
			t.Errorf("seed %d: no case of 2,000 reaches CORS-preflight fetch step 7.6", seed)
		}
		if seed == KnownSeed && hit > KnownSeedCase {
			t.Errorf("KnownSeed reaches step 7.6 at case %d, not by %d", hit, KnownSeedCase)
		}
		t.Logf("seed %d: first case at step 7.6: %d", seed, hit)
	}
}

// modelBrowser is a fake browser that follows the standard except that `*`
// covers Authorization (Chromium's departure): it disagrees with the model
// exactly on those cases.
type modelBrowser struct{ runs int }

func (m *modelBrowser) Run(_ context.Context, sc scenarios.Scenario) harness.Result {
	m.runs++
	res := harness.Result{Scenario: sc}
	for _, p := range fetchspec.Predict(sc, testEnv) {
		o := observationFor(p)
		if p.FailedAt != nil && p.FailedAt.Number == "7.6" && wildcardAllowHeaders(sc) {
			o.Outcome, o.JSError, o.ReachedServer = scenarios.OutcomeAllowed, "", true
		}
		pp := p
		res.Steps = append(res.Steps, harness.StepResult{Observed: o, Model: harness.NewModelVerdict(&pp, o)})
	}
	return res
}

// observationFor is what a browser that follows the standard shows.
func observationFor(p fetchspec.StepPrediction) *harness.Observation {
	o := &harness.Observation{Outcome: p.Outcome, JSError: p.JSError, ReadableHeaders: p.ReadableHeaders}
	deref := func(b *bool) bool { return b != nil && *b }
	o.Preflight, o.PreflightCached, o.ReachedServer, o.CookieSet = deref(p.Preflight), deref(p.PreflightCached), deref(p.ReachedServer), deref(p.CookieSet)
	if p.Status != nil {
		o.Status, o.Body = *p.Status, *p.Body
	}
	if p.ResponseType != nil {
		o.ResponseType, o.Redirected = *p.ResponseType, *p.Redirected
	}
	return o
}

// Run finds the departure from KnownSeed, and Shrink leaves the fewest
// headers and steps that still show it; the finding's file loads back and
// records what the browser did.
func TestRunShrinksTheFinding(t *testing.T) {
	b := &modelBrowser{}
	rep := Run(context.Background(), b, Options{Count: KnownSeedCase + 1, Seed: KnownSeed})
	if len(rep.Findings) != 1 {
		for _, f := range rep.Findings {
			t.Errorf("finding at case %d: %s: %v", f.Case, f.Signature, f.Disagreements)
		}
		t.FailNow()
	}
	f := rep.Findings[0]
	if !strings.Contains(f.Signature, "CORS-preflight fetch step 7.6") {
		t.Errorf("signature %q", f.Signature)
	}
	req := f.Scenario.Request
	if len(f.Scenario.Steps) > 0 {
		t.Errorf("not shrunk to one step: %d", len(f.Scenario.Steps))
	}
	if len(req.Headers) != 1 || !strings.EqualFold(req.Headers[0].Name, "Authorization") {
		t.Errorf("not shrunk to Authorization alone: %v", req.Headers)
	}
	pre := f.Scenario.Server.Preflight
	if pre == nil || !slices.ContainsFunc(pre.Headers, func(h scenarios.Header) bool {
		return h.Name == "Access-Control-Allow-Headers" && strings.Contains(h.Values[0], "*")
	}) {
		t.Errorf("the preflight lost Allow-Headers *: %+v", pre)
	}
	path, err := WriteFinding(t.TempDir(), f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := scenarios.LoadFiles(path)
	if err != nil || len(got) != 1 || !got[0].Divergence.Any() || got[0].Expect.Outcome != scenarios.OutcomeAllowed {
		t.Fatalf("the finding's file: %v %+v", err, got)
	}
	if rep.Runs != b.runs || rep.CasesPerSecond() <= 0 {
		t.Errorf("runs %d (browser %d), %.1f cases/s", rep.Runs, b.runs, rep.CasesPerSecond())
	}
}

func wildcardAllowHeaders(sc scenarios.Scenario) bool {
	if sc.Server.Preflight == nil {
		return false
	}
	for _, v := range sc.Server.Preflight.Headers.Get("Access-Control-Allow-Headers") {
		if strings.Contains(v, "*") {
			return true
		}
	}
	return false
}
