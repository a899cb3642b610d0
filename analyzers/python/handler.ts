/**
 * What a handler body says about its request and responses, in every Python framework's
 * spelling: query parameters (`request.args.get('q')`, `request.GET['q']`,
 * `request.query_params.get('q')`), headers (`request.headers.get('X-Token')`,
 * `request.META['HTTP_X_TOKEN']`), cookies, form fields (`request.form['name']`,
 * `request.POST.get`), files, a JSON body (`request.get_json()`, `request.json`, `request.data`),
 * the statuses it produces (statuses.ts) and its business rules (rules.ts).
 */
import type { BodyFact, ParamFact, ResponseFact } from '../service/facts.js';
import type { Schema } from '../service/schema.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { PyContext } from './context.js';
import { functionRules } from './rules.js';
import { statusesIn } from './statuses.js';
import { callArgs, callName, dottedName, lastName, literalValue, ownDescendants, stringValue } from './syntax.js';

export interface HandlerFacts {
  params: ParamFact[];
  body?: BodyFact;
  responses: ResponseFact[];
  ruleIds: string[];
  /** The body reads `request.files`: a multipart request. */
  files: boolean;
}

/** Collections of the request object, by attribute, and where their keys go. */
const COLLECTIONS: Record<string, ParamFact['in'] | 'files'> = {
  args: 'query',
  GET: 'query',
  query_params: 'query',
  values: 'query',
  headers: 'header',
  META: 'header',
  cookies: 'cookie',
  COOKIES: 'cookie',
  form: 'form',
  POST: 'form',
  files: 'files',
  FILES: 'files',
};

const TYPE_CONVERTERS: Record<string, Schema> = { int: { type: 'integer' }, float: { type: 'number' }, bool: { type: 'boolean' }, str: { type: 'string' } };

/** True when `node` is the request object: `request`, `req`, `self.request`, `flask.request`. */
function isRequest(node: SyntaxNode | null | undefined): boolean {
  const name = dottedName(node);
  return name !== undefined && /^(?:self\.|flask\.)?(request|req)$/.test(name);
}

export interface ReadHandlerOptions {
  scope: string;
  /** Rules: `validator` mode for validators; `none` skips rules (a function read only for its parameters). */
  rules?: 'handler' | 'none';
}

