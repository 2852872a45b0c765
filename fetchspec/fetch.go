package fetchspec

import (
	"slices"
	"strconv"
	"strings"
)

// Network is where requests go on the wire: HTTP-network fetch. Send
// returns the server's response, or one whose Unknown says why the model
// cannot know it.
type Network interface {
	Send(request *Request, includeCredentials bool) *Response
}

// WireRequest is a request the model sends on the wire, as far as the
// standard decides it.
type WireRequest struct {
	// Preflight marks a CORS-preflight request.
	Preflight bool   `json:"preflight"`
	Method    string `json:"method"`
	URL       string `json:"url"`
	// Headers are the headers the standard puts on the request: the page's
	// (after the guards), Origin, Content-Type, Content-Length, Accept and
	// the Access-Control-Request-* headers. The browser adds others
	// (User-Agent, Host, Sec-Fetch-*), which the standard leaves open.
	Headers HeaderList `json:"headers"`
	// IncludeCredentials: cookies from the jar go with it (HTTP-network-or-
	// cache fetch step 8.3).
	IncludeCredentials bool `json:"include_credentials"`
	// Absent names headers the standard decides are not sent (see Decided).
	Absent []string `json:"absent,omitempty"`
	// Status is what the server answered (0 when not known).
	Status int `json:"status,omitempty"`
	// TraceAt is how many steps the trace held when HTTP-network-or-cache
	// fetch began for this request: the steps from there to the next
	// request's TraceAt are about this request (its credentials and Origin)
	// and its answer (the checks, and a redirect followed).
	TraceAt int `json:"trace_at"`
}

// Fetcher runs the fetch algorithms against a Network, with the user
// agent's preflight cache, recording the steps it takes.
type Fetcher struct {
	Network Network
	Cache   *PreflightCache
	Trace   *Trace
	// Wire lists the requests sent, in order.
	Wire []WireRequest
	// PreflightCached is set when a request needed a preflight by its method
	// and headers and the cache had every entry it needed.
	PreflightCached bool
}

// MainFetch runs main fetch for request, as far as CORS goes: it picks the
// response tainting (basic for same-origin, opaque for no-cors, cors
// otherwise, with a preflight when the method or a header is not
// safelisted), fetches, and returns the filtered response a page sees.
// https://fetch.spec.whatwg.org/#concept-main-fetch
func (f *Fetcher) MainFetch(request *Request, recursive bool) *Response {
	// 12. If response is null, then set response to the result of running the
	// steps corresponding to the first matching statement.
	response := f.mainFetchByTainting(request)
	// 13. If recursive is true, then return response.
	if recursive {
		return response
	}
	return f.mainFetchFilter(request, response)
}

