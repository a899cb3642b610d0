/**
 * The Kafka sink against the real broker from test/services/kafka.sh: CloudEvents binding in
 * both content modes (read back by a fresh consumer group and decodeKafkaCloudEvent), per-key
 * order over a large multi-request publish, error translation, and a broker restart in the
 * middle of a stream where nothing may be lost.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import type { Admin, KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import type { CloudEvent, RoutedEvent } from '../../bridges/change.js';
import {
  binaryAttributeHeaders,
  createKafkaLogCreator,
  createKafkaSink,
  decodeKafkaCloudEvent,
  translateKafkaError,
  type KafkaSinkOptions,
} from '../../bridges/sinks/kafka.js';
import type { Logger } from '../../core/logger.js';
import { cleanupStack, randomName, serviceOrSkip } from '../helpers/services.js';
import { repoRoot } from '../helpers/tmp.js';

const { Kafka, logLevel } = kafkajs;
const kafka = serviceOrSkip('kafka');
const brokers = (): string[] => kafka.url.split(',').map((b) => b.trim());

/** A pino logger that keeps its lines in memory, so kafkajs noise stays out of the test output. */
function memoryLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

function makeEvent(topic: string, id: number, seq: number, extra: Record<string, string> = {}): RoutedEvent {
  const event: CloudEvent = {
    specversion: '1.0',
    id: `${topic}:${seq}`,
    source: '/ficus/bridge/test/postgres/shop',
    type: 'com.example.shop.order.changed',
    subject: `public.orders/${JSON.stringify({ id })}`,
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, seq)).toISOString(),
    datacontenttype: 'application/json',
    ficustxid: `tx${Math.floor(seq / 10)}`,
    ficustxorder: seq % 10,
    data: {
      op: seq === 0 ? 'c' : 'u',
      before: null,
      after: { id, seq, total: '12.50', note: 'é ✓', ...extra },
      source: {
        connector: 'postgres',
        db: 'shop',
        schema: 'public',
        table: 'orders',
        position: `0/${seq.toString(16)}`,
        txId: `tx${Math.floor(seq / 10)}`,
        ts_ms: 1_767_225_600_000 + seq,
        snapshot: false,
      },
      ts_ms: 1_767_225_600_000 + seq,
    },
  };
  return { event, topic, key: JSON.stringify({ id }) };
}

function newSink(t: { after: (fn: () => unknown) => void }, logger: Logger, extra: Partial<KafkaSinkOptions> = {}) {
  const sink = createKafkaSink({ brokers: brokers(), clientId: randomName('ficus_test'), logger, ...extra });
  t.after(() => sink.close());
  return sink;
}

/**
 * Every record of `topic`, read by a fresh consumer group from the beginning up to the
 * high-water mark of each partition at call time, with its partition.
 */
