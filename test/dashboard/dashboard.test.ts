/**
 * The dashboard end to end: real legacy and modern servers, a real gateway, the page in headless
 * Chromium. Asserts what a person sees (DOM), not the API underneath.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { tempDir } from '../helpers/tmp.js';
import { call, eventually, routeView, startGateway, startUpstream } from '../gateway/harness.js';
import { openBrowser, screenshot, skipReason } from './browser.js';

const TOKEN = 'dashboard-token-0123456789';

/** A small analyzer output: one operation the route serves, one never called, rules with evidence. */
function specsDir(t: TestContext): string {
  const dir = join(tempDir(t), 'specs');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'rules.json'),
    JSON.stringify({
      version: 1,
      sources: [{ path: 'src/LOANCALC.cbl', language: 'cobol', sha256: '0'.repeat(64), lines: 300 }],
      rules: [
        {
          id: 'LOANCALC-rate-1',
          kind: 'calculation',
          statement: 'The loan rate is the base rate plus 0.25 for customers with a credit score under 660.',
          condition: 'WS-CREDIT-SCORE < 660',
          effects: ['WS-RATE := WS-BASE-RATE + 0.25'],
          fields: ['WS-RATE', 'WS-BASE-RATE', 'WS-CREDIT-SCORE'],
          evidence: [{ path: 'src/LOANCALC.cbl', startLine: 120, endLine: 134 }],
          origin: 'parser',
          operation: 'getLoanRate',
        },
        {
          id: 'LOANCALC-elig-2',
          kind: 'validation',
          statement: 'A loan must have a positive principal.',
          condition: 'WS-PRINCIPAL <= 0',
          effects: ["MOVE 'E01' TO WS-ERR-CODE"],
          fields: ['WS-PRINCIPAL', 'WS-ERR-CODE'],
          evidence: [{ path: 'src/LOANCALC.cbl', startLine: 88, endLine: 92 }],
          origin: 'parser',
          operation: null,
        },
      ],
      programs: [],
      diagnostics: [],
    }),
  );
  writeFileSync(
    join(dir, 'openapi.yaml'),
    [
      'openapi: 3.1.0',
      'info: { title: Loans, version: 1.0.0 }',
      'paths:',
      '  /loans/{id}/rate:',
      '    get:',
      '      operationId: getLoanRate',
      '      summary: Current rate of a loan',
      '      x-ficus-rules: [LOANCALC-rate-1, LOANCALC-elig-2]',
      '      responses: { "200": { description: ok } }',
      '  /loans/{id}/close:',
      '    post:',
      '      operationId: closeLoan',
      '      summary: Close a loan',
      '      responses: { "200": { description: ok } }',
      '',
    ].join('\n'),
  );
  return dir;
}

async function logIn(page: Page, token: string): Promise<void> {
  await page.locator('#login input[name=token]').fill(token);
  await page.locator('#login button[type=submit]').click();
  await page.locator('#routes').waitFor();
}

