/**
 * Bridge offsets in the SQLite store: the last checkpoint durably published, per bridge name,
 * with the source kind it belongs to (a checkpoint from a MySQL source is meaningless to a
 * PostgreSQL one) and running counts for `ficus bridge status`.
 */
import type { Migration, Store } from '../core/store.js';
import type { Source } from './change.js';
import { CheckpointError } from './errors.js';

export const bridgeMigrations: readonly Migration[] = Object.freeze([
  {
    component: 'bridge',
    version: 1,
    description: 'bridge offsets',
    up: `
      CREATE TABLE bridge_offsets (
        name TEXT PRIMARY KEY,
        source_kind TEXT NOT NULL,
        source_db TEXT NOT NULL,
        checkpoint TEXT,
        events_total INTEGER NOT NULL DEFAULT 0,
        batches_total INTEGER NOT NULL DEFAULT 0,
        last_event_at TEXT,
        updated_at TEXT NOT NULL
      );
    `,
  },
]);

export interface OffsetRecord {
  name: string;
  sourceKind: Source['kind'];
  sourceDb: string;
  checkpoint: string | null;
  eventsTotal: number;
  batchesTotal: number;
  lastEventAt: string | null;
  updatedAt: string;
}

export function createOffsetStore(store: Store) {
  const db = store.db;
  const get = db.prepare('SELECT * FROM bridge_offsets WHERE name = ?');
  const upsert = db.prepare(`INSERT INTO bridge_offsets (name, source_kind, source_db, checkpoint, events_total, batches_total, last_event_at, updated_at)
    VALUES (@name, @kind, @db, @checkpoint, @events, 1, @lastEventAt, @now)
    ON CONFLICT(name) DO UPDATE SET checkpoint = excluded.checkpoint, events_total = events_total + @events,
      batches_total = batches_total + 1, last_event_at = COALESCE(excluded.last_event_at, last_event_at), updated_at = excluded.updated_at`);
  const init = db.prepare(`INSERT INTO bridge_offsets (name, source_kind, source_db, checkpoint, updated_at) VALUES (?, ?, ?, NULL, ?) ON CONFLICT(name) DO NOTHING`);

  const load = (name: string): OffsetRecord | undefined => {
    const r = get.get(name) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    return {
      name,
      sourceKind: r.source_kind as Source['kind'],
      sourceDb: r.source_db as string,
      checkpoint: (r.checkpoint as string | null) ?? null,
      eventsTotal: r.events_total as number,
      batchesTotal: r.batches_total as number,
      lastEventAt: (r.last_event_at as string | null) ?? null,
      updatedAt: r.updated_at as string,
    };
  };

  return {
    load,
    /** The checkpoint to resume from; refuses one written for another kind of source. */
    resumeFrom(name: string, source: Pick<Source, 'kind' | 'database'>): string | null {
      const r = load(name);
      if (!r) {
        init.run(name, source.kind, source.database, new Date().toISOString());
        return null;
      }
      if (r.sourceKind !== source.kind) {
        throw new CheckpointError(`bridge '${name}' has a ${r.sourceKind} checkpoint in the store but its source is now ${source.kind}; use another bridge.name to start over`);
      }
      return r.checkpoint;
    },
    save(name: string, source: Pick<Source, 'kind' | 'database'>, checkpoint: string, events: number, lastEventAt: string | null): void {
      upsert.run({ name, kind: source.kind, db: source.database, checkpoint, events, lastEventAt, now: new Date().toISOString() });
    },
  };
}

export type OffsetStore = ReturnType<typeof createOffsetStore>;
