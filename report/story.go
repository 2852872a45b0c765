package report

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// DefaultSpec is the link shown when a scenario names no section.
const DefaultSpec = "https://fetch.spec.whatwg.org/#http-cors-protocol"

// Browser is the engine a story names for what was observed when the
// result names none (a run on the base engine, Chromium).
const Browser = "Chromium"

// BrowserName is the product a story names for what engine observed:
// "Chromium", "Firefox", "WebKit"; Browser for none.
func BrowserName(engine string) string {
	switch engine {
	case "", scenarios.BaseEngine:
		return Browser
	case "webkit":
		return "WebKit"
	}
	return strings.ToUpper(engine[:1]) + engine[1:]
}

// Story is the explanation of one scenario's run: what the browser did,
// from the observations (the wire messages it reported, the lab's journal,
// what the page read and what the browser said), set beside what the Fetch
// standard says, from the model's trace (fetchspec); the scenario
// contributes only what the page asked for, the expectation and the lesson.
type Story struct {
	Name       string
	Group      string
	Lesson     string
	Spec       string
	Divergence bool
	// Browser is the product that ran it, as the story names it
	// (BrowserName): "Firefox".
	Browser string
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
	// Model is the Fetch standard's prediction and its agreement with Obs;
	// nil when the request was not observed to its end.
	Model *harness.ModelVerdict
	// Beats are the numbered events, in order: what the browser did, each
	// answer followed by the standard's checks of it.
	Beats []Beat
	// Outcome is allowed or blocked (observed).
	Outcome string
	// Passed says whether the observation matched the expectation.
	Passed bool
	// VerdictText is "allowed." or "blocked, as expected, because …".
	VerdictText string
	// Console is the browser's console sentence about the request.
	Console string
	// ReachedButBlocked says the server did the work while the page was
	// refused the answer; empty otherwise.
	ReachedButBlocked string
	// Standard is what the Fetch standard does with the request, in a
	// sentence naming the failing step and its link.
	Standard string
	// Differ says where the browser departs from the standard, from the
	// model's disagreements (listed in Disagreements); empty when they agree.
	Differ        string
	Disagreements []string
	// Why is one or two sentences; Fix the header lines to send; FixIf
	// qualifies the fix when the scenario expects the block. Engine is the
	// browser's own name for the failure, shown beside the standard's step.
	Why    string
	Fix    []string
	FixIf  string
	Engine string
	// Mismatches and Error of this step.
	Mismatches []string
	Error      string
	// Browser names the engine that observed it (BrowserName).
	Browser string
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
	// Checks are the Fetch standard's steps about this beat.
	Checks []Check
	// Failed marks a beat that went wrong (a refused answer, a request never sent).
	Failed bool
}

// Check is one step of the Fetch standard, from the model's trace.
type Check struct {
	// State is "ok" (a check that held), "fail" (one that did not) or
	// "note" (a step that does something and checks nothing).
	State string
	Text  string
	// Spec links the step's section of the standard.
	Spec string
}

// Check states.
const (
	CheckOK   = "ok"
	CheckFail = "fail"
	CheckNote = "note"
)

// NewStory builds the explanation of a result.
func NewStory(res harness.Result) Story {
	sc := res.Scenario
	s := Story{
		Name: sc.Name, Group: sc.Group, Lesson: strings.Join(strings.Fields(sc.Lesson), " "), Spec: sc.Spec,
		Divergence: res.Marked(), Browser: BrowserName(res.Engine), Verdict: res.Verdict, Mismatches: res.Mismatches, Error: res.Error,
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
		s.Steps = append(s.Steps, newStepStory(st, sr, res.Marked(), s.Browser))
	}
	return s
}

// stepBuilder assembles one StepStory.
type stepBuilder struct {
	ss     StepStory
	o      *harness.Observation
	r      scenarios.Request
	method string
	m      *modelView
	in     WhyInput
	// browser names the engine in the sentences (BrowserName).
	browser string
}

