package scenarios

import (
	"regexp"
	"strings"
	"testing"
)

// otherSpecHosts are the standards besides Fetch a lesson may cite.
var otherSpecHosts = map[string]bool{"xhr.spec.whatwg.org": true, "httpwg.org": true, "html.spec.whatwg.org": true, "drafts.csswg.org": true}

// The elements group's lessons that rest on a rule of HTML (CORS settings
// attributes, muted errors, module scripts), CSS Fonts or XMLHttpRequest.
func init() {
	for _, name := range []string{
		"elements-img-without-crossorigin-loads-tainted", "elements-img-without-crossorigin-ignores-allow-origin",
		"elements-img-anonymous-needs-allow-origin", "elements-img-anonymous-with-allow-origin-canvas-clean",
		"elements-img-default-sends-cookies", "elements-img-anonymous-sends-no-cookies", "elements-img-use-credentials-allowed",
		"elements-script-anonymous-needs-allow-origin", "elements-module-script-sends-no-cookies",
		"elements-stylesheet-without-crossorigin-unreadable", "elements-stylesheet-crossorigin-needs-allow-origin",
		"elements-stylesheet-crossorigin-readable",
	} {
		notFetch[name] = "HTML's CORS settings attributes decide the element's request mode and credentials mode"
	}
	for _, name := range []string{"elements-script-without-crossorigin-errors-muted", "elements-script-without-crossorigin-allow-origin-still-muted", "elements-script-anonymous-errors-not-muted"} {
		notFetch[name] = "HTML mutes the errors of a CORS-cross-origin script"
	}
	for _, name := range []string{"elements-module-script-needs-cors", "elements-module-script-with-allow-origin"} {
		notFetch[name] = "HTML fetches a module script in cors mode"
	}
	for _, name := range []string{"elements-font-needs-cors", "elements-font-with-allow-origin"} {
		notFetch[name] = "CSS Fonts' font fetching requirements make every font load a CORS request"
	}
	for _, name := range []string{"elements-xhr-upload-listener-without-body", "elements-xhr-response-url-after-redirect"} {
		notFetch[name] = "the XMLHttpRequest standard defines the upload listener flag and responseURL"
	}
}

// seeRe finds a lesson's reference to another scenario: "see NAME".
var seeRe = regexp.MustCompile(`\bsee ([a-z0-9]+(?:-[a-z0-9]+)+)`)

// TestLessonReferencesResolve: a lesson that sends the reader to another
// scenario ("see NAME") names one the catalog has.
func TestLessonReferencesResolve(t *testing.T) {
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, sc := range all {
		names[sc.Name] = true
	}
	for _, sc := range all {
		for _, m := range seeRe.FindAllStringSubmatch(strings.Join(strings.Fields(sc.Lesson), " "), -1) {
			if !names[m[1]] {
				t.Errorf("%s: the lesson refers to %q, which is not in the catalog", sc.Source, m[1])
			}
		}
	}
}

// lessonClaim is a fact a reviewer checked in one lesson (or overview):
// words it must say, words it must not say again, and what the scenarios it
// rests on must expect for the claim to hold.
type lessonClaim struct {
	scenario string // the lesson's scenario; "" for a group overview
	group    string // the overview's group
	must     []string
	mustNot  []string
	spec     string // the scenario's spec link, when it matters
	// holds checks the catalog's scenarios that back the claim.
	holds func(t *testing.T, by map[string]Scenario)
}

// originSent is the Origin a scenario's (last) step expects the server to
// receive on the actual request.
func originSent(sc Scenario) string {
	steps := sc.RequestSteps()
	return steps[len(steps)-1].Expect.ServerReceived["Origin"]
}

