package chromium

import (
	"testing"
)

// The driver reads Local Network Access from CDP as Chromium 156 sends it:
// clientSecurityState on the sent request, resourceIPAddressSpace on the
// response, and the same in an Audits issue, which it marks provisional.
func TestLocalNetworkFromEvents(t *testing.T) {
	r := newRecorder()
	url := "http://bar.localhost:2/r/x-1/"
	r.handle("Network.requestWillBeSent", []byte(`{"requestId":"1","request":{"url":"`+url+`","method":"GET","headers":{}},"initiator":{"type":"script"}}`))
	r.handle("Network.requestWillBeSentExtraInfo", []byte(`{"requestId":"1","headers":{"Origin":"http://foo.localhost:1"},
		"clientSecurityState":{"initiatorIsSecureContext":true,"initiatorIPAddressSpace":"Public","localNetworkAccessRequestPolicy":"PermissionBlock"}}`))
	r.handle("Network.responseReceivedExtraInfo", []byte(`{"requestId":"1","statusCode":200,"headers":{},"resourceIPAddressSpace":"Loopback"}`))
	r.handle("Network.loadingFinished", []byte(`{"requestId":"1"}`))
	r.handle("Audits.issueAdded", []byte(`{"issue":{"code":"CorsIssue","details":{"corsIssueDetails":{"corsErrorStatus":{"corsError":"LocalNetworkAccessPermissionDenied","failedParameter":""},
		"isWarning":false,"request":{"requestId":"1","url":"`+url+`"},"clientSecurityState":{"initiatorIPAddressSpace":"Public","localNetworkAccessRequestPolicy":"PermissionBlock"},"resourceIPAddressSpace":"Private"}}}}`))
	r.handle("Audits.issueAdded", []byte(`{"issue":{"code":"CorsIssue","details":{"corsIssueDetails":{"corsErrorStatus":{"corsError":"MissingAllowOriginHeader"},
		"request":{"requestId":"1","url":"`+url+`"}}}}}`))
	v := view(r.matching("/r/x-1/"))
	if len(v.Requests) != 1 {
		t.Fatalf("view %+v", v)
	}
	n := v.Requests[0].LocalNetwork
	if n == nil || n.ClientSpace != "public" || n.TargetSpace != "loopback" || n.Policy != "PermissionBlock" || n.ClientSecure == nil || !*n.ClientSecure {
		t.Fatalf("request's local network %+v", n)
	}
	if len(v.Issues) != 2 {
		t.Fatalf("issues %+v", v.Issues)
	}
	lna, other := v.Issues[0], v.Issues[1]
	if !lna.Provisional || lna.LocalNetwork == nil || lna.LocalNetwork.TargetSpace != "local" || lna.LocalNetwork.ClientSpace != "public" {
		t.Errorf("LNA issue %+v (%+v)", lna, lna.LocalNetwork)
	}
	if other.Provisional || other.LocalNetwork != nil {
		t.Errorf("a CORS issue of another kind is provisional: %+v", other)
	}
}

func TestAddressSpaceFlag(t *testing.T) {
	if len(addressSpaceFlag(nil)) != 0 {
		t.Errorf("a flag without local addresses")
	}
	if len(addressSpaceFlag([]string{"127.0.0.1:1", "127.0.0.1:2"})) != 1 {
		t.Errorf("one flag for all local addresses")
	}
	for in, want := range map[string]string{"Public": "public", "Private": "local", "Local": "local", "Loopback": "loopback", "": ""} {
		if got := space(in); got != want {
			t.Errorf("space(%q) = %q, want %q", in, got, want)
		}
	}
}

// A watch waits for the Audits issues Chromium files under Local Network
// Access (lnaIssueDue), each case with what has come.
func TestLNAIssueDue(t *testing.T) {
	lnaIssue := func(id, reason string) issue {
		var is issue
		is.Issue.Code = "CorsIssue"
		is.Issue.Details.Cors = &corsIssueDetails{CorsErrorStatus: corsErrorStatus{CorsError: reason}}
		is.Issue.Details.Cors.Request.RequestID = id
		return is
	}
	blocked := func(reason string) *netRequest {
		return &netRequest{ID: "A", Failed: &evLoadingFailed{ErrorText: "net::ERR_FAILED", CorsErrorStatus: &corsErrorStatus{CorsError: reason}}}
	}
	sent := func(client, target string) *netRequest {
		return &netRequest{ID: "A", WireReq: []evRequestExtra{{ClientSecurityState: &clientSecurityState{InitiatorIPAddressSpace: client}}},
			WireResp: []evResponseExtra{{ResourceIPAddressSpace: target}}, Finished: true}
	}
	denied, insecure := "LocalNetworkAccessPermissionDenied", "InsecureLocalNetwork"
	tests := []struct {
		name  string
		sn    snapshot
		waits bool
	}{
		{"blocked, no issue yet", snapshot{requests: []*netRequest{blocked(denied)}}, true},
		{"blocked, with its issue", snapshot{requests: []*netRequest{blocked(denied)}, issues: []issue{lnaIssue("A", denied)}}, false},
		{"another request's issue", snapshot{requests: []*netRequest{blocked(denied)}, issues: []issue{lnaIssue("B", denied)}}, true},
		{"insecure block, one of its two issues", snapshot{requests: []*netRequest{blocked(insecure)}, issues: []issue{lnaIssue("A", insecure)}}, true},
		{"insecure block, both issues", snapshot{requests: []*netRequest{blocked(insecure)}, issues: []issue{lnaIssue("A", insecure), lnaIssue("A", denied)}}, false},
		{"public to loopback let through, its first-check issue to come", snapshot{requests: []*netRequest{sent("Public", "Loopback")}}, true},
		{"public to local let through, with its issue", snapshot{requests: []*netRequest{sent("Public", "Local")}, issues: []issue{lnaIssue("A", denied)}}, false},
		{"local to loopback: no issue is filed", snapshot{requests: []*netRequest{sent("Local", "Loopback")}}, false},
		{"a CORS failure is not Local Network Access", snapshot{requests: []*netRequest{blocked("MissingAllowOriginHeader")}}, false},
	}
	for _, tc := range tests {
		if got := lnaIssueDue(tc.sn); got != tc.waits {
			t.Errorf("%s: waits %v, want %v", tc.name, got, tc.waits)
		}
	}
}
