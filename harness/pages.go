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
		if err := s.originTab(ctx, label); err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if t, ok := s.tabs[label]; ok {
			return t, nil
		}
		return nil, errors.New("session is closed")
	}
	key, b, err := s.browserFor(ctx, label, block)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	t, ok := s.tabs[key]
	s.mu.Unlock()
	if ok {
		return t, nil
	}
	// Open without the lock, so tabs can open side by side (Prepare).
	t, err = s.openTab(ctx, b, label, s.labelPage(label))
	if err != nil {
		return nil, err
	}
	return s.keep(key, t)
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

// browserFor returns the key of a label's tab and the browser it lives in,
// starting the browser that blocks third-party cookies the first time one
// is asked for.
func (s *Session) browserFor(ctx context.Context, label string, block bool) (string, engine.Browser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tabs == nil {
		return "", nil, errors.New("session is closed")
	}
	if block == s.opt.BlockThirdPartyCookies {
		return label, s.Browser, nil
	}
	if s.blocking == nil {
		o := s.opt
		o.BlockThirdPartyCookies = block
		nb, err := s.launch(ctx, o)
		if err != nil {
			return "", nil, fmt.Errorf("starting a browser with third-party cookies %s: %w", map[bool]string{true: "blocked", false: "allowed"}[block], err)
		}
		s.blocking = nb
	}
	return "3pc-block|" + label, s.blocking, nil
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

// Prepare opens, side by side, the tabs the scenarios will need, so that
// the scenarios do not each pay for a page load. It is an optimisation
// only: a tab that fails to open here is opened (and its error reported)
// when its scenario runs.
func (s *Session) Prepare(ctx context.Context, list []scenarios.Scenario) {
	type need struct {
		label string
		block bool
	}
	seen := map[need]bool{}
	var needs []need
	for _, sc := range list {
		for _, st := range sc.RequestSteps() {
			n := need{st.Page, sc.ThirdPartyCookies == "block"}
			if n.label == "" {
				n.label = "foo"
			}
			if !seen[n] {
				seen[n] = true
				needs = append(needs, n)
			}
		}
	}
	sem := make(chan struct{}, 3)
	var wg sync.WaitGroup
	for _, n := range needs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			s.tabIn(ctx, n.label, n.block)
		}()
	}
	wg.Wait()
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
	sandboxed := false
	s.mu.Lock()
	for _, o := range origins {
		if o == "null" {
			_, open := s.tabs["sandboxed"]
			sandboxed = !open
		}
		if _, ok := s.tabs[o]; !ok && strings.Contains(o, "://") && !slices.Contains(todo, o) {
			todo = append(todo, o)
		}
	}
	s.mu.Unlock()
	errs := make([]error, len(todo)+1)
	var wg sync.WaitGroup
	if sandboxed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[len(todo)] = s.tab(ctx, "sandboxed")
		}()
	}
	for i, o := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t, err := s.openOriginTab(ctx, o)
			if err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = s.keep(o, t)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// originTab opens, once, a tab whose page is on a full origin.
func (s *Session) originTab(ctx context.Context, origin string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tabs == nil {
		return errors.New("session is closed")
	}
	if _, ok := s.tabs[origin]; ok {
		return nil
	}
	t, err := s.openOriginTab(ctx, origin)
	if err != nil {
		return err
	}
	s.tabs[origin] = t
	return nil
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
