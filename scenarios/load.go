package scenarios

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// File is the top level of a scenario file.
type File struct {
	Scenarios []Scenario `yaml:"scenarios"`
}

// Error is a problem in a scenario file, at a line.
type Error struct {
	File string
	Line int
	Msg  string
}

// Error formats the problem as FILE:LINE: message.
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ErrorList is every problem found in one load, in file order.
type ErrorList []*Error

// Error lists every problem, one per line.
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// LoadFiles reads scenario files and checks them together: names must be
// unique across all of them. Every error names the file and line.
func LoadFiles(paths ...string) ([]Scenario, error) {
	var all []Scenario
	var errs ErrorList
	for _, p := range paths {
		data, err := ReadInput(p)
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				errs = append(errs, e)
				continue
			}
			return nil, err
		}
		sc, err := Parse(p, data)
		if err != nil {
			var el ErrorList
			if errors.As(err, &el) {
				errs = append(errs, el...)
				continue
			}
			return nil, err
		}
		all = append(all, sc...)
	}
	errs = append(errs, checkUnique(all)...)
	if len(errs) > 0 {
		return nil, errs
	}
	return all, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func checkUnique(all []Scenario) ErrorList {
	var errs ErrorList
	seen := map[string]string{}
	for _, s := range all {
		if s.Name == "" {
			continue
		}
		if prev, ok := seen[s.Name]; ok {
			file, line := splitSource(s.Source)
			errs = append(errs, &Error{File: file, Line: line, Msg: fmt.Sprintf("duplicate scenario name %q (first at %s)", s.Name, prev)})
			continue
		}
		seen[s.Name] = s.Source
	}
	return errs
}

func splitSource(src string) (string, int) {
	i := strings.LastIndexByte(src, ':')
	if i < 0 {
		return src, 0
	}
	n, err := strconv.Atoi(src[i+1:])
	if err != nil {
		return src, 0
	}
	return src[:i], n
}

// Parse decodes and validates one scenario file. name is used in errors.
func Parse(name string, data []byte) ([]Scenario, error) {
	root, err := DecodeYAML(name, data)
	if err != nil {
		return nil, err
	}
	if root == nil || len(root.Content) == 0 {
		return nil, ErrorList{{File: name, Line: 1, Msg: "empty file: expected a top-level 'scenarios:' list"}}
	}
	// Unknown fields and repeated keys first, pruned from the tree, so that
	// decoding stays linear; then the decoder's own type errors.
	errs := checkShape(name, root, reflect.TypeOf(File{}))
	var f File
	if err := root.Decode(&f); err != nil {
		if el, ok := yamlErrors(name, err).(ErrorList); ok {
			errs = append(errs, el...)
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return nil, errs
	}
	top := root.Content[0]
	list := mapValue(top, "scenarios")
	if list == nil || len(f.Scenarios) == 0 {
		return nil, ErrorList{{File: name, Line: max(top.Line, 1), Msg: "no scenarios: expected a top-level 'scenarios:' list with at least one entry"}}
	}
	for i := range f.Scenarios {
		var node *yaml.Node
		if i < len(list.Content) {
			node = list.Content[i]
		}
		v := validator{file: name, node: node}
		f.Scenarios[i].Source = fmt.Sprintf("%s:%d", name, v.line())
		v.scenario(&f.Scenarios[i])
		errs = append(errs, v.errs...)
	}
	errs = append(errs, checkUnique(f.Scenarios)...)
	if len(errs) > 0 {
		return nil, errs
	}
	return f.Scenarios, nil
}

var cannotUnmarsh = regexp.MustCompile(`cannot unmarshal !!(\w+) ` + "`" + `(.*)` + "`" + ` into (\S+)`)

func typeWhere(t string) string {
	switch t {
	case "File":
		return "the file (expected 'scenarios:')"
	case "Scenario":
		return "scenario"
	case "Request":
		return "request"
	case "Server":
		return "server"
	case "Response":
		return "a response (server.response or server.preflight)"
	case "Redirect":
		return "server.redirects"
	case "Expect":
		return "expect"
	case "Step":
		return "steps"
	}
	return t
}

func goTypeWords(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map"):
		return "a mapping"
	case t == "int", t == "*int":
		return "an integer"
	case t == "bool", t == "*bool":
		return "true or false"
	case t == "string", t == "*string":
		return "a string"
	case strings.HasPrefix(t, "scenarios."):
		return "a mapping (" + typeWhere(strings.TrimPrefix(t, "scenarios.")) + ")"
	}
	return t
}

