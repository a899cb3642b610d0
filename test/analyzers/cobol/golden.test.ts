import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cobolFrontend } from '../../../analyzers/cobol/index.js';
import { fixtureContext, fixtureFile, golden } from './harness.js';

/**
 * Golden tests: each fixture program → the complete analysis (rules with kind, condition,
 * fields and evidence lines; programs; operations with request/response schemas; record
 * schemas; diagnostics), compared with `<program>.expected.json` next to the fixture.
 * Regenerate with `FICUS_UPDATE_GOLDEN=1 node --test dist/test/analyzers/cobol/` and review the diff.
 */
const cases = [
  { file: 'loan/LOANAPRV.cbl', includes: ['loan/copybooks'], cics: [] as string[] },
  { file: 'cics/CUSTINQ.cbl', includes: ['cics/copybooks'], cics: ['cics/CUSTINQ.csd', 'cics/LS2WS.jcl'] },
  { file: 'free/PAYCALC.cbl', includes: [], cics: [] },
  { file: 'broken/BROKEN.cbl', includes: [], cics: [] },
];

describe('COBOL golden fixtures', () => {
  for (const c of cases) {
    test(c.file, async () => {
      const result = await cobolFrontend.analyze(fixtureFile(c.file), fixtureContext(c.includes, c.cics));
      const actual = JSON.parse(JSON.stringify(result)) as unknown;
      assert.deepEqual(actual, golden(c.file.replace(/\.cbl$/, '.expected.json'), actual));
    });
  }
});
