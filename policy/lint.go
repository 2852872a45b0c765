package policy

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/corslab/corslab/fetchspec"
)

// Lint reviews a policy without a browser and returns the findings a
// reviewer would raise, most serious first, each with its severity, a
// one-line why and the Fetch standard's section. Every CORS rule it applies
// is asked of fetchspec. Origins, methods or headers given as "*" (possible
// in a Policy built in Go) mean the server answers with a wildcard or
// reflects whatever is asked.
func Lint(p *Policy) []Finding {
	var out []Finding
	add := func(f Finding) {
		f.Source = "lint"
		out = append(out, f)
	}
	for _, rule := range lintRules {
		for _, f := range rule(p) {
			add(f)
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return a.Severity.Rank() - b.Severity.Rank() })
	return out
}

// lintRules are the reviewer's questions, in the order findings of one
// severity are shown.
var lintRules = []func(*Policy) []Finding{
	lintAnyOrigin, lintNullOrigin, lintHTTPTwins, lintWildcardsWithCredentials,
	lintAuthorizationWildcard, lintMaxAge, lintVary, lintSafelistedListed, lintExposed,
}

const (
	specCredentials = fetchspec.Spec + "#cors-protocol-and-credentials"
	specCORSCheck   = fetchspec.Spec + "#concept-cors-check"
	specPreflight   = fetchspec.Spec + "#cors-preflight-fetch-0"
)

// credentialedRead reports whether the standard lets a page on origin read
// a credentialed response that carries these headers.
func credentialedRead(origin string, acao, acac string) bool {
	u, _ := url.Parse("https://target.invalid/")
	r := &fetchspec.Request{Method: "GET", URLList: []*url.URL{u}, Origin: fetchspec.ParseOrigin(origin), CredentialsMode: fetchspec.CredentialsInclude}
	h := fetchspec.HeaderList{{Name: "Access-Control-Allow-Origin", Value: acao}}
	if acac != "" {
		h = append(h, fetchspec.Header{Name: "Access-Control-Allow-Credentials", Value: acac})
	}
	return fetchspec.CORSCheck(r, &fetchspec.Response{HeaderList: h}, nil)
}

// lintAnyOrigin: "*" as an origin. With credentials the standard refuses `*`
// (CORS check step 3), so the only server that serves such a policy
// reflects every Origin: any site reads users' data.
func lintAnyOrigin(p *Policy) []Finding {
	if !slices.Contains(p.Origins, "*") {
		return nil
	}
	const evil = "https://evil.example"
	if p.Credentials {
		if credentialedRead(evil, "*", "true") {
			return nil // the standard would share it: nothing to reflect
		}
		return []Finding{{
			ID: "reflect-any-origin", Severity: Critical,
			Title:    "any origin may read with credentials: the server must reflect every Origin",
			Why:      "browsers refuse `*` with credentials, so a server meeting this policy echoes the Origin, and " + evil + " reads the user's data with their cookies",
			Evidence: []string{"origins: *", "credentials: true"},
			Spec:     specCORSCheck,
		}}
	}
	return []Finding{{
		ID: "wildcard-origin", Severity: Note,
		Title:    "any origin may read the responses (Access-Control-Allow-Origin: *)",
		Why:      "fine for public data; a server on an intranet or behind a login leaks what it answers to any site a user visits",
		Evidence: []string{"origins: *"},
		Spec:     fetchspec.Spec + "#http-access-control-allow-origin",
	}}
}

// lintNullOrigin: `null` is the origin of every sandboxed frame, data: URL
// and request redirected across origins, so any site can send it.
func lintNullOrigin(p *Policy) []Finding {
	if !slices.Contains(p.Origins, "null") {
		return nil
	}
	sev, why := Warning, "any site can send Origin: null (a sandboxed iframe, a redirect across origins), so trusting it trusts everyone"
	if p.Credentials && credentialedRead(fetchspec.OpaqueOrigin.Serialized, "null", "true") {
		sev, why = Critical, "any site can send Origin: null (a sandboxed iframe, a redirect across origins) and read the user's data with their cookies"
	}
	return []Finding{{
		ID: "null-origin", Severity: sev, Title: "the origin null is allowed", Why: why,
		Evidence: []string{"origins: null"}, Spec: fetchspec.Spec + "#concept-request-tainted-origin",
	}}
}

