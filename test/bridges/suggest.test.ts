import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import type { ColumnInfo, TableInfo } from '../../bridges/change.js';
import { createEventMapper, validateEventRules, type EventRule } from '../../bridges/mapping.js';
import { suggestEventRules } from '../../bridges/suggest.js';

const col = (name: string, type: string, jsonSchema: Record<string, unknown>, nullable = false): ColumnInfo => ({ name, type, nullable, jsonSchema });
const text = (name: string, type = 'text'): ColumnInfo => col(name, type, { type: 'string' });
const timestamptz = (name: string): ColumnInfo => col(name, 'timestamptz', { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] }, true);

/** A shop schema as the PostgreSQL source describes it, with one MySQL-style enum column. */
const SHOP: TableInfo[] = [
  {
    schema: 'public',
    table: 'customers',
    primaryKey: ['id'],
    columns: [
      col('id', 'int4', { type: 'integer' }),
      text('email', 'varchar(200)'),
      text('full_name'),
      col('is_active', 'bool', { type: 'boolean' }),
      timestamptz('created_at'),
      timestamptz('deleted_at'),
    ],
  },
  {
    schema: 'public',
    table: 'orders',
    primaryKey: ['id'],
    columns: [
      col('id', 'int8', { type: 'string', pattern: '^-?[0-9]+$' }),
      col('customer_id', 'int4', { type: 'integer' }),
      text('status', 'order_status'),
      col('total', 'numeric(12,2)', { type: 'string', pattern: '^(-?[0-9]+(\\.[0-9]+)?|NaN|-?Infinity)$' }),
      timestamptz('placed_at'),
      timestamptz('status_changed_at'),
      col('fulfillment_stage', "enum('PICKING','PACKED','SHIPPED')", { type: 'string', enum: ['PICKING', 'PACKED', 'SHIPPED', ''] }),
    ],
  },
  {
    schema: 'public',
    table: 'order_items',
    primaryKey: ['order_id', 'line_no'],
    columns: [
      col('order_id', 'int8', { type: 'string' }),
      col('line_no', 'int4', { type: 'integer' }),
      text('product_sku', 'varchar(40)'),
      col('qty', 'int4', { type: 'integer' }),
      col('unit_price', 'numeric(10,2)', { type: 'string' }),
    ],
  },
];

const EXPECTED: EventRule[] = [
  { table: 'public.customers', op: 'insert', type: 'customer_created' },
  { table: 'public.customers', op: 'update', type: 'customer_updated' },
  { table: 'public.customers', op: 'delete', type: 'customer_deleted' },
  { table: 'public.customers', op: 'update', when: 'before.is_active != false and after.is_active == false', type: 'customer_deleted' },
  { table: 'public.customers', op: 'update', when: 'before.deleted_at is null and after.deleted_at is not null', type: 'customer_deleted' },
  { table: 'public.orders', op: 'insert', type: 'order_created' },
  { table: 'public.orders', op: 'update', type: 'order_updated' },
  { table: 'public.orders', op: 'delete', type: 'order_deleted' },
  { table: 'public.orders', op: 'update', when: 'before.status != after.status', type: 'order_status_changed' },
  { table: 'public.orders', op: 'update', when: 'before.fulfillment_stage != after.fulfillment_stage', type: 'order_fulfillment_stage_changed' },
  { table: 'public.order_items', op: 'insert', type: 'order_item_created' },
  { table: 'public.order_items', op: 'update', type: 'order_item_updated' },
  { table: 'public.order_items', op: 'delete', type: 'order_item_deleted' },
];

