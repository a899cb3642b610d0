import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { parseConfig } from '../../core/config.js';
import { gatewayOptions, type GatewayConfig } from '../../gateway/options.js';
import { assertMatchesSpec } from './admin-contract.js';
import { call, eventually, routeView, startGateway, startUpstream } from './harness.js';

const TOKEN = 'admin-token-for-tests-0123';
const auth = { authorization: `Bearer ${TOKEN}` };

test('admin calls without a token, or with a wrong one, get 401 with a stable code', async (t) => {
  const up = await startUpstream(t, () => ({ body: {} }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nroutes:\n  - id: r\n    match: GET /r\n`, { legacy: up.url, modern: up.url });
  for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: TOKEN }] as Record<string, string>[]) {
    for (const [method, path] of [['GET', '/api/routes'], ['POST', '/api/routes/r/approve'], ['GET', '/metrics'], ['GET', '/api/audit']] as const) {
      const r = await call(`${gw.admin}${path}`, { method, headers });
      assert.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(headers)}`);
      assert.equal(r.json<{ error: { code: string } }>().error.code, 'FICUS_GW_UNAUTHORIZED');
      assertMatchesSpec(path === '/api/routes/r/approve' ? '/api/routes/{id}/approve' : path, method.toLowerCase(), 401, r.json());
    }
  }
  assert.equal((await call(`${gw.admin}/healthz`)).status, 200);
  assert.equal((await call(`${gw.admin}/api/routes`, { headers: auth })).status, 200);
});

test('a non-loopback admin address without a token is refused before anything starts', () => {
  const text = 'gateway:\n  admin: 0.0.0.0:9901\n  upstreams:\n    legacy: http://127.0.0.1:1\n    modern: http://127.0.0.1:2\n';
  const loaded = parseConfig<{ gateway: GatewayConfig }>(text, 'ficus.yaml');
  const { issues } = gatewayOptions(loaded, loaded.config.gateway, { storePath: ':memory:', env: {} });
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.line, 2);
  assert.equal(issues[0]!.path, 'gateway.admin');
  const withEnvToken = gatewayOptions(loaded, loaded.config.gateway, { storePath: ':memory:', env: { FICUS_ADMIN_TOKEN: 'x'.repeat(20) } });
  assert.deepEqual(withEnvToken.issues, []);
  assert.equal(withEnvToken.options.adminToken, 'x'.repeat(20));
});

test('semantic config problems are listed with their lines', () => {
  const text = [
    'gateway:',
    '  upstreams: {legacy: "http://127.0.0.1:1", modern: "http://127.0.0.1:2"}',
    '  routes:',
    '    - id: a',
    '      match: GET /x/:id',
    '    - id: a',
    '      match: GET /x/:other',
    '    - id: c',
    '      match: GET /y/:id/:id',
    '    - id: d',
    '      match: GET /z',
    '      mode: canary',
    '      percent: 0.5',
    '    - id: e',
    '      match: GET /w',
    '      compare:',
    '        ignore: ["$.a["]',
    '    - id: f',
    '      match: GET /v',
    '      promotion:',
    '        steps: [100]',
    '',
  ].join('\n');
  const loaded = parseConfig<{ gateway: GatewayConfig }>(text, 'ficus.yaml');
  const { issues } = gatewayOptions(loaded, loaded.config.gateway, { storePath: ':memory:', env: {} });
  assert.deepEqual(
    issues.map((i) => `${i.line}:${i.path}`),
    ['6:gateway.routes[1].id', '7:gateway.routes[1].match', '9:gateway.routes[2].match', '13:gateway.routes[3].percent', '16:gateway.routes[4].compare', '21:gateway.routes[5].promotion.steps'],
  );
});

