/**
 * The error base class every part of Ficus throws, and the catalog of errors owned by
 * `core/` (configuration, store, CLI). Each error has a stable `code` that is never reused;
 * `docs/errors.md` documents every code and a test keeps the two in step. Part catalogs
 * (`gateway/errors.ts`, `bridges/errors.ts`, `analyzers/errors.ts`) extend `FicusError`.
 */

/** Options every Ficus error accepts. */
export interface FicusErrorOptions {
  /** The foreign or lower-level error this one translates. */
  cause?: unknown;
  /** True when retrying the same operation later may succeed. */
  retriable?: boolean;
}

/** Base class: a stable machine-readable `code`, a message naming what is wrong. */
export class FicusError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: FicusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** True for any Ficus error, optionally with a given code. */
export function isFicusError(err: unknown, code?: string): err is FicusError {
  return err instanceof FicusError && (code === undefined || err.code === code);
}

/** One problem found in a configuration file. */
export interface ConfigIssue {
  file: string;
  /** 1-based line, or 0 when the problem is not tied to a line (e.g. an empty file). */
  line: number;
  /** Dotted path to the field, e.g. `gateway.routes[0].mode`; empty for the document itself. */
  path: string;
  message: string;
}

/** Formats an issue as `file:line: path.to.field: what is wrong (got X)`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}` : issue.file;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** The configuration file is invalid; `issues` lists every problem found, not just the first. */
export class ConfigInvalidError extends FicusError {
  static readonly code = 'FICUS_CFG_INVALID';
  readonly issues: readonly ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(ConfigInvalidError.code, `invalid configuration:\n${issues.map(formatConfigIssue).join('\n')}`);
    this.issues = Object.freeze(issues.slice());
  }
}

/** The configuration file cannot be read. */
export class ConfigUnreadableError extends FicusError {
  static readonly code = 'FICUS_CFG_UNREADABLE';
  readonly file: string;
  constructor(file: string, cause: unknown) {
    const reason = cause instanceof Error && 'code' in cause ? String((cause as NodeJS.ErrnoException).code) : String(cause);
    super(ConfigUnreadableError.code, `cannot read config file ${file} (${reason})`, { cause });
    this.file = file;
  }
}

/** A store file was written by a newer Ficus; opening it could corrupt it. */
export class StoreTooNewError extends FicusError {
  static readonly code = 'FICUS_STORE_TOO_NEW';
  constructor(file: string, component: string, found: number, known: number) {
    super(
      StoreTooNewError.code,
      `store ${file} was written by a newer Ficus (${component} schema version ${found}, this build knows up to ${known}); upgrade Ficus or use another store path`,
    );
  }
}

/** The store file cannot be opened or migrated. */
export class StoreOpenError extends FicusError {
  static readonly code = 'FICUS_STORE_OPEN';
  constructor(file: string, cause: unknown) {
    super(StoreOpenError.code, `cannot open store ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** A migration failed; the store is left at the previous version (each migration runs in a transaction). */
export class StoreMigrationError extends FicusError {
  static readonly code = 'FICUS_STORE_MIGRATION';
  constructor(file: string, component: string, version: number, cause: unknown) {
    super(
      StoreMigrationError.code,
      `store ${file}: migration ${component}@${version} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/** Bad command-line usage (unknown option, missing argument). */
export class CliUsageError extends FicusError {
  static readonly code = 'FICUS_CLI_USAGE';
  constructor(message: string) {
    super(CliUsageError.code, message);
  }
}

/** Every code in this catalog; the docs test reads it. */
export const coreErrorCodes: readonly string[] = Object.freeze([
  ConfigInvalidError.code,
  ConfigUnreadableError.code,
  StoreTooNewError.code,
  StoreOpenError.code,
  StoreMigrationError.code,
  CliUsageError.code,
]);
