import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LatencyWindow,
  RouteStats,
  notComparedReasons,
  wilsonLowerBound,
  type RouteStatsSnapshot,
} from '../../gateway/confidence.js';

const close = (actual: number | null, expected: number, tolerance = 1e-4): void => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `expected ≈${expected}, got ${actual}`);
};

test('wilsonLowerBound matches known values of the 95% Wilson interval', () => {
  close(wilsonLowerBound(95, 100), 0.8883);
  close(wilsonLowerBound(100, 100), 0.963);
  close(wilsonLowerBound(1, 1), 0.2065);
  close(wilsonLowerBound(50, 100), 0.4038);
  close(wilsonLowerBound(990, 1000), 0.9817);
  assert.equal(wilsonLowerBound(0, 0), 0);
  assert.equal(wilsonLowerBound(0, 10), 0);
});

test('wilsonLowerBound: with no mismatch it takes 381 samples to reach 0.99', () => {
  assert.ok(wilsonLowerBound(380, 380) < 0.99);
  assert.ok(wilsonLowerBound(381, 381) >= 0.99);
});

test('wilsonLowerBound honours z and grows with evidence at the same ratio', () => {
  close(wilsonLowerBound(95, 100, 1.6448536269514722), 0.9008); // 90% two-sided
  assert.ok(wilsonLowerBound(9, 10) < wilsonLowerBound(90, 100));
  assert.ok(wilsonLowerBound(90, 100) < wilsonLowerBound(900, 1000));
});

test('wilsonLowerBound rejects impossible counts', () => {
  assert.throws(() => wilsonLowerBound(5, 4), RangeError);
  assert.throws(() => wilsonLowerBound(-1, 4), RangeError);
  assert.throws(() => wilsonLowerBound(Number.NaN, 4), RangeError);
  assert.throws(() => wilsonLowerBound(1, Number.POSITIVE_INFINITY), RangeError);
});

test('LatencyWindow quantiles interpolate linearly between closest ranks', () => {
  const w = LatencyWindow.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(w.quantile(0), 1);
  assert.equal(w.quantile(1), 10);
  close(w.quantile(0.5), 5.5);
  close(w.quantile(0.95), 9.55);
  const single = LatencyWindow.from([-7]);
  assert.equal(single.quantile(0.5), -7);
  assert.equal(single.quantile(0.95), -7);
});

test('LatencyWindow: empty gives null, bad input is refused', () => {
  const w = new LatencyWindow();
  assert.equal(w.size, 0);
  assert.equal(w.capacity, 1000);
  assert.equal(w.quantile(0.5), null);
  assert.throws(() => w.add(Number.NaN), RangeError);
  assert.throws(() => w.quantile(1.5), RangeError);
  assert.throws(() => w.quantile(Number.NaN), RangeError);
  assert.throws(() => new LatencyWindow(0), RangeError);
  assert.throws(() => new LatencyWindow(2.5), RangeError);
});

test('LatencyWindow is bounded: the oldest delta is dropped, order is kept', () => {
  const w = new LatencyWindow(3);
  for (const d of [100, 200, 1, 2, 3]) w.add(d);
  assert.equal(w.size, 3);
  assert.deepEqual(w.toJSON(), [1, 2, 3]);
  assert.equal(w.quantile(1), 3);
  const many = new LatencyWindow(50);
  for (let i = 0; i < 10_000; i++) many.add(i);
  assert.equal(many.size, 50);
  assert.deepEqual(many.toJSON(), Array.from({ length: 50 }, (_, i) => 9950 + i));
});

test('LatencyWindow round-trips through JSON and from() keeps the newest values', () => {
  const w = new LatencyWindow(4);
  for (const d of [5, -3, 12, 0.5, 8]) w.add(d);
  const back = LatencyWindow.from(JSON.parse(JSON.stringify(w)) as number[], 4);
  assert.deepEqual(back.toJSON(), w.toJSON());
  assert.equal(back.quantile(0.95), w.quantile(0.95));
  assert.deepEqual(LatencyWindow.from([1, 2, 3, 4, 5], 2).toJSON(), [4, 5]);
});

