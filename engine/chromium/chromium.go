// Package chromium is the Chromium driver: it starts headless Chromium with
// a private profile and drives it over the DevTools protocol (chromedp),
// recording the raw Network, Log and Audits events of each page and
// translating them into the engine package's neutral view. It decides no
// verdict.
package chromium

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/corslab/corslab/engine"
)

// InstallHint tells a person how to get a browser.
const InstallHint = "install Chromium with `make setup` (runs `apt-get install -y chromium`), or point --browser / CORSLAB_BROWSER at a Chromium or Chrome binary"

// Engine is the Chromium engine.
type Engine struct{}

// Name is "chromium".
func (Engine) Name() string { return "chromium" }

// Launch starts Chromium; see the package function Launch.
func (Engine) Launch(ctx context.Context, opt engine.LaunchOptions) (engine.Browser, error) {
	b, err := Launch(ctx, opt)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// FindBrowser returns the browser binary to use: explicit, then
// $CORSLAB_BROWSER, then Debian's real binary (not its wrapper script), then
// the usual names on PATH.
func FindBrowser(explicit string) (string, error) {
	if explicit == "" {
		explicit = os.Getenv("CORSLAB_BROWSER")
	}
	if explicit != "" {
		p, err := exec.LookPath(explicit)
		if err != nil {
			return "", fmt.Errorf("%w: %q is not an executable: %v; %s", engine.ErrNoBrowser, explicit, err, InstallHint)
		}
		return p, nil
	}
	candidates := []string{"/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell", "/usr/bin/chromium"}
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: looked for %s; %s", engine.ErrNoBrowser, strings.Join(candidates, ", "), InstallHint)
}

var _ engine.Engine = Engine{}
var _ engine.Browser = (*Browser)(nil)

// Browser is one running headless Chromium with a private profile.
type Browser struct {
	ctx         context.Context // browser-level chromedp context
	cancel      context.CancelFunc
	cancelAlloc context.CancelFunc
	files       files
	execPath    string
	version     string

	// initialTab is the tab Chromium starts with, until the first page
	// claims it (claimInitialTab); it was started at firstPage (startURL).
	initialMu  sync.Mutex
	initialTab target.ID
	firstPage  string

	closeOnce sync.Once
	closeErr  error
}

// claimInitialTab gives the tab Chromium started with, once: the first
// page opens in it instead of a new tab, whose target and renderer would
// cost ~0.3 s more (measured, README Speed). loading says the tab was
// started at pageURL. "" when taken or none.
func (b *Browser) claimInitialTab(pageURL string) (id target.ID, loading bool) {
	b.initialMu.Lock()
	defer b.initialMu.Unlock()
	id = b.initialTab
	b.initialTab = ""
	return id, id != "" && pageURL == b.firstPage
}

// findInitialTab notes the page target Chromium started with, the only one
// at launch.
func (b *Browser) findInitialTab(ctx context.Context) {
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		return
	}
	for _, in := range infos {
		if in.Type == "page" && !in.Attached {
			b.initialTab = in.TargetID
			return
		}
	}
}

// files are the directories a browser writes in, all under dir: its
// profile, and its TMPDIR and HOME, so nothing lands outside (Chromium
// makes org.chromium.Chromium.* in TMPDIR, ~/.config/chromium/Crash
// Reports and ~/.cache/dconf in HOME).
type files struct {
	dir, profile, tmp, home string
	// run is the run directory the driver made itself (LaunchOptions.Dir
	// empty), removed at Close.
	run *engine.RunDir
}

