package scenarios

import (
	"testing"
	"time"
)

// Headers keep their order and their lines in JSON, and values are written
// as they are (no HTML escaping of < and &).
func TestHeadersAndDurationJSON(t *testing.T) {
	h := Headers{{Name: "X-A", Values: []string{`a<b&"c"`}}, {Name: "X-Two", Values: []string{"1", "2"}}, {Name: "B", Values: []string{""}}}
	raw, err := h.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"X-A":"a<b&\"c\"","X-Two":["1","2"],"B":""}`; string(raw) != want {
		t.Fatalf("MarshalJSON = %s, want %s", raw, want)
	}
	d, err := Duration(1500 * time.Millisecond).MarshalJSON()
	if err != nil || string(d) != `"1.5s"` {
		t.Fatalf("Duration = %s, %v", d, err)
	}
}
