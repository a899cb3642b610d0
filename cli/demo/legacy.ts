/**
 * The demo bank's legacy service: the COBOL program of examples/bank/cobol behind HTTP, on the
 * legacy SQLite database. Its loan interest follows `COMPUTE LOAN-INTEREST ROUNDED`: COBOL's
 * ROUNDED (no MODE phrase) rounds half away from zero, i.e. half-up for these positive amounts.
 */
import type Database from 'better-sqlite3';
import type { AccountRow, LoanRow } from './bank-db.js';
import { formatCents, startJsonService, type JsonReply, type JsonService } from './http.js';

/** Monthly interest in cents, `principal * rate / 1200` rounded half-up (COBOL ROUNDED). */
export function cobolMonthlyInterest(principalCents: number, rateBp: number): bigint {
  const n = BigInt(principalCents) * BigInt(rateBp);
  return (n * 2n + 120_000n) / 240_000n;
}

export function accountBody(a: AccountRow): object {
  return { id: a.id, owner: a.owner, balance: formatCents(BigInt(a.balance_cents)) };
}

export function loanBody(l: LoanRow): object {
  return { id: l.id, accountId: l.account_id, principal: formatCents(BigInt(l.principal_cents)), ratePercent: formatCents(BigInt(l.rate_bp)), termMonths: l.term_months };
}

/** Routes shared by both services; `interest` is where they differ. */
export function bankRoutes(db: Database.Database, interest: (principalCents: number, rateBp: number) => bigint) {
  return (method: string, path: string): JsonReply | undefined => {
    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /^\/accounts\/(\d+)$/.exec(path))) {
      const a = db.prepare('SELECT * FROM accounts WHERE id = ?').get(Number(m[1])) as AccountRow | undefined;
      return a ? { status: 200, body: accountBody(a) } : { status: 404, body: { error: 'account not found' } };
    }
    if (method === 'GET' && (m = /^\/loans\/(\d+)$/.exec(path))) {
      const l = db.prepare('SELECT * FROM loans WHERE id = ?').get(Number(m[1])) as LoanRow | undefined;
      return l ? { status: 200, body: loanBody(l) } : { status: 404, body: { error: 'loan not found' } };
    }
    if (method === 'GET' && (m = /^\/loans\/(\d+)\/interest$/.exec(path))) {
      const l = db.prepare('SELECT * FROM loans WHERE id = ?').get(Number(m[1])) as LoanRow | undefined;
      return l ? { status: 200, body: { loanId: l.id, interest: formatCents(interest(l.principal_cents, l.rate_bp)) } } : { status: 404, body: { error: 'loan not found' } };
    }
    return undefined;
  };
}

/** Starts the legacy service; it alone writes (POST /transfers, rule 2000-TRANSFER). */
export async function startLegacyService(db: Database.Database, maxTransferCents = 1_000_000): Promise<JsonService> {
  const read = bankRoutes(db, cobolMonthlyInterest);
  const transfer = db.transaction((from: number, to: number, amount: number) => {
    const src = db.prepare('SELECT balance_cents FROM accounts WHERE id = ?').get(from) as { balance_cents: number } | undefined;
    const dst = db.prepare('SELECT id FROM accounts WHERE id = ?').get(to);
    if (!src || !dst || src.balance_cents < amount) return undefined;
    db.prepare('UPDATE accounts SET balance_cents = balance_cents - ? WHERE id = ?').run(amount, from);
    db.prepare('UPDATE accounts SET balance_cents = balance_cents + ? WHERE id = ?').run(amount, to);
    return db.prepare('INSERT INTO transfers (from_id, to_id, amount_cents, created_at) VALUES (?, ?, ?, ?)').run(from, to, amount, new Date().toISOString()).lastInsertRowid;
  });
  return startJsonService(({ method, path, body }) => {
    const r = read(method, path);
    if (r) return r;
    if (method === 'POST' && path === '/transfers') {
      const b = (body ?? {}) as { from?: unknown; to?: unknown; amountCents?: unknown };
      const amount = Number(b.amountCents);
      if (!Number.isInteger(amount) || amount <= 0 || amount > maxTransferCents) return { status: 422, body: { status: 'R', error: 'amount out of range' } };
      const id = transfer(Number(b.from), Number(b.to), amount);
      return id === undefined ? { status: 422, body: { status: 'R', error: 'insufficient funds or unknown account' } } : { status: 201, body: { id: Number(id), status: 'D' } };
    }
    return { status: 404, body: { error: 'not found' } };
  });
}