// lintHTTPTwins: http://x trusted beside https://x.
func lintHTTPTwins(p *Policy) []Finding {
	var out []Finding
	for _, o := range p.Origins {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "https" {
			continue
		}
		twin := "http://" + u.Host
		if !slices.Contains(p.Origins, twin) {
			continue
		}
		sev, why := Warning, "anyone on the network path can serve "+twin+" and read what the server shares with "+o
		if p.Credentials {
			sev, why = Critical, "anyone on the network path can serve "+twin+" and read, with the user's cookies, what the server shares with "+o
		}
		out = append(out, Finding{
			ID: "http-twin", Severity: sev, Title: "the http twin " + twin + " of " + o + " is trusted", Why: why,
			Evidence: []string{"origins: " + o + ", " + twin}, Spec: fetchspec.Spec + "#http-origin",
		})
	}
	return out
}

// lintWildcardsWithCredentials: with credentials `*` in
// Access-Control-Allow-Methods, -Headers and -Expose-Headers is no wildcard.
func lintWildcardsWithCredentials(p *Policy) []Finding {
	if !p.Credentials {
		return nil
	}
	var out []Finding
	for _, w := range []struct {
		field, header, step string
		list                []string
	}{
		{"methods", "Access-Control-Allow-Methods", "CORS-preflight fetch step 7.5", p.Methods},
		{"request_headers", "Access-Control-Allow-Headers", "CORS-preflight fetch step 7.7", p.RequestHeaders},
		{"expose_headers", "Access-Control-Expose-Headers", "main fetch step 14.1.2", p.ExposeHeaders},
	} {
		if !slices.Contains(w.list, "*") {
			continue
		}
		out = append(out, Finding{
			ID: "wildcard-with-credentials", Severity: Warning,
			Title:    fmt.Sprintf("%s: * with credentials covers nothing", w.header),
			Why:      fmt.Sprintf("when credentials are included `*` matches only a name that is literally *, so credentialed requests fail (%s); list the names", w.step),
			Evidence: []string{w.field + ": *", "credentials: true"},
			Spec:     specCredentials,
		})
	}
	return out
}

// lintAuthorizationWildcard: `*` never covers Authorization in the standard.
func lintAuthorizationWildcard(p *Policy) []Finding {
	if !slices.Contains(p.RequestHeaders, "*") || slices.ContainsFunc(p.RequestHeaders, fetchspec.IsCORSNonWildcardRequestHeaderName) {
		return nil
	}
	return []Finding{{
		ID: "wildcard-headers-authorization", Severity: Warning,
		Title:    "Access-Control-Allow-Headers: * does not cover Authorization",
		Why:      "Authorization is a CORS non-wildcard request-header name (CORS-preflight fetch step 7.6); browsers let it through today (whatwg/fetch#1919) but may stop: list Authorization if pages send it",
		Evidence: []string{"request_headers: *"},
		Spec:     fetchspec.Spec + "#cors-non-wildcard-request-header-name",
	}}
}

// lintMaxAge: a Max-Age beyond what browsers keep.
func lintMaxAge(p *Policy) []Finding {
	if p.MaxAge == nil || *p.MaxAge <= fetchspec.ChromiumMaxAgeCap {
		return nil
	}
	kept := fmt.Sprintf("Chromium keeps a preflight answer %d s at most (2 h)", fetchspec.ChromiumMaxAgeCap)
	if *p.MaxAge > fetchspec.FirefoxMaxAgeCap {
		kept += fmt.Sprintf(", Firefox %d s (24 h)", fetchspec.FirefoxMaxAgeCap)
	}
	return []Finding{{
		ID: "max-age-over-cap", Severity: Warning,
		Title:    fmt.Sprintf("max_age %d is longer than browsers keep a preflight", *p.MaxAge),
		Why:      kept + ": the value is cut (CORS-preflight fetch step 7.10), and a changed policy reaches users only as fast",
		Evidence: []string{fmt.Sprintf("max_age: %d", *p.MaxAge)},
		Spec:     fetchspec.Spec + "#http-access-control-max-age",
	}}
}

