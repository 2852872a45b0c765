package fetchspec

import (
	"fmt"
	"strconv"
	"time"
)

// CacheEntry is one entry of the CORS-preflight cache: a method or a header
// name the server allowed, for one partition key, origin, URL and
// credentials flag, for max-age seconds.
// https://fetch.spec.whatwg.org/#cache-entry
type CacheEntry struct {
	Key         string `json:"key"`
	Origin      string `json:"origin"`
	URL         string `json:"url"`
	MaxAge      int    `json:"max_age"`
	Credentials bool   `json:"credentials"`
	// Method and HeaderName: exactly one is set; "*" is the wildcard.
	Method     string `json:"method,omitempty"`
	HeaderName string `json:"header_name,omitempty"`
	// Stored is when the entry was created, on the model's clock.
	Stored time.Duration `json:"-"`
}

// PreflightCache is the user agent's CORS-preflight cache, on a clock the
// caller advances (Now).
// https://fetch.spec.whatwg.org/#concept-cache
type PreflightCache struct {
	Entries []CacheEntry
	// Now is the time on the model's clock.
	Now time.Duration
	// ImposedLimit is the user agent's cap on max-age, in seconds (Chromium
	// 7200); 0 for none.
	ImposedLimit int
	// Margin is how close to its expiry an entry must be for its state to be
	// too close to call (the time a request takes is not modelled); 0 for
	// exact.
	Margin time.Duration
}

// Browsers' caps on Access-Control-Max-Age, in seconds, the "imposed limit
// on max-age" of CORS-preflight fetch step 7.10 (MDN,
// https://developer.mozilla.org/docs/Web/HTTP/Headers/Access-Control-Max-Age).
const (
	ChromiumMaxAgeCap = 7200
	FirefoxMaxAgeCap  = 86400
)

// DefaultMaxAge is the max-age of an answer without a usable
// Access-Control-Max-Age (CORS-preflight fetch step 7.9).
const DefaultMaxAge = 5

// CreateEntry creates a new cache entry for request, with max-age and a
// method or a header name.
// https://fetch.spec.whatwg.org/#concept-cache-create-entry
func (c *PreflightCache) CreateEntry(request *Request, maxAge int, method, headerName string) {
	// 1. Let entry be a cache entry, initialized as follows: key, the network
	// partition key; byte-serialized origin; URL, request's current URL;
	// max-age; credentials, true if request's credentials mode is "include";
	// method; header name.
	e := CacheEntry{
		Key: request.PartitionKey, Origin: request.SerializeRequestOrigin(), URL: request.CurrentURL().String(),
		MaxAge: maxAge, Credentials: request.CredentialsMode == CredentialsInclude,
		Method: method, HeaderName: headerName, Stored: c.Now,
	}
	// 2. Append entry to the user agent's CORS-preflight cache.
	c.Entries = append(c.Entries, e)
}

// ClearEntries removes the entries for request's partition key, origin and
// current URL (after a preflighted request failed).
// https://fetch.spec.whatwg.org/#concept-cache-clear
func (c *PreflightCache) ClearEntries(request *Request) {
	var keep []CacheEntry
	for _, e := range c.Entries {
		if e.Key == request.PartitionKey && e.Origin == request.SerializeRequestOrigin() && e.URL == request.CurrentURL().String() {
			continue
		}
		keep = append(keep, e)
	}
	c.Entries = keep
}

// cacheEntryMatch reports whether entry is for request: the same key,
// origin and URL, and credentials that cover the request's.
// https://fetch.spec.whatwg.org/#concept-cache-match
func cacheEntryMatch(e CacheEntry, request *Request) bool {
	if e.Key != request.PartitionKey || e.Origin != request.SerializeRequestOrigin() || e.URL != request.CurrentURL().String() {
		return false
	}
	// One of: entry's credentials is true; entry's credentials is false and
	// request's credentials mode is not "include".
	return e.Credentials || request.CredentialsMode != CredentialsInclude
}

// MethodCacheEntryMatch reports whether a live entry allows method for
// request: its method is method or `*`. uncertain is set (and the answer is
// not to be trusted) when the only matching entries expire too close to now.
// https://fetch.spec.whatwg.org/#concept-cache-match-method
func (c *PreflightCache) MethodCacheEntryMatch(method string, request *Request) (match bool, uncertain string) {
	return c.find(request, forMethod(method))
}

