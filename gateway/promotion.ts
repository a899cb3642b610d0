/**
 * The promotion policy of a route and the pure decision it implies: given the route's current
 * mode/percent and its `RouteStats`, `evaluate()` says whether to do nothing, step modern traffic
 * up to the next configured percent, wait for a human's approval, or demote back to shadow because
 * a breach (mismatches, modern errors, latency) was seen. It only decides; the caller applies a
 * decision through `transition()` in `modes.ts` (actor `promotion` for steps, `breach` for
 * demotions), then calls `stats.resetSinceStep()` and records the reason.
 */

import type { RouteStats } from './confidence.js';
import type { ModeState, RouteMode } from './modes.js';

/** When and how far a route's modern traffic may move on its own. */
export interface PromotionPolicy {
  /** Step automatically when the evidence allows; when false only breaches act (demotion). */
  auto: boolean;
  /** Modern-traffic percents to step through, ascending, in 1..100; 100 means mode `modern`. */
  steps: readonly number[];
  /** Minimum `stats.confidence()` (Wilson lower bound since the last step) to step. */
  targetMatchRate: number;
  /** Minimum compared samples (matches + mismatches) since the last step to step. */
  minSamples: number;
  /** A step to this percent or more becomes `await_approval`; keep in step with `transition()`'s `approvalAt`. */
  approvalAt: number;
  /** Demote when the recent mismatch rate exceeds this. */
  maxMismatchRate: number;
  /** Demote when the recent modern error rate exceeds this. */
  maxModernErrorRate: number;
  /** Demote when the p95 paired latency delta (modern − legacy, ms) exceeds this; `null` = off. */
  maxLatencyP95DeltaMs: number | null;
  /** Recent outcomes (and latency deltas, for the latency check) needed before any breach counts. */
  minRecentForBreach: number;
}

/** The default policy; spread it to override fields: `{ ...defaultPromotionPolicy, auto: true }`. */
export const defaultPromotionPolicy: Readonly<PromotionPolicy> = Object.freeze({
  auto: false,
  steps: Object.freeze([1, 5, 25, 50, 100]),
  targetMatchRate: 0.99,
  minSamples: 100,
  approvalAt: 100,
  maxMismatchRate: 0.05,
  maxModernErrorRate: 0.05,
  maxLatencyP95DeltaMs: null,
  minRecentForBreach: 20,
});

/** What `evaluate()` sees of a route. */
export interface PromotionState {
  mode: RouteMode;
  percent: number;
  /** An `await_approval` decision is outstanding; clear it when approved, refused or demoted. */
  pendingApproval: boolean;
}

/** The decision for a route; `reason` is a sentence with the figures behind it. */
export type Decision =
  | { action: 'none'; reason: string }
  | { action: 'step'; to: ModeState; reason: string }
  | { action: 'await_approval'; to: ModeState; reason: string }
  | { action: 'demote'; to: { mode: 'shadow'; percent: 0 }; reason: string };

const rate = (x: number): string => x.toFixed(4);

/** Every breach the stats show, as sentences; empty when there is none (or too little evidence). */
function breaches(stats: RouteStats, policy: Readonly<PromotionPolicy>): string[] {
  const found: string[] = [];
  const recent = stats.recentCount;
  if (recent >= policy.minRecentForBreach) {
    const mismatch = stats.recentMismatchRate();
    if (mismatch > policy.maxMismatchRate) {
      found.push(`recent mismatch rate ${rate(mismatch)} > ${policy.maxMismatchRate} over the last ${recent} outcomes`);
    }
    const errors = stats.recentModernErrorRate();
    if (errors > policy.maxModernErrorRate) {
      found.push(`recent modern error rate ${rate(errors)} > ${policy.maxModernErrorRate} over the last ${recent} outcomes`);
    }
  }
  // Only read the quantile when a limit is set: this runs after every compared request.
  const p95 = policy.maxLatencyP95DeltaMs !== null && stats.latencyCount >= policy.minRecentForBreach ? stats.latencyP95() : null;
  if (policy.maxLatencyP95DeltaMs !== null && p95 !== null && p95 > policy.maxLatencyP95DeltaMs) {
    found.push(`latency p95 delta ${p95.toFixed(1)} ms > ${policy.maxLatencyP95DeltaMs} ms over ${stats.latencyCount} paired requests`);
  }
  return found;
}

