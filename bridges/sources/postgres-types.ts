/**
 * How PostgreSQL column values become JSON, and the JSON Schema that describes each result.
 * Values arrive as PostgreSQL's text output (pgoutput tuples and snapshot reads alike), in a
 * session with fixed output settings ({@link outputSettings}), so one conversion serves both
 * paths and the same row converts to the same JSON whether it was snapshotted or streamed.
 *
 * | PostgreSQL type | JSON |
 * | --- | --- |
 * | `bool` | boolean |
 * | `int2`, `int4`, `oid` | number (always exact) |
 * | `int8` | string of decimal digits, always (exact beyond 2^53; one type per column) |
 * | `numeric` | string, PostgreSQL's own digits (`'123.45000000'`, `'NaN'`, `'Infinity'`) |
 * | `float4`, `float8` | number (shortest exact decimal); `'NaN'`, `'Infinity'`, `'-Infinity'` as strings |
 * | `text`, `varchar`, `char`/`bpchar` (blank-padded as stored), `name`, `uuid`, enums | string |
 * | `date` | `'YYYY-MM-DD'`; years outside 0000-9999 (BC as astronomical years) as `Date.prototype.toISOString` writes them (`'-000043-03-15'`, `'+012345-01-01'`); `'infinity'`/`'-infinity'` |
 * | `timestamp` (without time zone) | `'YYYY-MM-DDTHH:MM:SS[.ffffff]'`, no offset: the database never knew one |
 * | `timestamptz` | `'YYYY-MM-DDTHH:MM:SS[.ffffff]Z'`, UTC, microseconds kept |
 * | `time`, `timetz` | PostgreSQL text (`'13:45:00'`, `'13:45:00+02'`) |
 * | `interval` | ISO 8601 duration as PostgreSQL prints it with `IntervalStyle=iso_8601` (`'P1DT2H'`) |
 * | `json`, `jsonb` | parsed JSON (`JSON.parse`: numbers beyond 2^53 or with many digits inside a document lose precision) |
 * | `bytea` | base64 |
 * | arrays of any of these | JSON arrays (nested for multi-dimensional arrays; lower bounds other than 1 dropped) |
 * | domains | as their base type |
 * | anything else (`money`, `inet`, geometric, range, user types) | PostgreSQL text output, as a string |
 * | NULL | null |
 */
import type { JsonValue } from '../change.js';

/**
 * Session settings under which the conversions below are exact and unambiguous. The source sets
 * them on every connection it reads values from (the walsender runs the output functions for
 * pgoutput, so they apply there too).
 */
export const outputSettings: Readonly<Record<string, string>> = Object.freeze({
  DateStyle: 'ISO, YMD',
  TimeZone: 'UTC',
  IntervalStyle: 'iso_8601',
  // PostgreSQL 12+ prints the shortest exact form for any value > 0; older versions print 17 digits.
  extra_float_digits: '3',
  bytea_output: 'hex',
});

/** Built-in type OIDs (pg_type.oid is fixed for these). */
const OID = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

/** Built-in array type OID → element type OID. */
const builtinArrays: ReadonlyMap<number, number> = new Map([
  [1000, OID.bool],
  [1001, OID.bytea],
  [1002, OID.char],
  [1003, OID.name],
  [1005, OID.int2],
  [1007, OID.int4],
  [1009, OID.text],
  [1014, OID.bpchar],
  [1015, OID.varchar],
  [1016, OID.int8],
  [1021, OID.float4],
  [1022, OID.float8],
  [1028, OID.oid],
  [1115, OID.timestamp],
  [1182, OID.date],
  [1183, OID.time],
  [1185, OID.timestamptz],
  [1187, OID.interval],
  [1231, OID.numeric],
  [1270, OID.timetz],
  [199, OID.json],
  [2951, OID.uuid],
  [3807, OID.jsonb],
]);

/** What the catalog says about a non-built-in type: a domain over a base type, or an array. */
export type TypeDefinition = { kind: 'domain'; baseOid: number } | { kind: 'array'; elementOid: number };

/** Catalog knowledge about the types the captured tables use, keyed by type OID. */
export type TypeRegistry = ReadonlyMap<number, TypeDefinition>;

/** Converts one non-null text value. */
export type ValueConverter = (text: string) => JsonValue;

const asString: ValueConverter = (text) => text;

const asInteger: ValueConverter = (text) => Number(text);

