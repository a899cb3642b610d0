/**
 * The PostgreSQL source against a real PostgreSQL 15 with wal_level=logical (test/services/postgres.sh):
 * row images per replica identity, type mapping on both the snapshot and the streaming path,
 * transactions as batches, acknowledgement that never runs ahead of ack(), resume with identical
 * positions, snapshot without gap or duplicate under concurrent writes, keepalives on an idle
 * stream, bounded buffering while the sink is slow, and connection loss.
 *
 * Every test uses its own table, publication and slot (ficus_test_*, so postgres.sh drops any a
 * crashed run leaks) and removes them afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import pg from 'pg';
import type { ChangeBatch, RowChange, SnapshotMode } from '../../bridges/change.js';
import { formatLsn, parseLsn } from '../../bridges/sources/pgoutput.js';
import { createPostgresSource, type PostgresSource, type PostgresSourceOptions } from '../../bridges/sources/postgres.js';
import { converterFor, parseArray } from '../../bridges/sources/postgres-types.js';
import { cleanupStack, randomName, serviceOrSkip } from '../helpers/services.js';

const postgres = serviceOrSkip('pg');
const opts = { skip: postgres.skip, timeout: 45_000 };

type Defer = ReturnType<typeof cleanupStack>;

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Fixture {
  admin: pg.Client;
  table: string;
  slot: string;
  publication: string;
  /** A source on the fixture's table(s), stopped after the test. */
  source(extra?: Partial<PostgresSourceOptions>): PostgresSource;
  lsnOf(text: string): bigint;
  slotState(): Promise<{ confirmed: bigint; activePid: number | null }>;
}

