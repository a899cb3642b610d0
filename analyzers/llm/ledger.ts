/**
 * The `llm` component of the store: a ledger of every call (model, purpose, token counts, cost,
 * attempts, outcome) and the result cache keyed by (file hash, chunk, prompt version, model), so
 * re-running on unchanged code makes no call at all. Only answers that passed schema validation
 * are cached; grounding is re-checked on every run (it is cheap and the sources may have moved).
 */
import type { Migration, Store } from '../../core/store.js';
import type { LlmUsage } from './client.js';

/** Store migrations of the `llm` component. */
export const llmMigrations: readonly Migration[] = Object.freeze([
  {
    component: 'llm',
    version: 1,
    description: 'LLM call ledger (tokens, cost) and result cache by file hash, prompt version and model',
    up: `CREATE TABLE llm_calls (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      run_id TEXT NOT NULL,
      at TEXT NOT NULL,
      provider TEXT NOT NULL,
      model TEXT NOT NULL,
      purpose TEXT NOT NULL,
      subject TEXT NOT NULL,
      input_tokens INTEGER NOT NULL,
      output_tokens INTEGER NOT NULL,
      cache_creation_input_tokens INTEGER NOT NULL,
      cache_read_input_tokens INTEGER NOT NULL,
      cost_usd REAL,
      attempts INTEGER NOT NULL,
      outcome TEXT NOT NULL
    );
    CREATE INDEX llm_calls_run ON llm_calls (run_id);
    CREATE TABLE llm_cache (
      key TEXT PRIMARY KEY,
      model TEXT NOT NULL,
      prompt_version TEXT NOT NULL,
      subject TEXT NOT NULL,
      result TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`,
  },
]);

/** One row of the ledger. */
export interface CallRecord {
  runId: string;
  provider: string;
  model: string;
  /** `enrich` or `events`. */
  purpose: string;
  /** What was analyzed, e.g. `loan/LOANAPRV.cbl:1-132`. */
  subject: string;
  usage: LlmUsage;
  costUsd: number | null;
  attempts: number;
  /** `ok`, `malformed`, or the error code. */
  outcome: string;
}

export interface Ledger {
  record(call: CallRecord): void;
  /** Calls of one run, oldest first. */
  calls(runId: string): CallRecord[];
  cacheGet(key: string): unknown;
  cachePut(key: string, entry: { model: string; promptVersion: string; subject: string; result: unknown }): void;
}

/** The ledger over an open store (opened with `llmMigrations`). */
export function createLedger(store: Store, options: { readCache?: boolean; writeCache?: boolean } = {}): Ledger {
  const { readCache = true, writeCache = true } = options;
  const db = store.db;
  const insert = db.prepare(
    `INSERT INTO llm_calls (run_id, at, provider, model, purpose, subject, input_tokens, output_tokens,
       cache_creation_input_tokens, cache_read_input_tokens, cost_usd, attempts, outcome)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const select = db.prepare('SELECT * FROM llm_calls WHERE run_id = ? ORDER BY id');
  const get = db.prepare('SELECT result FROM llm_cache WHERE key = ?');
  const put = db.prepare(
    `INSERT INTO llm_cache (key, model, prompt_version, subject, result, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET result = excluded.result, updated_at = excluded.updated_at`,
  );
  return {
    record(c) {
      insert.run(
        c.runId,
        new Date().toISOString(),
        c.provider,
        c.model,
        c.purpose,
        c.subject,
        c.usage.inputTokens,
        c.usage.outputTokens,
        c.usage.cacheCreationInputTokens,
        c.usage.cacheReadInputTokens,
        c.costUsd,
        c.attempts,
        c.outcome,
      );
    },
    calls(runId) {
      return (select.all(runId) as Record<string, unknown>[]).map((r) => ({
        runId: String(r.run_id),
        provider: String(r.provider),
        model: String(r.model),
        purpose: String(r.purpose),
        subject: String(r.subject),
        usage: {
          inputTokens: Number(r.input_tokens),
          outputTokens: Number(r.output_tokens),
          cacheCreationInputTokens: Number(r.cache_creation_input_tokens),
          cacheReadInputTokens: Number(r.cache_read_input_tokens),
        },
        costUsd: r.cost_usd === null ? null : Number(r.cost_usd),
        attempts: Number(r.attempts),
        outcome: String(r.outcome),
      }));
    },
    cacheGet(key) {
      if (!readCache) return undefined;
      const row = get.get(key) as { result: string } | undefined;
      if (!row) return undefined;
      try {
        return JSON.parse(row.result) as unknown;
      } catch {
        return undefined;
      }
    },
    cachePut(key, e) {
      if (!writeCache) return;
      put.run(key, e.model, e.promptVersion, e.subject, JSON.stringify(e.result), new Date().toISOString());
    },
  };
}
