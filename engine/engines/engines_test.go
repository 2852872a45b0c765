package engines

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Setenv(EnvVar, "")
	for _, tt := range []struct {
		spec, want, err string
	}{
		{"", "chromium", ""},
		{"chromium", "chromium", ""},
		{"Firefox", "firefox", ""},
		{"chromium, firefox,chromium", "chromium,firefox", ""},
		{"WebKit", "webkit", ""},
		{"webkit,chromium", "webkit,chromium", ""},
		{"netscape", "", `unknown engine "netscape" (known: chromium, firefox, webkit, all)`},
	} {
		got, err := Parse(tt.spec)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q): error %v, want %q", tt.spec, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.spec, err)
		}
		var names []string
		for _, e := range got {
			names = append(names, e.Name())
		}
		if strings.Join(names, ",") != tt.want {
			t.Errorf("Parse(%q) = %v, want %s", tt.spec, names, tt.want)
		}
	}
}

func TestEnvChooses(t *testing.T) {
	t.Setenv(EnvVar, "firefox")
	got, err := Parse("")
	if err != nil || len(got) != 1 || got[0].Name() != "firefox" {
		t.Fatalf("Parse with %s=firefox: %v %v", EnvVar, got, err)
	}
	if got, _ := Parse("chromium"); got[0].Name() != "chromium" {
		t.Fatal("a flag must win over the environment")
	}
}

func TestLookup(t *testing.T) {
	for _, name := range Names() {
		e, err := Lookup(name)
		if err != nil || e.Name() != name {
			t.Errorf("Lookup(%q) = %v, %v", name, e, err)
		}
	}
	if _, err := Lookup("all"); err == nil {
		t.Error(`Lookup("all") must fail: it is no one engine`)
	}
}

// TestAllHasWebKit: "all" takes WebKit when its driver and Xvfb are
// installed, and leaves it out, without an error, when not.
func TestAllHasWebKit(t *testing.T) {
	got, err := Parse("all")
	if err != nil {
		t.Skipf("no engine installed: %v", err)
	}
	has := false
	for _, e := range got {
		has = has || e.Name() == "webkit"
	}
	if has != Installed("webkit") {
		t.Errorf(`"all" has webkit: %v; webkit installed: %v`, has, Installed("webkit"))
	}
}
