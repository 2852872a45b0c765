package main

import (
	"testing"

	"github.com/corslab/corslab/policy"
)

func TestWithoutTargetOrigin(t *testing.T) {
	probes := []policy.Probe{
		{Name: "a", Page: "http://localhost:3000"},
		{Name: "b", Page: "http://localhost:3001"},
		{Name: "c", Page: "https://localhost:3001"},
		{Name: "d", Page: "null"},
		{Name: "e", Page: "http://127.0.0.1:3001"},
	}
	tests := []struct {
		target, keep, skipped string
	}{
		{"http://localhost:3001", "a d e", "b c"},
		{"http://127.0.0.1:3001", "a b c d", "e"},
		{"http://127.0.0.1:8080", "a b c d e", ""},
	}
	for _, tt := range tests {
		keep, skipped := withoutTargetOrigin(probes, tt.target)
		if names(keep) != tt.keep || names(skipped) != tt.skipped {
			t.Errorf("%s: kept %q skipped %q, want %q and %q", tt.target, names(keep), names(skipped), tt.keep, tt.skipped)
		}
	}
}

func names(ps []policy.Probe) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += " "
		}
		s += p.Name
	}
	return s
}
