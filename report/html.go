package report

import (
	"fmt"
	"html"
	"io"
	"sort"
	"strings"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// HTMLOptions adds what the HTML report shows besides the results.
type HTMLOptions struct {
	// Outside holds, per result (same index), the same request sent from a
	// plain HTTP client; nil entries and a short slice are fine.
	Outside []*Outside
}

// HTML writes the run as one self-contained HTML file: inline CSS, inline
// SVG and inline JavaScript, nothing loaded from the network. A summary per
// group comes first, then one card per scenario with a sequence diagram of
// the exchange, the verdict, why and the fix, the lesson and the headers.
// Cards can be filtered by group, verdict and outcome without a server.
func HTML(w io.Writer, r Run, opt HTMLOptions) error {
	var b strings.Builder
	s := r.Summarize()
	b.WriteString(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>corslab report</title>
<style>` + htmlCSS + `</style></head>
<body>
<header>
<h1>corslab report</h1>
`)
	fmt.Fprintf(&b, `<p class="meta">%s · %d scenarios · <span class="ok">%d passed</span> · <span class="bad">%d failed</span>%s · %.1f s</p>`+"\n",
		esc(orDash(r.Browser)), s.Total, s.Passed, s.Failed+s.Errors, errNote(s.Errors), s.Seconds)
	if len(r.Origins) > 0 {
		var parts []string
		for _, k := range []string{"foo", "bar", "baz"} {
			if v, ok := r.Origins[k]; ok {
				parts = append(parts, fmt.Sprintf("<b>%s</b> %s", esc(k), esc(v)))
			}
		}
		fmt.Fprintf(&b, "<p class=\"meta\">origins: %s</p>\n", strings.Join(parts, " · "))
	}
	if len(r.Engines()) > 1 {
		htmlMatrix(&b, r)
	}
	writeSummary(&b, r)
	groups := groupsOf(r)
	b.WriteString(`</header>
<div class="filters" id="filters">
<label>Group <select id="f-group"><option value="">all</option>`)
	for _, g := range groups {
		fmt.Fprintf(&b, `<option value="%s">%s</option>`, esc(g), esc(g))
	}
	b.WriteString(`</select></label>
<label>Verdict <select id="f-verdict"><option value="">all</option><option value="pass">passed</option><option value="fail">failed</option><option value="error">error</option></select></label>
<label>Browser did <select id="f-outcome"><option value="">all</option><option value="allowed">allowed</option><option value="blocked">blocked</option></select></label>
<label><input type="checkbox" id="f-all-headers"> all headers</label>
<span id="f-count"></span>
</div>
<main id="cards">
`)
	for i, res := range r.Results {
		var out *Outside
		if i < len(opt.Outside) {
			out = opt.Outside[i]
		}
		writeCard(&b, res, out)
	}
	b.WriteString("</main>\n<script>" + htmlJS + "</script>\n</body></html>\n")
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

func esc(s string) string { return html.EscapeString(s) }

func orDash(s string) string {
	if s == "" {
		return "browser unknown"
	}
	return s
}

func errNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d errors)", n)
}

// groupsOf lists the run's groups in teaching order.
func groupsOf(r Run) []string {
	seen := map[string]bool{}
	var gs []string
	for _, res := range r.Results {
		if !seen[res.Scenario.Group] {
			seen[res.Scenario.Group] = true
			gs = append(gs, res.Scenario.Group)
		}
	}
	sort.SliceStable(gs, func(i, j int) bool { return scenarios.GroupRank(gs[i]) < scenarios.GroupRank(gs[j]) })
	return gs
}

func writeSummary(b *strings.Builder, r Run) {
	type count struct{ pass, fail, total int }
	counts := map[string]*count{}
	for _, res := range r.Results {
		c := counts[res.Scenario.Group]
		if c == nil {
			c = &count{}
			counts[res.Scenario.Group] = c
		}
		c.total++
		if res.Verdict == harness.Pass {
			c.pass++
		} else {
			c.fail++
		}
	}
	b.WriteString(`<table class="summary" id="summary"><thead><tr><th>group</th><th>passed</th><th>failed</th><th>total</th><th></th></tr></thead><tbody>` + "\n")
	for _, g := range groupsOf(r) {
		c := counts[g]
		cls := "ok"
		if c.fail > 0 {
			cls = "bad"
		}
		pct := 0
		if c.total > 0 {
			pct = c.pass * 100 / c.total
		}
		fmt.Fprintf(b, `<tr class="%s" data-group="%s"><td><a href="#" class="group-link">%s</a></td><td>%d</td><td>%d</td><td>%d</td><td><span class="bar"><span style="width:%d%%"></span></span></td></tr>`+"\n",
			cls, esc(g), esc(g), c.pass, c.fail, c.total, pct)
	}
	b.WriteString("</tbody></table>\n")
}

func writeCard(b *strings.Builder, res harness.Result, out *Outside) {
	st := NewStory(res)
	outcome := ""
	if o := res.Last(); o != nil {
		outcome = o.Outcome
	}
	fmt.Fprintf(b, `<article class="card %s" id="sc-%s" data-group="%s" data-verdict="%s" data-outcome="%s">`+"\n",
		esc(res.Verdict), esc(st.Name), esc(st.Group), esc(res.Verdict), esc(outcome))
	fmt.Fprintf(b, `<h2><span class="mark">%s</span> %s <span class="tag">%s</span>`, esc(Mark(res.Verdict)), esc(st.Name), esc(st.Group))
	if outcome != "" {
		fmt.Fprintf(b, ` <span class="tag %s">%s</span>`, esc(outcome), esc(outcome))
	}
	if st.Divergence {
		fmt.Fprintf(b, ` <span class="tag divergence" title="%s departs from the Fetch standard here">divergence</span>`, esc(st.Browser))
	}
	b.WriteString("</h2>\n")
	if st.Lesson != "" {
		fmt.Fprintf(b, "<p class=\"lesson\">%s</p>\n", esc(st.Lesson))
	}
	if res.Error != "" {
		fmt.Fprintf(b, "<p class=\"error\"><b>Error:</b> %s</p>\n", esc(res.Error))
	}
	steps := res.Scenario.RequestSteps()
	for i, ss := range st.Steps {
		var req scenarios.Request
		if i < len(steps) {
			req = steps[i].Request
		}
		if len(st.Steps) > 1 {
			fmt.Fprintf(b, "<h3>Step %d of %d</h3>\n", i+1, len(st.Steps))
		}
		writeStepHTML(b, ss, req)
	}
	if out != nil {
		writeOutsideHTML(b, out, st)
	}
	fmt.Fprintf(b, "<p class=\"spec\">Spec: <a href=\"%s\">%s</a>", esc(st.Spec), esc(st.Spec))
	if res.Scenario.Source != "" {
		fmt.Fprintf(b, " · source: <code>%s</code>", esc(res.Scenario.Source))
	}
	b.WriteString("</p>\n</article>\n")
}

func writeStepHTML(b *strings.Builder, ss StepStory, req scenarios.Request) {
	if ss.Obs == nil {
		fmt.Fprintf(b, "<p class=\"error\">Not observed: %s</p>\n", esc(ss.Error))
		return
	}
	b.WriteString(sequenceSVG(ss))
	mark, cls, expected := "✓", "ok", "(expected)"
	if !ss.Passed {
		mark, cls, expected = "✗", "bad", "(expected "+ss.Expect.Outcome+")"
	}
	fmt.Fprintf(b, "<p class=\"verdict %s\"><b>Verdict %s %s:</b> %s</p>\n", cls, mark, esc(expected), esc(ss.VerdictText))
	if len(ss.Mismatches) > 0 {
		b.WriteString("<ul class=\"mismatches\">")
		for _, m := range ss.Mismatches {
			fmt.Fprintf(b, "<li>%s</li>", esc(m))
		}
		b.WriteString("</ul>\n")
	}
	if ss.ReachedButBlocked != "" {
		fmt.Fprintf(b, "<p class=\"reached\">%s</p>\n", esc(ss.ReachedButBlocked))
	}
	writeStandardHTML(b, ss)
	if ss.Why != "" {
		fmt.Fprintf(b, "<p class=\"why\"><b>Why:</b> %s</p>\n", codeSpans(ss.Why))
	}
	if len(ss.Fix) > 0 {
		label := "Fix"
		if ss.FixIf != "" {
			label += " (" + ss.FixIf + ")"
		}
		fmt.Fprintf(b, "<div class=\"fix\"><b>%s:</b><ul>", esc(label))
		for _, f := range ss.Fix {
			fmt.Fprintf(b, "<li>%s</li>", codeSpans(f))
		}
		b.WriteString("</ul></div>\n")
	}
	extra := extraHeaders(ss, req)
	b.WriteString("<details class=\"exchange\"><summary>The exchange, message by message</summary>\n<ol>\n")
	for _, beat := range ss.Beats {
		cls := ""
		if beat.Failed {
			cls = ` class="failed"`
		}
		fmt.Fprintf(b, "<li%s>%s", cls, esc(beat.Title))
		if beat.Message != nil {
			b.WriteString("<pre class=\"msg\">")
			fmt.Fprintf(b, "<span class=\"line\">%s</span>\n", esc(beat.Message.Line))
			for _, h := range beat.Message.Headers {
				c := "h"
				if !ShownByDefault(h[0], extra) {
					c = "h h-extra"
				}
				fmt.Fprintf(b, "<span class=\"%s\"><b>%s:</b> %s\n</span>", c, esc(h[0]), esc(h[1]))
			}
			b.WriteString("</pre>")
		}
		if len(beat.Checks) > 0 {
			b.WriteString("<ul class=\"checks\">")
			for _, c := range beat.Checks {
				sym := map[string]string{CheckOK: "✓", CheckFail: "✗", CheckNote: "·"}[c.State]
				text := esc(c.Text)
				if c.Spec != "" {
					text = fmt.Sprintf("<a href=\"%s\">%s</a>", esc(c.Spec), text)
				}
				fmt.Fprintf(b, "<li class=\"%s\">%s %s</li>", esc(c.State), sym, text)
			}
			b.WriteString("</ul>")
		}
		b.WriteString("</li>\n")
	}
	b.WriteString("</ol>\n")
	if ss.Console != "" {
		fmt.Fprintf(b, "<p class=\"console\"><b>Console:</b> %s</p>\n", esc(ss.Console))
	}
	b.WriteString("</details>\n")
}

// writeStandardHTML: what the Fetch standard says, and where the browser
// departs from it, each disagreement listed.
func writeStandardHTML(b *strings.Builder, ss StepStory) {
	if ss.Standard != "" {
		fmt.Fprintf(b, "<p class=\"standard\"><b>Standard:</b> %s</p>\n", linkified(ss.Standard))
	}
	if ss.Differ != "" {
		fmt.Fprintf(b, "<div class=\"differ\"><b>≠ Differs:</b> %s<ul>", codeSpans(ss.Differ))
		for _, d := range ss.Disagreements {
			fmt.Fprintf(b, "<li>%s</li>", esc(d))
		}
		b.WriteString("</ul></div>\n")
	}
	if ss.Engine != "" {
		fmt.Fprintf(b, "<p class=\"engine\"><b>%s's reason:</b> <code>%s</code></p>\n", esc(ss.Browser), esc(ss.Engine))
	}
}

// linkified escapes s and turns a trailing "<https://…>" into a link.
func linkified(s string) string {
	i := strings.LastIndex(s, " <https://")
	if i < 0 || !strings.HasSuffix(s, ">") {
		return codeSpans(s)
	}
	u := s[i+2 : len(s)-1]
	return codeSpans(s[:i]) + fmt.Sprintf(` <a href="%s">§</a>`, esc(u))
}

func writeOutsideHTML(b *strings.Builder, o *Outside, st Story) {
	b.WriteString("<details class=\"outside\"><summary>Outside the browser: the same request from a plain HTTP client</summary>\n<pre class=\"msg\">")
	fmt.Fprintf(b, "<span class=\"line\">%s %s</span>\n", esc(o.Method), esc(o.URL))
	for _, h := range o.Headers {
		fmt.Fprintf(b, "<b>%s:</b> %s\n", esc(h[0]), esc(h[1]))
	}
	if o.Err != "" {
		fmt.Fprintf(b, "→ %s</pre>\n", esc(o.Err))
	} else {
		fmt.Fprintf(b, "→ <span class=\"line\">%s</span>, body %s</pre>\n", esc(o.Line), esc(snippet(o.RespBody)))
	}
	b.WriteString("<p>No browser, so no preflight and no CORS check: the server answers whoever asks. CORS is enforced by browsers; it is not access control on the server.</p></details>\n")
}

// codeSpans escapes s and turns `x` into <code>x</code>.
func codeSpans(s string) string {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + esc(p) + "</code>")
			continue
		}
		if i%2 == 1 {
			b.WriteString("`")
		}
		b.WriteString(esc(p))
	}
	return b.String()
}

