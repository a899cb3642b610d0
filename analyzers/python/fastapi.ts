/**
 * FastAPI: `app = FastAPI()` (a root), `router = APIRouter(prefix=..., tags=[...])` (also custom
 * subclasses, and routers built by factory functions: `make_router('/users')`), routes by
 * decorator (`@router.get('/items/{id}', response_model=..., status_code=...)`,
 * `@app.api_route(..., methods=[...])`) or `add_api_route`, mounts by `include_router(r, prefix=)`
 * (also for each router of a loop: `for r in API_ROUTERS: app.include_router(r)`) and
 * `app.mount(prefix, sub_app)`, across files (`from app.api.routes import users` →
 * `users.router`). The handler signature is the request: path parameters by name, simple-typed
 * parameters are query parameters, `Query`/`Path`/`Header`/`Cookie`/`Body`/`Form`/`File` (as
 * defaults or in `Annotated[...]`) say where the others go, pydantic models are the JSON body,
 * `Depends(...)` brings in the dependency's own parameters and those of its own dependencies: a
 * function, a class, an instance of a callable class (its `__call__`), a factory's product. The
 * `dependencies=[...]` of a route, a router, a router class's `__init__`, an app or an
 * `include_router` (also through variables) add theirs to every route below. Dependencies of
 * other files come through `<name>@query`/`@header`/`@cookie` pseudo-types this module emits
 * where they are declared. Responses come from `response_model`/the return annotation,
 * `status_code`, `responses={...}` and what the handler raises; 422 when FastAPI validates
 * anything.
 */
import type { BodyFact, ParamFact, ResponseFact, RouteFact, SymbolRef, TypeFact } from '../service/facts.js';
import { HTTP_METHODS, type HttpMethod } from '../service/facts.js';
import { arrayOf, refName, typeRef, type Schema } from '../service/schema.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import { bindingsOf, elementsOf, resolvedValues } from './bindings.js';
import type { PyContext } from './context.js';
import { readHandler } from './handler.js';
import { aliasResolver, modelKind } from './models.js';
import { constructions, constructionsOf, routerFor, type Construction } from './objects.js';
import { findClass } from './project.js';
import { literalRoutePath, routePath, type RoutePath } from './route-paths.js';
import { functionRules } from './rules.js';
import { argument, callArgs, callName, classMethods, decoratorsOf, definitionOf, dottedName, functionParams, lastName, literalValue, outerOf, ownDescendants, statementsOf, statusValue, stringList, stringValue, type FunctionParam } from './syntax.js';
import { applyConstraints, builtinSchema, literalDefault, readAnnotation, type AnnotationInfo } from './types.js';

const APP_CLASSES = new Set(['FastAPI']);
const ROUTER_CLASSES = new Set(['APIRouter']);
/** Parameter annotations FastAPI fills itself: never request parameters. */
const INJECTED = new Set(['Request', 'Response', 'WebSocket', 'BackgroundTasks', 'SecurityScopes', 'HTTPConnection', 'HTTPAuthorizationCredentials', 'OAuth2PasswordRequestForm']);
const MARKERS = new Set(['Query', 'Path', 'Header', 'Cookie', 'Body', 'Form', 'File', 'Depends', 'Security']);

/** True when the file uses FastAPI (imports it), so decorators like `@router.get` are read as FastAPI routes. */
export function usesFastApi(ctx: PyContext): boolean {
  return [...ctx.imports.values()].some((i) => /^(fastapi|starlette)\b/.test(i.module));
}

