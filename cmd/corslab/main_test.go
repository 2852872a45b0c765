package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// corslab runs the CLI in-process and returns its exit code and output.
func corslab(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// writeFile writes a scenario file into a temporary directory.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// needsBrowser skips a test that starts Chromium when there is none (exit 3)
// or when -short is given.
func needsBrowser(t *testing.T, code int, stderr string) {
	t.Helper()
	if code == exitNoBrowser {
		t.Skipf("no usable browser: %s", stderr)
	}
}

const okScenario = `scenarios:
  - name: cli-simple-get
    group: simple
    lesson: A GET that bar allows for foo's origin, so the page reads the answer.
    spec: https://fetch.spec.whatwg.org/#http-access-control-allow-origin
    request:
      path: /resource
    server:
      response:
        headers:
          Access-Control-Allow-Origin: "{foo}"
        body: hello
    expect:
      outcome: allowed
      status: 200
      body: hello
`

// wrongScenario expects the browser to block what it allows, and a status
// bar does not send.
const wrongScenario = `scenarios:
  - name: cli-wrong-expectation
    group: simple
    request:
      path: /resource
    server:
      response:
        headers:
          Access-Control-Allow-Origin: "{foo}"
        body: hello
    expect:
      outcome: allowed
      status: 201
      preflight: true
`

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string // substring of stderr (or stdout for help)
	}{
		{"no arguments", nil, exitUsage, "Usage:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown flag", []string{"run", "--bogus"}, exitUsage, "bogus"},
		{"bad format", []string{"run", "--format", "xml"}, exitUsage, `--format "xml"`},
		{"list bad format", []string{"list", "--format", "junit"}, exitUsage, `--format "junit"`},
		{"explain with another format", []string{"run", "--explain", "--format", "json"}, exitUsage, "--explain writes text"},
		{"explain without a name", []string{"explain"}, exitUsage, "explain needs a scenario NAME"},
		{"no such scenario", []string{"run", "no-such-scenario"}, exitUsage, `no scenario matches "no-such-scenario"`},
		{"no such group", []string{"list", "--group", "no-such-group"}, exitUsage, `no scenario is in group "no-such-group"`},
		{"bad glob", []string{"list", "["}, exitUsage, "bad pattern"},
		{"missing file", []string{"list", "--file", "/nonexistent/x.yaml"}, exitUsage, "/nonexistent/x.yaml"},
		{"unknown engine", []string{"run", "--engine", "netscape", "simple-get-exact-origin"}, exitUsage, `--engine "netscape": unknown engine "netscape" (known: chromium, firefox`},
		{"one binary, two engines", []string{"run", "--engine", "chromium,firefox", "--browser", "/bin/true", "simple-get-exact-origin"}, exitUsage, "names one binary"},
		// #11 item 10: values that were silently changed or ignored.
		{"timeout 0", []string{"run", "--timeout", "0"}, exitUsage, "--timeout 0s: must be more than 0"},
		{"negative timeout", []string{"explain", "simple-get-exact-origin", "--timeout", "-5s"}, exitUsage, "--timeout -5s: must be more than 0"},
		{"check timeout 0", []string{"check", "--policy", "p.yaml", "--timeout", "0"}, exitUsage, "--timeout 0s: must be more than 0"},
		{"negative deadline", []string{"run", "--deadline", "-1s"}, exitUsage, "--deadline -1s: must be 0 (no bound) or more"},
		{"all-headers without explain", []string{"run", "--all-headers"}, exitUsage, "--all-headers changes what --explain shows: add --explain"},
		{"foo and bar on one port", []string{"run", "--foo-port", "18080", "--bar-port", "18080"}, exitUsage, "--bar-port 18080: --foo-port already gives port 18080 to corslab's own foo"},
		{"bar and baz on one port", []string{"run", "--bar-port", "18081", "--baz-port", "18081"}, exitUsage, "--baz-port 18081: --bar-port already gives port 18081 to corslab's own bar"},
		{"help", []string{"help"}, exitOK, "corslab explain NAME"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := corslab(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stdout+stderr, tc.want) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tc.want, stdout, stderr)
			}
		})
	}
}

