package corslab_test

import (
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/corslab/corslab"
	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/engine/engines"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/report"
	"github.com/corslab/corslab/scenarios"
)

// TestCatalog runs every built-in scenario as a Ginkgo spec on every
// installed engine (CORSLAB_ENGINE chooses: chromium, firefox, all), each
// spec labelled with its group and its engine. Filter with e.g.
// `go test -run TestCatalog -args -ginkgo.label-filter='preflight && firefox'`.
func TestCatalog(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "corslab catalog")
}

// session is the first engine's session (the meta specs run there);
// sessions holds one per engine, each with a lab of its own.
var (
	session  *harness.Session
	sessions = map[string]*harness.Session{}
)

// suiteEngines are the engines the suite runs on: $CORSLAB_ENGINE, else
// every installed one.
func suiteEngines() ([]engine.Engine, error) {
	spec := os.Getenv(engines.EnvVar)
	if spec == "" {
		spec = "all"
	}
	return engines.Parse(spec)
}

var _ = BeforeSuite(func(ctx SpecContext) {
	all, err := catalog()
	Expect(err).NotTo(HaveOccurred())
	engs, err := suiteEngines()
	Expect(err).NotTo(HaveOccurred())
	for _, eng := range engs {
		s, err := harness.StartFor(ctx, harness.Options{Engine: eng}, all)
		Expect(err).NotTo(HaveOccurred(), "starting the lab on %s (is it installed? run `make setup ENGINES=all`)", eng.Name())
		DeferCleanup(func() { Expect(s.Close()).To(Succeed()) })
		// Every page, and the browser that blocks third-party cookies,
		// before the specs: a browser's start is no spec's to pay.
		s.Prepare(ctx, all)
		sessions[eng.Name()] = s
		if session == nil {
			session = s
		}
		GinkgoWriter.Printf("%s: %s\n", eng.Name(), s.Browser.Version())
	}
}, NodeTimeout(600*time.Second))

// After the catalog, the lab's server layer must have answered nothing on
// its own: every request reached the scenario's configured answer.
var _ = AfterSuite(func() {
	for name, s := range sessions {
		c := s.Lab.Counts()
		AddReportEntry("lab counts "+name, c)
		GinkgoWriter.Printf("lab on %s: %d connections, %d requests, %d answered by the server layer\n", name, c.Connections, c.Requests, c.ServerLayer)
		Expect(c.ServerLayer).To(BeZero(), "requests the server layer answered on its own on %s: %+v", name, s.Lab.ServerLayer())
	}
})

// catalog is loaded while the spec tree is built, so a broken catalog is one
// failing spec rather than a panic.
func catalog() ([]scenarios.Scenario, error) {
	all, err := scenarios.Catalog()
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool {
		return scenarios.GroupRank(all[i].Group) < scenarios.GroupRank(all[j].Group)
	})
	return all, nil
}

var _ = Describe("the built-in catalog", func() {
	all, err := catalog()
	if err != nil {
		It("loads", func() { Fail(err.Error()) })
		return
	}
	var groups []string
	byGroup := map[string][]scenarios.Scenario{}
	for _, sc := range all {
		if _, ok := byGroup[sc.Group]; !ok {
			groups = append(groups, sc.Group)
		}
		byGroup[sc.Group] = append(byGroup[sc.Group], sc)
	}
	engs, err := suiteEngines()
	if err != nil {
		It("chooses engines", func() { Fail(err.Error()) })
		return
	}
	for _, eng := range engs {
		name := eng.Name()
		Describe(name, Label(name), func() {
			describeSeed(name, all)
			describeWrongExpectations(name, all)
			for _, g := range groups {
				describeGroup(name, g, byGroup[g])
			}
		})
	}
})

