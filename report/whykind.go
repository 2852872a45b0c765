package report

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/corslab/corslab/fetchspec"
)

// failure is a kind of refusal: what Why explains. It is picked by the
// failing step of the Fetch standard (stepFailure), or, where the standard
// lets the request through, translated from the browser's own reason
// (corsErrorFailure).
type failure string

// Kinds of refusal.
const (
	failOriginMissing       failure = "origin-missing"
	failOriginMismatch      failure = "origin-mismatch"
	failOriginMultiple      failure = "origin-multiple"
	failOriginInvalid       failure = "origin-invalid"
	failOriginWildcard      failure = "origin-wildcard"
	failCredentials         failure = "credentials"
	failStatus              failure = "status"
	failPreflightRedirect   failure = "preflight-redirect"
	failMethodsParse        failure = "methods-parse"
	failHeadersParse        failure = "headers-parse"
	failMethod              failure = "method"
	failHeader              failure = "header"
	failRedirectCredentials failure = "redirect-credentials"
	failRedirectLocation    failure = "redirect-location"
	failRedirectMode        failure = "redirect-mode"
	failMode                failure = "mode"
	failScheme              failure = "scheme"
	failInvalid             failure = "invalid"
	failNoCORSRedirect      failure = "no-cors-redirect"
	failPrivateNetwork      failure = "private-network"
	failLocalInsecure       failure = "local-insecure"
	failLocalDenied         failure = "local-denied"
	failPageCall            failure = "page-call"
	failUnknown             failure = ""
)

// failureKind picks what to explain: the failing step of the standard when
// there is one, else the browser's CorsError; pre says the preflight's
// answer failed, p is the value at fault (the step's subject or the value
// it saw, else the browser's failed parameter).
func failureKind(in WhyInput) (failure, bool, string) {
	if f := in.Failure; f != nil {
		k := stepFailure(*f, in.PreflightStatus)
		pre := in.InPreflight || f.Algorithm == "CORS-preflight fetch"
		p := f.Subject
		if p == "" {
			p = sawValue(f.Saw)
		}
		return k, pre, p
	}
	return corsErrorFailure(in.CorsError), IsPreflightError(in.CorsError), in.FailedParameter
}

// stepFailure is the kind of refusal a failing step of the standard is.
func stepFailure(s fetchspec.Step, preflightStatus int) failure {
	switch s.Algorithm + " " + s.Number {
	case "CORS check 2":
		return failOriginMissing
	case "CORS check 3":
		return failOriginWildcard
	case "CORS check 4":
		switch {
		case strings.Contains(s.Saw, " | ") || strings.ContainsAny(s.Subject, ", "):
			return failOriginMultiple
		case !looksLikeOrigin(s.Subject):
			return failOriginInvalid
		}
		return failOriginMismatch
	case "CORS check 7":
		return failCredentials
	case "CORS-preflight fetch 7":
		status := preflightStatus
		if f := strings.Fields(s.Saw); status == 0 && len(f) > 1 {
			status, _ = strconv.Atoi(f[1])
		}
		if fetchspec.IsRedirectStatus(status) {
			return failPreflightRedirect
		}
		return failStatus
	case "CORS-preflight fetch 7.3":
		if strings.Contains(s.Says, "Methods") {
			return failMethodsParse
		}
		return failHeadersParse
	case "CORS-preflight fetch 7.5":
		return failMethod
	case "CORS-preflight fetch 7.6", "CORS-preflight fetch 7.7":
		return failHeader
	case "HTTP-redirect fetch 9", "HTTP-redirect fetch 10":
		return failRedirectCredentials
	case "HTTP-redirect fetch 5", "HTTP-redirect fetch 6", "HTTP-redirect fetch 7":
		return failRedirectLocation
	case "HTTP fetch 6.3":
		return failRedirectMode
	case "main fetch 12":
		if s.Saw == "mode: same-origin" {
			return failMode
		}
		return failScheme
	case "main fetch 12.1":
		return failNoCORSRedirect
	}
	return failPageCall
}

// corsErrors translates Chromium's CorsError into the kind of refusal.
var corsErrors = map[string]failure{
	"DisallowedByMode":                     failMode,
	"InvalidResponse":                      failInvalid,
	"WildcardOriginNotAllowed":             failOriginWildcard,
	"MissingAllowOriginHeader":             failOriginMissing,
	"MultipleAllowOriginValues":            failOriginMultiple,
	"InvalidAllowOriginValue":              failOriginInvalid,
	"AllowOriginMismatch":                  failOriginMismatch,
	"InvalidAllowCredentials":              failCredentials,
	"CorsDisabledScheme":                   failScheme,
	"PreflightInvalidStatus":               failStatus,
	"PreflightDisallowedRedirect":          failPreflightRedirect,
	"PreflightMissingAllowExternal":        failPrivateNetwork,
	"PreflightInvalidAllowExternal":        failPrivateNetwork,
	"InvalidAllowMethodsPreflightResponse": failMethodsParse,
	"InvalidAllowHeadersPreflightResponse": failHeadersParse,
	"MethodDisallowedByPreflightResponse":  failMethod,
	"HeaderDisallowedByPreflightResponse":  failHeader,
	"RedirectContainsCredentials":          failRedirectCredentials,
	"InsecureLocalNetwork":                 failLocalInsecure,
	"InvalidLocalNetworkAccess":            failLocalDenied,
	"NoCorsRedirectModeNotFollow":          failNoCORSRedirect,
	"LocalNetworkAccessPermissionDenied":   failLocalDenied,
}

// corsErrorFailure is the kind of refusal a CorsError names (the
// Preflight… variants as their plain ones).
func corsErrorFailure(e string) failure {
	if k, ok := corsErrors[e]; ok {
		return k
	}
	if k, ok := corsErrors[strings.TrimPrefix(e, "Preflight")]; ok {
		return k
	}
	return failUnknown
}

// sawValue is the value of a header line a step saw ("" for "no NAME
// header" or a line without a colon).
func sawValue(saw string) string {
	if strings.HasPrefix(saw, "no ") {
		return ""
	}
	_, v, ok := strings.Cut(saw, ": ")
	if !ok {
		return ""
	}
	return v
}

// looksLikeOrigin reports whether an Access-Control-Allow-Origin value reads
// as one origin (or null), so that failing to match it is a mismatch rather
// than a value that is no origin at all.
func looksLikeOrigin(v string) bool {
	if v == "null" {
		return true
	}
	u, err := url.Parse(v)
	return err == nil && u.Scheme != "" && u.Host != "" && !strings.ContainsAny(v, `;"'<>`)
}
