import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeFixture } from './harness.js';

type Schema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>>; required?: string[]; allOf?: Schema[] };

test('pydantic models, dataclasses and enums as components: types, required, constraints, aliases, inheritance', async () => {
  const { doc } = await analyzeFixture('fastapi-routers');
  const schemas = doc.components!.schemas as Record<string, Schema>;
  const item = schemas.Item!;
  assert.deepEqual(Object.keys(item.properties!), ['name', 'price', 'tagList', 'description']);
  assert.deepEqual(item.required, ['name', 'price']);
  assert.deepEqual([item.properties!.name!.minLength, item.properties!.name!.maxLength], [1, 50]);
  assert.equal(item.properties!.price!.exclusiveMinimum, 0);
  assert.deepEqual(item.properties!.description!.type, ['string', 'null']);
  // ItemCreate(Item): the base and its own fields.
  const create = schemas.ItemCreate!;
  assert.deepEqual(create.allOf![0], { $ref: '#/components/schemas/Item' });
  assert.equal(create.allOf![1]!.properties!.sku!.pattern, '^[A-Z]{3}-\\d{4}$');
  const user = schemas.UserCreate!;
  assert.deepEqual(user.properties!.email, { type: 'string', format: 'email' });
  assert.equal(user.properties!.password!.minLength, 8);
  assert.deepEqual(user.properties!.age, { type: ['integer', 'null'], minimum: 18 });
  assert.deepEqual(user.properties!.role, { $ref: '#/components/schemas/Role' } as unknown as Schema);
  assert.deepEqual(user.required, ['email', 'password']);
  assert.deepEqual((schemas.Role as Schema).enum, ['admin', 'member']);
  const tag = schemas.Tag!;
  assert.deepEqual(tag.required, ['name']);
  assert.deepEqual(tag.properties!.color, { type: 'string', default: 'blue' });
});

test('DRF serializers as components: declared fields with kwargs, ModelSerializer Meta.fields typed from the model, nested, read-only', async () => {
  const { doc } = await analyzeFixture('drf-router');
  const schemas = doc.components!.schemas as Record<string, Schema>;
  const book = schemas.BookSerializer!;
  assert.deepEqual(Object.keys(book.properties!).sort(), ['author', 'id', 'isbn', 'price', 'published', 'tags', 'title']);
  assert.deepEqual(book.required, ['title', 'isbn', 'price']);
  assert.deepEqual(book.properties!.id, { type: 'integer', readOnly: true });
  assert.deepEqual(book.properties!.published, { type: 'string', format: 'date' });
  assert.deepEqual(book.properties!.author, { $ref: '#/components/schemas/AuthorSerializer', readOnly: true } as unknown as Schema);
  assert.deepEqual(book.properties!.tags, { type: 'array', items: { type: 'string' } });
  const author = schemas.AuthorSerializer!;
  assert.deepEqual(author.properties!.email, { type: ['string', 'null'], format: 'email' });
  const loan = schemas.LoanSerializer!;
  assert.deepEqual(loan.properties!.days, { type: 'integer', minimum: 1, maximum: 30 });
});
