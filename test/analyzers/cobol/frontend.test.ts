import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { analyzeCobol, cobolFrontend, collectCicsDefinitions } from '../../../analyzers/cobol/index.js';
import { analyzePicture } from '../../../analyzers/cobol/data.js';
import { readSource } from '../../../analyzers/cobol/source.js';
import { tempDir } from '../../helpers/tmp.js';
import { fixtureContext, fixtureFile } from './harness.js';

const loan = () => analyzeCobol(fixtureFile('loan/LOANAPRV.cbl'), fixtureContext(['loan/copybooks']));
type Props = Record<string, Record<string, unknown>>;

/** Writes a small tree and returns a context over it. */
function tree(t: import('node:test').TestContext, files: Record<string, string>) {
  const root = tempDir(t, 'ficus-cobol-');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  const { readFileSync, existsSync } = require_fs();
  return {
    root,
    ctx: { root, includePaths: [join(root, 'copy')], readFile: (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined) },
    file: (rel: string) => ({ path: rel, absolutePath: join(root, rel), text: files[rel]! }),
  };
}
import * as fs from 'node:fs';
function require_fs() {
  return fs;
}

const fixed = (lines: string[]): string => lines.map((l) => (l.startsWith('*') ? `      ${l}` : `       ${l}`)).join('\n') + '\n';

describe('source reader', () => {
  test('joins a continued literal across the indicator-area hyphen', () => {
    const r = loan();
    const ws = r.schemas['LOANAPRV.WS-MESSAGES'] as { properties: Props };
    assert.equal(ws.properties['WS-DTI-MESSAGE']!.default, 'APPLICATION REJECTED: THE DEBT-TO-INCOME RATIO EXCEEDS THE POLICY LIMIT');
  });

  test('detects free format and drops floating comments', () => {
    const src = readSource('IDENTIFICATION DIVISION.\nPROGRAM-ID. X. *> comment\n');
    assert.equal(src.format, 'free');
    assert.ok(!src.text.includes('comment'));
  });

  test('fixed format ignores the sequence area and columns 73-80', () => {
    const src = readSource('000100 IDENTIFICATION DIVISION.                                         SEQ00001\n000200*COMMENT\n');
    assert.equal(src.format, 'fixed');
    assert.equal(src.text.trim(), 'IDENTIFICATION DIVISION.');
  });
});

describe('data division → JSON Schema (issue #5 mappings)', () => {
  test('PIC X(10), 9(3), S9(7)V99, 88-levels, OCCURS DEPENDING ON, REDEFINES', () => {
    const app = loan().schemas['LOANAPRV.LA-APPLICATION'] as { properties: Props };
    assert.deepEqual(app.properties['LA-APP-ID'], { type: 'string', maxLength: 10, 'x-cobol': 'PIC X(10)' });
    assert.deepEqual(app.properties['LA-TERM-MONTHS'], { type: 'integer', minimum: 0, maximum: 999, 'x-cobol': 'PIC 9(3)' });
    const amount = app.properties['LA-AMOUNT']!;
    assert.equal(amount.type, 'number');
    assert.equal(amount.minimum, -9999999.99);
    assert.equal(amount.maximum, 9999999.99);
    assert.equal(amount.multipleOf, 0.01);
    const emp = app.properties['LA-EMPLOYMENT-TYPE']!;
    assert.deepEqual(emp.enum, ['E', 'S', 'U']);
    assert.match(String(emp.description), /LA-UNEMPLOYED = 'U'/);
    const debts = app.properties['LA-DEBTS']!;
    assert.equal(debts.type, 'array');
    assert.equal(debts.maxItems, 10);
    assert.equal(debts.minItems, 0);
    const applicant = app.properties['LA-APPLICANT'] as { properties: Props };
    const birth = applicant.properties['LA-BIRTH-DATE']!;
    assert.deepEqual((birth.oneOf as { title: string }[]).map((o) => o.title), ['LA-BIRTH-DATE', 'LA-BIRTH-DATE-R']);
  });

  test('picture analysis', () => {
    assert.deepEqual(analyzePicture('S9(7)V99'), { category: 'numeric', length: 9, integerDigits: 7, fractionDigits: 2, scaleLeft: 0, scaleRight: 0, signed: true });
    assert.equal(analyzePicture('ZZZ,ZZ9.99-').category, 'numeric-edited');
    assert.equal(analyzePicture('X(10)').length, 10);
    assert.equal(analyzePicture('A(3)').category, 'alphabetic');
  });
});

