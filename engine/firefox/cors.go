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
		return nil
	}
	return fmt.Errorf("installing the CORS console listener: no privileged browser window among %d contexts", len(tree.Contexts))
}
