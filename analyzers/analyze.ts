/**
 * The analysis run, language-neutral: walks the given paths, picks a frontend per file (the
 * first whose `accepts(path, head)` says yes), runs it, and collects the `FileAnalysis` results
 * in a stable order for `analyzers/output.ts`. It owns the incremental cache and the rule that
 * unparseable input never aborts a run: a frontend that throws becomes an `error` diagnostic for
 * that file and the other files are still analyzed.
 *
 * Cache key (component `analyzers` in the store): frontend language, analyzer version (the
 * frontend's `version` when it declares one, else the Ficus version, so upgrading Ficus
 * re-analyzes), the file's path relative to the root (results carry paths and path-derived rule
 * ids), a hash of the include search path, and the sha256 of the file's content. Every file the
 * frontend read through `context.readFile` (copybooks, includes; misses too) is recorded with
 * its sha256 (or "absent"); a cached entry is reused only when all of them still hash the same,
 * so editing a copybook re-analyzes the programs that copy it. A frontend that reads includes by
 * other means is keyed on its file's content alone.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import type { Logger } from '../core/logger.js';
import type { Migration, Store } from '../core/store.js';
import { AnalyzePathInvalidError, FrontendFailedError } from './errors.js';
import type { Diagnostic, Enrichment, FileAnalysis, Frontend, FrontendContext, TreeFile } from './model.js';

/** A frontend may declare the version of its analysis; bumping it invalidates its cached results. */
export type VersionedFrontend = Frontend & { readonly version?: string };

/** Store migrations of the `analyzers` component. */
export const analyzerMigrations: readonly Migration[] = Object.freeze([
  {
    component: 'analyzers',
    version: 1,
    description: 'analyzer result cache keyed by language, version, path and content hash',
    up: `CREATE TABLE analyzer_cache (
      key TEXT PRIMARY KEY,
      language TEXT NOT NULL,
      path TEXT NOT NULL,
      includes TEXT NOT NULL,
      result TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE INDEX analyzer_cache_path ON analyzer_cache (path)`,
  },
]);

/** Progress of a run: called once with `done: 0` when the total is known, then after each file. */
export interface AnalyzeProgress {
  done: number;
  total: number;
  /** The file just finished (relative to the root); absent on the first call. */
  path?: string;
}

export interface AnalyzeOptions {
  /** Files or directories to analyze; relative paths resolve against `cwd`. */
  paths: readonly string[];
  /** Output directory; skipped by the walk when it lies inside the analyzed tree. */
  out?: string;
  /** Directories searched for copybooks / includes. */
  includePaths?: readonly string[];
  /** Frontends in priority order; the first that accepts a file analyzes it. */
  frontends: readonly VersionedFrontend[];
  /** The store for the incremental cache (opened with `analyzerMigrations`); none: no cache. */
  store?: Store;
  progress?: (event: AnalyzeProgress) => void;
  logger?: Logger;
  /** Base for relative paths; defaults to `process.cwd()` at the edge that calls this. */
  cwd?: string;
  /** Version used in cache keys for frontends that declare none (the Ficus version). */
  toolVersion?: string;
  /**
   * Glob patterns (picomatch syntax, matched against paths relative to the analyzed root, POSIX
   * separators) of files and directories not to analyze: `legacy/tests/**`, `**\/*.generated.cs`.
   * A matching directory is not descended into. Excluded files count as skipped.
   */
  exclude?: readonly string[];
}

export interface AnalyzeSummary {
  /** Files accepted by a frontend. */
  files: number;
  /** Of those, analyzed in this run. */
  analyzed: number;
  /** Of those, taken from the cache. */
  cached: number;
  /** Of those, where the frontend threw (reported as diagnostics). */
  failed: number;
  /** Files no frontend accepts, ignored. */
  skipped: number;
  lines: number;
  languages: Record<string, number>;
  programs: number;
  rules: number;
  operations: number;
  diagnostics: { error: number; warning: number; info: number };
}

export interface AnalyzeResult {
  /** Absolute root every path in the results is relative to. */
  root: string;
  /** One entry per accepted file, sorted by path. */
  files: FileAnalysis[];
  summary: AnalyzeSummary;
  /** What the LLM layer added (analyzers/llm/enrich.ts); absent when it did not run. */
  enrichment?: Enrichment;
}

/**
 * Directory names never descended into: version control, and third-party or generated code a
 * service tree carries beside its own (npm, Composer `vendor/`, Python virtualenvs, Maven
 * `target/`, .NET `obj/`), whose routes and types are not the service's API.
 */
