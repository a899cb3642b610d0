// The Ficus dashboard: a hand-written ES module (no build step) over the admin API
// (specs/admin-api.openapi.yaml). Every data call carries the bearer token kept in
// sessionStorage; a 401 shows the login form and nothing else. All data is put into the DOM as
// text nodes (never innerHTML), so recorded requests and responses cannot inject markup.

const POLL_MS = 2000;
const TOKEN_KEY = 'ficus.adminToken';
const ACTOR_KEY = 'ficus.actor';
const REDACTED = '[redacted]';
const SVG_NS = 'http://www.w3.org/2000/svg';

const main = document.getElementById('main');
const actorInput = /** @type {HTMLInputElement} */ (document.getElementById('actor'));

const state = {
  /** @type {string | null} */ token: sessionStorage.getItem(TOKEN_KEY),
  /** @type {any[]} */ routes: [],
  /** @type {Record<string, any[]>} */ history: {},
  authed: false,
  /** Bumped on navigation so late answers for an old view are dropped. */
  generation: 0,
};

class Unauthorized extends Error {}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the admin API; a 401 means log in again. */
async function api(path, { method = 'GET', body, actor } = {}) {
  const headers = { accept: 'application/json' };
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (actor) headers['x-ficus-actor'] = actor;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  if (res.status === 401) throw new Unauthorized();
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, json.error?.code ?? 'HTTP', json.error?.message ?? `HTTP ${res.status}`);
  return json;
}

// ---------------------------------------------------------------- DOM helpers

/** Creates an element; attrs starting with "on" are listeners; children are nodes or text. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const pct = (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(x >= 0.9995 || x === 0 ? 0 : 1)} %`);
const num = (x) => (x === null || x === undefined ? '–' : Number(x).toLocaleString('en'));
const ms = (x) => (x === null || x === undefined ? '–' : `${x > 0 ? '+' : ''}${Math.round(x * 10) / 10} ms`);
const when = (iso) => new Date(iso).toLocaleString('en-GB', { hour12: false });
const ago = (iso) => {
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : when(iso);
};

// ---------------------------------------------------------------- login

function showLogin(message) {
  state.authed = false;
  document.getElementById('nav').hidden = true;
  document.getElementById('who').hidden = true;
  const input = h('input', { type: 'password', name: 'token', id: 'token', required: true, autocomplete: 'current-password', placeholder: 'admin token' });
  const form = h(
    'form',
    {
      class: 'login card',
      id: 'login',
      onsubmit: (e) => {
        e.preventDefault();
        state.token = input.value.trim();
        sessionStorage.setItem(TOKEN_KEY, state.token);
        void start();
      },
    },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Enter the gateway admin token (gateway.adminToken or FICUS_ADMIN_TOKEN). It is kept in this tab only.'),
    message ? h('p', { class: 'error' }, message) : null,
    h('label', {}, 'Admin token ', input),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')),
  );
  replace(main, form);
  input.focus();
}

function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.routes = [];
  state.history = {};
  showLogin();
}

// ---------------------------------------------------------------- charts

/** A confidence-over-time chart: the Wilson interval as a band, the lower bound as a line. */
function confidenceChart(points, { width = 140, height = 32, axes = false } = {}) {
  const pad = axes ? { l: 34, r: 8, t: 8, b: 18 } : { l: 1, r: 1, t: 2, b: 2 };
  const w = width - pad.l - pad.r;
  const ht = height - pad.t - pad.b;
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': 'confidence over time' });
  const y = (v) => pad.t + (1 - v) * ht;
  if (axes) {
    for (const v of [0, 0.5, 0.99]) {
      svg.append(s('line', { x1: pad.l, x2: pad.l + w, y1: y(v), y2: y(v), class: v === 0.99 ? 'target' : 'grid' }));
      svg.append(s('text', { x: pad.l - 4, y: y(v) + 3, class: 'axis', 'text-anchor': 'end' }, v === 0.99 ? '99%' : `${v * 100}%`));
    }
  } else {
    svg.append(s('rect', { x: 0, y: 0, width, height, class: 'frame' }));
  }
  if (points.length === 0) return svg;
  const n = points.length;
  const x = (i) => pad.l + (n === 1 ? w : (i / (n - 1)) * w);
  const band = points.map((p, i) => `${x(i).toFixed(1)},${y(p.upper).toFixed(1)}`).concat(points.map((p, i) => `${x(n - 1 - i).toFixed(1)},${y(points[n - 1 - i].confidence).toFixed(1)}`));
  svg.append(s('polygon', { points: band.join(' '), class: 'band' }));
  svg.append(s('polyline', { points: points.map((p, i) => `${x(i).toFixed(1)},${y(p.confidence).toFixed(1)}`).join(' '), class: 'line' }));
  const last = points[n - 1];
  svg.append(s('circle', { cx: x(n - 1), cy: y(last.confidence), r: axes ? 3 : 2, class: 'dot' }));
  if (axes) {
    svg.append(s('text', { x: pad.l, y: height - 4, class: 'axis' }, new Date(points[0].at).toLocaleTimeString('en-GB', { hour12: false })));
    svg.append(s('text', { x: pad.l + w, y: height - 4, class: 'axis', 'text-anchor': 'end' }, new Date(last.at).toLocaleTimeString('en-GB', { hour12: false })));
  }
  return svg;
}

