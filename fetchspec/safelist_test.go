package fetchspec_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/corslab/corslab/fetchspec"
)

func TestNormalizeMethod(t *testing.T) {
	// "Using `patch` is highly likely to result in a 405 … `Egg` or `eGg`
	// would be fine": only the six are normalised.
	for in, want := range map[string]string{
		"get": "GET", "Post": "POST", "delete": "DELETE", "options": "OPTIONS", "pUt": "PUT", "head": "HEAD",
		"patch": "patch", "PATCH": "PATCH", "Egg": "Egg", "eGg": "eGg", "CHICKEN": "CHICKEN",
	} {
		if got := fetchspec.NormalizeMethod(in); got != want {
			t.Errorf("NormalizeMethod(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMethodPredicates(t *testing.T) {
	for _, tt := range []struct {
		m                 string
		safelisted, forbd bool
	}{
		{"GET", true, false}, {"HEAD", true, false}, {"POST", true, false},
		{"post", false, false}, {"PUT", false, false}, {"OPTIONS", false, false},
		{"CONNECT", false, true}, {"trace", false, true}, {"Track", false, true},
	} {
		if got := fetchspec.IsCORSSafelistedMethod(tt.m); got != tt.safelisted {
			t.Errorf("IsCORSSafelistedMethod(%q) = %v", tt.m, got)
		}
		if got := fetchspec.IsForbiddenMethod(tt.m); got != tt.forbd {
			t.Errorf("IsForbiddenMethod(%q) = %v", tt.m, got)
		}
	}
}

func TestIsCORSSafelistedRequestHeader(t *testing.T) {
	tests := []struct {
		name, value string
		want        bool
	}{
		{"Accept", "application/json", true},
		{"accept", "application/" + strings.Repeat("x", 116), true},  // 128 bytes
		{"Accept", "application/" + strings.Repeat("x", 117), false}, // 129 bytes
		{"Accept", "application/json; v={2}", false},
		{"Accept", "a\tb", true}, // HT is not unsafe
		{"Accept", "a\x01b", false},
		{"Accept", "a\x7fb", false},
		{"Accept-Language", "de-CH, de;q=0.9, en;q=0.8", true},
		{"Accept-Language", "de_CH", false},
		{"Content-Language", "fr-CA", true},
		{"Content-Language", "fr/CA", false},
		{"Content-Type", "text/plain", true},
		{"Content-Type", "TEXT/PLAIN", true},
		{"Content-Type", "text/plain; charset=utf-8", true},
		{"Content-Type", "multipart/form-data; boundary=xyz", true},
		{"Content-Type", "application/x-www-form-urlencoded", true},
		{"Content-Type", "application/json", false},
		{"Content-Type", "text/plain, application/json", false},
		{"Content-Type", "text/plian", false},
		{"Content-Type", "text/plain; charset=\"utf-8\"", false}, // " is an unsafe byte
		{"Content-Type", "text", false},
		{"Range", "bytes=0-99", true},
		{"Range", "bytes=0-", true},
		{"Range", "bytes=-500", false}, // the standard's note: not safelisted
		{"Range", "bytes=0-1,5-6", false},
		{"Range", "bytes=9-1", false},
		{"Range", "bytes = 0-1", false},
		{"Cache-Control", "no-cache", false},
		{"X-Custom", "x", false},
		// Cases that lived in harness/fetchrules_test.go.
		{"content-type", "text/plain; charset=utf-8", true},
		{"Accept", "a(b)", false},
		{"Accept-Language", "en@x", false},
		{"Range", "bytes=5-", true},
	}
	for _, tt := range tests {
		if got := fetchspec.IsCORSSafelistedRequestHeader(tt.name, tt.value); got != tt.want {
			t.Errorf("IsCORSSafelistedRequestHeader(%q, %q) = %v, want %v", tt.name, tt.value, got, tt.want)
		}
	}
}

func TestCORSUnsafeRequestHeaderNames(t *testing.T) {
	accept := "application/" + strings.Repeat("x", 116) // 128 bytes
	many := func(n int) fetchspec.HeaderList {
		var l fetchspec.HeaderList
		for range n {
			l = append(l, fetchspec.Header{Name: "Accept", Value: accept})
		}
		return l
	}
	tests := []struct {
		list fetchspec.HeaderList
		want []string
	}{
		{nil, nil},
		{hl("X-Zeta", "z", "X-Alpha", "a", "Content-Type", "application/json"), []string{"content-type", "x-alpha", "x-zeta"}},
		{hl("Accept", "application/json", "Content-Type", "text/plain", "X-Trace-Id", "abc"), []string{"x-trace-id"}},
		{hl("X-A", "1", "x-a", "2"), []string{"x-a"}},
		// The standard's example: a second Content-Type does not hide the
		// first, unsafe one.
		{hl("Content-Type", "application/json", "Content-Type", "text/plain"), []string{"content-type"}},
		// 8 × 128 = 1024 bytes of safelisted values is not more than 1024 …
		{many(8), nil},
		// … 9 × 128 is, and makes every safelisted header unsafe.
		{append(many(9), hl("Content-Language", "en")...), []string{"accept", "content-language"}},
	}
	for _, tt := range tests {
		if got := fetchspec.CORSUnsafeRequestHeaderNames(tt.list); !slices.Equal(got, tt.want) {
			t.Errorf("CORSUnsafeRequestHeaderNames(%d headers) = %q, want %q", len(tt.list), got, tt.want)
		}
	}
}

func TestHeaderNamePredicates(t *testing.T) {
	if !fetchspec.IsCORSNonWildcardRequestHeaderName("authorization") || fetchspec.IsCORSNonWildcardRequestHeaderName("X-Auth") {
		t.Error("IsCORSNonWildcardRequestHeaderName")
	}
	for _, tt := range []struct {
		name, value string
		want        bool
	}{
		{"Cookie", "a=1", true}, {"origin", "x", true}, {"Sec-Fetch-Mode", "cors", true}, {"Proxy-Authorization", "x", true},
		{"X-HTTP-Method-Override", "TRACE", true}, {"X-HTTP-Method-Override", "GET, track", true},
		{"X-HTTP-Method-Override", "PATCH", false}, {"Authorization", "Bearer x", false}, {"X-Custom", "1", false},
	} {
		if got := fetchspec.IsForbiddenRequestHeader(tt.name, tt.value); got != tt.want {
			t.Errorf("IsForbiddenRequestHeader(%q, %q) = %v", tt.name, tt.value, got)
		}
	}
	for _, tt := range []struct {
		name string
		list []string
		want bool
	}{
		{"Content-Type", nil, true}, {"cache-control", nil, true}, {"Pragma", nil, true}, {"Content-Length", nil, true},
		{"ETag", nil, false}, {"etag", []string{"ETag"}, true}, {"Set-Cookie", []string{"Set-Cookie"}, false},
		{"X-A", []string{"*"}, false}, {"*", []string{"*"}, true},
	} {
		if got := fetchspec.IsCORSSafelistedResponseHeaderName(tt.name, tt.list); got != tt.want {
			t.Errorf("IsCORSSafelistedResponseHeaderName(%q, %q) = %v", tt.name, tt.list, got)
		}
	}
	for _, tt := range []struct {
		name, value string
		want        bool
	}{
		{"Accept-Language", "fr", true}, {"Content-Type", "text/plain", true}, {"Content-Type", "application/json", false},
		{"Range", "bytes=0-99", false}, {"X-Api-Key", "k", false},
	} {
		if got := fetchspec.IsNoCORSSafelistedRequestHeader(tt.name, tt.value); got != tt.want {
			t.Errorf("IsNoCORSSafelistedRequestHeader(%q, %q) = %v", tt.name, tt.value, got)
		}
	}
}

func TestParseSingleRangeHeaderValue(t *testing.T) {
	for _, tt := range []struct {
		v          string
		ws         bool
		start, end int64
		ok         bool
	}{
		{"bytes=0-99", false, 0, 99, true}, {"bytes=5-", false, 5, -1, true}, {"bytes=-500", false, -1, 500, true},
		{"bytes=-", false, 0, 0, false}, {"bytes=5-1", false, 0, 0, false}, {"bytes = 1 - 2", true, 1, 2, true},
		{"bytes = 1 - 2", false, 0, 0, false}, {"items=0-1", false, 0, 0, false}, {"bytes=0-1,2-3", false, 0, 0, false},
	} {
		s, e, ok := fetchspec.ParseSingleRangeHeaderValue(tt.v, tt.ws)
		if ok != tt.ok || ok && (s != tt.start || e != tt.end) {
			t.Errorf("ParseSingleRangeHeaderValue(%q, %v) = %d, %d, %v", tt.v, tt.ws, s, e, ok)
		}
	}
}
