/**
 * FastAPI: `app = FastAPI()` (a root), `router = APIRouter(prefix=..., tags=[...])` (also custom
 * subclasses), routes by decorator (`@router.get('/items/{id}', response_model=..., status_code=...)`,
 * `@app.api_route(..., methods=[...])`) or `add_api_route`, mounts by `include_router(r, prefix=)`
 * and `app.mount(prefix, sub_app)`, across files (`from app.api.routes import users` →
 * `users.router`). The handler signature is the request: path parameters by name, simple-typed
 * parameters are query parameters, `Query`/`Path`/`Header`/`Cookie`/`Body`/`Form`/`File` (as
 * defaults or in `Annotated[...]`) say where the others go, pydantic models are the JSON body,
 * `Depends(fn)` brings in the dependency's own parameters (through `<fn>@query`/`@header`/`@cookie`
 * pseudo-types this module also emits for every dependency function of the project). Responses
 * come from `response_model`/the return annotation, `status_code`, `responses={...}` and what the
 * handler raises; 422 when FastAPI validates anything.
 */
import type { BodyFact, ParamFact, ResponseFact, RouteFact, TypeFact } from '../service/facts.js';
import { HTTP_METHODS, type HttpMethod } from '../service/facts.js';
import { arrayOf, type Schema } from '../service/schema.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { PyContext } from './context.js';
import { readHandler } from './handler.js';
import { aliasResolver, modelKind } from './models.js';
import { constructionsOf, routerFor } from './objects.js';
import { routePath } from './route-paths.js';
import { functionRules } from './rules.js';
import { argument, callArgs, callName, decoratorsOf, definitionOf, dottedName, functionParams, lastName, literalValue, outerOf, statusValue, stringList, stringValue, type FunctionParam } from './syntax.js';
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
    const deps = routeDependencies(callArgs(c.call).keywords.get('dependencies'), ctx).flat();
    ctx.addRouter({ id: c.name, prefixes: [''], root: true, evidence: ctx.evidence(c.statement), label: `FastAPI app ${c.name}`, ...(deps.length ? { params: deps } : {}) });
  }
  for (const c of constructionsOf(ctx, ROUTER_CLASSES)) {
    const args = callArgs(c.call);
    const prefix = routePath(args.keywords.get('prefix'), ctx, 'brace');
    own.add(c.name);
    // `APIRouter(dependencies=[Depends(verify_token)])`: every route below takes the dependency's parameters.
    const params = [...(prefix?.params ?? []), ...routeDependencies(args.keywords.get('dependencies'), ctx).flat()];
    ctx.addRouter({
      id: c.name,
      prefixes: [prefix?.path ?? ''],
      root: false,
      evidence: ctx.evidence(c.statement),
      label: `APIRouter ${c.name}`,
      ...(params.length > 0 ? { params } : {}),
    });
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
      const target = ctx.ref(args.positional[0] ?? args.keywords.get('router'));
      if (!target) continue;
      const prefix = routePath(args.keywords.get('prefix'), ctx, 'brace');
      const params = [...(prefix?.params ?? []), ...routeDependencies(args.keywords.get('dependencies'), ctx).flat()];
      ctx.facts.mounts.push({ parent, prefixes: [prefix?.path ?? ''], target, evidence: ctx.evidence(call), ...(params.length ? { params } : {}) });
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
  if (fastapi) dependencyTypes(ctx);
}

function methodsOf(node: SyntaxNode | undefined): HttpMethod[] {
  const methods = stringList(node)
    .map((m) => m.toLowerCase())
    .filter((m): m is HttpMethod => (HTTP_METHODS as readonly string[]).includes(m));
  return methods.length > 0 ? [...new Set(methods)] : ['get'];
}

function addRoute(ctx: PyContext, router: string, fn: SyntaxNode, pathNode: SyntaxNode | undefined, methods: HttpMethod[], kw: ReadonlyMap<string, SyntaxNode>, at: SyntaxNode): void {
  if (literalValue(kw.get('include_in_schema')) === false) return;
  const path = pathNode ? routePath(pathNode, ctx, 'brace') : { path: '', params: [] };
  if (!path) {
    ctx.diagnostics.push({ path: ctx.path, line: at.startPosition.row + 1, severity: 'warning', message: `route path ${pathNode?.text ?? ''} is not a string this analyzer can read; the route is skipped` });
    return;
  }
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
}