/** A table created with `columns`, and names for the slot and publication, all dropped afterwards. */
async function fixture(t: TestContext, columns: string, defer: Defer = cleanupStack(t)): Promise<Fixture> {
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  defer(() => admin.end());
  const table = randomName('ficus_pgsrc');
  const slot = randomName('ficus_test');
  const publication = randomName('ficus_pub');
  await admin.query(`CREATE TABLE ${table} (${columns})`);
  defer(() => admin.query(`DROP TABLE IF EXISTS ${table}`));
  defer(() => admin.query(`DROP PUBLICATION IF EXISTS ${publication}`));
  defer(async () => {
    // The walsender of a just-stopped stream may hold the slot for a moment.
    for (let i = 0; ; i++) {
      try {
        await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
        return;
      } catch (err) {
        if (i > 50) throw err;
        await sleep(100);
      }
    }
  });
  return {
    admin,
    table,
    slot,
    publication,
    source(extra = {}) {
      const source = createPostgresSource({ url: postgres.url, tables: [table], slot, publication, keepaliveMs: 200, ...extra });
      defer(() => source.stop());
      return source;
    },
    lsnOf(text) {
      const lsn = parseLsn(text);
      assert.ok(lsn !== undefined, `${text} is an LSN`);
      return lsn;
    },
    async slotState() {
      const { rows } = await admin.query<{ confirmed: string; active_pid: number | null }>(
        'SELECT confirmed_flush_lsn::text AS confirmed, active_pid FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
      assert.equal(rows.length, 1, `slot ${slot} exists`);
      return { confirmed: parseLsn(rows[0]!.confirmed)!, activePid: rows[0]!.active_pid };
    },
  };
}

/** Collects batches; `gate` (when set) holds each onBatch until resolved. */
function collector() {
  const batches: ChangeBatch[] = [];
  const errors: Error[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const state = {
    batches,
    errors,
    get maxInFlight() {
      return maxInFlight;
    },
    gate: null as Promise<void> | null,
    changes(): RowChange[] {
      return batches.flatMap((b) => b.changes);
    },
    start(checkpoint: string | null = null, snapshot: SnapshotMode = 'never') {
      return {
        checkpoint,
        snapshot,
        onBatch: async (batch: ChangeBatch) => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          batches.push(batch);
          try {
            if (state.gate !== null) await state.gate;
          } finally {
            inFlight -= 1;
          }
        },
        onError: (err: Error) => {
          errors.push(err);
        },
      };
    },
  };
  return state;
}

/** Only what identifies a change's content, for exact comparisons. */
const image = (c: RowChange) => ({ op: c.op, before: c.before, after: c.after, key: c.key });

test('REPLICA IDENTITY DEFAULT: insert, update, key change, delete, unchanged TOAST', opts, async (t) => {
  const f = await fixture(t, 'id int PRIMARY KEY, name text NOT NULL, qty int, doc text');
  const c = collector();
  const source = f.source();
  await source.start(c.start());
  const big = randomBytes(15_000).toString('base64'); // incompressible: stored out of line
  await f.admin.query(`INSERT INTO ${f.table} VALUES (1, 'a', 1, $1)`, [big]);
  await f.admin.query(`UPDATE ${f.table} SET name = 'b' WHERE id = 1`);
  await f.admin.query(`UPDATE ${f.table} SET id = 2 WHERE id = 1`);
  await f.admin.query(`DELETE FROM ${f.table} WHERE id = 2`);
  await waitFor('4 batches', () => c.batches.length >= 4);
  assert.deepEqual(c.changes().map(image), [
    { op: 'c', before: null, after: { id: 1, name: 'a', qty: 1, doc: big }, key: { id: 1 } },
    // The unchanged out-of-line `doc` is not sent by the server: omitted, not null.
    { op: 'u', before: null, after: { id: 1, name: 'b', qty: 1 }, key: { id: 1 } },
    { op: 'u', before: { id: 1 }, after: { id: 2, name: 'b', qty: 1 }, key: { id: 2 } },
    { op: 'd', before: { id: 2 }, after: null, key: { id: 2 } },
  ]);
  for (const change of c.changes()) {
    assert.equal(change.schema, 'public');
    assert.equal(change.table, f.table);
    assert.equal(change.txOrder, 0);
    assert.ok(change.commitTimeMs !== null && Math.abs(change.commitTimeMs - Date.now()) < 60_000, 'commit time is now-ish');
  }
  assert.deepEqual(c.errors, []);
});

test('REPLICA IDENTITY FULL: before is the whole old row; unchanged TOAST filled from it', opts, async (t) => {
  const f = await fixture(t, 'id int PRIMARY KEY, name text, doc text');
  await f.admin.query(`ALTER TABLE ${f.table} REPLICA IDENTITY FULL`);
  const c = collector();
  await f.source().start(c.start());
  const big = randomBytes(15_000).toString('base64');
  await f.admin.query(`INSERT INTO ${f.table} VALUES (1, 'a', $1)`, [big]);
  await f.admin.query(`UPDATE ${f.table} SET name = NULL WHERE id = 1`);
  await f.admin.query(`UPDATE ${f.table} SET id = 5, name = 'z' WHERE id = 1`);
  await f.admin.query(`DELETE FROM ${f.table} WHERE id = 5`);
  await waitFor('4 batches', () => c.batches.length >= 4);
  assert.deepEqual(c.changes().map(image), [
    { op: 'c', before: null, after: { id: 1, name: 'a', doc: big }, key: { id: 1 } },
    { op: 'u', before: { id: 1, name: 'a', doc: big }, after: { id: 1, name: null, doc: big }, key: { id: 1 } },
    { op: 'u', before: { id: 1, name: null, doc: big }, after: { id: 5, name: 'z', doc: big }, key: { id: 5 } },
    { op: 'd', before: { id: 5, name: 'z', doc: big }, after: null, key: { id: 5 } },
  ]);
});

const typedColumns = `id int8 PRIMARY KEY, amount numeric(20,8), small int2, f8 float8, f4 real, at timestamptz,
  local timestamp, day date, bin bytea, doc jsonb, flag bool, tags text[], nums int4[], uid uuid, code char(3), label varchar(10)`;
const typedValues = `(9007199254740993, 123456789012.12345678, -7, 0.1, 1.5, '2024-02-29 23:59:59.123456+02',
  '2024-02-29 23:59:59.5', '2024-02-29', '\\x00ff10', '{"a": [1, 2.5, {"b": null}], "s": "x"}', true,
  '{"a b","c\\"d",NULL,""}', '{1,NULL,-3}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'ab', 'hello')`;
const typedExpected = {
  id: '9007199254740993',
  amount: '123456789012.12345678',
  small: -7,
  f8: 0.1,
  f4: 1.5,
  at: '2024-02-29T21:59:59.123456Z',
  local: '2024-02-29T23:59:59.5',
  day: '2024-02-29',
  bin: Buffer.from([0x00, 0xff, 0x10]).toString('base64'),
  doc: { a: [1, 2.5, { b: null }], s: 'x' },
  flag: true,
  tags: ['a b', 'c"d', null, ''],
  nums: [1, null, -3],
  uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  code: 'ab ',
  label: 'hello',
};
const typedNulls = Object.fromEntries(Object.keys(typedExpected).map((k) => [k, null]));

test('type mapping: exact numbers, ISO times, base64, JSON, arrays, NULLs; snapshot and stream agree', opts, async (t) => {
  const f = await fixture(t, typedColumns);
  // A session in another time zone and date style: the source's output must not depend on it.
  await f.admin.query("SET TimeZone = 'America/New_York'; SET DateStyle = 'SQL, DMY'");
  await f.admin.query(`INSERT INTO ${f.table} VALUES ${typedValues}`);
  await f.admin.query(`INSERT INTO ${f.table} (id) VALUES (-9223372036854775808)`);
  const c = collector();
  await f.source().start(c.start(null, 'initial'));
  await waitFor('snapshot', () => c.batches.some((b) => b.snapshotDone));
  await f.admin.query(`UPDATE ${f.table} SET flag = false WHERE id = 9007199254740993`);
  await f.admin.query(`UPDATE ${f.table} SET small = NULL WHERE id = -9223372036854775808`);
  await waitFor('2 updates', () => c.changes().filter((x) => x.op === 'u').length === 2);

  const [snapNull, snapTyped, update, updateNull] = c.changes();
  assert.deepEqual(snapTyped?.after, typedExpected, 'snapshot read');
  assert.deepEqual(snapNull?.after, { ...typedNulls, id: '-9223372036854775808' }, 'snapshot NULLs (rows in primary key order)');
  assert.deepEqual(update?.after, { ...typedExpected, flag: false }, 'streamed');
  assert.deepEqual(update?.key, { id: '9007199254740993' });
  assert.deepEqual(updateNull?.after, { ...typedNulls, id: '-9223372036854775808' }, 'streamed NULLs');
});

test('describe: column types, JSON Schemas and primary key', opts, async (t) => {
  const f = await fixture(t, `${typedColumns}, price numeric(12,2) NOT NULL`);
  const [info] = await f.source().describe();
  assert.equal(info?.schema, 'public');
  assert.equal(info?.table, f.table);
  assert.deepEqual(info?.primaryKey, ['id']);
  const byName = new Map(info?.columns.map((c) => [c.name, c]));
  assert.deepEqual(byName.get('id'), { name: 'id', type: 'bigint', nullable: false, jsonSchema: { type: 'string', pattern: '^-?[0-9]+$', description: 'int8 as a decimal string (exact)' } });
  assert.equal(byName.get('price')?.type, 'numeric(12,2)');
  assert.equal(byName.get('price')?.nullable, false);
  assert.equal((byName.get('price')?.jsonSchema as { type: unknown }).type, 'string');
  assert.deepEqual(byName.get('small')?.jsonSchema, { type: ['integer', 'null'], minimum: -32768, maximum: 32767 });
  assert.deepEqual(byName.get('flag')?.jsonSchema, { type: ['boolean', 'null'] });
  assert.deepEqual(byName.get('label')?.jsonSchema, { type: ['string', 'null'], maxLength: 10 });
  assert.deepEqual(byName.get('bin')?.jsonSchema, { type: ['string', 'null'], contentEncoding: 'base64' });
  assert.deepEqual(byName.get('nums')?.jsonSchema, { type: ['array', 'null'], items: { type: ['integer', 'null'], minimum: -2147483648, maximum: 2147483647 } });
  assert.deepEqual(byName.get('at')?.jsonSchema, { anyOf: [{ type: 'string', format: 'date-time' }, { enum: ['infinity', '-infinity'] }, { type: 'null' }] });
  assert.deepEqual(byName.get('doc')?.jsonSchema, {});
});

test('unknown table, table without primary key, REPLICA IDENTITY NOTHING: refused with a code', opts, async (t) => {
  const f = await fixture(t, 'id int');
  const missing = createPostgresSource({ url: postgres.url, tables: [randomName('ficus_missing')], slot: f.slot, publication: f.publication });
  await assert.rejects(missing.describe(), { code: 'FICUS_BR_UNKNOWN_TABLE' });
  await assert.rejects(missing.start(collector().start()), { code: 'FICUS_BR_UNKNOWN_TABLE' });
  await assert.rejects(f.source().describe(), { code: 'FICUS_BR_UNKNOWN_TABLE' }, 'no primary key');
  await f.admin.query(`ALTER TABLE ${f.table} ADD PRIMARY KEY (id), REPLICA IDENTITY NOTHING`);
  await assert.rejects(f.source().describe(), { code: 'FICUS_BR_SOURCE_NOT_READY' });
  assert.throws(() => createPostgresSource({ url: postgres.url, tables: [f.table], slot: 'Bad-Slot', publication: 'p' }), { code: 'FICUS_BR_SOURCE_USAGE' });
  // Nothing was created for a refused start.
  const { rows } = await f.admin.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [f.slot]);
  assert.equal(rows.length, 0);
});

