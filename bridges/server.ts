/**
 * The bridge's HTTP listener (default 127.0.0.1:9902): `/status`, `/metrics`, and for the
 * embedded sink the event log: `GET /events?after=CURSOR&type=&limit=` (JSON page) and
 * `GET /events/stream` (server-sent events, resumable with `Last-Event-ID`, with backpressure:
 * a slow consumer is never sent more than the socket accepts).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Bridge } from './bridge.js';
import type { BridgeMetrics } from './metrics.js';
import type { EventLog, StoredEvent } from './sinks/embedded.js';

export interface BridgeServerDeps {
  bridge: Bridge;
  metrics: BridgeMetrics;
  /** Present when the sink is embedded. */
  log?: EventLog;
  /** SSE heartbeat interval, ms. */
  heartbeatMs?: number;
}

function cursorParam(value: unknown, name: string): number {
  if (value === undefined || value === '') return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw Object.assign(new Error(`${name} must be a non-negative integer cursor (got ${JSON.stringify(value)})`), { statusCode: 400, code: 'FICUS_BR_BAD_REQUEST' });
  return n;
}

function typesParam(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean);
  return list.length ? list : undefined;
}

async function bridgeServer(app: FastifyInstance, deps: BridgeServerDeps): Promise<void> {
  const { bridge, metrics, log } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    return reply.code(status).send({ error: { code: err.code?.startsWith('FICUS_') ? err.code : status === 400 ? 'FICUS_BR_BAD_REQUEST' : 'FICUS_BR_INTERNAL', message: err.message } });
  });

  app.get('/status', async () => bridge.status());
  app.get('/metrics', async (_req, reply) => {
    await bridge.status(); // refreshes lag gauges
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  const noLog = () =>
    Object.assign(new Error('this bridge publishes to Kafka; the event log endpoints exist only with sink.kind: embedded'), { statusCode: 404, code: 'FICUS_BR_NO_EVENT_LOG' });

  app.get('/events', async (req) => {
    if (!log) throw noLog();
    const q = req.query as Record<string, unknown>;
    const after = cursorParam(q.after, 'after');
    const limitRaw = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limitRaw) || limitRaw < 1 || limitRaw > 10_000) {
      throw Object.assign(new Error(`limit must be an integer 1..10000 (got ${JSON.stringify(q.limit)})`), { statusCode: 400, code: 'FICUS_BR_BAD_REQUEST' });
    }
    const types = typesParam(q.type);
    const rows = log.read(after, { limit: limitRaw, ...(types ? { types } : {}), ...(typeof q.topic === 'string' ? { topic: q.topic } : {}) });
    // `next` is where to continue: the last event returned, or the log head when a type filter skipped the rest.
    const next = rows.length ? rows[rows.length - 1]!.seq : Math.max(after, types ? log.head() : after);
    return { events: rows.map((r) => r.event), next: String(next) };
  });

  app.get('/events/stream', (req, reply) => {
    if (!log) throw noLog();
    const q = req.query as Record<string, unknown>;
    const lastEventId = req.headers['last-event-id'];
    let cursor = cursorParam(typeof lastEventId === 'string' ? lastEventId : q.after, typeof lastEventId === 'string' ? 'Last-Event-ID' : 'after');
    const types = typesParam(q.type);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': ficus event stream\n\n');
    let closed = false;
    let pumping = false;
    let again = false;
    const format = (e: StoredEvent) => `id: ${e.seq}\nevent: ${e.event.type}\ndata: ${JSON.stringify(e.event)}\n\n`;
    const pump = async (): Promise<void> => {
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      try {
        do {
          again = false;
          for (;;) {
            if (closed) return;
            const batch = log.read(cursor, { limit: 500, ...(types ? { types } : {}) });
            if (batch.length === 0) {
              if (types) cursor = Math.max(cursor, log.head());
              break;
            }
            let ok = true;
            for (const e of batch) ok = res.write(format(e)) && ok;
            cursor = batch[batch.length - 1]!.seq;
            if (!ok) await new Promise<void>((resolve) => res.once('drain', () => resolve()));
          }
        } while (again && !closed);
      } finally {
        pumping = false;
      }
    };
    const onAppended = () => void pump();
    log.notifier.on('appended', onAppended);
    const heartbeat = setInterval(() => res.write(': keepalive\n\n'), heartbeatMs);
    heartbeat.unref();
    const cleanup = () => {
      closed = true;
      clearInterval(heartbeat);
      log.notifier.off('appended', onAppended);
    };
    res.on('close', cleanup);
    void pump();
  });
}

export default fp(bridgeServer, { name: 'ficus-bridge-server', fastify: '5.x' });
