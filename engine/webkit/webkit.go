package webkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/corslab/corslab/engine"
)

// InstallHint tells a person how to get WebKit.
const InstallHint = "install WebKitGTK's driver and a virtual display with `apt-get install -y webkit2gtk-driver xvfb`, or point CORSLAB_WEBKIT_DRIVER at a WebKitWebDriver binary"

// Engine is the WebKit engine (WebKitGTK's MiniBrowser).
type Engine struct{}

// New returns the WebKit engine.
func New() Engine { return Engine{} }

// Name is "webkit".
func (Engine) Name() string { return "webkit" }

// Launch starts WebKit; see the package function Launch.
func (Engine) Launch(ctx context.Context, opt engine.LaunchOptions) (engine.Browser, error) {
	b, err := Launch(ctx, opt)
	if err != nil {
		return nil, err
	}
	return b, nil
}

var _ engine.Engine = Engine{}
var _ engine.Browser = (*Browser)(nil)

// Tools are the programs a WebKit browser needs.
type Tools struct {
	// Driver is WebKitWebDriver; Xvfb the virtual display.
	Driver, Xvfb string
}

// FindTools looks for WebKitWebDriver ($CORSLAB_WEBKIT_DRIVER, then PATH)
// and Xvfb on PATH. The error wraps engine.ErrNoBrowser and says what is
// missing and how to install it.
func FindTools() (Tools, error) {
	var t Tools
	driver := os.Getenv("CORSLAB_WEBKIT_DRIVER")
	if driver == "" {
		driver = "WebKitWebDriver"
	}
	var missing []string
	var err error
	if t.Driver, err = exec.LookPath(driver); err != nil {
		missing = append(missing, driver)
	}
	if t.Xvfb, err = exec.LookPath("Xvfb"); err != nil {
		missing = append(missing, "Xvfb")
	}
	if len(missing) > 0 {
		return t, fmt.Errorf("%w: no %v on PATH; %s", engine.ErrNoBrowser, missing, InstallHint)
	}
	return t, nil
}

// FindBrowser is the registry's lookup (engine/engines): the binary the
// driver starts, explicit when given (the MiniBrowser to start), else
// WebKitWebDriver; the error wraps engine.ErrNoBrowser and says what is
// missing (the driver or Xvfb) and how to install it.
func FindBrowser(explicit string) (string, error) {
	t, err := FindTools()
	if err != nil {
		return "", err
	}
	if explicit != "" {
		p, err := exec.LookPath(explicit)
		if err != nil {
			return "", fmt.Errorf("%w: %v; %s", engine.ErrNoBrowser, err, InstallHint)
		}
		return p, nil
	}
	return t.Driver, nil
}

// Browser is one MiniBrowser under WebKitWebDriver, on a virtual display
// of its own. Its windows are the pages; one WebDriver command runs at a
// time.
type Browser struct {
	files   files
	run     *engine.RunDir // made by Launch when LaunchOptions.Dir was empty
	xvfb    *exec.Cmd
	driver  *exec.Cmd
	wd      *client
	version string
	hostMap []engine.HostMapping

	// mu serialises WebDriver commands: each runs in the current window,
	// so switching to a page's window and running its command is one step.
	mu      sync.Mutex
	current string // the current window's handle
	first   string // the window the session opened with, never a page's

	closeOnce sync.Once
	closeErr  error
}

// Launch starts Xvfb, WebKitWebDriver on it, and a WebDriver session (the
// driver starts MiniBrowser), every file under opt.Dir. ctx bounds the
// start only. opt.ExecPath, when set, is the MiniBrowser binary the driver
// starts. WebKit has no host-resolver rules and no per-certificate trust:
// pages on origins other than *.localhost fail to open (see OpenPage).
func Launch(ctx context.Context, opt engine.LaunchOptions) (*Browser, error) {
	tools, err := FindTools()
	if err != nil {
		return nil, err
	}
	if opt.ExecPath != "" {
		if opt.ExecPath, err = exec.LookPath(opt.ExecPath); err != nil {
			return nil, fmt.Errorf("%w: %v; %s", engine.ErrNoBrowser, err, InstallHint)
		}
	}
	b := &Browser{hostMap: opt.HostMap}
	dir := opt.Dir
	if dir == "" {
		if b.run, err = engine.NewRunDir(); err != nil {
			return nil, err
		}
		dir = b.run.Path
	}
	if b.files, err = newFiles(dir); err != nil {
		b.Close()
		return nil, err
	}
	if err := b.start(ctx, tools, opt); err != nil {
		b.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("starting WebKit: %w", ctx.Err())
		}
		return nil, fmt.Errorf("%w: %v; %s", engine.ErrNoBrowser, err, InstallHint)
	}
	return b, nil
}