export function extractFastApi(ctx: PyContext): void {
  const fastapi = usesFastApi(ctx);
  // Routers this module made: a Flask blueprint of the same file is no FastAPI router.
  const own = new Set<string>();
  for (const c of constructionsOf(ctx, APP_CLASSES)) {
    own.add(c.name);
    // `FastAPI(dependencies=[...])`: every route of the app takes the dependencies' parameters.
    const deps = routeDependencies(callArgs(c.call).keywords.get('dependencies'), ctx).flat();
    ctx.addRouter({ id: c.name, prefixes: [''], root: true, evidence: ctx.evidence(c.statement), label: `FastAPI app ${c.name}`, ...(deps.length ? { params: deps } : {}) });
  }
  for (const c of constructionsOf(ctx, ROUTER_CLASSES)) {
    const args = callArgs(c.call);
    // The router a called factory builds and returns is a template: served through the routers
    // built by calling it (`factoryRouter`), its prefix most often a parameter.
    const template = isFactoryTemplate(c, ctx);
    const prefix = routePath(args.keywords.get('prefix'), ctx, 'brace', template ? undefined : 'prefix');
    own.add(c.name);
    // `APIRouter(dependencies=[Depends(verify_token)])`: every route below takes the dependency's parameters;
    // a router class of the project may add its own (`routerClassTypes`).
    const cls = lastName(c.callee);
    const inherited = !ROUTER_CLASSES.has(cls) && isProjectClass(cls, ctx) ? paramTypeRefs(`${cls}@router`) : [];
    const params = [...(prefix?.params ?? []), ...routeDependencies(args.keywords.get('dependencies'), ctx).flat(), ...inherited];
    ctx.addRouter({
      id: c.name,
      prefixes: [prefix?.path ?? ''],
      root: false,
      evidence: ctx.evidence(c.statement),
      label: `APIRouter ${c.name}`,
      ...(params.length > 0 ? { params } : {}),
      ...(template ? { abstract: true } : {}),
    });
  }
  // `router = make_router('/users')`: a router (or app) a factory function builds, here or in another file.
  for (const c of constructions(ctx)) {
    if (own.has(c.name) || !factoryRouterOf(c.name, c.call, c.statement, ctx)) continue;
    own.add(c.name);
  }
  const isRouterName = (node: SyntaxNode | null | undefined): string | undefined => {
    const name = dottedName(node);
    if (name === undefined) return undefined;
    if (own.has(name)) return name;
    if (!fastapi || ctx.router(name)) return undefined;
    const imported = routerFor(node, ctx);
    if (imported) own.add(imported);
    return imported;
  };

  // Routes by decorator.
  for (const fn of ctx.root.descendantsOfType('function_definition')) {
    for (const deco of decoratorsOf(fn)) {
      if (deco.type !== 'call') continue;
      const f = deco.childForFieldName('function');
      if (f?.type !== 'attribute') continue;
      const verb = f.childForFieldName('attribute')?.text ?? '';
      if (verb !== 'api_route' && !(HTTP_METHODS as readonly string[]).includes(verb)) continue;
      const router = isRouterName(f.childForFieldName('object'));
      if (!router) continue;
      const args = callArgs(deco);
      const methods = verb === 'api_route' ? methodsOf(args.keywords.get('methods')) : [verb as HttpMethod];
      addRoute(ctx, router, fn, argument(args, 0, 'path'), methods, args.keywords, deco);
    }
  }
  // Calls: include_router, add_api_route, mount.
  for (const call of ctx.root.descendantsOfType('call')) {
    const f = call.childForFieldName('function');
    if (f?.type !== 'attribute') continue;
    const what = f.childForFieldName('attribute')?.text;
    if (what !== 'include_router' && what !== 'add_api_route' && what !== 'mount') continue;
    const parent = isRouterName(f.childForFieldName('object'));
    if (!parent) continue;
    const args = callArgs(call);
    if (what === 'include_router') {
      const targets = routerTargets(args.positional[0] ?? args.keywords.get('router'), ctx);
      if (targets.length === 0) continue;
      const prefix = routePath(args.keywords.get('prefix'), ctx, 'brace', 'prefix');
      const params = [...(prefix?.params ?? []), ...routeDependencies(args.keywords.get('dependencies'), ctx).flat()];
      for (const target of targets) ctx.facts.mounts.push({ parent, prefixes: [prefix?.path ?? ''], target, evidence: ctx.evidence(call), ...(params.length ? { params } : {}) });
    } else if (what === 'mount') {
      const target = ctx.ref(args.positional[1] ?? args.keywords.get('app'));
      const prefix = routePath(args.positional[0] ?? args.keywords.get('path'), ctx, 'brace');
      // Sub-applications only; `StaticFiles(...)` and other ASGI apps are calls, not names.
      if (!target || !prefix) continue;
      ctx.facts.mounts.push({ parent, prefixes: [prefix.path], target, evidence: ctx.evidence(call) });
    } else {
      const endpoint = argument(args, 1, 'endpoint');
      const name = dottedName(endpoint);
      const fn = name !== undefined ? ctx.functions.get(name) : undefined;
      if (!fn) continue;
      const methods = args.keywords.has('methods') ? methodsOf(args.keywords.get('methods')) : ['get' as HttpMethod];
      addRoute(ctx, parent, fn, argument(args, 0, 'path'), methods, args.keywords, call);
    }
  }
  // Dependencies may live in files that never import FastAPI (`def get_db(): ...` in `db.py`).
  dependencyTypes(ctx, fastapi);
  routerClassTypes(ctx);
  routerFactoryTypes(ctx);
}

/**
 * The routers an `include_router` argument names: one router, or, for a loop variable or a
 * variable holding router names (`for router in API_ROUTERS: app.include_router(router)`), each
 * router it takes.
 */
function routerTargets(node: SyntaxNode | undefined, ctx: PyContext): SymbolRef[] {
  if (node?.type === 'identifier') {
    const { scope, values } = bindingsOf(node.text, node, ctx);
    if (scope !== 'free' && values.length > 0 && values.every((v) => v.type === 'identifier' || v.type === 'attribute')) {
      return values.map((v) => ctx.ref(v)).filter((r): r is SymbolRef => r !== undefined);
    }
  }
  // `app.include_router(make_router('/users'))`: the router that call builds.
  if (node?.type === 'call') {
    const id = `${callName(node) ?? 'router'}()@${node.startPosition.row + 1}`;
    return ctx.router(id) || factoryRouterOf(id, node, node, ctx) ? [{ name: id }] : [];
  }
  const ref = ctx.ref(node);
  return ref ? [ref] : [];
}

/** Adds the router a factory call builds under `id`; false when `call` calls no router factory. */
function factoryRouterOf(id: string, call: SyntaxNode, at: SyntaxNode, ctx: PyContext): boolean {
  const made = factoryRouter(call, ctx);
  if (!made) return false;
  ctx.addRouter({
    id,
    prefixes: [made.prefix?.path ?? ''],
    root: made.app,
    evidence: ctx.evidence(at),
    label: `${made.app ? 'FastAPI app' : 'APIRouter'} ${id} (${lastName(callName(call) ?? '')}())`,
    ...(made.params.length > 0 ? { params: made.params } : {}),
    ...(made.base ? { bases: [made.base] } : {}),
  });
  return true;
}