test('every admin endpoint answers what specs/admin-api.openapi.yaml promises', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: { v: 1, at: new Date().toISOString() } }));
  const modern = await startUpstream(t, () => ({ body: { v: 2, at: '2020-01-01T00:00:00Z' } }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nroutes:\n  - id: r\n    match: GET /r\n    noiseSample: 1\n`, { legacy: legacy.url, modern: modern.url });
  await call(`${gw.proxy}/r`);
  await eventually(async () => (await routeView(gw.admin, 'r', TOKEN)).mismatches === 1);

  const get = async (url: string, specPath: string) => {
    const r = await call(`${gw.admin}${url}`, { headers: auth });
    assertMatchesSpec(specPath, 'get', r.status, r.json());
    return r;
  };
  await get('/api/routes', '/api/routes');
  await get('/api/routes/r', '/api/routes/{id}');
  const list = await get('/api/routes/r/discrepancies?limit=10', '/api/routes/{id}/discrepancies');
  const id = list.json<{ discrepancies: { id: number }[] }>().discrepancies[0]!.id;
  await get(`/api/discrepancies/${id}`, '/api/discrepancies/{did}');
  await get(`/api/discrepancies/${id}/fixture`, '/api/discrepancies/{did}/fixture');
  await get('/api/routes/r/noise', '/api/routes/{id}/noise');
  await get('/api/audit', '/api/audit');
  await get('/api/routes/r/history', '/api/routes/{id}/history');
  await get('/api/history', '/api/history');
  await get('/api/routes/r/rules', '/api/routes/{id}/rules');
  await get('/api/traffic', '/api/traffic');
  const page = await call(`${gw.admin}/`);
  assert.equal(page.status, 200, 'the dashboard shell needs no token');
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  assert.equal((await call(`${gw.admin}/dashboard/app.js`)).status, 200);
  assert.equal((await call(`${gw.admin}/dashboard/..%2Fadmin.ts`)).status, 404);
  await get('/api/routes/nope', '/api/routes/{id}');
  await get('/api/discrepancies/99999', '/api/discrepancies/{did}');
  const badLimit = await get('/api/routes/r/discrepancies?limit=0', '/api/routes/{id}/discrepancies');
  assert.equal(badLimit.status, 400);
  const metrics = await call(`${gw.admin}/metrics`, { headers: auth });
  assert.equal(metrics.status, 200);
  assert.match(metrics.text, /ficus_gateway_comparisons_total\{route="r",result="mismatch"\} 1/);
  assert.match(metrics.text, /ficus_gateway_confidence\{route="r"\}/);
});

test('secrets never reach the store: credential headers and configured body paths are redacted', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: { card: { number: '4111111111111111', brand: 'visa' }, v: 1 }, headers: { 'set-cookie': 'sid=legacy-session-secret' } }));
  const modern = await startUpstream(t, () => ({ body: { card: { number: '4111111111111111', brand: 'visa' }, v: 2 }, headers: { 'set-cookie': 'sid=modern-session-secret' } }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nredact: ["$.card.number"]\nroutes:\n  - id: pay\n    match: POST /pay\n    shadowWrites: dry-run\n`, { legacy: legacy.url, modern: modern.url });
  await call(`${gw.proxy}/pay`, {
    method: 'POST',
    headers: { authorization: 'Bearer client-secret-token', cookie: 'sid=client-cookie-secret', 'content-type': 'application/json' },
    body: '{"card":{"number":"5500005555555559","cvc":"123"},"amount":10}',
  });
  await eventually(async () => (await routeView(gw.admin, 'pay', TOKEN)).mismatches === 1);
  const d = (await call(`${gw.admin}/api/routes/pay/discrepancies`, { headers: auth })).json<{ discrepancies: { request: { headers: Record<string, string>; body: string }; legacy: { headers: Record<string, string>; body: string } }[] }>().discrepancies[0]!;
  assert.equal(d.request.headers.authorization, '[redacted]');
  assert.equal(d.request.headers.cookie, '[redacted]');
  assert.equal(d.legacy.headers['set-cookie'], '[redacted]');
  assert.deepEqual(JSON.parse(d.request.body), { card: { number: '[redacted]', cvc: '123' }, amount: 10 });
  assert.deepEqual(JSON.parse(d.legacy.body), { card: { number: '[redacted]', brand: 'visa' }, v: 1 });
  await gw.close();
  // Check the bytes on disk too, WAL included, not just what the API shows.
  const raw = new Database(gw.storePath, { readonly: true });
  const dump = JSON.stringify(raw.prepare('SELECT * FROM gateway_discrepancies').all());
  raw.close();
  for (const secret of ['client-secret-token', 'client-cookie-secret', 'legacy-session-secret', 'modern-session-secret', '5500005555555559', '4111111111111111']) {
    assert.ok(!dump.includes(secret), `${secret} leaked into the store`);
  }
});

