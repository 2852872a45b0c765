package fetchspec_test

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/corslab/corslab/fetchspec"
)

// request is a cors-tainted request from origin to u.
func request(method, u, origin, credentials string, headers fetchspec.HeaderList) *fetchspec.Request {
	parsed, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	return &fetchspec.Request{
		Method: method, URLList: []*url.URL{parsed}, Origin: fetchspec.ParseOrigin(origin), PartitionKey: origin,
		HeaderList: headers, Mode: fetchspec.ModeCORS, CredentialsMode: credentials,
		RedirectMode: fetchspec.RedirectFollow, ResponseTainting: fetchspec.TaintingCORS, UnsafeRequest: true,
	}
}

func response(status int, headers fetchspec.HeaderList) *fetchspec.Response {
	return &fetchspec.Response{Type: fetchspec.TypeDefault, Status: status, HeaderList: headers}
}

// The standard's table of credentials modes and headers, for a request from
// https://rabbit.invalid.
// https://fetch.spec.whatwg.org/#cors-protocol-and-credentials
func TestCORSCheckCredentialsTable(t *testing.T) {
	const o = "https://rabbit.invalid"
	tests := []struct {
		credentials, acao, acac string
		shared                  bool
	}{
		{"omit", "*", "", true},
		{"omit", "*", "true", true},
		{"omit", "https://rabbit.invalid/", "", false}, // no trailing slash in a serialized origin
		{"omit", "https://rabbit.invalid", "", true},
		{"include", "*", "true", false},
		{"include", "https://rabbit.invalid", "true", true},
		{"include", "https://rabbit.invalid", "True", false}, // `true` is byte case-sensitive
		// More from the algorithm: a missing header (null is not `null`), and
		// `null` only for a request whose origin serializes as null.
		{"same-origin", "", "", false},
		{"same-origin", "null", "", false},
		{"include", "https://rabbit.invalid", "", false},
		{"include", "https://rabbit.invalid", "true, true", false},
		{"same-origin", "https://RABBIT.invalid", "", false},
	}
	for _, tt := range tests {
		h := fetchspec.HeaderList{}
		if tt.acao != "" {
			h = append(h, fetchspec.Header{Name: "Access-Control-Allow-Origin", Value: tt.acao})
		}
		if tt.acac != "" {
			h = append(h, fetchspec.Header{Name: "Access-Control-Allow-Credentials", Value: tt.acac})
		}
		got := fetchspec.CORSCheck(request("GET", "https://bar.invalid/", o, tt.credentials, nil), response(200, h), nil)
		if got != tt.shared {
			t.Errorf("CORS check, credentials %s, ACAO %q, ACAC %q = %v, want %v", tt.credentials, tt.acao, tt.acac, got, tt.shared)
		}
	}
	// After a cross-origin redirect the request's origin serializes as null,
	// and `null` is then the value that passes.
	r := request("GET", "https://bar.invalid/", o, "omit", nil)
	next, _ := url.Parse("https://baz.invalid/")
	r.URLList = append(r.URLList, next)
	if !fetchspec.CORSCheck(r, response(200, hl("Access-Control-Allow-Origin", "null")), nil) {
		t.Error("a tainted request's `null` failed the CORS check")
	}
	if fetchspec.CORSCheck(r, response(200, hl("Access-Control-Allow-Origin", o)), nil) {
		t.Error("a tainted request passed with its page's origin")
	}
}

// net answers every request with the same response and counts them.
type net struct {
	resp *fetchspec.Response
	sent []string
}

func (n *net) Send(r *fetchspec.Request, _ bool) *fetchspec.Response {
	n.sent = append(n.sent, r.Method)
	c := *n.resp
	return &c
}

