/**
 * Smoke tests for the PostgreSQL set up by test/services/postgres.sh: logical
 * decoding works (wal_level=logical, free slots), the pgoutput plugin and
 * publications the Postgres source will use are there, and a logical
 * replication (walsender) connection is accepted by pg_hba.conf.
 *
 * Slots are named ficus_test_* so postgres.sh can drop ones a crashed run
 * leaked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { cleanupStack, randomName, serviceOrSkip } from '../helpers/services.js';

const postgres = serviceOrSkip('pg');

type Defer = ReturnType<typeof cleanupStack>;

/** A connected client and a fresh table, both gone after the test. */
async function withTable(defer: Defer): Promise<{ client: pg.Client; table: string }> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  defer(() => client.end());
  const table = randomName('ficus_smoke');
  await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text NOT NULL)`);
  defer(() => client.query(`DROP TABLE IF EXISTS ${table}`));
  return { client, table };
}

/** A logical slot, dropped after the test whether or not it passed. */
async function withSlot(defer: Defer, client: pg.Client, plugin: 'test_decoding' | 'pgoutput'): Promise<string> {
  const slot = randomName('ficus_test');
  await client.query('SELECT pg_create_logical_replication_slot($1, $2)', [slot, plugin]);
  defer(() => client.query('SELECT pg_drop_replication_slot($1)', [slot]));
  return slot;
}

test('postgres: an insert shows up in a test_decoding slot', { skip: postgres.skip, timeout: 30_000 }, async (t) => {
  const defer = cleanupStack(t);
  const { client, table } = await withTable(defer);
  const slot = await withSlot(defer, client, 'test_decoding');
  const note = randomName('note');

  await client.query(`INSERT INTO ${table} (id, note) VALUES (1, $1)`, [note]);

  const { rows } = await client.query<{ data: string }>(
    'SELECT data FROM pg_logical_slot_get_changes($1, NULL, NULL)',
    [slot],
  );
  const insert = rows.map((r) => r.data).find((d) => d.startsWith(`table public.${table}: INSERT:`));
  assert.ok(insert, `no INSERT for ${table} among ${JSON.stringify(rows)}`);
  assert.match(insert, /id\[integer\]:1 /);
  assert.ok(insert.includes(`note[text]:'${note}'`), insert);
});

test('postgres: pgoutput decodes an insert on a published table', { skip: postgres.skip, timeout: 30_000 }, async (t) => {
  const defer = cleanupStack(t);
  const { client, table } = await withTable(defer);
  const publication = randomName('ficus_smoke_pub');
  await client.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
  defer(() => client.query(`DROP PUBLICATION IF EXISTS ${publication}`));
  const slot = await withSlot(defer, client, 'pgoutput');
  const note = randomName('note');

  await client.query(`INSERT INTO ${table} (id, note) VALUES (7, $1)`, [note]);

  // The SQL interface returns the same pgoutput messages the streaming
  // protocol would; the first byte is the message type
  // (https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html).
  const { rows } = await client.query<{ data: Buffer }>(
    `SELECT data FROM pg_logical_slot_get_binary_changes($1, NULL, NULL,
       'proto_version', '1', 'publication_names', $2)`,
    [slot, publication],
  );
  const types = rows.map((r) => String.fromCharCode(r.data[0] ?? 0)).join('');
  assert.equal(types, 'BRIC', 'expected Begin, Relation, Insert, Commit');
  const relation = rows[1].data;
  const insert = rows[2].data;
  assert.ok(relation.includes(Buffer.from(`public\0${table}\0`)), 'Relation message names the table');
  assert.ok(insert.includes(Buffer.from(note)), 'Insert message carries the new value');
});

test('postgres: a logical replication connection is accepted', { skip: postgres.skip, timeout: 30_000 }, async (t) => {
  // replication=database starts a walsender, which pg_hba.conf and
  // max_wal_senders gate separately from ordinary connections.
  const url = new URL(postgres.url);
  url.searchParams.set('replication', 'database');
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  t.after(() => client.end());

  const { rows } = await client.query<{ systemid: string; timeline: number; xlogpos: string; dbname: string }>(
    'IDENTIFY_SYSTEM',
  );
  assert.equal(rows.length, 1);
  assert.match(rows[0].xlogpos, /^[0-9A-F]+\/[0-9A-F]+$/);
  assert.equal(rows[0].dbname, url.pathname.slice(1) || 'postgres');
});
