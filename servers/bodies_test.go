package servers

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"strings"
	"testing"

	"github.com/corslab/corslab/scenarios"
)

func TestDefaultBodies(t *testing.T) {
	ct, body, ok := DefaultBody("image")
	if !ok || ct != "image/png" {
		t.Fatalf("image: %q %v", ct, ok)
	}
	img, err := png.Decode(strings.NewReader(body))
	if err != nil || img.Bounds().Dx() != 1 || img.Bounds().Dy() != 1 {
		t.Errorf("the image is not a 1×1 PNG: %v %v", err, img)
	}
	if _, body, _ := DefaultBody("script"); !strings.Contains(body, "throw new Error(") {
		t.Errorf("the script does not throw: %q", body)
	}
	if ct, _, _ := DefaultBody("style"); ct != "text/css" {
		t.Errorf("style: %q", ct)
	}
	_, font, ok := DefaultBody("font")
	if !ok || !strings.HasPrefix(font, "\x00\x01\x00\x00") {
		t.Fatalf("font: not an sfnt: %q", font[:min(8, len(font))])
	}
	// The whole font sums to the sfnt magic once head's
	// checkSumAdjustment is in; every table's checksum matches.
	if got := checksum([]byte(font)); got != 0xB1B0AFBA {
		t.Errorf("font checksum %#x, want 0xB1B0AFBA", got)
	}
	n := int(binary.BigEndian.Uint16([]byte(font[4:6])))
	for i := 0; i < n; i++ {
		rec := []byte(font[12+16*i : 28+16*i])
		tag, sum := string(rec[:4]), binary.BigEndian.Uint32(rec[4:8])
		off, length := binary.BigEndian.Uint32(rec[8:12]), binary.BigEndian.Uint32(rec[12:16])
		data := []byte(font[off : off+length])
		if tag == "head" {
			data = bytes.Clone(data)
			binary.BigEndian.PutUint32(data[8:], 0)
		}
		if length == 0 || checksum(data) != sum {
			t.Errorf("table %s: length %d, checksum %#x, recorded %#x", tag, length, checksum(data), sum)
		}
	}
	for _, dest := range []string{"empty", "", "document", "iframe"} {
		if _, _, ok := DefaultBody(dest); ok {
			t.Errorf("destination %q got a default body", dest)
		}
	}
}

func TestWithDefaultBody(t *testing.T) {
	ok200 := scenarios.Answer{Status: 200}
	tests := []struct {
		name      string
		a         scenarios.Answer
		preflight bool
		dest      string
		wantBody  bool
		wantCT    string
	}{
		{"an image gets a PNG", ok200, false, "image", true, "image/png"},
		{"fetch keeps an empty body", ok200, false, "empty", false, ""},
		{"a preflight keeps its answer", ok200, true, "script", false, ""},
		{"a redirect keeps its answer", scenarios.Answer{Status: 302}, false, "image", false, ""},
		{"204 has no body", scenarios.Answer{Status: 204}, false, "image", false, ""},
		{"the scenario's body wins", scenarios.Answer{Status: 200, Body: "x"}, false, "image", false, ""},
		{"the scenario's Content-Type wins", scenarios.Answer{Status: 200, Headers: scenarios.Headers{{Name: "Content-Type", Values: []string{"text/plain"}}}}, false, "script", true, "text/plain"},
		{"an error answer gets a body too", scenarios.Answer{Status: 404}, false, "style", true, "text/css"},
	}
	for _, tt := range tests {
		got := withDefaultBody(tt.a, tt.preflight, tt.dest)
		if (got.Body != tt.a.Body) != tt.wantBody {
			t.Errorf("%s: body changed %v, want %v", tt.name, got.Body != tt.a.Body, tt.wantBody)
		}
		if ct := got.Headers.Get("Content-Type"); tt.wantCT != "" && (len(ct) != 1 || ct[0] != tt.wantCT) {
			t.Errorf("%s: Content-Type %q, want %q", tt.name, ct, tt.wantCT)
		}
	}
}
