package webkit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/corslab/corslab/engine"
)

var _ engine.Page = (*page)(nil)

// page is one WebDriver window of the browser.
type page struct {
	b      *Browser
	handle string
}

// callName is the page's global that holds the installed request function.
const callName = "window.__corslabCall"

// callScript runs the installed function with the first argument and hands
// its result back as JSON text; a rejection comes back as {"__corslabError"}.
const callScript = `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => ` + callName + `(arguments[0])).then(
  (r) => done(JSON.stringify(r === undefined ? null : r)),
  (e) => done(JSON.stringify({__corslabError: String(e)})));`

// readyScript awaits the PageSpec's Ready expression.
const readyScript = `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => eval(arguments[0])).then(() => done(true), (e) => done(String(e)));`

// OpenPage opens a window, loads the page and installs the request
// function. WebKit resolves *.localhost to loopback by itself; it has no
// host mapping, so a page on another host of the lab (HostMap) cannot be
// opened. ctx bounds the opening.
func (b *Browser) OpenPage(ctx context.Context, spec engine.PageSpec) (engine.Page, error) {
	if err := b.reachable(spec.URL); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	handle, err := b.wd.newWindow(ctx)
	if err != nil {
		return nil, b.gone(ctx, fmt.Errorf("opening a window for %s: %w", spec.URL, err))
	}
	p := &page{b: b, handle: handle}
	if err := p.open(ctx, spec); err != nil {
		p.closeLocked(context.WithoutCancel(ctx))
		return nil, b.gone(ctx, err)
	}
	return p, nil
}

// reachable fails for a page WebKit cannot be sent to: a host that only
// the lab's host mapping would send to loopback.
func (b *Browser) reachable(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("opening the page %q: %w", raw, err)
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || host == "127.0.0.1" || host == "::1" {
		return nil
	}
	for _, m := range b.hostMap {
		if m.Host == host || m.Host == "*" {
			return fmt.Errorf("opening the page %s: WebKit has no host mapping to send %s to the lab: %w", raw, host, engine.ErrUnsupported)
		}
	}
	return nil
}

// open loads the page in the page's window (b.mu held).
func (p *page) open(ctx context.Context, spec engine.PageSpec) error {
	wd := p.b.wd
	if err := p.switchLocked(ctx); err != nil {
		return err
	}
	if err := wd.navigate(ctx, spec.URL); err != nil {
		return fmt.Errorf("loading the page %s: %w", spec.URL, err)
	}
	var ok bool
	if err := wd.execute(ctx, callName+" = "+spec.Function+"; return true;", nil, &ok); err != nil {
		return fmt.Errorf("installing the request function in %s: %w", spec.URL, err)
	}
	if spec.Ready != "" {
		var res any
		if err := wd.executeAsync(ctx, readyScript, []any{spec.Ready}, &res); err != nil {
			return fmt.Errorf("waiting for the page %s to be ready: %w", spec.URL, err)
		}
		if res != true {
			return fmt.Errorf("waiting for the page %s to be ready: %v", spec.URL, res)
		}
	}
	if spec.Origin != "" {
		var got string
		if err := wd.execute(ctx, "return location.origin;", nil, &got); err != nil {
			return fmt.Errorf("reading the origin of the page %s: %w", spec.URL, err)
		}
		if got != spec.Origin {
			return fmt.Errorf("the page meant for %s landed on %s", spec.Origin, got)
		}
	}
	return nil
}

// gone marks err as the browser's end when the browser no longer answers.
func (b *Browser) gone(ctx context.Context, err error) error {
	if ctx.Err() != nil || !isNoSession(err) && b.browserRuns() {
		return err
	}
	return fmt.Errorf("%w: %v", engine.ErrBrowserGone, err)
}

// browserRuns says whether MiniBrowser still runs: a process of this
// browser's other than the driver and Xvfb. (The driver answers "unknown
// error" when MiniBrowser died under a command.)
func (b *Browser) browserRuns() bool {
	for _, pid := range processesIn(b.files.home) {
		if pid != b.driver.Process.Pid && pid != b.xvfb.Process.Pid {
			return true
		}
	}
	return false
}

// switchLocked makes the page's window current (b.mu held).
func (p *page) switchLocked(ctx context.Context) error {
	if p.b.current == p.handle {
		return nil
	}
	if err := p.b.wd.switchTo(ctx, p.handle); err != nil {
		return fmt.Errorf("switching to the page's window: %w", err)
	}
	p.b.current = p.handle
	return nil
}

// Call runs the installed function with arg in the page's window.
func (p *page) Call(ctx context.Context, arg []byte) ([]byte, error) {
	var v any
	if err := json.Unmarshal(arg, &v); err != nil {
		return nil, fmt.Errorf("the request's argument is not JSON: %w", err)
	}
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	if err := p.switchLocked(ctx); err != nil {
		return nil, p.b.gone(ctx, err)
	}
	var res string
	if err := p.b.wd.executeAsync(ctx, callScript, []any{v}, &res); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("running the request in the page: %w", ctx.Err())
		}
		return nil, p.b.gone(ctx, fmt.Errorf("running the request in the page: %w", err))
	}
	var failed struct {
		Err *string `json:"__corslabError"`
	}
	if json.Unmarshal([]byte(res), &failed) == nil && failed.Err != nil {
		return nil, fmt.Errorf("the page's function threw: %s", *failed.Err)
	}
	return []byte(res), nil
}

// Watch begins a watch. WebKit under WebDriver reports nothing about
// requests, so a watch's view is always empty: what is known of the
// request comes from the page and from bar's journal.
func (p *page) Watch(marker string) engine.Watch { return watch{} }

// Forget has nothing to drop: the driver records nothing.
func (p *page) Forget(marker string) {}

// Close closes the page's window.
func (p *page) Close() error {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	return p.closeLocked(context.Background())
}

func (p *page) closeLocked(ctx context.Context) error {
	if p.b.wd.session == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, closeWithin)
	defer cancel()
	if err := p.switchLocked(ctx); err != nil {
		return err
	}
	p.b.current = ""
	if err := p.b.wd.closeWindow(ctx); err != nil {
		return fmt.Errorf("closing the page's window: %w", err)
	}
	// WebDriver opens a window only from a current one: go back to the
	// first window, which no page uses.
	if err := p.b.wd.switchTo(ctx, p.b.first); err != nil {
		return fmt.Errorf("switching back to the first window: %w", err)
	}
	p.b.current = p.b.first
	return nil
}

// errNoJar says why the jar is out of reach.
var errNoJar = fmt.Errorf("WebKitWebDriver reaches only the current document's cookies, not the jar: %w", engine.ErrUnsupported)

// SetCookie is not supported (Capabilities.Cookies is false).
func (p *page) SetCookie(ctx context.Context, url, setCookie string) error { return errNoJar }

// ClearCookies is not supported (Capabilities.Cookies is false).
func (p *page) ClearCookies(ctx context.Context) error { return errNoJar }

// Cookies is not supported (Capabilities.Cookies is false).
func (p *page) Cookies(ctx context.Context, url string) ([]string, error) { return nil, errNoJar }

// watch is an empty watch.
type watch struct{}

// Settle returns at once: there are no browser events to wait for.
func (watch) Settle(ctx context.Context, hint engine.Hint) engine.View { return engine.View{} }
