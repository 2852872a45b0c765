// Package firefox is the Firefox driver: it starts headless Firefox (Debian's
// firefox-esr) with a private profile and drives it over WebDriver BiDi
// (https://w3c.github.io/webdriver-bidi/), recording the network and log
// events of its pages and, through a small privileged console listener, the
// machine-readable CORS message keys Firefox gives no other way
// (CORSMissingAllowOrigin2 ...). It translates them into the engine package's
// neutral view and decides no verdict.
package firefox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/corslab/corslab/engine"
)

// InstallHint tells a person how to get Firefox.
const InstallHint = "install Firefox with `make setup ENGINES=all` (runs `apt-get install -y firefox-esr`), or point --browser / CORSLAB_FIREFOX at a Firefox binary"

// Engine is the Firefox engine.
type Engine struct{}

// Name is "firefox".
func (Engine) Name() string { return "firefox" }

// Launch starts Firefox; see the package function Launch.
func (Engine) Launch(ctx context.Context, opt engine.LaunchOptions) (engine.Browser, error) {
	b, err := Launch(ctx, opt)
	if err != nil {
		return nil, err
	}
	return b, nil
}

var _ engine.Engine = Engine{}
var _ engine.Browser = (*Browser)(nil)

// FindBrowser returns the Firefox binary to use: explicit, then
// $CORSLAB_FIREFOX, then Debian's real binary, then the usual names on PATH.
func FindBrowser(explicit string) (string, error) {
	if explicit == "" {
		explicit = os.Getenv("CORSLAB_FIREFOX")
	}
	if explicit != "" {
		p, err := exec.LookPath(explicit)
		if err != nil {
			return "", fmt.Errorf("%w: %q is not an executable: %v; %s", engine.ErrNoBrowser, explicit, err, InstallHint)
		}
		return p, nil
	}
	candidates := []string{"/usr/lib/firefox-esr/firefox-esr", "firefox-esr", "firefox", "/usr/lib/firefox/firefox"}
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: looked for %s; %s", engine.ErrNoBrowser, strings.Join(candidates, ", "), InstallHint)
}

// Browser is one running headless Firefox with a private profile.
type Browser struct {
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has been reaped
	conn     *bidi
	rec      *recorder
	files    files
	execPath string
	version  string
	chrome   string // the privileged (chrome) browsing context
	proxy    *socksProxy

	closeOnce sync.Once
	closeErr  error
}

// files are the directories Firefox writes in, all under dir: its profile,
// and its TMPDIR and HOME (Firefox writes ~/.cache/mozilla,
// ~/.config/mozilla and ~/Downloads outside the profile).
type files struct {
	dir, profile, tmp, home string
	run                     *engine.RunDir
}

// listening is the line Firefox prints when its BiDi server is up.
const listening = "WebDriver BiDi listening on "

// Launch starts Firefox with real web security and a private profile, and
// opens a BiDi session on it. Close it to stop every process and remove its
// files. ctx bounds the start only.
func Launch(ctx context.Context, opt engine.LaunchOptions) (*Browser, error) {
	execPath, err := FindBrowser(opt.ExecPath)
	if err != nil {
		return nil, err
	}
	f, err := makeFiles(opt.Dir)
	if err != nil {
		return nil, err
	}
	b := &Browser{files: f, execPath: execPath, rec: newRecorder(), exited: make(chan struct{})}
	if err := b.start(ctx, opt); err != nil {
		b.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("starting %s: %w", execPath, ctx.Err())
		}
		return nil, err
	}
	return b, nil
}

// start writes the profile's prefs, starts the process, connects and
// subscribes.
func (b *Browser) start(ctx context.Context, opt engine.LaunchOptions) error {
	if len(opt.HostMap) > 0 {
		p, err := startSOCKS(opt.HostMap)
		if err != nil {
			return err
		}
		b.proxy = p
	}
	if err := writePrefs(b.files.profile, opt, b.proxy); err != nil {
		return err
	}
	wsURL, err := b.spawn(ctx, opt.Output)
	if err != nil {
		return err
	}
	conn, err := dialBiDi(ctx, wsURL+"/session", b.rec.event)
	if err != nil {
		return fmt.Errorf("%w: %v", engine.ErrNoBrowser, err)
	}
	b.conn = conn
	var sess struct {
		Capabilities struct {
			BrowserName    string `json:"browserName"`
			BrowserVersion string `json:"browserVersion"`
		} `json:"capabilities"`
	}
	if err := conn.call(ctx, "session.new", map[string]any{"capabilities": map[string]any{}}, &sess); err != nil {
		return fmt.Errorf("%w: %v", engine.ErrNoBrowser, err)
	}
	b.version = productName(sess.Capabilities.BrowserName, sess.Capabilities.BrowserVersion)
	events := []string{"network.beforeRequestSent", "network.responseStarted", "network.responseCompleted",
		"network.fetchError", "log.entryAdded", "script.message"}
	if err := conn.call(ctx, "session.subscribe", map[string]any{"events": events}, nil); err != nil {
		return err
	}
	if err := b.listenCORS(ctx); err != nil {
		return err
	}
	if err := b.handleLNAPrompts(ctx); err != nil {
		return err
	}
	return b.trustCerts(ctx, opt)
}

