/**
 * Serializer classes as JSON Schema types: Django REST framework `Serializer`/`ModelSerializer`
 * (declared fields with their kwargs — `max_length`, `min_value`, `required=False`,
 * `allow_null`, `read_only`, nested serializers with `many=True` — and, for `ModelSerializer`,
 * `Meta.fields` typed from the Django model's fields through the project index, `extra_kwargs`),
 * and marshmallow `Schema`s (`fields.Str(required=True, validate=Length(max=50))`,
 * `fields.Nested(X, many=True)`, `data_key`). Field constraints are schema keywords and
 * validation rules; `validate_<field>`/`validate` methods (DRF) and `@validates`/`@validates_schema`
 * (marshmallow) that raise are validation rules with their conditions. Module-level instances
 * (`user_schema = UserSchema()`) are named types too, as views often refer to them.
 */
import type { TypeFact } from '../service/facts.js';
import { arrayOf, nullable, typeRef, type Schema } from '../service/schema.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { PyContext } from './context.js';
import { constructions } from './objects.js';
import { findClass } from './project.js';
import { functionRules } from './rules.js';
import { assignmentsIn, callArgs, callName, classMethods, decoratorsOf, definitionOf, dottedName, lastName, literalValue, outerOf, statementsOf, stringList, stringValue } from './syntax.js';
import { applyConstraints, enumSchema, literalDefault, type Constraint } from './types.js';

export const DRF_SERIALIZERS = new Set(['Serializer', 'ModelSerializer', 'HyperlinkedModelSerializer', 'ListSerializer', 'BaseSerializer']);
const MARSHMALLOW_SCHEMAS = new Set(['Schema', 'SQLAlchemySchema', 'SQLAlchemyAutoSchema', 'ModelSchema', 'MarshmallowSchema']);

/** Field classes (DRF serializer fields, marshmallow fields, Django model fields) → schema. */
const FIELD_TYPES: Record<string, Schema> = {};
const put = (names: string, schema: Schema): void => {
  for (const n of names.split(' ')) FIELD_TYPES[n] = schema;
};
put('CharField TextField Str String SlugField RegexField Constant ChoiceField CICharField CITextField Char', { type: 'string' });
put('EmailField Email', { type: 'string', format: 'email' });
put('URLField Url URL HyperlinkedIdentityField HyperlinkedRelatedField', { type: 'string', format: 'uri' });
put('UUIDField UUID', { type: 'string', format: 'uuid' });
put('IntegerField Int Integer BigIntegerField SmallIntegerField AutoField BigAutoField SmallAutoField PositiveIntegerField PositiveSmallIntegerField PositiveBigIntegerField PrimaryKeyRelatedField ForeignKey OneToOneField', { type: 'integer' });
put('FloatField Float Number', { type: 'number' });
put('DecimalField Decimal', { type: 'string', format: 'decimal' });
put('BooleanField Bool Boolean NullBooleanField', { type: 'boolean' });
put('DateTimeField DateTime AwareDateTime NaiveDateTime', { type: 'string', format: 'date-time' });
put('DateField Date', { type: 'string', format: 'date' });
put('TimeField Time', { type: 'string', format: 'time' });
put('DurationField TimeDelta', { type: 'string', format: 'duration' });
put('IPAddressField GenericIPAddressField IP IPv4 IPv6', { type: 'string' });
put('FileField ImageField FilePathField', { type: 'string', format: 'uri' });
put('JSONField Raw Dict DictField HStoreField Mapping', {});
put('SlugRelatedField StringRelatedField', { type: 'string' });
put('ManyToManyField MultipleChoiceField', { type: 'array', items: {} } as Schema);
put('SerializerMethodField ReadOnlyField Method Function HiddenField', {});

export type SerializerKind = 'drf' | 'marshmallow';

export function serializerKind(name: string, ctx: PyContext): SerializerKind | undefined {
  const ancestors = ctx.ancestorsOf(name);
  if (ancestors.some((a) => DRF_SERIALIZERS.has(a))) return 'drf';
  if (ancestors.some((a) => MARSHMALLOW_SCHEMAS.has(a)) && ![...ctx.imports.values()].some((i) => /^ninja\b/.test(i.module))) {
    if (ancestors.some((a) => a === 'BaseModel')) return undefined;
    return 'marshmallow';
  }
  return undefined;
}

