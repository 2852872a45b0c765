package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/report"
	"github.com/corslab/corslab/scenarios"
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
	if len(list) == 0 {
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
	progress := newProgress(stderr, o.quiet, len(list))
	progress.starting("Chromium")
	sess, err := harness.StartFor(runCtx, harness.Options{
		Browser: harness.BrowserOptions{ExecPath: o.browserPath, BlockThirdPartyCookies: o.block3p},
		Servers: srvOpt,
		Timeout: o.timeout,
	}, list)
	progress.done()
	if err != nil {
		code, err := startFailed(ctx, runCtx, o.deadline, err)
		if code == exitUsage || o.format == "text" {
			return code, err // the message says it all
		}
		// The JSON, JUnit or HTML report still names every scenario, each
		// not run, for CI.
		run := report.Run{Results: notRun(list, "not run: "+err.Error()), Elapsed: time.Since(start)}
		if werr := writeRun(w, o, run, nil, list, false); werr != nil {
			err = errors.Join(err, werr)
		}
		return code, err
	}
	defer sess.Close()
	sess.Prepare(runCtx, list)
	st := &stream{w: w, on: o.format == "text" && !o.explain, color: color, width: nameWidth(list)}
	replay := o.explain || o.format == "html"
	var results []harness.Result
	var outside []*report.Outside
	for i, sc := range list {
		if runCtx.Err() != nil {
			rest := notRun(list[i:], notRunReason(ctx, o.deadline))
			results = append(results, rest...)
			st.notRun(rest)
			break
		}
		progress.show(i, sc)
		res := sess.Run(runCtx, sc)
		results = append(results, res)
		var out *report.Outside
		if replay && runCtx.Err() == nil && res.Verdict != harness.Error {
			out = report.Replay(runCtx, sess.Lab, sc, o.timeout)
		}
		outside = append(outside, out)
		progress.done()
		st.line(res)
		if o.explain {
			// Explanations stream: each is written as soon as its scenario ran.
			if i > 0 {
				fmt.Fprintln(w)
			}
			if err := report.Explain(w, res, report.ExplainOptions{AllHeaders: o.allHeaders, Color: color, Outside: out}); err != nil {
				return exitUnobserved, fmt.Errorf("writing the explanation: %w", err)
			}
		}
	}
	progress.done()
	run := report.Run{
		Browser: sess.Browser.Version(),
		Origins: map[string]string{"foo": sess.Lab.Origin("foo"), "bar": sess.Lab.Origin("bar"), "baz": sess.Lab.Origin("baz")},
		Results: results,
		Elapsed: time.Since(start),
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
