/**
 * How MySQL and MariaDB column values become JSON, for the MySQL source (bridges/sources/mysql.ts).
 * One mapping serves both paths a value can arrive by: binlog rows decoded by @vlasky/zongji and
 * snapshot rows read with mysql2 (both configured with `dateStrings`, `jsonStrings`, exact
 * decimals and big numbers as strings), so a row read by the snapshot and the same row seen in
 * the binlog convert to the same JSON. Also owns the JSON Schema each column gets in
 * `describe()`.
 *
 * | MySQL type                              | JSON                                                  |
 * | --------------------------------------- | ----------------------------------------------------- |
 * | TINYINT (incl. TINYINT(1)), SMALLINT,   | number (MySQL booleans are TINYINT(1): 0/1, not       |
 * |   MEDIUMINT, INT, YEAR                  |   true/false, since the column may hold any value)    |
 * | BIGINT (signed and unsigned)            | string of decimal digits, exact                       |
 * | DECIMAL / NUMERIC                       | string, exact, as MySQL prints it (`-12.3400`)        |
 * | FLOAT                                   | number: the shortest decimal that is the same float32 |
 * | DOUBLE                                  | number                                                |
 * | DATE                                    | `YYYY-MM-DD`                                          |
 * | DATETIME(n)                             | `YYYY-MM-DDTHH:MM:SS[.f{n}]`, no offset (see below)   |
 * | TIMESTAMP(n)                            | `YYYY-MM-DDTHH:MM:SS[.f{n}]Z` (UTC)                   |
 * | TIME(n)                                 | `[-]HH:MM:SS[.f{n}]` (may exceed 24 h)                |
 * | CHAR, VARCHAR, TEXT, ENUM, SET          | string (SET as `a,b`; an invalid ENUM '' as `''`)     |
 * | BINARY, VARBINARY, BLOB, VECTOR         | base64 string                                         |
 * | BIT(n)                                  | number for n <= 53, else a string of decimal digits   |
 * | JSON (MySQL type; MariaDB LONGTEXT with | the parsed JSON; numbers a double cannot hold exactly |
 * |   a `json_valid` check)                 |   (big integers) become strings of their digits       |
 * | UUID, INET4, INET6 (MariaDB)            | their text form                                       |
 * | GEOMETRY and friends                    | zongji/mysql2 point objects, best effort              |
 * | NULL                                    | null                                                  |
 *
 * DATETIME has no time zone in MySQL: it stores whatever wall-clock value the application wrote,
 * independent of the server's `time_zone`, so it is rendered without an offset rather than
 * claiming one. TIMESTAMP is an instant and is rendered in UTC. Zero dates (`0000-00-00`, allowed
 * without NO_ZERO_DATE) are passed through in the same layout, e.g. `0000-00-00T00:00:00`.
 */
import { isSafeNumber, parse as parseLosslessJson } from 'lossless-json';
import type { JsonValue } from '../change.js';

/** The families of MySQL column types, each with one JSON rendering. */
export type ColumnKind =
  | 'int'
  | 'bigint'
  | 'decimal'
  | 'float'
  | 'double'
  | 'date'
  | 'datetime'
  | 'timestamp'
  | 'time'
  | 'text'
  | 'binary'
  | 'json'
  | 'enum'
  | 'set'
  | 'bit'
  | 'geometry'
  | 'other';

/** What the mapping needs to know about a column. */
export interface ColumnType {
  kind: ColumnKind;
  /** BIT width. */
  bits?: number;
  /** ENUM value list. */
  values?: string[];
}

