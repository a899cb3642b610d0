/**
 * The JS/TS part of linking, run before the shared link step (`analyzers/service/link.ts`):
 * from the facts of all files it
 * - follows re-exports (`export { default as users } from './users'`, `export * from`,
 *   `module.exports = require('./x')`) so mounts reach the file that declares the router;
 * - drops `use(x)` mounts whose target is an analyzed file that exports no router under that
 *   name (it was middleware, not a router);
 * - turns `@fastify/autoload` registrations into mounts of every plugin file under the directory;
 * - completes routes whose handler, middlewares or Fastify schema live in another file: the
 *   summaries those files publish give query/header parameters, bodies, statuses and rules,
 *   following calls that pass the request on (`getArticles(req.query)` → `query.author` in the
 *   service) a few files deep;
 * - gives NestJS controllers the application's global prefix.
 * After the shared step, rules found in a handler's file are tied to the route's operation.
 * It reads no files: everything comes from the cached facts.
 */
import { dirname, relative } from 'node:path/posix';
import type { FileAnalysis } from '../model.js';
import type { ParamFact, ResponseFact, SymbolRef } from '../service/facts.js';
import { joinPaths } from '../service/paths.js';
import type { Schema } from '../service/schema.js';
import type { DeclaredRequest, Forward, FunctionSummary, JsFacts, JsRouteFact, RouteSchemaFact } from './facts.js';
import { requestInputs } from './handlers.js';
import { applyRouteSchema, normalizeTemplate, operationNameFor, paramsOfSchema } from './routing.js';

interface Entry {
  index: number;
  path: string;
  facts: JsFacts;
}

/** Rules of a handler's file that govern a route of another file: set once the operation ids exist. */
export interface RuleTarget {
  routeFile: number;
  routeLine: number;
  routeEndLine: number;
  methods: string[];
  ruleFile: number;
  ruleIds: string[];
}

const MAX_DEPTH = 6;