func TestCORSPreflightRequest(t *testing.T) {
	r := request("POST", "https://bar.invalid/item", "https://foo.invalid", "include",
		hl("X-Zeta", "z", "X-Alpha", "a", "Content-Type", "application/json", "Accept", "*/*"))
	p := fetchspec.CORSPreflightRequest(r, nil)
	want := hl("Accept", "*/*", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,x-alpha,x-zeta")
	if p.Method != "OPTIONS" || !slices.Equal(p.HeaderList, want) {
		t.Errorf("preflight = %s %v, want OPTIONS %v", p.Method, p.HeaderList, want)
	}
	if p.CredentialsMode == fetchspec.CredentialsInclude {
		t.Error("a preflight must never include credentials")
	}
	if p := fetchspec.CORSPreflightRequest(request("PUT", "https://bar.invalid/", "https://foo.invalid", "omit", nil), nil); p.HeaderList.Contains("Access-Control-Request-Headers") {
		t.Error("no unsafe headers, yet Access-Control-Request-Headers was sent")
	}
}

func TestCORSPreflightFetch(t *testing.T) {
	const o = "https://foo.invalid"
	ok := func(kv ...string) fetchspec.HeaderList {
		return append(hl("Access-Control-Allow-Origin", o), hl(kv...)...)
	}
	tests := []struct {
		name        string
		method      string
		headers     fetchspec.HeaderList
		credentials string
		status      int
		answer      fetchspec.HeaderList
		pass        bool
		failStep    string
	}{
		{"listed method", "PUT", nil, "omit", 204, ok("Access-Control-Allow-Methods", "GET, PUT"), true, ""},
		{"200 with a body is ok", "PUT", nil, "omit", 200, ok("Access-Control-Allow-Methods", "PUT"), true, ""},
		{"299 is ok", "PUT", nil, "omit", 299, ok("Access-Control-Allow-Methods", "PUT"), true, ""},
		{"300 is not ok", "PUT", nil, "omit", 300, ok("Access-Control-Allow-Methods", "PUT"), false, "7"},
		{"404", "PUT", nil, "omit", 404, ok("Access-Control-Allow-Methods", "PUT"), false, "7"},
		{"no Allow-Origin", "PUT", nil, "omit", 204, hl("Access-Control-Allow-Methods", "PUT"), false, "2"},
		{"methods are case-sensitive", "PUT", nil, "omit", 204, ok("Access-Control-Allow-Methods", "put"), false, "7.5"},
		{"patch is not PATCH", "patch", nil, "omit", 204, ok("Access-Control-Allow-Methods", "PATCH"), false, "7.5"},
		{"safelisted need not be listed", "POST", hl("Content-Type", "application/json"), "omit", 204, ok("Access-Control-Allow-Headers", "Content-Type"), true, ""},
		{"* covers a method without credentials", "DELETE", nil, "same-origin", 204, ok("Access-Control-Allow-Methods", "*"), true, ""},
		{"* is no wildcard with credentials", "DELETE", nil, "include", 204, ok("Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Methods", "*"), false, "7.5"},
		{"unparsable methods", "PUT", nil, "omit", 204, ok("Access-Control-Allow-Methods", "PUT, PATCH DELETE"), false, "7.3"},
		{"unparsable headers", "GET", hl("X-A", "1"), "omit", 204, ok("Access-Control-Allow-Headers", "X-A, X B"), false, "7.3"},
		{"header names are case-insensitive", "GET", hl("X-Api-Version", "2"), "omit", 204, ok("Access-Control-Allow-Headers", "X-API-VERSION"), true, ""},
		{"unlisted header", "GET", hl("X-Custom", "1"), "omit", 204, ok("Access-Control-Allow-Headers", "Content-Type"), false, "7.7"},
		{"* covers a header without credentials", "GET", hl("X-Custom", "1"), "omit", 204, ok("Access-Control-Allow-Headers", "*"), true, ""},
		{"* is no wildcard for headers with credentials", "GET", hl("X-Custom", "1"), "include", 204, ok("Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Headers", "*"), false, "7.7"},
		{"* never covers Authorization", "GET", hl("Authorization", "Bearer t"), "omit", 204, ok("Access-Control-Allow-Headers", "*"), false, "7.6"},
		{"Authorization listed by name", "GET", hl("Authorization", "Bearer t", "X-Custom", "1"), "omit", 204, ok("Access-Control-Allow-Headers", "*, Authorization"), true, ""},
		{"credentials need Allow-Credentials", "PUT", nil, "include", 204, ok("Access-Control-Allow-Methods", "PUT"), false, "7"},
		{"* Allow-Origin with credentials", "PUT", nil, "include", 204, hl("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Methods", "PUT"), false, "3"},
	}
	for _, tt := range tests {
		n := &net{resp: response(tt.status, tt.answer)}
		f := &fetchspec.Fetcher{Network: n, Cache: &fetchspec.PreflightCache{}, Trace: &fetchspec.Trace{}}
		got := f.CORSPreflightFetch(request(tt.method, "https://bar.invalid/", o, tt.credentials, tt.headers))
		if got.IsNetworkError() == tt.pass {
			t.Errorf("%s: network error %v, want %v; trace:\n%v", tt.name, got.IsNetworkError(), !tt.pass, f.Trace.Steps)
			continue
		}
		if !tt.pass && (got.FailedAt == nil || got.FailedAt.Number != tt.failStep) {
			t.Errorf("%s: failed at %+v, want step %s", tt.name, got.FailedAt, tt.failStep)
		}
		if tt.pass && len(f.Cache.Entries) == 0 && (tt.answer.Contains("Access-Control-Allow-Methods") || tt.answer.Contains("Access-Control-Allow-Headers")) {
			t.Errorf("%s: a good answer filled no cache entry", tt.name)
		}
		if !tt.pass && len(f.Cache.Entries) > 0 {
			t.Errorf("%s: a failed preflight filled the cache", tt.name)
		}
		// Without a trace the verdict is the same: tracing decides nothing.
		untraced := &fetchspec.Fetcher{Network: n, Cache: &fetchspec.PreflightCache{}}
		if got := untraced.CORSPreflightFetch(request(tt.method, "https://bar.invalid/", o, tt.credentials, tt.headers)); got.IsNetworkError() == tt.pass {
			t.Errorf("%s, untraced: network error %v, want %v", tt.name, got.IsNetworkError(), !tt.pass)
		}
	}
}

func TestPreflightMaxAge(t *testing.T) {
	tests := []struct {
		answer fetchspec.HeaderList
		cap    int
		want   int
	}{
		{nil, 0, 5},
		{hl("Access-Control-Max-Age", "600"), 0, 600},
		{hl("Access-Control-Max-Age", "0"), 0, 0},
		{hl("Access-Control-Max-Age", "10 minutes"), 0, 5},
		{hl("Access-Control-Max-Age", "-1"), 0, 5},
		{hl("Access-Control-Max-Age", "600", "Access-Control-Max-Age", "600"), 0, 5},
		{hl("Access-Control-Max-Age", "86400"), fetchspec.ChromiumMaxAgeCap, 7200},
		{hl("Access-Control-Max-Age", "99999999999"), 0, 2147483648},
	}
	for _, tt := range tests {
		answer := append(hl("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT"), tt.answer...)
		f := &fetchspec.Fetcher{Network: &net{resp: response(204, answer)}, Cache: &fetchspec.PreflightCache{ImposedLimit: tt.cap}}
		f.CORSPreflightFetch(request("PUT", "https://bar.invalid/", "https://foo.invalid", "omit", nil))
		if len(f.Cache.Entries) != 1 || f.Cache.Entries[0].MaxAge != tt.want {
			t.Errorf("Max-Age %v (cap %d): entries %+v, want max-age %d", tt.answer, tt.cap, f.Cache.Entries, tt.want)
		}
	}
}

func TestPreflightCacheMatch(t *testing.T) {
	const o, u = "https://foo.invalid", "https://bar.invalid/item"
	put := request("PUT", u, o, "omit", nil)
	c := &fetchspec.PreflightCache{}
	c.CreateEntry(put, 600, "PUT", "")
	c.CreateEntry(put, 600, "", "*")
	cred := request("PUT", u, o, "include", nil)
	c.CreateEntry(cred, 600, "DELETE", "")
	tests := []struct {
		name   string
		r      *fetchspec.Request
		method string
		header string
		want   bool
	}{
		{"same key, origin, URL", put, "PUT", "", true},
		{"another method", put, "PATCH", "", false},
		{"a credentialed entry covers an anonymous request", put, "DELETE", "", true},
		{"an anonymous entry does not cover include", cred, "PUT", "", false},
		{"another URL", request("PUT", u+"?q=1", o, "omit", nil), "PUT", "", false},
		{"another origin", request("PUT", u, "https://baz.invalid", "omit", nil), "PUT", "", false},
		{"* covers a header", put, "", "X-Anything", true},
		{"* does not cover Authorization", put, "", "authorization", false},
	}
	for _, tt := range tests {
		var got bool
		if tt.method != "" {
			got, _ = c.MethodCacheEntryMatch(tt.method, tt.r)
		} else {
			got, _ = c.HeaderNameCacheEntryMatch(tt.header, tt.r)
		}
		if got != tt.want {
			t.Errorf("%s: match %v, want %v", tt.name, got, tt.want)
		}
	}
	// Entries live for max-age seconds from when they were stored.
	c.Now = 599 * time.Second
	if ok, _ := c.MethodCacheEntryMatch("PUT", put); !ok {
		t.Error("an entry expired before its max-age")
	}
	c.Now = 600 * time.Second
	if ok, _ := c.MethodCacheEntryMatch("PUT", put); ok {
		t.Error("an entry outlived its max-age")
	}
	c.Margin = time.Second
	if _, uncertain := c.MethodCacheEntryMatch("PUT", put); uncertain == "" {
		t.Error("an entry at its expiry was not too close to call")
	}
	c.ClearEntries(put)
	if len(c.Entries) != 0 {
		t.Errorf("ClearEntries left %+v", c.Entries)
	}
}
