/**
 * ASP.NET parameter binding, for controller actions and minimal-API handlers: explicit sources
 * (`[FromBody]`, `[FromQuery(Name = "q")]`, `[FromRoute]`, `[FromHeader(Name = "X-Api-Key")]`,
 * `[FromForm]`, `[AsParameters]`, `[FromServices]` ignored) and the conventions: a name in the
 * route template is a path parameter; simple types (and arrays of them) are query parameters;
 * files are multipart form fields; injected services and infrastructure types
 * (`CancellationToken`, `HttpContext`, `ILogger<T>`, `*Service`, `*Context`, interfaces) are not
 * parameters; other complex types are the JSON body, except on GET/DELETE where their properties
 * are query parameters (how ASP.NET binds them). Web API 2 `[FromUri]` reads as `[FromQuery]`.
 *
 * Required: path parameters; `[Required]`/`[BindRequired]`; in minimal APIs a non-nullable
 * parameter without default; in controllers a non-nullable reference type when the nullable
 * context is enabled (MVC's implicit `[Required]`).
 */
import type { BodyFact, HttpMethod, ParamFact, ParamLocation } from '../service/facts.js';
import { refName, typeRef, type Schema } from '../service/schema.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { applyKeywords, readAnnotations } from './annotations.js';
import type { RuleSink } from './rules.js';
import { attributesOf, findAttribute, hasAttribute, identifierOf, literalString, modifiersOf, sameNode } from './syntax.js';
import { defaultOf, isServiceTypeName, typeSchema, type TypeScope } from './types.js';

export type BindingStyle = 'api' | 'mvc' | 'minimal';

export interface BindingInput {
  parameters: SyntaxNode | null | undefined;
  scope: TypeScope;
  style: BindingStyle;
  /** Template parameter names of the route (any case), with their spelling in the template. */
  templateParams: ReadonlyMap<string, string>;
  methods: readonly HttpMethod[];
  /** `<param name="x">` texts from the XML doc comment. */
  docs: Record<string, string>;
  /** Handler name for rule scopes (`ItemsController.Get`). */
  handler: string;
  rules: RuleSink;
}

export interface Bound {
  params: ParamFact[];
  body?: BodyFact;
  ruleIds: string[];
  notes: string[];
}

const INFRASTRUCTURE = /^(CancellationToken|HttpContext|HttpRequest|HttpResponse|ClaimsPrincipal|IFormCollection|Stream|PipeReader|IServiceProvider|ILogger|ILoggerFactory|LinkGenerator|IUrlHelper|IHttpContextAccessor)$/;
const SIMPLE = /^(string|String|int|Int32|long|Int64|short|Int16|byte|Byte|sbyte|SByte|uint|UInt32|ulong|UInt64|ushort|UInt16|bool|Boolean|char|Char|decimal|Decimal|double|Double|float|Single|Half|Guid|DateTime|DateTimeOffset|DateOnly|TimeOnly|TimeSpan|Uri|Version|object|Object|IPAddress|Int128|UInt128)$/;

/** The simple name of a parameter type, looking through `?`, arrays and collections (`int[]` → int). */
function coreType(type: SyntaxNode | null): { name: string; collection: boolean; nullable: boolean } {
  let t = type;
  let isNullable = false;
  let collection = false;
  while (t) {
    if (t.type === 'nullable_type') {
      isNullable = true;
      t = t.childForFieldName('type') ?? t.namedChildren[0] ?? null;
      continue;
    }
    if (t.type === 'array_type') {
      collection = true;
      t = t.childForFieldName('type') ?? t.namedChildren[0] ?? null;
      continue;
    }
    if (t.type === 'generic_name') {
      const name = identifierOf(t);
      const arg = t.namedChildren.find((c) => c.type === 'type_argument_list')?.namedChildren[0] ?? null;
      if (/^(List|IList|IEnumerable|ICollection|IReadOnlyList|IReadOnlyCollection|HashSet|ISet|StringValues)$/.test(name) && arg) {
        collection = true;
        t = arg;
        continue;
      }
      if (name === 'Nullable' && arg) {
        isNullable = true;
        t = arg;
        continue;
      }
      return { name, collection, nullable: isNullable };
    }
    return { name: t.type === 'qualified_name' ? identifierOf(t.childForFieldName('name') ?? t) : identifierOf(t), collection, nullable: isNullable };
  }
  return { name: '', collection, nullable: isNullable };
}

