/**
 * The Kafka sink: publishes a bridge's CloudEvents to Kafka topics with kafkajs, and decodes
 * them back for consumers. It owns the record encoding (the CloudEvents Kafka protocol binding,
 * binary or structured content mode), the producer's lifecycle (lazy connect, and a fresh
 * idempotent producer after any failed publish), topic creation, the translation of kafkajs
 * errors into `FICUS_BR_*` errors at one boundary, and routing kafkajs's own logs into pino.
 * It never retries a failed publish itself: it fails within a bounded time with a retriable
 * `SinkUnavailableError` and the bridge backs off and publishes the same batch again.
 *
 * Binding: https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md
 */
import kafkajs from 'kafkajs';
import type { IHeaders, Message, Producer, Admin, TopicMessages, logCreator, LogEntry } from 'kafkajs';
import { createLogger, type Logger } from '../../core/logger.js';
import { FicusError } from '../../core/errors.js';
import type { ChangeData, CloudEvent, Op, RoutedEvent, Sink } from '../change.js';
import {
  EventDecodeError,
  SinkClosedError,
  SinkOptionsInvalidError,
  SinkRejectedError,
  SinkUnavailableError,
} from '../errors.js';

// kafkajs is CommonJS and spreads its error classes into module.exports, which Node's ESM
// named-export detection cannot see: take everything from the default export.
const {
  Kafka,
  Partitioners,
  logLevel: KafkaLogLevel,
  KafkaJSError,
  KafkaJSProtocolError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSAggregateError,
} = kafkajs;

/** CloudEvents content mode on the wire. */
export type KafkaContentMode = 'binary' | 'structured';

/** kafkajs log levels by name; `nothing` silences kafkajs entirely. */
export type KafkaLogLevelName = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

/** How the sink's kafkajs client retries one request before `publish` gives up. */
export interface KafkaSinkRetryOptions {
  /** Retries of each kafkajs operation (connect, metadata, produce). Default 5. */
  retries?: number;
  /** First backoff, ms; doubles (±20 % jitter) on each retry. Default 300. */
  initialRetryTimeMs?: number;
  /** Backoff ceiling, ms. Default 5000. */
  maxRetryTimeMs?: number;
}

export interface KafkaSinkOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: readonly string[];
  /** Kafka client id (broker logs, quotas). Default `ficus`. */
  clientId?: string;
  /**
   * `binary` (default): value = JSON of `data`, attributes in `ce_*` headers.
   * `structured`: value = the whole CloudEvent as JSON (`application/cloudevents+json`).
   */
  mode?: KafkaContentMode;
  /** Where the sink and kafkajs log. Default: the core logger at `warn`, on stderr. */
  logger?: Logger;
  /** Most verbose kafkajs level that reaches `logger`. Default `warn`. */
  kafkaLogLevel?: KafkaLogLevelName;
  /**
   * Create a topic with the admin client before the first publish to it, when it is missing.
   * Default true. When false the topics must exist: the sink never asks the broker to
   * auto-create one, and a missing topic fails publishes with `FICUS_BR_SINK_UNAVAILABLE`
   * (retriable, so the bridge resumes once someone creates it).
   */
  createTopics?: boolean;
  /** Partitions of topics the sink creates. Default -1: the broker's `num.partitions`. */
  numPartitions?: number;
  /** Replication factor of topics the sink creates. Default -1: the broker's `default.replication.factor`. */
  replicationFactor?: number;
  /**
   * Upper bound on one `publish`, ms, connecting and creating topics included. When it passes,
   * `publish` rejects with `FICUS_BR_SINK_UNAVAILABLE` even if kafkajs is still retrying.
   * Default 30 000.
   */
  publishTimeoutMs?: number;
  /** TCP connect timeout per broker, ms. Default 3000. */
  connectionTimeoutMs?: number;
  /** Timeout of one Kafka request, and how long the broker may wait for in-sync replicas, ms. Default 10 000. */
  requestTimeoutMs?: number;
  retry?: KafkaSinkRetryOptions;
  /**
   * Estimated bytes per produce request. A publish larger than this is sent as several
   * requests, one after the other, so no partition's record batch passes the broker's
   * `message.max.bytes` (1 MiB by default). Default 900 KiB.
   */
  maxRequestBytes?: number;
}

