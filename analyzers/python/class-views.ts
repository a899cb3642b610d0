/**
 * Class-based views, one model for Flask (`MethodView`, `View` with `methods = [...]`,
 * flask-restful/flask-restx `Resource`) and Django (`View`, DRF `APIView` and the generic views):
 * the HTTP methods a class answers are its `get`/`post`/`put`/`patch`/`delete` methods, its own or
 * inherited (also from bases in other files, through the project index), plus those a generic base
 * implies (`ListCreateAPIView` → GET and POST). Every such class is a mounted-only router of its
 * file (a URLconf, `add_url_rule` or `add_resource` elsewhere gives it its path); a class decorated
 * with a route (`@ns.route('/x')`, `@blp.route('/x')`) gets its routes where it is declared.
 */
import type { HttpMethod, ParamFact, RouteFact } from '../service/facts.js';
import { HTTP_METHODS } from '../service/facts.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { PyContext } from './context.js';
import { readHandler } from './handler.js';
import { findClass } from './project.js';
import { assignmentsIn, callName, classMethods, decoratorsOf, outerOf, stringList } from './syntax.js';

/** Base classes that make a class a view whose methods are its HTTP methods. */
export const VIEW_BASES = new Set(['MethodView', 'View', 'Resource', 'MethodResource', 'APIView', 'GenericAPIView', 'HTTPEndpoint', 'RedirectView', 'TemplateView', 'FormView', 'ListView', 'DetailView', 'CreateView', 'UpdateView', 'DeleteView', 'TemplateResponseMixin']);

/** Methods implied by DRF generic views and Django generic class-based views. */
export const GENERIC_METHODS: Record<string, HttpMethod[]> = {
  ListAPIView: ['get'],
  CreateAPIView: ['post'],
  RetrieveAPIView: ['get'],
  DestroyAPIView: ['delete'],
  UpdateAPIView: ['put', 'patch'],
  ListCreateAPIView: ['get', 'post'],
  RetrieveUpdateAPIView: ['get', 'put', 'patch'],
  RetrieveDestroyAPIView: ['get', 'delete'],
  RetrieveUpdateDestroyAPIView: ['get', 'put', 'patch', 'delete'],
  TemplateView: ['get'],
  RedirectView: ['get'],
  ListView: ['get'],
  DetailView: ['get'],
  ArchiveIndexView: ['get'],
  FormView: ['get', 'post'],
  CreateView: ['get', 'post'],
  UpdateView: ['get', 'post'],
  DeleteView: ['get', 'post'],
  LoginView: ['get', 'post'],
  LogoutView: ['post'],
  PasswordChangeView: ['get', 'post'],
};

/** DRF generics: the handler method (`list`, `create`...) behind each HTTP method, for reading overrides. */
export const GENERIC_ACTIONS: Partial<Record<HttpMethod, string[]>> = {
  get: ['list', 'retrieve'],
  post: ['create'],
  put: ['update'],
  patch: ['partial_update', 'update'],
  delete: ['destroy'],
};

export interface ViewMethod {
  method: HttpMethod;
  /** The function that handles it in this file, when there is one (own method, or a generic's overridden action). */
  fn?: SyntaxNode;
}

/** True when the class is a class-based view (Flask or Django/DRF), not a viewset. */
export function isViewClass(name: string, ctx: PyContext): boolean {
  const ancestors = ctx.ancestorsOf(name);
  if (ancestors.some((a) => /ViewSet$|ViewSetMixin$/.test(a))) return false;
  return ancestors.some((a) => VIEW_BASES.has(a) || GENERIC_METHODS[a] !== undefined);
}

