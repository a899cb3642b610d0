/**
 * Route declarations of Laravel (`Route::get/post/put/patch/delete/options/any/match`,
 * `Route::resource/apiResource/resources/apiResources/singleton`), Lumen (`$router->get`,
 * `$router->group(['prefix' => ...], ...)`), Slim (`$app->get`, `$app->map`, `$app->group('/x',
 * function ($group) {...})`) and FastRoute (`$r->addRoute('GET', ...)`, `$r->addGroup`). They share
 * one model: groups nest and add a prefix, a namespace, a controller, middleware and `where`
 * constraints (`Route::prefix('v1')->middleware('auth')->group(fn)`, `Route::group([...], fn)`,
 * `Route::controller(X::class)->group(fn)`); a route names its handler as `[X::class, 'm']`,
 * `'X@m'`, `'m'` under a controller group, `X::class` (invokable), `'X:m'` (Slim) or a closure
 * (analyzed in place). A route file including another (`require __DIR__.'/auth.php'`,
 * `->group(base_path('routes/admin.php'))`) mounts it under the current prefix.
 *
 * Each file with routes is one router (`<file>`), rooted, with the prefix its loader gives it
 * (`laravel-config.ts`). Routes name their controller method through `handlerRef`; the link step
 * merges what the controller file says about it. Handlers that only render views are not API
 * operations (`dropIfView`); `Route::view`, `Route::redirect` and `Route::fallback` are not either.
 */
import { dirname, normalize } from 'node:path/posix';
import type { Diagnostic } from '../model.js';
import type { HandlerRef, HttpMethod, ParamFact, ResponseFact, RouteFact, ServiceFacts } from '../service/facts.js';
import { normalizePath } from '../service/paths.js';
import type { Schema } from '../service/schema.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { analyzeFunction } from './handlers.js';
import { resourceRoutes, type ResourceKind, type ResourceOptions } from './laravel-resources.js';
import type { RuleBook } from './rules.js';
import { argsOf, arrayEntries, arrayMap, chainOf, classNameOf, stringList, stringValue, type Arg, type Chain, type ChainCall, type Names } from './syntax.js';

export interface RoutesInput {
  path: string;
  root: SyntaxNode;
  names: Names;
  book: RuleBook;
  facts: ServiceFacts;
  diagnostics: Diagnostic[];
  /** Prefix the file's loader gives its routes (`/api` for `routes/api.php`). */
  filePrefix: string;
  /** True for provider/bootstrap files, whose `->group(base_path(...))` the config step already read. */
  loader: boolean;
}

interface Group {
  prefix: string;
  namespace?: string;
  controller?: string;
  name: string;
  middleware: string[];
  wheres: Record<string, string>;
  registrars: Set<string>;
}

const VERBS: Record<string, HttpMethod[]> = {
  get: ['get'],
  post: ['post'],
  put: ['put'],
  patch: ['patch'],
  delete: ['delete'],
  any: ['get', 'post', 'put', 'patch', 'delete'],
};
const REGISTRARS = new Set(['app', 'router', 'route', 'routes', 'group', 'r', 'api', 'collector', 'proxy', 'v1', 'v2']);
const TERMINALS = new Set([...Object.keys(VERBS), 'options', 'match', 'map', 'addRoute', 'resource', 'apiResource', 'resources', 'apiResources', 'singleton', 'apiSingleton', 'group', 'addGroup', 'view', 'redirect', 'permanentRedirect', 'fallback']);
/** What a route collector variable (`$router`, `$app`, `$group`) registers with: Lumen, Slim, FastRoute. */
const VARIABLE_TERMINALS = new Set([...Object.keys(VERBS), 'options', 'match', 'map', 'addRoute', 'group', 'addGroup', 'redirect']);
const ROUTE_FACADE = /^(Illuminate\\Support\\Facades\\)?Route$/;
/** Where helpers → regexes (`whereUuid` is special-cased as a format). */
const WHERE_HELPERS: Record<string, string> = { whereNumber: '[0-9]+', whereAlpha: '[a-zA-Z]+', whereAlphaNumeric: '[a-zA-Z0-9]+', whereUuid: 'uuid', whereUlid: '[0-7][0-9A-HJKMNP-TV-Z]{25}' };

