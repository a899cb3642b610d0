/**
 * Routers, routes, mounts and exports of one JS/TS file, for Express, Koa and Fastify alike:
 * they share the shape `receiver.method(path, ...middlewares, handler)`, `receiver.use(prefix,
 * router)` / `register(plugin, { prefix })`, and files that export routers, plugins, handlers
 * and schemas. A receiver is a router when it is created by a framework (`express()`,
 * `Router()`, `new Router({ prefix })`, `Fastify()`), when it is the parameter of a plugin or
 * route-registering function (`module.exports = (app) => { app.get(…) }`,
 * `async function routes(fastify) {…}`), or a router-named receiver of an unmistakable route
 * call. Handlers are summarized by `handlers.ts` where they are declared in this file and
 * referenced (`Forward`) when they are imported; `cross-file.ts` completes those at link time.
 */
import type { Diagnostic } from '../model.js';
import type { BodyFact, HttpMethod, MountFact, ParamFact, ResponseFact, RouterFact, SymbolRef } from '../service/facts.js';
import { normalizePath, type PathParam } from '../service/paths.js';
import { refName, type Schema } from '../service/schema.js';
import { descendants, evidenceOf, lineOf, type SyntaxNode } from '../service/tree-sitter.js';
import { type Evaluator } from './evaluate.js';
import { expressCreation, routeChainBase } from './express.js';
import type { DeclaredRequest, Forward, FunctionSummary, JsRouteFact, RouteSchemaFact } from './facts.js';
import { autoloadDir, fastifyCreation, isAutoload, registerPrefix, routeOptions, routeSchemaOf, serverExposesHeadRoutes, swaggerListsHeadRoutes, unwrapPlugin, type AutoloadFact } from './fastify.js';
import { requestInputs, splitHint, type HandlerAnalyzer, type HandlerDetails } from './handlers.js';
import { isKoaHelperMiddleware, koaCreation, koaMount, koaRoutesOf } from './koa.js';
import type { RuleExtraction } from './rules.js';
import type { Scope } from './scope.js';
import { argumentsOf, callParts, compact, enclosingClass, functionBody, functionName, isFunction, memberPath, parameterPattern, parametersOf, parameterType, propertyKey, stringValue, unwrap } from './syntax.js';
import type { Validators } from './validators.js';

const HTTP: Record<string, HttpMethod[]> = {
  get: ['get'],
  post: ['post'],
  put: ['put'],
  patch: ['patch'],
  delete: ['delete'],
  del: ['delete'],
  // Only where the code declares a HEAD handler itself; the HEAD every GET answers is not one.
  head: ['head'],
  all: ['get', 'post', 'put', 'patch', 'delete'],
};
const HTTP_NAMES = new Set(Object.keys(HTTP));
/** Methods that return the router they are called on (Express `use`/verbs, koa-router's fluent API, Fastify `register`). */
const CHAIN_METHODS = new Set([...HTTP_NAMES, 'use', 'routes', 'middleware', 'prefix', 'register', 'param', 'head', 'options', 'after', 'addHook', 'decorate', 'decorateRequest', 'decorateReply', 'setErrorHandler', 'setNotFoundHandler', 'addSchema', 'addContentTypeParser']);
/** Receivers named like this are routers when the call is unmistakably a route. */
const ROUTERISH = /^(app|application|router|api|apiRouter|server|fastify|instance|routes|route|r|koaRouter|\w+(Router|Routes|App|Api|Server))$/;

type Framework = 'express' | 'koa' | 'fastify';

interface RouterInfo {
  fact: RouterFact;
  framework?: Framework;
}

export interface RoutingInput {
  path: string;
  root: SyntaxNode;
  scope: Scope;
  evaluator: Evaluator;
  validators: Validators;
  handlers: HandlerAnalyzer;
  rules: RuleExtraction;
  diagnostics: Diagnostic[];
}

export interface RoutingOutput {
  routers: RouterFact[];
  routes: JsRouteFact[];
  mounts: MountFact[];
  exports: Record<string, string>;
  functions: Record<string, FunctionSummary>;
  routeSchemas: Record<string, RouteSchemaFact>;
  reexports: Record<string, SymbolRef>;
  starExports: string[];
  autoloads: AutoloadFact[];
  globalPrefix?: string;
  /** `register(fastifySwagger, { exposeHeadRoutes: true })` seen. */
  headRoutesDocumented?: boolean;
  /** `Fastify({ exposeHeadRoutes: false })` seen. */
  headRoutesOff?: boolean;
}

/** What a handler or middleware brings to a route. */
interface Contribution {
  reads: string[];
  hints: Record<string, Schema>;
  responses: ResponseFact[];
  ruleIds: string[];
  forwards: Forward[];
  declared?: DeclaredRequest;
  validated: Record<string, Schema>;
  params: ParamFact[];
  body?: BodyFact;
  sent: Schema[];
  returned: Schema[];
  notes: string[];
}

