/**
 * Off-path upstream calls: the request sent to the side that is not serving the client (modern
 * in shadow mode, legacy for comparison in modern mode, legacy again for A/A noise samples).
 * Each call has its own timeout; at most `concurrency` run at once and at most `queueSize`
 * wait, so a slow or dead upstream costs bounded memory. Anything that cannot be compared
 * resolves to a `not_compared` reason instead of throwing: the client never waits for it.
 */
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import type { CapturedResponse } from './compare.js';
import type { NotComparedReason } from './confidence.js';

export type ShadowResult =
  | { ok: true; response: CapturedResponse; ms: number }
  | { ok: false; reason: NotComparedReason; detail: string; ms: number; status?: number };

export interface ShadowRequest {
  origin: string;
  method: string;
  /** Path with query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Buffer | undefined;
  /**
   * When the call was asked for (`Date.now()`); the timeout, queue wait included, counts from
   * here. Defaults to when `send` is called; the shadow worker passes the main thread's time, so
   * the hop between threads counts too.
   */
  queuedAt?: number | undefined;
}

export interface ShadowerOptions {
  timeoutMs: number;
  concurrency: number;
  queueSize: number;
  maxBodyBytes: number;
  /** undici dispatcher; one is created (and closed on `close`) when not given. */
  dispatcher?: Agent;
}

/** Content types whose bodies never end or are meant to be consumed incrementally. */
const STREAMED = /^(text\/event-stream|application\/(x-)?ndjson|multipart\/x-mixed-replace)/i;

/** Headers that describe one hop and must not be forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'content-length']);

export function isStreamedContentType(contentType: string | string[] | undefined): boolean {
  const ct = Array.isArray(contentType) ? contentType[0] : contentType;
  return ct !== undefined && STREAMED.test(ct);
}

/** Copies request headers for another upstream, dropping hop-by-hop ones. */
export function forwardHeaders(headers: Record<string, string | string[] | undefined>, extra?: Record<string, string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k)) continue;
    out[k] = v;
  }
  return extra ? Object.assign(out, extra) : out;
}

type DispatchHandler = Dispatcher.DispatchHandler;
type DispatchController = Dispatcher.DispatchController;

/** Why the gateway ended a call it no longer wants (the upstream sees the connection reset). */
class ShadowCallEnded extends Error {
  constructor(why: string) {
    super(`shadow call ended by the gateway: ${why}`);
    this.name = 'ShadowCallEnded';
  }
}

interface Job {
  req: ShadowRequest;
  enqueuedAt: number;
  resolve: (r: ShadowResult) => void;
}

export interface Shadower {
  send(req: ShadowRequest): Promise<ShadowResult>;
  /** Calls running and waiting now (for metrics and tests). */
  load(): { inFlight: number; queued: number };
  close(): Promise<void>;
}

