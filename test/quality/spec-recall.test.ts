import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareSpecs, main, readSpec, SpecInvalidError } from './spec-recall.js';
import { tempDir } from '../helpers/tmp.js';

/** A minimal OpenAPI 3.1 document with the given paths (and optional servers/components). */
function doc(paths: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { openapi: '3.1.0', info: { title: 't', version: '1' }, paths, ...extra };
}

const ok = { responses: { '200': { description: 'ok' } } };
const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const query = (name: string) => ({ name, in: 'query', schema: { type: 'string' } });
const header = (name: string) => ({ name, in: 'header', schema: { type: 'string' } });

test('renamed path parameters still match, and are recalled by position', () => {
  const reference = doc({ '/users/{id}/posts/{postId}': { get: { ...ok, parameters: [pathParam('id'), pathParam('postId')] } } });
  const generated = doc({ '/users/{userId}/posts/{p}': { get: { ...ok, parameters: [pathParam('userId'), pathParam('p')] } } });
  const c = compareSpecs(generated, reference);
  assert.equal(c.operations.recall, 1);
  assert.equal(c.operations.precision, 1);
  assert.deepEqual(c.operations.missed, []);
  assert.equal(c.parameters.path.recall, 1);
  assert.equal(c.parameters.path.reference, 2);
});

test('a generated template parameter that is never declared is a missed path parameter', () => {
  const reference = doc({ '/users/{id}': { get: { ...ok, parameters: [pathParam('id')] } } });
  const generated = doc({ '/users/{id}': { get: ok } });
  const c = compareSpecs(generated, reference);
  assert.equal(c.operations.recall, 1);
  assert.equal(c.parameters.path.recall, 0);
  assert.deepEqual(c.missedParameters, [{ operation: 'GET /users/{id}', in: 'path', name: 'id' }]);
});

test('Express-style :name segments and constrained templates normalize like {name}', () => {
  const reference = doc({ '/a/{id}': { get: ok }, '/files/{path}': { get: ok } });
  const generated = doc({ '/a/:id': { get: ok }, '/files/{**path:regex(^\\d{{4}}$)}': { get: ok } });
  const c = compareSpecs(generated, reference);
  assert.deepEqual(c.operations.missed, []);
  assert.deepEqual(c.operations.extra, []);
});

test('a trailing slash is ignored on either side', () => {
  const reference = doc({ '/articles/': { get: ok }, '/tags': { get: ok } });
  const generated = doc({ '/articles': { get: ok }, '/tags/': { get: ok } });
  const c = compareSpecs(generated, reference);
  assert.equal(c.operations.recall, 1);
  assert.equal(c.operations.precision, 1);
});

test('the reference servers base path is prefixed onto its paths', () => {
  const reference = doc({ '/articles': { get: ok } }, { servers: [{ url: 'https://api.example.com/api' }] });
  assert.equal(compareSpecs(doc({ '/api/articles': { get: ok } }), reference).operations.recall, 1);
  assert.equal(compareSpecs(doc({ '/articles': { get: ok } }), reference).operations.recall, 0);
  // Without servers handling the bare path matches.
  assert.equal(compareSpecs(doc({ '/articles': { get: ok } }), reference, { applyServers: false }).operations.recall, 1);
});

test('server variables take their defaults; a relative server URL is a base path; Swagger 2.0 uses basePath', () => {
  const withVars = doc({ '/x': { get: ok } }, { servers: [{ url: '{scheme}://host/{version}', variables: { scheme: { default: 'https' }, version: { default: 'v2' } } }] });
  assert.equal(compareSpecs(doc({ '/v2/x': { get: ok } }), withVars).operations.recall, 1);
  const relative = doc({ '/x': { get: ok } }, { servers: [{ url: '/api/' }] });
  assert.equal(compareSpecs(doc({ '/api/x': { get: ok } }), relative).operations.recall, 1);
  const swagger = { swagger: '2.0', info: { title: 't', version: '1' }, basePath: '/api', paths: { '/x': { get: { parameters: [query('q'), { name: 'b', in: 'body' }] } } } };
  const c = compareSpecs(doc({ '/api/x': { get: { ...ok, parameters: [query('q')] } } }), swagger);
  assert.equal(c.operations.recall, 1);
  assert.equal(c.parameters.query.recall, 1);
});

