/**
 * Express idioms: the application (`express()`, `require('express')()`), routers
 * (`express.Router()`, `Router()` imported from express or express-promise-router,
 * `require('express').Router()`), `router.route('/x').get(h).post(h)` chains, and the
 * arguments of `use` (an optional path or array of paths, then middlewares and routers). Route
 * registration itself (`app.get(path, ...middlewares, handler)`) has the shape Koa and Fastify
 * share and lives in `routing.ts`.
 */
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { Scope } from './scope.js';
import { callParts, memberPath, unwrap } from './syntax.js';

export const EXPRESS_PACKAGES = ['express', 'express-promise-router', 'express-async-router', '@awaitjs/express', 'ultimate-express'];

/** The router or application an Express creation expression makes. */
export function expressCreation(node: SyntaxNode, scope: Scope): { root: boolean } | undefined {
  if (node.type !== 'call_expression') return undefined;
  const fn = unwrap(node.childForFieldName('function'));
  if (!fn) return undefined;
  // require('express')()
  if (fn.type === 'call_expression' && scope.fromPackage(fn, ['express'])) return { root: true };
  const pkg = scope.fromPackage(fn, EXPRESS_PACKAGES);
  const path = memberPath(fn);
  const last = path?.[path.length - 1];
  if (pkg) {
    const imp = scope.importOf(fn);
    const name = imp?.name ?? '';
    if (pkg === 'express' && (name === 'default' || name === '*' || name === 'express')) return { root: true };
    if (/(^|\.)Router$/.test(name) || last === 'Router') return { root: false };
    if (pkg !== 'express') return { root: false };
    return undefined;
  }
  // express.Router() where express is not visibly imported (a global, a re-export)
  if (path && path.length === 2 && path[0] === 'express' && path[1] === 'Router') return { root: false };
  if (fn.type === 'member_expression' && last === 'Router') {
    const obj = unwrap(fn.childForFieldName('object'));
    // require('express').Router()
    if (obj?.type === 'call_expression' && scope.fromPackage(obj, EXPRESS_PACKAGES)) return { root: false };
  }
  if (fn.type === 'identifier' && fn.text === 'express' && !scope.lookup('express', fn)) return { root: true };
  return undefined;
}

/** For `.get(h)` in `router.route('/x').get(h).post(h)`: the `route(...)` call. */
export function routeChainBase(call: SyntaxNode, httpMethods: ReadonlySet<string>): SyntaxNode | undefined {
  let n: SyntaxNode | null = unwrap(callParts(call)?.object ?? null);
  while (n && n.type === 'call_expression') {
    const parts = callParts(n);
    if (!parts?.object) return undefined;
    if (parts.name === 'route' && parts.args.length === 1) return n;
    if (!httpMethods.has(parts.name)) return undefined;
    n = unwrap(parts.object);
  }
  return undefined;
}
