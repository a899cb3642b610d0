/**
 * JSON Schema helpers shared by the service frontends: the schema of a language's built-in
 * types (`int`, `Long`, `BigDecimal`, `str`, `DateTime`, `number`...), references to named types
 * that the link step resolves across files, and the constraint keywords Bean Validation,
 * DataAnnotations, pydantic and friends map to.
 */
import type { OpenAPIV3_1 } from 'openapi-types';

export type Schema = OpenAPIV3_1.SchemaObject;

const PRIMITIVES: Record<string, Schema> = {};
const put = (names: string, schema: Schema): void => {
  for (const n of names.split(' ')) PRIMITIVES[n] = schema;
};
put('string String str char Character CharSequence text varchar Guid UUID uuid.UUID', { type: 'string' });
put('int Integer int32 Int32 short Short byte Byte sbyte uint UInt32 ushort smallint', { type: 'integer', format: 'int32' });
put('long Long int64 Int64 ulong BigInteger bigint', { type: 'integer', format: 'int64' });
put('integer', { type: 'integer' });
put('float Float Single single', { type: 'number', format: 'float' });
put('double Double', { type: 'number', format: 'double' });
put('number Number decimal Decimal BigDecimal Decimal128 numeric', { type: 'number' });
put('bool boolean Boolean', { type: 'boolean' });
put('LocalDate DateOnly date datetime.date', { type: 'string', format: 'date' });
put('LocalDateTime OffsetDateTime ZonedDateTime Instant Date DateTime DateTimeOffset Timestamp datetime datetime.datetime Carbon', { type: 'string', format: 'date-time' });
put('LocalTime TimeOnly time datetime.time', { type: 'string', format: 'time' });
put('Duration TimeSpan timedelta', { type: 'string', format: 'duration' });
put('Object object any unknown Any JsonNode JsonElement JObject dynamic mixed dict Dict Map HashMap Record JSONObject', { type: 'object' });
put('void Void None null undefined never Unit IActionResult ActionResult IResult Response ResponseEntity HttpResponse JsonResponse', {});
put('byte[] Byte[] bytes bytearray Buffer MultipartFile IFormFile UploadFile File Blob', { type: 'string', format: 'binary' });
put('EmailStr', { type: 'string', format: 'email' });
put('HttpUrl AnyUrl URI URL Uri', { type: 'string', format: 'uri' });

/** The schema of a built-in type name, or undefined when it names a user type. */
export function primitiveSchema(name: string): Schema | undefined {
  const s = PRIMITIVES[name.trim()];
  return s ? { ...s } : undefined;
}

/** A reference to a named type, resolved by the link step (by simple name) from every file's types. */
export function typeRef(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` } as Schema;
}

/** The type name a `typeRef` points at, or undefined. */
export function refName(schema: unknown): string | undefined {
  const ref = (schema as { $ref?: unknown } | null)?.$ref;
  if (typeof ref !== 'string') return undefined;
  const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
  return m ? m[1] : undefined;
}

export function arrayOf(items: Schema): Schema {
  return { type: 'array', items } as Schema;
}

/** Adds `null` to a schema's type (Optional, nullable `?`, `Optional[...]`). */
export function nullable(schema: Schema): Schema {
  if (refName(schema) !== undefined) return { anyOf: [schema, { type: 'null' }] } as Schema;
  const t = (schema as { type?: unknown }).type;
  if (typeof t === 'string') return { ...schema, type: [t, 'null'] } as Schema;
  return schema;
}

/** Every `$ref` type name in a schema (deep). */
export function refsIn(schema: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(schema)) {
    for (const s of schema) refsIn(s, out);
  } else if (schema && typeof schema === 'object') {
    const name = refName(schema);
    if (name !== undefined) out.add(name);
    for (const [k, v] of Object.entries(schema)) if (k !== '$ref' && k !== 'x-ficus-evidence') refsIn(v, out);
  }
  return out;
}

/** A copy of a schema with each `$ref` passed through `map` (a name to keep, or a schema to inline); keywords beside the `$ref` are kept. */
export function mapRefs(schema: Schema, map: (name: string) => Schema): Schema {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (value && typeof value === 'object') {
      const name = refName(value);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) if (k !== '$ref' || name === undefined) out[k] = k === 'x-ficus-evidence' ? v : visit(v);
      // Keywords beside a `$ref` (`readOnly`, `description`; allowed in OpenAPI 3.1) stay.
      return name === undefined ? out : { ...(map(name) as Record<string, unknown>), ...out };
    }
    return value;
  };
  return visit(schema) as Schema;
}
