package checks

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/corslab/corslab"
)

// TestGinkgo shows the API from Ginkgo and Gomega, on the package's lab.
func TestGinkgo(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "corslab API from Ginkgo")
}

var _ = Describe("rs/cors configured for the common policy", func() {
	api := implementations[0].handler()

	It("lets https://app.example.com delete, after a preflight", func(ctx SpecContext) {
		Expect(lab.Fetch(ctx, corslab.Request{Handler: api, Page: "https://app.example.com", Method: "DELETE", Path: "/api/items"})).
			To(And(corslab.BeAllowed(), corslab.HaveSentPreflight(), corslab.HaveReachedServer()))
	})

	It("lets it read X-Total-Count", func(ctx SpecContext) {
		Expect(lab.Fetch(ctx, corslab.Request{Handler: api, Page: "https://app.example.com", Path: "/api/items"})).
			To(corslab.ExposeHeader("X-Total-Count"))
	})

	It("stops a look-alike origin before it reads anything", func(ctx SpecContext) {
		Expect(lab.Fetch(ctx, corslab.Request{Handler: api, Page: "https://evilapp.example.com", Path: "/api/items", Credentials: "include"})).
			To(corslab.BeBlockedWith("MissingAllowOriginHeader"))
	})

	It("refuses a header the policy does not list, at the preflight", func(ctx SpecContext) {
		obs, err := lab.Fetch(ctx, corslab.Request{Handler: api, Page: "https://app.example.com", Path: "/api/items", Headers: map[string]string{"X-Debug": "1"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(obs).To(And(corslab.HaveSentPreflight(), Not(corslab.HaveReachedServer())))
		Expect(obs.Outcome).To(Equal("blocked"))
	})
})