function percentBar(percent) {
  const fill = h('span', { class: 'fill' });
  fill.style.width = `${Math.max(0, Math.min(100, percent))}%`;
  return h('span', { class: 'bar', title: `${percent} % of requests served by modern` }, fill, h('span', { class: 'label' }, `${percent} %`));
}

function modeBadge(mode) {
  return h('span', { class: `mode mode-${mode}` }, mode);
}

/** Spec violations legacy / modern, with how many responses were checked; '–' when nothing is checked. */
function specText(r) {
  const checked = (r.specChecked?.legacy ?? 0) + (r.specChecked?.modern ?? 0);
  if (checked === 0) return h('span', { class: 'muted', title: 'no response checked against the spec (gateway.specs)' }, '–');
  const v = r.specViolations ?? { legacy: 0, modern: 0 };
  return h(
    'span',
    { class: v.legacy + v.modern > 0 ? 'spec-bad' : '' },
    `${num(v.legacy)} / ${num(v.modern)}`,
    h('div', { class: 'muted small' }, `of ${num(r.specChecked.legacy)} / ${num(r.specChecked.modern)} checked`),
  );
}

function notComparedText(r) {
  const reasons = Object.entries(r.notComparedByReason ?? {}).filter(([, n]) => n > 0);
  if (reasons.length === 0) return num(r.notCompared);
  return h('span', {}, num(r.notCompared), ' ', h('span', { class: 'muted small' }, `(${reasons.map(([k, n]) => `${k.replace('_', ' ')} ${n}`).join(', ')})`));
}

// ---------------------------------------------------------------- views

/** The overview: every route, live. */
function routesView() {
  const pending = state.routes.filter((r) => r.pendingApproval);
  const rows = state.routes.map((r) =>
    h(
      'tr',
      { 'data-route': r.id },
      h('td', {}, h('a', { href: `#/route/${encodeURIComponent(r.id)}`, class: 'route-id' }, r.id), h('div', { class: 'muted small mono' }, r.match)),
      h('td', {}, modeBadge(r.mode)),
      h('td', {}, percentBar(r.modernPercent)),
      h('td', { class: 'num', 'data-field': 'confidence' }, h('strong', {}, pct(r.confidence)), h('div', { class: 'muted small' }, `95 % CI ${pct(r.confidenceInterval?.lower)}–${pct(r.confidenceInterval?.upper)}`)),
      h('td', {}, confidenceChart(state.history[r.id] ?? [])),
      h('td', { class: 'num', 'data-field': 'samples' }, num(r.samples)),
      h('td', { class: 'num' }, pct(r.matchRate), h('div', { class: 'muted small' }, `${num(r.matches)} / ${num(r.matches + r.mismatches)}`)),
      h('td', { class: 'num' }, notComparedText(r)),
      h('td', { class: 'num' }, num(r.fallbacks)),
      h('td', { class: 'num', 'data-field': 'spec' }, specText(r)),
      h('td', { class: 'num' }, ms(r.latencyDeltaMs?.p50), h('div', { class: 'muted small' }, `p95 ${ms(r.latencyDeltaMs?.p95)}`)),
      h('td', {}, r.pendingApproval ? h('button', { class: 'primary small', 'data-action': 'approve', onclick: () => approveDialog(r) }, `Approve → ${r.pendingApproval.mode} ${r.pendingApproval.percent} %`) : h('span', { class: 'muted' }, '–')),
    ),
  );
  return h(
    'section',
    {},
    pending.length ? h('div', { class: 'callout', id: 'pending' }, h('strong', {}, `${pending.length} step${pending.length > 1 ? 's' : ''} waiting for approval: `), pending.map((r) => h('a', { href: `#/route/${encodeURIComponent(r.id)}` }, r.id)).reduce((a, b) => [a, ', ', b])) : null,
    h('h1', {}, 'Routes'),
    state.routes.length === 0
      ? h('p', { class: 'muted' }, 'No routes configured (gateway.routes).')
      : h(
          'table',
          { class: 'routes', id: 'routes' },
          h(
            'thead',
            {},
            h('tr', {}, ['Route', 'Mode', 'To modern', 'Confidence', 'Over time', 'Samples', 'Match rate', 'Not compared', 'Fallbacks', 'Spec violations', 'Δ latency p50', 'Pending approval'].map((t) => h('th', {}, t))),
          ),
          h('tbody', {}, rows),
        ),
    h('p', { class: 'muted small' }, 'Confidence is the Wilson 95 % lower bound of the match rate since the last step; latency is modern − legacy on the same request. Updated every 2 s.'),
  );
}

