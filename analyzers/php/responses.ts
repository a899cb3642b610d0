/**
 * What a PHP handler answers, read from the code that produces it: `abort(404)`,
 * `abort_if(...)`, `response()->json($x, 201)`, `response()->noContent()`, `new JsonResponse`,
 * `->setStatusCode()`, thrown HTTP exceptions (`ModelNotFoundException` → 404), `findOrFail`
 * (→ 404), `$this->authorize()` (→ 403), `redirect()` (→ 302), `view()` (a page), plain PHP's
 * `http_response_code(404)` and `header('HTTP/1.1 404 Not Found')`, and helpers called with a
 * literal status (`$this->respond($data, 201)`). Bodies are described when they are literal
 * arrays (`['message' => ...]` → an object with those keys) or API Resources.
 */
import type { Schema } from '../service/schema.js';
import { arrayOf, typeRef } from '../service/schema.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import { argsOf, arrayEntries, calleeName, classNameOf, intValue, numberValue, stringValue } from './syntax.js';

/** Symfony `Response::HTTP_*` constants (Laravel code uses them through `Response` and `JsonResponse`). */
const HTTP_CONSTANTS: Record<string, number> = {
  HTTP_CONTINUE: 100,
  HTTP_OK: 200,
  HTTP_CREATED: 201,
  HTTP_ACCEPTED: 202,
  HTTP_NO_CONTENT: 204,
  HTTP_PARTIAL_CONTENT: 206,
  HTTP_MOVED_PERMANENTLY: 301,
  HTTP_FOUND: 302,
  HTTP_SEE_OTHER: 303,
  HTTP_NOT_MODIFIED: 304,
  HTTP_TEMPORARY_REDIRECT: 307,
  HTTP_BAD_REQUEST: 400,
  HTTP_UNAUTHORIZED: 401,
  HTTP_PAYMENT_REQUIRED: 402,
  HTTP_FORBIDDEN: 403,
  HTTP_NOT_FOUND: 404,
  HTTP_METHOD_NOT_ALLOWED: 405,
  HTTP_NOT_ACCEPTABLE: 406,
  HTTP_REQUEST_TIMEOUT: 408,
  HTTP_CONFLICT: 409,
  HTTP_GONE: 410,
  HTTP_PRECONDITION_FAILED: 412,
  HTTP_REQUEST_ENTITY_TOO_LARGE: 413,
  HTTP_UNSUPPORTED_MEDIA_TYPE: 415,
  HTTP_UNPROCESSABLE_ENTITY: 422,
  HTTP_UNPROCESSABLE_CONTENT: 422,
  HTTP_LOCKED: 423,
  HTTP_TOO_MANY_REQUESTS: 429,
  HTTP_INTERNAL_SERVER_ERROR: 500,
  HTTP_NOT_IMPLEMENTED: 501,
  HTTP_BAD_GATEWAY: 502,
  HTTP_SERVICE_UNAVAILABLE: 503,
};

/** Exceptions Laravel's handler renders with a fixed status. */
const EXCEPTION_STATUS: Record<string, number> = {
  ModelNotFoundException: 404,
  RecordsNotFoundException: 404,
  NotFoundHttpException: 404,
  AuthorizationException: 403,
  AccessDeniedHttpException: 403,
  AuthenticationException: 401,
  UnauthorizedHttpException: 401,
  UnauthorizedException: 401,
  ValidationException: 422,
  UnprocessableEntityHttpException: 422,
  BadRequestHttpException: 400,
  ConflictHttpException: 409,
  GoneHttpException: 410,
  MethodNotAllowedHttpException: 405,
  NotAcceptableHttpException: 406,
  PreconditionFailedHttpException: 412,
  LockedHttpException: 423,
  TooManyRequestsHttpException: 429,
  ThrottleRequestsException: 429,
  UnsupportedMediaTypeHttpException: 415,
  ServiceUnavailableHttpException: 503,
};

/** A status code literal (`404`, `Response::HTTP_NOT_FOUND`), 100-599 only. */
export function statusValue(node: SyntaxNode | null | undefined): number | undefined {
  if (!node) return undefined;
  const n = intValue(node);
  if (n !== undefined) return n >= 100 && n <= 599 ? n : undefined;
  if (node.type === 'class_constant_access_expression') {
    const c = HTTP_CONSTANTS[node.namedChildren[1]?.text ?? ''];
    if (c) return c;
  }
  return undefined;
}

export interface ResponseAt {
  status: number;
  message?: string;
  schema?: Schema;
  /** The answer is a rendered page or a redirect rather than data. */
  page?: 'view' | 'redirect';
  /** For `abort_if`/`abort_unless`/`throw_if`: the guarding condition and whether it is negated. */
  guard?: { condition: SyntaxNode; negated: boolean };
  /** Thrown, rather than returned. */
  exception?: string;
}