// TestBadScenarioFiles checks that a bad file gives exit 2 and names the
// file and line of the problem, before any browser starts.
func TestBadScenarioFiles(t *testing.T) {
	dir := t.TempDir()
	ok := writeFile(t, dir, "ok.yaml", okScenario)
	tests := []struct {
		name  string
		body  string
		extra []string // more files
		line  int
		want  string
	}{
		{
			name: "unknown field",
			body: "scenarios:\n  - name: a\n    group: simple\n    requets:\n      path: /\n    server: {}\n    expect:\n      outcome: allowed\n",
			line: 4, want: "requets",
		},
		{
			name: "CR LF in a header value",
			body: "scenarios:\n  - name: a\n    group: simple\n    server:\n      response:\n        headers:\n          X-Evil: \"a\\r\\nSet-Cookie: x=1\"\n    expect:\n      outcome: allowed\n",
			line: 7, want: "contains CR or LF",
		},
		{
			name: "status outside 100-999",
			body: "scenarios:\n  - name: a\n    group: simple\n    server:\n      preflight:\n        status: 1200\n    expect:\n      outcome: allowed\n",
			line: 6, want: "status 1200 is outside 100-999",
		},
		{
			name: "raw answer without a status line",
			body: "scenarios:\n  - name: a\n    group: simple\n    server:\n      response:\n        raw: |\n          Access-Control-Allow-Origin: *\n    expect:\n      outcome: allowed\n",
			line: 6, want: "raw answer must start with a status line",
		},
		{
			name:  "duplicate name across files",
			body:  strings.Replace(okScenario, "lesson: A GET", "lesson: Again a GET", 1),
			extra: []string{ok},
			line:  2, want: "duplicate scenario name",
		},
		{
			name: "wrong type",
			body: "scenarios:\n  - name: a\n    group: simple\n    server:\n      response:\n        status: two hundred\n    expect:\n      outcome: allowed\n",
			line: 6, want: "where an integer is expected",
		},
		{
			name: "bad outcome",
			body: "scenarios:\n  - name: a\n    group: simple\n    server: {}\n    expect:\n      outcome: maybe\n",
			line: 6, want: `outcome "maybe"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml", tc.body)
			for _, cmd := range []string{"list", "run", "explain"} {
				args := []string{cmd}
				for _, f := range append(tc.extra, p) {
					args = append(args, "--file", f)
				}
				if cmd == "explain" {
					args = append(args, "--group", "simple")
				}
				code, _, stderr := corslab(t, args...)
				if code != exitUsage {
					t.Errorf("%s: exit %d, want %d; stderr: %s", cmd, code, exitUsage, stderr)
				}
				where := regexp.QuoteMeta(p) + ":" + strconv.Itoa(tc.line) + ":"
				if !regexp.MustCompile(where).MatchString(stderr) {
					t.Errorf("%s: stderr does not name %s:%d: %s", cmd, p, tc.line, stderr)
				}
				if !strings.Contains(stderr, tc.want) {
					t.Errorf("%s: stderr lacks %q: %s", cmd, tc.want, stderr)
				}
			}
		})
	}
}

func TestListGroupShowsOverview(t *testing.T) {
	code, stdout, stderr := corslab(t, "list", "--group", "preflight")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(stdout, "\n")
	if lines[0] != "preflight" || !strings.Contains(stdout, "Spec: https://fetch.spec.whatwg.org/#cors-preflight-fetch") {
		t.Errorf("no overview above the list:\n%s", stdout)
	}
	if strings.Index(stdout, "OPTIONS") > strings.Index(stdout, "preflight-delete-api-key") {
		t.Errorf("the overview is not above the scenarios:\n%s", stdout)
	}
	// Without --group, the plain list has no overviews.
	_, all, _ := corslab(t, "list")
	if strings.Contains(all, "Spec: ") {
		t.Errorf("list without --group shows overviews")
	}
}

// TestRunFiles runs scenario files in Chromium: exit 0 when the expectation
// holds, 1 naming the mismatching fields when it does not.
func TestRunFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	dir := t.TempDir()
	ok := writeFile(t, dir, "ok.yaml", okScenario)
	wrong := writeFile(t, dir, "wrong.yaml", wrongScenario)

	code, stdout, stderr := corslab(t, "run", "--file", ok)
	needsBrowser(t, code, stderr)
	if code != exitOK || !strings.Contains(stdout, "1 passed, 0 failed") {
		t.Errorf("passing file: exit %d\n%s%s", code, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("progress or noise on a stderr that is not a terminal: %q", stderr)
	}

	code, stdout, stderr = corslab(t, "run", "--file", wrong)
	if code != exitMismatch {
		t.Errorf("wrong expectation: exit %d, want %d\n%s%s", code, exitMismatch, stdout, stderr)
	}
	for _, w := range []string{"status: expected 201, observed 200", "preflight: expected true, observed false", "0 passed, 1 failed"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("wrong expectation: output lacks %q\n%s", w, stdout)
		}
	}

	// JUnit: the failure names the fields.
	xmlPath := filepath.Join(dir, "results.xml")
	code, _, stderr = corslab(t, "run", "--file", wrong, "--format", "junit", "--out", xmlPath)
	if code != exitMismatch {
		t.Errorf("junit: exit %d: %s", code, stderr)
	}
	x, _ := os.ReadFile(xmlPath)
	if !strings.Contains(string(x), `classname="simple"`) || !strings.Contains(string(x), "mismatch in preflight, status") {
		t.Errorf("junit report:\n%s", x)
	}

	// Explain: the story, the verdict and the replay outside the browser.
	code, stdout, _ = corslab(t, "explain", "--file", ok, "cli-simple-get")
	if code != exitOK {
		t.Errorf("explain: exit %d", code)
	}
	for _, w := range []string{"① The page on http://foo.localhost:", "Verdict ✓ (expected): allowed", "Outside the browser:", "Spec: https://fetch.spec.whatwg.org/#http-access-control-allow-origin", "\n1 passed, 0 failed"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("explain output lacks %q\n%s", w, stdout)
		}
	}
	if strings.Contains(stdout, "\033[") {
		t.Errorf("colour codes in output that is not a terminal")
	}

	// JSON: every run is differential; the standard agrees with this one.
	code, stdout, _ = corslab(t, "run", "--file", ok, "--format", "json")
	var doc struct {
		Scenarios []struct {
			Model *struct {
				Predicted     map[string]any `json:"predicted"`
				Agrees        bool           `json:"agrees"`
				Disagreements []string       `json:"disagreements"`
				Trace         []any          `json:"trace"`
			} `json:"model"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); code != exitOK || err != nil || len(doc.Scenarios) != 1 || doc.Scenarios[0].Model == nil {
		t.Fatalf("json: exit %d, %v\n%s", code, err, stdout)
	}
	if m := doc.Scenarios[0].Model; !m.Agrees || len(m.Disagreements) != 0 || m.Predicted["outcome"] != "allowed" || len(m.Trace) == 0 {
		t.Errorf("json model: %+v", m)
	}

	// HTML: one self-contained file.
	htmlPath := filepath.Join(dir, "report.html")
	code, _, stderr = corslab(t, "run", "--file", ok, "--file", wrong, "--format", "html", "--out", htmlPath)
	if code != exitMismatch {
		t.Errorf("html: exit %d: %s", code, stderr)
	}
	h, _ := os.ReadFile(htmlPath)
	if n := strings.Count(string(h), "<article class=\"card"); n != 2 {
		t.Errorf("html: %d cards, want 2", n)
	}
	if regexp.MustCompile(`<(script|link|img)[^>]+(src|href)=`).Match(h) {
		t.Errorf("html report loads something from outside")
	}
}

// TestProgressOnlyOnATerminal checks that progress stays off when stderr is
// not a terminal, and with --quiet.
func TestProgressOnlyOnATerminal(t *testing.T) {
	tests := []struct {
		name  string
		quiet bool
	}{{"not a terminal", false}, {"quiet", true}}
	for _, tc := range tests {
		var b bytes.Buffer
		p := newProgress(&b, tc.quiet, 3)
		p.show(0, scenarios.Scenario{Name: "a"})
		p.done()
		if b.Len() != 0 {
			t.Errorf("%s: progress wrote %q", tc.name, b.String())
		}
	}
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Errorf("a regular file counts as a terminal")
	}
}