export function completeAcrossFiles(files: readonly FileAnalysis[]): { files: FileAnalysis[]; targets: RuleTarget[] } {
  const out = files.map((f) => ({ ...f, diagnostics: [...f.diagnostics], ...(f.facts ? { facts: structuredClone(f.facts) } : {}) }));
  const entries: Entry[] = [];
  out.forEach((f, index) => {
    const facts = f.facts as JsFacts | undefined;
    if (facts && Array.isArray(facts.routes)) entries.push({ index, path: f.source.path, facts });
  });
  const byModule = new Map<string, Entry>();
  for (const e of entries) for (const m of e.facts.moduleNames ?? []) if (!byModule.has(m)) byModule.set(m, e);
  const entryOf = (module: string | undefined): Entry | undefined => (module === undefined ? undefined : (byModule.get(module) ?? byModule.get(`${module}/index`)));

  /** Follows re-exports to the file and name that really declare a symbol. */
  const resolve = (ref: SymbolRef, depth = 0): { entry: Entry; name: string } | undefined => {
    const entry = entryOf(ref.module);
    if (!entry || depth > MAX_DEPTH) return undefined;
    const names = nameVariants(ref.name);
    for (const name of names) {
      if (declares(entry.facts, name)) return { entry, name };
    }
    const re = entry.facts.reexports ?? {};
    for (const name of names) {
      // Exact, or a member of a re-exported name (`users.list` with `users` re-exported).
      const parts = name.split('.');
      for (let i = parts.length; i > 0; i--) {
        const head = parts.slice(0, i).join('.');
        const target = re[head];
        if (target) {
          const rest = parts.slice(i).join('.');
          const found = resolve({ module: target.module!, name: rest ? (target.name === '*' ? rest : `${target.name}.${rest}`) : target.name }, depth + 1);
          if (found) return found;
        }
      }
    }
    for (const star of entry.facts.starExports ?? []) {
      const found = resolve({ module: star, name: ref.name }, depth + 1);
      if (found) return found;
    }
    return { entry, name: ref.name };
  };

  // Mounts: follow re-exports, drop middleware.
  for (const e of entries) {
    e.facts.mounts = (e.facts.mounts ?? []).flatMap((m) => {
      if (m.target.module === undefined) return [m];
      const found = resolve(m.target);
      if (!found) return [m];
      if (!routerNamed(found.entry.facts, found.name)) return [];
      return [{ ...m, target: { module: found.entry.facts.moduleNames[0]!, name: found.name } }];
    });
  }

  // @fastify/autoload: every plugin file under the directory, prefixed by its folders.
  for (const e of entries) {
    for (const a of e.facts.autoloads ?? []) {
      for (const f of entries) {
        if (!(a.dir === '' || f.path.startsWith(`${a.dir}/`)) || !f.facts.exports?.default) continue;
        const rel = relative(a.dir, dirname(f.path));
        const folders = rel === '' || rel === '.' ? [] : rel.split('/');
        if (folders.some((x) => x.startsWith('.'))) continue;
        const prefix = a.dirNamePrefix ? folders.map((x) => (x.startsWith('_') ? `:${x.slice(1)}` : x)).join('/') : '';
        e.facts.mounts.push({
          parent: a.parent,
          prefixes: [normalizeTemplate(joinPaths(a.prefix, prefix)).template],
          target: { module: f.facts.moduleNames[0]!, name: 'default' },
          evidence: { path: e.path, startLine: a.line, endLine: a.line },
        });
      }
    }
  }

  // NestJS: the global prefix of the application applies to every controller.
  const globalPrefix = entries.map((e) => e.facts.globalPrefix).find((p) => p !== undefined);
  if (globalPrefix) {
    for (const e of entries) {
      const ids = new Set(e.facts.nestRouters ?? []);
      for (const r of e.facts.routers) if (ids.has(r.id)) r.prefixes = r.prefixes.map((p) => joinPaths(globalPrefix, p));
    }
  }

  const functionOf = (ref: SymbolRef): { entry: Entry; summary: FunctionSummary } | undefined => {
    const found = resolve(ref);
    if (!found) return undefined;
    for (const name of nameVariants(found.name)) {
      const summary = found.entry.facts.functions?.[name];
      if (summary) return { entry: found.entry, summary };
    }
    return undefined;
  };

  // Request schemas (`{ body, query }`) by name, with the rules of their fields.
  const requestSchemas = new Map<string, { entry: Entry; parts: RouteSchemaFact; ruleIds: string[] }>();
  for (const e of entries) {
    for (const [name, parts] of Object.entries(e.facts.requestSchemas ?? {})) {
      if (!requestSchemas.has(name)) requestSchemas.set(name, { entry: e, parts, ruleIds: e.facts.types.find((t) => t.name === name)?.ruleIds ?? [] });
    }
  }

  const targets: RuleTarget[] = [];
  for (const e of entries) {
    for (const route of e.facts.routes as JsRouteFact[]) {
      const request = route.requestSchema !== undefined ? requestSchemas.get(route.requestSchema) : undefined;
      if (request) {
        // `validate(T.CreateSchema)`: the schema describes the whole request, its `body` is the body.
        delete route.body;
        applyRouteSchema(route, request.parts);
        if (request.ruleIds.length > 0) targets.push({ routeFile: e.index, routeLine: route.evidence.startLine, routeEndLine: route.evidence.endLine, methods: route.methods, ruleFile: request.entry.index, ruleIds: request.ruleIds });
      }
      if (route.schemaRef) {
        const found = resolve(route.schemaRef);
        const schema = found ? lookupSchema(found.entry.facts, found.name) : undefined;
        if (schema) applyRouteSchema(route, schema);
        else (route.notes ??= []).push(`route schema ${route.schemaRef.name} from ${route.schemaRef.module} not found in the analyzed files`);
      }
      if (!route.forwards || route.forwards.length === 0) continue;
      const acc: Accumulated = { reads: [], hints: {}, responses: [], params: [], rules: new Map() };
      for (const f of route.forwards) follow(f, f.args, acc, 0, new Set(), functionOf, !!f.middleware);
      completeRoute(route, acc);
      for (const [file, ids] of acc.rules) if (ids.size > 0) targets.push({ routeFile: e.index, routeLine: route.evidence.startLine, routeEndLine: route.evidence.endLine, methods: route.methods, ruleFile: file, ruleIds: [...ids] });
    }
  }

  // Fastify's automatic HEAD routes, where the service documents them (@fastify/swagger's exposeHeadRoutes).
  if (entries.some((e) => e.facts.headRoutesDocumented) && !entries.some((e) => e.facts.headRoutesOff)) {
    for (const e of entries) e.facts.routes.push(...implicitHeadRoutes(e.facts.routes));
  }
  return { files: out, targets };
}

/**
 * The HEAD route Fastify adds for each GET route, as a route of its own: same path, parameters
 * and responses, no rules (they are the GET operation's). None where the router declares a HEAD
 * handler for that path itself, as Fastify then adds none.
 */