// mapValue returns the value node of key in a mapping node, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// nodeAt follows keys (and "#N" list indexes) from n.
func nodeAt(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil {
			return nil
		}
		if strings.HasPrefix(k, "#") {
			i, _ := strconv.Atoi(k[1:])
			if n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
			continue
		}
		n = mapValue(n, k)
	}
	return n
}

type validator struct {
	file string
	node *yaml.Node
	errs ErrorList
}

func (v *validator) line(keys ...string) int {
	n := v.node
	best := 0
	if n != nil {
		best = n.Line
	}
	for i := range keys {
		if p := nodeAt(v.node, keys[:i+1]...); p != nil {
			best = p.Line
		}
	}
	return best
}

func (v *validator) errorf(keys []string, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.file, Line: v.line(keys...), Msg: fmt.Sprintf(format, args...)})
}

var (
	kebabRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	labelRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
	tokenRe = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$")
)

// IsToken reports whether s is an HTTP token (RFC 9110): a valid method or
// header name.
func IsToken(s string) bool { return tokenRe.MatchString(s) }

func (v *validator) scenario(s *Scenario) {
	switch {
	case s.Name == "":
		v.errorf(nil, "scenario has no name")
	case !kebabRe.MatchString(s.Name):
		v.errorf([]string{"name"}, "name %q is not lowercase-kebab (a-z, 0-9 and single dashes)", s.Name)
	}
	switch {
	case s.Group == "":
		v.errorf(nil, "scenario %q has no group", s.Name)
	case !kebabRe.MatchString(s.Group):
		v.errorf([]string{"group"}, "group %q is not lowercase-kebab", s.Group)
	}
	if s.Spec != "" {
		if u, err := url.Parse(s.Spec); err != nil || u.Scheme != "https" || u.Host == "" {
			v.errorf([]string{"spec"}, "spec %q is not an https URL", s.Spec)
		}
	}
	v.page([]string{"page"}, s.Page)
	v.localNetwork(nil, s.LocalNetwork, s.Page)
	v.server([]string{"server"}, &s.Server)
	if !oneOf(s.ThirdPartyCookies, "", "allow", "block") {
		v.errorf([]string{"third_party_cookies"}, "third_party_cookies %q is not allow or block", s.ThirdPartyCookies)
	}
	if s.ThirdPartyCookies == "block" {
		for _, st := range s.RequestSteps() {
			if strings.Contains(st.Page, "://") {
				v.errorf([]string{"third_party_cookies"}, "third_party_cookies: block works with label pages only (foo, evil...), not page %q", st.Page)
				break
			}
		}
	}
	for i, c := range s.Cookies {
		v.cookie([]string{"cookies", "#" + strconv.Itoa(i)}, c)
	}
	hasRequest := mapValue(v.node, "request") != nil
	hasExpect := mapValue(v.node, "expect") != nil
	if len(s.Steps) > 0 {
		if hasRequest || hasExpect {
			v.errorf([]string{"steps"}, "scenario %q has both steps and a top-level request/expect: put them in the steps", s.Name)
		}
		for i := range s.Steps {
			at := []string{"steps", "#" + strconv.Itoa(i)}
			st := &s.Steps[i]
			v.page(append(at, "page"), st.Page)
			page := st.Page
			if page == "" {
				page = s.Page
			}
			v.localNetwork(at, st.LocalNetwork.merge(s.LocalNetwork), page)
			if st.After < 0 {
				v.errorf(append(at, "after"), "after must not be negative")
			}
			v.request(append(at, "request"), &st.Request)
			v.expect(append(at, "expect"), &st.Expect)
			v.elementExpect(append(at, "expect"), st.Request.API, &st.Expect)
			if st.Server != nil {
				v.server(append(at, "server"), st.Server)
			}
		}
		return
	}
	if !hasExpect {
		v.errorf(nil, "scenario %q has no expect (expect.outcome is required)", s.Name)
	}
	v.request([]string{"request"}, &s.Request)
	if hasExpect {
		v.expect([]string{"expect"}, &s.Expect)
		v.elementExpect([]string{"expect"}, s.Request.API, &s.Expect)
	}
}

