/**
 * Loads `ficus.yaml`: reads the file, substitutes `${ENV_VAR}` in scalar values, validates the
 * result against `specs/config.schema.json` (JSON Schema 2020-12, defaults applied from the
 * schema), and returns a deep-frozen options object. A bad file is refused with every problem
 * listed as `file:line: path.to.field: what is wrong (got X)` (`ConfigInvalidError`). This is the
 * edge where `process.env` and files are read; everything below receives the frozen result.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import {
  LineCounter,
  Scalar,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { ConfigInvalidError, ConfigUnreadableError, type ConfigIssue } from './errors.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** A path to a field: object keys and array indices. */
export type FieldPath = readonly (string | number)[];

/** What `loadConfig` returns: the frozen options plus a way to point at a field's line. */
export interface LoadedConfig<T> {
  /** Absolute or as-given path of the file read. */
  readonly file: string;
  readonly config: T;
  /** Line (1-based) where `path` is written, or of its nearest written ancestor. */
  lineOf(path: FieldPath): number;
  /** Builds a located issue, for semantic checks a part runs after schema validation. */
  issue(path: FieldPath, message: string): ConfigIssue;
}

export interface LoadConfigOptions {
  /** How to name the file in messages (defaults to the path read). */
  displayName?: string;
  /** Environment used for `${VAR}` substitution (the CLI passes `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** JSON Schema to validate against; defaults to Ficus's published config schema. */
  schema?: object;
}

let defaultSchema: object | undefined;
/** Ficus's published config schema (`specs/config.schema.json`). */
export function configSchema(): object {
  defaultSchema ??= JSON.parse(readFileSync(new URL('../../specs/config.schema.json', import.meta.url), 'utf8')) as object;
  return defaultSchema;
}

const validators = new WeakMap<object, ReturnType<Ajv2020['compile']>>();
function validatorFor(schema: object): ReturnType<Ajv2020['compile']> {
  let v = validators.get(schema);
  if (!v) {
    const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true });
    addFormats(ajv);
    v = ajv.compile(schema);
    validators.set(schema, v);
  }
  return v;
}

/** `${NAME}` or `${NAME:-default}`; `$${` escapes a literal `${`. */
const ENV_REF = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Formats a path as `a.b[0].c`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** Reads and validates a config file. Throws `ConfigUnreadableError` or `ConfigInvalidError`. */
export function loadConfig<T = Record<string, unknown>>(file: string, options: LoadConfigOptions = {}): LoadedConfig<T> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigUnreadableError(file, err);
  }
  return parseConfig<T>(text, options.displayName ?? file, options);
}

/** Like `loadConfig`, from text already in memory; `file` names it in errors. */
export function parseConfig<T = Record<string, unknown>>(text: string, file: string, options: LoadConfigOptions = {}): LoadedConfig<T> {
  const env = options.env ?? {};
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;

  const issues: ConfigIssue[] = [];
  for (const e of doc.errors) {
    issues.push({ file, line: lineAt(e.pos[0]), path: '', message: `YAML syntax: ${firstLine(e.message)}` });
  }
  if (issues.length) throw new ConfigInvalidError(issues);

  // Substitute environment variables in scalars, remembering the original text so error
  // messages show `${VAR}` rather than a secret's value.
  const original = new WeakMap<YamlNode, string>();
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      const source = node.value;
      let missing = false;
      const replaced = source.replace(ENV_REF, (whole, escaped: string | undefined, name: string, fallback: string | undefined) => {
        if (escaped) return whole.slice(1);
        const value = env[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        missing = true;
        issues.push({
          file,
          line: node.range ? lineAt(node.range[0]) : 0,
          path: '',
          message: `environment variable ${name} is not set (got ${source})`,
        });
        return '';
      });
      if (missing) return;
      original.set(node, source);
      // An unquoted `${PORT}` takes the type its value has in YAML (a number stays a number).
      if (node.type === Scalar.PLAIN && replaced !== source) {
        const typed = parseDocument(replaced).toJS() as unknown;
        node.value = typed === null || typeof typed === 'object' ? replaced : typed;
      } else {
        node.value = replaced;
      }
    },
  });
  // Missing env vars are reported with the field path, together with every schema problem.
  for (const issue of issues) issue.path = pathAtLine(doc, lineCounter, issue.line);

  const data = (doc.toJS() ?? {}) as unknown;
  const validate = validatorFor(options.schema ?? configSchema());
  const lineOf = (path: FieldPath): number => locate(doc, path, lineAt);
  if (!validate(data) || issues.length) {
    for (const err of relevantErrors(validate.errors ?? [])) {
      if (err.instancePath === '' && err.keyword === 'type') {
        issues.push({ file, line: 1, path: '', message: `must be a mapping of sections (got ${render(data)})` });
        continue;
      }
      const path = pointerToPath(err.instancePath);
      let fieldPath: FieldPath = path;
      let message = describeError(err);
      let got = valueAt(data, path);
      let gotNode = nodeAt(doc, path);
      if (err.keyword === 'additionalProperties') {
        const extra = String((err.params as { additionalProperty: string }).additionalProperty);
        fieldPath = [...path, extra];
        got = undefined;
        gotNode = undefined;
        message = 'unknown field';
      } else if (err.keyword === 'required') {
        fieldPath = [...path, String((err.params as { missingProperty: string }).missingProperty)];
        message = 'is required';
      }
      const shown = gotNode && original.has(gotNode) ? original.get(gotNode) : got === undefined ? undefined : render(got);
      issues.push({
        file,
        line: lineOf(fieldPath),
        path: formatPath(fieldPath),
        message: shown === undefined || err.keyword === 'required' ? message : `${message} (got ${shown})`,
      });
    }
    issues.sort((a, b) => a.line - b.line);
    throw new ConfigInvalidError(issues);
  }

  return Object.freeze({
    file,
    config: deepFreeze(data) as T,
    lineOf,
    issue: (path: FieldPath, message: string): ConfigIssue => ({ file, line: lineOf(path), path: formatPath(path), message }),
  });
}

