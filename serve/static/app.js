// corslab playground: the form edits one scenario (the same document
// `corslab run --file` reads), runs it in this browser and headless, and
// draws the three sides. Nothing here is loaded from the network.
'use strict';
const $ = (id) => document.getElementById(id);
let catalog = [];
let sc = null; // the scenario being edited

function headersToText(h) {
  const lines = [];
  for (const [k, v] of Object.entries(h || {})) for (const x of [].concat(v)) lines.push(k + ': ' + x);
  return lines.join('\n');
}
function textToHeaders(t) {
  const h = {};
  for (const line of t.split('\n')) {
    if (!line.trim()) continue;
    const i = line.indexOf(':');
    const k = (i < 0 ? line : line.slice(0, i)).trim();
    const v = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (k in h) h[k] = [].concat(h[k], v); else h[k] = v;
  }
  return Object.keys(h).length ? h : undefined;
}
function redirectsToText(rs) {
  return (rs || []).map((r) => (r.status || 302) + ' ' + (r.to || r.location || '')).join('\n');
}
function textToRedirects(t, old) {
  const out = [];
  t.split('\n').filter((l) => l.trim()).forEach((line, i) => {
    const [st, ...rest] = line.trim().split(/\s+/);
    const target = rest.join(' ');
    const r = Object.assign({}, (old || [])[i] || {});
    delete r.to; delete r.location;
    r.status = parseInt(st, 10) || 302;
    if (/[:{\/]/.test(target)) r.location = target; else if (target) r.to = target;
    out.push(r);
  });
  return out.length ? out : undefined;
}
const clean = (o) => { for (const k of Object.keys(o)) if (o[k] === undefined || o[k] === '') delete o[k]; return o; };

// fill puts the scenario into the form.
function fill(s) {
  sc = JSON.parse(JSON.stringify(s));
  delete sc.source;
  if (catalog.some((x) => x.name === sc.name && x.group === sc.group)) {
    $('group').value = sc.group; names(); $('scenario').value = sc.name;
  }
  const r = sc.request || {}, sv = sc.server || {}, res = sv.response || {}, pf = sv.preflight;
  $('page').value = sc.page || ''; $('api').value = r.api || ''; $('method').value = r.method || '';
  $('path').value = r.path || ''; $('reqHeaders').value = headersToText(r.headers);
  $('credentials').value = r.credentials || ''; $('mode').value = r.mode || ''; $('redirect').value = r.redirect || '';
  $('reqBody').value = r.body || '';
  $('pfOn').checked = !!pf; $('pfStatus').value = pf && pf.status || ''; $('pfHeaders').value = pf ? headersToText(pf.headers) : '';
  $('resStatus').value = res.status || ''; $('resReason').value = res.reason == null ? '' : res.reason;
  $('resHeaders').value = headersToText(res.headers); $('resBody').value = res.body || '';
  $('redirects').value = redirectsToText(sv.redirects);
  const e = sc.expect || {};
  $('expOutcome').value = e.outcome || 'allowed';
  $('expPreflight').value = e.preflight === undefined ? '' : String(e.preflight);
  $('lesson').textContent = (sc.lesson || '') + (sc.steps && sc.steps.length ? ' (This scenario has ' + sc.steps.length + ' steps: edit them in the JSON below.)' : '');
  $('pfBox').hidden = !$('pfOn').checked;
  showDoc();
}

// read takes the form into the scenario.
function read() {
  const s = sc || {name: 'playground', group: 'playground', expect: {}};
  s.page = $('page').value.trim() || undefined;
  const r = s.request = Object.assign({}, s.request || {});
  Object.assign(r, {api: $('api').value, method: $('method').value, path: $('path').value, headers: textToHeaders($('reqHeaders').value),
    credentials: $('credentials').value, mode: $('mode').value, redirect: $('redirect').value, body: $('reqBody').value});
  clean(r);
  const sv = s.server = Object.assign({}, s.server || {});
  if ($('pfOn').checked) {
    sv.preflight = clean(Object.assign({}, sv.preflight || {}, {status: parseInt($('pfStatus').value, 10) || undefined, headers: textToHeaders($('pfHeaders').value)}));
  } else delete sv.preflight;
  const res = sv.response = Object.assign({}, sv.response || {});
  Object.assign(res, {status: parseInt($('resStatus').value, 10) || undefined, headers: textToHeaders($('resHeaders').value), body: $('resBody').value});
  res.reason = $('resReason').value === '' ? undefined : $('resReason').value;
  clean(res);
  sv.redirects = textToRedirects($('redirects').value, sv.redirects);
  clean(sv);
  const e = s.expect = Object.assign({}, s.expect || {});
  e.outcome = $('expOutcome').value;
  if ($('expPreflight').value === '') delete e.preflight; else e.preflight = $('expPreflight').value === 'true';
  clean(s);
  sc = s;
  return s;
}
function showDoc() { $('doc').value = JSON.stringify({scenarios: [sc]}, null, 2); }
function docText() { read(); showDoc(); return $('doc').value; }

async function api(method, url, body) {
  const init = {method, headers: {}};
  if (body !== undefined) { init.body = body; init.headers['Content-Type'] = 'application/json'; }
  const r = await fetch(url, init);
  const text = await r.text();
  if (!r.ok) throw new Error(text.trim() || r.status + ' ' + r.statusText);
  return text ? JSON.parse(text) : null;
}
function fail(err) { $('error').textContent = String(err.message || err); }
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (k === 'class') e.className = v; else e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
}

