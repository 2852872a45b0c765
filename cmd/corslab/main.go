// Command corslab runs CORS scenarios in a real headless Chromium and
// reports what the browser did.
//
//	corslab list [--group G] [--file F.yaml ...] [--format text|json]
//	corslab run [NAME|GLOB ...] [--group G] [--file F.yaml ...] [--format text|json|junit|html] [--out FILE] [--engine chromium|firefox|webkit|all] [--browser PATH] [--explain]
//	corslab explain NAME|GLOB ... [--all-headers] [--file F.yaml ...]
//	corslab check --policy FILE [--target URL] [--format text|json|junit|html] [--out FILE]
//	corslab predict [NAME|GLOB ...] [--group G] [--file F.yaml ...] [--format text|json]
//	corslab lint --policy FILE [--format text|json]
//	corslab merge A.json B.json ... [--format text|json|junit|html] [--out FILE]
//	corslab fuzz [--count N] [--seed S] [--out DIR]
//	corslab serve [--addr 127.0.0.1:8080] [--open]
//
// Exit codes: 0 every scenario passed, 1 a mismatch, 2 bad usage or a bad
// scenario or policy file, 3 no usable browser (or, for check, an
// unreachable target), 4 the harness could not observe a scenario or probe
// (the browser did not answer, the --deadline passed), 130 interrupted.
// When several apply, the first of 130, 2, 3, 4, 1 wins.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Exit codes. When several apply, the first of 130, 2, 3, 4, 1 wins: a
// run that could not see everything says so before it says what it saw
// differ (its report still lists every mismatch).
const (
	exitOK          = 0
	exitMismatch    = 1
	exitUsage       = 2
	exitNoBrowser   = 3
	exitUnobserved  = 4
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `corslab shows what a real browser does with CORS.

Usage:
  corslab list [--group G] [--file F.yaml ...] [--format text|json]
  corslab run [NAME|GLOB ...] [--group G] [--file F.yaml ...] [--format text|json|junit|html]
              [--out FILE] [--engine chromium|firefox|webkit|all] [--browser PATH] [--timeout 5s] [--deadline D]
              [--quiet] [--explain [--all-headers]] [--jobs N] [--shard K/N]
  corslab explain NAME|GLOB ... [--all-headers] [--group G] [--file F.yaml ...] [--engine E]
  corslab check --policy FILE [--target URL] [--format text|json|junit|html] [--out FILE] [--engine E]
              [--timeout 5s] [--deadline D]   (probe a running server)
  corslab predict [NAME|GLOB ...] [--group G] [--file F.yaml ...] [--format text|json]
              [--foo-port N] [--bar-port N] [--baz-port N] [--max-age-cap SECONDS]
  corslab lint --policy FILE [--format text|json]
  corslab merge A.json B.json ... [--format text|json|junit|html] [--out FILE]
  corslab fuzz [--count N] [--seed S] [--out DIR] [--shrink-runs N]
  corslab serve [--addr 127.0.0.1:8080] [--open] [--browser PATH]

Commands:
  list    list the scenarios (the built-in catalog, or the --file ones)
  run     run scenarios in headless Chromium (--engine firefox, webkit, all: the others too,
          a scenario × engine matrix) and compare with their expectations
  explain run scenarios and tell the whole exchange: the messages on the wire,
          the Fetch standard's steps beside each answer, where Chromium
          departs, the verdict, why, the fix, and the same request sent from
          outside a browser
  check   derive probes from a CORS policy file and run them in Chromium
          against a running server
  predict what a browser that follows the Fetch standard does with each
          scenario, step by step with links into the standard; no browser
          (exit 1 when an expectation departs from the standard unmarked)
  lint    review a CORS policy file without a browser: findings with a
          severity, why and the standard's section (exit 1 on critical)
  merge   combine the JSON reports of shards (run --shard K/N --format json)
          into one report with one summary (exit 1 if any scenario failed)
  fuzz    random valid scenarios run in Chromium and in the Fetch model; each
          kind of disagreement shrunk and written to --out DIR as a scenario
          file (exit 1 when something disagrees)
  serve   the playground: a local page where you edit both sides of an
          exchange and run it in your own browser and headless (Ctrl-C stops)

Exit codes: 0 all passed, 1 a mismatch, 2 bad usage or a bad scenario or
policy file, 3 no usable browser (check: target not reachable), 4 the
harness could not observe a scenario (no answer from the browser, the
--deadline passed), 130 interrupted. The first of 130, 2, 3, 4, 1 wins.
`

// usageError is bad usage: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	code := exitOK
	switch args[0] {
	case "list":
		err = cmdList(args[1:], stdout)
	case "run":
		code, err = cmdRun(ctx, args[1:], stdout, stderr)
	case "check":
		code, err = cmdCheck(ctx, args[1:], stdout, stderr)
	case "explain":
		code, err = cmdExplain(ctx, args[1:], stdout, stderr)
	case "predict":
		code, err = cmdPredict(args[1:], stdout)
	case "lint":
		code, err = cmdLint(args[1:], stdout)
	case "merge":
		code, err = cmdMerge(args[1:], stdout)
	case "fuzz":
		code, err = cmdFuzz(ctx, args[1:], stdout, stderr)
	case "serve":
		code, err = cmdServe(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		err = usageError{fmt.Sprintf("unknown command %q (want list, run, explain, check, predict, lint, merge, fuzz or serve)", args[0])}
	}
	if err == nil {
		return code
	}
	fmt.Fprintf(stderr, "corslab: %v\n", err)
	var ue usageError
	switch {
	case errors.As(err, &ue), isLoadError(err):
		return exitUsage
	case isNoBrowser(err):
		return exitNoBrowser
	case code != exitOK:
		return code
	}
	return exitMismatch
}

// startFailed maps a failure to start the lab to an exit code: 130 when
// interrupted (ctx ended), 4 when the run's deadline passed (runCtx ended),
// 3 when no browser would start, 2 when a port given on the command line is
// busy (naming the process that holds it when it can be found), 4
// otherwise: the harness could not get to observe anything.
func startFailed(ctx, runCtx context.Context, deadline time.Duration, err error) (int, error) {
	switch {
	case ctx.Err() != nil:
		return exitInterrupted, fmt.Errorf("interrupted while starting: %w", err)
	case runCtx.Err() != nil:
		return exitUnobserved, fmt.Errorf("the run's deadline (--deadline %s) passed while starting: %w", deadline, err)
	case isNoBrowser(err):
		return exitNoBrowser, err
	case errors.Is(err, syscall.EADDRINUSE):
		return exitUsage, usageError{err.Error() + busyHint(err.Error()) + " (choose another port, or 0 for a free one)"}
	}
	return exitUnobserved, err
}
