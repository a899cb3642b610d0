/**
 * One configured route at run time: its mode and percent, its statistics, its pending
 * approval, and the decisions that follow from them. Every mode change goes through the
 * transition table (`modes.ts`), is written to the audit log, persisted, and announced on
 * `ficus:gateway:mode`; promotion and demotion (`promotion.ts`) are evaluated after each
 * comparison. State survives restarts via `state.ts`.
 */
import { createHash } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import type { Logger } from '../core/logger.js';
import { compileRules, type CompareRules, type Difference } from './compare.js';
import { RouteStats, type NotComparedReason, type RouteStatsSnapshot, type Side } from './confidence.js';
import { TransitionRefusedError } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import { transition, type ModeState, type RouteMode, type TransitionActor } from './modes.js';
import type { RouteOptions } from './options.js';
import { evaluate } from './promotion.js';
import { IDEMPOTENT_READS } from './router.js';
import type { SpecViolationKind } from './spec-validator.js';
import type { GatewayState, PersistedRoute } from './state.js';

export const modeChannel = channel('ficus:gateway:mode');
export const mismatchChannel = channel('ficus:gateway:mismatch');
export const fallbackChannel = channel('ficus:gateway:fallback');

/** What to do with one client request on this route. */
export interface Decision {
  /** The side whose answer the client gets. */
  serve: 'legacy' | 'modern';
  /** Compare with the other side (the other side is called off the client's path). */
  compare: boolean;
  /** Why not compared, when the request was eligible but cannot be (counted as not_compared). */
  skip?: NotComparedReason;
  /** Also call legacy a second time to learn noise (A/A). */
  noise: boolean;
}

/** Live traffic against the spec (`gateway.specCheck`), per side; persisted with the route. */
export interface SpecCounters {
  /** Responses checked (body and status, or status only when nothing was captured). */
  checked: { legacy: number; modern: number };
  /** Violations found: per checked response at most one `status` or `schema`, plus one `request` on the serving side. */
  violations: { legacy: number; modern: number };
}

function restoreSpecCounters(saved: unknown): SpecCounters {
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  const s = (saved ?? {}) as { checked?: Record<string, unknown>; violations?: Record<string, unknown> };
  return {
    checked: { legacy: n(s.checked?.legacy), modern: n(s.checked?.modern) },
    violations: { legacy: n(s.violations?.legacy), modern: n(s.violations?.modern) },
  };
}

export interface RouteView {
  id: string;
  match: string;
  mode: RouteMode;
  modernPercent: number;
  samples: number;
  matches: number;
  mismatches: number;
  notCompared: number;
  notComparedByReason: Record<string, number>;
  errors: { legacy: number; modern: number };
  fallbacks: number;
  confidence: number;
  /** The 95 % Wilson interval since the last step; `lower` equals `confidence`. */
  confidenceInterval: { lower: number; upper: number };
  /** matches / (matches + mismatches) since the last step; null before any comparison. */
  matchRate: number | null;
  overallConfidence: number;
  latencyDeltaMs: { p50: number | null; p95: number | null };
  sinceStep: { requests: number; matches: number; mismatches: number; modernErrors: number };
  pendingApproval: { mode: RouteMode; percent: number; reason: string } | null;
  /** Responses checked against the spec, per side (zero without `gateway.specs`). */
  specChecked: { legacy: number; modern: number };
  /** Spec violations found, per side; `GET /api/routes/:id/spec-violations` lists the latest. */
  specViolations: { legacy: number; modern: number };
}

export interface RouteControllerDeps {
  options: RouteOptions;
  state: GatewayState;
  metrics: GatewayMetrics;
  logger: Logger;
  versionDecay: number;
  /** Random source in [0, 1), injectable for tests. */
  random?: () => number;
}

export class RouteController {
  readonly options: RouteOptions;
  mode: RouteMode;
  percent: number;
  pendingApproval: PersistedRoute['pendingApproval'];
  stats: RouteStats;
  versions: PersistedRoute['versions'];
  spec: SpecCounters;
  /** Compiled rules: the configured ones plus accepted noise paths. */
  rules: CompareRules;
  /** Every noise path the store holds for this route, whatever its status. */
  knownNoise: ReadonlySet<string> = new Set();
  /** Bumped each time `rules`/`knownNoise` are rebuilt, so copies elsewhere (the shadow worker) know they are stale. */
  rulesVersion = 0;
  private dirty = false;
  private readonly deps: RouteControllerDeps;
  private readonly random: () => number;
  private readonly idempotent: boolean;
  private readonly bound;

