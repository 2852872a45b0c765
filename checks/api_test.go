package checks

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/gomega"

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
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.entries) != 2 {
		t.Fatalf("the server got %d requests, want the preflight and the DELETE", len(j.entries))
	}
	pre, del := j.entries[0], j.entries[1]
	if pre.Method != "OPTIONS" || pre.Header.Get("Access-Control-Request-Method") != "DELETE" || pre.Header.Get("Access-Control-Request-Headers") != "api-key" || pre.Header.Get("Origin") != "https://app.example.com" {
		t.Errorf("preflight: %s %s %v", pre.Method, pre.URL, pre.Header)
	}
	if del.Method != "DELETE" || del.URL.Path != "/api/items" || del.Header.Get("Api-Key") != "k" {
		t.Errorf("actual request: %s %s %v", del.Method, del.URL, del.Header)
	}
}

func TestHandlerSeesItsOwnPath(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write([]byte(r.URL.RequestURI()))
	})
	obs := lab.MustFetch(t, corslab.Request{Handler: echo, Page: "https://app.example.com", Path: "/api/items?page=2"})
	corslab.Check(t, obs, corslab.BeAllowed())
	if obs.Body != "/api/items?page=2" {
		t.Errorf("the handler saw %q", obs.Body)
	}
	if e := obs.ActualEntry(); e == nil || e.Headers.Get("Origin") != "https://app.example.com" {
		t.Fatalf("journal: %+v", obs.Requests)
	}
	corslab.Check(t, obs, Not(corslab.ExposeHeader("X-Path")))
}

func TestUnmappedPageOrigin(t *testing.T) {
	_, err := lab.Fetch(context.Background(), corslab.Request{Handler: appCORS("x"), Page: "http://localhost:4444"})
	if err == nil || !strings.Contains(err.Error(), "list it in Options.Origins") {
		t.Fatalf("err = %v", err)
	}
}

// recordingTB captures a test's errors, to test the helpers that report them.
type recordingTB struct {
	testing.TB
	errors []string
	fatal  string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f like a test would, so Fatalf can stop it.
func (r *recordingTB) run(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func TestCheckPolicyFile(t *testing.T) {
	pol := writeFile(t, "cors-policy.yaml", commonPolicy)
	t.Run("a server that keeps the policy", func(t *testing.T) {
		h := implementations[0].handler() // rs/cors
		if !lab.CheckPolicyFile(t, pol, h) {
			t.Error("rs/cors does not keep the policy")
		}
	})
	t.Run("a server that does not", func(t *testing.T) {
		rec := &recordingTB{TB: t}
		rec.run(func() { lab.CheckPolicyFile(rec, pol, naiveCORS()) })
		all := strings.Join(rec.errors, "\n")
		// The cause once, as a finding, with the probes that show it; a
		// probe no blocking finding explains is its own error.
		if rec.fatal != "" || !strings.Contains(all, pol+": critical: bar matches origins by suffix") || strings.Count(all, "by suffix") != 1 ||
			!strings.Contains(all, "look-alike (suffix) https://evilapp.example.com: the page read the answer") ||
			!strings.Contains(all, pol+": method not allowed: PUT from https://app.example.com") {
			t.Errorf("fatal %q, errors:\n%s", rec.fatal, all)
		}
	})
	t.Run("a bad file", func(t *testing.T) {
		bad := writeFile(t, "bad.yaml", "origins:\n  - https://app.example.com/\n")
		rec := &recordingTB{TB: t}
		rec.run(func() { lab.CheckPolicyFile(rec, bad, naiveCORS()) })
		if !strings.Contains(rec.fatal, bad+":2: origin \"https://app.example.com/\" has a trailing slash") {
			t.Errorf("fatal %q", rec.fatal)
		}
	})
}

// TestFailingMatcherTellsTheStory: a failing matcher prints what explain
// prints for the request (bar's answers, the failing check, Why and Fix),
// not the whole observation, unless asked.
func TestFailingMatcherTellsTheStory(t *testing.T) {
	obs := lab.MustFetch(t, corslab.Request{Handler: appCORS("https://app.example.com"), Page: "evil", Method: "DELETE", Path: "/api/items", Headers: map[string]string{"Api-Key": "k"}})
	rec := &recordingTB{TB: t}
	if corslab.Check(rec, obs, corslab.BeAllowed()) {
		t.Fatal("a blocked request matched BeAllowed")
	}
	msg := strings.Join(rec.errors, "\n")
	t.Logf("failure message:\n%s", msg)
	for _, want := range []string{"Expected the request to be allowed, but it was blocked (PreflightMissingAllowOriginHeader)", "OPTIONS ", "Access-Control-Request-Method: DELETE", "Why:", "Fix:", "WithFullObservation"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure message lacks %q", want)
		}
	}
	if strings.Contains(msg, `"readable_headers"`) {
		t.Error("the whole observation is printed without WithFullObservation")
	}
	rec = &recordingTB{TB: t}
	corslab.Check(rec, obs, corslab.WithFullObservation(corslab.BeAllowed()))
	if msg := strings.Join(rec.errors, "\n"); !strings.Contains(msg, `"readable_headers"`) || !strings.Contains(msg, "Why:") {
		t.Errorf("WithFullObservation: %s", msg)
	}
}