test('a transaction is one batch: shared txId, txOrder 0..n-1, checkpoint = commit end LSN', opts, async (t) => {
  const f = await fixture(t, 'id int PRIMARY KEY, v text');
  const c = collector();
  const source = f.source();
  await source.start(c.start());
  const tx = f.admin;
  await tx.query('BEGIN');
  const { rows } = await tx.query<{ xid: string }>('SELECT txid_current()::text AS xid');
  await tx.query(`INSERT INTO ${f.table} VALUES (1, 'a'), (2, 'b')`);
  await tx.query(`UPDATE ${f.table} SET v = 'c' WHERE id = 1`);
  await tx.query(`DELETE FROM ${f.table} WHERE id = 2`);
  await tx.query('COMMIT');
  const after = await f.admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  await waitFor('the batch', () => c.batches.length >= 1);
  await sleep(200);
  assert.equal(c.batches.length, 1);
  const [batch] = c.batches;
  assert.deepEqual(batch!.changes.map((x) => [x.op, x.txOrder, x.txId]), [
    ['c', 0, rows[0]!.xid],
    ['c', 1, rows[0]!.xid],
    ['u', 2, rows[0]!.xid],
    ['d', 3, rows[0]!.xid],
  ]);
  const checkpoint = f.lsnOf(batch!.checkpoint);
  const commitLsn = batch!.changes[0]!.position.split(':')[0]!;
  assert.ok(f.lsnOf(commitLsn) < checkpoint, 'the commit record starts before the end LSN');
  assert.ok(checkpoint <= f.lsnOf(after.rows[0]!.lsn), 'the checkpoint is not beyond the WAL written');
  assert.deepEqual(batch!.changes.map((x) => x.position), [0, 1, 2, 3].map((i) => `${commitLsn}:${i}`));
  assert.equal(new Set(batch!.changes.map((x) => x.commitTimeMs)).size, 1);
  assert.equal(batch!.snapshot, undefined);
  const status = await source.status();
  assert.ok(status.position !== null && f.lsnOf(status.position) >= f.lsnOf(commitLsn));
  assert.equal(typeof status.lagBytes, 'number');
});

