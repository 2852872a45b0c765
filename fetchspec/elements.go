package fetchspec

import (
	"net/url"
	"slices"

	"github.com/corslab/corslab/scenarios"
)

// Where the element requests' rules are written: HTML for img, script,
// module and stylesheet, CSS Fonts for fonts.
const (
	htmlPotentialCORS = "https://html.spec.whatwg.org/multipage/urls-and-fetching.html#create-a-potential-cors-request"
	htmlModuleScript  = "https://html.spec.whatwg.org/multipage/webappapis.html#fetch-a-single-module-script"
	cssFontFetch      = "https://drafts.csswg.org/css-fonts/#font-fetching-requirements"
)

// newElementRequest is the request an element's load makes: HTML's
// "create a potential-CORS request" for an img, a classic script and a
// stylesheet, "fetch a single module script" for a module script, and CSS
// Fonts' font fetching requirements for a font. The element's crossorigin
// attribute (in.CrossOrigin: "", "anonymous" or "use-credentials") picks the
// mode and the credentials mode; the page sets no header, method or body.
// https://html.spec.whatwg.org/multipage/urls-and-fetching.html#create-a-potential-cors-request
func newElementRequest(in APIRequest, origin Origin, t *Trace) (*Request, error) {
	parsed, err := url.Parse(in.URL)
	if err != nil || parsed.Scheme == "" {
		return nil, throw(t, "TypeError", "create a potential-CORS request", htmlPotentialCORS, "", in.URL, "the URL must parse")
	}
	r := &Request{Method: "GET", URLList: []*url.URL{parsed}, Origin: origin,
		RedirectMode: RedirectFollow, ResponseTainting: TaintingBasic}
	attr := in.CrossOrigin
	if attr == "" {
		attr = "no attribute"
	}
	switch in.API {
	case scenarios.APIModule:
		// fetch a single module script: the request's mode is "cors" and its
		// credentials mode is the CORS settings attribute's, "same-origin"
		// when it is missing or anonymous.
		r.Mode, r.CredentialsMode = ModeCORS, CredentialsSameOrigin
		if in.CrossOrigin == "use-credentials" {
			r.CredentialsMode = CredentialsInclude
		}
		t.add("fetch a single module script", htmlModuleScript, "", Done, "crossorigin: "+attr, "a module script is always fetched in cors mode, credentials %s", r.CredentialsMode)
	case scenarios.APIFont:
		// A font is fetched with "potentially CORS-enabled fetch": mode
		// "cors", credentials mode "same-origin".
		r.Mode, r.CredentialsMode = ModeCORS, CredentialsSameOrigin
		t.add("font fetching requirements", cssFontFetch, "", Done, "", "a font is always fetched in cors mode, credentials same-origin")
	default:
		const alg = "create a potential-CORS request"
		// 1. Let mode be "no-cors" if corsAttributeState is No CORS, and
		// "cors" otherwise.
		r.Mode = ModeCORS
		if in.CrossOrigin == "" {
			r.Mode = ModeNoCORS
		}
		// 3. Let credentialsMode be "include".
		r.CredentialsMode = CredentialsInclude
		// 4. If corsAttributeState is Anonymous, set credentialsMode to
		// "same-origin".
		if in.CrossOrigin == "anonymous" {
			r.CredentialsMode = CredentialsSameOrigin
		}
		t.add(alg, htmlPotentialCORS, "1-5", Done, "crossorigin: "+attr, "mode %s, credentials %s", r.Mode, r.CredentialsMode)
	}
	// An element's request is not made by fetch() or XMLHttpRequest: its
	// unsafe-request flag is unset, so it is never preflighted. Its Accept
	// header is the user agent's choice by destination ("should"), left
	// undecided here.
	return r, nil
}

// fillElement fills what an element's load shows the page: the load event
// (the response is not a network error) or the error event, and whether
// the resource is CORS-cross-origin (an opaque response): then an image
// taints a canvas, a stylesheet's rules are unreadable, a script's errors
// are muted. Whether the body decodes (an image, a font the browser's
// sanitizer accepts) is the element's, not the standard's.
func (p *StepPrediction) fillElement(resp *Response, api string) {
	if resp.Unknown != "" {
		return
	}
	p.NotPredicted = append(p.NotPredicted, "outcome beyond the fetch: an element that fetched its resource may still fail to decode it (an image, a font); the model assumes bar's default body decodes")
	if resp.IsNetworkError() {
		p.Outcome, p.FailedAt = scenarios.OutcomeBlocked, resp.FailedAt
		return
	}
	p.Outcome = scenarios.OutcomeAllowed
	crossOrigin := resp.Type == TypeOpaque || resp.Type == TypeOpaqueRedirect
	switch api {
	case scenarios.APIImg, scenarios.APIStylesheet:
		p.Tainted = ptr(crossOrigin)
	case scenarios.APIScript, scenarios.APIModule:
		p.MutedErrors = ptr(crossOrigin)
	}
}

