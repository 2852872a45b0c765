package checks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corslab/corslab/harness"
)

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// corslabBin builds the corslab command once for the package.
func corslabBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "corslab-bin-")
		if binErr != nil {
			return
		}
		_, here, _, _ := runtime.Caller(0)
		root := filepath.Dir(filepath.Dir(here))
		binPath = filepath.Join(binDir, "corslab")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/corslab")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = errors.New("go build ./cmd/corslab: " + err.Error() + "\n" + string(out))
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// runCheck runs `corslab check ARGS` and returns its exit code and output.
func runCheck(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	// check's own --deadline (3m, scaled by the load up to 6×) ends it first.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, corslabBin(t), append([]string{"check"}, args...)...)
	cmd.Env = append(os.Environ(), "COLUMNS=400") // whole rows, for the tests to read
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("running corslab check: %v", err)
	}
	return code, o.String(), e.String()
}

// hasRow reports whether the text report has a table row with this mark
// and probe name.
func hasRow(out, mark, name string) bool {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == mark && strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(line, mark)), name) {
			return true
		}
	}
	return false
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// recorded is one request as the target received it.
type recorded struct {
	Method string
	Path   string
	Header http.Header
}

// journaled records every request that reaches h.
type journaled struct {
	mu  sync.Mutex
	log []recorded
	h   http.Handler
}

func (j *journaled) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	j.mu.Lock()
	j.log = append(j.log, recorded{r.Method, r.URL.RequestURI(), r.Header.Clone()})
	j.mu.Unlock()
	j.h.ServeHTTP(w, r)
}

func (j *journaled) entries() []recorded {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]recorded(nil), j.log...)
}

// naiveCORS is a deliberately wrong server: it allows any origin that ends
// with "app.example.com" (so https://evilapp.example.com gets in) and the
// http:// twin, and lists PUT among its methods.
func naiveCORS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := r.Header.Get("Origin")
		w.Header().Add("Vary", "Origin")
		if strings.HasSuffix(o, "app.example.com") || o == "http://localhost:3000" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("Access-Control-Expose-Headers", "X-Total-Count")
		}
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, DELETE, PUT")
			w.Header().Set("Access-Control-Allow-Headers", "Api-Key, Content-Type")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		items(w, r)
	})
}

func TestCheckFailsOnAServerThatViolatesThePolicy(t *testing.T) {
	j := &journaled{h: naiveCORS()}
	srv := httptest.NewServer(j)
	defer srv.Close()
	pol := writeFile(t, "policy.yaml", commonPolicy)

	code, out, errOut := runCheck(t, "--policy", pol, "--target", srv.URL+"/api/items")
	t.Logf("corslab check against naiveCORS:\n%s", out)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a mismatch)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, probe := range []string{
		"look-alike (suffix) https://evilapp.example.com",
		"look-alike (subdomain) https://evil.app.example.com",
		"look-alike (scheme-twin) http://app.example.com",
		"method not allowed: PUT from https://app.example.com",
	} {
		if !hasRow(out, "FAIL", probe) {
			t.Errorf("the report does not name %q:\n%s", probe, out)
		}
	}
	if !hasRow(out, "ok", "DELETE from https://app.example.com") {
		t.Errorf("a probe the server gets right is not reported as ok:\n%s", out)
	}
	// The findings come first, each cause once, from all the observations:
	// one suffix check explains the three look-alikes it let in.
	if !strings.Contains(out, "Findings:\n  CRITICAL bar matches origins by suffix") || strings.Count(out, "by suffix") != 1 {
		t.Errorf("the suffix match is not the first finding, once:\n%s", out)
	}
	// naiveCORS answers every path with 200: the error-response probes
	// cannot decide, and say so apart from the mismatches.
	if !hasRow(out, "INCONCLUSIVE", "GET /api/items/corslab-no-such-path from https://app.example.com") || !strings.Contains(out, "inconclusive") {
		t.Errorf("the error-response probe on a 200 is not inconclusive:\n%s", out)
	}

	// The path from page to target is untouched: the target received the
	// browser's own preflight, from the page's exact origin.
	var preflight *recorded
	for _, e := range j.entries() {
		if e.Method == http.MethodOptions && e.Header.Get("Access-Control-Request-Method") == "DELETE" && e.Header.Get("Origin") == "https://app.example.com" {
			preflight = &e
			break
		}
	}
	if preflight == nil {
		t.Fatalf("the target's journal has no DELETE preflight from https://app.example.com: %+v", j.entries())
	}
	if !strings.HasPrefix(preflight.Path, "/api/items?corslab=") {
		t.Errorf("preflight path %q", preflight.Path)
	}
	if got := preflight.Header.Get("Sec-Fetch-Mode"); got != "cors" {
		t.Errorf("Sec-Fetch-Mode %q: not a browser's preflight", got)
	}
	if ua := preflight.Header.Get("User-Agent"); !strings.Contains(ua, "Chrome/") {
		t.Errorf("User-Agent %q: not Chromium", ua)
	}
}

