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
	"time"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/policy"
	"github.com/corslab/corslab/report"
)

// exitUnreachable is check's exit code when the target cannot be reached
// (the same number as a missing browser: nothing could be probed).
const exitUnreachable = 3

// cmdCheck runs a policy's probes in Chromium against a running server.
func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	policyPath := fs.String("policy", "", "the policy file (YAML) stating what the server should allow")
	target := fs.String("target", "", "the URL to probe, on loopback (default: the policy's target)")
	format := fs.String("format", "text", "output format: text, json, junit or html")
	out := fs.String("out", "", "write the report to this file instead of stdout")
	browserPath := fs.String("browser", "", "the engine's browser binary (default: $CORSLAB_BROWSER for chromium, $CORSLAB_FIREFOX for firefox, then the usual places)")
	engineFlag := fs.String("engine", "", "chromium or firefox; default $CORSLAB_ENGINE, else chromium (one engine per check)")
	timeout := fs.Duration("timeout", 5*time.Second, "time limit for each probe (more than 0)")
	deadline := fs.Duration("deadline", 0, "bound the whole check, browser start included (0: no bound)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if err := checkDurations(*timeout, *deadline); err != nil {
		return exitUsage, err
	}
	if len(pos) > 0 {
		return exitUsage, usageError{fmt.Sprintf("check takes no arguments, got %q (did you mean --policy %s?)", pos[0], pos[0])}
	}
	if *policyPath == "" {
		return exitUsage, usageError{"check needs --policy FILE"}
	}
	switch *format {
	case "text", "json", "junit", "html":
	default:
		return exitUsage, usageError{fmt.Sprintf("unknown format %q (want text, json, junit or html)", *format)}
	}
	pol, err := policy.Load(*policyPath)
	if err != nil {
		fmt.Fprintf(stderr, "corslab: bad policy file:\n%v\n", err)
		return exitUsage, nil
	}
	tgt := pol.Target
	if *target != "" {
		tgt = *target
		if err := policy.CheckTarget(tgt); err != nil {
			return exitUsage, usageError{"--target: " + err.Error()}
		}
	}
	if tgt == "" {
		fmt.Fprintf(stderr, "corslab: %s: no target: add 'target: http://127.0.0.1:PORT/path' to the policy or give --target URL\n", pol.File)
		return exitUsage, nil
	}
	origin, path, err := policy.Target(tgt)
	if err != nil {
		return exitUsage, usageError{err.Error()}
	}
	if err := reachable(ctx, tgt); err != nil {
		fmt.Fprintf(stderr, "corslab: cannot reach the target %s: %v\nNo probe was run. Start the server first, or fix target / --target.\n", tgt, err)
		return exitUnreachable, nil
	}

	probes, skipped := withoutTargetOrigin(policy.Probes(pol), origin)
	for _, p := range skipped {
		fmt.Fprintf(stderr, "corslab: skipping %q: its page would be on the target's own host and port, where the browser must reach the target\n", p.Name)
	}
	runCtx, cancel := withDeadline(ctx, *deadline)
	defer cancel()
	c := checkRun{stdout: stdout, stderr: stderr, format: *format, out: *out,
		rep: report.PolicyCheck{Policy: pol.File, Target: tgt}}
	engs, err := chooseEngines(*engineFlag, *browserPath)
	if err != nil {
		return exitUsage, err
	}
	if len(engs) > 1 {
		return exitUsage, usageError{fmt.Sprintf("--engine %q: check writes one report: run it once per engine (--engine chromium, --engine firefox)", *engineFlag)}
	}
	s, err := harness.StartWithPages(runCtx, harness.Options{Engine: engs[0], Browser: harness.BrowserOptions{ExecPath: *browserPath}, Timeout: *timeout},
		harness.PageOptions{Origins: policy.PageOrigins(probes)})
	if err != nil {
		code, err := startFailed(ctx, runCtx, *deadline, err)
		if code != exitUsage {
			c.finish(notProbed(probes, "not run: "+err.Error()))
		}
		return code, err
	}
	defer s.Close()
	c.rep.Browser = s.Browser.Version()
	if err := s.OpenPages(runCtx, policy.PageOrigins(probes)); err != nil {
		code, err := startFailed(ctx, runCtx, *deadline, err)
		c.finish(notProbed(probes, "not run: "+err.Error()))
		return code, err
	}
	prog := newCheckProgress(stderr, len(probes))
	results := policy.Run(runCtx, s, origin, path, probes, prog.show)
	prog.done()
	done := len(results)
	if runCtx.Err() != nil {
		results = append(results, notProbed(probes[len(results):], notRunReason(ctx, *deadline))...)
	}
	code, err := c.finish(results)
	switch {
	case err != nil:
		return code, err
	case ctx.Err() != nil:
		return exitInterrupted, fmt.Errorf("interrupted after %d of %d probes", done, len(probes))
	case runCtx.Err() != nil:
		fmt.Fprintf(stderr, "corslab: the check's deadline (--deadline %s) passed after %d of %d probes; the rest are marked error\n", *deadline, done, len(probes))
	}
	return code, nil
}

// checkRun writes the report of a check, whether it ran every probe or not.
type checkRun struct {
	stdout, stderr io.Writer
	format, out    string
	rep            report.PolicyCheck
}

// finish writes the report for results and returns the exit code: 4 when a
// probe could not run, 1 when one does not match the policy, 0 otherwise.
func (c *checkRun) finish(results []policy.Result) (int, error) {
	rep := c.rep
	rep.Results = results
	errs := 0
	for _, r := range results {
		switch {
		case r.Pass:
			rep.Passed++
		default:
			rep.Failed++
		}
		if r.Error != "" {
			errs++
		}
	}
	w := c.stdout
	if c.out != "" {
		f, err := os.Create(c.out)
		if err != nil {
			return exitUsage, usageError{fmt.Sprintf("--out: %v", err)}
		}
		defer f.Close()
		w = f
	}
	var err error
	switch c.format {
	case "json":
		err = report.CheckJSON(w, rep)
	case "junit":
		err = report.CheckJUnit(w, rep)
	case "html":
		err = report.CheckHTML(w, rep)
	default:
		err = report.CheckText(w, rep)
	}
	if err != nil {
		return exitUnobserved, fmt.Errorf("writing the report: %w", err)
	}
	if rep.Failed > 0 && (w != c.stdout || c.format != "text") {
		fmt.Fprintf(c.stderr, "corslab: %d of %d probes do not match the policy\n", rep.Failed, len(results))
	}
	switch {
	case errs > 0:
		return exitUnobserved, nil
	case rep.Failed > 0:
		return exitMismatch, nil
	}
	return exitOK, nil
}

// notProbed gives each probe the verdict error with reason.
func notProbed(probes []policy.Probe, reason string) []policy.Result {
	out := make([]policy.Result, 0, len(probes))
	for _, p := range probes {
		out = append(out, policy.Judge(p, nil, errors.New(reason)))
	}
	return out
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
// server is named before any probe runs.
func reachable(ctx context.Context, target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dctx, "tcp", host)
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
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s accepts connections but does not answer HTTP: %w", host, err)
	}
	resp.Body.Close()
	return nil
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
