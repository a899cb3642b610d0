/**
 * The MySQL/MariaDB binlog source against the real MariaDB from test/services/mariadb.sh:
 * transactions as batches, the type mapping (binlog and snapshot agree), resume from a
 * checkpoint, a snapshot with concurrent writes, ALTER TABLE while streaming, large
 * transactions split, a dropped binlog connection, and the errors for bad tables and checkpoints.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { test, type TestContext } from 'node:test';
import mysql from 'mysql2/promise';
import type { ChangeBatch, RowChange, SnapshotMode, Source } from '../../bridges/change.js';
import { createMysqlSource, type MysqlSourceOptions } from '../../bridges/sources/mysql.js';
import { cleanupStack, randomName, serviceOrSkip } from '../helpers/services.js';

const mariadb = serviceOrSkip('mysql');
const opts = { skip: mariadb.skip, timeout: 30_000 };

/** Batches and errors a started source reports, and a way to wait for them. */
interface Collector {
  batches: ChangeBatch[];
  errors: Error[];
  /** Called inside onBatch, before it resolves: lets a test act while delivery is pending. */
  hook?: (batch: ChangeBatch) => Promise<void>;
  /** True if onBatch was ever entered while a previous call was still pending. */
  overlapped: boolean;
  changes(): RowChange[];
  until(what: string, predicate: () => boolean, ms?: number): Promise<void>;
  start(source: Source, checkpoint: string | null, snapshot: SnapshotMode): Promise<void>;
}