export const SKIP_DIRS: ReadonlySet<string> = new Set(['node_modules', '.git', '.hg', '.svn', 'vendor', 'bower_components', 'venv', '.venv', 'site-packages', '__pycache__', '.tox', '.mypy_cache', '.pytest_cache', 'target', 'obj', '.gradle', '.idea', '.vs']);
/** How much of a file `accepts` sees. */
const HEAD_BYTES = 4096;

interface Candidate {
  absolutePath: string;
  path: string;
  frontend: VersionedFrontend;
}

/** Runs the analysis. Throws `AnalyzePathInvalidError` for a missing path; everything else in a file becomes diagnostics. */
export async function analyze(options: AnalyzeOptions): Promise<AnalyzeResult> {
  const cwd = options.cwd ?? process.cwd();
  const { frontends, store, progress, logger } = options;
  const toolVersion = options.toolVersion ?? '0';
  if (options.paths.length === 0) throw new AnalyzePathInvalidError('(none given)', 'input');
  const inputs = options.paths.map((p) => {
    const absolute = resolve(cwd, p);
    try {
      return { given: p, absolute, stats: statSync(absolute) };
    } catch (err) {
      throw new AnalyzePathInvalidError(p, 'input', err);
    }
  });
  const includePaths = (options.includePaths ?? []).map((p) => {
    const absolute = resolve(cwd, p);
    let stats: Stats;
    try {
      stats = statSync(absolute);
    } catch (err) {
      throw new AnalyzePathInvalidError(p, 'copybooks', err);
    }
    if (!stats.isDirectory()) throw new AnalyzePathInvalidError(p, 'copybooks');
    return absolute;
  });
  const root = commonRoot(inputs.map((i) => (i.stats.isDirectory() ? i.absolute : dirname(i.absolute))));
  const excluded = options.exclude && options.exclude.length > 0 ? picomatch([...options.exclude], { dot: true }) : undefined;
  const isExcluded = (absolute: string): boolean => {
    if (!excluded) return false;
    const rel = toPosix(relative(root, absolute));
    // `dir` excludes the directory itself; `dir/**` matches it as well as what is under it.
    return rel !== '' && (excluded(rel) || excluded(`${rel}/`));
  };
  const outDir = options.out === undefined ? undefined : resolve(cwd, options.out);

  // Walk and classify first, so the progress total is known before the slow part.
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  const tree: TreeFile[] = [];
  let skipped = 0;
  const consider = (absolutePath: string): void => {
    if (seen.has(absolutePath)) return;
    seen.add(absolutePath);
    if (isExcluded(absolutePath)) {
      skipped++;
      return;
    }
    const path = toPosix(relative(root, absolutePath)) || basename(absolutePath);
    tree.push({ path, absolutePath, read: () => readText(absolutePath) });
    const frontend = pickFrontend(frontends, path, readHead(absolutePath), logger);
    if (frontend) candidates.push({ absolutePath, path, frontend });
    else skipped++;
  };
  const walk = (dir: string): void => {
    if (outDir !== undefined && dir === outDir) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      logger?.warn({ dir, err }, 'directory skipped: cannot be read');
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !isExcluded(p)) walk(p);
      } else if (entry.isFile()) {
        consider(p);
      } else if (entry.isSymbolicLink()) {
        // Linked files are analyzed; linked directories are not followed (no cycles).
        try {
          if (statSync(p).isFile()) consider(p);
        } catch {
          /* dangling link */
        }
      }
    }
  };
  for (const input of inputs) {
    if (input.stats.isDirectory()) walk(input.absolute);
    else consider(input.absolute);
  }
  candidates.sort((a, b) => compareStrings(a.path, b.path));

  const cache = store ? createCache(store) : undefined;
  const includesKey = sha256(includePaths.join('\0'));
  // Tree-wide facts a frontend wants (once per run); they change results, so they key the cache.
  tree.sort((a, b) => compareStrings(a.path, b.path));
  const prepared = new Map<VersionedFrontend, { extras: Record<string, unknown>; key: string }>();
  for (const frontend of new Set(candidates.map((c) => c.frontend))) {
    const extras = frontend.prepare ? frontend.prepare(tree) : {};
    prepared.set(frontend, { extras, key: sha256(JSON.stringify(extras)) });
  }
  const files: FileAnalysis[] = [];
  const frontendOf: VersionedFrontend[] = [];
  let analyzed = 0;
  let cached = 0;
  let failed = 0;
  progress?.({ done: 0, total: candidates.length });
  for (const [index, candidate] of candidates.entries()) {
    const { absolutePath, path, frontend } = candidate;
    const bytes = readFileSync(absolutePath);
    const text = decode(bytes);
    const source = { path, language: frontend.language, sha256: sha256(bytes), lines: countLines(text) };
    const { extras, key: preparedKey } = prepared.get(frontend)!;
    const key = sha256([frontend.language, frontend.version ?? toolVersion, path, includesKey, preparedKey, source.sha256].join('\0'));

    const hit = cache?.get(key);
    if (hit) {
      files.push(hit);
      cached++;
    } else {
      const reads = new Map<string, string | null>();
      const context: FrontendContext = Object.freeze({
        ...extras,
        root,
        includePaths: Object.freeze(includePaths.slice()),
        readFile(file: string): string | undefined {
          const absolute = isAbsolute(file) ? file : resolve(root, file);
          let content: Buffer | undefined;
          try {
            content = readFileSync(absolute);
          } catch {
            content = undefined;
          }
          reads.set(absolute, content === undefined ? null : sha256(content));
          return content === undefined ? undefined : decode(content);
        },
      });
      try {
        const result = await frontend.analyze({ path, absolutePath, text }, context);
        const normalized = normalize(result, source);
        files.push(normalized);
        analyzed++;
        cache?.put(key, frontend.language, path, reads, normalized);
      } catch (err) {
        const error = new FrontendFailedError(frontend.language, path, err);
        logger?.warn({ err, path, language: frontend.language }, 'analyzer frontend failed; reported as a diagnostic');
        files.push({
          source,
          programs: [],
          operations: [],
          rules: [],
          diagnostics: [{ path, line: error.line, severity: 'error', message: `${error.message} [${error.code}]` }],
        });
        failed++;
      }
    }
    frontendOf.push(frontend);
    progress?.({ done: index + 1, total: candidates.length, path });
  }

  // Cross-file joins (mounted prefixes, types declared elsewhere): per frontend, over its files.
  for (const frontend of new Set(frontendOf)) {
    if (!frontend.link) continue;
    const indexes = frontendOf.flatMap((f, i) => (f === frontend ? [i] : []));
    try {
      const linked = frontend.link(indexes.map((i) => files[i]!), { root });
      if (linked.length !== indexes.length) throw new Error(`link returned ${linked.length} results for ${indexes.length} files`);
      indexes.forEach((i, n) => {
        files[i] = normalize(linked[n]!, files[i]!.source);
      });
    } catch (err) {
      const first = files[indexes[0]!]!;
      const error = new FrontendFailedError(frontend.language, first.source.path, err);
      logger?.warn({ err, language: frontend.language }, 'analyzer frontend link step failed; reported as a diagnostic');
      first.diagnostics.push({ path: first.source.path, line: 1, severity: 'error', message: `cross-file step: ${error.message} [${error.code}]` });
    }
  }

  uniqueOperationIds(files, frontendOf);

  return { root, files, summary: summarize(files, { analyzed, cached, failed, skipped }) };
}

