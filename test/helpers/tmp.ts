/** Temporary directories for tests, removed in `t.after`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export function tempDir(t: TestContext, prefix = 'ficus-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Absolute path of the repository root (tests run from `dist/test/...`). */
export const repoRoot = new URL('../../../', import.meta.url).pathname;
