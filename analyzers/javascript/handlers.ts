/**
 * What a handler function does with the request and the response, framework by framework but
 * through one model: the member paths read on each parameter (`req.query.page`, a destructured
 * `const { page, limit } = req.query`, `ctx.request.body.email`, `req.get('X-Token')`,
 * `'author' in query` inside a helper it passed `req.query` to), the calls that hand the request
 * to a function of another file (resolved by `cross-file.ts`), the statuses it answers
 * (`res.status(404).json(…)`, `res.sendStatus(204)`, `reply.code(201)`, `ctx.status = 201`,
 * `ctx.throw(400)`, `next(createError(404))`, `throw new NotFoundError()`), the payload schemas it
 * sends when they are typed or literal, and the request parts its parameter types declare
 * (`Request<Params, ResBody, ReqBody, Query>`, `FastifyRequest<{ Body; Querystring }>`).
 * `requestInputs` turns read paths into OpenAPI parameters and body fields.
 */
import type { ParamFact, ResponseFact, SymbolRef } from '../service/facts.js';
import { refName, type Schema } from '../service/schema.js';
import { descendants, evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { isPlainObject, Opaque, type Evaluator } from './evaluate.js';
import type { DeclaredRequest, Forward, FunctionSummary } from './facts.js';
import { patternNames, type Binding, type Scope } from './scope.js';
import { argumentsOf, assertedType, callParts, enclosingClass, functionBody, isFunction, memberPath, numberValue, parameterPattern, parametersOf, parameterType, propertyKey, stringValue, typeOfAnnotation, unwrap } from './syntax.js';
import { typeSchema } from './types.js';
import type { Validators } from './validators.js';

/** What the analyzer knows beyond the summary: success payloads by the way they were sent, and validators applied to request parts. */
export interface HandlerDetails extends FunctionSummary {
  /** Schemas of `res.json(x)`/`res.send(x)` without a status, `ctx.body = x`. */
  sent: Schema[];
  /** Schemas of `return x` (Fastify and NestJS handlers answer with the returned value). */
  returned: Schema[];
  /** Request part (`body`, `query`) → schema a validator applied to it declares. */
  validated: Record<string, Schema>;
  /** Rule ids of validators applied inside the handler. */
  validatorRuleIds: string[];
  /** Path → schema hint (`parseInt(req.query.page)` → integer, `{ page = 1 }` → default). */
  hints: Record<string, Schema>;
}

const REASONS: Record<string, number> = {
  OK: 200, CREATED: 201, ACCEPTED: 202, NO_CONTENT: 204, MOVED_PERMANENTLY: 301, FOUND: 302, MOVED_TEMPORARILY: 302, SEE_OTHER: 303, NOT_MODIFIED: 304, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308,
  BAD_REQUEST: 400, UNAUTHORIZED: 401, PAYMENT_REQUIRED: 402, FORBIDDEN: 403, NOT_FOUND: 404, METHOD_NOT_ALLOWED: 405, NOT_ACCEPTABLE: 406, REQUEST_TIMEOUT: 408, CONFLICT: 409, GONE: 410,
  PRECONDITION_FAILED: 412, PAYLOAD_TOO_LARGE: 413, REQUEST_TOO_LONG: 413, UNSUPPORTED_MEDIA_TYPE: 415, UNPROCESSABLE_ENTITY: 422, UNPROCESSABLE_CONTENT: 422, LOCKED: 423, TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500, NOT_IMPLEMENTED: 501, BAD_GATEWAY: 502, SERVICE_UNAVAILABLE: 503, GATEWAY_TIMEOUT: 504,
};

/** Error class / factory names that carry their status (`NotFoundError`, `createError.NotFound`, `httpErrors.notFound`, `BadRequestException`). */
const ERROR_NAMES: [RegExp, number][] = [
  [/^badrequest/i, 400],
  [/^(validation|invalid)/i, 400],
  [/^(unauthori[sz]ed|unauthenticated|authentication)/i, 401],
  [/^(forbidden|permission|accessdenied|authorization)/i, 403],
  [/^notfound/i, 404],
  [/^methodnotallowed/i, 405],
  [/^notacceptable/i, 406],
  [/^conflict|^alreadyexists|^duplicate/i, 409],
  [/^gone/i, 410],
  [/^preconditionfailed/i, 412],
  [/^payloadtoolarge/i, 413],
  [/^unsupportedmediatype/i, 415],
  [/^unprocessable/i, 422],
  [/^toomanyrequests/i, 429],
  [/^(internal(server)?error|internal$)/i, 500],
  [/^notimplemented/i, 501],
  [/^serviceunavailable/i, 503],
];

/** A status from a name like `NotFoundError`, `NotFoundException`, `notFound`, `NOT_FOUND`. */
export function statusOfName(name: string): number | undefined {
  if (REASONS[name] !== undefined) return REASONS[name];
  const bare = name.replace(/(Error|Exception|Http|Problem)$/g, '').replace(/^Http/, '');
  for (const [re, status] of ERROR_NAMES) if (re.test(bare) || re.test(name)) return status;
  return undefined;
}

export interface HandlerAnalyzer {
  summarize(fn: SyntaxNode): HandlerDetails;
  /** The function an expression designates in this file (an inline function, a local function, an object method, a class method via `this`). */
  localFunction(expr: SyntaxNode | null | undefined): SyntaxNode | undefined;
  /** Where a called function lives when it is in another file: `import`ed function, member of an import, method of an imported class instance. */
  calleeRef(callee: SyntaxNode | null | undefined): SymbolRef | undefined;
  /** The HTTP status an expression evaluates to (`404`, `StatusCodes.NOT_FOUND`, `HttpStatus.CREATED`). */
  statusOf(expr: SyntaxNode | null | undefined): number | undefined;
  /** The status an error expression carries (`createError(404)`, `new NotFoundError()`, `Boom.notFound()`), and its message. */
  errorStatus(expr: SyntaxNode | null | undefined): { status: number; message?: string } | undefined;
  /** A schema for a sent payload: asserted or declared types, literals. */
  payloadSchema(expr: SyntaxNode | null | undefined): Schema | undefined;
}

export function createHandlerAnalyzer(deps: { scope: Scope; evaluator: Evaluator; validators: Validators; path: string }): HandlerAnalyzer {
  const { scope, evaluator, validators, path } = deps;
  const cache = new Map<number, HandlerDetails>();

  const localFunction = (expr: SyntaxNode | null | undefined, depth = 0): SyntaxNode | undefined => {
    const n = unwrap(expr);
    if (!n || depth > 6) return undefined;
    if (isFunction(n)) return n;
    if (n.type === 'identifier') {
      const b = scope.lookup(n.text, n);
      if (b?.kind === 'function') return b.node;
      if (b?.kind === 'value' && b.value) return localFunction(b.value, depth + 1);
      return undefined;
    }
    if (n.type === 'member_expression') {
      const prop = n.childForFieldName('property')?.text;
      const obj = unwrap(n.childForFieldName('object'));
      if (prop === 'bind' || prop === 'call') return localFunction(obj, depth + 1);
      if (obj?.type === 'this' && prop) return classMethod(enclosingClass(n), prop);
      const v = evaluator.value(n);
      if (v instanceof Opaque && isFunction(v.node)) return v.node;
      // `controller.list` where `const controller = new Controller()` of a class in this file.
      if (obj && prop) {
        const cls = instanceClass(obj);
        if (cls && 'node' in cls) return classMethod(cls.node, prop);
      }
      return undefined;
    }
    if (n.type === 'call_expression') {
      const parts = callParts(n);
      // `fn.bind(this)`
      if (parts?.name === 'bind' && parts.object) return localFunction(parts.object, depth + 1);
    }
    return undefined;
  };

  const classMethod = (cls: SyntaxNode | null | undefined, name: string): SyntaxNode | undefined => {
    const body = cls?.childForFieldName('body');
    for (const m of body?.namedChildren ?? []) {
      if (m.type === 'method_definition' && propertyKey(m.childForFieldName('name')) === name) return m;
      if ((m.type === 'public_field_definition' || m.type === 'field_definition') && propertyKey(m.childForFieldName('name') ?? m.childForFieldName('property')) === name) {
        const v = unwrap(m.childForFieldName('value'));
        if (isFunction(v)) return v!;
      }
    }
    return undefined;
  };

  /** The class of `new C()` an expression holds: a local class node, or an imported class name. */
  const instanceClass = (obj: SyntaxNode, depth = 0): { node: SyntaxNode } | { ref: SymbolRef } | undefined => {
    const n = unwrap(obj);
    if (!n || depth > 4) return undefined;
    if (n.type === 'new_expression') {
      const ctor = n.childForFieldName('constructor');
      if (ctor?.type === 'identifier') {
        const b = scope.lookup(ctor.text, ctor);
        if (b?.kind === 'class') return { node: b.node };
        const ref = scope.refOf(ctor);
        if (ref) return { ref };
      }
      return undefined;
    }
    if (n.type === 'identifier') {
      const b = scope.lookup(n.text, n);
      if (b?.kind === 'value' && b.value) return instanceClass(b.value, depth + 1);
      if (b?.kind === 'param') {
        // A constructor-injected dependency typed with an imported class: `constructor(private users: UsersService)`.
        const t = parameterType(parametersOf(b.fn)[b.index]!);
        if (t?.type === 'type_identifier') {
          const ref = scope.refOf(t);
          if (ref) return { ref };
        }
      }
      return undefined;
    }
    if (n.type === 'member_expression' && unwrap(n.childForFieldName('object'))?.type === 'this') {
      const prop = n.childForFieldName('property')?.text;
      const cls = enclosingClass(n);
      if (!prop || !cls) return undefined;
      for (const m of cls.childForFieldName('body')?.namedChildren ?? []) {
        if ((m.type === 'public_field_definition' || m.type === 'field_definition') && propertyKey(m.childForFieldName('name') ?? m.childForFieldName('property')) === prop) {
          const v = m.childForFieldName('value');
          if (v) return instanceClass(v, depth + 1);
          const t = typeOfAnnotation(m.childForFieldName('type'));
          if (t?.type === 'type_identifier') {
            const ref = scope.refOf(t);
            if (ref) return { ref };
          }
        }
        // `constructor(private readonly users: UsersService)`
        if (m.type === 'method_definition' && propertyKey(m.childForFieldName('name')) === 'constructor') {
          for (const p of parametersOf(m)) {
            if (p.type === 'required_parameter' && parameterPattern(p).text === prop) {
              const t = parameterType(p);
              const ref = t?.type === 'type_identifier' ? scope.refOf(t) : undefined;
              if (ref) return { ref };
            }
          }
        }
      }
    }
    return undefined;
  };

  const calleeRef = (callee: SyntaxNode | null | undefined): SymbolRef | undefined => {
    const n = unwrap(callee);
    if (!n) return undefined;
    const direct = scope.refOf(n);
    if (direct) return direct;
    if (n.type === 'member_expression') {
      const prop = n.childForFieldName('property')?.text;
      const obj = n.childForFieldName('object');
      if (prop === 'bind' || prop === 'call' || prop === 'apply') return calleeRef(obj);
      const cls = obj ? instanceClass(obj) : undefined;
      if (cls && 'ref' in cls && prop) return { module: cls.ref.module, name: `${cls.ref.name}.${prop}` } as SymbolRef;
    }
    if (n.type === 'call_expression') {
      const parts = callParts(n);
      if (parts?.name === 'bind' && parts.object) return calleeRef(parts.object);
    }
    return undefined;
  };

  const statusOf = (expr: SyntaxNode | null | undefined): number | undefined => {
    const n = unwrap(expr);
    if (!n) return undefined;
    const num = numberValue(n);
    if (num !== undefined) return validStatus(num);
    const p = memberPath(n);
    const last = p?.[p.length - 1];
    if (last && REASONS[last] !== undefined && p!.length > 1) return REASONS[last];
    const v = evaluator.value(n);
    if (typeof v === 'number') return validStatus(v);
    return undefined;
  };

  const errorStatus = (expr: SyntaxNode | null | undefined): { status: number; message?: string } | undefined => {
    const n = unwrap(expr);
    if (!n) return undefined;
    if (n.type === 'identifier') {
      // `const err = new HttpError(404, '…'); next(err)`, or `err.status = 404` set on it before.
      const b = scope.lookup(n.text, n);
      if (b?.kind !== 'value' || !b.value) return undefined;
      const within = b.node.parent?.parent ?? scope.root;
      for (const a of descendants(within, 'assignment_expression')) {
        const left = memberPath(a.childForFieldName('left'));
        if (left?.length === 2 && left[0] === n.text && /^(status|statusCode)$/.test(left[1]!)) {
          const s = statusOf(a.childForFieldName('right'));
          const base = errorStatus(b.value);
          const message = base?.message ?? stringValue(argumentsOf(unwrap(b.value)!)[0]);
          if (s !== undefined) return { status: s, ...(message !== undefined ? { message } : {}) };
        }
      }
      if (unwrap(b.value)?.type === 'new_expression' || unwrap(b.value)?.type === 'call_expression') return errorStatus(b.value);
      return undefined;
    }
    if (n.type === 'object') {
      // `throw { status: 404, message: '…' }`
      const v = evaluator.value(n);
      if (isPlainObject(v)) {
        const s = typeof v.status === 'number' ? v.status : typeof v.statusCode === 'number' ? v.statusCode : undefined;
        if (s !== undefined && validStatus(s)) return { status: s, ...(typeof v.message === 'string' ? { message: v.message } : {}) };
      }
      return undefined;
    }
    if (n.type !== 'call_expression' && n.type !== 'new_expression') return undefined;
    const fn = unwrap(n.childForFieldName(n.type === 'new_expression' ? 'constructor' : 'function'));
    const path = memberPath(fn) ?? [];
    const name = path[path.length - 1] ?? '';
    const args = argumentsOf(n);
    const messageOf = (skip: number): string | undefined => {
      for (const a of args.slice(skip)) {
        const s = stringValue(a) ?? (unwrap(a)?.type === 'template_string' ? unwrap(a)!.text.slice(1, -1) : undefined);
        if (s !== undefined) return s;
        const v = evaluator.value(a);
        if (isPlainObject(v) && typeof v.message === 'string') return v.message;
      }
      return undefined;
    };
    // createError(404, 'msg'), new HttpError(404, 'msg'), new HttpException('msg', 404), new AppError('msg', 404)
    const numeric = args.map((a, i) => ({ i, s: statusOf(a) })).find((x) => x.s !== undefined && x.s >= 400);
    const errorLike = /error|exception|problem|fail|http|boom/i.test(name) || /^createError$|^httpError$|^HttpErrors?$/.test(name);
    if (numeric && errorLike) return { status: numeric.s!, ...(messageOf(0) !== undefined ? { message: messageOf(0) } : {}) };
    // createError.NotFound('msg'), httpErrors.notFound(), Boom.badRequest(), new NotFoundError('msg'), new NotFoundException()
    const byName = statusOfName(name.charAt(0).toUpperCase() + name.slice(1));
    const base = path.slice(0, -1).join('.').toLowerCase();
    if (byName !== undefined && (n.type === 'new_expression' || /error|boom|http|exception/.test(base) || /Error$|Exception$/.test(name))) {
      return { status: byName, ...(messageOf(0) !== undefined ? { message: messageOf(0) } : {}) };
    }
    return undefined;
  };

  const payloadSchema = (expr: SyntaxNode | null | undefined, depth = 0): Schema | undefined => {
    if (!expr || depth > 4) return undefined;
    const asserted = assertedType(expr);
    if (asserted) return typeSchema(asserted);
    const n = unwrap(expr);
    if (!n) return undefined;
    switch (n.type) {
      case 'object': {
        const properties: Record<string, Schema> = {};
        for (const c of n.namedChildren) {
          if (c.type === 'pair') {
            const k = propertyKey(c.childForFieldName('key'));
            if (k !== undefined) properties[k] = payloadSchema(c.childForFieldName('value'), depth + 1) ?? {};
          } else if (c.type === 'shorthand_property_identifier') properties[c.text] = payloadSchema(c, depth + 1) ?? {};
        }
        return { type: 'object', properties } as Schema;
      }
      case 'array':
        return { type: 'array', items: payloadSchema(n.namedChildren[0], depth + 1) ?? {} } as Schema;
      case 'string':
      case 'template_string':
        return { type: 'string' };
      case 'number':
        return { type: 'number' };
      case 'true':
      case 'false':
        return { type: 'boolean' };
      case 'identifier':
      case 'shorthand_property_identifier': {
        const b = scope.lookup(n.text, n);
        if (!b) return undefined;
        if (b.kind === 'value') {
          const annotation = b.node.childForFieldName('type');
          if (annotation) return typeSchema(annotation);
          return b.value ? payloadSchema(b.value, depth + 1) : undefined;
        }
        if (b.kind === 'param') {
          const t = parameterType(parametersOf(b.fn)[b.index]!);
          return t && b.path.length === 0 ? typeSchema(t) : undefined;
        }
        return undefined;
      }
      case 'call_expression': {
        // `repo.find(...)` as `Promise<User[]>` is unknown without types; a generic argument says it: `api<User>(…)`.
        const targs = n.childForFieldName('type_arguments');
        if (targs?.namedChildren[0]) return typeSchema(targs.namedChildren[0]);
        return undefined;
      }
      default:
        return undefined;
    }
  };

  const summarize = (fn: SyntaxNode): HandlerDetails => {
    const cached = cache.get(fn.id);
    if (cached) return cached;
    const details: HandlerDetails = { reads: [], forwards: [], responses: [], ruleIds: [], sent: [], returned: [], validated: {}, validatorRuleIds: [], hints: {} };
    cache.set(fn.id, details);
    const body = functionBody(fn);
    if (!body) return details;
    const params = parametersOf(fn);
    const forwardsByCall = new Map<number, Forward>();
    const visited = new Set<string>();

    const record = (param: number, p: string): void => {
      const list = (details.reads[param] ??= []);
      if (p && !list.includes(p) && list.length < 200) list.push(p);
    };
    for (let i = 0; i < params.length; i++) details.reads[i] ??= [];

    const trackBinding = (b: Binding, param: number, prefix: string): void => {
      const key = `${b.node.id}:${b.name}:${param}:${prefix}`;
      if (visited.has(key) || visited.size > 400) return;
      visited.add(key);
      for (const ref of scope.references(b, body)) trackExpr(ref, param, prefix);
    };

    const trackPattern = (pattern: SyntaxNode, param: number, prefix: string): void => {
      for (const { name, path: p, node } of patternNames(pattern)) {
        const full = join(prefix, p.join('.'));
        record(param, full);
        const def = defaultOf(node);
        if (def !== undefined) details.hints[`${param}:${full}`] = def;
        const b = scope.lookup(name, node);
        if (b) trackBinding(b, param, full);
      }
    };

    const trackExpr = (node: SyntaxNode, param: number, prefix: string): void => {
      // Walk up through wrappers that keep the value.
      let cur = node;
      let parent = cur.parent;
      while (parent && ['parenthesized_expression', 'await_expression', 'as_expression', 'non_null_expression', 'satisfies_expression'].includes(parent.type)) {
        cur = parent;
        parent = cur.parent;
      }
      if (!parent) return;
      switch (parent.type) {
        case 'member_expression': {
          if (parent.childForFieldName('object')?.id !== cur.id) return;
          const prop = parent.childForFieldName('property')?.text;
          if (!prop) return;
          const gp = parent.parent;
          if (gp?.type === 'call_expression' && gp.childForFieldName('function')?.id === parent.id) {
            const args = argumentsOf(gp);
            const key = stringValue(args[0]);
            if (['get', 'header', 'getHeader', 'param', 'cookie'].includes(prop) && key !== undefined) record(param, join(prefix, `${prop}()${key}`));
            else if (prop === 'hasOwnProperty' && key !== undefined) record(param, join(prefix, key));
            return;
          }
          const full = join(prefix, prop);
          record(param, full);
          trackExpr(parent, param, full);
          return;
        }
        case 'subscript_expression': {
          if (parent.childForFieldName('object')?.id !== cur.id) return;
          const key = stringValue(parent.childForFieldName('index'));
          const full = join(prefix, key ?? '*');
          record(param, full);
          if (key !== undefined) trackExpr(parent, param, full);
          return;
        }
        case 'variable_declarator': {
          if (parent.childForFieldName('value')?.id !== cur.id) return;
          const name = parent.childForFieldName('name');
          if (!name) return;
          const hint = typeSchemaOfDeclarator(parent);
          if (hint) details.hints[`${param}:${prefix}`] = hint;
          if (name.type === 'identifier') {
            const b = scope.lookup(name.text, name);
            if (b) trackBinding(b, param, prefix);
          } else trackPattern(name, param, prefix);
          return;
        }
        case 'assignment_expression': {
          // `const { a } = x` is a declarator; `({ a } = x)` and `y = x` rarely carry request data further.
          return;
        }
        case 'spread_element':
          record(param, join(prefix, '*'));
          return;
        case 'binary_expression': {
          const op = parent.child(1)?.type;
          if (op === 'in' && parent.childForFieldName('right')?.id === cur.id) {
            const key = stringValue(parent.childForFieldName('left'));
            if (key !== undefined) record(param, join(prefix, key));
          }
          return;
        }
        case 'unary_expression':
          if (parent.child(0)?.type === '+') details.hints[`${param}:${prefix}`] = { type: 'number' };
          return;
        case 'for_in_statement':
          record(param, join(prefix, '*'));
          return;
        case 'arguments': {
          const call = parent.parent;
          if (!call || (call.type !== 'call_expression' && call.type !== 'new_expression')) return;
          const index = argumentsOf(call).findIndex((a) => a.id === cur.id);
          if (index < 0) return;
          handleCallArg(call, index, param, prefix);
          return;
        }
        default:
          return;
      }
    };

    const handleCallArg = (call: SyntaxNode, index: number, param: number, prefix: string): void => {
      const callee = unwrap(call.childForFieldName(call.type === 'new_expression' ? 'constructor' : 'function'));
      const name = memberPath(callee)?.join('.') ?? '';
      if (/^(parseInt|Number\.parseInt)$/.test(name)) {
        details.hints[`${param}:${prefix}`] = { type: 'integer' };
        return;
      }
      if (/^(Number|parseFloat|Number\.parseFloat)$/.test(name)) {
        details.hints[`${param}:${prefix}`] ??= { type: 'number' };
        return;
      }
      if (name === 'Boolean') {
        details.hints[`${param}:${prefix}`] = { type: 'boolean' };
        return;
      }
      if (/^(Object\.(keys|values|entries|assign)|JSON\.stringify|_\.pick|_\.omit|lodash\.pick)$/.test(name)) {
        record(param, join(prefix, '*'));
        return;
      }
      // schema.validate(req.body) / Schema.parse(req.query) / Joi.validate(req.body, schema)
      if (call.type === 'call_expression') {
        const schemaNode = validators.validatedSchema(call);
        if (schemaNode && (index === 0)) {
          const schema = validators.schemaOf(schemaNode);
          if (schema) {
            details.validated[`${param}:${prefix}`] = schema;
            details.validatorRuleIds.push(...validators.rulesFor(schemaNode, scopeName(fn)));
          }
          return;
        }
      }
      const local = localFunction(callee);
      if (local && local.id !== fn.id) {
        const sub = summarize(local);
        for (const r of sub.reads[index] ?? []) record(param, join(prefix, r));
        for (const [k, v] of Object.entries(sub.hints)) {
          const [pi, p] = splitHint(k);
          if (pi === index) details.hints[`${param}:${join(prefix, p)}`] ??= v;
        }
        for (const [k, v] of Object.entries(sub.validated)) {
          const [pi, p] = splitHint(k);
          if (pi === index) details.validated[`${param}:${join(prefix, p)}`] ??= v;
        }
        details.validatorRuleIds.push(...sub.validatorRuleIds);
        for (const f of sub.forwards) {
          const args = f.args.map((a) => (a && a.param === index ? { param, path: join(prefix, a.path) } : null));
          if (args.some((a) => a)) addForward(call, { ref: f.ref, args }, true);
        }
        if (prefix === '') {
          // The whole request/response handed to a helper of this file: its answers are this handler's.
          for (const r of sub.responses) if (!details.responses.some((x) => x.status === r.status)) details.responses.push(r);
          details.ruleIds.push(...sub.ruleIds);
        }
        return;
      }
      const ref = call.type === 'call_expression' ? calleeRef(callee) : undefined;
      if (ref) {
        const existing = forwardsByCall.get(call.id);
        if (existing) existing.args[index] = { param, path: prefix };
        else {
          const args: Forward['args'] = argumentsOf(call).map(() => null);
          args[index] = { param, path: prefix };
          addForward(call, { ref, args }, false);
        }
        return;
      }
      // Passed whole to something unknown (a model, a library): the handler may use any field of it.
      if (prefix !== '') record(param, join(prefix, '*'));
    };

    const addForward = (call: SyntaxNode, f: Forward, fromLocal: boolean): void => {
      if (fromLocal) {
        details.forwards.push(f);
        return;
      }
      forwardsByCall.set(call.id, f);
      details.forwards.push(f);
    };

    params.forEach((p, i) => {
      const pattern = parameterPattern(p);
      if (pattern.type === 'identifier') {
        const b = scope.lookup(pattern.text, body);
        if (b && b.kind === 'param' && b.fn.id === fn.id) trackBinding(b, i, '');
      } else if (pattern.type === 'object_pattern') {
        for (const { name, path: pp, node } of patternNames(pattern)) {
          record(i, pp.join('.'));
          const def = defaultOf(node);
          if (def !== undefined) details.hints[`${i}:${pp.join('.')}`] = def;
          const b = scope.lookup(name, body);
          if (b && b.kind === 'param' && b.fn.id === fn.id) trackBinding(b, i, pp.join('.'));
        }
      }
    });
    details.reads = details.reads.map((r) => r ?? []);

    const declared = declaredRequest(params, fn);
    if (declared) details.declared = declared;
    scanResponses(fn, body, params, details);
    // Errors thrown by the functions it calls (a service's `throw new NotFoundError()`) are answers too.
    for (const call of descendants(body, 'call_expression')) {
      const callee = unwrap(call.childForFieldName('function'));
      const local = localFunction(callee);
      if (local) {
        if (local.id === fn.id || local.id === enclosingFunctionOf(fn)?.id) continue;
        const sub = summarize(local);
        for (const r of sub.responses) if (Number(r.status) >= 400 && !details.responses.some((x) => x.status === r.status)) details.responses.push(r);
        continue;
      }
      if (forwardsByCall.has(call.id)) continue;
      const ref = calleeRef(callee);
      if (ref && !ref.name.startsWith('*')) {
        const f: Forward = { ref, args: [] };
        forwardsByCall.set(call.id, f);
        details.forwards.push(f);
      }
    }
    return details;
  };

  /** Statuses and payloads: chains on the response (or Koa context), thrown and forwarded errors, returned values. */
  const scanResponses = (fn: SyntaxNode, body: SyntaxNode, params: SyntaxNode[], details: HandlerDetails): void => {
    const names = new Set(params.map((p) => parameterPattern(p)).filter((p) => p.type === 'identifier').map((p) => p.text));
    const isResponder = (n: SyntaxNode | null): boolean => {
      const u = unwrap(n);
      if (!u) return false;
      if (u.type === 'identifier') return names.has(u.text);
      // `ctx.response.status = 404`, `this.res.status(…)`
      const p = memberPath(u);
      return !!p && p.length === 2 && (names.has(p[0]!) || p[0] === 'this') && /^(res|response|reply)$/.test(p[1]!);
    };
    const add = (status: number, node: SyntaxNode, schema?: Schema, description?: string): void => {
      const key = String(status);
      const existing = details.responses.find((r) => r.status === key);
      if (existing) {
        if (!existing.schema && schema && Object.keys(schema).length > 0) existing.schema = schema;
        return;
      }
      details.responses.push({ status: key, ...(schema && Object.keys(schema).length > 0 ? { schema } : {}), ...(description ? { description } : {}), evidence: evidenceOf(path, statementOf(node)) });
    };
    // Nested callbacks (then/catch, map) count; classes declared inside the handler do not.
    const classes = descendants(body, ['class_declaration', 'class']).map((c) => [c.startIndex, c.endIndex] as const);
    const fnDepthOk = (n: SyntaxNode): boolean => !classes.some(([start, end]) => n.startIndex >= start && n.endIndex <= end);
    for (const call of descendants(body, ['call_expression', 'assignment_expression', 'throw_statement', 'return_statement'])) {
      if (!fnDepthOk(call)) continue;
      if (call.type === 'assignment_expression') {
        const left = memberPath(call.childForFieldName('left'));
        if (!left || left.length < 2) continue;
        const last = left[left.length - 1]!;
        const base = call.childForFieldName('left')?.childForFieldName('object') ?? null;
        if ((last === 'status' || last === 'statusCode') && isResponder(base)) {
          const s = statusOf(call.childForFieldName('right'));
          if (s !== undefined) add(s, call);
        } else if (last === 'body' && isResponder(base)) {
          const sch = payloadSchema(call.childForFieldName('right'));
          details.sent.push(sch ?? {});
        }
        continue;
      }
      if (call.type === 'throw_statement') {
        const e = errorStatus(call.namedChildren[0]);
        if (e) add(e.status, call, undefined, e.message);
        continue;
      }
      if (call.type === 'return_statement') {
        const value = call.namedChildren[0];
        if (!value || enclosingFunctionOf(call)?.id !== fn.id) continue;
        const u = unwrap(value);
        if (u?.type === 'call_expression' || u?.type === 'identifier' || u?.type === 'object' || u?.type === 'array' || assertedType(value)) {
          const e = errorStatus(value);
          if (e) {
            add(e.status, call, undefined, e.message);
            continue;
          }
          // `return res.json(x)` is the chain's business; plain values are what Fastify/NestJS send.
          if (u?.type === 'call_expression' && isResponderChain(u)) continue;
          const sch = payloadSchema(value);
          details.returned.push(sch ?? {});
        }
        continue;
      }
      const parts = callParts(call);
      if (!parts) continue;
      const { name, args } = parts;
      // next(createError(404)) / reply.send(new NotFound()) / done(err)
      if (parts.object === null && (name === 'next' || name === 'done' || name === 'cb' || name === 'callback') && args[0]) {
        const e = errorStatus(args[0]);
        if (e) add(e.status, call, undefined, e.message);
        continue;
      }
      if (!parts.object) continue;
      const obj = unwrap(parts.object);
      // Chains: res.status(404).json(x) — handled at the outermost call.
      if (call.parent?.type === 'member_expression' && call.parent.parent?.type === 'call_expression' && call.parent.childForFieldName('object')?.id === call.id) continue;
      const chain = responderChain(call);
      if (!chain) {
        // ctx.throw(404, 'msg') / ctx.assert(x, 400, 'msg') / reply.notFound() (@fastify/sensible)
        if (isResponder(obj) && name === 'throw') {
          const s = statusOf(args[0]);
          if (s !== undefined) add(s, call, undefined, stringValue(args[1]));
          else {
            const e = errorStatus(args[0]);
            if (e) add(e.status, call, undefined, e.message);
          }
        } else if (isResponder(obj) && name === 'assert') {
          const s = statusOf(args[1]);
          if (s !== undefined) add(s, call, undefined, stringValue(args[2]));
        } else if (isResponder(obj) && statusOfName(name.charAt(0).toUpperCase() + name.slice(1)) !== undefined && /^[a-z]/.test(name) && args.length <= 2 && name !== 'status') {
          const s = statusOfName(name.charAt(0).toUpperCase() + name.slice(1))!;
          if (s >= 400) add(s, call, undefined, stringValue(args[0]));
        }
        continue;
      }
      if (!isResponder(chain.base)) continue;
      const payloadNode = chain.payload;
      const e = payloadNode ? errorStatus(payloadNode) : undefined;
      if (e) {
        add(chain.status ?? e.status, call, undefined, e.message);
        continue;
      }
      const schema = payloadNode ? payloadSchema(payloadNode) : undefined;
      if (chain.status !== undefined) add(chain.status, call, schema, payloadNode ? messageOf(payloadNode) : undefined);
      else if (chain.sends) details.sent.push(schema ?? {});
    }
  };

  const messageOf = (payload: SyntaxNode): string | undefined => {
    const s = stringValue(payload);
    if (s !== undefined) return s;
    const v = evaluator.value(payload);
    if (isPlainObject(v)) {
      for (const k of ['message', 'error', 'msg', 'detail', 'errors']) {
        const x = v[k];
        if (typeof x === 'string') return x;
        if (isPlainObject(x)) {
          const first = Object.values(x)[0];
          if (typeof first === 'string') return first;
          if (Array.isArray(first) && typeof first[0] === 'string') return first[0];
        }
      }
    }
    return undefined;
  };

  const isResponderChain = (call: SyntaxNode): boolean => !!responderChain(call);

  /** `res.status(404).json(x)`, `res.sendStatus(204)`, `reply.code(201).send(x)`, `res.json(x)`, `res.redirect(…)`. */
  const responderChain = (call: SyntaxNode): { base: SyntaxNode | null; status?: number; payload?: SyntaxNode; sends: boolean } | undefined => {
    let status: number | undefined;
    let payload: SyntaxNode | undefined;
    let sends = false;
    let n: SyntaxNode | null = call;
    let base: SyntaxNode | null = null;
    let any = false;
    while (n && n.type === 'call_expression') {
      const parts = callParts(n);
      if (!parts || !parts.object) return undefined;
      switch (parts.name) {
        case 'status':
        case 'code':
          if (parts.args.length !== 1) return undefined;
          status ??= statusOf(parts.args[0]);
          any = true;
          break;
        case 'sendStatus':
          status ??= statusOf(parts.args[0]);
          any = true;
          break;
        case 'json':
        case 'send':
        case 'jsonp':
        case 'end':
        case 'render':
        case 'sendFile':
        case 'download':
          payload ??= parts.args[0];
          sends = true;
          any = true;
          break;
        case 'redirect': {
          const s = parts.args.length > 1 ? statusOf(parts.args[0]) : undefined;
          status ??= s ?? 302;
          any = true;
          break;
        }
        case 'type':
        case 'set':
        case 'header':
        case 'headers':
        case 'cookie':
        case 'clearCookie':
        case 'location':
        case 'vary':
        case 'links':
        case 'append':
        case 'attachment':
        case 'serializer':
          break;
        default:
          return undefined;
      }
      base = parts.object;
      n = unwrap(parts.object);
    }
    return any ? { base, ...(status !== undefined ? { status } : {}), ...(payload ? { payload } : {}), sends } : undefined;
  };

  const declaredRequest = (params: SyntaxNode[], fn: SyntaxNode): DeclaredRequest | undefined => {
    const out: DeclaredRequest = {};
    const reqType = params[0] ? parameterType(params[0]) : null;
    if (reqType?.type === 'generic_type') {
      const name = (reqType.childForFieldName('name') ?? reqType.namedChildren[0])?.text.split('.').pop() ?? '';
      const args = (reqType.childForFieldName('type_arguments') ?? reqType.namedChildren.find((c) => c.type === 'type_arguments'))?.namedChildren ?? [];
      if (/^(Request|TypedRequest)$/.test(name) && args.length > 0) {
        // express: Request<Params, ResBody, ReqBody, ReqQuery>
        if (args[1]) out.response = typeSchema(args[1]);
        if (args[2]) out.body = typeSchema(args[2]);
        if (args[3]) out.query = typeSchema(args[3]);
      } else if (/^Fastify(Request|Context)$/.test(name) && args[0]?.type === 'object_type') {
        for (const m of args[0].namedChildren.filter((c) => c.type === 'property_signature')) {
          const key = propertyKey(m.childForFieldName('name'));
          const t = typeSchema(m.childForFieldName('type'));
          if (key === 'Body') out.body = t;
          else if (key === 'Querystring') out.query = t;
          else if (key === 'Headers') out.headers = t;
          else if (key === 'Params') out.params = t;
          else if (key === 'Reply') out.response = t;
        }
      } else if (/Body/.test(name) && args.length === 1) out.body = typeSchema(args[0]);
      else if (/Query/.test(name) && args.length === 1) out.query = typeSchema(args[0]);
    }
    const resType = params[1] ? parameterType(params[1]) : null;
    if (resType?.type === 'generic_type' && /Response$/.test((resType.childForFieldName('name') ?? resType.namedChildren[0])?.text ?? '')) {
      const arg = (resType.childForFieldName('type_arguments') ?? resType.namedChildren.find((c) => c.type === 'type_arguments'))?.namedChildren[0];
      if (arg) out.response = typeSchema(arg);
    }
    const ret = typeOfAnnotation(fn.childForFieldName('return_type'));
    if (ret && !out.response) {
      const s = typeSchema(ret);
      if (Object.keys(s).length > 0 && !/^(void|undefined|never|any|unknown)$/.test(ret.text) && !/Promise<\s*(void|any|unknown)\s*>/.test(ret.text)) out.response = s;
    }
    // Open or empty schemas say nothing.
    for (const k of Object.keys(out) as (keyof DeclaredRequest)[]) {
      const s = out[k] as Record<string, unknown> | undefined;
      if (!s || Object.keys(s).length === 0 || (s.type === 'object' && !s.properties && !refName(s))) delete out[k];
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };

  return { summarize, localFunction, calleeRef, statusOf, errorStatus, payloadSchema };
}

function validStatus(n: number): number | undefined {
  return Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

function join(prefix: string, p: string): string {
  return prefix === '' ? p : p === '' ? prefix : `${prefix}.${p}`;
}

export function splitHint(key: string): [number, string] {
  const i = key.indexOf(':');
  return [Number(key.slice(0, i)), key.slice(i + 1)];
}

function defaultOf(node: SyntaxNode): Schema | undefined {
  // `{ page = 1 }`: the parent is an object_assignment_pattern whose right side is the default.
  const p = node.parent;
  if (p?.type !== 'object_assignment_pattern' && p?.type !== 'assignment_pattern') return undefined;
  const right = p.childForFieldName('right');
  const num = numberValue(right);
  if (num !== undefined) return { type: Number.isInteger(num) ? 'integer' : 'number', default: num } as Schema;
  const s = stringValue(right);
  if (s !== undefined) return { type: 'string', default: s } as Schema;
  if (right?.type === 'true' || right?.type === 'false') return { type: 'boolean', default: right.type === 'true' } as Schema;
  return undefined;
}

function typeSchemaOfDeclarator(declarator: SyntaxNode): Schema | undefined {
  const t = declarator.childForFieldName('type');
  if (!t) return undefined;
  const s = typeSchema(t);
  return Object.keys(s).length > 0 ? s : undefined;
}

function statementOf(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (n.parent && !/_statement$|^statement_block$|^program$|^arrow_function$/.test(n.parent.type) && !/_statement$/.test(n.type)) n = n.parent;
  return n;
}

function enclosingFunctionOf(node: SyntaxNode): SyntaxNode | null {
  for (let p = node.parent; p; p = p.parent) if (isFunction(p)) return p;
  return null;
}

function scopeName(fn: SyntaxNode): string {
  const cls = enclosingClass(fn)?.childForFieldName('name')?.text;
  const own = fn.childForFieldName('name')?.text;
  return [cls, own].filter(Boolean).join('.') || `function@${fn.startPosition.row + 1}`;
}

/** Parameters and body fields from request paths read (on the request, or Koa's context). */
export function requestInputs(reads: readonly string[], hints: Record<string, Schema> = {}): { params: ParamFact[]; bodyFields: string[]; bodyUsed: boolean; queryWhole: boolean; multipart: boolean } {
  const params: ParamFact[] = [];
  const bodyFields: string[] = [];
  let bodyUsed = false;
  let queryWhole = false;
  let multipart = false;
  const seen = new Set<string>();
  const add = (name: string, loc: ParamFact['in'], schema?: Schema): void => {
    if (!name || name === '*' || !/^[\w$.\-[\]]+$/.test(name)) return;
    const key = `${loc}:${loc === 'header' ? name.toLowerCase() : name}`;
    if (seen.has(key)) return;
    seen.add(key);
    params.push({ name: loc === 'header' ? name.toLowerCase() : name, in: loc, ...(schema ? { schema } : {}) });
  };
  for (const raw of reads) {
    const segs = raw.split('.');
    // Koa: ctx.request.query / ctx.request.body / ctx.request.headers
    if (segs[0] === 'request' && segs.length > 1) segs.shift();
    const [head, second] = segs;
    const hint = (p: string): Schema | undefined => hints[p];
    if (!head) continue;
    if (head === 'query' || head === 'queryParams') {
      if (second === undefined) continue;
      if (second === '*') queryWhole = true;
      else add(second, 'query', hint(`query.${second}`) ?? hint(raw));
    } else if (head === 'headers' || head === 'header') {
      if (second && second !== '*') add(second.replace(/^get\(\)/, ''), 'header');
    } else if (/^(get|header|getHeader)\(\)/.test(head)) {
      add(head.replace(/^\w+\(\)/, ''), 'header');
    } else if (head === 'cookies' || head === 'signedCookies') {
      if (second && second !== '*') add(second.replace(/^get\(\)/, ''), 'cookie');
    } else if (/^cookie\(\)/.test(head)) {
      add(head.replace(/^cookie\(\)/, ''), 'cookie');
    } else if (head === 'body') {
      bodyUsed = true;
      if (second && second !== '*' && !bodyFields.includes(second)) bodyFields.push(second);
    } else if (head === 'file' || head === 'files') {
      multipart = true;
    }
  }
  return { params, bodyFields, bodyUsed, queryWhole, multipart };
}