const kindByDataType: Readonly<Record<string, ColumnKind>> = Object.freeze({
  tinyint: 'int',
  smallint: 'int',
  mediumint: 'int',
  int: 'int',
  integer: 'int',
  year: 'int',
  bigint: 'bigint',
  decimal: 'decimal',
  numeric: 'decimal',
  fixed: 'decimal',
  float: 'float',
  double: 'double',
  real: 'double',
  'double precision': 'double',
  date: 'date',
  datetime: 'datetime',
  timestamp: 'timestamp',
  time: 'time',
  char: 'text',
  varchar: 'text',
  tinytext: 'text',
  text: 'text',
  mediumtext: 'text',
  longtext: 'text',
  uuid: 'text',
  inet4: 'text',
  inet6: 'text',
  binary: 'binary',
  varbinary: 'binary',
  tinyblob: 'binary',
  blob: 'binary',
  mediumblob: 'binary',
  longblob: 'binary',
  vector: 'binary',
  json: 'json',
  enum: 'enum',
  set: 'set',
  bit: 'bit',
  geometry: 'geometry',
  point: 'geometry',
  linestring: 'geometry',
  polygon: 'geometry',
  multipoint: 'geometry',
  multilinestring: 'geometry',
  multipolygon: 'geometry',
  geometrycollection: 'geometry',
  geomcollection: 'geometry',
});

/**
 * The column's type family from its `COLUMN_TYPE` (`bigint(20) unsigned`, `enum('a','b')`,
 * `datetime(6)`). `isJson` marks MariaDB JSON columns, which information_schema reports as
 * `longtext` with a `json_valid()` check constraint.
 */
