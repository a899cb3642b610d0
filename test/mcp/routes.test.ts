/**
 * `route_status` against a real gateway with real upstreams: the admin address and token come
 * from the config's gateway: section, and nothing the server does changes a route.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, eventually, routeView, startGateway, startUpstream } from '../gateway/harness.js';
import { tempDir } from '../helpers/tmp.js';
import { callError, callOk, startMcp } from './harness.js';

const TOKEN = 'mcp-test-token-0123456789';

interface Status {
  gateway: string;
  routes: { id: string; match: string; mode: string; modernPercent: number; samples: number; matches: number; mismatches: number; confidence: number; confidenceInterval: { lower: number; upper: number }; matchRate: number | null; specChecked?: { legacy: number; modern: number }; specViolations?: { legacy: number; modern: number } }[];
}

test('route_status reads modes and confidence from the admin API with the configured token, and changes nothing', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: { rate: 1.25 } }));
  const modern = await startUpstream(t, (c) => ({ body: { rate: c.url.startsWith('/loans') ? 1.24 : 1.25 } }));
  const gw = await startGateway(
    t,
    `adminToken: ${TOKEN}\nroutes:\n  - id: accounts\n    match: GET /accounts/:id\n  - id: loans\n    match: GET /loans/:id\n  - id: old\n    match: GET /old\n    mode: legacy\n`,
    { legacy: legacy.url, modern: modern.url },
  );
  for (let i = 0; i < 4; i++) {
    await call(`${gw.proxy}/accounts/${i}`);
    await call(`${gw.proxy}/loans/${i}`);
  }
  await eventually(async () => (await routeView(gw.admin, 'loans', TOKEN)).mismatches === 4 && (await routeView(gw.admin, 'accounts', TOKEN)).matches === 4);
  const before = await Promise.all(['accounts', 'loans', 'old'].map((id) => routeView(gw.admin, id, TOKEN)));

  const dir = tempDir(t);
  const admin = new URL(gw.admin).host;
  const config = `log:\n  level: warn\ngateway:\n  admin: ${admin}\n  adminToken: ${TOKEN}\n  upstreams:\n    legacy: ${legacy.url}\n    modern: ${modern.url}\n`;
  const client = await startMcp(t, dir, config);

  const all = await callOk<Status>(client, 'route_status');
  assert.equal(all.gateway, gw.admin);
  const byId = new Map(all.routes.map((r) => [r.id, r]));
  assert.deepEqual([...byId.keys()].sort(), ['accounts', 'loans', 'old']);
  assert.equal(byId.get('accounts')!.mode, 'shadow');
  assert.equal(byId.get('accounts')!.matches, 4);
  assert.equal(byId.get('accounts')!.matchRate, 1);
  assert.ok(byId.get('accounts')!.confidence > 0);
  assert.equal(byId.get('loans')!.mismatches, 4);
  assert.equal(byId.get('loans')!.matchRate, 0);
  assert.equal(byId.get('old')!.mode, 'legacy');
  assert.equal(byId.get('accounts')!.confidence, before[0]!.confidence);
  // The spec check's counters reach the agent as the admin API has them (no spec here: zero).
  assert.deepEqual(byId.get('accounts')!.specViolations, before[0]!.specViolations);
  assert.deepEqual(byId.get('accounts')!.specChecked, { legacy: 0, modern: 0 });

  const one = await callOk<Status>(client, 'route_status', { route: 'loans' });
  assert.deepEqual(one.routes.map((r) => r.id), ['loans']);
  assert.match(await callError(client, 'route_status', { route: 'nope' }), /no route "nope"/);
  assert.match(await callError(client, 'route_status', { route: 42 }), /route/);

  // Nothing changed: modes, percents and counters are what they were.
  const after = await Promise.all(['accounts', 'loans', 'old'].map((id) => routeView(gw.admin, id, TOKEN)));
  assert.deepEqual(
    after.map((r) => [r.id, r.mode, r.modernPercent, r.samples, r.pendingApproval]),
    before.map((r) => [r.id, r.mode, r.modernPercent, r.samples, r.pendingApproval]),
  );
  const audit = await call(`${gw.admin}/api/audit`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.doesNotMatch(audit.text, /mcp/i, 'no audit entry from the MCP server');
});

test('route_status says when the token is wrong and when the gateway is down', async (t) => {
  const up = await startUpstream(t, () => ({ body: {} }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nroutes:\n  - id: r\n    match: GET /r\n`, { legacy: up.url, modern: up.url });
  const dir = tempDir(t);
  const wrong = await startMcp(t, dir, `log:\n  level: warn\nmcp:\n  gateway:\n    admin: ${gw.admin}\n    token: wrong-token-wrong-token\n`);
  assert.match(await callError(wrong, 'route_status'), /refused the token \(401\)/);
  // The token may come from FICUS_ADMIN_TOKEN, as for the gateway itself.
  const fromEnv = await startMcp(t, tempDir(t), `log:\n  level: warn\nmcp:\n  gateway:\n    admin: ${gw.admin}\n`, { FICUS_ADMIN_TOKEN: TOKEN });
  assert.deepEqual((await callOk<Status>(fromEnv, 'route_status')).routes.map((r) => r.id), ['r']);
  await gw.close();
  assert.match(await callError(fromEnv, 'route_status'), /cannot reach the gateway admin API .*is ficus gateway running/);
});
