package fetchspec

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corslab/corslab/scenarios"
)

// Env is what a prediction needs beyond the scenario.
type Env struct {
	// Origins names the lab's origins (servers.Lab, or LabOrigins).
	Origins scenarios.Origins
	// Prefix is the scenario's unique path on the lab's servers; default
	// "/r/NAME".
	Prefix string
	// SandboxParent is the page that holds a sandboxed frame (its top-level
	// site keys the preflight cache); default "foo".
	SandboxParent string
	// MaxAgeCap is the browser's cap on Access-Control-Max-Age in seconds
	// (ChromiumMaxAgeCap); 0 for none.
	MaxAgeCap int
	// Timeout is how long the run waits for an answer; default 5s.
	Timeout time.Duration
	// Margin is how close to its expiry a preflight cache entry must be for
	// the model to call its state unknown; default 500ms, since the time
	// each request takes is not modelled.
	Margin time.Duration
}

func (e Env) withDefaults(name string) Env {
	if e.Prefix == "" {
		e.Prefix = "/r/" + name
	}
	if e.SandboxParent == "" {
		e.SandboxParent = "foo"
	}
	if e.Timeout <= 0 {
		e.Timeout = 5 * time.Second
	}
	if e.Margin == 0 {
		e.Margin = 500 * time.Millisecond
	}
	return e
}

// Fields a prediction never decides: the engine's own words, the HTTP
// cache and timing.
var engineFields = []string{
	"cors_error: the engine's own name for the failure; the standard names the failing step (failed_at)",
	"failed_parameter: the engine's own words",
	"console: the engine's own words",
	"from_cache: the HTTP cache is not the Fetch standard's to decide",
}

// StepPrediction is what a browser that follows the Fetch standard does with
// one request of a scenario. A nil field is not predicted; NotPredicted says
// why.
type StepPrediction struct {
	// Page is the origin of the calling page; URL the request's URL.
	Page string `json:"page"`
	URL  string `json:"url"`
	// Outcome is "allowed" or "blocked"; "" when not predicted.
	Outcome      string  `json:"outcome,omitempty"`
	Status       *int    `json:"status,omitempty"`
	StatusText   *string `json:"status_text,omitempty"`
	ResponseType *string `json:"response_type,omitempty"`
	Body         *string `json:"body,omitempty"`
	Redirected   *bool   `json:"redirected,omitempty"`
	// ReadableHeaders are the headers the page can read (names lowercased,
	// values combined); UnreadableHeaders are headers of the server's answer
	// the page cannot read.
	ReadableHeaders   map[string]string `json:"readable_headers,omitempty"`
	UnreadableHeaders []string          `json:"unreadable_headers,omitempty"`
	// JSError is the name of the exception the page gets: TypeError when
	// fetch() rejects or the API throws; "" otherwise.
	JSError string `json:"js_error,omitempty"`

	Preflight       *bool `json:"preflight,omitempty"`
	PreflightCached *bool `json:"preflight_cached,omitempty"`
	ReachedServer   *bool `json:"reached_server,omitempty"`
	// MethodReceived is the method of the actual request at its last hop.
	MethodReceived *string `json:"method_received,omitempty"`
	// OriginSent is the Origin header of the actual request at its last hop
	// ("" for none).
	OriginSent *string `json:"origin_sent,omitempty"`
	// RequestMethod and RequestHeaders are the Access-Control-Request-Method
	// and -Headers of the last preflight ("" for none).
	RequestMethod  *string `json:"access_control_request_method,omitempty"`
	RequestHeaders *string `json:"access_control_request_headers,omitempty"`
	// CookiesSent is [] when no cookie goes with the actual request.
	CookiesSent *[]string `json:"cookies_sent,omitempty"`
	// CookieSet is false when no response with credentials set a cookie.
	CookieSet *bool `json:"cookie_set,omitempty"`
	// Requests are the requests that go on the wire, in order.
	Requests []WireRequest `json:"requests"`
	// RequestMode is the actual request's mode (what Sec-Fetch-Mode says).
	RequestMode *string `json:"request_mode,omitempty"`
	// Tainted (img, stylesheet) and MutedErrors (script, module): the
	// element loaded a CORS-cross-origin (opaque) response, which HTML
	// makes a tainted canvas, unreadable cssRules, muted errors.
	Tainted     *bool `json:"tainted,omitempty"`
	MutedErrors *bool `json:"muted_errors,omitempty"`
	// TimingAllowed is the TAO check's answer: detailed resource timing.
	TimingAllowed *bool `json:"timing_allowed,omitempty"`
	// ResponseURLOrigin is the origin of the response's URL (Response.url,
	// responseURL): the last of its URL list.
	ResponseURLOrigin *string `json:"response_url_origin,omitempty"`
	// FailedAt is the step that made the request fail.
	FailedAt *Step `json:"failed_at,omitempty"`
	// NotPredicted names each field the standard does not decide here, and why.
	NotPredicted []string `json:"not_predicted"`
	// Trace is every step the model took, in order.
	Trace []Step `json:"-"`

	// view is what the page got, for HeaderReadable.
	view *Response
	// exposeAll: `*` exposed every header, including any the server adds.
	exposeAll bool
}

