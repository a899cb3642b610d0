/**
 * The admin API on its own listener (default 127.0.0.1:9901): route status, discrepancies,
 * approvals, rollbacks, mode changes, noise review, the audit log, and Prometheus metrics.
 * Every call except `GET /healthz` requires `Authorization: Bearer <token>` when a token is
 * configured. The contract is `specs/admin-api.openapi.yaml`; tests validate responses against it.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AdminBadRequestError, AdminUnauthorizedError, DiscrepancyNotFoundError, GatewayError, RouteNotFoundError } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import { routeModes, type RouteMode } from './modes.js';
import type { RouteController } from './route-controller.js';
import type { Shadower } from './shadow.js';
import type { DiscrepancyRecord, GatewayState } from './state.js';

export interface AdminDeps {
  token?: string;
  controllers: ReadonlyMap<string, RouteController>;
  state: GatewayState;
  metrics: GatewayMetrics;
  shadower: Shadower;
}

function tokenMatches(expected: string, header: string | undefined): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const a = Buffer.from(header.slice(7));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function intParam(value: unknown, name: string, def: number, max: number): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new AdminBadRequestError(`${name} must be an integer 1..${max} (got ${JSON.stringify(value)})`);
  return n;
}

/** A discrepancy as the API shows it: bodies as stored (exact text, secrets redacted). */
function discrepancyView(d: DiscrepancyRecord) {
  return {
    id: d.id,
    routeId: d.routeId,
    at: d.at,
    request: d.request,
    legacy: d.legacy,
    modern: d.modern,
    differences: d.differences,
  };
}

