package servers

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/corslab/corslab/scenarios"
)

// serveLab answers a request on one of the lab's own listeners: the pages,
// and every scenario's unique paths.
func (l *Lab) serveLab(x *exchange) bool {
	html := [][2]string{{"Content-Type", "text/html; charset=utf-8"}, {"Cache-Control", "no-store"}}
	head := x.req.method == http.MethodHead
	switch p := pathOf(x.req.target); {
	case p == "/" || p == "/__corslab/page":
		writeSimple(x.write(), http.StatusOK, html, pageHTML, x.req.close, head)
	case p == PublicPagePath:
		// The same page, which the browser counts as on a public address
		// (Local Network Access): https://wicg.github.io/local-network-access/#csp
		writeSimple(x.write(), http.StatusOK, append(html, [2]string{"Content-Security-Policy", "treat-as-public-address"}), pageHTML, x.req.close, head)
	case p == "/__corslab/sandboxed":
		writeSimple(x.write(), http.StatusOK, html, sandboxHTML, x.req.close, head)
	case p == "/favicon.ico":
		writeSimple(x.write(), http.StatusNoContent, nil, "", x.req.close, head)
	case strings.HasPrefix(p, "/r/"):
		return l.serveScenario(x)
	default:
		writeSimple(x.write(), http.StatusNotFound, [][2]string{{"Content-Type", "text/plain; charset=utf-8"}}, "404 page not found\n", x.req.close, head)
	}
	return false
}

// serveApp answers on a page listener (foo, baz): the lab's own paths as
// serveLab does, everything else with Options.App.
func (l *Lab) serveApp(x *exchange) bool {
	switch p := pathOf(x.req.target); {
	case p == "/" || p == "/favicon.ico" || strings.HasPrefix(p, "/__corslab/") || strings.HasPrefix(p, "/r/"):
		return l.serveLab(x)
	}
	ctx, cancel := context.WithCancel(l.base)
	defer cancel()
	w := &bridgeWriter{bw: x.write(), header: http.Header{}, req: x.req}
	return w.run(l.app, httpRequest(ctx, x))
}

// serveScenario answers a request under a scenario's unique path exactly as
// its server configuration says, and journals it.
func (l *Lab) serveScenario(x *exchange) bool {
	r := x.req
	id, hop, rest, ok := splitID(pathOf(r.target))
	cfg, found := l.config(id)
	if !ok || !found {
		writeSimple(x.write(), http.StatusNotFound, [][2]string{{"Content-Type", "text/plain; charset=utf-8"}},
			"corslab: no scenario is registered under this path\n", r.close, r.method == http.MethodHead)
		return false
	}
	e := l.entry(x.c, r)
	e.Hop = hop
	a := l.answerFor(cfg, e, id, hop, rest, queryOf(r.target))
	a = withDefaultBody(a, e.Preflight, e.Headers.Get("Sec-Fetch-Dest"))
	e.Status = a.Status
	e.Answer = a.Describe()
	// Journal first: a request counts as received even if the answer is held back.
	l.record(id, e)
	if a.Delay > 0 && !l.hold(id, a.Delay) {
		// The scenario is over or the lab closes: drop the connection
		// rather than hold one of the browser's few connections.
		return true
	}
	bw := x.write()
	if a.Raw != "" {
		// The whole answer, framing included, is the scenario's: nothing
		// else can follow it on this connection.
		bw.WriteString(a.Raw)
		return true
	}
	return writeAnswer(bw, a, r.method == http.MethodHead, r.close)
}

// hold waits d before an answer; false means the wait was cut short.
func (l *Lab) hold(id string, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.closing:
	case <-l.releasedCh(id):
	}
	return false
}

// answerFor asks the scenario's server configuration what to send.
func (l *Lab) answerFor(cfg scenarios.Server, e Entry, id string, hop int, rest, query string) scenarios.Answer {
	next := "/r/" + id + "/_h" + strconv.Itoa(hop+1)
	return cfg.Answer(scenarios.Incoming{
		Preflight: e.Preflight,
		Origin:    e.Headers.Get("Origin"),
		Hop:       hop,
		NextHop: func(to string) string {
			loc := l.Origin(to) + next + rest
			if query != "" {
				loc += "?" + query
			}
			return loc
		},
		Prefix:     "/r/" + id,
		NextPrefix: next,
	}, l)
}

