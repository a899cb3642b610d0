import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { coreErrorCodes } from '../../core/errors.js';
import { repoRoot } from '../helpers/tmp.js';

/** Every `code = 'FICUS_…'` declared in the TypeScript sources of the product (not tests). */
const literals = new Set<string>();
function declaredCodes(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) {
        const src = readFileSync(p, 'utf8');
        for (const m of src.matchAll(/\bcode\s*=\s*'(FICUS_[A-Z0-9_]+)'/g)) {
          found.set(m[1]!, [...(found.get(m[1]!) ?? []), p.slice(repoRoot.length)]);
        }
        // Codes used inline (e.g. in an HTTP error body) must be documented too.
        for (const m of src.matchAll(/'(FICUS_[A-Z0-9_]+)'/g)) literals.add(m[1]!);
      }
    }
  };
  for (const part of ['core', 'cli', 'gateway', 'bridges', 'analyzers']) {
    try {
      walk(join(repoRoot, part));
    } catch {
      /* a part that does not exist yet declares nothing */
    }
  }
  return found;
}

test('every error code is declared once and documented in docs/errors.md', () => {
  const docs = readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8');
  const declared = declaredCodes();
  assert.ok(declared.size >= coreErrorCodes.length, 'the scan found the core catalog');
  for (const code of coreErrorCodes) assert.ok(declared.has(code), `${code} is declared in source`);
  for (const [code, files] of declared) {
    assert.equal(files.length, 1, `${code} declared more than once: ${files.join(', ')}`);
    assert.ok(docs.includes(`\`${code}\``), `${code} (${files[0]}) is not documented in docs/errors.md`);
  }
  for (const code of literals) assert.ok(docs.includes(`\`${code}\``), `${code} is used in source but not documented in docs/errors.md`);
});
