package fetchspec_test

import (
	"net/url"
	"testing"

	"github.com/corslab/corslab/fetchspec"
)

func TestRedirectTaint(t *testing.T) {
	tests := []struct {
		origin string
		urls   []string
		want   string
	}{
		{"http://foo.localhost", []string{"http://bar.localhost/a"}, "same-origin"},
		{"http://foo.localhost", []string{"http://bar.localhost/a", "http://bar.localhost/b"}, "same-origin"},
		{"http://foo.localhost", []string{"http://foo.localhost/a", "http://bar.localhost/b"}, "same-origin"},
		{"http://foo.localhost", []string{"http://bar.localhost/a", "http://baz.localhost/b"}, "cross-site"},
		{"http://foo.localhost", []string{"http://bar.localhost/a", "http://foo.localhost/b"}, "cross-site"},
		{"http://foo.localhost", []string{"http://a.bar.localhost/a", "http://b.bar.localhost/b"}, "same-site"},
	}
	for _, tt := range tests {
		r := request("GET", tt.urls[0], tt.origin, "omit", nil)
		for _, u := range tt.urls[1:] {
			p, _ := url.Parse(u)
			r.URLList = append(r.URLList, p)
		}
		if got := r.RedirectTaint(); got != tt.want {
			t.Errorf("redirect-taint of %v from %s = %s, want %s", tt.urls, tt.origin, got, tt.want)
		}
		wantOrigin := tt.origin
		if tt.want != "same-origin" {
			wantOrigin = "null"
		}
		if got := r.SerializeRequestOrigin(); got != wantOrigin {
			t.Errorf("serialized origin after %v = %s, want %s", tt.urls, got, wantOrigin)
		}
	}
}

// hops answers the first request with a redirect and the next with 200,
// both allowing any origin, and allows any preflight; it records the
// requests that arrived, preflights left out.
type hops struct {
	redirect *fetchspec.Response
	got      []*fetchspec.Request
}

