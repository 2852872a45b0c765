package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/corslab/corslab/policy"
)

// PolicyCheck is the outcome of one `corslab check`: a policy's probes run
// against a target.
type PolicyCheck struct {
	Policy  string          `json:"policy"`
	Target  string          `json:"target"`
	Browser string          `json:"browser"`
	Passed  int             `json:"passed"`
	Failed  int             `json:"failed"`
	Results []policy.Result `json:"results"`
}

// CheckText writes one line per probe (probe, expected, observed, why), a
// count, and the details of every probe that does not match the policy.
func CheckText(w io.Writer, rep PolicyCheck) error {
	fmt.Fprintf(w, "corslab check: %s against %s in %s\n\n", rep.Policy, rep.Target, rep.Browser)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tPROBE\tEXPECTED\tOBSERVED\tWHY")
	for _, r := range rep.Results {
		mark := "ok  " // as wide as FAIL, so the columns do not move
		if !r.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", mark, r.Probe.Name, r.Expected, r.Observed, oneLineCheck(r.Why))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d probes: %d match the policy, %d do not.\n", len(rep.Results), rep.Passed, rep.Failed)
	for _, r := range rep.Results {
		if !r.Pass {
			fmt.Fprintf(w, "\nFAIL %s\n  policy: %s\n  expected: %s\n  observed: %s\n  why: %s\n", r.Probe.Name, r.Probe.Because, r.Expected, r.Observed, r.Why)
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}

func oneLineCheck(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// CheckJSON writes the check as one JSON document; full observations are
// kept for the probes that failed.
func CheckJSON(w io.Writer, rep PolicyCheck) error {
	// Full observations only for the probes that failed: they explain it.
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
	return enc.Encode(cp)
}

type checkJUnitSuite struct {
	XMLName  xml.Name         `xml:"testsuite"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Time     string           `xml:"time,attr"`
	Cases    []checkJUnitCase `xml:"testcase"`
}

type checkJUnitCase struct {
	Name      string             `xml:"name,attr"`
	Classname string             `xml:"classname,attr"`
	Time      string             `xml:"time,attr"`
	Failure   *checkJUnitProblem `xml:"failure,omitempty"`
	Error     *checkJUnitProblem `xml:"error,omitempty"`
}

type checkJUnitProblem struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// CheckJUnit writes one testcase per probe, classname corslab.check.KIND.
func CheckJUnit(w io.Writer, rep PolicyCheck) error {
	s := checkJUnitSuite{Name: "corslab check " + rep.Policy + " against " + rep.Target, Tests: len(rep.Results)}
	var total time.Duration
	for _, r := range rep.Results {
		total += r.Duration
		c := checkJUnitCase{Name: r.Probe.Name, Classname: "corslab.check." + r.Probe.Kind, Time: fmt.Sprintf("%.3f", r.Duration.Seconds())}
		text := fmt.Sprintf("policy: %s\nexpected: %s\nobserved: %s\nwhy: %s", r.Probe.Because, r.Expected, r.Observed, r.Why)
		switch {
		case r.Error != "":
			s.Errors++
			c.Error = &checkJUnitProblem{Message: r.Error, Text: text}
		case !r.Pass:
			s.Failures++
			c.Failure = &checkJUnitProblem{Message: "expected " + r.Expected + ", observed " + r.Observed, Text: text}
		}
		s.Cases = append(s.Cases, c)
	}
	s.Time = fmt.Sprintf("%.3f", total.Seconds())
	io.WriteString(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

var checkPage = template.Must(template.New("check").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>corslab check: {{.Policy}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330}
h1{font-size:20px;margin:0 0 4px}.meta{color:#556}
.sum{margin:12px 0;font-weight:600}.sum .bad{color:#b3261e}.sum .good{color:#1f7a3a}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e3e6ee;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f4f6fa;font-weight:600}tr.fail td{background:#fdeceb}td.mark{font-weight:700}tr.pass td.mark{color:#1f7a3a}tr.fail td.mark{color:#b3261e}
code{font:12px ui-monospace,monospace}details{margin-top:4px}pre{background:#f4f6fa;padding:6px;overflow:auto;font-size:12px}
label{margin-right:12px}
</style></head><body>
<h1>corslab check</h1>
<div class="meta">policy <code>{{.Policy}}</code> against <code>{{.Target}}</code> in {{.Browser}}</div>
<div class="sum">{{len .Results}} probes: <span class="good">{{.Passed}} match the policy</span>, <span class="{{if .Failed}}bad{{else}}good{{end}}">{{.Failed}} do not</span></div>
<p><label><input type="checkbox" id="onlyfail"> only probes that do not match</label></p>
<table><thead><tr><th></th><th>probe</th><th>expected</th><th>observed</th><th>why</th></tr></thead><tbody>
{{range .Results}}<tr class="{{if .Pass}}pass{{else}}fail{{end}}"><td class="mark">{{if .Pass}}✓{{else}}✗{{end}}</td>
<td>{{.Probe.Name}}<details><summary>request</summary><pre>{{.Probe.Method}} from {{.Probe.Page}}{{range .Probe.Headers}}
{{.Name}}: {{range .Values}}{{.}}{{end}}{{end}}{{if .Probe.Credentials}}
credentials: {{.Probe.Credentials}}{{end}}</pre><div>policy: {{.Probe.Because}}</div></details></td>
<td>{{.Expected}}</td><td>{{.Observed}}{{if .Error}}<br><b>error:</b> {{.Error}}{{end}}</td><td>{{.Why}}</td></tr>
{{end}}</tbody></table>
<script>
document.getElementById('onlyfail').addEventListener('change', function (e) {
  document.querySelectorAll('tbody tr.pass').forEach(function (tr) { tr.style.display = e.target.checked ? 'none' : ''; });
});
</script>
</body></html>
`))

// CheckHTML writes the check as one self-contained HTML page: a summary and
// a table of the probes, with a filter for those that do not match.
func CheckHTML(w io.Writer, rep PolicyCheck) error {
	if err := checkPage.Execute(w, rep); err != nil {
		return fmt.Errorf("writing the HTML check report: %w", err)
	}
	return nil
}
