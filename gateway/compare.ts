/**
 * Decides whether a legacy response and its modern replacement's response to the same shadowed
 * request match, and if not, lists where they differ: status, an allowlist of headers, and the
 * body, decoded (gzip/deflate/br) and compared structurally when it is JSON (key order ignored,
 * numbers equal by exact decimal value, per-path ignore/tolerance/unordered/dates rules written
 * as JSONPath-like patterns, RFC 9535 syntax subset), as text or as bytes otherwise. It owns the
 * path syntax used across the gateway (`matchPath`, `generalizePath`) and the rule compiler
 * that turns a route's patterns into a lazily built automaton, so the per-request cost is one
 * map lookup per JSON node. Pure: no I/O, no clock, no globals beyond caches keyed by rules.
 */
import { createHash } from 'node:crypto';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { LosslessNumber, parse as parseLossless } from 'lossless-json';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** One side's response as captured by the gateway; `body` is as received (still content-encoded). */
export interface CapturedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * What to compare and how. Patterns are JSONPath-like (see {@link matchPath}). Rules objects are
 * treated as immutable once used: their compiled form is cached per object.
 */
export interface CompareRules {
  /** Compare status codes (default true). */
  status?: boolean;
  /** Header allowlist, case-insensitive (default `['content-type']`). */
  headers?: readonly string[];
  /**
   * Paths whose differences are dropped, subtree included. Besides body patterns, `header:<name>`
   * drops that header's difference and `status` the status difference.
   */
  ignore?: readonly string[];
  /** Absolute numeric tolerance per pattern: |a − b| ≤ t is equal (milliseconds at `dates` paths). */
  tolerance?: Readonly<Record<string, number>>;
  /** Arrays compared as multisets. */
  unordered?: readonly string[];
  /** Values compared as instants: ISO 8601 / RFC 3339 strings, IMF-fixdate strings, epoch-millisecond numbers. */
  dates?: readonly string[];
  /** Cap on reported differences (default 100); `0` asks only whether the responses match. */
  maxDifferences?: number;
}

/**
 * Kinds of difference. `missing`: in legacy, not in modern (`legacy` only); `extra`: the reverse
 * (`modern` only); `type`: JSON types differ, or one body is JSON and the other not (at `$`);
 * `value`: same type, different value, or differing text/bytes bodies (at `$`, bytes as
 * `{ bytes, sha256 }` with a 16-hex-digit prefix) or an undecodable body (its error message);
 * `order`: an ordered array holds the same elements elsewhere (once, at the array); `size`:
 * array lengths (as numbers); `status`; `header`.
 */
export type DifferenceKind = 'missing' | 'extra' | 'type' | 'value' | 'order' | 'size' | 'status' | 'header';

/**
 * One difference. `path` is concrete: `$.items[3].price`, `$['a b']`, `header:content-type`,
 * `status`. `legacy`/`modern` are JSON-safe (numbers that a double cannot hold exactly become
 * strings) and truncated past 200 characters; a side with nothing there has no field.
 */
export interface Difference {
  path: string;
  kind: DifferenceKind;
  legacy?: unknown;
  modern?: unknown;
}

/** The outcome of one comparison; `truncated` when more differences existed than `maxDifferences`. */
export interface Comparison {
  match: boolean;
  differences: Difference[];
  truncated: boolean;
}

/** The extension point the gateway calls for every shadowed request (default {@link structuralCompare}). */
export type Comparator = (legacy: CapturedResponse, modern: CapturedResponse, rules: CompareRules) => Comparison;

const COMPILED: unique symbol = Symbol('ficus.compare.compiled');

/**
 * Rules with defaults applied, validated and compiled; still a {@link CompareRules}, so any
 * {@link Comparator} accepts it. Frozen. Build with {@link compileRules}.
 */
export interface CompiledRules extends CompareRules {
  readonly status: boolean;
  readonly headers: readonly string[];
  readonly ignore: readonly string[];
  readonly tolerance: Readonly<Record<string, number>>;
  readonly unordered: readonly string[];
  readonly dates: readonly string[];
  readonly maxDifferences: number;
  readonly [COMPILED]: true;
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/** Reported values longer than this (as JSON text) are cut. */
const VALUE_LIMIT = 200;
/**
 * Multiset matching (unordered arrays, `order` detection) is linear: elements are grouped by a
 * canonical form. Only within a group whose elements hold tolerance-compared numbers must
 * candidates be checked one against another, and only while that is at most this many pairs
 * (e.g. 300 × 300); larger groups are sorted by those numbers and merged, O(n log n).
 */
const PAIRWISE_LIMIT = 100_000;
/** Default cap on decoded body size, against decompression bombs. */
const DEFAULT_MAX_DECODED = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Paths and patterns
// ---------------------------------------------------------------------------------------------

const KEY = 0;
const INDEX = 1;
const WILD = 2;
type Seg = { readonly t: typeof KEY; readonly k: string } | { readonly t: typeof INDEX; readonly i: number } | { readonly t: typeof WILD };
interface Step {
  /** Preceded by `..`: any number of segments may come before this one. */
  readonly desc: boolean;
  readonly seg: Seg;
}

const WILD_SEG: Seg = { t: WILD };
/** Keys written in dot notation when rendering; the same shape `gateway/redact.ts` renders. */
const IDENT = /^[A-Za-z_$][\w$]*$/;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', "'": "'", '"': '"', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Parses `$`, `.name`, `['name']`/`["name"]`, `[3]`, `[*]`, `.*`, and with `..` before any of
 * them, descendant matching (RFC 9535 §2.5.2). Throws a SyntaxError naming the pattern.
 */
function parsePath(src: string): Step[] {
  const fail = (at: number, what: string): never => {
    throw new SyntaxError(`invalid path pattern ${JSON.stringify(src)} at ${at}: ${what}`);
  };
  if (src.charCodeAt(0) !== 0x24 /* $ */) fail(0, "expected '$'");
  const steps: Step[] = [];
  let i = 1;
  while (i < src.length) {
    if (src.startsWith('..', i)) {
      i += 2;
      if (src[i] === '[') i = bracket(i, true);
      else i = name(i, true);
    } else if (src[i] === '.') i = name(i + 1, false);
    else if (src[i] === '[') i = bracket(i, false);
    else fail(i, `expected '.' or '[' but got ${JSON.stringify(src[i])}`);
  }
  return steps;

  function name(at: number, d: boolean): number {
    if (src[at] === '*') {
      steps.push({ desc: d, seg: WILD_SEG });
      return at + 1;
    }
    let j = at;
    while (j < src.length && !'.[]\'" \t\r\n'.includes(src[j]!)) j++;
    if (j === at) fail(at, 'expected a member name');
    steps.push({ desc: d, seg: { t: KEY, k: src.slice(at, j) } });
    return j;
  }

  function bracket(at: number, desc: boolean): number {
    let j = at + 1;
    while (src[j] === ' ') j++;
    let seg: Seg;
    const q = src[j];
    if (q === '*') {
      seg = WILD_SEG;
      j++;
    } else if (q === "'" || q === '"') {
      let k = '';
      j++;
      for (;;) {
        const ch = src[j];
        if (ch === undefined) return fail(j, 'unterminated quoted name');
        if (ch === q) break;
        if (ch === '\\') {
          const e = src[j + 1] ?? '';
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(j + 2, j + 6))) {
            k += String.fromCharCode(parseInt(src.slice(j + 2, j + 6), 16));
            j += 6;
            continue;
          }
          const r = ESCAPES[e];
          if (r === undefined) fail(j, `bad escape \\${e}`);
          k += r;
          j += 2;
          continue;
        }
        k += ch;
        j++;
      }
      j++;
      seg = { t: KEY, k };
    } else {
      const m = /^\d+/.exec(src.slice(j));
      if (!m) return fail(j, "expected an index, '*' or a quoted name");
      if (m[0].length > 1 && m[0][0] === '0') fail(j, 'index with a leading zero');
      seg = { t: INDEX, i: Number(m[0]) };
      j += m[0].length;
    }
    while (src[j] === ' ') j++;
    if (src[j] !== ']') fail(j, "expected ']'");
    steps.push({ desc, seg });
    return j + 1;
  }
}

