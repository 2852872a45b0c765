package servers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/corslab/corslab/scenarios"
)

// The reader accepts every request a browser can send and refuses only what
// it cannot take apart. It follows RFC 9112 where that is lenient and is
// more lenient where a stricter server would answer on its own: any byte
// but CR and LF in a header value, names kept as sent, bare LF line ends,
// repeated lines, obs-fold.

// limits bound what one request may take.
type limits struct {
	// headerBytes bounds the request line and header section together.
	headerBytes int
	// bodyBytes bounds a request body.
	bodyBytes int64
}

var defaultLimits = limits{headerBytes: 1 << 20, bodyBytes: 16 << 20}

// HeaderLine is one header line of a request as it arrived: the name as
// sent (case kept) and the value as bytes, without the optional whitespace
// around it.
type HeaderLine struct {
	Name  string
	Value string
}

// MarshalJSON writes the line as [name, value], the value in the notation
// of scenario files (each byte the character of that value), so JSON stays
// valid and loses nothing.
func (h HeaderLine) MarshalJSON() ([]byte, error) {
	return jsonText([2]string{h.Name, isoDecode(h.Value)})
}

// UnmarshalJSON reads what MarshalJSON wrote (a merged report reads shards'
// JSON back).
func (h *HeaderLine) UnmarshalJSON(b []byte) error {
	var pair [2]string
	if err := json.Unmarshal(b, &pair); err != nil {
		return fmt.Errorf("a header line: %w", err)
	}
	h.Name, h.Value = pair[0], scenarios.IsomorphicEncode(pair[1])
	return nil
}

// request is one request as read off the connection.
type request struct {
	// head is the request line and header section exactly as they arrived,
	// line ends included.
	head   []byte
	line   string
	method string
	target string
	proto  string
	minor  int
	lines  []HeaderLine
	body   []byte
	// close: the connection ends after the answer (Connection: close, or
	// HTTP/1.0 without keep-alive).
	close bool
}