// describeSeed checks the seed's exchange on one engine: DELETE /resource
// with Api-Key, the preflight answered 204, seen by bar, and by the browser
// where it reports preflights (not WebKit: there it is said not observable).
func describeSeed(eng string, all []scenarios.Scenario) {
	It("sees the seed's preflight from bar, and from the browser where it can", Label("seed", eng), func(ctx SpecContext) {
		var seed scenarios.Scenario
		for _, sc := range all {
			if sc.Name == "preflight-delete-api-key" {
				seed = sc
			}
		}
		Expect(seed.Name).NotTo(BeEmpty(), "the catalog has the seed scenario")
		res := sessions[eng].Run(ctx, seed)
		Expect(res.Verdict).To(Equal(harness.Pass), "%v %s", res.Mismatches, res.Error)
		o := res.Last()
		pre := o.PreflightEntry()
		Expect(pre).NotTo(BeNil(), "bar's journal has the preflight")
		Expect(pre.Status).To(Equal(204))
		Expect(pre.Headers.Get("Access-Control-Request-Method")).To(Equal("DELETE"))
		Expect(o.ActualEntry().Method).To(Equal("DELETE"))
		if !sessions[eng].Browser.Capabilities().Preflight {
			Expect(o.ObservedBy["preflight"]).To(Equal([]string{harness.SideServer}))
			Expect(o.NotObservable.Has("exchange")).To(BeTrue(), "the exchange is said not observable on %s", eng)
			return
		}
		Expect(o.ObservedBy["preflight"]).To(ContainElements(harness.SideBrowser, harness.SideServer))
		Expect(o.Exchange).To(ContainElement(HaveField("Kind", "preflight request")), "the browser reported the preflight")
	}, SpecTimeout(30*time.Second))
}

// describeWrongExpectations shows, on one engine, that a wrong expectation
// of a core scenario fails there, with the wrong field named: the page's
// outcome and status, and the preflight and arrival from bar's journal
// (all an engine like WebKit observes).
func describeWrongExpectations(eng string, all []scenarios.Scenario) {
	It("fails a wrong expectation of a core scenario, naming the field", Label("meta", eng), func(ctx SpecContext) {
		byName := map[string]scenarios.Scenario{}
		for _, sc := range all {
			byName[sc.Name] = sc
		}
		flips := []struct {
			scenario, field string
			flip            func(e *scenarios.Expect)
		}{
			{"simple-get-exact-origin", "outcome", func(e *scenarios.Expect) { e.Outcome = scenarios.OutcomeBlocked }},
			{"simple-get-exact-origin", "preflight", func(e *scenarios.Expect) { e.Preflight = ptr(true) }},
			{"simple-get-exact-origin", "status", func(e *scenarios.Expect) { e.Status = ptr(500) }},
			{"preflight-delete-api-key", "preflight", func(e *scenarios.Expect) { e.Preflight = ptr(false) }},
			{"rejected-no-allow-origin", "outcome", func(e *scenarios.Expect) { e.Outcome = scenarios.OutcomeAllowed }},
			{"rejected-no-allow-origin", "reached_server", func(e *scenarios.Expect) { e.ReachedServer = ptr(false) }},
		}
		for _, f := range flips {
			sc, ok := byName[f.scenario]
			Expect(ok).To(BeTrue(), "the catalog has %s", f.scenario)
			f.flip(&sc.Expect)
			res := sessions[eng].Run(ctx, sc)
			Expect(res.Error).To(BeEmpty())
			Expect(res.Verdict).To(Equal(harness.Fail), "%s with a wrong %s", f.scenario, f.field)
			Expect(strings.Join(res.Mismatches, "\n")).To(ContainSubstring(f.field+": expected"), "%s with a wrong %s", f.scenario, f.field)
		}
	}, SpecTimeout(60*time.Second))
}

// describeGroup makes one spec per scenario of a group on one engine.
func describeGroup(eng, g string, list []scenarios.Scenario) {
	Describe(g, Label(g), func() {
		for _, sc := range list {
			It(sc.Name, Label(sc.Group, eng), func(ctx SpecContext) {
				if reason := notYetObservedOn(eng, sc); reason != "" {
					Skip(reason)
				}
				session := sessions[eng]
				Expect(session).NotTo(BeNil(), "no session on %s", eng)
				if err := session.Unsupported(sc); err != nil {
					Skip("not run on " + eng + ": " + err.Error())
				}
				res := session.Run(ctx, sc)
				Expect(res.Error).To(BeEmpty(), "the harness could not observe %s (%s)", sc.Name, sc.Source)
				for i, st := range res.Steps {
					By(stepName(i, len(res.Steps)))
					expect := session.ExpandExpect(st.Expect)
					Expect(st.Observed).To(MatchExpectation(expect), "scenario %s (%s)", sc.Name, sc.Source)
					assertInDomainTerms(expect, st.Observed)
					assertCanFail(expect, st.Observed)
					assertNotObservableSaid(st.Observed)
				}
				if eng == scenarios.BaseEngine {
					// On other engines the marks are checked against the
					// recorded expectations (fetchspec TestCatalogEnginesAgreeWithTheStandard);
					// the field-by-field diff of their observations with
					// the model is not yet reviewed.
					assertDivergenceMark(res)
				}
			}, SpecTimeout(30*time.Second))
		}
	})
}