test('ack: the slot is confirmed only up to what ack() was given; restart re-delivers the rest identically', opts, async (t) => {
  const f = await fixture(t, 'id int PRIMARY KEY, v text');
  const c = collector();
  const source = f.source({ keepaliveMs: 100 });
  await source.start(c.start());
  const initial = (await f.slotState()).confirmed;
  await f.admin.query(`INSERT INTO ${f.table} VALUES (1, 'a')`);
  await f.admin.query(`INSERT INTO ${f.table} VALUES (2, 'b')`);
  await f.admin.query(`INSERT INTO ${f.table} VALUES (3, 'c')`);
  await waitFor('3 batches', () => c.batches.length >= 3);
  const [first, second, third] = c.batches;

  await sleep(500); // several keepalive periods, and replies to the server's keepalives
  assert.equal((await f.slotState()).confirmed, initial, 'nothing confirmed before any ack');

  await source.ack(first!.checkpoint);
  await waitFor('the ack to reach the slot', async () => (await f.slotState()).confirmed === f.lsnOf(first!.checkpoint));
  await sleep(500);
  const confirmed = (await f.slotState()).confirmed;
  assert.equal(formatLsn(confirmed), first!.checkpoint, 'confirmed_flush_lsn stays at the acked checkpoint');
  assert.ok(confirmed < f.lsnOf(second!.checkpoint));

  await source.stop();
  const again = collector();
  await source.start(again.start(first!.checkpoint));
  await waitFor('re-delivery', () => again.batches.length >= 2);
  await sleep(200);
  assert.deepEqual(again.batches, [second, third], 'same changes, positions and checkpoints; the acked one not repeated');

  // A fresh source object (a restarted process) resumes the same way.
  await source.stop();
  const fresh = f.source();
  const third2 = collector();
  await fresh.start(third2.start(second!.checkpoint));
  await waitFor('re-delivery', () => third2.batches.length >= 1);
  assert.deepEqual(third2.batches, [third]);
  await assert.rejects(fresh.ack('not-an-lsn'), { code: 'FICUS_BR_CHECKPOINT' });
});

