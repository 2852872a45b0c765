package checks

import (
	"testing"

	"github.com/corslab/corslab"
)

// notFoundReadable says, per implementation, whether a page on a listed
// origin can read the application's 404 for a resource that does not
// exist, with a simple GET and with a DELETE after a preflight (routers
// that answer an unrouted OPTIONS with 404 or 405 break the second): when
// the 404 carries no CORS headers the page sees only "Failed
// to fetch" and the error looks like a CORS failure. Measured in Chromium.
var notFoundReadable = map[string]bool{
	"rs/cors":                          true,
	"go-chi/cors":                      true,
	"gorilla/handlers":                 true,
	"gin-contrib/cors":                 true,
	"labstack/echo/v4 middleware.CORS": true,
}

func TestNotFoundFromAListedOrigin(t *testing.T) {
	for _, impl := range implementations {
		for _, method := range []string{"GET", "DELETE"} { // DELETE: after a preflight
			t.Run(impl.name+" "+method, func(t *testing.T) {
				obs := lab.MustFetch(t, corslab.Request{Handler: impl.handler(), Page: "https://app.example.com", Method: method, Path: "/api/missing", Credentials: "include"})
				if notFoundReadable[impl.name] {
					if corslab.Check(t, obs, corslab.BeAllowed()) && obs.Status != 404 {
						t.Errorf("status %d, want the application's 404", obs.Status)
					}
				} else {
					corslab.Check(t, obs, corslab.BeBlocked())
				}
			})
		}
	}
}
