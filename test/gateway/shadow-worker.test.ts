/**
 * `gateway.shadow.worker: true`: the shadow calls and the comparison on a worker thread. Every
 * gateway here runs with the worker on whatever FICUS_TEST_SHADOW_WORKER says; the rest of the
 * suite runs both ways through the harness (FICUS_TEST_SHADOW_WORKER=1 / 0).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { assertNoIssues, parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { structuralCompare, type Comparator } from '../../gateway/compare.js';
import { gatewayOptions, type GatewayConfig } from '../../gateway/options.js';
import { createGateway } from '../../gateway/server.js';
import { createWorkerShadower, WORKER_READY } from '../../gateway/shadow-offload.js';
import { tempDir } from '../helpers/tmp.js';
import { call, eventually, routeView, startGateway, startUpstream, type RouteView } from './harness.js';

const logger = createLogger({ level: 'silent' });
const shadowOptions = { timeoutMs: 2000, concurrency: 4, queueSize: 4, maxBodyBytes: 1024 };
const start = (t: TestContext, yaml: string, urls: { legacy: string; modern: string }, extra: { storePath?: string } = {}) =>
  startGateway(t, yaml, { ...urls, ...extra, shadowWorker: true });

/** Waits until the route has `n` outcomes (compared or not). */
async function settled(admin: string, id: string, n: number): Promise<RouteView> {
  return eventually(async () => {
    const v = await routeView(admin, id);
    return v.matches + v.mismatches + v.notCompared === n ? v : undefined;
  }, 8000, `${n} outcomes on ${id}`);
}

const route = (id: string, match: string, more = '') => `routes:\n  - id: ${id}\n    match: ${match}\n    noiseSample: 0\n${more}`;

test('worker: matching answers are matches, and the client only ever sees legacy', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: '{"id":7,"balance":1200.50,"tags":["a","b"]}', headers: { 'content-type': 'application/json' } }));
  const modern = await startUpstream(t, () => ({ body: '{"tags":["a","b"],"balance":1.2005e3,"id":7}', headers: { 'content-type': 'application/json' } }));
  const gw = await start(t, route('acct', 'GET /accounts/:id'), { legacy: legacy.url, modern: modern.url });
  for (let i = 0; i < 10; i++) assert.equal((await call(`${gw.proxy}/accounts/7`)).text, '{"id":7,"balance":1200.50,"tags":["a","b"]}');
  const v = await settled(gw.admin, 'acct', 10);
  assert.equal(v.matches, 10);
  assert.equal(modern.calls.length, 10);
});

test('worker: a mismatch is stored with both bodies, redacted, as text', async (t) => {
  const legacy = await startUpstream(t, (c) => ({ body: { id: c.url.split('/')[2], status: 'OPEN', card: '4111' } }));
  const modern = await startUpstream(t, (c, n) => ({ body: { id: c.url.split('/')[2], status: n === 3 ? 'open' : 'OPEN', card: '4111' } }));
  const gw = await start(t, `redact: ['$.card']\n${route('acct', 'GET /accounts/:id')}`, { legacy: legacy.url, modern: modern.url });
  for (let i = 1; i <= 5; i++) await call(`${gw.proxy}/accounts/${i}`, { headers: { authorization: 'Bearer secret' } });
  const v = await settled(gw.admin, 'acct', 5);
  assert.equal(v.mismatches, 1);
  const d = (await call(`${gw.admin}/api/routes/acct/discrepancies`)).json<{
    discrepancies: { request: { url: string; headers: Record<string, string> }; legacy: { body: string }; modern: { body: string }; differences: unknown[] }[];
  }>().discrepancies;
  assert.equal(d.length, 1);
  assert.equal(d[0]!.request.url, '/accounts/3');
  assert.equal(d[0]!.request.headers.authorization, '[redacted]');
  assert.deepEqual(JSON.parse(d[0]!.legacy.body), { id: '3', status: 'OPEN', card: '[redacted]' });
  assert.deepEqual(JSON.parse(d[0]!.modern.body), { id: '3', status: 'open', card: '[redacted]' });
  assert.deepEqual(d[0]!.differences, [{ path: '$.status', kind: 'value', legacy: 'OPEN', modern: 'open' }]);
});

