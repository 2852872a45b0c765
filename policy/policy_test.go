package policy

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const good = `target: http://127.0.0.1:8080/api/items
origins: [https://app.example.com, http://localhost:3000]
methods: [GET, POST, DELETE]
request_headers: [Api-Key, Content-Type]
credentials: true
expose_headers: [X-Total-Count]
max_age: 600
`

func TestParseGood(t *testing.T) {
	p, err := Parse("p.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if p.Target != "http://127.0.0.1:8080/api/items" || len(p.Origins) != 2 || !p.Credentials || *p.MaxAge != 600 || p.TargetLine != 1 {
		t.Fatalf("parsed %+v", p)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", "origins: [https://a.example]\nallowed_origins: [x]\n", "p.yaml:2: unknown field \"allowed_origins\""},
		// #11: the same input rules as scenario files, through scenarios.DecodeYAML.
		{"second document", "origins: [https://a.example]\n---\norigins: [x]\n", "p.yaml:2: a second YAML document"},
		{"control character", "origins:\n  - \"https://a.example\x02\"\n", "p.yaml:2: control characters are not allowed"},
		{"invalid UTF-8", "origins:\n\n  - https://caf\xe9.example\n", "p.yaml:3: not UTF-8 text"},
		{"unknown anchor", "origins: [https://a.example]\nmethods: *m\n", "p.yaml:2: unknown anchor \"m\""},
		{"nesting too deep", "origins: " + strings.Repeat("[", 20000), "p.yaml:1: nesting too deep"},
		{"path", "origins:\n  - https://a.example/api\n", "p.yaml:2: origin \"https://a.example/api\" has a path"},
		{"trailing slash", "origins:\n  - https://a.example\n  - https://b.example/\n", "p.yaml:3: origin \"https://b.example/\" has a trailing slash"},
		{"no scheme", "origins: [app.example.com]\n", "p.yaml:1: origin \"app.example.com\" has no scheme"},
		{"bad scheme", "origins: [ftp://a.example]\n", "scheme must be http or https"},
		{"capitals", "origins: [https://App.example.com]\n", "has capitals"},
		{"default port", "origins: [https://a.example:443]\n", "names the default port"},
		{"wildcard origin", "origins: ['*']\n", "origin \"*\""},
		{"wildcard in origin", "origins: ['https://*.example.com']\n", "has a wildcard"},
		{"duplicate origin", "origins: [https://a.example, https://a.example]\n", "listed twice"},
		{"lowercase method", "origins: [https://a.example]\nmethods: [GET, patch]\n", "p.yaml:2: method \"patch\": write methods in capitals"},
		{"bad method", "origins: [https://a.example]\nmethods:\n  - \"GE T\"\n", "p.yaml:3: method \"GE T\" is not a valid method name"},
		{"forbidden method", "origins: [https://a.example]\nmethods: [TRACE]\n", "forbidden in fetch()"},
		{"bad header", "origins: [https://a.example]\nrequest_headers: [\"Api Key\"]\n", "p.yaml:2: request header \"Api Key\" is not a valid header name"},
		{"forbidden header", "origins: [https://a.example]\nrequest_headers: [Cookie]\n", "request header \"Cookie\" is forbidden"},
		{"bad expose header", "origins: [https://a.example]\nexpose_headers: [\"X:Y\"]\n", "p.yaml:2: response header \"X:Y\" is not a valid header name"},
		{"credentials not bool", "origins: [https://a.example]\ncredentials: yes please\n", "p.yaml:2: credentials must be true or false"},
		{"max_age string", "origins: [https://a.example]\nmax_age: ten\n", "p.yaml:2: max_age must be a whole number"},
		{"max_age negative", "origins: [https://a.example]\nmax_age: -1\n", "max_age must be a whole number"},
		{"no origins", "methods: [GET]\n", "p.yaml:1: no origins"},
		{"empty origins", "origins: []\n", "origins is empty"},
		{"origins not a list", "origins: https://a.example\n", "p.yaml:1: expected a list"},
		{"not loopback", "target: http://10.0.0.1:8080/\norigins: [https://a.example]\n", "p.yaml:1: target \"http://10.0.0.1:8080/\" is not on loopback"},
		{"target scheme", "target: ftp://127.0.0.1/\norigins: [https://a.example]\n", "must be an http:// or https:// URL"},
		{"bad yaml", "origins: [https://a.example\n", "p.yaml:"},
		{"empty", "", "p.yaml:1: empty file"},
		{"not a mapping", "- a\n- b\n", "p.yaml:1: a policy is a mapping"},
		{"twice", "origins: [https://a.example]\norigins: [https://b.example]\n", "p.yaml:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want it to contain %q", err, tt.want)
			}
			if !IsPolicyError(err) {
				t.Fatalf("%v is not a policy error", err)
			}
		})
	}
}

