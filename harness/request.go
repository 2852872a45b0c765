package harness

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// MarkerParam is the query parameter corslab adds to a request sent to a
// server outside the lab, so the browser's events of each request can be
// told apart; the request is otherwise exactly what the page asked for.
const MarkerParam = "corslab"

// externalURL builds the URL of a request to an origin outside the lab.
func externalURL(origin, prefix, p string) string {
	sep := "?"
	if strings.Contains(p, "?") {
		sep = "&"
	}
	return strings.TrimSuffix(origin, "/") + p + sep + MarkerParam + "=" + prefix + "/"
}

// PageOptions says which page origins beyond the lab's labels a session can
// open pages on.
type PageOptions struct {
	// Origins are serialized origins (https://app.example.com,
	// http://localhost:3000) whose pages are served from loopback listeners:
	// http ones by foo's listener, https ones by a TLS listener with a
	// throwaway certificate. The browser resolves each host:port to them.
	Origins []string
	// AnyDefaultPort also maps every host on port 443 and 80, so any
	// https://NAME or http://NAME page can be opened. Use it only when no
	// request target is on those ports outside *.localhost.
	AnyDefaultPort bool
}

// StartWithPages is Start for sessions whose pages may sit on real-looking
// origins such as https://app.example.com: the page has exactly that origin,
// scheme and port included, while everything still runs on loopback.
func StartWithPages(ctx context.Context, opt Options, pages PageOptions) (*Session, error) {
	lab, err := servers.Start(ctx, opt.Servers)
	if err != nil {
		return nil, fmt.Errorf("starting the lab's servers: %w", err)
	}
	tp, err := lab.ServeTLS(ctx)
	if err != nil {
		lab.Close()
		return nil, err
	}
	m, err := PageMappings(pages, lab.Port("foo"), tp.Port)
	if err != nil {
		lab.Close()
		return nil, err
	}
	opt.Browser.HostMap = append(slices.Clone(opt.Browser.HostMap), m...)
	opt.Browser.TrustSPKI = append(slices.Clone(opt.Browser.TrustSPKI), tp.SPKIHash)
	opt.Browser.TrustCerts = append(slices.Clone(opt.Browser.TrustCerts), tp.Cert)
	// A page meant for http://NAME must stay there: HTTPS-Upgrades would
	// move it to https://NAME, served here too.
	opt.Browser.NoHTTPSUpgrades = true
	return newSession(ctx, lab, opt)
}

// StartFor starts a session able to run the given scenarios, with their
// pages open: as Start does, or as StartWithPages when a scenario's page
// is a full origin such as https://app.example.com.
func StartFor(ctx context.Context, opt Options, list []scenarios.Scenario) (*Session, error) {
	var origins []string
	for _, sc := range list {
		for _, st := range sc.RequestSteps() {
			if strings.Contains(st.Page, "://") && !slices.Contains(origins, st.Page) {
				origins = append(origins, st.Page)
			}
		}
	}
	start := startLab
	if len(origins) > 0 {
		start = func(ctx context.Context, opt Options) (*Session, error) {
			return StartWithPages(ctx, opt, PageOptions{Origins: origins})
		}
	}
	s, err := start(ctx, opt)
	if err != nil {
		return nil, err
	}
	// A few pages open alongside foo's: a page's opening is mostly its
	// renderer starting, which the others need not wait for. More are left
	// to RunAll, which overlaps them with the scenarios' waits: Chromium's
	// browser process creates pages one at a time (~0.3 s each), and the
	// catalog's 18 opened here first took 3.5 s more (BenchmarkCatalogWall).
	var wg sync.WaitGroup
	if pageCount(list) <= openAtOnce {
		wg.Go(func() { s.Prepare(ctx, list) })
	}
	ferr := s.openFoo(ctx)
	wg.Wait()
	if ferr != nil {
		return nil, ferr
	}
	return s, nil
}

