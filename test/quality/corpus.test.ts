import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { barFailures, validateManifest } from './corpus.js';
import { compareSpecs } from './spec-recall.js';
import { repoRoot } from '../helpers/tmp.js';

const raw = JSON.parse(readFileSync(join(repoRoot, 'test', 'quality', 'corpus.json'), 'utf8')) as unknown;

test('test/quality/corpus.json is a valid manifest and every adjustment says why', () => {
  const manifest = validateManifest(raw);
  assert.ok(manifest.projects.length >= 10);
  for (const p of manifest.projects) {
    assert.ok(p.sourceDirs.length > 0, `${p.name} has source dirs`);
    for (const a of [...p.exclusions, ...p.codeOnly, ...p.parameterExclusions]) assert.ok(a.reason.length > 10, `${p.name}: ${a.operation} has a reason`);
  }
  // One project per framework family the issue names, where a public one exists.
  const frameworks = manifest.projects.map((p) => p.framework).join(' | ');
  for (const f of ['Spring', 'JAX-RS', 'ASP.NET', 'Laravel', 'Flask', 'FastAPI', 'Django', 'Express', 'Koa', 'Fastify']) assert.match(frameworks, new RegExp(f));
});

test('a manifest with a malformed adjustment or a short commit is rejected with a code', () => {
  const manifest = structuredClone(raw) as { projects: Array<Record<string, unknown>> };
  manifest.projects[0]!.exclusions = [{ operation: 'DELETE articles', reason: 'no leading slash' }];
  assert.throws(() => validateManifest(manifest), { code: 'FICUS_QA_MANIFEST_INVALID' });
  const parameter = structuredClone(raw) as { projects: Array<Record<string, unknown>> };
  parameter.projects[0]!.parameterExclusions = [{ operation: 'GET /articles', parameter: 'body x', reason: 'not a scored location' }];
  assert.throws(() => validateManifest(parameter), { code: 'FICUS_QA_MANIFEST_INVALID' });
  const short = structuredClone(raw) as { projects: Array<Record<string, unknown>> };
  short.projects[0]!.commit = 'ee17e31';
  assert.throws(() => validateManifest(short), { code: 'FICUS_QA_MANIFEST_INVALID' });
});

test('the bar judges operations always and a parameter location only when the reference has some', () => {
  const { bar } = validateManifest(raw);
  const ok = { responses: { '200': { description: 'ok' } } };
  const q = (name: string) => ({ name, in: 'query', schema: { type: 'string' } });
  const reference = { openapi: '3.1.0', paths: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`/r${i}`, { get: { ...ok, parameters: i === 0 ? [q('a')] : [] } }])) };
  const all = compareSpecs(reference, reference);
  assert.deepEqual(barFailures(all, bar), []);
  const noQuery = { openapi: '3.1.0', paths: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`/r${i}`, { get: ok }])) };
  assert.deepEqual(barFailures(compareSpecs(noQuery, reference), bar), [`query recall < ${bar.queryRecall}`]);
  // Nothing generated: parameters are scored over matched operations, so only the operation lines fail.
  assert.deepEqual(barFailures(compareSpecs({ openapi: '3.1.0', paths: {} }, reference), bar), [
    `operation recall < ${bar.operationRecall}`,
    `operation precision < ${bar.operationPrecision}`,
  ]);
});
