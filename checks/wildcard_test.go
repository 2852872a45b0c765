package checks

import (
	"net/http"
	"testing"
	"time"

	gincors "github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
	chicors "github.com/go-chi/cors"
	"github.com/gorilla/handlers"
	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
	rscors "github.com/rs/cors"

	"github.com/corslab/corslab"
)

// The misconfiguration users keep asking for (expressjs/cors#310,
// rs/cors#197): "allow every origin" together with "allow credentials".
// What each library then sends decides whether any site can read a
// logged-in user's data. Measured in Chromium: every one of these versions
// sends the literal "*" (never the reflected origin) with
// Access-Control-Allow-Credentials: true, so the browser refuses the
// credentialed read (WildcardOriginNotAllowed). The table is the finding.
var wildcardWithCredentials = []struct {
	name    string
	handler func() http.Handler
	// credentialed is what the browser does with a credentialed GET from
	// an unlisted origin; acao is the Access-Control-Allow-Origin sent.
	credentialed string
	acao         string
}{
	{"rs/cors", func() http.Handler {
		return rscors.New(rscors.Options{AllowedOrigins: []string{"*"}, AllowCredentials: true}).Handler(appMux())
	}, "blocked", "*"},
	{"go-chi/cors", func() http.Handler {
		return chicors.Handler(chicors.Options{AllowedOrigins: []string{"*"}, AllowCredentials: true})(appMux())
	}, "blocked", "*"},
	{"gorilla/handlers", func() http.Handler {
		return handlers.CORS(handlers.AllowedOrigins([]string{"*"}), handlers.AllowCredentials())(appMux())
	}, "blocked", "*"},
	{"gin-contrib/cors", func() http.Handler {
		gin.SetMode(gin.ReleaseMode)
		r := gin.New()
		r.Use(gincors.New(gincors.Config{AllowAllOrigins: true, AllowCredentials: true, AllowMethods: []string{"GET"}, MaxAge: time.Minute}))
		r.GET("/api/items", gin.WrapF(items))
		return r
	}, "blocked", "*"},
	{"labstack/echo/v4 middleware.CORS", func() http.Handler {
		e := echo.New()
		e.Use(echomw.CORSWithConfig(echomw.CORSConfig{AllowOrigins: []string{"*"}, AllowCredentials: true}))
		e.GET("/api/items", echo.WrapHandler(http.HandlerFunc(items)))
		return e
	}, "blocked", "*"},
}

func TestWildcardWithCredentials(t *testing.T) {
	for _, tt := range wildcardWithCredentials {
		t.Run(tt.name, func(t *testing.T) {
			var h http.Handler
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%s refuses the configuration: %v", tt.name, r)
					}
				}()
				h = tt.handler()
			}()
			obs := lab.MustFetch(t, corslab.Request{Handler: h, Page: "https://corslab-unlisted.example", Path: "/api/items", Credentials: "include"})
			acao := ""
			for _, m := range obs.Exchange {
				if m.Kind == "response" {
					for _, hd := range m.Headers {
						if http.CanonicalHeaderKey(hd[0]) == "Access-Control-Allow-Origin" {
							acao = hd[1]
						}
					}
				}
			}
			t.Logf("%s: %s (%s), Access-Control-Allow-Origin: %q", tt.name, obs.Outcome, obs.CorsError, acao)
			if obs.Outcome != tt.credentialed || acao != tt.acao {
				t.Errorf("measured %s with Access-Control-Allow-Origin %q; the table says %s with %q", obs.Outcome, acao, tt.credentialed, tt.acao)
			}
			if tt.credentialed == "allowed" {
				// The finding: any site reads a logged-in user's answer.
				corslab.Check(t, obs, corslab.BeAllowed())
			} else {
				corslab.Check(t, obs, corslab.BeBlockedWith("WildcardOriginNotAllowed"))
			}
		})
	}
}
