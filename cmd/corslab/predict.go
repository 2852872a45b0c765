package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
)

// Ports predict uses for an origin whose --PORT flag is 0: nothing listens,
// so any fixed value gives the same predictions.
const (
	predictFooPort = 41001
	predictBarPort = 41002
	predictBazPort = 41003
)

// Predict verdicts beyond run's pass and fail.
const verdictDivergence = "divergence"

// predictDocument is `predict --format json`: run's document, with
// `predicted` (and its `trace`) where run has `observed`.
type predictDocument struct {
	Browser   string            `json:"browser"`
	Origins   map[string]string `json:"origins"`
	Scenarios []predictedResult `json:"scenarios"`
	Summary   predictSummary    `json:"summary"`
}

type predictedResult struct {
	Name       string                    `json:"name"`
	Group      string                    `json:"group"`
	Source     string                    `json:"source,omitempty"`
	Divergence bool                      `json:"divergence,omitempty"`
	Verdict    string                    `json:"verdict"`
	Mismatches []string                  `json:"mismatches"`
	Error      string                    `json:"error"`
	Expected   scenarios.Expect          `json:"expected"`
	Predicted  *fetchspec.StepPrediction `json:"predicted"`
	Trace      []fetchspec.Step          `json:"trace"`
	Steps      []predictedStep           `json:"steps,omitempty"`
	Lesson     string                    `json:"lesson,omitempty"`
	Spec       string                    `json:"spec,omitempty"`
}

type predictedStep struct {
	Expect     scenarios.Expect          `json:"expected"`
	Predicted  *fetchspec.StepPrediction `json:"predicted"`
	Trace      []fetchspec.Step          `json:"trace"`
	Mismatches []string                  `json:"mismatches"`
}

type predictSummary struct {
	Total       int `json:"total"`
	Passed      int `json:"passed"`
	Failed      int `json:"failed"`
	Divergences int `json:"divergences"`
}

// cmdPredict is `corslab predict`: what a browser that follows the Fetch
// standard would do with each scenario, and its trace; no browser runs.
func cmdPredict(args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var sel selection
	sel.register(fs)
	format := fs.String("format", "text", "text or json")
	foo := fs.Int("foo-port", 0, "port of foo (and of other page labels) in header values and Locations")
	bar := fs.Int("bar-port", 0, "port of bar")
	baz := fs.Int("baz-port", 0, "port of baz")
	maxAge := fs.Int("max-age-cap", fetchspec.ChromiumMaxAgeCap, "the browser's cap on Access-Control-Max-Age, in seconds (0: none)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if *format != "text" && *format != "json" {
		return exitUsage, usageError{fmt.Sprintf("--format %q: predict supports text or json", *format)}
	}
	origins := fetchspec.LabOrigins{Foo: predictFooPort, Bar: predictBarPort, Baz: predictBazPort}
	for _, p := range []struct {
		name string
		port int
		dst  *int
	}{{"--foo-port", *foo, &origins.Foo}, {"--bar-port", *bar, &origins.Bar}, {"--baz-port", *baz, &origins.Baz}} {
		if p.port < 0 || p.port > 65535 {
			return exitUsage, usageError{fmt.Sprintf("%s %d: not a port (0-65535)", p.name, p.port)}
		}
		if p.port > 0 {
			*p.dst = p.port
		}
	}
	if *maxAge < 0 {
		return exitUsage, usageError{fmt.Sprintf("--max-age-cap %d: not a number of seconds", *maxAge)}
	}
	list, err := sel.load(pos)
	if err != nil {
		return exitUsage, err
	}
	if len(list) == 0 {
		return exitUsage, usageError{"no scenarios selected"}
	}
	doc := predictAll(list, fetchspec.Env{Origins: origins, MaxAgeCap: *maxAge})
	doc.Origins = map[string]string{"foo": origins.Origin("foo"), "bar": origins.Origin("bar"), "baz": origins.Origin("baz")}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doc); err != nil {
			return exitMismatch, fmt.Errorf("writing the JSON report: %w", err)
		}
	} else if err := writePredictText(stdout, doc); err != nil {
		return exitMismatch, err
	}
	if doc.Summary.Failed > 0 {
		return exitMismatch, nil
	}
	return exitOK, nil
}

