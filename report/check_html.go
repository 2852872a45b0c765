package report

import (
	"fmt"
	"html/template"
	"io"

	"github.com/corslab/corslab/policy"
)

// checkView is what the HTML check page is drawn from: each probe knows
// the finding that explains it, so the why is written once, there.
type checkView struct {
	PolicyCheck
	Summary string
	Rows    []checkRow
}

type checkRow struct {
	policy.Result
	Mark string
	// Finding is the index (1-based) of the finding that explains the
	// probe, 0 when none does.
	Finding int
}

func newCheckView(rep PolicyCheck) checkView {
	v := checkView{PolicyCheck: rep, Summary: rep.Summary()}
	explained := map[string]int{}
	for i, f := range rep.Findings {
		for _, n := range f.Probes {
			if explained[n] == 0 {
				explained[n] = i + 1
			}
		}
	}
	for _, r := range rep.Results {
		v.Rows = append(v.Rows, checkRow{Result: r, Mark: r.State, Finding: explained[r.Probe.Name]})
	}
	return v
}

var checkPage = template.Must(template.New("check").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>corslab check: {{.Policy}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 8px}.meta{color:#556}
.sum{margin:12px 0;font-weight:600}
.finding{border-left:4px solid #889;padding:6px 10px;margin:8px 0;background:#f7f8fb}
.finding.critical{border-color:#b3261e;background:#fdeceb}.finding.warning{border-color:#b26a00;background:#fff5e5}
.sev{font-weight:700;text-transform:uppercase;font-size:12px;margin-right:6px}.accepted{color:#1f7a3a;font-weight:600}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e3e6ee;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f4f6fa;font-weight:600}tr.fail td{background:#fdeceb}tr.inconclusive td{background:#f4f4f4}tr.error td{background:#fff5e5}
td.mark{font-weight:700}tr.pass td.mark{color:#1f7a3a}tr.fail td.mark{color:#b3261e}
code{font:12px ui-monospace,monospace}details{margin-top:4px}pre{background:#f4f6fa;padding:6px;overflow:auto;font-size:12px}
label{margin-right:12px}.err{color:#b3261e;font-weight:600}
.standard li.failed{color:#b3261e;font-weight:600}
</style></head><body>
<h1>corslab check</h1>
<div class="meta">policy <code>{{.Policy}}</code> against <code>{{.Target}}</code> in {{.Browser}}{{if not .Started.IsZero}}, {{.Started.UTC.Format "2006-01-02 15:04:05 UTC"}}{{end}}</div>
{{if .Error}}<p class="err">The check could not run in full: {{.Error}}</p>{{end}}
<div class="sum">{{.Summary}}</div>
<h2>Findings</h2>
{{range $i, $f := .Findings}}<div class="finding {{$f.Severity}}" id="finding-{{$i}}"><span class="sev">{{$f.Severity}}</span><b>{{$f.Title}}</b>{{if $f.Accepted}} <span class="accepted">accepted by the policy</span>{{end}}
<div>{{$f.Why}}</div>{{if $f.Spec}}<div><a href="{{$f.Spec}}">{{$f.Spec}}</a></div>{{end}}
<details><summary>{{len $f.Evidence}} observations</summary><ul>{{range $f.Evidence}}<li>{{.}}</li>{{end}}</ul></details></div>
{{else}}<p>No findings: every observation matches the policy.</p>{{end}}
<h2>Probes</h2>
<p><label><input type="checkbox" id="onlyfail"> only probes that do not match</label></p>
<table><thead><tr><th></th><th>probe</th><th>expected</th><th>observed</th><th>why</th></tr></thead><tbody>
{{range .Rows}}<tr class="{{.Mark}}"><td class="mark">{{if .Pass}}✓{{else if eq .Mark "inconclusive"}}?{{else}}✗{{end}}</td>
<td>{{.Probe.Name}}<details><summary>request</summary><pre>{{.Probe.Method}} {{if .Probe.Path}}{{.Probe.Path}} {{end}}from {{.Probe.Page}}{{range .Probe.Headers}}
{{.Name}}: {{range .Values}}{{.}}{{end}}{{end}}{{if .Probe.Credentials}}
credentials: {{.Probe.Credentials}}{{end}}</pre><div>policy: {{.Probe.Because}}</div></details></td>
<td>{{.Expected}}</td><td>{{.Observed}}{{if .Error}}<br><b>error:</b> {{.Error}}{{end}}</td>
<td>{{if and .Finding (not .Pass)}}<a href="#finding-{{.FindingIndex}}">see the finding above</a>{{else}}{{.Why}}{{end}}{{with .Standard}}
<details class="standard"><summary>the Fetch standard ({{.Outcome}}){{with .Key}}: {{.Algorithm}} step {{.Number}}{{end}}</summary><ol>{{range .Trace}}<li class="{{.Outcome}}">{{.String}} <a href="{{.URL}}">{{.URL}}</a></li>{{end}}</ol></details>{{end}}</td></tr>
{{end}}</tbody></table>
<script>
document.getElementById('onlyfail').addEventListener('change', function (e) {
  document.querySelectorAll('tbody tr.pass').forEach(function (tr) { tr.style.display = e.target.checked ? 'none' : ''; });
});
</script>
</body></html>
`))

// FindingIndex is the 0-based index of the explaining finding.
func (r checkRow) FindingIndex() int { return r.Finding - 1 }

// CheckHTML writes the check as one self-contained HTML page: the
// findings first, each with its why once, then the probes, with a filter
// for those that do not match.
func CheckHTML(w io.Writer, rep PolicyCheck) error {
	if err := checkPage.Execute(w, newCheckView(rep)); err != nil {
		return fmt.Errorf("writing the HTML check report: %w", err)
	}
	return nil
}
