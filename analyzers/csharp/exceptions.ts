/**
 * Statuses of exceptions a handler throws, when the application maps them where it is obvious:
 * an exception class that passes its status to its base (`NotFoundException() :
 * base(HttpStatusCode.NotFound)`) or declares it (`StatusCode => StatusCodes.Status409Conflict`),
 * and exception handlers that map types to statuses — `exception switch { NotFoundException =>
 * StatusCodes.Status404NotFound, ... }`, `case ValidationException:`, `if (ex is
 * ModelNotFoundException) ... HttpStatusCode.NotFound`, `catch (ForbiddenException) { ... }`,
 * ProblemDetails' `MapToStatusCode<T>(status)`. Each file records its classes and mappings; a
 * route records the exceptions its handler throws without a status; before the frame's link
 * step they become responses (mappings first, then the class, then its bases). Exceptions
 * mapped nowhere stay out: the 500 they produce is not written for every `throw`.
 */
import type { Evidence, FileAnalysis } from '../model.js';
import type { ResponseFact } from '../service/facts.js';
import { describeStatus } from '../service/link.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import type { CsFacts } from './handler-refs.js';
import type { CsFile } from './scope.js';
import { simpleTypeName } from './scope.js';
import { statusOf } from './statuses.js';
import { identifierOf } from './syntax.js';

export interface ExceptionFacts {
  /** Exception classes declared here: their own status (if any) and base class. */
  classes: Record<string, { status?: number; base?: string }>;
  /** Exception type → status from the handlers and filters of this file. */
  mappings: Record<string, number>;
}

export interface Thrown {
  exception: string;
  evidence: Evidence;
}

/** The first status constant (`HttpStatusCode.X`, `StatusCodes.StatusNNN`, a cast of one) inside a node. */
function firstStatus(node: SyntaxNode | null | undefined): number | undefined {
  if (!node) return undefined;
  for (const n of [node, ...node.descendantsOfType(['member_access_expression', 'cast_expression'])]) {
    if (n.type !== 'member_access_expression' && n.type !== 'cast_expression') continue;
    if (!/HttpStatusCode\.|StatusCodes\.Status\d{3}/.test(n.text)) continue;
    const s = statusOf(n);
    if (s !== undefined) return s;
  }
  return undefined;
}

const isExceptionName = (name: string): boolean => /Exception$/.test(name) && name !== 'Exception';

export function extractExceptionFacts(file: CsFile): ExceptionFacts | undefined {
  const classes: ExceptionFacts['classes'] = {};
  const mappings: ExceptionFacts['mappings'] = {};
  for (const decl of file.types) {
    if (decl.kind !== 'class' || !isExceptionName(decl.simple)) continue;
    const base = decl.bases.map(simpleTypeName).find((b) => !/^I[A-Z]/.test(b));
    let status: number | undefined;
    for (const m of decl.members) {
      if (m.type === 'constructor_declaration') status ??= firstStatus(m.namedChildren.find((c) => c.type === 'constructor_initializer'));
      if (m.type === 'property_declaration' && /^(StatusCode|Status|HttpStatusCode|HttpStatus)$/.test(m.childForFieldName('name')?.text ?? '')) status ??= firstStatus(m.childForFieldName('value'));
    }
    classes[decl.simple] = { ...(status !== undefined ? { status } : {}), ...(base ? { base } : {}) };
  }
  const map = (type: SyntaxNode | null | undefined, body: SyntaxNode | null | undefined): void => {
    if (!type) return;
    const name = identifierOf(type.type === 'qualified_name' ? (type.childForFieldName('name') ?? type) : type);
    if (!isExceptionName(name) || name in mappings) return;
    const status = firstStatus(body);
    if (status !== undefined) mappings[name] = status;
  };
  const typeOfPattern = (p: SyntaxNode | undefined): SyntaxNode | null | undefined => {
    if (!p) return undefined;
    if (p.type === 'declaration_pattern' || p.type === 'recursive_pattern') return p.childForFieldName('type');
    if (p.type === 'type_pattern') return p.namedChildren[0];
    if (p.type === 'constant_pattern') return p.namedChildren[0];
    if (p.type === 'identifier' || p.type === 'qualified_name') return p;
    return undefined;
  };
  for (const n of file.root.descendantsOfType(['switch_expression_arm', 'switch_section', 'catch_clause', 'is_pattern_expression', 'invocation_expression'])) {
    switch (n.type) {
      case 'switch_expression_arm':
        map(typeOfPattern(n.namedChildren[0]), n.namedChildren[n.namedChildren.length - 1]);
        break;
      case 'switch_section': {
        const labels = n.namedChildren.filter((c) => /pattern$/.test(c.type));
        for (const l of labels) map(typeOfPattern(l), n);
        break;
      }
      case 'catch_clause': {
        const decl = n.namedChildren.find((c) => c.type === 'catch_declaration');
        map(decl?.childForFieldName('type') ?? decl?.namedChildren[0], n.namedChildren.find((c) => c.type === 'block'));
        break;
      }
      case 'is_pattern_expression': {
        const ifStmt = n.parent?.type === 'if_statement' ? n.parent : n.parent?.parent?.type === 'if_statement' ? n.parent.parent : null;
        if (ifStmt) map(typeOfPattern(n.childForFieldName('pattern') ?? undefined), ifStmt.childForFieldName('consequence'));
        break;
      }
      case 'invocation_expression': {
        // ProblemDetails: `options.MapToStatusCode<NotFoundException>(StatusCodes.Status404NotFound)`.
        const fn = n.childForFieldName('function');
        const name = fn?.type === 'member_access_expression' ? fn.childForFieldName('name') : fn;
        if (name?.type !== 'generic_name' || !/^(Map|MapToStatusCode|MapException)$/.test(identifierOf(name))) break;
        map(name.namedChildren.find((c) => c.type === 'type_argument_list')?.namedChildren[0], n.childForFieldName('arguments'));
        break;
      }
    }
  }
  return Object.keys(classes).length || Object.keys(mappings).length ? { classes, mappings } : undefined;
}

