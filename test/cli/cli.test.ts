import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, tempDir } from '../helpers/tmp.js';

const bin = join(repoRoot, 'dist', 'cli', 'ficus.js');

function ficus(args: string[], cwd = repoRoot, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--help lists the subcommands and exits 0', () => {
  const r = ficus(['--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Usage: ficus/);
  assert.match(r.stdout, /\bcheck\b/);
});

test('--version prints the package version', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const r = ficus(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('an unknown subcommand or option is bad input: exit 2, one line', () => {
  const r = ficus(['frobnicate']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^ficus: unknown command 'frobnicate'/);
  assert.equal(ficus(['check', '--nope']).code, 2);
});

test('a bad config file gets every error with file and line, exit 2', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ficus.yaml'), 'store:\n  path: 7\nlog:\n  level: chatty\nsurprise: 1\n');
  const r = ficus(['check'], dir);
  assert.equal(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[0]!, /invalid configuration \(3 problems\)/);
  assert.match(lines[1]!, /^ {2}ficus\.yaml:2: store\.path: must be string \(got 7\)$/);
  assert.match(lines[2]!, /^ {2}ficus\.yaml:4: log\.level: must be one of .* \(got "chatty"\)$/);
  assert.match(lines[3]!, /^ {2}ficus\.yaml:5: surprise: unknown field$/);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
});

test('a missing config file is bad input with the path named', (t) => {
  const r = ficus(['check', '--config', 'absent.yaml'], tempDir(t));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /absent\.yaml.*ENOENT.*FICUS_CFG_UNREADABLE/);
});

test('a good config passes check with exit 0, env vars substituted', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'custom.yaml'), 'log:\n  level: ${LEVEL}\n');
  const r = ficus(['check', '-c', 'custom.yaml'], dir, { LEVEL: 'warn' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /custom\.yaml: ok/);
});