// TestLessonClaims keeps the review's fixes fixed (issue 16, item 1).
func TestLessonClaims(t *testing.T) {
	claims := []lessonClaim{
		{scenario: "credentials-third-party-cookies-blocked",
			must:    []string{"Headless Chromium 156", "outside Incognito"},
			mustNot: []string{"Chromium, by default, blocks"},
			holds: func(t *testing.T, by map[string]Scenario) {
				if by["credentials-third-party-cookies-blocked"].ThirdPartyCookies != "block" {
					t.Errorf("the lesson speaks of the headless default; the scenario must run with third_party_cookies: block")
				}
			}},
		{group: "redirects",
			must:    []string{"already cross-origin", "redirect-taint", "keeps the real Origin"},
			mustNot: []string{"a hop to another origin\nturns"},
			holds: func(t *testing.T, by map[string]Scenario) {
				// The first hop away from foo keeps foo's Origin; a hop on
				// from bar (already cross-origin) sends null.
				if got := originSent(by["redirects-same-origin-request-to-cross-origin"]); got != "{foo}" {
					t.Errorf("redirects-same-origin-request-to-cross-origin expects Origin %q, the overview says the real one", got)
				}
				if got := originSent(by["redirects-cross-origin-origin-becomes-null"]); got != "null" {
					t.Errorf("redirects-cross-origin-origin-becomes-null expects Origin %q, the overview says null", got)
				}
			}},
		{scenario: "redirects-cross-origin-origin-becomes-null",
			must: []string{"redirect-tainted"},
			spec: "https://fetch.spec.whatwg.org/#concept-request-tainted-origin"},
		{scenario: "redirects-credentialed-cross-origin",
			must: []string{"not a setup to copy", "see security-null-origin-trusted"}},
		{scenario: "security-wildcard-on-intranet",
			must: []string{"Local Network Access", "ask the user", "no server header"}},
		{scenario: "opaque-no-cors-ignores-allow-origin",
			must:    []string{"response tainting", "opaque"},
			mustNot: []string{"no Origin header to answer", "there was no Origin header"}},
		{scenario: "cache-wildcard-headers-cover-any-header",
			must: []string{"by the standard", "Chromium lets it through", "see wildcard-allow-headers-authorization"},
			holds: func(t *testing.T, by map[string]Scenario) {
				if !by["wildcard-allow-headers-authorization"].Divergence.Has(BaseEngine) {
					t.Errorf("wildcard-allow-headers-authorization must stay marked divergence: it is the browsers' departure the lesson names")
				}
			}},
		{scenario: "opaque-no-cors-default-credentials",
			must:    []string{"by default", `crossorigin="anonymous"`},
			mustNot: []string{"always includes", "always\nincludes"},
			holds: func(t *testing.T, by map[string]Scenario) {
				// The elements group observes both halves of the claim.
				sent := func(name string) []string {
					if c := by[name].Expect.CookiesSent; c != nil {
						return *c
					}
					return nil
				}
				if got := sent("elements-img-default-sends-cookies"); len(got) == 0 {
					t.Errorf("elements-img-default-sends-cookies must expect the cookie sent, expects %q", got)
				}
				if got := sent("elements-img-anonymous-sends-no-cookies"); got == nil || len(got) != 0 {
					t.Errorf("elements-img-anonymous-sends-no-cookies must expect no cookie, expects %q", got)
				}
			}},
	}
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Scenario{}
	for _, sc := range all {
		by[sc.Name] = sc
	}
	for _, c := range claims {
		name, text := c.scenario, ""
		if c.group != "" {
			name, text = "overview "+c.group, GroupOverview(c.group)
		} else {
			sc, ok := by[c.scenario]
			if !ok {
				t.Errorf("%s: not in the catalog", c.scenario)
				continue
			}
			text = sc.Lesson
			if c.spec != "" && sc.Spec != c.spec {
				t.Errorf("%s: spec %s, want %s", name, sc.Spec, c.spec)
			}
		}
		flat := strings.Join(strings.Fields(text), " ")
		for _, w := range c.must {
			if !strings.Contains(flat, w) {
				t.Errorf("%s: should say %q:\n%s", name, w, flat)
			}
		}
		for _, w := range c.mustNot {
			if strings.Contains(text, w) || strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
				t.Errorf("%s: says %q again", name, w)
			}
		}
		if c.holds != nil {
			c.holds(t, by)
		}
	}
}
