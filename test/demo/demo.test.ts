/**
 * `ficus demo` end to end as a user runs it: the real binary for a bounded time on a fresh
 * workspace, then its printed summary and the stores it left behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { repoRoot, tempDir } from '../helpers/tmp.js';

const bin = join(repoRoot, 'dist', 'cli', 'ficus.js');

interface Summary {
  resumed: boolean;
  requests: number;
  events: number;
  routes: { id: string; mode: string; percent: number; matches: number; mismatches: number }[];
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('demo: right routes promote past shadow, the wrong one stays in shadow with mismatches, events flow', { timeout: 60_000 }, async (t) => {
  const ws = join(tempDir(t), 'demo');
  const { code, stdout, stderr } = await run(['demo', '--fresh', '--duration', '15', '--workspace', ws, '--interval', '5']);
  assert.equal(code, 0, stderr + stdout);
  assert.match(stdout, /starting fresh/);
  assert.match(stdout, /dashboard http:\/\/127\.0\.0\.1:\d+\/ {2}admin token [0-9a-f]{32}/);
  assert.match(stdout, /events {4}http:\/\/127\.0\.0\.1:\d+\/events\/stream/);
  const line = stdout.split('\n').find((l) => l.startsWith('ficus demo: summary '));
  assert.ok(line, stdout);
  const summary = JSON.parse(line.slice('ficus demo: summary '.length)) as Summary;
  const route = (id: string) => summary.routes.find((r) => r.id === id)!;
  for (const id of ['get-account', 'get-loan']) {
    assert.equal(route(id).mode, 'canary', `${id}: ${JSON.stringify(route(id))}`);
    assert.ok(route(id).percent >= 25, `${id}: ${JSON.stringify(route(id))}`);
    assert.equal(route(id).mismatches, 0);
  }
  assert.equal(route('loan-interest').mode, 'shadow');
  assert.ok(route('loan-interest').mismatches > 0);
  assert.ok(summary.events > 0);
  for (const f of ['openapi.yaml', 'rules.json', 'report.md']) assert.ok(existsSync(join(ws, 'specs', f)), f);

  // What the embedded log holds: business events from the legacy database.
  const db = new Database(join(ws, 'bridge.db'), { readonly: true });
  t.after(() => db.close());
  const types = (db.prepare('SELECT type, COUNT(*) AS n FROM bridge_events GROUP BY type').all() as { type: string; n: number }[]).map((r) => r.type);
  assert.ok(types.includes('transfer_made'), types.join(' '));
  assert.ok(types.includes('balance_changed'), types.join(' '));

  // A second run without --fresh resumes the same workspace.
  const again = await run(['demo', '--duration', '1', '--workspace', ws, '--rate', '5']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /resuming/);
});
