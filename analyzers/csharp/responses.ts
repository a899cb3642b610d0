/**
 * What a handler answers, from three sources merged: the declared return type (`Foo`,
 * `ActionResult<Foo>`, `Task<ActionResult<IEnumerable<Foo>>>`, `IActionResult`, typed minimal
 * results `Results<Ok<Foo>, NotFound>`), the declared metadata (`[ProducesResponseType]`,
 * `[SwaggerResponse]`, `[Produces]`, minimal `.Produces<T>(201)`), and the body: every `return`
 * of a result helper (`NotFound()`, `CreatedAtAction(...)`, `Results.BadRequest(...)`,
 * `new ObjectResult(x) { StatusCode = 500 }`), conditional and switch expressions, and `throw
 * new ...(HttpStatusCode.X)` with a status in its arguments.
 */
import type { ResponseFact } from '../service/facts.js';
import type { Schema } from '../service/schema.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { resultStatus } from './rules.js';
import { statusOf, TYPED_RESULTS, CONTROLLER_HELPERS, RESULTS_FACTORIES, RESULT_CLASSES } from './statuses.js';
import { identifierOf, literalString, type Attribute } from './syntax.js';
import { typeSchema, type TypeScope } from './types.js';

export interface DeclaredResult {
  /** Success schema from the declared type (`Foo` of `ActionResult<Foo>`); undefined when unknown. */
  schema?: Schema;
  /** True when the declared type says nothing about the body (`IActionResult`, `IResult`). */
  opaque: boolean;
  /** True for `void`/`Task`: no body. */
  empty: boolean;
  /** Statuses the type itself names (typed minimal results). */
  typed: { status: number; schema?: Schema; contentType?: string }[];
  contentType?: string;
}

const OPAQUE = /^(IActionResult|ActionResult|IHttpActionResult|HttpResponseMessage|IResult|IConvertToActionResult|ObjectResult|JsonResult|ContentResult|FileResult|FileContentResult|FileStreamResult|PhysicalFileResult|StatusCodeResult|RedirectResult|EmptyResult|ViewResult|PartialViewResult|Results|IStatusCodeHttpResult|IValueHttpResult)$/;

/** Reads a declared return type. */
export function declaredResult(node: SyntaxNode | null | undefined, scope: TypeScope): DeclaredResult {
  const out: DeclaredResult = { opaque: false, empty: false, typed: [] };
  let t = node;
  // Task<T>, ValueTask<T>, nullable annotations.
  for (;;) {
    if (!t) {
      out.empty = true;
      return out;
    }
    if (t.type === 'nullable_type') {
      t = t.childForFieldName('type') ?? t.namedChildren[0];
      continue;
    }
    const name = typeName(t);
    if ((name === 'Task' || name === 'ValueTask') && t.type === 'generic_name') {
      t = typeArgs(t)[0];
      continue;
    }
    break;
  }
  const name = typeName(t);
  if (t.type === 'predefined_type' && t.text === 'void') {
    out.empty = true;
    return out;
  }
  if (name === 'Task' || name === 'ValueTask') {
    out.empty = true;
    return out;
  }
  if (name === 'ActionResult' && t.type === 'generic_name') {
    out.schema = typeSchema(typeArgs(t)[0], scope);
    return out;
  }
  if (name === 'Results' && t.type === 'generic_name') {
    for (const a of typeArgs(t)) out.typed.push(...typedResult(a, scope));
    out.opaque = out.typed.length === 0;
    return out;
  }
  const typed = typedResult(t, scope);
  if (typed.length > 0) {
    out.typed = typed;
    return out;
  }
  if (OPAQUE.test(name)) {
    out.opaque = true;
    return out;
  }
  out.schema = typeSchema(t, scope);
  if (t.type === 'predefined_type' && t.text === 'string') out.contentType = 'text/plain';
  return out;
}

function typeName(t: SyntaxNode): string {
  if (t.type === 'qualified_name') return identifierOf(t.childForFieldName('name') ?? t);
  return identifierOf(t);
}

