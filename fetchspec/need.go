package fetchspec

import (
	"net/url"

	"github.com/corslab/corslab/scenarios"
)

// apiRequest is the call a scenario's request makes on its page: the API,
// the method, URL, headers in order (one per value), the RequestInit
// members and a string body.
func apiRequest(d scenarios.Request, target string) APIRequest {
	in := APIRequest{API: d.API, Method: d.Method, URL: target, Credentials: d.Credentials, Mode: d.Mode, Redirect: d.Redirect,
		CrossOrigin: d.CrossOrigin, UploadListener: d.UploadListener}
	for _, h := range d.Headers {
		for _, v := range h.Values {
			in.Headers = append(in.Headers, Header{h.Name, v})
		}
	}
	if d.Body != "" {
		b := d.Body
		in.Body = &b
	}
	return in
}

// NeedsCORSPreflight is main fetch step 12's "cors-preflight" condition
// for a request as its API made it: the unsafe-request flag is set (fetch()
// and XMLHttpRequest set it) and either the method is not a CORS-safelisted
// method or the CORS-unsafe request-header names of its header list are not
// empty (or the use-CORS-preflight flag is set). It says nothing of the
// mode or of the origins: see StepNeedsCORSPreflight.
// https://fetch.spec.whatwg.org/#concept-main-fetch
func NeedsCORSPreflight(r *Request) bool {
	return r.UseCORSPreflight ||
		r.UnsafeRequest && (!IsCORSSafelistedMethod(r.Method) || len(CORSUnsafeRequestHeaderNames(r.HeaderList)) > 0)
}

// MethodAndHeadersNeedPreflight reports whether fetch() with this method
// (normalised as the Request constructor does) and these headers (forbidden
// ones dropped, as the Headers object does) makes a request that needs a
// CORS-preflight when it goes cross-origin in mode "cors". A call the
// Request constructor refuses (a forbidden method) needs none.
func MethodAndHeadersNeedPreflight(method string, headers scenarios.Headers) bool {
	d := scenarios.Request{Method: method, Headers: headers}
	r, err := NewRequest(apiRequest(d, "https://corslab.invalid/"), OpaqueOrigin, "", nil)
	return err == nil && NeedsCORSPreflight(r)
}

// StepNeedsCORSPreflight reports whether the request a scenario's step
// makes from a page on pageOrigin needs a CORS-preflight by the standard
// before its first hop, with an empty CORS-preflight cache: its mode is
// "cors" (main fetch step 12: a same-origin request is basic, no-cors is
// opaque), its URL is not same origin with the page, and
// NeedsCORSPreflight. The harness asks it to tell a preflight taken from
// the cache from one never needed.
func StepNeedsCORSPreflight(r scenarios.Request, pageOrigin, target string) bool {
	origin := ParseOrigin(pageOrigin)
	req, err := NewRequest(apiRequest(r.WithDefaults(), target), origin, "", nil)
	if err != nil || req.Mode != ModeCORS {
		return false
	}
	u, err := url.Parse(target)
	if err != nil || SameOrigin(origin, URLOrigin(u)) {
		return false
	}
	return NeedsCORSPreflight(req)
}