test('snapshot initial: existing rows as r, concurrent inserts exactly once, then streaming', opts, async (t) => {
  const f = await fixture(t, 'id int PRIMARY KEY, v text NOT NULL');
  await f.admin.query(`INSERT INTO ${f.table} SELECT g, 'pre' FROM generate_series(1, 2500) g`);
  const writer = new pg.Client({ connectionString: postgres.url });
  await writer.connect();
  t.after(() => writer.end());

  const c = collector();
  let chunks = 0;
  const start = c.start(null, 'initial');
  const onBatch = start.onBatch;
  start.onBatch = async (batch) => {
    if (batch.snapshot) {
      chunks += 1;
      await sleep(50); // a slow sink, so the writer below runs during the snapshot
    }
    await onBatch(batch);
  };
  const source = f.source({ snapshotChunkRows: 400 });
  // Writes start before the slot exists and go on while the snapshot is read.
  let next = 10_001;
  let writing = true;
  const writes = (async () => {
    while (writing) {
      await writer.query(`INSERT INTO ${f.table} VALUES ($1, 'live')`, [next]);
      next += 1;
      await sleep(5);
    }
  })();
  await source.start(start);
  const afterStart = next;
  await waitFor('snapshot done', () => c.batches.some((b) => b.snapshotDone));
  writing = false;
  await writes;
  const last = next - 1;
  await waitFor('every live row', () => c.changes().some((x) => x.after?.id === last));
  await sleep(300);

  const changes = c.changes();
  const ids = changes.map((x) => x.after!.id as number);
  assert.equal(new Set(ids).size, ids.length, 'no row twice');
  const expected = [...Array.from({ length: 2500 }, (_, i) => i + 1), ...Array.from({ length: last - 10_000 }, (_, i) => 10_001 + i)];
  assert.deepEqual([...ids].sort((a, b) => a - b), expected, 'no row missing');
  assert.ok(chunks >= 7, `snapshot in chunks (${chunks})`);

  const snapshotBatches = c.batches.filter((b) => b.snapshot);
  assert.deepEqual(snapshotBatches.map((b) => b.snapshotDone === true), snapshotBatches.map((_, i) => i === snapshotBatches.length - 1));
  const done = snapshotBatches.at(-1)!;
  assert.match(done.checkpoint, /^[0-9A-F]+\/[0-9A-F]+$/);
  for (const b of snapshotBatches.slice(0, -1)) assert.ok(b.checkpoint.startsWith('snapshot-incomplete:'), 'no resumable checkpoint mid-snapshot');
  const snapshotRows = snapshotBatches.flatMap((b) => b.changes);
  assert.ok(snapshotRows.every((x) => x.op === 'r' && x.before === null));
  assert.deepEqual(snapshotRows.slice(0, 2).map((x) => x.position), [0, 1].map((i) => `snapshot:${done.checkpoint}:public.${f.table}:${i}`));
  assert.deepEqual(snapshotRows.map((x) => x.txOrder), snapshotRows.map((_, i) => i));

  const streamed = c.batches.filter((b) => !b.snapshot).flatMap((b) => b.changes);
  assert.ok(streamed.every((x) => x.op === 'c' && x.after!.v === 'live'));
  assert.ok(streamed.some((x) => (x.after!.id as number) >= afterStart), 'rows inserted after start() arrive as c');
  for (const b of c.batches.filter((x) => !x.snapshot)) assert.ok(f.lsnOf(b.checkpoint) > f.lsnOf(done.checkpoint));
  assert.ok(snapshotRows.every((x) => x.after!.v === 'pre' || (x.after!.id as number) < afterStart), 'snapshot rows predate start()');
});

