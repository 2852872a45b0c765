package chromium

import (
	"context"
	"fmt"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
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

// OpenPage opens a tab, records its events from the start, loads the page
// and installs the request function. ctx bounds the opening; the tab lives
// until Close.
func (b *Browser) OpenPage(ctx context.Context, spec engine.PageSpec) (engine.Page, error) {
	var opts []chromedp.ContextOption
	if id := b.claimInitialTab(); id != "" {
		opts = append(opts, chromedp.WithTargetID(id))
	}
	tctx, cancel := chromedp.NewContext(b.ctx, opts...)
	p := &page{ctx: tctx, cancel: cancel, rec: newRecorder()}
	done := make(chan error, 1)
	go func() { done <- p.open(spec) }()
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

func (p *page) open(spec engine.PageSpec) error {
	if err := chromedp.Do(p.ctx); err != nil {
		return fmt.Errorf("opening a tab: %w", err)
	}
	p.rec.subscribe(p.ctx, chromedp.FromContext(p.ctx).Target)
	// chromedp enables Network, Log and Runtime; Audits carries the CORS issues.
	if _, err := chromedp.Call(p.ctx, audits.Enable, cdp.Empty{}); err != nil {
		return fmt.Errorf("enabling the Audits domain: %w", err)
	}
	if err := chromedp.Do(p.ctx, chromedp.Navigate(spec.URL)); err != nil {
		return fmt.Errorf("loading the page %s: %w", spec.URL, err)
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