interface ResolvedOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly mode: KafkaContentMode;
  readonly kafkaLogLevel: KafkaLogLevelName;
  readonly createTopics: boolean;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly publishTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retries: number;
  readonly initialRetryTimeMs: number;
  readonly maxRetryTimeMs: number;
  readonly maxRequestBytes: number;
}

/** Header naming the media type: `data`'s in binary mode, the event format's in structured mode. */
export const contentTypeHeader = 'content-type';
/** `content-type` of a binary-mode record. */
export const binaryContentType = 'application/json';
/** `content-type` of a structured-mode record (the JSON event format). */
export const structuredContentType = 'application/cloudevents+json; charset=UTF-8';

/**
 * The CloudEvent attributes carried as `ce_<name>` headers in binary mode, in header order.
 * `datacontenttype` is not among them: the binding maps it to `content-type`.
 */
export const binaryAttributeHeaders: readonly string[] = Object.freeze([
  'ce_specversion',
  'ce_id',
  'ce_source',
  'ce_type',
  'ce_subject',
  'ce_time',
  'ce_ficustxid',
  'ce_ficustxorder',
]);

/** Encodes one event as a kafkajs message (key, value, headers) in the given content mode. */
export function encodeKafkaCloudEvent(routed: RoutedEvent, mode: KafkaContentMode): Message {
  const e = routed.event;
  if (mode === 'structured') {
    return { key: routed.key, value: JSON.stringify(e), headers: { [contentTypeHeader]: structuredContentType } };
  }
  // Header values are UTF-8 strings (binding §3.2.3); the integer extension as decimal text.
  return {
    key: routed.key,
    value: JSON.stringify(e.data),
    headers: {
      ce_specversion: e.specversion,
      ce_id: e.id,
      ce_source: e.source,
      ce_type: e.type,
      ce_subject: e.subject,
      ce_time: e.time,
      ce_ficustxid: e.ficustxid,
      ce_ficustxorder: String(e.ficustxorder),
      [contentTypeHeader]: binaryContentType,
    },
  };
}

/** The parts of a Kafka record the decoder reads; a kafkajs `KafkaMessage` fits. */
export interface KafkaRecordLike {
  headers?: IHeaders;
  value: Buffer | string | null;
}

/**
 * Decodes a record written by the Kafka sink (either content mode) back into the CloudEvent.
 * The mode is detected as the binding says (§3): a `content-type` starting with
 * `application/cloudevents` (any case) is structured, anything else binary.
 * Throws `EventDecodeError` (`FICUS_BR_EVENT_INVALID`) naming the header or attribute at fault.
 */
export function decodeKafkaCloudEvent(message: KafkaRecordLike): CloudEvent {
  const headers = readHeaders(message.headers);
  const contentType = headers.get(contentTypeHeader);
  if (message.value === null) throw new EventDecodeError('record has no value (a tombstone), not a Ficus CloudEvent');
  const text = typeof message.value === 'string' ? message.value : message.value.toString('utf8');

  if (contentType !== undefined && contentType.toLowerCase().startsWith('application/cloudevents')) {
    if (mediaType(contentType) !== 'application/cloudevents+json') {
      throw new EventDecodeError(`structured record has content-type ${JSON.stringify(contentType)}; only the JSON event format is supported`);
    }
    const parsed = parseJson(text, 'structured record value');
    if (!isObject(parsed)) throw new EventDecodeError('structured record value is not a JSON object');
    return validateEvent(parsed, 'structured record');
  }

  if (contentType === undefined) throw new EventDecodeError(`record has no ${contentTypeHeader} header, so it is not a CloudEvent in either content mode`);
  if (mediaType(contentType) !== binaryContentType) {
    throw new EventDecodeError(`binary record has content-type ${JSON.stringify(contentType)}; Ficus events carry ${binaryContentType}`);
  }
  const attributes: Record<string, unknown> = { datacontenttype: binaryContentType };
  for (const header of binaryAttributeHeaders) {
    const value = headers.get(header);
    if (value === undefined) throw new EventDecodeError(`binary record has no ${header} header`);
    attributes[header.slice(3)] = value;
  }
  const order = attributes.ficustxorder as string;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(order)) {
    throw new EventDecodeError(`header ce_ficustxorder is ${JSON.stringify(order)}, expected a non-negative integer`);
  }
  attributes.ficustxorder = Number(order);
  attributes.data = parseJson(text, 'binary record value');
  return validateEvent(attributes, 'binary record');
}