func TestCheckJSONAndJUnit(t *testing.T) {
	srv := httptest.NewServer(naiveCORS())
	defer srv.Close()
	pol := writeFile(t, "policy.yaml", "origins: [https://app.example.com]\nmethods: [GET]\n")
	code, out, errOut := runCheck(t, "--policy", pol, "--target", srv.URL+"/api/items", "--format", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	var rep struct {
		Passed, Failed, Inconclusive int
		Findings                     []struct{ ID, Severity string }
		Results                      []struct {
			Probe struct{ Name string }
			Pass  bool
			Why   string
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	failed := map[string]string{}
	for _, r := range rep.Results {
		if !r.Pass {
			failed[r.Probe.Name] = r.Why
		}
	}
	why, ok := failed["look-alike (suffix) https://evilapp.example.com"]
	if !ok || !strings.Contains(why, "Access-Control-Allow-Origin: https://evilapp.example.com") {
		t.Errorf("suffix look-alike: %q (failed: %v)", why, failed)
	}
	if rep.Failed != len(failed)-rep.Inconclusive || rep.Passed+rep.Failed+rep.Inconclusive != len(rep.Results) {
		t.Errorf("counts %d/%d/%d for %d results", rep.Passed, rep.Failed, rep.Inconclusive, len(rep.Results))
	}
	if len(rep.Findings) == 0 || rep.Findings[0].ID != "suffix-match" || rep.Findings[0].Severity != "critical" {
		t.Errorf("findings %+v", rep.Findings)
	}

	// JUnit: the same structure as run's, with a timestamp.
	xmlPath := filepath.Join(t.TempDir(), "check.xml")
	code, _, errOut = runCheck(t, "--policy", pol, "--target", srv.URL+"/api/items", "--format", "junit", "--out", xmlPath)
	x, err := os.ReadFile(xmlPath)
	if code != 1 || err != nil {
		t.Fatalf("junit: exit %d, %v\n%s", code, err, errOut)
	}
	for _, want := range []string{"<testsuites ", "timestamp=", `<testsuite name="probes"`, `<testsuite name="findings"`, `classname="corslab.finding.suffix-match"`} {
		if !strings.Contains(string(x), want) {
			t.Errorf("junit lacks %q:\n%s", want, x)
		}
	}
}

// TestCheckHarnessFailureWritesJUnit: when the browser cannot start, CI
// still gets a JUnit file, whose <error> says what failed.
func TestCheckHarnessFailureWritesJUnit(t *testing.T) {
	srv := httptest.NewServer(naiveCORS())
	defer srv.Close()
	pol := writeFile(t, "policy.yaml", "origins: [https://app.example.com]\n")
	xmlPath := filepath.Join(t.TempDir(), "check.xml")
	code, _, errOut := runCheck(t, "--policy", pol, "--target", srv.URL+"/api/items", "--browser", "/bin/false", "--format", "junit", "--out", xmlPath)
	x, err := os.ReadFile(xmlPath)
	if code == 0 || err != nil {
		t.Fatalf("exit %d, %v\n%s", code, err, errOut)
	}
	if !strings.Contains(string(x), "<testsuites ") || !strings.Contains(string(x), `<error message="starting the browser: `) {
		t.Errorf("junit:\n%s", x)
	}
}

// TestCheckSlowTarget: a target that sends its body one byte a second
// costs policy.StopAfterErrors probes, not every probe's timeout: the rest
// are reported as not run, with the reason.
func TestCheckSlowTarget(t *testing.T) {
	var mu sync.Mutex
	got := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got++
		mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.WriteHeader(http.StatusOK)
		for i := 0; i < 600; i++ {
			if _, err := w.Write([]byte("x")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Second):
			}
		}
	}))
	defer srv.Close()
	pol := writeFile(t, "policy.yaml", "origins: [https://app.example.com]\nmethods: [GET]\n")
	for _, jobs := range []string{"1", "4"} { // the same rule with any --jobs
		t.Run("jobs="+jobs, func(t *testing.T) {
			mu.Lock()
			got = 0
			mu.Unlock()
			code, out, errOut := runCheck(t, "--policy", pol, "--target", srv.URL+"/api/items", "--timeout", "2s", "--jobs", jobs, "--format", "json")
			if code != 4 {
				t.Fatalf("exit %d, want 4 (the harness could not observe)\n%s\n%s", code, out, errOut)
			}
			var rep struct {
				Errors  int
				Results []struct{ State, Error string }
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("json: %v\n%s", err, out)
			}
			notRun := 0
			for _, r := range rep.Results {
				if strings.HasPrefix(r.Error, "not run: ") {
					notRun++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			// A probe the browser refuses at once (no cookies allowed)
			// passes and starts the count again, so a few more may run
			// (with --jobs 4, those in flight too); never all of them.
			if notRun == 0 || got >= len(rep.Results) {
				t.Errorf("%d requests reached the target, %d of %d probes not run:\n%s", got, notRun, len(rep.Results), out)
			}
		})
	}
}

func TestCheckBadPolicyFile(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"unknown field", "origins: [https://app.example.com]\nallow_origin: [x]\n", "policy.yaml:2: unknown field \"allow_origin\""},
		{"origin with a path", "origins:\n  - https://app.example.com/app\n", "policy.yaml:2: origin \"https://app.example.com/app\" has a path"},
		{"trailing slash", "origins: [https://app.example.com/]\n", "policy.yaml:1: origin \"https://app.example.com/\" has a trailing slash"},
		{"no scheme", "origins: [app.example.com]\n", "policy.yaml:1: origin \"app.example.com\" has no scheme"},
		{"bad method", "origins: [https://app.example.com]\nmethods: [GET, \"DE LETE\"]\n", "policy.yaml:2: method \"DE LETE\""},
		{"bad header", "origins: [https://app.example.com]\nrequest_headers: [\"Api:Key\"]\n", "policy.yaml:2: request header \"Api:Key\""},
		{"not loopback", "target: http://192.0.2.1/api\norigins: [https://app.example.com]\n", "policy.yaml:1: target \"http://192.0.2.1/api\" is not on loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := writeFile(t, "policy.yaml", tt.content)
			code, out, errOut := runCheck(t, "--policy", pol, "--target", "http://127.0.0.1:1/")
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s\n%s", code, out, errOut)
			}
			if !strings.Contains(errOut, filepath.Dir(pol)+"/"+tt.want) {
				t.Errorf("stderr does not say %q:\n%s", tt.want, errOut)
			}
		})
	}
	t.Run("non-loopback --target", func(t *testing.T) {
		pol := writeFile(t, "policy.yaml", "origins: [https://app.example.com]\n")
		code, _, errOut := runCheck(t, "--policy", pol, "--target", "http://192.0.2.1:8080/")
		if code != 2 || !strings.Contains(errOut, "not on loopback") {
			t.Fatalf("exit %d:\n%s", code, errOut)
		}
	})
}