describe('business rules', () => {
  test('88-level names are resolved in conditions', () => {
    const rule = loan().rules.find((r) => r.condition?.includes("LA-EMPLOYMENT-TYPE = 'U'"));
    assert.ok(rule, 'the unemployed rule exists');
    assert.equal(rule.condition, "LA-EMPLOYMENT-TYPE = 'U' AND LA-ANNUAL-INCOME < 20000");
    assert.deepEqual(rule.evidence, [{ path: 'loan/LOANAPRV.cbl', startLine: 57, endLine: 60 }]);
    assert.ok(rule.fields.includes('LA-EMPLOYMENT-TYPE') && rule.fields.includes('LA-ANNUAL-INCOME'));
    assert.ok(rule.effects.includes("LA-ERROR-CODE := 'E03'"));
  });

  test('nested rules keep their condition path', () => {
    const rule = loan().rules.find((r) => r.condition === "LA-EMPLOYMENT-TYPE = 'E' OR LA-EMPLOYMENT-TYPE = 'S'");
    assert.deepEqual(rule?.path, ['WHEN WS-SCORE >= 660']);
    const priced = loan().rules.find((r) => r.condition === "LA-LOAN-TYPE BETWEEN 'A' AND 'C'");
    assert.deepEqual(priced?.path, ["IF LA-DECISION = 'A'"]);
  });

  test('technical checks (SQLCODE) are not business rules', () => {
    assert.ok(!loan().rules.some((r) => r.fields.includes('SQLCODE')));
  });

  test('ids are stable across runs and survive lines moving', () => {
    const a = loan();
    const b = loan();
    assert.deepEqual(a.rules.map((r) => r.id), b.rules.map((r) => r.id));
    assert.equal(new Set(a.rules.map((r) => r.id)).size, a.rules.length, 'ids are unique');
    const f = fixtureFile('loan/LOANAPRV.cbl');
    const shifted = analyzeCobol({ ...f, text: `      * AN ADDED COMMENT LINE\n${f.text}` }, fixtureContext(['loan/copybooks']));
    assert.deepEqual(shifted.rules.map((r) => r.id), a.rules.map((r) => r.id));
    assert.equal(shifted.rules[0]!.evidence[0]!.startLine, a.rules[0]!.evidence[0]!.startLine + 1);
  });

  test('rules inside a procedure copybook cite the copybook file and lines', (t) => {
    const { ctx, file } = tree(t, {
      'MAIN.cbl': fixed(['IDENTIFICATION DIVISION.', 'PROGRAM-ID. MAIN.', 'DATA DIVISION.', 'WORKING-STORAGE SECTION.', '01  WS-AMT PIC 9(5).', '01  WS-ERR PIC X(3).', 'PROCEDURE DIVISION.', 'MAIN-PARA.', '    COPY CHKAMT.', '    GOBACK.']),
      'copy/CHKAMT.cpy': fixed(['* AMOUNT CHECK', 'IF WS-AMT > 1000', '    MOVE \'E10\' TO WS-ERR', 'END-IF']),
    });
    const r = analyzeCobol(file('MAIN.cbl'), ctx);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.rules.length, 1);
    assert.deepEqual(r.rules[0]!.evidence, [{ path: 'copy/CHKAMT.cpy', startLine: 2, endLine: 4 }]);
    assert.equal(r.rules[0]!.kind, 'constraint');
  });
});

