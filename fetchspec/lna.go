package fetchspec

import (
	"slices"
	"strings"

	"github.com/corslab/corslab/scenarios"
)

// Local Network Access is not part of the Fetch standard today. It is a
// WICG draft (https://wicg.github.io/local-network-access/) that patches
// Fetch: after HTTP-network fetch obtains a connection
// (https://fetch.spec.whatwg.org/#concept-http-network-fetch), a request from
// a less private address space to a more private one is a local network
// request, and fails unless the user granted the permission. Chromium 156
// implements it with two tiers (public, and local with loopback: a local page
// may call loopback), a permission per target space (loopback-network,
// local-network), and an outright block for pages that are not a secure
// context.
//
// The model follows the Fetch standard alone, so it does not predict what
// such a request does: the outcome and everything after the connection is
// the draft's and the user's permission's to decide. The request's own
// shape before it (a preflight or not, what it would carry) stays the
// standard's.

// LocalNetworkDraft is the draft the Local Network Access step comes from.
const LocalNetworkDraft = "https://wicg.github.io/local-network-access/"

// IsLocalNetworkRequest reports whether a request from a page in the client
// address space to a server in the target address space is a local network
// request, which Chromium 156 gates: a public page calling a local or
// loopback server. The draft's "less public" comparison
// (https://wicg.github.io/local-network-access/#local-network-request) would
// also gate local → loopback; Chromium 156 does not.
func IsLocalNetworkRequest(client, target string) bool {
	return scenarios.LessPrivate(client, target)
}

// LocalNetworkStep is the trace step that says the model stops at Local
// Network Access.
func LocalNetworkStep(client, target string) Step {
	return Step{Algorithm: "Local Network Access (WICG draft, not in Fetch)", Number: "-", URL: LocalNetworkDraft,
		Says:    "a " + client + " page calls a " + target + " server: a local network request, which the Fetch standard does not know; the draft makes it fail without the user's permission",
		Outcome: Done}
}

// skipLocalNetwork withdraws what a local network request's gate decides:
// the outcome and what follows the connection. The preflight, and what a
// preflight would ask, stay predicted.
func (p *StepPrediction) skipLocalNetwork(st scenarios.Step) {
	n := st.LocalNetwork.WithDefaults()
	if !IsLocalNetworkRequest(n.AddressSpace, n.TargetSpace) {
		return
	}
	p.Outcome, p.JSError, p.FailedAt = "", "", nil
	p.Status, p.StatusText, p.ResponseType, p.Body, p.Redirected = nil, nil, nil, nil, nil
	p.ReadableHeaders, p.UnreadableHeaders, p.view, p.exposeAll = nil, nil, nil, false
	p.ReachedServer, p.MethodReceived, p.OriginSent, p.CookiesSent, p.CookieSet = nil, nil, nil, nil, nil
	p.NotPredicted = slices.DeleteFunc(p.NotPredicted, func(s string) bool {
		return strings.HasPrefix(s, "status_text:") || strings.HasPrefix(s, "response_type and redirected:")
	})
	p.Trace = append(p.Trace, LocalNetworkStep(n.AddressSpace, n.TargetSpace))
	p.NotPredicted = append(p.NotPredicted, "outcome and what follows the connection: Local Network Access ("+LocalNetworkDraft+") is not in the Fetch standard; a "+n.AddressSpace+" page calling a "+n.TargetSpace+" server is gated by the user's permission")
}
