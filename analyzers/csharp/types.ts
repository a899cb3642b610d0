/**
 * C# types as JSON Schema: built-in and BCL types (`int`, `Guid`, `DateTime`, `decimal`,
 * `IFormFile`), nullable types (`string?`, `int?`, `Nullable<T>`), collections (`List<T>`,
 * `IEnumerable<T>`, `T[]`, `HashSet<T>`) and dictionaries, user types as `$ref`s the link step
 * resolves; and every class, struct, record and enum of a file as a `TypeFact`: public
 * properties and positional record parameters under their JSON names (System.Text.Json:
 * camelCase unless `[JsonPropertyName]`/`[JsonProperty]`/`[DataMember(Name)]`), `[JsonIgnore]`
 * left out, base classes as `allOf`, DataAnnotations as schema constraints plus validation rules.
 *
 * Enums are integers (System.Text.Json's default) with their member names in `x-enum-varnames`,
 * or string names when `[JsonConverter(typeof(JsonStringEnumConverter))]` is on the enum or a
 * string enum converter is registered for the whole application (see `prepare` in index.ts).
 */
import type { TypeFact } from '../service/facts.js';
import { arrayOf, nullable, primitiveSchema, typeRef, type Schema } from '../service/schema.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import type { ParamLocation } from '../service/facts.js';
import { applyKeywords, readAnnotations } from './annotations.js';
import type { CsFile, TypeDecl } from './scope.js';
import { camelCase, docComment, findAttribute, hasAttribute, identifierOf, intValue, literalString, modifiersOf, attributesOf, sameNode, type Attribute } from './syntax.js';
import type { RuleSink } from './rules.js';

/** Where a type is written: the file and the type declaration around it (nested names, type parameters). */
export interface TypeScope {
  file: CsFile;
  from?: TypeDecl;
  /** Type parameters in scope (`T` of `PagedList<T>`): any value. */
  typeParams?: ReadonlySet<string>;
  /**
   * Type parameters that stand for the type argument of the class inheriting them (a generic
   * base controller's `TResource`): a reference to a link-step token (`{{token:type:Base:0}}`).
   */
  typeParamRefs?: ReadonlyMap<string, string>;
}

const ARRAY_TYPES = new Set([
  'List', 'IList', 'IEnumerable', 'ICollection', 'IReadOnlyList', 'IReadOnlyCollection', 'Collection', 'ReadOnlyCollection',
  'ObservableCollection', 'IQueryable', 'IOrderedEnumerable', 'IOrderedQueryable', 'IAsyncEnumerable', 'ImmutableArray', 'ImmutableList',
  'IImmutableList', 'LinkedList', 'Queue', 'Stack', 'ConcurrentBag', 'BlockingCollection', 'Memory', 'ReadOnlyMemory', 'Span', 'ReadOnlySpan',
  'ArraySegment', 'ICollectionView',
]);
const SET_TYPES = new Set(['HashSet', 'ISet', 'IReadOnlySet', 'SortedSet', 'ImmutableHashSet', 'ImmutableSortedSet', 'FrozenSet']);
const MAP_TYPES = new Set(['Dictionary', 'IDictionary', 'IReadOnlyDictionary', 'SortedDictionary', 'ConcurrentDictionary', 'ImmutableDictionary', 'IImmutableDictionary', 'SortedList', 'FrozenDictionary']);
/** Wrappers whose value is their type argument. */
const TRANSPARENT = new Set(['Task', 'ValueTask', 'ActionResult', 'Lazy', 'Optional', 'Maybe']);

const BCL: Record<string, Schema> = {
  Guid: { type: 'string', format: 'uuid' },
  char: { type: 'string', minLength: 1, maxLength: 1 },
  Char: { type: 'string', minLength: 1, maxLength: 1 },
  object: {},
  Object: {},
  dynamic: {},
  JsonElement: {},
  JsonNode: {},
  JsonDocument: {},
  JToken: {},
  ExpandoObject: { type: 'object' },
  Stream: { type: 'string', format: 'binary' },
  IFormFile: { type: 'string', format: 'binary' },
  IFormFileCollection: { type: 'array', items: { type: 'string', format: 'binary' } },
  Version: { type: 'string' },
  IPAddress: { type: 'string' },
  Half: { type: 'number' },
  nint: { type: 'integer' },
  nuint: { type: 'integer' },
  Int128: { type: 'integer' },
  UInt128: { type: 'integer' },
  UInt64: { type: 'integer', format: 'int64' },
  UInt16: { type: 'integer', format: 'int32' },
  SByte: { type: 'integer', format: 'int32' },
  Int16: { type: 'integer', format: 'int32' },
};

