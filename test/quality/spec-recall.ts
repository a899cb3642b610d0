/**
 * Operation and parameter recall of a generated OpenAPI document against a published one (issue 6's
 * quality bar: ≥ 0.95 operation recall and precision, ≥ 0.9 query/header parameter recall). This
 * module owns the comparison only: it reads two documents (OpenAPI 3.0/3.1, or Swagger 2.0), keys
 * every operation by method + normalized path template, and scores the generated one. The corpus
 * runner (run.ts) and the tests call `compareSpecs`; `node dist/test/quality/spec-recall.js` is the
 * same thing from a shell.
 *
 * Normalization, so that what differs only by spelling still matches:
 * - parameter names in templates are ignored (`/users/{id}` == `/users/{userId}`), and a whole
 *   `:name` segment counts as a template parameter too;
 * - a trailing slash is ignored (`/users/` == `/users`);
 * - each document's base path (the path of `servers[0].url`, variables at their defaults; Swagger
 *   2.0's `basePath`) is prefixed onto its paths, so a published `servers: [{url: …/api}]` with
 *   `/users` compares as `/api/users`;
 * - `base` prefixes are then stripped from either side where present, for an API that is mounted
 *   under a prefix the source does not show (a context path in a properties file, an env variable).
 *
 * Parameters are scored over matched operations only, per location. Query, header and cookie
 * parameters match by location + name (header names case-insensitively); `Accept`, `Content-Type`
 * and `Authorization` header parameters are dropped on both sides, as OpenAPI 3 says to ignore them
 * (Parameter Object, "in"). Path parameters match by position in the template, since the template
 * match already ignores their names: the i-th `{…}` of the reference is recalled when the generated
 * operation declares its own i-th template parameter with `in: path`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';

/** The HTTP methods an OpenAPI Path Item can hold. */
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Parameter locations that are scored (Swagger 2.0 `body`/`formData` are request bodies, not parameters here). */
export const PARAMETER_LOCATIONS = ['path', 'query', 'header', 'cookie'] as const;
export type ParameterLocation = (typeof PARAMETER_LOCATIONS)[number];

/** Header parameters OpenAPI 3 says to ignore (Parameter Object, "in": "header"). */
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);

export interface CompareOptions {
  /**
   * Path prefixes (e.g. `/api`) removed from the start of any path, in either document, after the
   * servers base path is applied; the longest matching one is removed. Default: none.
   */
  base?: string | readonly string[];
  /** Prefix each document's `servers[0].url` path (Swagger 2.0: `basePath`) onto its paths. Default true. */
  applyServers?: boolean;
  /** Compare paths case-insensitively (for frameworks whose routing is, e.g. ASP.NET Core). Default false. */
  ignoreCase?: boolean;
  /**
   * Reference operations the implementation verifiably does not serve, as `METHOD /path` in the
   * compared space (after servers and `base`): removed from the reference. Default: none.
   */
  exclude?: readonly string[];
  /**
   * Operations the implementation serves that the reference does not publish, as `METHOD /path`:
   * neither counted as extra when generated nor required. Default: none.
   */
  tolerate?: readonly string[];
  /**
   * Parameters of reference operations the implementation verifiably does not read (the reference
   * documents what the code does not do): removed from that operation before scoring. Default: none.
   */
  excludeParameters?: readonly ParameterExclusion[];
}

/** A reference parameter to leave out: `operation` as `METHOD /path` in the compared space. */
export interface ParameterExclusion {
  operation: string;
  in: 'query' | 'header' | 'cookie';
  name: string;
}

export interface Score {
  /** Items in the reference (the recall denominator). */
  reference: number;
  /** Items in the generated document (the precision denominator). */
  generated: number;
  matched: number;
  /** matched / reference; null when the reference has none. */
  recall: number | null;
  /** matched / generated; null when the generated document has none. */
  precision: number | null;
}

/** A parameter score; `reference` counts matched operations only, `inReference` every scored reference operation. */
export interface ParameterScore extends Score {
  /** Parameters of this location on every scored reference operation, matched or not. */
  inReference: number;
}

export interface ParameterRef {
  /** `METHOD /path` as the reference spells it (the generated one for extra parameters). */
  operation: string;
  in: ParameterLocation;
  name: string;
}