export function extractSerializers(ctx: PyContext): void {
  for (const [name, cls] of ctx.classes) {
    const kind = serializerKind(name, ctx);
    if (kind) ctx.facts.types.push(serializerType(name, cls, kind, ctx));
  }
  // `user_schema = UserSchema()`, `users_schema = UserSchema(many=True)` at module level.
  for (const c of constructions(ctx)) {
    if (c.statement.parent?.type !== 'module' || c.name.includes('.')) continue;
    const cls = lastName(c.callee);
    if (!serializerKind(cls, ctx)) continue;
    const many = literalValue(callArgs(c.call).keywords.get('many')) === true;
    ctx.facts.types.push({ name: c.name, schema: many ? arrayOf(typeRef(cls)) : ({ allOf: [typeRef(cls)] } as Schema), evidence: ctx.evidence(c.statement) });
  }
}

interface FieldOut {
  name: string;
  schema: Schema;
  required: boolean;
  constraints: Constraint[];
  node: SyntaxNode;
}

function serializerType(name: string, cls: SyntaxNode, kind: SerializerKind, ctx: PyContext): TypeFact {
  const body = cls.childForFieldName('body');
  const fields: FieldOut[] = [];
  for (const a of assignmentsIn(body)) {
    if (a.augmented || a.name.includes('.') || a.name.startsWith('_') || a.value?.type !== 'call') continue;
    const f = fieldOf(a.name, a.value, kind, ctx);
    if (f) fields.push({ ...f, node: a.statement });
  }
  const meta = metaOf(cls);
  const declared = new Set(fields.map((f) => f.name));
  if (kind === 'drf' && meta) {
    const modelName = lastName(dottedName(meta.get('model')) ?? '');
    const model = modelName ? findClass(ctx.project, modelName) : undefined;
    const modelFields = model?.fields ?? {};
    let names = stringList(meta.get('fields'));
    if (stringValue(meta.get('fields')) === '__all__') names = ['id', ...Object.keys(modelFields)];
    const exclude = new Set(stringList(meta.get('exclude')));
    if (names.length === 0 && exclude.size > 0) names = ['id', ...Object.keys(modelFields)];
    const readOnly = new Set(stringList(meta.get('read_only_fields')));
    const extra = dictOfDicts(meta.get('extra_kwargs'));
    for (const n of names) {
      if (declared.has(n) || exclude.has(n)) continue;
      const fieldClass = modelFields[n] ?? (n === 'id' || n === 'pk' ? 'AutoField' : undefined);
      let schema: Schema = fieldClass ? { ...(FIELD_TYPES[fieldClass] ?? {}) } : {};
      if (fieldClass === 'ManyToManyField') schema = arrayOf({ type: 'integer' });
      if (readOnly.has(n) || n === 'id' || n === 'pk' || fieldClass === 'AutoField' || fieldClass === 'BigAutoField') schema = { ...schema, readOnly: true } as Schema;
      const kw = extra.get(n);
      const constraints: Constraint[] = [];
      if (kw) {
        const applied = applyConstraints(schema, kw);
        schema = applied.schema;
        constraints.push(...applied.constraints);
        if (literalValue(kw.get('write_only')) === true) schema = { ...schema, writeOnly: true } as Schema;
        if (literalValue(kw.get('read_only')) === true) schema = { ...schema, readOnly: true } as Schema;
      }
      fields.push({ name: n, schema, required: kw ? literalValue(kw.get('required')) === true : false, constraints, node: meta.node });
    }
  }
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  const ruleIds: string[] = [];
  const status = kind === 'drf' ? 400 : 422;
  for (const f of fields) {
    properties[f.name] = f.schema;
    if (f.required) required.push(f.name);
    if (f.constraints.length > 0) {
      ruleIds.push(
        ctx.rules.add({
          kind: 'validation',
          scope: name,
          statement: `${name}.${f.name} must ${f.constraints.map((c) => c.words).join(' and ')} (else the request is rejected with ${status}).`,
          condition: f.constraints.map((c) => `${c.keyword}=${typeof c.value === 'string' ? JSON.stringify(c.value) : c.value}`).join(', '),
          effects: [`${status} validation error`],
          fields: [f.name],
          evidence: [ctx.evidence(f.node)],
        }).id,
      );
    }
  }
  for (const m of classMethods(cls)) {
    const method = m.childForFieldName('name')?.text ?? '';
    let subject: string | undefined;
    if (kind === 'drf' && method.startsWith('validate_')) subject = `${name}.${method.slice('validate_'.length)}`;
    else if (kind === 'drf' && method === 'validate') subject = name;
    else if (kind === 'marshmallow') {
      const deco = decoratorsOf(m).find((d) => /^(validates|validates_schema)$/.test(lastName(dottedName(d.type === 'call' ? d.childForFieldName('function') : d) ?? '')));
      if (deco) {
        const targets = deco.type === 'call' ? callArgs(deco).positional.flatMap((p) => stringList(p)) : [];
        subject = targets.length ? targets.map((t) => `${name}.${t}`).join(', ') : name;
      }
    }
    if (subject) ruleIds.push(...functionRules(m, ctx, { scope: `${name}.${method}`, mode: 'validator', subject, validatorStatus: status }));
  }
  const own: Schema = { type: 'object', properties, ...(required.length ? { required } : {}) } as Schema;
  const bases = (cls.childForFieldName('superclasses')?.namedChildren ?? [])
    .map((b) => lastName(dottedName(b) ?? ''))
    .filter((b) => b && b !== name && !DRF_SERIALIZERS.has(b) && !MARSHMALLOW_SCHEMAS.has(b) && serializerKind(b, ctx));
  const schema: Schema = bases.length ? ({ allOf: [...bases.map((b) => typeRef(b)), own] } as Schema) : own;
  return { name, schema: { ...schema, title: name } as Schema, evidence: ctx.evidence(outerOf(cls)), ...(ruleIds.length ? { ruleIds } : {}) };
}

