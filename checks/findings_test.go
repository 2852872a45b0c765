package checks

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corslab/corslab/policy"
)

// bugPolicy is a smaller policy than commonPolicy, with the same origins
// (so the package's lab has their pages), to keep each run short.
const bugPolicy = `target: http://127.0.0.1:8080/api/items
origins: [https://app.example.com, http://localhost:3000]
methods: [GET, DELETE]
credentials: true
`

// handCORS is a hand-written CORS layer over appMux: allow decides on the
// Origin, acao is what it sends back for an allowed one ("" reflects it).
type handCORS struct {
	allow func(origin string) bool
	acao  string
	// noVary leaves Vary: Origin out; onlySuccess sends the CORS headers
	// on 2xx answers only, as nginx's add_header without `always` does.
	noVary, onlySuccess bool
}

func (c handCORS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o := r.Header.Get("Origin")
	set := func(h http.Header) {
		if !c.noVary {
			h.Add("Vary", "Origin")
		}
		if o == "" || !c.allow(o) {
			return
		}
		acao := c.acao
		if acao == "" {
			acao = o
		}
		h.Set("Access-Control-Allow-Origin", acao)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method == http.MethodOptions {
		set(w.Header())
		w.Header().Set("Access-Control-Allow-Methods", "GET, DELETE")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if c.onlySuccess {
		w = &successOnly{ResponseWriter: w, set: set}
	} else {
		set(w.Header())
	}
	appMux().ServeHTTP(w, r)
}

// successOnly adds the CORS headers when the status is 2xx.
type successOnly struct {
	http.ResponseWriter
	set   func(http.Header)
	wrote bool
}

func (s *successOnly) WriteHeader(code int) {
	if !s.wrote && code < 300 {
		s.set(s.Header())
	}
	s.wrote = true
	s.ResponseWriter.WriteHeader(code)
}

func (s *successOnly) Write(b []byte) (int, error) {
	if !s.wrote {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

func listedOrigin(o string) bool {
	return o == "https://app.example.com" || o == "http://localhost:3000"
}

// TestFindingsOfServersWithEachBug runs the probes in Chromium against a
// server with each common bug: each is one finding with its severity,
// named from what the browser observed, and a correct server has none.
func TestFindingsOfServersWithEachBug(t *testing.T) {
	unanchored := regexp.MustCompile(`^https://app\.example\.com|^http://localhost:3000`)
	tests := []struct {
		name string
		h    http.Handler
		want map[string]policy.Severity
		// title is a part of the first finding's title.
		title string
	}{
		{"correct", handCORS{allow: listedOrigin}, map[string]policy.Severity{}, ""},
		{"bare error responses", handCORS{allow: listedOrigin, onlySuccess: true},
			map[string]policy.Severity{"error-responses-unreadable": policy.Warning}, "Access-Control-Allow-Origin on 200 but not on 404: nginx needs `add_header … always`"},
		{"prefix matching", handCORS{allow: unanchored.MatchString},
			map[string]policy.Severity{policy.BugPrefix: policy.Critical}, "bar matches origins by prefix"},
		{"reflects any origin", handCORS{allow: func(string) bool { return true }},
			map[string]policy.Severity{policy.BugReflectAny: policy.Critical}, "bar reflects any Origin:"},
		{"* with credentials", handCORS{allow: func(string) bool { return true }, acao: "*"},
			map[string]policy.Severity{"wildcard-with-credentials": policy.Warning, policy.BugWildcardRead: policy.Warning}, ""},
		{"no Vary: Origin", handCORS{allow: listedOrigin, noVary: true},
			map[string]policy.Severity{"vary-origin-missing": policy.Warning}, "without Vary: Origin"},
	}
	p := mustPolicy(t, "bugs.yaml", bugPolicy)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			results, err := lab.CheckPolicy(ctx, p, tt.h)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				if r.State == policy.StateError {
					t.Errorf("%s: harness error: %s", r.Probe.Name, r.Error)
				}
			}
			fs := policy.Findings(p, results)
			got := map[string]policy.Severity{}
			for _, f := range fs {
				got[f.ID] = f.Severity
				t.Logf("%s %s: %s\n    %s", f.Severity, f.ID, f.Title, strings.Join(f.Evidence, "\n    "))
			}
			if len(got) != len(tt.want) {
				t.Errorf("findings %v, want %v", got, tt.want)
			}
			for id, sev := range tt.want {
				if got[id] != sev {
					t.Errorf("finding %s: %q, want %q", id, got[id], sev)
				}
			}
			if tt.title != "" && (len(fs) == 0 || !strings.Contains(fs[0].Title, tt.title)) {
				t.Errorf("the first finding does not say %q", tt.title)
			}
		})
	}
}