function stat(label, value, sub) {
  return h('div', { class: 'stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), sub ? h('div', { class: 'muted small' }, sub) : null);
}

/** One route: figures, chart, actions, governing rules, noise, discrepancies. */
function routeHeader(r) {
  return h(
    'div',
    { id: 'route-summary' },
    h('div', { class: 'title-row' }, h('h1', {}, r.id, ' ', modeBadge(r.mode)), h('span', { class: 'mono muted' }, r.match)),
    r.pendingApproval
      ? h(
          'div',
          { class: 'callout' },
          h('strong', {}, `Waiting for approval: ${r.pendingApproval.mode} ${r.pendingApproval.percent} %. `),
          r.pendingApproval.reason,
          ' ',
          h('button', { class: 'primary small', 'data-action': 'approve', onclick: () => approveDialog(r) }, 'Approve'),
        )
      : null,
    h(
      'div',
      { class: 'stats' },
      stat('To modern', percentBar(r.modernPercent)),
      stat('Confidence', h('span', { 'data-field': 'confidence' }, pct(r.confidence)), `95 % CI ${pct(r.confidenceInterval?.lower)}–${pct(r.confidenceInterval?.upper)}; overall ${pct(r.overallConfidence)}`),
      stat('Samples', num(r.samples), `${num(r.sinceStep?.requests)} requests since last step`),
      stat('Match rate', pct(r.matchRate), `${num(r.matches)} matches, ${num(r.mismatches)} mismatches`),
      stat('Not compared', notComparedText(r)),
      stat('Errors / fallbacks', `${num(r.errors?.legacy)} / ${num(r.errors?.modern)} / ${num(r.fallbacks)}`, 'legacy / modern / fallbacks'),
      stat(
        'Spec violations',
        h('span', { 'data-field': 'spec', class: (r.specViolations?.legacy ?? 0) + (r.specViolations?.modern ?? 0) > 0 ? 'spec-bad' : '' }, `${num(r.specViolations?.legacy)} / ${num(r.specViolations?.modern)}`),
        `legacy / modern, of ${num(r.specChecked?.legacy)} / ${num(r.specChecked?.modern)} checked against gateway.specs`,
      ),
      stat('Δ latency', `${ms(r.latencyDeltaMs?.p50)}`, `p95 ${ms(r.latencyDeltaMs?.p95)} (modern − legacy)`),
    ),
    h('div', { class: 'chart-wrap card' }, h('h2', {}, 'Confidence over time'), confidenceChart(state.history[r.id] ?? [], { width: 640, height: 160, axes: true })),
    h(
      'div',
      { class: 'actions' },
      r.pendingApproval ? h('button', { class: 'primary', 'data-action': 'approve', onclick: () => approveDialog(r) }, 'Approve next step') : null,
      h('button', { 'data-action': 'mode', onclick: () => modeDialog(r) }, 'Set mode / percent'),
      h('button', { class: 'danger', 'data-action': 'rollback', onclick: () => rollbackDialog(r) }, 'Roll back to shadow'),
    ),
  );
}

function ruleCard(rule, { diffPaths = [] } = {}) {
  return h(
    'div',
    { class: 'rule card', 'data-rule': rule.id },
    h('div', { class: 'rule-head' }, h('span', { class: `kind kind-${rule.kind}` }, rule.kind), ' ', h('code', {}, rule.id), rule.paths?.length ? h('span', { class: 'rule-paths' }, ' explains ', rule.paths.map((p) => h('code', { class: 'diff-ref' }, p))) : null),
    h('p', { class: 'statement' }, rule.statement),
    rule.condition ? h('p', {}, h('span', { class: 'muted' }, 'When '), h('code', {}, rule.condition)) : null,
    rule.effects?.length ? h('ul', { class: 'effects' }, rule.effects.map((e) => h('li', {}, h('code', {}, e)))) : null,
    rule.fields?.length ? h('p', { class: 'small' }, h('span', { class: 'muted' }, 'Fields '), rule.fields.map((f) => h('code', { class: 'field' }, f))) : null,
    h('p', { class: 'evidence small' }, h('span', { class: 'muted' }, 'Source '), rule.evidence.map((e) => h('code', { class: 'src' }, `${e.path}:${e.startLine}${e.endLine !== e.startLine ? `–${e.endLine}` : ''}`))),
    diffPaths.length ? null : null,
  );
}

async function routeView(id) {
  const gen = state.generation;
  const r = state.routes.find((x) => x.id === id);
  if (!r) return h('section', {}, h('h1', {}, 'No such route'), h('p', {}, h('a', { href: '#/' }, 'Back to routes')));
  const [discs, rules, noise] = await Promise.all([
    api(`/api/routes/${encodeURIComponent(id)}/discrepancies?limit=50`),
    api(`/api/routes/${encodeURIComponent(id)}/rules`),
    api(`/api/routes/${encodeURIComponent(id)}/noise`),
  ]);
  if (gen !== state.generation) return null;
  const header = routeHeader(r);
  const discList = discs.discrepancies.length
    ? h(
        'table',
        { class: 'list', id: 'discrepancies' },
        h('thead', {}, h('tr', {}, ['#', 'When', 'Request', 'Differing paths', 'Rules'].map((t) => h('th', {}, t)))),
        h(
          'tbody',
          {},
          discs.discrepancies.map((d) =>
            h(
              'tr',
              { 'data-discrepancy': d.id },
              h('td', {}, h('a', { href: `#/route/${encodeURIComponent(id)}/d/${d.id}` }, `#${d.id}`)),
              h('td', { class: 'small' }, ago(d.at)),
              h('td', { class: 'mono small' }, `${d.request.method} ${d.request.url}`),
              h('td', { class: 'mono small' }, d.differences.slice(0, 4).map((x) => h('span', { class: 'path-chip' }, x.path)), d.differences.length > 4 ? ` +${d.differences.length - 4}` : ''),
              h('td', { class: 'small' }, d.rules?.length ? d.rules.map((x) => h('code', {}, x.id)).reduce((a, b) => [a, ' ', b]) : '–'),
            ),
          ),
        ),
      )
    : h('p', { class: 'muted' }, 'No discrepancies stored.');
  const noiseRows = noise.noise.map((n) =>
    h(
      'tr',
      { 'data-noise': n.path },
      h('td', { class: 'mono' }, n.path),
      h('td', { class: 'num' }, num(n.seen)),
      h('td', {}, h('span', { class: `status status-${n.status}` }, n.status)),
      h('td', {}, n.status === 'proposed' ? [h('button', { class: 'small', onclick: () => noiseDecision(r, n.path, 'accept') }, 'Accept as ignore rule'), ' ', h('button', { class: 'small', onclick: () => noiseDecision(r, n.path, 'reject') }, 'Reject')] : null),
    ),
  );
  return h(
    'section',
    {},
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Routes'), ' / ', id),
    header,
    h(
      'div',
      { class: 'grid2' },
      h(
        'div',
        {},
        h('h2', {}, 'Discrepancies'),
        discList,
        h('h2', {}, 'Proposed noise rules'),
        noiseRows.length
          ? h('table', { class: 'list', id: 'noise' }, h('thead', {}, h('tr', {}, ['Path', 'Seen', 'Status', ''].map((t) => h('th', {}, t)))), h('tbody', {}, noiseRows))
          : h('p', { class: 'muted' }, 'None: paths that differ between two answers of legacy itself are proposed here.'),
      ),
      h(
        'div',
        { id: 'route-rules' },
        h('h2', {}, 'Business rules'),
        !rules.specs
          ? h('p', { class: 'muted' }, 'No specs directory configured (gateway.specs: the output of ficus analyze).')
          : rules.operations.length === 0
            ? h('p', { class: 'muted' }, 'No operation in the spec matches this route.')
            : [
                h('p', { class: 'small' }, 'Operations: ', rules.operations.map((o) => h('code', {}, `${o.operationId} (${o.method} ${o.path})`))),
                rules.rules.length ? rules.rules.map((x) => ruleCard(x)) : h('p', { class: 'muted' }, 'No rules listed for these operations.'),
              ],
      ),
    ),
  );
}

// ---- JSON rendering with exact numbers and highlighted paths

/** Parses JSON keeping numbers as their source text (big integers stay exact). */
function parseLossless(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = () => {
    throw new SyntaxError(`bad JSON at ${i}`);
  };
  const str = () => {
    const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i));
    if (!m) fail();
    i += m[0].length;
    return JSON.parse(m[0]);
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'object', entries };
      }
      for (;;) {
        ws();
        const k = str();
        ws();
        if (text[i++] !== ':') fail();
        entries.push([k, value()]);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return { t: 'object', entries };
        } else fail();
      }
    }
    if (c === '[') {
      i++;
      const items = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'array', items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return { t: 'array', items };
        } else fail();
      }
    }
    if (c === '"') return { t: 'string', v: str() };
    const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) fail();
    i += m[0].length;
    return { t: 'literal', v: m[0] };
  };
  const v = value();
  ws();
  if (i !== text.length) fail();
  return v;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;