test('discrepancies are bounded per route, oldest pruned', async (t) => {
  const legacy = await startUpstream(t, (_c, n) => ({ body: { n } }));
  const modern = await startUpstream(t, () => ({ body: { n: -1 } }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\ndiscrepancies:\n  max: 3\nroutes:\n  - id: r\n    match: GET /r\n    noiseSample: 0\n`, { legacy: legacy.url, modern: modern.url });
  for (let i = 0; i < 6; i++) await call(`${gw.proxy}/r`);
  await eventually(async () => (await routeView(gw.admin, 'r', TOKEN)).mismatches === 6);
  const list = (await call(`${gw.admin}/api/routes/r/discrepancies?limit=100`, { headers: auth })).json<{ discrepancies: { legacy: { body: string } }[] }>().discrepancies;
  assert.deepEqual(list.map((d) => JSON.parse(d.legacy.body).n), [6, 5, 4]);
});

test('a discrepancy exports as a ready-to-run regression fixture', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: '{"total":12345678901234567890}', headers: { 'content-type': 'application/json' } }));
  const modern = await startUpstream(t, () => ({ body: '{"total":12345678901234567000}', headers: { 'content-type': 'application/json' } }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nroutes:\n  - id: r\n    match: GET /orders/:id\n    noiseSample: 0\n`, { legacy: legacy.url, modern: modern.url });
  await call(`${gw.proxy}/orders/9?expand=lines`, { headers: { accept: 'application/json' } });
  await eventually(async () => (await routeView(gw.admin, 'r', TOKEN)).mismatches === 1);
  const [d] = (await call(`${gw.admin}/api/routes/r/discrepancies`, { headers: auth })).json<{ discrepancies: { id: number }[] }>().discrepancies;
  const fixture = (await call(`${gw.admin}/api/discrepancies/${d!.id}/fixture`, { headers: auth })).json<{ request: { method: string; url: string; headers: Record<string, string> }; expected: { status: number; body: string } }>();
  assert.equal(fixture.request.method, 'GET');
  assert.equal(fixture.request.url, '/orders/9?expand=lines');
  assert.equal(fixture.expected.status, 200);
  assert.equal(fixture.expected.body, '{"total":12345678901234567890}', 'exact legacy body, big integer intact');
  // Replaying the fixture against legacy reproduces the expected answer.
  const replay = await call(`${legacy.url}${fixture.request.url}`, { method: fixture.request.method });
  assert.equal(replay.text, fixture.expected.body);
});

test('A/A samples reveal timestamps as noise; accepting them turns mismatches into matches', async (t) => {
  let tick = 0;
  const legacy = await startUpstream(t, () => ({ body: { id: 1, generatedAt: `2024-01-01T00:00:${String(tick++ % 60).padStart(2, '0')}Z` } }));
  const modern = await startUpstream(t, () => ({ body: { id: 1, generatedAt: '2030-12-31T23:59:59Z' } }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nroutes:\n  - id: r\n    match: GET /r\n    noiseSample: 1\n`, { legacy: legacy.url, modern: modern.url });
  await call(`${gw.proxy}/r`);
  const noise = await eventually(async () => {
    const n = (await call(`${gw.admin}/api/routes/r/noise`, { headers: auth })).json<{ noise: { path: string; status: string }[] }>().noise;
    return n.length ? n : undefined;
  });
  assert.deepEqual(noise.map((n) => [n.path, n.status]), [['$.generatedAt', 'proposed']]);
  assert.equal((await routeView(gw.admin, 'r', TOKEN)).mismatches, 1, 'proposed noise is not applied by itself');

  const accept = await call(`${gw.admin}/api/routes/r/noise`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ path: '$.generatedAt', action: 'accept' }) });
  assert.equal(accept.status, 200, accept.text);
  await call(`${gw.proxy}/r`);
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'r', TOKEN);
    return v.matches === 1 ? v : undefined;
  });
  assert.equal(v.mismatches, 1);
});

test('autoIgnoreNoise applies learned noise without a person', async (t) => {
  let tick = 0;
  const legacy = await startUpstream(t, () => ({ body: { id: 1, requestId: `req-${tick++}` } }));
  const modern = await startUpstream(t, () => ({ body: { id: 1, requestId: 'req-modern' } }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nroutes:\n  - id: r\n    match: GET /r\n    noiseSample: 1\n    autoIgnoreNoise: true\n`, { legacy: legacy.url, modern: modern.url });
  await call(`${gw.proxy}/r`);
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'r', TOKEN);
    return v.matches + v.mismatches === 1 ? v : undefined;
  });
  assert.equal(v.matches, 1, 'the A/A result is applied before this very comparison');
});

test('a version change on either side resets the evidence since the last step', async (t) => {
  let version = '1.0';
  const legacy = await startUpstream(t, () => ({ body: { ok: true }, headers: { 'x-app-version': 'legacy-7' } }));
  const modern = await startUpstream(t, () => ({ body: { ok: true }, headers: { 'x-app-version': version } }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nversionHeader: x-app-version\nroutes:\n  - id: r\n    match: GET /r\n    noiseSample: 0\n`, { legacy: legacy.url, modern: modern.url });
  for (let i = 0; i < 10; i++) await call(`${gw.proxy}/r`);
  const before = await eventually(async () => {
    const v = await routeView(gw.admin, 'r', TOKEN);
    return v.matches === 10 ? v : undefined;
  });
  assert.ok(before.confidence > 0.6);
  version = '2.0';
  await call(`${gw.proxy}/r`);
  const after = await eventually(async () => {
    const v = await routeView(gw.admin, 'r', TOKEN);
    return v.matches === 11 ? v : undefined;
  });
  assert.ok(after.confidence < 0.3, `confidence after a new modern version: ${after.confidence}`);
  const audit = (await call(`${gw.admin}/api/audit?route=r&limit=1`, { headers: auth })).json<{ audit: { action: string; reason: string }[] }>().audit;
  assert.equal(audit[0]!.action, 'version-changed');
  assert.match(audit[0]!.reason, /modern version 1\.0 → 2\.0/);
});
