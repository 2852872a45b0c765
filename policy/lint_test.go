package policy

import (
	"slices"
	"testing"
)

func ids(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Severity)+" "+f.ID)
		if f.Source != "lint" || f.Why == "" || f.Spec == "" || f.Title == "" {
			panic("finding without source, title, why or spec: " + f.ID)
		}
	}
	return out
}

func TestLint(t *testing.T) {
	n := func(v int) *int { return &v }
	tests := []struct {
		name string
		p    Policy
		want []string
	}{
		{"clean", Policy{Origins: []string{"https://app.example.com"}, Methods: []string{"DELETE"}, RequestHeaders: []string{"Api-Key"}, Credentials: true, MaxAge: n(600)}, nil},
		{"reflect any origin with credentials", Policy{Origins: []string{"*"}, Credentials: true}, []string{"critical reflect-any-origin", "note vary-origin"}},
		{"* without credentials", Policy{Origins: []string{"*"}}, []string{"note wildcard-origin"}},
		{"null with credentials", Policy{Origins: []string{"null"}, Credentials: true}, []string{"critical null-origin"}},
		{"null without credentials", Policy{Origins: []string{"null"}}, []string{"warning null-origin"}},
		{"http twin", Policy{Origins: []string{"https://app.example.com", "http://app.example.com"}}, []string{"warning http-twin", "note vary-origin"}},
		{"http twin with credentials", Policy{Origins: []string{"https://a.example", "http://a.example"}, Credentials: true}, []string{"critical http-twin", "note vary-origin"}},
		{"* methods with credentials", Policy{Origins: []string{"https://a.example"}, Methods: []string{"*"}, Credentials: true}, []string{"warning wildcard-with-credentials"}},
		{"* headers without Authorization", Policy{Origins: []string{"https://a.example"}, RequestHeaders: []string{"*"}}, []string{"warning wildcard-headers-authorization"}},
		{"* headers and Authorization", Policy{Origins: []string{"https://a.example"}, RequestHeaders: []string{"*", "Authorization"}}, nil},
		{"max-age at Chromium's cap", Policy{Origins: []string{"https://a.example"}, MaxAge: n(7200)}, nil},
		{"max-age over Chromium's cap", Policy{Origins: []string{"https://a.example"}, MaxAge: n(7201)}, []string{"warning max-age-over-cap"}},
		{"safelisted listed", Policy{Origins: []string{"https://a.example"}, Methods: []string{"GET", "PUT"}, RequestHeaders: []string{"Accept-Language", "Content-Type"}},
			[]string{"note safelisted-method-listed", "note safelisted-header-listed"}},
		{"exposed", Policy{Origins: []string{"https://a.example"}, ExposeHeaders: []string{"Set-Cookie", "Cache-Control", "X-Total-Count"}},
			[]string{"warning exposed-never-readable", "note exposed-safelisted"}},
	}
	for _, tt := range tests {
		got := ids(Lint(&tt.p))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: findings %q, want %q", tt.name, got, tt.want)
		}
	}
}