// Sequence diagram geometry.
const (
	svgWidth  = 760
	laneTop   = 44
	rowHeight = 34
)

var laneX = map[string]int{"page": 125, "chromium": 380, "bar": 635}

// sequenceSVG draws the beats of one request as a sequence diagram:
// the page on foo, Chromium and bar as lifelines, one arrow per message.
func sequenceSVG(ss StepStory) string {
	o := ss.Obs
	rows := 0
	for _, beat := range ss.Beats {
		if beat.To != "" || len(beat.Checks) > 0 || beat.Failed || beat.Label != "" {
			rows++
		}
	}
	h := laneTop + 14 + (rows-1)*rowHeight + 22
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="seq" role="img" aria-label="sequence diagram" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, svgWidth, h, svgWidth, h)
	b.WriteString(`<defs><marker id="arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>`)
	pageLabel := "page on " + strings.TrimPrefix(o.Page, "http://")
	if o.Page == "null" {
		pageLabel = "sandboxed page (null)"
	}
	server := "bar"
	for _, beat := range ss.Beats {
		if beat.Message != nil && beat.To == "bar" {
			if n := serverName(beat.Message); n != "bar" {
				server = "bar / " + n
			}
		}
	}
	for _, lane := range []struct{ key, label string }{{"page", pageLabel}, {"chromium", ss.Browser}, {"bar", server}} {
		x := laneX[lane.key]
		fmt.Fprintf(&b, `<rect x="%d" y="6" width="220" height="26" rx="5" class="lane"/><text x="%d" y="24" class="lane-label">%s</text>`, x-110, x, esc(lane.label))
		fmt.Fprintf(&b, `<line x1="%d" y1="32" x2="%d" y2="%d" class="life"/>`, x, x, h-6)
	}
	y := laneTop + 14
	for _, beat := range ss.Beats {
		switch {
		case beat.To != "":
			x1, x2 := laneX[beat.From], laneX[beat.To]
			cls := "msg"
			if beat.Failed {
				cls = "msg failed"
			} else if beat.To == "page" {
				cls = "msg good"
			}
			if beat.From == "bar" {
				cls += " answer"
			}
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" class="%s" marker-end="url(#arr)"/>`, x1, y, x2, y, cls)
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="arrow-label">%s</text>`, (x1+x2)/2, y-6, esc(beat.Label))
			y += rowHeight
		case len(beat.Checks) > 0:
			x := laneX["chromium"]
			marks := ""
			for _, c := range beat.Checks {
				marks += map[string]string{CheckOK: "✓", CheckFail: "✗", CheckNote: "·"}[c.State]
			}
			cls := "note"
			label := "CORS check " + marks
			if beat.Failed {
				cls = "note failed"
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="180" height="22" rx="4" class="%s"/><text x="%d" y="%d" class="note-label">%s</text>`, x-90, y-16, cls, x, y-1, esc(label))
			y += rowHeight
		case beat.Label != "":
			x := laneX["chromium"]
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="200" height="22" rx="4" class="note plain"/><text x="%d" y="%d" class="note-label">%s</text>`, x-100, y-16, x, y-1, esc(beat.Label))
			y += rowHeight
		case beat.Failed:
			x := laneX["chromium"]
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="note-label failed-text">%s</text>`, (x+laneX["bar"])/2, y-2, "✗ actual request never sent")
			y += rowHeight
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}

