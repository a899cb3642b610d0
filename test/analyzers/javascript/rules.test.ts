import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Rule } from '../../../analyzers/model.js';
import type { OpenAPIV3_1 } from 'openapi-types';
import { analyzeFixture } from './harness.js';

/** Rules with their exact evidence lines, condition, effects and the operation they govern. */
async function rulesOf(name: string): Promise<{ rules: Rule[]; doc: OpenAPIV3_1.Document }> {
  const { outputs } = await analyzeFixture(name);
  return { rules: outputs.rules.rules as Rule[], doc: outputs.openapi };
}

function find(rules: Rule[], path: string, startLine: number, kind: Rule['kind']): Rule {
  const r = rules.find((x) => x.evidence[0]!.path === path && x.evidence[0]!.startLine === startLine && x.kind === kind);
  assert.ok(r, `no ${kind} rule at ${path}:${startLine}; rules: ${rules.map((x) => `${x.kind}@${x.evidence[0]!.path}:${x.evidence[0]!.startLine}`).join(', ')}`);
  return r;
}

function schemaOf(doc: OpenAPIV3_1.Document, name: string): Record<string, unknown> {
  const s = doc.components?.schemas?.[name] as Record<string, unknown> | undefined;
  assert.ok(s, `no component ${name}`);
  const { ['x-ficus-evidence']: _e, ...rest } = s;
  return rest;
}

describe('guard clauses → validation rules', () => {
  test('Express: res.status(400).json(…) and next(createError(422, …)), tied to the operation', async () => {
    const { rules } = await rulesOf('express-require');
    const email = find(rules, 'routes/users.js', 19, 'validation');
    assert.deepEqual(email.evidence, [{ path: 'routes/users.js', startLine: 19, endLine: 21 }]);
    assert.equal(email.condition, '!email');
    assert.deepEqual(email.effects, ['400 "email is required"']);
    assert.deepEqual(email.fields, ['email']);
    assert.equal(email.operation, 'postApiUsers');
    const name = find(rules, 'routes/users.js', 22, 'validation');
    assert.equal(name.condition, 'name && name.length > 50');
    assert.deepEqual(name.effects, ['422 "name too long"']);
    assert.deepEqual(name.evidence, [{ path: 'routes/users.js', startLine: 22, endLine: 22 }]);
  });

  test('Express: a handler in another file (err.status = 404; next(err)) governs the route that uses it', async () => {
    const { rules } = await rulesOf('express-require');
    const r = find(rules, 'controllers/users.js', 6, 'validation');
    assert.deepEqual(r.evidence, [{ path: 'controllers/users.js', startLine: 6, endLine: 10 }]);
    assert.deepEqual(r.effects, ['404 "not found"']);
    assert.equal(r.operation, 'show');
  });

  test('Koa: ctx.assert, ctx.throw and ctx.status = 404 with ctx.body, in controllers of another file', async () => {
    const { rules } = await rulesOf('koa-router');
    const title = find(rules, 'controllers/books.js', 10, 'validation');
    assert.equal(title.condition, '!(title)');
    assert.deepEqual(title.effects, ['400 "title is required"']);
    assert.equal(title.operation, 'create');
    const price = find(rules, 'controllers/books.js', 11, 'validation');
    assert.equal(price.condition, 'price < 0');
    assert.deepEqual(price.effects, ['422 "price must not be negative"']);
    const missing = find(rules, 'controllers/books.js', 20, 'validation');
    assert.deepEqual(missing.evidence, [{ path: 'controllers/books.js', startLine: 20, endLine: 24 }]);
    assert.deepEqual(missing.effects, ['404 "book not found"']);
    assert.equal(missing.operation, 'show');
  });

  test('Fastify: reply.code(403).send(…) and reply.status(404)', async () => {
    const { rules } = await rulesOf('fastify-plugins');
    const partner = find(rules, 'plugins/customers.js', 19, 'validation');
    assert.deepEqual(partner.evidence, [{ path: 'plugins/customers.js', startLine: 19, endLine: 21 }]);
    assert.deepEqual(partner.effects, ['403 "gold customers need a partner"']);
    assert.equal(partner.operation, 'postCustomers');
    const missing = find(rules, 'plugins/customers.js', 35, 'validation');
    assert.deepEqual(missing.effects, ['404 "customer not found"']);
  });

  test('NestJS: throw new NotFoundException(…)', async () => {
    const { rules } = await rulesOf('nest-controller');
    const r = find(rules, 'src/users/users.controller.ts', 18, 'validation');
    assert.deepEqual(r.evidence, [{ path: 'src/users/users.controller.ts', startLine: 18, endLine: 20 }]);
    assert.deepEqual(r.effects, ['404 "user ${id} not found"']);
    assert.equal(r.operation, 'findOne');
  });
});

