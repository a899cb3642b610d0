/**
 * `npm run bench`: runs every benchmark in test/bench, one after another so they never compete
 * for the machine's cores. The gateway bench runs in this process (it is the load generator; its
 * upstreams and proxies are its own child processes). Every other `*.bench.ts` runs as a child
 * process, `node <file>.bench.js`, stopped if it hangs; a compiled file whose source is gone (stale
 * dist/) is skipped. Results are printed, never asserted: the exit code says only whether the
 * benches ran (CONVENTIONS.md).
 *
 * Usage: `npm run bench [-- name...]` (e.g. `-- gateway`, `-- compare`, `-- bridge`) to run only some.
 * FICUS_BENCH_CPU_PROF=<dir> makes the gateway bench profile its shadow-mode proxy and the bridge
 * bench its Ficus bridge (`--cpu-prof`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultGatewayBenchOptions, runGatewayBench, cleanUp } from './gateway.bench.js';

/**
 * A guard against a hung child bench, not a budget: each bench bounds its own run time, and some
 * (the bridge bench, with its brokers) legitimately take minutes.
 */
const CHILD_BENCH_TIMEOUT_MS = 10 * 60_000;

const here = dirname(fileURLToPath(import.meta.url));
// dist/test/bench → test/bench in the source tree.
const sourceDir = resolve(here, '..', '..', '..', 'test', 'bench');
const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.includes(name);

let current: ChildProcess | undefined;
let interrupted = false;
const onSignal = (signal: NodeJS.Signals) => {
  interrupted = true;
  console.log(`\nbench: ${signal}, stopping child processes`);
  const child = current;
  child?.kill('SIGTERM');
  // A child bench cleans up on SIGTERM (the bridge bench stops its bridges and drops its slots,
  // publications, tables and topics): wait for it, bounded, so nothing is left behind when we exit.
  const childExited = child && child.exitCode === null && child.signalCode === null ? Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 30_000).unref())]) : Promise.resolve();
  void Promise.allSettled([cleanUp(), childExited]).finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

/** Runs one compiled bench as a child process with inherited output; resolves to its exit status. */
async function runChild(file: string): Promise<string> {
  const child = spawn(process.execPath, [file], { stdio: 'inherit' });
  current = child;
  const timer = setTimeout(() => {
    console.log(`bench: ${file} still running after ${CHILD_BENCH_TIMEOUT_MS / 1000} s, stopping it`);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  }, CHILD_BENCH_TIMEOUT_MS);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  current = undefined;
  return signal ? `killed by ${signal}` : `exit ${code}`;
}

const summary: string[] = [];
const started = Date.now();

if (wanted('gateway')) {
  console.log('=== gateway.bench ===');
  try {
    const opts = { ...defaultGatewayBenchOptions, ...(process.env.FICUS_BENCH_CPU_PROF ? { cpuProfDir: process.env.FICUS_BENCH_CPU_PROF } : {}) };
    const report = await runGatewayBench(opts);
    const failed = report.checks.filter((c) => !c.pass).length;
    summary.push(`gateway.bench: ran, ${report.checks.length - failed} target(s) PASS, ${failed} FAIL`);
  } catch (err) {
    console.error(err);
    summary.push(`gateway.bench: did not complete (${err instanceof Error ? err.message : String(err)})`);
    process.exitCode = 1;
  }
}

const others = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js') && f !== 'gateway.bench.js')
  .sort();
for (const file of others) {
  const name = file.slice(0, -'.bench.js'.length);
  if (!wanted(name) || interrupted) continue;
  if (!existsSync(join(sourceDir, `${name}.bench.ts`))) {
    summary.push(`${file}: skipped (no test/bench/${name}.bench.ts: stale build output)`);
    continue;
  }
  console.log(`\n=== ${file} ===`);
  const status = await runChild(join(here, file));
  summary.push(`${file}: ${status}`);
  if (status !== 'exit 0') process.exitCode = 1;
}

console.log(`\nbench: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
for (const line of summary) console.log(`  ${line}`);
