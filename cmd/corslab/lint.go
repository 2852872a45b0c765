package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/corslab/corslab/policy"
)

// cmdLint is `corslab lint --policy FILE`: the findings a reviewer would
// raise about a CORS policy, without a browser; exit 1 on a critical one.
func cmdLint(args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("policy", "", "the policy file to review")
	format := fs.String("format", "text", "text or json")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage, err
	}
	switch {
	case len(pos) > 0:
		return exitUsage, usageError{fmt.Sprintf("lint takes no arguments, only --policy FILE (got %q)", pos[0])}
	case *file == "":
		return exitUsage, usageError{"lint needs --policy FILE"}
	case *format != "text" && *format != "json":
		return exitUsage, usageError{fmt.Sprintf("--format %q: lint supports text or json", *format)}
	}
	p, err := policy.Load(*file)
	if err != nil {
		return exitUsage, err
	}
	findings := policy.Lint(p)
	if findings == nil {
		findings = []policy.Finding{}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(map[string]any{"policy": *file, "findings": findings}); err != nil {
			return exitMismatch, fmt.Errorf("writing the JSON report: %w", err)
		}
	} else if err := writeFindings(stdout, *file, findings); err != nil {
		return exitMismatch, err
	}
	for _, f := range findings {
		if f.Severity == policy.Critical && !f.Accepted {
			return exitMismatch, nil
		}
	}
	return exitOK, nil
}

func writeFindings(w io.Writer, file string, findings []policy.Finding) error {
	counts := map[policy.Severity]int{}
	for _, f := range findings {
		counts[f.Severity]++
		fmt.Fprintf(w, "%-8s %s: %s\n", f.Severity, f.ID, f.Title)
		fmt.Fprintf(w, "         why: %s\n", f.Why)
		if f.Spec != "" {
			fmt.Fprintf(w, "         spec: %s\n", f.Spec)
		}
	}
	_, err := fmt.Fprintf(w, "%s: %d critical, %d warning, %d note\n", file, counts[policy.Critical], counts[policy.Warning], counts[policy.Note])
	return err
}