// notYetObservedOn names the scenarios whose behaviour on an engine other
// than Chromium has not been observed and recorded yet: the groups and
// scenarios that landed after the catalog was run on Firefox. They are
// skipped there, said so, rather than checked against Chromium's answers.
func notYetObservedOn(eng string, sc scenarios.Scenario) string {
	if eng == scenarios.BaseEngine {
		return ""
	}
	if eng == "webkit" && sc.Group != "local-network" {
		// Recorded in the catalog (engines: webkit:). Local Network
		// Access on WebKit is still held in engine/webkit's own test.
		return ""
	}
	switch {
	case sc.Group == "elements", sc.Group == "local-network", sc.Name == "cache-kept-after-failed-cors-check":
		return sc.Name + ": not yet observed and recorded on " + eng
	}
	return ""
}

func stepName(i, n int) string {
	if n == 1 {
		return "the request"
	}
	return "step " + string(rune('1'+i))
}

// assertNotObservableSaid: on an engine that cannot observe some fields
// (WebKit), none of them is marked observed, no field is claimed by a
// browser without network events, and a block says its reason is not
// observable instead of leaving it blank.
func assertNotObservableSaid(o *harness.Observation) {
	n := o.NotObservable
	if n == nil {
		return
	}
	for _, f := range n.Fields {
		Expect(o.ObservedBy).NotTo(HaveKey(f), "%s cannot be observed in %s", f, n.Engine)
	}
	if n.Has("exchange") {
		for f, sides := range o.ObservedBy {
			Expect(sides).NotTo(ContainElement(harness.SideBrowser), "%s claimed as seen by %s, which reports nothing", f, n.Engine)
		}
	}
	if o.Outcome == scenarios.OutcomeBlocked && n.Has("cors_error") {
		Expect(report.Did(o)).To(ContainSubstring("reason: not observable in "+n.Engine), "the reason is said not observable")
	}
}

// assertInDomainTerms restates the expectation with the public matchers, so
// they are exercised on every scenario.
func assertInDomainTerms(e scenarios.Expect, o *harness.Observation) {
	switch e.Outcome {
	case scenarios.OutcomeAllowed:
		Expect(o).To(BeAllowed())
	case scenarios.OutcomeBlocked:
		if e.CorsError != nil && *e.CorsError != "" {
			Expect(o).To(BeBlockedWith(*e.CorsError))
		} else {
			Expect(o).To(BeBlocked())
		}
	}
	if e.Preflight != nil {
		if *e.Preflight {
			Expect(o).To(HaveSentPreflight())
		} else {
			Expect(o).NotTo(HaveSentPreflight())
		}
	}
	if e.ReachedServer != nil {
		if *e.ReachedServer {
			Expect(o).To(HaveReachedServer())
		} else {
			Expect(o).NotTo(HaveReachedServer())
		}
	}
	for _, h := range e.ReadableHeaders {
		Expect(o).To(ExposeHeader(h))
	}
	for _, h := range e.UnreadableHeaders {
		Expect(o).NotTo(ExposeHeader(h))
	}
}

