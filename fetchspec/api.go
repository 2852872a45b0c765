package fetchspec

import (
	"net/url"

	"github.com/corslab/corslab/scenarios"
)

// Page APIs that make a request.
const (
	APIFetch = "fetch"
	APIXHR   = "xhr"
)

// APIRequest is what a page asks for, through fetch() or XMLHttpRequest.
type APIRequest struct {
	// API is APIFetch (default) or APIXHR.
	API string
	// Method and URL as the page writes them.
	Method, URL string
	// Headers as the page sets them, in order.
	Headers []Header
	// Credentials, Mode and Redirect are RequestInit's ("" for the
	// default); for XMLHttpRequest, Credentials "include" is
	// withCredentials.
	Credentials, Mode, Redirect string
	// Body is the request body, a string; nil for none.
	Body *string
	// CrossOrigin is an element's crossorigin attribute ("", anonymous,
	// use-credentials), for the element APIs (scenarios.IsElement).
	CrossOrigin string
	// UploadListener: XMLHttpRequest.upload has a listener at send().
	UploadListener bool
}

// APIError is an exception the API throws before anything is fetched.
type APIError struct {
	// Name is the exception's name: TypeError, SyntaxError, SecurityError.
	Name string
	// At is the step that throws.
	At Step
}

func (e *APIError) Error() string { return e.Name + ": " + e.At.Says }

// NewRequest makes the request a page's API call makes, on a page whose
// origin is origin (partitionKey stands for the network partition key):
// the Request constructor and fetch() for APIFetch, open(),
// setRequestHeader() and send() for APIXHR. An exception the API throws is
// an *APIError.
func NewRequest(in APIRequest, origin Origin, partitionKey string, t *Trace) (*Request, error) {
	if t == nil {
		t = &Trace{}
	}
	var r *Request
	var err error
	if scenarios.IsElement(in.API) {
		// An element's request: no Accept of fetch's here, see
		// newElementRequest.
		r, err = newElementRequest(in, origin, t)
		if err != nil {
			return nil, err
		}
		r.PartitionKey = partitionKey
		return r, nil
	}
	if in.API == APIXHR {
		r, err = newXHRRequest(in, origin, t)
	} else {
		r, err = newFetchRequest(in, origin, t)
	}
	if err != nil {
		return nil, err
	}
	r.PartitionKey = partitionKey
	// fetch step 12: If request's header list does not contain `Accept`, then
	// append (`Accept`, `*/*`) (the value for the empty destination).
	if !r.HeaderList.Contains("Accept") {
		r.HeaderList.Append("Accept", "*/*")
	}
	return r, nil
}

// throw records the step and returns the exception.
func throw(t *Trace, name, alg, anchor, number, saw, says string, args ...any) error {
	t.add(alg, anchor, number, Failed, saw, says, args...)
	return &APIError{Name: name, At: *t.last()}
}

// newFetchRequest is the Request constructor, new Request(input, init),
// for a URL string input.
// https://fetch.spec.whatwg.org/#dom-request
func newFetchRequest(in APIRequest, origin Origin, t *Trace) (*Request, error) {
	const alg, anchor = "new Request(input, init)", "dom-request"
	tt := t
	// 5.1. Let parsedURL be the result of parsing input with baseURL.
	parsed, err := url.Parse(in.URL)
	// 5.2. If parsedURL is failure, then throw a TypeError.
	if err != nil || parsed.Scheme == "" {
		return nil, throw(tt, "TypeError", alg, anchor, "5.2", in.URL, "the URL must parse")
	}
	// 5.3. If parsedURL includes credentials, then throw a TypeError.
	if IncludesCredentials(parsed) {
		return nil, throw(tt, "TypeError", alg, anchor, "5.3", in.URL, "a request URL may not include a username or password")
	}
	// 12. Set request to a new request … with the unsafe-request flag set.
	r := &Request{
		Method: "GET", URLList: []*url.URL{parsed}, Origin: origin,
		Mode: ModeCORS, CredentialsMode: CredentialsSameOrigin, RedirectMode: RedirectFollow,
		ResponseTainting: TaintingBasic, UnsafeRequest: true,
	}
	// 16.-18. Let mode be init["mode"] if it exists, and fallbackMode ("cors")
	// otherwise; set request's mode to mode.
	if in.Mode != "" {
		r.Mode = in.Mode
	}
	// 19. If init["credentials"] exists, then set request's credentials mode to it.
	if in.Credentials != "" {
		r.CredentialsMode = in.Credentials
	}
	// 22. If init["redirect"] exists, then set request's redirect mode to it.
	if in.Redirect != "" {
		r.RedirectMode = in.Redirect
	}
	// 25. If init["method"] exists, then:
	if in.Method != "" {
		// 25.2. If method is not a method or method is a forbidden method, then
		// throw a TypeError.
		if !IsMethod(in.Method) || IsForbiddenMethod(in.Method) {
			return nil, throw(tt, "TypeError", alg, anchor, "25.2", in.Method, "%q is not a method a page may use", in.Method)
		}
		// 25.3. Normalize method.
		// 25.4. Set request's method to method.
		r.Method = NormalizeMethod(in.Method)
		if r.Method != in.Method {
			tt.add(alg, anchor, "25.3", Done, in.Method, "the method is normalised to %s", r.Method)
		}
	}
	// 32.-37. The headers and the body.
	if err := requestHeadersAndBody(r, in, tt); err != nil {
		return nil, err
	}
	return r, nil
}

