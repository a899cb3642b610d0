/**
 * The shadow worker thread (`gateway.shadow.worker`): the off-path upstream calls and the judging
 * of compared exchanges, away from the proxy's event loop. Started by `shadow-offload.ts`, which
 * owns the protocol; here a `createShadower` (the same timeout, concurrency cap and bounded queue
 * as on one thread) makes the calls, and `judgeExchange` (the same function the main thread uses
 * without the worker) compares, with the route rules the main thread last sent. Replies are
 * batched per event-loop turn and carry the shadower's load.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { compileRules, structuralCompare, type CompiledRules } from './compare.js';
import type { Side } from './confidence.js';
import { createShadower, type ShadowRequest, type ShadowResult } from './shadow.js';
import { RingReader } from './shadow-ring.js';
import { asBuffer, fromRing, movable, WORKER_READY, type FromWorker, type FromWorkerBatch, type ToWorker, type WireRequest, type WorkerInit } from './shadow-offload.js';
import { judgeExchange, type ExchangeOutcome, type Verdict } from './verdict.js';

if (!parentPort) throw new Error('shadow-worker.js runs as a worker thread (started by the gateway), not on its own');
const port = parentPort;
const init = workerData as WorkerInit;
const shadower = createShadower(init.options);

interface RouteRules {
  version: number;
  rules: CompiledRules;
  autoIgnoreNoise: boolean;
  knownNoise: ReadonlySet<string>;
}
const routes = new Map<string, RouteRules>();

interface Pending {
  route: string;
  served: Side;
  other: Promise<ShadowResult>;
  noise: Promise<ShadowResult> | undefined;
  returnOther: boolean;
}
const exchanges = new Map<number, Pending>();

let outbox: FromWorker[] = [];
let transfer = new Set<ArrayBuffer>();
let flushScheduled = false;
function flush(): void {
  flushScheduled = false;
  const batch: FromWorkerBatch = { load: shadower.load(), messages: outbox };
  const list = [...transfer];
  outbox = [];
  transfer = new Set();
  port.postMessage(batch, list);
}
function reply(m: FromWorker): void {
  progressed();
  outbox.push(m);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

const request = (w: WireRequest): ShadowRequest => (w.body ? { ...w, body: asBuffer(w.body) } : (w as ShadowRequest));

/** Moves a result's body into the reply (this thread has no further use for it). */
function outgoing(r: ShadowResult): ShadowResult {
  if (r.ok) r.response.body = movable(r.response.body, transfer) as Buffer;
  return r;
}

