/**
 * What one PHP handler (a controller method, a route closure, a plain script's branch) tells about
 * its operation: path parameters from its signature (`int $id`, route-model-bound `User $user`),
 * query/header/body inputs it reads (`$request->query('q')`, `$request->input('name')`,
 * `$request->header('X-Key')`, `request('x')`, `$_GET['x']`, `$_POST['x']`, `$_SERVER['HTTP_X']`,
 * and what the framework reads for it: `page` through `->paginate()`, `X-Requested-With` through
 * `$request->expectsJson()`),
 * the request body its inline validation declares (`$request->validate([...])`,
 * `Validator::make(..., [...])`), the statuses it answers (see `responses.ts`), the helpers and
 * request objects it relies on (`$this->respondCreated()`, a FormRequest parameter: linked across
 * files by name), whether it only renders pages, and the rules inside it.
 */
import type { Evidence } from '../model.js';
import type { BodyFact, ParamFact, ResponseFact } from '../service/facts.js';
import type { Schema } from '../service/schema.js';
import { evidenceOf, lineOf, endLineOf, type SyntaxNode } from '../service/tree-sitter.js';
import { responseAt, valueSchema } from './responses.js';
import type { RuleBook } from './rules.js';
import { argsOf, arrayEntries, calleeName, classNameOf, intValue, stringList, stringValue, type Arg, type Names } from './syntax.js';
import { assembledRules, parseRulesArray, rulesSchema, validationRules, type ValidatedField } from './validation.js';

export interface HandlerContext {
  path: string;
  names: Names;
  book: RuleBook;
  /** Rule scope (`UserController.store`, `routes/api.php GET /users`). */
  scope: string;
  /** Simple name of the enclosing class, for `$this->m()`. */
  className?: string;
  parentName?: string;
  /** `$this->prop` → class (simple name), from typed and promoted properties. */
  propertyTypes?: ReadonlyMap<string, string>;
}

export interface CodeFacts {
  params: ParamFact[];
  body?: BodyFact;
  responses: ResponseFact[];
  calls: string[];
  /** Every return renders a page (`view()`, `Inertia::render`). */
  view: boolean;
  ruleIds: string[];
  summary?: string;
}

const REQUEST_TYPES = /^(Request|ServerRequestInterface|ServerRequest|RequestInterface)$/;
const NOT_PATH = new Set(['request', 'response', 'args', 'next', 'req', 'res', 'container', 'app']);
/** Request members that are not input fields (`$request->user`, bags handled separately). */
const REQUEST_PROPERTIES = new Set(['query', 'request', 'headers', 'cookies', 'files', 'server', 'attributes', 'session', 'json', 'route', 'user', 'method', 'content']);
const INPUT_METHODS: Record<string, Schema | undefined> = {
  input: undefined,
  get: undefined,
  post: undefined,
  string: { type: 'string' } as Schema,
  str: { type: 'string' } as Schema,
  integer: { type: 'integer' } as Schema,
  boolean: { type: 'boolean' } as Schema,
  float: { type: 'number' } as Schema,
  date: { type: 'string', format: 'date-time' } as Schema,
  enum: { type: 'string' } as Schema,
  has: undefined,
  filled: undefined,
  missing: undefined,
  exists: undefined,
  file: { type: 'string', format: 'binary' } as Schema,
  hasFile: { type: 'string', format: 'binary' } as Schema,
  getParam: undefined,
  getParsedBodyParam: undefined,
};

/**
 * Request methods that read headers inside the framework (Illuminate\Http\Request and its
 * Symfony parent): `ajax()`/`isXmlHttpRequest()` compare `X-Requested-With` with `XMLHttpRequest`,
 * and `expectsJson()` is `ajax() && !pjax()` or an `Accept` asking for JSON. `Accept` is not an
 * OpenAPI parameter, and `X-PJAX` only turns `expectsJson()` off again, so that call declares
 * `X-Requested-With` alone. The headers are optional: the method only branches on them.
 */