// requestHeadersAndBody is the Request constructor's steps 32 to 37: the
// headers guard (request-no-cors refuses methods other than GET, HEAD and
// POST), the page's headers, and the body with its Content-Type.
// https://fetch.spec.whatwg.org/#dom-request
func requestHeadersAndBody(r *Request, in APIRequest, t *Trace) error {
	const alg, anchor = "new Request(input, init)", "dom-request"
	guard := "request"
	// 32. If this's request's mode is "no-cors", then:
	if r.Mode == ModeNoCORS {
		// 32.1. If this's request's method is not a CORS-safelisted method, then
		// throw a TypeError.
		if !t.check(IsCORSSafelistedMethod(r.Method), alg, anchor, "32.1", r.Method, "a no-cors request may only use GET, HEAD or POST") {
			return &APIError{Name: "TypeError", At: *t.last()}
		}
		// 32.2. Set this's headers's guard to "request-no-cors".
		guard = "request-no-cors"
	}
	// 33. If init is not empty: fill this's headers with init["headers"].
	for _, h := range in.Headers {
		if err := headersAppend(&r.HeaderList, guard, h.Name, h.Value, t); err != nil {
			return err
		}
	}
	// 35. If either init["body"] exists and is non-null or inputBody is
	// non-null, and request's method is `GET` or `HEAD`, then throw a TypeError.
	if in.Body != nil && (r.Method == "GET" || r.Method == "HEAD") {
		return throw(t, "TypeError", alg, anchor, "35", r.Method, "a %s request cannot have a body", r.Method)
	}
	// 37. If init["body"] exists and is non-null, then:
	if in.Body != nil {
		// 37.1. Let bodyWithType be the result of extracting init["body"]: a
		// string gives its UTF-8 bytes and type `text/plain;charset=UTF-8`.
		r.Body = &Body{Source: *in.Body}
		// 37.4. If type is non-null and this's headers's header list does not
		// contain `Content-Type`, then append (`Content-Type`, type) to this's headers.
		if !r.HeaderList.Contains("Content-Type") {
			if err := headersAppend(&r.HeaderList, guard, "Content-Type", "text/plain;charset=UTF-8", t); err != nil {
				return err
			}
			t.add(alg, anchor, "37.4", Done, line("Content-Type", "text/plain;charset=UTF-8"), "a string body brings its own Content-Type")
		}
	}
	return nil
}

// headersAppend appends a header to a Headers object with guard "request"
// or "request-no-cors": a forbidden request-header is silently dropped, and
// under request-no-cors so is anything that is not a no-CORS-safelisted
// request-header.
// https://fetch.spec.whatwg.org/#concept-headers-append
func headersAppend(l *HeaderList, guard, name, value string, t *Trace) error {
	const alg, anchor = "Headers append", "concept-headers-append"
	// 1. Normalize value.
	value = NormalizeHeaderValue(value)
	// 2. If validating (name, value) for headers returns false, then return.
	// Validate 1. If name is not a header name or value is not a header
	// value, then throw a TypeError.
	if !IsHeaderName(name) || !IsHeaderValue(value) {
		return throw(t, "TypeError", "Headers validate", "headers-validate", "1", line(name, value), "not a valid header")
	}
	// Validate 3. If headers's guard is "request" and (name, value) is a
	// forbidden request-header, then return false.
	if IsForbiddenRequestHeader(name, value) {
		t.add(alg, anchor, "2", Failed, line(name, value), "%s is a forbidden request-header: the page cannot set it, it is dropped", name)
		return nil
	}
	// 3. If headers's guard is "request-no-cors":
	if guard == "request-no-cors" {
		// 3.1.-3.3. Let temporaryValue be the value already set for name,
		// followed by 0x2C 0x20 and value, or value.
		tmp := value
		if prev, ok := l.Get(name); ok {
			tmp = prev + ", " + value
		}
		// 3.4. If (name, temporaryValue) is not a no-CORS-safelisted
		// request-header, then return.
		if !IsNoCORSSafelistedRequestHeader(name, tmp) {
			t.add(alg, anchor, "3.4", Failed, line(name, tmp), "a no-cors request keeps only no-CORS-safelisted request-headers: %s is dropped", name)
			return nil
		}
	}
	// 4. Append (name, value) to headers's header list.
	l.Append(name, value)
	// 5. If headers's guard is "request-no-cors", then remove privileged
	// no-CORS request-headers from headers.
	if guard == "request-no-cors" {
		l.Delete("Range")
	}
	return nil
}

