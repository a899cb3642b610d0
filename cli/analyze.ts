/**
 * `ficus analyze PATH... --out DIR`: runs the analyzer frontends over legacy sources and writes
 * the output contract (`openapi.yaml`, `rules.json`, `report.md`, see analyzers/output.ts).
 * Exit 0 when anything was analyzed, even with diagnostics; 2 when a path is bad or no file is
 * in a supported language; 1 on a runtime failure. Progress goes to stderr when it is a TTY or
 * `--progress` forces it, never with `--quiet`; the summary line goes to stdout.
 *
 * `--llm anthropic` adds the LLM layer (analyzers/llm/). It is never required: without
 * `ANTHROPIC_API_KEY` the run warns once on stderr (FICUS_AN_LLM_NO_KEY), goes on with the parsers
 * alone and exits 0, and report.md says enrichment was off. This is the only place the key and
 * `ANTHROPIC_BASE_URL` are read. With the LLM on, a cost summary line goes to stderr.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { analyze, analyzerMigrations, type AnalyzeSummary } from '../analyzers/analyze.js';
import { FrontendInvalidError, LlmBudgetInvalidError, LlmKeyMissingError, LlmOptionInvalidError, NothingToAnalyzeError } from '../analyzers/errors.js';
import { DEFAULT_PRICES, priceOf, type ModelPrice } from '../analyzers/llm/budget.js';
import { createAnthropicClient, type LlmClient } from '../analyzers/llm/client.js';
import { enrich, enrichmentLine } from '../analyzers/llm/enrich.js';
import { createLedger, llmMigrations } from '../analyzers/llm/ledger.js';
import { frontends as builtInFrontends } from '../analyzers/frontends.js';
import type { Frontend } from '../analyzers/model.js';
import { writeOutputs } from '../analyzers/output.js';
import { createLogger } from '../core/logger.js';
import { openStore, type Store } from '../core/store.js';
import { DEFAULT_CONFIG, loadCliConfig, type CliContext } from './context.js';
import { createProgressBar } from './progress.js';

/** `analyze.llm` in ficus.yaml (defaults from specs/config.schema.json). */
interface LlmConfig {
  provider?: 'none' | 'anthropic';
  model?: string;
  baseURL?: string;
  maxTokens?: number;
  maxInputTokens?: number;
  concurrency?: number;
  maxRetries?: number;
  retryBaseMs?: number;
  timeoutMs?: number;
  budgetUsd?: number;
  prices?: Record<string, { input: number; output: number; cacheWrite?: number; cacheRead?: number }>;
}

interface FicusConfig {
  store: { path: string };
  log: { level: string; redact: string[] };
  analyze?: { llm?: LlmConfig; exclude?: string[] };
}

/** The default model: a current Sonnet-class model. */
export const DEFAULT_LLM_MODEL = 'claude-sonnet-4-5';

interface AnalyzeCliOptions {
  out: string;
  copybooks: string[];
  frontend: string[];
  quiet?: boolean;
  progress?: boolean;
  cache: boolean;
  exclude: string[];
  config?: string;
  llm?: string;
  llmModel?: string;
  budgetUsd?: string;
  llmConcurrency?: string;
}

/** Store used when no config file names one (the config schema's default). */
export const DEFAULT_STORE_PATH = '.ficus/ficus.db';

export interface AnalyzeCommandOptions {
  /** Built-in frontends; `--frontend` modules are tried before them. */
  frontends?: readonly Frontend[];
}

