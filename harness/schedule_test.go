package harness

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corslab/corslab/scenarios"
)

var parallelRuns = flag.Int("parallel-runs", 1, "TestJobsObserveTheSame: catalog runs with the default jobs, each compared with the --jobs 1 run")

// The whole catalog observed with --jobs 1 and with the default gives the
// same observation for every scenario, every field but timings (which are
// not in the JSON). -parallel-runs N repeats the parallel run N times.
func TestJobsObserveTheSame(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole catalog at least twice")
	}
	all, err := scenarios.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	s, err := StartFor(context.Background(), Options{}, all)
	if errors.Is(err, ErrNoBrowser) {
		t.Skipf("no browser: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	seq := s.RunAll(ctx, all, RunOptions{Jobs: 1})
	for _, r := range seq {
		for i, st := range r.Steps {
			if st.Observed != nil && st.Observed.Duration > time.Second {
				// A settle condition that never came true waits out its bound.
				t.Logf("slow: %s step %d settled in %s", r.Scenario.Name, i+1, st.Observed.Duration.Round(time.Millisecond))
			}
		}
	}
	changed := 0
	for run := 1; run <= *parallelRuns; run++ {
		start := time.Now()
		par := s.RunAll(ctx, all, RunOptions{})
		n := 0
		for i := range all {
			if d := observedDiff(seq[i], par[i]); d != "" {
				n++
				t.Errorf("run %d: %s: --jobs 1 and --jobs %d observed differently:\n%s", run, all[i].Name, DefaultJobs, d)
			}
		}
		t.Logf("parallel run %d of %d: %d scenarios, %d changed, %s", run, *parallelRuns, len(all), n, time.Since(start).Round(time.Millisecond))
		changed += n
	}
	t.Logf("%d parallel runs: %d scenario results changed from --jobs 1", *parallelRuns, changed)
}

// observedDiff compares what two runs of one scenario observed and judged
// (the JSON of the result, without timings), with the scenario's unique
// path prefix /r/<name>-<seq> written as /r/<name>-N. It returns "" when
// they are the same, else the first lines that differ.
func observedDiff(a, b Result) string {
	ja, jb := normalized(a), normalized(b)
	if ja == jb {
		return ""
	}
	la, lb := strings.Split(ja, "\n"), strings.Split(jb, "\n")
	var out []string
	for i := 0; i < max(len(la), len(lb)) && len(out) < 6; i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("  line %d:\n    - %s\n    + %s", i+1, strings.TrimSpace(x), strings.TrimSpace(y)))
		}
	}
	return strings.Join(out, "\n")
}

func normalized(r Result) string {
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return "unmarshalable: " + err.Error()
	}
	re := regexp.MustCompile(`/r/` + regexp.QuoteMeta(r.Scenario.Name) + `-[0-9]+`)
	return re.ReplaceAllString(string(b), "/r/"+r.Scenario.Name+"-N")
}

func TestObservedDiff(t *testing.T) {
	obs := func(path, outcome string) Result {
		return Result{Scenario: scenarios.Scenario{Name: "x-1"}, Verdict: Pass,
			Steps: []StepResult{{Observed: &Observation{URL: "http://bar.localhost:1" + path + "/", Outcome: outcome, Duration: time.Duration(len(path))}}}}
	}
	tests := []struct {
		name     string
		a, b     Result
		wantSame bool
	}{
		{"only the unique path differs", obs("/r/x-1-7", "allowed"), obs("/r/x-1-1234", "allowed"), true},
		{"an observed field differs", obs("/r/x-1-7", "allowed"), obs("/r/x-1-8", "blocked"), false},
		{"another scenario's path", obs("/r/x-1-7", "allowed"), obs("/r/y-7", "allowed"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := observedDiff(tc.a, tc.b)
			if (d == "") != tc.wantSame {
				t.Fatalf("same=%t, want %t; diff:\n%s", d == "", tc.wantSame, d)
			}
		})
	}
}

func TestShard(t *testing.T) {
	var list []scenarios.Scenario
	for i := range 200 {
		list = append(list, scenarios.Scenario{Name: fmt.Sprintf("s-%d", i)})
	}
	const n = 4
	seen := map[string]int{}
	for k := 1; k <= n; k++ {
		part := Shard(list, k, n)
		if len(part) < 30 {
			t.Errorf("shard %d/%d has %d of 200: badly spread", k, n, len(part))
		}
		for _, sc := range part {
			seen[sc.Name]++
			// A scenario's shard depends on its name alone.
			if got := Shard([]scenarios.Scenario{sc}, k, n); len(got) != 1 {
				t.Errorf("%s is in shard %d of the list but not alone", sc.Name, k)
			}
		}
	}
	for _, sc := range list {
		if seen[sc.Name] != 1 {
			t.Errorf("%s is in %d shards, want 1", sc.Name, seen[sc.Name])
		}
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in      string
		k, n    int
		wantErr string
	}{
		{"1/1", 1, 1, ""},
		{"3/4", 3, 4, ""},
		{"0/4", 0, 0, "1 <= K <= N"},
		{"5/4", 0, 0, "1 <= K <= N"},
		{"2", 0, 0, "want K/N"},
		{"2/4x", 0, 0, "want K/N"},
		{"a/b", 0, 0, "want K/N"},
	}
	for _, tc := range tests {
		k, n, err := ParseShard(tc.in)
		if tc.wantErr == "" && (err != nil || k != tc.k || n != tc.n) {
			t.Errorf("%q: %d, %d, %v; want %d, %d", tc.in, k, n, err, tc.k, tc.n)
		}
		if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%q: error %v, want one saying %q", tc.in, err, tc.wantErr)
		}
	}
}

