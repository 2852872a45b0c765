package servers

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"strings"
	"sync"

	"github.com/corslab/corslab/scenarios"
)

// DefaultScript is the body bar gives a script when the scenario gives
// none: it records that it ran, then throws an Error at its end, so the
// page's window.onerror shows whether the browser muted the error.
const DefaultScript = "self.__corslabRan = (self.__corslabRan || 0) + 1;\nthrow new Error(\"corslab: thrown at the end of the script\");\n"

// DefaultStylesheet is the body bar gives a stylesheet when the scenario
// gives none: one rule the page can read through cssRules when allowed.
const DefaultStylesheet = ".corslab-loaded { color: rgb(1, 2, 3); }\n"

// DefaultBody returns the body and Content-Type bar sends to an element's
// request that the scenario gives no body for, chosen by the request's
// destination as the browser wrote it in Sec-Fetch-Dest: a 1×1 PNG for an
// image, DefaultScript for a script, DefaultStylesheet for a style, a
// small TrueType font for a font. ok is false for any other destination
// (fetch() and XMLHttpRequest send "empty"): their answer stays as written.
func DefaultBody(dest string) (contentType, body string, ok bool) {
	switch dest {
	case "image":
		return "image/png", onePixelPNG(), true
	case "script":
		return "text/javascript", DefaultScript, true
	case "style":
		return "text/css", DefaultStylesheet, true
	case "font":
		return "font/ttf", smallFont(), true
	}
	return "", "", false
}

// withDefaultBody gives an element's request the default body of its
// destination when the scenario's answer has none: a final answer (not a
// preflight, a redirect or a raw answer) with a status that carries a body.
// The scenario's own Content-Type, when it sets one, is kept.
func withDefaultBody(a scenarios.Answer, preflight bool, dest string) scenarios.Answer {
	if preflight || a.Raw != "" || a.Body != "" || a.Status < 200 || a.Status == http.StatusNoContent ||
		a.Status == http.StatusNotModified || (a.Status >= 300 && a.Status < 400) {
		return a
	}
	ct, body, ok := DefaultBody(strings.ToLower(strings.TrimSpace(dest)))
	if !ok {
		return a
	}
	a.Body = body
	if !a.Headers.Has("Content-Type") {
		a.Headers = append(append(scenarios.Headers(nil), a.Headers...), scenarios.Header{Name: "Content-Type", Values: []string{ct}})
	}
	return a
}

// onePixelPNG is a valid 1×1 opaque red PNG, built here: signature, IHDR,
// one IDAT (zlib, stored block) and IEND, each chunk with its CRC.
func onePixelPNG() string {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(kind))
		c.Write(data)
		b.WriteString(kind)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, c.Sum32())
	}
	// Width 1, height 1, bit depth 8, colour type 2 (RGB), no interlace.
	chunk("IHDR", []byte{0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0})
	// One scanline: filter byte 0, then R G B.
	raw := []byte{0, 0xff, 0, 0}
	var z bytes.Buffer
	z.Write([]byte{0x78, 0x01})                                  // zlib header, no compression
	z.Write([]byte{1, byte(len(raw)), 0, ^byte(len(raw)), 0xff}) // final stored block, LEN, NLEN
	z.Write(raw)
	binary.Write(&z, binary.BigEndian, adler32(raw))
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return b.String()
}

func adler32(p []byte) uint32 {
	a, b := uint32(1), uint32(0)
	for _, x := range p {
		a = (a + uint32(x)) % 65521
		b = (b + a) % 65521
	}
	return b<<16 | a
}

var fontOnce = sync.OnceValue(buildFont)

// smallFont is a minimal valid TrueType font (one box-shaped .notdef glyph and
// a format-4 cmap with no mappings), enough for a browser's font sanitizer
// to accept it and a FontFace to load.
func smallFont() string { return fontOnce() }

