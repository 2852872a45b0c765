// Package servers runs the lab's origins on loopback: foo serves the calling
// page, bar answers each scenario's requests exactly as the scenario says,
// and baz (or any other label) is a third origin for pages and redirects.
// Every request that reaches a scenario's unique path is kept in a journal.
package servers

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

	"github.com/corslab/corslab/scenarios"
)

// Options configures a Lab. The zero value listens on free loopback ports.
type Options struct {
	// FooAddr, BarAddr and BazAddr are listen addresses; each must be a
	// loopback address. Empty means 127.0.0.1:0.
	FooAddr, BarAddr, BazAddr string
	// Bar, when set, answers every request to bar instead of the scenario
	// responder (e.g. an application wrapped in a CORS middleware). Requests
	// to it are still journaled.
	Bar http.Handler
}

// Lab is the set of running origins.
type Lab struct {
	ports     map[string]int // foo, bar, baz
	servers   []*http.Server
	closing   chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	configs map[string]scenarios.Server
	// released is closed when a path is forgotten, to let go of answers
	// still held back for it.
	released map[string]chan struct{}
	journal  map[string][]Entry
	seq      int
}

// Start listens on foo, bar and baz and serves until Close.
func Start(ctx context.Context, opt Options) (*Lab, error) {
	l := &Lab{
		ports:    map[string]int{},
		closing:  make(chan struct{}),
		configs:  map[string]scenarios.Server{},
		released: map[string]chan struct{}{},
		journal:  map[string][]Entry{},
	}
	addrs := []struct{ label, addr string }{{"foo", opt.FooAddr}, {"bar", opt.BarAddr}, {"baz", opt.BazAddr}}
	lc := net.ListenConfig{}
	for _, a := range addrs {
		addr := a.addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if err := checkLoopback(addr); err != nil {
			l.Close()
			return nil, fmt.Errorf("%s: %w", a.label, err)
		}
		ln, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("%s: cannot listen on %s: %w", a.label, addr, err)
		}
		l.ports[a.label] = ln.Addr().(*net.TCPAddr).Port
		var h http.Handler = http.HandlerFunc(l.serveLab)
		if a.label == "bar" && opt.Bar != nil {
			h = l.journaling(opt.Bar)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: nilLogger()}
		l.servers = append(l.servers, srv)
		go srv.Serve(ln)
	}
	return l, nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q is not loopback: the lab only listens on 127.0.0.1 or ::1", addr)
	}
	return nil
}

// Close stops every origin and releases requests that are held back.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() { close(l.closing) })
	var errs []error
	for _, s := range l.servers {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := s.Shutdown(ctx); err != nil {
			// Connections still busy after 2 s are cut.
			errs = append(errs, s.Close())
		}
		cancel()
	}
	return errors.Join(errs...)
}

// Port returns the port of an origin label: bar and baz have their own
// listeners, every other label (foo, evil, ...) is served by foo's.
func (l *Lab) Port(label string) int {
	if p, ok := l.ports[label]; ok {
		return p
	}
	return l.ports["foo"]
}

// Origin returns the serialized origin of a label, e.g.
// http://foo.localhost:41001. "sandboxed" and "null" give "null"; a full
// origin is returned as it is.
func (l *Lab) Origin(label string) string {
	if label == "" {
		label = "foo"
	}
	if label == "sandboxed" || label == "null" {
		return "null"
	}
	if strings.Contains(label, "://") {
		// Already an origin (a page on https://app.example.com).
		return label
	}
	return "http://" + label + ".localhost:" + strconv.Itoa(l.Port(label))
}

// Label returns the label of a Host header value served by the lab, e.g.
// "bar" for bar.localhost:41002, or "" when it is not one of ours.
func (l *Lab) Label(host string) string {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	label, ok := strings.CutSuffix(h, ".localhost")
	if !ok {
		return ""
	}
	return label
}

// Register makes bar answer under a new unique path as srv says, and
// returns that path prefix (e.g. "/r/name-7"). name must be URL-safe.
func (l *Lab) Register(name string, srv scenarios.Server) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	id := name + "-" + strconv.Itoa(l.seq)
	l.configs[id] = srv
	l.released[id] = make(chan struct{})
	return "/r/" + id
}

// Forget drops a registered path and its journal.
func (l *Lab) Forget(prefix string) {
	id := strings.TrimPrefix(prefix, "/r/")
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.configs, id)
	delete(l.journal, id)
	if ch, ok := l.released[id]; ok {
		close(ch)
		delete(l.released, id)
	}
}

// releasedCh returns the channel closed when id is forgotten.
func (l *Lab) releasedCh(id string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ch, ok := l.released[id]; ok {
		return ch
	}
	ch := make(chan struct{})
	close(ch)
	return ch
}

