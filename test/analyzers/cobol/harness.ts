/** Shared setup for the COBOL frontend tests: a frontend context over test/fixtures/cobol. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectCicsDefinitions, type CobolFrontendContext } from '../../../analyzers/cobol/index.js';
import { repoRoot } from '../../helpers/tmp.js';

export const fixturesRoot = join(repoRoot, 'test', 'fixtures', 'cobol');

/** A context like `ficus analyze` builds: root, copybook directories, a file reader, CICS definitions. */
export function fixtureContext(includeDirs: string[], cicsFiles: string[] = []): CobolFrontendContext {
  return {
    root: fixturesRoot,
    includePaths: includeDirs.map((d) => join(fixturesRoot, d)),
    readFile: (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined),
    cics: collectCicsDefinitions(cicsFiles.map((f) => ({ path: f, text: readFileSync(join(fixturesRoot, f), 'utf8') }))),
  };
}

export function fixtureFile(rel: string): { path: string; absolutePath: string; text: string } {
  const absolutePath = join(fixturesRoot, rel);
  return { path: rel, absolutePath, text: readFileSync(absolutePath, 'utf8') };
}

/**
 * Compares `actual` with the golden JSON at `rel` (relative to the fixtures root). With
 * FICUS_UPDATE_GOLDEN=1 the golden file is rewritten instead (review the diff before committing).
 */
export function golden(rel: string, actual: unknown): unknown {
  const file = join(fixturesRoot, rel);
  const json = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.FICUS_UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.CI === 'true' && !existsSync(file)) throw new Error(`golden file ${rel} is missing`);
    writeFileSync(file, json);
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}
