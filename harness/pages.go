package harness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/scenarios"
)

// tab is an open page on one origin.
type tab struct {
	page   engine.Page
	caps   engine.Capabilities
	label  string
	origin string
}

// tab returns the tab whose page is on the label's origin, opening it once.
func (s *Session) tab(ctx context.Context, label string) (*tab, error) {
	return s.tabIn(ctx, label, false)
}

// tabIn is tab in the main browser, or in the one that blocks third-party
// cookies.
func (s *Session) tabIn(ctx context.Context, label string, block bool) (*tab, error) {
	if label == "" {
		label = "foo"
	}
	if strings.Contains(label, "://") {
		// A full origin (https://app.example.com), mapped when the session
		// started (StartFor / StartWithPages).
		if block != s.opt.BlockThirdPartyCookies {
			return nil, fmt.Errorf("page %s: third_party_cookies can only be changed for label pages", label)
		}
		return s.tabOnce(ctx, label, func(ctx context.Context) (*tab, error) { return s.openOriginTab(ctx, label) })
	}
	key := label
	if block != s.opt.BlockThirdPartyCookies {
		key = "3pc-block|" + label
	}
	return s.tabOnce(ctx, key, func(ctx context.Context) (*tab, error) {
		b, err := s.browserFor(ctx, block)
		if err != nil {
			return nil, err
		}
		return s.openTab(ctx, b, label, s.labelPage(label))
	})
}

// openAtOnce is how many pages open at a time: each new site starts a
// renderer process, CPU work that more at once on 2 cores only slows.
const openAtOnce = 3

// opening is a page being opened under a key; done is closed when t or
// err is set.
type opening struct {
	done chan struct{}
	t    *tab
	err  error
}

