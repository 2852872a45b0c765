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
			Answer{Kind: AnswerRedirect, Status: 307, Headers: Headers{
				{Name: "Access-Control-Allow-Origin", Values: []string{"http://foo.localhost:1"}},
				{Name: "Vary", Values: []string{"Origin"}},
				{Name: "Location", Values: []string{"http://baz.localhost:3/next"}}}}},
		{"second hop: literal location, unlisted origin", Incoming{Origin: "http://evil.localhost:1", Hop: 1},
			Answer{Kind: AnswerRedirect, Hop: 1, Status: 302, Headers: Headers{
				{Name: "Vary", Values: []string{"Origin"}},
				{Name: "Location", Values: []string{"http://foo.localhost:1/x"}}}}},
		{"preflight after the redirects", Incoming{Preflight: true, Hop: 2},
			Answer{Kind: AnswerPreflight, Hop: 2, Status: 204, Headers: Headers{
				{Name: "Vary", Values: []string{"Origin"}},
				{Name: "Access-Control-Allow-Methods", Values: []string{"PUT"}}}}},
		{"response expands placeholders", Incoming{Origin: "null", Hop: 2},
			Answer{Kind: AnswerResponse, Hop: 2, Status: 200, Body: "http://bar.localhost:2", Headers: Headers{
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
