import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { analyze } from '../../../analyzers/analyze.js';
import { javascriptFrontend } from '../../../analyzers/javascript/index.js';
import { writeTree } from '../toy-tree.js';

/** Small trees for the idioms the golden fixtures do not show: `METHOD /path` of every operation, sorted. */
async function operations(t: TestContext, files: Record<string, string>): Promise<string[]> {
  const root = writeTree(t, files);
  const result = await analyze({ paths: [root], frontends: [javascriptFrontend] });
  return result.files.flatMap((f) => f.operations.map((o) => `${o.method.toUpperCase()} ${o.path}`)).sort();
}

test('Express: module.exports = { router } and a route function called with the app', async (t) => {
  const ops = await operations(t, {
    'app.js': "const express = require('express');\nconst { router } = require('./users');\nconst app = express();\napp.use('/users', router);\nrequire('./routes/health')(app);\n",
    'users.js': "const express = require('express');\nconst router = express.Router();\nrouter.get('/:id', (req, res) => res.json({}));\nmodule.exports = { router };\n",
    'routes/health.js': "module.exports = function (app) {\n  app.get('/health', (req, res) => res.send('ok'));\n};\n",
  });
  assert.deepEqual(ops, ['GET /health', 'GET /users/{id}']);
});

test('Express: a router made by an exported factory, mounted where it is called', async (t) => {
  const ops = await operations(t, {
    'app.ts': "import express from 'express';\nimport { createOrdersRouter } from './orders';\nconst app = express();\napp.use('/orders', createOrdersRouter(db));\n",
    'orders.ts': "import { Router } from 'express';\nexport function createOrdersRouter(db: unknown) {\n  const r = Router();\n  r.get('/', (req, res) => res.json([]));\n  r.post('/', (req, res) => res.status(201).json({}));\n  return r;\n}\n",
  });
  assert.deepEqual(ops, ['GET /orders', 'POST /orders']);
});

test('Express: class-based controllers with this.router and this.path', async (t) => {
  const ops = await operations(t, {
    'users.controller.ts': [
      "import { Router, Request, Response } from 'express';",
      'export class UsersController {',
      "  public path = '/users';",
      '  public router = Router();',
      '  constructor() {',
      '    this.router.get(`${this.path}/:id`, this.getById);',
      '    this.router.post(this.path, this.create);',
      '  }',
      '  getById = async (req: Request, res: Response) => {',
      '    res.json({ id: req.params.id, expand: req.query.expand });',
      '  };',
      '  create = async (req: Request, res: Response) => {',
      '    res.status(201).json(req.body);',
      '  };',
      '}',
      '',
    ].join('\n'),
  });
  assert.deepEqual(ops, ['GET /users/{id}', 'POST /users']);
});

test('ESM re-exports: export { default as x } from and export * from reach the router', async (t) => {
  const ops = await operations(t, {
    'src/app.ts': "import express from 'express';\nimport { users, items } from './routes/index.js';\nconst app = express();\napp.use('/users', users);\napp.use('/items', items);\n",
    'src/routes/index.ts': "export { default as users } from './users.js';\nexport * from './items.js';\n",
    'src/routes/users.ts': "import { Router } from 'express';\nconst router = Router();\nrouter.get('/', (req, res) => res.json([]));\nexport default router;\n",
    'src/routes/items.ts': "import { Router } from 'express';\nexport const items = Router();\nitems.delete('/:itemId', (req, res) => res.sendStatus(204));\n",
  });
  assert.deepEqual(ops, ['DELETE /items/{itemId}', 'GET /users']);
});

test('tsconfig path aliases resolve imports across the tree', async (t) => {
  const ops = await operations(t, {
    'tsconfig.json': '{\n  // comments are allowed\n  "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["src/*"] }, },\n}\n',
    'src/main.ts': "import express from 'express';\nimport accounts from '@/routes/accounts';\nconst app = express();\napp.use('/accounts', accounts);\n",
    'src/routes/accounts.ts': "import { Router } from 'express';\nconst r = Router();\nr.get('/:id', (req, res) => res.json({}));\nexport default r;\n",
  });
  assert.deepEqual(ops, ['GET /accounts/{id}']);
});

