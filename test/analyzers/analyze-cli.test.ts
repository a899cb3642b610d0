import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createProgressBar } from '../../cli/progress.js';
import { repoRoot, tempDir } from '../helpers/tmp.js';
import { RATES, toyTree, writeTree } from './toy-tree.js';

const bin = join(repoRoot, 'dist', 'cli', 'ficus.js');
const toy = join(repoRoot, 'dist', 'test', 'analyzers', 'toy-frontend.js');
const validateRules = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(
  JSON.parse(readFileSync(join(repoRoot, 'specs', 'rules.schema.json'), 'utf8')) as object,
);

function ficus(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, 'analyze', ...args], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('ficus analyze end to end: writes the contract, exit 0, summary on stdout, cache in .ficus/ficus.db', async (t) => {
  const root = toyTree(t);
  const args = ['src', '--out', 'out', '--copybooks', 'copy', '--frontend', toy];
  const r = ficus(args, root);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'no progress when stderr is not a terminal');
  assert.match(r.stdout, /^ficus analyze: 2 files \(2 analyzed, 0 cached, 0 failed\), 1 ignored; 2 programs, 4 rules, 2 operations; diagnostics: 0 errors, 0 warnings, 0 info → out\n$/);
  assert.ok(existsSync(join(root, '.ficus', 'ficus.db')));
  const rules = JSON.parse(readFileSync(join(root, 'out', 'rules.json'), 'utf8')) as unknown;
  assert.ok(validateRules(rules), JSON.stringify(validateRules.errors));
  const res = await new Validator().validate(readFileSync(join(root, 'out', 'openapi.yaml'), 'utf8'));
  assert.equal(res.valid, true, JSON.stringify(res.errors));
  assert.match(readFileSync(join(root, 'out', 'report.md'), 'utf8'), /## Call graph/);

  const before = readFileSync(join(root, 'out', 'rules.json'), 'utf8');
  const again = ficus(args, root);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /\(0 analyzed, 2 cached, 0 failed\)/);
  assert.equal(readFileSync(join(root, 'out', 'rules.json'), 'utf8'), before, 'byte-identical from the cache');

  const fresh = ficus([...args, '--no-cache'], root);
  assert.match(fresh.stdout, /\(2 analyzed, 0 cached, 0 failed\)/);
});

test('the store path comes from the config file when there is one', (t) => {
  const root = toyTree(t);
  writeFileSync(join(root, 'ficus.yaml'), 'store:\n  path: state/elsewhere.db\nlog:\n  level: warn\n');
  const r = ficus(['src', '--out', 'out', '--copybooks', 'copy', '--frontend', toy], root);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(root, 'state', 'elsewhere.db')));
  assert.ok(!existsSync(join(root, '.ficus')));
  assert.equal(ficus(['src', '--out', 'out', '--frontend', toy, '--config', 'absent.yaml'], root).code, 2);
});

test('--exclude and analyze.exclude leave out matching files and directories', (t) => {
  const root = toyTree(t);
  // src holds loans.toy, rates/rates.toy and readme.txt.
  const r = ficus(['src', '--out', 'out', '--copybooks', 'copy', '--frontend', toy, '--exclude', 'rates'], root);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ficus analyze: 1 file \(1 analyzed, 0 cached, 0 failed\), 1 ignored;/);
  writeFileSync(join(root, 'ficus.yaml'), 'analyze:\n  exclude: ["**/loans.toy"]\nlog:\n  level: warn\n');
  const both = ficus(['src', '--out', 'out2', '--copybooks', 'copy', '--frontend', toy, '--exclude', 'rates/**'], root);
  assert.equal(both.code, 2, 'everything excluded: nothing to analyze');
  const cfgOnly = ficus(['src', '--out', 'out3', '--copybooks', 'copy', '--frontend', toy], root);
  assert.equal(cfgOnly.code, 0, cfgOnly.stderr);
  assert.match(cfgOnly.stdout, /^ficus analyze: 1 file \(1 analyzed, 0 cached, 0 failed\), 2 ignored;/);
  const rules = JSON.parse(readFileSync(join(root, 'out3', 'rules.json'), 'utf8')) as { sources: { path: string }[] };
  assert.deepEqual(rules.sources.map((x) => x.path), ['rates/rates.toy']);
});

test('a frontend that throws on one file: diagnostic, the rest analyzed, exit 0', (t) => {
  const root = writeTree(t, { 'src/a.toy': 'program A\nthrow\n', 'src/b.toy': RATES });
  const r = ficus(['src', '--out', 'out', '--frontend', toy], root);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /2 files \(1 analyzed, 0 cached, 1 failed\).*1 error/);
  const doc = JSON.parse(readFileSync(join(root, 'out', 'rules.json'), 'utf8')) as { diagnostics: { path: string; line: number; severity: string }[]; programs: unknown[] };
  assert.deepEqual(doc.diagnostics.map((d) => [d.path, d.line, d.severity]), [['a.toy', 2, 'error']]);
  assert.equal(doc.programs.length, 1);
});

