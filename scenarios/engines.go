package scenarios

import (
	"fmt"
	"reflect"
	"slices"

	"go.yaml.in/yaml/v3"
)

// BaseEngine is the engine whose words the base expectation's
// engine-specific fields (cors_error, failed_parameter, console, issues)
// are in.
const BaseEngine = "chromium"

// Divergence lists the engines that depart from the Fetch standard in a
// scenario.
type Divergence []string

// Has says whether engine departs from the standard here.
func (d Divergence) Has(engine string) bool { return slices.Contains(d, engine) }

// Any says whether some engine departs from the standard here.
func (d Divergence) Any() bool { return len(d) > 0 }

// UnmarshalYAML reads a list of engine names, or the older scalar form:
// true (Chromium) or false.
func (d *Divergence) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var b bool
		if err := n.Decode(&b); err != nil {
			return fmt.Errorf("divergence: %q is neither true, false nor a list of engines", n.Value)
		}
		*d = nil
		if b {
			*d = Divergence{BaseEngine}
		}
		return nil
	}
	var names []string
	if err := n.Decode(&names); err != nil {
		return fmt.Errorf("divergence: want a list of engines such as [chromium, firefox]")
	}
	*d = names
	return nil
}

// engineSpecific are the fields of Expect in one engine's own words: the
// base expectation's are Chromium's, and they are checked on no other
// engine unless engines: gives that engine's.
var engineSpecific = []string{"CorsError", "FailedParameter", "Console"}

// For is the expectation on engine: the base, without Chromium's
// engine-specific fields on another engine, with the fields engines:
// sets for it in their place. Where engines: says the engine sends no
// preflight (preflight: false), the base's preflight_received goes too:
// there is no preflight for bar to receive.
func (e Expect) For(engine string) Expect {
	out := e
	out.Engines = nil
	rv := reflect.ValueOf(&out).Elem()
	if engine != BaseEngine {
		for _, f := range engineSpecific {
			fv := rv.FieldByName(f)
			fv.Set(reflect.Zero(fv.Type()))
		}
	}
	over, ok := e.Engines[engine]
	if !ok {
		return out
	}
	ov := reflect.ValueOf(over)
	for i := 0; i < ov.NumField(); i++ {
		if f := ov.Field(i); !f.IsZero() && ov.Type().Field(i).Name != "Engines" {
			rv.Field(i).Set(f)
		}
	}
	if over.Preflight != nil && !*over.Preflight {
		out.PreflightReceived = nil
	}
	return out
}
