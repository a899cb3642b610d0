/**
 * The lifecycle of a route's traffic mode — legacy → shadow → canary → modern, and back — as an
 * explicit transition table with guards. It owns what `percent` means in each mode, which moves are
 * allowed, who may make them (`actor`) and when a human approval is needed; `transition()` answers
 * every request with either the normalised next state or a sentence saying why not, and never
 * throws for a refused move. It decides only: applying the state, resetting the since-step
 * counters and auditing the reason are the caller's job.
 */

/**
 * How a route's traffic is served:
 * - `legacy`: proxied to legacy only;
 * - `shadow`: the client gets legacy; modern is called too and the responses compared;
 * - `canary`: `percent`% of requests are served by modern, the rest as in shadow;
 * - `modern`: served by modern; legacy is still called for a sample to keep comparing.
 */
export type RouteMode = 'legacy' | 'shadow' | 'canary' | 'modern';

/** Every {@link RouteMode}, from least to most modern exposure. */
export const routeModes: readonly RouteMode[] = Object.freeze(['legacy', 'shadow', 'canary', 'modern']);

/** A route's mode and the percentage of its client traffic served by modern. */
export interface ModeState {
  mode: RouteMode;
  percent: number;
}

/**
 * The percent each mode allows, inclusive: legacy and shadow serve nothing from modern (0),
 * canary serves a strict part (1..99; fractions allowed), modern serves everything (100).
 */
export const percentRange: Readonly<Record<RouteMode, Readonly<{ min: number; max: number }>>> = Object.freeze({
  legacy: Object.freeze({ min: 0, max: 0 }),
  shadow: Object.freeze({ min: 0, max: 0 }),
  canary: Object.freeze({ min: 1, max: 99 }),
  modern: Object.freeze({ min: 100, max: 100 }),
});

/** Who asks for a transition; guards restrict the automatic actors to one direction. */
export type TransitionActor = 'admin' | 'promotion' | 'config' | 'breach';

/** A request to move a route to another mode/percent. */
export interface TransitionRequest {
  mode: RouteMode;
  /** Required for canary; may be omitted for the other modes (normalised to 0 or 100). */
  percent?: number;
  /** Why, for the audit log; must not be blank. */
  reason: string;
  actor: TransitionActor;
  /** A human approved this move; needed to raise modern traffic to `approvalAt`% or more. */
  approved?: boolean;
}

/** The answer to a {@link TransitionRequest}. */
export type TransitionResult = { ok: true; next: ModeState } | { ok: false; reason: string };

/** Settings of the guards. */
export interface TransitionOptions {
  /**
   * Raising modern traffic to this percent or more needs `approved: true`; default 100 (going
   * fully modern). Set above 100 to never require approval.
   */
  approvalAt?: number;
}

/** Default {@link TransitionOptions.approvalAt}. */
export const DEFAULT_APPROVAL_AT = 100;

/**
 * Fills in and checks `percent` for a mode: omitted means the mode's only value (legacy/shadow 0,
 * modern 100); canary needs an explicit percent in 1..99.
 */
export function normalizeState(mode: RouteMode, percent?: number): { ok: true; state: ModeState } | { ok: false; reason: string } {
  // Modes may arrive from an admin request body at run time; refuse anything not in the table.
  if (!Object.hasOwn(percentRange, mode)) return { ok: false, reason: `unknown mode ${JSON.stringify(mode)}` };
  const range = percentRange[mode];
  if (percent === undefined) {
    if (range.min !== range.max) return { ok: false, reason: `${mode} needs a percent in ${range.min}..${range.max}` };
    return { ok: true, state: { mode, percent: range.min } };
  }
  if (!Number.isFinite(percent) || percent < range.min || percent > range.max) {
    const allowed = range.min === range.max ? `must be ${range.min}` : `out of range ${range.min}..${range.max}`;
    return { ok: false, reason: `percent ${percent} ${allowed} for ${mode}` };
  }
  return { ok: true, state: { mode, percent } };
}

/** What a guard sees. */
interface GuardContext {
  from: ModeState;
  to: ModeState;
  actor: TransitionActor;
  approved: boolean;
  approvalAt: number;
}

/** A guard returns why the move is refused, or `null` to allow it. */
type Guard = (ctx: GuardContext) => string | null;

const arrow = (ctx: GuardContext): string => `${ctx.from.mode} → ${ctx.to.mode}`;

