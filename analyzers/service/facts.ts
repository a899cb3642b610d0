/**
 * What a service frontend (Java, C#, PHP, Python, JS/TS) extracts from one file for the
 * cross-file step (`analyzers/service/link.ts`): routers, the routes declared on them, where
 * routers are mounted, types (DTOs) and string constants. Plain JSON, cached with the file's
 * result (`FileAnalysis.facts`), so a run where nothing changed re-links without re-parsing.
 *
 * The model is the one shape all the frameworks share: a *router* holds routes and may add a
 * prefix (a Spring controller's class-level `@RequestMapping`, a Flask blueprint's `url_prefix`,
 * an Express `Router()`, a Laravel route file, a DRF viewset); a *mount* attaches a router under
 * a prefix of another one, possibly in another file (`app.use('/api', users)`,
 * `register_blueprint`, `include_router`, `include('app.urls')`, JAX-RS sub-resource locators).
 * A route's full path is every chain of mount prefixes from a root down to it.
 */
import type { OpenAPIV3_1 } from 'openapi-types';
import type { Evidence } from '../model.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head';
/**
 * The methods of API operations. `head` is an `HttpMethod` (a frontend emits it for a HEAD
 * handler the code declares itself, e.g. `fastify.head()`, `[HttpHead]`) but not in this list:
 * frameworks answer HEAD for every GET on their own, and that is not an operation of its own.
 */
export const HTTP_METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * A path or prefix as extracted: an OpenAPI template, where a constant the extractor could not
 * resolve in its own file is left as `{{const:Name}}` (e.g. `{{const:Paths.USERS}}/{id}`) for
 * the link step to substitute from the constants of all files.
 */
export type PathText = string;

export interface RouterFact {
  /** Unique within its file: a variable (`router`, `bp`), a class (`UserController`), or `<file>` for a route file. */
  id: string;
  /** Prefixes the router puts before its routes (several for Spring's `value` arrays); `['']` when none. */
  prefixes: PathText[];
  /** The application itself (express(), Flask(), a Spring controller, a Laravel route file): served even when nothing mounts it. */
  root: boolean;
  evidence: Evidence;
  /** Human name for notes and tags, e.g. `UserController`, `users blueprint`. */
  label?: string;
  /**
   * Served only where something mounts it (a Django view or DRF viewset that a URLconf names, a
   * Flask `MethodView` that `add_url_rule` registers): no operation when no analyzed file does.
   */
  mountedOnly?: boolean;
  /** Typed parameters of the template parameters in `prefixes` (`url_prefix='/orgs/<int:org>'`). */
  params?: ParamFact[];
  /**
   * The router is another file's, imported here to declare routes on (Flask `from . import bp`
   * then `@bp.route`, FastAPI `from .api import router`): its routes follow that router's
   * prefixes and mounts, as if mounted on it with no prefix. Give it `prefixes: ['']`.
   */
  sameAs?: SymbolRef;
  /**
   * Routers this one inherits from, nearest first (a controller's base class, a Spring
   * controller's superclass): it serves their routes too, under its own prefixes or, when
   * `prefixes` is empty (none declared), under those of the nearest base that declares some.
   */
  bases?: SymbolRef[];
  /** Serves its routes only through the routers that inherit it (an abstract base controller). */
  abstract?: boolean;
  /**
   * Values of `{{token:NAME}}` placeholders in the prefixes, paths and schemas of the routes this
   * router serves, its own and inherited ones: ASP.NET's `[controller]` is the concrete class's
   * name, and a generic base controller's `T` the type argument, both known only where the
   * inheriting class is declared. A value may hold placeholders itself (a chain of generic bases).
   */
  tokens?: Record<string, string>;
}

/** How another file refers to a router or type: a name, optionally from a module. */
export interface SymbolRef {
  name: string;
  /**
   * The module as the language resolves it, already made root-relative by the extractor where
   * the language has relative imports: a JS/TS file path without extension (`src/routes/users`),
   * a Python dotted module (`app.api.users`), a Java/C# namespace-qualified class (`com.acme.Users`).
   */
  module?: string;
}

