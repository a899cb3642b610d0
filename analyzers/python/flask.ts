/**
 * Flask and its REST extensions: `app = Flask(__name__)` (a root; also APIFlask and Quart),
 * `bp = Blueprint('name', __name__, url_prefix='/x')`, routes by `@app.route('/x', methods=[...])`
 * (GET by default) and `@bp.get/post/...`, `add_url_rule('/x', view_func=...)` with functions or
 * `MethodView.as_view('n')`, blueprints registered with `register_blueprint(bp, url_prefix=)` on
 * the app or on another blueprint, in this file or across files (`from .views import bp`,
 * `users.bp`). Flask-RESTful/flask-restx: `api = Api(app, prefix=)`, `api.add_resource(Res, '/x')`,
 * `ns = api.namespace('x')`/`Namespace('x', path=)`, `@ns.route('/x')` on `Resource` classes;
 * flask-smorest `@blp.route` on MethodViews with `@blp.arguments`/`@blp.response`; webargs and
 * flask-apispec `@use_kwargs`/`@marshal_with`. Converters `<int:id>`, `<path:p>`, `<uuid:u>` type
 * the path parameters.
 */
import type { HttpMethod, ParamFact, ResponseFact, RouteFact } from '../service/facts.js';
import { HTTP_METHODS } from '../service/facts.js';
import { typeRef, type Schema } from '../service/schema.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import { classRoutes } from './class-views.js';
import type { PyContext } from './context.js';
import { forMethod, methodBranches, readHandler } from './handler.js';
import { constructions, constructionsOf, routerFor } from './objects.js';
import { routePath } from './route-paths.js';
import { argument, callArgs, callName, decoratorsOf, dottedName, lastName, literalValue, outerOf, ownDescendants, statusValue, stringList, stringValue } from './syntax.js';
import { marshmallowFieldsSchema, restxModels } from './serializers.js';
import { applyConstraints, enumSchema } from './types.js';

const APP_CLASSES = new Set(['Flask', 'APIFlask', 'Quart']);
const BLUEPRINT_CLASSES = new Set(['Blueprint', 'APIBlueprint']);
const API_CLASSES = new Set(['Api']);
const NAMESPACE_CLASSES = new Set(['Namespace']);

/** True when the file imports Flask or one of its REST extensions. */
export function usesFlask(ctx: PyContext): boolean {
  return [...ctx.imports.values()].some((i) => /^(flask|flask_\w+|apiflask|quart|webargs)\b/.test(i.module));
}

