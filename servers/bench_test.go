package servers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/corslab/corslab/scenarios"
)

// BenchmarkServeKeepAlive: one preflight and one actual request to bar over
// a kept-alive connection, journaled, as a browser sends them.
func BenchmarkServeKeepAlive(b *testing.B) {
	l, err := Start(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	h := scenarios.Headers{{Name: "Access-Control-Allow-Origin", Values: []string{"{origin}"}}, {Name: "Access-Control-Allow-Methods", Values: []string{"PUT"}}}
	prefix := l.Register("bench", scenarios.Server{Preflight: &scenarios.Response{Status: 204, Headers: h}, Response: scenarios.Response{Headers: h, Body: "ok"}})
	defer l.Forget(prefix)
	url := fmt.Sprintf("http://127.0.0.1:%d%s/x", l.Port("bar"), prefix)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	do := func(method string, hdr ...string) {
		req, _ := http.NewRequest(method, url, nil)
		req.Host = "bar.localhost"
		req.Header.Set("Origin", "http://foo.localhost:1")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	b.ResetTimer()
	for range b.N {
		do(http.MethodOptions, "Access-Control-Request-Method", "PUT")
		do(http.MethodPut)
	}
}
