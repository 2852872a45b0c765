package harness

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// The standard's prediction of an element's load is compared with what
// the page saw, and a field the page did not look at is skipped.
func TestElementModelDisagreements(t *testing.T) {
	p := predictFor(t, "elements-img-without-crossorigin-loads-tainted")
	if p.Tainted == nil || !*p.Tainted || p.RequestMode == nil || *p.RequestMode != "no-cors" {
		t.Fatalf("the standard should predict a tainted no-cors image: %+v", p)
	}
	o := observationFor(p)
	o.RequestMode, o.Tainted = "no-cors", true
	o.by("tainted", SidePage)
	if d := ModelDisagreements(&p, o); len(d) != 0 {
		t.Errorf("a standard observation disagrees: %q", d)
	}
	o.Tainted, o.RequestMode = false, "cors"
	got := strings.Join(ModelDisagreements(&p, o), "\n")
	for _, want := range []string{"tainted: standard true, observed false", "request_mode: standard no-cors, observed cors"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	delete(o.ObservedBy, "tainted")
	if strings.Contains(strings.Join(ModelDisagreements(&p, o), "\n"), "tainted") {
		t.Errorf("tainted was compared although the page never looked")
	}
}

// Compare names each element field a wrong expectation gets wrong, and
// says when the page could not look at all.
func TestCompareElementFields(t *testing.T) {
	o := &Observation{Outcome: "allowed", RequestMode: "no-cors", Tainted: true, ResponseURL: "http://baz.localhost:3/r/x/_h1/"}
	o.by("tainted", SidePage)
	f := false
	e := scenarios.Expect{Outcome: "allowed", RequestMode: "cors", Tainted: &f, MutedErrors: &f, TimingAllowed: &f, ResponseURLOrigin: "http://bar.localhost:2"}
	got := strings.Join(Compare(e, o), "\n")
	for _, want := range []string{
		"request_mode: expected cors, observed no-cors",
		"tainted: expected false, observed true",
		"muted_errors: expected false, not observed",
		"timing_allowed: expected false, not observed",
		"response_url_origin: expected http://bar.localhost:2, observed http://baz.localhost:3",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	e = scenarios.Expect{Outcome: "allowed", RequestMode: "no-cors", Tainted: &[]bool{true}[0], ResponseURLOrigin: "http://baz.localhost:3"}
	if m := Compare(e, o); len(m) != 0 {
		t.Errorf("a matching expectation: %q", m)
	}
}

// A script's error events are muted only when every one of them is.
func TestFillElementMutedErrors(t *testing.T) {
	muted := scriptError{Message: "Script error."}
	real := scriptError{Message: "Uncaught Error: corslab", Filename: "http://bar.localhost:2/r/x/lib.js", Line: 2, Column: 7, HasError: true}
	for _, tt := range []struct {
		errs []scriptError
		want bool
	}{{[]scriptError{muted}, true}, {[]scriptError{real}, false}, {[]scriptError{muted, real}, false}} {
		o := &Observation{}
		fillElement(o, pageResult{OK: true, ScriptErrors: tt.errs}, engineView(), allCaps)
		if o.MutedErrors != tt.want || len(o.ObservedBy["muted_errors"]) == 0 {
			t.Errorf("%+v: muted %v, want %v (observed by %v)", tt.errs, o.MutedErrors, tt.want, o.ObservedBy["muted_errors"])
		}
	}
}

func engineView() engine.View { return engine.View{} }

// request_mode comes from the server's journal and the browser's wire
// headers (Sec-Fetch-Mode), each side named when it saw the value.
func TestFillElementRequestMode(t *testing.T) {
	wire := engine.View{Requests: []engine.Request{{Hops: []engine.Hop{{Method: "GET", RawHeaders: true, Headers: [][2]string{{"sec-fetch-mode", "no-cors"}}}}}}}
	journal := []servers.Entry{{Method: "GET", Headers: http.Header{"Sec-Fetch-Mode": {"no-cors"}}}}
	tests := []struct {
		name    string
		view    engine.View
		journal []servers.Entry
		sides   []string
	}{
		{"both sides", wire, journal, []string{SideServer, SideBrowser}},
		{"the journal only", engine.View{}, journal, []string{SideServer}},
		{"the browser only (a server outside the lab)", wire, nil, []string{SideBrowser}},
	}
	for _, tt := range tests {
		o := &Observation{Requests: tt.journal}
		fillElement(o, pageResult{OK: true}, tt.view, allCaps)
		if o.RequestMode != "no-cors" || !slices.Equal(o.ObservedBy["request_mode"], tt.sides) {
			t.Errorf("%s: mode %q observed by %v, want no-cors by %v", tt.name, o.RequestMode, o.ObservedBy["request_mode"], tt.sides)
		}
	}
}
