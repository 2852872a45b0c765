package engine

// View is what the browser reported about the requests of one watch, in
// the engine's own words but in one shape. It decides nothing: whether a
// request was allowed is the page's to say; a Failure says only that the
// browser reported one.
type View struct {
	// Requests are the watched requests in the order the browser first
	// reported them, preflights included.
	Requests []Request
	// Console are the console entries about them, in order.
	Console []ConsoleEntry
	// Issues are other diagnostics about them (Chromium's DevTools issues).
	Issues []Issue
}

// Request is one request as the browser reported it, across its redirects.
type Request struct {
	// Preflight: this is a CORS-preflight request
	// (https://fetch.spec.whatwg.org/#cors-preflight-fetch) the browser
	// sent for a request of the page.
	Preflight bool
	// Hops are the request and its redirects, in order.
	Hops []Hop
	// Done: the browser reported the request finished or failed.
	Done bool
	// Failure is the failure the browser reported, nil if none.
	Failure *Failure
	// FromCache: the response came from the browser's HTTP cache.
	FromCache bool
	// CookiesSent are the cookies the browser says it attached, as
	// "name=value", when it reports them.
	CookiesSent []string
	// CookiesBlocked are Set-Cookie lines of the response the browser
	// refused, each with its reasons: "c=1; Secure (SameSiteNoneInsecure)".
	CookiesBlocked []string
	// LocalNetwork is what the browser said of the request's address
	// spaces, nil when it said nothing.
	LocalNetwork *LocalNetwork
}

// LocalNetwork is what a browser reports of Local Network Access
// (https://wicg.github.io/local-network-access/) for one request.
type LocalNetwork struct {
	// ClientSpace is the address space of the page that made the request:
	// public, local or loopback; empty when not reported.
	ClientSpace string
	// ClientSecure says whether that page was a secure context; nil when
	// not reported.
	ClientSecure *bool
	// TargetSpace is the address space of the server that answered (or
	// that the browser connected to).
	TargetSpace string
	// Policy is the browser's own name of the policy it applied, e.g.
	// Chromium's PermissionBlock or BlockFromInsecureToMorePrivate.
	Policy string
}

// Hop is one request on the way: the first, or one a redirect made.
type Hop struct {
	Method string
	URL    string
	// Headers are the request's headers, one pair per line.
	Headers [][2]string
	// RawHeaders: Headers are what went on the wire, not only the page's
	// view of them.
	RawHeaders bool
	// Response is the answer to this hop, nil if the browser reported none.
	Response *Response
}

// Response is an answer as the browser reported it.
type Response struct {
	Status int
	// Headers are the response's headers, one pair per line.
	Headers [][2]string
	// RawHeaders: Headers are what came off the wire.
	RawHeaders bool
	// FromCache: it came from the browser's HTTP cache, not the wire.
	FromCache bool
}

// Failure is a request's failure as the browser reported it: in the Fetch
// standard's terms, a network error
// (https://fetch.spec.whatwg.org/#concept-network-error), with the
// browser's own account of why.
type Failure struct {
	// Text is the engine's own error text, e.g. "net::ERR_FAILED".
	Text string
	// Reason is the engine's machine-readable reason, e.g. Chromium's
	// CorsError "MissingAllowOriginHeader"; empty when it gave none.
	Reason string
	// Parameter is the reason's parameter, e.g. the header name a
	// preflight did not allow.
	Parameter string
	// Check is the reason in the Fetch model's words: the step that failed,
	// one of fetchspec's Check names; empty when the reason maps to none.
	Check string
}

// ConsoleEntry is one console message.
type ConsoleEntry struct {
	// Source is where it came from, as the engine says: "javascript",
	// "network", "security".
	Source string
	// Level is "error", "warning", "info" ...
	Level string
	Text  string
}

// Issue is a diagnostic the browser raised about a request besides its
// console, e.g. a Chromium CorsIssue.
type Issue struct {
	// Kind is the engine's name for the kind of issue, e.g. "CorsIssue".
	Kind string
	// Reason, Parameter and Check are as in Failure.
	Reason, Parameter, Check string
	// Warning: the browser let the request through and only warns.
	Warning bool
	// Info: the browser logged it as information (Firefox's Local Network
	// Access messages): never a reason, and no warning.
	Info bool
	// Provisional: the browser files this issue before its final decision
	// (Chromium raises a Local Network Access denial before it looks up the
	// permission, even for a request it then lets through), so it is no
	// verdict.
	Provisional bool
	// LocalNetwork is what the issue says of the address spaces.
	LocalNetwork *LocalNetwork
}

// Capabilities says which sides and fields an engine can observe, so an
// observation never shows a fact as observed that nobody could see.
type Capabilities struct {
	// Network: the browser reports the page's requests (View.Requests).
	Network bool
	// Preflight: it reports a CORS preflight as a request of its own.
	Preflight bool
	// RawHeaders: it reports headers as they were on the wire.
	RawHeaders bool
	// Reason: a failed request carries a machine-readable reason
	// (Failure.Reason).
	Reason bool
	// Console: the console's messages about a request.
	Console bool
	// Issues: diagnostics besides the console (View.Issues).
	Issues bool
	// Cookies: the jar can be set, cleared and read, and the browser says
	// which cookies it attached or refused.
	Cookies bool
	// BlockedCookies: it says which Set-Cookie lines of a response it
	// refused, and why (Request.CookiesBlocked).
	BlockedCookies bool
	// Permissions: SetPermission works.
	Permissions bool
	// Concurrent: several Calls may be in flight in one page at once.
	Concurrent bool
	// PageOrigins: a page can sit on any origin (LaunchOptions.HostMap and
	// the lab's TLS certificate are honoured), not only on *.localhost.
	PageOrigins bool
	// PublicByAddress: the engine takes a page's Local Network Access
	// address space only from the address (IP:port) it came from, never
	// from the treat-as-public-address page the lab serves Chromium
	// (Firefox); the lab opens a public page on a listener named in
	// LaunchOptions.PublicAddresses instead.
	PublicByAddress bool
	// NoPublicPage, when not empty, says why the lab cannot put some page
	// of this engine in the public address space for Local Network Access
	// although the engine gates it: with PublicByAddress, a page on a full
	// https origin; without it, any page. Those scenarios do
	// not run there. Empty: every public page works (Chromium), or the
	// engine has no Local Network Access to set up.
	NoPublicPage string
}