/** A router construction that a called router factory of this file returns (see `RouterFactory.called`). */
function isFactoryTemplate(c: Construction, ctx: PyContext): boolean {
  let fn: SyntaxNode | undefined;
  for (let n = c.statement.parent; n; n = n.parent) if (n.type === 'function_definition') fn = n;
  const name = fn?.childForFieldName('name')?.text;
  if (!fn || !name || ctx.functions.get(name)?.id !== fn.id || !ctx.project.routerFactories[name]?.called) return false;
  return returnedRouter(fn, ctx)?.call.id === c.call.id;
}

/** The router construction a factory function of this file returns (`return APIRouter(...)`, or a variable holding one). */
function returnedRouter(fn: SyntaxNode, ctx: PyContext): { call: SyntaxNode; app: boolean } | undefined {
  const body = fn.childForFieldName('body');
  if (!body) return undefined;
  for (const r of ownDescendants(body, ['return_statement'])) {
    const value = r.namedChild(0);
    for (const v of value ? resolvedValues(value, ctx) : []) {
      const cls = v.type === 'call' ? lastName(callName(v) ?? '') : '';
      if (!cls) continue;
      if (APP_CLASSES.has(cls) || ctx.inherits(cls, APP_CLASSES)) return { call: v, app: true };
      if (ROUTER_CLASSES.has(cls) || ctx.inherits(cls, ROUTER_CLASSES)) return { call: v, app: false };
    }
  }
  return undefined;
}

/**
 * A router built by calling a factory (`make_router('/users', tags=[...])`): its prefix, the
 * factory's parameter bound to the call's argument (or its default), and the dependencies the
 * factory gives it — read here for a factory of this file, through the project index and
 * `<factory>()@router` pseudo-types for one of another file.
 */
function factoryRouter(call: SyntaxNode, ctx: PyContext): { prefix?: RoutePath; params: ParamFact[]; app: boolean; base?: SymbolRef } | undefined {
  const name = lastName(callName(call) ?? '');
  if (!name || ROUTER_CLASSES.has(name) || APP_CLASSES.has(name) || ctx.classes.has(name) || ctx.project.classes[name]) return undefined;
  const args = callArgs(call);
  const local = ctx.functions.get(name);
  if (local) {
    const made = returnedRouter(local, ctx);
    if (!made) return undefined;
    const params = functionParams(local);
    // A factory parameter stands for the call's argument, or its own default.
    const bound = (node: SyntaxNode | undefined): SyntaxNode | undefined => {
      if (node?.type !== 'identifier') return node;
      const i = params.findIndex((p) => p.name === node.text && p.kind === 'normal');
      if (i < 0) return node;
      return args.keywords.get(node.text) ?? args.positional[i] ?? params[i]!.default;
    };
    const kw = callArgs(made.call).keywords;
    const prefixNode = bound(kw.get('prefix'));
    const prefix = prefixNode ? routePath(prefixNode, ctx, 'brace', 'prefix') : undefined;
    const depsNode = bound(kw.get('dependencies'));
    // Routes the factory declares on the router it returns are this router's too.
    const template = made.app ? undefined : constructions(ctx).find((c) => c.call.id === made.call.id);
    return {
      ...(prefix ? { prefix } : {}),
      params: [...(prefix?.params ?? []), ...routeDependencies(depsNode, ctx).flat()],
      app: made.app,
      ...(template && isFactoryTemplate(template, ctx) ? { base: { name: template.name } } : {}),
    };
  }
  const known = ctx.project.routerFactories[name];
  if (!known) return undefined;
  let prefix: RoutePath | undefined;
  if (known.prefix && 'literal' in known.prefix) prefix = literalRoutePath(known.prefix.literal, 'brace');
  else if (known.prefix) {
    const i = known.params.indexOf(known.prefix.param);
    const arg = args.keywords.get(known.prefix.param) ?? (i >= 0 ? args.positional[i] : undefined);
    prefix = arg ? routePath(arg, ctx, 'brace', 'prefix') : undefined;
  }
  return {
    ...(prefix ? { prefix } : {}),
    params: [...(prefix?.params ?? []), ...paramTypeRefs(`${name}()@router`)],
    app: known.app === true,
    ...(known.variable && !known.app ? { base: { name: known.variable, module: known.module } } : {}),
  };
}

function methodsOf(node: SyntaxNode | undefined): HttpMethod[] {
  const methods = stringList(node)
    .map((m) => m.toLowerCase())
    .filter((m): m is HttpMethod => (HTTP_METHODS as readonly string[]).includes(m));
  return methods.length > 0 ? [...new Set(methods)] : ['get'];
}

