import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from '../../helpers/tmp.js';
import { fixturesRoot } from './harness.js';

/**
 * The fixtures are real COBOL: GnuCOBOL (`cobc -fsyntax-only`) accepts them. EXEC SQL/CICS
 * blocks are what the DB2/CICS precompilers replace, so they are blanked first (INCLUDE becomes
 * COPY), keeping every line and column in place. Skips, saying so, when cobc is not installed
 * (`apt-get install gnucobol`); CI does not require it.
 */
const cobc = spawnSync('cobc', ['--version'], { encoding: 'utf8' });
const missing = cobc.error !== undefined || cobc.status !== 0 ? 'cobc (GnuCOBOL) is not installed: apt-get install -y gnucobol' : false;

/** What a precompiler does to EXEC blocks, without moving any other text. */
export function precompile(text: string): string {
  return text.replace(/EXEC\s+(SQL|CICS)([\s\S]*?)END-EXEC/gi, (block: string, _kind: string, body: string) => {
    const include = /^\s*INCLUDE\s+(\S+)\s*$/i.exec(body);
    const lines = block.replace(/[^\n]/g, ' ').split('\n');
    lines[0] = (include ? `COPY ${include[1]}` : 'CONTINUE').padEnd(lines[0]!.length, ' ');
    return lines.join('\n');
  });
}

const programs = [
  { file: 'loan/LOANAPRV.cbl', copybooks: 'loan/copybooks', free: false },
  { file: 'cics/CUSTINQ.cbl', copybooks: 'cics/copybooks', free: false },
  { file: 'free/PAYCALC.cbl', copybooks: 'free', free: true },
];

describe('fixtures compile with GnuCOBOL', { skip: missing }, () => {
  for (const p of programs) {
    test(`cobc -fsyntax-only ${p.file}`, (t) => {
      const dir = tempDir(t, 'ficus-cobc-');
      const target = join(dir, basename(p.file));
      writeFileSync(target, precompile(readFileSync(join(fixturesRoot, p.file), 'utf8')));
      const args = ['-fsyntax-only', ...(p.free ? ['-free'] : []), '-I', join(fixturesRoot, p.copybooks), target];
      const r = spawnSync('cobc', args, { encoding: 'utf8' });
      assert.equal(r.status, 0, `cobc ${args.join(' ')}:\n${r.stderr}${r.stdout}`);
    });
  }

  test('the broken fixture is rejected by cobc too', (t) => {
    const dir = tempDir(t, 'ficus-cobc-');
    const target = join(dir, 'BROKEN.cbl');
    writeFileSync(target, readFileSync(join(fixturesRoot, 'broken/BROKEN.cbl'), 'utf8'));
    const r = spawnSync('cobc', ['-fsyntax-only', target], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
  });
});