async function adminApi(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const { token, controllers, state, metrics, shadower } = deps;

  app.setErrorHandler((err: FastifyError | GatewayError, _req, reply) => {
    if (err instanceof GatewayError) return reply.code(err.statusCode).send({ error: { code: err.code, message: err.message } });
    if (err.validation || err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.statusCode === 400 || err.statusCode === 415) {
      return reply.code(400).send({ error: { code: AdminBadRequestError.code, message: err.message } });
    }
    return reply.code(500).send({ error: { code: 'FICUS_GW_INTERNAL', message: err.message } });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: 'FICUS_GW_NOT_FOUND', message: `no admin endpoint ${req.method} ${req.url}` } }));

  app.addHook('onRequest', async (req) => {
    if (req.url === '/healthz') return;
    if (token !== undefined && !tokenMatches(token, req.headers.authorization)) throw new AdminUnauthorizedError();
  });

  const route = (req: FastifyRequest): RouteController => {
    const id = (req.params as { id: string }).id;
    const ctl = controllers.get(id);
    if (!ctl) throw new RouteNotFoundError(id);
    return ctl;
  };
  const actor = (req: FastifyRequest): string => {
    const a = req.headers['x-ficus-actor'];
    return typeof a === 'string' && a.trim() ? a.trim().slice(0, 100) : 'admin';
  };
  const bodyOf = (req: FastifyRequest): Record<string, unknown> => {
    const b = req.body;
    if (b === undefined || b === null) return {};
    if (typeof b !== 'object' || Array.isArray(b)) throw new AdminBadRequestError('request body must be a JSON object');
    return b as Record<string, unknown>;
  };

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/api/routes', async () => ({ routes: [...controllers.values()].map((c) => c.view()) }));
  app.get('/api/routes/:id', async (req) => ({ route: route(req).view() }));

  app.get('/api/routes/:id/discrepancies', async (req) => {
    const ctl = route(req);
    const limit = intParam((req.query as Record<string, unknown>).limit, 'limit', 50, 1000);
    return { discrepancies: state.discrepancies(ctl.options.id, limit).map(discrepancyView) };
  });

  const discrepancy = (req: FastifyRequest): DiscrepancyRecord => {
    const raw = (req.params as { did: string }).did;
    const id = Number(raw);
    if (!Number.isInteger(id) || id < 1) throw new AdminBadRequestError(`discrepancy id must be a positive integer (got ${JSON.stringify(raw)})`);
    const d = state.discrepancy(id);
    if (!d) throw new DiscrepancyNotFoundError(id);
    return d;
  };
  app.get('/api/discrepancies/:did', async (req) => ({ discrepancy: discrepancyView(discrepancy(req)) }));
  // A ready-to-run regression case: replay `request`, expect `expected` (legacy's answer).
  app.get('/api/discrepancies/:did/fixture', async (req) => {
    const d = discrepancy(req);
    return {
      name: `${d.routeId}-discrepancy-${d.id}`,
      route: d.routeId,
      recordedAt: d.at,
      request: d.request,
      expected: d.legacy,
      differencesSeen: d.differences,
    };
  });

  app.post('/api/routes/:id/approve', async (req) => {
    const ctl = route(req);
    ctl.approve(actor(req));
    return { route: ctl.view() };
  });

  app.post('/api/routes/:id/rollback', async (req) => {
    const ctl = route(req);
    const body = bodyOf(req);
    const reason = typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim() : 'manual rollback';
    ctl.rollback(`${reason} (by ${actor(req)})`);
    return { route: ctl.view() };
  });

  app.post('/api/routes/:id/mode', async (req) => {
    const ctl = route(req);
    const body = bodyOf(req);
    if (typeof body.mode !== 'string' || !(routeModes as readonly string[]).includes(body.mode)) {
      throw new AdminBadRequestError(`mode must be one of ${routeModes.join(', ')} (got ${JSON.stringify(body.mode)})`);
    }
    if (body.percent !== undefined && typeof body.percent !== 'number') throw new AdminBadRequestError(`percent must be a number (got ${JSON.stringify(body.percent)})`);
    const reason = typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim() : 'set by admin';
    ctl.changeMode({ mode: body.mode as RouteMode, ...(typeof body.percent === 'number' ? { percent: body.percent } : {}) }, 'admin', `${reason} (by ${actor(req)})`, body.approved === true);
    return { route: ctl.view() };
  });

  app.get('/api/routes/:id/noise', async (req) => ({ noise: state.noise(route(req).options.id) }));
  app.post('/api/routes/:id/noise', async (req) => {
    const ctl = route(req);
    const body = bodyOf(req);
    if (typeof body.path !== 'string') throw new AdminBadRequestError(`path must be a string (got ${JSON.stringify(body.path)})`);
    if (body.action !== 'accept' && body.action !== 'reject') throw new AdminBadRequestError(`action must be "accept" or "reject" (got ${JSON.stringify(body.action)})`);
    if (!state.setNoiseStatus(ctl.options.id, body.path, body.action === 'accept' ? 'accepted' : 'rejected')) {
      throw new AdminBadRequestError(`no proposed noise path ${JSON.stringify(body.path)} on route ${ctl.options.id}`);
    }
    state.audit({ routeId: ctl.options.id, actor: actor(req), action: `noise-${body.action}ed`, from: null, to: null, reason: `ignore rule ${body.path}` });
    ctl.refreshRules();
    return { noise: state.noise(ctl.options.id) };
  });

  app.get('/api/audit', async (req) => {
    const q = req.query as Record<string, unknown>;
    const limit = intParam(q.limit, 'limit', 100, 10000);
    const routeId = typeof q.route === 'string' ? q.route : null;
    return { audit: state.auditLog(routeId, limit) };
  });

  app.get('/metrics', async (_req, reply) => {
    const load = shadower.load();
    metrics.shadowLoad.labels('in_flight').set(load.inFlight);
    metrics.shadowLoad.labels('queued').set(load.queued);
    for (const c of controllers.values()) metrics.confidence.labels(c.options.id).set(c.stats.confidence());
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

export default fp(adminApi, { name: 'ficus-admin', fastify: '5.x' });
