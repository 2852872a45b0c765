package harness

import (
	"net/http"
	"strings"
	"testing"

	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

func TestCompareNamesEveryField(t *testing.T) {
	yes, no := true, false
	s200, empty := 200, ""
	o := &Observation{Outcome: "blocked", CorsError: "MissingAllowOriginHeader", ReadableHeaders: map[string]string{"x-a": "1"}}
	e := scenarios.Expect{Outcome: "allowed", Preflight: &yes, ReachedServer: &yes, CorsError: &empty, Status: &s200,
		ResponseType: "cors", ReadableHeaders: []string{"X-B"}, UnreadableHeaders: []string{"X-A"}, Redirected: &no}
	got := strings.Join(Compare(e, o), "\n")
	for _, f := range []string{"outcome: expected allowed, observed blocked (MissingAllowOriginHeader)", "preflight:", "reached_server:", "cors_error:", "status:", "response_type:", "readable_headers:", "unreadable_headers:"} {
		if !strings.Contains(got, f) {
			t.Errorf("missing %q in:\n%s", f, got)
		}
	}
	if strings.Contains(got, "redirected") {
		t.Errorf("redirected matched but was reported")
	}
}

func TestCompareWhatTheServerReceived(t *testing.T) {
	o := &Observation{Outcome: "allowed", CookiesSent: []string{"s=1"}, JSError: "", Requests: []servers.Entry{
		{Method: "OPTIONS", Preflight: true, Headers: http.Header{"Access-Control-Request-Method": {"PUT"}, "Origin": {"http://foo.localhost:1"}}},
		{Method: "PUT", Headers: http.Header{"Origin": {"http://foo.localhost:1"}, "Cookie": {"s=1"}}},
	}}
	tests := []struct {
		name string
		e    scenarios.Expect
		want string // "" = no mismatch
	}{
		{"server_received ok", scenarios.Expect{ServerReceived: map[string]string{"origin": "*", "Cookie": "s=1"}}, ""},
		{"server_received wrong value", scenarios.Expect{ServerReceived: map[string]string{"Origin": "null"}}, `server_received: expected Origin: "null", observed "http://foo.localhost:1"`},
		{"server_received missing", scenarios.Expect{ServerReceived: map[string]string{"Api-Key": "*"}}, "server_received: expected Api-Key, the server did not receive it"},
		{"server_not_received", scenarios.Expect{ServerNotReceived: []string{"Cookie"}}, `server_not_received: expected no Cookie on the actual request, the server received "s=1"`},
		{"preflight_received ok", scenarios.Expect{PreflightReceived: map[string]string{"Access-Control-Request-Method": "PUT"}}, ""},
		{"preflight_received wrong", scenarios.Expect{PreflightReceived: map[string]string{"Access-Control-Request-Method": "DELETE"}}, "preflight_received: expected Access-Control-Request-Method"},
		{"preflight_not_received", scenarios.Expect{PreflightNotReceived: []string{"Origin"}}, "preflight_not_received: expected no Origin on the preflight"},
		{"method_received", scenarios.Expect{MethodReceived: "GET"}, "method_received: expected GET, observed PUT"},
		{"cookies_sent", scenarios.Expect{CookiesSent: &[]string{"t"}}, "cookies_sent: expected to include t"},
		{"cookies_sent none", scenarios.Expect{CookiesSent: &[]string{}}, "cookies_sent: expected none"},
		{"cookies_not_sent", scenarios.Expect{CookiesNotSent: []string{"s"}}, "cookies_not_sent: expected no s"},
		{"js_error", scenarios.Expect{JSError: "Failed to fetch"}, "js_error: expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(Compare(tt.e, o), "\n")
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Fatalf("Compare = %q, want %q", got, tt.want)
			}
		})
	}
}

// status_text is compared byte for byte with what JavaScript read, and a
// wrong one is named.
func TestCompareStatusText(t *testing.T) {
	o := &Observation{Outcome: "allowed", Status: 200, StatusText: "Custom Reason"}
	right, wrong, none := "Custom Reason", "OK", ""
	if m := Compare(scenarios.Expect{Outcome: "allowed", StatusText: &right}, o); len(m) != 0 {
		t.Errorf("right status_text reported: %v", m)
	}
	for _, e := range []*string{&wrong, &none} {
		m := strings.Join(Compare(scenarios.Expect{Outcome: "allowed", StatusText: e}, o), "\n")
		if !strings.Contains(m, `status_text: expected `) || !strings.Contains(m, `observed "Custom Reason"`) {
			t.Errorf("status_text %q: %q", *e, m)
		}
	}
}

// A control byte in a mismatch is shown quoted, so it cannot hide.
func TestMismatchQuotesControlBytes(t *testing.T) {
	o := &Observation{Outcome: "blocked", FailedParameter: "*\x0b"}
	want := "*"
	m := strings.Join(Compare(scenarios.Expect{Outcome: "blocked", FailedParameter: &want}, o), "\n")
	if !strings.Contains(m, `observed "*\v"`) {
		t.Errorf("mismatch %q", m)
	}
}
