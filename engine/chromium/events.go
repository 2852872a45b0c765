package chromium

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
)

// The recorder decodes the raw CDP events itself, into plain strings: cdproto
// refuses enum values it does not know (Chromium renamed CorsError values in
// 148), and an event it cannot decode would be lost.

type wireHeaders map[string]string

type initiator struct {
	Type      string `json:"type"`
	RequestID string `json:"requestId"`
}

type wireRequest struct {
	URL      string      `json:"url"`
	Method   string      `json:"method"`
	Headers  wireHeaders `json:"headers"`
	PostData string      `json:"postData"`
}

type wireResponse struct {
	URL        string      `json:"url"`
	Status     int         `json:"status"`
	StatusText string      `json:"statusText"`
	Headers    wireHeaders `json:"headers"`
	FromCache  bool        `json:"fromDiskCache"`
	Protocol   string      `json:"protocol"`
}

type corsErrorStatus struct {
	CorsError       string `json:"corsError"`
	FailedParameter string `json:"failedParameter"`
}

type evRequestWillBeSent struct {
	RequestID        string        `json:"requestId"`
	Request          wireRequest   `json:"request"`
	Initiator        initiator     `json:"initiator"`
	Type             string        `json:"type"`
	RedirectResponse *wireResponse `json:"redirectResponse"`
}

