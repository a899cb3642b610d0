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

// ---------------------------------------------------------------- LLM layer (analyzers/llm/)
// Translated from the Anthropic SDK in one place (analyzers/llm/client.ts); none of these stops
// a run except a bad option: failed calls become diagnostics and the parser results stand.

/** The API key was refused (HTTP 401/403). Not retriable: the rest of the run goes on without the LLM. */
export class LlmAuthError extends AnalyzerError {
  static readonly code = 'FICUS_AN_LLM_AUTH';
  readonly status: number | undefined;
  constructor(baseURL: string, status: number | undefined, cause: unknown) {
    super(LlmAuthError.code, `the LLM endpoint ${baseURL} refused the API key (HTTP ${status ?? '?'}); check ANTHROPIC_API_KEY`, { cause });
    this.status = status;
  }
}

/**
 * The endpoint stayed unavailable (429 rate limit, 529 overloaded, other 5xx, or no connection)
 * through every retry. Retriable later; this chunk is reported as left unanalyzed.
 */
export class LlmUnavailableError extends AnalyzerError {
  static readonly code = 'FICUS_AN_LLM_UNAVAILABLE';
  readonly status: number | undefined;
  readonly attempts: number;
  constructor(baseURL: string, status: number | undefined, attempts: number, cause: unknown) {
    const what = status === undefined ? 'could not be reached' : `answered HTTP ${status}`;
    super(LlmUnavailableError.code, `the LLM endpoint ${baseURL} ${what} after ${attempts} attempt${attempts === 1 ? '' : 's'}`, { cause, retriable: true });
    this.status = status;
    this.attempts = attempts;
  }
}

/** The endpoint rejected the request itself (another 4xx: unknown model, request too large, ...). */
export class LlmRequestError extends AnalyzerError {
  static readonly code = 'FICUS_AN_LLM_REQUEST';
  readonly status: number | undefined;
  constructor(baseURL: string, model: string, status: number | undefined, cause: unknown) {
    const detail = cause && typeof cause === 'object' && typeof (cause as { apiMessage?: unknown }).apiMessage === 'string' ? `: ${(cause as { apiMessage: string }).apiMessage}` : '';
    super(LlmRequestError.code, `the LLM endpoint ${baseURL} rejected a request for model ${model} (HTTP ${status ?? '?'})${detail}`, { cause });
    this.status = status;
  }
}

/** The model answered, but not with the structured output asked for (no tool call, or input not matching the schema). */
export class LlmOutputError extends AnalyzerError {
  static readonly code = 'FICUS_AN_LLM_OUTPUT';
  constructor(what: string, problem: string) {
    super(LlmOutputError.code, `the model's answer for ${what} is not the structured output asked for: ${problem}; its suggestions are ignored`);
  }
}

/** `--llm anthropic` without `ANTHROPIC_API_KEY`: a warning, the run goes on with enrichment off (the LLM is never required). */
export class LlmKeyMissingError extends AnalyzerError {
  static readonly code = 'FICUS_AN_LLM_NO_KEY';
  constructor() {
    super(LlmKeyMissingError.code, '--llm anthropic: ANTHROPIC_API_KEY is not set; LLM enrichment is off for this run');
  }
}

/** A budget was given but the model has no entry in the price table, so no cost can be bounded. Exit 2. */
export class LlmBudgetInvalidError extends AnalyzerError {
  static readonly code = 'FICUS_AN_LLM_BUDGET_INVALID';
  constructor(model: string, known: readonly string[]) {
    super(
      LlmBudgetInvalidError.code,
      `--budget-usd needs a price for model ${model}; add it under analyze.llm.prices (known: ${known.join(', ') || 'none'})`,
    );
  }
}

/** A bad `--llm`, `--budget-usd` or `--llm-concurrency` value. Exit 2. */
export class LlmOptionInvalidError extends AnalyzerError {
  static readonly code = 'FICUS_AN_LLM_OPTION_INVALID';
  constructor(option: string, value: unknown, expected: string) {
    super(LlmOptionInvalidError.code, `${option}: ${expected} (got ${JSON.stringify(value)})`);
  }
}

/** Every code in this catalog; the docs test reads the source for them. */
export const analyzerErrorCodes: readonly string[] = Object.freeze([
  AnalyzePathInvalidError.code,
  NothingToAnalyzeError.code,
  OutputWriteError.code,
  FrontendInvalidError.code,
  FrontendFailedError.code,
  LlmAuthError.code,
  LlmUnavailableError.code,
  LlmRequestError.code,
  LlmOutputError.code,
  LlmKeyMissingError.code,
  LlmBudgetInvalidError.code,
  LlmOptionInvalidError.code,
]);
