package webkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// client speaks classic WebDriver (https://www.w3.org/TR/webdriver2/) to
// one WebKitWebDriver on loopback: the few commands the driver needs.
type client struct {
	base    string // http://127.0.0.1:PORT
	session string // the session id, once created
	http    *http.Client
}

// wdError is an error the remote end answered with
// (https://www.w3.org/TR/webdriver2/#errors).
type wdError struct {
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *wdError) Error() string { return "WebDriver " + e.Code + ": " + e.Message }

// do sends one command and decodes the "value" of its answer into out (nil
// to drop it).
func (c *client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encoding %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("%s %s: HTTP %d, not a WebDriver answer: %.200q", method, path, resp.StatusCode, raw)
	}
	if resp.StatusCode != http.StatusOK {
		var we wdError
		if json.Unmarshal(env.Value, &we) == nil && we.Code != "" {
			return fmt.Errorf("%s %s: %w", method, path, &we)
		}
		return fmt.Errorf("%s %s: HTTP %d: %.200q", method, path, resp.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Value, out); err != nil {
		return fmt.Errorf("%s %s: decoding %.200q: %w", method, path, env.Value, err)
	}
	return nil
}

// ready asks the remote end whether it can create a session.
func (c *client) ready(ctx context.Context) bool {
	var st struct {
		Ready bool `json:"ready"`
	}
	return c.do(ctx, http.MethodGet, "/status", nil, &st) == nil && st.Ready
}

// newSession starts MiniBrowser under automation. binary, when not empty,
// is the browser to start instead of the driver's default MiniBrowser.
// The args must keep "--automation": any args replace the driver's
// default, and without it the session never comes up.
func (c *client) newSession(ctx context.Context, binary string) (product, version string, err error) {
	opts := map[string]any{"args": []string{"--automation"}}
	if binary != "" {
		opts["binary"] = binary
	}
	in := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{"webkitgtk:browserOptions": opts}}}
	var out struct {
		SessionID    string `json:"sessionId"`
		Capabilities struct {
			BrowserName    string `json:"browserName"`
			BrowserVersion string `json:"browserVersion"`
		} `json:"capabilities"`
	}
	if err := c.do(ctx, http.MethodPost, "/session", in, &out); err != nil {
		return "", "", err
	}
	c.session = out.SessionID
	// Scripts end with the caller's context, not the driver's 30 s.
	if err := c.cmd(ctx, http.MethodPost, "/timeouts", map[string]any{"script": 600000}, nil); err != nil {
		return "", "", err
	}
	return out.Capabilities.BrowserName, out.Capabilities.BrowserVersion, nil
}

// cmd sends a command of the session.
func (c *client) cmd(ctx context.Context, method, path string, in, out any) error {
	if c.session == "" {
		return fmt.Errorf("%s %s: no WebDriver session", method, path)
	}
	return c.do(ctx, method, "/session/"+c.session+path, in, out)
}

// deleteSession ends the session: the driver closes MiniBrowser.
func (c *client) deleteSession(ctx context.Context) error {
	if c.session == "" {
		return nil
	}
	err := c.do(ctx, http.MethodDelete, "/session/"+c.session, nil, nil)
	c.session = ""
	return err
}

// newWindow opens a top-level browsing context and returns its handle.
func (c *client) newWindow(ctx context.Context) (string, error) {
	var out struct {
		Handle string `json:"handle"`
	}
	if err := c.cmd(ctx, http.MethodPost, "/window/new", map[string]string{"type": "tab"}, &out); err != nil {
		return "", err
	}
	return out.Handle, nil
}

// switchTo makes a window the current browsing context.
func (c *client) switchTo(ctx context.Context, handle string) error {
	return c.cmd(ctx, http.MethodPost, "/window", map[string]string{"handle": handle}, nil)
}

// closeWindow closes the current window.
func (c *client) closeWindow(ctx context.Context) error {
	return c.cmd(ctx, http.MethodDelete, "/window", nil, nil)
}

// navigate loads url in the current window and waits for it to load.
func (c *client) navigate(ctx context.Context, url string) error {
	return c.cmd(ctx, http.MethodPost, "/url", map[string]string{"url": url}, nil)
}

// execute runs a script's body synchronously and decodes its return value.
func (c *client) execute(ctx context.Context, script string, args []any, out any) error {
	if args == nil {
		args = []any{}
	}
	return c.cmd(ctx, http.MethodPost, "/execute/sync", map[string]any{"script": script, "args": args}, out)
}

// executeAsync runs a script's body that calls its last argument with the
// result, and decodes that.
func (c *client) executeAsync(ctx context.Context, script string, args []any, out any) error {
	if args == nil {
		args = []any{}
	}
	return c.cmd(ctx, http.MethodPost, "/execute/async", map[string]any{"script": script, "args": args}, out)
}

// isNoSession says whether err means the browser or its session is gone.
func isNoSession(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "invalid session id") || strings.Contains(s, "connection refused") ||
		strings.Contains(s, "EOF")
}
