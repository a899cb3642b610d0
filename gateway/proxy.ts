/**
 * The client-facing request path, as a fastify plugin over @fastify/reply-from. Each configured
 * route is a fastify route (fastify's router does the matching); everything else goes to legacy
 * untouched. The serving side's response streams to the client while a bounded copy is kept;
 * the other side is called through the shadower, and the two are compared only after the client
 * has its answer. In canary/modern, an idempotent request that modern fails (connection error,
 * timeout, 5xx) is replayed to legacy, so the client sees no error legacy would not have given.
 * With `gateway.specs`, what the gateway holds of each exchange (captured bodies, or the status
 * alone when nothing is captured) is handed to the spec checker, also after the client's answer.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import replyFrom from '@fastify/reply-from';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { captureBody, type CaptureOutcome } from './capture.js';
import type { GatewayOptions } from './options.js';
import type { Side } from './confidence.js';
import type { ExchangeOutcome, Recorder } from './recorder.js';
import type { RouteController } from './route-controller.js';
import { IDEMPOTENT_READS, fillPath } from './router.js';
import type { ShadowOffload } from './shadow-offload.js';
import type { SpecChecker } from './spec-check.js';
import type { CheckedRequest, CheckedResponse } from './spec-validator.js';
import type { TrafficTracker } from './traffic.js';
import { describeUpstreamError, discard, isStreamedContentType, type ShadowRequest, type ShadowResult, type Shadower } from './shadow.js';

export interface ProxyDeps {
  options: GatewayOptions;
  controllers: ReadonlyMap<string, RouteController>;
  shadower: Shadower;
  /**
   * With `gateway.shadow.worker`: compared exchanges are handed to the shadow worker whole (calls
   * and comparison), and only verdicts come back. Without it, or for read-back verification, the
   * calls go through `shadower` and the comparison runs here.
   */
  offload?: ShadowOffload | undefined;
  /** Compares and records a finished pair, or records a verdict from the worker; called off the client's path. */
  recorder: Recorder;
  /** Counts traffic by route and unmatched path template (traffic vs spec on the dashboard). */
  traffic?: TrafficTracker;
  /** Checks exchanges against the spec, off the client's path (`gateway.specCheck`). */
  specCheck?: SpecChecker;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    ficusRoute?: string;
  }
}

type UpstreamResponse = { statusCode: number; headers: IncomingHttpHeaders; stream: Readable };