const STATUS_HELPER = /respon|json|error|success|fail|send|status|reply|created|abort|result|message|ok$/i;
const RENDER_FUNCTIONS = new Set(['view', 'inertia']);
const REDIRECT_FUNCTIONS = new Set(['redirect', 'back', 'to_route', 'to_action']);

/** The response this node produces, if it is one of the idioms above. */
export function responseAt(node: SyntaxNode): ResponseAt | undefined {
  switch (node.type) {
    case 'function_call_expression':
      return functionResponse(node);
    case 'member_call_expression':
    case 'nullsafe_member_call_expression':
    case 'scoped_call_expression':
      return methodResponse(node);
    case 'object_creation_expression':
      return creationResponse(node);
    case 'throw_expression': {
      const created = node.namedChildren[0];
      // Symfony's AbstractController: `throw $this->createNotFoundException('...')`.
      if (created?.type === 'member_call_expression') {
        const name = calleeName(created);
        const status = name === 'createNotFoundException' ? 404 : name === 'createAccessDeniedException' ? 403 : undefined;
        return status ? { status, ...msg(argsOf(created)[0]?.value), exception: status === 404 ? 'NotFoundHttpException' : 'AccessDeniedException' } : undefined;
      }
      if (created?.type !== 'object_creation_expression') return undefined;
      return thrown(created);
    }
    default:
      return undefined;
  }
}

function functionResponse(node: SyntaxNode): ResponseAt | undefined {
  const name = calleeName(node)?.toLowerCase();
  if (!name) return undefined;
  const args = argsOf(node);
  switch (name) {
    case 'abort': {
      const status = statusValue(args[0]?.value);
      if (status) return { status, ...msg(args[1]?.value) };
      // abort(response()->json(..., 403))
      const inner = args[0] ? responseAt(args[0].value) : undefined;
      return inner;
    }
    case 'abort_if':
    case 'abort_unless': {
      const status = statusValue(args[1]?.value);
      if (!status || !args[0]) return undefined;
      return { status, ...msg(args[2]?.value), guard: { condition: args[0].value, negated: name === 'abort_unless' } };
    }
    case 'throw_if':
    case 'throw_unless': {
      const ex = args[1]?.value;
      if (!args[0] || !ex) return undefined;
      const t = ex.type === 'object_creation_expression' ? thrown(ex) : undefined;
      const cls = classNameOf(ex)?.split('\\').pop();
      const status = t?.status ?? (cls ? EXCEPTION_STATUS[cls] : undefined) ?? 500;
      return { status, ...(t?.message ? { message: t.message } : msg(args[2]?.value)), exception: t?.exception ?? cls ?? 'Exception', guard: { condition: args[0].value, negated: name === 'throw_unless' } };
    }
    case 'response': {
      if (args.length === 0) return undefined;
      if (isReceiverOfChain(node)) return undefined;
      return { status: statusValue(args[1]?.value) ?? 200, ...bodySchema(args[0]?.value) };
    }
    case 'http_response_code': {
      const status = statusValue(args[0]?.value);
      return status ? { status } : undefined;
    }
    case 'header': {
      const text = stringValue(args[0]?.value);
      const explicit = statusValue(args[2]?.value);
      if (explicit) return { status: explicit };
      if (text === undefined) return undefined;
      const m = /^HTTP\/[\d.]+\s+(\d{3})\s*(.*)$/i.exec(text.trim());
      if (m) return { status: Number(m[1]), ...(m[2] ? { message: m[2] } : {}) };
      if (/^location\s*:/i.test(text)) return { status: 302, page: 'redirect' };
      return undefined;
    }
    default:
      if (RENDER_FUNCTIONS.has(name) && args.length > 0 && !isReceiverOfChain(node)) return { status: 200, page: 'view' };
      if (REDIRECT_FUNCTIONS.has(name)) return isReceiverOfChain(node) && name === 'redirect' ? undefined : { status: 302, page: 'redirect' };
      return helperStatus(node, name, args);
  }
}

