package report

import (
	"fmt"
	"strings"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// hiddenHeaders lists response header names on the wire the page could not read.
func hiddenHeaders(o *harness.Observation) []string {
	var final *harness.Message
	for i := range o.Exchange {
		if o.Exchange[i].Kind == "response" {
			final = &o.Exchange[i]
		}
	}
	if final == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, h := range final.Headers {
		n := strings.ToLower(h[0])
		if strings.HasPrefix(n, "access-control-") || n == "vary" || n == "set-cookie" || n == "set-cookie2" || n == "connection" || n == "keep-alive" {
			continue
		}
		if _, ok := o.ReadableHeaders[n]; ok || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, h[0])
	}
	return out
}

func allowedWhy(o *harness.Observation, in WhyInput, crossOrigin bool, r scenarios.Request) string {
	switch {
	case !crossOrigin:
		return "The page and the URL share an origin, so CORS does not apply: the page reads everything."
	case o.ResponseType == "opaqueredirect":
		return "With redirect: 'manual' the browser does not follow the redirect; the page gets an \"opaqueredirect\" response: status 0, no headers, no body. It learns only that there was a redirect, not where to."
	case o.ResponseType == "opaque":
		return "In no-cors mode the browser hands the page an opaque response: status 0, no headers, no body. The page can pass it on (e.g. to a cache) but never read it."
	}
	why := "The answer passed the CORS check"
	if v := values(in.Response, "Access-Control-Allow-Origin"); len(v) == 1 {
		why += " (Access-Control-Allow-Origin: " + v[0] + ")"
	}
	why += ", so the page may read the status and the body."
	if hidden := hiddenHeaders(o); len(hidden) > 0 {
		why += " It reads only the CORS-safelisted response headers and those named in Access-Control-Expose-Headers; hidden from it: " + strings.Join(hidden, ", ") + "."
	}
	return why
}

// exposeFix names the Access-Control-Expose-Headers line that would let the
// page read the hidden headers the scenario wanted readable.
func exposeFix(o *harness.Observation, in WhyInput) []string {
	if o.ResponseType != "cors" {
		return nil
	}
	hidden := hiddenHeaders(o)
	if len(hidden) == 0 {
		return nil
	}
	existing := joinedValues(in.Response, "Access-Control-Expose-Headers")
	var keep, invalid []string
	for _, t := range tokens(existing) {
		switch {
		case !scenarios.IsToken(t):
			invalid = append(invalid, t)
		case t == "*" && in.Credentials:
			invalid = append(invalid, t)
		default:
			keep = append(keep, t)
		}
	}
	for _, h := range hidden {
		if !hasTokenFold(strings.Join(keep, ","), h) {
			keep = append(keep, h)
		}
	}
	line := "Have bar send `Access-Control-Expose-Headers: " + strings.Join(keep, ", ") + "`"
	switch {
	case in.Credentials && hasToken(existing, "*"):
		line += " (with credentials \"*\" is a header literally named \"*\", not a wildcard: name each header)"
	case len(invalid) > 0:
		line += fmt.Sprintf(" (without %s: one name that is not a valid header name spoils the whole list)", strings.Join(quoteAll(invalid), ", "))
	}
	return []string{line + "."}
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
