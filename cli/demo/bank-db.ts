/**
 * The demo bank's legacy SQLite database: accounts, loans and transfers, created and seeded on
 * first use and left as it is when it already exists (so a resumed demo keeps its history).
 * Money is stored in cents and rates in basis points, as the COBOL's fixed-point fields imply
 * (examples/bank/cobol/copybooks).
 */
import Database from 'better-sqlite3';

/** Loan seeds: principal in cents, yearly rate in basis points. Three land on half a cent with an even cent below, where half-up and half-even differ. */
const LOANS: readonly [number, number, number, number][] = [
  // id, account, principal cents, rate bp
  [1, 1, 1_200_120, 500], // 12001.20 at 5.00 %: 5000.5 cents a month, a tie
  [2, 2, 2_500_000, 450], // exact
  [3, 3, 960_360, 625], // 9603.60 at 6.25 %: 5001.875 cents, not a tie
  [4, 4, 2_400_120, 500], // 24001.20 at 5.00 %: 10000.5 cents, a tie
  [5, 5, 1_000_000, 375], // exact
  [6, 1, 480_120, 750], // 4801.20 at 7.50 %: 3000.75 cents, not a tie
  [7, 2, 3_600_120, 400], // 36001.20 at 4.00 %: 12000.4 cents, not a tie
  [8, 3, 1_440_120, 500], // 14401.20 at 5.00 %: 6000.5 cents, a tie
];

/** Opens (creating and seeding when new) the legacy database at `path`. */
export function openBankDb(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, balance_cents INTEGER NOT NULL);
           CREATE TABLE IF NOT EXISTS loans (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, principal_cents INTEGER NOT NULL, rate_bp INTEGER NOT NULL, term_months INTEGER NOT NULL);
           CREATE TABLE IF NOT EXISTS transfers (id INTEGER PRIMARY KEY AUTOINCREMENT, from_id INTEGER NOT NULL, to_id INTEGER NOT NULL, amount_cents INTEGER NOT NULL, created_at TEXT NOT NULL);`);
  const { n } = db.prepare('SELECT COUNT(*) AS n FROM accounts').get() as { n: number };
  if (n === 0) {
    const owners = ['Ada Lovelace', 'Grace Hopper', 'Jean Sammet', 'Mary Hawes', 'Betty Holberton', 'Alan Turing', 'John Backus', 'Kay McNulty'];
    db.transaction(() => {
      owners.forEach((owner, i) => db.prepare('INSERT INTO accounts (id, owner, balance_cents) VALUES (?, ?, ?)').run(i + 1, owner, 1_000_000 + i * 123_45));
      for (const [id, account, principal, rate] of LOANS) {
        db.prepare('INSERT INTO loans (id, account_id, principal_cents, rate_bp, term_months) VALUES (?, ?, ?, ?, 120)').run(id, account, principal, rate);
      }
    })();
  }
  return db;
}

export interface LoanRow {
  id: number;
  account_id: number;
  principal_cents: number;
  rate_bp: number;
  term_months: number;
}

export interface AccountRow {
  id: number;
  owner: string;
  balance_cents: number;
}

/** Loan ids and account ids the traffic generator may ask for. */
export const LOAN_IDS = LOANS.map((l) => l[0]);
/** Accounts only read (transfers never touch them, so legacy and modern always agree). */
export const READ_ACCOUNT_IDS = [1, 2, 3, 4, 5];
/** Accounts transfers move money between. */
export const TRANSFER_ACCOUNT_IDS = [6, 7, 8];
