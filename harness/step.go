package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// runStep runs one request of a scenario in its page and assembles the
// observation: the page's result, the browser's view once settled, and what
// the lab's servers received.
func (s *Session) runStep(ctx context.Context, prefix string, sc scenarios.Scenario, st scenarios.Step, cookies bool) (*Observation, error) {
	t, err := s.stepTab(ctx, sc, st)
	if err != nil {
		return nil, err
	}
	preq := s.pageRequest(prefix, st.Request)
	preq.Timing = st.Expect.TimingAllowed != nil
	preq.URL = s.lnaTarget(sc, st, preq.URL)
	arg, err := json.Marshal(preq)
	if err != nil {
		return nil, fmt.Errorf("encoding the page request: %w", err)
	}
	external := isExternal(st.Request)
	journalBefore := len(s.Lab.Journal(prefix))
	arrived := func() []servers.Entry { return s.Lab.Journal(prefix)[journalBefore:] }

	obs := &Observation{Page: t.origin, URL: preq.URL}
	var jarBefore []string
	if cookies {
		if jarBefore, err = t.page.Cookies(ctx, preq.URL); err != nil {
			return nil, err
		}
	}
	lna := s.beforeLNA(ctx, st, t.origin, preq.URL)
	start := time.Now()
	w := t.page.Watch(prefix + "/")
	res, err := s.call(ctx, t, arg)
	if err != nil {
		obs.Requests = arrived()
		obs.ReachedServer = reached(obs.Requests)
		if lerr := servers.ServerLayerError(obs.Requests); lerr != nil {
			return obs, lerr
		}
		return obs, err
	}
	hint := engine.Hint{Result: res.outcome(), LocalNetwork: lna.request}
	if !external {
		hint.Journal = func() engine.Arrivals { return arrivals(arrived()) }
	} else {
		hint.Preflight = fetchspec.StepNeedsCORSPreflight(st.Request, t.origin, preq.URL)
	}
	view := w.Settle(ctx, hint)
	obs.Requests = arrived()
	if err := servers.ServerLayerError(obs.Requests); err != nil {
		// The server layer answered on its own: nothing here is CORS.
		return obs, err
	}
	assemble(obs, res, view, t.caps, external)
	obs.NotObservable = notObservable(s.eng.Name(), t.caps)
	s.afterLNA(ctx, lna, obs, start)
	if cookies {
		if err := fillJar(ctx, obs, t.page, preq.URL, jarBefore); err != nil {
			return nil, err
		}
	}
	inferPreflightCached(obs, st.Request, t.origin)
	if external {
		reachedExternal(obs)
	}
	obs.Duration = time.Since(start)
	return obs, nil
}

// pageRequest is what the page is asked to send for a step's request, on
// the scenario's unique path.
func (s *Session) pageRequest(prefix string, r scenarios.Request) pageRequest {
	d := r.WithDefaults()
	preq := pageRequest{URL: s.targetURL(prefix, r), Method: d.Method, Credentials: r.Credentials, Mode: r.Mode, Redirect: r.Redirect, API: d.API, Headers: [][2]string{},
		CrossOrigin: r.CrossOrigin, Upload: r.UploadListener}
	for _, h := range r.Headers {
		for _, v := range h.Values {
			preq.Headers = append(preq.Headers, [2]string{h.Name, v})
		}
	}
	if r.Body != "" {
		b := r.Body
		preq.Body = &b
	}
	return preq
}

// targetURL builds the URL of a step's request on the scenario's unique path.
func (s *Session) targetURL(prefix string, r scenarios.Request) string {
	d := r.WithDefaults()
	if isExternal(r) {
		return externalURL(d.Target, prefix, d.Path)
	}
	return s.Lab.Origin(d.Target) + prefix + d.Path
}

// isExternal says whether a request goes to a server outside the lab,
// which has no journal.
func isExternal(r scenarios.Request) bool { return strings.Contains(r.WithDefaults().Target, "://") }

// call runs the page's request function within the request timeout, and
// says which limit ended it when one did.
func (s *Session) call(ctx context.Context, t *tab, arg []byte) (pageResult, error) {
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	raw, err := t.page.Call(cctx, arg)
	var res pageResult
	switch {
	case err == nil:
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return res, fmt.Errorf("the run's deadline passed before the request settled: %w", ctx.Err())
	case ctx.Err() != nil:
		return res, fmt.Errorf("interrupted: %w", ctx.Err())
	case errors.Is(err, engine.ErrBrowserGone):
		return res, err
	case cctx.Err() != nil:
		return res, fmt.Errorf("timed out after %s waiting for the request to settle (the server never answered?)", s.timeout)
	default:
		return res, err
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return res, fmt.Errorf("decoding the page's result %.200q: %w", raw, err)
	}
	return res, nil
}

// arrivals counts a journal's preflights and other requests.
func arrivals(entries []servers.Entry) engine.Arrivals {
	var a engine.Arrivals
	for _, e := range entries {
		if e.Status > 0 {
			a.Answered++
		}
		if e.Preflight {
			a.Preflights++
		} else {
			a.Requests++
		}
	}
	return a
}

// inferPreflightCached marks a preflight as taken from the browser's
// preflight cache: the request needed one by the Fetch standard (the model
// says so: fetchspec.StepNeedsCORSPreflight), reached the server, yet none
// went out. It is inferred, never observed.
func inferPreflightCached(o *Observation, r scenarios.Request, pageOrigin string) {
	o.by("preflight_cached", Inferred)
	if !o.Preflight && o.ReachedServer && fetchspec.StepNeedsCORSPreflight(r, pageOrigin, o.URL) {
		o.PreflightCached = true
	}
}
