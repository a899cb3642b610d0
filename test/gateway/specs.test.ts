/**
 * `gateway.specs`: the analyzer output read at start (bad files are config errors naming the
 * file), routes mapped to spec operations, rules found for a differing path, and traffic
 * templated for the traffic-vs-spec view; the new admin endpoints checked against the contract.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig } from '../../core/config.js';
import { gatewayOptions, type GatewayConfig } from '../../gateway/options.js';
import { lastKey } from '../../gateway/specs.js';
import { normalizePath } from '../../gateway/traffic.js';
import { tempDir } from '../helpers/tmp.js';
import { call, eventually, routeView, startGateway, startUpstream } from './harness.js';

const rules = {
  version: 1,
  sources: [],
  rules: [
    { id: 'R1', kind: 'calculation', statement: 'rate', condition: null, effects: ['WS-RATE := WS-BASE * 1.05'], fields: ['WS-BASE'], evidence: [{ path: 'A.cbl', startLine: 3, endLine: 4 }], origin: 'parser', operation: null },
    { id: 'R2', kind: 'validation', statement: 'loan amount', condition: 'WS-LOAN-AMOUNT > 0', effects: [], fields: ['WS-LOAN-AMOUNT'], evidence: [{ path: 'A.cbl', startLine: 9, endLine: 9 }], origin: 'parser', operation: 'getLoan' },
  ],
  programs: [],
  diagnostics: [],
};
const spec = 'openapi: 3.1.0\ninfo: {title: t, version: "1"}\npaths:\n  /loans/{id}:\n    get:\n      operationId: getLoan\n      x-ficus-rules: [R1]\n  /loans/{id}/close:\n    post:\n      operationId: closeLoan\n';

function writeSpecs(dir: string, files: { rules?: string; spec?: string }): string {
  mkdirSync(dir, { recursive: true });
  if (files.rules !== undefined) writeFileSync(join(dir, 'rules.json'), files.rules);
  if (files.spec !== undefined) writeFileSync(join(dir, 'openapi.yaml'), files.spec);
  return dir;
}

function optionsFor(dir: string) {
  const text = `gateway:\n  upstreams: {legacy: "http://127.0.0.1:1", modern: "http://127.0.0.1:2"}\n  specs: ${dir}\n`;
  const loaded = parseConfig<{ gateway: GatewayConfig }>(text, 'ficus.yaml');
  return gatewayOptions(loaded, loaded.config.gateway, { storePath: ':memory:', env: {} });
}

test('bad specs files are config errors that name the file', (t) => {
  const base = tempDir(t);
  const cases: [string, { rules?: string; spec?: string }, RegExp][] = [
    ['missing', { spec }, /rules\.json: cannot be read/],
    ['notjson', { rules: '{', spec }, /rules\.json: is not JSON/],
    ['norules', { rules: '{"version":1}', spec }, /rules\.json: must be an object with a "rules" array/],
    ['notopenapi', { rules: JSON.stringify(rules), spec: 'swagger: "2.0"\n' }, /openapi\.yaml: must be an OpenAPI 3\.x document/],
    ['badrefs', { rules: JSON.stringify(rules), spec: spec.replace('[R1]', 'R1') }, /openapi\.yaml: GET \/loans\/\{id\}: x-ficus-rules must be a list/],
  ];
  for (const [name, files, message] of cases) {
    const { issues } = optionsFor(writeSpecs(join(base, name), files));
    assert.equal(issues.length, 1, name);
    assert.equal(issues[0]!.path, 'gateway.specs');
    assert.equal(issues[0]!.line, 3);
    assert.match(issues[0]!.message, message, name);
  }
  const ok = optionsFor(writeSpecs(join(base, 'ok'), { rules: JSON.stringify(rules), spec }));
  assert.deepEqual(ok.issues, []);
  assert.deepEqual(ok.options.specs!.operations.map((o) => o.operationId), ['getLoan', 'closeLoan']);
});

test('a differing path finds the rules naming its last key, dash- and case-insensitively', (t) => {
  const { options } = optionsFor(writeSpecs(join(tempDir(t), 's'), { rules: JSON.stringify(rules), spec }));
  const catalog = options.specs!;
  const ops = catalog.operationsFor(['GET'], '/loans/:id');
  assert.deepEqual(ops.map((o) => o.operationId), ['getLoan']);
  assert.deepEqual(catalog.operationsFor(['GET'], '/loans/:id/close'), []);
  const byOp = catalog.rulesFor(ops);
  assert.deepEqual(byOp.map((r) => [r.id, r.governs]), [['R1', ['operation']], ['R2', ['operation']]]);
  const byPath = catalog.rulesFor([], ['$.items[2].rate', '$.loanAmount', '$.other']);
  assert.deepEqual(byPath.map((r) => [r.id, r.paths]), [['R1', ['$.items[2].rate']], ['R2', ['$.loanAmount']]]);
  assert.equal(lastKey("$['unit price'][0]"), 'unit price');
  assert.equal(lastKey('$[3]'), undefined);
});

test('unmatched paths are templated: numbers, UUIDs and long hex ids become {id}', () => {
  assert.equal(normalizePath('/customers/42/orders/7?x=1'), '/customers/{id}/orders/{id}');
  assert.equal(normalizePath('/docs/0b7c3a3e-5d2f-4c1e-9a53-2f4a1b6c7d8e'), '/docs/{id}');
  assert.equal(normalizePath('/blobs/0123456789abcdef0123'), '/blobs/{id}');
  assert.equal(normalizePath('/health/'), '/health');
  assert.equal(normalizePath('/'), '/');
});

test('traffic against the spec: undocumented templates, operations never seen, confidence history', async (t) => {
  const up = await startUpstream(t, () => ({ body: { ok: true } }));
  const dir = writeSpecs(join(tempDir(t), 's'), { rules: JSON.stringify(rules), spec });
  const gw = await startGateway(t, `specs: ${dir}\nroutes:\n  - id: loan\n    match: GET /loans/:id\n  - id: extra\n    match: GET /extra\n`, { legacy: up.url, modern: up.url, historyIntervalMs: 20 });
  await call(`${gw.proxy}/loans/1`);
  await call(`${gw.proxy}/extra`);
  await call(`${gw.proxy}/customers/9`);
  await call(`${gw.proxy}/loans/5/close`, { method: 'POST' });
  await eventually(async () => (await routeView(gw.admin, 'loan')).samples === 1);
  const traffic = (await call(`${gw.admin}/api/traffic`)).json<{ undocumented: { method: string; path: string; routeId: string | null }[]; unseen: unknown[] }>();
  assert.deepEqual(traffic.undocumented.map((u) => `${u.method} ${u.path} ${u.routeId}`).sort(), ['GET /customers/{id} null', 'GET /extra extra']);
  assert.deepEqual(traffic.unseen, [], 'closeLoan was seen (unmatched, templated), getLoan through its route');
  const history = await eventually(async () => {
    const h = (await call(`${gw.admin}/api/routes/loan/history`)).json<{ history: { confidence: number; upper: number }[] }>().history;
    return (h.at(-1)?.confidence ?? 0) > 0 ? h : undefined;
  });
  assert.equal(history.at(-1)!.upper, 1, 'every comparison matched: nothing rules out 100 %');
  assert.ok(history[0]!.confidence === 0, 'the first point predates the traffic');
  const routeRules = (await call(`${gw.admin}/api/routes/loan/rules`)).json<{ operations: { operationId: string }[]; rules: { id: string }[] }>();
  assert.deepEqual(routeRules.operations.map((o) => o.operationId), ['getLoan']);
  assert.deepEqual(routeRules.rules.map((r) => r.id), ['R1', 'R2']);
});
