package fuzz

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// Runner runs a scenario in a browser, beside the model (*harness.Session).
type Runner interface {
	Run(ctx context.Context, sc scenarios.Scenario) harness.Result
}

// Options says how many cases to run and from which seed.
type Options struct {
	Count int
	Seed  uint64
	// MaxShrinkRuns bounds the browser runs spent shrinking one finding;
	// default 60.
	MaxShrinkRuns int
	// Progress, if not nil, is called after each case.
	Progress func(i int, sc scenarios.Scenario, disagreements []string)
}

// Finding is one disagreement between the browser and the standard, shrunk.
type Finding struct {
	// Case is the number of the case that first showed it.
	Case int
	// Signature names what disagrees: the fields, and the step of the
	// standard that fails the request (findings are told apart by it).
	Signature string
	// Scenario is the shrunk scenario, Result its run in the browser;
	// Disagreements what it shows.
	Scenario      scenarios.Scenario
	Result        harness.Result
	Disagreements []string
}

// Report is what a run of the fuzzer found.
type Report struct {
	Cases    int
	Runs     int // browser runs, shrinking included
	Errors   int // cases the harness could not observe
	Elapsed  time.Duration
	Findings []Finding
}

// CasesPerSecond is the throughput, browser included (shrinking's runs
// count as cases).
func (r Report) CasesPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Runs) / r.Elapsed.Seconds()
}

// Run generates opt.Count cases from opt.Seed, runs each, and shrinks the
// first case of each kind of disagreement (its Signature).
func Run(ctx context.Context, run Runner, opt Options) Report {
	if opt.MaxShrinkRuns <= 0 {
		opt.MaxShrinkRuns = 60
	}
	start := time.Now()
	var rep Report
	seen := map[string]bool{}
	r := NewRand(opt.Seed)
	for i := 0; i < opt.Count && ctx.Err() == nil; i++ {
		sc := Generate(r, i)
		res := run.Run(ctx, sc)
		rep.Cases++
		rep.Runs++
		d := res.ModelDisagreements()
		if opt.Progress != nil {
			opt.Progress(i, sc, d)
		}
		if res.Error != "" {
			rep.Errors++
			continue
		}
		sig := Signature(res)
		if len(d) == 0 || seen[sig] {
			continue
		}
		seen[sig] = true
		small, sres, runs := Shrink(ctx, run, sc, res, sig, opt.MaxShrinkRuns)
		rep.Runs += runs
		rep.Findings = append(rep.Findings, Finding{Case: i, Signature: sig, Scenario: small, Result: sres, Disagreements: sres.ModelDisagreements()})
	}
	rep.Elapsed = time.Since(start)
	return rep
}

// Signature names a disagreement: the fields that differ, and the failing
// step of the standard when it fails the request.
func Signature(res harness.Result) string {
	var fields []string
	step := ""
	for _, sr := range res.Steps {
		if sr.Model == nil {
			continue
		}
		for _, d := range sr.Model.Disagreements {
			f, _, _ := strings.Cut(d, ":")
			if !slices.Contains(fields, f) {
				fields = append(fields, f)
			}
		}
		if p := sr.Model.Predicted; len(sr.Model.Disagreements) > 0 && p != nil && p.FailedAt != nil && step == "" {
			step = p.FailedAt.Algorithm + " step " + p.FailedAt.Number
		}
	}
	slices.Sort(fields)
	s := strings.Join(fields, ",")
	if step != "" {
		s += " @ " + step
	}
	return s
}

// Shrink removes what it can from a scenario (steps, request headers,
// credentials, the body, server headers) while the run keeps the same
// Signature, within maxRuns browser runs; res is sc's run. It returns the
// smallest scenario, its run and the runs spent.
func Shrink(ctx context.Context, run Runner, sc scenarios.Scenario, res harness.Result, sig string, maxRuns int) (scenarios.Scenario, harness.Result, int) {
	best, bestRes := sc, res
	runs := 0
	for changed := true; changed && runs < maxRuns && ctx.Err() == nil; {
		changed = false
		for _, cand := range smaller(best) {
			if runs >= maxRuns || ctx.Err() != nil {
				break
			}
			r := run.Run(ctx, cand)
			runs++
			if r.Error == "" && Signature(r) == sig {
				best, bestRes, changed = cand, r, true
				break
			}
		}
	}
	return best, bestRes, runs
}

