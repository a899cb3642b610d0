/**
 * What a handler really answers, read from its body: Spring `ResponseEntity` builders and
 * constructors, JAX-RS `Response` builders, servlet `sendError`/`setStatus`, and thrown
 * exceptions (`ResponseStatusException`, `WebApplicationException` with a status, and named
 * exceptions that the link step maps to a status through `@ResponseStatus`, `@ExceptionHandler`
 * or an `ExceptionMapper`). Also the body's schema when a builder is handed a typed local.
 */
import type { ResponseFact } from '../service/facts.js';
import type { Schema } from '../service/schema.js';
import { descendants, evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { enumName, evalString, intValue, stringValue, type ClassInfo, type JavaFile } from './syntax.js';
import { parseType, schemaOf, type JavaType } from './types.js';

const STATUS_NAMES: Record<string, number> = {
  CONTINUE: 100, OK: 200, CREATED: 201, ACCEPTED: 202, NON_AUTHORITATIVE_INFORMATION: 203, NO_CONTENT: 204, RESET_CONTENT: 205,
  PARTIAL_CONTENT: 206, MULTIPLE_CHOICES: 300, MOVED_PERMANENTLY: 301, FOUND: 302, MOVED_TEMPORARILY: 302, SEE_OTHER: 303,
  NOT_MODIFIED: 304, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308, BAD_REQUEST: 400, UNAUTHORIZED: 401, PAYMENT_REQUIRED: 402,
  FORBIDDEN: 403, NOT_FOUND: 404, METHOD_NOT_ALLOWED: 405, NOT_ACCEPTABLE: 406, PROXY_AUTHENTICATION_REQUIRED: 407,
  REQUEST_TIMEOUT: 408, CONFLICT: 409, GONE: 410, LENGTH_REQUIRED: 411, PRECONDITION_FAILED: 412, PAYLOAD_TOO_LARGE: 413,
  REQUEST_ENTITY_TOO_LARGE: 413, URI_TOO_LONG: 414, REQUEST_URI_TOO_LONG: 414, UNSUPPORTED_MEDIA_TYPE: 415,
  REQUESTED_RANGE_NOT_SATISFIABLE: 416, EXPECTATION_FAILED: 417, I_AM_A_TEAPOT: 418, UNPROCESSABLE_ENTITY: 422,
  UNPROCESSABLE_CONTENT: 422, LOCKED: 423, FAILED_DEPENDENCY: 424, TOO_EARLY: 425, UPGRADE_REQUIRED: 426, PRECONDITION_REQUIRED: 428,
  TOO_MANY_REQUESTS: 429, REQUEST_HEADER_FIELDS_TOO_LARGE: 431, UNAVAILABLE_FOR_LEGAL_REASONS: 451, INTERNAL_SERVER_ERROR: 500,
  NOT_IMPLEMENTED: 501, BAD_GATEWAY: 502, SERVICE_UNAVAILABLE: 503, GATEWAY_TIMEOUT: 504, HTTP_VERSION_NOT_SUPPORTED: 505,
  INSUFFICIENT_STORAGE: 507, NETWORK_AUTHENTICATION_REQUIRED: 511,
};

/** JAX-RS exceptions that carry their status (javax/jakarta.ws.rs). */
export const JAXRS_EXCEPTIONS: Record<string, number> = {
  BadRequestException: 400,
  NotAuthorizedException: 401,
  ForbiddenException: 403,
  NotFoundException: 404,
  NotAllowedException: 405,
  NotAcceptableException: 406,
  NotSupportedException: 415,
  InternalServerErrorException: 500,
  ServiceUnavailableException: 503,
};

/** The HTTP status an expression denotes: `404`, `HttpStatus.NOT_FOUND`, `Status.CREATED`, `SC_OK`, `HttpStatus.valueOf(404)`. */
export function statusOf(node: SyntaxNode | null | undefined): number | undefined {
  if (!node) return undefined;
  const i = intValue(node);
  if (i !== undefined) return i >= 100 && i <= 599 ? i : undefined;
  if (node.type === 'identifier' || node.type === 'field_access') {
    const name = enumName(node)?.replace(/^SC_/, '');
    return name ? STATUS_NAMES[name] : undefined;
  }
  if (node.type === 'method_invocation') {
    const name = node.childForFieldName('name')?.text;
    const args = node.childForFieldName('arguments')?.namedChildren ?? [];
    if ((name === 'valueOf' || name === 'fromStatusCode' || name === 'resolve') && args.length === 1) return statusOf(args[0]);
    if ((name === 'value' || name === 'getStatusCode' || name === 'code') && args.length === 0) return statusOf(node.childForFieldName('object'));
  }
  return undefined;
}

export interface Thrown {
  /** Exception simple name. */
  name: string;
  message?: string;
  evidence: ReturnType<typeof evidenceOf>;
}

export interface BodyAnalysis {
  responses: ResponseFact[];
  /** Named exceptions whose status is not known in this file (the link step maps them). */
  thrown: Thrown[];
}

export interface BodyScope {
  file: JavaFile;
  cls: ClassInfo;
  method: SyntaxNode;
  /** Types of the handler's parameters and locals, by name. */
  locals: Map<string, SyntaxNode>;
}

/**
 * The handler and the methods of its own class it calls by simple name (two levels deep):
 * servlets delegate to `processRequest(req, resp)`, controllers to private helpers.
 */
export function handlerBodies(method: SyntaxNode, cls: ClassInfo, depth = 2): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  // By position: the binding may hand out two objects for one node.
  const seen = new Set<number>();
  const visit = (m: SyntaxNode, level: number): void => {
    const body = m.childForFieldName('body');
    if (!body || seen.has(m.startIndex)) return;
    seen.add(m.startIndex);
    out.push(body);
    if (level >= depth) return;
    for (const call of descendants(body, 'method_invocation')) {
      const obj = call.childForFieldName('object');
      if (obj && obj.type !== 'this') continue;
      const name = call.childForFieldName('name')?.text;
      const argc = call.childForFieldName('arguments')?.namedChildren.length ?? 0;
      const target = cls.methods.find((x) => x.childForFieldName('name')?.text === name && (x.childForFieldName('parameters')?.namedChildren.filter((p) => p.type === 'formal_parameter' || p.type === 'spread_parameter').length ?? 0) === argc);
      if (target) visit(target, level + 1);
    }
  };
  visit(method, 0);
  return out;
}

