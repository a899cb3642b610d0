/**
 * The embedded default source: a SQLite database captured with triggers. For each configured
 * table, AFTER INSERT/UPDATE/DELETE triggers write the old and new row (as JSON) into
 * `_ficus_changes` in the same database and the same transaction as the change, so a change
 * and its capture commit or roll back together. The source polls that table in id order
 * (the change id is the offset), delivers, and prunes rows only after `ack`.
 *
 * Limits, said plainly: SQLite has no transaction id a trigger can read, so each captured row
 * is its own transaction (`txId` = change id, `txOrder` = 0); the commit time is the time the
 * trigger ran. `before` is the full old row. Triggers are regenerated when a table's columns
 * change (checked on every poll), so later events carry a new column; changes written between
 * the ALTER and the next poll are captured with the old column list.
 */
import Database from 'better-sqlite3';
import type { Logger } from '../../core/logger.js';
import type { ChangeBatch, ColumnInfo, JsonValue, Row, RowChange, Source, SourceStart, TableInfo } from '../change.js';
import { CheckpointError, SourceConnectionError, UnknownTableError } from '../errors.js';

export interface SqliteSourceOptions {
  path: string;
  /** Table names (`main.orders` or `orders`). */
  tables: readonly string[];
  /** How often to look for new changes, ms. */
  pollMs?: number;
  /** Changes per batch at most. */
  batchSize?: number;
  logger?: Logger;
}

const CHANGES = '_ficus_changes';

