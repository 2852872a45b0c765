package policy

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// msg is an observed answer.
func msg(kind string, status int, headers ...string) harness.Message {
	m := harness.Message{Kind: kind, Status: status}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		m.Headers = append(m.Headers, [2]string{k, v})
	}
	return m
}

// standardWant is what a test expects of the standard's view of a probe.
type standardWant struct {
	outcome string
	// step is "ALGORITHM step N" of the step that decided (Key), anchor
	// its link's fragment; failed says whether that step failed.
	step, anchor string
	failed       bool
}

// checkStandard says how s departs from want, "" when it does not.
func checkStandard(s *Standard, want standardWant) string {
	if s == nil {
		return "no standard view"
	}
	k := s.Key()
	switch {
	case s.Outcome != want.outcome:
		return fmt.Sprintf("outcome %q, want %q", s.Outcome, want.outcome)
	case k == nil:
		return "no deciding step"
	case k.Algorithm+" step "+k.Number != want.step:
		return fmt.Sprintf("step %q, want %q", k.Algorithm+" step "+k.Number, want.step)
	case !strings.HasSuffix(k.URL, "#"+want.anchor):
		return fmt.Sprintf("link %q, want #%s", k.URL, want.anchor)
	case (s.FailedAt != nil) != want.failed:
		return fmt.Sprintf("failed %v, want %v", s.FailedAt != nil, want.failed)
	case len(s.Trace) == 0:
		return "empty trace"
	}
	return ""
}

// TestStandardOfProbes: the model's view of a probe, from the answers the
// server sent, names the step that decided, with its link; a wrong
// expectation of it is caught.
func TestStandardOfProbes(t *testing.T) {
	p, _ := Parse("p.yaml", []byte(good))
	byName := map[string]Probe{}
	for _, pr := range Probes(p) {
		byName[pr.Name] = pr
	}
	get, del := byName["GET from https://app.example.com"], byName["DELETE from https://app.example.com"]
	unlisted := byName["unlisted origin https://corslab-unlisted.example"]
	if get.Name == "" || del.Name == "" || unlisted.Name == "" {
		t.Fatalf("no such probes among %d", len(byName))
	}
	cases := []struct {
		name string
		pr   Probe
		ex   []harness.Message
		want *standardWant // nil: no view
	}{
		{"no Allow-Origin", get, []harness.Message{msg("response", 200, "Content-Type: text/plain")},
			&standardWant{"blocked", "CORS check step 2", "concept-cors-check", true}},
		{"method not allowed", del, []harness.Message{msg("preflight response", 204, "Access-Control-Allow-Origin: https://app.example.com")},
			&standardWant{"blocked", "CORS-preflight fetch step 7.5", "cors-preflight-fetch-0", true}},
		{"unlisted origin reflected", unlisted, []harness.Message{msg("response", 200, "Access-Control-Allow-Origin: https://corslab-unlisted.example")},
			&standardWant{"allowed", "CORS check step 4", "concept-cors-check", false}},
		{"a redirect", get, []harness.Message{msg("redirect response", 302, "Location: /x"), msg("response", 200)}, nil},
		{"no answer", get, nil, nil},
	}
	for i, c := range cases {
		s := standardOf(c.pr, &harness.Observation{Exchange: c.ex}, "http://127.0.0.1:8080", "/api/items", fetchspec.ChromiumMaxAgeCap)
		if c.want == nil {
			if s != nil {
				t.Errorf("%s: a view %+v, want none", c.name, s)
			}
			continue
		}
		if d := checkStandard(s, *c.want); d != "" {
			t.Errorf("%s: %s", c.name, d)
		}
		// The flip: another case's expectation must be caught.
		other := cases[(i+1)%3].want
		if d := checkStandard(s, *other); d == "" {
			t.Errorf("%s: the wrong expectation %+v was not caught", c.name, *other)
		}
		wrongLink := *c.want
		wrongLink.anchor = "concept-main-fetch"
		if d := checkStandard(s, wrongLink); d == "" {
			t.Errorf("%s: a wrong link was not caught", c.name)
		}
	}
}

