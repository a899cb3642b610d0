import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, eventually, routeView, startGateway, startUpstream, type RouteView } from './harness.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const promo = (extra = '') =>
  `adminToken: ${TOKEN}\nroutes:\n  - id: acct\n    match: GET /accounts/:id\n    noiseSample: 0\n    promotion:\n      auto: true\n      steps: [10, 50, 100]\n      minSamples: 5\n      targetMatchRate: 0.5\n      minRecentForBreach: 5\n      maxMismatchRate: 0.3\n${extra}`;

async function drive(proxy: string, admin: string, until: (v: RouteView) => boolean, max = 400): Promise<RouteView> {
  for (let i = 0; i < max; i++) {
    await call(`${proxy}/accounts/${i}`);
    const v = await routeView(admin, 'acct', TOKEN);
    if (until(v)) return v;
  }
  throw new Error(`route never reached the expected state in ${max} requests`);
}

test('auto promotion steps shadow → 10 → 50 %, then waits for a person before 100 %', async (t) => {
  const legacy = await startUpstream(t, (c) => ({ body: { id: c.url.split('/')[2] } }));
  const modern = await startUpstream(t, (c) => ({ body: { id: c.url.split('/')[2] } }));
  const gw = await startGateway(t, promo(), { legacy: legacy.url, modern: modern.url });

  // `>=`: verdicts land off the client's path, so two polls may straddle more than one of them.
  let v = await drive(gw.proxy, gw.admin, (v) => v.mode === 'canary' && v.modernPercent >= 10);
  v = await drive(gw.proxy, gw.admin, (v) => v.modernPercent >= 50);
  v = await drive(gw.proxy, gw.admin, (v) => v.pendingApproval !== null);
  assert.equal(v.mode, 'canary');
  assert.equal(v.modernPercent, 50, 'the final step does not happen by itself');
  assert.deepEqual({ mode: v.pendingApproval!.mode, percent: v.pendingApproval!.percent }, { mode: 'modern', percent: 100 });

  const approved = await call(`${gw.admin}/api/routes/acct/approve`, { method: 'POST', headers: { ...auth, 'x-ficus-actor': 'grace' } });
  assert.equal(approved.status, 200, approved.text);
  const after = approved.json<{ route: RouteView }>().route;
  assert.equal(after.mode, 'modern');
  assert.equal(after.modernPercent, 100);
  assert.equal(after.pendingApproval, null);

  const served = await call(`${gw.proxy}/accounts/1`);
  assert.equal(served.status, 200);
  const audit = (await call(`${gw.admin}/api/audit?route=acct`, { headers: auth })).json<{ audit: { actor: string; action: string; reason: string }[] }>().audit;
  assert.deepEqual(audit.map((a) => a.action).reverse(), ['created', 'promoted', 'promoted', 'awaiting-approval', 'mode-changed']);
  assert.match(audit[0]!.reason, /approved by grace/);
});

test('a mismatch-rate breach in canary demotes at once to shadow and says why', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: { v: 1 } }));
  let broken = false;
  const modern = await startUpstream(t, () => ({ body: { v: broken ? 2 : 1 } }));
  const gw = await startGateway(t, promo(), { legacy: legacy.url, modern: modern.url });
  await drive(gw.proxy, gw.admin, (v) => v.mode === 'canary');
  broken = true;
  const v = await drive(gw.proxy, gw.admin, (v) => v.mode === 'shadow');
  assert.equal(v.modernPercent, 0);
  const audit = (await call(`${gw.admin}/api/audit?route=acct&limit=1`, { headers: auth })).json<{ audit: { actor: string; action: string; reason: string }[] }>().audit;
  assert.equal(audit[0]!.actor, 'breach');
  assert.equal(audit[0]!.action, 'demoted');
  assert.match(audit[0]!.reason, /mismatch/i);
});