// mainFetchByTainting is main fetch step 12: the first matching statement
// picks the response tainting and how to fetch.
// https://fetch.spec.whatwg.org/#concept-main-fetch
func (f *Fetcher) mainFetchByTainting(request *Request) *Response {
	const alg, anchor = "main fetch", "concept-main-fetch"
	t := f.Trace
	switch {
	case SameOrigin(URLOrigin(request.CurrentURL()), request.Origin) && request.ResponseTainting == TaintingBasic:
		// request's current URL's origin is same origin with request's origin,
		// and request's response tainting is "basic":
		// 12.1. Set request's response tainting to "basic".
		t.add(alg, anchor, "12", Done, request.CurrentURL().String(), "same origin as the page: response tainting basic, no CORS")
		// 12.2. Return the result of running override fetch given
		// "scheme-fetch" (for http(s): HTTP fetch).
		return f.httpFetch(request, false)
	case request.Mode == ModeSameOrigin:
		// request's mode is "same-origin": Return a network error.
		t.add(alg, anchor, "12", Failed, "mode: same-origin", "a same-origin request may not go to another origin")
		return NetworkError(t.last())
	case request.Mode == ModeNoCORS:
		// request's mode is "no-cors":
		// 12.1. If request's redirect mode is not "follow", then return a
		// network error.
		if !t.check(request.RedirectMode == RedirectFollow, alg, anchor, "12.1", "redirect: "+request.RedirectMode, "a no-cors request must follow redirects") {
			return NetworkError(t.last())
		}
		// 12.2. Set request's response tainting to "opaque".
		request.ResponseTainting = TaintingOpaque
		t.add(alg, anchor, "12.2", Done, "", "mode no-cors: response tainting opaque, no CORS check, nothing readable")
		// 12.3. Return the result of running override fetch given "scheme-fetch".
		return f.httpFetch(request, false)
	case !isHTTPScheme(request.CurrentURL().Scheme):
		// request's current URL's scheme is not an HTTP(S) scheme: Return a
		// network error.
		t.add(alg, anchor, "12", Failed, request.CurrentURL().String(), "a CORS request must go to an http(s) URL")
		return NetworkError(t.last())
	case NeedsCORSPreflight(request):
		// request's use-CORS-preflight flag is set, or its unsafe-request flag
		// is set and either its method is not a CORS-safelisted method or
		// CORS-unsafe request-header names with its header list is not empty:
		t.add(alg, anchor, "12", Done, preflightReason(request), "a CORS request that needs a preflight")
		// 12.1. Set request's response tainting to "cors".
		request.ResponseTainting = TaintingCORS
		// 12.2. Let corsWithPreflightResponse be the result of running override
		// fetch given "http-fetch", fetchParams, and true.
		response := f.httpFetch(request, true)
		// 12.3. If corsWithPreflightResponse is a network error, then clear
		// cache entries using request.
		if response.IsNetworkError() && response.Unknown == "" {
			f.Cache.ClearEntries(request)
		}
		// 12.4. Return corsWithPreflightResponse.
		return response
	default:
		// Otherwise: 12.1. Set request's response tainting to "cors".
		request.ResponseTainting = TaintingCORS
		t.add(alg, anchor, "12", Done, "", "a CORS request with a safelisted method and headers: no preflight")
		// 12.2. Return the result of running override fetch given "http-fetch".
		return f.httpFetch(request, false)
	}
}

// mainFetchFilter is main fetch steps 14 to 22: the filtered response the
// page sees, its URL list and its body.
// https://fetch.spec.whatwg.org/#concept-main-fetch
func (f *Fetcher) mainFetchFilter(request *Request, response *Response) *Response {
	const alg, anchor = "main fetch", "concept-main-fetch"
	t := f.Trace
	// 14. If response is not a network error and response is not a filtered
	// response, then:
	if !response.IsNetworkError() && !response.IsFiltered() {
		// 14.1. If request's response tainting is "cors", then set the
		// CORS-exposed header-name list.
		if request.ResponseTainting == TaintingCORS {
			setCORSExposedHeaderNames(request, response, t)
		}
		// 14.2. Set response to the following filtered response with response
		// as its internal response, depending on request's response tainting.
		switch request.ResponseTainting {
		case TaintingBasic:
			response = BasicFilteredResponse(response)
		case TaintingCORS:
			response = CORSFilteredResponse(response)
		case TaintingOpaque:
			response = OpaqueFilteredResponse(response)
		}
		t.add(alg, anchor, "14.2", Done, "", "the page gets a %s filtered response", response.Type)
	}
	if response.IsNetworkError() {
		return response
	}
	// 15. Let internalResponse be response's internal response.
	internal := response.internal()
	// 16. If internalResponse's URL list is empty, then set it to a clone of
	// request's URL list.
	if len(internal.URLList) == 0 {
		internal.URLList = slices.Clone(request.URLList)
	}
	// 22. If request's method is `HEAD` or `CONNECT`, or internalResponse's
	// status is a null body status, set internalResponse's body to null.
	if request.Method == "HEAD" || request.Method == "CONNECT" || IsNullBodyStatus(internal.Status) {
		internal.Body = nil
		if response.Type != TypeOpaque && response.Type != TypeOpaqueRedirect {
			response.Body = nil
		}
	}
	return response
}