describe('calculations and decisions', () => {
  test('arithmetic on business fields is a calculation; counters and pagination are not', async () => {
    const { rules } = await rulesOf('express-require');
    const total = find(rules, 'routes/orders.js', 10, 'calculation');
    assert.deepEqual(total.effects, ['total := req.body.subtotal * (1 + req.body.taxRate)']);
    assert.deepEqual(total.fields, ['total', 'req.body.subtotal', 'req.body.taxRate']);
    assert.deepEqual(total.evidence, [{ path: 'routes/orders.js', startLine: 10, endLine: 10 }]);
    const koa = await rulesOf('koa-router');
    assert.deepEqual(find(koa.rules, 'controllers/books.js', 12, 'calculation').effects, ['salePrice := price - price * discountRate']);
    // `parseInt(…) || 20` (a default) is not arithmetic on business fields.
    assert.equal(koa.rules.filter((r) => r.kind === 'calculation').length, 1);
  });

  test('a switch on a string field is a decision with one effect per case', async () => {
    const { rules } = await rulesOf('express-esm-ts');
    const d = find(rules, 'src/routes/catalog.ts', 8, 'decision');
    assert.deepEqual(d.evidence, [{ path: 'src/routes/catalog.ts', startLine: 8, endLine: 15 }]);
    assert.equal(d.condition, 'switch (category)');
    assert.deepEqual(d.effects, ['"books" → return res.json({ shelf: \'A\' });', '"music" → return res.json({ shelf: \'B\' });', "otherwise → return res.json({ shelf: 'Z' });"]);
    assert.equal(d.operation, 'getV1CatalogProducts');
  });
});

describe('declared constraints → schema keywords and validation rules', () => {
  test('zod: schema constraints, and rules on the field lines tied to the operation that parses the body', async () => {
    const { rules, doc } = await rulesOf('express-esm-ts');
    assert.deepEqual(schemaOf(doc, 'CreateTransfer'), {
      type: 'object',
      properties: { amount: { type: 'number', exclusiveMinimum: 0 }, currency: { type: 'string', enum: ['EUR', 'USD'] }, reference: { type: 'string', maxLength: 140 } },
      required: ['amount', 'currency'],
    });
    const amount = find(rules, 'src/validation/transfer.ts', 4, 'validation');
    assert.equal(amount.statement, '`amount` is required and must be greater than 0 (zod, CreateTransfer)');
    assert.deepEqual(amount.effects, ['required', 'exclusiveMinimum 0']);
    assert.equal(amount.operation, 'postV1AccountsByAccountIdTransfers');
    assert.deepEqual(find(rules, 'src/validation/transfer.ts', 6, 'validation').effects, ['maxLength 140']);
  });

  test('class-validator DTO: constraints, required unless @IsOptional, rules on decorator lines', async () => {
    const { rules, doc } = await rulesOf('nest-controller');
    assert.deepEqual(schemaOf(doc, 'CreateUserDto'), {
      type: 'object',
      properties: { name: { type: 'string', minLength: 2, maxLength: 50 }, email: { type: 'string', format: 'email' }, age: { type: 'integer', minimum: 18 } },
      required: ['name', 'email'],
    });
    const name = find(rules, 'src/users/create-user.dto.ts', 4, 'validation');
    assert.deepEqual(name.evidence, [{ path: 'src/users/create-user.dto.ts', startLine: 4, endLine: 6 }]);
    assert.equal(name.statement, '`name` is required and must be 2 to 50 characters long (class-validator, CreateUserDto)');
    assert.equal(name.operation, 'create');
    assert.deepEqual(find(rules, 'src/users/create-user.dto.ts', 11, 'validation').effects, ['minimum 18']);
  });

  test('Joi, celebrate and express-validator', async () => {
    const { rules, doc } = await rulesOf('express-validators');
    const body = (doc.paths!['/loans']!.post!.requestBody as OpenAPIV3_1.RequestBodyObject).content['application/json']!.schema as OpenAPIV3_1.ReferenceObject;
    assert.deepEqual(schemaOf(doc, body.$ref.split('/').pop()!), {
      type: 'object',
      properties: {
        amount: { type: 'number', minimum: 1000, maximum: 50000 },
        termMonths: { type: 'integer', enum: [12, 24, 36] },
        email: { type: 'string', format: 'email' },
        note: { type: 'string', maxLength: 200 },
      },
      required: ['amount', 'termMonths', 'email'],
    });
    assert.deepEqual(find(rules, 'app.js', 9, 'validation').effects, ['required', 'minimum 1000', 'maximum 50000']);
    assert.equal(find(rules, 'app.js', 9, 'validation').operation, 'postLoans');
    const status = find(rules, 'app.js', 28, 'validation');
    assert.equal(status.statement, 'query `status` must be one of "open", "closed" (Joi, GET /loans)');
    assert.equal(status.operation, 'getLoans');
    const email = find(rules, 'app.js', 37, 'validation');
    assert.deepEqual(email.effects, ['required', 'format email', 'message "a valid email is required"']);
    assert.deepEqual(find(rules, 'app.js', 40, 'validation').fields, ['x-captcha']);
    const signup = doc.paths!['/signup']!.post!;
    assert.deepEqual(signup.parameters, [
      { name: 'ref', in: 'query', schema: { type: 'string' } },
      { name: 'x-captcha', in: 'header', required: true, schema: { type: 'string' } },
    ]);
  });

  test('Fastify JSON Schema literal and TypeBox bodies', async () => {
    const { rules, doc } = await rulesOf('fastify-plugins');
    assert.deepEqual(find(rules, 'plugins/customers.js', 7, 'validation').effects, ['required', 'minLength 1', 'maxLength 80']);
    assert.deepEqual(find(rules, 'plugins/orders.mjs', 4, 'validation').effects, ['required', 'minLength 3']);
    const list = doc.paths!['/customers']!.get!.parameters as OpenAPIV3_1.ParameterObject[];
    assert.deepEqual(list, [
      { name: 'search', in: 'query', schema: { type: 'string' } },
      { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
    ]);
  });
});
