package scenarios

import "strings"

// LocalNetwork places a scenario (or one step) on the address spaces of
// Local Network Access (https://wicg.github.io/local-network-access/): where
// the calling page sits, where bar sits, and what the user answered when the
// browser asked for the permission. The zero value is today's lab: a
// loopback page calling a loopback server, which Local Network Access never
// gates.
type LocalNetwork struct {
	// AddressSpace is the calling page's address space: public, local or
	// loopback (the default). A public page is served with
	// Content-Security-Policy: treat-as-public-address; a local one from a
	// listener the browser counts as local.
	AddressSpace string `yaml:"address_space,omitempty" json:"address_space,omitempty"`
	// TargetSpace is bar's address space: loopback (the default) or local
	// (bar's twin on a listener the browser counts as local).
	TargetSpace string `yaml:"target_space,omitempty" json:"target_space,omitempty"`
	// Permission is the user's answer to the browser's permission prompt for
	// the page's origin: granted, denied or prompt (the default; headless
	// Chromium answers a prompt with a denial). It is set afresh for every
	// scenario, so no stored decision leaks into the next.
	Permission string `yaml:"local_network_permission,omitempty" json:"local_network_permission,omitempty"`
	// PermissionSpace is the address space the permission is given for:
	// loopback (loopback-network) or local (local-network); default the
	// target's. A permission for the other space is the wrong one.
	PermissionSpace string `yaml:"permission_space,omitempty" json:"permission_space,omitempty"`
}

// Address spaces (https://wicg.github.io/local-network-access/#ip-address-space).
const (
	SpacePublic   = "public"
	SpaceLocal    = "local"
	SpaceLoopback = "loopback"
)

// Permission settings.
const (
	PermissionGranted = "granted"
	PermissionDenied  = "denied"
	PermissionPrompt  = "prompt"
)

// WithDefaults fills in loopback page and target, the prompt state, and
// the permission for the target's space.
func (n LocalNetwork) WithDefaults() LocalNetwork {
	if n.AddressSpace == "" {
		n.AddressSpace = SpaceLoopback
	}
	if n.TargetSpace == "" {
		n.TargetSpace = SpaceLoopback
	}
	if n.Permission == "" {
		n.Permission = PermissionPrompt
	}
	if n.PermissionSpace == "" {
		n.PermissionSpace = n.TargetSpace
	}
	return n
}

// IsZero reports whether nothing of Local Network Access was asked for.
func (n LocalNetwork) IsZero() bool { return n == LocalNetwork{} }

// merge fills the step's unset fields from the scenario's.
func (n LocalNetwork) merge(sc LocalNetwork) LocalNetwork {
	if n.AddressSpace == "" {
		n.AddressSpace = sc.AddressSpace
	}
	if n.TargetSpace == "" {
		n.TargetSpace = sc.TargetSpace
	}
	if n.Permission == "" {
		n.Permission = sc.Permission
	}
	if n.PermissionSpace == "" {
		n.PermissionSpace = sc.PermissionSpace
	}
	return n
}

// spaceRank orders the address spaces from the most private.
var spaceRank = map[string]int{SpaceLoopback: 0, SpaceLocal: 1, SpacePublic: 2}

// LessPrivate reports whether address space a is less private than b
// (public than local or loopback), the case Local Network Access gates.
// Chromium 156 counts local and loopback as one tier: only a public page's
// requests to either are gated.
func LessPrivate(a, b string) bool {
	return a == SpacePublic && b != SpacePublic && spaceRank[a] > spaceRank[b]
}

// PermissionName is the name of the permission that opens an address space
// to a public page: loopback-network or local-network.
func PermissionName(space string) string {
	if space == SpaceLocal {
		return "local-network"
	}
	return "loopback-network"
}

// validate checks the fields of a scenario's or a step's LocalNetwork.
func (v *validator) localNetwork(at []string, n LocalNetwork, page string) {
	field := func(key, val string, allowed ...string) {
		if val != "" && !oneOf(val, allowed...) {
			v.errorf(append(append([]string(nil), at...), key), "%s: %q: is not one of %s", key, val, strings.Join(allowed, ", "))
		}
	}
	field("address_space", n.AddressSpace, SpacePublic, SpaceLocal, SpaceLoopback)
	field("target_space", n.TargetSpace, SpaceLocal, SpaceLoopback)
	field("local_network_permission", n.Permission, PermissionGranted, PermissionDenied, PermissionPrompt)
	field("permission_space", n.PermissionSpace, SpaceLocal, SpaceLoopback)
	switch {
	case n.AddressSpace == SpaceLocal && strings.Contains(page, "://"):
		v.errorf(append(append([]string(nil), at...), "address_space"), "address_space: %q: works with label pages only (foo, evil...), not page %q", n.AddressSpace, page)
	case n.AddressSpace != "" && n.AddressSpace != SpaceLoopback && page == "sandboxed":
		v.errorf(append(append([]string(nil), at...), "address_space"), "address_space: %q: not for the sandboxed page", n.AddressSpace)
	}
}
