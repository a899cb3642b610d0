/**
 * The MySQL/MariaDB change data capture source: follows the row-based binlog as a replica would
 * (through @vlasky/zongji, which speaks the replication protocol over mysql2) and turns each
 * committed transaction touching the configured tables into one {@link ChangeBatch}; optionally
 * starts with a consistent snapshot of those tables taken at an exact binlog position, so the
 * snapshot and the stream after it neither miss nor repeat a change.
 *
 * Positions and checkpoints. A checkpoint is the binlog coordinate just after a transaction's
 * commit event, as JSON: `{"file":"mariadb-bin.000003","pos":4567,"gtid":"0-1-42"}` (`gtid`,
 * the committed transaction's GTID, is informational; resuming uses file and position, which
 * every MySQL and MariaDB server supports without GTID mode). Resuming there re-reads nothing
 * that was acknowledged. Each change's `position` is `<file>:<pos>:<txOrder>`, where file:pos is
 * where its transaction starts in the binlog, so a change re-read after a restart has the same
 * position. `txId` is the GTID (`0-1-42` on MariaDB, `uuid:n` on MySQL with GTIDs) or, for
 * anonymous MySQL transactions, `<file>:<pos>` of the transaction start.
 *
 * Backpressure. One transaction is delivered at a time; while `onBatch` is pending the binlog
 * connection is paused (mysql2 `Connection.pause()`, which also parks the packets already read),
 * so memory holds one transaction plus at most a socket buffer. A transaction with more than
 * `maxBatchChanges` changes is delivered in several batches sharing its txId; all but the last
 * carry the checkpoint of the transaction's start (resuming there replays the whole transaction,
 * with the same positions), only the last carries the commit checkpoint.
 *
 * Server requirements, checked by `describe()` and `start()`: `log_bin` on, `binlog_format=ROW`,
 * `binlog_row_image=FULL`, and an account with SELECT on the tables, REPLICATION SLAVE and
 * REPLICATION CLIENT (MariaDB 10.5+: BINLOG MONITOR); snapshots on MySQL (not MariaDB) also need
 * RELOAD for FLUSH TABLES WITH READ LOCK.
 *
 * Schema changes. Column names and types come from zongji's table map: with the server default
 * `binlog_row_metadata` (MariaDB NO_LOG, MySQL MINIMAL) zongji reads them from information_schema
 * when it first meets a table map id, and an ALTER TABLE gives the table a new id, so events
 * after the ALTER carry the new columns. Events read long after an ALTER (resuming from an old
 * checkpoint) are labelled by the current definition, position by position, which is right for
 * columns added at the end and wrong otherwise (a warning is logged when the counts differ);
 * `binlog_row_metadata=FULL` makes every event self-describing and avoids that. MariaDB JSON
 * columns (LONGTEXT with a json_valid check) are found by re-reading the table's definition
 * whenever an event names a column not seen before.
 *
 * Known limits: XA transactions are delivered at XA PREPARE (a later XA ROLLBACK is not undone);
 * TRUNCATE TABLE produces no row events (MySQL logs it as a statement); snapshots are consistent
 * only for transactional (InnoDB) tables.
 */
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import mysql, { type Connection, type ConnectionOptions, type RowDataPacket } from 'mysql2';
import type { Connection as PromiseConnection } from 'mysql2/promise';
import ZongJi, {
  type AnyBinlogEvent,
  type BinlogEventByName,
  type BinlogEventName,
  type TableMapEntry,
} from '@vlasky/zongji';
import { FicusError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import type { ChangeBatch, ColumnInfo, Op, Row, RowChange, Source, SourceStart, TableInfo } from '../change.js';
import { CheckpointError, SourceConnectionError, SourceNotReadyError, UnknownTableError } from '../errors.js';
import { columnTypeOf, jsonSchemaOf, parseValueList, toJsonValue, type ColumnType } from './mysql-types.js';

/** Options of {@link createMysqlSource}. */
export interface MysqlSourceOptions {
  /** `mysql://user:password@host:port/database`; the database is the default for bare table names. */
  url: string;
  /** Tables to capture: `db.table`, or `table` for a table in the url's database. */
  tables: readonly string[];
  /**
   * The replica id this source announces to the server (1..2^32-1). It must differ from the
   * server's own `server_id`, from every real replica, and from every other running source: the
   * server drops an older binlog connection when a new one reuses its id. Default: a random id
   * in 5400..1_005_399, chosen once per source object (so restarts of one source keep it).
   */
  serverId?: number;
  logger?: Logger;
  /** Snapshot rows per batch. Default 1000. */
  snapshotChunkSize?: number;
  /** A transaction with more changes than this is split into several batches. Default 10 000. */
  maxBatchChanges?: number;
  /**
   * The server is asked to send a heartbeat after this long without binlog events
   * (`@master_heartbeat_period`); with nothing at all for three times as long (while not paused
   * for the sink), the connection is taken as dead (a half-open TCP connection sends no error)
   * and reported through `onError`. Default 10 000 ms; 0 turns the watchdog off.
   */
  heartbeatMs?: number;
}

/** Where the binlog is read from. */
interface BinlogPosition {
  file: string;
  pos: number;
}

interface Checkpoint extends BinlogPosition {
  gtid?: string;
  /** Set on all but the last chunk of a snapshot: resuming from it takes the snapshot again. */
  snapshot?: 'in_progress';
}

interface TableRef {
  schema: string;
  table: string;
}

interface ColumnMeta {
  info: ColumnInfo;
  type: ColumnType;
}

interface TableMeta extends TableRef {
  columns: ColumnMeta[];
  primaryKey: string[];
  jsonColumns: Set<string>;
}

/** A row change as read from the binlog, converted to JSON only when delivered. */
interface RawChange {
  op: Op;
  entry: TableMapEntry;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  txOrder: number;
}

/** A transaction (or a chunk of a large one) ready for delivery. */
interface PendingBatch {
  changes: RawChange[];
  txId: string;
  txStart: BinlogPosition;
  checkpoint: Checkpoint;
  commitTimeMs: number | null;
}

/** The transaction being read from the binlog. */
interface OpenTransaction {
  start: BinlogPosition;
  gtid: string | undefined;
  /** Inside BEGIN ... COMMIT (or a MariaDB transactional GTID group): other statements do not end it. */
  explicit: boolean;
  changes: RawChange[];
  nextOrder: number;
  split: boolean;
}

/** One start() ... stop() of the source. */
interface Run {
  readonly start: SourceStart;
  stopped: boolean;
  failed: boolean;
  zongji: ZongJi | null;
  snapshotConnection: Connection | null;
  /** Last binlog coordinate seen (the end of the last event read). */
  file: string;
  pos: number;
  /** Server time of the last transaction event (GTID, BEGIN, commit), epoch ms. */
  lastEventMs: number | null;
  /** Local time anything (events, heartbeats) last arrived, or delivery last resumed. */
  lastActivity: number;
  watchdog: NodeJS.Timeout | null;
  tx: OpenTransaction | null;
  queue: PendingBatch[];
  delivering: boolean;
  opening: { resolve: () => void; reject: (err: Error) => void } | null;
}

type State = 'idle' | 'starting' | 'snapshotting' | 'streaming' | 'stopping';

/** The source's lifecycle; any other move is a bug, reported as such. */
const transitions: Readonly<Record<State, readonly State[]>> = Object.freeze({
  idle: ['starting'],
  // idle: the start failed and was cleaned up.
  starting: ['snapshotting', 'streaming', 'stopping', 'idle'],
  snapshotting: ['streaming', 'stopping'],
  streaming: ['stopping'],
  stopping: ['idle'],
});

const ROW_EVENTS: Readonly<Record<string, Op>> = Object.freeze({ writerows: 'c', updaterows: 'u', deleterows: 'd' });
const OPEN_TIMEOUT_MS = 30_000;
const MISSED_HEARTBEATS = 3;
const STOP_TIMEOUT_MS = 5_000;

/** An error `onBatch` rejected with: passed to `onError` as is, never translated. */
class BatchRejected extends Error {
  constructor(readonly reason: unknown) {
    super('onBatch rejected');
  }
}

function isEvent<N extends BinlogEventName>(event: AnyBinlogEvent, name: N): event is BinlogEventByName<N> {
  return event.getEventName() === name;
}

function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** Connection options every connection of this source uses: exact values, see mysql-types.ts. */
function connectionOptions(url: URL): ConnectionOptions {
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 3306 : Number(url.port),
    user: decodeURIComponent(url.username) || undefined,
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    database: database || undefined,
    charset: 'utf8mb4_unicode_ci',
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    jsonStrings: true,
    timezone: 'Z',
  };
}

