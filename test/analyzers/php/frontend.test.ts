/**
 * The PHP frontend's edges: a tree without routes, broken syntax, the CLI and its cache, and the
 * pieces with many cases of their own (Laravel validation rules → schema, resource routes, route
 * file prefixes from the RouteServiceProvider / bootstrap/app.php, web paths of plain scripts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { fieldSchema } from '../../../analyzers/php/validation.js';
import { readLaravelRouting, routeFilePrefix } from '../../../analyzers/php/laravel-config.js';
import { resourceRoutes, singular } from '../../../analyzers/php/laravel-resources.js';
import { webPath } from '../../../analyzers/php/plain.js';
import type { TreeFile } from '../../../analyzers/model.js';
import { repoRoot, tempDir } from '../../helpers/tmp.js';
import { writeTree } from '../toy-tree.js';
import { fixtures, runPhp, validateRules } from './harness.js';

test('a PHP tree without routes yields no operation and an info diagnostic', async () => {
  const run = await runPhp(join(fixtures, 'no-routes'));
  assert.equal(run.operations.size, 0);
  assert.deepEqual(
    run.rules.diagnostics.map((d) => [d.path, d.severity]),
    [['app/Models/Invoice.php', 'info']],
  );
  assert.match(run.rules.diagnostics[0]!.message, /no HTTP routes found in the 1 php file/);
  assert.equal(run.doc.paths && Object.keys(run.doc.paths).length, 0);
});

test('broken PHP syntax: a warning with the lines, no crash, the intact routes still found', async () => {
  const run = await runPhp(join(fixtures, 'broken'));
  const warning = run.rules.diagnostics.find((d) => d.severity === 'warning');
  assert.ok(warning);
  assert.equal(warning.path, 'routes/api.php');
  assert.equal(warning.line, 8);
  assert.match(warning.message, /lines 8, 11/);
  assert.ok(run.operations.has('GET /api/ok'));
  assert.ok(!run.rules.diagnostics.some((d) => d.severity === 'error'));
});

test('ficus analyze on a Laravel tree: exit 0, valid outputs, the second run from the cache is identical', async (t) => {
  const root = tempDir(t);
  const bin = join(repoRoot, 'dist', 'cli', 'ficus.js');
  const src = join(fixtures, 'laravel-controllers');
  const cli = (args: string[]) => spawnSync(process.execPath, [bin, 'analyze', src, '--out', join(root, 'out'), ...args], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 });
  const first = cli([]);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /4 operations/);
  const openapi = readFileSync(join(root, 'out', 'openapi.yaml'), 'utf8');
  const res = await new Validator().validate(openapi);
  assert.equal(res.valid, true, JSON.stringify(res.errors));
  const rules = readFileSync(join(root, 'out', 'rules.json'), 'utf8');
  assert.ok(validateRules(JSON.parse(rules)), JSON.stringify(validateRules.errors));
  const second = cli([]);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /\(0 analyzed, 6 cached, 0 failed\)/);
  assert.equal(readFileSync(join(root, 'out', 'openapi.yaml'), 'utf8'), openapi, 'linked from cached facts the same');
  assert.equal(readFileSync(join(root, 'out', 'rules.json'), 'utf8'), rules);
});

test('a handler declared in a file analyzed from the cache still links after its route file changes', async (t) => {
  const root = writeTree(t, {
    'routes/api.php': "<?php\nuse App\\Http\\Controllers\\A;\nRoute::get('a/{id}', [A::class, 'show']);\n",
    'app/Http/Controllers/A.php': "<?php\nnamespace App\\Http\\Controllers;\nclass A { public function show(int $id) { abort_if($id < 1, 404); return ['id' => $id]; } }\n",
  });
  const run = await runPhp(root);
  const op = run.operations.get('GET /api/a/{id}')!;
  assert.deepEqual(op.parameters?.map((p) => [p.name, p.in, p.schema?.type]), [['id', 'path', 'integer']]);
  assert.ok(op.responses['404']);
  assert.equal(op.operationId, 'aShow');
});

test('Laravel validation rules become JSON Schema constraints', () => {
  assert.deepEqual(fieldSchema(['required', 'string', 'max:255']), { type: 'string', maxLength: 255 });
  assert.deepEqual(fieldSchema(['integer', 'min:1', 'max:10']), { type: 'integer', minimum: 1, maximum: 10 });
  assert.deepEqual(fieldSchema(['numeric', 'between:0.5,9']), { type: 'number', minimum: 0.5, maximum: 9 });
  assert.deepEqual(fieldSchema(['nullable', 'email']), { type: ['string', 'null'], format: 'email' });
  assert.deepEqual(fieldSchema(['in:a,b']), { type: 'string', enum: ['a', 'b'] });
  assert.deepEqual(fieldSchema(['array', 'min:1']), { type: 'array', minItems: 1 });
  assert.deepEqual(fieldSchema(['boolean']), { type: 'boolean' });
  assert.deepEqual(fieldSchema(['regex:/^[A-Z]{3}$/i']), { type: 'string', pattern: '^[A-Z]{3}$' });
  assert.deepEqual(fieldSchema(['digits:4']), { pattern: '^\\d{4}$' });
  assert.deepEqual(fieldSchema(['max:20']), { maxLength: 20 }, 'a size without a type rule is a string length');
  assert.deepEqual(fieldSchema(['image', 'max:2048']), { type: 'string', format: 'binary' }, 'file sizes are kilobytes, not a length');
});

test('resource routes: resource, apiResource, only/except, nested, shallow, singleton', () => {
  const uris = (rs: ReturnType<typeof resourceRoutes>) => rs.map((r) => `${r.methods.join('|')} ${r.uri} ${r.action}`);
  assert.deepEqual(uris(resourceRoutes('resource', 'photos')), [
    'get photos index',
    'get photos/create create',
    'post photos store',
    'get photos/{photo} show',
    'get photos/{photo}/edit edit',
    'put|patch photos/{photo} update',
    'delete photos/{photo} destroy',
  ]);
  assert.deepEqual(uris(resourceRoutes('apiResource', 'photos.comments', { except: ['update'] })), [
    'get photos/{photo}/comments index',
    'post photos/{photo}/comments store',
    'get photos/{photo}/comments/{comment} show',
    'delete photos/{photo}/comments/{comment} destroy',
  ]);
  assert.deepEqual(uris(resourceRoutes('apiResource', 'photos.comments', { shallow: true, only: ['index', 'show'] })), ['get photos/{photo}/comments index', 'get comments/{comment} show']);
  assert.deepEqual(uris(resourceRoutes('apiResource', 'articles/{article}/comments', { only: ['destroy'] })), ['delete articles/{article}/comments/{comment} destroy']);
  assert.deepEqual(uris(resourceRoutes('apiResource', 'user-photos', { parameters: {} , only: ['show'] })), ['get user-photos/{user_photo} show']);
  assert.deepEqual(uris(resourceRoutes('apiSingleton', 'profile')), ['get profile show', 'put|patch profile update']);
  assert.deepEqual(['categories', 'addresses', 'statuses', 'people', 'courses', 'boxes'].map(singular), ['category', 'address', 'status', 'person', 'course', 'box']);
});

test('route file prefixes: Laravel defaults, a RouteServiceProvider prefix, Laravel 11 apiPrefix, Lumen', () => {
  const tree = (files: Record<string, string>): TreeFile[] => Object.entries(files).map(([path, text]) => ({ path, absolutePath: `/x/${path}`, read: () => text }));
  assert.equal(routeFilePrefix('routes/api.php', readLaravelRouting([])), '/api');
  assert.equal(routeFilePrefix('routes/web.php', readLaravelRouting([])), '');
  const provider = readLaravelRouting(
    tree({ 'app/Providers/RouteServiceProvider.php': "<?php\nRoute::prefix('api/v2')->middleware('api')->group(base_path('routes/api.php'));\nRoute::group(['prefix' => 'admin'], function () { require base_path('routes/admin.php'); });\n" }),
  );
  assert.equal(routeFilePrefix('routes/api.php', provider), '/api/v2');
  assert.equal(routeFilePrefix('routes/admin.php', provider), '/admin');
  const l11 = readLaravelRouting(tree({ 'svc/bootstrap/app.php': "<?php\nreturn Application::configure()->withRouting(\n  web: __DIR__.'/../routes/web.php',\n  api: __DIR__.'/../routes/api.php',\n  apiPrefix: '/v1',\n)->create();\n" }));
  assert.equal(routeFilePrefix('svc/routes/api.php', l11), '/v1');
  assert.equal(routeFilePrefix('svc/routes/web.php', l11), '');
  const lumen = readLaravelRouting(tree({ 'bootstrap/app.php': "<?php\n$app = new Laravel\\Lumen\\Application(dirname(__DIR__));\n" }));
  assert.equal(routeFilePrefix('routes/api.php', lumen), '');
});

test('plain PHP scripts are served at their path under the web root', () => {
  assert.equal(webPath('public/api/users.php'), '/api/users.php');
  assert.equal(webPath('site/htdocs/index.php'), '/index.php');
  assert.equal(webPath('api/orders.php'), '/api/orders.php');
});
