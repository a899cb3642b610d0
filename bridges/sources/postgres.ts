/**
 * The PostgreSQL source: logical replication with the built-in `pgoutput` plugin, read over the
 * streaming replication protocol (a `replication=database` connection, `START_REPLICATION ...
 * LOGICAL`, proto_version 1), decoded by ./pgoutput.ts, values converted by ./postgres-types.ts.
 * It owns the publication and the replication slot (created when missing, reused when present),
 * the initial snapshot, flow control and acknowledgement. A small client on pg's Connection
 * rather than pg-logical-replication, whose timer confirms the last *received* LSN even with
 * auto-ack off, which would release changes no sink has yet.
 *
 * Delivery and acknowledgement. Each source transaction becomes one ChangeBatch, delivered
 * alone: while `onBatch` is pending the socket is paused, so the server stops sending once the
 * kernel buffers fill. In memory at any time: the batch being delivered, plus at most one socket
 * read (64 KiB) of undecoded messages that arrived with its commit. A transaction of more than
 * `maxBatchChanges` changes is split into several batches with the same txId; only the last
 * carries the commit checkpoint, the earlier ones repeat the previous checkpoint (so storing
 * or acking them moves nothing). The checkpoint is the commit's end LSN (`0/16B3748`). The
 * server hears, as written/flushed/applied, only the highest LSN given to `ack()` (0/0, which it
 * ignores, until the first ack) — except when the source is idle (everything it received is
 * delivered and acked): then the position of the server's last keepalive is confirmed, so WAL
 * written for other tables is released and a server shutdown does not wait on the slot forever.
 * Status updates go out every `keepaliveMs`, whenever the server asks, and on each ack, so
 * `wal_sender_timeout` never ends an idle or paused stream.
 *
 * Positions. `position` is `<commit LSN>:<txOrder>` (the commit LSN is the one in Begin/Commit,
 * so split batches and re-deliveries agree), `txId` the xid, `commitTimeMs` the commit timestamp.
 * Snapshot rows: `snapshot:<consistent point>:<schema>.<table>:<row index in primary key order>`,
 * `txId` `snapshot:<consistent point>`, commit time = when the snapshot was taken.
 *
 * `before`, by REPLICA IDENTITY (what pgoutput sends; https://www.postgresql.org/docs/15/sql-altertable.html#SQL-ALTERTABLE-REPLICA-IDENTITY):
 * - DEFAULT (the primary key) and USING INDEX: updates have `before: null` unless a key column
 *   changed (or a key value is stored out of line), then `before` holds only the key columns;
 *   deletes have `before` = the key columns only.
 * - FULL: updates and deletes have `before` = the whole old row.
 * - NOTHING: refused by `describe()`/`start()` (SourceNotReadyError): once such a table is in a
 *   publication, PostgreSQL rejects UPDATE and DELETE on it, which would break the application.
 * Inserts and snapshot reads have `before: null`. `key` is the primary key columns, from `after`
 * (from `before` for deletes); under USING INDEX on other columns a delete's `key` is the index
 * columns. Tables without a primary key are refused (UnknownTableError), even with REPLICA
 * IDENTITY FULL: events need a key for their Kafka key, subject and per-key order.
 * Unchanged values stored out of line (TOAST) are not sent by the server: the column is omitted
 * from `after`, except under FULL, where it is taken from `before`. Truncate emits nothing (a
 * warning is logged). Generated columns are not replicated by PostgreSQL 15 and not described.
 *
 * Starting, by snapshot mode, checkpoint and slot:
 * | mode | checkpoint | slot | what happens |
 * | --- | --- | --- | --- |
 * | initial, when_needed | none | missing | create the slot exporting a snapshot, read every table in it (op `r`), stream from the slot's consistent point |
 * | initial, when_needed | none | present | drop the slot (an exported snapshot only exists at creation), then as above |
 * | any | an LSN | present | stream from the checkpoint (or the slot's confirmed_flush_lsn, if later) |
 * | when_needed | an LSN | missing | create the slot with a snapshot, as the first row |
 * | initial, never | an LSN | missing | CheckpointError: the changes since the checkpoint are gone |
 * | never | none | missing / present | create the slot without a snapshot / stream from its confirmed_flush_lsn |
 * Snapshot chunks before the last carry the checkpoint `snapshot-incomplete:<LSN>`, which
 * `start()` treats as no checkpoint: a crash mid-snapshot redoes the snapshot with a new slot, so
 * rows arrive again under new positions (at-least-once; consumers deduplicate on the key).
 *
 * Not handled: tables added to the config later are added to the publication and streamed from
 * then on, without a snapshot of their existing rows; a slot whose database sees no changes to
 * captured tables is never advanced, so it retains WAL written for other tables until one does.
 */
import type { Duplex } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { isFicusError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ChangeBatch, ColumnInfo, Row, RowChange, Source, SourceStart, TableInfo } from '../change.js';
import { CheckpointError, SourceConnectionError, SourceNotReadyError, SourceUsageError, UnknownTableError } from '../errors.js';
import {
  decodePgOutput,
  decodeStreamMessage,
  encodeStatusUpdate,
  formatLsn,
  parseLsn,
  PgOutputFormatError,
  UNCHANGED_TOAST,
  type Lsn,
  type PgOutputMessage,
  type RelationColumn,
  type TupleValue,
} from './pgoutput.js';
import {
  converterFor,
  jsonSchemaFor,
  nullable,
  outputSettings,
  type TypeDefinition,
  type TypeRegistry,
  type ValueConverter,
} from './postgres-types.js';

/** Options of {@link createPostgresSource}. */
export interface PostgresSourceOptions {
  /** `postgres://user@host:port/database`; the role needs REPLICATION and ownership of the tables. */
  url: string;
  /** `schema.table`, or `table` for `public.table`; matched as stored in the catalog (case-sensitive). */
  tables: readonly string[];
  /** Replication slot name: lower-case letters, digits and `_`, at most 63. */
  slot: string;
  /** Publication name; created for the tables when missing, extended when one is not in it. */
  publication: string;
  logger?: Logger;
  /** How often to send a standby status update, ms. */
  keepaliveMs?: number;
  /** Rows per snapshot batch. */
  snapshotChunkRows?: number;
  /** Changes per batch at most; bigger transactions are split (same txId, see the module header). */
  maxBatchChanges?: number;
  /** How long `stop()` waits for the server to end the stream cleanly before closing the socket, ms. */
  stopTimeoutMs?: number;
}

