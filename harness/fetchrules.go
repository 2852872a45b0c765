package harness

import (
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/corslab/corslab/scenarios"
)

// These rules come from the Fetch standard (CORS-safelisted method and
// request-header). corslab uses them only to tell a cached preflight from a
// request that never needed one; every verdict still comes from observation.

// NormalizeMethod upper-cases the methods fetch() normalises (DELETE, GET,
// HEAD, OPTIONS, POST, PUT); others, e.g. "patch", are sent as written.
func NormalizeMethod(m string) string {
	switch u := strings.ToUpper(m); u {
	case "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT":
		return u
	}
	return m
}

// IsSafelistedMethod reports whether m (normalised) is GET, HEAD or POST.
func IsSafelistedMethod(m string) bool {
	switch NormalizeMethod(m) {
	case "GET", "HEAD", "POST":
		return true
	}
	return false
}

var rangeRe = regexp.MustCompile(`^bytes=([0-9]+)-([0-9]*)$`)

func hasUnsafeByte(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < 0x20 && c != '\t') || c == 0x7f || strings.IndexByte(`"():<>?@[\]{}`, c) >= 0 {
			return true
		}
	}
	return false
}

// IsSafelistedHeader reports whether name: value is a CORS-safelisted
// request-header on its own (the 1024-byte total is checked by the caller).
func IsSafelistedHeader(name, value string) bool {
	if len(value) > 128 {
		return false
	}
	switch strings.ToLower(name) {
	case "accept":
		return !hasUnsafeByte(value)
	case "accept-language", "content-language":
		for i := 0; i < len(value); i++ {
			c := value[i]
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || strings.IndexByte(" *,-.;=", c) >= 0) {
				return false
			}
		}
		return true
	case "content-type":
		if hasUnsafeByte(value) {
			return false
		}
		mt, _, err := mime.ParseMediaType(value)
		if err != nil {
			return false
		}
		switch mt {
		case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
			return true
		}
		return false
	case "range":
		m := rangeRe.FindStringSubmatch(value)
		if m == nil {
			return false
		}
		if m[2] != "" && len(m[1]) > 0 {
			// start must not exceed end; compare as numbers by length then text.
			a, b := strings.TrimLeft(m[1], "0"), strings.TrimLeft(m[2], "0")
			if len(a) > len(b) || len(a) == len(b) && a > b {
				return false
			}
		}
		return true
	}
	return false
}

// UnsafeHeaderNames returns the lowercased, sorted, de-duplicated names that
// the browser lists in Access-Control-Request-Headers for these headers.
func UnsafeHeaderNames(h scenarios.Headers) []string {
	total := 0
	for _, x := range h {
		for _, v := range x.Values {
			if IsSafelistedHeader(x.Name, v) {
				total += len(v)
			}
		}
	}
	set := map[string]bool{}
	for _, x := range h {
		for _, v := range x.Values {
			if total > 1024 || !IsSafelistedHeader(x.Name, v) {
				set[strings.ToLower(x.Name)] = true
			}
		}
	}
	return sortedKeys(set)
}

// NeedsPreflight reports whether a cors-mode request with this method and
// these headers needs a CORS preflight by the Fetch standard.
// (A string body adds a safelisted text/plain Content-Type, so it never
// matters.)
func NeedsPreflight(method string, h scenarios.Headers) bool {
	return !IsSafelistedMethod(method) || len(UnsafeHeaderNames(h)) > 0
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "status " + strconv.Itoa(code)
}
