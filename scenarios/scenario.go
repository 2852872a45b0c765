// Package scenarios holds CORS scenarios as plain data: the server's header
// configuration, the request a page makes, what the browser is expected to do
// and the lesson the exchange teaches. It also loads and validates scenario
// files, and embeds the built-in catalog.
//
// The package imports nothing else of corslab: servers and the harness read
// scenarios, never the other way round.
package scenarios

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// Scenario is one CORS exchange: bar answers as Server says, a page on Page
// makes Request, and the browser is expected to behave as Expect says.
//
// A scenario either has one Request and Expect, or a list of Steps that run in
// order against the same server configuration and the same unique path.
type Scenario struct {
	// Name is unique and lowercase-kebab, e.g. "preflight-delete-api-key".
	Name string `yaml:"name" json:"name"`
	// Group names the part of the protocol the scenario illustrates.
	Group string `yaml:"group" json:"group"`
	// Lesson explains, for someone new to CORS, what the exchange teaches.
	Lesson string `yaml:"lesson,omitempty" json:"lesson,omitempty"`
	// Spec links the section of the Fetch standard the scenario illustrates.
	Spec string `yaml:"spec,omitempty" json:"spec,omitempty"`
	// Divergence names the engines that depart from the Fetch standard in
	// this scenario (divergence: [chromium, firefox]); the expectation
	// records what each does (the base for Chromium, engines: for the
	// others) and the lesson explains it. The older scalar form
	// (divergence: true) means Chromium.
	Divergence Divergence `yaml:"divergence,omitempty" json:"divergence,omitempty"`
	// Page is the origin of the calling page: "foo" (the default), "bar",
	// "baz", "sandboxed" (an opaque origin, null), or any other host label,
	// which becomes http://LABEL.localhost:PORT.
	Page string `yaml:"page,omitempty" json:"page,omitempty"`
	// Request is what the page asks for.
	Request Request `yaml:"request,omitempty" json:"request"`
	// Server is how bar answers.
	Server Server `yaml:"server" json:"server"`
	// Expect is what the browser should do. Omitted fields are not checked.
	Expect Expect `yaml:"expect,omitempty" json:"expect"`
	// Cookies are put in the browser's cookie jar before the first step, each
	// written as a Set-Cookie value ("c1=v1; SameSite=None; Secure"), for bar
	// unless the cookie names another host or origin. The jar is emptied
	// before and after every scenario that uses cookies.
	Cookies []Cookie `yaml:"cookies,omitempty" json:"cookies,omitempty"`
	// ThirdPartyCookies is "allow" (default: corslab's profile lets
	// cross-site cookies through) or "block" (Chromium's own default, run in
	// a second browser whose profile keeps it).
	ThirdPartyCookies string `yaml:"third_party_cookies,omitempty" json:"third_party_cookies,omitempty"`
	// Steps, when given, replace Request and Expect: each runs in order.
	Steps []Step `yaml:"steps,omitempty" json:"steps,omitempty"`
	// LocalNetwork places the page and bar in Local Network Access's
	// address spaces (lna.go); a step may override it.
	LocalNetwork `yaml:",inline"`

	// Source is where the scenario was read from ("file.yaml:12").
	Source string `yaml:"-" json:"source,omitempty"`
}

// Step is one request of a multi-step scenario.
type Step struct {
	// Page overrides the scenario's page for this step.
	Page string `yaml:"page,omitempty" json:"page,omitempty"`
	// After is how long to wait before the step runs.
	After Duration `yaml:"after,omitempty" json:"after,omitempty"`
	// Request is what the page asks for in this step.
	Request Request `yaml:"request" json:"request"`
	// Expect is what the browser should do in this step.
	Expect Expect `yaml:"expect" json:"expect"`
	// Server, when set, replaces the scenario's server for this step's
	// requests only (e.g. a policy that changes between two requests).
	Server *Server `yaml:"server,omitempty" json:"server,omitempty"`
	// LocalNetwork overrides the scenario's address spaces and permission
	// for this step.
	LocalNetwork `yaml:",inline"`
}

