// Package fuzz makes random valid scenarios, runs each in a browser and in
// the Fetch model (every run is differential: harness.Result carries the
// model's verdict), and shrinks each disagreement to a minimal scenario
// that still shows it.
package fuzz

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
)

// Group is the group of every generated scenario.
const Group = "fuzz"

// NewRand is the generator's source for a seed: the same seed gives the
// same cases, on any machine.
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// methods are written in any case: fetch() normalises six of them, not PATCH.
var methods = []string{"GET", "get", "POST", "post", "HEAD", "PUT", "put", "DELETE", "delete", "PATCH", "patch", "Patch", "OPTIONS", "QUERY"}

// requestHeaders are headers a page sets, near the safelist's limits.
var requestHeaders = []scenarios.Header{
	h("Authorization", "Bearer fuzz-token"),
	h("Authorization", "Basic ZnV6ejpmdXp6"),
	h("X-Api-Key", "k-1"),
	h("x-trace-id", "abc"),
	h("Content-Type", "text/plain"),
	h("Content-Type", "application/json"),
	h("Content-Type", "multipart/form-data; boundary=x"),
	h("Content-Type", "text/plain; charset=\"utf-8\""),
	h("Accept", "application/"+strings.Repeat("x", 116)), // 128 bytes: safelisted
	h("Accept", "application/"+strings.Repeat("x", 117)), // 129: not
	h("Accept", "a(b)"),
	h("Accept-Language", "de-CH, de;q=0.9"),
	h("Accept-Language", "en@x"),
	h("Content-Language", "fr"),
	h("Range", "bytes=0-1"),
	h("Range", "bytes=-5"),
}

func h(name, value string) scenarios.Header {
	return scenarios.Header{Name: name, Values: []string{value}}
}

// Generate returns case i of a run: a random valid scenario, one request
// (sometimes the same request twice, to reach the preflight cache) to bar,
// answered by a random preflight and response.
func Generate(r *rand.Rand, i int) scenarios.Scenario {
	sc := scenarios.Scenario{Name: fmt.Sprintf("fuzz-%04d", i), Group: Group}
	req := scenarios.Request{Method: methods[r.IntN(len(methods))], Path: "/fuzz"}
	for n := r.IntN(4); n > 0; n-- {
		hd := requestHeaders[r.IntN(len(requestHeaders))]
		if r.IntN(4) == 0 {
			hd.Name = oddCase(r, hd.Name)
		}
		if !req.Headers.Has(hd.Name) {
			req.Headers = append(req.Headers, hd)
		}
	}
	if r.IntN(3) == 0 {
		req.Credentials = "include"
	}
	switch m := fetchspec.NormalizeMethod(req.Method); {
	case m == "GET" || m == "HEAD":
	case r.IntN(2) == 0:
		req.Body = "fuzz"
	}
	sc.Request = req
	sc.Server.Response = response(r, req)
	if fetchspec.MethodAndHeadersNeedPreflight(req.Method, req.Headers) || r.IntN(4) == 0 {
		p := preflight(r, req)
		sc.Server.Preflight = &p
	}
	sc.Expect = scenarios.Expect{Outcome: scenarios.OutcomeAllowed}
	if r.IntN(6) == 0 {
		// The same request again at once: the preflight cache answers it.
		sc.Steps = []scenarios.Step{{Request: req, Expect: sc.Expect}, {Request: req, Expect: sc.Expect}}
		sc.Request, sc.Expect = scenarios.Request{}, scenarios.Expect{}
	}
	return sc
}

// allowOrigin is a random Access-Control-Allow-Origin: mostly the page's.
func allowOrigin(r *rand.Rand) scenarios.Headers {
	switch r.IntN(8) {
	case 0:
		return nil
	case 1, 2:
		return scenarios.Headers{h("Access-Control-Allow-Origin", "*")}
	case 3:
		return scenarios.Headers{h("Access-Control-Allow-Origin", "{foo}/")}
	}
	return scenarios.Headers{h("Access-Control-Allow-Origin", "{origin}")}
}

// credentials adds Access-Control-Allow-Credentials, mostly right.
func credentials(r *rand.Rand, hs scenarios.Headers, req scenarios.Request) scenarios.Headers {
	if req.Credentials != "include" && r.IntN(3) != 0 {
		return hs
	}
	v := "true"
	if r.IntN(5) == 0 {
		v = "True"
	}
	return append(hs, h("Access-Control-Allow-Credentials", v))
}

func response(r *rand.Rand, req scenarios.Request) scenarios.Response {
	hs := credentials(r, allowOrigin(r), req)
	if r.IntN(3) == 0 {
		hs = append(hs, h("X-Fuzz", "1"))
		expose := []string{"X-Fuzz", "*", "x-fuzz, *", "X-Other"}[r.IntN(4)]
		hs = append(hs, h("Access-Control-Expose-Headers", expose))
	}
	return scenarios.Response{Status: 200, Headers: hs, Body: "fuzz"}
}

func preflight(r *rand.Rand, req scenarios.Request) scenarios.Response {
	hs := credentials(r, allowOrigin(r), req)
	if l := allowList(r, []string{fetchspec.NormalizeMethod(req.Method)}); l != "" {
		hs = append(hs, h("Access-Control-Allow-Methods", l))
	}
	var names []string
	for _, x := range req.Headers {
		names = append(names, x.Name)
	}
	if l := allowList(r, names); l != "" {
		hs = append(hs, h("Access-Control-Allow-Headers", l))
	}
	if r.IntN(3) == 0 {
		hs = append(hs, h("Access-Control-Max-Age", []string{"0", "5", "600", "-1", "86400"}[r.IntN(5)]))
	}
	status := []int{204, 204, 204, 200, 403}[r.IntN(5)]
	return scenarios.Response{Status: status, Headers: hs}
}

// allowList writes a random Allow-Methods or Allow-Headers value for the
// names a request uses: all of them, some, `*`, `*` and the names, in odd
// case and spacing, sometimes with a duplicate; "" for no header.
func allowList(r *rand.Rand, names []string) string {
	var items []string
	switch r.IntN(7) {
	case 0:
		return ""
	case 1:
		items = []string{"*"}
	case 2:
		items = append([]string{"*"}, names...)
	case 3:
		for _, n := range names {
			if r.IntN(2) == 0 {
				items = append(items, n)
			}
		}
	default:
		items = append(items, names...)
	}
	for i := range items {
		if r.IntN(4) == 0 {
			items[i] = oddCase(r, items[i])
		}
	}
	if len(items) > 0 && r.IntN(6) == 0 {
		items = append(items, items[0])
	}
	if len(items) == 0 {
		return ""
	}
	sep := []string{", ", ",", " , ", ",  "}[r.IntN(4)]
	return strings.Join(items, sep)
}

// oddCase changes the case of a name's letters at random.
func oddCase(r *rand.Rand, s string) string {
	b := []byte(s)
	for i, c := range b {
		if r.IntN(2) == 0 {
			switch {
			case c >= 'a' && c <= 'z':
				b[i] = c - 32
			case c >= 'A' && c <= 'Z':
				b[i] = c + 32
			}
		}
	}
	return string(b)
}

// KnownSeed is a seed whose case KnownSeedCase is the known departure
// (Access-Control-Allow-Headers `*` covering Authorization), so a short run
// can show the fuzzer rediscovering it.
const (
	KnownSeed     uint64 = 1
	KnownSeedCase        = 14
)
