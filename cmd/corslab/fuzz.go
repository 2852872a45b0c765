package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/corslab/corslab/fuzz"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// cmdFuzz is `corslab fuzz`: random valid scenarios run in Chromium and in
// the Fetch model; each kind of disagreement is shrunk and written to
// --out as a scenario file. Exit 0 when nothing disagrees, 1 when
// something does (the files say what), 3 without a browser.
func cmdFuzz(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o runOptions
	o.register(fs)
	count := fs.Int("count", 200, "how many cases to generate")
	seed := fs.Uint64("seed", fuzz.KnownSeed, "the generator's seed: a seed gives the same cases every time")
	shrink := fs.Int("shrink-runs", 60, "browser runs spent shrinking each finding at most")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage, err
	}
	dir := "fuzz-findings" // --out DIR: where the scenario files of what disagrees go
	if o.out != "" {
		dir = o.out
	}
	switch {
	case len(pos) > 0:
		return exitUsage, usageError{fmt.Sprintf("fuzz takes no scenario names (got %q)", pos[0])}
	case *count < 1 || *count > math.MaxInt32:
		return exitUsage, usageError{fmt.Sprintf("--count %d: want at least 1", *count)}
	case *shrink < 0:
		return exitUsage, usageError{fmt.Sprintf("--shrink-runs %d: want 0 or more", *shrink)}
	}
	srvOpt, err := o.addrs()
	if err != nil {
		return exitUsage, err
	}
	sess, err := harness.Start(ctx, harness.Options{
		Browser: harness.BrowserOptions{ExecPath: o.browserPath},
		Servers: srvOpt, Timeout: o.timeout,
	})
	if err != nil {
		return startFailed(ctx, ctx, 0, err)
	}
	defer sess.Close()
	progress := func(i int, sc scenarios.Scenario, d []string) {
		if !o.quiet && (i+1)%25 == 0 {
			fmt.Fprintf(stderr, "fuzz: %d of %d cases\n", i+1, *count)
		}
	}
	rep := fuzz.Run(ctx, sess, fuzz.Options{Count: *count, Seed: *seed, MaxShrinkRuns: max(*shrink, 1), Progress: progress})
	fmt.Fprintf(stdout, "corslab fuzz: seed %d, %d cases (%d browser runs with shrinking) in %s: %.1f cases/s, %d not observed\n",
		*seed, rep.Cases, rep.Runs, rep.Elapsed.Round(time.Millisecond), rep.CasesPerSecond(), rep.Errors)
	for _, f := range rep.Findings {
		path, err := fuzz.WriteFinding(dir, f)
		if err != nil {
			return exitMismatch, err
		}
		fmt.Fprintf(stdout, "≠ case %d: %s\n    %s\n", f.Case, f.Signature, path)
		for _, d := range f.Disagreements {
			fmt.Fprintf(stdout, "      %s\n", d)
		}
	}
	if ctx.Err() != nil {
		return exitInterrupted, fmt.Errorf("interrupted after %d cases", rep.Cases)
	}
	if len(rep.Findings) > 0 {
		fmt.Fprintf(stdout, "%d kinds of disagreement with the Fetch standard; each file replays with `corslab run --file`\n", len(rep.Findings))
		return exitMismatch, nil
	}
	fmt.Fprintln(stdout, "no disagreement with the Fetch standard")
	return exitOK, nil
}
