package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/corslab/corslab/harness"
)

// TestHTMLSelfContained checks the HTML report without a browser: one card
// per scenario, a summary row per group, nothing loaded from elsewhere, and
// every text from a scenario or the wire escaped.
func TestHTMLSelfContained(t *testing.T) {
	a := blockedPost()
	a.Scenario.Lesson = `A lesson with <script>alert("x")</script> in it.`
	b := blockedPost()
	b.Scenario.Name, b.Scenario.Group = "y", "rejected"
	b.Verdict = harness.Fail
	b.Steps[0].Mismatches = []string{"status: expected 201, observed 200"}
	c := blockedPost()
	c.Scenario.Name = "z"
	run := Run{Browser: "Chromium test", Results: []harness.Result{a, b, c}}

	var buf bytes.Buffer
	if err := HTML(&buf, run, HTMLOptions{Outside: []*Outside{{Method: "POST", URL: "http://bar.localhost:1/r/x-2/", Line: "HTTP/1.1 200 OK", Status: 200, RespBody: "<b>done</b>"}}}); err != nil {
		t.Fatal(err)
	}
	h := buf.String()
	tests := []struct {
		what string
		re   string
		want int
	}{
		{"cards", `<article class="card `, 3},
		{"failed cards", `<article class="card fail"`, 1},
		{"summary rows", `<tr class="(ok|bad)" data-group=`, 2},
		{"diagrams", `<svg class="seq"`, 3},
		{"scripts", `<script>`, 1},
		{"external resources", `<(script|link|img|iframe)[^>]*(src|href)=`, 0},
		{"unescaped lesson script", `<script>alert`, 0},
		{"unescaped body from the wire", `<b>done</b>`, 0},
		{"fix as code", `<code>Access-Control-Allow-Origin: http://foo.localhost:41001</code>`, 3},
		{"outside the browser", `Outside the browser`, 1},
	}
	for _, tc := range tests {
		if got := len(regexp.MustCompile(tc.re).FindAllStringIndex(h, -1)); got != tc.want {
			t.Errorf("%s: %d matches of %s, want %d", tc.what, got, tc.re, tc.want)
		}
	}
	if !strings.HasPrefix(h, "<!doctype html>") || !strings.HasSuffix(h, "</html>\n") {
		t.Errorf("not a whole document")
	}
}

func TestCodeSpans(t *testing.T) {
	tests := []struct{ in, want string }{
		{"send `A: b`.", "send <code>A: b</code>."},
		{"`<x>` and `y`", "<code>&lt;x&gt;</code> and <code>y</code>"},
		{"odd ` tick", "odd ` tick"},
		{"none", "none"},
	}
	for _, tc := range tests {
		if got := codeSpans(tc.in); got != tc.want {
			t.Errorf("codeSpans(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
