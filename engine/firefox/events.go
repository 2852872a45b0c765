package firefox

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/corslab/corslab/engine"
)

// BiDi's network events carry these parts
// (https://w3c.github.io/webdriver-bidi/#module-network).
type (
	bidiValue struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	bidiHeader struct {
		Name  string    `json:"name"`
		Value bidiValue `json:"value"`
	}
	bidiRequest struct {
		Request string       `json:"request"`
		URL     string       `json:"url"`
		Method  string       `json:"method"`
		Headers []bidiHeader `json:"headers"`
		Cookies []struct {
			Name  string    `json:"name"`
			Value bidiValue `json:"value"`
		} `json:"cookies"`
		// InitiatorType is null for a preflight, "fetch" or
		// "xmlhttprequest" for the page's request.
		InitiatorType *string `json:"initiatorType"`
	}
	bidiResponse struct {
		URL        string       `json:"url"`
		Status     int          `json:"status"`
		StatusText string       `json:"statusText"`
		FromCache  bool         `json:"fromCache"`
		Headers    []bidiHeader `json:"headers"`
	}
	netEvent struct {
		Context       string        `json:"context"`
		RedirectCount int           `json:"redirectCount"`
		Request       bidiRequest   `json:"request"`
		Response      *bidiResponse `json:"response"`
		ErrorText     string        `json:"errorText"`
	}
	logEvent struct {
		Type  string `json:"type"`
		Level string `json:"level"`
		Text  string `json:"text"`
	}
	messageEvent struct {
		Channel string    `json:"channel"`
		Data    bidiValue `json:"data"`
	}
)

// corsMessage is one CORS message of Firefox's console service, as the
// privileged listener passes it on: Category is the message key
// (CORSMissingAllowOrigin2), Flags 1 marks a warning.
type corsMessage struct {
	Category string `json:"category"`
	Text     string `json:"text"`
	Flags    int    `json:"flags"`
}

// netRequest is one request id's events: a redirect keeps the id, each hop
// is a beforeRequestSent.
type netRequest struct {
	id        string
	hops      []engine.Hop
	preflight bool
	done      bool
	errorText string
	cookies   []string
}

// url is the request's first URL.
func (n *netRequest) url() string {
	if len(n.hops) == 0 {
		return ""
	}
	return n.hops[0].URL
}

type seqConsole struct {
	seq int
	e   engine.ConsoleEntry
}

type seqCORS struct {
	seq int
	m   corsMessage
}

// recorder keeps the browser's events, browser-wide: BiDi subscriptions are
// per session, and every request of a scenario carries its unique marker.
type recorder struct {
	mu      sync.Mutex
	seq     int
	reqs    map[string]*netRequest
	order   []*netRequest
	console []seqConsole
	cors    []seqCORS
	changed chan struct{}
}

func newRecorder() *recorder {
	return &recorder{reqs: map[string]*netRequest{}, changed: make(chan struct{})}
}

