import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeFixture } from './harness.js';

test('rules of handlers and models: kind, exact evidence lines, condition, effects, operation', async () => {
  const { outputs } = await analyzeFixture('rules');
  const rules = outputs.rules.rules.map((r) => ({
    kind: r.kind,
    lines: [r.evidence[0]!.path, r.evidence[0]!.startLine, r.evidence[0]!.endLine],
    condition: r.condition,
    effects: r.effects,
    operation: r.operation,
  }));
  const api = 'loans/api.py';
  assert.deepEqual(rules, [
    { kind: 'validation', lines: [api, 10, 10], condition: 'gt=0, le=50000', effects: ['ValidationError'], operation: 'apply_loan' },
    { kind: 'validation', lines: [api, 11, 11], condition: 'ge=6, le=60', effects: ['ValidationError'], operation: 'apply_loan' },
    { kind: 'validation', lines: [api, 18, 19], condition: "value not in ('car', 'home', 'education')", effects: ['raise ValueError "unknown purpose"'], operation: 'apply_loan' },
    { kind: 'validation', lines: [api, 25, 26], condition: 'request.amount > 10000 and request.term_months < 12', effects: ['400 "Large loans need at least 12 months"'], operation: 'apply_loan' },
    { kind: 'validation', lines: [api, 27, 28], condition: "x_customer_id.startswith('blocked-')", effects: ['403 "customer blocked"'], operation: 'apply_loan' },
    { kind: 'decision', lines: [api, 29, 35], condition: 'request.purpose', effects: ["'car' → annual_rate = 0.05", "'home' → annual_rate = 0.03", 'otherwise → annual_rate = 0.07'], operation: 'apply_loan' },
    { kind: 'decision', lines: [api, 36, 41], condition: 'request.tier', effects: ["'gold' → discount = 0.01", "'silver' → discount = 0.005", 'otherwise → discount = 0'], operation: 'apply_loan' },
    { kind: 'calculation', lines: [api, 42, 42], condition: null, effects: ['monthly_rate = (annual_rate - discount) / 12'], operation: 'apply_loan' },
    {
      kind: 'calculation',
      lines: [api, 43, 43],
      condition: null,
      effects: ['payment = request.amount * monthly_rate / (1 - (1 + monthly_rate) ** -request.term_months)'],
      operation: 'apply_loan',
    },
    { kind: 'validation', lines: [api, 56, 57], condition: 'KeyError is raised', effects: ['404 "No such loan"'], operation: 'get_loan' },
  ]);
  // Statements say it in plain words; fields name what the rule reads.
  const guard = outputs.rules.rules[3]!;
  assert.equal(guard.statement, 'When request.amount > 10000 and request.term_months < 12, the request is rejected with 400: "Large loans need at least 12 months".');
  assert.deepEqual(guard.fields, ['request.amount', 'request.term_months']);
  assert.equal(outputs.rules.rules[0]!.statement, 'LoanRequest.amount must be greater than 0 and be at most 50000.');
});

test('trivial code makes no rule: counters, pagination arithmetic, string building, a 5xx, request.method dispatch', async () => {
  const { outputs } = await analyzeFixture('rules');
  const effects = outputs.rules.rules.flatMap((r) => r.effects).join('\n');
  for (const trivial of ['count', 'offset', 'label', '500']) assert.doesNotMatch(effects, new RegExp(`^${trivial}\\b`, 'm'), trivial);
  const flask = await analyzeFixture('flask-blueprints');
  assert.ok(!flask.outputs.rules.rules.some((r) => /request\.method/.test(r.condition ?? '')), 'method dispatch is routing');
});

test('rule ids are stable across runs', async () => {
  const a = await analyzeFixture('rules');
  const b = await analyzeFixture('rules');
  assert.deepEqual(
    a.outputs.rules.rules.map((r) => r.id),
    b.outputs.rules.rules.map((r) => r.id),
  );
  assert.ok(a.outputs.rules.rules.every((r) => /^PY-[0-9a-f]{12}(-\d+)?$/.test(r.id)));
});

test('serializer and validator rules: DRF field kwargs, validate_<field>, validate(), extra_kwargs', async () => {
  const { outputs } = await analyzeFixture('drf-router');
  const byStatement = new Map(outputs.rules.rules.map((r) => [r.statement, r]));
  const title = byStatement.get('BookSerializer.title must have at most 200 characters (else the request is rejected with 400).');
  assert.deepEqual(title?.evidence, [{ path: 'library/serializers.py', startLine: 12, endLine: 12 }]);
  const validateTitle = byStatement.get(`When 'forbidden' in value.lower(), BookSerializer.title is invalid with 400: "Title not allowed".`);
  assert.deepEqual(validateTitle?.evidence, [{ path: 'library/serializers.py', startLine: 23, endLine: 24 }]);
  const loan = byStatement.get(`When attrs['days'] > 14 and not attrs['extended'], LoanSerializer is invalid with 400: "Loans over 14 days must be extended".`);
  assert.equal(loan?.operation, 'LoanListCreate_post');
  assert.ok(byStatement.has('LoanSerializer.days must be at least 1 and be at most 30 (else the request is rejected with 400).'));
  const borrow = outputs.rules.rules.find((r) => r.kind === 'calculation');
  assert.deepEqual([borrow?.effects, borrow?.operation, borrow?.evidence[0]?.startLine], [['due_fee = book.daily_fee * days'], 'BookViewSet_borrow', 25]);
});
