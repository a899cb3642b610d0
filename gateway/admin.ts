/**
 * The admin API on its own listener (default 127.0.0.1:9901): route status, confidence history,
 * discrepancies with the business rules that explain them, spec violations, approvals, rollbacks, mode changes,
 * noise review, the audit log, traffic against the spec, Prometheus metrics, and the dashboard
 * page (`GET /`, static files under `/dashboard/`). Every call except `GET /healthz` and the
 * dashboard's static shell requires `Authorization: Bearer <token>` when a token is configured. The contract is `specs/admin-api.openapi.yaml`; tests validate responses against it.
 */
import { timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AdminBadRequestError, AdminUnauthorizedError, DiscrepancyNotFoundError, GatewayError, RouteNotFoundError } from './errors.js';
import type { Side } from './confidence.js';
import type { GatewayMetrics } from './metrics.js';
import { routeModes, type RouteMode } from './modes.js';
import type { RouteController } from './route-controller.js';
import type { Shadower } from './shadow.js';
import type { ConfidenceHistory } from './history.js';
import type { SpecCatalog, SpecOperation } from './specs.js';
import type { DiscrepancyRecord, GatewayState } from './state.js';
import type { TrafficTracker } from './traffic.js';

export interface AdminDeps {
  token?: string;
  controllers: ReadonlyMap<string, RouteController>;
  state: GatewayState;
  metrics: GatewayMetrics;
  shadower: Shadower;
  history: ConfidenceHistory;
  traffic: TrafficTracker;
  /** The analyzer's spec and rules (`gateway.specs`), when configured. */
  specs?: SpecCatalog;
  /** Set when live traffic is checked against the spec (`gateway.specCheck`). */
  specCheck?: { sample: number };
  /** Where the dashboard's static files are; default {@link defaultDashboardDir}. */
  dashboardDir?: string;
}

/**
 * The dashboard ships as hand-written ES modules and CSS in the package's `gateway/dashboard/`
 * (no build step); from `dist/gateway/admin.js` that is two levels up.
 */