function renderKey(k: string): string {
  if (IDENT.test(k)) return '.' + k;
  let out = "['";
  for (let i = 0; i < k.length; i++) {
    const ch = k[i]!;
    const code = k.charCodeAt(i);
    if (ch === "'" || ch === '\\') out += '\\' + ch;
    else if (code < 0x20) out += '\\u' + code.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + "']";
}

function renderPath(path: readonly (string | number)[]): string {
  let out = '$';
  for (const s of path) out += typeof s === 'number' ? `[${s}]` : renderKey(s);
  return out;
}

function renderSteps(steps: readonly Step[]): string {
  let out = '$';
  for (const { desc, seg } of steps) {
    const s = seg.t === KEY ? renderKey(seg.k) : seg.t === INDEX ? `[${seg.i}]` : '[*]';
    out += (desc ? '.' : '') + s;
  }
  return out;
}

/**
 * Generalises a concrete path for use as a rule: array indexes become `[*]`.
 * `$.items[3].ts` → `$.items[*].ts`. Paths that are not body paths (`status`,
 * `header:content-type`) and unparseable strings come back unchanged.
 */
export function generalizePath(path: string): string {
  if (!path.startsWith('$')) return path;
  let steps: Step[];
  try {
    steps = parsePath(path);
  } catch {
    return path;
  }
  return renderSteps(steps.map((s) => (s.seg.t === INDEX ? { desc: s.desc, seg: WILD_SEG } : s)));
}

// ---------------------------------------------------------------------------------------------
// Rule automaton: patterns → NFA over path segments → DFA states built lazily and cached on the
// compiled rules, so walking a body costs one Map lookup per node and allocates nothing once warm.
// ---------------------------------------------------------------------------------------------

const CAT_IGNORE = 0;
const CAT_UNORDERED = 1;
const CAT_DATES = 2;
const CAT_TOLERANCE = 3;
const CAT_MATCH = 4;

interface Pattern {
  readonly steps: readonly Step[];
  readonly cat: number;
  readonly tol: number;
  readonly base: number;
}

class Automaton {
  readonly patterns: Pattern[] = [];
  private readonly idPattern: number[] = [];
  private readonly idStep: number[] = [];
  private readonly states = new Map<string, PathState>();
  readonly root: PathState;

  constructor(entries: readonly { steps: readonly Step[]; cat: number; tol?: number }[]) {
    for (const e of entries) {
      const base = this.idPattern.length;
      this.patterns.push({ steps: e.steps, cat: e.cat, tol: e.tol ?? 0, base });
      for (let s = 0; s <= e.steps.length; s++) {
        this.idPattern.push(this.patterns.length - 1);
        this.idStep.push(s);
      }
    }
    this.root = this.state(this.patterns.map((p) => p.base));
  }

  state(ids: number[]): PathState {
    const key = ids.join(',');
    let st = this.states.get(key);
    if (st === undefined) {
      st = new PathState(this, ids);
      this.states.set(key, st);
    }
    return st;
  }

  /** Pattern and step position of an NFA state id; `steps.length` means the pattern matched. */
  at(id: number): [Pattern, number] {
    return [this.patterns[this.idPattern[id]!]!, this.idStep[id]!];
  }

  /** The state after one segment; `seg === undefined` stands for any key or index no pattern names. */
  next(ids: readonly number[], seg: Seg | undefined): PathState {
    const out: number[] = [];
    for (const id of ids) {
      const [p, s] = this.at(id);
      if (s === p.steps.length) continue;
      const step = p.steps[s]!;
      if (step.desc) out.push(id);
      const m = step.seg;
      // A wildcard step takes any segment; a literal one only its own key/index, never a key or
      // index no pattern names (`undefined`) nor a path's own `[*]`.
      const hit =
        m.t === WILD || (seg !== undefined && (m.t === KEY ? seg.t === KEY && seg.k === m.k : seg.t === INDEX && seg.i === m.i));
      if (hit) out.push(id + 1);
    }
    out.sort((x, y) => x - y);
    let w = 0;
    for (let r = 0; r < out.length; r++) if (r === 0 || out[r] !== out[r - 1]) out[w++] = out[r]!;
    out.length = w;
    return this.state(out);
  }
}

/** A node position as the rules see it: which rules apply here, and where each child goes. */
class PathState {
  readonly live: boolean;
  ignore = false;
  unordered = false;
  dates = false;
  matched = false;
  tolerance: Decimal | undefined;
  private keyNext: Map<string, PathState> | undefined;
  private otherKey: PathState | undefined;
  private idxNext: Map<number, PathState> | undefined;
  private otherIdx: PathState | undefined;
  private wildNext: PathState | undefined;

  constructor(
    private readonly auto: Automaton,
    private readonly ids: readonly number[],
  ) {
    this.live = ids.length > 0;
    let tol = -1;
    for (const id of ids) {
      const [p, s] = auto.at(id);
      if (s !== p.steps.length) continue;
      if (p.cat === CAT_IGNORE) this.ignore = true;
      else if (p.cat === CAT_UNORDERED) this.unordered = true;
      else if (p.cat === CAT_DATES) this.dates = true;
      else if (p.cat === CAT_MATCH) this.matched = true;
      // Several tolerances at one node: the loosest wins, whichever order they were written in.
      else if (p.cat === CAT_TOLERANCE && p.tol > tol) tol = p.tol;
    }
    if (tol >= 0) this.tolerance = parseDecimal(String(tol));
  }

  child(key: string): PathState {
    if (!this.live) return this;
    if (this.keyNext === undefined) {
      this.keyNext = new Map();
      for (const id of this.ids) {
        const [p, s] = this.auto.at(id);
        const seg = p.steps[s]?.seg;
        if (seg?.t === KEY && !this.keyNext.has(seg.k)) this.keyNext.set(seg.k, this.auto.next(this.ids, seg));
      }
    }
    return this.keyNext.get(key) ?? (this.otherKey ??= this.auto.next(this.ids, undefined));
  }

  index(i: number): PathState {
    if (!this.live) return this;
    if (this.idxNext === undefined) {
      this.idxNext = new Map();
      for (const id of this.ids) {
        const [p, s] = this.auto.at(id);
        const seg = p.steps[s]?.seg;
        if (seg?.t === INDEX && !this.idxNext.has(seg.i)) this.idxNext.set(seg.i, this.auto.next(this.ids, seg));
      }
    }
    return this.idxNext.get(i) ?? (this.otherIdx ??= this.auto.next(this.ids, undefined));
  }

  /** A `[*]` in a path being matched (generalised paths): only wildcard steps accept it. */
  wild(): PathState {
    if (!this.live) return this;
    return (this.wildNext ??= this.auto.next(this.ids, WILD_SEG));
  }

  step(seg: Seg): PathState {
    return seg.t === KEY ? this.child(seg.k) : seg.t === INDEX ? this.index(seg.i) : this.wild();
  }
}

const matchCache = new Map<string, Automaton>();

/**
 * Whether a concrete path (`$.items[3].id`, `$['a b']`) is selected by a pattern: `$.a.b`,
 * `$.items[0].id`, `$.items[*].id`, `$.*`, `$..updatedAt` (at any depth), `$['weird key']`,
 * `$["k"]`. The whole path must match (`$.a` does not match `$.a.b`; `ignore` rules drop whole
 * subtrees themselves). A `[*]` in the path (a generalised path) is matched only by a wildcard.
 * Throws a SyntaxError for a malformed pattern; a malformed path matches nothing.
 */
export function matchPath(pattern: string, path: string): boolean {
  let auto = matchCache.get(pattern);
  if (auto === undefined) {
    auto = new Automaton([{ steps: parsePath(pattern), cat: CAT_MATCH }]);
    // Patterns come from configuration, so the set is small; the cap only guards misuse.
    if (matchCache.size >= 512) matchCache.clear();
    matchCache.set(pattern, auto);
  }
  let steps: Step[];
  try {
    steps = parsePath(path);
  } catch {
    return false;
  }
  let st = auto.root;
  for (const s of steps) {
    if (s.desc) return false;
    st = st.step(s.seg);
    if (!st.live) return false;
  }
  return st.matched;
}

// ---------------------------------------------------------------------------------------------
// Rule compilation
// ---------------------------------------------------------------------------------------------

interface Engine {
  readonly status: boolean;
  readonly headers: readonly string[];
  readonly max: number;
  readonly root: PathState;
  readonly ignoreStatus: boolean;
  readonly ignoreHeaders: ReadonlySet<string>;
}

const engines = new WeakMap<object, Engine>();
const compiledObjects = new WeakSet<object>();

/**
 * Validates rules, applies defaults and compiles the patterns once (per route, not per request).
 * Throws a SyntaxError for a malformed pattern and a RangeError for a negative or non-finite
 * tolerance or a bad `maxDifferences`, each naming the offending entry.
 */
export function compileRules(rules: CompareRules): CompiledRules {
  if (compiledObjects.has(rules)) return rules as CompiledRules;
  const headers = (rules.headers ?? ['content-type']).map((h) => h.trim().toLowerCase());
  const ignore = [...(rules.ignore ?? [])];
  const unordered = [...(rules.unordered ?? [])];
  const dates = [...(rules.dates ?? [])];
  const tolerance = { ...(rules.tolerance ?? {}) };
  const max = rules.maxDifferences ?? 100;
  if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`maxDifferences must be an integer ≥ 0 (got ${String(max)})`);

  const entries: { steps: readonly Step[]; cat: number; tol?: number }[] = [];
  const ignoreHeaders = new Set<string>();
  let ignoreStatus = false;
  for (const p of ignore) {
    if (p === 'status') ignoreStatus = true;
    else if (p.toLowerCase().startsWith('header:')) ignoreHeaders.add(p.slice(7).trim().toLowerCase());
    else entries.push({ steps: parsePath(p), cat: CAT_IGNORE });
  }
  for (const p of unordered) entries.push({ steps: parsePath(p), cat: CAT_UNORDERED });
  for (const p of dates) entries.push({ steps: parsePath(p), cat: CAT_DATES });
  for (const [p, t] of Object.entries(tolerance)) {
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw new RangeError(`tolerance for ${JSON.stringify(p)} must be a finite number ≥ 0 (got ${String(t)})`);
    entries.push({ steps: parsePath(p), cat: CAT_TOLERANCE, tol: t });
  }

  const fields = {
    status: rules.status ?? true,
    headers: Object.freeze(headers),
    ignore: Object.freeze(ignore),
    tolerance: Object.freeze(tolerance),
    unordered: Object.freeze(unordered),
    dates: Object.freeze(dates),
    maxDifferences: max,
  };
  // The brand is not enumerable, so `{ ...compiled, ignore: [...] }` is plain rules again.
  const compiled = Object.freeze(Object.defineProperty(fields, COMPILED, { value: true, enumerable: false })) as CompiledRules;
  compiledObjects.add(compiled);
  engines.set(compiled, {
    status: compiled.status,
    headers: compiled.headers,
    max,
    root: new Automaton(entries).root,
    ignoreStatus,
    ignoreHeaders,
  });
  return compiled;
}

