// Package policy reads CORS policy files, which state what a server's CORS
// configuration is meant to allow, and derives from a policy the probes a
// real browser should run against the server, each with the verdict the
// policy implies. Expectations come from the policy only, never from what
// the server answers.
package policy

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/corslab/corslab/scenarios"
)

// Policy is the intended CORS policy of one server resource.
//
//	target: http://127.0.0.1:8080/api/items
//	origins: [https://app.example.com, http://localhost:3000]
//	methods: [GET, POST, DELETE]
//	request_headers: [Api-Key, Content-Type]
//	credentials: true
//	expose_headers: [X-Total-Count]
//	max_age: 600
type Policy struct {
	// Target is the URL the probes request: the origin of a running server
	// and the path of the resource. It may be left out when the target comes
	// from the command line or from a Go handler.
	Target string `json:"target,omitempty"`
	// Origins are the serialized origins allowed to read responses, each
	// scheme://host[:port] with no path and no trailing slash; "null" is
	// allowed but rarely wise.
	Origins []string `json:"origins"`
	// Methods are the methods pages on those origins may use.
	Methods []string `json:"methods,omitempty"`
	// RequestHeaders are the request headers pages may set.
	RequestHeaders []string `json:"request_headers,omitempty"`
	// Credentials says whether pages may send cookies and read the answer.
	Credentials bool `json:"credentials"`
	// ExposeHeaders are response headers pages may read beyond the safelist.
	ExposeHeaders []string `json:"expose_headers,omitempty"`
	// MaxAge, when set, is the Access-Control-Max-Age preflight answers carry.
	MaxAge *int `json:"max_age,omitempty"`
	// AddressSpace "public" adds the Local Network Access probes: the
	// target called from a page on a public address (lna.go).
	AddressSpace string `json:"address_space,omitempty"`

	// File is where the policy was read from; TargetLine is the line of
	// target in it (0 when absent).
	File       string `json:"-"`
	TargetLine int    `json:"-"`
}

// Error is a problem in a policy file, at a line: the same FILE:LINE error
// as a scenario file's.
type Error = scenarios.Error

// ErrorList is every problem found in a policy file, in file order.
type ErrorList = scenarios.ErrorList

// IsPolicyError reports whether err is a problem with a policy file (as
// opposed to, say, a browser that would not start).
func IsPolicyError(err error) bool {
	var el ErrorList
	var e *Error
	return errors.As(err, &el) || errors.As(err, &e)
}

// Load reads and validates a policy file: a regular file of at most
// scenarios.MaxFileSize bytes, one YAML document, read by the same helpers
// as scenario files.
func Load(path string) (*Policy, error) {
	data, err := scenarios.ReadInput(path)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, ErrorList{e}
		}
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes and validates a policy; name is used in errors.
func Parse(name string, data []byte) (*Policy, error) {
	root, err := scenarios.DecodeYAML(name, data)
	if err != nil {
		return nil, err
	}
	if root == nil || len(root.Content) == 0 {
		return nil, ErrorList{{File: name, Line: 1, Msg: "empty file: expected a policy with at least 'origins:'"}}
	}
	p := &Policy{File: name}
	v := &validator{file: name}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, ErrorList{{File: name, Line: max(top.Line, 1), Msg: "a policy is a mapping with target, origins, methods, request_headers, credentials, expose_headers and max_age"}}
	}
	seen := map[string]bool{}
	var originsLine int
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, val := top.Content[i], top.Content[i+1]
		if seen[k.Value] {
			v.add(k, "%q is given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "target":
			p.Target = v.str(val)
			p.TargetLine = val.Line
			v.target(val, p.Target)
		case "origins":
			originsLine = k.Line
			p.Origins = v.list(val, v.origin)
		case "methods":
			p.Methods = v.list(val, v.method)
		case "request_headers":
			p.RequestHeaders = v.list(val, v.header("request header"))
		case "expose_headers":
			p.ExposeHeaders = v.list(val, v.header("response header"))
		case "credentials":
			if val.Kind != yaml.ScalarNode || val.Tag != "!!bool" {
				v.add(val, "credentials must be true or false, not %q", val.Value)
				continue
			}
			p.Credentials = val.Value == "true"
		case "max_age":
			n, err := strconv.Atoi(val.Value)
			if val.Kind != yaml.ScalarNode || val.Tag != "!!int" || err != nil || n < 0 {
				v.add(val, "max_age must be a whole number of seconds, 0 or more, not %q", val.Value)
				continue
			}
			p.MaxAge = &n
		case "address_space":
			p.AddressSpace = v.addressSpace(val)
		default:
			v.add(k, "unknown field %q (known: target, origins, methods, request_headers, credentials, expose_headers, max_age, address_space)", k.Value)
		}
	}
	if !seen["origins"] {
		v.errs = append(v.errs, &Error{File: name, Line: top.Line, Msg: "no origins: a policy lists the origins allowed to read responses"})
	} else if len(p.Origins) == 0 && len(v.errs) == 0 {
		v.errs = append(v.errs, &Error{File: name, Line: originsLine, Msg: "origins is empty: list at least one origin"})
	}
	if len(v.errs) > 0 {
		return nil, v.errs
	}
	return p, nil
}

type validator struct {
	file string
	errs ErrorList
}

func (v *validator) add(n *yaml.Node, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) str(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		v.add(n, "expected a string")
		return ""
	}
	return n.Value
}

