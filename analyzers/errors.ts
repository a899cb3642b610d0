/**
 * Errors the analyzers raise, each with a stable `FICUS_AN_*` code (documented in
 * docs/errors.md under "Analyzers"). Problems inside one analyzed file never become errors:
 * they are diagnostics in the output. Errors here are for what stops a whole run: a bad path,
 * nothing to analyze, an output directory that cannot be written, a frontend module that is
 * not a frontend. Frontend authors append their own codes below; codes are never reused.
 */
import { FicusError, type FicusErrorOptions } from '../core/errors.js';

/** Base for analyzer errors. */
export class AnalyzerError extends FicusError {
  constructor(code: string, message: string, options: FicusErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A path given to `ficus analyze` (input or `--copybooks`) does not exist or cannot be read. */
export class AnalyzePathInvalidError extends AnalyzerError {
  static readonly code = 'FICUS_AN_PATH_INVALID';
  readonly path: string;
  constructor(path: string, role: 'input' | 'copybooks', cause?: unknown) {
    const reason = cause instanceof Error && 'code' in cause ? ` (${String((cause as NodeJS.ErrnoException).code)})` : '';
    const what = role === 'input' ? 'path' : '--copybooks directory';
    super(AnalyzePathInvalidError.code, `${what} not found or unreadable: ${path}${reason}`, { cause });
    this.path = path;
  }
}

/** No file under the given paths is accepted by any frontend: nothing could be analyzed. */
export class NothingToAnalyzeError extends AnalyzerError {
  static readonly code = 'FICUS_AN_NO_INPUT';
  constructor(paths: readonly string[], ignored: number, languages: readonly string[]) {
    const known = languages.length ? languages.join(', ') : 'none registered';
    super(
      NothingToAnalyzeError.code,
      `nothing to analyze in ${paths.join(', ')}: ${ignored} file${ignored === 1 ? '' : 's'} found, none in a supported language (${known})`,
    );
  }
}

/** The output directory or one of its files cannot be written. */
export class OutputWriteError extends AnalyzerError {
  static readonly code = 'FICUS_AN_OUTPUT';
  constructor(path: string, cause: unknown) {
    super(OutputWriteError.code, `cannot write ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** A module named by `--frontend` cannot be loaded or does not export a frontend. */
export class FrontendInvalidError extends AnalyzerError {
  static readonly code = 'FICUS_AN_FRONTEND_INVALID';
  constructor(module: string, reason: string, cause?: unknown) {
    super(FrontendInvalidError.code, `--frontend ${module}: ${reason}`, { cause });
  }
}

/**
 * A frontend threw while analyzing one file (a bug in the frontend: the contract says bad input
 * becomes diagnostics). Never thrown out of a run: it is reported as an `error` diagnostic for
 * that file, with the line when the thrown error carries one, and the run goes on.
 */
export class FrontendFailedError extends AnalyzerError {
  static readonly code = 'FICUS_AN_FRONTEND_FAILED';
  readonly line: number;
  constructor(language: string, path: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(FrontendFailedError.code, `${language} analyzer failed on ${path}: ${detail}`, { cause });
    this.line = lineOf(cause);
  }
}

/** The 1-based line a thrown error names (`line` or `lineNumber` property), or 0 when none. */
function lineOf(err: unknown): number {
  if (err && typeof err === 'object') {
    for (const key of ['line', 'lineNumber', 'startLine'] as const) {
      const v = (err as Record<string, unknown>)[key];
      if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
    }
  }
  return 0;
}

/** Every code in this catalog; the docs test reads the source for them. */
export const analyzerErrorCodes: readonly string[] = Object.freeze([
  AnalyzePathInvalidError.code,
  NothingToAnalyzeError.code,
  OutputWriteError.code,
  FrontendInvalidError.code,
  FrontendFailedError.code,
]);