// spawn starts the process in its own process group and returns the BiDi
// address it printed.
func (b *Browser) spawn(ctx context.Context, output io.Writer) (string, error) {
	if output == nil {
		output = io.Discard
	}
	cmd := exec.Command(b.execPath, "--headless", "--no-remote", "--profile", b.files.profile,
		"--remote-debugging-port=0", "--remote-allow-system-access", "about:blank")
	cmd.Env = append(os.Environ(), b.files.env()...)
	cmd.Stdout = output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", fmt.Errorf("starting %s: %w", b.execPath, err)
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("%w: starting %s: %v; %s", engine.ErrNoBrowser, b.execPath, err, InstallHint)
	}
	b.cmd = cmd
	addr := make(chan string, 1)
	var tail lastLines
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(output, line)
			tail.add(line)
			if i := strings.Index(line, listening); i >= 0 && !sent {
				addr <- strings.TrimSpace(line[i+len(listening):])
				sent = true
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() {
		cmd.Wait()
		close(b.exited)
	}()
	select {
	case a := <-addr:
		return a, nil
	case <-b.exited:
		// Give the reader a moment for the last lines.
		time.Sleep(50 * time.Millisecond)
		return "", fmt.Errorf("%w: %s exited at once (%s) without starting a browser; it printed: %s; %s",
			engine.ErrNoBrowser, b.execPath, cmd.ProcessState, tail.String(), InstallHint)
	case <-ctx.Done():
		return "", fmt.Errorf("starting %s: %w", b.execPath, ctx.Err())
	}
}

// lastLines keeps the last few lines a process printed.
type lastLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *lastLines) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s)
	if len(l.lines) > 3 {
		l.lines = l.lines[1:]
	}
}

func (l *lastLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 0 {
		return "nothing"
	}
	return strings.Join(l.lines, " | ")
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

// env points every place Firefox writes outside its profile into the
// browser's own directories, and keeps crash reports off.
func (f files) env() []string {
	return []string{"TMPDIR=" + f.tmp, "HOME=" + f.home,
		"XDG_CONFIG_HOME=" + filepath.Join(f.home, ".config"), "XDG_CACHE_HOME=" + filepath.Join(f.home, ".cache"),
		"XDG_DATA_HOME=" + filepath.Join(f.home, ".local", "share"), "XDG_STATE_HOME=" + filepath.Join(f.home, ".local", "state"),
		"MOZ_CRASHREPORTER_DISABLE=1", "MOZ_CRASHREPORTER=0"}
}

// productName: "firefox", "153.8.0" -> "Firefox 153.8.0".
func productName(name, version string) string {
	if name == "" {
		name = "firefox"
	}
	return strings.ToUpper(name[:1]) + name[1:] + " " + version
}

// Version is the browser's product and version, e.g. "Firefox 153.8.0".
func (b *Browser) Version() string { return b.version }

// Capabilities: BiDi shows the page's requests and the preflight with their
// headers (not byte for byte from the wire), the console, the cookies a
// request carried (not those a response had refused), and, through the
// privileged console listener, Firefox's CORS message keys as issues. It
// reports a CORS block as no failure of the request (the response
// completed), so Failure.Reason stays empty: the reason is an issue.
func (b *Browser) Capabilities() engine.Capabilities {
	return engine.Capabilities{Network: true, Preflight: true, Console: true, Issues: true, Reason: true, Cookies: true, Concurrent: true, PageOrigins: true,
		Permissions: true, PublicByAddress: true, NoPublicPage: noPublicPage}
}

// ExecPath is the binary that was started.
func (b *Browser) ExecPath() string { return b.execPath }

// Dir is the directory all the browser's files are in.
func (b *Browser) Dir() string { return b.files.dir }

// ProfileDir is the browser's profile directory.
func (b *Browser) ProfileDir() string { return b.files.profile }

// PID returns the browser's process id, or 0.
func (b *Browser) PID() int {
	if b.cmd == nil || b.cmd.Process == nil {
		return 0
	}
	return b.cmd.Process.Pid
}

// noPublicPage is why the lab cannot put a Firefox page on a full https
// origin in the public address space. Firefox 153 ESR ignores the
// treat-as-public-address CSP and takes a document's address space from
// the address it connected to (network.lna.address_space.public.override,
// by IP:port), which the lab uses for its public twin; a page on a mapped
// http host name is opened there on the twin's port. But a page on a
// mapped host's own port reaches the lab through the driver's SOCKS proxy,
// and Firefox never gates a proxied page's requests (measured: with the
// proxy's own address counted as public, such a page still fetched from
// loopback bar with no permission and no prompt), and the public twin
// does not serve TLS.
const noPublicPage = "Firefox 153 ESR takes a page's address space only from the address it connected to; the lab's public twin serves http only, and a page on a mapped https origin reaches the lab through the driver's SOCKS proxy, whose pages Firefox never gates"

// gone says whether the browser process ended or the connection broke.
func (b *Browser) gone() bool {
	select {
	case <-b.exited:
		return true
	default:
	}
	return b.conn == nil || b.conn.closed()
}

// wrapGone turns an error of a dead browser into ErrBrowserGone.
func (b *Browser) wrapGone(err error) error {
	if err != nil && b.gone() && !errors.Is(err, engine.ErrBrowserGone) {
		return fmt.Errorf("%w: %v", engine.ErrBrowserGone, err)
	}
	return err
}
