/**
 * Classes as the link step needs them: every method of every class becomes a handler fact
 * (`UserController.show`, see `handlers.ts`), so a route in another file that names it gets its
 * parameters, body, statuses and rules; each class records what it inherits from (parent class
 * and traits) so `$this->respondCreated()` defined in a base controller is found. Two Laravel
 * class kinds also become types: a FormRequest (`rules()`) is the request body schema of the
 * methods that type-hint it (through a `X.__construct` handler: Laravel builds and validates it
 * before the method runs, answering 422, or 403 when `authorize()` says no), and an API Resource
 * (`toArray()`) is the schema of the responses that return it. The exception handler's methods
 * and the kernel's global middleware run for every request (`global-handlers.ts`).
 */
import type { HandlerFact, ServiceFacts } from '../service/facts.js';
import type { Schema } from '../service/schema.js';
import { typeRef, arrayOf } from '../service/schema.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { extractAttributeRoutes } from './attribute-routes.js';
import { handlesRequest, isExceptionHandler, isHttpKernel, middlewareClassCalls } from './global-handlers.js';
import { analyzeFunction, docSummary } from './handlers.js';
import { valueSchema } from './responses.js';
import type { RuleBook } from './rules.js';
import { arrayEntries, calleeName, classNameOf, stringValue, type Names } from './syntax.js';
import { assembledRules, parseRulesArray, rulesSchema, validationRules, type ValidatedField } from './validation.js';

export interface ClassesInput {
  path: string;
  root: SyntaxNode;
  names: Names;
  book: RuleBook;
  facts: ServiceFacts;
  /** Prefix of attribute routes declared in this file's directory (Spatie, Symfony). */
  attributePrefix: string;
}

const CLASS_TYPES = ['class_declaration', 'trait_declaration', 'enum_declaration'];

/** Adds handler, type, inheritance and constant facts for every class and trait of the file. */
export function extractClasses(input: ClassesInput): void {
  const { path, names, facts } = input;
  const visit = (node: SyntaxNode): void => {
    for (const c of node.namedChildren) {
      if (CLASS_TYPES.includes(c.type)) classFacts(c, input);
      else if (c.type === 'namespace_definition' || c.type === 'compound_statement' || c.type === 'declaration_list') visit(c);
      else if (c.type === 'expression_statement') defineConstant(c, facts);
    }
  };
  visit(input.root);
  void path;
  void names;
}