export interface SpecComparison {
  operations: Score & {
    /** Reference operations with no generated counterpart, `METHOD /path` as the reference spells them. */
    missed: string[];
    /** Generated operations with no reference counterpart, as the generated document spells them. */
    extra: string[];
    /** Reference operations removed by `exclude`. */
    excluded: string[];
    /** Generated operations matched by `tolerate`, not scored. */
    tolerated: string[];
    /** `exclude` entries that match no reference operation (a stale manifest). */
    unusedExclusions: string[];
    /** `tolerate` entries that match a reference operation (they would hide nothing; a manifest mistake). */
    conflictingTolerations: string[];
  };
  /** Parameter scores per location, over matched operations. */
  parameters: Record<ParameterLocation, ParameterScore>;
  missedParameters: ParameterRef[];
  extraParameters: ParameterRef[];
  /** Reference parameters removed by `excludeParameters`. */
  excludedParameters: ParameterRef[];
  /** `excludeParameters` entries that match no parameter of a scored reference operation (a stale manifest). */
  unusedParameterExclusions: string[];
}

/** A document that cannot be compared: not OpenAPI 3.x / Swagger 2.0, or unreadable. */
export class SpecInvalidError extends Error {
  static readonly code = 'FICUS_QA_SPEC_INVALID';
  readonly code = SpecInvalidError.code;
  constructor(label: string, reason: string, options?: { cause?: unknown }) {
    super(`${label}: ${reason}`, options);
    this.name = 'SpecInvalidError';
  }
}

