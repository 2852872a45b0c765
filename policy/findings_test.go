package policy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

// fakeServer answers a probe: the status and headers bar would send to the
// actual request (and, for a preflighted probe, to the preflight).
type fakeServer func(pr Probe, path, origin string, preflight bool) (int, [][2]string)

// simulated is a Doer that stands in for the browser in these unit tests:
// it asks fetchspec's CORS check of each answer, as a browser following the
// standard would. The browser tests in checks/ observe the real thing.
type simulated struct {
	srv    fakeServer
	probes map[string]Probe // by page+method+path+credentials
}

func (s simulated) Do(_ context.Context, page string, req scenarios.Request) (*harness.Observation, error) {
	origin := page
	if page == "sandboxed" {
		origin = "null"
	}
	var pr Probe
	for _, p := range s.probes {
		if p.Page == origin && p.Method == req.Method && p.Request("", req.Path).Path == req.Path && p.Credentials == req.Credentials && len(p.Headers) == len(req.Headers) {
			pr = p
		}
	}
	o := &harness.Observation{Page: origin, Outcome: scenarios.OutcomeBlocked, ReadableHeaders: map[string]string{}}
	creds := req.Credentials == "include"
	if needsPreflight(req.Method, req.Headers) {
		o.Preflight = true
		st, h := s.srv(pr, req.Path, origin, true)
		o.Exchange = append(o.Exchange, harness.Message{Kind: "preflight response", Status: st, Headers: h})
		if !corsPass(origin, creds, h) || st < 200 || st > 299 {
			o.CorsError = "PreflightMissingAllowOriginHeader"
			return o, nil
		}
		// CORS-preflight fetch steps 7.5 and 7.7, simply: the method and
		// every unsafe header must be listed.
		if !fetchspec.IsCORSSafelistedMethod(req.Method) && !hasToken(headerOf(h, "Access-Control-Allow-Methods"), req.Method) {
			o.CorsError = "MethodDisallowedByPreflightResponse"
			return o, nil
		}
		for _, hd := range req.Headers {
			if !fetchspec.IsCORSSafelistedRequestHeader(hd.Name, hd.Values[0]) && !hasToken(headerOf(h, "Access-Control-Allow-Headers"), hd.Name) {
				o.CorsError = "HeaderDisallowedByPreflightResponse"
				return o, nil
			}
		}
	}
	st, h := s.srv(pr, req.Path, origin, false)
	o.Exchange = append(o.Exchange, harness.Message{Kind: "response", Status: st, Headers: h})
	if !corsPass(origin, creds, h) {
		o.CorsError = "MissingAllowOriginHeader"
		return o, nil
	}
	o.Outcome, o.Status = scenarios.OutcomeAllowed, st
	for _, hd := range h {
		if strings.EqualFold(hd[0], "X-Total-Count") && hasToken(headerOf(h, "Access-Control-Expose-Headers"), "X-Total-Count") {
			o.ReadableHeaders["x-total-count"] = hd[1]
		}
	}
	return o, nil
}

func headerOf(h [][2]string, name string) string {
	for _, hd := range h {
		if strings.EqualFold(hd[0], name) {
			return hd[1]
		}
	}
	return ""
}

// corsPass asks fetchspec's CORS check whether a page on origin may read an
// answer with these headers.
func corsPass(origin string, creds bool, h [][2]string) bool {
	u, _ := url.Parse("http://127.0.0.1:8080/")
	mode := fetchspec.CredentialsOmit
	if creds {
		mode = fetchspec.CredentialsInclude
	}
	r := &fetchspec.Request{Method: "GET", URLList: []*url.URL{u}, Origin: fetchspec.ParseOrigin(origin), CredentialsMode: mode}
	var list fetchspec.HeaderList
	for _, hd := range h {
		list = append(list, fetchspec.Header{Name: hd[0], Value: hd[1]})
	}
	return fetchspec.CORSCheck(r, &fetchspec.Response{HeaderList: list}, nil)
}

// server builds a fake server from a decision on the Origin: allow says
// whether bar answers with the CORS headers; acao is what it sends then.
func server(allow func(origin string) bool, opts ...string) fakeServer {
	has := func(o string) bool { return strings.Contains(strings.Join(opts, ","), o) }
	return func(pr Probe, path, origin string, preflight bool) (int, [][2]string) {
		status := 200
		if strings.Contains(path, MissingPath) || strings.Contains(path, "/login") {
			status = 404
		}
		if preflight {
			status = 204
		}
		var h [][2]string
		if !has("novary") {
			h = append(h, [2]string{"Vary", "Origin"})
		}
		if !preflight {
			h = append(h, [2]string{"X-Total-Count", "3"})
		}
		if has("bare-errors") && status >= 400 {
			return status, h
		}
		if allow(origin) {
			acao := origin
			if has("star") {
				acao = "*"
			}
			h = append(h, [2]string{"Access-Control-Allow-Origin", acao}, [2]string{"Access-Control-Allow-Credentials", "true"},
				[2]string{"Access-Control-Allow-Methods", "GET, POST, DELETE"}, [2]string{"Access-Control-Allow-Headers", "Api-Key, Content-Type"},
				[2]string{"Access-Control-Expose-Headers", "X-Total-Count"}, [2]string{"Access-Control-Max-Age", "600"})
		}
		return status, h
	}
}

