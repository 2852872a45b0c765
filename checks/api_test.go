package checks

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/corslab/corslab"
)

// appCORS is a hand-written CORS handler that allows one origin.
func appCORS(allowed string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		if r.Header.Get("Origin") == allowed {
			w.Header().Set("Access-Control-Allow-Origin", allowed)
			w.Header().Set("Access-Control-Allow-Methods", "GET, DELETE")
			w.Header().Set("Access-Control-Allow-Headers", "Api-Key")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("X-Path", r.URL.Path)
		w.Write([]byte("items"))
	})
}

func TestFetchFromRealLookingOrigins(t *testing.T) {
	h := appCORS("https://app.example.com")
	tests := []struct {
		page    string
		method  string
		allowed bool
	}{
		{"https://app.example.com", "GET", true},
		{"https://app.example.com", "DELETE", true},
		{"http://app.example.com", "GET", false},
		{"http://localhost:3000", "GET", false},
		{"evil", "GET", false},
		{"null", "GET", false},
	}
	for _, tt := range tests {
		t.Run(tt.page+" "+tt.method, func(t *testing.T) {
			obs := lab.MustFetch(t, corslab.Request{Handler: h, Page: tt.page, Method: tt.method, Path: "/api/items"})
			t.Logf("page=%s outcome=%s cors=%s console=%s journal=%d", obs.Page, obs.Outcome, obs.CorsError, obs.Console, len(obs.Requests))
			if tt.allowed {
				corslab.Check(t, obs, corslab.BeAllowed())
				if obs.Body != "items" {
					t.Errorf("body %q", obs.Body)
				}
			} else {
				corslab.Check(t, obs, corslab.BeBlockedWith("MissingAllowOriginHeader"))
			}
		})
	}
}

type journal struct {
	mu      sync.Mutex
	entries []*http.Request
}

func (j *journal) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.mu.Lock()
		j.entries = append(j.entries, r.Clone(r.Context()))
		j.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func TestFetchExternalTarget(t *testing.T) {
	var j journal
	srv := httptest.NewServer(j.wrap(appCORS("https://app.example.com")))
	defer srv.Close()
	obs := lab.MustFetch(t, corslab.Request{Target: srv.URL, Page: "https://app.example.com", Method: "DELETE", Path: "/api/items", Headers: map[string]string{"Api-Key": "k"}})
	t.Logf("outcome=%s cors=%s console=%s reached=%v pre=%v js=%s", obs.Outcome, obs.CorsError, obs.Console, obs.ReachedServer, obs.Preflight, obs.JSError)
	corslab.Check(t, obs, corslab.BeAllowed())
	corslab.Check(t, obs, corslab.HaveSentPreflight())
	corslab.Check(t, obs, corslab.HaveReachedServer())
	for _, r := range j.entries {
		t.Logf("%s %s origin=%s acrm=%s", r.Method, r.URL, r.Header.Get("Origin"), r.Header.Get("Access-Control-Request-Method"))
	}
}
