package report

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/corslab/corslab/fetchspec"
)

// CorsErrors lists every value of Chromium's Network.CorsError (CDP, Chromium
// 148 and later), in protocol order. Why has an entry for each.
var CorsErrors = []string{
	"DisallowedByMode",
	"InvalidResponse",
	"WildcardOriginNotAllowed",
	"MissingAllowOriginHeader",
	"MultipleAllowOriginValues",
	"InvalidAllowOriginValue",
	"AllowOriginMismatch",
	"InvalidAllowCredentials",
	"CorsDisabledScheme",
	"PreflightInvalidStatus",
	"PreflightDisallowedRedirect",
	"PreflightWildcardOriginNotAllowed",
	"PreflightMissingAllowOriginHeader",
	"PreflightMultipleAllowOriginValues",
	"PreflightInvalidAllowOriginValue",
	"PreflightAllowOriginMismatch",
	"PreflightInvalidAllowCredentials",
	"PreflightMissingAllowExternal",
	"PreflightInvalidAllowExternal",
	"InvalidAllowMethodsPreflightResponse",
	"InvalidAllowHeadersPreflightResponse",
	"MethodDisallowedByPreflightResponse",
	"HeaderDisallowedByPreflightResponse",
	"RedirectContainsCredentials",
	"InsecureLocalNetwork",
	"InvalidLocalNetworkAccess",
	"NoCorsRedirectModeNotFollow",
	"LocalNetworkAccessPermissionDenied",
}

// WhyInput is what the explanation of a refused request is computed from:
// the step of the Fetch standard that fails it (the model's), the messages
// that were on the wire, and the browser's own reason, shown beside.
type WhyInput struct {
	// Browser names the engine whose reason CorsError is (BrowserName);
	// empty for Chromium.
	Browser string
	// Failure is the step of the Fetch standard that fails the request
	// (the prediction's FailedAt); InPreflight says it judged the
	// preflight's answer. It picks the explanation.
	Failure     *fetchspec.Step
	InPreflight bool
	// CorsError and FailedParameter are the browser's own reason
	// (Chromium's). They pick the explanation only when Failure is nil:
	// the standard lets through what the browser refused.
	CorsError       string
	FailedParameter string
	// PageOrigin is the origin of the calling page ("null" when opaque).
	PageOrigin string
	// Method is the method of the actual request as the page sent it.
	Method string
	// PageHeaders are the names of the request headers the page set, spelled
	// as the page spelled them.
	PageHeaders []string
	// PageValues maps each lowercased header name the page set to its value.
	PageValues map[string]string
	// Credentials is true when the request's credentials mode is include.
	Credentials bool
	// Mode and Redirect are the page's request mode and redirect mode.
	Mode, Redirect string
	// URL is the request URL.
	URL string
	// Server is the lab label of the origin that answered ("bar", "baz");
	// empty means bar.
	Server string
	// PageOrigin, after a cross-origin redirect, is the Origin the browser
	// sent (null); Page is then the page's own origin.
	Page string
	// Preflight holds the preflight response's headers and status, when one
	// was observed.
	Preflight       [][2]string
	PreflightStatus int
	// Response holds the headers and status of the response that failed the
	// check (the actual response or a redirect), when one was observed.
	Response       [][2]string
	ResponseStatus int
	// TargetSpace is the target's address space for Local Network Access
	// (loopback, local), when known.
	TargetSpace string
}

// WhyFix is the plain explanation of a CORS error and its concrete fix.
type WhyFix struct {
	// Why is one or two sentences.
	Why string
	// Fix lists what to change, each naming the exact header line(s) in
	// backquotes, e.g. "Have bar answer OPTIONS with `Access-Control-Allow-Headers: Api-Key`".
	Fix []string
	// Check names the check that failed: origin, credentials, status,
	// redirect, methods, headers or request.
	Check string
	// Short is a few words for a ✗ line, e.g. "api-key is not listed in Access-Control-Allow-Headers".
	Short string
	// Step is the failing step of the standard ("CORS-preflight fetch step
	// 7.7"), empty when the explanation comes from the browser's reason.
	Step string
	// Engine is the browser's own reason, shown beside: "HeaderDisallowedByPreflightResponse (api-key)".
	Engine string
}

// IsPreflightError reports whether a CorsError is about the preflight answer.
func IsPreflightError(e string) bool {
	return strings.HasPrefix(e, "Preflight") || strings.HasSuffix(e, "PreflightResponse")
}

