/**
 * The main thread's handle on the shadow worker (`gateway.shadow.worker`): a {@link Shadower}
 * whose calls run on a worker thread (`shadow-worker.ts`), plus `begin`, which hands the worker a
 * whole compared exchange, so that the second upstream call, its body capture, the A/A sample and
 * the comparison (JSON parsing of both bodies) all leave the proxy's event loop. Per shadowed
 * request the main thread sends the request when it arrives and the served side's outcome when
 * the client has it, and receives one verdict; bodies come back only for a mismatch (the
 * discrepancy to store) or when the spec check needs the other side. The two messages go through a
 * shared-memory ring (`shadow-ring.ts`: a copy, no structured clone, the worker woken only when it
 * sleeps); what does not fit there, and route rules, are posted in batches (calls to start at the
 * end of the event-loop turn, outcomes within 5 ms). The worker's replies go by postMessage, once
 * per turn of its loop. Admission (concurrency, queue,
 * per-call timeout) is the worker's own `createShadower`, unchanged, so every not_compared reason
 * means what it means on one thread; `load()` is the worker's latest report. Route rules reach the
 * worker as versioned messages, sent whenever a route's `rulesVersion` moved since the last one.
 * `close()` ends the worker at once: calls in flight resolve as not_compared `error` ('gateway is
 * closing'). A worker that dies is restarted; calls it held resolve as `error`.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/logger.js';
import type { CapturedResponse, CompareRules } from './compare.js';
import type { Side } from './confidence.js';
import { ShadowWorkerError } from './errors.js';
import { createRing, RingWriter, type RingRecord } from './shadow-ring.js';
import type { RouteController } from './route-controller.js';
import type { Shadower, ShadowerOptions, ShadowRequest, ShadowResult } from './shadow.js';
import type { ExchangeOutcome, Verdict } from './verdict.js';

// ---------------------------------------------------------------------------------------------
// Wire format (structured clone; bodies travel as Uint8Array, their ArrayBuffers transferred)
// ---------------------------------------------------------------------------------------------

/** What the worker is started with (`workerData`). */
export interface WorkerInit {
  options: Omit<ShadowerOptions, 'dispatcher'>;
  versionHeader?: string | undefined;
  /** The ring the proxy thread writes `send`/`begin`/`primary` messages to (`shadow-ring.ts`); one per worker. */
  ring: SharedArrayBuffer;
}

export type WireRequest = Omit<ShadowRequest, 'body' | 'queuedAt'> & { body?: Uint8Array; queuedAt: number };

export type ToWorker =
  | { t: 'rules'; route: string; version: number; rules: CompareRules; autoIgnoreNoise: boolean; knownNoise: string[] }
  | { t: 'send'; id: number; req: WireRequest }
  | { t: 'begin'; id: number; route: string; served: Side; other: WireRequest; noise?: WireRequest; returnOther: boolean }
  /** The served side's outcome; without `reply` (a failed one, the other side not wanted) it only tells the worker to forget the exchange. */
  | { t: 'primary'; id: number; primary: ExchangeOutcome; reply: boolean };

export type FromWorker = { t: 'result'; id: number; result: ShadowResult } | { t: 'verdict'; id: number; verdict: Verdict; other?: ShadowResult };

/** One batch the worker posts: its messages, and its load when it posted them. */
export interface FromWorkerBatch {
  load: { inFlight: number; queued: number };
  messages: FromWorker[];
}

/**
 * Ring encoding of the per-exchange messages: the JSON of the message with each body replaced by
 * its index among the record's bodies, and `after`, how many batches the proxy thread had posted
 * to this worker when it wrote the record. The worker handles a record only once it has handled
 * that many posted batches, and each posted batch only after the records written before it, so
 * both channels together keep the order in which messages were sent. `rules` messages never take
 * the ring (structured clone keeps their values as they are).
 */
