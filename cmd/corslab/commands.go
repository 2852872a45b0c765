package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// parseInterleaved parses flags that may come after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

type selection struct {
	files  multi
	groups multi
}

func (s *selection) register(fs *flag.FlagSet) {
	fs.Var(&s.files, "file", "run the scenarios of this YAML file instead of the built-in catalog (repeatable)")
	fs.Var(&s.groups, "group", "only scenarios of this group (repeatable)")
}

func (s *selection) load(patterns []string) ([]scenarios.Scenario, error) {
	var all []scenarios.Scenario
	var err error
	if len(s.files) > 0 {
		all, err = scenarios.LoadFiles(s.files...)
	} else {
		all, err = scenarios.Catalog()
	}
	if err != nil {
		return nil, err
	}
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return nil, usageError{fmt.Sprintf("bad pattern %q: %v", p, err)}
		}
	}
	known := map[string]bool{}
	for _, sc := range all {
		known[sc.Group] = true
	}
	for _, g := range s.groups {
		if !known[g] {
			return nil, usageError{fmt.Sprintf("no scenario is in group %q (groups: %s)", g, strings.Join(groupNames(all), ", "))}
		}
	}
	var out []scenarios.Scenario
	matched := make([]bool, len(patterns))
	for _, sc := range all {
		if len(s.groups) > 0 && !contains(s.groups, sc.Group) {
			continue
		}
		if len(patterns) > 0 {
			hit := false
			for i, p := range patterns {
				if ok, _ := path.Match(p, sc.Name); ok {
					hit, matched[i] = true, true
				}
			}
			if !hit {
				continue
			}
		}
		out = append(out, sc)
	}
	for i, p := range patterns {
		if !matched[i] {
			return nil, usageError{fmt.Sprintf("no scenario matches %q (see `corslab list`)", p)}
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func groupNames(all []scenarios.Scenario) []string {
	seen := map[string]bool{}
	var out []string
	for _, sc := range all {
		if !seen[sc.Group] {
			seen[sc.Group] = true
			out = append(out, sc.Group)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return scenarios.GroupRank(out[i]) < scenarios.GroupRank(out[j]) })
	return out
}

func cmdList(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var sel selection
	sel.register(fs)
	format := fs.String("format", "text", "text or json")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usageError{fmt.Sprintf("--format %q: list supports text or json", *format)}
	}
	list, err := sel.load(pos)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(map[string]any{"scenarios": list})
	}
	width := 0
	for _, sc := range list {
		width = max(width, len(sc.Name))
	}
	group := ""
	for _, sc := range list {
		if sc.Group != group {
			group = sc.Group
			fmt.Fprintf(stdout, "%s\n", group)
			if ov := scenarios.GroupOverview(group); ov != "" && len(sel.groups) > 0 {
				// Asked for a group: introduce it above its scenarios.
				for _, line := range strings.Split(ov, "\n") {
					fmt.Fprintf(stdout, "  %s\n", line)
				}
				fmt.Fprintln(stdout)
			}
		}
		fmt.Fprintf(stdout, "  %-*s  %s\n", width, sc.Name, firstSentence(sc.Lesson))
	}
	fmt.Fprintf(stdout, "%d scenarios in %d groups\n", len(list), len(groupNames(list)))
	return nil
}

func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i+1]
	}
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}

// runOptions are the flags of run and explain.
type runOptions struct {
	sel         selection
	format      string
	out         string
	browserPath string
	engine      string
	timeout     time.Duration
	deadline    time.Duration
	quiet       bool
	block3p     bool
	explain     bool
	allHeaders  bool
	jobs        int
	shard       string
	// ports of foo, bar and baz; 0 picks a free one.
	fooPort, barPort, bazPort int
}

func (o *runOptions) register(fs *flag.FlagSet) {
	o.sel.register(fs)
	fs.StringVar(&o.out, "out", "", "write the report to this file instead of stdout")
	fs.StringVar(&o.browserPath, "browser", "", "the engine's browser binary (default for chromium: $CORSLAB_BROWSER, /usr/lib/chromium/chromium, chromium on PATH; for firefox: $CORSLAB_FIREFOX, firefox-esr)")
	fs.StringVar(&o.engine, "engine", "", "chromium, firefox, webkit, a comma-separated list, or all (every installed engine); default $CORSLAB_ENGINE, else chromium")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "per-request timeout (more than 0)")
	fs.DurationVar(&o.deadline, "deadline", 0, "bound the whole run, browser start included (0: no bound)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	fs.BoolVar(&o.block3p, "block-third-party-cookies", false, "block third-party cookies, as headless Chromium does by default (Chrome as users run it allows them outside Incognito)")
	fs.BoolVar(&o.allHeaders, "all-headers", false, "with --explain: show every header, not only those that matter to CORS")
	fs.IntVar(&o.jobs, "jobs", harness.DefaultJobs, fmt.Sprintf("scenarios in flight per page at once, 1 to %d (1: one after another)", harness.MaxJobs))
	fs.StringVar(&o.shard, "shard", "", "K/N: run only shard K of N (a scenario's shard depends on its name alone)")
	fs.IntVar(&o.fooPort, "foo-port", 0, "port of foo (and of other page labels) on 127.0.0.1; 0 picks a free one")
	fs.IntVar(&o.barPort, "bar-port", 0, "port of bar on 127.0.0.1; 0 picks a free one")
	fs.IntVar(&o.bazPort, "baz-port", 0, "port of baz on 127.0.0.1; 0 picks a free one")
}

