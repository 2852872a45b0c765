package engine

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RunDirPrefix starts the name of every run directory in the temporary
// directory ($TMPDIR, else /tmp).
const RunDirPrefix = "corslab-run-"

// ownerFile, in a run directory, holds "PID STARTTIME" of the process that
// made it: the start time (from /proc/PID/stat) tells a live owner from a
// later process that got the same PID.
const ownerFile = "owner"

// legacyPrefix names the profile directories of corslab before run
// directories; they have no owner file.
const legacyPrefix = "corslab-profile-"

// legacyAge is how long a legacy profile must have been left untouched,
// with no process using it, before a sweep removes it.
const legacyAge = 10 * time.Minute

// maxBase is the longest temporary directory a run directory may sit in.
// Browsers make Unix sockets under their TMPDIR, and a socket's path must
// fit in 107 bytes: Chromium's is
// BASE/corslab-run-NNNNNNNNNN/chromium-1/tmp/org.chromium.Chromium.XXXXXX/SingletonSocket,
// 83 bytes after BASE; past that it aborts at start.
const maxBase = 24

// Base is the directory run directories go in: $TMPDIR (os.TempDir), or
// /tmp when $TMPDIR is too long for the browsers' sockets.
func Base() string {
	if tmp := os.TempDir(); len(tmp) <= maxBase {
		return tmp
	}
	return "/tmp"
}

// RunDir is one run's own temporary directory: every file its browsers
// write (profiles, TMPDIR, HOME) goes under it, and Remove takes it all
// away. It records its owner, so a later run can remove it when the owner
// was killed before it could (SweepStale).
type RunDir struct {
	// Path is the directory.
	Path string

	mu   sync.Mutex
	subs map[string]int
}

// NewRunDir removes stale run directories from Base, then makes a fresh
// one there, owned by this process.
func NewRunDir() (*RunDir, error) {
	tmp := Base()
	SweepStale(tmp)
	dir, err := os.MkdirTemp(tmp, RunDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("creating the run's temporary directory: %w", err)
	}
	owner, err := processID(os.Getpid())
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner+"\n"), 0o600)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("recording the owner of %s: %w", dir, err)
	}
	return &RunDir{Path: dir}, nil
}

// Sub makes a fresh directory inside the run directory: name-1, name-2 ...
// (short, see maxBase).
func (d *RunDir) Sub(name string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.subs == nil {
		d.subs = map[string]int{}
	}
	d.subs[name]++
	p := filepath.Join(d.Path, name+"-"+strconv.Itoa(d.subs[name]))
	if err := os.Mkdir(p, 0o700); err != nil {
		return "", fmt.Errorf("creating a directory for %s: %w", name, err)
	}
	return p, nil
}

// Remove removes the run directory and everything in it.
func (d *RunDir) Remove() error {
	if err := os.RemoveAll(d.Path); err != nil {
		return fmt.Errorf("removing the run's temporary directory: %w", err)
	}
	return nil
}

// SweepStale removes from tmp the run directories whose owner process is
// gone, and corslab's older profile directories that no process has used
// for a while. It returns what it removed.
func SweepStale(tmp string) []string {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		p := filepath.Join(tmp, e.Name())
		stale := false
		switch {
		case !e.IsDir():
		case strings.HasPrefix(e.Name(), RunDirPrefix):
			stale = ownerGone(p)
		case strings.HasPrefix(e.Name(), legacyPrefix):
			stale = unusedLegacy(p, e)
		}
		if stale && os.RemoveAll(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// ownerGone says whether a run directory's owner has ended. A directory
// still without an owner file is being made, unless it is old.
func ownerGone(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if errors.Is(err, os.ErrNotExist) {
		info, err := os.Stat(dir)
		return err == nil && time.Since(info.ModTime()) > legacyAge
	}
	if err != nil {
		return false
	}
	want := strings.TrimSpace(string(b))
	pid, _, _ := strings.Cut(want, " ")
	n, err := strconv.Atoi(pid)
	if err != nil {
		return true
	}
	got, err := processID(n)
	return err != nil || got != want
}

// unusedLegacy says whether an old-style profile directory is left over:
// untouched for legacyAge and no process's --user-data-dir.
func unusedLegacy(dir string, e os.DirEntry) bool {
	info, err := e.Info()
	if err != nil || time.Since(info.ModTime()) < legacyAge {
		return false
	}
	return !ProcessUses("--user-data-dir=" + dir)
}

// processID is "PID STARTTIME" of a live process; an error when there is
// no such process or it is a zombie.
func processID(pid int) (string, error) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing parenthesis. State is field 3, starttime 22.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return "", fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 {
		return "", fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	if f[0] == "Z" || f[0] == "X" {
		return "", fmt.Errorf("process %d has ended", pid)
	}
	return strconv.Itoa(pid) + " " + f[19], nil
}

// ProcessUses says whether a live (not zombie) process other than this one
// has arg among its command-line arguments.
func ProcessUses(arg string) bool {
	return len(ProcessesWith(arg)) > 0
}

// ProcessesWith returns the live (not zombie) processes other than this one
// with arg among their command-line arguments.
func ProcessesWith(arg string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !hasArg(cmd, arg) {
			continue
		}
		if _, err := processID(pid); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// hasArg says whether a /proc cmdline holds arg as one argument: between
// NULs, or, in a command line rewritten into one string (Chromium's
// renderers, zygotes and utilities do so), between spaces.
func hasArg(cmdline []byte, arg string) bool {
	if arg == "" || !bytes.Contains(cmdline, []byte(arg)) {
		return false
	}
	args := bytes.Split(bytes.TrimSuffix(cmdline, []byte{0}), []byte{0})
	if len(args) == 1 {
		return strings.Contains(" "+string(args[0])+" ", " "+arg+" ")
	}
	for _, a := range args {
		if string(a) == arg {
			return true
		}
	}
	return false
}