export interface MountFact {
  /** Router id in this file that the target is mounted on. */
  parent: string;
  prefixes: PathText[];
  target: SymbolRef;
  evidence: Evidence;
  /** Typed parameters of the template parameters in `prefixes` (Django `path('<int:pk>/', View.as_view())`). */
  params?: ParamFact[];
  /**
   * When set, every route below this mount ends with a slash (true) or without one (false),
   * whatever its own path says: the mounting router decides (DRF `DefaultRouter(trailing_slash=False)`).
   */
  trailingSlash?: boolean;
  /** The mount's prefixes replace the target router's own prefixes (flask-restx `add_namespace(ns, path='/x')`). */
  replacesPrefix?: boolean;
}

/**
 * Where a parameter is read from. `input` is a value the framework takes from the query string or
 * the body alike (Laravel `$request->input()`, Flask `request.values`): the link step makes it a
 * query parameter on GET, HEAD and DELETE, and a property of the request body otherwise (when the
 * route has no declared body) — unless a helper read it that GET or DELETE operations run too
 * (a base controller's response builder reading `include`): then it is a query option everywhere.
 */
export type ParamLocation = 'path' | 'query' | 'header' | 'cookie' | 'form' | 'input';

export interface ParamFact {
  name: string;
  in: ParamLocation;
  required?: boolean;
  schema?: OpenAPIV3_1.SchemaObject;
  description?: string;
  /** `@BeanParam`, `@ModelAttribute`, DRF filter classes: every property of this type becomes a parameter in `in`. */
  fromType?: string;
  evidence?: Evidence;
}

export interface BodyFact {
  /** May hold `{ $ref: '#/components/schemas/<TypeName>' }` by simple type name; the link step resolves them. */
  schema: OpenAPIV3_1.SchemaObject;
  contentType?: string;
  /**
   * Validated request input rather than a body proper (a Laravel FormRequest or `validate()`): on
   * GET and DELETE the framework reads it from the query string, so there its top-level
   * properties are query parameters.
   */
  input?: boolean;
}

export interface ResponseFact {
  /** `200`, `404`, `default`. */
  status: string;
  schema?: OpenAPIV3_1.SchemaObject;
  description?: string;
  contentType?: string;
  evidence?: Evidence;
}

export interface RouteFact {
  /** Router id in this file. */
  router: string;
  methods: HttpMethod[];
  /** Paths relative to the router (several for `@GetMapping({"/a", "/b"})`); `['']` for the router's own path. */
  paths: PathText[];
  /** Handler name for operation ids and notes: `UserController.getUser`, `list_users`, `GET /users` for anonymous handlers. */
  handler: string;
  /** Preferred operationId (the method or function name); the link step makes it unique. */
  operationName?: string;
  params: ParamFact[];
  body?: BodyFact;
  /** What the handler can answer; the link step adds a `200` when none is a success. */
  responses: ResponseFact[];
  summary?: string;
  description?: string;
  evidence: Evidence;
  /** Ids of rules in this file's result that govern this route. */
  ruleIds: string[];
  notes?: string[];
  tags?: string[];
  /**
   * The handler as declared elsewhere (a Laravel `[UserController::class, 'show']`, a Django view
   * named by string): the link step finds it among every file's `handlers` and merges its params,
   * body, responses and rules into this route's.
   */
  handlerRef?: HandlerRef;
  /**
   * Handlers that also run for this route (route middleware, before-filters), merged like a
   * handler's `calls`: their query/header params and responses, not their path params or rules.
   */
  calls?: string[];
  /** Not an API operation when the handler only renders pages (a Laravel web route whose controller returns `view()`). */
  dropIfView?: boolean;
  /**
   * Generated by convention (Laravel resource routes, viewset actions): dropped when the handler's
   * owner class is analyzed but has no such method (not even inherited).
   */
  requireHandler?: boolean;
  /** `{{token:NAME}}` values for this route only (ASP.NET's `[action]`), over the router's; also applied to `operationName`. */
  tokens?: Record<string, string>;
}

