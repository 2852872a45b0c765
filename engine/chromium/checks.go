package chromium

import (
	"strings"

	"github.com/corslab/corslab/fetchspec"
)

// checks maps Chromium's CorsError values to the Fetch model's failing
// step, so the layers above speak one vocabulary.
var checks = map[string]string{
	"MissingAllowOriginHeader":             fetchspec.CheckAllowOriginMissing,
	"MultipleAllowOriginValues":            fetchspec.CheckAllowOriginMismatch,
	"InvalidAllowOriginValue":              fetchspec.CheckAllowOriginMismatch,
	"AllowOriginMismatch":                  fetchspec.CheckAllowOriginMismatch,
	"WildcardOriginNotAllowed":             fetchspec.CheckWildcardWithCredentials,
	"InvalidAllowCredentials":              fetchspec.CheckAllowCredentials,
	"PreflightInvalidStatus":               fetchspec.CheckPreflight,
	"PreflightDisallowedRedirect":          fetchspec.CheckPreflight,
	"InvalidAllowMethodsPreflightResponse": fetchspec.CheckPreflightLists,
	"InvalidAllowHeadersPreflightResponse": fetchspec.CheckPreflightLists,
	"MethodDisallowedByPreflightResponse":  fetchspec.CheckPreflightMethod,
	"HeaderDisallowedByPreflightResponse":  fetchspec.CheckPreflightHeaders,
	"RedirectContainsCredentials":          fetchspec.CheckRedirectCredentials,
	"DisallowedByMode":                     fetchspec.CheckMode,
	"CorsDisabledScheme":                   fetchspec.CheckMode,
}

// checkOf is the model's failing step for a CorsError and its parameter,
// "" when the error maps to none (Local Network Access, an invalid
// response).
func checkOf(corsError, parameter string) string {
	if rest, ok := strings.CutPrefix(corsError, "Preflight"); ok && checks[rest] != "" {
		return fetchspec.InPreflight(checks[rest])
	}
	c := checks[corsError]
	if c == fetchspec.CheckPreflightHeaders && strings.EqualFold(parameter, "authorization") {
		return fetchspec.CheckPreflightAuthorization
	}
	return c
}
