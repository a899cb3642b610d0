/**
 * Django REST framework: routers (`DefaultRouter`, `SimpleRouter`, custom subclasses,
 * drf-nested-routers) and `router.register(r'users', UserViewSet, basename=...)` mounts, with the
 * router's `trailing_slash`; viewsets as mounted-only routers whose routes are their actions —
 * `list`/`create` on the prefix, `retrieve`/`update`/`partial_update`/`destroy` on `{lookup}`
 * (`lookup_url_kwarg`, `lookup_field`, else `pk`) as the class provides them (`ModelViewSet`: all;
 * `ReadOnlyModelViewSet`: list and retrieve; mixins: theirs; any class: the action methods it
 * defines) — plus `@action(detail=..., methods=[...], url_path=...)` routes and their
 * `@x.mapping.delete` methods. For viewsets and `APIView`/generic views: request bodies and
 * responses from `serializer_class` or the serializers a handler instantiates
 * (`UserSerializer(data=request.data)`), 201 for create and 204 for destroy, pagination
 * (`pagination_class` or `REST_FRAMEWORK['DEFAULT_PAGINATION_CLASS']`), filter parameters
 * (`filterset_fields`, `filterset_class`, `search_fields`, `ordering_fields`) and the query
 * parameters `get_queryset` reads, on list operations.
 */
import type { HttpMethod, ParamFact, ResponseFact, RouteFact } from '../service/facts.js';
import { arrayOf, nullable, typeRef, type Schema } from '../service/schema.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import { GENERIC_ACTIONS, type ViewMethod } from './class-views.js';
import type { PyContext } from './context.js';
import { readHandler } from './handler.js';
import { constructionsOf, routerFor } from './objects.js';
import { findClass } from './project.js';
import { literalRoutePath, routePath } from './route-paths.js';
import { serializerKind } from './serializers.js';
import { assignmentsIn, callArgs, callName, classMethods, decoratorsOf, definitionOf, dottedName, lastName, literalValue, outerOf, ownDescendants, statementsOf, stringList, stringValue } from './syntax.js';

const ROUTER_CLASSES = new Set(['DefaultRouter', 'SimpleRouter', 'ExtendedDefaultRouter', 'ExtendedSimpleRouter', 'NestedSimpleRouter', 'NestedDefaultRouter', 'OptionalSlashRouter', 'BaseRouter']);
const NESTED_ROUTERS = new Set(['NestedSimpleRouter', 'NestedDefaultRouter']);
export const VIEWSET_BASES = new Set(['ViewSet', 'GenericViewSet', 'ModelViewSet', 'ReadOnlyModelViewSet', 'ViewSetMixin']);
const ACTIONS_OF: Record<string, string[]> = {
  ModelViewSet: ['list', 'create', 'retrieve', 'update', 'partial_update', 'destroy'],
  ReadOnlyModelViewSet: ['list', 'retrieve'],
  ListModelMixin: ['list'],
  CreateModelMixin: ['create'],
  RetrieveModelMixin: ['retrieve'],
  UpdateModelMixin: ['update', 'partial_update'],
  DestroyModelMixin: ['destroy'],
};
const ACTION_ROUTES: Record<string, { method: HttpMethod; detail: boolean }> = {
  list: { method: 'get', detail: false },
  create: { method: 'post', detail: false },
  retrieve: { method: 'get', detail: true },
  update: { method: 'put', detail: true },
  partial_update: { method: 'patch', detail: true },
  destroy: { method: 'delete', detail: true },
};
const API_VIEW_BASES = new Set(['APIView', 'GenericAPIView']);

export function isViewSet(name: string, ctx: PyContext): boolean {
  return ctx.ancestorsOf(name).some((a) => VIEWSET_BASES.has(a));
}

export function isDrfView(name: string, ctx: PyContext): boolean {
  return ctx.ancestorsOf(name).some((a) => API_VIEW_BASES.has(a) || /APIView$/.test(a));
}

