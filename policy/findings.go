package policy

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
)

// Findings derives, from every probe's observation together, the problems
// a reviewer would raise about the server, each once, most serious first.
// A cause is named from what was observed (the Access-Control-* lines bar
// sent, which origins got in), never guessed from one probe. Whether a
// credentialed read was possible is asked of fetchspec's CORS check with
// the observed headers (marked inferred in the evidence) unless a
// credentialed probe showed it. A finding the policy accepts (for now only
// error_responses: unreadable) has Accepted set.
func Findings(p *Policy, results []Result) []Finding {
	var out []Finding
	explained := map[string]bool{}
	for _, rule := range []func(*Policy, []Result) []Finding{
		findLeaks, findWildcardWithCredentials, findErrorResponses, findVary, findMaxAge,
	} {
		for _, f := range rule(p, results) {
			f.Source = "check"
			for _, n := range f.Probes {
				explained[n] = true
			}
			out = append(out, f)
		}
	}
	out = append(out, findLeftovers(results, explained)...)
	slices.SortStableFunc(out, func(a, b Finding) int { return a.Severity.Rank() - b.Severity.Rank() })
	return out
}

// Blocking reports whether a finding fails a check: critical or warning,
// and not accepted by the policy.
func (f Finding) Blocking() bool {
	return !f.Accepted && (f.Severity == Critical || f.Severity == Warning)
}

// leak is an attacker's probe whose origin bar let read the response.
type leak struct {
	r          Result
	acao, acac string
	// credRead: a credentialed read is possible; observed says a
	// credentialed probe showed it (else fetchspec inferred it).
	credRead, observed bool
}

func (l leak) evidence() string {
	how := "inferred by the Fetch standard's CORS check from these headers"
	if l.observed {
		how = "observed: the page read a credentialed response"
	}
	cred := "without cookies only"
	if l.credRead {
		cred = "with the user's cookies (" + how + ")"
	}
	return fmt.Sprintf("%s: the page read the answer (Access-Control-Allow-Origin: %s, Access-Control-Allow-Credentials: %s), readable %s", l.r.Probe.Name, orNone(l.acao), orNone(l.acac), cred)
}

// leaks are the probes from origins the policy does not list that the
// browser let read the response.
func leaks(results []Result) []leak {
	var out []leak
	for _, r := range results {
		o := r.Observation
		if r.Probe.Expect.Allowed || o == nil || r.Error != "" || o.Outcome != scenarios.OutcomeAllowed {
			continue
		}
		if r.Probe.Kind != KindUnlisted && r.Probe.Kind != KindLookAlike && r.Probe.Kind != KindVary {
			continue
		}
		l := leak{r: r, acao: responseHeader(o, "response", "Access-Control-Allow-Origin"), acac: responseHeader(o, "response", "Access-Control-Allow-Credentials")}
		l.observed = r.Probe.Credentials == "include"
		l.credRead = l.observed || credentialedRead(r.Probe.Page, l.acao, l.acac)
		out = append(out, l)
	}
	return out
}

func anyCredRead(ls []leak) bool {
	return slices.ContainsFunc(ls, func(l leak) bool { return l.credRead })
}

// leakSeverity: critical when another site reads with the user's cookies,
// warning when it reads only what it could fetch without them.
func leakSeverity(ls []leak) Severity {
	if anyCredRead(ls) {
		return Critical
	}
	return Warning
}

func distinctOrigins(ls []leak) []string {
	var out []string
	for _, l := range ls {
		if !slices.Contains(out, l.r.Probe.Page) {
			out = append(out, l.r.Probe.Page)
		}
	}
	return out
}

func among(origins []string) string {
	if len(origins) <= 3 {
		return strings.Join(origins, ", ")
	}
	return strings.Join(origins[:3], ", ") + fmt.Sprintf(" and %d more", len(origins)-3)
}

func leakFinding(id string, ls []leak, title, why string) Finding {
	f := Finding{ID: id, Severity: leakSeverity(ls), Title: title, Why: why, Spec: specCORSCheck}
	for _, l := range ls {
		f.Evidence = append(f.Evidence, l.evidence())
		f.Probes = append(f.Probes, l.r.Probe.Name)
	}
	return f
}

