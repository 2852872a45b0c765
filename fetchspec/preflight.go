package fetchspec

import (
	"slices"
	"strconv"
	"strings"
)

// CORSPreflightRequest makes the CORS-preflight request for request: an
// OPTIONS with `Accept: */*`, Access-Control-Request-Method and, when the
// request has CORS-unsafe request-headers, Access-Control-Request-Headers
// (their names lowercased, sorted, joined by "," without a space). It never
// carries credentials: its credentials mode is the default, same-origin.
// These are CORS-preflight fetch steps 1 to 5.
// https://fetch.spec.whatwg.org/#cors-preflight-fetch-0
func CORSPreflightRequest(request *Request, t *Trace) *Request {
	const alg, anchor = "CORS-preflight fetch", "cors-preflight-fetch-0"
	// 1. Let preflight be a new request whose method is `OPTIONS`, URL list is
	// a clone of request's URL list, …, origin is request's origin, …, mode is
	// "cors", response tainting is "cors".
	preflight := &Request{
		Method: "OPTIONS", URLList: slices.Clone(request.URLList), Origin: request.Origin, PartitionKey: request.PartitionKey,
		Mode: ModeCORS, CredentialsMode: CredentialsSameOrigin, RedirectMode: RedirectFollow, ResponseTainting: TaintingCORS,
	}
	// 2. Append (`Accept`, `*/*`) to preflight's header list.
	preflight.HeaderList.Append("Accept", "*/*")
	// 3. Append (`Access-Control-Request-Method`, request's method) to
	// preflight's header list.
	preflight.HeaderList.Append("Access-Control-Request-Method", request.Method)
	t.add(alg, anchor, "3", Done, line("Access-Control-Request-Method", request.Method), "the preflight asks whether %s may be sent", request.Method)
	// 4. Let headers be the CORS-unsafe request-header names with request's
	// header list.
	headers := CORSUnsafeRequestHeaderNames(request.HeaderList)
	// 5. If headers is not empty, then:
	if len(headers) > 0 {
		// 5.1. Let value be the items in headers separated from each other by `,`.
		value := strings.Join(headers, ",")
		// 5.2. Append (`Access-Control-Request-Headers`, value) to preflight's
		// header list.
		preflight.HeaderList.Append("Access-Control-Request-Headers", value)
		t.add(alg, anchor, "5.2", Done, line("Access-Control-Request-Headers", value), "and whether these request headers may be sent")
	}
	return preflight
}

// CORSPreflightFetch sends the preflight for request and checks the answer:
// it must pass the CORS check (in the actual request's credentials mode) with
// an ok status, and Access-Control-Allow-Methods and -Headers must parse and
// cover the request's method and CORS-unsafe request-headers (`*` only
// without credentials, and never for Authorization). A good answer fills the
// preflight cache for max-age seconds.
// https://fetch.spec.whatwg.org/#cors-preflight-fetch-0
func (f *Fetcher) CORSPreflightFetch(request *Request) *Response {
	const alg, anchor = "CORS-preflight fetch", "cors-preflight-fetch-0"
	t := f.Trace
	// 1.-5. The preflight request.
	preflight := CORSPreflightRequest(request, t)
	// 6. Let response be the result of running HTTP-network-or-cache fetch
	// given a new fetch params whose request is preflight.
	response := f.httpNetworkOrCacheFetch(preflight, true)
	if response.Unknown != "" {
		return response
	}
	// 7. If a CORS check for request and response returns success and
	// response's status is an ok status, then:
	n := t.mark()
	if !CORSCheck(request, response, t) {
		// 8. Otherwise, return a network error.
		t.add(alg, anchor, "8", Failed, "", "the preflight's answer fails the CORS check")
		return NetworkError(t.failedSince(n))
	}
	if !t.check(IsOKStatus(response.Status), alg, anchor, "7", statusLine(response), "the preflight's answer must have an ok status (200-299)") {
		return NetworkError(t.last())
	}
	h := response.HeaderList
	// 7.1. Let methods be the result of extracting header list values given
	// `Access-Control-Allow-Methods` and response's header list.
	methods := ExtractHeaderListValues("Access-Control-Allow-Methods", h)
	// 7.2. Let headerNames be the result of extracting header list values
	// given `Access-Control-Allow-Headers` and response's header list.
	headerNames := ExtractHeaderListValues("Access-Control-Allow-Headers", h)
	// 7.3. If either methods or headerNames is failure, return a network error.
	if !t.check(!methods.Failure, alg, anchor, "7.3", lines(h, "Access-Control-Allow-Methods"), "Access-Control-Allow-Methods must parse as a list of methods") ||
		!t.check(!headerNames.Failure, alg, anchor, "7.3", lines(h, "Access-Control-Allow-Headers"), "Access-Control-Allow-Headers must parse as a list of header names") {
		return NetworkError(t.last())
	}
	// 7.4. If methods is null and request's use-CORS-preflight flag is set,
	// then set methods to a new list containing request's method.
	if methods.Null && request.UseCORSPreflight {
		methods = ListValues{Values: []string{request.Method}}
	}
	// 7.5.-7.7. The method and the request's headers must be allowed.
	if !preflightAllows(request, methods, headerNames, h, t) {
		return NetworkError(t.last())
	}
	// 7.8.-7.10. max-age.
	maxAge := f.Cache.parseMaxAge(h, t)
	// 7.11. If the user agent does not provide for a cache, then return response.
	// 7.12.-7.13. For each method in methods, update the matching entry's
	// max-age or create a new cache entry with request, max-age, method, null.
	for _, m := range methods.Values {
		f.Cache.store(request, maxAge, m, "")
	}
	// 7.14.-7.15. For each headerName in headerNames, the same with a header
	// name.
	for _, n := range headerNames.Values {
		f.Cache.store(request, maxAge, "", n)
	}
	// 7.16. Return response.
	t.add(alg, anchor, "7.16", Passed, "", "the preflight succeeded; the actual request may go")
	return response
}

