/**
 * The union of several published OpenAPI documents of one service, for a corpus reference that is
 * published one document per API version (eShop's Catalog.API: Catalog.API.json for v1 and
 * Catalog.API_v2.json for v2, both served by the same code). fetch-corpus.sh calls the command line
 * when a manifest reference has `union` files, and writes the result as REFERENCE.yaml.
 *
 * - Every operation of any document is in the union. Operations match by method + path template
 *   with the parameter names ignored (`/items/{id}` == `/items/{itemId}`), as spec-recall.ts matches.
 * - An operation in several documents keeps the first document's operation object, and gets the
 *   parameters the later ones declare that it does not (by location + name, header names
 *   case-insensitively): v1's `GET /items` takes PageSize/PageIndex, v2's the same plus
 *   name/type/brand, and the code serves both, so the union declares all five.
 * - Parameters taken from a later document, and the operations only a later document has, have
 *   their parameter `$ref`s resolved in place and their path-level parameters folded in, so nothing
 *   refers to a component of the other document. Other `$ref`s (schemas in bodies and responses)
 *   stay as written: `components` sections are merged, the first document's entry winning a name
 *   both define (the comparison reads only paths and parameters).
 * - The documents must agree on their base path (`servers` / Swagger 2.0 `basePath`), since paths
 *   are merged as written.
 *
 * Usage: node dist/test/quality/union-specs.js --out REFERENCE.yaml first.json second.json [...]
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { HTTP_METHODS, SpecInvalidError, readSpec } from './spec-recall.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Local `$ref` resolution, bounded against cycles. */
function resolve(doc: Json, value: unknown, depth = 0): unknown {
  if (!isObject(value) || typeof value.$ref !== 'string' || depth > 20) return value;
  if (!value.$ref.startsWith('#/')) return value;
  let node: unknown = doc;
  for (const part of value.$ref.slice(2).split('/')) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : undefined;
  }
  return node === undefined ? value : resolve(doc, node, depth + 1);
}

/** `/items/{id}` → `/items/{}`, trailing slash dropped: the matching form of a path. */
function templateKey(path: string): string {
  const p = path.replace(/\{[^}]*\}/g, '{}').replace(/\/{2,}/g, '/');
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function parameterKey(p: unknown): string | undefined {
  if (!isObject(p) || typeof p.name !== 'string' || typeof p.in !== 'string') return undefined;
  return `${p.in} ${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
}

function baseOf(doc: Json): string {
  return JSON.stringify(doc.basePath ?? doc.servers ?? null);
}

/** The union of `documents` (parsed OpenAPI 3.x or Swagger 2.0, all the same kind); see the module comment. */
export function unionSpecs(documents: readonly unknown[]): Json {
  if (documents.length === 0) throw new SpecInvalidError('union', 'no documents');
  documents.forEach((d, i) => {
    if (!isObject(d) || !isObject(d.paths ?? {})) throw new SpecInvalidError(`union document ${i + 1}`, 'is not an OpenAPI document');
  });
  const docs = documents as Json[];
  const kind = (d: Json) => (typeof d.openapi === 'string' ? `openapi ${d.openapi.split('.')[0]}` : `swagger ${String(d.swagger)}`);
  const out = structuredClone(docs[0]!);
  out.paths = isObject(out.paths) ? out.paths : {};
  const paths = out.paths as Json;
  // Matching form → the path key the union spells it with.
  const keys = new Map(Object.keys(paths).map((p) => [templateKey(p), p]));

  for (const [i, doc] of docs.entries()) {
    if (i === 0) continue;
    const label = `union document ${i + 1}`;
    if (kind(doc) !== kind(out)) throw new SpecInvalidError(label, `is ${kind(doc)}, the first is ${kind(out)}`);
    if (baseOf(doc) !== baseOf(out)) throw new SpecInvalidError(label, `has another base path (servers/basePath ${baseOf(doc)}, the first ${baseOf(out)})`);
    for (const [rawPath, rawItem] of Object.entries((doc.paths ?? {}) as Json)) {
      const item = resolve(doc, rawItem);
      if (!isObject(item)) continue;
      const shared = (Array.isArray(item.parameters) ? item.parameters : []).map((p) => resolve(doc, p));
      const key = keys.get(templateKey(rawPath)) ?? rawPath;
      keys.set(templateKey(rawPath), key);
      const target = (isObject(paths[key]) ? paths[key] : (paths[key] = {})) as Json;
      const targetShared = Array.isArray(target.parameters) ? target.parameters : [];
      for (const method of HTTP_METHODS) {
        const op = item[method];
        if (!isObject(op)) continue;
        const own = (Array.isArray(op.parameters) ? op.parameters : []).map((p) => resolve(doc, p));
        // The operation's own declaration wins over a path-level one of the same key.
        const theirs = new Map<string, unknown>();
        for (const p of [...shared, ...own]) {
          const k = parameterKey(p);
          if (k !== undefined) theirs.set(k, structuredClone(p));
        }
        const existing = target[method];
        if (!isObject(existing)) {
          target[method] = { ...structuredClone(op), parameters: [...theirs.values()] };
          continue;
        }
        const declared = new Set(
          [...targetShared, ...(Array.isArray(existing.parameters) ? existing.parameters : [])].map((p) => parameterKey(resolve(out, p))),
        );
        const added = [...theirs].filter(([k]) => !declared.has(k)).map(([, p]) => p);
        if (added.length) existing.parameters = [...(Array.isArray(existing.parameters) ? existing.parameters : []), ...added];
      }
    }
    // Components (Swagger 2.0: definitions, parameters, responses, securityDefinitions): first wins.
    const sections = (d: Json): Array<[Json, string]> =>
      isObject(d.components) ? Object.keys(d.components).map((s) => [d.components as Json, s]) : ['definitions', 'parameters', 'responses', 'securityDefinitions'].map((s) => [d, s]);
    for (const [holder, section] of sections(doc)) {
      const from = holder[section];
      if (!isObject(from)) continue;
      const root = isObject(doc.components) ? ((out.components = isObject(out.components) ? out.components : {}) as Json) : out;
      const into = (root[section] = isObject(root[section]) ? root[section] : {}) as Json;
      for (const [name, value] of Object.entries(from)) if (!(name in into)) into[name] = structuredClone(value);
    }
    if (Array.isArray(doc.tags)) {
      const tags = (out.tags = Array.isArray(out.tags) ? out.tags : []) as unknown[];
      const names = new Set(tags.map((t) => (isObject(t) ? t.name : undefined)));
      for (const t of doc.tags) if (isObject(t) && !names.has(t.name)) tags.push(structuredClone(t));
    }
  }
  return out;
}

function main(argv: string[]): number {
  let values: { out?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    console.error(`union-specs: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  if (values.help || !values.out || positionals.length < 2) {
    (values.help ? console.log : console.error)('usage: node dist/test/quality/union-specs.js --out FILE spec1 spec2 [...]');
    return values.help ? 0 : 2;
  }
  try {
    const union = unionSpecs(positionals.map((f) => readSpec(f)));
    writeFileSync(values.out, `${JSON.stringify(union, null, 2)}\n`);
  } catch (e) {
    console.error(`union-specs: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
