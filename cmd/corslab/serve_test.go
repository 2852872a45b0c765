package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--addr", "0.0.0.0:8080"}, "want a loopback address"},
		{[]string{"serve", "--addr", "nonsense"}, "want a loopback address"},
		{[]string{"serve", "--timeout", "0s"}, "want a positive duration"},
		{[]string{"serve", "extra"}, "takes no arguments"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), c.args, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errb.String(), c.want)
		}
	}
}

// TestServeRunsUntilInterrupted starts the playground, reads its page, and
// stops it as Ctrl-C does: exit 0.
func TestServeRunsUntilInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Chromium")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, &out, &errb) }()
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(out.String(), "/play/") {
		select {
		case code := <-done:
			t.Fatalf("exit %d before serving: %s", code, errb.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed: %s", errb.String())
		}
	}
	url := strings.Fields(strings.SplitN(out.String(), "playground: ", 2)[1])[0]
	req, _ := http.NewRequest("GET", strings.Replace(url, "foo.localhost", "127.0.0.1", 1), nil)
	req.Host = strings.TrimPrefix(strings.SplitN(url, "/play/", 2)[0], "http://")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "corslab playground") {
		t.Fatalf("%d %.200s", resp.StatusCode, b)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d after Ctrl-C: %s", code, errb.String())
	}
}
