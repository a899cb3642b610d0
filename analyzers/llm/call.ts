/**
 * One LLM call the way the analyzers make it: looked up in the result cache first (a hit costs
 * nothing and makes no request), else priced in advance against the budget (refused when its
 * worst case would pass the limit), made through the client, logged in the ledger with its
 * tokens and cost, validated against the tool's schema, and cached only when valid. Failures
 * come back as values (`refused`, `failed`, `malformed`), never as throws, so one bad chunk never
 * stops a run; the caller decides what a failure means for the rest of the run.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { LlmOutputError } from '../errors.js';
import { costOf, maxCostOf, type Budget, type ModelPrice } from './budget.js';
import type { LlmClient, LlmUsage } from './client.js';
import type { Ledger } from './ledger.js';
import { PROMPT_VERSION, SYSTEM_PROMPT } from './prompts.js';

export type CallOutcome<T> =
  | { status: 'ok'; value: T; cached: boolean }
  | { status: 'refused'; maxCostUsd: number }
  | { status: 'not-cached' }
  | { status: 'failed'; error: Error }
  | { status: 'malformed'; error: LlmOutputError };

export interface CallSpec {
  purpose: 'enrich' | 'events';
  /** What is analyzed, e.g. `loan/LOANAPRV.cbl:1-132`. */
  subject: string;
  key: string;
  tool: { name: string; description: string; schema: Record<string, unknown> };
  user: string;
  /** Only look in the cache (after the run stopped): a miss is `not-cached`, no call is made. */
  cacheOnly?: boolean;
}

/** Totals of a run's calls. */
export interface CallTotals extends LlmUsage {
  calls: number;
  cached: number;
  /** null when the model has no price. */
  costUsd: number | null;
}

export interface Caller {
  call<T>(spec: CallSpec): Promise<CallOutcome<T>>;
  totals(): CallTotals;
}

export interface CallerOptions {
  client: LlmClient;
  budget: Budget;
  /** undefined: cost unknown (only allowed without a budget limit). */
  price: ModelPrice | undefined;
  ledger?: Ledger;
  runId: string;
  maxTokens: number;
}

const ajv = new Ajv2020({ allErrors: false, strict: false, allowUnionTypes: true });
const validators = new WeakMap<object, ValidateFunction>();

/** A caller bound to one client, budget, ledger and run. */
export function createCaller(options: CallerOptions): Caller {
  const { client, budget, price, ledger, runId, maxTokens } = options;
  const totals: CallTotals = { calls: 0, cached: 0, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: price ? 0 : null };
  return {
    totals: () => ({ ...totals }),
    async call<T>(spec: CallSpec): Promise<CallOutcome<T>> {
      const validate = validatorFor(spec.tool.schema);
      const hit = ledger?.cacheGet(spec.key);
      if (hit !== undefined && validate(hit)) {
        totals.cached++;
        return { status: 'ok', value: hit as T, cached: true };
      }
      if (spec.cacheOnly) return { status: 'not-cached' };
      const worst = price ? maxCostOf(SYSTEM_PROMPT.length + spec.user.length + JSON.stringify(spec.tool.schema).length, maxTokens, price) : 0;
      const reservation = budget.reserve(worst);
      if (!reservation) return { status: 'refused', maxCostUsd: worst };
      let usage: LlmUsage = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
      let attempts = 0;
      let outcome = 'ok';
      try {
        const result = await client.callTool({ system: SYSTEM_PROMPT, tool: spec.tool, user: spec.user, maxTokens });
        usage = result.usage;
        attempts = result.attempts;
        let problem = result.problem;
        if (problem === undefined && !validate(result.input)) problem = ajv.errorsText(validate.errors, { dataVar: 'input' });
        if (problem !== undefined) {
          outcome = 'malformed';
          return { status: 'malformed', error: new LlmOutputError(spec.subject, problem) };
        }
        ledger?.cachePut(spec.key, { model: client.model, promptVersion: PROMPT_VERSION, subject: spec.subject, result: result.input });
        return { status: 'ok', value: result.input as T, cached: false };
      } catch (err) {
        outcome = typeof (err as { code?: unknown }).code === 'string' ? String((err as { code: string }).code) : 'error';
        attempts = Number((err as { attempts?: unknown }).attempts ?? 1);
        return { status: 'failed', error: err instanceof Error ? err : new Error(String(err)) };
      } finally {
        const cost = price ? costOf(usage, price) : null;
        budget.settle(reservation, cost ?? 0);
        totals.calls++;
        totals.inputTokens += usage.inputTokens;
        totals.outputTokens += usage.outputTokens;
        totals.cacheCreationInputTokens += usage.cacheCreationInputTokens;
        totals.cacheReadInputTokens += usage.cacheReadInputTokens;
        if (totals.costUsd !== null && cost !== null) totals.costUsd += cost;
        ledger?.record({ runId, provider: client.provider, model: client.model, purpose: spec.purpose, subject: spec.subject, usage, costUsd: cost, attempts, outcome });
      }
    },
  };
}

function validatorFor(schema: object): ValidateFunction {
  let v = validators.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    validators.set(schema, v);
  }
  return v;
}
