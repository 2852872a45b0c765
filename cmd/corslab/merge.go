package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/corslab/corslab/report"
	"github.com/corslab/corslab/scenarios"
)

// cmdMerge combines the JSON reports of shards (run --shard K/N --format
// json) into one report with one summary. A scenario found in two reports
// is bad usage: the shards overlap.
func cmdMerge(args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "text", "text, json, junit or html")
	out := fs.String("out", "", "write the report to this file instead of stdout")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage, err
	}
	switch *format {
	case "text", "json", "junit", "html":
	default:
		return exitUsage, usageError{fmt.Sprintf("--format %q: want text, json, junit or html", *format)}
	}
	if len(files) == 0 {
		return exitUsage, usageError{"merge needs the JSON reports to merge: corslab merge a.json b.json ..."}
	}
	run, err := mergeFiles(files)
	if err != nil {
		return exitUsage, err
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
	switch *format {
	case "json":
		err = report.JSON(w, run)
	case "junit":
		err = report.JUnit(w, run)
	case "html":
		err = report.HTML(w, run, report.HTMLOptions{})
	default:
		err = report.Text(w, run)
	}
	if err != nil {
		return exitMismatch, err
	}
	if !run.OK() {
		return exitMismatch, nil
	}
	return exitOK, nil
}

// mergeFiles reads the reports and merges them: the results in catalog
// order (the scenarios not in the catalog after, in the order read), the
// browsers named once each, the elapsed time the longest shard's (shards
// run side by side).
func mergeFiles(files []string) (report.Run, error) {
	var merged report.Run
	from := map[string]string{}
	var browsers []string
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return merged, usageError{err.Error()}
		}
		run, err := report.ReadJSON(f)
		f.Close()
		if err != nil {
			return merged, usageError{fmt.Sprintf("%s: %v", path, err)}
		}
		for _, res := range run.Results {
			if prev, ok := from[res.Scenario.Name]; ok {
				return merged, usageError{fmt.Sprintf("%s: scenario %s is also in %s: the reports overlap", path, res.Scenario.Name, prev)}
			}
			from[res.Scenario.Name] = path
			merged.Results = append(merged.Results, res)
		}
		if run.Browser != "" && !slices.Contains(browsers, run.Browser) {
			browsers = append(browsers, run.Browser)
		}
		if merged.Origins == nil {
			merged.Origins = run.Origins
		}
		merged.Elapsed = max(merged.Elapsed, run.Elapsed)
	}
	merged.Browser = strings.Join(browsers, ", ")
	rank := catalogRank()
	sort.SliceStable(merged.Results, func(i, j int) bool {
		return rankOf(rank, merged.Results[i].Scenario.Name) < rankOf(rank, merged.Results[j].Scenario.Name)
	})
	return merged, nil
}

// catalogRank is each built-in scenario's place in the catalog.
func catalogRank() map[string]int {
	all, err := scenarios.Catalog()
	if err != nil {
		return nil
	}
	rank := map[string]int{}
	for i, sc := range all {
		rank[sc.Name] = i
	}
	return rank
}

func rankOf(rank map[string]int, name string) int {
	if r, ok := rank[name]; ok {
		return r
	}
	return len(rank)
}