/** A reference to a handler: `Owner.member` (`UserController.show`), optionally namespace-qualified. */
export interface HandlerRef {
  name: string;
  /** `App\Http\Controllers\UserController.show`: preferred over `name` when both resolve. */
  qualified?: string;
}

/**
 * What one function or method contributes to the operations that use it as a handler (or that
 * call it as a helper): declared in its own file, merged into routes of any file by the link step.
 */
export interface HandlerFact {
  /** `Owner.member` (`UserController.show`, `ApiController.respondCreated`, `CreateUser.__construct`). */
  name: string;
  qualified?: string;
  params: ParamFact[];
  body?: BodyFact;
  responses: ResponseFact[];
  /** Ids of rules in this file's result that govern the operations using this handler. */
  ruleIds: string[];
  /**
   * Other handlers whose params, body (when this one has none) and responses also apply: helpers
   * it calls, request objects the framework builds for it. Names as in `name`; resolved through
   * `ServiceFacts.inherits`; unknown names are ignored. Their path parameters are not merged, and
   * their rules stay unattached (a helper serves many operations).
   */
  calls?: string[];
  /** Every way out renders a page or redirects (`view()`, templates): no API response. */
  view?: boolean;
  /**
   * Runs for every request the service serves, whatever route or group it hits (global
   * middleware, the application's exception handler): its query, header and cookie parameters,
   * and those of the helpers it calls, apply to every operation. Its body, responses, input keys
   * and rules do not (they depend on what went wrong, or are not the operation's contract).
   */
  global?: boolean;
  summary?: string;
  description?: string;
  notes?: string[];
  evidence: Evidence;
}

export interface TypeFact {
  /** Simple name (`UserDto`); the link step resolves `$ref`s by it. */
  name: string;
  /** Namespace-qualified name when the language has one, to tell same-named types apart. */
  qualified?: string;
  /** JSON Schema; refers to other types with `$ref: '#/components/schemas/<Name>'`. */
  schema: OpenAPIV3_1.SchemaObject;
  evidence: Evidence;
  /** Validation rules derived from constraints on its fields (ids in this file's rules). */
  ruleIds?: string[];
  /**
   * How properties bind when the type is expanded into parameters (`ParamFact.fromType`), by
   * property name in `schema`, where that differs from the property itself: another parameter
   * name (C# binds `PageSize` but serializes `pageSize`), another location (`[FromHeader]` on
   * the property), or not a parameter at all (`skip`: an injected service).
   */
  bindings?: Record<string, { name?: string; in?: ParamLocation; skip?: boolean }>;
}

export interface ServiceFacts {
  /** Names other files use to import this file (see `SymbolRef.module`). */
  moduleNames: string[];
  /** Exported name → router id (`default` for `export default` / `module.exports =`). */
  exports?: Record<string, string>;
  routers: RouterFact[];
  routes: RouteFact[];
  mounts: MountFact[];
  types: TypeFact[];
  /** String constants, by simple and qualified name (`USERS`, `Paths.USERS`). */
  constants: Record<string, string>;
  /** Handlers declared in this file (see `RouteFact.handlerRef`). */
  handlers?: HandlerFact[];
  /**
   * Class (simple name) → classes and traits it inherits members from, nearest first: a handler
   * `Child.m` not declared is looked up as `Parent.m`; an inherited handler's calls to its own
   * class (`Parent.x`) go to `Child.x` first when the child declares it (virtual dispatch).
   */
  inherits?: Record<string, string[]>;
}

export function emptyFacts(moduleNames: string[] = []): ServiceFacts {
  return { moduleNames, routers: [], routes: [], mounts: [], types: [], constants: {} };
}
