package fetchspec

// IsMethod reports whether m is a method: a byte sequence that matches the
// method token production.
// https://fetch.spec.whatwg.org/#concept-method
func IsMethod(m string) bool { return isToken(m) }

// IsCORSSafelistedMethod reports whether m is `GET`, `HEAD` or `POST`
// (byte-exact: `post` is not safelisted until normalised).
// https://fetch.spec.whatwg.org/#cors-safelisted-method
func IsCORSSafelistedMethod(m string) bool {
	return m == "GET" || m == "HEAD" || m == "POST"
}

// IsForbiddenMethod reports whether m is a byte-case-insensitive match for
// `CONNECT`, `TRACE` or `TRACK`.
// https://fetch.spec.whatwg.org/#forbidden-method
func IsForbiddenMethod(m string) bool {
	return byteCaseInsensitiveMatch(m, "CONNECT") || byteCaseInsensitiveMatch(m, "TRACE") || byteCaseInsensitiveMatch(m, "TRACK")
}

// NormalizeMethod byte-uppercases m if it is a byte-case-insensitive match
// for `DELETE`, `GET`, `HEAD`, `OPTIONS`, `POST` or `PUT`; any other method
// (`patch`) is kept as written.
// https://fetch.spec.whatwg.org/#concept-method-normalize
func NormalizeMethod(m string) string {
	for _, n := range []string{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"} {
		if byteCaseInsensitiveMatch(m, n) {
			return byteUppercase(m)
		}
	}
	return m
}