export const defaultDashboardDir = fileURLToPath(new URL('../../gateway/dashboard/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Reads the dashboard's files once: a fixed set served from memory, so no path ever reaches the file system. */
function loadDashboard(dir: string): Map<string, { type: string; body: Buffer }> {
  const files = new Map<string, { type: string; body: Buffer }>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return files; // an install without the page still serves the API; GET / says what is missing
  }
  for (const name of names) {
    const type = CONTENT_TYPES[extname(name)];
    if (type) files.set(name, { type, body: readFileSync(join(dir, name)) });
  }
  return files;
}

// The page runs only its own scripts and styles; the token never goes to another origin.
const DASHBOARD_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

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

/** A discrepancy as the API shows it: bodies as stored (exact text, secrets redacted), and the rules that may explain it. */
function discrepancyView(d: DiscrepancyRecord, specs: SpecCatalog | undefined, operations: readonly SpecOperation[]) {
  const rules = specs ? specs.rulesFor(operations, d.differences.map((x) => x.path)).filter((r) => r.paths.length > 0) : [];
  return {
    id: d.id,
    routeId: d.routeId,
    at: d.at,
    request: d.request,
    legacy: d.legacy,
    modern: d.modern,
    differences: d.differences,
    rules,
  };
}

async function adminApi(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const { token, controllers, state, metrics, shadower, history, traffic, specs, specCheck } = deps;
  const dashboard = loadDashboard(deps.dashboardDir ?? defaultDashboardDir);
  const operationsOf = (routeId: string): SpecOperation[] => {
    const ctl = controllers.get(routeId);
    return specs && ctl ? specs.operationsFor(ctl.options.methods, ctl.options.path) : [];
  };

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
    // The page shell and its scripts hold no data; every call they make needs the token.
    if (req.method === 'GET' && (req.url === '/' || req.url.startsWith('/dashboard/'))) return;
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

  const sendFile = (name: string, reply: FastifyReply) => {
    const f = dashboard.get(name);
    if (!f) return reply.code(404).send({ error: { code: 'FICUS_GW_NOT_FOUND', message: `no dashboard file ${name} in ${deps.dashboardDir ?? defaultDashboardDir}` } });
    return reply.headers(DASHBOARD_HEADERS).type(f.type).send(f.body);
  };
  app.get('/', async (_req, reply) => sendFile('index.html', reply));
  app.get('/dashboard/:file', async (req, reply) => sendFile((req.params as { file: string }).file, reply));

  app.get('/api/routes', async () => ({ routes: [...controllers.values()].map((c) => c.view()) }));
  app.get('/api/routes/:id', async (req) => ({ route: route(req).view() }));

  app.get('/api/routes/:id/history', async (req) => {
    const ctl = route(req);
    return { intervalMs: history.intervalMs, history: history.points(ctl.options.id) };
  });
  app.get('/api/history', async () => ({
    intervalMs: history.intervalMs,
    routes: Object.fromEntries([...controllers.keys()].map((id) => [id, history.points(id)])),
  }));

  app.get('/api/routes/:id/rules', async (req) => {
    const ctl = route(req);
    const operations = operationsOf(ctl.options.id);
    return { specs: specs !== undefined, operations, rules: specs ? specs.rulesFor(operations) : [] };
  });

  // Traffic against the spec: what was seen but is not documented, and what is documented but never seen.
  app.get('/api/traffic', async () => {
    const seen = traffic.routedMethods();
    const routed = [...controllers.values()].flatMap((c) =>
      [...(seen.get(c.options.id) ?? new Map<string, number>())].map(([method, count]) => ({ method, path: c.options.path, routeId: c.options.id, count })),
    );
    const unmatched = traffic.unmatchedTemplates();
    const isDocumented = (method: string, path: string) => specs?.operationMatching(method, path) !== undefined;
    const undocumented = [
      ...routed.filter((r) => !isDocumented(r.method, r.path)).map((r) => ({ method: r.method, path: r.path.replace(/:([A-Za-z_]\w*)/g, '{$1}'), count: r.count, routeId: r.routeId })),
      ...unmatched.filter((u) => !isDocumented(u.method, u.path)).map((u) => ({ method: u.method, path: u.path, count: u.count, routeId: null, firstAt: u.firstAt, lastAt: u.lastAt })),
    ];
    const unseen = (specs?.operations ?? []).filter((op) => {
      const byRoute = [...controllers.values()].some((c) => (seen.get(c.options.id)?.get(op.method) ?? 0) > 0 && specs!.operationsFor([op.method], c.options.path).includes(op));
      const byUnmatched = unmatched.some((u) => u.method === op.method && specs!.operationMatching(u.method, u.path) === op);
      return !byRoute && !byUnmatched;
    });
    return {
      specs: specs !== undefined,
      undocumented: specs ? undocumented : [],
      unseen: unseen.map((o) => ({ operationId: o.operationId, method: o.method, path: o.path, summary: o.summary })),
      unmatched,
      overflow: traffic.overflow,
    };
  });

  app.get('/api/routes/:id/discrepancies', async (req) => {
    const ctl = route(req);
    const limit = intParam((req.query as Record<string, unknown>).limit, 'limit', 50, 1000);
    const ops = operationsOf(ctl.options.id);
    return { discrepancies: state.discrepancies(ctl.options.id, limit).map((d) => discrepancyView(d, specs, ops)) };
  });

  // Live traffic against the spec: the latest violations (redacted when stored), newest first.
  app.get('/api/routes/:id/spec-violations', async (req) => {
    const ctl = route(req);
    const q = req.query as Record<string, unknown>;
    const limit = intParam(q.limit, 'limit', 50, 1000);
    if (q.side !== undefined && q.side !== 'legacy' && q.side !== 'modern') throw new AdminBadRequestError(`side must be "legacy" or "modern" (got ${JSON.stringify(q.side)})`);
    const side = (q.side as Side | undefined) ?? null;
    return {
      specCheck: specCheck ? { enabled: true, sample: specCheck.sample } : { enabled: false },
      violations: state.specViolations(ctl.options.id, side, limit),
    };
  });

  const discrepancy = (req: FastifyRequest): DiscrepancyRecord => {
    const raw = (req.params as { did: string }).did;
    const id = Number(raw);
    if (!Number.isInteger(id) || id < 1) throw new AdminBadRequestError(`discrepancy id must be a positive integer (got ${JSON.stringify(raw)})`);
    const d = state.discrepancy(id);
    if (!d) throw new DiscrepancyNotFoundError(id);
    return d;
  };
  app.get('/api/discrepancies/:did', async (req) => {
    const d = discrepancy(req);
    return { discrepancy: discrepancyView(d, specs, operationsOf(d.routeId)) };
  });
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
    const body = bodyOf(req);
    const reason = typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim() : undefined;
    ctl.approve(actor(req), reason);
    return { route: ctl.view() };
  });

  app.post('/api/routes/:id/rollback', async (req) => {
    const ctl = route(req);
    const body = bodyOf(req);
    const reason = typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim() : 'manual rollback';
    ctl.rollback(`${reason} (by ${actor(req)})`, actor(req));
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
    ctl.changeMode({ mode: body.mode as RouteMode, ...(typeof body.percent === 'number' ? { percent: body.percent } : {}) }, 'admin', `${reason} (by ${actor(req)})`, body.approved === true, actor(req));
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