// tabOnce returns the tab kept under key, opening it with open if there is
// none: a caller that asks for a key being opened waits for that opening
// instead of opening another page, and at most openAtOnce pages open at a
// time. A failed opening is kept by nobody: the next caller tries again
// (once more here, if the failure came from the opener's context ending).
func (s *Session) tabOnce(ctx context.Context, key string, open func(context.Context) (*tab, error)) (*tab, error) {
	for try := 0; ; try++ {
		s.mu.Lock()
		if s.tabs == nil {
			s.mu.Unlock()
			return nil, errors.New("session is closed")
		}
		if t, ok := s.tabs[key]; ok {
			s.mu.Unlock()
			return t, nil
		}
		if s.opening == nil {
			s.opening = map[string]*opening{}
			s.openSlots = make(chan struct{}, openAtOnce)
		}
		o, waiting := s.opening[key]
		if !waiting {
			o = &opening{done: make(chan struct{})}
			s.opening[key] = o
		}
		slots := s.openSlots
		s.mu.Unlock()
		if waiting {
			select {
			case <-o.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if o.err != nil && try == 0 && ctx.Err() == nil && errors.Is(o.err, context.Canceled) {
				continue
			}
			return o.t, o.err
		}
		select {
		case slots <- struct{}{}:
			o.t, o.err = open(ctx)
			<-slots
		case <-ctx.Done():
			o.err = ctx.Err()
		}
		if o.err == nil {
			o.t, o.err = s.keep(key, o.t)
		}
		s.mu.Lock()
		delete(s.opening, key)
		s.mu.Unlock()
		close(o.done)
		return o.t, o.err
	}
}

// keep records a freshly opened tab under key, unless one is there already
// or the session closed meanwhile; it returns the tab to use.
func (s *Session) keep(key string, t *tab) (*tab, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tabs == nil {
		t.page.Close()
		return nil, errors.New("session is closed")
	}
	if existing, ok := s.tabs[key]; ok {
		t.page.Close()
		return existing, nil
	}
	s.tabs[key] = t
	return t, nil
}

// labelPage is the page to open for a lab label: the label's origin, or for
// "sandboxed" foo's page with the sandboxed frame, which runs the requests.
func (s *Session) labelPage(label string) engine.PageSpec {
	if label == "sandboxed" {
		return engine.PageSpec{URL: s.Lab.Origin("foo") + "/__corslab/sandboxed", Function: sandboxedFunc, Ready: "window.__sbReady", Frames: true}
	}
	return engine.PageSpec{URL: s.Lab.Origin(label) + "/", Function: pageFunc}
}

// browserFor returns the browser a label's tab lives in: the main one, or
// the one that blocks third-party cookies, started the first time one is
// asked for (without holding s.mu, so other pages meanwhile go on).
func (s *Session) browserFor(ctx context.Context, block bool) (engine.Browser, error) {
	if block == s.opt.BlockThirdPartyCookies {
		return s.Browser, nil
	}
	s.launchMu.Lock()
	defer s.launchMu.Unlock()
	s.mu.Lock()
	nb, closed := s.blocking, s.tabs == nil
	s.mu.Unlock()
	switch {
	case closed:
		return nil, errors.New("session is closed")
	case nb != nil:
		return nb, nil
	}
	o := s.opt
	o.BlockThirdPartyCookies = block
	nb, err := s.launch(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("starting a browser with third-party cookies %s: %w", map[bool]string{true: "blocked", false: "allowed"}[block], err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tabs == nil {
		nb.Close()
		return nil, errors.New("session is closed")
	}
	s.blocking = nb
	return nb, nil
}

// openTab opens a page in browser b within the page-opening budget, and
// tries once more when that fails: under load a first page load can stall.
func (s *Session) openTab(ctx context.Context, b engine.Browser, label string, spec engine.PageSpec) (*tab, error) {
	var errs []error
	for try := 0; try < 2; try++ {
		bud := newBudget("the page-opening budget", openBase, s.startTimeout)
		octx, cancel := context.WithTimeout(ctx, bud.D())
		p, err := b.OpenPage(octx, spec)
		timedOut := octx.Err() != nil
		cancel()
		switch {
		case err == nil:
			return &tab{page: p, caps: b.Capabilities(), label: label, origin: s.Lab.Origin(label)}, nil
		case ctx.Err() != nil || errors.Is(err, engine.ErrBrowserGone):
			return nil, err
		case timedOut:
			err = fmt.Errorf("no answer from the browser within %s", bud)
		}
		errs = append(errs, err)
	}
	if errs[0].Error() == errs[1].Error() {
		return nil, fmt.Errorf("opening the page %s, twice: %w", spec.URL, errs[1])
	}
	return nil, fmt.Errorf("opening the page %s, twice: %w", spec.URL, errors.Join(errs...))
}

// Prepare opens, side by side (openAtOnce at a time), the tabs the
// scenarios will need, so that the scenarios do not each pay for a page
// load. It is an optimisation only: a tab that fails to open here is opened
// (and its error reported) when its scenario runs.
func (s *Session) Prepare(ctx context.Context, list []scenarios.Scenario) {
	var wg sync.WaitGroup
	for _, sc := range list {
		wg.Go(func() { s.openTabs(ctx, sc) })
	}
	wg.Wait()
}

// openTabs opens the tabs of a scenario's steps that are not open yet;
// errors are left to the steps, which ask again.
func (s *Session) openTabs(ctx context.Context, sc scenarios.Scenario) {
	for _, st := range sc.RequestSteps() {
		s.stepTab(ctx, sc, st)
	}
}

// forgetEvents drops what the tabs recorded about a finished scenario, so
// the recorders stay small over a long run.
func (s *Session) forgetEvents(marker string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tabs {
		t.page.Forget(marker)
	}
}

// OpenPages opens, in parallel, the tabs of the full origins (as
// StartWithPages maps them) that are not open yet, so requests from them do
// not each pay for a page load; "null" opens the sandboxed frame's page.
// Labels are left out.
func (s *Session) OpenPages(ctx context.Context, origins []string) error {
	var todo []string
	for _, o := range origins {
		switch {
		case o == "null":
			todo = append(todo, "sandboxed")
		case strings.Contains(o, "://"):
			todo = append(todo, o)
		}
	}
	slices.Sort(todo)
	todo = slices.Compact(todo)
	errs := make([]error, len(todo))
	var wg sync.WaitGroup
	for i, o := range todo {
		wg.Go(func() { _, errs[i] = s.tab(ctx, o) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// openOriginTab opens a tab on a full origin; the driver checks the page
// landed there.
func (s *Session) openOriginTab(ctx context.Context, origin string) (*tab, error) {
	t, err := s.openTab(ctx, s.Browser, origin, engine.PageSpec{URL: origin + "/", Origin: origin, Function: pageFunc})
	if err != nil {
		return nil, fmt.Errorf("opening a page on %s: %w", origin, err)
	}
	return t, nil
}