// cookie checks a cookie's Set-Cookie value and the host or origin it is
// for.
func (v *validator) cookie(at []string, c Cookie) {
	name, _, ok := strings.Cut(strings.SplitN(c.SetCookie, ";", 2)[0], "=")
	switch {
	case !ok || !tokenRe.MatchString(strings.TrimSpace(name)):
		v.errorf(at, "cookie %q is not name=value[; attributes]", c.SetCookie)
	case strings.ContainsAny(c.SetCookie, "\r\n\x00"):
		v.errorf(at, "cookie %q contains CR, LF or NUL", c.SetCookie)
	}
	switch {
	case c.For == "", labelRe.MatchString(c.For):
	case strings.Contains(c.For, "://"):
		if u, err := url.Parse(c.For); err != nil || !isOrigin(c.For) || (u.Scheme != "http" && u.Scheme != "https") {
			v.errorf(append(at, "for"), "cookie for %q: not a label (baz), a host under .localhost (www.bar.localhost) or an http(s) origin", c.For)
		}
	default:
		v.errorf(append(at, "for"), "cookie for %q: not a label (baz), a host under .localhost (www.bar.localhost) or an http(s) origin", c.For)
	}
}

func (v *validator) page(at []string, p string) {
	if p == "" || p == "sandboxed" {
		return
	}
	if strings.Contains(p, "://") {
		u, err := url.Parse(p)
		switch {
		case err != nil || !isOrigin(p) || (u.Scheme != "http" && u.Scheme != "https"):
			v.errorf(at, "page %q is not an http(s) origin (scheme://host[:port], nothing after)", p)
		case strings.HasSuffix(u.Hostname(), ".localhost") || u.Hostname() == "localhost":
			v.errorf(at, "page %q: localhost names are the lab's own; write the label instead (page: foo)", p)
		}
		return
	}
	if !labelRe.MatchString(p) {
		v.errorf(at, "page %q is neither an origin label (foo, bar, baz, sandboxed, evil...) nor an origin (https://app.example.com)", p)
	}
}

