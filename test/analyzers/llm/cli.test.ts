import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createAnthropicClient } from '../../../analyzers/llm/client.js';
import { repoRoot, tempDir } from '../../helpers/tmp.js';
import { emptyAnalysis, fakeMessagesApi } from './fake-messages-api.js';

const bin = join(repoRoot, 'dist', 'cli', 'ficus.js');

/** Runs the CLI without blocking the event loop (the fake API lives in this process). */
function ficus(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [bin, 'analyze', ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

function fixtures(t: TestContext): string {
  const root = tempDir(t);
  cpSync(join(repoRoot, 'test', 'fixtures', 'cobol'), join(root, 'src'), { recursive: true });
  return root;
}

test('--llm anthropic without ANTHROPIC_API_KEY: one warning, parser output unchanged, exit 0', async (t) => {
  const root = fixtures(t);
  const off = await ficus(['src', '--out', 'off'], root);
  assert.equal(off.code, 0, off.stderr);
  assert.equal(off.stderr, '');
  const nokey = await ficus(['src', '--out', 'nokey', '--llm', 'anthropic'], root);
  assert.equal(nokey.code, 0, nokey.stderr);
  assert.equal(nokey.stderr, 'ficus analyze: warning: --llm anthropic: ANTHROPIC_API_KEY is not set; LLM enrichment is off for this run [FICUS_AN_LLM_NO_KEY]\n');
  assert.equal(readFileSync(join(root, 'nokey', 'rules.json'), 'utf8'), readFileSync(join(root, 'off', 'rules.json'), 'utf8'));
  assert.equal(readFileSync(join(root, 'nokey', 'openapi.yaml'), 'utf8'), readFileSync(join(root, 'off', 'openapi.yaml'), 'utf8'));
  assert.match(readFileSync(join(root, 'off', 'report.md'), 'utf8'), /LLM enrichment was off \(--llm none\)/);
  assert.match(readFileSync(join(root, 'nokey', 'report.md'), 'utf8'), /LLM enrichment was off \(ANTHROPIC_API_KEY not set\)/);
});

test('ficus analyze --llm anthropic end to end: cost summary on stderr; a second run makes zero HTTP calls', async (t) => {
  const root = fixtures(t);
  const api = await fakeMessagesApi(t, (req) => (req.tools[0]!.name === 'record_event_names' ? { tool: { events: [] } } : { tool: emptyAnalysis() }));
  const env = { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: api.url };
  const first = await ficus(['src', '--out', 'out', '--llm', 'anthropic', '--budget-usd', '5'], root, env);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(api.requests.length, 5, '4 files and the events call');
  assert.match(first.stderr, /^ficus analyze: LLM claude-sonnet-4-5: 5 calls \(0 of 5 answers from cache\), 5,000 in \/ 1,000 out .*\$0\.0300 of \$5\.0000 budget/m);
  assert.match(readFileSync(join(root, 'out', 'report.md'), 'utf8'), /## LLM enrichment\n\nModel `claude-sonnet-4-5`/);

  const second = await ficus(['src', '--out', 'out', '--llm', 'anthropic'], root, env);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(api.requests.length, 5, 'zero HTTP calls on unchanged code');
  assert.match(second.stderr, /0 calls \(5 of 5 answers from cache\).*\$0\.0000/);
  assert.ok(api.requests.every((r) => r.model === 'claude-sonnet-4-5'));
});

test('bad --llm and --budget-usd values exit 2; a budget for a model without a price exits 2 before any call', async (t) => {
  const root = fixtures(t);
  const api = await fakeMessagesApi(t, () => ({ tool: emptyAnalysis() }));
  const env = { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: api.url };
  const bad = await ficus(['src', '--out', 'out', '--llm', 'openai'], root, env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /\[FICUS_AN_LLM_OPTION_INVALID\]/);
  const budget = await ficus(['src', '--out', 'out', '--llm', 'anthropic', '--budget-usd', '-1'], root, env);
  assert.equal(budget.code, 2);
  const unknown = await ficus(['src', '--out', 'out', '--llm', 'anthropic', '--llm-model', 'some-local-model', '--budget-usd', '1'], root, env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /\[FICUS_AN_LLM_BUDGET_INVALID\]/);
  assert.equal(api.requests.length, 0);
});

test('the client translates SDK errors by class: 401 → FICUS_AN_LLM_AUTH, 400 → FICUS_AN_LLM_REQUEST, 529 after retries → FICUS_AN_LLM_UNAVAILABLE', async (t) => {
  const api = await fakeMessagesApi(t, (req) => {
    if (req.model === 'auth') return { status: 401, errorType: 'authentication_error' };
    if (req.model === 'bad') return { status: 400, errorType: 'invalid_request_error' };
    return { status: 529, errorType: 'overloaded_error' };
  });
  const call = (model: string) =>
    createAnthropicClient({ apiKey: 'k', baseURL: api.url, model, maxRetries: 2, retryBaseMs: 1 }).callTool({
      system: 's',
      tool: { name: 'x', description: 'x', schema: { type: 'object' } },
      user: 'u',
      maxTokens: 256,
    });
  await assert.rejects(call('auth'), { code: 'FICUS_AN_LLM_AUTH', retriable: false });
  await assert.rejects(call('bad'), { code: 'FICUS_AN_LLM_REQUEST' });
  const before = api.requests.length;
  await assert.rejects(call('busy'), { code: 'FICUS_AN_LLM_UNAVAILABLE', retriable: true, attempts: 3, status: 529 });
  assert.equal(api.requests.length - before, 3);
  const down = createAnthropicClient({ apiKey: 'k', baseURL: 'http://127.0.0.1:9', model: 'm', maxRetries: 1, retryBaseMs: 1 });
  await assert.rejects(down.callTool({ system: 's', tool: { name: 'x', description: 'x', schema: { type: 'object' } }, user: 'u', maxTokens: 256 }), {
    code: 'FICUS_AN_LLM_UNAVAILABLE',
    attempts: 2,
  });
});
