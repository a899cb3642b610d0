/**
 * Python type annotations as JSON Schema: builtins and `typing` (`Optional[X]`, `X | None`,
 * `List[Foo]`, `Dict[str, X]`, `Literal['a', 'b']`, `Annotated[X, Field(gt=0)]`), pydantic's
 * constrained types (`constr(min_length=3)`, `conint(ge=1)`, `EmailStr`), and names of user
 * types as `$ref`s the link step resolves across files. Also the constraint keywords pydantic,
 * FastAPI's `Query`/`Path`/`Body`, DRF serializer fields and marshmallow validators share, with
 * their plain-language wording for validation rules.
 */
import type { Schema } from '../service/schema.js';
import { arrayOf, nullable, primitiveSchema, typeRef } from '../service/schema.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import { callArgs, callName, dottedName, lastName, literalValue, stringValue, type CallArgs } from './syntax.js';

const EXTRA_PRIMITIVES: Record<string, Schema> = {
  Any: {},
  object: {},
  list: { type: 'array', items: {} },
  List: { type: 'array', items: {} },
  tuple: { type: 'array', items: {} },
  set: { type: 'array', uniqueItems: true } as Schema,
  frozenset: { type: 'array', uniqueItems: true } as Schema,
  Json: {},
  JsonValue: {},
  SecretStr: { type: 'string', format: 'password' },
  SecretBytes: { type: 'string', format: 'password' },
  NameEmail: { type: 'string', format: 'email' },
  IPvAnyAddress: { type: 'string' },
  IPv4Address: { type: 'string', format: 'ipv4' },
  IPv6Address: { type: 'string', format: 'ipv6' },
  AnyHttpUrl: { type: 'string', format: 'uri' },
  PositiveInt: { type: 'integer', exclusiveMinimum: 0 } as Schema,
  NonNegativeInt: { type: 'integer', minimum: 0 },
  NegativeInt: { type: 'integer', exclusiveMaximum: 0 } as Schema,
  PositiveFloat: { type: 'number', exclusiveMinimum: 0 } as Schema,
  NonNegativeFloat: { type: 'number', minimum: 0 },
  StrictStr: { type: 'string' },
  StrictInt: { type: 'integer' },
  StrictFloat: { type: 'number' },
  StrictBool: { type: 'boolean' },
  UUID1: { type: 'string', format: 'uuid' },
  UUID4: { type: 'string', format: 'uuid' },
  UUID: { type: 'string', format: 'uuid' },
  Path: { type: 'string' },
  FilePath: { type: 'string' },
  PurePath: { type: 'string' },
  Pattern: { type: 'string', format: 'regex' },
  UploadFile: { type: 'string', format: 'binary' },
  Decimal: { type: 'number' },
  float: { type: 'number' },
  int: { type: 'integer' },
  bool: { type: 'boolean' },
  str: { type: 'string' },
  bytes: { type: 'string', format: 'binary' },
  date: { type: 'string', format: 'date' },
  datetime: { type: 'string', format: 'date-time' },
  AwareDatetime: { type: 'string', format: 'date-time' },
  NaiveDatetime: { type: 'string', format: 'date-time' },
  FutureDate: { type: 'string', format: 'date' },
  PastDate: { type: 'string', format: 'date' },
  dict: { type: 'object' },
  Dict: { type: 'object' },
};

const ARRAYS = new Set(['List', 'list', 'Sequence', 'MutableSequence', 'Set', 'set', 'FrozenSet', 'frozenset', 'Iterable', 'Collection', 'Tuple', 'tuple', 'Deque', 'deque', 'AbstractSet', 'conlist', 'conset', 'Iterator', 'Generator', 'AsyncIterator', 'AsyncGenerator']);
const MAPS = new Set(['Dict', 'dict', 'Mapping', 'MutableMapping', 'DefaultDict', 'OrderedDict', 'defaultdict']);
/** Wrappers whose first argument is the type (`Annotated[X, ...]`, `Required[X]`, `Final[X]`, `Awaitable[X]`). */
const TRANSPARENT = new Set(['Annotated', 'Required', 'NotRequired', 'ReadOnly', 'Final', 'ClassVar', 'Awaitable', 'Coroutine', 'Type', 'type']);