  constructor(deps: RouteControllerDeps) {
    this.deps = deps;
    this.options = deps.options;
    this.random = deps.random ?? Math.random;
    this.idempotent = this.options.methods.every((m) => IDEMPOTENT_READS.has(m));
    const { metrics } = deps;
    const id = this.options.id;
    this.bound = {
      servedLegacy: metrics.requests.labels(id, 'legacy'),
      servedModern: metrics.requests.labels(id, 'modern'),
      match: metrics.comparisons.labels(id, 'match'),
      mismatch: metrics.comparisons.labels(id, 'mismatch'),
      // Per comparison: a labels() lookup hashes the label values each time.
      latencyDelta: metrics.latencyDelta.labels(id),
    };

    const saved = deps.state.loadRoute(id);
    const o = this.options;
    // Spec-check counters describe the two services, not the route's step: kept across config changes.
    this.spec = restoreSpecCounters(saved?.spec);
    if (saved && saved.configMode === o.mode && saved.configPercent === o.percent) {
      // Restart: the store wins, so a promotion in progress resumes where it was.
      this.mode = saved.mode;
      this.percent = saved.percent;
      this.pendingApproval = saved.pendingApproval;
      this.stats = RouteStats.restore(saved.stats as RouteStatsSnapshot);
      this.versions = saved.versions;
    } else {
      this.mode = o.mode;
      this.percent = o.percent;
      this.pendingApproval = null;
      this.stats = saved ? RouteStats.restore(saved.stats as RouteStatsSnapshot) : new RouteStats();
      this.versions = saved?.versions ?? {};
      if (saved) this.stats.resetSinceStep();
      deps.state.audit({
        routeId: id,
        actor: 'config',
        action: saved ? 'config-changed' : 'created',
        from: saved ? { mode: saved.mode, percent: saved.percent } : null,
        to: { mode: o.mode, percent: o.percent },
        reason: saved ? `configuration now says ${o.mode} ${o.percent}%` : 'route configured',
      });
      this.persist();
    }
    this.rules = this.buildRules();
    this.publishGauges();
  }

  /** Decides who serves a request and whether it is compared. Hot path: no I/O. */
  decide(method: string, stickyKey: string | undefined): Decision {
    this.stats.recordRequest();
    this.dirty = true;
    const o = this.options;
    const safe = IDEMPOTENT_READS.has(method);
    const comparable = safe || o.shadowWrites === 'dry-run' || o.verify !== undefined;
    let serve: 'legacy' | 'modern' = 'legacy';
    let sample = o.sample;
    switch (this.mode) {
      case 'legacy':
        this.bound.servedLegacy.inc();
        return { serve: 'legacy', compare: false, noise: false };
      case 'shadow':
        break;
      case 'canary':
        if (this.bucket(stickyKey) < this.percent) serve = 'modern';
        break;
      case 'modern':
        serve = 'modern';
        sample = o.legacySample;
        break;
    }
    (serve === 'legacy' ? this.bound.servedLegacy : this.bound.servedModern).inc();
    // In canary, requests modern serves are not compared: the rest are shadowed.
    if (this.mode === 'canary' && serve === 'modern') return { serve, compare: false, noise: false };
    if (sample < 1 && this.random() >= sample) return { serve, compare: false, noise: false };
    if (!comparable || (serve === 'modern' && !safe)) return { serve, compare: false, skip: 'unsafe_method', noise: false };
    return { serve, compare: true, noise: safe && this.idempotent && o.noiseSample > 0 && this.random() < o.noiseSample };
  }

  /** 0..100: sticky clients hash to a fixed bucket, others draw at random. */
  private bucket(stickyKey: string | undefined): number {
    if (stickyKey === undefined) return this.random() * 100;
    const h = createHash('sha1').update(this.options.id).update('\0').update(stickyKey).digest();
    return (h.readUInt32BE(0) / 0x1_0000_0000) * 100;
  }