/** `throw new X(...)` in a handler body (not in nested functions) whose arguments carry no status. */
export function thrownWithoutStatus(path: string, body: SyntaxNode | null | undefined): Thrown[] {
  if (!body) return [];
  const out: Thrown[] = [];
  const visit = (n: SyntaxNode): void => {
    for (const c of n.namedChildren) {
      if (c.type === 'lambda_expression' || c.type === 'local_function_statement' || c.type === 'anonymous_method_expression') continue;
      if (c.type === 'throw_statement' || c.type === 'throw_expression') add(c);
      visit(c);
    }
  };
  const add = (c: SyntaxNode): void => {
    const created = c.namedChildren[0];
    const type = created?.type === 'object_creation_expression' ? created.childForFieldName('type') : null;
    if (type && firstStatus(created!.childForFieldName('arguments')) === undefined) out.push({ exception: identifierOf(type), evidence: evidenceOf(path, c) });
  };
  if (body.type === 'throw_expression') add(body);
  else visit(body);
  return out;
}

/** Turns each route's thrown exceptions into responses, with all files' exception facts (a new array). */
export function resolveThrownExceptions(files: readonly FileAnalysis[]): FileAnalysis[] {
  const classes = new Map<string, { status?: number; base?: string }>();
  const mappings = new Map<string, number>();
  for (const f of files) {
    const e = (f.facts as CsFacts | undefined)?.exceptions;
    for (const [k, v] of Object.entries(e?.classes ?? {})) if (!classes.has(k)) classes.set(k, v);
    for (const [k, v] of Object.entries(e?.mappings ?? {})) if (!mappings.has(k)) mappings.set(k, v);
  }
  const statusOfException = (name: string): number | undefined => {
    for (let n: string | undefined = name, depth = 0; n && depth < 10; n = classes.get(n)?.base, depth++) {
      const s = mappings.get(n) ?? classes.get(n)?.status;
      if (s !== undefined) return s;
    }
    return undefined;
  };
  return files.map((f) => {
    const cs = f.facts as CsFacts | undefined;
    if (!cs?.routes.some((r) => r.throws)) return f;
    const routes = cs.routes.map((route) => {
      if (!route.throws) return route;
      const { throws, ...rest } = route;
      const responses: ResponseFact[] = [...rest.responses];
      for (const t of throws) {
        const status = statusOfException(t.exception);
        if (status !== undefined) responses.push({ status: String(status), description: `${describeStatus(String(status))} (${t.exception})`, evidence: t.evidence });
      }
      return { ...rest, responses };
    });
    return { ...f, facts: { ...cs, routes } };
  });
}
