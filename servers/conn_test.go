package servers

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/corslab/corslab/scenarios"
)

// dial opens a raw connection to a listener of the lab.
func dial(t *testing.T, l *Lab, label string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", l.Port(label)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

// exchangeRaw writes raw bytes and reads everything until the server closes.
func exchangeRaw(t *testing.T, l *Lab, label, raw string) string {
	t.Helper()
	c := dial(t, l, label)
	io.WriteString(c, raw)
	b, _ := io.ReadAll(c)
	return string(b)
}

// Two requests on one connection, one of them with a control byte Go's
// net/http would refuse, both reach the scenario and are journaled byte for
// byte; the connection journal shows one connection carrying two requests.
func TestKeepAliveAndExactJournal(t *testing.T) {
	l := startLab(t, Options{})
	prefix := l.Register("ka", scenarios.Server{Response: scenarios.Response{Body: "ok"}})
	t0 := time.Now()
	c := dial(t, l, "bar")
	br := bufio.NewReader(c)
	fmt.Fprintf(c, "GET %s/1 HTTP/1.1\r\nHost: bar.localhost\r\nAccept-Language: \x01\r\nx-Mixed-CASE: \xe9\r\n\r\n", prefix)
	resp1, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp1.Body)
	fmt.Fprintf(c, "POST %s/2 HTTP/1.1\r\nHost: bar.localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nhi\r\n0\r\n\r\n", prefix)
	resp2, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp2.Body)
	if resp1.StatusCode != 200 || resp2.StatusCode != 200 || string(body) != "ok" || !resp2.Close {
		t.Fatalf("answers %d, %d %q close=%v", resp1.StatusCode, resp2.StatusCode, body, resp2.Close)
	}
	j := l.Journal(prefix)
	if len(j) != 2 || j[0].Conn != j[1].Conn || j[0].Answer != "response" {
		t.Fatalf("journal %+v", j)
	}
	e := j[0]
	if e.Headers.Get("Accept-Language") != "\x01" || e.Headers.Get("X-Mixed-Case") != "é" {
		t.Errorf("lookup values %q", e.Headers)
	}
	if e.HeaderLines[2] != (HeaderLine{"x-Mixed-CASE", "\xe9"}) || e.RequestLine != "GET "+prefix+"/1 HTTP/1.1" || !strings.Contains(e.Head, "x-Mixed-CASE: \xe9\r\n") {
		t.Errorf("exact form: line %q lines %q head %q", e.RequestLine, e.HeaderLines, e.Head)
	}
	c.Close()
	waitFor(t, func() bool {
		cs := l.Connections("bar", t0, time.Time{})
		return len(cs) == 1 && !cs[0].Closed.IsZero()
	})
	if cs := l.Connections("bar", t0, time.Time{}); cs[0].Requests != 2 || cs[0].ID != e.Conn {
		t.Errorf("connections %+v", cs)
	}
}

// A connection that carries no request is in the connection journal, and
// only on its own listener.
func TestConnectionWithoutRequest(t *testing.T) {
	l := startLab(t, Options{})
	t0 := time.Now()
	c := dial(t, l, "bar")
	c.Close()
	waitFor(t, func() bool {
		cs := l.Connections("bar", t0, time.Time{})
		return len(cs) == 1 && !cs[0].Closed.IsZero()
	})
	if cs := l.Connections("bar", t0, time.Time{}); cs[0].Requests != 0 {
		t.Errorf("connections %+v", cs)
	}
	if cs := l.Connections("baz", t0, time.Time{}); len(cs) != 0 {
		t.Errorf("baz has %+v", cs)
	}
	if cs := l.Connections("bar", time.Now().Add(time.Hour), time.Time{}); len(cs) != 0 {
		t.Errorf("a later window has %+v", cs)
	}
}