interface ColumnRow {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteText(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** JSON Schema of a column as events carry it (SQLite type affinity, https://sqlite.org/datatype3.html §3.1). */
function jsonSchemaFor(declared: string, nullable: boolean): Record<string, unknown> {
  const t = declared.toUpperCase();
  let schema: Record<string, unknown>;
  if (t.includes('INT')) schema = { type: 'integer' };
  else if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) schema = { type: 'string' };
  else if (t.includes('BLOB') || t === '') schema = { type: 'string', contentEncoding: 'base64' };
  else if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) schema = { type: 'number' };
  else schema = { type: ['number', 'string'], description: 'NUMERIC affinity: numbers, or exact decimal strings when stored as text' };
  return nullable ? { ...schema, type: [...new Set([...(Array.isArray(schema.type) ? schema.type : [schema.type]), 'null'])] } : schema;
}

export function createSqliteSource(options: SqliteSourceOptions): Source {
  const pollMs = options.pollMs ?? 200;
  const batchSize = options.batchSize ?? 500;
  const logger = options.logger;
  const tables = options.tables.map((t) => (t.includes('.') ? t.split('.', 2)[1]! : t));
  let db: Database.Database | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let lastId = 0;
  let columnsSeen = new Map<string, string>();

  const open = (): Database.Database => {
    if (db?.open) return db;
    try {
      db = new Database(options.path, { fileMustExist: true });
    } catch (err) {
      throw new SourceConnectionError(`cannot open SQLite source ${options.path}: ${(err as Error).message}`, err);
    }
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    return db;
  };

  const columnsOf = (d: Database.Database, table: string): ColumnRow[] => d.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as ColumnRow[];

  const describeSync = (d: Database.Database): TableInfo[] =>
    tables.map((table) => {
      const cols = columnsOf(d, table);
      if (cols.length === 0) throw new UnknownTableError(`main.${table}`, `no such table in ${options.path}`);
      const primaryKey = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
      if (primaryKey.length === 0) throw new UnknownTableError(`main.${table}`, 'has no primary key; events need one for their key and subject');
      const columns: ColumnInfo[] = cols.map((c) => ({ name: c.name, type: c.type || 'ANY', nullable: c.notnull === 0 && c.pk === 0, jsonSchema: jsonSchemaFor(c.type, c.notnull === 0 && c.pk === 0) }));
      return { schema: 'main', table, primaryKey, columns };
    });

  /** (Re)creates the capture triggers when a table's column list changed. */
  const ensureTriggers = (d: Database.Database): void => {
    d.exec(`CREATE TABLE IF NOT EXISTS ${CHANGES} (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      tbl TEXT NOT NULL,
      op TEXT NOT NULL,
      before TEXT,
      after TEXT,
      ts_ms INTEGER NOT NULL
    )`);
    for (const table of tables) {
      const cols = columnsOf(d, table);
      const signature = cols.map((c) => `${c.name}:${c.type}`).join(',');
      if (columnsSeen.get(table) === signature) continue;
      const obj = (alias: 'NEW' | 'OLD') => `json_object(${cols.map((c) => `${quoteText(c.name)}, CASE WHEN typeof(${alias}.${quoteIdent(c.name)}) = 'blob' THEN 'base64:' || hex(${alias}.${quoteIdent(c.name)}) ELSE ${alias}.${quoteIdent(c.name)} END`).join(', ')})`;
      const now = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;
      const name = (op: string) => quoteIdent(`_ficus_${table}_${op}`);
      d.transaction(() => {
        for (const op of ['insert', 'update', 'delete']) d.exec(`DROP TRIGGER IF EXISTS ${name(op)}`);
        d.exec(`CREATE TRIGGER ${name('insert')} AFTER INSERT ON ${quoteIdent(table)} BEGIN
          INSERT INTO ${CHANGES} (tbl, op, before, after, ts_ms) VALUES (${quoteText(table)}, 'c', NULL, ${obj('NEW')}, ${now}); END`);
        d.exec(`CREATE TRIGGER ${name('update')} AFTER UPDATE ON ${quoteIdent(table)} BEGIN
          INSERT INTO ${CHANGES} (tbl, op, before, after, ts_ms) VALUES (${quoteText(table)}, 'u', ${obj('OLD')}, ${obj('NEW')}, ${now}); END`);
        d.exec(`CREATE TRIGGER ${name('delete')} AFTER DELETE ON ${quoteIdent(table)} BEGIN
          INSERT INTO ${CHANGES} (tbl, op, before, after, ts_ms) VALUES (${quoteText(table)}, 'd', ${obj('OLD')}, NULL, ${now}); END`);
      })();
      columnsSeen.set(table, signature);
      logger?.debug({ table, columns: cols.length }, 'sqlite capture triggers installed');
    }
  };

  const decodeRow = (json: string | null): Row | null => {
    if (json === null) return null;
    const row = JSON.parse(json) as Record<string, JsonValue>;
    for (const [k, v] of Object.entries(row)) {
      // Blobs are captured as hex by the trigger; events carry base64.
      if (typeof v === 'string' && v.startsWith('base64:')) row[k] = Buffer.from(v.slice(7), 'hex').toString('base64');
    }
    return row;
  };

  let pkByTable = new Map<string, string[]>();

  return {
    kind: 'sqlite',
    get database() {
      return options.path;
    },
    async describe() {
      const d = open();
      const info = describeSync(d);
      pkByTable = new Map(info.map((t) => [t.table, t.primaryKey]));
      return info;
    },
    async start(start: SourceStart) {
      const d = open();
      const info = describeSync(d);
      pkByTable = new Map(info.map((t) => [t.table, t.primaryKey]));
      columnsSeen = new Map();
      ensureTriggers(d);
      if (start.checkpoint !== null) {
        const n = Number(start.checkpoint);
        if (!Number.isInteger(n) || n < 0) throw new CheckpointError(`SQLite checkpoint must be a change id (got ${JSON.stringify(start.checkpoint)})`);
        lastId = n;
      } else {
        lastId = 0;
      }
      running = true;

      // Snapshot: read existing rows in one read transaction, together with the change id
      // high-water mark, so streaming starts exactly where the snapshot's view ends.
      if (start.checkpoint === null && start.snapshot !== 'never') {
        const snapAt = Date.now();
        const read = d.transaction(() => {
          const hw = (d.prepare(`SELECT COALESCE(MAX(id), 0) AS hw FROM ${CHANGES}`).get() as { hw: number }).hw;
          const rows: { table: string; rows: Record<string, unknown>[] }[] = [];
          for (const t of info) {
            const cols = t.columns.map((c) => `CASE WHEN typeof(${quoteIdent(c.name)}) = 'blob' THEN 'base64:' || hex(${quoteIdent(c.name)}) ELSE ${quoteIdent(c.name)} END AS ${quoteIdent(c.name)}`).join(', ');
            rows.push({ table: t.table, rows: d.prepare(`SELECT ${cols} FROM ${quoteIdent(t.table)} ORDER BY ${t.primaryKey.map(quoteIdent).join(', ')}`).all() as Record<string, unknown>[] });
          }
          return { hw, rows };
        });
        const { hw, rows } = read.deferred();
        const all: RowChange[] = [];
        for (const { table, rows: rs } of rows) {
          const pk = pkByTable.get(table)!;
          for (const r of rs) {
            const after = decodeRow(JSON.stringify(r))!;
            const key = Object.fromEntries(pk.map((k) => [k, after[k] ?? null]));
            all.push({ op: 'r', schema: 'main', table, before: null, after, key, txId: `snapshot-${hw}`, txOrder: 0, position: `snapshot:${hw}:${table}:${JSON.stringify(key)}`, commitTimeMs: snapAt });
          }
        }
        for (let i = 0; i < all.length || i === 0; i += batchSize) {
          const chunk = all.slice(i, i + batchSize);
          const last = i + batchSize >= all.length;
          if (!running) return;
          await start.onBatch({ changes: chunk, checkpoint: String(hw), snapshot: true, snapshotDone: last });
        }
        lastId = hw;
      } else if (start.checkpoint === null) {
        lastId = (d.prepare(`SELECT COALESCE(MAX(id), 0) AS hw FROM ${CHANGES}`).get() as { hw: number }).hw;
      }

      const select = d.prepare(`SELECT id, tbl, op, before, after, ts_ms FROM ${CHANGES} WHERE id > ? ORDER BY id LIMIT ?`);
      const poll = async (): Promise<void> => {
        timer = undefined;
        if (!running) return;
        try {
          ensureTriggers(d);
          for (;;) {
            const rows = select.all(lastId, batchSize) as { id: number; tbl: string; op: 'c' | 'u' | 'd'; before: string | null; after: string | null; ts_ms: number }[];
            if (rows.length === 0 || !running) break;
            const changes: RowChange[] = rows.map((r) => {
              const before = decodeRow(r.before);
              const after = decodeRow(r.after);
              const pk = pkByTable.get(r.tbl) ?? [];
              const src = (after ?? before)!;
              return {
                op: r.op,
                schema: 'main',
                table: r.tbl,
                before,
                after,
                key: Object.fromEntries(pk.map((k) => [k, src[k] ?? null])),
                txId: String(r.id),
                txOrder: 0,
                position: String(r.id),
                commitTimeMs: r.ts_ms,
              };
            });
            const checkpoint = String(rows[rows.length - 1]!.id);
            await start.onBatch({ changes, checkpoint });
            lastId = rows[rows.length - 1]!.id;
          }
        } catch (err) {
          if (running) start.onError(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (running) timer = setTimeout(() => void poll(), pollMs);
      };
      timer = setTimeout(() => void poll(), 0);
    },
    async ack(checkpoint: string) {
      const d = open();
      d.prepare(`DELETE FROM ${CHANGES} WHERE id <= ?`).run(Number(checkpoint));
    },
    async status() {
      const d = open();
      const hw = (d.prepare(`SELECT COALESCE(MAX(id), 0) AS hw FROM ${CHANGES}`).get() as { hw: number } | undefined)?.hw ?? 0;
      return { position: String(lastId), lagBytes: 0, lagMs: 0, ...(hw > lastId ? { pendingChanges: hw - lastId } : {}) };
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (db?.open) db.close();
      db = undefined;
    },
  };
}
