/**
 * What Java code reads from the HTTP request by name, wherever it runs: a servlet filter, a
 * Spring interceptor or argument resolver, a controller method that takes the raw request. Header
 * reads are `getHeader("X-Flow-Id")`, `getHeaders`, `getIntHeader`, `getDateHeader` (Servlet API),
 * `getHeaderValues` (Spring `WebRequest`), `getHeaderString` (JAX-RS `ContainerRequestContext`,
 * `HttpHeaders`), `header()` (WebFlux `ServerRequest`), and `getFirst`/`get`/`getOrEmpty`/
 * `containsKey` on the request's header map (`request.getHeaders()`, a Spring `HttpHeaders`);
 * query reads are `getParameter`/`getParameterValues` and `getQueryParams().getFirst()`.
 *
 * The receiver must be the request: a variable declared with a request type (`HttpServletRequest`,
 * `ServletRequest`, a `…RequestWrapper`, `WebRequest`, `ServerHttpRequest`,
 * `ContainerRequestContext`), a cast to one, or `getRequest()`/`getNativeRequest()`; an untyped
 * name (a lambda parameter, `var`) counts when it is named like one (`req`, `request`,
 * `httpRequest`). A response's `getHeader` reads nothing from the client.
 */
import type { ParamFact } from '../service/facts.js';
import type { Schema } from '../service/schema.js';
import { descendants, evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { evalString, simpleName, type ClassInfo, type JavaFile } from './syntax.js';

const REQUEST_TYPE = /(Request|RequestWrapper|RequestContext)$/;
const REQUEST_NAME = /^(req|request|.*Request|.*Req)$/i;
const HEADER_MAP_TYPE = /^(HttpHeaders|ReadOnlyHttpHeaders)$/;

const REQUEST_HEADER_READS: Record<string, 'string' | 'integer' | 'array'> = {
  getHeader: 'string',
  getHeaders: 'array',
  getIntHeader: 'integer',
  getDateHeader: 'string',
  getHeaderValues: 'array',
  getHeaderString: 'string',
  header: 'array',
};
const MAP_READS = new Set(['getFirst', 'get', 'getOrEmpty', 'containsKey', 'getValuesAsList', 'getRequestHeader', 'getHeaderString', 'firstHeader', 'header']);
const REQUEST_QUERY_READS: Record<string, 'string' | 'array'> = { getParameter: 'string', getParameterValues: 'array', queryParam: 'string' };

const PARSERS: Record<string, Schema> = {
  parseInt: { type: 'integer', format: 'int32' },
  parseLong: { type: 'integer', format: 'int64' },
  parseDouble: { type: 'number', format: 'double' },
  parseFloat: { type: 'number', format: 'float' },
  parseBoolean: { type: 'boolean' },
};

export interface ReadScope {
  file: JavaFile;
  cls: ClassInfo;
}

/**
 * Header and query parameters read by name in `roots` (method bodies, or a whole class). Names the
 * file cannot resolve stay `{{const:…}}` placeholders for the link step; `HttpHeaders.USER_AGENT`
 * style constants (Spring, JAX-RS, Guava) are written as the header they name (`User-Agent`).
 */
export function requestReads(roots: readonly SyntaxNode[], scope: ReadScope): ParamFact[] {
  const types = declaredTypes(roots, scope.cls);
  const out: ParamFact[] = [];
  const seen = new Set<string>();
  const isRequest = (node: SyntaxNode | null | undefined, depth = 0): boolean => {
    if (!node || depth > 4) return false;
    switch (node.type) {
      case 'parenthesized_expression':
        return isRequest(node.namedChildren[0], depth + 1);
      case 'cast_expression':
        return REQUEST_TYPE.test(simpleName(node.childForFieldName('type')?.text ?? '')) || isRequest(node.childForFieldName('value'), depth + 1);
      case 'identifier': {
        const t = types.get(node.text);
        return t !== undefined ? REQUEST_TYPE.test(t) && !/Response/.test(t) : REQUEST_NAME.test(node.text) && !/resp/i.test(node.text);
      }
      case 'field_access':
        return node.childForFieldName('object')?.type === 'this' && isRequest(node.childForFieldName('field'), depth + 1);
      case 'method_invocation': {
        const name = node.childForFieldName('name')?.text;
        return name === 'getRequest' || name === 'getNativeRequest' || name === 'request';
      }
    }
    return false;
  };
  const isHeaderMap = (node: SyntaxNode | null | undefined): boolean => {
    if (!node) return false;
    if (node.type === 'parenthesized_expression') return isHeaderMap(node.namedChildren[0]);
    if (node.type === 'identifier') return HEADER_MAP_TYPE.test(types.get(node.text) ?? '');
    if (node.type !== 'method_invocation') return false;
    const name = node.childForFieldName('name')?.text;
    const argc = node.childForFieldName('arguments')?.namedChildren.length ?? 0;
    return (name === 'getHeaders' || name === 'headers') && argc === 0 && isRequest(node.childForFieldName('object'));
  };
  const isQueryMap = (node: SyntaxNode | null | undefined): boolean => {
    if (node?.type !== 'method_invocation') return false;
    const name = node.childForFieldName('name')?.text;
    return (name === 'getQueryParams' || name === 'queryParams') && isRequest(node.childForFieldName('object'));
  };
  for (const root of roots) {
    for (const call of descendants(root, 'method_invocation')) {
      const name = call.childForFieldName('name')?.text ?? '';
      const obj = call.childForFieldName('object');
      const args = call.childForFieldName('arguments')?.namedChildren ?? [];
      if (args.length !== 1 || !obj) continue;
      let where: 'header' | 'query' | undefined;
      let shape: 'string' | 'integer' | 'array' = 'string';
      if (name in REQUEST_HEADER_READS && isRequest(obj)) (where = 'header'), (shape = REQUEST_HEADER_READS[name]!);
      else if (name in REQUEST_QUERY_READS && isRequest(obj)) (where = 'query'), (shape = REQUEST_QUERY_READS[name]!);
      else if (MAP_READS.has(name) && isHeaderMap(obj)) where = 'header';
      else if (MAP_READS.has(name) && isQueryMap(obj)) where = 'query';
      if (!where) continue;
      const pname = headerConstant(evalString(args[0], scope.cls, scope.file));
      if (!pname) continue;
      const key = `${where}:${pname.toLowerCase()}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let schema: Schema = shape === 'array' ? ({ type: 'array', items: { type: 'string' } } as Schema) : shape === 'integer' ? { type: 'integer' } : { type: 'string' };
      const parent = call.parent?.parent;
      const parser = parent?.type === 'method_invocation' ? parent.childForFieldName('name')?.text : undefined;
      if (shape === 'string' && parser && PARSERS[parser]) schema = { ...PARSERS[parser]! };
      out.push({ name: pname, in: where, schema, evidence: evidenceOf(scope.file.path, call) });
    }
  }
  return out;
}

/** `{{const:HttpHeaders.USER_AGENT}}` → `User-Agent`; other text unchanged. */
function headerConstant(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const m = /^\{\{const:(?:[\w.]*\.)?(?:HttpHeaders|HttpHeaderNames|HttpHeaderConsts)\.([A-Z][A-Z0-9_]*)\}\}$/.exec(name);
  if (!m) return name;
  return m[1]!
    .split('_')
    .map((w) => (w === 'WWW' || w === 'TE' || w === 'DNT' ? w : w[0]! + w.slice(1).toLowerCase()))
    .join('-');
}

/** Declared types (simple names) of the parameters, locals and fields visible in `roots`. */
function declaredTypes(roots: readonly SyntaxNode[], cls: ClassInfo): Map<string, string> {
  const out = new Map<string, string>();
  for (let c: ClassInfo | undefined = cls; c; c = c.outer) for (const [name, type] of c.fieldTypes) if (!out.has(name)) out.set(name, simpleName(type.text));
  const holders = roots.flatMap((r) => (r.parent?.type === 'method_declaration' || r.parent?.type === 'constructor_declaration' ? [r.parent] : [r]));
  for (const h of holders) {
    for (const d of descendants(h, ['formal_parameter', 'local_variable_declaration', 'catch_formal_parameter', 'enhanced_for_statement', 'field_declaration'])) {
      const type = d.childForFieldName('type');
      if (!type || type.text === 'var') continue;
      const names = d.type === 'local_variable_declaration' || d.type === 'field_declaration' ? d.namedChildren.filter((v) => v.type === 'variable_declarator').map((v) => v.childForFieldName('name')?.text) : [d.childForFieldName('name')?.text];
      for (const n of names) if (n) out.set(n, simpleName(type.text));
    }
  }
  return out;
}
