/**
 * TypeScript types as JSON Schema: interfaces, type aliases, enums and DTO classes become
 * `TypeFact`s (named schemas the link step puts in `components.schemas`), and any type written
 * in a handler (`Request<{}, User, CreateUser>`, `Promise<User[]>`, `FastifyRequest<{ Body:
 * CreateUser }>`) becomes a schema that refers to them by name. Unions of string literals are
 * enums, `T | null` is nullable, `Array<T>`/`T[]` arrays, `Record<K, V>` maps, and the wrappers
 * that do not change the payload (`Promise`, `Partial`, `Readonly`, `Pick`, `Omit`) are looked
 * through. class-validator decorators on DTO fields are schema constraints and validation rules.
 */
import type { TypeFact } from '../service/facts.js';
import { arrayOf, nullable, primitiveSchema, typeRef, type Schema } from '../service/schema.js';
import { descendants, evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { isPlainObject, type Evaluator } from './evaluate.js';
import { addConstraintRule, type RuleSink } from './validators.js';
import { compact, decoratorCall, decoratorsOf, numberValue, propertyKey, stringValue, typeOfAnnotation, unquote } from './syntax.js';

/** Wrappers whose payload is their first type argument. */
const TRANSPARENT = new Set(['Promise', 'PromiseLike', 'Awaited', 'Readonly', 'Partial', 'Required', 'NonNullable', 'Pick', 'Omit', 'DeepPartial', 'Observable', 'Ref']);

/** The JSON Schema a TS type node stands for. Type parameters (`T`) are open. */
export function typeSchema(node: SyntaxNode | null | undefined, typeParams: ReadonlySet<string> = new Set()): Schema {
  if (!node) return {};
  switch (node.type) {
    case 'type_annotation':
      return typeSchema(typeOfAnnotation(node), typeParams);
    case 'predefined_type':
      switch (node.text) {
        case 'string':
          return { type: 'string' };
        case 'number':
          return { type: 'number' };
        case 'boolean':
          return { type: 'boolean' };
        case 'bigint':
          return { type: 'integer' };
        case 'object':
          return { type: 'object' };
        case 'null':
          return { type: 'null' };
        default:
          return {};
      }
    case 'type_identifier':
      if (typeParams.has(node.text)) return {};
      return primitiveSchema(node.text) ?? typeRef(node.text);
    case 'nested_type_identifier': {
      const last = node.namedChildren[node.namedChildren.length - 1]?.text ?? node.text;
      return primitiveSchema(last) ?? typeRef(last);
    }
    case 'generic_type': {
      const nameNode = node.childForFieldName('name') ?? node.namedChildren[0];
      const name = nameNode?.type === 'nested_type_identifier' ? (nameNode.namedChildren[nameNode.namedChildren.length - 1]?.text ?? '') : (nameNode?.text ?? '');
      const args = (node.childForFieldName('type_arguments') ?? node.namedChildren.find((c) => c.type === 'type_arguments'))?.namedChildren ?? [];
      if (name === 'Array' || name === 'ReadonlyArray') return arrayOf(typeSchema(args[0], typeParams));
      if (name === 'Set' || name === 'ReadonlySet') return { type: 'array', uniqueItems: true, items: typeSchema(args[0], typeParams) } as Schema;
      if (name === 'Record' || name === 'Map' || name === 'ReadonlyMap') return { type: 'object', additionalProperties: typeSchema(args[1], typeParams) } as Schema;
      if (TRANSPARENT.has(name)) return typeSchema(args[0], typeParams);
      return primitiveSchema(name) ?? (typeParams.has(name) ? {} : typeRef(name));
    }
    case 'array_type':
      return arrayOf(typeSchema(node.namedChildren[0], typeParams));
    case 'readonly_type':
    case 'parenthesized_type':
      return typeSchema(node.namedChildren[node.namedChildren.length - 1], typeParams);
    case 'tuple_type':
      return { type: 'array', prefixItems: node.namedChildren.map((c) => typeSchema(c, typeParams)) } as unknown as Schema;
    case 'union_type':
      return unionSchema(flattenUnion(node), typeParams);
    case 'intersection_type':
      return { allOf: node.namedChildren.map((c) => typeSchema(c, typeParams)) } as Schema;
    case 'literal_type': {
      const lit = node.namedChildren[0];
      if (lit?.type === 'string') return { type: 'string', enum: [unquote(lit)] } as Schema;
      if (lit?.type === 'number' || lit?.type === 'unary_expression') return { type: 'number', enum: [numberValue(lit) ?? 0] } as Schema;
      if (lit?.type === 'true' || lit?.type === 'false') return { type: 'boolean', enum: [lit.type === 'true'] } as Schema;
      if (lit?.type === 'null') return { type: 'null' };
      return {};
    }
    case 'template_literal_type':
      return { type: 'string' };
    case 'object_type':
      return objectTypeSchema(node, typeParams);
    default:
      return {};
  }
}

function flattenUnion(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.flatMap((c) => (c.type === 'union_type' ? flattenUnion(c) : [c]));
}

function unionSchema(members: SyntaxNode[], typeParams: ReadonlySet<string>): Schema {
  const isNullish = (m: SyntaxNode): boolean => (m.type === 'predefined_type' && (m.text === 'null' || m.text === 'undefined')) || (m.type === 'literal_type' && m.namedChildren[0]?.type === 'null') || m.text === 'undefined';
  const nullish = members.some(isNullish);
  const rest = members.filter((m) => !isNullish(m));
  let schema: Schema;
  const strings = rest.map((m) => (m.type === 'literal_type' && m.namedChildren[0]?.type === 'string' ? unquote(m.namedChildren[0]) : undefined));
  if (rest.length > 0 && strings.every((s) => s !== undefined)) schema = { type: 'string', enum: strings as string[] } as Schema;
  else if (rest.length === 1) schema = typeSchema(rest[0], typeParams);
  else schema = { anyOf: rest.map((m) => typeSchema(m, typeParams)) } as Schema;
  return nullish && members.some((m) => m.text === 'null') ? nullable(schema) : schema;
}

function objectTypeSchema(body: SyntaxNode, typeParams: ReadonlySet<string>): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  let additional: Schema | undefined;
  for (const m of body.namedChildren) {
    if (m.type === 'property_signature') {
      const name = propertyKey(m.childForFieldName('name'));
      if (name === undefined) continue;
      properties[name] = typeSchema(m.childForFieldName('type'), typeParams);
      if (!m.children.some((c) => c.type === '?')) required.push(name);
    } else if (m.type === 'index_signature') {
      additional = typeSchema(m.childForFieldName('type') ?? m.namedChildren[m.namedChildren.length - 1], typeParams);
    }
  }
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...(additional ? { additionalProperties: additional } : {}),
  } as Schema;
}