function readHeaders(headers: IHeaders | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, raw] of Object.entries(headers ?? {})) {
    if (raw === undefined) continue;
    if (Array.isArray(raw)) {
      if (raw.length !== 1) throw new EventDecodeError(`header ${name} appears ${raw.length} times`);
      out.set(name.toLowerCase(), String(raw[0]));
    } else {
      out.set(name.toLowerCase(), typeof raw === 'string' ? raw : raw.toString('utf8'));
    }
  }
  return out;
}

function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new EventDecodeError(`${what} is not JSON: ${(err as Error).message}`, err);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const ops: readonly Op[] = ['c', 'u', 'd', 'r'];

/** Checks the attributes and the shape of `data` (not every column value) and builds the event. */
function validateEvent(raw: Record<string, unknown>, where: string): CloudEvent {
  const str = (name: string): string => {
    const v = raw[name];
    if (typeof v !== 'string' || v === '') throw new EventDecodeError(`${where}: attribute ${name} is ${JSON.stringify(v) ?? 'missing'}, expected a non-empty string`);
    return v;
  };
  if (raw.specversion !== '1.0') throw new EventDecodeError(`${where}: specversion is ${JSON.stringify(raw.specversion) ?? 'missing'}, expected "1.0"`);
  if (raw.datacontenttype !== binaryContentType) {
    throw new EventDecodeError(`${where}: datacontenttype is ${JSON.stringify(raw.datacontenttype) ?? 'missing'}, expected "${binaryContentType}"`);
  }
  const order = raw.ficustxorder;
  if (typeof order !== 'number' || !Number.isSafeInteger(order) || order < 0) {
    throw new EventDecodeError(`${where}: ficustxorder is ${JSON.stringify(order) ?? 'missing'}, expected a non-negative integer`);
  }
  const data = raw.data;
  if (!isObject(data)) throw new EventDecodeError(`${where}: data is not a JSON object`);
  if (!ops.includes(data.op as Op)) throw new EventDecodeError(`${where}: data.op is ${JSON.stringify(data.op) ?? 'missing'}, expected one of ${ops.join(', ')}`);
  for (const side of ['before', 'after'] as const) {
    if (data[side] !== null && !isObject(data[side])) throw new EventDecodeError(`${where}: data.${side} is neither an object nor null`);
  }
  if (!isObject(data.source)) throw new EventDecodeError(`${where}: data.source is not an object`);
  return {
    specversion: '1.0',
    id: str('id'),
    source: str('source'),
    type: str('type'),
    subject: str('subject'),
    time: str('time'),
    datacontenttype: binaryContentType,
    ficustxid: str('ficustxid'),
    ficustxorder: order,
    data: data as unknown as ChangeData,
  };
}

const kafkaLevels: Readonly<Record<KafkaLogLevelName, number>> = Object.freeze({
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
});

/**
 * A kafkajs `logCreator` that writes into a pino logger (ERROR→error, WARN→warn, INFO→info,
 * DEBUG→debug), with the kafkajs namespace as the `kafkajs` binding, so kafkajs never prints
 * its own JSON lines to stdout. kafkajs's `logLevel` still decides what reaches it.
 */
export function createKafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
      const fields = { kafkajs: namespace, ...extra };
      if (level === KafkaLogLevel.ERROR) logger.error(fields, message);
      else if (level === KafkaLogLevel.WARN) logger.warn(fields, message);
      else if (level === KafkaLogLevel.INFO) logger.info(fields, message);
      else logger.debug(fields, message);
    };
}

/**
 * Protocol errors about the idempotent producer's own state (its id, epoch or sequence
 * numbers, e.g. after the broker expired the producer id). Final for that kafkajs producer, but
 * the sink discards its producer after any failed publish, so the bridge's retry starts over
 * with a fresh one: retriable for us. Names are kafkajs's `type` for each protocol error code.
 */
const producerStateErrors: ReadonlySet<string> = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'UNKNOWN_PRODUCER_ID',
]);

/**
 * The one place kafkajs errors become Ficus errors. Retriable ones (connection refused or
 * closed, request timeouts, retriable protocol errors such as NOT_LEADER_OR_FOLLOWER, and
 * kafkajs giving up after its retries) become `SinkUnavailableError`; the rest (record too
 * large, invalid topic, authorization, SASL) `SinkRejectedError`. Decided by error class,
 * kafkajs's `retriable` flag and protocol error type, never by message text. Ficus and
 * non-kafkajs errors pass through unchanged.
 */