// Launch starts Chromium with real web security, a private profile and the
// lab's host names mapped to loopback. Close it to stop every process and
// remove its files. ctx bounds the start only.
func Launch(ctx context.Context, opt engine.LaunchOptions) (*Browser, error) {
	execPath, err := FindBrowser(opt.ExecPath)
	if err != nil {
		return nil, err
	}
	f, err := makeFiles(opt.Dir)
	if err != nil {
		return nil, err
	}
	if !opt.BlockThirdPartyCookies {
		// CDP cookie controls do not lift Chromium's third-party cookie
		// blocking; this profile preference, read at start, does.
		if err := os.MkdirAll(filepath.Join(f.profile, "Default"), 0o700); err == nil {
			os.WriteFile(filepath.Join(f.profile, "Default", "Preferences"), []byte(`{"profile":{"cookie_controls_mode":0}}`), 0o600)
		}
	}
	var cmd *exec.Cmd
	// The browser lives as long as this context: never a timeout context.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocatorOptions(execPath, f, opt, &cmd)...)
	// chromedp's own complaints (a write to a browser that has exited) go
	// with the browser's output, not to corslab's stderr.
	logTo := opt.Output
	if logTo == nil {
		logTo = io.Discard
	}
	bctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(format string, a ...any) {
		fmt.Fprintf(logTo, "chromedp: "+format+"\n", a...)
	}))
	b := &Browser{ctx: bctx, cancel: cancel, cancelAlloc: cancelAlloc, files: f, execPath: execPath}

	started := make(chan error, 1)
	go func() {
		ver, err := chromedp.CallBrowser(bctx, browser.GetVersion, cdp.Empty{})
		if err == nil {
			b.version = productName(ver.Product)
			b.findInitialTab(bctx)
			b.firstPage = startURL(cmd)
		}
		started <- err
	}()
	select {
	case err := <-started:
		if err != nil {
			why := startFailure(execPath, cmd, err)
			b.Close()
			return nil, fmt.Errorf("%w: %s; %s", engine.ErrNoBrowser, why, InstallHint)
		}
	case <-ctx.Done():
		b.Close()
		return nil, fmt.Errorf("starting %s: %w", execPath, ctx.Err())
	}
	return b, nil
}

// startFailure says why the browser did not start. A binary that exits at
// once (not a browser: --browser /bin/true) makes chromedp say only
// "chrome failed to start:" and what it printed, which may be nothing.
func startFailure(execPath string, cmd *exec.Cmd, err error) string {
	msg := err.Error()
	if !strings.Contains(msg, "chrome failed to start") {
		return fmt.Sprintf("starting %s: %v", execPath, err)
	}
	// chromedp says so only after the process was reaped, so its state is
	// there to read.
	status := "it ended"
	if cmd != nil && cmd.ProcessState != nil {
		status = cmd.ProcessState.String()
	}
	_, out, _ := strings.Cut(msg, "chrome failed to start:")
	out = strings.TrimSpace(out)
	if out == "" {
		return fmt.Sprintf("%s exited at once (%s) without starting a browser and printed nothing: is it a Chromium or Chrome binary?", execPath, status)
	}
	lines := strings.Split(out, "\n")
	return fmt.Sprintf("%s exited at once (%s) without starting a browser; it printed: %s", execPath, status, strings.Join(lines[max(0, len(lines)-3):], " | "))
}

// makeFiles lays out the browser's directories under dir, or under a run
// directory of its own when dir is empty.
func makeFiles(dir string) (files, error) {
	var f files
	if dir == "" {
		run, err := engine.NewRunDir()
		if err != nil {
			return f, err
		}
		f.run, dir = run, run.Path
	}
	f.dir = dir
	f.profile, f.tmp, f.home = filepath.Join(dir, "profile"), filepath.Join(dir, "tmp"), filepath.Join(dir, "home")
	for _, d := range []string{f.profile, f.tmp, f.home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			if f.run != nil {
				f.run.Remove()
			}
			return f, fmt.Errorf("creating the browser's directories: %w", err)
		}
	}
	return f, nil
}

