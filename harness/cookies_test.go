package harness

import (
	"errors"
	"strings"
	"testing"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/engine/chromium"
	"github.com/corslab/corslab/scenarios"
)

// capsOnly is a browser that only answers Capabilities.
type capsOnly struct {
	engine.Browser
	caps engine.Capabilities
}

func (b capsOnly) Capabilities() engine.Capabilities { return b.caps }

// An engine without a reachable jar runs a scenario that only sends
// credentials, and refuses, as unsupported, one that must set or read the
// jar; an engine with a jar refuses nothing.
func TestJarReachable(t *testing.T) {
	yes := true
	creds := scenarios.Scenario{Request: scenarios.Request{Credentials: "include"}}
	withCookie := scenarios.Scenario{Cookies: []scenarios.Cookie{{SetCookie: "a=1"}}}
	blocking := scenarios.Scenario{ThirdPartyCookies: "block"}
	readsJar := scenarios.Scenario{Steps: []scenarios.Step{{}, {Expect: scenarios.Expect{CookieSet: &yes}}}}
	tests := []struct {
		sc      scenarios.Scenario
		cookies bool
		refused bool
	}{
		{creds, false, false}, {withCookie, false, true}, {blocking, false, true}, {readsJar, false, true},
		{creds, true, false}, {withCookie, true, false}, {blocking, true, false}, {readsJar, true, false},
	}
	for i, tt := range tests {
		s := &Session{Browser: capsOnly{caps: engine.Capabilities{Cookies: tt.cookies}}, eng: chromium.Engine{}}
		err := s.jarReachable(tt.sc)
		if (err != nil) != tt.refused || err != nil && !errors.Is(err, engine.ErrUnsupported) {
			t.Errorf("case %d (jar %v): %v, want refused %v", i, tt.cookies, err, tt.refused)
		}
	}
}

// An engine that cannot open the lab's public page refuses, as
// unsupported and with its reason, the scenarios on a public page or with
// a permission, and runs the loopback and local ones; an engine that can
// refuses none.
func TestPublicPageReachable(t *testing.T) {
	public := scenarios.Scenario{LocalNetwork: scenarios.LocalNetwork{AddressSpace: scenarios.SpacePublic}}
	permission := scenarios.Scenario{LocalNetwork: scenarios.LocalNetwork{Permission: scenarios.PermissionGranted}}
	secondStep := scenarios.Scenario{Steps: []scenarios.Step{{}, {LocalNetwork: scenarios.LocalNetwork{AddressSpace: scenarios.SpacePublic}}}}
	local := scenarios.Scenario{LocalNetwork: scenarios.LocalNetwork{AddressSpace: scenarios.SpaceLocal}}
	loopback := scenarios.Scenario{Expect: scenarios.Expect{ServerConnected: ptrBool(true)}}
	tests := []struct {
		sc      scenarios.Scenario
		can     bool
		refused bool
	}{
		{public, false, true}, {permission, false, true}, {secondStep, false, true}, {local, false, false}, {loopback, false, false},
		{public, true, false}, {permission, true, false}, {secondStep, true, false}, {local, true, false}, {loopback, true, false},
	}
	for i, tt := range tests {
		caps := engine.Capabilities{NoPublicPage: "because"}
		if tt.can {
			caps.NoPublicPage = ""
		}
		err := PublicPageReachable("x", caps, tt.sc)
		if (err != nil) != tt.refused || err != nil && (!errors.Is(err, engine.ErrUnsupported) || !strings.Contains(err.Error(), "because")) {
			t.Errorf("case %d (public page %v): %v, want refused %v", i, tt.can, err, tt.refused)
		}
	}
}

// An engine that places pages by their address (Firefox) runs public pages
// on labels and on http origins, on the public twin, and refuses only a
// public page on an https origin.
func TestPublicPageReachableByAddress(t *testing.T) {
	on := func(page string) scenarios.Scenario {
		return scenarios.Scenario{Page: page, LocalNetwork: scenarios.LocalNetwork{AddressSpace: scenarios.SpacePublic, Permission: scenarios.PermissionGranted}}
	}
	caps := engine.Capabilities{PublicByAddress: true, NoPublicPage: "because"}
	for _, tt := range []struct {
		page    string
		refused bool
	}{{"", false}, {"foo", false}, {"evil", false}, {"http://app.example.test", false}, {"https://app.example.com", true}} {
		err := PublicPageReachable("x", caps, on(tt.page))
		if (err != nil) != tt.refused || err != nil && !errors.Is(err, engine.ErrUnsupported) {
			t.Errorf("page %q: %v, want refused %v", tt.page, err, tt.refused)
		}
	}
}

func ptrBool(v bool) *bool { return &v }

// Unsupported refuses, on an engine without PageOrigins, a scenario whose
// page is on a full origin, and the jar's scenarios on one without a jar;
// it refuses nothing on an engine with both.
func TestUnsupported(t *testing.T) {
	full := scenarios.Scenario{Page: "https://app.example.com"}
	withCookie := scenarios.Scenario{Cookies: []scenarios.Cookie{{SetCookie: "a=1"}}}
	plain := scenarios.Scenario{}
	tests := []struct {
		sc   scenarios.Scenario
		caps engine.Capabilities
		want string
	}{
		{full, engine.Capabilities{Cookies: true}, "its page is on https://app.example.com"},
		{withCookie, engine.Capabilities{PageOrigins: true}, "cookie jar"},
		{plain, engine.Capabilities{}, ""},
		{full, engine.Capabilities{Cookies: true, PageOrigins: true}, ""},
		{withCookie, engine.Capabilities{Cookies: true, PageOrigins: true}, ""},
	}
	for i, tt := range tests {
		s := &Session{Browser: capsOnly{caps: tt.caps}, eng: chromium.Engine{}}
		err := s.Unsupported(tt.sc)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("case %d: refused: %v", i, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, engine.ErrUnsupported)):
			t.Errorf("case %d: %v, want an unsupported error containing %q", i, err, tt.want)
		}
	}
}
