import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ColumnInfo, Op, Row, RowChange, TableInfo } from '../../bridges/change.js';
import { createEventMapper, defaultEventType, entityName, validateEventRules, type EventRule } from '../../bridges/mapping.js';

const col = (name: string, type: string, jsonSchema: Record<string, unknown>): ColumnInfo => ({ name, type, nullable: true, jsonSchema });
const str = (name: string): ColumnInfo => col(name, 'text', { type: 'string' });

function table(schema: string, name: string, columns: ColumnInfo[]): TableInfo {
  return { schema, table: name, primaryKey: ['id'], columns: [col('id', 'int4', { type: 'integer' }), ...columns] };
}

const TABLES: TableInfo[] = [
  table('public', 'orders', [str('status'), col('total', 'numeric(12,2)', { type: 'string' }), str('priority'), col('deleted_at', 'timestamptz', { type: ['string', 'null'] })]),
  table('public', 'customers', [str('email')]),
  table('public', 'categories', [str('name')]),
  table('public', 'addresses', [str('city')]),
  table('public', 'status', [str('label')]),
  table('shop', 'order_items', [col('qty', 'int4', { type: 'integer' })]),
  table('shop', 'customers', [str('email')]),
];

let position = 0;
function change(schema: string, tableName: string, op: Op, after: Row | null, before: Row | null = null): RowChange {
  position++;
  return { op, schema, table: tableName, before, after, key: { id: 1 }, txId: '1', txOrder: 0, position: String(position), commitTimeMs: null };
}
const orders = (op: Op, after: Row | null, before: Row | null = null): RowChange => change('public', 'orders', op, after, before);

describe('default events', () => {
  const mapper = createEventMapper([], TABLES, { topicPrefix: 'ficus' });

  test('created, updated, deleted, and snapshot for snapshot reads', () => {
    assert.deepEqual(mapper.map(orders('c', { id: 1 })), [{ type: 'order_created', topic: 'ficus.public.orders' }]);
    assert.deepEqual(mapper.map(orders('u', { id: 1 }, { id: 1 })), [{ type: 'order_updated', topic: 'ficus.public.orders' }]);
    assert.deepEqual(mapper.map(orders('d', null, { id: 1 })), [{ type: 'order_deleted', topic: 'ficus.public.orders' }]);
    assert.deepEqual(mapper.map(orders('r', { id: 1 })), [{ type: 'order_snapshot', topic: 'ficus.public.orders' }]);
  });

  test('the entity is the singular table name; the topic keeps schema and table', () => {
    assert.deepEqual(mapper.map(change('public', 'categories', 'c', {})), [{ type: 'category_created', topic: 'ficus.public.categories' }]);
    assert.deepEqual(mapper.map(change('public', 'addresses', 'u', {}, {})), [{ type: 'address_updated', topic: 'ficus.public.addresses' }]);
    assert.deepEqual(mapper.map(change('public', 'status', 'd', null, {})), [{ type: 'status_deleted', topic: 'ficus.public.status' }]);
    assert.deepEqual(mapper.map(change('shop', 'order_items', 'c', {})), [{ type: 'order_item_created', topic: 'ficus.shop.order_items' }]);
  });

  test('an empty topic prefix leaves schema.table', () => {
    const bare = createEventMapper([], TABLES, { topicPrefix: '' });
    assert.deepEqual(bare.map(orders('c', {})), [{ type: 'order_created', topic: 'public.orders' }]);
  });

  test('a change from a table the mapper was not built with still gets its default event', () => {
    assert.deepEqual(mapper.map(change('public', 'invoices', 'c', {})), [{ type: 'invoice_created', topic: 'ficus.public.invoices' }]);
  });

  test('entity names', () => {
    const cases: [string, string][] = [
      ['orders', 'order'],
      ['categories', 'category'],
      ['addresses', 'address'],
      ['status', 'status'],
      ['statuses', 'status'],
      ['order_items', 'order_item'],
      ['OrderItems', 'order_item'],
      ['ORDERS', 'order'],
      ['people', 'person'],
      ['data', 'data'],
      ['user_metadata', 'user_metadata'],
      ['2fa_codes', 't_2fa_code'],
    ];
    for (const [name, entity] of cases) assert.equal(entityName(name), entity, name);
    assert.equal(defaultEventType('order', 'r'), 'order_snapshot');
  });
});

