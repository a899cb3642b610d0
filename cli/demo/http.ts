/**
 * The tiny node:http JSON server both demo bank services run on: one handler per request that
 * returns a status and a body, bound to 127.0.0.1 on port 0, closed with its open connections.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JsonRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface JsonReply {
  status: number;
  body: unknown;
}

export interface JsonService {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a JSON service on 127.0.0.1:0. A handler that throws answers 500. */
export async function startJsonService(handle: (req: JsonRequest) => JsonReply): Promise<JsonService> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let reply: JsonReply;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        reply = handle({ method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]!, body: text ? (JSON.parse(text) as unknown) : undefined });
      } catch (err) {
        reply = { status: 500, body: { error: err instanceof Error ? err.message : String(err) } };
      }
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Money as the bank prints it: cents (a bigint) to a decimal string with two places. */
export function formatCents(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}
