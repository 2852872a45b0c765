package report

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// leg is one request of the exchange and the answer to it.
type leg struct {
	preflight bool
	req       *harness.Message
	resp      *harness.Message
	// journal is bar's journal entry of this request, when it arrived.
	journal *servers.Entry
}

func legsOf(o *harness.Observation) []leg {
	var legs []leg
	ex := o.Exchange
	for i := 0; i < len(ex); i++ {
		m := ex[i]
		if strings.HasSuffix(m.Kind, "response") {
			continue
		}
		l := leg{preflight: strings.HasPrefix(m.Kind, "preflight"), req: &ex[i]}
		if i+1 < len(ex) && strings.HasSuffix(ex[i+1].Kind, "response") {
			l.resp = &ex[i+1]
			i++
		}
		legs = append(legs, l)
	}
	// Match journal entries to legs, in order, by method and kind.
	used := make([]bool, len(o.Requests))
	for li := range legs {
		method, _, _ := strings.Cut(legs[li].req.Line, " ")
		for ji := range o.Requests {
			e := &o.Requests[ji]
			if used[ji] || e.Preflight != legs[li].preflight || e.Method != method {
				continue
			}
			used[ji] = true
			legs[li].journal = e
			break
		}
	}
	// A request whose wire headers CDP did not report (no Host line): show
	// it as bar received it.
	for li := range legs {
		if legs[li].journal != nil && headerValue(legs[li].req.Headers, "Host") == "" {
			m := journalMessage(legs[li].journal)
			m.Kind = legs[li].req.Kind
			legs[li].req = m
		}
	}
	// Requests bar received that CDP did not report: show them from the journal.
	for ji := range o.Requests {
		if used[ji] {
			continue
		}
		e := &o.Requests[ji]
		legs = append(legs, leg{preflight: e.Preflight, req: journalMessage(e), journal: e})
	}
	// Preflights first, as they went out.
	sort.SliceStable(legs, func(i, j int) bool { return legs[i].preflight && !legs[j].preflight })
	return legs
}

func journalMessage(e *servers.Entry) *harness.Message {
	kind := "request"
	if e.Preflight {
		kind = "preflight request"
	}
	m := &harness.Message{Kind: kind, Line: e.Method + " " + e.Path + " HTTP/1.1", URL: "http://" + e.Host + e.Path}
	m.Headers = append([][2]string{{"Host", e.Host}}, headerPairs(e.Headers)...)
	return m
}

func lastAnswered(act []leg) int {
	last := -1
	for i, l := range act {
		if l.resp != nil {
			last = i
		}
	}
	return last
}

func headerNames(h scenarios.Headers) []string {
	var out []string
	for _, x := range h {
		out = append(out, x.Name)
	}
	return out
}

// serverName is the lab label of the host a request went to ("bar", "baz").
func serverName(m *harness.Message) string {
	host := headerValue(m.Headers, "Host")
	if host == "" {
		if u, err := url.Parse(m.URL); err == nil {
			host = u.Host
		}
	}
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if label, ok := strings.CutSuffix(h, ".localhost"); ok && label != "" {
		return label
	}
	if h == "" {
		return "bar"
	}
	return h
}

func statusLabel(m *harness.Message) string {
	s := fmt.Sprint(m.Status)
	if t := http.StatusText(m.Status); t != "" {
		s += " " + t
	}
	return s
}

// headerPairs lists a header map as name/value pairs, names sorted, one pair
// per line.
func headerPairs(h http.Header) [][2]string {
	var out [][2]string
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

// headerList is the page's headers as a header list, one line per value.
func headerList(h scenarios.Headers) fetchspec.HeaderList {
	var l fetchspec.HeaderList
	for _, x := range h {
		for _, v := range x.Values {
			l = append(l, fetchspec.Header{Name: x.Name, Value: v})
		}
	}
	return l
}
