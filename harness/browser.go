// Package harness drives a real headless Chromium over the DevTools protocol:
// it runs each scenario's request in a page on the calling origin, gathers an
// observation from the page, the browser and bar's journal, and compares it
// with the scenario's expectation.
package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// ErrNoBrowser means no usable Chromium was found or it would not start.
var ErrNoBrowser = errors.New("no usable Chromium")

// InstallHint tells a person how to get a browser.
const InstallHint = "install Chromium with `make setup` (runs `apt-get install -y chromium`), or point --browser / CORSLAB_BROWSER at a Chromium or Chrome binary"

// BrowserOptions configures Launch.
type BrowserOptions struct {
	// ExecPath is the browser binary; empty means CORSLAB_BROWSER, then the
	// usual places (FindBrowser).
	ExecPath string
	// BlockThirdPartyCookies keeps Chromium's default of blocking cookies on
	// cross-site requests. By default corslab allows them, so credentialed
	// scenarios can show cookies being sent.
	BlockThirdPartyCookies bool
	// Output receives the browser's own stderr; nil discards it.
	Output io.Writer
	// HostRules are extra --host-resolver-rules entries, applied after the
	// lab's "MAP *.localhost 127.0.0.1", e.g. "MAP app.example.com:443
	// 127.0.0.1:41005" to serve a page origin from a loopback listener.
	HostRules []string
	// TrustSPKI are base64 SHA-256 public key hashes whose certificates the
	// browser accepts (--ignore-certificate-errors-spki-list): the lab's
	// throwaway TLS page certificate, never a blanket ignore.
	TrustSPKI []string
	// DisableFeatures are Chromium features to turn off (--disable-features),
	// e.g. HttpsUpgrades, which would silently move a page meant for
	// http://NAME to https://NAME.
	DisableFeatures []string
}

// Browser is one running headless Chromium with a throwaway profile.
type Browser struct {
	ctx         context.Context // browser-level chromedp context
	cancel      context.CancelFunc
	cancelAlloc context.CancelFunc
	dir         string
	execPath    string
	version     string
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
			return "", fmt.Errorf("%w: %q is not an executable: %v; %s", ErrNoBrowser, explicit, err, InstallHint)
		}
		return p, nil
	}
	candidates := []string{"/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell", "/usr/bin/chromium"}
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: looked for %s; %s", ErrNoBrowser, strings.Join(candidates, ", "), InstallHint)
}

// Launch starts Chromium with real web security, a fresh profile and the
// lab's host names mapped to loopback. Close it to stop every process and
// remove the profile. ctx bounds the start only.
func Launch(ctx context.Context, opt BrowserOptions) (*Browser, error) {
	execPath, err := FindBrowser(opt.ExecPath)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "corslab-profile-")
	if err != nil {
		return nil, fmt.Errorf("creating the browser profile: %w", err)
	}
	if !opt.BlockThirdPartyCookies {
		// CDP cookie controls do not lift Chromium's third-party cookie
		// blocking; this profile preference, read at start, does.
		if err := os.MkdirAll(filepath.Join(dir, "Default"), 0o700); err == nil {
			os.WriteFile(filepath.Join(dir, "Default", "Preferences"), []byte(`{"profile":{"cookie_controls_mode":0}}`), 0o600)
		}
	}
	out := opt.Output
	if out == nil {
		out = io.Discard
	}
	allocOpts := []chromedp.ExecAllocatorOption{
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
		// Chromium tries ::1 first for *.localhost; the lab listens on 127.0.0.1.
		chromedp.Flag("host-resolver-rules", strings.Join(append([]string{"MAP *.localhost 127.0.0.1"}, opt.HostRules...), ", ")),
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
	if len(opt.DisableFeatures) > 0 {
		allocOpts = append(allocOpts, chromedp.Flag("disable-features", strings.Join(opt.DisableFeatures, ",")))
	}
	if len(opt.TrustSPKI) > 0 {
		allocOpts = append(allocOpts, chromedp.Flag("ignore-certificate-errors-spki-list", strings.Join(opt.TrustSPKI, ",")))
	}
	// The browser lives as long as this context: never a timeout context.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocOpts...)
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
			return nil, fmt.Errorf("%w: starting %s: %v; %s", ErrNoBrowser, execPath, err, InstallHint)
		}
	case <-ctx.Done():
		b.Close()
		return nil, fmt.Errorf("starting %s: %w", execPath, ctx.Err())
	case <-time.After(30 * time.Second):
		b.Close()
		return nil, fmt.Errorf("%w: %s did not start within 30s; %s", ErrNoBrowser, execPath, InstallHint)
	}
	return b, nil
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

// ExecPath is the binary that was started.
func (b *Browser) ExecPath() string { return b.execPath }

// Context is the browser-level chromedp context; tabs are made from it.
func (b *Browser) Context() context.Context { return b.ctx }

// PID returns the browser's process id, or 0.
func (b *Browser) PID() int {
	c := chromedp.FromContext(b.ctx)
	if c == nil || c.Browser == nil || c.Browser.Process() == nil {
		return 0
	}
	return c.Browser.Process().Pid
}

// Close stops the browser and every child process, then removes the profile.
func (b *Browser) Close() error {
	if b.cancel != nil {
		b.cancel()
	}
	if b.cancelAlloc != nil {
		b.cancelAlloc()
	}
	if b.dir == "" {
		return nil
	}
	// chromedp only sweeps children for profiles it made itself; ours carry
	// --user-data-dir=dir on their command line, so find them by it. A child
	// that was still exiting can write into the profile after a first removal,
	// so look again until both the processes and the directory are gone.
	var err error
	for i := 0; i < 20; i++ {
		killUsing(b.dir)
		err = os.RemoveAll(b.dir)
		if err == nil {
			time.Sleep(20 * time.Millisecond)
			if _, statErr := os.Stat(b.dir); os.IsNotExist(statErr) && !anyUsing(b.dir) {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err == nil {
		err = errors.New("browser processes kept writing to it")
	}
	return fmt.Errorf("removing the browser profile %s: %w", b.dir, err)
}

// anyUsing reports whether a live process has dir as its profile.
func anyUsing(dir string) bool {
	want := []byte("--user-data-dir=" + dir)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(cmd, want) {
			return true
		}
	}
	return false
}

func killUsing(dir string) {
	if dir == "" {
		return
	}
	want := []byte("--user-data-dir=" + dir)
	deadline := time.Now().Add(2 * time.Second)
	for quiet := 0; quiet < 3 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		entries, err := os.ReadDir("/proc")
		if err != nil {
			return
		}
		n := 0
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if err != nil {
				continue
			}
			for _, arg := range bytes.Split(cmd, []byte{0}) {
				if bytes.Equal(arg, want) {
					syscall.Kill(pid, syscall.SIGKILL)
					n++
					break
				}
			}
		}
		if n == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
}