function parseTables(tables: readonly string[], database: string): TableRef[] {
  if (tables.length === 0) throw new TypeError('mysql source: `tables` is empty; name at least one table (db.table)');
  const seen = new Set<string>();
  const refs: TableRef[] = [];
  for (const name of tables) {
    const dot = name.indexOf('.');
    const ref = dot < 0 ? { schema: database, table: name } : { schema: name.slice(0, dot), table: name.slice(dot + 1) };
    if (ref.table === '' || ref.schema === '') {
      throw new UnknownTableError(name, 'has no database: write it as db.table, or put the database in the source url');
    }
    const key = `${ref.schema}.${ref.table}`;
    if (!seen.has(key)) refs.push(ref);
    seen.add(key);
  }
  return refs;
}

/** Serialises a checkpoint; keys in a fixed order so equal positions give equal strings. */
function formatCheckpoint(cp: Checkpoint): string {
  const out: Checkpoint = { file: cp.file, pos: cp.pos };
  if (cp.gtid !== undefined) out.gtid = cp.gtid;
  if (cp.snapshot !== undefined) out.snapshot = cp.snapshot;
  return JSON.stringify(out);
}

function parseCheckpoint(text: string): Checkpoint {
  const bad = (): CheckpointError =>
    new CheckpointError(
      `checkpoint ${JSON.stringify(text)} is not a MySQL binlog position (expected {"file":"<binlog file>","pos":<n>})`,
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad();
  }
  if (typeof value !== 'object' || value === null) throw bad();
  const { file, pos, gtid, snapshot } = value as Record<string, unknown>;
  if (typeof file !== 'string' || !/^[\w.-]+$/.test(file)) throw bad();
  if (typeof pos !== 'number' || !Number.isSafeInteger(pos) || pos < 4) throw bad();
  const cp: Checkpoint = { file, pos };
  if (typeof gtid === 'string') cp.gtid = gtid;
  if (snapshot === 'in_progress') cp.snapshot = snapshot;
  return cp;
}