func listedOnly(o string) bool { return o == "https://app.example.com" || o == "http://localhost:3000" }

func runSimulated(t *testing.T, src string, srv fakeServer) ([]Result, []Finding) {
	t.Helper()
	p, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	probes := Probes(p)
	byKey := map[string]Probe{}
	for _, pr := range probes {
		byKey[pr.Name] = pr
	}
	results := Run(context.Background(), simulated{srv: srv, probes: byKey}, "http://127.0.0.1:8080", TargetPath(p), probes, nil)
	return results, Findings(p, results)
}

// TestFindingsOfBuggyServers: each bug a real server has is one finding
// with its severity, named from what was observed; a correct server has
// none. Each row is also a flip check: the wrong expectation (the row of
// another bug) would fail it.
func TestFindingsOfBuggyServers(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		srv    fakeServer
		want   map[string]Severity // finding ID → severity; exactly these
		title  string              // a part of the first finding's title
	}{
		{"correct server", good, server(listedOnly), map[string]Severity{}, ""},
		{"reflects any origin with credentials", good, server(func(string) bool { return true }),
			map[string]Severity{"reflect-any-origin": Critical}, "bar reflects any Origin: 14 unlisted origins were allowed, among them https://corslab-unlisted.example"},
		{"prefix matching ^http://localhost:3000 unanchored", good, server(func(o string) bool {
			return strings.HasPrefix(o, "http://localhost:3000") || strings.HasPrefix(o, "https://app.example.com")
		}), map[string]Severity{BugPrefix: Critical}, "bar matches origins by prefix"},
		{"suffix matching", good, server(func(o string) bool {
			return strings.HasSuffix(o, "app.example.com") || o == "http://localhost:3000"
		}), map[string]Severity{BugSuffix: Critical}, "bar matches origins by suffix"},
		{"* with credentials", good, server(func(string) bool { return true }, "star"),
			map[string]Severity{"wildcard-with-credentials": Warning, BugWildcardRead: Warning}, ""},
		{"null trusted", good, server(func(o string) bool { return listedOnly(o) || o == "null" }),
			map[string]Severity{BugNull: Critical}, "bar trusts the origin null"},
		{"no Vary: Origin", good, server(listedOnly, "novary"), map[string]Severity{"vary-origin-missing": Warning}, "without Vary: Origin"},
		{"bare error responses", good, server(listedOnly, "bare-errors"), map[string]Severity{"error-responses-unreadable": Warning},
			"Access-Control-Allow-Origin on 200 but not on 404: nginx needs `add_header … always`, Apache `Header always set`"},
		{"bare error responses accepted", good + "error_responses: unreadable\npaths: [/login]\n", server(listedOnly, "bare-errors"), map[string]Severity{"error-responses-unreadable": Warning}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results, fs := runSimulated(t, tt.policy, tt.srv)
			got := map[string]Severity{}
			for _, f := range fs {
				if _, dup := got[f.ID]; dup {
					t.Errorf("finding %s given twice", f.ID)
				}
				got[f.ID] = f.Severity
				t.Logf("%s %s: %s\n  why: %s\n  evidence: %s", f.Severity, f.ID, f.Title, f.Why, strings.Join(f.Evidence, "\n    "))
			}
			if len(got) != len(tt.want) {
				t.Errorf("findings %v, want %v", got, tt.want)
			}
			for id, sev := range tt.want {
				if got[id] != sev {
					t.Errorf("finding %s: severity %q, want %q (all: %v)", id, got[id], sev, got)
				}
			}
			if tt.title != "" && (len(fs) == 0 || !strings.Contains(fs[0].Title, tt.title)) {
				t.Errorf("first finding does not say %q", tt.title)
			}
			failed := 0
			for _, r := range results {
				if r.State == StateFail {
					failed++
				}
			}
			if tt.name == "correct server" && failed > 0 {
				t.Errorf("%d probes fail on a correct server", failed)
			}
			if strings.HasSuffix(tt.name, "accepted") {
				if failed > 0 || len(fs) != 1 || !fs[0].Accepted || fs[0].Blocking() {
					t.Errorf("error_responses: unreadable must accept the finding and pass the probes (failed %d, %+v)", failed, fs)
				}
			}
		})
	}
}

