package harness

import (
	"net/http"
	"strings"
	"testing"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// observationFor builds the observation a standard browser would give for a
// prediction, so that each test changes one field.
func observationFor(p fetchspec.StepPrediction) *Observation {
	o := &Observation{Outcome: p.Outcome, ReadableHeaders: map[string]string{}}
	o.Preflight, o.PreflightCached, o.ReachedServer = *p.Preflight, *p.PreflightCached, *p.ReachedServer
	if p.Status != nil {
		o.Status, o.Body, o.ResponseType, o.Redirected = *p.Status, *p.Body, *p.ResponseType, *p.Redirected
	}
	for k, v := range p.ReadableHeaders {
		o.ReadableHeaders[k] = v
	}
	for _, w := range p.Requests {
		h := http.Header{}
		for _, x := range w.Headers {
			h.Add(x.Name, x.Value)
		}
		o.Requests = append(o.Requests, servers.Entry{Method: w.Method, Headers: h, Preflight: w.Preflight})
	}
	return o
}

func predictFor(t *testing.T, name string) fetchspec.StepPrediction {
	t.Helper()
	all, err := scenarios.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range all {
		if sc.Name == name {
			return fetchspec.Predict(sc, fetchspec.Env{Origins: fetchspec.LabOrigins{Foo: 1, Bar: 2, Baz: 3}})[0]
		}
	}
	t.Fatalf("no scenario %s", name)
	return fetchspec.StepPrediction{}
}

// Each field the model and the observation both know is compared: a
// deliberately wrong observation is reported, naming the field.
func TestModelDisagreements(t *testing.T) {
	tests := []struct {
		scenario string
		change   func(o *Observation)
		want     string
	}{
		{"preflight-delete-api-key", func(o *Observation) {}, ""},
		{"preflight-delete-api-key", func(o *Observation) { o.Outcome = "blocked" }, "outcome: standard allowed, observed blocked"},
		{"preflight-delete-api-key", func(o *Observation) { o.Preflight = false }, "preflight: standard true, observed false"},
		{"preflight-delete-api-key", func(o *Observation) { o.ReachedServer = false }, "reached_server: standard true, observed false"},
		{"preflight-delete-api-key", func(o *Observation) { o.Status = 204 }, "status: standard 200, observed 204"},
		{"preflight-delete-api-key", func(o *Observation) { o.Body = "x" }, `body: standard deleted, observed x`},
		{"preflight-delete-api-key", func(o *Observation) { o.ReadableHeaders["x-secret"] = "1" }, "readable_headers: the standard hides x-secret"},
		{"preflight-delete-api-key", func(o *Observation) { delete(o.ReadableHeaders, "content-type") }, "the standard exposes content-type, observed hidden"},
		{"preflight-delete-api-key", func(o *Observation) { o.Requests[0].Headers.Set("Access-Control-Request-Headers", "Api-Key") }, `preflight headers: Access-Control-Request-Headers: standard "api-key", observed "Api-Key"`},
		{"preflight-delete-api-key", func(o *Observation) { o.Requests[0].Headers.Set("Api-Key", "k") }, "preflight headers: the standard does not send Api-Key"},
		{"preflight-delete-api-key", func(o *Observation) { o.Requests[1].Headers.Del("Origin") }, "request headers: the standard sends Origin"},
		{"preflight-delete-api-key", func(o *Observation) { o.Requests[1].Method = "POST" }, "method_received: standard DELETE, observed POST"},
		{"preflight-delete-api-key", func(o *Observation) { o.CookiesSent = []string{"a=1"} }, "cookies_sent: standard none, observed a=1"},
		{"cache-max-age-reuse", func(o *Observation) { o.PreflightCached = true }, "preflight_cached: standard false, observed true"},
		{"rejected-no-allow-origin", func(o *Observation) { o.Outcome = "allowed" }, "outcome: standard \"blocked (CORS check step 2)\", observed allowed"},
		{"rejected-no-allow-origin", func(o *Observation) { o.JSError = "NetworkError" }, "js_error: standard TypeError, observed NetworkError"},
	}
	for _, tt := range tests {
		p := predictFor(t, tt.scenario)
		o := observationFor(p)
		if p.Outcome == "blocked" {
			o.JSError = "TypeError: Failed to fetch"
		}
		tt.change(o)
		got := strings.Join(ModelDisagreements(&p, o), "\n")
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%s: disagreements\n%s\nwant %q", tt.scenario, got, tt.want)
		}
	}
}

// A step the model does not predict is not compared.
func TestModelDisagreementsSkipUnknown(t *testing.T) {
	p := fetchspec.StepPrediction{NotPredicted: []string{"outcome: the HTTP cache may answer"}}
	if d := ModelDisagreements(&p, &Observation{Outcome: "allowed"}); d != nil {
		t.Errorf("an unpredicted step disagreed: %v", d)
	}
}

// A divergence mark is right only when it matches the differential
// verdict: each wrong combination is named, the right ones are not.
func TestDivergenceMarkError(t *testing.T) {
	agree := &ModelVerdict{Agrees: true, Disagreements: []string{}}
	differ := &ModelVerdict{Disagreements: []string{"preflight: standard true, observed false"}}
	tests := []struct {
		name   string
		marked bool
		steps  []StepResult
		want   string // "" = no error
	}{
		{"unmarked, agrees", false, []StepResult{{Model: agree}}, ""},
		{"marked, disagrees", true, []StepResult{{Model: differ}}, ""},
		{"marked, agrees", true, []StepResult{{Model: agree}}, "is marked divergence, yet"},
		{"unmarked, disagrees", false, []StepResult{{Model: differ}}, "is not marked divergence, yet"},
		{"unmarked, step 2 disagrees", false, []StepResult{{Model: agree}, {Model: differ}}, "step 2: preflight: standard true"},
		{"not observed", true, []StepResult{{Error: "timed out"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d scenarios.Divergence
			if tt.marked {
				d = scenarios.Divergence{"chromium"}
			}
			r := Result{Scenario: scenarios.Scenario{Name: "x", Divergence: d}, Steps: tt.steps}
			got := r.DivergenceMarkError()
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Fatalf("DivergenceMarkError = %q, want %q", got, tt.want)
			}
		})
	}
}

// NewModelVerdict agrees exactly when there is nothing to report, and
// carries the model's trace.
func TestNewModelVerdict(t *testing.T) {
	p := predictFor(t, "simple-get-exact-origin")
	v := NewModelVerdict(&p, observationFor(p))
	if !v.Agrees || len(v.Disagreements) != 0 || len(v.Trace) == 0 {
		t.Fatalf("the standard's own observation: %+v", v)
	}
	o := observationFor(p)
	o.Preflight = true
	if v := NewModelVerdict(&p, o); v.Agrees || !strings.Contains(strings.Join(v.Disagreements, "\n"), "preflight: standard false, observed true") {
		t.Fatalf("a preflight the standard does not send: %+v", v.Disagreements)
	}
}