/**
 * mysql2/zongji errors to Ficus errors: the one boundary for this dependency. Decided on the
 * driver's `errno`/`code`, never on message text.
 */
function translateError(err: unknown, doing: string): Error {
  if (err instanceof FicusError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { errno?: unknown; code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const errno = typeof e.errno === 'number' ? e.errno : undefined;
  // ER_MASTER_FATAL_ERROR_READING_BINLOG: the requested file/position is gone or invalid.
  if (errno === 1236) {
    return new CheckpointError(`${doing}: the server cannot stream the binlog from the requested position: ${message}`);
  }
  // ER_SPECIFIC_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_TABLEACCESS_DENIED_ERROR
  if (errno === 1227 || errno === 1044 || errno === 1142) {
    return new SourceNotReadyError(
      `${doing}: the MySQL account lacks a privilege (needs SELECT on the tables, REPLICATION SLAVE, ` +
        `REPLICATION CLIENT / BINLOG MONITOR; RELOAD for MySQL snapshots): ${message}`,
    );
  }
  return new SourceConnectionError(`${doing}: ${message}`, err);
}

/** Creates a MySQL/MariaDB binlog source. See this module's header for positions and limits. */
export function createMysqlSource(options: MysqlSourceOptions): Source {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new TypeError(`mysql source: url ${JSON.stringify(options.url)} is not a URL (mysql://user@host:port/db)`);
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new TypeError(`mysql source: url protocol ${JSON.stringify(url.protocol)} is not mysql:`);
  }
  const connOptions = Object.freeze(connectionOptions(url));
  const refs = parseTables(options.tables, connOptions.database ?? '');
  const serverId = options.serverId ?? 5400 + randomInt(0, 1_000_000);
  if (!Number.isInteger(serverId) || serverId < 1 || serverId > 2 ** 32 - 1) {
    throw new TypeError(`mysql source: serverId ${serverId} is not an integer in 1..4294967295`);
  }
  const chunkSize = options.snapshotChunkSize ?? 1000;
  const maxBatchChanges = options.maxBatchChanges ?? 10_000;
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const where = `${connOptions.host}:${connOptions.port}`;
  const log = (options.logger ?? createLogger({ level: 'silent' })).child({ source: 'mysql', server: where });
  const includeSchema: Record<string, string[]> = {};
  for (const ref of refs) (includeSchema[ref.schema] ??= []).push(ref.table);

  let state: State = 'idle';
  let run: Run | null = null;
  let stopping: Promise<void> | null = null;
  let lastPosition: string | null = null;
  const metaCache = new Map<string, TableMeta>();
  let isMariaDb: boolean | null = null;

  function moveTo(next: State): void {
    if (!transitions[state].includes(next)) throw new Error(`mysql source: cannot go from ${state} to ${next}`);
    state = next;
  }

  // --- queries on short-lived connections ---------------------------------------------------

  async function withConnection<T>(doing: string, fn: (conn: PromiseConnection) => Promise<T>): Promise<T> {
    const conn = mysql.createConnection({ ...connOptions });
    conn.on('error', () => {}); // reported through the query promises below
    const p = conn.promise();
    try {
      return await fn(p);
    } catch (err) {
      throw translateError(err, doing);
    } finally {
      conn.destroy();
    }
  }

  async function checkServer(conn: PromiseConnection): Promise<void> {
    const [rows] = await conn.query<RowDataPacket[]>(
      'SELECT @@log_bin AS log_bin, @@binlog_format AS binlog_format, @@binlog_row_image AS binlog_row_image, ' +
        'VERSION() AS version',
    );
    const vars = rows[0] ?? {};
    isMariaDb = /mariadb/i.test(String(vars.version));
    const prefix = `MySQL source ${where}:`;
    if (String(vars.log_bin) !== '1') {
      throw new SourceNotReadyError(`${prefix} @@log_bin is ${String(vars.log_bin)} (OFF); enable the binary log (log_bin in my.cnf, then restart)`);
    }
    if (String(vars.binlog_format).toUpperCase() !== 'ROW') {
      throw new SourceNotReadyError(`${prefix} @@binlog_format is ${String(vars.binlog_format)}, needs ROW (binlog_format=ROW)`);
    }
    if (String(vars.binlog_row_image).toUpperCase() !== 'FULL') {
      throw new SourceNotReadyError(
        `${prefix} @@binlog_row_image is ${String(vars.binlog_row_image)}, needs FULL (binlog_row_image=FULL)`,
      );
    }
  }

  async function loadTable(conn: PromiseConnection, ref: TableRef): Promise<TableMeta> {
    const name = `${ref.schema}.${ref.table}`;
    const [tables] = await conn.query<RowDataPacket[]>(
      'SELECT TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [ref.schema, ref.table],
    );
    if (tables.length === 0) throw new UnknownTableError(name, `does not exist in ${where}`);
    if (tables[0]!.type !== 'BASE TABLE') {
      throw new UnknownTableError(name, `is a ${String(tables[0]!.type)}, not a table: only tables have binlog rows`);
    }
    const [columns] = await conn.query<RowDataPacket[]>(
      'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS columnType, DATA_TYPE AS dataType, IS_NULLABLE AS nullable ' +
        'FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [ref.schema, ref.table],
    );
    const [keys] = await conn.query<RowDataPacket[]>(
      "SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
      [ref.schema, ref.table],
    );
    if (keys.length === 0) {
      throw new UnknownTableError(name, 'has no primary key: change events need one to key rows (add a PRIMARY KEY)');
    }
    // MariaDB's JSON is LONGTEXT plus a json_valid() check; only the constraint tells them apart.
    const jsonColumns = new Set<string>();
    if (isMariaDb === true) {
      const [checks] = await conn.query<RowDataPacket[]>(
        'SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?',
        [ref.schema, ref.table],
      );
      for (const check of checks) {
        const m = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(check.clause).trim());
        if (m) jsonColumns.add(m[1]!.replace(/``/g, '`'));
      }
    }
    const metas: ColumnMeta[] = columns.map((c) => {
      const colName = String(c.name);
      const isJson = jsonColumns.has(colName) || String(c.dataType).toLowerCase() === 'json';
      const type = columnTypeOf(String(c.columnType), isJson);
      const nullable = c.nullable === 'YES';
      return {
        type,
        info: { name: colName, type: isJson ? 'json' : String(c.columnType), nullable, jsonSchema: jsonSchemaOf(type, nullable) },
      };
    });
    const meta: TableMeta = { ...ref, columns: metas, primaryKey: keys.map((k) => String(k.name)), jsonColumns };
    metaCache.set(name, meta);
    return meta;
  }

  async function describeAll(conn: PromiseConnection): Promise<TableMeta[]> {
    await checkServer(conn);
    let rowMetadata: unknown = null;
    try {
      const [rows] = await conn.query<RowDataPacket[]>('SELECT @@binlog_row_metadata AS v');
      rowMetadata = rows[0]?.v ?? null;
    } catch {
      // Servers before MySQL 8.0 / MariaDB 10.5 have no such variable.
    }
    if (rowMetadata !== null && String(rowMetadata).toUpperCase() !== 'FULL') {
      log.info(
        { binlog_row_metadata: rowMetadata },
        'binlog_row_metadata is not FULL: column names come from information_schema when events are read, ' +
          'so events read long after an ALTER TABLE may be mislabelled; FULL avoids that',
      );
    }
    const metas: TableMeta[] = [];
    for (const ref of refs) metas.push(await loadTable(conn, ref));
    return metas;
  }

  async function binaryLogs(conn: PromiseConnection): Promise<Array<{ name: string; size: number }>> {
    const [rows] = await conn.query<RowDataPacket[]>('SHOW BINARY LOGS');
    return rows.map((r) => ({ name: String(r.Log_name), size: Number(r.File_size) }));
  }

  async function endOfBinlog(conn: PromiseConnection): Promise<BinlogPosition> {
    const logs = await binaryLogs(conn);
    const last = logs[logs.length - 1];
    if (!last) throw new SourceNotReadyError(`MySQL source ${where}: SHOW BINARY LOGS lists no binlog file`);
    return { file: last.name, pos: last.size };
  }

  async function verifyCheckpoint(conn: PromiseConnection, cp: Checkpoint): Promise<void> {
    const logs = await binaryLogs(conn);
    const found = logs.find((l) => l.name === cp.file);
    if (!found) {
      const range = logs.length ? `${logs[0]!.name} .. ${logs[logs.length - 1]!.name}` : 'none';
      throw new CheckpointError(
        `checkpoint binlog file ${cp.file} is not on ${where} (SHOW BINARY LOGS has ${range}): it was purged, ` +
          'or the checkpoint belongs to another server',
      );
    }
    if (cp.pos > found.size) {
      throw new CheckpointError(
        `checkpoint position ${cp.file}:${cp.pos} is past the end of that file (${found.size} bytes) on ${where}`,
      );
    }
  }

  // --- binlog stream ---------------------------------------------------------------------------

  function eventStart(r: Run, event: AnyBinlogEvent): number {
    const length = event.size + 19 + (r.zongji?.useChecksum ? 4 : 0);
    const start = event.nextPosition - length;
    return start >= 4 ? start : r.pos;
  }

  function beginTx(r: Run, start: BinlogPosition, gtid: string | undefined, explicit: boolean): void {
    r.tx = { start, gtid, explicit, changes: [], nextOrder: 0, split: false };
  }

  function txIdOf(tx: OpenTransaction): string {
    return tx.gtid ?? `${tx.start.file}:${tx.start.pos}`;
  }

  function enqueue(r: Run, batch: PendingBatch): void {
    r.queue.push(batch);
    r.zongji?.connection?.pause();
    void drain(r);
  }

  function commitTx(r: Run, event: AnyBinlogEvent): void {
    const tx = r.tx;
    r.tx = null;
    if (!tx) return;
    const checkpoint: Checkpoint = { file: r.file, pos: event.nextPosition };
    if (tx.gtid !== undefined) checkpoint.gtid = tx.gtid;
    if (tx.changes.length === 0 && !tx.split) return;
    enqueue(r, { changes: tx.changes, txId: txIdOf(tx), txStart: tx.start, checkpoint, commitTimeMs: event.timestamp || null });
  }

  function addRows(r: Run, event: AnyBinlogEvent, op: Op): void {
    const rows = (event as { rows?: unknown[] }).rows;
    const tableId = (event as { tableId?: number }).tableId;
    const entry = tableId === undefined ? undefined : r.zongji?.tableMap[tableId];
    if (!rows || !entry) return;
    if (!r.tx) beginTx(r, { file: r.file, pos: eventStart(r, event) }, event.gtid, true);
    const tx = r.tx!;
    for (const row of rows) {
      const image = row as Record<string, unknown>;
      const before = op === 'u' ? (image.before as Record<string, unknown>) : op === 'd' ? image : null;
      const after = op === 'u' ? (image.after as Record<string, unknown>) : op === 'c' ? image : null;
      tx.changes.push({ op, entry, before, after, txOrder: tx.nextOrder++ });
      if (tx.changes.length >= maxBatchChanges) {
        // Resuming from a chunk's checkpoint replays the whole transaction, same positions.
        const checkpoint: Checkpoint = { ...tx.start };
        enqueue(r, { changes: tx.changes, txId: txIdOf(tx), txStart: tx.start, checkpoint, commitTimeMs: null });
        tx.changes = [];
        tx.split = true;
      }
    }
  }

  /**
   * zongji splits an information_schema `enum(...)`/`set(...)` definition on commas, which breaks
   * values containing commas or quotes; give it the properly parsed lists before any row event of
   * this table map is decoded (a table map is emitted before its rows are parsed).
   */
  function fixValueLists(entry: TableMapEntry): void {
    for (const column of entry.columnSchemas) {
      const definition = column.COLUMN_TYPE.trim().toLowerCase();
      if (definition.startsWith('enum(') && !column.ENUM_VALUES) column.ENUM_VALUES = parseValueList(column.COLUMN_TYPE);
      if (definition.startsWith('set(') && !column.SET_VALUES) column.SET_VALUES = parseValueList(column.COLUMN_TYPE);
    }
  }

  function onBinlog(r: Run, event: AnyBinlogEvent): void {
    if (r.stopped || r.failed) return;
    // Belt and braces: never read ahead while a batch waits for the sink.
    if (r.queue.length > 0) r.zongji?.connection?.pause();
    r.lastActivity = Date.now();
    const name = event.getEventName();
    // Heartbeats only say the connection is alive; their position is not an event boundary we track.
    if (name === 'heartbeat') return;
    // Artificial events (rotate, format description at dump start) have no meaningful time.
    if (event.timestamp > 0 && name !== 'format') r.lastEventMs = event.timestamp;
    if (isEvent(event, 'rotate')) {
      r.file = event.binlogName;
      r.pos = Number(event.position);
      if (r.opening) {
        r.opening.resolve();
        r.opening = null;
      }
      return;
    }
    if (isEvent(event, 'mariadbgtid')) {
      beginTx(r, { file: r.file, pos: eventStart(r, event) }, event.gtid, !event.standalone);
    } else if (isEvent(event, 'gtid') || isEvent(event, 'anonymousgtid')) {
      beginTx(r, { file: r.file, pos: eventStart(r, event) }, isEvent(event, 'gtid') ? event.gtid : undefined, false);
    } else if (isEvent(event, 'query')) {
      const statement = event.query.slice(0, 16).trim().toUpperCase();
      if (statement === 'BEGIN' || statement.startsWith('XA START')) {
        if (r.tx) r.tx.explicit = true;
        else beginTx(r, { file: r.file, pos: eventStart(r, event) }, event.gtid, true);
      } else if (
        statement === 'COMMIT' ||
        // Rows before a logged ROLLBACK are non-transactional (MyISAM) changes that did happen.
        statement === 'ROLLBACK' ||
        statement.startsWith('XA COMMIT') ||
        statement.startsWith('XA ROLLBACK')
      ) {
        commitTx(r, event);
      } else if (r.tx && !r.tx.explicit) {
        // A standalone group (DDL): its statement is all there is.
        commitTx(r, event);
      }
    } else if (isEvent(event, 'xid') || isEvent(event, 'xaprepare')) {
      commitTx(r, event);
    } else if (isEvent(event, 'tablemap')) {
      const entry = event.tableMap[event.tableId];
      if (entry) fixValueLists(entry);
    } else if (Object.hasOwn(ROW_EVENTS, name)) {
      addRows(r, event, ROW_EVENTS[name]!);
    }
    if (event.nextPosition > 0) r.pos = event.nextPosition;
    lastPosition = `${r.file}:${r.pos}`;
  }

  function fail(r: Run, err: Error): void {
    if (r.stopped || r.failed) return;
    r.failed = true;
    if (r.watchdog) clearInterval(r.watchdog);
    r.watchdog = null;
    r.zongji?.connection?.pause();
    log.warn({ err: err.message, code: (err as { code?: string }).code }, 'mysql source failed');
    r.start.onError(err);
  }

  async function startStreaming(r: Run, from: BinlogPosition): Promise<void> {
    r.file = from.file;
    r.pos = from.pos;
    lastPosition = `${from.file}:${from.pos}`;
    const zongji = new ZongJi({ ...connOptions });
    r.zongji = zongji;
    zongji.on('binlog', (event: AnyBinlogEvent) => {
      try {
        onBinlog(r, event);
      } catch (err) {
        fail(r, translateError(err, 'reading the binlog'));
      }
    });
    zongji.on('error', (err: Error) => {
      if (r.stopped) return;
      const translated = translateError(err, `binlog stream from ${where}`);
      if (r.opening) {
        r.opening.reject(translated);
        r.opening = null;
      } else {
        fail(r, translated);
      }
    });
    const opened = new Promise<void>((resolve, reject) => {
      r.opening = { resolve, reject };
    });
    const timer = setTimeout(() => {
      r.opening?.reject(new SourceConnectionError(`binlog stream from ${where} did not open within ${OPEN_TIMEOUT_MS} ms`));
      r.opening = null;
    }, OPEN_TIMEOUT_MS);
    zongji.start({ serverId, filename: from.file, position: from.pos, includeSchema });
    if (heartbeatMs > 0) {
      // Queued on the binlog connection before zongji's dump command, so the server applies it to
      // the dump (nanoseconds, as for CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD).
      zongji.connection?.query(`SET @master_heartbeat_period = ${Math.round(heartbeatMs * 1e6)}`, (err: unknown) => {
        if (err) log.debug({ err: (err as Error).message }, 'could not ask for binlog heartbeats');
      });
      r.lastActivity = Date.now();
      r.watchdog = setInterval(() => {
        const waitingForSink = r.queue.length > 0 || r.delivering;
        if (r.opening || waitingForSink || Date.now() - r.lastActivity <= MISSED_HEARTBEATS * heartbeatMs) return;
        fail(r, new SourceConnectionError(`no binlog event or heartbeat from ${where} for ${MISSED_HEARTBEATS * heartbeatMs} ms`));
      }, heartbeatMs);
      r.watchdog.unref();
    }
    try {
      await opened;
    } finally {
      clearTimeout(timer);
    }
    log.info({ file: from.file, pos: from.pos, serverId }, 'streaming the binlog');
  }

  // --- delivery ---------------------------------------------------------------------------------

  /** Table metadata matching an event's table map, reloaded once per new table map with unknown columns. */
  const metaByEntry = new WeakMap<TableMapEntry, TableMeta>();

  async function metaFor(entry: TableMapEntry): Promise<TableMeta> {
    const resolved = metaByEntry.get(entry);
    if (resolved) return resolved;
    const key = `${entry.parentSchema}.${entry.tableName}`;
    const names = (entry.columns ?? []).map((c) => c.name);
    let meta = metaCache.get(key);
    if (!meta || !names.every((n) => meta!.columns.some((c) => c.info.name === n))) {
      // A column we have not seen: the table was altered; its JSON columns and key may have changed.
      const cached = meta;
      meta = await withConnection(`reading the columns of ${key}`, (conn) =>
        loadTable(conn, { schema: entry.parentSchema, table: entry.tableName }),
      ).catch((err: unknown) => {
        if (!cached) throw err;
        log.warn({ table: key, err: (err as Error).message }, 'could not refresh table metadata; using the cached one');
        return cached;
      });
    }
    metaByEntry.set(entry, meta);
    return meta;
  }

  /** Each table map's column types, as zongji decoded them (plus our JSON knowledge). */
  const typesByEntry = new WeakMap<TableMapEntry, ColumnType[]>();

  function typesOf(entry: TableMapEntry, meta: TableMeta): ColumnType[] {
    let types = typesByEntry.get(entry);
    if (types) return types;
    const columns = entry.columns ?? [];
    if (entry.columnSchemas.length !== columns.length) {
      log.warn(
        { table: `${meta.schema}.${meta.table}`, eventColumns: columns.length, currentColumns: entry.columnSchemas.length },
        'binlog event and current table definition differ in column count; names are matched by position',
      );
    }
    types = columns.map((column, i) =>
      columnTypeOf(entry.columnSchemas[i]?.COLUMN_TYPE ?? '', meta.jsonColumns.has(column.name)),
    );
    typesByEntry.set(entry, types);
    return types;
  }

  function convertImage(entry: TableMapEntry, meta: TableMeta, image: Record<string, unknown>): Row {
    const types = typesOf(entry, meta);
    const row: Row = {};
    (entry.columns ?? []).forEach((column, i) => {
      row[column.name] = toJsonValue(types[i]!, image[column.name]);
    });
    return row;
  }

  function keyOf(meta: TableMeta, row: Row): Row {
    const key: Row = {};
    for (const name of meta.primaryKey) key[name] = row[name] ?? null;
    return key;
  }

  async function toBatch(pending: PendingBatch): Promise<ChangeBatch> {
    const changes: RowChange[] = [];
    for (const raw of pending.changes) {
      const meta = await metaFor(raw.entry);
      const before = raw.before ? convertImage(raw.entry, meta, raw.before) : null;
      const after = raw.after ? convertImage(raw.entry, meta, raw.after) : null;
      changes.push({
        op: raw.op,
        schema: raw.entry.parentSchema,
        table: raw.entry.tableName,
        before,
        after,
        key: keyOf(meta, (after ?? before)!),
        txId: pending.txId,
        txOrder: raw.txOrder,
        position: `${pending.txStart.file}:${pending.txStart.pos}:${raw.txOrder}`,
        commitTimeMs: pending.commitTimeMs,
      });
    }
    return { changes, checkpoint: formatCheckpoint(pending.checkpoint) };
  }

  async function drain(r: Run): Promise<void> {
    if (r.delivering) return;
    r.delivering = true;
    try {
      while (!r.stopped && !r.failed && r.queue.length > 0) {
        const batch = await toBatch(r.queue[0]!);
        if (r.stopped) return;
        await r.start.onBatch(batch);
        r.queue.shift();
      }
    } catch (err) {
      fail(r, err instanceof Error ? err : new Error(String(err)));
      return;
    } finally {
      r.delivering = false;
    }
    if (!r.stopped && !r.failed && r.queue.length === 0) {
      r.lastActivity = Date.now();
      r.zongji?.connection?.resume();
    }
  }

  // --- snapshot ---------------------------------------------------------------------------------

  async function openSnapshot(r: Run): Promise<BinlogPosition> {
    const conn = mysql.createConnection({ ...connOptions });
    conn.on('error', () => {}); // surfaces through the queries and the row stream
    r.snapshotConnection = conn;
    const q = conn.promise();
    try {
      // TIMESTAMP values in UTC; REPEATABLE READ is what makes the snapshot consistent.
      await q.query("SET SESSION time_zone = '+00:00'");
      await q.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      if (isMariaDb) {
        // MariaDB reports the binlog position matching the snapshot, no global lock needed:
        // https://mariadb.com/kb/en/enhancements-for-start-transaction-with-consistent-snapshot/
        await q.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
        const [rows] = await q.query<RowDataPacket[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
        const status = new Map(rows.map((row) => [String(row.Variable_name).toLowerCase(), String(row.Value)]));
        const file = status.get('binlog_snapshot_file');
        const pos = Number(status.get('binlog_snapshot_position'));
        if (!file || !Number.isSafeInteger(pos)) {
          throw new SourceNotReadyError(`MySQL source ${where}: SHOW STATUS gives no binlog_snapshot_file/position`);
        }
        return { file, pos };
      }
      // MySQL: hold writes for the instant it takes to open the snapshot and read the position.
      await q.query('FLUSH TABLES WITH READ LOCK');
      try {
        await q.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
        let rows: RowDataPacket[];
        try {
          [rows] = await q.query<RowDataPacket[]>('SHOW BINARY LOG STATUS'); // MySQL 8.2+
        } catch {
          [rows] = await q.query<RowDataPacket[]>('SHOW MASTER STATUS');
        }
        const row = rows[0];
        if (!row) throw new SourceNotReadyError(`MySQL source ${where}: SHOW MASTER STATUS is empty (binlog off?)`);
        return { file: String(row.File), pos: Number(row.Position) };
      } finally {
        await q.query('UNLOCK TABLES');
      }
    } catch (err) {
      conn.destroy();
      r.snapshotConnection = null;
      throw translateError(err, `opening a consistent snapshot on ${where}`);
    }
  }

  async function readSnapshot(r: Run, at: BinlogPosition, metas: TableMeta[]): Promise<void> {
    const conn = r.snapshotConnection!;
    const takenAt = Date.now();
    const txId = `snapshot:${at.file}:${at.pos}`;
    const inProgress = formatCheckpoint({ ...at, snapshot: 'in_progress' });
    let order = 0;
    let chunk: RowChange[] = [];
    const flush = async (done: boolean): Promise<void> => {
      const batch: ChangeBatch = {
        changes: chunk,
        checkpoint: done ? formatCheckpoint(at) : inProgress,
        snapshot: true,
      };
      if (done) batch.snapshotDone = true;
      chunk = [];
      if (r.stopped) return;
      try {
        await r.start.onBatch(batch);
      } catch (err) {
        throw new BatchRejected(err);
      }
    };
    for (const meta of metas) {
      const select = meta.columns
        .map((c) =>
          // The server prints FLOAT with 6 digits; as DOUBLE it gives the stored float32 exactly.
          c.type.kind === 'float' ? `CAST(${quoteIdent(c.info.name)} AS DOUBLE) AS ${quoteIdent(c.info.name)}` : quoteIdent(c.info.name),
        )
        .join(', ');
      const sql =
        `SELECT ${select} FROM ${quoteIdent(meta.schema)}.${quoteIdent(meta.table)} ` +
        `ORDER BY ${meta.primaryKey.map(quoteIdent).join(', ')}`;
      const rows = conn.query(sql).stream({ highWaterMark: chunkSize });
      for await (const raw of rows as AsyncIterable<Record<string, unknown>>) {
        if (r.stopped) return;
        const after: Row = {};
        for (const c of meta.columns) after[c.info.name] = toJsonValue(c.type, raw[c.info.name]);
        const key = keyOf(meta, after);
        chunk.push({
          op: 'r',
          schema: meta.schema,
          table: meta.table,
          before: null,
          after,
          key,
          txId,
          txOrder: order++,
          position: `snapshot:${at.file}:${at.pos}:${meta.schema}.${meta.table}:${JSON.stringify(key)}`,
          commitTimeMs: takenAt,
        });
        if (chunk.length >= chunkSize) await flush(false);
      }
    }
    await conn.promise().query('COMMIT');
    conn.destroy();
    r.snapshotConnection = null;
    await flush(true);
    log.info({ rows: order, file: at.file, pos: at.pos }, 'snapshot done');
  }

  // --- lifecycle --------------------------------------------------------------------------------

  async function teardown(r: Run): Promise<void> {
    r.stopped = true;
    if (r.watchdog) clearInterval(r.watchdog);
    r.watchdog = null;
    r.opening?.reject(new SourceConnectionError('mysql source stopped while opening the binlog stream'));
    r.opening = null;
    r.snapshotConnection?.destroy();
    r.snapshotConnection = null;
    const zongji = r.zongji;
    r.zongji = null;
    if (zongji && !zongji.stopped) {
      const stopped = once(zongji, 'stopped', { signal: AbortSignal.timeout(STOP_TIMEOUT_MS) }).catch(() => undefined);
      zongji.stop();
      await stopped;
    }
  }

  return {
    kind: 'mysql',
    database: connOptions.database ?? refs[0]!.schema,

    async describe(): Promise<TableInfo[]> {
      const metas = await withConnection(`describing tables on ${where}`, describeAll);
      return metas.map((m) => ({
        schema: m.schema,
        table: m.table,
        primaryKey: [...m.primaryKey],
        columns: m.columns.map((c) => ({ ...c.info, jsonSchema: { ...c.info.jsonSchema } })),
      }));
    },

    async start(start: SourceStart): Promise<void> {
      moveTo('starting');
      const r: Run = {
        start,
        stopped: false,
        failed: false,
        zongji: null,
        snapshotConnection: null,
        file: '',
        pos: 4,
        lastEventMs: null,
        lastActivity: Date.now(),
        watchdog: null,
        tx: null,
        queue: [],
        delivering: false,
        opening: null,
      };
      run = r;
      const stillStarting = (): void => {
        if (r.stopped) throw new SourceConnectionError('mysql source stopped while starting');
      };
      try {
        const checkpoint = start.checkpoint === null ? null : parseCheckpoint(start.checkpoint);
        const plan = await withConnection(`starting the binlog source on ${where}`, async (conn) => {
          const metas = await describeAll(conn);
          // An unfinished snapshot's checkpoint means "take the snapshot again" (unless told never to).
          if (checkpoint && (checkpoint.snapshot === undefined || start.snapshot === 'never')) {
            await verifyCheckpoint(conn, checkpoint);
            return { metas, from: { file: checkpoint.file, pos: checkpoint.pos }, snapshot: false };
          }
          if (start.snapshot === 'never') return { metas, from: await endOfBinlog(conn), snapshot: false };
          return { metas, from: null, snapshot: true };
        });
        stillStarting();
        if (!plan.snapshot) {
          await startStreaming(r, plan.from!);
          stillStarting();
          moveTo('streaming');
          return;
        }
        const at = await openSnapshot(r);
        stillStarting();
        moveTo('snapshotting');
        log.info({ file: at.file, pos: at.pos, tables: refs.length }, 'snapshot opened');
        void readSnapshot(r, at, plan.metas)
          .then(() => (r.stopped ? undefined : startStreaming(r, at)))
          .then(() => {
            if (!r.stopped && state === 'snapshotting') moveTo('streaming');
          })
          .catch((err: unknown) => {
            if (r.stopped) return;
            if (err instanceof BatchRejected) {
              fail(r, err.reason instanceof Error ? err.reason : new Error(String(err.reason)));
            } else {
              fail(r, translateError(err, `snapshot of ${where}`));
            }
          });
      } catch (err) {
        await teardown(r);
        // A concurrent stop() (and maybe a new start()) owns the state once it has begun.
        if (state === 'starting' && run === r) {
          run = null;
          moveTo('idle');
        }
        throw translateError(err, `starting the binlog source on ${where}`);
      }
    },

    async ack(checkpoint: string): Promise<void> {
      // Nothing to release: the server keeps binlogs by its own expiry settings, not by replicas.
      parseCheckpoint(checkpoint);
    },

    async status(): Promise<{ position: string | null; lagBytes?: number; lagMs?: number }> {
      const r = run;
      if (!r || r.stopped || r.file === '') return { position: lastPosition };
      const position = `${r.file}:${r.pos}`;
      try {
        const logs = await withConnection('reading binlog status', binaryLogs);
        const index = logs.findIndex((l) => l.name === r.file);
        if (index < 0) return { position };
        let lagBytes = Math.max(0, logs[index]!.size - r.pos);
        for (const later of logs.slice(index + 1)) lagBytes += later.size;
        const lagMs = lagBytes === 0 ? 0 : r.lastEventMs === null ? undefined : Math.max(0, Date.now() - r.lastEventMs);
        return lagMs === undefined ? { position, lagBytes } : { position, lagBytes, lagMs };
      } catch {
        return { position };
      }
    },

    stop(): Promise<void> {
      if (state === 'idle') return Promise.resolve();
      if (state === 'stopping') return stopping ?? Promise.resolve();
      moveTo('stopping');
      const r = run;
      run = null;
      stopping = (r ? teardown(r) : Promise.resolve()).finally(() => {
        stopping = null;
        moveTo('idle');
      });
      return stopping;
    },
  };
}