export function extractRouting(input: RoutingInput): RoutingOutput {
  const { path, root, scope, evaluator, validators, handlers, rules, diagnostics } = input;
  const routers = new Map<string, RouterInfo>();
  const usedIds = new Set<string>();
  const routes: JsRouteFact[] = [];
  const mounts: MountFact[] = [];
  const autoloads: AutoloadFact[] = [];
  let globalPrefix: string | undefined;
  let headRoutesDocumented = false;
  let headRoutesOff = false;

  const uniqueId = (wanted: string, node: SyntaxNode): string => {
    let id = wanted;
    if (usedIds.has(id)) id = `${wanted}@${lineOf(node)}`;
    usedIds.add(id);
    return id;
  };

  /** The id a created router gets: the variable, class field or export it is assigned to. */
  const idForCreation = (node: SyntaxNode): string => {
    let n: SyntaxNode = node;
    // Up through chains on the new router: `Router().use(a).use(b)`.
    while (n.parent && (n.parent.type === 'member_expression' || n.parent.type === 'call_expression' || n.parent.type === 'parenthesized_expression' || n.parent.type === 'as_expression')) n = n.parent;
    const p = n.parent;
    if (p?.type === 'variable_declarator') return p.childForFieldName('name')?.text ?? 'router';
    if (p?.type === 'public_field_definition' || p?.type === 'field_definition') {
      const cls = enclosingClass(p)?.childForFieldName('name')?.text;
      const field = propertyKey(p.childForFieldName('name') ?? p.childForFieldName('property'));
      return [cls, field].filter(Boolean).join('.') || 'router';
    }
    if (p?.type === 'assignment_expression') {
      const left = memberPath(p.childForFieldName('left'));
      if (left?.[0] === 'this') return [enclosingClass(p)?.childForFieldName('name')?.text, ...left.slice(1)].filter(Boolean).join('.');
      if (left && left.join('.') === 'module.exports') return 'default';
      return left?.join('.') ?? 'router';
    }
    if (p?.type === 'export_statement') return 'default';
    return `router`;
  };

  const createdRouter = (node: SyntaxNode): RouterInfo | undefined => {
    const key = `n${node.id}`;
    const existing = routers.get(key);
    if (existing) return existing;
    const express = expressCreation(node, scope);
    const koa = express ? undefined : koaCreation(node, scope, evaluator);
    const fastify = express || koa ? undefined : fastifyCreation(node, scope);
    const found = express ?? koa ?? fastify;
    if (!found) return undefined;
    const framework: Framework = express ? 'express' : koa ? 'koa' : 'fastify';
    if (fastify && node.type === 'call_expression' && !serverExposesHeadRoutes(node, evaluator)) headRoutesOff = true;
    const id = uniqueId(idForCreation(node), node);
    const prefix = koa?.prefix;
    const info: RouterInfo = {
      framework,
      fact: { id, prefixes: [prefix !== undefined ? normalizeTemplate(prefix).template : ''], root: found.root, evidence: evidenceOf(path, node), label: `${id} (${framework} ${found.root ? 'application' : 'router'})` },
    };
    routers.set(key, info);
    return info;
  };

  /** The router a plugin or route-registering function receives as parameter `index`. */
  const paramRouter = (fn: SyntaxNode, index: number, create: boolean): RouterInfo | undefined => {
    const key = `p${fn.id}:${index}`;
    const existing = routers.get(key);
    if (existing || !create) return existing;
    const name = functionName(fn) ?? exportedAs(fn) ?? 'plugin';
    const id = uniqueId(name, fn);
    const param = parametersOf(fn)[index];
    const type = param ? (parameterType(param)?.text ?? '') : '';
    const pname = param ? parameterPattern(param).text : '';
    const framework: Framework | undefined = /Fastify/.test(type) || /^(fastify|instance|server)$/.test(pname) ? 'fastify' : undefined;
    const info: RouterInfo = { ...(framework ? { framework } : {}), fact: { id, prefixes: [''], root: false, evidence: evidenceOf(path, fn), label: `${id} (${pname || 'router'} parameter)` } };
    routers.set(key, info);
    return info;
  };

  const exportedAs = (fn: SyntaxNode): string | undefined => {
    for (let p = fn.parent; p; p = p.parent) {
      if (p.type === 'export_statement') return 'default';
      if (p.type === 'assignment_expression' && memberPath(p.childForFieldName('left'))?.join('.') === 'module.exports') return 'default';
      if (p.type === 'expression_statement' || p.type === 'statement_block') break;
    }
    return undefined;
  };

  /** A router created outside any framework call we know, named by its binding (an import, a global, an unknown factory). */
  const namedRouter = (key: string, name: string, node: SyntaxNode, root: boolean, note: string): RouterInfo => {
    const existing = routers.get(key);
    if (existing) return existing;
    const id = uniqueId(name, node);
    const info: RouterInfo = { fact: { id, prefixes: [''], root, evidence: evidenceOf(path, node), label: `${id} (${note})` } };
    routers.set(key, info);
    return info;
  };

  const routerFor = (expr: SyntaxNode | null | undefined, depth = 0): RouterInfo | undefined => {
    const n = unwrap(expr);
    if (!n || depth > 8) return undefined;
    switch (n.type) {
      case 'call_expression':
      case 'new_expression': {
        const created = createdRouter(n);
        if (created) return created;
        if (n.type === 'new_expression') return undefined;
        const parts = callParts(n);
        if (parts?.object && CHAIN_METHODS.has(parts.name)) return routerFor(parts.object, depth + 1);
        const plugin = unwrapPlugin(n, scope);
        if (plugin) return routerFor(plugin, depth + 1);
        // A local factory: `function makeRouter() { const r = Router(); …; return r }`.
        const fn = handlers.localFunction(n.childForFieldName('function'));
        return fn ? factoryRouter(fn, depth + 1) : undefined;
      }
      case 'identifier': {
        const b = scope.lookup(n.text, n);
        if (!b) return undefined;
        if (b.kind === 'value' && b.value) return routerFor(b.value, depth + 1);
        if (b.kind === 'param') return b.path.length === 0 ? paramRouter(b.fn, b.index, false) : undefined;
        if (b.kind === 'function') return paramRouter(b.node, 0, false) ?? factoryRouter(b.node, depth + 1);
        return undefined;
      }
      case 'member_expression': {
        const obj = unwrap(n.childForFieldName('object'));
        const prop = n.childForFieldName('property')?.text;
        if (obj?.type === 'this' && prop) {
          const v = classFieldValue(n, prop);
          return v ? routerFor(v, depth + 1) : undefined;
        }
        return undefined;
      }
      default:
        if (isFunction(n)) return paramRouter(n, 0, false) ?? factoryRouter(n, depth + 1);
        return undefined;
    }
  };

  const factoryRouter = (fn: SyntaxNode, depth: number): RouterInfo | undefined => {
    const body = functionBody(fn);
    if (!body) return undefined;
    if (body.type !== 'statement_block') return routerFor(body, depth + 1);
    for (const r of descendants(body, 'return_statement', { stopAt: ['function_declaration', 'function_expression', 'arrow_function', 'method_definition'] })) {
      const found = routerFor(r.namedChildren[0], depth + 1);
      if (found) return found;
    }
    return undefined;
  };

  const classFieldValue = (at: SyntaxNode, name: string): SyntaxNode | null => {
    const cls = enclosingClass(at);
    const body = cls?.childForFieldName('body');
    if (!body) return null;
    for (const m of body.namedChildren) {
      if ((m.type === 'public_field_definition' || m.type === 'field_definition') && propertyKey(m.childForFieldName('name') ?? m.childForFieldName('property')) === name) return m.childForFieldName('value');
    }
    for (const a of descendants(body, 'assignment_expression')) {
      const left = memberPath(a.childForFieldName('left'));
      if (left?.length === 2 && left[0] === 'this' && left[1] === name) return a.childForFieldName('right');
    }
    return null;
  };

  /** The router a route call is made on, falling back to router-named receivers for unmistakable calls. */
  const receiver = (obj: SyntaxNode | null, strong: boolean): RouterInfo | undefined => {
    const known = routerFor(obj);
    if (known) return known;
    const n = unwrap(obj);
    if (!n || !strong) return undefined;
    if (n.type === 'identifier') {
      const b = scope.lookup(n.text, n);
      if (b?.kind === 'param' && b.path.length === 0) {
        const param = parametersOf(b.fn)[b.index];
        const type = param ? (parameterType(param)?.text ?? '') : '';
        if (ROUTERISH.test(n.text) || /Fastify|Router|Express|Application|Koa/.test(type)) return paramRouter(b.fn, b.index, true);
        return undefined;
      }
      if (!ROUTERISH.test(n.text)) return undefined;
      if (!b) return namedRouter(`g:${n.text}`, n.text, n, true, 'global');
      if (b.kind === 'import') return namedRouter(`i:${n.text}`, n.text, n, false, `imported from ${'module' in b.target ? b.target.module : b.target.package}; its mount is not followed`);
      if (b.kind === 'value') return namedRouter(`v:${b.node.id}`, n.text, b.node, false, 'created by a call the analyzer does not know');
      return undefined;
    }
    if (n.type === 'member_expression' && unwrap(n.childForFieldName('object'))?.type === 'this') {
      const prop = n.childForFieldName('property')?.text ?? '';
      if (ROUTERISH.test(prop)) return namedRouter(`t:${enclosingClass(n)?.id}:${prop}`, [enclosingClass(n)?.childForFieldName('name')?.text, prop].filter(Boolean).join('.'), n, false, 'class member');
    }
    return undefined;
  };

  // --- Paths -------------------------------------------------------------------------------

  const parsePaths = (node: SyntaxNode | null | undefined, what: string, at: SyntaxNode): { templates: string[]; params: PathParam[]; notes: string[] } | undefined => {
    const n = unwrap(node);
    if (!n) return undefined;
    if (n.type === 'array') {
      const all = { templates: [] as string[], params: [] as PathParam[], notes: [] as string[] };
      for (const el of n.namedChildren) {
        const one = parsePaths(el, what, at);
        if (!one) continue;
        all.templates.push(...one.templates);
        all.params.push(...one.params);
        all.notes.push(...one.notes);
      }
      return all.templates.length > 0 ? all : undefined;
    }
    if (n.type === 'regex') {
      const pattern = n.childForFieldName('pattern')?.text ?? '';
      // Anchored, literal segments and groups only: `^\/users\/(\d+)$`.
      if (/^\^/.test(pattern) && !/[|[\]{}]|\.\*|\.\+/.test(pattern.replace(/\\[dDwWsS./]/g, ''))) {
        const np = normalizePath(pattern.replace(/\\\//g, '/'), 'regex');
        return { templates: [np.path || '/'], params: np.params, notes: [`path from the regular expression /${pattern}/`] };
      }
      diagnostics.push({ path, line: lineOf(at), severity: 'warning', message: `${what} uses the regular expression /${pattern}/ as its path; it has no OpenAPI template and is left out` });
      return undefined;
    }
    const s = evaluator.string(n);
    if (!s) {
      diagnostics.push({ path, line: lineOf(at), severity: 'warning', message: `${what} has a path computed at run time (\`${compact(n.text, 80)}\`); it is left out` });
      return undefined;
    }
    const norm = normalizeTemplate(s.text);
    return { templates: norm.variants, params: norm.params, notes: s.dropped.length > 0 ? [`${s.dropped.join(', ')} read as empty: the prefix comes from the mount`] : [] };
  };

  const isPathish = (node: SyntaxNode | undefined): boolean => {
    const n = unwrap(node);
    if (!n) return false;
    if (n.type === 'string' || n.type === 'template_string' || n.type === 'regex') return true;
    if (n.type === 'array') return n.namedChildren.length > 0 && n.namedChildren.every((c) => isPathish(c));
    if (n.type === 'binary_expression' && (n.child(1)?.type === '||' || n.child(1)?.type === '??')) return !!evaluator.string(n);
    if (n.type === 'binary_expression') return n.child(1)?.type === '+' && (isPathish(n.childForFieldName('left') ?? undefined) || isPathish(n.childForFieldName('right') ?? undefined));
    if (n.type === 'identifier' || n.type === 'member_expression') {
      const v = evaluator.value(n);
      if (typeof v === 'string') return true;
      const s = evaluator.string(n);
      return !!s && (s.text.startsWith('/') || s.text.startsWith('{{const:'));
    }
    return false;
  };

  const isHandlerish = (node: SyntaxNode | undefined): boolean => {
    const n = unwrap(node);
    if (!n) return false;
    return isFunction(n) || n.type === 'identifier' || n.type === 'member_expression' || n.type === 'call_expression' || n.type === 'array';
  };

  // --- Handlers ------------------------------------------------------------------------------

  const emptyContribution = (): Contribution => ({ reads: [], hints: {}, responses: [], ruleIds: [], forwards: [], validated: {}, params: [], sent: [], returned: [], notes: [] });

  const fromDetails = (fn: SyntaxNode, d: HandlerDetails): Contribution => {
    const hints: Record<string, Schema> = {};
    const validated: Record<string, Schema> = {};
    for (const [k, v] of Object.entries(d.hints)) {
      const [i, p] = splitHint(k);
      if (i === 0) hints[p] = v;
    }
    for (const [k, v] of Object.entries(d.validated)) {
      const [i, p] = splitHint(k);
      if (i === 0) validated[p] = v;
    }
    return {
      reads: d.reads[0] ?? [],
      hints,
      responses: d.responses,
      ruleIds: [...new Set([...rules.within(fn), ...d.ruleIds, ...d.validatorRuleIds])],
      forwards: d.forwards,
      ...(d.declared ? { declared: d.declared } : {}),
      validated,
      params: [],
      sent: d.sent,
      returned: d.returned,
      notes: [],
    };
  };

  /** The handler function an argument designates, looking through wrappers (`asyncHandler(fn)`, `catchAsync(ctrl.list)`). */
  const handlerTarget = (node: SyntaxNode): { fn?: SyntaxNode; ref?: SymbolRef; name?: string } => {
    const n = unwrap(node);
    if (!n) return {};
    const fn = handlers.localFunction(n);
    if (fn) return { fn, name: nameOf(n, fn) };
    const ref = handlers.calleeRef(n);
    if (ref) return { ref, name: ref.name.split('.').pop() };
    if (n.type === 'call_expression') {
      for (const a of argumentsOf(n)) {
        const inner = handlerTarget(a);
        if (inner.fn || inner.ref) return inner;
      }
    }
    return {};
  };

  const nameOf = (expr: SyntaxNode, fn: SyntaxNode): string | undefined => {
    if (isFunction(unwrap(expr))) return functionName(fn) && !/^(handler|callback|cb)$/.test(functionName(fn)!) && fn.childForFieldName('name') ? functionName(fn) : undefined;
    const p = memberPath(expr);
    return p?.[p.length - 1] ?? functionName(fn);
  };

  const handlerContribution = (node: SyntaxNode): { c: Contribution; name?: string } => {
    const target = handlerTarget(node);
    if (target.fn) return { c: fromDetails(target.fn, handlers.summarize(target.fn)), ...(target.name ? { name: target.name } : {}) };
    const c = emptyContribution();
    if (target.ref) {
      c.forwards.push({ ref: target.ref, args: [{ param: 0, path: '' }, { param: 1, path: '' }, { param: 2, path: '' }] });
      return { c, ...(target.name ? { name: target.name } : {}) };
    }
    c.notes.push(`handler \`${compact(node.text, 60)}\` is not a function the analyzer can follow`);
    return { c };
  };

  const middlewareContribution = (node: SyntaxNode, scopeName: string): Contribution | undefined => {
    const v = validators.middleware(node, scopeName);
    if (v) {
      const c = emptyContribution();
      c.params.push(...(v.params ?? []));
      if (v.body) c.body = v.body;
      c.ruleIds.push(...v.ruleIds);
      return c;
    }
    const n = unwrap(node);
    if (n?.type === 'array') {
      const merged = emptyContribution();
      for (const el of n.namedChildren) {
        const c = middlewareContribution(el, scopeName);
        if (c) mergeInto(merged, c, true);
      }
      return merged;
    }
    const target = handlerTarget(node);
    if (target.fn) return fromDetails(target.fn, handlers.summarize(target.fn));
    if (target.ref) {
      const c = emptyContribution();
      c.forwards.push({ ref: target.ref, args: [{ param: 0, path: '' }, { param: 1, path: '' }, { param: 2, path: '' }] });
      return c;
    }
    return undefined;
  };

  // --- Routes --------------------------------------------------------------------------------

  const addRoute = (spec: {
    router: RouterInfo;
    methods: HttpMethod[];
    pathNode: SyntaxNode | null | undefined;
    handler?: SyntaxNode;
    middlewares: SyntaxNode[];
    schemaNode?: SyntaxNode;
    at: SyntaxNode;
    /** In a `route('/x').get(h).post(h)` chain: the method name, where this route's evidence starts. */
    chained?: SyntaxNode;
    framework?: Framework;
    /** The route's `exposeHeadRoute` option (Fastify). */
    exposeHead?: SyntaxNode;
  }): void => {
    const methodLabel = spec.methods.length === 5 ? 'ALL' : spec.methods.map((m) => m.toUpperCase()).join(',');
    const parsed = parsePaths(spec.pathNode, `${methodLabel} route`, spec.at);
    if (!parsed) return;
    // Catch-alls (`app.all('*')`, `router.get('(.*)')`, SPA fallbacks) are not API operations,
    // unless the route declares a schema (Fastify): a documented `/*` under a plugin prefix is one.
    if (!spec.schemaNode && parsed.templates.every((t) => /^\/?(\{wildcard\d*\})?$/.test(t)) && (spec.methods.length > 1 || parsed.templates.every((t) => t.includes('{wildcard')))) return;
    const framework = spec.framework ?? spec.router.framework;
    const display = parsed.templates[0] ?? '/';
    const scopeName = `${methodLabel} ${display}`;
    const contributions: Contribution[] = [];
    for (const m of spec.middlewares) {
      const c = middlewareContribution(m, scopeName);
      if (c) contributions.push(c);
    }
    let operationName: string | undefined;
    if (spec.handler) {
      const h = handlerContribution(spec.handler);
      contributions.push(h.c);
      operationName = h.name;
    }
    const c = emptyContribution();
    contributions.forEach((x, i) => mergeInto(c, x, i < contributions.length - 1));

    const route: JsRouteFact = {
      router: spec.router.fact.id,
      methods: spec.methods,
      paths: parsed.templates,
      handler: operationName ?? `${methodLabel} ${display}`,
      operationName: operationName ?? operationNameFor(spec.methods[0]!, display),
      params: [],
      responses: [],
      evidence: spec.chained ? evidenceOf(path, spec.chained, spec.at) : evidenceOf(path, statementOf(spec.at)),
      ruleIds: [],
      ...(operationName ? {} : { anonymous: true }),
    };
    // Fastify answers HEAD for a GET route by itself (unless told not to); whether that is an operation is decided across files.
    if (framework !== 'express' && framework !== 'koa' && spec.methods.includes('get') && !spec.methods.includes('head') && evaluator.value(spec.exposeHead) !== false) route.implicitHead = true;
    const doc = leadingComment(statementOf(spec.at));
    if (doc?.summary) route.summary = doc.summary;
    if (doc?.description) route.description = doc.description;
    const notes = [...parsed.notes, ...c.notes];

    // Fastify route schemas are exact: they come first.
    let schema: RouteSchemaFact | undefined;
    if (spec.schemaNode) {
      const local = routeSchemaOf(spec.schemaNode, scope, validators);
      if (local) {
        schema = local.schema;
        for (const node of [local.nodes.body, local.nodes.querystring, local.nodes.headers]) if (node) c.ruleIds.push(...validators.rulesFor(node, scopeName));
      } else {
        const ref = scope.refOf(spec.schemaNode);
        if (ref) route.schemaRef = ref;
        else notes.push(`route schema \`${compact(spec.schemaNode.text, 60)}\` is not a literal the analyzer can read`);
      }
    }
    for (const p of parsed.params) route.params.push({ name: p.name, in: 'path', required: true, schema: p.schema });
    if (schema) applyRouteSchema(route, schema);
    route.params.push(...c.params);
    const inputs = requestInputs(c.reads, c.hints);
    for (const p of inputs.params) route.params.push({ ...p, schema: p.schema ?? c.hints[`${p.in === 'query' ? 'query' : 'headers'}.${p.name}`] ?? { type: 'string' } });
    applyDeclared(route, c.declared);
    if (c.validated.query) route.params.push(...paramsOfSchema(c.validated.query, 'query'));
    if (inputs.queryWhole && !route.params.some((p) => p.in === 'query')) notes.push('the handler reads the query object as a whole; its parameters are not known');

    const bodyless = spec.methods.every((m) => m === 'get' || m === 'head');
    const validatedRef = c.body ? refName(c.body.schema) : undefined;
    if (validatedRef !== undefined) route.requestSchema = validatedRef;
    if (!route.body && !bodyless) {
      const body = c.declared?.body ?? c.validated.body ?? c.body?.schema ?? (inputs.bodyFields.length > 0 ? ({ type: 'object', properties: Object.fromEntries(inputs.bodyFields.map((f) => [f, {}])) } as Schema) : inputs.bodyUsed ? ({ type: 'object' } as Schema) : undefined);
      if (body) route.body = { schema: body, ...(inputs.multipart ? { contentType: 'multipart/form-data' } : {}) };
      else if (inputs.multipart) route.body = { schema: { type: 'object' } as Schema, contentType: 'multipart/form-data' };
    }

    // Responses: declared schemas, then what the code answers, then the success payload.
    for (const r of c.responses) if (!route.responses.some((x) => x.status === r.status)) route.responses.push(r);
    const payloads = framework === 'fastify' ? [...c.sent, ...c.returned] : c.sent;
    const success = route.responses.filter((r) => /^2/.test(r.status)).sort((a, b) => a.status.localeCompare(b.status));
    const payload = c.declared?.response ?? payloads.find((p) => Object.keys(p).length > 0);
    if (success.length === 0 && (payloads.length > 0 || c.declared?.response)) route.responses.push({ status: '200', ...(payload ? { schema: payload } : {}) });
    else if (payload && success[0] && !success[0].schema) success[0].schema = payload;
    route.ruleIds = [...new Set(c.ruleIds)];
    if (c.forwards.length > 0) route.forwards = c.forwards;
    if (notes.length > 0) route.notes = [...new Set(notes)];
    routes.push(route);
  };

  const applyDeclared = (route: JsRouteFact, declared: DeclaredRequest | undefined): void => {
    if (!declared) return;
    if (declared.query) route.params.push(...paramsOfSchema(declared.query, 'query'));
    if (declared.headers) route.params.push(...paramsOfSchema(declared.headers, 'header'));
  };

  // --- The walk ------------------------------------------------------------------------------

  const calls = descendants(root, 'call_expression');
  const deferred: SyntaxNode[] = [];
  for (const call of calls) {
    const parts = callParts(call);
    if (!parts) continue;
    if (!parts.object) {
      deferred.push(call);
      continue;
    }
    const name = parts.name;
    const args = parts.args;
    if (HTTP_NAMES.has(name)) {
      const base = routeChainBase(call, HTTP_NAMES);
      if (base) {
        const baseParts = callParts(base)!;
        const router = receiver(baseParts.object, true);
        if (!router || args.length === 0) continue;
        const handler = args[args.length - 1];
        const property = call.childForFieldName('function')?.childForFieldName('property') ?? call;
        addRoute({ router, methods: HTTP[name]!, pathNode: baseParts.args[0], ...(handler ? { handler } : {}), middlewares: args.slice(0, -1), at: call, chained: property });
        continue;
      }
      routeCall(call, name, parts.object, args);
    } else if (name === 'route' && args.length === 1 && unwrap(args[0])?.type !== 'string') {
      const opts = routeOptions(args[0], scope);
      const router = opts?.url || opts?.handler ? receiver(parts.object, !!(opts?.url && opts.handler)) : undefined;
      if (!router || !opts?.url) continue;
      const m = evaluator.value(opts.method);
      const methods = (Array.isArray(m) ? m : [m]).flatMap((x) => (typeof x === 'string' ? (HTTP[x.toLowerCase()] ?? []) : []));
      if (methods.length === 0) continue;
      addRoute({ router, methods: [...new Set(methods)], pathNode: opts.url, ...(opts.handler ? { handler: opts.handler } : {}), middlewares: opts.hooks, ...(opts.schema ? { schemaNode: opts.schema } : {}), ...(opts.exposeHeadRoute ? { exposeHead: opts.exposeHeadRoute } : {}), at: call, framework: 'fastify' });
    } else if (name === 'use') {
      useCall(call, parts.object, args);
    } else if (name === 'register' && args.length >= 3 && isPathish(args[0]) && unwrap(args[1])?.type === 'array') {
      // koa-router: router.register(path, ['get', 'post'], middleware[])
      const router = routerFor(parts.object);
      const m = evaluator.value(args[1]);
      const methods = (Array.isArray(m) ? m : []).flatMap((x) => (typeof x === 'string' ? (HTTP[x.toLowerCase()] ?? []) : []));
      const stack = unwrap(args[2])?.type === 'array' ? unwrap(args[2])!.namedChildren : args.slice(2);
      if (router && methods.length > 0 && stack.length > 0) addRoute({ router, methods: [...new Set(methods)], pathNode: args[0], handler: stack[stack.length - 1]!, middlewares: stack.slice(0, -1), at: call });
    } else if (name === 'register') {
      registerCall(call, parts.object, args);
    } else if (name === 'prefix' && args.length === 1) {
      const router = routerFor(parts.object);
      const s = evaluator.string(args[0]);
      if (router && s) router.fact.prefixes = [normalizeTemplate(s.text).template];
    } else if (name === 'setGlobalPrefix' && args.length >= 1) {
      const s = evaluator.string(args[0]);
      if (s) globalPrefix = s.text;
    }
  }
  // Calls that hand a router to a function (`routes(app)`, `require('./routes')(app)`), once every plugin router exists.
  for (const call of [...deferred, ...calls.filter((c) => callParts(c)?.object)]) callMount(call);

  function routeCall(call: SyntaxNode, name: string, obj: SyntaxNode | null, args: SyntaxNode[]): void {
    // Koa named routes: router.get('user', '/users/:id', handler)
    let i = 0;
    if (args.length >= 3 && stringValue(args[0]) !== undefined && !stringValue(args[0])!.startsWith('/') && isPathish(args[1])) i = 1;
    const pathNode = args[i];
    if (!isPathish(pathNode)) {
      // A known router, a handler, and a path only known at run time: say so rather than drop it silently.
      const last = unwrap(args[args.length - 1]);
      if (args.length >= 2 && pathNode && isFunction(last) && routerFor(obj) && unwrap(pathNode)?.type !== 'object') {
        diagnostics.push({ path, line: lineOf(call), severity: 'warning', message: `${name.toUpperCase()} route has a path computed at run time (\`${compact(pathNode.text, 80)}\`); it is left out` });
      }
      return;
    }
    let rest = args.slice(i + 1);
    let optsNode: SyntaxNode | undefined;
    if (rest.length > 0 && unwrap(rest[0])?.type === 'object') {
      optsNode = rest[0];
      rest = rest.slice(1);
    }
    const opts = optsNode ? routeOptions(optsNode, scope) : undefined;
    const handler = opts?.handler ?? (rest.length > 0 && isHandlerish(rest[rest.length - 1]) ? rest[rest.length - 1] : undefined);
    const strong = !!handler && (stringValue(pathNode)?.startsWith('/') === true || unwrap(pathNode)?.type === 'template_string') && (isFunction(unwrap(handler)) || rest.length >= 1);
    const router = receiver(obj, strong);
    if (!router || !handler) return;
    // `app.get('env')`: Express settings, not a route.
    if (rest.length === 0 && !opts?.handler) return;
    const middlewares = [...(opts?.hooks ?? []), ...(opts?.handler ? rest : rest.slice(0, -1))];
    // koa-router chains `router.get(…).post(…)`: each route's evidence is its own call.
    const fnNode = call.childForFieldName('function');
    const chained = unwrap(fnNode?.childForFieldName('object'))?.type === 'call_expression' ? (fnNode?.childForFieldName('property') ?? undefined) : undefined;
    addRoute({ router, methods: HTTP[name]!, pathNode, handler, middlewares, ...(opts?.schema ? { schemaNode: opts.schema } : {}), ...(opts?.exposeHeadRoute ? { exposeHead: opts.exposeHeadRoute } : {}), at: call, ...(chained ? { chained } : {}), ...(opts ? { framework: 'fastify' as const } : {}) });
  }

  function useCall(call: SyntaxNode, obj: SyntaxNode | null, args: SyntaxNode[]): void {
    const parent = receiver(obj, args.some((a) => mountTarget(koaMount(a, scope)?.target ?? a) !== undefined) && !!unwrap(obj) && ROUTERISH.test(unwrap(obj)!.text));
    if (!parent || args.length === 0) return;
    let prefixes = [''];
    let rest = args;
    if (isPathish(args[0]) && unwrap(args[0])?.type !== 'identifier') {
      const parsed = parsePaths(args[0], 'mount', call);
      if (!parsed) return;
      prefixes = parsed.templates;
      rest = args.slice(1);
    } else if (unwrap(args[0])?.type === 'identifier' && typeof evaluator.value(args[0]) === 'string') {
      prefixes = [normalizeTemplate(evaluator.value(args[0]) as string).template];
      rest = args.slice(1);
    }
    for (const a of rest.flatMap((x) => (unwrap(x)?.type === 'array' ? unwrap(x)!.namedChildren : [x]))) {
      // koa-mount: app.use(mount('/api', api))
      const km = koaMount(a, scope);
      if (km) {
        const target = mountTarget(km.target);
        const parsed = km.prefix ? parsePaths(km.prefix, 'mount', call) : undefined;
        if (target && (!km.prefix || parsed)) mounts.push({ parent: parent.fact.id, prefixes: parsed?.templates ?? prefixes, target, evidence: evidenceOf(path, statementOf(call)) });
        continue;
      }
      const target = mountTarget(a);
      if (!target || target.name === parent.fact.id) continue;
      if (prefixes.every((p) => /^\/?(\{wildcard\d*\})?$/.test(p)) && prefixes[0] !== '' && prefixes[0] !== '/') continue;
      mounts.push({ parent: parent.fact.id, prefixes, target, evidence: evidenceOf(path, statementOf(call)) });
    }
  }

  /** What a `use` argument mounts: a router of this file, or an import; undefined for plain middleware. */
  function mountTarget(arg: SyntaxNode): SymbolRef | undefined {
    const n = unwrap(arg);
    if (!n || isKoaHelperMiddleware(n)) return undefined;
    const routes = koaRoutesOf(n);
    const expr = routes ?? n;
    const local = routerFor(expr);
    if (local) return { name: local.fact.id };
    const ref = scope.refOf(expr);
    if (ref) return ref;
    const u = unwrap(expr);
    if (u?.type === 'call_expression') {
      // `usersRouter()` imported factory, `require('./users')(deps)`
      const callee = u.childForFieldName('function');
      const r = scope.refOf(callee);
      if (r) return r;
      const fn = handlers.localFunction(callee);
      const fr = fn ? factoryRouter(fn, 0) : undefined;
      if (fr) return { name: fr.fact.id };
    }
    if (u?.type === 'member_expression') {
      // `users.router` of a local object, `this.usersRoutes.router`
      const r = routerFor(u);
      if (r) return { name: r.fact.id };
    }
    return undefined;
  }

  function registerCall(call: SyntaxNode, obj: SyntaxNode | null, args: SyntaxNode[]): void {
    const plugin = args[0];
    if (!plugin) return;
    const parent = receiver(obj, !!unwrap(obj) && ROUTERISH.test(unwrap(obj)!.text));
    if (!parent) return;
    const pluginNode = unwrap(plugin)!;
    if (isAutoload(pluginNode, scope)) {
      const opts = routeOptionsObject(args[1]);
      const dir = autoloadDir(opts.dir, path, evaluator);
      if (dir === undefined) return;
      const options = opts.options;
      const prefix = options ? (registerPrefix(options, evaluator) ?? '') : '';
      const dirNamePrefix = evaluator.value(opts.dirNameRoutePrefix) !== false;
      autoloads.push({ parent: parent.fact.id, dir, prefix, dirNamePrefix, line: lineOf(call) });
      return;
    }
    const swagger = swaggerListsHeadRoutes(pluginNode, args[1], scope, evaluator);
    if (swagger !== undefined) {
      if (swagger) headRoutesDocumented = true;
      return;
    }
    const prefix = registerPrefix(args[1], evaluator) ?? '';
    const inner = unwrapPlugin(pluginNode, scope) ?? pluginNode;
    let target: SymbolRef | undefined;
    const fn = handlers.localFunction(inner) ?? wrappedPlugin(inner);
    if (fn) target = { name: paramRouter(fn, 0, true)!.fact.id };
    else {
      // register(import('./routes')) / register(require('./routes'))
      const u = unwrap(inner);
      const dyn = u?.type === 'call_expression' && u.childForFieldName('function')?.type === 'import' ? stringValue(argumentsOf(u)[0]) : undefined;
      if (dyn !== undefined) {
        const t = scope.resolve(dyn);
        if ('module' in t) target = { module: t.module, name: 'default' };
      } else target = scope.refOf(inner);
    }
    if (!target) return;
    mounts.push({ parent: parent.fact.id, prefixes: [normalizeTemplate(prefix).template], target, evidence: evidenceOf(path, statementOf(call)) });
  }

  /** `const routes = fp(async (fastify) => {…})` then `register(routes)`: the wrapped plugin function. */
  function wrappedPlugin(node: SyntaxNode): SyntaxNode | undefined {
    const n = unwrap(node);
    if (n?.type !== 'identifier') return undefined;
    const b = scope.lookup(n.text, n);
    const plugin = b?.kind === 'value' && b.value ? unwrapPlugin(b.value, scope) : undefined;
    return plugin ? handlers.localFunction(plugin) : undefined;
  }

  function routeOptionsObject(node: SyntaxNode | undefined): Record<string, SyntaxNode> {
    const n = unwrap(node);
    const out: Record<string, SyntaxNode> = {};
    if (n?.type !== 'object') return out;
    for (const c of n.namedChildren) {
      if (c.type === 'pair') {
        const k = propertyKey(c.childForFieldName('key'));
        const v = c.childForFieldName('value');
        if (k && v) out[k] = v;
      } else if (c.type === 'shorthand_property_identifier') out[c.text] = c;
    }
    return out;
  }

  function callMount(call: SyntaxNode): void {
    const parts = callParts(call);
    if (!parts) return;
    if (parts.object && (CHAIN_METHODS.has(parts.name) || routerFor(parts.object))) return;
    const args = parts.args;
    args.forEach((a, index) => {
      const u = unwrap(a);
      if (u?.type !== 'identifier' && u?.type !== 'member_expression') return;
      const r = routerFor(a);
      if (!r) return;
      const callee = call.childForFieldName('function');
      const fn = handlers.localFunction(callee);
      if (fn) {
        const pr = paramRouter(fn, index, false);
        if (pr && pr !== r) mounts.push({ parent: r.fact.id, prefixes: [''], target: { name: pr.fact.id }, evidence: evidenceOf(path, statementOf(call)) });
        return;
      }
      const ref = handlers.calleeRef(callee) ?? scope.refOf(callee);
      if (ref) mounts.push({ parent: r.fact.id, prefixes: [''], target: ref, evidence: evidenceOf(path, statementOf(call)) });
    });
  }

  // --- Exports -------------------------------------------------------------------------------

  const exportsMap: Record<string, string> = {};
  const functions: Record<string, FunctionSummary> = {};
  const routeSchemas: Record<string, RouteSchemaFact> = {};
  const reexports: Record<string, SymbolRef> = {};
  const starExports: string[] = [];

  const summaryOf = (fn: SyntaxNode): FunctionSummary => {
    const d = handlers.summarize(fn);
    const responses = d.responses.map((r) => ({ ...r }));
    const fastifyLike = parametersOf(fn).some((p) => /^reply$/.test(parameterPattern(p).text) || /Fastify/.test(parameterType(p)?.text ?? ''));
    const payloads = fastifyLike ? [...d.sent, ...d.returned] : d.sent;
    const payload = d.declared?.response ?? payloads.find((p) => Object.keys(p).length > 0);
    const success = responses.filter((r) => /^2/.test(r.status));
    if (success.length === 0 && (payloads.length > 0 || d.declared?.response)) responses.push({ status: '200', ...(payload ? { schema: payload } : {}) });
    else if (payload && success[0] && !success[0].schema) success[0].schema = payload;
    const hints: Record<string, Schema> = { ...d.hints };
    const out: FunctionSummary = {
      reads: d.reads,
      forwards: d.forwards,
      responses,
      ruleIds: [...new Set([...rules.within(fn), ...d.ruleIds, ...d.validatorRuleIds])],
      ...(d.declared ? { declared: d.declared } : {}),
    };
    const body = d.validated['0:body'];
    if (body) out.body = { schema: body };
    const query = d.validated['0:query'];
    if (query) out.params = paramsOfSchema(query, 'query');
    if (Object.keys(hints).length > 0) out.hints = hints;
    return out;
  };

  const registerExport = (name: string, node: SyntaxNode | null | undefined, depth = 0): void => {
    let n = unwrap(node);
    if (!n || depth > 4) return;
    if (n.type === 'identifier' || n.type === 'shorthand_property_identifier') {
      const b = scope.lookup(n.text, n);
      if (b?.kind === 'import') {
        const ref = scope.refOf(n);
        if (ref) reexports[name] = ref;
        return;
      }
      if (b?.kind === 'value' && b.value) n = unwrap(b.value) ?? n;
      else if (b?.kind === 'function' || b?.kind === 'class') n = b.node;
    }
    if (!n) return;
    const req = scope.refOf(n);
    if (req && n.type === 'call_expression') {
      // module.exports = require('./users')
      reexports[name] = req;
      return;
    }
    const plugin = unwrapPlugin(n, scope);
    const router = routerFor(plugin ?? n);
    if (router) exportsMap[name] = router.fact.id;
    const fnNode = isFunction(plugin ? unwrap(plugin) : n) ? (unwrap(plugin) ?? n) : handlers.localFunction(plugin ?? n);
    if (fnNode && isFunction(fnNode)) {
      if (!router) {
        const pr = paramRouter(fnNode, 0, false) ?? factoryRouter(fnNode, 0);
        if (pr) exportsMap[name] = pr.fact.id;
      }
      functions[name] = summaryOf(fnNode);
      return;
    }
    if (n.type === 'object') {
      const schema = routeSchemaOf(n, scope, validators);
      if (schema) routeSchemas[name] = schema.schema;
      for (const c of n.namedChildren) {
        if (c.type === 'pair') {
          const key = propertyKey(c.childForFieldName('key'));
          if (key !== undefined) registerExport(`${name}.${key}`, c.childForFieldName('value'), depth + 1);
        } else if (c.type === 'shorthand_property_identifier') registerExport(`${name}.${c.text}`, c, depth + 1);
        else if (c.type === 'method_definition') {
          const key = propertyKey(c.childForFieldName('name'));
          if (key !== undefined) functions[`${name}.${key}`] = summaryOf(c);
        }
      }
      return;
    }
    if (n.type === 'class_declaration' || n.type === 'class' || n.type === 'abstract_class_declaration' || n.type === 'new_expression') {
      const cls = n.type === 'new_expression' ? classOf(n) : n;
      const clsName = cls?.childForFieldName('name')?.text;
      for (const m of cls?.childForFieldName('body')?.namedChildren ?? []) {
        const key = propertyKey(m.childForFieldName('name') ?? m.childForFieldName('property'));
        if (!key || key === 'constructor') continue;
        const fn = m.type === 'method_definition' ? m : isFunction(unwrap(m.childForFieldName('value'))) ? unwrap(m.childForFieldName('value')) : undefined;
        if (fn) {
          functions[`${name}.${key}`] = summaryOf(fn);
          if (clsName && clsName !== name) functions[`${clsName}.${key}`] ??= functions[`${name}.${key}`]!;
        }
      }
      return;
    }
    const v = validators.middleware(n, name);
    if (v) functions[name] = v;
  };

  const classOf = (newExpr: SyntaxNode): SyntaxNode | undefined => {
    const ctor = newExpr.childForFieldName('constructor');
    if (ctor?.type !== 'identifier') return undefined;
    const b = scope.lookup(ctor.text, ctor);
    return b?.kind === 'class' ? b.node : undefined;
  };

  const exportBoth = (name: string, node: SyntaxNode | null | undefined): void => {
    registerExport(name, node);
    // CommonJS `require('./x').name` and ESM default-import `x.name` both reach it.
    registerExport(`default.${name}`, node);
  };

  for (const stmt of root.namedChildren) {
    if (stmt.type === 'export_statement') {
      const source = stringValue(stmt.childForFieldName('source'));
      const clause = stmt.namedChildren.find((c) => c.type === 'export_clause');
      const isDefault = stmt.children.some((c) => c.type === 'default');
      const decl = stmt.childForFieldName('declaration');
      const value = stmt.childForFieldName('value');
      if (source !== undefined) {
        const target = scope.resolve(source);
        if (!('module' in target)) continue;
        // `export * as routes from './routes'`: one name for the whole module (`routes.users` is its `users`).
        const namespace = stmt.namedChildren.find((c) => c.type === 'namespace_export');
        const nsName = namespace ? (propertyKey(namespace.namedChildren[0]) ?? namespace.namedChildren[0]?.text) : undefined;
        if (nsName) reexports[nsName] = { module: target.module, name: '*' };
        else if (!clause) starExports.push(target.module);
        for (const s of clause?.namedChildren.filter((c) => c.type === 'export_specifier') ?? []) {
          const nameNode = s.childForFieldName('name');
          const local = nameNode?.type === 'default' ? 'default' : (propertyKey(nameNode) ?? nameNode?.text);
          const alias = s.childForFieldName('alias')?.text ?? local;
          if (local && alias) reexports[alias] = { module: target.module, name: local };
        }
      } else if (isDefault) {
        registerExport('default', decl ?? value);
      } else if (decl) {
        if (decl.type === 'lexical_declaration' || decl.type === 'variable_declaration') {
          for (const d of decl.namedChildren.filter((c) => c.type === 'variable_declarator')) {
            const nameNode = d.childForFieldName('name');
            if (nameNode?.type === 'identifier') registerExport(nameNode.text, d.childForFieldName('value'));
          }
        } else {
          const name = decl.childForFieldName('name')?.text;
          if (name) registerExport(name, decl);
        }
      } else if (clause) {
        for (const s of clause.namedChildren.filter((c) => c.type === 'export_specifier')) {
          const local = s.childForFieldName('name');
          const alias = s.childForFieldName('alias')?.text ?? local?.text;
          if (local && alias) registerExport(alias, local);
        }
      }
    } else if (stmt.type === 'expression_statement') {
      const a = stmt.namedChildren[0];
      if (a?.type !== 'assignment_expression') continue;
      const left = memberPath(a.childForFieldName('left'))?.join('.');
      const right = a.childForFieldName('right');
      if (left === 'module.exports') {
        registerExport('default', right);
        const r = unwrap(right);
        if (r?.type === 'object') {
          for (const c of r.namedChildren) {
            if (c.type === 'pair') {
              const key = propertyKey(c.childForFieldName('key'));
              if (key !== undefined) registerExport(key, c.childForFieldName('value'));
            } else if (c.type === 'shorthand_property_identifier') registerExport(c.text, c);
            else if (c.type === 'method_definition') {
              const key = propertyKey(c.childForFieldName('name'));
              if (key !== undefined) functions[key] = summaryOf(c);
            }
          }
        }
      } else if (left && /^(module\.)?exports\.[\w$]+$/.test(left)) {
        exportBoth(left.split('.').pop()!, right);
      }
    }
  }

  return {
    routers: [...routers.values()].map((r) => r.fact),
    routes,
    mounts,
    exports: exportsMap,
    functions,
    routeSchemas,
    reexports,
    starExports,
    autoloads,
    ...(globalPrefix !== undefined ? { globalPrefix } : {}),
    ...(headRoutesDocumented ? { headRoutesDocumented } : {}),
    ...(headRoutesOff ? { headRoutesOff } : {}),
  };
}

/** Parameters from a schema of request parts: a named type (expanded by the link step) or an inline object. */
export function paramsOfSchema(schema: Schema, location: 'query' | 'header' | 'path'): ParamFact[] {
  const ref = refName(schema);
  if (ref !== undefined) return [{ name: ref, in: location, fromType: ref }];
  const s = schema as { properties?: Record<string, Schema>; required?: string[] };
  if (!s.properties) return [];
  const required = new Set(s.required ?? []);
  return Object.entries(s.properties).map(([name, ps]) => ({ name: location === 'header' ? name.toLowerCase() : name, in: location, required: location === 'path' || required.has(name), schema: ps }));
}

/** Puts a Fastify route schema's parts on a route (schemas are exact: they go first). */
export function applyRouteSchema(route: JsRouteFact, schema: RouteSchemaFact): void {
  if (schema.params) {
    const typed = paramsOfSchema(schema.params, 'path');
    for (const p of typed) {
      const existing = route.params.find((x) => x.in === 'path' && x.name === p.name);
      if (existing && p.schema) existing.schema = p.schema;
    }
  }
  const front: ParamFact[] = [];
  if (schema.querystring) front.push(...paramsOfSchema(schema.querystring, 'query'));
  if (schema.headers) front.push(...paramsOfSchema(schema.headers, 'header'));
  const pathParams = route.params.filter((p) => p.in === 'path');
  route.params = [...pathParams, ...front, ...route.params.filter((p) => p.in !== 'path')];
  if (schema.body && !route.body) route.body = { schema: schema.body };
  for (const [status, s] of Object.entries(schema.response ?? {})) {
    const existing = route.responses.find((r) => r.status === status);
    if (existing) existing.schema = s;
    else route.responses.push({ status, schema: s });
  }
}

function mergeInto(into: Contribution, c: Contribution, middleware: boolean): void {
  for (const r of c.reads) if (!into.reads.includes(r)) into.reads.push(r);
  for (const [k, v] of Object.entries(c.hints)) into.hints[k] ??= v;
  for (const r of c.responses) {
    // A middleware's successes are not the route's answer; its rejections are.
    if (middleware && !/^[45]/.test(r.status)) continue;
    if (!into.responses.some((x) => x.status === r.status)) into.responses.push(r);
  }
  into.ruleIds.push(...c.ruleIds);
  into.forwards.push(...c.forwards.map((f) => (middleware ? { ...f, middleware: true } : f)));
  if (c.declared) into.declared = { ...(into.declared ?? {}), ...c.declared };
  Object.assign(into.validated, c.validated);
  into.params.push(...c.params);
  if (c.body && !into.body) into.body = c.body;
  if (!middleware) {
    into.sent.push(...c.sent);
    into.returned.push(...c.returned);
  }
  into.notes.push(...c.notes);
}

/** A framework path (with `{{const:…}}` placeholders) as OpenAPI templates: optional parameters give two variants. */
export function normalizeTemplate(raw: string): { template: string; variants: string[]; params: PathParam[] } {
  const placeholders: string[] = [];
  let s = raw.replace(/\{\{const:[^}]+\}\}/g, (m) => `\u0001${placeholders.push(m) - 1}\u0001`);
  // koa-router / path-to-regexp catch-alls
  s = s.replace(/\(\.\*\)|\(\.\+\)/g, '*');
  // Express 5 optional groups `{/:id}`: both with and without.
  const expanded = expandOptionalGroups(s);
  const params: PathParam[] = [];
  const variants: string[] = [];
  for (const v of expanded) {
    const np = normalizePath(v, 'colon');
    for (const p of np.params) if (!params.some((x) => x.name === p.name)) params.push(p);
    const restore = (t: string): string => t.replace(/\u0001(\d+)\u0001/g, (_m, i: string) => placeholders[Number(i)]!);
    variants.push(restore(np.path));
    // `/users/:id?` → `/users/{id}` and `/users`.
    for (const p of np.params.filter((x) => x.optional)) {
      const without = np.path.replace(new RegExp(`/?\\{${p.name}\\}`), '');
      variants.push(restore(without));
    }
  }
  const unique = [...new Set(variants)];
  return { template: unique[0] ?? '', variants: unique, params };
}

function expandOptionalGroups(s: string): string[] {
  // Only Express 5 / path-to-regexp 8 groups (`{/:id}`, `{.:ext}`); a bare `{id}` is a template already.
  const open = s.search(/\{(?=[/.:*])/);
  if (open < 0) return [s];
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) {
      const inner = s.slice(open + 1, i);
      const before = s.slice(0, open);
      const after = s.slice(i + 1);
      return [...expandOptionalGroups(before + inner + after), ...expandOptionalGroups(before + after)];
    }
  }
  return [s];
}