// findLeaks names why unlisted origins got in. An origin unrelated to any
// listed one getting in proves bar lets every origin in (a reflected
// Origin, or *): that one cause explains every look-alike too. Otherwise
// each matching bug the look-alikes reveal is one finding.
func findLeaks(p *Policy, results []Result) []Finding {
	ls := leaks(results)
	if len(ls) == 0 {
		return nil
	}
	var unrelated *leak
	for i := range ls {
		if ls[i].r.Probe.Page == unlistedOrigin {
			unrelated = &ls[i]
			break
		}
	}
	withCookies := "reads only what needs no cookies"
	if anyCredRead(ls) {
		withCookies = "reads the user's data with their cookies"
	}
	if unrelated != nil {
		origins := distinctOrigins(ls)
		if unrelated.acao == "*" {
			return []Finding{leakFinding(BugWildcardRead, ls,
				fmt.Sprintf("bar answers Access-Control-Allow-Origin: * : %d unlisted origins could read, among them %s", len(origins), among(origins)),
				"the policy lists its origins, yet any site a user visits "+withCookies+"; answer with the listed origin only")}
		}
		return []Finding{leakFinding(BugReflectAny, ls,
			fmt.Sprintf("bar reflects any Origin: %d unlisted origins were allowed, among them %s", len(origins), among(origins)),
			"bar copies the request's Origin into Access-Control-Allow-Origin without checking it against the list, so any site "+withCookies+"; compare the Origin with each listed origin, byte for byte")}
	}
	var out []Finding
	for _, c := range causes(p.Origins, ls) {
		what := Bugs[c.bug]
		if what == "" {
			what = "bar allows origins the policy does not list"
		}
		origins := distinctOrigins(c.leaks)
		verb := "was"
		if len(origins) > 1 {
			verb = "were"
		}
		out = append(out, leakFinding(c.bug, c.leaks,
			fmt.Sprintf("%s: %s %s allowed", what, among(origins), verb),
			"an attacker serves a page on such an origin and "+withCookies+"; compare the whole serialized Origin with each listed origin, byte for byte"))
	}
	return out
}

type cause struct {
	bug   string
	leaks []leak
}

// causeOrder is the order ties are broken in: the broader bug first.
var causeOrder = []string{BugPrefix, BugSuffix, BugReversed, BugSubdomain, BugScheme, BugPort, BugTrailingDot, BugNull}

// causes explains the leaks with as few matching bugs as possible: each
// bug is tried as the check a server would make (ends with the host,
// starts with the origin, …) against the listed origins, and the bug that
// lets the most unexplained look-alikes through is named first. A leak no
// bug explains keeps the bug it was built for.
func causes(listed []string, ls []leak) []cause {
	left := slices.Clone(ls)
	var out []cause
	for len(left) > 0 {
		best, bestN := "", 0
		for _, bug := range causeOrder {
			n := 0
			for _, l := range left {
				if bugLets(bug, listed, l.r.Probe.Page) {
					n++
				}
			}
			if n > bestN {
				best, bestN = bug, n
			}
		}
		if best == "" {
			best = left[0].r.Probe.Bug
		}
		c := cause{bug: best}
		var rest []leak
		for _, l := range left {
			if bugLets(best, listed, l.r.Probe.Page) || (bestN == 0 && l.r.Probe.Bug == best) {
				c.leaks = append(c.leaks, l)
			} else {
				rest = append(rest, l)
			}
		}
		if len(c.leaks) == 0 { // cannot happen; never loop forever
			c.leaks, rest = left, nil
		}
		out = append(out, c)
		left = rest
	}
	return out
}

// bugLets reports whether a server with this matching bug, configured
// with the listed origins, lets origin through.
func bugLets(bug string, listed []string, origin string) bool {
	if bug == BugNull {
		return origin == "null"
	}
	ou, err := url.Parse(origin)
	if err != nil || origin == "null" {
		return false
	}
	for _, l := range listed {
		lu, err := url.Parse(l)
		if err != nil || l == "null" || l == origin {
			continue
		}
		var ok bool
		switch bug {
		case BugPrefix:
			ok = strings.HasPrefix(origin, l)
		case BugSuffix:
			ok = strings.HasSuffix(origin, lu.Host)
		case BugReversed:
			ok = strings.HasPrefix(l, origin)
		case BugSubdomain:
			ok = ou.Scheme == lu.Scheme && ou.Port() == lu.Port() && strings.HasSuffix(ou.Hostname(), "."+lu.Hostname())
		case BugScheme:
			ok = ou.Host == lu.Host && ou.Scheme != lu.Scheme
		case BugPort:
			ok = ou.Hostname() == lu.Hostname() && ou.Scheme == lu.Scheme && ou.Port() != lu.Port()
		case BugTrailingDot:
			ok = strings.TrimSuffix(ou.Hostname(), ".") == lu.Hostname() && ou.Scheme == lu.Scheme && ou.Port() == lu.Port()
		}
		if ok {
			return true
		}
	}
	return false
}

