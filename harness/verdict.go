package harness

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// Compare checks an observation against an expectation, field by field, and
// returns one line per mismatch ("preflight: expected true, observed false").
// An empty result means the observation matches. Fields the observation
// says its engine cannot observe (NotObservable) are not compared.
func Compare(e scenarios.Expect, o *Observation) []string {
	// A field the engine cannot observe at all is said, not compared
	// (StepResult.NotCompared).
	e, _ = comparable(e, o)
	var m []string
	add := func(field string, want, got any) {
		m = append(m, fmt.Sprintf("%s: expected %v, observed %v", field, show(want), show(got)))
	}
	// phrase is add for a wanted value that is already a phrase ("to
	// contain X"): only the observed value is quoted.
	phrase := func(field, want string, got any) {
		m = append(m, fmt.Sprintf("%s: expected %s, observed %v", field, want, show(got)))
	}
	if e.Outcome != "" && e.Outcome != o.Outcome {
		got := o.Outcome
		if o.CorsError != "" {
			got += " (" + o.CorsError + ")"
		} else if o.JSError != "" {
			got += " (" + o.JSError + ")"
		}
		m = append(m, fmt.Sprintf("outcome: expected %s, observed %s", e.Outcome, got))
	}
	if e.Preflight != nil && *e.Preflight != o.Preflight {
		add("preflight", *e.Preflight, o.Preflight)
	}
	if e.PreflightCached != nil && *e.PreflightCached != o.PreflightCached {
		add("preflight_cached", *e.PreflightCached, o.PreflightCached)
	}
	if e.ReachedServer != nil && *e.ReachedServer != o.ReachedServer {
		add("reached_server", *e.ReachedServer, o.ReachedServer)
	}
	if e.FailedCheck != nil && *e.FailedCheck != o.FailedCheck {
		add("failed_check", *e.FailedCheck, o.FailedCheck)
	}
	if e.CorsError != nil && *e.CorsError != o.CorsError {
		add("cors_error", *e.CorsError, o.CorsError)
	}
	if e.FailedParameter != nil && *e.FailedParameter != o.FailedParameter {
		add("failed_parameter", *e.FailedParameter, o.FailedParameter)
	}
	if e.Status != nil && *e.Status != o.Status {
		add("status", *e.Status, o.Status)
	}
	if e.StatusText != nil && *e.StatusText != o.StatusText {
		add("status_text", *e.StatusText, o.StatusText)
	}
	if e.ResponseType != "" && e.ResponseType != o.ResponseType {
		add("response_type", e.ResponseType, o.ResponseType)
	}
	if e.Body != nil && *e.Body != o.Body {
		add("body", *e.Body, o.Body)
	}
	if e.Redirected != nil && *e.Redirected != o.Redirected {
		add("redirected", *e.Redirected, o.Redirected)
	}
	for _, h := range e.ReadableHeaders {
		if _, ok := o.ReadableHeaders[strings.ToLower(h)]; !ok {
			m = append(m, fmt.Sprintf("readable_headers: expected %s to be readable, JS could not read it (readable: %s)", h, strings.Join(sortedKeys(o.ReadableHeaders), ", ")))
		}
	}
	for _, h := range e.UnreadableHeaders {
		if v, ok := o.ReadableHeaders[strings.ToLower(h)]; ok {
			m = append(m, fmt.Sprintf("unreadable_headers: expected %s to be hidden, JS read %q", h, v))
		}
	}
	if e.FromCache != nil && *e.FromCache != o.FromCache {
		add("from_cache", *e.FromCache, o.FromCache)
	}
	if e.ServerConnected != nil && *e.ServerConnected != o.ServerConnected {
		add("server_connected", *e.ServerConnected, o.ServerConnected)
	}
	if e.CookieSet != nil && *e.CookieSet != o.CookieSet {
		add("cookie_set", *e.CookieSet, o.CookieSet)
	}
	if e.CookiesSent != nil {
		want := *e.CookiesSent
		if len(want) == 0 && len(o.CookiesSent) > 0 {
			phrase("cookies_sent", "none", strings.Join(o.CookiesSent, "; "))
		}
		for _, c := range want {
			if !hasCookie(o.CookiesSent, c) {
				phrase("cookies_sent", "to include "+c, strings.Join(o.CookiesSent, "; "))
			}
		}
	}
	if e.Console != "" && !strings.Contains(o.Console, e.Console) {
		phrase("console", "to contain "+fmt.Sprintf("%q", e.Console), o.Console)
	}
	if e.MethodReceived != "" {
		if a := o.ActualEntry(); a == nil {
			m = append(m, fmt.Sprintf("method_received: expected %s, the actual request never reached the server", e.MethodReceived))
		} else if a.Method != e.MethodReceived {
			add("method_received", e.MethodReceived, a.Method)
		}
	}
	m = append(m, receivedHeaders("preflight_received", "preflight_not_received", "the preflight", e.PreflightReceived, e.PreflightNotReceived, o.PreflightEntry())...)
	for _, c := range e.CookiesNotSent {
		if hasCookie(o.CookiesSent, c) {
			phrase("cookies_not_sent", "no "+c, strings.Join(o.CookiesSent, "; "))
		}
	}
	if e.JSError != "" && !strings.Contains(o.JSError, e.JSError) {
		phrase("js_error", "to contain "+fmt.Sprintf("%q", e.JSError), o.JSError)
	}
	m = append(m, receivedHeaders("server_received", "server_not_received", "the actual request", e.ServerReceived, e.ServerNotReceived, o.ActualEntry())...)
	return append(m, compareElement(e, o)...)
}