test('base strips a mount prefix from both sides, longest first', () => {
  const reference = doc({ '/articles': { get: ok }, '/tags': { get: ok } }, { servers: [{ url: 'http://localhost/petclinic/api' }] });
  const generated = doc({ '/api/articles': { get: ok }, '/tags': { get: ok } });
  const c = compareSpecs(generated, reference, { base: ['/api', '/petclinic/api/'] });
  assert.equal(c.operations.recall, 1);
  assert.equal(c.operations.precision, 1);
  assert.deepEqual(c.operations.missed, []);
});

test('missed and extra operations are listed; recall and precision count them', () => {
  const reference = doc({ '/a': { get: ok, post: ok }, '/b/{id}': { delete: ok }, '/c': { put: ok } });
  const generated = doc({ '/a': { get: ok }, '/b/{x}': { delete: ok }, '/c': { put: ok, patch: ok }, '/d': { get: ok } });
  const c = compareSpecs(generated, reference);
  assert.equal(c.operations.reference, 4);
  assert.equal(c.operations.generated, 5);
  assert.equal(c.operations.matched, 3);
  assert.equal(c.operations.recall, 0.75);
  assert.equal(c.operations.precision, 0.6);
  assert.deepEqual(c.operations.missed, ['POST /a']);
  assert.deepEqual(c.operations.extra, ['PATCH /c', 'GET /d']);
});

test('exclusions leave the reference and tolerated operations are not extra', () => {
  const reference = doc({ '/articles/{slug}': { get: ok, delete: ok } }, { servers: [{ url: '/api' }] });
  const generated = doc({ '/api/articles/{slug}': { get: ok, patch: ok } });
  const c = compareSpecs(generated, reference, {
    base: '/api',
    exclude: ['DELETE /articles/{s}', 'GET /nowhere'],
    tolerate: ['PATCH /articles/{slug}', 'GET /articles/{slug}'],
  });
  assert.equal(c.operations.recall, 1);
  assert.equal(c.operations.precision, 1);
  assert.deepEqual(c.operations.excluded, ['DELETE /articles/{slug}']);
  assert.deepEqual(c.operations.tolerated, ['PATCH /articles/{slug}']);
  assert.deepEqual(c.operations.unusedExclusions, ['GET /nowhere']);
  assert.deepEqual(c.operations.conflictingTolerations, ['GET /articles/{slug}']);
});

test('excluded reference parameters are not scored; an exclusion that matches nothing is reported', () => {
  const op = (params: object[]) => ({ responses: { '200': { description: 'ok' } }, parameters: params });
  const h = (name: string) => ({ name, in: 'header', schema: { type: 'string' } });
  const reference = { openapi: '3.1.0', paths: { '/events': { post: op([h('X-Flow-Id'), h('Span-Ctx')]) } } };
  const generated = { openapi: '3.1.0', paths: { '/events': { post: op([h('x-flow-id')]) } } };
  const c = compareSpecs(generated, reference, {
    excludeParameters: [
      { operation: 'POST /events', in: 'header', name: 'span-ctx' },
      { operation: 'GET /events', in: 'header', name: 'X-Other' },
    ],
  });
  assert.deepEqual([c.parameters.header.matched, c.parameters.header.reference, c.parameters.header.inReference], [1, 1, 1]);
  assert.deepEqual(c.missedParameters, []);
  assert.deepEqual(c.excludedParameters, [{ operation: 'POST /events', in: 'header', name: 'span-ctx' }]);
  assert.deepEqual(c.unusedParameterExclusions, ['GET /events header X-Other']);
});

