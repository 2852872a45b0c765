package scenarios

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Marshal writes scenarios as a scenario file that Parse (and `corslab run
// --file`) reads back to the same scenarios.
func Marshal(list []Scenario) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(File{Scenarios: list}); err != nil {
		return nil, fmt.Errorf("writing the scenario file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing the scenario file: %w", err)
	}
	return b.Bytes(), nil
}

// MarshalYAML writes the answer as a quoted string, taken exactly as it is
// when read back, so CRLF and bare LF stay what they were.
func (r RawAnswer) MarshalYAML() (any, error) {
	if r == "" {
		return nil, nil
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Tag: "!!str", Value: string(r)}, nil
}
