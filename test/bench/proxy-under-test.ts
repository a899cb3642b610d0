/**
 * Child process for `gateway.bench.ts`: one proxy under test, alone in its process so its CPU and
 * memory are its own. `plain` is fastify + @fastify/http-proxy with default options and the
 * logger off (the baseline every ratio is against); `ficus-legacy` and `ficus-shadow` are the
 * Ficus gateway built from YAML through the same path as the CLI (`parseConfig` →
 * `gatewayOptions` → `createGateway`), with one route `GET /accounts/:id`. `plain-copy` is the
 * plain proxy that also sends each request to modern (undici's dispatch API, the answer read and
 * dropped), without capturing or comparing anything: the floor of any shadowing proxy built on the same stack, which
 * shows how much of shadow mode's cost is the second upstream call itself.
 *
 * Usage: `node proxy-under-test.js '<ProxyConfig JSON>'`. Prints one JSON line
 * `{"proxy":url,"admin"?:url}` on stdout. Answers the IPC message `{type:"memory", gc?:true}`
 * with `{type:"memory", usage: process.memoryUsage()}` (after a full GC when asked and the process
 * runs with --expose-gc), and `{type:"elu"}` with the main thread's cumulative event-loop
 * utilization (`performance.eventLoopUtilization()`: idle and active ms since start), from which
 * the bench takes the main thread's busy time per request. Exits on SIGTERM/SIGINT or when the
 * parent's IPC channel closes.
 *
 * `ficus-shadow` and `ficus-shadow-worker` differ only in `gateway.shadow.worker` (false / true),
 * both written out so that neither depends on the option's default.
 */
import type { AddressInfo } from 'node:net';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import proxyPlugin from '@fastify/http-proxy';
import Fastify from 'fastify';
import { Agent } from 'undici';
import { assertNoIssues, parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { gatewayOptions, type GatewayConfig } from '../../gateway/options.js';
import { createGateway } from '../../gateway/server.js';

export type ProxyKind = 'plain' | 'plain-copy' | 'ficus-legacy' | 'ficus-shadow' | 'ficus-shadow-worker';

export interface ProxyConfig {
  kind: ProxyKind;
  legacy: string;
  modern: string;
  /** Ficus store file (ficus kinds only). */
  storePath?: string;
  /** Extra lines for the `gateway.shadow` section, e.g. `{ concurrency: 16 }`. */
  shadow?: Record<string, number>;
}

export interface ProxyUrls {
  proxy: string;
  admin?: string;
}

export type MemoryRequest = { type: 'memory'; gc?: boolean };
export type MemoryReply = { type: 'memory'; usage: NodeJS.MemoryUsage; gc: boolean };
export type EluRequest = { type: 'elu' };
export type EluReply = { type: 'elu'; elu: EventLoopUtilization };

/** The YAML a user would write for this scenario. */
function ficusYaml(config: ProxyConfig, mode: 'legacy' | 'shadow', worker: boolean): string {
  const shadow = Object.entries({ ...config.shadow, worker }).map(([k, v]) => `    ${k}: ${v}\n`).join('');
  return [
    `store:\n  path: ${JSON.stringify(config.storePath)}\n`,
    'log:\n  level: silent\n',
    'gateway:\n',
    '  listen: 127.0.0.1:0\n',
    '  admin: 127.0.0.1:0\n',
    `  upstreams:\n    legacy: ${config.legacy}\n    modern: ${config.modern}\n`,
    shadow ? `  shadow:\n${shadow}` : '',
    '  routes:\n',
    '    - id: accounts\n',
    '      match: GET /accounts/:id\n',
    `      mode: ${mode}\n`,
    '      sample: 1\n',
    '      noiseSample: 0\n',
    '      promotion:\n        auto: false\n',
  ].join('');
}

async function startPlain(config: ProxyConfig, copyToModern = false): Promise<{ urls: ProxyUrls; close: () => Promise<void> }> {
  const app = Fastify({ logger: false });
  if (!copyToModern) await app.register(proxyPlugin, { upstream: config.legacy });
  else {
    // The least any shadowing proxy on this stack must add: one more upstream call per request
    // through undici's cheapest API (dispatch), with a handler that drops what the parser reads.
    const modern = new Agent({ connections: 256, keepAliveTimeout: 30_000 });
    const origin = new URL(config.modern).origin;
    const drop = { onRequestStart() {}, onResponseStart() {}, onResponseData() {}, onResponseEnd() {}, onResponseError() {} };
    const copy = (url: string) => {
      modern.dispatch({ origin, path: url, method: 'GET' }, drop);
    };
    await app.register(proxyPlugin, {
      upstream: config.legacy,
      replyOptions: {
        onResponse: (req, reply, res) => {
          copy(req.url);
          void reply.send((res as unknown as { stream: unknown }).stream);
        },
      },
    });
    app.addHook('onClose', () => modern.close());
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const a = app.server.address() as AddressInfo;
  return { urls: { proxy: `http://127.0.0.1:${a.port}` }, close: () => app.close() };
}

async function startFicus(config: ProxyConfig, mode: 'legacy' | 'shadow', worker = false): Promise<{ urls: ProxyUrls; close: () => Promise<void> }> {
  if (!config.storePath) throw new Error('ficus proxies need storePath');
  const loaded = parseConfig<{ gateway: GatewayConfig }>(ficusYaml(config, mode, worker), 'bench.yaml', { env: {} });
  const { options, issues } = gatewayOptions(loaded, loaded.config.gateway, { storePath: config.storePath, env: {} });
  assertNoIssues(issues);
  const gateway = await createGateway(options, { logger: createLogger({ level: 'silent' }) });
  const urls = await gateway.listen();
  return { urls, close: () => gateway.close() };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ProxyConfig;
  const started =
    config.kind === 'plain' || config.kind === 'plain-copy'
      ? await startPlain(config, config.kind === 'plain-copy')
      : config.kind === 'ficus-legacy'
        ? await startFicus(config, 'legacy')
        : await startFicus(config, 'shadow', config.kind === 'ficus-shadow-worker');

  process.on('message', (m: MemoryRequest | EluRequest) => {
    if (m?.type === 'elu') {
      const reply: EluReply = { type: 'elu', elu: performance.eventLoopUtilization() };
      process.send?.(reply);
      return;
    }
    if (m?.type !== 'memory') return;
    const gc = m.gc === true && typeof globalThis.gc === 'function';
    if (gc) globalThis.gc!();
    const reply: MemoryReply = { type: 'memory', usage: process.memoryUsage(), gc };
    process.send?.(reply);
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Shadow calls still in flight may hold close() up to their timeout; do not wait that long.
    const force = setTimeout(() => process.exit(0), 3000);
    void started
      .close()
      .catch((err: unknown) => process.stderr.write(`proxy-under-test: close failed: ${String(err)}\n`))
      .finally(() => {
        clearTimeout(force);
        // process.exit (not a signal death) so --cpu-prof gets to write its profile.
        process.exit(0);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  process.stdout.write(JSON.stringify(started.urls) + '\n');
}

await main();
