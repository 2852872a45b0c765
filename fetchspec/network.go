package fetchspec

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/corslab/corslab/scenarios"
)

// LabOrigins are the lab's origins for given ports, as servers.Lab names
// them, for predicting without starting the servers: foo, bar and baz on
// their own ports, any other label on foo's port
// (http://LABEL.localhost:PORT), "sandboxed" and "null" as "null", and a
// full origin as it is.
type LabOrigins struct{ Foo, Bar, Baz int }

// Origin returns the serialized origin of a label.
func (l LabOrigins) Origin(label string) string {
	switch {
	case label == "":
		label = "foo"
	case label == "sandboxed" || label == "null":
		return "null"
	case strings.Contains(label, "://"):
		return label
	}
	port := l.Foo
	switch label {
	case "bar":
		port = l.Bar
	case "baz":
		port = l.Baz
	}
	return "http://" + label + ".localhost:" + strconv.Itoa(port)
}

// hop is where a URL the model made leads on the scenario's server: the
// redirect hop it answers and the path after the scenario's prefix.
type hop struct {
	n    int
	rest string
}

// scenarioNetwork answers requests as the lab's servers would, from the one
// definition of a scenario's answers, scenarios.Server.Answer. It knows only
// the URLs it made (the scenario's path and its redirect hops); a request
// elsewhere, or one the browser's HTTP cache may answer, is unknown.
type scenarioNetwork struct {
	server  scenarios.Server
	origins scenarios.Origins
	prefix  string
	hops    map[string]hop
	// cache is advanced by the answers' delays.
	cache   *PreflightCache
	timeout time.Duration
	// storable maps a URL to why an earlier step's answer may be reused by
	// the HTTP cache; pending holds this step's, committed when it ends.
	storable, pending map[string]string
	// setCookie: a response with credentials carried Set-Cookie in this step.
	setCookie bool
}

func newScenarioNetwork(server scenarios.Server, origins scenarios.Origins, prefix string, cache *PreflightCache, timeout time.Duration) *scenarioNetwork {
	return &scenarioNetwork{
		server: server, origins: origins, prefix: prefix, cache: cache, timeout: timeout,
		hops: map[string]hop{}, storable: map[string]string{}, pending: map[string]string{},
	}
}

// target makes the URL of a step's request on the scenario's path and
// remembers it as hop 0.
func (n *scenarioNetwork) target(label, path string) string {
	if strings.Contains(label, "://") {
		// A server outside the lab: the model knows nothing of its answers.
		return strings.TrimSuffix(label, "/") + path
	}
	u := n.origins.Origin(label) + n.prefix + path
	rest, _, _ := strings.Cut(path, "?")
	n.hops[key(u)] = hop{0, rest}
	return u
}

// key is a URL without its fragment, which never goes on the wire.
func key(u string) string {
	k, _, _ := strings.Cut(u, "#")
	return k
}

// endStep makes this step's storable answers visible to later steps.
func (n *scenarioNetwork) endStep() {
	for k, v := range n.pending {
		n.storable[k] = v
	}
	clear(n.pending)
	n.setCookie = false
}

// Send answers a request that went on the wire.
func (n *scenarioNetwork) Send(r *Request, includeCredentials bool) *Response {
	u := r.CurrentURL()
	h, ok := n.hops[key(u.String())]
	if !ok {
		return unknownResponse(fmt.Sprintf("the request goes to %s, outside the scenario's server: the scenario does not say what it answers", u))
	}
	preflight := r.Method == "OPTIONS" && r.HeaderList.Contains("Access-Control-Request-Method")
	if why := n.storable[key(u.String())]; why != "" && !preflight && (r.Method == "GET" || r.Method == "HEAD") {
		return unknownResponse("the browser's HTTP cache may answer from an earlier step (" + why + "); HTTP caching is not the Fetch standard's to decide")
	}
	origin, _ := r.HeaderList.Get("Origin")
	nextPrefix := n.prefix + "/_h" + strconv.Itoa(h.n+1)
	a := n.server.Answer(scenarios.Incoming{
		Preflight: preflight, Origin: origin, Hop: h.n,
		NextHop: func(label string) string {
			next := n.origins.Origin(label) + nextPrefix + h.rest
			if u.RawQuery != "" {
				next += "?" + u.RawQuery
			}
			n.hops[key(next)] = hop{h.n + 1, h.rest}
			return next
		},
		Prefix:     n.prefix,
		NextPrefix: nextPrefix,
	}, n.origins)
	n.followWrittenLocation(a, u, nextPrefix, h.n+1)
	if a.Raw != "" {
		// Whole answer bytes, malformed ones among them: how the browser's
		// HTTP parser reads them is HTTP's to say, not the Fetch standard's.
		return unknownResponse("the server's answer is raw bytes (" + a.Describe() + "); how the browser's HTTP parser reads them is not the Fetch standard's to decide")
	}
	if a.Delay >= n.timeout {
		return unknownResponse(fmt.Sprintf("the server holds its answer %s, at least the %s timeout: the run stops waiting", a.Delay, n.timeout))
	}
	n.cache.Now += a.Delay
	resp := &Response{Type: TypeDefault, Status: a.Status}
	for _, x := range a.Headers {
		for _, v := range x.Values {
			// An HTTP/1.1 field value excludes leading and trailing whitespace
			// (RFC 9110 §5.5): that is the value that arrives.
			resp.HeaderList = append(resp.HeaderList, Header{x.Name, strings.Trim(v, " \t")})
		}
	}
	body := a.Body
	resp.Body = &body
	if includeCredentials && resp.HeaderList.Contains("Set-Cookie") {
		n.setCookie = true
	}
	if !preflight && r.Method == "GET" {
		if why := httpCacheMayStore(resp); why != "" {
			n.pending[key(u.String())] = why
		}
	}
	return resp
}

// followWrittenLocation remembers the target of a redirect whose Location
// the scenario wrote itself ({scenario_path}) as the next hop on the
// scenario's server, as the lab's servers treat it.
func (n *scenarioNetwork) followWrittenLocation(a scenarios.Answer, base *url.URL, nextPrefix string, next int) {
	if a.Kind != scenarios.AnswerRedirect {
		return
	}
	locs := a.Headers.Get("Location")
	if len(locs) != 1 {
		return
	}
	t, err := base.Parse(locs[0])
	if err != nil {
		return
	}
	if rest, ok := strings.CutPrefix(t.Path, nextPrefix); ok && (rest == "" || rest[0] == '/') {
		if _, known := n.hops[key(t.String())]; !known {
			n.hops[key(t.String())] = hop{next, rest}
		}
	}
}

// httpCacheMayStore says why the browser's HTTP cache may keep a response
// and reuse it later (explicit freshness, or a validator that allows
// heuristic freshness, RFC 9111 §4.2), or "".
func httpCacheMayStore(r *Response) string {
	cc, _ := r.HeaderList.Get("Cache-Control")
	if strings.Contains(strings.ToLower(cc), "no-store") {
		return ""
	}
	for _, name := range []string{"Cache-Control", "Expires", "Last-Modified", "ETag"} {
		if v, ok := r.HeaderList.Get(name); ok && !(name == "Cache-Control" && strings.Contains(strings.ToLower(v), "no-cache")) {
			return line(name, v)
		}
	}
	if r.Status == 301 || r.Status == 308 {
		return "a permanent redirect (" + strconv.Itoa(r.Status) + ")"
	}
	return ""
}
