import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  normalizeState,
  percentRange,
  routeModes,
  transition,
  type ModeState,
  type RouteMode,
  type TransitionActor,
  type TransitionRequest,
  type TransitionResult,
} from '../../gateway/modes.js';

const state = (mode: RouteMode, percent = mode === 'modern' ? 100 : 0): ModeState => ({ mode, percent });
const ask = (mode: RouteMode, percent: number | undefined, actor: TransitionActor = 'admin', approved?: boolean): TransitionRequest => ({
  mode,
  ...(percent === undefined ? {} : { percent }),
  reason: 'test',
  actor,
  ...(approved === undefined ? {} : { approved }),
});

function ok(result: TransitionResult, expected: ModeState): void {
  assert.ok(result.ok, `expected ok, got refusal: ${result.ok ? '' : result.reason}`);
  assert.deepEqual(result.next, expected);
}

function refused(result: TransitionResult, why: RegExp): void {
  assert.ok(!result.ok, `expected refusal, got ${JSON.stringify(result)}`);
  assert.match(result.reason, why);
}

test('percent per mode: legacy and shadow 0, canary 1..99, modern 100', () => {
  assert.deepEqual(percentRange, { legacy: { min: 0, max: 0 }, shadow: { min: 0, max: 0 }, canary: { min: 1, max: 99 }, modern: { min: 100, max: 100 } });
  assert.ok(Object.isFrozen(percentRange) && Object.isFrozen(percentRange.canary) && Object.isFrozen(routeModes));
  assert.deepEqual(normalizeState('shadow'), { ok: true, state: { mode: 'shadow', percent: 0 } });
  assert.deepEqual(normalizeState('modern'), { ok: true, state: { mode: 'modern', percent: 100 } });
  assert.deepEqual(normalizeState('canary', 2.5), { ok: true, state: { mode: 'canary', percent: 2.5 } });
  assert.deepEqual(normalizeState('canary'), { ok: false, reason: 'canary needs a percent in 1..99' });
  assert.deepEqual(normalizeState('canary', 150), { ok: false, reason: 'percent 150 out of range 1..99 for canary' });
  assert.deepEqual(normalizeState('canary', 0), { ok: false, reason: 'percent 0 out of range 1..99 for canary' });
  assert.deepEqual(normalizeState('shadow', 30), { ok: false, reason: 'percent 30 must be 0 for shadow' });
  assert.deepEqual(normalizeState('modern', 50), { ok: false, reason: 'percent 50 must be 100 for modern' });
  assert.equal(normalizeState('canary', Number.NaN).ok, false);
});

test('the forward path legacy → shadow → canary → modern is allowed', () => {
  ok(transition(state('legacy'), ask('shadow', undefined)), state('shadow'));
  ok(transition(state('shadow'), ask('canary', 1, 'promotion')), state('canary', 1));
  ok(transition(state('canary', 1), ask('canary', 5, 'promotion')), state('canary', 5));
  ok(transition(state('canary', 50), ask('modern', undefined, 'promotion', true)), state('modern'));
  ok(transition(state('canary', 50), ask('modern', 100, 'admin', true)), state('modern'));
});

test('rollbacks are allowed: canary → shadow, modern → canary, modern → shadow, canary down', () => {
  ok(transition(state('canary', 25), ask('shadow', undefined, 'breach')), state('shadow'));
  ok(transition(state('modern'), ask('canary', 50, 'admin')), state('canary', 50));
  ok(transition(state('modern'), ask('shadow', 0, 'breach')), state('shadow'));
  ok(transition(state('canary', 50), ask('canary', 5, 'breach')), state('canary', 5));
  ok(transition(state('shadow'), ask('legacy', undefined, 'admin')), state('legacy'));
});

test('any mode may go to legacy, by any actor (emergency)', () => {
  const from: ModeState[] = [state('shadow'), state('canary', 30), state('modern')];
  for (const current of from) {
    for (const actor of ['admin', 'promotion', 'config', 'breach'] as const) {
      ok(transition(current, ask('legacy', undefined, actor)), state('legacy'));
    }
  }
});

test('skipping a stage is refused with a hint', () => {
  refused(transition(state('shadow'), ask('modern', undefined, 'admin', true)), /^shadow → modern is not allowed; go through canary first$/);
  refused(transition(state('legacy'), ask('canary', 5)), /^legacy → canary is not allowed; go through shadow first$/);
  refused(transition(state('legacy'), ask('modern', undefined, 'admin', true)), /^legacy → modern is not allowed/);
});

