package chromium

import (
	"context"
	"strings"
	"time"

	"github.com/corslab/corslab/engine"
)

// Settling: Chromium's events usually arrive before the page's result, not
// always, and on separate subscriptions (so one kind may come late). A watch
// settles once the events that must come have come, bounded by settleBound.
const (
	// settleBound is the longest a watch waits for events after the page's
	// result. On an idle machine no settle of the whole catalog reaches it
	// nor consoleGrace (counted); they bound a loaded machine's waits.
	settleBound = 4 * time.Second
	// consoleGrace is how long a settled request still waits for its
	// console line (Chromium logs it after the network events): in a CI
	// run of the test suite, a 404's "Failed to load resource" line came
	// more than 1 s after the page's result.
	consoleGrace = 3 * time.Second
	// preflightGrace is how long a request to a target outside the lab
	// waits for a preflight the model says it needs (awaitingPreflight).
	preflightGrace = time.Second
	// quietFailure is how long a failure the page saw waits for any event
	// at all before it is taken as refused before the network.
	quietFailure = 100 * time.Millisecond
	// opaqueGrace is how long an opaque response waits for its request's
	// last event, which may come or not (a no-cors HEAD's loadingFailed
	// net::ERR_ABORTED came before the page's result in one run, 30 ms
	// after it in another; a GET's never comes), so that whether it is
	// reported does not depend on how busy the machine is.
	opaqueGrace = 100 * time.Millisecond
)

// watch is one request's observation on a page.
type watch struct {
	rec    *recorder
	marker string
	// seen are the ids of requests for marker already recorded when the
	// watch began (an earlier step of the same scenario); since is the
	// recorder's sequence number then, for console lines and issues.
	seen  map[string]bool
	since int
}

// Watch begins observing the requests whose URL contains marker.
func (p *page) Watch(marker string) engine.Watch {
	w := &watch{rec: p.rec, marker: marker, seen: map[string]bool{}, since: p.rec.now()}
	for _, n := range p.rec.matching(marker).requests {
		w.seen[n.ID] = true
	}
	return w
}

// fresh keeps what came after the watch began.
func (w *watch) fresh(sn snapshot) snapshot {
	var out snapshot
	for _, n := range sn.requests {
		if !w.seen[n.ID] {
			out.requests = append(out.requests, n)
		}
	}
	// A console line or issue of an earlier call's request may arrive after
	// this watch began (Chromium logs after the network events): its
	// request id says whose it is.
	for _, c := range sn.console {
		if c.Seq > w.since && !w.seen[c.RequestID] {
			out.console = append(out.console, c)
		}
	}
	for _, is := range sn.issues {
		if d := is.Issue.Details.Cors; is.Seq > w.since && (d == nil || !w.seen[d.Request.RequestID]) {
			out.issues = append(out.issues, is)
		}
	}
	return out
}

// Settle waits until the browser's view of the watched requests is
// complete (settled), or settleBound after the page's result, and returns it.
func (w *watch) Settle(ctx context.Context, hint engine.Hint) engine.View {
	jsDone := time.Now()
	journal := hint.Journal
	if journal == nil {
		journal = func() engine.Arrivals { return engine.Arrivals{} }
	}
	sn := w.rec.wait(ctx, w.marker, jsDone.Add(settleBound), func(sn snapshot) bool {
		fresh, since := w.fresh(sn), time.Since(jsDone)
		return !awaitingPreflight(fresh, hint, since) && settled(fresh, hint.Result, journal(), since)
	})
	return view(w.fresh(sn))
}

// settled says whether a step's events are complete, given what the page
// saw, what the server received and how long ago the page's result came.
func settled(sn snapshot, res engine.PageOutcome, arrived engine.Arrivals, since time.Duration) bool {
	fresh := sn.requests
	if len(fresh) == 0 {
		// A request the browser refused before the network (e.g. DELETE in
		// no-cors) has no events at all; one that reached a server must
		// have some, so wait for them.
		if arrived.Preflights+arrived.Requests > 0 {
			return false
		}
		if !res.OK && !strings.Contains(res.Error, "Failed to fetch") && res.ErrorName != "NetworkError" {
			// An API error ("'DELETE' is unsupported in no-cors mode"),
			// thrown before anything reached the network.
			return true
		}
		return !res.OK && since > quietFailure
	}
	// Every request bar's journal shows must also have been seen by the
	// browser's events, each with what went on the wire
	// (requestWillBeSentExtraInfo, which may come after the rest).
	var wirePreflights, wireRequests int
	var actual *netRequest
	for _, n := range fresh {
		switch {
		case n.isPreflight():
			wirePreflights += len(n.WireReq)
		case actual == nil:
			actual = n
		}
		if !n.isPreflight() {
			wireRequests += len(n.WireReq)
		}
	}
	if wirePreflights < arrived.Preflights || wireRequests < arrived.Requests {
		return false
	}
	// Every answer in the journal must also be in the browser's report of
	// what came off the wire (responseReceivedExtraInfo, which may come
	// after loadingFailed), unless the browser failed a request on an error
	// of its own (a malformed answer), which may have none.
	if wireAnswers(fresh) < arrived.Answered && !netFailure(fresh) {
		return false
	}
	// The page's own request must be among them: with the preflight alone
	// the browser's verdict (loadingFailed) may still be on its way.
	if actual == nil || (!res.OK && actual.Failed == nil) {
		return false
	}
	if !allTerminal(fresh, res) {
		return false
	}
	if (res.Type == "opaque" || res.Type == "opaqueredirect") && !allDone(fresh) && since < opaqueGrace {
		return false
	}
	if lnaIssueDue(sn) {
		return false
	}
	if res.Type == "opaqueredirect" && !redirectAnnounced(fresh) {
		return false
	}
	if since >= consoleGrace {
		return true
	}
	return consoleCame(sn, res)
}