// receivedHeaders checks the headers a server received on one request
// (entry nil: the request never reached it) against want (name -> value,
// "*" for any) and unwanted (names that must be absent).
func receivedHeaders(field, notField, what string, want map[string]string, unwanted []string, entry *servers.Entry) []string {
	var m []string
	for _, name := range sortedKeys(want) {
		if entry == nil {
			m = append(m, fmt.Sprintf("%s: expected %s on %s, which never reached the server", field, name, what))
			continue
		}
		vals, ok := entry.Headers[canonical(name)]
		got := strings.Join(vals, ", ")
		switch {
		case !ok:
			m = append(m, fmt.Sprintf("%s: expected %s, the server did not receive it on %s", field, name, what))
		case want[name] != "*" && got != want[name]:
			m = append(m, fmt.Sprintf("%s: expected %s: %q, observed %q", field, name, want[name], got))
		}
	}
	if entry == nil {
		return m
	}
	for _, name := range unwanted {
		if vals, ok := entry.Headers[canonical(name)]; ok {
			m = append(m, fmt.Sprintf("%s: expected no %s on %s, the server received %q", notField, name, what, strings.Join(vals, ", ")))
		}
	}
	return m
}

func show(v any) any {
	switch x := v.(type) {
	case string:
		if x == "" {
			return `""`
		}
		// Quoted when a separator or a control byte would hide what it is.
		if strings.ContainsAny(x, " ,\"") || strings.ContainsFunc(x, func(r rune) bool { return !unicode.IsPrint(r) }) {
			return fmt.Sprintf("%q", x)
		}
		return x
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// hasCookie reports whether sent has the cookie "name" or "name=value".
func hasCookie(sent []string, want string) bool {
	for _, c := range sent {
		name, _, _ := strings.Cut(c, "=")
		if c == want || (!strings.Contains(want, "=") && name == want) {
			return true
		}
	}
	return false
}

// ExpandExpect replaces the placeholders {foo}, {bar}, {baz} and
// {label:NAME} in an expectation's text fields with this lab's origins.
func (s *Session) ExpandExpect(e scenarios.Expect) scenarios.Expect {
	x := func(v string) string { return s.Lab.Expand(v, "") }
	xp := func(p *string) *string {
		if p == nil {
			return nil
		}
		v := x(*p)
		return &v
	}
	e.FailedParameter = xp(e.FailedParameter)
	e.Body = xp(e.Body)
	e.Console = x(e.Console)
	expandMap := func(m map[string]string) map[string]string {
		if m == nil {
			return nil
		}
		out := make(map[string]string, len(m))
		for k, v := range m {
			out[k] = x(v)
		}
		return out
	}
	e.ServerReceived = expandMap(e.ServerReceived)
	e.PreflightReceived = expandMap(e.PreflightReceived)
	e.JSError = x(e.JSError)
	e.ResponseURLOrigin = x(e.ResponseURLOrigin)
	return e
}