function methodResponse(node: SyntaxNode): ResponseAt | undefined {
  const name = calleeName(node);
  if (!name) return undefined;
  const args = argsOf(node);
  const object = node.childForFieldName('object') ?? node.childForFieldName('scope');
  const fromResponse = object?.type === 'function_call_expression' && calleeName(object) === 'response';
  const scope = node.type === 'scoped_call_expression' ? object?.text.replace(/^\\/, '').split('\\').pop() : undefined;
  // A status set later in the chain wins: `response()->json($x)->setStatusCode(201)`.
  if (isStatusSetter(name)) {
    const status = statusValue(args[0]?.value);
    return status ? { status } : undefined;
  }
  if (isReceiverOfStatusSetter(node)) return undefined;
  if (fromResponse || scope === 'Response') {
    switch (name) {
      case 'json':
      case 'make':
        return { status: statusValue(args[1]?.value) ?? 200, ...bodySchema(args[0]?.value) };
      case 'noContent':
        return { status: statusValue(args[0]?.value) ?? 204 };
      case 'download':
      case 'file':
      case 'streamDownload':
      case 'stream':
        return { status: 200, schema: { type: 'string', format: 'binary' } as Schema };
      case 'view':
        return { status: statusValue(args[2]?.value) ?? 200, page: 'view' };
      case 'redirectTo':
      case 'redirectToRoute':
      case 'redirectToAction':
        return { status: 302, page: 'redirect' };
    }
  }
  if (scope === 'View' && name === 'make') return { status: 200, page: 'view' };
  // Template engines (Slim's PhpRenderer, Twig, Plates): `->render($response, 'index.phtml')`.
  if ((name === 'render' || name === 'fetch') && args.some((a) => /\.(phtml|twig|html?|php|tpl|latte)$/.test(stringValue(a.value) ?? ''))) return { status: 200, page: 'view' };
  if (scope === 'Inertia' && name === 'render') return { status: 200, page: 'view' };
  if (scope === 'Redirect') return { status: 302, page: 'redirect' };
  if (/^(find|first|sole)OrFail$|^sole$/.test(name)) return { status: 404, message: 'not found' };
  if (name === 'authorize' && (object?.text === '$this' || scope === 'Gate')) return { status: 403, message: 'This action is unauthorized.' };
  if (name === 'withJson' && args.length > 0) return { status: statusValue(args[1]?.value) ?? 200, ...bodySchema(args[0]?.value) };
  // Redirect responses built from redirect(): `redirect()->route('x')`, `->back()`.
  if (object?.type === 'function_call_expression' && REDIRECT_FUNCTIONS.has(calleeName(object) ?? '') && !isReceiverOfChain(node)) return { status: 302, page: 'redirect' };
  return helperStatus(node, name, args);
}

function creationResponse(node: SyntaxNode): ResponseAt | undefined {
  if (node.parent?.type === 'throw_expression') return undefined;
  const cls = classNameOf(node.namedChildren.find((c) => c.type === 'name' || c.type === 'qualified_name'))?.split('\\').pop();
  const args = argsOf(node);
  if (cls === 'JsonResponse' || cls === 'Response') {
    if (isReceiverOfStatusSetter(node)) return undefined;
    return { status: statusValue(args[1]?.value) ?? 200, ...bodySchema(args[0]?.value) };
  }
  if (cls === 'RedirectResponse') return { status: 302, page: 'redirect' };
  return undefined;
}

function thrown(created: SyntaxNode): ResponseAt | undefined {
  const cls = classNameOf(created.namedChildren.find((c) => c.type === 'name' || c.type === 'qualified_name'))?.split('\\').pop();
  if (!cls) return undefined;
  const args = argsOf(created);
  if (cls === 'HttpException') {
    const status = statusValue(args[0]?.value);
    return status ? { status, ...msg(args[1]?.value), exception: cls } : undefined;
  }
  if (cls === 'HttpResponseException') {
    const inner = args[0] ? responseAt(args[0].value) : undefined;
    return inner ? { ...inner, exception: cls } : undefined;
  }
  const status = EXCEPTION_STATUS[cls];
  if (status) return { status, ...msg(args[0]?.value), exception: cls };
  if (/Exception$|Error$/.test(cls)) return { status: 500, ...msg(args[0]?.value), exception: cls };
  return undefined;
}

/** `$this->respondError('x', 404)`, `ApiResponse::error($e, 422)`: a helper given a literal status. */
function helperStatus(node: SyntaxNode, name: string, args: ReturnType<typeof argsOf>): ResponseAt | undefined {
  if (!STATUS_HELPER.test(name)) return undefined;
  for (const [i, a] of args.entries()) {
    if (a.name && !/status|code/i.test(a.name)) continue;
    const status = statusValue(a.value);
    if (status === undefined || a.value.type !== 'integer' && a.value.type !== 'class_constant_access_expression') continue;
    // `->limit(200)`-like numbers are not statuses: the helper's name said it responds.
    const message = args.slice(0, i).map((b) => stringValue(b.value)).find((s) => s !== undefined);
    const body = i > 0 ? bodySchema(args[0]!.value) : {};
    return { status, ...(message ? { message } : {}), ...body };
  }
  return undefined;
}

