/**
 * Per-route evidence that the modern service behaves like the legacy one: the Wilson score lower
 * bound used as the confidence figure, a bounded window of paired latency deltas, and
 * `RouteStats`, the counters the gateway records for every route (comparison outcomes, requests not
 * compared and why, errors by side, fallbacks, counts since the last mode/percent step, and a ring
 * of recent outcomes for breach detection). Everything here is pure and memory-bounded: no I/O, no
 * clocks, no globals; `snapshot()`/`restore()` carry the state across restarts through the store.
 */

/** z for a two-sided 95% interval: the 0.975 quantile of the standard normal distribution. */
export const Z_95 = 1.959963984540054;

/**
 * Lower bound of the Wilson score interval for a binomial proportion (Wilson 1927; see
 * https://en.wikipedia.org/wiki/Binomial_proportion_confidence_interval#Wilson_score_interval).
 * Unlike the raw ratio it rewards evidence: 1/1 gives ≈0.2065, 100/100 gives ≈0.9630, and with no
 * mismatches at all it takes 381 trials to reach 0.99 at 95%.
 *
 * @param successes - number of successes, 0 ≤ successes ≤ trials
 * @param trials - number of trials, ≥ 0
 * @param z - standard-normal quantile; the default gives a 95% two-sided interval
 * @returns the lower bound in [0, 1]; 0 when `trials` is 0
 * @throws RangeError when the counts are negative, not finite, or `successes > trials`
 */
export function wilsonLowerBound(successes: number, trials: number, z: number = Z_95): number {
  if (!Number.isFinite(successes) || !Number.isFinite(trials) || successes < 0 || successes > trials) {
    throw new RangeError(`wilsonLowerBound needs 0 ≤ successes ≤ trials (got ${successes}/${trials})`);
  }
  if (trials === 0) return 0;
  const p = successes / trials;
  const z2 = z * z;
  const centre = p + z2 / (2 * trials);
  const margin = z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  // Clamp: for successes = 0 the subtraction can land a hair below 0 in floating point.
  return Math.max(0, (centre - margin) / (1 + z2 / trials));
}

/**
 * Upper bound of the same Wilson score interval as {@link wilsonLowerBound}; 1 when `trials` is 0
 * (no evidence rules nothing out). Shown beside the confidence so people see how wide it still is.
 */
export function wilsonUpperBound(successes: number, trials: number, z: number = Z_95): number {
  if (!Number.isFinite(successes) || !Number.isFinite(trials) || successes < 0 || successes > trials) {
    throw new RangeError(`wilsonUpperBound needs 0 ≤ successes ≤ trials (got ${successes}/${trials})`);
  }
  if (trials === 0) return 1;
  const p = successes / trials;
  const z2 = z * z;
  const centre = p + z2 / (2 * trials);
  const margin = z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return Math.min(1, (centre + margin) / (1 + z2 / trials));
}

/** Fixed-capacity FIFO: pushing onto a full ring evicts (and returns) the oldest item. */
class Ring<T> {
  readonly capacity: number;
  #items: T[] = [];
  #start = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring capacity must be a positive integer (got ${capacity})`);
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.#items.length;
  }

  push(item: T): { evicted: T } | undefined {
    if (this.#items.length < this.capacity) {
      this.#items.push(item);
      return undefined;
    }
    const evicted = this.#items[this.#start]!;
    this.#items[this.#start] = item;
    this.#start = (this.#start + 1) % this.capacity;
    return { evicted };
  }

  /** Items oldest first. */
  toArray(): T[] {
    return [...this.#items.slice(this.#start), ...this.#items.slice(0, this.#start)];
  }
}

/** Default number of latency deltas a {@link LatencyWindow} keeps. */
export const DEFAULT_LATENCY_CAPACITY = 1000;

/**
 * The last `capacity` paired latency deltas of a route, in milliseconds: for one request compared
 * on both sides, modern latency minus legacy latency (positive = modern slower). Pairing per
 * request cancels out load that hits both sides at once, which separate per-side windows would not.
 * Memory is bounded by `capacity`; the oldest delta is dropped when a new one arrives.
 */
