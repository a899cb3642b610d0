/**
 * The HTTP statuses Python handler code produces, read from the statements that produce them in
 * Flask, FastAPI/Starlette, Django and DRF: `abort(404)`, `return body, 201`,
 * `make_response(body, 404)`, `Response(data, status=status.HTTP_201_CREATED)`,
 * `JSONResponse(..., status_code=400)`, `raise HTTPException(status_code=404, detail=...)`,
 * `raise NotFound(...)` (werkzeug, DRF), `raise Http404`, `get_object_or_404(...)`,
 * `serializer.is_valid(raise_exception=True)`, `redirect(...)`, with the message when one is given.
 */
import type { SyntaxNode } from '../service/tree-sitter.js';
import { callArgs, callName, dottedName, lastName, ownDescendants, statusValue, stringValue } from './syntax.js';

export interface StatusUse {
  status: number;
  message?: string;
  /** The statement or call that produces it (evidence). */
  node: SyntaxNode;
  /** Source of the status: what a rule's effect names (`abort(404)`, `raise NotFound(...)`). */
  via: 'raise' | 'abort' | 'return' | 'call' | 'assign';
}

/** Exception classes with a fixed status (werkzeug, DRF, Django, Starlette). */
const EXCEPTION_STATUS: Record<string, number> = {
  BadRequest: 400, ParseError: 400, SuspiciousOperation: 400, ValidationError: 400, BadRequestKeyError: 400,
  Unauthorized: 401, NotAuthenticated: 401, AuthenticationFailed: 401,
  Forbidden: 403, PermissionDenied: 403,
  NotFound: 404, Http404: 404, ObjectDoesNotExist: 404,
  MethodNotAllowed: 405, NotAcceptable: 406, Conflict: 409, Gone: 410, PreconditionFailed: 412, RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415, UnprocessableEntity: 422, RequestValidationError: 422, TooManyRequests: 429, Throttled: 429,
  InternalServerError: 500, ServiceUnavailable: 503,
};

/** Response classes that carry their status in their name (Django). */
const RESPONSE_CLASS_STATUS: Record<string, number> = {
  HttpResponseBadRequest: 400, HttpResponseForbidden: 403, HttpResponseNotFound: 404, HttpResponseNotAllowed: 405, HttpResponseGone: 410,
  HttpResponseServerError: 500, HttpResponseRedirect: 302, HttpResponsePermanentRedirect: 301, HttpResponseNotModified: 304,
  RedirectResponse: 307, PlainTextResponse: 200,
};

/** Response constructors whose status is a keyword (`status=` or `status_code=`), or the second positional argument for `make_response`. */
const RESPONSE_CALLS = new Set(['Response', 'JsonResponse', 'HttpResponse', 'JSONResponse', 'ORJSONResponse', 'UJSONResponse', 'HTMLResponse', 'PlainTextResponse', 'StreamingResponse', 'FileResponse', 'RedirectResponse', 'make_response', 'jsonify', 'render', 'TemplateResponse']);

function messageOf(args: ReturnType<typeof callArgs>, from = 0): string | undefined {
  for (const k of ['detail', 'description', 'message', 'msg', 'error']) {
    const v = stringValue(args.keywords.get(k));
    if (v !== undefined) return v;
  }
  // `JSONResponse(status_code=403, content={'error': 'blocked'})`, `Response({'detail': ...}, status=...)`
  for (const k of ['content', 'data']) {
    const v = args.keywords.get(k);
    if (v?.type === 'dictionary') return dictMessage(v);
  }
  for (const p of args.positional.slice(from)) {
    const v = stringValue(p);
    if (v !== undefined) return v;
    if (p.type === 'dictionary') {
      // `{'error': 'message'}`
      for (const pair of p.namedChildren) {
        const value = stringValue(pair.childForFieldName('value'));
        if (value !== undefined) return value;
      }
    }
  }
  return undefined;
}

/** The status a call expression produces when evaluated or returned (a response or abort call). */
export function statusOfCall(call: SyntaxNode, via: StatusUse['via']): StatusUse | undefined {
  const name = callName(call);
  if (!name) return undefined;
  const last = lastName(name);
  const args = callArgs(call);
  if (last === 'abort') {
    const status = statusValue(args.positional[0] ?? args.keywords.get('code') ?? args.keywords.get('http_status_code'));
    if (status !== undefined) return { status, node: call, via: 'abort', ...withMessage(messageOf(args, 1)) };
    const inner = args.positional[0];
    if (inner?.type === 'call') {
      const r = statusOfCall(inner, 'abort');
      if (r) return { ...r, node: call, via: 'abort' };
    }
    return undefined;
  }
  if (RESPONSE_CLASS_STATUS[last] !== undefined) return { status: RESPONSE_CLASS_STATUS[last]!, node: call, via, ...withMessage(messageOf(args)) };
  if (last === 'redirect') return { status: 302, node: call, via };
  if (RESPONSE_CALLS.has(last)) {
    const explicit = args.keywords.get('status') ?? args.keywords.get('status_code');
    const positional = last === 'make_response' ? args.positional[1] : last === 'HttpResponse' || last === 'JsonResponse' ? undefined : last === 'Response' || last === 'JSONResponse' ? args.positional[1] : undefined;
    const status = statusValue(explicit ?? positional);
    if (status !== undefined) return { status, node: call, via, ...withMessage(messageOf(args)) };
    if (last === 'make_response' && args.positional[0]?.type === 'tuple') {
      const s = statusValue(args.positional[0].namedChild(1));
      if (s !== undefined) return { status: s, node: call, via };
    }
  }
  return undefined;
}