// lintVary: a policy whose Allow-Origin depends on the request's Origin
// needs Vary: Origin on every answer.
func lintVary(p *Policy) []Finding {
	listed := slices.DeleteFunc(slices.Clone(p.Origins), func(o string) bool { return o == "*" })
	if len(listed) < 2 && !(p.Credentials && slices.Contains(p.Origins, "*")) {
		return nil
	}
	return []Finding{{
		ID: "vary-origin", Severity: Note,
		Title:    "the server must reflect the Origin, so every answer needs Vary: Origin",
		Why:      "Access-Control-Allow-Origin holds one origin, so it changes with the request's Origin; without Vary: Origin (refusals included) a cache hands one origin's answer to another (`check` verifies it)",
		Evidence: []string{"origins: " + strings.Join(p.Origins, ", ")},
		Spec:     fetchspec.Spec + "#cors-protocol-and-http-caches",
	}}
}

// usualValues are everyday values of the headers the safelist knows, to ask
// fetchspec whether listing the header is needed for them.
var usualValues = map[string]string{
	"accept": "application/json", "accept-language": "en-US,en;q=0.9", "content-language": "en",
}

// lintSafelistedListed: safelisted methods and headers listed for nothing.
func lintSafelistedListed(p *Policy) []Finding {
	var out []Finding
	for _, m := range p.Methods {
		if fetchspec.IsCORSSafelistedMethod(m) {
			out = append(out, Finding{
				ID: "safelisted-method-listed", Severity: Note,
				Title:    m + " is a CORS-safelisted method: listing it changes nothing",
				Why:      "a safelisted method never needs Access-Control-Allow-Methods (CORS-preflight fetch step 7.5)",
				Evidence: []string{"methods: " + m}, Spec: fetchspec.Spec + "#cors-safelisted-method",
			})
		}
	}
	for _, h := range p.RequestHeaders {
		v, ok := usualValues[strings.ToLower(h)]
		if ok && fetchspec.IsCORSSafelistedRequestHeader(h, v) {
			out = append(out, Finding{
				ID: "safelisted-header-listed", Severity: Note,
				Title:    h + " is a CORS-safelisted request-header for usual values: listing it matters only for unusual ones",
				Why:      "e.g. " + h + ": " + v + " is never preflighted; only values over 128 bytes or with bytes the safelist refuses are",
				Evidence: []string{"request_headers: " + h}, Spec: fetchspec.Spec + "#cors-safelisted-request-header",
			})
		}
	}
	return out
}

// lintExposed: exposed headers that are always, or never, readable.
func lintExposed(p *Policy) []Finding {
	var out []Finding
	for _, h := range p.ExposeHeaders {
		switch {
		case fetchspec.IsForbiddenResponseHeaderName(h):
			out = append(out, Finding{
				ID: "exposed-never-readable", Severity: Warning,
				Title:    h + " can never be exposed to a page",
				Why:      "it is a forbidden response-header name: no filtered response carries it, whatever Access-Control-Expose-Headers lists",
				Evidence: []string{"expose_headers: " + h}, Spec: fetchspec.Spec + "#forbidden-response-header-name",
			})
		case fetchspec.IsCORSSafelistedResponseHeaderName(h, nil):
			out = append(out, Finding{
				ID: "exposed-safelisted", Severity: Note,
				Title:    h + " is always readable: exposing it changes nothing",
				Why:      "it is a CORS-safelisted response-header name, which every CORS response exposes",
				Evidence: []string{"expose_headers: " + h}, Spec: fetchspec.Spec + "#cors-safelisted-response-header-name",
			})
		}
	}
	return out
}