const FRAMEWORK_HEADERS: Record<string, { name: string; description: string }[]> = {
  ajax: [{ name: 'X-Requested-With', description: '`XMLHttpRequest` marks an AJAX request (Laravel `$request->ajax()`)' }],
  isXmlHttpRequest: [{ name: 'X-Requested-With', description: '`XMLHttpRequest` marks an AJAX request (`$request->isXmlHttpRequest()`)' }],
  expectsJson: [{ name: 'X-Requested-With', description: '`XMLHttpRequest` asks for JSON answers (Laravel `$request->expectsJson()`), errors included, rather than HTML pages or redirects' }],
  pjax: [{ name: 'X-PJAX', description: 'Marks a PJAX request (Laravel `$request->pjax()`)' }],
  userAgent: [{ name: 'User-Agent', description: 'Read through `$request->userAgent()`' }],
  getPreferredLanguage: [{ name: 'Accept-Language', description: 'Read through `$request->getPreferredLanguage()`' }],
  getLanguages: [{ name: 'Accept-Language', description: 'Read through `$request->getLanguages()`' }],
  prefetch: [
    { name: 'Purpose', description: '`prefetch` marks a prefetch request (Laravel `$request->prefetch()`)' },
    { name: 'Sec-Purpose', description: '`prefetch` marks a prefetch request (Laravel `$request->prefetch()`)' },
  ],
};

/**
 * Eloquent and query-builder paginators read the page from the request themselves
 * (`Paginator::resolveCurrentPage()` is `$request->input($pageName)`): `paginate($perPage,
 * $columns, $pageName = 'page', $page = null)`, `simplePaginate` alike, `cursorPaginate(...,
 * $cursorName = 'cursor', $cursor = null)`. Not when the page itself is passed.
 */
const PAGINATORS: Record<string, { key: string; nameArg: string; valueArg: string; schema: Schema; description: string }> = {
  paginate: { key: 'page', nameArg: 'pageName', valueArg: 'page', schema: { type: 'integer', minimum: 1 } as Schema, description: 'Page number (Laravel paginator)' },
  simplePaginate: { key: 'page', nameArg: 'pageName', valueArg: 'page', schema: { type: 'integer', minimum: 1 } as Schema, description: 'Page number (Laravel paginator)' },
  cursorPaginate: { key: 'cursor', nameArg: 'cursorName', valueArg: 'cursor', schema: { type: 'string' } as Schema, description: 'Cursor of the page (Laravel cursor paginator)' },
};

/** Analyzes a function-like node (method, closure, arrow function). */
export function analyzeFunction(fn: SyntaxNode, ctx: HandlerContext): CodeFacts {
  const body = fn.childForFieldName('body');
  const facts = analyzeCode({ params: fn.childForFieldName('parameters'), nodes: body ? [body] : [], range: fn, arrowBody: fn.type === 'arrow_function' ? body : null }, ctx);
  const doc = docSummary(fn);
  if (doc) facts.summary = doc;
  return facts;
}

export interface CodeScope {
  params?: SyntaxNode | null;
  /** Statements or blocks to read. */
  nodes: SyntaxNode[];
  /** The node whose lines bound the rules taken. */
  range: SyntaxNode | { start: number; end: number };
  arrowBody?: SyntaxNode | null;
}

