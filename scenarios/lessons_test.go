package scenarios

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// anchorRe is a fragment the Fetch standard uses for its sections and terms.
var anchorRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*[a-z0-9]$`)

// checkSpecLink reports what is wrong with a link to the Fetch standard.
func checkSpecLink(link string) string {
	u, err := url.Parse(link)
	switch {
	case link == "":
		return "no spec link"
	case err != nil:
		return "not a URL: " + err.Error()
	case u.Scheme != "https" || u.Host != "fetch.spec.whatwg.org":
		return "not on https://fetch.spec.whatwg.org"
	case u.Path != "/" || u.RawQuery != "":
		return "has a path or query besides the section anchor"
	case !anchorRe.MatchString(u.Fragment):
		return "no well-formed #anchor"
	}
	return ""
}

func TestCheckSpecLink(t *testing.T) {
	tests := []struct {
		link string
		ok   bool
	}{
		{"https://fetch.spec.whatwg.org/#cors-preflight-fetch", true},
		{"https://fetch.spec.whatwg.org/#http-access-control-max-age", true},
		{"", false},
		{"http://fetch.spec.whatwg.org/#cors-check", false},
		{"https://fetch.spec.whatwg.org/", false},
		{"https://fetch.spec.whatwg.org/#", false},
		{"https://fetch.spec.whatwg.org/#CORS Check", false},
		{"https://developer.mozilla.org/#cors", false},
		{"https://fetch.spec.whatwg.org/review-drafts/#cors-check", false},
	}
	for _, tc := range tests {
		if got := checkSpecLink(tc.link) == ""; got != tc.ok {
			t.Errorf("checkSpecLink(%q) ok = %v, want %v (%s)", tc.link, got, tc.ok, checkSpecLink(tc.link))
		}
	}
}

// notFetch are the scenarios whose lesson is about a rule another standard
// makes, so that their link may point there (still https and an anchor).
// Every other scenario must cite the Fetch standard.
var notFetch = map[string]string{
	"credentials-xhr-with-credentials":                    "XMLHttpRequest's withCredentials is defined by the XHR standard",
	"credentials-xhr-without-credentials":                 "XMLHttpRequest's withCredentials is defined by the XHR standard",
	"credentials-samesite-lax-strict-not-sent-cross-site": "SameSite is defined by the cookie RFC (6265bis)",
	"credentials-same-site-other-origin-sends-lax":        "SameSite is defined by the cookie RFC (6265bis)",
}

func checkOtherLink(link string) string {
	u, err := url.Parse(link)
	switch {
	case err != nil:
		return "not a URL: " + err.Error()
	case u.Scheme != "https" || !otherSpecHosts[u.Host]:
		return "not on https://xhr.spec.whatwg.org, https://html.spec.whatwg.org, https://drafts.csswg.org or https://httpwg.org"
	case u.Fragment == "":
		return "no #anchor"
	}
	return ""
}

// TestLessons checks every built-in scenario: a lesson a newcomer can read
// (non-empty, whole sentences, not an essay) and a well-formed link to the
// section of the Fetch standard it illustrates.
func TestLessons(t *testing.T) {
	all, err := Catalog()
	if err != nil {
		t.Fatalf("loading the catalog: %v", err)
	}
	for _, sc := range all {
		t.Run(sc.Name, func(t *testing.T) {
			lesson := strings.Join(strings.Fields(sc.Lesson), " ")
			switch {
			case lesson == "":
				t.Errorf("%s: empty lesson", sc.Source)
			case len(lesson) < 60:
				t.Errorf("%s: lesson too short to explain anything (%d bytes): %q", sc.Source, len(lesson), lesson)
			case len(lesson) > 1500:
				t.Errorf("%s: lesson is %d bytes; keep it short", sc.Source, len(lesson))
			case !strings.ContainsAny(lesson[len(lesson)-1:], ".)!?\""):
				t.Errorf("%s: lesson does not end a sentence: %q", sc.Source, lesson[max(0, len(lesson)-40):])
			}
			check := checkSpecLink
			if _, ok := notFetch[sc.Name]; ok {
				check = checkOtherLink
			}
			if msg := check(sc.Spec); msg != "" {
				t.Errorf("%s: spec %q: %s", sc.Source, sc.Spec, msg)
			}
			for _, eng := range sc.Divergence {
				if !strings.Contains(strings.ToLower(lesson), eng) {
					t.Errorf("%s: a divergence lesson must say what %s does", sc.Source, eng)
				}
			}
		})
	}
}

// TestGroupOverviews checks that every group of the catalog, and every group
// of the teaching order, has an overview that ends with a spec link.
func TestGroupOverviews(t *testing.T) {
	all, err := Catalog()
	if err != nil {
		t.Fatalf("loading the catalog: %v", err)
	}
	groups := map[string]bool{}
	for _, g := range Groups() {
		groups[g] = true
	}
	for _, sc := range all {
		groups[sc.Group] = true
	}
	want := []string{"simple", "preflight", "rejected", "wildcard", "credentials", "exposure", "cache", "redirects", "opaque", "safelist", "strict", "security"}
	for _, g := range want {
		if !groups[g] {
			t.Errorf("group %q is missing from the teaching order", g)
		}
	}
	for g := range groups {
		ov := GroupOverview(g)
		if ov == "" {
			t.Errorf("group %q has no overview", g)
			continue
		}
		lines := strings.Split(strings.TrimSpace(ov), "\n")
		last := lines[len(lines)-1]
		link, ok := strings.CutPrefix(last, "Spec: ")
		if !ok {
			t.Errorf("group %q: overview should end with a \"Spec: \" line, ends with %q", g, last)
			continue
		}
		if msg := checkSpecLink(link); msg != "" {
			t.Errorf("group %q: spec %q: %s", g, link, msg)
		}
	}
	if GroupOverview("no-such-group") != "" {
		t.Errorf("an unknown group has an overview")
	}
}
