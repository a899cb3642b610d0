import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { call, startUpstream } from '../gateway/harness.js';
import { repoRoot, tempDir } from '../helpers/tmp.js';

const bin = join(repoRoot, 'dist', 'cli', 'ficus.js');

test('ficus gateway serves from a config file and shuts down cleanly on SIGTERM', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: { from: 'legacy' } }));
  const modern = await startUpstream(t, () => ({ body: { from: 'modern' } }));
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'ficus.yaml'),
    `store:\n  path: ${join(dir, 'state.db')}\nlog:\n  level: warn\ngateway:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n  upstreams:\n    legacy: \${LEGACY}\n    modern: ${modern.url}\n  routes:\n    - id: hello\n      match: GET /hello\n`,
  );
  const child = spawn(process.execPath, [bin, 'gateway'], { cwd: dir, env: { PATH: process.env.PATH ?? '', LEGACY: legacy.url }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const proxyUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${out} ${err}`)), 15_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /proxy (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const r = await call(`${proxyUrl}/hello`);
  assert.deepEqual(r.json(), { from: 'legacy' });
  const code = await new Promise<number | null>((resolve) => {
    child.on('exit', (c) => resolve(c));
    child.kill('SIGTERM');
  });
  assert.equal(code, 0, err);
  assert.match(out, /SIGTERM, closing/);
});

test('ficus gateway refuses a bad gateway config with every problem and exit 2', (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'ficus.yaml'),
    ['gateway:', '  admin: 0.0.0.0:9901', '  upstreams:', '    legacy: ftp://old', '    modern: http://127.0.0.1:2', '  routes:', '    - id: a', '      match: GET accounts', '      mode: mirror', ''].join('\n'),
  );
  const r = spawnSync(process.execPath, [bin, 'gateway'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n').slice(1).map((l) => l.trim());
  assert.ok(lines.some((l) => l.startsWith('ficus.yaml:4: gateway.upstreams.legacy: must match')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('ficus.yaml:8: gateway.routes[0].match: must match')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('ficus.yaml:9: gateway.routes[0].mode: must be one of')), lines.join('\n'));
});

test('ficus gateway without a gateway section says so, exit 2', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ficus.yaml'), 'log:\n  level: warn\n');
  const r = spawnSync(process.execPath, [bin, 'gateway'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /gateway: is required/);
});
