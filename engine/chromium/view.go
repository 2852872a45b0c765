package chromium

import (
	"sort"
	"strings"

	"github.com/corslab/corslab/engine"
)

// view translates a watch's events into the neutral view.
func view(sn snapshot) engine.View {
	var v engine.View
	for _, n := range sn.requests {
		v.Requests = append(v.Requests, request(n))
	}
	for _, c := range sn.console {
		v.Console = append(v.Console, engine.ConsoleEntry{Source: c.Source, Level: c.Level, Text: c.Text})
	}
	for _, is := range sn.issues {
		if d := is.Issue.Details.Cors; d != nil {
			v.Issues = append(v.Issues, engine.Issue{Kind: is.Issue.Code, Reason: d.CorsErrorStatus.CorsError,
				Parameter: d.CorsErrorStatus.FailedParameter, Warning: d.IsWarning,
				Check:        checkOf(d.CorsErrorStatus.CorsError, d.CorsErrorStatus.FailedParameter),
				Provisional:  lnaCorsErrors[d.CorsErrorStatus.CorsError],
				LocalNetwork: localNetwork(d.ClientSecurityState, d.ResourceIPAddressSpace)})
		}
	}
	return v
}

// request is one request id's events: a redirect keeps the id, so its hops
// are the requestWillBeSent events in order. The raw (ExtraInfo) headers of
// a hop win over the renderer's view when they came.
func request(n *netRequest) engine.Request {
	r := engine.Request{Preflight: n.isPreflight(), Done: n.terminal(),
		FromCache: n.Cached || (n.Final != nil && n.Final.FromCache), LocalNetwork: requestLocalNetwork(n)}
	if f := n.Failed; f != nil {
		r.Failure = &engine.Failure{Text: f.ErrorText}
		if f.CorsErrorStatus != nil {
			r.Failure.Reason = f.CorsErrorStatus.CorsError
			r.Failure.Parameter = f.CorsErrorStatus.FailedParameter
			r.Failure.Check = checkOf(r.Failure.Reason, r.Failure.Parameter)
		}
	}
	for i, sent := range n.Sent {
		h := engine.Hop{Method: sent.Method, URL: sent.URL, Headers: headerPairs(sent.Headers)}
		if i < len(n.WireReq) {
			h.Headers, h.RawHeaders = headerPairs(n.WireReq[i].Headers), true
		}
		last := i == len(n.Sent)-1
		switch {
		case i < len(n.WireResp):
			w := n.WireResp[i]
			h.Response = &engine.Response{Status: w.StatusCode, Headers: headerPairs(w.Headers), RawHeaders: true}
		case i < len(n.Redirects) && n.Redirects[i] != nil:
			rr := n.Redirects[i]
			h.Response = &engine.Response{Status: rr.Status, Headers: headerPairs(rr.Headers)}
		case last && n.Final != nil:
			h.Response = &engine.Response{Status: n.Final.Status, Headers: headerPairs(n.Final.Headers)}
		}
		if h.Response != nil && last && r.FromCache {
			h.Response.FromCache = true
		}
		r.Hops = append(r.Hops, h)
	}
	for _, w := range n.WireReq {
		for _, c := range w.Associated {
			if len(c.BlockedReasons) == 0 {
				r.CookiesSent = append(r.CookiesSent, c.Cookie.Name+"="+c.Cookie.Value)
			}
		}
	}
	for _, w := range n.WireResp {
		for _, b := range w.BlockedCookies {
			r.CookiesBlocked = append(r.CookiesBlocked, b.CookieLine+" ("+strings.Join(b.BlockedReasons, ", ")+")")
		}
	}
	return r
}

// headerPairs turns CDP's header map into one pair per line, in name order;
// CDP joins repeated lines with "\n".
func headerPairs(h wireHeaders) [][2]string {
	out := make([][2]string, 0, len(h))
	for k, v := range h {
		for _, line := range strings.Split(v, "\n") {
			out = append(out, [2]string{k, line})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := strings.ToLower(out[i][0]), strings.ToLower(out[j][0])
		if a != b {
			return a < b
		}
		return out[i][0] < out[j][0]
	})
	return out
}
