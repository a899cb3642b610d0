/**
 * PostgreSQL → Kafka: the Ficus bridge against Debezium Server (2.7.3 and 3.0.0) measured in the
 * same run, on the same PostgreSQL and Kafka broker, with the same workload and the same consumer.
 * For each:
 *
 * 1. max events/s: the bridge is warmed up (10 000 changes), then frozen with SIGSTOP while a
 *    pgbench-like writer commits N single-row changes (half INSERTs, half UPDATEs of random rows,
 *    in transactions of 100) as fast as PostgreSQL takes them; the bridge is resumed (SIGCONT)
 *    and the clock runs from the resume until a Kafka consumer has counted every one of the N
 *    events. Startup and warm-up are excluded; JIT compilers (V8, C2) are warm on both sides.
 * 2. commit→Kafka latency at 50 % of that rate: a paced writer commits transactions of the same
 *    size at half the measured max rate for 20 s; latency = the consumer's receive time − the
 *    change's commit time (`data.source.ts_ms` in both systems' payloads, milliseconds, the
 *    transaction's commit timestamp). The second system is also run at the first one's 50 % rate
 *    when it can sustain it, so one row compares the two at the same load.
 *
 * Each system runs alone (one after the other) on its own table, replication slot, publication
 * and single-partition topic, created here and dropped on exit (also on SIGINT/SIGTERM). The
 * bridge processes' CPU time during the drain is read from /proc to show where the two cores go.
 * Targets (Ficus ≥ 2× Debezium's max events/s, Ficus p99 ≤ 100 ms at 50 %) are printed as
 * PASS/FAIL text, never enforced by the exit code (CONVENTIONS.md: no timed assertions).
 *
 * Debezium Server comes from Maven Central (`io.debezium:debezium-server-dist:<v>:tar.gz`, resolved
 * with `mvn dependency:copy`) into `<cache>/debezium-server-<v>/`, extracted once and reused, the
 * cache being `$FICUS_CACHE_DIR` or `~/.cache/ficus` as for test/services/kafka.sh. Two versions
 * run by default: 2.7.3.Final (the newest 2.7 patch available) and 3.0.0.Final (the first release
 * whose Kafka sink no longer waits for each record, see `debeziumVersions`), each with the oldest
 * JDK on the machine that runs its class files (3.x needs Java 21+). When one cannot be obtained
 * or started, the reason is printed and the other figures are still reported. A run that
 * PostgreSQL or Kafka restarted under (other suites on a shared machine do that) is measured again.
 *
 * Run: `npm run bench -- bridge`, or `npx tsc -p tsconfig.json && node dist/test/bench/bridge.bench.js`.
 * Needs PostgreSQL with wal_level=logical (`FICUS_TEST_PG`, default postgres://postgres@127.0.0.1:5432/postgres)
 * and Kafka (`FICUS_TEST_KAFKA`, default 127.0.0.1:9092; started with test/services/kafka.sh when down).
 * Environment knobs: FICUS_BENCH_BRIDGE_CHANGES (N, default 50000), FICUS_BENCH_BRIDGE_TX (changes per
 * transaction, 100), FICUS_BENCH_BRIDGE_WARMUP (10000), FICUS_BENCH_BRIDGE_PACED_SEC (20),
 * FICUS_BENCH_BRIDGE_ONLY (`ficus` or `debezium`), FICUS_BENCH_DEBEZIUM_VERSIONS (comma-separated,
 * default `2.7.3.Final,3.0.0.Final`),
 * FICUS_BENCH_DEBEZIUM_PROPS (extra `key=value;...` lines for Debezium's application.properties),
 * FICUS_BENCH_CPU_PROF=<dir> (the Ficus bridge runs with `--cpu-prof`; its top self-time
 * functions are printed).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import pg from 'pg';
import { decodeKafkaCloudEvent } from '../../bridges/sinks/kafka.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const ficusBin = join(repoRoot, 'dist', 'cli', 'ficus.js');
const kafkaScript = join(repoRoot, 'test', 'services', 'kafka.sh');

const env = process.env;
const intEnv = (name: string, fallback: number): number => {
  const v = Number(env[name] ?? fallback);
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(env[name])}`);
  return v;
};

const config = Object.freeze({
  pgUrl: env.FICUS_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  brokers: (env.FICUS_TEST_KAFKA ?? '127.0.0.1:9092').split(','),
  changes: intEnv('FICUS_BENCH_BRIDGE_CHANGES', 50_000),
  txSize: intEnv('FICUS_BENCH_BRIDGE_TX', 100),
  warmup: intEnv('FICUS_BENCH_BRIDGE_WARMUP', 10_000),
  pacedSec: intEnv('FICUS_BENCH_BRIDGE_PACED_SEC', 20),
  /** Rows present before capture starts; UPDATEs pick one of them at random. */
  rows: 10_000,
  only: ((v) => {
    if (v !== undefined && v !== 'ficus' && v !== 'debezium') throw new Error(`FICUS_BENCH_BRIDGE_ONLY must be ficus or debezium, got ${JSON.stringify(v)}`);
    return v;
  })(env.FICUS_BENCH_BRIDGE_ONLY),
  /**
   * 2.7.3 is the newest 2.7 patch Maven Central serves here (2.7.4.Final: 404). Its Kafka sink
   * waits for each record's acknowledgement before sending the next (DBZ-7575,
   * https://github.com/debezium/debezium-server/pull/116); DBZ-8251
   * (https://github.com/debezium/debezium-server/pull/123) sends a batch's records first and then
   * waits, and 3.0.0.Final is the first release here with it, so both run: the issue's 2.7
   * baseline and one without that per-record round trip.
   */
  debeziumVersions: (env.FICUS_BENCH_DEBEZIUM_VERSIONS ?? '2.7.3.Final,3.0.0.Final').split(',').map((v) => v.trim()).filter(Boolean),
  debeziumExtraProps: (env.FICUS_BENCH_DEBEZIUM_PROPS ?? '').split(';').map((s) => s.trim()).filter(Boolean),
  cpuProfDir: env.FICUS_BENCH_CPU_PROF ? resolve(env.FICUS_BENCH_CPU_PROF) : undefined,
  cacheDir: env.FICUS_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ficus'),
});

/** A wait fails when no event has arrived for this long (a bridge that stopped, not a slow one). */
const STALL_MS = 30_000;

