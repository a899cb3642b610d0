/**
 * The bridge's promises, proven against the real PostgreSQL, MariaDB and Kafka: no loss and
 * per-key order across kill -9 of the `ficus bridge` process, a Kafka broker restart and a
 * source database restart; re-delivered changes carry the same event ids; a column added while
 * streaming shows up in later events.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import type { CloudEvent } from '../../bridges/change.js';
import { bridgeOptions, type BridgeConfig } from '../../bridges/options.js';
import { startBridgeService } from '../../bridges/service.js';
import { decodeKafkaCloudEvent } from '../../bridges/sinks/kafka.js';
import { assertValidEvent } from '../helpers/event-schema.js';
import { kafka as kafkaCtl, restartMariadb, restartPostgres } from '../helpers/restart.js';
import { cleanupStack, randomName, serviceOrSkip } from '../helpers/services.js';
import { repoRoot, tempDir } from '../helpers/tmp.js';

const pgService = serviceOrSkip('pg');
const mysqlService = serviceOrSkip('mysql');
const kafkaService = serviceOrSkip('kafka');
const bin = join(repoRoot, 'dist', 'cli', 'ficus.js');
const skipPg = pgService.skip || kafkaService.skip;
const skipMysql = mysqlService.skip || kafkaService.skip;

/** Reads a topic from the beginning until `enough` says so; returns every decoded event (duplicates included). */
async function collect(topic: string, enough: (events: CloudEvent[]) => boolean, timeoutMs: number, what: string): Promise<CloudEvent[]> {
  const client = new Kafka({ clientId: 'ficus-test', brokers: kafkaService.url.split(','), logLevel: logLevel.NOTHING });
  const consumer = client.consumer({ groupId: randomName('ficus_test_group') });
  const events: CloudEvent[] = [];
  // The bridge creates the topic with its first publish; wait for it rather than race it.
  const admin = client.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (!(await admin.listTopics()).includes(topic)) {
      if (Date.now() > deadline) throw new Error(`topic ${topic} never appeared (${what})`);
      await sleep(200);
    }
  } finally {
    await admin.disconnect();
  }
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        events.push(decodeKafkaCloudEvent({ headers: message.headers ?? {}, value: message.value }));
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!enough(events)) {
      if (Date.now() > deadline) {
        // Say whether the events are missing from the topic or only from this consumer.
        const probe = client.admin();
        await probe.connect();
        const offsets = await probe.fetchTopicOffsets(topic).catch((err: Error) => err.message);
        await probe.disconnect();
        throw new Error(`timed out waiting for ${what}: ${new Set(events.map((e) => e.id)).size} distinct events consumed (${events.length} records); topic offsets ${JSON.stringify(offsets)}`);
      }
      await sleep(200);
    }
    return events;
  } finally {
    await consumer.disconnect();
  }
}

const distinct = (events: CloudEvent[]) => new Set(events.map((e) => e.id)).size;

/** Every distinct change once; per key, versions only move forward. */
function assertOrderedNoLoss(events: CloudEvent[], expected: number): void {
  assert.equal(distinct(events), expected, 'every change arrived');
  const byId = new Map<string, string>();
  const last = new Map<string, number>();
  for (const e of events) {
    // data.ts_ms is when Ficus built the event, so it may differ on redelivery; the change may not.
    const { ts_ms: _built, ...change } = e.data;
    const json = JSON.stringify(change);
    const prev = byId.get(e.id);
    if (prev !== undefined) {
      assert.equal(prev, json, `duplicate ${e.id} carries the same change`);
      continue;
    }
    byId.set(e.id, json);
    const v = Number(e.data.after?.version ?? -1);
    const before = last.get(e.subject) ?? -1;
    assert.ok(v > before, `key ${e.subject}: version ${v} arrived after ${before}`);
    last.set(e.subject, v);
  }
}

/** Bridge logs of the running test, printed when it fails so the reason is visible in CI output. */
const logSources = new Map<TestContext, (() => string)[]>();
function showLogsOnFailure(t: TestContext, name: string, logs: () => string): void {
  const list = logSources.get(t) ?? [];
  list.push(() => `${name}:\n${logs().split('\n').slice(-40).join('\n')}`);
  logSources.set(t, list);
}
function withLogs(body: (t: TestContext) => Promise<void>): (t: TestContext) => Promise<void> {
  return async (t) => {
    try {
      await body(t);
    } catch (err) {
      for (const logs of logSources.get(t) ?? []) t.diagnostic(logs());
      throw err;
    } finally {
      logSources.delete(t);
    }
  };
}

function spawnBridge(t: TestContext, dir: string): Promise<ChildProcess & { url: string }> {
  const child = spawn(process.execPath, [bin, 'bridge', '--config', 'ficus.yaml'], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  showLogsOnFailure(t, `bridge pid ${child.pid}`, () => out + err);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bridge did not start: ${out}${err}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`bridge exited ${code}: ${out}${err}`)));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(Object.assign(child, { url: m[1]! }));
      }
    });
  });
}

