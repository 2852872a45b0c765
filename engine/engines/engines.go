// Package engines is the registry of corslab's browser engines: the one
// place that knows every driver. A new engine registers with one line in
// list.
package engines

import (
	"fmt"
	"os"
	"strings"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/engine/chromium"
	"github.com/corslab/corslab/engine/firefox"
	"github.com/corslab/corslab/engine/webkit"
)

// EnvVar names the environment variable that chooses engines when no
// --engine flag or Options.Engine does.
const EnvVar = "CORSLAB_ENGINE"

// Entry is one registered engine and how to find its browser binary.
type Entry struct {
	Engine engine.Engine
	// Find returns the binary to use (explicit first), or an error wrapping
	// engine.ErrNoBrowser with how to install it.
	Find func(explicit string) (string, error)
}

// list is every engine corslab has, in the order results show them.
func list() []Entry {
	return []Entry{
		{chromium.Engine{}, chromium.FindBrowser},
		{firefox.Engine{}, firefox.FindBrowser},
		{webkit.Engine{}, webkit.FindBrowser},
	}
}

// Names are the registered engines' names, in order.
func Names() []string {
	var out []string
	for _, e := range list() {
		out = append(out, e.Engine.Name())
	}
	return out
}

// Lookup returns the engine called name.
func Lookup(name string) (engine.Engine, error) {
	e, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return e.Engine, nil
}

func lookup(name string) (Entry, error) {
	for _, e := range list() {
		if e.Engine.Name() == name {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("unknown engine %q (known: %s, all)", name, strings.Join(Names(), ", "))
}

// Installed says whether the engine's browser binary can be found.
func Installed(name string) bool {
	e, err := lookup(name)
	if err != nil {
		return false
	}
	_, err = e.Find("")
	return err == nil
}

// Parse reads an engine choice: a name, names joined by commas, or "all"
// (every registered engine whose browser is installed). Empty means
// $CORSLAB_ENGINE, else chromium.
func Parse(spec string) ([]engine.Engine, error) {
	if strings.TrimSpace(spec) == "" {
		spec = os.Getenv(EnvVar)
	}
	if strings.TrimSpace(spec) == "" {
		spec = "chromium"
	}
	var out []engine.Engine
	seen := map[string]bool{}
	for _, name := range strings.Split(spec, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "all" {
			for _, e := range list() {
				if _, err := e.Find(""); err == nil && !seen[e.Engine.Name()] {
					seen[e.Engine.Name()] = true
					out = append(out, e.Engine)
				}
			}
			continue
		}
		e, err := Lookup(name)
		if err != nil {
			return nil, err
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no engine of %q is installed", engine.ErrNoBrowser, spec)
	}
	return out, nil
}
