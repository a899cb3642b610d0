/**
 * Writes an AsyncAPI 3.0 document (https://www.asyncapi.com/docs/reference/specification/v3.0.0)
 * describing what a bridge publishes: one channel per topic, one message per business event
 * type, payloads built from the captured tables' column schemas, and the CloudEvents binary-mode
 * headers. Consumers (people and AI agents) discover the events from it without reading config.
 */
import { stringify } from 'yaml';
import type { Op, TableInfo } from './change.js';
import { defaultEventType, defaultTopic, entityName, type EventRule } from './mapping.js';

export interface AsyncApiOptions {
  name: string;
  version: string;
  sink: { kind: 'kafka' | 'embedded'; brokers?: readonly string[]; topicPrefix: string; mode: 'binary' | 'structured' };
  /** Where the embedded event log is served, for the `servers` entry. */
  listen?: string;
  events: readonly EventRule[];
}

const OPS_OF: Record<string, Op[]> = { insert: ['c'], update: ['u'], delete: ['d'], snapshot: ['r'], any: ['c', 'u', 'd'] };
const OP_WORD: Record<Op, string> = { c: 'inserted', u: 'updated', d: 'deleted', r: 'read by the initial snapshot' };

function qualified(t: TableInfo): string {
  return `${t.schema}.${t.table}`;
}

function ruleMatches(rule: EventRule, t: TableInfo): boolean {
  return rule.table === qualified(t) || rule.table === t.table;
}

/** The event types each table can raise, with the ops that raise them and their topic. */
export function eventCatalog(tables: readonly TableInfo[], rules: readonly EventRule[], topicPrefix: string) {
  const out: { table: TableInfo; type: string; topic: string; ops: Op[]; when?: string }[] = [];
  for (const t of tables) {
    const own = rules.filter((r) => ruleMatches(r, t));
    // An unconditional rule for an op replaces the default type for that op.
    const covered = new Set(own.filter((r) => !r.when).flatMap((r) => OPS_OF[r.op ?? 'any'] ?? []));
    for (const r of own) out.push({ table: t, type: r.type, topic: r.topic ?? defaultTopic(topicPrefix, t.schema, t.table), ops: OPS_OF[r.op ?? 'any'] ?? [], ...(r.when ? { when: r.when } : {}) });
    for (const op of ['c', 'u', 'd', 'r'] as Op[]) {
      if (!covered.has(op)) out.push({ table: t, type: defaultEventType(entityName(t.table), op), topic: defaultTopic(topicPrefix, t.schema, t.table), ops: [op] });
    }
  }
  return out;
}

export function asyncApiDocument(tables: readonly TableInfo[], options: AsyncApiOptions): Record<string, unknown> {
  const catalog = eventCatalog(tables, options.events, options.sink.topicPrefix);
  const schemas: Record<string, unknown> = {};
  for (const t of tables) {
    schemas[`${t.schema}_${t.table}_row`] = {
      type: 'object',
      description: `A row of ${qualified(t)} (primary key: ${t.primaryKey.join(', ')})`,
      properties: Object.fromEntries(t.columns.map((c) => [c.name, { ...c.jsonSchema, description: `${c.type}${c.nullable ? ', nullable' : ''}` }])),
    };
  }
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const channelId = (topic: string) => topic.replace(/[^A-Za-z0-9_]/g, '_');
  for (const e of catalog) {
    const row = { $ref: `#/components/schemas/${e.table.schema}_${e.table.table}_row` };
    const messageId = `${e.type}__${channelId(e.topic)}`;
    const change = {
      type: 'object',
      required: ['op', 'before', 'after', 'source', 'ts_ms'],
      properties: {
        op: { enum: e.ops },
        before: { oneOf: [{ type: 'null' }, row], description: 'Row before the change (see README: what before contains per source).' },
        after: { oneOf: [{ type: 'null' }, row] },
        source: { type: 'object', description: 'connector, db, schema, table, position, txId, ts_ms, snapshot' },
        ts_ms: { type: 'integer' },
      },
    };
    messages[messageId] = {
      name: e.type,
      title: e.type,
      summary: `A row of ${qualified(e.table)} was ${e.ops.map((op) => OP_WORD[op]).join(' or ')}${e.when ? ` and ${e.when}` : ''}.`,
      contentType: options.sink.mode === 'structured' ? 'application/cloudevents+json' : 'application/json',
      ...(options.sink.kind === 'kafka' && options.sink.mode === 'binary'
        ? {
            headers: {
              type: 'object',
              required: ['ce_specversion', 'ce_id', 'ce_source', 'ce_type', 'ce_time'],
              properties: {
                ce_specversion: { const: '1.0' },
                ce_id: { type: 'string' },
                ce_source: { type: 'string' },
                ce_type: { const: e.type },
                ce_subject: { type: 'string', description: 'primary key' },
                ce_time: { type: 'string', format: 'date-time' },
                ce_ficustxid: { type: 'string' },
                ce_ficustxorder: { type: 'string' },
              },
            },
            bindings: { kafka: { key: { type: 'string', description: `JSON of the primary key (${e.table.primaryKey.join(', ')})` } } },
          }
        : {}),
      payload: options.sink.mode === 'structured' || options.sink.kind === 'embedded' ? { $ref: 'https://ficus.dev/specs/event.schema.json', description: 'CloudEvent whose data is:', 'x-data': change } : change,
    };
    const ch = channelId(e.topic);
    const channel = (channels[ch] ??= { address: e.topic, description: `Changes of ${qualified(e.table)}`, messages: {} }) as { messages: Record<string, unknown> };
    channel.messages[messageId] = { $ref: `#/components/messages/${messageId}` };
    operations[`publish_${messageId}`] = { action: 'send', channel: { $ref: `#/channels/${ch}` }, messages: [{ $ref: `#/channels/${ch}/messages/${messageId}` }] };
  }
  const servers =
    options.sink.kind === 'kafka'
      ? Object.fromEntries((options.sink.brokers ?? []).map((b, i) => [`broker${i + 1}`, { host: b, protocol: 'kafka' }]))
      : { embedded: { host: options.listen ?? '127.0.0.1:9902', protocol: 'http', pathname: '/events', description: 'GET /events?after=CURSOR, GET /events/stream (SSE)' } };
  return {
    asyncapi: '3.0.0',
    info: { title: `Ficus bridge ${options.name}`, version: options.version, description: 'Business events derived from legacy database changes (CloudEvents 1.0, Debezium-style change payload).' },
    servers,
    channels,
    operations,
    components: { schemas, messages },
  };
}

export function asyncApiYaml(tables: readonly TableInfo[], options: AsyncApiOptions): string {
  return `# Generated by ficus bridge from the source schema and bridge.events; do not edit.\n${stringify(asyncApiDocument(tables, options), { aliasDuplicateObjects: false })}`;
}
