package servers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/corslab/corslab/scenarios"
)

func startLab(t *testing.T, opt Options) *Lab {
	t.Helper()
	l, err := Start(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// rawRequest sends a request to an origin of the lab and returns the raw
// response text, so tests see exactly what went on the wire.
func rawRequest(t *testing.T, l *Lab, label, method, path string, headers ...string) string {
	t.Helper()
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", l.Port(label)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s.localhost:%d\r\nConnection: close\r\n", method, path, label, l.Port(label))
	for _, h := range headers {
		fmt.Fprintf(conn, "%s\r\n", h)
	}
	fmt.Fprint(conn, "\r\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(bufio.NewReader(conn))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestResponder(t *testing.T) {
	l := startLab(t, Options{})
	foo := l.Origin("foo")
	tests := []struct {
		name    string
		srv     scenarios.Server
		method  string
		headers []string
		want    []string
		notWant []string
	}{
		{
			name:    "placeholders and repeated lines",
			srv:     scenarios.Server{Response: scenarios.Response{Status: 201, Body: "for {origin}", Headers: scenarios.Headers{{Name: "Access-Control-Allow-Origin", Values: []string{"{origin}"}}, {Name: "X-Two", Values: []string{"a", "b"}}, {Name: "X-Baz", Values: []string{"{baz}"}}}}},
			method:  "GET",
			headers: []string{"Origin: " + foo},
			want:    []string{"HTTP/1.1 201 Created", "Access-Control-Allow-Origin: " + foo, "X-Two: a\r\nX-Two: b", "X-Baz: " + l.Origin("baz"), "for " + foo},
			notWant: []string{"Date:", "Content-Type:"},
		},
		{
			name:   "header case kept",
			srv:    scenarios.Server{Response: scenarios.Response{Headers: scenarios.Headers{{Name: "access-control-ALLOW-origin", Values: []string{"*"}}}}},
			method: "GET",
			want:   []string{"access-control-ALLOW-origin: *"},
		},
		{
			name:    "whitespace written byte for byte",
			srv:     scenarios.Server{Response: scenarios.Response{Headers: scenarios.Headers{{Name: "Access-Control-Allow-Origin", Values: []string{" {origin} "}}}}},
			method:  "GET",
			headers: []string{"Origin: " + foo},
			want:    []string{"Access-Control-Allow-Origin:  " + foo + " \r\n"},
		},
		{
			name:    "preflight gets the preflight answer",
			srv:     scenarios.Server{Preflight: &scenarios.Response{Status: 204, Headers: scenarios.Headers{{Name: "Access-Control-Allow-Methods", Values: []string{"PUT"}}}}, Response: scenarios.Response{Status: 200}},
			method:  "OPTIONS",
			headers: []string{"Origin: " + foo, "Access-Control-Request-Method: PUT"},
			want:    []string{"HTTP/1.1 204 No Content", "Access-Control-Allow-Methods: PUT"},
		},
		{
			name:    "plain OPTIONS is not a preflight",
			srv:     scenarios.Server{Preflight: &scenarios.Response{Status: 204}, Response: scenarios.Response{Status: 200, Body: "actual"}},
			method:  "OPTIONS",
			headers: []string{"Origin: " + foo},
			want:    []string{"HTTP/1.1 200 OK", "actual"},
		},
		{
			name:    "allowlist reflects a listed origin",
			srv:     scenarios.Server{AllowOrigins: []string{"foo"}},
			method:  "GET",
			headers: []string{"Origin: " + foo},
			want:    []string{"Access-Control-Allow-Origin: " + foo, "Vary: Origin"},
		},
		{
			name:    "allowlist refuses another origin",
			srv:     scenarios.Server{AllowOrigins: []string{"foo"}},
			method:  "GET",
			headers: []string{"Origin: " + l.Origin("baz")},
			want:    []string{"Vary: Origin"},
			notWant: []string{"Access-Control-Allow-Origin"},
		},
		{
			name:   "redirect hop points at the next origin",
			srv:    scenarios.Server{Redirects: []scenarios.Redirect{{Status: 307, To: "baz"}}},
			method: "GET",
			want:   []string{"HTTP/1.1 307 Temporary Redirect", "Location: " + l.Origin("baz") + "/r/"},
		},
		{
			name:    "HEAD has no body",
			srv:     scenarios.Server{Response: scenarios.Response{Body: "body"}},
			method:  "HEAD",
			notWant: []string{"body"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := l.Register("t", tt.srv)
			got := rawRequest(t, l, "bar", tt.method, prefix+"/x", tt.headers...)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("response lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("response has %q:\n%s", w, got)
				}
			}
			j := l.Journal(prefix)
			if len(j) != 1 || j[0].Method != tt.method || j[0].Origin != "bar" {
				t.Errorf("journal = %+v", j)
			}
		})
	}
}

func TestRedirectChainIsJournaled(t *testing.T) {
	l := startLab(t, Options{})
	prefix := l.Register("chain", scenarios.Server{Redirects: []scenarios.Redirect{{To: "baz"}}, Response: scenarios.Response{Body: "end"}})
	resp, err := (&http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
		_, port, _ := net.SplitHostPort(addr)
		return (&net.Dialer{}).DialContext(ctx, "tcp", "127.0.0.1:"+port)
	}}}).Get(l.Origin("bar") + prefix + "/p?q=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "end" {
		t.Fatalf("body %q", body)
	}
	j := l.Journal(prefix)
	if len(j) != 2 || j[0].Origin != "bar" || j[1].Origin != "baz" || j[1].Hop != 1 || !strings.HasSuffix(j[1].Path, "/p?q=1") {
		t.Fatalf("journal = %+v", j)
	}
}

