/**
 * The demo bank's modern TypeScript replacement: right on accounts and loans, subtly wrong on
 * loan interest. It rounds half to even ("banker's rounding", a common library default) where
 * the COBOL `COMPUTE ... ROUNDED` rounds half-up, so loans whose interest lands exactly on half a
 * cent come out one cent lower. The gateway's comparison catches it and keeps the route in shadow.
 * It reads the legacy database (read-only) and never writes.
 */
import type Database from 'better-sqlite3';
import { bankRoutes } from './legacy.js';
import { startJsonService, type JsonService } from './http.js';

/** Monthly interest in cents, rounded half to even: the demo's deliberate bug. */
export function halfEvenMonthlyInterest(principalCents: number, rateBp: number): bigint {
  const n = BigInt(principalCents) * BigInt(rateBp);
  const q = n / 120_000n;
  const r = n % 120_000n;
  if (r * 2n > 120_000n || (r * 2n === 120_000n && q % 2n === 1n)) return q + 1n;
  return q;
}

export async function startModernService(db: Database.Database): Promise<JsonService> {
  const read = bankRoutes(db, halfEvenMonthlyInterest);
  return startJsonService(({ method, path }) => read(method, path) ?? { status: 404, body: { error: 'not found' } });
}
