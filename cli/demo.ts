/**
 * `ficus demo`: the whole strangler fig on one machine, in one process, on embedded defaults (no
 * Kafka, no Docker, no API key). It analyzes the demo bank's COBOL (examples/bank/cobol) into
 * the workspace, starts the legacy bank service on its SQLite database and the modern TypeScript
 * replacement (wrong on loan interest rounding, see cli/demo/modern.ts), puts the gateway in
 * front with automatic promotion, drives seeded traffic through it, and runs the bridge on the
 * legacy database into the embedded event log. It prints the URLs and a progress line until
 * SIGINT/SIGTERM or `--duration`, then closes everything and prints a one-line JSON summary.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { analyze } from '../analyzers/analyze.js';
import { frontends } from '../analyzers/frontends.js';
import { writeOutputs } from '../analyzers/output.js';
import { assertNoIssues, parseConfig } from '../core/config.js';
import { CliUsageError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { bridgeOptions, type BridgeConfig } from '../bridges/options.js';
import { startBridgeService } from '../bridges/service.js';
import { gatewayOptions, type GatewayConfig } from '../gateway/options.js';
import { createGateway } from '../gateway/server.js';
import type { CliContext } from './context.js';
import { openBankDb } from './demo/bank-db.js';
import { startLegacyService } from './demo/legacy.js';
import { startModernService } from './demo/modern.js';
import { seededRandom, startTraffic } from './demo/traffic.js';

/** The demo bank's COBOL, shipped with the package. */
export const DEMO_COBOL_DIR = fileURLToPath(new URL('../../examples/bank/cobol/', import.meta.url));

/** Bank routes: the first two are right in modern, the third rounds differently. */
export const DEMO_ROUTES = [
  { id: 'get-account', match: 'GET /accounts/:id' },
  { id: 'get-loan', match: 'GET /loans/:id' },
  { id: 'loan-interest', match: 'GET /loans/:id/interest' },
] as const;

interface DemoCliOptions {
  workspace: string;
  fresh?: boolean;
  duration?: string;
  rate: string;
  seed: string;
  interval: string;
  logLevel: string;
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0)) throw new CliUsageError(`--${name} must be a positive number (got ${JSON.stringify(value)})`);
  return n;
}

function demoYaml(ws: string, specs: string, token: string): string {
  const routes = DEMO_ROUTES.map((r) => `    - id: ${r.id}\n      match: ${r.match}\n      mode: shadow\n`).join('');
  return `store:
  path: ${JSON.stringify(join(ws, 'gateway.db'))}
log:
  level: silent
gateway:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
  adminToken: ${token}
  upstreams:
    legacy: http://127.0.0.1:1
    modern: http://127.0.0.1:1
  specs: ${JSON.stringify(specs)}
  promotion:
    auto: true
    steps: [5, 25, 50, 100]
    minSamples: 30
    targetMatchRate: 0.9
    approvalAt: 100
  routes:
${routes}bridge:
  name: demo-bank
  listen: 127.0.0.1:0
  store: ${JSON.stringify(join(ws, 'bridge.db'))}
  source:
    kind: sqlite
    path: ${JSON.stringify(join(ws, 'legacy.db'))}
    tables: [accounts, transfers]
    pollMs: 200
  sink:
    kind: embedded
  events:
    - table: transfers
      op: insert
      type: transfer_made
    - table: accounts
      op: update
      when: "after.balance_cents != before.balance_cents"
      type: balance_changed
`;
}

