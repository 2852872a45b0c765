package servers

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func read(t *testing.T, raw string) (*request, error) {
	t.Helper()
	return readRequest(bufio.NewReader(strings.NewReader(raw)), defaultLimits)
}

// Every request a browser can send is read, byte for byte.
func TestReadAccepts(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		check func(t *testing.T, r *request)
	}{
		{"control byte and obs-text in a value", "GET /a HTTP/1.1\r\nAccept-Language: \x01\r\nX-B: \x00\x7f\x80\xff\r\n\r\n", func(t *testing.T, r *request) {
			if r.first("accept-language") != "\x01" || r.first("X-B") != "\x00\x7f\x80\xff" {
				t.Errorf("values %q", r.lines)
			}
		}},
		{"names as sent, order and repeats kept", "GET / HTTP/1.1\r\nx-LOWER: 1\r\nB: 2\r\nx-lower: 3\r\n\r\n", func(t *testing.T, r *request) {
			want := []HeaderLine{{"x-LOWER", "1"}, {"B", "2"}, {"x-lower", "3"}}
			if len(r.lines) != 3 || r.lines[0] != want[0] || r.lines[1] != want[1] || r.lines[2] != want[2] {
				t.Errorf("lines %q", r.lines)
			}
		}},
		{"odd spacing and empty values", "GET  /sp  HTTP/1.1\r\nA:x\r\nB:   \t y \t \r\nC:\r\n\r\n", func(t *testing.T, r *request) {
			if r.target != "/sp" || r.first("A") != "x" || r.first("B") != "y" || len(r.get("C")) != 1 || r.first("C") != "" {
				t.Errorf("target %q lines %q", r.target, r.lines)
			}
		}},
		{"bare LF line ends and a leading empty line", "\r\nGET / HTTP/1.1\nA: 1\n\n", func(t *testing.T, r *request) {
			if r.first("A") != "1" {
				t.Errorf("lines %q", r.lines)
			}
		}},
		{"obs-fold joins the previous line", "GET / HTTP/1.1\r\nA: one\r\n two\r\n\r\n", func(t *testing.T, r *request) {
			if r.first("A") != "one two" {
				t.Errorf("A = %q", r.first("A"))
			}
		}},
		{"Content-Length body", "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloNEXT", func(t *testing.T, r *request) {
			if string(r.body) != "hello" {
				t.Errorf("body %q", r.body)
			}
		}},
		{"repeated equal Content-Length", "POST / HTTP/1.1\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok", func(t *testing.T, r *request) {
			if string(r.body) != "ok" {
				t.Errorf("body %q", r.body)
			}
		}},
		{"chunked body with extension and trailer", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: 1\r\n\r\n", func(t *testing.T, r *request) {
			if string(r.body) != "abc0123456789" || r.first("T") != "" {
				t.Errorf("body %q lines %q", r.body, r.lines)
			}
		}},
		{"HTTP/1.0 closes unless keep-alive", "GET / HTTP/1.0\r\n\r\n", func(t *testing.T, r *request) {
			if !r.close {
				t.Error("HTTP/1.0 without keep-alive should close")
			}
		}},
		{"Connection: close", "GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n", func(t *testing.T, r *request) {
			if !r.close {
				t.Error("should close")
			}
		}},
		{"head kept byte for byte", "GET / HTTP/1.1\r\nA :  b \r\n\r\n", func(t *testing.T, r *request) {
			if string(r.head) != "GET / HTTP/1.1\r\nA :  b \r\n\r\n" || r.lines[0].Name != "A " {
				t.Errorf("head %q lines %q", r.head, r.lines)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := read(t, tt.raw)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			tt.check(t, r)
		})
	}
}

// What cannot be taken apart is refused with a status and a reason that
// says why, never with a panic.
func TestReadRefuses(t *testing.T) {
	big := "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 1<<20) + "\r\n\r\n"
	tests := []struct {
		name, raw string
		status    int
		reason    string
		target    string
	}{
		{"no spaces", "GARBAGE\r\n\r\n", 400, `request line "GARBAGE" is not METHOD TARGET HTTP-VERSION`, ""},
		{"not HTTP", "GET /r/x-1/ FTP/1.0\r\n\r\n", 400, "does not end in an HTTP version", "/r/x-1/"},
		{"HTTP/2 on the wire", "GET /r/x-1/ HTTP/2.0\r\n\r\n", 505, "asks for HTTP/2", "/r/x-1/"},
		{"no colon", "GET /r/x-1/ HTTP/1.1\r\nBroken line\r\n\r\n", 400, `header line "Broken line" has no colon`, "/r/x-1/"},
		{"fold first", "GET / HTTP/1.1\r\n folded\r\n\r\n", 400, "starts with whitespace", "/"},
		{"two lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, "is not one decimal length", "/"},
		{"bad length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "is not one decimal length", "/"},
		{"short body", "POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc", 400, "after 3 of 9 body bytes", "/"},
		{"gzip only", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "does not end in chunked", "/"},
		{"bad chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, `chunk size "zz"`, "/"},
		{"chunk without line end", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n", 400, "not followed by a line end", "/"},
		{"head cut short", "GET / HTTP/1.1\r\nA: 1\r\n", 400, "ended in the middle of the request head", "/"},
		{"head too large", big, 431, "larger than the lab's limit of 1 MiB", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := read(t, tt.raw)
			var pe *parseError
			if !errors.As(err, &pe) {
				t.Fatalf("want a refusal, got %v", err)
			}
			if pe.status != tt.status || !strings.Contains(pe.reason, tt.reason) || pe.target != tt.target {
				t.Errorf("got %d %q target %q, want %d %q target %q", pe.status, pe.reason, pe.target, tt.status, tt.reason, tt.target)
			}
		})
	}
}

func TestReadCleanEnd(t *testing.T) {
	for _, raw := range []string{"", "\r\n", "\n\n"} {
		if _, err := read(t, raw); err != io.EOF {
			t.Errorf("%q: got %v, want io.EOF (no request began)", raw, err)
		}
	}
}

// The reader never panics and always ends: on any input it returns a
// request, a refusal or the end of the input, within a bounded time.
func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: bar.localhost\r\nAccept-Language: \x01\r\n\r\n",
		"POST /r/a-1/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.0\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\n a\r\n\r\n",
		"GET /\xff HTTP/1.1\r\nX: \x00\r\n\tfold\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	lim := limits{headerBytes: 4 << 10, bodyBytes: 64 << 10}
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReader(strings.NewReader(string(data)))
		start := time.Now()
		for i := 0; i < len(data)+2; i++ {
			r, err := readRequest(br, lim)
			if err != nil {
				var pe *parseError
				if err != io.EOF && !errors.As(err, &pe) {
					t.Fatalf("error of neither kind: %v", err)
				}
				if pe != nil && (pe.status < 400 || pe.reason == "") {
					t.Fatalf("refusal without a status or reason: %+v", pe)
				}
				return
			}
			if len(r.head) == 0 || r.method == "" || r.target == "" {
				t.Fatalf("accepted a request without a head: %+v", r)
			}
			if time.Since(start) > 5*time.Second {
				t.Fatal("reading took too long")
			}
		}
		t.Fatalf("more requests than input bytes from %q", data)
	})
}