/** The JSON Schema of a type node. */
export function typeSchema(node: SyntaxNode | null | undefined, scope: TypeScope): Schema {
  if (!node) return {};
  switch (node.type) {
    case 'predefined_type':
    case 'identifier':
      return namedSchema(node.text, [], scope);
    case 'nullable_type':
      return nullable(typeSchema(node.childForFieldName('type') ?? node.namedChildren[0], scope));
    case 'array_type': {
      const element = node.childForFieldName('type') ?? node.namedChildren[0];
      if (element && /^(byte|Byte)$/.test(element.text)) return { type: 'string', format: 'byte' };
      return arrayOf(typeSchema(element, scope));
    }
    case 'generic_name': {
      const args = node.namedChildren.find((c) => c.type === 'type_argument_list')?.namedChildren ?? [];
      return namedSchema(identifierOf(node), args, scope);
    }
    case 'qualified_name':
    case 'alias_qualified_name': {
      const last = node.childForFieldName('name');
      // `System.String`, `Collections.Generic.List<T>`: framework names by their last part; user types keep the qualifier.
      const qualifier = node.childForFieldName('qualifier')?.text ?? node.childForFieldName('alias')?.text ?? '';
      if (last && (/^(System|Microsoft|global)\b/.test(qualifier) || knownName(identifierOf(last)))) return typeSchema(last, scope);
      if (last?.type === 'generic_name') return namedSchema(`${qualifier}.${identifierOf(last)}`, last.namedChildren.find((c) => c.type === 'type_argument_list')?.namedChildren ?? [], scope);
      return namedSchema(node.text.replace(/\s+/g, ''), [], scope);
    }
    case 'tuple_type': {
      const properties: Record<string, Schema> = {};
      node.namedChildren.forEach((el, i) => {
        const name = el.childForFieldName('name')?.text ?? `Item${i + 1}`;
        properties[camelCase(name)] = typeSchema(el.childForFieldName('type') ?? el.namedChildren[0], scope);
      });
      return { type: 'object', properties } as Schema;
    }
    default:
      return {};
  }
}

function knownName(name: string): boolean {
  return primitiveSchema(name) !== undefined || name in BCL || ARRAY_TYPES.has(name) || SET_TYPES.has(name) || MAP_TYPES.has(name) || TRANSPARENT.has(name) || name === 'Nullable';
}

function namedSchema(name: string, args: readonly SyntaxNode[], scope: TypeScope): Schema {
  const token = scope.typeParamRefs?.get(name);
  if (token) return typeRef(token);
  if (scope.typeParams?.has(name)) return {};
  if (name === 'Nullable' && args[0]) return nullable(typeSchema(args[0], scope));
  if (TRANSPARENT.has(name)) return args[0] ? typeSchema(args[0], scope) : {};
  if (ARRAY_TYPES.has(name)) return arrayOf(args[0] ? typeSchema(args[0], scope) : {});
  if (SET_TYPES.has(name)) return { ...arrayOf(args[0] ? typeSchema(args[0], scope) : {}), uniqueItems: true } as Schema;
  if (MAP_TYPES.has(name)) return { type: 'object', additionalProperties: args[1] ? typeSchema(args[1], scope) : {} } as Schema;
  if (name === 'KeyValuePair' && args.length === 2) return { type: 'object', properties: { key: typeSchema(args[0], scope), value: typeSchema(args[1], scope) } } as Schema;
  if (name in BCL) return { ...BCL[name]! };
  // Framework result types carry no schema of their own.
  if (/^(I?ActionResult|IHttpActionResult|HttpResponseMessage|IResult|Results|void|Task|ValueTask)$/.test(name)) return {};
  const prim = primitiveSchema(name);
  if (prim !== undefined && name !== 'Map' && name !== 'Record' && name !== 'Response' && name !== 'File' && name !== 'Date' && name !== 'Instant') return prim;
  return typeRef(scope.file.resolveTypeName(name, scope.from));
}

/** True for types that are arrays in JSON (for `[MaxLength]` on collections). */
export function isArraySchema(schema: Schema): boolean {
  const t = (schema as { type?: unknown }).type;
  return t === 'array' || (Array.isArray(t) && t.includes('array'));
}