const htmlCSS = `
:root{--ok:#1a7f37;--bad:#cf222e;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:15px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;color:#1f2328;background:#fff}
header{padding:16px 24px 4px;background:var(--bg)}
h1{margin:0 0 4px;font-size:22px}
.meta{margin:2px 0;color:var(--muted)}
.ok{color:var(--ok)}.bad{color:var(--bad)}
table.summary{border-collapse:collapse;margin:10px 0;font-size:14px}
table.summary th,table.summary td{padding:2px 12px;border-bottom:1px solid var(--line);text-align:right}
table.summary th:first-child,table.summary td:first-child{text-align:left}
table.summary tr.bad td:first-child a{color:var(--bad)}
.bar{display:inline-block;width:120px;height:8px;background:#ffd7d5;border-radius:4px;overflow:hidden;vertical-align:middle}
.bar span{display:block;height:100%;background:var(--ok)}
.filters{display:flex;gap:18px;align-items:center;flex-wrap:wrap;font-size:14px;position:sticky;top:0;z-index:1;background:var(--bg);padding:8px 24px 10px;border-bottom:1px solid var(--line)}
.filters select{font:inherit;padding:2px 4px}
#f-count{color:var(--muted)}
main{padding:16px 24px;max-width:1100px}
.card{border:1px solid var(--line);border-left:6px solid var(--ok);border-radius:6px;padding:12px 16px;margin:0 0 18px}
.card.fail,.card.error{border-left-color:var(--bad)}
.card h2{font-size:17px;margin:0 0 6px;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.card h3{font-size:15px;margin:12px 0 4px}
.card.pass .mark{color:var(--ok)}.card.fail .mark,.card.error .mark{color:var(--bad)}
.tag{font:12px/1.6 -apple-system,"Segoe UI",sans-serif;background:#eaeef2;border-radius:10px;padding:1px 8px;margin-left:4px;vertical-align:middle;color:var(--muted)}
.tag.allowed{background:#dafbe1;color:var(--ok)}.tag.blocked{background:#ffebe9;color:var(--bad)}
.tag.divergence{background:#fff8c5;color:#7d4e00}
.lesson{margin:4px 0 8px;color:#333}
svg.seq{display:block;max-width:100%;height:auto;margin:6px 0;font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
svg .lane{fill:#eaeef2;stroke:#afb8c1}
svg .lane-label{text-anchor:middle;font-weight:600;fill:#1f2328}
svg .life{stroke:#afb8c1;stroke-dasharray:4 4}
svg .msg{stroke:#0969da;stroke-width:1.6}
svg .msg.answer{stroke:#6639ba;stroke-dasharray:6 3}
svg .msg.good{stroke:var(--ok)}
svg .msg.failed{stroke:var(--bad)}
svg .arrow-label{text-anchor:middle;fill:#1f2328}
svg .note{fill:#dafbe1;stroke:var(--ok)}
svg .note.failed{fill:#ffebe9;stroke:var(--bad)}
svg .note.plain{fill:#f6f8fa;stroke:#afb8c1;stroke-dasharray:3 2}
svg .note-label{text-anchor:middle;fill:#1f2328}
svg .failed-text{fill:var(--bad)}
.verdict{margin:6px 0 2px}
.verdict.ok b{color:var(--ok)}.verdict.bad b{color:var(--bad)}
.reached{margin:2px 0;color:#7d4e00}
.why,.fix,.standard,.differ,.engine{margin:4px 0}
.differ{color:#a40}
.fix ul{margin:2px 0 2px 0;padding-left:20px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eff1f3;padding:1px 4px;border-radius:4px}
details{margin:6px 0}
summary{cursor:pointer;color:#0969da}
pre.msg{font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--bg);border:1px solid var(--line);padding:6px 10px;margin:4px 0;white-space:pre-wrap;word-break:break-all}
pre.msg .line{color:#0550ae;font-weight:600}
pre.msg .h-extra{display:none;color:var(--muted)}
body.all-headers pre.msg .h-extra{display:inline}
.exchange ol{padding-left:22px}
.exchange li.failed{color:var(--bad)}
ul.checks{list-style:none;padding-left:6px;margin:2px 0}
ul.checks li.ok{color:var(--ok)}ul.checks li.fail{color:var(--bad)}ul.checks li.skip{color:var(--muted)}
.mismatches{color:var(--bad);margin:2px 0}
.console{color:var(--muted);font-size:13px}
.error{color:var(--bad)}
.spec{font-size:13px;color:var(--muted);margin:6px 0 0}
.hidden{display:none}
`

const htmlJS = `
(function(){
  var g = document.getElementById('f-group'), v = document.getElementById('f-verdict'),
      o = document.getElementById('f-outcome'), all = document.getElementById('f-all-headers'),
      count = document.getElementById('f-count');
  var cards = Array.prototype.slice.call(document.querySelectorAll('article.card'));
  function apply(){
    var shown = 0;
    cards.forEach(function(c){
      var ok = (!g.value || c.dataset.group === g.value) &&
               (!v.value || c.dataset.verdict === v.value) &&
               (!o.value || c.dataset.outcome === o.value);
      c.classList.toggle('hidden', !ok);
      if (ok) shown++;
    });
    count.textContent = 'showing ' + shown + ' of ' + cards.length;
  }
  [g, v, o].forEach(function(el){ el.addEventListener('change', apply); });
  all.addEventListener('change', function(){ document.body.classList.toggle('all-headers', all.checked); });
  Array.prototype.forEach.call(document.querySelectorAll('a.group-link'), function(a){
    a.addEventListener('click', function(e){ e.preventDefault(); g.value = a.textContent; apply(); });
  });
  apply();
})();
`
