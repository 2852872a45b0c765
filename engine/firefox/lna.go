package firefox

import (
	"context"
	"fmt"
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

// lnaDecided says whether Firefox's "detected" message, which says what
// was decided of a Local Network Access request, has come.
func lnaDecided(sn snapshot) bool {
	for _, c := range sn.cors {
		if lnaKey(c.m) == "LocalNetworkAccessDetected" {
			return true
		}
	}
	return false
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

// setPermission, run in the privileged window, stores a site permission
// for an origin as the user's answer to the prompt would (nsIPermissionManager):
// granted is ALLOW_ACTION, denied DENY_ACTION, and prompt removes what was
// stored, so the next request asks again.
const setPermission = `(origin, name, setting) => {
  const principal = Services.scriptSecurityManager.createContentPrincipalFromOrigin(origin);
  if (setting === 'prompt') {
    Services.perms.removeFromPrincipal(principal, name);
    return true;
  }
  Services.perms.addFromPrincipal(principal, name,
    setting === 'granted' ? Services.perms.ALLOW_ACTION : Services.perms.DENY_ACTION);
  return true;
}`

// lnaPrompts, run in the privileged window, stands in for a user who does
// not answer Firefox's Local Network Access prompt. Firefox holds the
// request until the prompt is answered or its timer runs out
// (network.lna.prompt.timeout), but headless Firefox never shows the
// prompt, so the timer never starts and the request would wait for ever.
// This lets Firefox raise each loopback-network or local-network prompt,
// then does at once what the timer would do: it removes the prompt and
// cancels it. The request fails and nothing is stored for the origin.
const lnaPrompts = `() => {
  const ids = ['loopback-network', 'local-network'];
  const { Integration } = ChromeUtils.importESModule('resource://gre/modules/Integration.sys.mjs');
  Integration.contentPermission.register((base) => ({
    __proto__: base,
    createPermissionPrompt(type, request) {
      const prompt = base.createPermissionPrompt(type, request);
      if (!prompt || !ids.includes(type)) return prompt;
      const before = prompt.onBeforeShow.bind(prompt);
      prompt.onBeforeShow = () => {
        const show = before();
        if (show === false) return show;
        Services.tm.dispatchToMainThread(() => {
          try {
            const pn = prompt.browser.documentGlobal.PopupNotifications;
            const n = pn.getNotification(prompt.notificationID, prompt.browser);
            if (n) pn.remove(n);
          } catch (e) {}
          prompt.cancel();
        });
        return show;
      };
      return prompt;
    },
  }));
  return true;
}`

// handleLNAPrompts installs lnaPrompts in the privileged window (found by
// listenCORS).
func (b *Browser) handleLNAPrompts(ctx context.Context) error {
	params := map[string]any{"functionDeclaration": lnaPrompts, "target": map[string]any{"context": b.chrome}, "awaitPromise": false}
	if err := b.conn.call(ctx, "script.callFunction", params, nil); err != nil {
		return fmt.Errorf("installing the Local Network Access prompt handler: %w", err)
	}
	return nil
}

// SetPermission stores a Local Network Access permission (loopback-network,
// local-network) for an origin in the profile, from the privileged scope:
// Firefox 153's BiDi permissions.setPermission does not know these names.
func (b *Browser) SetPermission(ctx context.Context, p engine.Permission) error {
	switch p.Setting {
	case "granted", "denied", "prompt":
	default:
		return fmt.Errorf("permission %s for %s: setting %q is none of granted, denied, prompt", p.Name, p.Origin, p.Setting)
	}
	params := map[string]any{
		"functionDeclaration": setPermission,
		"target":              map[string]any{"context": b.chrome},
		"awaitPromise":        false,
		"arguments": []any{
			map[string]any{"type": "string", "value": p.Origin},
			map[string]any{"type": "string", "value": p.Name},
			map[string]any{"type": "string", "value": p.Setting},
		},
	}
	var res evalResult
	if err := b.conn.call(ctx, "script.callFunction", params, &res); err != nil {
		return fmt.Errorf("permission %s=%s for %s: %w", p.Name, p.Setting, p.Origin, err)
	}
	if res.Type == "exception" {
		return fmt.Errorf("permission %s=%s for %s: %+v", p.Name, p.Setting, p.Origin, res.ExceptionDetails)
	}
	return nil
}
