/**
 * Reading Python syntax trees (tree-sitter-python) the way the framework extractors need it:
 * literal values (strings with their prefixes and escapes, numbers, lists, tuples), dotted names
 * of calls and attribute chains, call arguments split into positional and keyword, function
 * parameters with their annotations and defaults, and HTTP status expressions
 * (`201`, `status.HTTP_201_CREATED`, `HTTPStatus.CREATED`). Nothing here knows a framework.
 */
import type { SyntaxNode } from '../service/tree-sitter.js';

/** The value of a string literal (implicit concatenation included); undefined for f-strings with interpolations and non-strings. */
export function stringValue(node: SyntaxNode | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'parenthesized_expression' && node.namedChildCount === 1) return stringValue(node.namedChild(0));
  if (node.type === 'concatenated_string') {
    let out = '';
    for (const part of node.namedChildren) {
      const v = stringValue(part);
      if (v === undefined) return undefined;
      out += v;
    }
    return out;
  }
  if (node.type !== 'string') return undefined;
  const start = node.namedChildren.find((c) => c.type === 'string_start')?.text ?? node.child(0)?.text ?? '';
  const prefix = start.replace(/['"]+$/, '').toLowerCase();
  if (prefix.includes('f') && node.namedChildren.some((c) => c.type === 'interpolation')) return undefined;
  const raw = prefix.includes('r');
  let out = '';
  for (const c of node.namedChildren) {
    if (c.type === 'string_content') out += fStringText(raw ? c.text : unescape(c.text), prefix);
    else if (c.type === 'interpolation') return undefined;
  }
  return out;
}

/** In an f-string, `{{` and `}}` stand for literal braces. */
export function fStringText(text: string, prefix: string): string {
  return prefix.includes('f') ? text.replace(/\{\{/g, '{').replace(/\}\}/g, '}') : text;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
function unescape(s: string): string {
  return s.replace(/\\(.)/gs, (m, c: string) => ESCAPES[c] ?? m);
}

/** `a.b.c` for identifiers and attribute chains; undefined for anything else (calls, subscripts). */
export function dottedName(node: SyntaxNode | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') {
    const object = dottedName(node.childForFieldName('object'));
    const attr = node.childForFieldName('attribute')?.text;
    return object !== undefined && attr ? `${object}.${attr}` : undefined;
  }
  if (node.type === 'dotted_name') return node.namedChildren.map((c) => c.text).join('.');
  return undefined;
}

/** The last segment of a dotted name (`serializers.CharField` → `CharField`). */
export function lastName(name: string): string {
  const i = name.lastIndexOf('.');
  return i < 0 ? name : name.slice(i + 1);
}

/** The dotted name of the function a call calls (`app.route`, `path`); undefined when not a name. */
export function callName(call: SyntaxNode | null | undefined): string | undefined {
  if (!call || call.type !== 'call') return undefined;
  return dottedName(call.childForFieldName('function'));
}

export interface CallArgs {
  positional: SyntaxNode[];
  keywords: Map<string, SyntaxNode>;
  /** `*args` / `**kwargs` present: the arguments are not all known. */
  splat: boolean;
}

export function callArgs(call: SyntaxNode): CallArgs {
  const out: CallArgs = { positional: [], keywords: new Map(), splat: false };
  const list = call.childForFieldName('arguments');
  if (!list) return out;
  for (const a of list.namedChildren) {
    if (a.type === 'keyword_argument') {
      const name = a.childForFieldName('name')?.text;
      const value = a.childForFieldName('value');
      if (name && value) out.keywords.set(name, value);
    } else if (a.type === 'list_splat' || a.type === 'dictionary_splat') out.splat = true;
    else if (a.type !== 'comment') out.positional.push(a);
  }
  return out;
}

/** Argument `index` or keyword `name`, whichever is given. */
export function argument(args: CallArgs, index: number, name: string): SyntaxNode | undefined {
  return args.keywords.get(name) ?? (index >= 0 ? args.positional[index] : undefined);
}

/** A literal value: strings, numbers, booleans, None, and lists/tuples/sets of literals; undefined when not literal. */
export type Literal = string | number | boolean | null | Literal[];
export function literalValue(node: SyntaxNode | null | undefined): Literal | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'string':
    case 'concatenated_string':
      return stringValue(node);
    case 'integer': {
      const t = node.text.replace(/_/g, '').toLowerCase();
      const n = t.startsWith('0x') ? parseInt(t, 16) : t.startsWith('0o') ? parseInt(t.slice(2), 8) : t.startsWith('0b') ? parseInt(t.slice(2), 2) : Number(t.replace(/l$/, ''));
      return Number.isFinite(n) ? n : undefined;
    }
    case 'float': {
      const n = Number(node.text.replace(/_/g, ''));
      return Number.isFinite(n) ? n : undefined;
    }
    case 'true':
      return true;
    case 'false':
      return false;
    case 'none':
      return null;
    case 'unary_operator': {
      const v = literalValue(node.childForFieldName('argument'));
      const op = node.child(0)?.text;
      return typeof v === 'number' ? (op === '-' ? -v : v) : undefined;
    }
    case 'parenthesized_expression':
      return node.namedChildCount === 1 ? literalValue(node.namedChild(0)) : undefined;
    case 'list':
    case 'tuple':
    case 'set': {
      const out: Literal[] = [];
      for (const c of node.namedChildren) {
        if (c.type === 'comment') continue;
        const v = literalValue(c);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** String elements of a list/tuple literal (non-literal elements skipped), or of a single string. */
export function stringList(node: SyntaxNode | null | undefined): string[] {
  if (!node) return [];
  const single = stringValue(node);
  if (single !== undefined) return [single];
  if (node.type === 'list' || node.type === 'tuple' || node.type === 'set') {
    return node.namedChildren.map((c) => stringValue(c)).filter((s): s is string => s !== undefined);
  }
  return [];
}

export interface FunctionParam {
  name: string;
  annotation?: SyntaxNode;
  default?: SyntaxNode;
  /** `*args` and `**kwargs` are `splat`; parameters after `*` are still `normal`. */
  kind: 'normal' | 'splat';
  node: SyntaxNode;
}

/** Parameters of a `function_definition`, in order. */
export function functionParams(fn: SyntaxNode): FunctionParam[] {
  const list = fn.childForFieldName('parameters');
  if (!list) return [];
  const out: FunctionParam[] = [];
  for (const p of list.namedChildren) {
    switch (p.type) {
      case 'identifier':
        out.push({ name: p.text, kind: 'normal', node: p });
        break;
      case 'typed_parameter': {
        const first = p.namedChild(0);
        const annotation = p.childForFieldName('type') ?? undefined;
        if (first?.type === 'identifier') out.push({ name: first.text, kind: 'normal', node: p, ...(annotation ? { annotation } : {}) });
        else if (first) out.push({ name: first.text.replace(/^\*+/, ''), kind: 'splat', node: p });
        break;
      }
      case 'default_parameter':
      case 'typed_default_parameter': {
        const name = p.childForFieldName('name')?.text;
        const annotation = p.childForFieldName('type') ?? undefined;
        const value = p.childForFieldName('value') ?? undefined;
        if (name) out.push({ name, kind: 'normal', node: p, ...(annotation ? { annotation } : {}), ...(value ? { default: value } : {}) });
        break;
      }
      case 'list_splat_pattern':
      case 'dictionary_splat_pattern':
        out.push({ name: p.text.replace(/^\*+/, ''), kind: 'splat', node: p });
        break;
      default:
        break;
    }
  }
  return out;
}

/** The function or class a node defines, unwrapping `decorated_definition`. */
export function definitionOf(node: SyntaxNode): SyntaxNode | undefined {
  if (node.type === 'decorated_definition') return node.childForFieldName('definition') ?? undefined;
  if (node.type === 'function_definition' || node.type === 'class_definition') return node;
  return undefined;
}

/** Decorator expressions of a definition (the node after `@`), outermost first. */
export function decoratorsOf(def: SyntaxNode): SyntaxNode[] {
  const parent = def.parent;
  if (!parent || parent.type !== 'decorated_definition') return [];
  return parent.namedChildren.filter((c) => c.type === 'decorator').map((d) => d.namedChild(0)!).filter(Boolean);
}

/** The node whose lines are the evidence of a definition: the decorated definition when decorated. */
export function outerOf(def: SyntaxNode): SyntaxNode {
  return def.parent?.type === 'decorated_definition' ? def.parent : def;
}

/** Statements of a block, or of a module. */
export function statementsOf(node: SyntaxNode | null | undefined): SyntaxNode[] {
  if (!node) return [];
  return node.namedChildren.filter((c) => c.type !== 'comment');
}

/** The body block of a class or function definition. */
export function bodyOf(def: SyntaxNode): SyntaxNode | undefined {
  return def.childForFieldName('body') ?? undefined;
}

/** Methods defined directly in a class body (decorated or not). */
export function classMethods(cls: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const s of statementsOf(bodyOf(cls))) {
    const def = definitionOf(s);
    if (def?.type === 'function_definition') out.push(def);
  }
  return out;
}

/** `name = value` / `name: T = value` statements directly in a block. */
export function assignmentsIn(block: SyntaxNode | null | undefined): { name: string; left: SyntaxNode; type?: SyntaxNode; value?: SyntaxNode; statement: SyntaxNode; augmented: boolean }[] {
  const out: { name: string; left: SyntaxNode; type?: SyntaxNode; value?: SyntaxNode; statement: SyntaxNode; augmented: boolean }[] = [];
  for (const s of statementsOf(block)) {
    if (s.type !== 'expression_statement') continue;
    const a = s.namedChild(0);
    if (!a || (a.type !== 'assignment' && a.type !== 'augmented_assignment')) continue;
    const left = a.childForFieldName('left');
    const name = dottedName(left);
    if (!left || name === undefined) continue;
    const type = a.childForFieldName('type') ?? undefined;
    const value = a.childForFieldName('right') ?? undefined;
    out.push({ name, left, statement: s, augmented: a.type === 'augmented_assignment', ...(type ? { type } : {}), ...(value ? { value } : {}) });
  }
  return out;
}

/** Operators of a comparison (`==`, `in`, `is not`), in order. */
export function comparisonOperators(node: SyntaxNode): string[] {
  const ops: string[] = [];
  let pending = '';
  for (const c of node.children) {
    if (c.isNamed) {
      if (pending) ops.push(pending);
      pending = '';
    } else pending = pending ? `${pending} ${c.type}` : c.type;
  }
  return ops;
}

/** Source text on one line, whitespace collapsed (for conditions and effects in rules). */
export function oneLine(node: SyntaxNode | string, max = 200): string {
  const text = (typeof node === 'string' ? node : node.text).replace(/\s+/g, ' ').replace(/\(\s+/g, '(').replace(/\s+\)/g, ')').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const HTTP_STATUS_NAMES: Record<string, number> = {
  CONTINUE: 100, OK: 200, CREATED: 201, ACCEPTED: 202, NON_AUTHORITATIVE_INFORMATION: 203, NO_CONTENT: 204, RESET_CONTENT: 205, PARTIAL_CONTENT: 206, MULTI_STATUS: 207,
  MULTIPLE_CHOICES: 300, MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, NOT_MODIFIED: 304, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308,
  BAD_REQUEST: 400, UNAUTHORIZED: 401, PAYMENT_REQUIRED: 402, FORBIDDEN: 403, NOT_FOUND: 404, METHOD_NOT_ALLOWED: 405, NOT_ACCEPTABLE: 406, REQUEST_TIMEOUT: 408, CONFLICT: 409, GONE: 410,
  LENGTH_REQUIRED: 411, PRECONDITION_FAILED: 412, REQUEST_ENTITY_TOO_LARGE: 413, CONTENT_TOO_LARGE: 413, UNSUPPORTED_MEDIA_TYPE: 415, UNPROCESSABLE_ENTITY: 422, UNPROCESSABLE_CONTENT: 422, LOCKED: 423,
  TOO_MANY_REQUESTS: 429, INTERNAL_SERVER_ERROR: 500, NOT_IMPLEMENTED: 501, BAD_GATEWAY: 502, SERVICE_UNAVAILABLE: 503, GATEWAY_TIMEOUT: 504,
};

/**
 * The HTTP status an expression names: an integer literal, `status.HTTP_404_NOT_FOUND`
 * (DRF, Starlette, FastAPI), `HTTPStatus.NOT_FOUND` / `http.HTTPStatus.NOT_FOUND`, or
 * `HTTPStatus(404)`; undefined otherwise.
 */
export function statusValue(node: SyntaxNode | null | undefined): number | undefined {
  if (!node) return undefined;
  const lit = literalValue(node);
  if (typeof lit === 'number') return lit >= 100 && lit <= 599 ? lit : undefined;
  if (typeof lit === 'string' && /^[1-5]\d\d$/.test(lit)) return Number(lit);
  const name = dottedName(node);
  if (name !== undefined) {
    const m = /(?:^|\.)HTTP_(\d{3})(?:_\w+)?$/.exec(name);
    if (m) return Number(m[1]);
    const last = lastName(name);
    if (/HTTPStatus\.|status_codes\.|codes\./i.test(name) || name.startsWith('HTTPStatus')) return HTTP_STATUS_NAMES[last.toUpperCase()];
    return undefined;
  }
  if (node.type === 'attribute') {
    // `HTTPStatus.NOT_FOUND.value`
    const obj = node.childForFieldName('object');
    if (node.childForFieldName('attribute')?.text === 'value') return statusValue(obj);
  }
  if (node.type === 'call' && /HTTPStatus$/.test(callName(node) ?? '')) return statusValue(callArgs(node).positional[0]);
  return undefined;
}

/** Every node of the given types below `node`, not descending into nested functions, classes or lambdas. */
export function ownDescendants(node: SyntaxNode, types: readonly string[]): SyntaxNode[] {
  const wanted = new Set(types);
  const out: SyntaxNode[] = [];
  const visit = (n: SyntaxNode): void => {
    for (const c of n.namedChildren) {
      if (wanted.has(c.type)) out.push(c);
      if (c.type === 'function_definition' || c.type === 'class_definition' || c.type === 'lambda' || c.type === 'decorated_definition') continue;
      visit(c);
    }
  };
  visit(node);
  return out;
}