/** The gateway's path syntax (gateway/compare.ts renderPath): `$.a[0]`, `$['a b']`. */
const childPath = (parent, key) => (typeof key === 'number' ? `${parent}[${key}]` : IDENT.test(key) ? `${parent}.${key}` : `${parent}['${key.replace(/[\\']/g, (c) => `\\${c}`)}']`);

/** Renders a parsed JSON value as an indented tree; nodes at `diffs` paths get `.diff`. */
function jsonTree(node, path, diffs, indent = '') {
  const mark = (el, p) => {
    el.setAttribute('data-path', p);
    if (diffs.has(p)) {
      el.classList.add('diff');
      el.setAttribute('data-diff-path', p);
      el.title = `differs: ${p}`;
    }
    return el;
  };
  if (node.t === 'object' || node.t === 'array') {
    const open = node.t === 'object' ? '{' : '[';
    const close = node.t === 'object' ? '}' : ']';
    const kids = node.t === 'object' ? node.entries : node.items.map((v, k) => [k, v]);
    if (kids.length === 0) return mark(h('span', { class: 'node' }, open + close), path);
    const inner = indent + '  ';
    const parts = [open, '\n'];
    kids.forEach(([k, v], n) => {
      const p = childPath(path, k);
      const keyEl = typeof k === 'number' ? null : h('span', { class: 'key' }, JSON.stringify(k));
      const line = h('span', { class: 'entry' }, inner, keyEl, keyEl ? ': ' : '', jsonTree(v, p, diffs, inner), n < kids.length - 1 ? ',' : '');
      if (diffs.has(p)) line.classList.add('diff-line');
      parts.push(line, '\n');
    });
    parts.push(indent + close);
    return mark(h('span', { class: 'node' }, parts), path);
  }
  if (node.t === 'string') {
    if (node.v === REDACTED) return mark(h('span', { class: 'redacted', title: 'redacted before storage' }, 'redacted'), path);
    return mark(h('span', { class: 'str' }, JSON.stringify(node.v)), path);
  }
  return mark(h('span', { class: 'lit' }, node.v), path);
}

