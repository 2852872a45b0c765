package fetchspec

import (
	"net/url"
	"slices"
)

// Response types.
const (
	TypeBasic          = "basic"
	TypeCORS           = "cors"
	TypeDefault        = "default"
	TypeError          = "error"
	TypeOpaque         = "opaque"
	TypeOpaqueRedirect = "opaqueredirect"
)

// Response is the part of a Fetch response that CORS reads.
// https://fetch.spec.whatwg.org/#concept-response
type Response struct {
	// Type is basic, cors, default, error, opaque or opaqueredirect.
	Type string
	// Status and StatusMessage are from the status line.
	Status        int
	StatusMessage string
	// HeaderList is the response's header list (a filtered response's own:
	// what the page can read).
	HeaderList HeaderList
	// Body is nil for a null body.
	Body *string
	// URLList is the response's URL list.
	URLList []*url.URL
	// CORSExposedHeaderNames is the CORS-exposed header-name list.
	CORSExposedHeaderNames []string
	// Internal is a filtered response's internal response.
	Internal *Response
	// FailedAt is, for a network error, the step that returned it.
	FailedAt *Step
	// Unknown says why the model cannot tell what happens from here on (the
	// server is outside the scenario, the HTTP cache may answer, a timing
	// too close to call); "" when it can. Such a response is treated as a
	// network error by the algorithms, and its outcome is not predicted.
	Unknown string
}

// NetworkError is a network error, failed at the given step.
// https://fetch.spec.whatwg.org/#concept-network-error
func NetworkError(at *Step) *Response {
	return &Response{Type: TypeError, FailedAt: at}
}

// unknownResponse is a response the model cannot know.
func unknownResponse(why string) *Response {
	return &Response{Type: TypeError, Unknown: why}
}

// IsNetworkError reports whether the response is a network error.
func (r *Response) IsNetworkError() bool { return r.Type == TypeError }

// IsFiltered reports whether the response is a filtered response.
func (r *Response) IsFiltered() bool { return r.Internal != nil }

// internal returns the internal response of a filtered response, or the
// response itself.
func (r *Response) internal() *Response {
	if r.Internal != nil {
		return r.Internal
	}
	return r
}

// IsOKStatus reports whether status is in the range 200 to 299.
// https://fetch.spec.whatwg.org/#ok-status
func IsOKStatus(status int) bool { return status >= 200 && status <= 299 }

// IsRedirectStatus reports whether status is 301, 302, 303, 307 or 308.
// https://fetch.spec.whatwg.org/#redirect-status
func IsRedirectStatus(status int) bool {
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308
}

// IsNullBodyStatus reports whether status is 101, 103, 204, 205 or 304.
// https://fetch.spec.whatwg.org/#null-body-status
func IsNullBodyStatus(status int) bool {
	return status == 101 || status == 103 || status == 204 || status == 205 || status == 304
}

// BasicFilteredResponse is a view of internal whose header list leaves out
// the forbidden response-header names (Set-Cookie, Set-Cookie2).
// https://fetch.spec.whatwg.org/#concept-filtered-response-basic
func BasicFilteredResponse(internal *Response) *Response {
	f := *internal
	f.Type, f.Internal = TypeBasic, internal
	f.HeaderList = slices.DeleteFunc(slices.Clone(internal.HeaderList), func(h Header) bool { return IsForbiddenResponseHeaderName(h.Name) })
	return &f
}

// CORSFilteredResponse is a view of internal whose header list keeps only
// the CORS-safelisted response-header names given the internal response's
// CORS-exposed header-name list.
// https://fetch.spec.whatwg.org/#concept-filtered-response-cors
func CORSFilteredResponse(internal *Response) *Response {
	f := *internal
	f.Type, f.Internal = TypeCORS, internal
	f.HeaderList = slices.DeleteFunc(slices.Clone(internal.HeaderList), func(h Header) bool {
		return !IsCORSSafelistedResponseHeaderName(h.Name, internal.CORSExposedHeaderNames)
	})
	return &f
}

// OpaqueFilteredResponse is a view of internal with an empty URL list,
// status 0, no status message, no headers and a null body.
// https://fetch.spec.whatwg.org/#concept-filtered-response-opaque
func OpaqueFilteredResponse(internal *Response) *Response {
	return &Response{Type: TypeOpaque, Internal: internal}
}

// OpaqueRedirectFilteredResponse is a view of a redirect with status 0, no
// status message, no headers and a null body; its URL list is kept (no
// redirect was followed).
// https://fetch.spec.whatwg.org/#concept-filtered-response-opaque-redirect
func OpaqueRedirectFilteredResponse(internal *Response) *Response {
	return &Response{Type: TypeOpaqueRedirect, Internal: internal, URLList: internal.URLList}
}