type evRequestExtra struct {
	RequestID  string      `json:"requestId"`
	Headers    wireHeaders `json:"headers"`
	Associated []struct {
		Cookie struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"cookie"`
		BlockedReasons []string `json:"blockedReasons"`
	} `json:"associatedCookies"`
	ClientSecurityState *clientSecurityState `json:"clientSecurityState"`
}

type evResponseReceived struct {
	RequestID string       `json:"requestId"`
	Type      string       `json:"type"`
	Response  wireResponse `json:"response"`
}

type evResponseExtra struct {
	RequestID      string      `json:"requestId"`
	StatusCode     int         `json:"statusCode"`
	Headers        wireHeaders `json:"headers"`
	HeadersText    string      `json:"headersText"`
	BlockedCookies []struct {
		BlockedReasons []string `json:"blockedReasons"`
		CookieLine     string   `json:"cookieLine"`
	} `json:"blockedCookies"`
	ResourceIPAddressSpace string `json:"resourceIPAddressSpace"`
}

type evLoadingFinished struct {
	RequestID string `json:"requestId"`
}

type evLoadingFailed struct {
	RequestID       string           `json:"requestId"`
	Type            string           `json:"type"`
	ErrorText       string           `json:"errorText"`
	Canceled        bool             `json:"canceled"`
	BlockedReason   string           `json:"blockedReason"`
	CorsErrorStatus *corsErrorStatus `json:"corsErrorStatus"`
}

type evLogEntry struct {
	Entry struct {
		Source           string `json:"source"`
		Level            string `json:"level"`
		Text             string `json:"text"`
		URL              string `json:"url"`
		NetworkRequestID string `json:"networkRequestId"`
	} `json:"entry"`
}

type evIssueAdded struct {
	Issue struct {
		Code    string `json:"code"`
		Details struct {
			Cors        *corsIssueDetails `json:"corsIssueDetails"`
			Deprecation *struct {
				Type string `json:"type"`
			} `json:"deprecationIssueDetails"`
		} `json:"details"`
	} `json:"issue"`
}

// corsIssueDetails is an Audits CorsIssue's details.
type corsIssueDetails struct {
	CorsErrorStatus        corsErrorStatus      `json:"corsErrorStatus"`
	IsWarning              bool                 `json:"isWarning"`
	ClientSecurityState    *clientSecurityState `json:"clientSecurityState"`
	ResourceIPAddressSpace string               `json:"resourceIPAddressSpace"`
	Request                struct {
		RequestID string `json:"requestId"`
		URL       string `json:"url"`
	} `json:"request"`
}

// netRequest is everything the browser said about one request id. A
// redirect keeps the id, so one netRequest may span several hops. Events of
// different kinds arrive on different subscriptions and may be handled out of
// order, so each kind is kept in its own field and read together later.
type netRequest struct {
	ID        string
	Initiator initiator
	Type      string
	// Sent has one request per hop, from requestWillBeSent (in order).
	Sent []wireRequest
	// Redirects[i] is the redirect response to Sent[i].
	Redirects []*wireResponse
	// Final is the last response the renderer saw, from responseReceived.
	Final     *wireResponse
	FinalType string
	// Wire has what went on the wire, per hop, in order.
	WireReq  []evRequestExtra
	WireResp []evResponseExtra
	Finished bool
	Failed   *evLoadingFailed
	Seq      int
	// Cached: Network.requestServedFromCache came for this id.
	Cached bool
}

func (n *netRequest) terminal() bool { return n.Finished || n.Failed != nil }

func (n *netRequest) isPreflight() bool { return n.Initiator.Type == "preflight" }

func (n *netRequest) firstURL() string {
	if len(n.Sent) == 0 {
		return ""
	}
	return n.Sent[0].URL
}

// consoleEntry is one Log.entryAdded; Seq orders it among all the
// recorder's sightings.
type consoleEntry struct {
	Source, Level, Text, URL, RequestID string
	Seq                                 int
}

// issue is one Audits.issueAdded, with its sequence number.
type issue struct {
	evIssueAdded
	Seq int
}

// recorder keeps the events of one tab.
type recorder struct {
	mu       sync.Mutex
	seq      int
	requests map[string]*netRequest
	console  []consoleEntry
	issues   []issue
	changed  chan struct{}
}

func newRecorder() *recorder {
	return &recorder{requests: map[string]*netRequest{}, changed: make(chan struct{})}
}

var recordedEvents = []string{
	"Network.requestWillBeSent",
	"Network.requestWillBeSentExtraInfo",
	"Network.responseReceived",
	"Network.responseReceivedExtraInfo",
	"Network.loadingFinished",
	"Network.loadingFailed",
	"Network.requestServedFromCache",
	"Log.entryAdded",
	"Audits.issueAdded",
}

// subscribe starts feeding the session's events into the recorder until ctx ends.
func (r *recorder) subscribe(ctx context.Context, s cdp.Session) {
	for _, method := range recordedEvents {
		ch, cancel := s.Subscribe(method)
		go func() {
			defer cancel()
			for {
				select {
				case <-ctx.Done():
					return
				case raw, ok := <-ch:
					if !ok {
						return
					}
					r.handle(method, raw)
				}
			}
		}()
	}
}

func (r *recorder) req(id string) *netRequest {
	n, ok := r.requests[id]
	if !ok {
		r.seq++
		n = &netRequest{ID: id, Seq: r.seq}
		r.requests[id] = n
	}
	return n
}

func (r *recorder) handle(method string, raw []byte) {
	r.mu.Lock()
	defer func() {
		close(r.changed)
		r.changed = make(chan struct{})
		r.mu.Unlock()
	}()
	switch method {
	case "Network.requestWillBeSent":
		var ev evRequestWillBeSent
		if json.Unmarshal(raw, &ev) != nil {
			return
		}
		n := r.req(ev.RequestID)
		if len(n.Sent) == 0 {
			n.Initiator = ev.Initiator
			n.Type = ev.Type
		}
		if ev.RedirectResponse != nil && len(n.Sent) > 0 {
			resp := *ev.RedirectResponse
			for len(n.Redirects) < len(n.Sent) {
				n.Redirects = append(n.Redirects, nil)
			}
			n.Redirects[len(n.Sent)-1] = &resp
		}
		n.Sent = append(n.Sent, ev.Request)
	case "Network.requestWillBeSentExtraInfo":
		var ev evRequestExtra
		if json.Unmarshal(raw, &ev) != nil {
			return
		}
		n := r.req(ev.RequestID)
		n.WireReq = append(n.WireReq, ev)
	case "Network.responseReceived":
		var ev evResponseReceived
		if json.Unmarshal(raw, &ev) != nil {
			return
		}
		n := r.req(ev.RequestID)
		resp := ev.Response
		n.Final = &resp
		n.FinalType = ev.Type
	case "Network.responseReceivedExtraInfo":
		var ev evResponseExtra
		if json.Unmarshal(raw, &ev) != nil {
			return
		}
		n := r.req(ev.RequestID)
		n.WireResp = append(n.WireResp, ev)
	case "Network.loadingFinished":
		var ev evLoadingFinished
		if json.Unmarshal(raw, &ev) != nil {
			return
		}
		r.req(ev.RequestID).Finished = true
	case "Network.loadingFailed":
		var ev evLoadingFailed
		if json.Unmarshal(raw, &ev) != nil {
			return
		}
		r.req(ev.RequestID).Failed = &ev
	case "Network.requestServedFromCache":
		var ev evLoadingFinished
		if json.Unmarshal(raw, &ev) != nil {
			return
		}
		r.req(ev.RequestID).Cached = true
	case "Log.entryAdded":
		var ev evLogEntry
		if json.Unmarshal(raw, &ev) != nil {
			return
		}
		e := ev.Entry
		r.seq++
		r.console = append(r.console, consoleEntry{Source: e.Source, Level: e.Level, Text: e.Text, URL: e.URL, RequestID: e.NetworkRequestID, Seq: r.seq})
	case "Audits.issueAdded":
		var ev evIssueAdded
		if json.Unmarshal(raw, &ev) != nil {
			return
		}
		r.seq++
		r.issues = append(r.issues, issue{ev, r.seq})
	}
}

// snapshot is a copy of what the recorder holds about one scenario.
type snapshot struct {
	requests []*netRequest // sorted by first sighting
	console  []consoleEntry
	issues   []issue
}

// matching returns the requests whose first URL contains marker, the console
// entries that mention it, and the CORS issues about those requests.
func (r *recorder) matching(marker string) snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s snapshot
	ids := map[string]bool{}
	for _, n := range r.requests {
		if strings.Contains(n.firstURL(), marker) {
			cp := *n
			cp.Sent = append([]wireRequest(nil), n.Sent...)
			cp.Redirects = append([]*wireResponse(nil), n.Redirects...)
			cp.WireReq = append([]evRequestExtra(nil), n.WireReq...)
			cp.WireResp = append([]evResponseExtra(nil), n.WireResp...)
			s.requests = append(s.requests, &cp)
			ids[n.ID] = true
		}
	}
	sortRequests(s.requests)
	for _, c := range r.console {
		if strings.Contains(c.Text, marker) || ids[c.RequestID] {
			s.console = append(s.console, c)
		}
	}
	for _, is := range r.issues {
		if d := is.Issue.Details.Cors; d != nil && (ids[d.Request.RequestID] || strings.Contains(d.Request.URL, marker)) {
			s.issues = append(s.issues, is)
		}
	}
	return s
}

func sortRequests(rs []*netRequest) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].Seq < rs[j-1].Seq; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// wait blocks until done reports true on a snapshot, or until the deadline.
func (r *recorder) wait(ctx context.Context, marker string, deadline time.Time, done func(snapshot) bool) snapshot {
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		s := r.matching(marker)
		if done(s) {
			return s
		}
		d := time.Until(deadline)
		if d <= 0 {
			return s
		}
		// Some conditions are about time passing, not events: look again soon.
		t := time.NewTimer(min(d, 5*time.Millisecond))
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return r.matching(marker)
		}
		t.Stop()
	}
}

// now is the sequence number of the latest sighting.
func (r *recorder) now() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seq
}

// forget drops everything about a marker, so the maps do not grow without end.
func (r *recorder) forget(marker string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := map[string]bool{}
	for id, n := range r.requests {
		if strings.Contains(n.firstURL(), marker) {
			ids[id] = true
			delete(r.requests, id)
		}
	}
	keep := r.console[:0]
	for _, c := range r.console {
		if !strings.Contains(c.Text, marker) && !ids[c.RequestID] {
			keep = append(keep, c)
		}
	}
	r.console = keep
	keepIssues := r.issues[:0]
	for _, is := range r.issues {
		if d := is.Issue.Details.Cors; d != nil && (ids[d.Request.RequestID] || strings.Contains(d.Request.URL, marker)) {
			continue
		}
		keepIssues = append(keepIssues, is)
	}
	r.issues = keepIssues
}