// Journal returns what arrived under a registered path prefix, in order.
func (l *Lab) Journal(prefix string) []Entry {
	id := strings.TrimPrefix(prefix, "/r/")
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Entry(nil), l.journal[id]...)
}

func (l *Lab) config(id string) (scenarios.Server, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.configs[id]
	return c, ok
}

func (l *Lab) record(id string, e Entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.journal[id] = append(l.journal[id], e)
}

// Entry is one request as it arrived.
type Entry struct {
	// Time is when the request arrived.
	Time time.Time `json:"-"`
	// Origin is the label of the origin that received it (bar, foo, baz...).
	Origin string `json:"origin"`
	// Method, Path (with query) and Proto are from the request line.
	Method string `json:"method"`
	Path   string `json:"path"`
	Proto  string `json:"-"`
	// Host is the Host header.
	Host string `json:"host"`
	// Headers are the request headers, names canonicalised by net/http.
	Headers http.Header `json:"headers"`
	// Hop is how many redirects the lab had answered before this request.
	Hop int `json:"hop,omitempty"`
	// Preflight is true for an OPTIONS request with
	// Access-Control-Request-Method: a CORS preflight.
	Preflight bool `json:"preflight"`
	// Status is the status bar answered with (0 when it never answered).
	Status int `json:"status,omitempty"`
	// Answer says which part of the scenario's server configuration
	// answered (scenarios.Answer* constants); empty for other handlers.
	Answer string `json:"answer,omitempty"`
}

// IsPreflight reports whether r is a CORS preflight request.
func IsPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
}

func (l *Lab) entry(r *http.Request) Entry {
	return Entry{
		Time:      time.Now(),
		Origin:    l.Label(r.Host),
		Method:    r.Method,
		Path:      r.URL.RequestURI(),
		Proto:     r.Proto,
		Host:      r.Host,
		Headers:   r.Header.Clone(),
		Preflight: IsPreflight(r),
	}
}

// splitID takes "/r/<id>/_h<k>/rest" apart.
func splitID(p string) (id string, hop int, rest string, ok bool) {
	s, ok := strings.CutPrefix(p, "/r/")
	if !ok {
		return "", 0, "", false
	}
	id, rest, _ = strings.Cut(s, "/")
	rest = "/" + rest
	if h, ok := strings.CutPrefix(rest, "/_h"); ok {
		num, after, _ := strings.Cut(h, "/")
		if n, err := strconv.Atoi(num); err == nil {
			hop = n
			rest = "/" + after
		}
	}
	return id, hop, rest, id != ""
}

const pageHTML = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>corslab</title></head><body>corslab page</body></html>`

// sandboxHTML hosts a sandboxed iframe (opaque origin "null") that runs
// requests it is sent by postMessage and posts the result back.
const sandboxHTML = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>corslab sandboxed</title></head><body>
<iframe id="sb" sandbox="allow-scripts" srcdoc="&lt;!doctype html&gt;&lt;script&gt;addEventListener('message', async (e) =&gt; { const f = new Function('return (' + e.data.fn + ')')(); const r = await f(e.data.arg); parent.postMessage({id: e.data.id, r}, '*'); });&lt;/script&gt;"></iframe>
<script>
window.__sbReady = new Promise((res) => document.getElementById('sb').addEventListener('load', res));
let __sbSeq = 0;
window.__sandboxed = async (fn, arg) => {
  await window.__sbReady;
  const id = ++__sbSeq;
  return new Promise((res) => {
    const h = (e) => { if (e.data && e.data.id === id) { removeEventListener('message', h); res(e.data.r); } };
    addEventListener('message', h);
    document.getElementById('sb').contentWindow.postMessage({id, fn: fn.toString(), arg}, '*');
  });
};
</script></body></html>`

func (l *Lab) serveLab(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/" || r.URL.Path == "/__corslab/page":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, pageHTML)
	case r.URL.Path == "/__corslab/sandboxed":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, sandboxHTML)
	case r.URL.Path == "/favicon.ico":
		w.WriteHeader(http.StatusNoContent)
	case strings.HasPrefix(r.URL.Path, "/r/"):
		l.serveScenario(w, r)
	default:
		http.NotFound(w, r)
	}
}

// journaling wraps a user's handler so requests to it are journaled too:
// under the scenario id when the path has one, else under "".
func (l *Lab) journaling(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _, _, ok := splitID(r.URL.Path)
		if !ok {
			id = ""
		}
		e := l.entry(r)
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		e.Status = rec.status
		if e.Status == 0 {
			e.Status = http.StatusOK
		}
		l.record(id, e)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