const asFloat: ValueConverter = (text) =>
  text === 'NaN' || text === 'Infinity' || text === '-Infinity' ? text : Number(text);

const asBool: ValueConverter = (text) => text === 't';

const asJson: ValueConverter = (text) => JSON.parse(text) as JsonValue;

/** bytea: hex format (`\x00ff`) as bytea_output=hex prints it; escape format decoded too, defensively. */
const asBase64: ValueConverter = (text) => {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex').toString('base64');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === '\\') {
      bytes.push(0x5c);
      i += 1;
    } else if (text[i] === '\\') {
      bytes.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(text.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('base64');
};

/** ISO 8601 year: 4 digits for 0..9999, else signed 6 digits (as `Date.prototype.toISOString`). */
function isoYear(digits: string, bc: boolean): string {
  const year = bc ? 1 - Number(digits) : Number(digits);
  if (year >= 0 && year <= 9999) return String(year).padStart(4, '0');
  return `${year < 0 ? '-' : '+'}${String(Math.abs(year)).padStart(6, '0')}`;
}

/** `YYYY-MM-DD[ HH:MM:SS[.f]][±HH[:MM[:SS]]][ BC]` as DateStyle=ISO prints dates and timestamps. */
const dateTimePattern = /^(\d{4,})-(\d\d)-(\d\d)(?: (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d(?::\d\d){0,2})?)?( BC)?$/;

function isoDateTime(text: string, withZone: boolean): string {
  const m = dateTimePattern.exec(text);
  if (m === null) return text; // 'infinity', '-infinity'
  const [, year, month, day, time, offset, bc] = m;
  const date = `${isoYear(year ?? '', bc !== undefined)}-${month}-${day}`;
  if (time === undefined) return date;
  if (!withZone || offset === undefined) return `${date}T${time}`;
  if (/^[+-]00(:00){0,2}$/.test(offset)) return `${date}T${time}Z`;
  // Only reachable if TimeZone is not UTC; keep the offset rather than guess.
  const [h, mm = '00', ss] = offset.slice(1).split(':');
  return `${date}T${time}${offset[0]}${h}:${mm}${ss === undefined ? '' : `:${ss}`}`;
}

const asDate: ValueConverter = (text) => isoDateTime(text, false);
const asTimestamp: ValueConverter = (text) => isoDateTime(text, false);
const asTimestamptz: ValueConverter = (text) => isoDateTime(text, true);

const scalarConverters: ReadonlyMap<number, ValueConverter> = new Map([
  [OID.bool, asBool],
  [OID.bytea, asBase64],
  [OID.int2, asInteger],
  [OID.int4, asInteger],
  [OID.oid, asInteger],
  [OID.int8, asString],
  [OID.numeric, asString],
  [OID.float4, asFloat],
  [OID.float8, asFloat],
  [OID.json, asJson],
  [OID.jsonb, asJson],
  [OID.date, asDate],
  [OID.timestamp, asTimestamp],
  [OID.timestamptz, asTimestamptz],
]);

/** The element type of an array type, or undefined for non-arrays. */
function elementOf(oid: number, registry: TypeRegistry): number | undefined {
  const def = registry.get(oid);
  if (def?.kind === 'array') return def.elementOid;
  return builtinArrays.get(oid);
}

/** Domains resolved to their base type (a domain over a domain too). */
function baseOf(oid: number, registry: TypeRegistry): number {
  let current = oid;
  for (let depth = 0; depth < 16; depth++) {
    const def = registry.get(current);
    if (def?.kind !== 'domain') return current;
    current = def.baseOid;
  }
  return current;
}

/** The converter for values of a type OID (as pgoutput's Relation message or the catalog gives it). */
export function converterFor(typeOid: number, registry: TypeRegistry): ValueConverter {
  const oid = baseOf(typeOid, registry);
  const element = elementOf(oid, registry);
  if (element !== undefined) {
    const convert = converterFor(element, registry);
    return (text) => parseArray(text).map(function map(v: ArrayItem): JsonValue {
      if (v === null) return null;
      return Array.isArray(v) ? v.map(map) : convert(v);
    });
  }
  return scalarConverters.get(oid) ?? asString;
}

type ArrayItem = string | null | ArrayItem[];

/**
 * Parses PostgreSQL's array text output (`{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`,
 * `[0:1]={1,2}`) into nested arrays of element texts. Assumes the `,` delimiter, which every
 * built-in type but `box` uses.
 */
export function parseArray(text: string): ArrayItem[] {
  let i = 0;
  if (text[0] === '[') {
    // Explicit bounds: `[lo:hi]...=`; JSON arrays have no lower bound, drop them.
    i = text.indexOf('=') + 1;
  }
  const fail = (): never => {
    throw new SyntaxError(`malformed array literal ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)}`);
  };
  const parseLevel = (): ArrayItem[] => {
    if (text[i] !== '{') fail();
    i += 1;
    const items: ArrayItem[] = [];
    if (text[i] === '}') {
      i += 1;
      return items;
    }
    for (;;) {
      if (text[i] === '{') {
        items.push(parseLevel());
      } else if (text[i] === '"') {
        i += 1;
        let value = '';
        for (; i < text.length && text[i] !== '"'; i++) {
          if (text[i] === '\\') i += 1;
          value += text[i] ?? '';
        }
        if (text[i] !== '"') fail();
        i += 1;
        items.push(value);
      } else {
        const start = i;
        while (i < text.length && text[i] !== ',' && text[i] !== '}') i += 1;
        const raw = text.slice(start, i).trim();
        items.push(raw.toUpperCase() === 'NULL' ? null : raw);
      }
      if (text[i] === ',') {
        i += 1;
      } else if (text[i] === '}') {
        i += 1;
        return items;
      } else {
        fail();
      }
    }
  };
  const result = parseLevel();
  if (i !== text.length) fail();
  return result;
}

const floatSchema = { anyOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity', '-Infinity'] }] };
const infinities = { enum: ['infinity', '-infinity'] };

function scalarSchema(oid: number, typeMod: number): Record<string, unknown> {
  switch (oid) {
    case OID.bool:
      return { type: 'boolean' };
    case OID.int2:
      return { type: 'integer', minimum: -32768, maximum: 32767 };
    case OID.int4:
      return { type: 'integer', minimum: -2147483648, maximum: 2147483647 };
    case OID.oid:
      return { type: 'integer', minimum: 0, maximum: 4294967295 };
    case OID.int8:
      return { type: 'string', pattern: '^-?[0-9]+$', description: 'int8 as a decimal string (exact)' };
    case OID.numeric:
      return {
        type: 'string',
        pattern: '^(-?[0-9]+(\\.[0-9]+)?|NaN|-?Infinity)$',
        description: 'numeric as a decimal string (exact)',
      };
    case OID.float4:
    case OID.float8:
      return floatSchema;
    case OID.varchar:
    case OID.bpchar:
      // atttypmod is the declared length + 4 (VARHDRSZ), -1 when unconstrained.
      return typeMod >= 4 ? { type: 'string', maxLength: typeMod - 4 } : { type: 'string' };
    case OID.uuid:
      return { type: 'string', format: 'uuid' };
    case OID.date:
      return { anyOf: [{ type: 'string', format: 'date' }, infinities] };
    case OID.timestamp:
      return {
        type: 'string',
        pattern: '^([+-]?[0-9]{4,6}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?|-?infinity)$',
        description: 'timestamp without time zone: ISO 8601 local date-time, no offset',
      };
    case OID.timestamptz:
      return { anyOf: [{ type: 'string', format: 'date-time' }, infinities] };
    case OID.interval:
      return { type: 'string', description: 'ISO 8601 duration (PostgreSQL IntervalStyle iso_8601)' };
    case OID.json:
    case OID.jsonb:
      return {};
    case OID.bytea:
      return { type: 'string', contentEncoding: 'base64' };
    default:
      return { type: 'string' };
  }
}

/** Adds null to a schema. `{}` (any JSON) already allows it. */
export function nullable(schema: Record<string, unknown>): Record<string, unknown> {
  if (Object.keys(schema).length === 0) return schema;
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  if (Array.isArray(schema.anyOf)) return { ...schema, anyOf: [...(schema.anyOf as unknown[]), { type: 'null' }] };
  return { anyOf: [schema, { type: 'null' }] };
}

/** JSON Schema of the values {@link converterFor} produces for a type (not yet nullable). */
export function jsonSchemaFor(typeOid: number, typeMod: number, registry: TypeRegistry): Record<string, unknown> {
  const oid = baseOf(typeOid, registry);
  const element = elementOf(oid, registry);
  if (element !== undefined) {
    // Array typmods apply to the elements (varchar(10)[]).
    return { type: 'array', items: nullable(jsonSchemaFor(element, typeMod, registry)) };
  }
  return scalarSchema(oid, typeMod);
}