  recordComparison(match: boolean, deltaMs: number | undefined, differences: readonly Difference[]): void {
    if (match) {
      this.stats.recordMatch(deltaMs);
      this.bound.match.inc();
    } else {
      this.stats.recordMismatch(deltaMs);
      this.bound.mismatch.inc();
    }
    if (deltaMs !== undefined) this.bound.latencyDelta.observe(deltaMs);
    this.dirty = true;
    if (!match && mismatchChannel.hasSubscribers) mismatchChannel.publish({ route: this.options.id, differences });
    this.evaluatePromotion();
  }

  /** One side's response (and, on the serving side, the request) was checked against the spec; `kinds` are the violations found. */
  recordSpecCheck(side: Side, kinds: readonly SpecViolationKind[]): void {
    const { metrics } = this.deps;
    this.spec.checked[side]++;
    metrics.specChecks.labels(this.options.id, side).inc();
    for (const kind of kinds) {
      this.spec.violations[side]++;
      metrics.specViolations.labels(this.options.id, side, kind).inc();
    }
    this.dirty = true;
  }

  recordNotCompared(reason: NotComparedReason): void {
    this.stats.recordNotCompared(reason);
    this.deps.metrics.notCompared.labels(this.options.id, reason).inc();
    this.dirty = true;
  }

  recordError(side: 'legacy' | 'modern'): void {
    this.stats.recordError(side);
    this.deps.metrics.upstreamErrors.labels(this.options.id, side).inc();
    this.dirty = true;
    if (side === 'modern') this.evaluatePromotion();
  }

  recordFallback(reason: string): void {
    this.stats.recordFallback();
    this.deps.metrics.fallbacks.labels(this.options.id).inc();
    this.dirty = true;
    if (fallbackChannel.hasSubscribers) fallbackChannel.publish({ route: this.options.id, reason });
  }

  /** A side reported a version (configurable header); a change discounts the evidence so far. */
  observeVersion(side: 'legacy' | 'modern', version: string | undefined): void {
    if (version === undefined || this.versions[side] === version) return;
    const previous = this.versions[side];
    this.versions = { ...this.versions, [side]: version };
    this.dirty = true;
    if (previous === undefined) return;
    this.stats.decay(this.deps.versionDecay);
    this.deps.state.audit({
      routeId: this.options.id,
      actor: 'gateway',
      action: 'version-changed',
      from: null,
      to: null,
      reason: `${side} version ${previous} → ${version}; since-step evidence ×${this.deps.versionDecay}`,
    });
    this.persist();
  }

  /**
   * Applies a mode change through the transition table; throws `TransitionRefusedError`.
   * `person` (from `x-ficus-actor`) is who the audit log names for an admin change.
   */
  changeMode(target: { mode: RouteMode; percent?: number }, actor: TransitionActor | 'admin', reason: string, approved = false, person?: string): ModeState {
    const from = { mode: this.mode, percent: this.percent };
    const result = transition(from, { mode: target.mode, ...(target.percent !== undefined ? { percent: target.percent } : {}), reason, actor, approved }, {
      approvalAt: this.options.promotion.approvalAt,
    });
    if (!result.ok) throw new TransitionRefusedError(this.options.id, result.reason);
    if (result.next.mode === from.mode && result.next.percent === from.percent) return result.next;
    this.apply(result.next, actor, actor === 'breach' ? 'demoted' : 'mode-changed', reason, person);
    return result.next;
  }

  /** Approves the pending step (or refuses: nothing pending). */
  approve(by: string, why?: string): ModeState {
    const pending = this.pendingApproval;
    if (!pending) throw new TransitionRefusedError(this.options.id, 'nothing is waiting for approval');
    return this.changeMode({ mode: pending.mode, percent: pending.percent }, 'admin', `approved by ${by}${why ? ` (${why})` : ''}: ${pending.reason}`, true, by);
  }

  /** Back to shadow (0 % modern), from wherever the route is. */
  rollback(reason: string, person?: string): ModeState {
    return this.changeMode({ mode: 'shadow', percent: 0 }, 'admin', reason, false, person);
  }

