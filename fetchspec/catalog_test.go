package fetchspec_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
)

// testOrigins are fixed ports for predictions that need no servers.
var testOrigins = fetchspec.LabOrigins{Foo: 41001, Bar: 41002, Baz: 41003}

func testEnv() fetchspec.Env {
	return fetchspec.Env{Origins: testOrigins, MaxAgeCap: fetchspec.ChromiumMaxAgeCap}
}

// disagreements predicts a scenario and compares each step's expectation.
func disagreements(sc scenarios.Scenario) []string { return disagreementsOn(sc, scenarios.BaseEngine) }

// disagreementsOn compares each step's expectation on an engine.
func disagreementsOn(sc scenarios.Scenario, engine string) []string {
	var out []string
	steps := sc.RequestSteps()
	for i, p := range fetchspec.Predict(sc, testEnv()) {
		for _, d := range p.Disagreements(steps[i].Expect.For(engine), testOrigins) {
			if len(steps) > 1 {
				d = fmt.Sprintf("step %d: %s", i+1, d)
			}
			out = append(out, d)
		}
	}
	return out
}

// TestCatalogAgreesWithTheStandard: every scenario's expectation is what
// Chromium 156 did; the model must agree with each, except exactly the
// scenarios marked divergence, where Chromium departs from the standard.
func TestCatalogAgreesWithTheStandard(t *testing.T) {
	all, err := scenarios.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range all {
		d := disagreements(sc)
		switch {
		case sc.Divergence.Has(scenarios.BaseEngine) && len(d) == 0:
			t.Errorf("%s is marked divergence, yet the standard agrees with its expectation", sc.Name)
		case !sc.Divergence.Has(scenarios.BaseEngine) && len(d) > 0:
			t.Errorf("%s (%s): the standard disagrees with Chromium:\n    %s", sc.Name, sc.Source, strings.Join(d, "\n    "))
		}
	}
}

// TestCatalogEnginesAgreeWithTheStandard: what a scenario expects on
// another engine (the base, with engines: in its place) departs from the
// standard exactly when the scenario marks that engine in divergence.
func TestCatalogEnginesAgreeWithTheStandard(t *testing.T) {
	all, err := scenarios.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range all {
		for _, eng := range otherEngines(sc) {
			d := disagreementsOn(sc, eng)
			switch {
			case sc.Divergence.Has(eng) && len(d) == 0:
				t.Errorf("%s marks %s as diverging, yet the standard agrees with what it records for %s", sc.Name, eng, eng)
			case !sc.Divergence.Has(eng) && len(d) > 0:
				t.Errorf("%s (%s): the standard disagrees with %s, unmarked:\n    %s", sc.Name, sc.Source, eng, strings.Join(d, "\n    "))
			}
		}
	}
}

// otherEngines are the engines besides Chromium a scenario is checked on
// here: those its steps record something for (engines:) or it marks, and
// WebKit wherever the suite runs the scenario there (where it records
// nothing for WebKit, the base is what WebKit did): everything but the
// jar's scenarios and pages on full origins, which WebKit cannot run
// (harness.Session.Unsupported), and the local-network group, whose WebKit
// answers are not in the catalog yet (engine/webkit's own test holds them).
func otherEngines(sc scenarios.Scenario) []string {
	var out []string
	if !sc.NeedsJar() && sc.FullOriginPage() == "" && sc.Group != "local-network" {
		out = append(out, "webkit")
	}
	for _, eng := range sc.Divergence {
		if eng != scenarios.BaseEngine && !slices.Contains(out, eng) {
			out = append(out, eng)
		}
	}
	for _, st := range sc.RequestSteps() {
		for eng := range st.Expect.Engines {
			if !slices.Contains(out, eng) {
				out = append(out, eng)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestCatalogWebKitMarksCanFail: the per-engine check covers WebKit and
// could fail there. Each scenario that marks webkit disagrees with the
// standard on WebKit's recorded expectation (so dropping the mark would be
// caught), each that records webkit values without the mark agrees (so a
// wrong mark would be caught), and WebKit's three observed departures are
// among the marked.
func TestCatalogWebKitMarksCanFail(t *testing.T) {
	all, err := scenarios.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	var marked []string
	for _, sc := range all {
		if !slices.Contains(otherEngines(sc), "webkit") {
			continue
		}
		d := disagreementsOn(sc, "webkit")
		if sc.Divergence.Has("webkit") {
			marked = append(marked, sc.Name)
			if len(d) == 0 {
				t.Errorf("%s: marked for webkit, but unmarking it would go unnoticed", sc.Name)
			}
		} else if len(d) > 0 {
			t.Errorf("%s: unmarked for webkit, yet the standard disagrees", sc.Name)
		}
	}
	for _, want := range []string{"redirects-after-preflight-cross-origin", "redirects-303-put-becomes-get", "wildcard-allow-headers-authorization"} {
		if !slices.Contains(marked, want) {
			t.Errorf("%s is not marked as a WebKit divergence (marked: %v)", want, marked)
		}
	}
}
