package harness

import (
	"net/textproto"
	"slices"
	"time"

	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// Observation is what one request did, seen from three sides: the page (what
// JavaScript got), the browser (its driver's report, e.g. Chromium's CDP
// events) and the server (bar's journal). ObservedBy says which side saw
// each fact.
type Observation struct {
	// Page is the origin of the calling page; URL is the request URL.
	Page string `json:"page"`
	URL  string `json:"url"`

	// Outcome is "allowed" when the page got a response, "blocked" when the
	// request failed with a network error (TypeError for fetch).
	Outcome string `json:"outcome"`
	// Status, StatusText, ResponseType, Body and ReadableHeaders are what
	// JS could read.
	Status          int               `json:"status"`
	StatusText      string            `json:"status_text"`
	ResponseType    string            `json:"response_type"`
	Body            string            `json:"body"`
	ReadableHeaders map[string]string `json:"readable_headers"`
	Redirected      bool              `json:"redirected"`
	// JSError is the error JS caught, e.g. "TypeError: Failed to fetch".
	JSError string `json:"js_error,omitempty"`

	// Preflight: the browser sent a CORS preflight (CDP or bar's journal).
	Preflight bool `json:"preflight"`
	// PreflightCached: the request needed a preflight by the Fetch rules, yet
	// none went out, so the browser used its preflight cache.
	PreflightCached bool `json:"preflight_cached"`
	// CorsError and FailedParameter are Chromium's reason, from
	// Network.loadingFailed.corsErrorStatus (or the Audits issue).
	CorsError       string `json:"cors_error"`
	FailedParameter string `json:"failed_parameter"`
	// FailedCheck is the browser's reason in the Fetch model's words (the
	// step that failed, e.g. "CORS check step 2"), mapped by the driver.
	FailedCheck string `json:"failed_check"`
	// NetError is the loadingFailed errorText, e.g. net::ERR_FAILED.
	NetError string `json:"net_error,omitempty"`
	// Console is Chromium's console message about the request.
	Console string `json:"console"`
	// FromCache: the response came from the browser's HTTP cache.
	FromCache bool `json:"from_cache,omitempty"`
	// Issues lists other DevTools issues about the request (e.g. deprecations).
	Issues []string `json:"issues,omitempty"`
	// Exchange is the request and response messages as the browser saw them
	// on the wire, in order: preflight, redirects, actual request.
	Exchange []Message `json:"exchange,omitempty"`
	// CookiesSent are the cookies bar received on the actual request.
	CookiesSent []string `json:"cookies_sent,omitempty"`
	// CookieSet: a cookie appeared in (or changed in) the jar during the step.
	CookieSet bool `json:"cookie_set"`
	// Jar is the browser's cookies for the request URL after the step.
	Jar []string `json:"jar,omitempty"`
	// CookiesBlocked are Set-Cookie lines the browser refused, with reasons.
	CookiesBlocked []string `json:"cookies_blocked,omitempty"`

	// RequestMode is the actual request's mode as the browser wrote it in
	// Sec-Fetch-Mode (the browser's wire headers, the server's journal).
	RequestMode string `json:"request_mode,omitempty"`
	// Tainted: an element that loaded could not be read by the page
	// (canvas getImageData or cssRules threw a SecurityError).
	Tainted bool `json:"tainted"`
	// MutedErrors: the error the script threw reached window.onerror as
	// "Script error.", no line, column or error object.
	MutedErrors bool `json:"muted_errors"`
	// ScriptErrors are the script's error events as the page saw them.
	ScriptErrors []string `json:"script_errors,omitempty"`
	// ResponseURL is the URL of the response the page read (Response.url,
	// XMLHttpRequest.responseURL).
	ResponseURL string `json:"response_url,omitempty"`
	// TimingAllowed: the request's PerformanceResourceTiming entry has its
	// detailed fields (requestStart, responseStart…).
	TimingAllowed bool `json:"timing_allowed"`

	// ReachedServer: a non-preflight request arrived at the server.
	ReachedServer bool `json:"reached_server"`
	// Requests is what the lab's servers received, in order.
	Requests []servers.Entry `json:"requests"`
	// ServerConnected: the target's listener accepted a TCP connection
	// during the step (looked at for Local Network Access steps only).
	ServerConnected bool `json:"server_connected,omitempty"`
	// LocalNetwork is what the browser said of Local Network Access: the
	// page's and target's address spaces, the policy it applied, and the
	// connections bar saw (lna.go); nil for a step that asked nothing of it.
	LocalNetwork *LocalNetwork `json:"local_network,omitempty"`

	// ObservedBy says, for each field above (by its JSON name), which
	// sides observed it: "page", "browser", "server", or "inferred" for a
	// value worked out rather than seen. A true value lists the sides that
	// saw it, a false or empty one the sides that looked and saw nothing.
	// A field missing here could not be observed in this run (the engine
	// cannot see it, or there is no journal): its value is only a zero.
	ObservedBy map[string][]string `json:"observed_by,omitempty"`
	// NotObservable names the fields this engine cannot observe at all
	// (WebKit: the reason, the console, the browser's exchange); nil when
	// it observes them all.
	NotObservable *NotObservable `json:"not_observable,omitempty"`

	// Duration is the time from the request to the settled observation.
	Duration time.Duration `json:"-"`
}

// Message is one HTTP message of the exchange, as the browser reported it.
type Message struct {
	// Kind is "preflight request", "preflight response", "request",
	// "redirect response" or "response".
	Kind string `json:"kind"`
	// Line is the request line ("OPTIONS /r/x/ HTTP/1.1") or status line.
	Line    string      `json:"line"`
	URL     string      `json:"url,omitempty"`
	Status  int         `json:"status,omitempty"`
	Headers [][2]string `json:"headers"`
	// Wire is true when the headers are the raw ones from the wire (in
	// Chromium, CDP's ExtraInfo events); false when only the renderer's
	// view was reported.
	Wire bool `json:"wire"`
	// FromCache is true for a response served from the browser's HTTP cache:
	// nothing went on the wire.
	FromCache bool `json:"from_cache,omitempty"`
}

// Result is the verdict on one scenario.
type Result struct {
	Scenario scenarios.Scenario `json:"-"`
	// Engine is the engine that ran it ("chromium", "firefox"), Browser the
	// browser's product and version.
	Engine  string `json:"engine,omitempty"`
	Browser string `json:"browser,omitempty"`
	// Verdict is pass, fail or error.
	Verdict    string        `json:"verdict"`
	Mismatches []string      `json:"mismatches"`
	Error      string        `json:"error"`
	Steps      []StepResult  `json:"steps"`
	Duration   time.Duration `json:"-"`
}

// StepResult is the observation and verdict of one request.
type StepResult struct {
	Expect     scenarios.Expect `json:"expected"`
	Observed   *Observation     `json:"observed"`
	Mismatches []string         `json:"mismatches"`
	Error      string           `json:"error,omitempty"`
	// NotCompared are the expectations of fields the engine cannot
	// observe, not compared: "failed_check: expected "CORS check step 2",
	// not observable in WebKit".
	NotCompared []string `json:"not_compared,omitempty"`
	// Model is the differential verdict: what the Fetch standard predicts
	// for this request and whether the observation agrees; nil when the
	// request was not observed to its end.
	Model *ModelVerdict `json:"model,omitempty"`
}

// Verdicts.
const (
	Pass  = "pass"
	Fail  = "fail"
	Error = "error"
)

// Last returns the observation of the last step that has one, or nil.
func (r Result) Last() *Observation {
	for i := len(r.Steps) - 1; i >= 0; i-- {
		if r.Steps[i].Observed != nil {
			return r.Steps[i].Observed
		}
	}
	return nil
}

// The sides that observe a request, and the mark of an inferred value.
const (
	SidePage    = "page"
	SideBrowser = "browser"
	SideServer  = "server"
	Inferred    = "inferred"
)

// by records that side observed field.
func (o *Observation) by(field, side string) {
	if o.ObservedBy == nil {
		o.ObservedBy = map[string][]string{}
	}
	if !slices.Contains(o.ObservedBy[field], side) {
		o.ObservedBy[field] = append(o.ObservedBy[field], side)
	}
}

// look is what one side could see of a yes/no fact: whether it looked,
// and whether it saw it.
type look struct {
	side        string
	looked, saw bool
}

// bySeen records a yes/no fact: when it is true, the sides that saw it;
// when false, the sides that looked.
func (o *Observation) bySeen(field string, value bool, sides ...look) {
	for _, s := range sides {
		if s.looked && (s.saw || !value) {
			o.by(field, s.side)
		}
	}
}

// PreflightEntry returns the journal entry of the last preflight, or nil.
func (o *Observation) PreflightEntry() *servers.Entry {
	var found *servers.Entry
	for i := range o.Requests {
		if o.Requests[i].Preflight {
			found = &o.Requests[i]
		}
	}
	return found
}

// ActualEntry returns the journal entry of the actual (non-preflight) request
// that reached the last hop, or nil.
func (o *Observation) ActualEntry() *servers.Entry {
	var found *servers.Entry
	for i := range o.Requests {
		if !o.Requests[i].Preflight {
			found = &o.Requests[i]
		}
	}
	return found
}

func canonical(name string) string { return textproto.CanonicalMIMEHeaderKey(name) }