function classFacts(cls: SyntaxNode, input: ClassesInput): void {
  const { path, names, facts, book } = input;
  const name = cls.childForFieldName('name')?.text;
  const body = cls.childForFieldName('body');
  if (!name || !body) return;
  const qualified = names.namespace ? `${names.namespace}\\${name}` : name;
  const base = cls.namedChildren.find((c) => c.type === 'base_clause');
  const parentWritten = base?.namedChildren.find((c) => c.type === 'name' || c.type === 'qualified_name')?.text;
  const parent = parentWritten ? names.simple(parentWritten) : undefined;
  const parentQualified = parentWritten ? names.qualify(parentWritten) : undefined;
  const exceptionHandler = isExceptionHandler(parentQualified);
  const traits = body.namedChildren.filter((c) => c.type === 'use_declaration').flatMap((u) => u.namedChildren.filter((n) => n.type === 'name' || n.type === 'qualified_name').map((n) => names.simple(n.text)));
  (facts.inherits ??= {})[name] = [...(parent ? [parent] : []), ...traits];
  facts.handlers ??= [];

  // Typed properties and promoted constructor parameters: `$this->service->m()` calls.
  const propertyTypes = new Map<string, string>();
  for (const d of body.namedChildren) {
    if (d.type === 'property_declaration') {
      const t = d.childForFieldName('type');
      if (t?.type === 'named_type' || t?.type === 'optional_type') for (const el of d.namedChildren.filter((n) => n.type === 'property_element')) propertyTypes.set(el.namedChildren[0]?.text.replace(/^\$/, '') ?? '', names.simple(t.text.replace(/^\?/, '')));
    }
    if (d.type === 'property_declaration') middlewareTable(d, input, isHttpKernel(parentQualified) ? name : undefined);
    if (d.type === 'const_declaration') {
      for (const el of d.namedChildren.filter((n) => n.type === 'const_element')) {
        const [k, v] = el.namedChildren;
        const value = stringValue(v);
        if (k && value !== undefined) {
          facts.constants[`${name}.${k.text}`] = value;
          facts.constants[k.text] ??= value;
        }
      }
    }
  }
  const methods = body.namedChildren.filter((c) => c.type === 'method_declaration');
  const ctor = methods.find((m) => m.childForFieldName('name')?.text === '__construct');
  for (const p of ctor?.childForFieldName('parameters')?.namedChildren ?? []) {
    if (p.type !== 'property_promotion_parameter') continue;
    const t = p.childForFieldName('type');
    const n = p.childForFieldName('name')?.text.replace(/^\$/, '');
    if (t && n && (t.type === 'named_type' || t.type === 'optional_type')) propertyTypes.set(n, names.simple(t.text.replace(/^\?/, '')));
  }
  // `$this->transformer = $transformer;` with a typed constructor parameter.
  for (const p of ctor?.childForFieldName('parameters')?.namedChildren ?? []) {
    const t = p.childForFieldName('type');
    const n = p.childForFieldName('name')?.text;
    if (!t || !n || (t.type !== 'named_type' && t.type !== 'optional_type')) continue;
    const assign = new RegExp(`\\$this->(\\w+)\\s*=\\s*\\${n}\\s*;`).exec(ctor?.text ?? '');
    if (assign) propertyTypes.set(assign[1]!, names.simple(t.text.replace(/^\?/, '')));
  }

  const isFormRequest = methods.some((m) => /^(rules|authorize)$/.test(m.childForFieldName('name')?.text ?? '')) && (/Request$/.test(parent ?? '') || /Request$/.test(name));
  const isResource = /^(JsonResource|Resource|ResourceCollection)$/.test(parent ?? '') || (/Resource$/.test(name) && methods.some((m) => m.childForFieldName('name')?.text === 'toArray'));

  for (const m of methods) {
    const method = m.childForFieldName('name')?.text;
    if (!method) continue;
    const scope = `${name}.${method}`;
    if (isFormRequest && method === 'rules') continue;
    const code = analyzeFunction(m, { path, names, book, scope, className: name, ...(parent ? { parentName: parent } : {}), propertyTypes });
    const handler: HandlerFact = {
      name: scope,
      qualified: `${qualified}.${method}`,
      params: code.params,
      responses: code.responses,
      ruleIds: code.ruleIds,
      evidence: evidenceOf(path, m),
    };
    if (code.body) handler.body = code.body;
    // Laravel builds the controller for each request: its constructor runs before the action.
    const calls = method !== '__construct' && !m.namedChildren.some((c) => c.type === 'static_modifier') ? [...code.calls, `${name}.__construct`] : code.calls;
    if (calls.length > 0) handler.calls = calls;
    if (code.view) handler.view = true;
    if (code.summary) handler.summary = code.summary;
    // The exception handler renders every request's errors: what it reads applies to all routes.
    if (exceptionHandler && handlesRequest(m)) handler.global = true;
    facts.handlers.push(handler);
  }

  if (isFormRequest) formRequest(cls, name, qualified, parent, methods, input);
  if (/#\[/.test(cls.text)) extractAttributeRoutes(cls, name, qualified, names, path, facts, input.attributePrefix);
  // A request class dispatching on its own keys (`$this->{$key}($rules)` merging rules) is not a
  // query filter: its keys are the validated input.
  if (!isFormRequest && !/Request$/.test(name) && !/Request$/.test(parent ?? '')) filterKeys(cls, name, parent, methods, input);
  if (isResource) {
    const toArray = methods.find((m) => m.childForFieldName('name')?.text === 'toArray');
    const schema = toArray ? returnedArraySchema(toArray) : undefined;
    if (schema) facts.types.push({ name, qualified, schema, evidence: evidenceOf(path, toArray!) });
  }
}

/**
 * A FormRequest: its rules are a type (the body) and a `__construct` handler (validation, 422;
 * 403 when `authorize()` is not plainly true); what it does not declare comes from its parent's.
 */
function formRequest(cls: SyntaxNode, name: string, qualified: string, parent: string | undefined, methods: SyntaxNode[], input: ClassesInput): void {
  const { path, facts, book } = input;
  const responses: HandlerFact['responses'] = [];
  const authorize = methods.find((m) => m.childForFieldName('name')?.text === 'authorize');
  if (authorize && !/^\{\s*return\s+true\s*;\s*\}$/.test(authorize.childForFieldName('body')?.text ?? '')) responses.push({ status: '403', description: 'This action is unauthorized.', evidence: evidenceOf(path, authorize) });
  const handler: HandlerFact = { name: `${name}.__construct`, qualified: `${qualified}.__construct`, params: [], responses, ruleIds: [], evidence: evidenceOf(path, cls) };
  const summary = docSummary(cls);
  if (summary) handler.description = summary;
  facts.handlers!.push(handler);
  const rulesMethod = methods.find((m) => m.childForFieldName('name')?.text === 'rules');
  const returned = rulesMethod ? returnedValue(rulesMethod) : undefined;
  // `array_merge(parent::rules(), [...])`: the parent's rules, extended.
  const merged = returned?.type === 'function_call_expression' && calleeName(returned) === 'array_merge' ? (returned.childForFieldName('arguments')?.namedChildren ?? []).map((a) => a.namedChildren[a.namedChildren.length - 1]!) : undefined;
  const extendsParent = !!merged?.some((a) => /^parent::rules\(/.test(a.text)) && parent !== undefined;
  const fields = merged ? merged.flatMap((a) => parseRulesArray(a, path) ?? []) : ((rulesMethod ? builtRules(rulesMethod, path) : undefined) ?? (returned ? parseRulesArray(returned, path) : undefined));
  if (!rulesMethod || !fields || (fields.length === 0 && !extendsParent)) {
    if (parent && !rulesMethod) handler.calls = [`${parent}.__construct`];
    return;
  }
  let schema = rulesSchema(fields);
  if (extendsParent) schema = { allOf: [typeRef(parent!), schema] } as Schema;
  // `validationData()` returning `$this->get('article')`: the rules apply under that key.
  const dataMethod = methods.find((m) => m.childForFieldName('name')?.text === 'validationData');
  const wrapped = dataMethod ? /\$this->(?:get|input)\(\s*['"](\w+)['"]/.exec(dataMethod.text)?.[1] : undefined;
  if (wrapped) schema = { type: 'object', properties: { [wrapped]: schema }, required: [wrapped] } as Schema;
  const ruleIds = validationRules(
    wrapped ? fields.map((f) => ({ ...f, name: `${wrapped}.${f.name}` })) : fields,
    `${name}.rules`,
    (r) => book.add(r),
  );
  facts.types.push({ name, qualified, schema, evidence: evidenceOf(path, rulesMethod), ruleIds });
  responses.unshift({ status: '422', description: 'The given data was invalid.', evidence: evidenceOf(path, rulesMethod) });
  handler.body = { schema: typeRef(name), input: true };
}

/**
 * Query filter classes (`class ArticleFilter extends Filter { protected function author($name) }`):
 * a base class that reads the request and calls `$this->$key($value)` for each input key makes
 * every method of its subclasses an input. The dispatcher's constructor (Laravel builds the filter
 * for the controller method that type-hints it) calls `<Class>.__filterKeys`, which the link step
 * dispatches to the subclass the controller named; a subclass's keys include its parent's, and the
 * dispatcher's own filter methods are keys too (`method_exists($this, $key)` sees them). Not keys:
 * the dispatching method and the steps it or the dispatcher's other methods call by name
 * (`$this->getFilters()`), methods taking a class (`apply(Builder $b)`) or more than one argument,
 * private ones, and helpers returning something other than the query (`split($v): \stdClass`).
 */
function filterKeys(cls: SyntaxNode, name: string, parent: string | undefined, methods: SyntaxNode[], input: ClassesInput): void {
  const { path, facts } = input;
  const dispatches = (m: SyntaxNode): boolean => /\$this->(\$\w+|\{\$\w+\})\s*\(|call_user_func(_array)?\s*\(\s*\[\s*\$this\s*,\s*\$/.test(m.text);
  const dispatcher = methods.some(dispatches) && /->only\(|->all\(|->input\(|->query\(|request\(\)/.test(cls.text);
  if (dispatcher) {
    const ctor = facts.handlers!.find((h) => h.name === `${name}.__construct`);
    if (ctor) ctor.calls = [...(ctor.calls ?? []), `${name}.__filterKeys`];
    else facts.handlers!.push({ name: `${name}.__construct`, params: [], responses: [], ruleIds: [], calls: [`${name}.__filterKeys`], evidence: evidenceOf(path, cls) });
  } else if (!/Filters?$/.test(name) && !/Filters?$/.test(parent ?? '')) return;
  // In the dispatcher, methods called by name are its steps; filters are only called dynamically.
  const steps = new Set(dispatcher ? [...cls.text.matchAll(/\$this->(\w+)\s*\(/g)].map((m) => m[1]!) : []);
  const params: HandlerFact['params'] = [];
  for (const m of methods) {
    const method = m.childForFieldName('name')?.text ?? '';
    if (method.startsWith('__') || steps.has(method) || dispatches(m) || /^(apply|filters|handle|builder|getFilters|setUp|boot)$/i.test(method)) continue;
    if (m.namedChildren.some((c) => c.type === 'visibility_modifier' && c.text === 'private')) continue;
    const declared = (m.childForFieldName('parameters')?.namedChildren ?? []).filter((p) => p.type === 'simple_parameter');
    if (declared.filter((p) => !p.childForFieldName('default_value')).length > 1) continue;
    if (declared.some((p) => /^\??\\?[A-Z]/.test(p.childForFieldName('type')?.text ?? ''))) continue;
    const returns = m.childForFieldName('return_type')?.text.replace(/^[?:\s]+/, '') ?? '';
    if (returns && !/(Builder|Relation|static|self|void|mixed|\$this)$/.test(returns)) continue;
    params.push({ name: method, in: 'input', evidence: evidenceOf(path, m) });
  }
  // A subclass's keys include those its parent declares (when that is a filter class too).
  const calls = !dispatcher && parent ? [`${parent}.__filterKeys`] : [];
  if (params.length > 0 || calls.length > 0) facts.handlers!.push({ name: `${name}.__filterKeys`, params, responses: [], ruleIds: [], ...(calls.length > 0 ? { calls } : {}), evidence: evidenceOf(path, cls) });
}

/**
 * Rules a `rules()` method assembles in a variable it returns, as is or through a helper of the
 * request (`return $rules;`, `return $this->globalRules($rules);`): see `assembledRules`.
 */
function builtRules(method: SyntaxNode, path: string): ValidatedField[] | undefined {
  const body = method.childForFieldName('body');
  const ret = body?.namedChildren.find((c) => c.type === 'return_statement');
  let value = ret?.namedChildren[0];
  if (value && value.type !== 'variable_name') value = value.childForFieldName('arguments')?.namedChildren.map((a) => a.namedChildren[a.namedChildren.length - 1]!).find((a) => a.type === 'variable_name');
  return body && value ? assembledRules(body, value.text, path) : undefined;
}

/** The value a method returns: `return [...]`, or `$rules = [...]; return $rules;`. */
function returnedValue(method: SyntaxNode): SyntaxNode | undefined {
  const body = method.childForFieldName('body');
  if (!body) return undefined;
  const ret = body.namedChildren.find((c) => c.type === 'return_statement');
  const value = ret?.namedChildren[0];
  if (!value) return undefined;
  if (value.type !== 'variable_name') return value;
  for (const st of body.namedChildren) {
    const a = st.type === 'expression_statement' ? st.namedChildren[0] : undefined;
    if (a?.type === 'assignment_expression' && a.childForFieldName('left')?.text === value.text) return a.childForFieldName('right') ?? undefined;
  }
  return undefined;
}

/** An API Resource's `toArray()` keys as an object schema (values typed when literal or nested resources). */
function returnedArraySchema(method: SyntaxNode): Schema | undefined {
  let value = returnedValue(method);
  // `return array_merge(parent::toArray($request), [...])` and similar: take the literal array.
  if (value && value.type === 'function_call_expression' && calleeName(value) === 'array_merge') value = value.descendantsOfType('array_creation_expression')[0];
  const entries = arrayEntries(value);
  if (!entries) return undefined;
  const properties: Record<string, Schema> = {};
  for (const e of entries) {
    const key = stringValue(e.key);
    if (key === undefined) continue;
    properties[key] = propertySchema(e.value);
  }
  return { type: 'object', properties } as Schema;
}

function propertySchema(node: SyntaxNode): Schema {
  const literal = valueSchema(node, false);
  if (literal) return literal;
  if (node.type === 'scoped_call_expression' && calleeName(node) === 'collection') {
    const cls = classNameOf(node.childForFieldName('scope'))?.split('\\').pop();
    if (cls && /Resource$/.test(cls)) return arrayOf(typeRef(cls));
  }
  return {} as Schema;
}

/**
 * The HTTP kernel's middleware tables (`$middlewareAliases`/`$routeMiddleware`: alias → class,
 * `$middlewareGroups`: group → members) as handlers `middleware:<name>` calling the classes'
 * `handle`, so routes naming an alias get what the middleware reads and answers.
 */
function middlewareTable(property: SyntaxNode, input: ClassesInput, kernel: string | undefined): void {
  const el = property.namedChildren.find((n) => n.type === 'property_element');
  const name = el?.namedChildren[0]?.text.replace(/^\$/, '');
  const value = el?.namedChildren[el.namedChildren.length - 1];
  // The kernel's `$middleware`: the global stack, run for every request.
  if (el && name === 'middleware' && kernel) {
    const calls = middlewareClassCalls(value);
    if (calls.length > 0) input.facts.handlers!.push({ name: `${kernel}.$middleware`, params: [], responses: [], ruleIds: [], calls, global: true, evidence: evidenceOf(input.path, property) });
    return;
  }
  if (!el || !name || !/^(middlewareAliases|routeMiddleware|middlewareGroups)$/.test(name)) return;
  for (const e of arrayEntries(value) ?? []) {
    const alias = stringValue(e.key);
    if (!alias) continue;
    const targets = name === 'middlewareGroups' ? (arrayEntries(e.value) ?? []).map((x) => x.value) : [e.value];
    const calls = targets
      .map((t) => {
        const cls = classNameOf(t);
        if (cls) return `${cls.split('\\').pop()}.handle`;
        const s = stringValue(t);
        return s ? (s.includes('\\') ? `${s.split('\\').pop()}.handle` : `middleware:${s.split(':')[0]}`) : undefined;
      })
      .filter((c): c is string => c !== undefined);
    if (calls.length > 0) input.facts.handlers!.push({ name: `middleware:${alias}`, params: [], responses: [], ruleIds: [], calls, evidence: evidenceOf(input.path, e.key ?? e.value) });
  }
}

/** `define('API_PREFIX', '/api')` at top level. */
function defineConstant(statement: SyntaxNode, facts: ServiceFacts): void {
  const call = statement.namedChildren[0];
  if (call?.type !== 'function_call_expression' || calleeName(call) !== 'define') return;
  const args = call.childForFieldName('arguments')?.namedChildren.map((a) => a.namedChildren[a.namedChildren.length - 1]) ?? [];
  const k = stringValue(args[0]);
  const v = stringValue(args[1]);
  if (k && v !== undefined) facts.constants[k] = v;
}
