package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
)

//go:embed catalog/*.yaml
var catalogFS embed.FS

// Catalog returns the built-in scenarios in teaching order: by group (see
// GroupRank), then in file order.
func Catalog() ([]Scenario, error) {
	names, err := fs.Glob(catalogFS, "catalog/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("listing the built-in catalog: %w", err)
	}
	sort.Strings(names)
	var all []Scenario
	for _, n := range names {
		data, err := catalogFS.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", n, err)
		}
		sc, err := Parse(path.Join("scenarios", n), data)
		if err != nil {
			return nil, err
		}
		all = append(all, sc...)
	}
	if errs := checkUnique(all); len(errs) > 0 {
		return nil, errs
	}
	sort.SliceStable(all, func(i, j int) bool { return GroupRank(all[i].Group) < GroupRank(all[j].Group) })
	return all, nil
}

// GroupOrder lists the built-in groups in teaching order. Groups not listed
// sort after these, by name.
var groupOrder = []string{"simple", "preflight", "rejected", "wildcard", "credentials", "exposure", "safelist", "strict", "cache", "redirects", "opaque", "security", "bytes", "local-network", "elements"}

// GroupRank returns the position of a group in teaching order.
func GroupRank(group string) int {
	for i, g := range groupOrder {
		if g == group {
			return i
		}
	}
	return len(groupOrder)
}
