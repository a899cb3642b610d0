/**
 * `ficus bridge`: runs a change-data-capture bridge until SIGINT/SIGTERM (`ficus bridge run` is
 * the default); `ficus bridge status` prints position, lag and counts (from the running bridge's
 * listener, or from the store when it is not running); `ficus bridge suggest` proposes an
 * event mapping from the source schema for a person to review.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { request } from 'undici';
import { ConfigInvalidError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { openStore } from '../core/store.js';
import { asyncApiYaml } from '../bridges/asyncapi.js';
import type { BridgeStatus } from '../bridges/bridge.js';
import type { TableInfo } from '../bridges/change.js';
import { bridgeOptions, type BridgeConfig, type BridgeOptions } from '../bridges/options.js';
import { createSource, startBridgeService } from '../bridges/service.js';
import { bridgeMigrations, createOffsetStore } from '../bridges/state.js';
import { RulesFileInvalidError } from '../bridges/errors.js';
import { suggestEventRules } from '../bridges/suggest.js';
import { loadCliConfig, type CliContext } from './context.js';

interface FicusConfig {
  store: { path: string };
  log: { level: string; redact: string[] };
  bridge?: BridgeConfig;
}

function load(ctx: CliContext, file: string) {
  const loaded = loadCliConfig<FicusConfig>(ctx, file);
  const { config } = loaded;
  if (!config.bridge) throw new ConfigInvalidError([{ file, line: 1, path: 'bridge', message: 'is required to run a bridge (see README: Bridges)' }]);
  return { loaded, config, options: bridgeOptions(config.bridge, { storePath: config.store.path }) };
}

export function formatStatus(s: BridgeStatus, running: boolean): string {
  const lag = [s.source.lagBytes !== undefined ? `${s.source.lagBytes} bytes` : null, s.source.lagMs !== undefined ? `${s.source.lagMs} ms` : null].filter(Boolean).join(', ');
  return [
    `bridge ${s.name}: ${running ? s.state : 'not running'} (${s.source.kind} ${s.source.database} → ${s.sink})`,
    `  checkpoint  ${s.checkpoint ?? '(none yet)'}`,
    `  position    ${s.source.position ?? '(unknown)'}`,
    `  lag         ${lag || (running ? '(unknown)' : '(not running)')}`,
    `  events      ${s.eventsTotal} in ${s.transactionsTotal} transactions${s.lastEventAt ? `, last at ${s.lastEventAt}` : ''}`,
    ...(running ? [`  retries     ${s.publishRetries} publish, ${s.reconnects} reconnects`] : []),
    ...(s.lastError ? [`  last error  ${s.lastError}`] : []),
  ].join('\n');
}

export function registerBridge(program: Command, ctx: CliContext): void {
  const bridge = program.command('bridge').description('capture database changes and publish them as business events (run, status, suggest)');

  bridge
    .command('run', { isDefault: true })
    .description('run the bridge until SIGINT/SIGTERM')
    .option('-c, --config <path>', 'config file', 'ficus.yaml')
    .action(async (opts: { config: string }) => {
      const { loaded, config, options } = load(ctx, opts.config);
      const logger = createLogger({ level: config.log.level, redact: config.log.redact });
      const service = await startBridgeService(options, { logger, loaded });
      try {
        if (options.asyncapi) {
          const out = resolve(ctx.cwd, options.asyncapi);
          writeAsyncApi(out, service.tables, options);
          ctx.stdout.write(`ficus bridge ${options.name}: wrote ${options.asyncapi}\n`);
        }
        ctx.stdout.write(`ficus bridge ${options.name}: ${options.source.kind} → ${options.sink.kind}; ${options.source.tables.length} table(s); listening on ${service.url}\n`);
        const signal = await ctx.shutdown;
        ctx.stdout.write(`ficus bridge ${options.name}: ${signal}, closing\n`);
      } finally {
        await service.close();
        logger.flush();
      }
    });

  bridge
    .command('status')
    .description('print position, lag and counts')
    .option('-c, --config <path>', 'config file', 'ficus.yaml')
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      const { options } = load(ctx, opts.config);
      const live = await fetchStatus(options);
      let status: BridgeStatus;
      if (live) status = live;
      else {
        if (options.storePath !== ':memory:' && !existsSync(options.storePath)) {
          ctx.stdout.write(`bridge ${options.name}: never run (no store at ${options.storePath})\n`);
          return;
        }
        const store = openStore({ path: options.storePath, migrations: bridgeMigrations });
        try {
          const rec = createOffsetStore(store).load(options.name);
          status = {
            name: options.name,
            state: 'stopped',
            source: { kind: options.source.kind, database: rec?.sourceDb ?? '', position: rec?.checkpoint ?? null },
            sink: options.sink.kind,
            checkpoint: rec?.checkpoint ?? null,
            eventsTotal: rec?.eventsTotal ?? 0,
            transactionsTotal: rec?.batchesTotal ?? 0,
            lastEventAt: rec?.lastEventAt ?? null,
            publishRetries: 0,
            reconnects: 0,
            lastError: null,
          };
        } finally {
          store.close();
        }
      }
      ctx.stdout.write(opts.json ? `${JSON.stringify({ running: live !== undefined, ...status }, null, 2)}\n` : `${formatStatus(status, live !== undefined)}\n`);
    });

  bridge
    .command('asyncapi')
    .description('write the AsyncAPI 3 document of the topics and events this bridge publishes')
    .option('-c, --config <path>', 'config file', 'ficus.yaml')
    .option('-o, --out <file>', 'output file (default: stdout)')
    .action(async (opts: { config: string; out?: string }) => {
      const { config, options } = load(ctx, opts.config);
      const tables = await describeSource(options, config.log.level);
      if (opts.out) {
        writeAsyncApi(resolve(ctx.cwd, opts.out), tables, options);
        ctx.stdout.write(`wrote ${opts.out}\n`);
      } else ctx.stdout.write(asyncApiYaml(tables, asyncApiOptions(options)));
    });

  bridge
    .command('suggest')
    .description('propose an event mapping from the source schema, for a person to review')
    .option('-c, --config <path>', 'config file', 'ficus.yaml')
    .option('--rules <file>', "the analyzer's rules.json: its business-event names (ficus analyze --llm) name the events")
    .action(async (opts: { config: string; rules?: string }) => {
      const { config, options } = load(ctx, opts.config);
      const eventNames = opts.rules === undefined ? undefined : readEventNames(resolve(ctx.cwd, opts.rules), opts.rules);
      if (eventNames && eventNames.length === 0) ctx.stderr.write(`note: ${opts.rules} names no business events (ficus analyze names them when the LLM layer runs); using the default names\n`);
      const suggestion = suggestEventRules(await describeSource(options, config.log.level), eventNames ? { eventNames } : {});
      ctx.stdout.write(suggestion.yaml);
      for (const note of suggestion.notes) ctx.stderr.write(`note: ${note}\n`);
    });
}

/** The `events` of an analyzer rules.json (`[]` when it has none); throws RulesFileInvalidError naming the file and entry. */
function readEventNames(file: string, given: string): { table: string; operation: string; name: string; description?: string }[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RulesFileInvalidError(`--rules ${given}: ${err instanceof SyntaxError ? `not JSON (${err.message})` : `cannot be read (${(err as Error).message})`}`, err);
  }
  const events = (doc as { events?: unknown } | null)?.events;
  if (events === undefined) return [];
  if (!Array.isArray(events)) throw new RulesFileInvalidError(`--rules ${given}: events must be an array (got ${typeof events})`);
  return events.map((e: unknown, i) => {
    const entry = e as Record<string, unknown> | null;
    for (const key of ['table', 'operation', 'name'] as const) {
      if (typeof entry?.[key] !== 'string' || entry[key] === '') throw new RulesFileInvalidError(`--rules ${given}: events[${i}].${key} must be a non-empty string (got ${JSON.stringify(entry?.[key])})`);
    }
    return {
      table: entry!.table as string,
      operation: entry!.operation as string,
      name: entry!.name as string,
      ...(typeof entry!.description === 'string' ? { description: entry!.description } : {}),
    };
  });
}

/** The captured tables as the source describes them, for commands that only read the schema (quieter logs). */
async function describeSource(options: BridgeOptions, level: string): Promise<TableInfo[]> {
  const source = createSource(options, createLogger({ level: level === 'info' ? 'warn' : level }));
  try {
    return await source.describe();
  } finally {
    await source.stop();
  }
}

function asyncApiOptions(options: BridgeOptions) {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return { name: options.name, version: pkg.version, sink: options.sink, listen: options.listen, events: options.events };
}

function writeAsyncApi(file: string, tables: readonly TableInfo[], options: BridgeOptions): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, asyncApiYaml(tables, asyncApiOptions(options)));
}

async function fetchStatus(options: BridgeOptions): Promise<BridgeStatus | undefined> {
  const host = options.listenAt.host === '0.0.0.0' ? '127.0.0.1' : options.listenAt.host;
  try {
    const res = await request(`http://${host.includes(':') ? `[${host}]` : host}:${options.listenAt.port}/status`, { headersTimeout: 2000, bodyTimeout: 2000 });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return undefined;
    }
    return (await res.body.json()) as BridgeStatus;
  } catch {
    return undefined;
  }
}
