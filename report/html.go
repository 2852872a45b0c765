package report

import "io"

// HTMLOptions adds what the HTML report shows besides the results.
type HTMLOptions struct {
	// Outside holds, per result (same index), the same request sent from a
	// plain HTTP client; nil entries are skipped.
	Outside []*Outside
}

// HTML writes a self-contained HTML report.
func HTML(w io.Writer, r Run, opt HTMLOptions) error { return nil }