test('Fastify: fastify-plugin wrapped plugins, inline plugins and the prefix of nested registers', async (t) => {
  const ops = await operations(t, {
    'server.js': "const Fastify = require('fastify');\nconst fp = require('fastify-plugin');\nconst app = Fastify();\napp.register(require('./v1'), { prefix: '/v1' });\napp.register(async (instance) => {\n  instance.get('/inline', async () => ({}));\n}, { prefix: '/x' });\n",
    'v1.js': "const fp = require('fastify-plugin');\nasync function v1(fastify) {\n  fastify.register(require('./items'), { prefix: '/items' });\n}\nmodule.exports = fp(v1);\n",
    'items.js': "module.exports = async function (app) {\n  app.get('/', async (request) => ({ q: request.query.q }));\n  app.put('/:id', async (request, reply) => { reply.code(204); });\n};\n",
  });
  assert.deepEqual(ops, ['GET /v1/items', 'GET /x/inline', 'PUT /v1/items/{id}']);
});

test('Koa: export const routes = router.routes() and app.use(mount(prefix, api))', async (t) => {
  const ops = await operations(t, {
    'app.ts': "import Koa from 'koa';\nimport mount from 'koa-mount';\nimport api from './api';\nconst app = new Koa();\napp.use(mount('/api', api));\n",
    'api.ts': "import Koa from 'koa';\nimport Router from '@koa/router';\nimport { tagsRoutes } from './tags';\nconst api = new Koa();\nconst router = new Router();\nrouter.use(tagsRoutes);\napi.use(router.routes());\nexport default api;\n",
    'tags.ts': "import Router from 'koa-router';\nconst router = new Router();\nrouter.get('/tags', async (ctx) => { ctx.body = []; });\nexport const tagsRoutes = router.routes();\n",
  });
  assert.deepEqual(ops, ['GET /api/tags']);
});

test('not routes: HTTP clients, Map#get, express settings, catch-alls', async (t) => {
  const ops = await operations(t, {
    'app.js': [
      "const express = require('express');",
      "const axios = require('axios');",
      'const app = express();',
      'const cache = new Map();',
      "app.set('port', 3000);",
      "const port = app.get('port');",
      "cache.get('/users');",
      "axios.get('/api/users', { timeout: 5 });",
      "app.get('/real', async (req, res) => res.json(await axios.get('/elsewhere')));",
      "app.all('*', (req, res) => res.sendStatus(404));",
      "app.get('*', (req, res) => res.sendFile('index.html'));",
      '',
    ].join('\n'),
  });
  assert.deepEqual(ops, ['GET /real']);
});

test('query parameters read in a service the handler passes req.query to, in another file', async (t) => {
  const root = writeTree(t, {
    'routes.ts': "import { Router } from 'express';\nimport { search } from './service';\nexport const router = Router();\nrouter.get('/search', async (req, res) => res.json(await search(req.query)));\n",
    'service.ts': "export async function search(query: any) {\n  const where = buildWhere(query);\n  return { where, take: Number(query.limit) || 10 };\n}\nfunction buildWhere(q: any) {\n  if ('tag' in q) return { tag: q.tag };\n  return { term: q.term };\n}\n",
  });
  const result = await analyze({ paths: [root], frontends: [javascriptFrontend] });
  const op = result.files.flatMap((f) => f.operations)[0]!;
  assert.deepEqual(op.parameters?.map((p) => `${p.in}:${p.name}`).sort(), ['query:limit', 'query:tag', 'query:term']);
});

test('regression: enum values known only in another file give no enum, and nothing of the syntax tree leaks into rules', async (t) => {
  const root = writeTree(t, {
    'schema.ts': "import { z } from 'zod';\nimport { Perm } from './perm';\nexport const UpdateSchema = z.object({\n  role: z.enum([Perm.Admin, Perm.Read]).optional(),\n  name: z.string().min(2),\n});\n",
    'perm.ts': "export enum Perm { Admin = 'admin', Read = 'read' }\n",
  });
  const result = await analyze({ paths: [root], frontends: [javascriptFrontend] });
  const schema = result.files.flatMap((f) => ((f.facts as { types?: { name: string; schema: unknown }[] }).types ?? [])).find((x) => x.name === 'UpdateSchema')!;
  assert.deepEqual(schema.schema, { type: 'object', properties: { role: { type: 'string' }, name: { type: 'string', minLength: 2 } }, required: ['name'] });
  const rules = result.files.flatMap((f) => f.rules);
  assert.deepEqual(rules.map((r) => r.statement), ['`name` is required and must be at least 2 characters long (zod, UpdateSchema)']);
});

