// Package readme_test is the README's example test, kept compiling and
// passing: paste it into your own package.
package readme_test

import (
	"net/http"
	"testing"

	"github.com/rs/cors"

	"github.com/corslab/corslab"
)

func TestCORS(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	lab := corslab.NewTestLab(t, cors.New(cors.Options{
		AllowedOrigins: []string{"https://app.example.com"},
		AllowedMethods: []string{"GET", "DELETE"},
	}).Handler(api))

	obs := lab.MustFetch(t, corslab.Request{Page: "https://app.example.com", Method: "DELETE", Path: "/items/1"})
	corslab.Check(t, obs, corslab.BeAllowed())
	corslab.Check(t, obs, corslab.HaveSentPreflight())

	obs = lab.MustFetch(t, corslab.Request{Page: "https://evilapp.example.com", Path: "/items"})
	corslab.Check(t, obs, corslab.BeBlockedWith("MissingAllowOriginHeader"))
}
