package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/policy"
	"github.com/corslab/corslab/report"
)

// exitUnreachable is check's exit code when the target cannot be reached
// (the same number as a missing browser: nothing could be probed).
const exitUnreachable = 3

// Default bounds of a check: a target that answers one byte a second
// must not keep CI waiting for minutes.
const defaultDeadline = 3 * time.Minute

// scaledDeadline is the default deadline on this machine: like the
// harness's own budgets, multiplied by the load per CPU.
func scaledDeadline(base time.Duration) time.Duration {
	return time.Duration(float64(base) * harness.LoadScale()).Round(time.Second)
}

// closeBase is what closing the browser takes on an idle machine, with
// room to spare: Chromium closes its pages and itself, then corslab kills
// what is left and removes its files.
const closeBase = 2 * time.Second

// closeReserve is the share of a --deadline d kept for the end of the run
// (closing the browser, writing the report): closeBase scaled by the load
// (measured: 2–8 s at load 6–17 on 2 CPUs), at most half of d. Probing
// stops when the rest of d has passed, so the whole run, shutdown
// included, ends within d.
func closeReserve(d time.Duration, scale float64) time.Duration {
	return min(time.Duration(float64(closeBase)*scale), d/2)
}

// checkFlags are check's options.
type checkFlags struct {
	policy, target, format, out, browser string
	engine                               string
	timeout, deadline                    time.Duration
	jobs                                 int
	explain                              bool
}

func parseCheckFlags(args []string, stderr io.Writer) (checkFlags, error) {
	var f checkFlags
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.policy, "policy", "", "the policy file (YAML) stating what the server should allow")
	fs.StringVar(&f.target, "target", "", "the URL to probe, on loopback (default: the policy's target)")
	fs.StringVar(&f.format, "format", "text", "output format: text, json, junit or html")
	fs.StringVar(&f.out, "out", "", "write the report to this file instead of stdout")
	fs.StringVar(&f.browser, "browser", "", "the engine's browser binary (default: $CORSLAB_BROWSER for chromium, $CORSLAB_FIREFOX for firefox, then the usual places)")
	fs.StringVar(&f.engine, "engine", "", "chromium or firefox; default $CORSLAB_ENGINE, else chromium (one engine per check)")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Second, "time limit for each probe's request")
	fs.BoolVar(&f.explain, "explain", false, "text report: list every step the Fetch standard takes for each probe that does not match (JSON and HTML always have them)")
	fs.IntVar(&f.jobs, "jobs", 1, fmt.Sprintf("probes in flight per page at once, 1 to %d", harness.MaxJobs))
	fs.DurationVar(&f.deadline, "deadline", defaultDeadline, "time limit for the whole check, browser start and close included (default 3m, multiplied by the load per CPU up to 6×)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return f, err
	}
	given := false
	fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == "deadline" })
	if !given {
		f.deadline = scaledDeadline(defaultDeadline)
	}
	switch {
	case len(pos) > 0:
		return f, usageError{fmt.Sprintf("check takes no arguments, got %q (did you mean --policy %s?)", pos[0], pos[0])}
	case f.policy == "":
		return f, usageError{"check needs --policy FILE"}
	case f.timeout <= 0:
		return f, usageError{fmt.Sprintf("--timeout %s: must be more than 0 (e.g. 5s)", f.timeout)}
	case f.jobs < 1 || f.jobs > harness.MaxJobs:
		return f, usageError{fmt.Sprintf("--jobs %d: want 1 to %d", f.jobs, harness.MaxJobs)}
	case f.deadline <= 0:
		return f, usageError{fmt.Sprintf("--deadline %s: want a positive duration such as 3m", f.deadline)}
	}
	switch f.format {
	case "text", "json", "junit", "html":
	default:
		return f, usageError{fmt.Sprintf("unknown format %q (want text, json, junit or html)", f.format)}
	}
	return f, nil
}