/** Declared types of a method's parameters and locals (not `var`). */
export function localTypes(bodies: readonly SyntaxNode[], method: SyntaxNode): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  for (const p of method.childForFieldName('parameters')?.namedChildren ?? []) {
    const name = p.childForFieldName('name')?.text;
    const type = p.childForFieldName('type');
    if (name && type) out.set(name, type);
  }
  for (const body of bodies) {
    for (const d of descendants(body, ['local_variable_declaration', 'enhanced_for_statement'])) {
      const type = d.childForFieldName('type');
      if (!type || type.text === 'var') continue;
      if (d.type === 'enhanced_for_statement') {
        const n = d.childForFieldName('name')?.text;
        if (n && !out.has(n)) out.set(n, type);
        continue;
      }
      for (const v of d.namedChildren.filter((c) => c.type === 'variable_declarator')) {
        const n = v.childForFieldName('name')?.text;
        if (n && !out.has(n)) out.set(n, type);
      }
    }
  }
  return out;
}

/** Schema of a value handed to `ok(x)` / `body(x)` / `entity(x)`, when its type is plain to see. */
export function valueSchema(node: SyntaxNode | undefined, scope: BodyScope): Schema | undefined {
  if (!node) return undefined;
  if (node.type === 'string_literal') return { type: 'string' };
  if (node.type === 'object_creation_expression') {
    const anonymous = node.namedChildren.find((c) => c.type === 'class_body');
    // `new HashMap<String, Object>() {{ put("article", data); }}`: an object with those keys.
    if (anonymous) return /Map\b/.test(node.childForFieldName('type')?.text ?? '') ? mapSchema(descendants(anonymous, 'method_invocation').filter((c) => c.childForFieldName('name')?.text === 'put' && !c.childForFieldName('object')), scope) : undefined;
    const t = parseType(node.childForFieldName('type'));
    return t && !/^(HashMap|LinkedHashMap|TreeMap|Map|ArrayList|Object)$/.test(t.name) ? schemaOf(t) : undefined;
  }
  if (node.type === 'identifier') {
    const type = scope.locals.get(node.text) ?? scope.cls.fieldTypes.get(node.text);
    const t = parseType(type);
    return t && !isOpaqueLocal(t) ? schemaOf(t) : undefined;
  }
  if (node.type === 'cast_expression') return schemaOf(parseType(node.childForFieldName('type')));
  if (node.type === 'method_invocation') {
    // `Map.of("user", dto)`, `Collections.singletonMap("user", dto)`.
    const name = node.childForFieldName('name')?.text;
    const owner = node.childForFieldName('object')?.text;
    const args = node.childForFieldName('arguments')?.namedChildren ?? [];
    if ((owner === 'Map' && name === 'of') || (owner === 'Collections' && name === 'singletonMap') || (owner === 'ImmutableMap' && name === 'of')) {
      const properties: Record<string, Schema> = {};
      for (let i = 0; i + 1 < args.length; i += 2) {
        const key = args[i]!.type === 'string_literal' ? stringValue(args[i]!) : undefined;
        if (key === undefined) return { type: 'object' };
        properties[key] = valueSchema(args[i + 1], scope) ?? {};
      }
      return { type: 'object', properties } as Schema;
    }
  }
  return undefined;
}

