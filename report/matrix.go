package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// Engines are the engines a run's results came from, in order of first
// appearance; one name, or none, is a run on one engine.
func (r Run) Engines() []string {
	var out []string
	for _, res := range r.Results {
		if res.Engine != "" && !contains(out, res.Engine) {
			out = append(out, res.Engine)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// matrixRow is one scenario's results, by engine.
type matrixRow struct {
	sc scenarios.Scenario
	by map[string]harness.Result
}

// matrix groups a run's results by scenario, in order.
func (r Run) matrix() []matrixRow {
	var rows []matrixRow
	index := map[string]int{}
	for _, res := range r.Results {
		i, ok := index[res.Scenario.Name]
		if !ok {
			i = len(rows)
			index[res.Scenario.Name] = i
			rows = append(rows, matrixRow{sc: res.Scenario, by: map[string]harness.Result{}})
		}
		rows[i].by[res.Engine] = res
	}
	return rows
}

// Reason is an engine's result in a few words for a matrix cell: the
// outcome and the engine's own reason, or the page's error.
func Reason(res harness.Result) string {
	o := res.Last()
	if o == nil {
		if res.Error != "" {
			return "error"
		}
		return "—"
	}
	out := o.Outcome
	switch {
	case o.CorsError != "":
		out += " " + o.CorsError
	case o.Outcome == scenarios.OutcomeAllowed:
		out += fmt.Sprintf(" %d", o.Status)
	}
	return out
}

// textMatrix writes a scenario × engine table, each cell the verdict mark
// and the engine's reason, then every mismatch by engine, then the counts
// per engine.
func textMatrix(w io.Writer, r Run) error {
	engs := r.Engines()
	rows := r.matrix()
	width := len("scenario")
	for _, row := range rows {
		width = max(width, len(row.sc.Name))
	}
	cell := make([]int, len(engs))
	for i, e := range engs {
		cell[i] = len(e) + 2
		for _, row := range rows {
			if res, ok := row.by[e]; ok {
				cell[i] = max(cell[i], len([]rune(Reason(res)))+2)
			}
		}
	}
	fmt.Fprintf(w, "  %-*s", width, "scenario")
	for i, e := range engs {
		fmt.Fprintf(w, "  %-*s", cell[i], e)
	}
	fmt.Fprintln(w)
	for _, row := range rows {
		fmt.Fprintf(w, "  %-*s", width, row.sc.Name)
		for i, e := range engs {
			txt := "  -"
			if res, ok := row.by[e]; ok {
				txt = Mark(res.Verdict) + " " + Reason(res)
			}
			fmt.Fprintf(w, "  %-*s", cell[i], txt)
		}
		fmt.Fprintln(w)
	}
	for _, row := range rows {
		for _, e := range engs {
			res, ok := row.by[e]
			if !ok || res.Verdict == harness.Pass {
				continue
			}
			fmt.Fprintf(w, "%s %s on %s\n", Mark(res.Verdict), row.sc.Name, e)
			if res.Error != "" {
				fmt.Fprintf(w, "    error: %s\n", res.Error)
			}
			for _, m := range res.Mismatches {
				fmt.Fprintf(w, "    %s\n", m)
			}
		}
	}
	for _, e := range engs {
		s := r.only(e).Summarize()
		fmt.Fprintf(w, "%s (%s): %d passed, %d failed\n", e, r.browserOf(e), s.Passed, s.Failed+s.Errors)
	}
	s := r.Summarize()
	_, err := fmt.Fprintf(w, "%d passed, %d failed\n", s.Passed, s.Failed+s.Errors)
	return err
}

// only is the run's results on one engine.
func (r Run) only(engine string) Run {
	out := r
	out.Results = nil
	for _, res := range r.Results {
		if res.Engine == engine {
			out.Results = append(out.Results, res)
		}
	}
	return out
}

// browserOf is the browser that ran an engine's results.
func (r Run) browserOf(engine string) string {
	for _, res := range r.Results {
		if res.Engine == engine && res.Browser != "" {
			return res.Browser
		}
	}
	return engine
}

// htmlMatrix writes the scenario × engine table of the HTML report.
func htmlMatrix(b *strings.Builder, r Run) {
	engs := r.Engines()
	b.WriteString(`<table class="summary matrix" id="matrix"><thead><tr><th>scenario</th>`)
	for _, e := range engs {
		fmt.Fprintf(b, `<th>%s<br><small>%s</small></th>`, esc(e), esc(r.browserOf(e)))
	}
	b.WriteString("</tr></thead><tbody>\n")
	for _, row := range r.matrix() {
		fmt.Fprintf(b, `<tr><td>%s</td>`, esc(row.sc.Name))
		for _, e := range engs {
			res, ok := row.by[e]
			if !ok {
				b.WriteString(`<td>—</td>`)
				continue
			}
			cls := "ok"
			if res.Verdict != harness.Pass {
				cls = "bad"
			}
			title := strings.Join(res.Mismatches, "\n")
			if res.Error != "" {
				title = res.Error
			}
			fmt.Fprintf(b, `<td class="%s" title="%s">%s %s</td>`, cls, esc(title), Mark(res.Verdict), esc(Reason(res)))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody></table>\n")
}
