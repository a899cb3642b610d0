/**
 * Throughput, latency and memory of the Ficus gateway against a plain reverse proxy measured in
 * the same run on the same machine. Scenarios: (1) direct to legacy, (2) fastify +
 * @fastify/http-proxy in front of legacy (the baseline for every ratio), (3) the same plain proxy
 * also sending every request to modern and dropping the answer (no capture, no comparison: the
 * floor of any shadowing proxy on this stack), (4) Ficus with one route `GET /accounts/:id` in
 * legacy mode, (5) the same route in shadow mode comparing every request against a modern upstream
 * as fast as legacy with an equal, key-reordered ~1 KB JSON body, (6) the same with
 * `gateway.shadow.worker: true` (calls and comparison on a worker thread); then (7) every proxy
 * at one fixed request rate below all their capacities (open loop), for the latency each adds
 * when nothing queues; then (8) shadow mode under load with modern 10× slower than legacy,
 * sampling the gateway's memory, with the worker off and on.
 *
 * CPU per request is read from /proc for the whole proxy process and for its main thread alone
 * (with the worker, the process total includes the worker thread's work), and the main thread's
 * busy time also from its event-loop utilization: with cores to spare, the busier thread bounds
 * the proxy's throughput, not the process total.
 *
 * Process layout (2 cores): upstreams in one child (`upstreams.ts`), the proxy under test in
 * another (`proxy-under-test.ts`, one at a time), autocannon in this process. Proxy scenarios run
 * in interleaved rounds (ABCD, DCBA, ...) and the table shows the median per scenario. Targets are
 * printed as PASS/FAIL text, never enforced by the exit code (CONVENTIONS.md: no timed assertions).
 *
 * Run: `npm run bench` (all benches) or `npx tsc -p tsconfig.json && node dist/test/bench/gateway.bench.js [--quick]`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg as loadavgOs, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import type { EluReply, MemoryReply, ProxyConfig, ProxyKind, ProxyUrls } from './proxy-under-test.js';
import type { RouteView } from '../../gateway/route-controller.js';
import type { UpstreamsConfig, UpstreamsUrls } from './upstreams.js';

export interface GatewayBenchOptions {
  /** Interleaved rounds of the four throughput scenarios; the table shows the median. */
  rounds: number;
  warmupSec: number;
  durationSec: number;
  connections: number;
  memory: {
    /** Total load time; samples start after `warmupSec`. */
    durationSec: number;
    warmupSec: number;
    legacyDelayMs: number;
    modernDelayMs: number;
    /** `gateway.shadow.concurrency` for this run, low enough that modern cannot keep up. */
    shadowConcurrency: number;
    /** Post-warm-up heap growth allowed, as a fraction (0.2 = +20 %). */
    maxHeapGrowth: number;
  };
  /** Scenarios to run (the plain proxy, every ratio's baseline, always runs); all by default. */
  scenarios?: readonly Scenario[];
  /** Skip the slow-modern memory runs. */
  skipMemory?: boolean;
  /**
   * Client latency at a fixed request rate (open loop), per proxy scenario, after the throughput
   * rounds: the rate is `fraction` of the slowest proxy's median throughput, so that no scenario
   * is saturated and the latency shows what the proxy adds to each request, not queueing.
   */
  paced: { fraction: number; durationSec: number; warmupSec: number };
  /** Skip the fixed-rate latency runs. */
  skipPaced?: boolean;
  /** When set, the proxy children run with `--cpu-prof` writing into `<dir>/<scenario>/` (with the worker, one profile per thread). */
  cpuProfDir?: string;
}

export const defaultGatewayBenchOptions: Readonly<GatewayBenchOptions> = Object.freeze({
  rounds: 2,
  warmupSec: 2,
  durationSec: 8,
  connections: 10,
  paced: Object.freeze({ fraction: 0.5, durationSec: 8, warmupSec: 3 }),
  memory: Object.freeze({ durationSec: 20, warmupSec: 3, legacyDelayMs: 2, modernDelayMs: 20, shadowConcurrency: 16, maxHeapGrowth: 0.2 }),
});

/** Targets the gateway is held to, as ratios of the plain proxy measured in the same run. */
export const targets = Object.freeze({ legacyThroughput: 0.95, shadowThroughput: 0.8, shadowP99ExtraMs: 2 });

