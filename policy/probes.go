package policy

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// Probe kinds.
const (
	KindSimple           = "simple"
	KindPreflight        = "preflight"
	KindHeader           = "header"
	KindCredentials      = "credentials"
	KindUnlisted         = "unlisted-origin"
	KindLookAlike        = "look-alike"
	KindMethodNotAllowed = "method-not-allowed"
	KindHeaderNotAllowed = "header-not-allowed"
	KindExpose           = "expose"
	KindMaxAge           = "max-age"
	KindVary             = "vary"
)

// Probe is one request a page makes, with the verdict the policy implies.
type Probe struct {
	// Name is unique within a policy's probes and says what is probed, e.g.
	// "DELETE from https://app.example.com".
	Name string `json:"name"`
	// Kind is one of the Kind constants.
	Kind string `json:"kind"`
	// Page is the calling page's origin, or "null" for a sandboxed frame.
	Page string `json:"page"`
	// Method, Headers, Credentials and Body make the request.
	Method      string            `json:"method"`
	Headers     scenarios.Headers `json:"headers,omitempty"`
	Credentials string            `json:"credentials,omitempty"`
	Body        string            `json:"body,omitempty"`
	// Expect is the verdict the policy implies.
	Expect Expect `json:"expect"`
	// Because says which part of the policy the expectation comes from.
	Because string `json:"because"`
	// LocalNetwork places the page on a public address (lna.go); zero for
	// the lab's usual loopback page.
	LocalNetwork scenarios.LocalNetwork `json:"local_network,omitzero"`
}

// Expect is what the browser should do with a probe.
type Expect struct {
	// Allowed: the page gets the response; false means the browser blocks it.
	Allowed bool `json:"allowed"`
	// Preflight, when set, says whether a preflight must go out.
	Preflight *bool `json:"preflight,omitempty"`
	// Readable are response headers JavaScript must be able to read.
	Readable []string `json:"readable,omitempty"`
	// MaxAge, when set, is the Access-Control-Max-Age the preflight answer
	// must carry.
	MaxAge *int `json:"max_age,omitempty"`
	// VaryOrigin: the answer must carry Vary: Origin, since it depends on
	// the Origin (a shared cache would otherwise hand one origin's answer
	// to another).
	VaryOrigin bool `json:"vary_origin,omitempty"`
}

// Expected renders the expectation in a few words.
func (e Expect) String() string {
	s := "blocked"
	if e.Allowed {
		s = "allowed"
	}
	var more []string
	if e.Preflight != nil && *e.Preflight {
		more = append(more, "after a preflight")
	}
	if len(e.Readable) > 0 {
		more = append(more, "reads "+strings.Join(e.Readable, ", "))
	}
	if e.MaxAge != nil {
		more = append(more, "max-age "+strconv.Itoa(*e.MaxAge))
	}
	if e.VaryOrigin {
		more = append(more, "Vary: Origin")
	}
	if len(more) > 0 {
		s += ", " + strings.Join(more, ", ")
	}
	return s
}

// Request is the probe as a scenarios.Request on target (an origin outside
// the lab, or a lab label such as "bar") and path.
func (p Probe) Request(target, path string) scenarios.Request {
	return scenarios.Request{Method: p.Method, Path: path, Target: target, Headers: p.Headers, Credentials: p.Credentials, Body: p.Body}
}

// unlistedOrigin is an origin no policy should allow.
const unlistedOrigin = "https://corslab-unlisted.example"

// unlistedHeader is a request header no policy lists.
const unlistedHeader = "X-Corslab-Unlisted"

func yes() *bool { b := true; return &b }