// frameFor returns a function that runs the page function on a step's page.
const frames = {};
async function runOn(v, st) {
  if (st.page === 'foo') return (0, eval)('(' + v.function + ')')(st.call);
  if (st.page === 'sandboxed') {
    const f = await frame('sandboxed', location.origin + '/__corslab/sandboxed');
    await f.contentWindow.__sbReady;
    return f.contentWindow.__sandboxed(v.function, st.call);
  }
  const f = await frame(st.page, st.origin + '/play/frame?parent=' + encodeURIComponent(location.origin));
  const id = Math.random().toString(36).slice(2);
  return new Promise((resolve) => {
    const h = (e) => { if (e.origin === st.origin && e.data && e.data.id === id) { removeEventListener('message', h); resolve(e.data.r); } };
    addEventListener('message', h);
    f.contentWindow.postMessage({id, fn: v.function, arg: st.call}, st.origin);
  });
}
function frame(key, src) {
  if (frames[key]) return frames[key];
  frames[key] = new Promise((resolve) => {
    const f = el('iframe', {src, hidden: '', title: 'page ' + key});
    if (key === 'sandboxed') f.addEventListener('load', () => resolve(f));
    else addEventListener('message', function h(e) { if (e.source === f.contentWindow && e.data && e.data.ready) { removeEventListener('message', h); resolve(f); } });
    document.body.append(f);
  });
  return frames[key];
}

