package report

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// DefaultSpec is the link shown when a scenario names no section.
const DefaultSpec = "https://fetch.spec.whatwg.org/#http-cors-protocol"

// Story is the explanation of one scenario's run. Everything in it is taken
// from the run's observations (the wire messages from CDP, bar's journal,
// what the page read and what Chromium said); the scenario contributes only
// what the page asked for, the expectation and the lesson.
type Story struct {
	Name       string
	Group      string
	Lesson     string
	Spec       string
	Divergence bool
	// Verdict is pass, fail or error; Mismatches and Error as in the Result.
	Verdict    string
	Mismatches []string
	Error      string
	Steps      []StepStory
}

// StepStory is the explanation of one request.
type StepStory struct {
	// Expect is what the scenario expected of this request.
	Expect scenarios.Expect
	// Obs is the observation; nil when the harness could not observe it.
	Obs *harness.Observation
	// Beats are the numbered events, in order.
	Beats []Beat
	// Outcome is allowed or blocked (observed).
	Outcome string
	// Passed says whether the observation matched the expectation.
	Passed bool
	// VerdictText is "allowed." or "blocked, as expected, because …".
	VerdictText string
	// Console is Chromium's console sentence about the request.
	Console string
	// ReachedButBlocked says the server did the work while the page was
	// refused the answer; empty otherwise.
	ReachedButBlocked string
	// Why is one or two sentences; Fix the header lines to send; FixIf
	// qualifies the fix when the scenario expects the block.
	Why   string
	Fix   []string
	FixIf string
	// Mismatches and Error of this step.
	Mismatches []string
	Error      string
}

// Beat is one numbered event of the exchange.
type Beat struct {
	// From and To are "page", "chromium" or "bar" for an arrow; empty for a
	// note (From only: where the note is drawn).
	From, To string
	// Title is the sentence that heads the beat.
	Title string
	// Label is the few words written on the arrow in a diagram.
	Label string
	// Message is the HTTP message, when the beat is one.
	Message *harness.Message
	// Checks are Chromium's checks of an answer.
	Checks []Check
	// Failed marks a beat that went wrong (a refused answer, a request never sent).
	Failed bool
}

// Check is one check the browser makes on an answer.
type Check struct {
	// State is "ok", "fail" or "skip" (not checked: an earlier check failed).
	State string
	Text  string
}

// Check states.
const (
	CheckOK   = "ok"
	CheckFail = "fail"
	CheckSkip = "skip"
)

// NewStory builds the explanation of a result.
func NewStory(res harness.Result) Story {
	sc := res.Scenario
	s := Story{
		Name: sc.Name, Group: sc.Group, Lesson: strings.Join(strings.Fields(sc.Lesson), " "), Spec: sc.Spec,
		Divergence: sc.Divergence.Any(), Verdict: res.Verdict, Mismatches: res.Mismatches, Error: res.Error,
	}
	if s.Spec == "" {
		s.Spec = DefaultSpec
	}
	steps := sc.RequestSteps()
	for i, sr := range res.Steps {
		var st scenarios.Step
		if i < len(steps) {
			st = steps[i]
		}
		s.Steps = append(s.Steps, newStepStory(st, sr))
	}
	return s
}

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

