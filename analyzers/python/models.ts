/**
 * Data classes of a Python file as JSON Schema types (`TypeFact`s the link step resolves by
 * name): pydantic models (`BaseModel`, `SQLModel`, `RootModel` subclasses, also through bases in
 * other files), dataclasses, `TypedDict`s and `Enum`s. Field annotations give the types;
 * `Optional[X]`/`X | None` and defaults make a field optional; `Field(...)`, `constr`, `conint`
 * and `Annotated[X, Field(...)]` give constraints, each also a `validation` rule with its lines;
 * `Field(alias=...)` renames the property; a model deriving from another model is an `allOf` of
 * the base and its own fields. `@validator`/`@field_validator`/`@model_validator` methods that
 * raise are validation rules too.
 */
import type { TypeFact } from '../service/facts.js';
import { nullable, typeRef, type Schema } from '../service/schema.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { PyContext } from './context.js';
import { findClass } from './project.js';
import { functionRules } from './rules.js';
import { assignmentsIn, callArgs, callName, classMethods, decoratorsOf, dottedName, lastName, literalValue, outerOf, stringList, stringValue } from './syntax.js';
import { applyConstraints, enumSchema, literalDefault, readAnnotation, type Constraint } from './types.js';

export const MODEL_BASES = new Set(['BaseModel', 'SQLModel', 'RootModel', 'GenericModel']);
const SETTINGS_BASES = new Set(['BaseSettings']);
export const ENUM_BASES = new Set(['Enum', 'IntEnum', 'StrEnum', 'IntFlag', 'Flag', 'TextChoices', 'IntegerChoices', 'Choices']);
const TYPED_DICT = new Set(['TypedDict']);

export type ModelKind = 'pydantic' | 'dataclass' | 'typeddict' | 'enum';

/** What kind of data class `name` (of this file or the project) is, if any. */
export function modelKind(name: string, ctx: PyContext): ModelKind | undefined {
  const ancestors = ctx.ancestorsOf(name);
  if (ancestors.some((a) => SETTINGS_BASES.has(a))) return undefined;
  if (ancestors.some((a) => MODEL_BASES.has(a))) return 'pydantic';
  if (ancestors.some((a) => ENUM_BASES.has(a))) return 'enum';
  if (ancestors.some((a) => TYPED_DICT.has(a))) return 'typeddict';
  const cls = ctx.classes.get(name);
  if (cls && decoratorsOf(cls).some((d) => /(^|\.)dataclass$/.test(dottedName(d.type === 'call' ? d.childForFieldName('function') : d) ?? ''))) return 'dataclass';
  return undefined;
}

/** Adds a TypeFact (and rules) for every data class of the file. */
export function extractModels(ctx: PyContext): void {
  for (const [name, cls] of ctx.classes) {
    const kind = modelKind(name, ctx);
    if (!kind) continue;
    const fact = kind === 'enum' ? enumType(name, cls, ctx) : objectType(name, cls, kind, ctx);
    if (fact) ctx.facts.types.push(fact);
  }
}

function enumType(name: string, cls: SyntaxNode, ctx: PyContext): TypeFact {
  const values: (string | number)[] = [];
  for (const a of assignmentsIn(cls.childForFieldName('body'))) {
    if (a.name.startsWith('_')) continue;
    let v = literalValue(a.value);
    // Django `TextChoices`: `DRAFT = 'draft', 'Draft'`
    if (a.value?.type === 'expression_list' || Array.isArray(v)) v = literalValue(a.value?.namedChild(0));
    if (typeof v === 'string' || typeof v === 'number') values.push(v);
    else if (a.value?.type === 'call' && lastName(callName(a.value) ?? '') === 'auto') values.push(a.name.toLowerCase());
  }
  const schema = values.length > 0 ? enumSchema(values) : { type: 'string' as const };
  return { name, schema: { ...schema, title: name } as Schema, evidence: ctx.evidence(outerOf(cls)) };
}

interface FieldRead {
  name: string;
  /** The name comes from `Field(alias=...)`. */
  aliased?: boolean;
  schema: Schema;
  required: boolean;
  constraints: Constraint[];
  statement: SyntaxNode;
}