// Request is the request a page makes with fetch() or XMLHttpRequest.
type Request struct {
	// Method is sent exactly as written ("patch" is not "PATCH"); default GET.
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// Path is appended to the scenario's unique path on bar; default "/".
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// Target is the origin the request goes to: "bar" (default), "foo",
	// "baz" or another label.
	Target string `yaml:"target,omitempty" json:"target,omitempty"`
	// Headers are request headers the page sets, in order.
	Headers Headers `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Credentials is the credentials mode: omit, same-origin (default) or include.
	Credentials string `yaml:"credentials,omitempty" json:"credentials,omitempty"`
	// Mode is the request mode: cors (default) or no-cors.
	Mode string `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Redirect is the redirect mode: follow (default), error or manual.
	Redirect string `yaml:"redirect,omitempty" json:"redirect,omitempty"`
	// Body is sent as the request body when not empty.
	Body string `yaml:"body,omitempty" json:"body,omitempty"`
	// API is fetch (default), xhr, or an element the page adds: img,
	// script (a classic <script src>), module (<script type=module>),
	// stylesheet (<link rel=stylesheet>) or font (a FontFace, as
	// @font-face loads it). An element makes a GET with no headers or
	// body of the page's.
	API string `yaml:"api,omitempty" json:"api,omitempty"`
	// CrossOrigin is the element's crossorigin attribute: anonymous or
	// use-credentials; omitted, the element has none (img, script and
	// stylesheet then fetch in no-cors mode; a module script and a font
	// are always CORS).
	CrossOrigin string `yaml:"crossorigin,omitempty" json:"crossorigin,omitempty"`
	// UploadListener registers a progress listener on
	// XMLHttpRequest.upload before send() (xhr only).
	UploadListener bool `yaml:"upload_listener,omitempty" json:"upload_listener,omitempty"`
}

// Request APIs: the page's scripting APIs and the elements it can add.
const (
	APIFetch      = "fetch"
	APIXHR        = "xhr"
	APIImg        = "img"
	APIScript     = "script"
	APIModule     = "module"
	APIStylesheet = "stylesheet"
	APIFont       = "font"
)

// IsElement reports whether api is an element's load (img, script,
// module, stylesheet, font) rather than fetch() or XMLHttpRequest.
func IsElement(api string) bool {
	switch api {
	case APIImg, APIScript, APIModule, APIStylesheet, APIFont:
		return true
	}
	return false
}

// WithDefaults returns the request with the format's defaults filled in:
// method GET, path /, target bar, api fetch.
func (r Request) WithDefaults() Request {
	if r.Method == "" {
		r.Method = "GET"
	}
	if r.Path == "" {
		r.Path = "/"
	}
	if r.Target == "" {
		r.Target = "bar"
	}
	if r.API == "" {
		r.API = "fetch"
	}
	return r
}

// Server is bar's configuration for one scenario.
type Server struct {
	// AllowOrigins, when set, makes bar send Access-Control-Allow-Origin with
	// the request's Origin only when that origin is listed (a label such as
	// foo, or a full origin), and Vary: Origin always.
	AllowOrigins []string `yaml:"allow_origins,omitempty" json:"allow_origins,omitempty"`
	// Preflight is bar's answer to a CORS preflight. When nil, a preflight
	// gets Response.
	Preflight *Response `yaml:"preflight,omitempty" json:"preflight,omitempty"`
	// Response is bar's answer to the actual request.
	Response Response `yaml:"response" json:"response"`
	// Redirects are answered, in order, before Response.
	Redirects []Redirect `yaml:"redirects,omitempty" json:"redirects,omitempty"`
}