/** Targets from the Bridges issue. */
const targets = Object.freeze({ throughputRatio: 2, p99Ms: 100 });

type Kind = 'ficus' | 'debezium';

/** One system under test. */
interface Contender {
  /** Short id used in table, slot and topic names. */
  id: string;
  kind: Kind;
  label: string;
  /** Debezium only: Maven version, e.g. 2.7.3.Final. */
  version?: string;
}

const contenders: Contender[] = [
  { id: 'ficus', kind: 'ficus', label: 'Ficus' } satisfies Contender,
  ...config.debeziumVersions.map((version): Contender => ({
    id: `dbz${version.replace(/\.Final$/i, '').replace(/[^0-9a-z]/gi, '').toLowerCase()}`,
    kind: 'debezium',
    version,
    label: `Debezium Server ${version.replace(/\.Final$/, '')}`,
  })),
].filter((c) => !config.only || c.kind === config.only);

/** Phases, written into each changed row's `phase` column so the consumer can attribute every event. */
const PHASE = Object.freeze({ probe: 0, warmup: 1, max: 2, paced: 3, pacedOther: 4 });

// ---------------------------------------------------------------------------------------------
// Cleanup: what one system's run created (process, slot, publication, table, topic, consumer,
// temp dir) is released right after that run; the shared connections at the very end. Both
// also on SIGINT/SIGTERM, newest first, each step once.

type Step = () => Promise<unknown> | unknown;
const systemSteps: Step[] = [];
const globalSteps: Step[] = [];
const defer = (fn: Step): void => void systemSteps.push(fn);
const deferGlobal = (fn: Step): void => void globalSteps.push(fn);
async function unwind(steps: Step[]): Promise<void> {
  while (steps.length > 0) {
    const fn = steps.pop()!;
    try {
      await fn();
    } catch (err) {
      console.error(`bridge.bench: cleanup step failed: ${(err as Error).message}`);
    }
  }
}
let cleaning: Promise<void> | undefined;
const cleanUpAll = (): Promise<void> => (cleaning ??= unwind(systemSteps).then(() => unwind(globalSteps)));
let interrupted = false;
// Safety net: whatever escapes, the bridges stop and the slots, tables and topics go.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.once(event, (err: unknown) => {
    console.error(`bridge.bench: ${event}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    void cleanUpAll().finally(() => process.exit(1));
  });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.log(`\nbridge.bench: ${signal}, cleaning up (child processes, slots, publications, tables, topics)`);
    void cleanUpAll().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Process CPU from /proc, to show where the two cores go during the drain.

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU of a process (all threads), ms; undefined when it cannot be read. */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Services.

interface Environment {
  pgVersion: string;
  kafka: string;
}

/**
 * Which PostgreSQL and Kafka processes are serving: other test suites on this machine restart
 * both (test/bridges/guarantees.test.ts does), and a measurement across a restart means nothing.
 */
interface Services {
  pgStartedAt: string;
  kafkaPid: number | undefined;
}

async function services(): Promise<Services> {
  const r = await cleanupSql('SELECT pg_postmaster_start_time()::text AS t');
  const status = spawnSync('bash', [kafkaScript, 'status'], { encoding: 'utf8' });
  const m = /pid (\d+)/.exec(`${status.stdout}${status.stderr}`);
  return { pgStartedAt: (r.rows[0] as { t: string }).t, kafkaPid: m ? Number(m[1]) : undefined };
}

/** What changed between two fingerprints, or undefined. */
function restarted(before: Services, after: Services): string | undefined {
  const what: string[] = [];
  if (before.pgStartedAt !== after.pgStartedAt) what.push(`PostgreSQL restarted (started at ${before.pgStartedAt}, now ${after.pgStartedAt})`);
  if (before.kafkaPid !== after.kafkaPid) what.push(`the Kafka broker restarted (pid ${before.kafkaPid ?? '?'} → ${after.kafkaPid ?? 'none'})`);
  return what.length ? `${what.join(' and ')} during the measurement, by something other than this bench` : undefined;
}

async function ensureServices(admin: pg.Client): Promise<Environment> {
  const walLevel = (await admin.query<{ wal_level: string }>('SHOW wal_level')).rows[0]!.wal_level;
  if (walLevel !== 'logical') throw new Error(`PostgreSQL at ${redact(config.pgUrl)} has wal_level=${walLevel}; logical replication needs wal_level=logical (test/services/postgres.sh)`);
  const pgVersion = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  let status = spawnSync('bash', [kafkaScript, 'status'], { encoding: 'utf8' });
  if (status.status !== 0 && config.brokers.join(',') === '127.0.0.1:9092') {
    console.log('bridge.bench: Kafka is not running; starting it with test/services/kafka.sh start');
    const started = spawnSync('bash', [kafkaScript, 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (started.status !== 0) throw new Error(`test/services/kafka.sh start failed (exit ${started.status})`);
    status = spawnSync('bash', [kafkaScript, 'status'], { encoding: 'utf8' });
  }
  const text = `${status.stdout}${status.stderr}`;
  const m = /pid (\d+), Kafka ([\d.]+)/.exec(text);
  return { pgVersion, kafka: m ? `Kafka ${m[2]}` : 'Kafka (version unknown)' };
}

const redact = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

// ---------------------------------------------------------------------------------------------
// Debezium Server: resolved from Maven Central once, extracted into the cache.

interface DebeziumInstall {
  home: string;
  runner: string;
  /** A `java` new enough for the distribution's class files. */
  java: string;
  javaVersion: number;
}

/** Resolves and extracts Debezium Server, or throws an error saying exactly what failed. */
function installDebezium(v: string): DebeziumInstall {
  const dir = join(config.cacheDir, `debezium-server-${v}`);
  const home = join(dir, 'debezium-server');
  const marker = join(dir, '.extracted');
  if (!existsSync(marker)) {
    for (const [cmd, args] of [['java', ['-version']], ['mvn', ['-v']]] as const) {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      if (r.error || r.status !== 0) throw new Error(`${cmd} is needed to obtain Debezium Server and was not found (${r.error?.message ?? `exit ${r.status}`})`);
    }
    mkdirSync(dir, { recursive: true });
    const artifact = `io.debezium:debezium-server-dist:${v}:tar.gz`;
    console.log(`bridge.bench: resolving ${artifact} from Maven Central into ${dir} (once; ~450 MB)`);
    const mvn = spawnSync(
      'mvn',
      ['-B', '-q', 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${dir}`],
      { encoding: 'utf8', cwd: dir, timeout: 15 * 60_000 },
    );
    const tarball = join(dir, `debezium-server-dist-${v}.tar.gz`);
    if (mvn.status !== 0 || !existsSync(tarball)) {
      const out = `${mvn.stdout}${mvn.stderr}`.replace(/\x1b\[[0-9;]*m/g, '').trim().split('\n').slice(-6).join(' | ');
      throw new Error(`mvn dependency:copy -Dartifact=${artifact} failed (${mvn.error?.message ?? `exit ${mvn.status}`}): ${out}`);
    }
    rmSync(home, { recursive: true, force: true });
    const tar = spawnSync('tar', ['xzf', tarball, '-C', dir], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`extracting ${tarball} failed: ${tar.stderr.trim()}`);
    rmSync(tarball, { force: true }); // the copy in ~/.m2 remains
    writeFileSync(marker, `${artifact}\n`);
  }
  const runner = existsSync(home) ? readdirSync(home).find((f) => /^debezium-server-dist-.*-runner\.jar$/.test(f)) : undefined;
  if (!runner) throw new Error(`${home} has no debezium-server-dist-*-runner.jar; delete ${dir} to resolve it again`);
  const needs = requiredJava(home, v);
  const java = findJava(needs);
  if (!java) throw new Error(`Debezium Server ${v} is compiled for Java ${needs}+ and no such JDK was found (java on PATH, $JAVA_HOME, /usr/lib/jvm/*): ${describeJavas()}`);
  return { home, runner: join(home, runner), java: java.path, javaVersion: java.version };
}

