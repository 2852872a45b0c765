package firefox

import (
	"strings"

	"github.com/corslab/corslab/engine"
)

// Firefox's Local Network Access messages (necko.properties), logged as
// information with the request's URL:
//
//	Local Network Access permission required: top-level site “…”, initiator “…”,
//	attempting to access target “URL” (IP:PORT) via fetch. Secure context: True
//	Local Network Access detected: … accessing target “URL” (IP:PORT) via fetch.
//	Secure context: True, prompt action: auto_allow
//
// The first comes when Firefox must ask the user, the second once it has
// decided. They are no CORS reason: the request then fails as any network
// error does (CORSDidNotSucceed2).
var lnaKeys = []struct{ prefix, key string }{
	{"Local Network Access permission required", "LocalNetworkAccessPermissionRequired"},
	{"Local Network Access detected", "LocalNetworkAccessDetected"},
}

// lnaKey is the message key of a Local Network Access message, or "".
func lnaKey(m corsMessage) string {
	for _, k := range lnaKeys {
		if strings.HasPrefix(m.Text, k.prefix) {
			return k.key
		}
	}
	return ""
}

// lnaNetwork is what a Local Network Access message says of the request:
// whether the page was a secure context, and the prompt action Firefox
// took (auto_allow, auto_deny, prompt_allow, prompt_deny), as its Policy.
// Firefox names no address space in them.
func lnaNetwork(text string) *engine.LocalNetwork {
	n := &engine.LocalNetwork{}
	if _, v, ok := strings.Cut(text, "Secure context: "); ok {
		secure := strings.HasPrefix(strings.ToLower(v), "true")
		n.ClientSecure = &secure
	}
	if _, v, ok := strings.Cut(text, "prompt action: "); ok {
		if f := strings.Fields(v); len(f) > 0 && f[0] != "(null)" {
			n.Policy = f[0]
		}
	}
	if n.ClientSecure == nil && n.Policy == "" {
		return nil
	}
	return n
}

// lnaPending says whether Firefox has said it must ask for a permission
// but not yet what it decided.
func lnaPending(sn snapshot) bool {
	asked, decided := false, false
	for _, c := range sn.cors {
		switch lnaKey(c.m) {
		case "LocalNetworkAccessPermissionRequired":
			asked = true
		case "LocalNetworkAccessDetected":
			decided = true
		}
	}
	return asked && !decided
}
