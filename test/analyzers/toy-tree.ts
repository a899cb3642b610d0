/** A small tree of toy sources (see toy-frontend.ts) in a temp dir, shared by the analyzer tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from '../helpers/tmp.js';

export const LOANS = `program LOANS
para MAIN
perform CHECK
call RATES
para CHECK
sql SELECT CUSTOMER
sql UPDATE LOAN
file OPEN-INPUT LOANFILE
cics READ ACCTFILE
copy LOANREC
op post /loans ApplyLoan
if AMOUNT > 0
if CREDIT < 660
rule decision WS-RATE := 0.12 | with a pipe
end
rule validation WS-STATUS := 'OK'
end
rule calculation WS-TOTAL := AMOUNT * 1.05
para UNUSED
sql DELETE LOAN
`;

export const RATES = `program RATES
para START
op get /rates/{code} GetRate
rule calculation WS-RATE := BASE + MARGIN
`;

/** Writes `files` (relative path → text) under a new temp dir; returns the dir. */
export function writeTree(t: TestContext, files: Record<string, string>): string {
  const dir = tempDir(t, 'ficus-an-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** The standard tree: two programs, a copybook dir, a file no frontend accepts, and dirs the walk skips. */
export function toyTree(t: TestContext): string {
  return writeTree(t, {
    'src/loans.toy': LOANS,
    'src/rates/rates.toy': RATES,
    'src/readme.txt': 'not code\n',
    'src/node_modules/dep/x.toy': 'program NOPE\n',
    'src/.git/hooks/y.toy': 'program NOPE\n',
    'copy/LOANREC.toy': 'field AMOUNT\nfield CREDIT\n',
  });
}