func TestCheckUnreachableTarget(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	pol := writeFile(t, "policy.yaml", commonPolicy)
	code, out, errOut := runCheck(t, "--policy", pol, "--target", url+"/api/items")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "cannot reach the target "+url+"/api/items") || !strings.Contains(errOut, "No probe was run") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if out != "" {
		t.Errorf("probes ran: %s", out)
	}
}

// TestCheckExpress checks a non-Go server, started as its own process,
// through its URL: an Express app with the cors package from npm.
func TestCheckExpress(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the Express check needs Node.js and npm (`apt-get install nodejs npm`); .ci/run installs them")
	}
	_, here, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(filepath.Dir(here)), "testdata", "express")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "cors")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Skip("npm is not installed and testdata/express/node_modules is missing: run `npm ci` in testdata/express")
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "server.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PORT=0")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				ready <- u
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	var base string
	select {
	case base = <-ready:
	case <-time.After(20 * time.Second):
		t.Fatal("the Express app did not say it was listening within 20s")
	}

	// The folder's own policy file, pointed at the port the app took.
	pol := filepath.Join(dir, "policy.yaml")
	code, out, errOut := runCheck(t, "--policy", pol, "--target", base+"/api/items")
	t.Logf("corslab check against Express + cors:\n%s", out)
	// Measured: the cors package does what this policy says on every probe.
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	if !hasRow(out, "ok", "look-alike (suffix) https://evilapp.example.com") || !strings.Contains(out, "do not") {
		t.Errorf("report:\n%s", out)
	}
}

