package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// ExplainOptions says how an explanation is written.
type ExplainOptions struct {
	// AllHeaders shows every header; by default only those that matter to CORS.
	AllHeaders bool
	// Color uses ANSI colours.
	Color bool
	// Outside is the same request sent from a plain HTTP client, when it was.
	Outside *Outside
	// NoLinks leaves out the address of each step's section of the
	// standard (the failing step keeps its link).
	NoLinks bool
}

// writeChecks writes the standard's steps of a beat: ✓ a check that held,
// ✗ one that failed, · a step that checks nothing.
func writeChecks(b *strings.Builder, checks []Check, links bool, p palette) {
	for _, c := range checks {
		text := c.Text
		if links && c.Spec != "" {
			text += " <" + c.Spec + ">"
		}
		switch c.State {
		case CheckOK:
			fmt.Fprintf(b, "   %s %s\n", p.green("✓"), text)
		case CheckFail:
			fmt.Fprintf(b, "   %s %s\n", p.red("✗"), p.red(text))
		default:
			fmt.Fprintf(b, "   %s\n", p.dim("· "+text))
		}
	}
}

// writeStandard writes what the Fetch standard says and, where the browser
// departs from it, the story of the difference with each disagreement.
func writeStandard(b *strings.Builder, st StepStory, p palette) {
	if st.Standard != "" {
		fmt.Fprintf(b, "%s %s\n", p.bold("Standard:"), st.Standard)
	}
	if st.Differ != "" {
		fmt.Fprintf(b, "%s %s\n", p.bold("≠ Differs:"), st.Differ)
		for _, d := range st.Disagreements {
			fmt.Fprintf(b, "   %s %s\n", p.red("≠"), d)
		}
	}
	if st.Engine != "" {
		fmt.Fprintf(b, "%s %s\n", p.bold(st.Browser+"'s reason:"), st.Engine)
	}
}

type palette struct{ on bool }

