package fetchspec

import (
	"net/url"
	"testing"

	"github.com/corslab/corslab/scenarios"
)

// The crossorigin attribute picks an element's mode and credentials mode
// (HTML's CORS settings attributes); module scripts and fonts are always
// cors; none is ever preflighted.
func TestNewElementRequest(t *testing.T) {
	foo := ParseOrigin("http://foo.localhost:1")
	tests := []struct {
		api, crossorigin  string
		mode, credentials string
	}{
		{scenarios.APIImg, "", ModeNoCORS, CredentialsInclude},
		{scenarios.APIImg, "anonymous", ModeCORS, CredentialsSameOrigin},
		{scenarios.APIImg, "use-credentials", ModeCORS, CredentialsInclude},
		{scenarios.APIScript, "", ModeNoCORS, CredentialsInclude},
		{scenarios.APIStylesheet, "anonymous", ModeCORS, CredentialsSameOrigin},
		{scenarios.APIModule, "", ModeCORS, CredentialsSameOrigin},
		{scenarios.APIModule, "anonymous", ModeCORS, CredentialsSameOrigin},
		{scenarios.APIModule, "use-credentials", ModeCORS, CredentialsInclude},
		{scenarios.APIFont, "", ModeCORS, CredentialsSameOrigin},
	}
	for _, tt := range tests {
		r, err := NewRequest(APIRequest{API: tt.api, URL: "http://bar.localhost:2/r/x/", CrossOrigin: tt.crossorigin}, foo, "", nil)
		if err != nil {
			t.Fatalf("%s %q: %v", tt.api, tt.crossorigin, err)
		}
		if r.Mode != tt.mode || r.CredentialsMode != tt.credentials || r.UnsafeRequest || r.Method != "GET" {
			t.Errorf("%s crossorigin=%q: mode %s credentials %s unsafe %v, want %s %s", tt.api, tt.crossorigin, r.Mode, r.CredentialsMode, r.UnsafeRequest, tt.mode, tt.credentials)
		}
		if r.HeaderList.Contains("Accept") {
			t.Errorf("%s: an element's Accept is the user agent's to choose, the model should not decide it", tt.api)
		}
	}
}

func TestTAOCheck(t *testing.T) {
	foo := ParseOrigin("http://foo.localhost:1")
	bar, _ := url.Parse("http://bar.localhost:2/r/x/")
	req := func(tainting string) *Request {
		return &Request{Method: "GET", URLList: []*url.URL{bar}, Origin: foo, Mode: ModeCORS, ResponseTainting: tainting}
	}
	resp := func(tao ...string) *Response {
		r := &Response{}
		for _, v := range tao {
			r.HeaderList = append(r.HeaderList, Header{"Timing-Allow-Origin", v})
		}
		return r
	}
	tests := []struct {
		name     string
		tainting string
		tao      []string
		want     bool
	}{
		{"no header, cross-origin", TaintingCORS, nil, false},
		{"no header, opaque", TaintingOpaque, nil, false},
		{"no header, same-origin", TaintingBasic, nil, true},
		{"*", TaintingCORS, []string{"*"}, true},
		{"* on an opaque response", TaintingOpaque, []string{"*"}, true},
		{"the page's origin in a list", TaintingCORS, []string{"http://other.localhost, http://foo.localhost:1"}, true},
		{"another origin", TaintingCORS, []string{"http://other.localhost"}, false},
		{"the origin with a slash", TaintingCORS, []string{"http://foo.localhost:1/"}, false},
	}
	for _, tt := range tests {
		if got := TAOCheck(req(tt.tainting), resp(tt.tao...), nil); got != tt.want {
			t.Errorf("%s: TAO check %v, want %v", tt.name, got, tt.want)
		}
	}
}

// An upload listener sets the use-CORS-preflight flag, with or without a
// body (the XMLHttpRequest standard; Chromium differs without one).
func TestXHRUploadListener(t *testing.T) {
	foo := ParseOrigin("http://foo.localhost:1")
	for _, method := range []string{"GET", "POST"} {
		r, err := NewRequest(APIRequest{API: APIXHR, Method: method, URL: "http://bar.localhost:2/r/x/", UploadListener: true}, foo, "", nil)
		if err != nil || !r.UseCORSPreflight {
			t.Errorf("%s with an upload listener: use-CORS-preflight %v (%v)", method, r != nil && r.UseCORSPreflight, err)
		}
	}
}