async function ficusProxy(fastify: FastifyInstance, deps: ProxyDeps): Promise<void> {
  const { options, controllers, shadower, offload, recorder, traffic, specCheck } = deps;
  const { legacy, modern } = options.upstreams;
  const maxBody = options.shadow.maxBodyBytes;

  await fastify.register(replyFrom, {
    disableRequestLogging: true,
    undici: { connections: 256, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs },
  });

  // Bodies pass through as streams unless a route must send the same body twice.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', function (request, payload, done) {
    const id = request.routeOptions.config.ficusRoute;
    const ctl = id === undefined ? undefined : controllers.get(id);
    if (!ctl || (ctl.options.shadowWrites !== 'dry-run' && ctl.options.verify === undefined)) {
      done(null, payload);
      return;
    }
    // The body is sent twice, so it is buffered, within the route's body limit.
    const limit = request.routeOptions.bodyLimit ?? 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    payload.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit && !failed) {
        failed = true;
        const err = Object.assign(new Error(`request body over ${limit} bytes`), { statusCode: 413 });
        payload.destroy();
        done(err, undefined);
      } else if (!failed) chunks.push(c);
    });
    payload.on('end', () => {
      if (!failed) done(null, Buffer.concat(chunks, size));
    });
    payload.on('error', (err) => {
      if (!failed) done(err, undefined);
    });
  });

  const bodyOpts = (request: FastifyRequest) =>
    Buffer.isBuffer(request.body) && request.body.length > 0
      ? { body: request.body, contentType: String(request.headers['content-type'] ?? 'application/octet-stream') }
      : {};

  // Unmatched requests: legacy, untouched.
  fastify.all('/*', (request, reply) => {
    traffic?.unmatched(request.method, request.url);
    return reply.from(legacy + request.url, bodyOpts(request));
  });

  for (const ctl of controllers.values()) {
    fastify.route({
      method: [...ctl.options.methods],
      url: ctl.options.path,
      config: { ficusRoute: ctl.options.id },
      handler: (request, reply) => handle(ctl, request, reply),
    });
  }

  function stickyKey(ctl: RouteController, request: FastifyRequest): string | undefined {
    const s = ctl.options.sticky;
    if (!s) return undefined;
    if (s.kind === 'header') {
      const v = request.headers[s.name];
      return Array.isArray(v) ? v[0] : v;
    }
    if (s.kind === 'query') {
      const v = (request.query as Record<string, unknown>)[s.name];
      return typeof v === 'string' ? v : undefined;
    }
    const cookie = request.headers.cookie;
    if (!cookie) return undefined;
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === s.name) return decodeURIComponent(part.slice(eq + 1).trim());
    }
    return undefined;
  }

  /**
   * Hands what the gateway holds of an exchange to the spec checker, on a later turn of the event
   * loop. Sides absent from `responses` (failed, not called) are not checked.
   */
  function checkSpec(ctl: RouteController, request: CheckedRequest, served: Side, responses: Partial<Record<Side, CheckedResponse | undefined>>, sampled?: boolean): void {
    if (!specCheck || !specCheck.covers(ctl)) return;
    const held: Partial<Record<Side, CheckedResponse>> = {};
    if (responses.legacy) held.legacy = responses.legacy;
    if (responses.modern) held.modern = responses.modern;
    if (!held.legacy && !held.modern) return;
    if (!(sampled ?? specCheck.sampled())) return;
    setImmediate(() => specCheck.check({ controller: ctl, request, served, responses: held }));
  }

  function handle(ctl: RouteController, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    traffic?.routed(ctl.options.id, request.method);
    const decision = ctl.decide(request.method, stickyKey(ctl, request));
    if (!decision.compare) {
      if (decision.skip) ctl.recordNotCompared(decision.skip);
      return serve(ctl, decision.serve, request, reply, undefined);
    }

    const safe = IDEMPOTENT_READS.has(request.method);
    const other = decision.serve === 'legacy' ? 'modern' : 'legacy';
    const base: ShadowRequest = {
      origin: other === 'legacy' ? legacy : modern,
      method: request.method,
      path: request.url,
      headers: request.headers,
      body: Buffer.isBuffer(request.body) ? request.body : undefined,
    };
    const otherReq: ShadowRequest | undefined = safe ? base : ctl.options.shadowWrites === 'dry-run' ? { ...base, headers: { ...request.headers, [ctl.options.shadowHeader]: '1' } } : undefined;
    const noiseReq: ShadowRequest | undefined = decision.noise ? { ...base, origin: legacy } : undefined;
    const stored = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: Buffer.isBuffer(request.body) ? request.body : undefined,
    };

    if (offload && otherReq) {
      // The worker makes the calls and compares; the spec check, when it samples this exchange,
      // needs the other side's answer back and the served side's body kept here.
      const specWanted = specCheck !== undefined && specCheck.covers(ctl) && specCheck.sampled();
      const job = offload.begin({ controller: ctl, served: decision.serve, other: otherReq, noise: noiseReq, returnOther: specWanted });
      const settle = (p: ExchangeOutcome): void => {
        const spec = specWanted ? held(p) : undefined;
        void job.finish(p, specWanted).then((r) => {
          if (specWanted) checkSpec(ctl, stored, decision.serve, { [decision.serve]: spec, [other]: r.other && held(r.other) }, true);
          recorder.apply(ctl, stored, r.verdict);
        });
      };
      return serve(ctl, decision.serve, request, reply, settle);
    }

    let otherCall: Promise<ShadowResult> | 'read-back';
    if (otherReq) otherCall = shadower.send(otherReq);
    else otherCall = 'read-back';
    const noiseCall = noiseReq ? shadower.send(noiseReq) : undefined;

    let settle!: (o: ExchangeOutcome) => void;
    const primary = new Promise<ExchangeOutcome>((resolve) => {
      settle = resolve;
    });
    serve(ctl, decision.serve, request, reply, settle);

    void primary.then(async (p) => {
      let otherResult: ShadowResult;
      let primaryOutcome = p;
      if (otherCall === 'read-back') {
        // The spec holds the write to the write's operation; the read-backs are the gateway's own GETs.
        checkSpec(ctl, stored, decision.serve, { [decision.serve]: held(p) });
        // The write reached legacy only; compare what both sides now return for the resource.
        if (!p.ok || p.response.status >= 400) return ctl.recordNotCompared(p.ok ? 'error' : p.reason);
        const path = fillPath(ctl.options.verify!.readBack, request.params as Record<string, string>, jsonOrUndefined(p.response.body));
        if (path === undefined) return ctl.recordNotCompared('error');
        const get: ShadowRequest = { origin: legacy, method: 'GET', path, headers: stripBodyHeaders(request.headers) };
        const [l, m] = await Promise.all([shadower.send(get), shadower.send({ ...get, origin: modern })]);
        primaryOutcome = l.ok ? { ok: true, response: l.response, ms: l.ms } : { ok: false, reason: l.reason, detail: l.detail };
        otherResult = m;
      } else {
        otherResult = await otherCall;
      }
      const noise = noiseCall ? await noiseCall : undefined;
      if (otherCall !== 'read-back') checkSpec(ctl, stored, decision.serve, { [decision.serve]: held(p), [other]: held(otherResult) });
      setImmediate(() =>
        recorder.record({
          controller: ctl,
          request: stored,
          served: otherCall === 'read-back' ? 'legacy' : decision.serve,
          primary: primaryOutcome,
          other: otherResult,
          ...(noise ? { noise } : {}),
        }),
      );
    });
    return reply;
  }

  /**
   * Sends the request to one side and streams its answer to the client. With `settle`, the
   * body is captured for comparison. Modern failures on idempotent requests fall back to legacy.
   */
  function serve(ctl: RouteController, side: 'legacy' | 'modern', request: FastifyRequest, reply: FastifyReply, settle: ((o: ExchangeOutcome) => void) | undefined): FastifyReply {
    const started = performance.now();
    const canFallBack = side === 'modern' && ctl.options.fallback && IDEMPOTENT_READS.has(request.method);
    return reply.from((side === 'legacy' ? legacy : modern) + request.url, {
      ...bodyOpts(request),
      timeout: side === 'modern' ? ctl.options.timeoutMs : options.timeoutMs,
      onResponse: (_req, rep, raw) => {
        const res = raw as unknown as UpstreamResponse;
        if (res.statusCode >= 500) {
          ctl.recordError(side);
          if (canFallBack) {
            discard(res.stream);
            for (const name of Object.keys(res.headers)) rep.removeHeader(name);
            settle?.({ ok: false, reason: 'error', detail: `modern answered ${res.statusCode}; served by legacy` });
            fallBack(ctl, request, reply, `modern answered ${res.statusCode}`);
            return;
          }
        }
        if (!settle) {
          // Nothing is captured on this path: the spec check sees the status only.
          if (specCheck) checkSpec(ctl, { method: request.method, url: request.url, headers: request.headers, body: Buffer.isBuffer(request.body) ? request.body : undefined }, side, { [side]: { status: res.statusCode } });
          rep.send(res.stream);
          return;
        }
        if (isStreamedContentType(res.headers['content-type'])) {
          settle({ ok: false, reason: 'streamed', detail: `content-type ${String(res.headers['content-type'])}`, status: res.statusCode });
          rep.send(res.stream);
          return;
        }
        const declared = Number(res.headers['content-length'] ?? NaN);
        if (declared > maxBody) {
          settle({ ok: false, reason: 'too_large', detail: `content-length ${declared} > ${maxBody}`, status: res.statusCode });
          rep.send(res.stream);
          return;
        }
        const { stream, body } = captureBody(res.stream, maxBody);
        rep.send(stream);
        void body.then((o: CaptureOutcome) =>
          settle(
            o.ok
              ? { ok: true, response: { status: res.statusCode, headers: res.headers as Record<string, string | string[] | undefined>, body: o.body }, ms: performance.now() - started }
              : { ok: false, reason: o.reason, detail: o.detail, status: res.statusCode },
          ),
        );
      },
      onError: (rep, { error }) => {
        ctl.recordError(side);
        settle?.({ ok: false, reason: 'error', detail: `${side}: ${describeUpstreamError(error)}` });
        if (canFallBack) {
          fallBack(ctl, request, reply, describeUpstreamError(error));
          return;
        }
        rep.send(error);
      },
    });
  }

  function fallBack(ctl: RouteController, request: FastifyRequest, reply: FastifyReply, reason: string): void {
    ctl.recordFallback(reason);
    reply.from(legacy + request.url, {
      ...bodyOpts(request),
      onResponse: (_req, rep, raw) => {
        const res = raw as unknown as UpstreamResponse;
        if (res.statusCode >= 500) ctl.recordError('legacy');
        rep.send(res.stream);
      },
      onError: (rep, { error }) => {
        ctl.recordError('legacy');
        rep.send(error);
      },
    });
  }
}

/** What the spec checker can hold a side to: the captured response, or its status when the body was not kept. */
function held(o: ExchangeOutcome | ShadowResult): CheckedResponse | undefined {
  if (o.ok) return o.response;
  return o.status === undefined ? undefined : { status: o.status };
}

function stripBodyHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { 'content-type': _ct, 'content-length': _cl, 'transfer-encoding': _te, ...rest } = headers;
  return rest;
}

function jsonOrUndefined(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export default fp(ficusProxy, { name: 'ficus-proxy', fastify: '5.x' });
