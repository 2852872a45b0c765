package harness

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/engine/enginetest"
)

func TestBudgetScalesWithLoad(t *testing.T) {
	tests := []struct {
		load float64
		cpus int
		want float64
	}{
		{0.3, 2, 1}, {4, 2, 2}, {45, 2, maxScale}, {3, 0, 1},
	}
	for _, tt := range tests {
		if got := scaleFor(tt.load, tt.cpus); got != tt.want {
			t.Errorf("scaleFor(%v, %d) = %v, want %v", tt.load, tt.cpus, got, tt.want)
		}
	}
	b := budget{what: "the page-opening budget", base: 20 * time.Second, scale: 1.5, load: 3.02, cpus: 2}
	if got, want := b.String(), "the page-opening budget of 30s (20s ×1.5 for load 3.02 on 2 CPUs)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := newBudget("x", time.Minute, 1500*time.Millisecond).D(); got != 1500*time.Millisecond {
		t.Errorf("a fixed budget is %s", got)
	}
	if got := newBudget("x", 20*time.Second, 0).D(); got < 20*time.Second || got > maxScale*20*time.Second {
		t.Errorf("a scaled budget of 20s is %s", got)
	}
}

// stallingBrowser is a browser whose pages never open; it counts the tries.
type stallingBrowser struct {
	engine.Browser
	tries atomic.Int32
}

func (b *stallingBrowser) OpenPage(ctx context.Context, spec engine.PageSpec) (engine.Page, error) {
	b.tries.Add(1)
	<-ctx.Done()
	return nil, fmt.Errorf("opening the page %s: %w", spec.URL, ctx.Err())
}

// A page that does not open within the page-opening budget is tried a
// second time, and the error names the budget and its length.
func TestPageOpeningBudget(t *testing.T) {
	s := &Session{startTimeout: 50 * time.Millisecond}
	b := &stallingBrowser{}
	_, err := s.openTab(context.Background(), b, "foo", engine.PageSpec{URL: "http://foo.localhost:1/"})
	if err == nil || !strings.Contains(err.Error(), "opening the page http://foo.localhost:1/, twice: no answer from the browser within the page-opening budget of 50ms") {
		t.Fatalf("err %v", err)
	}
	if n := b.tries.Load(); n != 2 {
		t.Fatalf("%d tries, want 2", n)
	}
	// An interrupted run is not tried again.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.tries.Store(0)
	if _, err := s.openTab(ctx, b, "foo", engine.PageSpec{URL: "http://foo.localhost:1/"}); err == nil || b.tries.Load() != 1 {
		t.Fatalf("interrupted: err %v, %d tries", err, b.tries.Load())
	}
}

// A browser that cannot start within the start budget says which budget
// ran out and how long it was.
func TestBrowserStartBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Chromium")
	}
	tmp := enginetest.TempDir(t)
	t.Setenv("TMPDIR", tmp)
	_, err := Start(context.Background(), Options{StartTimeout: 10 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "starting chromium: no answer within the browser-start budget of 10ms") {
		t.Fatalf("err %v", err)
	}
	if left := enginetest.Left(t, tmp); len(left) > 0 {
		t.Fatalf("a start that ran out of time left %v", left)
	}
}