/** Builds the `analyze` registration; `registerAnalyze` is it with the built-in frontends. */
export function createAnalyzeCommand(options: AnalyzeCommandOptions = {}): (program: Command, ctx: CliContext) => void {
  const { frontends = builtInFrontends } = options;
  return (program, ctx) => {
    program
      .command('analyze')
      .description('analyze legacy code: business rules, OpenAPI spec, call graph and dependencies into --out')
      .argument('<paths...>', 'files or directories to analyze')
      .requiredOption('-o, --out <dir>', 'output directory for openapi.yaml, rules.json and report.md')
      .option('--copybooks <dir>', 'copybook / include directory (repeatable)', collect, [])
      .option('--exclude <glob>', 'do not analyze files or directories matching this glob, relative to the analyzed root (repeatable; added to analyze.exclude)', collect, [])
      .option('--frontend <module>', 'extra analyzer frontend module exporting a Frontend as default or `frontend` (repeatable)', collect, [])
      .option('--quiet', 'no progress output')
      .option('--progress', 'show progress even when stderr is not a terminal')
      .option('--no-cache', 'analyze every file again, ignoring and not updating the cache')
      .option('-c, --config <path>', `config file (default: ${DEFAULT_CONFIG} if present)`)
      .option('--llm <provider>', 'LLM enrichment: none or anthropic (needs ANTHROPIC_API_KEY; default: analyze.llm.provider, else none)')
      .option('--llm-model <id>', `model id (default: analyze.llm.model, else ${DEFAULT_LLM_MODEL})`)
      .option('--budget-usd <n>', 'stop LLM calls before spending more than this many US dollars in this run')
      .option('--llm-concurrency <n>', 'LLM calls in flight at once (default: analyze.llm.concurrency, else 4)')
      .action(async (paths: string[], opts: AnalyzeCliOptions) => {
        const config = readConfig(ctx, opts.config);
        const extra = await Promise.all(opts.frontend.map((m) => loadFrontend(resolve(ctx.cwd, m), m)));
        const all = [...extra, ...frontends];
        const logger = createLogger({ level: opts.quiet ? 'error' : config.log.level, redact: config.log.redact, base: { component: 'analyze' } });
        const stderr = ctx.stderr as { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
        const bar = !opts.quiet && (opts.progress || stderr.isTTY) ? createProgressBar({ stream: stderr, columns: stderr.columns ?? 80 }) : undefined;
        const llm = resolveLlm(opts, config.analyze?.llm ?? {}, ctx.env);
        if (llm.warning) ctx.stderr.write(`ficus analyze: warning: ${llm.warning.message} [${llm.warning.code}]\n`);
        let store: Store | undefined;
        try {
          if (opts.cache || llm.client) {
            store = openStore({ path: resolve(ctx.cwd, config.store.path), migrations: [...analyzerMigrations, ...llmMigrations], logger });
          }
          const version = packageVersion();
          const result = await analyze({
            paths,
            out: opts.out,
            includePaths: opts.copybooks,
            exclude: [...(config.analyze?.exclude ?? []), ...opts.exclude],
            frontends: all,
            ...(store && opts.cache ? { store } : {}),
            ...(bar ? { progress: (e) => e.total > 0 && bar.update(e.done, e.total, e.path) } : {}),
            logger,
            cwd: ctx.cwd,
            toolVersion: version,
          });
          if (bar && result.summary.files) bar.finish();
          if (result.summary.files === 0) {
            throw new NothingToAnalyzeError(paths, result.summary.skipped, [...new Set(all.map((f) => f.language))]);
          }
          const enriched = await enrich(result, {
            ...(llm.client ? { client: llm.client } : {}),
            offReason: llm.offReason,
            ...(store && llm.client ? { ledger: createLedger(store, { readCache: opts.cache, writeCache: opts.cache }) } : {}),
            prices: llm.prices,
            budgetUsd: llm.budgetUsd,
            concurrency: llm.concurrency,
            maxTokens: llm.maxTokens,
            maxInputTokens: llm.maxInputTokens,
            logger,
          });
          writeOutputs(resolve(ctx.cwd, opts.out), enriched, { toolVersion: version });
          if (enriched.enrichment?.enabled) ctx.stderr.write(`ficus analyze: ${enrichmentLine(enriched.enrichment)}\n`);
          ctx.stdout.write(`ficus analyze: ${summaryLine(enriched.summary)} → ${opts.out}\n`);
        } finally {
          store?.close();
          logger.flush();
        }
      });
  };
}

/** `ficus analyze` with the built-in frontends (analyzers/frontends.ts). */
export const registerAnalyze = createAnalyzeCommand();

/** `12 files (10 analyzed, 2 cached, 0 failed), 3 ignored; 4 programs, 30 rules, 2 operations; diagnostics: 0 errors, 1 warning, 0 info` */
export function summaryLine(s: AnalyzeSummary): string {
  const n = (count: number, word: string, plural = `${word}s`): string => `${count} ${count === 1 ? word : plural}`;
  return (
    `${n(s.files, 'file')} (${s.analyzed} analyzed, ${s.cached} cached, ${s.failed} failed), ${s.skipped} ignored; ` +
    `${n(s.programs, 'program')}, ${n(s.rules, 'rule')}, ${n(s.operations, 'operation')}; ` +
    `diagnostics: ${n(s.diagnostics.error, 'error')}, ${n(s.diagnostics.warning, 'warning')}, ${s.diagnostics.info} info`
  );
}

interface ResolvedLlm {
  client?: LlmClient;
  offReason: string;
  warning?: LlmKeyMissingError;
  prices: Record<string, ModelPrice>;
  budgetUsd: number | null;
  concurrency: number;
  maxTokens: number;
  maxInputTokens: number;
}

/** Options, config and environment → the LLM client (or why there is none). The only reader of ANTHROPIC_* variables. */
function resolveLlm(opts: AnalyzeCliOptions, cfg: LlmConfig, env: Readonly<Record<string, string | undefined>>): ResolvedLlm {
  const provider = opts.llm ?? cfg.provider ?? 'none';
  if (provider !== 'none' && provider !== 'anthropic') throw new LlmOptionInvalidError('--llm', provider, 'must be none or anthropic');
  const budgetUsd = opts.budgetUsd !== undefined ? Number(opts.budgetUsd) : (cfg.budgetUsd ?? null);
  if (budgetUsd !== null && (!Number.isFinite(budgetUsd) || budgetUsd < 0)) throw new LlmOptionInvalidError('--budget-usd', opts.budgetUsd, 'must be a number of US dollars, 0 or more');
  const concurrency = opts.llmConcurrency !== undefined ? Number(opts.llmConcurrency) : (cfg.concurrency ?? 4);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new LlmOptionInvalidError('--llm-concurrency', opts.llmConcurrency, 'must be a whole number, 1 or more');
  const prices: Record<string, ModelPrice> = { ...DEFAULT_PRICES };
  for (const [model, p] of Object.entries(cfg.prices ?? {})) {
    prices[model] = { input: p.input, output: p.output, cacheWrite: p.cacheWrite ?? p.input * 1.25, cacheRead: p.cacheRead ?? p.input * 0.1 };
  }
  const model = opts.llmModel ?? cfg.model ?? DEFAULT_LLM_MODEL;
  const base = { prices, budgetUsd, concurrency, maxTokens: cfg.maxTokens ?? 4096, maxInputTokens: cfg.maxInputTokens ?? 30_000 };
  if (provider === 'none') return { ...base, offReason: '--llm none' };
  const apiKey = env.ANTHROPIC_API_KEY;
  if (!apiKey) return { ...base, offReason: 'ANTHROPIC_API_KEY not set', warning: new LlmKeyMissingError() };
  if (budgetUsd !== null && !priceOf(model, prices)) throw new LlmBudgetInvalidError(model, Object.keys(prices));
  const baseURL = env.ANTHROPIC_BASE_URL || cfg.baseURL;
  const client = createAnthropicClient({
    apiKey,
    model,
    ...(baseURL ? { baseURL } : {}),
    maxRetries: cfg.maxRetries ?? 4,
    retryBaseMs: cfg.retryBaseMs ?? 1000,
    timeoutMs: cfg.timeoutMs ?? 120_000,
  });
  return { ...base, client, offReason: '' };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The named config, else `ficus.yaml` when present, else defaults (store `.ficus/ficus.db`). */
function readConfig(ctx: CliContext, file: string | undefined): FicusConfig {
  if (file !== undefined || existsSync(resolve(ctx.cwd, DEFAULT_CONFIG))) return loadCliConfig<FicusConfig>(ctx, file).config;
  return { store: { path: DEFAULT_STORE_PATH }, log: { level: 'warn', redact: [] }, analyze: { llm: {} } };
}

/** Imports a `--frontend` module and checks it exports something shaped like a Frontend. */
async function loadFrontend(absolute: string, given: string): Promise<Frontend> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (err) {
    throw new FrontendInvalidError(given, `cannot be imported (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`, err);
  }
  const candidate = (mod.default ?? mod.frontend) as Partial<Frontend> | undefined;
  if (!candidate || typeof candidate.language !== 'string' || typeof candidate.accepts !== 'function' || typeof candidate.analyze !== 'function') {
    throw new FrontendInvalidError(given, 'exports no frontend (need `default` or `frontend` with language, accepts(), analyze())');
  }
  return candidate as Frontend;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
