// Package engine is what every browser driver provides, in one neutral form:
// launch a browser with a private profile, open pages on origins, run the
// page's request function there, and report what the browser saw of the
// requests (hops, headers, failures, console, issues) without deciding
// anything about them. The harness assembles observations and verdicts from
// these reports; a driver only translates its browser's protocol.
//
// Drivers: engine/chromium (DevTools protocol). Each says in its
// Capabilities which of the View's fields it can fill.
package engine

import (
	"context"
	"errors"
	"io"
)

// ErrNoBrowser means no usable browser binary was found, or it would not
// start. Drivers wrap it with what they tried.
var ErrNoBrowser = errors.New("no usable browser")

// ErrBrowserGone means the browser crashed, was killed or closed while it
// was being used.
var ErrBrowserGone = errors.New("the browser went away (crashed or was killed)")

// ErrUnsupported means the engine cannot do what was asked (see
// Capabilities).
var ErrUnsupported = errors.New("not supported by this engine")

// Engine is one kind of browser: its name and how to start it.
type Engine interface {
	// Name is the engine's short name, e.g. "chromium".
	Name() string
	// Launch starts a browser with a private profile, all its files under
	// opt.Dir. ctx bounds the start only: the browser lives until Close.
	Launch(ctx context.Context, opt LaunchOptions) (Browser, error)
}

// LaunchOptions configures Engine.Launch.
type LaunchOptions struct {
	// ExecPath is the browser binary; empty means the engine's own lookup
	// (e.g. CORSLAB_BROWSER, then the usual places).
	ExecPath string
	// Dir is an existing, empty directory that the browser's every file
	// goes in: profile, temporary files, HOME and XDG directories; Close
	// removes it. The harness gives each browser one inside its run
	// directory. Empty means the driver makes its own run directory
	// (NewRunDir).
	Dir string
	// BlockThirdPartyCookies keeps the browser's blocking of cookies on
	// cross-site requests. By default corslab allows them, so credentialed
	// scenarios can show cookies being sent.
	BlockThirdPartyCookies bool
	// Output receives the browser's own output; nil discards it.
	Output io.Writer
	// HostMap sends host:port pairs to loopback listeners, so a page can
	// sit on an origin such as https://app.example.com. Every *.localhost
	// name resolves to 127.0.0.1 whatever HostMap says.
	HostMap []HostMapping
	// TrustSPKI are base64 SHA-256 hashes of the SubjectPublicKeyInfo of
	// certificates this browser alone accepts (the lab's throwaway TLS page
	// certificate), never a blanket ignore of certificate errors.
	TrustSPKI []string
	// TrustCerts are the same certificates (DER), for engines that trust a
	// certificate for a host:port rather than by its key's hash: Firefox
	// trusts each for the mapped hosts of HostMap only, in this profile.
	TrustCerts [][]byte
	// NoHTTPSUpgrades keeps a page meant for http://NAME on http: the
	// browser must not move it to https://NAME on its own.
	NoHTTPSUpgrades bool
	// LocalAddresses are loopback addresses (127.0.0.1:PORT) the browser
	// must count as the local address space of Local Network Access, as if
	// they were on a private network.
	LocalAddresses []string
	// PublicAddresses are loopback addresses (127.0.0.1:PORT) the browser
	// must count as the public address space, for engines that place a
	// document by the address it came from only (Firefox); Chromium's
	// public page says so in its own response instead.
	PublicAddresses []string
	// FirstPage is the URL of the page the run opens first, if known. A
	// driver may load it while the browser starts; OpenPage of that URL
	// then finds it loading or loaded.
	FirstPage string
}

// HostMapping sends Host:Port to 127.0.0.1:To.
type HostMapping struct {
	// Host is a host name, or "*" for every host on Port.
	Host string
	Port int
	// To is the loopback port that answers instead.
	To int
}

// Browser is one running browser with a private profile.
type Browser interface {
	// Version is the product and version, e.g. "Chromium 156.0.8078.79".
	Version() string
	// Capabilities says what this browser can observe and do.
	Capabilities() Capabilities
	// OpenPage opens a page (a tab or browsing context) and makes it ready
	// to Call. ctx bounds the opening.
	OpenPage(ctx context.Context, spec PageSpec) (Page, error)
	// SetPermission sets a permission for an origin, e.g. loopback-network
	// for Local Network Access. ErrUnsupported when Capabilities says so.
	SetPermission(ctx context.Context, p Permission) error
	// Close ends the browser and every process of it (gracefully or by
	// killing them: nothing of a browser is kept) and removes its files;
	// its pages end with it. It is safe to call more than once.
	Close() error
}