function shapeOf(schema: Schema): 'string' | 'array' | 'other' {
  const t = (schema as { type?: unknown }).type;
  const types = Array.isArray(t) ? t : [t];
  if (types.includes('array')) return 'array';
  if (types.includes('string')) return 'string';
  return 'other';
}

/** Types that ASP.NET injects rather than binds (services, infrastructure), by name. */
export function isServiceTypeName(name: string): boolean {
  if (/^I[A-Z]/.test(name) && !/^(IFormFile|IFormFileCollection|IEnumerable|IList|ICollection|IReadOnlyList|IReadOnlyCollection|IDictionary|IReadOnlyDictionary|ISet|IAsyncEnumerable)$/.test(name)) return true;
  return /(Service|Services|Context|DbContext|Db|Repository|Repo|Manager|Logger|Factory|Provider|Client|Options|Mediator|Sender|Publisher|Bus|Store|Cache|Accessor|Configuration|Environment|Handler|Hub|UnitOfWork|Dispatcher|Generator|Validator|Mapper|Helper|Queue)$/.test(name);
}

// ---------------------------------------------------------------- declarations → TypeFacts

/** JSON name of a member: `[JsonPropertyName]`, `[JsonProperty]`, `[DataMember(Name)]`, else camelCase. */
export function jsonName(declared: string, attrs: readonly Attribute[]): string {
  const stj = findAttribute(attrs, 'JsonPropertyName');
  const v = literalString(stj?.positional[0]);
  if (v) return v;
  const nj = findAttribute(attrs, 'JsonProperty');
  const n = literalString(nj?.positional[0]) ?? literalString(nj?.named.get('PropertyName'));
  if (n) return n;
  const dm = findAttribute(attrs, 'DataMember');
  const d = literalString(dm?.named.get('Name'));
  if (d) return d;
  return camelCase(declared);
}

function ignored(attrs: readonly Attribute[]): boolean {
  if (hasAttribute(attrs, 'IgnoreDataMember')) return true;
  const ji = findAttribute(attrs, 'JsonIgnore');
  if (!ji) return false;
  const condition = ji.named.get('Condition')?.text ?? '';
  return !condition || /Always$/.test(condition);
}

interface Member {
  declared: string;
  type: SyntaxNode | null;
  attrs: Attribute[];
  node: SyntaxNode;
  /** Has a default value or initializer. */
  hasDefault: boolean;
  defaultNode?: SyntaxNode;
  requiredModifier: boolean;
}

function membersOf(decl: TypeDecl): Member[] {
  const out: Member[] = [];
  // Positional record parameters become properties.
  const params = decl.node.namedChildren.find((c) => c.type === 'parameter_list');
  if (params && decl.kind === 'record') {
    for (const p of params.namedChildren) {
      if (p.type !== 'parameter') continue;
      const name = p.childForFieldName('name')?.text;
      if (!name) continue;
      const attrs = attributesOf(p).filter((a) => a.target === '' || a.target === 'property');
      const value = p.namedChildren.find((c) => !sameNode(c, p.childForFieldName('name')) && !sameNode(c, p.childForFieldName('type')) && c.type !== 'attribute_list' && c.type !== 'modifier');
      out.push({ declared: name, type: p.childForFieldName('type'), attrs, node: p, hasDefault: !!value, ...(value ? { defaultNode: value } : {}), requiredModifier: false });
    }
  }
  for (const m of decl.members) {
    if (m.type === 'property_declaration') {
      const mods = modifiersOf(m);
      if (mods.has('static') || m.namedChildren.some((c) => c.type === 'explicit_interface_specifier')) continue;
      if (!mods.has('public') && decl.kind !== 'interface') continue;
      const accessors = m.childForFieldName('accessors');
      const expressionBodied = m.childForFieldName('value')?.type === 'arrow_expression_clause';
      if (accessors && !accessors.namedChildren.some((a) => /^get\b/.test(a.text.replace(/^\[.*?\]\s*/, '').replace(/^(public|private|protected|internal)\s+/, ''))) && !expressionBodied) continue;
      const name = m.childForFieldName('name')?.text;
      if (!name) continue;
      const value = m.childForFieldName('value');
      out.push({
        declared: name,
        type: m.childForFieldName('type'),
        attrs: attributesOf(m),
        node: m,
        // `= default!` / `= null!` only silence the compiler: no value.
        hasDefault: !!value && !expressionBodied && !/^(default|null)\s*!?$/.test(value.text.trim()),
        ...(value && !expressionBodied ? { defaultNode: value } : {}),
        requiredModifier: mods.has('required'),
      });
    } else if (m.type === 'field_declaration') {
      const mods = modifiersOf(m);
      const attrs = attributesOf(m);
      if (!mods.has('public') || mods.has('static') || mods.has('const')) continue;
      // System.Text.Json serializes fields only when asked to.
      if (!hasAttribute(attrs, 'JsonInclude', 'JsonProperty', 'DataMember')) continue;
      const vd = m.namedChildren.find((c) => c.type === 'variable_declaration');
      for (const v of vd?.namedChildren ?? []) {
        if (v.type !== 'variable_declarator') continue;
        const name = v.childForFieldName('name')?.text;
        if (name) out.push({ declared: name, type: vd!.childForFieldName('type'), attrs, node: m, hasDefault: v.namedChildCount > 1, requiredModifier: mods.has('required') });
      }
    }
  }
  return out;
}