// predictAll predicts each scenario and judges its expectation against the
// standard: pass (they agree), divergence (they differ where the scenario
// says Chromium departs from the standard), fail otherwise.
func predictAll(list []scenarios.Scenario, env fetchspec.Env) predictDocument {
	doc := predictDocument{Browser: "the Fetch standard (fetchspec, whatwg/fetch 586cd2a)", Scenarios: []predictedResult{}}
	for _, sc := range list {
		preds := fetchspec.Predict(sc, env)
		steps := sc.RequestSteps()
		r := predictedResult{Name: sc.Name, Group: sc.Group, Source: sc.Source, Divergence: sc.Divergence.Has(scenarios.BaseEngine), Mismatches: []string{}, Lesson: sc.Lesson, Spec: sc.Spec}
		for i := range preds {
			st := predictedStep{Expect: steps[i].Expect, Predicted: &preds[i], Trace: preds[i].Trace, Mismatches: preds[i].Disagreements(steps[i].Expect, env.Origins)}
			for _, m := range st.Mismatches {
				if len(steps) > 1 {
					m = fmt.Sprintf("step %d: %s", i+1, m)
				}
				r.Mismatches = append(r.Mismatches, m)
			}
			if st.Mismatches == nil {
				st.Mismatches = []string{}
			}
			r.Steps = append(r.Steps, st)
		}
		last := r.Steps[len(r.Steps)-1]
		r.Expected, r.Predicted, r.Trace = last.Expect, last.Predicted, last.Trace
		if len(sc.Steps) == 0 {
			r.Steps = nil
		}
		switch {
		case r.Divergence && len(r.Mismatches) > 0:
			r.Verdict = verdictDivergence
			doc.Summary.Divergences++
		case r.Divergence:
			r.Verdict = "fail"
			r.Mismatches = append(r.Mismatches, "divergence: the scenario is marked as a departure from the standard, yet the standard agrees with its expectation")
			doc.Summary.Failed++
		case len(r.Mismatches) > 0:
			r.Verdict = "fail"
			doc.Summary.Failed++
		default:
			r.Verdict = "pass"
			doc.Summary.Passed++
		}
		doc.Summary.Total++
		doc.Scenarios = append(doc.Scenarios, r)
	}
	return doc
}

// writePredictText writes each scenario's verdict, the prediction in a few
// words, its mismatches and the trace of every step.
func writePredictText(w io.Writer, doc predictDocument) error {
	width := 0
	for _, r := range doc.Scenarios {
		width = max(width, len(r.Name))
	}
	for _, r := range doc.Scenarios {
		mark := map[string]string{"pass": "✓", "fail": "✗", verdictDivergence: "≠"}[r.Verdict]
		fmt.Fprintf(w, "%s %-*s  %s\n", mark, width, r.Name, r.Predicted.Summary())
		for _, m := range r.Mismatches {
			fmt.Fprintf(w, "    %s\n", m)
		}
		steps := r.Steps
		if len(steps) == 0 {
			steps = []predictedStep{{Predicted: r.Predicted, Trace: r.Trace}}
		}
		for i, st := range steps {
			if len(steps) > 1 {
				fmt.Fprintf(w, "    step %d: %s\n", i+1, st.Predicted.Summary())
			}
			for _, s := range st.Trace {
				fmt.Fprintf(w, "      %s  <%s>\n", s, s.URL)
			}
			for _, n := range st.Predicted.NotPredicted {
				if !strings.HasPrefix(n, "cors_error") && !strings.HasPrefix(n, "failed_parameter") && !strings.HasPrefix(n, "console") && !strings.HasPrefix(n, "from_cache") {
					fmt.Fprintf(w, "      ? not predicted: %s\n", n)
				}
			}
		}
	}
	s := doc.Summary
	_, err := fmt.Fprintf(w, "%d agree with the Fetch standard, %d depart from it as marked (divergence), %d disagree\n", s.Passed, s.Divergences, s.Failed)
	return err
}
