package scenarios

import (
	"strings"
	"testing"
)

// Local Network Access fields: defaults, steps inheriting them, and every
// bad value refused as FILE:LINE: field: value: what is wrong.
func TestLocalNetworkFields(t *testing.T) {
	src := `scenarios:
  - name: lna
    group: local-network
    address_space: public
    target_space: local
    server: {response: {status: 200}}
    steps:
      - local_network_permission: granted
        expect: {outcome: allowed, server_connected: true}
      - address_space: local
        permission_space: loopback
        expect: {outcome: allowed}
`
	got, err := Parse("lna.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	steps := got[0].RequestSteps()
	want := []LocalNetwork{
		{AddressSpace: "public", TargetSpace: "local", Permission: "granted"},
		{AddressSpace: "local", TargetSpace: "local", PermissionSpace: "loopback"},
	}
	for i, st := range steps {
		if st.LocalNetwork != want[i] {
			t.Errorf("step %d: %+v, want %+v", i+1, st.LocalNetwork, want[i])
		}
	}
	if e := steps[0].Expect.ServerConnected; e == nil || !*e {
		t.Errorf("server_connected not read")
	}
	if d := (LocalNetwork{}).WithDefaults(); d != (LocalNetwork{AddressSpace: "loopback", TargetSpace: "loopback", Permission: "prompt", PermissionSpace: "loopback"}) {
		t.Errorf("defaults %+v", d)
	}
	if d := (LocalNetwork{TargetSpace: "local"}).WithDefaults(); d.PermissionSpace != "local" {
		t.Errorf("the permission defaults to the target's space, got %+v", d)
	}
}

func TestLocalNetworkErrors(t *testing.T) {
	base := "scenarios:\n  - name: x\n    group: g\n    expect: {outcome: blocked}\n"
	tests := []struct{ extra, want string }{
		{"    address_space: intranet\n", `bad.yaml:5: address_space: "intranet": is not one of public, local, loopback`},
		{"    target_space: public\n", `bad.yaml:5: target_space: "public": is not one of local, loopback`},
		{"    local_network_permission: yes\n", `bad.yaml:5: local_network_permission: "yes": is not one of granted, denied, prompt`},
		{"    permission_space: lan\n", `bad.yaml:5: permission_space: "lan": is not one of local, loopback`},
		{"    page: https://app.example.com\n    address_space: local\n", `bad.yaml:6: address_space: "local": works with label pages only`},
		{"    page: sandboxed\n    address_space: public\n", `bad.yaml:6: address_space: "public": not for the sandboxed page`},
	}
	for _, tc := range tests {
		_, err := Parse("bad.yaml", []byte(base+tc.extra))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.extra, err, tc.want)
		}
	}
}

func TestLessPrivate(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"public", "loopback", true}, {"public", "local", true}, {"public", "public", false},
		{"local", "loopback", false}, {"loopback", "loopback", false}, {"loopback", "public", false},
	}
	for _, tc := range tests {
		if got := LessPrivate(tc.a, tc.b); got != tc.want {
			t.Errorf("LessPrivate(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
	if PermissionName("local") != "local-network" || PermissionName("loopback") != "loopback-network" {
		t.Errorf("permission names")
	}
}
