/**
 * The analyzer's output as the gateway sees it (`gateway.specs: DIR`, issue #5's output contract):
 * `DIR/rules.json` and `DIR/openapi.yaml` read once at start, checked lightly, and turned into a
 * catalog that answers two questions for the dashboard and the admin API: which spec operations
 * does a route serve (method + path template), and which business rules govern a route or a
 * differing JSON path (`$.rate` ↔ a rule whose fields or effects name `WS-RATE` or `rate`).
 * Files are read here, at the edge (config loading); the catalog itself is pure and frozen.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Rule } from '../analyzers/model.js';

/** One operation of the spec, reduced to what the gateway matches and shows. */
export interface SpecOperation {
  operationId: string;
  method: string;
  /** OpenAPI template, e.g. `/loans/{id}`. */
  path: string;
  summary: string;
  /** Ids listed in the operation's `x-ficus-rules`. */
  ruleIds: string[];
}

/** A rule as the admin API shows it: the analyzer's rule plus why it is shown. */
export interface RuleView {
  id: string;
  kind: string;
  statement: string;
  condition: string | null;
  effects: string[];
  fields: string[];
  evidence: { path: string; startLine: number; endLine: number }[];
  operation: string | null;
  /** `operation`: listed by (or naming) an operation the route serves; `field`: names a differing path. */
  governs: ('operation' | 'field')[];
  /** The differing JSON paths this rule's fields or effects name. */
  paths: string[];
}

export interface SpecCatalog {
  readonly dir: string;
  readonly operations: readonly SpecOperation[];
  /** The OpenAPI document as parsed (`openapi.yaml`), for the spec checker's validators; absent in catalogs built without one. */
  readonly document?: Readonly<Record<string, unknown>>;
  /** Path of `openapi.yaml`, to name it in problems. */
  readonly specFile?: string;
  /** Operations a route (`methods` + fastify path `/loans/:id`) serves. */
  operationsFor(methods: readonly string[], path: string): SpecOperation[];
  /** Rules governing those operations, plus rules naming the last key of any of `diffPaths`. */
  rulesFor(operations: readonly SpecOperation[], diffPaths?: readonly string[]): RuleView[];
  /**
   * The operation (if any) whose template matches a concrete or templated request path. When
   * several do, the one with the most segments equal to the path's wins (`/loans/search` over
   * `/loans/{id}` for `/loans/search`, the reverse for `/loans/{id}`), as the OpenAPI 3.1 Paths
   * Object says: concrete paths match before their templated counterparts. Ties: file order.
   */
  operationMatching(method: string, path: string): SpecOperation | undefined;
}

/** A problem with one of the files, named by the caller in a config issue. */
export class SpecsFileProblem extends Error {
  constructor(readonly file: string, message: string) {
    super(message);
  }
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

/** Reads and checks `DIR/rules.json` and `DIR/openapi.yaml`; throws `SpecsFileProblem` naming the file. */
export function loadSpecs(dir: string): SpecCatalog {
  const rulesFile = join(dir, 'rules.json');
  const specFile = join(dir, 'openapi.yaml');
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new SpecsFileProblem(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  let rulesDoc: unknown;
  try {
    rulesDoc = JSON.parse(read(rulesFile));
  } catch (err) {
    if (err instanceof SpecsFileProblem) throw err;
    throw new SpecsFileProblem(rulesFile, `is not JSON (${(err as Error).message})`);
  }
  const rules = checkRules(rulesFile, rulesDoc);
  let specDoc: unknown;
  try {
    specDoc = parseYaml(read(specFile));
  } catch (err) {
    if (err instanceof SpecsFileProblem) throw err;
    throw new SpecsFileProblem(specFile, `is not YAML (${(err as Error).message})`);
  }
  const operations = checkSpec(specFile, specDoc);
  return createSpecCatalog(dir, operations, rules, { document: specDoc as Record<string, unknown>, specFile });
}

function checkRules(file: string, doc: unknown): Rule[] {
  if (!isObject(doc) || !Array.isArray(doc.rules)) throw new SpecsFileProblem(file, 'must be an object with a "rules" array (the analyzer output contract)');
  return doc.rules.map((r: unknown, i: number) => {
    if (!isObject(r) || typeof r.id !== 'string' || typeof r.statement !== 'string') throw new SpecsFileProblem(file, `rules[${i}] needs a string "id" and "statement"`);
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    const evidence = Array.isArray(r.evidence)
      ? r.evidence.filter((e): e is Rule['evidence'][number] => isObject(e) && typeof e.path === 'string' && typeof e.startLine === 'number' && typeof e.endLine === 'number')
      : [];
    return {
      id: r.id,
      kind: (typeof r.kind === 'string' ? r.kind : 'decision') as Rule['kind'],
      statement: r.statement,
      condition: typeof r.condition === 'string' ? r.condition : null,
      effects: strings(r.effects),
      fields: strings(r.fields),
      evidence: evidence.map((e) => ({ path: e.path, startLine: e.startLine, endLine: e.endLine })),
      origin: r.origin === 'llm' ? 'llm' : 'parser',
      operation: typeof r.operation === 'string' ? r.operation : null,
    };
  });
}

function checkSpec(file: string, doc: unknown): SpecOperation[] {
  if (!isObject(doc) || typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.')) throw new SpecsFileProblem(file, 'must be an OpenAPI 3.x document ("openapi: 3.1.0")');
  const paths = doc.paths ?? {};
  if (!isObject(paths)) throw new SpecsFileProblem(file, '"paths" must be an object');
  const ops: SpecOperation[] = [];
  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith('/')) throw new SpecsFileProblem(file, `path ${JSON.stringify(path)} must start with "/"`);
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const ruleIds = op['x-ficus-rules'];
      if (ruleIds !== undefined && !(Array.isArray(ruleIds) && ruleIds.every((x) => typeof x === 'string'))) {
        throw new SpecsFileProblem(file, `${method.toUpperCase()} ${path}: x-ficus-rules must be a list of rule ids`);
      }
      ops.push({
        operationId: typeof op.operationId === 'string' ? op.operationId : `${method} ${path}`,
        method: method.toUpperCase(),
        path,
        summary: typeof op.summary === 'string' ? op.summary : '',
        ruleIds: (ruleIds as string[] | undefined) ?? [],
      });
    }
  }
  return ops;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Path segments with every parameter (`{id}`, `:id`) as `{}`. */
function templateSegments(path: string): string[] {
  return path
    .split('/')
    .filter(Boolean)
    .map((s) => (/^\{[^}]*\}$/.test(s) || s.startsWith(':') ? '{}' : s));
}