export function extractDrf(ctx: PyContext): void {
  const trailing = new Map<string, boolean | undefined>();
  for (const c of constructionsOf(ctx, ROUTER_CLASSES)) {
    const args = callArgs(c.call);
    const slash = literalValue(args.keywords.get('trailing_slash'));
    trailing.set(c.name, slash === undefined ? true : slash === true || slash === '/');
    const nested = NESTED_ROUTERS.has(lastName(c.callee)) || ctx.inherits(lastName(c.callee), NESTED_ROUTERS);
    let prefixes = [''];
    let params: ParamFact[] = [];
    if (nested) {
      const prefix = routePath(args.positional[1] ?? args.keywords.get('parent_prefix'), ctx, 'regex');
      const lookup = stringValue(args.keywords.get('lookup')) ?? 'parent';
      if (prefix) {
        prefixes = [`${prefix.path}/{${lookup}_pk}`];
        params = [...prefix.params, { name: `${lookup}_pk`, in: 'path', required: true, schema: { type: 'string' } }];
      }
    }
    ctx.addRouter({ id: c.name, prefixes, root: false, evidence: ctx.evidence(c.statement), label: `DRF router ${c.name}`, ...(params.length ? { params } : {}) });
    if (nested) {
      const parent = routerFor(args.positional[0] ?? args.keywords.get('parent_router'), ctx);
      if (parent) ctx.facts.mounts.push({ parent, prefixes: [''], target: { name: c.name }, evidence: ctx.evidence(c.statement) });
    }
  }
  for (const call of ctx.root.descendantsOfType('call')) {
    const f = call.childForFieldName('function');
    if (f?.type !== 'attribute' || f.childForFieldName('attribute')?.text !== 'register') continue;
    const object = f.childForFieldName('object');
    const name = dottedName(object);
    if (name === undefined) continue;
    const local = trailing.has(name);
    if (!local && !ctx.router(name)) {
      // A router imported from another module: only when the call looks like DRF's.
      if (!/router/i.test(name)) continue;
      if (!routerFor(object, ctx)) continue;
    }
    const args = callArgs(call);
    const prefixNode = args.positional[0] ?? args.keywords.get('prefix');
    const viewset = args.positional[1] ?? args.keywords.get('viewset');
    const prefix = routePath(prefixNode, ctx, 'regex');
    const target = ctx.ref(viewset);
    if (!prefix || !target) continue;
    const slash = trailing.get(name);
    ctx.facts.mounts.push({
      parent: name,
      prefixes: [prefix.path],
      target,
      evidence: ctx.evidence(call),
      ...(prefix.params.length ? { params: prefix.params } : {}),
      ...(slash !== undefined ? { trailingSlash: slash } : {}),
    });
  }
  for (const [name, cls] of ctx.classes) {
    if (isViewSet(name, ctx)) viewSetRoutes(name, cls, ctx);
  }
  for (const [name, cls] of ctx.classes) if (isFilterSet(name, ctx)) filterSetType(name, cls, ctx);
}

// ---- class attributes (own, inherited in this file, or from the project index) ----------------

/** Source text of a class attribute's value, looked up through the class's ancestors. */
export function classAttr(className: string, attr: string, ctx: PyContext): string | undefined {
  for (const name of [className, ...ctx.ancestorsOf(className)]) {
    const local = ctx.classes.get(name);
    if (local) {
      const a = assignmentsIn(local.childForFieldName('body')).find((x) => x.name === attr && !x.augmented);
      if (a?.value) return a.value.text;
      continue;
    }
    const summary = findClass(ctx.project, name);
    const v = summary?.attrs?.[attr];
    if (v !== undefined) return v;
  }
  return undefined;
}