function objectType(name: string, cls: SyntaxNode, kind: ModelKind, ctx: PyContext): TypeFact {
  const body = cls.childForFieldName('body');
  const fields: FieldRead[] = [];
  const total = cls.childForFieldName('superclasses')?.namedChildren.find((k) => k.type === 'keyword_argument' && k.childForFieldName('name')?.text === 'total');
  const typedDictTotal = literalValue(total?.childForFieldName('value')) !== false;
  for (const a of assignmentsIn(body)) {
    if (!a.type || a.augmented || a.name.startsWith('_') || a.name === 'model_config' || a.name.includes('.')) continue;
    const typeText = a.type.text;
    if (/^(typing\.)?ClassVar\b/.test(typeText)) continue;
    const f = readField(a.name, a.type, a.value, kind, ctx);
    if (kind === 'typeddict') f.required = typedDictTotal && !/^(typing\.)?NotRequired\[/.test(typeText);
    fields.push({ ...f, statement: a.statement });
  }
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  const ruleIds: string[] = [];
  const camel = kind === 'pydantic' && /camel/i.test(aliasGenerator(name, ctx) ?? '');
  for (const f of fields) {
    // An alias generator renames the fields that have no alias of their own.
    if (camel && !f.aliased) f.name = f.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    properties[f.name] = f.schema;
    if (f.required) required.push(f.name);
    if (f.constraints.length > 0) {
      const rule = ctx.rules.add({
        kind: 'validation',
        scope: name,
        statement: `${name}.${f.name} must ${f.constraints.map((c) => c.words).join(' and ')}.`,
        condition: f.constraints.map((c) => `${c.keyword}=${typeof c.value === 'string' ? JSON.stringify(c.value) : c.value}`).join(', '),
        // pydantic raises ValidationError; FastAPI answers 422 when the model is a request body.
        effects: ['ValidationError'],
        fields: [f.name],
        evidence: [ctx.evidence(f.statement)],
      });
      ruleIds.push(rule.id);
    }
  }
  // Validators: `@validator('a', 'b')`, `@field_validator('a')`, `@root_validator`, `@model_validator`.
  for (const m of classMethods(cls)) {
    const deco = decoratorsOf(m).find((d) => /^(validator|field_validator|root_validator|model_validator|validates|validates_schema)$/.test(lastName(dottedName(d.type === 'call' ? d.childForFieldName('function') : d) ?? '')));
    if (!deco) continue;
    const targets = deco.type === 'call' ? callArgs(deco).positional.flatMap((p) => stringList(p)) : [];
    const method = m.childForFieldName('name')?.text ?? 'validator';
    const subject = targets.length > 0 ? targets.map((t) => `${name}.${t}`).join(', ') : name;
    ruleIds.push(...functionRules(m, ctx, { scope: `${name}.${method}`, mode: 'validator', subject }));
  }
  const own: Schema = { type: 'object', properties, ...(required.length > 0 ? { required } : {}) } as Schema;
  const bases = modelBases(name, cls, ctx);
  const schema: Schema = bases.length > 0 ? ({ allOf: [...bases.map((b) => typeRef(b)), own] } as Schema) : own;
  const doc = docstring(cls);
  return {
    name,
    schema: { ...schema, title: name, ...(doc ? { description: doc } : {}) } as Schema,
    evidence: ctx.evidence(outerOf(cls)),
    ...(ruleIds.length > 0 ? { ruleIds } : {}),
  };
}

/** Direct bases that are themselves data classes of the project (not `BaseModel`, `Generic`, mixins). */
function modelBases(name: string, cls: SyntaxNode, ctx: PyContext): string[] {
  const list = cls.childForFieldName('superclasses');
  if (!list) return [];
  const out: string[] = [];
  for (const b of list.namedChildren) {
    if (b.type === 'keyword_argument') continue;
    const base = lastName((b.type === 'subscript' ? dottedName(b.childForFieldName('value')) : dottedName(b)) ?? '');
    if (!base || base === name || MODEL_BASES.has(base) || TYPED_DICT.has(base) || base === 'Generic' || base === 'object') continue;
    if (modelKind(base, ctx) && modelKind(base, ctx) !== 'enum') out.push(base);
  }
  return out;
}

function docstring(cls: SyntaxNode): string | undefined {
  const first = cls.childForFieldName('body')?.namedChild(0);
  if (first?.type !== 'expression_statement') return undefined;
  const s = stringValue(first.namedChild(0));
  return s ? s.trim().split(/\n\s*\n/)[0]!.replace(/\s+/g, ' ') : undefined;
}

/** One field of a model or dataclass: schema with constraints, required or not, property name (alias). */
export function readField(name: string, annotation: SyntaxNode | undefined, value: SyntaxNode | undefined, kind: ModelKind, ctx: PyContext): Omit<FieldRead, 'statement'> {
  const info = readAnnotation(annotation, aliasResolver(ctx));
  let schema = info.schema;
  let required = value === undefined;
  let property = name;
  const constraints: Constraint[] = [];
  const applyCall = (call: SyntaxNode): void => {
    const args = callArgs(call);
    const applied = applyConstraints(schema, args.keywords);
    schema = applied.schema;
    constraints.push(...applied.constraints);
    const alias = stringValue(args.keywords.get('alias')) ?? stringValue(args.keywords.get('serialization_alias')) ?? stringValue(args.keywords.get('validation_alias'));
    if (alias) property = alias;
  };
  // `Annotated[int, Field(gt=0)]`
  for (const meta of info.metadata) if (meta.type === 'call' && /^(Field|field)$/.test(lastName(callName(meta) ?? ''))) applyCall(meta);
  // Constraints inside `constr(...)` become rules too.
  collectConTypeConstraints(annotation, constraints);
  if (value?.type === 'call' && /^(Field|field|PrivateAttr)$/.test(lastName(callName(value) ?? ''))) {
    if (lastName(callName(value) ?? '') === 'PrivateAttr') return { name: `_${name}`, schema, required: false, constraints: [] };
    const args = callArgs(value);
    const dflt = args.positional[0] ?? args.keywords.get('default');
    required = (dflt === undefined || dflt.type === 'ellipsis') && !args.keywords.has('default_factory');
    if (dflt && dflt.type !== 'ellipsis') {
      const d = literalDefault(dflt);
      if (d !== undefined) schema = { ...schema, default: d } as Schema;
    }
    applyCall(value);
  } else if (value) {
    required = value.type === 'ellipsis';
    const d = literalDefault(value);
    if (d !== undefined) schema = { ...schema, default: d } as Schema;
  }
  if (info.nullable && kind !== 'typeddict') required = false;
  if (info.nullable && !('anyOf' in schema) && refOrType(schema)) schema = nullable(schema);
  return { name: property, schema, required, constraints, ...(property !== name ? { aliased: true } : {}) };
}

/** The pydantic alias generator of a model or its nearest ancestor that sets one (`to_camel`), as written. */
function aliasGenerator(className: string, ctx: PyContext): string | undefined {
  for (const name of [className, ...ctx.ancestorsOf(className)]) {
    const local = ctx.classes.get(name);
    if (local) {
      const m = /\balias_generator\s*=\s*([A-Za-z_][\w.]*)/.exec(local.text);
      if (m) return m[1];
      continue;
    }
    const v = findClass(ctx.project, name)?.attrs?.alias_generator;
    if (v) return v;
  }
  return undefined;
}

function refOrType(schema: Schema): boolean {
  const t = (schema as { type?: unknown }).type;
  return typeof t === 'string' && t !== 'null';
}

function collectConTypeConstraints(annotation: SyntaxNode | undefined, out: Constraint[]): void {
  if (!annotation) return;
  const calls = annotation.type === 'call' ? [annotation] : annotation.descendantsOfType('call');
  for (const c of calls) {
    if (!/^con(str|int|float|decimal|list|set|bytes|date)$/.test(lastName(callName(c) ?? ''))) continue;
    out.push(...applyConstraints({ type: lastName(callName(c) ?? '') === 'conlist' ? 'array' : 'string' } as Schema, callArgs(c).keywords).constraints);
  }
}

/** Module-level type aliases of the file (`UserId = Annotated[int, Field(gt=0)]`), for annotations that use them. */
export function aliasResolver(ctx: PyContext): (name: string) => SyntaxNode | undefined {
  const aliases = ctx.memo('type-aliases', () => {
    const found = new Map<string, SyntaxNode>();
    for (const a of assignmentsIn(ctx.root)) {
      const v = a.value;
      if (!v || a.augmented || found.has(a.name)) continue;
      if (v.type === 'subscript' || (v.type === 'binary_operator' && v.child(1)?.type === '|') || (v.type === 'call' && /^con(str|int|float|decimal|list)$/.test(lastName(callName(v) ?? '')))) found.set(a.name, v);
    }
    return found;
  });
  return (name) => (name.includes('.') ? undefined : aliases.get(name));
}