// check refuses flag values that would otherwise be silently changed or
// ignored.
func (o *runOptions) check() error {
	if err := checkDurations(o.timeout, o.deadline); err != nil {
		return err
	}
	if o.allHeaders && !o.explain {
		return usageError{"--all-headers changes what --explain shows: add --explain (or use `corslab explain NAME --all-headers`)"}
	}
	_, err := o.addrs()
	return err
}

// checkDurations refuses a --timeout that is not positive and a negative
// --deadline.
func checkDurations(timeout, deadline time.Duration) error {
	if timeout <= 0 {
		return usageError{fmt.Sprintf("--timeout %s: must be more than 0 (e.g. 5s)", timeout)}
	}
	if deadline < 0 {
		return usageError{fmt.Sprintf("--deadline %s: must be 0 (no bound) or more", deadline)}
	}
	return nil
}

// addrs turns the port flags into loopback listen addresses. Two origins
// given the same port are refused: corslab's own first origin would hold
// the port the second needs.
func (o *runOptions) addrs() (servers.Options, error) {
	var so servers.Options
	given := map[int]string{}
	for _, p := range []struct {
		name string
		port int
		dst  *string
	}{{"--foo-port", o.fooPort, &so.FooAddr}, {"--bar-port", o.barPort, &so.BarAddr}, {"--baz-port", o.bazPort, &so.BazAddr}} {
		if p.port < 0 || p.port > 65535 {
			return so, usageError{fmt.Sprintf("%s %d: not a port (0-65535)", p.name, p.port)}
		}
		if first, ok := given[p.port]; ok && p.port != 0 {
			return so, usageError{fmt.Sprintf("%s %d: %s already gives port %d to corslab's own %s; each origin needs its own port (or 0 for a free one)",
				p.name, p.port, first, p.port, strings.TrimSuffix(strings.TrimPrefix(first, "--"), "-port"))}
		}
		given[p.port] = p.name
		*p.dst = fmt.Sprintf("127.0.0.1:%d", p.port)
	}
	return so, nil
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o runOptions
	o.register(fs)
	fs.StringVar(&o.format, "format", "text", "text, json, junit or html")
	fs.BoolVar(&o.explain, "explain", false, "explain every scenario: the whole exchange, the verdict, why and the fix")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage, err
	}
	switch o.format {
	case "text", "json", "junit", "html":
	default:
		return exitUsage, usageError{fmt.Sprintf("--format %q: want text, json, junit or html", o.format)}
	}
	if o.explain && o.format != "text" {
		return exitUsage, usageError{fmt.Sprintf("--explain writes text; it cannot be combined with --format %s", o.format)}
	}
	if err := o.check(); err != nil {
		return exitUsage, err
	}
	return runScenarios(ctx, o, pos, stdout, stderr)
}

func cmdExplain(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o runOptions
	o.register(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(pos) == 0 && len(o.sel.groups) == 0 {
		return exitUsage, usageError{"explain needs a scenario NAME (or a glob, or --group G); see `corslab list`"}
	}
	o.format, o.explain = "text", true
	if err := o.check(); err != nil {
		return exitUsage, err
	}
	return runScenarios(ctx, o, pos, stdout, stderr)
}

// wantColor says whether to colour the output: only when it goes to a
// terminal (not a file given with --out, not a pipe) and NO_COLOR is unset
// or empty (https://no-color.org).
func wantColor(stdout io.Writer, out string, getenv func(string) string) bool {
	return out == "" && getenv("NO_COLOR") == "" && isTerminal(stdout)
}

func isLoadError(err error) bool {
	var el scenarios.ErrorList
	var e *scenarios.Error
	return errors.As(err, &el) || errors.As(err, &e)
}

func isNoBrowser(err error) bool { return errors.Is(err, harness.ErrNoBrowser) }