// fillTiming predicts whether the request's resource timing is detailed:
// the TAO check on the final response. After a redirect each hop's answer
// counts too (the timing allow failed flag), which the model does not keep.
func (p *StepPrediction) fillTiming(req *Request, resp *Response) {
	if resp.Unknown != "" || resp.IsNetworkError() {
		return
	}
	if len(resp.URLList) > 1 {
		p.NotPredicted = append(p.NotPredicted, "timing_allowed after a redirect: every hop's Timing-Allow-Origin counts, and the model keeps only the last answer")
		return
	}
	p.TimingAllowed = ptr(TAOCheck(req, resp.unfiltered(), nil))
}

// fillResponseURL predicts the origin of the URL the page reads as
// Response.url or responseURL: the last URL of the response's URL list
// (https://fetch.spec.whatwg.org/#concept-response-url). An opaque
// response has none; an element gives the page no response object.
func (p *StepPrediction) fillResponseURL(resp *Response, api string) {
	if resp.Unknown != "" || resp.IsNetworkError() || scenarios.IsElement(api) || len(resp.URLList) == 0 {
		return
	}
	if resp.Type == TypeOpaque || resp.Type == TypeOpaqueRedirect {
		return
	}
	p.ResponseURLOrigin = ptr(URLOrigin(resp.URLList[len(resp.URLList)-1]).Serialized)
}

// unfiltered is the response itself, or a filtered response's internal one.
func (r *Response) unfiltered() *Response {
	if r.Internal != nil {
		return r.Internal
	}
	return r
}

// TAOCheck reports whether a request's response may expose its detailed
// timing to the page.
// https://fetch.spec.whatwg.org/#concept-tao-check
func TAOCheck(request *Request, response *Response, t *Trace) bool {
	const alg, anchor = "TAO check", "concept-tao-check"
	// 1. If request's timing allow failed flag is set, then return failure.
	// (Set by an earlier hop; the model checks one answer.)
	// 2. Let values be the result of getting, decoding, and splitting
	// `Timing-Allow-Origin` from response's header list.
	values, _ := response.HeaderList.GetDecodeSplit("Timing-Allow-Origin")
	// 3. If values contains "*", then return success.
	if slices.Contains(values, "*") {
		t.add(alg, anchor, "3", Passed, "Timing-Allow-Origin: *", "any origin may see the timing")
		return true
	}
	// 4. If values contains the result of serializing a request origin with
	// request, then return success.
	if o := request.SerializeRequestOrigin(); slices.Contains(values, o) {
		t.add(alg, anchor, "4", Passed, "Timing-Allow-Origin: "+o, "the request's origin is listed")
		return true
	}
	// 5. If request's mode is "navigate" and request's current URL's origin
	// is not same origin with request's origin, then return failure.
	// 6. If request's response tainting is "basic", then return success.
	if request.Mode != "navigate" && request.ResponseTainting == TaintingBasic {
		t.add(alg, anchor, "6", Passed, "", "a same-origin response: its timing is the page's own")
		return true
	}
	// 7. Return failure.
	t.add(alg, anchor, "7", Failed, "", "a cross-origin response without Timing-Allow-Origin for this origin: detailed timing is zeroed")
	return false
}

// elementDisagreements compares the expectation's element and timing
// fields with the prediction, for the fields both decide.
func (p *StepPrediction) elementDisagreements(e scenarios.Expect, x func(string) string) []string {
	var out []string
	boolField := func(field string, want, got *bool) {
		if want != nil && got != nil && *want != *got {
			out = append(out, field+": expected "+boolWord(*want)+", standard "+boolWord(*got))
		}
	}
	boolField("tainted", e.Tainted, p.Tainted)
	boolField("muted_errors", e.MutedErrors, p.MutedErrors)
	boolField("timing_allowed", e.TimingAllowed, p.TimingAllowed)
	if e.ResponseURLOrigin != "" && p.ResponseURLOrigin != nil && x(e.ResponseURLOrigin) != *p.ResponseURLOrigin {
		out = append(out, "response_url_origin: expected "+x(e.ResponseURLOrigin)+", standard "+*p.ResponseURLOrigin)
	}
	if e.RequestMode != "" && p.RequestMode != nil && e.RequestMode != *p.RequestMode {
		out = append(out, "request_mode: expected "+e.RequestMode+", standard "+*p.RequestMode)
	}
	return out
}

func boolWord(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