// A request bar cannot take apart is answered by the server layer, which
// says so in the journal, and ServerLayerError names it: the harness turns
// it into verdict error.
func TestServerLayerRefusalIsJournaled(t *testing.T) {
	l := startLab(t, Options{})
	prefix := l.Register("bad", scenarios.Server{})
	got := exchangeRaw(t, l, "bar", "GET "+prefix+"/ HTTP/1.1\r\nHost: bar.localhost\r\nno colon here\r\n\r\n")
	if !strings.HasPrefix(got, "HTTP/1.1 400 Bad Request\r\n") || !strings.Contains(got, "Connection: close") || !strings.Contains(got, `bar could not parse the request: header line "no colon here" has no colon`) {
		t.Fatalf("answer:\n%s", got)
	}
	j := l.Journal(prefix)
	if len(j) != 1 || j[0].Answer != AnswerServerLayer || j[0].Status != 400 {
		t.Fatalf("journal %+v", j)
	}
	err := ServerLayerError(j)
	if err == nil || !strings.Contains(err.Error(), `bar could not parse the request "GET `+prefix+`/ HTTP/1.1": header line "no colon here" has no colon`) {
		t.Fatalf("ServerLayerError = %v", err)
	}
	// A request line that names no path is counted too.
	exchangeRaw(t, l, "bar", "NONSENSE\r\n\r\n")
	if n := l.Counts().ServerLayer; n != 2 || len(l.ServerLayer()) != 2 {
		t.Fatalf("server layer count %d, list %d", n, len(l.ServerLayer()))
	}
	if ServerLayerError(nil) != nil {
		t.Error("no entries, no error")
	}
}

// The scenario's answers go out byte for byte, whatever their shape.
func TestAnswersOfAnyShape(t *testing.T) {
	l := startLab(t, Options{})
	reason, empty := "Custom Reason", ""
	tests := []struct {
		name string
		resp scenarios.Response
		want string // the whole answer
	}{
		{"unknown status has no reason", scenarios.Response{Status: 680, Body: "x"},
			"HTTP/1.1 680 \r\nContent-Length: 1\r\n\r\nx"},
		{"custom reason", scenarios.Response{Reason: &reason},
			"HTTP/1.1 200 Custom Reason\r\nContent-Length: 0\r\n\r\n"},
		{"empty reason", scenarios.Response{Status: 204, Reason: &empty},
			"HTTP/1.1 204 \r\n\r\n"},
		{"NUL, control and high bytes", scenarios.Response{Headers: scenarios.Headers{{Name: "Access-Control-Allow-Origin", Values: []string{"\x00*"}}, {Name: "X-B", Values: []string{"\x01\u00ff\u010d"}}}},
			"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: \x00*\r\nX-B: \x01\xff\xc4\x8d\r\nContent-Length: 0\r\n\r\n"},
		{"raw, written exactly, then the connection closes", scenarios.Response{Raw: "HTTP/1.0 200 OK\nX: {origin}\n\nbody"},
			"HTTP/1.0 200 OK\nX: http://foo.localhost:1\n\nbody"},
		{"the scenario's own framing closes the connection", scenarios.Response{Headers: scenarios.Headers{{Name: "Content-Length", Values: []string{"2"}}}, Body: "abcd"},
			"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nabcd"},
		{"an interim status alone closes the connection", scenarios.Response{Status: 103, Headers: scenarios.Headers{{Name: "Link", Values: []string{"</a>; rel=preload"}}}, Body: "never"},
			"HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\nConnection: close\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := l.Register("shape", scenarios.Server{Response: tt.resp})
			// Keep-alive: a whole answer that is not framed by close must
			// not be followed by a close, so ask with Connection: close only
			// where reading to the end is needed.
			c := dial(t, l, "bar")
			fmt.Fprintf(c, "GET %s/ HTTP/1.1\r\nHost: bar.localhost\r\nOrigin: http://foo.localhost:1\r\n\r\n", prefix)
			c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			b, _ := io.ReadAll(c)
			if string(b) != tt.want {
				t.Errorf("answer\n%q\nwant\n%q", b, tt.want)
			}
		})
	}
}

// Configure changes the answer under a path from the next request on.
func TestConfigureChangesTheAnswer(t *testing.T) {
	l := startLab(t, Options{})
	prefix := l.Register("step", scenarios.Server{Response: scenarios.Response{Body: "one"}})
	if got := rawRequest(t, l, "bar", "GET", prefix+"/"); !strings.HasSuffix(got, "one") {
		t.Fatalf("first %q", got)
	}
	l.Configure(prefix, scenarios.Server{Response: scenarios.Response{Status: 409, Body: "two"}})
	if got := rawRequest(t, l, "bar", "GET", prefix+"/"); !strings.HasPrefix(got, "HTTP/1.1 409 Conflict") || !strings.HasSuffix(got, "two") {
		t.Fatalf("second %q", got)
	}
	if len(l.Journal(prefix)) != 2 {
		t.Fatalf("journal %+v", l.Journal(prefix))
	}
	l.Forget(prefix)
	l.Configure(prefix, scenarios.Server{}) // a forgotten path stays forgotten
	if got := rawRequest(t, l, "bar", "GET", prefix+"/"); !strings.HasPrefix(got, "HTTP/1.1 404") {
		t.Fatalf("after Forget %q", got)
	}
}