// Response is one HTTP answer.
type Response struct {
	// Status is the status code, 100-999; default 200.
	Status int `yaml:"status,omitempty" json:"status,omitempty"`
	// Reason is the status line's reason phrase; nil means the standard
	// phrase of Status (none for a code without one). Its characters are
	// bytes as in header values (see IsomorphicEncode).
	Reason *string `yaml:"reason,omitempty" json:"reason,omitempty"`
	// Headers go on the wire byte for byte as written, in order. A value is
	// a byte sequence: see IsomorphicEncode for how its characters become
	// bytes.
	Headers Headers `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Body is the response body, sent as UTF-8.
	Body string `yaml:"body,omitempty" json:"body,omitempty"`
	// Raw, when set, is the whole answer exactly as bar writes it (status
	// line, headers, body), instead of Status, Reason, Headers and Body.
	Raw RawAnswer `yaml:"raw,omitempty" json:"raw,omitempty"`
	// Delay holds the answer back; a delay longer than the scenario timeout
	// models a server that never answers.
	Delay Duration `yaml:"delay,omitempty" json:"delay,omitempty"`
}

// Redirect is one hop answered before the final response.
type Redirect struct {
	// Status is the redirect status; default 302.
	Status int `yaml:"status,omitempty" json:"status,omitempty"`
	// To is the origin label the Location points at: foo, bar, baz or a label.
	To string `yaml:"to,omitempty" json:"to,omitempty"`
	// Location, when set, is sent instead of the one To makes.
	Location string `yaml:"location,omitempty" json:"location,omitempty"`
	// Headers are sent with the redirect.
	Headers Headers `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Preflight is this hop's answer to a preflight; when nil a preflight
	// gets the redirect itself.
	Preflight *Response `yaml:"preflight,omitempty" json:"preflight,omitempty"`
	// Raw, when set, is the whole redirect exactly as bar writes it, instead
	// of Status, To, Location and Headers; {scenario_path} in it leads to
	// the next hop.
	Raw RawAnswer `yaml:"raw,omitempty" json:"raw,omitempty"`
}