// PageSpec says which page to open.
type PageSpec struct {
	// URL is the page's address.
	URL string
	// Origin, when not empty, is the serialized origin the page must end up
	// on (https://app.example.com): OpenPage fails if it lands elsewhere.
	Origin string
	// Function is the JavaScript source of an async function of one
	// argument; Page.Call runs it. It is installed once, when the page
	// opens.
	Function string
	// Ready is a JavaScript expression (a promise may be returned) awaited
	// after the page loaded, before it is usable; empty for none.
	Ready string
	// Frames says the page runs its requests in a child frame, here the
	// sandboxed frame with an opaque origin; the driver must observe that
	// frame's requests too (Chromium runs it in a process of its own).
	Frames bool
}

// Permission is one permission setting for an origin, as the Permissions
// standard names them (https://w3c.github.io/permissions/).
type Permission struct {
	// Name is the permission's name, e.g. "loopback-network".
	Name string
	// Setting is "granted", "denied" or "prompt".
	Setting string
	// Origin is the serialized origin it applies to.
	Origin string
}

// Page is an open page with the request function installed.
type Page interface {
	// Call runs the page's function with arg (JSON) and returns its result
	// (JSON). When ctx ends first, the error wraps ctx.Err(); when the
	// browser died, it wraps ErrBrowserGone.
	Call(ctx context.Context, arg []byte) ([]byte, error)
	// Watch begins one request's observation: the requests whose URL
	// contains marker that the browser reports from now on, and the console
	// lines and issues about them, belong to it. Several watches with
	// different markers may be open at once.
	Watch(marker string) Watch
	// Forget drops what the page recorded about marker, so a long run stays
	// small.
	Forget(marker string)
	// Jar is the cookie jar of the page's browser, reached through the
	// page.
	Jar
	// Close closes the page.
	Close() error
}

// Jar is a browser's cookie jar.
type Jar interface {
	// SetCookie stores a cookie, written as a Set-Cookie value, for url.
	SetCookie(ctx context.Context, url, setCookie string) error
	// ClearCookies empties the jar.
	ClearCookies(ctx context.Context) error
	// Cookies returns the cookies the browser would send to url, as
	// "name=value", sorted.
	Cookies(ctx context.Context, url string) ([]string, error)
}

// Watch is one request's observation, begun by Page.Watch.
type Watch interface {
	// Settle waits, within a bound of the engine's own, until the browser's
	// view of the watched requests is complete, then returns it. What
	// "complete" means is engine-specific (which events must come); the
	// hint gives the driver what only the caller knows. ctx ending returns
	// what is there.
	Settle(ctx context.Context, hint Hint) View
}

// Hint is what the caller knows when the page's function has returned.
type Hint struct {
	// Result is what the page's JavaScript saw.
	Result PageOutcome
	// Journal returns what the lab's server has received for the marker
	// since the watch began; nil when the target is outside the lab. A
	// request the server received must also be in the browser's report,
	// so the driver can wait for it.
	Journal func() Arrivals
	// Preflight says the Fetch standard's model has the request need a
	// CORS-preflight (fetchspec.StepNeedsCORSPreflight). With no journal
	// to say whether one went out, a driver whose preflight events may
	// come after the request's own waits for them a while (bounded)
	// before taking the preflight as served from the cache: it waits
	// longer, it never makes up a preflight.
	Preflight bool
	// LocalNetwork says the request goes from its page to a more private
	// address space, a Local Network Access request
	// (fetchspec.IsLocalNetworkRequest). A driver whose account of the
	// browser's decision may come after the request's own events (Firefox's
	// "Local Network Access detected" message) waits for it a while
	// (bounded); it never makes one up.
	LocalNetwork bool
}

// PageOutcome is what the page's JavaScript saw of its request.
type PageOutcome struct {
	// OK: the request gave a response (fetch resolved).
	OK bool
	// Type is the response's type (https://fetch.spec.whatwg.org/#concept-response-type):
	// basic, cors, opaque, opaqueredirect.
	Type string
	// Error and ErrorName are the error JavaScript caught, e.g.
	// "TypeError: Failed to fetch" and "TypeError".
	Error, ErrorName string
}

// Arrivals counts the requests a server received.
type Arrivals struct {
	// Preflights are CORS-preflight requests
	// (https://fetch.spec.whatwg.org/#cors-preflight-request); Requests
	// are all the others.
	Preflights, Requests int
	// Answered counts the requests the server answered with a status
	// line: the browser must report each answer it read off the wire.
	Answered int
}
