/**
 * No Docker engine runs in CI, so this test reads docker-compose.yml and checks that the
 * services carry the settings the bridges depend on (the same ones test/services/*.sh apply).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from './helpers/tmp.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
}
const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };

test('kafka runs KRaft as a single combined broker/controller on 9092', () => {
  const kafka = compose.services.kafka!;
  assert.match(kafka.image ?? '', /^apache\/kafka:4\./);
  const env = kafka.environment ?? {};
  assert.equal(env.KAFKA_PROCESS_ROLES, 'broker,controller');
  assert.equal(String(env.KAFKA_CONTROLLER_QUORUM_VOTERS), `${env.KAFKA_NODE_ID}@kafka:9093`);
  assert.match(String(env.KAFKA_ADVERTISED_LISTENERS), /PLAINTEXT:\/\/localhost:9092/);
  assert.equal(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, 1);
  assert.ok(kafka.ports?.includes('9092:9092'));
});

test('postgres has logical replication on, with room for slots', () => {
  const cmd = (compose.services.postgres!.command ?? []).join(' ');
  assert.match(cmd, /wal_level=logical/);
  assert.match(cmd, /max_replication_slots=\d+/);
  assert.match(cmd, /max_wal_senders=\d+/);
});

test('mariadb writes a ROW binlog with full images and a server id', () => {
  const cmd = (compose.services.mariadb!.command ?? []).join(' ');
  for (const setting of [/--log-bin\b/, /--binlog-format=ROW/, /--binlog-row-image=FULL/, /--server-id=\d+/]) assert.match(cmd, setting);
});

test('ficus services are built from this repository', () => {
  const ficus = Object.entries(compose.services).filter(([name]) => name.startsWith('ficus'));
  assert.ok(ficus.length > 0);
  for (const [, svc] of ficus) {
    assert.equal(svc.build, '.');
    assert.equal((svc.command ?? [])[0] !== undefined, true);
  }
  readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
});
