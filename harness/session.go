package harness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/servers"
)

// Options configures a Session.
type Options struct {
	// Engine is the browser engine; nil means Chromium.
	Engine  engine.Engine
	Browser BrowserOptions
	Servers servers.Options
	// Timeout bounds each request of a scenario; default 5s.
	Timeout time.Duration
	// StartTimeout bounds starting a browser and opening each page (tried
	// twice); 0 means a generous budget scaled for the machine's load
	// (30s to start, 20s a page, on an idle machine; see budget.go).
	StartTimeout time.Duration
	// Jobs is how many scenarios may be in flight per page at once (see
	// schedule.go): 0 means DefaultJobs, 1 runs one at a time; at most
	// MaxJobs.
	Jobs int
}

// Session is one lab: the origins, one browser and its pages by label. Run,
// RunAll and Do may be called from several goroutines: up to Options.Jobs
// requests are in flight per page, and scenarios that share state (the
// cookie jar, see sharedState) run one at a time.
type Session struct {
	Lab *servers.Lab
	// Browser is the session's browser; Browser.Version() names it.
	Browser engine.Browser
	eng     engine.Engine
	timeout time.Duration
	// startTimeout is Options.StartTimeout.
	startTimeout time.Duration
	opt          BrowserOptions
	// blocking is a second browser that keeps the browser's third-party
	// cookie blocking, started when a scenario asks for it.
	blocking engine.Browser
	// run holds every file the browsers write; removed at Close.
	run *engine.RunDir

	// jobs is Options.Jobs; slots bound the requests in flight per page
	// for Run and Do; state serialises the scenarios that share state.
	jobs  int
	slots *pageSlots
	state stateLocks

	// launchMu is held while the browser that blocks third-party
	// cookies starts.
	launchMu sync.Mutex

	mu   sync.Mutex
	tabs map[string]*tab // nil once closed
	// opening are the tabs being opened, by key; openSlots bounds how
	// many open at once (tabOnce).
	opening   map[string]*opening
	openSlots chan struct{}
}

// Start starts the origins and the browser. Close the session when done.
func Start(ctx context.Context, opt Options) (*Session, error) {
	s, err := startLab(ctx, opt)
	if err != nil {
		return nil, err
	}
	if err := s.openFoo(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// startLab starts the lab's servers and the browser, no page open yet.
func startLab(ctx context.Context, opt Options) (*Session, error) {
	lab, err := servers.Start(ctx, opt.Servers)
	if err != nil {
		return nil, fmt.Errorf("starting the lab's servers: %w", err)
	}
	return newSession(ctx, lab, opt)
}

// newSession launches the browser for a lab; the lab is closed if it fails.
func newSession(ctx context.Context, lab *servers.Lab, opt Options) (*Session, error) {
	s := &Session{Lab: lab, eng: opt.Engine, timeout: opt.Timeout, startTimeout: opt.StartTimeout, opt: opt.Browser, tabs: map[string]*tab{}}
	if s.eng == nil {
		s.eng = defaultEngine()
	}
	if s.timeout <= 0 {
		s.timeout = 5 * time.Second
	}
	jobs, err := checkJobs(opt.Jobs)
	if err != nil {
		lab.Close()
		return nil, err
	}
	// Local Network Access: foo's and bar's twins that the browser counts
	// as local, and the twin it counts as public (lna.go).
	if err := lab.ServeLocal(ctx); err != nil {
		lab.Close()
		return nil, err
	}
	s.opt.LocalAddresses = append(slices.Clone(s.opt.LocalAddresses), lab.LocalAddresses()...)
	s.opt.PublicAddresses = append(slices.Clone(s.opt.PublicAddresses), lab.PublicAddresses()...)
	// foo's page opens first (openFoo): the browser may load it as it starts.
	s.opt.FirstPage = s.labelPage("foo").URL
	run, err := engine.NewRunDir()
	if err != nil {
		lab.Close()
		return nil, err
	}
	s.run = run
	b, err := s.launch(ctx, s.opt)
	if err != nil {
		lab.Close()
		run.Remove()
		return nil, err
	}
	s.Browser = b
	if !b.Capabilities().Concurrent {
		jobs = 1
	}
	s.jobs, s.slots = jobs, newPageSlots(jobs)
	return s, nil
}

// launch starts one browser of the session's engine, its files in a
// directory of its own inside the run directory.
func (s *Session) launch(ctx context.Context, opt BrowserOptions) (engine.Browser, error) {
	dir, err := s.run.Sub(s.eng.Name())
	if err != nil {
		return nil, err
	}
	opt.Dir = dir
	bud := newBudget("the browser-start budget", launchBase, s.startTimeout)
	lctx, cancel := context.WithTimeout(ctx, bud.D())
	defer cancel()
	b, err := s.eng.Launch(lctx, opt)
	if err != nil && ctx.Err() == nil && lctx.Err() != nil {
		return nil, fmt.Errorf("starting %s: no answer within %s: the machine may be overloaded (Options.StartTimeout sets it)", s.eng.Name(), bud)
	}
	return b, err
}

// openFoo opens foo's page now, so the first scenario does not pay for it;
// the session is closed if it fails.
func (s *Session) openFoo(ctx context.Context) error {
	if _, err := s.tab(ctx, "foo"); err != nil {
		s.Close()
		return err
	}
	return nil
}

// Close stops the browser(s) (and every process they started), lets go
// of their pages, and stops the servers.
//
// The browsers go first, side by side, and their pages with them: closed
// one by one beforehand, each page may take a driver's whole bound (for
// Chromium, chromedp waits up to 5 s to detach, 5 s to close and 0.5 s
// for a tab whose request never ends to go), and even all at once their
// renderers' shutdowns compete for the CPU. A page closed after its
// browser is only let go (engine.Page.Close).
func (s *Session) Close() error {
	s.mu.Lock()
	tabs := s.tabs
	s.tabs = nil
	blocking := s.blocking
	s.mu.Unlock()
	browsers := []engine.Browser{s.Browser}
	if blocking != nil {
		browsers = append(browsers, blocking)
	}
	errs := make([]error, len(browsers))
	var wg sync.WaitGroup
	for i, b := range browsers {
		wg.Go(func() { errs[i] = b.Close() })
	}
	wg.Wait()
	for _, t := range tabs {
		t.page.Close()
	}
	return errors.Join(append(errs, s.run.Remove(), s.Lab.Close())...)
}