// preflightAllows is CORS-preflight fetch steps 7.5 to 7.7: the method
// and the request's headers must be allowed by the answer.
// https://fetch.spec.whatwg.org/#cors-preflight-fetch-0
func preflightAllows(request *Request, methods, headerNames ListValues, h HeaderList, t *Trace) bool {
	const alg, anchor = "CORS-preflight fetch", "cors-preflight-fetch-0"
	include := request.CredentialsMode == CredentialsInclude
	// 7.5. If request's method is not in methods, request's method is not a
	// CORS-safelisted method, and request's credentials mode is "include" or
	// methods does not contain `*`, then return a network error.
	methodOK := slices.Contains(methods.Values, request.Method) || IsCORSSafelistedMethod(request.Method) || !include && slices.Contains(methods.Values, "*")
	ok := t.check(methodOK, alg, anchor, "7.5", lines(h, "Access-Control-Allow-Methods"), "%s", methodSays(request, methods.Values))
	t.about(request.Method)
	if !ok {
		return false
	}
	listed := func(name string) bool {
		return slices.ContainsFunc(headerNames.Values, func(item string) bool { return byteCaseInsensitiveMatch(item, name) })
	}
	// 7.6. If one of request's header list's names is a CORS non-wildcard
	// request-header name and is not a byte-case-insensitive match for an
	// item in headerNames, then return a network error.
	for _, hd := range request.HeaderList {
		if IsCORSNonWildcardRequestHeaderName(hd.Name) {
			ok := t.check(listed(hd.Name), alg, anchor, "7.6", lines(h, "Access-Control-Allow-Headers"), "%s must be listed by name: `*` never covers it", hd.Name)
			t.about(byteLowercase(hd.Name))
			if !ok {
				return false
			}
		}
	}
	// 7.7. For each unsafeName of the CORS-unsafe request-header names with
	// request's header list, if unsafeName is not a byte-case-insensitive
	// match for an item in headerNames and request's credentials mode is
	// "include" or headerNames does not contain `*`, return a network error.
	for _, unsafeName := range CORSUnsafeRequestHeaderNames(request.HeaderList) {
		ok := listed(unsafeName) || !include && slices.Contains(headerNames.Values, "*")
		says := unsafeName + " is listed"
		switch {
		case listed(unsafeName):
		case ok:
			says = "`*` covers " + unsafeName + " (no credentials)"
		case include && slices.Contains(headerNames.Values, "*"):
			says = unsafeName + " must be listed by name: with credentials `*` is no wildcard"
		default:
			says = unsafeName + " must be listed in Access-Control-Allow-Headers"
		}
		ok = t.check(ok, alg, anchor, "7.7", lines(h, "Access-Control-Allow-Headers"), "%s", says)
		t.about(unsafeName)
		if !ok {
			return false
		}
	}
	return true
}

// methodSays words step 7.5 for the request's method.
func methodSays(request *Request, methods []string) string {
	switch {
	case slices.Contains(methods, request.Method):
		return request.Method + " is listed"
	case IsCORSSafelistedMethod(request.Method):
		return request.Method + " is a CORS-safelisted method: it need not be listed"
	case slices.Contains(methods, "*") && request.CredentialsMode != CredentialsInclude:
		return "`*` covers " + request.Method + " (no credentials)"
	case slices.Contains(methods, "*"):
		return request.Method + " must be listed by name: with credentials `*` is no wildcard"
	}
	return request.Method + " must be listed in Access-Control-Allow-Methods (byte for byte: methods are case-sensitive)"
}

func statusLine(r *Response) string {
	s := r.StatusMessage
	if s != "" {
		s = " " + s
	}
	return "HTTP/1.1 " + strconv.Itoa(r.Status) + s
}
