package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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

// TestReachableLocalhostNames: *.localhost targets are dialled on
// loopback, as the browser maps them, without asking DNS (which here, as
// on many machines, knows no such name).
func TestReachableLocalhostNames(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	for _, host := range []string{"localhost", "api.localhost", "corslab-no-such-name.localhost"} {
		target := "http://" + net.JoinHostPort(host, port) + "/api"
		if err := reachable(context.Background(), target); err != nil {
			t.Errorf("%s: %v", target, err)
		}
	}
}

// TestCheckFlags: bad bounds are refused, not silently replaced.
func TestCheckFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--policy", "p.yaml", "--timeout", "0"},
		{"--policy", "p.yaml", "--deadline", "-5s"},
	} {
		if _, err := parseCheckFlags(args, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	f, err := parseCheckFlags([]string{"--policy", "p.yaml"}, io.Discard)
	if err != nil || f.deadline < defaultDeadline || f.deadline > 6*defaultDeadline || f.timeout != 5*time.Second {
		t.Errorf("defaults %+v, %v", f, err)
	}
}

// TestCloseReserve: the share of --deadline kept for closing the browser
// grows with the load and never takes more than half of the deadline.
func TestCloseReserve(t *testing.T) {
	for _, c := range []struct {
		d     time.Duration
		scale float64
		want  time.Duration
	}{
		{3 * time.Minute, 1, 2 * time.Second},
		{3 * time.Minute, 6, 12 * time.Second},
		{20 * time.Second, 6, 10 * time.Second},
		{2 * time.Second, 1, time.Second},
	} {
		if got := closeReserve(c.d, c.scale); got != c.want {
			t.Errorf("closeReserve(%s, %.0f) = %s, want %s", c.d, c.scale, got, c.want)
		}
	}
}
