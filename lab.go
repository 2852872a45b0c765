package corslab

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onsi/gomega/types"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/policy"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// Options configures a Lab.
type Options struct {
	// Handler answers the requests sent to the lab's server under test
	// (bar) unless a Request names its own. It sees its own paths: a
	// request for Path "/api/items" arrives as /api/items.
	Handler http.Handler
	// Origins lists page origins on ports other than 80 and 443, such as
	// http://localhost:3000. Pages on https://NAME and http://NAME (default
	// ports) and on the lab's labels (foo, evil, ...) need no listing.
	Origins []string
	// Browser is the Chromium binary; empty means $CORSLAB_BROWSER, then the
	// usual places.
	Browser string
	// Timeout bounds each request; default 5s.
	Timeout time.Duration
}

// Lab is one headless Chromium and the loopback servers around it: start it
// once per test suite (Start, or NewTestLab in a test) and Fetch from pages
// on any origin. Fetch may be called from parallel tests (t.Parallel): up
// to harness.DefaultJobs requests are in flight per page at once, the rest
// wait their turn, and a request that may carry cookies (credentials
// "include", or a same-origin request) has the browser's cookie jar to
// itself, so one test's cookies never reach another's request.
type Lab struct {
	session *harness.Session
	def     http.Handler
	origins []string // Options.Origins: mapped page origins on other ports

	mu       sync.Mutex              // guards handlers
	handlers map[string]http.Handler // by unique path id, for Request.Handler
}

// Request is one request a page makes with fetch().
type Request struct {
	// Page is the origin of the calling page: a full origin such as
	// "https://app.example.com" (served on loopback under exactly that name,
	// scheme and port), a lab label ("foo", the default; "evil"), or "null"
	// for a sandboxed frame.
	Page string
	// Method is the request method; default GET.
	Method string
	// Path is the path (and query) on the server; default "/".
	Path string
	// Headers are request headers the page sets, sent in name order.
	Headers map[string]string
	// Credentials is the fetch credentials mode: "include", "omit" or
	// "same-origin" (the default).
	Credentials string
	// Body is sent as the request body when not empty.
	Body string
	// Handler, when set, answers this request instead of Options.Handler.
	Handler http.Handler
	// Target is the origin of a running server outside the lab (on
	// loopback, e.g. "http://127.0.0.1:8080"); empty means the lab's own
	// server with Handler.
	Target string
}

// Start starts the servers and the browser. Close the lab when done.
func Start(ctx context.Context, opt Options) (*Lab, error) {
	l := &Lab{def: opt.Handler, handlers: map[string]http.Handler{}, origins: opt.Origins}
	s, err := harness.StartWithPages(ctx, harness.Options{
		Browser: harness.BrowserOptions{ExecPath: opt.Browser},
		Servers: servers.Options{Bar: http.HandlerFunc(l.serveBar)},
		Timeout: opt.Timeout,
	}, harness.PageOptions{Origins: opt.Origins, AnyDefaultPort: true})
	if err != nil {
		return nil, fmt.Errorf("starting the corslab lab: %w", err)
	}
	l.session = s
	return l, nil
}

// Close stops the browser and the servers.
func (l *Lab) Close() error { return l.session.Close() }

// Session is the harness session underneath, for scenarios and policies.
func (l *Lab) Session() *harness.Session { return l.session }

// BrowserVersion is the browser's product and version.
func (l *Lab) BrowserVersion() string { return l.session.Browser.Version() }