test('snapshot interrupted: a restart from a mid-snapshot checkpoint snapshots again', opts, async (t) => {
  const f = await fixture(t, 'id int PRIMARY KEY');
  await f.admin.query(`INSERT INTO ${f.table} SELECT generate_series(1, 30)`);
  const c = collector();
  let release!: () => void;
  c.gate = new Promise((resolve) => (release = resolve));
  const source = f.source({ snapshotChunkRows: 10 });
  await source.start(c.start(null, 'initial'));
  await waitFor('first chunk', () => c.batches.length === 1);
  const partial = c.batches[0]!.checkpoint;
  await source.stop(); // the "crash"
  release();
  const again = collector();
  await source.start(again.start(partial, 'initial'));
  await waitFor('snapshot done', () => again.batches.some((b) => b.snapshotDone));
  assert.equal(again.changes().length, 30);
  assert.ok(again.changes().every((x) => x.op === 'r'));
});

test('slot missing with a checkpoint: CheckpointError unless when_needed, which snapshots again', opts, async (t) => {
  const f = await fixture(t, 'id int PRIMARY KEY');
  await f.admin.query(`INSERT INTO ${f.table} VALUES (1)`);
  const source = f.source();
  await assert.rejects(source.start(collector().start('garbage', 'when_needed')), { code: 'FICUS_BR_CHECKPOINT' });
  await assert.rejects(source.start(collector().start('0/1000000', 'initial')), { code: 'FICUS_BR_CHECKPOINT' });
  await assert.rejects(source.start(collector().start('0/1000000', 'never')), { code: 'FICUS_BR_CHECKPOINT' });
  const c = collector();
  await source.start(c.start('0/1000000', 'when_needed'));
  await waitFor('snapshot', () => c.batches.some((b) => b.snapshotDone));
  assert.deepEqual(c.changes().map((x) => [x.op, x.key]), [['r', { id: 1 }]]);
  await source.stop();
  // With its slot and a checkpoint, when_needed streams without snapshotting.
  const again = collector();
  await source.start(again.start(c.batches.at(-1)!.checkpoint, 'when_needed'));
  await f.admin.query(`INSERT INTO ${f.table} VALUES (2)`);
  await waitFor('insert', () => again.batches.length === 1);
  assert.deepEqual(again.changes().map((x) => [x.op, x.key]), [['c', { id: 2 }]]);
});

test('an idle stream sends status updates every keepaliveMs', opts, async (t) => {
  const f = await fixture(t, 'id int PRIMARY KEY');
  await f.source({ keepaliveMs: 200 }).start(collector().start());
  const replyTime = async (): Promise<number | null> => {
    const { rows } = await f.admin.query<{ t: number | null }>(
      `SELECT extract(epoch FROM r.reply_time)::float8 AS t
         FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid
        WHERE s.slot_name = $1`,
      [f.slot],
    );
    return rows[0]?.t ?? null;
  };
  await waitFor('a first reply', async () => (await replyTime()) !== null);
  const seen = new Set<number>();
  for (let i = 0; i < 6; i++) {
    seen.add((await replyTime())!);
    await sleep(250);
  }
  assert.ok(seen.size >= 3, `reply_time advanced while idle (${seen.size} distinct values)`);
});

test('an idle source confirms WAL it has no use for, but never past an unacked delivery', opts, async (t) => {
  const defer = cleanupStack(t);
  const f = await fixture(t, 'id int PRIMARY KEY', defer);
  const other = randomName('ficus_pgsrc_other');
  await f.admin.query(`CREATE TABLE ${other} (id int PRIMARY KEY)`);
  defer(() => f.admin.query(`DROP TABLE IF EXISTS ${other}`));
  const c = collector();
  const source = f.source({ keepaliveMs: 100 });
  await source.start(c.start());
  await f.admin.query(`INSERT INTO ${f.table} VALUES (1)`);
  await waitFor('the captured insert', () => c.batches.length === 1);
  // Delivered but not acked: WAL written for other tables must not be confirmed past it.
  for (let i = 0; i < 20; i++) await f.admin.query(`INSERT INTO ${other} VALUES (${i})`);
  await sleep(600);
  assert.ok((await f.slotState()).confirmed < f.lsnOf(c.batches[0]!.checkpoint), 'nothing confirmed past the unacked transaction');
  await source.ack(c.batches[0]!.checkpoint);
  // Now idle: the server's keepalive position (past the other table's WAL) is confirmed.
  for (let i = 20; i < 40; i++) await f.admin.query(`INSERT INTO ${other} VALUES (${i})`);
  const { rows } = await f.admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  const now = f.lsnOf(rows[0]!.lsn);
  await waitFor('the slot to move past unrelated WAL', async () => (await f.slotState()).confirmed >= now, 15_000);
  assert.equal(c.batches.length, 1, 'the other table was never delivered');
});

