package scenarios

import (
	"reflect"
	"testing"
)

// Every built-in scenario survives Marshal and Parse unchanged, so a file
// the playground downloads runs as the scenario it showed.
func TestMarshalRoundTrip(t *testing.T) {
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range all {
		b, err := Marshal([]Scenario{sc})
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		back, err := Parse(sc.Name+".yaml", b)
		if err != nil {
			t.Fatalf("%s: %v\n%s", sc.Name, err, b)
		}
		got, want := back[0], sc
		got.Source, want.Source = "", ""
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: changed by Marshal and Parse:\n%s\ngot  %+v\nwant %+v", sc.Name, b, got, want)
		}
	}
}
