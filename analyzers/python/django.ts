/**
 * Django URLconfs and function views. Every module-level list of `path()`/`re_path()`/`url()`
 * entries is a router (`urlpatterns` is a root; the link step takes as roots only the URLconfs
 * nobody includes), each entry a mount of its view under the entry's route: a class view
 * (`Cls.as_view()`), a function view, or another URLconf through `include('app.urls')`,
 * `include(module)`, `include((patterns, 'ns'))`, `include(router.urls)` (a DRF router) or an
 * inline list — across files by dotted module name. `path('<int:pk>/')` and
 * `re_path(r'^(?P<slug>[-\w]+)/$')` type the path parameters. A viewset's `as_view({'get':
 * 'list'})` is routed where it is written, with the methods it maps.
 *
 * Function views are mounted-only routers of the file defining them: functions whose first
 * parameter is `request`, or decorated with `@api_view`/`@require_http_methods`. Their methods
 * come from `@api_view([...])`, `@require_http_methods([...])`, `@require_GET`/`@require_POST`/
 * `@require_safe`, or the `request.method == 'POST'` comparisons in their body (GET included
 * when the body also serves other requests); a function view with no method information at all
 * is documented as GET only, the one method every Django view answers by default in practice.
 */
import type { HttpMethod, ParamFact, RouteFact } from '../service/facts.js';
import { HTTP_METHODS } from '../service/facts.js';
import type { PathSyntax } from '../service/paths.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { PyContext } from './context.js';
import { forMethod, methodBranches, readHandler } from './handler.js';
import { routePath } from './route-paths.js';
import { argument, callArgs, callName, comparisonOperators, decoratorsOf, dottedName, functionParams, lastName, literalValue, outerOf, ownDescendants, statementsOf, stringList, stringValue } from './syntax.js';

const ENTRY_CALLS: Record<string, PathSyntax> = { path: 'angle', re_path: 'regex', url: 'regex' };

/** Views of Django, DRF and common packages that are served with known methods, or (null) not part of the API. */
const LIBRARY_VIEWS: Record<string, HttpMethod[] | null> = {
  TokenObtainPairView: ['post'],
  TokenRefreshView: ['post'],
  TokenVerifyView: ['post'],
  TokenBlacklistView: ['post'],
  TokenObtainSlidingView: ['post'],
  TokenRefreshSlidingView: ['post'],
  obtain_auth_token: ['post'],
  obtain_jwt_token: ['post'],
  refresh_jwt_token: ['post'],
  verify_jwt_token: ['post'],
  ObtainAuthToken: ['post'],
  LoginView: ['get', 'post'],
  LogoutView: ['post'],
  TemplateView: ['get'],
  RedirectView: ['get'],
  SpectacularAPIView: null,
  SpectacularSwaggerView: null,
  SpectacularRedocView: null,
  SpectacularJSONAPIView: null,
  SpectacularYAMLAPIView: null,
  serve: null,
  static: null,
  JavaScriptCatalog: null,
  GraphQLView: null,
  FileResponse: null,
};

export function usesDjango(ctx: PyContext): boolean {
  return [...ctx.imports.values()].some((i) => /^(django|rest_framework)\b/.test(i.module));
}

export function extractDjango(ctx: PyContext): void {
  const django = usesDjango(ctx);
  // A URLconf may import nothing from Django itself (`urlpatterns = router.urls` with a project router).
  if (django || moduleStatements(ctx).some((st) => /^urlpatterns\s*(:[^=]*)?\+?=/.test(st.text))) urlConfs(ctx);
  if (django) functionViews(ctx);
}

// ---- URLconfs ------------------------------------------------------------------------------

function isEntry(node: SyntaxNode): boolean {
  return node.type === 'call' && ENTRY_CALLS[lastName(callName(node) ?? '')] !== undefined;
}

/** Module-level statements, also inside module-level `if`/`try` (`if settings.DEBUG: urlpatterns += [...]`). */
function moduleStatements(ctx: PyContext): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const visit = (block: SyntaxNode, depth: number): void => {
    for (const s of statementsOf(block)) {
      out.push(s);
      if (depth < 2 && (s.type === 'if_statement' || s.type === 'try_statement')) {
        for (const c of s.namedChildren) {
          const b = c.type === 'block' ? c : c.namedChildren.find((x) => x.type === 'block');
          if (b && (c.type === 'block' || /^(elif_clause|else_clause|except_clause|finally_clause)$/.test(c.type))) visit(b, depth + 1);
        }
      }
    }
  };
  visit(ctx.root, 0);
  return out;
}