// Expect is what the browser is expected to do. Every field but Outcome is
// optional; a nil or empty field is not checked.
type Expect struct {
	// Outcome is "allowed" (the promise resolved, the page got a response) or
	// "blocked" (it rejected with a network error).
	Outcome string `yaml:"outcome" json:"outcome"`
	// Preflight says whether the browser sent a CORS preflight.
	Preflight *bool `yaml:"preflight,omitempty" json:"preflight,omitempty"`
	// PreflightCached says whether the browser answered the preflight from
	// its preflight cache (no OPTIONS on the wire, the request needed one).
	PreflightCached *bool `yaml:"preflight_cached,omitempty" json:"preflight_cached,omitempty"`
	// ReachedServer says whether the actual request reached the server.
	ReachedServer *bool `yaml:"reached_server,omitempty" json:"reached_server,omitempty"`
	// FailedCheck is the step of the Fetch standard's model that failed,
	// as the model names it ("CORS check step 2", "CORS-preflight fetch
	// step 7.5"), "" for none. Every engine's driver maps its own reason to
	// it, so it is checked on every engine.
	FailedCheck *string `yaml:"failed_check,omitempty" json:"failed_check,omitempty"`
	// CorsError is Chromium's reason (Network.CorsError), "" for none. It
	// is checked on Chromium only; engines: gives another engine's.
	CorsError *string `yaml:"cors_error,omitempty" json:"cors_error,omitempty"`
	// FailedParameter is the value Chromium names with the reason.
	FailedParameter *string `yaml:"failed_parameter,omitempty" json:"failed_parameter,omitempty"`
	// Status is the status the page read.
	Status *int `yaml:"status,omitempty" json:"status,omitempty"`
	// StatusText is the status message the page read (Response.statusText),
	// in the notation of header values.
	StatusText *string `yaml:"status_text,omitempty" json:"status_text,omitempty"`
	// ResponseType is the Response.type the page read: basic, cors or opaque.
	ResponseType string `yaml:"response_type,omitempty" json:"response_type,omitempty"`
	// Body is the body the page read.
	Body *string `yaml:"body,omitempty" json:"body,omitempty"`
	// ReadableHeaders must be readable by the page.
	ReadableHeaders []string `yaml:"readable_headers,omitempty" json:"readable_headers,omitempty"`
	// UnreadableHeaders must not be readable by the page.
	UnreadableHeaders []string `yaml:"unreadable_headers,omitempty" json:"unreadable_headers,omitempty"`
	// Console is a substring of Chromium's console message; checked on
	// Chromium only (engines: gives another engine's).
	Console string `yaml:"console,omitempty" json:"console,omitempty"`
	// Redirected says whether the response the page got came after a redirect.
	Redirected *bool `yaml:"redirected,omitempty" json:"redirected,omitempty"`
	// CookiesSent lists cookies ("name" or "name=value") bar must have
	// received on the actual request; an empty list means no Cookie header.
	CookiesSent *[]string `yaml:"cookies_sent,omitempty" json:"cookies_sent,omitempty"`
	// CookieSet says whether a cookie bar set with Set-Cookie landed in the
	// browser's jar during this step.
	CookieSet *bool `yaml:"cookie_set,omitempty" json:"cookie_set,omitempty"`
	// ServerReceived names request headers the server must have received on
	// the actual request, with their value ("*" for any value). Values in
	// expectations may use {foo}, {bar}, {baz} and {label:NAME}.
	ServerReceived StringMap `yaml:"server_received,omitempty" json:"server_received,omitempty"`
	// PreflightReceived names headers the server must have received on the
	// (last) preflight, with their value ("*" for any value).
	PreflightReceived StringMap `yaml:"preflight_received,omitempty" json:"preflight_received,omitempty"`
	// FromCache says whether the response came from Chromium's HTTP cache
	// (nothing went on the wire for the actual request).
	FromCache *bool `yaml:"from_cache,omitempty" json:"from_cache,omitempty"`
	// PreflightNotReceived names headers the (last) preflight must not carry.
	PreflightNotReceived []string `yaml:"preflight_not_received,omitempty" json:"preflight_not_received,omitempty"`
	// CookiesNotSent lists cookie names bar must not have received on the
	// actual request.
	CookiesNotSent []string `yaml:"cookies_not_sent,omitempty" json:"cookies_not_sent,omitempty"`
	// JSError is a substring of the error JavaScript caught, e.g.
	// "is unsupported in no-cors mode".
	JSError string `yaml:"js_error,omitempty" json:"js_error,omitempty"`
	// MethodReceived is the method the actual request arrived with at the
	// last hop (e.g. GET after a 303 redirect of a POST).
	MethodReceived string `yaml:"method_received,omitempty" json:"method_received,omitempty"`
	// ServerNotReceived names request headers the server must not have received.
	ServerNotReceived []string `yaml:"server_not_received,omitempty" json:"server_not_received,omitempty"`
	// RequestMode is the mode the actual request was made in, as the
	// browser wrote it in Sec-Fetch-Mode: cors, no-cors, same-origin,
	// navigate.
	RequestMode string `yaml:"request_mode,omitempty" json:"request_mode,omitempty"`
	// Tainted says whether the page was denied the loaded resource's
	// content: an img drawn on a canvas makes getImageData throw a
	// SecurityError, a stylesheet's cssRules throws one.
	Tainted *bool `yaml:"tainted,omitempty" json:"tainted,omitempty"`
	// MutedErrors says whether the error a script threw reached
	// window.onerror muted: "Script error." with no line, column or error
	// object (script and module).
	MutedErrors *bool `yaml:"muted_errors,omitempty" json:"muted_errors,omitempty"`
	// ResponseURLOrigin is the origin of the URL the page's response came
	// from (Response.url, XMLHttpRequest.responseURL): after a redirect, the
	// last hop's, e.g. "{baz}".
	ResponseURLOrigin string `yaml:"response_url_origin,omitempty" json:"response_url_origin,omitempty"`
	// TimingAllowed says whether the request's PerformanceResourceTiming
	// entry has its detailed fields (requestStart, responseStart…); they
	// are zero for a cross-origin resource without Timing-Allow-Origin.
	TimingAllowed *bool `yaml:"timing_allowed,omitempty" json:"timing_allowed,omitempty"`
	// ServerConnected says whether the browser opened a connection to the
	// target during the step, whether or not a request followed on it.
	ServerConnected *bool `yaml:"server_connected,omitempty" json:"server_connected,omitempty"`
	// Engines holds, per engine other than Chromium (firefox: ...), the
	// fields whose expectation differs there or is engine-specific
	// (cors_error, console); each set field replaces the base's.
	Engines map[string]Expect `yaml:"engines,omitempty" json:"engines,omitempty"`
}

