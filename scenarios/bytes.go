package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// IsomorphicEncode returns the bytes a scenario's text stands for where the
// wire carries bytes (header values, reason phrases, raw answers): each
// character U+0000-U+00FF is the one byte of that value, as the Fetch
// standard turns a JavaScript string into a header value
// (https://infra.spec.whatwg.org/#isomorphic-encode), so "\0", "\x01" and
// "\xFF" in a double-quoted YAML string are those single bytes, and what
// JavaScript reads back is the same string. A character above U+00FF, which
// isomorphic encoding leaves undefined, is written as its UTF-8 bytes.
func IsomorphicEncode(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r <= 0xFF {
			b = append(b, byte(r))
			continue
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}

// IsomorphicDecode is the inverse for bytes that arrived: each byte becomes
// the character of that value (https://infra.spec.whatwg.org/#isomorphic-decode),
// the notation scenario files use, so a journaled header value compares
// with a written one and stays valid UTF-8 in JSON.
func IsomorphicDecode(b string) string {
	ascii := true
	for i := 0; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return b
	}
	var out strings.Builder
	out.Grow(len(b) * 2)
	for i := 0; i < len(b); i++ {
		out.WriteRune(rune(b[i]))
	}
	return out.String()
}

// RawAnswer is an answer written out whole: status line, header lines, the
// empty line and the body. Written as a YAML block scalar (raw: |), each
// line break is CRLF on the wire; written as a quoted string, the text is
// taken exactly as it is, so "\n" alone is a bare LF. Its characters are
// bytes as in header values (IsomorphicEncode); placeholders are expanded.
type RawAnswer string

// UnmarshalYAML reads the answer, turning line breaks of a block scalar
// into CRLF.
func (r *RawAnswer) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: raw must be text (raw: | and the answer's lines below)", n.Line)
	}
	v := n.Value
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		v = strings.ReplaceAll(v, "\r\n", "\n")
		v = strings.ReplaceAll(v, "\n", "\r\n")
	}
	*r = RawAnswer(v)
	return nil
}

// StatusLine returns the first line of the answer, without its line break.
func (r RawAnswer) StatusLine() string {
	line, _, _ := strings.Cut(string(r), "\n")
	return strings.TrimSuffix(line, "\r")
}

// Status returns the status code of the final answer: that of the first
// status line, or, while that is an interim (1xx) answer, of the status line
// after its empty line, as a browser reads them (the Fetch standard's
// HTTP-network fetch waits past 1xx answers). It is 0 when there is none
// that parses.
func (r RawAnswer) Status() int {
	rest := string(r)
	for {
		line, after, _ := strings.Cut(rest, "\n")
		n := statusCode(strings.TrimSuffix(line, "\r"))
		if n < 100 || n > 199 {
			return n
		}
		// Skip the interim answer's header lines up to its empty line.
		for {
			line, after, _ = strings.Cut(after, "\n")
			if strings.TrimSuffix(line, "\r") == "" {
				break
			}
		}
		if after == "" {
			return n
		}
		rest = after
	}
}

// statusCode reads the three-digit code of a status line, or 0.
func statusCode(line string) int {
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") || len(f[1]) != 3 {
		return 0
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// Cookie is one cookie put in the browser's jar before the first step.
type Cookie struct {
	// For names whose jar it fills: an origin label (bar, the default;
	// baz; www.bar), a host under .localhost (www.bar.localhost) or a full
	// origin (https://app.example.com).
	For string `yaml:"for,omitempty" json:"for,omitempty"`
	// SetCookie is the cookie written as a Set-Cookie value.
	SetCookie string `yaml:"cookie" json:"cookie"`
}

// Label returns the lab label or origin the cookie is set for: "bar" by
// default, "www.bar" for www.bar.localhost.
func (c Cookie) Label() string {
	switch {
	case c.For == "":
		return "bar"
	case strings.Contains(c.For, "://"):
		return c.For
	}
	return strings.TrimSuffix(c.For, ".localhost")
}

// UnmarshalYAML reads a cookie written as a Set-Cookie value (for bar) or
// as a mapping {for: HOST, cookie: VALUE}.
func (c *Cookie) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*c = Cookie{SetCookie: n.Value}
		return nil
	case yaml.MappingNode:
		var out Cookie
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: cookie field %s must be text", v.Line, k.Value)
			}
			switch k.Value {
			case "for":
				out.For = v.Value
			case "cookie":
				out.SetCookie = v.Value
			default:
				return fmt.Errorf("line %d: unknown field %q in a cookie (for, cookie)", k.Line, k.Value)
			}
		}
		if out.SetCookie == "" {
			return fmt.Errorf("line %d: cookie has no 'cookie:' (the Set-Cookie value)", n.Line)
		}
		*c = out
		return nil
	}
	return fmt.Errorf("line %d: a cookie is a Set-Cookie value or {for: HOST, cookie: VALUE}", n.Line)
}

// MarshalJSON writes a cookie for bar as its Set-Cookie value, any other as
// an object.
func (c Cookie) MarshalJSON() ([]byte, error) {
	if c.For == "" {
		return marshalText(c.SetCookie)
	}
	return marshalText(struct {
		For       string `json:"for"`
		SetCookie string `json:"cookie"`
	}{c.For, c.SetCookie})
}