// newXHRRequest is XMLHttpRequest's open(method, url), setRequestHeader()
// for each header, withCredentials and send(body).
// https://xhr.spec.whatwg.org/#the-send()-method
func newXHRRequest(in APIRequest, origin Origin, t *Trace) (*Request, error) {
	const alg, anchor = "XMLHttpRequest", "https://xhr.spec.whatwg.org/#the-send()-method"
	tt := t
	method := in.Method
	if method == "" {
		method = "GET"
	}
	// open() 5. If method is not a method, then throw a "SyntaxError".
	if !IsMethod(method) {
		return nil, xhrThrow(tt, "SyntaxError", "open 5", method, "not a method")
	}
	// open() 6. If method is a forbidden method, then throw a "SecurityError".
	if IsForbiddenMethod(method) {
		return nil, xhrThrow(tt, "SecurityError", "open 6", method, "a forbidden method")
	}
	// open() 7. Normalize method.
	method = NormalizeMethod(method)
	// open() 8.-9. Let parsedURL be the result of encoding-parsing a URL url;
	// failure throws a "SyntaxError".
	parsed, err := url.Parse(in.URL)
	if err != nil || parsed.Scheme == "" {
		return nil, xhrThrow(tt, "SyntaxError", "open 9", in.URL, "the URL must parse")
	}
	var headers HeaderList
	for _, h := range in.Headers {
		// setRequestHeader() 3. Normalize value.
		value := NormalizeHeaderValue(h.Value)
		// setRequestHeader() 4. If name is not a header name or value is not a
		// header value, then throw a "SyntaxError".
		if !IsHeaderName(h.Name) || !IsHeaderValue(value) {
			return nil, xhrThrow(tt, "SyntaxError", "setRequestHeader 4", line(h.Name, value), "not a valid header")
		}
		// setRequestHeader() 5. If (name, value) is a forbidden request-header,
		// then return.
		if IsForbiddenRequestHeader(h.Name, value) {
			tt.add("XMLHttpRequest setRequestHeader()", "https://xhr.spec.whatwg.org/#the-setrequestheader()-method", "5", Failed, line(h.Name, value), "a forbidden request-header: dropped")
			continue
		}
		// setRequestHeader() 6. Combine (name, value) in this's author request headers.
		headers.Combine(h.Name, value)
	}
	r := &Request{
		Method: method, URLList: []*url.URL{parsed}, Origin: origin, HeaderList: headers,
		// send() 7: mode "cors", credentials mode include when withCredentials
		// is true, else "same-origin"; the unsafe-request flag set.
		Mode: ModeCORS, CredentialsMode: CredentialsSameOrigin, RedirectMode: RedirectFollow,
		ResponseTainting: TaintingBasic, UnsafeRequest: true,
	}
	if in.Credentials == CredentialsInclude {
		r.CredentialsMode = CredentialsInclude
	}
	// send() 3. If this's request method is `GET` or `HEAD`, then set body to null.
	if in.Body != nil && method != "GET" && method != "HEAD" {
		// send() 4.2. Let extractedContentType be the result of extracting body.
		r.Body = &Body{Source: *in.Body}
		// send() 4.6. If this's author request headers does not contain
		// `Content-Type` and extractedContentType is non-null, set it.
		if !r.HeaderList.Contains("Content-Type") {
			r.HeaderList.Set("Content-Type", "text/plain;charset=UTF-8")
		}
	}
	// send(): If one or more event listeners are registered on this's
	// upload object, then set this's upload listener flag; the request's
	// use-CORS-preflight flag is set if it is (whatever the body).
	if in.UploadListener {
		r.UseCORSPreflight = true
		tt.add(alg, anchor, "send", Done, "upload listener", "a listener on XMLHttpRequest.upload sets the use-CORS-preflight flag")
	}
	tt.add(alg, anchor, "send", Done, "", "XMLHttpRequest sends a %s request, credentials mode %s", method, r.CredentialsMode)
	return r, nil
}

// xhrThrow records the step of XMLHttpRequest that throws.
func xhrThrow(t *Trace, name, number, saw, says string) error {
	return throw(t, name, "XMLHttpRequest", "https://xhr.spec.whatwg.org/#the-open()-method", number, saw, "%s", says)
}
