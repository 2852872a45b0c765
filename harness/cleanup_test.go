package harness

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/corslab/corslab/engine/enginetest"
	"github.com/corslab/corslab/scenarios"
)

// However a session ends, nothing of it stays in the temporary directory:
// a normal end, a failing scenario, a browser killed mid-run, a session
// needing the second (third-party-cookie blocking) browser. Issue 11.
func TestNothingLeftInTMPDIR(t *testing.T) {
	failing := allowed("fails")
	failing.Expect.Outcome = scenarios.OutcomeBlocked
	blocking := allowed("blocks-3pc")
	blocking.ThirdPartyCookies = "block"
	tests := []struct {
		name string
		run  func(t *testing.T, s *Session)
	}{
		{"normal end", func(t *testing.T, s *Session) {
			if r := s.Run(context.Background(), allowed("ok")); r.Verdict != Pass {
				t.Fatalf("%s %v %s", r.Verdict, r.Mismatches, r.Error)
			}
		}},
		{"a failing scenario", func(t *testing.T, s *Session) {
			if r := s.Run(context.Background(), failing); r.Verdict != Fail {
				t.Fatalf("verdict %s, want fail", r.Verdict)
			}
		}},
		{"a killed browser", func(t *testing.T, s *Session) {
			syscall.Kill(chromiumOf(t, s).PID(), syscall.SIGKILL)
			time.Sleep(200 * time.Millisecond)
			if r := s.Run(context.Background(), allowed("after-kill")); r.Verdict != Error {
				t.Fatalf("verdict %s, want error", r.Verdict)
			}
		}},
		{"two browsers", func(t *testing.T, s *Session) {
			if r := s.Run(context.Background(), blocking); r.Verdict != Pass {
				t.Fatalf("%s %v %s", r.Verdict, r.Mismatches, r.Error)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := enginetest.TempDir(t)
			t.Setenv("TMPDIR", tmp)
			s := startSession(t, Options{Timeout: 3 * time.Second})
			tt.run(t, s)
			s.Close()
			if left := enginetest.Left(t, tmp); len(left) > 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
		})
	}
}
