package harness

import (
	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/engine/chromium"
)

// ErrNoBrowser means no usable browser was found or it would not start.
var ErrNoBrowser = engine.ErrNoBrowser

// InstallHint tells a person how to get a browser.
const InstallHint = chromium.InstallHint

// BrowserOptions configures the browsers a session launches.
type BrowserOptions = engine.LaunchOptions

// FindBrowser returns the Chromium binary to use: explicit, then
// $CORSLAB_BROWSER, then Debian's real binary (not its wrapper script), then
// the usual names on PATH.
func FindBrowser(explicit string) (string, error) { return chromium.FindBrowser(explicit) }

// defaultEngine is the engine of a session whose Options name none.
func defaultEngine() engine.Engine { return chromium.Engine{} }
