/**
 * Minimal-API handlers declared in another file than their `Map*` call
 * (`todos.MapPost("/", TodoHandlers.Create)` with `TodoHandlers` elsewhere). The file that
 * declares a likely handler (a static method returning `IResult`, typed results, or in a class
 * named `*Handlers`/`*Endpoints`/`*Api`) records what it binds and answers as a `HandlerFact`;
 * the route keeps a `csHandlerRef`. Before the frame's link step, each reference is replaced by
 * the handler's parameters (a query parameter named in the route template becomes a path
 * parameter), body and responses; after it, the handler's rules are tied to the operation.
 * Facts stay per file and cacheable: nothing here reads or parses files.
 */
import type { Evidence, FileAnalysis } from '../model.js';
import type { BodyFact, ParamFact, ResponseFact, RouteFact, ServiceFacts } from '../service/facts.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { bindParameters } from './parameters.js';
import { declaredResponses, declaredResult, handlerResponses } from './responses.js';
import { createRuleSink, type RuleSink } from './rules.js';
import { thrownWithoutStatus, type ExceptionFacts, type Thrown } from './exceptions.js';
import type { AttributeFact } from './route-attributes.js';
import type { CsFile } from './scope.js';
import { attributesOf, docComment, modifiersOf } from './syntax.js';
import type { TypeScope } from './types.js';

/** A handler named at a `Map*` call but declared elsewhere. */
export interface HandlerRef {
  /** As written: `TodoHandlers.Create`, `Create`. */
  name: string;
  /** Route template parameter names known at the call (lower case → as written). */
  templateNames: Record<string, string>;
}

interface Binding {
  params: ParamFact[];
  body?: BodyFact;
}

export interface HandlerFact {
  /** Binding for POST/PUT/PATCH (a complex parameter is the body). */
  write: Binding;
  /** Binding for GET/DELETE, when it differs (a complex parameter is read from the query). */
  read?: Binding;
  responses: ResponseFact[];
  /** Exceptions thrown without a status, for `exceptions.ts`. */
  throws?: Thrown[];
  ruleIds: string[];
  summary?: string;
  description?: string;
  evidence: Evidence;
}

export type CsRouteFact = RouteFact & { csHandlerRef?: HandlerRef; throws?: Thrown[] };
/** The C# facts: the frame's, plus what the C#-specific steps around the link resolve across files. */
export type CsFacts = Omit<ServiceFacts, 'routes'> & { routes: CsRouteFact[]; csHandlers?: Record<string, HandlerFact>; attributes?: Record<string, AttributeFact>; exceptions?: ExceptionFacts };

const RESULT_TYPES = /\b(IResult|Results|Ok|Created|CreatedAtRoute|Accepted|NoContent|NotFound|BadRequest|Conflict|ValidationProblem|UnprocessableEntity|ProblemHttpResult|JsonHttpResult|FileContentHttpResult|FileStreamHttpResult|UnauthorizedHttpResult|ForbidHttpResult|RedirectHttpResult)\b/;
const HANDLER_CLASSES = /(Handlers?|Endpoints?|Api|Apis|Routes|Module|Feature|Features)$/;

/** Likely handlers of a file (static methods not already used by one of its routes), by `Class.Method`. */
export function extractHandlerCandidates(file: CsFile, rules: RuleSink, used: ReadonlySet<number>): { facts: Record<string, HandlerFact>; nodes: Map<string, SyntaxNode> } {
  const facts: Record<string, HandlerFact> = {};
  const nodes = new Map<string, SyntaxNode>();
  for (const decl of file.types) {
    if (decl.kind !== 'class') continue;
    for (const m of decl.members) {
      if (m.type !== 'method_declaration' || used.has(m.id)) continue;
      const mods = modifiersOf(m);
      if (!mods.has('static') || mods.has('private')) continue;
      const returns = m.childForFieldName('returns');
      if (!RESULT_TYPES.test(returns?.text ?? '') && !HANDLER_CLASSES.test(decl.simple)) continue;
      // Extension methods on builders are group methods, not handlers.
      if ((m.childForFieldName('parameters')?.namedChildren ?? []).some((p) => modifiersOf(p).has('this'))) continue;
      const methodName = m.childForFieldName('name')?.text ?? '';
      const name = `${decl.name}.${methodName}`;
      const scope: TypeScope = { file, from: decl, typeParams: new Set(decl.typeParams) };
      const doc = docComment(m);
      const bind = (methods: ('get' | 'post')[], sink: RuleSink) =>
        bindParameters({ parameters: m.childForFieldName('parameters'), scope, style: 'minimal', templateParams: new Map(), methods, docs: doc.params, handler: name, rules: sink });
      const write = bind(['post'], rules);
      // The second binding only changes where a complex parameter comes from; its rules are the first's.
      const read = bind(['get'], createRuleSink(file.path));
      const responses = handlerResponses({
        path: file.path,
        body: m.childForFieldName('body'),
        declared: declaredResult(returns, scope),
        extra: declaredResponses(attributesOf(m), scope, file.path),
        scope,
        minimal: true,
      });
      const throws = thrownWithoutStatus(file.path, m.childForFieldName('body'));
      const differs = JSON.stringify({ p: read.params, b: read.body }) !== JSON.stringify({ p: write.params, b: write.body });
      facts[name] = {
        write: { params: write.params, ...(write.body ? { body: write.body } : {}) },
        ...(differs ? { read: { params: read.params, ...(read.body ? { body: read.body } : {}) } } : {}),
        responses,
        ...(throws.length ? { throws } : {}),
        ruleIds: [...write.ruleIds],
        ...(doc.summary ? { summary: doc.summary } : {}),
        ...(doc.remarks ? { description: doc.remarks } : {}),
        evidence: evidenceOf(file.path, m),
      };
      nodes.set(name, m);
    }
  }
  return { facts, nodes };
}