/** The FastAPI marker of a parameter: `Query(...)` default or `Annotated[T, Query(...)]` metadata, or a `Depends` alias. */
function markerOf(p: FunctionParam, info: AnnotationInfo, ctx: PyContext): Marker | undefined {
  for (const m of [p.default, ...info.metadata]) {
    if (m?.type !== 'call') continue;
    const kind = lastName(callName(m) ?? '');
    if (MARKERS.has(kind)) return { kind, call: m };
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
    if (INJECTED.has(annotationName)) continue;
    const marker = markerOf(p, info, ctx);
    const kind = marker?.kind;
    const args = marker?.call ? callArgs(marker.call) : undefined;
    const kw = args?.keywords ?? new Map<string, SyntaxNode>();
    if (kind === 'Depends' || kind === 'Security') {
      sig.params.push(...dependencyParams(marker!.call, p, info, ctx, depth));
      continue;
    }
    // Default: the marker's first argument or `default=`, else the parameter default.
    const dflt = marker?.call ? (args!.positional[0] ?? kw.get('default')) : p.default;
    const required = marker?.call ? (dflt === undefined ? !kw.has('default_factory') && !info.nullable : dflt.type === 'ellipsis') : p.default === undefined;
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

/** The parameters a `Depends(...)` brings in. */
function dependencyParams(call: SyntaxNode | undefined, p: FunctionParam, info: AnnotationInfo, ctx: PyContext, depth: number): ParamFact[] {
  let target: string | undefined;
  const args = call ? callArgs(call) : undefined;
  const dep = args ? (args.positional[0] ?? args.keywords.get('dependency')) : undefined;
  if (call) {
    if (dep?.type === 'call') target = lastName(callName(dep) ?? ''); // `Depends(get_repository(Repo))`: a factory; its result is unknown
    else if (dep) target = lastName(dottedName(dep) ?? '');
    else target = info.model; // `Depends()`: the annotated class
    if (dep?.type === 'call') return [];
  } else {
    const alias = p.annotation ? lastName(dottedName(p.annotation.namedChild(0)) ?? '') : '';
    target = ctx.project.dependsAliases[alias] || undefined;
  }
  if (!target) return [];
  // A dependency of this file: read it here (nested dependencies included).
  const local = ctx.functions.get(target);
  if (local && depth < 4) {
    const sig = readSignature(local, new Set(), ctx, depth + 1);
    return [...sig.path.values(), ...sig.params];
  }
  const kind = modelKind(target, ctx);
  if (kind === 'pydantic' || kind === 'dataclass') return [{ name: target, in: 'query', fromType: target }];
  if (!ctx.project.dependencies.includes(target)) return [];
  return (['query', 'header', 'cookie'] as const).map((where) => ({ name: target!, in: where, fromType: `${target}@${where}` }));
}

/** `dependencies=[Depends(verify_token)]` on a route. */
function routeDependencies(node: SyntaxNode | undefined, ctx: PyContext): ParamFact[][] {
  if (node?.type !== 'list' && node?.type !== 'tuple') return [];
  return node.namedChildren
    .filter((c) => c.type === 'call' && /^(Depends|Security)$/.test(lastName(callName(c) ?? '')))
    .map((c) => dependencyParams(c, { name: '_', kind: 'normal', node: c }, { schema: {}, nullable: false, metadata: [] }, ctx, 0));
}

/**
 * Pseudo-types `<fn>@query`, `<fn>@header`, `<fn>@cookie` for every dependency function (and
 * dependency class) of this file that the project uses in `Depends(...)`: the link step expands
 * them into the parameters of each operation that depends on them, across files.
 */
function dependencyTypes(ctx: PyContext): void {
  const wanted = new Set(ctx.project.dependencies);
  const emit = (name: string, fn: SyntaxNode, at: SyntaxNode): void => {
    const sig = readSignature(fn, new Set(), ctx, 1);
    const byWhere: Record<'query' | 'header' | 'cookie', { properties: Record<string, Schema>; required: string[] }> = {
      query: { properties: {}, required: [] },
      header: { properties: {}, required: [] },
      cookie: { properties: {}, required: [] },
    };
    for (const p of [...sig.path.values(), ...sig.params]) {
      if (p.fromType) continue;
      const where = p.in === 'path' ? 'query' : p.in === 'header' || p.in === 'cookie' ? p.in : p.in === 'query' ? 'query' : undefined;
      if (!where) continue;
      byWhere[where].properties[p.name] = p.schema ?? { type: 'string' };
      if (p.required) byWhere[where].required.push(p.name);
    }
    for (const where of ['query', 'header', 'cookie'] as const) {
      const { properties, required } = byWhere[where];
      const type: TypeFact = { name: `${name}@${where}`, schema: { type: 'object', properties, ...(required.length ? { required } : {}) } as Schema, evidence: ctx.evidence(at) };
      ctx.facts.types.push(type);
    }
    const ids = functionRules(fn, ctx, { scope: name, mode: 'handler' });
    if (ids.length > 0) ctx.facts.types[ctx.facts.types.length - 1]!.ruleIds = ids;
  };
  for (const [name, fn] of ctx.functions) if (wanted.has(name)) emit(name, fn, outerOf(fn));
  for (const [name, cls] of ctx.classes) {
    if (!wanted.has(name) || modelKind(name, ctx)) continue;
    const init = cls.childForFieldName('body')?.namedChildren.map((s) => definitionOf(s)).find((d) => d?.type === 'function_definition' && d.childForFieldName('name')?.text === '__init__');
    if (init) emit(name, init, outerOf(cls));
  }
}