// cmdCheck runs a policy's probes in Chromium against a running server.
func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	started := time.Now()
	f, err := parseCheckFlags(args, stderr)
	if err != nil {
		return exitUsage, err
	}
	pol, err := policy.Load(f.policy)
	if err != nil {
		fmt.Fprintf(stderr, "corslab: bad policy file:\n%v\n", err)
		return exitUsage, nil
	}
	tgt, origin, path, code, err := checkTarget(f, pol, stderr)
	if tgt == "" {
		return code, err
	}
	pol.Target = tgt // the error-response probes go under this path
	rep := report.NewPolicyCheck(pol.File, tgt, "", started, nil, nil)
	rep.Width = textWidth(stdout)
	parent := ctx
	// The deadline bounds the whole run: the work stops early enough to
	// leave closeReserve for closing the browser after it.
	reserve := closeReserve(f.deadline, harness.LoadScale())
	ctx, cancel := context.WithTimeoutCause(ctx, f.deadline-reserve,
		fmt.Errorf("--deadline %s ran out (%s of it kept for closing the browser)", f.deadline, reserve.Round(100*time.Millisecond)))
	defer cancel()
	if err := reachable(ctx, tgt); err != nil {
		rep.Error = fmt.Sprintf("cannot reach the target %s: %v", tgt, err)
		writeCheckReport(f, stdout, stderr, rep)
		fmt.Fprintf(stderr, "corslab: %s\nNo probe was run. Start the server first, or fix target / --target.\n", rep.Error)
		return exitUnreachable, nil
	}

	probes, skipped := withoutTargetOrigin(policy.Probes(pol), origin)
	for _, p := range skipped {
		fmt.Fprintf(stderr, "corslab: skipping %q: its page would be on the target's own host and port, where the browser must reach the target\n", p.Name)
	}
	engs, err := chooseEngines(f.engine, f.browser)
	if err != nil {
		return exitUsage, err
	}
	if len(engs) > 1 {
		return exitUsage, usageError{fmt.Sprintf("--engine %q: check writes one report: run it once per engine (--engine chromium, --engine firefox)", f.engine)}
	}
	s, err := harness.StartWithPages(ctx, harness.Options{Engine: engs[0], Browser: harness.BrowserOptions{ExecPath: f.browser}, Timeout: f.timeout, Jobs: f.jobs},
		harness.PageOptions{Origins: policy.PageOrigins(probes)})
	if err != nil {
		code, err := startFailed(parent, ctx, f.deadline, err)
		if code != exitUsage {
			writeCheckReport(f, stdout, stderr, notProbed(rep, probes, "starting the browser: "+err.Error()))
		}
		return code, err
	}
	defer s.Close()
	rep.Browser = s.Browser.Version()
	if err := s.OpenPages(ctx, policy.PageOrigins(probes)); err != nil {
		code, err := startFailed(parent, ctx, f.deadline, err)
		writeCheckReport(f, stdout, stderr, notProbed(rep, probes, "opening the pages: "+err.Error()))
		return code, err
	}
	prog := newCheckProgress(stderr, len(probes))
	results := policy.RunJobs(ctx, s, origin, path, probes, f.jobs, prog.show)
	prog.done()
	interrupted := parent.Err() != nil
	full := report.NewPolicyCheck(pol.File, tgt, rep.Browser, started, results, policy.Findings(pol, results))
	full.Width, full.Explain = rep.Width, f.explain
	if ctx.Err() != nil {
		full.Error = fmt.Sprintf("stopped after %d of %d probes: %v", len(results)-full.Errors, len(probes), context.Cause(ctx))
	}
	if err := writeCheckReport(f, stdout, stderr, full); err != nil {
		return exitMismatch, err
	}
	if interrupted {
		return exitInterrupted, fmt.Errorf("interrupted after %d of %d probes", len(results)-full.Errors, len(probes))
	}
	if (full.Failed > 0 || full.Errors > 0 || full.Blocking() > 0) && (f.out != "" || f.format != "text") {
		fmt.Fprintf(stderr, "corslab: %s\n", full.Summary())
	}
	switch {
	case full.Errors > 0:
		return exitUnobserved, nil // a probe could not run: the harness could not observe
	case full.Failed > 0 || full.Blocking() > 0:
		return exitMismatch, nil
	}
	return exitOK, nil
}

// notProbed is the report of a check that could not probe: every probe
// has the verdict error, "not run: " and why.
func notProbed(rep report.PolicyCheck, probes []policy.Probe, why string) report.PolicyCheck {
	results := make([]policy.Result, 0, len(probes))
	for _, p := range probes {
		results = append(results, policy.Judge(p, nil, errors.New("not run: "+why)))
	}
	out := report.NewPolicyCheck(rep.Policy, rep.Target, rep.Browser, rep.Started, results, nil)
	out.Width, out.Error = rep.Width, why
	return out
}

