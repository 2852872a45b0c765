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

	"github.com/corslab/corslab/engine"
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
	engineFlag := fs.String("engine", "", "chromium, firefox, a comma-separated list, or all; default $CORSLAB_ENGINE, else chromium (several engines: text format only)")
	timeout := fs.Duration("timeout", 5*time.Second, "time limit for each probe")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
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
	engs, err := chooseEngines(*engineFlag, *browserPath)
	if err != nil {
		return exitUsage, err
	}
	if len(engs) > 1 && *format != "text" {
		return exitUsage, usageError{fmt.Sprintf("--format %s writes one report: run check once per engine (--engine chromium, --engine firefox)", *format)}
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
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return exitUsage, usageError{fmt.Sprintf("--out: %v", err)}
		}
		defer f.Close()
		w = f
	}
	failed := 0
	for e, eng := range engs {
		results, browser, err := checkOn(ctx, eng, *browserPath, *timeout, origin, path, probes, stderr)
		if err != nil {
			return startFailed(ctx, err)
		}
		if ctx.Err() != nil {
			return exitMismatch, fmt.Errorf("interrupted after %d of %d probes on %s", len(results), len(probes), eng.Name())
		}
		rep := report.PolicyCheck{Policy: pol.File, Target: tgt, Browser: browser, Results: results}
		for _, r := range results {
			if r.Pass {
				rep.Passed++
			} else {
				rep.Failed++
			}
		}
		if e > 0 {
			fmt.Fprintln(w)
		}
		switch *format {
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
			return exitMismatch, fmt.Errorf("writing the report: %w", err)
		}
		if rep.Failed > 0 && (w != stdout || *format != "text") {
			fmt.Fprintf(stderr, "corslab: %d of %d probes do not match the policy on %s\n", rep.Failed, len(results), eng.Name())
		}
		failed += rep.Failed
	}
	if failed > 0 {
		return exitMismatch, nil
	}
	return exitOK, nil
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

// checkOn runs the probes on one engine, in a session of its own, and
// says which browser ran them.
func checkOn(ctx context.Context, eng engine.Engine, browserPath string, timeout time.Duration, origin, path string, probes []policy.Probe, stderr io.Writer) ([]policy.Result, string, error) {
	s, err := harness.StartWithPages(ctx, harness.Options{Engine: eng, Browser: harness.BrowserOptions{ExecPath: browserPath}, Timeout: timeout},
		harness.PageOptions{Origins: policy.PageOrigins(probes)})
	if err != nil {
		return nil, "", err
	}
	defer s.Close()
	if err := s.OpenPages(ctx, policy.PageOrigins(probes)); err != nil {
		return nil, "", err
	}
	prog := newCheckProgress(stderr, len(probes))
	results := policy.Run(ctx, s, origin, path, probes, prog.show)
	prog.done()
	return results, s.Browser.Version(), nil
}
