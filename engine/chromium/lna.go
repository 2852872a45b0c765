package chromium

import (
	"strings"

	"github.com/chromedp/chromedp"

	"github.com/corslab/corslab/engine"
)

// Local Network Access in Chromium 156 (measured: shared notes,
// local-network-access.md). The block comes after the TCP connect and before
// any byte of HTTP; loadingFailed.corsErrorStatus says
// LocalNetworkAccessPermissionDenied (secure page) or InsecureLocalNetwork;
// clientSecurityState is in requestWillBeSentExtraInfo only for a request
// that was sent, and in the Audits CorsIssue otherwise; the target's space is
// responseReceivedExtraInfo.resourceIPAddressSpace.

// clientSecurityState is CDP's Network.ClientSecurityState, read as strings.
type clientSecurityState struct {
	InitiatorIsSecureContext *bool  `json:"initiatorIsSecureContext"`
	InitiatorIPAddressSpace  string `json:"initiatorIPAddressSpace"`
	LocalNetworkPolicy       string `json:"localNetworkAccessRequestPolicy"`
	// PrivateNetworkPolicy is the field's name before Local Network Access.
	PrivateNetworkPolicy string `json:"privateNetworkRequestPolicy"`
}

// lnaCorsErrors are the CorsError values of Local Network Access. Chromium
// raises the Audits issue for them before it looks up the permission, so an
// issue with one of them is provisional.
var lnaCorsErrors = map[string]bool{
	"LocalNetworkAccessPermissionDenied": true, "InsecureLocalNetwork": true, "InvalidLocalNetworkAccess": true,
	"InsecurePrivateNetwork": true, "InvalidPrivateNetworkAccess": true, "UnexpectedPrivateNetworkAccess": true,
	"PreflightMissingAllowPrivateNetwork": true, "PreflightInvalidAllowPrivateNetwork": true,
}

// addressSpaceFlag tells Chromium which loopback addresses count as local.
func addressSpaceFlag(local []string) []chromedp.ExecAllocatorOption {
	if len(local) == 0 {
		return nil
	}
	parts := make([]string, len(local))
	for i, a := range local {
		parts[i] = a + "=local"
	}
	return []chromedp.ExecAllocatorOption{chromedp.Flag("ip-address-space-overrides", strings.Join(parts, ","))}
}

// space is CDP's IPAddressSpace in the neutral words: Public, Local (Private
// before 156) and Loopback become public, local and loopback.
func space(s string) string {
	switch strings.ToLower(s) {
	case "":
		return ""
	case "private", "local":
		return "local"
	default:
		return strings.ToLower(s)
	}
}

// localNetwork fills the neutral account from a client security state and a
// resource address space; nil when neither says anything.
func localNetwork(cs *clientSecurityState, resource string) *engine.LocalNetwork {
	if cs == nil && resource == "" {
		return nil
	}
	n := &engine.LocalNetwork{TargetSpace: space(resource)}
	if cs != nil {
		n.ClientSpace = space(cs.InitiatorIPAddressSpace)
		n.ClientSecure = cs.InitiatorIsSecureContext
		n.Policy = cs.LocalNetworkPolicy
		if n.Policy == "" {
			n.Policy = cs.PrivateNetworkPolicy
		}
	}
	return n
}

// requestLocalNetwork is what the sent request's events say of its spaces.
func requestLocalNetwork(n *netRequest) *engine.LocalNetwork {
	var cs *clientSecurityState
	for _, w := range n.WireReq {
		if w.ClientSecurityState != nil {
			cs = w.ClientSecurityState
		}
	}
	resource := ""
	for _, w := range n.WireResp {
		if w.ResourceIPAddressSpace != "" {
			resource = w.ResourceIPAddressSpace
		}
	}
	return localNetwork(cs, resource)
}

// spaceRank orders the address spaces from the most private.
var spaceRank = map[string]int{"loopback": 0, "local": 1, "public": 2}

// lnaIssueDue says whether an Audits CorsIssue Chromium files for a request
// under Local Network Access has yet to come; it arrives on its own
// subscription, often after the network events, and without the wait
// whether the observation holds it would depend on how busy the machine
// is. Measured in Chromium 156 (local-network-access.md, "Audits caveat",
// and the local-network group): a public page's request to a more private
// space gets a LocalNetworkAccessPermissionDenied issue at the first check,
// before the permission is looked up, whether or not it is then let
// through; a blocked request gets one more with its own reason when that
// is another (InsecureLocalNetwork); a local page's request to loopback
// gets none.
func lnaIssueDue(sn snapshot) bool {
	const firstCheck = "LocalNetworkAccessPermissionDenied"
	for _, n := range sn.requests {
		var want []string
		if f := n.Failed; f != nil && f.CorsErrorStatus != nil && lnaCorsErrors[f.CorsErrorStatus.CorsError] {
			want = []string{firstCheck, f.CorsErrorStatus.CorsError}
		} else if ln := requestLocalNetwork(n); ln != nil && ln.ClientSpace == "public" {
			if t, ok := spaceRank[ln.TargetSpace]; ok && t < spaceRank["public"] {
				want = []string{firstCheck}
			}
		}
		for _, reason := range want {
			if !issueFor(sn.issues, n, reason) {
				return true
			}
		}
	}
	return false
}

// issueFor says whether a CorsIssue with reason is about request n.
func issueFor(issues []issue, n *netRequest, reason string) bool {
	for _, is := range issues {
		d := is.Issue.Details.Cors
		if d != nil && d.CorsErrorStatus.CorsError == reason && (d.Request.RequestID == n.ID || d.Request.URL != "" && d.Request.URL == n.firstURL()) {
			return true
		}
	}
	return false
}