function typeParamsOf(decl: SyntaxNode): Set<string> {
  const tp = decl.childForFieldName('type_parameters');
  return new Set((tp?.namedChildren ?? []).map((p) => p.childForFieldName('name')?.text ?? p.namedChildren[0]?.text ?? '').filter(Boolean));
}

/** Named types declared in a file: interfaces, type aliases, enums and DTO classes (with class-validator constraints → rules). */
export function declaredTypes(root: SyntaxNode, path: string, evaluator: Evaluator, rules: RuleSink): TypeFact[] {
  const out: TypeFact[] = [];
  for (const decl of descendants(root, ['interface_declaration', 'type_alias_declaration', 'enum_declaration', 'class_declaration', 'abstract_class_declaration'], { stopAt: ['statement_block'] })) {
    const name = decl.childForFieldName('name')?.text;
    if (!name) continue;
    const params = typeParamsOf(decl);
    const evidence = evidenceOf(path, decl);
    if (decl.type === 'interface_declaration') {
      const body = decl.childForFieldName('body');
      const own = body ? objectTypeSchema(body, params) : ({ type: 'object' } as Schema);
      const bases = (decl.namedChildren.find((c) => c.type === 'extends_type_clause')?.namedChildren ?? []).map((t) => typeSchema(t, params));
      out.push({ name, schema: bases.length > 0 ? ({ allOf: [...bases, own] } as Schema) : own, evidence });
    } else if (decl.type === 'type_alias_declaration') {
      const value = decl.childForFieldName('value');
      if (!value) continue;
      out.push({ name, schema: typeSchema(value, params), evidence });
    } else if (decl.type === 'enum_declaration') {
      const values: (string | number)[] = [];
      let next = 0;
      for (const m of decl.childForFieldName('body')?.namedChildren ?? []) {
        if (m.type === 'enum_assignment') {
          const v = m.childForFieldName('value');
          const s = stringValue(v);
          const num = numberValue(v);
          if (s !== undefined) values.push(s);
          else if (num !== undefined) {
            values.push(num);
            next = num + 1;
          }
        } else if (m.type === 'property_identifier') values.push(next++);
      }
      const allStrings = values.every((v) => typeof v === 'string');
      out.push({ name, schema: { type: allStrings ? 'string' : 'integer', enum: values } as Schema, evidence });
    } else {
      const dto = dtoClass(decl, name, path, params, evaluator, rules);
      if (dto) out.push(dto);
    }
  }
  return out;
}