// preflightReason names what makes the request need a preflight.
func preflightReason(r *Request) string {
	var why []string
	if !IsCORSSafelistedMethod(r.Method) {
		why = append(why, "method "+r.Method)
	}
	for _, n := range CORSUnsafeRequestHeaderNames(r.HeaderList) {
		why = append(why, "header "+n)
	}
	if len(why) == 0 {
		return "use-CORS-preflight flag"
	}
	return strings.Join(why, ", ")
}

// httpFetch is HTTP fetch as far as CORS goes: the preflight (or the cache
// that spares it), the request, the CORS check of its response (redirects
// included) and the redirect mode.
// https://fetch.spec.whatwg.org/#concept-http-fetch
func (f *Fetcher) httpFetch(request *Request, makeCORSPreflight bool) *Response {
	const alg, anchor = "HTTP fetch", "concept-http-fetch"
	t := f.Trace
	// 4. If response is null, then:
	// 4.1. If makeCORSPreflight is true and one of these conditions is true:
	// there is no method cache entry match for request's method and either
	// the method is not a CORS-safelisted method or the use-CORS-preflight
	// flag is set; there is at least one item in the CORS-unsafe
	// request-header names with no header-name cache entry match.
	if makeCORSPreflight {
		need, uncertain := f.needsPreflight(request)
		if uncertain != "" {
			return unknownResponse(uncertain)
		}
		if need {
			// 4.1.1. Let preflightResponse be the result of running CORS-preflight
			// fetch given request.
			preflightResponse := f.CORSPreflightFetch(request)
			// 4.1.2. If preflightResponse is a network error, then return
			// preflightResponse.
			if preflightResponse.IsNetworkError() {
				return preflightResponse
			}
		} else {
			f.PreflightCached = true
			t.add(alg, anchor, "4.1", Passed, request.CurrentURL().String(), "the CORS-preflight cache allows the method and headers: no preflight")
		}
	}
	// 4.3. Set response and internalResponse to the result of running
	// HTTP-network-or-cache fetch given fetchParams.
	response := f.httpNetworkOrCacheFetch(request, false)
	if response.Unknown != "" {
		return response
	}
	// 4.4. If request's response tainting is "cors" and a CORS check for
	// request and response returns failure, then return a network error.
	if n := t.mark(); request.ResponseTainting == TaintingCORS && !CORSCheck(request, response, t) {
		t.add(alg, anchor, "4.4", Failed, statusLine(response), "the response fails the CORS check: the page gets a network error")
		return NetworkError(t.failedSince(n))
	}
	// 6. If internalResponse's status is a redirect status:
	if IsRedirectStatus(response.Status) {
		// 6.3. Switch on request's redirect mode:
		switch request.RedirectMode {
		case RedirectError:
			// "error": Set response to a network error.
			t.add(alg, anchor, "6.3", Failed, statusLine(response), "redirect mode error: a redirect is a network error")
			return NetworkError(t.last())
		case RedirectManual:
			// "manual": Otherwise, set response to an opaque-redirect filtered
			// response whose internal response is internalResponse.
			t.add(alg, anchor, "6.3", Done, statusLine(response), "redirect mode manual: the page gets an opaque-redirect filtered response")
			response.URLList = slices.Clone(request.URLList)
			return OpaqueRedirectFilteredResponse(response)
		default:
			// "follow": Set response to the result of running HTTP-redirect
			// fetch given fetchParams and response.
			return f.HTTPRedirectFetch(request, response)
		}
	}
	// 7. Return response.
	return response
}