/** Reads a function's body (not nested functions). */
export function readHandler(fn: SyntaxNode, ctx: PyContext, options: ReadHandlerOptions): HandlerFacts {
  const out: HandlerFacts = { params: [], responses: [], ruleIds: [], files: false };
  const body = fn.childForFieldName('body');
  if (!body) return out;
  const seen = new Set<string>();
  const addParam = (p: ParamFact): void => {
    const key = `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.params.push(p);
  };
  let json: SyntaxNode | undefined;
  for (const n of ownDescendants(body, ['attribute', 'subscript', 'call'])) {
    if (n.type === 'call') {
      // request.args.get('q', type=int) / request.GET.get('q') / request.args.getlist('tag') / request.get_json()
      const fnNode = n.childForFieldName('function');
      if (fnNode?.type !== 'attribute') continue;
      const method = fnNode.childForFieldName('attribute')?.text ?? '';
      const object = fnNode.childForFieldName('object');
      if (isRequest(object) && (method === 'get_json' || method === 'json')) {
        json ??= n;
        continue;
      }
      if (object?.type !== 'attribute' || !isRequest(object.childForFieldName('object'))) continue;
      const where = COLLECTIONS[object.childForFieldName('attribute')?.text ?? ''];
      if (!where || !/^(get|getlist|get_all|getall|pop|__getitem__)$/.test(method)) continue;
      const args = callArgs(n);
      const key = stringValue(args.positional[0] ?? args.keywords.get('key'));
      if (key === undefined) continue;
      if (where === 'files') {
        out.files = true;
        addParam({ name: key, in: 'form', schema: { type: 'string', format: 'binary' }, evidence: ctx.evidence(n) });
        continue;
      }
      let schema: Schema = { type: 'string' };
      const conv = dottedName(args.keywords.get('type'));
      if (conv && TYPE_CONVERTERS[conv]) schema = { ...TYPE_CONVERTERS[conv]! };
      const dflt = literalValue(args.positional[1] ?? args.keywords.get('default'));
      if (typeof dflt === 'number' && schema.type === 'string') schema = { type: Number.isInteger(dflt) ? 'integer' : 'number' };
      if (dflt !== undefined && dflt !== null && !Array.isArray(dflt)) (schema as { default?: unknown }).default = dflt;
      if (method === 'getlist' || method === 'get_all' || method === 'getall') schema = { type: 'array', items: schema } as Schema;
      const p = named(key, where);
      if (p) addParam({ ...p, required: false, schema, evidence: ctx.evidence(n) });
    } else if (n.type === 'subscript') {
      // request.args['q'] / request.form['name'] / request.META['HTTP_X_TOKEN'] — a missing key is an error: required.
      const value = n.childForFieldName('value');
      if (value?.type !== 'attribute' || !isRequest(value.childForFieldName('object'))) continue;
      const where = COLLECTIONS[value.childForFieldName('attribute')?.text ?? ''];
      const key = stringValue(n.childForFieldName('subscript'));
      if (!where || key === undefined) continue;
      if (where === 'files') {
        out.files = true;
        addParam({ name: key, in: 'form', required: true, schema: { type: 'string', format: 'binary' }, evidence: ctx.evidence(n) });
        continue;
      }
      const p = named(key, where);
      if (p) addParam({ ...p, required: true, schema: { type: 'string' }, evidence: ctx.evidence(n) });
    } else if (n.type === 'attribute') {
      // request.json / request.data (DRF: the parsed body) / request.body (Django: raw)
      if (!isRequest(n.childForFieldName('object'))) continue;
      const attr = n.childForFieldName('attribute')?.text;
      if (attr === 'json' || attr === 'data' || attr === 'body') json ??= n;
    }
  }
  if (json) out.body = { schema: jsonBodySchema(body) };
  if (out.files) {
    const fields = out.params.filter((p) => p.in === 'form');
    out.params = out.params.filter((p) => p.in !== 'form');
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const f of fields) {
      properties[f.name] = f.schema ?? { type: 'string' };
      if (f.required) required.push(f.name);
    }
    out.body = { schema: { type: 'object', properties, ...(required.length ? { required } : {}) } as Schema, contentType: 'multipart/form-data' };
  }
  const responses = new Map<number, ResponseFact>();
  for (const use of statusesIn(body)) {
    if (responses.has(use.status)) continue;
    responses.set(use.status, {
      status: String(use.status),
      ...(use.message !== undefined && use.status >= 400 ? { description: use.message } : {}),
      evidence: ctx.evidence(use.node),
    });
  }
  out.responses = [...responses.values()];
  // A view that renders a template answers an HTML page.
  const renders = ownDescendants(body, ['call']).find((c) => /^(render|render_template|render_template_string|render_to_response|TemplateResponse)$/.test(lastName(callName(c) ?? '')));
  if (renders && !out.responses.some((r) => /^2/.test(r.status))) out.responses.unshift(htmlResponse(ctx.evidence(renders)));
  if (options.rules !== 'none') out.ruleIds = functionRules(fn, ctx, { scope: options.scope, mode: 'handler' });
  return out;
}

/**
 * `HTTP_X_API_KEY` (Django `META`) → `X-Api-Key`; `META` keys that are not headers
 * (`REMOTE_ADDR`, `SERVER_NAME`) → undefined; other names as written.
 */
function named(key: string, where: ParamFact['in']): { name: string; in: ParamFact['in'] } | undefined {
  const words = (k: string): string => k.split('_').map((w) => w.charAt(0) + w.slice(1).toLowerCase()).join('-');
  if (where === 'header' && /^[A-Z0-9_]+$/.test(key) && key.includes('_')) {
    if (key.startsWith('HTTP_')) return { name: words(key.slice(5)), in: 'header' };
    if (key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH') return { name: words(key), in: 'header' };
    return undefined;
  }
  return { name: key, in: where };
}

/**
 * The JSON body's shape as far as the handler reads it: keys read from `request.json`,
 * `request.get_json()`, `request.data` or a variable holding one of them (`data['name']` is
 * required, `data.get('note')` optional). An open object when no key is read.
 */
function jsonBodySchema(body: SyntaxNode): Schema {
  const holders = new Set<string>();
  const isBody = (n: SyntaxNode | null | undefined): boolean => {
    if (!n) return false;
    if (n.type === 'identifier' && holders.has(n.text)) return true;
    if (n.type === 'attribute' && isRequest(n.childForFieldName('object'))) return /^(json|data)$/.test(n.childForFieldName('attribute')?.text ?? '');
    if (n.type === 'call') {
      const f = n.childForFieldName('function');
      return f?.type === 'attribute' && isRequest(f.childForFieldName('object')) && f.childForFieldName('attribute')?.text === 'get_json';
    }
    return false;
  };
  for (const a of ownDescendants(body, ['assignment'])) {
    const left = a.childForFieldName('left');
    if (left?.type === 'identifier' && isBody(a.childForFieldName('right'))) holders.add(left.text);
  }
  const properties: Record<string, Schema> = {};
  const required = new Set<string>();
  for (const n of ownDescendants(body, ['subscript', 'call'])) {
    if (n.type === 'subscript') {
      const key = stringValue(n.childForFieldName('subscript'));
      if (key === undefined || !isBody(n.childForFieldName('value'))) continue;
      // A subscript that is assigned to is not a read.
      if (n.parent?.type === 'assignment' && n.parent.childForFieldName('left')?.id === n.id) continue;
      properties[key] ??= {};
      required.add(key);
    } else {
      const f = n.childForFieldName('function');
      if (f?.type !== 'attribute' || f.childForFieldName('attribute')?.text !== 'get' || !isBody(f.childForFieldName('object'))) continue;
      const key = stringValue(callArgs(n).positional[0]);
      if (key === undefined) continue;
      const dflt = literalValue(callArgs(n).positional[1]);
      properties[key] ??= typeof dflt === 'number' ? { type: Number.isInteger(dflt) ? 'integer' : 'number' } : typeof dflt === 'string' ? { type: 'string' } : typeof dflt === 'boolean' ? { type: 'boolean' } : {};
    }
  }
  if (Object.keys(properties).length === 0) return { type: 'object' };
  return { type: 'object', properties, ...(required.size > 0 ? { required: [...required] } : {}) } as Schema;
}

/** Lines of the branches a view function takes for one HTTP method (`if request.method == 'POST':`). */
export function methodBranches(fn: SyntaxNode): { method: string; start: number; end: number }[] {
  const out: { method: string; start: number; end: number }[] = [];
  for (const n of ownDescendants(fn, ['if_statement', 'elif_clause'])) {
    const cond = n.childForFieldName('condition');
    const body = n.childForFieldName('consequence');
    if (!cond || !body || cond.type !== 'comparison_operator') continue;
    const [left, right] = cond.namedChildren;
    if (!left || !right || !/(^|\.)(request|req)\.method$/.test(dottedName(left) ?? '')) continue;
    const values = right.type === 'string' ? [stringValue(right)] : right.namedChildren.map((c) => stringValue(c));
    for (const v of values) if (v) out.push({ method: v.toLowerCase(), start: body.startPosition.row + 1, end: body.endPosition.row + 1 });
  }
  return out;
}

/**
 * What of a multi-method view belongs to `method`: the rules, parameters and statuses inside its
 * `request.method == ...` branches, and those outside every method branch.
 */
export function forMethod(handler: HandlerFacts, ctx: PyContext, branches: { method: string; start: number; end: number }[], method: string): Pick<HandlerFacts, 'params' | 'responses' | 'ruleIds'> {
  if (branches.length === 0) return handler;
  const belongs = (line: number | undefined): boolean => {
    if (line === undefined) return true;
    const inside = branches.filter((b) => line >= b.start && line <= b.end);
    return inside.length === 0 || inside.some((b) => b.method === method);
  };
  const byId = new Map(ctx.rules.rules.map((r) => [r.id, r]));
  return {
    params: handler.params.filter((p) => belongs(p.evidence?.startLine)),
    responses: handler.responses.filter((r) => belongs(r.evidence?.startLine)),
    ruleIds: handler.ruleIds.filter((id) => belongs(byId.get(id)?.evidence[0]?.startLine)),
  };
}

/** A `200` HTML page (template views). */
export function htmlResponse(evidence: ResponseFact['evidence']): ResponseFact {
  return { status: '200', description: 'HTML page', schema: { type: 'string' }, contentType: 'text/html', ...(evidence ? { evidence } : {}) };
}