// event takes one BiDi event.
func (r *recorder) event(method string, params json.RawMessage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	switch method {
	case "network.beforeRequestSent", "network.responseStarted", "network.responseCompleted", "network.fetchError":
		var e netEvent
		if json.Unmarshal(params, &e) != nil {
			return
		}
		r.network(method, e)
	case "log.entryAdded":
		var e logEvent
		if json.Unmarshal(params, &e) != nil {
			return
		}
		r.console = append(r.console, seqConsole{r.seq, engine.ConsoleEntry{Source: e.Type, Level: e.Level, Text: e.Text}})
	case "script.message":
		var e messageEvent
		if json.Unmarshal(params, &e) != nil || e.Channel != corsChannel {
			return
		}
		var m corsMessage
		if json.Unmarshal([]byte(e.Data.Value), &m) == nil {
			r.cors = append(r.cors, seqCORS{r.seq, m})
		}
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// network records one network event.
func (r *recorder) network(method string, e netEvent) {
	n := r.reqs[e.Request.Request]
	if n == nil {
		n = &netRequest{id: e.Request.Request}
		r.reqs[n.id] = n
		r.order = append(r.order, n)
	}
	switch method {
	case "network.beforeRequestSent":
		if len(n.hops) > e.RedirectCount {
			return // already seen
		}
		h := engine.Hop{Method: e.Request.Method, URL: e.Request.URL, Headers: pairs(e.Request.Headers)}
		n.hops = append(n.hops, h)
		if len(n.hops) == 1 {
			n.preflight = isPreflight(e.Request)
			for _, c := range e.Request.Cookies {
				n.cookies = append(n.cookies, c.Name+"="+c.Value.Value)
			}
		}
	case "network.responseStarted", "network.responseCompleted":
		if e.Response == nil || len(n.hops) == 0 {
			return
		}
		n.hops[len(n.hops)-1].Response = &engine.Response{Status: e.Response.Status, Headers: pairs(e.Response.Headers), FromCache: e.Response.FromCache}
		if method == "network.responseCompleted" && !isRedirect(e.Response.Status) {
			n.done = true
		}
	case "network.fetchError":
		n.done, n.errorText = true, e.ErrorText
	}
}

func isRedirect(status int) bool {
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308
}

// isPreflight: Firefox's preflight is an OPTIONS request with
// Access-Control-Request-Method and no initiator type (the page's own
// request has "fetch" or "xmlhttprequest").
func isPreflight(r bidiRequest) bool {
	if r.Method != "OPTIONS" || r.InitiatorType != nil {
		return false
	}
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, "Access-Control-Request-Method") {
			return true
		}
	}
	return false
}

func pairs(hs []bidiHeader) [][2]string {
	out := make([][2]string, 0, len(hs))
	for _, h := range hs {
		out = append(out, [2]string{h.Name, h.Value.Value})
	}
	return out
}

// snapshot is what the recorder holds about one marker.
type snapshot struct {
	requests []*netRequest
	console  []seqConsole
	cors     []seqCORS
}

// matching copies what is recorded about marker. Requests are copied, so
// the snapshot can be read without the lock.
func (r *recorder) matching(marker string) snapshot {
	var sn snapshot
	for _, n := range r.order {
		if strings.Contains(n.url(), marker) {
			c := *n
			c.hops = append([]engine.Hop(nil), n.hops...)
			sn.requests = append(sn.requests, &c)
		}
	}
	for _, c := range r.console {
		if strings.Contains(c.e.Text, marker) {
			sn.console = append(sn.console, c)
		}
	}
	for _, c := range r.cors {
		if strings.Contains(c.m.Text, marker) {
			sn.cors = append(sn.cors, c)
		}
	}
	return sn
}

// now is the sequence number of the last event.
func (r *recorder) now() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seq
}

// wait returns the marker's snapshot once done says it is complete, or at
// deadline, or when ctx ends.
func (r *recorder) wait(ctx context.Context, marker string, deadline time.Time, done func(snapshot) bool) snapshot {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		r.mu.Lock()
		sn := r.matching(marker)
		changed := r.changed
		r.mu.Unlock()
		if done(sn) {
			return sn
		}
		select {
		case <-changed:
		case <-tick.C: // time-based conditions (graces)
		case <-timer.C:
			return sn
		case <-ctx.Done():
			return sn
		}
	}
}

// forget drops what is recorded about marker.
func (r *recorder) forget(marker string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keep := r.order[:0]
	for _, n := range r.order {
		if strings.Contains(n.url(), marker) {
			delete(r.reqs, n.id)
			continue
		}
		keep = append(keep, n)
	}
	r.order = keep
	console := r.console[:0]
	for _, c := range r.console {
		if !strings.Contains(c.e.Text, marker) {
			console = append(console, c)
		}
	}
	r.console = console
	cors := r.cors[:0]
	for _, c := range r.cors {
		if !strings.Contains(c.m.Text, marker) {
			cors = append(cors, c)
		}
	}
	r.cors = cors
}
