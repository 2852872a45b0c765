package main

import (
	"strings"
	"testing"
)

// Bad fuzz flags are usage errors (exit 2) that name the flag, before any
// browser starts.
func TestFuzzUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"fuzz", "--count", "0"}, "--count 0"},
		{[]string{"fuzz", "--count", "x"}, "count"},
		{[]string{"fuzz", "--seed", "-1"}, "seed"},
		{[]string{"fuzz", "--shrink-runs", "-2"}, "--shrink-runs -2"},
		{[]string{"fuzz", "some-scenario"}, "fuzz takes no scenario names"},
		{[]string{"fuzz", "--bar-port", "70000"}, "--bar-port 70000"},
	} {
		code, _, stderr := corslab(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d naming %q", tt.args, code, stderr, exitUsage, tt.want)
		}
	}
}
