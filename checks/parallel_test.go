package checks

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/corslab/corslab"
)

// Lab.Fetch from parallel tests: each observation is its own request's,
// whatever else is in flight (attributed by the unique path, never by
// arrival order), and credentialed requests, which share the jar, still
// see only what they were sent.
func TestFetchFromParallelTests(t *testing.T) {
	for i := range 16 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			id := fmt.Sprintf("t%d", i)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
				w.Header().Set("Access-Control-Allow-Credentials", "true")
				w.Header().Set("Access-Control-Allow-Headers", "X-Id")
				w.Header().Set("Access-Control-Expose-Headers", "X-Id")
				w.Header().Set("X-Id", r.Header.Get("X-Id"))
				w.Write([]byte(r.Header.Get("X-Id") + " " + r.URL.Path))
			})
			req := corslab.Request{Handler: h, Path: "/" + id, Headers: map[string]string{"X-Id": id}}
			if i%4 == 0 {
				req.Credentials = "include"
			}
			obs := lab.MustFetch(t, req)
			corslab.Check(t, obs, corslab.BeAllowed())
			corslab.Check(t, obs, corslab.HaveSentPreflight())
			if want := id + " /" + id; obs.Body != want {
				t.Errorf("body %q, want %q", obs.Body, want)
			}
			if got := obs.ReadableHeaders["x-id"]; got != id {
				t.Errorf("readable X-Id %q, want %q", got, id)
			}
			for _, e := range obs.Requests {
				if !strings.HasSuffix(e.Path, "/"+id) {
					t.Errorf("the journal has %s %s, another test's request", e.Method, e.Path)
				}
			}
			for _, m := range obs.Exchange {
				if m.URL != "" && !strings.HasSuffix(m.URL, "/"+id) {
					t.Errorf("the exchange has %s %s, another test's message", m.Kind, m.URL)
				}
			}
		})
	}
}