export type Scenario = 'direct' | ProxyKind;
const SCENARIOS: readonly Scenario[] = ['direct', 'plain', 'plain-copy', 'ficus-legacy', 'ficus-shadow', 'ficus-shadow-worker'];
const LABEL: Record<Scenario, string> = {
  direct: 'direct to legacy',
  plain: 'plain @fastify/http-proxy',
  'plain-copy': 'plain + copy to modern',
  'ficus-legacy': 'ficus, mode legacy',
  'ficus-shadow': 'ficus, mode shadow (100%)',
  'ficus-shadow-worker': 'ficus, shadow, worker on',
};
const SHADOW_KINDS = ['ficus-shadow', 'ficus-shadow-worker'] as const;
const PATH = '/accounts/42';
/**
 * Node flags for every proxy child. fastify 5.12 warns (FSTDEP023) that the gateway's
 * `disableRequestLogging` option is deprecated; the warning says nothing about performance and
 * would otherwise be printed between the result lines of every run.
 */
const PROXY_NODE_FLAGS: readonly string[] = ['--disable-warning=FSTDEP023'];

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  responses: number;
  errors: number;
  non2xx: number;
  /** CPU time (user + system) per answered request, in µs, of the proxy process and of the upstreams process. */
  cpuUs?: { proxy: number; upstreams: number };
  /**
   * The proxy's threads, µs per answered request: CPU of its main thread, CPU of its busiest other
   * thread (the shadow worker when on; else a GC helper), and the main thread's busy wall time by
   * event-loop utilization (includes time the OS gave the core to another process).
   */
  threadsUs?: { main: number; busiestOther: number; mainElu?: number };
}

