import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { analyze, analyzerMigrations, type AnalyzeProgress } from '../../analyzers/analyze.js';
import type { Frontend } from '../../analyzers/model.js';
import { openStore } from '../../core/store.js';
import { tempDir } from '../helpers/tmp.js';
import { createToyFrontend } from './toy-frontend.js';
import { LOANS, RATES, toyTree, writeTree } from './toy-tree.js';

function storeFor(t: TestContext) {
  const store = openStore({ path: join(tempDir(t), 'ficus.db'), migrations: analyzerMigrations });
  t.after(() => store.close());
  return store;
}

/** The toy frontend, counting the files it is asked to analyze. */
function countingToy(): { frontend: Frontend; analyzed: string[] } {
  const toy = createToyFrontend();
  const analyzed: string[] = [];
  const frontend: Frontend & { version: string } = {
    language: toy.language,
    version: toy.version,
    accepts: (p, h) => toy.accepts(p, h),
    analyze: (file, ctx) => {
      analyzed.push(file.path);
      return toy.analyze(file, ctx);
    },
  };
  return { frontend, analyzed };
}

test('walks directories, skips node_modules and .git, counts files no frontend accepts', async (t) => {
  const root = toyTree(t);
  const events: AnalyzeProgress[] = [];
  const result = await analyze({ paths: [join(root, 'src')], includePaths: [join(root, 'copy')], frontends: [createToyFrontend()], progress: (e) => events.push(e) });
  assert.equal(result.root, join(root, 'src'));
  assert.deepEqual(result.files.map((f) => f.source.path), ['loans.toy', 'rates/rates.toy']);
  assert.equal(result.summary.skipped, 1, 'readme.txt');
  assert.deepEqual(result.summary.languages, { toy: 2 });
  assert.equal(result.summary.rules, 4);
  assert.deepEqual(events.map((e) => `${e.done}/${e.total}`), ['0/2', '1/2', '2/2']);
});

test('a file given directly, and files from several paths, are relative to their common root', async (t) => {
  const root = toyTree(t);
  const result = await analyze({ paths: [join(root, 'src', 'loans.toy'), join(root, 'src', 'rates')], frontends: [createToyFrontend()] });
  assert.equal(result.root, join(root, 'src'));
  assert.deepEqual(result.files.map((f) => f.source.path), ['loans.toy', 'rates/rates.toy']);
});

test('incremental: a second run re-analyzes nothing; a changed file or copybook re-analyzes only what depends on it', async (t) => {
  const root = writeTree(t, { 'src/loans.toy': LOANS, 'src/rates.toy': RATES, 'src/other.toy': 'program OTHER\npara A\n', 'copy/LOANREC.toy': 'field AMOUNT\n' });
  const store = storeFor(t);
  const { frontend, analyzed } = countingToy();
  const opts = { paths: [join(root, 'src')], includePaths: [join(root, 'copy')], frontends: [frontend], store };

  const first = await analyze(opts);
  assert.equal(first.summary.analyzed, 3);
  assert.equal(first.summary.cached, 0);

  analyzed.length = 0;
  const second = await analyze(opts);
  assert.equal(second.summary.cached, 3);
  assert.equal(second.summary.analyzed, 0);
  assert.deepEqual(analyzed, []);
  assert.deepEqual(second.files, JSON.parse(JSON.stringify(first.files)));

  writeFileSync(join(root, 'src', 'rates.toy'), `${RATES}rule calculation WS-X := 1\n`);
  const third = await analyze(opts);
  assert.deepEqual(analyzed, ['rates.toy']);
  assert.equal(third.summary.cached, 2);
  assert.equal(third.summary.rules, first.summary.rules + 1);

  // loans.toy copies LOANREC: editing the copybook re-analyzes it, and only it.
  analyzed.length = 0;
  writeFileSync(join(root, 'copy', 'LOANREC.toy'), 'field AMOUNT\nfield TERM\n');
  const fourth = await analyze(opts);
  assert.deepEqual(analyzed, ['loans.toy']);
  const schema = fourth.files[0]!.operations[0]!.schemas!.ApplyLoanInput as { properties: Record<string, unknown> };
  assert.deepEqual(Object.keys(schema.properties), ['AMOUNT', 'TERM']);

  // Another include path can resolve other copybooks: not the same cache entry.
  analyzed.length = 0;
  await analyze({ ...opts, includePaths: [join(root, 'copy'), join(root, 'src')] });
  assert.deepEqual(analyzed.sort(), ['loans.toy', 'other.toy', 'rates.toy']);
});

