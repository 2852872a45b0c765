package fetchspec_test

import (
	"slices"
	"testing"

	"github.com/corslab/corslab/fetchspec"
)

// hl builds a header list from name, value pairs.
func hl(kv ...string) fetchspec.HeaderList {
	var l fetchspec.HeaderList
	for i := 0; i+1 < len(kv); i += 2 {
		l = append(l, fetchspec.Header{Name: kv[i], Value: kv[i+1]})
	}
	return l
}

// The standard's own example table for "get, decode, and split" with `A`.
// https://fetch.spec.whatwg.org/#example-header-list-get-decode-split
func TestGetDecodeSplitExamples(t *testing.T) {
	tests := []struct {
		list fetchspec.HeaderList
		want []string // nil: null
	}{
		{hl("A", "nosniff,"), []string{"nosniff", ""}},
		{hl("A", "nosniff", "B", "sniff", "A", ""), []string{"nosniff", ""}},
		{hl("A", "", "B", "sniff"), []string{""}},
		{hl("B", "sniff"), nil},
		{hl("A", `text/html;", x/x`), []string{`text/html;", x/x`}},
		{hl("A", `text/html;"`, "A", "x/x"), []string{`text/html;", x/x`}},
		{hl("A", `x/x;test="hi",y/y`), []string{`x/x;test="hi"`, "y/y"}},
		{hl("A", `x/x;test="hi"`, "C", "**bingo**", "A", "y/y"), []string{`x/x;test="hi"`, "y/y"}},
		{hl("A", "x / x,,,1"), []string{"x / x", "", "", "1"}},
		{hl("A", "x / x", "A", ",", "A", "1"), []string{"x / x", "", "", "1"}},
		{hl("A", `"1,2", 3`), []string{`"1,2"`, "3"}},
		{hl("A", `"1,2"`, "D", "4", "A", "3"), []string{`"1,2"`, "3"}},
	}
	for _, tt := range tests {
		got, ok := tt.list.GetDecodeSplit("A")
		if tt.want == nil {
			if ok {
				t.Errorf("GetDecodeSplit(A) of %v = %q, want null", tt.list, got)
			}
			continue
		}
		if !ok || !slices.Equal(got, tt.want) {
			t.Errorf("GetDecodeSplit(A) of %v = %q, want %q", tt.list, got, tt.want)
		}
	}
}

// get joins the values of every header of the name with 0x2C 0x20, in order;
// null is not the empty string.
func TestGet(t *testing.T) {
	l := hl("Access-Control-Allow-Origin", "http://a", "X", "1", "access-control-allow-origin", "http://b")
	if v, ok := l.Get("ACCESS-CONTROL-ALLOW-ORIGIN"); !ok || v != "http://a, http://b" {
		t.Errorf("Get = %q, %v", v, ok)
	}
	if v, ok := hl("A", "").Get("a"); !ok || v != "" {
		t.Errorf("Get of an empty value = %q, %v; want \"\", true", v, ok)
	}
	if _, ok := l.Get("Y"); ok {
		t.Error("Get of a missing header is not null")
	}
}

