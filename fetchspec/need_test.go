package fetchspec_test

import (
	"testing"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
)

func sh(kv ...string) scenarios.Headers {
	var out scenarios.Headers
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, scenarios.Header{Name: kv[i], Values: []string{kv[i+1]}})
	}
	return out
}

// TestMethodAndHeadersNeedPreflight: main fetch step 12's condition for
// what fetch() makes of a method and headers (the cases harness's own
// NeedsPreflight had, and the steps before it: normalisation, forbidden
// headers dropped, the 1024-byte total).
func TestMethodAndHeadersNeedPreflight(t *testing.T) {
	long := make([]byte, 128)
	for i := range long {
		long[i] = 'a'
	}
	var nine scenarios.Headers
	for range 9 {
		nine = append(nine, scenarios.Header{Name: "Accept", Values: []string{string(long)}})
	}
	tests := []struct {
		method string
		h      scenarios.Headers
		want   bool
	}{
		{"GET", nil, false},
		{"", nil, false},
		{"post", sh("Content-Type", "text/plain"), false}, // normalised to POST
		{"DELETE", nil, true},
		{"delete", nil, true},
		{"PATCH", nil, true},
		{"patch", nil, true},
		{"GET", sh("Api-Key", "k"), true},
		{"POST", sh("Content-Type", "application/json"), true},
		{"GET", sh("Accept-Language", "en@x"), true},
		{"GET", sh("Range", "bytes=0-1"), false},
		{"GET", sh("Cookie", "a=1"), false}, // forbidden: dropped, so nothing unsafe is sent
		{"GET", sh("Sec-Foo", "1"), false},  // forbidden prefix
		{"CONNECT", nil, false},             // the constructor throws: nothing is fetched
		{"GET", nine[:8], false},            // 8 × 128 bytes is not more than 1024
		{"GET", nine, true},                 // 9 × 128 is
	}
	for _, tt := range tests {
		if got := fetchspec.MethodAndHeadersNeedPreflight(tt.method, tt.h); got != tt.want {
			t.Errorf("MethodAndHeadersNeedPreflight(%q, %v) = %v, want %v", tt.method, tt.h, got, tt.want)
		}
	}
}

// TestStepNeedsCORSPreflight: the question the harness asks to tell a
// preflight taken from the cache from one never needed.
func TestStepNeedsCORSPreflight(t *testing.T) {
	const foo, bar = "http://foo.localhost:1", "http://bar.localhost:2/r/x/"
	tests := []struct {
		name string
		r    scenarios.Request
		page string
		url  string
		want bool
	}{
		{"DELETE cross-origin", scenarios.Request{Method: "DELETE"}, foo, bar, true},
		{"GET cross-origin", scenarios.Request{}, foo, bar, false},
		{"DELETE same origin", scenarios.Request{Method: "DELETE"}, foo, foo + "/r/x/", false},
		{"DELETE no-cors throws", scenarios.Request{Method: "DELETE", Mode: "no-cors"}, foo, bar, false},
		{"GET no-cors with a header", scenarios.Request{Mode: "no-cors", Headers: sh("Api-Key", "1")}, foo, bar, false},
		{"a header from a sandboxed frame", scenarios.Request{Headers: sh("Api-Key", "1")}, "null", bar, true},
		{"XMLHttpRequest PUT", scenarios.Request{API: "xhr", Method: "PUT"}, foo, bar, true},
	}
	for _, tt := range tests {
		if got := fetchspec.StepNeedsCORSPreflight(tt.r, tt.page, tt.url); got != tt.want {
			t.Errorf("%s: StepNeedsCORSPreflight = %v, want %v", tt.name, got, tt.want)
		}
	}
}
