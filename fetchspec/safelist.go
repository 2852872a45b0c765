package fetchspec

import (
	"slices"
	"strings"
)

// IsCORSSafelistedRequestHeader reports whether the header (name, value) is
// a CORS-safelisted request-header: one a page may send cross-origin without
// a preflight.
// https://fetch.spec.whatwg.org/#cors-safelisted-request-header
func IsCORSSafelistedRequestHeader(name, value string) bool {
	// 1. If value's length is greater than 128, then return false.
	if len(value) > 128 {
		return false
	}
	// 2. Byte-lowercase name and switch on the result:
	switch byteLowercase(name) {
	case "accept":
		// If value contains a CORS-unsafe request-header byte, then return false.
		if hasCORSUnsafeRequestHeaderByte(value) {
			return false
		}
	case "accept-language", "content-language":
		// If value contains a byte that is not 0-9, A-Z, a-z, SP, *, ",", -, .,
		// ; or =, then return false.
		for i := 0; i < len(value); i++ {
			c := value[i]
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || strings.IndexByte(" *,-.;=", c) >= 0) {
				return false
			}
		}
	case "content-type":
		// 1. If value contains a CORS-unsafe request-header byte, then return false.
		if hasCORSUnsafeRequestHeaderByte(value) {
			return false
		}
		// 2. Let mimeType be the result of parsing the result of isomorphic
		// decoding value.
		essence, ok := parseMIMETypeEssence(value)
		// 3. If mimeType is failure, then return false.
		if !ok {
			return false
		}
		// 4. If mimeType's essence is not "application/x-www-form-urlencoded",
		// "multipart/form-data", or "text/plain", then return false.
		if essence != "application/x-www-form-urlencoded" && essence != "multipart/form-data" && essence != "text/plain" {
			return false
		}
	case "range":
		// 1. Let rangeValue be the result of parsing a single range header
		// value given value and false.
		start, _, ok := ParseSingleRangeHeaderValue(value, false)
		// 2. If rangeValue is failure, then return false.
		if !ok {
			return false
		}
		// 3. If rangeValue[0] is null, then return false.
		if start < 0 {
			return false
		}
	default:
		// Otherwise: Return false.
		return false
	}
	// 3. Return true.
	return true
}

// IsCORSUnsafeRequestHeaderByte reports whether b is a CORS-unsafe
// request-header byte: a control byte other than HT, one of "():<>?@[\]{}
// or DEL.
// https://fetch.spec.whatwg.org/#cors-unsafe-request-header-byte
func IsCORSUnsafeRequestHeaderByte(b byte) bool {
	return b < 0x20 && b != 0x09 || strings.IndexByte("\"():<>?@[\\]{}\x7f", b) >= 0
}

func hasCORSUnsafeRequestHeaderByte(v string) bool {
	for i := 0; i < len(v); i++ {
		if IsCORSUnsafeRequestHeaderByte(v[i]) {
			return true
		}
	}
	return false
}

// CORSUnsafeRequestHeaderNames returns the names of the headers that make a
// request need a preflight: those that are not CORS-safelisted, and all the
// safelisted ones too once their values add up to more than 1024 bytes;
// lowercased, sorted, without repeats. These are what
// Access-Control-Request-Headers lists.
// https://fetch.spec.whatwg.org/#cors-unsafe-request-header-names
func CORSUnsafeRequestHeaderNames(headers HeaderList) []string {
	// 1. Let unsafeNames be a new list.
	var unsafeNames []string
	// 2. Let potentiallyUnsafeNames be a new list.
	var potentiallyUnsafeNames []string
	// 3. Let safelistValueSize be 0.
	safelistValueSize := 0
	// 4. For each header of headers:
	for _, h := range headers {
		if !IsCORSSafelistedRequestHeader(h.Name, h.Value) {
			// 4.1. If header is not a CORS-safelisted request-header, then append
			// header's name to unsafeNames.
			unsafeNames = append(unsafeNames, h.Name)
		} else {
			// 4.2. Otherwise, append header's name to potentiallyUnsafeNames and
			// increase safelistValueSize by header's value's length.
			potentiallyUnsafeNames = append(potentiallyUnsafeNames, h.Name)
			safelistValueSize += len(h.Value)
		}
	}
	// 5. If safelistValueSize is greater than 1024, then for each name of
	// potentiallyUnsafeNames, append name to unsafeNames.
	if safelistValueSize > 1024 {
		unsafeNames = append(unsafeNames, potentiallyUnsafeNames...)
	}
	// 6. Return the result of convert header names to a sorted-lowercase set
	// with unsafeNames.
	return ConvertHeaderNamesToSortedLowercaseSet(unsafeNames)
}

