package chromium

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/engine/enginetest"
)

// origins serves a page on http://foo.localhost:P and an API on
// http://bar.localhost:Q, both on loopback, and counts what bar received.
type origins struct {
	foo, bar string
	mu       sync.Mutex
	got      []string // "METHOD path"
	pages    int      // foo's page loads
}

func startOrigins(t *testing.T) *origins {
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
		o.mu.Lock()
		o.pages++
		o.mu.Unlock()
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

func (o *origins) arrivals(marker string) func() engine.Arrivals {
	return func() engine.Arrivals {
		o.mu.Lock()
		defer o.mu.Unlock()
		var a engine.Arrivals
		for _, g := range o.got {
			switch {
			case !strings.Contains(g, marker):
			case strings.HasPrefix(g, "OPTIONS "):
				a.Preflights++
			default:
				a.Requests++
			}
		}
		return a
	}
}

const fetchFunc = `async (s) => {
  try { const r = await fetch(s.url, {method: s.method}); await r.text(); return {ok: true, status: r.status, type: r.type}; }
  catch (e) { return {ok: false, error: String(e), name: e.name}; }
}`

func launch(t *testing.T, opt engine.LaunchOptions) *Browser {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Chromium; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := Launch(ctx, opt)
	if errors.Is(err, engine.ErrNoBrowser) {
		t.Skipf("no browser: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// call runs one fetch in the page and settles its watch.
func call(t *testing.T, p engine.Page, o *origins, method, path string) (map[string]any, engine.View) {
	t.Helper()
	marker := path
	w := p.Watch(marker)
	arg, _ := json.Marshal(map[string]string{"url": o.bar + path, "method": method})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	raw, err := p.Call(ctx, arg)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	ok, _ := res["ok"].(bool)
	typ, _ := res["type"].(string)
	msg, _ := res["error"].(string)
	v := w.Settle(ctx, engine.Hint{Result: engine.PageOutcome{OK: ok, Type: typ, Error: msg}, Journal: o.arrivals(marker)})
	return res, v
}

// The driver reports what Chromium saw, translated: a preflight as its own
// request, the actual request's hops with raw headers, and a blocked
// request's CorsError with its console line. It decides nothing.
func TestViewOfAllowedAndBlockedRequests(t *testing.T) {
	o := startOrigins(t)
	b := launch(t, engine.LaunchOptions{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := b.OpenPage(ctx, engine.PageSpec{URL: o.foo + "/", Origin: o.foo, Function: fetchFunc})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	res, v := call(t, p, o, "DELETE", "/r/allow-1/x")
	if res["ok"] != true || len(v.Requests) != 2 || !v.Requests[0].Preflight && !v.Requests[1].Preflight {
		t.Fatalf("allowed DELETE: page %v, view %+v", res, v)
	}
	for _, r := range v.Requests {
		if !r.Done && !r.Preflight || r.Failure != nil || len(r.Hops) != 1 || r.Hops[0].Response == nil {
			t.Errorf("request %+v, failure %+v", r, r.Failure)
		}
		if !r.Preflight && (r.Hops[0].Method != "DELETE" || !r.Hops[0].RawHeaders || r.Hops[0].Response.Status != 200) {
			t.Errorf("actual request %+v", r.Hops[0])
		}
	}

	res, v = call(t, p, o, "GET", "/r/block-1/x")
	if res["ok"] != false || len(v.Requests) != 1 {
		t.Fatalf("blocked GET: page %v, view %+v", res, v)
	}
	f := v.Requests[0].Failure
	if f == nil || f.Reason != "MissingAllowOriginHeader" || f.Text != "net::ERR_FAILED" {
		t.Fatalf("failure %+v", f)
	}
	if len(v.Console) == 0 || !strings.Contains(v.Console[0].Text, "has been blocked by CORS policy") {
		t.Fatalf("console %+v", v.Console)
	}

	// A second watch on the same marker, started at once, sees only what
	// came after it (one or both of Chromium's two console lines, never a
	// late line of the first call's request).
	_, v2 := call(t, p, o, "GET", "/r/block-1/x")
	if len(v2.Requests) != 1 || len(v2.Console) == 0 || len(v2.Console) > 2 {
		t.Fatalf("second watch: %d requests, %d console lines (first: %d)", len(v2.Requests), len(v2.Console), len(v.Console))
	}
}

// A page must land on the origin asked for; a wrong expectation is caught.
func TestOpenPageChecksTheOrigin(t *testing.T) {
	o := startOrigins(t)
	b := launch(t, engine.LaunchOptions{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := b.OpenPage(ctx, engine.PageSpec{URL: o.foo + "/", Origin: "http://elsewhere.localhost", Function: fetchFunc})
	if err == nil || !strings.Contains(err.Error(), "landed on "+o.foo) {
		t.Fatalf("err %v", err)
	}
}

// Closed while running with a page open, or after its process was killed,
// the browser leaves nothing in the temporary directory: not its profile,
// not Chromium's own org.chromium.Chromium.* (its TMPDIR is inside the run
// directory), no process.
func TestCloseLeavesNothing(t *testing.T) {
	for _, kill := range []bool{false, true} {
		t.Run(map[bool]string{false: "running, a page open", true: "killed browser"}[kill], func(t *testing.T) {
			tmp := enginetest.TempDir(t)
			t.Setenv("TMPDIR", tmp)
			b := launch(t, engine.LaunchOptions{})
			arg := "--user-data-dir=" + b.ProfileDir()
			if !engine.ProcessUses(arg) {
				t.Fatal("no browser process found for the profile")
			}
			if !kill {
				o := startOrigins(t)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if _, err := b.OpenPage(ctx, engine.PageSpec{URL: o.foo + "/", Function: fetchFunc}); err != nil {
					t.Fatal(err)
				}
			}
			if !strings.HasPrefix(b.Dir(), tmp+"/"+engine.RunDirPrefix) {
				t.Fatalf("the browser's files are in %s, not in a run directory in %s", b.Dir(), tmp)
			}
			if kill {
				syscall.Kill(b.PID(), syscall.SIGKILL)
				time.Sleep(300 * time.Millisecond)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if engine.ProcessUses(arg) {
				t.Fatal("browser processes outlived Close")
			}
			if left := enginetest.Left(t, tmp); len(left) > 0 {
				t.Fatalf("left in TMPDIR: %v", left)
			}
			if err := b.Close(); err != nil {
				t.Fatalf("a second Close: %v", err)
			}
		})
	}
}

// A binary that is not a browser and exits at once is named as such.
func TestNotABrowser(t *testing.T) {
	t.Setenv("TMPDIR", enginetest.TempDir(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := Launch(ctx, engine.LaunchOptions{ExecPath: "/bin/true"})
	if !errors.Is(err, engine.ErrNoBrowser) || !strings.Contains(err.Error(), "/bin/true exited at once (exit status 0) without starting a browser and printed nothing") {
		t.Fatalf("err %v", err)
	}
	if left := enginetest.Left(t, os.Getenv("TMPDIR")); len(left) > 0 {
		t.Fatalf("left in TMPDIR: %v", left)
	}
}

func TestHostRules(t *testing.T) {
	got := strings.Join(HostRules([]engine.HostMapping{{Host: "app.example.com", Port: 443, To: 2000}, {Host: "*", Port: 80, To: 1000}, {Host: "::1", Port: 8080, To: 3}}), ", ")
	want := "MAP *.localhost 127.0.0.1, MAP app.example.com:443 127.0.0.1:2000, MAP *:80 127.0.0.1:1000, MAP [::1]:8080 127.0.0.1:3"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// SetPermission reaches the page: what Browser.setPermission sets is what
// the Permissions API then reports (Local Network Access needs it).
func TestSetPermission(t *testing.T) {
	o := startOrigins(t)
	b := launch(t, engine.LaunchOptions{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	query := `async (name) => (await navigator.permissions.query({name})).state`
	p, err := b.OpenPage(ctx, engine.PageSpec{URL: o.foo + "/", Function: query})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, setting := range []string{"granted", "denied"} {
		if err := b.SetPermission(ctx, engine.Permission{Name: "loopback-network", Setting: setting, Origin: o.foo}); err != nil {
			t.Fatal(err)
		}
		got, err := p.Call(ctx, []byte(`"loopback-network"`))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != `"`+setting+`"` {
			t.Errorf("set %s, the page reads %s", setting, got)
		}
	}
	if err := b.SetPermission(ctx, engine.Permission{Name: "no-such-permission", Setting: "granted", Origin: o.foo}); err == nil {
		t.Error("an unknown permission was accepted")
	}
}

// The first page opens in the blank tab Chromium starts with, the second in
// a new tab: afterwards there are exactly two page targets and no blank
// one left unattached, and the omnibox popup's WebUI pages are not there.
func TestFirstPageTakesTheInitialTab(t *testing.T) {
	o := startOrigins(t)
	b := launch(t, engine.LaunchOptions{})
	defer b.Close()
	if b.initialTab == "" {
		t.Fatal("no blank tab found at launch")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for range 2 {
		p, err := b.OpenPage(ctx, engine.PageSpec{URL: o.foo + "/", Function: fetchFunc})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
	}
	infos, err := chromedp.Targets(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	for _, in := range infos {
		switch {
		case in.Type == "page" && in.URL == "about:blank" && !in.Attached:
			t.Errorf("the initial blank tab is still unused: %+v", in)
		case in.Type == "page":
			pages++
		case strings.Contains(in.URL, "omnibox-popup"):
			t.Errorf("the omnibox popup's WebUI is loaded: %+v", in)
		}
	}
	if pages != 2 {
		t.Errorf("%d page targets, want 2", pages)
	}
}

// TestPagesLoadOnce checks that each page is loaded once, where it is
// opened: the first in the tab Chromium started at it (FirstPage), the
// next in a tab created at its URL, neither after an about:blank.
func TestPagesLoadOnce(t *testing.T) {
	o := startOrigins(t)
	b := launch(t, engine.LaunchOptions{FirstPage: o.foo + "/"})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 2 {
		p, err := b.OpenPage(ctx, engine.PageSpec{URL: o.foo + "/", Function: fetchFunc})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		h, err := chromedp.Run(p.(*page).ctx, chromedp.Evaluate[int](`history.length`))
		if err != nil {
			t.Fatal(err)
		}
		o.mu.Lock()
		loads := o.pages
		o.mu.Unlock()
		if h != 1 || loads != i+1 {
			t.Errorf("page %d: history.length %d, foo's page loaded %d times; want 1 and %d", i+1, h, loads, i+1)
		}
		// The request function is installed in the loaded page.
		res, err := p.Call(ctx, []byte(`{"url": "`+o.bar+`/allow", "method": "GET"}`))
		if err != nil || !strings.Contains(string(res), "200") {
			t.Errorf("page %d: call: %s, %v", i+1, res, err)
		}
	}
}

// TestFirstPageWhenTheInitialTabIsGone: a first page whose tab Chromium
// started with has gone opens in a tab of its own.
func TestFirstPageWhenTheInitialTabIsGone(t *testing.T) {
	o := startOrigins(t)
	b := launch(t, engine.LaunchOptions{FirstPage: o.foo + "/"})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if b.initialTab == "" {
		t.Fatal("no initial tab found at launch")
	}
	if _, err := chromedp.CallBrowser(b.ctx, target.CloseTarget, target.CloseTargetParams{TargetID: b.initialTab}); err != nil {
		t.Fatal(err)
	}
	p, err := b.OpenPage(ctx, engine.PageSpec{URL: o.foo + "/", Function: fetchFunc})
	if err != nil {
		t.Fatalf("opening the first page after its tab was closed: %v", err)
	}
	defer p.Close()
	res, err := p.Call(ctx, []byte(`{"url": "`+o.bar+`/allow", "method": "GET"}`))
	if err != nil || !strings.Contains(string(res), "200") {
		t.Errorf("call: %s, %v", res, err)
	}
}

// TestOpenPageWaitsForASlowPage: a page whose server takes seconds to
// answer (a loaded machine) opens, however long its tab shows the initial
// about:blank, within the opening's bound.
func TestOpenPageWaitsForASlowPage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2500 * time.Millisecond)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><link rel="icon" href="data:,"><p>slow`)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	slow := fmt.Sprintf("http://slow.localhost:%d/", ln.Addr().(*net.TCPAddr).Port)
	b := launch(t, engine.LaunchOptions{})
	defer b.Close()
	b.claimInitialTab("") // a tab of its own, created at the page's URL
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := b.OpenPage(ctx, engine.PageSpec{URL: slow, Function: fetchFunc})
	if err != nil {
		t.Fatalf("a page 2.5 s slow to answer: %v", err)
	}
	p.Close()
}

// TestOpenPageSaysWhyItDidNotLoad: a page whose server is gone fails to
// open with the browser's reason, at once, whether it is the first page
// (started at launch) or not.
func TestOpenPageSaysWhyItDidNotLoad(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := fmt.Sprintf("http://foo.localhost:%d/", ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	b := launch(t, engine.LaunchOptions{FirstPage: gone})
	defer b.Close()
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		start := time.Now()
		_, err := b.OpenPage(ctx, engine.PageSpec{URL: gone, Function: fetchFunc})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "ERR_CONNECTION_REFUSED") || time.Since(start) > 10*time.Second {
			t.Errorf("page %d: err %v after %v, want net::ERR_CONNECTION_REFUSED at once", i+1, err, time.Since(start))
		}
	}
}

// TestProcessModel checks the processes a browser with two pages on two
// sites runs: one renderer per page and no spare, and no network service
// process of its own (offFeatures, processFeatures).
func TestProcessModel(t *testing.T) {
	o := startOrigins(t)
	b := launch(t, engine.LaunchOptions{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, u := range []string{o.foo, o.bar} {
		p, err := b.OpenPage(ctx, engine.PageSpec{URL: u + "/", Function: fetchFunc})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
	}
	renderers := 0
	for _, pid := range engine.ProcessesWith("--user-data-dir=" + b.files.profile) {
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		args := strings.Fields(strings.ReplaceAll(string(cmd), "\x00", " "))
		switch {
		case slices.Contains(args, "--type=renderer"):
			renderers++
		case slices.Contains(args, "--utility-sub-type=network.mojom.NetworkService"):
			t.Errorf("the network service runs in a process of its own: %s", strings.Join(args, " "))
		}
	}
	if renderers != 2 {
		t.Errorf("%d renderer processes for two pages, want 2", renderers)
	}
}

func TestStartURL(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"chromium", "--headless", "about:blank"}, "about:blank"},
		{[]string{"chromium", "--headless", "http://foo.localhost:4100/"}, "http://foo.localhost:4100/"},
		// Were chromedp to stop putting the first tab's URL last, no page
		// would take that tab for loaded at its URL.
		{[]string{"chromium", "--headless", "--remote-debugging-pipe"}, ""},
		{nil, ""},
	} {
		if got := startURL(&exec.Cmd{Args: tt.args}); got != tt.want {
			t.Errorf("startURL(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestFirstPage(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "about:blank"},
		{"http://foo.localhost:4100/", "http://foo.localhost:4100/"},
		{"https://app.example.com/", "https://app.example.com/"},
		// It goes on the command line: nothing that could be a switch or
		// another kind of URL.
		{"--disable-web-security", "about:blank"},
		{"file:///etc/passwd", "about:blank"},
		{"javascript:alert(1)", "about:blank"},
		{"http:///nohost", "about:blank"},
		{"http://foo.localhost:4100/\x00x", "about:blank"},
	} {
		if got := firstPage(engine.LaunchOptions{FirstPage: tt.in}); got != tt.want {
			t.Errorf("firstPage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDisabledFeatures(t *testing.T) {
	for _, tt := range []struct {
		opt  engine.LaunchOptions
		want string
	}{
		{engine.LaunchOptions{}, "WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,SpareRendererForSitePerProcess"},
		{engine.LaunchOptions{NoHTTPSUpgrades: true}, "WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,SpareRendererForSitePerProcess,HttpsUpgrades"},
	} {
		if got := strings.Join(disabledFeatures(tt.opt), ","); got != tt.want {
			t.Errorf("disabledFeatures(%+v) = %s, want %s", tt.opt, got, tt.want)
		}
	}
	// The shared list is not appended to in place.
	disabledFeatures(engine.LaunchOptions{NoHTTPSUpgrades: true})
	if len(offFeatures) != 4 {
		t.Errorf("offFeatures changed: %v", offFeatures)
	}
}