export function columnTypeOf(columnType: string, isJson = false): ColumnType {
  const lower = columnType.trim().toLowerCase();
  const base = /^[a-z0-9 ]*?(?=\(|\s+unsigned|\s+signed|\s+zerofill|\s*\/\*|$)/.exec(lower)?.[0].trim() ?? lower;
  if (isJson) return { kind: 'json' };
  const kind = kindByDataType[base] ?? 'other';
  if (kind === 'bit') {
    const width = /^bit\((\d+)\)/.exec(lower);
    return { kind, bits: width ? Number(width[1]) : 1 };
  }
  if (kind === 'enum') return { kind, values: parseValueList(columnType) };
  return { kind };
}

/** ENUM/SET value list from `enum('a','it''s')`; quotes doubled inside values, per SHOW COLUMNS. */
export function parseValueList(columnType: string): string[] {
  const open = columnType.indexOf('(');
  const values: string[] = [];
  if (open < 0) return values;
  let i = open + 1;
  while (i < columnType.length) {
    const quote = columnType[i];
    if (quote !== "'" && quote !== '"') break;
    let value = '';
    i += 1;
    for (; i < columnType.length; i++) {
      const ch = columnType[i]!;
      if (ch === quote) {
        if (columnType[i + 1] === quote) {
          value += quote;
          i += 1;
          continue;
        }
        break;
      }
      if (ch === '\\' && i + 1 < columnType.length) {
        value += columnType[i + 1];
        i += 1;
        continue;
      }
      value += ch;
    }
    values.push(value);
    i += 1; // closing quote
    if (columnType[i] === ',') i += 1;
  }
  return values;
}

/** JSON Schema of a column's values as events carry them (see the table in this file's header). */
export function jsonSchemaOf(type: ColumnType, nullable: boolean): Record<string, unknown> {
  let schema: Record<string, unknown>;
  switch (type.kind) {
    case 'int':
      schema = { type: 'integer' };
      break;
    case 'bigint':
      schema = { type: 'string', pattern: '^-?[0-9]+$', description: 'BIGINT as exact decimal digits' };
      break;
    case 'decimal':
      schema = { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?$', description: 'DECIMAL, exact' };
      break;
    case 'float':
    case 'double':
      schema = { type: 'number' };
      break;
    case 'date':
      schema = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' };
      break;
    case 'datetime':
      schema = {
        type: 'string',
        pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?$',
        description: 'DATETIME: wall-clock time without a zone, as stored',
      };
      break;
    case 'timestamp':
      schema = { type: 'string', format: 'date-time', description: 'TIMESTAMP in UTC' };
      break;
    case 'time':
      schema = { type: 'string', pattern: '^-?[0-9]{2,3}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?$' };
      break;
    case 'text':
    case 'set':
      schema = { type: 'string' };
      break;
    case 'enum':
      schema = { type: 'string', enum: [...(type.values ?? []), ''] };
      break;
    case 'binary':
      schema = { type: 'string', contentEncoding: 'base64' };
      break;
    case 'bit':
      schema = (type.bits ?? 1) <= 53
        ? { type: 'integer', minimum: 0 }
        : { type: 'string', pattern: '^[0-9]+$', description: 'BIT wider than 53 bits as decimal digits' };
      break;
    case 'json':
      // Any JSON value; SQL NULL and JSON null are both null.
      return { description: 'JSON document' };
    case 'geometry':
      return { description: 'spatial value (best effort: points as {x, y})' };
    case 'other':
      return {};
  }
  if (!nullable) return schema;
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  const nullableSchema: Record<string, unknown> = { ...schema, type: [...types, 'null'] };
  if (Array.isArray(schema.enum)) nullableSchema.enum = [...(schema.enum as unknown[]), null];
  return nullableSchema;
}

/** The shortest decimal that reads back as the same float32 (what MySQL stored for FLOAT). */
export function float32Number(value: number): number {
  if (!Number.isFinite(value)) return value;
  const single = Math.fround(value);
  for (let precision = 1; precision <= 9; precision++) {
    const candidate = Number(single.toPrecision(precision));
    if (Math.fround(candidate) === single) return candidate;
  }
  return single;
}

/** JSON text to a value, keeping numbers a double cannot hold exactly as their digit strings. */
export function parseJsonExact(text: string): JsonValue {
  try {
    return parseLosslessJson(text, null, (digits: string) => (isSafeNumber(digits) ? Number(digits) : digits)) as JsonValue;
  } catch {
    // Not JSON after all (a MariaDB JSON column without its json_valid check): keep the text.
    return text;
  }
}

function bitValue(buffer: Buffer, bits: number): JsonValue {
  let value = 0n;
  for (const byte of buffer) value = (value << 8n) | BigInt(byte);
  return bits <= 53 ? Number(value) : value.toString();
}

/** Anything a driver may hand back, as JSON: buffers base64, dates ISO, bigints as digits. */
export function toJsonSafe(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = toJsonSafe(v);
    return out;
  }
  return String(value);
}

function text(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

/**
 * One column value to JSON, for a value from zongji (binlog) or mysql2 (snapshot). `undefined`
 * only comes from zongji for an ENUM index with no value (MySQL's invalid-value '' entry).
 */
export function toJsonValue(type: ColumnType, value: unknown): JsonValue {
  if (value === undefined && type.kind === 'enum') return '';
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'int':
      return typeof value === 'number' ? value : Number(value);
    case 'bigint':
    case 'decimal':
      return typeof value === 'string' ? value : String(value);
    case 'float':
      return float32Number(Number(value));
    case 'double':
      return Number(value);
    case 'date':
    case 'time':
      return value instanceof Date ? value.toISOString().slice(0, 10) : text(value);
    case 'datetime':
      return value instanceof Date ? value.toISOString().replace('Z', '') : text(value).replace(' ', 'T');
    case 'timestamp':
      return value instanceof Date ? value.toISOString() : `${text(value).replace(' ', 'T')}Z`;
    case 'text':
    case 'enum':
    case 'set':
      // A Buffer here means zongji met a charset iconv does not know: keep the bytes, as base64.
      return Buffer.isBuffer(value) ? value.toString('base64') : String(value);
    case 'binary':
      return Buffer.isBuffer(value) ? value.toString('base64') : Buffer.from(String(value), 'binary').toString('base64');
    case 'bit':
      return Buffer.isBuffer(value) ? bitValue(value, type.bits ?? 64) : toJsonSafe(value);
    case 'json':
      if (typeof value === 'string') return parseJsonExact(value);
      if (Buffer.isBuffer(value)) return parseJsonExact(value.toString('utf8'));
      return toJsonSafe(value);
    case 'geometry':
    case 'other':
      return toJsonSafe(value);
  }
}
