package firefox

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// bidiCookie is a cookie of BiDi's storage module.
type bidiCookie struct {
	Name   string    `json:"name"`
	Value  bidiValue `json:"value"`
	Domain string    `json:"domain"`
	Path   string    `json:"path"`
	Secure bool      `json:"secure"`
}

// Cookies returns the cookies the browser would send to rawURL, as
// "name=value", sorted: the jar's cookies whose domain, path and Secure
// flag match the URL.
func (p *page) Cookies(ctx context.Context, rawURL string) ([]string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("reading cookies for %q: %w", rawURL, err)
	}
	var res struct {
		Cookies []bidiCookie `json:"cookies"`
	}
	if err := p.b.conn.call(ctx, "storage.getCookies", map[string]any{}, &res); err != nil {
		return nil, p.b.wrapGone(err)
	}
	out := []string{}
	for _, c := range res.Cookies {
		if domainMatch(u.Hostname(), c.Domain) && pathMatch(u.Path, c.Path) && (!c.Secure || trustworthy(u)) {
			out = append(out, c.Name+"="+c.Value.Value)
		}
	}
	sort.Strings(out)
	return out, nil
}

// trustworthy: a Secure cookie goes to https, and to loopback names, which
// are potentially trustworthy origins
// (https://w3c.github.io/webappsec-secure-contexts/#is-origin-trustworthy).
func trustworthy(u *url.URL) bool {
	h := strings.ToLower(u.Hostname())
	return u.Scheme == "https" || h == "localhost" || strings.HasSuffix(h, ".localhost") || h == "127.0.0.1" || h == "::1"
}

func domainMatch(host, domain string) bool {
	host, domain = strings.ToLower(host), strings.ToLower(strings.TrimPrefix(domain, "."))
	return host == domain || strings.HasSuffix(host, "."+domain)
}

func pathMatch(reqPath, cookiePath string) bool {
	if reqPath == "" {
		reqPath = "/"
	}
	if cookiePath == "" || cookiePath == "/" || reqPath == cookiePath {
		return true
	}
	return strings.HasPrefix(reqPath, strings.TrimSuffix(cookiePath, "/")+"/")
}

// ClearCookies empties the browser's jar.
func (p *page) ClearCookies(ctx context.Context) error {
	if err := p.b.conn.call(ctx, "storage.deleteCookies", map[string]any{}, nil); err != nil {
		return p.b.wrapGone(err)
	}
	return nil
}

// SetCookie puts a cookie written as a Set-Cookie value in the jar for rawURL.
func (p *page) SetCookie(ctx context.Context, rawURL, line string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("setting cookie %q for %q: %w", line, rawURL, err)
	}
	parts := strings.Split(line, ";")
	name, value, _ := strings.Cut(parts[0], "=")
	c := map[string]any{"name": strings.TrimSpace(name), "value": map[string]any{"type": "string", "value": strings.TrimSpace(value)},
		"domain": u.Hostname(), "path": "/"}
	params := map[string]any{"cookie": c}
	for _, attr := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(attr), "=")
		switch strings.ToLower(k) {
		case "secure":
			c["secure"] = true
		case "httponly":
			c["httpOnly"] = true
		case "path":
			c["path"] = v
		case "domain":
			c["domain"] = v
		case "samesite":
			c["sameSite"] = strings.ToLower(v)
		case "partitioned":
			// Kept in the jar of bar under foo's page (Total Cookie
			// Protection's partition key is the top-level site), as the
			// lab's pages are on foo.
			params["partition"] = map[string]any{"type": "storageKey", "sourceOrigin": "http://foo.localhost"}
		}
	}
	if err := p.b.conn.call(ctx, "storage.setCookie", params, nil); err != nil {
		return fmt.Errorf("setting cookie %q: %w", line, p.b.wrapGone(err))
	}
	return nil
}
