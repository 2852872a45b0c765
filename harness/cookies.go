package harness

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
func callRaw(ctx context.Context, t *tab, method string, params, res any) error {
	c := chromedp.FromContext(t.ctx)
	if c == nil || c.Target == nil {
		return fmt.Errorf("%s: the tab is not open", method)
	}
	if err := c.Target.Call(ctx, method, params, res); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}

// jar returns the cookies the browser would send to rawURL, as "name=value", sorted.
func jar(ctx context.Context, t *tab, rawURL string) ([]string, error) {
	var res struct {
		Cookies []jarCookie `json:"cookies"`
	}
	if err := callRaw(ctx, t, "Network.getCookies", map[string]any{"urls": []string{rawURL}}, &res); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(res.Cookies))
	for _, c := range res.Cookies {
		out = append(out, c.Name+"="+c.Value)
	}
	sort.Strings(out)
	return out, nil
}

func clearCookies(ctx context.Context, t *tab) error {
	return callRaw(ctx, t, "Network.clearBrowserCookies", struct{}{}, &struct{}{})
}

// setCookie puts a cookie written as a Set-Cookie value in the jar for rawURL.
func setCookie(ctx context.Context, t *tab, rawURL, line string) error {
	parts := strings.Split(line, ";")
	name, value, _ := strings.Cut(parts[0], "=")
	p := map[string]any{"name": strings.TrimSpace(name), "value": strings.TrimSpace(value), "url": rawURL}
	for _, attr := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(attr), "=")
		switch strings.ToLower(k) {
		case "secure":
			p["secure"] = true
		case "httponly":
			p["httpOnly"] = true
		case "path":
			p["path"] = v
		case "domain":
			p["domain"] = v
		case "samesite":
			switch strings.ToLower(v) {
			case "none":
				p["sameSite"] = "None"
			case "lax":
				p["sameSite"] = "Lax"
			case "strict":
				p["sameSite"] = "Strict"
			}
		case "partitioned":
			p["partitionKey"] = map[string]any{"topLevelSite": "http://foo.localhost", "hasCrossSiteAncestor": true}
		}
	}
	var res struct {
		Success bool `json:"success"`
	}
	if err := callRaw(ctx, t, "Network.setCookie", p, &res); err != nil {
		return fmt.Errorf("setting cookie %q: %w", line, err)
	}
	return nil
}

// cookiesOf splits a Cookie request header into "name=value" items.
func cookiesOf(header string) []string {
	var out []string
	for _, c := range strings.Split(header, ";") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}