  private apply(next: ModeState, actor: string, action: string, reason: string, person?: string): void {
    const from = { mode: this.mode, percent: this.percent };
    this.mode = next.mode;
    this.percent = next.percent;
    this.pendingApproval = null;
    this.stats.resetSinceStep();
    this.deps.state.audit({ routeId: this.options.id, actor: person ?? actor, action, from, to: next, reason });
    this.deps.metrics.modeChanges.labels(this.options.id, actor).inc();
    this.persist();
    this.publishGauges();
    this.deps.logger.info({ route: this.options.id, from, to: next, actor }, `route ${this.options.id}: ${from.mode} ${from.percent}% → ${next.mode} ${next.percent}% (${reason})`);
    if (modeChannel.hasSubscribers) modeChannel.publish({ route: this.options.id, from, to: next, actor, reason });
  }

  private evaluatePromotion(): void {
    const decision = evaluate({ mode: this.mode, percent: this.percent, pendingApproval: this.pendingApproval !== null }, this.stats, this.options.promotion);
    switch (decision.action) {
      case 'none':
        return;
      case 'demote':
        this.apply(decision.to, 'breach', 'demoted', decision.reason);
        return;
      case 'step': {
        const r = transition({ mode: this.mode, percent: this.percent }, { ...decision.to, reason: decision.reason, actor: 'promotion' }, { approvalAt: this.options.promotion.approvalAt });
        if (r.ok) this.apply(r.next, 'promotion', 'promoted', decision.reason);
        return;
      }
      case 'await_approval':
        this.pendingApproval = { mode: decision.to.mode, percent: decision.to.percent, reason: decision.reason };
        this.deps.state.audit({ routeId: this.options.id, actor: 'promotion', action: 'awaiting-approval', from: { mode: this.mode, percent: this.percent }, to: decision.to, reason: decision.reason });
        this.persist();
        return;
    }
  }

  /** Accepted noise paths become ignore rules; call after the route's noise in the store changed. */
  refreshRules(): void {
    this.rules = this.buildRules();
    this.rulesVersion++;
  }

  private buildRules(): CompareRules {
    const noise = this.deps.state.noise(this.options.id);
    this.knownNoise = new Set(noise.map((n) => n.path));
    const accepted = noise.filter((n) => n.status === 'accepted').map((n) => n.path);
    const base = this.options.compare;
    return compileRules({ ...base, ignore: [...(base.ignore ?? []), ...accepted] });
  }

  private publishGauges(): void {
    this.deps.metrics.modernPercent.labels(this.options.id).set(this.percent);
  }

  /** Writes state when something changed since the last write (called on a timer and on close). */
  flush(): void {
    if (this.dirty) this.persist();
  }

  persist(): void {
    this.dirty = false;
    this.deps.state.saveRoute({
      id: this.options.id,
      mode: this.mode,
      percent: this.percent,
      pendingApproval: this.pendingApproval,
      configMode: this.options.mode,
      configPercent: this.options.percent,
      stats: this.stats.snapshot(),
      versions: this.versions,
      spec: this.spec,
    });
    this.deps.metrics.confidence.labels(this.options.id).set(this.stats.confidence());
  }

  view(): RouteView {
    const s = this.stats.snapshot();
    const interval = this.stats.confidenceInterval();
    const compared = s.sinceStep.matches + s.sinceStep.mismatches;
    return {
      id: this.options.id,
      match: this.options.match,
      mode: this.mode,
      modernPercent: this.percent,
      samples: s.samples,
      matches: s.matches,
      mismatches: s.mismatches,
      notCompared: s.notCompared.total,
      notComparedByReason: s.notCompared.byReason,
      errors: s.errors,
      fallbacks: s.fallbacks,
      confidence: round4(this.stats.confidence()),
      confidenceInterval: { lower: round4(interval.lower), upper: round4(interval.upper) },
      matchRate: compared === 0 ? null : round4(s.sinceStep.matches / compared),
      overallConfidence: round4(this.stats.overallConfidence()),
      latencyDeltaMs: { p50: this.stats.latencyP50(), p95: this.stats.latencyP95() },
      sinceStep: s.sinceStep,
      pendingApproval: this.pendingApproval,
      specChecked: { ...this.spec.checked },
      specViolations: { ...this.spec.violations },
    };
  }
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