test('worker: a slow modern is a timeout, a full queue is queue_full, and neither delays the client', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: { ok: true } }));
  const modern = await startUpstream(t, () => ({ body: { ok: true }, delayMs: 1500 }));
  const gw = await start(t, `shadow:\n  timeoutMs: 300\n  concurrency: 1\n  queueSize: 1\n${route('r', 'GET /r')}`, { legacy: legacy.url, modern: modern.url });
  const started = Date.now();
  const answers = await Promise.all(Array.from({ length: 5 }, () => call(`${gw.proxy}/r`)));
  // Behaviour, not a benchmark: the clients' answers do not include modern's 1.5 s.
  assert.ok(Date.now() - started < 1000, `the clients waited ${Date.now() - started} ms`);
  assert.ok(answers.every((a) => a.status === 200));
  const v = await settled(gw.admin, 'r', 5);
  // One runs and times out; one waits in the queue and times out there; three find the queue full.
  assert.deepEqual({ timeout: v.notComparedByReason.timeout, queue_full: v.notComparedByReason.queue_full }, { timeout: 2, queue_full: 3 });
  assert.equal(v.errors.modern, 2, 'timeouts count as modern errors, as on one thread');
});

test('worker: bodies over the limit (either side) are too_large; event streams are streamed', async (t) => {
  const big = 'x'.repeat(4096);
  const legacy = await startUpstream(t, (c) => (c.url === '/events' ? { body: 'data: 1\n\n', headers: { 'content-type': 'text/event-stream' } } : { body: 'small', headers: { 'content-type': 'text/plain' } }));
  const modern = await startUpstream(t, (c) => (c.url === '/events' ? { body: 'data: 1\n\n', headers: { 'content-type': 'text/event-stream' } } : { body: big, headers: { 'content-type': 'text/plain' } }));
  const gw = await start(t, `shadow:\n  maxBodyBytes: 1024\nroutes:\n  - id: r\n    match: GET /r\n    noiseSample: 0\n  - id: ev\n    match: GET /events\n    noiseSample: 0\n`, { legacy: legacy.url, modern: modern.url });
  assert.equal((await call(`${gw.proxy}/r`)).text, 'small');
  assert.equal((await call(`${gw.proxy}/events`)).text, 'data: 1\n\n');
  assert.equal((await settled(gw.admin, 'r', 1)).notComparedByReason.too_large, 1);
  assert.equal((await settled(gw.admin, 'ev', 1)).notComparedByReason.streamed, 1);
});

test('worker: dry-run writes reach modern with the shadow header and the same body, which a discrepancy keeps', async (t) => {
  const legacy = await startUpstream(t, (c) => ({ status: 201, body: { id: 1, owner: JSON.parse(c.body).owner } }));
  const modern = await startUpstream(t, (c) => ({ status: 201, body: { id: 2, owner: JSON.parse(c.body).owner } }));
  const gw = await start(t, 'routes:\n  - id: create\n    match: POST /accounts\n    shadowWrites: dry-run\n', { legacy: legacy.url, modern: modern.url });
  const payload = JSON.stringify({ owner: 'Ada', note: 'é'.repeat(3000) });
  const r = await call(`${gw.proxy}/accounts`, { method: 'POST', body: payload, headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 201);
  const v = await settled(gw.admin, 'create', 1);
  assert.equal(v.mismatches, 1);
  assert.equal(modern.calls[0]!.headers['x-ficus-shadow'], '1');
  assert.equal(modern.calls[0]!.body, payload);
  assert.equal(legacy.calls[0]!.headers['x-ficus-shadow'], undefined);
  const d = (await call(`${gw.admin}/api/routes/create/discrepancies`)).json<{ discrepancies: { request: { body: string } }[] }>().discrepancies;
  assert.equal(d[0]!.request.body, payload, 'the request body stays whole on the proxy thread after a copy went to the worker');
});

test('worker: A/A noise is learned; accepted noise (automatic or by a person) reaches the worker’s rules', async (t) => {
  let tick = 0;
  const legacy = await startUpstream(t, () => ({ body: { id: 1, requestId: `req-${tick++}`, at: `t${tick}` } }));
  const modern = await startUpstream(t, () => ({ body: { id: 1, requestId: 'modern', at: 'modern' } }));
  const gw = await start(
    t,
    'routes:\n  - id: auto\n    match: GET /auto\n    noiseSample: 1\n    autoIgnoreNoise: true\n  - id: manual\n    match: GET /manual\n    noiseSample: 1\n',
    { legacy: legacy.url, modern: modern.url },
  );
  await call(`${gw.proxy}/auto`);
  assert.equal((await settled(gw.admin, 'auto', 1)).matches, 1, 'noise learned from this exchange applies to it already');
  await call(`${gw.proxy}/auto`);
  assert.equal((await settled(gw.admin, 'auto', 2)).matches, 2);

  await call(`${gw.proxy}/manual`);
  assert.equal((await settled(gw.admin, 'manual', 1)).mismatches, 1, 'proposed noise is not applied by itself');
  const noise = (await call(`${gw.admin}/api/routes/manual/noise`)).json<{ noise: { path: string; status: string }[] }>().noise;
  assert.deepEqual(noise.map((n) => [n.path, n.status]), [['$.at', 'proposed'], ['$.requestId', 'proposed']]);
  for (const path of ['$.at', '$.requestId']) {
    const r = await call(`${gw.admin}/api/routes/manual/noise`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path, action: 'accept' }) });
    assert.equal(r.status, 200, r.text);
  }
  await call(`${gw.proxy}/manual`);
  assert.equal((await settled(gw.admin, 'manual', 2)).matches, 1, 'the worker compares with the accepted paths ignored');
});