// HeaderNameCacheEntryMatch reports whether a live entry allows headerName
// for request: its header name matches it byte-case-insensitively, or is `*`
// and headerName is not a CORS non-wildcard request-header name.
// https://fetch.spec.whatwg.org/#concept-cache-match-header
func (c *PreflightCache) HeaderNameCacheEntryMatch(headerName string, request *Request) (match bool, uncertain string) {
	return c.find(request, forHeaderName(headerName))
}

func forMethod(method string) func(CacheEntry) bool {
	return func(e CacheEntry) bool { return e.Method != "" && (e.Method == method || e.Method == "*") }
}

func forHeaderName(name string) func(CacheEntry) bool {
	return func(e CacheEntry) bool {
		return e.HeaderName != "" && (byteCaseInsensitiveMatch(e.HeaderName, name) || e.HeaderName == "*" && !IsCORSNonWildcardRequestHeaderName(name))
	}
}

// live reports whether an entry has not yet been removed: "Cache entries
// must be removed after the seconds specified in their max-age field have
// passed since storing the entry."
func (c *PreflightCache) live(e CacheEntry) bool {
	return c.Now-e.Stored < time.Duration(e.MaxAge)*time.Second
}

// find looks for a live entry for request that ok accepts; an entry whose
// expiry is within Margin of now makes the answer uncertain.
func (c *PreflightCache) find(request *Request, ok func(CacheEntry) bool) (bool, string) {
	uncertain := ""
	for _, e := range c.Entries {
		if !cacheEntryMatch(e, request) || !ok(e) {
			continue
		}
		age, life := c.Now-e.Stored, time.Duration(e.MaxAge)*time.Second
		if e.MaxAge > 0 && c.Margin > 0 && (age-life).Abs() < c.Margin {
			uncertain = fmt.Sprintf("a preflight cache entry stored %s earlier expires after %ds: too close to call", age, e.MaxAge)
			continue
		}
		if c.live(e) {
			return true, ""
		}
	}
	return false, uncertain
}

// store is CORS-preflight fetch steps 7.12 to 7.15 for one method (or one
// header name): every live entry that matches it gets the new max-age;
// when none does, a new entry is created.
func (c *PreflightCache) store(request *Request, maxAge int, method, headerName string) {
	ok := forMethod(method)
	if method == "" {
		ok = forHeaderName(headerName)
	}
	found := false
	for i, e := range c.Entries {
		if c.live(e) && cacheEntryMatch(e, request) && ok(e) {
			c.Entries[i].MaxAge, found = maxAge, true
		}
	}
	if !found {
		c.CreateEntry(request, maxAge, method, headerName)
	}
}

// parseMaxAge is CORS-preflight fetch steps 7.8 to 7.10: extract
// Access-Control-Max-Age (delta-seconds, one header), fall back to 5 on
// null or failure, and cap it at the imposed limit.
func (c *PreflightCache) parseMaxAge(h HeaderList, t *Trace) int {
	const alg, anchor = "CORS-preflight fetch", "cors-preflight-fetch-0"
	saw := lines(h, "Access-Control-Max-Age")
	// 7.8. Let max-age be the result of extracting header list values given
	// `Access-Control-Max-Age` and response's header list.
	v := ExtractHeaderListValues("Access-Control-Max-Age", h)
	// 7.9. If max-age is failure or null, then set max-age to 5.
	if v.Null || v.Failure || len(v.Values) != 1 {
		why := "no Access-Control-Max-Age"
		if !v.Null {
			why = "Access-Control-Max-Age is not delta-seconds (digits only, one header)"
		}
		t.add(alg, anchor, "7.9", Done, saw, "%s: the answer is cached for the default %d seconds", why, DefaultMaxAge)
		return DefaultMaxAge
	}
	n, err := strconv.Atoi(v.Values[0])
	if err != nil || n > 2147483648 {
		// delta-seconds beyond 2^31 means 2^31 (RFC 9111 §1.2.2).
		n = 2147483648
	}
	// 7.10. If max-age is greater than an imposed limit on max-age, then set
	// max-age to the imposed limit.
	if c.ImposedLimit > 0 && n > c.ImposedLimit {
		t.add(alg, anchor, "7.10", Done, saw, "capped at the browser's limit of %d seconds", c.ImposedLimit)
		return c.ImposedLimit
	}
	t.add(alg, anchor, "7.8", Done, saw, "the answer is cached for %d seconds", n)
	return n
}
