package checks

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corslab/corslab/policy"
)

// nginxPolicy is what the nginx site below means: nginx serves the items
// as a static file, so GET is its only method.
const nginxPolicy = `target: http://127.0.0.1:8080/api/items
origins: [https://app.example.com, http://localhost:3000]
methods: [GET]
credentials: true
`

// nginxConf is the snippet found in many answers online: a map of the
// allowed origins and add_header lines. always is "" (the snippet as
// usually copied) or " always".
const nginxConf = `master_process off;
daemon off;
pid %[1]s/nginx.pid;
error_log stderr;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  map $http_origin $cors_origin {
    default "";
    "https://app.example.com" $http_origin;
    "http://localhost:3000" $http_origin;
  }
  server {
    listen 127.0.0.1:%[2]d;
    add_header Access-Control-Allow-Origin $cors_origin%[3]s;
    add_header Access-Control-Allow-Credentials true%[3]s;
    add_header Vary Origin%[3]s;
    location = /api/items {
      if ($request_method = OPTIONS) {
        add_header Access-Control-Allow-Origin $cors_origin%[3]s;
        add_header Access-Control-Allow-Credentials true%[3]s;
        add_header Access-Control-Allow-Methods "GET"%[3]s;
        add_header Vary Origin%[3]s;
        return 204;
      }
      default_type application/json;
      return 200 "[1,2,3]";
    }
    location /api/ {
      if ($request_method = OPTIONS) {
        add_header Access-Control-Allow-Origin $cors_origin%[3]s;
        add_header Access-Control-Allow-Credentials true%[3]s;
        add_header Access-Control-Allow-Methods "GET"%[3]s;
        add_header Vary Origin%[3]s;
        return 204;
      }
      return 404;
    }
  }
}
`

// startNginx runs nginx (one process: master_process off, so killing it
// leaves no worker behind) with the snippet on a free loopback port until the
// test ends, and returns its origin.
func startNginx(t *testing.T, bin, always string) string {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, port, always), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-e", "stderr", "-p", dir, "-c", conf)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.WaitDelay = 2 * time.Second // never wait on a pipe a stray child holds
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	origin := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(origin + "/api/items"); err == nil {
			resp.Body.Close()
			return origin
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("nginx did not answer on %s:\n%s", origin, stderr.String())
	return ""
}

// TestNginxErrorResponses: real nginx with `add_header` but without
// `always` sends the CORS headers on 2xx only, so a listed origin's page
// cannot read the 404; with `always` it can. Skipped when nginx is absent.
func TestNginxErrorResponses(t *testing.T) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr != nil {
			t.Skip("nginx is not installed (`apt-get install -y nginx-light`)")
		}
		bin = "/usr/sbin/nginx"
	}
	p := mustPolicy(t, "nginx.yaml", nginxPolicy)
	probes := policy.Probes(p)
	for _, tt := range []struct {
		always string
		want   []string
	}{
		{"", []string{"error-responses-unreadable"}},
		{" always", nil},
	} {
		t.Run("add_header"+tt.always, func(t *testing.T) {
			origin := startNginx(t, bin, tt.always)
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			if err := lab.Session().OpenPages(ctx, policy.PageOrigins(probes)); err != nil {
				t.Fatal(err)
			}
			results := policy.Run(ctx, lab.Session(), origin, "/api/items", probes, nil)
			var ids []string
			for _, f := range policy.Findings(p, results) {
				ids = append(ids, f.ID)
				t.Logf("%s %s: %s\n    %s", f.Severity, f.ID, f.Title, strings.Join(f.Evidence, "\n    "))
			}
			for _, r := range results {
				if r.State != policy.StatePass {
					t.Logf("%s %s: %s", r.State, r.Probe.Name, r.Why)
				}
			}
			if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
				t.Errorf("findings %v, want %v", ids, tt.want)
			}
		})
	}
}