/** CPU seconds (user + system) from a /proc stat file (a process's or one thread's); undefined where unreadable. */
function statCpuSeconds(file: string): number | undefined {
  try {
    const stat = readFileSync(file, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  return pid === undefined ? undefined : statCpuSeconds(`/proc/${pid}/stat`);
}

/** CPU seconds per thread of a process (thread id → seconds); the main thread's id is the pid. */
function threadCpuSeconds(pid: number | undefined): Map<string, number> | undefined {
  if (pid === undefined) return undefined;
  try {
    const out = new Map<string, number>();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const s = statCpuSeconds(`/proc/${pid}/task/${tid}/stat`);
      if (s !== undefined) out.set(tid, s);
    }
    return out;
  } catch {
    return undefined;
  }
}

export interface MemorySample {
  t: number;
  rssMb: number;
  heapMb: number;
}

export interface MemoryRun {
  load: LoadResult;
  samples: MemorySample[];
  afterDrain: MemorySample | undefined;
  route: RouteSummary | undefined;
  /** Main-thread heap growth (max vs first sample); the worker's heap is not in it, RSS is. */
  heapGrowth: number;
  rssGrowth: number;
}

export interface GatewayBenchReport {
  runs: Record<Scenario, LoadResult[]>;
  median: Record<Scenario, LoadResult>;
  shadowRoutes: Partial<Record<(typeof SHADOW_KINDS)[number], RouteSummary>>;
  /** Slow-modern memory runs, worker off (`ficus-shadow`) and on (`ficus-shadow-worker`). */
  memory: Partial<Record<(typeof SHADOW_KINDS)[number], MemoryRun>>;
  /** Client latency per scenario at one fixed request rate (below every scenario's capacity). */
  paced: Partial<Record<Scenario, PacedResult>>;
  checks: { name: string; target: string; measured: string; pass: boolean }[];
}

type RouteSummary = Pick<RouteView, 'mode' | 'samples' | 'matches' | 'mismatches' | 'notCompared' | 'notComparedByReason' | 'errors'>;

// ---------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** Spawns a compiled entry next to this file and waits for the JSON line it prints. */
async function spawnChild<T>(entry: string, arg: unknown, execArgv: readonly string[] = []): Promise<{ child: ChildProcess; info: T }> {
  const file = fileURLToPath(new URL(entry, import.meta.url));
  const child = spawn(process.execPath, [...execArgv, file, JSON.stringify(arg)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  try {
    const info = await new Promise<T>((resolve, reject) => {
      let buf = '';
      let done = false;
      const timer = setTimeout(() => reject(new Error(`${entry} printed no URL within 15 s`)), 15_000);
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (d: string) => {
        if (done) return; // later output is drained and dropped
        buf += d;
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        done = true;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(buf.slice(0, nl)) as T);
        } catch (err) {
          reject(new Error(`${entry} printed ${JSON.stringify(buf.slice(0, nl))}, not JSON`, { cause: err }));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${entry} exited (${code ?? signal}) before printing its URL`));
      });
      child.once('error', reject);
    });
    return { child, info };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the child is gone. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(kill);
}

/** Stops every child this module started, then removes its temp stores (finally blocks, SIGINT). */
export async function cleanUp(): Promise<void> {
  await Promise.all([...live].map(stopChild));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function memoryOf(child: ChildProcess, gc: boolean): Promise<MemoryReply | undefined> {
  return new Promise((resolve) => {
    const onMessage = (m: MemoryReply) => {
      if (m?.type !== 'memory') return;
      done(m);
    };
    const timer = setTimeout(() => done(undefined), 5000);
    const done = (m: MemoryReply | undefined) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
    if (!child.connected || !child.send({ type: 'memory', gc })) done(undefined);
  });
}

/** The proxy child's main-thread event-loop utilization so far (cumulative idle/active ms). */
function eluOf(child: ChildProcess): Promise<EluReply['elu'] | undefined> {
  return new Promise((resolve) => {
    const onMessage = (m: EluReply) => {
      if (m?.type !== 'elu') return;
      done(m.elu);
    };
    const timer = setTimeout(() => done(undefined), 5000);
    const done = (e: EluReply['elu'] | undefined) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(e);
    };
    child.on('message', onMessage);
    if (!child.connected || !child.send({ type: 'elu' })) done(undefined);
  });
}

async function routeSummary(admin: string | undefined): Promise<RouteSummary | undefined> {
  if (!admin) return undefined;
  try {
    const res = await fetch(`${admin}/api/routes`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { routes: RouteSummary[] };
    const r = body.routes[0];
    return r && { mode: r.mode, samples: r.samples, matches: r.matches, mismatches: r.mismatches, notCompared: r.notCompared, notComparedByReason: r.notComparedByReason, errors: r.errors };
  } catch (err) {
    console.log(`  (GET ${admin}/api/routes failed: ${String(err)})`);
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------------------------

/** Runs autocannon; latencies are kept at full precision here (autocannon's histogram rounds to ms). */
function load(url: string, durationSec: number, connections: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon({ url, connections, pipelining: 1, duration: durationSec }, (err: unknown, result: autocannon.Result) => {
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      const sorted = Float64Array.from(latencies).sort();
      const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]! : NaN);
      resolve({
        rps: sorted.length / result.duration,
        p50: q(0.5),
        p99: q(0.99),
        responses: sorted.length,
        errors: result.errors,
        non2xx: result.non2xx,
      });
    });
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
    });
  });
}

export interface PacedResult {
  rate: number;
  p50: number;
  p99: number;
  max: number;
  responses: number;
  errors: number;
  non2xx: number;
}

/**
 * Open-loop load at a fixed rate: request i is due at t0 + i / rate whatever happened to earlier
 * ones (autocannon's own rate limit sends each second's quota in a burst). Latency counts from
 * when a request was due, so a client that falls behind shows it (no coordinated omission); the
 * timer fires every millisecond or so, which adds the same sub-millisecond jitter to every
 * scenario.
 */
async function pacedLoad(pool: Pool, path: string, rate: number, durationSec: number): Promise<PacedResult> {
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const total = Math.max(1, Math.round(rate * durationSec));
  const interval = 1000 / rate;
  await new Promise<void>((resolve) => {
    const t0 = performance.now() + 5;
    let sent = 0;
    let done = 0;
    const finish = () => {
      if (++done === total) resolve();
    };
    const fire = (i: number) => {
      const due = t0 + i * interval;
      pool.request({ path, method: 'GET' }).then(
        async (res) => {
          await res.body.dump();
          if (res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - due);
          else non2xx++;
          finish();
        },
        () => {
          errors++;
          finish();
        },
      );
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && t0 + sent * interval <= now) fire(sent++);
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, t0 + sent * interval - performance.now())));
    };
    setTimeout(tick, 5);
  });
  const sorted = Float64Array.from(latencies).sort();
  const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]! : NaN);
  return { rate, p50: q(0.5), p99: q(0.99), max: sorted.length ? sorted[sorted.length - 1]! : NaN, responses: sorted.length, errors, non2xx };
}

/** Fraction of all cores busy over `ms` (Linux /proc/stat), or undefined where unreadable. */
async function machineBusy(ms: number): Promise<number | undefined> {
  const read = () => {
    try {
      const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
      // user nice system idle iowait irq softirq steal: idle + iowait is not busy.
      return { total: fields.slice(0, 8).reduce((a, b) => a + b, 0), idle: fields[3]! + fields[4]! };
    } catch {
      return undefined;
    }
  };
  const a = read();
  await sleep(ms);
  const b = read();
  if (!a || !b || b.total === a.total) return undefined;
  return 1 - (b.idle - a.idle) / (b.total - a.total);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function median(results: LoadResult[]): LoadResult {
  const mid = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  return {
    rps: mid(results.map((r) => r.rps)),
    p50: mid(results.map((r) => r.p50)),
    p99: mid(results.map((r) => r.p99)),
    responses: results.reduce((a, r) => a + r.responses, 0),
    errors: results.reduce((a, r) => a + r.errors, 0),
    non2xx: results.reduce((a, r) => a + r.non2xx, 0),
  };
}

/** Least-squares slope of y over t. */
function slope(points: { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const num = points.reduce((a, p) => a + (p.t - mt) * (p.y - my), 0);
  const den = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return num / den;
}

// ---------------------------------------------------------------------------------------------
// The bench
// ---------------------------------------------------------------------------------------------

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);
const mb = (bytes: number) => bytes / (1024 * 1024);

/** Shadow mode under a modern 10× slower than legacy: the bounded queue must shed load and memory stay flat. */
async function memoryRun(kind: (typeof SHADOW_KINDS)[number], upstreams: UpstreamsUrls, storePath: string, opts: GatewayBenchOptions, log: (s: string) => void): Promise<MemoryRun> {
  const m = opts.memory;
  const memConfig: ProxyConfig = { kind, legacy: upstreams.legacy, modern: upstreams.modern, storePath, shadow: { concurrency: m.shadowConcurrency } };
  const proxy = await spawnChild<ProxyUrls>('./proxy-under-test.js', memConfig, [...PROXY_NODE_FLAGS, '--expose-gc']);
  try {
    log('');
    log(
      `memory (${LABEL[kind]}): legacy answers in ${m.legacyDelayMs} ms, modern in ${m.modernDelayMs} ms; gateway.shadow.concurrency ${m.shadowConcurrency} ` +
        `(modern can take ~${Math.round((m.shadowConcurrency * 1000) / m.modernDelayMs)} req/s), queueSize and timeoutMs at their defaults; ` +
        `${m.durationSec} s of load, live heap of the main thread (after a full GC) and the process's RSS sampled every second after ${m.warmupSec} s`,
    );
    const samples: MemorySample[] = [];
    const t0 = Date.now();
    let sampling = true;
    const sampler = (async () => {
      for (let k = m.warmupSec; sampling && k <= m.durationSec; k++) {
        await sleep(Math.max(0, t0 + k * 1000 - Date.now()));
        if (!sampling) break;
        const reply = await memoryOf(proxy.child, true);
        if (reply) samples.push({ t: (Date.now() - t0) / 1000, rssMb: mb(reply.usage.rss), heapMb: mb(reply.usage.heapUsed) });
      }
    })();
    const memLoad = await load(proxy.info.proxy + PATH, m.durationSec, opts.connections);
    sampling = false;
    await sampler;
    await sleep(2500); // let the shadow queue drain
    const after = await memoryOf(proxy.child, true);
    const afterDrain = after && { t: (Date.now() - t0) / 1000, rssMb: mb(after.usage.rss), heapMb: mb(after.usage.heapUsed) };
    const route = await routeSummary(proxy.info.admin);
    const first = samples[0];
    const maxHeap = Math.max(...samples.map((s) => s.heapMb));
    const maxRss = Math.max(...samples.map((s) => s.rssMb));
    const heapGrowth = first ? maxHeap / first.heapMb - 1 : NaN;
    const rssGrowth = first ? maxRss / first.rssMb - 1 : NaN;

    log(`  client: ${memLoad.rps.toFixed(0)} req/s, p50 ${f2(memLoad.p50)} ms, p99 ${f2(memLoad.p99)} ms, errors ${memLoad.errors}, non-2xx ${memLoad.non2xx}`);
    log(`  samples (t s: heap MB / rss MB): ${samples.map((s) => `${s.t.toFixed(0)}: ${f1(s.heapMb)}/${f1(s.rssMb)}`).join(', ')}`);
    if (first) {
      const last = samples[samples.length - 1]!;
      const heapSlope = slope(samples.map((s) => ({ t: s.t, y: s.heapMb }))) * 10;
      const rssSlope = slope(samples.map((s) => ({ t: s.t, y: s.rssMb }))) * 10;
      log(`  heap used: first ${f1(first.heapMb)} MB, last ${f1(last.heapMb)} MB, max ${f1(maxHeap)} MB, slope ${f2(heapSlope)} MB/10 s`);
      log(`  rss:       first ${f1(first.rssMb)} MB, last ${f1(last.rssMb)} MB, max ${f1(maxRss)} MB, slope ${f2(rssSlope)} MB/10 s`);
    }
    if (afterDrain) log(`  after the load stopped and the queue drained: heap ${f1(afterDrain.heapMb)} MB, rss ${f1(afterDrain.rssMb)} MB`);
    if (route) {
      const reasons = Object.entries(route.notComparedByReason)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      log(`  route: mode ${route.mode}, ${route.matches} matches, ${route.mismatches} mismatches, ${route.notCompared} not compared (${reasons || 'none'}), modern errors ${route.errors.modern}`);
    }
    return { load: memLoad, samples, afterDrain, route, heapGrowth, rssGrowth };
  } finally {
    await stopChild(proxy.child);
  }
}

export async function runGatewayBench(opts: GatewayBenchOptions = defaultGatewayBenchOptions): Promise<GatewayBenchReport> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'ficus-gateway-bench-'));
  tempDirs.add(dir);
  const log = (s: string) => console.log(s);
  // Other work on the machine skews every figure; the load average lets a reader see it.
  const loadavg = () => loadavgOs().map((x) => x.toFixed(2)).join(' ');
  log(`gateway.bench: node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'}), ${new Date().toISOString()}, load average before ${loadavg()}`);
  const busy = await machineBusy(1000);
  if (busy !== undefined) {
    log(`  other work on the machine in the second before the start: ${(busy * 100).toFixed(0)} % of all cores busy`);
    if (busy > 0.15) log('  WARNING: the machine is not idle; every figure below is skewed by that other work');
  }
  log(
    `  autocannon ${opts.connections} connections, pipelining 1, ${opts.warmupSec} s warm-up + ${opts.durationSec} s measured per run, ` +
      `${opts.rounds} interleaved round(s), GET ${PATH}, ~1 KB JSON`,
  );

  const scenarios = SCENARIOS.filter((sc) => sc === 'plain' || !opts.scenarios || opts.scenarios.includes(sc));
  const runs = Object.fromEntries(SCENARIOS.map((s) => [s, [] as LoadResult[]])) as Record<Scenario, LoadResult[]>;
  const shadowRoutes: Partial<Record<(typeof SHADOW_KINDS)[number], RouteSummary>> = {};
  const memory: GatewayBenchReport['memory'] = {};
  const paced: GatewayBenchReport['paced'] = {};
  try {
    // -------- throughput and latency, interleaved rounds ---------------------------------------
    const fast: UpstreamsConfig = { legacyDelayMs: 0, modernDelayMs: 0 };
    const upstreams = await spawnChild<UpstreamsUrls>('./upstreams.js', fast);
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? scenarios : [...scenarios].reverse();
      for (const scenario of order) {
        let proxy: { child: ChildProcess; info: ProxyUrls } | undefined;
        try {
          let base = upstreams.info.legacy;
          if (scenario !== 'direct') {
            const config: ProxyConfig = { kind: scenario, legacy: upstreams.info.legacy, modern: upstreams.info.modern, storePath: join(dir, `${scenario}-${round}.db`) };
            const profiled = opts.cpuProfDir !== undefined;
            const execArgv = [...PROXY_NODE_FLAGS, ...(profiled ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}/${scenario}`] : [])];
            proxy = await spawnChild<ProxyUrls>('./proxy-under-test.js', config, execArgv);
            base = proxy.info.proxy;
          }
          await load(base + PATH, opts.warmupSec, opts.connections);
          const eluBefore = proxy ? await eluOf(proxy.child) : undefined;
          const cpuBefore = { proxy: cpuSeconds(proxy?.child.pid), upstreams: cpuSeconds(upstreams.child.pid), threads: threadCpuSeconds(proxy?.child.pid) };
          const r = await load(base + PATH, opts.durationSec, opts.connections);
          const cpuAfter = { proxy: cpuSeconds(proxy?.child.pid), upstreams: cpuSeconds(upstreams.child.pid), threads: threadCpuSeconds(proxy?.child.pid) };
          const eluAfter = proxy ? await eluOf(proxy.child) : undefined;
          if (cpuBefore.upstreams !== undefined && cpuAfter.upstreams !== undefined && r.responses > 0) {
            const per = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? 0 : ((b - a) * 1e6) / r.responses);
            r.cpuUs = { proxy: per(cpuBefore.proxy, cpuAfter.proxy), upstreams: per(cpuBefore.upstreams, cpuAfter.upstreams) };
            const main = String(proxy?.child.pid);
            if (cpuBefore.threads && cpuAfter.threads) {
              let busiestOther = 0;
              for (const [tid, after] of cpuAfter.threads) if (tid !== main) busiestOther = Math.max(busiestOther, per(cpuBefore.threads.get(tid) ?? 0, after));
              r.threadsUs = { main: per(cpuBefore.threads.get(main), cpuAfter.threads.get(main)), busiestOther };
              // The ELU figures span the two IPC round trips too: a few ms over seconds of load.
              if (eluBefore && eluAfter) r.threadsUs.mainElu = ((eluAfter.active - eluBefore.active) * 1e3) / r.responses;
            }
          }
          runs[scenario].push(r);
          let extra = '';
          if (scenario === 'ficus-shadow' || scenario === 'ficus-shadow-worker') {
            await sleep(300); // comparisons land off the client's path
            const route = await routeSummary(proxy?.info.admin);
            shadowRoutes[scenario] = route;
            if (route) extra = `  route: ${route.mode}, ${route.matches} matches, ${route.mismatches} mismatches, ${route.notCompared} not compared`;
          }
          const th = r.threadsUs;
          const threads = th ? ` (main thread ${th.main.toFixed(0)} µs${th.mainElu !== undefined ? `, by ELU ${th.mainElu.toFixed(0)} µs` : ''}; busiest other thread ${th.busiestOther.toFixed(0)} µs)` : '';
          const cpu = r.cpuUs ? `  cpu/req proxy ${r.cpuUs.proxy.toFixed(0)} µs${threads} upstreams ${r.cpuUs.upstreams.toFixed(0)} µs` : '';
          log(`  round ${round + 1} ${pad(LABEL[scenario], 27)} ${lpad(r.rps.toFixed(0), 6)} req/s  p50 ${f2(r.p50)} ms  p99 ${f2(r.p99)} ms  errors ${r.errors} non-2xx ${r.non2xx}${cpu}${extra}`);
        } finally {
          if (proxy) await stopChild(proxy.child);
        }
      }
    }

    // -------- client latency at a fixed rate, no scenario saturated -----------------------------
    if (!opts.skipPaced) {
      const proxiedRan = scenarios.filter((sc) => sc !== 'direct');
      const slowest = Math.min(...proxiedRan.map((sc) => median(runs[sc]).rps));
      const rate = Math.max(50, Math.round((slowest * opts.paced.fraction) / 50) * 50);
      log('');
      log(`latency at a fixed rate: ${rate} req/s (${Math.round(opts.paced.fraction * 100)} % of the slowest proxy's throughput above), open loop, ${opts.paced.warmupSec} s warm-up + ${opts.paced.durationSec} s per scenario`);
      for (const scenario of proxiedRan) {
        const config: ProxyConfig = { kind: scenario as ProxyKind, legacy: upstreams.info.legacy, modern: upstreams.info.modern, storePath: join(dir, `${scenario}-paced.db`) };
        const proxy = await spawnChild<ProxyUrls>('./proxy-under-test.js', config, PROXY_NODE_FLAGS);
        // One pool for warm-up and measurement: the measured run starts on open connections.
        const pool = new Pool(proxy.info.proxy, { connections: 128, pipelining: 1, keepAliveTimeout: 60_000 });
        try {
          await pacedLoad(pool, PATH, rate, opts.paced.warmupSec);
          await sleep(1000); // shadow calls the cold start left queued drain before the measured run
          const r = await pacedLoad(pool, PATH, rate, opts.paced.durationSec);
          paced[scenario] = r;
          log(`  ${pad(LABEL[scenario], 27)} p50 ${f2(r.p50)} ms  p99 ${f2(r.p99)} ms  max ${f2(r.max)} ms  answered ${r.responses}  errors ${r.errors} non-2xx ${r.non2xx}`);
        } finally {
          await pool.close();
          await stopChild(proxy.child);
        }
      }
    }
    await stopChild(upstreams.child);

    // -------- memory with a slow modern, worker off and on ----------------------------------------
    const m = opts.memory;
    const slow = await spawnChild<UpstreamsUrls>('./upstreams.js', { legacyDelayMs: m.legacyDelayMs, modernDelayMs: m.modernDelayMs } satisfies UpstreamsConfig);
    try {
      for (const kind of SHADOW_KINDS) if (!opts.skipMemory && scenarios.includes(kind)) memory[kind] = await memoryRun(kind, slow.info, join(dir, `memory-${kind}.db`), opts, log);
    } finally {
      await stopChild(slow.child);
    }
  } finally {
    await cleanUp();
  }

  // -------- table and checks -------------------------------------------------------------------
  const med = Object.fromEntries(SCENARIOS.map((s) => [s, median(runs[s])])) as Record<Scenario, LoadResult>;
  const plain = med.plain;
  log('');
  log(`gateway.bench results (median of ${opts.rounds}; ratio = req/s ÷ plain proxy req/s)`);
  log(`  ${pad('scenario', 27)} ${lpad('req/s', 7)} ${lpad('p50 ms', 7)} ${lpad('p99 ms', 7)} ${lpad('ratio', 6)} ${lpad('errors', 7)} ${lpad('non-2xx', 8)}`);
  for (const s of scenarios) {
    const r = med[s];
    log(`  ${pad(LABEL[s], 27)} ${lpad(r.rps.toFixed(0), 7)} ${lpad(f2(r.p50), 7)} ${lpad(f2(r.p99), 7)} ${lpad(f2(r.rps / plain.rps), 6)} ${lpad(String(r.errors), 7)} ${lpad(String(r.non2xx), 8)}`);
  }
  // The machine's speed drifts between minutes; a round runs every scenario within a few minutes,
  // so each round's own ratios show how far the medians above can be trusted.
  if (opts.rounds > 1) {
    const perRound = scenarios
      .filter((s) => s !== 'plain')
      .map((s) => `${LABEL[s]} ${runs[s].map((r, i) => (runs.plain[i] ? f2(r.rps / runs.plain[i]!.rps) : '?')).join(' / ')}`);
    log(`  ratio in each round (against that round's plain proxy): ${perRound.join(', ')}`);
  }
  // CPU per request: what each scenario costs the proxy process, independent of how the cores are
  // shared. On a machine where the proxy has cores of its own (load generator and upstreams
  // elsewhere), its throughput is bounded by 1 / (CPU per request) of its busiest thread: the
  // whole process for a one-thread proxy, the busier of the main thread and the shadow worker with
  // the worker on. Reported beside the targets, which stay measured as throughput here.
  const medianOf = (sc: Scenario, pick: (r: LoadResult) => number | undefined): number | undefined => {
    const xs = runs[sc].map(pick).filter((x): x is number => x !== undefined && x > 0).sort((a, b) => a - b);
    return xs.length ? xs[Math.floor(xs.length / 2)] : undefined;
  };
  const proxied = scenarios.filter((sc) => sc !== 'direct');
  const us = (x: number | undefined) => (x === undefined ? '?' : `${x.toFixed(0)} µs`);
  const cpuOf = (sc: Scenario) => medianOf(sc, (r) => r.cpuUs?.proxy);
  const mainOf = (sc: Scenario) => medianOf(sc, (r) => r.threadsUs?.main);
  const cpuPlain = cpuOf('plain');
  if (cpuPlain !== undefined) {
    log(`  proxy CPU per request, whole process (median): ${proxied.map((sc) => `${LABEL[sc]} ${us(cpuOf(sc))}`).join(', ')}`);
    log(`  proxy CPU per request, main thread only:       ${proxied.map((sc) => `${LABEL[sc]} ${us(mainOf(sc))}`).join(', ')}`);
    log(`  main thread busy per request by ELU:           ${proxied.map((sc) => `${LABEL[sc]} ${us(medianOf(sc, (r) => r.threadsUs?.mainElu))}`).join(', ')}`);
    log(`  busiest other thread per request:              ${proxied.map((sc) => `${LABEL[sc]} ${us(medianOf(sc, (r) => r.threadsUs?.busiestOther))}`).join(', ')}`);
    const ficusRan = (['ficus-legacy', 'ficus-shadow', 'ficus-shadow-worker'] as const).filter((sc) => scenarios.includes(sc));
    const ratios = ficusRan.map((sc) => {
      const c = cpuOf(sc);
      return `${LABEL[sc]} ${c ? f2(cpuPlain / c) : '-'}x`;
    });
    log(`  capacity ratio if the proxy had its own cores (plain CPU ÷ scenario CPU): ${ratios.join(', ')}`);
    const plainMain = mainOf('plain');
    if (plainMain !== undefined) {
      const bound = (sc: Scenario) => medianOf(sc, (r) => (r.threadsUs ? Math.max(r.threadsUs.main, r.threadsUs.busiestOther) : undefined));
      const threadRatios = ficusRan.map((sc) => {
        const b = bound(sc);
        return `${LABEL[sc]} ${b ? f2(plainMain / b) : '-'}x`;
      });
      log(`  capacity ratio with a core per thread (plain main-thread CPU ÷ scenario's busiest thread CPU): ${threadRatios.join(', ')}`);
    }
  }
  for (const kind of SHADOW_KINDS) {
    const r = shadowRoutes[kind];
    if (r) log(`  ${LABEL[kind]} route (last run): ${r.matches} matches, ${r.mismatches} mismatches, ${r.notCompared} not compared ${JSON.stringify(r.notComparedByReason)}`);
  }

  const checks: GatewayBenchReport['checks'] = [];
  const legacyRatio = med['ficus-legacy'].rps / plain.rps;
  if (scenarios.includes('ficus-legacy')) checks.push({ name: 'ficus legacy mode throughput vs plain proxy', target: `>= ${targets.legacyThroughput}x`, measured: `${f2(legacyRatio)}x`, pass: legacyRatio >= targets.legacyThroughput });
  for (const kind of SHADOW_KINDS.filter((k) => scenarios.includes(k))) {
    const which = kind === 'ficus-shadow' ? 'shadow mode' : 'shadow mode, worker';
    const shadowRatio = med[kind].rps / plain.rps;
    const p99Extra = med[kind].p99 - plain.p99;
    checks.push({ name: `ficus ${which} throughput vs plain proxy`, target: `>= ${targets.shadowThroughput}x`, measured: `${f2(shadowRatio)}x`, pass: shadowRatio >= targets.shadowThroughput });
    checks.push({ name: `ficus ${which} client p99 vs plain p99`, target: `<= +${targets.shadowP99ExtraMs} ms`, measured: `${p99Extra >= 0 ? '+' : ''}${f2(p99Extra)} ms`, pass: p99Extra <= targets.shadowP99ExtraMs });
    const pk = paced[kind];
    const pp = paced.plain;
    if (pk && pp) {
      const extra = pk.p99 - pp.p99;
      checks.push({ name: `ficus ${which} p99 vs plain at ${pk.rate} req/s`, target: `<= +${targets.shadowP99ExtraMs} ms`, measured: `${extra >= 0 ? '+' : ''}${f2(extra)} ms`, pass: extra <= targets.shadowP99ExtraMs });
    }
  }
  for (const kind of SHADOW_KINDS) {
    const run = memory[kind];
    if (!run) continue;
    // Without the worker the queue lives in the main heap; with it, in the worker's, which only RSS sees.
    const [what, g] = kind === 'ficus-shadow' ? ['heap', run.heapGrowth] : ['rss', run.rssGrowth];
    checks.push({
      name: `${what} under a 10x slower modern${kind === 'ficus-shadow' ? '' : ', worker'} (max vs first)`,
      target: `<= +${Math.round(opts.memory.maxHeapGrowth * 100)} %`,
      measured: `${g >= 0 ? '+' : ''}${f1(g * 100)} %`,
      pass: g <= opts.memory.maxHeapGrowth,
    });
  }
  if (scenarios.includes('plain-copy')) {
    // Not a target: how far shadow mode is from the least a shadowing proxy on this stack costs.
    for (const kind of SHADOW_KINDS.filter((k) => scenarios.includes(k))) log(`  ${LABEL[kind]} throughput ÷ plain + copy to modern: ${f2(med[kind].rps / med['plain-copy'].rps)}x`);
  }
  const errors = scenarios.reduce((a, s) => a + med[s].errors + med[s].non2xx, 0);
  if (errors > 0) log(`  WARNING: ${errors} errors or non-2xx answers; throughput figures include failed requests' absence`);
  log('');
  log('gateway.bench checks (targets, reported, not enforced by the exit code)');
  for (const c of checks) log(`  ${c.pass ? 'PASS' : 'FAIL'}  ${pad(c.name, 52)} target ${pad(c.target, 10)} measured ${c.measured}`);
  log(`gateway.bench took ${((Date.now() - started) / 1000).toFixed(0)} s; load average after ${loadavg()} (this bench's own processes count towards it)`);
  return { runs, median: med, shadowRoutes, memory, paced, checks };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const quick = process.argv.includes('--quick');
  const opts: GatewayBenchOptions = quick
    ? { ...defaultGatewayBenchOptions, rounds: 1, warmupSec: 1, durationSec: 3, paced: { ...defaultGatewayBenchOptions.paced, durationSec: 4 }, memory: { ...defaultGatewayBenchOptions.memory, durationSec: 8 } }
    : { ...defaultGatewayBenchOptions };
  if (process.env.FICUS_BENCH_CPU_PROF) opts.cpuProfDir = process.env.FICUS_BENCH_CPU_PROF;
  // --scenarios=ficus-legacy,ficus-shadow-worker (plain always runs), --rounds=N, --skip-memory, --skip-paced: for focused measurements.
  const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const only = flag('scenarios');
  if (only) opts.scenarios = only.split(',') as Scenario[];
  const rounds = Number(flag('rounds'));
  if (rounds > 0) opts.rounds = rounds;
  if (process.argv.includes('--skip-memory')) opts.skipMemory = true;
  if (process.argv.includes('--skip-paced')) opts.skipPaced = true;
  const onSignal = () => {
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await runGatewayBench(opts);
}