// Fetch runs req in a page on req.Page and returns what the page, the
// browser and the server saw. A request the browser blocks is not an
// error: the observation says so (use BeBlocked, BeBlockedWith).
func (l *Lab) Fetch(ctx context.Context, req Request) (*Observation, error) {
	page := req.Page
	switch page {
	case "":
		page = "foo"
	case "null":
		page = "sandboxed"
	}
	if err := l.mapped(page); err != nil {
		return nil, err
	}
	sreq := scenarios.Request{Method: req.Method, Path: req.Path, Credentials: req.Credentials, Body: req.Body, Target: req.Target}
	if sreq.Path == "" {
		sreq.Path = "/"
	}
	if !strings.HasPrefix(sreq.Path, "/") {
		return nil, fmt.Errorf("corslab: request path %q must start with /", req.Path)
	}
	names := make([]string, 0, len(req.Headers))
	for k := range req.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		sreq.Headers = append(sreq.Headers, scenarios.Header{Name: k, Values: []string{req.Headers[k]}})
	}
	prefix := l.session.Lab.Register("fetch", scenarios.Server{})
	defer l.session.Lab.Forget(prefix)
	id := strings.TrimPrefix(prefix, "/r/")
	if req.Handler != nil {
		l.mu.Lock()
		l.handlers[id] = req.Handler
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			delete(l.handlers, id)
			l.mu.Unlock()
		}()
	}
	obs, err := l.session.DoAt(ctx, prefix, page, sreq)
	if err != nil {
		return obs, fmt.Errorf("corslab: %s %s from %s: %w", or(req.Method, "GET"), sreq.Path, page, err)
	}
	return obs, nil
}

