/**
 * Where an exception's HTTP status is declared, for the statuses of the handlers that throw it:
 * `@ResponseStatus(HttpStatus.NOT_FOUND)` on the exception class, `@ExceptionHandler(X.class)`
 * methods (in a `@ControllerAdvice` or a controller) with their `@ResponseStatus` or the status
 * their body answers, and JAX-RS `ExceptionMapper<X>` implementations. The link step maps a
 * thrown exception through its superclasses to the nearest of these.
 */
import { evidenceOf } from '../service/tree-sitter.js';
import type { ExtractContext } from './handlers.js';
import { analyzeBodies, handlerBodies, localTypes, statusOf } from './responses.js';
import { annotationsOf, elementsOf, evalString, findAnnotation, type ClassInfo } from './syntax.js';
import { parseType } from './types.js';

/** Exception types too general to say anything about one handler's answers. */
const CATCH_ALL = new Set(['Exception', 'RuntimeException', 'Throwable', 'Error']);

export function readExceptionStatuses(cls: ClassInfo, ctx: ExtractContext): void {
  const { file, facts } = ctx;
  const own = findAnnotation(cls.annotations, 'ResponseStatus');
  if (own) {
    const status = statusOf(own.value ?? own.args.get('code'));
    const reason = evalString(own.args.get('reason'), cls, file);
    if (status !== undefined) facts.java.exceptionStatuses.push({ name: cls.name, status: String(status), ...(reason ? { reason } : {}), evidence: evidenceOf(file.path, own.node), via: 'annotation' });
  }
  for (const method of cls.methods) {
    const anns = annotationsOf(method);
    const handler = findAnnotation(anns, 'ExceptionHandler');
    if (!handler) continue;
    let names = elementsOf(handler.value).flatMap((e) => (e.type === 'class_literal' ? [parseType(e.namedChildren[0])?.name ?? ''] : []));
    if (names.length === 0) {
      names = (method.childForFieldName('parameters')?.namedChildren ?? [])
        .map((p) => parseType(p.childForFieldName('type'))?.name ?? '')
        .filter((n) => /(Exception|Error)$/.test(n));
    }
    const status = statusOf(findAnnotation(anns, 'ResponseStatus')?.value ?? findAnnotation(anns, 'ResponseStatus')?.args.get('code')) ?? firstErrorStatus(method, cls, ctx);
    if (status === undefined) continue;
    for (const name of names) {
      if (!name || CATCH_ALL.has(name)) continue;
      facts.java.exceptionStatuses.push({ name, status: String(status), evidence: evidenceOf(file.path, method), via: 'handler' });
    }
  }
  // `class NotFoundMapper implements ExceptionMapper<NotFoundException>`.
  const typeList = cls.node.childForFieldName('interfaces')?.namedChildren.find((c) => c.type === 'type_list');
  for (const t of typeList?.namedChildren ?? []) {
    const parsed = parseType(t);
    if (parsed?.name !== 'ExceptionMapper' || !parsed.args[0] || CATCH_ALL.has(parsed.args[0].name)) continue;
    const toResponse = cls.methods.find((m) => m.childForFieldName('name')?.text === 'toResponse');
    const status = toResponse ? firstErrorStatus(toResponse, cls, ctx) : undefined;
    if (status !== undefined) facts.java.exceptionStatuses.push({ name: parsed.args[0].name, status: String(status), evidence: evidenceOf(file.path, cls.node), via: 'mapper' });
  }
}

/** The first 4xx/5xx status a method's body answers (or any status when it answers one only). */
function firstErrorStatus(method: Parameters<typeof handlerBodies>[0], cls: ClassInfo, ctx: ExtractContext): number | undefined {
  const bodies = handlerBodies(method, cls, 1);
  const analysis = analyzeBodies(bodies, { file: ctx.file, cls, method, locals: localTypes(bodies, method) });
  const statuses = analysis.responses.map((r) => Number(r.status));
  const error = statuses.find((s) => s >= 400);
  if (error !== undefined) return error;
  // `Response.status(e.getStatus())` and the like: unknown.
  return statuses.length === 1 ? statuses[0] : undefined;
}

export function isExceptionClass(cls: ClassInfo): boolean {
  return !!cls.superclass && /(Exception|Error|Throwable)$/.test(cls.superclass);
}