function urlConfs(ctx: PyContext): void {
  const lists = new Map<string, SyntaxNode[]>();
  const routerLists = new Map<string, SyntaxNode[]>();
  const add = (name: string, value: SyntaxNode, statement: SyntaxNode): void => {
    // `[...]`, `[...] + router.urls`, `router.urls`, `format_suffix_patterns([...])`
    const parts: SyntaxNode[] = [];
    const flatten = (n: SyntaxNode): void => {
      if (n.type === 'binary_operator' && n.child(1)?.type === '+') {
        flatten(n.childForFieldName('left')!);
        flatten(n.childForFieldName('right')!);
      } else if (n.type === 'call' && /^(format_suffix_patterns|i18n_patterns)$/.test(lastName(callName(n) ?? ''))) {
        for (const a of callArgs(n).positional) flatten(a);
      } else if (n.type === 'parenthesized_expression' && n.namedChild(0)) flatten(n.namedChild(0)!);
      else parts.push(n);
    };
    flatten(value);
    const entries: SyntaxNode[] = [];
    const includes: SyntaxNode[] = [];
    for (const p of parts) {
      if (p.type === 'list' || p.type === 'tuple') entries.push(...p.namedChildren.filter(isEntry));
      else if (p.type === 'attribute' && p.childForFieldName('attribute')?.text === 'urls') includes.push(p);
    }
    if (entries.length === 0 && includes.length === 0 && name !== 'urlpatterns') return;
    if (!ctx.router(name)) ctx.addRouter({ id: name, prefixes: [''], root: name === 'urlpatterns', evidence: ctx.evidence(statement), label: name === 'urlpatterns' ? `URLconf ${ctx.module.name}` : `URL patterns ${name}` });
    (lists.get(name) ?? lists.set(name, []).get(name)!).push(...entries);
    (routerLists.get(name) ?? routerLists.set(name, []).get(name)!).push(...includes);
  };
  for (const s of moduleStatements(ctx)) {
    if (s.type !== 'expression_statement') continue;
    const e = s.namedChild(0);
    if (!e) continue;
    if (e.type === 'assignment' || e.type === 'augmented_assignment') {
      const name = dottedName(e.childForFieldName('left'));
      const value = e.childForFieldName('right');
      if (name === undefined || name.includes('.') || !value) continue;
      if (value.type === 'list' || value.type === 'tuple' || value.type === 'binary_operator' || value.type === 'call' || value.type === 'attribute') add(name, value, s);
    } else if (e.type === 'call') {
      // `urlpatterns.append(path(...))`, `urlpatterns.extend([...])`, `urlpatterns += ...`
      const f = e.childForFieldName('function');
      const what = f?.type === 'attribute' ? f.childForFieldName('attribute')?.text : undefined;
      const name = dottedName(f?.childForFieldName('object'));
      const arg = callArgs(e).positional[0];
      if (!name || !arg || !ctx.router(name)) continue;
      if (what === 'append' && isEntry(arg)) lists.get(name)?.push(arg);
      else if (what === 'extend') add(name, arg, s);
    }
  }
  for (const [name, entries] of lists) {
    for (const entry of entries) urlEntry(entry, name, ctx, 0);
    for (const inc of routerLists.get(name) ?? []) includeTarget(inc.childForFieldName('object')!, inc, name, { path: '', params: [] }, ctx, 0, true);
  }
}

function urlEntry(entry: SyntaxNode, router: string, ctx: PyContext, depth: number): void {
  const kind = lastName(callName(entry) ?? '');
  const syntax = ENTRY_CALLS[kind]!;
  const args = callArgs(entry);
  const routeNode = argument(args, 0, 'route') ?? argument(args, 0, 'regex');
  const view = argument(args, 1, 'view');
  if (!routeNode || !view) return;
  const route = routePath(routeNode, ctx, syntax);
  if (!route) {
    ctx.diagnostics.push({ path: ctx.path, line: entry.startPosition.row + 1, severity: 'warning', message: `URL pattern ${routeNode.text.slice(0, 60)} is not a string this analyzer can read; the entry is skipped` });
    return;
  }
  mountView(view, route, router, entry, ctx, depth);
}

