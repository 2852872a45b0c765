package chromium

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/corslab/corslab/engine"
)

var _ engine.Page = (*page)(nil)

// page is one tab with its event recorder.
type page struct {
	ctx    context.Context // the tab's chromedp context
	cancel context.CancelFunc
	rec    *recorder
}

// callName is the page's global that holds the installed request function.
const callName = "window.__corslabCall"

// OpenPage opens a tab, records its events, loads the page and installs
// the request function. ctx bounds the opening; the tab lives until Close.
//
// The tab is created at the page's URL, or is the one Chromium started
// with (at LaunchOptions.FirstPage), rather than created at about:blank
// and then navigated: the blank document's renderer would start for
// nothing (~60 ms of CPU a page, README Speed). So the page's own load is
// not recorded, or only in part; no scenario's request is part of it.
func (b *Browser) OpenPage(ctx context.Context, spec engine.PageSpec) (engine.Page, error) {
	id, loading := b.claimInitialTab(spec.URL)
	if id == "" {
		var err error
		if id, err = b.createTab(ctx, spec.URL); err != nil {
			return nil, err
		}
		loading = true
	}
	p, err := b.openIn(ctx, spec, id, loading)
	if errors.As(err, new(attachError)) && ctx.Err() == nil && b.ctx.Err() == nil {
		// A page that failed to load before its tab was attached shows an
		// error page, which chromedp cannot attach to (it has no execution
		// context): a blank tab navigated to the page says why it failed.
		return b.openIn(ctx, spec, "", false)
	}
	return p, err
}

// attachError is a failure to attach to a tab.
type attachError struct{ err error }

func (e attachError) Error() string { return "opening a tab: " + e.err.Error() }
func (e attachError) Unwrap() error { return e.err }

// openIn opens the page in the tab id, or in a new blank tab (chromedp's)
// when id is empty.
func (b *Browser) openIn(ctx context.Context, spec engine.PageSpec, id target.ID, loading bool) (*page, error) {
	var opts []chromedp.ContextOption
	if id != "" {
		opts = append(opts, chromedp.WithTargetID(id))
	}
	// The context attaches to the tab, and closes it when cancelled.
	tctx, cancel := chromedp.NewContext(b.ctx, opts...)
	p := &page{ctx: tctx, cancel: cancel, rec: newRecorder()}
	done := make(chan error, 1)
	go func() { done <- p.open(spec, loading) }()
	select {
	case err := <-done:
		if err != nil {
			cancel()
			if b.ctx.Err() != nil {
				return nil, fmt.Errorf("opening the page %s: %w", spec.URL, engine.ErrBrowserGone)
			}
			return nil, err
		}
		return p, nil
	case <-ctx.Done():
		cancel()
		return nil, fmt.Errorf("opening the page %s: %w", spec.URL, ctx.Err())
	}
}

// createTab creates a tab loading url, in a window of its own as chromedp
// makes them: a tab that shares a window is hidden, and a hidden page's
// timers are slowed.
func (b *Browser) createTab(ctx context.Context, url string) (target.ID, error) {
	cctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	newWindow := true
	res, err := chromedp.CallBrowser(cctx, target.CreateTarget, target.CreateTargetParams{URL: url, NewWindow: &newWindow})
	switch {
	case err == nil:
		return res.TargetID, nil
	case ctx.Err() != nil:
		return "", fmt.Errorf("opening the page %s: %w", url, ctx.Err())
	case b.ctx.Err() != nil:
		return "", fmt.Errorf("opening the page %s: %w", url, engine.ErrBrowserGone)
	}
	return "", fmt.Errorf("opening a tab for %s: %w", url, err)
}