// findWildcardWithCredentials: bar answers credentialed requests from
// listed origins with `*`, which the standard refuses (CORS check step 3).
func findWildcardWithCredentials(p *Policy, results []Result) []Finding {
	var f *Finding
	for _, r := range results {
		o := r.Observation
		if o == nil || r.Probe.Credentials != "include" || !r.Probe.Expect.Allowed || o.Outcome == scenarios.OutcomeAllowed {
			continue
		}
		acao := responseHeader(o, "response", "Access-Control-Allow-Origin")
		kind := "response"
		if acao == "" && o.Preflight {
			acao, kind = responseHeader(o, "preflight response", "Access-Control-Allow-Origin"), "preflight answer"
		}
		if acao != "*" || credentialedRead(r.Probe.Page, acao, "true") {
			continue
		}
		if f == nil {
			f = &Finding{ID: "wildcard-with-credentials", Severity: Warning,
				Title: "bar answers credentialed requests with Access-Control-Allow-Origin: *, which browsers refuse: listed origins cannot read with cookies",
				Why:   "with credentials included the CORS check needs the request's own origin, not * (CORS check step 3); answer with the listed origin itself (never any Origin: that lets every site in)",
				Spec:  specCredentials}
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s: blocked (%s), the %s says Access-Control-Allow-Origin: *", r.Probe.Name, orNone(o.CorsError), kind))
		f.Probes = append(f.Probes, r.Probe.Name)
	}
	if f == nil {
		return nil
	}
	return []Finding{*f}
}

// findErrorResponses: a listed origin reads the target's success but not
// an error answer, which then reaches the page as a bare network error.
func findErrorResponses(p *Policy, results []Result) []Finding {
	okStatus := 0
	for _, r := range results {
		if r.Probe.Kind == KindSimple && r.Pass && r.Observation != nil {
			okStatus = r.Observation.Status
			break
		}
	}
	var statuses []string
	f := Finding{ID: "error-responses-unreadable", Severity: Warning, Accepted: p.ErrorResponses == ErrorsUnreadable, Spec: fetchspec.Spec + "#http-responses"}
	for _, r := range results {
		o := r.Observation
		if r.Probe.Kind != KindErrorResponse || o == nil || r.Error != "" || o.Outcome == scenarios.OutcomeAllowed {
			continue
		}
		st, pre := lastStatus(o, "response"), ""
		if st == 0 && o.Preflight {
			st, pre = preflightStatus(o), "preflight "
		}
		if st != 0 && st < 400 {
			continue // not an error answer: the probe says why it failed
		}
		label := pre + strconv.Itoa(st)
		if st == 0 {
			label = "error"
		}
		acao := responseHeader(o, "response", "Access-Control-Allow-Origin")
		if pre != "" {
			acao = responseHeader(o, "preflight response", "Access-Control-Allow-Origin")
		}
		if acao != "" {
			continue // the headers are there but wrong: another finding says why
		}
		if !slices.Contains(statuses, label) {
			statuses = append(statuses, label)
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s: bar answered %s with Access-Control-Allow-Origin: %s; the page got a network error (%s)", r.Probe.Name, label, orNone(acao), orNone(o.CorsError)))
		f.Probes = append(f.Probes, r.Probe.Name)
	}
	if len(f.Probes) == 0 {
		return nil
	}
	ok := "a success"
	if okStatus != 0 {
		ok = strconv.Itoa(okStatus)
	}
	f.Title = fmt.Sprintf("Access-Control-Allow-Origin on %s but not on %s: nginx needs `add_header … always`, Apache `Header always set`", ok, strings.Join(statuses, ", "))
	f.Why = "a page on a listed origin gets a bare TypeError instead of the error answer, so it cannot tell \"log in again\" or \"not found\" from \"network down\"; send the CORS headers on every answer (or accept it with error_responses: unreadable)"
	return []Finding{f}
}

// findVary: an answer whose Access-Control-Allow-Origin names the request's
// Origin must carry Vary: Origin, and so must a refusal when other origins
// get a different answer (Fetch, "CORS protocol and HTTP caches").
func findVary(p *Policy, results []Result) []Finding {
	var reflected, refused []string
	var probes []string
	for _, r := range results {
		o := r.Observation
		if o == nil || r.Error != "" || lastStatus(o, "response") == 0 {
			continue
		}
		acao := responseHeader(o, "response", "Access-Control-Allow-Origin")
		vary := responseHeader(o, "response", "Vary")
		if hasToken(vary, "Origin") || hasToken(vary, "*") {
			continue
		}
		switch {
		case acao != "" && acao != "*":
			if !slices.Contains(reflected, r.Probe.Page) {
				reflected = append(reflected, r.Probe.Page)
			}
			probes = append(probes, r.Probe.Name)
		case r.Probe.Kind == KindVary && !r.Probe.Expect.Allowed:
			refused = append(refused, r.Probe.Page)
			probes = append(probes, r.Probe.Name)
		}
	}
	if len(probes) == 0 {
		return nil
	}
	f := Finding{ID: "vary-origin-missing", Severity: Warning, Probes: probes, Spec: fetchspec.Spec + "#cors-protocol-and-http-caches",
		Why: "a shared or browser cache may hand one origin's answer to another: the real app then gets a cached refusal (a network error), or another origin's Access-Control-Allow-Origin; send Vary: Origin on every answer that depends on the Origin, refusals included"}
	switch {
	case len(reflected) > 0:
		f.Title = "bar names the request's Origin in Access-Control-Allow-Origin without Vary: Origin (answers to " + among(reflected) + ")"
	default:
		f.Title = "bar's refusal to " + among(refused) + " carries no Vary: Origin, though listed origins get another answer"
	}
	for _, n := range probes {
		f.Evidence = append(f.Evidence, n+": no Vary: Origin on the answer")
	}
	return []Finding{f}
}

// findMaxAge: a preflight answer cached longer than browsers keep it.
func findMaxAge(p *Policy, results []Result) []Finding {
	for _, r := range results {
		o := r.Observation
		if o == nil || !o.Preflight {
			continue
		}
		v := responseHeader(o, "preflight response", "Access-Control-Max-Age")
		n, err := strconv.Atoi(v)
		if err != nil || n <= fetchspec.ChromiumMaxAgeCap {
			continue
		}
		return []Finding{{ID: "max-age-over-cap", Severity: Warning, Source: "check",
			Title:    fmt.Sprintf("bar's preflight answers say Access-Control-Max-Age: %d, longer than browsers keep them", n),
			Why:      fmt.Sprintf("Chromium keeps a preflight answer %d s at most, Firefox %d s: the value is cut (CORS-preflight fetch step 7.10), and a stricter policy reaches users only as fast", fetchspec.ChromiumMaxAgeCap, fetchspec.FirefoxMaxAgeCap),
			Evidence: []string{r.Probe.Name + ": Access-Control-Max-Age: " + v}, Probes: []string{r.Probe.Name},
			Spec: fetchspec.Spec + "#http-access-control-max-age"}}
	}
	return nil
}

// findLeftovers groups the failed probes no finding explains: what the
// policy allows but bar refuses (warning), and what bar allows beyond the
// policy (note).
func findLeftovers(results []Result, explained map[string]bool) []Finding {
	blocked := Finding{ID: "policy-not-served", Severity: Warning, Source: "check", Spec: specCORSCheck,
		Why: "pages on listed origins fail where the policy says they work: the server's CORS configuration does not say what the policy says"}
	wider := Finding{ID: "allows-more-than-policy", Severity: Note, Source: "check", Spec: specPreflight,
		Why: "the server permits more than the policy states; harmless to other sites, but the policy no longer describes the server"}
	for _, r := range results {
		if r.State != StateFail || explained[r.Probe.Name] {
			continue
		}
		target := &blocked
		if (r.Probe.Kind == KindMethodNotAllowed || r.Probe.Kind == KindHeaderNotAllowed) && r.Observation != nil && r.Observation.Outcome == scenarios.OutcomeAllowed {
			target = &wider
		}
		target.Evidence = append(target.Evidence, r.Probe.Name+": "+r.Why)
		target.Probes = append(target.Probes, r.Probe.Name)
	}
	var out []Finding
	if n := len(blocked.Probes); n > 0 {
		blocked.Title = fmt.Sprintf("%d probes do not get what the policy promises, first: %s", n, blocked.Probes[0])
		if n == 1 {
			blocked.Title = "one probe does not get what the policy promises: " + blocked.Probes[0]
		}
		out = append(out, blocked)
	}
	if n := len(wider.Probes); n > 0 {
		wider.Title = "bar allows what the policy does not list: " + strings.Join(wider.Probes, "; ")
		out = append(out, wider)
	}
	return out
}
