package harness

import "github.com/corslab/corslab/engine"

// pageRequest is what the page is asked to do; it is passed to the page's
// JavaScript as JSON.
type pageRequest struct {
	URL         string      `json:"url"`
	Method      string      `json:"method"`
	Headers     [][2]string `json:"headers"`
	Credentials string      `json:"credentials,omitempty"`
	Mode        string      `json:"mode,omitempty"`
	Redirect    string      `json:"redirect,omitempty"`
	Body        *string     `json:"body,omitempty"`
	API         string      `json:"api"`
}

// pageResult is what the page's JavaScript returns.
type pageResult struct {
	OK         bool        `json:"ok"`
	Status     int         `json:"status"`
	StatusText string      `json:"statusText"`
	Type       string      `json:"type"`
	Headers    [][2]string `json:"headers"`
	Body       string      `json:"body"`
	Redirected bool        `json:"redirected"`
	URL        string      `json:"url"`
	Error      string      `json:"error"`
	Name       string      `json:"name"`
}

// pageFunc runs one request with fetch() or XMLHttpRequest and reports what
// JavaScript could see. Errors are caught: the page sees only a TypeError.
const pageFunc = `async (s) => {
  if (s.api === 'xhr') {
    return await new Promise((resolve) => {
      const x = new XMLHttpRequest();
      try {
        x.open(s.method, s.url, true);
        x.withCredentials = s.credentials === 'include';
        for (const [k, v] of s.headers) x.setRequestHeader(k, v);
      } catch (e) { resolve({ok: false, error: String(e), name: e.name}); return; }
      x.onload = () => {
        const headers = [];
        for (const line of x.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
          if (!line) continue;
          const i = line.indexOf(':');
          headers.push([line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()]);
        }
        resolve({ok: true, status: x.status, statusText: x.statusText, type: '', headers, body: x.responseText, url: x.responseURL, redirected: false});
      };
      x.onerror = () => resolve({ok: false, error: 'XMLHttpRequest error event (network error)', name: 'NetworkError'});
      x.ontimeout = () => resolve({ok: false, error: 'XMLHttpRequest timeout', name: 'TimeoutError'});
      try { x.send(s.body === undefined ? null : s.body); } catch (e) { resolve({ok: false, error: String(e), name: e.name}); }
    });
  }
  const init = {method: s.method, headers: s.headers};
  if (s.credentials) init.credentials = s.credentials;
  if (s.mode) init.mode = s.mode;
  if (s.redirect) init.redirect = s.redirect;
  if (s.body !== undefined) init.body = s.body;
  try {
    const r = await fetch(s.url, init);
    const headers = [];
    r.headers.forEach((v, k) => headers.push([k, v]));
    let body = '';
    try { body = await r.text(); } catch (e) { body = ''; }
    return {ok: true, status: r.status, statusText: r.statusText, type: r.type, headers, body, redirected: r.redirected, url: r.url};
  } catch (e) {
    return {ok: false, error: String(e), name: e.name};
  }
}`

// sandboxedFunc runs pageFunc in the sandboxed frame (opaque origin
// "null") of foo's /__corslab/sandboxed page, which posts it the function's
// source and argument.
const sandboxedFunc = "async (s) => window.__sandboxed(" + pageFunc + ", s)"

// outcome is what the driver needs to know of the page's result to settle.
func (r pageResult) outcome() engine.PageOutcome {
	return engine.PageOutcome{OK: r.OK, Type: r.Type, Error: r.Error, ErrorName: r.Name}
}
