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