/** Throws `ConfigInvalidError` when a part's semantic checks found problems. */
export function assertNoIssues(issues: ConfigIssue[]): void {
  if (issues.length) throw new ConfigInvalidError(issues.sort((a, b) => a.line - b.line));
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg));
}

function valueAt(data: unknown, path: FieldPath): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function nodeAt(doc: Document, path: FieldPath): YamlNode | undefined {
  const n = doc.getIn(path as (string | number)[], true);
  return n && typeof n === 'object' ? (n as YamlNode) : undefined;
}

/** Line of the key that introduces `path` (or of the value for sequence items); falls back to ancestors. */
function locate(doc: Document, path: FieldPath, lineAt: (offset: number) => number): number {
  for (let depth = path.length; depth > 0; depth--) {
    const parent = depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1) as (string | number)[], true);
    const seg = path[depth - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      const keyNode = pair && isScalar(pair.key) ? pair.key : undefined;
      if (keyNode?.range) return lineAt(keyNode.range[0]);
    } else if (isSeq(parent) && typeof seg === 'number') {
      const item = parent.items[seg] as YamlNode | undefined;
      if (item && 'range' in item && item.range) return lineAt(item.range[0]);
    }
  }
  const root = doc.contents as YamlNode | null;
  return root && 'range' in root && root.range ? lineAt(root.range[0]) : 1;
}

/** The field path whose key sits on a given line (used for env-var errors found before validation). */
function pathAtLine(doc: Document, lineCounter: LineCounter, line: number): string {
  let found: (string | number)[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const p = [...path, String(pair.key.value)];
        const v = pair.value as YamlNode | null;
        if (v && 'range' in v && v.range && lineCounter.linePos(v.range[0]).line === line && isScalar(v)) found = p;
        walk(pair.value, p);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const it = item as YamlNode | null;
        if (it && isScalar(it) && it.range && lineCounter.linePos(it.range[0]).line === line) found = [...path, i];
        walk(item, [...path, i]);
      });
    }
  };
  walk(doc.contents, []);
  return formatPath(found);
}

/**
 * Ajv reports one error per failed branch of a `oneOf`/`anyOf` and then the combinator itself;
 * keep the specific errors and drop combinator noise when something more precise exists.
 */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const combinators = new Set(['oneOf', 'anyOf', 'if', 'not']);
  const specific = errors.filter((e) => !combinators.has(e.keyword));
  const chosen = specific.length ? specific : errors;
  const seen = new Set<string>();
  return chosen.filter((e) => {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describeError(err: ErrorObject): string {
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'required':
      return `missing required field '${String(p.missingProperty)}'`;
    case 'type':
      return `must be ${String(p.type).replace(',', ' or ')}`;
    case 'pattern':
      return err.parentSchema && typeof (err.parentSchema as { description?: unknown }).description === 'string'
        ? `must match ${String(p.pattern)} (${String((err.parentSchema as { description: string }).description)})`
        : `must match ${String(p.pattern)}`;
    default:
      return err.message ?? err.keyword;
  }
}

function render(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
