package harness

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// Options configures a Session.
type Options struct {
	Browser BrowserOptions
	Servers servers.Options
	// Timeout bounds each request of a scenario; default 5s.
	Timeout time.Duration
}

// Session is one lab: the origins, one Chromium and its tabs. Run scenarios
// on it one at a time; it is not safe for concurrent Run calls.
type Session struct {
	Lab     *servers.Lab
	Browser *Browser
	timeout time.Duration
	opt     BrowserOptions
	// blocking is a second browser that keeps Chromium's third-party cookie
	// blocking, started when a scenario asks for it.
	blocking *Browser

	mu   sync.Mutex
	tabs map[string]*tab
}

type tab struct {
	ctx    context.Context
	cancel context.CancelFunc
	rec    *recorder
	label  string
	origin string
}

// Start starts the origins and the browser. Close the session when done.
func Start(ctx context.Context, opt Options) (*Session, error) {
	lab, err := servers.Start(ctx, opt.Servers)
	if err != nil {
		return nil, fmt.Errorf("starting the lab's servers: %w", err)
	}
	s, err := newSession(ctx, lab, opt)
	if err != nil {
		return nil, err
	}
	if err := s.openFoo(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// newSession launches the browser for a lab; the lab is closed if it fails.
func newSession(ctx context.Context, lab *servers.Lab, opt Options) (*Session, error) {
	b, err := Launch(ctx, opt.Browser)
	if err != nil {
		lab.Close()
		return nil, err
	}
	s := &Session{Lab: lab, Browser: b, timeout: opt.Timeout, opt: opt.Browser, tabs: map[string]*tab{}}
	if s.timeout <= 0 {
		s.timeout = 5 * time.Second
	}
	return s, nil
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

// Close stops the browser (and every process it started) and the servers.
func (s *Session) Close() error {
	s.mu.Lock()
	for _, t := range s.tabs {
		t.cancel()
	}
	s.tabs = nil
	blocking := s.blocking
	s.mu.Unlock()
	err := s.Browser.Close()
	if blocking != nil {
		err = errors.Join(err, blocking.Close())
	}
	return errors.Join(err, s.Lab.Close())
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
	pageURL := s.Lab.Origin(label) + "/"
	if label == "sandboxed" {
		pageURL = s.Lab.Origin("foo") + "/__corslab/sandboxed"
	}
	tctx, cancel := chromedp.NewContext(b.Context())
	t = &tab{ctx: tctx, cancel: cancel, rec: newRecorder(), label: label, origin: s.Lab.Origin(label)}
	if err := s.openTab(ctx, t, pageURL); err != nil {
		cancel()
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tabs == nil {
		cancel()
		return nil, errors.New("session is closed")
	}
	if existing, ok := s.tabs[key]; ok {
		cancel()
		return existing, nil
	}
	s.tabs[key] = t
	return t, nil
}

// browserFor returns the key of a label's tab and the browser it lives in,
// starting the browser that blocks third-party cookies the first time one
// is asked for.
func (s *Session) browserFor(ctx context.Context, label string, block bool) (string, *Browser, error) {
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
		nb, err := Launch(ctx, o)
		if err != nil {
			return "", nil, fmt.Errorf("starting a browser with third-party cookies %s: %w", map[bool]string{true: "blocked", false: "allowed"}[block], err)
		}
		s.blocking = nb
	}
	return "3pc-block|" + label, s.blocking, nil
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

func (s *Session) openTab(ctx context.Context, t *tab, pageURL string) error {
	done := make(chan error, 1)
	go func() {
		if err := chromedp.Do(t.ctx); err != nil {
			done <- fmt.Errorf("opening a tab: %w", err)
			return
		}
		c := chromedp.FromContext(t.ctx)
		t.rec.subscribe(t.ctx, c.Target)
		// chromedp enables Network, Log and Runtime; Audits carries the CORS issues.
		if _, err := chromedp.Call(t.ctx, audits.Enable, cdp.Empty{}); err != nil {
			done <- fmt.Errorf("enabling the Audits domain: %w", err)
			return
		}
		if err := chromedp.Do(t.ctx, chromedp.Navigate(pageURL)); err != nil {
			done <- fmt.Errorf("loading the page %s: %w", pageURL, err)
			return
		}
		if _, err := chromedp.Run(t.ctx, chromedp.Evaluate[bool](installExpression)); err != nil {
			done <- fmt.Errorf("installing the request function in %s: %w", pageURL, err)
			return
		}
		if t.label == "sandboxed" {
			if _, err := chromedp.Run(t.ctx, chromedp.Evaluate[bool](`window.__sbReady.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
				done <- fmt.Errorf("waiting for the sandboxed frame: %w", err)
				return
			}
			if err := s.attachFrame(t); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("opening the page %s: %w", pageURL, ctx.Err())
	case <-time.After(15 * time.Second):
		return fmt.Errorf("opening the page %s: no answer from the browser within 15s", pageURL)
	}
}

// forgetEvents drops what the tabs recorded about a finished scenario, so
// the recorders stay small over a long run.
func (s *Session) forgetEvents(marker string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tabs {
		t.rec.forget(marker)
	}
}

// attachFrame records the events of the sandboxed frame too: Chromium runs
// an opaque-origin frame in its own process (an out-of-process iframe), whose
// network events do not reach the page's target.
func (s *Session) attachFrame(t *tab) error {
	infos, err := chromedp.Targets(t.ctx)
	if err != nil {
		return fmt.Errorf("listing targets for the sandboxed frame: %w", err)
	}
	for _, info := range infos {
		if info.Type != "iframe" || info.URL != "about:srcdoc" {
			continue
		}
		fctx, _ := chromedp.NewContext(t.ctx, chromedp.WithTargetID(info.TargetID))
		if err := chromedp.Do(fctx); err != nil {
			return fmt.Errorf("attaching to the sandboxed frame: %w", err)
		}
		t.rec.subscribe(fctx, chromedp.FromContext(fctx).Target)
		if _, err := chromedp.Call(fctx, audits.Enable, cdp.Empty{}); err != nil {
			return fmt.Errorf("enabling Audits in the sandboxed frame: %w", err)
		}
		return nil
	}
	// No separate target: the frame shares the page's process and events.
	return nil
}

// Run runs every step of a scenario and returns the verdict. Errors of the
// harness (timeouts, a dead browser) give the verdict "error".
func (s *Session) Run(ctx context.Context, sc scenarios.Scenario) Result {
	start := time.Now()
	res := Result{Scenario: sc}
	prefix := s.Lab.Register(sc.Name, sc.Server)
	defer s.Lab.Forget(prefix)
	defer s.forgetEvents(prefix + "/")
	cookies := usesCookies(sc)
	if cookies {
		if err := s.prepareCookies(ctx, sc, prefix); err != nil {
			res.Verdict, res.Error = Error, err.Error()
			return res
		}
		defer s.clearJar(ctx, sc)
	}
	for i, st := range sc.RequestSteps() {
		if d := st.After.D(); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		sr := StepResult{Expect: st.Expect}
		s.Lab.Configure(prefix, sc.StepServer(st))
		obs, err := s.runStep(ctx, prefix, sc, st, cookies)
		if err != nil {
			sr.Error = err.Error()
			if len(sc.Steps) > 0 {
				sr.Error = fmt.Sprintf("step %d: %s", i+1, sr.Error)
			}
		}
		sr.Observed = obs
		if obs != nil && err == nil {
			sr.Mismatches = Compare(s.ExpandExpect(st.Expect), obs)
		}
		res.Steps = append(res.Steps, sr)
		if err != nil {
			break
		}
	}
	res.Duration = time.Since(start)
	res.Verdict = Pass
	for i, sr := range res.Steps {
		for _, m := range sr.Mismatches {
			if len(res.Steps) > 1 {
				m = fmt.Sprintf("step %d: %s", i+1, m)
			}
			res.Mismatches = append(res.Mismatches, m)
		}
		if sr.Error != "" && res.Error == "" {
			res.Error = sr.Error
		}
	}
	switch {
	case res.Error != "":
		res.Verdict = Error
	case len(res.Mismatches) > 0:
		res.Verdict = Fail
	}
	return res
}

// RunAll runs scenarios in order, calling progress (if not nil) before each.
// It stops early only when ctx ends; the scenarios not run are left out.
func (s *Session) RunAll(ctx context.Context, list []scenarios.Scenario, progress func(i int, sc scenarios.Scenario)) []Result {
	s.Prepare(ctx, list)
	out := make([]Result, 0, len(list))
	for i, sc := range list {
		if ctx.Err() != nil {
			break
		}
		if progress != nil {
			progress(i, sc)
		}
		out = append(out, s.Run(ctx, sc))
	}
	return out
}

// ExpandExpect replaces the placeholders {foo}, {bar}, {baz} and
// {label:NAME} in an expectation's text fields with this lab's origins.
func (s *Session) ExpandExpect(e scenarios.Expect) scenarios.Expect {
	x := func(v string) string { return s.Lab.Expand(v, "") }
	xp := func(p *string) *string {
		if p == nil {
			return nil
		}
		v := x(*p)
		return &v
	}
	e.FailedParameter = xp(e.FailedParameter)
	e.Body = xp(e.Body)
	e.Console = x(e.Console)
	expandMap := func(m map[string]string) map[string]string {
		if m == nil {
			return nil
		}
		out := make(map[string]string, len(m))
		for k, v := range m {
			out[k] = x(v)
		}
		return out
	}
	e.ServerReceived = expandMap(e.ServerReceived)
	e.PreflightReceived = expandMap(e.PreflightReceived)
	e.JSError = x(e.JSError)
	return e
}

func usesCookies(sc scenarios.Scenario) bool {
	if len(sc.Cookies) > 0 || sc.ThirdPartyCookies != "" {
		return true
	}
	for _, st := range sc.RequestSteps() {
		if st.Request.Credentials == "include" || st.Expect.CookiesSent != nil || st.Expect.CookieSet != nil {
			return true
		}
	}
	return false
}

// prepareCookies empties the jar and puts the scenario's cookies in it, for
// bar or the host each names, whatever the first step's target.
func (s *Session) prepareCookies(ctx context.Context, sc scenarios.Scenario, prefix string) error {
	steps := sc.RequestSteps()
	t, err := s.tabIn(ctx, steps[0].Page, sc.ThirdPartyCookies == "block")
	if err != nil {
		return err
	}
	if err := clearCookies(ctx, t); err != nil {
		return err
	}
	for _, c := range sc.Cookies {
		if err := setCookie(ctx, t, s.Lab.Origin(c.Label())+prefix+"/", c.SetCookie); err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) clearJar(ctx context.Context, sc scenarios.Scenario) {
	if t, err := s.tabIn(ctx, sc.RequestSteps()[0].Page, sc.ThirdPartyCookies == "block"); err == nil {
		clearCookies(context.WithoutCancel(ctx), t)
	}
}

// targetURL builds the URL of a step's request on the scenario's unique path.
func (s *Session) targetURL(prefix string, r scenarios.Request) string {
	d := r.WithDefaults()
	if strings.Contains(d.Target, "://") {
		return externalURL(d.Target, prefix, d.Path)
	}
	return s.Lab.Origin(d.Target) + prefix + d.Path
}

func (s *Session) runStep(ctx context.Context, prefix string, sc scenarios.Scenario, st scenarios.Step, cookies bool) (*Observation, error) {
	t, err := s.tabIn(ctx, st.Page, sc.ThirdPartyCookies == "block")
	if err != nil {
		return nil, err
	}
	r := st.Request
	d := r.WithDefaults()
	method := d.Method
	preq := pageRequest{URL: s.targetURL(prefix, r), Method: method, Credentials: r.Credentials, Mode: r.Mode, Redirect: r.Redirect, API: d.API, Headers: [][2]string{}}
	for _, h := range r.Headers {
		for _, v := range h.Values {
			preq.Headers = append(preq.Headers, [2]string{h.Name, v})
		}
	}
	if r.Body != "" {
		b := r.Body
		preq.Body = &b
	}
	expr, err := pageExpression(preq, t.label == "sandboxed")
	if err != nil {
		return nil, err
	}
	marker := prefix + "/"
	before := t.rec.matching(marker)
	seen := map[string]bool{}
	for _, n := range before.requests {
		seen[n.ID] = true
	}
	journalBefore := len(s.Lab.Journal(prefix))

	obs := &Observation{Page: t.origin, URL: preq.URL}
	var jarBefore []string
	if cookies {
		if jarBefore, err = jar(ctx, t, preq.URL); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	rctx, cancel := context.WithTimeout(t.ctx, s.timeout)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	res, err := chromedp.Run(rctx, chromedp.Evaluate[pageResult](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		obs.Requests = s.Lab.Journal(prefix)[journalBefore:]
		obs.ReachedServer = reached(obs.Requests)
		if lerr := servers.ServerLayerError(obs.Requests); lerr != nil {
			return obs, lerr
		}
		switch {
		case ctx.Err() != nil:
			return obs, fmt.Errorf("interrupted: %w", ctx.Err())
		case t.ctx.Err() != nil:
			return obs, fmt.Errorf("the browser went away (crashed or was killed): %w", err)
		case errors.Is(err, context.DeadlineExceeded) || rctx.Err() != nil:
			return obs, fmt.Errorf("timed out after %s waiting for the request to settle (the server never answered?)", s.timeout)
		}
		return obs, fmt.Errorf("running the request in the page: %w", err)
	}
	jsDone := time.Now()

	// Settle: CDP events usually arrive before the JS result, not always.
	opaque := res.Type == "opaque" || res.Type == "opaqueredirect"
	snap := t.rec.wait(ctx, marker, jsDone.Add(2*time.Second), func(sn snapshot) bool {
		var fresh []*netRequest
		for _, n := range sn.requests {
			if !seen[n.ID] {
				fresh = append(fresh, n)
			}
		}
		if len(fresh) == 0 {
			// A request the browser refused before the network (e.g. DELETE in
			// no-cors) has no events at all; one that reached a server must
			// have some, so wait for them.
			if len(s.Lab.Journal(prefix)) > journalBefore {
				return false
			}
			if !res.OK && !strings.Contains(res.Error, "Failed to fetch") && res.Name != "NetworkError" {
				// An API error ("'DELETE' is unsupported in no-cors mode"),
				// thrown before anything reached the network.
				return true
			}
			return !res.OK && time.Since(jsDone) > 100*time.Millisecond
		}
		// Every request bar's journal shows must also have been seen by the
		// browser's events (they come on separate subscriptions, so a late
		// kind is possible).
		var sawPreflight, sawWire bool
		for _, n := range fresh {
			if n.isPreflight() {
				sawPreflight = true
			} else if len(n.WireReq) > 0 {
				sawWire = true
			}
		}
		for _, e := range s.Lab.Journal(prefix)[journalBefore:] {
			if (e.Preflight && !sawPreflight) || (!e.Preflight && !sawWire) {
				return false
			}
		}
		// The page's own request must be among them: with the preflight
		// alone the browser's verdict (loadingFailed) may still be on its way.
		var actual *netRequest
		for _, n := range fresh {
			if !n.isPreflight() {
				actual = n
				break
			}
		}
		if actual == nil {
			return false
		}
		if !res.OK && actual.Failed == nil {
			return false
		}
		failedCORS := false
		for _, n := range fresh {
			if !n.terminal() && !(opaque && n.Final != nil) && !(res.OK && n.isPreflight() && n.Final != nil) {
				return false
			}
			if n.Failed != nil && n.Failed.CorsErrorStatus != nil {
				failedCORS = true
			}
		}
		if time.Since(jsDone) >= 400*time.Millisecond {
			return true
		}
		if res.OK {
			// Chromium also logs an error status (>= 400) it received.
			if !anyErrorStatus(fresh) {
				return true
			}
			return len(sn.console) > len(before.console)
		}
		// Chromium logs a failed request to the console; give it a moment.
		for _, c := range sn.console[len(before.console):] {
			if !failedCORS || (c.Source == "javascript" && strings.Contains(c.Text, "CORS")) {
				return true
			}
		}
		return !anyFailed(fresh)
	})
	newConsole := snap.console[len(before.console):]
	var fresh []*netRequest
	for _, n := range snap.requests {
		if !seen[n.ID] {
			fresh = append(fresh, n)
		}
	}
	obs.Requests = s.Lab.Journal(prefix)[journalBefore:]
	if err := servers.ServerLayerError(obs.Requests); err != nil {
		// bar's server layer answered on its own: nothing here is CORS.
		return obs, err
	}
	fillFromPage(obs, res)
	fillFromBrowser(obs, fresh, newConsole, snap.issues)
	obs.ReachedServer = reached(obs.Requests)
	for _, e := range obs.Requests {
		if e.Preflight {
			obs.Preflight = true
		}
	}
	if !obs.FromCache && !obs.ReachedServer && answeredByBrowser(obs) {
		// A response was evaluated, yet no request went on the wire and no
		// server received one: it came from Chromium's HTTP cache, which
		// reports a disk-cache hit of a blocked response with no event.
		obs.FromCache = true
	}
	// What the server received wins; the browser's own account (CDP) stays
	// only for a server outside the lab, which has no journal.
	if a := obs.ActualEntry(); a != nil {
		obs.CookiesSent = cookiesOf(a.Headers.Get("Cookie"))
	}
	if cookies {
		after, err := jar(ctx, t, preq.URL)
		if err != nil {
			return nil, err
		}
		obs.Jar = after
		old := map[string]bool{}
		for _, c := range jarBefore {
			old[c] = true
		}
		for _, c := range after {
			if !old[c] {
				obs.CookieSet = true
			}
		}
	}
	if !obs.Preflight && obs.ReachedServer && r.Mode != "no-cors" && !sameOrigin(t.origin, preq.URL) && NeedsPreflight(method, r.Headers) {
		obs.PreflightCached = true
	}
	obs.Duration = time.Since(start)
	return obs, nil
}

// responseStageErrors are the CORS errors Chromium reports after it got a
// response to the actual request.
var responseStageErrors = map[string]bool{
	"MissingAllowOriginHeader": true, "MultipleAllowOriginValues": true, "InvalidAllowOriginValue": true,
	"AllowOriginMismatch": true, "InvalidAllowCredentials": true, "WildcardOriginNotAllowed": true,
}

// answeredByBrowser reports whether the page's request got a response
// (allowed, or blocked on the response's headers) while nothing of the
// actual request was seen on the wire.
func answeredByBrowser(o *Observation) bool {
	if o.Outcome != scenarios.OutcomeAllowed && !responseStageErrors[o.CorsError] {
		return false
	}
	if o.ResponseType == "opaque" || o.ResponseType == "opaqueredirect" {
		return false
	}
	sawRequest := false
	for _, m := range o.Exchange {
		if m.Kind == "request" {
			sawRequest = true
			if m.Wire {
				return false
			}
		}
	}
	return sawRequest
}

func anyErrorStatus(reqs []*netRequest) bool {
	for _, n := range reqs {
		if n.Final != nil && n.Final.Status >= 400 {
			return true
		}
	}
	return false
}

func anyFailed(reqs []*netRequest) bool {
	for _, n := range reqs {
		if n.Failed != nil {
			return true
		}
	}
	return false
}

func sameOrigin(origin, rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	return origin == u.Scheme+"://"+u.Host
}

func reached(entries []servers.Entry) bool {
	for _, e := range entries {
		if !e.Preflight {
			return true
		}
	}
	return false
}

func fillFromPage(o *Observation, r pageResult) {
	o.ReadableHeaders = map[string]string{}
	if !r.OK {
		o.Outcome = scenarios.OutcomeBlocked
		o.JSError = r.Error
		return
	}
	o.Outcome = scenarios.OutcomeAllowed
	o.Status = r.Status
	o.StatusText = r.StatusText
	o.ResponseType = r.Type
	o.Body = r.Body
	o.Redirected = r.Redirected
	for _, h := range r.Headers {
		if prev, ok := o.ReadableHeaders[h[0]]; ok {
			o.ReadableHeaders[h[0]] = prev + ", " + h[1]
			continue
		}
		o.ReadableHeaders[h[0]] = h[1]
	}
}

func fillFromBrowser(o *Observation, reqs []*netRequest, console []consoleEntry, issues []evIssueAdded) {
	var actual *netRequest
	for _, n := range reqs {
		if n.isPreflight() {
			o.Preflight = true
		} else if actual == nil {
			actual = n
		}
	}
	// The messages, in the order they went out: preflight before its request.
	for _, n := range reqs {
		if n.isPreflight() {
			o.Exchange = append(o.Exchange, messages(n, "preflight request", "preflight response")...)
		}
	}
	if actual != nil {
		o.Exchange = append(o.Exchange, messages(actual, "request", "response")...)
		o.FromCache = actual.Cached || (actual.Final != nil && actual.Final.FromCache)
		if f := actual.Failed; f != nil {
			o.NetError = f.ErrorText
			if f.CorsErrorStatus != nil {
				o.CorsError = f.CorsErrorStatus.CorsError
				o.FailedParameter = f.CorsErrorStatus.FailedParameter
			}
		}
		for _, w := range actual.WireReq {
			for _, c := range w.Associated {
				if len(c.BlockedReasons) == 0 {
					o.CookiesSent = append(o.CookiesSent, c.Cookie.Name+"="+c.Cookie.Value)
				}
			}
		}
		for _, w := range actual.WireResp {
			for _, b := range w.BlockedCookies {
				o.CookiesBlocked = append(o.CookiesBlocked, b.CookieLine+" ("+strings.Join(b.BlockedReasons, ", ")+")")
			}
		}
	}
	if o.CorsError == "" {
		for _, n := range reqs {
			if n.Failed != nil && n.Failed.CorsErrorStatus != nil {
				o.CorsError = n.Failed.CorsErrorStatus.CorsError
				o.FailedParameter = n.Failed.CorsErrorStatus.FailedParameter
				break
			}
		}
	}
	for _, is := range issues {
		d := is.Issue.Details.Cors
		if d == nil {
			continue
		}
		if o.CorsError == "" && !d.IsWarning {
			o.CorsError = d.CorsErrorStatus.CorsError
			o.FailedParameter = d.CorsErrorStatus.FailedParameter
		}
		if d.IsWarning {
			o.Issues = append(o.Issues, "CorsIssue warning: "+d.CorsErrorStatus.CorsError)
		}
	}
	for _, c := range console {
		if c.Source == "javascript" && c.Level == "error" {
			o.Console = c.Text
			break
		}
	}
	if o.Console == "" {
		for _, c := range console {
			if c.Level == "error" {
				o.Console = c.Text
				break
			}
		}
	}
}

// messages turns one request id's events into wire messages, hop by hop.
func messages(n *netRequest, reqKind, respKind string) []Message {
	var out []Message
	for i, sent := range n.Sent {
		req := Message{Kind: reqKind, URL: sent.URL, Wire: i < len(n.WireReq)}
		u, _ := url.Parse(sent.URL)
		target := sent.URL
		if u != nil {
			target = u.RequestURI()
		}
		req.Line = sent.Method + " " + target + " HTTP/1.1"
		if i < len(n.WireReq) {
			req.Headers = sortedHeaders(n.WireReq[i].Headers)
		} else {
			req.Headers = sortedHeaders(sent.Headers)
		}
		out = append(out, req)
		var resp *Message
		switch {
		case i < len(n.WireResp):
			w := n.WireResp[i]
			resp = &Message{Status: w.StatusCode, Headers: sortedHeaders(w.Headers)}
		case i < len(n.Redirects) && n.Redirects[i] != nil:
			r := n.Redirects[i]
			resp = &Message{Status: r.Status, Headers: sortedHeaders(r.Headers)}
		case i == len(n.Sent)-1 && n.Final != nil:
			resp = &Message{Status: n.Final.Status, Headers: sortedHeaders(n.Final.Headers)}
		}
		if resp != nil && i < len(n.WireResp) {
			resp.Wire = true
		}
		if resp != nil && i == len(n.Sent)-1 && (n.Cached || n.Final != nil && n.Final.FromCache) {
			resp.FromCache = true
		}
		if resp != nil {
			resp.Kind = respKind
			if i < len(n.Sent)-1 {
				resp.Kind = "redirect response"
			}
			resp.Line = "HTTP/1.1 " + strconv.Itoa(resp.Status) + " " + statusText(resp.Status)
			out = append(out, *resp)
		}
	}
	return out
}

func sortedHeaders(h wireHeaders) [][2]string {
	out := make([][2]string, 0, len(h))
	for k, v := range h {
		// CDP joins repeated lines with "\n".
		for _, line := range strings.Split(v, "\n") {
			out = append(out, [2]string{k, line})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i][0]) < strings.ToLower(out[j][0]) })
	return out
}

// PreflightEntry returns the journal entry of the last preflight, or nil.
func (o *Observation) PreflightEntry() *servers.Entry {
	var found *servers.Entry
	for i := range o.Requests {
		if o.Requests[i].Preflight {
			found = &o.Requests[i]
		}
	}
	return found
}

// ActualEntry returns the journal entry of the actual (non-preflight) request
// that reached the last hop, or nil.
func (o *Observation) ActualEntry() *servers.Entry {
	var found *servers.Entry
	for i := range o.Requests {
		if !o.Requests[i].Preflight {
			found = &o.Requests[i]
		}
	}
	return found
}

func canonical(name string) string { return textproto.CanonicalMIMEHeaderKey(name) }
