import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeTemplate, operationNameFor } from '../../../analyzers/javascript/routing.js';

test('Express/Koa/Fastify path syntax → OpenAPI templates', () => {
  assert.deepEqual(normalizeTemplate('/users/:id').variants, ['/users/{id}']);
  // Optional parameters: the route answers with and without it.
  assert.deepEqual(normalizeTemplate('/orders/:orderId?').variants, ['/orders/{orderId}', '/orders']);
  const typed = normalizeTemplate('/users/:id(\\d+)');
  assert.deepEqual(typed.variants, ['/users/{id}']);
  assert.deepEqual(typed.params, [{ name: 'id', schema: { type: 'integer' } }]);
  assert.deepEqual(normalizeTemplate('/files/*').variants, ['/files/{wildcard}']);
  assert.deepEqual(normalizeTemplate('/files/(.*)').variants, ['/files/{wildcard}']);
  // Express 5 optional groups.
  assert.deepEqual(normalizeTemplate('/books{/:lang}').variants, ['/books/{lang}', '/books']);
  // Constants of other files stay placeholders for the link step.
  assert.deepEqual(normalizeTemplate('{{const:Paths.USERS}}/:id').variants, ['{{const:Paths.USERS}}/{id}']);
});

test('inline handlers are named after method and path', () => {
  assert.equal(operationNameFor('get', '/api/users/{id}'), 'getApiUsersById');
  assert.equal(operationNameFor('post', '/'), 'postRoot');
  assert.equal(operationNameFor('delete', '/articles/{slug}/comments/{id}'), 'deleteArticlesBySlugCommentsById');
});