func oneOf(s string, allowed ...string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

func (v *validator) request(at []string, r *Request) {
	if r.Method != "" && !tokenRe.MatchString(r.Method) {
		v.errorf(append(at, "method"), "method %q is not an HTTP token", r.Method)
	}
	if r.Path != "" && (!strings.HasPrefix(r.Path, "/") || strings.ContainsAny(r.Path, " \r\n#")) {
		v.errorf(append(at, "path"), "path %q must start with / and have no spaces, CR, LF or #", r.Path)
	}
	if r.Target != "" && !labelRe.MatchString(r.Target) {
		v.errorf(append(at, "target"), "target %q is not an origin label", r.Target)
	}
	if !oneOf(r.Credentials, "", "omit", "same-origin", "include") {
		v.errorf(append(at, "credentials"), "credentials %q is not one of omit, same-origin, include", r.Credentials)
	}
	if !oneOf(r.Mode, "", "cors", "no-cors", "same-origin") {
		v.errorf(append(at, "mode"), "mode %q is not one of cors, no-cors, same-origin", r.Mode)
	}
	if !oneOf(r.Redirect, "", "follow", "error", "manual") {
		v.errorf(append(at, "redirect"), "redirect %q is not one of follow, error, manual", r.Redirect)
	}
	if !oneOf(r.API, "", APIFetch, APIXHR, APIImg, APIScript, APIModule, APIStylesheet, APIFont) {
		v.errorf(append(at, "api"), "api %q is not one of fetch, xhr, img, script, module, stylesheet, font", r.API)
	}
	if r.API == "xhr" && (r.Mode == "no-cors" || r.Redirect != "") {
		v.errorf(append(at, "api"), "api xhr has no mode or redirect option")
	}
	v.elementRequest(at, r)
	v.headers(append(at, "headers"), r.Headers)
}

// elementRequest checks what an element's load can and cannot say: it is
// a GET the page writes no header, body or mode for; only its crossorigin
// attribute chooses.
func (v *validator) elementRequest(at []string, r *Request) {
	if r.UploadListener && r.API != APIXHR {
		v.errorf(append(at, "upload_listener"), "upload_listener: %v: only api xhr has an upload object", r.UploadListener)
	}
	if !oneOf(r.CrossOrigin, "", "anonymous", "use-credentials") {
		v.errorf(append(at, "crossorigin"), "crossorigin: %q: is not anonymous or use-credentials (omit it for no attribute)", r.CrossOrigin)
	}
	if !IsElement(r.API) {
		if r.CrossOrigin != "" {
			v.errorf(append(at, "crossorigin"), "crossorigin: %q: only an element has a crossorigin attribute (api img, script, module, stylesheet)", r.CrossOrigin)
		}
		return
	}
	if r.API == APIFont && r.CrossOrigin != "" {
		v.errorf(append(at, "crossorigin"), "crossorigin: %q: a font has no crossorigin attribute: it is always fetched in cors mode, credentials same-origin", r.CrossOrigin)
	}
	for _, f := range []struct {
		field string
		set   bool
		value string
	}{
		{"method", r.Method != "" && r.Method != "GET", r.Method},
		{"headers", len(r.Headers) > 0, "(set)"},
		{"body", r.Body != "", r.Body},
		{"credentials", r.Credentials != "", r.Credentials},
		{"mode", r.Mode != "", r.Mode},
		{"redirect", r.Redirect != "", r.Redirect},
	} {
		if f.set {
			v.errorf(append(at, f.field), "%s: %q: api %s makes a plain GET; its crossorigin attribute, not the page, picks the mode and credentials", f.field, f.value, r.API)
		}
	}
}

func (v *validator) headers(at []string, h Headers) {
	for _, x := range h {
		if !tokenRe.MatchString(x.Name) {
			v.errorf(append(at, x.Name), "header name %q is not an HTTP token", x.Name)
		}
		for _, val := range x.Values {
			if strings.ContainsAny(val, "\r\n") {
				v.errorf(append(at, x.Name), "header %s: value %q contains CR or LF, which would split the header (every other byte may be written, e.g. \"\\0\" or \"\\x01\")", x.Name, val)
			}
		}
	}
}

func (v *validator) response(at []string, r *Response) {
	if r.Raw != "" {
		v.raw(at, r.Raw)
		if r.Status != 0 || r.Reason != nil || len(r.Headers) > 0 || r.Body != "" {
			v.errorf(append(at, "raw"), "raw is the whole answer: give it without status, reason, headers or body")
		}
	}
	if r.Status != 0 && (r.Status < 100 || r.Status > 999) {
		v.errorf(append(at, "status"), "status %d is outside 100-999", r.Status)
	}
	if r.Reason != nil && strings.ContainsAny(*r.Reason, "\r\n") {
		v.errorf(append(at, "reason"), "reason %q contains CR or LF, which would end the status line", *r.Reason)
	}
	if r.Delay < 0 {
		v.errorf(append(at, "delay"), "delay must not be negative")
	}
	v.headers(append(at, "headers"), r.Headers)
}

// raw checks that a raw answer starts with a status line.
func (v *validator) raw(at []string, r RawAnswer) {
	if !strings.HasPrefix(r.StatusLine(), "HTTP/") {
		v.errorf(append(at, "raw"), "raw answer must start with a status line such as HTTP/1.1 200 OK, not %q", r.StatusLine())
	}
}

func (v *validator) server(base []string, s *Server) {
	at := func(keys ...string) []string { return append(append([]string(nil), base...), keys...) }
	for i, o := range s.AllowOrigins {
		if labelRe.MatchString(o) || o == "null" {
			continue
		}
		if !isOrigin(o) {
			v.errorf(at("allow_origins", "#"+strconv.Itoa(i)), "allow_origins entry %q is neither a label (foo) nor an origin (scheme://host[:port], no path)", o)
		}
	}
	if s.Preflight != nil {
		v.response(at("preflight"), s.Preflight)
	}
	v.response(at("response"), &s.Response)
	for i := range s.Redirects {
		hop := at("redirects", "#"+strconv.Itoa(i))
		r := &s.Redirects[i]
		if r.Raw != "" {
			v.raw(hop, r.Raw)
			if r.Status != 0 || r.To != "" || r.Location != "" || len(r.Headers) > 0 {
				v.errorf(append(hop, "raw"), "raw is the whole redirect: give it without status, to, location or headers")
			}
		}
		if r.Status != 0 && (r.Status < 300 || r.Status > 399) {
			v.errorf(append(hop, "status"), "redirect status %d is not 3xx", r.Status)
		}
		if r.To != "" && !labelRe.MatchString(r.To) {
			v.errorf(append(hop, "to"), "to %q is not an origin label", r.To)
		}
		if r.To != "" && r.Location != "" {
			v.errorf(append(hop, "location"), "give either to or location, not both")
		}
		if strings.ContainsAny(r.Location, "\r\n") {
			v.errorf(append(hop, "location"), "location %q contains CR or LF", r.Location)
		}
		v.headers(append(hop, "headers"), r.Headers)
		if r.Preflight != nil {
			v.response(append(hop, "preflight"), r.Preflight)
		}
	}
}

// isOrigin reports whether s is a serialized origin: scheme://host[:port].
func isOrigin(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return false
	}
	return u.Path == "" && u.RawQuery == "" && u.Fragment == "" && u.User == nil && s == u.Scheme+"://"+u.Host
}