/**
 * Each frontend makes its operation ids unique among its own files; a run that mixes languages
 * can still hold the same id twice (`getUser` in a Java and a Python service). Later frontends'
 * ids get a numeric suffix, and the rules of that frontend that name the id follow it, so
 * openapi.yaml keeps every operation and each rule still points at its own.
 */
function uniqueOperationIds(files: FileAnalysis[], frontendOf: readonly VersionedFrontend[]): void {
  const used = new Set<string>();
  for (const frontend of new Set(frontendOf)) {
    const mine = files.filter((_, i) => frontendOf[i] === frontend);
    const renamed = new Map<string, string>();
    const own = new Set(mine.flatMap((f) => f.operations.map((op) => op.operationId)));
    for (const file of mine) {
      for (const op of file.operations) {
        if (!used.has(op.operationId)) continue;
        let n = 2;
        while (used.has(`${op.operationId}_${n}`) || own.has(`${op.operationId}_${n}`)) n++;
        own.add(`${op.operationId}_${n}`);
        renamed.set(op.operationId, `${op.operationId}_${n}`);
        op.operationId = `${op.operationId}_${n}`;
      }
    }
    for (const file of mine) {
      for (const op of file.operations) used.add(op.operationId);
      if (renamed.size > 0) for (const rule of file.rules) if (rule.operation !== null && renamed.has(rule.operation)) rule.operation = renamed.get(rule.operation)!;
    }
  }
}