function typeArgs(t: SyntaxNode): SyntaxNode[] {
  const g = t.type === 'qualified_name' ? t.childForFieldName('name') : t;
  return g?.namedChildren.find((c) => c.type === 'type_argument_list')?.namedChildren ?? [];
}

function typedResult(t: SyntaxNode, scope: TypeScope): DeclaredResult['typed'] {
  const name = typeName(t);
  const known = TYPED_RESULTS[name] ?? TYPED_RESULTS[name.replace(/HttpResult$/, '')];
  if (!known) return [];
  const arg = typeArgs(t)[0];
  return [{ status: known.status, ...(known.body && arg ? { schema: typeSchema(arg, scope) } : {}), ...(known.contentType ? { contentType: known.contentType } : {}) }];
}

/** `[ProducesResponseType]`, `[ProducesResponseType<T>]`, `[SwaggerResponse]`, `[Produces(typeof(T))]` on a handler. */
export function declaredResponses(attrs: readonly Attribute[], scope: TypeScope, path: string): ResponseFact[] {
  const out: ResponseFact[] = [];
  for (const a of attrs) {
    if (a.name === 'ProducesResponseType' || a.name === 'SwaggerResponse' || a.name === 'ProducesDefaultResponseType') {
      let status: number | undefined;
      let schema: Schema | undefined;
      let description: string | undefined;
      for (const p of a.positional) {
        if (p.type === 'typeof_expression') schema = typeSchema(p.childForFieldName('type'), scope);
        else if (status === undefined && statusOf(p) !== undefined) status = statusOf(p);
        else if (description === undefined && literalString(p) !== undefined) description = literalString(p);
      }
      const named = a.named.get('StatusCode');
      if (named) status = statusOf(named) ?? status;
      const typeArg = a.named.get('Type');
      if (typeArg?.type === 'typeof_expression') schema = typeSchema(typeArg.childForFieldName('type'), scope);
      if (a.typeArgs[0]) schema = typeSchema(a.typeArgs[0], scope);
      const desc = literalString(a.named.get('Description'));
      if (desc) description = desc;
      if (a.name === 'ProducesDefaultResponseType') {
        out.push({ status: 'default', ...(schema ? { schema } : {}), evidence: evidenceOf(path, a.node) });
        continue;
      }
      if (status === undefined) status = 200;
      // ProblemDetails has no body schema we know; still a documented status.
      out.push({ status: String(status), ...(schema && !isVoid(schema) ? { schema } : {}), ...(description ? { description } : {}), evidence: evidenceOf(path, a.node) });
    } else if (a.name === 'Produces') {
      const t = a.typeArgs[0] ?? a.named.get('Type')?.childForFieldName('type') ?? a.positional.find((p) => p.type === 'typeof_expression')?.childForFieldName('type');
      if (t) out.push({ status: '200', schema: typeSchema(t, scope), evidence: evidenceOf(path, a.node) });
    }
  }
  return out;
}

function isVoid(schema: Schema): boolean {
  return Object.keys(schema).length === 0;
}

/** Expressions a function returns (its `return`s, or an expression body), not those of nested functions. */
export function returnedExpressions(body: SyntaxNode | null | undefined): { expr: SyntaxNode; stmt: SyntaxNode }[] {
  if (!body) return [];
  if (body.type === 'arrow_expression_clause') return body.namedChildren[0] ? [{ expr: body.namedChildren[0], stmt: body }] : [];
  if (body.type !== 'block') return [{ expr: body, stmt: body }];
  const out: { expr: SyntaxNode; stmt: SyntaxNode }[] = [];
  const visit = (n: SyntaxNode): void => {
    for (const c of n.namedChildren) {
      if (c.type === 'lambda_expression' || c.type === 'local_function_statement' || c.type === 'anonymous_method_expression') continue;
      if (c.type === 'return_statement') {
        if (c.namedChildren[0]) out.push({ expr: c.namedChildren[0], stmt: c });
        continue;
      }
      visit(c);
    }
  };
  visit(body);
  return out;
}

