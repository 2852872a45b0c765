package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// ReadJSON reads a JSON report (JSON writes it) back into a Run, for
// merging shards. What the JSON leaves out stays zero: the journal's raw
// bytes (Entry.Head) and the replay outside the browser.
func ReadJSON(r io.Reader) (Run, error) {
	var d Document
	dec := json.NewDecoder(r)
	if err := dec.Decode(&d); err != nil {
		return Run{}, fmt.Errorf("not a corslab JSON report: %w", err)
	}
	if d.Scenarios == nil {
		return Run{}, fmt.Errorf("not a corslab JSON report: no \"scenarios\"")
	}
	run := Run{Browser: d.Browser, Origins: d.Origins, Elapsed: time.Duration(d.Summary.Seconds * float64(time.Second))}
	for _, sr := range d.Scenarios {
		var div scenarios.Divergence
		if sr.Divergence {
			// The document says whether its engine was marked.
			div = scenarios.Divergence{cmp.Or(sr.Engine, scenarios.BaseEngine)}
		}
		res := harness.Result{
			Engine: sr.Engine, Browser: sr.Browser,
			Scenario: scenarios.Scenario{Name: sr.Name, Group: sr.Group, Source: sr.Source, Divergence: div, Lesson: sr.Lesson, Spec: sr.Spec},
			Verdict:  sr.Verdict, Mismatches: sr.Mismatches, Error: sr.Error, Steps: sr.Steps,
			Duration: time.Duration(sr.Ms * float64(time.Millisecond)),
		}
		if len(res.Steps) == 0 {
			// A single-request scenario: its one step is the top level.
			res.Steps = []harness.StepResult{{Expect: sr.Expected, Observed: sr.Observed, Mismatches: sr.Mismatches}}
		} else {
			// Keep the scenario's steps known, so the report lists them again.
			res.Scenario.Steps = make([]scenarios.Step, len(res.Steps))
			for i, st := range res.Steps {
				res.Scenario.Steps[i].Expect = st.Expect
			}
		}
		run.Results = append(run.Results, res)
	}
	return run, nil
}
