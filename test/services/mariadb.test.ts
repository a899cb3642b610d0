/**
 * Smoke test for the MariaDB set up by test/services/mariadb.sh: the server
 * writes a row-based binlog and @vlasky/zongji (the MariaDB source's reader)
 * can follow it, decoding an insert into named columns.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import mysql from 'mysql2/promise';
import ZongJi, { type WriteRowsEvent } from '@vlasky/zongji';
import { cleanupStack, randomName, serviceOrSkip } from '../helpers/services.js';

const mariadb = serviceOrSkip('mysql');

test('mariadb: zongji sees an insert as a writerows event', { skip: mariadb.skip, timeout: 30_000 }, async (t) => {
  const database = new URL(mariadb.url).pathname.slice(1) || 'test';
  const table = randomName('ficus_smoke');
  const note = randomName('note');

  const defer = cleanupStack(t);

  // Connect without a default database: it may not exist yet.
  const serverUrl = new URL(mariadb.url);
  serverUrl.pathname = '/';
  const conn = await mysql.createConnection(serverUrl.toString());
  defer(() => conn.end());
  await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  await conn.query(`CREATE TABLE \`${database}\`.\`${table}\` (id INT PRIMARY KEY, note VARCHAR(64) NOT NULL)`);
  defer(() => conn.query(`DROP TABLE IF EXISTS \`${database}\`.\`${table}\``));

  const zongji = new ZongJi(mariadb.url);
  defer(async () => {
    if (zongji.stopped) return;
    const stopped = once(zongji, 'stopped', { signal: AbortSignal.timeout(10_000) });
    zongji.stop();
    await stopped;
  });

  const ready = once(zongji, 'ready');
  const inserted = new Promise<WriteRowsEvent>((resolve, reject) => {
    zongji.on('error', reject);
    zongji.on('binlog', (event) => {
      if (event.getEventName() === 'writerows') resolve(event as WriteRowsEvent);
    });
  });
  inserted.catch(() => {}); // an early error rejects `ready` too; awaited below
  zongji.start({
    // A replica id of its own: the server drops an older binlog connection
    // that reuses a server id.
    serverId: randomInt(1000, 2 ** 31),
    startAtEnd: true,
    includeEvents: ['tablemap', 'writerows'],
    includeSchema: { [database]: [table] },
  });
  await ready;

  await conn.query(`INSERT INTO \`${database}\`.\`${table}\` (id, note) VALUES (?, ?)`, [42, note]);

  const event = await inserted;
  const entry = event.tableMap[event.tableId];
  assert.equal(entry?.parentSchema, database);
  assert.equal(entry?.tableName, table);
  assert.deepEqual(event.rows, [{ id: 42, note }]);
});