export function createShadower(options: ShadowerOptions): Shadower {
  const { timeoutMs, concurrency, queueSize, maxBodyBytes } = options;
  const dispatcher = options.dispatcher ?? new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connections: concurrency });
  const ownsDispatcher = options.dispatcher === undefined;
  const queue: Job[] = [];
  let inFlight = 0;
  let closed = false;

  const run = (job: Job): void => {
    inFlight++;
    execute(job.req, Math.max(1, timeoutMs - (Date.now() - job.enqueuedAt)), job.enqueuedAt)
      .then(job.resolve)
      .finally(() => {
        inFlight--;
        drain();
      });
  };
  const drain = (): void => {
    while (inFlight < concurrency && queue.length) {
      const next = queue.shift()!;
      if (Date.now() - next.enqueuedAt >= timeoutMs) {
        next.resolve({ ok: false, reason: 'timeout', detail: `waited ${timeoutMs} ms in the shadow queue`, ms: Date.now() - next.enqueuedAt });
      } else run(next);
    }
  };

  /**
   * One call through undici's dispatch API: the body is collected straight from the parser's
   * chunks, with no Readable, async iterator or AbortSignal per call (together about a quarter of
   * a shadow call's CPU with `request()`); the budget, queue wait included, is one timer.
   */
  function execute(req: ShadowRequest, budgetMs: number, startedAt: number): Promise<ShadowResult> {
    return new Promise<ShadowResult>((resolve) => {
      let controller: DispatchController | undefined;
      let settled = false;
      let status = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      let chunks: Buffer[] = [];
      let size = 0;
      const ms = () => Date.now() - startedAt;
      const timedOut = (): ShadowResult => ({ ok: false, reason: 'timeout', detail: `no answer within ${timeoutMs} ms`, ms: ms() });
      const settle = (r: ShadowResult, abort?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        chunks = [];
        if (abort) controller?.abort(abort);
        resolve(r);
      };
      const timer = setTimeout(() => settle(timedOut(), new ShadowCallEnded('timeout')), budgetMs);
      const handler: DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          if (settled) c.abort(new ShadowCallEnded('settled'));
        },
        onResponseStart(c, statusCode, hdrs) {
          if (statusCode < 200) return; // 1xx: the final answer follows
          status = statusCode;
          headers = hdrs as Record<string, string | string[] | undefined>;
          if (isStreamedContentType(headers['content-type'])) {
            settle({ ok: false, reason: 'streamed', detail: `content-type ${String(headers['content-type'])}`, ms: ms(), status }, new ShadowCallEnded('streamed'));
            return;
          }
          const declared = Number(headers['content-length'] ?? NaN);
          if (declared > maxBodyBytes) settle({ ok: false, reason: 'too_large', detail: `content-length ${declared} > ${maxBodyBytes}`, ms: ms(), status }, new ShadowCallEnded('too large'));
        },
        onResponseData(c, chunk) {
          if (settled) return;
          size += chunk.length;
          if (size > maxBodyBytes) settle({ ok: false, reason: 'too_large', detail: `body over ${maxBodyBytes} bytes`, ms: ms(), status }, new ShadowCallEnded('too large'));
          else chunks.push(chunk);
        },
        onResponseEnd() {
          settle({ ok: true, response: { status, headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) }, ms: ms() });
        },
        onResponseError(c, err) {
          if (settled) return;
          if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) settle(timedOut());
          else settle({ ok: false, reason: 'error', detail: describeUpstreamError(err), ms: ms() });
        },
      };
      try {
        // The origin may carry a base path (`http://modern:8080/v2`): the path is appended to it.
        const url = new URL(req.origin + req.path);
        dispatcher.dispatch({ origin: url.origin, path: url.pathname + url.search, method: req.method, headers: forwardHeaders(req.headers), body: req.body && req.body.length ? req.body : null }, handler);
      } catch (err) {
        settle({ ok: false, reason: 'error', detail: describeUpstreamError(err), ms: ms() });
      }
    });
  }

  return {
    send(req) {
      if (closed) return Promise.resolve({ ok: false, reason: 'error', detail: 'gateway is closing', ms: 0 });
      return new Promise<ShadowResult>((resolve) => {
        const job: Job = { req, enqueuedAt: req.queuedAt ?? Date.now(), resolve };
        if (inFlight < concurrency) run(job);
        else if (queue.length < queueSize) queue.push(job);
        else resolve({ ok: false, reason: 'queue_full', detail: `${inFlight} in flight and ${queue.length} queued`, ms: 0 });
      });
    },
    load: () => ({ inFlight, queued: queue.length }),
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.resolve({ ok: false, reason: 'error', detail: 'gateway is closing', ms: 0 });
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}

/** Drops a response body we will not read; the abort error it raises is expected, not a crash. */
export function discard(body: { on(event: 'error', fn: () => void): unknown; destroy(): unknown }): void {
  body.on('error', () => {});
  body.destroy();
}

/** One line naming what went wrong with an upstream call (the undici boundary). */
export function describeUpstreamError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code ?? (err.cause as NodeJS.ErrnoException | undefined)?.code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
