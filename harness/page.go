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
	// CrossOrigin is an element's crossorigin attribute ("" for none).
	CrossOrigin string `json:"crossorigin,omitempty"`
	// Upload registers an XMLHttpRequest upload listener before send().
	Upload bool `json:"upload,omitempty"`
	// Timing asks for the request's PerformanceResourceTiming entry.
	Timing bool `json:"timing,omitempty"`
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
	// Tainted, for an img or a stylesheet that loaded: reading it (canvas
	// getImageData, cssRules) threw a SecurityError; TaintError says what
	// was thrown. Nil when not looked at.
	Tainted    *bool  `json:"tainted"`
	TaintError string `json:"taintError"`
	// ScriptErrors are the error events window got while a script ran.
	ScriptErrors []scriptError `json:"scriptErrors"`
	// Timing is the request's PerformanceResourceTiming entry, when asked
	// for and found.
	Timing *resourceTiming `json:"timing"`
}

// scriptError is one error event window got: muted, it is "Script error."
// at line 0 with no error object.
type scriptError struct {
	Message  string `json:"message"`
	Filename string `json:"filename"`
	Line     int    `json:"lineno"`
	Column   int    `json:"colno"`
	HasError bool   `json:"hasError"`
}

// muted says whether the browser muted the error: the message replaced
// by "Script error.", no position and no error object.
func (e scriptError) muted() bool {
	return e.Message == "Script error." && e.Line == 0 && e.Column == 0 && !e.HasError
}

// resourceTiming holds the detailed fields of a PerformanceResourceTiming
// entry that the Timing-Allow-Origin check hides (zero when it fails).
type resourceTiming struct {
	RequestStart    float64 `json:"requestStart"`
	ResponseStart   float64 `json:"responseStart"`
	DomainLookupEnd float64 `json:"domainLookupEnd"`
	ConnectEnd      float64 `json:"connectEnd"`
	TransferSize    float64 `json:"transferSize"`
}

// detailed says whether the entry has its detailed timing.
func (t resourceTiming) detailed() bool { return t.RequestStart > 0 && t.ResponseStart > 0 }

// pageFunc runs one request with fetch() or XMLHttpRequest, or loads an
// element (elementFunc), and reports what JavaScript could see; with
// s.timing it adds the URL's PerformanceResourceTiming fields, clearing the
// page's timing buffer first. Errors are caught: the page sees only a
// TypeError (fetch) or an error event (XMLHttpRequest, elements).
const pageFunc = `async (s) => {
  const element = ` + elementFunc + `;
  const timing = async (r) => {
    if (!s.timing) return r;
    for (let i = 0; i < 50; i++) {
      const e = performance.getEntriesByName(s.url).pop();
      if (e) { r.timing = {requestStart: e.requestStart, responseStart: e.responseStart, domainLookupEnd: e.domainLookupEnd, connectEnd: e.connectEnd, transferSize: e.transferSize}; return r; }
      await new Promise((w) => setTimeout(w, 10));
    }
    return r;
  };
  if (s.timing) performance.clearResourceTimings();
  if (s.api !== 'fetch' && s.api !== 'xhr') return await timing(await element(s));
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
        resolve(timing({ok: true, status: x.status, statusText: x.statusText, type: '', headers, body: x.responseText, url: x.responseURL, redirected: false}));
      };
      x.onerror = () => resolve({ok: false, error: 'XMLHttpRequest error event (network error)', name: 'NetworkError'});
      x.ontimeout = () => resolve({ok: false, error: 'XMLHttpRequest timeout', name: 'TimeoutError'});
      if (s.upload) x.upload.onprogress = () => {};
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
    return await timing({ok: true, status: r.status, statusText: r.statusText, type: r.type, headers, body, redirected: r.redirected, url: r.url});
  } catch (e) {
    return {ok: false, error: String(e), name: e.name};
  }
}`

// elementFunc loads s.url with an element (img, script, module,
// stylesheet) or a FontFace (font), with the crossorigin attribute asked
// for, and reports its load or error event; for an image it draws it on a
// canvas and reads a pixel back, for a stylesheet it reads cssRules, for a
// script it collects the error events window gets while it runs.
const elementFunc = `async (s) => {
  const failed = (what) => ({ok: false, error: what + ': error event (network error)', name: 'NetworkError'});
  const loaded = (extra) => Object.assign({ok: true, status: 0, statusText: '', type: '', headers: [], body: '', redirected: false, url: ''}, extra);
  const readable = (read) => { try { read(); return {tainted: false}; } catch (e) { return {tainted: e.name === 'SecurityError', taintError: String(e)}; } };
  if (s.api === 'font') {
    const face = new FontFace('corslab-' + Math.random().toString(36).slice(2), 'url("' + s.url + '")');
    try { await face.load(); } catch (e) { return {ok: false, error: 'FontFace.load() rejected: ' + String(e), name: 'NetworkError'}; }
    return face.status === 'loaded' ? loaded({}) : failed('FontFace ' + face.status);
  }
  const script = s.api === 'script' || s.api === 'module';
  const errors = [];
  const onError = (e) => { errors.push({message: String(e.message), filename: String(e.filename || ''), lineno: e.lineno || 0, colno: e.colno || 0, hasError: e.error != null}); e.preventDefault(); };
  return await new Promise((resolve) => {
    let el;
    if (s.api === 'img') el = new Image();
    else if (s.api === 'stylesheet') { el = document.createElement('link'); el.rel = 'stylesheet'; }
    else { el = document.createElement('script'); if (s.api === 'module') el.type = 'module'; }
    if (s.crossorigin) el.setAttribute('crossorigin', s.crossorigin);
    if (script) window.addEventListener('error', onError);
    const done = (r) => { if (script) window.removeEventListener('error', onError); el.remove(); resolve(r); };
    el.onload = () => {
      if (s.api === 'img') {
        return done(loaded(readable(() => { const c = document.createElement('canvas'); c.width = c.height = 1; const x = c.getContext('2d'); x.drawImage(el, 0, 0); x.getImageData(0, 0, 1, 1); })));
      }
      if (s.api === 'stylesheet') return done(loaded(readable(() => void el.sheet.cssRules.length)));
      // A module's error is reported when its evaluation promise settles.
      setTimeout(() => done(loaded({scriptErrors: errors})), 0);
    };
    el.onerror = () => done(failed('<' + (s.api === 'img' ? 'img' : s.api === 'stylesheet' ? 'link rel=stylesheet' : s.api === 'module' ? 'script type=module' : 'script') + '>'));
    if (s.api === 'stylesheet') el.href = s.url; else el.src = s.url;
    if (s.api !== 'img') document.head.appendChild(el);
  });
}`

// sandboxedFunc runs pageFunc in the sandboxed frame (opaque origin
// "null") of foo's /__corslab/sandboxed page, which posts it the function's
// source and argument.
const sandboxedFunc = "async (s) => window.__sandboxed(" + pageFunc + ", s)"

// outcome is what the driver needs to know of the page's result to settle.
func (r pageResult) outcome() engine.PageOutcome {
	return engine.PageOutcome{OK: r.OK, Type: r.Type, Error: r.Error, ErrorName: r.Name}
}
