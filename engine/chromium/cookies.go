package chromium

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/chromedp/chromedp"
)

// jarCookie is one cookie of the browser's jar, decoded without cdproto's
// enums so a newer browser cannot break the decode.
type jarCookie struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Domain string `json:"domain"`
	Path   string `json:"path"`
}

// callRaw sends a CDP command on the tab's session and decodes into res.
func (p *page) callRaw(ctx context.Context, method string, params, res any) error {
	c := chromedp.FromContext(p.ctx)
	if c == nil || c.Target == nil {
		return fmt.Errorf("%s: the tab is not open", method)
	}
	if err := c.Target.Call(ctx, method, params, res); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}

// Cookies returns the cookies the browser would send to rawURL, as
// "name=value", sorted.
func (p *page) Cookies(ctx context.Context, rawURL string) ([]string, error) {
	var res struct {
		Cookies []jarCookie `json:"cookies"`
	}
	if err := p.callRaw(ctx, "Network.getCookies", map[string]any{"urls": []string{rawURL}}, &res); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(res.Cookies))
	for _, c := range res.Cookies {
		out = append(out, c.Name+"="+c.Value)
	}
	sort.Strings(out)
	return out, nil
}

// ClearCookies empties the browser's jar.
func (p *page) ClearCookies(ctx context.Context) error {
	return p.callRaw(ctx, "Network.clearBrowserCookies", struct{}{}, &struct{}{})
}

// SetCookie puts a cookie written as a Set-Cookie value in the jar for rawURL.
func (p *page) SetCookie(ctx context.Context, rawURL, line string) error {
	parts := strings.Split(line, ";")
	name, value, _ := strings.Cut(parts[0], "=")
	params := map[string]any{"name": strings.TrimSpace(name), "value": strings.TrimSpace(value), "url": rawURL}
	for _, attr := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(attr), "=")
		switch strings.ToLower(k) {
		case "secure":
			params["secure"] = true
		case "httponly":
			params["httpOnly"] = true
		case "path":
			params["path"] = v
		case "domain":
			params["domain"] = v
		case "samesite":
			switch strings.ToLower(v) {
			case "none":
				params["sameSite"] = "None"
			case "lax":
				params["sameSite"] = "Lax"
			case "strict":
				params["sameSite"] = "Strict"
			}
		case "partitioned":
			params["partitionKey"] = map[string]any{"topLevelSite": "http://foo.localhost", "hasCrossSiteAncestor": true}
		}
	}
	var res struct {
		Success bool `json:"success"`
	}
	if err := p.callRaw(ctx, "Network.setCookie", params, &res); err != nil {
		return fmt.Errorf("setting cookie %q: %w", line, err)
	}
	return nil
}