// Probes derives the probes of a policy, in a stable order: for each listed
// origin a request with each safelisted method, each other method (which
// needs a preflight) and each request header, credentialed requests; then
// an unlisted origin and look-alikes of every listed origin that naive
// matching lets through, a method and a header the policy does not allow,
// the exposed headers and the preflight's max-age.
func Probes(p *Policy) []Probe {
	var out []Probe
	listed := map[string]bool{}
	for _, o := range p.Origins {
		listed[o] = true
	}
	var safe, unsafe []string
	for _, m := range p.Methods {
		if harness.IsSafelistedMethod(m) {
			safe = append(safe, m)
		} else {
			unsafe = append(unsafe, m)
		}
	}
	if len(p.Methods) == 0 {
		// No methods listed: the simple GET every origin can make anyway.
		safe = []string{"GET"}
	}
	// The method header probes ride on: GET when allowed, else the first.
	carrier := "GET"
	if len(p.Methods) > 0 && !slices.Contains(p.Methods, "GET") {
		carrier = p.Methods[0]
	}
	cred := ""
	if p.Credentials {
		cred = "include"
	}
	for _, o := range p.Origins {
		because := o + " is listed"
		for _, m := range safe {
			pr := Probe{Name: m + " from " + o, Kind: KindSimple, Page: o, Method: m, Expect: Expect{Allowed: true}, Because: because + " and " + m + " is a simple method"}
			if m == "POST" {
				pr.Body = "corslab"
			}
			out = append(out, pr)
		}
		for _, m := range unsafe {
			out = append(out, Probe{Name: m + " from " + o, Kind: KindPreflight, Page: o, Method: m, Expect: Expect{Allowed: true, Preflight: yes()}, Because: because + " and methods lists " + m})
		}
		for _, h := range p.RequestHeaders {
			hs := scenarios.Headers{{Name: h, Values: []string{headerValue(h)}}}
			e := Expect{Allowed: true}
			if harness.NeedsPreflight(carrier, hs) {
				e.Preflight = yes()
			}
			out = append(out, Probe{Name: carrier + " with " + h + " from " + o, Kind: KindHeader, Page: o, Method: carrier, Headers: hs, Expect: e, Because: because + " and request_headers lists " + h})
		}
		if o == "null" {
			continue
		}
		credMethods := []string{carrier}
		if len(unsafe) > 0 && unsafe[0] != carrier {
			credMethods = append(credMethods, unsafe[0])
		}
		for _, m := range credMethods {
			e := Expect{Allowed: p.Credentials}
			why := because + " and credentials is true"
			if !p.Credentials {
				why = "credentials is false: the browser must not let " + o + " read a response to a request with cookies"
			}
			if !harness.IsSafelistedMethod(m) {
				e.Preflight = yes()
			}
			out = append(out, Probe{Name: "credentialed " + m + " from " + o, Kind: KindCredentials, Page: o, Method: m, Credentials: "include", Expect: e, Because: why})
		}
	}
	// Attackers' origins: the policy lists none of them.
	seen := map[string]bool{}
	// Without cookies: the policy says only its origins may read, and a
	// request without credentials is the one a server lets through most.
	addAttacker := func(kind, name, origin, because string) {
		if listed[origin] || seen[origin] {
			return
		}
		seen[origin] = true
		out = append(out, Probe{Name: name, Kind: kind, Page: origin, Method: carrier, Expect: Expect{Allowed: false}, Because: because})
	}
	addAttacker(KindUnlisted, "unlisted origin "+unlistedOrigin, unlistedOrigin, "the policy does not list "+unlistedOrigin)
	if p.Credentials {
		out = append(out, Probe{Name: "credentialed " + carrier + " from unlisted origin " + unlistedOrigin, Kind: KindUnlisted, Page: unlistedOrigin, Method: carrier, Credentials: "include", Expect: Expect{Allowed: false},
			Because: "the policy does not list " + unlistedOrigin + ": with cookies, this is the request an attacker's page makes"})
	}
	for _, o := range p.Origins {
		for _, la := range LookAlikes(o) {
			addAttacker(KindLookAlike, "look-alike ("+la.Trick+") "+la.Origin, la.Origin, fmt.Sprintf("%s is not %s: %s", la.Origin, o, la.Why))
		}
	}
	if !listed["null"] {
		addAttacker(KindLookAlike, "look-alike (sandboxed frame) null", "null", "the policy does not list null, the origin of sandboxed frames, data: URLs and some redirects; allowing it lets any site in")
	}
	if len(p.Origins) > 0 && p.Origins[0] != "null" {
		o := p.Origins[0]
		for _, m := range []string{"PUT", "PATCH", "DELETE", "POST"} {
			if slices.Contains(p.Methods, m) {
				continue
			}
			e := Expect{Allowed: false}
			if !harness.IsSafelistedMethod(m) {
				e.Preflight = yes()
			} else {
				// A simple method needs no permission from a preflight: the
				// policy cannot forbid it in the browser. Skip it.
				continue
			}
			out = append(out, Probe{Name: "method not allowed: " + m + " from " + o, Kind: KindMethodNotAllowed, Page: o, Method: m, Credentials: cred, Expect: e, Because: "methods does not list " + m})
			break
		}
		if len(p.RequestHeaders) > 1 {
			// Pages often send several at once: one preflight names them all.
			var hs scenarios.Headers
			for _, h := range p.RequestHeaders {
				hs = append(hs, scenarios.Header{Name: h, Values: []string{headerValue(h)}})
			}
			e := Expect{Allowed: true}
			if harness.NeedsPreflight(carrier, hs) {
				e.Preflight = yes()
			}
			out = append(out, Probe{Name: carrier + " with " + strings.Join(p.RequestHeaders, ", ") + " from " + o, Kind: KindHeader, Page: o, Method: carrier, Headers: hs, Credentials: cred, Expect: e, Because: "request_headers lists them all"})
		}
		out = append(out, Probe{Name: "Vary: Origin on the answer to " + o, Kind: KindVary, Page: o, Method: carrier, Credentials: cred, Expect: Expect{Allowed: true, VaryOrigin: true}, Because: "the answer depends on the Origin: caches must key it by Origin"})
		out = append(out, Probe{Name: "Vary: Origin on the answer to " + unlistedOrigin, Kind: KindVary, Page: unlistedOrigin, Method: carrier, Expect: Expect{Allowed: false, VaryOrigin: true}, Because: "the answer to an unlisted origin differs from the answer to a listed one: caches must key it by Origin"})
		hs := scenarios.Headers{{Name: unlistedHeader, Values: []string{"corslab"}}}
		out = append(out, Probe{Name: "header not allowed: " + unlistedHeader + " from " + o, Kind: KindHeaderNotAllowed, Page: o, Method: carrier, Headers: hs, Credentials: cred, Expect: Expect{Allowed: false, Preflight: yes()}, Because: "request_headers does not list " + unlistedHeader})
		for _, h := range p.ExposeHeaders {
			out = append(out, Probe{Name: "read " + h + " from " + o, Kind: KindExpose, Page: o, Method: carrier, Credentials: cred, Expect: Expect{Allowed: true, Readable: []string{h}}, Because: "expose_headers lists " + h})
		}
		if p.MaxAge != nil && len(unsafe) > 0 {
			n := *p.MaxAge
			out = append(out, Probe{Name: fmt.Sprintf("max-age of the %s preflight from %s", unsafe[0], o), Kind: KindMaxAge, Page: o, Method: unsafe[0], Credentials: cred, Expect: Expect{Allowed: true, Preflight: yes(), MaxAge: &n}, Because: fmt.Sprintf("max_age is %d", n)})
		}
	}
	return append(out, localNetworkProbes(p)...)
}