// assertCanFail shows the spec could have failed: the same observation
// checked against the opposite outcome (and preflight) must not match.
func assertCanFail(e scenarios.Expect, o *harness.Observation) {
	flipped := e
	if e.Outcome == scenarios.OutcomeAllowed {
		flipped.Outcome = scenarios.OutcomeBlocked
	} else {
		flipped.Outcome = scenarios.OutcomeAllowed
	}
	Expect(harness.Compare(flipped, o)).To(ContainElement(HavePrefix("outcome:")), "a flipped outcome must be caught")
	if e.Preflight != nil {
		flipped = e
		flipped.Preflight = ptr(!*e.Preflight)
		Expect(harness.Compare(flipped, o)).To(ContainElement(HavePrefix("preflight:")), "a flipped preflight must be caught")
	}
	if e.ServerConnected != nil {
		flipped = e
		flipped.ServerConnected = ptr(!*e.ServerConnected)
		Expect(harness.Compare(flipped, o)).To(ContainElement(HavePrefix("server_connected:")), "a flipped server_connected must be caught")
	}
	if e.FailedCheck != nil && !o.NotObservable.Has("failed_check") {
		// The engine-neutral reason: another step of the model must be
		// caught on every engine that observes a reason (not WebKit, where
		// it is said not observable).
		flipped = e
		flipped.FailedCheck = ptr(*e.FailedCheck + ".9")
		Expect(harness.Compare(flipped, o)).To(ContainElement(HavePrefix("failed_check:")), "a wrong failed_check must be caught")
	}
	assertElementFieldsCanFail(e, o)
}

// assertElementFieldsCanFail flips each field of an element's load and of
// resource timing the expectation checks: the same observation must not
// match the opposite value.
func assertElementFieldsCanFail(e scenarios.Expect, o *harness.Observation) {
	flipBool := func(field string, set func(*scenarios.Expect) **bool) {
		flipped := e
		p := set(&flipped)
		if *p == nil {
			return
		}
		*p = ptr(!**p)
		Expect(harness.Compare(flipped, o)).To(ContainElement(HavePrefix(field+":")), "a flipped %s must be caught", field)
	}
	flipBool("tainted", func(x *scenarios.Expect) **bool { return &x.Tainted })
	flipBool("muted_errors", func(x *scenarios.Expect) **bool { return &x.MutedErrors })
	flipBool("timing_allowed", func(x *scenarios.Expect) **bool { return &x.TimingAllowed })
	if e.RequestMode != "" {
		flipped := e
		flipped.RequestMode = map[string]string{"cors": "no-cors"}[e.RequestMode]
		if flipped.RequestMode == "" {
			flipped.RequestMode = "cors"
		}
		Expect(harness.Compare(flipped, o)).To(ContainElement(HavePrefix("request_mode:")), "a flipped request_mode must be caught")
	}
	if e.ResponseURLOrigin != "" {
		flipped := e
		flipped.ResponseURLOrigin = "http://elsewhere.localhost"
		Expect(harness.Compare(flipped, o)).To(ContainElement(HavePrefix("response_url_origin:")), "a wrong response_url_origin must be caught")
	}
}

// assertDivergenceMark: the catalog's divergence marks are exactly the
// scenarios whose observation disagrees with the Fetch standard's
// prediction (a marked scenario that agrees fails, an unmarked one that
// disagrees fails); and the check could fail: the flipped mark is caught.
func assertDivergenceMark(res harness.Result) {
	Expect(res.Steps[len(res.Steps)-1].Model).NotTo(BeNil(), "the run is differential: every observed step has the model's verdict")
	Expect(res.DivergenceMarkError()).To(BeEmpty(), "%s", res.Scenario.Source)
	flipped := res
	if res.Scenario.Divergence.Has(res.Engine) {
		flipped.Scenario.Divergence = slices.DeleteFunc(slices.Clone(res.Scenario.Divergence), func(e string) bool { return e == res.Engine })
	} else {
		flipped.Scenario.Divergence = append(slices.Clone(res.Scenario.Divergence), res.Engine)
	}
	Expect(flipped.DivergenceMarkError()).NotTo(BeEmpty(), "a flipped divergence mark must be caught")
}

