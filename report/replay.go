package report

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// Outside is the same request sent from a plain Go HTTP client: no browser,
// so no preflight and no CORS check.
type Outside struct {
	// Method, URL, Headers and Body are what was sent.
	Method  string
	URL     string
	Headers [][2]string
	Body    string
	// Status, Line, RespHeaders and RespBody are what came back.
	Status      int
	Line        string
	RespHeaders [][2]string
	RespBody    string
	// Err is set when no answer came back.
	Err string
}

// Replay registers the scenario's server configuration under a new path on
// bar, sends the last step's request there from a plain Go HTTP client (with
// the page's Origin, the page's headers and body, no cookies), and forgets
// the path again. It shows that bar answers whoever asks: CORS is enforced
// by browsers, it is not access control on the server.
func Replay(ctx context.Context, lab *servers.Lab, sc scenarios.Scenario, timeout time.Duration) *Outside {
	steps := sc.RequestSteps()
	st := steps[len(steps)-1]
	r := st.Request
	prefix := lab.Register(sc.Name, sc.StepServer(st))
	defer lab.Forget(prefix)
	d := r.WithDefaults()
	method := fetchspec.NormalizeMethod(d.Method)
	out := &Outside{Method: method, URL: lab.Origin(d.Target) + prefix + d.Path, Body: r.Body}
	if origin := lab.Origin(st.Page); origin != "" {
		out.Headers = append(out.Headers, [2]string{"Origin", origin})
	}
	for _, h := range r.Headers {
		for _, v := range h.Values {
			out.Headers = append(out.Headers, [2]string{h.Name, v})
		}
	}
	if r.Body != "" && !r.Headers.Has("Content-Type") {
		out.Headers = append(out.Headers, [2]string{"Content-Type", "text/plain;charset=UTF-8"})
	}
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, out.URL, body)
	if err != nil {
		out.Err = fmt.Sprintf("building the request: %v", err)
		return out
	}
	for _, h := range out.Headers {
		req.Header[h[0]] = append(req.Header[h[0]], h[1])
	}
	client := &http.Client{Transport: localhostTransport()}
	if r.Redirect == "manual" || r.Redirect == "error" {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	resp, err := client.Do(req)
	if err != nil {
		out.Err = err.Error()
		if ctx.Err() != nil {
			out.Err = fmt.Sprintf("no answer within %s", timeout)
		}
		return out
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	out.Status = resp.StatusCode
	out.Line = "HTTP/1.1 " + resp.Status
	out.RespBody = string(data)
	out.RespHeaders = headerPairs(resp.Header)
	return out
}

// localhostTransport dials every *.localhost host on the loopback address,
// as browsers do, and never uses a proxy.
func localhostTransport() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, fmt.Errorf("dialing %s: %w", addr, err)
			}
			if host == "localhost" || strings.HasSuffix(host, ".localhost") {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return d.DialContext(ctx, network, addr)
		},
	}
}

func writeOutside(b *strings.Builder, o *Outside, s Story, p palette) {
	fmt.Fprintf(b, "%s the same request from a plain Go HTTP client (the page's Origin, headers and body; no cookies; no browser, so no preflight and no CORS check), to a fresh copy of bar's path:\n", p.bold("Outside the browser:"))
	fmt.Fprintf(b, "   %s\n", p.cyan(o.Method+" "+o.URL))
	for _, h := range o.Headers {
		fmt.Fprintf(b, "   %s: %s\n", h[0], h[1])
	}
	if o.Err != "" {
		fmt.Fprintf(b, "   → %s\n", o.Err)
		return
	}
	fmt.Fprintf(b, "   → %s, body %s\n", p.cyan(o.Line), snippet(o.RespBody))
	blocked := false
	for _, st := range s.Steps {
		if st.Outcome == scenarios.OutcomeBlocked {
			blocked = true
		}
	}
	if blocked {
		fmt.Fprintf(b, "   The browser refused the page this answer, yet any client outside a browser gets it: CORS is enforced by browsers; it is not access control on the server.\n")
	} else {
		fmt.Fprintf(b, "   A client outside a browser gets the answer without any CORS header check: CORS is enforced by browsers; it is not access control on the server.\n")
	}
}

func snippet(s string) string {
	if s == "" {
		return "(empty)"
	}
	if len(s) > 80 {
		s = s[:77] + "…"
	}
	return fmt.Sprintf("%q", s)
}