// headerValue is a value for a probe's request header: one that is not
// CORS-safelisted, so the header needs the server's permission.
func headerValue(name string) string {
	switch strings.ToLower(name) {
	case "content-type":
		return "application/json"
	case "accept":
		return "application/json"
	case "authorization":
		return "Bearer corslab"
	}
	return "corslab"
}

// LookAlike is an origin built to fool naive origin matching.
type LookAlike struct {
	// Trick names the matching mistake it exploits: suffix, subdomain,
	// appended-domain, prefix, http-twin, port.
	Trick  string
	Origin string
	// Why explains which naive check lets it through.
	Why string
}

// LookAlikes returns the look-alikes of an origin. IP hosts get only the
// scheme and port tricks.
func LookAlikes(origin string) []LookAlike {
	if origin == "null" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil {
		return nil
	}
	host, port := u.Hostname(), u.Port()
	withPort := func(scheme, h, p string) string {
		if strings.Contains(h, ":") {
			h = "[" + h + "]"
		}
		if p == "" {
			return scheme + "://" + h
		}
		return scheme + "://" + h + ":" + p
	}
	var out []LookAlike
	if net.ParseIP(host) == nil {
		out = append(out, LookAlike{"suffix", withPort(u.Scheme, "evil"+host, port), "a check that the origin ends with " + host + " lets it through"})
		if host != "localhost" {
			// evil.localhost is the lab's own name space.
			out = append(out, LookAlike{"subdomain", withPort(u.Scheme, "evil."+host, port), "a check for ." + host + " or a *." + host + " pattern lets it through"})
		}
		out = append(out, LookAlike{"appended-domain", withPort(u.Scheme, host+".evil.test", port), "a check that the origin starts with " + u.Scheme + "://" + host + ", or an unanchored regexp, lets it through"})
		if len(host) > 1 {
			out = append(out, LookAlike{"prefix", withPort(u.Scheme, host[:len(host)-1], port), "a check that " + origin + " starts with the origin (the comparison turned around) lets it through"})
		}
	}
	if u.Scheme == "https" {
		out = append(out, LookAlike{"http-twin", withPort("http", host, port), "a check of the host alone lets it through; a page on plain http can be injected by anyone on the network"})
	}
	other := "8443"
	if u.Scheme == "http" {
		other = "8080"
	}
	if port != "" {
		n, _ := strconv.Atoi(port)
		other = strconv.Itoa(n + 1)
	}
	out = append(out, LookAlike{"port", withPort(u.Scheme, host, other), "a check of the host alone, ignoring the port, lets it through"})
	return out
}

// PageOrigins returns the distinct page origins of probes, "null" included
// when a probe runs in a sandboxed frame.
func PageOrigins(probes []Probe) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range probes {
		if seen[p.Page] {
			continue
		}
		seen[p.Page] = true
		out = append(out, p.Page)
	}
	return out
}