test('RouteStats: samples are matches + mismatches + not compared, by reason', () => {
  const s = new RouteStats();
  s.recordMatch();
  s.recordMatch();
  s.recordMismatch();
  s.recordNotCompared('too_large');
  s.recordNotCompared('timeout');
  s.recordNotCompared('timeout');
  assert.equal(s.samples, 6);
  const snap = s.snapshot();
  assert.equal(snap.samples, 6);
  assert.equal(snap.notCompared.total, 3);
  assert.deepEqual(snap.notCompared.byReason, { too_large: 1, timeout: 2, queue_full: 0, streamed: 0, unsafe_method: 0, error: 0 });
  assert.deepEqual(Object.keys(snap.notCompared.byReason).sort(), [...notComparedReasons].sort());
});

test('RouteStats: requests, errors by side and fallbacks are counted apart from samples', () => {
  const s = new RouteStats();
  for (let i = 0; i < 5; i++) s.recordRequest();
  s.recordError('legacy');
  s.recordError('modern');
  s.recordError('modern');
  s.recordFallback();
  const snap = s.snapshot();
  assert.equal(snap.requests, 5);
  assert.equal(snap.samples, 0);
  assert.deepEqual(snap.errors, { legacy: 1, modern: 2 });
  assert.equal(snap.fallbacks, 1);
  assert.deepEqual(s.sinceStep, { requests: 5, matches: 0, mismatches: 0, modernErrors: 2 });
  // Legacy errors do not enter the recent ring; modern ones do.
  assert.equal(s.recentCount, 2);
  assert.equal(s.recentModernErrorRate(), 1);
});

test('RouteStats.confidence() judges only the evidence since the last step', () => {
  const s = new RouteStats();
  for (let i = 0; i < 95; i++) s.recordMatch();
  for (let i = 0; i < 5; i++) s.recordMismatch();
  close(s.confidence(), 0.8883);
  close(s.overallConfidence(), 0.8883);
  s.resetSinceStep();
  assert.equal(s.confidence(), 0);
  assert.deepEqual(s.sinceStep, { requests: 0, matches: 0, mismatches: 0, modernErrors: 0 });
  for (let i = 0; i < 100; i++) s.recordMatch();
  close(s.confidence(), 0.963);
  close(s.overallConfidence(), wilsonLowerBound(195, 200));
  // Totals, the recent ring and latency survive a step.
  assert.equal(s.snapshot().matches, 195);
});

test('RouteStats: recent rates cover only the last N outcomes', () => {
  const s = new RouteStats({ recentCapacity: 10 });
  assert.equal(s.recentMismatchRate(), 0);
  assert.equal(s.recentModernErrorRate(), 0);
  for (let i = 0; i < 10; i++) s.recordMismatch();
  assert.equal(s.recentMismatchRate(), 1);
  for (let i = 0; i < 8; i++) s.recordMatch();
  s.recordError('modern');
  assert.equal(s.recentCount, 10);
  close(s.recentMismatchRate(), 0.1);
  close(s.recentModernErrorRate(), 0.1);
  for (let i = 0; i < 10; i++) s.recordMatch();
  assert.equal(s.recentMismatchRate(), 0);
  assert.equal(s.recentModernErrorRate(), 0);
});

test('RouteStats: latency p50/p95 come from the paired deltas given with outcomes', () => {
  const s = new RouteStats();
  assert.equal(s.latencyP50(), null);
  assert.equal(s.latencyP95(), null);
  for (let d = 1; d <= 100; d++) {
    if (d % 10 === 0) s.recordMismatch(d);
    else s.recordMatch(d);
  }
  s.recordMatch(); // untimed: no delta
  assert.equal(s.latencyCount, 100);
  close(s.latencyP50(), 50.5);
  close(s.latencyP95(), 95.05);
});

test('RouteStats.decay discounts since-step counts only, flooring', () => {
  const s = new RouteStats();
  for (let i = 0; i < 7; i++) s.recordRequest();
  for (let i = 0; i < 9; i++) s.recordMatch();
  for (let i = 0; i < 3; i++) s.recordMismatch();
  s.recordError('modern');
  s.decay(0.5);
  assert.deepEqual(s.sinceStep, { requests: 3, matches: 4, mismatches: 1, modernErrors: 0 });
  assert.equal(s.snapshot().matches, 9);
  assert.equal(s.recentCount, 13);
  s.decay(1);
  assert.deepEqual(s.sinceStep, { requests: 3, matches: 4, mismatches: 1, modernErrors: 0 });
  s.decay(0);
  assert.deepEqual(s.sinceStep, { requests: 0, matches: 0, mismatches: 0, modernErrors: 0 });
  assert.throws(() => s.decay(1.5), RangeError);
  assert.throws(() => s.decay(-0.1), RangeError);
});