func TestWaitsFirst(t *testing.T) {
	step := func(after time.Duration) scenarios.Step { return scenarios.Step{After: scenarios.Duration(after)} }
	list := []scenarios.Scenario{
		{Name: "none"},
		{Name: "short", Steps: []scenarios.Step{step(0), step(time.Second)}},
		{Name: "none2"},
		{Name: "long", Steps: []scenarios.Step{step(0), step(2 * time.Second), step(3 * time.Second)}},
	}
	var got []string
	for _, i := range waitsFirst(list) {
		got = append(got, list[i].Name)
	}
	if want := []string{"long", "short", "none", "none2"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestStateLocks(t *testing.T) {
	var l stateLocks
	unlock, err := l.lock(context.Background(), []string{"jar"})
	if err != nil {
		t.Fatal(err)
	}
	// A second taker of the same state waits; of other state, does not.
	other, err := l.lock(context.Background(), []string{"other"})
	if err != nil {
		t.Fatal(err)
	}
	other()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := l.lock(ctx, []string{"other", "jar"}); err == nil {
		t.Fatal("took the jar while it was held")
	}
	// The failed attempt released what it had taken.
	if u, err := l.lock(context.Background(), []string{"other"}); err != nil {
		t.Fatal(err)
	} else {
		u()
	}
	var wg sync.WaitGroup
	wg.Add(1)
	got := make(chan struct{})
	go func() {
		defer wg.Done()
		u, err := l.lock(context.Background(), []string{"jar"})
		if err == nil {
			close(got)
			u()
		}
	}()
	select {
	case <-got:
		t.Fatal("took the jar while it was held")
	case <-time.After(20 * time.Millisecond):
	}
	unlock()
	wg.Wait()
}

// Local Network Access steps take turns with each other, and only with
// each other: a scenario that shares nothing starts beside one.
func TestLocalNetworkAccessTakesTurns(t *testing.T) {
	var l stateLocks
	first, _ := l.lock(context.Background(), []string{localNetworkAccess})
	other, err := l.lock(context.Background(), nil)
	if err != nil {
		t.Fatalf("a scenario that shares nothing waited: %v", err)
	}
	other()
	got := make(chan func())
	go func() {
		u, _ := l.lock(context.Background(), []string{"jar", localNetworkAccess})
		got <- u
	}()
	select {
	case <-got:
		t.Fatal("two Local Network Access steps at once")
	case <-time.After(20 * time.Millisecond):
	}
	first()
	(<-got)()
}

func TestSharedState(t *testing.T) {
	s := &Session{}
	cred := scenarios.Scenario{Request: scenarios.Request{Credentials: "include"}}
	same := scenarios.Scenario{Steps: []scenarios.Step{{Page: "bar", Request: scenarios.Request{Target: "bar"}}}}
	sameOmit := scenarios.Scenario{Steps: []scenarios.Step{{Page: "bar", Request: scenarios.Request{Target: "bar", Credentials: "omit"}}}}
	cross := scenarios.Scenario{Request: scenarios.Request{Method: "DELETE"}}
	img := scenarios.Scenario{Request: scenarios.Request{API: scenarios.APIImg, Path: "/logo.png"}}
	imgAnon := scenarios.Scenario{Request: scenarios.Request{API: scenarios.APIImg, Path: "/logo.png", CrossOrigin: "anonymous"}}
	script := scenarios.Scenario{Request: scenarios.Request{API: scenarios.APIScript, Path: "/lib.js", CrossOrigin: "anonymous"}}
	timing := scenarios.Scenario{Expect: scenarios.Expect{TimingAllowed: new(bool)}}
	blocked := scenarios.Scenario{ThirdPartyCookies: "block", Request: scenarios.Request{Credentials: "include"}}
	tests := []struct {
		name string
		sc   scenarios.Scenario
		want []string
	}{
		{"credentials include", cred, []string{"jar"}},
		{"same-origin, credentials same-origin", same, []string{"jar"}},
		{"same-origin, credentials omit", sameOmit, nil},
		{"cross-origin without credentials", cross, nil},
		{"<img> without crossorigin: no-cors, credentials include", img, []string{"jar"}},
		{"<img crossorigin=anonymous> cross-origin: credentials same-origin", imgAnon, nil},
		{"<script crossorigin=anonymous>: the page's error events", script, []string{"error events of foo|block=false"}},
		{"a step that reads its timing entry: the page's timing buffer", timing, []string{"resource timing buffer of foo|block=false"}},
		{"the blocking browser's jar", blocked, []string{"jar of the browser that blocks third-party cookies"}},
		{"Local Network Access", scenarios.Scenario{Steps: []scenarios.Step{{}, {LocalNetwork: scenarios.LocalNetwork{AddressSpace: "public"}}}}, []string{localNetworkAccess}},
	}
	for _, tc := range tests {
		if got := s.sharedState(tc.sc); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestPageSlots(t *testing.T) {
	ctx := context.Background()
	p := newPageSlots(2)
	p.load = func() float64 { return 0 }
	r1, _ := p.acquire(ctx, "foo", FirstStep)
	r2, _ := p.acquire(ctx, "foo", FirstStep)
	// Another page has places of its own.
	if r, err := p.acquire(ctx, "baz", FirstStep); err != nil {
		t.Fatal(err)
	} else {
		r()
	}
	// The page is full: a third waits, until ctx ends.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := p.acquire(short, "foo", FirstStep); err == nil {
		t.Fatal("a third place on a page of 2")
	}
	// Waiters queued lowest rank first get their places highest rank
	// first: a later step, then a scenario holding a turn others wait for,
	// then a first step.
	r3, _ := p.acquire(ctx, "baz", FirstStep)
	r4, _ := p.acquire(ctx, "baz", FirstStep)
	order := make(chan string, 3)
	letGo := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range []struct {
		name string
		rank Rank
	}{{"first step", FirstStep}, {"turn held", TurnHeld}, {"later step", LaterStep}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := p.acquire(ctx, "baz", w.rank)
			if err != nil {
				t.Error(err)
				return
			}
			order <- w.name
			<-letGo
			r()
		}()
		time.Sleep(10 * time.Millisecond) // queued in this order
	}
	var got []string
	r3()
	got = append(got, <-order)
	r4()
	got = append(got, <-order)
	letGo <- struct{}{} // one holder lets go: the last waiter's turn
	got = append(got, <-order)
	letGo <- struct{}{}
	letGo <- struct{}{}
	wg.Wait()
	r1()
	r2()
	if want := []string{"later step", "turn held", "first step"}; !slices.Equal(got, want) {
		t.Fatalf("places went to %q, want %q", got, want)
	}
}

func TestPlacesAt(t *testing.T) {
	tests := []struct {
		n    int
		load float64
		cpus int
		want int
	}{
		{4, 0, 2, 4},
		{4, 4, 2, 4},  // 2 per CPU: all places
		{4, 8, 2, 2},  // 4 per CPU: half
		{4, 16, 2, 1}, // 8 per CPU: one
		{4, 130, 2, 1},
		{6, 6, 2, 4},
		{4, 9, 0, 4}, // no CPU count: all
	}
	for _, tc := range tests {
		if got := placesAt(tc.n, tc.load, tc.cpus); got != tc.want {
			t.Errorf("placesAt(%d, %v, %d) = %d, want %d", tc.n, tc.load, tc.cpus, got, tc.want)
		}
	}
}

// On a machine short of CPU a page has fewer places.
func TestPageSlotsUnderLoad(t *testing.T) {
	ctx := context.Background()
	p := newPageSlots(4)
	p.cpus = 2
	p.load = func() float64 { return 16 }
	r1, err := p.acquire(ctx, "foo", FirstStep)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := p.acquire(short, "foo", FirstStep); err == nil {
		t.Fatal("a second place at load 16 on 2 CPUs")
	}
	r1()
}

// pageCount counts pages as the session keys them: foo named or not is one
// page, another browser's foo another.
func TestPageCount(t *testing.T) {
	on := func(page string) scenarios.Scenario {
		return scenarios.Scenario{Steps: []scenarios.Step{{Page: page}}}
	}
	blocked := on("foo")
	blocked.ThirdPartyCookies = "block"
	for _, tt := range []struct {
		list []scenarios.Scenario
		want int
	}{
		{nil, 1},
		{[]scenarios.Scenario{on(""), on("foo")}, 1},
		{[]scenarios.Scenario{on(""), on("baz"), on("evil"), on("baz")}, 3},
		{[]scenarios.Scenario{on(""), blocked}, 2},
	} {
		if got := pageCount(tt.list); got != tt.want {
			t.Errorf("pageCount(%d scenarios) = %d, want %d", len(tt.list), got, tt.want)
		}
	}
}