// list reads a sequence of strings, checking each and refusing duplicates.
func (v *validator) list(n *yaml.Node, check func(*yaml.Node, string) string) []string {
	if n.Kind != yaml.SequenceNode {
		v.add(n, "expected a list, e.g. [a, b]")
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, item := range n.Content {
		if item.Kind != yaml.ScalarNode {
			v.add(item, "expected a string")
			continue
		}
		s := check(item, item.Value)
		if s == "" {
			continue
		}
		key := strings.ToLower(s)
		if seen[key] {
			v.add(item, "%q is listed twice", item.Value)
			continue
		}
		seen[key] = true
		out = append(out, s)
	}
	return out
}

// target checks the target URL: http(s), a host, and on loopback, since
// corslab reaches no other network and probes only the target.
func (v *validator) target(n *yaml.Node, s string) {
	if s == "" {
		return
	}
	if err := CheckTarget(s); err != nil {
		v.add(n, "%v", err)
	}
}

// CheckTarget validates a target URL: absolute http or https, a host, no
// fragment, and the host on loopback (127.0.0.0/8, ::1 or localhost).
func CheckTarget(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("target %q is not a URL: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("target %q must be an http:// or https:// URL", s)
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("target %q must be scheme://host[:port]/path, with no user and no #fragment", s)
	}
	if !IsLoopbackHost(u.Hostname()) {
		return fmt.Errorf("target %q is not on loopback: corslab only probes servers on this machine (127.0.0.1, ::1 or localhost); run it where the server runs, or forward a local port to it", s)
	}
	return nil
}

// IsLoopbackHost reports whether host is localhost or a loopback address.
func IsLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func (v *validator) origin(n *yaml.Node, s string) string {
	if err := CheckOrigin(s); err != nil {
		v.add(n, "%v", err)
		return ""
	}
	return s
}

// CheckOrigin reports why s is not a serialized origin as a browser sends it
// in the Origin header: scheme://host[:port], lowercase, no default port, no
// path, no trailing slash.
func CheckOrigin(s string) error {
	if s == "null" {
		return nil
	}
	if s == "*" {
		return fmt.Errorf("origin \"*\": a policy lists the origins it allows; a public resource has no CORS policy to check")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return fmt.Errorf("origin %q has no scheme: write https://%s or http://%s", s, s, s)
	}
	if scheme != "http" && scheme != "https" {
		return fmt.Errorf("origin %q: the scheme must be http or https", s)
	}
	if rest == "" {
		return fmt.Errorf("origin %q has no host", s)
	}
	if strings.HasSuffix(rest, "/") && !strings.Contains(strings.TrimSuffix(rest, "/"), "/") {
		return fmt.Errorf("origin %q has a trailing slash: browsers send %s", s, strings.TrimSuffix(s, "/"))
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return fmt.Errorf("origin %q has a path: an origin is scheme://host[:port], e.g. %s://%s", s, scheme, rest[:i])
	}
	if strings.Contains(rest, "@") {
		return fmt.Errorf("origin %q has user info: an origin is scheme://host[:port]", s)
	}
	if strings.Contains(rest, "*") {
		return fmt.Errorf("origin %q has a wildcard: list each origin", s)
	}
	if rest != strings.ToLower(rest) {
		return fmt.Errorf("origin %q has capitals: browsers send the host in lowercase (%s://%s)", s, scheme, strings.ToLower(rest))
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("origin %q is not a valid origin", s)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("origin %q has a bad port", s)
		}
		if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
			return fmt.Errorf("origin %q names the default port: browsers send %s://%s", s, scheme, u.Hostname())
		}
	} else if strings.HasSuffix(rest, ":") {
		return fmt.Errorf("origin %q has an empty port", s)
	}
	return nil
}

func (v *validator) method(n *yaml.Node, s string) string {
	switch {
	case !scenarios.IsToken(s):
		v.add(n, "method %q is not a valid method name (letters, digits and !#$%%&'*+-.^_`|~ only)", s)
	case s == "*":
		v.add(n, "method \"*\": list the methods the policy allows")
	case strings.EqualFold(s, "CONNECT") || strings.EqualFold(s, "TRACE") || strings.EqualFold(s, "TRACK"):
		v.add(n, "method %q is forbidden in fetch(): no page can send it", s)
	case s != strings.ToUpper(s):
		v.add(n, "method %q: write methods in capitals; methods are case-sensitive and browsers send %s", s, strings.ToUpper(s))
	default:
		return s
	}
	return ""
}

// forbiddenHeaders are request headers a page cannot set (Fetch standard,
// "forbidden request-header").
var forbiddenHeaders = map[string]bool{
	"accept-charset": true, "accept-encoding": true, "access-control-request-headers": true,
	"access-control-request-method": true, "connection": true, "content-length": true,
	"cookie": true, "cookie2": true, "date": true, "dnt": true, "expect": true, "host": true,
	"keep-alive": true, "origin": true, "referer": true, "set-cookie": true, "te": true,
	"trailer": true, "transfer-encoding": true, "upgrade": true, "via": true,
}

func (v *validator) header(kind string) func(*yaml.Node, string) string {
	return func(n *yaml.Node, s string) string {
		l := strings.ToLower(s)
		switch {
		case s == "*":
			v.add(n, "%s \"*\": list the headers the policy allows", kind)
		case !scenarios.IsToken(s):
			v.add(n, "%s %q is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~ only)", kind, s)
		case kind == "request header" && (forbiddenHeaders[l] || strings.HasPrefix(l, "proxy-") || strings.HasPrefix(l, "sec-")):
			v.add(n, "request header %q is forbidden: browsers never let a page set it", s)
		default:
			return s
		}
		return ""
	}
}