// needsPreflight is HTTP fetch step 4.1's condition: the cache lacks an
// entry for the method (when it is not safelisted) or for one of the
// CORS-unsafe request-header names.
func (f *Fetcher) needsPreflight(request *Request) (bool, string) {
	const alg, anchor = "HTTP fetch", "concept-http-fetch"
	if !IsCORSSafelistedMethod(request.Method) || request.UseCORSPreflight {
		match, uncertain := f.Cache.MethodCacheEntryMatch(request.Method, request)
		if uncertain != "" {
			return false, uncertain
		}
		if !match {
			f.Trace.add(alg, anchor, "4.1", Done, "", "no CORS-preflight cache entry allows %s: preflight", request.Method)
			return true, ""
		}
	}
	for _, name := range CORSUnsafeRequestHeaderNames(request.HeaderList) {
		match, uncertain := f.Cache.HeaderNameCacheEntryMatch(name, request)
		if uncertain != "" {
			return false, uncertain
		}
		if !match {
			f.Trace.add(alg, anchor, "4.1", Done, "", "no CORS-preflight cache entry allows the header %s: preflight", name)
			return true, ""
		}
	}
	return false, ""
}

// IncludeCredentials reports whether credentials (cookies, HTTP
// authentication) go with a request: with credentials mode "include", or
// "same-origin" while the response tainting is basic (a same-origin request
// before any redirect left the origin). A preflight never includes them.
// This is HTTP-network-or-cache fetch step 8.3.
// https://fetch.spec.whatwg.org/#concept-http-network-or-cache-fetch
func IncludeCredentials(request *Request) bool {
	return request.CredentialsMode == CredentialsInclude ||
		request.CredentialsMode == CredentialsSameOrigin && request.ResponseTainting == TaintingBasic
}

// httpNetworkOrCacheFetch is HTTP-network-or-cache fetch as far as the
// standard decides the request: credentials, Content-Length, Origin and
// cookies; then the network. (The HTTP cache is left to the Network, which
// says when it might answer.)
// https://fetch.spec.whatwg.org/#concept-http-network-or-cache-fetch
func (f *Fetcher) httpNetworkOrCacheFetch(request *Request, preflight bool) *Response {
	const alg, anchor = "HTTP-network-or-cache fetch", "concept-http-network-or-cache-fetch"
	t := f.Trace
	traceAt := t.mark()
	// 8.2.1. Set httpRequest to a clone of request.
	httpRequest := request.clone()
	// 8.3. Let includeCredentials be true if request's credentials mode is
	// "include", or it is "same-origin" and request's response tainting is
	// "basic"; otherwise false.
	includeCredentials := IncludeCredentials(request)
	t.add(alg, anchor, "8.3", Done, "credentials: "+request.CredentialsMode+", tainting: "+request.ResponseTainting,
		"%s", map[bool]string{true: "credentials (cookies) go with the request", false: "no credentials: no cookies go with the request"}[includeCredentials])
	// 8.5. Let contentLength be httpRequest's body's length, if non-null.
	// 8.6.-8.9. A null body with POST or PUT gets `Content-Length: 0`; a body,
	// its length.
	switch {
	case httpRequest.Body != nil:
		httpRequest.HeaderList.Append("Content-Length", strconv.Itoa(len(httpRequest.Body.Source)))
	case httpRequest.Method == "POST" || httpRequest.Method == "PUT":
		httpRequest.HeaderList.Append("Content-Length", "0")
	}
	// 8.12. Append a request `Origin` header for httpRequest.
	AppendRequestOriginHeader(httpRequest, t)
	// 8.21. If includeCredentials is true, then append a request `Cookie`
	// header for httpRequest (from the cookie store).
	w := WireRequest{Preflight: preflight, Method: httpRequest.Method, URL: httpRequest.CurrentURL().String(), Headers: httpRequest.HeaderList, IncludeCredentials: includeCredentials, TraceAt: traceAt}
	// 11.2. Let forwardResponse be the result of running HTTP-network fetch.
	response := f.Network.Send(httpRequest, includeCredentials)
	if response.Unknown == "" {
		w.Status = response.Status
	}
	f.Wire = append(f.Wire, w)
	// 12. Set response's URL list to a clone of httpRequest's URL list.
	response.URLList = slices.Clone(httpRequest.URLList)
	return response
}