/** Breach handling only ever reduces modern exposure. */
const notByBreach: Guard = (ctx) => (ctx.actor === 'breach' ? `${arrow(ctx)} raises modern exposure; a breach can only demote` : null);

/** Automatic promotion only ever raises modern exposure; rollbacks are for breaches and people. */
const notByPromotion: Guard = (ctx) => (ctx.actor === 'promotion' ? `${arrow(ctx)} lowers modern exposure; promotion only moves forward` : null);

/** Leaving legacy is an operator's decision, never an automatic one. */
const operatorOnly: Guard = (ctx) =>
  ctx.actor === 'admin' || ctx.actor === 'config' ? null : `${arrow(ctx)} is an operator's choice (actor admin or config, got ${ctx.actor})`;

/** Raising modern traffic to approvalAt% or more needs a human's approval. */
const approvalAtThreshold: Guard = (ctx) =>
  ctx.to.percent >= ctx.approvalAt && ctx.to.percent > ctx.from.percent && !ctx.approved
    ? `${arrow(ctx)} at ${ctx.to.percent}% needs approval (approval required at ${ctx.approvalAt}% or more)`
    : null;

const raising: readonly Guard[] = Object.freeze([notByBreach, approvalAtThreshold]);
const lowering: readonly Guard[] = Object.freeze([notByPromotion]);
/** Emergency exit: anyone may send a route back to legacy at any time. */
const emergency: readonly Guard[] = Object.freeze([]);

/** canary → canary raises or lowers exposure depending on the percent. */
const canaryPercentChange: Guard = (ctx) => {
  const guards = ctx.to.percent > ctx.from.percent ? raising : lowering;
  for (const guard of guards) {
    const refused = guard(ctx);
    if (refused !== null) return refused;
  }
  return null;
};

/**
 * Allowed moves, from-mode → to-mode → guards (all must pass). A move that is not listed is
 * refused. Staying in the same state is handled before the table (an idempotent no-op).
 */
const transitions: Readonly<Record<RouteMode, Readonly<Partial<Record<RouteMode, readonly Guard[]>>>>> = Object.freeze({
  legacy: Object.freeze({ shadow: Object.freeze([operatorOnly]) }),
  shadow: Object.freeze({ legacy: emergency, canary: raising }),
  canary: Object.freeze({ legacy: emergency, shadow: lowering, canary: Object.freeze([canaryPercentChange]), modern: raising }),
  modern: Object.freeze({ legacy: emergency, shadow: lowering, canary: lowering }),
});

/**
 * Decides whether a route may move from `current` to the requested mode/percent. Never throws for
 * a refused move: the result says why, e.g. "canary → modern at 100% needs approval (approval
 * required at 100% or more)" or "percent 150 out of range 1..99 for canary".
 *
 * Rules: the table above (shadow → modern and legacy → canary/modern skip a stage and are
 * refused); actor `breach` may only lower exposure and `promotion` only raise it (promotion never
 * leaves legacy, which is an operator's choice); raising modern traffic to `approvalAt`% or more
 * needs `approved: true`, whoever asks; any actor may go to legacy. Requesting the current state
 * is accepted and returns it unchanged — callers compare `next` with `current` to know whether
 * anything changed (and only then reset since-step counters).
 */
export function transition(current: ModeState, request: TransitionRequest, options: TransitionOptions = {}): TransitionResult {
  if (typeof request.reason !== 'string' || request.reason.trim() === '') {
    return { ok: false, reason: 'a transition needs a reason for the audit log' };
  }
  const target = normalizeState(request.mode, request.percent);
  if (!target.ok) return target;
  const to = target.state;
  if (to.mode === current.mode && to.percent === current.percent) return { ok: true, next: to };

  const guards = Object.hasOwn(transitions, current.mode) ? transitions[current.mode][to.mode] : undefined;
  if (guards === undefined) {
    return { ok: false, reason: `${current.mode} → ${to.mode} is not allowed${skipHint(current.mode, to.mode)}` };
  }
  const ctx: GuardContext = {
    from: current,
    to,
    actor: request.actor,
    approved: request.approved === true,
    approvalAt: options.approvalAt ?? DEFAULT_APPROVAL_AT,
  };
  for (const guard of guards) {
    const refused = guard(ctx);
    if (refused !== null) return { ok: false, reason: refused };
  }
  return { ok: true, next: to };
}

function skipHint(from: RouteMode, to: RouteMode): string {
  if (from === 'shadow' && to === 'modern') return '; go through canary first';
  if (from === 'legacy') return '; go through shadow first';
  return '';
}