/** The Java release Debezium Server's main class is compiled for (class-file major version − 44). */
function requiredJava(home: string, v: string): number {
  const jar = join(home, 'lib', `debezium-server-core-${v}.jar`);
  const r = spawnSync('unzip', ['-p', jar, 'io/debezium/server/Main.class'], { maxBuffer: 1 << 20 });
  const header = r.stdout as Buffer | null;
  if (r.status !== 0 || !header || header.length < 8 || header.readUInt32BE(0) !== 0xcafebabe) return 11;
  return header.readUInt16BE(6) - 44;
}

interface Jdk {
  path: string;
  version: number;
}

/** JDKs on this machine: `java` on PATH, $JAVA_HOME, and /usr/lib/jvm/*, with their feature version. */
let jdkList: Jdk[] | undefined;
const jdks = (): Jdk[] => (jdkList ??= findJdks());
function findJdks(): Jdk[] {
  let candidates = ['java', ...(env.JAVA_HOME ? [join(env.JAVA_HOME, 'bin', 'java')] : [])];
  try {
    candidates = [...candidates, ...readdirSync('/usr/lib/jvm').map((d) => join('/usr/lib/jvm', d, 'bin', 'java'))];
  } catch {
    // no /usr/lib/jvm
  }
  const found: Jdk[] = [];
  for (const path of candidates) {
    const r = spawnSync(path, ['-XshowSettings:properties', '-version'], { encoding: 'utf8' });
    const m = /java\.specification\.version = (\d+)/.exec(`${r.stderr ?? ''}`);
    if (m) found.push({ path, version: Number(m[1]) });
  }
  return found;
}

/** The oldest JDK that can run class files for `needs` (the PATH `java` first among equals). */
function findJava(needs: number): Jdk | undefined {
  return jdks().filter((j) => j.version >= needs).sort((a, b) => a.version - b.version)[0];
}

const describeJavas = (): string => (jdks().length ? jdks().map((j) => `${j.path} = Java ${j.version}`).join(', ') : 'no java found');

// ---------------------------------------------------------------------------------------------
// The database side: a pgbench-like table and writer.

interface Fixture {
  table: string;
  slot: string;
  topicPrefix: string;
  topic: string;
}

function names(system: string, runId: string): Fixture {
  const table = `bench_${system}_${runId}`;
  const topicPrefix = `bench_${runId}_${system}`;
  return { table, slot: `ficus_bench_${system}_${runId}`, topicPrefix, topic: `${topicPrefix}.public.${table}` };
}

/**
 * A connection that reports losing its server (other test suites restart PostgreSQL on this
 * machine) instead of crashing the process; its later queries then fail and the system's run
 * ends with that reason.
 */
async function connectPg(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: config.pgUrl });
  c.on('error', (err) => console.log(`bridge.bench: PostgreSQL connection lost (${err.message}); was PostgreSQL restarted by something else?`));
  await c.connect();
  return c;
}