// IsCORSNonWildcardRequestHeaderName reports whether name is a
// byte-case-insensitive match for `Authorization`: the one header a `*` in
// Access-Control-Allow-Headers never covers.
// https://fetch.spec.whatwg.org/#cors-non-wildcard-request-header-name
func IsCORSNonWildcardRequestHeaderName(name string) bool {
	return byteCaseInsensitiveMatch(name, "Authorization")
}

// IsPrivilegedNoCORSRequestHeaderName reports whether name is a
// byte-case-insensitive match for `Range`.
// https://fetch.spec.whatwg.org/#privileged-no-cors-request-header-name
func IsPrivilegedNoCORSRequestHeaderName(name string) bool {
	return byteCaseInsensitiveMatch(name, "Range")
}

// corsSafelistedResponseHeaderNames are the names every CORS response
// exposes.
var corsSafelistedResponseHeaderNames = []string{"cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"}

// IsCORSSafelistedResponseHeaderName reports whether name is a
// CORS-safelisted response-header name given list (the response's
// CORS-exposed header-name list): one of the seven names every CORS response
// exposes, or an item of list that is not a forbidden response-header name.
// https://fetch.spec.whatwg.org/#cors-safelisted-response-header-name
func IsCORSSafelistedResponseHeaderName(name string, list []string) bool {
	if slices.Contains(corsSafelistedResponseHeaderNames, byteLowercase(name)) {
		return true
	}
	return slices.ContainsFunc(list, func(item string) bool {
		return byteCaseInsensitiveMatch(item, name) && !IsForbiddenResponseHeaderName(item)
	})
}

// IsNoCORSSafelistedRequestHeaderName reports whether name is `Accept`,
// `Accept-Language`, `Content-Language` or `Content-Type`
// (byte-case-insensitive).
// https://fetch.spec.whatwg.org/#no-cors-safelisted-request-header-name
func IsNoCORSSafelistedRequestHeaderName(name string) bool {
	return slices.ContainsFunc([]string{"Accept", "Accept-Language", "Content-Language", "Content-Type"}, func(n string) bool { return byteCaseInsensitiveMatch(n, name) })
}

// IsNoCORSSafelistedRequestHeader reports whether (name, value) may be set
// on a no-cors request.
// https://fetch.spec.whatwg.org/#no-cors-safelisted-request-header
func IsNoCORSSafelistedRequestHeader(name, value string) bool {
	// 1. If name is not a no-CORS-safelisted request-header name, then return false.
	if !IsNoCORSSafelistedRequestHeaderName(name) {
		return false
	}
	// 2. Return whether (name, value) is a CORS-safelisted request-header.
	return IsCORSSafelistedRequestHeader(name, value)
}

var forbiddenRequestHeaderNames = []string{
	"Accept-Charset", "Accept-Encoding", "Access-Control-Request-Headers", "Access-Control-Request-Method",
	"Connection", "Content-Length", "Cookie", "Cookie2", "Date", "DNT", "Expect", "Host", "Keep-Alive",
	"Origin", "Referer", "Set-Cookie", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Via",
}

// IsForbiddenRequestHeader reports whether a page may not set the header
// (name, value): the user agent keeps control of it.
// https://fetch.spec.whatwg.org/#forbidden-request-header
func IsForbiddenRequestHeader(name, value string) bool {
	// 1. If name is a byte-case-insensitive match for one of `Accept-Charset`,
	// …, `Via`, then return true.
	if slices.ContainsFunc(forbiddenRequestHeaderNames, func(n string) bool { return byteCaseInsensitiveMatch(n, name) }) {
		return true
	}
	// 2. If name when byte-lowercased starts with `proxy-` or `sec-`, then
	// return true.
	if l := byteLowercase(name); strings.HasPrefix(l, "proxy-") || strings.HasPrefix(l, "sec-") {
		return true
	}
	// 3. If name is a byte-case-insensitive match for one of `X-HTTP-Method`,
	// `X-HTTP-Method-Override`, `X-Method-Override`, then:
	if byteCaseInsensitiveMatch(name, "X-HTTP-Method") || byteCaseInsensitiveMatch(name, "X-HTTP-Method-Override") || byteCaseInsensitiveMatch(name, "X-Method-Override") {
		// 3.1. Let parsedValues be the result of getting, decoding, and
		// splitting value.
		// 3.2. For each method of parsedValues: if the isomorphic encoding of
		// method is a forbidden method, then return true.
		if slices.ContainsFunc(DecodeSplit(value), IsForbiddenMethod) {
			return true
		}
	}
	// 4. Return false.
	return false
}

// IsForbiddenResponseHeaderName reports whether name is `Set-Cookie` or
// `Set-Cookie2` (byte-case-insensitive): never exposed to a page.
// https://fetch.spec.whatwg.org/#forbidden-response-header-name
func IsForbiddenResponseHeaderName(name string) bool {
	return byteCaseInsensitiveMatch(name, "Set-Cookie") || byteCaseInsensitiveMatch(name, "Set-Cookie2")
}

