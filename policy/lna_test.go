package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/scenarios"
)

func TestLocalNetworkProbes(t *testing.T) {
	p, err := Parse("p.yaml", []byte("origins: [http://localhost:3000, https://app.example.com]\naddress_space: public\n"))
	if err != nil {
		t.Fatal(err)
	}
	var lna []Probe
	for _, pr := range Probes(p) {
		if pr.Kind == KindLocalNetwork {
			lna = append(lna, pr)
		}
	}
	if len(lna) != 3 {
		t.Fatalf("probes %+v", lna)
	}
	want := []struct {
		page, permission string
		allowed          bool
	}{{"https://app.example.com", "", false}, {"https://app.example.com", "granted", true}, {"http://app.example.com", "", false}}
	for i, w := range want {
		got := lna[i]
		if got.Page != w.page || got.LocalNetwork.Permission != w.permission || got.LocalNetwork.AddressSpace != "public" || got.Expect.Allowed != w.allowed {
			t.Errorf("probe %d: %+v, want %+v", i, got, w)
		}
	}
	plain, _ := Parse("p.yaml", []byte("origins: [https://app.example.com]\n"))
	for _, pr := range Probes(plain) {
		if pr.Kind == KindLocalNetwork {
			t.Errorf("a policy without address_space has %q", pr.Name)
		}
	}
	if _, err := Parse("p.yaml", []byte("origins: [https://a.example]\naddress_space: local\n")); err == nil || !strings.Contains(err.Error(), `p.yaml:2: address_space: "local": only public is known`) {
		t.Errorf("error %v", err)
	}
}

func TestPublicPages(t *testing.T) {
	tests := []struct {
		origins          []string
		secure, insecure string
	}{
		{[]string{"https://app.example.com:8443"}, "https://app.example.com:8443", "http://app.example.com"},
		{[]string{"http://localhost:3000", "http://app.example.com"}, "", "http://app.example.com"},
		{[]string{"http://localhost:3000"}, "", ""},
	}
	for _, tc := range tests {
		s, i := publicPages(tc.origins)
		if s != tc.secure || i != tc.insecure {
			t.Errorf("publicPages(%q) = %q, %q", tc.origins, s, i)
		}
	}
}

// A Doer that cannot place pages skips the Local Network Access probes; a
// LocalDoer runs them, and a wrong observation fails the probe.
type plainDoer struct{}

func (plainDoer) Do(ctx context.Context, page string, req scenarios.Request) (*harness.Observation, error) {
	return &harness.Observation{Outcome: "allowed", Status: 200}, nil
}

type localDoer struct{ plainDoer }

func (localDoer) DoLocal(ctx context.Context, page string, req scenarios.Request, n scenarios.LocalNetwork) (*harness.Observation, error) {
	return &harness.Observation{Outcome: "blocked", CorsError: "LocalNetworkAccessPermissionDenied"}, nil
}

func TestRunLocalNetworkProbes(t *testing.T) {
	p, _ := Parse("p.yaml", []byte("origins: [https://app.example.com]\naddress_space: public\n"))
	var probes []Probe
	for _, pr := range Probes(p) {
		if pr.Kind == KindLocalNetwork {
			probes = append(probes, pr)
		}
	}
	for _, jobs := range []int{1, 3} { // both paths run them alike
		if got := RunJobs(context.Background(), plainDoer{}, "bar", "/", probes, jobs, nil); len(got) != 0 {
			t.Errorf("jobs %d: a plain Doer ran %d Local Network Access probes", jobs, len(got))
		}
		got := RunJobs(context.Background(), localDoer{}, "bar", "/", probes, jobs, nil)
		if len(got) != 3 || !got[0].Pass || got[1].Pass || !got[2].Pass {
			t.Fatalf("jobs %d: results %+v", jobs, got)
		}
		if !strings.Contains(got[0].Why, "must allow it to reach this machine") {
			t.Errorf("jobs %d: why %q", jobs, got[0].Why)
		}
	}
}