/** Extracts the file's routes into `facts`; true when it has any route or mount. */
export function extractRoutes(input: RoutesInput): boolean {
  const { path, facts } = input;
  const routerId = '<file>';
  let found = false;
  const top: Group = { prefix: '', name: '', middleware: [], wheres: {}, registrars: new Set() };

  const ensureRouter = (): void => {
    if (found) return;
    found = true;
    facts.routers.push({ id: routerId, prefixes: [input.filePrefix], root: true, evidence: { path, startLine: 1, endLine: 1 }, label: path });
  };

  const isRegistrar = (chain: Chain, group: Group, inMethod: boolean): boolean => {
    if (chain.rootKind === 'static') return ROUTE_FACADE.test(chain.root);
    if (inMethod) return false;
    if (chain.rootKind === 'variable') return REGISTRARS.has(chain.root) || group.registrars.has(chain.root);
    return /(^|->)router$/.test(chain.root);
  };

  const visit = (node: SyntaxNode, group: Group, inMethod: boolean): void => {
    for (const child of node.namedChildren) {
      if (child.type === 'method_declaration') {
        visit(child, group, true);
        continue;
      }
      if (child.type === 'member_call_expression' || child.type === 'scoped_call_expression') {
        const chain = chainOf(child);
        const terminals = chain?.rootKind === 'static' ? TERMINALS : VARIABLE_TERMINALS;
        if (chain && isRegistrar(chain, group, inMethod) && chain.calls.some((c) => terminals.has(c.name)) && routeShaped(chain, terminals)) {
          registration(chain, child, group, inMethod);
          continue;
        }
        if (chain && chain.rootKind === 'static' && ROUTE_FACADE.test(chain.root)) {
          // Route::pattern('id', '[0-9]+') applies to every route declared after it.
          const first = chain.calls[0]!;
          if (first.name === 'pattern') {
            const name = stringValue(first.args[0]?.value);
            const re = stringValue(first.args[1]?.value);
            if (name && re) top.wheres[name] = re;
          } else if (first.name === 'patterns') {
            for (const [k, v] of arrayMap(first.args[0]?.value) ?? []) {
              const re = stringValue(v);
              if (re) top.wheres[k] = re;
            }
          }
          continue;
        }
      }
      if ((child.type === 'require_expression' || child.type === 'require_once_expression' || child.type === 'include_expression' || child.type === 'include_once_expression') && !inMethod) {
        mountFile(child.namedChildren[0], group, child);
        continue;
      }
      if (child.type === 'anonymous_function' || child.type === 'arrow_function') {
        // `return function (App $app) { ... }` (Slim skeleton): its typed parameters register routes.
        const inner: Group = { ...group, registrars: new Set([...group.registrars, ...closureParams(child)]) };
        visit(child, inner, inMethod);
        continue;
      }
      visit(child, group, inMethod);
    }
  };

  const registration = (chain: Chain, node: SyntaxNode, group: Group, inMethod: boolean): void => {
    const i = chain.calls.findIndex((c) => (chain.rootKind === 'static' ? TERMINALS : VARIABLE_TERMINALS).has(c.name));
    const terminal = chain.calls[i]!;
    const before = chain.calls.slice(0, i);
    const after = chain.calls.slice(i + 1);
    const scoped = applyAttributes(group, before);
    const args = terminal.args;
    const name = terminal.name;
    if (name === 'group' || name === 'addGroup') {
      let inner = scoped;
      let bodyArg: Arg | undefined;
      if (args.length >= 2) {
        const first = args[0]!.value;
        const prefix = stringValue(first);
        if (prefix !== undefined) inner = { ...inner, prefix: joinRaw(inner.prefix, prefix) };
        else inner = applyGroupArray(inner, first);
        bodyArg = args[1];
      } else bodyArg = args[0];
      inner = applyAttributes(inner, after);
      const body = bodyArg?.value;
      if (body && (body.type === 'anonymous_function' || body.type === 'arrow_function')) {
        // Slim 3 binds the group closure's `$this` to the app.
        const self = chain.rootKind === 'static' ? [] : ['this'];
        inner = { ...inner, registrars: new Set([...inner.registrars, ...closureParams(body), ...self]) };
        const block = body.childForFieldName('body');
        if (block) visit(block, inner, inMethod);
      } else if (body && !input.loader) {
        mountFile(body, inner, node);
      }
      return;
    }
    if (name === 'view' || name === 'redirect' || name === 'permanentRedirect' || name === 'fallback') return;
    if (name === 'resource' || name === 'apiResource' || name === 'singleton' || name === 'apiSingleton') {
      const resName = stringValue(args[0]?.value);
      const controller = classOrString(args[1]?.value);
      if (resName === undefined || !controller) return unresolved(node, 'resource name or controller');
      resource(name, resName, controller, args[2]?.value, applyAttributes(scoped, []), after, node);
      return;
    }
    if (name === 'resources' || name === 'apiResources') {
      for (const e of arrayEntries(args[0]?.value) ?? []) {
        const resName = stringValue(e.key);
        const controller = classOrString(e.value);
        if (resName !== undefined && controller) resource(name === 'resources' ? 'resource' : 'apiResource', resName, controller, args[1]?.value, scoped, after, node);
      }
      return;
    }
    let methods: HttpMethod[];
    let uriArg: Arg | undefined;
    let actionArg: Arg | undefined;
    if (name === 'match' || name === 'map' || name === 'addRoute') {
      methods = (stringList(args[0]?.value) ?? []).map((m) => m.toLowerCase()).filter((m): m is HttpMethod => m in VERBS && m !== 'any');
      uriArg = args[1];
      actionArg = args[2];
    } else if (name === 'options') {
      return;
    } else {
      methods = VERBS[name]!;
      uriArg = args[0];
      actionArg = args[1];
    }
    if (methods.length === 0) return;
    const uri = uriText(uriArg?.value);
    if (uri === undefined) return unresolved(node, 'route path');
    // Slim/FastRoute optional segments: `/users[/{id}]` is `/users` and `/users/{id}`.
    for (const variant of optionalSegments(uri)) addRoute(methods, variant, actionArg?.value, scoped, after, node);
  };

  const addRoute = (methods: HttpMethod[], uri: string, action: SyntaxNode | undefined, group: Group, modifiers: ChainCall[], node: SyntaxNode, extra: Partial<RouteFact> = {}): void => {
    const g = applyAttributes(
      group,
      modifiers.filter((m) => m.name !== 'name' && m.name !== 'as'),
    );
    const raw = joinRaw(g.prefix, uri);
    const { paths, params } = normalized(raw, g.wheres);
    const routeName = nameOf(modifiers, g);
    const evidence = evidenceOf(path, node);
    const responses: ResponseFact[] = middlewareResponses(g.middleware, evidence);
    const parsed = action ? parseAction(action, g) : undefined;
    const route: RouteFact = {
      router: routerId,
      methods,
      paths,
      handler: parsed?.ref?.name ?? `${methods[0]!.toUpperCase()} ${paths[0]}`,
      params,
      responses,
      evidence,
      ruleIds: [],
      ...extra,
    };
    if (routeName) route.operationName = routeName;
    else if (parsed?.ref) route.operationName = operationName(parsed.ref.name);
    else route.operationName = pathOperationName(methods, paths[0]!);
    if (parsed?.ref) route.handlerRef = parsed.ref;
    if (parsed?.ref) route.dropIfView = true;
    if (parsed?.closure) {
      const code = analyzeFunction(parsed.closure, { path, names: input.names, book: input.book, scope: `${path} ${methods.join('|').toUpperCase()} ${paths[0]}` });
      if (code.view) return;
      route.params.push(...code.params);
      if (code.body) route.body = code.body;
      route.responses.push(...code.responses);
      route.ruleIds.push(...code.ruleIds);
      if (code.summary) route.summary = code.summary;
      if (code.calls.length > 0) {
        // A closure calling helpers in other files: let the link step follow them like a handler's.
        facts.handlers ??= [];
        const handlerName = `<closure>.${path}:${evidence.startLine}`;
        facts.handlers.push({ name: handlerName, params: [], responses: [], ruleIds: [], calls: code.calls, evidence });
        route.handlerRef = { name: handlerName };
      }
    }
    if (g.middleware.length > 0) {
      route.notes = [`middleware: ${[...new Set(g.middleware)].join(', ')}`];
      route.calls = middlewareCalls(g.middleware);
    }
    ensureRouter();
    facts.routes.push(route);
  };

  const resource = (kind: ResourceKind, name: string, controller: string, optionsNode: SyntaxNode | undefined, group: Group, modifiers: ChainCall[], node: SyntaxNode): void => {
    const options: ResourceOptions = {};
    const fromArray = arrayMap(optionsNode);
    if (fromArray) {
      const only = stringList(fromArray.get('only'));
      const except = stringList(fromArray.get('except'));
      if (only) options.only = only;
      if (except) options.except = except;
      const params = arrayMap(fromArray.get('parameters'));
      if (params) options.parameters = Object.fromEntries([...params].map(([k, v]) => [k, stringValue(v) ?? k]));
    }
    for (const m of modifiers) {
      if (m.name === 'only') options.only = m.args.flatMap((a) => stringList(a.value) ?? []);
      else if (m.name === 'except') options.except = m.args.flatMap((a) => stringList(a.value) ?? []);
      else if (m.name === 'shallow') options.shallow = true;
      else if (m.name === 'creatable') options.creatable = true;
      else if (m.name === 'destroyable') options.destroyable = true;
      else if (m.name === 'parameters') {
        const params = arrayMap(m.args[0]?.value);
        if (params) options.parameters = Object.fromEntries([...params].map(([k, v]) => [k, stringValue(v) ?? k]));
      } else if (m.name === 'parameter') {
        const k = stringValue(m.args[0]?.value);
        const v = stringValue(m.args[1]?.value);
        if (k && v) (options.parameters ??= {})[k] = v;
      }
    }
    const rest = modifiers.filter((m) => !['only', 'except', 'shallow', 'creatable', 'destroyable', 'parameters', 'parameter', 'names', 'name'].includes(m.name));
    const ctrl = qualifiedController(controller, group);
    const base = name.replace(/\{[^}]*\}\//g, '').replace(/\//g, '.');
    for (const r of resourceRoutes(kind, name, options)) {
      const ref: HandlerRef = { name: `${ctrl.simple}.${r.action}`, ...(ctrl.qualified ? { qualified: `${ctrl.qualified}.${r.action}` } : {}) };
      const g = applyAttributes(group, rest);
      const raw = joinRaw(g.prefix, r.uri);
      const { paths, params } = normalized(raw, g.wheres);
      const evidence = evidenceOf(path, node);
      ensureRouter();
      facts.routes.push({
        router: routerId,
        methods: r.methods,
        paths,
        handler: ref.name,
        operationName: `${g.name}${base}.${r.action}`,
        params,
        responses: middlewareResponses(g.middleware, evidence),
        evidence,
        ruleIds: [],
        handlerRef: ref,
        dropIfView: true,
        requireHandler: true,
        ...(g.middleware.length > 0 ? { notes: [`middleware: ${[...new Set(g.middleware)].join(', ')}`], calls: middlewareCalls(g.middleware) } : {}),
      });
    }
  };

  // Included files are mounts only in route files, and only when they are not libraries.
  const pendingMounts: { target: string; prefix: string; at: SyntaxNode }[] = [];
  const mountFile = (node: SyntaxNode | undefined, group: Group, at: SyntaxNode): void => {
    if (!node || input.loader) return;
    const target = includedPath(node, path);
    if (!target || /(^|\/)(vendor|bootstrap|config|storage)\//.test(target)) return;
    pendingMounts.push({ target, prefix: group.prefix, at });
  };

  const unresolved = (node: SyntaxNode, what: string): void => {
    input.diagnostics.push({ path, line: node.startPosition.row + 1, severity: 'warning', message: `route registration with a ${what} that is not a literal; not analyzed` });
  };

  const parseAction = (node: SyntaxNode, g: Group): { ref?: HandlerRef; closure?: SyntaxNode } | undefined => {
    if (node.type === 'anonymous_function' || node.type === 'arrow_function') return { closure: node };
    const entries = arrayEntries(node);
    if (entries) {
      const keyed = new Map(entries.filter((e) => e.key).map((e) => [stringValue(e.key), e.value] as const));
      const uses = keyed.get('uses');
      if (uses) return parseAction(uses, g);
      const positional = entries.filter((e) => !e.key).map((e) => e.value);
      const closure = positional.find((v) => v.type === 'anonymous_function' || v.type === 'arrow_function');
      if (closure) return { closure };
      const cls = classNameOf(positional[0]) ?? stringValue(positional[0]);
      const method = stringValue(positional[1]);
      if (cls && method) return { ref: ref(cls, method, g, positional[0]!.type === 'class_constant_access_expression') };
      if (cls) return { ref: ref(cls, '__invoke', g, positional[0]!.type === 'class_constant_access_expression') };
      return undefined;
    }
    if (node.type === 'class_constant_access_expression') {
      const cls = classNameOf(node);
      return cls ? { ref: ref(cls, '__invoke', g, true) } : undefined;
    }
    if (node.type === 'binary_expression') {
      // Slim: X::class . ':method'
      const left = node.childForFieldName('left');
      const right = stringValue(node.childForFieldName('right'));
      const cls = classNameOf(left);
      if (cls && right?.startsWith(':')) return { ref: ref(cls, right.slice(1), g, true) };
    }
    const s = stringValue(node);
    if (s === undefined) return undefined;
    const at = s.indexOf('@');
    if (at > 0) return { ref: ref(s.slice(0, at), s.slice(at + 1), g, false) };
    const colon = /^([\w\\]+):(\w+)$/.exec(s);
    if (colon) return { ref: ref(colon[1]!, colon[2]!, g, false) };
    if (g.controller && /^\w+$/.test(s)) return { ref: ref(g.controller, s, g, true) };
    if (/^[\w\\]+$/.test(s) && /^[A-Z\\]/.test(s)) return { ref: ref(s, '__invoke', g, false) };
    return undefined;
  };

  const ref = (cls: string, method: string, g: Group, imported: boolean): HandlerRef => {
    const c = imported ? { simple: input.names.simple(cls), qualified: input.names.qualify(cls) } : qualifiedController(cls, g);
    return { name: `${c.simple}.${method}`, ...(c.qualified ? { qualified: `${c.qualified}.${method}` } : {}) };
  };

  const qualifiedController = (written: string, g: Group): { simple: string; qualified?: string } => {
    const simple = written.split('\\').pop()!;
    if (written.startsWith('\\')) return { simple, qualified: written.slice(1) };
    if (/^App\\/.test(written)) return { simple, qualified: written };
    if (g.namespace && /^\\?App\\/.test(g.namespace)) return { simple, qualified: `${g.namespace.replace(/^\\/, '')}\\${written}` };
    // A class imported with `use` in the routes file.
    const q = input.names.qualify(written);
    return q !== written && !input.names.namespace ? { simple, qualified: q } : { simple };
  };

  const classOrString = (node: SyntaxNode | undefined): string | undefined => classNameOf(node) ?? stringValue(node);

  const applyAttributes = (group: Group, calls: readonly ChainCall[]): Group => {
    let g = group;
    for (const c of calls) {
      const a0 = c.args[0]?.value;
      switch (c.name) {
        case 'prefix': {
          const p = stringValue(a0);
          if (p !== undefined) g = { ...g, prefix: joinRaw(g.prefix, p) };
          break;
        }
        case 'middleware':
          g = { ...g, middleware: [...g.middleware, ...c.args.flatMap((a) => middlewareNames(a.value))] };
          break;
        case 'namespace': {
          const ns = stringValue(a0);
          if (ns !== undefined) g = { ...g, namespace: ns.startsWith('\\') || !g.namespace ? ns : `${g.namespace}\\${ns}` };
          break;
        }
        case 'controller': {
          const cls = classNameOf(a0) ?? stringValue(a0);
          if (cls) g = { ...g, controller: cls };
          break;
        }
        case 'name':
        case 'as': {
          const n = stringValue(a0);
          if (n !== undefined) g = { ...g, name: g.name + n };
          break;
        }
        case 'where': {
          const single = stringValue(a0);
          const wheres = { ...g.wheres };
          if (single !== undefined) {
            const re = stringValue(c.args[1]?.value);
            if (re) wheres[single] = re;
          } else for (const [k, v] of arrayMap(a0) ?? []) wheres[k] = stringValue(v) ?? wheres[k] ?? '';
          g = { ...g, wheres };
          break;
        }
        case 'whereIn': {
          const n = stringValue(a0);
          const values = stringList(c.args[1]?.value);
          if (n && values) g = { ...g, wheres: { ...g.wheres, [n]: `enum:${values.join('|')}` } };
          break;
        }
        default:
          if (WHERE_HELPERS[c.name]) {
            const wheres = { ...g.wheres };
            for (const a of c.args) for (const n of stringList(a.value) ?? []) wheres[n] = WHERE_HELPERS[c.name]!;
            g = { ...g, wheres };
          }
      }
    }
    return g;
  };

  const applyGroupArray = (group: Group, node: SyntaxNode): Group => {
    const attrs = arrayMap(node);
    if (!attrs) return group;
    const calls: ChainCall[] = [];
    for (const [k, v] of attrs) {
      const name = k === 'as' ? 'name' : k;
      if (['prefix', 'middleware', 'namespace', 'name', 'where', 'controller'].includes(name)) calls.push({ name, args: [{ value: v }], node: v });
    }
    return applyAttributes(group, calls);
  };

  const nameOf = (modifiers: readonly ChainCall[], g: Group): string | undefined => {
    const n = modifiers.find((m) => m.name === 'name' || m.name === 'setName');
    const v = n ? stringValue(n.args[0]?.value) : undefined;
    return v ? `${g.name}${v}` : undefined;
  };

  visit(input.root, top, false);
  if (found || /(^|\/)routes\//.test(path)) {
    for (const m of pendingMounts) {
      ensureRouter();
      facts.mounts.push({ parent: routerId, prefixes: [m.prefix ? `/${m.prefix}` : ''], target: { name: routerId, module: m.target }, evidence: evidenceOf(path, m.at) });
    }
  }
  return found;
}

/** A registration whose terminal call takes a path (or a group body): not `$app->get('config')`. */
function routeShaped(chain: Chain, terminals: ReadonlySet<string>): boolean {
  if (chain.rootKind === 'static') return true;
  const t = chain.calls.find((c) => terminals.has(c.name))!;
  const first = t.args[0]?.value;
  if (t.name === 'group' || t.name === 'addGroup') return t.args.length >= 1 && t.args.some((a) => a.value.type === 'anonymous_function' || a.value.type === 'arrow_function');
  if (t.name === 'match' || t.name === 'map' || t.name === 'addRoute') return t.args.length >= 3;
  return t.args.length >= 2 && first !== undefined && (stringValue(first) !== undefined || first.type === 'class_constant_access_expression');
}

/** Parameter names of a closure typed as a route collector, or named like one. */
function closureParams(fn: SyntaxNode): string[] {
  const out: string[] = [];
  for (const p of fn.childForFieldName('parameters')?.namedChildren ?? []) {
    const name = p.childForFieldName('name')?.text.replace(/^\$/, '');
    const type = p.childForFieldName('type')?.text ?? '';
    if (name && (/(Router|RouteCollectorProxy|RouteCollector|RouteCollectorProxyInterface|App|Group)$/.test(type) || REGISTRARS.has(name))) out.push(name);
  }
  // `function () use ($router)` (Lumen)
  for (const u of fn.namedChildren.filter((c) => c.type === 'anonymous_function_use_clause')) {
    for (const v of u.namedChildren) {
      const name = v.text.replace(/^&?\$/, '');
      if (REGISTRARS.has(name)) out.push(name);
    }
  }
  return out;
}

/** `'users/{id}'`, or a class constant used as a path (`{{const:Paths.USERS}}`). */
function uriText(node: SyntaxNode | undefined): string | undefined {
  if (!node) return undefined;
  const s = stringValue(node);
  if (s !== undefined) return s;
  if (node.type === 'class_constant_access_expression') {
    const [scope, member] = node.namedChildren;
    if (scope && member && member.text !== 'class') return `{{const:${scope.text.split('\\').pop()}.${member.text}}}`;
  }
  if (node.type === 'name') return `{{const:${node.text}}}`;
  if (node.type === 'binary_expression') {
    const l = uriText(node.childForFieldName('left') ?? undefined);
    const r = uriText(node.childForFieldName('right') ?? undefined);
    return l !== undefined && r !== undefined ? l + r : undefined;
  }
  return undefined;
}

/** Expands FastRoute's trailing optional segments (`/a[/{b}[/{c}]]`), longest first. */
function optionalSegments(uri: string): string[] {
  const open = uri.indexOf('[');
  if (open < 0 || !uri.endsWith(']') || /\{[^}]*\[/.test(uri.slice(0, open + 1))) return [uri];
  const head = uri.slice(0, open);
  const inner = uri.slice(open + 1, -1);
  return [...optionalSegments(inner).map((i) => head + i), head || '/'];
}

/** Joins two raw Laravel path pieces with one `/`, no leading/trailing slash. */
function joinRaw(a: string, b: string): string {
  return [a, b]
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
}

/**
 * The OpenAPI template(s) of a raw Laravel path with its `where` constraints, and the path
 * parameters worth declaring (typed or patterned; plain ones the link step adds by itself).
 * A trailing optional parameter (`{id?}`) gives two paths: with and without it.
 */
function normalized(raw: string, wheres: Record<string, string>): { paths: string[]; params: ParamFact[] } {
  const enums = new Map<string, string[]>();
  const constrained = raw.replace(/\{(\w+)(:\w+)?(\?)?\}/g, (m, name: string, _field: string | undefined, opt: string | undefined) => {
    const w = wheres[name];
    if (w === undefined) return `{${name}${opt ?? ''}}`;
    if (w.startsWith('enum:')) {
      enums.set(name, w.slice(5).split('|'));
      return `{${name}${opt ?? ''}}`;
    }
    return `{${name}${opt ?? ''}:${w}}`;
  });
  const n = normalizePath(`/${constrained}`, 'brace');
  const params: ParamFact[] = [];
  for (const p of n.params) {
    let schema: Schema = p.schema;
    const e = enums.get(p.name);
    if (e) schema = { type: 'string', enum: e } as Schema;
    const plain = !e && Object.keys(schema).length === 1 && (schema as { type?: string }).type === 'string';
    if (!plain) params.push({ name: p.name, in: 'path', required: true, schema });
  }
  const paths = [n.path === '/' ? '' : n.path];
  const last = n.params[n.params.length - 1];
  if (last?.optional && n.path.endsWith(`/{${last.name}}`)) paths.push(n.path.slice(0, -`/{${last.name}}`.length));
  return { paths: paths.map((p) => p || '/'), params };
}

/** Middleware as written: aliases (`auth:api`) and classes (`EnsureToken::class` → `class:EnsureToken`). */
function middlewareNames(node: SyntaxNode): string[] {
  const one = (n: SyntaxNode): string | undefined => stringValue(n) ?? (classNameOf(n) ? `class:${classNameOf(n)!.split('\\').pop()}` : undefined);
  const entries = arrayEntries(node);
  if (entries) return entries.map((e) => one(e.value)).filter((v): v is string => v !== undefined);
  const v = one(node);
  return v ? [v] : [];
}

/**
 * The handlers route middleware runs: `middleware:<alias>` (declared by the HTTP kernel, see
 * `controllers.ts`) or the class's `handle` method.
 */
export function middlewareCalls(middleware: readonly string[]): string[] {
  return [...new Set(middleware.map((m) => (m.startsWith('class:') ? `${m.slice(6)}.handle` : `middleware:${m.split(':')[0]}`)))];
}

/** Statuses that route middleware answers with before the handler runs. */
function middlewareResponses(middleware: readonly string[], evidence: ResponseFact['evidence']): ResponseFact[] {
  const out: ResponseFact[] = [];
  const add = (status: string, description: string): void => {
    if (!out.some((r) => r.status === status)) out.push({ status, description, ...(evidence ? { evidence } : {}) });
  };
  for (const m of middleware) {
    if (/^auth(\.basic)?(:|$)|^auth\./.test(m)) add('401', 'Unauthenticated.');
    else if (/^can:/.test(m) || m === 'verified' || m === 'signed' || /^(role|permission|ability|abilities)[:]/.test(m)) add('403', 'This action is unauthorized.');
    else if (/^throttle(:|$)/.test(m)) add('429', 'Too Many Attempts.');
  }
  return out;
}

/** `GET /users/{id}` → `getUsersId` (one method), `users` for several (the link step adds each method). */
function pathOperationName(methods: readonly HttpMethod[], path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const all = methods.length === 1 ? [methods[0]!, ...words] : words.length > 0 ? words : ['root'];
  return all.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1))).join('');
}