test('parameter recall is per location over matched operations, with $ref and path-level parameters', () => {
  const reference = doc(
    {
      '/articles': {
        parameters: [header('X-Request-Id')],
        get: { ...ok, parameters: [query('tag'), query('author'), { $ref: '#/components/parameters/limit' }, header('Authorization'), header('Accept')] },
      },
      '/articles/{slug}': { get: { ...ok, parameters: [pathParam('slug'), header('If-None-Match')] } },
      '/missing': { get: { ...ok, parameters: [query('never')] } },
    },
    { components: { parameters: { limit: { name: 'limit', in: 'query', schema: { type: 'integer' } } } } },
  );
  const generated = doc({
    '/articles': { get: { ...ok, parameters: [query('tag'), query('limit'), query('page'), header('x-request-id')] } },
    '/articles/{slug}': { get: { ...ok, parameters: [pathParam('slug')] } },
  });
  const c = compareSpecs(generated, reference);
  // Query: tag, author, limit on the matched operation (`never` belongs to a missed operation).
  assert.deepEqual({ ...c.parameters.query }, { reference: 3, generated: 3, matched: 2, recall: 2 / 3, precision: 2 / 3, inReference: 4 });
  // Headers: case-insensitive; Authorization and Accept are ignored as OpenAPI 3 says.
  assert.deepEqual({ ...c.parameters.header }, { reference: 2, generated: 1, matched: 1, recall: 0.5, precision: 1, inReference: 2 });
  assert.equal(c.parameters.path.recall, 1);
  assert.equal(c.parameters.cookie.recall, null);
  assert.deepEqual(c.missedParameters, [
    { operation: 'GET /articles', in: 'query', name: 'author' },
    { operation: 'GET /articles/{slug}', in: 'header', name: 'if-none-match' },
  ]);
  assert.deepEqual(c.extraParameters, [{ operation: 'GET /articles', in: 'query', name: 'page' }]);
});

test('an empty generated document scores 0 recall and no precision', () => {
  const c = compareSpecs(doc({}), doc({ '/a': { get: ok } }));
  assert.equal(c.operations.recall, 0);
  assert.equal(c.operations.precision, null);
  assert.equal(c.parameters.path.recall, null);
});

test('ignoreCase compares paths case-insensitively', () => {
  const reference = doc({ '/Articles/{id}': { get: ok } });
  assert.equal(compareSpecs(doc({ '/articles/{id}': { get: ok } }), reference).operations.recall, 0);
  assert.equal(compareSpecs(doc({ '/articles/{id}': { get: ok } }), reference, { ignoreCase: true }).operations.recall, 1);
});

test('documents that are not OpenAPI are rejected with a code', () => {
  assert.throws(() => compareSpecs({ paths: {} }, doc({})), { code: 'FICUS_QA_SPEC_INVALID' });
  assert.throws(() => compareSpecs(doc({}), 'nope'), SpecInvalidError);
  assert.throws(() => compareSpecs(doc({}), doc({}), { exclude: ['FETCH /a'] }), { code: 'FICUS_QA_SPEC_INVALID' });
});

test('the command line reads YAML and JSON files and prints text or JSON', (t) => {
  const dir = tempDir(t);
  const ref = join(dir, 'ref.yaml');
  const gen = join(dir, 'gen.json');
  writeFileSync(ref, 'openapi: 3.0.3\ninfo: {title: t, version: "1"}\nservers: [{url: /api}]\npaths:\n  /a/{id}: {get: {responses: {"200": {description: ok}}}}\n  /b: {post: {responses: {"200": {description: ok}}}}\n');
  writeFileSync(gen, JSON.stringify(doc({ '/api/a/{x}': { get: ok } })));
  assert.equal((readSpec(ref) as { openapi: string }).openapi, '3.0.3');
  let text = '';
  assert.equal(main(['--generated', gen, '--reference', ref], (s) => (text += s)), 0);
  assert.match(text, /operations: recall 0\.500 \(1\/2\), precision 1\.000 \(1\/1\)/);
  assert.match(text, /missed operations \(1\):\n {2}POST \/api\/b/);
  let json = '';
  assert.equal(main(['--generated', gen, '--reference', ref, '--base', '/api', '--json'], (s) => (json += s)), 0);
  assert.deepEqual((JSON.parse(json) as { operations: { missed: string[] } }).operations.missed, ['POST /b']);
  let err = '';
  assert.equal(main(['--generated', join(dir, 'absent.yaml'), '--reference', ref], () => {}, (s) => (err += s)), 2);
  assert.match(err, /FICUS_QA_SPEC_INVALID/);
  assert.equal(main(['--reference', ref], () => {}, () => {}), 2);
});
