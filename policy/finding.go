package policy

// Severity ranks a finding: what a reviewer must fix first.
type Severity string

// Severities, most serious first.
const (
	// Critical: another site can read data it must not (a credentialed read
	// by any origin, a trusted null origin).
	Critical Severity = "critical"
	// Warning: real users or caches are hurt, or the policy relies on
	// behaviour browsers are leaving (a missing Vary: Origin, error
	// responses a page cannot read, a Max-Age no browser keeps).
	Warning Severity = "warning"
	// Note: worth knowing, harmless as it is (a safelisted method listed
	// for nothing).
	Note Severity = "note"
)

// Rank orders severities: 0 for critical, 1 warning, 2 note, 3 otherwise.
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 0
	case Warning:
		return 1
	case Note:
		return 2
	}
	return 3
}

// Finding is one problem a reviewer would raise, stated once, whether it
// comes from reading the policy (lint) or from what the browser observed
// against the server (check).
type Finding struct {
	// ID is stable and lowercase-kebab, e.g. "reflect-any-origin".
	ID string `json:"id"`
	// Severity ranks it.
	Severity Severity `json:"severity"`
	// Title says in one line what is wrong, naming the cause.
	Title string `json:"title"`
	// Why says in one line why it matters.
	Why string `json:"why"`
	// Evidence is what proves it: the probes and header lines observed, or
	// the policy's lines.
	Evidence []string `json:"evidence,omitempty"`
	// Probes names the probes whose observations it explains (check only).
	Probes []string `json:"probes,omitempty"`
	// Spec links the Fetch standard's section that governs it.
	Spec string `json:"spec,omitempty"`
	// Source is "lint" (read from the policy) or "check" (observed).
	Source string `json:"source"`
	// Accepted is true when the policy says this is intended (so it does
	// not fail the run).
	Accepted bool `json:"accepted,omitempty"`
}