// Why explains a refused request with the values observed in this run. The
// failing step of the Fetch standard picks the explanation; the browser's
// CorsError is shown beside it (WhyFix.Engine), and picks the explanation
// only when the standard does not fail the request. Every failing step of
// the model and every value of CorsErrors gives a non-empty Why and Fix; an
// unknown CorsError gives a generic explanation that names it.
func Why(in WhyInput) WhyFix {
	k, pre, p := failureKind(in)
	wf := why(in, k, pre, p)
	if in.Failure != nil {
		wf.Step = in.Failure.Algorithm + " step " + in.Failure.Number
	}
	if in.CorsError != "" {
		wf.Engine = in.CorsError
		if in.FailedParameter != "" {
			wf.Engine += " (" + in.FailedParameter + ")"
		}
	}
	return wf
}

// why is Why's text for a kind of failure; pre says it is the preflight's
// answer that failed, p is the value at fault.
func why(in WhyInput, k failure, pre bool, p string) WhyFix {
	origin := in.PageOrigin
	srv := in.Server
	if srv == "" {
		srv = "bar"
	}
	tainted := in.Page != "" && in.Page != origin
	// who says where the server must put the header.
	who := "Have " + srv + " send"
	where := srv + "'s answer"
	if pre {
		who = "Have " + srv + " answer OPTIONS with"
		where = srv + "'s preflight answer"
	} else if in.ResponseStatus != 0 {
		who = fmt.Sprintf("Have %s send, with its %d answer,", srv, in.ResponseStatus)
	}
	pageIs := "the page's origin is " + origin
	if tainted {
		pageIs = fmt.Sprintf("the request's Origin is %s (the page is on %s, but after a redirect to another origin the browser sends Origin: %s)", origin, in.Page, origin)
	}
	hdrs := in.Response
	if pre {
		hdrs = in.Preflight
	}
	credNote := ""
	if in.Credentials {
		credNote = " and `Access-Control-Allow-Credentials: true`"
	}
	allowOrigin := func() []string {
		if origin == "null" && tainted && in.Credentials {
			// Allowing null with credentials works, but lets every opaque
			// origin read the user's data: say so, and lead with the safe fix.
			return []string{"Have the page call " + srv + " directly, so that its own origin is sent, and have " + srv + " allow that origin with `Access-Control-Allow-Credentials: true`.",
				who + " `Access-Control-Allow-Origin: null`" + credNote + " only if you accept the risk: null with credentials lets every sandboxed frame and data: page, on any site, read the user's data."}
		}
		if origin == "null" && tainted {
			return []string{who + " `Access-Control-Allow-Origin: null`" + credNote + ", the Origin a request carries after a cross-origin redirect; or have the page call " + srv + " directly, so that its own origin is sent."}
		}
		if origin == "null" {
			return []string{who + " `Access-Control-Allow-Origin: null`" + credNote + " — but know that every sandboxed frame and local file has the origin null, so this lets all of them read it; better serve the page from a real origin and allow that one."}
		}
		return []string{who + " `Access-Control-Allow-Origin: " + origin + "`" + credNote + " (echo the request's Origin when it is on " + srv + "'s allowlist, and add `Vary: Origin`)."}
	}
	switch k {
	case failOriginMissing:
		status := ""
		if !pre && in.ResponseStatus != 0 {
			status = fmt.Sprintf(" (%d)", in.ResponseStatus)
		}
		return WhyFix{
			Why:   fmt.Sprintf("%s%s has no Access-Control-Allow-Origin header, so it grants the page on %s nothing: the browser may not hand it to the page.", where, status, pageOrigin(in)),
			Fix:   appendIf(allowOrigin(), !pre && in.ResponseStatus >= 400, "Send the CORS headers on error answers too: a CORS middleware that runs before the error handler."),
			Check: "origin", Short: "no Access-Control-Allow-Origin",
		}
	case failOriginMismatch:
		why := fmt.Sprintf("%s says `Access-Control-Allow-Origin: %s`, but %s; the browser compares the two character for character.", where, p, pageIs)
		switch {
		case p == origin+"/":
			why += " An origin is scheme, host and port and never ends with \"/\"."
		case p == "null":
			why += " \"null\" is the origin of sandboxed frames and local files, not a way to say \"nobody\"."
		case sameHostOtherPort(p, origin):
			why += " The port is part of the origin."
		}
		return WhyFix{Why: why, Fix: allowOrigin(), Check: "origin", Short: fmt.Sprintf("%s is not %s", showValue(p), origin)}
	case failOriginMultiple:
		return WhyFix{
			Why:   fmt.Sprintf("%s holds more than one origin (%s). Access-Control-Allow-Origin takes exactly one origin, \"*\" or \"null\"; it is never a list, and two header lines count as a list.", where, showValue(p)),
			Fix:   []string{who + " exactly one line `Access-Control-Allow-Origin: " + origin + "`" + credNote + ": to allow several sites, keep the list on " + srv + ", echo the request's Origin when it is on it, and add `Vary: Origin`."},
			Check: "origin", Short: "more than one value: " + showValue(p),
		}
	case failOriginInvalid:
		return WhyFix{
			Why:   fmt.Sprintf("%s has Access-Control-Allow-Origin %s, which is not an origin, \"*\" or \"null\".", where, showValue(p)),
			Fix:   allowOrigin(),
			Check: "origin", Short: showValue(p) + " is not a valid origin",
		}
	case failOriginWildcard:
		return WhyFix{
			Why: fmt.Sprintf("The request is made with credentials (credentials: 'include'), and for a credentialed request the wildcard \"*\" in Access-Control-Allow-Origin is not accepted: %s must name the page's origin.", where),
			Fix: []string{
				who + " `Access-Control-Allow-Origin: " + origin + "` and `Access-Control-Allow-Credentials: true` (and `Vary: Origin`) instead of `*`.",
				"Or, if the data is public, have the page leave credentials out and keep `Access-Control-Allow-Origin: *`.",
			},
			Check: "origin", Short: "\"*\" is not accepted with credentials",
		}
	case failCredentials:
		why := fmt.Sprintf("The request is made with credentials (credentials: 'include'), so %s must also say `Access-Control-Allow-Credentials: true`; it", where)
		if p == "" {
			why += " has no Access-Control-Allow-Credentials."
		} else {
			why += fmt.Sprintf(" says %s, and only the exact lowercase value \"true\" counts.", showValue(p))
		}
		return WhyFix{
			Why: why,
			Fix: []string{who + " `Access-Control-Allow-Credentials: true`" + originIfMissing(hdrs, origin) + ".",
				"Or, if the page needs no cookies, have it leave credentials out."},
			Check: "credentials", Short: credShort(p),
		}
	case failStatus:
		return WhyFix{
			Why:   fmt.Sprintf("%s answered the preflight with %d %s. A preflight answer needs an ok status (200 to 299); any other status means \"no\", even with the right CORS headers.", srv, in.PreflightStatus, statusWord(in.PreflightStatus)),
			Fix:   []string{"Have " + srv + " answer OPTIONS on this path with `HTTP/1.1 204 No Content` and the CORS headers: an OPTIONS route, or a CORS middleware that answers preflights before routing and authentication."},
			Check: "status", Short: fmt.Sprintf("%d is not an ok status", in.PreflightStatus),
		}
	case failPreflightRedirect:
		loc := headerValue(in.Preflight, "Location")
		why := fmt.Sprintf("%s answered the preflight with a redirect (%d", srv, in.PreflightStatus)
		if loc != "" {
			why += " to " + loc
		}
		why += "). The browser never follows a redirect of a preflight."
		return WhyFix{
			Why:   why,
			Fix:   []string{"Have " + srv + " answer OPTIONS at this very URL with `HTTP/1.1 204 No Content` and the CORS headers, or have the page call the final URL directly."},
			Check: "status", Short: "a preflight may not be redirected",
		}
	case failMethodsParse:
		return WhyFix{
			Why:   fmt.Sprintf("Access-Control-Allow-Methods in %s (%s) is not a comma-separated list of method names, so the browser cannot read it.", where, showValue(p)),
			Fix:   []string{who + " OPTIONS with `Access-Control-Allow-Methods: " + in.Method + "`."},
			Check: "methods", Short: "Access-Control-Allow-Methods cannot be parsed",
		}
	case failHeadersParse:
		return WhyFix{
			Why:   fmt.Sprintf("Access-Control-Allow-Headers in %s (%s) is not a comma-separated list of header names, so the browser cannot read it.", where, showValue(p)),
			Fix:   []string{who + " OPTIONS with `Access-Control-Allow-Headers: " + strings.Join(in.PageHeaders, ", ") + "`."},
			Check: "headers", Short: "Access-Control-Allow-Headers cannot be parsed",
		}
	case failMethod:
		m := p
		if m == "" {
			m = in.Method
		}
		listed := joinedValues(in.Preflight, "Access-Control-Allow-Methods")
		why := fmt.Sprintf("The page sends %s, which is not a CORS-safelisted method (GET, HEAD, POST), and %s does not allow it: ", m, where)
		if listed == "" {
			why += "it has no Access-Control-Allow-Methods."
		} else {
			why += fmt.Sprintf("Access-Control-Allow-Methods says %s.", showValue(listed))
		}
		switch {
		case hasToken(listed, "*") && in.Credentials:
			why += " \"*\" is a wildcard only for requests without credentials; with credentials it is a method named \"*\"."
		case hasTokenFold(listed, m):
			why += " Methods are compared case-sensitively, and " + m + " is listed in another case."
		}
		return WhyFix{
			Why:   why,
			Fix:   []string{who + " `Access-Control-Allow-Methods: " + addToken(listed, m, in.Credentials) + "`."},
			Check: "methods", Short: m + " is not listed in Access-Control-Allow-Methods",
		}
	case failHeader:
		name := pageSpelling(in.PageHeaders, p)
		listed := joinedValues(in.Preflight, "Access-Control-Allow-Headers")
		why := fmt.Sprintf("The page sets %s, which is not a CORS-safelisted request header, so the preflight asked for %q in Access-Control-Request-Headers; %s does not allow it: ", name, strings.ToLower(name), where)
		if fetchspec.IsNoCORSSafelistedRequestHeaderName(name) || fetchspec.IsPrivilegedNoCORSRequestHeaderName(name) {
			v := in.PageValues[strings.ToLower(name)]
			rule := "with a value of at most 128 bytes and no unsafe bytes"
			switch strings.ToLower(name) {
			case "content-type":
				rule = "with application/x-www-form-urlencoded, multipart/form-data or text/plain"
			case "range":
				rule = "with one simple range, bytes=N- or bytes=N-M"
			case "accept-language", "content-language":
				rule = "with letters, digits and \" *,-.;=\" only, at most 128 bytes"
			}
			why = fmt.Sprintf("The page sets %s: %s, and %s is CORS-safelisted only %s, so the preflight asked for %q in Access-Control-Request-Headers; %s does not allow it: ", name, shorten(v, 60), name, rule, strings.ToLower(name), where)
		}
		if listed == "" {
			why += "it has no Access-Control-Allow-Headers."
		} else {
			why += fmt.Sprintf("Access-Control-Allow-Headers says %s.", showValue(listed))
		}
		switch {
		case hasToken(listed, "*") && strings.EqualFold(p, "authorization"):
			why += " \"*\" never covers Authorization: it must be listed by name."
		case hasToken(listed, "*") && in.Credentials:
			why += " \"*\" is a wildcard only for requests without credentials; with credentials it is a header named \"*\"."
		}
		return WhyFix{
			Why:   why,
			Fix:   []string{who + " `Access-Control-Allow-Headers: " + addToken(listed, name, in.Credentials) + "`."},
			Check: "headers", Short: strings.ToLower(name) + " is not listed in Access-Control-Allow-Headers",
		}
	case failRedirectCredentials:
		loc := headerValue(in.Response, "Location")
		return WhyFix{
			Why:   fmt.Sprintf("%s redirects a CORS request to a URL with a user name or password in it (%s); the browser refuses to follow it.", srv, showValue(loc)),
			Fix:   []string{"Have " + srv + " send a `Location:` without user:password@ (e.g. `Location: " + stripUserinfo(loc) + "`)."},
			Check: "redirect", Short: "the redirect URL holds credentials",
		}
	case failMode:
		return WhyFix{
			Why:   fmt.Sprintf("The page asked for mode: %q, which forbids any request to another origin, and %s is on another origin. This is the page's choice, not %s's.", in.Mode, in.URL, srv),
			Fix:   []string{"In the page: use mode: 'cors' (the default) and have " + srv + " send `Access-Control-Allow-Origin: " + origin + "`."},
			Check: "request", Short: "mode " + in.Mode + " forbids cross-origin requests",
		}
	case failScheme:
		scheme := ""
		if u, err := url.Parse(in.URL); err == nil {
			scheme = u.Scheme
		}
		return WhyFix{
			Why:   fmt.Sprintf("The URL's scheme %q does not support CORS requests; only http and https do.", scheme),
			Fix:   []string{"Serve the resource over http or https and have " + srv + " send `Access-Control-Allow-Origin: " + origin + "`."},
			Check: "request", Short: "scheme " + scheme + " does not support CORS",
		}
	case failInvalid:
		return WhyFix{
			Why:   "The response could not be used for a CORS check at all (Chromium reports InvalidResponse): it was not a valid HTTP response for this request.",
			Fix:   []string{"Have " + srv + " send a complete HTTP response, with `Access-Control-Allow-Origin: " + origin + "`."},
			Check: "origin", Short: "the response is not usable",
		}
	case failRedirectMode:
		return WhyFix{
			Why:   "The page asked for redirect: 'error', and the answer was a redirect, so fetch() fails with a network error; this is the page's choice, not a CORS check.",
			Fix:   []string{"In the page: leave redirect at 'follow' (the default), or call the final URL directly."},
			Check: "request", Short: "redirect mode error refuses any redirect",
		}
	case failRedirectLocation:
		return WhyFix{
			Why:   fmt.Sprintf("%s's redirect leads nowhere a fetch may follow: %s (%s).", srv, in.Failure.Says, in.Failure.Saw),
			Fix:   []string{"Have " + srv + " send a `Location:` with an http(s) URL, within 20 redirects."},
			Check: "redirect", Short: in.Failure.Says,
		}
	case failPageCall:
		if in.Failure != nil {
			return WhyFix{
				Why:   fmt.Sprintf("The page's call fails before anything reaches %s: %s step %s says %s (%s).", srv, in.Failure.Algorithm, in.Failure.Number, in.Failure.Says, in.Failure.Saw),
				Fix:   []string{"In the page: change the call as " + in.Failure.Algorithm + " step " + in.Failure.Number + " requires (" + in.Failure.URL + ")."},
				Check: "request", Short: in.Failure.Says,
			}
		}
	case failNoCORSRedirect:
		return WhyFix{
			Why:   fmt.Sprintf("A no-cors request may only follow redirects, and the page asked for redirect: %q while %s redirected.", in.Redirect, srv),
			Fix:   []string{"In the page: drop redirect: '" + in.Redirect + "' from the no-cors request, or use mode: 'cors' and have " + srv + " send `Access-Control-Allow-Origin: " + origin + "`."},
			Check: "redirect", Short: "no-cors requests must use redirect: 'follow'",
		}
	case failPrivateNetwork:
		return WhyFix{
			Why:   "The request goes from a more public network to a more private one, and " + where + " did not opt in (Private Network Access, in older Chromium versions).",
			Fix:   []string{"Newer Chromium replaced this with Local Network Access: the user's permission decides, no header does. Serve the page over https and have the user allow local network access."},
			Check: "headers", Short: "no private-network opt-in (old Chromium)",
		}
	case failLocalInsecure, failLocalDenied:
		// Local Network Access is not the Fetch standard's: the browser's
		// reason is all there is (lnaWhy reads it).
		wf, _ := lnaWhy(in)
		return wf
	}
	return WhyFix{
		Why:   fmt.Sprintf("%s refused the response with the CORS error %s%s.", BrowserName(strings.ToLower(in.Browser)), in.CorsError, paramNote(p)),
		Fix:   []string{"Look up " + in.CorsError + " in the Fetch standard's CORS check: https://fetch.spec.whatwg.org/#cors-check"},
		Check: "origin", Short: in.CorsError,
	}
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n-3] + "…"
	}
	return s
}

func pageOrigin(in WhyInput) string {
	if in.Page != "" {
		return in.Page
	}
	return in.PageOrigin
}

func appendIf(list []string, cond bool, s string) []string {
	if cond {
		return append(list, s)
	}
	return list
}

func paramNote(p string) string {
	if p == "" {
		return ""
	}
	return " (" + p + ")"
}

func credShort(p string) string {
	if p == "" {
		return "no Access-Control-Allow-Credentials: true"
	}
	return "Access-Control-Allow-Credentials is " + showValue(p) + ", not \"true\""
}

func showValue(v string) string { return fmt.Sprintf("%q", v) }

func statusWord(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return ""
}

func sameHostOtherPort(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Host == "" {
		return false
	}
	return ua.Hostname() == ub.Hostname() && ua.Port() != ub.Port()
}

func originIfMissing(h [][2]string, origin string) string {
	if headerValue(h, "Access-Control-Allow-Origin") == origin {
		return ""
	}
	return " together with `Access-Control-Allow-Origin: " + origin + "`"
}
