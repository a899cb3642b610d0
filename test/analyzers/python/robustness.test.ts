import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { repoRoot, tempDir } from '../../helpers/tmp.js';
import { analyzeFixture, fixturesRoot, operations } from './harness.js';

test('Python files without routes: no operation, one info diagnostic naming the frameworks looked for', async () => {
  const { result, doc } = await analyzeFixture('no-routes');
  assert.equal(operations(doc).size, 0);
  const diagnostics = result.files.flatMap((f) => f.diagnostics);
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0]!.severity, 'info');
  assert.match(diagnostics[0]!.message, /no HTTP routes found in the 1 python file analyzed \(looked for Flask, FastAPI, Django/);
});

test('broken syntax: a warning with its line, the routes before the error still found, no crash', async () => {
  const { result, doc } = await analyzeFixture('broken');
  assert.deepEqual([...operations(doc).keys()], ['GET /ok']);
  const warnings = result.files.flatMap((f) => f.diagnostics).filter((d) => d.severity === 'warning');
  assert.deepEqual(
    warnings.map((w) => [w.path, w.line]),
    [
      ['app.py', 11],
      ['binary.py', 1],
    ],
  );
  assert.equal(result.summary.failed, 0);
  assert.equal(result.files.flatMap((f) => f.diagnostics).filter((d) => d.severity === 'error').length, 0);
});

test('ficus analyze CLI on a Python service: exit 0, valid openapi.yaml, rules.json and report.md', async (t) => {
  const out = join(tempDir(t), 'out');
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli', 'ficus.js'), 'analyze', join(fixturesRoot, 'fastapi-routers'), '--out', out, '--no-cache', '--quiet', '--llm', 'none'], {
    cwd: tempDir(t),
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /14 operations/);
  for (const f of ['openapi.yaml', 'rules.json', 'report.md']) assert.ok(existsSync(join(out, f)), f);
  const res = await new Validator().validate(readFileSync(join(out, 'openapi.yaml'), 'utf8'));
  assert.equal(res.valid, true, JSON.stringify(res.errors));
  assert.match(readFileSync(join(out, 'openapi.yaml'), 'utf8'), /\/api\/v1\/items\/\{item_id\}:/);
});

test('test files are not analyzed: they are not served', async () => {
  const { acceptsPython } = await import('../../../analyzers/python/index.js');
  assert.equal(acceptsPython('app/api/users.py'), true);
  for (const p of ['tests/test_users.py', 'app/tests/factories.py', 'app/test_api.py', 'conftest.py', 'app/users_test.py', 'README.md']) assert.equal(acceptsPython(p), false, p);
});