describe('rules', () => {
  const rules: EventRule[] = [
    { table: 'public.orders', op: 'update', type: 'order_updated' },
    { table: 'public.orders', op: 'update', when: "before.status != 'SHIPPED' and after.status == 'SHIPPED'", type: 'order_shipped' },
    { table: 'public.orders', when: "after.total >= 1000 or after.priority in ['HIGH', 'URGENT']", type: 'order_large', topic: 'sales.large-orders' },
    { table: 'public.orders', op: 'update', when: 'after.total > before.total', type: 'order_total_raised' },
    { table: 'public.orders', op: 'snapshot', when: "after.status == 'OPEN'", type: 'order_open_at_start' },
    { table: 'public.orders', op: 'update', type: 'order_updated' },
  ];
  const mapper = createEventMapper(rules, TABLES, { topicPrefix: 'ficus' });

  test('every matching rule emits, in rule order, once per type and topic', () => {
    const shippedBig = orders('u', { status: 'SHIPPED', total: '1500.00', priority: 'LOW' }, { status: 'PAID', total: '1500.00' });
    assert.deepEqual(mapper.map(shippedBig), [
      { type: 'order_updated', topic: 'ficus.public.orders' },
      { type: 'order_shipped', topic: 'ficus.public.orders' },
      { type: 'order_large', topic: 'sales.large-orders' },
    ]);
  });

  test('a rule without when always matches its op', () => {
    const edit = orders('u', { status: 'PAID', total: '10.00', priority: 'LOW' }, { status: 'PAID', total: '10.00' });
    assert.deepEqual(mapper.map(edit), [{ type: 'order_updated', topic: 'ficus.public.orders' }]);
  });

  test('decimal columns compare by value, using the column types', () => {
    const raised = orders('u', { status: 'PAID', total: '10.00', priority: 'LOW' }, { status: 'PAID', total: '9.50' });
    assert.deepEqual(
      mapper.map(raised).map((e) => e.type),
      ['order_updated', 'order_total_raised'],
    );
  });

  test('when no rule matches, the default event is emitted', () => {
    assert.deepEqual(mapper.map(orders('c', { status: 'NEW', total: '5', priority: 'LOW' })), [{ type: 'order_created', topic: 'ficus.public.orders' }]);
    assert.deepEqual(mapper.map(orders('c', { status: 'NEW', total: '5', priority: 'URGENT' })), [{ type: 'order_large', topic: 'sales.large-orders' }]);
    assert.deepEqual(mapper.map(orders('d', null, { id: 1 })), [{ type: 'order_deleted', topic: 'ficus.public.orders' }]);
  });

  test('op any is live changes only; snapshot reads match only op snapshot rules', () => {
    assert.deepEqual(mapper.map(orders('r', { status: 'SHIPPED', total: '5000', priority: 'HIGH' })), [{ type: 'order_snapshot', topic: 'ficus.public.orders' }]);
    assert.deepEqual(mapper.map(orders('r', { status: 'OPEN', total: '5000', priority: 'HIGH' })), [{ type: 'order_open_at_start', topic: 'ficus.public.orders' }]);
  });

  test('rules on other tables do not apply', () => {
    assert.deepEqual(mapper.map(change('public', 'customers', 'u', { email: 'x' }, { email: 'y' })), [{ type: 'customer_updated', topic: 'ficus.public.customers' }]);
  });

  test('a bare table name resolves when one captured table has it', () => {
    const m = createEventMapper([{ table: 'categories', op: 'insert', type: 'category_added' }], TABLES, { topicPrefix: 'ficus' });
    assert.deepEqual(m.map(change('public', 'categories', 'c', {})), [{ type: 'category_added', topic: 'ficus.public.categories' }]);
  });

  test('the order of rules is the order of events', () => {
    const reversed = createEventMapper([...rules].reverse(), TABLES, { topicPrefix: 'ficus' });
    const shippedBig = orders('u', { status: 'SHIPPED', total: '1500.00', priority: 'LOW' }, { status: 'PAID', total: '1500.00' });
    assert.deepEqual(
      reversed.map(shippedBig).map((e) => e.type),
      ['order_updated', 'order_large', 'order_shipped'],
    );
  });

  test('a missing before row (insert under op any) reads as null', () => {
    const m = createEventMapper([{ table: 'public.orders', when: 'before.status is null', type: 'order_new_row' }], TABLES, { topicPrefix: 'ficus' });
    assert.deepEqual(m.map(orders('c', { status: 'NEW' })).map((e) => e.type), ['order_new_row']);
    assert.deepEqual(m.map(orders('u', { status: 'NEW' }, { status: 'OLD' })).map((e) => e.type), ['order_updated']);
  });
});

