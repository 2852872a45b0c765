package scenarios

// groupOverviews introduces each built-in group to someone new to CORS: what
// part of the protocol its scenarios show, and the section of the Fetch
// standard it rests on.
var groupOverviews = map[string]string{
	"simple": `A "simple" request uses a CORS-safelisted method (GET, HEAD or POST) and only
CORS-safelisted request headers. The browser sends it at once, adding an Origin
header that names the page's origin, and only afterwards decides whether the
page may read the answer: bar must reply with Access-Control-Allow-Origin set to
that origin (or "*"). The request reaches bar either way; CORS guards the
reading, not the sending.
Spec: https://fetch.spec.whatwg.org/#http-cors-protocol`,

	"preflight": `A request that a plain HTML form could not make (a method other than GET, HEAD
or POST, or a header outside the safelist, such as Api-Key or Content-Type:
application/json) is preflighted: before sending it, the browser asks bar with
an OPTIONS request carrying Access-Control-Request-Method and
Access-Control-Request-Headers. Only if bar's answer has an ok status and allows
the origin, the method and every header does the actual request go out.
Spec: https://fetch.spec.whatwg.org/#cors-preflight-fetch`,

	"rejected": `When bar's answer fails the CORS check or the preflight, the page gets only a
network error ("TypeError: Failed to fetch") and cannot tell why; the reason is
in the browser's console and in DevTools. These scenarios are the common ways
servers get it wrong: a missing or mismatched Access-Control-Allow-Origin, a
list where one origin belongs, a preflight answered 404, a method or header not
allowed. Each lesson names the header line that fixes it.
Spec: https://fetch.spec.whatwg.org/#cors-check`,

	"wildcard": `"*" in Access-Control-Allow-Origin, -Allow-Methods, -Allow-Headers and
-Expose-Headers means "any", but only for requests without credentials. With
credentials: "include" the browser refuses "*" in Access-Control-Allow-Origin,
and in the other three headers "*" becomes a literal name that matches nothing.
Authorization is never covered by "*" in the standard, though browsers still
let it through.
Spec: https://fetch.spec.whatwg.org/#http-new-header-syntax`,

	"credentials": `Cookies, HTTP authentication and client certificates go on a cross-origin
request only when the page asks for them (credentials: "include", or
withCredentials for XMLHttpRequest). The page may then read the answer only if
bar opts in twice: Access-Control-Allow-Origin with the exact origin (never
"*") and Access-Control-Allow-Credentials: true. Whether the browser sends
third-party cookies at all is a separate, browser-wide setting.
Spec: https://fetch.spec.whatwg.org/#cors-protocol-and-credentials`,

	"exposure": `Passing the CORS check lets the page read the status and the body, but of the
response headers only the CORS-safelisted ones: Cache-Control,
Content-Language, Content-Length, Content-Type, Expires, Last-Modified and
Pragma. Any other header must be named in Access-Control-Expose-Headers, and
Set-Cookie is never readable at all.
Spec: https://fetch.spec.whatwg.org/#http-access-control-expose-headers`,

	"safelist": `Which methods, request header names and header values keep a cross-origin
request "simple" (no preflight)? GET, HEAD and POST; Accept, Accept-Language,
Content-Language, Content-Type and Range, each with restrictions on its value
(Content-Type only for form encodings and text/plain, values of at most 128
bytes). A near miss silently turns the request into a preflighted one.
Spec: https://fetch.spec.whatwg.org/#cors-safelisted-request-header`,

	"strict": `The browser compares CORS header values byte for byte and parses header lists
strictly: a trailing slash, a capital letter in "true", a missing port or a
stray separator is enough to fail. Almost right is wrong. On the other hand the
actual response's status never matters to CORS: a 404 or 500 with the right
headers is readable.
Spec: https://fetch.spec.whatwg.org/#cors-check`,

	"cache": `After a successful preflight the browser remembers, for a while, which methods
and headers bar allowed for this page's origin, this URL and this credentials
mode, and sends later requests without asking again.
Access-Control-Max-Age sets how long, in seconds; browsers cap it (Chromium at
two hours) and use 5 seconds when it is absent. A failed preflight is not
cached.
Spec: https://fetch.spec.whatwg.org/#cors-preflight-cache`,

	"redirects": `A CORS request that meets a 3xx answer follows it, and every hop is checked:
the redirect response itself must pass the CORS check, a redirect from a URL
already cross-origin to the page on to yet another origin taints the request
(redirect-taint) and its Origin becomes "null", while the first hop away from
the page's own origin keeps the real Origin, a preflight is never redirected, and
the redirect status decides whether the method and body survive (301, 302 and
303 turn a POST into a GET; 307 and 308 keep it).
Spec: https://fetch.spec.whatwg.org/#http-redirect-fetch`,

	"opaque": `fetch(url, {mode: "no-cors"}) makes the request an <img> or a <form> could make
anyway, without asking bar, and hands the page an opaque response: status 0, no
headers, no body. It is meant for caching and embedding (a service worker
storing an image), never for reading data, and it cannot use a method or header
outside the safelist.
Spec: https://fetch.spec.whatwg.org/#concept-filtered-response-opaque`,

	"security": `CORS relaxes the same-origin policy, so a wrong configuration lets a page read
what it should not: reflecting any Origin, trusting "null", matching origins by
prefix or suffix, forgetting Vary: Origin. And CORS never protects the server
itself: a simple request reaches it whatever the answer says, and a client
outside a browser ignores CORS entirely. Each server here is buggy on purpose,
and every lesson names the fix.
Spec: https://fetch.spec.whatwg.org/#cors-protocol-and-http-caches`,

	"bytes": `A header value is a byte sequence, not text: any byte but NUL, CR and LF may
appear in one, and a control byte is enough to make a safelisted request
header unsafe or an Access-Control-Allow-Origin wrong. A status is any number
from 100 to 999 with any reason phrase, which the page reads as statusText.
Some answers here are written out byte for byte to show how the browser parses
a malformed one (a missing colon, two status lines, an interim 1xx, HTTP/1.0).
Also: a server whose policy changes between two requests, and cookies set by
another host.
Spec: https://fetch.spec.whatwg.org/#terminology-headers`,

	"local-network": `Local Network Access (Chromium, measured in 156; it replaced Private Network Access):
a page on a public address may not reach a server on the user's machine
(loopback) or private network (local) unless the user grants a permission
(loopback-network or local-network); a page that is not a secure context is
refused outright. The browser connects first, to learn the server's address,
then sends nothing: the server sees a bare connection. No server header
(Access-Control-Allow-Private-Network) opens the gate. It is a WICG draft
(https://wicg.github.io/local-network-access/), not yet part of Fetch.
Spec: https://fetch.spec.whatwg.org/#concept-http-network-fetch`,
}

// elementsOverview introduces CORS outside fetch() and XMLHttpRequest.
const elementsOverview = `Most pages meet CORS first outside fetch(): an <img>, <script> or <link
rel=stylesheet> with a crossorigin attribute, a module script, a web font. HTML's
CORS settings attributes decide the request: no attribute is a no-cors request
(shown anyway, but opaque: a tainted canvas, unreadable cssRules, "Script
error." for a script's errors); crossorigin="anonymous" is a CORS request
without cookies, "use-credentials" one with them, and the resource must pass
the CORS check or it does not load at all. Module scripts and fonts are always
CORS. Also here: Timing-Allow-Origin for detailed resource timing, an
XMLHttpRequest upload listener and the 1024-byte total of safelisted headers
that force a preflight, and Response.url after a redirect.
Spec: https://fetch.spec.whatwg.org/#concept-request-mode`

func init() { groupOverviews["elements"] = elementsOverview }

// GroupOverview returns the introduction to a built-in group, or "" for a
// group the catalog does not have.
func GroupOverview(group string) string {
	return groupOverviews[group]
}

// Groups returns the built-in groups in teaching order.
func Groups() []string {
	return append([]string(nil), groupOrder...)
}
