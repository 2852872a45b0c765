package harness

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// assemble fills an observation from the three sides: the page's result,
// the browser's view (read as far as its capabilities go) and the server's
// journal (o.Requests; none for a server outside the lab), and records who
// observed each fact.
func assemble(o *Observation, r pageResult, v engine.View, caps engine.Capabilities, external bool) {
	fillFromPage(o, r)
	browserPreflight := fillFromBrowser(o, v, caps)
	serverPreflight := false
	for _, e := range o.Requests {
		if e.Preflight {
			serverPreflight = true
		}
	}
	o.Preflight = browserPreflight || serverPreflight
	o.bySeen("preflight", o.Preflight, look{SideBrowser, caps.Preflight, browserPreflight}, look{SideServer, !external, serverPreflight})
	fillElement(o, r, v, caps)
	o.ReachedServer = reached(o.Requests)
	if !external {
		o.by("reached_server", SideServer)
		o.by("requests", SideServer)
	}
	if !o.FromCache && !o.ReachedServer && answeredByBrowser(o) {
		// A response was evaluated, yet no request went on the wire and no
		// server received one: it came from the browser's HTTP cache, which
		// (in Chromium) reports a disk-cache hit of a blocked response with
		// no event.
		o.FromCache = true
		o.ObservedBy["from_cache"] = []string{Inferred}
	}
	// What the server received wins; the browser's own account stays only
	// for a server outside the lab, which has no journal.
	switch a := o.ActualEntry(); {
	case a != nil:
		o.CookiesSent = cookiesOf(a.Headers.Get("Cookie"))
		o.by("cookies_sent", SideServer)
	case !external:
		// The lab's server received no actual request, so no cookie went
		// with one. The browser's account is of a request it announced
		// and never sent: Firefox reports the actual request, cookies and
		// all, before its preflight, and drops it when the preflight fails.
		announced := len(o.CookiesSent) > 0
		o.CookiesSent = nil
		o.bySeen("cookies_sent", false, look{SideServer, true, false}, look{SideBrowser, caps.Cookies && !announced, false})
	case len(o.CookiesSent) > 0:
		o.by("cookies_sent", SideBrowser)
	default:
		o.bySeen("cookies_sent", false, look{SideServer, !external, false}, look{SideBrowser, caps.Cookies, false})
	}
}

// fillFromPage takes what JavaScript saw.
func fillFromPage(o *Observation, r pageResult) {
	o.ReadableHeaders = map[string]string{}
	o.by("outcome", SidePage)
	o.by("readable_headers", SidePage)
	if !r.OK {
		o.Outcome = scenarios.OutcomeBlocked
		o.JSError = r.Error
		o.by("js_error", SidePage)
		return
	}
	o.Outcome = scenarios.OutcomeAllowed
	o.Status = r.Status
	o.StatusText = r.StatusText
	o.ResponseType = r.Type
	o.Body = r.Body
	o.Redirected = r.Redirected
	for _, f := range []string{"status", "status_text", "response_type", "body", "redirected"} {
		o.by(f, SidePage)
	}
	for _, h := range r.Headers {
		if prev, ok := o.ReadableHeaders[h[0]]; ok {
			o.ReadableHeaders[h[0]] = prev + ", " + h[1]
			continue
		}
		o.ReadableHeaders[h[0]] = h[1]
	}
}

// fillFromBrowser takes what the browser reported, and says whether it
// reported a preflight.
func fillFromBrowser(o *Observation, v engine.View, caps engine.Capabilities) (preflight bool) {
	var actual *engine.Request
	for i := range v.Requests {
		if v.Requests[i].Preflight {
			preflight = true
		} else if actual == nil {
			actual = &v.Requests[i]
		}
	}
	// The messages, in the order they went out: preflight before its request.
	for _, n := range v.Requests {
		if n.Preflight {
			o.Exchange = append(o.Exchange, messages(n, "preflight request", "preflight response")...)
		}
	}
	if actual != nil {
		o.Exchange = append(o.Exchange, messages(*actual, "request", "response")...)
		o.FromCache = actual.FromCache
		if f := actual.Failure; f != nil {
			o.NetError = f.Text
			o.CorsError, o.FailedParameter, o.FailedCheck = f.Reason, f.Parameter, f.Check
		}
		o.CookiesSent = append(o.CookiesSent, actual.CookiesSent...)
		o.CookiesBlocked = append(o.CookiesBlocked, actual.CookiesBlocked...)
	}
	if o.CorsError == "" {
		for _, n := range v.Requests {
			if n.Failure != nil && n.Failure.Reason != "" {
				o.CorsError, o.FailedParameter, o.FailedCheck = n.Failure.Reason, n.Failure.Parameter, n.Failure.Check
				break
			}
		}
	}
	fillFromIssues(o, v.Issues)
	fillLocalNetwork(o, v)
	o.Console = consoleLine(v.Console)
	browserSides(o, caps)
	return preflight
}