/** Inner `class Meta:` assignments by name, with the class node for evidence. */
function metaOf(cls: SyntaxNode): (Map<string, SyntaxNode> & { node: SyntaxNode }) | undefined {
  for (const s of statementsOf(cls.childForFieldName('body'))) {
    const def = definitionOf(s);
    if (def?.type !== 'class_definition' || def.childForFieldName('name')?.text !== 'Meta') continue;
    const map = new Map<string, SyntaxNode>() as Map<string, SyntaxNode> & { node: SyntaxNode };
    map.node = def;
    for (const a of assignmentsIn(def.childForFieldName('body'))) if (a.value) map.set(a.name, a.value);
    return map;
  }
  return undefined;
}

/** `{'password': {'write_only': True, 'min_length': 8}}` → name → keyword map. */
function dictOfDicts(node: SyntaxNode | undefined): Map<string, Map<string, SyntaxNode>> {
  const out = new Map<string, Map<string, SyntaxNode>>();
  if (node?.type !== 'dictionary') return out;
  for (const pair of node.namedChildren) {
    const key = stringValue(pair.childForFieldName('key'));
    const value = pair.childForFieldName('value');
    if (key === undefined || value?.type !== 'dictionary') continue;
    const kw = new Map<string, SyntaxNode>();
    for (const p of value.namedChildren) {
      const k = stringValue(p.childForFieldName('key'));
      const v = p.childForFieldName('value');
      if (k !== undefined && v) kw.set(k, v);
    }
    out.set(key, kw);
  }
  return out;
}