test('a restart in the middle of a promotion resumes at the same step with its counters', async (t) => {
  const legacy = await startUpstream(t, (c) => ({ body: { id: c.url.split('/')[2] } }));
  const modern = await startUpstream(t, (c) => ({ body: { id: c.url.split('/')[2] } }));
  const first = await startGateway(t, promo(), { legacy: legacy.url, modern: modern.url });
  await drive(first.proxy, first.admin, (v) => v.mode === 'canary' && v.matches >= 8);
  // Comparisons land off the client's path (on the shadow worker by default), so a step can still
  // be taken after the last poll: wait until the counters stop moving, then restart.
  let before = await routeView(first.admin, 'acct', TOKEN);
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const v = await routeView(first.admin, 'acct', TOKEN);
    const settled = v.samples === before.samples && v.modernPercent === before.modernPercent;
    before = v;
    if (settled) break;
  }
  await first.close();

  const second = await startGateway(t, promo(), { legacy: legacy.url, modern: modern.url, storePath: first.storePath });
  const after = await routeView(second.admin, 'acct', TOKEN);
  assert.equal(after.mode, before.mode);
  assert.equal(after.modernPercent, before.modernPercent);
  assert.ok(before.modernPercent >= 10, `promoted before the restart (${before.modernPercent} %)`);
  assert.ok(after.matches >= before.matches, `matches kept across restart (${before.matches} → ${after.matches})`);
  assert.equal(after.samples >= before.samples, true);
  // And the promotion goes on from there (at the last automatic step: it waits for approval).
  await drive(second.proxy, second.admin, (v) => v.modernPercent > before.modernPercent || v.pendingApproval !== null);
});

test('changing the configured mode between restarts wins over the stored state, and is audited', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: {} }));
  const modern = await startUpstream(t, () => ({ body: {} }));
  const first = await startGateway(t, `adminToken: ${TOKEN}\nroutes:\n  - id: acct\n    match: GET /a\n    mode: shadow\n`, { legacy: legacy.url, modern: modern.url });
  await first.close();
  const second = await startGateway(t, `adminToken: ${TOKEN}\nroutes:\n  - id: acct\n    match: GET /a\n    mode: legacy\n`, { legacy: legacy.url, modern: modern.url, storePath: first.storePath });
  assert.equal((await routeView(second.admin, 'acct', TOKEN)).mode, 'legacy');
  const audit = (await call(`${second.admin}/api/audit`, { headers: auth })).json<{ audit: { action: string }[] }>().audit;
  assert.equal(audit[0]!.action, 'config-changed');
});

test('admin mode changes follow the transition table; rollback returns to shadow', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: {} }));
  const modern = await startUpstream(t, () => ({ body: {} }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nroutes:\n  - id: acct\n    match: GET /a\n    mode: legacy\n`, { legacy: legacy.url, modern: modern.url });
  const post = (path: string, body: object) => call(`${gw.admin}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const skip = await post('/api/routes/acct/mode', { mode: 'modern' });
  assert.equal(skip.status, 409);
  assert.equal(skip.json<{ error: { code: string } }>().error.code, 'FICUS_GW_TRANSITION_REFUSED');
  assert.equal((await post('/api/routes/acct/mode', { mode: 'shadow' })).status, 200);
  const canary = await post('/api/routes/acct/mode', { mode: 'canary', percent: 25 });
  assert.equal(canary.json<{ route: RouteView }>().route.modernPercent, 25);
  const full = await post('/api/routes/acct/mode', { mode: 'modern' });
  assert.equal(full.status, 409, 'going fully modern needs approval');
  assert.equal((await post('/api/routes/acct/mode', { mode: 'modern', approved: true })).status, 200);
  const back = await post('/api/routes/acct/rollback', { reason: 'pager went off' });
  assert.equal(back.json<{ route: RouteView }>().route.mode, 'shadow');
  const bad = await post('/api/routes/acct/mode', { mode: 'sideways' });
  assert.equal(bad.status, 400);
  assert.equal((await post('/api/routes/nope/mode', { mode: 'shadow' })).status, 404);
  await eventually(async () => (await routeView(gw.admin, 'acct', TOKEN)).mode === 'shadow');
});

test('mode changes and mismatches are published on node:diagnostics_channel', async (t) => {
  const { subscribe, unsubscribe } = await import('node:diagnostics_channel');
  const seen: string[] = [];
  const onMode = (m: unknown) => seen.push(`mode:${(m as { to: { mode: string } }).to.mode}`);
  const onMismatch = (m: unknown) => seen.push(`mismatch:${(m as { route: string }).route}`);
  subscribe('ficus:gateway:mode', onMode);
  subscribe('ficus:gateway:mismatch', onMismatch);
  t.after(() => {
    unsubscribe('ficus:gateway:mode', onMode);
    unsubscribe('ficus:gateway:mismatch', onMismatch);
  });
  const legacy = await startUpstream(t, () => ({ body: { v: 1 } }));
  const modern = await startUpstream(t, () => ({ body: { v: 2 } }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nroutes:\n  - id: acct\n    match: GET /a\n    noiseSample: 0\n`, { legacy: legacy.url, modern: modern.url });
  await call(`${gw.proxy}/a`);
  await eventually(() => seen.includes('mismatch:acct'));
  await call(`${gw.admin}/api/routes/acct/mode`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"mode":"legacy"}' });
  assert.ok(seen.includes('mode:legacy'), seen.join(','));
});