function collector(): Collector {
  let active = 0;
  const c: Collector = {
    batches: [],
    errors: [],
    overlapped: false,
    changes: () => c.batches.flatMap((b) => b.changes),
    async until(what, predicate, ms = 15_000) {
      const deadline = Date.now() + ms;
      while (!predicate()) {
        if (c.errors.length > 0) throw new Error(`source failed while waiting for ${what}`, { cause: c.errors[0] });
        if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    start(source, checkpoint, snapshot) {
      return source.start({
        checkpoint,
        snapshot,
        onBatch: async (batch) => {
          active += 1;
          if (active > 1) c.overlapped = true;
          try {
            c.batches.push(batch);
            await c.hook?.(batch);
          } finally {
            active -= 1;
          }
        },
        onError: (err) => {
          c.errors.push(err);
        },
      });
    },
  };
  return c;
}

interface Fixture {
  database: string;
  conn: mysql.Connection;
  defer: (cleanup: () => unknown) => void;
  /** Creates a table with a random name (dropped after the test) and returns its name. */
  table(prefix: string, columns: string): Promise<string>;
  source(options: Partial<MysqlSourceOptions> & { tables: string[] }): Source;
}

async function fixture(t: TestContext): Promise<Fixture> {
  const database = new URL(mariadb.url).pathname.slice(1) || 'test';
  const defer = cleanupStack(t);
  const conn = await mysql.createConnection({ uri: mariadb.url, supportBigNumbers: true, bigNumberStrings: true });
  defer(() => conn.end());
  await conn.query("SET time_zone = '+00:00'");
  return {
    database,
    conn,
    defer,
    async table(prefix, columns) {
      const name = randomName(prefix);
      await conn.query(`CREATE TABLE \`${name}\` (${columns}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
      defer(() => conn.query(`DROP TABLE IF EXISTS \`${name}\``));
      return name;
    },
    source(options) {
      const source = createMysqlSource({ url: mariadb.url, serverId: randomInt(100_000, 2 ** 31), ...options });
      defer(() => source.stop());
      return source;
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('mysql source: a multi-statement transaction is one batch, in order, with exact images', opts, async (t) => {
  const f = await fixture(t);
  const table = await f.table('ficus_tx', 'id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INT NULL');
  const other = await f.table('ficus_other', 'id INT PRIMARY KEY');
  const source = f.source({ tables: [table] });
  const c = collector();
  await c.start(source, null, 'never');

  await f.conn.query('BEGIN');
  await f.conn.query(`INSERT INTO \`${table}\` VALUES (1, 'apple', 1), (2, 'pear', 2)`);
  await f.conn.query(`UPDATE \`${table}\` SET qty = 10 WHERE id = 1`);
  await f.conn.query(`DELETE FROM \`${table}\` WHERE id = 2`);
  await f.conn.query('COMMIT');
  // Not a configured table: never delivered.
  await f.conn.query(`INSERT INTO \`${other}\` VALUES (1)`);
  await c.until('the transaction', () => c.batches.length >= 1);

  assert.equal(c.batches.length, 1);
  const [batch] = c.batches;
  const changes = batch!.changes;
  assert.deepEqual(changes.map((ch) => ch.op), ['c', 'c', 'u', 'd']);
  assert.deepEqual(changes.map((ch) => ch.txOrder), [0, 1, 2, 3]);
  assert.equal(new Set(changes.map((ch) => ch.txId)).size, 1);
  assert.match(changes[0]!.txId, /^\d+-\d+-\d+$/, 'MariaDB GTID as the transaction id');
  for (const ch of changes) {
    assert.equal(ch.schema, f.database);
    assert.equal(ch.table, table);
    assert.equal(typeof ch.commitTimeMs, 'number');
  }
  assert.deepEqual(changes[0]!.after, { id: 1, name: 'apple', qty: 1 });
  assert.equal(changes[0]!.before, null);
  assert.deepEqual(changes[0]!.key, { id: 1 });
  assert.deepEqual(changes[2]!.before, { id: 1, name: 'apple', qty: 1 });
  assert.deepEqual(changes[2]!.after, { id: 1, name: 'apple', qty: 10 });
  assert.deepEqual(changes[3]!.before, { id: 2, name: 'pear', qty: 2 });
  assert.equal(changes[3]!.after, null);
  assert.deepEqual(changes[3]!.key, { id: 2 });

  const positions = changes.map((ch) => ch.position);
  assert.equal(new Set(positions).size, 4);
  const prefix = positions[0]!.replace(/:0$/, '');
  assert.deepEqual(positions, [0, 1, 2, 3].map((i) => `${prefix}:${i}`));
  assert.match(prefix, /^[\w.-]+:\d+$/);
  const checkpoint = JSON.parse(batch!.checkpoint) as { file: string; pos: number; gtid: string };
  assert.equal(`${checkpoint.file}:`, `${prefix.split(':')[0]}:`);
  assert.ok(checkpoint.pos > Number(prefix.split(':')[1]), 'checkpoint is after the transaction start');
  assert.equal(checkpoint.gtid, changes[0]!.txId);

  // Backpressure: while one batch is pending, nothing else is delivered; order holds.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  c.hook = async (b) => {
    if (b.changes[0]?.key.id === 10) await held;
  };
  for (const id of [10, 11, 12]) await f.conn.query(`INSERT INTO \`${table}\` VALUES (?, 'x', NULL)`, [id]);
  await c.until('the held batch', () => c.batches.length === 2);
  await sleep(300);
  assert.equal(c.batches.length, 2, 'no delivery while a batch is pending');
  // The binlog connection is paused: nothing past the held transaction's commit was read.
  const heldAt = JSON.parse(c.batches[1]!.checkpoint) as { file: string; pos: number };
  assert.equal((await source.status()).position, `${heldAt.file}:${heldAt.pos}`);
  release();
  await c.until('the rest', () => c.batches.length === 4);
  assert.deepEqual(c.batches.slice(1).map((b) => b.changes[0]!.key.id), [10, 11, 12]);
  assert.equal(c.overlapped, false);

  const status = await source.status();
  assert.match(status.position ?? '', /^[\w.-]+:\d+$/);
  assert.equal(typeof status.lagBytes, 'number');
});

test('mysql source: types map faithfully, the same from the binlog and from a snapshot', opts, async (t) => {
  const f = await fixture(t);
  const table = await f.table(
    'ficus_types',
    `id INT PRIMARY KEY, d DECIMAL(30,10), bi BIGINT, bu BIGINT UNSIGNED, dt DATETIME(6), ts TIMESTAMP(6) NULL,
     da DATE, bl BLOB, j JSON, s VARCHAR(50), e ENUM('small','it''s, medium','large'), t1 TINYINT(1), f FLOAT,
     db DOUBLE, bt BIT(12), tm TIME(3), st SET('a','b','c'), txt TEXT, vb VARBINARY(8)`,
  );
  const values =
    `-12345678901234567890.0123456789, -9007199254740993, 18446744073709551615, '2024-02-29 23:59:59.123456', ` +
    `'2024-02-29 23:59:59.654321', '2024-02-29', x'00ff10', '{"big": 12345678901234567890, "n": 1.5, "arr": [1, null, true]}', ` +
    `'héllo 😀 世界', 'it''s, medium', 1, 1.1, 0.1, b'101010101010', '12:34:56.789', 'a,c', 'plain text', x'0102'`;
  const expected = {
    d: '-12345678901234567890.0123456789',
    bi: '-9007199254740993',
    bu: '18446744073709551615',
    dt: '2024-02-29T23:59:59.123456',
    ts: '2024-02-29T23:59:59.654321Z',
    da: '2024-02-29',
    bl: Buffer.from([0, 255, 16]).toString('base64'),
    j: { big: '12345678901234567890', n: 1.5, arr: [1, null, true] },
    s: 'héllo 😀 世界',
    e: "it's, medium",
    t1: 1,
    f: 1.1,
    db: 0.1,
    bt: 0b101010101010,
    tm: '12:34:56.789',
    st: 'a,c',
    txt: 'plain text',
    vb: Buffer.from([1, 2]).toString('base64'),
  };
  const nulls = Object.fromEntries(Object.keys(expected).map((k) => [k, null]));
  await f.conn.query(`INSERT INTO \`${table}\` VALUES (1, ${values})`);

  const source = f.source({ tables: [`${f.database}.${table}`] });
  const [info] = await source.describe();
  const column = (name: string) => info!.columns.find((col) => col.name === name)!;
  assert.deepEqual(info!.primaryKey, ['id']);
  assert.equal(column('j').type, 'json');
  assert.equal(column('d').type, 'decimal(30,10)');
  assert.deepEqual(column('bu').jsonSchema.type, ['string', 'null']);
  assert.deepEqual(column('id').jsonSchema, { type: 'integer' });
  assert.equal(column('ts').jsonSchema.format, 'date-time');
  assert.ok((column('e').jsonSchema.enum as unknown[]).includes("it's, medium"));
  assert.equal(column('bl').jsonSchema.contentEncoding, 'base64');

  const c = collector();
  await c.start(source, null, 'initial');
  await c.until('the snapshot', () => c.batches.some((b) => b.snapshotDone));
  await f.conn.query(`INSERT INTO \`${table}\` VALUES (2, ${values})`);
  await f.conn.query(`INSERT INTO \`${table}\` (id) VALUES (3)`);
  await c.until('two inserts', () => c.changes().filter((ch) => ch.op === 'c').length === 2);

  const [read, inserted, empty] = c.changes();
  assert.equal(read!.op, 'r');
  assert.deepEqual(read!.after, { id: 1, ...expected });
  assert.deepEqual(inserted!.after, { id: 2, ...expected });
  assert.deepEqual(empty!.after, { id: 3, ...nulls });
});

test('mysql source: resuming from an acked checkpoint re-delivers only what follows, identically, across a binlog rotation', opts, async (t) => {
  const f = await fixture(t);
  const table = await f.table('ficus_resume', 'id INT PRIMARY KEY, v VARCHAR(10)');
  const source = f.source({ tables: [table] });
  const first = collector();
  await first.start(source, null, 'never');
  await f.conn.query(`INSERT INTO \`${table}\` VALUES (1, 'one')`);
  await f.conn.query('FLUSH BINARY LOGS');
  await f.conn.query('BEGIN');
  await f.conn.query(`INSERT INTO \`${table}\` VALUES (2, 'two')`);
  await f.conn.query(`UPDATE \`${table}\` SET v = 'uno' WHERE id = 1`);
  await f.conn.query('COMMIT');
  await first.until('two transactions', () => first.batches.length === 2);
  const files = first.batches.map((b) => (JSON.parse(b.checkpoint) as { file: string }).file);
  assert.notEqual(files[0], files[1], 'the second transaction is in the next binlog file');
  assert.ok(first.batches[1]!.changes[0]!.position.startsWith(`${files[1]}:`));
  await source.ack(first.batches[0]!.checkpoint);
  await source.stop();

  const second = collector();
  await second.start(source, first.batches[0]!.checkpoint, 'initial');
  await second.until('the re-delivered transaction', () => second.batches.length >= 1);
  await sleep(300);
  assert.equal(second.batches.length, 1);
  assert.deepEqual(second.batches[0], first.batches[1]);
});

test('mysql source: an initial snapshot with concurrent inserts yields every row exactly once', opts, async (t) => {
  const f = await fixture(t);
  const table = await f.table('ficus_snap', 'id INT PRIMARY KEY, v INT NOT NULL');
  const preexisting = 2500;
  const rows = Array.from({ length: preexisting }, (_, i) => `(${i + 1}, ${i})`).join(',');
  await f.conn.query(`INSERT INTO \`${table}\` VALUES ${rows}`);
  const source = f.source({ tables: [table] });
  const c = collector();
  const added = [3001, 3002, 3003, 3004, 3005];
  let wrote = false;
  c.hook = async (batch) => {
    if (batch.snapshot && !wrote) {
      // The snapshot transaction is open and mid-read: these commit after its position.
      wrote = true;
      for (const id of added) await f.conn.query(`INSERT INTO \`${table}\` VALUES (?, 0)`, [id]);
    }
  };
  await c.start(source, null, 'initial');
  await c.until('snapshot and inserts', () => c.changes().filter((ch) => ch.op === 'c').length >= added.length);
  await sleep(300);

  const snapshots = c.batches.filter((b) => b.snapshot);
  assert.deepEqual(snapshots.map((b) => b.changes.length), [1000, 1000, 500]);
  assert.deepEqual(snapshots.map((b) => b.snapshotDone === true), [false, false, true]);
  const done = JSON.parse(snapshots[2]!.checkpoint) as Record<string, unknown>;
  assert.deepEqual(Object.keys(done), ['file', 'pos']);
  assert.equal((JSON.parse(snapshots[0]!.checkpoint) as Record<string, unknown>).snapshot, 'in_progress');

  const ids = (op: string) => c.changes().filter((ch) => ch.op === op).map((ch) => ch.key.id as number);
  assert.deepEqual(ids('r'), Array.from({ length: preexisting }, (_, i) => i + 1));
  assert.deepEqual(ids('c'), added);
  assert.equal(c.changes().length, preexisting + added.length);
  const positions = c.changes().map((ch) => ch.position);
  assert.equal(new Set(positions).size, positions.length);
  assert.match(positions[0]!, new RegExp(`^snapshot:[\\w.-]+:\\d+:${f.database}\\.${table}:\\{"id":1\\}$`));
});

test('mysql source: after ALTER TABLE ADD COLUMN, later events carry the new column', opts, async (t) => {
  const f = await fixture(t);
  const table = await f.table('ficus_alter', 'id INT PRIMARY KEY, a VARCHAR(10)');
  const source = f.source({ tables: [table] });
  const c = collector();
  await c.start(source, null, 'never');
  await f.conn.query(`INSERT INTO \`${table}\` VALUES (1, 'x')`);
  await c.until('the first insert', () => c.batches.length === 1);
  // A JSON column: MariaDB's JSON is LONGTEXT plus a check, found by re-reading the table.
  await f.conn.query(`ALTER TABLE \`${table}\` ADD COLUMN b JSON NULL`);
  await f.conn.query(`INSERT INTO \`${table}\` VALUES (2, 'y', '{"k": [1, 2]}')`);
  await f.conn.query(`UPDATE \`${table}\` SET b = '{"z": true}' WHERE id = 1`);
  await c.until('two more', () => c.batches.length === 3);

  assert.deepEqual(c.batches[0]!.changes[0]!.after, { id: 1, a: 'x' });
  assert.deepEqual(c.batches[1]!.changes[0]!.after, { id: 2, a: 'y', b: { k: [1, 2] } });
  assert.deepEqual(c.batches[2]!.changes[0]!.before, { id: 1, a: 'x', b: null });
  assert.deepEqual(c.batches[2]!.changes[0]!.after, { id: 1, a: 'x', b: { z: true } });
});

test('mysql source: a transaction larger than maxBatchChanges is split, only the last chunk checkpoints its commit', opts, async (t) => {
  const f = await fixture(t);
  const table = await f.table('ficus_big', 'id INT PRIMARY KEY');
  const source = f.source({ tables: [table], maxBatchChanges: 5 });
  const c = collector();
  await c.start(source, null, 'initial');
  // The snapshot of an empty table is one empty chunk that still carries the checkpoint.
  await c.until('the empty snapshot', () => c.batches.length === 1);
  const empty = c.batches.shift()!;
  assert.deepEqual(empty.changes, []);
  assert.equal(empty.snapshotDone, true);
  const rows = Array.from({ length: 12 }, (_, i) => `(${i + 1})`).join(',');
  await f.conn.query(`INSERT INTO \`${table}\` VALUES ${rows}`);
  await c.until('three chunks', () => c.batches.length === 3);

  assert.deepEqual(c.batches.map((b) => b.changes.length), [5, 5, 2]);
  assert.deepEqual(c.changes().map((ch) => ch.txOrder), Array.from({ length: 12 }, (_, i) => i));
  assert.equal(new Set(c.changes().map((ch) => ch.txId)).size, 1);
  const [file, pos] = c.changes()[0]!.position.split(':');
  const start = JSON.stringify({ file, pos: Number(pos) });
  assert.equal(c.batches[0]!.checkpoint, start, 'a partial chunk resumes at the transaction start');
  assert.equal(c.batches[1]!.checkpoint, start);
  assert.ok((JSON.parse(c.batches[2]!.checkpoint) as { pos: number }).pos > Number(pos));
  assert.equal(c.batches[2]!.changes[0]!.commitTimeMs !== null, true);
});

test('mysql source: a dropped binlog connection is reported as retriable, and a restart resumes', opts, async (t) => {
  const f = await fixture(t);
  const table = await f.table('ficus_drop', 'id INT PRIMARY KEY');
  // A dedicated account with only the documented privileges, which also names our binlog thread.
  const user = randomName('ficus_u').slice(0, 32);
  const password = randomName('pw');
  await f.conn.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '127.0.0.1', password]);
  f.defer(() => f.conn.query('DROP USER IF EXISTS ?@?', [user, '127.0.0.1']));
  await f.conn.query(`GRANT SELECT ON \`${f.database}\`.* TO ?@?`, [user, '127.0.0.1']);
  await f.conn.query('GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO ?@?', [user, '127.0.0.1']);
  const url = new URL(mariadb.url);
  url.hostname = '127.0.0.1';
  url.username = user;
  url.password = password;
  const source = f.source({ url: url.toString(), tables: [table] });

  const c = collector();
  await c.start(source, null, 'never');
  await f.conn.query(`INSERT INTO \`${table}\` VALUES (1)`);
  await c.until('the first insert', () => c.batches.length === 1);

  const [threads] = await f.conn.query<mysql.RowDataPacket[]>(
    "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND LIKE 'Binlog Dump%'",
    [user],
  );
  assert.ok(threads.length >= 1, 'the source holds a binlog dump connection');
  for (const thread of threads) await f.conn.query(`KILL ${Number(thread.ID)}`);
  const deadline = Date.now() + 10_000;
  while (c.errors.length === 0 && Date.now() < deadline) await sleep(20);
  assert.equal((c.errors[0] as { code?: string } | undefined)?.code, 'FICUS_BR_SOURCE_CONNECTION');
  assert.equal((c.errors[0] as { retriable?: boolean }).retriable, true);

  // What the bridge does: stop, then start from the stored checkpoint.
  await source.stop();
  await f.conn.query(`INSERT INTO \`${table}\` VALUES (2)`);
  const again = collector();
  await again.start(source, c.batches[0]!.checkpoint, 'initial');
  await again.until('the insert made while down', () => again.batches.length === 1);
  assert.deepEqual(again.batches[0]!.changes[0]!.after, { id: 2 });
});

/** A TCP proxy to MariaDB that can go silent without closing: a half-open connection. */
async function silenceableProxy(target: URL): Promise<{ port: number; silence(): void; close(): void }> {
  const sockets = new Set<net.Socket>();
  let silent = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 3306), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (data) => silent || upstream.write(data));
    upstream.on('data', (data) => silent || client.write(data));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    silence: () => {
      silent = true;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

test('mysql source: heartbeats keep an idle stream alive; a silent connection is reported', opts, async (t) => {
  const f = await fixture(t);
  const table = await f.table('ficus_hb', 'id INT PRIMARY KEY');
  const proxy = await silenceableProxy(new URL(mariadb.url));
  f.defer(() => proxy.close());
  const url = new URL(mariadb.url);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  const source = f.source({ url: url.toString(), tables: [table], heartbeatMs: 150 });
  const c = collector();
  await c.start(source, null, 'never');
  await f.conn.query(`INSERT INTO \`${table}\` VALUES (1)`);
  await c.until('the insert, through the proxy', () => c.batches.length === 1);
  await sleep(1000); // several heartbeat periods with no events
  assert.deepEqual(c.errors, []);

  proxy.silence();
  const deadline = Date.now() + 5_000;
  while (c.errors.length === 0 && Date.now() < deadline) await sleep(20);
  assert.equal((c.errors[0] as { code?: string } | undefined)?.code, 'FICUS_BR_SOURCE_CONNECTION');
});

test('mysql source: unknown tables and tables without a primary key are refused', opts, async (t) => {
  const f = await fixture(t);
  const missing = f.source({ tables: [randomName('ficus_missing')] });
  await assert.rejects(missing.describe(), { code: 'FICUS_BR_UNKNOWN_TABLE' });
  await assert.rejects(collector().start(missing, null, 'never'), { code: 'FICUS_BR_UNKNOWN_TABLE' });
  // A failed start leaves the source stoppable and startable.
  await missing.stop();
  await assert.rejects(collector().start(missing, null, 'never'), { code: 'FICUS_BR_UNKNOWN_TABLE' });

  const keyless = await f.table('ficus_nopk', 'v INT');
  await assert.rejects(f.source({ tables: [keyless] }).describe(), { code: 'FICUS_BR_UNKNOWN_TABLE' });
});

test('mysql source: a checkpoint naming a purged or unknown binlog file is refused', opts, async (t) => {
  const f = await fixture(t);
  const table = await f.table('ficus_cp', 'id INT PRIMARY KEY');
  const source = f.source({ tables: [table] });
  const gone = JSON.stringify({ file: 'mariadb-bin.999999', pos: 4 });
  await assert.rejects(collector().start(source, gone, 'when_needed'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'FICUS_BR_CHECKPOINT');
    assert.match(err.message, /mariadb-bin\.999999/);
    return true;
  });
  await assert.rejects(collector().start(source, 'lsn:0/16B3748', 'initial'), { code: 'FICUS_BR_CHECKPOINT' });
});
