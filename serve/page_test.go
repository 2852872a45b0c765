package serve_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/corslab/corslab/engine/chromium"
)

// visitor starts a second, ordinary headless Chromium: the playground's
// visitor, who drives the page as a person would.
func visitor(t *testing.T) context.Context {
	t.Helper()
	exe, err := chromium.FindBrowser("")
	if err != nil {
		t.Skipf("no browser: %v", err)
	}
	dir := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		// Chromium's own temporary files go in the test's directory too,
		// so a browser ended by cancel leaves nothing in the temp folder.
		chromedp.Env("TMPDIR="+dir),
		chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 8*time.Minute)
	t.Cleanup(func() { cancelT(); cancel(); cancelA() })
	return ctx
}

// shot saves a screenshot when CORSLAB_SCREENSHOTS names a directory, for a
// person to look at.
func shot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("CORSLAB_SCREENSHOTS")
	if dir == "" {
		return
	}
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(sel)); err != nil {
		t.Fatalf("waiting for %s: %v", sel, err)
	}
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func value[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// pick chooses a built-in scenario in the "Start from" lists.
func pick(t *testing.T, ctx context.Context, group, name string) {
	t.Helper()
	value(t, ctx, chromedp.Evaluate[string](`(() => {
  const g = document.getElementById('group'); g.value = `+quote(group)+`; g.dispatchEvent(new Event('change'));
  const s = document.getElementById('scenario'); s.value = `+quote(name)+`; s.dispatchEvent(new Event('change'));
  return s.value; })()`))
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// TestPlayground drives the page in a real Chromium: the seed's exchange
// in the visitor's browser and headless, a blocked case with its reason and
// fix, a request edited in the form, and a shared link.
func TestPlayground(t *testing.T) {
	srv := start(t)
	ctx := visitor(t)
	run(t, ctx, chromedp.Navigate(srv.URL()), chromedp.WaitVisible(`body[data-ready="true"]`))

	t.Run("the seed in your browser", func(t *testing.T) {
		if method := value(t, ctx, chromedp.Value(`#method`)); method != "DELETE" {
			t.Fatalf("the form opens on %q, want the seed's DELETE", method)
		}
		run(t, ctx, chromedp.Click(`#runMine`))
		verdict := text(t, ctx, `#mineVerdict`)
		saw := text(t, ctx, `#mineSaw`)
		journal := text(t, ctx, `#mineJournal`)
		if !strings.Contains(verdict, "matches") || !strings.Contains(saw, "outcome: allowed") || !strings.Contains(saw, "status: 200") {
			t.Errorf("page side: %q / %q", verdict, saw)
		}
		// The preflight the browser's devtools hide, seen by bar.
		if !strings.Contains(journal, "preflight: OPTIONS /r/preflight-delete-api-key") || !strings.Contains(journal, "Access-Control-Request-Headers: api-key") || !strings.Contains(journal, "DELETE /r/") {
			t.Errorf("bar's journal: %q", journal)
		}
		model := text(t, ctx, `#model`)
		if !strings.Contains(model, "allowed, with a preflight") || !strings.Contains(model, "CORS-preflight fetch") {
			t.Errorf("the standard's side: %q", model)
		}
		shot(t, ctx, "seed-mine")
	})
	t.Run("the seed headless", func(t *testing.T) {
		run(t, ctx, chromedp.Click(`#runHeadless`))
		verdict := text(t, ctx, `#headlessVerdict`)
		journal := text(t, ctx, `#headlessJournal`)
		if !strings.Contains(verdict, "matches") || !strings.Contains(journal, "preflight: OPTIONS") {
			t.Errorf("headless: %q / %q", verdict, journal)
		}
		shot(t, ctx, "seed-both")
	})
	t.Run("a request edited in the form", func(t *testing.T) {
		run(t, ctx, chromedp.SetValue(`#reqHeaders`, "Api-Key: super-secure-123\nX-Trace: 1"), chromedp.Click(`#runMine`))
		verdict := text(t, ctx, `#mineVerdict`)
		journal := text(t, ctx, `#mineJournal`)
		if !strings.Contains(verdict, "differs") || !strings.Contains(journal, "Access-Control-Request-Headers: api-key,x-trace") || strings.Contains(journal, "DELETE /r/") {
			t.Errorf("the edited request: %q / %q", verdict, journal)
		}
	})
	t.Run("a blocked case shows its reason and fix", func(t *testing.T) {
		pick(t, ctx, "rejected", "rejected-preflight-header-not-allowed")
		run(t, ctx, chromedp.Click(`#runHeadless`))
		verdict := text(t, ctx, `#headlessVerdict`)
		if !strings.Contains(verdict, "matches") {
			t.Errorf("headless verdict: %q", verdict)
		}
		card := value(t, ctx, chromedp.Evaluate[string](`document.querySelector('#headless iframe.report').contentDocument.body.innerText`))
		for _, want := range []string{"x-custom is not allowed by Access-Control-Allow-Headers", "Why:", "Fix", "Access-Control-Allow-Headers says \"Content-Type\""} {
			if !strings.Contains(card, want) {
				t.Errorf("the report card lacks %q:\n%.1500s", want, card)
			}
		}
		run(t, ctx, chromedp.Click(`#runMine`))
		if v := text(t, ctx, `#mineVerdict`); !strings.Contains(v, "matches") {
			t.Errorf("your browser: %q", v)
		}
		shot(t, ctx, "blocked")
	})
	t.Run("other pages in your browser", func(t *testing.T) {
		pick(t, ctx, "preflight", "preflight-delete-api-key")
		for _, c := range []struct{ page, origin string }{
			{"evil", "Origin: http://evil.localhost:"},
			{"baz", "Origin: http://baz.localhost:"},
			{"sandboxed", "Origin: null"},
		} {
			run(t, ctx, chromedp.SetValue(`#page`, c.page), chromedp.Click(`#runMine`))
			text(t, ctx, `#mineVerdict`)
			saw, journal := text(t, ctx, `#mineSaw`), text(t, ctx, `#mineJournal`)
			// bar allows only foo: the preflight from any other page fails.
			if !strings.Contains(journal, c.origin) || !strings.Contains(saw, "outcome: blocked") {
				t.Errorf("page %s: %q / %q", c.page, saw, journal)
			}
		}
	})
	t.Run("a departure from the standard is named", func(t *testing.T) {
		pick(t, ctx, "wildcard", "wildcard-allow-headers-authorization")
		run(t, ctx, chromedp.Click(`#runMine`))
		text(t, ctx, `#mineVerdict`)
		if saw := text(t, ctx, `#mineSaw`); !strings.Contains(saw, "Departs from the Fetch standard: the standard says blocked") {
			t.Errorf("%q", saw)
		}
		pick(t, ctx, "preflight", "preflight-delete-api-key")
		run(t, ctx, chromedp.Click(`#runMine`))
		text(t, ctx, `#mineVerdict`)
		if saw := text(t, ctx, `#mineSaw`); !strings.Contains(saw, "Agrees with the Fetch standard") {
			t.Errorf("%q", saw)
		}
	})
	t.Run("an uploaded file fills the form, a bad one names its line", func(t *testing.T) {
		abs, _ := filepath.Abs("testdata/seed.yaml")
		run(t, ctx, chromedp.SetValue(`#method`, "GET"), chromedp.SetUploadFiles(`#upload`, []string{abs}), chromedp.Sleep(500*time.Millisecond))
		if m := value(t, ctx, chromedp.Value(`#method`)); m != "DELETE" {
			t.Errorf("after the upload the method is %q", m)
		}
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		os.WriteFile(bad, []byte("scenarios:\n  - name: x\n    group: g\n    bogus: 1\n"), 0o644)
		run(t, ctx, chromedp.SetUploadFiles(`#upload`, []string{bad}), chromedp.Sleep(500*time.Millisecond))
		if e := text(t, ctx, `#error`); !strings.Contains(e, "bad.yaml:4: unknown field \"bogus\"") {
			t.Errorf("error shown: %q", e)
		}
	})
	t.Run("a shared link restores the form", func(t *testing.T) {
		run(t, ctx, chromedp.SetValue(`#method`, "PuT"), chromedp.SetValue(`#reqHeaders`, "X-Shared: 1"), chromedp.Click(`#share`), chromedp.Sleep(200*time.Millisecond))
		link := value(t, ctx, chromedp.Evaluate[string](`location.href`))
		if !strings.Contains(link, "#s=") {
			t.Fatalf("link %q", link)
		}
		run(t, ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(link), chromedp.WaitVisible(`body[data-ready="true"]`))
		method := value(t, ctx, chromedp.Value(`#method`))
		headers := value(t, ctx, chromedp.Value(`#reqHeaders`))
		if method != "PuT" || headers != "X-Shared: 1" {
			t.Errorf("restored method %q headers %q", method, headers)
		}
	})
	t.Run("phone width", func(t *testing.T) {
		run(t, ctx, chromedp.EmulateViewport(390, 844))
		w := value(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if w > 400 {
			t.Errorf("the page is %d px wide in a 390 px window", w)
		}
		shot(t, ctx, "phone")
	})
}
