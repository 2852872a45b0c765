package harness

import (
	"slices"
	"strings"
	"testing"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

var (
	allCaps = engine.Capabilities{Network: true, Preflight: true, RawHeaders: true, Reason: true, Console: true, Issues: true, Cookies: true}
	// pageAndJournal is an engine that sees only the page (WebKit under
	// WebDriver).
	pageAndJournal = engine.Capabilities{}
)

func blockedAfterPreflight() engine.View {
	hop := func(m string) []engine.Hop {
		return []engine.Hop{{Method: m, URL: "http://bar.localhost:2/r/x-1/", RawHeaders: true, Response: &engine.Response{Status: 204, RawHeaders: true}}}
	}
	return engine.View{
		Requests: []engine.Request{
			{Preflight: true, Hops: hop("OPTIONS"), Done: true},
			{Hops: []engine.Hop{{Method: "DELETE", URL: "http://bar.localhost:2/r/x-1/"}}, Done: true,
				Failure: &engine.Failure{Text: "net::ERR_FAILED", Reason: "HeaderDisallowedByPreflightResponse", Parameter: "api-key"}},
		},
		Console: []engine.ConsoleEntry{{Source: "network", Level: "error", Text: "Failed to load resource"}, {Source: "javascript", Level: "error", Text: "Access to fetch … blocked by CORS policy"}},
		Issues:  []engine.Issue{{Kind: "CorsIssue", Reason: "PreflightMissingAllowOriginHeader", Warning: true}},
	}
}

// announcedCookies is blockedAfterPreflight with the cookies the browser
// says it attached to the DELETE it never sent.
func announcedCookies() engine.View {
	v := blockedAfterPreflight()
	v.Requests[1].CookiesSent = []string{"session=abc123"}
	return v
}

// Each fact says which side observed it; what the engine cannot see is not
// shown as observed, and inferred values say so.
func TestAssembleSaysWhoObservedWhat(t *testing.T) {
	failed := pageResult{OK: false, Error: "TypeError: Failed to fetch", Name: "TypeError"}
	preflightOnly := []servers.Entry{{Method: "OPTIONS", Preflight: true}}
	tests := []struct {
		name     string
		view     engine.View
		caps     engine.Capabilities
		journal  []servers.Entry
		external bool
		want     map[string][]string // fields that must have exactly these sides
		absent   []string            // fields nobody could observe
		check    func(*testing.T, *Observation)
	}{
		{
			name: "every side", view: blockedAfterPreflight(), caps: allCaps, journal: preflightOnly,
			want: map[string][]string{"outcome": {SidePage}, "js_error": {SidePage}, "preflight": {SideBrowser, SideServer},
				"cors_error": {SideBrowser}, "console": {SideBrowser}, "reached_server": {SideServer}, "preflight_cached": {Inferred}},
			check: func(t *testing.T, o *Observation) {
				if o.Outcome != "blocked" || !o.Preflight || o.ReachedServer || o.CorsError != "HeaderDisallowedByPreflightResponse" || o.FailedParameter != "api-key" || o.NetError != "net::ERR_FAILED" {
					t.Errorf("observation %+v", o)
				}
				if !strings.Contains(o.Console, "CORS policy") || !slices.Equal(o.Issues, []string{"CorsIssue warning: PreflightMissingAllowOriginHeader"}) {
					t.Errorf("console %q, issues %q", o.Console, o.Issues)
				}
				if len(o.Exchange) != 3 || o.Exchange[0].Kind != "preflight request" || o.Exchange[1].Line != "HTTP/1.1 204 No Content" || o.Exchange[2].Kind != "request" {
					t.Errorf("exchange %+v", o.Exchange)
				}
			},
		},
		{
			name: "page and journal only", view: engine.View{}, caps: pageAndJournal, journal: preflightOnly,
			want:   map[string][]string{"outcome": {SidePage}, "preflight": {SideServer}, "reached_server": {SideServer}},
			absent: []string{"cors_error", "failed_parameter", "console", "exchange", "issues"},
			check: func(t *testing.T, o *Observation) {
				if !o.Preflight || o.CorsError != "" {
					t.Errorf("observation %+v", o)
				}
			},
		},
		{
			name: "the browser missed the preflight the server got", view: engine.View{Requests: blockedAfterPreflight().Requests[1:]}, caps: allCaps, journal: preflightOnly,
			want: map[string][]string{"preflight": {SideServer}},
		},
		{
			name: "no preflight: every side that looked", view: engine.View{Requests: blockedAfterPreflight().Requests[1:]}, caps: allCaps,
			want: map[string][]string{"preflight": {SideBrowser, SideServer}, "cookies_sent": {SideServer, SideBrowser}},
		},
		{
			// Firefox announces the actual request with its cookies before
			// the preflight, then drops it: bar's journal decides.
			name: "cookies announced on a request never sent", view: announcedCookies(), caps: allCaps, journal: preflightOnly,
			want: map[string][]string{"cookies_sent": {SideServer}},
			check: func(t *testing.T, o *Observation) {
				if len(o.CookiesSent) != 0 {
					t.Errorf("cookies_sent %q, want none: bar got no actual request", o.CookiesSent)
				}
			},
		},
		{
			name: "a server outside the lab trusts the browser's cookies", view: announcedCookies(), caps: allCaps, external: true,
			want: map[string][]string{"cookies_sent": {SideBrowser}},
			check: func(t *testing.T, o *Observation) {
				if !slices.Equal(o.CookiesSent, []string{"session=abc123"}) {
					t.Errorf("cookies_sent %q, want the browser's session=abc123", o.CookiesSent)
				}
			},
		},
		{
			name: "a server outside the lab", view: blockedAfterPreflight(), caps: allCaps, external: true,
			want:   map[string][]string{"preflight": {SideBrowser}},
			absent: []string{"requests", "reached_server"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &Observation{Requests: tt.journal, URL: "http://bar.localhost:2/r/x-1/"}
			assemble(o, failed, tt.view, tt.caps, tt.external)
			inferPreflightCached(o, scenarios.Request{Method: "DELETE"}, "http://foo.localhost:1")
			for f, sides := range tt.want {
				if got := o.ObservedBy[f]; !slices.Equal(got, sides) {
					t.Errorf("%s observed by %v, want %v", f, got, sides)
				}
			}
			for _, f := range tt.absent {
				if got, ok := o.ObservedBy[f]; ok {
					t.Errorf("%s observed by %v, want nobody", f, got)
				}
			}
			if tt.check != nil {
				tt.check(t, o)
			}
		})
	}
}

// A response evaluated with nothing on the wire and no server hit came
// from the HTTP cache: inferred, and marked so.
func TestFromCacheInferred(t *testing.T) {
	v := engine.View{Requests: []engine.Request{{Hops: []engine.Hop{{Method: "GET", URL: "http://bar.localhost:2/r/c-1/", Response: &engine.Response{Status: 200}}}, Done: true}}}
	o := &Observation{URL: "http://bar.localhost:2/r/c-1/"}
	assemble(o, pageResult{OK: true, Status: 200, Type: "cors"}, v, allCaps, false)
	if !o.FromCache || !slices.Equal(o.ObservedBy["from_cache"], []string{Inferred}) {
		t.Fatalf("from_cache %v observed by %v", o.FromCache, o.ObservedBy["from_cache"])
	}
	o = &Observation{URL: "http://bar.localhost:2/r/c-1/", Requests: []servers.Entry{{Method: "GET"}}}
	assemble(o, pageResult{OK: true, Status: 200, Type: "cors"}, v, allCaps, false)
	if o.FromCache || !slices.Equal(o.ObservedBy["from_cache"], []string{SideBrowser}) {
		t.Fatalf("with the server hit: from_cache %v observed by %v", o.FromCache, o.ObservedBy["from_cache"])
	}
}

func TestStatusTextNamesUnknownCodes(t *testing.T) {
	if got := statusText(299); got != "status 299" {
		t.Fatalf("statusText(299) = %q", got)
	}
	if got := statusText(204); got != "No Content" {
		t.Fatalf("statusText(204) = %q", got)
	}
}

// TestReasonPrefersANamedCheck: of an engine's issues, the reason that
// names a check of the model wins over one that names none, whatever
// their order; warnings are only listed.
func TestReasonPrefersANamedCheck(t *testing.T) {
	for _, tt := range []struct {
		name   string
		issues []engine.Issue
		want   string
	}{
		{"named first", []engine.Issue{{Reason: "CORSMethodNotFound", Check: "CORS-preflight fetch step 7.5"}, {Reason: "CORSDidNotSucceed2"}}, "CORSMethodNotFound"},
		{"named last", []engine.Issue{{Reason: "CORSDidNotSucceed2"}, {Reason: "CORSMethodNotFound", Check: "CORS-preflight fetch step 7.5"}}, "CORSMethodNotFound"},
		{"none named", []engine.Issue{{Reason: "CORSDidNotSucceed2"}}, "CORSDidNotSucceed2"},
		{"warning only", []engine.Issue{{Reason: "CORSAllowHeaderFromPreflightDeprecation", Warning: true}}, ""},
	} {
		o := &Observation{}
		fillFromIssues(o, tt.issues)
		if o.CorsError != tt.want {
			t.Errorf("%s: cors_error %q, want %q", tt.name, o.CorsError, tt.want)
		}
	}
}