function implicitHeadRoutes(routes: readonly JsRouteFact[]): JsRouteFact[] {
  const out: JsRouteFact[] = [];
  for (const route of routes) {
    if (!route.implicitHead) continue;
    const explicit = new Set(routes.filter((r) => r.router === route.router && r.methods.includes('head')).flatMap((r) => r.paths));
    const paths = route.paths.filter((p) => !explicit.has(p));
    if (paths.length === 0) continue;
    const head: JsRouteFact = { ...structuredClone(route), methods: ['head'], paths, ruleIds: [] };
    delete head.implicitHead;
    delete head.forwards;
    if (!route.anonymous && route.operationName) head.operationName = `head${route.operationName[0]!.toUpperCase()}${route.operationName.slice(1)}`;
    out.push(head);
  }
  return out;
}

/** Sets `operation` on cross-file rules once the shared link step has named the operations. */
export function assignCrossFileRules(files: FileAnalysis[], targets: readonly RuleTarget[]): FileAnalysis[] {
  for (const t of targets) {
    const op = files[t.routeFile]?.operations.find((o) => o.evidence[0]?.startLine === t.routeLine && o.evidence[0]?.endLine === t.routeEndLine && t.methods.includes(o.method));
    if (!op) continue;
    const ids = new Set(t.ruleIds);
    for (const r of files[t.ruleFile]?.rules ?? []) if (ids.has(r.id) && r.operation === null) r.operation = op.operationId;
  }
  return files;
}

interface Accumulated {
  reads: string[];
  hints: Record<string, Schema>;
  responses: ResponseFact[];
  params: ParamFact[];
  declared?: DeclaredRequest;
  body?: Schema;
  rules: Map<number, Set<string>>;
}

/**
 * Follows one call into a summary of another file. `args` maps the callee's parameters to the
 * route's request (param 0) or response (param 1) and a path under it.
 */
function follow(
  f: Forward,
  args: Forward['args'],
  acc: Accumulated,
  depth: number,
  visiting: Set<string>,
  functionOf: (ref: SymbolRef) => { entry: Entry; summary: FunctionSummary } | undefined,
  middleware: boolean,
): void {
  if (depth > MAX_DEPTH) return;
  const key = `${f.ref.module}#${f.ref.name}#${JSON.stringify(args)}`;
  if (visiting.has(key)) return;
  visiting.add(key);
  const found = functionOf(f.ref);
  if (!found) return;
  const s = found.summary;
  const whole = args.some((a) => a && a.path === '');
  args.forEach((a, i) => {
    if (!a || a.param !== 0) return;
    for (const r of s.reads[i] ?? []) {
      const p = a.path ? `${a.path}.${r}` : r;
      if (!acc.reads.includes(p)) acc.reads.push(p);
    }
    for (const [k, v] of Object.entries(s.hints ?? {})) {
      const sep = k.indexOf(':');
      if (Number(k.slice(0, sep)) !== i) continue;
      const p = k.slice(sep + 1);
      acc.hints[a.path ? (p ? `${a.path}.${p}` : a.path) : p] ??= v;
    }
  });
  const requestWhole = args[0]?.param === 0 && args[0].path === '';
  for (const r of s.responses) {
    if ((!whole || middleware) && !/^[45]/.test(r.status)) continue;
    if (!acc.responses.some((x) => x.status === r.status)) acc.responses.push(r);
  }
  if (requestWhole) {
    if (s.declared) acc.declared = { ...s.declared, ...(acc.declared ?? {}) };
    if (s.body && !acc.body) acc.body = s.body.schema;
    if (s.params) acc.params.push(...s.params);
  }
  if (whole || s.params || s.body) {
    const set = acc.rules.get(found.entry.index) ?? new Set<string>();
    for (const id of s.ruleIds) set.add(id);
    acc.rules.set(found.entry.index, set);
  }
  for (const g of s.forwards) {
    const mapped = g.args.map((ga) => {
      if (!ga) return null;
      const outer = args[ga.param];
      if (!outer) return null;
      return { param: outer.param, path: outer.path && ga.path ? `${outer.path}.${ga.path}` : outer.path || ga.path };
    });
    // A callee that gets none of the request only contributes the errors it throws.
    follow({ ...g, args: mapped }, mapped, acc, depth + 1, visiting, functionOf, middleware);
  }
}