async function readAll(topic: string, logger: Logger): Promise<Array<KafkaMessage & { partition: number }>> {
  const client = new Kafka({ clientId: 'ficus-test-reader', brokers: brokers(), logLevel: logLevel.WARN, logCreator: createKafkaLogCreator(logger) });
  const admin: Admin = client.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  const expected = [...ends.values()].reduce((a, b) => a + b, 0n);
  const out: Array<KafkaMessage & { partition: number }> = [];
  if (expected === 0n) return out;
  const consumer = client.consumer({ groupId: randomName('ficus_test_group'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${expected} records of ${topic} in 45 s`)), 45_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            if (BigInt(message.offset) < (ends.get(partition) ?? 0n)) out.push({ ...message, partition });
            if (BigInt(out.length) >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

const header = (m: KafkaMessage, name: string): string | undefined => {
  const v = m.headers?.[name];
  return v === undefined ? undefined : String(v);
};

/** Per key, the `seq` of each record in partition order. */
function seqsByKey(records: KafkaMessage[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of records) {
    const e = decodeKafkaCloudEvent(r);
    const key = r.key!.toString();
    out.set(key, [...(out.get(key) ?? []), e.data.after!.seq as number]);
  }
  return out;
}

test('binary mode: ce_* headers, JSON data as value, the primary key as record key, per-key order', { skip: kafka.skip, timeout: 60_000 }, async (t) => {
  const { logger } = memoryLogger();
  const topic = randomName('ficus_sink_bin');
  const sink = newSink(t, logger);
  const events = [makeEvent(topic, 1, 0), makeEvent(topic, 2, 1), makeEvent(topic, 1, 2)];

  await sink.publish(events);

  const records = await readAll(topic, logger);
  assert.equal(records.length, 3);
  const byId = new Map(records.map((r) => [header(r, 'ce_id'), r]));
  for (const { event, key } of events) {
    const r = byId.get(event.id);
    assert.ok(r, `record ${event.id} arrived`);
    assert.equal(r.key?.toString(), key);
    assert.equal(r.value?.toString(), JSON.stringify(event.data));
    assert.equal(header(r, 'content-type'), 'application/json');
    assert.deepEqual(
      binaryAttributeHeaders.map((h) => header(r, h)),
      [event.specversion, event.id, event.source, event.type, event.subject, event.time, event.ficustxid, String(event.ficustxorder)],
    );
    assert.deepEqual(decodeKafkaCloudEvent(r), event);
  }
  assert.deepEqual(seqsByKey(records), new Map([['{"id":1}', [0, 2]], ['{"id":2}', [1]]]));
});

test('structured mode: the whole CloudEvent as value round-trips through decodeKafkaCloudEvent', { skip: kafka.skip, timeout: 60_000 }, async (t) => {
  const { logger } = memoryLogger();
  const topic = randomName('ficus_sink_struct');
  const sink = newSink(t, logger, { mode: 'structured' });
  const events = [makeEvent(topic, 7, 0), makeEvent(topic, 7, 1)];

  await sink.publish(events);

  const records = await readAll(topic, logger);
  assert.equal(records.length, 2);
  for (const r of records) {
    assert.equal(header(r, 'content-type'), 'application/cloudevents+json; charset=UTF-8');
    assert.equal(header(r, 'ce_id'), undefined, 'structured mode carries attributes in the value only');
    assert.equal(r.key?.toString(), '{"id":7}');
  }
  assert.deepEqual(records.map((r) => JSON.parse(r.value!.toString()) as unknown), events.map((e) => e.event));
  assert.deepEqual(records.map((r) => decodeKafkaCloudEvent(r)), events.map((e) => e.event));
});

test('2000 events in one publish, larger than one produce request, all arrive in per-key order', { skip: kafka.skip, timeout: 80_000 }, async (t) => {
  const { logger } = memoryLogger();
  const topic = randomName('ficus_sink_bulk');
  const sink = newSink(t, logger, { numPartitions: 3 });
  // ~1.6 KB per record, 3.2 MB in all: more than one partition's share fits in a broker
  // record batch (message.max.bytes = 1 MiB), so this only passes if the publish is split.
  const pad = 'x'.repeat(1400);
  const events = Array.from({ length: 2000 }, (_, seq) => makeEvent(topic, seq % 17, seq, { pad }));

  await sink.publish(events);

  const admin = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  assert.equal(meta.topics[0]!.partitions.length, 3, 'numPartitions applies to created topics');

  const records = await readAll(topic, logger);
  assert.equal(records.length, 2000);
  assert.equal(new Set(records.map((r) => header(r, 'ce_id'))).size, 2000, 'no duplicates');
  const partitionOfKey = new Map<string, number>();
  for (const r of records) {
    const key = r.key!.toString();
    assert.equal(partitionOfKey.get(key) ?? r.partition, r.partition, `key ${key} stays on one partition`);
    partitionOfKey.set(key, r.partition);
  }
  const expected = new Map<string, number[]>();
  for (const e of events) expected.set(e.key, [...(expected.get(e.key) ?? []), e.event.data.after!.seq as number]);
  // readAll pushes in delivery order, which is offset order within each partition.
  assert.deepEqual(seqsByKey(records), expected);
});

test('a record over the broker size limit is rejected as not retriable, and the sink keeps working', { skip: kafka.skip, timeout: 60_000 }, async (t) => {
  const { logger } = memoryLogger();
  const topic = randomName('ficus_sink_big');
  const sink = newSink(t, logger);
  const huge = makeEvent(topic, 1, 0, { pad: 'y'.repeat(1_200_000) });

  await assert.rejects(sink.publish([huge]), { code: 'FICUS_BR_SINK_REJECTED', retriable: false });
  await sink.publish([makeEvent(topic, 1, 1)]);
  const records = await readAll(topic, logger);
  assert.deepEqual(records.map((r) => header(r, 'ce_id')), [`${topic}:1`]);
});

test('decodeKafkaCloudEvent refuses records that are not Ficus CloudEvents', () => {
  const { event } = makeEvent('t', 1, 0);
  const invalid = { code: 'FICUS_BR_EVENT_INVALID' };
  assert.throws(() => decodeKafkaCloudEvent({ value: '{}' }), invalid);
  assert.throws(() => decodeKafkaCloudEvent({ headers: { 'content-type': 'application/json' }, value: '{}' }), invalid);
  assert.throws(() => decodeKafkaCloudEvent({ headers: { 'content-type': 'application/cloudevents+json' }, value: 'not json' }), invalid);
  assert.throws(() => decodeKafkaCloudEvent({ headers: { 'content-type': 'application/cloudevents+avro' }, value: 'x' }), invalid);
  assert.throws(
    () => decodeKafkaCloudEvent({ headers: { 'content-type': 'application/cloudevents+json' }, value: JSON.stringify({ ...event, ficustxorder: '1' }) }),
    invalid,
  );
  // Media types match case-insensitively and ignore parameters (binding §3).
  assert.deepEqual(decodeKafkaCloudEvent({ headers: { 'Content-Type': 'Application/CloudEvents+JSON' }, value: Buffer.from(JSON.stringify(event)) }), event);
});

test('translateKafkaError: retriable kafkajs failures become FICUS_BR_SINK_UNAVAILABLE, the rest FICUS_BR_SINK_REJECTED', () => {
  const k = kafkajs;
  // kafkajs's typings omit some constructor parameters its classes take at runtime.
  const build = (cls: unknown, ...args: unknown[]): Error => new (cls as new (...a: unknown[]) => Error)(...args);
  // Built the way kafkajs builds them: protocol errors from its table entry for the code.
  const protocol = (type: string, code: number, retriable: boolean) =>
    new k.KafkaJSProtocolError(Object.assign(new Error(type.toLowerCase()), { type, code, retriable }));
  const refused = new k.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9');
  const exceeded = new k.KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 4000 });
  const unavailable = { code: 'FICUS_BR_SINK_UNAVAILABLE', retriable: true };
  const rejected = { code: 'FICUS_BR_SINK_REJECTED', retriable: false };
  const cases: Array<[string, unknown, object]> = [
    ['connection refused', refused, unavailable],
    ['request timeout', new k.KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'), unavailable],
    ['retries exceeded', exceeded, unavailable],
    // The producer's retrier wrapping the connection pool's "retries exceeded" (seen live with the broker down).
    ['nested retriers', build(k.KafkaJSNonRetriableError, exceeded, { cause: refused }), unavailable],
    ['leader moved', protocol('NOT_LEADER_OR_FOLLOWER', 6, true), unavailable],
    ['producer id expired', protocol('UNKNOWN_PRODUCER_ID', 59, false), unavailable],
    ['sequence gap', protocol('OUT_OF_ORDER_SEQUENCE_NUMBER', 45, false), unavailable],
    ['record too large', protocol('MESSAGE_TOO_LARGE', 10, false), rejected],
    ['not authorized', protocol('TOPIC_AUTHORIZATION_FAILED', 29, false), rejected],
    ['SASL', build(k.KafkaJSSASLAuthenticationError, 'SASL PLAIN authentication failed'), rejected],
    ['bad topic name', build(k.KafkaJSAggregateError, 'Topic creation errors', [protocol('INVALID_TOPIC_EXCEPTION', 17, false)]), rejected],
  ];
  for (const [what, err, expected] of cases) {
    const out = translateKafkaError(err, 'publishing');
    assert.deepEqual({ code: (out as { code?: string }).code, retriable: (out as { retriable?: boolean }).retriable }, expected, what);
    assert.ok(out.cause instanceof Error && out.cause.name.startsWith('KafkaJS'), `${what}: the kafkajs error is kept as cause`);
  }
  const bug = new TypeError('x is not a function');
  assert.equal(translateKafkaError(bug, 'publishing'), bug, 'non-kafkajs errors pass through');
});

test('bad options and publishing after close fail with their codes', async () => {
  assert.throws(() => createKafkaSink({ brokers: [] }), { code: 'FICUS_BR_SINK_OPTIONS_INVALID' });
  assert.throws(() => createKafkaSink({ brokers: ['localhost'] }), { code: 'FICUS_BR_SINK_OPTIONS_INVALID' });
  assert.throws(() => createKafkaSink({ brokers: ['h:1'], numPartitions: 0 }), { code: 'FICUS_BR_SINK_OPTIONS_INVALID' });
  const sink = createKafkaSink({ brokers: ['127.0.0.1:1'], logger: memoryLogger().logger });
  await sink.close();
  await assert.rejects(sink.publish([makeEvent('t', 1, 0)]), { code: 'FICUS_BR_SINK_CLOSED' });
});

test('a broker that accepts connections but never answers: publish rejects at publishTimeoutMs, and so does the next', { timeout: 60_000 }, async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });
  const { port } = silent.address() as AddressInfo;
  const publishTimeoutMs = 1_500;
  const sink = createKafkaSink({
    brokers: [`127.0.0.1:${port}`],
    logger: memoryLogger().logger,
    publishTimeoutMs,
    requestTimeoutMs: 1_000,
    retry: { retries: 2, initialRetryTimeMs: 100, maxRetryTimeMs: 500 },
  });
  t.after(() => sink.close());

  for (const attempt of ['first', 'second (while the first is still being retried)']) {
    const started = Date.now();
    await assert.rejects(sink.publish([makeEvent('silent', 1, 0)]), { code: 'FICUS_BR_SINK_UNAVAILABLE', retriable: true });
    const took = Date.now() - started;
    assert.ok(took >= publishTimeoutMs - 50 && took < publishTimeoutMs + 3_000, `${attempt} publish gave up after ${took} ms`);
  }
});

const kafkaSh = join(repoRoot, 'test', 'services', 'kafka.sh');
const run = promisify(execFile);
const broker = (action: 'start' | 'stop') => run('bash', [kafkaSh, action], { timeout: 120_000 });

test('broker restart mid-stream: publish fails retriably within the bound, the retried batch lands, nothing is lost', { skip: kafka.skip, timeout: 150_000 }, async (t) => {
  // Whatever happens below, leave the broker running for the tests that follow.
  t.after(() => broker('start'));
  const { logger, lines } = memoryLogger();
  const topic = randomName('ficus_sink_restart');
  const publishTimeoutMs = 12_000;
  const sink = newSink(t, logger, { publishTimeoutMs, retry: { retries: 3, initialRetryTimeMs: 200, maxRetryTimeMs: 2_000 } });
  const first = Array.from({ length: 50 }, (_, seq) => makeEvent(topic, seq % 5, seq));
  const second = Array.from({ length: 50 }, (_, i) => makeEvent(topic, i % 5, 50 + i));

  await sink.publish(first);
  await broker('stop');

  const started = Date.now();
  await assert.rejects(sink.publish(second), { code: 'FICUS_BR_SINK_UNAVAILABLE', retriable: true });
  const took = Date.now() - started;
  assert.ok(took <= publishTimeoutMs + 3_000, `publish gave up after ${took} ms (bound ${publishTimeoutMs} ms)`);
  assert.ok(lines.some((l) => typeof l.kafkajs === 'string'), 'kafkajs logs go to the pino logger');

  await broker('start');
  // What the bridge does: publish the same batch again, with backoff, until it is acknowledged.
  // The broker answers before it is fully ready for producers, so allow a few attempts.
  const failures: unknown[] = [];
  for (let i = 0; ; i++) {
    try {
      await sink.publish(second);
      break;
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'FICUS_BR_SINK_UNAVAILABLE', `retry ${i} failed with ${String(err)}`);
      failures.push(err);
      if (i >= 4) throw new AggregateError(failures, 'the retried batch never landed');
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  if (failures.length > 0) t.diagnostic(`retried batch needed ${failures.length + 1} attempts`);

  const records = await readAll(topic, logger);
  const ids = records.map((r) => header(r, 'ce_id')!);
  for (const { event } of first) assert.equal(ids.filter((id) => id === event.id).length, 1, `${event.id} (acknowledged before the stop) exactly once`);
  for (const { event } of second) assert.ok(ids.includes(event.id), `${event.id} (retried) arrived`);
  assert.equal(new Set(ids).size, 100);
  // Per key, first occurrences follow publish order; a duplicate only repeats a retried event.
  const seen = new Set<string>();
  const firstSeqs = new Map<string, number[]>();
  for (const r of records) {
    const e = decodeKafkaCloudEvent(r);
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    firstSeqs.set(r.key!.toString(), [...(firstSeqs.get(r.key!.toString()) ?? []), e.data.after!.seq as number]);
  }
  for (const [key, seqs] of firstSeqs) assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `order of key ${key}`);
});