describe('copybooks', () => {
  test('a COPY cycle is a diagnostic, not a hang or an exception', (t) => {
    const { ctx, file } = tree(t, {
      'P.cbl': fixed(['IDENTIFICATION DIVISION.', 'PROGRAM-ID. P.', 'DATA DIVISION.', 'WORKING-STORAGE SECTION.', 'COPY A.', 'PROCEDURE DIVISION.', '    GOBACK.']),
      'copy/A.cpy': fixed(['01  A-REC PIC X.', 'COPY B.']),
      'copy/B.cpy': fixed(['01  B-REC PIC X.', 'COPY A.']),
    });
    const r = analyzeCobol(file('P.cbl'), ctx);
    const d = r.diagnostics.find((x) => /recursive/.test(x.message));
    assert.ok(d, 'cycle reported');
    assert.equal(d.path, 'copy/B.cpy');
    assert.equal(d.line, 2);
    assert.ok(r.schemas['P.A-REC'] && r.schemas['P.B-REC']);
  });

  test('REPLACING whole words and LEADING parts', (t) => {
    const { ctx, file } = tree(t, {
      'P.cbl': fixed(['IDENTIFICATION DIVISION.', 'PROGRAM-ID. P.', 'DATA DIVISION.', 'WORKING-STORAGE SECTION.', 'COPY REC REPLACING ==XX-LEN== BY ==12==', '    LEADING ==XX== BY ==CUST==.', 'PROCEDURE DIVISION.', '    GOBACK.']),
      'copy/REC.cpy': fixed(['01  XX-RECORD.', '    05  XX-NAME PIC X(XX-LEN).']),
    });
    const r = analyzeCobol(file('P.cbl'), ctx);
    const rec = r.schemas['P.CUST-RECORD'] as { properties: Props } | undefined;
    assert.ok(rec, JSON.stringify(Object.keys(r.schemas)));
    assert.equal(rec.properties['CUST-NAME']!.maxLength, 12);
  });

  test('a missing copybook is a warning at the COPY line; the rest is analyzed', () => {
    const r = analyzeCobol(fixtureFile('broken/BROKEN.cbl'), fixtureContext([]));
    assert.ok(r.diagnostics.some((d) => d.line === 9 && d.severity === 'warning' && /MISSINGBOOK/.test(d.message)));
    assert.ok(r.diagnostics.some((d) => d.line === 12 && /FROB/.test(d.message)));
    assert.ok(r.diagnostics.some((d) => d.line === 13 && /END-IF/.test(d.message)));
    assert.ok(r.diagnostics.some((d) => d.line === 17 && d.severity === 'error' && /END-EXEC/.test(d.message)));
    assert.equal(r.rules.length, 1, 'the valid IF is still a rule');
  });
});

describe('structure', () => {
  test('entry, call graph, dead code, SQL and file dependencies', () => {
    const p = loan().programs[0]!;
    assert.equal(p.entry, '0000-MAIN');
    assert.deepEqual(p.deadCode, [{ name: '9000-LEGACY-REPORT', startLine: 131, endLine: 132 }]);
    assert.deepEqual(p.callGraph!['1000-VALIDATE'], ['1000-REJECT', '1000-EXIT']);
    const deps = Object.fromEntries(p.dependencies.map((d) => [`${d.kind}:${d.target}`, d.operations]));
    assert.deepEqual(deps, { 'sql:LOAN_DECISIONS': ['INSERT'], 'sql:LOAN_HISTORY': ['SELECT'], 'file:AUDIT-FILE': ['OPEN EXTEND', 'WRITE'] });
  });

  test('CICS commands, LINK through a VALUE-initialized program name', () => {
    const r = analyzeCobol(fixtureFile('cics/CUSTINQ.cbl'), fixtureContext(['cics/copybooks']));
    const p = r.programs[0]!;
    assert.deepEqual(p.calls, ['RISKCALC']);
    const deps = Object.fromEntries(p.dependencies.map((d) => [`${d.kind}:${d.target}`, d.operations]));
    assert.deepEqual(deps['cics:CUSTMAST'], ['READ']);
    assert.deepEqual(deps['cics:RISKCALC'], ['LINK']);
    assert.deepEqual(deps['cics:CINQLOG'], ['WRITEQ TS']);
  });
});

