/**
 * The embedded sink: events appended to the bridge's SQLite store, for setups with no Kafka.
 * Each publish is one SQLite transaction (durable at commit). Consumers read with a cursor
 * (`GET /events?after=CURSOR`) or follow the SSE stream (`GET /events/stream`, resumable with
 * `Last-Event-ID`), both served by `bridges/server.ts`. The cursor is the event's sequence
 * number in the log, which only grows.
 */
import { EventEmitter } from 'node:events';
import type { Migration, Store } from '../../core/store.js';
import type { CloudEvent, RoutedEvent, Sink } from '../change.js';

export const embeddedLogMigrations: readonly Migration[] = Object.freeze([
  {
    component: 'bridge-events',
    version: 1,
    description: 'embedded event log',
    up: `
      CREATE TABLE bridge_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL,
        topic TEXT NOT NULL,
        key TEXT NOT NULL,
        type TEXT NOT NULL,
        time TEXT NOT NULL,
        event TEXT NOT NULL
      );
      CREATE INDEX bridge_events_type ON bridge_events (type, seq);
    `,
  },
]);

export interface StoredEvent {
  seq: number;
  topic: string;
  key: string;
  event: CloudEvent;
}

export interface EventLog {
  append(events: readonly RoutedEvent[]): number;
  /** Events after `cursor` (exclusive), optionally of some types, oldest first. */
  read(after: number, options?: { types?: readonly string[]; limit?: number; topic?: string }): StoredEvent[];
  /** Highest sequence number so far (0 when empty). */
  head(): number;
  count(): number;
  /** Emits 'appended' with the new head after each append. */
  readonly notifier: EventEmitter;
}

export function createEventLog(store: Store): EventLog {
  const db = store.db;
  const insert = db.prepare('INSERT INTO bridge_events (id, topic, key, type, time, event) VALUES (?, ?, ?, ?, ?, ?)');
  const headStmt = db.prepare('SELECT COALESCE(MAX(seq), 0) AS head FROM bridge_events');
  const countStmt = db.prepare('SELECT COUNT(*) AS n FROM bridge_events');
  const notifier = new EventEmitter();
  notifier.setMaxListeners(0);
  const appendAll = db.transaction((events: readonly RoutedEvent[]) => {
    for (const e of events) insert.run(e.event.id, e.topic, e.key, e.event.type, e.event.time, JSON.stringify(e.event));
  });
  const toStored = (r: { seq: number; topic: string; key: string; event: string }): StoredEvent => ({ seq: r.seq, topic: r.topic, key: r.key, event: JSON.parse(r.event) as CloudEvent });

  return {
    append(events) {
      if (events.length === 0) return this.head();
      appendAll(events);
      const head = this.head();
      notifier.emit('appended', head);
      return head;
    },
    read(after, options = {}) {
      const limit = Math.min(Math.max(options.limit ?? 100, 1), 10_000);
      const where = ['seq > ?'];
      const params: (string | number)[] = [after];
      if (options.types?.length) {
        where.push(`type IN (${options.types.map(() => '?').join(', ')})`);
        params.push(...options.types);
      }
      if (options.topic) {
        where.push('topic = ?');
        params.push(options.topic);
      }
      const rows = db.prepare(`SELECT seq, topic, key, event FROM bridge_events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`).all(...params, limit) as {
        seq: number;
        topic: string;
        key: string;
        event: string;
      }[];
      return rows.map(toStored);
    },
    head: () => (headStmt.get() as { head: number }).head,
    count: () => (countStmt.get() as { n: number }).n,
    notifier,
  };
}

export function createEmbeddedSink(log: EventLog): Sink {
  return {
    kind: 'embedded',
    async publish(events) {
      log.append(events);
    },
    async close() {},
  };
}
