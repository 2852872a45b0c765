package firefox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/corslab/corslab/engine"
)

var _ engine.Page = (*page)(nil)

// page is one browsing context (a tab).
type page struct {
	b       *Browser
	context string
}

// callName is the page's global that holds the installed request function.
const callName = "window.__corslabCall"

// OpenPage opens a tab, loads the page and installs the request function.
// ctx bounds the opening; the tab lives until Close.
func (b *Browser) OpenPage(ctx context.Context, spec engine.PageSpec) (engine.Page, error) {
	var created struct {
		Context string `json:"context"`
	}
	if err := b.conn.call(ctx, "browsingContext.create", map[string]any{"type": "tab", "background": true}, &created); err != nil {
		return nil, b.wrapGone(fmt.Errorf("opening a tab: %w", err))
	}
	p := &page{b: b, context: created.Context}
	if err := p.open(ctx, spec); err != nil {
		p.Close()
		return nil, b.wrapGone(err)
	}
	return p, nil
}

func (p *page) open(ctx context.Context, spec engine.PageSpec) error {
	nav := map[string]any{"context": p.context, "url": spec.URL, "wait": "complete"}
	if err := p.b.conn.call(ctx, "browsingContext.navigate", nav, nil); err != nil {
		return fmt.Errorf("loading the page %s: %w", spec.URL, err)
	}
	if _, err := p.eval(ctx, callName+" = "+spec.Function+"; true", false); err != nil {
		return fmt.Errorf("installing the request function in %s: %w", spec.URL, err)
	}
	if spec.Ready != "" {
		if _, err := p.eval(ctx, `Promise.resolve(`+spec.Ready+`).then(() => true)`, true); err != nil {
			return fmt.Errorf("waiting for the page %s to be ready: %w", spec.URL, err)
		}
	}
	// A sandboxed frame needs nothing more: BiDi's network events are the
	// session's, whichever frame or process sent the request.
	if spec.Origin != "" {
		got, err := p.eval(ctx, `location.origin`, false)
		if err != nil {
			return fmt.Errorf("reading the origin of the page %s: %w", spec.URL, err)
		}
		if got.Value != spec.Origin {
			return fmt.Errorf("the page meant for %s landed on %s", spec.Origin, got.Value)
		}
	}
	return nil
}

// evalResult is script.evaluate's answer: a result, or an exception.
type evalResult struct {
	Type             string `json:"type"`
	Result           bidiRemote
	ExceptionDetails *struct {
		Text string `json:"text"`
	} `json:"exceptionDetails"`
}

// bidiRemote is a remote value; only strings and booleans are read here.
type bidiRemote struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// stringValue is a remote value read as a string.
type stringValue struct{ Value string }

// eval evaluates expr in the page.
func (p *page) eval(ctx context.Context, expr string, await bool) (stringValue, error) {
	var res evalResult
	params := map[string]any{"expression": expr, "target": map[string]any{"context": p.context}, "awaitPromise": await, "resultOwnership": "none"}
	if err := p.b.conn.call(ctx, "script.evaluate", params, &res); err != nil {
		return stringValue{}, err
	}
	if res.Type == "exception" {
		text := "an exception"
		if res.ExceptionDetails != nil {
			text = res.ExceptionDetails.Text
		}
		return stringValue{}, errors.New(text)
	}
	var s string
	if res.Result.Type == "string" {
		json.Unmarshal(res.Result.Value, &s)
	} else {
		s = string(res.Result.Value)
	}
	return stringValue{s}, nil
}

// Call runs the installed function with arg; the result comes back as JSON
// text.
func (p *page) Call(ctx context.Context, arg []byte) ([]byte, error) {
	v, err := p.eval(ctx, "Promise.resolve("+callName+"("+string(arg)+")).then((r) => JSON.stringify(r))", true)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("running the request in the page: %w", ctx.Err())
		case p.b.gone():
			return nil, fmt.Errorf("%w: %v", engine.ErrBrowserGone, err)
		}
		return nil, fmt.Errorf("running the request in the page: %w", err)
	}
	return []byte(v.Value), nil
}

// Forget drops the browser's records about marker.
func (p *page) Forget(marker string) { p.b.rec.forget(marker) }

// Close closes the tab.
func (p *page) Close() error {
	if p.b.gone() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeWithin)
	defer cancel()
	if err := p.b.conn.call(ctx, "browsingContext.close", map[string]any{"context": p.context}, nil); err != nil {
		return fmt.Errorf("closing the tab: %w", err)
	}
	return nil
}