func newStepStory(st scenarios.Step, sr harness.StepResult) StepStory {
	ss := StepStory{Expect: sr.Expect, Obs: sr.Observed, Mismatches: sr.Mismatches, Error: sr.Error}
	ss.Passed = sr.Error == "" && len(sr.Mismatches) == 0
	o := sr.Observed
	r := st.Request
	method := harness.NormalizeMethod(r.Method)
	if method == "" {
		method = "GET"
	}
	if o == nil {
		ss.VerdictText = "not observed: " + sr.Error
		return ss
	}
	ss.Outcome = o.Outcome
	ss.Console = o.Console
	creds := r.Credentials == "include"
	crossOrigin := !sameOriginURL(o.Page, o.URL)
	cors := r.Mode != "no-cors" && r.Mode != "same-origin"

	// ① the call.
	ss.Beats = append(ss.Beats, Beat{From: "page", To: "chromium", Title: pageCall(o, r, method), Label: callLabel(r, method)})

	legs := legsOf(o)
	var pre []leg
	var act []leg
	for _, l := range legs {
		if l.preflight {
			pre = append(pre, l)
		} else {
			act = append(act, l)
		}
	}
	pageHeaders := headerNames(r.Headers)
	in := WhyInput{
		CorsError: o.CorsError, FailedParameter: o.FailedParameter, PageOrigin: o.Page, Page: o.Page, Method: method,
		PageHeaders: pageHeaders, PageValues: map[string]string{}, Credentials: creds, Mode: r.Mode, Redirect: r.Redirect, URL: o.URL,
		TargetSpace: targetSpace(o),
	}
	for _, h := range r.Headers {
		if len(h.Values) > 0 {
			in.PageValues[strings.ToLower(h.Name)] = strings.Join(h.Values, ", ")
		}
	}

	// ② preflight or not, and why.
	preflightFailed := o.CorsError != "" && IsPreflightError(o.CorsError)
	if len(pre) == 0 {
		note := "no preflight"
		switch {
		case !crossOrigin:
			note = "same origin: no CORS"
		case r.Mode == "no-cors":
			note = "no-cors: no preflight"
		case r.Mode == "same-origin":
			note = "mode same-origin: refused"
		case o.PreflightCached:
			note = "preflight from the cache"
		}
		ss.Beats = append(ss.Beats, Beat{From: "chromium", Title: noPreflightReason(o, r, method, crossOrigin), Label: note})
	}
	for i, l := range pre {
		title := "Chromium sends a preflight, " + preflightReason(l.req, r)
		if i > 0 {
			title = "Chromium sends another preflight"
		}
		ss.Beats = append(ss.Beats, Beat{From: "chromium", To: "bar", Title: title, Label: "OPTIONS (preflight)", Message: l.req})
		if l.resp == nil {
			b := Beat{From: "bar", Title: "bar's answer to the preflight never reached the browser's CORS check"}
			if lnaErrors[o.CorsError] && l.journal == nil {
				b.Title = "bar never receives the preflight: Local Network Access stops it after the connection, before its first byte"
			}
			if l.journal != nil && l.journal.Status != 0 {
				b.Title = fmt.Sprintf("bar answered %d (from bar's journal; the browser reported no answer)", l.journal.Status)
			}
			ss.Beats = append(ss.Beats, b)
			continue
		}
		ss.Beats = append(ss.Beats, Beat{From: "bar", To: "chromium", Title: "bar answers the preflight", Label: statusLabel(l.resp), Message: l.resp})
		in.Preflight, in.PreflightStatus, in.Server = l.resp.Headers, l.resp.Status, serverName(l.req)
		if sent := headerValue(l.req.Headers, "Origin"); sent != "" {
			in.PageOrigin = sent
		}
		if i == len(pre)-1 {
			checks := preflightChecks(l, o, method, creds, preflightFailed)
			title := "Chromium checks the answer"
			failed := false
			for _, c := range checks {
				if c.State == CheckFail {
					failed = true
				}
			}
			if failed {
				title += ": the preflight fails, so the actual request is not sent"
			} else {
				title += ": the preflight passes"
			}
			ss.Beats = append(ss.Beats, Beat{From: "chromium", Title: title, Checks: checks, Failed: failed})
		}
	}

	// ⑤ the actual request, hop by hop.
	sent := 0
	for i, l := range act {
		reached := l.resp != nil || l.journal != nil
		if !reached {
			continue
		}
		sent++
		title := "Chromium sends the actual request"
		if i > 0 {
			title = "Chromium follows the redirect"
		}
		label, _, _ := strings.Cut(l.req.Line, " ")
		server := serverName(l.req)
		if server != "bar" {
			title += " to " + server
		}
		ss.Beats = append(ss.Beats, Beat{From: "chromium", To: "bar", Title: title, Label: label, Message: l.req})
		if l.resp == nil {
			b := Beat{From: "bar", Title: "no answer reached the browser"}
			if l.journal != nil && l.journal.Status != 0 {
				b = Beat{From: "bar", To: "chromium", Label: fmt.Sprint(l.journal.Status), Title: fmt.Sprintf("%s answered %d (from the lab's journal; the browser reported no answer)", server, l.journal.Status)}
			}
			ss.Beats = append(ss.Beats, b)
			continue
		}
		t := server + " answers"
		if l.resp.Kind == "redirect response" {
			t = server + " answers with a redirect"
			if loc := headerValue(l.resp.Headers, "Location"); loc != "" {
				t += " to " + loc
			}
		}
		ss.Beats = append(ss.Beats, Beat{From: "bar", To: "chromium", Title: t, Label: statusLabel(l.resp), Message: l.resp})
		in.Response, in.ResponseStatus, in.Server = l.resp.Headers, l.resp.Status, server
		if sent := headerValue(l.req.Headers, "Origin"); sent != "" {
			// After a cross-origin redirect the browser sends Origin: null,
			// and the answer is checked against what was sent.
			in.PageOrigin = sent
		}
		{
			// Chromium checks every answer of a CORS request, redirects
			// included; a response-stage error is about the last answer.
			last := i == lastAnswered(act)
			if checks, ok := responseChecks(l, o, in.PageOrigin, creds, crossOrigin, cors, preflightFailed || !last); ok {
				failed := false
				for _, c := range checks {
					if c.State == CheckFail {
						failed = true
					}
				}
				title := "Chromium checks the answer"
				switch {
				case failed:
					title += ": it fails, so the page may not read it"
				case !last:
					title += ": it passes, so Chromium follows the redirect"
				case o.Outcome == scenarios.OutcomeAllowed:
					title += ": it passes, so the page may read it"
				}
				ss.Beats = append(ss.Beats, Beat{From: "chromium", Title: title, Checks: checks, Failed: failed})
			}
		}
	}
	if sent == 0 {
		b := Beat{From: "chromium", Failed: true, Title: fmt.Sprintf("The actual %s is never sent: bar's journal has no %s for this path.", method, method)}
		lna, isLNA := lnaBeat(o, method)
		switch {
		case isLNA:
			b = lna
		case o.CorsError != "" && !preflightFailed:
			// A CORS check failed on an answer bar never gave for this
			// request: the browser took it from its HTTP cache.
			b = Beat{From: "chromium", Failed: true, Label: "answer from the HTTP cache",
				Title: fmt.Sprintf("Nothing reaches bar (its journal has no %s for this path), yet Chromium checked an answer: one stored in its HTTP cache by an earlier request", method)}
			ss.Beats = append(ss.Beats, b)
			wf := Why(in)
			b = Beat{From: "chromium", Failed: true, Title: "Chromium checks the stored answer: it fails, so the page may not read it", Checks: []Check{{State: CheckFail, Text: wf.Short}}}
		case len(pre) == 0 && len(o.Requests) == 0:
			b.Title = "Nothing reaches bar: the browser refused the request before sending it."
		}
		ss.Beats = append(ss.Beats, b)
	}

	// The page's side.
	final := Beat{From: "chromium", To: "page"}
	if o.Outcome == scenarios.OutcomeAllowed {
		final.Label = fmt.Sprintf("Response %d", o.Status)
		if o.ResponseType != "" {
			final.Label += " (" + o.ResponseType + ")"
		}
		final.Title = "The page gets the response: " + pageRead(o)
	} else {
		final.Failed = true
		final.Label = "TypeError"
		final.Title = "The page gets only a network error"
		if o.JSError != "" {
			final.Title += ": " + o.JSError
		}
	}
	ss.Beats = append(ss.Beats, final)

	// Verdict, why and fix.
	var wf WhyFix
	if o.CorsError != "" {
		wf = Why(in)
	}
	switch {
	case o.Outcome == scenarios.OutcomeBlocked && o.CorsError != "":
		ss.Why, ss.Fix = wf.Why, wf.Fix
	case o.Outcome == scenarios.OutcomeBlocked:
		ss.Why = blockedWithoutCorsError(o, r)
	default:
		ss.Why = allowedWhy(o, in, crossOrigin, r)
		ss.Fix = exposeFix(o, in)
	}
	if o.Outcome == scenarios.OutcomeBlocked && sr.Expect.Outcome == scenarios.OutcomeBlocked && len(ss.Fix) > 0 {
		ss.FixIf = fmt.Sprintf("only if bar means to let %s read this", o.Page)
		if wf.Check == "request" {
			ss.FixIf = "only if the page means to read bar's answer"
		}
	}
	if o.Outcome == scenarios.OutcomeAllowed && len(ss.Fix) > 0 {
		ss.FixIf = "only if the page needs to read those headers"
	}
	if o.Outcome == scenarios.OutcomeBlocked && o.ReachedServer {
		if a := o.ActualEntry(); a != nil {
			ss.ReachedButBlocked = fmt.Sprintf("bar received the %s and answered %d: the server did the work (and any change it makes has happened); only the reading was refused.", a.Method, a.Status)
		}
	}
	ss.VerdictText = verdictText(ss, wf)
	if sr.Error != "" {
		// The harness could not observe the request to its end: say so
		// rather than explain a half observation.
		ss.VerdictText = "not observed to the end: " + sr.Error
		ss.Why, ss.Fix, ss.FixIf, ss.ReachedButBlocked = "", nil, "", ""
	}
	return ss
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

func verdictText(ss StepStory, wf WhyFix) string {
	o := ss.Obs
	var b strings.Builder
	b.WriteString(o.Outcome)
	expected := ss.Expect.Outcome
	if ss.Passed && expected == o.Outcome {
		b.WriteString(", as expected")
	}
	if o.Outcome == scenarios.OutcomeBlocked {
		switch {
		case wf.Short != "":
			b.WriteString(", because " + wf.Short)
		case o.NetError != "":
			b.WriteString(" (" + o.NetError + ")")
		}
		if o.Console != "" {
			b.WriteString(" — Chromium says: \"" + o.Console + "\"")
		}
	} else {
		fmt.Fprintf(&b, ": the page read status %d", o.Status)
		if o.ResponseType != "" {
			b.WriteString(" (" + o.ResponseType + ")")
		}
	}
	return b.String()
}

// sameOriginURL reports whether rawURL is on origin.
func sameOriginURL(origin, rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	return origin == u.Scheme+"://"+u.Host
}

func headerNames(h scenarios.Headers) []string {
	var out []string
	for _, x := range h {
		out = append(out, x.Name)
	}
	return out
}

func jsString(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `'`, `\'`)
	s = strings.ReplaceAll(s, "\n", `\n`)
	s = strings.ReplaceAll(s, "\r", `\r`)
	if len(s) > 60 {
		s = s[:57] + "…"
	}
	return "'" + s + "'"
}