/** `getUsersById` for `GET /users/{id}`: an operation name for anonymous handlers. */
export function operationNameFor(method: string, template: string): string {
  const words = template.split('/').filter(Boolean).map((seg) => {
    const param = /^\{(.+)\}$/.exec(seg);
    const w = (param ? `By-${param[1]}` : seg).split(/[^A-Za-z0-9]+/).filter(Boolean);
    return w.map((x) => x[0]!.toUpperCase() + x.slice(1)).join('');
  });
  return `${method}${words.join('') || 'Root'}`;
}

function statementOf(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (n.parent && n.parent.type !== 'program' && n.parent.type !== 'statement_block' && n.parent.type !== 'class_body' && !/_statement$/.test(n.type)) n = n.parent;
  return n;
}

/** A JSDoc or line comment right above a statement: its first sentence as summary, the rest as description. */
function leadingComment(stmt: SyntaxNode): { summary?: string; description?: string } | undefined {
  const prev = stmt.previousSibling;
  if (!prev || prev.type !== 'comment' || prev.endPosition.row < stmt.startPosition.row - 1) return undefined;
  const lines = prev.text
    .replace(/^\/\*\*?|\*\/$/g, '')
    .split('\n')
    .map((l) => l.replace(/^\s*(\/\/+|\*)\s?/, '').trim())
    .filter((l) => l && !l.startsWith('@') && !/^eslint|^istanbul|^prettier|^tslint|^TODO/i.test(l));
  if (lines.length === 0) return undefined;
  return { summary: lines[0]!.slice(0, 120), ...(lines.length > 1 ? { description: lines.slice(1).join(' ') } : {}) };
}
