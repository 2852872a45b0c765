package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest scenario or policy file the loaders read. The
// whole built-in catalog is about 200 KiB; a larger file is refused before
// it is parsed.
const MaxFileSize = 4 << 20

// ReadInput reads a scenario or policy file: only a regular file, and at
// most MaxFileSize bytes. A FIFO, a device or a directory is refused at
// once, without waiting for a writer or reading without end. Its errors are
// *Error values naming the file.
func ReadInput(path string) ([]byte, error) {
	fail := func(format string, args ...any) error {
		return &Error{File: path, Msg: fmt.Sprintf(format, args...)}
	}
	// Stat first, then open without blocking: opening a FIFO for reading
	// would otherwise wait for a writer.
	st, err := os.Stat(path)
	if err != nil {
		return nil, fail("cannot read: %v", unwrapPath(err))
	}
	if !st.Mode().IsRegular() {
		return nil, fail("cannot read: %s, not a regular file", fileKind(st.Mode()))
	}
	if st.Size() > MaxFileSize {
		return nil, fail("too large: %d bytes, the limit is %d (4 MiB)", st.Size(), MaxFileSize)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fail("cannot read: %v", unwrapPath(err))
	}
	defer f.Close()
	// The file may have been swapped since the Stat: check what was opened.
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fail("cannot read: not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fail("cannot read: %v", unwrapPath(err))
	}
	if len(data) > MaxFileSize {
		return nil, fail("too large: more than %d bytes (4 MiB)", MaxFileSize)
	}
	return data, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// DecodeYAML parses data as exactly one YAML document and returns its
// document node (nil for an empty file). A second document (after a ---
// line) is refused at its line, and every parse error carries a line: the
// parser's, or that of the offending byte or alias, or line 1 when the file
// as a whole cannot be decoded. Errors are an ErrorList naming the file.
func DecodeYAML(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, parseError(name, data, err)
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
		return &root, nil
	case err != nil:
		return nil, parseError(name, data, err)
	}
	return nil, ErrorList{{File: name, Line: max(second.Line, 1), Msg: "a second YAML document (after ---): a file holds one document; remove the --- line or split the file"}}
}

var (
	yamlLineRe      = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownAnchorRe = regexp.MustCompile(`unknown anchor '([^']*)' referenced`)
	controlRe       = regexp.MustCompile(`control characters are not allowed`)
	utf8ErrorRe     = regexp.MustCompile(`invalid (leading|trailing) UTF-8 octet|incomplete UTF-8 octet sequence|invalid Unicode character`)
)

// parseError turns a parser error into an ErrorList whose entries all have
// a line.
func parseError(name string, data []byte, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return yamlErrors(name, err)
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: name, Line: 1, Msg: msg}
	if m := yamlLineRe.FindStringSubmatch(strings.TrimSpace(err.Error())); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = m[2]
		return ErrorList{e}
	}
	switch {
	case controlRe.MatchString(msg):
		e.Line = lineOfByte(data, firstControl(data))
		e.Msg = "control characters are not allowed (write them as \"\\x01\" in a double-quoted string)"
	case utf8ErrorRe.MatchString(msg):
		e.Line = lineOfByte(data, firstInvalidUTF8(data))
		e.Msg = "not UTF-8 text: " + msg
	case unknownAnchorRe.MatchString(msg):
		m := unknownAnchorRe.FindStringSubmatch(msg)
		e.Line = lineOfByte(data, bytes.Index(data, []byte("*"+m[1])))
		e.Msg = fmt.Sprintf("unknown anchor %q: an alias *%s needs an &%s before it", m[1], m[1], m[1])
	case strings.Contains(msg, "exceeded max depth"):
		e.Msg = "nesting too deep: " + msg
	}
	return ErrorList{e}
}

var cannotUnmarshNode = regexp.MustCompile(`cannot unmarshal !!(\w+) into (\S+)`)

func nodeWords(tag string) string {
	switch tag {
	case "seq":
		return "a list"
	case "map":
		return "a mapping"
	}
	return "a " + tag
}

// lineOfByte is the 1-based line of byte offset i (line 1 when i < 0).
func lineOfByte(data []byte, i int) int {
	if i < 0 || i > len(data) {
		return 1
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// firstControl is the offset of the first character YAML refuses in a
// stream: a C0 control other than tab, LF and CR, DEL, or a C1 control, or
// -1.
func firstControl(data []byte) int {
	for i, r := range string(data) {
		switch {
		case r == '\t', r == '\n', r == '\r':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f && r != 0x85:
			return i
		}
	}
	return -1
}

// firstInvalidUTF8 is the offset of the first byte that is not UTF-8, or -1.
func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// yamlErrors turns a decoder error into FILE:LINE errors with plain wording.
func yamlErrors(name string, err error) error {
	var lines []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{err.Error()}
	}
	var out ErrorList
	for _, l := range lines {
		e := &Error{File: name, Line: 1, Msg: strings.TrimPrefix(l, "yaml: ")}
		if m := yamlLineRe.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = m[2]
		}
		if m := cannotUnmarsh.FindStringSubmatch(e.Msg); m != nil {
			e.Msg = fmt.Sprintf("wrong type: %s value %q where %s is expected", m[1], m[2], goTypeWords(m[3]))
		} else if m := cannotUnmarshNode.FindStringSubmatch(e.Msg); m != nil {
			e.Msg = fmt.Sprintf("wrong type: %s where %s is expected", nodeWords(m[1]), goTypeWords(m[2]))
		}
		out = append(out, e)
	}
	return out
}