test('RouteStats snapshot survives JSON and restore() round-trips the whole state', () => {
  const s = new RouteStats({ recentCapacity: 5, latencyCapacity: 4 });
  for (let i = 0; i < 12; i++) s.recordRequest();
  for (let i = 0; i < 6; i++) s.recordMatch(i * 2);
  s.recordMismatch(40);
  s.recordNotCompared('streamed');
  s.recordNotCompared('unsafe_method');
  s.recordError('legacy');
  s.recordError('modern');
  s.recordFallback();
  s.resetSinceStep();
  s.recordMatch(3);
  s.recordRequest();

  const snap = s.snapshot();
  const back = RouteStats.restore(JSON.parse(JSON.stringify(snap)) as RouteStatsSnapshot);
  assert.deepEqual(back.snapshot(), snap);
  assert.equal(back.confidence(), s.confidence());
  assert.equal(back.overallConfidence(), s.overallConfidence());
  assert.equal(back.recentMismatchRate(), s.recentMismatchRate());
  assert.equal(back.recentModernErrorRate(), s.recentModernErrorRate());
  assert.equal(back.latencyP95(), s.latencyP95());
  // The restored ring keeps evicting in the same order as the original.
  for (const r of [s, back]) r.recordMatch(1);
  assert.deepEqual(back.snapshot(), s.snapshot());
});

test('RouteStats.restore fills in not-compared reasons a snapshot predates', () => {
  const snap = new RouteStats().snapshot();
  const { error: _dropped, ...older } = snap.notCompared.byReason;
  const back = RouteStats.restore({ ...snap, notCompared: { total: 0, byReason: older as RouteStatsSnapshot['notCompared']['byReason'] } });
  assert.equal(back.snapshot().notCompared.byReason.error, 0);
});

test('RouteStats.restore refuses malformed snapshots with a RangeError naming the field', () => {
  const good = (): RouteStatsSnapshot => new RouteStats().snapshot();
  const bad = (mutate: (s: Record<string, unknown>) => void, field: RegExp): void => {
    const s = good() as unknown as Record<string, unknown>;
    mutate(s);
    assert.throws(() => RouteStats.restore(s as unknown as RouteStatsSnapshot), (err: unknown) => err instanceof RangeError && field.test(err.message));
  };
  bad((s) => (s.version = 2), /version/);
  bad((s) => (s.matches = -1), /matches/);
  bad((s) => (s.requests = 1.5), /requests/);
  bad((s) => delete s.sinceStep, /sinceStep/);
  bad((s) => ((s.recent as { outcomes: unknown[] }).outcomes = ['maybe']), /recent outcome/);
  bad((s) => ((s.recent as { outcomes: unknown[] }).outcomes = ['toString']), /recent outcome/);
  bad((s) => ((s.latency as { deltasMs: unknown[] }).deltasMs = ['fast']), /latency/);
  bad((s) => ((s.notCompared as { byReason: Record<string, unknown> }).byReason.timeout = 'x'), /notCompared\.byReason\.timeout/);
  assert.throws(() => RouteStats.restore(null as unknown as RouteStatsSnapshot), RangeError);
});

test('LatencyWindow keeps its sorted view exact through evictions (regression: quantile used to copy and sort per call)', () => {
  const w = new LatencyWindow(50);
  const all: number[] = [];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 200 - 100;
  for (let i = 0; i < 500; i++) {
    const v = i % 17 === 0 ? 5 : Math.round(rnd() * 10) / 10; // duplicates on purpose
    w.add(v);
    all.push(v);
    const held = all.slice(-50).sort((a, b) => a - b);
    for (const q of [0, 0.5, 0.95, 1]) {
      const h = (held.length - 1) * q;
      const expected = held[Math.floor(h)]! + (h - Math.floor(h)) * (held[Math.ceil(h)]! - held[Math.floor(h)]!);
      assert.equal(w.quantile(q), expected, `after ${i + 1} adds, q=${q}`);
    }
  }
  assert.deepEqual(w.toJSON(), all.slice(-50));
});