func newStepStory(st scenarios.Step, sr harness.StepResult, marked bool, browser string) StepStory {
	b := &stepBuilder{ss: StepStory{Expect: sr.Expect, Obs: sr.Observed, Model: sr.Model, Mismatches: sr.Mismatches, Error: sr.Error, Browser: browser}, browser: browser}
	b.ss.Passed = sr.Error == "" && len(sr.Mismatches) == 0
	b.o, b.r = sr.Observed, st.Request
	b.method = fetchspec.NormalizeMethod(b.r.WithDefaults().Method)
	if b.o == nil {
		b.ss.VerdictText = "not observed: " + sr.Error
		return b.ss
	}
	b.m = newModelView(sr.Model)
	b.ss.Outcome, b.ss.Console = b.o.Outcome, b.o.Console
	b.in = b.whyInput()
	b.ss.Beats = append(b.ss.Beats, Beat{From: "page", To: "chromium", Title: pageCall(b.o, b.r, b.method), Label: callLabel(b.r, b.method)})
	if b.m != nil {
		b.ss.Beats[0].Checks = stepChecks(b.m.before)
	}
	var pre, act []leg
	for _, l := range legsOf(b.o) {
		if l.preflight {
			pre = append(pre, l)
		} else {
			act = append(act, l)
		}
	}
	b.preflightBeats(pre)
	if b.actualBeats(act) == 0 {
		b.notSentBeats(len(pre))
	}
	b.pageBeat()
	b.ss.Standard = standardSays(b.m)
	if sr.Model != nil {
		b.ss.Disagreements = sr.Model.Disagreements
		b.ss.Differ = differ(b.m, sr.Model, b.o, b.browser, marked)
	}
	b.whyAndFix()
	if sr.Error != "" {
		// The harness could not observe the request to its end: say so
		// rather than explain a half observation.
		b.ss.VerdictText = "not observed to the end: " + sr.Error
		b.ss.Why, b.ss.Fix, b.ss.FixIf, b.ss.ReachedButBlocked = "", nil, "", ""
	}
	return b.ss
}

// whyInput is what Why needs: the page's request and, filled as the beats
// are, the answers on the wire.
func (b *stepBuilder) whyInput() WhyInput {
	o, r := b.o, b.r
	in := WhyInput{
		CorsError: o.CorsError, FailedParameter: o.FailedParameter, PageOrigin: o.Page, Page: o.Page, Method: b.method,
		PageHeaders: headerNames(r.Headers), PageValues: map[string]string{}, Credentials: r.Credentials == "include",
		Mode: r.Mode, Redirect: r.Redirect, URL: o.URL, TargetSpace: targetSpace(o), Browser: b.browser,
	}
	in.Failure, in.InPreflight = b.m.failure()
	for _, h := range r.Headers {
		if len(h.Values) > 0 {
			in.PageValues[strings.ToLower(h.Name)] = strings.Join(h.Values, ", ")
		}
	}
	return in
}

// preflightBeats: the preflights the browser sent, each answer set beside
// the standard's checks of the standard's preflight of the same rank; or
// a note that none went out.
func (b *stepBuilder) preflightBeats(pre []leg) {
	if len(pre) == 0 {
		label := "no preflight"
		title := "No preflight goes out"
		if b.o.PreflightCached {
			label = "preflight from the cache"
			title += ": " + b.browser + " takes the answer from its CORS-preflight cache, filled by an earlier preflight (inferred: the request needs one, reached bar, and none was sent)"
		}
		b.ss.Beats = append(b.ss.Beats, Beat{From: "chromium", Title: title + ".", Label: label})
		return
	}
	for i, l := range pre {
		title := b.browser + " sends a preflight, asking whether " + describeAsk(l.req)
		if i > 0 {
			title = b.browser + " sends another preflight"
		}
		seg := b.m.preflight(i)
		beat := Beat{From: "chromium", To: "bar", Title: title, Label: "OPTIONS (preflight)", Message: l.req}
		if seg != nil {
			beat.Checks = stepChecks(seg.request)
		}
		b.ss.Beats = append(b.ss.Beats, beat)
		if l.resp == nil {
			nb := Beat{From: "bar", Title: "bar's answer to the preflight never reached the browser's CORS check"}
			if lnaErrors[b.o.CorsError] && l.journal == nil {
				nb.Title = "bar never receives the preflight: Local Network Access stops it after the connection, before its first byte"
			}
			if l.journal != nil && l.journal.Status != 0 {
				nb.Title = fmt.Sprintf("bar answered %d (from bar's journal; the browser reported no answer)", l.journal.Status)
			}
			b.ss.Beats = append(b.ss.Beats, nb)
			continue
		}
		b.ss.Beats = append(b.ss.Beats, Beat{From: "bar", To: "chromium", Title: "bar answers the preflight", Label: statusLabel(l.resp), Message: l.resp})
		b.in.Preflight, b.in.PreflightStatus, b.in.Server = l.resp.Headers, l.resp.Status, serverName(l.req)
		if sent := headerValue(l.req.Headers, "Origin"); sent != "" {
			b.in.PageOrigin = sent
		}
		if seg != nil {
			b.ss.Beats = append(b.ss.Beats, Beat{From: "chromium", Title: answerTitle(b.m, seg, true, false), Checks: stepChecks(seg.answer), Failed: b.m.fails(seg)})
		}
	}
}