/** One operation of a document, keyed for matching. */
interface KeyedOperation {
  key: string;
  /** `METHOD /path` with the document's own parameter names, base stripped. */
  display: string;
  /** Template parameter names in order. */
  template: string[];
  /** Declared parameters by location (names lowercased for headers). */
  declared: Record<ParameterLocation, Set<string>>;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a YAML or JSON file (JSON is YAML) into an untyped value; `compareSpecs` validates it. */
export function readSpec(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpecInvalidError(file, `cannot be read (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  try {
    return parseYaml(text, { maxAliasCount: -1 }) as unknown;
  } catch (err) {
    throw new SpecInvalidError(file, `is not YAML or JSON (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`, { cause: err });
  }
}

/** Compares a generated OpenAPI document with a reference one; both are validated here. */
export function compareSpecs(generated: unknown, reference: unknown, options: CompareOptions = {}): SpecComparison {
  const opts = normalizeOptions(options);
  const gen = operationsOf(generated, 'generated', opts);
  const ref = operationsOf(reference, 'reference', opts);

  const excludeKeys = new Map(opts.exclude.map((e) => [operationKey(e, opts), e]));
  const tolerateKeys = new Map(opts.tolerate.map((e) => [operationKey(e, opts), e]));

  const excluded: string[] = [];
  const scoredRef = new Map<string, KeyedOperation>();
  for (const op of ref.values()) {
    if (excludeKeys.has(op.key)) excluded.push(op.display);
    else scoredRef.set(op.key, op);
  }
  const unusedExclusions = [...excludeKeys].filter(([key]) => !ref.has(key)).map(([, text]) => text);
  const excludedParameters: ParameterRef[] = [];
  const unusedParameterExclusions: string[] = [];
  for (const x of opts.excludeParameters) {
    const op = scoredRef.get(operationKey(x.operation, opts));
    const name = x.in === 'header' ? x.name.toLowerCase() : x.name;
    if (op?.declared[x.in].delete(name)) excludedParameters.push({ operation: op.display, in: x.in, name });
    else unusedParameterExclusions.push(`${x.operation} ${x.in} ${x.name}`);
  }
  const conflictingTolerations = [...tolerateKeys].filter(([key]) => scoredRef.has(key)).map(([, text]) => text);

  const tolerated: string[] = [];
  const scoredGen = new Map<string, KeyedOperation>();
  for (const op of gen.values()) {
    if (!scoredRef.has(op.key) && tolerateKeys.has(op.key)) tolerated.push(op.display);
    else scoredGen.set(op.key, op);
  }

  const missed: string[] = [];
  const matchedPairs: Array<[KeyedOperation, KeyedOperation]> = [];
  for (const op of scoredRef.values()) {
    const g = scoredGen.get(op.key);
    if (g) matchedPairs.push([op, g]);
    else missed.push(op.display);
  }
  const extra = [...scoredGen.values()].filter((op) => !scoredRef.has(op.key)).map((op) => op.display);

  const counts = Object.fromEntries(PARAMETER_LOCATIONS.map((l) => [l, { reference: 0, generated: 0, matched: 0 }])) as Record<
    ParameterLocation,
    { reference: number; generated: number; matched: number }
  >;
  const inReference = Object.fromEntries(PARAMETER_LOCATIONS.map((l) => [l, 0])) as Record<ParameterLocation, number>;
  for (const op of scoredRef.values()) {
    inReference.path += op.template.length;
    for (const location of ['query', 'header', 'cookie'] as const) inReference[location] += op.declared[location].size;
  }
  const missedParameters: ParameterRef[] = [];
  const extraParameters: ParameterRef[] = [];
  for (const [r, g] of matchedPairs) {
    // Path parameters by position: the generated template's i-th name, declared `in: path`.
    const declaredPath = g.declared.path;
    counts.path.reference += r.template.length;
    counts.path.generated += g.template.filter((name) => declaredPath.has(name)).length;
    r.template.forEach((name, i) => {
      const own = g.template[i];
      if (own !== undefined && declaredPath.has(own)) counts.path.matched++;
      else missedParameters.push({ operation: r.display, in: 'path', name });
    });
    for (const location of ['query', 'header', 'cookie'] as const) {
      const want = r.declared[location];
      const have = g.declared[location];
      counts[location].reference += want.size;
      counts[location].generated += have.size;
      for (const name of want) {
        if (have.has(name)) counts[location].matched++;
        else missedParameters.push({ operation: r.display, in: location, name });
      }
      for (const name of have) if (!want.has(name)) extraParameters.push({ operation: g.display, in: location, name });
    }
  }

  return {
    operations: {
      ...score(scoredRef.size, scoredGen.size, matchedPairs.length),
      missed: missed.sort(compareOperations),
      extra: extra.sort(compareOperations),
      excluded: excluded.sort(compareOperations),
      tolerated: tolerated.sort(compareOperations),
      unusedExclusions,
      conflictingTolerations,
    },
    parameters: Object.fromEntries(
      PARAMETER_LOCATIONS.map((l) => [l, { ...score(counts[l].reference, counts[l].generated, counts[l].matched), inReference: inReference[l] }]),
    ) as Record<ParameterLocation, ParameterScore>,
    missedParameters,
    extraParameters,
    excludedParameters,
    unusedParameterExclusions,
  };
}

function score(reference: number, generated: number, matched: number): Score {
  return {
    reference,
    generated,
    matched,
    recall: reference === 0 ? null : matched / reference,
    precision: generated === 0 ? null : matched / generated,
  };
}

interface NormalizedOptions {
  base: string[];
  applyServers: boolean;
  ignoreCase: boolean;
  exclude: readonly string[];
  tolerate: readonly string[];
  excludeParameters: readonly ParameterExclusion[];
}

function normalizeOptions(options: CompareOptions): NormalizedOptions {
  const bases = typeof options.base === 'string' ? [options.base] : [...(options.base ?? [])];
  return {
    // Longest first, so `/petclinic/api` wins over `/api`.
    base: bases
      .map((b) => trimSlashes(b))
      .filter((b) => b !== '')
      .map((b) => `/${b}`)
      .sort((a, b) => b.length - a.length),
    applyServers: options.applyServers ?? true,
    ignoreCase: options.ignoreCase ?? false,
    exclude: options.exclude ?? [],
    tolerate: options.tolerate ?? [],
    excludeParameters: options.excludeParameters ?? [],
  };
}

/** `METHOD /path` (as written in a manifest) → the matching key. */
function operationKey(text: string, opts: NormalizedOptions): string {
  const m = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(text);
  if (!m || !(HTTP_METHODS as readonly string[]).includes(m[1]!.toLowerCase())) {
    throw new SpecInvalidError('options', `operation ${JSON.stringify(text)} is not "METHOD /path"`);
  }
  return `${m[1]!.toUpperCase()} ${pathKey(stripBase(m[2]!, opts.base), opts.ignoreCase)}`;
}

/** Every operation of a document by key; the first of two that normalize alike wins. */
function operationsOf(doc: unknown, label: string, opts: NormalizedOptions): Map<string, KeyedOperation> {
  if (!isObject(doc)) throw new SpecInvalidError(label, 'is not an OpenAPI document (not a mapping)');
  const version = typeof doc.openapi === 'string' ? doc.openapi : typeof doc.swagger === 'string' ? doc.swagger : undefined;
  if (version === undefined || !(/^3\./.test(version) || version === '2.0')) {
    throw new SpecInvalidError(label, `is not OpenAPI 3.x or Swagger 2.0 (openapi/swagger: ${JSON.stringify(doc.openapi ?? doc.swagger ?? null)})`);
  }
  const paths = doc.paths ?? {};
  if (!isObject(paths)) throw new SpecInvalidError(label, '`paths` is not a mapping');
  const prefix = opts.applyServers ? basePathOf(doc) : '';
  const out = new Map<string, KeyedOperation>();
  for (const [rawPath, rawItem] of Object.entries(paths)) {
    const item = resolve(doc, rawItem);
    if (!isObject(item)) continue;
    const path = displayPath(stripBase(joinPaths(prefix, rawPath), opts.base));
    const template = templateNames(path);
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const key = `${method.toUpperCase()} ${pathKey(path, opts.ignoreCase)}`;
      if (out.has(key)) continue;
      const own = Array.isArray(op.parameters) ? op.parameters : [];
      out.set(key, { key, display: `${method.toUpperCase()} ${path}`, template, declared: declaredParameters(doc, [...shared, ...own]) });
    }
  }
  return out;
}

/** Path-level then operation-level parameters (an operation's own redefinition wins), by location. */
function declaredParameters(doc: Json, list: unknown[]): Record<ParameterLocation, Set<string>> {
  const declared = Object.fromEntries(PARAMETER_LOCATIONS.map((l) => [l, new Set<string>()])) as Record<ParameterLocation, Set<string>>;
  for (const raw of list) {
    const p = resolve(doc, raw);
    if (!isObject(p) || typeof p.name !== 'string' || typeof p.in !== 'string') continue;
    const location = p.in as ParameterLocation;
    if (!(PARAMETER_LOCATIONS as readonly string[]).includes(location)) continue;
    if (location === 'header') {
      const name = p.name.toLowerCase();
      if (!IGNORED_HEADERS.has(name)) declared.header.add(name);
    } else {
      declared[location].add(p.name);
    }
  }
  return declared;
}

/** Follows local `$ref`s (`#/components/parameters/x`, `#/parameters/x`, `#/paths/...`), bounded against cycles. */
function resolve(doc: Json, value: unknown, depth = 0): unknown {
  if (!isObject(value) || typeof value.$ref !== 'string' || depth > 20) return value;
  const ref = value.$ref;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : undefined;
  }
  return resolve(doc, node, depth + 1);
}

/** The path of `servers[0].url` (variables at their defaults), or Swagger 2.0 `basePath`; '' for none. */
function basePathOf(doc: Json): string {
  if (typeof doc.basePath === 'string') return `/${trimSlashes(doc.basePath)}`.replace(/^\/$/, '');
  const servers = Array.isArray(doc.servers) ? doc.servers : [];
  const first: unknown = servers[0];
  if (!isObject(first) || typeof first.url !== 'string') return '';
  const variables = isObject(first.variables) ? first.variables : {};
  const url = first.url.replace(/\{([^}]*)\}/g, (whole, name: string) => {
    const v = variables[name];
    return isObject(v) && v.default !== undefined ? String(v.default) : whole;
  });
  let path: string;
  if (url.startsWith('/')) path = url;
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    try {
      path = decodeURI(new URL(url).pathname);
    } catch {
      return '';
    }
  } else return '';
  const trimmed = trimSlashes(path.split(/[?#]/)[0]!);
  return trimmed === '' ? '' : `/${trimmed}`;
}

function joinPaths(prefix: string, path: string): string {
  const rest = path.startsWith('/') ? path : `/${path}`;
  return `${prefix}${rest}`.replace(/\/{2,}/g, '/');
}

function stripBase(path: string, bases: readonly string[]): string {
  const p = path.startsWith('/') ? path : `/${path}`;
  for (const base of bases) {
    if (p === base || p === `${base}/`) return '/';
    if (p.startsWith(`${base}/`)) return p.slice(base.length);
  }
  return p;
}

/** Collapses `//`, drops a trailing slash (but keeps `/`). */
function displayPath(path: string): string {
  const p = path.replace(/\/{2,}/g, '/');
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/**
 * The matching form of a path: every `{…}` (braces inside a constraint such as `{id:\d{4}}`
 * included) and every whole `:name` segment becomes `{}`.
 */
function pathKey(path: string, ignoreCase: boolean): string {
  const segments = displayPath(path)
    .split('/')
    .map((segment) => (/^:[A-Za-z_][\w-]*$/.test(segment) ? '{}' : replaceTemplates(segment, () => '{}')));
  const key = segments.join('/') || '/';
  return ignoreCase ? key.toLowerCase() : key;
}

/** Template parameter names in order; `{id:int}`, `{**path}` and `:id` give `id`, `path`, `id`. */
function templateNames(path: string): string[] {
  const names: string[] = [];
  for (const segment of path.split('/')) {
    if (/^:[A-Za-z_][\w-]*$/.test(segment)) names.push(segment.slice(1));
    else replaceTemplates(segment, (inner) => {
      names.push(inner.replace(/^\*+/, '').split(/[:=?]/)[0]!.trim());
      return '';
    });
  }
  return names;
}

/** Replaces each top-level `{…}` of a segment (nested braces kept inside) with what `fn` returns. */
function replaceTemplates(segment: string, fn: (inner: string) => string): string {
  let out = '';
  let depth = 0;
  let inner = '';
  for (const ch of segment) {
    if (ch === '{') {
      if (depth > 0) inner += ch;
      depth++;
    } else if (ch === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        out += fn(inner);
        inner = '';
      } else inner += ch;
    } else if (depth > 0) inner += ch;
    else out += ch;
  }
  return depth > 0 ? `${out}{${inner}` : out;
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}

function compareOperations(a: string, b: string): number {
  const [ma, pa] = a.split(' ') as [string, string];
  const [mb, pb] = b.split(' ') as [string, string];
  return pa < pb ? -1 : pa > pb ? 1 : ma < mb ? -1 : ma > mb ? 1 : 0;
}

/** `0.947 (18/19)`, or `n/a (0/0)` when there is nothing to score. */
export function formatRatio(value: number | null, matched: number, total: number): string {
  return `${value === null ? 'n/a' : value.toFixed(3)} (${matched}/${total})`;
}

/** `0.667 (2/3)`, plus `of N in the reference` when missed operations hold more. */
export function formatParameterScore(p: ParameterScore): string {
  return `${formatRatio(p.recall, p.matched, p.reference)}${p.inReference > p.reference ? ` of ${p.inReference} in the reference` : ''}`;
}

/** The human-readable report of one comparison. */
export function formatComparison(c: SpecComparison): string {
  const o = c.operations;
  const lines = [
    `operations: recall ${formatRatio(o.recall, o.matched, o.reference)}, precision ${formatRatio(o.precision, o.matched, o.generated)}`,
    `parameter recall (matched operations): ${PARAMETER_LOCATIONS.map((l) => `${l} ${formatParameterScore(c.parameters[l])}`).join(', ')}`,
  ];
  const list = (title: string, items: readonly string[]): void => {
    if (items.length) lines.push(`${title} (${items.length}):`, ...items.map((i) => `  ${i}`));
  };
  list('missed operations', o.missed);
  list('extra operations', o.extra);
  list('excluded from the reference', o.excluded);
  list('tolerated (served, not published)', o.tolerated);
  list('exclusions that match no reference operation', o.unusedExclusions);
  list('tolerations that match a reference operation', o.conflictingTolerations);
  list('parameters excluded from the reference', c.excludedParameters.map((p) => `${p.operation}  ${p.in} ${p.name}`));
  list('parameter exclusions that match no reference parameter', c.unusedParameterExclusions);
  list(
    'missed parameters',
    c.missedParameters.map((p) => `${p.operation}  ${p.in} ${p.name}`),
  );
  list(
    'extra parameters',
    c.extraParameters.map((p) => `${p.operation}  ${p.in} ${p.name}`),
  );
  return `${lines.join('\n')}\n`;
}

const USAGE =
  'usage: node dist/test/quality/spec-recall.js --generated <openapi.yaml> --reference <openapi.yaml> ' +
  '[--base /api]... [--exclude "METHOD /path"]... [--tolerate "METHOD /path"]... [--no-servers] [--ignore-case] [--json]';

function parseCli(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      generated: { type: 'string' },
      reference: { type: 'string' },
      base: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      tolerate: { type: 'string', multiple: true },
      'no-servers': { type: 'boolean' },
      'ignore-case': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}

/** The command line; resolves to the exit code (0 compared, 2 bad input). */
export function main(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): number {
  let values: ReturnType<typeof parseCli>;
  try {
    values = parseCli(argv);
  } catch (e) {
    err(`spec-recall: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  if (!values.generated || !values.reference) {
    err(`spec-recall: --generated and --reference are required\n${USAGE}\n`);
    return 2;
  }
  try {
    const result = compareSpecs(readSpec(values.generated), readSpec(values.reference), {
      base: values.base ?? [],
      exclude: values.exclude ?? [],
      tolerate: values.tolerate ?? [],
      applyServers: !values['no-servers'],
      ignoreCase: values['ignore-case'] ?? false,
    });
    out(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatComparison(result));
    return 0;
  } catch (e) {
    if (e instanceof SpecInvalidError) {
      err(`spec-recall: ${e.message} [${e.code}]\n`);
      return 2;
    }
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
