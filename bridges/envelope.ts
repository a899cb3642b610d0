/**
 * Builds the CloudEvent for a row change: `id` derived from the change's source position (and
 * the business type, since one change may raise several events), so the same change re-read
 * after a crash gets the same id and consumers can deduplicate; `source` names connector,
 * database and table; `subject` is the primary key; `time` the commit time; `data` the
 * Debezium-style change. https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md
 */
import type { CloudEvent, RowChange, Source } from './change.js';

/** The CloudEvent `source` URI-reference for a table. */
export function eventSource(kind: Source['kind'], database: string, schema: string, table: string): string {
  return `/ficus/${kind}/${encodeURIComponent(database)}/${encodeURIComponent(schema)}.${encodeURIComponent(table)}`;
}

/** Primary key as the subject: the bare value for one column, JSON for several. */
export function subjectOf(key: RowChange['key']): string {
  const values = Object.values(key);
  if (values.length === 1) {
    const v = values[0];
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  return JSON.stringify(key);
}

export function toCloudEvent(change: RowChange, type: string, source: Pick<Source, 'kind' | 'database'>, snapshot: boolean, nowMs: number): CloudEvent {
  return {
    specversion: '1.0',
    id: `${change.position}/${type}`,
    source: eventSource(source.kind, source.database, change.schema, change.table),
    type,
    subject: subjectOf(change.key),
    time: new Date(change.commitTimeMs ?? nowMs).toISOString(),
    datacontenttype: 'application/json',
    ficustxid: change.txId,
    ficustxorder: change.txOrder,
    data: {
      op: change.op,
      before: change.before,
      after: change.after,
      source: {
        connector: source.kind,
        db: source.database,
        schema: change.schema,
        table: change.table,
        position: change.position,
        txId: change.txId,
        ts_ms: change.commitTimeMs,
        snapshot,
      },
      ts_ms: nowMs,
    },
  };
}