/** The HTTP methods a view class answers, in HTTP_METHODS order. */
export function viewMethods(name: string, cls: SyntaxNode, ctx: PyContext): ViewMethod[] {
  const own = new Map<string, SyntaxNode>();
  for (const m of classMethods(cls)) {
    const n = m.childForFieldName('name')?.text;
    if (n) own.set(n, m);
  }
  const methods = new Set<HttpMethod>();
  for (const m of HTTP_METHODS) if (own.has(m)) methods.add(m);
  const ancestors = ctx.ancestorsOf(name);
  for (const a of ancestors) {
    for (const m of GENERIC_METHODS[a] ?? []) methods.add(m);
    const summary = ctx.classes.has(a) ? undefined : findClass(ctx.project, a);
    for (const m of summary?.methods ?? []) if ((HTTP_METHODS as readonly string[]).includes(m)) methods.add(m as HttpMethod);
    const local = ctx.classes.get(a);
    if (local) for (const m of classMethods(local)) {
      const n = m.childForFieldName('name')?.text;
      if (n && (HTTP_METHODS as readonly string[]).includes(n)) methods.add(n as HttpMethod);
    }
  }
  // Flask `View` subclasses list theirs: `methods = ['GET', 'POST']`.
  const declared = assignmentsIn(cls.childForFieldName('body')).find((a) => a.name === 'methods' || a.name === 'http_method_names');
  if (declared) {
    const list = stringList(declared.value).map((m) => m.toLowerCase()).filter((m): m is HttpMethod => (HTTP_METHODS as readonly string[]).includes(m));
    if (declared.name === 'methods' && list.length > 0) {
      methods.clear();
      for (const m of list) methods.add(m);
    } else if (declared.name === 'http_method_names') {
      for (const m of [...methods]) if (!list.includes(m)) methods.delete(m);
    }
  }
  return HTTP_METHODS.filter((m) => methods.has(m)).map((method) => {
    const fn = own.get(method) ?? (GENERIC_ACTIONS[method] ?? []).map((a) => own.get(a)).find(Boolean);
    return { method, ...(fn ? { fn } : {}) };
  });
}

/**
 * Routes of a view class on `router` at `paths` (`['']` for a mounted-only class router). The
 * handler body of each method gives parameters, statuses and rules; `extra` decorates each route
 * (framework-specific bodies and responses).
 */
export function classRoutes(
  name: string,
  cls: SyntaxNode,
  ctx: PyContext,
  router: string,
  paths: string[],
  params: ParamFact[],
  /** Framework additions; returning `false` leaves the route out (drf-spectacular `exclude=True`). */
  extra?: (route: RouteFact, view: ViewMethod) => void | false,
): RouteFact[] {
  const out: RouteFact[] = [];
  for (const view of viewMethods(name, cls, ctx)) {
    const handler = view.fn ? readHandler(view.fn, ctx, { scope: `${name}.${view.method}` }) : undefined;
    const route: RouteFact = {
      router,
      methods: [view.method],
      paths,
      handler: `${name}.${view.method}`,
      operationName: `${name}_${view.method}`,
      params: [...params, ...(handler?.params ?? [])],
      responses: handler?.responses ?? [],
      evidence: ctx.evidence(view.fn ? outerOf(view.fn) : outerOf(cls)),
      ruleIds: handler?.ruleIds ?? [],
    };
    if (handler?.body && view.method !== 'get' && view.method !== 'delete') route.body = handler.body;
    if (extra?.(route, view) === false) continue;
    ctx.facts.routes.push(route);
    out.push(route);
  }
  return out;
}

/** A framework's additions to a class view's routes (request bodies and responses from decorators or serializers). */
export type ViewDecorator = (route: RouteFact, view: ViewMethod, className: string, cls: SyntaxNode) => void | false;

/**
 * Every class-based view of the file becomes a mounted-only router (its routes at `''`): a URL
 * rule elsewhere gives it its path. Classes that declare their own route (`@ns.route('/x')`)
 * are routed where they are declared instead. `decoratorFor` picks the framework's additions.
 */
export function extractViewClasses(ctx: PyContext, decoratorFor: (className: string) => ViewDecorator | undefined): void {
  for (const [name, cls] of ctx.classes) {
    if (!isViewClass(name, ctx) || ctx.router(name)) continue;
    if (decoratorsOf(cls).some((d) => d.type === 'call' && /\.(route|resource)$/.test(callName(d) ?? ''))) continue;
    ctx.addRouter({ id: name, prefixes: [''], root: false, mountedOnly: true, evidence: ctx.evidence(outerOf(cls)), label: name });
    const decorate = decoratorFor(name);
    classRoutes(name, cls, ctx, name, [''], [], decorate ? (route, view) => decorate(route, view, name, cls) : undefined);
  }
}