function mountView(view: SyntaxNode, route: { path: string; params: ParamFact[] }, router: string, at: SyntaxNode, ctx: PyContext, depth: number): void {
  const params = route.params.length ? { params: route.params } : {};
  if (view.type === 'call') {
    const name = callName(view) ?? '';
    const last = lastName(name);
    if (last === 'include') {
      const arg = callArgs(view).positional[0] ?? callArgs(view).keywords.get('arg');
      if (arg) includeTarget(arg, at, router, route, ctx, depth, false);
      return;
    }
    if (last === 'as_view') {
      const clsNode = view.childForFieldName('function')!.childForFieldName('object');
      const clsName = lastName(dottedName(clsNode) ?? '');
      const actions = callArgs(view).positional[0] ?? callArgs(view).keywords.get('actions');
      if (actions?.type === 'dictionary') {
        // `ViewSet.as_view({'get': 'list', 'post': 'create'})`: the methods are here.
        for (const pair of actions.namedChildren) {
          const method = stringValue(pair.childForFieldName('key'))?.toLowerCase();
          const action = stringValue(pair.childForFieldName('value'));
          if (!method || !(HTTP_METHODS as readonly string[]).includes(method)) continue;
          ctx.facts.routes.push(directRoute(router, [method as HttpMethod], route, `${clsName}.${action ?? method}`, at, ctx));
        }
        return;
      }
      if (libraryView(clsName, clsNode, router, route, at, ctx)) return;
      const target = ctx.ref(clsNode);
      if (target) ctx.facts.mounts.push({ parent: router, prefixes: [route.path], target, evidence: ctx.evidence(at), ...params });
      return;
    }
    // `csrf_exempt(views.hook)`, `login_required(views.home)`: the wrapped view.
    const inner = callArgs(view).positional[0];
    if (inner && /^(csrf_exempt|login_required|permission_required|staff_member_required|cache_page|never_cache|require_\w+)$/.test(last)) {
      mountView(inner, route, router, at, ctx, depth);
      return;
    }
    if (libraryView(last, view, router, route, at, ctx)) return;
    return;
  }
  const name = dottedName(view);
  if (name === undefined) return;
  if (/(^|\.)admin\.site\.urls$/.test(name) || name.endsWith('.urls') && /admin/.test(name)) return;
  if (name.endsWith('.urls')) {
    includeTarget(view.childForFieldName('object') ?? view, at, router, route, ctx, depth, true);
    return;
  }
  if (libraryView(lastName(name), view, router, route, at, ctx)) return;
  const target = ctx.ref(view);
  if (target) ctx.facts.mounts.push({ parent: router, prefixes: [route.path], target, evidence: ctx.evidence(at), ...params });
}

/** A view of a library: routed here with its known methods, or skipped (documentation, static files); false when unknown. */
function libraryView(name: string, node: SyntaxNode | null, router: string, route: { path: string; params: ParamFact[] }, at: SyntaxNode, ctx: PyContext): boolean {
  if (!(name in LIBRARY_VIEWS)) return false;
  // A project class of that name is the project's own view.
  if (ctx.classes.has(name) || ctx.project.classes[name]?.some((c) => !/^(django|rest_framework)/.test(c.module))) return false;
  const base = node ? dottedName(node.type === 'call' ? node.childForFieldName('function') : node)?.split('.')[0] : undefined;
  const imported = base ? ctx.imports.get(base) : undefined;
  if (imported && !/^(django|rest_framework|drf_spectacular|dj_rest_auth|allauth|djoser|knox|oauth2_provider|graphene_django|strawberry)/.test(imported.module)) return false;
  const methods = LIBRARY_VIEWS[name];
  if (methods) ctx.facts.routes.push(directRoute(router, methods, route, name, at, ctx));
  return true;
}

function directRoute(router: string, methods: HttpMethod[], route: { path: string; params: ParamFact[] }, handler: string, at: SyntaxNode, ctx: PyContext): RouteFact {
  return { router, methods, paths: [route.path], handler, operationName: handler.replace(/\W+/g, '_'), params: route.params, responses: [], evidence: ctx.evidence(at), ruleIds: [] };
}

