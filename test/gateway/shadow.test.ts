import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, deadUrl, eventually, routeView, startGateway, startUpstream } from './harness.js';

const account = (n: number) => ({ id: n, owner: 'Ada', balance: 1200.5, tags: ['gold', 'early'] });

test('legacy mode proxies to legacy only; unmatched paths go to legacy', async (t) => {
  const legacy = await startUpstream(t, (c) => ({ body: { from: 'legacy', url: c.url } }));
  const modern = await startUpstream(t, () => ({ body: { from: 'modern' } }));
  const gw = await startGateway(t, 'routes:\n  - id: acct\n    match: GET /accounts/:id\n    mode: legacy\n', { legacy: legacy.url, modern: modern.url });
  const r = await call(`${gw.proxy}/accounts/7?x=1`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json(), { from: 'legacy', url: '/accounts/7?x=1' });
  const other = await call(`${gw.proxy}/unmatched/path`, { method: 'POST', body: 'raw', headers: { 'content-type': 'text/plain' } });
  assert.deepEqual(other.json(), { from: 'legacy', url: '/unmatched/path' });
  assert.equal(legacy.calls[1]!.body, 'raw');
  assert.equal(modern.calls.length, 0);
  const v = await routeView(gw.admin, 'acct');
  assert.equal(v.mode, 'legacy');
  assert.equal(v.samples, 0);
});

test('shadow: client gets legacy; key order and number format noise count as a match', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: '{"id":7,"balance":1200.50,"tags":["gold","early"],"big":9007199254740993}', headers: { 'content-type': 'application/json' } }));
  const modern = await startUpstream(t, () => ({ body: '{"big":9007199254740993,"tags":["gold","early"],"balance":1.2005e3,"id":7.0}', headers: { 'content-type': 'application/json; charset=utf-8' } }));
  const gw = await startGateway(t, 'routes:\n  - id: acct\n    match: GET /accounts/:id\n    noiseSample: 0\n', { legacy: legacy.url, modern: modern.url });
  for (let i = 0; i < 5; i++) {
    const r = await call(`${gw.proxy}/accounts/7`);
    assert.equal(r.text, '{"id":7,"balance":1200.50,"tags":["gold","early"],"big":9007199254740993}');
  }
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'acct');
    return v.matches + v.mismatches === 5 ? v : undefined;
  });
  assert.equal(v.matches, 5);
  assert.equal(v.mismatches, 0);
  assert.equal(modern.calls.length, 5);
});

test('integers beyond 2^53 that differ only past double precision are a mismatch', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: '{"id":9007199254740993}', headers: { 'content-type': 'application/json' } }));
  const modern = await startUpstream(t, () => ({ body: '{"id":9007199254740992}', headers: { 'content-type': 'application/json' } }));
  const gw = await startGateway(t, 'routes:\n  - id: big\n    match: GET /big\n    noiseSample: 0\n', { legacy: legacy.url, modern: modern.url });
  await call(`${gw.proxy}/big`);
  const v = await eventually(async () => ((await routeView(gw.admin, 'big')).mismatches === 1 ? true : undefined));
  assert.ok(v);
  const d = await call(`${gw.admin}/api/routes/big/discrepancies`);
  const [first] = d.json<{ discrepancies: { differences: { path: string; kind: string }[] }[] }>().discrepancies;
  assert.deepEqual(first!.differences.map((x) => [x.path, x.kind]), [['$.id', 'value']]);
});