function withMessage(message: string | undefined): { message?: string } {
  return message !== undefined ? { message } : {};
}

/** The status a `raise` statement produces (HTTPException and the exception table above). */
export function statusOfRaise(stmt: SyntaxNode): StatusUse | undefined {
  // The first child is the exception; `from cause` comes after it.
  const value = stmt.namedChildren.find((c) => c.type !== 'comment');
  if (!value) return undefined;
  const call = value.type === 'call' ? value : undefined;
  const name = call ? callName(call) : dottedName(value);
  if (!name) return undefined;
  const last = lastName(name);
  const args = call ? callArgs(call) : { positional: [], keywords: new Map<string, SyntaxNode>(), splat: false };
  if (last === 'HTTPException' || last === 'HttpException' || last === 'StarletteHTTPException' || last === 'WebSocketException') {
    const status = statusValue(args.keywords.get('status_code') ?? args.keywords.get('code') ?? args.positional[0]);
    if (status === undefined) return undefined;
    return { status, node: stmt, via: 'raise', ...withMessage(stringValue(args.keywords.get('detail')) ?? stringValue(args.positional[1])) };
  }
  const fixed = EXCEPTION_STATUS[last];
  if (fixed !== undefined) {
    // `ValidationError` from pydantic or marshmallow inside a handler is still a 4xx once the framework catches it.
    return { status: fixed, node: stmt, via: 'raise', ...withMessage(messageOf(args)) };
  }
  return undefined;
}

/** The status a `return` statement produces: `return body, 201`, `return Response(..., status=...)`. */
export function statusOfReturn(stmt: SyntaxNode): StatusUse | undefined {
  const value = stmt.namedChildren.find((c) => c.type !== 'comment');
  if (!value) return undefined;
  if (value.type === 'expression_list' || value.type === 'tuple') {
    const status = statusValue(value.namedChild(1));
    if (status !== undefined) {
      const body = value.namedChild(0);
      const message = body?.type === 'call' ? messageOf(callArgs(body)) : stringValue(body) ?? (body?.type === 'dictionary' ? dictMessage(body) : undefined);
      return { status, node: stmt, via: 'return', ...withMessage(message) };
    }
    return undefined;
  }
  if (value.type === 'call') {
    const r = statusOfCall(value, 'return');
    return r ? { ...r, node: stmt } : undefined;
  }
  return undefined;
}

function dictMessage(dict: SyntaxNode): string | undefined {
  for (const pair of dict.namedChildren) {
    const v = stringValue(pair.childForFieldName('value'));
    if (v !== undefined) return v;
  }
  return undefined;
}

/** The status one statement produces directly (raise, return, a bare `abort(...)` call), if any. */
export function statusOfStatement(stmt: SyntaxNode): StatusUse | undefined {
  if (stmt.type === 'raise_statement') return statusOfRaise(stmt);
  if (stmt.type === 'return_statement') return statusOfReturn(stmt);
  if (stmt.type === 'expression_statement') {
    const e = stmt.namedChild(0);
    if (e?.type === 'call') {
      const r = statusOfCall(e, 'call');
      if (r && (r.via === 'abort' || lastName(callName(e) ?? '') === 'abort')) return { ...r, node: stmt };
    }
  }
  return undefined;
}

/** Every status a function body produces (not nested functions), in source order. */
export function statusesIn(body: SyntaxNode): StatusUse[] {
  const out: StatusUse[] = [];
  for (const n of ownDescendants(body, ['raise_statement', 'return_statement', 'call', 'assignment'])) {
    if (n.type === 'raise_statement') {
      const r = statusOfRaise(n);
      if (r) out.push(r);
    } else if (n.type === 'return_statement') {
      const r = statusOfReturn(n);
      if (r) out.push(r);
    } else if (n.type === 'assignment') {
      // `response.status_code = 201`
      const left = n.childForFieldName('left');
      if (left?.type === 'attribute' && /^(status_code|status)$/.test(left.childForFieldName('attribute')?.text ?? '')) {
        const status = statusValue(n.childForFieldName('right'));
        if (status !== undefined) out.push({ status, node: n, via: 'assign' });
      }
    } else {
      const name = callName(n) ?? '';
      const last = lastName(name);
      if (/^(get_object_or_404|get_list_or_404|get_or_404|first_or_404|one_or_404)$/.test(last)) {
        out.push({ status: 404, node: n, via: 'call' });
        continue;
      }
      if (last === 'is_valid' && callArgs(n).keywords.has('raise_exception')) {
        out.push({ status: 400, node: n, via: 'call' });
        continue;
      }
      // Calls that are returned were handled by the return statement.
      if (n.parent?.type === 'return_statement' || n.parent?.type === 'raise_statement') continue;
      if (last === 'abort') {
        const r = statusOfCall(n, 'abort');
        if (r) out.push(r);
      } else if (RESPONSE_CLASS_STATUS[last] !== undefined || RESPONSE_CALLS.has(last)) {
        // `resp = JsonResponse(..., status=400)` then `return resp`.
        const r = statusOfCall(n, 'call');
        if (r && r.status !== 200) out.push(r);
      }
    }
  }
  return out;
}
