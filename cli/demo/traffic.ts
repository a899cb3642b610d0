/**
 * The demo's traffic generator: a fixed mix of bank requests sent to the gateway at a bounded
 * rate, drawn from a seeded PRNG so two runs send the same sequence.
 */
import { request } from 'undici';
import { LOAN_IDS, READ_ACCOUNT_IDS, TRANSFER_ACCOUNT_IDS } from './bank-db.js';

/** mulberry32: a small seeded PRNG, enough for a reproducible traffic mix. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TrafficOptions {
  target: string;
  /** Requests per second. */
  rate: number;
  seed: number;
}

export interface Traffic {
  readonly sent: number;
  readonly failed: number;
  stop(): Promise<void>;
}

export function startTraffic(options: TrafficOptions): Traffic {
  const random = seededRandom(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  let sent = 0;
  let failed = 0;
  const inflight = new Set<Promise<void>>();
  const one = async (): Promise<void> => {
    const r = random();
    let path: string;
    let init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = { method: 'GET' };
    if (r < 0.3) path = `/accounts/${pick(READ_ACCOUNT_IDS)}`;
    else if (r < 0.6) path = `/loans/${pick(LOAN_IDS)}`;
    else if (r < 0.9) path = `/loans/${pick(LOAN_IDS)}/interest`;
    else {
      const from = pick(TRANSFER_ACCOUNT_IDS);
      const to = TRANSFER_ACCOUNT_IDS.find((id) => id !== from)!;
      path = '/transfers';
      init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from, to, amountCents: 100 + Math.floor(random() * 5000) }) };
    }
    try {
      const res = await request(`${options.target}${path}`, init);
      await res.body.dump();
      sent++;
    } catch {
      failed++;
    }
  };
  const timer = setInterval(() => {
    const p = one().finally(() => inflight.delete(p));
    inflight.add(p);
  }, Math.max(1, Math.round(1000 / options.rate)));
  return {
    get sent() {
      return sent;
    },
    get failed() {
      return failed;
    },
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...inflight]);
    },
  };
}
