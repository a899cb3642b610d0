/**
 * Koa idioms: the application (`new Koa()`), routers of `@koa/router` / `koa-router`
 * (`new Router({ prefix: '/api' })`, `Router()`, `router.prefix('/x')`), the middleware a router
 * hands to `use` (`router.routes()`, `router.middleware()`; `allowedMethods()` is not a router),
 * and named routes (`router.get('user', '/users/:id', h)`). Handlers read the request through
 * the context (`ctx.query`, `ctx.request.body`, `ctx.params`, `ctx.get('X')`) and answer with
 * `ctx.status`, `ctx.body` and `ctx.throw` — the read-path model of `handlers.ts` covers both.
 */
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { Evaluator } from './evaluate.js';
import { isPlainObject } from './evaluate.js';
import type { Scope } from './scope.js';
import { argumentsOf, callParts, unwrap } from './syntax.js';

export const KOA_ROUTER_PACKAGES = ['@koa/router', 'koa-router', 'koa-tree-router', '@eggjs/router', 'koa-better-router'];

/** `new Koa()` (root) or a koa-router router with its prefix option. */
export function koaCreation(node: SyntaxNode, scope: Scope, evaluator: Evaluator): { root: boolean; prefix?: string } | undefined {
  if (node.type !== 'new_expression' && node.type !== 'call_expression') return undefined;
  const fn = unwrap(node.childForFieldName(node.type === 'new_expression' ? 'constructor' : 'function'));
  if (!fn) return undefined;
  if (scope.fromPackage(fn, ['koa'])) return node.type === 'new_expression' ? { root: true } : undefined;
  const routerPkg = scope.fromPackage(fn, KOA_ROUTER_PACKAGES);
  const bareRouter = !routerPkg && node.type === 'new_expression' && fn.type === 'identifier' && /^(Router|KoaRouter)$/.test(fn.text) && !scope.lookup(fn.text, fn);
  if (!routerPkg && !bareRouter) {
    if (node.type === 'new_expression' && fn.type === 'identifier' && fn.text === 'Koa' && !scope.lookup('Koa', fn)) return { root: true };
    return undefined;
  }
  const opts = evaluator.value(argumentsOf(node)[0]);
  const prefix = isPlainObject(opts) && typeof opts.prefix === 'string' ? opts.prefix : undefined;
  return { root: false, ...(prefix !== undefined ? { prefix } : {}) };
}

/** `router.routes()` / `router.middleware()`: the router itself, for `use`. */
export function koaRoutesOf(node: SyntaxNode): SyntaxNode | undefined {
  const n = unwrap(node);
  if (n?.type !== 'call_expression') return undefined;
  const parts = callParts(n);
  return parts?.object && (parts.name === 'routes' || parts.name === 'middleware') && parts.args.length === 0 ? parts.object : undefined;
}

/** `router.allowedMethods()` and friends: middleware of a router that serves no route of its own. */
export function isKoaHelperMiddleware(node: SyntaxNode): boolean {
  const n = unwrap(node);
  if (n?.type !== 'call_expression') return false;
  const parts = callParts(n);
  return !!parts?.object && parts.name === 'allowedMethods';
}

/** `mount('/api', api)` / `mount(app)` of koa-mount: the prefix node (if any) and the mounted app or middleware. */
export function koaMount(node: SyntaxNode, scope: Scope): { prefix?: SyntaxNode; target: SyntaxNode } | undefined {
  const n = unwrap(node);
  if (n?.type !== 'call_expression') return undefined;
  const fn = unwrap(n.childForFieldName('function'));
  if (!fn) return undefined;
  const isMount = scope.fromPackage(fn, ['koa-mount']) || (fn.type === 'identifier' && fn.text === 'mount' && !scope.lookup('mount', fn));
  if (!isMount) return undefined;
  const args = argumentsOf(n);
  if (args.length === 1) return { target: args[0]! };
  if (args.length >= 2) return { prefix: args[0]!, target: args[1]! };
  return undefined;
}
