package scenarios

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Origins resolves an origin label (foo, bar, baz, evil, sandboxed...) to its
// serialized origin, e.g. http://foo.localhost:41001; "sandboxed" and "null"
// give "null" and a full origin is returned as it is. The lab's servers
// implement it; the Fetch model is given one to predict with the same
// values.
type Origins interface {
	Origin(label string) string
}

// Expand replaces the placeholders of a header value, body or location:
// {origin} with origin (the Origin header of the request being answered,
// empty when absent), {foo}, {bar}, {baz} and {label:NAME} with the origins
// o gives. Other braces, {scenario_path} among them, are kept as written.
func Expand(s, origin string, o Origins) string {
	return expand(s, vars{origin: origin}, o)
}

// vars are the values placeholders stand for in one answer.
type vars struct {
	origin string
	// path is what {scenario_path} stands for; "" keeps it as written.
	path string
}

func expand(s string, v vars, o Origins) string {
	if !strings.Contains(s, "{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		key := s[i+1 : i+j]
		b.WriteString(s[:i])
		switch {
		case key == "origin":
			b.WriteString(v.origin)
		case key == "foo" || key == "bar" || key == "baz":
			b.WriteString(o.Origin(key))
		case strings.HasPrefix(key, "label:"):
			b.WriteString(o.Origin(strings.TrimPrefix(key, "label:")))
		case key == "scenario_path" && v.path != "":
			b.WriteString(v.path)
		default:
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
}

// Incoming is what a server's answer depends on of an arriving request.
type Incoming struct {
	// Preflight: an OPTIONS request with Access-Control-Request-Method.
	Preflight bool
	// Origin is the request's Origin header ("" when absent).
	Origin string
	// Hop is how many of the scenario's redirects were answered before this
	// request (0 for the first request).
	Hop int
	// NextHop returns the URL of the next hop on the origin label given, for
	// a redirect's Location when the scenario names the origin with `to`.
	NextHop func(label string) string
	// Prefix is the scenario's unique path prefix (/r/NAME-N), which
	// {scenario_path} stands for; empty keeps the placeholder as written.
	Prefix string
	// NextPrefix is the path prefix of the next redirect hop
	// (/r/NAME-N/_h1), which {scenario_path} stands for in a redirect's
	// location or raw answer, so that it leads on to the next hop; empty
	// means Prefix.
	NextPrefix string
}

// Answer kinds: which part of a Server an answer came from.
const (
	AnswerPreflight         = "preflight"          // server.preflight
	AnswerRedirect          = "redirect"           // server.redirects[hop]
	AnswerRedirectPreflight = "redirect preflight" // server.redirects[hop].preflight
	AnswerResponse          = "response"           // server.response
)

// Answer is what a server sends for one request, placeholders expanded and
// text turned into the bytes that go on the wire (IsomorphicEncode).
type Answer struct {
	// Kind says which part of the configuration answered (Answer* constants).
	Kind string
	// Hop is the redirect hop the answer belongs to (Incoming.Hop).
	Hop    int
	Status int
	// Reason is the reason phrase of the status line: the scenario's, or the
	// standard phrase of Status ("" for a code that has none).
	Reason  string
	Headers Headers
	Body    string
	// Raw, when not empty, is the whole answer as bar writes it; Status is
	// then read from its first line, and Reason, Headers and Body are empty.
	Raw string
	// Delay holds the answer back.
	Delay time.Duration
}

// Describe names the answer for a journal: "preflight", "redirect 1",
// "preflight of redirect 1", "response", with "raw " in front of an answer
// written out whole.
func (a Answer) Describe() string {
	var d string
	switch a.Kind {
	case AnswerRedirect:
		d = "redirect " + strconv.Itoa(a.Hop+1)
	case AnswerRedirectPreflight:
		d = "preflight of redirect " + strconv.Itoa(a.Hop+1)
	default:
		d = a.Kind
	}
	if a.Raw != "" {
		d = "raw " + d
	}
	return d
}

// Answer returns what the server configured by s sends for the request in:
// the hop's redirect (or its own preflight answer), the preflight answer or
// the response; with AllowOrigins, Access-Control-Allow-Origin (for a listed
// Origin) and Vary: Origin come first (raw answers are sent as written). It
// is the one definition of how a scenario's server answers, used by the
// lab's servers to serve and by the Fetch model to predict.
func (s Server) Answer(in Incoming, o Origins) Answer {
	here := vars{origin: in.Origin, path: in.Prefix}
	next := here
	if in.NextPrefix != "" {
		next.path = in.NextPrefix
	}
	var a Answer
	switch {
	case in.Hop < len(s.Redirects):
		rd := s.Redirects[in.Hop]
		if in.Preflight && rd.Preflight != nil {
			a = fromResponse(*rd.Preflight, here, o)
			a.Kind = AnswerRedirectPreflight
			break
		}
		a.Kind = AnswerRedirect
		if rd.Raw != "" {
			a.Raw = IsomorphicEncode(expand(string(rd.Raw), next, o))
			a.Status = RawAnswer(a.Raw).Status()
			break
		}
		a.Status = rd.Status
		if a.Status == 0 {
			a.Status = 302
		}
		a.Reason = http.StatusText(a.Status)
		loc := rd.Location
		if loc == "" {
			to := rd.To
			if to == "" {
				to = "bar"
			}
			if in.NextHop != nil {
				loc = in.NextHop(to)
			}
		} else {
			loc = IsomorphicEncode(expand(loc, next, o))
		}
		a.Headers = append(a.Headers, Header{Name: "Location", Values: []string{loc}})
		for _, x := range rd.Headers {
			a.Headers = append(a.Headers, expandHeader(x, here, o))
		}
	case in.Preflight && s.Preflight != nil:
		a = fromResponse(*s.Preflight, here, o)
		a.Kind = AnswerPreflight
	default:
		a = fromResponse(s.Response, here, o)
		a.Kind = AnswerResponse
	}
	a.Hop = in.Hop
	if len(s.AllowOrigins) > 0 && a.Raw == "" {
		extra := Headers{{Name: "Vary", Values: []string{"Origin"}}}
		if in.Origin != "" && allowedOrigin(s.AllowOrigins, in.Origin, o) {
			extra = append(Headers{{Name: "Access-Control-Allow-Origin", Values: []string{in.Origin}}}, extra...)
		}
		a.Headers = append(extra, a.Headers...)
	}
	return a
}

func fromResponse(r Response, v vars, o Origins) Answer {
	a := Answer{Delay: r.Delay.D()}
	if r.Raw != "" {
		a.Raw = IsomorphicEncode(expand(string(r.Raw), v, o))
		a.Status = RawAnswer(a.Raw).Status()
		return a
	}
	a.Status, a.Body = r.Status, expand(r.Body, v, o)
	if a.Status == 0 {
		a.Status = 200
	}
	a.Reason = http.StatusText(a.Status)
	if r.Reason != nil {
		a.Reason = IsomorphicEncode(*r.Reason)
	}
	for _, x := range r.Headers {
		a.Headers = append(a.Headers, expandHeader(x, v, o))
	}
	return a
}

func expandHeader(x Header, v vars, o Origins) Header {
	out := Header{Name: x.Name, Values: make([]string, len(x.Values))}
	for i, val := range x.Values {
		out.Values[i] = IsomorphicEncode(expand(val, v, o))
	}
	return out
}

// allowedOrigin reports whether origin is in list (labels or origins).
func allowedOrigin(list []string, origin string, o Origins) bool {
	return slices.ContainsFunc(list, func(x string) bool {
		if strings.Contains(x, "://") || x == "null" {
			return x == origin
		}
		return o.Origin(x) == origin
	})
}
