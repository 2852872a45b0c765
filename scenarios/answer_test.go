package scenarios

import (
	"reflect"
	"testing"
)

type fixedOrigins map[string]string

func (f fixedOrigins) Origin(label string) string {
	if label == "sandboxed" || label == "null" {
		return "null"
	}
	return f[label]
}

func TestAnswer(t *testing.T) {
	o := fixedOrigins{"foo": "http://foo.localhost:1", "bar": "http://bar.localhost:2", "baz": "http://baz.localhost:3", "evil": "http://evil.localhost:1"}
	srv := Server{
		AllowOrigins: []string{"foo"},
		Preflight:    &Response{Status: 204, Headers: Headers{{Name: "Access-Control-Allow-Methods", Values: []string{"PUT"}}}},
		Response:     Response{Headers: Headers{{Name: "X-Seen", Values: []string{"{origin} {baz} {label:evil}"}}}, Body: "{bar}"},
		Redirects:    []Redirect{{Status: 307, To: "baz"}, {Location: "{foo}/x"}},
	}
	next := func(label string) string { return o.Origin(label) + "/next" }
	cases := []struct {
		name string
		in   Incoming
		want Answer
	}{
		{"first hop redirects to baz", Incoming{Origin: "http://foo.localhost:1", NextHop: next},
			Answer{Kind: AnswerRedirect, Status: 307, Reason: "Temporary Redirect", Headers: Headers{
				{Name: "Access-Control-Allow-Origin", Values: []string{"http://foo.localhost:1"}},
				{Name: "Vary", Values: []string{"Origin"}},
				{Name: "Location", Values: []string{"http://baz.localhost:3/next"}}}}},
		{"second hop: literal location, unlisted origin", Incoming{Origin: "http://evil.localhost:1", Hop: 1},
			Answer{Kind: AnswerRedirect, Hop: 1, Status: 302, Reason: "Found", Headers: Headers{
				{Name: "Vary", Values: []string{"Origin"}},
				{Name: "Location", Values: []string{"http://foo.localhost:1/x"}}}}},
		{"preflight after the redirects", Incoming{Preflight: true, Hop: 2},
			Answer{Kind: AnswerPreflight, Hop: 2, Status: 204, Reason: "No Content", Headers: Headers{
				{Name: "Vary", Values: []string{"Origin"}},
				{Name: "Access-Control-Allow-Methods", Values: []string{"PUT"}}}}},
		{"response expands placeholders", Incoming{Origin: "null", Hop: 2},
			Answer{Kind: AnswerResponse, Hop: 2, Status: 200, Reason: "OK", Body: "http://bar.localhost:2", Headers: Headers{
				{Name: "Vary", Values: []string{"Origin"}},
				{Name: "X-Seen", Values: []string{"null http://baz.localhost:3 http://evil.localhost:1"}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := srv.Answer(c.in, o); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestExpandKeepsUnknownBraces(t *testing.T) {
	o := fixedOrigins{"foo": "http://foo.localhost:1"}
	if got := Expand("{a} {foo} {", "", o); got != "{a} http://foo.localhost:1 {" {
		t.Errorf("got %q", got)
	}
}

// Reasons, bytes, raw answers and {scenario_path}: what goes on the wire.
func TestAnswerBytes(t *testing.T) {
	o := fixedOrigins{"foo": "http://foo.localhost:1", "baz": "http://baz.localhost:3"}
	custom := "Custom \u00e9"
	in := Incoming{Origin: "http://foo.localhost:1", Prefix: "/r/x-1", NextPrefix: "/r/x-1/_h1"}
	cases := []struct {
		name string
		srv  Server
		in   Incoming
		want Answer
	}{
		{"unknown code has no reason", Server{Response: Response{Status: 680}}, in,
			Answer{Kind: AnswerResponse, Status: 680}},
		{"custom reason, characters up to U+00FF are bytes", Server{Response: Response{Reason: &custom}}, in,
			Answer{Kind: AnswerResponse, Status: 200, Reason: "Custom \xe9"}},
		{"header bytes: NUL, control, 0xFF and a character above U+00FF",
			Server{Response: Response{Headers: Headers{{Name: "X-B", Values: []string{"\x00*\x01\u00ff\u010d"}}}}}, in,
			Answer{Kind: AnswerResponse, Status: 200, Reason: "OK", Headers: Headers{{Name: "X-B", Values: []string{"\x00*\x01\xff\xc4\x8d"}}}}},
		{"scenario_path in a body", Server{Response: Response{Body: "{baz}{scenario_path}/x"}}, in,
			Answer{Kind: AnswerResponse, Status: 200, Reason: "OK", Body: "http://baz.localhost:3/r/x-1/x"}},
		{"scenario_path in a location leads to the next hop", Server{Redirects: []Redirect{{Status: 307, Location: "{baz}{scenario_path}/final"}}}, in,
			Answer{Kind: AnswerRedirect, Status: 307, Reason: "Temporary Redirect", Headers: Headers{{Name: "Location", Values: []string{"http://baz.localhost:3/r/x-1/_h1/final"}}}}},
		{"raw answer, status from its line, allow_origins adds nothing",
			Server{AllowOrigins: []string{"foo"}, Response: Response{Raw: "HTTP/1.0 203 Hi\r\nX: {origin}\u00e9\r\n\r\n"}}, in,
			Answer{Kind: AnswerResponse, Status: 203, Raw: "HTTP/1.0 203 Hi\r\nX: http://foo.localhost:1\xe9\r\n\r\n"}},
		{"raw redirect", Server{Redirects: []Redirect{{Raw: "HTTP/1.1 302 Found\r\nLocation: {scenario_path}\r\n\r\n"}}}, in,
			Answer{Kind: AnswerRedirect, Status: 302, Raw: "HTTP/1.1 302 Found\r\nLocation: /r/x-1/_h1\r\n\r\n"}},
		{"no prefix keeps the placeholder", Server{Response: Response{Body: "{scenario_path}"}}, Incoming{},
			Answer{Kind: AnswerResponse, Status: 200, Reason: "OK", Body: "{scenario_path}"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.srv.Answer(c.in, o); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %#v\nwant %#v", got, c.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		a    Answer
		want string
	}{
		{Answer{Kind: AnswerPreflight}, "preflight"},
		{Answer{Kind: AnswerRedirect, Hop: 1}, "redirect 2"},
		{Answer{Kind: AnswerRedirectPreflight}, "preflight of redirect 1"},
		{Answer{Kind: AnswerResponse, Raw: "HTTP/1.1 200 OK\r\n\r\n"}, "raw response"},
	} {
		if got := c.a.Describe(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.a, got, c.want)
		}
	}
}

func TestIsomorphic(t *testing.T) {
	for _, s := range []string{"", "ascii", "\x00\x01\x7f", "\u0080\u00e9\u00ff"} {
		b := IsomorphicEncode(s)
		if len(b) != len([]rune(s)) {
			t.Errorf("%q encodes to %d bytes, want one per character", s, len(b))
		}
		if back := IsomorphicDecode(b); back != s {
			t.Errorf("%q round-trips to %q", s, back)
		}
	}
	if got := IsomorphicEncode("\u010d"); got != "\xc4\x8d" {
		t.Errorf("above U+00FF: %q, want UTF-8", got)
	}
}

// A raw answer's status is its final one: interim 1xx answers before it
// are skipped, as a browser skips them.
func TestRawStatus(t *testing.T) {
	for _, c := range []struct {
		raw  RawAnswer
		want int
	}{
		{"HTTP/1.1 204 No Content\r\n\r\n", 204},
		{"HTTP/1.0 680\n\nbody", 680},
		{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX: 1\r\n\r\n", 204},
		{"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", 200},
		{"HTTP/1.1 200 OK\r\nHTTP/1.1 404 Not Found\r\n\r\n", 200},
		{"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n", 103},
		{"HTTP/1.1 100 Continue\r\n\r\n", 100},
		{"HTTP/1.1 100 Continue\r\n\r\nnot a status line\r\n\r\n", 0},
		{"Access-Control-Allow-Origin: *\r\n", 0},
	} {
		if got := c.raw.Status(); got != c.want {
			t.Errorf("%q: status %d, want %d", c.raw, got, c.want)
		}
	}
}
