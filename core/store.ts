/**
 * The SQLite store (better-sqlite3, WAL mode) that holds Ficus state: gateway routes and
 * counters, bridge offsets, analyzer caches. Each part brings its own versioned migrations,
 * tracked per component in `ficus_schema`, so parts stay usable alone and share one file.
 * A store written by a newer Ficus (a component version or store format this build does not
 * know) is refused rather than opened, so an older binary never corrupts newer data.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreMigrationError, StoreOpenError, StoreTooNewError } from './errors.js';
import type { Logger } from './logger.js';

/** Version of the store's own bookkeeping layout (`PRAGMA user_version`). */
export const STORE_FORMAT_VERSION = 1;

/** One schema step of a component. Versions of a component start at 1 and have no gaps. */
export interface Migration {
  component: string;
  version: number;
  description: string;
  up: string | ((db: Database.Database) => void);
}

export interface StoreOptions {
  /** File path, or `:memory:`. Parent directories are created. */
  path: string;
  /** Migrations of every component this process uses. */
  migrations?: readonly Migration[];
  logger?: Logger;
}

/** An open store. `db` is the better-sqlite3 handle, for the parts' own repositories. */
export interface Store {
  readonly path: string;
  readonly db: Database.Database;
  /** Schema version per component, as recorded in the file. */
  versions(): Record<string, number>;
  close(): void;
}

/** Opens (creating if needed) and migrates the store. */
export function openStore(options: StoreOptions): Store {
  const { path, migrations = [], logger } = options;
  const plan = planMigrations(migrations);
  let db: Database.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('busy_timeout = 5000');
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    throw new StoreOpenError(path, err);
  }

  try {
    const format = Number(db.pragma('user_version', { simple: true }));
    if (format > STORE_FORMAT_VERSION) throw new StoreTooNewError(path, 'store format', format, STORE_FORMAT_VERSION);
    db.exec(`CREATE TABLE IF NOT EXISTS ficus_schema (
      component TEXT PRIMARY KEY,
      version INTEGER NOT NULL,
      updated_at TEXT NOT NULL
    )`);
    if (format < STORE_FORMAT_VERSION) db.pragma(`user_version = ${STORE_FORMAT_VERSION}`);

    const current = readVersions(db);
    for (const [component, steps] of plan) {
      const known = steps.length;
      const found = current[component] ?? 0;
      if (found > known) throw new StoreTooNewError(path, component, found, known);
    }
    const record = db.prepare(
      `INSERT INTO ficus_schema (component, version, updated_at) VALUES (?, ?, ?)
       ON CONFLICT(component) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
    );
    for (const [component, steps] of plan) {
      for (const m of steps.slice(current[component] ?? 0)) {
        try {
          db.transaction(() => {
            if (typeof m.up === 'string') db.exec(m.up);
            else m.up(db);
            record.run(component, m.version, new Date().toISOString());
          })();
        } catch (err) {
          throw new StoreMigrationError(path, component, m.version, err);
        }
        logger?.info({ component, version: m.version, store: path }, `store migrated: ${m.description}`);
      }
    }
  } catch (err) {
    db.close();
    throw err;
  }

  return Object.freeze({
    path,
    db,
    versions: () => readVersions(db),
    close: () => {
      if (db.open) db.close();
    },
  });
}

function readVersions(db: Database.Database): Record<string, number> {
  const rows = db.prepare('SELECT component, version FROM ficus_schema').all() as { component: string; version: number }[];
  return Object.fromEntries(rows.map((r) => [r.component, r.version]));
}

/** Groups migrations by component and checks versions run 1..n without gaps or repeats. */
function planMigrations(migrations: readonly Migration[]): Map<string, Migration[]> {
  const plan = new Map<string, Migration[]>();
  for (const m of migrations) {
    const list = plan.get(m.component) ?? [];
    list.push(m);
    plan.set(m.component, list);
  }
  for (const [component, list] of plan) {
    list.sort((a, b) => a.version - b.version);
    list.forEach((m, i) => {
      if (m.version !== i + 1) {
        throw new TypeError(`migrations of ${component} must be numbered 1..n without gaps; found version ${m.version} at position ${i + 1}`);
      }
    });
  }
  return plan;
}