func (v *validator) expect(at []string, e *Expect) {
	v.expectFields(at, e, false)
	for name, over := range e.Engines {
		where := append(append([]string{}, at...), "engines", name)
		if !kebabRe.MatchString(name) {
			v.errorf(where, "engine %q is not a lowercase engine name such as firefox", name)
		}
		if len(over.Engines) > 0 {
			v.errorf(append(where, "engines"), "engines: inside engines: is not allowed")
		}
		if over.Outcome == "" {
			over.Outcome = e.Outcome
		}
		v.expectFields(where, &over, true)
	}
}

// expectFields checks one expectation's fields; an engine's override may
// leave the outcome out.
func (v *validator) expectFields(at []string, e *Expect, override bool) {
	switch e.Outcome {
	case OutcomeAllowed, OutcomeBlocked:
	case "":
		if override {
			break
		}
		v.errorf(at, "expect.outcome is required (allowed or blocked)")
	default:
		v.errorf(append(at, "outcome"), "outcome %q is not allowed or blocked", e.Outcome)
	}
	if !oneOf(e.ResponseType, "", "basic", "cors", "opaque", "opaqueredirect") {
		v.errorf(append(at, "response_type"), "response_type %q is not one of basic, cors, opaque, opaqueredirect", e.ResponseType)
	}
	if e.Outcome == OutcomeAllowed && e.CorsError != nil && *e.CorsError != "" {
		v.errorf(append(at, "cors_error"), "outcome allowed with cors_error %q: a CORS error always blocks", *e.CorsError)
	}
	for _, h := range append(append([]string{}, e.ReadableHeaders...), e.UnreadableHeaders...) {
		if !tokenRe.MatchString(h) {
			v.errorf(at, "header name %q is not an HTTP token", h)
		}
	}
	if !oneOf(e.RequestMode, "", "cors", "no-cors", "same-origin", "navigate") {
		v.errorf(append(at, "request_mode"), "request_mode: %q: is not one of cors, no-cors, same-origin, navigate", e.RequestMode)
	}
}