func TestUnknownPathIs404(t *testing.T) {
	l := startLab(t, Options{})
	got := rawRequest(t, l, "bar", "GET", "/r/nope/x")
	if !strings.HasPrefix(got, "HTTP/1.1 404") {
		t.Fatalf("got %s", got)
	}
}

func TestListenErrors(t *testing.T) {
	if _, err := Start(context.Background(), Options{BarAddr: "0.0.0.0:0"}); err == nil || !strings.Contains(err.Error(), "not loopback") {
		t.Fatalf("want a loopback refusal, got %v", err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, err = Start(context.Background(), Options{BarAddr: busy.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), "bar: cannot listen on "+busy.Addr().String()) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("want a busy-port error naming bar and the address, got %v", err)
	}
}

// A held-back answer must not keep Close waiting.
func TestCloseReleasesDelayedAnswers(t *testing.T) {
	l, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	prefix := l.Register("slow", scenarios.Server{Response: scenarios.Response{Delay: scenarios.Duration(time.Hour)}})
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", l.Port("bar")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s/ HTTP/1.1\r\nHost: bar.localhost\r\n\r\n", prefix)
	for len(l.Journal(prefix)) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { l.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung on a delayed answer")
	}
}

func TestUserHandlerIsJournaled(t *testing.T) {
	l := startLab(t, Options{Bar: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})})
	prefix := l.Register("mine", scenarios.Server{})
	got := rawRequest(t, l, "bar", "GET", prefix+"/api", "Origin: "+l.Origin("foo"))
	if !strings.HasPrefix(got, "HTTP/1.1 418") {
		t.Fatalf("got %s", got)
	}
	j := l.Journal(prefix)
	if len(j) != 1 || j[0].Status != http.StatusTeapot || j[0].Headers.Get("Origin") != l.Origin("foo") {
		t.Fatalf("journal = %+v", j)
	}
}

// A held-back answer is dropped once its scenario is forgotten, so a
// scenario that timed out does not keep one of the browser's connections.
func TestForgetReleasesDelayedAnswers(t *testing.T) {
	l := startLab(t, Options{})
	prefix := l.Register("slow", scenarios.Server{Response: scenarios.Response{Delay: scenarios.Duration(time.Hour)}})
	done := make(chan string, 1)
	go func() {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", l.Port("bar")))
		if err != nil {
			done <- err.Error()
			return
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET %s/ HTTP/1.1\r\nHost: bar.localhost\r\n\r\n", prefix)
		b, _ := io.ReadAll(conn)
		done <- string(b)
	}()
	for len(l.Journal(prefix)) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	l.Forget(prefix)
	select {
	case got := <-done:
		if got != "" {
			t.Fatalf("want the connection dropped with no answer, got %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the delayed answer was still held after Forget")
	}
}
