package report

import (
	"fmt"
	"regexp"

	"github.com/corslab/corslab/harness"
)

// Local Network Access (https://wicg.github.io/local-network-access/): the
// explanations of Chromium's two refusals, and what the user or the site
// must do. Private Network Access (Access-Control-Request-Private-Network,
// Access-Control-Allow-Private-Network) is gone: Chromium 156 never sends
// the request header, and the answer header changes nothing.

// consoleSpaceRe finds the address space Chromium's console sentence names:
// "… to access the `loopback` address space." or "… more-private address
// space `local`."
var consoleSpaceRe = regexp.MustCompile("address space `([a-z]+)`|`([a-z]+)` address space")

// targetSpace is the target's address space for the explanation: the one
// the browser reported, else the one its console sentence names, else "".
func targetSpace(o *harness.Observation) string {
	if o.LocalNetwork != nil && o.LocalNetwork.TargetSpace != "" {
		return o.LocalNetwork.TargetSpace
	}
	if m := consoleSpaceRe.FindStringSubmatch(o.Console); m != nil {
		return m[1] + m[2]
	}
	return ""
}

// permissionFor names the permission that opens a space to a public page.
func permissionFor(space string) string {
	if space == "local" {
		return "local-network"
	}
	return "loopback-network"
}

// lnaWhy explains the two Local Network Access refusals; ok is false for
// any other error.
func lnaWhy(in WhyInput) (WhyFix, bool) {
	space := in.TargetSpace
	where := "a more private address space (`" + space + "`)"
	if space == "" {
		space, where = "local", "the local network or this machine (loopback)"
	}
	perm := permissionFor(space)
	target := "targetAddressSpace: '" + space + "'"
	srv := in.Server
	if srv == "" {
		srv = "bar"
	}
	switch in.CorsError {
	case "InsecureLocalNetwork":
		return WhyFix{
			Why: "The page is on a public address and is not a secure context (plain http on a real host name), and the request goes to " + where +
				". Local Network Access blocks that outright: an insecure page cannot even ask the user. It is no CORS header of " + srv + "'s: the browser connected and sent nothing.",
			Fix: []string{
				"Serve the page over https (a secure context); then the browser asks the user whether the site may reach " + space + " devices.",
				"Or run the page itself on the same network as " + srv + " (a local or loopback page may call it without a permission).",
			},
			Check: "request", Short: "an insecure public page may not reach " + space,
		}, true
	case "LocalNetworkAccessPermissionDenied", "InvalidLocalNetworkAccess":
		return WhyFix{
			Why: "The page is on a public address and the request goes to " + where + ": a local network request. The browser lets it through only with the user's permission (" + perm +
				"), and the user said no, or was never asked (headless Chromium answers the prompt with a denial and remembers it). Bar's CORS headers are not the problem: the browser connected and sent nothing.",
			Fix: []string{
				"The user: allow the site to access " + space + " devices in the browser's prompt or site settings (permission " + perm + ").",
				"The site: keep the page in a secure context (https), call fetch from a user gesture so the prompt can appear, and mark it with `" + target + "` where the request would otherwise be mixed content (an https page calling an http server in the " + space + " space).",
				"No server header helps: `Access-Control-Allow-Private-Network` is no longer consulted.",
			},
			Check: "request", Short: "no permission to reach " + space,
		}, true
	}
	return WhyFix{}, false
}

// lnaErrors are the CorsErrors of a Local Network Access block.
var lnaErrors = map[string]bool{"LocalNetworkAccessPermissionDenied": true, "InsecureLocalNetwork": true, "InvalidLocalNetworkAccess": true}

// lnaBeat tells what happened on the wire when Local Network Access
// blocked the request: a connection, and no request on it; ok is false for
// any other error.
func lnaBeat(o *harness.Observation, method, browser string) (Beat, bool) {
	if !lnaErrors[o.CorsError] {
		return Beat{}, false
	}
	space := targetSpace(o)
	if space == "" {
		space = "more private"
	}
	page := "public"
	if o.LocalNetwork != nil && o.LocalNetwork.PageSpace != "" {
		page = o.LocalNetwork.PageSpace
	}
	title := fmt.Sprintf("%s connects to bar, sees that bar is in the %s address space and the page in the %s one, and sends nothing: Local Network Access blocks the %s before its first byte", browser, space, page, method)
	if o.LocalNetwork != nil && o.ObservedBy["local_network.connections"] != nil {
		title += fmt.Sprintf(" (bar's connection journal: %d connection(s), %d without any request)", o.LocalNetwork.Connections, o.LocalNetwork.ConnectionsEmpty)
	}
	return Beat{From: "chromium", To: "bar", Label: "connect, then nothing", Failed: true, Title: title}, true
}