// describeAsk words what a preflight asks, from its request on the wire.
func describeAsk(req *harness.Message) string {
	ask := headerValue(req.Headers, "Access-Control-Request-Method")
	if ask == "" {
		ask = "the request"
	}
	if h := headerValue(req.Headers, "Access-Control-Request-Headers"); h != "" {
		ask += " with " + h
	}
	return ask + " may be sent"
}

// actualBeats: the actual request hop by hop, each answer beside the
// standard's checks of it; returns how many hops reached a server.
func (b *stepBuilder) actualBeats(act []leg) int {
	sent := 0
	last := lastAnswered(act)
	for i, l := range act {
		if l.resp == nil && l.journal == nil {
			continue
		}
		sent++
		title := b.browser + " sends the actual request"
		if i > 0 {
			title = b.browser + " follows the redirect"
		}
		label, _, _ := strings.Cut(l.req.Line, " ")
		server := serverName(l.req)
		if server != "bar" {
			title += " to " + server
		}
		seg := b.m.actual(i)
		beat := Beat{From: "chromium", To: "bar", Title: title, Label: label, Message: l.req}
		if seg != nil {
			beat.Checks = stepChecks(seg.request)
		}
		b.ss.Beats = append(b.ss.Beats, beat)
		if l.resp == nil {
			nb := Beat{From: "bar", Title: "no answer reached the browser"}
			if l.journal != nil && l.journal.Status != 0 {
				nb = Beat{From: "bar", To: "chromium", Label: fmt.Sprint(l.journal.Status), Title: fmt.Sprintf("%s answered %d (from the lab's journal; the browser reported no answer)", server, l.journal.Status)}
			}
			b.ss.Beats = append(b.ss.Beats, nb)
			continue
		}
		t := server + " answers"
		if l.resp.Kind == "redirect response" {
			t = server + " answers with a redirect"
			if loc := headerValue(l.resp.Headers, "Location"); loc != "" {
				t += " to " + loc
			}
		}
		b.ss.Beats = append(b.ss.Beats, Beat{From: "bar", To: "chromium", Title: t, Label: statusLabel(l.resp), Message: l.resp})
		b.in.Response, b.in.ResponseStatus, b.in.Server = l.resp.Headers, l.resp.Status, server
		if sent := headerValue(l.req.Headers, "Origin"); sent != "" {
			// After a cross-origin redirect the browser sends Origin: null.
			b.in.PageOrigin = sent
		}
		if seg != nil && len(seg.answer) > 0 {
			b.ss.Beats = append(b.ss.Beats, Beat{From: "chromium", Title: answerTitle(b.m, seg, false, i == last), Checks: stepChecks(seg.answer), Failed: b.m.fails(seg)})
		}
	}
	return sent
}

// notSentBeats: the actual request never reached a server.
func (b *stepBuilder) notSentBeats(preflights int) {
	o := b.o
	nb := Beat{From: "chromium", Failed: true, Title: fmt.Sprintf("The actual %s is never sent: bar's journal has no %s for this path.", b.method, b.method)}
	lna, isLNA := lnaBeat(o, b.method, b.browser)
	switch {
	case isLNA:
		nb = lna
	case o.CorsError != "" && !IsPreflightError(o.CorsError) && !strings.HasPrefix(o.FailedCheck, "CORS-preflight fetch") && len(o.Exchange) > 0:
		// (The engine-neutral failed_check names a preflight step where
		// the engine's own reason, e.g. Firefox's CORSMethodNotFound, does
		// not say "preflight".)
		// A check failed on an answer bar never gave for this request: the
		// browser took it from its HTTP cache.
		nb = Beat{From: "chromium", Failed: true, Label: "answer from the HTTP cache",
			Title: fmt.Sprintf("Nothing reaches bar (its journal has no %s for this path), yet %s checked an answer: one stored in its HTTP cache by an earlier request", b.method, b.browser)}
	case preflights == 0 && len(o.Requests) == 0:
		nb.Title = "Nothing reaches bar: the browser refused the request before sending it."
	}
	b.ss.Beats = append(b.ss.Beats, nb)
}

