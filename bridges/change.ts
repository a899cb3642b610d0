/**
 * The contract between the parts of a bridge: what a source emits (row changes grouped by
 * source transaction, with a checkpoint to resume from), what a sink accepts (CloudEvents),
 * and the lifecycle both follow. Sources convert column values to JSON faithfully themselves
 * (numeric/decimal as strings, bigint exact, timestamps ISO-8601 with zone, binary as base64),
 * so nothing downstream ever sees a lossy float or a driver-specific type.
 */

/** JSON-safe column value. Numbers are only used where the database value is exactly a JS number. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A row as column name → value. */
export type Row = Record<string, JsonValue>;

/** Debezium operation codes: create, update, delete, read (snapshot). */
export type Op = 'c' | 'u' | 'd' | 'r';

/** One row change, as captured from the source. */
export interface RowChange {
  op: Op;
  /** PostgreSQL schema, MySQL database, or `main` for SQLite. */
  schema: string;
  table: string;
  /**
   * Row before the change: full for MySQL (binlog_row_image=FULL) and SQLite; for PostgreSQL it
   * depends on REPLICA IDENTITY (DEFAULT: key columns only; FULL: the whole row; NOTHING: null).
   * Null for inserts and snapshot reads.
   */
  before: Row | null;
  /** Row after the change; null for deletes. */
  after: Row | null;
  /** Primary key columns and their values (from `after`, or `before` for deletes). */
  key: Row;
  /** Source transaction id (PostgreSQL xid, MySQL GTID or binlog position of BEGIN, SQLite change batch). */
  txId: string;
  /** 0-based order of this change within its transaction. */
  txOrder: number;
  /**
   * Position of this change in the source, unique and stable: the same change re-read after a
   * restart has the same position, so event ids derived from it deduplicate.
   */
  position: string;
  /** Commit time, epoch ms (null when the source does not know it, e.g. snapshot reads use snapshot time). */
  commitTimeMs: number | null;
}

/** A source transaction (or a chunk of a snapshot): delivered whole, acknowledged whole. */
export interface ChangeBatch {
  changes: RowChange[];
  /**
   * Where to resume after this batch is durably in the sink. Opaque to the bridge, understood
   * by the source that produced it (PostgreSQL: commit end LSN; MySQL: binlog file/position or
   * GTID set after the commit; SQLite: last change id).
   */
  checkpoint: string;
  /** True for snapshot chunks (op `r`); the last one has `snapshotDone`. */
  snapshot?: boolean;
  snapshotDone?: boolean;
}

/** Column metadata, for `ficus bridge suggest` and the AsyncAPI document. */
export interface ColumnInfo {
  name: string;
  /** Database type name as the source reports it (e.g. `numeric(12,2)`, `varchar(40)`). */
  type: string;
  nullable: boolean;
  /** JSON Schema of the value as events carry it. */
  jsonSchema: Record<string, unknown>;
}

export interface TableInfo {
  schema: string;
  table: string;
  primaryKey: string[];
  columns: ColumnInfo[];
}

export type SnapshotMode = 'initial' | 'never' | 'when_needed';

/** How the bridge starts a source. */
export interface SourceStart {
  /** The last checkpoint durably handled, or null on first start. */
  checkpoint: string | null;
  snapshot: SnapshotMode;
  /**
   * Called with each batch, one at a time, in source order. The source must not deliver the next
   * batch before the returned promise resolves, and must stop reading from the database (so
   * nothing piles up in memory) while it is pending. Rejection is fatal for the source.
   */
  onBatch: (batch: ChangeBatch) => Promise<void>;
  /** The source lost its connection or failed; the bridge decides whether to restart it. */
  onError: (err: Error) => void;
}

/** A change data capture source. Created by a factory with explicit options (url, tables, ...). */
export interface Source {
  readonly kind: 'postgres' | 'mysql' | 'sqlite';
  /** Database name, for the CloudEvent `source` attribute and `data.source.db`. */
  readonly database: string;
  /** Tables captured, resolved (schema-qualified) and checked to exist; fails with a clear error otherwise. */
  describe(): Promise<TableInfo[]>;
  start(options: SourceStart): Promise<void>;
  /**
   * Everything up to and including `checkpoint` is durably in the sink: the source may release
   * it (PostgreSQL: confirm the LSN to the slot; SQLite: prune the change table).
   */
  ack(checkpoint: string): Promise<void>;
  /** Source position now and how far behind the bridge is, when the source can tell. */
  status(): Promise<{ position: string | null; lagBytes?: number; lagMs?: number }>;
  stop(): Promise<void>;
}

/** CloudEvents 1.0 (JSON format), with the Debezium-style change as `data`. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  /** Extension: the source transaction id, so consumers can regroup a transaction. */
  ficustxid: string;
  /** Extension: order of the change within its transaction. */
  ficustxorder: number;
  data: ChangeData;
}

export interface ChangeData {
  op: Op;
  before: Row | null;
  after: Row | null;
  source: {
    connector: 'postgres' | 'mysql' | 'sqlite';
    db: string;
    schema: string;
    table: string;
    position: string;
    txId: string;
    ts_ms: number | null;
    snapshot: boolean;
  };
  ts_ms: number;
}

/** Where events go. `publish` resolves only when every event is durable in the sink. */
export interface Sink {
  readonly kind: 'kafka' | 'embedded';
  /** Publishes in order; per-key order must hold. Throws (retriable) when the sink is unavailable. */
  publish(events: readonly RoutedEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** An event with its destination: a Kafka topic (or embedded stream name) and record key. */
export interface RoutedEvent {
  event: CloudEvent;
  topic: string;
  /** JSON of the primary key, e.g. `{"id":42}`. */
  key: string;
}