// TestJudgeCatchesFlippedExpectations is the flip check of the probes:
// every probe that passes against a correct server fails once its
// expected outcome is turned around.
func TestJudgeCatchesFlippedExpectations(t *testing.T) {
	results, _ := runSimulated(t, good, server(listedOnly))
	for _, r := range results {
		if r.State != StatePass || r.Probe.Expect.MayBlock {
			continue
		}
		flipped := r.Probe
		flipped.Expect.Allowed = !flipped.Expect.Allowed
		if got := Judge(flipped, r.Observation, nil); got.State != StateFail {
			t.Errorf("%s: a flipped expectation gives %s", r.Probe.Name, got.State)
		}
	}
}

// TestInconclusiveIsNotAMismatch: a response without the exposed header
// cannot show its exposure, and a missing path that answers 200 is no error
// response: both are inconclusive, never a failure.
func TestInconclusiveIsNotAMismatch(t *testing.T) {
	srv := func(pr Probe, path, origin string, preflight bool) (int, [][2]string) {
		st, h := server(listedOnly)(pr, path, origin, preflight)
		var out [][2]string
		for _, hd := range h {
			if hd[0] != "X-Total-Count" {
				out = append(out, hd)
			}
		}
		if st == 404 {
			st = 200 // a catch-all route
		}
		return st, out
	}
	results, fs := runSimulated(t, good, srv)
	inconclusive := map[string]bool{}
	for _, r := range results {
		if r.State == StateFail {
			t.Errorf("%s failed: %s", r.Probe.Name, r.Why)
		}
		if r.State == StateInconclusive {
			inconclusive[r.Probe.Kind] = true
		}
	}
	if !inconclusive[KindExpose] || !inconclusive[KindErrorResponse] {
		t.Errorf("inconclusive kinds %v, want expose and error-response", inconclusive)
	}
	if len(fs) != 0 {
		t.Errorf("findings %+v", fs)
	}
}

// TestRunStopsAfterProbesThatCannotRun: a target too slow for every probe
// costs StopAfterErrors probes (plus those already in flight), and the rest
// say why they were not run, whatever the number of jobs.
func TestRunStopsAfterProbesThatCannotRun(t *testing.T) {
	p, _ := Parse("p.yaml", []byte(good))
	probes := Probes(p)
	for _, jobs := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("jobs=%d", jobs), func(t *testing.T) {
			var calls atomic.Int32
			d := doerFunc(func() (*harness.Observation, error) { calls.Add(1); return nil, context.DeadlineExceeded })
			results := RunJobs(context.Background(), d, "http://127.0.0.1:8080", "/", probes, jobs, nil)
			// With jobs in flight, up to jobs-1 more may have started
			// before the third error ended.
			if n := int(calls.Load()); n < StopAfterErrors || n > StopAfterErrors+jobs-1 || len(results) != len(probes) {
				t.Fatalf("%d calls, %d results for %d probes", n, len(results), len(probes))
			}
			last := results[len(results)-1]
			if last.State != StateError || !strings.Contains(last.Error, "probes could not run") || !strings.HasPrefix(last.Error, "not run: the last ") {
				t.Fatalf("last result %+v", last)
			}
		})
	}
}

// TestRunAfterTheDeadline: probes not started before ctx ended are reported
// as not run, with the cause, in probe order, whatever the number of jobs.
func TestRunAfterTheDeadline(t *testing.T) {
	p, _ := Parse("p.yaml", []byte(good))
	probes := Probes(p)
	for _, jobs := range []int{1, 4} {
		t.Run(fmt.Sprintf("jobs=%d", jobs), func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			var calls atomic.Int32
			d := doerFunc(func() (*harness.Observation, error) {
				if calls.Add(1) == 2 {
					cancel(errors.New("--deadline 1s ran out"))
				}
				return &harness.Observation{Outcome: scenarios.OutcomeAllowed, Status: 200}, nil
			})
			results := RunJobs(ctx, d, "http://127.0.0.1:8080", "/", probes, jobs, nil)
			if len(results) != len(probes) {
				t.Fatalf("%d results for %d probes", len(results), len(probes))
			}
			for i, r := range results {
				if r.Probe.Name != probes[i].Name {
					t.Fatalf("result %d is %q, want %q (probe order)", i, r.Probe.Name, probes[i].Name)
				}
			}
			last := results[len(results)-1]
			if !strings.Contains(last.Error, "not run: the run's deadline passed (--deadline 1s ran out)") {
				t.Fatalf("last result %+v", last)
			}
		})
	}
}

type doerFunc func() (*harness.Observation, error)

func (f doerFunc) Do(context.Context, string, scenarios.Request) (*harness.Observation, error) {
	return f()
}
