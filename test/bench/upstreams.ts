/**
 * Child process for `gateway.bench.ts`: the legacy and modern upstreams (node:http, 127.0.0.1,
 * port 0) in a process of their own, so the proxy under test and the load generator do not share
 * its event loop. Both answer every request with the same ~1 KB JSON account, modern with its keys
 * in reverse order (equal for the comparator, not byte-identical, so shadow mode really compares).
 * A delay of 0 answers synchronously (no timer); otherwise after `setTimeout(delay)`.
 *
 * Usage: `node upstreams.js '{"legacyDelayMs":0,"modernDelayMs":0}'`. Prints one JSON line
 * `{"legacy":url,"modern":url}` on stdout; exits on SIGTERM/SIGINT or when its parent's IPC
 * channel closes, so it never outlives the bench.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpstreamsConfig {
  legacyDelayMs: number;
  modernDelayMs: number;
}

export interface UpstreamsUrls {
  legacy: string;
  modern: string;
}

/** A ~1 KB account document, deterministic so every run sends the same bytes. */
function accountDocument(): Record<string, unknown> {
  return {
    id: 42,
    number: 'ACC-0000004242',
    holder: { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0000', since: '2011-03-14T09:26:53.000Z' },
    status: 'active',
    currency: 'EUR',
    balance: { available: 12345.67, ledger: 12400.01, pending: -54.34, overdraftLimit: 500 },
    address: { line1: '12 Analytical Engine Row', line2: null, city: 'London', postcode: 'NW1 6XE', country: 'GB' },
    flags: ['kyc_verified', 'paperless', 'two_factor'],
    limits: { dailyWithdrawal: 1000, dailyTransfer: 25000, monthlyTransfer: 100000 },
    recent: [
      { id: 'tx-9001', at: '2024-05-01T10:00:00.000Z', amount: -12.5, merchant: 'Coffee Cart', category: 'food' },
      { id: 'tx-9002', at: '2024-05-01T12:30:00.000Z', amount: -43.2, merchant: 'Book Shop', category: 'books' },
      { id: 'tx-9003', at: '2024-05-02T08:15:00.000Z', amount: 2500, merchant: 'Payroll', category: 'income' },
      { id: 'tx-9004', at: '2024-05-02T18:45:00.000Z', amount: -89.99, merchant: 'Grocer', category: 'groceries' },
    ],
    branch: { code: '20-00-00', name: 'Marylebone' },
    updatedAt: '2024-05-02T18:45:00.000Z',
  };
}

/** The same value serialised with every object's keys in reverse order. */
function reversedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversedKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).reverse()) out[k] = reversedKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

function upstream(body: Buffer, delayMs: number): Server {
  const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
  const answer = (res: ServerResponse) => {
    if (res.destroyed) return;
    res.writeHead(200, headers);
    res.end(body);
  };
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    // GETs carry no body, but drain whatever comes so keep-alive stays usable.
    req.resume();
    if (delayMs > 0) setTimeout(answer, delayMs, res);
    else answer(res);
  });
}

async function listen(server: Server): Promise<string> {
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as Partial<UpstreamsConfig>;
  const doc = accountDocument();
  const legacy = upstream(Buffer.from(JSON.stringify(doc)), config.legacyDelayMs ?? 0);
  const modern = upstream(Buffer.from(JSON.stringify(reversedKeys(doc))), config.modernDelayMs ?? 0);
  const urls: UpstreamsUrls = { legacy: await listen(legacy), modern: await listen(modern) };

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const s of [legacy, modern]) {
      s.closeAllConnections();
      s.close();
    }
    if (process.connected) process.disconnect();
    // Exit even if a delayed answer is still pending on a timer.
    setTimeout(() => process.exit(0), 200);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  process.stdout.write(JSON.stringify(urls) + '\n');
}

await main();
