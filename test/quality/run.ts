/**
 * `npm run quality`: measures `ficus analyze` on the issue 6 corpus (test/quality/corpus.json) and
 * prints, per project, operation recall and precision and query/header/path parameter recall
 * against the published spec, then the missed and extra operations. For each project present under
 * $FICUS_CORPUS (default /work/corpus; test/quality/fetch-corpus.sh makes it) it runs the built CLI,
 * `node dist/cli/ficus.js analyze <sourceDirs...> --out <dir> --no-cache --quiet --llm none`, in an
 * empty working directory (so no ficus.yaml is picked up), one project after another (2 cores are
 * shared), and compares `<dir>/openapi.yaml` with the project's REFERENCE.yaml (spec-recall.ts)
 * after the manifest's base, exclusions, codeOnly and parameterExclusions adjustments, which are
 * printed, never silent.
 *
 * A run where no frontend accepts the project's files (FICUS_AN_NO_INPUT) scores an empty
 * generated spec: 0 recall, as expected before the service frontends exist.
 *
 * Results are printed; the exit code says only whether the runs happened (0), unless `--check`
 * makes a project under the bar exit 1. Bad arguments or manifest: 2.
 *
 * Usage: npm run quality [-- [--check] [--verbose] [--keep DIR] [--json FILE] [--frontend MODULE]... [name...]]
 *   --keep DIR          keep each project's analyze output in DIR/<name>/ (openapi.yaml, report.md)
 *   --json FILE         write every comparison as JSON
 *   --frontend MODULE   passed on to `ficus analyze --frontend` (a frontend not yet registered)
 *   --verbose           list every missed/extra operation and parameter (default: the first 12)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { barFailures, ManifestInvalidError, validateManifest, type Bar, type CorpusManifest, type CorpusProject } from './corpus.js';
import { compareSpecs, formatRatio, readSpec, type ParameterScore, type SpecComparison } from './spec-recall.js';

/** A guard against a hung analyze, not a budget: the largest project takes seconds per frontend. */
const ANALYZE_TIMEOUT_MS = 15 * 60_000;
/** Lines of each missed/extra list shown without --verbose. */
const LIST_LIMIT = 12;

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const manifestPath = join(repoRoot, 'test', 'quality', 'corpus.json');
const cliPath = join(repoRoot, 'dist', 'cli', 'ficus.js');

type Outcome =
  | { status: 'absent'; why: string }
  | { status: 'measured'; analyze: string; seconds: number; comparison: SpecComparison; failures: string[]; stale?: string };

const EMPTY_SPEC = { openapi: '3.1.0', info: { title: 'nothing generated', version: '0' }, paths: {} };

function main(argv: string[]): number {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        check: { type: 'boolean' },
        verbose: { type: 'boolean' },
        keep: { type: 'string' },
        json: { type: 'string' },
        frontend: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    console.error(`quality: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    console.log('usage: npm run quality [-- [--check] [--verbose] [--keep DIR] [--json FILE] [--frontend MODULE]... [name...]]');
    return 0;
  }
  let manifest: CorpusManifest;
  try {
    manifest = validateManifest(JSON.parse(readFileSync(manifestPath, 'utf8')) as unknown);
  } catch (e) {
    console.error(`quality: ${manifestPath}: ${e instanceof Error ? e.message : String(e)}${e instanceof ManifestInvalidError ? ` [${e.code}]` : ''}`);
    return 2;
  }
  const unknown = positionals.filter((n) => !manifest.projects.some((p) => p.name === n));
  if (unknown.length) {
    console.error(`quality: not in test/quality/corpus.json: ${unknown.join(', ')} (known: ${manifest.projects.map((p) => p.name).join(', ')})`);
    return 2;
  }
  if (!existsSync(cliPath)) {
    console.error(`quality: ${cliPath} is missing: build first (npm run build)`);
    return 2;
  }
  const corpus = resolve(process.env.FICUS_CORPUS ?? '/work/corpus');
  const frontends = (values.frontend ?? []).map((m) => resolve(m));
  const keep = values.keep !== undefined ? resolve(values.keep) : undefined;
  const projects = manifest.projects.filter((p) => positionals.length === 0 || positionals.includes(p.name));

  console.log(`quality: corpus ${corpus}, ${projects.length} project${projects.length === 1 ? '' : 's'}, bar ${barText(manifest.bar)}`);
  const outcomes = new Map<string, Outcome>();
  for (const p of projects) {
    const outcome = measure(p, corpus, frontends, keep, manifest.bar);
    outcomes.set(p.name, outcome);
    if (outcome.status === 'measured') process.stderr.write(`quality: ${p.name}: ${outcome.analyze} (${outcome.seconds.toFixed(1)} s)\n`);
  }

  printTable(projects, outcomes);
  for (const p of projects) {
    const o = outcomes.get(p.name)!;
    if (o.status === 'measured') printDetails(p, o, values.verbose === true);
  }
  const absent = projects.filter((p) => outcomes.get(p.name)!.status === 'absent');
  if (absent.length) {
    console.log(`\nabsent (${absent.length}):`);
    for (const p of absent) console.log(`  ${p.name}: ${(outcomes.get(p.name) as { why: string }).why}`);
    const repos = [...new Set(absent.flatMap((p) => [p.repo, p.reference.repo]))];
    console.log(
      `  To get them: mirror ${repos.map((r) => `github:${r}`).join(' ')} (on this project's machines with the search tool's fetch; ` +
        `elsewhere \`git clone --mirror\` into $FICUS_MIRRORS/<owner>+<name>/repo), then run test/quality/fetch-corpus.sh ${absent.map((p) => p.name).join(' ')}`,
    );
  }
  if (values.json) {
    const results = projects.map((p) => ({ name: p.name, repo: p.repo, commit: p.commit, framework: p.framework, counted: !p.informational, ...outcomes.get(p.name)! }));
    writeFileSync(resolve(values.json), `${JSON.stringify({ bar: manifest.bar, results }, null, 2)}\n`);
    console.log(`\nquality: wrote ${resolve(values.json)}`);
  }
  const failing = projects.filter((p) => {
    const o = outcomes.get(p.name)!;
    return !p.informational && o.status === 'measured' && o.failures.length > 0;
  });
  return values.check && failing.length > 0 ? 1 : 0;
}

