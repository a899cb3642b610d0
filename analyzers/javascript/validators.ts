/**
 * Validation libraries as schemas and rules: Joi, zod, TypeBox and fluent-json-schema builder
 * chains (`Joi.string().max(50).required()`, `z.string().email()`, `Type.String({ minLength: 1 })`,
 * `S.object().prop('tag', S.string())`), plain JSON Schema literals (Fastify), and the request
 * validators used as Express middleware: express-validator chains (`body('email').isEmail()`,
 * `query('page').optional().isInt({ min: 1 })`) and segment objects (celebrate's
 * `{ [Segments.BODY]: … }`, express-validation, zod request schemas `{ body, query, params }`).
 * Every constrained field becomes a JSON Schema constraint and a `validation` rule whose
 * evidence is the field's own lines.
 */
import type { Evidence, Rule } from '../model.js';
import type { ParamFact, ParamLocation, TypeFact } from '../service/facts.js';
import type { RuleInput } from '../service/rules.js';
import { arrayOf, nullable, refName, typeRef, type Schema } from '../service/schema.js';
import { descendants, evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { isPlainObject, Opaque, plain, type Evaluator, type JsValue } from './evaluate.js';
import type { FunctionSummary } from './facts.js';
import type { Scope } from './scope.js';
import { argumentsOf, compact, memberPath, numberValue, propertyKey, stringValue, unwrap } from './syntax.js';

export interface RuleSink {
  add(rule: RuleInput): Rule;
}

export interface ConstraintInput {
  /** Enclosing type or function, part of the rule id. */
  scope: string;
  field: string;
  schema: Schema;
  required: boolean;
  /** The declaring source, compacted (the condition). */
  source: string;
  /** `Joi`, `zod`, `class-validator`… for the statement. */
  origin: string;
  evidence: Evidence;
  message?: string;
  /** Where the field is read from, when not the body (`query`, `header`). */
  location?: string;
  /** Required only because the library makes every field required (zod, TypeBox, a plain class field): alone, that is no rule. */
  implicit?: boolean;
}

const CONSTRAINT_KEYS = ['minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'pattern', 'format', 'enum', 'minItems', 'maxItems', 'multipleOf'];

/** A validation rule for a constrained field; none when the field only has a type. */
export function addConstraintRule(rules: RuleSink, c: ConstraintInput): Rule | undefined {
  const s = (refName(c.schema) ? {} : (plain(c.schema) ?? {})) as Record<string, unknown>;
  const items = (s.items ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  const effects: string[] = [];
  if (c.required) {
    parts.push('is required');
    effects.push('required');
  }
  const must: string[] = [];
  const fmt = (s.format ?? items.format) as string | undefined;
  if (fmt) {
    must.push(FORMAT_WORDS[fmt] ?? `in ${fmt} format`);
    effects.push(`format ${fmt}`);
  }
  if (s.type === 'integer' && CONSTRAINT_KEYS.some((k) => k in s)) must.push('an integer');
  const min = s.minLength as number | undefined;
  const max = s.maxLength as number | undefined;
  if (min !== undefined && max !== undefined) must.push(min === max ? `exactly ${min} characters long` : `${min} to ${max} characters long`);
  else if (min !== undefined) must.push(min === 1 ? 'not empty' : `at least ${min} characters long`);
  else if (max !== undefined) must.push(`at most ${max} characters long`);
  if (s.minimum !== undefined) must.push(`at least ${String(s.minimum)}`);
  if (s.exclusiveMinimum !== undefined) must.push(`greater than ${String(s.exclusiveMinimum)}`);
  if (s.maximum !== undefined) must.push(`at most ${String(s.maximum)}`);
  if (s.exclusiveMaximum !== undefined) must.push(`less than ${String(s.exclusiveMaximum)}`);
  if (s.minItems !== undefined) must.push(`at least ${String(s.minItems)} item${s.minItems === 1 ? '' : 's'}`);
  if (s.maxItems !== undefined) must.push(`at most ${String(s.maxItems)} items`);
  if (Array.isArray(s.enum)) must.push(`one of ${(s.enum as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
  if (typeof s.pattern === 'string') must.push(`match /${s.pattern}/`);
  for (const k of CONSTRAINT_KEYS) if (k in s && k !== 'format') effects.push(`${k} ${typeof s[k] === 'string' ? s[k] : JSON.stringify(s[k])}`);
  if (c.implicit && must.length === 0) return undefined;
  if (must.length > 0) parts.push(`must be ${must.join(', ')}`.replace('must be match', 'must match'));
  if (parts.length === 0) return undefined;
  if (c.message) effects.push(`message ${JSON.stringify(c.message)}`);
  const where = c.location ? `${c.location} ` : '';
  return rules.add({
    kind: 'validation',
    scope: c.scope,
    statement: `${where}\`${c.field}\` ${parts.join(' and ')} (${c.origin}, ${c.scope})${c.message ? `; otherwise "${c.message}"` : ''}`,
    condition: c.source,
    effects,
    fields: [c.field],
    evidence: [c.evidence],
  });
}

const FORMAT_WORDS: Record<string, string> = {
  email: 'an email address',
  uri: 'a URL',
  uuid: 'a UUID',
  'date-time': 'a date-time',
  date: 'a date',
};

/** A builder evaluated: its schema, and whether it is marked required/optional on itself. */
interface Built {
  schema: Record<string, unknown>;
  /** true: `.required()`, false: `.optional()`, undefined: the library's default. */
  required?: boolean;
  message?: string;
  /** Object properties as declared, for rules: name → node of the property value; `explicit` when `.required()`/`.optional()` was written. */
  fields?: { name: string; node: SyntaxNode; built: Built; explicit?: boolean }[];
  library: Library;
}

type Library = 'joi' | 'zod' | 'typebox' | 'fluent' | 'json';

const LIB_PACKAGES: Record<string, Library> = {
  joi: 'joi',
  '@hapi/joi': 'joi',
  zod: 'zod',
  '@sinclair/typebox': 'typebox',
  'fluent-json-schema': 'fluent',
};
const LIB_NAMES: Record<string, Library> = { Joi: 'joi', joi: 'joi', z: 'zod', Type: 'typebox', S: 'fluent', fluentSchema: 'fluent' };

const SEGMENTS: Record<string, ParamLocation | 'body' | 'path'> = {
  body: 'body',
  query: 'query',
  querystring: 'query',
  params: 'path',
  headers: 'header',
  cookies: 'cookie',
  signedcookies: 'cookie',
};

export interface Validators {
  /** The schema an expression declares (builder chain, JSON Schema literal, imported schema → `$ref`), or undefined. */
  schemaOf(node: SyntaxNode | null | undefined): Schema | undefined;
  /** Validation rules for the constrained fields of the object schema an expression builds (once per node). */
  rulesFor(node: SyntaxNode | null | undefined, scopeName: string): string[];
  /** What a route-level middleware argument declares (express-validator, celebrate, `validate(schema)`). */
  middleware(node: SyntaxNode, scopeName: string): FunctionSummary | undefined;
  /** Module-level consts holding schemas, as named types. */
  namedSchemas(): TypeFact[];
  /** True when a call is `schema.validate(x)` / `schema.parse(x)` / `Joi.validate(x, schema)`: the schema validated. */
  validatedSchema(call: SyntaxNode): SyntaxNode | undefined;
}

export function createValidators(deps: { scope: Scope; evaluator: Evaluator; path: string; rules: RuleSink }): Validators {
  const { scope, evaluator, path, rules } = deps;
  const ruled = new Map<number, string[]>();

  /** The library a chain's root name belongs to. */
  const libraryOf = (root: SyntaxNode): Library | undefined => {
    const imp = scope.importOf(root);
    if (imp) return 'package' in imp.target ? LIB_PACKAGES[imp.target.package] : undefined;
    // Globals by their conventional names when the import is not visible (a shared `joi` setup file).
    if (root.type === 'identifier' && !scope.lookup(root.text, root)) return LIB_NAMES[root.text];
    return undefined;
  };

  /** Flattens `a.b().c(x).d` into its root and the calls on it. */
  const chainOf = (node: SyntaxNode): { root: SyntaxNode; calls: { name: string; args: SyntaxNode[]; node: SyntaxNode }[] } | undefined => {
    const calls: { name: string; args: SyntaxNode[]; node: SyntaxNode }[] = [];
    let n: SyntaxNode | null = unwrap(node);
    while (n) {
      if (n.type === 'call_expression') {
        const fn = unwrap(n.childForFieldName('function'));
        if (fn?.type === 'member_expression') {
          calls.unshift({ name: fn.childForFieldName('property')?.text ?? '', args: argumentsOf(n), node: n });
          n = unwrap(fn.childForFieldName('object'));
          continue;
        }
        if (fn?.type === 'identifier') {
          // `object({...})` imported by name from zod/joi, or `body('x')` (express-validator).
          calls.unshift({ name: fn.text, args: argumentsOf(n), node: n });
          return { root: fn, calls };
        }
        return undefined;
      }
      if (n.type === 'member_expression') {
        // `z.coerce.number()`: the member without a call is a namespace step.
        const prop = n.childForFieldName('property')?.text ?? '';
        if (prop !== 'coerce') calls.unshift({ name: prop, args: [], node: n });
        n = unwrap(n.childForFieldName('object'));
        continue;
      }
      if (n.type === 'identifier') return { root: n, calls };
      return undefined;
    }
    return undefined;
  };

  const build = (node: SyntaxNode | null | undefined, depth = 0): Built | undefined => {
    const n = unwrap(node);
    if (!n || depth > 8) return undefined;
    if (n.type === 'object') return jsonLiteral(n, depth);
    if (n.type === 'identifier') {
      const b = scope.lookup(n.text, n);
      if (b?.kind === 'value' && b.value) return build(b.value, depth + 1);
      if (b?.kind === 'import' || (b?.kind === 'pattern' && scope.refOf(n))) {
        const ref = scope.refOf(n);
        return ref ? { schema: typeRef(ref.name.split('.').pop()!) as Record<string, unknown>, library: 'json' } : undefined;
      }
      return undefined;
    }
    const chain = chainOf(n);
    if (!chain) {
      // `schemas.getArticles.querystring` and other member reads of known values.
      if (n.type === 'member_expression') {
        const v = evaluator.value(n);
        if (v instanceof Opaque && v.ref) return { schema: typeRef(v.ref.name.split('.').pop()!) as Record<string, unknown>, library: 'json' };
        if (isPlainObject(v)) return fromValue(v, depth);
      }
      return undefined;
    }
    let lib = libraryOf(chain.root);
    let base: Built | undefined;
    let calls = chain.calls;
    if (!lib) {
      // A chain continuing a schema declared elsewhere: `UserSchema.keys({...}).required()`.
      const b = chain.root.type === 'identifier' ? scope.lookup(chain.root.text, chain.root) : undefined;
      if (b?.kind === 'value' && b.value && b.value.id !== n.id) base = build(b.value, depth + 1);
      else if (b?.kind === 'import') {
        // `T.CreateSchema.extend(…)` with `import * as T`: the member steps name the schema.
        let refNode: SyntaxNode = chain.root;
        while (calls[0] && calls[0].node.type === 'member_expression' && calls[0].args.length === 0) {
          refNode = calls[0].node;
          calls = calls.slice(1);
        }
        const ref = scope.refOf(refNode);
        if (ref && ref.name !== '*') base = { schema: typeRef(ref.name.split('.').pop()!) as Record<string, unknown>, library: 'json' };
      }
      if (!base) return undefined;
      lib = base.library;
    }
    if (lib === 'json') lib = undefined;
    let built = base ? { ...base, schema: { ...base.schema } } : undefined;
    for (const call of calls) {
      const next = applyCall(lib, built, call, depth);
      if (next === null) return undefined;
      built = next;
    }
    return built;
  };

  const fromValue = (v: { [key: string]: JsValue }, depth: number): Built | undefined => {
    if (!('type' in v) && !('properties' in v) && !('$ref' in v) && !('anyOf' in v) && !('oneOf' in v) && !('allOf' in v) && !('enum' in v)) return undefined;
    return { schema: jsonSchemaOf(v, depth) as Record<string, unknown>, library: 'json' };
  };

  const jsonSchemaOf = (v: JsValue, depth: number): Schema => {
    if (v instanceof Opaque) {
      const b = build(v.node, depth + 1);
      if (b) return b.schema as Schema;
      if (v.ref) return typeRef(v.ref.name.split('.').pop()!);
      return {};
    }
    if (Array.isArray(v)) return v.map((x) => jsonSchemaOf(x, depth + 1)) as unknown as Schema;
    if (!isPlainObject(v)) return v as unknown as Schema;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'properties' || k === 'patternProperties' || k === '$defs' || k === 'definitions') {
        const props: Record<string, unknown> = {};
        if (isPlainObject(x)) for (const [pk, pv] of Object.entries(x)) props[pk] = jsonSchemaOf(pv, depth + 1);
        out[k] = props;
      } else if (['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains'].includes(k) && (isPlainObject(x) || x instanceof Opaque)) out[k] = jsonSchemaOf(x, depth + 1);
      else if (['anyOf', 'oneOf', 'allOf', 'prefixItems'].includes(k) && Array.isArray(x)) out[k] = x.map((y) => jsonSchemaOf(y, depth + 1));
      else if (k === '$ref' && typeof x === 'string') out[k] = x.startsWith('#/components/schemas/') ? x : `#/components/schemas/${x.replace(/#.*$/, '').replace(/^.*\//, '') || 'Unknown'}`;
      else if (!(x instanceof Opaque)) out[k] = plain(x);
    }
    // Fastify's `nullable: true` (OpenAPI 3.0 style) → a null type.
    if (out.nullable === true && typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      delete out.nullable;
    }
    return out as Schema;
  };

  const jsonLiteral = (n: SyntaxNode, depth: number): Built | undefined => {
    const v = evaluator.value(n);
    if (!isPlainObject(v)) return undefined;
    const built = fromValue(v, depth);
    if (!built) return undefined;
    // Properties as written, for rules with their own lines.
    const propsPair = n.namedChildren.find((c) => c.type === 'pair' && propertyKey(c.childForFieldName('key')) === 'properties');
    const propsNode = unwrap(propsPair?.childForFieldName('value'));
    if (propsNode?.type === 'object') {
      built.fields = [];
      const props = (built.schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const c of propsNode.namedChildren.filter((x) => x.type === 'pair')) {
        const name = propertyKey(c.childForFieldName('key'));
        if (name !== undefined && props[name]) built.fields.push({ name, node: c, built: { schema: props[name]!, library: 'json', required: ((built.schema.required as string[] | undefined) ?? []).includes(name) }, explicit: true });
      }
    }
    return built;
  };

  /** Applies one call of a chain; null when the chain is not a schema after all. */
  const applyCall = (lib: Library | undefined, cur: Built | undefined, call: { name: string; args: SyntaxNode[]; node: SyntaxNode }, depth: number): Built | undefined | null => {
    const { name, args } = call;
    const n0 = numberValue(args[0]);
    const v0 = () => evaluator.value(args[0]);
    const opts = (i: number): Record<string, unknown> => {
      const v = evaluator.value(args[i]);
      return isPlainObject(v) ? (v as Record<string, unknown>) : {};
    };
    const msgOf = (i: number): string | undefined => {
      const s = stringValue(args[i]);
      if (s !== undefined) return s;
      const o = opts(i);
      return typeof o.message === 'string' ? o.message : undefined;
    };
    if (!cur) {
      // The first call names the type.
      const type = baseType(lib, name);
      if (type === undefined) return null;
      const built: Built = { schema: { ...type }, library: lib ?? 'json' };
      if (lib === 'typebox') {
        applyTypeBox(built, name, args, depth);
      } else if (lib === 'zod' && (name === 'object' || name === 'strictObject')) {
        objectFields(built, args[0], depth, true);
      } else if (lib === 'joi' && name === 'object' && args[0]) {
        objectFields(built, args[0], depth, false);
      } else if (lib === 'zod' && name === 'array') {
        built.schema.items = build(args[0], depth + 1)?.schema ?? {};
      } else if (lib === 'zod' && (name === 'enum' || name === 'literal')) {
        const v = v0();
        const values = Array.isArray(v) ? v : v !== undefined && !(v instanceof Opaque) ? [v] : [];
        const primitive = values.length > 0 && values.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean');
        // Values known only at run time (members of an enum of another file) give no enum rather than a partial one.
        if (primitive) built.schema = { type: typeof values[0] === 'number' ? 'number' : typeof values[0] === 'boolean' ? 'boolean' : 'string', enum: values };
        else if (name === 'enum' && unwrap(args[0])?.type === 'identifier') built.schema = typeRef(unwrap(args[0])!.text) as Record<string, unknown>;
      } else if (lib === 'zod' && name === 'nativeEnum' && args[0]?.type === 'identifier') {
        built.schema = typeRef(args[0].text) as Record<string, unknown>;
      } else if (lib === 'zod' && name === 'union') {
        const v = unwrap(args[0]);
        if (v?.type === 'array') built.schema = { anyOf: v.namedChildren.map((c) => build(c, depth + 1)?.schema ?? {}) };
      } else if ((lib === 'zod' && name === 'record') || (lib === 'joi' && name === 'object' && !args[0])) {
        if (lib === 'zod') built.schema = { type: 'object', additionalProperties: build(args[args.length - 1], depth + 1)?.schema ?? {} };
      } else if (lib === 'zod' && (name === 'optional' || name === 'nullable')) {
        const inner = build(args[0], depth + 1);
        if (inner) return { ...inner, ...(name === 'optional' ? { required: false } : { schema: nullable(inner.schema as Schema) as Record<string, unknown> }) };
      } else if (lib === 'fluent' && (name === 'anyOf' || name === 'oneOf')) {
        const v = unwrap(args[0]);
        if (v?.type === 'array') built.schema = { [name]: v.namedChildren.map((c) => build(c, depth + 1)?.schema ?? {}) };
      }
      return built;
    }
    const s = cur.schema;
    const type = s.type;
    const isString = type === 'string';
    const isArray = type === 'array';
    switch (name) {
      case 'required':
        if (lib === 'fluent' && Array.isArray(v0())) s.required = (plain(v0()) as unknown[]).filter((x) => typeof x === 'string');
        else cur.required = true;
        if (lib !== 'fluent' && msgOf(0)) cur.message = msgOf(0);
        return cur;
      case 'exist':
      case 'exists':
      case 'nonempty':
        if (name === 'nonempty') {
          if (isArray) s.minItems = 1;
          else s.minLength = 1;
        } else cur.required = true;
        return cur;
      case 'optional':
      case 'nullish':
        cur.required = false;
        if (name === 'nullish') cur.schema = nullable(s as Schema) as Record<string, unknown>;
        return cur;
      case 'nullable':
        cur.schema = nullable(s as Schema) as Record<string, unknown>;
        return cur;
      case 'allow': {
        const vals = args.map((a) => evaluator.value(a));
        if (vals.includes(null)) cur.schema = nullable(s as Schema) as Record<string, unknown>;
        return cur;
      }
      case 'valid':
      case 'only':
      case 'equal':
      case 'enum': {
        const vals = lib === 'fluent' ? v0() : args.length === 1 && Array.isArray(v0()) ? v0() : args.map((a) => evaluator.value(a));
        if (Array.isArray(vals) && vals.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) s.enum = vals;
        return cur;
      }
      case 'min':
      case 'minLength':
      case 'minItems':
      case 'minimum':
      case 'gte':
        if (n0 === undefined) return cur;
        if (name === 'minLength' || (name === 'min' && isString)) s.minLength = n0;
        else if (name === 'minItems' || (name === 'min' && isArray)) s.minItems = n0;
        else s.minimum = n0;
        if (msgOf(1)) cur.message = msgOf(1);
        return cur;
      case 'max':
      case 'maxLength':
      case 'maxItems':
      case 'maximum':
      case 'lte':
        if (n0 === undefined) return cur;
        if (name === 'maxLength' || (name === 'max' && isString)) s.maxLength = n0;
        else if (name === 'maxItems' || (name === 'max' && isArray)) s.maxItems = n0;
        else s.maximum = n0;
        if (msgOf(1)) cur.message = msgOf(1);
        return cur;
      case 'length':
        if (n0 === undefined) return cur;
        if (isArray) s.minItems = s.maxItems = n0;
        else s.minLength = s.maxLength = n0;
        return cur;
      case 'gt':
      case 'greater':
      case 'exclusiveMinimum':
        if (n0 !== undefined) s.exclusiveMinimum = n0;
        return cur;
      case 'lt':
      case 'less':
      case 'exclusiveMaximum':
        if (n0 !== undefined) s.exclusiveMaximum = n0;
        return cur;
      case 'positive':
        s.exclusiveMinimum = 0;
        return cur;
      case 'nonnegative':
        s.minimum = 0;
        return cur;
      case 'negative':
        s.exclusiveMaximum = 0;
        return cur;
      case 'int':
      case 'integer':
        s.type = 'integer';
        return cur;
      case 'email':
      case 'uuid':
      case 'guid':
      case 'url':
      case 'uri':
      case 'datetime':
      case 'isoDate':
      case 'date':
        if (isString || !type || type === 'string') {
          s.format = name === 'url' || name === 'uri' ? 'uri' : name === 'guid' ? 'uuid' : name === 'datetime' || name === 'isoDate' ? 'date-time' : name;
          if (name === 'date' && lib === 'joi') s.format = 'date-time';
        }
        if (msgOf(0)) cur.message = msgOf(0);
        return cur;
      case 'format': {
        const f = stringValue(args[0]) ?? memberPath(args[0])?.slice(-1)[0]?.toLowerCase().replace(/_/g, '-');
        if (f) s.format = f;
        return cur;
      }
      case 'pattern':
      case 'regex':
      case 'regexp': {
        const a = unwrap(args[0]);
        const p = a?.type === 'regex' ? a.childForFieldName('pattern')?.text : stringValue(a);
        if (p !== undefined) s.pattern = p;
        if (msgOf(1)) cur.message = msgOf(1);
        return cur;
      }
      case 'alphanum':
        s.pattern = '^[a-zA-Z0-9]*$';
        return cur;
      case 'default': {
        const v = v0();
        if (v !== undefined && !(v instanceof Opaque) && typeof v !== 'object') s.default = v;
        if (lib === 'zod') cur.required = false;
        return cur;
      }
      case 'describe':
      case 'description':
        if (stringValue(args[0])) s.description = stringValue(args[0]);
        return cur;
      case 'items': {
        const item = build(args[0], depth + 1);
        if (item) s.items = item.schema;
        return cur;
      }
      case 'array':
        return { ...cur, schema: arrayOf(s as Schema) as Record<string, unknown> };
      case 'keys':
      case 'append':
      case 'extend':
        if (lib === 'fluent' && name === 'extend') {
          const other = build(args[0], depth + 1);
          if (other) cur.schema = { allOf: [other.schema, s] };
          return cur;
        }
        if (refName(s) !== undefined) {
          // `BaseSchema.extend({...})` of a schema declared elsewhere: both, the new part last.
          const own: Built = { schema: { type: 'object' }, library: lib ?? 'zod' };
          objectFields(own, args[0], depth, lib === 'zod' || lib === undefined);
          return { ...own, schema: { allOf: [s, own.schema] }, library: lib ?? 'zod' };
        }
        objectFields(cur, args[0], depth, lib === 'zod');
        return cur;
      case 'prop': {
        const propName = stringValue(args[0]);
        if (propName === undefined) return cur;
        const value = args[1] ? build(args[1], depth + 1) : undefined;
        const props = (s.properties ??= {}) as Record<string, unknown>;
        props[propName] = value?.schema ?? {};
        if (value?.required) s.required = [...((s.required as string[] | undefined) ?? []), propName];
        (cur.fields ??= []).push({ name: propName, node: call.node, built: value ?? { schema: {}, library: 'fluent' }, explicit: true });
        return cur;
      }
      case 'additionalProperties':
        s.additionalProperties = args[0] ? (evaluator.value(args[0]) === false ? false : (build(args[0], depth + 1)?.schema ?? true)) : true;
        return cur;
      case 'try': {
        const alts = args.map((a) => build(a, depth + 1)?.schema ?? {});
        cur.schema = { anyOf: alts };
        return cur;
      }
      case 'partial':
        delete s.required;
        for (const f of cur.fields ?? []) f.built.required = false;
        return cur;
      case 'withMessage':
      case 'error':
      case 'messages':
      case 'message':
        if (msgOf(0)) cur.message = msgOf(0);
        return cur;
      case 'raw':
        Object.assign(s, plain(opts(0)));
        return cur;
      default:
        // Modifiers that do not change the wire shape (trim, lowercase, label, strict, refine, transform, id…).
        return cur;
    }
  };

  const objectFields = (built: Built, objNode: SyntaxNode | undefined, depth: number, requiredByDefault: boolean): void => {
    const obj = unwrap(objNode);
    if (!obj || obj.type !== 'object') return;
    const props = ((built.schema.properties ??= {}) as Record<string, unknown>);
    const required = new Set((built.schema.required as string[] | undefined) ?? []);
    built.schema.type = 'object';
    for (const c of obj.namedChildren) {
      if (c.type !== 'pair' && c.type !== 'shorthand_property_identifier') continue;
      const name = c.type === 'pair' ? propertyKey(c.childForFieldName('key')) : c.text;
      const valueNode = c.type === 'pair' ? c.childForFieldName('value') : c;
      if (name === undefined) continue;
      const value = build(valueNode, depth + 1) ?? { schema: {}, library: built.library };
      props[name] = value.schema;
      const isRequired = value.required ?? requiredByDefault;
      if (isRequired) required.add(name);
      else required.delete(name);
      (built.fields ??= []).push({ name, node: c, built: { ...value, required: isRequired }, explicit: value.required !== undefined || !requiredByDefault });
    }
    if (required.size > 0) built.schema.required = [...required];
    else delete built.schema.required;
  };

  const applyTypeBox = (built: Built, name: string, args: SyntaxNode[], depth: number): void => {
    const optsAt = (i: number): Record<string, unknown> => {
      const v = evaluator.value(args[i]);
      return isPlainObject(v) ? (plain(Object.fromEntries(Object.entries(v).filter(([, x]) => !(x instanceof Opaque) && (typeof x !== 'object' || x === null || Array.isArray(x))))) as Record<string, unknown>) : {};
    };
    switch (name) {
      case 'Object': {
        objectFields(built, args[0], depth, true);
        Object.assign(built.schema, optsAt(1));
        break;
      }
      case 'Array':
        built.schema.items = build(args[0], depth + 1)?.schema ?? {};
        Object.assign(built.schema, optsAt(1));
        break;
      case 'Optional': {
        const inner = build(args[0], depth + 1);
        if (inner) {
          built.schema = inner.schema;
          built.fields = inner.fields;
        }
        built.required = false;
        break;
      }
      case 'Union': {
        const v = unwrap(args[0]);
        if (v?.type === 'array') {
          const members = v.namedChildren.map((c) => build(c, depth + 1)?.schema ?? {});
          const lits = members.map((m) => (m as { enum?: unknown[] }).enum);
          built.schema = lits.every((l) => Array.isArray(l) && l.length === 1) ? { type: 'string', enum: lits.map((l) => l![0]) } : { anyOf: members };
        }
        break;
      }
      case 'Literal': {
        const v = evaluator.value(args[0]);
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') built.schema = { type: typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string', enum: [v] };
        break;
      }
      case 'Enum':
        if (args[0]?.type === 'identifier') built.schema = typeRef(args[0].text) as Record<string, unknown>;
        break;
      case 'Record':
        built.schema = { type: 'object', additionalProperties: build(args[1], depth + 1)?.schema ?? {} };
        break;
      default:
        Object.assign(built.schema, optsAt(0));
    }
  };

  const schemaOf = (node: SyntaxNode | null | undefined): Schema | undefined => {
    const b = build(node);
    return b ? (b.schema as Schema) : undefined;
  };

  const rulesFor = (node: SyntaxNode | null | undefined, scopeName: string, location?: string, prebuilt?: Built): string[] => {
    const n = unwrap(node);
    if (!n) return [];
    const target = n.type === 'identifier' ? resolveValueNode(n) : n;
    if (!target) return [];
    const done = ruled.get(target.id);
    if (done) return done;
    const built = prebuilt ?? build(target);
    const ids: string[] = [];
    ruled.set(target.id, ids);
    if (!built) return ids;
    const visit = (b: Built, prefix: string, where: string | undefined): void => {
      for (const f of b.fields ?? []) {
        const full = prefix ? `${prefix}.${f.name}` : f.name;
        const rule = addConstraintRule(rules, {
          scope: scopeName,
          field: full,
          schema: f.built.schema as Schema,
          required: f.built.required === true,
          implicit: f.explicit !== true,
          source: compact(f.node.text),
          origin: LIB_LABEL[f.built.library] ?? LIB_LABEL[b.library] ?? 'JSON Schema',
          evidence: evidenceOf(path, f.node),
          ...(f.built.message ? { message: f.built.message } : {}),
          ...(where ? { location: where } : {}),
        });
        if (rule) ids.push(rule.id);
        if (f.built.fields) visit(f.built, full, where);
      }
    };
    // A request schema `{ body, query, params }`: its parts are where the fields are, not fields.
    if (!prefixFree(built)) visit(built, '', location);
    else for (const f of built.fields ?? []) visit(f.built, '', SEGMENTS[f.name.toLowerCase()] === 'body' ? undefined : SEGMENTS[f.name.toLowerCase()]);
    return ids;
  };

  const resolveValueNode = (id: SyntaxNode): SyntaxNode | undefined => {
    const b = scope.lookup(id.text, id);
    return b?.kind === 'value' && b.value ? (unwrap(b.value) ?? undefined) : undefined;
  };

  /** express-validator: `body('email').isEmail()`; returns the location, the field and the built constraints. */
  const expressValidator = (node: SyntaxNode): { location: ParamLocation | 'body'; field: string; built: Built; node: SyntaxNode } | undefined => {
    const chain = chainOf(node);
    if (!chain || chain.calls.length === 0) return undefined;
    const first = chain.calls[0]!;
    const fromEv = scope.fromPackage(chain.root, ['express-validator', 'express-validator/check', 'express-validator/filter']);
    const known = ['body', 'query', 'param', 'header', 'cookie', 'check'];
    if (chain.root.type !== 'identifier' || !known.includes(first.name)) return undefined;
    if (!fromEv && scope.lookup(chain.root.text, chain.root)) return undefined;
    const field = stringValue(first.args[0]);
    if (field === undefined) return undefined;
    const location = first.name === 'query' ? 'query' : first.name === 'header' ? 'header' : first.name === 'cookie' ? 'cookie' : first.name === 'param' ? 'path' : 'body';
    const s: Record<string, unknown> = {};
    const built: Built = { schema: s, library: 'json', required: true };
    let negate = false;
    for (const c of chain.calls.slice(1)) {
      const o = (() => {
        const v = evaluator.value(c.args[0]);
        return isPlainObject(v) ? (v as Record<string, unknown>) : {};
      })();
      const num = (k: string): number | undefined => (typeof o[k] === 'number' ? (o[k] as number) : undefined);
      switch (c.name) {
        case 'optional':
          built.required = false;
          break;
        case 'not':
          negate = true;
          continue;
        case 'isEmpty':
          if (negate) s.minLength = 1;
          break;
        case 'notEmpty':
          s.minLength = 1;
          break;
        case 'exists':
          built.required = true;
          break;
        case 'isEmail':
        case 'normalizeEmail':
          s.type = 'string';
          if (c.name === 'isEmail') s.format = 'email';
          break;
        case 'isURL':
          s.type = 'string';
          s.format = 'uri';
          break;
        case 'isUUID':
          s.type = 'string';
          s.format = 'uuid';
          break;
        case 'isISO8601':
        case 'isDate':
          s.type = 'string';
          s.format = 'date-time';
          break;
        case 'isInt':
        case 'toInt':
          s.type = 'integer';
          if (num('min') !== undefined) s.minimum = num('min');
          if (num('max') !== undefined) s.maximum = num('max');
          if (num('gt') !== undefined) s.exclusiveMinimum = num('gt');
          if (num('lt') !== undefined) s.exclusiveMaximum = num('lt');
          break;
        case 'isFloat':
        case 'isNumeric':
        case 'isDecimal':
        case 'toFloat':
          s.type = 'number';
          if (num('min') !== undefined) s.minimum = num('min');
          if (num('max') !== undefined) s.maximum = num('max');
          break;
        case 'isBoolean':
        case 'toBoolean':
          s.type = 'boolean';
          break;
        case 'isString':
          s.type = 'string';
          break;
        case 'isLength':
          s.type ??= 'string';
          if (num('min') !== undefined) s.minLength = num('min');
          if (num('max') !== undefined) s.maxLength = num('max');
          break;
        case 'isArray':
          s.type = 'array';
          if (num('min') !== undefined) s.minItems = num('min');
          if (num('max') !== undefined) s.maxItems = num('max');
          break;
        case 'isIn': {
          const v = evaluator.value(c.args[0]);
          if (Array.isArray(v)) s.enum = v.filter((x) => typeof x === 'string' || typeof x === 'number');
          break;
        }
        case 'matches': {
          const a = unwrap(c.args[0]);
          const p = a?.type === 'regex' ? a.childForFieldName('pattern')?.text : stringValue(a);
          if (p !== undefined) s.pattern = p;
          break;
        }
        case 'withMessage': {
          const m = stringValue(c.args[0]);
          if (m !== undefined) built.message = m;
          break;
        }
        default:
          break;
      }
      negate = false;
    }
    return { location, field, built, node };
  };

  const middleware = (node: SyntaxNode, scopeName: string): FunctionSummary | undefined => {
    const n = unwrap(node);
    if (!n) return undefined;
    const out: FunctionSummary = { reads: [], forwards: [], responses: [], ruleIds: [] };
    let found = false;
    const bodyProps: Record<string, unknown> = {};
    const bodyRequired: string[] = [];
    const addBodyField = (field: string, schema: Record<string, unknown>, required: boolean): void => {
      // `user.email` → nested object properties.
      const parts = field.split('.').filter((p) => p !== '*');
      let props = bodyProps;
      let req = bodyRequired;
      for (const [i, p] of parts.entries()) {
        if (i === parts.length - 1) {
          props[p] = schema;
          if (required && !req.includes(p)) req.push(p);
        } else {
          const next = (props[p] ??= { type: 'object', properties: {} }) as { properties: Record<string, unknown>; required?: string[] };
          next.properties ??= {};
          if (required && !req.includes(p)) req.push(p);
          req = next.required ??= [];
          props = next.properties;
        }
      }
    };
    const visit = (x: SyntaxNode | null, depth: number): void => {
      const v = unwrap(x);
      if (!v || depth > 4) return;
      if (v.type === 'array') {
        for (const c of v.namedChildren) visit(c, depth + 1);
        return;
      }
      if (v.type === 'identifier') {
        const b = scope.lookup(v.text, v);
        if (b?.kind === 'value' && b.value && (unwrap(b.value)?.type === 'array' || unwrap(b.value)?.type === 'call_expression')) visit(b.value, depth + 1);
        return;
      }
      if (v.type !== 'call_expression') return;
      const ev = expressValidator(v);
      if (ev) {
        found = true;
        const rule = addConstraintRule(rules, {
          scope: scopeName,
          field: ev.field,
          schema: ev.built.schema as Schema,
          required: ev.built.required === true,
          source: compact(v.text),
          origin: 'express-validator',
          evidence: evidenceOf(path, v),
          ...(ev.built.message ? { message: ev.built.message } : {}),
          ...(ev.location !== 'body' ? { location: ev.location } : {}),
        });
        if (rule) out.ruleIds.push(rule.id);
        if (ev.location === 'body') addBodyField(ev.field, ev.built.schema, ev.built.required === true);
        else (out.params ??= []).push({ name: ev.field, in: ev.location, required: ev.location === 'path' || ev.built.required === true, schema: { type: 'string', ...ev.built.schema } as Schema, evidence: evidenceOf(path, v) });
        return;
      }
      // celebrate({ [Segments.BODY]: … }), validate({ body, query }), validate(zodRequestSchema), validateBody(schema)
      const callee = memberPath(v.childForFieldName('function'))?.join('.') ?? '';
      const args = argumentsOf(v);
      if (!/celebrate|valid|check|schema|guard/i.test(callee) || args.length === 0) return;
      const segments = segmentsOf(args[0]!);
      if (segments) {
        found = true;
        for (const [seg, segNode] of segments) {
          const loc = SEGMENTS[seg.toLowerCase()];
          if (!loc) continue;
          const built = build(segNode) ?? (unwrap(segNode)?.type === 'object' ? (() => {
            const b: Built = { schema: { type: 'object' }, library: 'joi' };
            objectFields(b, unwrap(segNode)!, 0, false);
            return b;
          })() : undefined);
          if (!built) continue;
          out.ruleIds.push(...rulesFor(segNode, scopeName, loc === 'body' ? undefined : loc, built));
          if (loc === 'body') out.body = { schema: built.schema as Schema };
          else if (loc !== 'path') {
            const props = (built.schema.properties ?? {}) as Record<string, Schema>;
            const req = new Set((built.schema.required as string[] | undefined) ?? []);
            for (const [name, schema] of Object.entries(props)) (out.params ??= []).push({ name, in: loc, required: req.has(name), schema });
            if (refName(built.schema)) (out.params ??= []).push({ name: refName(built.schema)!, in: loc, fromType: refName(built.schema)! });
          }
        }
        return;
      }
      const built = build(args[0]);
      if (built && (built.schema.type === 'object' || refName(built.schema))) {
        found = true;
        const loc = /query/i.test(callee) ? 'query' : /param/i.test(callee) ? 'path' : /header/i.test(callee) ? 'header' : 'body';
        out.ruleIds.push(...rulesFor(args[0], scopeName, loc === 'body' ? undefined : loc, built));
        if (loc === 'body') out.body = { schema: built.schema as Schema };
        else if (loc === 'query' || loc === 'header') {
          const props = (built.schema.properties ?? {}) as Record<string, Schema>;
          for (const [name, schema] of Object.entries(props)) (out.params ??= []).push({ name, in: loc, schema });
          if (refName(built.schema)) (out.params ??= []).push({ name: refName(built.schema)!, in: loc, fromType: refName(built.schema)! });
        }
      }
    };
    visit(n, 0);
    if (Object.keys(bodyProps).length > 0) out.body = { schema: { type: 'object', properties: bodyProps, ...(bodyRequired.length > 0 ? { required: bodyRequired } : {}) } as Schema };
    return found ? out : undefined;
  };

  /** `{ body: …, query: … }` as written (keys normalized), or a zod/Joi object whose properties are all segments. */
  const segmentsOf = (arg: SyntaxNode): [string, SyntaxNode][] | undefined => {
    let n = unwrap(arg);
    if (n?.type === 'identifier') {
      const b = scope.lookup(n.text, n);
      if (b?.kind === 'value' && b.value) n = unwrap(b.value);
    }
    if (!n) return undefined;
    let obj: SyntaxNode | null = n.type === 'object' ? n : null;
    if (!obj && n.type === 'call_expression') {
      const chain = chainOf(n);
      const objectCall = chain?.calls.find((c) => (c.name === 'object' || c.name === 'Object' || c.name === 'keys' || c.name === 'extend') && unwrap(c.args[0])?.type === 'object');
      obj = objectCall ? unwrap(objectCall.args[0]) : null;
    }
    if (!obj) return undefined;
    const entries: [string, SyntaxNode][] = [];
    for (const c of obj.namedChildren) {
      if (c.type !== 'pair') continue;
      const keyNode = c.childForFieldName('key');
      const key = propertyKey(keyNode) ?? (keyNode?.type === 'computed_property_name' ? (memberPath(keyNode.namedChildren[0])?.slice(-1)[0] ?? stringValue(keyNode.namedChildren[0])) : undefined);
      const value = c.childForFieldName('value');
      if (key === undefined || !value) return undefined;
      entries.push([key, value]);
    }
    return entries.length > 0 && entries.every(([k]) => k.toLowerCase() in SEGMENTS) ? entries : undefined;
  };

  return {
    schemaOf,
    rulesFor: (node, scopeName) => rulesFor(node, scopeName),
    middleware,
    namedSchemas() {
      const out: TypeFact[] = [];
      for (const d of descendants(scope.root, 'variable_declarator', { stopAt: ['statement_block', 'class_body', 'arrow_function', 'function_expression'] })) {
        const name = d.childForFieldName('name');
        const value = unwrap(d.childForFieldName('value'));
        if (name?.type !== 'identifier' || !value) continue;
        if (value.type !== 'call_expression' && value.type !== 'object') continue;
        const built = build(value);
        if (!built || refName(built.schema)) continue;
        if (built.library === 'json' && value.type === 'object' && !('type' in built.schema || 'properties' in built.schema)) continue;
        const ruleIds = rulesFor(value, name.text);
        out.push({ name: name.text, schema: built.schema as Schema, evidence: evidenceOf(path, d), ...(ruleIds.length > 0 ? { ruleIds } : {}) });
      }
      return out;
    },
    validatedSchema(call) {
      const fn = unwrap(call.childForFieldName('function'));
      if (fn?.type !== 'member_expression') return undefined;
      const method = fn.childForFieldName('property')?.text ?? '';
      const obj = fn.childForFieldName('object');
      if (['validate', 'validateAsync', 'parse', 'safeParse', 'parseAsync', 'safeParseAsync', 'assert', 'attempt'].includes(method)) {
        const root = memberPath(obj)?.[0];
        // `Joi.validate(value, schema)` / `Joi.attempt(value, schema)`
        if (root && LIB_NAMES[root] === 'joi' && (method === 'validate' || method === 'attempt' || method === 'assert')) return argumentsOf(call)[1];
        return obj && build(obj) ? obj : undefined;
      }
      return undefined;
    },
  };
}

