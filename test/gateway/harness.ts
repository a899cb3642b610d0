/**
 * Real HTTP servers on port 0 for gateway tests: scriptable legacy/modern upstreams that record
 * every call, and a gateway built from YAML through the same config path the CLI uses.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { request } from 'undici';
import { parseConfig } from '../../core/config.js';
import { assertNoIssues } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { gatewayOptions, type GatewayConfig, type GatewayOptions } from '../../gateway/options.js';
import type { RouteView } from '../../gateway/route-controller.js';
import { createGateway, type Gateway } from '../../gateway/server.js';
import { tempDir } from '../helpers/tmp.js';

export interface Call {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
  delayMs?: number;
}

export interface Upstream {
  url: string;
  calls: Call[];
  server: Server;
  close(): Promise<void>;
}

/** Starts an upstream whose answer `handler` decides per call (n = 1-based call number). */
export async function startUpstream(t: TestContext, handler: (call: Call, n: number) => Reply | Promise<Reply>): Promise<Upstream> {
  const calls: Call[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call: Call = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      calls.push(call);
      void Promise.resolve(handler(call, calls.length)).then(async (r) => {
        if (r.delayMs) await new Promise((resolve) => setTimeout(resolve, r.delayMs));
        if (res.destroyed) return;
        const body = r.body === undefined ? '' : Buffer.isBuffer(r.body) ? r.body : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
        const headers: Record<string, string> = { ...(typeof r.body === 'object' && !Buffer.isBuffer(r.body) ? { 'content-type': 'application/json' } : {}), ...r.headers };
        res.writeHead(r.status ?? 200, headers);
        res.end(body);
      });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  t.after(close);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server, close };
}

/** A URL nothing listens on: a server bound then closed. */
export async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export interface StartedGateway {
  gateway: Gateway;
  proxy: string;
  admin: string;
  options: GatewayOptions;
  storePath: string;
  close(): Promise<void>;
}

/**
 * `gateway.shadow.worker` for every gateway the tests start, unless a test sets `shadowWorker`:
 * `FICUS_TEST_SHADOW_WORKER=1` (or `0`) runs the whole suite with the shadow worker on (or off);
 * unset, the config default applies.
 */
export const shadowWorkerFromEnv: boolean | undefined =
  process.env.FICUS_TEST_SHADOW_WORKER === undefined || process.env.FICUS_TEST_SHADOW_WORKER === '' ? undefined : process.env.FICUS_TEST_SHADOW_WORKER !== '0';

/**
 * Builds a gateway from a YAML `gateway:` section (upstreams filled in), on port 0, with a
 * store file in a temp dir (or `storePath` to reuse one across a restart).
 */
export async function startGateway(
  t: TestContext,
  yaml: string,
  opts: { legacy: string; modern: string; storePath?: string; random?: () => number; env?: Record<string, string>; historyIntervalMs?: number; shadowWorker?: boolean },
): Promise<StartedGateway> {
  const storePath = opts.storePath ?? join(tempDir(t), 'gateway.db');
  const text = `store:\n  path: ${storePath}\nlog:\n  level: silent\ngateway:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n  upstreams:\n    legacy: ${opts.legacy}\n    modern: ${opts.modern}\n${yaml.replace(/^/gm, '  ')}\n`;
  const loaded = parseConfig<{ store: { path: string }; gateway: GatewayConfig }>(text, 'test.yaml', { env: opts.env ?? {} });
  const worker = opts.shadowWorker ?? shadowWorkerFromEnv;
  const gw = worker === undefined ? loaded.config.gateway : { ...loaded.config.gateway, shadow: { ...loaded.config.gateway.shadow, worker } };
  const { options, issues } = gatewayOptions(loaded, gw, { storePath, env: opts.env ?? {} });
  assertNoIssues(issues);
  const gateway = await createGateway(options, { logger: createLogger({ level: 'silent' }), ...(opts.random ? { random: opts.random } : {}), ...(opts.historyIntervalMs ? { historyIntervalMs: opts.historyIntervalMs } : {}), flushIntervalMs: 50 });
  const urls = await gateway.listen();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await gateway.close();
  };
  t.after(close);
  return { gateway, proxy: urls.proxy, admin: urls.admin, options, storePath, close };
}

export interface ClientResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = unknown>(): T;
}

export async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<ClientResponse> {
  const res = await request(url, { method: (init.method ?? 'GET') as 'GET', headers: init.headers ?? {}, body: init.body ?? null });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers as ClientResponse['headers'], text, json: <T>() => JSON.parse(text) as T };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (comparisons land off-path). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await check();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What the admin API answers for a route: the gateway's own view type, JSON-serialised. */
export type { RouteView };

export async function routeView(admin: string, id: string, token?: string): Promise<RouteView> {
  const r = await call(`${admin}/api/routes/${id}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (r.status !== 200) throw new Error(`GET route ${id}: ${r.status} ${r.text}`);
  return r.json<{ route: RouteView }>().route;
}