test('a modern that returns a different field for 1 request in 20 gives 19 matches and 1 stored discrepancy', async (t) => {
  const legacy = await startUpstream(t, (c) => ({ body: { id: c.url.split('/')[2], status: 'OPEN' } }));
  const modern = await startUpstream(t, (c, n) => ({ body: n === 13 ? { id: c.url.split('/')[2], status: 'open' } : { id: c.url.split('/')[2], status: 'OPEN' } }));
  const gw = await startGateway(t, 'routes:\n  - id: acct\n    match: GET /accounts/:id\n    noiseSample: 0\n', { legacy: legacy.url, modern: modern.url });
  for (let i = 1; i <= 20; i++) assert.equal((await call(`${gw.proxy}/accounts/${i}`)).status, 200);
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'acct');
    return v.matches + v.mismatches === 20 ? v : undefined;
  });
  assert.equal(v.mismatches, 1);
  assert.equal(v.matches, 19);
  assert.ok(v.confidence > 0 && v.confidence < 0.95, `confidence ${v.confidence} reflects few samples`);
  const d = (await call(`${gw.admin}/api/routes/acct/discrepancies?limit=5`)).json<{ discrepancies: { request: { url: string }; differences: { path: string; kind: string; legacy: unknown; modern: unknown }[] }[] }>();
  assert.equal(d.discrepancies.length, 1);
  assert.equal(d.discrepancies[0]!.request.url, '/accounts/13');
  assert.deepEqual(d.discrepancies[0]!.differences, [{ path: '$.status', kind: 'value', legacy: 'OPEN', modern: 'open' }]);
});

test('a modern that is down: client unaffected, counted as a modern error, not compared', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: { ok: true } }));
  const gw = await startGateway(t, 'routes:\n  - id: r\n    match: GET /r\n    noiseSample: 0\n', { legacy: legacy.url, modern: await deadUrl() });
  const r = await call(`${gw.proxy}/r`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json(), { ok: true });
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'r');
    return v.notCompared === 1 ? v : undefined;
  });
  assert.equal(v.notComparedByReason.error, 1);
  assert.equal(v.errors.modern, 1);
});

test('a slow modern never delays the client; the comparison is dropped as a timeout', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: { ok: true } }));
  const modern = await startUpstream(t, () => ({ body: { ok: true }, delayMs: 1500 }));
  const gw = await startGateway(t, 'shadow:\n  timeoutMs: 200\nroutes:\n  - id: r\n    match: GET /r\n    noiseSample: 0\n', { legacy: legacy.url, modern: modern.url });
  const started = Date.now();
  const r = await call(`${gw.proxy}/r`);
  const clientMs = Date.now() - started;
  assert.equal(r.status, 200);
  // Behaviour, not a benchmark: the client answer does not include modern's 1.5 s.
  assert.ok(clientMs < 1000, `client waited ${clientMs} ms`);
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'r');
    return v.notCompared === 1 ? v : undefined;
  });
  assert.equal(v.notComparedByReason.timeout, 1);
});

test('a full shadow queue drops comparisons as queue_full instead of growing', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: { ok: true } }));
  const modern = await startUpstream(t, () => ({ body: { ok: true }, delayMs: 300 }));
  const gw = await startGateway(t, 'shadow:\n  timeoutMs: 2000\n  concurrency: 1\n  queueSize: 1\nroutes:\n  - id: r\n    match: GET /r\n    noiseSample: 0\n', { legacy: legacy.url, modern: modern.url });
  await Promise.all(Array.from({ length: 5 }, () => call(`${gw.proxy}/r`)));
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'r');
    return v.matches + v.notCompared === 5 ? v : undefined;
  });
  assert.equal(v.notComparedByReason.queue_full, 3);
  assert.equal(v.matches, 2);
});

test('bodies over the limit are not compared (too_large) but still reach the client whole', async (t) => {
  const big = 'x'.repeat(4096);
  const legacy = await startUpstream(t, () => ({ body: big, headers: { 'content-type': 'text/plain' } }));
  const modern = await startUpstream(t, () => ({ body: big, headers: { 'content-type': 'text/plain' } }));
  const gw = await startGateway(t, 'shadow:\n  maxBodyBytes: 1024\nroutes:\n  - id: r\n    match: GET /r\n    noiseSample: 0\n', { legacy: legacy.url, modern: modern.url });
  const r = await call(`${gw.proxy}/r`);
  assert.equal(r.text.length, 4096);
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'r');
    return v.notCompared === 1 ? v : undefined;
  });
  assert.equal(v.notComparedByReason.too_large, 1);
});