function bodyBlock(ex, diffs) {
  if (ex.body === undefined || ex.body === '') return h('pre', { class: 'body muted' }, '(empty body)');
  if (ex.bodyEncoding === 'base64') return h('pre', { class: 'body muted' }, `(binary body, ${Math.floor((ex.body.length * 3) / 4)} bytes)`);
  try {
    return h('pre', { class: 'body json' }, jsonTree(parseLossless(ex.body), '$', diffs));
  } catch {
    return h('pre', { class: 'body' }, ex.body);
  }
}

function headersBlock(headers, diffs = new Set()) {
  const rows = Object.entries(headers ?? {}).map(([k, v]) => {
    const vals = Array.isArray(v) ? v : [v];
    const isDiff = diffs.has(`header:${k}`);
    return h(
      'tr',
      { class: isDiff ? 'diff' : undefined, 'data-diff-path': isDiff ? `header:${k}` : undefined },
      h('th', {}, k),
      h('td', {}, vals.map((x) => (x === REDACTED ? h('span', { class: 'redacted', title: 'redacted before storage' }, 'redacted') : x)).reduce((a, b) => [a, ', ', b])),
    );
  });
  return h('details', { class: 'headers' }, h('summary', {}, `Headers (${rows.length})`), h('table', { class: 'kv' }, h('tbody', {}, rows)));
}

function exchangeColumn(title, side, ex, diffs) {
  const statusDiff = diffs.has('status');
  return h(
    'div',
    { class: 'side', 'data-side': side },
    h('h3', {}, title, ' ', h('span', { class: `http-status${statusDiff ? ' diff' : ''}`, 'data-diff-path': statusDiff ? 'status' : undefined }, String(ex.status))),
    headersBlock(ex.headers, diffs),
    bodyBlock(ex, diffs),
  );
}

const show = (v) => (v === undefined ? '(absent)' : typeof v === 'string' ? v : JSON.stringify(v));