// A policy file is read like a scenario file: a FIFO or a device is refused
// at once, exit 2 (a policy error).
func TestLoadRefusesSpecialFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "p.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, "/dev/zero"} {
		done := make(chan error, 1)
		go func() { _, err := Load(path); done <- err }()
		select {
		case err := <-done:
			if !IsPolicyError(err) || !strings.Contains(err.Error(), path+": cannot read: ") || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("Load(%s) = %v", path, err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("Load(%s) did not return", path)
		}
	}
}

// Every refusal of a policy carries a line; nothing panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(good + "---\n" + good))
	f.Add([]byte("origins: [\"a\x01\"]\n"))
	f.Add([]byte("origins: \xff\n"))
	f.Add([]byte("origins: *x\n"))
	f.Add([]byte("origins: " + strings.Repeat("[", 10001)))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("fuzz.yaml", data)
		if err == nil {
			return
		}
		for _, l := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(l, "fuzz.yaml:") || strings.HasPrefix(l, "fuzz.yaml: ") {
				t.Fatalf("error without a line: %q", l)
			}
		}
	})
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("/nonexistent/p.yaml")
	var el ErrorList
	if !errors.As(err, &el) || !strings.Contains(err.Error(), "/nonexistent/p.yaml: cannot read") {
		t.Fatalf("got %v", err)
	}
}

