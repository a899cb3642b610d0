/**
 * Builds a gateway from its options: opens (or receives) the store, restores every route's
 * state, and wires the proxy listener and the admin listener. `close()` stops accepting, lets
 * in-flight comparisons settle, flushes route state, and releases every resource it opened.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../core/logger.js';
import { openStore, type Store } from '../core/store.js';
import adminApi from './admin.js';
import { structuralCompare, type Comparator } from './compare.js';
import { ListenError } from './errors.js';
import { createGatewayMetrics } from './metrics.js';
import type { GatewayOptions } from './options.js';
import ficusProxy from './proxy.js';
import { createRecorder } from './recorder.js';
import { createRedactor } from './redact.js';
import { RouteController } from './route-controller.js';
import { createShadower, type Shadower } from './shadow.js';
import { createWorkerShadower, type WorkerShadower } from './shadow-offload.js';
import { createSpecChecker, type SpecChecker } from './spec-check.js';
import { createGatewayState, gatewayMigrations } from './state.js';
import { createConfidenceHistory } from './history.js';
import { createTrafficTracker } from './traffic.js';

export interface GatewayDeps {
  logger: Logger;
  /** An open store with the gateway migrations applied; opened from `options.storePath` when absent. */
  store?: Store;
  compare?: Comparator;
  /** Random source in [0, 1) for sampling and canary draws. */
  random?: () => number;
  /** How often dirty route state is written, ms. */
  flushIntervalMs?: number;
  /** How often each route's confidence is sampled for the dashboard chart, ms (default 10 000). */
  historyIntervalMs?: number;
  /** Directory of the dashboard's static files (default: `gateway/dashboard/` in the package). */
  dashboardDir?: string;
}

export interface Gateway {
  readonly proxy: FastifyInstance;
  readonly admin: FastifyInstance;
  readonly controllers: ReadonlyMap<string, RouteController>;
  /** Binds both listeners; resolves to their URLs. */
  listen(): Promise<{ proxy: string; admin: string }>;
  close(): Promise<void>;
}

export async function createGateway(options: GatewayOptions, deps: GatewayDeps): Promise<Gateway> {
  const logger = deps.logger.child({ component: 'gateway' });
  const ownsStore = deps.store === undefined;
  const store = deps.store ?? openStore({ path: options.storePath, migrations: gatewayMigrations, logger });
  const state = createGatewayState(store, { discrepanciesPerRoute: options.discrepancies.max, ...(options.specCheck ? { specViolationsPerSide: options.specCheck.max } : {}) });
  const metrics = createGatewayMetrics();
  const controllers = new Map<string, RouteController>();
  for (const route of options.routes) {
    controllers.set(
      route.id,
      new RouteController({ options: route, state, metrics, logger, versionDecay: options.versionDecay, ...(deps.random ? { random: deps.random } : {}) }),
    );
  }
  const compare = deps.compare ?? structuralCompare;
  const { worker: useWorker, ...shadowOptions } = options.shadow;
  let shadower: Shadower;
  let offload: WorkerShadower | undefined;
  if (useWorker) {
    const ws = await createWorkerShadower(shadowOptions, { logger: logger.child({ part: 'shadow-worker' }), versionHeader: options.versionHeader });
    shadower = ws;
    // A comparator passed in code cannot cross to another thread: then the worker only makes the calls.
    if (compare === structuralCompare) offload = ws;
  } else shadower = createShadower(shadowOptions);
  const redactor = createRedactor(options.redact);
  const recorder = createRecorder({ compare, state, redactor, ...(options.versionHeader ? { versionHeader: options.versionHeader } : {}) });

  const proxy: FastifyInstance = Fastify({
    loggerInstance: logger.child({ listener: 'proxy' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    bodyLimit: 64 * 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const traffic = createTrafficTracker();
  let specCheck: SpecChecker | undefined;
  if (options.specCheck) {
    const { validators, sample } = options.specCheck;
    for (const w of validators.warnings) logger.warn({ specs: options.specs?.specFile }, `spec check: ${w}`);
    specCheck = createSpecChecker({ validators, state, redactor, logger: logger.child({ part: 'spec-check' }), sample, ...(deps.random ? { random: deps.random } : {}) });
    logger.info({ operations: validators.operations, sample }, `spec check on: ${validators.operations} operation(s), ${sample * 100} % of requests`);
  }
  await proxy.register(ficusProxy, { options, controllers, shadower, offload, recorder, traffic, ...(specCheck ? { specCheck } : {}) });

  const admin: FastifyInstance = Fastify({ loggerInstance: logger.child({ listener: 'admin' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), forceCloseConnections: true });
  const history = createConfidenceHistory(controllers, { ...(deps.historyIntervalMs ? { intervalMs: deps.historyIntervalMs } : {}) });
  await admin.register(adminApi, {
    ...(options.adminToken ? { token: options.adminToken } : {}),
    controllers,
    state,
    metrics,
    shadower,
    history,
    traffic,
    ...(options.specs ? { specs: options.specs } : {}),
    ...(options.specCheck ? { specCheck: { sample: options.specCheck.sample } } : {}),
    ...(deps.dashboardDir ? { dashboardDir: deps.dashboardDir } : {}),
  });

  const flushAll = () => {
    for (const c of controllers.values()) c.flush();
  };
  const timer = setInterval(flushAll, deps.flushIntervalMs ?? 1000);
  timer.unref();

  let closed = false;
  return {
    proxy,
    admin,
    controllers,
    async listen() {
      const bind = async (app: FastifyInstance, what: string, hp: { host: string; port: number }) => {
        try {
          await app.listen({ host: hp.host, port: hp.port });
        } catch (err) {
          throw new ListenError(what, `${hp.host}:${hp.port}`, err);
        }
        const a = app.server.address() as AddressInfo;
        return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
      };
      const proxyUrl = await bind(proxy, 'the proxy', options.listen);
      const adminUrl = await bind(admin, 'the admin API', options.admin);
      logger.info({ proxy: proxyUrl, admin: adminUrl, routes: controllers.size }, 'gateway listening');
      return { proxy: proxyUrl, admin: adminUrl };
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      history.close();
      await proxy.close();
      await shadower.close();
      // Comparisons already scheduled run on setImmediate; let them land before the final flush.
      await new Promise((r) => setImmediate(r));
      await admin.close();
      flushAll();
      if (ownsStore) store.close();
    },
  };
}