// Extracting header list values parses per the ABNF of the CORS headers:
// #method and #field-name lists accept empty elements and whitespace, refuse
// anything that is not a token; Access-Control-Max-Age is delta-seconds in
// one header.
func TestExtractHeaderListValues(t *testing.T) {
	tests := []struct {
		name string
		list fetchspec.HeaderList
		want fetchspec.ListValues
	}{
		{"Access-Control-Allow-Methods", hl("X", "1"), fetchspec.ListValues{Null: true}},
		{"Access-Control-Allow-Methods", hl("Access-Control-Allow-Methods", "GET, PUT"), fetchspec.ListValues{Values: []string{"GET", "PUT"}}},
		{"Access-Control-Allow-Methods", hl("Access-Control-Allow-Methods", ", PUT,,"), fetchspec.ListValues{Values: []string{"PUT"}}},
		{"Access-Control-Allow-Methods", hl("Access-Control-Allow-Methods", "GET", "Access-Control-Allow-Methods", "PUT"), fetchspec.ListValues{Values: []string{"GET", "PUT"}}},
		{"Access-Control-Allow-Methods", hl("Access-Control-Allow-Methods", "PUT, PATCH DELETE"), fetchspec.ListValues{Failure: true}},
		{"Access-Control-Allow-Methods", hl("Access-Control-Allow-Methods", "GET; PUT"), fetchspec.ListValues{Failure: true}},
		{"Access-Control-Allow-Methods", hl("Access-Control-Allow-Methods", "*"), fetchspec.ListValues{Values: []string{"*"}}},
		{"Access-Control-Allow-Headers", hl("Access-Control-Allow-Headers", "X-A, X B"), fetchspec.ListValues{Failure: true}},
		{"Access-Control-Allow-Headers", hl("Access-Control-Allow-Headers", ""), fetchspec.ListValues{Values: []string{}}},
		{"Access-Control-Expose-Headers", hl("Access-Control-Expose-Headers", `"X-A", X-B`), fetchspec.ListValues{Failure: true}},
		{"Access-Control-Max-Age", hl("Access-Control-Max-Age", "600"), fetchspec.ListValues{Values: []string{"600"}}},
		{"Access-Control-Max-Age", hl("Access-Control-Max-Age", "-1"), fetchspec.ListValues{Failure: true}},
		{"Access-Control-Max-Age", hl("Access-Control-Max-Age", "10 minutes"), fetchspec.ListValues{Failure: true}},
		{"Access-Control-Max-Age", hl("Access-Control-Max-Age", "600", "Access-Control-Max-Age", "600"), fetchspec.ListValues{Failure: true}},
	}
	for _, tt := range tests {
		got := fetchspec.ExtractHeaderListValues(tt.name, tt.list)
		if got.Null != tt.want.Null || got.Failure != tt.want.Failure || !slices.Equal(got.Values, tt.want.Values) {
			t.Errorf("ExtractHeaderListValues(%s, %v) = %+v, want %+v", tt.name, tt.list, got, tt.want)
		}
	}
}

func TestSortAndCombine(t *testing.T) {
	got := hl("X-B", "1", "Set-Cookie", "a=1", "x-a", "2", "X-B", "3", "set-cookie", "b=2").SortAndCombine()
	want := hl("set-cookie", "a=1", "set-cookie", "b=2", "x-a", "2", "x-b", "1, 3")
	if !slices.Equal(got, want) {
		t.Errorf("SortAndCombine = %v, want %v", got, want)
	}
}

func TestHeaderListAppendSetDeleteCombine(t *testing.T) {
	var l fetchspec.HeaderList
	l.Append("X-Api", "1")
	l.Append("x-api", "2") // reuses the casing already there
	if !slices.Equal(l, hl("X-Api", "1", "X-Api", "2")) {
		t.Errorf("Append: %v", l)
	}
	l.Set("X-API", "3")
	if !slices.Equal(l, hl("X-Api", "3")) {
		t.Errorf("Set: %v", l)
	}
	l.Combine("x-api", "4")
	if !slices.Equal(l, hl("X-Api", "3, 4")) {
		t.Errorf("Combine: %v", l)
	}
	l.Delete("X-API")
	if len(l) != 0 {
		t.Errorf("Delete: %v", l)
	}
}

func TestHeaderNameAndValue(t *testing.T) {
	for _, tt := range []struct {
		s           string
		name, value bool
	}{
		{"X-Api-Key", true, true}, {"X B", false, true}, {"", false, true}, {" x", false, false},
		{"a\x00b", false, false}, {"a\nb", false, false}, {`"q"`, false, true},
	} {
		if got := fetchspec.IsHeaderName(tt.s); got != tt.name {
			t.Errorf("IsHeaderName(%q) = %v", tt.s, got)
		}
		if got := fetchspec.IsHeaderValue(tt.s); got != tt.value {
			t.Errorf("IsHeaderValue(%q) = %v", tt.s, got)
		}
	}
	if got := fetchspec.NormalizeHeaderValue(" \t v a \r\n"); got != "v a" {
		t.Errorf("NormalizeHeaderValue = %q", got)
	}
}