func TestWantColor(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := func(v string) func(string) string { return func(string) string { return v } }
	tests := []struct {
		name    string
		w       io.Writer
		out     string
		noColor string
		want    bool
	}{
		{"buffer", &bytes.Buffer{}, "", "", false},
		{"regular file (a pipe or redirect)", f, "", "", false},
		{"--out", &bytes.Buffer{}, "x.txt", "", false},
		{"NO_COLOR", &bytes.Buffer{}, "", "1", false},
	}
	for _, tc := range tests {
		if got := wantColor(tc.w, tc.out, env(tc.noColor)); got != tc.want {
			t.Errorf("%s: wantColor = %v, want %v", tc.name, got, tc.want)
		}
	}
	// A terminal, when the test has one.
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		if !wantColor(tty, "", env("")) {
			t.Errorf("no colour on a terminal")
		}
		if wantColor(tty, "", env("1")) {
			t.Errorf("colour on a terminal despite NO_COLOR")
		}
	}
}

// A port given on the command line that is busy is bad usage (exit 2), and
// the message names the origin and the address; no browser is started.
func TestBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	code, _, stderr := corslab(t, "run", "simple-get-exact-origin", "--bar-port", port)
	if code != exitUsage || !strings.Contains(stderr, "bar: cannot listen on 127.0.0.1:"+port) || !strings.Contains(stderr, "address already in use") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// The holder is named: here the test itself, that is corslab's process.
	if want := fmt.Sprintf("held by corslab itself (pid %d)", os.Getpid()); !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not name the holder (%s)", stderr, want)
	}
	code, _, stderr = corslab(t, "run", "--foo-port", "70000")
	if code != exitUsage || !strings.Contains(stderr, "--foo-port 70000") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// A process outside corslab holding a port is named by pid and name.
