package firefox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corslab/corslab/engine"
)

// TestLocalNetworkAccess: a page on an address counted as public fetches
// from loopback. Unanswered, the prompt fails the request at once (the
// lab cancels it as Firefox's timer would); granted, it goes through;
// denied, it fails without a prompt; set back to prompt, it asks again.
// Each step's Firefox message names the prompt action it took.
func TestLocalNetworkAccess(t *testing.T) {
	page := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><link rel="icon" href="data:,"><p>public`)
	})
	bar := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		fmt.Fprint(w, "ok")
	})
	b := launch(t, engine.LaunchOptions{PublicAddresses: []string{"127.0.0.1:" + strconv.Itoa(page.port)}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	origin := "http://foo.localhost:" + strconv.Itoa(page.port)
	fn := `async (u) => { try { const r = await fetch(u); return {ok: true, body: await r.text()}; } catch (e) { return {ok: false, error: String(e)}; } }`
	p, err := b.OpenPage(ctx, engine.PageSpec{URL: origin + "/", Function: fn})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i, tt := range []struct {
		setting, action string
		ok              bool
	}{
		{"prompt", "prompt_deny", false},
		{"granted", "auto_allow", true},
		{"denied", "auto_deny", false},
		{"prompt", "prompt_deny", false},
	} {
		if err := b.SetPermission(ctx, engine.Permission{Name: "loopback-network", Setting: tt.setting, Origin: origin}); err != nil {
			t.Fatal(err)
		}
		marker := "/lna" + strconv.Itoa(i)
		arg, _ := json.Marshal("http://bar.localhost:" + strconv.Itoa(bar.port) + marker)
		w := p.Watch(marker)
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		res, err := p.Call(cctx, arg)
		ccancel()
		if err != nil {
			t.Fatalf("%s: the request did not end: %v", tt.setting, err)
		}
		var got engine.PageOutcome
		json.Unmarshal(res, &got)
		if got.OK != tt.ok {
			t.Errorf("%s: page saw %s, want ok=%v", tt.setting, res, tt.ok)
		}
		hint := engine.Hint{Result: got, LocalNetwork: true}
		v := w.Settle(ctx, hint)
		// The hint has the settle wait up to lnaGrace for Firefox's
		// "detected" message, which may come after the request's events;
		// on a machine slower still (seen in CI) it is looked for again.
		for deadline := time.Now().Add(5 * time.Second); lnaAction(v) != tt.action && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
			v = w.Settle(ctx, hint)
		}
		for _, is := range v.Issues {
			if is.Kind == "Local Network Access message" && !is.Info {
				t.Errorf("%s: a Local Network Access message is not information: %+v", tt.setting, is)
			}
		}
		if action := lnaAction(v); action != tt.action {
			t.Errorf("%s: prompt action %q, want %q (issues %+v)", tt.setting, action, tt.action, v.Issues)
		}
	}
}

// lnaAction is the prompt action of a view's "detected" message, or "".
func lnaAction(v engine.View) string {
	for _, is := range v.Issues {
		if is.Reason == "LocalNetworkAccessDetected" && is.LocalNetwork != nil {
			return is.LocalNetwork.Policy
		}
	}
	return ""
}

func TestLNAMessages(t *testing.T) {
	yes, no := true, false
	for _, tt := range []struct {
		text, key string
		want      *engine.LocalNetwork
	}{
		{"Local Network Access detected: top-level site “http://foo.localhost:1/”, initiator “http://foo.localhost:1/”, accessing target “http://bar.localhost:2/x” (127.0.0.1:2) via fetch. Secure context: True, prompt action: auto_allow",
			"LocalNetworkAccessDetected", &engine.LocalNetwork{ClientSecure: &yes, Policy: "auto_allow"}},
		{"Local Network Access permission required: top-level site “http://app.example.test:1/”, initiator “http://app.example.test:1/”, attempting to access target “http://bar.localhost:2/x” (127.0.0.1:2) via fetch. Secure context: False",
			"LocalNetworkAccessPermissionRequired", &engine.LocalNetwork{ClientSecure: &no}},
		{"Local Network Access detected: … Secure context: True, prompt action: (null)", "LocalNetworkAccessDetected", &engine.LocalNetwork{ClientSecure: &yes}},
		{"Cross-Origin Request Blocked: … (Reason: CORS request did not succeed).", "", nil},
	} {
		if k := lnaKey(corsMessage{Text: tt.text}); k != tt.key {
			t.Errorf("lnaKey(%.40q) = %q, want %q", tt.text, k, tt.key)
		}
		if tt.key == "" {
			continue
		}
		got := lnaNetwork(tt.text)
		if fmt.Sprint(got == nil) != fmt.Sprint(tt.want == nil) || got != nil && (got.Policy != tt.want.Policy || *got.ClientSecure != *tt.want.ClientSecure) {
			t.Errorf("lnaNetwork(%.40q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

// TestSettledWaitsForTheLNADecision: after "permission required" a step is
// not settled until Firefox says what it decided; the messages are never
// taken as a CORS block.
func TestSettledWaitsForTheLNADecision(t *testing.T) {
	req := &netRequest{id: "1", hops: []engine.Hop{{Method: "GET", URL: "http://bar.localhost:2/x"}}, done: true}
	asked := seqCORS{1, corsMessage{Category: "Security", Text: "Local Network Access permission required: …", Flags: 8}}
	decided := seqCORS{2, corsMessage{Category: "Security", Text: "Local Network Access detected: … prompt action: prompt_deny", Flags: 8}}
	failed := engine.PageOutcome{OK: false, Error: "TypeError: NetworkError when attempting to fetch resource."}
	ok := engine.Hint{Result: engine.PageOutcome{OK: true}}
	if settled(snapshot{requests: []*netRequest{req}, cors: []seqCORS{asked}}, ok, engine.Arrivals{}, time.Second) {
		t.Error("settled while the Local Network Access decision is still to come")
	}
	if settled(snapshot{requests: []*netRequest{req}, cors: []seqCORS{asked, decided}}, engine.Hint{Result: failed}, engine.Arrivals{}, time.Second) {
		t.Error("a failure with only Local Network Access messages taken as a CORS block")
	}
	if !settled(snapshot{requests: []*netRequest{req}, cors: []seqCORS{asked, decided}}, ok, engine.Arrivals{}, 0) {
		t.Error("not settled after the decision")
	}
	// An allowed Local Network Access request (permission granted: no
	// "required" message) waits for its "detected" message, bounded; any
	// other request does not.
	lna := engine.Hint{Result: engine.PageOutcome{OK: true}, LocalNetwork: true}
	only := snapshot{requests: []*netRequest{req}}
	for _, tt := range []struct {
		name  string
		sn    snapshot
		hint  engine.Hint
		since time.Duration
		want  bool
	}{
		{"LNA request, no message yet", only, lna, 100 * time.Millisecond, false},
		{"LNA request, its decision in", snapshot{requests: []*netRequest{req}, cors: []seqCORS{decided}}, lna, 0, true},
		{"LNA request, no message within the grace", only, lna, lnaGrace, true},
		{"no LNA request", only, ok, 0, true},
	} {
		if got := settled(tt.sn, tt.hint, engine.Arrivals{}, tt.since); got != tt.want {
			t.Errorf("%s: settled %v, want %v", tt.name, got, tt.want)
		}
	}
	v := view(snapshot{requests: []*netRequest{req}, cors: []seqCORS{asked, decided}})
	for _, is := range v.Issues {
		if !is.Info || !strings.HasPrefix(is.Reason, "LocalNetworkAccess") {
			t.Errorf("issue %+v", is)
		}
	}
}
