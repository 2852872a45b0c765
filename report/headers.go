package report

import (
	"net/url"
	"strings"
)

// Header values as the wire carried them: reading lists and names for display.

// headerValue returns the first value of a header, compared without case.
func headerValue(h [][2]string, name string) string {
	for _, x := range h {
		if strings.EqualFold(x[0], name) {
			return x[1]
		}
	}
	return ""
}

// joinedValues joins every line of a header with ", ".
func joinedValues(h [][2]string, name string) string {
	var vals []string
	for _, x := range h {
		if strings.EqualFold(x[0], name) {
			vals = append(vals, x[1])
		}
	}
	return strings.Join(vals, ", ")
}

func tokens(list string) []string {
	var out []string
	for _, t := range strings.Split(list, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func hasToken(list, tok string) bool {
	for _, t := range tokens(list) {
		if t == tok {
			return true
		}
	}
	return false
}

func hasTokenFold(list, tok string) bool {
	for _, t := range tokens(list) {
		if strings.EqualFold(t, tok) {
			return true
		}
	}
	return false
}

// addToken appends tok to a list header value; with credentials a "*" is
// dropped, since it means nothing there.
func addToken(list, tok string, creds bool) string {
	var out []string
	for _, t := range tokens(list) {
		if creds && t == "*" {
			continue
		}
		out = append(out, t)
	}
	out = append(out, tok)
	return strings.Join(out, ", ")
}

// pageSpelling returns the page's spelling of a header name Chromium reports
// in lowercase, or the name itself.
func pageSpelling(names []string, lower string) string {
	for _, n := range names {
		if strings.EqualFold(n, lower) {
			return n
		}
	}
	return lower
}

func stripUserinfo(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	u.User = nil
	return u.String()
}
