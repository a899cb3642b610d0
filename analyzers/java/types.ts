/**
 * Java types as JSON Schema: built-in and JDK types, collections (`List<Foo>`, `Set<Foo>`,
 * `Foo[]`, `Map<String, Foo>`), the wrappers a handler's return type hides its body in
 * (`ResponseEntity<Foo>`, `Optional<Foo>`, `Mono<Foo>`, `CompletableFuture<Foo>`, `Uni<Foo>`),
 * Spring Data pages, and DTO declarations (classes with their fields, records, enums, nested
 * types, `extends` as `allOf`) with Jackson renames/ignores and Bean Validation constraints,
 * each constrained field also a validation rule with its lines.
 */
import type { Rule } from '../model.js';
import type { TypeFact } from '../service/facts.js';
import { arrayOf, nullable, primitiveSchema, typeRef, type Schema } from '../service/schema.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import type { RuleInput } from '../service/rules.js';
import { applyConstraints, constraintStatement } from './constraints.js';
import { annotationsOf, booleanValue, enumName, evalString, evalStrings, findAnnotation, javadocOf, firstSentence, modifierWords, simpleName, type ClassInfo, type JavaFile } from './syntax.js';

/** A parsed type reference: `Map<String, List<Foo>>[]`. */
export interface JavaType {
  name: string;
  args: JavaType[];
  /** Array dimensions. */
  dims: number;
  /** `?`, `? extends Foo` (then `args[0]` is the bound). */
  wildcard?: boolean;
}

export function parseType(node: SyntaxNode | null | undefined): JavaType | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'generic_type': {
      const base = node.namedChildren.find((c) => c.type !== 'type_arguments');
      const args = node.namedChildren.find((c) => c.type === 'type_arguments');
      return { name: simpleName(base?.text ?? '?'), args: (args?.namedChildren ?? []).map((a) => parseType(a)).filter((a): a is JavaType => !!a), dims: 0 };
    }
    case 'array_type': {
      const el = parseType(node.childForFieldName('element'));
      const dims = (node.childForFieldName('dimensions')?.text.match(/\[/g) ?? []).length || 1;
      return el ? { ...el, dims: el.dims + dims } : undefined;
    }
    case 'annotated_type':
      return parseType(node.namedChildren[node.namedChildren.length - 1]);
    case 'wildcard': {
      const bound = node.namedChildren.find((c) => c.type !== 'annotation' && c.type !== 'marker_annotation' && c.type !== 'super');
      const b = parseType(bound);
      return { name: '?', args: b && !node.children.some((c) => c.type === 'super') ? [b] : [], dims: 0, wildcard: true };
    }
    case 'scoped_type_identifier': {
      const generic = node.namedChildren.find((c) => c.type === 'generic_type');
      if (generic) return parseType(generic);
      return { name: simpleName(node.text), args: [], dims: 0 };
    }
    case 'type_identifier':
    case 'integral_type':
    case 'floating_point_type':
    case 'boolean_type':
    case 'void_type':
      return { name: node.text, args: [], dims: 0 };
  }
  return { name: simpleName(node.text), args: [], dims: 0 };
}

export function typeText(t: JavaType): string {
  const base = t.wildcard ? (t.args[0] ? `? extends ${typeText(t.args[0])}` : '?') : t.args.length ? `${t.name}<${t.args.map(typeText).join(', ')}>` : t.name;
  return base + '[]'.repeat(t.dims);
}

