package fetchspec

// The failing checks of the model, named as the model's trace names the
// step that failed (Step.Algorithm + " step " + Step.Number): the one
// vocabulary of reasons. Every engine driver maps its own reason
// (Chromium's CorsError, Firefox's CORS message keys) to one of these, so
// an expectation's failed_check holds on every engine.
const (
	// CheckAllowOriginMissing: the response has no usable
	// Access-Control-Allow-Origin (https://fetch.spec.whatwg.org/#concept-cors-check).
	CheckAllowOriginMissing = "CORS check step 2"
	// CheckWildcardWithCredentials: `*` with credentials mode include.
	CheckWildcardWithCredentials = "CORS check step 3"
	// CheckAllowOriginMismatch: the value is not, byte for byte, the
	// request's origin.
	CheckAllowOriginMismatch = "CORS check step 4"
	// CheckAllowCredentials: credentialed, and
	// Access-Control-Allow-Credentials is not `true`.
	CheckAllowCredentials = "CORS check step 7"
	// CheckPreflight: the preflight's answer fails the CORS check or has
	// no ok status (https://fetch.spec.whatwg.org/#cors-preflight-fetch-0 step 7).
	CheckPreflight = "CORS-preflight fetch step 7"
	// CheckPreflightLists: Access-Control-Allow-Methods or -Headers does
	// not parse.
	CheckPreflightLists = "CORS-preflight fetch step 7.3"
	// CheckPreflightMethod: the method is not allowed by the preflight.
	CheckPreflightMethod = "CORS-preflight fetch step 7.5"
	// CheckPreflightAuthorization: Authorization must be listed by name.
	CheckPreflightAuthorization = "CORS-preflight fetch step 7.6"
	// CheckPreflightHeaders: a request header is not allowed by the
	// preflight.
	CheckPreflightHeaders = "CORS-preflight fetch step 7.7"
	// CheckRedirectCredentials: a CORS request may not follow a redirect to
	// a URL with credentials (https://fetch.spec.whatwg.org/#concept-http-redirect-fetch).
	CheckRedirectCredentials = "HTTP-redirect fetch step 9"
	// CheckMode: the request's mode or scheme forbids it
	// (https://fetch.spec.whatwg.org/#concept-main-fetch step 12).
	CheckMode = "main fetch step 12"
)

// InPreflight is the check a CORS-check failure becomes when it is the
// preflight's answer that failed it.
func InPreflight(check string) string {
	switch check {
	case CheckAllowOriginMissing, CheckWildcardWithCredentials, CheckAllowOriginMismatch, CheckAllowCredentials:
		return CheckPreflight
	}
	return check
}

// FailedCheck is the model's failing step in the vocabulary above: the
// step the prediction failed at, as the preflight's step 7 when the
// preflight's answer is what failed; "" when nothing failed; nil when the
// model could not decide.
func (p *StepPrediction) FailedCheck() *string {
	if p.Outcome == "" {
		return nil
	}
	c := ""
	if p.FailedAt != nil {
		c = p.FailedAt.Algorithm + " step " + p.FailedAt.Number
		for _, st := range p.Trace {
			if st.Algorithm == "CORS-preflight fetch" && st.Outcome == Failed {
				c = InPreflight(c)
			}
		}
	}
	return &c
}
