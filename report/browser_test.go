package report_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/corslab/corslab/engine/chromium"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/report"
	"github.com/corslab/corslab/scenarios"
)

// startSession starts a lab and Chromium for a test, or skips it when no
// browser is installed.
func startSession(t *testing.T) *harness.Session {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Chromium; skipped with -short")
	}
	sess, err := harness.Start(context.Background(), harness.Options{})
	if errors.Is(err, harness.ErrNoBrowser) {
		t.Skipf("no browser: %v", err)
	}
	if err != nil {
		t.Fatalf("starting the session: %v", err)
	}
	t.Cleanup(func() { sess.Close() })
	return sess
}

func catalogScenario(t *testing.T, name string) scenarios.Scenario {
	t.Helper()
	all, err := scenarios.Catalog()
	if err != nil {
		t.Fatalf("loading the catalog: %v", err)
	}
	for _, sc := range all {
		if sc.Name == name {
			return sc
		}
	}
	t.Fatalf("no scenario %q in the catalog", name)
	return scenarios.Scenario{}
}

func explainText(t *testing.T, res harness.Result) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.Explain(&b, res, report.ExplainOptions{}); err != nil {
		t.Fatalf("Explain: %v", err)
	}
	return b.String()
}

// TestExplanationFollowsBarsHeaders changes bar's headers between two runs of
// the same request and checks that the explanation changes with them: it is
// derived from what was on the wire, not from the scenario file.
func TestExplanationFollowsBarsHeaders(t *testing.T) {
	sess := startSession(t)
	ctx := context.Background()
	base := catalogScenario(t, "preflight-delete-api-key")

	cases := []struct {
		name         string
		allowHeaders string
		allowOrigin  string
		want         []string
		notWant      []string
	}{
		{
			name: "allowed", allowHeaders: "Api-Key", allowOrigin: "{foo}",
			want: []string{
				"Access-Control-Allow-Headers: Api-Key",
				"✓ CORS-preflight fetch step 7.7: api-key is listed [Access-Control-Allow-Headers: Api-Key]",
				"The Fetch standard checks the answer: the preflight passes",
				"Verdict ✓ (expected): allowed",
				"DELETE /r/preflight-delete-api-key-",
			},
			notWant: []string{"✗", "never sent", "Differs"},
		},
		{
			name: "header not allowed", allowHeaders: "X-Other", allowOrigin: "{foo}",
			want: []string{
				"Access-Control-Allow-Headers: X-Other",
				"✗ CORS-preflight fetch step 7.7: api-key must be listed in Access-Control-Allow-Headers",
				"it fails at CORS-preflight fetch step 7.7, so the actual request is not sent",
				"Chromium's reason: HeaderDisallowedByPreflightResponse (api-key)",
				"The actual DELETE is never sent",
				"Access-Control-Allow-Headers says \"X-Other\"",
				"`Access-Control-Allow-Headers: X-Other, Api-Key`",
				"has been blocked by CORS policy",
			},
			notWant: []string{"✓ CORS-preflight fetch step 7.7", "Differs"},
		},
		{
			name: "other origin", allowHeaders: "Api-Key", allowOrigin: "http://other.example",
			want: []string{
				"Access-Control-Allow-Origin: http://other.example",
				"✗ CORS check step 4: the value must be, byte for byte, the request's origin http://foo.localhost:",
				"it fails at CORS check step 4, so the actual request is not sent",
				"`Access-Control-Allow-Origin: http://foo.localhost:",
			},
			notWant: []string{"Access-Control-Allow-Headers says", "CORS-preflight fetch step 7:", "Differs"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := base
			pre := *base.Server.Preflight
			pre.Headers = scenarios.Headers{
				{Name: "Access-Control-Allow-Origin", Values: []string{tc.allowOrigin}},
				{Name: "Access-Control-Allow-Methods", Values: []string{"DELETE"}},
				{Name: "Access-Control-Allow-Headers", Values: []string{tc.allowHeaders}},
			}
			sc.Server.Preflight = &pre
			res := sess.Run(ctx, sc)
			if res.Error != "" {
				t.Fatalf("run: %s", res.Error)
			}
			text := explainText(t, res)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("explanation lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(text, w) {
					t.Errorf("explanation has %q:\n%s", w, text)
				}
			}
		})
	}
}

// TestReplayOutsideTheBrowser checks that a request the browser refused to
// hand to the page still gets bar's answer from a plain HTTP client.
func TestReplayOutsideTheBrowser(t *testing.T) {
	sess := startSession(t)
	ctx := context.Background()
	sc := catalogScenario(t, "rejected-preflight-header-not-allowed")
	res := sess.Run(ctx, sc)
	if o := res.Last(); o == nil || o.Outcome != scenarios.OutcomeBlocked {
		t.Fatalf("expected the browser to block: %+v", res)
	}
	out := report.Replay(ctx, sess.Lab, sc, 5*time.Second)
	if out.Err != "" || out.Status != 200 {
		t.Fatalf("replay: status %d, err %q", out.Status, out.Err)
	}
	if out.RespBody == "" {
		t.Errorf("replay body empty")
	}
	var b bytes.Buffer
	report.Explain(&b, res, report.ExplainOptions{Outside: out})
	for _, w := range []string{"Outside the browser:", "→ HTTP/1.1 200 OK", "it is not access control on the server"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("explanation lacks %q:\n%s", w, b.String())
		}
	}
}