func pageCall(o *harness.Observation, r scenarios.Request, method string) string {
	who := "The page on " + o.Page
	if o.Page == "null" {
		who = "The page in a sandboxed frame (origin null)"
	}
	if scenarios.IsElement(r.API) {
		return elementCall(who, o, r)
	}
	if r.API == "xhr" {
		parts := []string{fmt.Sprintf("open(%s, %s)", jsString(r.Method), jsString(o.URL))}
		if r.Method == "" {
			parts[0] = fmt.Sprintf("open('GET', %s)", jsString(o.URL))
		}
		for _, h := range r.Headers {
			for _, v := range h.Values {
				parts = append(parts, fmt.Sprintf("setRequestHeader(%s, %s)", jsString(h.Name), jsString(v)))
			}
		}
		if r.Credentials == "include" {
			parts = append(parts, "withCredentials = true")
		}
		if r.Body != "" {
			parts = append(parts, "send("+jsString(r.Body)+")")
		} else {
			parts = append(parts, "send()")
		}
		return who + " uses XMLHttpRequest: " + strings.Join(parts, ", ")
	}
	var init []string
	if r.Method != "" && r.Method != "GET" {
		init = append(init, "method: "+jsString(r.Method))
	}
	if len(r.Headers) > 0 {
		var hs []string
		for _, h := range r.Headers {
			for _, v := range h.Values {
				hs = append(hs, jsString(h.Name)+": "+jsString(v))
			}
		}
		init = append(init, "headers: {"+strings.Join(hs, ", ")+"}")
	}
	if r.Body != "" {
		init = append(init, "body: "+jsString(r.Body))
	}
	if r.Credentials != "" {
		init = append(init, "credentials: "+jsString(r.Credentials))
	}
	if r.Mode != "" {
		init = append(init, "mode: "+jsString(r.Mode))
	}
	if r.Redirect != "" {
		init = append(init, "redirect: "+jsString(r.Redirect))
	}
	call := "fetch(" + jsString2(o.URL)
	if len(init) > 0 {
		call += ", {" + strings.Join(init, ", ") + "}"
	}
	return who + " calls " + call + ")"
}