test('worker: versions reported by each side are tracked', async (t) => {
  let version = '1';
  const legacy = await startUpstream(t, () => ({ body: { ok: true }, headers: { 'x-app-version': 'L' } }));
  const modern = await startUpstream(t, () => ({ body: { ok: true }, headers: { 'x-app-version': version } }));
  const gw = await start(t, `versionHeader: x-app-version\n${route('r', 'GET /r')}`, { legacy: legacy.url, modern: modern.url });
  await call(`${gw.proxy}/r`);
  await settled(gw.admin, 'r', 1);
  version = '2';
  await call(`${gw.proxy}/r`);
  await settled(gw.admin, 'r', 2);
  const audit = (await call(`${gw.admin}/api/audit?route=r&limit=1`)).json<{ audit: { action: string; reason: string }[] }>().audit;
  assert.equal(audit[0]!.action, 'version-changed');
  assert.match(audit[0]!.reason, /modern version 1 → 2/);
});

test('worker: closing the gateway resolves calls in flight as not compared (error), not as modern errors, at once', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: { ok: true } }));
  const modern = await startUpstream(t, () => ({ body: { ok: true }, delayMs: 3000 }));
  const storePath = join(tempDir(t), 'gateway.db');
  const yaml = `shadow:\n  timeoutMs: 5000\n${route('r', 'GET /r')}`;
  const gw = await start(t, yaml, { legacy: legacy.url, modern: modern.url }, { storePath });
  for (let i = 0; i < 3; i++) assert.equal((await call(`${gw.proxy}/r`)).status, 200);
  await eventually(() => modern.calls.length === 3);
  const started = Date.now();
  await gw.close();
  assert.ok(Date.now() - started < 1500, `close waited ${Date.now() - started} ms for the slow modern`);
  // Reopen the store: what close flushed is what the route now says.
  const again = await start(t, yaml, { legacy: legacy.url, modern: modern.url }, { storePath });
  const v = await routeView(again.admin, 'r');
  assert.equal(v.notComparedByReason.error, 3);
  assert.equal(v.errors.modern, 0);
});