const CLASS_VALIDATOR = new Set(
  'IsOptional IsDefined IsNotEmpty IsEmpty IsString IsInt IsNumber IsNumberString IsBoolean IsEmail IsUrl IsUUID IsDate IsDateString IsISO8601 Length MinLength MaxLength Min Max IsPositive IsNegative ArrayMinSize ArrayMaxSize ArrayNotEmpty Matches IsIn IsEnum IsArray ValidateNested IsObject IsAlpha IsAlphanumeric IsPhoneNumber IsMobilePhone IsHexColor IsJSON IsIP IsPort IsLatitude IsLongitude IsCurrency IsDecimal IsFQDN NotContains Contains Equals NotEquals'.split(' '),
);

/** class-validator decorators → constraint keywords (string/number/array limits depend on the field's type). */
function dtoClass(decl: SyntaxNode, name: string, path: string, typeParams: ReadonlySet<string>, evaluator: Evaluator, rules: RuleSink): TypeFact | undefined {
  const body = decl.childForFieldName('body');
  if (!body) return undefined;
  const fields = body.namedChildren.filter((m) => m.type === 'public_field_definition' && !m.children.some((c) => c.type === 'static'));
  const typed = fields.filter((f) => f.childForFieldName('type') || decoratorsOf(f).length > 0);
  const methods = body.namedChildren.filter((m) => m.type === 'method_definition' && propertyKey(m.childForFieldName('name')) !== 'constructor');
  const decorated = typed.some((f) => decoratorsOf(f).length > 0);
  // A class with behaviour and no decorated fields is a service or controller, not a data shape.
  if (typed.length === 0 || (!decorated && (methods.length > 0 || !/(Dto|DTO|Input|Request|Response|Body|Query|Params|Payload|Model|Entity|Command|Args)$/.test(name)))) return undefined;
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  const ruleIds: string[] = [];
  for (const f of typed) {
    const field = propertyKey(f.childForFieldName('name'));
    if (field === undefined) continue;
    let schema = typeSchema(f.childForFieldName('type'), typeParams) as Record<string, unknown>;
    let optional = f.children.some((c) => c.type === '?');
    const decos = decoratorsOf(f).map((d) => decoratorCall(d)).filter((d): d is { name: string; args: SyntaxNode[] } => !!d);
    let message: string | undefined;
    let constrained = false;
    // Only class-validator decorators make a rule: ORM decorators (`@Column`, `@ForeignKey`) say nothing about input.
    let validated = false;
    let presence = false;
    for (const d of decos) {
      const args = d.args;
      const n0 = numberValue(args[0]);
      const n1 = numberValue(args[1]);
      for (const a of args) {
        const v = evaluator.value(a);
        if (isPlainObject(v) && typeof v.message === 'string') message = v.message;
      }
      const set = (k: string, v: unknown): void => {
        schema[k] = v;
        constrained = true;
      };
      const isArray = schema.type === 'array';
      if (CLASS_VALIDATOR.has(d.name)) validated = true;
      switch (d.name) {
        case 'IsOptional':
          optional = true;
          break;
        case 'IsDefined':
        case 'IsNotEmpty':
          optional = false;
          presence = true;
          constrained = true;
          if (d.name === 'IsNotEmpty' && (schema.type === 'string' || schema.type === undefined)) set('minLength', 1);
          break;
        case 'IsString':
          schema = { ...schema, type: 'string' };
          break;
        case 'IsInt':
          schema = { ...schema, type: 'integer' };
          break;
        case 'IsNumber':
        case 'IsNumberString':
          if (d.name === 'IsNumber') schema = { ...schema, type: 'number' };
          else set('pattern', '^-?\\d+(\\.\\d+)?$');
          break;
        case 'IsBoolean':
          schema = { ...schema, type: 'boolean' };
          break;
        case 'IsEmail':
          set('format', 'email');
          break;
        case 'IsUrl':
          set('format', 'uri');
          break;
        case 'IsUUID':
          set('format', 'uuid');
          break;
        case 'IsDate':
        case 'IsDateString':
        case 'IsISO8601':
          schema = { ...schema, type: 'string' };
          set('format', 'date-time');
          break;
        case 'Length':
          if (n0 !== undefined) set('minLength', n0);
          if (n1 !== undefined) set('maxLength', n1);
          break;
        case 'MinLength':
          if (n0 !== undefined) set('minLength', n0);
          break;
        case 'MaxLength':
          if (n0 !== undefined) set('maxLength', n0);
          break;
        case 'Min':
          if (n0 !== undefined) set('minimum', n0);
          break;
        case 'Max':
          if (n0 !== undefined) set('maximum', n0);
          break;
        case 'IsPositive':
          set('exclusiveMinimum', 0);
          break;
        case 'IsNegative':
          set('exclusiveMaximum', 0);
          break;
        case 'ArrayMinSize':
        case 'ArrayNotEmpty':
          set('minItems', n0 ?? 1);
          break;
        case 'ArrayMaxSize':
          if (n0 !== undefined) set('maxItems', n0);
          break;
        case 'Matches': {
          const re = args[0];
          if (re?.type === 'regex') set('pattern', re.childForFieldName('pattern')?.text ?? '');
          else {
            const s = stringValue(re);
            if (s !== undefined) set('pattern', s);
          }
          break;
        }
        case 'IsIn': {
          const v = evaluator.value(args[0]);
          if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) set('enum', v);
          break;
        }
        case 'IsEnum': {
          const e = args[0]?.type === 'identifier' ? args[0].text : undefined;
          if (e) {
            schema = typeRef(e) as Record<string, unknown>;
            constrained = true;
          }
          break;
        }
        case 'IsArray':
          if (!isArray) schema = arrayOf(schema as Schema) as Record<string, unknown>;
          break;
        default:
          break;
      }
    }
    properties[field] = schema as Schema;
    if (!optional) required.push(field);
    if (validated && (constrained || !optional)) {
      const rule = addConstraintRule(rules, {
        scope: name,
        field,
        schema: schema as Schema,
        required: !optional,
        implicit: !presence,
        source: compact(decos.length > 0 ? f.text.replace(/;\s*$/, '') : f.text),
        origin: 'class-validator',
        evidence: evidenceOf(path, decoratorsOf(f)[0] ?? f, f),
        ...(message ? { message } : {}),
      });
      if (rule) ruleIds.push(rule.id);
    }
  }
  const heritage = decl.namedChildren.find((c) => c.type === 'class_heritage');
  const base = heritage ? descendants(heritage, ['identifier', 'type_identifier'])[0]?.text : undefined;
  const own = { type: 'object', properties, ...(required.length > 0 ? { required } : {}) } as Schema;
  return {
    name,
    schema: base ? ({ allOf: [typeRef(base), own] } as Schema) : own,
    evidence: evidenceOf(path, decl),
    ...(ruleIds.length > 0 ? { ruleIds } : {}),
  };
}