/** Binds each parameter of a handler. */
export function bindParameters(input: BindingInput): Bound {
  const out: Bound = { params: [], ruleIds: [], notes: [] };
  const { scope } = input;
  const path = scope.file.path;
  const readsBody = input.methods.some((m) => m === 'post' || m === 'put' || m === 'patch');
  const formFields: Record<string, Schema> = {};
  const formRequired: string[] = [];
  let formType: string | undefined;
  for (const p of input.parameters?.namedChildren ?? []) {
    if (p.type !== 'parameter') continue;
    const name = p.childForFieldName('name')?.text;
    const typeNode = p.childForFieldName('type');
    if (!name || modifiersOf(p).has('this')) continue;
    const attrs = attributesOf(p);
    const core = coreType(typeNode);
    if (hasAttribute(attrs, 'FromServices', 'FromKeyedServices') || INFRASTRUCTURE.test(core.name) || /^(ILogger|IOptions|IOptionsSnapshot|IOptionsMonitor)$/.test(core.name)) continue;
    const valueNode = p.namedChildren.find((c) => !sameNode(c, p.childForFieldName('name')) && !sameNode(c, typeNode) && c.type !== 'attribute_list' && c.type !== 'modifier');
    const hasDefault = !!valueNode;
    const isNullable = core.nullable || typeNode?.type === 'nullable_type';
    let schema = typeSchema(typeNode, scope);
    const def = defaultOf(valueNode);
    const description = literalString(findAttribute(attrs, 'Description', 'SwaggerParameter')?.positional[0]) ?? input.docs[name];
    const annotations = readAnnotations(attrs, `${input.handler}(${name})`, core.collection ? 'array' : /^(string|String)$/.test(core.name) ? 'string' : 'other');
    const constraintRules = (): void => {
      for (const c of annotations.constraints) out.ruleIds.push(input.rules.addConstraint(input.handler, name, `${input.handler}(${name})`, c, p).id);
    };
    const paramSchema = (): Schema => {
      let s = applyKeywords(schema, annotations.keywords);
      if (def !== undefined && refName(s) === undefined) s = { ...s, default: def } as Schema;
      return s;
    };
    const isRequired = (location: ParamLocation): boolean => {
      if (location === 'path' || annotations.required) return true;
      if (hasDefault || isNullable) return false;
      if (input.style === 'minimal') return true;
      return scope.file.nullable && (SIMPLE.test(core.name) ? /^(string|String|Uri|object|Object)$/.test(core.name) : true);
    };
    const param = (location: ParamLocation, paramName: string): void => {
      out.params.push({
        name: paramName,
        in: location,
        ...(isRequired(location) ? { required: true } : {}),
        schema: paramSchema(),
        ...(description ? { description } : {}),
        evidence: evidenceOf(path, p),
      });
      constraintRules();
    };
    const explicit = findAttribute(attrs, 'FromBody', 'FromQuery', 'FromUri', 'FromRoute', 'FromHeader', 'FromForm', 'AsParameters', 'FromModel');
    const explicitName = literalString(explicit?.named.get('Name')) ?? literalString(explicit?.positional[0]);
    const userType = isUserType(core.name, scope) && !core.collection;
    switch (explicit?.name) {
      case 'FromBody':
        out.body = { schema: paramSchema() };
        constraintRules();
        continue;
      case 'FromRoute':
        param('path', input.templateParams.get((explicitName ?? name).toLowerCase()) ?? explicitName ?? name);
        continue;
      case 'FromHeader':
        param('header', explicitName ?? name);
        continue;
      case 'FromQuery':
      case 'FromUri':
        if (userType) out.params.push(fromType(core.name, 'query', name, schema));
        else param('query', explicitName ?? name);
        continue;
      case 'AsParameters':
        out.params.push(fromType(core.name, 'query', name, schema));
        continue;
      case 'FromForm':
        if (userType) {
          formType = core.name;
        } else {
          formFields[explicitName ?? name] = paramSchema();
          if (isRequired('form')) formRequired.push(explicitName ?? name);
        }
        continue;
    }
    // Conventions.
    const template = input.templateParams.get(name.toLowerCase());
    if (template) {
      param('path', template);
      continue;
    }
    if (/^(IFormFile|IFormFileCollection)$/.test(core.name)) {
      formFields[name] = schema;
      if (isRequired('form')) formRequired.push(name);
      continue;
    }
    // `Status? status` without a nullable context: `?` makes a value type, here an enum declared elsewhere.
    const valueType = core.nullable && !scope.file.nullable && !core.collection;
    if (SIMPLE.test(core.name) || isEnumOfFile(core.name, scope) || (valueType && !/^I[A-Z]/.test(core.name))) {
      param('query', name);
      continue;
    }
    if (core.collection && isUserType(core.name, scope)) {
      // `List<AuthorDto> authors`: the body of a write; nothing ASP.NET binds on a read.
      if (readsBody && !out.body) {
        out.body = { schema: paramSchema() };
        constraintRules();
      }
      continue;
    }
    if (!userType) continue;
    // Minimal-API handlers take services as parameters; controller actions rarely do (constructor injection), so only interfaces count there.
    if ((input.style === 'minimal' ? isServiceTypeName(core.name) : /^I[A-Z]/.test(core.name)) && !hasAttribute(attrs, 'Required')) continue;
    if (!readsBody || input.style === 'mvc') {
      if (!readsBody) out.params.push(fromType(core.name, 'query', name, schema));
      else formType = core.name;
      continue;
    }
    if (out.body) {
      out.notes.push(`${name}: a second complex parameter; ASP.NET binds only one from the body`);
      continue;
    }
    out.body = { schema: paramSchema() };
    constraintRules();
  }
  if (!out.body && (formType || Object.keys(formFields).length > 0)) {
    const multipart = Object.values(formFields).some((s) => JSON.stringify(s).includes('"binary"'));
    const fields: Schema = { type: 'object', properties: formFields, ...(formRequired.length ? { required: formRequired } : {}) } as Schema;
    const schema = formType ? (Object.keys(formFields).length ? ({ allOf: [typeRef(scope.file.resolveTypeName(formType, scope.from)), fields] } as Schema) : typeRef(scope.file.resolveTypeName(formType, scope.from))) : fields;
    out.body = { schema, contentType: multipart || formType ? 'multipart/form-data' : 'application/x-www-form-urlencoded' };
  }
  return out;

  function fromType(typeName: string, location: ParamLocation, paramName: string, schema: Schema): ParamFact {
    const resolved = refName(schema) ?? scope.file.resolveTypeName(typeName, scope.from);
    return { name: paramName, in: location, fromType: resolved, schema };
  }
}

/** A named type that is neither built in nor a type parameter. */
function isUserType(name: string, scope: TypeScope): boolean {
  if (!name || SIMPLE.test(name) || scope.typeParams?.has(name)) return false;
  return /^[A-Z_]/.test(name) || name.includes('.');
}

function isEnumOfFile(name: string, scope: TypeScope): boolean {
  const decl = scope.file.typeByName.get(scope.file.resolveTypeName(name, scope.from));
  return decl?.kind === 'enum';
}

/** Parameter names in an ASP.NET route template, lower-cased → as written. */
export function templateParamNames(templates: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of templates) {
    for (const m of t.matchAll(/\{\*{0,2}([A-Za-z_][\w]*)/g)) out.set(m[1]!.toLowerCase(), m[1]!);
  }
  return out;
}