// jsString2 quotes without shortening (for URLs).
func jsString2(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func callLabel(r scenarios.Request, method string) string {
	if scenarios.IsElement(r.API) {
		return elementLabel(r)
	}
	if r.API == "xhr" {
		return "XHR " + method
	}
	return "fetch " + method
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

// preflightReason says why a preflight went out, from the preflight request
// on the wire (Access-Control-Request-Method and -Headers).
func preflightReason(req *harness.Message, r scenarios.Request) string {
	m := headerValue(req.Headers, "Access-Control-Request-Method")
	var reasons []string
	if m != "" && !harness.IsSafelistedMethod(m) {
		reasons = append(reasons, m+" is not a CORS-safelisted method")
	}
	var plain []string
	for _, name := range tokens(headerValue(req.Headers, "Access-Control-Request-Headers")) {
		spelled := pageSpelling(headerNames(r.Headers), name)
		if v := r.Headers.Get(name); len(v) > 0 && isSafelistName(name) {
			reasons = append(reasons, fmt.Sprintf("%s: %s is not a safelisted value", spelled, v[0]))
			continue
		}
		plain = append(plain, spelled)
	}
	switch len(plain) {
	case 0:
	case 1:
		reasons = append(reasons, plain[0]+" is not a safelisted header")
	default:
		reasons = append(reasons, strings.Join(plain, ", ")+" are not safelisted headers")
	}
	if len(reasons) == 0 {
		return "although the method and headers are safelisted (Access-Control-Request-Method: " + m + ")"
	}
	return "because " + strings.Join(reasons, " and ")
}

func isSafelistName(name string) bool {
	switch strings.ToLower(name) {
	case "accept", "accept-language", "content-language", "content-type", "range":
		return true
	}
	return false
}

func noPreflightReason(o *harness.Observation, r scenarios.Request, method string, crossOrigin bool) string {
	switch {
	case !crossOrigin:
		return "No preflight and no CORS check: the page and the URL are on the same origin."
	case r.Mode == "no-cors":
		return "No preflight: a no-cors request never has one; at best the page gets an opaque response it cannot read."
	case r.Mode == "same-origin":
		return "No preflight: with mode \"same-origin\" a request to another origin is refused outright, before anything is sent."
	case o.PreflightCached:
		return "No preflight goes out, although the request needs one (" + needReasons(r, method) + "): Chromium answers it from its preflight cache, filled by an earlier preflight's Access-Control-Max-Age."
	}
	if harness.NeedsPreflight(method, r.Headers) && o.Outcome == scenarios.OutcomeAllowed {
		return "No preflight was seen, although by the Fetch rules the request needs one (" + needReasons(r, method) + ")."
	}
	if harness.NeedsPreflight(method, r.Headers) {
		return "No preflight goes out."
	}
	s := "No preflight: " + method + " is a CORS-safelisted method"
	if len(r.Headers) == 0 {
		s += " and the page sets no headers"
	} else {
		s += " and every header the page sets (" + strings.Join(headerNames(r.Headers), ", ") + ") is safelisted"
	}
	return s + ", so this is a \"simple\" request: it needs no preflight, only an Origin header naming the page's origin."
}

func needReasons(r scenarios.Request, method string) string {
	var reasons []string
	if !harness.IsSafelistedMethod(method) {
		reasons = append(reasons, method+" is not safelisted")
	}
	for _, n := range harness.UnsafeHeaderNames(r.Headers) {
		reasons = append(reasons, pageSpelling(headerNames(r.Headers), n)+" is not safelisted")
	}
	return strings.Join(reasons, ", ")
}

// reconcile sets the states of checks computed from headers against what
// Chromium did: failedAt is the index of the check Chromium's CorsError
// names (-1: none). A failed check stops the checking; when Chromium
// accepted the answer every check is shown as passed.
func reconcile(checks []Check, computed []bool, failedAt int, failText string) []Check {
	for i := range checks {
		switch {
		case failedAt < 0:
			checks[i].State = CheckOK
			if !computed[i] {
				checks[i].Text = "Chromium accepted it, although by the Fetch standard: " + checks[i].Text
			}
		case i < failedAt:
			checks[i].State = CheckOK
		case i == failedAt:
			checks[i].State = CheckFail
			checks[i].Text = failText
		default:
			checks[i].State = CheckSkip
			checks[i].Text += " (not checked)"
		}
	}
	return checks
}

func originCheck(h [][2]string, origin string, creds bool) (string, bool) {
	vals := values(h, "Access-Control-Allow-Origin")
	switch {
	case len(vals) == 0:
		return "no Access-Control-Allow-Origin", false
	case len(vals) > 1:
		return "Access-Control-Allow-Origin has " + fmt.Sprint(len(vals)) + " lines", false
	case vals[0] == origin:
		return "Access-Control-Allow-Origin: " + vals[0] + " matches the request's Origin", true
	case vals[0] == "*" && !creds:
		return "Access-Control-Allow-Origin: * allows every origin (no credentials)", true
	case vals[0] == "*":
		return "Access-Control-Allow-Origin: * with credentials", false
	}
	return "Access-Control-Allow-Origin: " + vals[0] + " is not " + origin, false
}

func values(h [][2]string, name string) []string {
	var out []string
	for _, x := range h {
		if strings.EqualFold(x[0], name) {
			out = append(out, x[1])
		}
	}
	return out
}

func preflightChecks(l leg, o *harness.Observation, method string, creds, failed bool) []Check {
	h := l.resp.Headers
	origin := headerValue(l.req.Headers, "Origin")
	if origin == "" {
		origin = o.Page
	}
	var checks []Check
	var computed []bool
	var kinds []string
	add := func(kind, text string, ok bool) {
		checks = append(checks, Check{Text: text})
		computed = append(computed, ok)
		kinds = append(kinds, kind)
	}
	t, ok := originCheck(h, origin, creds)
	add("origin", t, ok)
	if creds {
		v := headerValue(h, "Access-Control-Allow-Credentials")
		add("credentials", "Access-Control-Allow-Credentials: "+v, v == "true")
	}
	okStatus := l.resp.Status >= 200 && l.resp.Status < 300
	add("status", fmt.Sprintf("%d is an ok status", l.resp.Status), okStatus)
	reqMethod := headerValue(l.req.Headers, "Access-Control-Request-Method")
	if reqMethod == "" {
		reqMethod = method
	}
	allowM := joinedValues(h, "Access-Control-Allow-Methods")
	switch {
	case harness.IsSafelistedMethod(reqMethod):
		add("methods", reqMethod+" is safelisted: it need not be listed", true)
	case hasToken(allowM, reqMethod):
		add("methods", reqMethod+" is listed in Access-Control-Allow-Methods", true)
	case hasToken(allowM, "*") && !creds:
		add("methods", "Access-Control-Allow-Methods: * covers "+reqMethod, true)
	default:
		add("methods", reqMethod+" is not listed in Access-Control-Allow-Methods", false)
	}
	allowH := joinedValues(h, "Access-Control-Allow-Headers")
	for _, name := range tokens(headerValue(l.req.Headers, "Access-Control-Request-Headers")) {
		switch {
		case hasTokenFold(allowH, name):
			add("headers:"+name, name+" is listed in Access-Control-Allow-Headers", true)
		case hasToken(allowH, "*") && !creds && name != "authorization":
			add("headers:"+name, "Access-Control-Allow-Headers: * covers "+name, true)
		default:
			add("headers:"+name, name+" is not listed in Access-Control-Allow-Headers", false)
		}
	}
	failedAt := -1
	failText := ""
	if failed {
		wf := Why(WhyInput{CorsError: o.CorsError, FailedParameter: o.FailedParameter, PageOrigin: origin, Page: o.Page, Server: serverName(l.req), Method: method, Credentials: creds, Preflight: h, PreflightStatus: l.resp.Status})
		failText = wf.Short
		for i, k := range kinds {
			if k == wf.Check || (wf.Check == "headers" && strings.HasPrefix(k, "headers:") && (o.FailedParameter == "" || strings.EqualFold(strings.TrimPrefix(k, "headers:"), o.FailedParameter))) {
				failedAt = i
				break
			}
		}
		if failedAt < 0 {
			checks = append(checks, Check{Text: failText})
			computed = append(computed, false)
			failedAt = len(checks) - 1
		}
	}
	return reconcile(checks, computed, failedAt, failText)
}

// responseChecks are the checks of the actual response (or the redirect
// that failed); ok is false when no CORS check applies.
func responseChecks(l leg, o *harness.Observation, origin string, creds, crossOrigin, cors, preflightFailed bool) ([]Check, bool) {
	if !crossOrigin || !cors {
		return nil, false
	}
	h := l.resp.Headers
	var checks []Check
	var computed []bool
	var kinds []string
	t, ok := originCheck(h, origin, creds)
	if origin != o.Page {
		t += " (after the redirect the request's Origin is " + origin + ")"
	}
	checks, computed, kinds = append(checks, Check{Text: t}), append(computed, ok), append(kinds, "origin")
	if creds {
		v := headerValue(h, "Access-Control-Allow-Credentials")
		checks, computed, kinds = append(checks, Check{Text: "Access-Control-Allow-Credentials: " + v}), append(computed, v == "true"), append(kinds, "credentials")
	}
	failedAt := -1
	failText := ""
	if o.CorsError != "" && !preflightFailed {
		wf := Why(WhyInput{CorsError: o.CorsError, FailedParameter: o.FailedParameter, PageOrigin: origin, Page: o.Page, Server: serverName(l.req), Credentials: creds, Response: h, ResponseStatus: l.resp.Status})
		failText = wf.Short
		for i, k := range kinds {
			if k == wf.Check {
				failedAt = i
			}
		}
		if failedAt < 0 {
			checks = append(checks, Check{Text: failText})
			computed = append(computed, false)
			failedAt = len(checks) - 1
		}
	} else if o.Outcome == scenarios.OutcomeBlocked && !preflightFailed {
		// Blocked for a reason that is not a CORS check of this answer.
		return nil, false
	}
	return reconcile(checks, computed, failedAt, failText), true
}

func pageRead(o *harness.Observation) string {
	s := fmt.Sprintf("status %d", o.Status)
	if o.ResponseType != "" {
		s += ", type " + o.ResponseType
	}
	if o.Body != "" {
		b := o.Body
		if len(b) > 60 {
			b = b[:57] + "…"
		}
		s += fmt.Sprintf(", body %q", b)
	} else {
		s += ", empty body"
	}
	names := make([]string, 0, len(o.ReadableHeaders))
	for k := range o.ReadableHeaders {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) > 0 {
		s += "; readable headers: " + strings.Join(names, ", ")
	} else {
		s += "; no readable headers"
	}
	return s
}

func blockedWithoutCorsError(o *harness.Observation, r scenarios.Request) string {
	var last *harness.Message
	for i := range o.Exchange {
		if strings.HasSuffix(o.Exchange[i].Kind, "response") && !strings.HasPrefix(o.Exchange[i].Kind, "preflight") {
			last = &o.Exchange[i]
		}
	}
	if last != nil && last.Status >= 300 && last.Status < 400 && headerValue(last.Headers, "Location") != "" {
		loc := headerValue(last.Headers, "Location")
		if r.Redirect == "error" {
			return fmt.Sprintf("The page asked for redirect: 'error', and the answer was a %d redirect to %s, so fetch() fails with a network error (%s); this is the page's choice, not a CORS check.", last.Status, loc, o.NetError)
		}
		return fmt.Sprintf("The answer was a %d redirect to %s, and Chromium refused to follow it (%s); this is not a CORS check but a rule about where a redirect may lead.", last.Status, loc, o.NetError)
	}
	switch {
	case len(o.Exchange) == 0 && len(o.Requests) == 0:
		s := "The browser refused the request before sending anything"
		if o.JSError != "" {
			s += " (" + o.JSError + ")"
		}
		return s + ": nothing reached bar, and Chromium reported no CORS error."
	case o.NetError != "":
		return fmt.Sprintf("Chromium failed the request with %s and reported no CORS error.", o.NetError)
	}
	return "The request failed without a CORS error: " + o.JSError
}

// hiddenHeaders lists response header names on the wire the page could not read.
func hiddenHeaders(o *harness.Observation) []string {
	var final *harness.Message
	for i := range o.Exchange {
		if o.Exchange[i].Kind == "response" {
			final = &o.Exchange[i]
		}
	}
	if final == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, h := range final.Headers {
		n := strings.ToLower(h[0])
		if strings.HasPrefix(n, "access-control-") || n == "vary" || n == "set-cookie" || n == "set-cookie2" || n == "connection" || n == "keep-alive" {
			continue
		}
		if _, ok := o.ReadableHeaders[n]; ok || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, h[0])
	}
	return out
}

func allowedWhy(o *harness.Observation, in WhyInput, crossOrigin bool, r scenarios.Request) string {
	switch {
	case !crossOrigin:
		return "The page and the URL share an origin, so CORS does not apply: the page reads everything."
	case o.ResponseType == "opaqueredirect":
		return "With redirect: 'manual' the browser does not follow the redirect; the page gets an \"opaqueredirect\" response: status 0, no headers, no body. It learns only that there was a redirect, not where to."
	case o.ResponseType == "opaque":
		return "In no-cors mode the browser hands the page an opaque response: status 0, no headers, no body. The page can pass it on (e.g. to a cache) but never read it."
	}
	why := "The answer passed the CORS check"
	if v := values(in.Response, "Access-Control-Allow-Origin"); len(v) == 1 {
		why += " (Access-Control-Allow-Origin: " + v[0] + ")"
	}
	why += ", so the page may read the status and the body."
	if hidden := hiddenHeaders(o); len(hidden) > 0 {
		why += " It reads only the CORS-safelisted response headers and those named in Access-Control-Expose-Headers; hidden from it: " + strings.Join(hidden, ", ") + "."
	}
	return why
}

// exposeFix names the Access-Control-Expose-Headers line that would let the
// page read the hidden headers the scenario wanted readable.
func exposeFix(o *harness.Observation, in WhyInput) []string {
	if o.ResponseType != "cors" {
		return nil
	}
	hidden := hiddenHeaders(o)
	if len(hidden) == 0 {
		return nil
	}
	existing := joinedValues(in.Response, "Access-Control-Expose-Headers")
	var keep, invalid []string
	for _, t := range tokens(existing) {
		switch {
		case !scenarios.IsToken(t):
			invalid = append(invalid, t)
		case t == "*" && in.Credentials:
			invalid = append(invalid, t)
		default:
			keep = append(keep, t)
		}
	}
	for _, h := range hidden {
		if !hasTokenFold(strings.Join(keep, ","), h) {
			keep = append(keep, h)
		}
	}
	line := "Have bar send `Access-Control-Expose-Headers: " + strings.Join(keep, ", ") + "`"
	switch {
	case in.Credentials && hasToken(existing, "*"):
		line += " (with credentials \"*\" is a header literally named \"*\", not a wildcard: name each header)"
	case len(invalid) > 0:
		line += fmt.Sprintf(" (without %s: one name that is not a valid header name spoils the whole list)", strings.Join(quoteAll(invalid), ", "))
	}
	return []string{line + "."}
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// ExplainOptions says how an explanation is written.
type ExplainOptions struct {
	// AllHeaders shows every header; by default only those that matter to CORS.
	AllHeaders bool
	// Color uses ANSI colours.
	Color bool
	// Outside is the same request sent from a plain HTTP client, when it was.
	Outside *Outside
}

type palette struct{ on bool }

func (p palette) wrap(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\033[" + code + "m" + s + "\033[0m"
}
func (p palette) green(s string) string { return p.wrap("32", s) }
func (p palette) red(s string) string   { return p.wrap("31", s) }
func (p palette) dim(s string) string   { return p.wrap("2", s) }
func (p palette) bold(s string) string  { return p.wrap("1", s) }
func (p palette) cyan(s string) string  { return p.wrap("36", s) }

var circled = []string{"①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧", "⑨", "⑩", "⑪", "⑫", "⑬", "⑭", "⑮", "⑯", "⑰", "⑱", "⑲", "⑳"}

func number(i int) string {
	if i < len(circled) {
		return circled[i]
	}
	return fmt.Sprintf("(%d)", i+1)
}

// ShownByDefault reports whether a header is shown without --all-headers:
// the ones that matter to CORS, and those named in extra (the scenario's own
// request headers, the exposed response headers).
func ShownByDefault(name string, extra map[string]bool) bool {
	n := strings.ToLower(name)
	switch n {
	case "origin", "host", "vary", "cookie", "set-cookie", "content-type", "location":
		return true
	}
	return strings.HasPrefix(n, "access-control-") || extra[n]
}

// extraHeaders are the header names shown by default besides the CORS ones:
// the page's own request headers and the response headers bar exposes.
func extraHeaders(s StepStory, r scenarios.Request) map[string]bool {
	extra := map[string]bool{}
	for _, h := range r.Headers {
		extra[strings.ToLower(h.Name)] = true
	}
	if s.Obs != nil {
		for _, m := range s.Obs.Exchange {
			for _, t := range tokens(joinedValues(m.Headers, "Access-Control-Expose-Headers")) {
				extra[strings.ToLower(t)] = true
			}
		}
	}
	return extra
}

// Explain writes the numbered story of one scenario's run.
func Explain(w io.Writer, res harness.Result, opt ExplainOptions) error {
	s := NewStory(res)
	p := palette{on: opt.Color}
	var b strings.Builder
	mark := Mark(s.Verdict)
	switch s.Verdict {
	case harness.Pass:
		mark = p.green(mark)
	default:
		mark = p.red(mark)
	}
	fmt.Fprintf(&b, "%s %s  %s\n", mark, p.bold(s.Name), p.dim("("+s.Group+")"))
	steps := res.Scenario.RequestSteps()
	for i, st := range s.Steps {
		var r scenarios.Request
		if i < len(steps) {
			r = steps[i].Request
		}
		if len(s.Steps) > 1 {
			fmt.Fprintf(&b, "\n%s\n", p.bold(fmt.Sprintf("Step %d of %d", i+1, len(s.Steps))))
		}
		writeStep(&b, st, r, opt, p)
	}
	if s.Error != "" {
		fmt.Fprintf(&b, "%s %s\n", p.red("Error:"), s.Error)
	}
	if opt.Outside != nil {
		writeOutside(&b, opt.Outside, s, p)
	}
	if s.Divergence {
		fmt.Fprintf(&b, "%s this scenario records where Chromium departs from the Fetch standard; the lesson explains both.\n", p.bold("Divergence:"))
	}
	if s.Lesson != "" {
		fmt.Fprintf(&b, "%s %s\n", p.bold("Lesson:"), s.Lesson)
	}
	fmt.Fprintf(&b, "%s %s\n", p.bold("Spec:"), s.Spec)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeStep(b *strings.Builder, st StepStory, r scenarios.Request, opt ExplainOptions, p palette) {
	if st.Obs == nil {
		fmt.Fprintf(b, "%s %s\n", p.red("Not observed:"), st.Error)
		return
	}
	extra := extraHeaders(st, r)
	for i, beat := range st.Beats {
		title := beat.Title
		if beat.Failed {
			title = p.red(title)
		}
		fmt.Fprintf(b, "%s %s\n", number(i), title)
		if beat.Message != nil {
			writeMessage(b, beat.Message, opt.AllHeaders, extra, p)
		}
		for _, c := range beat.Checks {
			switch c.State {
			case CheckOK:
				fmt.Fprintf(b, "   %s %s\n", p.green("✓"), c.Text)
			case CheckFail:
				fmt.Fprintf(b, "   %s %s\n", p.red("✗"), p.red(c.Text))
			default:
				fmt.Fprintf(b, "   %s\n", p.dim("· "+c.Text))
			}
		}
	}
	mark := p.green("✓")
	expected := "(expected)"
	if !st.Passed {
		mark = p.red("✗")
		expected = "(expected " + st.Expect.Outcome + ")"
	}
	end := "."
	if strings.HasSuffix(st.VerdictText, "\"") {
		end = ""
	}
	fmt.Fprintf(b, "%s %s %s: %s%s\n", p.bold("Verdict"), mark, expected, st.VerdictText, end)
	for _, m := range st.Mismatches {
		fmt.Fprintf(b, "   %s %s\n", p.red("mismatch:"), m)
	}
	if st.ReachedButBlocked != "" {
		fmt.Fprintf(b, "   %s\n", st.ReachedButBlocked)
	}
	if st.Why != "" {
		fmt.Fprintf(b, "%s %s\n", p.bold("Why:"), st.Why)
	}
	if len(st.Fix) > 0 {
		label := "Fix:"
		if st.FixIf != "" {
			label = "Fix (" + st.FixIf + "):"
		}
		if len(st.Fix) == 1 {
			fmt.Fprintf(b, "%s %s\n", p.bold(label), st.Fix[0])
		} else {
			fmt.Fprintf(b, "%s\n", p.bold(label))
			for _, f := range st.Fix {
				fmt.Fprintf(b, "   - %s\n", f)
			}
		}
	}
}

func writeMessage(b *strings.Builder, m *harness.Message, all bool, extra map[string]bool, p palette) {
	fmt.Fprintf(b, "   %s\n", p.cyan(m.Line))
	hidden := 0
	for _, h := range m.Headers {
		if !all && !ShownByDefault(h[0], extra) {
			hidden++
			continue
		}
		fmt.Fprintf(b, "   %s: %s\n", h[0], h[1])
	}
	if hidden > 0 {
		fmt.Fprintf(b, "   %s\n", p.dim(fmt.Sprintf("(%d more header%s; --all-headers shows them)", hidden, plural(hidden))))
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

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
	method := harness.NormalizeMethod(d.Method)
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