function addRoute(ctx: PyContext, router: string, fn: SyntaxNode, pathNode: SyntaxNode | undefined, methods: HttpMethod[], kw: ReadonlyMap<string, SyntaxNode>, at: SyntaxNode): void {
  if (literalValue(kw.get('include_in_schema')) === false) return;
  const path = pathNode ? routePath(pathNode, ctx, 'brace', 'route') : { path: '', params: [] };
  if (!path) return;
  const name = fn.childForFieldName('name')?.text ?? 'handler';
  const pathNames = new Set(path.params.map((p) => p.name));
  const sig = readSignature(fn, pathNames, ctx);
  const params: ParamFact[] = [];
  // Path parameters: typed by the signature when it declares them.
  for (const p of path.params) params.push(sig.path.get(p.name) ?? p);
  params.push(...sig.params);
  for (const dep of routeDependencies(kw.get('dependencies'), ctx)) params.push(...dep);
  const handler = readHandler(fn, ctx, { scope: name });
  for (const p of handler.params) if (!params.some((q) => q.in === p.in && q.name === p.name)) params.push(p);

  const responses: ResponseFact[] = [];
  const status = statusValue(kw.get('status_code')) ?? 200;
  const model = kw.has('response_model') ? kw.get('response_model') : undefined;
  let schema: Schema | undefined;
  if (model && model.type !== 'none') schema = responseSchema(readAnnotation(model, aliasResolver(ctx)), ctx);
  else if (!kw.has('response_model')) {
    const ret = fn.childForFieldName('return_type');
    if (ret) schema = responseSchema(readAnnotation(ret, aliasResolver(ctx)), ctx);
  }
  const responseClass = lastName(dottedName(kw.get('response_class')) ?? '');
  const contentType = /^HTML/.test(responseClass) ? 'text/html' : /^PlainText/.test(responseClass) ? 'text/plain' : /^(File|Streaming)/.test(responseClass) ? 'application/octet-stream' : undefined;
  responses.push({ status: String(status), ...(schema && status !== 204 ? { schema } : {}), ...(contentType && status !== 204 ? { contentType } : {}), evidence: ctx.evidence(at) });
  responses.push(...declaredResponses(kw.get('responses'), ctx));
  for (const r of handler.responses) if (!responses.some((x) => x.status === r.status)) responses.push(r);
  if ((params.some((p) => !p.fromType) || sig.body) && !responses.some((r) => r.status === '422')) responses.push({ status: '422', description: 'Validation Error', evidence: ctx.evidence(fn.childForFieldName('parameters') ?? fn) });

  const route: RouteFact = {
    router,
    methods,
    paths: [path.path],
    handler: name,
    operationName: stringValue(kw.get('operation_id')) ?? name,
    params,
    responses,
    evidence: ctx.evidence(outerOf(fn)),
    ruleIds: [...handler.ruleIds, ...sig.ruleIds],
  };
  const body = sig.body ?? handler.body;
  if (body) route.body = body;
  const summary = stringValue(kw.get('summary'));
  const description = stringValue(kw.get('description')) ?? docstring(fn);
  if (summary) route.summary = summary;
  if (description) route.description = description;
  const tags = stringList(kw.get('tags'));
  if (tags.length) route.tags = tags;
  ctx.facts.routes.push(route);
}

function docstring(fn: SyntaxNode): string | undefined {
  const first = fn.childForFieldName('body')?.namedChild(0);
  if (first?.type !== 'expression_statement') return undefined;
  const s = stringValue(first.namedChild(0));
  return s ? s.trim().replace(/\s+/g, ' ') : undefined;
}

const RESPONSE_CLASSES = new Set(['Response', 'JSONResponse', 'ORJSONResponse', 'UJSONResponse', 'HTMLResponse', 'PlainTextResponse', 'RedirectResponse', 'StreamingResponse', 'FileResponse', 'EventSourceResponse']);

function responseSchema(info: AnnotationInfo, ctx: PyContext): Schema | undefined {
  const s = info.schema as { $ref?: string; type?: unknown };
  if (Object.keys(s).length === 0) return undefined;
  if (s.type === 'null') return undefined;
  // A Response class as return annotation or response_model is no model.
  if (info.model && !info.array && (RESPONSE_CLASSES.has(info.model) || (!modelKind(info.model, ctx) && ctx.inherits(info.model, RESPONSE_CLASSES)))) return undefined;
  return info.schema;
}

/** `responses={404: {"model": Message, "description": "..."}}` */
function declaredResponses(node: SyntaxNode | undefined, ctx: PyContext): ResponseFact[] {
  if (node?.type !== 'dictionary') return [];
  const out: ResponseFact[] = [];
  for (const pair of node.namedChildren) {
    if (pair.type !== 'pair') continue;
    const key = pair.childForFieldName('key');
    const status = statusValue(key) ?? (stringValue(key) === 'default' ? 'default' : undefined);
    if (status === undefined) continue;
    const value = pair.childForFieldName('value');
    let schema: Schema | undefined;
    let description: string | undefined;
    if (value?.type === 'dictionary') {
      for (const p of value.namedChildren) {
        const k = stringValue(p.childForFieldName('key'));
        if (k === 'model') schema = responseSchema(readAnnotation(p.childForFieldName('value'), aliasResolver(ctx)), ctx);
        if (k === 'description') description = stringValue(p.childForFieldName('value'));
      }
    }
    out.push({ status: String(status), ...(schema ? { schema } : {}), ...(description ? { description } : {}), evidence: ctx.evidence(pair) });
  }
  return out;
}

interface Signature {
  /** Path parameters the signature types, by name. */
  path: Map<string, ParamFact>;
  params: ParamFact[];
  body?: BodyFact;
  ruleIds: string[];
}