// get returns the values of the header lines named name, compared without
// case.
func (r *request) get(name string) []string {
	var out []string
	for _, h := range r.lines {
		if strings.EqualFold(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	return out
}

// first returns the first value of a header, or "".
func (r *request) first(name string) string {
	if v := r.get(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// parseError is a request the reader cannot take apart: the server layer
// answers it with status and the reason, and closes the connection.
type parseError struct {
	status int
	reason string
	// line, method and target are from the request line when it was read,
	// so the refusal can be journaled under its scenario.
	line, method, target string
}

func (e *parseError) Error() string { return e.reason }

// errHeaderTooLarge is wrapped when the head exceeds limits.headerBytes.
var errHeaderTooLarge = errors.New("request head too large")

// readRequest reads one request. It returns io.EOF when the connection
// ended cleanly before a new request began, and a *parseError for a request
// it cannot take apart; any other error is the connection's.
func readRequest(br *bufio.Reader, lim limits) (*request, error) {
	budget := lim.headerBytes
	var head bytes.Buffer
	// RFC 9112 2.2: ignore empty lines before the request line.
	var line []byte
	for {
		l, err := readLine(br, &budget, &head)
		if err != nil {
			if len(bytes.Trim(head.Bytes(), "\r\n")) == 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
				// Nothing but line ends, then the end: no request began.
				return nil, io.EOF
			}
			return nil, headError(err, nil)
		}
		if len(l) > 0 {
			line = l
			break
		}
	}
	r := &request{line: string(line)}
	if err := r.parseLine(); err != nil {
		return nil, err
	}
	for {
		l, err := readLine(br, &budget, &head)
		if err != nil {
			return nil, headError(err, r)
		}
		if len(l) == 0 {
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			// obs-fold: a continuation of the previous line.
			if len(r.lines) == 0 {
				return nil, r.refuse(400, fmt.Sprintf("the first header line %q starts with whitespace", l))
			}
			prev := &r.lines[len(r.lines)-1]
			prev.Value = strings.TrimRight(prev.Value+" "+trimOWS(string(l)), " \t")
			continue
		}
		name, value, ok := strings.Cut(string(l), ":")
		if !ok {
			return nil, r.refuse(400, fmt.Sprintf("header line %q has no colon", l))
		}
		r.lines = append(r.lines, HeaderLine{Name: name, Value: trimOWS(value)})
	}
	r.head = head.Bytes()
	r.close = r.wantsClose()
	if err := r.readBody(br, lim); err != nil {
		return nil, err
	}
	return r, nil
}

// headError turns a failure while reading the head (of r, when its request
// line was read) into a refusal.
func headError(err error, r *request) error {
	if r == nil {
		r = &request{}
	}
	switch {
	case errors.Is(err, errHeaderTooLarge):
		return r.refuse(431, "the request line and headers are larger than the lab's limit of 1 MiB")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return r.refuse(400, "the connection ended in the middle of the request head")
	}
	return err
}

func (r *request) refuse(status int, reason string) *parseError {
	return &parseError{status: status, reason: reason, line: r.line, method: r.method, target: r.target}
}

// parseLine takes the request line apart: method, target, HTTP version.
// Extra spaces around the target are tolerated.
func (r *request) parseLine() error {
	i := strings.IndexByte(r.line, ' ')
	j := strings.LastIndexByte(r.line, ' ')
	if i <= 0 || i == j {
		return r.refuse(400, fmt.Sprintf("request line %q is not METHOD TARGET HTTP-VERSION", r.line))
	}
	r.method, r.proto = r.line[:i], r.line[j+1:]
	r.target = strings.Trim(r.line[i+1:j], " ")
	if r.target == "" {
		return r.refuse(400, fmt.Sprintf("request line %q has no target", r.line))
	}
	v, ok := strings.CutPrefix(r.proto, "HTTP/")
	major, minor, dot := strings.Cut(v, ".")
	maj, err1 := strconv.Atoi(major)
	min, err2 := strconv.Atoi(minor)
	switch {
	case !ok || !dot || err1 != nil || err2 != nil || len(major) != 1 || len(minor) != 1:
		return r.refuse(400, fmt.Sprintf("request line %q does not end in an HTTP version (HTTP/1.1)", r.line))
	case maj != 1:
		return r.refuse(505, fmt.Sprintf("request line %q asks for HTTP/%d, the lab speaks HTTP/1.x", r.line, maj))
	}
	r.minor = min
	return nil
}

// wantsClose reports whether the connection ends after this request.
func (r *request) wantsClose() bool {
	keepAlive := false
	for _, v := range r.get("Connection") {
		for _, t := range strings.Split(v, ",") {
			switch strings.ToLower(trimOWS(t)) {
			case "close":
				return true
			case "keep-alive":
				keepAlive = true
			}
		}
	}
	return r.minor == 0 && !keepAlive
}

// readBody reads a chunked or Content-Length body (RFC 9112 6.3).
func (r *request) readBody(br *bufio.Reader, lim limits) error {
	if te := r.get("Transfer-Encoding"); len(te) > 0 {
		codings := strings.Split(strings.Join(te, ","), ",")
		if !strings.EqualFold(trimOWS(codings[len(codings)-1]), "chunked") {
			return r.refuse(501, fmt.Sprintf("Transfer-Encoding %q does not end in chunked", strings.Join(te, ", ")))
		}
		return r.readChunked(br, lim)
	}
	cl := r.get("Content-Length")
	if len(cl) == 0 {
		return nil
	}
	n := int64(-1)
	for _, v := range cl {
		for _, part := range strings.Split(v, ",") {
			m, err := strconv.ParseInt(trimOWS(part), 10, 64)
			if err != nil || m < 0 || (n >= 0 && m != n) || strings.HasPrefix(trimOWS(part), "+") {
				return r.refuse(400, fmt.Sprintf("Content-Length %q is not one decimal length", strings.Join(cl, ", ")))
			}
			n = m
		}
	}
	if n > lim.bodyBytes {
		return r.refuse(413, fmt.Sprintf("the body of %d bytes is larger than the lab's limit of %d", n, lim.bodyBytes))
	}
	r.body = make([]byte, n)
	if got, err := io.ReadFull(br, r.body); err != nil {
		return r.refuse(400, fmt.Sprintf("the connection ended after %d of %d body bytes", got, n))
	}
	return nil
}

func (r *request) readChunked(br *bufio.Reader, lim limits) error {
	budget := lim.headerBytes
	var discard bytes.Buffer
	var body bytes.Buffer
	for {
		discard.Reset()
		l, err := readLine(br, &budget, &discard)
		if err != nil {
			return r.refuse(400, "the chunked body ended in the middle of a chunk size line")
		}
		sizeText, _, _ := strings.Cut(string(l), ";")
		sizeText = trimOWS(sizeText)
		size, err := strconv.ParseUint(sizeText, 16, 63)
		if err != nil || sizeText == "" {
			return r.refuse(400, fmt.Sprintf("chunk size %q is not hexadecimal", sizeText))
		}
		if size == 0 {
			break
		}
		if int64(body.Len())+int64(size) > lim.bodyBytes {
			return r.refuse(413, fmt.Sprintf("the chunked body is larger than the lab's limit of %d bytes", lim.bodyBytes))
		}
		if _, err := io.CopyN(&body, br, int64(size)); err != nil {
			return r.refuse(400, "the connection ended in the middle of a chunk")
		}
		end, err := readLine(br, &budget, &discard)
		if err != nil || len(end) != 0 {
			return r.refuse(400, "a chunk is not followed by a line end")
		}
	}
	// Trailer section: header lines up to an empty line, kept out of the
	// request's headers as RFC 9112 7.1.2 allows.
	for {
		l, err := readLine(br, &budget, &discard)
		if err != nil {
			return r.refuse(400, "the chunked body ended in the middle of its trailer section")
		}
		if len(l) == 0 {
			break
		}
	}
	r.body = body.Bytes()
	return nil
}

// readLine reads one line, appends it (line end included) to raw and
// returns it without its LF or CRLF. It charges the line to budget.
func readLine(br *bufio.Reader, budget *int, raw *bytes.Buffer) ([]byte, error) {
	start := raw.Len()
	for {
		frag, err := br.ReadSlice('\n')
		*budget -= len(frag)
		if *budget < 0 {
			return nil, errHeaderTooLarge
		}
		raw.Write(frag)
		if err == nil {
			break
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && raw.Len() > start {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	l := raw.Bytes()[start:]
	l = l[:len(l)-1]
	if n := len(l); n > 0 && l[n-1] == '\r' {
		l = l[:n-1]
	}
	return l, nil
}

// trimOWS removes optional whitespace (SP, HTAB) around a field value.
func trimOWS(s string) string { return strings.Trim(s, " \t") }