export function extractFlask(ctx: PyContext): void {
  // A views module may import nothing from Flask but the blueprint it decorates (`from . import bp`).
  const flask = usesFlask(ctx) || ctx.root.descendantsOfType('decorator').some((d) => /^@\s*[\w.]+\.route\(/.test(d.text));
  for (const c of constructionsOf(ctx, APP_CLASSES)) {
    ctx.addRouter({ id: c.name, prefixes: [''], root: true, evidence: ctx.evidence(c.statement), label: `Flask app ${c.name}` });
  }
  if (!flask && ctx.facts.routers.length === 0) return;
  for (const c of constructionsOf(ctx, BLUEPRINT_CLASSES)) {
    const args = callArgs(c.call);
    const prefix = routePath(args.keywords.get('url_prefix'), ctx, 'angle');
    const label = stringValue(args.positional[0] ?? args.keywords.get('name')) ?? c.name;
    ctx.addRouter({ id: c.name, prefixes: [prefix?.path ?? ''], root: false, evidence: ctx.evidence(c.statement), label: `blueprint ${label}`, ...(prefix?.params.length ? { params: prefix.params } : {}) });
  }
  // Flask-RESTful / flask-restx / flask-smorest `Api(app_or_blueprint, prefix=...)`.
  for (const c of constructionsOf(ctx, API_CLASSES)) {
    if (!flask) continue;
    const args = callArgs(c.call);
    const prefix = routePath(args.keywords.get('prefix'), ctx, 'angle');
    const host = args.positional[0] ?? args.keywords.get('app');
    const parent = host ? routerOrParam(host, ctx) : undefined;
    ctx.addRouter({ id: c.name, prefixes: [prefix?.path ?? ''], root: parent === undefined, evidence: ctx.evidence(c.statement), label: `API ${c.name}` });
    if (parent) ctx.facts.mounts.push({ parent, prefixes: [''], target: { name: c.name }, evidence: ctx.evidence(c.statement) });
  }
  // flask-restx namespaces.
  for (const c of constructions(ctx)) {
    const name = lastName(c.callee);
    const args = callArgs(c.call);
    if (NAMESPACE_CLASSES.has(name) || (name === 'namespace' && c.callee.includes('.'))) {
      const title = stringValue(args.positional[0] ?? args.keywords.get('name')) ?? c.name;
      const path = args.keywords.has('path') ? routePath(args.keywords.get('path'), ctx, 'angle') : { path: `/${title}`, params: [] };
      ctx.addRouter({ id: c.name, prefixes: [path?.path ?? ''], root: false, evidence: ctx.evidence(c.statement), label: `namespace ${title}` });
      if (name === 'namespace') {
        const parent = routerFor(c.call.childForFieldName('function')?.childForFieldName('object'), ctx);
        if (parent) ctx.facts.mounts.push({ parent, prefixes: [''], target: { name: c.name }, evidence: ctx.evidence(c.statement) });
      }
    }
  }
  if (!flask) return;
  restxModels(ctx);

  // Decorated functions and classes.
  for (const def of [...ctx.root.descendantsOfType('function_definition'), ...ctx.root.descendantsOfType('class_definition')]) {
    for (const deco of decoratorsOf(def)) {
      if (deco.type !== 'call') continue;
      const f = deco.childForFieldName('function');
      if (f?.type !== 'attribute') continue;
      const verb = f.childForFieldName('attribute')?.text ?? '';
      if (verb !== 'route' && verb !== 'resource' && !(HTTP_METHODS as readonly string[]).includes(verb)) continue;
      const router = routerFor(f.childForFieldName('object'), ctx);
      if (!router) continue;
      const args = callArgs(deco);
      const paths = (verb === 'route' || verb === 'resource' ? args.positional : args.positional.slice(0, 1)).map((p) => routePath(p, ctx, 'angle')).filter((p) => p !== undefined);
      if (args.keywords.has('rule')) {
        const r = routePath(args.keywords.get('rule'), ctx, 'angle');
        if (r) paths.push(r);
      }
      if (paths.length === 0) continue;
      const params = paths.flatMap((p) => p.params);
      if (def.type === 'class_definition') {
        const name = def.childForFieldName('name')?.text ?? 'View';
        classRoutes(name, def, ctx, router, paths.map((p) => p.path), dedupe(params), (route, view) => decorate(route, view.fn, ctx, view.method, def));
        continue;
      }
      const methods: HttpMethod[] = verb === 'route' ? methodsOf(args.keywords.get('methods')) : [verb as HttpMethod];
      functionRoute(def, ctx, router, paths.map((p) => p.path), dedupe(params), methods);
    }
  }

  // Calls: register_blueprint, add_url_rule, add_resource, add_namespace, init_app.
  for (const call of ctx.root.descendantsOfType('call')) {
    const f = call.childForFieldName('function');
    if (f?.type !== 'attribute') continue;
    const what = f.childForFieldName('attribute')?.text ?? '';
    if (!/^(register_blueprint|add_url_rule|add_resource|add_namespace|init_app|register_api)$/.test(what)) continue;
    const args = callArgs(call);
    const object = f.childForFieldName('object');
    if (what === 'init_app') {
      // `api.init_app(app)`: the API hangs below the app.
      const api = dottedName(object);
      const router = api !== undefined ? ctx.router(api) : undefined;
      const host = args.positional[0] ?? args.keywords.get('app');
      const parent = host ? routerOrParam(host, ctx) : undefined;
      if (router && parent && router.id !== parent) {
        router.root = false;
        ctx.facts.mounts.push({ parent, prefixes: [''], target: { name: router.id }, evidence: ctx.evidence(call) });
      }
      continue;
    }
    const parent = routerOrParam(object, ctx);
    if (!parent) continue;
    if (what === 'register_blueprint' || what === 'add_namespace') {
      const target = ctx.ref(args.positional[0] ?? args.keywords.get('blueprint') ?? args.keywords.get('ns'));
      if (!target) continue;
      const prefix = routePath(args.keywords.get('url_prefix') ?? args.keywords.get('path') ?? (what === 'add_namespace' ? args.positional[1] : undefined), ctx, 'angle');
      // restx `add_namespace(ns, path=...)` replaces the namespace's own path.
      const replaces = what === 'add_namespace' && prefix !== undefined;
      ctx.facts.mounts.push({ parent, prefixes: [prefix?.path ?? ''], target, evidence: ctx.evidence(call), ...(prefix?.params.length ? { params: prefix.params } : {}), ...(replaces ? { replacesPrefix: true } : {}) });
    } else if (what === 'add_url_rule') {
      const rule = routePath(argument(args, 0, 'rule'), ctx, 'angle');
      if (!rule) continue;
      const view = argument(args, 2, 'view_func');
      const explicit = args.keywords.has('methods') ? methodsOf(args.keywords.get('methods')) : undefined;
      viewRoute(view, rule.path, rule.params, explicit, parent, call, ctx);
    } else if (what === 'add_resource' || what === 'register_api') {
      const resource = args.positional[0] ?? args.keywords.get('resource');
      const urls = args.positional.slice(1).map((u) => routePath(u, ctx, 'angle')).filter((u) => u !== undefined);
      const url = args.keywords.get('url') ?? args.keywords.get('urls');
      if (url) urls.push(...(url.type === 'list' || url.type === 'tuple' ? url.namedChildren : [url]).map((u) => routePath(u, ctx, 'angle')).filter((u) => u !== undefined));
      if (!resource || urls.length === 0) continue;
      const name = dottedName(resource);
      const local = name !== undefined ? ctx.classes.get(name) : undefined;
      const params = dedupe(urls.flatMap((u) => u.params));
      if (local) classRoutes(name!, local, ctx, parent, urls.map((u) => u.path), params, (route, v) => decorate(route, v.fn, ctx, v.method, local));
      else {
        const target = ctx.ref(resource);
        if (target) ctx.facts.mounts.push({ parent, prefixes: urls.map((u) => u.path), target, evidence: ctx.evidence(call), ...(params.length ? { params } : {}) });
      }
    }
  }
}

function dedupe(params: ParamFact[]): ParamFact[] {
  const seen = new Set<string>();
  return params.filter((p) => (seen.has(p.name) ? false : (seen.add(p.name), true)));
}

/** A router of this file for `node`, an imported one, or — for an app passed as a parameter (`def register(app)`) — this file's app or a new root. */
function routerOrParam(node: SyntaxNode | null | undefined, ctx: PyContext): string | undefined {
  const found = routerFor(node, ctx);
  if (found) return found;
  const name = dottedName(node);
  if (node?.type !== 'identifier' || name === undefined) return undefined;
  // An application handed to a function: the file's own app if it has one, else the application itself.
  const app = ctx.facts.routers.find((r) => r.root && r.label?.startsWith('Flask app'));
  if (app) return app.id;
  if (!/^(app|application|flask_app|api|bp|blueprint|parent)$/.test(name)) return undefined;
  ctx.addRouter({ id: name, prefixes: [''], root: /^(app|application|flask_app)$/.test(name), evidence: ctx.evidence(node), label: `${name} (parameter)` });
  return name;
}

function methodsOf(node: SyntaxNode | undefined): HttpMethod[] {
  if (!node) return ['get'];
  const methods = stringList(node)
    .map((m) => m.toLowerCase())
    .filter((m): m is HttpMethod => (HTTP_METHODS as readonly string[]).includes(m));
  return methods.length > 0 ? [...new Set(methods)] : ['get'];
}

/** A route served by a function of this file. */
function functionRoute(fn: SyntaxNode, ctx: PyContext, router: string, paths: string[], params: ParamFact[], methods: HttpMethod[]): void {
  const name = fn.childForFieldName('name')?.text ?? 'view';
  const handler = readHandler(fn, ctx, { scope: name });
  // A view serving several methods is one operation per method; each gets the rules of its branch.
  const branches = methodBranches(fn);
  for (const method of methods) {
    const own = forMethod(handler, ctx, branches, method);
    const route: RouteFact = {
      router,
      methods: [method],
      paths,
      handler: name,
      operationName: methods.length > 1 ? `${name}_${method}` : name,
      params: [...params, ...own.params.filter((p) => p.in !== 'form' || (method !== 'get' && method !== 'delete'))],
      responses: own.responses,
      evidence: ctx.evidence(outerOf(fn)),
      ruleIds: own.ruleIds,
    };
    if (handler.body && method !== 'get' && method !== 'delete') route.body = handler.body;
    decorate(route, fn, ctx, method);
    ctx.facts.routes.push(route);
  }
}

/** `add_url_rule(rule, view_func=...)`: a function, `Cls.as_view('name')`, or a view of another file. */
function viewRoute(given: SyntaxNode | undefined, path: string, params: ParamFact[], explicit: HttpMethod[] | undefined, router: string, at: SyntaxNode, ctx: PyContext): void {
  if (!given) return;
  // `item_view = ItemAPI.as_view('item')` then `view_func=item_view`
  const assigned = given.type === 'identifier' ? constructions(ctx).find((c) => c.name === given.text && /\.as_view$/.test(c.callee)) : undefined;
  const view = assigned ? assigned.call : given;
  let target = view;
  if (view.type === 'call' && lastName(callName(view) ?? '') === 'as_view') target = view.childForFieldName('function')!.childForFieldName('object')!;
  const name = dottedName(target);
  if (name === undefined) return;
  const fn = ctx.functions.get(name);
  if (fn) {
    functionRoute(fn, ctx, router, [path], params, explicit ?? ['get']);
    return;
  }
  const cls = ctx.classes.get(name);
  if (cls) {
    classRoutes(name, cls, ctx, router, [path], params, (route, v) => decorate(route, v.fn, ctx, v.method, cls));
    return;
  }
  if (view.type === 'call' || /^[A-Z]/.test(lastName(name))) {
    const ref = ctx.ref(target);
    if (ref) ctx.facts.mounts.push({ parent: router, prefixes: [path], target: ref, evidence: ctx.evidence(at), ...(params.length ? { params } : {}) });
    return;
  }
  // A function view of another module: its path and methods are known here, its body is not.
  ctx.facts.routes.push({ router, methods: explicit ?? ['get'], paths: [path], handler: lastName(name), operationName: lastName(name), params, responses: [], evidence: ctx.evidence(at), ruleIds: [], notes: [`view function ${name} is defined in another module; its parameters and responses are not read`] });
}

/**
 * Decorators of REST extensions on a view function or method: webargs/flask-apispec
 * `@use_kwargs`/`@use_args`/`@marshal_with`, flask-smorest `@blp.arguments`/`@blp.response`,
 * flask-restx `@ns.expect`/`@ns.marshal_with`/`@ns.response`/`@ns.param`.
 */
export function decorate(route: RouteFact, fn: SyntaxNode | undefined, ctx: PyContext, method: HttpMethod, cls?: SyntaxNode): void {
  if (!fn) return;
  reqparseArguments(route, fn, ctx, method);
  const models = restxModels(ctx);
  const schemaName = (node: SyntaxNode | undefined): string | undefined => {
    const n = typeName(node);
    return n !== undefined ? (models.get(n) ?? n) : undefined;
  };
  // Class decorators (`@ns.response(404, ...)` on a Resource) apply to each method; the method's own win.
  for (const deco of [...(cls ? decoratorsOf(cls) : []), ...decoratorsOf(fn)]) {
    if (deco.type !== 'call') continue;
    const name = lastName(callName(deco) ?? '');
    const args = callArgs(deco);
    switch (name) {
      case 'use_kwargs':
      case 'use_args':
      case 'arguments': {
        const what = args.positional[0];
        if (!what) break;
        const location = stringValue(args.keywords.get('location')) ?? stringList(args.keywords.get('locations'))[0];
        const where = location === 'query' || location === 'querystring' ? 'query' : location === 'headers' ? 'header' : location === 'cookies' ? 'cookie' : location === 'form' ? 'form' : location === 'json' || location === 'json_or_form' ? 'json' : method === 'get' || method === 'delete' ? 'query' : 'json';
        if (what.type === 'dictionary') {
          const { schema, required } = marshmallowFieldsSchema(what, ctx);
          const props = (schema as { properties?: Record<string, Schema> }).properties ?? {};
          if (where === 'json') route.body = { schema };
          else for (const [n, s] of Object.entries(props)) route.params.push({ name: n, in: where, required: required.includes(n), schema: s, evidence: ctx.evidence(deco) });
        } else {
          const type = schemaName(what);
          if (!type) break;
          if (where === 'json') route.body = { schema: typeRef(type) };
          else route.params.push({ name: type, in: where, fromType: type, evidence: ctx.evidence(deco) });
        }
        break;
      }
      case 'expect': {
        const type = schemaName(args.positional[0]);
        if (type && method !== 'get') route.body = { schema: typeRef(type) };
        break;
      }
      case 'marshal_with':
      case 'marshal_list_with':
      case 'response': {
        const isResponse = name === 'response';
        const status = isResponse ? (statusValue(args.positional[0] ?? args.keywords.get('status_code') ?? args.keywords.get('code')) ?? 200) : (statusValue(args.keywords.get('code') ?? args.positional[1]) ?? 200);
        const schemaNode = isResponse ? (args.positional[1] ?? args.keywords.get('schema') ?? args.keywords.get('model')) : args.positional[0];
        // flask-restx `@ns.response(404, 'Not found')`: a description, no schema.
        const description = isResponse ? stringValue(args.positional[1] ?? args.keywords.get('description')) : undefined;
        const type = description === undefined ? schemaName(schemaNode) : undefined;
        const many = name === 'marshal_list_with' || literalValue(args.keywords.get('as_list')) === true;
        const schema: Schema | undefined = type ? (many ? ({ type: 'array', items: typeRef(type) } as Schema) : typeRef(type)) : undefined;
        const response: ResponseFact = { status: String(status), ...(schema ? { schema } : {}), ...(description ? { description } : {}), evidence: ctx.evidence(deco) };
        const existing = route.responses.findIndex((r) => r.status === response.status);
        if (existing >= 0) route.responses[existing] = { ...route.responses[existing]!, ...response };
        else route.responses.push(response);
        break;
      }
      case 'alt_response': {
        const status = statusValue(args.positional[0]);
        if (status !== undefined && !route.responses.some((r) => r.status === String(status))) route.responses.push({ status: String(status), evidence: ctx.evidence(deco) });
        break;
      }
      case 'param': {
        const pname = stringValue(args.positional[0]);
        if (pname && !route.params.some((p) => p.name === pname)) {
          const where = stringValue(args.keywords.get('_in')) ?? 'query';
          route.params.push({ name: pname, in: where === 'header' ? 'header' : where === 'path' ? 'path' : 'query', schema: { type: 'string' }, ...(stringValue(args.positional[1]) ? { description: stringValue(args.positional[1])! } : {}) });
        }
        break;
      }
      default:
        break;
    }
  }
}

/** `UserSchema`, `UserSchema()`, `UserSchema(many=True)`, `user_schema` → a type name. */
function typeName(node: SyntaxNode | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'call') return lastName(callName(node) ?? '') || undefined;
  const n = dottedName(node);
  return n !== undefined ? lastName(n) : undefined;
}

