import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../../analyzers/analyze.js';
import { javascriptFrontend } from '../../../analyzers/javascript/index.js';
import { writeTree } from '../toy-tree.js';
import { analyzeFixture } from './harness.js';

test('a tree without routes yields no operation and the info diagnostic', async () => {
  const { result, outputs } = await analyzeFixture('no-routes');
  assert.equal(result.summary.operations, 0);
  assert.deepEqual(Object.keys(outputs.openapi.paths ?? {}), []);
  const diags = outputs.rules.diagnostics;
  assert.equal(diags.length, 1);
  assert.equal(diags[0]!.severity, 'info');
  assert.match(diags[0]!.message, /no HTTP routes found in the 2 javascript files analyzed/);
});

test('broken syntax: a warning with the lines, no crash, the parseable routes still found, no rule from the broken condition', async () => {
  const { result, outputs } = await analyzeFixture('broken');
  assert.equal(result.summary.failed, 0);
  const diags = outputs.rules.diagnostics.map((d) => [d.path, d.line, d.severity]);
  assert.deepEqual(diags, [
    ['app.js', 7, 'warning'],
    ['types.ts', 3, 'warning'],
  ]);
  assert.match(outputs.rules.diagnostics[0]!.message, /at lines 7, 12/);
  assert.ok(outputs.openapi.paths?.['/ok']?.get);
  assert.equal(outputs.rules.rules.filter((r) => r.condition?.includes('req.body.x')).length, 0);
});

test('facts survive a JSON round trip (they are cached as JSON)', async () => {
  for (const name of ['express-require', 'express-esm-ts', 'express-validators', 'koa-router', 'fastify-plugins', 'nest-controller']) {
    const { result } = await analyzeFixture(name);
    for (const f of result.files) assert.deepEqual(JSON.parse(JSON.stringify(f.facts)), f.facts, `${name}/${f.source.path}`);
  }
});

test('declarations, bundles, build output, compiled CommonJS and tests are not analyzed', () => {
  const accepts = (path: string, head = 'const x = 1;\n'): boolean => javascriptFrontend.accepts(path, head);
  assert.equal(accepts('src/app.ts'), true);
  assert.equal(accepts('src/app.mjs'), true);
  assert.equal(accepts('src/App.tsx'), true);
  assert.equal(accepts('src/types.d.ts'), false);
  assert.equal(accepts('public/vendor.min.js'), false);
  assert.equal(accepts('dist/app.js'), false);
  assert.equal(accepts('build/server.js'), false);
  assert.equal(accepts('src/app.test.ts'), false);
  assert.equal(accepts('src/__tests__/app.js'), false);
  assert.equal(accepts('test/server.js'), false);
  assert.equal(accepts('lib/app.js', '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nconst express_1 = require("express");\n'), false);
  assert.equal(accepts('lib/bundle.js', `${'a'.repeat(3000)}`), false);
  assert.equal(accepts('README.md'), false);
});

test('a mount of a router that is really middleware (no router exported) adds no prefix and no warning', async (t) => {
  const root = writeTree(t, {
    'app.js': "const express = require('express');\nconst auth = require('./auth');\nconst users = require('./users');\nconst app = express();\napp.use(auth);\napp.use('/users', users);\n",
    'auth.js': 'module.exports = function auth(req, res, next) {\n  if (!req.get("Authorization")) return res.sendStatus(401);\n  next();\n};\n',
    'users.js': "const router = require('express').Router();\nrouter.get('/', (req, res) => res.json([]));\nmodule.exports = router;\n",
  });
  const result = await analyze({ paths: [root], frontends: [javascriptFrontend] });
  assert.deepEqual(result.files.flatMap((f) => f.operations.map((o) => `${o.method} ${o.path}`)), ['get /users']);
  assert.deepEqual(result.files.flatMap((f) => f.diagnostics), []);
});

test('a route path computed at run time is left out with a warning naming the line; an env default is used', async (t) => {
  const root = writeTree(t, {
    'app.js': "const express = require('express');\nconst app = express();\napp.get(paths[process.env.KIND], (req, res) => res.send('ok'));\napp.get(/.*fly$/, (req, res) => res.send('fly'));\napp.get(process.env.HEALTH_PATH || '/health', (req, res) => res.send('ok'));\n",
  });
  const result = await analyze({ paths: [join(root)], frontends: [javascriptFrontend] });
  assert.deepEqual(result.files[0]!.operations.map((o) => o.path), ['/health']);
  assert.deepEqual(result.files[0]!.operations[0]!.notes, ['process.env.HEALTH_PATH read as empty: the prefix comes from the mount']);
  assert.deepEqual(result.files[0]!.diagnostics.map((d) => [d.line, d.severity]), [
    [3, 'warning'],
    [4, 'warning'],
  ]);
});