/** One declared field (`serializers.CharField(max_length=50)`, `fields.Nested(X, many=True)`); undefined for non-field assignments. */
export function fieldOf(name: string, call: SyntaxNode, kind: SerializerKind, ctx: PyContext): Omit<FieldOut, 'node'> | undefined {
  const callee = lastName(callName(call) ?? '');
  if (!callee) return undefined;
  const args = callArgs(call);
  const kw = args.keywords;
  let schema: Schema;
  let nested = false;
  if (FIELD_TYPES[callee] !== undefined) schema = { ...FIELD_TYPES[callee]! };
  else if (callee === 'Nested' || callee === 'Pluck') {
    const target = args.positional[0];
    const t = stringValue(target) ?? lastName(dottedName(target?.type === 'call' ? target.childForFieldName('function') : target) ?? '');
    schema = t && t !== 'self' ? typeRef(t) : { type: 'object' };
    nested = true;
  } else if (callee === 'List' || callee === 'ListField' || callee === 'ArrayField' || callee === 'Tuple') {
    const child = kw.get('child') ?? args.positional[0];
    const item = child?.type === 'call' ? fieldOf(name, child, kind, ctx)?.schema ?? {} : {};
    schema = arrayOf(item);
  } else if (callee === 'Enum') {
    const e = lastName(dottedName(args.positional[0]) ?? '');
    schema = e ? typeRef(e) : { type: 'string' };
  } else if (serializerKind(callee, ctx) || /Serializer$|Schema$/.test(callee)) {
    schema = typeRef(callee);
    nested = true;
  } else return undefined;
  if (callee === 'ChoiceField' || callee === 'MultipleChoiceField') {
    const choices = literalValue(kw.get('choices') ?? args.positional[0]);
    if (Array.isArray(choices)) {
      const values = choices.map((c) => (Array.isArray(c) ? c[0] : c)).filter((v): v is string | number => typeof v === 'string' || typeof v === 'number');
      if (values.length) schema = callee === 'ChoiceField' ? enumSchema(values) : arrayOf(enumSchema(values));
    }
  }
  if (literalValue(kw.get('many')) === true) schema = arrayOf(schema);
  // flask-restx numbers: `fields.Integer(min=1, max=10)`.
  const keywords = new Map(kw);
  if (kind === 'marshmallow') {
    if (kw.has('min') && !kw.has('ge')) keywords.set(literalValue(kw.get('exclusiveMin')) === true ? 'gt' : 'ge', kw.get('min')!);
    if (kw.has('max') && !kw.has('le')) keywords.set(literalValue(kw.get('exclusiveMax')) === true ? 'lt' : 'le', kw.get('max')!);
  }
  const applied = applyConstraints(schema, keywords);
  schema = applied.schema;
  const constraints = [...applied.constraints];
  if (callee === 'RegexField') {
    const regex = stringValue(args.positional[0] ?? kw.get('regex'));
    if (regex !== undefined) {
      schema = { ...schema, pattern: regex } as Schema;
      constraints.push({ keyword: 'regex', value: regex, words: `match ${regex}` });
    }
  }
  // marshmallow `validate=Length(min=1, max=50)` / `Range(min=0)` / `OneOf([...])` / `Regexp(...)`, also in a list.
  const validate = kw.get('validate');
  for (const v of validate?.type === 'list' || validate?.type === 'tuple' ? validate.namedChildren : validate ? [validate] : []) {
    if (v.type !== 'call') continue;
    const vname = lastName(callName(v) ?? '');
    const vargs = callArgs(v);
    const map = new Map<string, SyntaxNode>();
    const isArray = (schema as { type?: unknown }).type === 'array';
    if (vname === 'Length') {
      if (vargs.keywords.get('min')) map.set(isArray ? 'min_items' : 'min_length', vargs.keywords.get('min')!);
      if (vargs.keywords.get('max')) map.set(isArray ? 'max_items' : 'max_length', vargs.keywords.get('max')!);
      if (vargs.keywords.get('equal')) {
        map.set('min_length', vargs.keywords.get('equal')!);
        map.set('max_length', vargs.keywords.get('equal')!);
      }
    } else if (vname === 'Range') {
      const exclusiveMin = literalValue(vargs.keywords.get('min_inclusive')) === false;
      const exclusiveMax = literalValue(vargs.keywords.get('max_inclusive')) === false;
      if (vargs.keywords.get('min')) map.set(exclusiveMin ? 'gt' : 'ge', vargs.keywords.get('min')!);
      if (vargs.keywords.get('max')) map.set(exclusiveMax ? 'lt' : 'le', vargs.keywords.get('max')!);
    } else if (vname === 'Regexp') {
      const r = vargs.positional[0] ?? vargs.keywords.get('regex');
      if (r) map.set('pattern', r);
    } else if (vname === 'OneOf') {
      const choices = literalValue(vargs.positional[0] ?? vargs.keywords.get('choices'));
      if (Array.isArray(choices)) {
        const values = choices.filter((c): c is string | number => typeof c === 'string' || typeof c === 'number');
        schema = { ...schema, enum: values } as Schema;
        constraints.push({ keyword: 'OneOf', value: values.join('|'), words: `be one of ${values.join(', ')}` });
      }
    } else if (vname === 'Email') {
      schema = { ...schema, format: 'email' } as Schema;
      constraints.push({ keyword: 'Email', value: true, words: 'be an email address' });
    }
    if (map.size > 0) {
      const a = applyConstraints(schema, map);
      schema = a.schema;
      constraints.push(...a.constraints);
    }
  }
  const readOnly = literalValue(kw.get('read_only')) === true || literalValue(kw.get('dump_only')) === true || literalValue(kw.get('readonly')) === true || /^(SerializerMethodField|ReadOnlyField|Method|Function|HyperlinkedIdentityField|StringRelatedField)$/.test(callee);
  const writeOnly = literalValue(kw.get('write_only')) === true || literalValue(kw.get('load_only')) === true;
  if (readOnly) schema = { ...schema, readOnly: true } as Schema;
  if (writeOnly) schema = { ...schema, writeOnly: true } as Schema;
  if (literalValue(kw.get('allow_null')) === true || literalValue(kw.get('allow_none')) === true) schema = nullable(schema);
  const d = literalDefault(kw.get('default') ?? kw.get('load_default') ?? kw.get('missing'));
  if (d !== undefined) schema = { ...schema, default: d } as Schema;
  const property = stringValue(kw.get('data_key')) ?? name;
  let required: boolean;
  if (kind === 'drf') {
    const r = literalValue(kw.get('required'));
    required = r === true || (r === undefined && !readOnly && !kw.has('default') && !(nested && literalValue(kw.get('read_only')) === true));
  } else required = literalValue(kw.get('required')) === true;
  return { name: property, schema, required, constraints };
}