/** The schema of a built-in or library type name, undefined for user types. */
export function builtinSchema(name: string): Schema | undefined {
  const last = lastName(name);
  const extra = EXTRA_PRIMITIVES[last];
  if (extra) return { ...extra };
  return primitiveSchema(last) ?? primitiveSchema(name);
}

export interface AnnotationInfo {
  schema: Schema;
  /** `Optional[X]`, `X | None`, `Union[X, None]`. */
  nullable: boolean;
  /** The user type named, when the annotation is (a list or optional of) one: `Foo`, `List[Foo]`. */
  model?: string;
  /** True for a list/sequence annotation. */
  array?: boolean;
  /** `Annotated[X, meta...]`: the metadata calls (`Query(...)`, `Field(...)`, `Depends(...)`). */
  metadata: SyntaxNode[];
}

/** Reads a type annotation (a `type` node, an expression such as `List[Foo]`, or a string forward reference). */
export function readAnnotation(node: SyntaxNode | null | undefined, resolveAlias?: (name: string) => SyntaxNode | undefined): AnnotationInfo {
  const info: AnnotationInfo = { schema: {}, nullable: false, metadata: [] };
  if (!node) return info;
  info.schema = schemaOf(node, info, resolveAlias, 0);
  return info;
}

function typeArgs(node: SyntaxNode): { base: string | undefined; args: SyntaxNode[] } {
  if (node.type === 'generic_type') {
    const base = dottedName(node.namedChild(0));
    const params = node.namedChildren.find((c) => c.type === 'type_parameter');
    return { base, args: params ? params.namedChildren.filter((c) => c.type !== 'comment') : [] };
  }
  // subscript: `List[Foo]`, `Dict[str, int]` (the subscript holds several children).
  const base = dottedName(node.childForFieldName('value'));
  const args = node.namedChildren.slice(1).filter((c) => c.type !== 'comment');
  if (args.length === 1 && args[0]!.type === 'tuple') return { base, args: args[0]!.namedChildren };
  return { base, args };
}

function schemaOf(node: SyntaxNode, info: AnnotationInfo, resolveAlias: ((name: string) => SyntaxNode | undefined) | undefined, depth: number): Schema {
  if (depth > 12) return {};
  switch (node.type) {
    case 'type':
      return node.namedChildCount === 1 ? schemaOf(node.namedChild(0)!, info, resolveAlias, depth + 1) : {};
    case 'none':
      info.nullable = true;
      return { type: 'null' };
    case 'string': {
      const s = stringValue(node);
      if (s && /^[A-Za-z_][\w.]*$/.test(s)) return named(s, info, resolveAlias, depth);
      return {};
    }
    case 'identifier':
    case 'attribute':
      return named(dottedName(node) ?? '', info, resolveAlias, depth);
    case 'binary_operator': {
      if (node.child(1)?.type !== '|') return {};
      const parts: SyntaxNode[] = [];
      const flatten = (n: SyntaxNode): void => {
        if (n.type === 'binary_operator' && n.child(1)?.type === '|') {
          flatten(n.childForFieldName('left')!);
          flatten(n.childForFieldName('right')!);
        } else parts.push(n);
      };
      flatten(node);
      return union(parts, info, resolveAlias, depth);
    }
    case 'generic_type':
    case 'subscript': {
      const { base, args } = typeArgs(node);
      if (!base) return {};
      const last = lastName(base);
      if (last === 'Optional') {
        info.nullable = true;
        return args[0] ? nullable(schemaOf(args[0], info, resolveAlias, depth + 1)) : {};
      }
      if (last === 'Union') return union(args, info, resolveAlias, depth);
      if (last === 'Literal') {
        const values = args.map((a) => literalValue(a.type === 'type' ? a.namedChild(0) : a)).filter((v) => v !== undefined && !Array.isArray(v));
        return enumSchema(values as (string | number | boolean | null)[]);
      }
      if (TRANSPARENT.has(last)) {
        if (last === 'Annotated') info.metadata.push(...args.slice(1).map((a) => (a.type === 'type' ? a.namedChild(0)! : a)).filter(Boolean));
        return args[0] ? schemaOf(args[0], info, resolveAlias, depth + 1) : {};
      }
      if (ARRAYS.has(last)) {
        info.array = true;
        const item = args[0] && !(args.length === 2 && args[1]!.text === '...') ? schemaOf(args[0], info, resolveAlias, depth + 1) : args[0] ? schemaOf(args[0], info, resolveAlias, depth + 1) : {};
        const s = arrayOf(item);
        if (/^(Set|set|FrozenSet|frozenset|AbstractSet|conset)$/.test(last)) (s as { uniqueItems?: boolean }).uniqueItems = true;
        return s;
      }
      if (MAPS.has(last)) {
        const value = args[1] ? schemaOf(args[1], { ...info, metadata: [] }, resolveAlias, depth + 1) : {};
        return { type: 'object', ...(Object.keys(value).length ? { additionalProperties: value } : {}) } as Schema;
      }
      // A generic user model (`Page[Item]`, `Response[T]`): the model itself.
      return named(base, info, resolveAlias, depth);
    }
    case 'call': {
      const name = lastName(callName(node) ?? '');
      const args = callArgs(node);
      const con = constrainedType(name, args, info, resolveAlias, depth);
      return con ?? {};
    }
    default:
      return {};
  }
}

