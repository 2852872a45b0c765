package firefox

import (
	"strings"

	"github.com/corslab/corslab/fetchspec"
)

// checks maps Firefox's CORS message keys (the nsIScriptError category,
// https://developer.mozilla.org/docs/Web/HTTP/Guides/CORS/Errors) to the
// Fetch model's failing step, so the layers above speak one vocabulary.
var checks = map[string]string{
	"CORSMissingAllowOrigin2":              fetchspec.CheckAllowOriginMissing,
	"CORSMissingAllowOrigin":               fetchspec.CheckAllowOriginMissing,
	"CORSMultipleAllowOriginNotAllowed":    fetchspec.CheckAllowOriginMismatch,
	"CORSAllowOriginNotMatchingOrigin":     fetchspec.CheckAllowOriginMismatch,
	"CORSNotSupportingCredentials":         fetchspec.CheckWildcardWithCredentials,
	"CORSMissingAllowCredentials":          fetchspec.CheckAllowCredentials,
	"CORSPreflightDidNotSucceed3":          fetchspec.CheckPreflight,
	"CORSPreflightDidNotSucceed2":          fetchspec.CheckPreflight,
	"CORSInvalidAllowMethod":               fetchspec.CheckPreflightLists,
	"CORSInvalidAllowHeader":               fetchspec.CheckPreflightLists,
	"CORSMethodNotFound":                   fetchspec.CheckPreflightMethod,
	"CORSMissingAllowHeaderFromPreflight2": fetchspec.CheckPreflightHeaders,
	"CORSMissingAllowHeaderFromPreflight":  fetchspec.CheckPreflightHeaders,
	"CORSRequestNotHttp":                   fetchspec.CheckMode,
}

// checkOf is the model's failing step for a message key and its
// parameter; inPreflight says the preflight's answer is what failed (the
// page's request never got one), "" when the key maps to none (e.g.
// CORSDidNotSucceed2, a network failure).
func checkOf(key, parameter string, inPreflight bool) string {
	c := checks[key]
	if key == "CORSExternalRedirectNotAllowed" && inPreflight {
		// A redirect answering the preflight: no ok status.
		return fetchspec.CheckPreflight
	}
	if c == fetchspec.CheckPreflightHeaders && strings.EqualFold(parameter, "authorization") {
		return fetchspec.CheckPreflightAuthorization
	}
	if inPreflight {
		return fetchspec.InPreflight(c)
	}
	return c
}
