import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouteStats } from '../../gateway/confidence.js';
import { transition, type ModeState } from '../../gateway/modes.js';
import { defaultPromotionPolicy, evaluate, type Decision, type PromotionPolicy, type PromotionState } from '../../gateway/promotion.js';

const auto: PromotionPolicy = { ...defaultPromotionPolicy, auto: true };

function feed(stats: RouteStats, counts: { match?: number; mismatch?: number; modernError?: number; deltaMs?: number }): void {
  for (let i = 0; i < (counts.match ?? 0); i++) stats.recordMatch(counts.deltaMs);
  for (let i = 0; i < (counts.mismatch ?? 0); i++) stats.recordMismatch(counts.deltaMs);
  for (let i = 0; i < (counts.modernError ?? 0); i++) stats.recordError('modern');
}

const at = (mode: ModeState['mode'], percent: number, pendingApproval = false): PromotionState => ({ mode, percent, pendingApproval });

test('the default policy is frozen and has the documented values', () => {
  assert.ok(Object.isFrozen(defaultPromotionPolicy) && Object.isFrozen(defaultPromotionPolicy.steps));
  assert.deepEqual(defaultPromotionPolicy, {
    auto: false,
    steps: [1, 5, 25, 50, 100],
    targetMatchRate: 0.99,
    minSamples: 100,
    approvalAt: 100,
    maxMismatchRate: 0.05,
    maxModernErrorRate: 0.05,
    maxLatencyP95DeltaMs: null,
    minRecentForBreach: 20,
  });
});

test('a full walk: shadow → 1 → 5 → 25 → 50, then approval is awaited for 100', () => {
  const stats = new RouteStats();
  let state: PromotionState = at('shadow', 0);
  const walked: string[] = [];
  for (;;) {
    assert.equal(evaluate(state, stats, auto).action, 'none', 'no step before evidence');
    feed(stats, { match: 700, mismatch: 1, deltaMs: 3 });
    const d = evaluate(state, stats, auto);
    if (d.action === 'await_approval') {
      assert.deepEqual(d.to, { mode: 'modern', percent: 100 });
      assert.equal(d.reason, 'confidence 0.9920 ≥ 0.99 over 701 samples since last step; modern 100% needs approval (approval required at 100% or more)');
      walked.push('await 100');
      break;
    }
    assert.equal(d.action, 'step', JSON.stringify(d));
    if (d.action !== 'step') return;
    assert.equal(d.reason, `confidence 0.9920 ≥ 0.99 over 701 samples since last step; stepping to canary ${d.to.percent}%`);
    // Apply it the way the gateway does: through the transition table, then a fresh step.
    const applied = transition(state, { ...d.to, reason: d.reason, actor: 'promotion' });
    assert.ok(applied.ok, JSON.stringify(applied));
    if (!applied.ok) return;
    state = { ...applied.next, pendingApproval: false };
    stats.resetSinceStep();
    walked.push(`${state.mode} ${state.percent}`);
  }
  assert.deepEqual(walked, ['canary 1', 'canary 5', 'canary 25', 'canary 50', 'await 100']);

  // While approval is pending nothing happens, however good the evidence.
  const pending = { ...state, pendingApproval: true };
  feed(stats, { match: 1000 });
  assert.deepEqual(evaluate(pending, stats, auto), { action: 'none', reason: 'waiting for approval' });
  // Promotion alone cannot apply it; a person's approval can.
  assert.equal(transition(state, { mode: 'modern', reason: 'promotion', actor: 'promotion' }).ok, false);
  const approved = transition(state, { mode: 'modern', reason: 'approved by ops', actor: 'admin', approved: true });
  assert.deepEqual(approved, { ok: true, next: { mode: 'modern', percent: 100 } });
  assert.equal(evaluate({ mode: 'modern', percent: 100, pendingApproval: false }, stats, auto).action, 'none');
});

