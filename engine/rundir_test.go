package engine

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/corslab/corslab/engine/enginetest"
)

// A run directory whose owner has ended (or whose PID now belongs to a
// later process) is removed by the next run; one whose owner lives, or
// that is being made, is not.
func TestSweepStale(t *testing.T) {
	tmp := t.TempDir()
	mk := func(name, owner string, age time.Duration) string {
		p := filepath.Join(tmp, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(p, "profile-file"), []byte("x"), 0o600)
		if owner != "" {
			os.WriteFile(filepath.Join(p, ownerFile), []byte(owner+"\n"), 0o600)
		}
		old := time.Now().Add(-age)
		os.Chtimes(p, old, old)
		return p
	}
	self, err := processID(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	me := strconv.Itoa(os.Getpid())
	dead := mk(RunDirPrefix+"dead", "999999999 12345", 0)
	reused := mk(RunDirPrefix+"reused", me+" 1", 0)
	live := mk(RunDirPrefix+"live", self, time.Hour)
	making := mk(RunDirPrefix+"making", "", 0)
	abandoned := mk(RunDirPrefix+"abandoned", "", time.Hour)
	legacyOld := mk(legacyPrefix+"old", "", time.Hour)
	legacyNew := mk(legacyPrefix+"new", "", 0)
	other := mk("someone-else", "", time.Hour)

	removed := SweepStale(tmp)
	slices.Sort(removed)
	want := []string{abandoned, dead, reused, legacyOld}
	slices.Sort(want)
	if !slices.Equal(removed, want) {
		t.Fatalf("removed %v\nwant    %v", removed, want)
	}
	for _, p := range []string{live, making, legacyNew, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed", p)
		}
	}
}

// NewRunDir records its owner, and the sweep leaves it alone while the
// owner lives.
func TestNewRunDirIsOwned(t *testing.T) {
	t.Setenv("TMPDIR", enginetest.TempDir(t))
	d, err := NewRunDir()
	if err != nil {
		t.Fatal(err)
	}
	if ownerGone(d.Path) {
		t.Fatal("the live owner counts as gone")
	}
	if got := SweepStale(os.TempDir()); len(got) != 0 {
		t.Fatalf("swept %v", got)
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
}

// A TMPDIR too long for a browser's Unix socket path is not used: the run
// directory goes in /tmp, where Chromium can start.
func TestBaseAvoidsLongTempDirs(t *testing.T) {
	t.Setenv("TMPDIR", "/tmp/short")
	if got := Base(); got != "/tmp/short" {
		t.Errorf("Base() = %s", got)
	}
	t.Setenv("TMPDIR", "/tmp/a-temporary-directory-much-too-long-for-sockets")
	if got := Base(); got != "/tmp" {
		t.Errorf("Base() = %s, want /tmp", got)
	}
}

func TestHasArg(t *testing.T) {
	const arg = "--user-data-dir=/tmp/r/profile"
	for _, tt := range []struct {
		cmdline string
		want    bool
	}{
		{"/usr/lib/chromium/chromium\x00" + arg + "\x00--headless\x00", true},
		// Chromium's children rewrite their command line into one string.
		{"/usr/lib/chromium/chromium --type=renderer " + arg + " --no-sandbox\x00", true},
		{"/usr/lib/chromium/chromium --type=renderer " + arg, true},
		{"/usr/lib/chromium/chromium\x00" + arg + "2\x00", false},
		{"/usr/lib/chromium/chromium " + arg + "2 --x\x00", false},
		// Separate arguments are never read as one.
		{"chromium\x00--user-data-dir=/tmp/r/profile extra\x00", false},
		{"chromium\x00" + arg + " extra\x00--x\x00", false},
		{"", false},
	} {
		if got := hasArg([]byte(tt.cmdline), arg); got != tt.want {
			t.Errorf("hasArg(%q) = %v, want %v", tt.cmdline, got, tt.want)
		}
	}
}
