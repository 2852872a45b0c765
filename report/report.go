// Package report writes the results of a run for people (text) and for
// programs and CI (JSON, JUnit XML).
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// Run is everything a report needs about one run.
type Run struct {
	Browser string
	Origins map[string]string
	Results []harness.Result
	Elapsed time.Duration
}

// Summary counts results by verdict.
type Summary struct {
	Total   int     `json:"total"`
	Passed  int     `json:"passed"`
	Failed  int     `json:"failed"`
	Errors  int     `json:"errors"`
	Seconds float64 `json:"seconds"`
}

// Summarize counts the verdicts of a run.
func (r Run) Summarize() Summary {
	s := Summary{Total: len(r.Results), Seconds: r.Elapsed.Seconds()}
	for _, res := range r.Results {
		switch res.Verdict {
		case harness.Pass:
			s.Passed++
		case harness.Fail:
			s.Failed++
		default:
			s.Errors++
		}
	}
	return s
}

// OK reports whether every scenario passed.
func (r Run) OK() bool {
	s := r.Summarize()
	return s.Failed == 0 && s.Errors == 0
}

// Mark is the one-character verdict shown in text output.
func Mark(verdict string) string {
	switch verdict {
	case harness.Pass:
		return "✓"
	case harness.Fail:
		return "✗"
	}
	return "!"
}

// Did says in a few words what the browser did: allowed or blocked,
// preflight or not, and Chromium's reason.
func Did(o *harness.Observation) string {
	if o == nil {
		return "no observation"
	}
	var parts []string
	parts = append(parts, fmt.Sprintf("%-7s", o.Outcome))
	switch {
	case o.PreflightCached:
		parts = append(parts, "preflight (cached)")
	case o.Preflight:
		parts = append(parts, "preflight         ")
	default:
		parts = append(parts, "no preflight      ")
	}
	switch {
	case o.CorsError != "":
		r := o.CorsError
		if o.FailedParameter != "" {
			r += " (" + o.FailedParameter + ")"
		}
		parts = append(parts, r)
	case o.Outcome == scenarios.OutcomeAllowed:
		parts = append(parts, fmt.Sprintf("%d %s", o.Status, o.ResponseType))
	case o.NotObservable.Has("cors_error"):
		// The engine cannot report a reason (WebKit): say so, not a blank.
		parts = append(parts, "reason: not observable in "+o.NotObservable.Engine+"; the page saw "+quoteOrNothing(o.JSError))
	case o.JSError != "":
		parts = append(parts, o.JSError)
	}
	return strings.TrimRight(strings.Join(parts, "  "), " ")
}

// Text writes one line per scenario and the closing "N passed, M failed".
func Text(w io.Writer, r Run) error {
	if len(r.Engines()) > 1 {
		return textMatrix(w, r)
	}
	width := 0
	for _, res := range r.Results {
		width = max(width, len(res.Scenario.Name))
	}
	for _, res := range r.Results {
		if err := TextLine(w, res, width, false); err != nil {
			return err
		}
		writeModelMarks(w, res)
	}
	return TextSummary(w, r)
}

