package harness

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corslab/corslab/engine/chromium"
	"github.com/corslab/corslab/scenarios"
)

func startSession(t *testing.T, opt Options) *Session {
	t.Helper()
	s, err := Start(context.Background(), opt)
	if errors.Is(err, ErrNoBrowser) {
		t.Skipf("no browser: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// processesUsing counts live (not zombie) processes started with dir as
// their profile.
func processesUsing(dir string) int {
	want := []byte("--user-data-dir=" + dir)
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.Contains(cmd, want) {
			continue
		}
		stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if f := strings.Fields(string(stat)); len(f) > 2 && f[2] == "Z" {
			continue
		}
		n++
	}
	return n
}

func allowed(name string) scenarios.Scenario {
	return scenarios.Scenario{Name: name, Group: "t",
		Server: scenarios.Server{Response: scenarios.Response{Headers: scenarios.Headers{{Name: "Access-Control-Allow-Origin", Values: []string{"*"}}}}},
		Expect: scenarios.Expect{Outcome: scenarios.OutcomeAllowed}}
}

func TestTimeoutGivesErrorVerdictAndSessionGoesOn(t *testing.T) {
	s := startSession(t, Options{Timeout: 300 * time.Millisecond})
	defer s.Close()
	hang := allowed("hang")
	hang.Server.Response.Delay = scenarios.Duration(time.Minute)
	res := s.Run(context.Background(), hang)
	if res.Verdict != Error || !strings.Contains(res.Error, "timed out after 300ms") {
		t.Fatalf("verdict %s, error %q", res.Verdict, res.Error)
	}
	if o := res.Last(); o == nil || !o.ReachedServer {
		t.Fatalf("the journal should show the request reached bar: %+v", o)
	}
	// Chromium keeps at most 6 connections per host: more hung requests than
	// that must not starve the scenarios that follow.
	for i := 0; i < 7; i++ {
		if res := s.Run(context.Background(), hang); res.Verdict != Error {
			t.Fatalf("hang %d: %s", i, res.Verdict)
		}
	}
	if res := s.Run(context.Background(), allowed("after-hang")); res.Verdict != Pass {
		t.Fatalf("next scenario: %s %v %s", res.Verdict, res.Mismatches, res.Error)
	}
}

// chromiumOf is the session's Chromium, for what only its driver knows.
func chromiumOf(t *testing.T, s *Session) *chromium.Browser {
	t.Helper()
	b, ok := s.Browser.(*chromium.Browser)
	if !ok {
		t.Skipf("the session's browser is %T, not Chromium", s.Browser)
	}
	return b
}

func TestCloseLeavesNoProcessAndNoProfile(t *testing.T) {
	s := startSession(t, Options{})
	dir := chromiumOf(t, s).ProfileDir()
	if processesUsing(dir) == 0 {
		t.Fatal("no browser process found for the profile")
	}
	if res := s.Run(context.Background(), allowed("one")); res.Verdict != Pass {
		t.Fatalf("%s %v %s", res.Verdict, res.Mismatches, res.Error)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := processesUsing(dir); n != 0 {
		t.Fatalf("%d browser processes outlived Close", n)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("profile %s still exists", dir)
	}
}

func TestDeadBrowserGivesErrorNotHang(t *testing.T) {
	s := startSession(t, Options{Timeout: 2 * time.Second})
	defer s.Close()
	pid := chromiumOf(t, s).PID()
	if pid == 0 {
		t.Fatal("no browser pid")
	}
	syscall.Kill(pid, syscall.SIGKILL)
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	res := s.Run(context.Background(), allowed("after-death"))
	if res.Verdict != Error {
		t.Fatalf("verdict %s, want error", res.Verdict)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s", d)
	}
	if !strings.Contains(res.Error, "browser went away") {
		t.Fatalf("error %q does not say the browser died", res.Error)
	}
}

func TestFindBrowserExplicitMissing(t *testing.T) {
	_, err := FindBrowser("/nonexistent/chromium")
	if !errors.Is(err, ErrNoBrowser) || !strings.Contains(err.Error(), "/nonexistent/chromium") || !strings.Contains(err.Error(), "make setup") {
		t.Fatalf("got %v", err)
	}
}

func TestInterruptedRunStops(t *testing.T) {
	s := startSession(t, Options{})
	dir := chromiumOf(t, s).ProfileDir()
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("profile %s outlived an interrupted run", dir)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	hang := allowed("hang-interrupt")
	hang.Server.Response.Delay = scenarios.Duration(time.Minute)
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	// One at a time, so the second is still waiting when the run is cut.
	results := s.RunAll(ctx, []scenarios.Scenario{hang, allowed("never")}, RunOptions{Jobs: 1})
	if time.Since(start) > 10*time.Second {
		t.Fatalf("cancel took %s", time.Since(start))
	}
	if len(results) != 2 || results[0].Verdict != Error || !strings.Contains(results[0].Error, "interrupted") {
		t.Fatalf("results %+v", results)
	}
	if r := results[1]; r.Verdict != Error || r.Error != "not run: interrupted" || len(r.Steps) != 1 || r.Steps[0].Observed != nil || r.Scenario.Name != "never" {
		t.Fatalf("the scenario not run: %+v", r)
	}
}

// A request still under way when the run's deadline passes is an error
// that names the deadline, not an interrupt or the request's own timeout.
func TestDeadlineDuringARequest(t *testing.T) {
	s := startSession(t, Options{Timeout: time.Minute})
	defer s.Close()
	hang := allowed("hang-deadline")
	hang.Server.Response.Delay = scenarios.Duration(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	res := s.Run(ctx, hang)
	if res.Verdict != Error || !strings.Contains(res.Error, "the run's deadline passed before the request settled") {
		t.Fatalf("verdict %s, error %q", res.Verdict, res.Error)
	}
}

// Every scenario gets a result: once the run's deadline passed, the rest
// are errors that say so.
func TestRunAllAfterTheDeadline(t *testing.T) {
	s := startSession(t, Options{})
	defer s.Close()
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	results := s.RunAll(ctx, []scenarios.Scenario{allowed("a"), allowed("b")}, RunOptions{})
	if len(results) != 2 {
		t.Fatalf("%d results for 2 scenarios", len(results))
	}
	for _, r := range results {
		if r.Verdict != Error || r.Error != "not run: the run's deadline passed" {
			t.Errorf("%s: %s %q", r.Scenario.Name, r.Verdict, r.Error)
		}
	}
}

// A request bar's server layer cannot take (here a header section above its
// 1 MiB limit, sent by Chromium itself) gives verdict error naming it, never
// an observation of CORS: bar's own 431 is not the scenario's answer.
func TestServerLayerAnswerGivesErrorVerdict(t *testing.T) {
	s := startSession(t, Options{Timeout: 3 * time.Second})
	defer s.Close()
	big := allowed("too-big-for-bar")
	big.Request.Headers = scenarios.Headers{{Name: "X-Big", Values: []string{strings.Repeat("a", 1<<20+10)}}}
	big.Server.Response.Headers = append(big.Server.Response.Headers, scenarios.Header{Name: "Access-Control-Allow-Headers", Values: []string{"*"}})
	big.Expect.Outcome = scenarios.OutcomeBlocked
	res := s.Run(context.Background(), big)
	if res.Verdict != Error || !strings.Contains(res.Error, "bar could not parse the request") || !strings.Contains(res.Error, "larger than the lab's limit of 1 MiB") {
		o := res.Last()
		t.Fatalf("verdict %s, error %q, mismatches %v, obs %+v", res.Verdict, res.Error, res.Mismatches, o)
	}
	if n := s.Lab.Counts().ServerLayer; n == 0 {
		t.Fatal("the lab counted no server-layer answer")
	}
	// The session goes on, and an ordinary request is not refused.
	if res := s.Run(context.Background(), allowed("after-too-big")); res.Verdict != Pass {
		t.Fatalf("next scenario: %s %v %s", res.Verdict, res.Mismatches, res.Error)
	}
}