type Indexed<T> = Omit<T, 'body'> & { body?: number };
function indexed(r: WireRequest, bodies: Uint8Array[]): Indexed<WireRequest> {
  if (!r.body) return r as Indexed<WireRequest>;
  bodies.push(r.body);
  return { ...r, body: bodies.length - 1 };
}

/** The ring record for `m`, written after `after` posted batches; undefined for messages that go by postMessage only. */
export function toRing(m: ToWorker, after: number): { json: string; bodies: Uint8Array[] } | undefined {
  const bodies: Uint8Array[] = [];
  let out: unknown;
  switch (m.t) {
    case 'rules':
      return undefined;
    case 'send':
      out = { ...m, req: indexed(m.req, bodies) };
      break;
    case 'begin':
      out = { ...m, other: indexed(m.other, bodies), ...(m.noise ? { noise: indexed(m.noise, bodies) } : {}) };
      break;
    case 'primary': {
      const p = m.primary;
      if (p.ok) {
        bodies.push(p.response.body);
        out = { ...m, primary: { ...p, response: { ...p.response, body: 0 } } };
      } else out = m;
      break;
    }
  }
  return { json: JSON.stringify({ after, m: out }), bodies };
}

/** The message a ring record holds and how many posted batches came before it (the inverse of {@link toRing}). */
export function fromRing(r: RingRecord): { after: number; message: ToWorker } {
  const { after, m } = JSON.parse(r.json) as { after: number; m: ToWorker };
  const body = (i: unknown) => {
    const b = r.bodies[i as number];
    if (b === undefined) throw new Error(`shadow ring: record of a ${m.t} refers to body ${String(i)} of ${r.bodies.length}`);
    return b;
  };
  const request = (w: WireRequest) => {
    if (w.body !== undefined) w.body = body(w.body);
  };
  if (m.t === 'send') request(m.req);
  else if (m.t === 'begin') {
    request(m.other);
    if (m.noise) request(m.noise);
  } else if (m.t === 'primary' && m.primary.ok) m.primary.response.body = body(m.primary.response.body);
  return { after, message: m };
}

/**
 * Data bytes of each worker's ring: about 700 exchanges with 1 KB bodies, 70 ms of traffic at
 * 10 000 shadowed req/s, while the worker drains it every millisecond. A record that does not fit
 * goes by postMessage. The ring's pages count in RSS once written, so it is not larger.
 */
const RING_BYTES = 1024 * 1024;

/** The worker's first message: its modules loaded, it takes work. */
export const WORKER_READY = 'ficus-shadow-worker-ready';

/**
 * Puts a body in a message, adding what to transfer to `transfer`. A Buffer that owns its whole
 * ArrayBuffer is moved (the sender's copy becomes empty); a slice (Node's pool for small buffers)
 * or one the sender keeps (`keep`) is copied to an exact-size buffer first, which is cheaper than
 * structured clone (it would copy the whole 8 KB pool).
 */
export function movable(body: Uint8Array, transfer: Set<ArrayBuffer>, keep = false): Uint8Array {
  const whole = body.buffer instanceof ArrayBuffer && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
  const out = !keep && whole ? body : new Uint8Array(body);
  transfer.add(out.buffer as ArrayBuffer);
  return out;
}

/** A body received in a message, as the Buffer the rest of the gateway expects. */
export function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function receivedResponse(r: CapturedResponse): CapturedResponse {
  r.body = asBuffer(r.body);
  return r;
}