export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('run the demo bank: analyze its COBOL, gateway legacy vs modern with traffic, bridge its database (no Kafka, Docker or API key)')
    .option('-w, --workspace <dir>', 'demo workspace (specs, stores, legacy database)', '.ficus/demo')
    .option('--fresh', 'start from an empty workspace (default: resume the previous run)')
    .option('--duration <seconds>', 'stop by itself after this many seconds (default: run until Ctrl-C)')
    .option('--rate <n>', 'requests per second the traffic generator sends', '60')
    .option('--seed <n>', 'seed of the traffic mix and canary draws', '42')
    .option('--interval <seconds>', 'seconds between progress lines', '3')
    .option('--log-level <level>', 'log level of the parts, on stderr', 'silent')
    .action(async (opts: DemoCliOptions) => {
      const duration = positive('duration', opts.duration);
      const rate = positive('rate', opts.rate)!;
      const interval = positive('interval', opts.interval)!;
      const seed = Number(opts.seed) | 0;
      const ws = resolve(ctx.cwd, opts.workspace);
      const resumed = !opts.fresh && existsSync(join(ws, 'legacy.db'));
      if (opts.fresh) rmSync(ws, { recursive: true, force: true });
      mkdirSync(ws, { recursive: true });
      const out = (line: string) => ctx.stdout.write(`${line}\n`);
      out(`ficus demo: ${resumed ? 'resuming' : 'starting fresh'} in ${ws}${resumed ? ' (--fresh to start over)' : ''}`);

      const logger = createLogger({ level: opts.logLevel });
      const specs = join(ws, 'specs');
      const analysis = await analyze({ paths: [DEMO_COBOL_DIR], out: specs, includePaths: [join(DEMO_COBOL_DIR, 'copybooks')], frontends, logger, cwd: ctx.cwd, toolVersion: 'demo' });
      writeOutputs(specs, analysis, { toolVersion: 'demo', title: 'Demo bank' });
      out(`ficus demo: analyzed ${analysis.summary.programs} COBOL program(s), ${analysis.summary.rules} rule(s): ${join(specs, 'openapi.yaml')}, ${join(specs, 'rules.json')}, ${join(specs, 'report.md')}`);

      const token = randomBytes(16).toString('hex');
      const db = openBankDb(join(ws, 'legacy.db'));
      const closers: (() => Promise<unknown> | unknown)[] = [() => db.close(), () => logger.flush()];
      const closeAll = async () => {
        for (const close of closers.splice(0).reverse()) await close();
      };
      try {
        const legacy = await startLegacyService(db);
        closers.push(() => legacy.close());
        const modern = await startModernService(db);
        closers.push(() => modern.close());

        type DemoConfig = { store: { path: string }; gateway: GatewayConfig; bridge: BridgeConfig };
        const loaded = parseConfig<DemoConfig>(demoYaml(ws, specs, token), 'ficus demo');
        const gwConfig: GatewayConfig = { ...loaded.config.gateway, upstreams: { legacy: legacy.url, modern: modern.url } };
        const { options, issues } = gatewayOptions(loaded, gwConfig, { storePath: loaded.config.store.path, env: {}, cwd: ctx.cwd });
        assertNoIssues(issues);
        const gateway = await createGateway(options, { logger, random: seededRandom(seed + 1), historyIntervalMs: 2000 });
        closers.push(() => gateway.close());
        const urls = await gateway.listen();

        const bridge = await startBridgeService(bridgeOptions(loaded.config.bridge, { storePath: join(ws, 'bridge.db') }), { logger, loaded });
        closers.push(() => bridge.close());

        out(`ficus demo: legacy bank ${legacy.url}, modern bank ${modern.url}`);
        out(`ficus demo: gateway   ${urls.proxy}  (try: curl ${urls.proxy}/loans/1/interest)`);
        out(`ficus demo: dashboard ${urls.admin}/  admin token ${token}`);
        out(`ficus demo: events    ${bridge.url}/events/stream  (list: ${bridge.url}/events)`);
        out(`ficus demo: traffic ${rate} req/s, seed ${seed}; ${duration ? `stopping after ${duration} s` : 'Ctrl-C to stop'}`);

        const traffic = startTraffic({ target: urls.proxy, rate, seed });
        closers.push(() => traffic.stop());
        const started = Date.now();
        const snapshot = async () => {
          const routes = [...gateway.controllers.values()].map((c) => c.view());
          const status = await bridge.bridge.status();
          return { routes, events: status.eventsTotal };
        };
        const progress = setInterval(() => {
          void snapshot().then(({ routes, events }) => {
            const parts = routes.map((r) => `${r.id} ${r.mode} ${r.modernPercent}% conf ${r.confidence.toFixed(2)} (${r.matches}✓ ${r.mismatches}✗)`);
            out(`[${Math.round((Date.now() - started) / 1000)}s] ${parts.join(' | ')} | events ${events} | requests ${traffic.sent}`);
          });
        }, interval * 1000);
        closers.push(() => clearInterval(progress));

        let timer: NodeJS.Timeout | undefined;
        const reason = await Promise.race([ctx.shutdown, new Promise<string>((r) => (timer = duration ? setTimeout(() => r('duration reached'), duration * 1000) : undefined))]);
        clearTimeout(timer);
        out(`ficus demo: ${reason}, stopping`);
        clearInterval(progress);
        await traffic.stop();
        const final = await snapshot();
        out(
          `ficus demo: summary ${JSON.stringify({
            workspace: ws,
            resumed,
            requests: traffic.sent,
            events: final.events,
            routes: final.routes.map((r) => ({ id: r.id, mode: r.mode, percent: r.modernPercent, matches: r.matches, mismatches: r.mismatches, confidence: r.confidence, pendingApproval: r.pendingApproval !== null })),
          })}`,
        );
      } finally {
        await closeAll();
      }
    });
}