var _ = Describe("the suite itself", Label("meta"), func() {
	// A test that cannot fail is a defect: run a real scenario with wrong
	// expectations and check that every wrong field is caught by name.
	It("reports a wrong expectation as a mismatch naming the field", func(ctx SpecContext) {
		sc := scenarios.Scenario{
			Name:  "meta-wrong-expectation",
			Group: "meta",
			Server: scenarios.Server{Response: scenarios.Response{
				Status: 200, Body: "x",
				Headers: scenarios.Headers{{Name: "Access-Control-Allow-Origin", Values: []string{"{origin}"}}},
			}},
			Expect: scenarios.Expect{
				Outcome:       scenarios.OutcomeBlocked,
				Preflight:     ptr(true),
				ReachedServer: ptr(false),
				CorsError:     ptr("MissingAllowOriginHeader"),
				Status:        ptr(404),
			},
		}
		res := session.Run(ctx, sc)
		Expect(res.Error).To(BeEmpty())
		Expect(res.Verdict).To(Equal(harness.Fail))
		joined := strings.Join(res.Mismatches, "\n")
		for _, field := range []string{"outcome:", "preflight:", "reached_server:", "cors_error:", "status:"} {
			Expect(joined).To(ContainSubstring(field))
		}
		failures := InterceptGomegaFailures(func() {
			Expect(res.Last()).To(MatchExpectation(sc.Expect))
			Expect(res.Last()).To(BeBlockedWith("MissingAllowOriginHeader"))
			Expect(res.Last()).NotTo(HaveReachedServer())
		})
		failures = append(failures, InterceptGomegaFailures(func() {
			Expect(res.Last()).To(WithFullObservation(MatchExpectation(sc.Expect)))
		})...)
		Expect(failures).To(HaveLen(4))
		Expect(failures[0]).To(ContainSubstring("outcome: expected blocked, observed allowed"))
		Expect(failures[0]).To(ContainSubstring("Why:"), "a failure tells the exchange's story")
		Expect(failures[0]).NotTo(ContainSubstring(`"readable_headers"`), "the whole observation only when asked for")
		Expect(failures[3]).To(ContainSubstring(`"readable_headers"`), "WithFullObservation prints the whole observation")
	}, SpecTimeout(30*time.Second))

	// The fields of an element's load fail too: an img without crossorigin
	// expected clean, in cors mode, with detailed timing; a blocked script
	// expected to show muted errors it never raised.
	It("reports wrong element expectations naming each field", func(ctx SpecContext) {
		img := scenarios.Scenario{Name: "meta-wrong-element", Group: "meta",
			Request: scenarios.Request{API: scenarios.APIImg},
			Expect:  scenarios.Expect{Outcome: scenarios.OutcomeAllowed, Tainted: ptr(false), RequestMode: "cors", TimingAllowed: ptr(true)}}
		res := session.Run(ctx, img)
		Expect(res.Error).To(BeEmpty())
		Expect(res.Verdict).To(Equal(harness.Fail))
		joined := strings.Join(res.Mismatches, "\n")
		for _, want := range []string{"tainted: expected false, observed true", "request_mode: expected cors, observed no-cors", "timing_allowed: expected true, observed false"} {
			Expect(joined).To(ContainSubstring(want))
		}
		script := scenarios.Scenario{Name: "meta-wrong-script", Group: "meta",
			Request: scenarios.Request{API: scenarios.APIScript, CrossOrigin: "anonymous"},
			Expect:  scenarios.Expect{Outcome: scenarios.OutcomeBlocked, MutedErrors: ptr(false)}}
		res = session.Run(ctx, script)
		Expect(res.Error).To(BeEmpty())
		Expect(strings.Join(res.Mismatches, "\n")).To(ContainSubstring("muted_errors: expected false, not observed"), "a field the page could not look at is never a silent pass")
	}, SpecTimeout(30*time.Second))

	It("observes the server's headers, not the scenario's expectation", func(ctx SpecContext) {
		base := scenarios.Scenario{Name: "meta-headers-change", Group: "meta",
			Expect: scenarios.Expect{Outcome: scenarios.OutcomeAllowed}}
		withACAO := base
		withACAO.Server.Response.Headers = scenarios.Headers{{Name: "Access-Control-Allow-Origin", Values: []string{"{origin}"}}}
		Expect(session.Run(ctx, withACAO).Verdict).To(Equal(harness.Pass))
		res := session.Run(ctx, base)
		Expect(res.Verdict).To(Equal(harness.Fail))
		Expect(res.Last()).To(BeBlockedWith("MissingAllowOriginHeader"))
	}, SpecTimeout(30*time.Second))
})

func ptr[T any](v T) *T { return &v }
