/**
 * Confidence over time for the dashboard's per-route chart: every `intervalMs` each route's
 * confidence interval, samples and percent to modern are appended to a fixed-size ring per route
 * (default 360 points: an hour at 10 s). Memory only: the chart shows the recent past, the store
 * keeps the counters that matter across restarts.
 */
import type { RouteController } from './route-controller.js';

export interface HistoryPoint {
  at: string;
  confidence: number;
  upper: number;
  samples: number;
  mode: string;
  modernPercent: number;
}

export interface ConfidenceHistory {
  readonly intervalMs: number;
  /** Takes one point per route now (also done on the timer). */
  sample(): void;
  points(routeId: string): HistoryPoint[];
  close(): void;
}

export function createConfidenceHistory(
  controllers: ReadonlyMap<string, RouteController>,
  opts: { intervalMs?: number; capacity?: number; now?: () => Date } = {},
): ConfidenceHistory {
  const intervalMs = opts.intervalMs ?? 10_000;
  const capacity = opts.capacity ?? 360;
  const now = opts.now ?? (() => new Date());
  const rings = new Map<string, HistoryPoint[]>();
  const sample = () => {
    const at = now().toISOString();
    for (const c of controllers.values()) {
      const v = c.view();
      let ring = rings.get(v.id);
      if (!ring) rings.set(v.id, (ring = []));
      ring.push({ at, confidence: v.confidence, upper: v.confidenceInterval.upper, samples: v.samples, mode: v.mode, modernPercent: v.modernPercent });
      if (ring.length > capacity) ring.splice(0, ring.length - capacity);
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    intervalMs,
    sample,
    points: (id) => (rings.get(id) ?? []).slice(),
    close: () => clearInterval(timer),
  };
}