function journalItem(e) {
  // The request line and header lines exactly as they arrived, in order.
  const lines = [e.request_line || e.method + ' ' + e.path];
  if (e.header_lines) for (const [k, v] of e.header_lines) lines.push(k + ': ' + v);
  else for (const [k, v] of Object.entries(e.headers || {})) for (const x of [].concat(v)) lines.push(k + ': ' + x);
  lines.push('→ bar answered ' + (e.status || '') + (e.answer ? ' (' + e.answer + ')' : ''));
  return el('li', {class: e.preflight ? 'preflight' : 'request'}, (e.preflight ? 'preflight: ' : '') + lines.join('\n'));
}
// browserName names the visitor's browser from its user agent.
function browserName() {
  const m = navigator.userAgent.match(/(Firefox|Edg|Chrome|Version)\/(\d+)/);
  if (!m) return 'your browser';
  const name = {Edg: 'Edge', Version: /Safari/.test(navigator.userAgent) ? 'Safari' : 'browser'}[m[1]] || m[1];
  return 'your browser (' + name + ' ' + m[2] + ')';
}
function verdictLine(run) {
  const r = run.scenarios[0];
  const p = el('p', {class: 'verdict ' + r.verdict}, r.verdict === 'pass' ? '✓ matches what you expect' : r.verdict === 'fail' ? '✗ differs from what you expect' : '! could not be observed');
  const out = [p];
  const m = (r.mismatches || []).concat(r.error ? [r.error] : []);
  if (m.length) out.push(el('pre', {class: 'mismatches'}, m.join('\n')));
  return out;
}
function sawLine(o) {
  if (!o) return el('p', {}, 'nothing observed');
  const parts = ['outcome: ' + o.outcome, 'preflight: ' + o.preflight, 'reached bar: ' + o.reached_server];
  if (o.status) parts.push('status: ' + o.status + (o.status_text ? ' ' + o.status_text : ''));
  if (o.response_type) parts.push('type: ' + o.response_type);
  if (o.cors_error) parts.push('reason: ' + o.cors_error);
  if (o.js_error) parts.push('JavaScript saw: ' + o.js_error);
  return el('pre', {class: 'observed'}, parts.join('\n'));
}
// departure says where an observation differs from the standard's
// prediction, in the fields both know.
function departure(o, p) {
  if (!o || !p) return null;
  const d = [];
  if (p.outcome && o.outcome !== p.outcome) d.push('the standard says ' + p.outcome + (p.failed_at ? ' (it fails at ' + p.failed_at.algorithm + ' step ' + p.failed_at.step + ': ' + p.failed_at.says + ')' : '') + '; this browser: ' + o.outcome);
  if (p.preflight !== undefined && o.preflight !== p.preflight) d.push('the standard ' + (p.preflight ? 'sends' : 'sends no') + ' preflight; this browser ' + (o.preflight ? 'sent one' : 'sent none'));
  return d.length ? el('p', {class: 'departure fail'}, 'Departs from the Fetch standard: ' + d.join('; ') + '.') : el('p', {class: 'departure note'}, 'Agrees with the Fetch standard on outcome and preflight.');
}
function reportFrame(html) {
  const f = el('iframe', {class: 'report', title: 'the report card'});
  f.srcdoc = html;
  return f;
}
function drawModel(model) {
  const box = $('model');
  box.replaceChildren(el('h2', {}, 'What the Fetch standard says'));
  (model || []).forEach((m, i) => {
    const p = m.predicted || {};
    if (model.length > 1) box.append(el('h3', {}, 'Step ' + (i + 1)));
    box.append(el('p', {class: 'verdict'}, 'A browser that follows the standard: ' + (p.outcome || 'not predicted') +
      (p.preflight === undefined ? '' : p.preflight ? ', with a preflight' : ', no preflight') +
      (p.failed_at ? ' — fails at ' + p.failed_at.algorithm + ' step ' + p.failed_at.step : '')));
    const ol = el('ol', {class: 'trace'});
    for (const t of m.trace || []) {
      const li = el('li', {class: t.outcome === 'failed' ? 'failed' : ''});
      li.append(el('a', {href: t.url, target: '_blank', rel: 'noopener'}, t.algorithm + ' ' + t.step), ': ' + t.says + (t.saw ? ' (' + t.saw + ')' : '') + ' — ' + t.outcome);
      ol.append(li);
    }
    box.append(ol);
  });
}

async function runMine() {
  const box = $('mine');
  box.replaceChildren(el('h2', {}, 'Your browser'), el('p', {class: 'note'}, 'running…'));
  const v = await api('POST', '/api/visit', docText());
  drawModel(v.model);
  const journal = el('ol', {class: 'journal', id: 'mineJournal'});
  const es = new EventSource('/api/visit/' + v.id + '/journal');
  es.addEventListener('entry', (e) => journal.append(journalItem(JSON.parse(e.data))));
  const saw = el('div', {id: 'mineSaw'});
  box.replaceChildren(el('h2', {}, browserName()), el('h3', {}, 'What the page’s JavaScript saw'), saw,
    el('h3', {}, 'What bar received (live)'), journal);
  try {
    for (let i = 0; i < v.steps.length; i++) {
      const st = v.steps[i];
      if (st.after_ms) await new Promise((r) => setTimeout(r, st.after_ms));
      await api('POST', '/api/visit/' + v.id + '/begin?step=' + i);
      const got = await runOn(v, st);
      const sr = await api('POST', '/api/visit/' + v.id + '/finish?step=' + i, JSON.stringify(got));
      saw.append(sawLine(sr.observed));
      const dep = departure(sr.observed, v.model && v.model[i] && v.model[i].predicted);
      if (dep) saw.append(dep);
    }
  } finally {
    const end = await api('POST', '/api/visit/' + v.id + '/end');
    es.close();
    box.insertBefore(el('div', {id: 'mineVerdict'}, ...verdictLine(end.run)), box.children[1]);
    box.append(el('p', {class: 'note'}, 'Not observable from a page: ' + v.unobservable.join(', ') + ' (your browser tells them only in its devtools console).'));
    box.append(reportFrame(end.html));
  }
}
async function runHeadless() {
  const box = $('headless');
  box.replaceChildren(el('h2', {}, 'Headless Chromium'), el('p', {class: 'note'}, 'running…'));
  const doc = docText();
  const [out, model] = await Promise.all([api('POST', '/api/run?engine=chromium&format=page', doc), api('POST', '/api/predict', doc)]);
  const r = out.run.scenarios[0];
  box.replaceChildren(el('h2', {}, out.run.browser), el('div', {id: 'headlessVerdict'}, ...verdictLine(out.run)), sawLine(r.observed));
  const steps = model.scenarios[0].steps;
  const dep = departure(r.observed, steps[steps.length - 1].predicted);
  if (dep) box.append(dep);
  const journal = el('ol', {class: 'journal', id: 'headlessJournal'});
  for (const e of (r.observed && r.observed.requests) || []) journal.append(journalItem(e));
  box.append(el('h3', {}, 'What bar received'), journal, reportFrame(out.html));
  if (!$('mine').querySelector('#mineVerdict')) drawModel(model.scenarios[0].steps);
}
const guard = (f) => async () => { $('error').textContent = ''; try { await f(); } catch (e) { fail(e); } };