// smaller lists scenarios one removal smaller than sc, the biggest cuts
// first.
func smaller(sc scenarios.Scenario) []scenarios.Scenario {
	var out []scenarios.Scenario
	if len(sc.Steps) > 1 {
		one := sc
		one.Request, one.Expect, one.Steps = sc.Steps[0].Request, sc.Steps[0].Expect, nil
		out = append(out, one)
	}
	req := func(s *scenarios.Scenario) *scenarios.Request {
		if len(s.Steps) > 0 {
			return &s.Steps[0].Request
		}
		return &s.Request
	}
	base := req(&sc)
	for i := range base.Headers {
		c := clone(sc)
		r := req(&c)
		r.Headers = slices.Delete(slices.Clone(r.Headers), i, i+1)
		syncSteps(&c)
		out = append(out, c)
	}
	if base.Credentials != "" {
		c := clone(sc)
		req(&c).Credentials = ""
		syncSteps(&c)
		out = append(out, c)
	}
	if base.Body != "" {
		c := clone(sc)
		req(&c).Body = ""
		syncSteps(&c)
		out = append(out, c)
	}
	if sc.Server.Preflight != nil {
		for i := range sc.Server.Preflight.Headers {
			c := clone(sc)
			c.Server.Preflight.Headers = slices.Delete(c.Server.Preflight.Headers, i, i+1)
			out = append(out, c)
		}
	}
	for i := range sc.Server.Response.Headers {
		c := clone(sc)
		c.Server.Response.Headers = slices.Delete(c.Server.Response.Headers, i, i+1)
		out = append(out, c)
	}
	return out
}

// syncSteps makes every step's request the first's (the generator's
// steps repeat one request).
func syncSteps(sc *scenarios.Scenario) {
	for i := 1; i < len(sc.Steps); i++ {
		sc.Steps[i].Request = sc.Steps[0].Request
	}
}

// clone copies a scenario deeply enough for smaller to change it.
func clone(sc scenarios.Scenario) scenarios.Scenario {
	c := sc
	c.Request.Headers = slices.Clone(sc.Request.Headers)
	c.Steps = slices.Clone(sc.Steps)
	for i := range c.Steps {
		c.Steps[i].Request.Headers = slices.Clone(sc.Steps[i].Request.Headers)
	}
	if sc.Server.Preflight != nil {
		p := *sc.Server.Preflight
		p.Headers = slices.Clone(p.Headers)
		c.Server.Preflight = &p
	}
	c.Server.Response.Headers = slices.Clone(sc.Server.Response.Headers)
	return c
}

// WriteFinding writes a finding as a scenario file in dir, named after it,
// that `corslab run --file` replays: marked divergence, with a lesson that
// names what differs (to be rewritten before it joins the catalog). It
// returns the file's path; the file is read back through the loader, so a
// file that would not load is an error.
func WriteFinding(dir string, f Finding) (string, error) {
	sc := f.Scenario
	sc.Name = fmt.Sprintf("fuzz-finding-%04d", f.Case)
	sc.Divergence = scenarios.Divergence{scenarios.BaseEngine}
	sc.Lesson = "Found by corslab fuzz (case " + fmt.Sprint(f.Case) + "): the browser departs from the Fetch standard: " + strings.Join(f.Disagreements, "; ") + "."
	expectObserved(&sc, f.Result)
	data, err := yaml.Marshal(map[string][]scenarios.Scenario{"scenarios": {sc}})
	if err != nil {
		return "", fmt.Errorf("writing finding %d: %w", f.Case, err)
	}
	path := filepath.Join(dir, sc.Name+".yaml")
	if _, err := scenarios.Parse(path, data); err != nil {
		return "", fmt.Errorf("finding %d does not load back: %w", f.Case, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}

// expectObserved sets each step's expectation to what the browser did
// (outcome, preflight, reached_server), so the file passes in that browser
// and records the departure.
func expectObserved(sc *scenarios.Scenario, res harness.Result) {
	expect := func(i int) scenarios.Expect {
		if i >= len(res.Steps) || res.Steps[i].Observed == nil {
			return scenarios.Expect{Outcome: scenarios.OutcomeAllowed}
		}
		o := res.Steps[i].Observed
		pre, reached := o.Preflight, o.ReachedServer
		return scenarios.Expect{Outcome: o.Outcome, Preflight: &pre, ReachedServer: &reached}
	}
	if len(sc.Steps) == 0 {
		sc.Expect = expect(0)
		return
	}
	for i := range sc.Steps {
		sc.Steps[i].Expect = expect(i)
	}
}
