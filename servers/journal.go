package servers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"time"

	"github.com/corslab/corslab/scenarios"
)

// AnswerServerLayer is Entry.Answer for a request the server layer answered
// on its own because it could not take the request apart; Entry.Refused
// says why. A scenario never configures such an answer, so an observation
// that contains one is no observation of CORS.
const AnswerServerLayer = "server layer"

// Entry is one request as it arrived.
type Entry struct {
	// Time is when the request arrived.
	Time time.Time `json:"-"`
	// Origin is the label of the origin that received it (bar, foo, baz...).
	Origin string `json:"origin"`
	// Method, Path (the request target, query included) and Proto are from
	// the request line.
	Method string `json:"method"`
	Path   string `json:"path"`
	Proto  string `json:"-"`
	// Host is the Host header.
	Host string `json:"host"`
	// Headers are the request headers for lookups: names canonicalised as
	// net/http does, Host left out, each value's bytes written as the
	// characters of those values (scenarios.IsomorphicDecode), the notation
	// scenario files use.
	Headers http.Header `json:"headers"`
	// RequestLine is the request line exactly as it arrived.
	RequestLine string `json:"request_line,omitempty"`
	// HeaderLines are the header lines in the order they arrived, names as
	// sent, values as bytes.
	HeaderLines []HeaderLine `json:"header_lines,omitempty"`
	// Head is the request line and the header section byte for byte, line
	// ends and spacing included.
	Head string `json:"-"`
	// Hop is how many redirects the lab had answered before this request.
	Hop int `json:"hop,omitempty"`
	// Preflight is true for an OPTIONS request with
	// Access-Control-Request-Method: a CORS preflight.
	Preflight bool `json:"preflight"`
	// Status is the status bar answered with (0 when it never answered).
	Status int `json:"status,omitempty"`
	// Answer says which answer was sent: the part of the scenario's server
	// configuration (scenarios.Answer.Describe: "preflight", "redirect 1",
	// "raw response", ...), AnswerServerLayer, or empty for a handler of
	// the Go API.
	Answer string `json:"answer,omitempty"`
	// Refused is why the server layer answered on its own.
	Refused string `json:"refused,omitempty"`
	// Conn is the ID of the connection that carried the request.
	Conn int `json:"-"`
}

// entry journals a request read off a connection of a listener.
func (l *Lab) entry(c *Conn, r *request) Entry {
	e := Entry{
		Time:        time.Now(),
		Method:      r.method,
		Path:        r.target,
		Proto:       r.proto,
		Headers:     http.Header{},
		RequestLine: r.line,
		HeaderLines: r.lines,
		Head:        string(r.head),
		Conn:        c.ID,
	}
	for _, h := range r.lines {
		k := textproto.CanonicalMIMEHeaderKey(h.Name)
		if k == "Host" {
			// Kept apart, as net/http does.
			if e.Host == "" {
				e.Host = h.Value
			}
			continue
		}
		e.Headers[k] = append(e.Headers[k], isoDecode(h.Value))
	}
	e.Origin = l.Label(e.Host)
	if e.Origin == "" {
		e.Origin = c.Listener
	}
	e.Preflight = r.method == http.MethodOptions && e.Headers.Get("Access-Control-Request-Method") != ""
	return e
}

// ServerLayerError returns an error naming the first request in entries
// that the server layer answered on its own ("bar could not parse the
// request: ..."), or nil when the scenario's configuration (or a handler)
// answered every one.
func ServerLayerError(entries []Entry) error {
	for _, e := range entries {
		if e.Answer == AnswerServerLayer {
			return fmt.Errorf("%s could not parse the request %q: %s (the server layer answered %d on its own; this is no observation of CORS)", e.Origin, e.RequestLine, e.Refused, e.Status)
		}
	}
	return nil
}

// Conn is one TCP connection a listener accepted.
type Conn struct {
	// ID numbers the lab's connections from 1.
	ID int `json:"id"`
	// Listener is the listener that accepted it: foo (which also serves
	// every other label), bar, baz or tls.
	Listener string `json:"listener"`
	// Remote is the client's address.
	Remote string `json:"remote"`
	// Accepted and Closed are when it began and ended (Closed is zero
	// while it is open).
	Accepted time.Time `json:"accepted"`
	Closed   time.Time `json:"closed,omitzero"`
	// Requests is how many requests it carried so far (refused ones too).
	Requests int `json:"requests"`

	// nc is the connection itself; busy: a request on it is being read or
	// answered (CloseIdle leaves it alone).
	nc   net.Conn
	busy bool
}

// Counts sums up what the lab's listeners saw since it started.
type Counts struct {
	Connections int `json:"connections"`
	Requests    int `json:"requests"`
	// ServerLayer is how many requests the server layer answered on its
	// own; every scenario's answers leave it at 0.
	ServerLayer int `json:"server_layer"`
}

// maxConns bounds the connections the journal remembers.
const maxConns = 10000

func (l *Lab) openConn(listener string, nc net.Conn) *Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts.Connections++
	c := &Conn{ID: l.counts.Connections, Listener: listener, Remote: nc.RemoteAddr().String(), Accepted: time.Now(), nc: nc}
	l.conns = append(l.conns, c)
	if len(l.conns) > maxConns {
		l.conns = append([]*Conn(nil), l.conns[len(l.conns)-maxConns/2:]...)
	}
	return c
}

func (l *Lab) countRequest(c *Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.Requests++
	l.counts.Requests++
}

func (l *Lab) closeConn(c *Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.Closed = time.Now()
	c.nc = nil
}

// setBusy marks a connection as reading or answering a request (or not).
func (l *Lab) setBusy(c *Conn, busy bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.busy = busy
}

// Connections returns the connections a listener (foo, bar, baz, tls)
// accepted between from and to, inclusive, in order; a Conn's Requests says
// whether (and how many) requests each carried. A zero to means now.
func (l *Lab) Connections(listener string, from, to time.Time) []Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Conn
	for _, c := range l.conns {
		if c.Listener != listener || c.Accepted.Before(from) || (!to.IsZero() && c.Accepted.After(to)) {
			continue
		}
		out = append(out, *c)
	}
	return out
}

// Counts returns what the lab's listeners saw since it started.
func (l *Lab) Counts() Counts {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts
}

// ServerLayer returns the requests the server layer answered on its own
// (at most the last 1000), whether or not a scenario's path was known.
func (l *Lab) ServerLayer() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Entry(nil), l.refused...)
}

// isoDecode writes bytes as the characters of their values.
func isoDecode(b string) string { return scenarios.IsomorphicDecode(b) }

// jsonText is json.Marshal without HTML escaping.
func jsonText(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