func TestPortHolder(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	if pid, name := portHolder("/proc", port); pid != os.Getpid() || name == "" {
		t.Fatalf("portHolder(%d) = %d %q, want this process %d", port, pid, name, os.Getpid())
	}
	ln.Close()
	if pid, _ := portHolder("/proc", port); pid != 0 {
		t.Fatalf("a closed port is held by %d", pid)
	}
}

// jsonReport reads the scenarios of a JSON report file: name -> verdict and
// error.
func jsonReport(t *testing.T, path string) map[string][2]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no report written: %v", err)
	}
	var doc struct {
		Scenarios []struct{ Name, Verdict, Error string }
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("report: %v\n%s", err, data)
	}
	out := map[string][2]string{}
	for _, s := range doc.Scenarios {
		out[s.Name] = [2]string{s.Verdict, s.Error}
	}
	return out
}

// A run whose --deadline passes while it starts still writes its report,
// with every scenario error, and exits 4 (the harness could not observe).
func TestDeadlineWhileStarting(t *testing.T) {
	dir := t.TempDir()
	ok := writeFile(t, dir, "ok.yaml", okScenario)
	out := filepath.Join(dir, "r.json")
	code, _, stderr := corslab(t, "run", "--file", ok, "--deadline", "1ns", "--format", "json", "--out", out)
	if code != exitUnobserved || !strings.Contains(stderr, "the run's deadline (--deadline 1ns) passed while starting") {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitUnobserved, stderr)
	}
	got := jsonReport(t, out)
	if r := got["cli-simple-get"]; r[0] != "error" || !strings.HasPrefix(r[1], "not run: ") {
		t.Fatalf("report %v, want cli-simple-get error, not run", got)
	}
}