// buildFont writes the sfnt: the table directory, then each table padded
// to 4 bytes, with checksums and head's checkSumAdjustment.
func buildFont() string {
	be := func(vals ...any) []byte {
		var b bytes.Buffer
		for _, v := range vals {
			binary.Write(&b, binary.BigEndian, v)
		}
		return b.Bytes()
	}
	const upem = 1000
	tables := map[string][]byte{
		// head 1.0: revision, checkSumAdjustment (set below), magic, flags,
		// unitsPerEm, created, modified, bbox, macStyle, lowestRecPPEM,
		// fontDirectionHint, indexToLocFormat (short), glyphDataFormat.
		"head": be(uint16(1), uint16(0), uint32(0x00010000), uint32(0), uint32(0x5F0F3CF5), uint16(0x000B), uint16(upem),
			int64(0), int64(0), int16(0), int16(0), int16(500), int16(700), uint16(0), uint16(8), int16(2), int16(0), int16(0)),
		// hhea 1.0: ascender, descender, lineGap, advanceWidthMax, minLSB,
		// minRSB, xMaxExtent, caretSlopeRise, caretSlopeRun, caretOffset,
		// 4 reserved, metricDataFormat, numberOfHMetrics.
		"hhea": be(uint32(0x00010000), int16(800), int16(-200), int16(0), uint16(500), int16(0), int16(0), int16(500),
			int16(1), int16(0), int16(0), int16(0), int16(0), int16(0), int16(0), int16(0), uint16(1)),
		// maxp 1.0 for TrueType outlines: one glyph of 4 points, 1 contour.
		"maxp": be(uint32(0x00010000), uint16(1), uint16(4), uint16(1), uint16(0), uint16(0), uint16(2), uint16(0),
			uint16(0), uint16(0), uint16(0), uint16(0), uint16(0), uint16(0), uint16(0)),
		// hmtx: advance 500, lsb 0 for .notdef.
		"hmtx": be(uint16(500), int16(0)),
		// loca (short, offsets halved): .notdef takes glyf's 36 bytes.
		"loca": be(uint16(0), uint16(18)),
		// glyf: .notdef is a 500×700 box, one contour of four on-curve
		// points with int16 deltas, no instructions, padded to 36 bytes.
		"glyf": be(int16(1), int16(0), int16(0), int16(500), int16(700), uint16(3), uint16(0), [4]byte{1, 1, 1, 1},
			int16(0), int16(0), int16(500), int16(0), int16(0), int16(700), int16(0), int16(-700), uint16(0)),
		// post 3.0: no glyph names.
		"post": be(uint32(0x00030000), int32(0), int16(-100), int16(50), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0)),
		"cmap": fontCmap(be),
		"name": fontName(be),
		"OS/2": fontOS2(be),
	}
	tags := []string{"OS/2", "cmap", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "name", "post"} // sorted by tag
	n := len(tags)
	entrySelector, searchRange := 0, 1
	for searchRange*2 <= n {
		searchRange *= 2
		entrySelector++
	}
	searchRange *= 16
	var out bytes.Buffer
	out.Write(be(uint32(0x00010000), uint16(n), uint16(searchRange), uint16(entrySelector), uint16(n*16-searchRange)))
	offset := 12 + 16*n
	var body bytes.Buffer
	headAt := 0
	for _, tag := range tags {
		data := tables[tag]
		if tag == "head" {
			headAt = offset
		}
		out.Write(be([]byte(tag), checksum(data), uint32(offset), uint32(len(data))))
		body.Write(data)
		for body.Len()%4 != 0 {
			body.WriteByte(0)
		}
		offset = 12 + 16*n + body.Len()
	}
	out.Write(body.Bytes())
	font := out.Bytes()
	binary.BigEndian.PutUint32(font[headAt+8:], 0xB1B0AFBA-checksum(font))
	return string(font)
}

// fontCmap is a cmap with one format-4 subtable (Windows, Unicode BMP)
// holding only the final 0xFFFF segment.
func fontCmap(be func(...any) []byte) []byte {
	sub := be(uint16(4), uint16(24), uint16(0), uint16(2), uint16(2), uint16(0), uint16(0),
		uint16(0xFFFF), uint16(0), uint16(0xFFFF), int16(1), uint16(0))
	return append(be(uint16(0), uint16(1), uint16(3), uint16(1), uint32(12)), sub...)
}

// fontName holds the family (1), subfamily (2), full name (4) and
// PostScript name (6), in UTF-16BE for Windows, Unicode BMP, en-US.
func fontName(be func(...any) []byte) []byte {
	names := []struct {
		id   uint16
		text string
	}{{1, "corslab"}, {2, "Regular"}, {4, "corslab Regular"}, {6, "corslab-Regular"}}
	var strs bytes.Buffer
	var recs bytes.Buffer
	for _, nm := range names {
		var s bytes.Buffer
		for _, r := range nm.text {
			binary.Write(&s, binary.BigEndian, uint16(r))
		}
		recs.Write(be(uint16(3), uint16(1), uint16(0x0409), nm.id, uint16(s.Len()), uint16(strs.Len())))
		strs.Write(s.Bytes())
	}
	head := be(uint16(0), uint16(len(names)), uint16(6+12*len(names)))
	return append(append(head, recs.Bytes()...), strs.Bytes()...)
}

// fontOS2 is an OS/2 table, version 4.
func fontOS2(be func(...any) []byte) []byte {
	return be(uint16(4), int16(500), uint16(400), uint16(5), uint16(0),
		int16(650), int16(700), int16(0), int16(140), int16(650), int16(700), int16(0), int16(480), int16(50), int16(250), int16(0),
		[10]byte{}, uint32(0), uint32(0), uint32(0), uint32(0), [4]byte{'N', 'O', 'N', 'E'}, uint16(0x0040), uint16(0xFFFF), uint16(0xFFFF),
		int16(800), int16(-200), int16(0), uint16(1000), uint16(200), uint32(1), uint32(0), int16(500), int16(700), uint16(0), uint16(32), uint16(0))
}

// checksum is the sfnt table checksum: the sum of big-endian uint32s,
// the data padded with zeros.
func checksum(p []byte) uint32 {
	var sum uint32
	for i := 0; i < len(p); i += 4 {
		var w [4]byte
		copy(w[:], p[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
