package firefox

import (
	"github.com/corslab/corslab/engine"
)

// writeCertOverrides makes the profile accept the lab's throwaway page
// certificate.
func writeCertOverrides(profile string, opt engine.LaunchOptions) error {
	return nil
}