describe('validation', () => {
  const bad: EventRule[] = [
    { table: 'public.orders', op: 'update', when: "before.status != after.status", type: 'order_status_changed' },
    { table: 'public.orderz', type: 'order_x' },
    { table: 'public.orders', when: "after.status == 'x' and", type: 'order_y' },
    { table: 'public.orders', when: 'after.nosuch == 1', type: 'order_z' },
    { table: 'public.orders', op: 'insert', when: "before.status == 'x'", type: 'order_a' },
    { table: 'public.orders', op: 'delete', when: "after.status == 'x'", type: 'order_b' },
    { table: 'public.orders', type: 'OrderShipped' },
    { table: 'public.orders', type: 'order_c', topic: 'bad topic' },
    { table: 'public.orders', op: 'upsert' as EventRule['op'], type: 'order_d' },
    { table: 'customers', type: 'customer_x' },
    { table: 'public.nope', when: 'after.x ==', type: 'Bad' },
    { table: 'public.orders', op: 'snapshot', when: 'before.id == 1', type: 'order_e' },
  ];

  test('every problem is listed, with the rule index and the field', () => {
    const issues = validateEventRules(bad, TABLES);
    assert.deepEqual(
      issues.map((i) => [i.index, i.field]),
      [
        [1, 'table'],
        [2, 'when'],
        [3, 'when'],
        [4, 'when'],
        [5, 'when'],
        [6, 'type'],
        [7, 'topic'],
        [8, 'op'],
        [9, 'table'],
        [10, 'table'],
        [10, 'type'],
        [10, 'when'],
        [11, 'when'],
      ],
    );
    const message = (index: number, field: string): string => issues.find((i) => i.index === index && i.field === field)!.message;
    assert.match(message(1, 'table'), /public\.orderz.*captured: public\.orders/);
    assert.match(message(2, 'when'), /at column 24/);
    assert.match(message(3, 'when'), /unknown column nosuch in after \(table public\.orders has: id, status/);
    assert.match(message(4, 'when'), /op insert may not reference before .*before\.status/);
    assert.match(message(5, 'when'), /op delete may not reference after/);
    assert.match(message(9, 'table'), /ambiguous.*public\.customers, shop\.customers/);
    assert.match(message(11, 'when'), /snapshot reads have no before row/);
  });

  test('good rules have no issues', () => {
    assert.deepEqual(validateEventRules([bad[0]!, { table: 'shop.order_items', op: 'delete', when: 'before.qty > 0', type: 'order_item.removed', topic: 'a.b-c_d' }], TABLES), []);
  });

  test('createEventMapper throws the first problem, as its own error', () => {
    const opts = { topicPrefix: 'ficus' };
    assert.throws(() => createEventMapper([bad[0]!, bad[1]!], TABLES, opts), { code: 'FICUS_BR_UNKNOWN_TABLE' });
    assert.throws(() => createEventMapper([bad[2]!], TABLES, opts), { code: 'FICUS_BR_EXPRESSION', column: 24 });
    assert.throws(() => createEventMapper([bad[4]!], TABLES, opts), { code: 'FICUS_BR_EXPRESSION', column: 1 });
    assert.throws(() => createEventMapper([bad[6]!], TABLES, opts), { code: 'FICUS_CFG_INVALID' });
    assert.throws(() => createEventMapper([bad[7]!], TABLES, opts), { code: 'FICUS_CFG_INVALID' });
  });
});
