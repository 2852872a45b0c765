package servers

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/corslab/corslab/scenarios"
)

func nilLogger() *log.Logger { return log.New(io.Discard, "", 0) }

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
	e.Status = a.Status
	e.Answer = a.Kind
	// Journal first: a request counts as received even if the answer is held back.
	l.record(id, e)
	if a.Delay > 0 {
		t := time.NewTimer(a.Delay)
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
		a.Body = ""
	}
	if needsRaw(a.Headers) {
		if err := writeRaw(w, a); err == nil {
			return
		}
	}
	h := w.Header()
	// net/http would add Date and a sniffed Content-Type; a present key with no
	// values suppresses them, so only the scenario's headers go out.
	h["Date"] = nil
	if !a.Headers.Has("Content-Type") {
		h["Content-Type"] = nil
	}
	for _, x := range a.Headers {
		// Assigning the map keeps the name's case as written.
		h[x.Name] = append(h[x.Name], x.Values...)
	}
	w.WriteHeader(a.Status)
	io.WriteString(w, a.Body)
}

// answerFor asks the scenario's server configuration what to send.
func (l *Lab) answerFor(cfg scenarios.Server, r *http.Request, id string, hop int, rest string) scenarios.Answer {
	return cfg.Answer(scenarios.Incoming{
		Preflight: IsPreflight(r),
		Origin:    r.Header.Get("Origin"),
		Hop:       hop,
		NextHop: func(to string) string {
			loc := l.Origin(to) + "/r/" + id + "/_h" + strconv.Itoa(hop+1) + rest
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
			return loc
		},
	}, l)
}

// Expand replaces {origin} (with origin), {foo}, {bar}, {baz} and
// {label:NAME} (with the lab's origins) in s; other braces are kept.
func (l *Lab) Expand(s, origin string) string { return scenarios.Expand(s, origin, l) }

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
func writeRaw(w http.ResponseWriter, a scenarios.Answer) error {
	rc := http.NewResponseController(w)
	conn, buf, err := rc.Hijack()
	if err != nil {
		return fmt.Errorf("hijacking the connection: %w", err)
	}
	defer conn.Close()
	bw := buf.Writer
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", a.Status, http.StatusText(a.Status))
	for _, x := range a.Headers {
		for _, v := range x.Values {
			fmt.Fprintf(bw, "%s: %s\r\n", x.Name, v)
		}
	}
	if !a.Headers.Has("Content-Length") {
		fmt.Fprintf(bw, "Content-Length: %d\r\n", len(a.Body))
	}
	bw.WriteString("Connection: close\r\n\r\n")
	bw.WriteString(a.Body)
	return bw.Flush()
}