test('no promotion before minSamples compared samples since the last step', () => {
  const stats = new RouteStats();
  const policy: PromotionPolicy = { ...auto, minSamples: 1000 };
  feed(stats, { match: 999 });
  stats.recordNotCompared('too_large'); // not compared: does not count
  const d = evaluate(at('shadow', 0), stats, policy);
  assert.deepEqual(d, { action: 'none', reason: '999 compared samples since last step, need 1000' });
  feed(stats, { match: 1 });
  assert.equal(evaluate(at('shadow', 0), stats, policy).action, 'step');
});

test('minSamples is met but the Wilson bound is not: 100 clean samples are not 0.99', () => {
  const stats = new RouteStats();
  feed(stats, { match: 100 });
  const d = evaluate(at('shadow', 0), stats, auto);
  assert.deepEqual(d, { action: 'none', reason: 'confidence 0.9630 < 0.99 over 100 samples since last step' });
  feed(stats, { match: 281 });
  assert.deepEqual(evaluate(at('shadow', 0), stats, auto), {
    action: 'step',
    to: { mode: 'canary', percent: 1 },
    reason: 'confidence 0.9900 ≥ 0.99 over 381 samples since last step; stepping to canary 1%',
  });
});

test('evidence from before the last step does not count', () => {
  const stats = new RouteStats();
  feed(stats, { match: 1000 });
  stats.resetSinceStep();
  feed(stats, { match: 50 });
  assert.equal(evaluate(at('canary', 1), stats, auto).action, 'none');
});

test('no promotion when auto is false (the default)', () => {
  const stats = new RouteStats();
  feed(stats, { match: 5000 });
  assert.deepEqual(evaluate(at('shadow', 0), stats), { action: 'none', reason: 'automatic promotion is off' });
  assert.deepEqual(evaluate(at('canary', 5), stats, { ...auto, auto: false }), { action: 'none', reason: 'automatic promotion is off' });
});

test('legacy is never promoted and modern has nowhere to go', () => {
  const stats = new RouteStats();
  feed(stats, { match: 5000 });
  const d = evaluate(at('legacy', 0), stats, auto);
  assert.equal(d.action, 'none');
  assert.match(d.reason, /operator moves them to shadow/);
  assert.deepEqual(evaluate(at('modern', 100), stats, auto), { action: 'none', reason: 'already fully modern' });
});

test('a lower approvalAt turns the first step at or above it into await_approval', () => {
  const stats = new RouteStats();
  feed(stats, { match: 1000 });
  const d = evaluate(at('canary', 5), stats, { ...auto, approvalAt: 25 });
  assert.equal(d.action, 'await_approval');
  assert.deepEqual((d as Extract<Decision, { action: 'await_approval' }>).to, { mode: 'canary', percent: 25 });
  assert.equal(evaluate(at('shadow', 0), stats, { ...auto, approvalAt: 1 }).action, 'await_approval');
});

test('custom steps: the smallest step above the current percent is next; none above means none', () => {
  const stats = new RouteStats();
  feed(stats, { match: 1000 });
  const policy: PromotionPolicy = { ...auto, steps: [10, 30] };
  assert.deepEqual((evaluate(at('shadow', 0), stats, policy) as { to: ModeState }).to, { mode: 'canary', percent: 10 });
  assert.deepEqual((evaluate(at('canary', 12), stats, policy) as { to: ModeState }).to, { mode: 'canary', percent: 30 });
  assert.deepEqual(evaluate(at('canary', 30), stats, policy), { action: 'none', reason: 'no step above 30% in [10, 30]' });
});

const breachCases: { kind: string; policy: PromotionPolicy; feed: (s: RouteStats) => void; reason: RegExp }[] = [
  {
    kind: 'mismatch rate',
    policy: auto,
    feed: (s) => feed(s, { match: 90, mismatch: 10 }),
    reason: /recent mismatch rate 0\.1000 > 0\.05 over the last 100 outcomes/,
  },
  {
    kind: 'modern error rate',
    policy: auto,
    feed: (s) => feed(s, { match: 92, modernError: 8 }),
    reason: /recent modern error rate 0\.0800 > 0\.05 over the last 100 outcomes/,
  },
  {
    kind: 'latency p95 delta',
    policy: { ...auto, maxLatencyP95DeltaMs: 200 },
    feed: (s) => {
      feed(s, { match: 90, deltaMs: 10 });
      feed(s, { match: 10, deltaMs: 500 });
    },
    reason: /latency p95 delta 500\.0 ms > 200 ms over 100 paired requests/,
  },
];

