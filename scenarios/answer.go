package scenarios

import (
	"slices"
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
// o gives. Other braces are kept as written.
func Expand(s, origin string, o Origins) string {
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
			b.WriteString(origin)
		case key == "foo" || key == "bar" || key == "baz":
			b.WriteString(o.Origin(key))
		case strings.HasPrefix(key, "label:"):
			b.WriteString(o.Origin(strings.TrimPrefix(key, "label:")))
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
}

// Answer kinds: which part of a Server an answer came from.
const (
	AnswerPreflight         = "preflight"          // server.preflight
	AnswerRedirect          = "redirect"           // server.redirects[hop]
	AnswerRedirectPreflight = "redirect preflight" // server.redirects[hop].preflight
	AnswerResponse          = "response"           // server.response
)

// Answer is what a server sends for one request, placeholders expanded.
type Answer struct {
	// Kind says which part of the configuration answered (Answer* constants).
	Kind string
	// Hop is the redirect hop the answer belongs to (Incoming.Hop).
	Hop     int
	Status  int
	Headers Headers
	Body    string
	// Delay holds the answer back.
	Delay time.Duration
}

// Answer returns what the server configured by s sends for the request in:
// the hop's redirect (or its own preflight answer), the preflight answer or
// the response; with AllowOrigins, Access-Control-Allow-Origin (for a listed
// Origin) and Vary: Origin come first. It is the one definition of how a
// scenario's server answers, used by the lab's servers to serve and by the
// Fetch model to predict.
func (s Server) Answer(in Incoming, o Origins) Answer {
	var a Answer
	switch {
	case in.Hop < len(s.Redirects):
		rd := s.Redirects[in.Hop]
		if in.Preflight && rd.Preflight != nil {
			a = fromResponse(*rd.Preflight, in.Origin, o)
			a.Kind = AnswerRedirectPreflight
			break
		}
		a.Kind = AnswerRedirect
		a.Status = rd.Status
		if a.Status == 0 {
			a.Status = 302
		}
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
			loc = Expand(loc, in.Origin, o)
		}
		a.Headers = append(a.Headers, Header{Name: "Location", Values: []string{loc}})
		for _, x := range rd.Headers {
			a.Headers = append(a.Headers, expandHeader(x, in.Origin, o))
		}
	case in.Preflight && s.Preflight != nil:
		a = fromResponse(*s.Preflight, in.Origin, o)
		a.Kind = AnswerPreflight
	default:
		a = fromResponse(s.Response, in.Origin, o)
		a.Kind = AnswerResponse
	}
	a.Hop = in.Hop
	if len(s.AllowOrigins) > 0 {
		extra := Headers{{Name: "Vary", Values: []string{"Origin"}}}
		if in.Origin != "" && allowedOrigin(s.AllowOrigins, in.Origin, o) {
			extra = append(Headers{{Name: "Access-Control-Allow-Origin", Values: []string{in.Origin}}}, extra...)
		}
		a.Headers = append(extra, a.Headers...)
	}
	return a
}

func fromResponse(r Response, origin string, o Origins) Answer {
	a := Answer{Status: r.Status, Body: Expand(r.Body, origin, o), Delay: r.Delay.D()}
	if a.Status == 0 {
		a.Status = 200
	}
	for _, x := range r.Headers {
		a.Headers = append(a.Headers, expandHeader(x, origin, o))
	}
	return a
}

func expandHeader(x Header, origin string, o Origins) Header {
	out := Header{Name: x.Name, Values: make([]string, len(x.Values))}
	for i, v := range x.Values {
		out.Values[i] = Expand(v, origin, o)
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