// serveBar hands a request to the handler of its Fetch, with the lab's
// unique path prefix taken off so the handler sees its own paths.
func (l *Lab) serveBar(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/r/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	id, path, _ := strings.Cut(rest, "/")
	l.mu.Lock()
	h, found := l.handlers[id]
	l.mu.Unlock()
	if !found {
		h = l.def
	}
	if h == nil {
		http.Error(w, "corslab: no handler: set Options.Handler or Request.Handler", http.StatusNotFound)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + path
	r2.URL.RawPath = ""
	r2.RequestURI = r2.URL.RequestURI()
	h.ServeHTTP(w, r2)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// NewTestLab starts a lab whose server under test is h, for one test or
// one package (call it from TestMain through Start for a whole package),
// and closes it when the test ends.
func NewTestLab(t testing.TB, h http.Handler, origins ...string) *Lab {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := Start(ctx, Options{Handler: h, Origins: origins})
	if err != nil {
		t.Fatalf("corslab: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// MustFetch is Fetch for tests: it fails the test now on a harness error.
func (l *Lab) MustFetch(t testing.TB, req Request) *Observation {
	t.Helper()
	obs, err := l.Fetch(context.Background(), req)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return obs
}

// Check asserts without Ginkgo: it reports a test error when m
// (BeAllowed(), BeBlockedWith(...), ...) does not match, with the story
// `corslab explain` tells of the request: bar's preflight and response
// headers, the check that failed, Why and Fix (the whole observation too
// with WithFullObservation(m)). It returns whether it matched.
func Check(t testing.TB, obs *Observation, m types.GomegaMatcher) bool {
	t.Helper()
	ok, err := m.Match(obs)
	if err != nil {
		t.Errorf("corslab: %v", err)
		return false
	}
	if !ok {
		t.Errorf("%s", m.FailureMessage(obs))
	}
	return ok
}

// CheckPolicy runs a policy's probes (policy.Probes) against h mounted as
// the lab's server (Options.Handler when h is nil), on the path of the
// policy's target ("/" when it has none), and returns each probe's verdict.
// Pages have exactly the policy's origins: https://app.example.com is
// served over TLS on loopback under that name.
func (l *Lab) CheckPolicy(ctx context.Context, p *policy.Policy, h http.Handler) ([]policy.Result, error) {
	path := "/"
	if p.Target != "" {
		_, tp, err := policy.Target(p.Target)
		if err != nil {
			return nil, err
		}
		path = tp
	}
	if h == nil {
		h = l.def
	}
	if h == nil {
		return nil, fmt.Errorf("corslab: CheckPolicy needs a handler (or Options.Handler)")
	}
	probes := policy.Probes(p)
	var missing []string
	for _, o := range policy.PageOrigins(probes) {
		if l.mapped(o) != nil {
			missing = append(missing, o)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("corslab: the policy's probes use page origins the lab was not started with: %s; start it with Options.Origins = corslab.PolicyOrigins(policy)", strings.Join(missing, ", "))
	}
	if err := l.session.OpenPages(ctx, policy.PageOrigins(probes)); err != nil {
		return nil, fmt.Errorf("corslab: %w", err)
	}
	return policy.RunJobs(ctx, handlerDoer{l: l, h: h}, "bar", path, probes, l.session.Jobs(), nil), nil
}

// handlerDoer runs each request against one handler.
type handlerDoer struct {
	l *Lab
	h http.Handler
}

// EngineName is the lab's engine, whose Access-Control-Max-Age cap the
// model's view of a failing probe applies.
func (d handlerDoer) EngineName() string { return d.l.session.EngineName() }

func (d handlerDoer) Do(ctx context.Context, page string, req scenarios.Request) (*Observation, error) {
	prefix := d.l.session.Lab.Register("probe", scenarios.Server{})
	defer d.l.session.Lab.Forget(prefix)
	id := strings.TrimPrefix(prefix, "/r/")
	d.l.mu.Lock()
	d.l.handlers[id] = d.h
	d.l.mu.Unlock()
	defer func() {
		d.l.mu.Lock()
		delete(d.l.handlers, id)
		d.l.mu.Unlock()
	}()
	return d.l.session.DoAt(ctx, prefix, page, req)
}

// mapped reports an error when page is a full origin on a port other than
// 80 or 443 that the lab was not started with (Options.Origins): the
// browser would not find it.
func (l *Lab) mapped(page string) error {
	if !strings.Contains(page, "://") {
		return nil
	}
	_, port, scheme, err := harness.SplitOrigin(page)
	if err != nil {
		return fmt.Errorf("corslab: page %w", err)
	}
	if (scheme == "http" && port == 80) || (scheme == "https" && port == 443) {
		return nil
	}
	for _, o := range l.origins {
		if o == page {
			return nil
		}
	}
	return fmt.Errorf("corslab: page origin %s is on a port other than 80 or 443: list it in Options.Origins (or NewTestLab's origins) so the browser can reach it", page)
}

// PolicyOrigins returns the page origins a policy's probes use, for
// Options.Origins (or NewTestLab's origins) of a lab that checks it.
func PolicyOrigins(p *policy.Policy) []string {
	return policy.PageOrigins(policy.Probes(p))
}

// CheckPolicyFile loads a policy file and checks it against h (nil: the
// lab's Options.Handler) in a test: a bad file fails the test now with
// FILE:LINE; every critical or warning finding the policy does not accept
// is a test error, once, with its cause and evidence (notes are logged),
// and every other probe whose observation does not match the policy is a
// test error naming the probe, what the policy implies, what the browser
// did and Chromium's reason. Inconclusive probes are logged. It returns
// whether all matched.
func (l *Lab) CheckPolicyFile(t testing.TB, path string, h http.Handler) bool {
	t.Helper()
	p, err := policy.Load(path)
	if err != nil {
		t.Fatalf("corslab: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	results, err := l.CheckPolicy(ctx, p, h)
	if err != nil {
		t.Fatalf("%v", err)
	}
	ok := true
	reported := map[string]bool{}
	for _, f := range policy.Findings(p, results) {
		msg := fmt.Sprintf("%s: %s: %s\n    why: %s\n    %s", path, f.Severity, f.Title, f.Why, strings.Join(f.Evidence, "\n    "))
		if !f.Blocking() {
			t.Logf("%s", msg)
			continue
		}
		ok = false
		t.Errorf("%s", msg)
		for _, n := range f.Probes {
			reported[n] = true
		}
	}
	for _, r := range results {
		if r.State == policy.StateInconclusive {
			t.Logf("%s: %s: inconclusive: %s", path, r.Probe.Name, r.Why)
		}
		if !r.Pass && r.State != policy.StateInconclusive && !reported[r.Probe.Name] {
			ok = false
			t.Errorf("%s: %s\n    policy: %s\n    expected %s, observed %s\n    why: %s", path, r.Probe.Name, r.Probe.Because, r.Expected, r.Observed, r.Why)
		}
	}
	return ok
}
