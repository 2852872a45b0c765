package checks

import (
	"context"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	gincors "github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
	chicors "github.com/go-chi/cors"
	"github.com/gorilla/handlers"
	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
	rscors "github.com/rs/cors"

	"github.com/corslab/corslab/policy"
)

// commonPolicy is the policy every implementation is configured for, each
// as its documentation says.
const commonPolicy = `target: http://127.0.0.1:8080/api/items
origins: [https://app.example.com, http://localhost:3000]
methods: [GET, POST, DELETE]
request_headers: [Api-Key, Content-Type]
credentials: true
expose_headers: [X-Total-Count]
max_age: 600
`

var (
	allowedOrigins = []string{"https://app.example.com", "http://localhost:3000"}
	allowedMethods = []string{http.MethodGet, http.MethodPost, http.MethodDelete}
	allowedHeaders = []string{"Api-Key", "Content-Type"}
	exposedHeaders = []string{"X-Total-Count"}
)

func mustPolicy(t testing.TB, name, src string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// items is the application behind each middleware: /api/items answers
// GET, POST and DELETE with a count the page may read.
func items(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("X-Total-Count", "3")
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `[1,2,3]`)
}

func appMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/items", items)
	return mux
}

// implementations are the CORS middlewares under test, each configured for
// commonPolicy the way its README or package documentation shows.
var implementations = []struct {
	name    string
	version string
	handler func() http.Handler
}{
	{"rs/cors", "v1.11.1", func() http.Handler {
		return rscors.New(rscors.Options{
			AllowedOrigins:   allowedOrigins,
			AllowedMethods:   allowedMethods,
			AllowedHeaders:   allowedHeaders,
			ExposedHeaders:   exposedHeaders,
			AllowCredentials: true,
			MaxAge:           600,
		}).Handler(appMux())
	}},
	{"go-chi/cors", "v1.2.2", func() http.Handler {
		return chicors.Handler(chicors.Options{
			AllowedOrigins:   allowedOrigins,
			AllowedMethods:   allowedMethods,
			AllowedHeaders:   allowedHeaders,
			ExposedHeaders:   exposedHeaders,
			AllowCredentials: true,
			MaxAge:           600,
		})(appMux())
	}},
	{"gorilla/handlers", "v1.5.2", func() http.Handler {
		return handlers.CORS(
			handlers.AllowedOrigins(allowedOrigins),
			handlers.AllowedMethods(allowedMethods),
			handlers.AllowedHeaders(allowedHeaders),
			handlers.ExposedHeaders(exposedHeaders),
			handlers.AllowCredentials(),
			handlers.MaxAge(600),
		)(appMux())
	}},
	{"gin-contrib/cors", "v1.7.7", func() http.Handler {
		gin.SetMode(gin.ReleaseMode)
		r := gin.New()
		r.Use(gincors.New(gincors.Config{
			AllowOrigins:     allowedOrigins,
			AllowMethods:     allowedMethods,
			AllowHeaders:     allowedHeaders,
			ExposeHeaders:    exposedHeaders,
			AllowCredentials: true,
			MaxAge:           600 * time.Second,
		}))
		h := gin.WrapF(items)
		r.GET("/api/items", h)
		r.POST("/api/items", h)
		r.DELETE("/api/items", h)
		return r
	}},
	{"labstack/echo/v4 middleware.CORS", "v4.16.0", func() http.Handler {
		e := echo.New()
		e.HideBanner = true
		e.Use(echomw.CORSWithConfig(echomw.CORSConfig{
			AllowOrigins:     allowedOrigins,
			AllowMethods:     allowedMethods,
			AllowHeaders:     allowedHeaders,
			ExposeHeaders:    exposedHeaders,
			AllowCredentials: true,
			MaxAge:           600,
		}))
		h := echo.WrapHandler(http.HandlerFunc(items))
		e.GET("/api/items", h)
		e.POST("/api/items", h)
		e.DELETE("/api/items", h)
		return e
	}},
}

// findings are the probes of commonPolicy on which each implementation, in
// Chromium, does not do what the policy says. They are measured, not
// wished: when a library changes, this table (and the README's) changes.
var findings = map[string][]string{
	"rs/cors":     {},
	"go-chi/cors": {},
	// gorilla/handlers sets Vary: Origin only when it allows the origin
	// (gorilla/handlers#244): a shared cache may keep the answer without
	// CORS headers and hand it to https://app.example.com.
	"gorilla/handlers": {"Vary: Origin on the answer to https://corslab-unlisted.example"},
	// gin-contrib/cors answers an unlisted origin 403 with no Vary: Origin.
	"gin-contrib/cors":                 {"Vary: Origin on the answer to https://corslab-unlisted.example"},
	"labstack/echo/v4 middleware.CORS": {},
}

// implFindings are the findings check derives from each implementation's
// observations (IDs, most serious first). Measured in Chromium 156.
var implFindings = map[string][]string{
	"rs/cors":                          {},
	"go-chi/cors":                      {},
	"gorilla/handlers":                 {"vary-origin-missing"},
	"gin-contrib/cors":                 {"vary-origin-missing"},
	"labstack/echo/v4 middleware.CORS": {},
}

func TestImplementationsAgainstCommonPolicy(t *testing.T) {
	p := mustPolicy(t, "common.yaml", commonPolicy)
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			results, err := lab.CheckPolicy(ctx, p, impl.handler())
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, r := range results {
				if r.Error != "" {
					t.Errorf("%s: harness error: %s", r.Probe.Name, r.Error)
				}
				t.Logf("%-5v %-70s %-35s %-35s %s", r.Pass, r.Probe.Name, r.Expected, r.Observed, r.Why)
				if r.State == policy.StateFail {
					failed = append(failed, r.Probe.Name)
					t.Logf("does not match the policy: %s\n    expected %s, observed %s\n    why: %s", r.Probe.Name, r.Expected, r.Observed, r.Why)
				}
			}
			var ids []string
			for _, f := range policy.Findings(p, results) {
				ids = append(ids, f.ID)
				t.Logf("finding: %s %s: %s\n    %s", f.Severity, f.ID, f.Title, strings.Join(f.Evidence, "\n    "))
			}
			if strings.Join(ids, ",") != strings.Join(implFindings[impl.name], ",") {
				t.Errorf("%s %s: findings %v, want %v", impl.name, impl.version, ids, implFindings[impl.name])
			}
			sort.Strings(failed)
			want := append([]string(nil), findings[impl.name]...)
			sort.Strings(want)
			if strings.Join(failed, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s %s: the probes that do not match the policy changed\ngot:\n  %s\nwant:\n  %s", impl.name, impl.version, strings.Join(failed, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// BenchmarkCheckPolicy measures one run of the common policy's probes
// against rs/cors on the package's lab (pages already open).
func BenchmarkCheckPolicy(b *testing.B) {
	p := mustPolicy(b, "common.yaml", commonPolicy)
	h := implementations[0].handler()
	ctx := context.Background()
	for b.Loop() {
		if _, err := lab.CheckPolicy(ctx, p, h); err != nil {
			b.Fatal(err)
		}
	}
}