function isStatusSetter(name: string): boolean {
  return name === 'setStatusCode' || name === 'withStatus' || name === 'setStatus';
}

function isReceiverOfStatusSetter(node: SyntaxNode): boolean {
  for (let p = node.parent; p && (p.type === 'member_call_expression' || p.type === 'nullsafe_member_call_expression'); p = p.parent) {
    const name = calleeName(p);
    if (name && isStatusSetter(name) && statusValue(argsOf(p)[0]?.value)) return true;
  }
  return false;
}

function isReceiverOfChain(node: SyntaxNode): boolean {
  const p = node.parent;
  return !!p && (p.type === 'member_call_expression' || p.type === 'nullsafe_member_call_expression') && p.childForFieldName('object')?.id === node.id;
}

function msg(node: SyntaxNode | undefined): { message?: string } {
  const s = stringValue(node);
  return s !== undefined && s !== '' ? { message: s } : {};
}

function bodySchema(node: SyntaxNode | undefined): { schema?: Schema; message?: string } {
  if (!node) return {};
  const schema = valueSchema(node, false);
  const message = messageOf(node);
  return { ...(schema ? { schema } : {}), ...(message ? { message } : {}) };
}

/** `['message' => 'Not found']` or `['error' => '...']` literal message of a response body. */
function messageOf(node: SyntaxNode): string | undefined {
  const entries = arrayEntries(node);
  if (!entries) return stringValue(node);
  for (const e of entries) {
    const k = stringValue(e.key);
    if (k && /^(message|error|msg|detail|errors)$/i.test(k)) {
      const v = stringValue(e.value) ?? messageOf(e.value);
      if (v) return v;
    }
  }
  return undefined;
}

/**
 * The schema of a literal value: arrays with string keys are objects, lists are arrays, API
 * Resources (`new UserResource($u)`, `UserResource::collection($us)`) refer to their type. `wrap`
 * adds JsonResource's default `data` wrapper (a resource returned directly, not nested).
 */
export function valueSchema(node: SyntaxNode, wrapped = true): Schema | undefined {
  switch (node.type) {
    case 'string':
    case 'encapsed_string':
    case 'heredoc':
    case 'nowdoc':
      return { type: 'string' } as Schema;
    case 'integer':
      return { type: 'integer' } as Schema;
    case 'float':
      return { type: 'number' } as Schema;
    case 'boolean':
      return { type: 'boolean' } as Schema;
    case 'null':
      return { type: 'null' } as Schema;
    case 'array_creation_expression': {
      const entries = arrayEntries(node) ?? [];
      if (entries.length === 0) return { type: 'array' } as Schema;
      if (entries.every((e) => e.key && stringValue(e.key) !== undefined)) {
        const properties: Record<string, Schema> = {};
        for (const e of entries) properties[stringValue(e.key)!] = valueSchema(e.value, false) ?? ({} as Schema);
        return { type: 'object', properties } as Schema;
      }
      if (entries.every((e) => !e.key)) {
        const first = valueSchema(entries[0]!.value, false);
        return arrayOf(first ?? ({} as Schema));
      }
      return { type: 'object' } as Schema;
    }
    case 'object_creation_expression': {
      const cls = classNameOf(node.namedChildren.find((c) => c.type === 'name' || c.type === 'qualified_name'))?.split('\\').pop();
      if (cls && /Resource$/.test(cls) && cls !== 'JsonResource') return wrapData(typeRef(cls), wrapped);
      return undefined;
    }
    case 'scoped_call_expression': {
      const cls = node.childForFieldName('scope')?.text.split('\\').pop();
      const name = calleeName(node);
      if (cls && /Resource$/.test(cls) && cls !== 'JsonResource') {
        if (name === 'collection') return wrapData(arrayOf(typeRef(cls)), wrapped);
        if (name === 'make') return wrapData(typeRef(cls), wrapped);
      }
      return undefined;
    }
    case 'cast_expression': {
      const t = node.namedChildren[0]?.text.toLowerCase();
      return t === 'int' || t === 'integer' ? ({ type: 'integer' } as Schema) : t === 'string' ? ({ type: 'string' } as Schema) : t === 'bool' || t === 'boolean' ? ({ type: 'boolean' } as Schema) : t === 'float' ? ({ type: 'number' } as Schema) : undefined;
    }
    default:
      if (numberValue(node) !== undefined) return { type: 'number' } as Schema;
      return undefined;
  }
}

function wrapData(schema: Schema, wrapped: boolean): Schema {
  return wrapped ? ({ type: 'object', properties: { data: schema } } as Schema) : schema;
}
