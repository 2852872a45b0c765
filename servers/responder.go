package servers

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corslab/corslab/scenarios"
)

func nilLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// answer is what bar sends for one request, placeholders already expanded.
type answer struct {
	status  int
	headers scenarios.Headers
	body    string
	delay   time.Duration
}

func (l *Lab) serveScenario(w http.ResponseWriter, r *http.Request) {
	id, hop, rest, ok := splitID(r.URL.Path)
	cfg, found := l.config(id)
	e := l.entry(r)
	e.Hop = hop
	if !ok || !found {
		e.Status = http.StatusNotFound
		l.record(id, e)
		http.Error(w, "corslab: no scenario is registered under this path", http.StatusNotFound)
		return
	}
	io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	a := l.answerFor(cfg, r, id, hop, rest)
	e.Status = a.status
	// Journal first: a request counts as received even if the answer is held back.
	l.record(id, e)
	if a.delay > 0 {
		t := time.NewTimer(a.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-l.closing:
			return
		case <-l.releasedCh(id):
			// The scenario is over: drop the connection rather than hold
			// one of the browser's few connections to this origin.
			panic(http.ErrAbortHandler)
		}
	}
	if r.Method == http.MethodHead {
		a.body = ""
	}
	if needsRaw(a.headers) {
		if err := writeRaw(w, a); err == nil {
			return
		}
	}
	h := w.Header()
	// net/http would add Date and a sniffed Content-Type; a present key with no
	// values suppresses them, so only the scenario's headers go out.
	h["Date"] = nil
	if !a.headers.Has("Content-Type") {
		h["Content-Type"] = nil
	}
	for _, x := range a.headers {
		// Assigning the map keeps the name's case as written.
		h[x.Name] = append(h[x.Name], x.Values...)
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

// answerFor picks the hop's redirect, the preflight answer or the response.
func (l *Lab) answerFor(cfg scenarios.Server, r *http.Request, id string, hop int, rest string) answer {
	pre := IsPreflight(r)
	origin := r.Header.Get("Origin")
	var a answer
	switch {
	case hop < len(cfg.Redirects):
		rd := cfg.Redirects[hop]
		if pre && rd.Preflight != nil {
			a = l.fromResponse(*rd.Preflight, origin)
			break
		}
		a.status = rd.Status
		if a.status == 0 {
			a.status = http.StatusFound
		}
		loc := rd.Location
		if loc == "" {
			to := rd.To
			if to == "" {
				to = "bar"
			}
			loc = l.Origin(to) + "/r/" + id + "/_h" + strconv.Itoa(hop+1) + rest
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
		} else {
			loc = l.expand(loc, origin)
		}
		a.headers = append(a.headers, scenarios.Header{Name: "Location", Values: []string{loc}})
		for _, x := range rd.Headers {
			a.headers = append(a.headers, l.expandHeader(x, origin))
		}
	case pre && cfg.Preflight != nil:
		a = l.fromResponse(*cfg.Preflight, origin)
	default:
		a = l.fromResponse(cfg.Response, origin)
	}
	if len(cfg.AllowOrigins) > 0 {
		extra := scenarios.Headers{{Name: "Vary", Values: []string{"Origin"}}}
		if origin != "" && l.allowed(cfg.AllowOrigins, origin) {
			extra = append(scenarios.Headers{{Name: "Access-Control-Allow-Origin", Values: []string{origin}}}, extra...)
		}
		a.headers = append(extra, a.headers...)
	}
	return a
}

func (l *Lab) fromResponse(resp scenarios.Response, origin string) answer {
	a := answer{status: resp.Status, body: l.expand(resp.Body, origin), delay: resp.Delay.D()}
	if a.status == 0 {
		a.status = http.StatusOK
	}
	for _, x := range resp.Headers {
		a.headers = append(a.headers, l.expandHeader(x, origin))
	}
	return a
}

func (l *Lab) allowed(list []string, origin string) bool {
	return slices.ContainsFunc(list, func(o string) bool {
		if strings.Contains(o, "://") || o == "null" {
			return o == origin
		}
		return l.Origin(o) == origin
	})
}

func (l *Lab) expandHeader(x scenarios.Header, origin string) scenarios.Header {
	out := scenarios.Header{Name: x.Name, Values: make([]string, len(x.Values))}
	for i, v := range x.Values {
		out.Values[i] = l.expand(v, origin)
	}
	return out
}

// Expand replaces {origin} (with origin), {foo}, {bar}, {baz} and
// {label:NAME} (with the lab's origins) in s; other braces are kept.
func (l *Lab) Expand(s, origin string) string { return l.expand(s, origin) }

func (l *Lab) expand(s, origin string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		key := s[i+1 : i+j]
		b.WriteString(s[:i])
		switch {
		case key == "origin":
			b.WriteString(origin)
		case key == "foo" || key == "bar" || key == "baz":
			b.WriteString(l.Origin(key))
		case strings.HasPrefix(key, "label:"):
			b.WriteString(l.Origin(strings.TrimPrefix(key, "label:")))
		default:
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
}

// needsRaw reports whether net/http would change a value: it trims leading
// and trailing spaces and tabs.
func needsRaw(h scenarios.Headers) bool {
	for _, x := range h {
		for _, v := range x.Values {
			if v != strings.Trim(v, " \t") {
				return true
			}
		}
	}
	return false
}

// writeRaw writes the answer byte for byte on the hijacked connection and
// closes it, since the server cannot reuse a hijacked connection.
func writeRaw(w http.ResponseWriter, a answer) error {
	rc := http.NewResponseController(w)
	conn, buf, err := rc.Hijack()
	if err != nil {
		return fmt.Errorf("hijacking the connection: %w", err)
	}
	defer conn.Close()
	bw := buf.Writer
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", a.status, http.StatusText(a.status))
	for _, x := range a.headers {
		for _, v := range x.Values {
			fmt.Fprintf(bw, "%s: %s\r\n", x.Name, v)
		}
	}
	if !a.headers.Has("Content-Length") {
		fmt.Fprintf(bw, "Content-Length: %d\r\n", len(a.body))
	}
	bw.WriteString("Connection: close\r\n\r\n")
	bw.WriteString(a.body)
	return bw.Flush()
}
