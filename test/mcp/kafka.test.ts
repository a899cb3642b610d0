/**
 * `read_events` from real Kafka: a SQLite bridge publishing to a random topic prefix, read back
 * through `ficus mcp` by cursor, type and limit, without committing any offset.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import kafkajs from 'kafkajs';
import { bridgeOptions, type BridgeConfig } from '../../bridges/options.js';
import { startBridgeService } from '../../bridges/service.js';
import { parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { eventually } from '../gateway/harness.js';
import { randomName, serviceOrSkip } from '../helpers/services.js';
import { tempDir } from '../helpers/tmp.js';
import { callError, callOk, startMcp } from './harness.js';

const kafka = serviceOrSkip('kafka');

interface Page {
  events: { cursor: string; topic: string; event: { type: string; subject: string } }[];
  next: string;
  more: boolean;
}

test('read_events from Kafka: topic:partition:offset cursors, type filter, limit, no consumer group left behind', { skip: kafka.skip, timeout: 90_000 }, async (t) => {
  const dir = tempDir(t);
  const prefix = randomName('mcp');
  const legacy = new Database(join(dir, 'legacy.db'));
  t.after(() => legacy.close());
  legacy.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT NOT NULL)');
  legacy.prepare("INSERT INTO orders (id, status) VALUES (1, 'NEW')").run();
  const brokers = kafka.url.split(',');
  const text = `store:\n  path: ${join(dir, 'bridge.db')}\nlog:\n  level: warn\nbridge:\n  name: k\n  listen: 127.0.0.1:0\n  source:\n    kind: sqlite\n    path: ${join(dir, 'legacy.db')}\n    tables: [orders]\n    pollMs: 20\n  sink:\n    kind: kafka\n    brokers: [${brokers.join(', ')}]\n    topicPrefix: ${prefix}\n  events:\n    - { table: orders, op: insert, type: order_placed }\n`;
  const loaded = parseConfig<{ store: { path: string }; bridge: BridgeConfig }>(text, 'ficus.yaml');
  const service = await startBridgeService(bridgeOptions(loaded.config.bridge, { storePath: loaded.config.store.path }), { logger: createLogger({ level: 'silent' }), loaded });
  t.after(() => service.close());
  for (let id = 2; id <= 4; id++) legacy.prepare("INSERT INTO orders (id, status) VALUES (?, 'NEW')").run(id);
  legacy.prepare("UPDATE orders SET status = 'PAID' WHERE id = 2").run();
  await eventually(async () => (await service.bridge.status()).eventsTotal >= 5, 30_000, 'five events published');

  const client = await startMcp(t, dir, text);
  const topic = `${prefix}.main.orders`;
  const first = await callOk<Page>(client, 'read_events', { limit: 2 });
  assert.equal(first.events.length, 2);
  assert.equal(first.more, true);
  assert.ok(first.events.every((e) => e.topic === topic));
  assert.match(first.next, new RegExp(`^${topic}:\\d+:\\d+`));
  const rest = await callOk<Page>(client, 'read_events', { after: first.next, limit: 50 });
  const all = [...first.events, ...rest.events].map((e) => `${e.event.type}:${e.event.subject}`);
  assert.deepEqual(all.sort(), ['order_placed:2', 'order_placed:3', 'order_placed:4', 'order_snapshot:1', 'order_updated:2'].sort());
  assert.equal(rest.more, false);
  const caughtUp = await callOk<Page>(client, 'read_events', { after: rest.next });
  assert.deepEqual(caughtUp.events, []);
  const placed = await callOk<Page>(client, 'read_events', { types: ['order_placed'], limit: 50 });
  assert.deepEqual(placed.events.map((e) => e.event.subject).sort(), ['2', '3', '4']);
  assert.match(await callError(client, 'read_events', { after: 'orders:zero' }), /topic:partition:offset/);

  // Read-only: no consumer group of ours is left on the broker.
  const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    assert.deepEqual(groups.filter((g) => g.groupId.startsWith('ficus-mcp-')), []);
  } finally {
    await admin.disconnect();
  }
});
