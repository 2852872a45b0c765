package firefox

import (
	"context"
	"strings"
	"time"

	"github.com/corslab/corslab/engine"
)

// Settling: Firefox reports a CORS block not on the request (the response
// shows as completed) but as a console message, which the privileged
// listener passes on a moment later. A watch settles once the events that
// must come have come, bounded by settleBound.
const (
	// settleBound is the longest a watch waits for events after the page's
	// result: a blocked request waits this long for its CORS message, which
	// under load comes seconds late; only a failure that is no CORS matter
	// (it has no such message) pays it in full.
	settleBound = 5 * time.Second
	// warningGrace is how long an allowed request that had a preflight
	// waits for a CORS warning (the Allow-Headers: * deprecation).
	warningGrace = 150 * time.Millisecond
	// genericGrace is how long a block whose only message names no check
	// waits for one that does.
	genericGrace = 500 * time.Millisecond
	// quietFailure is how long a failure the page saw waits for any event
	// at all before it is taken as refused before the network.
	quietFailure = 100 * time.Millisecond
	// lnaGrace is how long an allowed Local Network Access request
	// (Hint.LocalNetwork) waits for Firefox's "detected" message, which
	// says what was decided and may come after the request's own events;
	// seen late under load.
	lnaGrace = 2 * time.Second
)

// watch is one request's observation.
type watch struct {
	rec    *recorder
	marker string
	seen   map[string]bool
	since  int
}

// Watch begins observing the requests whose URL contains marker.
func (p *page) Watch(marker string) engine.Watch {
	r := p.b.rec
	w := &watch{rec: r, marker: marker, seen: map[string]bool{}, since: r.now()}
	r.mu.Lock()
	for _, n := range r.matching(marker).requests {
		w.seen[n.id] = true
	}
	r.mu.Unlock()
	return w
}

// fresh keeps what came after the watch began.
func (w *watch) fresh(sn snapshot) snapshot {
	var out snapshot
	for _, n := range sn.requests {
		if !w.seen[n.id] {
			out.requests = append(out.requests, n)
		}
	}
	for _, c := range sn.console {
		if c.seq > w.since {
			out.console = append(out.console, c)
		}
	}
	for _, c := range sn.cors {
		if c.seq > w.since {
			out.cors = append(out.cors, c)
		}
	}
	return out
}

// Settle waits until the browser's view of the watched requests is
// complete, or settleBound after the page's result, and returns it.
func (w *watch) Settle(ctx context.Context, hint engine.Hint) engine.View {
	jsDone := time.Now()
	journal := hint.Journal
	if journal == nil {
		journal = func() engine.Arrivals { return engine.Arrivals{} }
	}
	sn := w.rec.wait(ctx, w.marker, jsDone.Add(settleBound), func(sn snapshot) bool {
		return settled(w.fresh(sn), hint, journal(), time.Since(jsDone))
	})
	return view(w.fresh(sn))
}

// settled says whether a step's events are complete, given what the page
// saw (hint.Result), what the server received and how long ago the page's
// result came.
func settled(sn snapshot, hint engine.Hint, arrived engine.Arrivals, since time.Duration) bool {
	res := hint.Result
	if len(sn.requests) == 0 {
		if arrived.Preflights+arrived.Requests > 0 {
			return false
		}
		if !res.OK && !strings.Contains(res.Error, "NetworkError") && res.ErrorName != "NetworkError" {
			// An API error thrown before anything reached the network.
			return true
		}
		return since > quietFailure
	}
	var preflights, actual, done int
	for _, n := range sn.requests {
		if n.preflight {
			preflights++
		} else {
			actual++
		}
		if n.done {
			done++
		}
	}
	// Every request the server's journal shows must be in the events.
	if (arrived.Preflights > 0 && preflights == 0) || (arrived.Requests > 0 && actual == 0) {
		return false
	}
	if lnaPending(sn) {
		// Asked for a Local Network Access permission: its decision comes.
		return false
	}
	if hint.LocalNetwork && res.OK && !lnaDecided(sn) && since < lnaGrace {
		// An allowed Local Network Access request: what was decided comes
		// in a message of its own, which may come last. (A refused one
		// has its failure to wait for, and some, refused before any
		// connection, get no such message.)
		return false
	}
	blocked, named, corsMessages := false, false, 0
	for _, c := range sn.cors {
		if lnaKey(c.m) != "" {
			continue
		}
		corsMessages++
		if c.m.Flags&1 == 0 {
			blocked = true
			named = named || checks[c.m.Category] != ""
		}
	}
	if !res.OK {
		// The reason is the console's CORS error, which Firefox logs for
		// network failures too (CORSDidNotSucceed2); a failed preflight
		// also gives the page's request a fetchError, which comes first.
		// A failure that is no CORS matter (mode same-origin) has no CORS
		// message: settleBound ends its wait.
		// A message that names no check (CORSDidNotSucceed2) may come
		// before the one that does: give that one a moment.
		return named || (blocked && since >= genericGrace)
	}
	if done < len(sn.requests) {
		return false
	}
	return preflights == 0 || since >= warningGrace || corsMessages > 0
}

// view translates a watch's events into the neutral view.
func view(sn snapshot) engine.View {
	var v engine.View
	for _, n := range sn.requests {
		r := engine.Request{Preflight: n.preflight, Hops: n.hops, Done: n.done, CookiesSent: n.cookies}
		if len(n.hops) > 0 {
			if last := n.hops[len(n.hops)-1].Response; last != nil && last.FromCache {
				r.FromCache = true
			}
		}
		if n.errorText != "" {
			r.Failure = &engine.Failure{Text: n.errorText}
		}
		v.Requests = append(v.Requests, r)
	}
	for _, c := range sn.console {
		v.Console = append(v.Console, c.e)
	}
	pre := preflightFailed(sn.requests)
	for _, c := range sn.cors {
		if key := lnaKey(c.m); key != "" {
			v.Issues = append(v.Issues, engine.Issue{Kind: "Local Network Access message", Reason: key, Info: true, LocalNetwork: lnaNetwork(c.m.Text)})
			continue
		}
		p := parameter(c.m.Text)
		v.Issues = append(v.Issues, engine.Issue{Kind: "CORS message", Reason: c.m.Category,
			Parameter: p, Warning: c.m.Flags&1 != 0, Check: checkOf(c.m.Category, p, pre)})
	}
	return v
}

// preflightFailed says whether a preflight went out and the page's request
// itself got no response: it is the preflight's answer that failed.
func preflightFailed(reqs []*netRequest) bool {
	sawPreflight := false
	for _, n := range reqs {
		if n.preflight {
			sawPreflight = true
			continue
		}
		for _, h := range n.hops {
			if h.Response != nil {
				return false
			}
		}
	}
	return sawPreflight
}

// parameter is what a CORS message names besides the CORS headers, e.g.
// the request header a preflight did not allow, or the Allow-Origin value:
// the first ‘quoted’ part of its reason that is no Access-Control-* name.
func parameter(text string) string {
	_, reason, ok := strings.Cut(text, "(Reason:")
	if !ok {
		return ""
	}
	for {
		_, rest, ok := strings.Cut(reason, "‘")
		if !ok {
			return ""
		}
		q, after, ok := strings.Cut(rest, "’")
		if !ok {
			return ""
		}
		if !strings.HasPrefix(strings.ToLower(q), "access-control-") {
			return q
		}
		reason = after
	}
}
