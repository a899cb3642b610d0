/**
 * The shared-memory ring between the proxy thread and the shadow worker (`gateway/shadow-ring.ts`),
 * and the ring encoding of the worker's messages (`toRing`/`fromRing`): records survive wrapping
 * at the end of the buffer, a full ring refuses a record whole, and a reader on another thread
 * that goes to sleep between records gets a doorbell for each sleep and misses none of them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { fromRing, toRing, type ToWorker } from '../../gateway/shadow-offload.js';
import { createRing, RingReader, RingWriter } from '../../gateway/shadow-ring.js';

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

test('ring: records with and without bodies come back whole and in order, across many wraps', () => {
  const sab = createRing(256);
  const w = new RingWriter(sab);
  const r = new RingReader(sab);
  assert.equal(r.read(), undefined);
  for (let i = 0; i < 500; i++) {
    // Sizes chosen so that records start at every offset and straddle the end of the buffer.
    const bodies = i % 3 === 0 ? [] : [bytes(i % 61, i), bytes((i * 7) % 23, i + 1)];
    const json = JSON.stringify({ i, text: 'é✓'.repeat(i % 5) });
    assert.equal(w.write(json, bodies), true, `record ${i} fits an empty ring`);
    const got = r.read();
    assert.ok(got, `record ${i} is there`);
    assert.equal(got.json, json);
    assert.deepEqual(got.bodies, bodies);
    assert.equal(r.read(), undefined);
  }
});

test('ring: a record that does not fit is refused whole; space comes back as the reader reads', () => {
  const sab = createRing(128);
  const w = new RingWriter(sab);
  const r = new RingReader(sab);
  const body = bytes(40, 3);
  // Each record: 4 + 4 + 2 ('{}') + 4 + 4 + 40 = 58 bytes; two fit in 128, a third does not.
  assert.equal(w.write('{}', [body]), true);
  assert.equal(w.write('{}', [body]), true);
  assert.equal(w.write('{}', [body]), false);
  assert.equal(w.write('{}', [bytes(200, 1)]), false, 'larger than the whole ring');
  assert.deepEqual(r.read()?.bodies, [body]);
  assert.equal(w.write('{"third":1}', [body]), true);
  assert.equal(r.read()?.json, '{}');
  assert.equal(r.read()?.json, '{"third":1}');
  assert.equal(r.read(), undefined);
  assert.throws(() => createRing(100), /power of two/);
});

test('ring encoding: the worker gets each message as sent with its place among posted batches, bodies as Buffers; rules are never ring records', () => {
  const reqBody = bytes(10, 5);
  const respBody = bytes(33, 6);
  const messages: ToWorker[] = [
    { t: 'send', id: 1, req: { origin: 'http://m', method: 'POST', path: '/a?b=1', headers: { 'x-a': ['1', '2'], accept: '*/*' }, queuedAt: 5, body: reqBody } },
    { t: 'begin', id: 2, route: 'r', served: 'legacy', other: { origin: 'http://m', method: 'GET', path: '/x', headers: {}, queuedAt: 6 }, noise: { origin: 'http://l', method: 'PUT', path: '/x', headers: {}, queuedAt: 6, body: reqBody }, returnOther: true },
    { t: 'primary', id: 2, primary: { ok: true, response: { status: 200, headers: { 'content-type': 'application/json' }, body: respBody }, ms: 1.5 }, reply: true },
    { t: 'primary', id: 3, primary: { ok: false, reason: 'timeout', detail: 'slow', status: 504 }, reply: false },
  ];
  for (const m of messages) {
    const rec = toRing(m, 7);
    assert.ok(rec);
    const back = fromRing({ json: rec.json, bodies: rec.bodies.map((b) => Buffer.from(b)) });
    assert.deepEqual(back, { after: 7, message: m });
  }
  assert.equal(toRing({ t: 'rules', route: 'r', version: 1, rules: {}, autoIgnoreNoise: false, knownNoise: [] }, 0), undefined);
  assert.throws(() => fromRing({ json: '{"after":0,"m":{"t":"primary","id":1,"primary":{"ok":true,"response":{"status":200,"headers":{},"body":0},"ms":1},"reply":true}}', bodies: [] }), /refers to body 0 of 0/);
});

test('ring: a reader on another thread that sleeps between records gets a doorbell per sleep and misses none', async () => {
  const sab = createRing(1024);
  // The reader reads until empty, announces sleep, and waits for a doorbell message (as the shadow worker does).
  const reader = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     import(workerData.module).then(async ({ RingReader }) => {
       const r = new RingReader(workerData.sab);
       let doorbell;
       parentPort.on('message', () => doorbell?.());
       for (;;) {
         let rec;
         while ((rec = r.read()) !== undefined) parentPort.postMessage(JSON.parse(rec.json).i + ':' + rec.bodies.map((b) => b.length).join(','));
         if (r.sleep()) {
           await new Promise((resolve) => { doorbell = resolve; });
           r.awake();
         }
       }
     });`,
    { eval: true, workerData: { sab, module: new URL('../../gateway/shadow-ring.js', import.meta.url).href } },
  );
  try {
    const w = new RingWriter(sab);
    const got: string[] = [];
    let seen!: () => void;
    reader.on('message', (m: string) => {
      got.push(m);
      seen?.();
    });
    const expected: string[] = [];
    let doorbells = 0;
    for (let i = 0; i < 60; i++) {
      const bodies = [bytes(i * 5, i)];
      // Spaced out, so that the reader has gone to sleep before most records, and now and then two at once.
      if (i % 10 !== 0) await new Promise((r) => setTimeout(r, 2));
      while (!w.write(JSON.stringify({ i }), bodies)) await new Promise((r) => setTimeout(r, 1));
      if (w.wake()) {
        doorbells++;
        reader.postMessage('ring');
      }
      expected.push(`${i}:${i * 5}`);
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reader got ${got.length} of ${expected.length} records`)), 5000);
      seen = () => {
        if (got.length === expected.length) {
          clearTimeout(timer);
          resolve();
        }
      };
      seen();
    });
    assert.deepEqual(got, expected);
    assert.ok(doorbells > 0 && doorbells <= expected.length, `${doorbells} doorbells for ${expected.length} records`);
  } finally {
    await reader.terminate();
  }
});
