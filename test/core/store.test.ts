import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openStore, type Migration } from '../../core/store.js';
import { tempDir } from '../helpers/tmp.js';

const v1: Migration = { component: 'demo', version: 1, description: 'items', up: 'CREATE TABLE demo_items (id INTEGER PRIMARY KEY, name TEXT)' };
const v2: Migration = { component: 'demo', version: 2, description: 'price', up: 'ALTER TABLE demo_items ADD COLUMN price TEXT' };

test('opens in WAL mode, applies migrations once, and keeps data across reopen', (t) => {
  const path = join(tempDir(t), 'nested', 'ficus.db');
  const s1 = openStore({ path, migrations: [v1] });
  assert.equal(s1.db.pragma('journal_mode', { simple: true }), 'wal');
  s1.db.prepare('INSERT INTO demo_items (name) VALUES (?)').run('a');
  s1.close();

  const s2 = openStore({ path, migrations: [v2, v1] });
  t.after(() => s2.close());
  assert.deepEqual(s2.versions(), { demo: 2 });
  assert.deepEqual(s2.db.prepare('SELECT name, price FROM demo_items').all(), [{ name: 'a', price: null }]);
});

test('refuses a store written by a newer version, and leaves it untouched', (t) => {
  const path = join(tempDir(t), 'ficus.db');
  openStore({ path, migrations: [v1, v2] }).close();
  assert.throws(() => openStore({ path, migrations: [v1] }), { code: 'FICUS_STORE_TOO_NEW' });
  const s = openStore({ path, migrations: [v1, v2] });
  assert.deepEqual(s.versions(), { demo: 2 });
  s.close();
});

test('refuses a store whose format version is newer', (t) => {
  const path = join(tempDir(t), 'ficus.db');
  const raw = new Database(path);
  raw.pragma('user_version = 99');
  raw.close();
  assert.throws(() => openStore({ path }), { code: 'FICUS_STORE_TOO_NEW' });
});

test('a failing migration rolls back and reports component and version', (t) => {
  const path = join(tempDir(t), 'ficus.db');
  const bad: Migration = { component: 'demo', version: 2, description: 'broken', up: 'CREATE TABLE ok_part (x); SELECT * FROM no_such_table' };
  assert.throws(() => openStore({ path, migrations: [v1, bad] }), { code: 'FICUS_STORE_MIGRATION' });
  const s = openStore({ path, migrations: [v1] });
  t.after(() => s.close());
  assert.deepEqual(s.versions(), { demo: 1 });
  assert.deepEqual(s.db.prepare("SELECT name FROM sqlite_master WHERE name = 'ok_part'").all(), []);
});

test('components migrate independently in one file', (t) => {
  const path = join(tempDir(t), 'ficus.db');
  const other: Migration = { component: 'other', version: 1, description: 'x', up: 'CREATE TABLE other_x (id INTEGER)' };
  openStore({ path, migrations: [v1] }).close();
  const s = openStore({ path, migrations: [other] });
  t.after(() => s.close());
  assert.deepEqual(s.versions(), { demo: 1, other: 1 });
});

test('gaps in migration numbering are a programming error', () => {
  assert.throws(() => openStore({ path: ':memory:', migrations: [v2] }), TypeError);
});

test('a path that cannot be opened gives FICUS_STORE_OPEN', (t) => {
  const dir = tempDir(t);
  assert.throws(() => openStore({ path: dir }), { code: 'FICUS_STORE_OPEN' });
});