test('canary → modern needs approval at the default approvalAt of 100, whoever asks', () => {
  for (const actor of ['admin', 'promotion', 'config'] as const) {
    refused(transition(state('canary', 50), ask('modern', undefined, actor)), /canary → modern at 100% needs approval/);
    refused(transition(state('canary', 50), ask('modern', undefined, actor, false)), /needs approval/);
  }
});

test('approvalAt guards every raise to that percent or more, never a lowering', () => {
  const opts = { approvalAt: 50 };
  refused(transition(state('canary', 25), ask('canary', 50, 'promotion'), opts), /canary → canary at 50% needs approval \(approval required at 50% or more\)/);
  ok(transition(state('canary', 25), ask('canary', 50, 'promotion', true), opts), state('canary', 50));
  refused(transition(state('shadow'), ask('canary', 60, 'admin'), opts), /shadow → canary at 60% needs approval/);
  ok(transition(state('canary', 25), ask('canary', 49, 'promotion'), opts), state('canary', 49));
  ok(transition(state('canary', 80), ask('canary', 60, 'admin'), opts), state('canary', 60));
  ok(transition(state('modern'), ask('canary', 90, 'breach'), opts), state('canary', 90));
  // Above 100 disables approval entirely.
  ok(transition(state('canary', 50), ask('modern', undefined, 'promotion'), { approvalAt: 101 }), state('modern'));
});

test('a breach may only lower modern exposure', () => {
  refused(transition(state('shadow'), ask('canary', 5, 'breach')), /shadow → canary raises modern exposure; a breach can only demote/);
  refused(transition(state('canary', 5), ask('canary', 25, 'breach')), /a breach can only demote/);
  refused(transition(state('canary', 50), ask('modern', undefined, 'breach', true)), /a breach can only demote/);
  refused(transition(state('legacy'), ask('shadow', undefined, 'breach')), /operator's choice \(actor admin or config, got breach\)/);
});

test('promotion may only raise modern exposure, and never leaves legacy', () => {
  refused(transition(state('canary', 25), ask('shadow', undefined, 'promotion')), /canary → shadow lowers modern exposure; promotion only moves forward/);
  refused(transition(state('canary', 25), ask('canary', 5, 'promotion')), /promotion only moves forward/);
  refused(transition(state('modern'), ask('canary', 50, 'promotion')), /promotion only moves forward/);
  refused(transition(state('legacy'), ask('shadow', undefined, 'promotion')), /legacy → shadow is an operator's choice/);
  ok(transition(state('legacy'), ask('shadow', undefined, 'config')), state('shadow'));
});

test('requesting the current state is an idempotent no-op', () => {
  for (const current of [state('legacy'), state('shadow'), state('canary', 25), state('modern')]) {
    for (const actor of ['admin', 'promotion', 'config', 'breach'] as const) {
      const r = transition(current, ask(current.mode, current.mode === 'canary' ? current.percent : undefined, actor));
      ok(r, current);
    }
  }
});

test('bad requests are refused, never thrown', () => {
  refused(transition(state('shadow'), ask('canary', 150)), /^percent 150 out of range 1\.\.99 for canary$/);
  refused(transition(state('shadow'), ask('canary', undefined)), /canary needs a percent in 1\.\.99/);
  refused(transition(state('canary', 5), ask('shadow', 10)), /percent 10 must be 0 for shadow/);
  refused(transition(state('shadow'), { ...ask('canary', 5), reason: '   ' }), /needs a reason/);
  // Modes may come from an admin request body at run time.
  refused(transition(state('shadow'), ask('bogus' as RouteMode, 5)), /unknown mode "bogus"/);
  refused(transition(state('shadow'), ask('toString' as RouteMode, 5)), /unknown mode "toString"/);
});

test('the table is complete: every pair of modes is either allowed for someone or refused for everyone', () => {
  const allowed = new Set(['legacy→shadow', 'shadow→legacy', 'shadow→canary', 'canary→legacy', 'canary→shadow', 'canary→canary', 'canary→modern', 'modern→legacy', 'modern→shadow', 'modern→canary']);
  const sample: Record<RouteMode, ModeState> = { legacy: state('legacy'), shadow: state('shadow'), canary: state('canary', 40), modern: state('modern') };
  for (const from of routeModes) {
    for (const to of routeModes) {
      if (from === to && from !== 'canary') continue;
      const target = to === 'canary' ? (from === 'canary' ? 60 : 40) : undefined;
      const anyone = (['admin', 'promotion', 'config', 'breach'] as const).some((actor) => transition(sample[from], ask(to, target, actor, true)).ok);
      assert.equal(anyone, allowed.has(`${from}→${to}`), `${from} → ${to}`);
    }
  }
});