test('backpressure: while onBatch is pending, nothing more is decoded and memory stays bounded', opts, async (t) => {
  const f = await fixture(t, 'id int PRIMARY KEY, pad text');
  const c = collector();
  let release!: () => void;
  c.gate = new Promise((resolve) => (release = resolve));
  const source = f.source();
  await source.start(c.start());
  const pad = 'x'.repeat(1000);
  const txs = 60;
  const rowsPerTx = 50;
  for (let i = 0; i < txs; i++) {
    await f.admin.query(`INSERT INTO ${f.table} SELECT g, $2 || g FROM generate_series($1::int, $1::int + ${rowsPerTx - 1}) g`, [i * rowsPerTx, pad]);
  }
  await waitFor('the first batch', () => c.batches.length === 1);
  await sleep(1000);
  const held = source.stats();
  assert.equal(c.batches.length, 1, 'no second delivery while the first is pending');
  assert.equal(held.paused, true);
  assert.ok(held.bufferedChanges <= rowsPerTx, `buffered ${held.bufferedChanges} changes`);
  // The ~3 MB of WAL stays on the server (or in kernel buffers): at most one socket read queued here.
  assert.ok(held.queuedBytes <= 128 * 1024, `queued ${held.queuedBytes} bytes`);

  c.gate = null;
  release();
  await waitFor('every transaction', () => c.batches.length === txs, 30_000);
  const stats = source.stats();
  assert.equal(c.maxInFlight, 1, 'one onBatch at a time');
  assert.ok(stats.maxBufferedChanges <= rowsPerTx, `max buffered ${stats.maxBufferedChanges}`);
  assert.ok(stats.maxQueuedBytes <= 128 * 1024, `max queued ${stats.maxQueuedBytes}`);
  assert.deepEqual(
    c.changes().map((x) => x.after!.id),
    Array.from({ length: txs * rowsPerTx }, (_, i) => i),
    'in source order',
  );
});

test('a transaction larger than maxBatchChanges is split; only the last part moves the checkpoint', opts, async (t) => {
  const f = await fixture(t, 'id int PRIMARY KEY');
  const c = collector();
  await f.source({ maxBatchChanges: 10 }).start(c.start());
  await f.admin.query(`INSERT INTO ${f.table} VALUES (100)`);
  await f.admin.query(`INSERT INTO ${f.table} SELECT generate_series(1, 25)`);
  await waitFor('4 batches', () => c.batches.length >= 4);
  const [single, ...parts] = c.batches;
  assert.deepEqual(parts.map((b) => b.changes.length), [10, 10, 5]);
  assert.deepEqual(parts.map((b) => b.checkpoint).slice(0, 2), [single!.checkpoint, single!.checkpoint]);
  assert.ok(f.lsnOf(parts[2]!.checkpoint) > f.lsnOf(single!.checkpoint));
  const changes = parts.flatMap((b) => b.changes);
  assert.equal(new Set(changes.map((x) => x.txId)).size, 1);
  assert.deepEqual(changes.map((x) => x.txOrder), Array.from({ length: 25 }, (_, i) => i));
});

test('connection loss: onError with a retriable SourceConnectionError, then resume from the checkpoint', opts, async (t) => {
  const f = await fixture(t, 'id int PRIMARY KEY');
  const c = collector();
  const source = f.source();
  await source.start(c.start());
  await f.admin.query(`INSERT INTO ${f.table} VALUES (1)`);
  await waitFor('batch', () => c.batches.length === 1);
  await source.ack(c.batches[0]!.checkpoint);
  const { activePid } = await f.slotState();
  await f.admin.query('SELECT pg_terminate_backend($1)', [activePid]);
  await waitFor('onError', () => c.errors.length === 1);
  assert.equal((c.errors[0] as { code?: string }).code, 'FICUS_BR_SOURCE_CONNECTION');
  assert.equal((c.errors[0] as { retriable?: boolean }).retriable, true);
  await f.admin.query(`INSERT INTO ${f.table} VALUES (2)`);
  await source.stop();
  const again = collector();
  await source.start(again.start(c.batches[0]!.checkpoint));
  await waitFor('resumed', () => again.batches.length === 1);
  assert.deepEqual(again.changes().map((x) => x.key), [{ id: 2 }]);
});

