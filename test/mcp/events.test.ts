/**
 * `ficus mcp` reading a real bridge's embedded event log: a legacy SQLite database captured by
 * a bridge started in-process, its AsyncAPI document, and the MCP client over stdio.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { asyncApiYaml } from '../../bridges/asyncapi.js';
import type { CloudEvent } from '../../bridges/change.js';
import { bridgeOptions, type BridgeConfig } from '../../bridges/options.js';
import { startBridgeService, type BridgeService } from '../../bridges/service.js';
import { parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { MAX_EVENTS } from '../../mcp/limits.js';
import { eventually } from '../gateway/harness.js';
import { tempDir } from '../helpers/tmp.js';
import { callError, callOk, startMcp } from './harness.js';

function bridgeSection(dir: string): string {
  return `store:\n  path: ${join(dir, 'bridge.db')}\nlog:\n  level: warn\nbridge:\n  name: shop\n  listen: 127.0.0.1:0\n  asyncapi: ${join(dir, 'asyncapi.yaml')}\n  source:\n    kind: sqlite\n    path: ${join(dir, 'legacy.db')}\n    tables: [orders, customers]\n    pollMs: 20\n  events:\n    - table: orders\n      op: insert\n      type: order_placed\n    - table: orders\n      op: update\n      when: "before.status != 'SHIPPED' and after.status == 'SHIPPED'"\n      type: order_shipped\n`;
}

async function startBridge(t: TestContext, dir: string, text: string): Promise<BridgeService> {
  const loaded = parseConfig<{ store: { path: string }; bridge: BridgeConfig }>(text, 'ficus.yaml');
  const options = bridgeOptions(loaded.config.bridge, { storePath: loaded.config.store.path });
  const service = await startBridgeService(options, { logger: createLogger({ level: 'silent' }), loaded });
  t.after(() => service.close());
  writeFileSync(options.asyncapi!, asyncApiYaml(service.tables, { name: options.name, version: '0.0.0', sink: options.sink, listen: options.listen, events: options.events }));
  return service;
}

interface Item {
  cursor: string;
  topic: string;
  key: string;
  event: CloudEvent;
}
interface Page {
  events: Item[];
  next: string;
  more: boolean;
  truncated: boolean;
}
interface Types {
  types: { type: string; declared: boolean; count?: number; topics: string[]; summary: string | null; lastCursor?: string }[];
}

test('list_event_types and read_events over a real bridge run: counts, cursors, type filter, limits, nothing written', async (t) => {
  const dir = tempDir(t);
  const legacy = new Database(join(dir, 'legacy.db'));
  t.after(() => legacy.close());
  legacy.pragma('journal_mode = WAL');
  legacy.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT NOT NULL, note TEXT); CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);');
  legacy.prepare("INSERT INTO customers (id, name) VALUES (7, 'Ada')").run();
  const text = bridgeSection(dir);
  const service = await startBridge(t, dir, text);
  await eventually(() => service.log!.count() === 1, 5000, 'the snapshot');
  legacy.prepare("INSERT INTO orders (id, status) VALUES (1, 'NEW')").run();
  legacy.prepare("INSERT INTO orders (id, status, note) VALUES (2, 'NEW', ?)").run('x'.repeat(10_000));
  legacy.prepare("UPDATE orders SET status = 'SHIPPED' WHERE id = 1").run();
  legacy.prepare('DELETE FROM customers WHERE id = 7').run();
  await eventually(() => service.log!.count() === 5, 5000, 'five events');

  // The MCP server reads the same config: its event source and AsyncAPI document default from bridge:.
  const client = await startMcp(t, dir, text);

  const { types } = await callOk<Types>(client, 'list_event_types');
  const byType = new Map(types.map((x) => [x.type, x]));
  assert.equal(byType.get('order_placed')?.count, 2);
  assert.equal(byType.get('order_shipped')?.count, 1);
  assert.equal(byType.get('customer_snapshot')?.count, 1);
  assert.equal(byType.get('customer_deleted')?.count, 1);
  assert.equal(byType.get('order_deleted')?.count, 0, 'declared in the AsyncAPI document, not seen yet');
  assert.ok(types.every((x) => x.declared), 'every type in the log is declared');
  assert.deepEqual(byType.get('order_placed')?.topics, ['ficus.main.orders']);
  assert.match(byType.get('order_shipped')?.summary ?? '', /SHIPPED/);

  // Paging with the cursor reaches every event once, oldest first.
  const first = await callOk<Page>(client, 'read_events', { limit: 2 });
  assert.equal(first.events.length, 2);
  assert.equal(first.more, true);
  assert.equal(first.next, first.events[1]!.cursor);
  const rest = await callOk<Page>(client, 'read_events', { after: first.next, limit: 200 });
  assert.equal(rest.more, false);
  const all = [...first.events, ...rest.events];
  assert.deepEqual(all.map((e) => `${e.event.type}:${e.event.subject}`), ['customer_snapshot:7', 'order_placed:1', 'order_placed:2', 'order_shipped:1', 'customer_deleted:7']);
  const expected = service.log!.read(0, { limit: 100 });
  assert.deepEqual(all.map((e) => e.event.id), expected.map((e) => e.event.id));

  // Long strings are clipped and the answer says so.
  const big = all.find((e) => e.event.subject === '2')!;
  assert.equal(rest.truncated, true);
  const note = big.event.data.after!.note as string;
  assert.ok(note.length < 2100 && /…\[8000 more characters\]$/.test(note), note.slice(-40));

  // Type filter.
  const shipped = await callOk<Page>(client, 'read_events', { types: ['order_shipped'] });
  assert.deepEqual(shipped.events.map((e) => e.event.subject), ['1']);
  assert.deepEqual((await callOk<Page>(client, 'read_events', { types: ['order_placed'], after: shipped.events[0]!.cursor })).events, []);

  // Bad input: an error result, not a crash; the server answers the next call.
  assert.match(await callError(client, 'read_events', { limit: MAX_EVENTS + 1 }), /limit/);
  assert.match(await callError(client, 'read_events', { limit: -1 }), /limit/);
  assert.match(await callError(client, 'read_events', { after: 'yesterday' }), /cursor/);
  assert.match(await callError(client, 'read_events', { types: 'order_placed' }), /types/);
  assert.equal((await callOk<Page>(client, 'read_events', { limit: 1 })).events.length, 1);

  // Read-only: the log did not change, and the bridge keeps appending to it while the server reads.
  assert.equal(service.log!.count(), 5);
  legacy.prepare("INSERT INTO orders (id, status) VALUES (3, 'NEW')").run();
  await eventually(() => service.log!.count() === 6, 5000, 'the bridge still writes');
  const after = await callOk<Page>(client, 'read_events', { after: rest.next });
  assert.deepEqual(after.events.map((e) => `${e.event.type}:${e.event.subject}`), ['order_placed:3']);
  assert.equal(service.log!.count(), 6);
});

test('an embedded store that does not exist yet is reported, not created', async (t) => {
  const dir = tempDir(t);
  const client = await startMcp(t, dir, `log:\n  level: warn\nmcp:\n  events:\n    kind: embedded\n    store: ${join(dir, 'never.db')}\n`);
  assert.match(await callError(client, 'read_events'), /no event log yet: the store .*never\.db does not exist/);
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(join(dir, 'never.db')), false);
});