/** `throw` statements and expressions of a function (not nested ones). */
function thrown(body: SyntaxNode | null | undefined): SyntaxNode[] {
  if (!body) return [];
  const out: SyntaxNode[] = [];
  const visit = (n: SyntaxNode): void => {
    for (const c of n.namedChildren) {
      if (c.type === 'lambda_expression' || c.type === 'local_function_statement' || c.type === 'anonymous_method_expression') continue;
      if (c.type === 'throw_statement' || c.type === 'throw_expression') out.push(c);
      visit(c);
    }
  };
  if (body.type === 'throw_expression') out.push(body);
  visit(body);
  return out;
}

/**
 * Every response of a handler. `declared` is its return type read by `declaredResult`; `extra`
 * the statuses declared in metadata. A returned value that is not a result helper is the
 * declared success body.
 */
export function handlerResponses(options: {
  path: string;
  body: SyntaxNode | null | undefined;
  declared: DeclaredResult;
  extra: ResponseFact[];
  scope: TypeScope;
  /** Minimal APIs: a returned `string` is text/plain, a returned object JSON. */
  minimal?: boolean;
}): ResponseFact[] {
  const { path, declared, scope } = options;
  const out: ResponseFact[] = [...options.extra];
  const add = (r: ResponseFact): void => {
    out.push(r);
  };
  for (const t of declared.typed) add({ status: String(t.status), ...(t.schema ? { schema: t.schema } : {}), ...(t.contentType ? { contentType: t.contentType } : {}) });

  const visitExpr = (expr: SyntaxNode, stmt: SyntaxNode): void => {
    if (expr.type === 'conditional_expression') {
      const a = expr.childForFieldName('consequence');
      const b = expr.childForFieldName('alternative');
      if (a) visitExpr(a, a);
      if (b) visitExpr(b, b);
      return;
    }
    if (expr.type === 'switch_expression') {
      for (const arm of expr.namedChildren.filter((c) => c.type === 'switch_expression_arm')) {
        const result = arm.namedChildren[arm.namedChildren.length - 1];
        if (result) visitExpr(result, result);
      }
      return;
    }
    if (expr.type === 'parenthesized_expression' || expr.type === 'await_expression') {
      if (expr.namedChildren[0]) visitExpr(expr.namedChildren[0], stmt);
      return;
    }
    if (expr.type === 'throw_expression') return;
    const r = resultStatus(expr);
    const evidence = evidenceOf(path, stmt);
    if (r) {
      const helper = helperOf(expr);
      let schema: Schema | undefined;
      if (r.status >= 200 && r.status < 300) {
        schema = bodySchema(expr, helper?.bodyArg, scope) ?? (declared.schema && !isVoid(declared.schema) && r.status === 200 ? declared.schema : undefined);
        // `CreatedAtAction(..., value)` of an `ActionResult<Foo>` action: the value is a Foo.
        if (!schema && (r.status === 201 || r.status === 202) && helper?.bodyArg !== undefined && declared.schema && !isVoid(declared.schema)) schema = declared.schema;
      }
      add({ status: String(r.status), ...(schema ? { schema } : {}), ...(helper?.contentType ? { contentType: helper.contentType } : {}), evidence });
      return;
    }
    if (expr.type === 'null_literal' || expr.type === 'default_expression') return;
    // A plain value: the declared body (or, in a minimal API, what the expression creates).
    const created = expr.type === 'object_creation_expression' ? expr.childForFieldName('type') : null;
    if (isUnknownResultCall(expr)) return;
    const schema = declared.schema && !isVoid(declared.schema) ? declared.schema : created && !OPAQUE.test(typeName(created)) ? typeSchema(created, scope) : undefined;
    // A string result is text/plain in both styles (MVC's StringOutputFormatter, minimal APIs' string handling).
    const text = declared.contentType === 'text/plain' || (options.minimal && (expr.type === 'string_literal' || expr.type === 'interpolated_string_expression'));
    add({ status: '200', ...(schema && !text ? { schema } : {}), ...(text ? { contentType: 'text/plain', schema: { type: 'string' } } : {}), evidence });
  };

  const returns = returnedExpressions(options.body);
  for (const { expr, stmt } of returns) visitExpr(expr, stmt);
  for (const t of thrown(options.body)) {
    const created = t.namedChildren[0];
    if (created?.type !== 'object_creation_expression') continue;
    for (const a of created.childForFieldName('arguments')?.namedChildren ?? []) {
      const s = statusOf(a.namedChildren[a.namedChildren.length - 1]);
      if (s !== undefined) {
        add({ status: String(s), evidence: evidenceOf(path, t) });
        break;
      }
    }
  }
  // A declared body with no return seen (expression-bodied `=> service.Get()` counts as a return): the 200.
  if (!out.some((r) => /^2/.test(r.status)) && !declared.opaque && declared.typed.length === 0) {
    if (declared.empty) add({ status: '200' });
    else if (declared.schema && !isVoid(declared.schema)) add({ status: '200', schema: declared.schema, ...(declared.contentType ? { contentType: declared.contentType } : {}) });
  }
  // A success status without a body schema takes the declared one.
  if (declared.schema && !isVoid(declared.schema)) {
    for (const r of out) if (r.status === '200' && !r.schema && !r.contentType) r.schema = declared.schema;
  }
  return out;
}