/** True when every property of an object schema is a request part (`body`, `query`, `params`, `headers`). */
function prefixFree(built: Built): boolean {
  const names = (built.fields ?? []).map((f) => f.name.toLowerCase());
  return names.length > 0 && names.every((n) => n in SEGMENTS) && names.some((n) => n === 'body' || n === 'query' || n === 'querystring');
}

/** The parts of a request schema (`z.object({ body, query })`), when it is one. */
export function requestParts(schema: Schema): { body?: Schema; querystring?: Schema; headers?: Schema; params?: Schema } | undefined {
  const own = ((schema as { allOf?: Schema[] }).allOf?.slice(-1)[0] ?? schema) as { properties?: Record<string, Schema> };
  const props = own.properties;
  if (!props) return undefined;
  const names = Object.keys(props).map((n) => n.toLowerCase());
  if (names.length === 0 || !names.every((n) => n in SEGMENTS) || !names.some((n) => n === 'body' || n === 'query' || n === 'querystring')) return undefined;
  const out: { body?: Schema; querystring?: Schema; headers?: Schema; params?: Schema } = {};
  for (const [k, v] of Object.entries(props)) {
    const seg = SEGMENTS[k.toLowerCase()];
    if (seg === 'body') out.body = v;
    else if (seg === 'query') out.querystring = v;
    else if (seg === 'header') out.headers = v;
    else if (seg === 'path') out.params = v;
  }
  return out;
}

