/** Rules the Java frontend reads from handler code and DTO constraints, with their exact lines. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeFixture } from './harness.js';

const CONTROLLER = 'src/com/acme/pricing/PricingController.java';

test('guard clauses, calculations and decisions of a handler, with exact evidence and their operation', async () => {
  const { rules } = await analyzeFixture('rules');
  const got = rules.rules.map((r) => ({ kind: r.kind, condition: r.condition, effects: r.effects, evidence: r.evidence, operation: r.operation }));
  const at = (startLine: number, endLine: number) => [{ path: CONTROLLER, startLine, endLine }];
  assert.deepEqual(got, [
    { kind: 'validation', condition: 'request.getQuantity() <= 0', effects: ['400'], evidence: at(14, 16), operation: 'quote' },
    { kind: 'calculation', condition: null, effects: ['net := request.getUnitPrice().multiply(BigDecimal.valueOf(request.getQuantity()))'], evidence: at(18, 18), operation: 'quote' },
    { kind: 'calculation', condition: null, effects: ['quote.total := net.add(net.multiply(VAT))'], evidence: at(19, 19), operation: 'quote' },
    {
      kind: 'decision',
      condition: 'request.getTier()',
      effects: ['"GOLD" → quote.setDiscount(15);', '"SILVER" → quote.setDiscount(5);', 'default → quote.setDiscount(0);'],
      evidence: at(20, 29),
      operation: 'quote',
    },
    { kind: 'decision', condition: 'zone', effects: ['"EU" → cost = weight * 1.5;', '"US" → cost = weight * 2.5 + 10;', 'otherwise → cost = 50;'], evidence: at(39, 45), operation: 'shipping' },
    { kind: 'calculation', condition: 'zone.equals("EU")', effects: ['cost := weight * 1.5'], evidence: at(40, 40), operation: 'shipping' },
    { kind: 'calculation', condition: 'zone.equals("US")', effects: ['cost := weight * 2.5 + 10'], evidence: at(42, 42), operation: 'shipping' },
  ]);
  // No rule for the loop counter, the string building in the loop, or the plain `cost = 50`.
  assert.ok(!rules.rules.some((r) => r.evidence[0]!.startLine >= 30 && r.evidence[0]!.startLine <= 32));
  const nested = rules.rules.find((r) => r.effects[0] === 'cost := weight * 2.5 + 10')!;
  assert.deepEqual(nested.path, ['if (!(zone.equals("EU")))']);
  assert.match(rules.rules[0]!.statement, /^When request\.getQuantity\(\) <= 0, the request is rejected with 400$/);
  assert.match(rules.rules[0]!.id, /^JAVA-[0-9a-f]{12}$/);
});

test('Bean Validation constraints are validation rules on the DTO field lines, tied to the operation taking the DTO', async () => {
  const { rules } = await analyzeFixture('spring-inheritance');
  const email = rules.rules.find((r) => r.statement.startsWith('UserDto.email'))!;
  assert.equal(email.statement, 'UserDto.email is required and must be an e-mail address');
  assert.equal(email.condition, '@NotNull @Email');
  assert.deepEqual(email.evidence, [{ path: 'src/main/java/com/acme/api/UserDto.java', startLine: 10, endLine: 12 }]);
  assert.equal(email.operation, 'create');
  const conflict = rules.rules.find((r) => r.effects[0] === 'throw ConflictException("email already registered") → 409')!;
  assert.equal(conflict.statement, 'When users.exists(user.getEmail()), ConflictException("email already registered") is thrown (status 409)');
  assert.equal(conflict.condition, 'users.exists(user.getEmail())');
  assert.deepEqual(conflict.evidence, [{ path: 'src/main/java/com/acme/api/UserController.java', startLine: 23, endLine: 25 }]);
  assert.equal(conflict.operation, 'create', 'the implementing method of an interface mapping governs the inherited operation');
  const notFound = rules.rules.find((r) => r.condition === 'users.findById(id) is empty')!;
  assert.deepEqual(notFound.effects, ['throw UserNotFoundException → 404'], 'the status comes from @ResponseStatus on the exception class, in another file');
  assert.deepEqual(notFound.evidence, [{ path: 'src/main/java/com/acme/api/UserController.java', startLine: 18, endLine: 18 }]);
});

test('a constrained handler parameter is a validation rule of its operation and a schema constraint', async () => {
  const { rules, doc } = await analyzeFixture('spring-controller');
  const limit = rules.rules.find((r) => r.fields.includes('limit'))!;
  assert.equal(limit.statement, 'parameter limit must be at least 1 and must be at most 100');
  assert.deepEqual(limit.evidence, [{ path: 'src/main/java/com/acme/shop/OrderController.java', startLine: 28, endLine: 28 }]);
  assert.equal(limit.operation, 'list');
  const sku = rules.rules.find((r) => r.fields.includes('sku'))!;
  assert.deepEqual(sku.effects, ['reject with "sku is required"']);
  assert.deepEqual(sku.evidence, [{ path: 'src/main/java/com/acme/shop/NewOrder.java', startLine: 11, endLine: 11 }]);
  const list = doc.paths['/shop/orders']!.get! as unknown as { 'x-ficus-rules': string[] };
  assert.ok(list['x-ficus-rules'].includes(limit.id));
});