function helperOf(expr: SyntaxNode): { bodyArg?: number; contentType?: string } | undefined {
  if (expr.type === 'invocation_expression') {
    const fn = expr.childForFieldName('function');
    if (fn?.type === 'identifier' || fn?.type === 'generic_name') return CONTROLLER_HELPERS[identifierOf(fn)];
    if (fn?.type === 'member_access_expression') {
      const owner = fn.childForFieldName('expression')?.text;
      const name = identifierOf(fn.childForFieldName('name')!);
      return owner === 'Results' || owner === 'TypedResults' ? RESULTS_FACTORIES[name] : CONTROLLER_HELPERS[name];
    }
  }
  if (expr.type === 'object_creation_expression') {
    const type = expr.childForFieldName('type');
    return type ? RESULT_CLASSES[identifierOf(type)] : undefined;
  }
  return undefined;
}

/** The schema of a result helper's body argument when it is written as `new Foo(...)` or a typed generic (`Ok<Foo>(x)`). */
function bodySchema(expr: SyntaxNode, bodyArg: number | undefined, scope: TypeScope): Schema | undefined {
  if (expr.type === 'invocation_expression') {
    const fn = expr.childForFieldName('function');
    const generic = fn?.type === 'generic_name' ? fn : fn?.type === 'member_access_expression' && fn.childForFieldName('name')?.type === 'generic_name' ? fn.childForFieldName('name') : null;
    const typeArg = generic?.namedChildren.find((c) => c.type === 'type_argument_list')?.namedChildren[0];
    if (typeArg) return typeSchema(typeArg, scope);
  }
  if (bodyArg === undefined) return undefined;
  const args = (expr.childForFieldName('arguments')?.namedChildren ?? []).filter((a) => !a.childForFieldName('name'));
  const value = args[bodyArg]?.namedChildren[args[bodyArg]!.namedChildren.length - 1];
  if (value?.type === 'object_creation_expression') {
    const t = value.childForFieldName('type');
    if (t && !OPAQUE.test(typeName(t))) return typeSchema(t, scope);
  }
  if (value?.type === 'array_creation_expression') {
    const t = value.childForFieldName('type');
    if (t) return typeSchema(t, scope);
  }
  if (value?.type === 'string_literal' || value?.type === 'interpolated_string_expression') return { type: 'string' };
  return undefined;
}

/** Calls whose result we cannot type (a service call returning an IActionResult, a helper of the app). */
function isUnknownResultCall(expr: SyntaxNode): boolean {
  if (expr.type !== 'invocation_expression') return false;
  const fn = expr.childForFieldName('function');
  const name = fn ? identifierOf(fn.type === 'member_access_expression' ? fn.childForFieldName('name')! : fn) : '';
  return /^(View|PartialView|ViewComponent|SignIn|SignOut|Page)$/.test(name);
}
