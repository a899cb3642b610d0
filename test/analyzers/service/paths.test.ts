import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinPaths, normalizePath, templateParams } from '../../../analyzers/service/paths.js';

test('colon syntax: optional, regex-constrained and wildcard parameters', () => {
  assert.deepEqual(normalizePath('/users/:id', 'colon'), { path: '/users/{id}', params: [{ name: 'id', schema: { type: 'string' } }] });
  const n = normalizePath('/users/:id(\\d+)/posts/:slug?', 'colon');
  assert.equal(n.path, '/users/{id}/posts/{slug}');
  assert.deepEqual(n.params, [
    { name: 'id', schema: { type: 'integer' } },
    { name: 'slug', schema: { type: 'string' }, optional: true },
  ]);
  assert.equal(normalizePath('/files/*', 'colon').path, '/files/{wildcard}');
  // A colon inside a literal segment that is not a parameter start stays.
  assert.equal(normalizePath('/time/12:30', 'colon').path, '/time/12:30');
});

test('angle syntax: Flask and Django converters give types', () => {
  const n = normalizePath('/users/<int:id>/files/<path:rest>/<name>', 'angle');
  assert.equal(n.path, '/users/{id}/files/{rest}/{name}');
  assert.deepEqual(n.params.map((p) => [p.name, p.schema.type]), [['id', 'integer'], ['rest', 'string'], ['name', 'string']]);
  assert.deepEqual(normalizePath('<uuid:u>', 'angle').params[0]!.schema, { type: 'string', format: 'uuid' });
});

test('brace syntax: ASP.NET constraints, JAX-RS regexes, optional and catch-all', () => {
  assert.deepEqual(normalizePath('{id:int}', 'brace'), { path: '{id}', params: [{ name: 'id', schema: { type: 'integer' } }] });
  assert.deepEqual(normalizePath('/a/{id: [0-9]+}', 'brace').params[0]!.schema, { type: 'integer' });
  assert.deepEqual(normalizePath('/a/{code: [A-Z]{3}}', 'brace'), { path: '/a/{code}', params: [{ name: 'code', schema: { type: 'string', pattern: '^[A-Z]{3}$' } }] });
  assert.deepEqual(normalizePath('{id?}', 'brace').params[0], { name: 'id', schema: { type: 'string' }, optional: true });
  assert.equal(normalizePath('/docs/{*slug}', 'brace').path, '/docs/{slug}');
  assert.deepEqual(normalizePath('{id:guid}', 'brace').params[0]!.schema, { type: 'string', format: 'uuid' });
  assert.deepEqual(normalizePath('{n:min(1)}', 'brace').params[0]!.schema, { type: 'string' });
});

test('regex syntax: named groups, anchors, optional trailing slash', () => {
  const n = normalizePath('^articles/(?P<slug>[-\\w]+)/?$', 'regex');
  assert.equal(n.path, 'articles/{slug}');
  assert.deepEqual(n.params, [{ name: 'slug', schema: { type: 'string', pattern: '^[-\\w]+$' } }]);
  assert.deepEqual(normalizePath('^users/(?P<pk>\\d+)/$', 'regex'), { path: 'users/{pk}/', params: [{ name: 'pk', schema: { type: 'integer' } }] });
  assert.equal(normalizePath('^(?:v1|v2)/items$', 'regex').path, 'v1/items');
});

test('joinPaths: one slash between parts, leading slash, trailing slash only when declared last', () => {
  assert.equal(joinPaths('', ''), '/');
  assert.equal(joinPaths('/api/', '/users'), '/api/users');
  assert.equal(joinPaths('api', 'users/'), '/api/users/');
  assert.equal(joinPaths('/api', ''), '/api');
  assert.equal(joinPaths('/', '/'), '/');
  assert.deepEqual(templateParams('/a/{x}/b/{y}'), ['x', 'y']);
});
