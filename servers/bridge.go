package servers

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The bridge runs an http.Handler of the Go API (Options.Bar) on a request
// the raw reader accepted, without refusing any of it: a target net/url
// cannot parse still reaches the handler (URL.Path is then the target as
// sent), and header values keep every byte. The answer is written as
// net/http would write it (Date, a sniffed Content-Type, Content-Length or
// chunked), so a handler behaves here as it does in production.

// serveBridge answers a request with h and journals it under the scenario
// id of its path, or under "".
func (l *Lab) serveBridge(x *exchange, h http.Handler) bool {
	id, _, _, ok := splitID(pathOf(x.req.target))
	if !ok {
		id = ""
	}
	e := l.entry(x.c, x.req)
	ctx, cancel := context.WithCancel(l.base)
	defer cancel()
	r := httpRequest(ctx, x)
	w := &bridgeWriter{bw: x.write(), header: http.Header{}, req: x.req}
	closing := w.run(h, r)
	e.Status = w.status
	l.record(id, e)
	return closing
}

// httpRequest makes the *http.Request a handler sees; ctx ends when the
// handler returns or the lab closes.
func httpRequest(ctx context.Context, x *exchange) *http.Request {
	req := x.req
	u, err := url.ParseRequestURI(req.target)
	if err != nil {
		u = &url.URL{Path: pathOf(req.target), RawQuery: queryOf(req.target)}
	}
	hdr := http.Header{}
	host := ""
	for _, h := range req.lines {
		k := textproto.CanonicalMIMEHeaderKey(h.Name)
		if k == "Host" {
			if host == "" {
				host = h.Value
			}
			continue
		}
		hdr[k] = append(hdr[k], h.Value)
	}
	if host == "" {
		host = u.Host
	}
	r := (&http.Request{
		Method:        req.method,
		URL:           u,
		Proto:         req.proto,
		ProtoMajor:    1,
		ProtoMinor:    req.minor,
		Header:        hdr,
		Host:          host,
		Body:          http.NoBody,
		ContentLength: int64(len(req.body)),
		Close:         req.close,
		RemoteAddr:    x.c.Remote,
		RequestURI:    req.target,
	}).WithContext(ctx)
	if len(req.body) > 0 {
		r.Body = readCloser{bytes.NewReader(req.body)}
	}
	if len(req.get("Transfer-Encoding")) > 0 {
		r.TransferEncoding = []string{"chunked"}
	}
	return r
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// bridgeWriter is the http.ResponseWriter (and http.Flusher) of a bridged
// handler. The body is buffered until the handler returns or flushes, so
// a short answer gets a Content-Length, as from net/http.
type bridgeWriter struct {
	bw      *bufio.Writer
	header  http.Header
	req     *request
	status  int
	sent    bool // the head is written
	chunked bool
	buf     bytes.Buffer
	closing bool
}

// Header returns the header map the handler fills.
func (w *bridgeWriter) Header() http.Header { return w.header }

// WriteHeader sets the status; a 1xx other than 101 is written at once as
// an interim answer, as net/http does.
func (w *bridgeWriter) WriteHeader(code int) {
	if w.status != 0 || w.sent {
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		fmt.Fprintf(w.bw, "HTTP/1.1 %d %s\r\n", code, http.StatusText(code))
		w.writeHeaderLines()
		w.bw.WriteString("\r\n")
		return
	}
	w.status = code
}

// Write buffers body bytes; past 64 KiB the answer goes out chunked.
func (w *bridgeWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.sent {
		return w.writeBody(p)
	}
	w.buf.Write(p)
	if w.buf.Len() > 64<<10 {
		w.Flush()
	}
	return len(p), nil
}

// Flush sends the head (chunked unless the handler set Content-Length)
// and what is buffered.
func (w *bridgeWriter) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.sent {
		w.chunked = bodyAllowed(w.status) && w.header.Get("Content-Length") == "" && w.req.minor > 0
		if !w.chunked && w.header.Get("Content-Length") == "" {
			w.closing = true
		}
		w.writeHead()
		b := w.buf.Bytes()
		w.buf.Reset()
		w.writeBody(b)
	}
	w.bw.Flush()
}

func (w *bridgeWriter) writeBody(p []byte) (int, error) {
	if w.req.method == http.MethodHead || len(p) == 0 {
		return len(p), nil
	}
	if w.chunked {
		fmt.Fprintf(w.bw, "%x\r\n", len(p))
		w.bw.Write(p)
		w.bw.WriteString("\r\n")
		return len(p), nil
	}
	return w.bw.Write(p)
}

// run calls the handler and finishes the answer; it reports whether the
// connection must close.
func (w *bridgeWriter) run(h http.Handler, r *http.Request) (closing bool) {
	defer func() {
		if recover() != nil {
			// As net/http: a panicking handler's connection is cut, and
			// what it wrote may be lost.
			closing = true
		}
	}()
	h.ServeHTTP(w, r)
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.sent {
		if bodyAllowed(w.status) && w.header.Get("Content-Length") == "" && (w.req.method != http.MethodHead || w.buf.Len() > 0) {
			w.header.Set("Content-Length", strconv.Itoa(w.buf.Len()))
		}
		w.writeHead()
		w.writeBody(w.buf.Bytes())
	} else if w.chunked {
		w.bw.WriteString("0\r\n\r\n")
	}
	return w.closing || w.req.close
}

// writeHead writes the status line and headers as net/http would: Date
// and a sniffed Content-Type unless the handler set (or suppressed) them,
// and Connection: close when the connection ends.
func (w *bridgeWriter) writeHead() {
	w.sent = true
	if _, ok := w.header["Date"]; !ok {
		w.header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	if _, ok := w.header["Content-Type"]; !ok && bodyAllowed(w.status) && w.buf.Len() > 0 && w.header.Get("Content-Encoding") == "" {
		w.header.Set("Content-Type", http.DetectContentType(w.buf.Bytes()))
	}
	if w.chunked {
		w.header.Set("Transfer-Encoding", "chunked")
	}
	if hasToken(w.header.Values("Connection"), "close") {
		w.closing = true
	}
	if (w.closing || w.req.close) && w.header.Get("Connection") == "" {
		w.header.Set("Connection", "close")
	}
	fmt.Fprintf(w.bw, "HTTP/1.1 %d %s\r\n", w.status, statusText(w.status))
	w.writeHeaderLines()
	w.bw.WriteString("\r\n")
}

// writeHeaderLines writes the handler's headers in name order, a value's
// CR and LF turned into spaces (as net/http does, so a handler cannot split
// a header line).
func (w *bridgeWriter) writeHeaderLines() {
	nl := strings.NewReplacer("\r", " ", "\n", " ")
	for _, k := range sortedKeys(w.header) {
		for _, v := range w.header[k] {
			w.bw.WriteString(k + ": " + nl.Replace(v) + "\r\n")
		}
	}
}

// statusText is net/http's reason phrase, "status code N" for one it does
// not know, as net/http writes it.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "status code " + strconv.Itoa(code)
}

func bodyAllowed(status int) bool {
	return !(status >= 100 && status < 200) && status != http.StatusNoContent && status != http.StatusNotModified
}

func sortedKeys(h http.Header) []string { return slices.Sorted(maps.Keys(h)) }