/** `include(...)`'s argument: a dotted module string, a module, `router.urls`, a list (name or inline), `(patterns, 'namespace')`. */
function includeTarget(arg: SyntaxNode, at: SyntaxNode, router: string, route: { path: string; params: ParamFact[] }, ctx: PyContext, depth: number, routerUrls: boolean): void {
  const params = route.params.length ? { params: route.params } : {};
  const mount = (target: { name: string; module?: string }): void => {
    ctx.facts.mounts.push({ parent: router, prefixes: [route.path], target, evidence: ctx.evidence(at), ...params });
  };
  if (arg.type === 'tuple' || arg.type === 'parenthesized_expression') {
    const first = arg.namedChild(0);
    if (first) includeTarget(first, at, router, route, ctx, depth, routerUrls);
    return;
  }
  const module = stringValue(arg);
  if (module !== undefined) {
    mount({ name: 'urlpatterns', module });
    return;
  }
  if (arg.type === 'list') {
    if (depth > 5) return;
    const id = `${router}@${arg.startPosition.row + 1}`;
    ctx.addRouter({ id, prefixes: [''], root: false, evidence: ctx.evidence(arg), label: `URL patterns at line ${arg.startPosition.row + 1}` });
    for (const e of arg.namedChildren.filter(isEntry)) urlEntry(e, id, ctx, depth + 1);
    mount({ name: id });
    return;
  }
  if (arg.type === 'attribute' && arg.childForFieldName('attribute')?.text === 'urls') {
    includeTarget(arg.childForFieldName('object')!, at, router, route, ctx, depth, true);
    return;
  }
  const name = dottedName(arg);
  if (name === undefined || /(^|\.)admin\.site$/.test(name)) return;
  if (ctx.router(name)) {
    mount({ name });
    return;
  }
  const imported = ctx.imports.get(name.split('.')[0]!);
  const ref = ctx.ref(arg);
  if (!imported || !ref) return;
  const dotted = ref.name === 'default' ? ref.module! : ref.module ? `${ref.module}.${ref.name}` : ref.name;
  if (routerUrls) {
    // `include(router.urls)`: a DRF router object; `include(app.urls)`: the module `app.urls`.
    if (/router/i.test(ref.name)) mount(ref);
    else mount({ name: 'urlpatterns', module: `${dotted}.urls` });
    return;
  }
  // `include(api_urls)`: a module (`import app.urls as api_urls`, `from app import urls`) or a list of another module.
  if (imported.name === undefined || /urls$/.test(ref.name)) mount({ name: 'urlpatterns', module: dotted });
  else mount(ref);
}

// ---- function views ------------------------------------------------------------------------

function functionViews(ctx: PyContext): void {
  for (const [name, fn] of ctx.functions) {
    const decorators = decoratorsOf(fn).map((d) => ({ node: d, name: lastName(dottedName(d.type === 'call' ? d.childForFieldName('function') : d) ?? '') }));
    const first = functionParams(fn)[0]?.name;
    const marked = decorators.some((d) => /^(api_view|require_http_methods|require_GET|require_POST|require_safe)$/.test(d.name));
    if (first !== 'request' && !marked) continue;
    const methods = viewMethods(fn, decorators);
    ctx.addRouter({ id: name, prefixes: [''], root: false, mountedOnly: true, evidence: ctx.evidence(outerOf(fn)), label: name });
    const handler = readHandler(fn, ctx, { scope: name });
    const branches = methodBranches(fn);
    for (const method of methods) {
      const own = forMethod(handler, ctx, branches, method);
      const route: RouteFact = {
        router: name,
        methods: [method],
        paths: [''],
        handler: name,
        operationName: methods.length > 1 ? `${name}_${method}` : name,
        params: own.params.filter((p) => method !== 'get' || p.in !== 'form'),
        responses: own.responses,
        evidence: ctx.evidence(outerOf(fn)),
        ruleIds: own.ruleIds,
      };
      if (handler.body && method !== 'get' && method !== 'delete') route.body = handler.body;
      ctx.facts.routes.push(route);
    }
  }
}

function viewMethods(fn: SyntaxNode, decorators: { node: SyntaxNode; name: string }[]): HttpMethod[] {
  const pick = (list: string[]): HttpMethod[] => {
    const out = list.map((m) => m.toLowerCase()).filter((m): m is HttpMethod => (HTTP_METHODS as readonly string[]).includes(m));
    return HTTP_METHODS.filter((m) => out.includes(m));
  };
  for (const d of decorators) {
    if (d.name === 'api_view') {
      const arg = d.node.type === 'call' ? (callArgs(d.node).positional[0] ?? callArgs(d.node).keywords.get('http_method_names')) : undefined;
      const list = pick(stringList(arg));
      return list.length ? list : ['get'];
    }
    if (d.name === 'require_http_methods' && d.node.type === 'call') {
      const list = pick(stringList(callArgs(d.node).positional[0]));
      if (list.length) return list;
    }
    if (d.name === 'require_GET' || d.name === 'require_safe') return ['get'];
    if (d.name === 'require_POST') return ['post'];
  }
  // `if request.method == 'POST':` / `request.method in ('PUT', 'PATCH')`
  const compared = new Set<HttpMethod>();
  let negated = false;
  for (const c of ownDescendants(fn, ['comparison_operator'])) {
    const [left, right] = c.namedChildren;
    if (!left || !right || !/(^|\.)request\.method$/.test(dottedName(left) ?? '')) continue;
    const ops = comparisonOperators(c);
    const values = stringList(right).length ? stringList(right) : [String(literalValue(right) ?? '')];
    if (ops[0] === '!=' || ops[0] === 'not in') negated = true;
    for (const m of pick(values)) compared.add(m);
  }
  if (compared.size === 0) return ['get'];
  // A body that branches on POST also answers the other requests (usually GET); a `!=` guard rejects them.
  if (!negated) compared.add('get');
  return HTTP_METHODS.filter((m) => compared.has(m));
}