interface Marker {
  kind: string;
  call?: SyntaxNode;
  /** `limit: int = LimitBody()`: a call of a dependency factory that returns the `Depends(...)` marker itself. */
  factory?: DependencyTarget;
}

/**
 * The FastAPI marker of a parameter: `Query(...)` default or `Annotated[T, Query(...)]` metadata,
 * a `Depends` alias, or a call of a factory that returns a `Depends(...)`.
 */
function markerOf(p: FunctionParam, info: AnnotationInfo, ctx: PyContext): Marker | undefined {
  for (const m of [p.default, ...info.metadata]) {
    if (m?.type !== 'call') continue;
    const kind = lastName(callName(m) ?? '');
    if (MARKERS.has(kind)) return { kind, call: m };
    const factory = factoryTarget(kind, ctx, true);
    if (factory) return { kind: 'Depends', factory };
  }
  const annotationName = p.annotation ? lastName(dottedName(p.annotation.namedChild(0)) ?? '') : '';
  if (annotationName && ctx.project.dependsAliases[annotationName] !== undefined) return { kind: 'Depends' };
  return undefined;
}

/** Reads a handler's (or dependency's) parameters. */
function readSignature(fn: SyntaxNode, pathNames: ReadonlySet<string>, ctx: PyContext, depth = 0): Signature {
  const sig: Signature = { path: new Map(), params: [], ruleIds: [] };
  const bodyParts: { name: string; schema: Schema; required: boolean; embed: boolean; kind: 'json' | 'form' | 'file' }[] = [];
  const resolve = aliasResolver(ctx);
  for (const p of functionParams(fn)) {
    if (p.kind === 'splat' || p.name === 'self' || p.name === 'cls') continue;
    const info = readAnnotation(p.annotation, resolve);
    const annotationName = info.model ?? '';
    // `response: Response` (a built-in to the schema reader, so no model): filled by FastAPI.
    const written = lastName(dottedName(p.annotation?.namedChild(0)) ?? '');
    if (INJECTED.has(annotationName) || INJECTED.has(written)) continue;
    const marker = markerOf(p, info, ctx);
    const kind = marker?.kind;
    const args = marker?.call ? callArgs(marker.call) : undefined;
    const kw = args?.keywords ?? new Map<string, SyntaxNode>();
    if (kind === 'Depends' || kind === 'Security') {
      const target = marker!.factory ?? (marker!.call ? dependencyOfMarker(marker!.call, info, ctx) : aliasTarget(p, ctx));
      sig.params.push(...dependencyParams(target, ctx, depth));
      continue;
    }
    // `Header(include_in_schema=False)`: read, but not documented.
    if (literalValue(kw.get('include_in_schema')) === false) continue;
    // Default: the marker's first argument or `default=`, else the parameter default (also with `Annotated[T, Query()] = x`).
    const dflt = marker?.call && marker.call.id === p.default?.id ? (args!.positional[0] ?? kw.get('default')) : p.default;
    const required = marker?.call ? (dflt === undefined ? !kw.has('default_factory') && !info.nullable : dflt.type === 'ellipsis') : dflt === undefined;
    let schema = info.schema;
    const d = literalDefault(dflt);
    const applied = applyConstraints(schema, kw);
    schema = applied.schema;
    if (d !== undefined) schema = { ...schema, default: d } as Schema;
    const alias = stringValue(kw.get('alias'));
    const evidence = ctx.evidence(p.node);
    const describe = stringValue(kw.get('description'));
    const base = { required, schema: Object.keys(schema).length ? schema : ({ type: 'string' } as Schema), evidence, ...(describe ? { description: describe } : {}) };
    if (kind === 'Path' || (!kind && pathNames.has(p.name))) {
      sig.path.set(alias ?? p.name, { name: alias ?? p.name, in: 'path', ...base, required: true });
      continue;
    }
    if (kind === 'Header') {
      const convert = literalValue(kw.get('convert_underscores')) !== false;
      sig.params.push({ name: alias ?? (convert ? p.name.replace(/_/g, '-') : p.name), in: 'header', ...base });
      continue;
    }
    if (kind === 'Cookie' || kind === 'Query') {
      sig.params.push({ name: alias ?? p.name, in: kind === 'Cookie' ? 'cookie' : 'query', ...base });
      continue;
    }
    if (kind === 'Body' || kind === 'Form' || kind === 'File') {
      bodyParts.push({ name: alias ?? p.name, schema, required, embed: literalValue(kw.get('embed')) === true, kind: kind === 'Body' ? 'json' : kind === 'Form' ? 'form' : 'file' });
      continue;
    }
    if (/\bUploadFile\b/.test(p.annotation?.text ?? '')) {
      bodyParts.push({ name: p.name, schema: info.array ? arrayOf({ type: 'string', format: 'binary' }) : { type: 'string', format: 'binary' }, required, embed: false, kind: 'file' });
      continue;
    }
    // No marker: a model, a dict or a list is the body; anything scalar (or an enum) is a query parameter.
    const type = (info.schema as { type?: unknown }).type;
    if ((annotationName && isBodyModel(annotationName, ctx)) || (!annotationName && (type === 'object' || info.array))) {
      bodyParts.push({ name: p.name, schema: info.schema, required: required && !info.nullable, embed: false, kind: 'json' });
      continue;
    }
    sig.params.push({ name: p.name, in: 'query', ...base, required: required && !info.nullable });
  }
  if (bodyParts.length > 0) {
    const files = bodyParts.some((b) => b.kind === 'file');
    const form = files || bodyParts.some((b) => b.kind === 'form');
    if (bodyParts.length === 1 && !bodyParts[0]!.embed && !form) sig.body = { schema: bodyParts[0]!.schema };
    else {
      const properties: Record<string, Schema> = {};
      const required: string[] = [];
      for (const b of bodyParts) {
        properties[b.name] = b.schema;
        if (b.required) required.push(b.name);
      }
      sig.body = { schema: { type: 'object', properties, ...(required.length ? { required } : {}) } as Schema, ...(form ? { contentType: files ? 'multipart/form-data' : 'application/x-www-form-urlencoded' } : {}) };
    }
  }
  return sig;
}

