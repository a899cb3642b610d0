/**
 * The embedded default end to end: a legacy SQLite database captured by triggers, events in the
 * bridge's store, read through the bridge's HTTP listener — and the at-least-once guarantee under
 * kill -9 of the real `ficus bridge` process.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import type { CloudEvent } from '../../bridges/change.js';
import { bridgeOptions, type BridgeConfig } from '../../bridges/options.js';
import { startBridgeService, type BridgeService } from '../../bridges/service.js';
import { assertValidEvent } from '../helpers/event-schema.js';
import { repoRoot, tempDir } from '../helpers/tmp.js';
import { eventually } from '../gateway/harness.js';

const bin = join(repoRoot, 'dist', 'cli', 'ficus.js');

function legacyDb(dir: string): Database.Database {
  const db = new Database(join(dir, 'legacy.db'));
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT NOT NULL, total TEXT, note BLOB);
           CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);`);
  return db;
}

function bridgeYaml(dir: string, extra = ''): string {
  return `store:\n  path: ${join(dir, 'bridge.db')}\nlog:\n  level: silent\nbridge:\n  name: test\n  listen: 127.0.0.1:0\n  source:\n    kind: sqlite\n    path: ${join(dir, 'legacy.db')}\n    tables: [orders, customers]\n    pollMs: 20\n${extra}`;
}

async function startService(t: TestContext, text: string): Promise<BridgeService> {
  const loaded = parseConfig<{ store: { path: string }; bridge: BridgeConfig }>(text, 'ficus.yaml');
  const service = await startBridgeService(bridgeOptions(loaded.config.bridge, { storePath: loaded.config.store.path }), { logger: createLogger({ level: 'silent' }), loaded });
  t.after(() => service.close());
  return service;
}

async function events(url: string, query = ''): Promise<{ events: CloudEvent[]; next: string }> {
  const res = await request(`${url}/events${query}`);
  assert.equal(res.statusCode, 200);
  return (await res.body.json()) as { events: CloudEvent[]; next: string };
}

test('snapshot then streaming: every row once, business events mapped, CloudEvents per the published schema', async (t) => {
  const dir = tempDir(t);
  const db = legacyDb(dir);
  t.after(() => db.close());
  db.prepare("INSERT INTO orders (id, status, total, note) VALUES (1, 'NEW', '12.50', x'00ff')").run();
  db.prepare("INSERT INTO customers (id, name) VALUES (7, 'Ada')").run();
  const service = await startService(
    t,
    bridgeYaml(dir, `  events:\n    - table: orders\n      op: insert\n      type: order_placed\n    - table: orders\n      op: update\n      when: "before.status != 'SHIPPED' and after.status == 'SHIPPED'"\n      type: order_shipped\n`),
  );
  await eventually(async () => (await events(service.url)).events.length === 2);
  db.prepare("INSERT INTO orders (id, status, total) VALUES (2, 'NEW', '99999999999999999999.99')").run();
  db.prepare("UPDATE orders SET status = 'SHIPPED' WHERE id = 1").run();
  db.prepare('DELETE FROM customers WHERE id = 7').run();
  const all = await eventually(async () => {
    const page = await events(service.url, '?limit=100');
    return page.events.length >= 5 ? page.events : undefined;
  });
  for (const e of all) assertValidEvent(e);
  const summary = all.map((e) => `${e.type}:${e.data.op}:${e.subject}`);
  assert.deepEqual(summary.slice(0, 2).sort(), ['customer_snapshot:r:7', 'order_snapshot:r:1'].sort());
  assert.ok(summary.includes('order_placed:c:2'), summary.join(' '));
  assert.ok(summary.includes('order_shipped:u:1'), summary.join(' '));
  assert.ok(summary.includes('customer_deleted:d:7'), summary.join(' '));
  const placed = all.find((e) => e.type === 'order_placed')!;
  assert.equal(placed.data.after!.total, '99999999999999999999.99', 'decimal text kept exactly');
  assert.equal(placed.source, `/ficus/sqlite/${encodeURIComponent(join(dir, 'legacy.db'))}/main.orders`);
  const snap = all.find((e) => e.subject === '1' && e.data.op === 'r')!;
  assert.equal(snap.data.after!.note, Buffer.from([0, 255]).toString('base64'), 'blobs as base64');
  const deleted = all.find((e) => e.type === 'customer_deleted')!;
  assert.deepEqual(deleted.data.before, { id: 7, name: 'Ada' });
  // Filter by type, and page with the cursor.
  const onlyShipped = await events(service.url, '?type=order_shipped');
  assert.deepEqual(onlyShipped.events.map((e) => e.subject), ['1']);
  const first = await events(service.url, '?limit=2');
  const rest = await events(service.url, `?after=${first.next}&limit=100`);
  assert.equal(first.events.length + rest.events.length, all.length);
});

test('a column added while streaming shows up in later events', async (t) => {
  const dir = tempDir(t);
  const db = legacyDb(dir);
  t.after(() => db.close());
  const service = await startService(t, bridgeYaml(dir));
  db.prepare("INSERT INTO orders (id, status) VALUES (1, 'NEW')").run();
  await eventually(async () => (await events(service.url)).events.length === 1);
  db.exec("ALTER TABLE orders ADD COLUMN channel TEXT DEFAULT 'web'");
  await new Promise((r) => setTimeout(r, 100)); // a poll regenerates the triggers
  db.prepare("INSERT INTO orders (id, status, channel) VALUES (2, 'NEW', 'phone')").run();
  const e = await eventually(async () => (await events(service.url)).events.find((x) => x.subject === '2'));
  assert.equal(e.data.after!.channel, 'phone');
});

test('SSE stream delivers new events and resumes from Last-Event-ID', async (t) => {
  const dir = tempDir(t);
  const db = legacyDb(dir);
  t.after(() => db.close());
  const service = await startService(t, bridgeYaml(dir, '  snapshot: never\n'));
  for (let i = 1; i <= 3; i++) db.prepare("INSERT INTO orders (id, status) VALUES (?, 'NEW')").run(i);
  await eventually(async () => (await events(service.url)).events.length === 3);

  const read = async (headers: Record<string, string>, want: number): Promise<{ id: string; subject: string }[]> => {
    const ac = new AbortController();
    const res = await request(`${service.url}/events/stream`, { headers, signal: ac.signal });
    assert.equal(res.headers['content-type'], 'text/event-stream');
    const got: { id: string; subject: string }[] = [];
    let buf = '';
    try {
      for await (const chunk of res.body) {
        buf += chunk.toString();
        let idx;
        while ((idx = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, idx);
          buf = buf.slice(idx + 2);
          const id = /^id: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (id && data) got.push({ id, subject: (JSON.parse(data) as CloudEvent).subject });
        }
        if (got.length >= want) break;
      }
    } finally {
      ac.abort();
    }
    return got;
  };
  const firstTwo = (await read({}, 3)).slice(0, 2);
  assert.deepEqual(firstTwo.map((e) => e.subject), ['1', '2']);
  setTimeout(() => db.prepare("INSERT INTO orders (id, status) VALUES (4, 'NEW')").run(), 100);
  const resumed = await read({ 'last-event-id': firstTwo[1]!.id }, 2);
  assert.deepEqual(resumed.map((e) => e.subject), ['3', '4']);
});

test('a bad mapping expression or unknown table is refused at start with file and line, exit 2', (t) => {
  const dir = tempDir(t);
  legacyDb(dir).close();
  writeFileSync(
    join(dir, 'ficus.yaml'),
    bridgeYaml(dir, `  events:\n    - table: orders\n      when: "after.status == "\n      type: order_odd\n    - table: invoices\n      type: invoice_made\n`).replace('listen: 127.0.0.1:0', 'listen: 127.0.0.1:0'),
  );
  const r = spawnSync(process.execPath, [bin, 'bridge', '--config', 'ficus.yaml'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /ficus\.yaml:\d+: bridge\.events\[0\]\.when: /);
  assert.match(r.stderr, /ficus\.yaml:\d+: bridge\.events\[1\]\.table: /);
});

test('kill -9 mid-stream, restart: every change arrives, per-key order holds, duplicates share ids', async (t) => {
  const dir = tempDir(t);
  const db = legacyDb(dir);
  t.after(() => db.close());
  writeFileSync(join(dir, 'ficus.yaml'), bridgeYaml(dir).replace('level: silent', 'level: warn'));
  const children: ChildProcess[] = [];
  t.after(() => children.forEach((c) => c.kill('SIGKILL')));
  const startBridge = async (): Promise<{ child: ChildProcess; url: string }> => {
    const child = spawn(process.execPath, [bin, 'bridge', '--config', 'ficus.yaml'], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bridge did not start: ${out}`)), 20_000);
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (http:\/\/[^\s]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    return { child, url };
  };

  // A writer keeps changing 50 keys, each change bumping the key's version: order is checkable.
  const KEYS = 50;
  const TOTAL = 3000;
  const insert = db.prepare("INSERT INTO orders (id, status, total) VALUES (?, 'NEW', '0')");
  const bump = db.prepare('UPDATE orders SET total = ? WHERE id = ?');
  for (let k = 1; k <= KEYS; k++) insert.run(k);
  let written = KEYS;
  const first = await startBridge();
  const writeSome = (n: number) => {
    const tx = db.transaction(() => {
      for (let i = 0; i < n && written < TOTAL; i++, written++) bump.run(String(written), (written % KEYS) + 1);
    });
    tx();
  };
  // Write while the bridge runs, then kill it hard in the middle.
  while (written < TOTAL / 2) {
    writeSome(100);
    await new Promise((r) => setTimeout(r, 5));
  }
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  while (written < TOTAL) writeSome(200);
  const second = await startBridge();
  const bridgeStore = join(dir, 'bridge.db');
  const all = await eventually(
    () => {
      const s = new Database(bridgeStore, { readonly: true });
      try {
        const rows = s.prepare('SELECT event FROM bridge_events ORDER BY seq').all() as { event: string }[];
        const evts = rows.map((r) => JSON.parse(r.event) as CloudEvent);
        return new Set(evts.map((e) => e.id)).size >= TOTAL ? evts : undefined;
      } finally {
        s.close();
      }
    },
    60_000,
    'all changes published',
  );
  const ids = new Set(all.map((e) => e.id));
  assert.equal(ids.size, TOTAL, 'every change arrived exactly once by id');
  // Per key: the sequence of totals only moves forward (duplicates repeat, never reorder past newer).
  const lastByKey = new Map<string, number>();
  const seenIds = new Set<string>();
  for (const e of all) {
    if (seenIds.has(e.id)) continue; // a redelivered duplicate: same id as before
    seenIds.add(e.id);
    const v = Number(e.data.after?.total ?? -1);
    const prev = lastByKey.get(e.subject) ?? -1;
    assert.ok(v > prev || (v === 0 && prev === -1), `key ${e.subject}: ${v} after ${prev}`);
    lastByKey.set(e.subject, v);
  }
  second.child.kill('SIGTERM');
  await new Promise((r) => second.child.once('exit', r));
  const status = spawnSync(process.execPath, [bin, 'bridge', 'status', '--config', 'ficus.yaml'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 });
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /bridge test: not running/);
  // Counts move with the checkpoint, so each change is counted once even though a batch
  // published but not checkpointed before the kill was published again (same ids).
  const counted = Number(/events +(\d+) in \d+ transactions/.exec(status.stdout)?.[1]);
  assert.equal(counted, TOTAL, status.stdout);
});