// Predict runs every step of a scenario through the Fetch standard, in
// order, with one preflight cache and one clock for all of them, redirects
// hop by hop, answers from scenarios.Server.Answer.
func Predict(sc scenarios.Scenario, env Env) []StepPrediction {
	env = env.withDefaults(sc.Name)
	cache := &PreflightCache{ImposedLimit: env.MaxAgeCap, Margin: env.Margin}
	net := newScenarioNetwork(sc.Server, env.Origins, env.Prefix, cache, env.Timeout)
	jarEmpty := len(sc.Cookies) == 0
	var out []StepPrediction
	for _, st := range sc.RequestSteps() {
		cache.Now += st.After.D()
		// A step may replace the scenario's server for its own requests.
		net.server = sc.StepServer(st)
		p := predictStep(st, env, net, cache, jarEmpty)
		if net.setCookie {
			jarEmpty = false
		}
		net.endStep()
		out = append(out, p)
	}
	return out
}

// predictStep predicts one request.
func predictStep(st scenarios.Step, env Env, net *scenarioNetwork, cache *PreflightCache, jarEmpty bool) StepPrediction {
	label := st.Page
	if label == "" {
		label = "foo"
	}
	origin := ParseOrigin(env.Origins.Origin(label))
	key := origin.Serialized
	if label == "sandboxed" {
		key = env.Origins.Origin(env.SandboxParent)
	}
	d := st.Request.WithDefaults()
	p := StepPrediction{Page: origin.Serialized, URL: net.target(d.Target, d.Path), NotPredicted: slices.Clone(engineFields)}
	in := APIRequest{API: d.API, Method: d.Method, URL: p.URL, Credentials: d.Credentials, Mode: d.Mode, Redirect: d.Redirect,
		CrossOrigin: d.CrossOrigin, UploadListener: d.UploadListener}
	for _, h := range d.Headers {
		for _, v := range h.Values {
			in.Headers = append(in.Headers, Header{h.Name, v})
		}
	}
	if d.Body != "" {
		b := d.Body
		in.Body = &b
	}
	t := &Trace{}
	req, err := NewRequest(in, origin, key, t)
	if err != nil {
		var ae *APIError
		errors.As(err, &ae)
		p.Trace, p.FailedAt = t.Steps, &ae.At
		p.Outcome, p.JSError = scenarios.OutcomeBlocked, ae.Name
		p.Preflight, p.ReachedServer, p.PreflightCached = ptr(false), ptr(false), ptr(false)
		p.CookiesSent, p.CookieSet = ptr([]string{}), ptr(false)
		p.Requests = []WireRequest{}
		return p
	}
	f := &Fetcher{Network: net, Cache: cache, Trace: t}
	resp := f.MainFetch(req, false)
	p.Trace, p.Requests = t.Steps, f.Wire
	if p.Requests == nil {
		p.Requests = []WireRequest{}
	}
	markAbsent(p.Requests, in.Headers, jarEmpty)
	p.fillWire(f, resp, jarEmpty, net.setCookie)
	if scenarios.IsElement(d.API) {
		p.fillElement(resp, d.API)
	} else {
		p.fillResponse(req, resp, d.API)
	}
	p.fillTiming(req, resp)
	p.fillResponseURL(resp, d.API)
	if resp.Unknown == "" {
		p.RequestMode = ptr(req.Mode)
	}
	p.skipLocalNetwork(st)
	return p
}