/** A parameter annotated with a user type: a pydantic model or dataclass is the body, an Enum is a query parameter. */
function isBodyModel(name: string, ctx: PyContext): boolean {
  if (builtinSchema(name)) return false;
  const kind = modelKind(name, ctx);
  if (kind) return kind !== 'enum';
  // A type the project does not define (a library type): FastAPI reads any non-scalar as body.
  return !/(Enum|Type|Kind|Status|Order|Sort|Mode|Level|Choice|Choices)$/.test(name);
}

/**
 * What a `Depends(...)` calls, as far as this file can follow it: a function read here (nested
 * dependencies included), the `<name>@query|header|cookie` pseudo-types another file emits for
 * its dependency (see `dependencyTypes`), or a pydantic model / dataclass whose fields are query
 * parameters.
 */
type DependencyTarget = { kind: 'function'; fn: SyntaxNode } | { kind: 'types'; name: string } | { kind: 'model'; name: string };

/** The dependency of a `Depends(x)` / `Security(x)` marker; `Depends()` takes the annotated class. */
function dependencyOfMarker(call: SyntaxNode, info: AnnotationInfo, ctx: PyContext): DependencyTarget | undefined {
  const args = callArgs(call);
  const dep = args.positional[0] ?? args.keywords.get('dependency');
  if (dep) return dependencyTarget(dep, ctx, 0);
  return info.model ? namedTarget(info.model, ctx) : undefined;
}

/** `user: CurrentUser` with `CurrentUser = Annotated[User, Depends(get_current_user)]` in another file. */
function aliasTarget(p: FunctionParam, ctx: PyContext): DependencyTarget | undefined {
  const alias = p.annotation ? lastName(dottedName(p.annotation.namedChild(0)) ?? '') : '';
  const target = ctx.project.dependsAliases[alias];
  return target ? namedTarget(target, ctx) : undefined;
}

/**
 * Follows a dependency expression: a function, a class (FastAPI calls it: its `__init__`), an
 * instance of a callable class (`Depends(checker)` with `checker = VersionCheck(...)`, or
 * `Depends(VersionCheck(...))`: its `__call__`), a factory's product (`Depends(get_repo(Repo))`:
 * the function it returns), through variables and parameters of this file (bindings.ts).
 */
function dependencyTarget(node: SyntaxNode, ctx: PyContext, depth: number): DependencyTarget | undefined {
  if (depth > 4) return undefined;
  if (node.type === 'function_definition') return { kind: 'function', fn: node };
  if (node.type === 'call') {
    const callee = lastName(callName(node) ?? '');
    return callee ? (instanceTarget(callee, ctx) ?? factoryTarget(callee, ctx, false)) : undefined;
  }
  const name = dottedName(node);
  if (name === undefined) return undefined;
  if (node.type === 'identifier') {
    const bound = bindingsOf(name, node, ctx);
    for (const v of bound.values) {
      if (v.type !== 'function_definition' && v.type !== 'call' && v.type !== 'identifier' && v.type !== 'attribute') continue;
      if (v.type === 'identifier' && v.text === name) continue;
      const t = dependencyTarget(v, ctx, depth + 1);
      if (t) return t;
    }
  }
  return namedTarget(lastName(name), ctx);
}

/** A dependency named by a (last-segment) name: a function of this file, a model, a project dependency, or a project instance. */
function namedTarget(name: string, ctx: PyContext): DependencyTarget | undefined {
  const local = ctx.functions.get(name);
  if (local) return { kind: 'function', fn: local };
  const kind = modelKind(name, ctx);
  if (kind === 'pydantic' || kind === 'dataclass') return { kind: 'model', name };
  if (ctx.project.dependencies.includes(name)) return { kind: 'types', name };
  const cls = ctx.project.instances[name];
  return cls !== undefined ? instanceTarget(cls, ctx) : undefined;
}

/** An instance of `className` used as a dependency: the `__call__` it defines or inherits. */
function instanceTarget(className: string, ctx: PyContext): DependencyTarget | undefined {
  for (const c of [className, ...ctx.ancestorsOf(className)]) {
    const local = ctx.classes.get(c);
    if (local) {
      const call = classMethods(local).find((m) => m.childForFieldName('name')?.text === '__call__');
      if (call) return { kind: 'function', fn: call };
      continue;
    }
    if (findClass(ctx.project, c)?.methods.includes('__call__')) return { kind: 'types', name: `${c}.__call__` };
  }
  return undefined;
}