// redirectAnnounced says whether the browser has reported the redirect of
// a request the page got as an opaque-redirect response: Chromium
// announces the next hop (requestWillBeSent with the redirect response)
// and never sends it, and the announcement may come after the page's
// result (measured: seen in every run of redirects-mode-manual but one in
// 20 parallel catalog runs, where it came after the opaque grace).
func redirectAnnounced(reqs []*netRequest) bool {
	for _, n := range reqs {
		if !n.isPreflight() && len(n.Redirects) > 0 {
			return true
		}
	}
	return false
}

// allTerminal says whether every request has its last event. An opaque
// response never gets loadingFinished, nor does an allowed request's
// preflight always: their response is terminal enough.
func allTerminal(reqs []*netRequest, res engine.PageOutcome) bool {
	opaque := res.Type == "opaque" || res.Type == "opaqueredirect"
	for _, n := range reqs {
		if !n.terminal() && !(opaque && n.Final != nil) && !(res.OK && n.isPreflight() && n.Final != nil) {
			return false
		}
	}
	return true
}

// consoleCame says whether the console line Chromium writes for a request
// that failed, or got an error status, has come (or none is to come).
func consoleCame(sn snapshot, res engine.PageOutcome) bool {
	if res.OK {
		// Chromium also logs an error status (>= 400) it received.
		return !anyErrorStatus(sn.requests) || len(sn.console) > 0
	}
	failedCORS := false
	for _, n := range sn.requests {
		if n.Failed != nil && n.Failed.CorsErrorStatus != nil {
			failedCORS = true
		}
	}
	for _, c := range sn.console {
		if !failedCORS || (c.Source == "javascript" && strings.Contains(c.Text, "CORS")) {
			return true
		}
	}
	return !anyFailed(sn.requests)
}

// awaitingPreflight says whether to wait, since the page's result came
// since ago, for a preflight the Fetch model says the request needs, to a
// target outside the lab: no journal shows whether it went out, and its
// events come from the network service on a channel of their own, after
// the request's own loadingFinished under load (seen once in CI: a check
// probe reported "no preflight went out"). After preflightGrace it is
// taken as served from the preflight cache.
func awaitingPreflight(sn snapshot, hint engine.Hint, since time.Duration) bool {
	return hint.Journal == nil && hint.Preflight && !hasPreflight(sn.requests) && since < preflightGrace
}

// hasPreflight says whether one of the requests is a CORS-preflight.
func hasPreflight(reqs []*netRequest) bool {
	for _, n := range reqs {
		if n.isPreflight() {
			return true
		}
	}
	return false
}

// allDone says whether every request has its last event.
func allDone(reqs []*netRequest) bool {
	for _, n := range reqs {
		if !n.terminal() {
			return false
		}
	}
	return true
}

// wireAnswers counts the answers the browser reported off the wire.
func wireAnswers(reqs []*netRequest) int {
	n := 0
	for _, r := range reqs {
		n += len(r.WireResp)
	}
	return n
}

// netFailure says whether a request failed, before the browser took in a
// response, on a network error other than the one every CORS failure
// gives (net::ERR_FAILED): a malformed answer, which may have no wire
// answer at all. The redirect errors come after a whole answer was read
// (a preflight answered 302 fails with net::ERR_INVALID_REDIRECT and its
// responseReceivedExtraInfo may come after loadingFailed), so they are not
// among them.
func netFailure(reqs []*netRequest) bool {
	for _, n := range reqs {
		if n.Failed != nil && n.Failed.ErrorText != "net::ERR_FAILED" && !afterAnswer[n.Failed.ErrorText] && n.Final == nil {
			return true
		}
	}
	return false
}

// afterAnswer are the network errors Chromium raises on an answer it has
// read whole.
var afterAnswer = map[string]bool{"net::ERR_INVALID_REDIRECT": true, "net::ERR_UNSAFE_REDIRECT": true, "net::ERR_TOO_MANY_REDIRECTS": true}

func anyErrorStatus(reqs []*netRequest) bool {
	for _, n := range reqs {
		if n.Final != nil && n.Final.Status >= 400 {
			return true
		}
	}
	return false
}

func anyFailed(reqs []*netRequest) bool {
	for _, n := range reqs {
		if n.Failed != nil {
			return true
		}
	}
	return false
}
