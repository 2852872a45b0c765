package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

func jsString(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `'`, `\'`)
	s = strings.ReplaceAll(s, "\n", `\n`)
	s = strings.ReplaceAll(s, "\r", `\r`)
	if len(s) > 60 {
		s = s[:57] + "…"
	}
	return "'" + s + "'"
}

func pageCall(o *harness.Observation, r scenarios.Request, method string) string {
	who := "The page on " + o.Page
	if o.Page == "null" {
		who = "The page in a sandboxed frame (origin null)"
	}
	if scenarios.IsElement(r.API) {
		return elementCall(who, o, r)
	}
	if r.API == "xhr" {
		parts := []string{fmt.Sprintf("open(%s, %s)", jsString(r.Method), jsString(o.URL))}
		if r.Method == "" {
			parts[0] = fmt.Sprintf("open('GET', %s)", jsString(o.URL))
		}
		for _, h := range r.Headers {
			for _, v := range h.Values {
				parts = append(parts, fmt.Sprintf("setRequestHeader(%s, %s)", jsString(h.Name), jsString(v)))
			}
		}
		if r.Credentials == "include" {
			parts = append(parts, "withCredentials = true")
		}
		if r.Body != "" {
			parts = append(parts, "send("+jsString(r.Body)+")")
		} else {
			parts = append(parts, "send()")
		}
		return who + " uses XMLHttpRequest: " + strings.Join(parts, ", ")
	}
	var init []string
	if r.Method != "" && r.Method != "GET" {
		init = append(init, "method: "+jsString(r.Method))
	}
	if len(r.Headers) > 0 {
		var hs []string
		for _, h := range r.Headers {
			for _, v := range h.Values {
				hs = append(hs, jsString(h.Name)+": "+jsString(v))
			}
		}
		init = append(init, "headers: {"+strings.Join(hs, ", ")+"}")
	}
	if r.Body != "" {
		init = append(init, "body: "+jsString(r.Body))
	}
	if r.Credentials != "" {
		init = append(init, "credentials: "+jsString(r.Credentials))
	}
	if r.Mode != "" {
		init = append(init, "mode: "+jsString(r.Mode))
	}
	if r.Redirect != "" {
		init = append(init, "redirect: "+jsString(r.Redirect))
	}
	call := "fetch(" + jsString2(o.URL)
	if len(init) > 0 {
		call += ", {" + strings.Join(init, ", ") + "}"
	}
	return who + " calls " + call + ")"
}

// jsString2 quotes without shortening (for URLs).
func jsString2(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func callLabel(r scenarios.Request, method string) string {
	if scenarios.IsElement(r.API) {
		return elementLabel(r)
	}
	if r.API == "xhr" {
		return "XHR " + method
	}
	return "fetch " + method
}

func pageRead(o *harness.Observation) string {
	s := fmt.Sprintf("status %d", o.Status)
	if o.ResponseType != "" {
		s += ", type " + o.ResponseType
	}
	if o.Body != "" {
		b := o.Body
		if len(b) > 60 {
			b = b[:57] + "…"
		}
		s += fmt.Sprintf(", body %q", b)
	} else {
		s += ", empty body"
	}
	names := make([]string, 0, len(o.ReadableHeaders))
	for k := range o.ReadableHeaders {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) > 0 {
		s += "; readable headers: " + strings.Join(names, ", ")
	} else {
		s += "; no readable headers"
	}
	return s
}
