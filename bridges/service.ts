/**
 * Assembles a running bridge from its options: the source and sink the config names, the
 * event mapper (validated against the source's real schema before anything is read), the
 * offsets store, the HTTP listener, and an orderly `close()`.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { assertNoIssues, type LoadedConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { openStore, type Store } from '../core/store.js';
import { createBridge, type Bridge } from './bridge.js';
import type { Sink, Source, TableInfo } from './change.js';
import { createEventMapper } from './mapping.js';
import { createBridgeMetrics } from './metrics.js';
import { checkAgainstSchema, type BridgeOptions } from './options.js';
import bridgeServer from './server.js';
import { createEmbeddedSink, createEventLog, embeddedLogMigrations, type EventLog } from './sinks/embedded.js';
import { createKafkaSink } from './sinks/kafka.js';
import { createMysqlSource } from './sources/mysql.js';
import { createPostgresSource } from './sources/postgres.js';
import { createSqliteSource } from './sources/sqlite.js';
import { bridgeMigrations, createOffsetStore } from './state.js';

export function createSource(options: BridgeOptions, logger: Logger): Source {
  const s = options.source;
  switch (s.kind) {
    case 'postgres':
      return createPostgresSource({
        url: s.url!,
        tables: s.tables,
        slot: s.slot ?? `ficus_${options.name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`,
        publication: s.publication ?? `ficus_${options.name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`,
        logger,
      });
    case 'mysql':
      return createMysqlSource({ url: s.url!, tables: s.tables, ...(s.serverId ? { serverId: s.serverId } : {}), logger });
    case 'sqlite':
      return createSqliteSource({ path: s.path!, tables: s.tables, ...(s.pollMs ? { pollMs: s.pollMs } : {}), logger });
  }
}

export interface BridgeService {
  readonly bridge: Bridge;
  /** The captured tables as the source described them. */
  readonly tables: readonly TableInfo[];
  readonly app: FastifyInstance;
  readonly log?: EventLog;
  readonly store: Store;
  /** URL of the HTTP listener. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startBridgeService(
  options: BridgeOptions,
  deps: { logger: Logger; loaded: Pick<LoadedConfig<unknown>, 'issue'>; source?: Source; sink?: Sink; heartbeatMs?: number; retry?: { initialMs?: number; maxMs?: number } },
): Promise<BridgeService> {
  const logger = deps.logger.child({ component: 'bridge' });
  const source = deps.source ?? createSource(options, logger);
  const tables = await source.describe();
  assertNoIssues(checkAgainstSchema(deps.loaded, options, tables));

  const store = openStore({ path: options.storePath, migrations: [...bridgeMigrations, ...(options.sink.kind === 'embedded' ? embeddedLogMigrations : [])], logger });
  let log: EventLog | undefined;
  const makeSink = (): Sink => {
    if (options.sink.kind === 'embedded') {
      log = createEventLog(store);
      return createEmbeddedSink(log);
    }
    return createKafkaSink({ brokers: options.sink.brokers!, mode: options.sink.mode, clientId: options.sink.clientId ?? `ficus-bridge-${options.name}`, logger });
  };
  const sink: Sink = deps.sink ?? makeSink();
  const metrics = createBridgeMetrics(options.name);
  const bridge = createBridge({
    name: options.name,
    source,
    sink,
    mapper: createEventMapper(options.events, tables, { topicPrefix: options.sink.topicPrefix }),
    offsets: createOffsetStore(store),
    snapshot: options.snapshot,
    logger,
    metrics,
    ...(deps.retry ? { retry: deps.retry } : {}),
  });

  const app: FastifyInstance = Fastify({ loggerInstance: logger.child({ listener: 'bridge' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), forceCloseConnections: true });
  await app.register(bridgeServer, { bridge, metrics, ...(log ? { log } : {}), ...(deps.heartbeatMs ? { heartbeatMs: deps.heartbeatMs } : {}) });
  try {
    await bridge.start();
    await app.listen({ host: options.listenAt.host, port: options.listenAt.port });
  } catch (err) {
    await bridge.stop().catch(() => undefined);
    await app.close();
    await sink.close().catch(() => undefined);
    store.close();
    throw err;
  }
  const a = app.server.address() as AddressInfo;
  let closed = false;
  return {
    bridge,
    tables,
    app,
    ...(log ? { log } : {}),
    store,
    url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await bridge.stop();
      await sink.close().catch(() => undefined);
      store.close();
    },
  };
}
