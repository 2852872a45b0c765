package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/engine/engines"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/report"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// runScenarios runs the selected scenarios and writes the report. Text
// results stream: each line is written as soon as its scenario ends. A run
// that cannot start, or that ends early (deadline, interrupt), still writes
// its report, with the verdict error for every scenario it did not run.
func runScenarios(ctx context.Context, o runOptions, pos []string, stdout, stderr io.Writer) (int, error) {
	list, err := o.sel.load(pos)
	if err != nil {
		return exitUsage, err
	}
	if o.jobs < 1 || o.jobs > harness.MaxJobs {
		return exitUsage, usageError{fmt.Sprintf("--jobs %d: want 1 to %d (Chromium keeps %d connections per host in a page's pool; more would only queue in the browser)", o.jobs, harness.MaxJobs, harness.MaxJobs)}
	}
	if o.shard != "" {
		k, n, err := harness.ParseShard(o.shard)
		if err != nil {
			return exitUsage, usageError{"--shard " + err.Error()}
		}
		list = harness.Shard(list, k, n)
		if len(list) == 0 {
			fmt.Fprintf(stderr, "corslab: shard %s has no scenario of the selection\n", o.shard)
		}
	}
	if len(list) == 0 && o.shard == "" {
		return exitUsage, usageError{"no scenarios selected"}
	}
	w := stdout
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			return exitUsage, usageError{fmt.Sprintf("--out: %v", err)}
		}
		defer f.Close()
		w = f
	}
	srvOpt, err := o.addrs()
	if err != nil {
		return exitUsage, err
	}
	runCtx, cancel := withDeadline(ctx, o.deadline)
	defer cancel()
	color := wantColor(stdout, o.out, os.Getenv)
	start := time.Now()
	engs, err := chooseEngines(o.engine, o.browserPath)
	if err != nil {
		return exitUsage, err
	}
	progress := newProgress(stderr, o.quiet, len(list))
	// With several engines the text report is a matrix, written at the end.
	st := &stream{w: w, on: o.format == "text" && !o.explain && len(engs) == 1, color: color, width: nameWidth(list)}
	run := report.Run{Origins: map[string]string{}}
	var outside []*report.Outside
	var browsers []string
	for k, eng := range engs {
		if o.explain && len(engs) > 1 {
			fmt.Fprintf(w, "%s══ %s\n\n", map[bool]string{true: "\n", false: ""}[k > 0], eng.Name())
		}
		er, err := runOnEngine(ctx, runCtx, eng, o, srvOpt, list, w, st, progress, color)
		if err != nil && er.startErr {
			code, err := startFailed(ctx, runCtx, o.deadline, err)
			if code == exitUsage || (o.format == "text" && len(run.Results) == 0) {
				return code, err // the message says it all
			}
			// The JSON, JUnit or HTML report still names every scenario, each
			// not run, for CI.
			run.Results = append(run.Results, notRun(list, "not run: on "+eng.Name()+": "+err.Error())...)
			run.Elapsed = time.Since(start)
			if werr := writeRun(w, o, run, append(outside, make([]*report.Outside, len(list))...), list, false); werr != nil {
				err = errors.Join(err, werr)
			}
			return code, err
		}
		if err != nil {
			return exitUnobserved, err
		}
		browsers = append(browsers, er.browser)
		run.Results = append(run.Results, er.results...)
		outside = append(outside, er.outside...)
		if k == 0 {
			run.Origins = er.origins
		}
	}
	run.Browser = strings.Join(browsers, ", ")
	run.Elapsed = time.Since(start)
	results := run.Results
	if len(engs) > 1 {
		list = slices.Repeat(list, len(engs))
	}
	if err := writeRun(w, o, run, outside, list, st.on); err != nil {
		return exitUnobserved, err
	}
	code := runCode(run)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "corslab: interrupted after %d of %d scenarios\n", ran(results), len(list))
		return exitInterrupted, nil
	case runCtx.Err() != nil:
		fmt.Fprintf(stderr, "corslab: the run's deadline (--deadline %s) passed after %d of %d scenarios; the rest are marked error\n", o.deadline, ran(results), len(list))
	}
	return code, nil
}

// writeRun writes the report of a run in the chosen format; streamed says
// the text lines were already written.
func writeRun(w io.Writer, o runOptions, run report.Run, outside []*report.Outside, list []scenarios.Scenario, streamed bool) error {
	var err error
	switch {
	case o.explain:
		s := run.Summarize()
		_, err = fmt.Fprintf(w, "\n%d passed, %d failed\n", s.Passed, s.Failed+s.Errors)
	case o.format == "json":
		err = report.JSON(w, run)
	case o.format == "junit":
		err = report.JUnit(w, run)
	case o.format == "html":
		for len(outside) < len(run.Results) {
			outside = append(outside, nil)
		}
		err = report.HTML(w, run, report.HTMLOptions{Outside: outside})
	case streamed:
		err = report.TextSummary(w, run)
	default:
		width := nameWidth(list)
		for _, res := range run.Results {
			if err = report.TextLine(w, res, width, false); err != nil {
				break
			}
		}
		if err == nil {
			err = report.TextSummary(w, run)
		}
	}
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

// runCode is the exit code of a run that started: 4 when a scenario could
// not be observed (an error verdict), else 1 on a mismatch, else 0.
func runCode(run report.Run) int {
	s := run.Summarize()
	switch {
	case s.Errors > 0:
		return exitUnobserved
	case s.Failed > 0:
		return exitMismatch
	}
	return exitOK
}

// stream writes each result line as its scenario ends (text format only).
type stream struct {
	w     io.Writer
	on    bool
	color bool
	width int
}

func (s *stream) line(res harness.Result) {
	if s.on {
		report.TextLine(s.w, res, s.width, s.color)
	}
}

// notRun writes one line for the scenarios a run did not get to: their
// count, the reason and the first few names.
func (s *stream) notRun(rest []harness.Result) {
	if !s.on || len(rest) == 0 {
		return
	}
	var names []string
	for i, r := range rest {
		if i == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(rest)-5))
			break
		}
		names = append(names, r.Scenario.Name)
	}
	mark := report.Mark(harness.Error)
	if s.color {
		mark = "\033[31m" + mark + "\033[0m"
	}
	fmt.Fprintf(s.w, "%s %d not run (%s): %s\n", mark, len(rest), strings.TrimPrefix(rest[0].Error, "not run: "), strings.Join(names, ", "))
}