test('a missing path: exit 2, one line naming it, nothing written', (t) => {
  const root = toyTree(t);
  const r = ficus(['src', 'no/such/dir', '--out', 'out', '--frontend', toy], root);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^ficus: path not found or unreadable: no\/such\/dir \(ENOENT\) \[FICUS_AN_PATH_INVALID\]\n$/);
  assert.ok(!existsSync(join(root, 'out')));
  assert.match(ficus(['src', '--out', 'out', '--copybooks', 'nocopy', '--frontend', toy], root).stderr, /--copybooks directory .*nocopy/);
});

test('nothing in a supported language: exit 2, one line', (t) => {
  const root = writeTree(t, { 'docs/a.txt': 'hello\n', 'docs/b.md': '# hi\n' });
  const r = ficus(['docs', '--out', 'out', '--frontend', toy], root);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^ficus: nothing to analyze in docs: 2 files found, none in a supported language \(toy.*\) \[FICUS_AN_NO_INPUT\]\n$/);
  assert.ok(!existsSync(join(root, 'out')));
});

test('a --frontend module that is not a frontend: exit 2', (t) => {
  const root = toyTree(t);
  writeFileSync(join(root, 'notfe.mjs'), 'export const x = 1;\n');
  const r = ficus(['src', '--out', 'out', '--frontend', './notfe.mjs'], root);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /FICUS_AN_FRONTEND_INVALID/);
});

test('--progress draws files done/total on stderr; --quiet silences it', (t) => {
  const root = toyTree(t);
  const shown = ficus(['src', '--out', 'out', '--copybooks', 'copy', '--frontend', toy, '--progress'], root);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stderr, /\r\[#+\] 2\/2 files/);
  assert.match(shown.stderr, /\n$/);
  const quiet = ficus(['src', '--out', 'out', '--copybooks', 'copy', '--frontend', toy, '--progress', '--quiet'], root);
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stderr, '');
  assert.match(quiet.stdout, /^ficus analyze: 2 files/, 'the summary still prints');
});

test('the progress bar throttles redraws but always draws the last state', () => {
  let out = '';
  let clock = 0;
  const bar = createProgressBar({ stream: { write: (s: string) => (out += s) }, columns: 60, intervalMs: 100, now: () => clock });
  for (let i = 1; i <= 50; i++) {
    clock += 1;
    bar.update(i, 50, `f${i}`);
  }
  bar.finish();
  const frames = out.split('\r').filter(Boolean);
  assert.ok(frames.length <= 3, `${frames.length} redraws`);
  assert.match(frames.at(-1)!, /^\[#{24}\] 50\/50 files {2}f50\x1b\[K\n$/);
});

const cobolFrontend = join(repoRoot, 'dist', 'analyzers', 'cobol', 'index.js');
const cobolFixtures = join(repoRoot, 'test', 'fixtures', 'cobol');
test('ficus analyze on the COBOL fixtures with the built-in frontends', async (t) => {
  assert.ok(existsSync(cobolFrontend), 'the COBOL frontend is built');
  const out = join(tempDir(t), 'out');
  // Each fixture folder may keep its copybooks in a `copybooks/` subfolder.
  const copybooks = [cobolFixtures, ...readdirSync(cobolFixtures).map((d) => join(cobolFixtures, d))]
    .map((d) => join(d, 'copybooks'))
    .filter((d) => existsSync(d));
  const r = ficus([cobolFixtures, '--out', out, ...copybooks.flatMap((d) => ['--copybooks', d])], tempDir(t));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ficus analyze: \d+ files \(\d+ analyzed, 0 cached, 0 failed\)/);
  const rules = JSON.parse(readFileSync(join(out, 'rules.json'), 'utf8')) as { sources: { language: string }[]; rules: unknown[] };
  assert.ok(validateRules(rules), JSON.stringify(validateRules.errors));
  assert.ok(rules.sources.length > 0 && rules.sources.every((s) => s.language === 'cobol'));
  assert.ok(rules.rules.length > 0);
  const res = await new Validator().validate(readFileSync(join(out, 'openapi.yaml'), 'utf8'));
  assert.equal(res.valid, true, JSON.stringify(res.errors));
  const spec = parse(readFileSync(join(out, 'openapi.yaml'), 'utf8')) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
  // The CICS web-service assistant job in the tree names the program's URI (Frontend.prepare).
  assert.ok(spec.paths['/customers/credit-inquiry'], Object.keys(spec.paths).join(', '));
  // Record layouts land in components.schemas, with their evidence.
  assert.ok(spec.components.schemas['LOANAPRV.WS-WORK'], Object.keys(spec.components.schemas).join(', '));
  assert.ok(Array.isArray((spec.components.schemas['LOANAPRV.WS-WORK'] as Record<string, unknown>)['x-ficus-evidence']));
});