// A target that holds every browser request (accepts, never answers):
// with --timeout shorter than --deadline each probe ends at its timeout and
// three in a row stop the rest; with --timeout longer, --deadline bounds the
// whole check, closing the browser included (#11). Both with --jobs 1 and
// 4. Each ends with exit 4 and a report with every probe, all errors.
func TestCheckDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs corslab check with Chromium")
	}
	// released ends the held requests when the test is over: Close waits
	// for every handler, and a connection the browser left open (seen once
	// in CI, the test then hung in Close) must not hold the test.
	released := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != "" {
			select { // the browser's requests never get an answer
			case <-r.Context().Done():
			case <-released:
			}
			return
		}
		w.WriteHeader(http.StatusOK) // corslab's reachability check does
	}))
	defer func() {
		close(released)
		srv.CloseClientConnections()
		srv.Close()
	}()
	pol := writeFile(t, "policy.yaml", commonPolicy)
	corslabBin(t) // built before the clock starts
	const deadline = 20 * time.Second
	for _, c := range []struct {
		jobs    string
		timeout string
		// errs are what each probe's error may say.
		errs []string
	}{
		{"1", "1s", []string{"timed out after 1s", "not run: the last 3 probes could not run", "deadline"}},
		{"4", "1s", []string{"timed out after 1s", "not run: the last", "deadline"}},
		{"1", "60s", []string{"deadline"}},
		{"4", "60s", []string{"deadline"}},
	} {
		t.Run("jobs="+c.jobs+",timeout="+c.timeout, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "check.json")
			scale := harness.LoadScale()
			start := time.Now()
			code, _, errOut := runCheck(t, "--policy", pol, "--target", srv.URL+"/api/items", "--jobs", c.jobs,
				"--timeout", c.timeout, "--deadline", deadline.String(), "--format", "json", "--out", out)
			took := time.Since(start)
			if code == 3 && strings.Contains(errOut, "browser") {
				t.Skipf("no usable browser: %s", errOut)
			}
			// The bound: check keeps a share of --deadline for closing the
			// browser, but closing is the machine's business (measured: 2 s
			// idle, over 10 s at load 20 on 2 CPUs, with pages still
			// opening), so the allowance past it is 2 s scaled by the load
			// like the harness's budgets. It catches a close that runs on
			// for minutes at any load, and at load ~13 (allowance 2 s then)
			// caught the 4-8 s overshoot of a work budget that used the
			// whole deadline.
			if allow := time.Duration(2 * float64(time.Second) * max(scale, harness.LoadScale())); took > deadline+allow {
				t.Errorf("check took %s, beyond --deadline %s + %s\n%s", took.Round(100*time.Millisecond), deadline, allow, errOut)
			}
			if code != 4 {
				t.Fatalf("exit %d, want 4 (the harness could not observe)\n%s", code, errOut)
			}
			checkAllErrors(t, out, c.errs)
		})
	}
}

// checkAllErrors reads a check's JSON report and requires at least 30
// results, each an error saying one of errs.
func checkAllErrors(t *testing.T, out string, errs []string) {
	t.Helper()
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no report written: %v", err)
	}
	var rep struct {
		Results []struct {
			Error string `json:"error"`
		}
	}
	if err := json.Unmarshal(data, &rep); err != nil || len(rep.Results) < 30 {
		t.Fatalf("report has %d results (%v):\n%s", len(rep.Results), err, data)
	}
	for i, r := range rep.Results {
		ok := false
		for _, e := range errs {
			ok = ok || strings.Contains(r.Error, e)
		}
		if !ok {
			t.Errorf("probe %d: error %q, want one saying %q", i, r.Error, errs)
		}
	}
}