export function translateKafkaError(err: unknown, doing: string): Error {
  if (err instanceof FicusError) return err;
  if (err instanceof KafkaJSNumberOfRetriesExceeded) {
    return new SinkUnavailableError(`${doing}: Kafka still failing after ${err.retryCount} retries: ${err.message}`, err);
  }
  if (err instanceof KafkaJSAggregateError) {
    const retriable = err.errors.every((e) => e instanceof KafkaJSError && e.retriable);
    const detail = err.errors.map((e) => (e instanceof KafkaJSProtocolError ? `${e.type}: ${e.message}` : String((e as Error).message ?? e))).join('; ');
    return retriable ? new SinkUnavailableError(`${doing}: ${detail}`, err) : new SinkRejectedError(`${doing}: ${detail}`, err);
  }
  if (err instanceof KafkaJSProtocolError) {
    const detail = `${doing}: broker answered ${err.type}: ${err.message}`;
    const retriable = err.retriable || producerStateErrors.has(err.type);
    return retriable ? new SinkUnavailableError(detail, err) : new SinkRejectedError(detail, err);
  }
  if (Object.getPrototypeOf(err) === KafkaJSNonRetriableError.prototype) {
    // A bare KafkaJSNonRetriableError is kafkajs's retrier wrapping what it will not retry,
    // with the root error as `cause`. Nested retriers (the producer's around the connection
    // pool's) wrap an inner "retries exceeded" this way, so a refused connection arrives here:
    // classify by the cause, not by the wrapper.
    const cause = (err as InstanceType<typeof KafkaJSNonRetriableError>).cause;
    if (cause instanceof KafkaJSError && cause !== err) return translateKafkaError(cause, doing);
  }
  if (err instanceof KafkaJSError) {
    return err.retriable ? new SinkUnavailableError(`${doing}: ${err.message}`, err) : new SinkRejectedError(`${doing}: ${err.message}`, err);
  }
  return err instanceof Error ? err : new Error(String(err));
}