function textString(t: string | undefined): string | undefined {
  const m = t === undefined ? null : /^[rbuRBU]?(['"])(.*)\1$/s.exec(t.trim());
  return m ? m[2] : undefined;
}

function textList(t: string | undefined): string[] {
  if (t === undefined) return [];
  const s = textString(t);
  if (s !== undefined) return [s];
  return [...t.matchAll(/['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

function textName(t: string | undefined): string | undefined {
  if (t === undefined) return undefined;
  const m = /^([A-Za-z_][\w.]*)$/.exec(t.trim());
  return m ? lastName(m[1]!) : undefined;
}

/** Methods a class defines, its own or its ancestors' (this file or the project index). */
function definedMethods(className: string, ctx: PyContext): Set<string> {
  const out = new Set<string>();
  for (const name of [className, ...ctx.ancestorsOf(className)]) {
    const local = ctx.classes.get(name);
    if (local) {
      for (const m of classMethods(local)) out.add(m.childForFieldName('name')?.text ?? '');
      continue;
    }
    for (const m of findClass(ctx.project, name)?.methods ?? []) out.add(m);
  }
  return out;
}

/** A method of the class or of its nearest ancestor in this file that defines it. */
function inheritedMethod(className: string, cls: SyntaxNode, name: string, ctx: PyContext): SyntaxNode | undefined {
  const own = ownMethod(cls, name);
  if (own) return own;
  for (const a of ctx.ancestorsOf(className)) {
    const local = ctx.classes.get(a);
    const m = local ? ownMethod(local, name) : undefined;
    if (m) return m;
  }
  return undefined;
}

function ownMethod(cls: SyntaxNode, name: string): SyntaxNode | undefined {
  return classMethods(cls).find((m) => m.childForFieldName('name')?.text === name);
}

// ---- viewsets ------------------------------------------------------------------------------

function viewSetRoutes(name: string, cls: SyntaxNode, ctx: PyContext): void {
  ctx.addRouter({ id: name, prefixes: [''], root: false, mountedOnly: true, evidence: ctx.evidence(outerOf(cls)), label: name });
  const actions = new Set<string>();
  for (const a of ctx.ancestorsOf(name)) for (const act of ACTIONS_OF[a] ?? []) actions.add(act);
  const defined = definedMethods(name, ctx);
  for (const act of Object.keys(ACTION_ROUTES)) if (defined.has(act)) actions.add(act);
  const lookup = textString(classAttr(name, 'lookup_url_kwarg', ctx)) ?? textString(classAttr(name, 'lookup_field', ctx)) ?? 'pk';
  const lookupRegex = textString(classAttr(name, 'lookup_value_regex', ctx));
  const lookupParam: ParamFact = { name: lookup, in: 'path', required: true, schema: lookupRegex ? literalRoutePath(`(?P<${lookup}>${lookupRegex})`, 'regex').params[0]!.schema! : { type: 'string' } };
  const detailPath = `{${lookup}}`;
  for (const act of Object.keys(ACTION_ROUTES)) {
    if (!actions.has(act)) continue;
    const { method, detail } = ACTION_ROUTES[act]!;
    const fn = ownMethod(cls, act);
    const route = baseRoute(name, cls, act, method, fn, detail ? detailPath : '', detail ? [lookupParam] : [], ctx);
    drfDecorate(route, name, cls, act, fn, ctx);
    if (spectacular(route, cls, act, fn, ctx)) ctx.facts.routes.push(route);
  }
  // @action / @detail_route / @list_route, and `@x.mapping.<method>` extra methods.
  const extraMethods = new Map<string, { method: HttpMethod; fn: SyntaxNode }[]>();
  for (const m of classMethods(cls)) {
    for (const d of decoratorsOf(m)) {
      const n = dottedName(d.type === 'call' ? d.childForFieldName('function') : d);
      const mm = n !== undefined ? /^(\w+)\.mapping\.(get|post|put|patch|delete)$/.exec(n) : null;
      if (mm) (extraMethods.get(mm[1]!) ?? extraMethods.set(mm[1]!, []).get(mm[1]!)!).push({ method: mm[2] as HttpMethod, fn: m });
    }
  }
  for (const m of classMethods(cls)) {
    const deco = decoratorsOf(m).find((d) => /^(action|detail_route|list_route)$/.test(lastName(dottedName(d.type === 'call' ? d.childForFieldName('function') : d) ?? '')));
    if (!deco) continue;
    const kind = lastName(dottedName(deco.type === 'call' ? deco.childForFieldName('function') : deco) ?? '');
    const args = deco.type === 'call' ? callArgs(deco) : { positional: [], keywords: new Map<string, SyntaxNode>(), splat: false };
    const fname = m.childForFieldName('name')?.text ?? 'action';
    const detail = kind === 'detail_route' || (kind === 'action' && literalValue(args.keywords.get('detail')) === true);
    const urlPath = stringValue(args.keywords.get('url_path')) ?? fname;
    const segment = literalRoutePath(urlPath, 'regex');
    const methods = stringList(args.keywords.get('methods')).map((x) => x.toLowerCase()).filter((x): x is HttpMethod => ['get', 'post', 'put', 'patch', 'delete'].includes(x));
    const path = detail ? `${detailPath}/${segment.path.replace(/^\//, '')}` : segment.path.replace(/^\//, '');
    const all = [...(methods.length ? methods : ['get' as HttpMethod]).map((method) => ({ method, fn: m })), ...(extraMethods.get(fname) ?? [])];
    for (const { method, fn } of all) {
      const route = baseRoute(name, cls, fn.childForFieldName('name')?.text ?? fname, method, fn, path, [...(detail ? [lookupParam] : []), ...segment.params], ctx);
      const serializer = serializerName(args.keywords.get('serializer_class')?.text);
      drfDecorate(route, name, cls, undefined, fn, ctx, serializer);
      if (spectacular(route, cls, fname, fn, ctx)) ctx.facts.routes.push(route);
    }
  }
}

function baseRoute(name: string, cls: SyntaxNode, action: string, method: HttpMethod, fn: SyntaxNode | undefined, path: string, params: ParamFact[], ctx: PyContext): RouteFact {
  const handler = fn ? readHandler(fn, ctx, { scope: `${name}.${action}` }) : undefined;
  const route: RouteFact = {
    router: name,
    methods: [method],
    paths: [path],
    handler: `${name}.${action}`,
    operationName: `${name}_${action}`,
    params: [...params, ...(handler?.params ?? [])],
    responses: handler?.responses ?? [],
    evidence: ctx.evidence(fn ? outerOf(fn) : outerOf(cls)),
    ruleIds: handler?.ruleIds ?? [],
  };
  if (handler?.body && method !== 'get' && method !== 'delete') route.body = handler.body;
  return route;
}

function serializerName(text: string | undefined): string | undefined {
  return textName(text);
}

// ---- bodies, responses, pagination and filters (viewsets and API views) ---------------------

/** The generic action behind an API view's HTTP method (`get` on a ListAPIView is `list`). */
function genericAction(className: string, method: HttpMethod, ctx: PyContext): string | undefined {
  const ancestors = ctx.ancestorsOf(className);
  if (!ancestors.some((a) => a === 'GenericAPIView' || /^(List|Create|Retrieve|Update|Destroy)\w*APIView$/.test(a))) return undefined;
  if (method === 'get') return ancestors.some((a) => /^List\w*APIView$/.test(a) || a === 'ListModelMixin') ? 'list' : 'retrieve';
  return GENERIC_ACTIONS[method]?.[0];
}

/** Decorates a route of an API view (not a viewset) with what DRF knows: for `extractViewClasses`. */
export function decorateApiView(route: RouteFact, view: ViewMethod, className: string, cls: SyntaxNode, ctx: PyContext): void | false {
  const action = genericAction(className, view.method, ctx);
  drfDecorate(route, className, cls, action, view.fn, ctx);
  return spectacular(route, cls, action ?? view.method, view.fn, ctx) ? undefined : false;
}

function drfDecorate(route: RouteFact, className: string, cls: SyntaxNode, action: string | undefined, fn: SyntaxNode | undefined, ctx: PyContext, serializerOverride?: string): void {
  const serializer = serializerOverride ?? textName(classAttr(className, 'serializer_class', ctx));
  const method = route.methods[0]!;
  const explicit = fn ? explicitSerializers(fn, ctx) : {};
  const bodyType = explicit.body ?? (action && /^(create|update|partial_update)$/.test(action) ? serializer : undefined);
  if (explicit.bodySchema) route.body = { schema: explicit.bodySchema };
  else if (bodyType && method !== 'get' && method !== 'delete') route.body = { schema: typeRef(bodyType) };
  const hasSuccess = route.responses.some((r) => /^2/.test(r.status));
  const status = action === 'create' ? '201' : action === 'destroy' ? '204' : '200';
  let schema: Schema | undefined;
  const responseType = explicit.response ?? (action && action !== 'destroy' ? serializer : undefined);
  if (responseType) schema = action === 'list' || explicit.many ? arrayOf(typeRef(responseType)) : typeRef(responseType);
  if (action === 'list') {
    // ListModelMixin.list paginates and filters; an overridden list only when it calls them.
    const generic = ctx.ancestorsOf(className).some((a) => a === 'GenericAPIView' || a === 'GenericViewSet' || a === 'ModelViewSet' || a === 'ReadOnlyModelViewSet' || /^List\w*APIView$/.test(a));
    const calls = fn ? new Set(ownDescendants(fn, ['call']).map((c) => lastName(callName(c) ?? ''))) : undefined;
    const pagination = generic && (!calls || calls.has('paginate_queryset') || calls.has('get_paginated_response')) ? paginationOf(className, ctx) : undefined;
    if (pagination) {
      route.params.push(...pagination.params);
      if (schema) schema = pagination.wrap(schema);
    }
    if (generic && (!calls || calls.has('filter_queryset'))) route.params.push(...filterParams(className, ctx));
    // `get_queryset`/`filter_queryset` read query parameters for the list.
    for (const helper of ['get_queryset', 'filter_queryset']) {
      const h = inheritedMethod(className, cls, helper, ctx);
      if (!h) continue;
      const facts = readHandler(h, ctx, { scope: `${className}.${helper}` });
      for (const p of facts.params) if (!route.params.some((q) => q.in === p.in && q.name === p.name)) route.params.push(p);
      route.ruleIds.push(...facts.ruleIds);
    }
  }
  if (hasSuccess) {
    const success = route.responses.find((r) => /^2/.test(r.status) && r.status !== '204');
    if (success && schema && !success.schema) success.schema = schema;
  } else {
    const r: ResponseFact = { status, ...(schema && status !== '204' ? { schema } : {}), evidence: route.evidence };
    route.responses.unshift(r);
  }
  if (route.body && !route.responses.some((r) => r.status === '400')) {
    // A serializer validates the body: DRF answers 400 when it is invalid.
    route.responses.push({ status: '400', description: 'Bad Request (serializer validation)', evidence: route.evidence });
  }
}

/** Serializers a handler instantiates: `X(data=request.data)` is the body, `X(obj)` / `X(qs, many=True)` the response. */
function explicitSerializers(fn: SyntaxNode, ctx: PyContext): { body?: string; bodySchema?: Schema; response?: string; many?: boolean } {
  const out: { body?: string; bodySchema?: Schema; response?: string; many?: boolean } = {};
  const body = fn.childForFieldName('body');
  if (!body) return out;
  // `user = request.data.get('user', {})`: a body wrapped in a key.
  const wrapped = new Map<string, string>();
  for (const a of ownDescendants(body, ['assignment'])) {
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (left?.type !== 'identifier' || !right) continue;
    const key = bodyKey(right);
    if (key !== undefined) wrapped.set(left.text, key);
  }
  for (const call of ownDescendants(body, ['call'])) {
    const name = callName(call) ?? '';
    const last = lastName(name);
    const cls = name === 'self.serializer_class' || name === 'self.get_serializer' || name === 'self.get_serializer_class' ? undefined : last;
    const isSerializer = cls ? serializerKind(cls, ctx) === 'drf' || /Serializer$/.test(cls) : /^self\.(serializer_class|get_serializer)$/.test(name);
    if (!isSerializer) continue;
    const args = callArgs(call);
    const type = cls ?? textName(classAttrOfFn(fn, ctx));
    if (!type) continue;
    const data = args.keywords.get('data');
    if (data) {
      out.body ??= type;
      const key = data.type === 'identifier' ? wrapped.get(data.text) : bodyKey(data);
      if (key && !out.bodySchema) out.bodySchema = { type: 'object', properties: { [key]: typeRef(type) }, required: [key] } as Schema;
    } else if (args.positional.length > 0 || args.keywords.has('instance')) {
      out.response ??= type;
      if (literalValue(args.keywords.get('many')) === true) out.many = true;
    }
  }
  return out;
}

/** `request.data.get('user')` / `request.data['user']` → `user`. */
function bodyKey(node: SyntaxNode): string | undefined {
  if (node.type === 'subscript') {
    const v = dottedName(node.childForFieldName('value'));
    return v !== undefined && /(^|\.)request\.data$/.test(v) ? stringValue(node.childForFieldName('subscript')) : undefined;
  }
  if (node.type === 'call') {
    const n = callName(node) ?? '';
    return /(^|\.)request\.data\.get$/.test(n) ? stringValue(callArgs(node).positional[0]) : undefined;
  }
  return undefined;
}

/** The `serializer_class` of the class a method belongs to. */
function classAttrOfFn(fn: SyntaxNode, ctx: PyContext): string | undefined {
  let n: SyntaxNode | null = fn.parent;
  while (n && n.type !== 'class_definition') n = n.parent;
  const name = n?.childForFieldName('name')?.text;
  return name ? classAttr(name, 'serializer_class', ctx) : undefined;
}

interface Pagination {
  params: ParamFact[];
  wrap(items: Schema): Schema;
}

function paginationOf(className: string, ctx: PyContext): Pagination | undefined {
  const own = classAttr(className, 'pagination_class', ctx);
  const name = own !== undefined ? textName(own) : ctx.project.drf.pagination;
  if (!name || own?.trim() === 'None') return undefined;
  const kinds = [name, ...ctx.ancestorsOf(name)];
  const attr = (a: string): string | undefined => {
    for (const k of kinds) {
      const v = textString(classAttr(k, a, ctx)) ?? textString(findClass(ctx.project, k)?.attrs?.[a]);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const q = (n: string): ParamFact => ({ name: n, in: 'query', required: false, schema: { type: n === 'cursor' ? 'string' : 'integer' } });
  const page = (items: Schema): Schema => ({ type: 'object', required: ['count', 'results'], properties: { count: { type: 'integer' }, next: nullable({ type: 'string', format: 'uri' }), previous: nullable({ type: 'string', format: 'uri' }), results: items } }) as Schema;
  if (kinds.includes('LimitOffsetPagination')) return { params: [q(attr('limit_query_param') ?? 'limit'), q(attr('offset_query_param') ?? 'offset')], wrap: page };
  if (kinds.includes('CursorPagination')) {
    const size = attr('page_size_query_param');
    return { params: [q(attr('cursor_query_param') ?? 'cursor'), ...(size ? [q(size)] : [])], wrap: (items) => ({ type: 'object', required: ['results'], properties: { next: nullable({ type: 'string', format: 'uri' }), previous: nullable({ type: 'string', format: 'uri' }), results: items } }) as Schema };
  }
  if (kinds.includes('PageNumberPagination')) {
    const size = attr('page_size_query_param');
    return { params: [q(attr('page_query_param') ?? 'page'), ...(size ? [q(size)] : [])], wrap: page };
  }
  return undefined;
}

function filterParams(className: string, ctx: PyContext): ParamFact[] {
  const out: ParamFact[] = [];
  const backendsText = classAttr(className, 'filter_backends', ctx);
  const backends = backendsText !== undefined ? [...backendsText.matchAll(/([A-Za-z_][\w.]*)/g)].map((m) => lastName(m[1]!)) : (ctx.project.drf.filterBackends ?? []);
  const has = (b: string): boolean => backends.some((x) => x === b || ctx.ancestorsOf(x).includes(b));
  const q = (n: string, schema: Schema = { type: 'string' }): ParamFact => ({ name: n, in: 'query', required: false, schema });
  const filterset = textName(classAttr(className, 'filterset_class', ctx) ?? classAttr(className, 'filter_class', ctx));
  const fields = textList(classAttr(className, 'filterset_fields', ctx) ?? classAttr(className, 'filter_fields', ctx));
  if (filterset) out.push({ name: filterset, in: 'query', fromType: filterset });
  else for (const f of fields) out.push(q(f));
  if (classAttr(className, 'search_fields', ctx) !== undefined && has('SearchFilter')) out.push(q('search'));
  if ((classAttr(className, 'ordering_fields', ctx) !== undefined || classAttr(className, 'ordering', ctx) !== undefined) && has('OrderingFilter')) out.push(q('ordering'));
  return out;
}

// ---- django-filter FilterSets ----------------------------------------------------------------

function isFilterSet(name: string, ctx: PyContext): boolean {
  return ctx.ancestorsOf(name).some((a) => a === 'FilterSet');
}

/** A FilterSet as a type whose properties are its filters: expanded into query parameters by `fromType`. */
function filterSetType(name: string, cls: SyntaxNode, ctx: PyContext): void {
  const properties: Record<string, Schema> = {};
  for (const a of assignmentsIn(cls.childForFieldName('body'))) {
    if (a.value?.type !== 'call' || !/Filter$/.test(lastName(callName(a.value) ?? ''))) continue;
    const kind = lastName(callName(a.value) ?? '');
    properties[a.name] = /Number|Integer|ModelChoice/.test(kind) ? { type: 'integer' } : /Boolean/.test(kind) ? { type: 'boolean' } : /Multiple/.test(kind) ? arrayOf({ type: 'string' }) : { type: 'string' };
  }
  for (const s of statementsOf(cls.childForFieldName('body'))) {
    const def = definitionOf(s);
    if (def?.type !== 'class_definition' || def.childForFieldName('name')?.text !== 'Meta') continue;
    const fields = assignmentsIn(def.childForFieldName('body')).find((a) => a.name === 'fields');
    if (fields?.value?.type === 'dictionary') {
      // `fields = {'name': ['exact', 'icontains']}` → name, name__icontains
      for (const pair of fields.value.namedChildren) {
        const key = stringValue(pair.childForFieldName('key'));
        if (key === undefined) continue;
        for (const lookup of stringList(pair.childForFieldName('value'))) properties[lookup === 'exact' ? key : `${key}__${lookup}`] ??= { type: 'string' };
      }
    } else for (const f of stringList(fields?.value)) properties[f] ??= { type: 'string' };
  }
  ctx.facts.types.push({ name, schema: { type: 'object', properties } as Schema, evidence: ctx.evidence(outerOf(cls)) });
}

// ---- drf-spectacular / drf-yasg annotations ---------------------------------------------------

const LOCATIONS: Record<string, ParamFact['in']> = { QUERY: 'query', PATH: 'path', HEADER: 'header', COOKIE: 'cookie', IN_QUERY: 'query', IN_PATH: 'path', IN_HEADER: 'header' };
const OPENAPI_TYPES: Record<string, Schema> = { STR: { type: 'string' }, INT: { type: 'integer' }, NUMBER: { type: 'number' }, FLOAT: { type: 'number' }, BOOL: { type: 'boolean' }, UUID: { type: 'string', format: 'uuid' }, DATE: { type: 'string', format: 'date' }, DATETIME: { type: 'string', format: 'date-time' }, TYPE_STRING: { type: 'string' }, TYPE_INTEGER: { type: 'integer' }, TYPE_BOOLEAN: { type: 'boolean' }, TYPE_NUMBER: { type: 'number' } };

/**
 * What `@extend_schema(...)` (on the method, or for the action through the class's
 * `@extend_schema_view(list=extend_schema(...))`) and drf-yasg's `@swagger_auto_schema` declare:
 * extra parameters (`OpenApiParameter`, also through module-level variables), the request and
 * response serializers, and `exclude=True`. Returns false when the operation is excluded.
 */
function spectacular(route: RouteFact, cls: SyntaxNode | undefined, action: string, fn: SyntaxNode | undefined, ctx: PyContext): boolean {
  const calls: SyntaxNode[] = [];
  const fromView = (d: SyntaxNode): void => {
    // `@extend_schema_view(list=extend_schema(...), retrieve=...)`
    if (d.type !== 'call' || lastName(callName(d) ?? '') !== 'extend_schema_view') return;
    const forAction = callArgs(d).keywords.get(action);
    if (forAction?.type === 'call') calls.push(forAction);
  };
  for (const d of cls ? decoratorsOf(cls) : []) {
    fromView(d);
    if (d.type === 'call' && lastName(callName(d) ?? '') === 'extend_schema') calls.push(d);
  }
  for (const d of fn ? decoratorsOf(fn) : []) if (d.type === 'call' && /^(extend_schema|swagger_auto_schema)$/.test(lastName(callName(d) ?? ''))) calls.push(d);
  for (const call of calls) {
    const kw = callArgs(call).keywords;
    if (literalValue(kw.get('exclude')) === true || literalValue(kw.get('auto_schema')) === null) return false;
    for (const p of listItems(kw.get('parameters') ?? kw.get('manual_parameters'), ctx)) {
      const param = openApiParameter(p, ctx);
      if (param && !route.params.some((x) => x.in === param.in && x.name === param.name)) route.params.push(param);
      else if (!param) {
        // A serializer as parameters: its fields are query parameters.
        const type = textName(p.text);
        if (type && serializerKind(type, ctx)) route.params.push({ name: type, in: 'query', fromType: type });
      }
    }
    const request = textName(kw.get('request')?.text ?? kw.get('request_body')?.text);
    if (request && request !== 'None' && route.methods[0] !== 'get') route.body = { schema: typeRef(request) };
    const summary = stringValue(kw.get('summary') ?? kw.get('operation_summary'));
    if (summary) route.summary = summary;
    const description = stringValue(kw.get('description') ?? kw.get('operation_description'));
    if (description) route.description = description;
    const operationId = stringValue(kw.get('operation_id'));
    if (operationId) route.operationName = operationId;
  }
  return true;
}

/** Elements of a list literal, with module-level list variables followed. */
function listItems(node: SyntaxNode | undefined, ctx: PyContext): SyntaxNode[] {
  if (!node) return [];
  if (node.type === 'list' || node.type === 'tuple') return node.namedChildren.filter((c) => c.type !== 'comment');
  if (node.type === 'identifier') {
    const a = assignmentsIn(ctx.root).find((x) => x.name === node.text);
    return a?.value ? listItems(a.value, ctx) : [];
  }
  return [];
}

/** `OpenApiParameter('q', OpenApiTypes.STR, OpenApiParameter.QUERY, required=True)` (drf-spectacular) or `openapi.Parameter('q', openapi.IN_QUERY, type=openapi.TYPE_STRING)` (drf-yasg), possibly through a variable. */
function openApiParameter(node: SyntaxNode, ctx: PyContext): ParamFact | undefined {
  let call = node;
  if (node.type === 'identifier') {
    const a = assignmentsIn(ctx.root).find((x) => x.name === node.text);
    if (a?.value?.type !== 'call') return undefined;
    call = a.value;
  }
  if (call.type !== 'call' || !/^(OpenApiParameter|Parameter)$/.test(lastName(callName(call) ?? ''))) return undefined;
  const args = callArgs(call);
  const name = stringValue(args.positional[0] ?? args.keywords.get('name'));
  if (!name) return undefined;
  let where: ParamFact['in'] = 'query';
  let schema: Schema = { type: 'string' };
  for (const a of [...args.positional.slice(1), args.keywords.get('location'), args.keywords.get('in_'), args.keywords.get('type')]) {
    const n = a ? dottedName(a) : undefined;
    if (!n) continue;
    const last = lastName(n);
    if (LOCATIONS[last]) where = LOCATIONS[last]!;
    else if (OPENAPI_TYPES[last]) schema = { ...OPENAPI_TYPES[last]! };
    else if (/^(str|int|float|bool)$/.test(n)) schema = n === 'str' ? { type: 'string' } : n === 'int' ? { type: 'integer' } : n === 'float' ? { type: 'number' } : { type: 'boolean' };
  }
  const locationText = stringValue(args.keywords.get('location'));
  if (locationText && ['query', 'path', 'header', 'cookie'].includes(locationText)) where = locationText as ParamFact['in'];
  const description = stringValue(args.keywords.get('description'));
  return { name, in: where, required: literalValue(args.keywords.get('required')) === true || where === 'path', schema, ...(description ? { description } : {}), evidence: ctx.evidence(call) };
}