// CORSCheck reports whether a response may be shared with the request's
// origin: Access-Control-Allow-Origin must be `*` (only without credentials)
// or, byte for byte, the serialized request origin, and with credentials
// Access-Control-Allow-Credentials must be exactly `true`.
// https://fetch.spec.whatwg.org/#concept-cors-check
func CORSCheck(request *Request, response *Response, t *Trace) bool {
	const alg, anchor = "CORS check", "concept-cors-check"
	h := response.internal().HeaderList
	// 1. Let origin be the result of getting `Access-Control-Allow-Origin`
	// from response's header list.
	origin, ok := h.Get("Access-Control-Allow-Origin")
	saw := lines(h, "Access-Control-Allow-Origin")
	// 2. If origin is null, then return failure.
	if !t.check(ok, alg, anchor, "2", saw, "the response must carry Access-Control-Allow-Origin (null is not `null`)") {
		return false
	}
	include := request.CredentialsMode == CredentialsInclude
	// 3. If request's credentials mode is not "include" and origin is `*`,
	// then return success.
	if origin == "*" {
		if !include {
			t.add(alg, anchor, "3", Passed, saw, "`*` lets any origin read a response to a request without credentials")
			return true
		}
		t.add(alg, anchor, "3", Failed, saw, "`*` does not count when the credentials mode is include")
	}
	// 4. If the result of byte-serializing a request origin with request is
	// not origin, then return failure.
	serialized := request.SerializeRequestOrigin()
	ok = t.check(serialized == origin, alg, anchor, "4", saw, "the value must be, byte for byte, the request's origin %s", serialized)
	t.about(origin)
	if !ok {
		return false
	}
	// 5. If request's credentials mode is not "include", then return success.
	if !include {
		return true
	}
	// 6. Let credentials be the result of getting
	// `Access-Control-Allow-Credentials` from response's header list.
	credentials, _ := h.Get("Access-Control-Allow-Credentials")
	// 7. If credentials is `true`, then return success.
	// 8. Return failure.
	return t.check(credentials == "true", alg, anchor, "7", lines(h, "Access-Control-Allow-Credentials"),
		"with credentials included, Access-Control-Allow-Credentials must be exactly `true`")
}

// setCORSExposedHeaderNames is main fetch step 14.1: a CORS response's
// CORS-exposed header-name list, from Access-Control-Expose-Headers (`*`
// means every header only without credentials).
// https://fetch.spec.whatwg.org/#concept-main-fetch
func setCORSExposedHeaderNames(request *Request, response *Response, t *Trace) {
	const alg, anchor = "main fetch", "concept-main-fetch"
	saw := lines(response.HeaderList, "Access-Control-Expose-Headers")
	// 14.1.1. Let headerNames be the result of extracting header list values
	// given `Access-Control-Expose-Headers` and response's header list.
	headerNames := ExtractHeaderListValues("Access-Control-Expose-Headers", response.HeaderList)
	switch {
	case headerNames.Null:
		t.add(alg, anchor, "14.1.1", Done, saw, "no header beyond the CORS-safelisted response-header names is exposed")
	case headerNames.Failure:
		// 14.1.3. Otherwise, if headerNames is non-null or failure, then set
		// response's CORS-exposed header-name list to headerNames.
		t.add(alg, anchor, "14.1.3", Failed, saw, "Access-Control-Expose-Headers does not parse as a list of header names, so it exposes nothing")
	case request.CredentialsMode != CredentialsInclude && slices.Contains(headerNames.Values, "*"):
		// 14.1.2. If request's credentials mode is not "include" and
		// headerNames contains `*`, then set response's CORS-exposed
		// header-name list to all unique header names in response's header list.
		for _, h := range response.HeaderList {
			if !slices.ContainsFunc(response.CORSExposedHeaderNames, func(n string) bool { return byteCaseInsensitiveMatch(n, h.Name) }) {
				response.CORSExposedHeaderNames = append(response.CORSExposedHeaderNames, h.Name)
			}
		}
		t.add(alg, anchor, "14.1.2", Passed, saw, "`*` without credentials exposes every header of the response")
	default:
		response.CORSExposedHeaderNames = headerNames.Values
		says := "these names are exposed"
		if slices.Contains(headerNames.Values, "*") {
			says = "with credentials `*` is no wildcard: it exposes only a header named `*`"
		}
		t.add(alg, anchor, "14.1.3", Done, saw, says)
	}
}