/** True when a type node is a non-nullable reference type (not a value type, not `T?`). */
function nonNullableReference(type: SyntaxNode | null, schema: Schema): boolean {
  if (!type || type.type === 'nullable_type') return false;
  const s = schema as { type?: unknown; $ref?: unknown };
  if (s.type === 'string' && !['Guid', 'char', 'Char', 'DateTime', 'DateTimeOffset', 'DateOnly', 'TimeOnly', 'TimeSpan'].includes(type.text)) return true;
  if (s.type === 'array' || (s.type === 'object' && type.type === 'generic_name')) return true;
  return false;
}

/** A literal default value for the schema (`= 10`, `= "x"`, `= true`). */
export function defaultOf(node: SyntaxNode | undefined): unknown {
  if (!node) return undefined;
  const i = intValue(node);
  if (i !== undefined) return i;
  if (node.type === 'boolean_literal') return node.text === 'true';
  const s = literalString(node);
  // `= ""` only keeps a non-nullable string from being null; it is no API default.
  if (s !== undefined && s !== '' && (node.type === 'string_literal' || node.type === 'verbatim_string_literal' || node.type === 'raw_string_literal')) return s;
  return undefined;
}

/** Base types that are not DTOs (framework classes, interfaces). */
function dtoBase(decl: TypeDecl): SyntaxNode | undefined {
  const first = decl.bases[0];
  if (!first || decl.kind === 'enum' || decl.kind === 'interface') return undefined;
  const name = identifierOf(first.type === 'qualified_name' ? (first.childForFieldName('name') ?? first) : first);
  if (/^I[A-Z]/.test(name)) return undefined;
  if (/^(Object|object|ValueType|Exception|Attribute|EventArgs|DbContext|IdentityDbContext|Controller|ControllerBase|ApiController|ODataController|PageModel|Hub|BackgroundService|AbstractValidator|Profile|Migration|ComponentBase|IdentityUser|IdentityRole)$/.test(name)) return undefined;
  return first;
}

/** Every class, struct, record and enum of the file as a `TypeFact` (static classes and interfaces excluded). */
export function extractTypes(file: CsFile, rules: RuleSink): TypeFact[] {
  const facts: TypeFact[] = [];
  for (const decl of file.types) {
    if (decl.kind === 'interface' || decl.modifiers.has('static')) continue;
    if (decl.kind === 'enum') {
      facts.push(enumFact(file, decl));
      continue;
    }
    facts.push(objectFact(file, decl, rules));
  }
  return facts;
}

function enumFact(file: CsFile, decl: TypeDecl): TypeFact {
  const names: string[] = [];
  const values: number[] = [];
  let next = 0;
  const byName = new Map<string, number>();
  for (const m of decl.members) {
    if (m.type !== 'enum_member_declaration') continue;
    const name = m.childForFieldName('name')?.text;
    if (!name) continue;
    const valueNode = m.childForFieldName('value');
    let v = intValue(valueNode);
    if (v === undefined && valueNode?.type === 'identifier') v = byName.get(valueNode.text);
    if (v === undefined && valueNode) v = next;
    v ??= next;
    byName.set(name, v);
    const renamed = literalString(findAttribute(attributesOf(m), 'EnumMember')?.named.get('Value')) ?? literalString(findAttribute(attributesOf(m), 'JsonStringEnumMemberName')?.positional[0]);
    names.push(renamed ?? name);
    values.push(v);
    next = v + 1;
  }
  const converter = findAttribute(decl.attrs, 'JsonConverter')?.positional[0]?.text ?? '';
  const asString = file.stringEnums || /StringEnumConverter/.test(converter);
  const doc = docComment(decl.node);
  const schema = (
    asString
      ? { type: 'string', enum: names }
      : { type: 'integer', format: 'int32', enum: values, 'x-enum-varnames': names }
  ) as Schema;
  if (doc.summary) (schema as { description?: string }).description = doc.summary;
  return { name: decl.name, ...(decl.namespace ? { qualified: `${decl.namespace}.${decl.name}` } : {}), schema, evidence: evidenceOf(file.path, decl.node) };
}