/** Runs cleanup SQL on a fresh connection, so it works even after the bench's own ones died; retries for 30 s. */
async function cleanupSql(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  for (let attempt = 0; ; attempt++) {
    const c = new pg.Client({ connectionString: config.pgUrl });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return await c.query(sql, params);
    } catch (err) {
      const code = (err as { code?: string }).code;
      // Only connection trouble is worth waiting for; a SQL error is final.
      if (attempt >= 30 || (code !== undefined && !code.startsWith('08') && !code.startsWith('57'))) throw err;
      await sleep(1000);
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

/**
 * Creates the table with `config.rows` rows (before any slot exists, so they are never captured)
 * and the writer procedure: `CALL <table>_load(changes, per_tx, phase, lane, lanes)` makes
 * `changes` single-row changes, odd ones INSERTs and even ones an UPDATE of a random existing row,
 * committing every `per_tx`. Server-side, so the writer is never the bottleneck of the max-rate
 * phase. Concurrent callers pass distinct lanes and update disjoint rows (id ≡ lane + 1 mod
 * lanes), so their transactions never wait on or deadlock with each other.
 */
async function createFixture(db: pg.Client, f: Fixture): Promise<void> {
  await db.query(`CREATE TABLE ${f.table} (
    id serial PRIMARY KEY,
    phase int NOT NULL,
    balance numeric(12,2) NOT NULL,
    note text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz
  )`);
  defer(() => cleanupSql(`DROP TABLE IF EXISTS ${f.table}`));
  await db.query(`INSERT INTO ${f.table} (phase, balance, note) SELECT -1, 0, md5(g::text) FROM generate_series(1, ${config.rows}) g`);
  await db.query(`CREATE PROCEDURE ${f.table}_load(changes int, per_tx int, p int, lane int, lanes int) LANGUAGE plpgsql AS $$
    DECLARE
      i int;
      k int;
    BEGIN
      FOR i IN 1..changes LOOP
        IF i % 2 = 1 THEN
          INSERT INTO ${f.table} (phase, balance, note) VALUES (p, round((random() * 10000)::numeric, 2), md5(random()::text));
        ELSE
          k := 1 + lane + lanes * floor(random() * (${config.rows} / lanes))::int;
          UPDATE ${f.table} SET phase = p, balance = balance + 1.25, updated_at = clock_timestamp() WHERE id = k;
        END IF;
        IF i % per_tx = 0 THEN
          COMMIT;
        END IF;
      END LOOP;
      COMMIT;
    END $$`);
  defer(() => cleanupSql(`DROP PROCEDURE IF EXISTS ${f.table}_load(int, int, int, int, int)`));
}

/** Drops a slot and publication, ending the walsender if the bridge left it running. */
async function dropSlot(slot: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const r = await cleanupSql('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    if (r.rows.length === 0) break;
    const pid = (r.rows[0] as { active_pid: number | null }).active_pid;
    if (pid === null) {
      await cleanupSql('SELECT pg_drop_replication_slot($1)', [slot]);
      break;
    }
    if (i >= 10) await cleanupSql('SELECT pg_terminate_backend($1)', [pid]);
    await sleep(200);
  }
  await cleanupSql(`DROP PUBLICATION IF EXISTS ${slot}`);
}

const load = (db: pg.Client, f: Fixture, changes: number, perTx: number, phase: number, lane = 0, lanes = 1) =>
  // Simple-query protocol (no parameters): a procedure may COMMIT only outside a transaction block.
  db.query(`CALL ${f.table}_load(${changes}, ${perTx}, ${phase}, ${lane}, ${lanes})`);

/**
 * Commits transactions of `config.txSize` changes at `eventsPerSec`, evenly spaced, for
 * `config.pacedSec` seconds, over a few connections so one slow commit does not delay the next.
 */
async function pacedWriter(pool: pg.Client[], f: Fixture, eventsPerSec: number, phase: number): Promise<{ changes: number; seconds: number; maxLateMs: number }> {
  const txPerSec = eventsPerSec / config.txSize;
  const total = Math.max(1, Math.round(txPerSec * config.pacedSec));
  const free = [...pool];
  const waiting: ((c: pg.Client) => void)[] = [];
  const acquire = (): Promise<pg.Client> => (free.length > 0 ? Promise.resolve(free.pop()!) : new Promise((r) => waiting.push(r)));
  const release = (c: pg.Client): void => {
    const next = waiting.shift();
    if (next) next(c);
    else free.push(c);
  };
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  const start = performance.now();
  let maxLateMs = 0;
  for (let i = 0; i < total && failure === undefined; i++) {
    const due = start + (i / txPerSec) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const c = await acquire();
    maxLateMs = Math.max(maxLateMs, performance.now() - due);
    const p: Promise<void> = load(c, f, config.txSize, config.txSize, phase, pool.indexOf(c), pool.length).then(
      () => {
        release(c);
        inFlight.delete(p);
      },
      (err: Error) => {
        failure ??= err;
        release(c);
        inFlight.delete(p);
      },
    );
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { changes: total * config.txSize, seconds: (performance.now() - start) / 1000, maxLateMs };
}

// ---------------------------------------------------------------------------------------------
// The consumer: counts events per phase and records commit→receive latency.

interface Tally {
  count: number;
  firstAt: number;
  lastAt: number;
  latencies: number[];
}

interface Counter {
  tally(phase: number): Tally;
  /** Resolves when `phase` has `n` events, or rejects after `timeoutMs` saying how many arrived. */
  waitFor(phase: number, n: number, timeoutMs: number, what: string): Promise<Tally>;
  /** Problems seen in the records (decode failures, wrong shapes), at most a few. */
  problems: string[];
  consumer: Consumer;
  groupId: string;
}

/**
 * One consumer group per system, reading the topic from the beginning. Both systems' values hold
 * `after` and `source.ts_ms` at the top level (Ficus binary mode: the value is the CloudEvent's
 * `data`; Debezium with schemas disabled: the change envelope), so both are read the same way;
 * Ficus's first record is also decoded with decodeKafkaCloudEvent as a check of the headers.
 */
async function startCounter(kafka: Kafka, kind: Kind, topic: string): Promise<Counter> {
  const tallies = new Map<number, Tally>();
  const tally = (phase: number): Tally => {
    let t = tallies.get(phase);
    if (!t) tallies.set(phase, (t = { count: 0, firstAt: 0, lastAt: 0, latencies: [] }));
    return t;
  };
  const problems: string[] = [];
  const problem = (p: string) => void (problems.length < 5 && problems.push(p));
  let checkedCloudEvent = kind !== 'ficus';
  const groupId = `ficus-bench-${topic}`;
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 8 << 20, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        if (m.value === null) continue;
        let value: { after?: { phase?: number } | null; source?: { ts_ms?: number } };
        try {
          if (!checkedCloudEvent) {
            checkedCloudEvent = true;
            const e = decodeKafkaCloudEvent({ headers: m.headers ?? {}, value: m.value });
            if (Date.parse(e.time) !== e.data.source.ts_ms) problem(`CloudEvent time ${e.time} is not data.source.ts_ms ${e.data.source.ts_ms}`);
          }
          value = JSON.parse(m.value.toString('utf8')) as typeof value;
        } catch (err) {
          problem(`offset ${m.offset}: ${(err as Error).message}`);
          continue;
        }
        const phase = value.after?.phase;
        const committed = value.source?.ts_ms;
        if (typeof phase !== 'number' || typeof committed !== 'number') {
          problem(`offset ${m.offset}: no after.phase / source.ts_ms in ${m.value.toString('utf8').slice(0, 120)}`);
          continue;
        }
        const t = tally(phase);
        if (t.count === 0) t.firstAt = now;
        t.count++;
        t.lastAt = now;
        if (phase >= PHASE.paced) t.latencies.push(now - committed);
      }
    },
  });
  await Promise.race([joined, sleep(30_000)]);
  return {
    tally,
    problems,
    consumer,
    groupId,
    async waitFor(phase, n, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      const t = tally(phase);
      let seen = t.count;
      let progressAt = Date.now();
      while (t.count < n) {
        const now = Date.now();
        if (t.count !== seen) [seen, progressAt] = [t.count, now];
        const why = now > deadline ? `timed out after ${timeoutMs / 1000} s` : now - progressAt > STALL_MS ? `no progress for ${STALL_MS / 1000} s` : undefined;
        if (why) throw new Error(`${why} waiting for ${what}: ${t.count} of ${n} events arrived${problems.length ? `; ${problems.join('; ')}` : ''}`);
        await sleep(10);
      }
      return t;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The bridges under test, each a child process.

interface Running {
  child: ChildProcess;
  /** Last lines of the process's output, for error messages. */
  tail(): string;
  /** SIGTERM, wait (bounded), SIGKILL. Idempotent. */
  stop(): Promise<void>;
  description: string[];
}

function supervise(child: ChildProcess, name: string, graceMs: number, logFile: string): Pick<Running, 'tail' | 'stop'> {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    appendFileSync(logFile, chunk);
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit').then(() => undefined);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT'); // a frozen process would never see the SIGTERM
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        console.log(`bridge.bench: ${name} did not stop within ${graceMs / 1000} s of SIGTERM; SIGKILL`);
        child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    })());
  return { tail: () => lines.slice(-25).join('\n'), stop };
}