async function discrepancyView(routeId, did) {
  const gen = state.generation;
  const { discrepancy: d } = await api(`/api/discrepancies/${encodeURIComponent(did)}`);
  if (gen !== state.generation) return null;
  const diffs = new Set(d.differences.map((x) => x.path));
  const rulesByPath = new Map();
  for (const r of d.rules ?? []) for (const p of r.paths) rulesByPath.set(p, [...(rulesByPath.get(p) ?? []), r]);
  return h(
    'section',
    { id: 'discrepancy', 'data-discrepancy': d.id },
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Routes'), ' / ', h('a', { href: `#/route/${encodeURIComponent(routeId)}` }, routeId), ` / discrepancy #${d.id}`),
    h('h1', {}, `Discrepancy #${d.id}`, ' ', h('span', { class: 'muted small' }, when(d.at))),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, 'Differences'),
      h(
        'table',
        { class: 'list', id: 'differences' },
        h('thead', {}, h('tr', {}, ['Path', 'Kind', 'Legacy', 'Modern', 'Governing rules'].map((t) => h('th', {}, t)))),
        h(
          'tbody',
          {},
          d.differences.map((x) =>
            h(
              'tr',
              { 'data-path': x.path },
              h('td', { class: 'mono' }, h('span', { class: 'path-chip diff' }, x.path)),
              h('td', {}, x.kind),
              h('td', { class: 'mono small' }, show(x.legacy)),
              h('td', { class: 'mono small' }, show(x.modern)),
              h('td', { class: 'small' }, (rulesByPath.get(x.path) ?? []).map((r) => h('a', { href: `#rule-${r.id}`, class: 'rule-link', onclick: (e) => { e.preventDefault(); document.querySelector(`[data-rule="${CSS.escape(r.id)}"]`)?.scrollIntoView({ behavior: 'smooth' }); } }, r.id)).reduce((a, b) => [a, ' ', b], []) || '–'),
            ),
          ),
        ),
      ),
    ),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, 'Request'),
      h('p', { class: 'mono' }, `${d.request.method} ${d.request.url}`),
      headersBlock(d.request.headers),
      d.request.body ? bodyBlock(d.request, new Set()) : null,
    ),
    h('div', { class: 'sides' }, exchangeColumn('Legacy', 'legacy', d.legacy, diffs), exchangeColumn('Modern', 'modern', d.modern, diffs)),
    h(
      'div',
      { id: 'discrepancy-rules' },
      h('h2', {}, 'Rules that compute the differing fields'),
      d.rules?.length ? d.rules.map((r) => ruleCard(r)) : h('p', { class: 'muted' }, 'No rule in the specs directory names these fields (or no gateway.specs configured).'),
    ),
  );
}

async function auditView() {
  const gen = state.generation;
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const route = params.get('route') ?? '';
  const limit = Number(params.get('limit') ?? 200);
  const { audit } = await api(`/api/audit?limit=${limit}${route ? `&route=${encodeURIComponent(route)}` : ''}`);
  if (gen !== state.generation) return null;
  const select = h(
    'select',
    { id: 'audit-route', onchange: (e) => (location.hash = `#/audit${e.target.value ? `?route=${encodeURIComponent(e.target.value)}` : ''}`) },
    h('option', { value: '' }, 'all routes'),
    state.routes.map((r) => h('option', { value: r.id, selected: r.id === route }, r.id)),
  );
  const fmt = (m) => (m ? `${m.mode} ${m.percent} %` : '');
  return h(
    'section',
    {},
    h('h1', {}, 'Audit log'),
    h('p', {}, h('label', {}, 'Route ', select)),
    h(
      'table',
      { class: 'list', id: 'audit' },
      h('thead', {}, h('tr', {}, ['When', 'Route', 'Who', 'Action', 'From → to', 'Reason'].map((t) => h('th', {}, t)))),
      h(
        'tbody',
        {},
        audit.map((a) =>
          h(
            'tr',
            { 'data-audit': a.id, 'data-action': a.action },
            h('td', { class: 'small nowrap' }, when(a.at)),
            h('td', {}, h('a', { href: `#/route/${encodeURIComponent(a.routeId)}` }, a.routeId)),
            h('td', {}, a.actor),
            h('td', {}, h('span', { class: `action action-${a.action}` }, a.action)),
            h('td', { class: 'nowrap' }, a.from || a.to ? `${fmt(a.from)} → ${fmt(a.to)}` : ''),
            h('td', { class: 'reason' }, a.reason),
          ),
        ),
      ),
    ),
    audit.length >= limit ? h('p', {}, h('a', { href: `#/audit?limit=${limit * 2}${route ? `&route=${encodeURIComponent(route)}` : ''}` }, 'Show more')) : null,
  );
}