function objectFact(file: CsFile, decl: TypeDecl, rules: RuleSink): TypeFact {
  const scope: TypeScope = { file, from: decl, typeParams: new Set(decl.typeParams) };
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  const ruleIds: string[] = [];
  const bindings: NonNullable<TypeFact['bindings']> = {};
  for (const m of membersOf(decl)) {
    if (ignored(m.attrs)) continue;
    const name = jsonName(m.declared, m.attrs);
    let schema = typeSchema(m.type, scope);
    const subject = `${decl.name}.${m.declared}`;
    const notes = readAnnotations(m.attrs, subject, shapeOf(schema));
    schema = applyKeywords(schema, notes.keywords);
    const def = defaultOf(m.defaultNode);
    if (def !== undefined && !('$ref' in schema)) (schema as Record<string, unknown>).default = def;
    const doc = docComment(m.node);
    const description = literalString(findAttribute(m.attrs, 'Description')?.positional[0]) ?? doc.summary;
    if (description && !('$ref' in schema)) (schema as Record<string, unknown>).description = description;
    properties[name] = schema;
    const isRequired = notes.required || m.requiredModifier || (file.nullable && !m.hasDefault && nonNullableReference(m.type, schema));
    if (isRequired) required.push(name);
    for (const c of notes.constraints) {
      ruleIds.push(rules.addConstraint(decl.name, m.declared, subject, c, m.node).id);
    }
    const binding = bindingOf(file.camelCaseParameters ? camelCase(m.declared) : m.declared, name, m.type, m.attrs);
    if (binding) bindings[name] = binding;
  }
  const own: Record<string, unknown> = { type: 'object', properties };
  if (required.length) own.required = required;
  const doc = docComment(decl.node);
  const base = dtoBase(decl);
  let schema: Schema;
  if (base) {
    const baseSchema = typeSchema(base, { ...scope, from: decl.outer ?? undefined });
    schema = ('$ref' in baseSchema ? { allOf: [baseSchema, own] } : own) as Schema;
  } else {
    schema = own as Schema;
  }
  if (doc.summary) (schema as { description?: string }).description = doc.summary;
  return {
    name: decl.name,
    ...(decl.namespace ? { qualified: `${decl.namespace}.${decl.name}` } : {}),
    schema,
    evidence: evidenceOf(file.path, decl.node),
    ...(ruleIds.length ? { ruleIds } : {}),
    ...(Object.keys(bindings).length ? { bindings } : {}),
  };
}

/** How a property binds when its type is expanded into parameters (`[AsParameters]`, `[FromQuery] Filter f`). */
function bindingOf(declared: string, json: string, type: SyntaxNode | null, attrs: readonly Attribute[]): { name?: string; in?: ParamLocation; skip?: boolean } | undefined {
  if (hasAttribute(attrs, 'FromServices', 'FromKeyedServices', 'BindNever')) return { skip: true };
  const typeName = type ? identifierOf(type.type === 'nullable_type' ? (type.childForFieldName('type') ?? type) : type) : '';
  if (/^(CancellationToken|HttpContext|HttpRequest|HttpResponse|ClaimsPrincipal)$/.test(typeName) || (!hasAttribute(attrs, 'FromQuery', 'FromRoute', 'FromHeader', 'FromForm', 'FromBody') && isServiceTypeName(typeName))) return { skip: true };
  const from = findAttribute(attrs, 'FromQuery', 'FromRoute', 'FromHeader', 'FromForm', 'ModelBinder');
  const explicitName = literalString(from?.named.get('Name'));
  const name = explicitName ?? declared;
  const where: Record<string, ParamLocation> = { FromQuery: 'query', FromRoute: 'path', FromHeader: 'header', FromForm: 'form' };
  const out: { name?: string; in?: ParamLocation } = {};
  if (name !== json) out.name = name;
  if (from && where[from.name]) out.in = where[from.name]!;
  return Object.keys(out).length ? out : undefined;
}