function segmentsMatch(template: readonly string[], concrete: readonly string[]): boolean {
  return template.length === concrete.length && template.every((t, i) => t === '{}' || concrete[i] === '{}' || t === concrete[i]);
}

/** Lower-case letters and digits only: `WS-RATE` → `wsrate`, `loanRate` → `loanrate`. */
function squash(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Names a data item can be called by in JSON: every trailing run of its dash/underscore words (`WS-LOAN-RATE` → rate, loanrate, wsloanrate). */
function aliases(name: string): string[] {
  const words = name.split(/[-_\s.]+/).map(squash).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) out.push(words.slice(i).join(''));
  return out;
}

/** The last object key of a concrete path: `$.items[2].rate` → `rate`, `$['unit price']` → `unit price`. */
export function lastKey(path: string): string | undefined {
  const m = /(?:\.([A-Za-z_$][\w$]*)|\['((?:[^'\\]|\\.)*)'\])(?:\[\d+\])*$/.exec(path);
  if (!m) return undefined;
  return m[1] ?? m[2]!.replace(/\\(.)/g, '$1');
}

/** Data names in an effect such as `WS-RATE := WS-BASE * 1.05` or `MOVE 'E01' TO WS-ERR-CODE`. */
function effectNames(effect: string): string[] {
  return effect.replace(/'[^']*'|"[^"]*"/g, ' ').match(/[A-Za-z][A-Za-z0-9_-]*/g) ?? [];
}

export function createSpecCatalog(
  dir: string,
  operations: readonly SpecOperation[],
  rules: readonly Rule[],
  source: { document?: Record<string, unknown>; specFile?: string } = {},
): SpecCatalog {
  const byId = new Map(rules.map((r) => [r.id, r]));
  const names = new Map<string, Set<string>>();
  for (const r of rules) {
    const set = new Set<string>();
    for (const n of [...r.fields, ...r.effects.flatMap(effectNames)]) for (const a of aliases(n)) set.add(a);
    names.set(r.id, set);
  }
  const frozenOps = Object.freeze(operations.map((o) => Object.freeze({ ...o, ruleIds: [...o.ruleIds] })));
  const opSegments = frozenOps.map((o) => ({ o, segs: templateSegments(o.path) }));
  const view = (r: Rule): RuleView => ({
    id: r.id,
    kind: r.kind,
    statement: r.statement,
    condition: r.condition,
    effects: [...r.effects],
    fields: [...r.fields],
    evidence: r.evidence.map((e) => ({ ...e })),
    operation: r.operation,
    governs: [],
    paths: [],
  });
  return Object.freeze({
    dir,
    operations: frozenOps,
    ...(source.document ? { document: source.document } : {}),
    ...(source.specFile ? { specFile: source.specFile } : {}),
    operationsFor(methods: readonly string[], path: string) {
      const segs = templateSegments(path.replace(/\/\*$/, ''));
      const wildcard = path.endsWith('/*');
      return frozenOps.filter((o) => {
        if (!methods.includes(o.method)) return false;
        const t = templateSegments(o.path);
        return wildcard ? segmentsMatch(t.slice(0, segs.length), segs) && t.length >= segs.length : segmentsMatch(t, segs);
      });
    },
    operationMatching(method: string, path: string) {
      const segs = templateSegments(path);
      let best: SpecOperation | undefined;
      let bestScore = -1;
      for (const { o, segs: t } of opSegments) {
        if (o.method !== method || !segmentsMatch(t, segs)) continue;
        const score = t.reduce((n, s, i) => (s === segs[i] ? n + 1 : n), 0);
        if (score > bestScore) [best, bestScore] = [o, score];
      }
      return best;
    },
    rulesFor(ops: readonly SpecOperation[], diffPaths: readonly string[] = []) {
      const out = new Map<string, RuleView>();
      const add = (r: Rule, why: 'operation' | 'field', path?: string) => {
        let v = out.get(r.id);
        if (!v) out.set(r.id, (v = view(r)));
        if (!v.governs.includes(why)) v.governs.push(why);
        if (path !== undefined && !v.paths.includes(path)) v.paths.push(path);
      };
      const opIds = new Set(ops.map((o) => o.operationId));
      for (const o of ops) for (const id of o.ruleIds) {
        const r = byId.get(id);
        if (r) add(r, 'operation');
      }
      for (const r of rules) if (r.operation !== null && opIds.has(r.operation)) add(r, 'operation');
      for (const p of diffPaths) {
        const key = lastKey(p);
        if (key === undefined) continue;
        const k = squash(key);
        if (!k) continue;
        for (const r of rules) if (names.get(r.id)!.has(k)) add(r, 'field', p);
      }
      // Rules that explain a differing path first, then the rest in file order.
      return [...out.values()].sort((a, b) => b.paths.length - a.paths.length);
    },
  });
}
