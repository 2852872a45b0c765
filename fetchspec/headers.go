package fetchspec

import (
	"slices"
	"strings"
)

// Header is a header: a name and a value, both byte sequences.
// https://fetch.spec.whatwg.org/#concept-header
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HeaderList is a header list: an ordered multimap, names may repeat.
// https://fetch.spec.whatwg.org/#concept-header-list
type HeaderList []Header

// Contains reports whether the list contains a header whose name is a
// byte-case-insensitive match for name.
// https://fetch.spec.whatwg.org/#header-list-contains
func (l HeaderList) Contains(name string) bool {
	return slices.ContainsFunc(l, func(h Header) bool { return byteCaseInsensitiveMatch(h.Name, name) })
}

// Get gets name from the list: null (ok false) when absent, else the values
// of every header of that name separated by 0x2C 0x20, in order.
// https://fetch.spec.whatwg.org/#concept-header-list-get
func (l HeaderList) Get(name string) (value string, ok bool) {
	// 1. If list does not contain name, then return null.
	if !l.Contains(name) {
		return "", false
	}
	// 2. Return the values of all headers in list whose name is a
	// byte-case-insensitive match for name, separated from each other by
	// 0x2C 0x20, in order.
	var vals []string
	for _, h := range l {
		if byteCaseInsensitiveMatch(h.Name, name) {
			vals = append(vals, h.Value)
		}
	}
	return strings.Join(vals, ", "), true
}

// GetDecodeSplit gets, decodes and splits name from the list: null (ok
// false) when absent.
// https://fetch.spec.whatwg.org/#concept-header-list-get-decode-split
func (l HeaderList) GetDecodeSplit(name string) (values []string, ok bool) {
	// 1. Let value be the result of getting name from list.
	value, ok := l.Get(name)
	// 2. If value is null, then return null.
	if !ok {
		return nil, false
	}
	// 3. Return the result of getting, decoding, and splitting value.
	return DecodeSplit(value), true
}

// Append appends a header, reusing the casing of a name already present.
// https://fetch.spec.whatwg.org/#concept-header-list-append
func (l *HeaderList) Append(name, value string) {
	// 1. If list contains name, then set name to the first such header's name.
	for _, h := range *l {
		if byteCaseInsensitiveMatch(h.Name, name) {
			name = h.Name
			break
		}
	}
	// 2. Append (name, value) to list.
	*l = append(*l, Header{name, value})
}

// Delete removes every header whose name is a byte-case-insensitive match
// for name.
// https://fetch.spec.whatwg.org/#concept-header-list-delete
func (l *HeaderList) Delete(name string) {
	*l = slices.DeleteFunc(*l, func(h Header) bool { return byteCaseInsensitiveMatch(h.Name, name) })
}

// Set sets the first header of that name to value and removes the others,
// or appends it.
// https://fetch.spec.whatwg.org/#concept-header-list-set
func (l *HeaderList) Set(name, value string) {
	// 1. If list contains name, then set the value of the first such header
	// to value and remove the others.
	for i, h := range *l {
		if byteCaseInsensitiveMatch(h.Name, name) {
			(*l)[i].Value = value
			rest := slices.DeleteFunc(slices.Clone((*l)[i+1:]), func(h Header) bool { return byteCaseInsensitiveMatch(h.Name, name) })
			*l = append((*l)[:i+1], rest...)
			return
		}
	}
	// 2. Otherwise, append (name, value) to list.
	*l = append(*l, Header{name, value})
}

// Combine appends value to the first header of that name, after 0x2C 0x20,
// or appends the header (XMLHttpRequest's setRequestHeader uses it).
// https://fetch.spec.whatwg.org/#concept-header-list-combine
func (l *HeaderList) Combine(name, value string) {
	// 1. If list contains name, then set the value of the first such header
	// to its value, followed by 0x2C 0x20, followed by value.
	for i, h := range *l {
		if byteCaseInsensitiveMatch(h.Name, name) {
			(*l)[i].Value += ", " + value
			return
		}
	}
	// 2. Otherwise, append (name, value) to list.
	*l = append(*l, Header{name, value})
}