// fillWire fills what went on the wire.
func (p *StepPrediction) fillWire(f *Fetcher, resp *Response, jarEmpty, setCookie bool) {
	var actual, preflight *WireRequest
	for i := range p.Requests {
		w := &p.Requests[i]
		if w.Preflight {
			preflight = w
		} else if w.Status != 0 || resp.Unknown == "" {
			actual = w
		}
	}
	if resp.Unknown != "" {
		// The model stops where it cannot know; what went out before is known.
		p.NotPredicted = append(p.NotPredicted, "outcome and what follows: "+resp.Unknown)
		if preflight != nil {
			p.Preflight = ptr(true)
		}
		if actual != nil {
			p.ReachedServer = ptr(true)
		}
		return
	}
	p.Preflight = ptr(preflight != nil)
	p.PreflightCached = ptr(preflight == nil && f.PreflightCached)
	p.ReachedServer = ptr(actual != nil)
	p.CookieSet = ptr(false)
	if setCookie {
		p.CookieSet = nil
		p.NotPredicted = append(p.NotPredicted, "cookie_set: whether the browser stores a Set-Cookie is the cookie store's to decide")
	}
	if preflight != nil {
		p.RequestMethod = ptr(getOr(preflight.Headers, "Access-Control-Request-Method"))
		p.RequestHeaders = ptr(getOr(preflight.Headers, "Access-Control-Request-Headers"))
	}
	if actual == nil {
		p.CookiesSent = ptr([]string{})
		return
	}
	p.MethodReceived = ptr(actual.Method)
	p.OriginSent = ptr(getOr(actual.Headers, "Origin"))
	if !actual.IncludeCredentials || jarEmpty {
		p.CookiesSent = ptr([]string{})
	} else {
		p.NotPredicted = append(p.NotPredicted, "cookies_sent: credentials go with the request, and which cookies the jar sends is the cookie store's to decide (SameSite, third-party blocking)")
	}
}

// fillResponse fills what the page got.
func (p *StepPrediction) fillResponse(req *Request, resp *Response, api string) {
	if resp.Unknown != "" {
		return
	}
	p.ReadableHeaders = map[string]string{}
	if resp.IsNetworkError() {
		p.Outcome, p.FailedAt = scenarios.OutcomeBlocked, resp.FailedAt
		if api != APIXHR {
			p.JSError = "TypeError"
		}
		return
	}
	p.Outcome, p.view = scenarios.OutcomeAllowed, resp
	p.Status = ptr(resp.Status)
	if resp.Type == TypeOpaque || resp.Type == TypeOpaqueRedirect {
		p.StatusText = ptr("")
	} else {
		p.NotPredicted = append(p.NotPredicted, "status_text: the model does not carry the reason phrase (the response's status message)")
	}
	body := ""
	if resp.Body != nil {
		body = *resp.Body
	}
	p.Body = &body
	if api == APIXHR {
		p.NotPredicted = append(p.NotPredicted, "response_type and redirected: XMLHttpRequest has no Response.type or .redirected")
	} else {
		p.ResponseType = ptr(resp.Type)
		p.Redirected = ptr(len(resp.URLList) > 1)
	}
	for _, h := range resp.HeaderList.SortAndCombine() {
		p.ReadableHeaders[h.Name] = h.Value
	}
	if in := resp.Internal; in != nil {
		for _, h := range in.HeaderList {
			n := byteLowercase(h.Name)
			if _, ok := p.ReadableHeaders[n]; !ok && !slices.Contains(p.UnreadableHeaders, n) {
				p.UnreadableHeaders = append(p.UnreadableHeaders, n)
			}
		}
		p.exposeAll = resp.Type == TypeCORS && req.CredentialsMode != CredentialsInclude &&
			slices.Contains(ExtractHeaderListValues("Access-Control-Expose-Headers", in.HeaderList).Values, "*")
	}
}