async function trafficView() {
  const gen = state.generation;
  const t = await api('/api/traffic');
  if (gen !== state.generation) return null;
  const list = (id, head, rows) => (rows.length ? h('table', { class: 'list', id }, h('thead', {}, h('tr', {}, head.map((x) => h('th', {}, x)))), h('tbody', {}, rows)) : h('p', { class: 'muted' }, 'None.'));
  return h(
    'section',
    {},
    h('h1', {}, 'Traffic against the spec'),
    !t.specs ? h('p', { class: 'callout' }, 'No specs directory configured (gateway.specs): showing unmatched traffic only.') : null,
    h('h2', {}, 'Seen in traffic, absent from the spec (undocumented)'),
    list(
      'undocumented',
      ['Method', 'Path template', 'Requests', 'Route'],
      t.undocumented.map((u) => h('tr', {}, h('td', {}, u.method), h('td', { class: 'mono' }, u.path), h('td', { class: 'num' }, num(u.count)), h('td', {}, u.routeId ?? h('span', { class: 'muted' }, 'none (to legacy)')))),
    ),
    h('h2', {}, 'In the spec, never seen in traffic (candidates for retirement)'),
    t.specs ? list('unseen', ['Operation', 'Method', 'Path', 'Summary'], t.unseen.map((o) => h('tr', {}, h('td', { class: 'mono' }, o.operationId), h('td', {}, o.method), h('td', { class: 'mono' }, o.path), h('td', {}, o.summary)))) : h('p', { class: 'muted' }, 'Needs gateway.specs.'),
    h('h2', {}, 'Requests no route matched (to legacy untouched)'),
    list(
      'unmatched',
      ['Method', 'Path template', 'Requests', 'First', 'Last'],
      t.unmatched.map((u) => h('tr', {}, h('td', {}, u.method), h('td', { class: 'mono' }, u.path), h('td', { class: 'num' }, num(u.count)), h('td', { class: 'small' }, when(u.firstAt)), h('td', { class: 'small' }, ago(u.lastAt)))),
    ),
    t.overflow ? h('p', { class: 'muted small' }, `${t.overflow} requests to further templates not tracked (bounded set).`) : null,
  );
}

// ---------------------------------------------------------------- actions

const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('action-dialog'));
const form = /** @type {HTMLFormElement} */ (document.getElementById('action-form'));
let onConfirm = null;

document.getElementById('action-cancel').addEventListener('click', () => dialog.close());
form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const reason = /** @type {HTMLTextAreaElement} */ (document.getElementById('action-reason')).value.trim();
  const actor = /** @type {HTMLInputElement} */ (document.getElementById('action-actor')).value.trim();
  const err = document.getElementById('action-error');
  if (!reason || !actor) return;
  sessionStorage.setItem(ACTOR_KEY, actor);
  actorInput.value = actor;
  try {
    await onConfirm({ reason, actor });
    dialog.close();
    await refresh();
    render();
  } catch (error) {
    if (error instanceof Unauthorized) return logout();
    err.textContent = error.message;
    err.hidden = false;
  }
});

function openDialog(title, detail, extra, confirm, label = 'Confirm') {
  document.getElementById('action-title').textContent = title;
  document.getElementById('action-detail').textContent = detail;
  replace(document.getElementById('action-extra'), extra ?? []);
  /** @type {HTMLTextAreaElement} */ (document.getElementById('action-reason')).value = '';
  /** @type {HTMLInputElement} */ (document.getElementById('action-actor')).value = sessionStorage.getItem(ACTOR_KEY) ?? '';
  document.getElementById('action-submit').textContent = label;
  document.getElementById('action-error').hidden = true;
  onConfirm = confirm;
  dialog.showModal();
  document.getElementById('action-reason').focus();
}

function approveDialog(r) {
  const p = r.pendingApproval;
  openDialog(`Approve ${r.id}`, `Move ${r.id} from ${r.mode} ${r.modernPercent} % to ${p.mode} ${p.percent} %. ${p.reason}`, null, ({ reason, actor }) => api(`/api/routes/${encodeURIComponent(r.id)}/approve`, { method: 'POST', body: { reason }, actor }), 'Approve');
}

function rollbackDialog(r) {
  openDialog(`Roll back ${r.id}`, `Back to shadow: legacy serves every request, modern is compared off the client's path.`, null, ({ reason, actor }) => api(`/api/routes/${encodeURIComponent(r.id)}/rollback`, { method: 'POST', body: { reason }, actor }), 'Roll back');
}

