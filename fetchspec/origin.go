package fetchspec

import (
	"net/url"
	"strings"
)

// Origin is an origin: a tuple origin, kept in its serialization
// ("http://foo.localhost:41001"), or an opaque origin, which serializes as
// "null".
// https://html.spec.whatwg.org/multipage/browsers.html#concept-origin
type Origin struct {
	Serialized string `json:"serialized"`
	Opaque     bool   `json:"opaque,omitempty"`
}

// OpaqueOrigin is a new opaque origin (a sandboxed frame's, a data: URL's).
var OpaqueOrigin = Origin{Serialized: "null", Opaque: true}

// ParseOrigin returns the origin a serialization names: "null" is opaque.
func ParseOrigin(s string) Origin {
	if s == "null" || s == "" {
		return OpaqueOrigin
	}
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		return URLOrigin(u)
	}
	return Origin{Serialized: s}
}

// URLOrigin returns the origin of a URL: for http and https the tuple
// (scheme, host, port) with the default port left out, otherwise an opaque
// origin.
// https://url.spec.whatwg.org/#concept-url-origin
func URLOrigin(u *url.URL) Origin {
	scheme := strings.ToLower(u.Scheme)
	if !isHTTPScheme(scheme) {
		return OpaqueOrigin
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	s := scheme + "://" + host
	if p := u.Port(); p != "" && !(scheme == "http" && p == "80") && !(scheme == "https" && p == "443") {
		s += ":" + p
	}
	return Origin{Serialized: s}
}

// SameOrigin reports whether a and b are the same origin: the same tuple. (An
// opaque origin is same origin only with itself; the model never compares an
// opaque origin with itself, so two opaque origins are never the same here.)
// https://html.spec.whatwg.org/multipage/browsers.html#same-origin
func SameOrigin(a, b Origin) bool {
	return !a.Opaque && !b.Opaque && a.Serialized == b.Serialized
}

// sameSite approximates HTML's "same site" for the lab's hosts: the same
// scheme and the same last two host labels, which is what Chromium decides
// for hosts under .localhost (it treats localhost as the public suffix).
// https://html.spec.whatwg.org/multipage/browsers.html#same-site
func sameSite(a, b Origin) bool {
	if a.Opaque || b.Opaque {
		return a == b
	}
	site := func(o Origin) string {
		scheme, rest, _ := strings.Cut(o.Serialized, "://")
		host := rest
		if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
			host = rest[:i]
		}
		labels := strings.Split(host, ".")
		if len(labels) > 2 {
			labels = labels[len(labels)-2:]
		}
		return scheme + "://" + strings.Join(labels, ".")
	}
	return site(a) == site(b)
}

// IncludesCredentials reports whether a URL includes credentials: a
// non-empty username or password.
// https://url.spec.whatwg.org/#include-credentials
func IncludesCredentials(u *url.URL) bool {
	if u.User == nil {
		return false
	}
	p, _ := u.User.Password()
	return u.User.Username() != "" || p != ""
}

// isHTTPScheme reports whether scheme is "http" or "https".
// https://fetch.spec.whatwg.org/#http-scheme
func isHTTPScheme(scheme string) bool { return scheme == "http" || scheme == "https" }