const COLLECTIONS = new Set([
  'List', 'ArrayList', 'LinkedList', 'Collection', 'Iterable', 'Set', 'HashSet', 'LinkedHashSet', 'TreeSet', 'SortedSet', 'NavigableSet',
  'Queue', 'Deque', 'ArrayDeque', 'Stream', 'Flux', 'Multi', 'ImmutableList', 'ImmutableSet', 'CollectionModel', 'PagedModel', 'Vector',
]);
const UNIQUE = new Set(['Set', 'HashSet', 'LinkedHashSet', 'TreeSet', 'SortedSet', 'NavigableSet', 'ImmutableSet']);
const MAPS = new Set(['Map', 'HashMap', 'LinkedHashMap', 'TreeMap', 'SortedMap', 'ConcurrentHashMap', 'ImmutableMap', 'MultiValueMap', 'MultivaluedMap']);
/** Wrappers whose body is their (last) type argument. */
export const WRAPPERS = new Set([
  'ResponseEntity', 'HttpEntity', 'Optional', 'Mono', 'CompletableFuture', 'CompletionStage', 'Future', 'Callable', 'DeferredResult',
  'WebAsyncTask', 'ListenableFuture', 'Uni', 'EntityModel', 'Resource', 'RestResponse', 'JAXBElement', 'Supplier',
]);
const PAGES = new Set(['Page', 'Slice', 'PageImpl']);
/** Framework types that carry no body schema (raw responses, servlet objects). */
const OPAQUE = new Set(['Response', 'ResponseEntity', 'HttpEntity', 'ModelAndView', 'View', 'StreamingOutput', 'StreamingResponseBody', 'SseEmitter', 'ResponseBodyEmitter', 'RedirectView', 'HttpServletResponse']);
const JDK_EXTRA: Record<string, Schema> = {
  UUID: { type: 'string', format: 'uuid' },
  char: { type: 'string', minLength: 1, maxLength: 1 } as Schema,
  Character: { type: 'string', minLength: 1, maxLength: 1 } as Schema,
  Year: { type: 'integer' },
  YearMonth: { type: 'string' },
  Locale: { type: 'string' },
  Currency: { type: 'string' },
  ZoneId: { type: 'string' },
  Period: { type: 'string', format: 'duration' },
  Resource: { type: 'string', format: 'binary' },
  InputStream: { type: 'string', format: 'binary' },
  InputStreamResource: { type: 'string', format: 'binary' },
  ByteArrayResource: { type: 'string', format: 'binary' },
  Part: { type: 'string', format: 'binary' },
  FilePart: { type: 'string', format: 'binary' },
  AtomicInteger: { type: 'integer', format: 'int32' },
  AtomicLong: { type: 'integer', format: 'int64' },
  ObjectNode: { type: 'object' },
  ArrayNode: { type: 'array', items: {} },
  Properties: { type: 'object', additionalProperties: { type: 'string' } },
};

export interface TypeContext {
  /** Type variables in scope (`T` of `class Page<T>`): schema `{}`. */
  typeParams?: ReadonlySet<string>;
  /** In a generic declaration: write type variables as `{x-ficus-type-param: T}` placeholders. */
  markTypeParams?: boolean;
}

/** JSON Schema of a Java type; user types become `$ref`s by simple name. Undefined for `void` and opaque framework types. */
export function schemaOf(t: JavaType | undefined, ctx: TypeContext = {}): Schema | undefined {
  if (!t) return undefined;
  if (t.dims > 0) {
    if (t.dims === 1 && (t.name === 'byte' || t.name === 'Byte')) return { type: 'string', format: 'binary' };
    const item = schemaOf({ ...t, dims: t.dims - 1 }, ctx) ?? {};
    return arrayOf(item);
  }
  if (t.wildcard) return t.args[0] ? schemaOf(t.args[0], ctx) : {};
  if (ctx.typeParams?.has(t.name)) return ctx.markTypeParams ? ({ [TYPE_PARAM]: t.name } as Schema) : {};
  if (t.name === 'void' || t.name === 'Void') return undefined;
  if (WRAPPERS.has(t.name)) {
    if (t.args.length === 0) return OPAQUE.has(t.name) ? undefined : JDK_EXTRA[t.name] ? { ...JDK_EXTRA[t.name]! } : {};
    return schemaOf(t.args[t.args.length - 1], ctx);
  }
  if (OPAQUE.has(t.name)) return undefined;
  if (COLLECTIONS.has(t.name)) {
    const s = arrayOf(t.args[0] ? (schemaOf(t.args[0], ctx) ?? {}) : {});
    return UNIQUE.has(t.name) ? ({ ...s, uniqueItems: true } as Schema) : s;
  }
  if (MAPS.has(t.name)) {
    const v = t.args[1] ? schemaOf(t.args[1], ctx) : undefined;
    const values = t.name === 'MultiValueMap' || t.name === 'MultivaluedMap' ? arrayOf(v ?? {}) : v;
    return values && Object.keys(values).length ? ({ type: 'object', additionalProperties: values } as Schema) : { type: 'object' };
  }
  if (PAGES.has(t.name)) {
    return {
      type: 'object',
      properties: {
        content: arrayOf(t.args[0] ? (schemaOf(t.args[0], ctx) ?? {}) : {}),
        totalElements: { type: 'integer', format: 'int64' },
        totalPages: { type: 'integer', format: 'int32' },
        number: { type: 'integer', format: 'int32' },
        size: { type: 'integer', format: 'int32' },
      },
    } as Schema;
  }
  if (t.name === 'OptionalInt' || t.name === 'OptionalLong') return { type: 'integer' };
  const extra = JDK_EXTRA[t.name];
  if (extra) return { ...extra };
  const p = primitiveSchema(t.name);
  if (p) return Object.keys(p).length ? p : undefined;
  if (t.name === '?' || !/^[A-Za-z_$][\w$]*$/.test(t.name)) return {};
  // `Envelope<UserDto>`: a specialization the Java link step builds from the generic declaration.
  if (t.args.length > 0 && t.args.every((a) => !a.wildcard && a.args.length === 0 && a.dims === 0 && /^[A-Za-z_$][\w$]*$/.test(a.name) && !ctx.typeParams?.has(a.name))) {
    return typeRef(`${t.name}_${t.args.map((a) => a.name).join('_')}`);
  }
  return typeRef(t.name);
}