function shareLink() {
  const b = btoa(String.fromCharCode(...new TextEncoder().encode(docText())));
  return location.origin + location.pathname + '#s=' + b.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function fromLink() {
  const m = location.hash.match(/^#s=([A-Za-z0-9_-]+)$/);
  if (!m) return false;
  const b = atob(m[1].replace(/-/g, '+').replace(/_/g, '/'));
  const doc = JSON.parse(new TextDecoder().decode(Uint8Array.from(b, (c) => c.charCodeAt(0))));
  fill(doc.scenarios[0]);
  $('shared').textContent = 'Filled from a shared link.';
  return true;
}

function groups() {
  const g = [...new Set(catalog.map((s) => s.group))];
  $('group').replaceChildren(...g.map((x) => el('option', {}, x)));
}
function names() {
  const g = $('group').value;
  $('scenario').replaceChildren(...catalog.filter((s) => s.group === g).map((s) => el('option', {}, s.name)));
}
function pick() {
  const s = catalog.find((x) => x.name === $('scenario').value);
  if (s) fill(s);
}

async function init() {
  $('fooOrigin').textContent = location.origin;
  catalog = (await api('GET', '/api/catalog')).scenarios;
  groups(); names();
  if (!fromLink()) {
    $('group').value = 'preflight'; names(); $('scenario').value = 'preflight-delete-api-key'; pick();
  }
  $('group').addEventListener('change', () => { names(); pick(); });
  $('scenario').addEventListener('change', pick);
  $('form').addEventListener('input', (e) => { if (e.target.id !== 'doc') { read(); showDoc(); } $('pfBox').hidden = !$('pfOn').checked; });
  $('applyDoc').addEventListener('click', guard(async () => { fill(JSON.parse($('doc').value).scenarios[0]); }));
  $('upload').addEventListener('change', guard(async () => {
    const f = $('upload').files[0];
    if (!f) return;
    const r = await fetch('/api/parse', {method: 'POST', headers: {'Content-Type': 'application/yaml'}, body: await f.text()});
    const t = await r.text();
    if (!r.ok) throw new Error(t.replace('request body', f.name));
    fill(JSON.parse(t).scenarios[0]);
  }));
  $('runMine').addEventListener('click', guard(runMine));
  $('runHeadless').addEventListener('click', guard(runHeadless));
  $('runBoth').addEventListener('click', guard(async () => { await Promise.all([runMine(), runHeadless()]); }));
  $('share').addEventListener('click', guard(async () => {
    const link = shareLink();
    history.replaceState(null, '', link);
    try { await navigator.clipboard.writeText(link); $('shared').textContent = 'Link copied: it fills this form.'; } catch (e) { $('shared').textContent = link; }
  }));
  $('download').addEventListener('click', guard(async () => {
    const r = await fetch('/api/yaml', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: docText()});
    const t = await r.text();
    if (!r.ok) throw new Error(t);
    const a = el('a', {href: URL.createObjectURL(new Blob([t], {type: 'application/yaml'})), download: (sc.name || 'scenario') + '.yaml'});
    document.body.append(a); a.click(); a.remove();
  }));
  document.body.dataset.ready = 'true';
}
init().catch(fail);