function receivedResult(r: ShadowResult): ShadowResult {
  if (r.ok) receivedResponse(r.response);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Main-thread side
// ---------------------------------------------------------------------------------------------

/** What an offloaded exchange ends with: the verdict, and the other side's answer when asked for. */
export interface OffloadedResult {
  verdict: Verdict;
  other?: ShadowResult;
}

export interface OffloadedExchange {
  /**
   * Hands over the served side's outcome and resolves to the verdict. Its body may be moved to
   * the worker (unusable here afterwards) unless `keepBody`.
   */
  finish(primary: ExchangeOutcome, keepBody: boolean): Promise<OffloadedResult>;
}

export interface ExchangeToOffload {
  controller: RouteController;
  served: Side;
  /** The call to the side not serving the client. */
  other: ShadowRequest;
  /** The A/A call (legacy again), when sampled. */
  noise?: ShadowRequest | undefined;
  /** Send the other side's answer back with the verdict (the spec check needs it). */
  returnOther: boolean;
}

export interface ShadowOffload {
  /** Starts the off-path calls of one compared exchange in the worker; judging happens there too. */
  begin(x: ExchangeToOffload): OffloadedExchange;
}

export interface WorkerShadower extends Shadower, ShadowOffload {}

export interface WorkerShadowerDeps {
  logger: Logger;
  versionHeader?: string | undefined;
  /** The worker script; `shadow-worker.js` next to this module by default. */
  workerUrl?: URL;
}

const CLOSING = 'gateway is closing';
const START_TIMEOUT_MS = 10_000;
/** How long a message that only feeds a comparison may wait for company (see `post`). */
const LAZY_FLUSH_MS = 5;

/** Starts the shadow worker and resolves once it takes work; throws `ShadowWorkerError` when it cannot start. */
export async function createWorkerShadower(options: ShadowerOptions, deps: WorkerShadowerDeps): Promise<WorkerShadower> {
  const { logger } = deps;
  const init: Omit<WorkerInit, 'ring'> = {
    options: { timeoutMs: options.timeoutMs, concurrency: options.concurrency, queueSize: options.queueSize, maxBodyBytes: options.maxBodyBytes },
    versionHeader: deps.versionHeader,
  };
  const url = deps.workerUrl ?? new URL('./shadow-worker.js', import.meta.url);

  const calls = new Map<number, (r: ShadowResult) => void>();
  const exchanges = new Map<number, (r: OffloadedResult) => void>();
  /** Rules version last sent per route, for the current worker. */
  const sentRules = new Map<string, number>();
  let nextId = 1;
  let load = { inFlight: 0, queued: 0 };
  /** Why calls cannot be made any more: closing, or a worker that could not be restarted. */
  let down: string | undefined;
  let restarting = false;
  let worker: Worker;
  /** The current worker's ring. */
  let ring: RingWriter;
  /** Batches posted to the current worker (ring records carry the count, see `toRing`). */
  let posted = 0;
  let referenced = false;

  let outbox: ToWorker[] = [];
  let transfer = new Set<ArrayBuffer>();
  let immediate: NodeJS.Immediate | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (immediate) clearImmediate(immediate);
    if (timer) clearTimeout(timer);
    immediate = timer = undefined;
    if (down !== undefined || restarting) return;
    // A sleeping worker gets a doorbell: an empty batch, unless a batch goes anyway.
    if (ring.wake() && outbox.length === 0) {
      worker.postMessage([]);
      posted++;
    }
    if (outbox.length === 0) return;
    const batch = outbox;
    const list = [...transfer];
    outbox = [];
    transfer = new Set();
    worker.postMessage(batch, list);
    posted++;
  };
  /**
   * Sends a message. Per-exchange messages are written to the ring when they fit and nothing
   * waits in the outbox; the rest (rules, a record too big for the free space, anything while a
   * worker is being restarted) wait in the outbox to be posted. Either way the worker hears of it
   * at the next flush (a post, or a wake-up if it sleeps): calls to start (`urgent`) at the end of
   * this event-loop turn, served sides' outcomes within LAZY_FLUSH_MS, so most ride along.
   * Order: once a message waits in the outbox, all later ones do too until it is posted, and
   * ring records say how many batches were posted before them (see `toRing`), so the worker
   * handles messages in the order they were sent here. Bodies stay this thread's (the ring copies them) except a served side's
   * body posted without `keepBody`, which is moved.
   */
  const post = (m: ToWorker, urgent: boolean, keepBody = true) => {
    const r = outbox.length === 0 && !restarting && down === undefined ? toRing(m, posted) : undefined;
    if (!r || !ring.write(r.json, r.bodies)) outbox.push(forPosting(m, keepBody));
    if (urgent) {
      if (!immediate) immediate = setImmediate(flush);
    } else if (!immediate && !timer) timer = setTimeout(flush, LAZY_FLUSH_MS).unref(); // the worker's ref keeps pending work alive
  };

  /** Keeps the process alive while calls are pending, and only then (an idle gateway's worker holds nothing open). */
  const updateRef = () => {
    const busy = calls.size + exchanges.size > 0;
    if (busy === referenced) return;
    referenced = busy;
    if (busy) worker.ref();
    else worker.unref();
  };

  const onBatch = (batch: FromWorkerBatch | typeof WORKER_READY) => {
    if (batch === WORKER_READY || down !== undefined) return;
    load = batch.load;
    for (const m of batch.messages) {
      if (m.t === 'result') {
        const resolve = calls.get(m.id);
        calls.delete(m.id);
        resolve?.(receivedResult(m.result));
      } else {
        const resolve = exchanges.get(m.id);
        exchanges.delete(m.id);
        if (m.verdict.kind === 'compared' && m.verdict.mismatch) {
          receivedResponse(m.verdict.mismatch.legacy);
          receivedResponse(m.verdict.mismatch.modern);
        }
        resolve?.(m.other ? { verdict: m.verdict, other: receivedResult(m.other) } : { verdict: m.verdict });
      }
    }
    updateRef();
  };

  /** Resolves everything pending as not compared, e.g. when the worker is gone. */
  const failPending = (detail: string) => {
    for (const resolve of calls.values()) resolve({ ok: false, reason: 'error', detail, ms: 0 });
    // Not the other side's failure: no upstream error is counted (it could breach a route's error rate).
    for (const resolve of exchanges.values()) resolve({ verdict: { kind: 'not_compared', reason: 'error' } });
    calls.clear();
    exchanges.clear();
    load = { inFlight: 0, queued: 0 };
  };

  /** `m` as posted: its bodies copied to transferable buffers of their own (or moved, a served side's without `keepBody`). */
  const forPosting = (m: ToWorker, keepBody: boolean): ToWorker => {
    const req = (r: WireRequest): WireRequest => (r.body && r.body.length ? { ...r, body: movable(r.body, transfer, true) } : r);
    switch (m.t) {
      case 'rules':
        return m;
      case 'send':
        return { ...m, req: req(m.req) };
      case 'begin':
        return { ...m, other: req(m.other), ...(m.noise ? { noise: req(m.noise) } : {}) };
      case 'primary':
        return m.primary.ok ? { ...m, primary: { ...m.primary, response: { ...m.primary.response, body: movable(m.primary.response.body, transfer, keepBody) as Buffer } } } : m;
    }
  };

  const start = async (): Promise<{ worker: Worker; ring: RingWriter }> => {
    const sab = createRing(RING_BYTES);
    const w = new Worker(url, { workerData: { ...init, ring: sab } satisfies WorkerInit });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
        const onMessage = (m: unknown) => done(m === WORKER_READY ? undefined : new Error(`said ${JSON.stringify(m)} instead of ready`));
        const onError = (err: Error) => done(err);
        const onExit = (code: number) => done(new Error(`exited with code ${code}`));
        const done = (err: Error | undefined) => {
          clearTimeout(timer);
          w.off('message', onMessage).off('error', onError).off('exit', onExit);
          if (err) reject(err);
          else resolve();
        };
        w.on('message', onMessage).on('error', onError).on('exit', onExit);
      });
    } catch (err) {
      await w.terminate();
      throw new ShadowWorkerError(fileURLToPath(url), err);
    }
    w.on('message', onBatch);
    w.on('error', (err) => logger.error({ err }, 'shadow worker failed'));
    w.once('exit', (code) => {
      if (down !== undefined) return;
      // Not our doing: what it held is lost (not compared), and a new worker takes over.
      restarting = true;
      failPending(`shadow worker exited (code ${code})`);
      sentRules.clear();
      referenced = false;
      logger.error({ code }, 'shadow worker exited; starting a new one');
      start().then(
        (next) => {
          ({ worker, ring } = next);
          posted = 0;
          restarting = false;
          if (down !== undefined) void next.worker.terminate();
          else flush();
        },
        (err: unknown) => {
          logger.error({ err }, 'shadow worker could not be restarted; shadow calls are not compared (error) until the gateway restarts');
          down = 'the shadow worker could not be restarted';
          failPending(down);
          outbox = [];
          transfer = new Set();
        },
      );
    });
    w.unref();
    return { worker: w, ring: new RingWriter(sab) };
  };
  ({ worker, ring } = await start());
  posted = 0;

  const wire = (req: ShadowRequest, queuedAt: number): WireRequest => {
    const out: WireRequest = { origin: req.origin, method: req.method, path: req.path, headers: req.headers, queuedAt };
    // The request body stays the proxy's (it may be stored with a discrepancy): `post` copies it.
    if (req.body && req.body.length) out.body = req.body;
    return out;
  };

  const syncRules = (ctl: RouteController) => {
    const id = ctl.options.id;
    if (sentRules.get(id) === ctl.rulesVersion) return;
    sentRules.set(id, ctl.rulesVersion);
    // Compiled rules lose their brand in structured clone; the worker compiles (and caches) them again.
    post({ t: 'rules', route: id, version: ctl.rulesVersion, rules: { ...ctl.rules }, autoIgnoreNoise: ctl.options.autoIgnoreNoise, knownNoise: [...ctl.knownNoise] }, false);
  };

  return {
    send(req) {
      if (down !== undefined) return Promise.resolve({ ok: false, reason: 'error', detail: down, ms: 0 });
      return new Promise<ShadowResult>((resolve) => {
        const id = nextId++;
        calls.set(id, resolve);
        post({ t: 'send', id, req: wire(req, req.queuedAt ?? Date.now()) }, true);
        updateRef();
      });
    },

    begin(x) {
      const errorVerdict = (): OffloadedResult => ({ verdict: { kind: 'not_compared', reason: 'error' } });
      if (down !== undefined) return { finish: async () => errorVerdict() };
      const id = nextId++;
      const now = Date.now();
      syncRules(x.controller);
      post({
        t: 'begin',
        id,
        route: x.controller.options.id,
        served: x.served,
        other: wire(x.other, now),
        ...(x.noise ? { noise: wire(x.noise, now) } : {}),
        returnOther: x.returnOther,
      }, true);
      const { controller, returnOther } = x;
      return {
        finish(primary, keepBody) {
          if (down !== undefined) return Promise.resolve(errorVerdict());
          if (!primary.ok && !returnOther) {
            // Nothing to compare and nothing to send back: the worker only forgets the exchange.
            post({ t: 'primary', id, primary, reply: false }, false);
            return Promise.resolve({ verdict: { kind: 'not_compared', reason: primary.reason } });
          }
          syncRules(controller);
          return new Promise<OffloadedResult>((resolve) => {
            exchanges.set(id, resolve);
            post({ t: 'primary', id, primary, reply: true }, false, keepBody);
            updateRef();
          });
        },
      };
    },

    load: () => (down !== undefined ? { inFlight: 0, queued: 0 } : { ...load }),

    async close() {
      if (down === CLOSING) return;
      down = CLOSING;
      // The proxy has stopped; what is still out there would only delay shutdown.
      failPending(CLOSING);
      flush(); // drops what was queued (the gateway is down) and clears the flush timers
      outbox = [];
      transfer = new Set();
      await worker.terminate();
    },
  };
}
