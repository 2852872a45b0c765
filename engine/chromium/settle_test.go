package chromium

import (
	"testing"
	"time"

	"github.com/corslab/corslab/engine"
)

// The settle conditions, each case with the event that is still missing
// (so a wrong condition fails here, not by a flaky verdict under load).
func TestSettled(t *testing.T) {
	preflight := func(done bool) *netRequest {
		return &netRequest{ID: "P", Initiator: initiator{Type: "preflight"}, WireReq: []evRequestExtra{{}}, Final: &wireResponse{Status: 204}, Finished: done}
	}
	corsFailed := &netRequest{ID: "A", WireReq: []evRequestExtra{{}}, Failed: &evLoadingFailed{ErrorText: "net::ERR_FAILED", CorsErrorStatus: &corsErrorStatus{CorsError: "MissingAllowOriginHeader"}}}
	finished := &netRequest{ID: "A", WireReq: []evRequestExtra{{}}, Final: &wireResponse{Status: 200}, Finished: true}
	opaque := &netRequest{ID: "A", WireReq: []evRequestExtra{{}}, Final: &wireResponse{Status: 200}}
	notFound := &netRequest{ID: "A", WireReq: []evRequestExtra{{}}, Final: &wireResponse{Status: 404}, Finished: true}
	withAnswer := func(n *netRequest) *netRequest {
		cp := *n
		cp.WireResp = []evResponseExtra{{StatusCode: 200}}
		return &cp
	}
	abortedOpaque := &netRequest{ID: "A", WireReq: []evRequestExtra{{}}, Final: &wireResponse{Status: 200}, Failed: &evLoadingFailed{ErrorText: "net::ERR_ABORTED"}}
	badAnswer := &netRequest{ID: "A", WireReq: []evRequestExtra{{}}, Failed: &evLoadingFailed{ErrorText: "net::ERR_INVALID_HTTP_RESPONSE"}}
	lnaBlocked := &netRequest{ID: "A", Failed: &evLoadingFailed{ErrorText: "net::ERR_FAILED", CorsErrorStatus: &corsErrorStatus{CorsError: "LocalNetworkAccessPermissionDenied"}}}
	redirectedPreflight := &netRequest{ID: "P", Initiator: initiator{Type: "preflight"}, WireReq: []evRequestExtra{{}}, Failed: &evLoadingFailed{ErrorText: "net::ERR_INVALID_REDIRECT"}}
	preflightBlocked := &netRequest{ID: "A", Failed: &evLoadingFailed{ErrorText: "net::ERR_FAILED", CorsErrorStatus: &corsErrorStatus{CorsError: "PreflightDisallowedRedirect"}}}
	corsLine := consoleEntry{Source: "javascript", Level: "error", Text: "Access to fetch ... blocked by CORS policy"}
	failedFetch := engine.PageOutcome{Error: "TypeError: Failed to fetch", ErrorName: "TypeError"}
	ok := engine.PageOutcome{OK: true, Type: "cors"}
	tests := []struct {
		name    string
		sn      snapshot
		res     engine.PageOutcome
		arrived engine.Arrivals
		since   time.Duration
		want    bool
	}{
		{"an API error before the network", snapshot{}, engine.PageOutcome{Error: "TypeError: 'DELETE' is unsupported in no-cors mode."}, engine.Arrivals{}, 0, true},
		{"the server got it, no event yet", snapshot{}, failedFetch, engine.Arrivals{Requests: 1}, time.Second, false},
		{"a failure with no event, just now", snapshot{}, failedFetch, engine.Arrivals{}, 10 * time.Millisecond, false},
		{"a failure with no event, a while ago", snapshot{}, failedFetch, engine.Arrivals{}, 200 * time.Millisecond, true},
		{"only the preflight seen", snapshot{requests: []*netRequest{preflight(true)}}, failedFetch, engine.Arrivals{Preflights: 1}, time.Second, false},
		{"the journal's request not on the wire yet", snapshot{requests: []*netRequest{{ID: "A", Finished: true}}}, ok, engine.Arrivals{Requests: 1}, time.Second, false},
		{"blocked, console line still to come", snapshot{requests: []*netRequest{corsFailed}}, failedFetch, engine.Arrivals{Requests: 1}, 50 * time.Millisecond, false},
		{"blocked, with its console line", snapshot{requests: []*netRequest{corsFailed}, console: []consoleEntry{corsLine}}, failedFetch, engine.Arrivals{Requests: 1}, 50 * time.Millisecond, true},
		{"blocked, the console grace is over", snapshot{requests: []*netRequest{corsFailed}}, failedFetch, engine.Arrivals{Requests: 1}, consoleGrace, true},
		{"page failed, loadingFailed not yet", snapshot{requests: []*netRequest{finished}}, failedFetch, engine.Arrivals{Requests: 1}, time.Second, false},
		{"a 404, its console line still to come after 1.5 s (seen under load)", snapshot{requests: []*netRequest{{ID: "A", WireReq: []evRequestExtra{{}}, Final: &wireResponse{Status: 404}, Finished: true}}}, ok, engine.Arrivals{Requests: 1}, 1500 * time.Millisecond, false},
		{"a 404, the console grace is over", snapshot{requests: []*netRequest{{ID: "A", WireReq: []evRequestExtra{{}}, Final: &wireResponse{Status: 404}, Finished: true}}}, ok, engine.Arrivals{Requests: 1}, consoleGrace, true},
		{"allowed and finished", snapshot{requests: []*netRequest{preflight(false), finished}}, ok, engine.Arrivals{Preflights: 1, Requests: 1}, 0, true},
		{"allowed, not finished", snapshot{requests: []*netRequest{{ID: "A", WireReq: []evRequestExtra{{}}}}}, ok, engine.Arrivals{Requests: 1}, 0, false},
		{"opaque needs no loadingFinished", snapshot{requests: []*netRequest{opaque}}, engine.PageOutcome{OK: true, Type: "opaque"}, engine.Arrivals{Requests: 1}, opaqueGrace, true},
		{"opaque, its last event may still come", snapshot{requests: []*netRequest{opaque}}, engine.PageOutcome{OK: true, Type: "opaque"}, engine.Arrivals{Requests: 1}, opaqueGrace / 2, false},
		{"blocked, its wire answer still to come", snapshot{requests: []*netRequest{corsFailed}, console: []consoleEntry{corsLine}}, failedFetch, engine.Arrivals{Requests: 1, Answered: 1}, 50 * time.Millisecond, false},
		{"blocked, with its wire answer", snapshot{requests: []*netRequest{withAnswer(corsFailed)}, console: []consoleEntry{corsLine}}, failedFetch, engine.Arrivals{Requests: 1, Answered: 1}, 50 * time.Millisecond, true},
		{"a malformed answer the browser failed on its own", snapshot{requests: []*netRequest{badAnswer}}, failedFetch, engine.Arrivals{Requests: 1, Answered: 1}, consoleGrace, true},
		{"allowed, its wire answer still to come", snapshot{requests: []*netRequest{finished}}, ok, engine.Arrivals{Requests: 1, Answered: 1}, time.Second, false},
		{"the preflight's wire headers still to come", snapshot{requests: []*netRequest{{ID: "P", Initiator: initiator{Type: "preflight"}, Final: &wireResponse{Status: 204}, Finished: true}, finished}}, ok, engine.Arrivals{Preflights: 1, Requests: 1}, time.Second, false},
		{"aborted after its response, its wire answer still to come", snapshot{requests: []*netRequest{abortedOpaque}}, engine.PageOutcome{OK: true, Type: "opaque"}, engine.Arrivals{Requests: 1, Answered: 1}, time.Second, false},
		{"aborted after its response, with its wire answer", snapshot{requests: []*netRequest{withAnswer(abortedOpaque)}}, engine.PageOutcome{OK: true, Type: "opaque"}, engine.Arrivals{Requests: 1, Answered: 1}, time.Second, true},
		{"blocked by Local Network Access, its Audits issue to come", snapshot{requests: []*netRequest{lnaBlocked}, console: []consoleEntry{corsLine}}, failedFetch, engine.Arrivals{}, time.Second, false},
		{"a preflight answered 302, its wire answer still to come", snapshot{requests: []*netRequest{redirectedPreflight, preflightBlocked}, console: []consoleEntry{corsLine}}, failedFetch, engine.Arrivals{Preflights: 1, Answered: 1}, 50 * time.Millisecond, false},
		{"an opaque redirect, its next hop not announced yet", snapshot{requests: []*netRequest{opaque}}, engine.PageOutcome{OK: true, Type: "opaqueredirect"}, engine.Arrivals{Requests: 1}, time.Second, false},
		{"an opaque redirect with its next hop announced", snapshot{requests: []*netRequest{{ID: "A", WireReq: []evRequestExtra{{}}, Final: &wireResponse{Status: 302}, Redirects: []*wireResponse{{Status: 302}}, Finished: true}}}, engine.PageOutcome{OK: true, Type: "opaqueredirect"}, engine.Arrivals{Requests: 1}, time.Second, true},
		{"an error status waits for its console line", snapshot{requests: []*netRequest{notFound}}, ok, engine.Arrivals{Requests: 1}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := settled(tt.sn, tt.res, tt.arrived, tt.since); got != tt.want {
				t.Fatalf("settled = %v, want %v", got, tt.want)
			}
		})
	}
}

