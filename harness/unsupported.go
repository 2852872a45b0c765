package harness

import (
	"fmt"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/scenarios"
)

// Unsupported says why the session's engine cannot run a scenario at all,
// or nil when it can: the one place that decides it, for Run (which gives
// the verdict error) and for the suite (which skips with the same words).
// WebKit cannot put cookies in the jar or read it (WebDriver reaches only
// the current document's cookies), and cannot open a page on an origin
// other than *.localhost (it has no host-resolver rules and no
// per-certificate trust). The error wraps engine.ErrUnsupported.
func (s *Session) Unsupported(sc scenarios.Scenario) error {
	if err := s.jarReachable(sc); err != nil {
		return err
	}
	if s.Browser.Capabilities().PageOrigins {
		return nil
	}
	if page := sc.FullOriginPage(); page != "" {
		return fmt.Errorf("its page is on %s, and %s can open pages on *.localhost only (no host mapping): %w", page, s.eng.Name(), engine.ErrUnsupported)
	}
	return nil
}
