package harness

import (
	"slices"
	"testing"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/scenarios"
)

// Chromium files a LocalNetworkAccessPermissionDenied issue (not a warning)
// even for a granted request it lets through: a provisional issue is never
// the verdict, nor the observed cors_error.
func TestProvisionalIssueIsNoVerdict(t *testing.T) {
	yes := true
	granted := engine.View{
		Requests: []engine.Request{{Hops: []engine.Hop{{Method: "GET", URL: "http://bar.localhost:2/r/x-1/", RawHeaders: true,
			Response: &engine.Response{Status: 200, RawHeaders: true}}}, Done: true,
			LocalNetwork: &engine.LocalNetwork{ClientSpace: "public", ClientSecure: &yes, TargetSpace: "loopback", Policy: "PermissionBlock"}}},
		Issues: []engine.Issue{{Kind: "CorsIssue", Reason: "LocalNetworkAccessPermissionDenied", Provisional: true,
			LocalNetwork: &engine.LocalNetwork{ClientSpace: "public", Policy: "PermissionBlock"}}},
	}
	o := &Observation{}
	assemble(o, pageResult{OK: true, Status: 200, Type: "cors"}, granted, allCaps, false)
	if o.CorsError != "" {
		t.Errorf("cors_error %q taken from a provisional issue", o.CorsError)
	}
	if !slices.Equal(o.Issues, []string{"CorsIssue (provisional, not a verdict): LocalNetworkAccessPermissionDenied"}) {
		t.Errorf("issues %q", o.Issues)
	}
	e := scenarios.Expect{Outcome: "allowed", CorsError: new(string)}
	if m := Compare(e, o); len(m) != 0 {
		t.Errorf("the granted request does not pass: %q", m)
	}
	// The same issue taken as a verdict would have failed it: the check can fail.
	wrong := scenarios.Expect{Outcome: "blocked", CorsError: ptrTo("LocalNetworkAccessPermissionDenied")}
	if m := Compare(wrong, o); len(m) != 2 {
		t.Errorf("a wrong expectation is not caught: %q", m)
	}
	ln := o.LocalNetwork
	if ln == nil || ln.PageSpace != "public" || ln.TargetSpace != "loopback" || ln.Policy != "PermissionBlock" || ln.PageSecure == nil || !*ln.PageSecure {
		t.Fatalf("local network %+v", ln)
	}
	for _, f := range []string{"local_network.page_space", "local_network.target_space", "local_network.policy", "local_network.page_secure"} {
		if !slices.Equal(o.ObservedBy[f], []string{SideBrowser}) {
			t.Errorf("%s observed by %q, want browser", f, o.ObservedBy[f])
		}
	}
}

// A request never sent has its spaces only in the issue; a blocked request's
// reason still comes from the failed request, never from the issue.
func TestBlockedLocalNetworkSpacesFromIssue(t *testing.T) {
	blocked := engine.View{
		Requests: []engine.Request{{Hops: []engine.Hop{{Method: "GET", URL: "http://bar.localhost:2/r/x-1/"}}, Done: true,
			Failure: &engine.Failure{Text: "net::ERR_FAILED", Reason: "InsecureLocalNetwork"}}},
		Issues: []engine.Issue{
			{Kind: "CorsIssue", Reason: "LocalNetworkAccessPermissionDenied", Provisional: true, LocalNetwork: &engine.LocalNetwork{TargetSpace: "loopback"}},
			{Kind: "CorsIssue", Reason: "InsecureLocalNetwork", Provisional: true, LocalNetwork: &engine.LocalNetwork{ClientSpace: "public", Policy: "BlockFromInsecureToMorePrivate"}},
		},
	}
	o := &Observation{}
	assemble(o, pageResult{OK: false, Error: "TypeError: Failed to fetch"}, blocked, allCaps, false)
	if o.CorsError != "InsecureLocalNetwork" {
		t.Errorf("cors_error %q", o.CorsError)
	}
	if ln := o.LocalNetwork; ln == nil || ln.PageSpace != "public" || ln.TargetSpace != "loopback" || ln.Policy != "BlockFromInsecureToMorePrivate" || ln.PageSecure != nil {
		t.Errorf("local network %+v", o.LocalNetwork)
	}
	if _, ok := o.ObservedBy["local_network.page_secure"]; ok {
		t.Errorf("page_secure marked observed, yet nobody reported it")
	}
}

func TestServerConnectedIsCompared(t *testing.T) {
	o := &Observation{Outcome: "blocked", ServerConnected: true}
	if m := Compare(scenarios.Expect{Outcome: "blocked", ServerConnected: ptrTo(false)}, o); len(m) != 1 || m[0] != "server_connected: expected false, observed true" {
		t.Errorf("mismatches %q", m)
	}
}

func TestLNAStep(t *testing.T) {
	if lnaStep(scenarios.Step{}) {
		t.Errorf("a plain step is no Local Network Access step")
	}
	if !lnaStep(scenarios.Step{LocalNetwork: scenarios.LocalNetwork{AddressSpace: "public"}}) || !lnaStep(scenarios.Step{Expect: scenarios.Expect{ServerConnected: ptrTo(true)}}) {
		t.Errorf("an address space or server_connected makes a Local Network Access step")
	}
}

func TestLNARequest(t *testing.T) {
	for _, tt := range []struct {
		page, target string
		want         bool
	}{
		{"", "", false}, // loopback to loopback, the defaults
		{scenarios.SpacePublic, scenarios.SpaceLoopback, true},
		{scenarios.SpacePublic, scenarios.SpaceLocal, true},
		// The model follows Chromium 156 here, not the draft's "less
		// public" comparison (fetchspec.IsLocalNetworkRequest).
		{scenarios.SpaceLocal, scenarios.SpaceLoopback, false},
		{scenarios.SpaceLoopback, scenarios.SpacePublic, false},
		{scenarios.SpaceLocal, scenarios.SpaceLocal, false},
	} {
		st := scenarios.Step{LocalNetwork: scenarios.LocalNetwork{AddressSpace: tt.page, TargetSpace: tt.target}}
		if got := lnaRequest(st); got != tt.want {
			t.Errorf("%q page to %q target: lnaRequest %v, want %v", tt.page, tt.target, got, tt.want)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }
