package webkit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// files are the directories WebKit writes in, all under dir: HOME, the
// XDG directories (WebKit's caches, GStreamer's registry, MiniBrowser's
// data) and TMPDIR.
type files struct {
	dir, home, tmp string
}

func newFiles(dir string) (files, error) {
	f := files{dir: dir, home: filepath.Join(dir, "home"), tmp: filepath.Join(dir, "tmp")}
	for _, d := range []string{f.home, f.tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return f, fmt.Errorf("creating WebKit's directories: %w", err)
		}
	}
	return f, nil
}

// env is the environment of every WebKit process: the machine's, with each
// place WebKit writes pointed into the browser's directory.
func (f files) env(display string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "TMPDIR", "DISPLAY", "WAYLAND_DISPLAY", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME",
			"XDG_STATE_HOME", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+f.home, "TMPDIR="+f.tmp, "DISPLAY="+display,
		"XDG_CONFIG_HOME="+filepath.Join(f.home, ".config"), "XDG_CACHE_HOME="+filepath.Join(f.home, ".cache"),
		"XDG_DATA_HOME="+filepath.Join(f.home, ".local", "share"), "XDG_STATE_HOME="+filepath.Join(f.home, ".local", "state"),
		"XDG_RUNTIME_DIR="+f.tmp,
		// No session bus: GLib would otherwise start a dbus-daemon that
		// outlives the run.
		"DBUS_SESSION_BUS_ADDRESS=disabled:", "GTK_A11Y=none", "NO_AT_BRIDGE=1")
}

// ownGroup gives a command its own process group, so Close can end it and
// everything it started, and a signal for when corslab dies.
func ownGroup(c *exec.Cmd, deathSig syscall.Signal) {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: deathSig}
}

// startXvfb starts a virtual display: Xvfb picks a free display number and
// writes it to a pipe (-displayfd). It listens on neither TCP nor a socket
// file, only on Linux's abstract socket, so it leaves no file in /tmp.
func startXvfb(ctx context.Context, path string, f files, out io.Writer) (*exec.Cmd, string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, "", fmt.Errorf("starting Xvfb: %w", err)
	}
	defer r.Close()
	cmd := exec.Command(path, "-displayfd", "3", "-nolisten", "tcp", "-nolisten", "unix", "-screen", "0", "1280x800x24", "-nolock")
	cmd.Env = f.env("")
	cmd.Dir = f.tmp
	cmd.Stdout, cmd.Stderr = out, out
	cmd.ExtraFiles = []*os.File{w}
	// SIGTERM, not SIGKILL: Xvfb then ends cleanly; and without its
	// display MiniBrowser and its helpers end too.
	ownGroup(cmd, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, "", fmt.Errorf("starting %s: %w", path, err)
	}
	w.Close()
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if _, err := strconv.Atoi(n); err != nil {
			stop(cmd, time.Second)
			return nil, "", fmt.Errorf("%s exited without a display (it said %q)", path, n)
		}
		return cmd, ":" + n, nil
	case <-ctx.Done():
		stop(cmd, time.Second)
		return nil, "", fmt.Errorf("starting %s: %w", path, ctx.Err())
	}
}

// freePort is a loopback port nobody listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port for WebKitWebDriver: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startDriver starts WebKitWebDriver on a loopback port, on the display.
func startDriver(path string, port int, f files, display string, out io.Writer) (*exec.Cmd, error) {
	cmd := exec.Command(path, "--port="+strconv.Itoa(port), "--host=127.0.0.1")
	cmd.Env = f.env(display)
	cmd.Dir = f.tmp
	cmd.Stdout, cmd.Stderr = out, out
	ownGroup(cmd, syscall.SIGKILL)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	return cmd, nil
}

// stop ends a command's process group: SIGTERM, then SIGKILL after grace.
// It waits for the command itself.
func stop(cmd *exec.Cmd, grace time.Duration) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	pid := cmd.Process.Pid
	syscall.Kill(-pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
	}
	syscall.Kill(-pid, syscall.SIGKILL)
	<-done
}

// processesIn returns the live processes other than this one whose
// environment has HOME=home: every process WebKit started, whatever group
// it went to.
func processesIn(home string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	want := []byte("HOME=" + home)
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(env, want) {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if bytes.Equal(kv, want) && alive(pid) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// alive says whether pid is a process that has not ended (not a zombie).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	s := stat[i+2]
	return s != 'Z' && s != 'X'
}

var errKeptWriting = errors.New("WebKit processes kept writing to it")

// removeFiles kills what still runs with the browser's HOME and removes
// its directory, looking again until both are gone: a helper that was
// still exiting can write into it after a first removal.
func removeFiles(f files) error {
	var err error
	for i := 0; i < 20; i++ {
		for _, pid := range processesIn(f.home) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		err = os.RemoveAll(f.dir)
		if err == nil {
			time.Sleep(20 * time.Millisecond)
			if _, statErr := os.Stat(f.dir); os.IsNotExist(statErr) && len(processesIn(f.home)) == 0 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err == nil {
		err = errKeptWriting
	}
	return fmt.Errorf("removing WebKit's files %s: %w", f.dir, err)
}