/** The YAML with every commented-out rule enabled. */
function uncommented(yaml: string): string {
  return yaml
    .split('\n')
    .map((line) => line.replace(/^ {2}# (- |  )/, '  $1'))
    .join('\n');
}

describe('suggestEventRules on a shop schema', () => {
  const suggestion = suggestEventRules(SHOP);

  test('proposes CRUD events per table, soft deletes, and status changes', () => {
    assert.deepEqual(suggestion.rules, EXPECTED);
  });

  test('the rules are valid for the mapper', () => {
    assert.deepEqual(validateEventRules(suggestion.rules, SHOP), []);
    createEventMapper(suggestion.rules, SHOP, { topicPrefix: 'ficus' });
  });

  test('the YAML parses back to the same rules', () => {
    assert.deepEqual(parse(suggestion.yaml), { events: EXPECTED });
  });

  test('the YAML explains each rule and marks what needs review', () => {
    const yaml = suggestion.yaml;
    assert.match(yaml, /^# Event mapping suggested/);
    assert.match(yaml, /# public\.orders → entity "order"/);
    assert.match(yaml, /# Soft delete: deleted_at gets set/);
    assert.match(yaml, /TODO\(review\): if an inactive customer is not a deleted one/);
    assert.match(yaml, /# fulfillment_stage looks like a lifecycle \(enum: PICKING, PACKED, SHIPPED\)/);
    assert.match(yaml, /# {3}when: "before\.fulfillment_stage != 'SHIPPED' and after\.fulfillment_stage == 'SHIPPED'"/);
    assert.match(yaml, /# {3}type: order_fulfillment_stage_shipped/);
    assert.match(yaml, /# {3}when: "before\.status != 'VALUE' and after\.status == 'VALUE'"/);
    assert.doesNotMatch(yaml, /status_changed_at_changed/);
  });

  test('the commented transitions, once enabled, are valid rules too', () => {
    const enabled = (parse(uncommented(suggestion.yaml)) as { events: EventRule[] }).events;
    assert.deepEqual(
      enabled.filter((r) => r.table === 'public.orders').map((r) => r.type),
      [
        'order_created',
        'order_updated',
        'order_deleted',
        'order_value',
        'order_status_changed',
        'order_fulfillment_stage_picking',
        'order_fulfillment_stage_packed',
        'order_fulfillment_stage_shipped',
        'order_fulfillment_stage_changed',
      ],
    );
    assert.deepEqual(validateEventRules(enabled, SHOP), []);
  });

  test('notes say which tables need the whole old row', () => {
    assert.ok(suggestion.notes.some((n) => n.startsWith('public.customers:') && n.includes('REPLICA IDENTITY FULL')));
    assert.ok(suggestion.notes.some((n) => n.startsWith('public.orders:') && n.includes('REPLICA IDENTITY FULL')));
    assert.ok(!suggestion.notes.some((n) => n.startsWith('public.order_items')));
  });
});

describe('suggestEventRules details', () => {
  test('naming hints rename entities; unusable hints are reported and ignored', () => {
    const tables: TableInfo[] = [
      { schema: 'legacy', table: 'TBL_ORD', primaryKey: ['ID'], columns: [col('ID', 'int4', { type: 'integer' })] },
      { schema: 'legacy', table: 'TBL_CUST', primaryKey: ['ID'], columns: [col('ID', 'int4', { type: 'integer' })] },
      { schema: 'legacy', table: 'TBL_X', primaryKey: ['ID'], columns: [col('ID', 'int4', { type: 'integer' })] },
    ];
    const s = suggestEventRules(tables, { llmNames: { 'legacy.TBL_ORD': 'PurchaseOrder', TBL_CUST: 'customer', TBL_X: '42' } });
    assert.deepEqual(
      s.rules.filter((r) => r.op === 'insert').map((r) => r.type),
      ['purchase_order_created', 'customer_created', 'tbl_x_created'],
    );
    assert.ok(s.notes.some((n) => n.includes('"42"') && n.includes('legacy.TBL_X')));
  });

  test('flags held as numbers (MySQL TINYINT) compare with true; text flags are left to a person', () => {
    const tables: TableInfo[] = [
      {
        schema: 'shop',
        table: 'products',
        primaryKey: ['id'],
        columns: [col('id', 'int(11)', { type: 'integer' }), col('deleted', 'tinyint(1)', { type: 'integer' })],
      },
      { schema: 'shop', table: 'vendors', primaryKey: ['id'], columns: [col('id', 'int(11)', { type: 'integer' }), text('is_deleted', 'char(1)')] },
    ];
    const s = suggestEventRules(tables);
    assert.deepEqual(s.rules.find((r) => r.when !== undefined), { table: 'shop.products', op: 'update', when: 'before.deleted != true and after.deleted == true', type: 'product_deleted' });
    assert.equal(s.rules.filter((r) => r.table === 'shop.vendors').length, 3);
    assert.ok(s.notes.some((n) => n.includes('shop.vendors.is_deleted') && n.includes('by hand')));
    assert.deepEqual(validateEventRules(s.rules, tables), []);
  });

  test('an address state is suggested but flagged; numeric status codes get numeric examples', () => {
    const tables: TableInfo[] = [
      { schema: 'crm', table: 'addresses', primaryKey: ['id'], columns: [col('id', 'int4', { type: 'integer' }), text('city'), text('state')] },
      { schema: 'crm', table: 'tickets', primaryKey: ['id'], columns: [col('id', 'int4', { type: 'integer' }), col('status_code', 'int2', { type: 'integer' })] },
    ];
    const s = suggestEventRules(tables);
    assert.ok(s.rules.some((r) => r.type === 'address_state_changed'));
    assert.ok(s.notes.some((n) => n.includes('crm.addresses.state') && n.includes('address')));
    assert.match(s.yaml, /# {3}when: "before\.status_code != 0 and after\.status_code == 0"/);
    assert.deepEqual(validateEventRules((parse(uncommented(s.yaml)) as { events: EventRule[] }).events, tables), []);
  });

  test('entities that collide across schemas are noted', () => {
    const t = (schema: string): TableInfo => ({ schema, table: 'orders', primaryKey: ['id'], columns: [col('id', 'int4', { type: 'integer' })] });
    const s = suggestEventRules([t('eu'), t('us')]);
    assert.ok(s.notes.some((n) => n.includes('us.orders and eu.orders') && n.includes('"order"')));
  });

  test('no tables: an empty list and a note', () => {
    const s = suggestEventRules([]);
    assert.deepEqual(s.rules, []);
    assert.deepEqual(parse(s.yaml), { events: [] });
    assert.equal(s.notes.length, 1);
  });
});
