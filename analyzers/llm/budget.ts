/**
 * What LLM calls cost and how much a run may spend. Prices are USD per million tokens, per model
 * id prefix (the longest matching prefix wins, so `claude-sonnet-4-5-20250929` uses the
 * `claude-sonnet-4-5` entry); config (`analyze.llm.prices`) adds or overrides entries. A budget
 * is enforced before each call: the call's worst case (its input, estimated conservatively from
 * its size, all billed as a cache write, plus `max_tokens` of output) is reserved first and the
 * call is refused when the reservation would pass the limit; the actual cost replaces the
 * reservation when the call returns. So a run stops before exceeding the budget, never after.
 */
import type { LlmUsage } from './client.js';

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Writing the prompt cache (5-minute TTL), typically 1.25 × input. */
  cacheWrite: number;
  /** Reading the prompt cache, typically 0.1 × input. */
  cacheRead: number;
}

/**
 * Defaults from Anthropic's published prices (https://www.anthropic.com/pricing, checked 2025):
 * override in config when they change or for a gateway's own prices.
 */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze({
  'claude-opus-4-5': { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 },
  'claude-opus-4-1': { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  'claude-opus-4': { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  'claude-sonnet-4-5': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-sonnet-4': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-3-7-sonnet': { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  'claude-haiku-4-5': { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0.08 },
});

/** The price of a model: longest id prefix in the table, or undefined. */
export function priceOf(model: string, prices: Readonly<Record<string, ModelPrice>>): ModelPrice | undefined {
  let best: string | undefined;
  for (const key of Object.keys(prices)) if (model.startsWith(key) && (best === undefined || key.length > best.length)) best = key;
  return best === undefined ? undefined : prices[best];
}

/** Cost in USD of the tokens a call used. */
export function costOf(usage: LlmUsage, price: ModelPrice): number {
  return (
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      usage.cacheCreationInputTokens * price.cacheWrite +
      usage.cacheReadInputTokens * price.cacheRead) /
    1_000_000
  );
}

/**
 * Input tokens a request may use, an over-estimate: one token per 3 characters (code and
 * JSON tokenize denser than prose's ~4), plus a fixed allowance for the tool schema and framing.
 */
export function estimateInputTokens(chars: number): number {
  return Math.ceil(chars / 3) + 600;
}

/** Worst-case cost of a call: all input billed at the dearer of input and cache-write price, full `max_tokens` out. */
export function maxCostOf(inputChars: number, maxTokens: number, price: ModelPrice): number {
  return (estimateInputTokens(inputChars) * Math.max(price.input, price.cacheWrite) + maxTokens * price.output) / 1_000_000;
}

export interface Reservation {
  readonly amount: number;
}

/** A run's spending: reservations before calls, actual costs after. */
export interface Budget {
  readonly limitUsd: number | null;
  /** Reserves `amount` when spent + reserved + amount stays within the limit; else undefined (refused). */
  reserve(amount: number): Reservation | undefined;
  /** Replaces a reservation by what the call actually cost. */
  settle(reservation: Reservation, actual: number): void;
  spent(): number;
}

/** A budget of `limitUsd` (null: unlimited, costs still summed). */
export function createBudget(limitUsd: number | null): Budget {
  let spent = 0;
  let reserved = 0;
  return {
    limitUsd,
    reserve(amount) {
      if (limitUsd !== null && spent + reserved + amount > limitUsd) return undefined;
      reserved += amount;
      return { amount };
    },
    settle(reservation, actual) {
      reserved -= reservation.amount;
      spent += actual;
    },
    spent: () => spent,
  };
}
