/**
 * The pino logger every part uses (fastify's own logger). Logs go to stderr so that command
 * output on stdout stays machine-readable. Credentials never reach a log line: Authorization,
 * Cookie and Set-Cookie headers are redacted wherever they appear, plus any configured paths.
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;

/** Redaction paths applied to every logger, whatever the config says. */
export const defaultRedactPaths: readonly string[] = Object.freeze([
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
]);

export interface LoggerOptions {
  level?: string;
  /** Extra redaction paths (pino syntax), added to `defaultRedactPaths`. */
  redact?: readonly string[];
  /** Where to write; defaults to stderr. */
  destination?: DestinationStream;
  /** Bindings on every line, e.g. `{ component: 'gateway' }`. */
  base?: Record<string, unknown>;
}

/** Creates the root logger; parts derive child loggers with their bindings. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? null,
      redact: { paths: [...defaultRedactPaths, ...(options.redact ?? [])], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
