import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareSpecs } from './spec-recall.js';
import { unionSpecs } from './union-specs.js';

const ok = { responses: { '200': { description: 'ok' } } };
const q = (name: string) => ({ name, in: 'query', schema: { type: 'string' } });

test('the union has every operation, and an operation in both gets the parameters only the later one declares', () => {
  const v1 = {
    openapi: '3.1.1',
    info: { title: 'v1', version: '1' },
    paths: {
      '/items': { get: { ...ok, parameters: [q('PageSize'), q('PageIndex'), q('api-version')] }, put: ok },
      '/items/{id}': { get: { ...ok, parameters: [{ name: 'id', in: 'path', required: true }] } },
    },
    components: { schemas: { Item: { type: 'object' } } },
  };
  const v2 = {
    openapi: '3.1.1',
    info: { title: 'v2', version: '2' },
    paths: {
      '/items': { get: { ...ok, parameters: [q('PageSize'), { $ref: '#/components/parameters/Name' }, q('api-version')] } },
      '/items/{itemId}': {
        parameters: [{ name: 'itemId', in: 'path', required: true }, { name: 'X-Trace', in: 'header' }],
        put: { ...ok, parameters: [q('api-version')] },
      },
      '/search': { get: { ...ok, parameters: [q('text')] } },
    },
    components: { schemas: { Item: { type: 'string' }, Page: { type: 'object' } }, parameters: { Name: q('name') } },
  };
  const union = unionSpecs([v1, v2]);
  const paths = union.paths as Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>>;
  assert.deepEqual(Object.keys(paths), ['/items', '/items/{id}', '/search']);
  assert.deepEqual(
    paths['/items']!.get!.parameters!.map((p) => p.name),
    ['PageSize', 'PageIndex', 'api-version', 'name'],
    'v2-only name added, resolved from its own components',
  );
  // v2's PUT /items/{itemId} lands on v1's path key, with v2's path-level parameters folded in.
  assert.deepEqual(paths['/items/{id}']!.put!.parameters!.map((p) => `${p.in} ${p.name}`), ['path itemId', 'header X-Trace', 'query api-version']);
  assert.ok(paths['/items']!.put, 'v1-only operation kept');
  const schemas = (union.components as { schemas: Record<string, { type: string }> }).schemas;
  assert.equal(schemas.Item!.type, 'object', 'first document wins a component name');
  assert.equal(schemas.Page!.type, 'object');
  // Scored as a reference: v1 alone recalls v2's name parameter as missed.
  const c = compareSpecs(v1, union);
  assert.equal(c.operations.reference, 5);
  assert.equal(c.parameters.query.reference, 4, 'on the matched GET /items');
  assert.equal(c.parameters.query.matched, 3);
  assert.deepEqual(v1.paths['/items'].get.parameters.length, 3, 'inputs are not modified');
});

test('documents with another base path or kind are refused', () => {
  const a = { openapi: '3.0.0', servers: [{ url: '/api' }], paths: {} };
  assert.throws(() => unionSpecs([a, { openapi: '3.0.0', servers: [{ url: '/v2' }], paths: {} }]), /base path/);
  assert.throws(() => unionSpecs([a, { swagger: '2.0', paths: {} }]), /swagger/);
  assert.throws(() => unionSpecs([]), /no documents/);
});