// For a target outside the lab (no journal), a preflight the Fetch model
// expects is waited for until the console grace is over, and only then.
func TestAwaitingPreflight(t *testing.T) {
	actual := &netRequest{ID: "A", WireReq: []evRequestExtra{{}}, Final: &wireResponse{Status: 200}, Finished: true}
	preflight := &netRequest{ID: "P", Initiator: initiator{Type: "preflight"}, WireReq: []evRequestExtra{{}}, Final: &wireResponse{Status: 204}, Finished: true}
	journal := func() engine.Arrivals { return engine.Arrivals{} }
	tests := []struct {
		name  string
		reqs  []*netRequest
		hint  engine.Hint
		since time.Duration
		want  bool
	}{
		{"expected, not seen yet", []*netRequest{actual}, engine.Hint{Preflight: true}, 50 * time.Millisecond, true},
		{"expected and seen", []*netRequest{preflight, actual}, engine.Hint{Preflight: true}, 50 * time.Millisecond, false},
		{"expected, the grace is over: from the cache", []*netRequest{actual}, engine.Hint{Preflight: true}, preflightGrace, false},
		{"not expected", []*netRequest{actual}, engine.Hint{}, 50 * time.Millisecond, false},
		{"a journal says what went out", []*netRequest{actual}, engine.Hint{Preflight: true, Journal: journal}, 50 * time.Millisecond, false},
	}
	for _, tt := range tests {
		if got := awaitingPreflight(snapshot{requests: tt.reqs}, tt.hint, tt.since); got != tt.want {
			t.Errorf("%s: awaitingPreflight = %v, want %v", tt.name, got, tt.want)
		}
	}
}