function completeRoute(route: JsRouteFact, acc: Accumulated): void {
  const inputs = requestInputs(acc.reads, acc.hints);
  const has = (p: ParamFact): boolean => route.params.some((x) => x.in === p.in && (p.in === 'header' ? x.name.toLowerCase() === p.name.toLowerCase() : x.name === p.name));
  for (const p of [...acc.params, ...inputs.params]) {
    if (has(p)) continue;
    const hint = acc.hints[`${p.in === 'query' ? 'query' : 'headers'}.${p.name}`];
    route.params.push({ ...p, schema: p.schema ?? hint ?? { type: 'string' } });
  }
  if (acc.declared?.query) for (const p of paramsOfSchema(acc.declared.query, 'query')) if (!has(p)) route.params.push(p);
  if (acc.declared?.headers) for (const p of paramsOfSchema(acc.declared.headers, 'header')) if (!has(p)) route.params.push(p);
  const bodyless = route.methods.every((m) => m === 'get' || m === 'head');
  if (!route.body && !bodyless) {
    const body = acc.declared?.body ?? acc.body ?? (inputs.bodyFields.length > 0 ? ({ type: 'object', properties: Object.fromEntries(inputs.bodyFields.map((f) => [f, {}])) } as Schema) : inputs.bodyUsed ? ({ type: 'object' } as Schema) : undefined);
    if (body) route.body = { schema: body, ...(inputs.multipart ? { contentType: 'multipart/form-data' } : {}) };
  }
  for (const r of acc.responses) {
    const existing = route.responses.find((x) => x.status === r.status);
    if (!existing) route.responses.push(r);
    else if (!existing.schema && r.schema) existing.schema = r.schema;
  }
  if (acc.declared?.response) {
    const success = route.responses.filter((r) => /^2/.test(r.status));
    if (success.length === 0) route.responses.push({ status: '200', schema: acc.declared.response });
    else if (!success[0]!.schema) success[0]!.schema = acc.declared.response;
  }
  if (inputs.queryWhole && !route.params.some((p) => p.in === 'query')) (route.notes ??= []).push('the handler reads the query object as a whole; its parameters are not known');
}

function nameVariants(name: string): string[] {
  const out = [name];
  if (name.startsWith('default.')) out.push(name.slice('default.'.length));
  else if (name !== 'default') out.push(`default.${name}`);
  return out;
}

function declares(facts: JsFacts, name: string): boolean {
  return !!(facts.exports?.[name] ?? facts.functions?.[name] ?? facts.routeSchemas?.[name]) || facts.routers.some((r) => r.id === name);
}

function routerNamed(facts: JsFacts, name: string): boolean {
  return nameVariants(name).some((n) => facts.exports?.[n] !== undefined || facts.routers.some((r) => r.id === n && n !== 'default'));
}

function lookupSchema(facts: JsFacts, name: string): RouteSchemaFact | undefined {
  for (const n of nameVariants(name)) if (facts.routeSchemas?.[n]) return facts.routeSchemas[n];
  return undefined;
}

/**
 * Inline handlers have no name: their operations are named after the method and the full path
 * (`GET /api/users/{id}` → `getApiUsersById`), which only the shared link step knows. Rules
 * that name the old id follow.
 */
export function nameAnonymousOperations(files: FileAnalysis[]): FileAnalysis[] {
  const used = new Set(files.flatMap((f) => f.operations.map((o) => o.operationId)));
  const renamed = new Map<string, string>();
  for (const f of files) {
    const facts = f.facts as JsFacts | undefined;
    const anonymous = new Set((facts?.routes ?? []).filter((r) => (r as JsRouteFact).anonymous).map((r) => `${r.evidence.startLine}-${r.evidence.endLine}`));
    if (anonymous.size === 0) continue;
    for (const op of f.operations) {
      if (!anonymous.has(`${op.evidence[0]?.startLine}-${op.evidence[0]?.endLine}`)) continue;
      const base = operationNameFor(op.method, op.path);
      let id = base;
      for (let n = 2; used.has(id) && id !== op.operationId; n++) id = `${base}_${n}`;
      if (id === op.operationId) continue;
      used.delete(op.operationId);
      used.add(id);
      renamed.set(`${f.source.path}#${op.operationId}`, id);
      if (op.summary === op.operationId || /^(GET|POST|PUT|PATCH|DELETE|HEAD|ALL)[, ]/.test(op.summary)) op.summary = `${op.method.toUpperCase()} ${op.path}`;
      for (const r of f.rules) if (r.operation === op.operationId) r.operation = id;
      op.operationId = id;
    }
  }
  // Rules of other files (handlers elsewhere) that named a renamed operation.
  if (renamed.size > 0) {
    const byOld = new Map([...renamed].map(([k, v]) => [k.slice(k.indexOf('#') + 1), v]));
    const current = new Set(files.flatMap((f) => f.operations.map((o) => o.operationId)));
    for (const f of files) for (const r of f.rules) if (r.operation && !current.has(r.operation) && byOld.has(r.operation)) r.operation = byOld.get(r.operation)!;
  }
  return files;
}