// Outcomes a scenario can expect. For an element, allowed is its load event
// (for a font: the face loaded), blocked its error event.
const (
	OutcomeAllowed = "allowed"
	OutcomeBlocked = "blocked"
)

// StepServer returns the server configuration that answers a step's
// requests: the step's own, or the scenario's.
func (s Scenario) StepServer(st Step) Server {
	if st.Server != nil {
		return *st.Server
	}
	return s.Server
}

// NeedsJar says whether a run of the scenario must put cookies in the
// browser's jar or read it: cookies to set, the browser's third-party
// setting, or a step that expects a cookie set.
func (s Scenario) NeedsJar() bool {
	needs := len(s.Cookies) > 0 || s.ThirdPartyCookies != ""
	for _, st := range s.RequestSteps() {
		needs = needs || st.Expect.CookieSet != nil
	}
	return needs
}

// FullOriginPage is the first page of the scenario given as a full origin
// (https://app.example.com) rather than a lab label, or "".
func (s Scenario) FullOriginPage() string {
	for _, st := range s.RequestSteps() {
		if strings.Contains(st.Page, "://") {
			return st.Page
		}
	}
	return ""
}

// RequestSteps returns the scenario's steps: Steps when given, or one step
// made of Page, Request and Expect.
func (s Scenario) RequestSteps() []Step {
	if len(s.Steps) > 0 {
		out := make([]Step, len(s.Steps))
		for i, st := range s.Steps {
			if st.Page == "" {
				st.Page = s.Page
			}
			st.LocalNetwork = st.LocalNetwork.merge(s.LocalNetwork)
			out[i] = st
		}
		return out
	}
	return []Step{{Page: s.Page, Request: s.Request, Expect: s.Expect, LocalNetwork: s.LocalNetwork}}
}

// Header is one header name with its values; each value is its own line.
type Header struct {
	Name   string
	Values []string
}

// Headers is an ordered list of headers.
type Headers []Header

// Get returns the values of the first header named name, compared without case.
func (h Headers) Get(name string) []string {
	for _, x := range h {
		if strings.EqualFold(x.Name, name) {
			return x.Values
		}
	}
	return nil
}

// Has reports whether a header named name is present, compared without case.
func (h Headers) Has(name string) bool {
	for _, x := range h {
		if strings.EqualFold(x.Name, name) {
			return true
		}
	}
	return false
}

// MarshalJSON writes the headers as an object, in order; a header with
// several lines becomes an array.
func (h Headers) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range h {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := marshalText(x.Name)
		if err != nil {
			return nil, err
		}
		var val any = x.Values
		if len(x.Values) == 1 {
			val = x.Values[0]
		}
		v, err := marshalText(val)
		if err != nil {
			return nil, err
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalText is json.Marshal without HTML escaping, so values such as
// "a<b&c" read as written in reports.
func marshalText(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Duration is a time.Duration written as "1.5s" or "200ms".
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes the duration as a string such as "1.5s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return marshalText(time.Duration(d).String())
}
