/**
 * Errors the bridges raise, each with a stable `FICUS_BR_*` code documented in docs/errors.md.
 * Foreign errors (pg, mysql2/zongji, kafkajs) are translated at each source's or sink's
 * boundary; `retriable` says whether the bridge should back off and try again.
 */
import { FicusError, type FicusErrorOptions } from '../core/errors.js';

export class BridgeError extends FicusError {
  constructor(code: string, message: string, options: FicusErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A configured table does not exist in the source database (or has no primary key). */
export class UnknownTableError extends BridgeError {
  static readonly code = 'FICUS_BR_UNKNOWN_TABLE';
  constructor(table: string, detail: string) {
    super(UnknownTableError.code, `table ${table}: ${detail}`);
  }
}

/** The source database is not set up for change capture (wal_level, binlog_format, ...). */
export class SourceNotReadyError extends BridgeError {
  static readonly code = 'FICUS_BR_SOURCE_NOT_READY';
  constructor(message: string) {
    super(SourceNotReadyError.code, message);
  }
}

/** The source connection failed or dropped; the bridge reconnects and resumes from its checkpoint. */
export class SourceConnectionError extends BridgeError {
  static readonly code = 'FICUS_BR_SOURCE_CONNECTION';
  constructor(message: string, cause?: unknown) {
    super(SourceConnectionError.code, message, { cause, retriable: true });
  }
}

/** The sink could not take events now (broker down, ...); the bridge retries, never drops. */
export class SinkUnavailableError extends BridgeError {
  static readonly code = 'FICUS_BR_SINK_UNAVAILABLE';
  constructor(message: string, cause?: unknown) {
    super(SinkUnavailableError.code, message, { cause, retriable: true });
  }
}

/** A stored checkpoint cannot be used by this source (different source kind, or the position is gone). */
export class CheckpointError extends BridgeError {
  static readonly code = 'FICUS_BR_CHECKPOINT';
  constructor(message: string) {
    super(CheckpointError.code, message);
  }
}

/** A mapping `when` expression does not parse or names something that does not exist. */
export class ExpressionError extends BridgeError {
  static readonly code = 'FICUS_BR_EXPRESSION';
  readonly column: number;
  constructor(expression: string, column: number, message: string) {
    super(ExpressionError.code, `${message} at column ${column} in ${JSON.stringify(expression)}`);
    this.column = column;
  }
}

/**
 * The sink refused the events for a reason retrying will not fix (a record over the broker's size
 * limit, an invalid topic name, not authorized). Not retriable: the bridge stops without
 * acknowledging the source, so nothing is lost while an operator fixes the cause.
 */
export class SinkRejectedError extends BridgeError {
  static readonly code = 'FICUS_BR_SINK_REJECTED';
  constructor(message: string, cause?: unknown) {
    super(SinkRejectedError.code, message, { cause, retriable: false });
  }
}

/** `publish` was called on a sink after its `close()`. */
export class SinkClosedError extends BridgeError {
  static readonly code = 'FICUS_BR_SINK_CLOSED';
  constructor(kind: string) {
    super(SinkClosedError.code, `the ${kind} sink is closed; create a new one to publish again`);
  }
}

/** A sink factory was given options it cannot use; the message names the option and the value. */
export class SinkOptionsInvalidError extends BridgeError {
  static readonly code = 'FICUS_BR_SINK_OPTIONS_INVALID';
  constructor(message: string) {
    super(SinkOptionsInvalidError.code, message);
  }
}

/** A record read back from a sink is not a CloudEvent Ficus can decode (missing or malformed attribute). */
export class EventDecodeError extends BridgeError {
  static readonly code = 'FICUS_BR_EVENT_INVALID';
  constructor(message: string, cause?: unknown) {
    super(EventDecodeError.code, message, { cause });
  }
}

/**
 * A source was given options it cannot use, or called out of order (start() while started): a
 * programming or configuration mistake, not retriable. The message names the option and value.
 */
export class SourceUsageError extends BridgeError {
  static readonly code = 'FICUS_BR_SOURCE_USAGE';
  constructor(message: string) {
    super(SourceUsageError.code, message);
  }
}

/**
 * The analyzer output given to `ficus bridge suggest --rules` cannot be used: unreadable, not
 * JSON, or its `events` are not the analyzer's `{table, operation, name}` entries. The message
 * names the file and the entry.
 */
export class RulesFileInvalidError extends BridgeError {
  static readonly code = 'FICUS_BR_RULES_INVALID';
  constructor(message: string, cause?: unknown) {
    super(RulesFileInvalidError.code, message, { cause });
  }
}