// fillFromIssues takes the reason from an issue when no request carried
// one, the first that names a check of the model before one that names
// none (Firefox may also log "CORS request did not succeed" for a
// preflight a check refused), and lists the warnings.
func fillFromIssues(o *Observation, issues []engine.Issue) {
	for _, is := range issues {
		if is.Provisional {
			// Filed before the browser's decision (a Local Network Access
			// denial raised for a request it then let through): no verdict.
			o.Issues = append(o.Issues, is.Kind+" (provisional, not a verdict): "+is.Reason)
		}
	}
	if o.CorsError == "" {
		for _, named := range []bool{true, false} {
			for _, is := range issues {
				if !is.Warning && !is.Provisional && !is.Info && o.CorsError == "" && (is.Check != "") == named {
					o.CorsError, o.FailedParameter, o.FailedCheck = is.Reason, is.Parameter, is.Check
				}
			}
		}
	}
	for _, is := range issues {
		switch {
		case is.Info:
			o.Issues = append(o.Issues, is.Kind+": "+is.Reason)
		case is.Warning && !is.Provisional:
			o.Issues = append(o.Issues, is.Kind+" warning: "+is.Reason)
		}
	}
	// The browser files them in no meaningful order (two requests' issues
	// can arrive either way round): list them sorted.
	sort.Strings(o.Issues)
}

// consoleLine is the browser's console message about the request: its
// JavaScript error (Chromium's CORS sentence) first, else any error.
func consoleLine(console []engine.ConsoleEntry) string {
	for _, c := range console {
		if c.Source == "javascript" && c.Level == "error" {
			return c.Text
		}
	}
	for _, c := range console {
		if c.Level == "error" {
			return c.Text
		}
	}
	return ""
}

// browserSides records the fields the browser could observe.
func browserSides(o *Observation, caps engine.Capabilities) {
	if caps.Network {
		o.by("exchange", SideBrowser)
		o.by("net_error", SideBrowser)
		o.by("from_cache", SideBrowser)
	}
	if caps.Reason {
		o.by("cors_error", SideBrowser)
		o.by("failed_parameter", SideBrowser)
		o.by("failed_check", SideBrowser)
	}
	if caps.Console {
		o.by("console", SideBrowser)
	}
	if caps.Issues {
		o.by("issues", SideBrowser)
	}
	if caps.BlockedCookies {
		o.by("cookies_blocked", SideBrowser)
	}
}

// messages turns one request's hops into wire messages, in order.
func messages(n engine.Request, reqKind, respKind string) []Message {
	var out []Message
	for i, h := range n.Hops {
		target := h.URL
		if u, err := url.Parse(h.URL); err == nil {
			target = u.RequestURI()
		}
		out = append(out, Message{Kind: reqKind, URL: h.URL, Wire: h.RawHeaders,
			Line: h.Method + " " + target + " HTTP/1.1", Headers: sortHeaders(h.Headers)})
		r := h.Response
		if r == nil {
			continue
		}
		resp := Message{Kind: respKind, Status: r.Status, Headers: sortHeaders(r.Headers), Wire: r.RawHeaders, FromCache: r.FromCache,
			Line: "HTTP/1.1 " + strconv.Itoa(r.Status) + " " + statusText(r.Status)}
		if i < len(n.Hops)-1 {
			resp.Kind = "redirect response"
		}
		out = append(out, resp)
	}
	return out
}

// sortHeaders orders header lines by name, case-insensitively, keeping the
// order of lines with the same name.
func sortHeaders(h [][2]string) [][2]string {
	out := append([][2]string{}, h...)
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i][0]) < strings.ToLower(out[j][0]) })
	return out
}

// responseStageErrors are the CORS errors Chromium reports after it got a
// response to the actual request.
var responseStageErrors = map[string]bool{
	"MissingAllowOriginHeader": true, "MultipleAllowOriginValues": true, "InvalidAllowOriginValue": true,
	"AllowOriginMismatch": true, "InvalidAllowCredentials": true, "WildcardOriginNotAllowed": true,
}

// answeredByBrowser reports whether the page's request got a response
// (allowed, or blocked on the response's headers) while nothing of the
// actual request was seen on the wire.
func answeredByBrowser(o *Observation) bool {
	if o.Outcome != scenarios.OutcomeAllowed && !responseStageErrors[o.CorsError] {
		return false
	}
	if o.ResponseType == "opaque" || o.ResponseType == "opaqueredirect" {
		return false
	}
	sawRequest := false
	for _, m := range o.Exchange {
		if m.Kind == "request" {
			sawRequest = true
			if m.Wire {
				return false
			}
		}
	}
	return sawRequest
}

// reachedExternal says, for a server outside the lab (no journal), that
// the actual request reached it when the browser saw a response to it.
func reachedExternal(o *Observation) {
	o.ReachedServer = false
	for _, m := range o.Exchange {
		if m.Kind == "response" || m.Kind == "redirect response" {
			o.ReachedServer = true
		}
	}
	o.by("reached_server", SideBrowser)
}

// statusText is the reason phrase a status line written for a journal
// entry carries: Go's, or "status N" for a code Go does not name.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "status " + strconv.Itoa(code)
}

func reached(entries []servers.Entry) bool {
	for _, e := range entries {
		if !e.Preflight {
			return true
		}
	}
	return false
}
