package firefox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/coder/websocket"
)

// bidi is a small WebDriver BiDi client (https://w3c.github.io/webdriver-bidi/):
// commands matched to their answers by id, events handed to one function.
type bidi struct {
	conn    *websocket.Conn
	onEvent func(method string, params json.RawMessage)

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan bidiAnswer
	// gone is closed when the connection ended; err says why.
	gone chan struct{}
	err  error
}

// bidiAnswer is one message from the remote end: a command's answer (id
// set) or an event (method set).
type bidiAnswer struct {
	ID      int             `json:"id"`
	Type    string          `json:"type"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

// errBiDi is an error answer of the remote end.
var errBiDi = errors.New("WebDriver BiDi error")

// dialBiDi connects to url (ws://127.0.0.1:N/session) and starts reading.
func dialBiDi(ctx context.Context, url string, onEvent func(string, json.RawMessage)) (*bidi, error) {
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", url, err)
	}
	// Console and network events can be large (headers, long messages).
	conn.SetReadLimit(64 << 20)
	c := &bidi{conn: conn, onEvent: onEvent, waiting: map[int]chan bidiAnswer{}, gone: make(chan struct{})}
	go c.read()
	return c, nil
}

// read dispatches messages until the connection ends.
func (c *bidi) read() {
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			close(c.gone)
			return
		}
		var a bidiAnswer
		if json.Unmarshal(data, &a) != nil {
			continue
		}
		if a.Type == "event" {
			if c.onEvent != nil {
				c.onEvent(a.Method, a.Params)
			}
			continue
		}
		c.mu.Lock()
		ch := c.waiting[a.ID]
		delete(c.waiting, a.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- a
		}
	}
}

// call sends a command and decodes its result into res (nil: ignored).
func (c *bidi) call(ctx context.Context, method string, params, res any) error {
	if params == nil {
		params = struct{}{}
	}
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan bidiAnswer, 1)
	c.waiting[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiting, id)
		c.mu.Unlock()
	}()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return fmt.Errorf("%s: encoding: %w", method, err)
	}
	if err := c.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		return fmt.Errorf("%s: %w", method, c.why(err))
	}
	select {
	case a := <-ch:
		if a.Type == "error" || a.Error != "" {
			return fmt.Errorf("%s: %w: %s: %s", method, errBiDi, a.Error, a.Message)
		}
		if res != nil {
			if err := json.Unmarshal(a.Result, res); err != nil {
				return fmt.Errorf("%s: decoding %.200s: %w", method, a.Result, err)
			}
		}
		return nil
	case <-c.gone:
		return fmt.Errorf("%s: %w", method, c.why(nil))
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// why is the error to report for a connection that failed.
func (c *bidi) why(err error) error {
	select {
	case <-c.gone:
		c.mu.Lock()
		defer c.mu.Unlock()
		return fmt.Errorf("the connection to the browser ended: %v", c.err)
	default:
		return err
	}
}

// closed says whether the connection ended.
func (c *bidi) closed() bool {
	select {
	case <-c.gone:
		return true
	default:
		return false
	}
}

// close ends the connection.
func (c *bidi) close() { c.conn.Close(websocket.StatusNormalClosure, "") }