// TestStandardOfUsesTheEnginesCap: the model's view caps a preflight's
// Max-Age as the probing engine does (Chromium 2 h, Firefox 24 h).
func TestStandardOfUsesTheEnginesCap(t *testing.T) {
	p, _ := Parse("p.yaml", []byte(good))
	var del Probe
	for _, pr := range Probes(p) {
		if pr.Name == "DELETE from https://app.example.com" {
			del = pr
		}
	}
	ex := []harness.Message{msg("preflight response", 204, "Access-Control-Allow-Origin: https://app.example.com", "Access-Control-Allow-Methods: DELETE", "Access-Control-Max-Age: 86400")}
	capped := func(s *Standard) bool {
		for _, st := range s.Trace {
			if strings.Contains(st.Says, "capped at the browser's limit") {
				return true
			}
		}
		return false
	}
	for _, tt := range []struct {
		engine string
		capped bool
	}{{"chromium", true}, {"firefox", false}} {
		s := standardOf(del, &harness.Observation{Exchange: ex}, "http://127.0.0.1:8080", "/api/items", engineMaxAgeCap(namedDoer(tt.engine)))
		if s == nil || capped(s) != tt.capped {
			t.Errorf("%s: a Max-Age of 86400 capped %v, want %v (%+v)", tt.engine, s != nil && capped(s), tt.capped, s)
		}
	}
	if got := engineMaxAgeCap(nil); got != fetchspec.ChromiumMaxAgeCap {
		t.Errorf("a Doer that names no engine: cap %d, want Chromium's", got)
	}
}

// namedDoer is a Doer that names its engine.
type namedDoer string

func (namedDoer) Do(context.Context, string, scenarios.Request) (*harness.Observation, error) {
	return nil, nil
}
func (n namedDoer) EngineName() string { return string(n) }

// TestStandardOfALabTarget: with a lab label as the target (the Go API's
// "bar"), the origin comes from the URL the request went to.
func TestStandardOfALabTarget(t *testing.T) {
	p, _ := Parse("p.yaml", []byte(good))
	pr := Probes(p)[0]
	obs := &harness.Observation{URL: "http://127.0.0.1:40123/r/do-1/api/items", Exchange: []harness.Message{msg("response", 200)}}
	if d := checkStandard(standardOf(pr, obs, "bar", "/api/items", fetchspec.ChromiumMaxAgeCap), standardWant{"blocked", "CORS check step 2", "concept-cors-check", true}); d != "" {
		t.Error(d)
	}
}

// TestRunShowsTheStandard: a probe that does not match the policy carries
// the model's trace and its why names the deciding step with its link;
// one that matches carries none.
func TestRunShowsTheStandard(t *testing.T) {
	// A server that reflects every Origin and allows every method.
	results, _ := runSimulated(t, good, func(pr Probe, path, origin string, preflight bool) (int, [][2]string) {
		return 200, [][2]string{{"Access-Control-Allow-Origin", origin}, {"Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, PATCH"}, {"Access-Control-Allow-Headers", "Api-Key, Content-Type, X-Corslab-Unlisted"}, {"Vary", "Origin"}}
	})
	var failed int
	for _, r := range results {
		switch r.State {
		case StateFail:
			failed++
			if r.Standard == nil || len(r.Standard.Trace) == 0 {
				t.Errorf("%s: no trace", r.Probe.Name)
				continue
			}
			if !strings.Contains(r.Why, "the Fetch standard ") || !strings.Contains(r.Why, "https://fetch.spec.whatwg.org/#") {
				t.Errorf("%s: why %q names no step of the standard", r.Probe.Name, r.Why)
			}
		case StatePass:
			if r.Standard != nil {
				t.Errorf("%s: a matching probe carries the standard's trace", r.Probe.Name)
			}
		}
	}
	if failed == 0 {
		t.Fatal("a server that reflects every Origin failed no probe")
	}
}
