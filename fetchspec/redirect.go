package fetchspec

import (
	"net/url"
	"slices"
	"strconv"
)

// LocationURL is the response's location URL: null (nil, ok) for a status
// that is not a redirect status or without a Location header, failure (ok
// false) when Location does not parse, else the URL resolved against the
// response's URL, with the request's fragment when it has none.
// https://fetch.spec.whatwg.org/#concept-response-location-url
func LocationURL(response *Response, base *url.URL) (*url.URL, bool) {
	// 1. If response's status is not a redirect status, then return null.
	if !IsRedirectStatus(response.Status) {
		return nil, true
	}
	// 2. Let location be the result of extracting header list values given
	// `Location` and response's header list.
	location := ExtractHeaderListValues("Location", response.HeaderList)
	if location.Null {
		return nil, true
	}
	if location.Failure || len(location.Values) != 1 {
		return nil, false
	}
	// 3. If location is a header value, then set location to the result of
	// parsing location with response's URL.
	ref, err := url.Parse(location.Values[0])
	if err != nil {
		return nil, false
	}
	u := base.ResolveReference(ref)
	// 4. If location is a URL whose fragment is null, then set location's
	// fragment to requestFragment.
	if u.Fragment == "" {
		u.Fragment = base.Fragment
	}
	// 5. Return location.
	return u, true
}

// HTTPRedirectFetch follows a redirect as far as CORS goes: it refuses a
// Location that is not http(s), a 21st redirect and credentials in the URL
// of a CORS request; turns POST into GET after 301/302 (any method but
// GET/HEAD after 303); drops Authorization when the origin changes; appends
// the URL (which may taint the origin to "null") and runs main fetch again.
// https://fetch.spec.whatwg.org/#concept-http-redirect-fetch
func (f *Fetcher) HTTPRedirectFetch(request *Request, response *Response) *Response {
	const alg, anchor = "HTTP-redirect fetch", "concept-http-redirect-fetch"
	t := f.Trace
	// 2. Let internalResponse be response's internal response.
	internal := response.internal()
	// 3. Let locationURL be internalResponse's location URL given request's
	// current URL's fragment.
	locationURL, ok := LocationURL(internal, request.CurrentURL())
	saw := lines(internal.HeaderList, "Location")
	// 4. If locationURL is null, then return response.
	if ok && locationURL == nil {
		t.add(alg, anchor, "4", Done, saw, "a redirect status without Location is the response")
		return response
	}
	// 5. If locationURL is failure, then return a network error.
	if !t.check(ok, alg, anchor, "5", saw, "Location must parse as a URL") {
		return NetworkError(t.last())
	}
	// 6. If locationURL's scheme is not an HTTP(S) scheme, then return a
	// network error.
	if !t.check(isHTTPScheme(locationURL.Scheme), alg, anchor, "6", saw, "a redirect may only lead to an http(s) URL") {
		return NetworkError(t.last())
	}
	// 7. If request's redirect count is 20, then return a network error.
	if !t.check(request.RedirectCount < 20, alg, anchor, "7", "redirect "+strconv.Itoa(request.RedirectCount+1), "at most 20 redirects") {
		return NetworkError(t.last())
	}
	// 8. Increase request's redirect count by 1.
	request.RedirectCount++
	// 9. If request's mode is "cors", locationURL includes credentials, and
	// request's origin is not same origin with locationURL's origin, then
	// return a network error.
	if request.Mode == ModeCORS && IncludesCredentials(locationURL) && !SameOrigin(request.Origin, URLOrigin(locationURL)) {
		t.add(alg, anchor, "9", Failed, saw, "a CORS request may not follow a redirect to a URL with a username or password")
		return NetworkError(t.last())
	}
	// 10. If request's response tainting is "cors" and locationURL includes
	// credentials, then return a network error.
	if request.ResponseTainting == TaintingCORS && IncludesCredentials(locationURL) {
		t.add(alg, anchor, "10", Failed, saw, "a cors-tainted request may not follow a redirect to a URL with credentials")
		return NetworkError(t.last())
	}
	// 11. If internalResponse's status is not 303, request's body is non-null,
	// and request's body's source is null, then return a network error.
	// (Bodies here always have a source.)
	// 12. If internalResponse's status is 301 or 302 and request's method is
	// `POST`, or it is 303 and request's method is not `GET` or `HEAD`, then:
	if (internal.Status == 301 || internal.Status == 302) && request.Method == "POST" ||
		internal.Status == 303 && request.Method != "GET" && request.Method != "HEAD" {
		// 12.1. Set request's method to `GET` and request's body to null.
		t.add(alg, anchor, "12.1", Done, statusLine(internal), "%s after %d: the request becomes a GET without a body", request.Method, internal.Status)
		request.Method, request.Body = "GET", nil
		// 12.2. For each headerName of request-body-header name, delete
		// headerName from request's header list.
		for _, n := range requestBodyHeaderNames {
			request.HeaderList.Delete(n)
		}
	}
	// 13. If request's current URL's origin is not same origin with
	// locationURL's origin, then for each headerName of CORS non-wildcard
	// request-header name, delete headerName from request's header list.
	if !SameOrigin(URLOrigin(request.CurrentURL()), URLOrigin(locationURL)) && request.HeaderList.Contains("Authorization") {
		request.HeaderList.Delete("Authorization")
		t.add(alg, anchor, "13", Done, "", "another origin: Authorization is removed")
	}
	// 18. Append locationURL to request's URL list.
	request.URLList = append(slices.Clone(request.URLList), locationURL)
	if taint := request.RedirectTaint(); taint != "same-origin" {
		t.add(alg, anchor, "18", Done, saw, "the redirect taints the request (%s): its origin now serializes as null", taint)
	} else {
		t.add(alg, anchor, "18", Done, saw, "follow the redirect to %s", locationURL)
	}
	// 20. Let recursive be true.
	// 22. Return the result of running main fetch given fetchParams and recursive.
	return f.MainFetch(request, true)
}
