/**
 * The main thread's handle on the shadow worker (`gateway.shadow.worker`): a {@link Shadower}
 * whose calls run on a worker thread (`shadow-worker.ts`), plus `begin`, which hands the worker a
 * whole compared exchange, so that the second upstream call, its body capture, the A/A sample and
 * the comparison (JSON parsing of both bodies) all leave the proxy's event loop. Per shadowed
 * request the main thread posts the request when it arrives and the served side's outcome when
 * the client has it (the captured body moved, not copied), and receives one verdict; bodies come
 * back only for a mismatch (the discrepancy to store) or when the spec check needs the other side.
 * Messages are batched: calls to start leave at the end of the event-loop turn, outcomes ride
 * along (within 5 ms), the worker's replies go once per turn of its loop. Admission (concurrency, queue,
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
   * Hands over the served side's outcome and resolves to the verdict. Its body is moved to the
   * worker (unusable here afterwards) unless `keepBody`.
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
  const init: WorkerInit = {
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
  let referenced = false;

  let outbox: ToWorker[] = [];
  let transfer = new Set<ArrayBuffer>();
  let immediate: NodeJS.Immediate | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (immediate) clearImmediate(immediate);
    if (timer) clearTimeout(timer);
    immediate = timer = undefined;
    if (down !== undefined || restarting || outbox.length === 0) return;
    const batch = outbox;
    const list = [...transfer];
    outbox = [];
    transfer = new Set();
    worker.postMessage(batch, list);
  };
  /**
   * Queues a message. Calls to start (`urgent`) leave at the end of this event-loop turn, so a
   * shadow call starts as soon as on one thread; served sides' outcomes only feed a comparison
   * and wait up to LAZY_FLUSH_MS for the next such flush, so most ride along with one instead of
   * costing a post (and a wake-up of the worker) each.
   */
  const post = (m: ToWorker, urgent: boolean) => {
    outbox.push(m);
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

  const start = async (): Promise<Worker> => {
    const w = new Worker(url, { workerData: init });
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
          worker = next;
          restarting = false;
          if (down !== undefined) void next.terminate();
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
    return w;
  };
  worker = await start();

  const wire = (req: ShadowRequest, queuedAt: number): WireRequest => {
    const out: WireRequest = { origin: req.origin, method: req.method, path: req.path, headers: req.headers, queuedAt };
    // The request body stays the proxy's (it may be stored with a discrepancy): copied, not moved.
    if (req.body && req.body.length) out.body = movable(req.body, transfer, true);
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
            const moved: ExchangeOutcome = primary.ok ? { ...primary, response: { ...primary.response, body: movable(primary.response.body, transfer, keepBody) as Buffer } } : primary;
            post({ t: 'primary', id, primary: moved, reply: true }, false);
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