/** Marks a generic class's type variable in its schema, for the link step to substitute. */
export const TYPE_PARAM = 'x-ficus-type-param';

/** True for types a handler parameter binds from a single request value (query, path, header). */
export function isSimpleType(t: JavaType | undefined): boolean {
  if (!t) return false;
  if (t.dims > 0) return isSimpleType({ ...t, dims: 0 });
  if (COLLECTIONS.has(t.name)) return t.args.length === 0 || isSimpleType(t.args[0]);
  if (t.name === 'Optional') return isSimpleType(t.args[0]);
  if (JDK_EXTRA[t.name] && t.name !== 'ObjectNode' && t.name !== 'ArrayNode' && t.name !== 'Properties') return true;
  const p = primitiveSchema(t.name);
  return !!p && Object.keys(p).length > 0 && p.type !== 'object' && p.format !== 'binary';
}

// ---------------------------------------------------------------- DTO declarations

/** Supertypes that add nothing to a DTO's JSON. */
const IGNORED_BASES = new Set(['Object', 'Serializable', 'Exception', 'RuntimeException', 'Throwable', 'Error', 'Enum', 'Record', 'RepresentationModel', 'ResourceSupport']);

export interface DtoResult {
  types: TypeFact[];
}

/**
 * Type facts for every class, record and enum of the file (the link step keeps only those an
 * operation refers to). Constrained fields add validation rules through `addRule`.
 */
export function extractTypes(file: JavaFile, addRule: (r: RuleInput) => Rule, skip: (c: ClassInfo) => boolean): TypeFact[] {
  const out: TypeFact[] = [];
  for (const c of file.classes) {
    if (skip(c) || c.kind === 'interface') continue;
    const evidence = evidenceOf(file.path, c.node);
    if (c.kind === 'enum') {
      const values: string[] = [];
      for (const k of c.body?.namedChildren.filter((n) => n.type === 'enum_constant') ?? []) {
        const renamed = findAnnotation(annotationsOf(k), 'JsonProperty', 'SerializedName');
        const v = renamed ? evalString(renamed.value, c, file) : undefined;
        values.push(v ?? k.childForFieldName('name')?.text ?? '?');
      }
      out.push({ name: c.name, qualified: c.qualified, schema: { type: 'string', enum: values }, evidence });
      continue;
    }
    const built = classSchema(c, file, addRule);
    out.push({
      name: c.name,
      qualified: c.qualified,
      schema: built.schema,
      evidence,
      ...(built.ruleIds.length ? { ruleIds: built.ruleIds } : {}),
      ...(c.typeParams.length ? { typeParams: c.typeParams } : {}),
    } as TypeFact);
  }
  return out;
}

interface Member {
  name: string;
  node: SyntaxNode;
  type: SyntaxNode | null;
  holder: SyntaxNode;
}

