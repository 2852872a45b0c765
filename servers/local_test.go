package servers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corslab/corslab/scenarios"
)

// bar's local twin answers a scenario's path as bar does, journals as bar,
// and its connections are journaled under bar-local; the public page carries
// treat-as-public-address.
func TestLocalTwinsAndPublicPage(t *testing.T) {
	l := startLab(t, Options{})
	if l.LocalOrigin("bar") != "" || len(l.LocalAddresses()) != 0 {
		t.Fatalf("local twins before ServeLocal")
	}
	if err := l.ServeLocal(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.ServeLocal(context.Background()); err != nil || len(l.LocalAddresses()) != 2 {
		t.Fatalf("a second ServeLocal: %v, %q", err, l.LocalAddresses())
	}
	bar := l.LocalOrigin("bar")
	if !strings.HasPrefix(bar, "http://bar.localhost:") || bar == l.Origin("bar") || l.LocalOrigin("evil") == l.Origin("evil") {
		t.Errorf("local origins %s, %s", bar, l.LocalOrigin("evil"))
	}
	if l.ListenerOf(l.Port(BarLocal)) != BarLocal || l.ListenerOf(l.Port("bar")) != "bar" || l.ListenerOf(1) != "" {
		t.Errorf("ListenerOf")
	}
	prefix := l.Register("twin", scenarios.Server{Response: scenarios.Response{Body: "ok"}})
	t0 := time.Now()
	out := exchangeRaw(t, l, BarLocal, "GET "+prefix+"/ HTTP/1.1\r\nHost: bar.localhost\r\nConnection: close\r\n\r\n")
	if !strings.HasSuffix(out, "\r\n\r\nok") {
		t.Errorf("answer %q", out)
	}
	if j := l.Journal(prefix); len(j) != 1 || j[0].Origin != "bar" {
		t.Errorf("journal %+v", j)
	}
	if cs := l.Connections(BarLocal, t0, time.Time{}); len(cs) != 1 || cs[0].Requests != 1 {
		t.Errorf("bar-local connections %+v", cs)
	}
	if cs := l.Connections("bar", t0, time.Time{}); len(cs) != 0 {
		t.Errorf("bar's own listener has %+v", cs)
	}
	// The loopback twin answers bar's paths as bar, and is not counted as
	// local.
	if o := l.LoopbackTwinOrigin("bar"); !strings.HasPrefix(o, "http://bar.localhost:") || o == l.Origin("bar") || o == bar {
		t.Errorf("loopback twin origin %s", o)
	}
	if slices.Contains(l.LocalAddresses(), "127.0.0.1:"+strconv.Itoa(l.Port(LoopbackTwin))) {
		t.Errorf("the loopback twin is among the local addresses %q", l.LocalAddresses())
	}
	t1 := time.Now()
	if out := exchangeRaw(t, l, LoopbackTwin, "GET "+prefix+"/ HTTP/1.1\r\nHost: bar.localhost\r\nConnection: close\r\n\r\n"); !strings.HasSuffix(out, "\r\n\r\nok") {
		t.Errorf("loopback twin's answer %q", out)
	}
	if j := l.Journal(prefix); len(j) != 2 || j[1].Origin != "bar" {
		t.Errorf("journal after the loopback twin %+v", j)
	}
	if cs := l.Connections(LoopbackTwin, t1, time.Time{}); len(cs) != 1 || cs[0].Requests != 1 {
		t.Errorf("loopback twin connections %+v", cs)
	}
	if cs := l.Connections("bar", t1, time.Time{}); len(cs) != 0 {
		t.Errorf("bar's own listener has %+v", cs)
	}
	// The public twin answers foo's page as foo, and only it is public.
	if o := l.PublicTwinOrigin("foo"); !strings.HasPrefix(o, "http://foo.localhost:") || o == l.Origin("foo") {
		t.Errorf("public twin origin %s", o)
	}
	if o, want := l.PublicTwinOrigin("http://app.example.test"), "http://app.example.test:"+strconv.Itoa(l.Port(PublicTwin)); o != want {
		t.Errorf("public twin origin of a full origin: %s, want %s", o, want)
	}
	if o := l.PublicTwinOrigin("https://app.example.com"); o != "" {
		t.Errorf("public twin origin of an https origin: %s, want none", o)
	}
	if pub := l.PublicAddresses(); len(pub) != 1 || pub[0] != "127.0.0.1:"+strconv.Itoa(l.Port(PublicTwin)) || slices.Contains(l.LocalAddresses(), pub[0]) {
		t.Errorf("public addresses %q, local %q", pub, l.LocalAddresses())
	}
	if plain := exchangeRaw(t, l, PublicTwin, "GET / HTTP/1.1\r\nHost: foo.localhost\r\nConnection: close\r\n\r\n"); !strings.HasPrefix(plain, "HTTP/1.1 200") {
		t.Errorf("public twin's page %q", plain)
	}
	page := exchangeRaw(t, l, "foo", "GET "+PublicPagePath+" HTTP/1.1\r\nHost: foo.localhost\r\nConnection: close\r\n\r\n")
	if !strings.Contains(page, "\r\nContent-Security-Policy: treat-as-public-address\r\n") {
		t.Errorf("public page %q", page)
	}
	if plain := exchangeRaw(t, l, "foo", "GET / HTTP/1.1\r\nHost: foo.localhost\r\nConnection: close\r\n\r\n"); strings.Contains(plain, "treat-as-public-address") {
		t.Errorf("the plain page is public too")
	}
}

// CloseIdle closes a kept-alive connection waiting for its next request, so
// the next request needs a new connection.
func TestCloseIdle(t *testing.T) {
	l := startLab(t, Options{})
	prefix := l.Register("idle", scenarios.Server{Response: scenarios.Response{Body: "ok"}})
	c := dial(t, l, "bar")
	br := bufio.NewReader(c)
	fmt.Fprintf(c, "GET %s/ HTTP/1.1\r\nHost: bar.localhost\r\n\r\n", prefix)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	l.CloseIdle("baz")
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := br.ReadByte(); err == io.EOF {
		t.Fatalf("CloseIdle(baz) closed bar's connection")
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	l.CloseIdle("bar")
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("the idle connection is still open: %v", err)
	}
}