// env points every place Chromium writes outside its profile into the
// browser's own directories.
func (f files) env() []string {
	return []string{"TMPDIR=" + f.tmp, "HOME=" + f.home,
		"XDG_CONFIG_HOME=" + filepath.Join(f.home, ".config"), "XDG_CACHE_HOME=" + filepath.Join(f.home, ".cache"),
		"XDG_DATA_HOME=" + filepath.Join(f.home, ".local", "share"), "XDG_STATE_HOME=" + filepath.Join(f.home, ".local", "state")}
}

// allocatorOptions are the command line: headless, real web security, no
// background traffic, the host mapping and the trusted certificate.
// cmd receives the browser's command when it starts.
func allocatorOptions(execPath string, f files, opt engine.LaunchOptions, cmd **exec.Cmd) []chromedp.ExecAllocatorOption {
	out := opt.Output
	if out == nil {
		out = io.Discard
	}
	o := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(f.profile),
		chromedp.Env(f.env()...),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// The GPU thread in the browser process: one process fewer to
		// start with the first page (~70 ms here); no page can tell.
		chromedp.Flag("in-process-gpu", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", strings.Join(HostRules(opt.HostMap), ", ")),
		chromedp.CombinedOutput(out),
		chromedp.ModifyCmdFunc(func(c *exec.Cmd) {
			if c.SysProcAttr == nil {
				c.SysProcAttr = &syscall.SysProcAttr{}
			}
			// Its own process group: a terminal's Ctrl-C then reaches
			// corslab only, which closes the browser itself instead of
			// racing its shutdown; and Close can end the whole group.
			c.SysProcAttr.Setpgid = true
			// Killed with corslab (chromedp's default, which a
			// ModifyCmdFunc replaces): a SIGKILLed run leaves no browser.
			c.SysProcAttr.Pdeathsig = syscall.SIGKILL
			// chromedp's last argument is the first tab's URL: the first
			// page loads while the browser starts (OpenPage).
			if n := len(c.Args); n > 0 && c.Args[n-1] == blankPage {
				c.Args[n-1] = firstPage(opt)
			}
			*cmd = c
		}),
	}
	o = append(o, chromedp.Flag("disable-features", strings.Join(disabledFeatures(opt), ",")))
	o = append(o, chromedp.Flag("enable-features", strings.Join(processFeatures, ",")))
	o = append(o, addressSpaceFlag(opt.LocalAddresses)...)
	if len(opt.TrustSPKI) > 0 {
		o = append(o, chromedp.Flag("ignore-certificate-errors-spki-list", strings.Join(opt.TrustSPKI, ",")))
	}
	return o
}

// blankPage is the URL chromedp starts Chromium's first tab at.
const blankPage = "about:blank"

// startURL is the URL Chromium's first tab was started at: the command
// line's last argument when it is a URL (chromedp puts it last, and the
// ModifyCmdFunc may have replaced it), else "", so that no page takes
// the first tab for loaded at its URL when it is not.
func startURL(cmd *exec.Cmd) string {
	if cmd == nil || len(cmd.Args) == 0 {
		return ""
	}
	last := cmd.Args[len(cmd.Args)-1]
	if last != blankPage && firstPage(engine.LaunchOptions{FirstPage: last}) != last {
		return ""
	}
	return last
}

// firstPage is the URL the first tab starts at: LaunchOptions.FirstPage
// when it is an http or https URL (it goes on the command line, where
// anything else could be read as a switch), else about:blank.
func firstPage(opt engine.LaunchOptions) string {
	u, err := url.Parse(opt.FirstPage)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return blankPage
	}
	return opt.FirstPage
}

// offFeatures are features turned off that no page of a run can see, for
// the CPU they take on a 2-core machine, where every process competes with
// the pages (README Speed):
//   - headless Chromium runs the full browser's UI, which preloads the
//     omnibox popup's WebUI pages (chrome://omnibox-popup.top-chrome/) in
//     renderers of their own; measured here, those burned about 5 s of CPU
//     over a run's first seconds, half of all the CPU the first 300
//     scenarios took;
//   - the spare renderer, a renderer process started ahead of the next
//     navigation: with the pages opened side by side at the start, one is
//     always started for nothing (~0.15 s of CPU per browser).
var offFeatures = []string{"WebUIOmniboxPopup", "WebUIOmniboxAimPopup", "WebUIOmniboxFullPopup", "SpareRendererForSitePerProcess"}