/**
 * A call of a dependency factory: the function the factory defines and returns (`marker`: only
 * factories returning `Depends(inner)` itself, used as a parameter default).
 */
function factoryTarget(name: string, ctx: PyContext, marker: boolean): DependencyTarget | undefined {
  const local = ctx.functions.get(name);
  if (local) {
    const inner = factoryInner(local);
    return inner && inner.marker === marker ? { kind: 'function', fn: inner.fn } : undefined;
  }
  const known = ctx.project.factories[name];
  return known && known.marker === marker ? { kind: 'types', name: `${name}()` } : undefined;
}

/** The nested function a factory returns (`return inner`, or `return Depends(inner)`: `marker`). */
function factoryInner(fn: SyntaxNode): { fn: SyntaxNode; marker: boolean } | undefined {
  const body = fn.childForFieldName('body');
  if (!body) return undefined;
  const nested = new Map<string, SyntaxNode>();
  for (const s of statementsOf(body)) {
    const def = definitionOf(s);
    const name = def?.type === 'function_definition' ? def.childForFieldName('name')?.text : undefined;
    if (def && name) nested.set(name, def);
  }
  for (const r of ownDescendants(body, ['return_statement'])) {
    let value = r.namedChild(0);
    let marker = false;
    if (value?.type === 'call' && /^(Depends|Security)$/.test(lastName(callName(value) ?? ''))) {
      const args = callArgs(value);
      value = args.positional[0] ?? args.keywords.get('dependency') ?? null;
      marker = true;
    }
    const inner = value?.type === 'identifier' ? nested.get(value.text) : undefined;
    if (inner) return { fn: inner, marker };
  }
  return undefined;
}

/** The parameters a dependency brings in. */
function dependencyParams(target: DependencyTarget | undefined, ctx: PyContext, depth: number): ParamFact[] {
  if (!target) return [];
  if (target.kind === 'function') {
    if (depth >= 4) return [];
    const sig = readSignature(target.fn, new Set(), ctx, depth + 1);
    return [...sig.path.values(), ...sig.params];
  }
  if (target.kind === 'model') return [{ name: target.name, in: 'query', fromType: target.name }];
  return paramTypeRefs(target.name);
}

/** `dependencies=[Depends(verify_token)]` on a route, a router, an app or an `include_router`, also through a variable holding the list. */
function routeDependencies(node: SyntaxNode | undefined, ctx: PyContext): ParamFact[][] {
  if (!node) return [];
  const seen = new Set<number>();
  return elementsOf(node, ctx)
    .filter((c) => c.type === 'call' && /^(Depends|Security)$/.test(lastName(callName(c) ?? '')) && !seen.has(c.id) && seen.add(c.id))
    .map((c) => dependencyParams(dependencyOfMarker(c, { schema: {}, nullable: false, metadata: [] }, ctx), ctx, 0));
}

/**
 * Pseudo-types `<fn>@query`, `<fn>@header`, `<fn>@cookie` for every dependency function (and
 * dependency class) of this file that the project uses in `Depends(...)`, `<Class>.__call__@...`
 * for every class of this file an instance of which may be one (it defines `__call__`), and
 * `<factory>()@...` for dependency factories (the function they return): the link step expands
 * them into the parameters of each operation that depends on them, across files. A dependency's
 * own dependencies that live in other files are `allOf` members, expanded the same way.
 */
function dependencyTypes(ctx: PyContext, fastapi: boolean): void {
  const wanted = new Set(ctx.project.dependencies);
  const instanceClasses = new Set(Object.values(ctx.project.instances));
  /** `fn` undefined: a dependency that takes nothing (a class without `__init__`). */
  const emit = (name: string, fn: SyntaxNode | undefined, at: SyntaxNode, rules: boolean): void => {
    const sig: Pick<Signature, 'path' | 'params'> = fn ? readSignature(fn, new Set(), ctx, 1) : { path: new Map(), params: [] };
    const types = emitParamTypes(ctx, name, [...sig.path.values(), ...sig.params], at);
    if (!rules || !fn) return;
    const ids = functionRules(fn, ctx, { scope: name, mode: 'handler' });
    if (ids.length > 0) types[types.length - 1]!.ruleIds = ids;
  };
  // Rules of dependencies in files that do not import FastAPI (session and settings providers)
  // are infrastructure, not request rules: their types only.
  for (const [name, fn] of ctx.functions) {
    if (wanted.has(name)) emit(name, fn, outerOf(fn), fastapi);
    const factory = ctx.project.factories[name];
    const inner = factory ? factoryInner(fn) : undefined;
    if (inner) emit(`${name}()`, inner.fn, outerOf(fn), fastapi);
  }
  for (const [name, cls] of ctx.classes) {
    if (modelKind(name, ctx)) continue;
    const methods = classMethods(cls);
    const init = methods.find((d) => d.childForFieldName('name')?.text === '__init__');
    if (wanted.has(name)) emit(name, init, outerOf(cls), fastapi);
    const call = methods.find((d) => d.childForFieldName('name')?.text === '__call__');
    if (call && (fastapi || instanceClasses.has(name))) emit(`${name}.__call__`, call, outerOf(cls), instanceClasses.has(name));
  }
}