function modeDialog(r) {
  const mode = h('select', { name: 'mode', id: 'action-mode' }, ['legacy', 'shadow', 'canary', 'modern'].map((m) => h('option', { value: m, selected: m === r.mode }, m)));
  const percent = h('input', { type: 'number', name: 'percent', id: 'action-percent', min: 1, max: 99, step: 'any', value: r.mode === 'canary' ? r.modernPercent : 1 });
  const approved = h('input', { type: 'checkbox', name: 'approved', id: 'action-approved' });
  const percentLabel = h('label', {}, 'Percent to modern (canary) ', percent);
  const sync = () => (percentLabel.hidden = mode.value !== 'canary');
  mode.addEventListener('change', sync);
  sync();
  openDialog(
    `Set mode of ${r.id}`,
    `Now ${r.mode} ${r.modernPercent} %. Moves follow the transition table; reaching the approval step needs the approval box.`,
    [h('label', {}, 'Mode ', mode), percentLabel, h('label', { class: 'check' }, approved, ' I approve raising modern traffic to the approval step or above')],
    ({ reason, actor }) =>
      api(`/api/routes/${encodeURIComponent(r.id)}/mode`, {
        method: 'POST',
        body: { mode: mode.value, ...(mode.value === 'canary' ? { percent: Number(percent.value) } : {}), reason, approved: approved.checked },
        actor,
      }),
    'Apply',
  );
}

async function noiseDecision(r, path, action) {
  const actor = actorInput.value.trim() || 'admin';
  try {
    await api(`/api/routes/${encodeURIComponent(r.id)}/noise`, { method: 'POST', body: { path, action }, actor });
    render();
  } catch (error) {
    if (error instanceof Unauthorized) return logout();
    alert(error.message);
  }
}

// ---------------------------------------------------------------- loop

async function refresh() {
  const [{ routes }, history] = await Promise.all([api('/api/routes'), api('/api/history')]);
  state.routes = routes;
  state.history = history.routes;
  document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString('en-GB', { hour12: false })}`;
}

function currentView() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'route' && parts[2] === 'd') return { name: 'discrepancy', route: parts[1], did: parts[3] };
  if (parts[0] === 'route') return { name: 'route', route: parts[1] };
  if (parts[0] === 'audit') return { name: 'audit' };
  if (parts[0] === 'traffic') return { name: 'traffic' };
  return { name: 'routes' };
}

/** Renders the current view; `live` re-renders only the parts that poll (keeps scroll and open details). */
async function render(live = false) {
  const v = currentView();
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.getAttribute('data-nav') === (v.name === 'audit' || v.name === 'traffic' ? v.name : 'routes'));
  try {
    if (v.name === 'routes') {
      replace(main, routesView());
      return;
    }
    if (live) {
      if (v.name === 'route') {
        const r = state.routes.find((x) => x.id === v.route);
        const old = document.getElementById('route-summary');
        if (r && old && !dialog.open) old.replaceWith(routeHeader(r));
      }
      return;
    }
    const gen = ++state.generation;
    const view = v.name === 'route' ? await routeView(v.route) : v.name === 'discrepancy' ? await discrepancyView(v.route, v.did) : v.name === 'audit' ? await auditView() : await trafficView();
    if (view && gen === state.generation) {
      replace(main, view);
    }
  } catch (error) {
    if (error instanceof Unauthorized) return logout();
    replace(main, h('section', {}, h('h1', {}, 'Error'), h('p', { class: 'error' }, error.message), h('p', {}, h('a', { href: '#/' }, 'Back to routes'))));
  }
}

let timer = null;
async function start() {
  try {
    await refresh();
  } catch (error) {
    if (error instanceof Unauthorized) {
      showLogin(state.token ? 'That token was refused.' : undefined);
      if (state.token) sessionStorage.removeItem(TOKEN_KEY);
      state.token = null;
      return;
    }
    replace(main, h('p', { class: 'error' }, `Cannot reach the admin API: ${error.message}`));
    setTimeout(start, POLL_MS);
    return;
  }
  state.authed = true;
  document.getElementById('nav').hidden = false;
  document.getElementById('who').hidden = false;
  await render();
  clearInterval(timer);
  timer = setInterval(async () => {
    if (!state.authed || document.hidden) return;
    try {
      await refresh();
      await render(true);
    } catch (error) {
      if (error instanceof Unauthorized) logout();
    }
  }, POLL_MS);
}

actorInput.value = sessionStorage.getItem(ACTOR_KEY) ?? '';
actorInput.addEventListener('change', () => sessionStorage.setItem(ACTOR_KEY, actorInput.value.trim()));
document.getElementById('logout').addEventListener('click', () => {
  clearInterval(timer);
  logout();
});
window.addEventListener('hashchange', () => state.authed && render());
void start();
