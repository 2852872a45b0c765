package policy

import (
	"context"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// Local Network Access probes (`address_space: public` in a policy): the
// target runs on loopback, so a hosted front end, on a public address, is
// gated by Chromium's Local Network Access
// (https://wicg.github.io/local-network-access/). The probes call the
// target from the policy's own origin served as a public site: secure
// (https) and not asked, secure with the permission granted, and the
// insecure (http) twin. What they expect comes from Local Network Access as
// Chromium 156 applies it, not from the server's answers.

// KindLocalNetwork is the kind of the Local Network Access probes.
const KindLocalNetwork = "local-network"

// LocalDoer runs one request from a page placed in an address space;
// *harness.Session is one. A Doer that is not one skips the Local Network
// Access probes.
type LocalDoer interface {
	DoLocal(ctx context.Context, page string, req scenarios.Request, n scenarios.LocalNetwork) (*harness.Observation, error)
}

// addressSpace reads address_space: only public is meaningful for a check.
func (v *validator) addressSpace(n *yaml.Node) string {
	s := v.str(n)
	if s != "" && s != scenarios.SpacePublic {
		v.add(n, "address_space: %q: only public is known (probe the target as a public site would)", s)
	}
	return s
}

// localNetworkProbes are the probes of address_space: public, from the
// first listed https origin (a secure context) and its http twin.
func localNetworkProbes(p *Policy) []Probe {
	if p.AddressSpace != scenarios.SpacePublic {
		return nil
	}
	secure, insecure := publicPages(p.Origins)
	public := scenarios.LocalNetwork{AddressSpace: scenarios.SpacePublic}
	granted := public
	granted.Permission = scenarios.PermissionGranted
	var out []Probe
	if secure != "" {
		out = append(out,
			Probe{Name: "GET from " + secure + " as a public site, permission not asked", Kind: KindLocalNetwork, Page: secure, Method: "GET",
				LocalNetwork: public, Expect: Expect{Allowed: false},
				Because: "Local Network Access: a public page may reach a loopback server only with the user's loopback-network permission; users who are not asked, or say no, are blocked whatever the CORS headers say"},
			Probe{Name: "GET from " + secure + " as a public site, permission granted", Kind: KindLocalNetwork, Page: secure, Method: "GET",
				LocalNetwork: granted, Expect: Expect{Allowed: true},
				Because: "with the loopback-network permission granted, the policy's CORS rules decide: origins lists " + secure})
	}
	if insecure != "" {
		out = append(out, Probe{Name: "GET from " + insecure + " as a public site over http", Kind: KindLocalNetwork, Page: insecure, Method: "GET",
			LocalNetwork: public, Expect: Expect{Allowed: false},
			Because: "Local Network Access: a page that is not a secure context may not reach a loopback server at all (InsecureLocalNetwork), permission or not"})
	}
	return out
}

// publicPages picks the pages of the probes: the first listed https origin,
// and an http origin on a real host name (its twin, or the first listed
// one).
func publicPages(origins []string) (secure, insecure string) {
	for _, o := range origins {
		if strings.HasPrefix(o, "https://") && secure == "" {
			secure = o
		}
	}
	if secure != "" {
		if u, err := url.Parse(secure); err == nil && !isLocalhost(u.Hostname()) {
			insecure = "http://" + u.Hostname()
		}
		return secure, insecure
	}
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Scheme == "http" && !isLocalhost(u.Hostname()) {
			return "", o
		}
	}
	return "", ""
}

// isLocalhost: localhost names are secure contexts even over http.
func isLocalhost(host string) bool {
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || host == "127.0.0.1" || host == "[::1]" || host == "::1"
}

// doProbe runs one probe; ok is false when the Doer cannot place a page in
// an address space, so the probe is left out.
func doProbe(ctx context.Context, d Doer, page string, p Probe, target, path string) (obs *harness.Observation, ok bool, err error) {
	if p.LocalNetwork.IsZero() {
		obs, err = d.Do(ctx, page, p.Request(target, path))
		return obs, true, err
	}
	ld, ok := d.(LocalDoer)
	if !ok {
		return nil, false, nil
	}
	obs, err = ld.DoLocal(ctx, page, p.Request(target, path), p.LocalNetwork)
	return obs, true, err
}

// localNetworkWhy says, for a Local Network Access probe that ran, what
// users of a hosted front end on the probe's origin see; other results keep
// their Why.
func localNetworkWhy(p Probe, r Result) string {
	if p.Kind != KindLocalNetwork || r.Error != "" || r.Observation == nil {
		return r.Why
	}
	o := r.Observation
	switch {
	case o.Outcome == scenarios.OutcomeAllowed:
		return "users of a front end on " + p.Page + " who allow it to reach this machine get the answer; " + r.Why
	case o.CorsError == "InsecureLocalNetwork":
		return "users of a front end on " + p.Page + " are never asked: it is not a secure context, so every request to this server fails (serve the front end over https); " + r.Why
	case o.CorsError == "LocalNetworkAccessPermissionDenied":
		return "users of a front end on " + p.Page + " must allow it to reach this machine (loopback-network); who is not asked or refuses gets \"Failed to fetch\" and the server sees only a connection; " + r.Why
	}
	return r.Why
}
