import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, parseConfig } from '../../core/config.js';
import { ConfigInvalidError, formatConfigIssue } from '../../core/errors.js';
import { tempDir } from '../helpers/tmp.js';

function issuesOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, 'ficus.yaml', { env });
  } catch (err) {
    assert.ok(err instanceof ConfigInvalidError, `expected ConfigInvalidError, got ${String(err)}`);
    assert.equal(err.code, 'FICUS_CFG_INVALID');
    return err.issues.map(formatConfigIssue);
  }
  return [];
}

test('an empty file gives the schema defaults, frozen', () => {
  const { config } = parseConfig<{ version: number; store: { path: string }; log: { level: string } }>('', 'ficus.yaml');
  assert.equal(config.version, 1);
  assert.equal(config.store.path, '.ficus/ficus.db');
  assert.equal(config.log.level, 'info');
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.store));
});

test('every problem is listed with file, line, field path and the value received', () => {
  const text = ['version: 2', 'store:', '  path: 5', '  pth: x', 'log:', '  level: loud', 'extra: true', ''].join('\n');
  assert.deepEqual(issuesOf(text), [
    'ficus.yaml:1: version: must be 1 (got 2)',
    'ficus.yaml:3: store.path: must be string (got 5)',
    'ficus.yaml:4: store.pth: unknown field',
    'ficus.yaml:6: log.level: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent" (got "loud")',
    'ficus.yaml:7: extra: unknown field',
  ]);
});

test('YAML syntax errors carry their line', () => {
  const issues = issuesOf('log:\n  level: info\n  redact: [a\n');
  assert.equal(issues.length >= 1, true);
  assert.match(issues[0]!, /^ficus\.yaml:\d+: YAML syntax: /);
});

test('duplicate keys are refused rather than silently overwritten', () => {
  const issues = issuesOf('log:\n  level: info\n  level: warn\n');
  assert.match(issues[0]!, /^ficus\.yaml:3: YAML syntax: .*unique/i);
});

test('${VAR} substitution: defaults, escapes, typed plain scalars', () => {
  const schema = {
    type: 'object',
    properties: { a: { type: 'string' }, b: { type: 'string' }, port: { type: 'integer' }, c: { type: 'string' }, q: { type: 'string' } },
  };
  const { config } = parseConfig<Record<string, unknown>>(
    'a: "${HOST}:${PORT}"\nb: ${MISSING:-fallback}\nport: ${PORT}\nc: $${LITERAL}\nq: "${PORT}"\n',
    'x.yaml',
    { env: { HOST: 'db', PORT: '5432' }, schema },
  );
  assert.deepEqual({ ...config }, { a: 'db:5432', b: 'fallback', port: 5432, c: '${LITERAL}', q: '5432' });
});

test('an unset variable names the variable, the field and the line, and never prints a secret', () => {
  const issues = issuesOf('store:\n  path: ${FICUS_DB}\nlog:\n  level: ${LEVEL}\n', { LEVEL: 'hunter2-secret' });
  assert.equal(issues[0], 'ficus.yaml:2: store.path: environment variable FICUS_DB is not set (got ${FICUS_DB})');
  // The invalid level came from the environment: the message shows the reference, not the value.
  assert.ok(issues.some((i) => i.startsWith('ficus.yaml:4: log.level: must be one of') && i.endsWith('(got ${LEVEL})')), issues.join('\n'));
  assert.ok(!issues.join('\n').includes('hunter2'));
});

test('a top level that is not a mapping is refused', () => {
  assert.deepEqual(issuesOf('- a\n- b\n'), ['ficus.yaml:1: must be a mapping of sections (got ["a","b"])']);
});

test('lineOf and issue() locate fields for semantic checks done after validation', () => {
  const loaded = parseConfig('store:\n  path: a.db\nlog:\n  level: warn\n', 'f.yaml');
  assert.equal(loaded.lineOf(['log', 'level']), 4);
  assert.equal(loaded.lineOf(['log', 'nothing', 'here']), 3);
  assert.deepEqual(loaded.issue(['store', 'path'], 'is taken'), { file: 'f.yaml', line: 2, path: 'store.path', message: 'is taken' });
});

test('loadConfig reports an unreadable file with FICUS_CFG_UNREADABLE', (t) => {
  const dir = tempDir(t);
  assert.throws(() => loadConfig(join(dir, 'nope.yaml')), { code: 'FICUS_CFG_UNREADABLE' });
  writeFileSync(join(dir, 'ok.yaml'), 'log: {level: debug}\n');
  assert.equal(loadConfig<{ log: { level: string } }>(join(dir, 'ok.yaml')).config.log.level, 'debug');
});