func (p palette) wrap(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\033[" + code + "m" + s + "\033[0m"
}

func (p palette) green(s string) string { return p.wrap("32", s) }

func (p palette) red(s string) string { return p.wrap("31", s) }

func (p palette) dim(s string) string { return p.wrap("2", s) }

func (p palette) bold(s string) string { return p.wrap("1", s) }

func (p palette) cyan(s string) string { return p.wrap("36", s) }

var circled = []string{"①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧", "⑨", "⑩", "⑪", "⑫", "⑬", "⑭", "⑮", "⑯", "⑰", "⑱", "⑲", "⑳"}

func number(i int) string {
	if i < len(circled) {
		return circled[i]
	}
	return fmt.Sprintf("(%d)", i+1)
}

// ShownByDefault reports whether a header is shown without --all-headers:
// the ones that matter to CORS, and those named in extra (the scenario's own
// request headers, the exposed response headers).
func ShownByDefault(name string, extra map[string]bool) bool {
	n := strings.ToLower(name)
	switch n {
	case "origin", "host", "vary", "cookie", "set-cookie", "content-type", "location":
		return true
	}
	return strings.HasPrefix(n, "access-control-") || extra[n]
}

// extraHeaders are the header names shown by default besides the CORS ones:
// the page's own request headers and the response headers bar exposes.
func extraHeaders(s StepStory, r scenarios.Request) map[string]bool {
	extra := map[string]bool{}
	for _, h := range r.Headers {
		extra[strings.ToLower(h.Name)] = true
	}
	if s.Obs != nil {
		for _, m := range s.Obs.Exchange {
			for _, t := range tokens(joinedValues(m.Headers, "Access-Control-Expose-Headers")) {
				extra[strings.ToLower(t)] = true
			}
		}
	}
	return extra
}

// Explain writes the numbered story of one scenario's run.
func Explain(w io.Writer, res harness.Result, opt ExplainOptions) error {
	s := NewStory(res)
	p := palette{on: opt.Color}
	var b strings.Builder
	mark := Mark(s.Verdict)
	switch s.Verdict {
	case harness.Pass:
		mark = p.green(mark)
	default:
		mark = p.red(mark)
	}
	fmt.Fprintf(&b, "%s %s  %s\n", mark, p.bold(s.Name), p.dim("("+s.Group+")"))
	steps := res.Scenario.RequestSteps()
	for i, st := range s.Steps {
		var r scenarios.Request
		if i < len(steps) {
			r = steps[i].Request
		}
		if len(s.Steps) > 1 {
			fmt.Fprintf(&b, "\n%s\n", p.bold(fmt.Sprintf("Step %d of %d", i+1, len(s.Steps))))
		}
		writeStep(&b, st, r, opt, p)
	}
	if s.Error != "" {
		fmt.Fprintf(&b, "%s %s\n", p.red("Error:"), s.Error)
	}
	if opt.Outside != nil {
		writeOutside(&b, opt.Outside, s, p)
	}
	if s.Divergence {
		fmt.Fprintf(&b, "%s this scenario records where %s departs from the Fetch standard; the lesson explains what each engine does.\n", p.bold("Divergence:"), s.Browser)
	}
	if s.Lesson != "" {
		fmt.Fprintf(&b, "%s %s\n", p.bold("Lesson:"), s.Lesson)
	}
	fmt.Fprintf(&b, "%s %s\n", p.bold("Spec:"), s.Spec)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeStep(b *strings.Builder, st StepStory, r scenarios.Request, opt ExplainOptions, p palette) {
	if st.Obs == nil {
		fmt.Fprintf(b, "%s %s\n", p.red("Not observed:"), st.Error)
		return
	}
	extra := extraHeaders(st, r)
	for i, beat := range st.Beats {
		title := beat.Title
		if beat.Failed {
			title = p.red(title)
		}
		fmt.Fprintf(b, "%s %s\n", number(i), title)
		if beat.Message != nil {
			writeMessage(b, beat.Message, opt.AllHeaders, extra, p)
		}
		writeChecks(b, beat.Checks, !opt.NoLinks, p)
	}
	mark := p.green("✓")
	expected := "(expected)"
	if !st.Passed {
		mark = p.red("✗")
		expected = "(expected " + st.Expect.Outcome + ")"
	}
	end := "."
	if strings.HasSuffix(st.VerdictText, "\"") {
		end = ""
	}
	fmt.Fprintf(b, "%s %s %s: %s%s\n", p.bold("Verdict"), mark, expected, st.VerdictText, end)
	for _, m := range st.Mismatches {
		fmt.Fprintf(b, "   %s %s\n", p.red("mismatch:"), m)
	}
	if st.ReachedButBlocked != "" {
		fmt.Fprintf(b, "   %s\n", st.ReachedButBlocked)
	}
	writeStandard(b, st, p)
	if st.Why != "" {
		fmt.Fprintf(b, "%s %s\n", p.bold("Why:"), st.Why)
	}
	if len(st.Fix) > 0 {
		label := "Fix:"
		if st.FixIf != "" {
			label = "Fix (" + st.FixIf + "):"
		}
		if len(st.Fix) == 1 {
			fmt.Fprintf(b, "%s %s\n", p.bold(label), st.Fix[0])
		} else {
			fmt.Fprintf(b, "%s\n", p.bold(label))
			for _, f := range st.Fix {
				fmt.Fprintf(b, "   - %s\n", f)
			}
		}
	}
}

func writeMessage(b *strings.Builder, m *harness.Message, all bool, extra map[string]bool, p palette) {
	fmt.Fprintf(b, "   %s\n", p.cyan(m.Line))
	hidden := 0
	for _, h := range m.Headers {
		if !all && !ShownByDefault(h[0], extra) {
			hidden++
			continue
		}
		fmt.Fprintf(b, "   %s: %s\n", h[0], h[1])
	}
	if hidden > 0 {
		fmt.Fprintf(b, "   %s\n", p.dim(fmt.Sprintf("(%d more header%s; --all-headers shows them)", hidden, plural(hidden))))
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