// requestBodyHeaderNames are deleted when a redirect turns the request into
// a GET without a body.
// https://fetch.spec.whatwg.org/#request-body-header-name
var requestBodyHeaderNames = []string{"Content-Encoding", "Content-Language", "Content-Location", "Content-Type"}

// ParseSingleRangeHeaderValue parses `bytes=START-END`; start or end is -1
// when omitted (null).
// https://fetch.spec.whatwg.org/#simple-range-header-value
func ParseSingleRangeHeaderValue(value string, allowWhitespace bool) (start, end int64, ok bool) {
	// 1. Let data be the isomorphic decoding of value.
	data := value
	// 2. If data does not start with "bytes", then return failure.
	if !strings.HasPrefix(data, "bytes") {
		return 0, 0, false
	}
	// 3. Let position be a position variable for data, initially pointing at
	// the 5th code point of data.
	pos := 5
	skipWS := func() {
		for allowWhitespace && pos < len(data) && (data[pos] == ' ' || data[pos] == '\t') {
			pos++
		}
	}
	digits := func() (int64, bool) {
		from := pos
		var n int64
		for pos < len(data) && data[pos] >= '0' && data[pos] <= '9' {
			if n < 1<<53 {
				n = n*10 + int64(data[pos]-'0')
			}
			pos++
		}
		return n, pos > from
	}
	// 4. If allowWhitespace is true, collect a sequence of code points that are
	// HTTP tab or space, from data given position.
	skipWS()
	// 5. If the code point at position within data is not U+003D (=), then
	// return failure.
	if pos >= len(data) || data[pos] != '=' {
		return 0, 0, false
	}
	// 6. Advance position by 1.
	pos++
	// 7. If allowWhitespace is true, collect HTTP tab or space.
	skipWS()
	// 8. Let rangeStart be the result of collecting a sequence of code points
	// that are ASCII digits, from data given position.
	// 9. Let rangeStartValue be rangeStart, interpreted as decimal number, if
	// rangeStart is not the empty string; otherwise null.
	start, hasStart := digits()
	if !hasStart {
		start = -1
	}
	// 10. If allowWhitespace is true, collect HTTP tab or space.
	skipWS()
	// 11. If the code point at position within data is not U+002D (-), then
	// return failure.
	if pos >= len(data) || data[pos] != '-' {
		return 0, 0, false
	}
	// 12. Advance position by 1.
	pos++
	// 13. If allowWhitespace is true, collect HTTP tab or space.
	skipWS()
	// 14. Let rangeEnd be the result of collecting ASCII digits.
	// 15. Let rangeEndValue be rangeEnd, interpreted as decimal number, if
	// rangeEnd is not the empty string; otherwise null.
	end, hasEnd := digits()
	if !hasEnd {
		end = -1
	}
	// 16. If position is not past the end of data, then return failure.
	if pos < len(data) {
		return 0, 0, false
	}
	// 17. If rangeEndValue and rangeStartValue are null, then return failure.
	if !hasStart && !hasEnd {
		return 0, 0, false
	}
	// 18. If rangeStartValue and rangeEndValue are numbers, and
	// rangeStartValue is greater than rangeEndValue, then return failure.
	if hasStart && hasEnd && start > end {
		return 0, 0, false
	}
	// 19. Return (rangeStartValue, rangeEndValue).
	return start, end, true
}

// parseMIMETypeEssence parses a MIME type as the MIME Sniffing standard does
// and returns its essence (type/subtype, lowercased), or false on failure.
// Parameters are not needed by any CORS rule and are not kept.
// https://mimesniff.spec.whatwg.org/#parse-a-mime-type
func parseMIMETypeEssence(input string) (string, bool) {
	// 1. Remove any leading and trailing HTTP whitespace from input.
	input = strings.Trim(input, "\t\n\r ")
	// 2-5. Collect a sequence of code points that are not "/": the type; it
	// must be non-empty and only HTTP token code points, and "/" must follow.
	slash := strings.IndexByte(input, '/')
	if slash <= 0 || !isToken(input[:slash]) {
		return "", false
	}
	typ := input[:slash]
	// 6-9. Collect the subtype up to ";", remove trailing HTTP whitespace; it
	// must be non-empty and only HTTP token code points.
	rest := input[slash+1:]
	sub := rest
	if i := strings.IndexByte(rest, ';'); i >= 0 {
		sub = rest[:i]
	}
	sub = strings.TrimRight(sub, "\t\n\r ")
	if !isToken(sub) {
		return "", false
	}
	// 10. The essence is type "/" subtype, in ASCII lowercase.
	return byteLowercase(typ + "/" + sub), true
}
