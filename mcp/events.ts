/**
 * Where `read_events` and `list_event_types` read the bridge's business events: the embedded
 * event log (the bridge's SQLite store, opened read-only for each call so the server never
 * writes to it nor holds it open), or Kafka (a short-lived consumer group that seeks to the
 * caller's cursor, reads up to the high-water mark seen at the start or until a bounded wait
 * passes, and never commits offsets). Cursors: the embedded log's sequence number (`42`), or for
 * Kafka a comma-separated list of `topic:partition:offset` (the next offset to read).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import kafkajs from 'kafkajs';
import type { Admin, Consumer } from 'kafkajs';
import type { CloudEvent } from '../bridges/change.js';
import { createEventLog } from '../bridges/sinks/embedded.js';
import { createKafkaLogCreator, decodeKafkaCloudEvent } from '../bridges/sinks/kafka.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../core/store.js';
import { clipStrings } from './limits.js';
import type { McpEventsOptions } from './options.js';

const { Kafka, logLevel } = kafkajs;

/** One event as an agent sees it. */
export interface EventItem {
  /** Resume after this event: pass it as `after`. */
  cursor: string;
  topic: string;
  key: string;
  event: CloudEvent;
}

export interface EventPage {
  events: EventItem[];
  /** Cursor to pass as `after` for the next page. */
  next: string;
  /** True when more events may follow right away (the page hit its limit). */
  more: boolean;
  /** True when a long string inside an event was clipped. */
  truncated: boolean;
}

export interface EventTypeCount {
  type: string;
  topic: string;
  count: number;
  lastCursor: string;
}

export interface EventReader {
  readonly kind: 'embedded' | 'kafka';
  /** What the reader is reading, for messages (`embedded log in FILE`, `kafka at HOSTS`). */
  readonly description: string;
  /** Distinct types with counts; `undefined` when the source cannot count cheaply (Kafka). */
  typeCounts(): Promise<EventTypeCount[] | undefined>;
  read(q: { types?: readonly string[]; after?: string; limit: number }): Promise<EventPage>;
}

/** A cursor the caller passed that this source cannot read; the message says what was expected. */
export class BadCursorError extends Error {}
/** The source is configured but not there (no store file yet, broker down). */
export class EventSourceUnavailable extends Error {}

/** The embedded log in `file`, read through a read-only connection per call. */
export function createEmbeddedEventReader(file: string): EventReader {
  const withLog = <T>(fn: (log: ReturnType<typeof createEventLog>, db: Database.Database) => T): T | undefined => {
    if (!existsSync(file)) throw new EventSourceUnavailable(`no event log yet: the store ${file} does not exist (has the bridge run?)`);
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      const hasLog = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bridge_events'").get();
      if (!hasLog) return undefined;
      // createEventLog only prepares its INSERT; on a read-only connection nothing can run it.
      const store: Store = { path: file, db, versions: () => ({}), close: () => db.close() };
      return fn(createEventLog(store), db);
    } finally {
      db.close();
    }
  };
  return {
    kind: 'embedded',
    description: `the embedded event log in ${file}`,
    async typeCounts() {
      const rows = withLog((_log, db) =>
        db.prepare('SELECT type, topic, COUNT(*) AS count, MAX(seq) AS last FROM bridge_events GROUP BY type, topic ORDER BY type, topic').all() as { type: string; topic: string; count: number; last: number }[],
      );
      return (rows ?? []).map((r) => ({ type: r.type, topic: r.topic, count: r.count, lastCursor: String(r.last) }));
    },
    async read(q) {
      const after = q.after === undefined || q.after === '' ? 0 : Number(q.after);
      if (!Number.isSafeInteger(after) || after < 0) throw new BadCursorError(`after must be a cursor from this log (a non-negative integer such as "42"), got ${JSON.stringify(q.after)}`);
      const rows = withLog((log) => log.read(after, { ...(q.types?.length ? { types: q.types } : {}), limit: q.limit + 1 })) ?? [];
      const page = rows.slice(0, q.limit);
      const clipped = clipStrings(page.map((r) => ({ cursor: String(r.seq), topic: r.topic, key: r.key, event: r.event })));
      return { events: clipped.value, next: String(page.at(-1)?.seq ?? after), more: rows.length > q.limit, truncated: clipped.truncated };
    },
  };
}

type Position = Map<string, bigint>; // "topic:partition" → next offset

function parseKafkaCursor(cursor: string | undefined): Position {
  const pos: Position = new Map();
  if (cursor === undefined || cursor === '') return pos;
  for (const part of cursor.split(',')) {
    const m = /^([A-Za-z0-9._-]+):(\d+):(\d+)$/.exec(part.trim());
    if (!m) throw new BadCursorError(`after must be a Kafka cursor, comma-separated topic:partition:offset entries (e.g. "ficus.main.orders:0:42"), got ${JSON.stringify(part)}`);
    pos.set(`${m[1]}:${m[2]}`, BigInt(m[3]!));
  }
  return pos;
}

