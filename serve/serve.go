// Package serve is corslab's playground: a page on foo's origin where
// anyone edits both sides of a CORS exchange (the page's request and bar's
// answers), runs it in their own browser and in the headless engines, and
// sees the three sides (what the page's JavaScript saw, what the browser
// reported, what bar received) beside what the Fetch standard says.
//
// The page and its API live on foo's listener of a harness session, so
// the visitor's requests come from foo's origin exactly as the harness's
// own pages' do, and bar journals them as it journals any scenario.
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/servers"
)

// Options configures a playground.
type Options struct {
	// Addr is foo's listen address, where the page is served; it must be
	// a loopback address. Default 127.0.0.1:8080; port 0 picks one.
	Addr string
	// Browser configures the headless Chromium of "run headless".
	Browser harness.BrowserOptions
	// Timeout bounds each request of a headless run; default 5s.
	Timeout time.Duration
}

// Server is a running playground. Close it when done.
type Server struct {
	sess *harness.Session
	port int
	// ready is closed once sess is set; the lab serves before that.
	ready chan struct{}
	// run serialises headless runs: a session runs one scenario at a time.
	run sync.Mutex

	mu     sync.Mutex
	visits map[string]*visit
	seq    int
}

// Start starts the lab's origins (foo on opt.Addr), the headless browser
// and the page.
func Start(ctx context.Context, opt Options) (*Server, error) {
	if opt.Addr == "" {
		opt.Addr = "127.0.0.1:8080"
	}
	s := &Server{visits: map[string]*visit{}, ready: make(chan struct{})}
	sess, err := harness.Start(ctx, harness.Options{
		Browser: opt.Browser,
		Timeout: opt.Timeout,
		Servers: harnessServers(opt.Addr, s),
	})
	if err != nil {
		return nil, err
	}
	s.sess = sess
	s.port = sess.Lab.Port("foo")
	close(s.ready)
	return s, nil
}

// URL is the playground page's address.
func (s *Server) URL() string { return s.sess.Lab.Origin("foo") + "/play/" }

// Browser names the headless browser.
func (s *Server) Browser() string { return s.sess.Browser.Version() }

// Close stops the browser and the origins; every visit ends.
func (s *Server) Close() error {
	s.mu.Lock()
	for id, v := range s.visits {
		v.end()
		delete(s.visits, id)
	}
	s.mu.Unlock()
	return s.sess.Close()
}

// ServeHTTP answers the page and its API, after checking that the request
// is meant for this server (Host) and, for the API, comes from its page.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.ready:
	default:
		http.Error(w, "corslab serve: starting", http.StatusServiceUnavailable)
		return
	}
	if r.URL.Path == "/play/frame" && s.pageHost(r.Host) {
		// The frame that runs a step on another page's origin.
		page(w, frameHTML)
		return
	}
	label, ok := s.hostLabel(r.Host)
	if !ok {
		// A name that is not ours: a DNS-rebinding page must not reach the API.
		http.Error(w, fmt.Sprintf("corslab serve: Host %q is not this server's", r.Host), http.StatusMisdirectedRequest)
		return
	}
	api := strings.HasPrefix(r.URL.Path, "/api/")
	if label != "foo" && !(api && label == "") {
		// The page must sit on foo's origin, the origin its scenarios call
		// {foo}; the API also answers programs on 127.0.0.1 and localhost.
		http.Redirect(w, r, s.URL(), http.StatusFound)
		return
	}
	switch {
	case r.URL.Path == "/play" || r.URL.Path == "/play/":
		page(w, indexHTML)
	case r.URL.Path == "/play/app.js":
		static(w, "text/javascript; charset=utf-8", appJS)
	case r.URL.Path == "/play/app.css":
		static(w, "text/css; charset=utf-8", appCSS)
	case api:
		if err := s.sameOrigin(r); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		s.api(w, r)
	default:
		http.NotFound(w, r)
	}
}

// hostLabel says which of the lab's names a Host header is on foo's port:
// a label for LABEL.localhost, "" for localhost and 127.0.0.1; false for
// any other name or port.
func (s *Server) hostLabel(host string) (string, bool) {
	h, p, err := net.SplitHostPort(host)
	if err != nil || p != strconv.Itoa(s.port) {
		return "", false
	}
	h = strings.ToLower(h)
	switch {
	case h == "127.0.0.1" || h == "localhost":
		return "", true
	case strings.HasSuffix(h, ".localhost") && !strings.Contains(strings.TrimSuffix(h, ".localhost"), "."):
		return strings.TrimSuffix(h, ".localhost"), true
	}
	return "", false
}

// pageHost says whether host is a page origin of the lab: a label on foo's
// port, or baz.
func (s *Server) pageHost(host string) bool {
	if _, ok := s.hostLabel(host); ok {
		return true
	}
	return strings.EqualFold(host, strings.TrimPrefix(s.sess.Lab.Origin("baz"), "http://"))
}

// sameOrigin refuses an API call that another site's page makes: browsers
// send Origin on every cross-origin request and every POST, so one that is
// not the playground's own is refused. A call without Origin comes from a
// program (curl, a test), which the Host check already confined to us.
func (s *Server) sameOrigin(r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" && !s.ownOrigin(o) {
		return fmt.Errorf("corslab serve: the API answers only its own page, not %s", o)
	}
	return nil
}

func (s *Server) ownOrigin(o string) bool {
	for _, h := range []string{"foo.localhost", "localhost", "127.0.0.1"} {
		if o == "http://"+h+":"+strconv.Itoa(s.port) {
			return true
		}
	}
	return false
}

// page serves an HTML page. It has no Content-Security-Policy on purpose:
// the requests it runs (elements, fonts, no-cors fetches) must meet only the
// browser's CORS rules, never a policy of the playground's own.
func page(w http.ResponseWriter, body string) {
	static(w, "text/html; charset=utf-8", body)
}

func static(w http.ResponseWriter, ctype, body string) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write([]byte(body))
}

// errNotFound is an API object that does not exist (a visit that ended).
var errNotFound = errors.New("not found")

// harnessServers puts foo on addr, with the playground answering what is
// not the lab's own there.
func harnessServers(addr string, app http.Handler) servers.Options {
	return servers.Options{FooAddr: addr, App: app}
}