// pageBeat: what the page got.
func (b *stepBuilder) pageBeat() {
	o := b.o
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
	b.ss.Beats = append(b.ss.Beats, final)
}

// whyAndFix: the why and fix are driven by the step of the standard that
// fails the request, the browser's own reason shown beside it; where the
// standard lets through what the browser refused, the browser's reason is
// all there is, and the story says so.
func (b *stepBuilder) whyAndFix() {
	o, in := b.o, b.in
	crossOrigin := !sameOriginURL(o.Page, o.URL)
	var wf WhyFix
	switch {
	case o.Outcome == scenarios.OutcomeBlocked && (in.Failure != nil || o.CorsError != ""):
		wf = Why(in)
		b.ss.Why, b.ss.Fix = wf.Why, wf.Fix
	case o.Outcome == scenarios.OutcomeBlocked:
		b.ss.Why = blockedWithoutCorsError(o, b.r, b.browser)
	default:
		b.ss.Why = allowedWhy(o, in, crossOrigin, b.r)
		b.ss.Fix = exposeFix(o, in)
		if in.Failure != nil {
			// The browser let through what the standard refuses: the fix
			// is for browsers that follow the standard.
			wf = Why(in)
			b.ss.Fix = append(b.ss.Fix, wf.Fix...)
			b.ss.FixIf = "for browsers that follow the Fetch standard"
		}
	}
	b.ss.Engine = engineReason(o)
	if o.Outcome == scenarios.OutcomeBlocked && b.ss.Expect.Outcome == scenarios.OutcomeBlocked && len(b.ss.Fix) > 0 {
		b.ss.FixIf = fmt.Sprintf("only if bar means to let %s read this", o.Page)
		if wf.Check == "request" {
			b.ss.FixIf = "only if the page means to read bar's answer"
		}
	}
	if o.Outcome == scenarios.OutcomeAllowed && len(b.ss.Fix) > 0 && b.ss.FixIf == "" {
		b.ss.FixIf = "only if the page needs to read those headers"
	}
	if o.Outcome == scenarios.OutcomeBlocked && o.ReachedServer {
		if a := o.ActualEntry(); a != nil {
			b.ss.ReachedButBlocked = fmt.Sprintf("bar received the %s and answered %d: the server did the work (and any change it makes has happened); only the reading was refused.", a.Method, a.Status)
		}
	}
	b.ss.VerdictText = verdictText(b.ss, wf)
}

func verdictText(ss StepStory, wf WhyFix) string {
	o := ss.Obs
	var b strings.Builder
	b.WriteString(o.Outcome)
	if ss.Passed && ss.Expect.Outcome == o.Outcome {
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
			b.WriteString(" — " + ss.Browser + " says: \"" + o.Console + "\"")
		}
	} else {
		fmt.Fprintf(&b, ": the page read status %d", o.Status)
		if o.ResponseType != "" {
			b.WriteString(" (" + o.ResponseType + ")")
		}
	}
	return b.String()
}

// sameOriginURL reports whether rawURL is on origin (as the page and the
// observation name them).
func sameOriginURL(origin, rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	return origin == u.Scheme+"://"+u.Host
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

func blockedWithoutCorsError(o *harness.Observation, r scenarios.Request, browser string) string {
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
		return fmt.Sprintf("The answer was a %d redirect to %s, and %s refused to follow it (%s); this is not a CORS check but a rule about where a redirect may lead.", last.Status, loc, browser, o.NetError)
	}
	switch {
	case len(o.Exchange) == 0 && len(o.Requests) == 0:
		s := "The browser refused the request before sending anything"
		if o.JSError != "" {
			s += " (" + o.JSError + ")"
		}
		return s + ": nothing reached bar, and " + browser + " reported no CORS error."
	case o.NetError != "":
		return fmt.Sprintf("%s failed the request with %s and reported no CORS error.", browser, o.NetError)
	}
	return "The request failed without a CORS error: " + o.JSError
}