function formatKafkaCursor(pos: Position): string {
  return [...pos].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([tp, off]) => `${tp}:${off}`).join(',');
}

/**
 * Kafka, read by a fresh consumer group per call that never commits: seeks every partition to
 * the cursor (or its earliest offset), stops at the high-water marks fetched first, at `limit`
 * events, or after `maxWaitMs`. `topics` resolves the topics to read at each call.
 */
export function createKafkaEventReader(
  options: Extract<McpEventsOptions, { kind: 'kafka' }>,
  deps: { logger: Logger; topics: () => readonly string[] | undefined },
): EventReader {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 },
    logLevel: logLevel.ERROR,
    logCreator: createKafkaLogCreator(deps.logger),
  });

  async function topicsToRead(admin: Admin): Promise<string[]> {
    const wanted = options.topics ?? deps.topics();
    const existing = await admin.listTopics();
    if (wanted?.length) return wanted.filter((t) => existing.includes(t));
    return existing.filter((t) => t.startsWith(`${options.topicPrefix}.`)).sort();
  }

  return {
    kind: 'kafka',
    description: `Kafka at ${options.brokers.join(',')}`,
    async typeCounts() {
      return undefined;
    },
    async read(q) {
      const start = parseKafkaCursor(q.after);
      const admin = kafka.admin();
      const ends = new Map<string, bigint>();
      const pos: Position = new Map(start);
      try {
        await admin.connect();
        for (const topic of await topicsToRead(admin)) {
          const offsets = await admin.fetchTopicOffsets(topic);
          for (const p of offsets) {
            const tp = `${topic}:${p.partition}`;
            ends.set(tp, BigInt(p.high));
            const low = BigInt(p.low);
            if (!pos.has(tp) || pos.get(tp)! < low) pos.set(tp, start.has(tp) && start.get(tp)! > low ? start.get(tp)! : low);
          }
        }
      } catch (err) {
        throw new EventSourceUnavailable(`cannot read Kafka at ${options.brokers.join(',')}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      const pending = () => [...ends].filter(([tp, end]) => (pos.get(tp) ?? 0n) < end);
      const events: EventItem[] = [];
      if (pending().length === 0) return { events, next: formatKafkaCursor(pos), more: false, truncated: false };

      const groupId = `ficus-mcp-${randomBytes(6).toString('hex')}`;
      const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
      const topics = [...new Set(pending().map(([tp]) => tp.slice(0, tp.lastIndexOf(':'))))];
      let full = false;
      try {
        await consumer.connect();
        await consumer.subscribe({ topics, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, options.maxWaitMs);
          const done = () => {
            clearTimeout(timer);
            resolve();
          };
          consumer.on(consumer.events.GROUP_JOIN, () => {
            for (const [tp, offset] of pos) {
              const i = tp.lastIndexOf(':');
              if (topics.includes(tp.slice(0, i))) consumer.seek({ topic: tp.slice(0, i), partition: Number(tp.slice(i + 1)), offset: offset.toString() });
            }
          });
          consumer
            .run({
              autoCommit: false,
              eachBatchAutoResolve: false,
              eachBatch: async ({ batch, resolveOffset, isRunning }) => {
                const tp = `${batch.topic}:${batch.partition}`;
                for (const message of batch.messages) {
                  if (full || !isRunning()) break;
                  const offset = BigInt(message.offset);
                  // Records before the cursor arrive when the seek lands after the first fetch.
                  if (offset < (pos.get(tp) ?? 0n) || offset >= (ends.get(tp) ?? 0n)) continue;
                  pos.set(tp, offset + 1n);
                  resolveOffset(message.offset);
                  let event: CloudEvent;
                  try {
                    event = decodeKafkaCloudEvent(message);
                  } catch {
                    continue; // not a Ficus event: skipped, the cursor moves past it
                  }
                  if (q.types?.length && !q.types.includes(event.type)) continue;
                  events.push({ cursor: `${tp}:${offset + 1n}`, topic: batch.topic, key: message.key?.toString('utf8') ?? '', event });
                  if (events.length >= q.limit) full = true;
                }
                if (full || pending().length === 0) done();
              },
            })
            .catch(reject);
        });
      } catch (err) {
        throw new EventSourceUnavailable(`cannot read Kafka at ${options.brokers.join(',')}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        await consumer.disconnect().catch(() => undefined);
        // The group never committed anything; delete it so reads leave nothing behind on the broker.
        const cleanup = kafka.admin();
        await cleanup
          .connect()
          .then(() => cleanup.deleteGroups([groupId]))
          .catch(() => undefined)
          .finally(() => cleanup.disconnect().catch(() => undefined));
      }
      const clipped = clipStrings(events);
      return { events: clipped.value, next: formatKafkaCursor(pos), more: full || pending().length > 0, truncated: clipped.truncated };
    },
  };
}