/** Analyzes code: a function body or the statements of a plain script (branch). */
export function analyzeCode(scope: CodeScope, ctx: HandlerContext): CodeFacts {
  const params: ParamFact[] = [];
  const responses: ResponseFact[] = [];
  const calls: string[] = [];
  const requestVars = new Set<string>(['request']);
  const localTypes = new Map<string, string>();
  /** Variables holding the whole input (`$data = $request->all()`): location of their keys. */
  const aliases = new Map<string, ParamFact['in']>();
  const validated: ValidatedField[] = [];
  let jsonBody: Record<string, Schema> | undefined;
  const { path, names } = ctx;

  for (const p of scope.params?.namedChildren ?? []) {
    if (p.type !== 'simple_parameter' && p.type !== 'property_promotion_parameter') continue;
    const name = p.childForFieldName('name')?.text.replace(/^\$/, '');
    if (!name) continue;
    const typeNode = p.childForFieldName('type');
    const typeText = typeNode ? typeNode.text.replace(/^\?/, '') : '';
    const optional = !!p.childForFieldName('default_value') || typeNode?.text.startsWith('?');
    const primitive = /^(int|integer|string|float|bool|double)$/i.test(typeText);
    if (!typeNode) {
      if (!NOT_PATH.has(name)) params.push({ name, in: 'path', schema: { type: 'string' } as Schema, evidence: evidenceOf(path, p) });
      continue;
    }
    if (primitive) {
      const t = typeText.toLowerCase();
      const schema = (t === 'int' || t === 'integer' ? { type: 'integer' } : t === 'float' || t === 'double' ? { type: 'number' } : t === 'bool' ? { type: 'boolean' } : { type: 'string' }) as Schema;
      params.push({ name, in: 'path', schema, evidence: evidenceOf(path, p) });
      continue;
    }
    if (typeNode.type !== 'named_type' && typeNode.type !== 'optional_type') continue;
    const written = typeText;
    const simple = names.simple(written);
    const qualified = names.qualify(written);
    if (REQUEST_TYPES.test(simple) || /Request$/.test(simple)) {
      requestVars.add(name);
      if (!REQUEST_TYPES.test(simple)) calls.push(`${simple}.__construct`);
      continue;
    }
    localTypes.set(name, simple);
    if (isModel(qualified)) {
      // Implicit route model binding: the path segment names a record, 404 when there is none.
      params.push({ name, in: 'path', schema: { type: 'string' } as Schema, description: `${simple} key`, evidence: evidenceOf(path, p) });
      responses.push({ status: '404', description: `No ${simple} matches the path`, evidence: evidenceOf(path, p) });
    } else if (!optional) {
      calls.push(`${simple}.__construct`);
    }
  }

  const addParam = (name: string, loc: ParamFact['in'], node: SyntaxNode, schema?: Schema, description?: string): void => {
    const top = loc === 'header' ? name : name.split('.')[0]!;
    if (!top || top === '*' || params.some((p) => p.name === top && p.in === loc)) return;
    params.push({ name: top, in: loc, ...(schema ? { schema } : {}), ...(description ? { description } : {}), evidence: evidenceOf(path, node) });
  };

  const isRequest = (n: SyntaxNode | null | undefined): boolean => {
    if (!n) return false;
    if (n.type === 'variable_name') return requestVars.has(n.text.slice(1));
    if (n.type === 'function_call_expression') return calleeName(n) === 'request' && argsOf(n).length === 0;
    if (n.type === 'member_access_expression') return n.text === '$this->request';
    return false;
  };

  const readAt = (n: SyntaxNode): void => {
    if (n.type === 'member_call_expression' || n.type === 'nullsafe_member_call_expression' || n.type === 'scoped_call_expression') {
      const method = calleeName(n) ?? '';
      const object = n.childForFieldName('object') ?? n.childForFieldName('scope');
      const args = argsOf(n);
      const key = stringValue(args[0]?.value);
      const keys = stringList(args[0]?.value) ?? [];
      const facade = n.type === 'scoped_call_expression' && /^(\\?Illuminate\\Support\\Facades\\)?Request$/.test(object?.text ?? '');
      const paginator = Object.hasOwn(PAGINATORS, method) ? PAGINATORS[method]! : undefined;
      if (paginator && !isRequest(object)) {
        const positional = args.filter((a) => !a.name);
        const named = (arg: string): Arg | undefined => args.find((a) => a.name === arg);
        if (named(paginator.valueArg) ?? positional[3]) return;
        const key = stringValue((named(paginator.nameArg) ?? positional[2])?.value) ?? paginator.key;
        return addParam(key, 'input', n, paginator.schema, paginator.description);
      }
      if (isRequest(object) || facade) {
        if (method === 'query' && key) return addParam(key, 'query', n, defaultSchema(args[1]?.value));
        if (method === 'getQueryParam' && key) return addParam(key, 'query', n, defaultSchema(args[1]?.value));
        if ((method === 'header' || method === 'hasHeader' || method === 'getHeaderLine' || method === 'getHeader') && key) return addParam(key, 'header', n);
        if ((method === 'cookie' || method === 'hasCookie' || method === 'getCookieParam') && key) return addParam(key, 'cookie', n);
        if (Object.hasOwn(FRAMEWORK_HEADERS, method)) {
          for (const h of FRAMEWORK_HEADERS[method]!) addParam(h.name, 'header', n, undefined, h.description);
          return;
        }
        if (method in INPUT_METHODS) {
          for (const k of method === 'has' || method === 'filled' || method === 'missing' || method === 'exists' ? keys : key ? [key] : []) addParam(k, 'input', n, INPUT_METHODS[method] ?? defaultSchema(args[1]?.value));
          return;
        }
        if ((method === 'only' || method === 'hasAny') && keys.length > 0) {
          for (const k of keys) addParam(k, 'input', n);
          return;
        }
        if (method === 'validate' && args[0]) return validation(args[0].value, n);
        if (method === 'validateWithBag' && args[1]) return validation(args[1].value, n);
        return;
      }
      // `$request->query->get('x')`, `$request->headers->get('X')`.
      if (object?.type === 'member_access_expression' && isRequest(object.childForFieldName('object')) && key && (method === 'get' || method === 'has' || method === 'getInt' || method === 'getBoolean')) {
        const bag = object.childForFieldName('name')?.text;
        const loc = bag === 'query' ? 'query' : bag === 'headers' ? 'header' : bag === 'cookies' ? 'cookie' : bag === 'request' || bag === 'files' ? 'input' : undefined;
        if (loc) return addParam(key, loc, n, method === 'getInt' ? ({ type: 'integer' } as Schema) : method === 'getBoolean' ? ({ type: 'boolean' } as Schema) : undefined);
      }
      if (method === 'validate' && object?.text === '$this' && args[1]) return validation(args[1].value, n);
      if (method === 'make' && /Validator$/.test(object?.text ?? '') && args[1]) return validation(args[1].value, n);
      return;
    }
    if (n.type === 'function_call_expression') {
      const fname = calleeName(n);
      const args = argsOf(n);
      if (fname === 'request' && args[0]) {
        for (const k of stringList(args[0].value) ?? []) addParam(k, 'input', n, defaultSchema(args[1]?.value));
        return;
      }
      if (fname === 'validator' && args[1]) return validation(args[1].value, n);
      if (fname === 'filter_input' && args.length >= 2) {
        const source = args[0]!.value.text;
        const key = stringValue(args[1]!.value);
        const filter = args[2]?.value.text ?? '';
        const schema = /INT/.test(filter) ? ({ type: 'integer' } as Schema) : /FLOAT/.test(filter) ? ({ type: 'number' } as Schema) : /BOOL/.test(filter) ? ({ type: 'boolean' } as Schema) : /EMAIL/.test(filter) ? ({ type: 'string', format: 'email' } as Schema) : undefined;
        if (!key) return;
        if (source === 'INPUT_GET') return addParam(key, 'query', n, schema);
        if (source === 'INPUT_POST') return addParam(key, 'form', n, schema);
        if (source === 'INPUT_COOKIE') return addParam(key, 'cookie', n, schema);
        if (source === 'INPUT_SERVER' && key.startsWith('HTTP_')) return addParam(headerName(key), 'header', n);
      }
      return;
    }
    if (n.type === 'subscript_expression') {
      const [obj, idx] = n.namedChildren;
      const key = stringValue(idx);
      if (!obj || key === undefined) return;
      if (obj.type === 'variable_name') {
        const v = obj.text.slice(1);
        if (v === '_GET') return addParam(key, 'query', n);
        if (v === '_POST') return addParam(key, 'form', n);
        if (v === '_FILES') return addParam(key, 'form', n, { type: 'string', format: 'binary' } as Schema);
        if (v === '_REQUEST') return addParam(key, 'input', n);
        if (v === '_COOKIE') return addParam(key, 'cookie', n);
        if (v === '_SERVER' && key.startsWith('HTTP_')) return addParam(headerName(key), 'header', n);
        if (requestVars.has(v)) return addParam(key, 'input', n);
        const alias = aliases.get(v);
        if (alias === 'input' && jsonBody) {
          jsonBody[key] ??= {} as Schema;
          return;
        }
        if (alias) return addParam(key, alias, n);
        return;
      }
      if (obj.type === 'member_call_expression' && isRequest(obj.childForFieldName('object'))) {
        const m = calleeName(obj);
        if (m === 'getQueryParams' || m === 'query') return addParam(key, 'query', n);
        if (m === 'getParsedBody' || m === 'all' || m === 'input' || m === 'post' || m === 'json') return addParam(key, 'input', n);
        if (m === 'getHeaders' || m === 'header') return addParam(key, 'header', n);
        if (m === 'getCookieParams') return addParam(key, 'cookie', n);
      }
      if (obj.type === 'function_call_expression' && /^(getallheaders|apache_request_headers)$/.test(calleeName(obj) ?? '')) return addParam(key, 'header', n);
      return;
    }
    if (n.type === 'member_access_expression' && isRequest(n.childForFieldName('object')) && n.childForFieldName('object')?.text !== '$this') {
      const prop = n.childForFieldName('name')?.text;
      const parent = n.parent;
      const isReceiver = parent && (parent.type === 'member_call_expression' || parent.type === 'member_access_expression') && parent.childForFieldName('object')?.id === n.id;
      const assigned = parent?.type === 'assignment_expression' && parent.childForFieldName('left')?.id === n.id;
      if (prop && !REQUEST_PROPERTIES.has(prop) && !isReceiver && !assigned && n.childForFieldName('name')?.type === 'name') addParam(prop, 'input', n);
    }
  };

  const validation = (rulesNode: SyntaxNode, at: SyntaxNode): void => {
    const fields = rulesArray(rulesNode, at);
    if (!fields) return;
    validated.push(...fields);
    validationRules(fields, ctx.scope, (r) => ctx.book.add(r));
    responses.push({ status: '422', description: 'The given data was invalid.', evidence: evidenceOf(path, at) });
  };

  /** A rules array literal, or a local variable assembled as one earlier in the scope. */
  const rulesArray = (node: SyntaxNode, at: SyntaxNode): ValidatedField[] | undefined => {
    const direct = parseRulesArray(node, path);
    if (direct) return direct;
    if (node.type !== 'variable_name') return undefined;
    for (const root of scope.nodes) {
      const built = assembledRules(root, node.text, path, at.startIndex);
      if (built) return built;
    }
    return undefined;
  };

  const callAt = (n: SyntaxNode): void => {
    if (n.type === 'member_call_expression' || n.type === 'nullsafe_member_call_expression') {
      const obj = n.childForFieldName('object');
      const m = calleeName(n);
      if (!obj || !m) return;
      if (obj.text === '$this' && ctx.className) calls.push(`${ctx.className}.${m}`);
      else if (obj.type === 'variable_name' && localTypes.has(obj.text.slice(1))) calls.push(`${localTypes.get(obj.text.slice(1))}.${m}`);
      else if (obj.type === 'member_access_expression' && obj.childForFieldName('object')?.text === '$this') {
        const t = ctx.propertyTypes?.get(obj.childForFieldName('name')?.text ?? '');
        if (t) calls.push(`${t}.${m}`);
      }
    } else if (n.type === 'scoped_call_expression') {
      const scopeText = n.childForFieldName('scope')?.text ?? '';
      const m = calleeName(n);
      if (!m) return;
      if ((scopeText === 'self' || scopeText === 'static') && ctx.className) calls.push(`${ctx.className}.${m}`);
      else if (scopeText === 'parent' && ctx.parentName) calls.push(`${ctx.parentName}.${m}`);
      else if (/^\\?[A-Z][\w\\]*$/.test(scopeText)) calls.push(`${names.simple(scopeText)}.${m}`);
    } else if (n.type === 'object_creation_expression') {
      const cls = classNameOf(n.namedChildren.find((c) => c.type === 'name' || c.type === 'qualified_name'));
      if (cls) calls.push(`${names.simple(cls)}.__construct`);
    }
  };

  const returns: SyntaxNode[] = [];
  const visit = (n: SyntaxNode, inClosure = false): void => {
    for (const c of n.namedChildren) {
      if (c.type === 'function_definition' || c.type === 'class_declaration' || c.type === 'method_declaration') continue;
      if (c.type === 'return_statement' && !inClosure) returns.push(c);
      if (c.type === 'assignment_expression') trackAlias(c);
      const r = responseAt(c);
      if (r && !r.page && !(r.exception && r.status >= 500)) {
        responses.push({ status: String(r.status), ...(r.message ? { description: r.message } : {}), ...(r.schema ? { schema: r.schema } : {}), evidence: evidenceOf(path, c) });
      } else if (r?.page === 'redirect') {
        responses.push({ status: '302', description: 'Redirect', evidence: evidenceOf(path, c) });
      }
      readAt(c);
      callAt(c);
      visit(c, inClosure || c.type === 'anonymous_function' || c.type === 'arrow_function');
    }
  };
  const trackAlias = (a: SyntaxNode): void => {
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (left?.type !== 'variable_name' || !right) return;
    const v = left.text.slice(1);
    const t = right.text.replace(/\s+/g, '');
    if (/^\$_GET$/.test(t)) aliases.set(v, 'query');
    else if (/^\$_POST$/.test(t)) aliases.set(v, 'form');
    else if (/^\$_REQUEST$/.test(t)) aliases.set(v, 'input');
    else if (/json_decode\(file_get_contents\(['"]php:\/\/input['"]\)/.test(t)) {
      aliases.set(v, 'input');
      jsonBody ??= {};
    } else if (right.type === 'member_call_expression' && isRequest(right.childForFieldName('object'))) {
      const m = calleeName(right);
      if (m === 'query' && argsOf(right).length === 0) aliases.set(v, 'query');
      else if (m === 'getQueryParams') aliases.set(v, 'query');
      else if ((m === 'all' || m === 'input' || m === 'post' || m === 'getParsedBody' || m === 'json') && argsOf(right).length === 0) aliases.set(v, 'input');
    } else if (right.type === 'object_creation_expression' || right.type === 'function_call_expression') {
      const cls = right.type === 'object_creation_expression' ? classNameOf(right.namedChildren.find((c) => c.type === 'name' || c.type === 'qualified_name')) : undefined;
      if (cls) localTypes.set(v, names.simple(cls));
    }
  };
  for (const n of scope.nodes) {
    readAt(n);
    callAt(n);
    visit(n);
  }
  if (scope.arrowBody) returns.push(scope.arrowBody);

  // Returned literal arrays and API Resources are the success body.
  for (const r of returns) {
    const value = r.type === 'return_statement' ? r.namedChildren[0] : r;
    if (!value) continue;
    if (responseAt(value)) continue;
    const schema = value.type === 'array_creation_expression' || /Resource/.test(value.text.slice(0, 80)) ? valueSchema(value, true) : undefined;
    if (schema) responses.push({ status: '200', schema, evidence: evidenceOf(path, r) });
  }
  const pageReturns = returns.filter((r) => {
    const value = r.type === 'return_statement' ? r.namedChildren[0] : r;
    return value ? responseAt(value)?.page === 'view' : false;
  });
  const view = returns.length > 0 && pageReturns.length === returns.length;

  let body: BodyFact | undefined;
  if (validated.length > 0) body = { schema: rulesSchema(validated), input: true };
  else if (jsonBody && Object.keys(jsonBody).length > 0) body = { schema: { type: 'object', properties: jsonBody } as Schema };

  const range = 'start' in scope.range ? scope.range : { start: lineOf(scope.range), end: endLineOf(scope.range) };
  return {
    params,
    ...(body ? { body } : {}),
    responses,
    calls: [...new Set(calls)].slice(0, 60),
    view,
    ruleIds: ctx.book.idsWithin(range.start, range.end),
  };
}

/** `HTTP_X_API_KEY` → `X-Api-Key`. */
export function headerName(server: string): string {
  return server
    .replace(/^HTTP_/, '')
    .toLowerCase()
    .split('_')
    .map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w))
    .join('-');
}

function defaultSchema(node: SyntaxNode | undefined): Schema | undefined {
  if (!node) return undefined;
  if (intValue(node) !== undefined) return { type: 'integer' } as Schema;
  if (node.type === 'float') return { type: 'number' } as Schema;
  if (node.type === 'boolean') return { type: 'boolean' } as Schema;
  return undefined;
}

/** Eloquent models by convention: `App\Models\X`, or `App\X` (Laravel before 8). */
export function isModel(qualified: string): boolean {
  return /\\Models?\\[A-Z]\w*$/.test(qualified) || /^App\\[A-Z]\w*$/.test(qualified);
}

/** The first sentence of the docblock right before a declaration. */
export function docSummary(node: SyntaxNode): string | undefined {
  let prev = node.previousNamedSibling;
  // Attributes sit between the docblock and the method.
  while (prev && prev.type === 'attribute_list') prev = prev.previousNamedSibling;
  if (!prev || prev.type !== 'comment' || !prev.text.startsWith('/**')) return undefined;
  const lines = prev.text
    .replace(/^\/\*\*|\*\/$/g, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, '').trim());
  const text: string[] = [];
  for (const l of lines) {
    if (l.startsWith('@')) break;
    if (!l) {
      if (text.length > 0) break;
      continue;
    }
    text.push(l);
  }
  const s = text.join(' ').trim();
  return s ? (s.length > 120 ? `${s.slice(0, 119)}…` : s) : undefined;
}

export type { Evidence };
export { arrayEntries };