const LIB_LABEL: Record<Library, string> = { joi: 'Joi', zod: 'zod', typebox: 'TypeBox', fluent: 'fluent-json-schema', json: 'JSON Schema' };

function baseType(lib: Library | undefined, name: string): Record<string, unknown> | undefined {
  switch (lib) {
    case 'joi':
      return ({ string: { type: 'string' }, number: { type: 'number' }, boolean: { type: 'boolean' }, bool: { type: 'boolean' }, date: { type: 'string', format: 'date-time' }, array: { type: 'array' }, object: { type: 'object' }, any: {}, alternatives: {}, alt: {}, binary: { type: 'string', format: 'binary' } } as Record<string, Record<string, unknown>>)[name];
    case 'zod':
      return ({ string: { type: 'string' }, number: { type: 'number' }, bigint: { type: 'integer' }, boolean: { type: 'boolean' }, date: { type: 'string', format: 'date-time' }, array: { type: 'array' }, object: { type: 'object' }, strictObject: { type: 'object' }, enum: { type: 'string' }, nativeEnum: {}, literal: {}, union: {}, any: {}, unknown: {}, record: { type: 'object' }, optional: {}, nullable: {}, null: { type: 'null' }, email: { type: 'string', format: 'email' }, uuid: { type: 'string', format: 'uuid' }, url: { type: 'string', format: 'uri' } } as Record<string, Record<string, unknown>>)[name];
    case 'typebox':
      return ({ Object: { type: 'object' }, String: { type: 'string' }, Number: { type: 'number' }, Integer: { type: 'integer' }, Boolean: { type: 'boolean' }, Array: { type: 'array' }, Optional: {}, Union: {}, Literal: {}, Null: { type: 'null' }, Any: {}, Unknown: {}, Enum: {}, Record: { type: 'object' } } as Record<string, Record<string, unknown>>)[name];
    case 'fluent':
      return ({ object: { type: 'object' }, string: { type: 'string' }, number: { type: 'number' }, integer: { type: 'integer' }, boolean: { type: 'boolean' }, array: { type: 'array' }, null: { type: 'null' }, anyOf: {}, oneOf: {}, enum: {} } as Record<string, Record<string, unknown>>)[name];
    default:
      return undefined;
  }
}