function pickFrontend(frontends: readonly VersionedFrontend[], path: string, head: string, logger?: Logger): VersionedFrontend | undefined {
  for (const frontend of frontends) {
    try {
      if (frontend.accepts(path, head)) return frontend;
    } catch (err) {
      logger?.warn({ err, path, language: frontend.language }, 'frontend accepts() threw; treated as not accepting');
    }
  }
  return undefined;
}

/** The analysis as stored and output: the source facts are ours (hash, lines, relative path), never the frontend's. */
function normalize(result: FileAnalysis, source: FileAnalysis['source']): FileAnalysis {
  return {
    source: { ...source, language: typeof result?.source?.language === 'string' ? result.source.language : source.language },
    programs: Array.isArray(result?.programs) ? result.programs : [],
    operations: Array.isArray(result?.operations) ? result.operations : [],
    rules: Array.isArray(result?.rules) ? result.rules : [],
    diagnostics: Array.isArray(result?.diagnostics) ? result.diagnostics : [],
    ...(result?.schemas && typeof result.schemas === 'object' ? { schemas: result.schemas } : {}),
    ...(result?.facts !== undefined ? { facts: result.facts } : {}),
  };
}

function readText(absolutePath: string): string | undefined {
  try {
    return decode(readFileSync(absolutePath));
  } catch {
    return undefined;
  }
}

interface Cache {
  get(key: string): FileAnalysis | undefined;
  put(key: string, language: string, path: string, reads: Map<string, string | null>, result: FileAnalysis): void;
}

function createCache(store: Store): Cache {
  const select = store.db.prepare('SELECT includes, result FROM analyzer_cache WHERE key = ?');
  const upsert = store.db.prepare(
    `INSERT INTO analyzer_cache (key, language, path, includes, result, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET includes = excluded.includes, result = excluded.result, updated_at = excluded.updated_at`,
  );
  // Older entries of the same file and frontend are dropped so the cache does not grow with every edit.
  const prune = store.db.prepare('DELETE FROM analyzer_cache WHERE path = ? AND language = ? AND key <> ?');
  return {
    get(key) {
      const row = select.get(key) as { includes: string; result: string } | undefined;
      if (!row) return undefined;
      try {
        const includes = JSON.parse(row.includes) as [string, string | null][];
        for (const [file, hash] of includes) if (hashFile(file) !== hash) return undefined;
        return JSON.parse(row.result) as FileAnalysis;
      } catch {
        return undefined;
      }
    },
    put(key, language, path, reads, result) {
      const includes = [...reads.entries()].sort((a, b) => compareStrings(a[0], b[0]));
      store.db.transaction(() => {
        upsert.run(key, language, path, JSON.stringify(includes), JSON.stringify(result), new Date().toISOString());
        prune.run(path, language, key);
      })();
    },
  };
}

function hashFile(file: string): string | null {
  try {
    return sha256(readFileSync(file));
  } catch {
    return null;
  }
}

function summarize(files: FileAnalysis[], counts: { analyzed: number; cached: number; failed: number; skipped: number }): AnalyzeSummary {
  const summary: AnalyzeSummary = {
    files: files.length,
    ...counts,
    lines: 0,
    languages: {},
    programs: 0,
    rules: 0,
    operations: 0,
    diagnostics: { error: 0, warning: 0, info: 0 },
  };
  for (const f of files) {
    summary.lines += f.source.lines;
    summary.languages[f.source.language] = (summary.languages[f.source.language] ?? 0) + 1;
    summary.programs += f.programs.length;
    summary.rules += f.rules.length;
    summary.operations += f.operations.length;
    for (const d of f.diagnostics as Diagnostic[]) {
      if (d.severity in summary.diagnostics) summary.diagnostics[d.severity]++;
    }
  }
  return summary;
}

function readHead(file: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, n).toString('latin1');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** UTF-8 when the bytes are valid UTF-8, else Latin-1 (legacy sources often are), so a file always decodes. */
function decode(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** Lines as editors count them: a final newline does not start another line. */
export function countLines(text: string): number {
  if (text.length === 0) return 0;
  const breaks = text.match(/\r\n|\r|\n/g)?.length ?? 0;
  return /(\r\n|\r|\n)$/.test(text) ? breaks : breaks + 1;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Deepest directory containing every given directory. */
function commonRoot(dirs: string[]): string {
  let parts = dirs[0]!.split(sep);
  for (const d of dirs.slice(1)) {
    const other = d.split(sep);
    let i = 0;
    while (i < parts.length && i < other.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(sep) || sep;
}

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

/** Code-unit order, independent of locale, so output is byte-identical everywhere. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