function classSchema(c: ClassInfo, file: JavaFile, addRule: (r: RuleInput) => Rule): { schema: Schema; ruleIds: string[] } {
  const typeParams = new Set<string>([...c.typeParams, ...(c.outer?.typeParams ?? [])]);
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  const ruleIds: string[] = [];
  const classAnns = c.annotations;
  const ignored = new Set(evalStrings(findAnnotation(classAnns, 'JsonIgnoreProperties')?.value, c, file));
  const members: Member[] = [];
  if (c.kind === 'record') {
    for (const p of c.node.childForFieldName('parameters')?.namedChildren ?? []) {
      if (p.type !== 'formal_parameter') continue;
      const name = p.childForFieldName('name')?.text;
      if (name) members.push({ name, node: p, type: p.childForFieldName('type'), holder: p });
    }
  }
  for (const m of c.body?.namedChildren ?? []) {
    if (m.type !== 'field_declaration') continue;
    const words = modifierWords(m);
    if (words.has('static') || words.has('transient')) continue;
    for (const d of m.namedChildren.filter((n) => n.type === 'variable_declarator')) {
      const name = d.childForFieldName('name')?.text;
      if (name) members.push({ name, node: d, type: m.childForFieldName('type'), holder: m });
    }
  }
  for (const member of members) {
    const anns = annotationsOf(member.holder);
    if (findAnnotation(anns, 'JsonIgnore', 'JsonbTransient', 'XmlTransient')) continue;
    const renamed = findAnnotation(anns, 'JsonProperty', 'SerializedName', 'JsonbProperty', 'JsonAlias');
    const jsonName = (renamed && renamed.name !== 'JsonAlias' ? evalString(renamed.value, c, file) : undefined) || member.name;
    if (ignored.has(jsonName)) continue;
    let schema = schemaOf(parseType(member.type), { typeParams, markTypeParams: c.typeParams.length > 0 }) ?? {};
    const access = enumName(renamed?.args.get('access'));
    if (access === 'READ_ONLY') schema = { ...schema, readOnly: true } as Schema;
    if (access === 'WRITE_ONLY') schema = { ...schema, writeOnly: true } as Schema;
    const doc = findAnnotation(anns, 'Schema', 'ApiModelProperty');
    const description = evalString(doc?.args.get('description') ?? (doc?.name === 'ApiModelProperty' ? doc.value : undefined), c, file) ?? javadocOf(member.holder);
    if (description && !description.includes('{{const:') && !('$ref' in schema)) schema = { ...schema, description } as Schema;
    const constrained = applyConstraints(schema, anns, c, file);
    schema = constrained.schema;
    const docRequired = booleanValue(doc?.args.get('required')) === true || enumName(doc?.args.get('requiredMode')) === 'REQUIRED' || booleanValue(renamed?.args.get('required')) === true;
    if (constrained.required || docRequired) required.push(jsonName);
    else if (member.type && /^(Optional|@Nullable)/.test(member.type.text)) schema = nullable(schema);
    properties[jsonName] = schema;
    if (constrained.clauses.length > 0 && constrained.applied.length > 0) {
      const rule = addRule({
        kind: 'validation',
        scope: c.localName,
        statement: `${constraintStatement(`${c.name}.${jsonName}`, constrained.clauses)}${constrained.messages.length ? ` (message: ${constrained.messages.map((m) => `"${m}"`).join(', ')})` : ''}`,
        condition: constrained.applied.join(' '),
        effects: constrained.messages.length ? constrained.messages.map((m) => `reject with "${m}"`) : ['reject the request (400) when violated'],
        fields: [jsonName],
        evidence: [evidenceOf(file.path, member.holder)],
      });
      ruleIds.push(rule.id);
    }
  }
  const own: Schema = { type: 'object', properties, ...(required.length ? { required: [...new Set(required)] } : {}) } as Schema;
  const classDoc = findAnnotation(classAnns, 'Schema', 'ApiModel');
  const description = evalString(classDoc?.args.get('description') ?? classDoc?.value, c, file) ?? (javadocOf(c.node) ? firstSentence(javadocOf(c.node)!) : undefined);
  if (description && !description.includes('{{const:')) (own as Record<string, unknown>).description = description;
  if (c.superclass && !IGNORED_BASES.has(c.superclass) && !typeParams.has(c.superclass)) {
    return { schema: { allOf: [typeRef(c.superclass), own] } as Schema, ruleIds };
  }
  return { schema: own, ruleIds };
}
