/**
 * Smoke test for the Kafka broker from test/services/kafka.sh: kafkajs (what
 * the bridges' Kafka sink uses) can create a topic, produce to it and read the
 * message back through a consumer group. Fails fast when the broker and the
 * client disagree on protocol versions (Kafka 4 removed many old ones).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka, Partitioners, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { cleanupStack, randomName, serviceOrSkip } from '../helpers/services.js';

const kafka = serviceOrSkip('kafka');

test('kafka: a produced message comes back to a fresh consumer group', { skip: kafka.skip, timeout: 60_000 }, async (t) => {
  const client = new Kafka({
    clientId: 'ficus-smoke',
    brokers: kafka.url.split(',').map((b) => b.trim()),
    logLevel: logLevel.WARN,
    retry: { retries: 3 },
  });
  const topic = randomName('ficus_smoke');
  const key = randomName('key');
  const value = JSON.stringify({ hello: randomName('value') });

  const defer = cleanupStack(t);

  const admin = client.admin();
  await admin.connect();
  defer(() => admin.disconnect());
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  assert.equal(created, true, `topic ${topic} already existed`);
  defer(() => admin.deleteTopics({ topics: [topic], timeout: 10_000 }));

  const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  defer(() => producer.disconnect());
  await producer.send({ topic, messages: [{ key, value }] });

  const consumer: Consumer = client.consumer({ groupId: randomName('ficus_smoke_group') });
  await consumer.connect();
  defer(() => consumer.disconnect());
  await consumer.subscribe({ topics: [topic], fromBeginning: true });

  const received = await new Promise<KafkaMessage>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          resolve(message);
        },
      })
      .catch(reject);
  });

  assert.equal(received.key?.toString(), key);
  assert.equal(received.value?.toString(), value);
});