// slowScenarios: one that passes at once, one that waits ten minutes
// before its request, one after it.
const slowScenarios = okScenario + `  - name: cli-waits
    group: simple
    steps:
      - after: 10m
        expect: {outcome: blocked}
  - name: cli-after-the-wait
    group: simple
    expect: {outcome: blocked}
`

// The text lines stream: the first scenario's line is written while the
// second still waits. The test interrupts the run only once it has seen
// that line, so without streaming it never does (and times out); then the
// waiting scenario is an error, the report marks the last "not run:
// interrupted", and the exit code is 130.
func TestStreamThenInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	dir := t.TempDir()
	f := writeFile(t, dir, "slow.yaml", slowScenarios)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &watchWriter{want: "✓ cli-simple-get", seen: make(chan struct{})}
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"run", "--file", f, "--jobs", "1"}, out, &errb) }()
	select {
	case <-out.seen:
		cancel()
	case code := <-done:
		t.Fatalf("run ended (exit %d) before the first line was seen:\n%s%s", code, out.String(), errb.String())
	case <-time.After(5 * time.Minute):
		t.Fatalf("the first scenario's line was not written while the second waited:\n%s%s", out.String(), errb.String())
	}
	code := <-done
	needsBrowser(t, code, errb.String())
	text := out.String()
	if code != exitInterrupted || !strings.Contains(errb.String(), "interrupted after 2 of 3 scenarios") {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitInterrupted, text, errb.String())
	}
	if !strings.Contains(text, "! 1 not run (interrupted): cli-after-the-wait\n") || !strings.Contains(text, "1 passed, 2 failed") {
		t.Fatalf("the report does not list the rest as not run:\n%s", text)
	}
}

// A scenario the harness cannot observe (bar answers after the request's
// --timeout) gives exit 4, not 1.
func TestUnobservedExit4(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	const slow = `scenarios:
  - name: cli-slow-answer
    group: simple
    server:
      response:
        delay: 20s
        headers: {Access-Control-Allow-Origin: "{foo}"}
    expect: {outcome: allowed}
`
	f := writeFile(t, t.TempDir(), "slow.yaml", slow)
	code, stdout, stderr := corslab(t, "run", "--file", f, "--timeout", "1s")
	needsBrowser(t, code, stderr)
	if code != exitUnobserved || !strings.Contains(stdout, "error:") {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitUnobserved, stdout, stderr)
	}
}

// watchWriter collects output and closes seen once want was written.
type watchWriter struct {
	mu   sync.Mutex
	b    bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.b.Write(p)
	if strings.Contains(w.b.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// Streamed lines are coloured only when asked (a terminal), and the same
// as the plain report otherwise.
func TestStreamColour(t *testing.T) {
	res := harness.Result{Scenario: scenarios.Scenario{Name: "a"}, Verdict: harness.Pass}
	for _, tc := range []struct {
		color bool
		want  string
	}{{true, "\033[32m✓\033[0m a  no observation\n"}, {false, "✓ a  no observation\n"}} {
		var b bytes.Buffer
		s := &stream{w: &b, on: true, color: tc.color, width: 1}
		s.line(res)
		if b.String() != tc.want {
			t.Errorf("colour %v: %q, want %q", tc.color, b.String(), tc.want)
		}
	}
}