// start brings up the display, the driver and the session.
func (b *Browser) start(ctx context.Context, tools Tools, opt engine.LaunchOptions) error {
	out := opt.Output
	if out == nil {
		out = io.Discard
	}
	xvfb, display, err := startXvfb(ctx, tools.Xvfb, b.files, out)
	if err != nil {
		return err
	}
	b.xvfb = xvfb
	if err := b.serve(ctx, tools.Driver, display, out); err != nil {
		return err
	}
	product, version, err := b.wd.newSession(ctx, opt.ExecPath)
	if err != nil {
		return fmt.Errorf("creating a WebDriver session: %w", err)
	}
	b.version = "WebKitGTK " + version + " (" + product + ")"
	var handle string
	if err := b.wd.cmd(ctx, http.MethodGet, "/window", nil, &handle); err != nil {
		return fmt.Errorf("reading the first window: %w", err)
	}
	b.current, b.first = handle, handle
	return nil
}

// serve starts WebKitWebDriver and waits until it serves WebDriver. A
// driver that exits at once (its port was taken after freePort chose it)
// is started again on another port, twice at most.
func (b *Browser) serve(ctx context.Context, path, display string, out io.Writer) error {
	var err error
	for try := 0; try < 3; try++ {
		var port int
		if port, err = freePort(); err != nil {
			return err
		}
		if b.driver, err = startDriver(path, port, b.files, display, out); err != nil {
			return err
		}
		b.wd = &client{base: "http://127.0.0.1:" + strconv.Itoa(port), http: &http.Client{}}
		if err = b.waitReady(ctx, port); err == nil || ctx.Err() != nil {
			return err
		}
		stop(b.driver, time.Second)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// waitReady polls the driver's status until it is ready, it exits, or ctx
// ends.
func (b *Browser) waitReady(ctx context.Context, port int) error {
	exited := make(chan struct{})
	go func() {
		// Reaped by stop; here only noticed.
		for alive(b.driver.Process.Pid) {
			time.Sleep(50 * time.Millisecond)
		}
		close(exited)
	}()
	for !b.wd.ready(ctx) {
		select {
		case <-exited:
			return fmt.Errorf("exited at once without serving WebDriver on port %d", port)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// Version is the engine, version and browser, e.g. "WebKitGTK 2.50.6
// (MiniBrowser)".
func (b *Browser) Version() string { return b.version }

// Capabilities: under WebDriver, WebKit shows only the page. There is no
// network or console event, so no preflight, no reason and no console
// message; the jar is out of reach but for the current document. What
// WebKit cannot tell comes from bar's journal or not at all.
func (b *Browser) Capabilities() engine.Capabilities {
	return engine.Capabilities{}
}

// Dir is the directory all the browser's files are in.
func (b *Browser) Dir() string { return b.files.dir }

// Home is the HOME of every WebKit process of this browser.
func (b *Browser) Home() string { return b.files.home }

// SetPermission is not supported: WebKitWebDriver has no permission
// command.
func (b *Browser) SetPermission(ctx context.Context, p engine.Permission) error {
	return fmt.Errorf("setting %s=%s for %s in WebKit: %w", p.Name, p.Setting, p.Origin, engine.ErrUnsupported)
}

// closeWithin bounds the graceful end of the session.
const closeWithin = 10 * time.Second

// Close ends the WebDriver session (the driver closes MiniBrowser), stops
// the driver and Xvfb with their process groups, kills any WebKit process
// left with this browser's HOME, and removes the browser's files. It is
// safe to call more than once.
func (b *Browser) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.close() })
	return b.closeErr
}

func (b *Browser) close() error {
	if b.wd != nil {
		ctx, cancel := context.WithTimeout(context.Background(), closeWithin)
		b.mu.Lock()
		b.wd.deleteSession(ctx)
		b.mu.Unlock()
		cancel()
	}
	stop(b.driver, 2*time.Second)
	// Without its display, whatever GTK process is left ends too.
	stop(b.xvfb, 2*time.Second)
	var err error
	if b.files.dir != "" {
		err = removeFiles(b.files)
	}
	if b.run != nil {
		err = errors.Join(err, b.run.Remove())
	}
	return err
}