/** Waits until `ready` matches the output; rejects if the process exits first or after `timeoutMs`. */
async function waitForOutput(child: ChildProcess, ready: RegExp, timeoutMs: number, tail: () => string, name: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs / 1000} s:\n${tail()}`)), timeoutMs);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready:\n${tail()}`));
    };
    child.once('exit', onExit);
    const onData = (c: Buffer) => {
      out = (out + c.toString('utf8')).slice(-4096);
      if (ready.test(out)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
  });
}

async function startFicus(f: Fixture, dir: string, logFile: string): Promise<Running> {
  const yaml = [
    'store:',
    `  path: ${join(dir, 'bridge.db')}`,
    'log:',
    '  level: warn',
    'bridge:',
    `  name: ${f.slot}`,
    '  listen: 127.0.0.1:0',
    '  snapshot: never',
    '  source:',
    '    kind: postgres',
    `    url: ${config.pgUrl}`,
    `    tables: [public.${f.table}]`,
    `    slot: ${f.slot}`,
    `    publication: ${f.slot}`,
    '  sink:',
    '    kind: kafka',
    `    brokers: [${config.brokers.join(', ')}]`,
    `    topicPrefix: ${f.topicPrefix}`,
    '    mode: binary',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'ficus.yaml'), yaml);
  const nodeArgs = config.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${config.cpuProfDir}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, ficusBin, 'bridge', '--config', 'ficus.yaml'], {
    cwd: dir,
    env: { PATH: env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const s = supervise(child, 'ficus bridge', 20_000, logFile);
  defer(() => s.stop());
  await waitForOutput(child, /listening on http:\/\/\S+/, 30_000, s.tail, 'ficus bridge');
  return { child, ...s, description: yaml.split(config.pgUrl).join(redact(config.pgUrl)).trimEnd().split('\n') };
}

async function startDebezium(install: DebeziumInstall, f: Fixture, dir: string, logFile: string): Promise<Running> {
  const url = new URL(config.pgUrl);
  const props = [
    'debezium.sink.type=kafka',
    `debezium.sink.kafka.producer.bootstrap.servers=${config.brokers.join(',')}`,
    'debezium.sink.kafka.producer.key.serializer=org.apache.kafka.common.serialization.StringSerializer',
    'debezium.sink.kafka.producer.value.serializer=org.apache.kafka.common.serialization.StringSerializer',
    'debezium.sink.kafka.producer.acks=all',
    'debezium.sink.kafka.producer.enable.idempotence=true',
    'debezium.source.connector.class=io.debezium.connector.postgresql.PostgresConnector',
    `debezium.source.offset.storage.file.filename=${join(dir, 'offsets.dat')}`,
    'debezium.source.offset.flush.interval.ms=0',
    `debezium.source.database.hostname=${url.hostname}`,
    `debezium.source.database.port=${url.port || '5432'}`,
    `debezium.source.database.user=${decodeURIComponent(url.username || 'postgres')}`,
    `debezium.source.database.password=${decodeURIComponent(url.password) || 'unused-trust-auth'}`,
    `debezium.source.database.dbname=${url.pathname.slice(1) || 'postgres'}`,
    `debezium.source.topic.prefix=${f.topicPrefix}`,
    `debezium.source.table.include.list=public.${f.table}`,
    'debezium.source.plugin.name=pgoutput',
    `debezium.source.slot.name=${f.slot}`,
    `debezium.source.publication.name=${f.slot}`,
    'debezium.source.publication.autocreate.mode=filtered',
    'debezium.source.snapshot.mode=never',
    // Ficus writes numeric as exact strings; Debezium's default (precise) would be base64 bytes.
    'debezium.source.decimal.handling.mode=string',
    'debezium.format.key=json',
    'debezium.format.value=json',
    'debezium.format.key.schemas.enable=false',
    'debezium.format.value.schemas.enable=false',
    'quarkus.http.host=127.0.0.1',
    'quarkus.http.port=0',
    'quarkus.log.level=INFO',
    'quarkus.log.console.json=false',
    ...config.debeziumExtraProps,
  ];
  const conf = join(dir, 'conf');
  mkdirSync(conf, { recursive: true });
  writeFileSync(join(conf, 'application.properties'), props.join('\n') + '\n');
  // As the distribution's run.sh does: runner jar, conf/, lib/* on the class path.
  const child = spawn(install.java, ['-cp', [install.runner, conf, join(install.home, 'lib', '*')].join(':'), 'io.debezium.server.Main'], {
    cwd: dir,
    env: { PATH: env.PATH ?? '', ...(env.JAVA_HOME ? { JAVA_HOME: env.JAVA_HOME } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const s = supervise(child, 'Debezium Server', 20_000, logFile);
  defer(() => s.stop());
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`cannot start java: ${err.message}`)));
  });
  return { child, ...s, description: [`(${install.java}, Java ${install.javaVersion}; class path: runner jar, conf/, lib/*)`, ...props.map((p) => p.replace(/password=.*/, 'password=***'))] };
}

// ---------------------------------------------------------------------------------------------
// One system, start to finish.

interface Latency {
  rate: number;
  achieved: number;
  maxLateMs: number;
  p50: number;
  p99: number;
  max: number;
  n: number;
}