/** Runs analyze on one project and compares; never throws for a project's own trouble. */
function measure(p: CorpusProject, corpus: string, frontends: string[], keep: string | undefined, bar: Bar): Outcome {
  const root = join(corpus, p.name);
  const referenceFile = join(root, 'REFERENCE.yaml');
  if (!existsSync(referenceFile)) {
    return { status: 'absent', why: `${existsSync(root) ? `${root} has no REFERENCE.yaml` : `no ${root}`} (${p.repo}@${p.commit.slice(0, 12)}, reference ${p.reference.repo}:${p.reference.path})` };
  }
  const missingDirs = p.sourceDirs.filter((d) => !existsSync(join(root, d)));
  if (missingDirs.length) return { status: 'absent', why: `${root} lacks ${missingDirs.join(', ')}: extracted from another commit? run fetch-corpus.sh ${p.name} again` };
  const stamp = join(root, '.ficus-corpus');
  const stampText = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
  const stale = stampText === `${p.repo}@${p.commit}` ? undefined : `${root} was not extracted from ${p.repo}@${p.commit.slice(0, 12)} by fetch-corpus.sh (stamp: ${stampText || 'none'})`;

  const work = mkdtempSync(join(tmpdir(), `ficus-quality-${p.name}-`));
  const out = keep ? join(keep, p.name) : join(work, 'out');
  if (keep) rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const started = process.hrtime.bigint();
  const run = spawnSync(
    process.execPath,
    [cliPath, 'analyze', ...p.sourceDirs.map((d) => join(root, d)), '--out', out, '--no-cache', '--quiet', '--llm', 'none', ...frontends.flatMap((f) => ['--frontend', f])],
    { cwd: work, encoding: 'utf8', timeout: ANALYZE_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  try {
    let generated: unknown = EMPTY_SPEC;
    let analyze: string;
    const firstError = (run.stderr ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
    if (run.error) analyze = `analyze did not finish: ${run.error.message}`;
    else if (run.status === 0) {
      analyze = (run.stdout ?? '').trim().replace(/^ficus analyze: /, '');
      generated = readSpec(join(out, 'openapi.yaml'));
    } else if (run.status === 2 && /FICUS_AN_NO_INPUT/.test(run.stderr ?? '')) analyze = `no frontend accepts its files (${p.language}): empty spec`;
    else analyze = `analyze failed (exit ${run.status ?? run.signal}): ${firstError}`;
    const comparison = compareSpecs(generated, readSpec(referenceFile), {
      base: p.base.strip,
      ignoreCase: p.ignoreCase ?? false,
      exclude: p.exclusions.map((e) => e.operation),
      tolerate: p.codeOnly.map((e) => e.operation),
      excludeParameters: p.parameterExclusions.map((e) => {
        const [where, ...name] = e.parameter.split(' ');
        return { operation: e.operation, in: where as 'query' | 'header' | 'cookie', name: name.join(' ') };
      }),
    });
    return { status: 'measured', analyze, seconds, comparison, failures: barFailures(comparison, bar), ...(stale ? { stale } : {}) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function barText(bar: Bar): string {
  return `ops recall ≥ ${bar.operationRecall}, precision ≥ ${bar.operationPrecision}, query recall ≥ ${bar.queryRecall}, header recall ≥ ${bar.headerRecall}`;
}

function ratio(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(3);
}

/** `0.667 (2/3)`, and `of N` when missed operations hold more of them. */
function paramCell(p: ParameterScore): string {
  return `${ratio(p.recall)} (${p.matched}/${p.reference}${p.inReference > p.reference ? ` of ${p.inReference}` : ''})`;
}

function printTable(projects: readonly CorpusProject[], outcomes: ReadonlyMap<string, Outcome>): void {
  const header = ['project', 'framework', 'ref ops', 'ops recall', 'ops precision', 'query recall', 'header recall', 'path recall', 'bar'];
  const rows: string[][] = [];
  const total = { ref: 0, gen: 0, matched: 0 };
  const pooled = { query: [] as ParameterScore[], header: [] as ParameterScore[], path: [] as ParameterScore[] };
  for (const p of projects) {
    const o = outcomes.get(p.name)!;
    if (o.status === 'absent') {
      rows.push([p.name, p.framework, '', 'absent', '', '', '', '', '']);
      continue;
    }
    const c = o.comparison;
    rows.push([
      p.name,
      p.framework,
      String(c.operations.reference),
      ratio(c.operations.recall),
      ratio(c.operations.precision),
      paramCell(c.parameters.query),
      paramCell(c.parameters.header),
      paramCell(c.parameters.path),
      p.informational ? 'not counted' : o.failures.length ? 'FAIL' : 'PASS',
    ]);
    if (!p.informational) {
      total.ref += c.operations.reference;
      total.gen += c.operations.generated;
      total.matched += c.operations.matched;
      for (const l of ['query', 'header', 'path'] as const) pooled[l].push(c.parameters[l]);
    }
  }
  const share = (m: number, n: number) => (n === 0 ? null : m / n);
  const pool = (ps: readonly ParameterScore[]): ParameterScore => {
    const sum = (k: 'reference' | 'generated' | 'matched' | 'inReference') => ps.reduce((n, p) => n + p[k], 0);
    return { reference: sum('reference'), generated: sum('generated'), matched: sum('matched'), inReference: sum('inReference'), recall: share(sum('matched'), sum('reference')), precision: share(sum('matched'), sum('generated')) };
  };
  rows.push([
    'all counted',
    '(pooled)',
    String(total.ref),
    ratio(share(total.matched, total.ref)),
    ratio(share(total.matched, total.gen)),
    paramCell(pool(pooled.query)),
    paramCell(pool(pooled.header)),
    paramCell(pool(pooled.path)),
    '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(`\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}`);
  rows.forEach((r, i) => {
    if (i === rows.length - 1) console.log(line(widths.map((w) => '-'.repeat(w))));
    console.log(line(r));
  });
}

function printDetails(p: CorpusProject, o: Extract<Outcome, { status: 'measured' }>, verbose: boolean): void {
  const c = o.comparison;
  const op = c.operations;
  console.log(`\n## ${p.name} (${p.repo}@${p.commit.slice(0, 12)}, ${p.framework})`);
  console.log(`analyze: ${o.analyze}`);
  if (o.stale) console.log(`warning: ${o.stale}`);
  if (p.informational) console.log(`not counted: ${p.informational}`);
  console.log(`operations: recall ${formatRatio(op.recall, op.matched, op.reference)}, precision ${formatRatio(op.precision, op.matched, op.generated)}`);
  if (p.base.strip.length) console.log(`base stripped: ${p.base.strip.join(', ')}`);
  for (const e of p.exclusions) console.log(`excluded from the reference: ${e.operation} (${e.reason})`);
  for (const e of p.codeOnly) console.log(`tolerated when generated: ${e.operation} (${e.reason})`);
  if (op.unusedExclusions.length) console.log(`warning: exclusions that match no reference operation: ${op.unusedExclusions.join(', ')}`);
  if (op.conflictingTolerations.length) console.log(`warning: codeOnly entries that are in the reference: ${op.conflictingTolerations.join(', ')}`);
  for (const e of p.parameterExclusions) console.log(`parameter excluded from the reference: ${e.operation} ${e.parameter} (${e.reason})`);
  if (c.unusedParameterExclusions.length) console.log(`warning: parameterExclusions that match no reference parameter: ${c.unusedParameterExclusions.join(', ')}`);
  const list = (title: string, items: readonly string[]) => {
    if (!items.length) return;
    const shown = verbose ? items : items.slice(0, LIST_LIMIT);
    console.log(`${title} (${items.length}): ${shown.join(', ')}${shown.length < items.length ? `, … ${items.length - shown.length} more (--verbose)` : ''}`);
  };
  list('missed', op.missed);
  list('extra', op.extra);
  list('tolerated', op.tolerated);
  const params = (ps: SpecComparison['missedParameters']) => ps.filter((x) => x.in !== 'path').map((x) => `${x.operation} ${x.in} ${x.name}`);
  list('missed query/header/cookie parameters (on matched operations)', params(c.missedParameters));
  list('extra query/header/cookie parameters', params(c.extraParameters));
  list(
    'missed path parameters',
    c.missedParameters.filter((x) => x.in === 'path').map((x) => `${x.operation} ${x.name}`),
  );
}

process.exitCode = main(process.argv.slice(2));
