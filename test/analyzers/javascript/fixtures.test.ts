import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeFixture, expectedOf, operationsOf } from './harness.js';

/**
 * Golden fixtures, one per framework idiom set: the operations (`METHOD /path`) must be exactly
 * the expected ones; for each, the details listed in expected.json (operationId, `in:name`
 * parameters, statuses, request body, number of rules) must match.
 */
const cases = [
  // require() prefixes across files, directory index, exports.router, route() chain, :id? and :id(\\d+), handler in another file
  'express-require',
  // ESM/TS: export default, named and namespace imports, factory router, 3 nested levels, TS interface typed handlers, zod
  'express-esm-ts',
  // Joi + celebrate, express-validator chains
  'express-validators',
  // @koa/router and koa-router: prefix option, router.prefix(), nested use(), chained verbs, named route, ctx idioms
  'koa-router',
  // register with prefix (require and dynamic import), route schemas (literal, module, TypeBox), route(), @fastify/autoload
  'fastify-plugins',
  // plugins reached through `export * as` / `export { default as }` barrels, prefixes without a slash,
  // fastify.head() and route({ method: ['GET', 'HEAD'] }), automatic HEAD routes with @fastify/swagger's
  // exposeHeadRoutes (not for exposeHeadRoute: false), a `/*` route with a schema under a prefix
  'fastify-barrels',
  // @Controller, verb decorators, param decorators, pipes, @HttpCode, setGlobalPrefix in main.ts
  'nest-controller',
];

describe('JS/TS fixtures: operations, parameters and statuses', () => {
  for (const name of cases) {
    test(name, async () => {
      const { outputs } = await analyzeFixture(name);
      const actual = operationsOf(outputs.openapi);
      const expected = expectedOf(name);
      assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected.operations).sort());
      for (const [op, details] of Object.entries(expected.operations)) {
        for (const [key, value] of Object.entries(details)) assert.deepEqual(actual[op]![key as keyof typeof details], value, `${op}: ${key}`);
      }
    });
  }
});
