/**
 * COBOL analysis rate: generates a corpus of ~25k lines (programs in fixed format sharing
 * copybooks, with nested IF/EVALUATE, arithmetic, PERFORM THRU, EXEC SQL) and prints lines/s for
 * the whole pipeline (read, COPY expansion, parse, rules, structure, schemas). Issue #5's goal
 * is ≤ 5 s for ~25k lines. No assertions (benchmarks never fail the suite); prints the ratio of
 * the large corpus' rate to a 1/5-size corpus' rate measured in the same run (≈1 means linear).
 *
 * Run: npx tsc -p tsconfig.json && node dist/test/bench/cobol.bench.js [targetLines]
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCobolFrontend } from '../../analyzers/cobol/index.js';

const pad = (s: string): string => `       ${s}`;

function copybook(k: number): string {
  const lines = [`01  CB${k}-RECORD.`, `    05  CB${k}-ID            PIC X(10).`, `    05  CB${k}-STATUS        PIC X.`, `        88  CB${k}-ACTIVE    VALUE 'A'.`, `        88  CB${k}-CLOSED    VALUE 'C'.`];
  for (let i = 0; i < 20; i++) lines.push(`    05  CB${k}-AMT-${i}       PIC S9(7)V99 COMP-3.`);
  lines.push(`    05  CB${k}-COUNT         PIC 9(2) COMP.`, `    05  CB${k}-ITEMS OCCURS 0 TO 20 TIMES DEPENDING ON CB${k}-COUNT.`, `        10  CB${k}-ITEM      PIC X(8).`);
  return lines.map(pad).join('\n') + '\n';
}

function program(n: number, paragraphs: number): string {
  const k = n % 5;
  const out = ['IDENTIFICATION DIVISION.', `PROGRAM-ID. PGM${n}.`, 'DATA DIVISION.', 'WORKING-STORAGE SECTION.', '01  WS-TOTAL        PIC S9(9)V99 COMP-3.', '01  WS-RATE         PIC 9V9(4) VALUE 0.0425.', '01  WS-ERR          PIC X(3).', `COPY CB${k}.`, 'LINKAGE SECTION.', `COPY CB${(k + 1) % 5}.`, `PROCEDURE DIVISION USING CB${(k + 1) % 5}-RECORD.`, 'MAIN-PARA.'];
  for (let p = 0; p < paragraphs; p++) out.push(`    PERFORM P${p}-START THRU P${p}-EXIT`);
  out.push('    GOBACK.');
  for (let p = 0; p < paragraphs; p++) {
    const a = `CB${k}-AMT-${p % 20}`;
    out.push(
      `P${p}-START.`,
      `    IF CB${k}-ACTIVE AND ${a} > ${1000 + p}`,
      `        COMPUTE WS-TOTAL ROUNDED = WS-TOTAL + ${a} * WS-RATE`,
      `        EVALUATE TRUE`,
      `            WHEN ${a} > 50000`,
      `                MOVE 'E${String(p % 100).padStart(2, '0')}' TO WS-ERR`,
      `                GO TO P${p}-EXIT`,
      `            WHEN ${a} > 10000`,
      `                ADD ${p} TO WS-TOTAL`,
      `            WHEN OTHER`,
      `                CONTINUE`,
      `        END-EVALUATE`,
      `    ELSE`,
      `        SUBTRACT ${a} FROM WS-TOTAL`,
      `    END-IF`,
      `    EXEC SQL`,
      `        UPDATE ACCOUNTS SET BALANCE = :WS-TOTAL`,
      `         WHERE ID = :CB${k}-ID`,
      `    END-EXEC.`,
      `P${p}-EXIT.`,
      `    EXIT.`,
    );
  }
  return out.map(pad).join('\n') + '\n';
}

function corpus(dir: string, targetLines: number): { files: string[]; lines: number } {
  mkdirSync(join(dir, 'copy'), { recursive: true });
  for (let k = 0; k < 5; k++) writeFileSync(join(dir, 'copy', `CB${k}.cpy`), copybook(k));
  const files: string[] = [];
  let lines = 0;
  for (let n = 0; lines < targetLines; n++) {
    const text = program(n, 24);
    const rel = `PGM${n}.cbl`;
    writeFileSync(join(dir, rel), text);
    files.push(rel);
    lines += text.split('\n').length - 1;
  }
  return { files, lines };
}

function run(targetLines: number): { lines: number; seconds: number; rules: number } {
  const dir = mkdtempSync(join(tmpdir(), 'ficus-cobol-bench-'));
  try {
    const { files, lines } = corpus(dir, targetLines);
    const frontend = createCobolFrontend();
    const ctx = { root: dir, includePaths: [join(dir, 'copy')], readFile: (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined) };
    const texts = files.map((f) => ({ path: f, absolutePath: join(dir, f), text: readFileSync(join(dir, f), 'utf8') }));
    const start = process.hrtime.bigint();
    let rules = 0;
    for (const file of texts) rules += (frontend.analyze(file, ctx) as { rules: unknown[] }).rules.length;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { lines, seconds, rules };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const target = Number(process.argv[2] ?? 25000);
run(2000); // warm-up (JIT)
const small = run(Math.round(target / 5));
const big = run(target);
const rate = (r: { lines: number; seconds: number }): number => r.lines / r.seconds;
console.log(`cobol analysis: ${big.lines} lines (+ 5 copybooks) in ${big.seconds.toFixed(3)} s = ${Math.round(rate(big))} lines/s, ${big.rules} rules`);
console.log(`baseline ${small.lines} lines: ${Math.round(rate(small))} lines/s; rate ratio large/small = ${(rate(big) / rate(small)).toFixed(2)} (≈1 means linear)`);
