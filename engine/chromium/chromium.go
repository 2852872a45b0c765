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
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
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
	dir         string // the profile
	execPath    string
	version     string
}

// Launch starts Chromium with real web security, a private profile and the
// lab's host names mapped to loopback. Close it to stop every process and
// remove the profile. ctx bounds the start only.
func Launch(ctx context.Context, opt engine.LaunchOptions) (*Browser, error) {
	execPath, err := FindBrowser(opt.ExecPath)
	if err != nil {
		return nil, err
	}
	dir, err := profileDir(opt.Dir)
	if err != nil {
		return nil, err
	}
	if !opt.BlockThirdPartyCookies {
		// CDP cookie controls do not lift Chromium's third-party cookie
		// blocking; this profile preference, read at start, does.
		if err := os.MkdirAll(filepath.Join(dir, "Default"), 0o700); err == nil {
			os.WriteFile(filepath.Join(dir, "Default", "Preferences"), []byte(`{"profile":{"cookie_controls_mode":0}}`), 0o600)
		}
	}
	// The browser lives as long as this context: never a timeout context.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocatorOptions(execPath, dir, opt)...)
	bctx, cancel := chromedp.NewContext(allocCtx)
	b := &Browser{ctx: bctx, cancel: cancel, cancelAlloc: cancelAlloc, dir: dir, execPath: execPath}

	started := make(chan error, 1)
	go func() {
		ver, err := chromedp.CallBrowser(bctx, browser.GetVersion, cdp.Empty{})
		if err == nil {
			b.version = productName(ver.Product)
		}
		started <- err
	}()
	select {
	case err := <-started:
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("%w: starting %s: %v; %s", engine.ErrNoBrowser, execPath, err, InstallHint)
		}
	case <-ctx.Done():
		b.Close()
		return nil, fmt.Errorf("starting %s: %w", execPath, ctx.Err())
	}
	return b, nil
}

// profileDir is the profile directory under dir, or a fresh temporary one.
func profileDir(dir string) (string, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "corslab-profile-")
		if err != nil {
			return "", fmt.Errorf("creating the browser profile: %w", err)
		}
		return d, nil
	}
	d := filepath.Join(dir, "profile")
	if err := os.MkdirAll(d, 0o700); err != nil {
		return "", fmt.Errorf("creating the browser profile: %w", err)
	}
	return d, nil
}

// allocatorOptions are the command line: headless, real web security, no
// background traffic, the host mapping and the trusted certificate.
func allocatorOptions(execPath, dir string, opt engine.LaunchOptions) []chromedp.ExecAllocatorOption {
	out := opt.Output
	if out == nil {
		out = io.Discard
	}
	o := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(dir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
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
		// Its own process group: a terminal's Ctrl-C then reaches corslab
		// only, which closes the browser itself instead of racing its shutdown.
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			if cmd.SysProcAttr == nil {
				cmd.SysProcAttr = &syscall.SysProcAttr{}
			}
			cmd.SysProcAttr.Setpgid = true
		}),
	}
	if opt.NoHTTPSUpgrades {
		// HTTPS-Upgrades would silently move a page meant for http://NAME
		// to https://NAME.
		o = append(o, chromedp.Flag("disable-features", "HttpsUpgrades"))
	}
	if len(opt.TrustSPKI) > 0 {
		o = append(o, chromedp.Flag("ignore-certificate-errors-spki-list", strings.Join(opt.TrustSPKI, ",")))
	}
	return o
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
		Issues: true, Cookies: true, Permissions: true, Concurrent: true}
}

// ExecPath is the binary that was started.
func (b *Browser) ExecPath() string { return b.execPath }

// Context is the browser-level chromedp context, for callers that drive
// the browser directly (e.g. a test opening a report in it).
func (b *Browser) Context() context.Context { return b.ctx }

// ProfileDir is the browser's profile directory.
func (b *Browser) ProfileDir() string { return b.dir }

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
