// Package checks holds corslab's integration tests: the public Go API, the
// policy probes against real CORS implementations (Go middlewares and an
// Express app run as its own process), and `corslab check`. One browser
// serves the whole package.
package checks

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/corslab/corslab"
	"github.com/corslab/corslab/policy"
)

// lab is the package's one browser and lab.
var lab *corslab.Lab

func TestMain(m *testing.M) {
	// Every page origin the common policy's probes use must be mapped when
	// the browser starts.
	p, err := policy.Parse("common.yaml", []byte(commonPolicy))
	if err != nil {
		fmt.Fprintf(os.Stderr, "checks: %v\n", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	l, err := corslab.Start(ctx, corslab.Options{Origins: policy.PageOrigins(policy.Probes(p))})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "checks: %v\n", err)
		os.Exit(1)
	}
	lab = l
	code := m.Run()
	l.Close()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