/** The mode/percent for a modern-traffic percent: 100 is `modern`, anything else `canary`. */
function stateFor(percent: number): ModeState {
  return percent >= 100 ? { mode: 'modern', percent: 100 } : { mode: 'canary', percent };
}

/**
 * Decides the next move for one route. In order:
 * 1. Breaches demote canary and modern routes to shadow at once: recent mismatch rate or recent
 *    modern error rate above its maximum (only once `minRecentForBreach` outcomes are in the recent
 *    ring), or p95 latency delta above its maximum (only once as many deltas are held). All breaches
 *    found are named in the reason. In shadow a breach holds promotion instead.
 * 2. Nothing else happens in legacy (leaving it is an operator's choice), in modern (the top), while
 *    an approval is pending, or when `policy.auto` is false.
 * 3. Otherwise, with at least `minSamples` compared samples since the last step and
 *    `stats.confidence()` ≥ `targetMatchRate`, move to the smallest step above the current percent
 *    (shadow counts as 0): `step`, or `await_approval` when that step is ≥ `approvalAt`.
 *
 * With the defaults note that the Wilson bound, not `minSamples`, is usually what binds: with no
 * mismatch at all it takes 381 compared samples to reach 0.99.
 */
export function evaluate(state: PromotionState, stats: RouteStats, policy: Readonly<PromotionPolicy> = defaultPromotionPolicy): Decision {
  const found = breaches(stats, policy);
  if (found.length > 0 && (state.mode === 'canary' || state.mode === 'modern')) {
    return { action: 'demote', to: { mode: 'shadow', percent: 0 }, reason: `demoting ${state.mode} ${state.percent}% to shadow: ${found.join('; ')}` };
  }
  if (state.mode === 'legacy') return { action: 'none', reason: 'legacy routes are not promoted automatically; an operator moves them to shadow' };
  if (state.mode === 'modern') return { action: 'none', reason: 'already fully modern' };
  if (state.pendingApproval) return { action: 'none', reason: 'waiting for approval' };
  if (!policy.auto) return { action: 'none', reason: 'automatic promotion is off' };
  if (found.length > 0) return { action: 'none', reason: `holding in shadow: ${found.join('; ')}` };

  const current = state.mode === 'shadow' ? 0 : state.percent;
  const next = policy.steps.filter((s) => s > current).reduce<number | null>((min, s) => (min === null || s < min ? s : min), null);
  if (next === null) return { action: 'none', reason: `no step above ${current}% in [${policy.steps.join(', ')}]` };

  const { matches, mismatches } = stats.sinceStep;
  const compared = matches + mismatches;
  if (compared < policy.minSamples) {
    return { action: 'none', reason: `${compared} compared samples since last step, need ${policy.minSamples}` };
  }
  const confidence = stats.confidence();
  if (confidence < policy.targetMatchRate) {
    return { action: 'none', reason: `confidence ${rate(confidence)} < ${policy.targetMatchRate} over ${compared} samples since last step` };
  }
  const to = stateFor(next);
  const evidence = `confidence ${rate(confidence)} ≥ ${policy.targetMatchRate} over ${compared} samples since last step`;
  if (next >= policy.approvalAt) {
    return { action: 'await_approval', to, reason: `${evidence}; ${to.mode} ${to.percent}% needs approval (approval required at ${policy.approvalAt}% or more)` };
  }
  return { action: 'step', to, reason: `${evidence}; stepping to ${to.mode} ${to.percent}%` };
}