// SortAndCombine returns the list as JavaScript sees it: lowercased names in
// byte order, values combined, Set-Cookie kept apart.
// https://fetch.spec.whatwg.org/#concept-header-list-sort-and-combine
func (l HeaderList) SortAndCombine() HeaderList {
	// 1. Let headers be a header list.
	var headers HeaderList
	// 2. Let names be the result of convert header names to a sorted-lowercase
	// set with all the names of the headers in list.
	names := make([]string, 0, len(l))
	for _, h := range l {
		names = append(names, h.Name)
	}
	// 3. For each name of names:
	for _, name := range ConvertHeaderNamesToSortedLowercaseSet(names) {
		// 3.1. If name is `set-cookie`, then append each value of the headers
		// of that name to headers.
		if name == "set-cookie" {
			for _, h := range l {
				if byteCaseInsensitiveMatch(h.Name, name) {
					headers = append(headers, Header{name, h.Value})
				}
			}
			continue
		}
		// 3.2. Otherwise, append (name, the result of getting name from list).
		v, _ := l.Get(name)
		headers = append(headers, Header{name, v})
	}
	// 4. Return headers.
	return headers
}

// ConvertHeaderNamesToSortedLowercaseSet byte-lowercases the names, drops
// repeats and sorts them in ascending byte order.
// https://fetch.spec.whatwg.org/#convert-header-names-to-a-sorted-lowercase-set
func ConvertHeaderNamesToSortedLowercaseSet(headerNames []string) []string {
	// 1. Let headerNamesSet be a new ordered set.
	var set []string
	// 2. For each name of headerNames, append the result of byte-lowercasing
	// name to headerNamesSet.
	for _, n := range headerNames {
		if l := byteLowercase(n); !slices.Contains(set, l) {
			set = append(set, l)
		}
	}
	// 3. Return the result of sorting headerNamesSet in ascending order with
	// byte less than.
	slices.Sort(set)
	return set
}

// DecodeSplit gets, decodes and splits a header value: commas split it,
// except inside an HTTP quoted string, and HTTP tab or space is trimmed from
// each part.
// https://fetch.spec.whatwg.org/#header-value-get-decode-and-split
func DecodeSplit(value string) []string {
	// 1. Let input be the result of isomorphic decoding value.
	input := value
	// 2. Let position be a position variable for input, initially pointing at
	// the start of input.
	pos := 0
	// 3. Let values be a list of strings, initially « ».
	values := []string{}
	// 4. Let temporaryValue be the empty string.
	var tmp strings.Builder
	// 5. While true:
	for {
		// 5.1. Append the result of collecting a sequence of code points that
		// are not U+0022 (") or U+002C (,) from input, given position, to
		// temporaryValue.
		start := pos
		for pos < len(input) && input[pos] != '"' && input[pos] != ',' {
			pos++
		}
		tmp.WriteString(input[start:pos])
		// 5.2. If position is not past the end of input and the code point at
		// position within input is U+0022 ("):
		if pos < len(input) && input[pos] == '"' {
			// 5.2.1. Append the result of collecting an HTTP quoted string from
			// input, given position, to temporaryValue.
			var q string
			q, pos = collectHTTPQuotedString(input, pos)
			tmp.WriteString(q)
			// 5.2.2. If position is not past the end of input, then continue.
			if pos < len(input) {
				continue
			}
		}
		// 5.3. Remove all HTTP tab or space from the start and end of
		// temporaryValue.
		// 5.4. Append temporaryValue to values.
		values = append(values, strings.Trim(tmp.String(), " \t"))
		// 5.5. Set temporaryValue to the empty string.
		tmp.Reset()
		// 5.6. If position is past the end of input, then return values.
		if pos >= len(input) {
			return values
		}
		// 5.7. Assert: the code point at position within input is U+002C (,).
		// 5.8. Advance position by 1.
		pos++
	}
}

// collectHTTPQuotedString collects an HTTP quoted string starting at the
// quote at pos, with extract-value false: the result keeps the quotes and
// backslashes, as get, decode and split wants.
// https://fetch.spec.whatwg.org/#collect-an-http-quoted-string
func collectHTTPQuotedString(input string, pos int) (string, int) {
	start := pos
	pos++ // the opening quote
	for pos < len(input) {
		c := input[pos]
		pos++
		if c == '\\' {
			if pos < len(input) {
				pos++
			}
			continue
		}
		if c == '"' {
			break
		}
	}
	return input[start:pos], pos
}

// ListValues is what extracting header list values returns: null (the list
// does not contain the header), failure (a value does not parse per the
// header's ABNF), or the values.
type ListValues struct {
	Values  []string
	Null    bool
	Failure bool
}