for (const c of breachCases) {
  test(`a ${c.kind} breach demotes canary and modern to shadow at once, with the figures`, () => {
    for (const state of [at('canary', 25), at('canary', 50, true), at('modern', 100)]) {
      const stats = new RouteStats();
      c.feed(stats);
      for (const policy of [c.policy, { ...c.policy, auto: false }]) {
        const d = evaluate(state, stats, policy);
        assert.equal(d.action, 'demote', `${JSON.stringify(state)}: ${JSON.stringify(d)}`);
        assert.deepEqual((d as { to: ModeState }).to, { mode: 'shadow', percent: 0 });
        assert.match(d.reason, new RegExp(`^demoting ${state.mode} ${state.percent}% to shadow: `));
        assert.match(d.reason, c.reason);
        // The demotion is one the transition table accepts from a breach.
        assert.equal(transition(state, { mode: 'shadow', reason: d.reason, actor: 'breach' }).ok, true);
      }
    }
  });

  test(`a ${c.kind} breach holds a shadow route instead of promoting it`, () => {
    const stats = new RouteStats();
    feed(stats, { match: 2000 });
    c.feed(stats);
    const d = evaluate(at('shadow', 0), stats, c.policy);
    assert.equal(d.action, 'none');
    assert.match(d.reason, /^holding in shadow: /);
    assert.match(d.reason, c.reason);
  });
}

test('breaches need minRecentForBreach outcomes before they count', () => {
  const stats = new RouteStats();
  feed(stats, { mismatch: 19 });
  assert.equal(evaluate(at('canary', 5), stats, auto).action, 'none');
  feed(stats, { mismatch: 1 });
  assert.equal(evaluate(at('canary', 5), stats, auto).action, 'demote');

  const errors = new RouteStats();
  feed(errors, { modernError: 19 });
  assert.equal(evaluate(at('modern', 100), errors, auto).action, 'none');

  const slow = new RouteStats();
  feed(slow, { match: 19, deltaMs: 10_000 });
  assert.equal(evaluate(at('canary', 5), slow, { ...auto, maxLatencyP95DeltaMs: 100 }).action, 'none');
  feed(slow, { match: 1, deltaMs: 10_000 });
  assert.equal(evaluate(at('canary', 5), slow, { ...auto, maxLatencyP95DeltaMs: 100 }).action, 'demote');
});

test('latency is not judged when maxLatencyP95DeltaMs is null', () => {
  const stats = new RouteStats();
  feed(stats, { match: 500, deltaMs: 60_000 });
  assert.notEqual(evaluate(at('canary', 5), stats, auto).action, 'demote');
});

test('rates at exactly the maximum are not a breach', () => {
  const stats = new RouteStats();
  feed(stats, { match: 95, mismatch: 5 });
  assert.equal(evaluate(at('canary', 5), stats, auto).action, 'none');
});

test('several breaches at once are all named', () => {
  const stats = new RouteStats();
  feed(stats, { match: 80, mismatch: 10, modernError: 10 });
  const d = evaluate(at('modern', 100), stats, auto);
  assert.equal(d.action, 'demote');
  assert.match(d.reason, /mismatch rate 0\.1000 > 0\.05.*; recent modern error rate 0\.1000 > 0\.05/);
});

test('evaluate is pure: it does not change the stats', () => {
  const stats = new RouteStats();
  feed(stats, { match: 500, mismatch: 1 });
  const before = JSON.stringify(stats.snapshot());
  evaluate(at('shadow', 0), stats, auto);
  evaluate(at('canary', 5), stats, auto);
  assert.equal(JSON.stringify(stats.snapshot()), before);
});
