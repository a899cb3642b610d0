import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RulesDocument } from '../../../analyzers/output.js';
import { analyzeFixture } from './harness.js';

type DocRule = RulesDocument['rules'][number];

function find(rules: DocRule[], startLine: number, path = 'Accounts.cs'): DocRule {
  const r = rules.find((x) => x.evidence[0]!.path === path && x.evidence[0]!.startLine === startLine);
  assert.ok(r, `a rule at ${path}:${startLine}; have ${rules.map((x) => `${x.evidence[0]!.path}:${x.evidence[0]!.startLine}`).join(', ')}`);
  return r;
}

test('guard clause throwing a status exception: validation rule with the condition, 422 and the message, on the operation', async () => {
  const { rules } = await analyzeFixture('validation');
  const r = find(rules.rules, 12);
  assert.equal(r.kind, 'validation');
  assert.equal(r.condition, 'request.Amount > request.DailyLimit');
  assert.deepEqual(r.effects, ['422 (LimitExceededException) "Daily limit exceeded"']);
  assert.deepEqual(r.fields, ['request.Amount', 'request.DailyLimit']);
  assert.deepEqual(r.evidence, [{ path: 'Accounts.cs', startLine: 12, endLine: 13 }]);
  assert.equal(r.operation, 'Accounts_Transfer');
});

test('calculations: a local computed from fields, an initializer member; not the object creation around it', async () => {
  const { rules } = await analyzeFixture('validation');
  const fee = find(rules.rules, 14);
  assert.equal(fee.kind, 'calculation');
  assert.deepEqual(fee.effects, ['fee = request.Amount * FeeRate']);
  assert.deepEqual(fee.fields, ['fee', 'request.Amount', 'FeeRate']);
  assert.deepEqual(fee.evidence, [{ path: 'Accounts.cs', startLine: 14, endLine: 14 }]);
  const onLine15 = rules.rules.filter((x) => x.evidence[0]!.startLine === 15);
  assert.deepEqual(
    onLine15.map((x) => x.effects),
    [['Net = request.Amount - fee']],
  );
});

test('FluentValidation chains: one rule per RuleFor with its checks, message and When condition', async () => {
  const { rules } = await analyzeFixture('validation');
  const iban = find(rules.rules, 40);
  assert.equal(iban.statement, 'TransferRequest.TargetIban must not be empty, must be between 15 and 34 characters long');
  assert.deepEqual(iban.effects, ['must not be empty', 'must be between 15 and 34 characters long', 'message "IBAN must be 15 to 34 characters"']);
  assert.equal(iban.operation, 'Accounts_Transfer', 'the validator of the body type governs the operation');
  const currency = find(rules.rules, 42);
  assert.equal(currency.condition, 'x.Amount > 100');
  assert.deepEqual(currency.evidence, [{ path: 'Accounts.cs', startLine: 42, endLine: 42 }]);
});

test('decisions: string switch statement and enum switch expression, with every arm', async () => {
  const { rules } = await analyzeFixture('validation');
  const tier = find(rules.rules, 55);
  assert.equal(tier.kind, 'decision');
  assert.equal(tier.condition, 'tier');
  assert.deepEqual(tier.effects, ['"gold" → return 0m', '"silver" → return amount * 0.01m', 'default → return amount * 0.02m']);
  assert.deepEqual(tier.evidence, [{ path: 'Accounts.cs', startLine: 55, endLine: 60 }]);
  const kind = find(rules.rules, 63);
  assert.deepEqual(kind.effects, ['AccountKind.Savings → balance * 0.03m', 'AccountKind.Checking → balance * 0.001m', '_ → 0m']);
  assert.deepEqual(kind.evidence, [{ path: 'Accounts.cs', startLine: 63, endLine: 68 }]);
});

test('no rule for trivial code: ArgumentNullException null checks, loop counters, string concatenation', async () => {
  const { rules } = await analyzeFixture('validation');
  const inCheck = rules.rules.filter((x) => x.evidence[0]!.startLine >= 70 && x.evidence[0]!.startLine <= 76);
  assert.deepEqual(
    inCheck.map((x) => [x.evidence[0]!.startLine, x.kind, x.statement]),
    [[73, 'validation', 'InvalidOperationException is thrown when amount < 0: "Amount cannot be negative"']],
  );
});

test('DataAnnotations: one validation rule per attribute, evidence from the attribute to the property', async () => {
  const { rules } = await analyzeFixture('controllers');
  const dto = rules.rules.filter((x) => x.evidence[0]!.path === 'Dtos.cs');
  assert.deepEqual(
    dto.map((x) => [x.condition, x.evidence[0]!.startLine, x.evidence[0]!.endLine, x.fields[0], x.operation]),
    [
      ['Required', 23, 25, 'CreateOrder.Customer', 'Orders_Create'],
      ['StringLength(40, MinimumLength = 3)', 24, 25, 'CreateOrder.Customer', 'Orders_Create'],
      ['Range(1, 1000)', 27, 28, 'CreateOrder.Quantity', 'Orders_Create'],
      ['EmailAddress', 30, 32, 'CreateOrder.ContactEmail', 'Orders_Create'],
      ['RegularExpression("^[A-Z]{3}-[0-9]{4}$")', 34, 35, 'CreateOrder.Sku', 'Orders_Create'],
    ],
  );
  assert.deepEqual(dto[2]!.effects, ['minimum 1', 'maximum 1000']);
});

test('guards in handlers: 404 after a lookup and 400 with the message, each on its operation', async () => {
  const { rules } = await analyzeFixture('controllers');
  const notFound = find(rules.rules, 31, 'OrdersController.cs');
  assert.equal(notFound.condition, 'order == null');
  assert.deepEqual(notFound.effects, ['404']);
  assert.equal(notFound.operation, 'GetOrder');
  assert.deepEqual(notFound.evidence, [{ path: 'OrdersController.cs', startLine: 31, endLine: 34 }]);
  const bad = find(rules.rules, 41, 'OrdersController.cs');
  assert.deepEqual(bad.effects, ['400 "Quantity must be positive"']);
  assert.equal(bad.operation, 'Orders_Create');
});

test('rule ids are stable: the same fixture analyzed twice gives the same ids', async () => {
  const a = await analyzeFixture('validation');
  const b = await analyzeFixture('validation');
  assert.deepEqual(
    a.rules.rules.map((r) => r.id),
    b.rules.rules.map((r) => r.id),
  );
  for (const r of a.rules.rules) assert.match(r.id, /^CS-[0-9a-f]{12}(-\d+)?$/);
});