function union(parts: SyntaxNode[], info: AnnotationInfo, resolveAlias: ((name: string) => SyntaxNode | undefined) | undefined, depth: number): Schema {
  const schemas: Schema[] = [];
  let hasNull = false;
  for (const p of parts) {
    const inner = p.type === 'type' && p.namedChildCount === 1 ? p.namedChild(0)! : p;
    if (inner.type === 'none' || inner.text === 'None' || inner.text === 'NoneType') {
      hasNull = true;
      continue;
    }
    schemas.push(schemaOf(inner, info, resolveAlias, depth + 1));
  }
  if (hasNull) info.nullable = true;
  if (schemas.length === 0) return { type: 'null' };
  const base = schemas.length === 1 ? schemas[0]! : ({ anyOf: schemas } as Schema);
  return hasNull ? (schemas.length === 1 ? nullable(base) : ({ anyOf: [...schemas, { type: 'null' }] } as Schema)) : base;
}

function named(name: string, info: AnnotationInfo, resolveAlias: ((name: string) => SyntaxNode | undefined) | undefined, depth: number): Schema {
  const builtin = builtinSchema(name);
  if (builtin) return builtin;
  const alias = resolveAlias?.(name);
  if (alias) return schemaOf(alias, info, resolveAlias, depth + 1);
  const last = lastName(name);
  info.model ??= last;
  return typeRef(last);
}

export function enumSchema(values: (string | number | boolean | null)[]): Schema {
  const types = new Set(values.map((v) => (v === null ? 'null' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v)));
  const type = types.size === 1 ? [...types][0]! : undefined;
  return { ...(type && type !== 'null' ? { type } : {}), enum: values } as Schema;
}

/** `constr(min_length=3)`, `conint(gt=0)`, `confloat`, `condecimal`, `conlist(X, min_length=1)`, `conset`, `constr(regex=...)`. */
function constrainedType(name: string, args: CallArgs, info: AnnotationInfo, resolveAlias: ((name: string) => SyntaxNode | undefined) | undefined, depth: number): Schema | undefined {
  let schema: Schema;
  switch (name) {
    case 'constr':
      schema = { type: 'string' };
      break;
    case 'conint':
      schema = { type: 'integer' };
      break;
    case 'confloat':
    case 'condecimal':
      schema = { type: 'number' };
      break;
    case 'conbytes':
      schema = { type: 'string', format: 'binary' };
      break;
    case 'condate':
      schema = { type: 'string', format: 'date' };
      break;
    case 'conlist':
    case 'conset': {
      const item = args.positional[0] ?? args.keywords.get('item_type');
      schema = arrayOf(item ? schemaOf(item, info, resolveAlias, depth + 1) : {});
      if (name === 'conset') (schema as { uniqueItems?: boolean }).uniqueItems = true;
      info.array = true;
      break;
    }
    default:
      return undefined;
  }
  return applyConstraints(schema, args.keywords).schema;
}

