package servers

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Local Network Access (https://wicg.github.io/local-network-access/) sorts
// servers into address spaces by their IP address. Everything of the lab is
// on loopback, so "local" (a private network) is simulated: foo and bar each
// have a twin listener on a port of its own that the browser is told to
// count as local (Chromium: --ip-address-space-overrides). The twins answer
// exactly as foo and bar do, and journal as them; their connections are
// journaled under the listener names foo-local and bar-local.

// PublicPagePath is the lab's page served with Content-Security-Policy:
// treat-as-public-address, which makes the browser count the document as
// on a public address although it came from loopback.
const PublicPagePath = "/__corslab/public"

// Local listener names.
const (
	FooLocal = "foo-local"
	BarLocal = "bar-local"
)

// LoopbackTwin names the listener on loopback, on a port of its own, that
// answers every label as the lab does: a Local Network Access step sends
// its request there rather than to bar's own port, so the connections it
// counts (and the idle ones it closes first) are its own, whatever other
// scenarios send to bar meanwhile. The browser counts it as loopback, as
// it does bar.
const LoopbackTwin = "loopback-twin"

// PublicTwin names the listener on loopback, on a port of its own, that
// answers every label as the lab does, for engines that take a document's
// address space only from the address it came from (Firefox): the browser
// is told to count this address as public (engine.LaunchOptions.PublicAddresses),
// so a page opened there is a public page on its label's name.
const PublicTwin = "public-twin"

// ServeLocal starts the local twins of foo and bar, the loopback twin and
// the public twin, once; later calls do nothing.
func (l *Lab) ServeLocal(ctx context.Context) error {
	l.mu.Lock()
	_, done := l.ports[FooLocal]
	l.mu.Unlock()
	if done {
		return nil
	}
	lc := net.ListenConfig{}
	for _, name := range []string{FooLocal, BarLocal, LoopbackTwin, PublicTwin} {
		ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("%s: cannot listen on 127.0.0.1: %w", name, err)
		}
		l.mu.Lock()
		l.ports[name] = ln.Addr().(*net.TCPAddr).Port
		l.mu.Unlock()
		l.listen(ln, name, l.serveLab)
	}
	return nil
}

// LocalAddresses are the addresses (127.0.0.1:PORT) of the local twins, for
// the browser to count as local; none before ServeLocal.
func (l *Lab) LocalAddresses() []string { return l.addresses(FooLocal, BarLocal) }

// PublicAddresses are the addresses (127.0.0.1:PORT) of the public twin,
// for the browser to count as public; none before ServeLocal.
func (l *Lab) PublicAddresses() []string { return l.addresses(PublicTwin) }

// addresses are the loopback addresses of the started listeners named.
func (l *Lab) addresses(names ...string) []string {
	var out []string
	for _, name := range names {
		if p, ok := l.listenerPort(name); ok {
			out = append(out, "127.0.0.1:"+strconv.Itoa(p))
		}
	}
	return out
}

// listenerPort is a listener's port, and whether it is started.
func (l *Lab) listenerPort(name string) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.ports[name]
	return p, ok
}

// PublicTwinServes says whether the public twin can serve a label's page:
// every label, and a full origin only on http (it has no TLS).
func PublicTwinServes(label string) bool {
	return !strings.Contains(label, "://") || strings.HasPrefix(label, "http://")
}

// PublicTwinOrigin is the origin of a label on the public twin. A full
// http origin keeps its host on the twin's port (http://app.example.test
// becomes http://app.example.test:PORT; the browser resolves that name to
// loopback). "" before ServeLocal, and where PublicTwinServes says no.
func (l *Lab) PublicTwinOrigin(label string) string {
	if !strings.Contains(label, "://") {
		return l.originOn(PublicTwin, label)
	}
	u, err := url.Parse(label)
	p, ok := l.listenerPort(PublicTwin)
	if err != nil || !PublicTwinServes(label) || u.Hostname() == "" || !ok {
		return ""
	}
	return "http://" + u.Hostname() + ":" + strconv.Itoa(p)
}

// LocalOrigin is the origin of a label on its local twin: bar's twin for
// bar, foo's (which serves every label) otherwise; "" before ServeLocal.
func (l *Lab) LocalOrigin(label string) string {
	name := FooLocal
	if label == "bar" {
		name = BarLocal
	}
	return l.originOn(name, label)
}

// LoopbackTwinOrigin is the origin of a label on the loopback twin; ""
// before ServeLocal.
func (l *Lab) LoopbackTwinOrigin(label string) string {
	return l.originOn(LoopbackTwin, label)
}

// originOn is the origin of a label on a listener, "" if it is not
// started.
func (l *Lab) originOn(listener, label string) string {
	p, ok := l.listenerPort(listener)
	if !ok {
		return ""
	}
	return "http://" + label + ".localhost:" + strconv.Itoa(p)
}

// ListenerOf names the listener on a port of the lab (bar's port is bar,
// its twin's bar-local), or "" when it is none of the lab's.
func (l *Lab) ListenerOf(port int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for name, p := range l.ports {
		if p == port {
			return name
		}
	}
	return ""
}

// CloseIdle closes the connections of a listener that wait for their next
// request, so that the browser's next request to it must open a new one
// (and the connection journal shows it).
func (l *Lab) CloseIdle(listener string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		if c.Listener == listener && c.Closed.IsZero() && !c.busy && c.nc != nil {
			c.nc.Close()
		}
	}
}
