package main

import (
	"fmt"
	"io"
	"os"

	"github.com/corslab/corslab/scenarios"
)

// progress shows "N/M name" on a terminal's stderr, and nothing otherwise.
type progress struct {
	w     io.Writer
	on    bool
	total int
}

func newProgress(w io.Writer, quiet bool, total int) *progress {
	return &progress{w: w, on: !quiet && isTerminal(w), total: total}
}

func (p *progress) show(i int, sc scenarios.Scenario) {
	if p.on {
		fmt.Fprintf(p.w, "\r\033[K%d/%d %s", i+1, p.total, sc.Name)
	}
}

// starting says which browser is starting, before the first result.
func (p *progress) starting(browser string) {
	if p.on {
		fmt.Fprintf(p.w, "\r\033[Kstarting %s …", browser)
	}
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