/**
 * Waits until the bridge has a durable checkpoint, i.e. its initial snapshot is complete. A crash
 * before that redoes the snapshot, which then shows rows as they are by then (intermediate
 * versions are not replayed), so kill tests start writing only after this.
 */
async function snapshotDone(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${url}/status`).catch(() => undefined);
    const status = res?.ok ? ((await res.json()) as { checkpoint: string | null }) : undefined;
    if (status?.checkpoint) return;
    await sleep(100);
  }
  throw new Error('the bridge never completed its initial snapshot');
}

async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function pgConfig(dir: string, table: string, prefix: string, slot: string, snapshot = 'initial'): string {
  return `store:\n  path: ${join(dir, 'bridge.db')}\nlog:\n  level: warn\nbridge:\n  name: ${slot}\n  listen: 127.0.0.1:0\n  snapshot: ${snapshot}\n  source:\n    kind: postgres\n    url: ${pgService.url}\n    tables: [public.${table}]\n    slot: ${slot}\n    publication: ${slot}\n  sink:\n    kind: kafka\n    brokers: [${kafkaService.url}]\n    topicPrefix: ${prefix}\n`;
}

async function pgSetup(t: TestContext): Promise<{ client: pg.Client; table: string; slot: string; prefix: string }> {
  const defer = cleanupStack(t);
  const table = randomName('orders').toLowerCase().replace(/-/g, '_');
  const slot = randomName('ficus_test').toLowerCase().replace(/-/g, '_');
  const prefix = randomName('guarantee');
  const client = new pg.Client({ connectionString: pgService.url });
  await client.connect();
  defer(() => client.end().catch(() => undefined));
  await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, version int NOT NULL, total numeric(12,2))`);
  defer(async () => {
    const c = new pg.Client({ connectionString: pgService.url });
    await c.connect();
    await c.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [slot]).catch(() => undefined);
    await c.query(`DROP PUBLICATION IF EXISTS ${slot}`).catch(() => undefined);
    await c.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await c.end();
  });
  return { client, table, slot, prefix };
}

test('PostgreSQL → Kafka: kill -9 mid-stream, restart: every change arrives in per-key order, duplicates share ids', { skip: skipPg, timeout: 180_000 }, withLogs(async (t) => {
  const { client, table, slot, prefix } = await pgSetup(t);
  const KEYS = 50;
  const UPDATES = 2950;
  await client.query(`INSERT INTO ${table} SELECT g, 0, 0 FROM generate_series(1, ${KEYS}) g`);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ficus.yaml'), pgConfig(dir, table, prefix, slot));
  const first = await spawnBridge(t, dir);
  await snapshotDone(first.url);
  let version = 0;
  const writeTx = async (n: number) => {
    await client.query('BEGIN');
    for (let i = 0; i < n; i++) {
      version++;
      await client.query(`UPDATE ${table} SET version = $1, total = $2 WHERE id = $3`, [version, `${version}.25`, (version % KEYS) + 1]);
    }
    await client.query('COMMIT');
  };
  while (version < UPDATES / 2) await writeTx(50);
  await sleep(300);
  await killHard(first);
  while (version < UPDATES) await writeTx(50);
  await spawnBridge(t, dir);
  const events = await collect(`${prefix}.public.${table}`, (e) => distinct(e) >= KEYS + UPDATES, 120_000, 'all changes after kill -9');
  for (const e of events.slice(0, 5)) assertValidEvent(e);
  assertOrderedNoLoss(events, KEYS + UPDATES);
  const sample = events.find((e) => e.data.op === 'u')!;
  assert.match(String(sample.data.after!.total), /^\d+\.25$/, 'numeric as an exact string');
  assert.equal(typeof sample.ficustxid, 'string');
}));