/**
 * `<name>@query`, `<name>@header`, `<name>@cookie` pseudo-types holding `params` by location
 * (path parameters of a dependency count as query: the route's template decides), their
 * `fromType` parameters (dependencies of other files) and `bases` as `allOf` members.
 */
function emitParamTypes(ctx: PyContext, name: string, params: readonly ParamFact[], at: SyntaxNode, bases: readonly string[] = []): TypeFact[] {
  const byWhere: Record<'query' | 'header' | 'cookie', { properties: Record<string, Schema>; required: string[]; allOf: Schema[] }> = {
    query: { properties: {}, required: [], allOf: [] },
    header: { properties: {}, required: [], allOf: [] },
    cookie: { properties: {}, required: [], allOf: [] },
  };
  const member = (where: 'query' | 'header' | 'cookie', type: string): void => {
    if (type !== `${name}@${where}` && !byWhere[where].allOf.some((s) => refName(s) === type)) byWhere[where].allOf.push(typeRef(type));
  };
  for (const p of params) {
    const where = p.in === 'path' ? 'query' : p.in === 'header' || p.in === 'cookie' ? p.in : p.in === 'query' ? 'query' : undefined;
    if (!where) continue;
    if (p.fromType) {
      member(where, p.fromType);
      continue;
    }
    byWhere[where].properties[p.name] = p.schema ?? { type: 'string' };
    if (p.required) byWhere[where].required.push(p.name);
  }
  const out: TypeFact[] = [];
  for (const where of ['query', 'header', 'cookie'] as const) {
    for (const b of bases) member(where, `${b}@${where}`);
    const { properties, required, allOf } = byWhere[where];
    const schema = { type: 'object', properties, ...(required.length ? { required } : {}), ...(allOf.length ? { allOf } : {}) } as Schema;
    const type: TypeFact = { name: `${name}@${where}`, schema, evidence: ctx.evidence(at) };
    ctx.facts.types.push(type);
    out.push(type);
  }
  return out;
}

/** `<factory>()@router` pseudo-types: the dependencies a router factory of this file gives the routers it builds. */
function routerFactoryTypes(ctx: PyContext): void {
  for (const [name, fn] of ctx.functions) {
    if (!ctx.project.routerFactories[name]) continue;
    const made = returnedRouter(fn, ctx);
    const deps = made ? callArgs(made.call).keywords.get('dependencies') : undefined;
    emitParamTypes(ctx, `${name}()@router`, deps ? routeDependencies(deps, ctx).flat() : [], outerOf(fn));
  }
}

/** The `fromType` parameters standing for a pseudo-type triple (see `emitParamTypes`). */
function paramTypeRefs(name: string): ParamFact[] {
  return (['query', 'header', 'cookie'] as const).map((where) => ({ name, in: where, fromType: `${name}@${where}` }));
}

/**
 * Router classes of the project that add dependencies to every router built from them
 * (`class AuthedRouter(APIRouter)` whose `__init__` passes `dependencies=[...]` to
 * `super().__init__`, or sets `kwargs['dependencies']` / `kwargs.setdefault('dependencies', ...)`):
 * `<Class>@router@...` pseudo-types, a project base router class's as `allOf` members. Every
 * router subclass of this file gets them (empty when it adds nothing), so constructions in other
 * files can refer to them.
 */
function routerClassTypes(ctx: PyContext): void {
  for (const [name, cls] of ctx.classes) {
    if (ROUTER_CLASSES.has(name) || !ctx.inherits(name, ROUTER_CLASSES)) continue;
    const init = classMethods(cls).find((d) => d.childForFieldName('name')?.text === '__init__');
    const params: ParamFact[] = [];
    for (const expr of init ? injectedDependencies(init) : []) params.push(...routeDependencies(expr, ctx).flat());
    const base = ctx.ancestorsOf(name).find((b) => !ROUTER_CLASSES.has(b) && isProjectClass(b, ctx));
    emitParamTypes(ctx, `${name}@router`, params, outerOf(cls), base && ctx.inherits(base, ROUTER_CLASSES) ? [`${base}@router`] : []);
  }
}

function isProjectClass(name: string, ctx: PyContext): boolean {
  return ctx.classes.has(name) || findClass(ctx.project, name) !== undefined;
}

/** The `dependencies` a router class's `__init__` hands to its base: `super().__init__(dependencies=x)`, `kwargs['dependencies'] = x`, `kwargs.setdefault('dependencies', x)`. */
function injectedDependencies(init: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const body = init.childForFieldName('body');
  if (!body) return out;
  for (const n of ownDescendants(body, ['call', 'assignment'])) {
    if (n.type === 'assignment') {
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (left?.type === 'subscript' && stringValue(left.childForFieldName('subscript')) === 'dependencies' && right) out.push(right);
      continue;
    }
    const f = n.childForFieldName('function');
    const method = f?.type === 'attribute' ? f.childForFieldName('attribute')?.text : undefined;
    const args = callArgs(n);
    if (method === '__init__' && args.keywords.has('dependencies')) out.push(args.keywords.get('dependencies')!);
    else if (method === 'setdefault' && stringValue(args.positional[0]) === 'dependencies' && args.positional[1]) out.push(args.positional[1]);
  }
  return out;
}