test('without a token nothing loads: a login form, no route data, every API call 401', { skip: skipReason }, async (t) => {
  const up = await startUpstream(t, () => ({ body: { ok: true } }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nroutes:\n  - id: secret-route\n    match: GET /secret\n`, { legacy: up.url, modern: up.url });
  await call(`${gw.proxy}/secret`);
  const browser = await openBrowser(t);
  const page = await browser.newPage();
  const apiStatuses: number[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) apiStatuses.push(r.status());
  });
  await page.goto(gw.admin);
  await page.locator('#login').waitFor();
  await screenshot(t, page, 'login');
  assert.ok(apiStatuses.length > 0, 'the page tried the API');
  assert.ok(apiStatuses.every((s) => s === 401), `API answers without a token: ${apiStatuses.join(', ')}`);
  assert.equal(await page.locator('[data-route]').count(), 0);
  assert.ok(!(await page.content()).includes('secret-route'), 'no route data in the DOM');
  assert.ok(await page.locator('#nav').isHidden());

  // A wrong token is refused and says so; the right one shows the routes.
  await page.locator('#login input[name=token]').fill('wrong-token-wrong-token');
  await page.locator('#login button[type=submit]').click();
  await page.getByText('That token was refused.').waitFor();
  assert.equal(await page.locator('[data-route]').count(), 0);
  await logIn(page, TOKEN);
  await page.locator('[data-route="secret-route"]').waitFor();
  // Kept for the tab: a reload does not ask again.
  await page.reload();
  await page.locator('[data-route="secret-route"]').waitFor();
});

test('watch confidence rise, open a discrepancy with the differing path highlighted and the rule that computes it', { skip: skipReason }, async (t) => {
  const legacy = await startUpstream(t, (c) => {
    const id = Number(/\/loans\/(\d+)/.exec(c.url)?.[1] ?? 0);
    return { body: { id, rate: 5.25, currency: 'EUR', holder: { name: 'Ada', ssn: '078-05-1120' } } };
  });
  const modern = await startUpstream(t, (c) => {
    const id = Number(/\/loans\/(\d+)/.exec(c.url)?.[1] ?? 0);
    return { body: { id, rate: id === 13 ? 5.5 : 5.25, currency: 'EUR', holder: { name: 'Ada', ssn: '078-05-1120' } } };
  });
  const specs = specsDir(t);
  const gw = await startGateway(
    t,
    `adminToken: ${TOKEN}\nspecs: ${specs}\nredact: ["$.holder.ssn"]\nroutes:\n  - id: loan-rate\n    match: GET /loans/:id/rate\n    noiseSample: 0\n`,
    { legacy: legacy.url, modern: modern.url, historyIntervalMs: 250 },
  );
  const browser = await openBrowser(t);
  const page = await browser.newPage();
  await page.goto(gw.admin);
  await logIn(page, TOKEN);
  const confidenceCell = page.locator('[data-route="loan-rate"] [data-field="confidence"] strong');
  const readConfidence = async () => parseFloat((await confidenceCell.textContent()) ?? 'NaN');
  assert.equal(await readConfidence(), 0, 'no evidence yet');

  // Traffic flows: one mismatch (loan 13), then matches; the page's own polling shows the rise.
  await call(`${gw.proxy}/loans/13/rate`);
  const seen: number[] = [];
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 15; i++) await call(`${gw.proxy}/loans/${100 + round * 15 + i}/rate`);
    await eventually(async () => (await routeView(gw.admin, 'loan-rate', TOKEN)).samples === 1 + (round + 1) * 15, 5000, 'comparisons');
    const before = seen.at(-1) ?? 0;
    seen.push(await eventually(async () => {
      const v = await readConfidence();
      return v > before ? v : undefined;
    }, 6000, `the page to show confidence above ${before}`));
  }
  t.diagnostic(`confidence seen in the page: ${seen.join(' → ')} %`);
  assert.ok(seen.every((v, i) => i === 0 || v > seen[i - 1]!), `rising: ${seen.join(', ')}`);
  // The sparkline has drawn the history.
  await eventually(async () => (await page.locator('[data-route="loan-rate"] svg.chart polyline').count()) === 1, 5000, 'the chart');
  // Every exchange was also held to the spec (200 is declared): checked on both sides, nothing found.
  assert.match((await page.locator('[data-route="loan-rate"] [data-field="spec"]').textContent())!, /^0 \/ 0\s*of [1-9]\d* \/ [1-9]\d* checked$/);
  // Unmatched traffic for the traffic-vs-spec view.
  await call(`${gw.proxy}/customers/42`);
  await call(`${gw.proxy}/customers/43`);
  await screenshot(t, page, 'routes');

  // The route page: chart, governing rules from the specs directory, the discrepancy list.
  await page.locator('a.route-id', { hasText: 'loan-rate' }).click();
  await page.locator('#discrepancies').waitFor();
  assert.equal(await page.locator('#route-rules [data-rule="LOANCALC-rate-1"]').count(), 1);
  assert.equal(await page.locator('#route-rules [data-rule="LOANCALC-elig-2"]').count(), 1);
  await screenshot(t, page, 'route');

  // The discrepancy: both sides, $.rate marked on each, the SSN shown as redacted, the rule with its source lines.
  await page.locator('#discrepancies [data-discrepancy] a').first().click();
  await page.locator('#discrepancy').waitFor();
  for (const side of ['legacy', 'modern']) {
    const marked = page.locator(`[data-side="${side}"] .body [data-diff-path="$.rate"]`);
    assert.equal(await marked.count(), 1, `${side} marks $.rate`);
    assert.ok((await marked.getAttribute('class'))!.includes('diff'));
    assert.equal(await page.locator(`[data-side="${side}"] .body [data-path="$.holder.ssn"].redacted`).count(), 1, `${side} shows the SSN as redacted`);
  }
  assert.equal(await page.locator('[data-side="legacy"] .body .diff').count(), 1, 'only the differing path is marked');
  assert.equal(await page.locator('[data-side="modern"] [data-diff-path="$.rate"]').textContent(), '5.5');
  assert.ok(!(await page.content()).includes('078-05-1120'), 'the secret never reaches the page');
  const rule = page.locator('#discrepancy-rules [data-rule="LOANCALC-rate-1"]');
  assert.equal(await rule.count(), 1, 'the rule computing WS-RATE explains $.rate');
  assert.match((await rule.textContent())!, /src\/LOANCALC\.cbl:120–134/);
  assert.match((await rule.textContent())!, /WS-CREDIT-SCORE < 660/);
  assert.equal(await page.locator('#discrepancy-rules [data-rule="LOANCALC-elig-2"]').count(), 0, 'a rule that does not name the field is not offered as the explanation');
  assert.equal(await page.locator('#differences tr[data-path="$.rate"] .rule-link').textContent(), 'LOANCALC-rate-1');
  await screenshot(t, page, 'discrepancy');

  // Traffic against the spec.
  await page.locator('nav a[data-nav="traffic"]').click();
  await page.locator('#undocumented').waitFor();
  assert.match((await page.locator('#undocumented').textContent())!, /\/customers\/\{id\}/);
  assert.match((await page.locator('#unseen').textContent())!, /closeLoan/);
  assert.doesNotMatch((await page.locator('#unseen').textContent())!, /getLoanRate/);
  await screenshot(t, page, 'traffic');
});

test('approve a pending step with a reason and see it in the audit log (no token on loopback: no login)', { skip: skipReason }, async (t) => {
  const up = await startUpstream(t, () => ({ body: { ok: true } }));
  const gw = await startGateway(
    t,
    `routes:\n  - id: orders\n    match: GET /orders/:id\n    mode: canary\n    percent: 50\n    noiseSample: 0\n    promotion: { auto: true, steps: [50, 100], approvalAt: 100, minSamples: 5, targetMatchRate: 0.5 }\n`,
    // Canary draws at 0.99: every request lands in legacy's half and is compared.
    { legacy: up.url, modern: up.url, random: () => 0.99 },
  );
  for (let i = 0; i < 6; i++) await call(`${gw.proxy}/orders/${i}`);
  await eventually(async () => (await routeView(gw.admin, 'orders')).pendingApproval !== null, 5000, 'a pending approval');

  const browser = await openBrowser(t);
  const page = await browser.newPage();
  await page.goto(gw.admin);
  await page.locator('#routes').waitFor();
  assert.equal(await page.locator('#login').count(), 0, 'no login without a configured token');
  await page.locator('#pending').waitFor();
  await page.locator('[data-route="orders"] button[data-action="approve"]').click();
  await page.locator('#action-dialog[open]').waitFor();
  // A reason is required: confirming without one does nothing.
  await page.locator('#action-actor').fill('Grace');
  await page.locator('#action-submit').click();
  assert.ok(await page.locator('#action-dialog').isVisible(), 'still asking for a reason');
  await page.locator('#action-reason').fill('signed off in the weekly cutover review');
  await screenshot(t, page, 'approve-dialog');
  await page.locator('#action-submit').click();
  await page.locator('#action-dialog').waitFor({ state: 'hidden' });
  await eventually(async () => (await page.locator('[data-route="orders"] .mode').textContent()) === 'modern', 5000, 'the route to show modern');

  await page.locator('nav a[data-nav="audit"]').click();
  const entry = page.locator('#audit tr[data-action="mode-changed"]').first();
  await entry.waitFor();
  const text = (await entry.textContent())!;
  assert.equal(await entry.locator('td').nth(2).textContent(), 'Grace', 'the audit log names the person');
  assert.match(text, /signed off in the weekly cutover review/);
  assert.match(text, /canary 50 % → modern 100 %/);
  assert.ok((await page.locator('#audit tr[data-action="awaiting-approval"]').count()) >= 1);
  await screenshot(t, page, 'audit');

  // Roll back from the route page, also with a reason.
  await page.goto(`${gw.admin}/#/route/orders`);
  await page.locator('button[data-action="rollback"]').click();
  await page.locator('#action-reason').fill('modern p95 too slow at peak');
  await page.locator('#action-submit').click();
  await page.locator('#action-dialog').waitFor({ state: 'hidden' });
  await eventually(async () => (await routeView(gw.admin, 'orders')).mode === 'shadow', 5000, 'rolled back');
  await page.goto(`${gw.admin}/#/audit?route=orders`);
  await page.locator('#audit').waitFor();
  assert.match((await page.locator('#audit tbody tr').first().textContent())!, /modern p95 too slow at peak \(by Grace\)/);
});