test('a newer frontend version re-analyzes its files', async (t) => {
  const root = writeTree(t, { 'src/a.toy': 'program A\n' });
  const store = storeFor(t);
  const v1 = await analyze({ paths: [join(root, 'src')], frontends: [createToyFrontend()], store });
  assert.equal(v1.summary.analyzed, 1);
  const v2 = await analyze({ paths: [join(root, 'src')], frontends: [{ ...createToyFrontend(), version: '2' }], store });
  assert.equal(v2.summary.analyzed, 1);
  assert.equal(v2.summary.cached, 0);
});

test('a frontend that throws becomes an error diagnostic with its line; the other files are analyzed and nothing is cached for it', async (t) => {
  const root = writeTree(t, { 'src/a.toy': 'program A\npara X\nthrow\n', 'src/b.toy': RATES, 'src/c.toy': 'program C\nwhat is this\n' });
  const store = storeFor(t);
  const result = await analyze({ paths: [join(root, 'src')], frontends: [createToyFrontend()], store });
  assert.equal(result.summary.files, 3);
  assert.equal(result.summary.failed, 1);
  assert.equal(result.summary.analyzed, 2);
  assert.deepEqual(result.summary.diagnostics, { error: 1, warning: 1, info: 0 });
  const [failed] = result.files[0]!.diagnostics;
  assert.equal(failed!.path, 'a.toy');
  assert.equal(failed!.line, 3);
  assert.equal(failed!.severity, 'error');
  assert.match(failed!.message, /toy analyzer failed on a\.toy: .*FICUS_AN_FRONTEND_FAILED/);
  assert.equal(result.files[0]!.source.lines, 3, 'the failed file is still in the inventory');
  assert.equal(result.files[1]!.programs[0]!.name, 'RATES');

  const again = await analyze({ paths: [join(root, 'src')], frontends: [createToyFrontend()], store });
  assert.equal(again.summary.failed, 1, 'a failure is retried, not cached');
  assert.equal(again.summary.cached, 2);
});

test('a frontend whose accepts() throws is treated as not accepting', async (t) => {
  const root = writeTree(t, { 'src/a.toy': 'program A\n' });
  const bad: Frontend = { language: 'bad', accepts: () => { throw new Error('nope'); }, analyze: () => { throw new Error('unreachable'); } };
  const result = await analyze({ paths: [join(root, 'src')], frontends: [bad, createToyFrontend()] });
  assert.deepEqual(result.files.map((f) => f.source.language), ['toy']);
});

test('a missing path is refused with FICUS_AN_PATH_INVALID naming it', async (t) => {
  const root = tempDir(t);
  await assert.rejects(analyze({ paths: [join(root, 'absent')], frontends: [createToyFrontend()] }), { code: 'FICUS_AN_PATH_INVALID' });
  await assert.rejects(analyze({ paths: [root], includePaths: [join(root, 'nocopy')], frontends: [createToyFrontend()] }), { code: 'FICUS_AN_PATH_INVALID' });
});

test('third-party and build directories (vendor, venv, target, obj, __pycache__) are not analyzed', async (t) => {
  const root = toyTree(t);
  for (const dir of ['vendor/acme', '.venv/lib', 'target/generated-sources', 'obj/Debug', '__pycache__', 'src/rates/vendor']) {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, 'extra.toy'), 'program EXTRA\npara MAIN\n');
  }
  const result = await analyze({ paths: [root], includePaths: [join(root, 'copy')], frontends: [createToyFrontend()] });
  assert.deepEqual(result.files.map((f) => f.source.path).filter((p) => p.includes('extra')), []);
});
