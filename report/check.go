package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/corslab/corslab/policy"
)

// PolicyCheck is the outcome of one `corslab check`: a policy's probes run
// against a target, and the findings derived from all their observations.
type PolicyCheck struct {
	Policy  string `json:"policy"`
	Target  string `json:"target"`
	Browser string `json:"browser"`
	// Started is when the check began.
	Started time.Time `json:"started"`
	// Passed, Failed, Inconclusive and Errors count the probes by state.
	Passed       int `json:"passed"`
	Failed       int `json:"failed"`
	Inconclusive int `json:"inconclusive"`
	Errors       int `json:"errors"`
	// Findings are the problems the observations show, most serious first.
	Findings []policy.Finding `json:"findings"`
	Results  []policy.Result  `json:"results"`
	// Error says why the check could not run (or ran only in part): the
	// browser did not start, the target could not be reached.
	Error string `json:"error,omitempty"`
	// Width is the text report's width in columns (0: 120).
	Width int `json:"-"`
	// Explain makes the text report list, for each probe that does not
	// match, every step the Fetch standard takes (the JSON and HTML
	// reports always have them).
	Explain bool `json:"-"`
}

// NewPolicyCheck counts the results by state.
func NewPolicyCheck(pol, target, browser string, started time.Time, results []policy.Result, findings []policy.Finding) PolicyCheck {
	rep := PolicyCheck{Policy: pol, Target: target, Browser: browser, Started: started, Results: results, Findings: findings}
	if rep.Findings == nil {
		rep.Findings = []policy.Finding{}
	}
	for _, r := range results {
		switch r.State {
		case policy.StatePass:
			rep.Passed++
		case policy.StateInconclusive:
			rep.Inconclusive++
		case policy.StateError:
			rep.Errors++
		default:
			rep.Failed++
		}
	}
	return rep
}

// Blocking is the number of critical or warning findings the policy does
// not accept: each fails the check.
func (rep PolicyCheck) Blocking() int {
	n := 0
	for _, f := range rep.Findings {
		if f.Blocking() {
			n++
		}
	}
	return n
}

// Summary is the count line: "34 probes: 30 match the policy, 2 do not,
// 1 inconclusive, 1 could not run; 2 findings (1 critical, 1 warning)".
func (rep PolicyCheck) Summary() string {
	s := fmt.Sprintf("%d probes: %d match the policy, %d do not", len(rep.Results), rep.Passed, rep.Failed)
	if rep.Inconclusive > 0 {
		s += fmt.Sprintf(", %d inconclusive", rep.Inconclusive)
	}
	if rep.Errors > 0 {
		s += fmt.Sprintf(", %d could not run", rep.Errors)
	}
	bySev := map[policy.Severity]int{}
	accepted := 0
	for _, f := range rep.Findings {
		bySev[f.Severity]++
		if f.Accepted {
			accepted++
		}
	}
	var parts []string
	for _, sev := range []policy.Severity{policy.Critical, policy.Warning, policy.Note} {
		if bySev[sev] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", bySev[sev], sev))
		}
	}
	if accepted > 0 {
		parts = append(parts, fmt.Sprintf("%d accepted by the policy", accepted))
	}
	if len(rep.Findings) == 0 {
		return s + "; no findings."
	}
	return s + fmt.Sprintf("; %d %s (%s).", len(rep.Findings), plural2(len(rep.Findings), "finding", "findings"), strings.Join(parts, ", "))
}