test('streamed responses (server-sent events) are passed through and not compared', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: 'data: 1\n\n', headers: { 'content-type': 'text/event-stream' } }));
  const modern = await startUpstream(t, () => ({ body: 'data: 1\n\n', headers: { 'content-type': 'text/event-stream' } }));
  const gw = await startGateway(t, 'routes:\n  - id: r\n    match: GET /events\n    noiseSample: 0\n', { legacy: legacy.url, modern: modern.url });
  assert.equal((await call(`${gw.proxy}/events`)).text, 'data: 1\n\n');
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'r');
    return v.notCompared === 1 ? v : undefined;
  });
  assert.equal(v.notComparedByReason.streamed, 1);
});

test('a POST never reaches modern by default and is counted as unsafe_method', async (t) => {
  const legacy = await startUpstream(t, () => ({ status: 201, body: { id: 1 } }));
  const modern = await startUpstream(t, () => ({ status: 201, body: { id: 1 } }));
  const gw = await startGateway(t, 'routes:\n  - id: create\n    match: POST /accounts\n', { legacy: legacy.url, modern: modern.url });
  const r = await call(`${gw.proxy}/accounts`, { method: 'POST', body: '{"owner":"Ada"}', headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 201);
  assert.equal(legacy.calls[0]!.body, '{"owner":"Ada"}');
  const v = await routeView(gw.admin, 'create');
  assert.equal(v.notComparedByReason.unsafe_method, 1);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(modern.calls.length, 0);
});

test('shadowWrites: dry-run sends the write to modern with the shadow header, same body', async (t) => {
  const legacy = await startUpstream(t, () => ({ status: 201, body: { id: 1, owner: 'Ada' } }));
  const modern = await startUpstream(t, () => ({ status: 201, body: { owner: 'Ada', id: 1 } }));
  const gw = await startGateway(t, 'routes:\n  - id: create\n    match: POST /accounts\n    shadowWrites: dry-run\n', { legacy: legacy.url, modern: modern.url });
  await call(`${gw.proxy}/accounts`, { method: 'POST', body: '{"owner":"Ada"}', headers: { 'content-type': 'application/json' } });
  await eventually(() => modern.calls.length === 1);
  assert.equal(modern.calls[0]!.headers['x-ficus-shadow'], '1');
  assert.equal(modern.calls[0]!.body, '{"owner":"Ada"}');
  assert.equal(legacy.calls[0]!.headers['x-ficus-shadow'], undefined);
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'create');
    return v.matches === 1 ? v : undefined;
  });
  assert.equal(v.mismatches, 0);
});

test('verify: read-back GETs the written resource from both sides after legacy handled the write', async (t) => {
  const db = new Map<string, string>();
  const legacy = await startUpstream(t, (c) => {
    if (c.method === 'PUT') {
      db.set(c.url, c.body);
      return { status: 200, body: { id: c.url.split('/')[2] } };
    }
    return { body: { id: c.url.split('/')[2], owner: JSON.parse(db.get(c.url) ?? '{}').owner } };
  });
  // Modern reads the same data (as it would through a bridge) but formats a field differently.
  const modern = await startUpstream(t, (c) => ({ body: { id: c.url.split('/')[2], owner: String(JSON.parse(db.get(c.url) ?? '{}').owner).toUpperCase() } }));
  const gw = await startGateway(t, 'routes:\n  - id: put\n    match: PUT /accounts/:id\n    verify:\n      readBack: /accounts/:id\n', { legacy: legacy.url, modern: modern.url });
  await call(`${gw.proxy}/accounts/42`, { method: 'PUT', body: '{"owner":"Ada"}', headers: { 'content-type': 'application/json' } });
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'put');
    return v.mismatches === 1 ? v : undefined;
  });
  assert.ok(v);
  assert.deepEqual(modern.calls.map((c) => `${c.method} ${c.url}`), ['GET /accounts/42']);
  assert.deepEqual(legacy.calls.map((c) => `${c.method} ${c.url}`), ['PUT /accounts/42', 'GET /accounts/42']);
});

