package webkit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/engine/enginetest"
)

// origins serves a page on http://foo.localhost:P and an API on
// http://bar.localhost:Q, both on loopback, and records what bar received.
type origins struct {
	foo, bar string
	mu       sync.Mutex
	got      []string // "METHOD path"
}

func startOrigins(t testing.TB) *origins {
	t.Helper()
	o := &origins{}
	listen := func(h http.Handler) int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: h}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		return ln.Addr().(*net.TCPAddr).Port
	}
	fooPort := listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><link rel="icon" href="data:,"><p>page`)
	}))
	o.foo = fmt.Sprintf("http://foo.localhost:%d", fooPort)
	barPort := listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.got = append(o.got, r.Method+" "+r.URL.Path)
		o.mu.Unlock()
		if strings.Contains(r.URL.Path, "/allow") {
			w.Header().Set("Access-Control-Allow-Origin", o.foo)
			w.Header().Set("Access-Control-Allow-Methods", "DELETE")
		}
		w.WriteHeader(200)
	}))
	o.bar = fmt.Sprintf("http://bar.localhost:%d", barPort)
	return o
}

func (o *origins) received() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.got...)
}

const fetchFunc = `async (s) => {
  try { const r = await fetch(s.url, {method: s.method}); await r.text(); return {ok: true, status: r.status, type: r.type}; }
  catch (e) { return {ok: false, error: String(e), name: e.name}; }
}`

// launch starts WebKit, or skips the test when WebKitWebDriver or Xvfb is
// not installed.
func launch(t testing.TB, opt engine.LaunchOptions) *Browser {
	t.Helper()
	if testing.Short() {
		t.Skip("needs WebKit; skipped with -short")
	}
	if _, err := FindTools(); err != nil {
		t.Skipf("no WebKit: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b, err := Launch(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func open(t testing.TB, b *Browser, o *origins) engine.Page {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := b.OpenPage(ctx, engine.PageSpec{URL: o.foo + "/", Origin: o.foo, Function: fetchFunc})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// call runs one fetch in the page.
func call(t testing.TB, p engine.Page, url, method string) map[string]any {
	t.Helper()
	arg, _ := json.Marshal(map[string]string{"url": url, "method": method})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, err := p.Call(ctx, arg)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return res
}

// The page sees an allowed request's status and type and a blocked one's
// bare TypeError; bar sees the preflight; the browser's own view is empty,
// as its Capabilities say.
func TestPageAndServerSides(t *testing.T) {
	o := startOrigins(t)
	b := launch(t, engine.LaunchOptions{})
	defer b.Close()
	if !strings.HasPrefix(b.Version(), "WebKitGTK ") {
		t.Errorf("version %q", b.Version())
	}
	if b.Capabilities() != (engine.Capabilities{}) {
		t.Errorf("capabilities %+v: WebKit under WebDriver observes none of these", b.Capabilities())
	}
	p := open(t, b, o)
	defer p.Close()

	w := p.Watch("/r/allow-1/")
	res := call(t, p, o.bar+"/r/allow-1/x", "DELETE")
	if res["ok"] != true || res["status"] != 200.0 || res["type"] != "cors" {
		t.Fatalf("allowed DELETE: page %v", res)
	}
	if v := w.Settle(context.Background(), engine.Hint{}); len(v.Requests)+len(v.Console)+len(v.Issues) > 0 {
		t.Errorf("view %+v", v)
	}
	if got := strings.Join(o.received(), ", "); got != "OPTIONS /r/allow-1/x, DELETE /r/allow-1/x" {
		t.Errorf("bar received %s", got)
	}

	res = call(t, p, o.bar+"/r/block-1/x", "GET")
	if res["ok"] != false || res["error"] != "TypeError: Load failed" {
		t.Fatalf("blocked GET: page %v", res)
	}

	// A page must land on the origin asked for; a wrong expectation is
	// caught, its window closed, and another page still opens.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := b.OpenPage(ctx, engine.PageSpec{URL: o.foo + "/", Origin: "http://elsewhere.localhost", Function: fetchFunc})
	if err == nil || !strings.Contains(err.Error(), "landed on "+o.foo) {
		t.Fatalf("err %v", err)
	}
	open(t, b, o).Close()
}

// A page on a host only the lab's mapping reaches is refused as
// unsupported, and the jar and permissions say they are out of reach.
func TestUnsupported(t *testing.T) {
	b := &Browser{hostMap: []engine.HostMapping{{Host: "app.example.com", Port: 443, To: 1}}}
	if err := b.reachable("https://app.example.com/"); !errors.Is(err, engine.ErrUnsupported) {
		t.Errorf("mapped host: %v", err)
	}
	if err := b.reachable("http://bar.localhost:1/"); err != nil {
		t.Errorf("localhost: %v", err)
	}
	var p page
	if _, err := p.Cookies(context.Background(), "http://bar.localhost/"); !errors.Is(err, engine.ErrUnsupported) {
		t.Errorf("Cookies: %v", err)
	}
	if err := b.SetPermission(context.Background(), engine.Permission{Name: "loopback-network"}); !errors.Is(err, engine.ErrUnsupported) {
		t.Errorf("SetPermission: %v", err)
	}
}

// Closed gracefully or after MiniBrowser was killed, the browser leaves
// nothing: no file in TMPDIR, no WebKit process, no Xvfb, no X lock or
// socket in /tmp.
func TestCloseLeavesNothing(t *testing.T) {
	for _, kill := range []bool{false, true} {
		t.Run(map[bool]string{false: "graceful", true: "killed browser"}[kill], func(t *testing.T) {
			tmp := enginetest.TempDir(t)
			t.Setenv("TMPDIR", tmp)
			xBefore := xFiles(t)
			b := launch(t, engine.LaunchOptions{})
			home := b.Home()
			if len(processesIn(home)) < 2 {
				t.Fatalf("WebKit processes found for %s: %v", home, processesIn(home))
			}
			if !strings.HasPrefix(b.Dir(), tmp+"/"+engine.RunDirPrefix) {
				t.Fatalf("the browser's files are in %s, not in a run directory in %s", b.Dir(), tmp)
			}
			xvfb := b.xvfb.Process.Pid
			if kill {
				for _, pid := range processesIn(home) {
					if pid != b.driver.Process.Pid && pid != xvfb {
						syscall.Kill(pid, syscall.SIGKILL)
					}
				}
				time.Sleep(300 * time.Millisecond)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if left := processesIn(home); len(left) > 0 {
				t.Fatalf("WebKit processes outlived Close: %v", left)
			}
			if alive(xvfb) {
				t.Fatal("Xvfb outlived Close")
			}
			if left := enginetest.Left(t, tmp); len(left) > 0 {
				t.Fatalf("left in TMPDIR: %v", left)
			}
			if after := xFiles(t); after != xBefore {
				t.Fatalf("X files in /tmp: before %q, after %q", xBefore, after)
			}
			if err := b.Close(); err != nil {
				t.Fatalf("a second Close: %v", err)
			}
		})
	}
}

// xFiles lists X lock files and sockets in /tmp.
func xFiles(t testing.TB) string {
	var names []string
	for _, dir := range []string{"/tmp", "/tmp/.X11-unix"} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".X") && strings.HasSuffix(e.Name(), "-lock") || dir != "/tmp" {
				names = append(names, dir+"/"+e.Name())
			}
		}
	}
	return strings.Join(names, " ")
}

// A missing driver, or a binary that is not one, is reported as no
// browser, with the install hint, and leaves nothing behind.
func TestNoDriver(t *testing.T) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("needs Xvfb")
	}
	for driver, want := range map[string]string{
		"/nonexistent/WebKitWebDriver": "no [/nonexistent/WebKitWebDriver] on PATH",
		"/bin/true":                    "/bin/true: exited at once without serving WebDriver",
	} {
		tmp := enginetest.TempDir(t)
		t.Setenv("TMPDIR", tmp)
		t.Setenv("CORSLAB_WEBKIT_DRIVER", driver)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := Launch(ctx, engine.LaunchOptions{})
		cancel()
		if !errors.Is(err, engine.ErrNoBrowser) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "apt-get install -y webkit2gtk-driver xvfb") {
			t.Errorf("%s: %v", driver, err)
		}
		if left := enginetest.Left(t, tmp); len(left) > 0 {
			t.Errorf("%s: left in TMPDIR: %v", driver, left)
		}
	}
}

// When the process that launched WebKit is SIGKILLed, nothing of WebKit
// outlives it: Xvfb gets SIGTERM and the driver SIGKILL as their parent's
// death signal, and MiniBrowser ends with its display.
func TestKilledParentLeavesNoProcess(t *testing.T) {
	if home := os.Getenv("CORSLAB_WEBKIT_CHILD"); home != "" {
		b := launch(t, engine.LaunchOptions{Dir: home})
		fmt.Println("READY", b.Home())
		time.Sleep(5 * time.Minute)
		return
	}
	if testing.Short() {
		t.Skip("needs WebKit; skipped with -short")
	}
	if _, err := FindTools(); err != nil {
		t.Skipf("no WebKit: %v", err)
	}
	dir := enginetest.TempDir(t)
	cmd := exec.Command(os.Args[0], "-test.run", "^TestKilledParentLeavesNoProcess$")
	cmd.Env = append(os.Environ(), "CORSLAB_WEBKIT_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if home, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- home
			}
		}
		close(ready)
	}()
	var home string
	select {
	case home = <-ready:
	case <-time.After(3 * time.Minute):
	}
	if home == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the child never launched WebKit")
	}
	if len(processesIn(home)) < 3 {
		t.Fatalf("WebKit processes for %s: %v", home, processesIn(home))
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for len(processesIn(home)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if left := processesIn(home); len(left) > 0 {
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		t.Fatalf("WebKit processes outlived their killed parent: %v", left)
	}
}

// A browser killed under a page gives ErrBrowserGone from Call, not a hang.
func TestDeadBrowserGivesError(t *testing.T) {
	o := startOrigins(t)
	b := launch(t, engine.LaunchOptions{})
	defer b.Close()
	p := open(t, b, o)
	for _, pid := range processesIn(b.Home()) {
		if pid != b.driver.Process.Pid && pid != b.xvfb.Process.Pid {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err := p.Call(ctx, []byte(`{"url": "`+o.bar+`/r/x/", "method": "GET"}`))
	if !errors.Is(err, engine.ErrBrowserGone) {
		t.Fatalf("after %s: %v", time.Since(start), err)
	}
}
