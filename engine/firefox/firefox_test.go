package firefox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/engine/enginetest"
)

// launch starts Firefox for a test in a directory of its own, or skips
// when it is not installed.
func launch(t *testing.T, opt engine.LaunchOptions) *Browser {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = enginetest.TempDir(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	b, err := Launch(ctx, opt)
	if errors.Is(err, engine.ErrNoBrowser) {
		t.Skipf("no Firefox: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// serve answers on loopback and records the request lines it got.
type served struct {
	port int
	mu   sync.Mutex
	got  []string
}

func serve(t *testing.T, h http.HandlerFunc) *served {
	t.Helper()
	s := &served{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.got = append(s.got, r.Method+" "+r.RequestURI+" Host="+r.Host)
		s.mu.Unlock()
		h(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.port = ln.Addr().(*net.TCPAddr).Port
	return s
}

// TestHostMapGivesThePageItsOrigin: a page on http://app.example.com (port
// 80) reaches the loopback listener through the SOCKS mapping, with the
// request line in origin form and the Host header untouched, as bar's
// journal would show.
func TestHostMapGivesThePageItsOrigin(t *testing.T) {
	page := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><link rel="icon" href="data:,"><p>app`)
	})
	b := launch(t, engine.LaunchOptions{HostMap: []engine.HostMapping{{Host: "app.example.com", Port: 80, To: page.port}}, NoHTTPSUpgrades: true})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := b.OpenPage(ctx, engine.PageSpec{URL: "http://app.example.com/", Origin: "http://app.example.com", Function: "async () => 1"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	page.mu.Lock()
	defer page.mu.Unlock()
	if len(page.got) == 0 || page.got[0] != "GET / Host=app.example.com" {
		t.Fatalf("the listener got %q, want GET / Host=app.example.com first", page.got)
	}
}

// TestCloseLeavesNothing: after Close no process uses the profile and the
// browser's directory is gone; nothing was written to the real HOME.
func TestCloseLeavesNothing(t *testing.T) {
	dir := enginetest.TempDir(t)
	bdir := dir + "/ff"
	if err := os.Mkdir(bdir, 0o700); err != nil {
		t.Fatal(err)
	}
	b := launch(t, engine.LaunchOptions{Dir: bdir})
	pid := b.PID()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if engine.ProcessUses(b.ProfileDir()) {
		t.Fatalf("a process still uses %s", b.ProfileDir())
	}
	if left := enginetest.Left(t, dir); len(left) != 0 {
		t.Fatalf("left behind in %s: %v", dir, left)
	}
	if err := syscallAlive(pid); err == nil {
		t.Fatalf("process %d still alive", pid)
	}
}

// TestKilledBrowserIsReported: a killed Firefox makes Call fail with
// ErrBrowserGone, and Close still cleans up.
func TestKilledBrowserIsReported(t *testing.T) {
	page := serve(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<p>x") })
	b := launch(t, engine.LaunchOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := b.OpenPage(ctx, engine.PageSpec{URL: fmt.Sprintf("http://foo.localhost:%d/", page.port), Function: "async () => 1"})
	if err != nil {
		t.Fatal(err)
	}
	killGroup(b.PID())
	<-b.exited
	_, err = p.Call(ctx, []byte("{}"))
	if !errors.Is(err, engine.ErrBrowserGone) {
		t.Fatalf("Call after kill: %v, want ErrBrowserGone", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b.Dir()); !os.IsNotExist(err) {
		t.Fatalf("%s is still there", b.Dir())
	}
}

func TestParameter(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"Cross-Origin Request Blocked: … (Reason: header ‘x-api-key’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).", "x-api-key"},
		{"… (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘http://foo.localhost:1’).", "http://foo.localhost:1"},
		{"… (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200.", ""},
		{"no reason here ‘x’", ""},
	} {
		if got := parameter(tt.text); got != tt.want {
			t.Errorf("parameter(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestPreflightRecognised(t *testing.T) {
	fetch := "fetch"
	acrm := []bidiHeader{{Name: "Access-Control-Request-Method", Value: bidiValue{Value: "DELETE"}}}
	if !isPreflight(bidiRequest{Method: "OPTIONS", Headers: acrm}) {
		t.Error("OPTIONS with Access-Control-Request-Method and no initiator type is a preflight")
	}
	if isPreflight(bidiRequest{Method: "OPTIONS", Headers: acrm, InitiatorType: &fetch}) {
		t.Error("the page's own OPTIONS fetch is no preflight")
	}
	if isPreflight(bidiRequest{Method: "OPTIONS"}) {
		t.Error("OPTIONS without Access-Control-Request-Method is no preflight")
	}
	if !strings.Contains(productName("firefox", "153.8.0"), "Firefox 153.8.0") {
		t.Error(productName("firefox", "153.8.0"))
	}
}

// TestTrustedCertificateForMappedHost: a page on https://example.com loads
// from a loopback TLS listener whose certificate this profile alone trusts.
func TestTrustedCertificateForMappedHost(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><link rel="icon" href="data:,"><p>tls`)
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	b := launch(t, engine.LaunchOptions{HostMap: []engine.HostMapping{{Host: "example.com", Port: 443, To: port}},
		TrustCerts: [][]byte{srv.Certificate().Raw}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := b.OpenPage(ctx, engine.PageSpec{URL: "https://example.com/", Origin: "https://example.com", Function: "async () => 1"})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
}