async function judge(id: number, ex: Pending, primary: ExchangeOutcome): Promise<void> {
  let verdict: Verdict;
  let other: ShadowResult | undefined;
  try {
    const [o, noise] = await Promise.all([ex.other, ex.noise]);
    other = o;
    const r = routes.get(ex.route);
    if (!r) throw new Error(`no rules for route ${ex.route}`); // the main thread sends them before the first exchange
    if (primary.ok) primary.response.body = asBuffer(primary.response.body);
    verdict = judgeExchange({ served: ex.served, primary, other, noise }, { compare: structuralCompare, rules: r.rules, autoIgnoreNoise: r.autoIgnoreNoise, knownNoise: r.knownNoise, versionHeader: init.versionHeader });
  } catch (err) {
    // Never leave the main thread waiting; a failure here is not the upstream's fault.
    verdict = { kind: 'not_compared', reason: 'error' };
    process.emitWarning(`ficus shadow worker: judging failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (verdict.kind === 'compared' && verdict.mismatch) {
    verdict.mismatch.legacy.body = movable(verdict.mismatch.legacy.body, transfer) as Buffer;
    verdict.mismatch.modern.body = movable(verdict.mismatch.modern.body, transfer) as Buffer;
  }
  // With a mismatch, `other` holds one of the two responses just moved: moving it again adds nothing, and structured clone sends it once.
  reply(ex.returnOther && other ? { t: 'verdict', id, verdict, other: outgoing(other) } : { t: 'verdict', id, verdict });
}

function handle(m: ToWorker): void {
  switch (m.t) {
    case 'rules':
      routes.set(m.route, { version: m.version, rules: compileRules(m.rules), autoIgnoreNoise: m.autoIgnoreNoise, knownNoise: new Set(m.knownNoise) });
      return;
    case 'send':
      void shadower.send(request(m.req)).then((result) => reply({ t: 'result', id: m.id, result: outgoing(result) }));
      return;
    case 'begin':
      exchanges.set(m.id, {
        route: m.route,
        served: m.served,
        other: shadower.send(request(m.other)),
        noise: m.noise ? shadower.send(request(m.noise)) : undefined,
        returnOther: m.returnOther,
      });
      return;
    case 'primary': {
      const ex = exchanges.get(m.id);
      exchanges.delete(m.id);
      if (!m.reply) return; // the main thread has its verdict already; only forget the exchange
      // Unknown: a worker restarted since the exchange began, and holds nothing to compare.
      if (!ex) reply({ t: 'verdict', id: m.id, verdict: { kind: 'not_compared', reason: 'error' } });
      else void judge(m.id, ex, m.primary);
      return;
    }
  }
}

// Messages arrive through the ring and, for what did not fit or came while it was not in use, by
// postMessage. Each ring record says how many posted batches the proxy thread had sent before it:
// a record waits (`held`) until that many batches were handled, and a batch is handled only after
// the records written before it, so messages are handled in the order they were sent.
const ring = new RingReader(init.ring);
let batchesHandled = 0;
let held: ToWorker | undefined;
let heldAfter = 0;
/** Handles up to `limit` ring records whose turn has come; returns how many it handled. */
function drainRing(limit: number): number {
  let n = 0;
  while (n < limit) {
    if (held) {
      if (heldAfter > batchesHandled) break;
      const m = held;
      held = undefined;
      handle(m);
      n++;
      continue;
    }
    const r = ring.read();
    if (r === undefined) break;
    const { after, message } = fromRing(r);
    held = message;
    heldAfter = after;
  }
  return n;
}
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/**
 * While calls are out, and for IDLE_MS after the last record, this thread is not asleep on the
 * ring: it looks again whenever a call ends (or another message is ready) and at least every
 * POLL_MS. Waking a sleeping thread costs the proxy thread far more than writing a record (on a
 * 2-vCPU VM at 1 500 shadowed req/s, ~50 doorbells a second showed as 10-13 µs per request of
 * the proxy thread's profile; a poll costs it nothing), so under steady traffic this thread never
 * sleeps; once traffic stops it sleeps and is woken by the next record's doorbell.
 */
const POLL_MS = 1;
const IDLE_MS = 250;
let lastRecordAt = 0;
let progress: (() => void) | undefined;
function progressed(): void {
  const p = progress;
  progress = undefined;
  p?.();
}
const callsOut = (): boolean => {
  const l = shadower.load();
  return l.inFlight + l.queued > 0;
};
/** Resolves the pump's wait for a doorbell: any posted batch, an empty one when it only wakes. */
let doorbell: (() => void) | undefined;
async function pump(): Promise<never> {
  for (;;) {
    // A bounded number per turn, so the calls' sockets are served in between.
    if (drainRing(256) > 0) {
      lastRecordAt = performance.now();
      await nextTurn();
    } else if (callsOut() || held || performance.now() - lastRecordAt < IDLE_MS) {
      // (A held record waits for a batch that is on its way: its arrival wakes this loop.)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(progressed, POLL_MS);
        progress = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    } else if (ring.sleep()) {
      await new Promise<void>((resolve) => {
        doorbell = resolve;
      });
      ring.awake();
    }
  }
}

port.on('message', (batch: ToWorker[]) => {
  drainRing(Infinity);
  for (const m of batch) handle(m);
  batchesHandled++;
  progressed();
  const d = doorbell;
  doorbell = undefined;
  d?.();
});
port.postMessage(WORKER_READY);
void pump();