test('Fastify in TypeScript: FastifyRequest<{ Body; Querystring; Headers }> gives the body type and the query and header parameters', async (t) => {
  const root = writeTree(t, {
    'routes.ts': [
      "import type { FastifyInstance, FastifyRequest } from 'fastify';",
      'interface CreateItem { name: string; price: number }',
      'interface ItemQuery { dryRun?: boolean }',
      "interface Tenant { 'x-tenant': string }",
      'export default async function items(app: FastifyInstance) {',
      "  app.post('/items', async (request: FastifyRequest<{ Body: CreateItem; Querystring: ItemQuery; Headers: Tenant }>, reply) => {",
      '    reply.code(201);',
      '    return { id: 1 };',
      '  });',
      '}',
      '',
    ].join('\n'),
  });
  const result = await analyze({ paths: [root], frontends: [javascriptFrontend] });
  const op = result.files[0]!.operations[0]!;
  assert.equal(`${op.method} ${op.path}`, 'post /items');
  assert.deepEqual(op.requestSchema, { $ref: '#/components/schemas/CreateItem' });
  assert.deepEqual(op.parameters?.map((p) => `${p.in}:${p.name}:${p.required === true}`), ['query:dryRun:false', 'header:x-tenant:true']);
  assert.deepEqual(Object.keys(op.responses ?? {}), ['201']);
});

test('HEAD: app.head() in Express and router.head() in koa-router are operations; the HEAD every GET answers is not', async (t) => {
  const ops = await operations(t, {
    'app.js': "const express = require('express');\nconst app = express();\napp.get('/ping', (req, res) => res.send('ok'));\napp.head('/files/:id', (req, res) => res.status(200).end());\n",
    'koa.js': "const Router = require('@koa/router');\nconst router = new Router({ prefix: '/k' });\nrouter.get('/items', (ctx) => { ctx.body = []; });\nrouter.head('/items/:id', (ctx) => { ctx.status = 200; });\nmodule.exports = router;\n",
  });
  assert.deepEqual(ops, ['GET /k/items', 'GET /ping', 'HEAD /files/{id}', 'HEAD /k/items/{id}']);
});

test('Fastify HEAD: automatic HEAD routes only where @fastify/swagger lists them, and not when the server turns them off', async (t) => {
  const route = "  app.get('/items', async () => []);\n  app.head('/files/:id', async (req, reply) => { reply.send(); });\n";
  const plain = await operations(t, { 'app.js': `const fastify = require('fastify');\nconst app = fastify();\n${route}` });
  assert.deepEqual(plain, ['GET /items', 'HEAD /files/{id}']);
  const swaggerDefault = await operations(t, { 'app.js': `const fastify = require('fastify');\nconst swagger = require('@fastify/swagger');\nconst app = fastify();\napp.register(swagger, { openapi: {} });\n${route}` });
  assert.deepEqual(swaggerDefault, ['GET /items', 'HEAD /files/{id}']);
  const off = await operations(t, { 'app.js': `const fastify = require('fastify');\nconst swagger = require('@fastify/swagger');\nconst app = fastify({ exposeHeadRoutes: false });\napp.register(swagger, { exposeHeadRoutes: true });\n${route}` });
  assert.deepEqual(off, ['GET /items', 'HEAD /files/{id}']);
  const listed = await operations(t, { 'app.js': `const fastify = require('fastify');\nconst swagger = require('@fastify/swagger');\nconst app = fastify();\napp.register(swagger, { exposeHeadRoutes: true });\n${route}` });
  assert.deepEqual(listed, ['GET /items', 'HEAD /files/{id}', 'HEAD /items']);
});

test('regression: a plugin wrapped in fastify-plugin and held in a const declared after its register() call keeps its prefix', async (t) => {
  const ops = await operations(t, {
    'routes.ts': "import fp from 'fastify-plugin';\nimport { FastifyInstance } from 'fastify';\nexport default async function routes(fastify: FastifyInstance) {\n  fastify.register(async (f) => { f.register(inner); }, { prefix: '/sign' });\n}\nconst inner = fp(async (fastify: FastifyInstance) => {\n  fastify.post('/', async () => ({}));\n});\n",
    'app.ts': "import fastify from 'fastify';\nimport routes from './routes';\nconst app = fastify();\napp.register(routes, { prefix: 'upload' });\n",
  });
  assert.deepEqual(ops, ['POST /upload/sign']);
});
