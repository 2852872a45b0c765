package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/scenarios"
)

func TestPageMappings(t *testing.T) {
	tests := []struct {
		name    string
		pages   PageOptions
		want    []engine.HostMapping
		wantErr string
	}{
		{"https default port", PageOptions{Origins: []string{"https://app.example.com"}}, []engine.HostMapping{{Host: "app.example.com", Port: 443, To: 2000}}, ""},
		{"http other port", PageOptions{Origins: []string{"http://localhost:3000"}}, []engine.HostMapping{{Host: "localhost", Port: 3000, To: 1000}}, ""},
		{"https other port", PageOptions{Origins: []string{"https://app.example.com:8443"}}, []engine.HostMapping{{Host: "app.example.com", Port: 8443, To: 2000}}, ""},
		{"null and duplicates skipped", PageOptions{Origins: []string{"null", "http://a.test", "http://a.test"}}, []engine.HostMapping{{Host: "a.test", Port: 80, To: 1000}}, ""},
		{"any default port", PageOptions{AnyDefaultPort: true}, []engine.HostMapping{{Host: "*", Port: 443, To: 2000}, {Host: "*", Port: 80, To: 1000}}, ""},
		{"lab label refused", PageOptions{Origins: []string{"http://evil.localhost:3000"}}, nil, "the lab's own labels"},
		{"not an origin", PageOptions{Origins: []string{"https://app.example.com/x"}}, nil, "is not an origin"},
		{"no scheme", PageOptions{Origins: []string{"app.example.com"}}, nil, "not an http(s) origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PageMappings(tt.pages, 1000, 2000)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExternalURL(t *testing.T) {
	tests := []struct{ origin, path, want string }{
		{"http://127.0.0.1:8080", "/api/items", "http://127.0.0.1:8080/api/items?corslab=/r/probe-1/"},
		{"http://127.0.0.1:8080/", "/api/items?page=2", "http://127.0.0.1:8080/api/items?page=2&corslab=/r/probe-1/"},
	}
	for _, tt := range tests {
		if got := externalURL(tt.origin, "/r/probe-1", tt.path); got != tt.want {
			t.Errorf("externalURL(%q, %q) = %q, want %q", tt.origin, tt.path, got, tt.want)
		}
	}
}

// For a server outside the lab there is no journal: the cookies sent come
// from the browser's own account (CDP), and match what the server got.
func TestCookiesSentToAnExternalServer(t *testing.T) {
	got := make(chan string, 1)
	ext := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- r.Header.Get("Cookie"):
		default:
		}
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}))
	defer ext.Close()
	s := startSession(t, Options{})
	defer s.Close()
	ctx := context.Background()
	foo, err := s.tab(ctx, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if err := foo.page.SetCookie(ctx, ext.URL+"/", "ext=1; SameSite=None; Secure; Path=/"); err != nil {
		t.Fatal(err)
	}
	defer foo.page.ClearCookies(ctx)
	obs, err := s.Do(ctx, "foo", scenarios.Request{Target: ext.URL, Path: "/api", Credentials: "include"})
	if err != nil {
		t.Fatal(err)
	}
	if c := <-got; c != "ext=1" {
		t.Fatalf("the server got Cookie %q", c)
	}
	if len(obs.CookiesSent) != 1 || obs.CookiesSent[0] != "ext=1" {
		t.Fatalf("CookiesSent = %q, want [ext=1] as the browser reported it", obs.CookiesSent)
	}
	if by := obs.ObservedBy["cookies_sent"]; !slices.Equal(by, []string{SideBrowser}) {
		t.Fatalf("cookies_sent observed by %v, want the browser only (no journal)", by)
	}
}
