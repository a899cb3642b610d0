/**
 * What the LLM adds to a run's results, after the parsers: titles and plain-language
 * explanations for parser rules, glossary entries for data names, additional rules (only when
 * grounded, see grounding.ts), operation summaries, and business-event names for tables. Parser
 * facts are never overwritten: LLM text goes into fields of its own (`title`, `explanation`,
 * an operation's `llm`), rules it adds carry `origin: "llm"`, and proposals that fail the
 * grounding check are counted and listed as unverified suggestions, never written as rules.
 * Work is split into chunks by file and paragraph (chunks.ts), made through a budgeted, cached,
 * logged caller (call.ts) with at most `concurrency` calls in flight.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '../../core/logger.js';
import type { AnalyzeResult } from '../analyze.js';
import { compareStrings } from '../analyze.js';
import { LlmAuthError, LlmBudgetInvalidError, LlmRequestError } from '../errors.js';
import type { Diagnostic, Enrichment, EventNameSuggestion, FileAnalysis, GlossaryEntry, Rule, UnverifiedSuggestion } from '../model.js';
import { createBudget, DEFAULT_PRICES, priceOf, type Budget, type ModelPrice } from './budget.js';
import { createCaller, type Caller, type CallOutcome } from './call.js';
import { chunkFile, splitLines, type Chunk } from './chunks.js';
import type { LlmClient } from './client.js';
import { checkGrounding, codeOf, unknownNames, type Proposal } from './grounding.js';
import type { Ledger } from './ledger.js';
import { ANALYSIS_SCHEMA, ANALYSIS_TOOL, chunkMessage, EVENTS_SCHEMA, EVENTS_TOOL, eventsMessage, PROMPT_VERSION } from './prompts.js';

export interface EnrichOptions {
  /** The model; undefined turns enrichment off (`offReason` says why). */
  client?: LlmClient;
  offReason?: string;
  ledger?: Ledger;
  /** USD per million tokens by model id prefix; defaults to `DEFAULT_PRICES`. */
  prices?: Readonly<Record<string, ModelPrice>>;
  /** Stop before spending more than this (USD); null or absent: no limit. */
  budgetUsd?: number | null;
  /** Calls in flight at once. */
  concurrency?: number;
  /** `max_tokens` of each answer. */
  maxTokens?: number;
  /** Largest request, in tokens, a chunk may make. */
  maxInputTokens?: number;
  runId?: string;
  logger?: Logger;
  /** Reads an analyzed file (relative path); defaults to reading it under `result.root`. */
  readSource?: (path: string) => string | undefined;
}

/** The `record_analysis` tool input (schema-valid). */
interface AnalysisAnswer {
  rules: { id: string; title: string; explanation: string }[];
  glossary: { name: string; meaning: string }[];
  proposals: Proposal[];
  operations: { operationId: string; summary: string; description?: string }[];
}

/** A table and the data-changing operations programs perform on it. */
export interface TableUse {
  table: string;
  operations: string[];
  programs: string[];
}

const CHARS_PER_TOKEN = 3;