// HeaderReadable says whether the page can read a response header: known
// is false when it depends on headers the server adds beyond the
// scenario's answer (Content-Length, …).
func (p *StepPrediction) HeaderReadable(name string) (readable, known bool) {
	if p.Outcome == "" {
		return false, false
	}
	name = byteLowercase(name)
	if _, ok := p.ReadableHeaders[name]; ok {
		return true, true
	}
	v := p.view
	if v == nil || v.Type == TypeOpaque || v.Type == TypeOpaqueRedirect {
		// Blocked, or an opaque view: nothing is readable.
		return false, true
	}
	if slices.Contains(p.UnreadableHeaders, name) {
		return false, true
	}
	// Not in the scenario's answer: readable only if the server adds it and
	// the view would expose it.
	exposable := false
	switch v.Type {
	case TypeBasic:
		exposable = !IsForbiddenResponseHeaderName(name)
	case TypeCORS:
		exposable = p.exposeAll && !IsForbiddenResponseHeaderName(name) || IsCORSSafelistedResponseHeaderName(name, v.Internal.CORSExposedHeaderNames)
	}
	return false, !exposable
}

// markAbsent lists, on each wire request, the headers the standard decides
// are not sent: the page's headers it dropped (but those the user agent may
// add itself), Origin, Content-Type,
// Access-Control-Request-*, and cookies when no credentials go (or the jar
// is empty).
func markAbsent(reqs []WireRequest, page []Header, jarEmpty bool) {
	for i := range reqs {
		w := &reqs[i]
		names := []string{"Origin", "Content-Type", "Access-Control-Request-Method", "Access-Control-Request-Headers", "Range"}
		for _, h := range page {
			if !slices.ContainsFunc(userAgentHeaders, func(n string) bool { return byteCaseInsensitiveMatch(n, h.Name) }) {
				names = append(names, h.Name)
			}
		}
		if !w.IncludeCredentials || jarEmpty {
			names = append(names, "Cookie")
		}
		if !w.IncludeCredentials {
			names = append(names, "Authorization")
		}
		for _, n := range names {
			if !w.Headers.Contains(n) && !slices.ContainsFunc(w.Absent, func(a string) bool { return byteCaseInsensitiveMatch(a, n) }) {
				w.Absent = append(w.Absent, n)
			}
		}
	}
}

// userAgentHeaders are headers the user agent may add on its own (fetch
// step 14 for Accept-Language, "per HTTP" for the others), so the page not
// sending one does not mean none goes out.
var userAgentHeaders = []string{"Accept-Language", "User-Agent", "Cache-Control", "Pragma"}

// Decided says what the standard decides about a request header on a wire
// request: its value when sent, or that it is not sent; known is false when
// the browser may add it on its own.
func (w WireRequest) Decided(name string) (value string, sent, known bool) {
	if v, ok := w.Headers.Get(name); ok {
		return v, true, true
	}
	if slices.ContainsFunc(w.Absent, func(a string) bool { return byteCaseInsensitiveMatch(a, name) }) {
		return "", false, true
	}
	return "", false, false
}

func getOr(h HeaderList, name string) string {
	v, _ := h.Get(name)
	return v
}

func ptr[T any](v T) *T { return &v }

// Summary is the prediction in a few words: "allowed  preflight  200 cors".
func (p *StepPrediction) Summary() string {
	if p.Outcome == "" {
		return "not predicted"
	}
	parts := []string{p.Outcome}
	switch {
	case p.PreflightCached != nil && *p.PreflightCached:
		parts = append(parts, "preflight (cached)")
	case p.Preflight != nil && *p.Preflight:
		parts = append(parts, "preflight")
	case p.Preflight != nil:
		parts = append(parts, "no preflight")
	}
	if p.Outcome == scenarios.OutcomeAllowed && p.Status != nil {
		s := strconv.Itoa(*p.Status)
		if p.ResponseType != nil {
			s += " " + *p.ResponseType
		}
		parts = append(parts, s)
	}
	if p.FailedAt != nil {
		parts = append(parts, "fails at "+p.FailedAt.Algorithm+" step "+p.FailedAt.Number)
	}
	return strings.Join(parts, "  ")
}