// TextLine writes one scenario's line of the text report (and its error or
// mismatches below it), the name padded to width; color marks the verdict
// green or red for a terminal. It lets a run print each result as soon as
// its scenario ends.
func TextLine(w io.Writer, res harness.Result, width int, color bool) error {
	mark := Mark(res.Verdict)
	if color {
		code := "31"
		if res.Verdict == harness.Pass {
			code = "32"
		}
		mark = "\033[" + code + "m" + mark + "\033[0m"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-*s  %s\n", mark, width, res.Scenario.Name, Did(res.Last()))
	if res.Error != "" {
		fmt.Fprintf(&b, "    error: %s\n", res.Error)
	}
	for _, m := range res.Mismatches {
		fmt.Fprintf(&b, "    %s\n", m)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// TextSummary writes the closing lines of the text report.
func TextSummary(w io.Writer, r Run) error {
	s := r.Summarize()
	if s.Errors > 0 {
		fmt.Fprintf(w, "(%d of the failures are errors: the harness could not observe the scenario)\n", s.Errors)
	}
	_, err := fmt.Fprintf(w, "%d passed, %d failed\n", s.Passed, s.Failed+s.Errors)
	return err
}

// writeModelMarks marks where what the browser did disagrees with the Fetch
// standard: "≠ standard: …" per disagreement, said to be as marked when the
// scenario records a divergence, and a wrong mark named.
func writeModelMarks(w io.Writer, res harness.Result) {
	d := res.ModelDisagreements()
	if res.Marked() && len(d) > 0 {
		fmt.Fprintf(w, "    ≠ departs from the Fetch standard, as marked (divergence):\n")
	}
	for _, m := range d {
		fmt.Fprintf(w, "    ≠ standard: %s\n", m)
	}
	if e := res.DivergenceMarkError(); e != "" {
		fmt.Fprintf(w, "    ≠ wrong mark: %s\n", strings.SplitN(e, "\n", 2)[0])
	}
}

// Document is the JSON report; its shape is a public contract.
type Document struct {
	Browser   string            `json:"browser"`
	Origins   map[string]string `json:"origins"`
	Scenarios []ScenarioResult  `json:"scenarios"`
	Summary   Summary           `json:"summary"`
}

// ScenarioResult is one scenario in the JSON report.
type ScenarioResult struct {
	Name  string `json:"name"`
	Group string `json:"group"`
	// Engine and Browser say which engine and browser ran it: a run on
	// several engines has one result per scenario and engine.
	Engine     string   `json:"engine,omitempty"`
	Browser    string   `json:"browser,omitempty"`
	Source     string   `json:"source,omitempty"`
	Divergence bool     `json:"divergence,omitempty"`
	Verdict    string   `json:"verdict"`
	Mismatches []string `json:"mismatches"`
	// NotCompared are the expectations of fields the engine cannot
	// observe (WebKit's reason), said rather than compared; multi-step
	// scenarios have them per step.
	NotCompared []string             `json:"not_compared,omitempty"`
	Error       string               `json:"error"`
	Expected    scenarios.Expect     `json:"expected"`
	Observed    *harness.Observation `json:"observed"`
	// Model is the last step's differential verdict against the Fetch
	// standard; each of Steps has its own.
	Model  *harness.ModelVerdict `json:"model,omitempty"`
	Steps  []harness.StepResult  `json:"steps,omitempty"`
	Ms     float64               `json:"ms"`
	Lesson string                `json:"lesson,omitempty"`
	Spec   string                `json:"spec,omitempty"`
}

// NewDocument builds the JSON report of a run.
func NewDocument(r Run) Document {
	d := Document{Browser: r.Browser, Origins: r.Origins, Summary: r.Summarize(), Scenarios: []ScenarioResult{}}
	for _, res := range r.Results {
		sr := ScenarioResult{
			Name: res.Scenario.Name, Group: res.Scenario.Group, Source: res.Scenario.Source, Engine: res.Engine, Browser: res.Browser,
			Divergence: res.Marked(), Verdict: res.Verdict,
			Mismatches: nonNil(res.Mismatches), Error: res.Error, Observed: res.Last(),
			Ms: float64(res.Duration.Microseconds()) / 1000, Lesson: res.Scenario.Lesson, Spec: res.Scenario.Spec,
		}
		if len(res.Steps) > 0 {
			sr.Expected = res.Steps[len(res.Steps)-1].Expect
			sr.Model = res.Steps[len(res.Steps)-1].Model
			sr.NotCompared = res.Steps[len(res.Steps)-1].NotCompared
		}
		if len(res.Scenario.Steps) > 0 {
			sr.Steps = res.Steps
		}
		d.Scenarios = append(d.Scenarios, sr)
	}
	return d
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// JSON writes the JSON report.
func JSON(w io.Writer, r Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(NewDocument(r)); err != nil {
		return fmt.Errorf("writing the JSON report: %w", err)
	}
	return nil
}

// quoteOrNothing quotes s, or says "nothing" for an empty one.
func quoteOrNothing(s string) string {
	if s == "" {
		return "nothing"
	}
	return fmt.Sprintf("%q", s)
}