test('canary/modern: modern 500, down or slow falls back to legacy; the client sees legacy', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: { from: 'legacy' }, headers: { 'x-from': 'legacy' } }));
  let behaviour: 'fail' | 'slow' = 'fail';
  const modern = await startUpstream(t, () => (behaviour === 'fail' ? { status: 500, body: { error: 'boom' }, headers: { 'x-modern-only': '1' } } : { body: { from: 'modern' }, delayMs: 2500 }));
  // undici checks header timeouts on a coarse (~0.5-1 s) timer, so the slow case is well past it.
  const gw = await startGateway(t, 'routes:\n  - id: r\n    match: GET /r\n    mode: modern\n    legacySample: 0\n    timeoutMs: 200\n', { legacy: legacy.url, modern: modern.url });
  const r = await call(`${gw.proxy}/r`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json(), { from: 'legacy' });
  assert.equal(r.headers['x-modern-only'], undefined, "modern's headers do not leak into the fallback answer");
  behaviour = 'slow';
  const s = await call(`${gw.proxy}/r`);
  assert.deepEqual(s.json(), { from: 'legacy' });
  await modern.close();
  const d = await call(`${gw.proxy}/r`);
  assert.deepEqual(d.json(), { from: 'legacy' });
  const v = await routeView(gw.admin, 'r');
  assert.equal(v.fallbacks, 3);
  assert.equal(v.errors.modern, 3);
});

test('canary with a sticky key keeps each client on one side', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: { from: 'legacy' } }));
  const modern = await startUpstream(t, () => ({ body: { from: 'modern' } }));
  const gw = await startGateway(t, 'routes:\n  - id: r\n    match: GET /r\n    mode: canary\n    percent: 50\n    sticky:\n      header: x-client-id\n    noiseSample: 0\n', { legacy: legacy.url, modern: modern.url });
  const sides = new Map<string, Set<string>>();
  for (let client = 0; client < 20; client++) {
    for (let i = 0; i < 3; i++) {
      const r = await call(`${gw.proxy}/r`, { headers: { 'x-client-id': `client-${client}` } });
      const set = sides.get(`client-${client}`) ?? new Set();
      set.add(r.json<{ from: string }>().from);
      sides.set(`client-${client}`, set);
    }
  }
  for (const [client, set] of sides) assert.equal(set.size, 1, `${client} saw ${[...set].join(' and ')}`);
  const servedByModern = [...sides.values()].filter((s) => s.has('modern')).length;
  assert.ok(servedByModern > 2 && servedByModern < 18, `about half the clients on modern (got ${servedByModern}/20)`);
});

test('compressed responses are decompressed before comparing', async (t) => {
  const { gzipSync, brotliCompressSync } = await import('node:zlib');
  const legacy = await startUpstream(t, () => ({ body: gzipSync('{"a":1,"b":"x"}'), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }));
  const modern = await startUpstream(t, () => ({ body: brotliCompressSync('{"b":"x","a":1.0}'), headers: { 'content-type': 'application/json', 'content-encoding': 'br' } }));
  const gw = await startGateway(t, 'compare:\n  headers: [content-type]\nroutes:\n  - id: r\n    match: GET /r\n    noiseSample: 0\n', { legacy: legacy.url, modern: modern.url });
  await call(`${gw.proxy}/r`);
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'r');
    return v.matches + v.mismatches === 1 ? v : undefined;
  });
  assert.equal(v.matches, 1);
});