/** `ArticleController.show` → `articleShow`. */
function operationName(handler: string): string {
  const [cls, method] = handler.split('.');
  const base = (cls ?? '').replace(/Controller$/, '');
  const m = method === '__invoke' ? '' : (method ?? '');
  const joined = base + (m ? m[0]!.toUpperCase() + m.slice(1) : '');
  return joined ? joined[0]!.toLowerCase() + joined.slice(1) : handler;
}

/** The root-relative path of an included route file, or undefined. */
function includedPath(node: SyntaxNode, from: string): string | undefined {
  const dir = dirname(from);
  const text = node.text.replace(/\s+/g, '');
  const dirRel = /^__DIR__\.['"]([^'"]+)['"]$/.exec(text);
  if (dirRel) return normalize(`${dir}/${dirRel[1]}`);
  const base = /^base_path\(['"]([^'"]+)['"]\)$/.exec(text);
  if (base) {
    const root = /(^|\/)routes$/.test(dir) ? dirname(dir) : dir;
    return normalize(root === '.' ? base[1]! : `${root}/${base[1]}`);
  }
  const plain = stringValue(node);
  if (plain && plain.endsWith('.php')) return normalize(plain.startsWith('/') ? plain.slice(1) : `${dir}/${plain}`);
  return undefined;
}
