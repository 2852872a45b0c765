package checks

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corslab/corslab/engine/enginetest"
)

// wrongExpectation is a scenario whose expectation the browser does not
// meet: the run fails (exit 1).
const wrongExpectation = `scenarios:
  - name: cleanup-wrong-expectation
    group: simple
    request:
      path: /resource
    server:
      response:
        headers:
          Access-Control-Allow-Origin: "{foo}"
    expect:
      outcome: blocked
`

// browserPIDs are the live (not zombie) browser processes of a run whose
// TMPDIR is dir: Chromium's, whose profile (--user-data-dir) is under dir,
// and Firefox's, whose --profile is under dir or whose environment points
// TMPDIR there (its content processes name no profile on their command
// line, and inherit the driver's TMPDIR, a directory under the run's).
func browserPIDs(dir string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if !isBrowserOf(pid, dir) {
			continue
		}
		stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && bytes.HasPrefix(bytes.TrimSpace(stat[i+1:]), []byte("Z")) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// isBrowserOf says whether process pid is a Chromium or Firefox process
// whose files are under dir.
func isBrowserOf(pid int, dir string) bool {
	cmd, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	if bytes.Contains(cmd, []byte("--user-data-dir="+dir+"/")) || bytes.Contains(cmd, []byte("--profile\x00"+dir+"/")) {
		return true
	}
	if !bytes.Contains(cmd, []byte("firefox")) {
		return false
	}
	env, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	return bytes.Contains(env, []byte("\x00TMPDIR="+dir+"/")) || bytes.HasPrefix(env, []byte("TMPDIR="+dir+"/"))
}

// mainBrowserPID is the browser process itself (not one of its children:
// Chromium's --type=renderer…, Firefox's -contentproc).
func mainBrowserPID(dir string) int {
	for _, pid := range browserPIDs(dir) {
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if !bytes.Contains(cmd, []byte("--type=")) && !bytes.Contains(cmd, []byte("-contentproc")) && !bytes.Contains(cmd, []byte("crashhelper")) {
			return pid
		}
	}
	return 0
}

// waitFor polls cond for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// cleanupRun is one `corslab run` with its own TMPDIR.
type cleanupRun struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan error
}

func startRun(t *testing.T, tmp string, args ...string) *cleanupRun {
	t.Helper()
	r := &cleanupRun{cmd: exec.Command(corslabBin(t), append([]string{"run", "--quiet"}, args...)...), done: make(chan error, 1)}
	r.cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	r.cmd.Stderr = &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() { r.cmd.Process.Kill() })
	return r
}

// wait returns the exit code, failing the test if the run does not end.
func (r *cleanupRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-r.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(3 * time.Minute):
		t.Fatalf("corslab did not end; stderr:\n%s", r.stderr.String())
		return -1
	}
}

// However `corslab run` ends, it leaves no file in its TMPDIR and no
// browser process (issues 11 and 12), on Chromium and on Firefox: a normal
// end, a failing scenario, SIGINT, SIGTERM, a browser killed mid-run.
// After SIGKILL of corslab the browser dies with it, and the next run
// removes what was left.
func TestCLILeavesNothingBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("runs corslab with Chromium and Firefox")
	}
	for _, eng := range []string{"chromium", "firefox"} {
		t.Run(eng, func(t *testing.T) { leavesNothingBehind(t, eng) })
	}
}

// leavesNothingBehind runs TestCLILeavesNothingBehind's cases on one
// engine; it skips when the engine is not installed (exit 3 at once).
func leavesNothingBehind(t *testing.T, eng string) {
	if eng != "chromium" {
		if _, err := exec.LookPath("firefox-esr"); err != nil {
			if _, err := exec.LookPath("firefox"); err != nil {
				t.Skip("no Firefox installed")
			}
		}
	}
	failing := writeFile(t, "wrong.yaml", wrongExpectation)
	tests := []struct {
		name   string
		args   []string
		during func(t *testing.T, r *cleanupRun, tmp string) // nil: let it end
		code   func(int) bool
	}{
		{"normal end", []string{"simple-get-exact-origin"}, nil, func(c int) bool { return c == 0 }},
		{"a failing scenario", []string{"--file", failing}, nil, func(c int) bool { return c == 1 }},
		{"SIGINT", nil, signalRun(syscall.SIGINT), func(c int) bool { return c == 130 }},
		{"SIGTERM", nil, signalRun(syscall.SIGTERM), func(c int) bool { return c == 130 }},
		{"a killed browser", nil, func(t *testing.T, r *cleanupRun, tmp string) {
			syscall.Kill(mainBrowserPID(tmp), syscall.SIGKILL)
		}, func(c int) bool { return c == 3 || c == 4 }}, // killed while starting: 3; after: 4, the harness could not observe
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := enginetest.TempDir(t)
			r := startRun(t, tmp, append([]string{"--engine", eng}, tt.args...)...)
			if tt.during != nil {
				if !waitFor(time.Minute, func() bool { return mainBrowserPID(tmp) != 0 }) {
					t.Fatalf("no browser started; stderr:\n%s", r.stderr.String())
				}
				time.Sleep(500 * time.Millisecond) // into the run
				tt.during(t, r, tmp)
			}
			if code := r.wait(t); !tt.code(code) {
				t.Errorf("exit code %d; stderr:\n%s", code, r.stderr.String())
			}
			if pids := browserPIDs(tmp); len(pids) > 0 {
				t.Errorf("browser processes outlived corslab: %v", pids)
			}
			if left := enginetest.Left(t, tmp); len(left) > 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
		})
	}
	t.Run("SIGKILL, then the next run", func(t *testing.T) {
		tmp := enginetest.TempDir(t)
		r := startRun(t, tmp, "--engine", eng)
		if !waitFor(time.Minute, func() bool { return mainBrowserPID(tmp) != 0 }) {
			t.Fatalf("no browser started; stderr:\n%s", r.stderr.String())
		}
		r.cmd.Process.Kill()
		r.wait(t)
		if !waitFor(10*time.Second, func() bool { return len(browserPIDs(tmp)) == 0 }) {
			t.Errorf("browser processes outlived a SIGKILLed corslab: %v", browserPIDs(tmp))
		}
		left := enginetest.Left(t, tmp)
		if len(left) != 1 || !strings.HasPrefix(left[0], "corslab-run-") {
			t.Fatalf("after SIGKILL the run directory should stay until the next run, found %v", left)
		}
		next := startRun(t, tmp, "--engine", eng, "simple-get-exact-origin")
		if code := next.wait(t); code != 0 {
			t.Fatalf("the next run: exit %d; stderr:\n%s", code, next.stderr.String())
		}
		if left := enginetest.Left(t, tmp); len(left) > 0 {
			t.Errorf("the next run left %v (the stale %s should be gone)", left, filepath.Join(tmp, "corslab-run-*"))
		}
	})
}

// signalRun sends sig to corslab.
func signalRun(sig syscall.Signal) func(t *testing.T, r *cleanupRun, tmp string) {
	return func(t *testing.T, r *cleanupRun, tmp string) {
		if err := r.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
}
