/**
 * The shadower's calls on their own (`createShadower`, undici's dispatch API underneath), against
 * real HTTP servers on port 0: what reaches the upstream, what comes back, and each not_compared
 * reason with the status it had.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { createShadower, type ShadowerOptions, type ShadowRequest, type ShadowResult } from '../../gateway/shadow.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function server(t: TestContext, answer: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const s: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const one = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(one);
      answer(req, res, one);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    s.closeAllConnections();
    s.close();
  });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
}

const options = { timeoutMs: 2000, concurrency: 4, queueSize: 10, maxBodyBytes: 1024 };

/** One call through a shadower of its own (closed after the test); fails unless it was not compared. */
async function notCompared(t: TestContext, req: ShadowRequest, opts: ShadowerOptions = options): Promise<Extract<ShadowResult, { ok: false }>> {
  const shadower = createShadower(opts);
  t.after(() => shadower.close());
  const r = await shadower.send(req);
  assert.ok(!r.ok, `expected a not_compared outcome, got ${JSON.stringify(r)}`);
  return r;
}

test('a call keeps the origin base path, the query, the method, the body and the end-to-end headers', async (t) => {
  const up = await server(t, (_req, res) => {
    res.writeHead(201, { 'content-type': 'application/json', 'x-version': '7' });
    res.end('{"ok":true}');
  });
  const shadower = createShadower(options);
  t.after(() => shadower.close());
  const r = await shadower.send({
    origin: `${up.url}/v2`,
    method: 'POST',
    path: '/accounts/42?expand=holder',
    headers: { 'content-type': 'application/json', 'x-trace': 'abc', connection: 'keep-alive', 'transfer-encoding': 'chunked', host: 'client.example' },
    body: Buffer.from('{"amount":5}'),
  });
  assert.equal(r.ok, true, JSON.stringify(r));
  if (!r.ok) return;
  assert.equal(r.response.status, 201);
  assert.equal(r.response.headers['x-version'], '7');
  assert.equal(r.response.body.toString(), '{"ok":true}');
  const call = up.seen[0]!;
  assert.equal(call.method, 'POST');
  assert.equal(call.url, '/v2/accounts/42?expand=holder');
  assert.equal(call.body, '{"amount":5}');
  assert.equal(call.headers['x-trace'], 'abc');
  // Hop-by-hop headers are the shadower's own, not the client's.
  assert.notEqual(call.headers.host, 'client.example');
  assert.equal(call.headers['transfer-encoding'], undefined);
});

test('a body that grows past maxBodyBytes without a content-length is too_large, with its status', async (t) => {
  const up = await server(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    // Chunked: the limit is only found out while reading.
    res.write('['.padEnd(700, ' '));
    setTimeout(() => res.end('1]'.padStart(700, ' ')), 10);
  });
  const r = await notCompared(t, { origin: up.url, method: 'GET', path: '/big', headers: {} });
  assert.equal(r.reason, 'too_large');
  assert.equal(r.status, 200);
  assert.match(r.detail, /over 1024 bytes/);
});

test('a declared content-length over maxBodyBytes is too_large before any body is read', async (t) => {
  const up = await server(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5000' });
    res.end('x'.repeat(5000));
  });
  const r = await notCompared(t, { origin: up.url, method: 'GET', path: '/declared', headers: {} });
  assert.equal(r.reason, 'too_large');
  assert.match(r.detail, /content-length 5000 > 1024/);
});

test('an event stream is not read: streamed, with its status', async (t) => {
  const up = await server(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: 1\n\n'); // and never ends
  });
  const r = await notCompared(t, { origin: up.url, method: 'GET', path: '/events', headers: {} });
  assert.equal(r.reason, 'streamed');
  assert.equal(r.status, 200);
});

test('the timeout counts from queuedAt: time already spent waiting is taken off the budget', async (t) => {
  const up = await server(t, (_req, res) => {
    setTimeout(() => {
      if (!res.destroyed) res.end('late');
    }, 400);
  });
  // Asked for 300 ms ago: 200 ms are left and the upstream needs 400; with the whole 500 ms
  // budget the answer would arrive in time and the call succeed.
  const r = await notCompared(t, { origin: up.url, method: 'GET', path: '/slow', headers: {}, queuedAt: Date.now() - 300 }, { ...options, timeoutMs: 500 });
  assert.equal(r.reason, 'timeout');
  assert.match(r.detail, /no answer within 500 ms/);
});

test('a refused connection is an error that names the cause', async (t) => {
  const up = await server(t, () => {});
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const r = await notCompared(t, { origin: `http://127.0.0.1:${port}`, method: 'GET', path: '/', headers: {} });
  assert.equal(r.reason, 'error');
  assert.match(r.detail, /ECONNREFUSED/);
  assert.equal(up.seen.length, 0);
});