// TestHTMLReportInChromium writes an HTML report of a few real runs, opens
// it in the same headless Chromium, checks the DOM and the filters, and
// saves a screenshot to /tmp/report.png.
func TestHTMLReportInChromium(t *testing.T) {
	sess := startSession(t)
	ctx := context.Background()
	names := []string{"simple-get-exact-origin", "preflight-delete-api-key", "rejected-preflight-header-not-allowed", "simple-post-blocked-still-reached-server"}
	var list []scenarios.Scenario
	for _, n := range names {
		list = append(list, catalogScenario(t, n))
	}
	// One scenario with a wrong expectation, to show a failed card.
	wrong := catalogScenario(t, "preflight-put")
	wrong.Expect.Outcome = scenarios.OutcomeBlocked
	list = append(list, wrong)

	var results []harness.Result
	var outside []*report.Outside
	for _, sc := range list {
		results = append(results, sess.Run(ctx, sc))
		outside = append(outside, report.Replay(ctx, sess.Lab, sc, 5*time.Second))
	}
	path := filepath.Join(t.TempDir(), "report.html")
	var b bytes.Buffer
	run := report.Run{Browser: sess.Browser.Version(), Results: results, Origins: map[string]string{"foo": sess.Lab.Origin("foo"), "bar": sess.Lab.Origin("bar")}}
	if err := report.HTML(&b, run, report.HTMLOptions{Outside: outside}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	chrome, ok := sess.Browser.(*chromium.Browser)
	if !ok {
		t.Skipf("the report is opened with chromedp, the session's browser is %T", sess.Browser)
	}
	tctx, cancel := chromedp.NewContext(chrome.Context())
	defer cancel()
	tctx, cancel2 := context.WithTimeout(tctx, 30*time.Second)
	defer cancel2()
	if err := chromedp.Do(tctx, chromedp.EmulateViewport(1200, 900), chromedp.Navigate("file://"+path)); err != nil {
		t.Fatalf("opening the report: %v", err)
	}
	eval := func(expr string) int {
		t.Helper()
		n, err := chromedp.Run(tctx, chromedp.Evaluate[int](expr))
		if err != nil {
			t.Fatalf("evaluating %s: %v", expr, err)
		}
		return n
	}
	visible := `document.querySelectorAll('article.card:not(.hidden)').length`
	setFilter := func(id, value string) {
		t.Helper()
		eval(`(() => { const s = document.getElementById('` + id + `'); s.value = '` + value + `'; s.dispatchEvent(new Event('change')); return 0; })()`)
	}
	checks := []struct {
		what string
		expr string
		want int
	}{
		{"cards", `document.querySelectorAll('article.card').length`, len(list)},
		{"diagrams", `document.querySelectorAll('article.card svg.seq').length`, len(list)},
		{"summary rows (groups)", `document.querySelectorAll('#summary tbody tr').length`, 3},
		{"failed cards", `document.querySelectorAll('article.card.fail').length`, 1},
		{"resources loaded from anywhere", `performance.getEntriesByType('resource').length`, 0},
		{"external scripts and styles", `document.querySelectorAll('script[src], link[href], img[src]').length`, 0},
	}
	for _, c := range checks {
		if got := eval(c.expr); got != c.want {
			t.Errorf("%s: got %d, want %d", c.what, got, c.want)
		}
	}
	filters := []struct {
		id, value string
		want      int
	}{
		{"f-group", "rejected", 1},
		{"f-group", "simple", 2},
		{"f-group", "", len(list)},
		{"f-verdict", "fail", 1},
		{"f-verdict", "pass", len(list) - 1},
		{"f-verdict", "", len(list)},
		{"f-outcome", "blocked", 2},
		{"f-outcome", "allowed", 3},
		{"f-outcome", "", len(list)},
	}
	for _, f := range filters {
		setFilter(f.id, f.value)
		if got := eval(visible); got != f.want {
			t.Errorf("filter %s=%q: %d cards visible, want %d", f.id, f.value, got, f.want)
		}
	}
	if got := eval(`(() => { const c = document.getElementById('f-all-headers'); c.click(); return document.body.classList.contains('all-headers') ? 1 : 0; })()`); got != 1 {
		t.Errorf("the all-headers switch did not toggle")
	}
	eval(`(() => { document.getElementById('f-all-headers').click(); document.querySelectorAll('details.exchange')[1].open = true; return 0; })()`)
	top, err := chromedp.Run(tctx, chromedp.CaptureScreenshot())
	if err == nil {
		os.WriteFile("/tmp/report-top.png", top, 0o644)
	}
	png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile("/tmp/report.png", png, 0o644); err != nil {
		t.Logf("saving the screenshot: %v", err)
	}
}