function mapSchema(puts: SyntaxNode[], scope: BodyScope): Schema | undefined {
  const properties: Record<string, Schema> = {};
  for (const put of puts) {
    const [k, v] = put.childForFieldName('arguments')?.namedChildren ?? [];
    const key = k?.type === 'string_literal' ? stringValue(k) : undefined;
    if (key === undefined) return { type: 'object' };
    properties[key] = valueSchema(v, scope) ?? {};
  }
  return { type: 'object', properties } as Schema;
}

function isOpaqueLocal(t: JavaType): boolean {
  return t.name === 'Object' || (t.args.length === 0 && /^(Map|HashMap|List|ArrayList)$/.test(t.name));
}

/** Responses and thrown exceptions of a handler's bodies. */
export function analyzeBodies(bodies: readonly SyntaxNode[], scope: BodyScope): BodyAnalysis {
  const out: BodyAnalysis = { responses: [], thrown: [] };
  const { file } = scope;
  const add = (status: number | undefined, node: SyntaxNode, schema?: Schema, description?: string): void => {
    if (status === undefined) return;
    out.responses.push({ status: String(status), evidence: evidenceOf(file.path, node), ...(schema ? { schema } : {}), ...(description ? { description } : {}) });
  };
  for (const body of bodies) {
    for (const node of descendants(body, ['method_invocation', 'object_creation_expression', 'throw_statement', 'method_reference'])) {
      if (node.type === 'method_invocation') {
        const name = node.childForFieldName('name')?.text;
        const args = node.childForFieldName('arguments')?.namedChildren ?? [];
        if ((name === 'sendError' || name === 'setStatus') && args.length >= 1 && !chainOf(node).root?.match(/^(ResponseEntity|Response|RestResponse|ServerResponse)$/)) {
          const message = args[1] ? evalString(args[1], scope.cls, file) : undefined;
          add(statusOf(args[0]), node, undefined, message && !message.includes('{{const:') ? message : undefined);
          continue;
        }
        if (name === 'sendRedirect' && args.length === 1) {
          add(302, node);
          continue;
        }
        if (name === 'orElseThrow' && args.length === 1) {
          const a = args[0]!;
          const created = a.type === 'lambda_expression' ? a.childForFieldName('body') : undefined;
          if (created?.type === 'object_creation_expression') thrownBy(created, node, scope, out, add);
          else if (a.type === 'method_reference' && /::\s*new$/.test(a.text)) {
            out.thrown.push({ name: a.text.replace(/\s*::\s*new$/, '').split('.').pop()!, evidence: evidenceOf(file.path, node) });
          }
          continue;
        }
        const parent = node.parent;
        // Only the outermost call of a builder chain.
        if (parent?.type === 'method_invocation' && parent.childForFieldName('object')?.id === node.id) continue;
        const chain = chainOf(node);
        const root = chain.root;
        if (root === 'ResponseEntity' || root === 'Response' || root === 'RestResponse' || root === 'ServerResponse') readBuilder(chain, root, scope, add, node);
      } else if (node.type === 'object_creation_expression') {
        const type = parseType(node.childForFieldName('type'));
        if (type?.name !== 'ResponseEntity') continue;
        const args = node.childForFieldName('arguments')?.namedChildren ?? [];
        const status = statusOf(args[args.length - 1]);
        const bodyArg = args.length >= 2 ? args[0] : undefined;
        add(status, node, bodyArg && statusOf(bodyArg) === undefined ? valueSchema(bodyArg, scope) : undefined);
      } else if (node.type === 'throw_statement') {
        const created = node.namedChildren[0];
        if (created?.type === 'object_creation_expression') thrownBy(created, node, scope, out, add);
      }
    }
  }
  return out;
}