func plural2(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// mark is a result's mark in the text table.
func mark(r policy.Result) string {
	switch r.State {
	case policy.StatePass:
		return "ok"
	case policy.StateInconclusive:
		return "INCONCLUSIVE"
	case policy.StateError:
		return "ERROR"
	}
	return "FAIL"
}

// CheckText writes the findings, then one line per probe (probe, expected,
// observed, why) fitted to rep.Width, a count, and the details of every
// probe that does not match the policy. The full texts are in the JSON and
// in `explain`.
func CheckText(w io.Writer, rep PolicyCheck) error {
	width := rep.Width
	if width <= 0 {
		width = 120
	}
	fmt.Fprintf(w, "corslab check: %s against %s in %s\n", rep.Policy, rep.Target, rep.Browser)
	if rep.Error != "" {
		fmt.Fprintf(w, "\nERROR %s\n", rep.Error)
	}
	if len(rep.Findings) > 0 {
		fmt.Fprintf(w, "\nFindings:\n")
		for _, f := range rep.Findings {
			acc := ""
			if f.Accepted {
				acc = " (accepted by the policy)"
			}
			fmt.Fprintf(w, "  %-8s %s%s\n", strings.ToUpper(string(f.Severity)), f.Title, acc)
			fmt.Fprintf(w, "           why: %s\n", f.Why)
			for i, e := range f.Evidence {
				if i == 3 {
					fmt.Fprintf(w, "           … and %d more (--format json lists them all)\n", len(f.Evidence)-3)
					break
				}
				fmt.Fprintf(w, "           - %s\n", truncate(e, width-13))
			}
		}
	}
	fmt.Fprintln(w)
	rows := [][]string{{"", "PROBE", "EXPECTED", "OBSERVED", "WHY"}}
	for _, r := range rep.Results {
		rows = append(rows, []string{mark(r), r.Probe.Name, r.Expected, r.Observed, oneLine(r.Why)})
	}
	writeFitted(w, rows, width)
	fmt.Fprintf(w, "\n%s\n", rep.Summary())
	for _, r := range rep.Results {
		if r.State == policy.StateFail || r.State == policy.StateError {
			fmt.Fprintf(w, "\n%s %s\n  policy: %s\n  expected: %s\n  observed: %s\n  why: %s\n", mark(r), r.Probe.Name, r.Probe.Because, r.Expected, r.Observed, r.Why)
			if rep.Explain {
				writeProbeStandard(w, r.Standard)
			}
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}

// writeProbeStandard writes every step the Fetch standard takes for a
// probe (the why already names the one that decided, with its link).
func writeProbeStandard(w io.Writer, s *policy.Standard) {
	if s == nil || len(s.Trace) == 0 {
		return
	}
	fmt.Fprintf(w, "  the Fetch standard's steps (%s; inferred from the server's answers):\n", s.Outcome)
	for _, st := range s.Trace {
		fmt.Fprintf(w, "    %s\n      %s\n", st, st.URL)
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// truncate shortens s to n runes, ending in "…".
func truncate(s string, n int) string {
	if n < 1 {
		n = 1
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// fitWidths are the column widths that fit rows in width with two spaces
// between columns: the last column (the why) gives way first, down to 30
// runes, then the widest column, a rune at a time, down to 8.
func fitWidths(rows [][]string, width int) []int {
	const gap, least, whyLeast = 2, 8, 30
	ws := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			ws[i] = max(ws[i], utf8.RuneCountInString(c))
		}
	}
	total := gap * (len(ws) - 1)
	for _, x := range ws {
		total += x
	}
	last := len(ws) - 1
	if cut := min(total-width, ws[last]-whyLeast); cut > 0 {
		ws[last] -= cut
		total -= cut
	}
	for total > width {
		widest := 0
		for i := range ws {
			if ws[i] > ws[widest] {
				widest = i
			}
		}
		if ws[widest] <= least {
			break
		}
		ws[widest]--
		total--
	}
	return ws
}

// writeFitted writes rows as a table that fits width.
func writeFitted(w io.Writer, rows [][]string, width int) {
	ws := fitWidths(rows, width)
	for _, row := range rows {
		var b strings.Builder
		for i, c := range row {
			c = truncate(c, ws[i])
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", ws[i]-utf8.RuneCountInString(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// CheckJSON writes the check as one JSON document, findings first; full
// observations are kept for the probes that did not pass.
func CheckJSON(w io.Writer, rep PolicyCheck) error {
	cp := rep
	cp.Results = make([]policy.Result, len(rep.Results))
	for i, r := range rep.Results {
		if r.Pass {
			r.Observation = nil
		}
		cp.Results[i] = r
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(cp); err != nil {
		return fmt.Errorf("writing the JSON check report: %w", err)
	}
	return nil
}
