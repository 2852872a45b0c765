package harness

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// A run has two kinds of time limit. Options.Timeout bounds each request: a
// scenario's server that never answers is the scenario's fault. Starting a
// browser and opening a page are the machine's business: they take 0.3 s
// on an idle machine and many seconds on a loaded one (a CI runner, three
// runs at once on two cores), so they get budgets of their own, generous
// and scaled by the load, and opening a page is tried twice.
const (
	// launchBase is the budget for starting a browser on an idle machine.
	launchBase = 30 * time.Second
	// openBase is the budget for opening one page on an idle machine.
	openBase = 20 * time.Second
	// maxScale caps the load scaling: past it, waiting longer helps nobody.
	maxScale = 6
)

// budget is a time limit for a step of the browser's life, scaled for the
// machine's load when it was made.
type budget struct {
	// what names it in errors, e.g. "the browser-start budget".
	what  string
	base  time.Duration
	scale float64
	load  float64 // 1-minute load average, 0 if unknown
	cpus  int
}

// newBudget scales base by the load average per CPU (at least 1, at most
// maxScale); fixed, when not zero, replaces the scaled value.
func newBudget(what string, base, fixed time.Duration) budget {
	if fixed > 0 {
		return budget{what: what, base: fixed, scale: 1}
	}
	b := budget{what: what, base: base, load: loadAverage(), cpus: runtime.NumCPU()}
	b.scale = scaleFor(b.load, b.cpus)
	return b
}

// scaleFor is the factor for a load average on cpus CPUs: the load per
// CPU, at least 1, at most maxScale.
func scaleFor(load float64, cpus int) float64 {
	if cpus <= 0 {
		return 1
	}
	return min(max(load/float64(cpus), 1), maxScale)
}

// LoadScale is the factor the harness scales its budgets by now: the
// 1-minute load average per CPU, at least 1, at most 6 (1 when the load
// cannot be read). check's deadline and its tests scale the same way.
func LoadScale() float64 { return scaleFor(loadAverage(), runtime.NumCPU()) }

// D is the budget's length.
func (b budget) D() time.Duration {
	d := time.Duration(float64(b.base) * b.scale)
	if b.scale != 1 {
		d = d.Round(time.Second)
	}
	return d
}

// String says how long the budget was and why: "the browser-start budget
// of 45s (30s ×1.5 for load 3.02 on 2 CPUs)".
func (b budget) String() string {
	if b.cpus == 0 {
		return fmt.Sprintf("%s of %s", b.what, b.D())
	}
	return fmt.Sprintf("%s of %s (%s ×%.1f for load %.2f on %d CPUs)", b.what, b.D(), b.base, b.scale, b.load, b.cpus)
}

// loadAverage is the 1-minute load average, or 0 when it cannot be read.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