test('an existing publication is reused and extended with a newly configured table', opts, async (t) => {
  const defer = cleanupStack(t);
  const f = await fixture(t, 'id int PRIMARY KEY', defer);
  const other = randomName('ficus_pgsrc');
  await f.admin.query(`CREATE TABLE ${other} (k text PRIMARY KEY)`);
  defer(() => f.admin.query(`DROP TABLE IF EXISTS ${other}`));
  await f.admin.query(`CREATE PUBLICATION ${f.publication} FOR TABLE ${f.table}`);
  const c = collector();
  await f.source({ tables: [f.table, `public.${other}`] }).start(c.start());
  const { rows } = await f.admin.query('SELECT tablename FROM pg_publication_tables WHERE pubname = $1 ORDER BY tablename', [f.publication]);
  assert.deepEqual(rows.map((r) => r.tablename).sort(), [f.table, other].sort());
  await f.admin.query(`INSERT INTO ${other} VALUES ('k1')`);
  await waitFor('batch', () => c.batches.length === 1);
  assert.deepEqual(c.changes().map((x) => [x.table, x.key]), [[other, { k: 'k1' }]]);
});

test('parseArray: quoting, NULL, nesting, explicit bounds', () => {
  assert.deepEqual(parseArray('{}'), []);
  assert.deepEqual(parseArray('{1,NULL,-3}'), ['1', null, '-3']);
  assert.deepEqual(parseArray('{"a b","c\\"d",NULL,"NULL","","e\\\\f"}'), ['a b', 'c"d', null, 'NULL', '', 'e\\f']);
  assert.deepEqual(parseArray('{{1,2},{3,4}}'), [['1', '2'], ['3', '4']]);
  assert.deepEqual(parseArray('[0:1]={7,8}'), ['7', '8']);
  assert.throws(() => parseArray('{1,2'), SyntaxError);
});

test('converterFor: edge values of the text formats', () => {
  const none = new Map();
  const convert = (oid: number, text: string) => converterFor(oid, none)(text);
  assert.equal(convert(1082, '0044-03-15 BC'), '-000043-03-15', 'BC dates as astronomical years, in Date.prototype.toISOString form');
  assert.equal(convert(1082, '12345-01-02'), '+012345-01-02');
  assert.equal(convert(1082, 'infinity'), 'infinity');
  assert.equal(convert(1184, '0001-01-01 00:00:00+00 BC'), '0000-01-01T00:00:00Z');
  assert.equal(convert(1184, '2024-01-02 03:04:05+00'), '2024-01-02T03:04:05Z');
  assert.equal(convert(1184, '-infinity'), '-infinity');
  assert.equal(convert(1114, '2024-01-02 03:04:05.000001'), '2024-01-02T03:04:05.000001');
  assert.equal(convert(701, 'NaN'), 'NaN');
  assert.equal(convert(701, '-Infinity'), '-Infinity');
  assert.equal(convert(701, '1.7976931348623157e+308'), 1.7976931348623157e308);
  assert.equal(convert(1700, '-0.000000000000000000001'), '-0.000000000000000000001');
  assert.equal(convert(20, '-9223372036854775808'), '-9223372036854775808');
  assert.equal(convert(17, '\\x'), '');
  assert.equal(convert(17, 'a\\\\\\001'), Buffer.from([0x61, 0x5c, 0x01]).toString('base64'), 'escape format too');
  assert.deepEqual(convert(1185, '{"2024-01-02 03:04:05+00",NULL}'), ['2024-01-02T03:04:05Z', null]);
  assert.deepEqual(convert(3807, '{"{\\"a\\": 1}",NULL}'), [{ a: 1 }, null]);
  assert.deepEqual(convert(1001, '{"\\\\x00ff"}'), ['AP8=']);
  assert.deepEqual(convert(1000, '{t,f}'), [true, false]);
  assert.equal(convert(869, '10.0.0.1/32'), '10.0.0.1/32', 'other types as text');
  const domains = new Map([[99_001, { kind: 'domain' as const, baseOid: 23 }], [99_002, { kind: 'array' as const, elementOid: 99_001 }]]);
  assert.deepEqual(converterFor(99_002, domains)('{1,2}'), [1, 2], 'arrays of domains over int4');
});

test('LSN text round-trips', () => {
  for (const text of ['0/0', '0/16B3748', '1A/FF000028', 'FFFFFFFF/FFFFFFFF']) assert.equal(formatLsn(parseLsn(text)!), text);
  assert.equal(parseLsn('0/16b3748'), 0x16b3748n);
  assert.equal(parseLsn('snapshot'), undefined);
});