// abnf says how the headers of the CORS protocol are parsed: single (the
// ABNF allows one header only), list (a #rule, "1#" when atLeastOne), and
// what one element must be.
// https://fetch.spec.whatwg.org/#http-new-header-syntax
var abnf = map[string]struct {
	single, list, atLeastOne bool
	element                  func(string) bool
}{
	"access-control-allow-methods":   {list: true, element: IsMethod},
	"access-control-allow-headers":   {list: true, element: IsHeaderName},
	"access-control-expose-headers":  {list: true, element: IsHeaderName},
	"access-control-request-headers": {list: true, atLeastOne: true, element: IsHeaderName},
	"access-control-max-age":         {single: true, element: isDeltaSeconds},
	"location":                       {single: true, element: func(string) bool { return true }},
}

// ExtractHeaderListValues extracts the values of the headers named name,
// parsing each per its ABNF (Access-Control-Allow-Methods = #method, …): a
// list element that is not a token, or a second header where the ABNF
// allows one, is failure.
// https://fetch.spec.whatwg.org/#extract-header-list-values
func ExtractHeaderListValues(name string, list HeaderList) ListValues {
	// 1. If list does not contain name, then return null.
	if !list.Contains(name) {
		return ListValues{Null: true}
	}
	rule, known := abnf[byteLowercase(name)]
	// 2. If the ABNF for name allows a single header and list contains more
	// than one, then return failure.
	if rule.single {
		n := 0
		for _, h := range list {
			if byteCaseInsensitiveMatch(h.Name, name) {
				n++
			}
		}
		if n > 1 {
			return ListValues{Failure: true}
		}
	}
	// 3. Let values be an empty list.
	values := []string{}
	// 4. For each header header list contains whose name is name:
	for _, h := range list {
		if !byteCaseInsensitiveMatch(h.Name, name) {
			continue
		}
		// 4.1. Let extract be the result of extracting header values from header.
		extract, ok := extractHeaderValues(h, rule.list, rule.atLeastOne, rule.element, known)
		// 4.2. If extract is failure, then return failure.
		if !ok {
			return ListValues{Failure: true}
		}
		// 4.3. Append each value in extract, in order, to values.
		values = append(values, extract...)
	}
	// 5. Return values.
	return ListValues{Values: values}
}

// extractHeaderValues parses one header's value per the ABNF for its name;
// a #rule list accepts empty elements and optional whitespace around commas
// (RFC 9110 §5.6.1).
// https://fetch.spec.whatwg.org/#extract-header-values
func extractHeaderValues(h Header, list, atLeastOne bool, element func(string) bool, known bool) ([]string, bool) {
	if !known {
		return []string{h.Value}, true
	}
	// 1. If parsing header's value, per the ABNF for header's name, fails,
	// then return failure.
	// 2. Return one or more values resulting from parsing header's value,
	// per the ABNF for header's name.
	if !list {
		return []string{h.Value}, element(h.Value)
	}
	var out []string
	for _, part := range strings.Split(h.Value, ",") {
		part = strings.Trim(part, " \t")
		if part == "" {
			continue
		}
		if !element(part) {
			return nil, false
		}
		out = append(out, part)
	}
	if atLeastOne && len(out) == 0 {
		return nil, false
	}
	return out, true
}

// isDeltaSeconds reports whether v is delta-seconds = 1*DIGIT (RFC 9111
// §1.2.2).
func isDeltaSeconds(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// IsHeaderName reports whether s is a header name: it matches the field-name
// token production.
// https://fetch.spec.whatwg.org/#header-name
func IsHeaderName(s string) bool { return isToken(s) }

// IsHeaderValue reports whether s is a header value: no leading or trailing
// HTTP tab or space, no 0x00, 0x0A or 0x0D.
// https://fetch.spec.whatwg.org/#header-value
func IsHeaderValue(s string) bool {
	if s != strings.Trim(s, " \t") {
		return false
	}
	return !strings.ContainsAny(s, "\x00\r\n")
}

// NormalizeHeaderValue removes leading and trailing HTTP whitespace bytes
// (tab, LF, CR, space).
// https://fetch.spec.whatwg.org/#concept-header-value-normalize
func NormalizeHeaderValue(potentialValue string) string {
	return strings.Trim(potentialValue, "\t\n\r ")
}

// isToken reports whether s matches the token production (RFC 9110 §5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// byteLowercase lowercases the bytes A-Z and leaves every other byte alone.
// https://infra.spec.whatwg.org/#byte-lowercase
func byteLowercase(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// byteUppercase uppercases the bytes a-z.
// https://infra.spec.whatwg.org/#byte-uppercase
func byteUppercase(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

// byteCaseInsensitiveMatch reports whether a and b are equal after
// byte-lowercasing both.
// https://infra.spec.whatwg.org/#byte-case-insensitive
func byteCaseInsensitiveMatch(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