function engineFor(rules: CompareRules): Engine {
  let e = engines.get(rules);
  if (e === undefined) {
    e = engines.get(compileRules(rules))!;
    engines.set(rules, e);
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// Exact decimals: value = sign × digits × 10^exp, digits without leading or trailing zeros, so
// equal numbers have equal fields (`1`, `1.0`, `1e0`, `10e-1` → {1, "1", 0}).
// ---------------------------------------------------------------------------------------------

interface Decimal {
  readonly sign: -1 | 0 | 1;
  readonly digits: string;
  readonly exp: bigint;
}
const ZERO: Decimal = { sign: 0, digits: '', exp: 0n };
const DECIMAL = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/;

function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL.exec(text);
  if (m === null) return undefined;
  const int = m[2] ?? '';
  const frac = m[3] ?? '';
  if (int === '' && frac === '') return undefined;
  const all = int + frac;
  let lead = 0;
  while (lead < all.length && all.charCodeAt(lead) === 0x30) lead++;
  let end = all.length;
  while (end > lead && all.charCodeAt(end - 1) === 0x30) end--;
  if (lead === end) return ZERO;
  const exp = (m[4] ? BigInt(m[4]) : 0n) - BigInt(frac.length) + BigInt(all.length - end);
  return { sign: m[1] === '-' ? -1 : 1, digits: all.slice(lead, end), exp };
}

function decimalOfBigInt(coef: bigint, exp: bigint): Decimal {
  if (coef === 0n) return ZERO;
  const neg = coef < 0n;
  const text = (neg ? -coef : coef).toString();
  let end = text.length;
  while (text.charCodeAt(end - 1) === 0x30) end--;
  return { sign: neg ? -1 : 1, digits: text.slice(0, end), exp: exp + BigInt(text.length - end) };
}

function decimalKey(d: Decimal): string {
  return d.sign === 0 ? '0' : `${d.sign < 0 ? '-' : ''}${d.digits}e${d.exp}`;
}

function decimalEq(a: Decimal, b: Decimal): boolean {
  return a.sign === b.sign && a.digits === b.digits && a.exp === b.exp;
}

/** |a − b| ≤ t, exactly (BigInt), unless the exponents are absurdly far apart. */
function within(a: Decimal, b: Decimal, t: Decimal): boolean {
  const exps = [a, b, t].filter((d) => d.sign !== 0).map((d) => d.exp);
  if (exps.length === 0) return true;
  let lo = exps[0]!;
  let hi = lo;
  for (const e of exps) {
    if (e < lo) lo = e;
    if (e > hi) hi = e;
  }
  if (hi - lo > 4000n) return Math.abs(approx(a) - approx(b)) <= approx(t);
  const scaled = (d: Decimal): bigint => (d.sign === 0 ? 0n : BigInt(d.sign) * BigInt(d.digits) * 10n ** (d.exp - lo));
  const diff = scaled(a) - scaled(b);
  return (diff < 0n ? -diff : diff) <= scaled(t);
}

function approx(d: Decimal): number {
  return d.sign === 0 ? 0 : Number(`${d.sign < 0 ? '-' : ''}${d.digits}e${d.exp}`);
}

/** A parsed JSON number: a JS number (only from bodies where that is exact) or a LosslessNumber. */
function toDecimal(v: number | LosslessNumber): Decimal {
  return parseDecimal(typeof v === 'number' ? String(v) : v.value)!;
}

// ---------------------------------------------------------------------------------------------
// Instants, for `dates` paths: ms since the epoch as an exact decimal (sub-ms digits kept).
// ---------------------------------------------------------------------------------------------

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;
const IMF = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function instantOfParts(y: number, mo: number, d: number, h: number, mi: number, s: number, frac: string, offsetMin: number): Decimal | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return undefined;
  const seconds = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offsetMin * 60;
  const coef = BigInt(seconds) * 10n ** BigInt(frac.length) + (frac === '' ? 0n : BigInt(frac));
  return decimalOfBigInt(coef, 3n - BigInt(frac.length));
}

