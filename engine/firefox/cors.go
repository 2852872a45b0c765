package firefox

import (
	"context"
	"fmt"
)

// corsChannel is the BiDi channel the privileged console listener sends
// Firefox's CORS messages on.
const corsChannel = "corslab-cors"

// corsListener runs in Firefox's privileged (chrome) browser window: it
// registers a console-service listener that passes on every nsIScriptError
// whose category is a CORS message key, with its text and flags (1:
// warning). BiDi's log.entryAdded carries only the text, and drops the
// messages that belong to no window, such as the warning about
// Access-Control-Allow-Headers: * and Authorization.
const corsListener = `(send) => {
  Services.console.registerListener({observe(m) {
    try {
      if (!(m instanceof Ci.nsIScriptError)) return;
      if (!String(m.category).includes('CORS') && !String(m.errorMessage).startsWith('Local Network Access')) return;
      send(JSON.stringify({category: m.category, text: m.errorMessage, flags: m.flags}));
    } catch (e) {}
  }});
  return true;
}`

// listenCORS installs the privileged console listener
// (--remote-allow-system-access lets BiDi reach the chrome scope).
func (b *Browser) listenCORS(ctx context.Context) error {
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
			URL     string `json:"url"`
		} `json:"contexts"`
	}
	if err := b.conn.call(ctx, "browsingContext.getTree", map[string]any{"moz:scope": "chrome"}, &tree); err != nil {
		return fmt.Errorf("finding the browser's privileged window for the CORS console listener: %w", err)
	}
	for _, c := range tree.Contexts {
		if c.URL != "chrome://browser/content/browser.xhtml" {
			continue
		}
		b.chrome = c.Context
		params := map[string]any{
			"functionDeclaration": corsListener,
			"target":              map[string]any{"context": c.Context},
			"awaitPromise":        false,
			"arguments":           []any{map[string]any{"type": "channel", "value": map[string]any{"channel": corsChannel}}},
		}
		if err := b.conn.call(ctx, "script.callFunction", params, nil); err != nil {
			return fmt.Errorf("installing the CORS console listener: %w", err)
		}
		params["functionDeclaration"], params["arguments"] = lnaPrompts, []any{}
		if err := b.conn.call(ctx, "script.callFunction", params, nil); err != nil {
			return fmt.Errorf("installing the Local Network Access prompt handler: %w", err)
		}
		return nil
	}
	return fmt.Errorf("installing the CORS console listener: no privileged browser window among %d contexts", len(tree.Contexts))
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