test('worker: a comparator passed in code stays on the proxy thread; the worker only makes the calls', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: { a: 1 } }));
  const modern = await startUpstream(t, () => ({ body: { a: 2 } }));
  const seen: string[] = [];
  const compare: Comparator = (l, m, rules) => {
    seen.push(`${l.body.toString()} ${m.body.toString()}`);
    return structuralCompare(l, m, { ...rules, ignore: ['$.a'] });
  };
  const dir = tempDir(t);
  const text = `log:\n  level: silent\ngateway:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n  shadow:\n    worker: true\n  upstreams:\n    legacy: ${legacy.url}\n    modern: ${modern.url}\n${route('r', 'GET /r').replace(/^/gm, '  ')}`;
  const loaded = parseConfig<{ gateway: GatewayConfig }>(text, 'test.yaml', { env: {} });
  const { options, issues } = gatewayOptions(loaded, loaded.config.gateway, { storePath: join(dir, 'g.db'), env: {} });
  assertNoIssues(issues);
  assert.equal(options.shadow.worker, true);
  const gateway = await createGateway(options, { logger, compare, flushIntervalMs: 50 });
  t.after(() => gateway.close());
  const urls = await gateway.listen();
  await call(`${urls.proxy}/r`);
  const v = await settled(urls.admin, 'r', 1);
  assert.equal(v.matches, 1);
  assert.deepEqual(seen, ['{"a":1} {"a":2}']);
});

test('the shadow worker’s calls: bodies come back as Buffers; load is reported; close ends calls in flight', async (t) => {
  const up = await startUpstream(t, (c) => (c.url === '/slow' ? { body: 'late', delayMs: 2000 } : { body: 'héllo', headers: { 'content-type': 'text/plain' } }));
  const ws = await createWorkerShadower(shadowOptions, { logger });
  t.after(() => ws.close());
  const r = await ws.send({ origin: up.url, method: 'POST', path: '/echo', headers: { 'content-type': 'text/plain', connection: 'close', 'transfer-encoding': 'chunked' }, body: Buffer.from('ping') });
  assert.ok(r.ok, JSON.stringify(r));
  assert.ok(Buffer.isBuffer(r.response.body));
  assert.equal(r.response.body.toString('utf8'), 'héllo');
  assert.equal(up.calls[0]!.body, 'ping');
  assert.equal(up.calls[0]!.headers['transfer-encoding'], undefined, 'hop-by-hop headers are dropped');

  const slow = ws.send({ origin: up.url, method: 'GET', path: '/slow', headers: {} });
  await eventually(() => up.calls.length === 2);
  await eventually(async () => {
    // The worker reports its load with its next message; any call brings one.
    await ws.send({ origin: up.url, method: 'GET', path: '/', headers: {} });
    return ws.load().inFlight >= 1;
  });
  const started = Date.now();
  await ws.close();
  assert.deepEqual(await slow, { ok: false, reason: 'error', detail: 'gateway is closing', ms: 0 });
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual(await ws.send({ origin: up.url, method: 'GET', path: '/', headers: {} }), { ok: false, reason: 'error', detail: 'gateway is closing', ms: 0 });
  assert.deepEqual(ws.load(), { inFlight: 0, queued: 0 });
});

test('a shadow worker that cannot start is FICUS_GW_SHADOW_WORKER; one that dies is replaced', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(createWorkerShadower(shadowOptions, { logger, workerUrl: pathToFileURL(join(dir, 'missing.js')) }), { code: 'FICUS_GW_SHADOW_WORKER' });

  // A worker that takes work and dies with it: it sleeps on its ring, so work comes with a doorbell message.
  const dying = join(dir, 'dying.mjs');
  const ringModule = new URL('../../gateway/shadow-ring.js', import.meta.url).href;
  writeFileSync(
    dying,
    `import { parentPort, workerData } from 'node:worker_threads';\nimport { RingReader } from ${JSON.stringify(ringModule)};\n` +
      `new RingReader(workerData.ring).sleep();\nparentPort.postMessage(${JSON.stringify(WORKER_READY)});\nparentPort.on('message', () => process.exit(3));\n`,
  );
  const ws = await createWorkerShadower(shadowOptions, { logger, workerUrl: pathToFileURL(dying) });
  t.after(() => ws.close());
  const r = await ws.send({ origin: 'http://127.0.0.1:9', method: 'GET', path: '/', headers: {} });
  assert.deepEqual(r, { ok: false, reason: 'error', detail: 'shadow worker exited (code 3)', ms: 0 });
  // Its replacement takes the next call (and dies with it too).
  const again = await ws.send({ origin: 'http://127.0.0.1:9', method: 'GET', path: '/', headers: {} });
  assert.equal(again.ok, false);
  assert.match(again.ok ? '' : again.detail, /^shadow worker exited \(code 3\)$/);
});