// pageCount is how many pages the scenarios' steps run on (pageKey),
// foo's included.
func pageCount(list []scenarios.Scenario) int {
	pages := map[string]bool{pageKey(scenarios.Scenario{}, scenarios.Step{}): true}
	for _, sc := range list {
		for _, st := range sc.RequestSteps() {
			pages[pageKey(sc, st)] = true
		}
	}
	return len(pages)
}

// PageMappings returns the host mappings that send each page origin to the
// loopback listener serving it: httpPort for http origins, tlsPort for https
// ones.
func PageMappings(pages PageOptions, httpPort, tlsPort int) ([]engine.HostMapping, error) {
	var out []engine.HostMapping
	seen := map[engine.HostMapping]bool{}
	for _, o := range pages.Origins {
		if o == "null" {
			continue
		}
		host, port, scheme, err := SplitOrigin(o)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(host, ".localhost") {
			// Already mapped to 127.0.0.1 with its own port by the lab's rule.
			return nil, fmt.Errorf("page origin %s: *.localhost names are the lab's own labels; use a label (foo, evil) or another name", o)
		}
		to := httpPort
		if scheme == "https" {
			to = tlsPort
		}
		m := engine.HostMapping{Host: host, Port: port, To: to}
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	if pages.AnyDefaultPort {
		out = append(out, engine.HostMapping{Host: "*", Port: 443, To: tlsPort}, engine.HostMapping{Host: "*", Port: 80, To: httpPort})
	}
	return out, nil
}

// SplitOrigin takes a serialized origin (scheme://host[:port]) apart; the
// port is the scheme's default when absent.
func SplitOrigin(origin string) (host string, port int, scheme string, err error) {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", 0, "", fmt.Errorf("%q is not an http(s) origin", origin)
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", 0, "", fmt.Errorf("%q is not an origin: an origin is scheme://host[:port], nothing after", origin)
	}
	host = u.Hostname()
	port = 80
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		port, err = strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return "", 0, "", fmt.Errorf("%q has a bad port", origin)
		}
	}
	return host, port, u.Scheme, nil
}

// Do runs one ad-hoc request under a fresh unique path and returns what the
// page, the browser and (for a lab target) the server saw. See DoAt.
func (s *Session) Do(ctx context.Context, page string, req scenarios.Request) (*Observation, error) {
	prefix := s.Lab.Register("do", scenarios.Server{})
	defer s.Lab.Forget(prefix)
	return s.DoAt(ctx, prefix, page, req)
}

// DoAt runs one request from a page, under prefix (from Lab.Register),
// without comparing it with any expectation. page is a lab label (foo,
// evil, sandboxed...) or a full origin the session maps (StartWithPages).
// req.Target is a lab label (default bar) or the origin of a server outside
// the lab (http://127.0.0.1:8080): then the URL is req.Path on that origin,
// plus the MarkerParam query parameter, and since corslab has no journal of
// that server, ReachedServer says whether the actual request got a response.
func (s *Session) DoAt(ctx context.Context, prefix, page string, req scenarios.Request) (*Observation, error) {
	if page == "" {
		page = "foo"
	}
	if strings.Contains(page, "://") {
		if _, err := s.tab(ctx, page); err != nil {
			return nil, err
		}
	}
	sc := scenarios.Scenario{Name: strings.TrimPrefix(prefix, "/r/"), Page: page, Request: req}
	st := scenarios.Step{Page: page, Request: req}
	// Like a scenario: a request that may carry cookies has the jar to
	// itself, and it takes one of the page's places (schedule.go).
	shared := s.sharedState(sc)
	unlock, err := s.state.lock(ctx, shared)
	if err != nil {
		return nil, fmt.Errorf("interrupted: %w", err)
	}
	defer unlock()
	release, err := s.slots.acquire(ctx, pageKey(sc, st), firstRank(shared))
	if err != nil {
		return nil, fmt.Errorf("interrupted: %w", err)
	}
	defer release()
	obs, err := s.runStep(ctx, prefix, sc, st, req.Credentials == "include")
	s.forgetEvents(prefix + "/")
	return obs, err
}