// open attaches to the tab, makes sure spec.URL is loaded in it (loading:
// it was asked for already), records its events and installs the request
// function.
func (p *page) open(spec engine.PageSpec, loading bool) error {
	if err := chromedp.Do(p.ctx); err != nil {
		return attachError{err}
	}
	p.rec.subscribe(p.ctx, chromedp.FromContext(p.ctx).Target)
	// chromedp enables Network, Log and Runtime; Audits carries the CORS issues.
	if _, err := chromedp.Call(p.ctx, audits.Enable, cdp.Empty{}); err != nil {
		return fmt.Errorf("enabling the Audits domain: %w", err)
	}
	load := p.navigate
	if loading {
		load = p.awaitLoad
	}
	if err := load(spec.URL); err != nil {
		return err
	}
	// Installed once, so each request sends only its argument.
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](callName+" = "+spec.Function+"; true")); err != nil {
		return fmt.Errorf("installing the request function in %s: %w", spec.URL, err)
	}
	if spec.Ready != "" {
		if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`Promise.resolve(`+spec.Ready+`).then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
			return fmt.Errorf("waiting for the page %s to be ready: %w", spec.URL, err)
		}
	}
	if spec.Frames {
		if err := p.attachFrame(); err != nil {
			return err
		}
	}
	if spec.Origin != "" {
		got, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`location.origin`))
		if err != nil {
			return fmt.Errorf("reading the origin of the page %s: %w", spec.URL, err)
		}
		if got != spec.Origin {
			return fmt.Errorf("the page meant for %s landed on %s", spec.Origin, got)
		}
	}
	return nil
}

// navigate loads url in the tab.
func (p *page) navigate(url string) error {
	if err := chromedp.Do(p.ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("loading the page %s: %w", url, err)
	}
	return nil
}

// loadedHref resolves, once the tab's document has loaded, to its URL.
const loadedHref = `new Promise((r) => {
  const done = () => r(location.href);
  if (document.readyState === 'complete') done(); else addEventListener('load', done, {once: true});
})`

// awaitLoad waits for a tab created at url to have loaded it. Until its
// navigation commits, the tab's document is the initial about:blank; a
// wait begun in it ends with an error when the page replaces it, and is
// begun again. Only the tab's context (OpenPage's ctx) bounds it: under
// load a commit can take seconds.
func (p *page) awaitLoad(url string) error {
	var last error
	for {
		href, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](loadedHref, chromedp.EvalAwaitPromise))
		switch {
		case p.ctx.Err() != nil:
			if last != nil {
				return fmt.Errorf("loading the page %s: %w (last: %v)", url, p.ctx.Err(), last)
			}
			return fmt.Errorf("loading the page %s: %w", url, p.ctx.Err())
		case err != nil:
			last = err
		case strings.HasPrefix(href, "chrome-error:"):
			// It failed to load: navigating says why (net::ERR_...).
			return p.navigate(url)
		case href != "about:blank":
			return nil
		}
		select {
		case <-p.ctx.Done():
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// attachFrame records the events of the sandboxed frame too: Chromium runs
// an opaque-origin frame in its own process (an out-of-process iframe), whose
// network events do not reach the page's target.
func (p *page) attachFrame() error {
	infos, err := chromedp.Targets(p.ctx)
	if err != nil {
		return fmt.Errorf("listing targets for the sandboxed frame: %w", err)
	}
	for _, info := range infos {
		if info.Type != "iframe" || info.URL != "about:srcdoc" {
			continue
		}
		fctx, _ := chromedp.NewContext(p.ctx, chromedp.WithTargetID(info.TargetID))
		if err := chromedp.Do(fctx); err != nil {
			return fmt.Errorf("attaching to the sandboxed frame: %w", err)
		}
		p.rec.subscribe(fctx, chromedp.FromContext(fctx).Target)
		if _, err := chromedp.Call(fctx, audits.Enable, cdp.Empty{}); err != nil {
			return fmt.Errorf("enabling Audits in the sandboxed frame: %w", err)
		}
		return nil
	}
	// No separate target: the frame shares the page's process and events.
	return nil
}

// Call runs the installed function with arg. The evaluation is bound to the
// tab (chromedp needs its context) and ends when ctx does.
func (p *page) Call(ctx context.Context, arg []byte) ([]byte, error) {
	rctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	res, err := chromedp.Run(rctx, chromedp.Evaluate[[]byte](callName+"("+string(arg)+")", chromedp.EvalAwaitPromise))
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("running the request in the page: %w", ctx.Err())
		case p.ctx.Err() != nil:
			return nil, fmt.Errorf("%w: %v", engine.ErrBrowserGone, err)
		}
		return nil, fmt.Errorf("running the request in the page: %w", err)
	}
	return res, nil
}

// Forget drops the tab's records about marker.
func (p *page) Forget(marker string) { p.rec.forget(marker) }

// Close closes the tab.
func (p *page) Close() error {
	p.cancel()
	return nil
}