describe('interfaces', () => {
  test('USING program: read-only fields in the request, written-only in the response', () => {
    const op = loan().operations[0]!;
    assert.equal(op.operationId, 'loanaprv');
    const req = JSON.stringify(op.requestSchema);
    const res = JSON.stringify(op.responseSchema);
    assert.ok(req.includes('"LA-AMOUNT"') && !res.includes('"LA-AMOUNT"'));
    assert.ok(res.includes('"LA-ERROR-CODE"') && !req.includes('"LA-ERROR-CODE"'));
    assert.ok(req.includes('"LA-DECISION"') && res.includes('"LA-DECISION"'), 'read and written → both');
    assert.ok(loan().rules.every((r) => r.operation === 'loanaprv'));
  });

  test('CICS program: path from DFHLS2WS, layouts from REQMEM/RESPMEM, transaction from the CSD', () => {
    const r = cobolFrontend.analyze(fixtureFile('cics/CUSTINQ.cbl'), fixtureContext(['cics/copybooks'], ['cics/CUSTINQ.csd', 'cics/LS2WS.jcl'])) as ReturnType<typeof analyzeCobol>;
    const op = r.operations[0]!;
    assert.equal(op.path, '/customers/credit-inquiry');
    assert.match(op.summary, /transaction CINQ/);
    assert.deepEqual(Object.keys((op.requestSchema as { properties: Props }).properties), ['CA-CUST-ID', 'CA-REQUESTED-AMOUNT']);
    assert.deepEqual(Object.keys((op.responseSchema as { properties: Props }).properties), ['CA-RETURN-CODE', 'CA-CUST-NAME', 'CA-AVAILABLE', 'CA-RISK-CLASS']);
  });

  test('collectCicsDefinitions reads CSD and assistant jobs', () => {
    const defs = collectCicsDefinitions([
      { path: 'x.csd', text: 'DEFINE TRANSACTION(AB12) GROUP(G1)\n       PROGRAM(PROGA)\n' },
      { path: 'y.jcl', text: '//S1 EXEC DFHWS2LS\n//SYSUT1 DD *\nPGMNAME=PROGB\nURI=svc/b\nREQMEM=BREQ\n/*\n' },
    ]);
    assert.deepEqual(defs.transactions, [{ transaction: 'AB12', program: 'PROGA', group: 'G1', evidence: { path: 'x.csd', startLine: 1, endLine: 2 } }]);
    assert.equal(defs.webServices[0]!.uri, '/svc/b');
    assert.equal(defs.webServices[0]!.requestCopybook, 'BREQ');
  });
});

describe('robustness', () => {
  test('never throws on garbage; reports what it could not read', () => {
    const ctx = fixtureContext([]);
    for (const text of ['', '\u0000\u0001\u0002binary', 'IDENTIFICATION DIVISION.\nPROGRAM-ID.', 'PROCEDURE DIVISION.\n IF IF IF END-IF ELSE WHEN\n', '"unterminated\n'.repeat(50)]) {
      const r = analyzeCobol({ path: 'g.cbl', absolutePath: '/nonexistent/g.cbl', text }, ctx);
      assert.equal(r.source.path, 'g.cbl');
    }
  });

  test('accepts program files, not copybooks', () => {
    assert.equal(cobolFrontend.accepts('a/LOANAPRV.cbl', ''), true);
    assert.equal(cobolFrontend.accepts('a/X.CBL', ''), true);
    assert.equal(cobolFrontend.accepts('a/LOANAPP.cpy', '       01  X PIC X.'), false);
    assert.equal(cobolFrontend.accepts('a/MEMBER', '       IDENTIFICATION DIVISION.\n       PROGRAM-ID. M.'), true);
    assert.equal(cobolFrontend.accepts('a/readme.txt', 'hello'), false);
  });
});

describe('regressions found on public code (aws-mainframe-modernization-carddemo)', () => {
  test('an out-of-line PERFORM inside an inline PERFORM leaves END-PERFORM to the inline one', (t) => {
    const { ctx, file } = tree(t, {
      'P.cbl': fixed(['IDENTIFICATION DIVISION.', 'PROGRAM-ID. P.', 'DATA DIVISION.', 'WORKING-STORAGE SECTION.', '01  WS-N PIC 9 VALUE 0.', 'PROCEDURE DIVISION.', 'A-PARA.', '    PERFORM UNTIL WS-N > 3', '        PERFORM B-PARA THRU B-EXIT', '    END-PERFORM', '    GOBACK.', 'B-PARA.', '    ADD 2 TO WS-N.', 'B-EXIT.', '    EXIT.']),
    });
    const r = analyzeCobol(file('P.cbl'), ctx);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.programs[0]!.deadCode, []);
  });

  test('OCCURS ... DEPENDING ON a qualified counter', (t) => {
    const { ctx, file } = tree(t, {
      'P.cbl': fixed(['IDENTIFICATION DIVISION.', 'PROGRAM-ID. P.', 'DATA DIVISION.', 'WORKING-STORAGE SECTION.', '01  WS-V.', '    02  V-LEN PIC S9(4) BINARY.', '    02  V-CHAR PIC X OCCURS 0 TO 256 TIMES', '            DEPENDING ON V-LEN OF WS-V.', 'PROCEDURE DIVISION.', '    GOBACK.']),
    });
    const r = analyzeCobol(file('P.cbl'), ctx);
    assert.deepEqual(r.diagnostics, []);
    const v = (r.schemas['P.WS-V'] as { properties: Props }).properties['V-CHAR']!;
    assert.equal(v.maxItems, 256);
  });
});