// processFeatures are the features turned on for the process model:
// NetworkServiceInProcess2 runs the network service (the HTTP stack, the
// cookie jar, and the CORS and Local Network Access checks) on a thread of
// the browser process instead of a utility process of its own, as Chromium
// does on low-memory devices. Its code is the same and no page can tell;
// it spares a process start (~0.1 s of CPU at launch). The whole catalog's
// observations were compared with and without both lists: equal but for
// timings.
var processFeatures = []string{"NetworkServiceInProcess2"}

// disabledFeatures is the value of --disable-features.
func disabledFeatures(opt engine.LaunchOptions) []string {
	out := slices.Clone(offFeatures)
	if opt.NoHTTPSUpgrades {
		// HTTPS-Upgrades would silently move a page meant for http://NAME
		// to https://NAME.
		out = append(out, "HttpsUpgrades")
	}
	return out
}

// HostRules are the --host-resolver-rules entries for a host mapping,
// after the lab's own: Chromium tries ::1 first for *.localhost, and the
// lab listens on 127.0.0.1.
func HostRules(m []engine.HostMapping) []string {
	rules := []string{"MAP *.localhost 127.0.0.1"}
	for _, h := range m {
		rules = append(rules, fmt.Sprintf("MAP %s 127.0.0.1:%d", net.JoinHostPort(h.Host, strconv.Itoa(h.Port)), h.To))
	}
	return rules
}

func productName(p string) string {
	// "HeadlessChrome/156.0.8078.79" -> "Chromium 156.0.8078.79"
	if _, v, ok := strings.Cut(p, "/"); ok {
		return "Chromium " + v
	}
	return p
}

// Version is the browser's product and version, e.g. "Chromium 156.0.8078.79".
func (b *Browser) Version() string { return b.version }

// Capabilities: Chromium's DevTools protocol shows every side of a request.
func (b *Browser) Capabilities() engine.Capabilities {
	return engine.Capabilities{Network: true, Preflight: true, RawHeaders: true, Reason: true, Console: true,
		Issues: true, Cookies: true, BlockedCookies: true, Permissions: true, Concurrent: true, PageOrigins: true}
}

// ExecPath is the binary that was started.
func (b *Browser) ExecPath() string { return b.execPath }

// Context is the browser-level chromedp context, for callers that drive
// the browser directly (e.g. a test opening a report in it).
func (b *Browser) Context() context.Context { return b.ctx }

// ProfileDir is the browser's profile directory.
func (b *Browser) ProfileDir() string { return b.files.profile }

// Dir is the directory all the browser's files are in.
func (b *Browser) Dir() string { return b.files.dir }

// PID returns the browser's process id, or 0.
func (b *Browser) PID() int {
	c := chromedp.FromContext(b.ctx)
	if c == nil || c.Browser == nil || c.Browser.Process() == nil {
		return 0
	}
	return c.Browser.Process().Pid
}

// SetPermission sets a permission with CDP Browser.setPermission, for the
// whole browser.
func (b *Browser) SetPermission(ctx context.Context, p engine.Permission) error {
	c := chromedp.FromContext(b.ctx)
	if c == nil || c.Browser == nil {
		return engine.ErrBrowserGone
	}
	params := map[string]any{"permission": map[string]any{"name": p.Name}, "setting": p.Setting, "origin": p.Origin}
	if err := c.Browser.Call(ctx, "Browser.setPermission", params, &struct{}{}); err != nil {
		return fmt.Errorf("Browser.setPermission %s=%s for %s: %w", p.Name, p.Setting, p.Origin, err)
	}
	return nil
}