// checkTarget is the target URL (--target, else the policy's), its origin
// and path; tgt is "" when there is none, with the exit code and error.
func checkTarget(f checkFlags, pol *policy.Policy, stderr io.Writer) (tgt, origin, path string, code int, err error) {
	tgt = pol.Target
	if f.target != "" {
		tgt = f.target
		if err := policy.CheckTarget(tgt); err != nil {
			return "", "", "", exitUsage, usageError{"--target: " + err.Error()}
		}
	}
	if tgt == "" {
		fmt.Fprintf(stderr, "corslab: %s: no target: add 'target: http://127.0.0.1:PORT/path' to the policy or give --target URL\n", pol.File)
		return "", "", "", exitUsage, nil
	}
	origin, path, err = policy.Target(tgt)
	if err != nil {
		return "", "", "", exitUsage, usageError{err.Error()}
	}
	return tgt, origin, path, exitOK, nil
}

// writeCheckReport writes the report in the chosen format to --out or
// stdout; a check that could not run in full still writes one, with the
// error in it.
func writeCheckReport(f checkFlags, stdout, stderr io.Writer, rep report.PolicyCheck) error {
	w := stdout
	if f.out != "" {
		file, err := os.Create(f.out)
		if err != nil {
			fmt.Fprintf(stderr, "corslab: --out: %v\n", err)
			return fmt.Errorf("--out: %w", err)
		}
		defer file.Close()
		w = file
	}
	var err error
	switch f.format {
	case "json":
		err = report.CheckJSON(w, rep)
	case "junit":
		err = report.CheckJUnit(w, rep)
	case "html":
		err = report.CheckHTML(w, rep)
	default:
		if rep.Error != "" && len(rep.Results) == 0 && f.out == "" {
			return nil // the error alone goes to stderr
		}
		err = report.CheckText(w, rep)
	}
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

// textWidth is the width the text report fits: the terminal's, else
// $COLUMNS, else 120.
func textWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
			return int(ws.Col)
		}
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 20 {
		return n
	}
	return 120
}

// withoutTargetOrigin drops the probes whose page shares the target's host
// and port: the browser maps page origins to corslab's own listeners by
// host and port, which would take the target's place.
func withoutTargetOrigin(probes []policy.Probe, target string) (keep, skipped []policy.Probe) {
	th, tp, _, err := harness.SplitOrigin(target)
	if err != nil {
		return probes, nil
	}
	for _, p := range probes {
		if h, port, _, err := harness.SplitOrigin(p.Page); err == nil && h == th && port == tp {
			skipped = append(skipped, p)
			continue
		}
		keep = append(keep, p)
	}
	return keep, skipped
}

// reachable dials the target, then asks it for the resource, so an absent
// server is named before any probe runs. localhost and *.localhost are
// loopback without asking DNS, as the browser maps them
// (https://url.spec.whatwg.org/#host-parsing keeps the name; Chromium and
// the lab's host rules send *.localhost to 127.0.0.1): no query leaves the
// machine.
func reachable(ctx context.Context, target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	host := net.JoinHostPort(u.Hostname(), port)
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialLoopback(ctx, u.Hostname(), port)
	}
	conn, err := dial(dctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("nothing answers on %s: %w", host, unwrapOp(err))
	}
	conn.Close()
	if u.Scheme != "http" {
		return nil
	}
	req, err := http.NewRequestWithContext(dctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{DialContext: dial, Proxy: nil}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s accepts connections but does not answer HTTP: %w", host, err)
	}
	resp.Body.Close()
	return nil
}

// dialLoopback connects to host:port, where host is localhost or a name
// under .localhost (dialled on 127.0.0.1, then ::1, never looked up) or a
// loopback address.
func dialLoopback(ctx context.Context, host, port string) (net.Conn, error) {
	var d net.Dialer
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h != "localhost" && !strings.HasSuffix(h, ".localhost") {
		return d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", port))
	if err == nil {
		return conn, nil
	}
	if c6, err6 := d.DialContext(ctx, "tcp", net.JoinHostPort("::1", port)); err6 == nil {
		return c6, nil
	}
	return nil, err
}

func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

type checkProgress struct {
	w     io.Writer
	on    bool
	i     int
	total int
}

func newCheckProgress(w io.Writer, total int) *checkProgress {
	return &checkProgress{w: w, on: isTerminal(w), total: total}
}

func (p *checkProgress) show(r policy.Result) {
	p.i++
	if p.on {
		fmt.Fprintf(p.w, "\r\033[K%d/%d %s", p.i, p.total, r.Probe.Name)
	}
}

func (p *checkProgress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
