/**
 * What the JS/TS frontend adds to the shared per-file facts (`analyzers/service/facts.ts`) so
 * that routes can be completed across files before the shared link step runs: Express and Koa
 * code very often declares the route in one file and the handler in another
 * (`router.get('/', users.list)` with `users` imported), and Fastify route schemas live in
 * their own modules. Each file publishes summaries of the functions and schema objects it
 * exports; a route keeps `SymbolRef`s to the ones it uses (`cross-file.ts` resolves them).
 * Plain JSON, cached with the file.
 */
import type { BodyFact, ParamFact, ResponseFact, RouteFact, ServiceFacts, SymbolRef } from '../service/facts.js';
import type { Schema } from '../service/schema.js';
import type { AutoloadFact } from './fastify.js';

/**
 * An argument a call passes on: the `param`-th parameter of the calling function (for a route:
 * 0 = the request, or Koa's context; 1 = the response), or a member path of it (`query`,
 * `request.body`).
 */
export interface ForwardedArg {
  param: number;
  path: string;
}

/** A call to a function of another file that receives (part of) the request or the response. */
export interface Forward {
  ref: SymbolRef;
  /** By argument position; null for arguments that are neither. */
  args: (ForwardedArg | null)[];
  /** A route-level middleware: its rejections and reads count, its successes do not. */
  middleware?: boolean;
}

/** How a function uses its parameters and what it answers, as far as one file shows. */
export interface FunctionSummary {
  /** Member paths read on each parameter (`query.page`, `headers.x-api-key`, `get()X-Token`, `body.*`), by parameter position. */
  reads: string[][];
  forwards: Forward[];
  /** Statuses the function produces (`res.status(404)`, `ctx.throw(400)`, `reply.code(201)`), with schemas when typed. */
  responses: ResponseFact[];
  /** Rules of this file found inside the function. */
  ruleIds: string[];
  /** Request parts the function's first parameter declares by type (`Request<P, Res, Body, Query>`, `FastifyRequest<{ Body }>`). */
  declared?: DeclaredRequest;
  /** Parameters a validator middleware declares (express-validator `query('page')`, celebrate segments). */
  params?: ParamFact[];
  /** A request body schema a validator declares (`schema.validate(req.body)`, `body('email').isEmail()`). */
  body?: BodyFact;
  notes?: string[];
  /** `param:path` → schema hints (`parseInt(req.query.page)` → integer, `{ page = 1 }` → default). */
  hints?: Record<string, Schema>;
}

/** What a request parameter's type says about the request. */
export interface DeclaredRequest {
  body?: Schema;
  /** A type whose properties are query parameters (name), or an inline object schema. */
  query?: Schema;
  headers?: Schema;
  params?: Schema;
  response?: Schema;
}

/** A Fastify route `schema` object (`{ querystring, params, headers, body, response }`) exported by a module. */
export interface RouteSchemaFact {
  querystring?: Schema;
  params?: Schema;
  headers?: Schema;
  body?: Schema;
  response?: Record<string, Schema>;
}

export interface JsRouteFact extends RouteFact {
  /** Functions of other files that handle this route (the handler, route-level middlewares). */
  forwards?: Forward[];
  /** A route schema object from another file (`schema: schemas.getArticles`). */
  schemaRef?: SymbolRef;
  /** NestJS controllers take the application's `setGlobalPrefix`. */
  nest?: boolean;
  /** A named schema a validator middleware applies to the request (`validate(T.CreateSchema)`): a request schema of another file gives its parts. */
  requestSchema?: string;
  /** An inline handler: its operations are named after their full path once the link step knows it (`getApiUsersById`). */
  anonymous?: boolean;
  /**
   * A GET route Fastify also answers HEAD for on its own (`exposeHeadRoutes`, on by default): a
   * HEAD operation only where the service documents those routes (`headRoutesDocumented`).
   */
  implicitHead?: boolean;
}

export interface JsFacts extends ServiceFacts {
  routes: JsRouteFact[];
  /** Summaries of exported functions by export path (`default`, `list`, `default.list`, `articles.feed.get`, `UserController.list`). */
  functions?: Record<string, FunctionSummary>;
  /** Exported Fastify route schema objects by export path. */
  routeSchemas?: Record<string, RouteSchemaFact>;
  /** NestJS `app.setGlobalPrefix('api')`. */
  globalPrefix?: string;
  /** Ids of this file's NestJS controllers (they take the application's global prefix). */
  nestRouters?: string[];
  /** `export { default as users } from './users'` and `module.exports = require('./x')`: export name → where it really is. */
  reexports?: Record<string, SymbolRef>;
  /** `export * from './x'`: modules whose exports are this module's too. */
  starExports?: string[];
  /** `@fastify/autoload` registrations. */
  autoloads?: AutoloadFact[];
  /**
   * Named request schemas (`z.object({ body, query, params })`, `BaseSchema.extend({ body })`) by
   * type name: a route validated with one imported from another file takes its parts.
   */
  requestSchemas?: Record<string, RouteSchemaFact>;
  /** `register(fastifySwagger, { exposeHeadRoutes: true })`: the service documents the HEAD route of every GET route. */
  headRoutesDocumented?: boolean;
  /** `Fastify({ exposeHeadRoutes: false })`: the server has no automatic HEAD routes. */
  headRoutesOff?: boolean;
}

export type { BodyFact, ParamFact, ResponseFact };