func nameWidth(list []scenarios.Scenario) int {
	width := 0
	for _, sc := range list {
		width = max(width, len(sc.Name))
	}
	return width
}

// notRun gives each scenario of list the verdict error with reason.
func notRun(list []scenarios.Scenario, reason string) []harness.Result {
	out := make([]harness.Result, 0, len(list))
	for _, sc := range list {
		out = append(out, harness.NotRun(sc, reason))
	}
	return out
}

// ran counts the results that were run (not marked "not run").
func ran(results []harness.Result) int {
	n := 0
	for _, r := range results {
		if !strings.HasPrefix(r.Error, "not run:") {
			n++
		}
	}
	return n
}

// withDeadline bounds ctx by d when d > 0.
func withDeadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return context.WithCancel(ctx)
}

// notRunReason says why the rest of a run was not run: ctx is the run's
// parent (ended by a signal), the deadline bounds the run.
func notRunReason(ctx context.Context, deadline time.Duration) string {
	if ctx.Err() != nil {
		return "not run: interrupted"
	}
	return fmt.Sprintf("not run: the run's deadline (--deadline %s) passed", deadline)
}

// chooseEngines reads --engine (else $CORSLAB_ENGINE, else chromium);
// --browser names one binary, so it goes with one engine only.
func chooseEngines(spec, browserPath string) ([]engine.Engine, error) {
	engs, err := engines.Parse(spec)
	if err != nil {
		return nil, usageError{fmt.Sprintf("--engine %q: %v", spec, err)}
	}
	if browserPath != "" && len(engs) > 1 {
		return nil, usageError{fmt.Sprintf("--browser %q names one binary, but --engine chose %d engines", browserPath, len(engs))}
	}
	return engs, nil
}

// engineRun is what one engine's session gave; startErr says its error
// is the session's start.
type engineRun struct {
	browser  string
	origins  map[string]string
	results  []harness.Result
	outside  []*report.Outside
	startErr bool
}

// runOnEngine runs the list on one engine, in a session (lab and browser)
// of its own, streaming lines and explanations to w.
func runOnEngine(ctx, runCtx context.Context, eng engine.Engine, o runOptions, srvOpt servers.Options, list []scenarios.Scenario, w io.Writer, st *stream, progress *progress, color bool) (engineRun, error) {
	er := engineRun{}
	progress.starting(strings.ToUpper(eng.Name()[:1]) + eng.Name()[1:])
	sess, err := harness.StartFor(runCtx, harness.Options{
		Engine:  eng,
		Browser: harness.BrowserOptions{ExecPath: o.browserPath, BlockThirdPartyCookies: o.block3p},
		Servers: srvOpt,
		Timeout: o.timeout,
		Jobs:    o.jobs,
	}, list)
	progress.done()
	if err != nil {
		er.startErr = true
		return er, err
	}
	defer sess.Close()
	er.browser = sess.Browser.Version()
	er.origins = map[string]string{"foo": sess.Lab.Origin("foo"), "bar": sess.Lab.Origin("bar"), "baz": sess.Lab.Origin("baz")}
	replay := o.explain || o.format == "html"
	var rest []harness.Result
	var werr error
	er.results = sess.RunAll(runCtx, list, harness.RunOptions{
		Started: progress.show,
		// Results come in list order, each as soon as it and every one
		// before it ended (--jobs runs several at once).
		Done: func(i int, res harness.Result) {
			if strings.HasPrefix(res.Error, "not run:") {
				res.Error = notRunReason(ctx, o.deadline)
				rest = append(rest, res)
				er.outside = append(er.outside, nil)
				return
			}
			var out *report.Outside
			if replay && runCtx.Err() == nil && res.Verdict != harness.Error {
				out = report.Replay(runCtx, sess.Lab, res.Scenario, o.timeout)
			}
			er.outside = append(er.outside, out)
			progress.done()
			st.line(res)
			if o.explain && werr == nil {
				// Explanations stream: each is written as soon as its scenario ran.
				if i > 0 {
					fmt.Fprintln(w)
				}
				if err := report.Explain(w, res, report.ExplainOptions{AllHeaders: o.allHeaders, Color: color, Outside: out}); err != nil {
					werr = fmt.Errorf("writing the explanation: %w", err)
				}
			}
		},
	})
	if werr != nil {
		return er, werr
	}
	for i := range er.results {
		if strings.HasPrefix(er.results[i].Error, "not run:") {
			er.results[i].Error = notRunReason(ctx, o.deadline)
		}
	}
	st.notRun(rest)
	progress.done()
	return er, nil
}