/**
 * ISO 8601 / RFC 3339 date-times (a missing offset is read as UTC, so two zone-less values compare
 * as wall-clock times), date-only values (midnight UTC) and RFC 9110 IMF-fixdate. Anything else,
 * including what `Date.parse` would guess at, is not an instant.
 */
function parseInstant(s: string): Decimal | undefined {
  if (s.length < 10 || s.length > 64) return undefined;
  let m = ISO.exec(s);
  if (m !== null) {
    let offset = 0;
    if (m[9] !== undefined) {
      const oh = Number(m[10]);
      const om = Number(m[11] ?? '0');
      if (oh > 23 || om > 59) return undefined;
      offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
    }
    return instantOfParts(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), m[7] ?? '', offset);
  }
  m = IMF.exec(s);
  if (m !== null) return instantOfParts(Number(m[3]), MONTHS.indexOf(m[2]!) / 3 + 1, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), '', 0);
  return undefined;
}

function instantOf(v: unknown): Decimal | undefined {
  if (typeof v === 'string') return parseInstant(v);
  if (typeof v === 'number' || v instanceof LosslessNumber) return toDecimal(v);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Reported values: JSON-safe and bounded.
// ---------------------------------------------------------------------------------------------

function cut(s: string, limit = VALUE_LIMIT): string {
  if (s.length <= limit) return s;
  let end = limit;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--; // do not split a surrogate pair
  return s.slice(0, end) + '…';
}

/** A number as a JS number when that is exact, else its JSON text (big integers, long decimals). */
function exactNumber(text: string): number | string {
  const n = Number(text);
  if (Number.isFinite(n)) {
    const a = parseDecimal(String(n));
    const b = parseDecimal(text);
    if (a !== undefined && b !== undefined && decimalEq(a, b)) return n;
  }
  return text;
}

const OVER = Symbol('over');

/** Compact JSON text of `v`, or its first `limit` characters + `…` (stops writing there). */
function boundedJson(v: unknown, limit: number): { text: string; complete: boolean } {
  let out = '';
  const write = (s: string): void => {
    out += s;
    if (out.length > limit) throw OVER;
  };
  const rec = (x: unknown): void => {
    if (x instanceof LosslessNumber) write(x.value);
    else if (Array.isArray(x)) {
      write('[');
      x.forEach((e, i) => {
        if (i > 0) write(',');
        rec(e);
      });
      write(']');
    } else if (x !== null && typeof x === 'object') {
      write('{');
      let first = true;
      for (const k of Object.keys(x)) {
        if (!first) write(',');
        first = false;
        write(JSON.stringify(k) + ':');
        rec((x as Record<string, unknown>)[k]);
      }
      write('}');
    } else write(JSON.stringify(x));
  };
  try {
    rec(v);
    return { text: out, complete: true };
  } catch (e) {
    if (e !== OVER) throw e;
    return { text: cut(out, limit), complete: false };
  }
}

function toPlain(v: unknown): unknown {
  if (v instanceof LosslessNumber) return exactNumber(v.value);
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      // defineProperty: a `__proto__` key must stay a key, not become the prototype.
      Object.defineProperty(out, k, { value: toPlain((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return v;
}

/** Arrays and objects up to 200 characters of JSON come back as values, longer ones as cut JSON text. */
function report(v: unknown): unknown {
  if (typeof v === 'string') return cut(v);
  if (v instanceof LosslessNumber) return exactNumber(v.value);
  if (v === null || typeof v !== 'object') return v;
  const j = boundedJson(v, VALUE_LIMIT);
  return j.complete ? toPlain(v) : j.text;
}

// ---------------------------------------------------------------------------------------------
// The structural walk
// ---------------------------------------------------------------------------------------------

const ABSENT = Symbol('absent');

class Collector {
  readonly diffs: Difference[] = [];
  truncated = false;
  constructor(readonly max: number) {}
}

interface Group {
  readonly a: number[];
  readonly b: number[];
  readonly loose: boolean;
}

/**
 * Canonical text of a value under the rules: equal canonical forms ⇒ equal under the rules, and
 * equal under the rules ⇒ equal forms unless `loose` (a tolerance-compared number or instant,
 * written as `#`, was met): then the form only groups candidates that still need pairwise checks.
 */
class Canon {
  loose = false;
  /** When set, collects the tolerance-compared values met, in canonical order (for sorting). */
  nums: number[] | undefined;

  of(v: unknown, st: PathState): string {
    if (st.ignore) return '~';
    if (st.dates) {
      const t = instantOf(v);
      if (t !== undefined) {
        if (st.tolerance !== undefined) {
          this.loose = true;
          this.nums?.push(approx(t));
          return 'd#';
        }
        return 'd' + decimalKey(t);
      }
    }
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number' || v instanceof LosslessNumber) {
      if (st.tolerance !== undefined) {
        this.loose = true;
        this.nums?.push(typeof v === 'number' ? v : approx(toDecimal(v)));
        return '#';
      }
      return 'N' + decimalKey(toDecimal(v));
    }
    if (v === null) return 'n';
    if (v === true) return 't';
    if (v === false) return 'f';
    if (Array.isArray(v)) {
      const parts = new Array<string>(v.length);
      for (let i = 0; i < v.length; i++) parts[i] = this.of(v[i], st.index(i));
      if (st.unordered) parts.sort();
      return '[' + parts.join(',') + ']';
    }
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    let out = '{';
    for (const k of keys) {
      const cs = st.child(k);
      if (cs.ignore) continue;
      out += JSON.stringify(k) + ':' + this.of(o[k], cs) + ',';
    }
    return out + '}';
  }
}

function compareVectors(x: readonly number[], y: readonly number[]): number {
  for (let i = 0; i < x.length && i < y.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length - y.length;
}

class Walker {
  readonly path: (string | number)[] = [];
  stop = false;
  private prober: Walker | undefined;
  private canon: Canon | undefined;

  /** `out === undefined`: a probe, which only answers "equal?" and stops at the first difference. */
  constructor(private readonly out: Collector | undefined) {}

  add(path: string, kind: DifferenceKind, legacy: unknown, modern: unknown): void {
    const out = this.out;
    if (out === undefined) {
      this.stop = true;
      return;
    }
    if (out.diffs.length >= out.max) {
      out.truncated = true;
      this.stop = true;
      return;
    }
    const d: Difference = { path, kind };
    if (legacy !== ABSENT) d.legacy = legacy;
    if (modern !== ABSENT) d.modern = modern;
    out.diffs.push(d);
  }

  private diff(kind: DifferenceKind, legacy: unknown, modern: unknown, seg?: string | number): void {
    if (this.out === undefined) {
      this.stop = true;
      return;
    }
    if (seg !== undefined) this.path.push(seg);
    this.add(renderPath(this.path), kind, legacy === ABSENT ? ABSENT : report(legacy), modern === ABSENT ? ABSENT : report(modern));
    if (seg !== undefined) this.path.pop();
  }

  /** Equal under the rules? (a nested probe walker, so this walker's state is untouched). */
  equal(a: unknown, b: unknown, st: PathState): boolean {
    const p = (this.prober ??= new Walker(undefined));
    p.stop = false;
    p.walk(a, b, st);
    return !p.stop;
  }

  walk(a: unknown, b: unknown, st: PathState): void {
    if (st.ignore) return;
    if (st.dates) {
      const ta = instantOf(a);
      if (ta !== undefined) {
        const tb = instantOf(b);
        if (tb !== undefined) {
          if (!decimalEq(ta, tb) && !(st.tolerance !== undefined && within(ta, tb, st.tolerance))) this.diff('value', a, b);
          return;
        }
      }
    }
    if (typeof a === 'string') {
      if (typeof b !== 'string') this.diff('type', a, b);
      else if (a !== b) this.diff('value', a, b);
      return;
    }
    if (typeof a === 'number' || a instanceof LosslessNumber) {
      if (typeof b === 'number' || b instanceof LosslessNumber) {
        if (!this.numbersEqual(a, b, st)) this.diff('value', a, b);
      } else this.diff('type', a, b);
      return;
    }
    if (typeof a === 'boolean' || a === null) {
      if (typeof b !== typeof a || (b === null) !== (a === null)) this.diff('type', a, b);
      else if (a !== b) this.diff('value', a, b);
      return;
    }
    if (Array.isArray(a)) {
      if (Array.isArray(b)) this.arrays(a, b, st);
      else this.diff('type', a, b);
      return;
    }
    if (b === null || typeof b !== 'object' || Array.isArray(b) || b instanceof LosslessNumber) {
      this.diff('type', a, b);
      return;
    }
    this.objects(a as Record<string, unknown>, b as Record<string, unknown>, st);
  }

  private numbersEqual(a: number | LosslessNumber, b: number | LosslessNumber, st: PathState): boolean {
    // JS numbers only come from bodies where every number text has at most 15 significant digits
    // and a modest exponent (see parseJson), where doubles are exact: `===` is decimal equality.
    if (typeof a === 'number' && typeof b === 'number' && a === b) return true;
    const da = toDecimal(a);
    const db = toDecimal(b);
    if (decimalEq(da, db)) return true;
    return st.tolerance !== undefined && within(da, db, st.tolerance);
  }

  private objects(a: Record<string, unknown>, b: Record<string, unknown>, st: PathState): void {
    const hasOwn = Object.prototype.hasOwnProperty;
    for (const k of Object.keys(a)) {
      const cs = st.child(k);
      if (cs.ignore) continue;
      if (hasOwn.call(b, k)) {
        this.path.push(k);
        this.walk(a[k], b[k], cs);
        this.path.pop();
      } else this.diff('missing', a[k], ABSENT, k);
      if (this.stop) return;
    }
    for (const k of Object.keys(b)) {
      if (hasOwn.call(a, k)) continue;
      if (st.child(k).ignore) continue;
      this.diff('extra', ABSENT, b[k], k);
      if (this.stop) return;
    }
  }

  private arrays(a: unknown[], b: unknown[], st: PathState): void {
    if (st.unordered) return this.unorderedArrays(a, b, st);
    const n = a.length;
    const m = b.length;
    if (this.out === undefined) {
      if (n !== m) return this.diff('size', n, m);
      for (let i = 0; i < n && !this.stop; i++) this.walk(a[i], b[i], st.index(i));
      return;
    }
    if (n === m) {
      let mis: number[] | undefined;
      for (let i = 0; i < n; i++) {
        const cs = st.index(i);
        if (!cs.ignore && !this.equal(a[i], b[i], cs)) (mis ??= []).push(i);
      }
      if (mis === undefined) return;
      // Same elements, different places: one `order` difference instead of a cascade of values.
      if (mis.length > 1 && this.permuted(a, b, mis, st)) return this.diff('order', a, b);
      for (const i of mis) {
        this.path.push(i);
        this.walk(a[i], b[i], st.index(i));
        this.path.pop();
        if (this.stop) return;
      }
      return;
    }
    this.diff('size', n, m);
    if (this.stop) return;
    const min = Math.min(n, m);
    const eqAt = (i: number, j: number): boolean => {
      const cs = st.index(i);
      return cs.ignore || this.equal(a[i], b[j], cs);
    };
    let p = 0;
    while (p < min && eqAt(p, p)) p++;
    let s = 0;
    while (s < min - p && eqAt(n - 1 - s, m - 1 - s)) s++;
    if (p + s === min) {
      // One contiguous run inserted or removed: report just that run.
      for (let i = p; i < n - s && !this.stop; i++) if (!st.index(i).ignore) this.diff('missing', a[i], ABSENT, i);
      for (let j = p; j < m - s && !this.stop; j++) if (!st.index(j).ignore) this.diff('extra', ABSENT, b[j], j);
      return;
    }
    for (let i = p; i < min && !this.stop; i++) {
      this.path.push(i);
      this.walk(a[i], b[i], st.index(i));
      this.path.pop();
    }
    for (let i = min; i < n && !this.stop; i++) if (!st.index(i).ignore) this.diff('missing', a[i], ABSENT, i);
    for (let j = min; j < m && !this.stop; j++) if (!st.index(j).ignore) this.diff('extra', ABSENT, b[j], j);
  }

  /** Do the mismatched positions of two same-length arrays hold the same elements? */
  private permuted(a: unknown[], b: unknown[], mis: readonly number[], st: PathState): boolean {
    // Cheap necessary condition first (probes stop at the first difference), so arrays whose
    // elements each changed in place never pay for canonical forms.
    const first = b[mis[0]!];
    let found = false;
    for (let k = 1; k < mis.length && !found; k++) found = this.equal(a[mis[k]!], first, st.index(mis[k]!));
    if (!found) return false;
    const r = this.multiset(a, mis, b, mis, st);
    return r.a.length === 0 && r.b.length === 0;
  }

  private unorderedArrays(a: unknown[], b: unknown[], st: PathState): void {
    const n = a.length;
    const m = b.length;
    if (n !== m) {
      this.diff('size', n, m);
      if (this.stop) return;
    }
    // Most "unordered" arrays arrive in the same order: pair equal positions first, cheaply.
    const restA: number[] = [];
    const restB: number[] = [];
    const min = Math.min(n, m);
    for (let i = 0; i < min; i++) {
      const cs = st.index(i);
      if (cs.ignore || this.equal(a[i], b[i], cs)) continue;
      restA.push(i);
      restB.push(i);
    }
    for (let i = min; i < n; i++) restA.push(i);
    for (let j = min; j < m; j++) restB.push(j);
    if (restA.length === 0 && restB.length === 0) return;
    const r = this.multiset(a, restA, b, restB, st);
    for (const i of r.a) {
      this.diff('missing', a[i], ABSENT, i);
      if (this.stop) return;
    }
    for (const j of r.b) {
      this.diff('extra', ABSENT, b[j], j);
      if (this.stop) return;
    }
  }

  /** Pairs a[ia] with b[ib] as multisets under the rules; returns the unpaired indexes, ascending. */
  private multiset(a: unknown[], ia: readonly number[], b: unknown[], ib: readonly number[], st: PathState): { a: number[]; b: number[] } {
    const canon = (this.canon ??= new Canon());
    const groups = new Map<string, Group>();
    const unA: number[] = [];
    const unB: number[] = [];
    for (const i of ia) {
      const cs = st.index(i);
      if (cs.ignore) continue;
      canon.loose = false;
      const k = canon.of(a[i], cs);
      const g = groups.get(k);
      if (g) g.a.push(i);
      else groups.set(k, { a: [i], b: [], loose: canon.loose });
    }
    for (const j of ib) {
      const cs = st.index(j);
      if (cs.ignore) continue;
      canon.loose = false;
      const g = groups.get(canon.of(b[j], cs));
      if (g) g.b.push(j);
      else unB.push(j);
    }
    for (const g of groups.values()) {
      if (!g.loose) {
        const k = Math.min(g.a.length, g.b.length);
        for (let x = k; x < g.a.length; x++) unA.push(g.a[x]!);
        for (let x = k; x < g.b.length; x++) unB.push(g.b[x]!);
      } else if (g.a.length * g.b.length <= PAIRWISE_LIMIT) {
        // Greedy: each modern element takes the first legacy one equal within tolerance.
        const taken = new Uint8Array(g.a.length);
        for (const j of g.b) {
          let found = false;
          for (let x = 0; x < g.a.length; x++) {
            if (taken[x] === 0 && this.equal(a[g.a[x]!], b[j], st.index(g.a[x]!))) {
              taken[x] = 1;
              found = true;
              break;
            }
          }
          if (!found) unB.push(j);
        }
        g.a.forEach((i, x) => taken[x] === 0 && unA.push(i));
      } else {
        // Too many candidates for pairwise checks: sort both sides by their tolerance-compared
        // numbers and merge (optimal when each element holds one such number, as in a list of
        // prices; a fair approximation otherwise).
        const sorted = (arr: unknown[], idx: number[]): { i: number; v: number[] }[] =>
          idx
            .map((i) => {
              const v: number[] = [];
              canon.nums = v;
              canon.of(arr[i], st.index(i));
              canon.nums = undefined;
              return { i, v };
            })
            .sort((x, y) => compareVectors(x.v, y.v) || x.i - y.i);
        const sa = sorted(a, g.a);
        const sb = sorted(b, g.b);
        let x = 0;
        let y = 0;
        while (x < sa.length && y < sb.length) {
          const ea = sa[x]!;
          const eb = sb[y]!;
          if (this.equal(a[ea.i], b[eb.i], st.index(ea.i))) {
            x++;
            y++;
          } else if (compareVectors(ea.v, eb.v) < 0) {
            unA.push(ea.i);
            x++;
          } else {
            unB.push(eb.i);
            y++;
          }
        }
        for (; x < sa.length; x++) unA.push(sa[x]!.i);
        for (; y < sb.length; y++) unB.push(sb[y]!.i);
      }
    }
    unA.sort((x, y) => x - y);
    unB.sort((x, y) => x - y);
    return { a: unA, b: unB };
  }
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

/**
 * Decodes a body per its content-encoding, last coding applied first undone (RFC 9110 §8.4):
 * `gzip`/`x-gzip`, `deflate` (zlib-wrapped per the RFC, raw deflate as some servers send it),
 * `br`, `identity`. An empty body stays empty (HEAD, 204). Throws a plain Error on bad data,
 * an unknown coding, or output beyond `maxOutputLength` (default 64 MiB, against bombs).
 */
export function decodeBody(body: Buffer, contentEncoding: string | string[] | undefined, options: { maxOutputLength?: number } = {}): Buffer {
  const codings = encodings(contentEncoding);
  if (codings.length === 0 || body.length === 0) return body;
  const opts = { maxOutputLength: options.maxOutputLength ?? DEFAULT_MAX_DECODED };
  let out = body;
  for (let i = codings.length - 1; i >= 0; i--) {
    const c = codings[i]!;
    try {
      if (c === 'gzip' || c === 'x-gzip') out = gunzipSync(out, opts);
      else if (c === 'br') out = brotliDecompressSync(out, opts);
      else if (c === 'deflate') {
        try {
          out = inflateSync(out, opts);
        } catch (e) {
          if (e instanceof RangeError) throw e;
          out = inflateRawSync(out, opts);
        }
      } else throw new Error(`unsupported content-encoding ${JSON.stringify(c)}`);
    } catch (e) {
      if (e instanceof RangeError) throw new Error(`cannot decode content-encoding ${c}: decoded body exceeds ${opts.maxOutputLength} bytes`, { cause: e });
      if (e instanceof Error && e.message.startsWith('unsupported')) throw e;
      throw new Error(`cannot decode content-encoding ${c}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  return out;
}

function encodings(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  const all = Array.isArray(v) ? v.join(',') : v;
  const out: string[] = [];
  for (const part of all.split(',')) {
    const c = part.trim().toLowerCase();
    if (c !== '' && c !== 'identity') out.push(c);
  }
  return out;
}

function header(h: CapturedResponse['headers'], name: string): string | undefined {
  let v = h[name];
  if (v === undefined) {
    for (const k of Object.keys(h)) {
      if (k.length === name.length && k.toLowerCase() === name) {
        v = h[k];
        break;
      }
    }
  }
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : v;
}

interface MediaType {
  readonly type: string;
  readonly charset: string | undefined;
}

function mediaType(ct: string | undefined): MediaType | undefined {
  if (ct === undefined) return undefined;
  const semi = ct.indexOf(';');
  const type = (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase();
  if (type === '') return undefined;
  const m = semi < 0 ? null : /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(ct.slice(semi));
  return { type, charset: m ? canonicalCharset(m[1]!) : undefined };
}

function canonicalCharset(label: string): string {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return label.toLowerCase();
  }
}

/**
 * Content-types match on the media type; charset only counts when both declare one (compared by
 * its canonical name, so `UTF-8`/`utf8` agree): a missing charset is the type's default, e.g.
 * always UTF-8 for JSON (RFC 8259 §8.1). Other parameters are ignored.
 */
function contentTypesMatch(a: string, b: string): boolean {
  const x = mediaType(a);
  const y = mediaType(b);
  if (x === undefined || y === undefined) return a.trim() === b.trim();
  return x.type === y.type && (x.charset === undefined || y.charset === undefined || x.charset === y.charset);
}

const isJsonType = (t: string): boolean => t === 'application/json' || (t.startsWith('application/') && t.endsWith('+json'));
const isTextType = (t: string): boolean =>
  t.startsWith('text/') || t === 'application/xml' || t.endsWith('+xml') || t === 'application/javascript' || t === 'application/x-www-form-urlencoded';

type Body = { readonly kind: 'json'; readonly value: unknown } | { readonly kind: 'text'; readonly text: string } | { readonly kind: 'bytes' };

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Number texts a double might not hold exactly: an exponent of 3+ digits (subnormals, overflow) … */
const BIG_EXPONENT = /\d[eE][-+]?\d{3}/;

const isDigitOrDot = (c: number): boolean => c <= 0x39 && (c >= 0x30 || c === 0x2e);

/**
 * … or a run of ≥ 16 digits and dots (conservative: strings count too). Skip search: if the
 * character where a run would end is not a digit or dot, no run can cover it, so jump 16 ahead;
 * about 10× faster than the equivalent regex on digit-heavy JSON, where the regex cost as much as
 * `JSON.parse` itself.
 */
function hasLongDigitRun(s: string): boolean {
  const len = s.length;
  let end = 15;
  while (end < len) {
    if (!isDigitOrDot(s.charCodeAt(end))) {
      end += 16;
      continue;
    }
    let j = end - 1;
    while (j > end - 16 && isDigitOrDot(s.charCodeAt(j))) j--;
    if (j === end - 16) return true;
    end = j + 16;
  }
  return false;
}
const NOT_JSON = Symbol('not json');

/**
 * Parses JSON losslessly. Speed: lossless-json's parser is ~4× slower than `JSON.parse`, so it runs
 * only when the text may hold a number a double would round: every decimal with ≤ 15 significant
 * digits in the normal range maps to a distinct double (DBL_DIG = 15, IEEE 754-2008 §5.12.2), so
 * on texts without ≥ 16-digit runs or 3-digit exponents, double equality *is* decimal equality
 * and `String(n)` gives back the exact decimal. Duplicate keys: the last wins, as for clients.
 */
function parseJson(buf: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    return NOT_JSON; // JSON must be UTF-8 (RFC 8259 §8.1)
  }
  try {
    if (!hasLongDigitRun(text) && !BIG_EXPONENT.test(text)) return JSON.parse(text) as unknown;
    return parseLossless(text, null, { onDuplicateKey: ({ newValue }) => newValue });
  } catch {
    return NOT_JSON;
  }
}

function decodeText(buf: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(buf);
  } catch {
    return buf.toString('utf8');
  }
}

/**
 * JSON by content-type (`application/json`, `application/*+json`), or when there is none, if it
 * parses; a body declared JSON that does not parse is compared as text. Other `text/*`, XML,
 * JavaScript and form bodies are text; the rest bytes.
 */
function classify(buf: Buffer, contentType: string | undefined): Body {
  const mt = mediaType(contentType);
  if (mt === undefined || isJsonType(mt.type)) {
    const v = parseJson(buf);
    if (v !== NOT_JSON) return { kind: 'json', value: v };
    return mt === undefined ? { kind: 'bytes' } : { kind: 'text', text: decodeText(buf, mt.charset) };
  }
  if (isTextType(mt.type)) return { kind: 'text', text: decodeText(buf, mt.charset) };
  return { kind: 'bytes' };
}

function bytesSummary(buf: Buffer): { bytes: number; sha256: string } {
  return { bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex').slice(0, 16) };
}

/** A window of a long text around the first difference, so the reported snippets differ. */
function textWindow(s: string, from: number): string {
  if (s.length <= VALUE_LIMIT) return s;
  const start = Math.max(0, Math.min(from - 40, s.length - VALUE_LIMIT));
  const body = s.slice(start, start + VALUE_LIMIT);
  return (start > 0 ? '…' : '') + body + (start + VALUE_LIMIT < s.length ? '…' : '');
}

function bodySummary(body: Body, buf: Buffer): unknown {
  if (body.kind === 'json') return report(body.value);
  if (body.kind === 'text') return textWindow(body.text, 0);
  return bytesSummary(buf);
}

function compareBodies(legacy: CapturedResponse, modern: CapturedResponse, engine: Engine, w: Walker): void {
  if (engine.root.ignore) return;
  const encL = header(legacy.headers, 'content-encoding');
  const encM = header(modern.headers, 'content-encoding');
  // Fast path: same bytes, same coding: nothing to decode or parse.
  if (legacy.body.equals(modern.body) && encodings(encL).join() === encodings(encM).join()) return;
  let bl: Buffer | undefined;
  let bm: Buffer | undefined;
  let errL: string | undefined;
  let errM: string | undefined;
  try {
    bl = decodeBody(legacy.body, encL);
  } catch (e) {
    errL = (e as Error).message;
  }
  try {
    bm = decodeBody(modern.body, encM);
  } catch (e) {
    errM = (e as Error).message;
  }
  if (bl === undefined || bm === undefined) {
    w.add('$', 'value', errL ?? bytesSummary(bl!), errM ?? bytesSummary(bm!));
    return;
  }
  if (bl.equals(bm)) return;
  const sl = classify(bl, header(legacy.headers, 'content-type'));
  const sm = classify(bm, header(modern.headers, 'content-type'));
  if (sl.kind === 'json' && sm.kind === 'json') {
    try {
      w.walk(sl.value, sm.value, engine.root);
    } catch (e) {
      // Stack overflow on pathologically deep bodies (already known to differ): one difference.
      if (!(e instanceof RangeError)) throw e;
      const why = `cannot compare structurally: ${e.message}`;
      w.add('$', 'value', why, why);
    }
    return;
  }
  if (sl.kind === 'json' || sm.kind === 'json') {
    w.add('$', 'type', bodySummary(sl, bl), bodySummary(sm, bm));
    return;
  }
  if (sl.kind === 'text' && sm.kind === 'text') {
    // Line endings are transport noise (CRLF vs LF between platforms); nothing else is normalised.
    const tl = sl.text.includes('\r') ? sl.text.replace(/\r\n?/g, '\n') : sl.text;
    const tm = sm.text.includes('\r') ? sm.text.replace(/\r\n?/g, '\n') : sm.text;
    if (tl === tm) return;
    let k = 0;
    while (k < tl.length && k < tm.length && tl.charCodeAt(k) === tm.charCodeAt(k)) k++;
    w.add('$', 'value', textWindow(tl, k), textWindow(tm, k));
    return;
  }
  w.add('$', 'value', bytesSummary(bl), bytesSummary(bm));
}

// ---------------------------------------------------------------------------------------------
// The comparator
// ---------------------------------------------------------------------------------------------

/**
 * The default {@link Comparator}: status, allowlisted headers, then the body (see the module
 * header). Never throws for bad bodies: an undecodable body is a `value` difference at `$`.
 * `rules` may be raw (compiled once and cached per object) or from {@link compileRules}.
 *
 * Arrays: a length mismatch is one `size` difference; if the shorter array is the longer one with
 * one contiguous run of elements removed, that run is reported (`missing` at legacy indexes,
 * `extra` at modern indexes), otherwise positions are compared one by one and the longer
 * array's tail is reported. Same-length arrays holding the same elements in another order give
 * one `order` difference. `unordered` arrays report unpaired elements as `missing`/`extra`.
 */
export const structuralCompare: Comparator = (legacy, modern, rules) => {
  const engine = engineFor(rules);
  const out = new Collector(engine.max);
  const w = new Walker(out);
  if (engine.status && !engine.ignoreStatus && legacy.status !== modern.status) w.add('status', 'status', legacy.status, modern.status);
  for (const name of engine.headers) {
    if (w.stop) break;
    if (engine.ignoreHeaders.has(name)) continue;
    const a = header(legacy.headers, name);
    const b = header(modern.headers, name);
    if (a === undefined && b === undefined) continue;
    const same = a !== undefined && b !== undefined && (name === 'content-type' ? contentTypesMatch(a, b) : a.trim() === b.trim());
    if (!same) w.add(`header:${name}`, 'header', a === undefined ? ABSENT : cut(a), b === undefined ? ABSENT : cut(b));
  }
  if (!w.stop) compareBodies(legacy, modern, engine, w);
  return { match: out.diffs.length === 0 && !out.truncated, differences: out.diffs, truncated: out.truncated };
};