function resolveOptions(options: KafkaSinkOptions): ResolvedOptions {
  const fail = (message: string): never => {
    throw new SinkOptionsInvalidError(`kafka sink: ${message}`);
  };
  if (!Array.isArray(options.brokers) || options.brokers.length === 0) fail(`brokers must be a non-empty list of host:port, got ${JSON.stringify(options.brokers)}`);
  for (const b of options.brokers) {
    if (typeof b !== 'string' || !/^[^\s:/,]+:\d{1,5}$/.test(b.trim())) fail(`brokers: ${JSON.stringify(b)} is not host:port`);
  }
  const mode = options.mode ?? 'binary';
  if (mode !== 'binary' && mode !== 'structured') fail(`mode must be binary or structured, got ${JSON.stringify(mode)}`);
  const kafkaLogLevel = options.kafkaLogLevel ?? 'warn';
  if (!(kafkaLogLevel in kafkaLevels)) fail(`kafkaLogLevel must be one of ${Object.keys(kafkaLevels).join(', ')}, got ${JSON.stringify(kafkaLogLevel)}`);
  const int = (name: string, value: number | undefined, fallback: number, min: number): number => {
    const v = value ?? fallback;
    if (!Number.isSafeInteger(v) || v < min) fail(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const partitions = int('numPartitions', options.numPartitions, -1, -1);
  const replication = int('replicationFactor', options.replicationFactor, -1, -1);
  if (partitions === 0) fail('numPartitions must be -1 (broker default) or >= 1, got 0');
  if (replication === 0) fail('replicationFactor must be -1 (broker default) or >= 1, got 0');
  const clientId = options.clientId ?? 'ficus';
  if (typeof clientId !== 'string' || clientId === '') fail(`clientId must be a non-empty string, got ${JSON.stringify(clientId)}`);
  return Object.freeze({
    brokers: Object.freeze(options.brokers.map((b) => b.trim())),
    clientId,
    mode,
    kafkaLogLevel,
    createTopics: options.createTopics ?? true,
    numPartitions: partitions,
    replicationFactor: replication,
    publishTimeoutMs: int('publishTimeoutMs', options.publishTimeoutMs, 30_000, 1),
    connectionTimeoutMs: int('connectionTimeoutMs', options.connectionTimeoutMs, 3_000, 1),
    requestTimeoutMs: int('requestTimeoutMs', options.requestTimeoutMs, 10_000, 1),
    retries: int('retry.retries', options.retry?.retries, 5, 1),
    initialRetryTimeMs: int('retry.initialRetryTimeMs', options.retry?.initialRetryTimeMs, 300, 1),
    maxRetryTimeMs: int('retry.maxRetryTimeMs', options.retry?.maxRetryTimeMs, 5_000, 1),
    maxRequestBytes: int('maxRequestBytes', options.maxRequestBytes, 900 * 1024, 1),
  });
}

/** Rough wire size of a record: key, value, headers, plus the record framing. */
function estimateBytes(m: Message): number {
  let n = 64 + Buffer.byteLength(m.key as string) + Buffer.byteLength(m.value as string);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += 8 + Buffer.byteLength(k) + Buffer.byteLength(v as string);
  return n;
}

/**
 * Splits a publish into produce requests of at most `maxBytes` (estimated), each grouped per
 * topic. The requests are sent one after another and records keep their order inside each
 * topic, so per-key (per-partition) order is the publish order.
 */
function planRequests(events: readonly RoutedEvent[], mode: KafkaContentMode, maxBytes: number): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let byTopic = new Map<string, Message[]>();
  let size = 0;
  const flush = (): void => {
    if (byTopic.size > 0) requests.push([...byTopic].map(([topic, messages]) => ({ topic, messages })));
    byTopic = new Map();
    size = 0;
  };
  for (const routed of events) {
    const message = encodeKafkaCloudEvent(routed, mode);
    const bytes = estimateBytes(message);
    if (size > 0 && size + bytes > maxBytes) flush();
    const list = byTopic.get(routed.topic);
    if (list) list.push(message);
    else byTopic.set(routed.topic, [message]);
    size += bytes;
  }
  flush();
  return requests;
}

/**
 * States of the sink. `idle` has no producer; the first publish connects one (`connected`).
 * A failed publish discards it (back to `idle`): the next one starts a fresh idempotent
 * producer, with new sequence numbers, so a half-sent batch can never wedge it.
 */
type SinkState = 'idle' | 'connected' | 'closing' | 'closed';
const transitions: Readonly<Record<SinkState, readonly SinkState[]>> = Object.freeze({
  idle: ['connected', 'closing'],
  connected: ['idle', 'closing'],
  closing: ['closed'],
  closed: [],
});

interface Connection {
  producer: Producer;
  admin: Admin | null;
}

/**
 * Creates the Kafka sink. Nothing connects until the first `publish`.
 *
 * `publish(events)` resolves once every event is acknowledged by all in-sync replicas
 * (`acks: -1`, idempotent producer, one request in flight per broker, so kafkajs's internal
 * retries neither duplicate nor reorder). Record key = `RoutedEvent.key`, topic =
 * `RoutedEvent.topic`. On failure it rejects within `publishTimeoutMs` with
 * `SinkUnavailableError` (retriable) or `SinkRejectedError`; a later publish reconnects.
 * Publishes run one at a time in call order, and a publish never starts sending while a
 * previous, timed-out one may still be sending, so a late record cannot overtake a newer one.
 */
export function createKafkaSink(options: KafkaSinkOptions): Sink {
  const opts = resolveOptions(options);
  const logger = (options.logger ?? createLogger({ level: 'warn' })).child({ component: 'kafka-sink' });
  const retry = {
    retries: opts.retries,
    initialRetryTime: opts.initialRetryTimeMs,
    maxRetryTime: opts.maxRetryTimeMs,
    factor: 0.2,
    multiplier: 2,
  };
  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers: [...opts.brokers],
    connectionTimeout: opts.connectionTimeoutMs,
    requestTimeout: opts.requestTimeoutMs,
    enforceRequestTimeout: true,
    retry,
    logLevel: kafkaLevels[opts.kafkaLogLevel],
    logCreator: createKafkaLogCreator(logger),
  });

  let state: SinkState = 'idle';
  const moveTo = (next: SinkState): void => {
    if (!transitions[state].includes(next)) throw new Error(`kafka sink: invalid transition ${state} -> ${next}`);
    state = next;
  };
  let connection: Connection | null = null;
  /** Topics known to exist (created by us or found). */
  const knownTopics = new Set<string>();
  /** Serializes publish calls. */
  let queue: Promise<void> = Promise.resolve();
  /** The current send attempt, settled or not; a timed-out publish leaves it running. */
  let attempt: Promise<void> | null = null;

  const connect = async (): Promise<Connection> => {
    if (connection) return connection;
    if (state === 'closing' || state === 'closed') throw new SinkClosedError('kafka');
    const producer = kafka.producer({
      idempotent: true,
      // kafkajs keeps order across its retries only with one request in flight.
      maxInFlightRequests: 1,
      // Topics come from the admin client (createTopics) or an operator, never from a typo.
      allowAutoTopicCreation: false,
      // Java client's murmur2 partitioner: same key, same partition as Java producers.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry,
    });
    const conn: Connection = { producer, admin: null };
    connection = conn;
    moveTo('connected');
    await producer.connect();
    return conn;
  };

  /** Drops the producer and admin client; the next publish builds new ones. */
  const discard = async (): Promise<void> => {
    const conn = connection;
    connection = null;
    if (state === 'connected') moveTo('idle');
    if (!conn) return;
    const results = await Promise.allSettled([conn.producer.disconnect(), conn.admin?.disconnect()]);
    for (const r of results) if (r.status === 'rejected') logger.debug({ err: r.reason }, 'disconnect after a failed publish');
  };

  const ensureTopics = async (conn: Connection, topics: readonly string[]): Promise<void> => {
    const unknown = topics.filter((t) => !knownTopics.has(t));
    if (unknown.length === 0) return;
    if (!conn.admin) {
      const admin = kafka.admin({ retry });
      conn.admin = admin;
      await admin.connect();
    }
    // List first: creating an existing topic works but makes kafkajs log an ERROR line.
    const existing = new Set(await conn.admin.listTopics());
    const missing = unknown.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await conn.admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: opts.numPartitions, replicationFactor: opts.replicationFactor })),
        waitForLeaders: true,
        timeout: opts.requestTimeoutMs,
      });
      logger.info({ topics: missing, numPartitions: opts.numPartitions, replicationFactor: opts.replicationFactor }, 'created Kafka topics');
    }
    for (const t of unknown) knownTopics.add(t);
  };

  const send = async (requests: TopicMessages[][], topics: readonly string[], doing: string): Promise<void> => {
    try {
      const conn = await connect();
      if (opts.createTopics) await ensureTopics(conn, topics);
      for (const topicMessages of requests) {
        await conn.producer.sendBatch({ topicMessages, acks: -1, timeout: opts.requestTimeoutMs });
      }
    } catch (err) {
      await discard();
      throw translateKafkaError(err, doing);
    }
  };

  /** Resolves true when `p` settles within `ms`, false otherwise. */
  const settlesWithin = async (p: Promise<unknown>, ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([p.then(() => true, () => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  const publishNow = async (events: readonly RoutedEvent[]): Promise<void> => {
    if (state === 'closing' || state === 'closed') throw new SinkClosedError('kafka');
    if (events.length === 0) return;
    const deadline = Date.now() + opts.publishTimeoutMs;
    const topics = [...new Set(events.map((e) => e.topic))];
    const doing = `publishing ${events.length} event(s) to ${topics.join(', ')} via ${opts.brokers.join(',')}`;

    if (attempt && !(await settlesWithin(attempt, deadline - Date.now()))) {
      throw new SinkUnavailableError(`${doing}: a previous publish is still being retried by the Kafka client after ${opts.publishTimeoutMs} ms`);
    }
    const requests = planRequests(events, opts.mode, opts.maxRequestBytes);
    const current = send(requests, topics, doing);
    const settled = current.then(
      () => undefined,
      () => undefined,
    );
    attempt = settled;
    void settled.then(() => {
      if (attempt === settled) attempt = null;
    });

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SinkUnavailableError(`${doing}: not acknowledged within publishTimeoutMs=${opts.publishTimeoutMs}`)),
        Math.max(0, deadline - Date.now()),
      );
    });
    try {
      await Promise.race([current, timeout]);
    } catch (err) {
      logger.warn({ err, code: (err as FicusError).code, events: events.length, topics }, 'publish failed');
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    kind: 'kafka',
    publish(events) {
      const run = queue.then(() => publishNow(events));
      queue = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
    async close() {
      if (state === 'closing' || state === 'closed') return;
      moveTo('closing');
      // Let a publish that is still sending finish (bounded), then hang up.
      await settlesWithin(queue, opts.publishTimeoutMs);
      if (attempt) await settlesWithin(attempt, opts.requestTimeoutMs);
      const conn = connection;
      connection = null;
      if (conn) await Promise.allSettled([conn.producer.disconnect(), conn.admin?.disconnect()]);
      moveTo('closed');
    },
  };
}
