/**
 * FastAPI idioms the fixture specs cannot say alone: route paths held by variables (resolved, or
 * reported and skipped, never a variable name as a path segment), a package analyzed below the
 * root its absolute imports start from, and dependency pseudo-types that expand to nothing
 * without a note.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { OpenAPIV3_1 } from 'openapi-types';
import { analyzeFixture, fixturesRoot, operations } from './harness.js';

const paramsOf = (op: OpenAPIV3_1.OperationObject | undefined): string[] => ((op?.parameters ?? []) as OpenAPIV3_1.ParameterObject[]).map((p) => `${p.in}:${p.name}`).sort();

test('route paths from variables: a parameter default, an f-string with escaped braces, a concatenated constant, a settings Field default; unreadable ones reported and skipped', async () => {
  const { doc, result } = await analyzeFixture('fastapi-variable-paths');
  const ops = operations(doc);
  assert.deepEqual([...ops.keys()].sort(), ['GET /admin/stats', 'GET /docs/index', 'GET /v1/items/{item_id}', 'GET /v1/ping']);
  assert.deepEqual(paramsOf(ops.get('GET /v1/items/{item_id}')), ['path:item_id']);
  const warnings = result.files.flatMap((f) => f.diagnostics).filter((d) => d.severity === 'warning');
  assert.deepEqual(
    warnings.map((d) => [d.path, d.line]),
    [
      ['main.py', 16],
      ['main.py', 34],
    ],
  );
  assert.match(warnings[0]!.message, /status_path.*the route is skipped/);
  assert.match(warnings[1]!.message, /ADMIN.*the route is skipped/);
});

test('a package analyzed below its import root: `from acme.shop import api` in acme/shop/ mounts the router, with the include dependency header', async () => {
  const { doc, result } = await analyzeFixture(join(fixturesRoot, 'fastapi-subpackage', 'acme', 'shop'));
  const ops = operations(doc);
  assert.deepEqual([...ops.keys()], ['GET /v2/items']);
  assert.deepEqual(paramsOf(ops.get('GET /v2/items')), ['header:x-key']);
  assert.deepEqual(result.files.flatMap((f) => f.diagnostics).filter((d) => d.severity !== 'info'), []);
});

test('dependencies that read nothing from a location (a file without FastAPI imports, a class without __init__) leave no "not expanded" note', async () => {
  const { doc } = await analyzeFixture('fastapi-dependencies');
  for (const [key, op] of operations(doc)) {
    const notes = ((op as Record<string, unknown>)['x-ficus-notes'] as string[] | undefined) ?? [];
    assert.deepEqual(
      notes.filter((n) => /not expanded/.test(n)),
      [],
      key,
    );
  }
});

test('rules of dependencies in other files: a callable class instance’s __call__ and a factory’s inner function, with exact evidence lines', async () => {
  const { outputs } = await analyzeFixture('fastapi-dependencies');
  const rules = outputs.rules.rules.map((r) => ({ effects: r.effects, evidence: r.evidence.map((e) => `${e.path}:${e.startLine}-${e.endLine}`) }));
  assert.deepEqual(rules.find((r) => r.effects.includes('400 "API version too old"'))?.evidence, ['app/api/dependencies.py:16-17']);
  assert.deepEqual(rules.find((r) => r.effects.includes('403 "Forbidden"'))?.evidence, ['app/api/dependencies.py:42-43']);
  assert.deepEqual(rules.find((r) => r.effects.includes('401 "Invalid API key"'))?.evidence, ['app/api/auth.py:5-6']);
  // A dependency in a file without FastAPI imports (a session provider) is infrastructure: no request rule.
  assert.deepEqual(rules.filter((r) => r.evidence.some((e) => e.startsWith('app/db.py'))), []);
});

test('names bound to each other in circles (a = b; b = a; nested loops over each other) end the analysis; the readable route is found', async () => {
  const { doc, result } = await analyzeFixture('fastapi-cycles');
  assert.deepEqual([...operations(doc).keys()], ['GET /ok']);
  assert.ok(result.files.flatMap((f) => f.diagnostics).some((d) => /route path path is not a string/.test(d.message)));
});