test('PostgreSQL → Kafka: a broker restart mid-stream loses nothing; a PostgreSQL restart is survived; a new column shows up', { skip: skipPg, timeout: 240_000 }, withLogs(async (t) => {
  const { client, table, slot, prefix } = await pgSetup(t);
  const dir = tempDir(t);
  const text = pgConfig(dir, table, prefix, slot, 'never');
  const loaded = parseConfig<{ store: { path: string }; bridge: BridgeConfig }>(text, 'ficus.yaml');
  const service = await startBridgeService(bridgeOptions(loaded.config.bridge, { storePath: loaded.config.store.path }), {
    logger: createLogger({ level: 'silent' }),
    loaded,
    retry: { initialMs: 100, maxMs: 1000 },
  });
  t.after(() => service.close());
  t.after(() => kafkaCtl('start')); // whatever happens, leave the broker running
  let id = 0;
  const insert = async (c: pg.Client, n: number) => {
    for (let i = 0; i < n; i++) {
      id++;
      await c.query(`INSERT INTO ${table} (id, version, total) VALUES ($1, $1, 1)`, [id]);
    }
  };
  await insert(client, 200);
  await collect(`${prefix}.public.${table}`, (e) => distinct(e) >= 200, 60_000, 'first 200');
  const before = (await service.bridge.status()).eventsTotal;
  await kafkaCtl('stop');
  await insert(client, 200);
  await sleep(2000);
  // Nothing can be published, so the checkpoint (and its counts) must not move: the source is held.
  assert.equal((await service.bridge.status()).eventsTotal, before, 'no checkpoint advanced while the broker was down');
  await kafkaCtl('start');
  await insert(client, 100);
  await collect(`${prefix}.public.${table}`, (e) => distinct(e) >= 500, 90_000, 'no loss across a broker restart');

  await client.end();
  await restartPostgres();
  const again = new pg.Client({ connectionString: pgService.url });
  for (let i = 0; ; i++) {
    try {
      await again.connect();
      break;
    } catch (err) {
      if (i > 60) throw err;
      await sleep(500);
    }
  }
  t.after(() => again.end().catch(() => undefined));
  await insert(again, 100);
  await again.query(`ALTER TABLE ${table} ADD COLUMN channel text`);
  await again.query(`INSERT INTO ${table} (id, version, total, channel) VALUES (100000, 100000, 1, 'phone')`);
  const events = await collect(`${prefix}.public.${table}`, (e) => distinct(e) >= 601, 90_000, 'resume after a PostgreSQL restart');
  assertOrderedNoLoss(events.filter((e) => e.subject !== '100000'), 600);
  assert.equal(events.find((e) => e.subject === '100000')!.data.after!.channel, 'phone');
  const status = await service.bridge.status();
  assert.ok(status.reconnects >= 1, 'the source reconnected');
  assert.equal(status.state, 'streaming');
}));

test('MariaDB → Kafka: kill -9 mid-stream and a database restart: every change arrives in per-key order', { skip: skipMysql, timeout: 240_000 }, withLogs(async (t) => {
  const defer = cleanupStack(t);
  const table = randomName('orders').replace(/-/g, '_');
  const prefix = randomName('guarantee_my');
  const url = new URL(mysqlService.url);
  const connect = () => mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username || 'root'), database: url.pathname.slice(1) || 'test' });
  let conn = await connect();
  defer(async () => {
    const c = await connect();
    await c.query(`DROP TABLE IF EXISTS \`${table}\``);
    await c.end();
  });
  defer(() => conn.end().catch(() => undefined));
  await conn.query(`CREATE TABLE \`${table}\` (id INT PRIMARY KEY, version INT NOT NULL, total DECIMAL(12,2))`);
  const KEYS = 20;
  for (let k = 1; k <= KEYS; k++) await conn.query(`INSERT INTO \`${table}\` VALUES (?, 0, 0)`, [k]);
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'ficus.yaml'),
    `store:\n  path: ${join(dir, 'bridge.db')}\nlog:\n  level: info\nbridge:\n  name: my\n  listen: 127.0.0.1:0\n  source:\n    kind: mysql\n    url: ${mysqlService.url}\n    tables: [${table}]\n    serverId: ${5400 + Math.floor(Math.random() * 1000)}\n  sink:\n    kind: kafka\n    brokers: [${kafkaService.url}]\n    topicPrefix: ${prefix}\n`,
  );
  const first = await spawnBridge(t, dir);
  await snapshotDone(first.url);
  let version = 0;
  const writeTx = async (n: number) => {
    await conn.beginTransaction();
    for (let i = 0; i < n; i++) {
      version++;
      await conn.query(`UPDATE \`${table}\` SET version = ?, total = ? WHERE id = ?`, [version, `${version}.50`, (version % KEYS) + 1]);
    }
    await conn.commit();
  };
  while (version < 1000) await writeTx(50);
  await killHard(first);
  while (version < 2000) await writeTx(50);
  const second = await spawnBridge(t, dir);
  const topic = `${prefix}.${url.pathname.slice(1) || 'test'}.${table}`;
  await collect(topic, (e) => distinct(e) >= KEYS + 2000, 120_000, 'all changes after kill -9');

  await conn.end();
  await restartMariadb(1000);
  conn = await connect();
  while (version < 2500) await writeTx(50);
  const events = await collect(topic, (e) => distinct(e) >= KEYS + 2500, 120_000, 'resume after a MariaDB restart');
  assertOrderedNoLoss(events, KEYS + 2500);
  assert.match(String(events.find((e) => e.data.op === 'u')!.data.after!.total), /^\d+\.50$/);
  second.kill('SIGTERM');
}));