interface SystemResult {
  contender: Contender;
  startupMs: number;
  maxRate: number;
  drainSec: number;
  firstEventMs: number;
  writerRate: number;
  cpu: Record<string, number | undefined>;
  latency?: Latency;
  latencyAtOther?: Latency;
  otherSkipped?: string;
  /** Set when PostgreSQL or Kafka restarted during the run: the figures are then not comparable. */
  disturbed?: string;
  description: string[];
  profile?: string[];
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

async function runSystem(
  c: Contender,
  ctx: { kafka: Kafka; admin: Admin; runId: string; logDir: string; install?: DebeziumInstall; otherRate?: number },
): Promise<SystemResult> {
  const { kafka, admin } = ctx;
  const f = names(c.id, ctx.runId);
  const before = await services();
  const dir = mkdtempSync(join(tmpdir(), `ficus-bench-${c.id}-`));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  // Connections per system, so a PostgreSQL restart by something else spoils one system's run only.
  const db = await connectPg();
  defer(() => db.end().catch(() => undefined));
  const pool: pg.Client[] = [];
  for (let i = 0; i < 4; i++) {
    const p = await connectPg();
    defer(() => p.end().catch(() => undefined));
    pool.push(p);
  }
  await createFixture(db, f);
  defer(() => dropSlot(f.slot));
  await admin.createTopics({ topics: [{ topic: f.topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  defer(() => admin.deleteTopics({ topics: [f.topic], timeout: 10_000 }).catch(() => undefined));
  const counter = await startCounter(kafka, c.kind, f.topic);
  defer(() => admin.deleteGroups([counter.groupId]).catch(() => undefined));
  defer(() => counter.consumer.disconnect());

  console.log(`${c.label}: starting (table ${f.table}, slot/publication ${f.slot}, topic ${f.topic})`);
  const spawnedAt = Date.now();
  const logFile = join(ctx.logDir, `${c.id}.log`);
  const running = c.kind === 'ficus' ? await startFicus(f, dir, logFile) : await startDebezium(ctx.install!, f, dir, logFile);
  let result: SystemResult;
  try {
    result = await measure(c, { ...ctx, db, pool, kafkaPid: before.kafkaPid }, f, counter, running, spawnedAt);
  } catch (err) {
    const disturbed = restarted(before, await services().catch(() => before));
    throw new DisturbedError(`${(err as Error).message}${disturbed ? ` (${disturbed})` : ''}\n--- last lines of ${logFile} ---\n${running.tail()}`, disturbed);
  }
  result.disturbed = restarted(before, await services());
  return result;
}

/** A system's run failed; `disturbed` says when a service restart by someone else explains it. */
class DisturbedError extends Error {
  constructor(
    message: string,
    readonly disturbed: string | undefined,
  ) {
    super(message);
  }
}

async function measure(
  c: Contender,
  ctx: { db: pg.Client; pool: pg.Client[]; kafkaPid: number | undefined; otherRate?: number },
  f: Fixture,
  counter: Counter,
  running: Running,
  spawnedAt: number,
): Promise<SystemResult> {
  const { db, pool } = ctx;
  // Ready = a change committed now reaches the consumer (snapshot never: earlier ones are not captured).
  const probe = counter.tally(PHASE.probe);
  while (probe.count === 0) {
    if (running.child.exitCode !== null) throw new Error(`${c.label} exited during startup:\n${running.tail()}`);
    if (Date.now() - spawnedAt > 120_000) throw new Error(`${c.label}: no event within 120 s of starting:\n${running.tail()}`);
    await load(db, f, 1, 1, PHASE.probe);
    await sleep(250);
  }
  const startupMs = probe.firstAt - spawnedAt;

  await load(db, f, config.warmup, config.txSize, PHASE.warmup);
  await counter.waitFor(PHASE.warmup, config.warmup, 180_000, `${c.label} warm-up`);

  // Max rate: freeze the bridge, pre-load the backlog, resume, time the drain.
  const pid = running.child.pid!;
  const walsender = (await db.query<{ active_pid: number | null }>('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [f.slot])).rows[0]?.active_pid ?? undefined;
  running.child.kill('SIGSTOP');
  const writeStart = performance.now();
  try {
    await load(db, f, config.changes, config.txSize, PHASE.max);
  } finally {
    running.child.kill('SIGCONT');
  }
  const writeSec = (performance.now() - writeStart) / 1000;
  const cpuBefore = { bridge: cpuMs(pid), walsender: cpuMs(walsender), broker: cpuMs(ctx.kafkaPid), consumer: process.cpuUsage() };
  const resumedAt = Date.now();
  const drained = await counter.waitFor(PHASE.max, config.changes, 240_000, `${c.label} draining ${config.changes} changes`);
  const drainSec = (drained.lastAt - resumedAt) / 1000;
  const consumerCpu = process.cpuUsage(cpuBefore.consumer);
  const delta = (before: number | undefined, after: number | undefined) => (before === undefined || after === undefined ? undefined : after - before);
  const cpu = {
    bridge: delta(cpuBefore.bridge, cpuMs(pid)),
    walsender: delta(cpuBefore.walsender, cpuMs(walsender)),
    broker: delta(cpuBefore.broker, cpuMs(ctx.kafkaPid)),
    consumer: (consumerCpu.user + consumerCpu.system) / 1000,
  };
  const maxRate = config.changes / drainSec;
  console.log(`${c.label}: ${config.changes} changes written in ${writeSec.toFixed(1)} s while frozen; drained in ${drainSec.toFixed(2)} s → ${Math.round(maxRate)} events/s`);

  const paced = async (rate: number, phase: number): Promise<Latency> => {
    const w = await pacedWriter(pool, f, rate, phase);
    const t = await counter.waitFor(phase, w.changes, 120_000, `${c.label} paced at ${Math.round(rate)} events/s`);
    const sorted = [...t.latencies].sort((a, b) => a - b);
    return { rate, achieved: w.changes / w.seconds, maxLateMs: w.maxLateMs, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1]!, n: sorted.length };
  };
  const result: SystemResult = { contender: c, startupMs, maxRate, drainSec, firstEventMs: drained.firstAt - resumedAt, writerRate: config.changes / writeSec, cpu, description: running.description };
  result.latency = await paced(maxRate / 2, PHASE.paced);
  console.log(`${c.label}: at ${Math.round(maxRate / 2)} events/s, commit→consumer p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
  if (ctx.otherRate !== undefined) {
    if (ctx.otherRate <= 0.8 * maxRate) {
      result.latencyAtOther = await paced(ctx.otherRate, PHASE.pacedOther);
      console.log(`${c.label}: at ${Math.round(ctx.otherRate)} events/s, commit→consumer p50 ${result.latencyAtOther.p50} ms, p99 ${result.latencyAtOther.p99} ms`);
    } else {
      result.otherSkipped = `Ficus's 50 % rate (${Math.round(ctx.otherRate)} events/s) is over 80 % of this one's max`;
    }
  }
  if (counter.problems.length > 0) console.log(`${c.label}: record problems: ${counter.problems.join('; ')}`);

  await running.stop();
  if (c.kind === 'ficus' && config.cpuProfDir) result.profile = summarizeNewestProfile(config.cpuProfDir, spawnedAt);
  return result;
}

// ---------------------------------------------------------------------------------------------
// CPU profile summary (`node --cpu-prof` output): top self-time functions.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/**
 * The top self-time functions of the newest profile written since `since`, each with the first
 * caller outside Node's internals it is mostly reached from (a Buffer allocation says little
 * until it names the library that allocates).
 */
function summarizeNewestProfile(dir: string, since: number, top = 5): string[] {
  const files = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.cpuprofile')).map((n) => join(dir, n)).filter((p) => statSync(p).mtimeMs >= since) : [];
  const file = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!file) return [`no .cpuprofile in ${dir} (did the bridge exit cleanly?)`];
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (id: number): string => {
    const f = byNode.get(id)!.callFrame;
    const where = f.url ? `${f.url.replace(`file://${repoRoot}/`, '').replace(/^.*node_modules\//, '')}:${f.lineNumber + 1}` : '';
    return `${f.functionName || '(anonymous)'} ${where}`.trim();
  };
  const isOurs = (id: number): boolean => {
    const url = byNode.get(id)!.callFrame.url;
    return url !== '' && !url.startsWith('node:');
  };
  const self = new Map<string, { us: number; via: Map<string, number> }>();
  const areas = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (byNode.get(id)!.callFrame.functionName === '(idle)') return;
    busy += us;
    let area: string | undefined;
    for (let at: number | undefined = id; at !== undefined && area === undefined; at = parent.get(at)) area = areaOf(byNode.get(at)!.callFrame);
    areas.set(area ?? 'other (Node internals, module loading)', (areas.get(area ?? 'other (Node internals, module loading)') ?? 0) + us);
    const entry = self.get(name(id)) ?? { us: 0, via: new Map<string, number>() };
    entry.us += us;
    let caller = parent.get(id);
    while (caller !== undefined && !isOurs(caller)) caller = parent.get(caller);
    if (!isOurs(id) && caller !== undefined) entry.via.set(name(caller), (entry.via.get(name(caller)) ?? 0) + us);
    self.set(name(id), entry);
  });
  const rows = [...self].sort((a, b) => b[1].us - a[1].us).slice(0, top);
  return [
    `${file}: ${(busy / 1e6).toFixed(1)} s on CPU (idle excluded); top ${top} by self time:`,
    ...rows.map(([fn, { us, via }]) => {
      const [caller, callerUs] = [...via].sort((a, b) => b[1] - a[1])[0] ?? [];
      const from = caller ? `  (${Math.round((100 * callerUs!) / us)} % via ${caller})` : '';
      return `  ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${(us / 1e6).toFixed(2).padStart(6)} s  ${fn}${from}`;
    }),
    'by area (each sample charged to the innermost frame that belongs to one):',
    ...[...areas].sort((a, b) => b[1] - a[1]).map(([area, us]) => `  ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${(us / 1e6).toFixed(2).padStart(6)} s  ${area}`),
  ];
}

/** The part of the bridge a profile frame belongs to, by its script. */
function areaOf(frame: ProfileNode['callFrame']): string | undefined {
  const url = frame.url;
  if (frame.functionName === '(garbage collector)') return 'garbage collection';
  if (url.includes('/node_modules/kafkajs/')) return 'kafkajs (produce request encoding, CRC32C, network)';
  if (url.includes('/node_modules/pg') || url.includes('/bridges/sources/')) return 'PostgreSQL source (pg protocol, pgoutput decoding, value conversion)';
  if (url.includes('/bridges/sinks/')) return 'Kafka sink (CloudEvent → record, request planning)';
  if (url.includes('/node_modules/better-sqlite3/') || url.includes('/core/store') || url.includes('/bridges/state')) return 'checkpoint store (SQLite)';
  if (url.includes('/bridges/')) return 'bridge loop, mapping, CloudEvent envelope';
  if (url.includes('/node_modules/')) return 'other libraries (pino, fastify, ...)';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Main.

const fmt = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));
const ms = (n: number | undefined) => (n === undefined ? 'n/a' : `${Math.round(n)} ms`);

async function main(): Promise<void> {
  const started = Date.now();
  const db = await connectPg();
  const envInfo = await ensureServices(db).finally(() => db.end().catch(() => undefined));
  const kafka = new Kafka({ clientId: 'ficus-bench', brokers: config.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  deferGlobal(() => admin.disconnect());
  const runId = Math.random().toString(16).slice(2, 10);
  const logDir = mkdtempSync(join(tmpdir(), 'ficus-bench-logs-'));
  let keepLogs = false;
  deferGlobal(() => keepLogs || rmSync(logDir, { recursive: true, force: true }));
  const cpu = cpus();
  console.log(
    `bridge.bench: ${new Date(started).toISOString()}, ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}, ` +
      `PostgreSQL ${envInfo.pgVersion} + ${envInfo.kafka} on ${config.brokers.join(',')}`,
  );
  console.log(
    `workload: ${config.changes} single-row changes (½ INSERT, ½ UPDATE of one of ${config.rows} rows) in transactions of ${config.txSize}, ` +
      `after a ${config.warmup}-change warm-up; latency phase ${config.pacedSec} s at 50 % of each system's max rate`,
  );

  const results: SystemResult[] = [];
  const failures: { contender: Contender; reason: string }[] = [];
  for (const c of contenders) {
    if (interrupted) return;
    let install: DebeziumInstall | undefined;
    if (c.kind === 'debezium') {
      try {
        install = installDebezium(c.version!);
      } catch (err) {
        failures.push({ contender: c, reason: `could not be obtained: ${(err as Error).message}` });
        console.log(`${c.label}: could not be obtained: ${(err as Error).message}`);
        continue;
      }
    }
    const ficus = results.find((r) => r.contender.kind === 'ficus');
    // A run that PostgreSQL or Kafka restarted under (another suite's doing) is run once more.
    for (let attempt = 1; attempt <= 2; attempt++) {
      if (interrupted) return;
      let disturbed: string | undefined;
      try {
        const r = await runSystem(c, { kafka, admin, logDir, runId: attempt === 1 ? runId : `${runId}b`, install, ...(c.kind === 'debezium' && ficus ? { otherRate: ficus.maxRate / 2 } : {}) });
        disturbed = r.disturbed;
        if (!disturbed || attempt === 2) results.push(r);
      } catch (err) {
        if (interrupted) return;
        disturbed = err instanceof DisturbedError ? err.disturbed : undefined;
        if (!disturbed || attempt === 2) {
          failures.push({ contender: c, reason: `did not complete: ${(err as Error).message}` });
          console.log(`${c.label}: did not complete: ${(err as Error).message}`);
          keepLogs = true;
        }
      }
      // Everything this system created is released before the next one runs.
      await unwind(systemSteps);
      if (!disturbed) break;
      if (attempt === 1) console.log(`${c.label}: ${disturbed}; discarding this run and measuring again`);
    }
  }
  printReport(results, failures, started);
  if (keepLogs) console.log(`bridge.bench: the bridges' output is kept in ${logDir}`);
}

function printReport(results: SystemResult[], failures: { contender: Contender; reason: string }[], started: number): void {
  const f = results.find((r) => r.contender.kind === 'ficus');
  const debeziums = results.filter((r) => r.contender.kind === 'debezium');
  const w = 30;
  console.log('\n' + '='.repeat(110));
  console.log(`bridge.bench results: PostgreSQL → Kafka, acks=all, idempotent producer, 1 partition; ${config.changes} changes in transactions of ${config.txSize}`);
  console.log(`${'system'.padEnd(w)} ${'max events/s'.padStart(12)} ${'drain'.padStart(8)} ${'paced at'.padStart(10)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)} ${'startup'.padStart(8)}`);
  const row = (label: string, r: SystemResult | undefined, l: Latency | undefined) =>
    console.log(
      `${label.padEnd(w)} ${(r ? fmt(r.maxRate) : '').padStart(12)} ${(r ? `${fmt(r.drainSec, 2)} s` : '').padStart(8)} ${fmt(l?.achieved).padStart(10)} ${ms(l?.p50).padStart(8)} ${ms(l?.p99).padStart(8)} ${ms(l?.max).padStart(8)} ${(r ? `${fmt(r.startupMs / 1000, 1)} s` : '').padStart(8)}`,
    );
  for (const r of results) row(`${r.contender.label}${r.disturbed ? ' (!)' : ''}`, r, r.latency);
  for (const d of debeziums) {
    if (d.latencyAtOther) row(`${d.contender.label} at Ficus's 50 %`, undefined, d.latencyAtOther);
    else if (d.otherSkipped) console.log(`(${d.contender.label} not run at Ficus's 50 % rate: ${d.otherSkipped})`);
  }
  console.log('("paced at" = events/s the paced writer reached at 50 % of the max rate; p50/p99/max = commit → consumer latency)');
  for (const r of results) {
    const c = r.cpu;
    const s = (v: number | undefined) => `${fmt((v ?? NaN) / 1000, 2)} s`;
    const per1k = (v: number | undefined) => (v === undefined ? 'n/a' : `${((v / config.changes) * 1000).toFixed(1)} ms`);
    console.log(
      `${r.contender.label}, CPU during the ${fmt(r.drainSec, 2)} s drain (2 cores = ${fmt(2 * r.drainSec, 1)} CPU-s): bridge ${s(c.bridge)} (${per1k(c.bridge)} per 1k events), ` +
        `walsender ${s(c.walsender)}, Kafka broker ${s(c.broker)}, bench consumer ${s(c.consumer)}; first event ${ms(r.firstEventMs)} after resume; backlog written at ${fmt(r.writerRate)} changes/s`,
    );
  }
  for (const r of results) if (r.disturbed) console.log(`(!) ${r.contender.label}: ${r.disturbed} (twice in a row); its figures are not comparable`);
  for (const { contender, reason } of failures) {
    console.log(contender.kind === 'debezium' ? `NO BASELINE from ${contender.label}: it ${reason}` : `${contender.label} ${reason}`);
  }

  console.log('\ntargets:');
  if (f && debeziums.length > 0) {
    for (const d of debeziums) {
      const ratio = f.maxRate / d.maxRate;
      console.log(`  throughput Ficus / ${d.contender.label} = ${ratio.toFixed(2)}×  (target ≥ ${targets.throughputRatio}×): ${ratio >= targets.throughputRatio ? 'PASS' : 'FAIL'}`);
    }
  } else {
    console.log(`  throughput Ficus / Debezium: not measured (no ${f ? 'Debezium baseline' : 'Ficus figure'} in this run)`);
  }
  if (f?.latency) {
    console.log(`  Ficus p99 at 50 % of its max rate = ${f.latency.p99} ms  (target ≤ ${targets.p99Ms} ms): ${f.latency.p99 <= targets.p99Ms ? 'PASS' : 'FAIL'}`);
  } else {
    console.log('  Ficus p99: not measured');
  }
  for (const r of results) {
    for (const l of [r.latency, r.latencyAtOther]) {
      if (l && l.achieved < 0.9 * l.rate) {
        console.log(`  note: ${r.contender.label}'s paced writer reached only ${fmt(l.achieved)} of ${fmt(l.rate)} events/s (latest start ${Math.round(l.maxLateMs)} ms late)`);
      }
    }
  }
  if (f?.profile) {
    console.log('\nFicus bridge CPU profile (whole process lifetime, node --cpu-prof):');
    for (const line of f.profile) console.log(`  ${line}`);
  }
  console.log('\nconfigurations:');
  for (const r of results) {
    console.log(`  ${r.contender.label}:`);
    for (const line of r.description) console.log(`    ${line}`);
  }
  console.log(`\nbridge.bench: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

try {
  await main();
} catch (err) {
  // After SIGINT/SIGTERM the cleanup closes connections under the running phase: not a failure.
  if (!interrupted) {
    console.error(`bridge.bench: did not complete: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
} finally {
  await cleanUpAll();
}
