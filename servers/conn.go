package servers

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// Timeouts of a connection. A browser never comes near them; they bound
// what a client that stops sending can hold.
const (
	// idleTimeout is how long a connection may wait for its next request.
	idleTimeout = 2 * time.Minute
	// readTimeout bounds reading one request once its first byte came.
	readTimeout = 30 * time.Second
	// writeTimeout bounds writing one answer.
	writeTimeout = 30 * time.Second
)

// exchange is one request on a connection and the means to answer it.
type exchange struct {
	nc  net.Conn
	bw  *bufio.Writer
	c   *Conn
	req *request
}

// write starts an answer: it sets the write deadline and returns the
// buffered writer, flushed after the handler returns.
func (x *exchange) write() *bufio.Writer {
	x.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	return x.bw
}

// handlerFunc answers one request and says whether the connection must
// close afterwards (the request's own Connection: close is handled by the
// caller).
type handlerFunc func(x *exchange) (closeAfter bool)

// serve accepts connections on ln until it is closed.
func (l *Lab) serve(ln net.Listener, listener string, h handlerFunc) {
	defer l.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return
		}
		if !l.track(nc, true) {
			nc.Close()
			return
		}
		l.wg.Add(1)
		go l.serveConn(nc, listener, h)
	}
}

// track adds (or removes) an open connection, so Close can cut it; it
// reports false when the lab is closing.
func (l *Lab) track(nc net.Conn, add bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !add {
		delete(l.open, nc)
		return true
	}
	if l.open == nil {
		return false
	}
	l.open[nc] = struct{}{}
	return true
}

// serveConn reads requests off one connection and answers them in turn,
// keeping it alive between them, until either side closes it.
func (l *Lab) serveConn(nc net.Conn, listener string, h handlerFunc) {
	defer l.wg.Done()
	c := l.openConn(listener, nc)
	defer func() {
		nc.Close()
		l.track(nc, false)
		l.closeConn(c)
	}()
	br := bufio.NewReaderSize(nc, 16<<10)
	bw := bufio.NewWriterSize(nc, 16<<10)
	for {
		nc.SetReadDeadline(time.Now().Add(idleTimeout))
		if _, err := br.Peek(1); err != nil {
			return
		}
		l.setBusy(c, true)
		nc.SetReadDeadline(time.Now().Add(readTimeout))
		req, err := readRequest(br, defaultLimits)
		if err != nil {
			var pe *parseError
			if errors.As(err, &pe) {
				l.countRequest(c)
				l.refuse(&exchange{nc: nc, bw: bw, c: c}, pe)
				bw.Flush()
			}
			return
		}
		l.countRequest(c)
		nc.SetReadDeadline(time.Time{})
		x := &exchange{nc: nc, bw: bw, c: c, req: req}
		closeAfter := h(x)
		if err := bw.Flush(); err != nil || closeAfter || req.close {
			return
		}
		l.setBusy(c, false)
	}
}

// refuse is the server layer's own answer to a request it cannot take
// apart. It is journaled with AnswerServerLayer, under the scenario when
// the request line named its path, and always in the lab's list.
func (l *Lab) refuse(x *exchange, pe *parseError) {
	e := Entry{Time: time.Now(), Origin: x.c.Listener, Method: pe.method, Path: pe.target, RequestLine: pe.line,
		Answer: AnswerServerLayer, Refused: pe.reason, Status: pe.status, Conn: x.c.ID}
	id, hop, _, ok := splitID(pathOf(pe.target))
	e.Hop = hop
	l.mu.Lock()
	l.counts.ServerLayer++
	l.refused = append(l.refused, e)
	if len(l.refused) > 1000 {
		l.refused = l.refused[len(l.refused)-1000:]
	}
	_, registered := l.configs[id]
	l.mu.Unlock()
	if ok && registered {
		l.record(id, e)
	}
	body := fmt.Sprintf("corslab: %s could not parse the request: %s\n", x.c.Listener, pe.reason)
	writeSimple(x.write(), pe.status, [][2]string{{"Content-Type", "text/plain; charset=utf-8"}}, body, true, false)
}

// writeSimple writes one of the lab's own answers (pages, refusals, 404),
// with a Content-Length, and Connection: close when closing.
func writeSimple(bw *bufio.Writer, status int, headers [][2]string, body string, closing, head bool) {
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	for _, h := range headers {
		fmt.Fprintf(bw, "%s: %s\r\n", h[0], h[1])
	}
	if status != http.StatusNoContent {
		fmt.Fprintf(bw, "Content-Length: %d\r\n", len(body))
	}
	if closing {
		bw.WriteString("Connection: close\r\n")
	}
	bw.WriteString("\r\n")
	if !head && status != http.StatusNoContent {
		bw.WriteString(body)
	}
}

// pathOf returns the path of a request target: origin-form up to the
// query, absolute-form without its scheme and authority.
func pathOf(target string) string {
	if i := strings.Index(target, "://"); i >= 0 && !strings.HasPrefix(target, "/") {
		rest := target[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			target = rest[j:]
		} else {
			target = "/"
		}
	}
	p, _, _ := strings.Cut(target, "?")
	return p
}

// queryOf returns the query of a request target, without "?".
func queryOf(target string) string {
	_, q, _ := strings.Cut(target, "?")
	return q
}