interface ParserArgument {
  name: string;
  /** `args`, `headers`, `cookies`, `form`, `json`, `files`, `values`; undefined: Flask-RESTful's default (JSON body or query string). */
  location?: string;
  required: boolean;
  schema: Schema;
  node: SyntaxNode;
}

/** Flask-RESTful `reqparse`: `parser = reqparse.RequestParser()` and its `add_argument(...)` calls, by parser variable. */
function requestParsers(ctx: PyContext): Map<string, ParserArgument[]> {
  return ctx.memo('reqparse', () => {
    const parsers = new Map<string, ParserArgument[]>();
    for (const c of constructions(ctx)) if (lastName(c.callee) === 'RequestParser') parsers.set(c.name, []);
    if (parsers.size === 0) return parsers;
    for (const call of ctx.root.descendantsOfType('call')) {
      const f = call.childForFieldName('function');
      if (f?.type !== 'attribute' || f.childForFieldName('attribute')?.text !== 'add_argument') continue;
      const list = parsers.get(dottedName(f.childForFieldName('object')) ?? '');
      if (!list) continue;
      const args = callArgs(call);
      const name = stringValue(args.positional[0] ?? args.keywords.get('name'));
      if (!name) continue;
      const type = lastName(dottedName(args.keywords.get('type')) ?? '');
      let schema: Schema = type === 'int' ? { type: 'integer' } : type === 'float' ? { type: 'number' } : type === 'bool' || type === 'boolean' ? { type: 'boolean' } : type === 'FileStorage' ? { type: 'string', format: 'binary' } : { type: 'string' };
      const choices = literalValue(args.keywords.get('choices'));
      if (Array.isArray(choices)) schema = enumSchema(choices.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number'));
      if (stringValue(args.keywords.get('action')) === 'append') schema = { type: 'array', items: schema } as Schema;
      const help = stringValue(args.keywords.get('help'));
      if (help) schema = { ...schema, description: help } as Schema;
      schema = applyConstraints(schema, args.keywords).schema;
      const location = stringList(args.keywords.get('location'))[0];
      list.push({ name: stringValue(args.keywords.get('dest')) ?? name, required: literalValue(args.keywords.get('required')) === true, schema, node: call, ...(location ? { location } : {}) });
    }
    return parsers;
  });
}

/** A handler that calls `parser.parse_args()` takes the parser's arguments. */
function reqparseArguments(route: RouteFact, fn: SyntaxNode, ctx: PyContext, method: HttpMethod): void {
  const parsers = requestParsers(ctx);
  if (parsers.size === 0) return;
  const body: Record<string, Schema> = {};
  const required: string[] = [];
  let form = false;
  for (const call of ownDescendants(fn, ['call'])) {
    const f = call.childForFieldName('function');
    if (f?.type !== 'attribute' || f.childForFieldName('attribute')?.text !== 'parse_args') continue;
    for (const a of parsers.get(dottedName(f.childForFieldName('object')) ?? '') ?? []) {
      const readsBody = method !== 'get' && method !== 'delete';
      const where =
        a.location === 'args' ? 'query' : a.location === 'headers' ? 'header' : a.location === 'cookies' ? 'cookie' : a.location === 'form' || a.location === 'files' ? 'form' : a.location === 'json' ? 'json' : readsBody ? (a.location === 'values' ? 'form' : 'json') : 'query';
      if (where === 'json' || where === 'form') {
        form ||= where === 'form';
        body[a.name] = a.schema;
        if (a.required) required.push(a.name);
      } else if (!route.params.some((p) => p.in === where && p.name === a.name)) {
        route.params.push({ name: a.name, in: where, required: a.required, schema: a.schema, evidence: ctx.evidence(a.node) });
      }
    }
  }
  if (Object.keys(body).length > 0) {
    route.body = { schema: { type: 'object', properties: body, ...(required.length ? { required } : {}) } as Schema, ...(form ? { contentType: 'application/x-www-form-urlencoded' } : {}) };
  }
}