// elementExpect checks that an expectation asks an element only what it
// can show: tainted for img and stylesheet, muted_errors for scripts.
func (v *validator) elementExpect(at []string, api string, e *Expect) {
	if e.Tainted != nil && api != APIImg && api != APIStylesheet {
		v.errorf(append(at, "tainted"), "tainted: %v: only api img (canvas) and stylesheet (cssRules) can be tainted, not %s", *e.Tainted, orFetch(api))
	}
	if e.MutedErrors != nil && api != APIScript && api != APIModule {
		v.errorf(append(at, "muted_errors"), "muted_errors: %v: only api script and module report errors to window.onerror, not %s", *e.MutedErrors, orFetch(api))
	}
	if !IsElement(api) {
		return
	}
	for _, f := range []struct {
		field string
		set   bool
	}{
		{"status", e.Status != nil}, {"status_text", e.StatusText != nil}, {"response_type", e.ResponseType != ""},
		{"body", e.Body != nil}, {"readable_headers", len(e.ReadableHeaders) > 0}, {"unreadable_headers", len(e.UnreadableHeaders) > 0},
		{"redirected", e.Redirected != nil}, {"response_url_origin", e.ResponseURLOrigin != ""},
	} {
		if f.set {
			v.errorf(append(at, f.field), "%s: api %s gives the page no response object to read; expect outcome, tainted, muted_errors, timing_allowed or what the server received", f.field, api)
		}
	}
}

func orFetch(api string) string {
	if api == "" {
		return APIFetch
	}
	return api
}

// UnmarshalYAML reads a mapping of header names to a value or a list of
// values, keeping the order. Values are taken as text exactly as written.
func (h *Headers) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: headers must be a mapping of name: value", n.Line)
	}
	var out Headers
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		hd := Header{Name: k.Value}
		switch val.Kind {
		case yaml.ScalarNode:
			if val.Tag == "!!null" {
				hd.Values = []string{""}
			} else {
				hd.Values = []string{val.Value}
			}
		case yaml.SequenceNode:
			for _, item := range val.Content {
				if item.Kind != yaml.ScalarNode {
					return fmt.Errorf("line %d: header %s: list items must be plain values", item.Line, k.Value)
				}
				hd.Values = append(hd.Values, item.Value)
			}
			if len(hd.Values) == 0 {
				return fmt.Errorf("line %d: header %s: empty list (give at least one value)", val.Line, k.Value)
			}
		default:
			return fmt.Errorf("line %d: header %s: value must be text or a list of text", val.Line, k.Value)
		}
		out = append(out, hd)
	}
	*h = out
	return nil
}

// MarshalYAML writes the headers as a mapping.
func (h Headers) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, x := range h {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: x.Name})
		if len(x.Values) == 1 {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: x.Values[0], Style: yaml.DoubleQuotedStyle})
			continue
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, v := range x.Values {
			seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: v, Style: yaml.DoubleQuotedStyle})
		}
		n.Content = append(n.Content, seq)
	}
	return n, nil
}

// UnmarshalYAML reads a duration such as "1.5s" or "200ms".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a duration must be text such as 1.5s", n.Line)
	}
	x, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (write e.g. 1.5s or 200ms)", n.Line, n.Value)
	}
	*d = Duration(x)
	return nil
}

// MarshalYAML writes the duration as text.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }
