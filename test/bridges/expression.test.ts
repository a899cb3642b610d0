import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import jsep from 'jsep';
import type { ColumnInfo, Op, Row } from '../../bridges/change.js';
import { compileExpression, valueKindOf, valueKinds, type ExpressionInput, type ExpressionOptions } from '../../bridges/expression.js';

const CODE = 'FICUS_BR_EXPRESSION';

function change(after: Row | null, before: Row | null = null, op: Op = 'u'): ExpressionInput {
  return { op, schema: 'public', table: 'orders', before, after };
}

/** Evaluates `source` against `after` (and `before`). */
function on(source: string, after: Row | null, before: Row | null = null, options?: ExpressionOptions): boolean {
  return compileExpression(source, options).evaluate(change(after, before));
}

function assertError(source: string, column: number, options?: ExpressionOptions): void {
  assert.throws(() => compileExpression(source, options), { code: CODE, column }, source);
}

const col = (name: string, type: string, jsonSchema: Record<string, unknown>): ColumnInfo => ({ name, type, nullable: true, jsonSchema });
const ORDERS: ColumnInfo[] = [
  col('id', 'int4', { type: 'integer' }),
  col('status', 'varchar(20)', { type: 'string' }),
  col('total', 'numeric(12,2)', { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?$' }),
  col('priority', 'text', { type: 'string' }),
  col('paid', 'bool', { type: 'boolean' }),
  col('deleted_at', 'timestamptz', { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] }),
];
const names = new Set(ORDERS.map((c) => c.name));
const TYPED: ExpressionOptions = { table: 'public.orders', columns: { before: names, after: names }, kinds: valueKinds(ORDERS) };

describe('the examples a mapping is written with', () => {
  test('a status transition', () => {
    const shipped = "before.status != 'SHIPPED' and after.status == 'SHIPPED'";
    assert.equal(on(shipped, { status: 'SHIPPED' }, { status: 'PAID' }), true);
    assert.equal(on(shipped, { status: 'SHIPPED' }, { status: 'SHIPPED' }), false);
    assert.equal(on(shipped, { status: 'PAID' }, { status: 'NEW' }), false);
  });

  test('a threshold on an exact decimal, or a priority in a list', () => {
    const big = "after.total >= 1000 or after.priority in ['HIGH', 'URGENT']";
    assert.equal(on(big, { total: '1000.50', priority: 'LOW' }), true);
    assert.equal(on(big, { total: '999.99', priority: 'URGENT' }), true);
    assert.equal(on(big, { total: '999.99', priority: 'LOW' }), false);
    assert.equal(on(big, { total: '1000', priority: null }), true);
  });

  test('a changed column, a presence test, a negation', () => {
    assert.equal(on('before.email != after.email', { email: 'b@x' }, { email: 'a@x' }), true);
    assert.equal(on('before.email != after.email', { email: 'a@x' }, { email: 'a@x' }), false);
    assert.equal(on('after.deleted_at is not null', { deleted_at: '2024-05-01T10:00:00Z' }), true);
    assert.equal(on('after.deleted_at is not null', { deleted_at: null }), false);
    assert.equal(on('after.deleted_at is not null', {}), false);
    assert.equal(on('not (after.qty > 0)', { qty: 0 }), true);
    assert.equal(on('not (after.qty > 0)', { qty: 3 }), false);
  });
});

describe('operators', () => {
  const row = { n: 5, s: 'b', t: true };
  const cases: [string, boolean][] = [
    ['after.n == 5', true],
    ['after.n != 5', false],
    ['after.n < 6', true],
    ['after.n < 5', false],
    ['after.n <= 5', true],
    ['after.n > 4', true],
    ['after.n > 5', false],
    ['after.n >= 5', true],
    ['after.n >= 6', false],
    ['after.n in [1, 5]', true],
    ['after.n in [1, 2]', false],
    ['after.n in []', false],
    ['after.n not in [1, 2]', true],
    ['after.n not  in [5]', false],
    ['after.s is null', false],
    ['after.nope is null', true],
    ['after.s is not null', true],
    ['after.s is\tnot null', true],
    ['after.s == null', false],
    ['after.nope == null', true],
    ['after.nope != null', false],
    ['after.n == 5 and after.s == \'b\'', true],
    ['after.n == 5 and after.s == \'c\'', false],
    ['after.n == 5 && after.s == "b"', true],
    ['after.n == 4 or after.s == \'b\'', true],
    ['after.n == 4 || after.s == \'c\'', false],
    ['not after.n == 4', true],
    ['!(after.n == 5)', false],
    ['! after.t', false],
    ['after.t', true],
    ['after.t and true', true],
    ['false or after.t', true],
    ['(after.n == 4 or after.n == 5) and after.s == \'b\'', true],
    ["after['n'] == 5", true],
    ['-1 < after.n', true],
    ['after.n > -5.5', true],
  ];
  for (const [source, expected] of cases) {
    test(source, () => assert.equal(on(source, row), expected));
  }

  test('and binds tighter than or: a or b and c is a or (b and c)', () => {
    // a true, b false, c false: a or (b and c) is true; (a or b) and c would be false.
    const r = { a: 1, b: 0, c: 0 };
    assert.equal(on('after.a == 1 or after.b == 1 and after.c == 1', r), true);
    assert.equal(on('(after.a == 1 or after.b == 1) and after.c == 1', r), false);
    assert.equal(on('after.b == 1 and after.c == 1 or after.a == 1', r), true);
    assert.equal(on('after.a == 1 || after.b == 1 && after.c == 1', r), true);
  });

  test('not binds looser than a comparison and tighter than and/or, as in Python and SQL', () => {
    assert.equal(on('not after.qty > 0', { qty: 0 }), true);
    assert.equal(on('not after.qty > 0', { qty: 1 }), false);
    assert.equal(on('not after.qty > 0 and after.x == 1', { qty: 0, x: 1 }), true);
    assert.equal(on('not after.qty > 0 and after.x == 1', { qty: 0, x: 2 }), false);
    assert.equal(on('not not after.qty > 0', { qty: 1 }), true);
    assert.equal(on('not after.s in [\'a\']', { s: 'a' }), false);
    assert.equal(on('not after.s is null', { s: 'a' }), true);
    assert.equal(on('not after.flag or after.x == 1', { flag: true, x: 2 }), false);
  });

  test('columns may be named like operators and literals', () => {
    const row = { in: 1, not: 2, and: 3, null: 4, true: 5, is_deleted: true, é: 6 };
    assert.equal(on('after.in == 1 and after.not == 2 and after.and == 3 and after.null == 4 and after.true == 5', row), true);
    assert.equal(on('after.is_deleted and after.é == 6', row), true);
  });

  test('op and table', () => {
    const c = compileExpression("op == 'u' and table == 'public.orders'");
    assert.equal(c.evaluate(change({}, {}, 'u')), true);
    assert.equal(c.evaluate(change({}, {}, 'c')), false);
    assert.equal(compileExpression("op in ['c', 'r']").evaluate(change({}, null, 'r')), true);
  });
});

describe('values: numbers, decimal strings, strings, booleans, null', () => {
  test('decimal strings compare with number literals by exact value', () => {
    assert.equal(on('after.total >= 1000', { total: '1000.50' }), true);
    assert.equal(on('after.total > 1000.5', { total: '1000.50' }), false);
    assert.equal(on('after.total == 1000.5', { total: '1000.50' }), true);
    assert.equal(on('after.total == 10', { total: '10.0' }), true);
    assert.equal(on('after.total == 10', { total: '10.000000000000000000000001' }), false);
    assert.equal(on('after.total < 0', { total: '-0.01' }), true);
    assert.equal(on('after.total == 0', { total: '-0.00' }), true);
    assert.equal(on('after.total == 1e3', { total: '1000' }), true);
    assert.equal(on('after.total > 1e-3', { total: '0.0011' }), true);
    assert.equal(on('after.total < -1000', { total: '-999.5' }), false);
    assert.equal(on('after.total > -1000', { total: '-999.5' }), true);
  });

  test('big decimals are never rounded through a double', () => {
    assert.equal(on("after.a > after.b", { a: '123456789012345678901234.5', b: '123456789012345678901234.4' }, null, { kinds: new Map([['a', 'number'], ['b', 'number']]) }), true);
    assert.equal(on('after.a > 123456789012345678901234.4', { a: '123456789012345678901234.5' }), true);
    assert.equal(on('after.a == 123456789012345678901234.5', { a: '123456789012345678901234.50' }), true);
    assert.equal(on('after.a < 123456789012345678901234.5', { a: '123456789012345678901234.4999999999' }), true);
    // 2^53 + 1 is not a double: as written, it differs from 2^53.
    assert.equal(on('after.id == 9007199254740993', { id: '9007199254740993' }), true);
    assert.equal(on('after.id == 9007199254740993', { id: '9007199254740992' }), false);
    assert.equal(on('after.id == 9007199254740993', { id: 9007199254740992 }), false);
    assert.equal(on('after.id > 9007199254740992', { id: '9007199254740993' }), true);
  });

  test('JSON numbers compare with literals and decimal strings exactly', () => {
    assert.equal(on('after.x == 0.1', { x: 0.1 }), true);
    assert.equal(on('after.x < 0.30000000000000004', { x: 0.3 }), true);
    assert.equal(on("after.x == '5'", { x: 5 }), true);
    assert.equal(on('after.x == after.y', { x: 5, y: '5.00' }), true);
    assert.equal(on('after.x > 1e21', { x: 2e21 }), true);
  });

  test('two decimal strings compare by value when the columns are numeric, as strings otherwise', () => {
    const r = { total: '10.00' };
    const b = { total: '9.50' };
    assert.equal(on('after.total > before.total', r, b, TYPED), true);
    assert.equal(on('after.total > before.total', r, b), false, 'without kinds, strings compare as strings');
    assert.equal(on("after.total == '10'", r, null, TYPED), true);
  });

  test('a value that is not a decimal is never equal to a number and never ordered', () => {
    assert.equal(on('after.total == 1', { total: 'NaN' }), false);
    assert.equal(on('after.total != 1', { total: 'NaN' }), true);
    assert.equal(on('after.total > 1', { total: 'abc' }), false);
    assert.equal(on('after.total < 1', { total: 'abc' }), false);
    assert.equal(on('after.total < 1', { total: [1] }), false);
    assert.equal(on('after.total > 1', { total: 'Infinity' }), true);
  });

  test('strings compare by code units', () => {
    assert.equal(on("after.s > 'a'", { s: 'b' }), true);
    assert.equal(on("after.s < 'a'", { s: 'B' }), true);
    assert.equal(on("after.s < 'ab'", { s: 'a' }), true);
    assert.equal(on("after.s == 'é'", { s: 'é' }), true);
    assert.equal(on("after.at > '2024-01-01T00:00:00Z'", { at: '2024-05-01T10:00:00Z' }), true);
    assert.equal(on("after.s == 'it\\'s'", { s: "it's" }), true);
    assert.equal(on('after.s == "say \\"hi\\""', { s: 'say "hi"' }), true);
  });

  test('null: equal only to null, never ordered, and missing rows or columns are null', () => {
    assert.equal(on('after.x == null', { x: null }), true);
    assert.equal(on('after.x != null', { x: 0 }), true);
    assert.equal(on("after.x != 'a'", { x: null }), true);
    assert.equal(on("after.x == 'a'", { x: null }), false);
    assert.equal(on('after.x < 5', { x: null }), false);
    assert.equal(on('after.x >= 5', { x: null }), false);
    assert.equal(on('after.x <= after.y', { x: null, y: null }), false);
    assert.equal(on('after.x == after.y', { x: null, y: null }), true);
    assert.equal(on('after.x in [null]', { x: null }), true);
    assert.equal(on('before.x is null', { x: 1 }, null), true);
    assert.equal(on('after.x is null', null, { x: 1 }), true);
    assert.equal(on('after.x', { x: null }), false);
  });

  test('booleans equal each other, and 1/0 (MySQL TINYINT(1)), never ordered', () => {
    assert.equal(on('after.b == true', { b: true }), true);
    assert.equal(on('after.b == true', { b: 1 }), true);
    assert.equal(on('after.b == false', { b: 0 }), true);
    assert.equal(on('after.b == true', { b: 2 }), false);
    assert.equal(on("after.b == 'true'", { b: true }), false);
    assert.equal(on('after.b', { b: 1 }), true);
    assert.equal(on('after.b', { b: 0 }), false);
    assert.equal(on('after.b', { b: 'yes' }), false);
    assert.equal(on('after.a > after.b', { a: true, b: false }), false);
  });

  test('JSON objects and arrays are equal by structure', () => {
    assert.equal(on('after.a == before.a', { a: { x: 1, y: [1, 2] } }, { a: { y: [1, 2], x: 1 } }), true);
    assert.equal(on('after.a != before.a', { a: { x: 1 } }, { a: { x: 2 } }), true);
    assert.equal(on('after.a == before.a', { a: [1, 2] }, { a: [2, 1] }), false);
  });
});

describe('compile errors carry the 1-based column', () => {
  const cases: [string, number][] = [
    ['', 1],
    ["after.status == 'x' and", 24],
    ['after.status = 1', 14],
    ['after.status === 1', 14],
    ['after.status <> 1', 14],
    ["after.status == 'unclosed", 26],
    ['(after.x == 1', 14],
    ['after.x == 1)', 13],
    ['after.x == 1 after.y == 2', 14],
    ['after.x == 1; after.y == 2', 13],
    ['after.x == 1, 2', 13],
    ['after.x == 1 AND after.y == 2', 14],
    ['after.x ? 1 : 2', 9],
    ['after.x + 1 > 2', 9],
    ['after.x == 1 ~ 2', 14],
    ['nosuch == 1', 1],
    ['after.x == nosuch', 12],
    ['after == 1', 1],
    ['after.a.b == 1', 9],
    ['after[0] == 1', 7],
    ['after?.x == 1', 1],
    ['after.x < null', 11],
    ['after.x >= true', 12],
    ['after.x < 1 < 2', 1],
    ['after.x == not after.y', 12],
    ['(not after.x) == 1', 2],
    ['(after.x or after.y) == 1', 1],
    ['after.x is 5', 12],
    ['after.x in after.y', 12],
    ["op == 'insert'", 7],
    ['op > 1', 1],
    ["table == 'orders'", 10],
    ["'abc'", 1],
    ['op', 1],
    ['12abc == 1', 3],
    ['after.x == [1]', 12],
    ['-after.x == 1', 1],
    ['after.x == 1 and', 17],
  ];
  for (const [source, column] of cases) {
    test(JSON.stringify(source), () => assertError(source, column));
  }

  test('the message names the problem and the column', () => {
    assert.throws(() => compileExpression('after.x = 1'), (err: Error) => /use == to compare at column 9/.test(err.message));
  });
});

describe('columns and kinds from the schema', () => {
  test('an unknown column is refused, naming the table and its columns', () => {
    assert.throws(
      () => compileExpression('after.nosuch == 1', TYPED),
      (err: Error & { code?: string; column?: number }) =>
        err.code === CODE && err.column === 7 && /unknown column nosuch in after \(table public\.orders has: id, status, total/.test(err.message),
    );
    assert.throws(() => compileExpression("before.status == 'x' and after.stats == 'y'", TYPED), { code: CODE, column: 32 });
  });

  test('a row that does not exist for these changes cannot be referenced', () => {
    const insertOnly: ExpressionOptions = { columns: { before: null, after: names } };
    assertError("after.status == 'x' and before.status != 'x'", 25, insertOnly);
    assert.equal(compileExpression("after.status == 'x'", insertOnly).evaluate(change({ status: 'x' })), true);
  });

  test('referenced columns are listed once, in order', () => {
    const c = compileExpression("before.status != after.status and after.total > 1 or after.status == 'X'", TYPED);
    assert.deepEqual(c.columns, ['before.status', 'after.status', 'after.total']);
    assert.equal(c.source, "before.status != after.status and after.total > 1 or after.status == 'X'");
    assert.deepEqual(compileExpression("op == 'u'").columns, []);
  });

  test('comparisons that can never hold are refused when kinds are known', () => {
    assertError("after.total > 'abc'", 15, TYPED);
    assertError("after.paid == 'yes'", 15, TYPED);
    assertError('after.paid > false', 14, TYPED);
    assertError('after.paid > after.paid', 1, TYPED);
    assertError('after.paid == 2', 15, TYPED);
    assertError('after.deleted_at and after.paid', 1, TYPED);
    assertError('after.total or after.paid', 1, TYPED);
    assert.equal(compileExpression('after.paid and after.deleted_at is not null', TYPED).evaluate(change({ paid: true, deleted_at: 'x' })), true);
    assert.equal(compileExpression('after.paid == 1', TYPED).evaluate(change({ paid: true })), true);
  });

  test('value kinds follow the JSON Schema, then the database type', () => {
    const kind = (type: string, jsonSchema: Record<string, unknown>) => valueKindOf(col('c', type, jsonSchema));
    assert.equal(kind('numeric(12,2)', { type: 'string', pattern: '^-?[0-9]+$' }), 'number');
    assert.equal(kind('int8', { type: 'string', pattern: '^-?[0-9]+$' }), 'number');
    assert.equal(kind('bigint(20) unsigned', { type: ['string', 'null'] }), 'number');
    assert.equal(kind('decimal(10,2)', { type: 'string' }), 'number');
    assert.equal(kind('float8', { anyOf: [{ type: 'number' }, { enum: ['NaN'] }] }), 'number');
    assert.equal(kind('NUMERIC', { type: ['number', 'string'] }), 'number');
    assert.equal(kind('int4', { type: 'integer' }), 'number');
    assert.equal(kind('tinyint(1)', { type: 'integer' }), 'boolean');
    assert.equal(kind('bool', { type: 'boolean' }), 'boolean');
    assert.equal(kind('jsonb', {}), 'json');
    assert.equal(kind('int4[]', { type: 'array' }), 'json');
    assert.equal(kind('interval', { type: 'string' }), 'string');
    assert.equal(kind('timestamptz', { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] }), 'string');
    assert.equal(kind('varchar(20)', { type: 'string' }), 'string');
  });
});

describe('safety', () => {
  test('injection attempts are refused at compile time', () => {
    for (const source of [
      "constructor.constructor('x')()",
      "after.constructor.constructor('return process')()",
      '__proto__',
      'after.__proto__ == null',
      "after['__proto__'] == null",
      'this.x == 1',
      'globalThis.process == null',
      "process.exit(1)",
      'after.x = 1',
      "require('fs')",
      'after.status.length > 0',
      '(() => 1)',
      'new Date()',
    ]) {
      assert.throws(() => compileExpression(source), { code: CODE }, source);
    }
  });

  test('only a row’s own columns are read: prototype names are null', () => {
    const row = JSON.parse('{"status":"x"}') as Row;
    assert.equal(on('after.constructor is null', row), true);
    assert.equal(on('after.toString is null', row), true);
    assert.equal(on('after.hasOwnProperty == null', row), true);
    assert.equal(on("after.constructor == 'x'", JSON.parse('{"constructor":"x"}') as Row), true);
  });

  test('evaluation never throws, whatever the input', () => {
    const c = compileExpression("after.a > 1 and before.b == 'x' or after.c in [1, 'y'] or table == 'a.b'");
    const odd = [
      { op: 'u', table: 'orders', before: undefined, after: undefined },
      { op: 'u', table: 'orders', before: 42, after: 'text' },
      { op: 'u', table: 'orders', before: [], after: { a: { deep: [1] } } },
      {},
    ] as unknown as ExpressionInput[];
    for (const input of odd) assert.equal(typeof c.evaluate(input), 'boolean');
  });

  test('the compiled expression is frozen', () => {
    const c = compileExpression('after.a == 1');
    assert.ok(Object.isFrozen(c));
  });

  test('jsep is left with its own grammar for other users (regression: process-wide tables)', () => {
    compileExpression("after.a == 1 and after.b in ['x']");
    assert.throws(() => compileExpression('after.a =='), { code: CODE });
    const ast = jsep('a + b ? c : d');
    assert.equal(ast.type, 'ConditionalExpression');
    assert.equal((jsep('x && y') as jsep.BinaryExpression).operator, '&&');
  });
});

test('many evaluations run on one compiled expression (a smoke check, not a timing)', () => {
  const c = compileExpression("before.status != 'SHIPPED' and after.status == 'SHIPPED' or after.total >= 1000 or after.priority in ['HIGH', 'URGENT']", TYPED);
  let matched = 0;
  for (let i = 0; i < 100_000; i++) {
    const input = change({ status: i % 3 === 0 ? 'SHIPPED' : 'PAID', total: `${i % 2000}.50`, priority: 'LOW' }, { status: 'PAID' });
    if (c.evaluate(input)) matched++;
  }
  // i % 3 == 0, or i % 2000 >= 1000, counted exactly.
  let expected = 0;
  for (let i = 0; i < 100_000; i++) if (i % 3 === 0 || i % 2000 >= 1000) expected++;
  assert.equal(matched, expected);
});