/** A dict of marshmallow fields (`@use_kwargs({'tag': fields.Str(), 'limit': fields.Int()})`) as an object schema. */
export function marshmallowFieldsSchema(dict: SyntaxNode, ctx: PyContext): { schema: Schema; required: string[] } {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const pair of dict.namedChildren) {
    if (pair.type !== 'pair') continue;
    const key = stringValue(pair.childForFieldName('key'));
    const value = pair.childForFieldName('value');
    if (key === undefined || value?.type !== 'call') continue;
    const f = fieldOf(key, value, 'marshmallow', ctx);
    properties[f?.name ?? key] = f?.schema ?? {};
    if (f?.required) required.push(f.name);
  }
  return { schema: { type: 'object', properties, ...(required.length ? { required } : {}) } as Schema, required };
}

/**
 * flask-restx / Flask-RESTPlus models: `todo = ns.model('Todo', {'task': fields.String(required=True)})`
 * (also `api.model`, `Model('Todo', {...})`) become types named as the model; returns variable → model name.
 */
export function restxModels(ctx: PyContext): Map<string, string> {
  return ctx.memo('restx-models', () => {
    const names = new Map<string, string>();
    for (const c of constructions(ctx)) {
      const last = lastName(c.callee);
      if (!((last === 'model' && c.callee.includes('.')) || last === 'Model' || last === 'inherit')) continue;
      const args = callArgs(c.call);
      const name = stringValue(args.positional[0] ?? args.keywords.get('name'));
      const dict = args.positional.find((a) => a.type === 'dictionary');
      if (!name || !dict) continue;
      const { schema } = marshmallowFieldsSchema(dict, ctx);
      // `ns.inherit('Child', parent, {...})`
      const parent = last === 'inherit' ? args.positional[1] : undefined;
      const parentName = parent?.type === 'identifier' ? (names.get(parent.text) ?? parent.text) : undefined;
      ctx.facts.types.push({ name, schema: { ...(parentName ? { allOf: [typeRef(parentName), schema] } : schema), title: name } as Schema, evidence: ctx.evidence(c.statement) });
      names.set(c.name, name);
    }
    return names;
  });
}