func TestProbes(t *testing.T) {
	p, err := Parse("p.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	probes := Probes(p)
	byName := map[string]Probe{}
	for _, pr := range probes {
		if _, dup := byName[pr.Name]; dup {
			t.Errorf("duplicate probe name %q", pr.Name)
		}
		byName[pr.Name] = pr
	}
	tests := []struct {
		name        string
		allowed     bool
		preflight   bool
		credentials string
		page        string
	}{
		{"GET from https://app.example.com", true, false, "", "https://app.example.com"},
		{"POST from https://app.example.com", true, false, "", "https://app.example.com"},
		{"DELETE from https://app.example.com", true, true, "", "https://app.example.com"},
		{"DELETE from http://localhost:3000", true, true, "", "http://localhost:3000"},
		{"GET with Api-Key from https://app.example.com", true, true, "", "https://app.example.com"},
		{"GET with Content-Type from http://localhost:3000", true, true, "", "http://localhost:3000"},
		{"credentialed GET from https://app.example.com", true, false, "include", "https://app.example.com"},
		{"credentialed DELETE from http://localhost:3000", true, true, "include", "http://localhost:3000"},
		{"unlisted origin https://corslab-unlisted.example", false, false, "", "https://corslab-unlisted.example"},
		{"credentialed GET from unlisted origin https://corslab-unlisted.example", false, false, "include", "https://corslab-unlisted.example"},
		{"look-alike (suffix) https://evilapp.example.com", false, false, "", "https://evilapp.example.com"},
		{"look-alike (subdomain) https://evil.app.example.com", false, false, "", "https://evil.app.example.com"},
		{"look-alike (appended-domain) https://app.example.com.evil.test", false, false, "", "https://app.example.com.evil.test"},
		{"look-alike (prefix) https://app.example.co", false, false, "", "https://app.example.co"},
		{"look-alike (http-twin) http://app.example.com", false, false, "", "http://app.example.com"},
		{"look-alike (port) https://app.example.com:8443", false, false, "", "https://app.example.com:8443"},
		{"look-alike (port) http://localhost:3001", false, false, "", "http://localhost:3001"},
		{"look-alike (suffix) http://evillocalhost:3000", false, false, "", "http://evillocalhost:3000"},
		{"look-alike (sandboxed frame) null", false, false, "", "null"},
		{"method not allowed: PUT from https://app.example.com", false, true, "include", "https://app.example.com"},
		{"header not allowed: X-Corslab-Unlisted from https://app.example.com", false, true, "include", "https://app.example.com"},
		{"read X-Total-Count from https://app.example.com", true, false, "include", "https://app.example.com"},
		{"GET with Api-Key, Content-Type from https://app.example.com", true, true, "include", "https://app.example.com"},
		{"Vary: Origin on the answer to https://app.example.com", true, false, "include", "https://app.example.com"},
		{"Vary: Origin on the answer to https://corslab-unlisted.example", false, false, "", "https://corslab-unlisted.example"},
		{"max-age of the DELETE preflight from https://app.example.com", true, true, "include", "https://app.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr, ok := byName[tt.name]
			if !ok {
				t.Fatalf("no probe %q", tt.name)
			}
			if pr.Expect.Allowed != tt.allowed || (pr.Expect.Preflight != nil && *pr.Expect.Preflight) != tt.preflight || pr.Credentials != tt.credentials || pr.Page != tt.page {
				t.Fatalf("probe %+v", pr)
			}
			if pr.Because == "" {
				t.Fatal("no reason")
			}
		})
	}
	if _, ok := byName["look-alike (subdomain) http://evil.localhost:3000"]; ok {
		t.Error("evil.localhost is the lab's own name space")
	}
}

func TestProbesWithoutCredentials(t *testing.T) {
	p, err := Parse("p.yaml", []byte("origins: [https://a.example]\nmethods: [GET, PUT]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range Probes(p) {
		switch pr.Name {
		case "credentialed GET from https://a.example", "credentialed PUT from https://a.example":
			if pr.Expect.Allowed {
				t.Errorf("%s: credentials is false, the browser must block it", pr.Name)
			}
		case "method not allowed: PATCH from https://a.example":
			if pr.Expect.Allowed || pr.Credentials != "" {
				t.Errorf("%+v", pr)
			}
		case "unlisted origin https://corslab-unlisted.example":
			if pr.Credentials != "" {
				t.Errorf("without credentials, attackers probe without cookies: %+v", pr)
			}
		}
	}
}

func TestLookAlikesOfIP(t *testing.T) {
	got := LookAlikes("https://127.0.0.1:8443")
	var tricks []string
	for _, la := range got {
		tricks = append(tricks, la.Trick+" "+la.Origin)
	}
	want := "http-twin http://127.0.0.1:8443,port https://127.0.0.1:8444"
	if strings.Join(tricks, ",") != want {
		t.Fatalf("got %v, want %s", tricks, want)
	}
}

func BenchmarkProbes(b *testing.B) {
	p, err := Parse("p.yaml", []byte(good))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Probes(p)
	}
}

func TestProbesWithoutMethods(t *testing.T) {
	p, err := Parse("p.yaml", []byte("origins: [https://a.example]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pr := range Probes(p) {
		names = append(names, pr.Name)
	}
	all := strings.Join(names, "\n") + "\n"
	for _, want := range []string{"GET from https://a.example", "method not allowed: PUT from https://a.example", "header not allowed: X-Corslab-Unlisted from https://a.example"} {
		if !strings.Contains(all, want+"\n") {
			t.Errorf("no probe %q in:\n%s", want, all)
		}
	}
}