/** Defaults of the optional {@link PostgresSourceOptions}. */
export const postgresSourceDefaults = Object.freeze({
  keepaliveMs: 10_000,
  snapshotChunkRows: 1000,
  maxBatchChanges: 10_000,
  stopTimeoutMs: 5000,
});

/** What the source holds in memory now, for metrics and for tests of its flow control. */
export interface PostgresSourceStats {
  /** Decoded changes held: the transaction being assembled plus the batch being delivered. */
  bufferedChanges: number;
  /** Replication messages received but not yet decoded (they wait for the current delivery). */
  queuedMessages: number;
  queuedBytes: number;
  /** Highest `queuedBytes` seen since the source was created. */
  maxQueuedBytes: number;
  /** Highest `bufferedChanges` seen since the source was created. */
  maxBufferedChanges: number;
  /** The replication socket is paused because a batch is being delivered. */
  paused: boolean;
  /** Highest LSN given to `ack()`, or null. */
  ackedLsn: string | null;
}

/** A PostgreSQL {@link Source}, with a view of its buffers. */
export interface PostgresSource extends Source {
  readonly kind: 'postgres';
  stats(): PostgresSourceStats;
}

/** Checkpoint prefix of snapshot chunks before the last: resuming from it means "snapshot again". */
const INCOMPLETE_SNAPSHOT = 'snapshot-incomplete:';

interface TableName {
  schema: string;
  table: string;
}

interface CapturedColumn {
  name: string;
  /** format_type(), e.g. `numeric(20,8)`. */
  type: string;
  typeOid: number;
  typeMod: number;
  nullable: boolean;
}

interface CapturedTable extends TableName {
  oid: number;
  primaryKey: string[];
  replicaIdentity: string;
  columns: CapturedColumn[];
}

interface ResolvedOptions {
  url: string;
  tables: readonly TableName[];
  slot: string;
  publication: string;
  keepaliveMs: number;
  snapshotChunkRows: number;
  maxBatchChanges: number;
  stopTimeoutMs: number;
  /** `host:port/database`, for messages (never the password). */
  where: string;
  database: string;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function qualified(t: TableName): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new SourceUsageError(`postgres source: ${name} must be a positive integer (got ${JSON.stringify(value)})`);
  }
  return value;
}

function resolveOptions(options: PostgresSourceOptions): ResolvedOptions {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new SourceUsageError('postgres source: url is not a URL (expected postgres://user@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new SourceUsageError(`postgres source: url must start with postgres:// (got ${url.protocol}//)`);
  }
  if (!/^[a-z0-9_]{1,63}$/.test(options.slot)) {
    throw new SourceUsageError(`postgres source: slot must be 1-63 of [a-z0-9_] (got ${JSON.stringify(options.slot)})`);
  }
  if (options.publication.length === 0 || Buffer.byteLength(options.publication) > 63) {
    throw new SourceUsageError(`postgres source: publication must be 1-63 bytes (got ${JSON.stringify(options.publication)})`);
  }
  if (options.tables.length === 0) throw new SourceUsageError('postgres source: tables is empty');
  const tables = options.tables.map((name): TableName => {
    const parts = name.split('.');
    if (parts.length > 2 || parts.some((p) => p.length === 0)) {
      throw new SourceUsageError(`postgres source: table ${JSON.stringify(name)} is not \`schema.table\` or \`table\``);
    }
    return parts.length === 2 ? { schema: parts[0]!, table: parts[1]! } : { schema: 'public', table: parts[0]! };
  });
  const database = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres';
  return Object.freeze({
    url: options.url,
    tables: Object.freeze(tables),
    slot: options.slot,
    publication: options.publication,
    keepaliveMs: positiveInteger('keepaliveMs', options.keepaliveMs, postgresSourceDefaults.keepaliveMs),
    snapshotChunkRows: positiveInteger('snapshotChunkRows', options.snapshotChunkRows, postgresSourceDefaults.snapshotChunkRows),
    maxBatchChanges: positiveInteger('maxBatchChanges', options.maxBatchChanges, postgresSourceDefaults.maxBatchChanges),
    stopTimeoutMs: positiveInteger('stopTimeoutMs', options.stopTimeoutMs, postgresSourceDefaults.stopTimeoutMs),
    where: `${url.hostname || 'localhost'}:${url.port || '5432'}/${database}`,
    database,
  });
}

/**
 * The boundary with pg: its errors become bridge errors. DatabaseError carries the SQLSTATE
 * (https://www.postgresql.org/docs/15/errcodes-appendix.html); anything else is a network error.
 */
function translatePgError(err: unknown, doing: string, where: string): Error {
  if (isFicusError(err)) return err;
  if (err instanceof pg.DatabaseError) {
    const message = `${doing} on ${where}: ${err.message} (SQLSTATE ${err.code ?? '?'})`;
    switch (err.code) {
      case '42501': // insufficient_privilege: no REPLICATION, not the table owner, ...
      case '55000': // object_not_in_prerequisite_state: wal_level, ...
      case '42704': // undefined_object: e.g. the publication is not visible at the slot's position
        return new SourceNotReadyError(message);
      default:
        // 55006 (slot in use), 53300 (max_wal_senders), 57P01 (shutdown), 28xxx (auth), ...
        return new SourceConnectionError(message, err);
    }
  }
  if (err instanceof PgOutputFormatError) {
    return new SourceConnectionError(`${doing} on ${where}: ${err.message}`, err);
  }
  const reason = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
  return new SourceConnectionError(`${doing} on ${where}: ${reason}`, err);
}