function thrownBy(created: SyntaxNode, at: SyntaxNode, scope: BodyScope, out: BodyAnalysis, add: (status: number | undefined, node: SyntaxNode, schema?: Schema, description?: string) => void): void {
  const type = parseType(created.childForFieldName('type'));
  if (!type) return;
  const args = created.childForFieldName('arguments')?.namedChildren ?? [];
  const message = args.map((a) => evalString(a, scope.cls, scope.file)).find((m) => m !== undefined && !m.includes('{{const:'));
  if (/^(ResponseStatusException|WebApplicationException|ClientErrorException|ServerErrorException|HttpClientErrorException|HttpServerErrorException|RedirectionException)$/.test(type.name)) {
    const status = args.map((a) => statusOf(a)).find((s) => s !== undefined);
    if (status !== undefined) add(status, at, undefined, message);
    // `new WebApplicationException(Response.status(404).build())`: the builder was read already.
    return;
  }
  out.thrown.push({ name: type.name, ...(message ? { message } : {}), evidence: evidenceOf(scope.file.path, at) });
}

interface Chain {
  /** The identifier the chain starts from (`ResponseEntity`), if it starts with one. */
  root?: string;
  /** Calls from the first to the last. */
  calls: { name: string; args: SyntaxNode[]; node: SyntaxNode }[];
}

function chainOf(node: SyntaxNode): Chain {
  const calls: Chain['calls'] = [];
  let cur: SyntaxNode | null = node;
  while (cur?.type === 'method_invocation') {
    calls.unshift({ name: cur.childForFieldName('name')?.text ?? '', args: cur.childForFieldName('arguments')?.namedChildren ?? [], node: cur });
    cur = cur.childForFieldName('object');
  }
  const root = cur?.type === 'identifier' ? cur.text : cur?.type === 'field_access' ? cur.childForFieldName('field')?.text : undefined;
  return { ...(root ? { root } : {}), calls };
}

const BUILDER_STATUS: Record<string, number> = {
  ok: 200,
  created: 201,
  accepted: 202,
  noContent: 204,
  notModified: 304,
  seeOther: 303,
  temporaryRedirect: 307,
  badRequest: 400,
  notFound: 404,
  unprocessableEntity: 422,
  serverError: 500,
  internalServerError: 500,
};

function readBuilder(chain: Chain, root: string, scope: BodyScope, add: (status: number | undefined, node: SyntaxNode, schema?: Schema) => void, node: SyntaxNode): void {
  let status: number | undefined;
  let schema: Schema | undefined;
  let also404 = false;
  for (const call of chain.calls) {
    if (call.name === 'status' && call.args.length >= 1) status = statusOf(call.args[0]) ?? status;
    else if (BUILDER_STATUS[call.name] !== undefined) {
      status = BUILDER_STATUS[call.name];
      if (call.name === 'ok' && call.args[0]) schema = valueSchema(call.args[0], scope) ?? schema;
    } else if ((call.name === 'of' || call.name === 'ofNullable') && root === 'ResponseEntity') {
      status = 200;
      also404 = true;
    } else if (call.name === 'body' || call.name === 'entity' || call.name === 'bodyValue') {
      if (call.args[0]) schema = valueSchema(call.args[0], scope) ?? schema;
    }
  }
  if (status === undefined) return;
  add(status, node, status === 204 || status >= 300 ? undefined : schema);
  if (also404) add(404, node);
}