/** The enrichment of a run: a new result (the input is not modified) with `enrichment` set. */
export async function enrich(result: AnalyzeResult, options: EnrichOptions = {}): Promise<AnalyzeResult> {
  const { client, ledger, logger } = options;
  if (!client) return { ...result, enrichment: offEnrichment(options.offReason ?? 'off') };
  const prices = options.prices ?? DEFAULT_PRICES;
  const price = priceOf(client.model, prices);
  const budgetUsd = options.budgetUsd ?? null;
  if (budgetUsd !== null && !price) throw new LlmBudgetInvalidError(client.model, Object.keys(prices));
  const maxTokens = options.maxTokens ?? 4096;
  const maxInputTokens = options.maxInputTokens ?? 30_000;
  const budget = createBudget(budgetUsd);
  const runId = options.runId ?? randomUUID();
  const caller = createCaller({ client, budget, price, ledger, runId, maxTokens });
  const readSource = options.readSource ?? ((p: string) => readText(resolve(result.root, p)));

  // Work items: every chunk of every file, in path and line order.
  const files = result.files.map((f) => ({ ...f, rules: f.rules.map((r) => ({ ...r })), operations: f.operations.map((o) => ({ ...o })), diagnostics: [...f.diagnostics] }));
  const sources = new Map<string, string[]>();
  const items: { file: FileAnalysis; chunk: Chunk; user: string; key: string }[] = [];
  // Room for the system prompt, the schema and the parser facts next to the code.
  const maxChars = Math.max(2_000, (maxInputTokens - 4_000) * CHARS_PER_TOKEN);
  for (const file of files) {
    const text = readSource(file.source.path);
    if (text === undefined) continue;
    sources.set(file.source.path, splitLines(text));
    for (const chunk of chunkFile(file, text, maxChars)) {
      const inChunk = (line: number | undefined): boolean => line !== undefined && line >= chunk.startLine && line <= chunk.endLine;
      const user = chunkMessage({
        path: chunk.path,
        language: chunk.language,
        startLine: chunk.startLine,
        endLine: chunk.endLine,
        lines: chunk.lines,
        programs: chunk.programs,
        rules: file.rules
          .filter((r) => r.evidence[0]?.path === file.source.path && inChunk(r.evidence[0]?.startLine))
          .map((r) => ({ id: r.id, kind: r.kind, statement: r.statement, fields: r.fields, startLine: r.evidence[0]!.startLine, endLine: r.evidence[0]!.endLine })),
        operations: file.operations
          .filter((o) => inChunk(o.evidence[0]?.startLine) || (chunk.startLine === 1 && !o.evidence.length))
          .map((o) => ({ operationId: o.operationId, summary: o.summary })),
      });
      const key = sha256([file.source.sha256, chunk.startLine, chunk.endLine, PROMPT_VERSION, client.model, sha256(user)].join('\0'));
      items.push({ file, chunk, user, key });
    }
  }

  const glossary = new Map<string, GlossaryEntry>();
  const unverified: UnverifiedSuggestion[] = [];
  const unanalyzed: string[] = [];
  let stopped: string | undefined;
  let rulesAdded = 0;
  let rulesExplained = 0;
  const outcomes: (CallOutcome<AnalysisAnswer> | { status: 'skipped'; why: string })[] = new Array(items.length);

  await mapLimit(items, Math.max(1, options.concurrency ?? 4), async (item, index) => {
    const subject = `${item.chunk.path}:${item.chunk.startLine}-${item.chunk.endLine}`;
    const stoppedBefore = stopped;
    const outcome = await caller.call<AnalysisAnswer>({
      purpose: 'enrich',
      subject,
      key: item.key,
      tool: { name: ANALYSIS_TOOL, description: 'Record titles, explanations, glossary entries, grounded rule proposals and operation summaries for the fenced code.', schema: ANALYSIS_SCHEMA as unknown as Record<string, unknown> },
      user: item.user,
      // After a stop, cached answers are still used (they cost nothing); nothing new is asked.
      cacheOnly: stoppedBefore !== undefined,
    });
    outcomes[index] = outcome.status === 'not-cached' ? { status: 'skipped', why: stoppedBefore ?? 'stopped' } : outcome;
    if (outcome.status === 'refused') stopped ??= `budget of $${fmtUsd(budgetUsd ?? 0)} reached`;
    if (outcome.status === 'failed' && (outcome.error instanceof LlmAuthError || outcome.error instanceof LlmRequestError)) {
      stopped ??= `${(outcome.error as LlmAuthError).code}`;
    }
  });

  // Apply answers in chunk order, so output does not depend on which call finished first.
  items.forEach((item, index) => {
    const outcome = outcomes[index]!;
    const { file, chunk } = item;
    const subject = `${chunk.path}:${chunk.startLine}-${chunk.endLine}`;
    const diag = (severity: Diagnostic['severity'], message: string, line = chunk.startLine): void => {
      file.diagnostics.push({ path: file.source.path, line, severity, message });
    };
    switch (outcome.status) {
      case 'skipped':
        unanalyzed.push(`${subject} (${outcome.why})`);
        return;
      case 'refused':
        unanalyzed.push(`${subject} (next call could cost up to $${fmtUsd(outcome.maxCostUsd)}; budget of $${fmtUsd(budgetUsd ?? 0)} would be exceeded)`);
        return;
      case 'failed':
        unanalyzed.push(`${subject} (${(outcome.error as { code?: string }).code ?? 'error'})`);
        diag('warning', `LLM enrichment skipped for lines ${chunk.startLine}-${chunk.endLine}: ${outcome.error.message} [${(outcome.error as { code?: string }).code ?? 'error'}]`);
        logger?.warn({ err: outcome.error, subject }, 'LLM call failed; chunk left unanalyzed');
        return;
      case 'malformed':
        unanalyzed.push(`${subject} (${outcome.error.code})`);
        diag('warning', `${outcome.error.message} [${outcome.error.code}]`);
        return;
      case 'not-cached':
        return;
      case 'ok':
        break;
    }
    const answer = outcome.value;
    const lines = sources.get(file.source.path) ?? [];
    const chunkCode = chunk.lines.map((l) => codeOf(l, chunk.language)).join('\n');

    const rulesById = new Map(file.rules.map((r) => [r.id, r]));
    for (const entry of answer.rules) {
      const rule = rulesById.get(entry.id);
      if (!rule || rule.origin !== 'parser') continue;
      const unknown = unknownNames(`${entry.title}\n${entry.explanation}`, chunkCode, chunk.language);
      if (unknown.length) {
        diag('info', `LLM explanation of rule ${rule.id} left out: it names ${unknown.join(', ')}, not in the code`, rule.evidence[0]?.startLine);
        continue;
      }
      if (rule.title === undefined) rulesExplained++;
      rule.title = entry.title.trim();
      rule.explanation = entry.explanation.trim();
    }

    for (const g of answer.glossary) {
      const name = g.name.trim();
      if (unknownNames(name, chunkCode, chunk.language).length || !name) continue;
      const entry = glossary.get(name.toUpperCase()) ?? { name, meaning: g.meaning.trim(), paths: [] };
      if (!entry.paths.includes(file.source.path)) entry.paths.push(file.source.path);
      glossary.set(name.toUpperCase(), entry);
    }

    for (const p of answer.proposals) {
      const check = checkGrounding(p, { path: file.source.path, language: file.source.language, lines, shownStart: chunk.startLine, shownEnd: chunk.endLine });
      if (!check.grounded) {
        unverified.push({ path: file.source.path, statement: p.statement, evidence: p.evidence.map((e) => ({ path: e.path, startLine: e.startLine, endLine: e.endLine })), reason: check.reason });
        continue;
      }
      const same = file.rules.find(
        (r) => r.evidence.length === check.evidence.length && r.evidence.every((e, i) => e.startLine === check.evidence[i]!.startLine && e.endLine === check.evidence[i]!.endLine),
      );
      if (same) continue; // restates a rule already there
      const owner = file.programs[0]?.name ?? file.source.path.replace(/^.*\//, '').replace(/\.[^.]*$/, '');
      const rule: Rule = {
        id: `${owner}-llm-${sha256([file.source.path, JSON.stringify(check.evidence), p.statement].join('\0')).slice(0, 12)}`,
        kind: p.kind,
        statement: p.statement.trim(),
        condition: p.condition ?? null,
        effects: [],
        fields: [...new Set(p.fields)],
        evidence: check.evidence,
        origin: 'llm',
        operation: null,
        title: p.title.trim(),
      };
      if (file.rules.some((r) => r.id === rule.id)) continue;
      file.rules.push(rule);
      rulesAdded++;
    }

    const opsById = new Map(file.operations.map((o) => [o.operationId, o]));
    for (const o of answer.operations) {
      const op = opsById.get(o.operationId);
      if (!op) continue;
      op.llm = { summary: o.summary.trim(), ...(o.description?.trim() ? { description: o.description.trim() } : {}) };
    }
  });

  // Business-event names for the tables the programs change: one more call.
  let events: EventNameSuggestion[] = [];
  const tables = tablesOf(files);
  if (tables.length) {
    if (stopped !== undefined) unanalyzed.push(`business events of ${tables.length} table${tables.length === 1 ? '' : 's'} (${stopped})`);
    else {
      const r = await suggestEventNames(tables, { caller, model: client.model });
      events = r.events;
      if (r.problem) unanalyzed.push(`business events of ${tables.length} table${tables.length === 1 ? '' : 's'} (${r.problem})`);
    }
  }

  const totals = caller.totals();
  const enrichment: Enrichment = {
    enabled: true,
    model: client.model,
    promptVersion: PROMPT_VERSION,
    glossary: [...glossary.values()].map((g) => ({ ...g, paths: g.paths.sort(compareStrings) })).sort((a, b) => compareStrings(a.name, b.name)),
    events,
    unverified,
    unanalyzed,
    usage: {
      calls: totals.calls,
      cachedChunks: totals.cached,
      chunks: items.length + (tables.length ? 1 : 0),
      inputTokens: totals.inputTokens,
      outputTokens: totals.outputTokens,
      cacheCreationInputTokens: totals.cacheCreationInputTokens,
      cacheReadInputTokens: totals.cacheReadInputTokens,
      costUsd: totals.costUsd,
      budgetUsd,
      rulesAdded,
      rulesExplained,
      rejected: unverified.length,
    },
  };
  const summary = { ...result.summary, rules: files.reduce((n, f) => n + f.rules.length, 0) };
  return { ...result, files, summary, enrichment };
}

/** The result of `suggestEventNames`. */
export interface EventNamesResult {
  events: EventNameSuggestion[];
  /** Set when no names could be had (budget, endpoint, malformed answer). */
  problem?: string;
}

/**
 * Business-event names for changes to tables (e.g. LOAN_DECISIONS + INSERT →
 * `LoanDecisionRecorded`), for the report and for `ficus bridge suggest`. Names for tables or
 * operations not asked about are dropped. Pass either a `caller` (within an enrichment run) or a
 * `client` (standalone: no budget limit unless given, cached when a `ledger` is given).
 */
export async function suggestEventNames(
  tables: readonly TableUse[],
  deps: { caller?: Caller; client?: LlmClient; model?: string; ledger?: Ledger; budget?: Budget; prices?: Readonly<Record<string, ModelPrice>>; maxTokens?: number },
): Promise<EventNamesResult> {
  const caller =
    deps.caller ??
    (deps.client
      ? createCaller({
          client: deps.client,
          budget: deps.budget ?? createBudget(null),
          price: priceOf(deps.client.model, deps.prices ?? DEFAULT_PRICES),
          ledger: deps.ledger,
          runId: randomUUID(),
          maxTokens: deps.maxTokens ?? 2048,
        })
      : undefined);
  if (!caller) throw new TypeError('suggestEventNames needs a caller or a client');
  const sorted = [...tables]
    .map((t) => ({ table: t.table, operations: [...new Set(t.operations)].sort(compareStrings), programs: [...new Set(t.programs)].sort(compareStrings) }))
    .sort((a, b) => compareStrings(a.table, b.table));
  if (!sorted.length) return { events: [] };
  const user = eventsMessage(sorted);
  const model = deps.model ?? deps.client?.model ?? '';
  const outcome = await caller.call<{ events: EventNameSuggestion[] }>({
    purpose: 'events',
    subject: `tables ${sorted.map((t) => t.table).join(', ')}`,
    key: sha256(['events', PROMPT_VERSION, model, sha256(user)].join('\0')),
    tool: { name: EVENTS_TOOL, description: 'Record business-event names for table changes.', schema: EVENTS_SCHEMA as unknown as Record<string, unknown> },
    user,
  });
  if (outcome.status === 'refused' || outcome.status === 'not-cached') return { events: [], problem: 'budget reached' };
  if (outcome.status === 'failed' || outcome.status === 'malformed') return { events: [], problem: String((outcome.error as { code?: string }).code ?? 'error') };
  const allowed = new Map(sorted.map((t) => [t.table, new Set(t.operations)]));
  const seen = new Set<string>();
  const events = outcome.value.events
    .filter((e) => allowed.get(e.table)?.has(e.operation))
    .filter((e) => !seen.has(`${e.table}\0${e.operation}`) && seen.add(`${e.table}\0${e.operation}`))
    .map((e) => ({ table: e.table, operation: e.operation, name: e.name, ...(e.description ? { description: e.description } : {}) }))
    .sort((a, b) => compareStrings(a.table, b.table) || compareStrings(a.operation, b.operation));
  return { events };
}

/** SQL tables the programs insert into, update or delete from. */
export function tablesOf(files: readonly FileAnalysis[]): TableUse[] {
  const byTable = new Map<string, TableUse>();
  for (const f of files) {
    for (const p of f.programs) {
      for (const d of p.dependencies ?? []) {
        if (d.kind !== 'sql') continue;
        const ops = d.operations.map((o) => o.toUpperCase()).filter((o) => o === 'INSERT' || o === 'UPDATE' || o === 'DELETE');
        if (!ops.length) continue;
        const t = byTable.get(d.target) ?? { table: d.target, operations: [], programs: [] };
        t.operations.push(...ops);
        t.programs.push(p.name);
        byTable.set(d.target, t);
      }
    }
  }
  return [...byTable.values()];
}

/** The enrichment record of a run without the LLM. */
export function offEnrichment(reason: string): Enrichment {
  return {
    enabled: false,
    reason,
    glossary: [],
    events: [],
    unverified: [],
    unanalyzed: [],
    usage: {
      calls: 0,
      cachedChunks: 0,
      chunks: 0,
      inputTokens: 0,
      outputTokens: 0,
      cacheCreationInputTokens: 0,
      cacheReadInputTokens: 0,
      costUsd: 0,
      budgetUsd: null,
      rulesAdded: 0,
      rulesExplained: 0,
      rejected: 0,
    },
  };
}

/** One line for stderr: `LLM claude-sonnet-4-5: 4 calls (2 of 6 answers from cache), 10,234 in / 1,200 out tokens ..., $0.0487; ...`. */
export function enrichmentLine(e: Enrichment): string {
  if (!e.enabled) return `LLM enrichment off (${e.reason ?? 'off'})`;
  const u = e.usage;
  const n = (x: number): string => x.toLocaleString('en-US');
  return (
    `LLM ${e.model}: ${u.calls} call${u.calls === 1 ? '' : 's'} (${u.cachedChunks} of ${u.chunks} answer${u.chunks === 1 ? '' : 's'} from cache), ` +
    `${n(u.inputTokens)} in / ${n(u.outputTokens)} out / ${n(u.cacheCreationInputTokens)} cache-write / ${n(u.cacheReadInputTokens)} cache-read tokens, ` +
    `${u.costUsd === null ? 'cost unknown (no price for the model)' : `$${fmtUsd(u.costUsd)}`}${u.budgetUsd !== null ? ` of $${fmtUsd(u.budgetUsd)} budget` : ''}; ` +
    `${u.rulesExplained} rules explained, ${u.rulesAdded} added, ${u.rejected} suggestions rejected as ungrounded` +
    (e.unanalyzed.length ? `; ${e.unanalyzed.length} left unanalyzed` : '')
  );
}

/** USD with 4 decimals (LLM calls cost fractions of a cent). */
export function fmtUsd(x: number): string {
  return x.toFixed(4);
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function readText(path: string): string | undefined {
  try {
    const bytes = readFileSync(path);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return bytes.toString('latin1');
    }
  } catch {
    return undefined;
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
