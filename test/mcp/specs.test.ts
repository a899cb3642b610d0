/**
 * `ficus mcp` over stdio against a real `ficus analyze` of the COBOL fixtures: the tool list,
 * search_rules with evidence, get_openapi, the resources, input validation and result limits.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RulesDocument } from '../../analyzers/output.js';
import { resourceUris, toolNames } from '../../mcp/server.js';
import { repoRoot, tempDir } from '../helpers/tmp.js';
import { bin, callError, callOk, startMcp } from './harness.js';

const fixtures = join(repoRoot, 'test', 'fixtures', 'cobol');

function analyzeFixtures(dir: string): void {
  const r = spawnSync(
    process.execPath,
    [bin, 'analyze', fixtures, '--out', 'out', '--copybooks', join(fixtures, 'loan', 'copybooks'), '--copybooks', join(fixtures, 'cics', 'copybooks'), '--no-cache', '--quiet'],
    { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
}

interface Hit {
  id: string;
  kind: string;
  operation: string | null;
  program: string | null;
  fields: string[];
  effects: string[];
  evidence: { path: string; startLine: number; endLine: number }[];
  matchedIn: string[];
}
interface Search {
  total: number;
  returned: number;
  truncated: boolean;
  rules: Hit[];
}

test('tools, rules and the spec from a real ficus analyze of the COBOL fixtures; inputs validated, results bounded, nothing written', async (t) => {
  const dir = tempDir(t);
  analyzeFixtures(dir);
  const rulesText = readFileSync(join(dir, 'out', 'rules.json'), 'utf8');
  const openapiText = readFileSync(join(dir, 'out', 'openapi.yaml'), 'utf8');
  const catalog = JSON.parse(rulesText) as RulesDocument;
  assert.ok(catalog.rules.length > 20, 'the fixtures give enough rules to page');
  const client = await startMcp(t, dir, 'log:\n  level: warn\nmcp:\n  specs: out\n');

  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((x) => x.name), [...toolNames]);
  for (const tool of tools) assert.equal(tool.annotations?.readOnlyHint, true, `${tool.name} is declared read-only`);

  // Text search: every term must occur; evidence and where it matched come back.
  const credit = await callOk<Search>(client, 'search_rules', { query: 'credit limit' });
  assert.ok(credit.total >= 1);
  for (const r of credit.rules) {
    assert.ok(r.evidence.length >= 1 && r.evidence.every((e) => e.startLine >= 1 && e.endLine >= e.startLine));
    assert.ok(r.matchedIn.length >= 1);
  }
  assert.ok(credit.rules.some((r) => r.id.startsWith('CUSTINQ-') && r.operation === 'custinq' && r.program === 'CUSTINQ'));
  // Case-insensitive, and field search finds data names by part.
  const lower = await callOk<Search>(client, 'search_rules', { query: 'CREDIT LIMIT' });
  assert.deepEqual(lower.rules.map((r) => r.id), credit.rules.map((r) => r.id));
  const byField = await callOk<Search>(client, 'search_rules', { field: 'balance' });
  assert.ok(byField.total >= 1 && byField.rules.every((r) => [...r.fields, ...r.effects].some((f) => /balance/i.test(f))));
  // Filters: program (name or path), kind, operation.
  const loan = await callOk<Search>(client, 'search_rules', { program: 'LOANAPRV', limit: 50 });
  const expectedLoan = catalog.rules.filter((r) => r.evidence.some((e) => e.path === 'loan/LOANAPRV.cbl') || r.id.startsWith('LOANAPRV-'));
  assert.equal(loan.total, expectedLoan.length);
  assert.deepEqual((await callOk<Search>(client, 'search_rules', { program: 'loan/LOANAPRV.cbl', limit: 50 })).total, loan.total);
  const decisions = await callOk<Search>(client, 'search_rules', { kind: 'decision', limit: 50 });
  assert.equal(decisions.total, catalog.rules.filter((r) => r.kind === 'decision').length);
  assert.ok(decisions.rules.every((r) => r.kind === 'decision'));
  const custinq = await callOk<Search>(client, 'search_rules', { operation: 'custinq' });
  assert.deepEqual(custinq.rules.map((r) => r.id).sort(), catalog.rules.filter((r) => r.operation === 'custinq').map((r) => r.id).sort());

  // Limits: a page says it was cut; paging with offset reaches the rest; no more than 50 at once.
  const page = await callOk<Search>(client, 'search_rules', { limit: 5 });
  assert.equal(page.returned, 5);
  assert.equal(page.total, catalog.rules.length);
  assert.equal(page.truncated, true);
  const next = await callOk<Search>(client, 'search_rules', { limit: 5, offset: 5 });
  assert.deepEqual(next.rules.map((r) => r.id), catalog.rules.slice(5, 10).map((r) => r.id));
  const max = await callOk<Search>(client, 'search_rules', { limit: 50 });
  assert.equal(max.returned, Math.min(50, catalog.rules.length));

  // Bad input is an error result naming the argument, and the server keeps serving.
  assert.match(await callError(client, 'search_rules', { limit: 500 }), /limit/);
  assert.match(await callError(client, 'search_rules', { limit: 0 }), /limit/);
  assert.match(await callError(client, 'search_rules', { limit: 'ten' }), /limit/);
  assert.match(await callError(client, 'search_rules', { kind: 'guess' }), /kind/);
  assert.match(await callError(client, 'get_openapi', { operationId: '' }), /operationId/);
  assert.equal((await callOk<Search>(client, 'search_rules', { limit: 1 })).returned, 1);

  // The spec: whole, one operation with the schemas it references, one path; unknown ones listed.
  assert.equal(await callOk<string>(client, 'get_openapi'), openapiText);
  const op = await callOk<string>(client, 'get_openapi', { operationId: 'custinq' });
  assert.match(op, /operationId: custinq/);
  assert.match(op, /custinqRequest:/, 'referenced schemas come along');
  assert.doesNotMatch(op, /operationId: (?!custinq)/, 'other operations are left out');
  const byPath = await callOk<string>(client, 'get_openapi', { path: '/customers/credit-inquiry' });
  assert.match(byPath, /\/customers\/credit-inquiry:/);
  assert.match(await callError(client, 'get_openapi', { operationId: 'nope' }), /custinq/);

  // Resources: the generated files, byte for byte.
  const { resources } = await client.listResources();
  assert.deepEqual(resources.map((r) => r.uri).sort(), Object.values(resourceUris).sort());
  const rulesRes = await client.readResource({ uri: resourceUris.rules });
  assert.equal((rulesRes.contents[0] as { text: string }).text, rulesText);
  const specRes = await client.readResource({ uri: resourceUris.openapi });
  assert.equal((specRes.contents[0] as { text: string }).text, openapiText);
  await assert.rejects(client.readResource({ uri: resourceUris.asyncapi }), /AsyncAPI/);

  // Sources that are not configured answer so, as tool errors.
  assert.match(await callError(client, 'read_events'), /No event source is configured/);
  assert.match(await callError(client, 'route_status'), /No gateway is configured/);
  assert.match(await callError(client, 'list_event_types'), /No AsyncAPI document/);

  assert.equal(readFileSync(join(dir, 'out', 'rules.json'), 'utf8'), rulesText, 'rules.json untouched');
  assert.equal(readFileSync(join(dir, 'out', 'openapi.yaml'), 'utf8'), openapiText, 'openapi.yaml untouched');
});

test('without specs the rule and spec tools say where they looked and what to run', async (t) => {
  const dir = tempDir(t);
  const client = await startMcp(t, dir, 'log:\n  level: warn\n');
  assert.match(await callError(client, 'search_rules', { query: 'x' }), /No rules catalog at .*specs.*rules\.json: run ficus analyze/);
  assert.match(await callError(client, 'get_openapi'), /No OpenAPI spec at .*specs.*openapi\.yaml/);
});