// writeAnswer writes a scenario's answer: the status line with its reason,
// the scenario's header lines byte for byte in order, and only what HTTP/1.1
// framing needs besides: Content-Length when the scenario gives neither it
// nor Transfer-Encoding, and Connection: close when the connection ends. It
// reports whether the connection must close: when the request asked, when
// the scenario frames the body itself, and after an interim (1xx) status,
// which nothing follows.
func writeAnswer(bw *bufio.Writer, a scenarios.Answer, head, reqClose bool) bool {
	bw.WriteString("HTTP/1.1 " + strconv.Itoa(a.Status) + " " + a.Reason + "\r\n")
	for _, h := range a.Headers {
		for _, v := range h.Values {
			bw.WriteString(h.Name + ": " + v + "\r\n")
		}
	}
	interim := a.Status < 200
	noBody := interim || a.Status == http.StatusNoContent || a.Status == http.StatusNotModified
	ownFraming := a.Headers.Has("Content-Length") || a.Headers.Has("Transfer-Encoding")
	closing := reqClose || interim || ownFraming || hasToken(a.Headers.Get("Connection"), "close")
	if !ownFraming && !noBody {
		bw.WriteString("Content-Length: " + strconv.Itoa(len(a.Body)) + "\r\n")
	}
	if closing && !a.Headers.Has("Connection") {
		bw.WriteString("Connection: close\r\n")
	}
	bw.WriteString("\r\n")
	if !noBody && !head {
		bw.WriteString(a.Body)
	}
	return closing
}

// hasToken reports whether a comma-separated header value lists token.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(trimOWS(t), token) {
				return true
			}
		}
	}
	return false
}

// Expand replaces {origin} (with origin), {foo}, {bar}, {baz} and
// {label:NAME} (with the lab's origins) in s; other braces are kept.
func (l *Lab) Expand(s, origin string) string { return scenarios.Expand(s, origin, l) }

// splitID takes "/r/<id>/_h<k>/rest" apart.
func splitID(p string) (id string, hop int, rest string, ok bool) {
	s, ok := strings.CutPrefix(p, "/r/")
	if !ok {
		return "", 0, "", false
	}
	id, rest, _ = strings.Cut(s, "/")
	rest = "/" + rest
	if h, ok := strings.CutPrefix(rest, "/_h"); ok {
		num, after, _ := strings.Cut(h, "/")
		if n, err := strconv.Atoi(num); err == nil {
			hop = n
			rest = "/" + after
		}
	}
	return id, hop, rest, id != ""
}

const pageHTML = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>corslab</title></head><body>corslab page</body></html>`

// sandboxHTML hosts a sandboxed iframe (opaque origin "null") that runs
// requests it is sent by postMessage and posts the result back.
const sandboxHTML = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>corslab sandboxed</title></head><body>
<iframe id="sb" sandbox="allow-scripts" srcdoc="&lt;!doctype html&gt;&lt;script&gt;addEventListener('message', async (e) =&gt; { const f = new Function('return (' + e.data.fn + ')')(); const r = await f(e.data.arg); parent.postMessage({id: e.data.id, r}, '*'); });&lt;/script&gt;"></iframe>
<script>
window.__sbReady = new Promise((res) => document.getElementById('sb').addEventListener('load', res));
let __sbSeq = 0;
window.__sandboxed = async (fn, arg) => {
  await window.__sbReady;
  const id = ++__sbSeq;
  return new Promise((res) => {
    const h = (e) => { if (e.data && e.data.id === id) { removeEventListener('message', h); res(e.data.r); } };
    addEventListener('message', h);
    document.getElementById('sb').contentWindow.postMessage({id, fn: fn.toString(), arg}, '*');
  });
};
</script></body></html>`
