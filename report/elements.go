package report

import (
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// elementCall says how the page loads an element's URL, as markup would
// write it: <img src=… crossorigin=…>, a FontFace, and so on.
func elementCall(who string, o *harness.Observation, r scenarios.Request) string {
	attr := ""
	if r.CrossOrigin != "" {
		attr = ` crossorigin="` + r.CrossOrigin + `"`
	}
	u := o.URL
	switch r.API {
	case scenarios.APIImg:
		return who + ` loads <img src="` + u + `"` + attr + `> and draws it on a canvas`
	case scenarios.APIScript:
		return who + ` adds <script src="` + u + `"` + attr + `>`
	case scenarios.APIModule:
		return who + ` adds <script type="module" src="` + u + `"` + attr + `>`
	case scenarios.APIStylesheet:
		return who + ` adds <link rel="stylesheet" href="` + u + `"` + attr + `>`
	case scenarios.APIFont:
		return who + ` loads new FontFace('…', 'url(` + u + `)') (as @font-face does)`
	}
	return who + " loads " + u
}

// elementLabel names an element's request on the diagram's arrow.
func elementLabel(r scenarios.Request) string {
	return "<" + map[string]string{scenarios.APIImg: "img", scenarios.APIScript: "script", scenarios.APIModule: "script type=module",
		scenarios.APIStylesheet: "link rel=stylesheet", scenarios.APIFont: "font"}[r.API] + "> GET"
}