/** A connected client with the output settings the value conversions rely on. */
async function connect(options: ResolvedOptions, replication: boolean): Promise<pg.Client> {
  const config: pg.ClientConfig & { replication?: string } = {
    connectionString: options.url,
    fallback_application_name: 'ficus',
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
  };
  if (replication) config.replication = 'database';
  const client = new pg.Client(config);
  // An 'error' event must never crash the process: failures surface through the query that hit
  // them, or through the handlers the replication stream adds.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const settings = Object.entries(outputSettings).map(([name, value]) => `SET ${name} = '${value}'`);
    await client.query(settings.join('; '));
  } catch (err) {
    await client.end().catch(() => undefined);
    throw translatePgError(err, replication ? 'opening a replication connection' : 'connecting', options.where);
  }
  return client;
}

/** Runs `fn` with a fresh connection, translating pg errors. */
async function withClient<T>(options: ResolvedOptions, doing: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(options, false);
  try {
    return await fn(client);
  } catch (err) {
    throw translatePgError(err, doing, options.where);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkWalLevel(client: pg.Client, where: string): Promise<void> {
  const { rows } = await client.query<{ wal_level: string }>("SELECT current_setting('wal_level') AS wal_level");
  const level = rows[0]?.wal_level;
  if (level !== 'logical') {
    throw new SourceNotReadyError(
      `${where}: wal_level is ${JSON.stringify(level)}, logical replication needs wal_level = logical (ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL)`,
    );
  }
}

/** Reads the configured tables from the catalog, refusing what cannot be captured. */
async function loadTables(client: pg.Client, names: readonly TableName[]): Promise<CapturedTable[]> {
  const tables: CapturedTable[] = [];
  for (const name of names) {
    const label = `${name.schema}.${name.table}`;
    const rel = await client.query<{ oid: number; relkind: string; relreplident: string }>(
      `SELECT c.oid::int8::float8 AS oid, c.relkind, c.relreplident
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2`,
      [name.schema, name.table],
    );
    const row = rel.rows[0];
    if (row === undefined) throw new UnknownTableError(label, 'does not exist (names are case-sensitive: as stored in pg_class)');
    if (row.relkind !== 'r') {
      throw new UnknownTableError(label, `is not a plain table (relkind ${row.relkind}); views and partitioned tables cannot be captured`);
    }
    const cols = await client.query<{ name: string; type: string; oid: number; typmod: number; nullable: boolean }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.atttypid::int8::float8 AS oid,
              a.atttypmod AS typmod, NOT a.attnotnull AS nullable
         FROM pg_attribute a
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        ORDER BY a.attnum`,
      [row.oid],
    );
    const pk = await client.query<{ name: string }>(
      `SELECT a.attname AS name
         FROM pg_index i
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = $1 AND i.indisprimary
        ORDER BY k.ord`,
      [row.oid],
    );
    if (pk.rows.length === 0) {
      throw new UnknownTableError(label, 'has no primary key; events need one for their key and subject (ALTER TABLE ... ADD PRIMARY KEY)');
    }
    if (row.relreplident === 'n') {
      throw new SourceNotReadyError(
        `table ${label} has REPLICA IDENTITY NOTHING: in a publication, PostgreSQL would reject every UPDATE and DELETE on it (ALTER TABLE ${qualified(name)} REPLICA IDENTITY DEFAULT)`,
      );
    }
    tables.push({
      ...name,
      oid: row.oid,
      primaryKey: pk.rows.map((r) => r.name),
      replicaIdentity: row.relreplident,
      columns: cols.rows.map((c) => ({ name: c.name, type: c.type, typeOid: c.oid, typeMod: c.typmod, nullable: c.nullable })),
    });
  }
  return tables;
}

/** Domains and arrays among the column types, resolved down to built-in types. */
async function loadTypes(client: pg.Client, tables: readonly CapturedTable[]): Promise<TypeRegistry> {
  const registry = new Map<number, TypeDefinition>();
  const seen = new Set<number>();
  let pending = [...new Set(tables.flatMap((t) => t.columns.map((c) => c.typeOid)))];
  while (pending.length > 0) {
    for (const oid of pending) seen.add(oid);
    const { rows } = await client.query<{ oid: number; typtype: string; base: number; elem: number; category: string }>(
      `SELECT oid::int8::float8 AS oid, typtype, typbasetype::int8::float8 AS base, typelem::int8::float8 AS elem, typcategory AS category
         FROM pg_type WHERE oid = ANY($1::oid[])`,
      [pending],
    );
    const next: number[] = [];
    for (const t of rows) {
      if (t.typtype === 'd') {
        registry.set(t.oid, { kind: 'domain', baseOid: t.base });
        next.push(t.base);
      } else if (t.category === 'A' && t.elem !== 0) {
        registry.set(t.oid, { kind: 'array', elementOid: t.elem });
        next.push(t.elem);
      }
    }
    pending = [...new Set(next)].filter((oid) => !seen.has(oid));
  }
  return registry;
}

function toTableInfo(t: CapturedTable, registry: TypeRegistry): TableInfo {
  const columns: ColumnInfo[] = t.columns.map((c) => {
    const schema = jsonSchemaFor(c.typeOid, c.typeMod, registry);
    return { name: c.name, type: c.type, nullable: c.nullable, jsonSchema: c.nullable ? nullable(schema) : schema };
  });
  return { schema: t.schema, table: t.table, primaryKey: [...t.primaryKey], columns };
}

/** Creates the publication, or adds the configured tables it lacks. */
async function ensurePublication(client: pg.Client, options: ResolvedOptions, tables: readonly CapturedTable[], log: Logger): Promise<void> {
  const pub = await client.query<{ puballtables: boolean; pubinsert: boolean; pubupdate: boolean; pubdelete: boolean }>(
    'SELECT puballtables, pubinsert, pubupdate, pubdelete FROM pg_publication WHERE pubname = $1',
    [options.publication],
  );
  const existing = pub.rows[0];
  if (existing === undefined) {
    try {
      await client.query(`CREATE PUBLICATION ${quoteIdent(options.publication)} FOR TABLE ${tables.map(qualified).join(', ')}`);
      log.info({ publication: options.publication }, 'created publication');
      return;
    } catch (err) {
      // Another process created it between our look and our CREATE: check it like any other.
      if (!(err instanceof pg.DatabaseError && err.code === '42710')) throw err;
      return ensurePublication(client, options, tables, log);
    }
  }
  if (!existing.pubinsert || !existing.pubupdate || !existing.pubdelete) {
    log.warn({ publication: options.publication, ...existing }, 'publication does not publish every operation; those not published will not be captured');
  }
  if (existing.puballtables) return;
  const { rows } = await client.query<{ schemaname: string; tablename: string }>(
    'SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1',
    [options.publication],
  );
  const covered = new Set(rows.map((r) => `${r.schemaname}.${r.tablename}`));
  const missing = tables.filter((t) => !covered.has(`${t.schema}.${t.table}`));
  if (missing.length > 0) {
    await client.query(`ALTER PUBLICATION ${quoteIdent(options.publication)} ADD TABLE ${missing.map(qualified).join(', ')}`);
    log.info({ publication: options.publication, added: missing.map((t) => `${t.schema}.${t.table}`) }, 'added tables to publication');
  }
}

interface SlotInfo {
  plugin: string | null;
  database: string | null;
  active: boolean;
  activePid: number | null;
  confirmedFlush: Lsn | null;
  walStatus: string | null;
}

async function readSlot(client: pg.Client, slot: string): Promise<SlotInfo | undefined> {
  const { rows } = await client.query<{ s: Record<string, unknown> }>(
    'SELECT to_jsonb(s) AS s FROM pg_replication_slots s WHERE slot_name = $1',
    [slot],
  );
  const s = rows[0]?.s;
  if (s === undefined) return undefined;
  const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const flush = text(s.confirmed_flush_lsn);
  return {
    plugin: text(s.plugin),
    database: text(s.database),
    active: s.active === true,
    activePid: typeof s.active_pid === 'number' ? s.active_pid : null,
    confirmedFlush: flush === null ? null : (parseLsn(flush) ?? null),
    walStatus: text(s.wal_status), // PostgreSQL 13+
  };
}

/**
 * The slot as it is once any previous consumer let go of it: a walsender of a stream just
 * stopped (or of a crashed process, until TCP notices) may hold it for a moment.
 */
async function readSlotWhenFree(client: pg.Client, options: ResolvedOptions): Promise<SlotInfo | undefined> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const slot = await readSlot(client, options.slot);
    if (slot === undefined || !slot.active) return slot;
    if (Date.now() >= deadline) {
      throw new SourceConnectionError(`replication slot ${options.slot} on ${options.where} is in use by PID ${slot.activePid ?? '?'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** pg's Connection as a replication stream uses it: CopyData in and out, the raw socket. */
interface ReplicationConnection {
  readonly stream: Duplex;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  on(event: 'copyData', listener: (message: { chunk?: unknown }) => void): unknown;
  once(event: 'replicationStart', listener: () => void): unknown;
}

/** pg does not type these (they are what its COPY FROM support uses); check they are there. */
function replicationConnection(client: pg.Client): ReplicationConnection {
  const connection = (client as unknown as { connection?: Partial<ReplicationConnection> }).connection;
  if (
    connection === undefined ||
    typeof connection.sendCopyFromChunk !== 'function' ||
    typeof connection.endCopyFrom !== 'function' ||
    typeof connection.stream?.pause !== 'function'
  ) {
    throw new SourceUsageError('postgres source: this version of pg has no Connection.sendCopyFromChunk/endCopyFrom; pg 8 is required');
  }
  return connection as ReplicationConnection;
}

/** A captured table as the stream sees it, from the latest Relation message. */
interface StreamRelation {
  schema: string;
  table: string;
  columns: RelationColumn[];
  converters: ValueConverter[];
  /** null when the table is not one of ours (a shared publication): its changes are skipped. */
  captured: CapturedTable | null;
}

interface OpenTransaction {
  xid: string;
  commitLsn: string;
  commitTimeMs: number;
  changes: RowChange[];
  nextOrder: number;
  /** Some of its changes were already delivered in an earlier batch. */
  split: boolean;
}

interface StreamDeps {
  options: ResolvedOptions;
  log: Logger;
  tables: ReadonlyMap<string, CapturedTable>;
  registry: TypeRegistry;
  onBatch: (batch: ChangeBatch) => Promise<void>;
  /** Called once when the stream fails; not called after `close()`. */
  onFailure: (err: Error) => void;
  ackedLsn: () => Lsn;
  stats: PostgresSourceStats;
  /** Records the last decoded LSN for `status()`. */
  received: (lsn: Lsn) => void;
}

/**
 * One run of the source, from `start()` to `stop()` or failure: the connections, the snapshot,
 * and the replication stream with its flow control.
 */
class ReplicationRun {
  private readonly relations = new Map<number, StreamRelation>();
  private readonly queue: Buffer[] = [];
  private tx: OpenTransaction | null = null;
  private delivering = false;
  private deliveringChanges = 0;
  private paused = false;
  private closed = false;
  private streaming = false;
  private timer: NodeJS.Timeout | undefined;
  private replicationQuery: Promise<unknown> | undefined;
  /** The checkpoint of the last complete transaction delivered (or where streaming started). */
  private lastCheckpoint = '0/0';
  /** Highest keepalive position seen while idle (see `noteKeepalive`). */
  private idleLsn: Lsn = 0n;
  private connection: ReplicationConnection | undefined;
  private skippedTables = new Set<string>();

  constructor(
    private readonly deps: StreamDeps,
    private readonly replication: pg.Client,
    private admin: pg.Client | null,
  ) {
    const lost = (err?: Error): void => {
      if (this.closed) return;
      const reason = err === undefined ? 'closed by the server' : ((err as NodeJS.ErrnoException).code ?? err.message);
      this.fail(new SourceConnectionError(`replication connection to ${deps.options.where} lost: ${reason}`, err));
    };
    replication.on('error', lost);
    replication.on('end', () => lost());
    admin?.on('error', (err) => {
      if (!this.closed) this.fail(translatePgError(err, 'reading the snapshot', deps.options.where));
    });
  }

  /** Reads every table inside the exported snapshot, then streams from its consistent point. */
  async snapshotThenStream(consistentPoint: string, snapshotTimeMs: number): Promise<void> {
    const admin = this.admin;
    if (admin === null) throw new Error('snapshot without a connection');
    const { options } = this.deps;
    const txId = `snapshot:${consistentPoint}`;
    let txOrder = 0;
    let held: RowChange[] | null = null;
    for (const table of this.deps.tables.values()) {
      const converters = table.columns.map((c) => converterFor(c.typeOid, this.deps.registry));
      const columns = table.columns.map((c) => quoteIdent(c.name)).join(', ');
      const order = table.primaryKey.map(quoteIdent).join(', ');
      await admin.query(`DECLARE ficus_snapshot NO SCROLL CURSOR FOR SELECT ${columns} FROM ${qualified(table)} ORDER BY ${order}`);
      let rowIndex = 0;
      for (;;) {
        const result = await admin.query<unknown[]>({
          text: `FETCH FORWARD ${options.snapshotChunkRows} FROM ficus_snapshot`,
          rowMode: 'array',
          // Every value as PostgreSQL's text, converted exactly like pgoutput's.
          types: { getTypeParser: () => (text: string) => text },
        });
        if (this.closed) return;
        if (result.rows.length === 0) break;
        const changes = result.rows.map((values): RowChange => {
          const after: Row = {};
          table.columns.forEach((c, i) => {
            const v = values[i];
            after[c.name] = typeof v === 'string' ? converters[i]!(v) : null;
          });
          const position = `snapshot:${consistentPoint}:${table.schema}.${table.table}:${rowIndex++}`;
          return { op: 'r', schema: table.schema, table: table.table, before: null, after, key: pick(after, table.primaryKey), txId, txOrder: txOrder++, position, commitTimeMs: snapshotTimeMs };
        });
        // Hold one chunk back so the last one can say snapshotDone.
        if (held !== null) await this.deliverAwaited({ changes: held, checkpoint: `${INCOMPLETE_SNAPSHOT}${consistentPoint}`, snapshot: true });
        if (this.closed) return;
        held = changes;
      }
      await admin.query('CLOSE ficus_snapshot');
    }
    await this.deliverAwaited({ changes: held ?? [], checkpoint: consistentPoint, snapshot: true, snapshotDone: true });
    if (this.closed) return;
    await admin.query('COMMIT');
    this.admin = null;
    await admin.end().catch(() => undefined);
    await this.stream(parseLsn(consistentPoint) ?? 0n);
  }

  /** START_REPLICATION from `from`; resolves once the server has switched to CopyBoth. */
  async stream(from: Lsn): Promise<void> {
    if (this.closed) return;
    const { options } = this.deps;
    this.lastCheckpoint = formatLsn(from);
    const connection = replicationConnection(this.replication);
    this.connection = connection;
    connection.on('copyData', (message) => {
      if (Buffer.isBuffer(message.chunk)) this.onCopyData(message.chunk);
    });
    const started = new Promise<void>((resolve) => connection.once('replicationStart', resolve));
    // The option value is a list of identifiers, so the name is quoted inside the literal.
    const publications = quoteIdent(options.publication).replace(/'/g, "''");
    this.replicationQuery = this.replication.query(
      `START_REPLICATION SLOT ${options.slot} LOGICAL ${formatLsn(from)} (proto_version '1', publication_names '${publications}')`,
    );
    const ended = this.replicationQuery.then(
      () => {
        if (!this.closed) this.fail(new SourceConnectionError(`the server ended the replication stream on ${options.where}`));
      },
      (err: unknown) => {
        if (!this.closed) this.fail(translatePgError(err, `streaming from slot ${options.slot}`, options.where));
        throw err;
      },
    );
    await Promise.race([started, ended]);
    if (this.closed) return;
    this.streaming = true;
    this.deps.log.info({ from: formatLsn(from) }, 'streaming changes');
    this.sendStatus();
    this.timer = setInterval(() => this.sendStatus(), options.keepaliveMs);
    this.timer.unref();
  }

  /**
   * Reports the acked LSN as written, flushed and applied (0/0, ignored by the server, before any
   * ack) — or, when the source is idle, the server's position from its last keepalive.
   */
  sendStatus(): void {
    if (!this.streaming || this.closed || this.connection === undefined) return;
    const acked = this.deps.ackedLsn();
    this.connection.sendCopyFromChunk(encodeStatusUpdate(this.idleLsn > acked ? this.idleLsn : acked, Date.now()));
  }

  /**
   * WAL the server has decoded past without sending anything we capture (other tables, vacuum,
   * checkpoints) may be confirmed, or the slot would hold WAL forever and a server shutdown would
   * wait for a confirmation that never comes. Safe only when idle: every message before this
   * keepalive has been processed (none queued, none being delivered, no open transaction) and
   * everything delivered is acked. The walsender only sends a keepalive after all WAL up to its
   * `walEnd` has been sent, so no captured change below `walEnd` can still be on its way.
   */
  private noteKeepalive(walEnd: Lsn): void {
    const last = parseLsn(this.lastCheckpoint) ?? 0n;
    const idle = !this.delivering && this.queue.length === 0 && this.tx === null && this.deps.ackedLsn() >= last;
    if (idle && walEnd > this.idleLsn) this.idleLsn = walEnd;
  }

  private onCopyData(chunk: Buffer): void {
    if (this.closed) return;
    if (chunk[0] === 0x6b /* 'k' */) {
      // Keepalives are answered at once, even while a delivery holds the other messages back.
      try {
        const message = decodeStreamMessage(chunk);
        if (message.kind === 'keepalive') {
          this.noteKeepalive(message.walEnd);
          if (message.replyRequested) this.sendStatus();
        }
      } catch (err) {
        this.fail(translatePgError(err, 'decoding the replication stream', this.deps.options.where));
      }
      return;
    }
    if (this.delivering || this.queue.length > 0) {
      this.queue.push(chunk);
      const stats = this.deps.stats;
      stats.queuedMessages = this.queue.length;
      stats.queuedBytes += chunk.length;
      stats.maxQueuedBytes = Math.max(stats.maxQueuedBytes, stats.queuedBytes);
      return;
    }
    this.process(chunk);
  }

  /** Decodes queued messages until one starts a delivery; resumes reading when none is left. */
  private drain(): void {
    const stats = this.deps.stats;
    while (!this.delivering && !this.closed && this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      stats.queuedMessages = this.queue.length;
      stats.queuedBytes -= chunk.length;
      this.process(chunk);
    }
    if (!this.delivering && !this.closed && this.queue.length === 0) this.setPaused(false);
  }

  private setPaused(paused: boolean): void {
    if (this.connection === undefined || this.paused === paused) return;
    this.paused = paused;
    this.deps.stats.paused = paused;
    if (paused) this.connection.stream.pause();
    else this.connection.stream.resume();
  }

  private process(chunk: Buffer): void {
    try {
      const message = decodeStreamMessage(chunk);
      if (message.kind !== 'xlogdata') return;
      this.deps.received(message.walStart);
      this.handle(decodePgOutput(message.body));
    } catch (err) {
      this.fail(translatePgError(err, 'decoding the replication stream', this.deps.options.where));
    }
  }

  private handle(message: PgOutputMessage): void {
    switch (message.type) {
      case 'begin':
        this.tx = {
          xid: String(message.xid),
          commitLsn: formatLsn(message.finalLsn),
          commitTimeMs: message.commitTimeMs,
          changes: [],
          nextOrder: 0,
          split: false,
        };
        return;
      case 'relation': {
        const captured = this.deps.tables.get(`${message.schema}.${message.table}`) ?? null;
        this.relations.set(message.relationId, {
          schema: message.schema,
          table: message.table,
          columns: message.columns,
          converters: message.columns.map((c) => converterFor(c.typeOid, this.deps.registry)),
          captured,
        });
        return;
      }
      case 'insert':
      case 'update':
      case 'delete':
        this.change(message);
        return;
      case 'truncate': {
        const tables = message.relationIds.map((id) => this.relations.get(id)).filter((r) => r?.captured).map((r) => `${r!.schema}.${r!.table}`);
        if (tables.length > 0) this.deps.log.warn({ tables, xid: this.tx?.xid }, 'TRUNCATE is not captured: no events emitted for the removed rows');
        return;
      }
      case 'commit': {
        const tx = this.tx;
        this.tx = null;
        if (tx === null) throw new PgOutputFormatError('Commit without Begin');
        if (tx.changes.length === 0 && !tx.split) return; // nothing of ours in it
        this.deliver({ changes: tx.changes, checkpoint: formatLsn(message.endLsn) }, true);
        return;
      }
      case 'origin':
      case 'type':
      case 'message':
        return;
    }
  }

  private change(message: Extract<PgOutputMessage, { type: 'insert' | 'update' | 'delete' }>): void {
    const tx = this.tx;
    if (tx === null) throw new PgOutputFormatError(`${message.type} outside a transaction`);
    const rel = this.relations.get(message.relationId);
    if (rel === undefined) throw new PgOutputFormatError(`${message.type} for relation ${message.relationId} before its Relation message`);
    const table = rel.captured;
    if (table === null) {
      const name = `${rel.schema}.${rel.table}`;
      if (!this.skippedTables.has(name)) {
        this.skippedTables.add(name);
        this.deps.log.debug({ table: name }, 'publication carries a table that is not configured; skipping its changes');
      }
      return;
    }
    const row = (tuple: TupleValue[], keyOnly: boolean): Row => {
      if (tuple.length !== rel.columns.length) {
        throw new PgOutputFormatError(`${rel.schema}.${rel.table}: tuple of ${tuple.length} columns, relation has ${rel.columns.length}`);
      }
      const out: Row = {};
      rel.columns.forEach((c, i) => {
        if (keyOnly && !c.isKey) return;
        const v = tuple[i];
        if (v === UNCHANGED_TOAST || v === undefined) return;
        out[c.name] = v === null ? null : rel.converters[i]!(v);
      });
      return out;
    };
    let change: Pick<RowChange, 'op' | 'before' | 'after' | 'key'>;
    if (message.type === 'insert') {
      const after = row(message.newTuple, false);
      change = { op: 'c', before: null, after, key: pick(after, table.primaryKey) };
    } else if (message.type === 'update') {
      const before = message.oldTuple === null ? null : row(message.oldTuple, message.oldKind === 'K');
      const after = row(message.newTuple, false);
      if (message.oldKind === 'O' && before !== null) {
        // REPLICA IDENTITY FULL: the old row has the unchanged out-of-line values the new one lacks.
        for (const c of rel.columns) if (!(c.name in after) && c.name in before) after[c.name] = before[c.name]!;
      }
      change = { op: 'u', before, after, key: pick(after, table.primaryKey, before) };
    } else {
      const before = row(message.oldTuple, message.oldKind === 'K');
      change = { op: 'd', before, after: null, key: pick(before, table.primaryKey) };
    }
    tx.changes.push({
      ...change,
      schema: rel.schema,
      table: rel.table,
      txId: tx.xid,
      txOrder: tx.nextOrder,
      position: `${tx.commitLsn}:${tx.nextOrder}`,
      commitTimeMs: tx.commitTimeMs,
    });
    tx.nextOrder += 1;
    const stats = this.deps.stats;
    stats.bufferedChanges = this.deliveringChanges + tx.changes.length;
    stats.maxBufferedChanges = Math.max(stats.maxBufferedChanges, stats.bufferedChanges);
    if (tx.changes.length >= this.deps.options.maxBatchChanges) {
      const changes = tx.changes;
      tx.changes = [];
      tx.split = true;
      // Not the end of the transaction: resuming from here must replay all of it.
      this.deliver({ changes, checkpoint: this.lastCheckpoint }, false);
    }
  }

  /** Hands a batch to onBatch with the socket paused; decoding resumes once it resolves. */
  private deliver(batch: ChangeBatch, complete: boolean): void {
    this.delivering = true;
    this.deliveringChanges = batch.changes.length;
    this.setPaused(true);
    this.deliverAwaited(batch).then(
      () => {
        if (this.closed) return;
        if (complete) this.lastCheckpoint = batch.checkpoint;
        this.delivering = false;
        this.deliveringChanges = 0;
        this.deps.stats.bufferedChanges = this.tx?.changes.length ?? 0;
        this.drain();
      },
      () => undefined, // deliverAwaited already failed the run
    );
  }

  private async deliverAwaited(batch: ChangeBatch): Promise<void> {
    if (this.closed) return;
    try {
      await this.deps.onBatch(batch);
    } catch (err) {
      // The contract: a rejected onBatch is fatal for the source; report the bridge's own error.
      this.fail(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  /** Tears down without a clean stream end and reports the failure, once. */
  fail(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.teardown();
    void this.replication.end().catch(() => undefined);
    if (this.admin !== null) void this.admin.end().catch(() => undefined);
    this.deps.onFailure(err);
  }

  private teardown(): void {
    clearInterval(this.timer);
    this.queue.length = 0;
    Object.assign(this.deps.stats, { bufferedChanges: 0, queuedMessages: 0, queuedBytes: 0, paused: false });
    this.tx = null;
  }

  /** Ends the stream cleanly (CopyDone, then the server's CopyDone) and closes the connections. */
  async close(): Promise<void> {
    const wasClosed = this.closed;
    this.closed = true;
    this.teardown();
    if (!wasClosed && this.streaming && this.connection !== undefined && this.replicationQuery !== undefined) {
      this.setPaused(false); // the server's CopyDone must be readable
      try {
        this.connection.sendCopyFromChunk(encodeStatusUpdate(this.deps.ackedLsn(), Date.now()));
        this.connection.endCopyFrom();
        let timeout: NodeJS.Timeout | undefined;
        await Promise.race([
          this.replicationQuery.catch(() => undefined),
          new Promise((resolve) => {
            timeout = setTimeout(resolve, this.deps.options.stopTimeoutMs);
          }),
        ]);
        clearTimeout(timeout);
      } catch {
        // The socket is already gone: closing it below is all that is left to do.
      }
    }
    this.setPaused(false);
    await Promise.all([this.replication.end().catch(() => undefined), this.admin?.end().catch(() => undefined)]);
    this.admin = null;
  }
}

/** The primary key of a row (`fallback` supplies key values an update's new tuple left out). */
function pick(row: Row, primaryKey: readonly string[], fallback?: Row | null): Row {
  const key: Row = {};
  for (const name of primaryKey) {
    const value = name in row ? row[name] : fallback?.[name];
    if (value === undefined) return { ...row }; // replica identity on other columns: the identity is the key
    key[name] = value;
  }
  return key;
}

type State = 'idle' | 'starting' | 'running' | 'failed' | 'stopping';

/** Allowed lifecycle moves; anything else is a misuse of the Source contract. */
const transitions: Readonly<Record<State, readonly State[]>> = Object.freeze({
  idle: ['starting'],
  starting: ['running', 'idle'],
  running: ['stopping', 'failed'],
  failed: ['stopping', 'starting'],
  stopping: ['idle'],
});

/**
 * A PostgreSQL change data capture source over logical replication (pgoutput). See the module
 * header for what it delivers, when it snapshots, and what it acknowledges.
 */
export function createPostgresSource(options: PostgresSourceOptions): PostgresSource {
  const config = resolveOptions(options);
  const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'postgres-source', slot: config.slot });
  const stats: PostgresSourceStats = {
    bufferedChanges: 0,
    queuedMessages: 0,
    queuedBytes: 0,
    maxQueuedBytes: 0,
    maxBufferedChanges: 0,
    paused: false,
    ackedLsn: null,
  };
  let state: State = 'idle';
  let run: ReplicationRun | null = null;
  let ackedLsn = 0n;
  let lastReceived: Lsn | null = null;
  let stopping: Promise<void> | null = null;
  /** The pending start(), settled (never rejecting), so stop() can wait for it. */
  let starting: Promise<void> | null = null;
  /** A stream failure while start() was still running: start() rejects with it. */
  let startFailure: Error | null = null;

  const moveTo = (next: State): void => {
    if (!transitions[state].includes(next)) {
      throw new SourceUsageError(`postgres source: cannot go from ${state} to ${next} (start() while started, or stop() not awaited?)`);
    }
    state = next;
  };

  async function open(start: SourceStart): Promise<void> {
    let checkpoint: Lsn | null = null;
    if (start.checkpoint !== null && !start.checkpoint.startsWith(INCOMPLETE_SNAPSHOT)) {
      checkpoint = parseLsn(start.checkpoint) ?? null;
      if (checkpoint === null) {
        throw new CheckpointError(`postgres source: checkpoint ${JSON.stringify(start.checkpoint)} is not a PostgreSQL LSN (written by another source kind?)`);
      }
    }
    const admin = await connect(config, false);
    let replication: pg.Client | null = null;
    let handedOver = false;
    try {
      await checkWalLevel(admin, config.where);
      const tables = await loadTables(admin, config.tables);
      const registry = await loadTypes(admin, tables);
      await ensurePublication(admin, config, tables, log);
      let slot = await readSlotWhenFree(admin, config);
      if (slot !== undefined && (slot.plugin !== 'pgoutput' || slot.database !== config.database)) {
        throw new SourceNotReadyError(
          `replication slot ${config.slot} exists for plugin ${slot.plugin ?? '(physical)'} on database ${slot.database ?? '-'}, not pgoutput on ${config.database}: choose another slot name`,
        );
      }
      if (slot?.walStatus === 'lost') {
        throw new CheckpointError(`replication slot ${config.slot} on ${config.where} has lost required WAL (wal_status lost): drop it and take a new snapshot`);
      }
      let snapshot = start.snapshot !== 'never' && checkpoint === null;
      if (checkpoint !== null && slot === undefined) {
        if (start.snapshot !== 'when_needed') {
          throw new CheckpointError(
            `replication slot ${config.slot} is missing on ${config.where}, so changes after checkpoint ${formatLsn(checkpoint)} are gone; use snapshot: when_needed or reset the bridge`,
          );
        }
        log.warn({ checkpoint: formatLsn(checkpoint) }, 'replication slot missing: taking a new snapshot');
        snapshot = true;
      }
      if (snapshot && slot !== undefined) {
        // An exported snapshot exists only as the slot is created; the slot's old position is of no use.
        log.warn('dropping the existing replication slot to take a snapshot consistent with a new one');
        await admin.query('SELECT pg_drop_replication_slot($1)', [config.slot]);
        slot = undefined;
      }

      replication = await connect(config, true);
      const deps: StreamDeps = {
        options: config,
        log,
        tables: new Map(tables.map((t) => [`${t.schema}.${t.table}`, t])),
        registry,
        onBatch: start.onBatch,
        onFailure: (err) => {
          if (state === 'starting') {
            startFailure ??= err;
            return;
          }
          if (state !== 'running') return;
          log.warn({ err: err.message, code: (err as { code?: string }).code }, 'postgres source failed');
          moveTo('failed');
          run = null;
          start.onError(err);
        },
        ackedLsn: () => ackedLsn,
        stats,
        received: (lsn) => {
          if (lastReceived === null || lsn > lastReceived) lastReceived = lsn;
        },
      };

      if (snapshot) {
        const created = await replication.query<{ consistent_point: string; snapshot_name: string }>(
          `CREATE_REPLICATION_SLOT ${config.slot} LOGICAL pgoutput EXPORT_SNAPSHOT`,
        );
        const { consistent_point: consistentPoint, snapshot_name: snapshotName } = created.rows[0]!;
        log.info({ consistentPoint }, 'created replication slot; taking the initial snapshot');
        // The exported snapshot lives until the replication connection runs its next command:
        // import it first, then the replication connection waits until the snapshot is read.
        await admin.query(`SET idle_in_transaction_session_timeout = 0; SET statement_timeout = 0;
          BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`);
        await admin.query(`SET TRANSACTION SNAPSHOT '${snapshotName.replace(/'/g, "''")}'`);
        const now = await admin.query<{ ms: number }>('SELECT floor(extract(epoch FROM now()) * 1000)::float8 AS ms');
        const r = new ReplicationRun(deps, replication, admin);
        run = r;
        handedOver = true;
        void r.snapshotThenStream(consistentPoint, now.rows[0]!.ms).catch((err: unknown) => {
          r.fail(translatePgError(err, 'taking the snapshot', config.where));
        });
        return;
      }

      let from: Lsn;
      if (slot === undefined) {
        const created = await replication.query<{ consistent_point: string }>(`CREATE_REPLICATION_SLOT ${config.slot} LOGICAL pgoutput NOEXPORT_SNAPSHOT`);
        from = parseLsn(created.rows[0]!.consistent_point) ?? 0n;
        log.info({ from: formatLsn(from) }, 'created replication slot without a snapshot');
      } else {
        const confirmed = slot.confirmedFlush ?? 0n;
        if (checkpoint !== null && confirmed > checkpoint) {
          log.warn(
            { checkpoint: formatLsn(checkpoint), confirmedFlush: formatLsn(confirmed) },
            'the slot was confirmed beyond the checkpoint by another consumer: changes in between are not delivered again',
          );
        }
        from = checkpoint !== null && checkpoint > confirmed ? checkpoint : confirmed;
      }
      await admin.end().catch(() => undefined);
      const r = new ReplicationRun(deps, replication, null);
      run = r;
      handedOver = true;
      try {
        await r.stream(from);
      } catch (err) {
        r.fail(translatePgError(err, `streaming from slot ${config.slot}`, config.where)); // start() rethrows it
      }
    } finally {
      if (!handedOver) {
        await Promise.all([admin.end().catch(() => undefined), replication?.end().catch(() => undefined)]);
      }
    }
  }

  const source: PostgresSource = {
    kind: 'postgres',
    database: config.database,

    async describe(): Promise<TableInfo[]> {
      return withClient(config, 'describing tables', async (client) => {
        await checkWalLevel(client, config.where);
        const tables = await loadTables(client, config.tables);
        const registry = await loadTypes(client, tables);
        return tables.map((t) => toTableInfo(t, registry));
      });
    },

    async start(start: SourceStart): Promise<void> {
      moveTo('starting');
      const attempt = (async () => {
        startFailure = null;
        try {
          await open(start);
          if (startFailure !== null) throw startFailure;
        } catch (err) {
          await run?.close();
          run = null;
          moveTo('idle');
          throw err === startFailure ? err : translatePgError(err, 'starting', config.where);
        }
        moveTo('running');
      })();
      starting = attempt.catch(() => undefined);
      try {
        await attempt;
      } finally {
        starting = null;
      }
    },

    async ack(checkpoint: string): Promise<void> {
      if (checkpoint.startsWith(INCOMPLETE_SNAPSHOT)) return;
      const lsn = parseLsn(checkpoint);
      if (lsn === undefined) throw new CheckpointError(`postgres source: cannot ack ${JSON.stringify(checkpoint)}, not a PostgreSQL LSN`);
      if (lsn <= ackedLsn) return;
      ackedLsn = lsn;
      stats.ackedLsn = formatLsn(lsn);
      run?.sendStatus();
    },

    async status() {
      const position = lastReceived === null ? null : formatLsn(lastReceived);
      const lag = await withClient(config, 'reading the slot position', (client) =>
        client.query<{ lag: number | null }>(
          'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 AS lag FROM pg_replication_slots WHERE slot_name = $1',
          [config.slot],
        ),
      );
      const lagBytes = lag.rows[0]?.lag;
      return typeof lagBytes === 'number' ? { position, lagBytes } : { position };
    },

    async stop(): Promise<void> {
      if (starting !== null) await starting; // then stop whatever it started
      if (state === 'idle') return;
      if (stopping !== null) return stopping;
      moveTo('stopping');
      const current = run;
      run = null;
      stopping = (async () => {
        try {
          await current?.close();
        } finally {
          moveTo('idle');
          stopping = null;
        }
      })();
      return stopping;
    },

    stats(): PostgresSourceStats {
      return { ...stats };
    },
  };
  return source;
}