type Link = (files: readonly FileAnalysis[], context: { root: string }) => FileAnalysis[];

/** The frame's link step with cross-file handlers resolved before it and their rules tied after it. */
export function linkWithHandlers(files: readonly FileAnalysis[], context: { root: string }, link: Link): FileAnalysis[] {
  const byKey = new Map<string, { index: number; fact: HandlerFact }[]>();
  files.forEach((f, index) => {
    for (const [key, fact] of Object.entries((f.facts as CsFacts | undefined)?.csHandlers ?? {})) {
      for (const k of new Set([key, key.split('.').slice(-2).join('.'), key.split('.').pop()!])) {
        const list = byKey.get(k) ?? [];
        list.push({ index, fact });
        byKey.set(k, list);
      }
    }
  });
  const resolved: { routeFile: number; evidence: Evidence; handlerFile: number; ruleIds: string[] }[] = [];
  const patched = files.map((f, index) => {
    const facts = f.facts as CsFacts | undefined;
    if (!facts?.routes?.some((r) => r.csHandlerRef)) return f;
    const routes = facts.routes.map((route) => {
      if (!route.csHandlerRef) return route;
      const parts = route.csHandlerRef.name.split('.');
      const found = byKey.get(parts.slice(-2).join('.')) ?? byKey.get(parts[parts.length - 1]!) ?? [];
      if (found.length !== 1) return route;
      const { index: handlerFile, fact } = found[0]!;
      resolved.push({ routeFile: index, evidence: route.evidence, handlerFile, ruleIds: fact.ruleIds });
      return mergeHandler(route, fact);
    });
    return { ...f, facts: { ...facts, routes } };
  });
  const out = link(patched, context);
  for (const r of resolved) {
    const op = out[r.routeFile]!.operations.find((o) => o.evidence[0]?.path === r.evidence.path && o.evidence[0]?.startLine === r.evidence.startLine);
    if (!op) continue;
    for (const rule of out[r.handlerFile]!.rules) if (r.ruleIds.includes(rule.id) && rule.operation === null) rule.operation = op.operationId;
  }
  return out;
}

function mergeHandler(route: CsRouteFact, fact: HandlerFact): CsRouteFact {
  const reads = route.methods.every((m) => m === 'get' || m === 'delete');
  const binding = reads && fact.read ? fact.read : fact.write;
  const templateNames = route.csHandlerRef!.templateNames;
  const params: ParamFact[] = binding.params.map((p) => {
    const template = p.in === 'query' ? templateNames[p.name.toLowerCase()] : undefined;
    return template ? { ...p, name: template, in: 'path', required: true } : p;
  });
  const declaredPath = new Set(params.filter((p) => p.in === 'path').map((p) => p.name.toLowerCase()));
  for (const p of route.params) if (!(p.in === 'path' && declaredPath.has(p.name.toLowerCase()))) params.push(p);
  const { csHandlerRef: _ref, notes: routeNotes, ...rest } = route;
  const notes = (routeNotes ?? []).filter((n) => !n.startsWith('handler '));
  const body = route.body ?? binding.body;
  return {
    ...rest,
    params,
    ...(body ? { body } : {}),
    responses: [...route.responses, ...fact.responses],
    ...(fact.throws ? { throws: [...(route.throws ?? []), ...fact.throws] } : {}),
    ...((route.summary ?? fact.summary) ? { summary: route.summary ?? fact.summary } : {}),
    ...((route.description ?? fact.description) ? { description: route.description ?? fact.description } : {}),
    ...(notes.length ? { notes } : {}),
  };
}