func (h *hops) Send(r *fetchspec.Request, _ bool) *fetchspec.Response {
	if r.Method == "OPTIONS" {
		return response(204, hl("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "*", "Access-Control-Allow-Headers", "*, Authorization"))
	}
	h.got = append(h.got, r)
	if len(h.got) == 1 {
		c := *h.redirect
		return &c
	}
	return response(200, hl("Access-Control-Allow-Origin", "*"))
}

func TestHTTPRedirectFetch(t *testing.T) {
	const o = "http://foo.localhost"
	tests := []struct {
		name     string
		method   string
		status   int
		location string
		headers  fetchspec.HeaderList
		fail     string // the failing step, "" when followed
		method2  string
		kept     []string
		dropped  []string
	}{
		{"301 turns POST into GET", "POST", 301, "http://bar.localhost/b", hl("Content-Type", "text/plain"), "", "GET", nil, []string{"Content-Type"}},
		{"302 turns POST into GET", "POST", 302, "/b", hl("Content-Type", "text/plain"), "", "GET", nil, []string{"Content-Type"}},
		{"303 turns PUT into GET", "PUT", 303, "/b", hl("Content-Type", "text/plain"), "", "GET", nil, []string{"Content-Type"}},
		{"303 keeps HEAD", "HEAD", 303, "/b", nil, "", "HEAD", nil, nil},
		{"307 keeps POST and its body headers", "POST", 307, "/b", hl("Content-Type", "text/plain"), "", "POST", []string{"Content-Type"}, nil},
		{"308 keeps DELETE", "DELETE", 308, "/b", nil, "", "DELETE", nil, nil},
		{"Authorization dropped on another origin", "GET", 302, "http://baz.localhost/b", hl("Authorization", "Bearer t"), "", "GET", nil, []string{"Authorization"}},
		{"Authorization kept on the same origin", "GET", 302, "/b", hl("Authorization", "Bearer t"), "", "GET", []string{"Authorization"}, nil},
		{"credentials in the URL", "GET", 302, "http://user:pw@baz.localhost/b", nil, "9", "", nil, nil},
		{"a data: URL", "GET", 302, "data:text/plain,hello", nil, "6", "", nil, nil},
	}
	for _, tt := range tests {
		r := request(tt.method, "http://bar.localhost/a", o, "omit", tt.headers)
		if tt.method == "POST" || tt.method == "PUT" {
			r.Body = &fetchspec.Body{Source: "payload"}
		}
		net := &hops{redirect: response(tt.status, hl("Access-Control-Allow-Origin", "*", "Location", tt.location))}
		f := &fetchspec.Fetcher{Network: net, Cache: &fetchspec.PreflightCache{}, Trace: &fetchspec.Trace{}}
		got := f.MainFetch(r, false)
		if tt.fail != "" {
			if !got.IsNetworkError() || got.FailedAt == nil || got.FailedAt.Number != tt.fail || got.FailedAt.Algorithm != "HTTP-redirect fetch" {
				t.Errorf("%s: got %+v, want a network error at HTTP-redirect fetch step %s", tt.name, got.FailedAt, tt.fail)
			}
			continue
		}
		if got.IsNetworkError() || len(net.got) < 2 {
			t.Errorf("%s: the redirect was not followed (%+v); trace %v", tt.name, got.FailedAt, f.Trace.Steps)
			continue
		}
		second := net.got[len(net.got)-1]
		if second.Method != tt.method2 {
			t.Errorf("%s: second request is %s, want %s", tt.name, second.Method, tt.method2)
		}
		for _, h := range tt.kept {
			if !second.HeaderList.Contains(h) {
				t.Errorf("%s: %s was dropped", tt.name, h)
			}
		}
		for _, h := range tt.dropped {
			if second.HeaderList.Contains(h) {
				t.Errorf("%s: %s was kept", tt.name, h)
			}
		}
		if len(got.URLList) != 2 {
			t.Errorf("%s: the response's URL list has %d URLs, want 2", tt.name, len(got.URLList))
		}
	}
}

// At most 20 redirects: the 21st is a network error.
func TestRedirectCount(t *testing.T) {
	r := request("GET", "http://bar.localhost/a", "http://foo.localhost", "omit", nil)
	loop := &net{resp: response(302, hl("Access-Control-Allow-Origin", "*", "Location", "/a"))}
	f := &fetchspec.Fetcher{Network: loop, Cache: &fetchspec.PreflightCache{}, Trace: &fetchspec.Trace{}}
	got := f.MainFetch(r, false)
	if !got.IsNetworkError() || got.FailedAt == nil || got.FailedAt.Number != "7" {
		t.Fatalf("got %+v, want a network error at HTTP-redirect fetch step 7", got.FailedAt)
	}
	if len(loop.sent) != 21 {
		t.Errorf("%d requests went out, want 21 (the first and 20 redirects)", len(loop.sent))
	}
}

func TestRedirectModes(t *testing.T) {
	for _, tt := range []struct {
		mode, acao string
		typ        string
		blocked    bool
	}{
		{fetchspec.RedirectManual, "*", fetchspec.TypeOpaqueRedirect, false},
		{fetchspec.RedirectManual, "", "", true}, // the redirect itself fails the CORS check
		{fetchspec.RedirectError, "*", "", true},
	} {
		r := request("GET", "http://bar.localhost/a", "http://foo.localhost", "omit", nil)
		r.RedirectMode = tt.mode
		h := hl("Location", "http://baz.localhost/b")
		if tt.acao != "" {
			h = append(h, fetchspec.Header{Name: "Access-Control-Allow-Origin", Value: tt.acao})
		}
		f := &fetchspec.Fetcher{Network: &net{resp: response(302, h)}, Cache: &fetchspec.PreflightCache{}}
		got := f.MainFetch(r, false)
		if got.IsNetworkError() != tt.blocked || !tt.blocked && (got.Type != tt.typ || got.Status != 0 || len(got.HeaderList) != 0) {
			t.Errorf("redirect %s, ACAO %q: got %s %d %v, blocked %v", tt.mode, tt.acao, got.Type, got.Status, got.HeaderList, got.IsNetworkError())
		}
	}
}
