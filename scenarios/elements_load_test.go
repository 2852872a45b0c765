package scenarios

import (
	"strings"
	"testing"
)

// Element requests and their expect fields: good files load, bad ones say
// FILE:LINE: field: value: what is wrong.
func TestParseElements(t *testing.T) {
	one := func(request, expect string) string {
		return "scenarios:\n  - name: a\n    group: g\n    request: " + request + "\n    server: {response: {status: 200}}\n    expect: " + expect + "\n"
	}
	good := []string{
		one("{api: img}", "{outcome: allowed, tainted: true, request_mode: no-cors, timing_allowed: false}"),
		one("{api: img, crossorigin: use-credentials}", "{outcome: blocked, cors_error: WildcardOriginNotAllowed}"),
		one("{api: script, crossorigin: anonymous}", "{outcome: allowed, muted_errors: false}"),
		one("{api: module}", "{outcome: allowed, muted_errors: false}"),
		one("{api: stylesheet}", "{outcome: allowed, tainted: true}"),
		one("{api: font}", "{outcome: allowed}"),
		one("{api: xhr, method: POST, body: x, upload_listener: true}", "{outcome: allowed, preflight: true}"),
		one("{}", "{outcome: allowed, response_url_origin: \"{baz}\", timing_allowed: true}"),
	}
	for _, y := range good {
		if _, err := Parse("ok.yaml", []byte(y)); err != nil {
			t.Errorf("%s\n→ %v", y, err)
		}
	}
	bad := []struct{ yaml, want string }{
		{one("{api: iframe}", "{outcome: allowed}"), `bad.yaml:4: api "iframe" is not one of fetch, xhr, img, script, module, stylesheet, font`},
		{one("{api: img, crossorigin: yes}", "{outcome: allowed}"), `bad.yaml:4: crossorigin: "yes": is not anonymous or use-credentials`},
		{one("{crossorigin: anonymous}", "{outcome: allowed}"), `bad.yaml:4: crossorigin: "anonymous": only an element has a crossorigin attribute`},
		{one("{api: font, crossorigin: anonymous}", "{outcome: allowed}"), `bad.yaml:4: crossorigin: "anonymous": a font has no crossorigin attribute`},
		{one("{api: img, method: POST}", "{outcome: allowed}"), `bad.yaml:4: method: "POST": api img makes a plain GET`},
		{one("{api: script, mode: no-cors}", "{outcome: allowed}"), `bad.yaml:4: mode: "no-cors": api script makes a plain GET`},
		{one("{api: img, credentials: include}", "{outcome: allowed}"), `bad.yaml:4: credentials: "include": api img makes a plain GET`},
		{one("{upload_listener: true}", "{outcome: allowed}"), `bad.yaml:4: upload_listener: true: only api xhr has an upload object`},
		{one("{}", "{outcome: allowed, tainted: true}"), `bad.yaml:6: tainted: true: only api img (canvas) and stylesheet (cssRules) can be tainted, not fetch`},
		{one("{api: img}", "{outcome: allowed, muted_errors: true}"), `bad.yaml:6: muted_errors: true: only api script and module report errors to window.onerror, not img`},
		{one("{api: img}", "{outcome: allowed, status: 200}"), `bad.yaml:6: status: api img gives the page no response object to read`},
		{one("{api: font}", "{outcome: allowed, response_url_origin: \"{bar}\"}"), `bad.yaml:6: response_url_origin: api font gives the page no response object`},
		{one("{}", "{outcome: allowed, request_mode: websocket}"), `bad.yaml:6: request_mode: "websocket": is not one of cors, no-cors, same-origin, navigate`},
	}
	for _, tt := range bad {
		_, err := Parse("bad.yaml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s\n→ %v\nwant %q", tt.yaml, err, tt.want)
		}
	}
}
