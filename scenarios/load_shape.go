package scenarios

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// shape walks a parsed document against the Go type it decodes into, once,
// in time linear in the document: it reports unknown fields and keys given
// twice, and removes them from the tree. The yaml decoder compares every
// key of a mapping with every other (quadratic: 40k keys took 21 s), so it
// must only ever see mappings with the few keys a type knows.
type shape struct {
	file    string
	errs    ErrorList
	visited map[shapeVisit]bool
	fields  map[reflect.Type]map[string]reflect.Type
}

type shapeVisit struct {
	n *yaml.Node
	t reflect.Type
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

// checkShape prunes n for decoding into t and returns what it removed.
func checkShape(file string, n *yaml.Node, t reflect.Type) ErrorList {
	s := &shape{file: file, visited: map[shapeVisit]bool{}, fields: map[reflect.Type]map[string]reflect.Type{}}
	s.walk(n, t)
	return s.errs
}

func (s *shape) walk(n *yaml.Node, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n == nil || reflect.PointerTo(t).Implements(unmarshalerType) {
		return // the type reads its own node, linearly
	}
	// An anchored node may be reached through many aliases: walk it once per
	// type, so that an alias bomb costs no more than the document.
	if s.visited[shapeVisit{n, t}] {
		return
	}
	s.visited[shapeVisit{n, t}] = true
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			s.walk(c, t)
		}
	case yaml.AliasNode:
		s.walk(n.Alias, t)
	case yaml.SequenceNode:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for _, c := range n.Content {
				s.walk(c, t.Elem())
			}
		}
	case yaml.MappingNode:
		switch t.Kind() {
		case reflect.Struct:
			f, ok := s.fields[t]
			if !ok {
				f = structFields(t)
				s.fields[t] = f
			}
			s.mapping(n, t, f)
		case reflect.Map:
			s.mapping(n, t, nil)
		}
	}
}

// mapping checks the keys of one mapping: for a struct (fields != nil)
// each must be a field; for a map any key goes. A key given twice is
// removed with an error.
func (s *shape) mapping(n *yaml.Node, t reflect.Type, fields map[string]reflect.Type) {
	seen := make(map[string]int, len(n.Content)/2)
	kept := n.Content[:0:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			s.merge(v, t)
			kept = append(kept, k, v)
			continue
		}
		key := k.Value
		if k.Kind != yaml.ScalarNode {
			key = fmt.Sprintf("\x00node %d:%d", k.Line, k.Column) // not comparable: keep
		}
		if first, ok := seen[key]; ok {
			s.errorf(k.Line, "%q is given twice (first at line %d)", k.Value, first)
			continue
		}
		seen[key] = k.Line
		var ft reflect.Type
		if fields != nil {
			var ok bool
			if ft, ok = fields[key]; !ok {
				s.errorf(k.Line, "unknown field %q in %s", k.Value, typeWhere(t.Name()))
				continue
			}
		} else {
			ft = t.Elem()
		}
		s.walk(v, ft)
		kept = append(kept, k, v)
	}
	n.Content = kept
}

// merge walks the value of a << key: a mapping, an alias of one, or a list
// of them, each read as the type being merged into.
func (s *shape) merge(v *yaml.Node, t reflect.Type) {
	if v.Kind == yaml.SequenceNode {
		for _, c := range v.Content {
			s.walk(c, t)
		}
		return
	}
	s.walk(v, t)
}

func (s *shape) errorf(line int, format string, args ...any) {
	s.errs = append(s.errs, &Error{File: s.file, Line: max(line, 1), Msg: fmt.Sprintf(format, args...)})
}

// structFields maps the yaml names of t's fields to their types.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" && strings.Contains(","+opts+",", ",inline,") {
			// An inline struct's fields are the outer mapping's keys.
			it := f.Type
			for it.Kind() == reflect.Pointer {
				it = it.Elem()
			}
			for k, v := range structFields(it) {
				out[k] = v
			}
			continue
		}
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// StringMap is a mapping of names to text values, read in time linear in
// its size (the yaml decoder's own map reading compares every key with
// every other).
type StringMap map[string]string

// UnmarshalYAML reads a mapping of scalar keys to scalar values; a key
// given twice is an error at its line.
func (m *StringMap) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: expected a mapping of name: value", n.Line)
	}
	out := make(StringMap, len(n.Content)/2)
	first := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: %s: names and values must be plain text", k.Line, k.Value)
		}
		if l, ok := first[k.Value]; ok {
			return fmt.Errorf("line %d: %q is given twice (first at line %d)", k.Line, k.Value, l)
		}
		first[k.Value] = k.Line
		if v.Tag == "!!null" {
			out[k.Value] = ""
		} else {
			out[k.Value] = v.Value
		}
	}
	*m = out
	return nil
}