/** A constraint as read from code, for rule statements: `min_length=3` → `have at least 3 characters`. */
export interface Constraint {
  keyword: string;
  value: string | number | boolean;
  /** Plain words completing "<field> must ...": `have at least 3 characters`, `be greater than 0`. */
  words: string;
}

/**
 * Applies constraint keywords (pydantic `Field`/`constr`, FastAPI `Query`/`Path`/`Header`/`Body`,
 * DRF `max_length`/`min_value`, marshmallow `Length`/`Range`) to a schema; returns the new
 * schema and the constraints found, in plain words.
 */
export function applyConstraints(schema: Schema, keywords: ReadonlyMap<string, SyntaxNode>): { schema: Schema; constraints: Constraint[] } {
  const out = { ...schema } as Record<string, unknown>;
  const constraints: Constraint[] = [];
  const isArray = out.type === 'array' || (Array.isArray(out.type) && (out.type as string[]).includes('array'));
  const num = (k: string): number | undefined => {
    const v = literalValue(keywords.get(k));
    return typeof v === 'number' ? v : undefined;
  };
  const add = (keyword: string, value: string | number | boolean, words: string): void => {
    constraints.push({ keyword, value, words });
  };
  const unit = isArray ? 'items' : 'characters';
  for (const [k, key] of [
    ['min_length', isArray ? 'minItems' : 'minLength'],
    ['min_items', 'minItems'],
    ['max_length', isArray ? 'maxItems' : 'maxLength'],
    ['max_items', 'maxItems'],
  ] as const) {
    const v = num(k);
    if (v === undefined) continue;
    out[key] = v;
    add(k, v, `have ${k.startsWith('min') ? 'at least' : 'at most'} ${v} ${key.endsWith('Items') ? 'items' : unit}`);
  }
  for (const [k, key, words] of [
    ['gt', 'exclusiveMinimum', 'be greater than'],
    ['min_value', 'minimum', 'be at least'],
    ['ge', 'minimum', 'be at least'],
    ['lt', 'exclusiveMaximum', 'be less than'],
    ['max_value', 'maximum', 'be at most'],
    ['le', 'maximum', 'be at most'],
    ['multiple_of', 'multipleOf', 'be a multiple of'],
  ] as const) {
    const v = num(k);
    if (v === undefined) continue;
    out[key] = v;
    add(k, v, `${words} ${v}`);
  }
  for (const k of ['regex', 'pattern']) {
    const v = stringValue(keywords.get(k));
    if (v === undefined) continue;
    out.pattern = v;
    add(k, v, `match ${v}`);
  }
  const max_digits = num('max_digits');
  if (max_digits !== undefined) add('max_digits', max_digits, `have at most ${max_digits} digits`);
  const description = stringValue(keywords.get('description')) ?? stringValue(keywords.get('help_text')) ?? stringValue(keywords.get('title'));
  if (description !== undefined && out.description === undefined) out.description = description;
  const example = literalValue(keywords.get('example'));
  if (example !== undefined && !Array.isArray(example)) out.examples = [example];
  const examples = literalValue(keywords.get('examples'));
  if (Array.isArray(examples) && examples.length > 0) out.examples = examples;
  if (literalValue(keywords.get('deprecated')) === true) out.deprecated = true;
  return { schema: out as Schema, constraints };
}

/** The default value of a field or parameter as JSON, when it is a literal (`...` and `None` are not defaults to show). */
export function literalDefault(node: SyntaxNode | null | undefined): string | number | boolean | undefined {
  const v = literalValue(node);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}
