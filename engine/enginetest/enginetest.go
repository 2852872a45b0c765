// Package enginetest helps tests of engine drivers and their users check
// that a browser leaves nothing behind.
package enginetest

import (
	"os"
	"testing"
)

// TempDir is a fresh directory with a short path in /tmp, removed when the
// test ends, to stand for $TMPDIR: t.TempDir's paths are too long for a
// browser's Unix sockets (see engine.Base), which would put the run
// directory in /tmp instead and make a check of $TMPDIR vacuous.
func TempDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("/tmp", "cl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// Left lists the names of what is in dir.
func Left(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
