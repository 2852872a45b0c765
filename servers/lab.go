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
	// App, when set, answers the requests to foo's and baz's listeners
	// (the pages' origins) that are not the lab's own (its pages and
	// scenario paths): the playground's page and API. They are not
	// journaled under any scenario.
	App http.Handler
}

// Lab is the set of running origins. Every listener speaks HTTP/1.1 through
// the lab's own reader (wire.go), which takes every request a browser can
// send, and journals connections as well as requests.
type Lab struct {
	ports     map[string]int // foo, bar, baz
	app       http.Handler   // Options.App
	listeners []net.Listener
	closing   chan struct{}
	closeOnce sync.Once
	// base is the context of bridged handlers' requests, ended by Close.
	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	configs map[string]scenarios.Server
	// released is closed when a path is forgotten, to let go of answers
	// still held back for it.
	released map[string]chan struct{}
	journal  map[string][]Entry
	seq      int
	// open are the connections being served; nil once closing.
	open     map[net.Conn]struct{}
	closeErr error
	conns    []*Conn
	refused  []Entry
	counts   Counts
}

// Start listens on foo, bar and baz and serves until Close.
func Start(ctx context.Context, opt Options) (*Lab, error) {
	l := &Lab{
		ports:    map[string]int{},
		closing:  make(chan struct{}),
		configs:  map[string]scenarios.Server{},
		released: map[string]chan struct{}{},
		journal:  map[string][]Entry{},
		open:     map[net.Conn]struct{}{},
		app:      opt.App,
	}
	l.base, l.cancel = context.WithCancel(context.Background())
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
		h := l.serveLab
		if a.label != "bar" && opt.App != nil {
			h = l.serveApp
		}
		if a.label == "bar" && opt.Bar != nil {
			bar := opt.Bar
			h = func(x *exchange) bool { return l.serveBridge(x, bar) }
		}
		l.listen(ln, a.label, h)
	}
	return l, nil
}

// listen serves a listener until Close.
func (l *Lab) listen(ln net.Listener, label string, h handlerFunc) {
	l.mu.Lock()
	l.listeners = append(l.listeners, ln)
	l.mu.Unlock()
	l.wg.Add(1)
	go l.serve(ln, label, h)
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

// Close stops every origin, cuts the connections still open (answers held
// back among them) and waits for them to end.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		close(l.closing)
		l.cancel()
		l.mu.Lock()
		var errs []error
		for _, ln := range l.listeners {
			if err := ln.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		for nc := range l.open {
			nc.Close()
		}
		l.open = nil
		l.mu.Unlock()
		done := make(chan struct{})
		go func() { l.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			// A handler of the Go API that never returns; its connection is cut.
		}
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
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

// Configure changes what bar answers under a registered path prefix, from
// the next request on (a step's own server); the journal is kept.
func (l *Lab) Configure(prefix string, srv scenarios.Server) {
	id := strings.TrimPrefix(prefix, "/r/")
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.configs[id]; ok {
		l.configs[id] = srv
	}
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

// record journals e under a registered scenario id, or under "" (a
// handler's request outside any scenario path, the last 1000 kept).
func (l *Lab) record(id string, e Entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.configs[id]; !ok && id != "" {
		return
	}
	l.journal[id] = append(l.journal[id], e)
	if id == "" && len(l.journal[id]) > 1000 {
		l.journal[id] = l.journal[id][len(l.journal[id])-1000:]
	}
}