// {scenario_path} in a location leads to the next hop on another origin.
func TestLocationWithScenarioPath(t *testing.T) {
	l := startLab(t, Options{})
	prefix := l.Register("loc", scenarios.Server{Redirects: []scenarios.Redirect{{Status: 307, Location: "{baz}{scenario_path}/final"}}, Response: scenarios.Response{Body: "end"}})
	got := rawRequest(t, l, "bar", "GET", prefix+"/start")
	want := "Location: " + l.Origin("baz") + prefix + "/_h1/final\r\n"
	if !strings.Contains(got, want) {
		t.Fatalf("answer lacks %q:\n%s", want, got)
	}
	if got := rawRequest(t, l, "baz", "GET", prefix+"/_h1/final"); !strings.HasSuffix(got, "end") {
		t.Fatalf("next hop %q", got)
	}
	if j := l.Journal(prefix); len(j) != 2 || j[0].Answer != "redirect 1" || j[1].Answer != "response" || j[1].Hop != 1 {
		t.Fatalf("journal %+v", j)
	}
}

// A handler of the Go API gets what the reader accepted, unrefused, and
// answers as under net/http.
func TestBridgeTakesWhatNetHTTPRefuses(t *testing.T) {
	var seen *http.Request
	var body string
	l := startLab(t, Options{Bar: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.Header().Set("Access-Control-Allow-Origin", "*")
		io.WriteString(w, "<html>hi</html>")
	})})
	prefix := l.Register("mine", scenarios.Server{})
	got := exchangeRaw(t, l, "bar", "POST "+prefix+"/a%zz?q=1 HTTP/1.1\r\nHost: bar.localhost\r\nAccept-Language: \x01\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
	if seen == nil {
		t.Fatalf("the handler was not called; answer %q", got)
	}
	if seen.URL.Path != prefix+"/a%zz" || seen.URL.RawQuery != "q=1" || seen.Header.Get("Accept-Language") != "\x01" || seen.Host != "bar.localhost" || body != "abc" {
		t.Errorf("request path %q query %q headers %q host %q body %q", seen.URL.Path, seen.URL.RawQuery, seen.Header, seen.Host, body)
	}
	for _, w := range []string{"HTTP/1.1 200 OK\r\n", "Access-Control-Allow-Origin: *\r\n", "Content-Length: 15\r\n", "Content-Type: text/html; charset=utf-8\r\n", "Date: ", "Connection: close\r\n", "\r\n\r\n<html>hi</html>"} {
		if !strings.Contains(got, w) {
			t.Errorf("answer lacks %q:\n%s", w, got)
		}
	}
	if j := l.Journal(prefix); len(j) != 1 || j[0].Status != 200 || j[0].Answer != "" {
		t.Errorf("journal %+v", j)
	}
}

// A bridged handler that streams gets chunked encoding, and one that panics
// loses its connection, as under net/http.
func TestBridgeStreamsAndPanics(t *testing.T) {
	l := startLab(t, Options{Bar: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/panic") {
			panic("boom")
		}
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "a")
		w.(http.Flusher).Flush()
		io.WriteString(w, "bc")
	})})
	prefix := l.Register("stream", scenarios.Server{})
	got := exchangeRaw(t, l, "bar", "GET "+prefix+"/s HTTP/1.1\r\nHost: bar.localhost\r\nConnection: close\r\n\r\n")
	if !strings.HasPrefix(got, "HTTP/1.1 418 I'm a teapot\r\n") || !strings.Contains(got, "Transfer-Encoding: chunked\r\n") || !strings.HasSuffix(got, "\r\n\r\n1\r\na\r\n2\r\nbc\r\n0\r\n\r\n") {
		t.Errorf("streamed answer %q", got)
	}
	if got := exchangeRaw(t, l, "bar", "GET "+prefix+"/panic HTTP/1.1\r\nHost: bar.localhost\r\n\r\n"); got != "" {
		t.Errorf("a panicking handler's connection should be cut, got %q", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
