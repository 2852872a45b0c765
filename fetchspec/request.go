package fetchspec

import (
	"net/url"
	"slices"
	"strings"
)

// Request modes, credentials modes, redirect modes and response taintings.
const (
	ModeCORS       = "cors"
	ModeNoCORS     = "no-cors"
	ModeSameOrigin = "same-origin"

	CredentialsOmit       = "omit"
	CredentialsSameOrigin = "same-origin"
	CredentialsInclude    = "include"

	RedirectFollow = "follow"
	RedirectError  = "error"
	RedirectManual = "manual"

	TaintingBasic  = "basic"
	TaintingCORS   = "cors"
	TaintingOpaque = "opaque"
)

// Request is the part of a Fetch request that CORS reads.
// https://fetch.spec.whatwg.org/#concept-request
type Request struct {
	// Method is the request's method, normalised by the API that made it.
	Method string
	// URLList is the request's URL list; the last URL is the current URL.
	URLList []*url.URL
	// Origin is the request's origin (the page's).
	Origin Origin
	// PartitionKey stands for the network partition key: the top-level
	// site of the page (the page itself, or the page holding a sandboxed
	// frame).
	PartitionKey string
	// HeaderList is the request's header list.
	HeaderList HeaderList
	// Body is nil for a null body.
	Body *Body
	// Mode, CredentialsMode and RedirectMode are the request's modes.
	Mode, CredentialsMode, RedirectMode string
	// ResponseTainting is basic, cors or opaque.
	ResponseTainting string
	// RedirectCount counts the redirects followed.
	RedirectCount int
	// UnsafeRequest is set by fetch() and XMLHttpRequest: a preflight is
	// decided from the method and header list.
	UnsafeRequest bool
	// UseCORSPreflight forces a preflight (XMLHttpRequest with upload
	// listeners).
	UseCORSPreflight bool
}

// Body is a request body whose source is a byte sequence.
type Body struct {
	Source string
}

// CurrentURL is the last URL of the request's URL list.
// https://fetch.spec.whatwg.org/#concept-request-current-url
func (r *Request) CurrentURL() *url.URL { return r.URLList[len(r.URLList)-1] }

// clone copies the request so that a changed header list or URL list does
// not change the original.
func (r *Request) clone() *Request {
	c := *r
	c.URLList = slices.Clone(r.URLList)
	c.HeaderList = slices.Clone(r.HeaderList)
	return &c
}

// RedirectTaint is "same-origin" while every hop stayed with the request's
// origin or went back and forth between it and one other origin, else
// "same-site" or "cross-site".
// https://fetch.spec.whatwg.org/#concept-request-tainted-origin
func (r *Request) RedirectTaint() string {
	// 1. Assert: request's origin is not "client".
	// 2. Let lastURL be null.
	var last *url.URL
	// 3. Let taint be "same-origin".
	taint := "same-origin"
	// 4. For each url of request's URL list:
	for _, u := range r.URLList {
		// 4.1. If lastURL is null, then set lastURL to url and continue.
		if last == nil {
			last = u
			continue
		}
		uo, lo := URLOrigin(u), URLOrigin(last)
		// 4.2. If url's origin is not same site with lastURL's origin and
		// request's origin is not same site with lastURL's origin, then return
		// "cross-site".
		if !sameSite(uo, lo) && !sameSite(r.Origin, lo) {
			return "cross-site"
		}
		// 4.3. If url's origin is not same origin with lastURL's origin and
		// request's origin is not same origin with lastURL's origin, then set
		// taint to "same-site".
		if !SameOrigin(uo, lo) && !SameOrigin(r.Origin, lo) {
			taint = "same-site"
		}
		// 4.4. Set lastURL to url.
		last = u
	}
	// 5. Return taint.
	return taint
}

// SerializeRequestOrigin returns "null" once a redirect tainted the request
// (redirect-taint is not "same-origin"), else the request's origin
// serialized; byte-serializing is the same bytes.
// https://fetch.spec.whatwg.org/#serializing-a-request-origin
func (r *Request) SerializeRequestOrigin() string {
	// 1. Assert: request's origin is not "client".
	// 2. If request's redirect-taint is not "same-origin", then return "null".
	if r.RedirectTaint() != "same-origin" {
		return "null"
	}
	// 3. Return request's origin, serialized.
	return r.Origin.Serialized
}

// AppendRequestOriginHeader appends Origin to a request that goes on the
// wire: always when its response tainting is cors, and for other methods
// than GET and HEAD (a no-cors POST carries it too).
// https://fetch.spec.whatwg.org/#append-a-request-origin-header
func AppendRequestOriginHeader(r *Request, t *Trace) {
	const alg, anchor = "append a request Origin header", "append-a-request-origin-header"
	// 1. Assert: request's origin is not "client".
	// 2. Let serializedOrigin be the result of byte-serializing a request
	// origin with request.
	serialized := r.SerializeRequestOrigin()
	// 3. If request's response tainting is "cors" or request's mode is
	// "websocket" or "webtransport", then append (`Origin`, serializedOrigin).
	if r.ResponseTainting == TaintingCORS {
		r.HeaderList.Append("Origin", serialized)
		t.add(alg, anchor, "3", Done, line("Origin", serialized), "the response tainting is cors, so Origin goes with the request")
		return
	}
	// 4. Otherwise, if request's method is neither `GET` nor `HEAD`, then:
	if r.Method != "GET" && r.Method != "HEAD" {
		// 4.1. If request's mode is not "cors", switch on request's referrer
		// policy; under the default, strict-origin-when-cross-origin, the origin
		// is kept unless an https page talks to an http URL.
		if r.Mode != ModeCORS && !r.Origin.Opaque && strings.HasPrefix(r.Origin.Serialized, "https:") && r.CurrentURL().Scheme != "https" {
			serialized = "null"
		}
		// 4.2. Append (`Origin`, serializedOrigin) to request's header list.
		r.HeaderList.Append("Origin", serialized)
		t.add(alg, anchor, "4.2", Done, line("Origin", serialized), "%s is neither GET nor HEAD, so Origin goes with the request", r.Method)
		return
	}
	t.add(alg, anchor, "4", Done, "", "a %s with %s response tainting carries no Origin header", r.Method, r.ResponseTainting)
}