export class LatencyWindow {
  readonly #ring: Ring<number>;
  /**
   * The same deltas kept sorted, updated on each add by binary search and one memmove (O(n), no
   * allocation), so a quantile is O(1): it is read after every compared request.
   */
  readonly #sorted: Float64Array;
  #count = 0;

  /** @throws RangeError when `capacity` is not a positive integer */
  constructor(capacity: number = DEFAULT_LATENCY_CAPACITY) {
    this.#ring = new Ring<number>(capacity);
    this.#sorted = new Float64Array(capacity);
  }

  /** First index whose value is ≥ `v` (or > `v` with `after`). */
  #search(v: number, after: boolean): number {
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const x = this.#sorted[mid]!;
      if (x < v || (after && x === v)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Maximum number of deltas kept. */
  get capacity(): number {
    return this.#ring.capacity;
  }

  /** Number of deltas currently held (≤ capacity). */
  get size(): number {
    return this.#ring.size;
  }

  /**
   * Adds one paired delta (modern ms − legacy ms).
   * @throws RangeError when `deltaMs` is not a finite number
   */
  add(deltaMs: number): void {
    if (!Number.isFinite(deltaMs)) throw new RangeError(`latency delta must be a finite number of ms (got ${deltaMs})`);
    const evicted = this.#ring.push(deltaMs);
    const sorted = this.#sorted;
    if (evicted) {
      const at = this.#search(evicted.evicted, false);
      sorted.copyWithin(at, at + 1, this.#count);
      this.#count--;
    }
    const at = this.#search(deltaMs, true);
    sorted.copyWithin(at + 1, at, this.#count);
    sorted[at] = deltaMs;
    this.#count++;
  }

  /**
   * The q-quantile of the held deltas by linear interpolation between closest ranks (Hyndman &
   * Fan type 7, the default of numpy, R and spreadsheet PERCENTILE.INC): position h = (n − 1)·q in
   * the sorted values, interpolated between ⌊h⌋ and ⌈h⌉. Chosen over nearest-rank because it moves
   * smoothly as deltas arrive, so a threshold is not crossed by a one-sample jump.
   *
   * @param q - quantile in [0, 1], e.g. 0.95
   * @returns the quantile in ms, or `null` when the window is empty
   * @throws RangeError when `q` is outside [0, 1]
   */
  quantile(q: number): number | null {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1] (got ${q})`);
    const sorted = this.#sorted;
    if (this.#count === 0) return null;
    const h = (this.#count - 1) * q;
    const lo = Math.floor(h);
    const hi = Math.ceil(h);
    return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
  }

  /** The held deltas, oldest first, for persistence (`JSON.stringify` calls this). */
  toJSON(): number[] {
    return this.#ring.toArray();
  }

  /**
   * Rebuilds a window from {@link LatencyWindow.toJSON} output; when more values than `capacity`
   * are given, only the newest `capacity` are kept.
   */
  static from(values: readonly number[], capacity: number = DEFAULT_LATENCY_CAPACITY): LatencyWindow {
    const window = new LatencyWindow(capacity);
    for (const v of values.slice(-capacity)) window.add(v);
    return window;
  }
}

/** Why a request selected for comparison was not compared. */
export type NotComparedReason = 'too_large' | 'timeout' | 'queue_full' | 'streamed' | 'unsafe_method' | 'error';

/** Every {@link NotComparedReason}, in a stable order. */
export const notComparedReasons: readonly NotComparedReason[] = Object.freeze([
  'too_large',
  'timeout',
  'queue_full',
  'streamed',
  'unsafe_method',
  'error',
]);

/** Which upstream a failure belongs to. */
export type Side = 'legacy' | 'modern';

/** One entry of the recent-outcome ring used for breach detection. */
export type RecentOutcome = 'match' | 'mismatch' | 'modern_error';

/** Default length of the recent-outcome ring. */
export const DEFAULT_RECENT_CAPACITY = 100;

/** Counters reset by {@link RouteStats.resetSinceStep} whenever the route's mode or percent changes. */
export interface SinceStepCounts {
  /** Requests on the route ({@link RouteStats.recordRequest}). */
  requests: number;
  matches: number;
  mismatches: number;
  /** Modern-side errors ({@link RouteStats.recordError} with `'modern'`). */
  modernErrors: number;
}

/**
 * Plain, JSON-serialisable state of a {@link RouteStats}: what the store persists and what the
 * admin API and metrics read. `samples` and `notCompared.total` are derived and ignored by
 * {@link RouteStats.restore}.
 */
export interface RouteStatsSnapshot {
  /** Format version; {@link RouteStats.restore} refuses versions it does not know. */
  version: 1;
  /** All requests on the route, sampled or not. */
  requests: number;
  /** Requests selected for comparison: matches + mismatches + notCompared.total. */
  samples: number;
  matches: number;
  mismatches: number;
  notCompared: { total: number; byReason: Record<NotComparedReason, number> };
  errors: Record<Side, number>;
  fallbacks: number;
  sinceStep: SinceStepCounts;
  recent: { capacity: number; outcomes: RecentOutcome[] };
  latency: { capacity: number; deltasMs: number[] };
}

/** Sizes of the bounded windows of a {@link RouteStats}. */
export interface RouteStatsOptions {
  /** Paired latency deltas kept; default {@link DEFAULT_LATENCY_CAPACITY}. */
  latencyCapacity?: number;
  /** Recent outcomes kept for breach detection; default {@link DEFAULT_RECENT_CAPACITY}. */
  recentCapacity?: number;
}

function zeroByReason(): Record<NotComparedReason, number> {
  return { too_large: 0, timeout: 0, queue_full: 0, streamed: 0, unsafe_method: 0, error: 0 };
}

function zeroSinceStep(): SinceStepCounts {
  return { requests: 0, matches: 0, mismatches: 0, modernErrors: 0 };
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

/**
 * Counters and windows for one route. Accounting:
 * - every request on the route → {@link recordRequest};
 * - every request selected for comparison ends in exactly one of {@link recordMatch},
 *   {@link recordMismatch} or {@link recordNotCompared}, so `samples` is their sum;
 * - upstream failures (connection error, timeout, 5xx) → {@link recordError}, independent of
 *   sampling; a modern failure also enters the recent ring as `'modern_error'`;
 * - a client request answered by legacy after modern failed → {@link recordFallback}.
 */
export class RouteStats {
  #requests = 0;
  #matches = 0;
  #mismatches = 0;
  #notCompared = zeroByReason();
  #errors: Record<Side, number> = { legacy: 0, modern: 0 };
  #fallbacks = 0;
  #sinceStep = zeroSinceStep();
  readonly #recent: Ring<RecentOutcome>;
  #recentCounts: Record<RecentOutcome, number> = { match: 0, mismatch: 0, modern_error: 0 };
  readonly #latency: LatencyWindow;

  /** @throws RangeError when a capacity is not a positive integer */
  constructor(options: RouteStatsOptions = {}) {
    this.#recent = new Ring<RecentOutcome>(options.recentCapacity ?? DEFAULT_RECENT_CAPACITY);
    this.#latency = new LatencyWindow(options.latencyCapacity ?? DEFAULT_LATENCY_CAPACITY);
  }

  /** Requests selected for comparison: matches + mismatches + not compared (all reasons). */
  get samples(): number {
    return this.#matches + this.#mismatches + this.#notComparedTotal();
  }

  /** A copy of the counters since the last step. */
  get sinceStep(): SinceStepCounts {
    return { ...this.#sinceStep };
  }

  /** Number of outcomes in the recent ring (≤ its capacity). */
  get recentCount(): number {
    return this.#recent.size;
  }

  /** Number of paired latency deltas held. */
  get latencyCount(): number {
    return this.#latency.size;
  }

  /** Counts one request on the route, whether or not it is selected for comparison. */
  recordRequest(): void {
    this.#requests++;
    this.#sinceStep.requests++;
  }

  /** A compared request whose responses matched; `deltaMs` = modern ms − legacy ms, if timed. */
  recordMatch(deltaMs?: number): void {
    if (deltaMs !== undefined) this.#latency.add(deltaMs);
    this.#matches++;
    this.#sinceStep.matches++;
    this.#pushRecent('match');
  }

  /** A compared request whose responses differed; `deltaMs` = modern ms − legacy ms, if timed. */
  recordMismatch(deltaMs?: number): void {
    if (deltaMs !== undefined) this.#latency.add(deltaMs);
    this.#mismatches++;
    this.#sinceStep.mismatches++;
    this.#pushRecent('mismatch');
  }

  /** A request selected for comparison that could not be compared, and why. */
  recordNotCompared(reason: NotComparedReason): void {
    this.#notCompared[reason]++;
  }

  /** A connection error, timeout or 5xx from one side. */
  recordError(side: Side): void {
    this.#errors[side]++;
    if (side === 'modern') {
      this.#sinceStep.modernErrors++;
      this.#pushRecent('modern_error');
    }
  }

  /** A request meant for modern that was answered by legacy because modern failed. */
  recordFallback(): void {
    this.#fallbacks++;
  }

  /**
   * Zeroes the since-step counters; call after every applied mode or percent change so the next
   * promotion is judged only on evidence gathered at the current step. Totals, the recent ring and
   * the latency window are kept.
   */
  resetSinceStep(): void {
    this.#sinceStep = zeroSinceStep();
  }

  /**
   * Wilson lower bound of matches / (matches + mismatches) since the last step (see
   * {@link resetSinceStep}); 0 before any comparison. This is the figure promotion is judged on.
   */
  confidence(): number {
    const { matches, mismatches } = this.#sinceStep;
    return wilsonLowerBound(matches, matches + mismatches);
  }

  /** The 95 % Wilson interval around the since-step match rate ({@link confidence} is its lower end). */
  confidenceInterval(): { lower: number; upper: number } {
    const { matches, mismatches } = this.#sinceStep;
    return { lower: wilsonLowerBound(matches, matches + mismatches), upper: wilsonUpperBound(matches, matches + mismatches) };
  }

  /** Wilson lower bound of matches / (matches + mismatches) over the route's whole history. */
  overallConfidence(): number {
    return wilsonLowerBound(this.#matches, this.#matches + this.#mismatches);
  }

  /** Share of mismatches among the recent outcomes (0 when there are none). */
  recentMismatchRate(): number {
    return ratio(this.#recentCounts.mismatch, this.#recent.size);
  }

  /**
   * Share of modern errors among the recent outcomes (0 when there are none). Modern errors on
   * requests that were not compared (e.g. served by modern in canary) enter the ring while their
   * successes do not, so this errs high: it can demote early, never late.
   */
  recentModernErrorRate(): number {
    return ratio(this.#recentCounts.modern_error, this.#recent.size);
  }

  /** Median paired latency delta in ms (modern − legacy), or `null` with no deltas. */
  latencyP50(): number | null {
    return this.#latency.quantile(0.5);
  }

  /** 95th-percentile paired latency delta in ms (modern − legacy), or `null` with no deltas. */
  latencyP95(): number | null {
    return this.#latency.quantile(0.95);
  }

  /**
   * Discounts the since-step evidence when one side's version changes: each since-step counter
   * becomes ⌊count × factor⌋. A factor of 0 is a reset; 1 keeps everything. Totals, the recent
   * ring and the latency window are untouched.
   *
   * @throws RangeError when `factor` is outside [0, 1]
   */
  decay(factor: number): void {
    if (!(factor >= 0 && factor <= 1)) throw new RangeError(`decay factor must be in [0, 1] (got ${factor})`);
    const s = this.#sinceStep;
    this.#sinceStep = {
      requests: Math.floor(s.requests * factor),
      matches: Math.floor(s.matches * factor),
      mismatches: Math.floor(s.mismatches * factor),
      modernErrors: Math.floor(s.modernErrors * factor),
    };
  }

  /** A plain, JSON-serialisable copy of the whole state. */
  snapshot(): RouteStatsSnapshot {
    return {
      version: 1,
      requests: this.#requests,
      samples: this.samples,
      matches: this.#matches,
      mismatches: this.#mismatches,
      notCompared: { total: this.#notComparedTotal(), byReason: { ...this.#notCompared } },
      errors: { ...this.#errors },
      fallbacks: this.#fallbacks,
      sinceStep: { ...this.#sinceStep },
      recent: { capacity: this.#recent.capacity, outcomes: this.#recent.toArray() },
      latency: { capacity: this.#latency.capacity, deltasMs: this.#latency.toJSON() },
    };
  }

  /**
   * Rebuilds stats from {@link snapshot} output (e.g. read back from the store after a restart).
   * Reasons missing from `notCompared.byReason` count as 0, so snapshots survive new reasons.
   *
   * @throws RangeError naming the offending field when the snapshot is malformed: unknown version,
   *   a missing part, a counter that is not a non-negative integer, an unknown recent outcome
   */
  static restore(snapshot: RouteStatsSnapshot): RouteStats {
    // The snapshot comes back from the store as parsed JSON, so check it rather than trust the type.
    const fail = (what: string, got: unknown): never => {
      throw new RangeError(`RouteStats snapshot: ${what} (got ${JSON.stringify(got)})`);
    };
    const record = (name: string, v: unknown): Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(`${name} must be an object`, v);
    const list = (name: string, v: unknown): unknown[] => (Array.isArray(v) ? v : fail(`${name} must be an array`, v));
    const count = (name: string, v: unknown): number =>
      typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fail(`${name} must be a non-negative integer`, v);

    const snap = record('snapshot', snapshot);
    if (snap.version !== 1) fail('unsupported version', snap.version);
    const recent = record('recent', snap.recent);
    const latency = record('latency', snap.latency);
    const stats = new RouteStats({ recentCapacity: count('recent.capacity', recent.capacity), latencyCapacity: count('latency.capacity', latency.capacity) });
    stats.#requests = count('requests', snap.requests);
    stats.#matches = count('matches', snap.matches);
    stats.#mismatches = count('mismatches', snap.mismatches);
    const byReason = record('notCompared.byReason', record('notCompared', snap.notCompared).byReason);
    for (const reason of notComparedReasons) stats.#notCompared[reason] = count(`notCompared.byReason.${reason}`, byReason[reason] ?? 0);
    const errors = record('errors', snap.errors);
    stats.#errors = { legacy: count('errors.legacy', errors.legacy), modern: count('errors.modern', errors.modern) };
    stats.#fallbacks = count('fallbacks', snap.fallbacks);
    const s = record('sinceStep', snap.sinceStep);
    stats.#sinceStep = {
      requests: count('sinceStep.requests', s.requests),
      matches: count('sinceStep.matches', s.matches),
      mismatches: count('sinceStep.mismatches', s.mismatches),
      modernErrors: count('sinceStep.modernErrors', s.modernErrors),
    };
    for (const outcome of list('recent.outcomes', recent.outcomes).slice(-stats.#recent.capacity)) {
      if (typeof outcome !== 'string' || !Object.hasOwn(stats.#recentCounts, outcome)) fail('unknown recent outcome', outcome);
      stats.#pushRecent(outcome as RecentOutcome);
    }
    for (const d of list('latency.deltasMs', latency.deltasMs).slice(-stats.#latency.capacity)) {
      stats.#latency.add(typeof d === 'number' && Number.isFinite(d) ? d : fail('latency deltas must be finite numbers', d));
    }
    return stats;
  }

  #pushRecent(outcome: RecentOutcome): void {
    const out = this.#recent.push(outcome);
    if (out) this.#recentCounts[out.evicted]--;
    this.#recentCounts[outcome]++;
  }

  #notComparedTotal(): number {
    let total = 0;
    for (const reason of notComparedReasons) total += this.#notCompared[reason];
    return total;
  }
}
