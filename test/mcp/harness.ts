/**
 * Runs the real `ficus mcp` binary under the MCP SDK's own client over stdio, with a config
 * written to a temp dir, and helpers to read its tool answers.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { repoRoot } from '../helpers/tmp.js';

export const bin = join(repoRoot, 'dist', 'cli', 'ficus.js');

/** Starts `ficus mcp --config <dir>/ficus.yaml` in `dir` and connects a client to it. */
export async function startMcp(t: TestContext, dir: string, yaml: string, env: Record<string, string> = {}): Promise<Client> {
  const config = join(dir, 'ficus.yaml');
  writeFileSync(config, yaml);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, 'mcp', '--config', config],
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'ficus-test', version: '0.0.0' });
  await client.connect(transport);
  t.after(() => client.close());
  return client;
}

/** Calls a tool; the result must not be an error. Returns its JSON text parsed (or the text). */
export async function callOk<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  assert.notEqual(r.isError, true, `${name} ${JSON.stringify(args)} failed: ${textOf(r)}`);
  const text = textOf(r);
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}

/** Calls a tool that must answer with an error result (not throw); returns the message. */
export async function callError(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  assert.equal(r.isError, true, `${name} ${JSON.stringify(args)} should fail, answered: ${textOf(r).slice(0, 300)}`);
  return textOf(r);
}

export function textOf(r: CallToolResult): string {
  const first = r.content[0];
  assert.ok(first && first.type === 'text', 'a text answer');
  return first.text;
}
