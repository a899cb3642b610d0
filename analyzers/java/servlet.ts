/**
 * Servlets: a class extending `HttpServlet` mapped by `@WebServlet` (`value`, `urlPatterns`), by
 * a `<servlet>`/`<servlet-mapping>` pair in web.xml, or by a registration in code in any file
 * (`ServletRegistrationBean`, `ServletContext#addServlet`: the link step places those, see
 * `registrations.ts`). `doGet/doPost/doPut/doDelete` (and `service`, written as GET and POST)
 * become operations; `request.getParameter("x")` a query parameter for GET/DELETE and a form
 * field for POST/PUT (typed when passed to `Integer.parseInt` and friends), `getParameterValues`
 * an array, `getHeader` a header (`request-reads.ts`, also in helpers the request is handed to),
 * `getPathInfo` a trailing path parameter; statuses from `sendError`, `setStatus` and `sendRedirect`.
 *
 * URL patterns: `/users` is the path; `/users/*` serves `/users` and everything below it, written
 * as `/users` (and `/users/{pathInfo}` when the servlet reads `getPathInfo()`), with a note;
 * `*.do` extension patterns become `/{name}.do`; `/` and `/*` the root.
 */
import type { HttpMethod, ParamFact, ResponseFact } from '../service/facts.js';
import type { Schema } from '../service/schema.js';
import { descendants, evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import type { JavaRouteFact } from './facts.js';
import type { ExtractContext } from './handlers.js';
import { requestReads } from './request-reads.js';
import { analyzeBodies, handlerBodies, localTypes } from './responses.js';
import { evalString, evalStrings, findAnnotation, javadocOf, firstSentence, type ClassInfo } from './syntax.js';
import { joinPaths } from '../service/paths.js';

const HANDLERS: Record<string, HttpMethod[]> = { doGet: ['get'], doPost: ['post'], doPut: ['put'], doDelete: ['delete'], doPatch: ['patch'], service: ['get', 'post'] };
const SERVLET_BASES = /^(HttpServlet|GenericServlet|.*Servlet)$/;

/** The url patterns that map a servlet class, from `@WebServlet` or web.xml; undefined when it is no servlet. */
export function servletPatterns(cls: ClassInfo, ctx: ExtractContext): { patterns: string[]; evidenceLine: number; source: string } | undefined {
  const web = findAnnotation(cls.annotations, 'WebServlet');
  if (web) {
    const patterns = [...evalStrings(web.value, cls, ctx.file), ...evalStrings(web.args.get('urlPatterns'), cls, ctx.file)];
    return { patterns, evidenceLine: evidenceOf(ctx.file.path, web.node).startLine, source: '@WebServlet' };
  }
  const decls = (ctx.config?.servlets ?? []).filter((s) => s.className === cls.qualified);
  if (decls.length > 0) return { patterns: decls.flatMap((d) => d.patterns), evidenceLine: evidenceOf(ctx.file.path, cls.node).startLine, source: 'web.xml' };
  return undefined;
}

export function isServletClass(cls: ClassInfo): boolean {
  return cls.kind === 'class' && !!cls.superclass && SERVLET_BASES.test(cls.superclass) && cls.methods.some((m) => (m.childForFieldName('name')?.text ?? '') in HANDLERS);
}

export function extractServlet(cls: ClassInfo, ctx: ExtractContext): void {
  const { file, facts } = ctx;
  const mapped = servletPatterns(cls, ctx);
  const routes = servletRoutes(cls, ctx);
  if (!mapped || mapped.patterns.length === 0) {
    // Maybe registered in code (`ServletRegistrationBean`, `ServletContext#addServlet`) in another
    // file: the Java link step places these routes where a registration says, or reports the servlet.
    (facts.java.servlets ??= []).push({ name: cls.name, qualified: cls.qualified, localName: cls.localName, routes, pathInfo: routes.some(readsPathInfo), evidence: evidenceOf(file.path, cls.node) });
    return;
  }
  const contextPath = ctx.config?.contextPath ?? '';
  facts.routers.push({ id: cls.localName, prefixes: [contextPath ? joinPaths(contextPath) : ''], root: true, evidence: evidenceOf(file.path, cls.node), label: cls.name });
  facts.routes.push(...placeServletRoutes(routes, mapped.patterns, mapped.source));
}

/** The servlet's handler methods as routes relative to its url-pattern (paths `['']`). */
function servletRoutes(cls: ClassInfo, ctx: ExtractContext): JavaRouteFact[] {
  const { file } = ctx;
  const out: JavaRouteFact[] = [];
  for (const method of cls.methods) {
    const name = method.childForFieldName('name')?.text ?? '';
    const verbs = HANDLERS[name];
    if (!verbs) continue;
    const formal = method.childForFieldName('parameters')?.namedChildren.filter((p) => p.type === 'formal_parameter') ?? [];
    if (formal.length !== 2) continue;
    const req = formal[0]!.childForFieldName('name')?.text ?? 'request';
    const bodies = handlerBodies(method, cls);
    const analysis = analyzeBodies(bodies, { file, cls, method, locals: localTypes(bodies, method) });
    const read = readRequest(bodies, req, cls, ctx);
    for (const verb of verbs) {
      const form = verb === 'post' || verb === 'put' || verb === 'patch';
      const notes: string[] = [];
      if (name === 'service') notes.push('service() overrides every HTTP method; written as GET and POST');
      const responses: ResponseFact[] = analysis.responses.map((r) => (read.contentType && /^2/.test(r.status) ? { ...r, contentType: read.contentType } : r));
      if (!responses.some((r) => /^2/.test(r.status))) responses.unshift({ status: '200', ...(read.contentType ? { contentType: read.contentType, schema: read.contentType.includes('json') ? ({} as Schema) : { type: 'string' } } : {}) });
      const javadoc = javadocOf(method);
      out.push({
        router: cls.localName,
        methods: [verb],
        paths: [''],
        handler: `${cls.name}.${name}`,
        operationName: verbs.length > 1 ? `${cls.name}_${verb}` : `${lowerFirst(cls.name)}${name.slice(2)}`,
        params: [
          ...(read.pathInfo ? [{ name: 'pathInfo', in: 'path' as const, required: true, schema: { type: 'string' } as Schema }] : []),
          ...read.params.map((p) => (p.in === 'query' && form ? { ...p, in: 'form' as const } : p)),
        ],
        responses,
        evidence: evidenceOf(file.path, method),
        ruleIds: [...new Set(bodies.flatMap((b) => ctx.rulesOf(b.parent ?? b)))],
        tags: [cls.name],
        servedBy: 'servlet',
        ...(javadoc ? { summary: firstSentence(javadoc) } : {}),
        ...(notes.length ? { notes } : {}),
        ...(analysis.thrown.length ? { thrown: analysis.thrown } : {}),
        ...(read.body && form ? { body: read.body } : {}),
      });
    }
  }
  return out;
}

function readsPathInfo(route: JavaRouteFact): boolean {
  return route.params.some((p) => p.in === 'path' && p.name === 'pathInfo');
}

/**
 * A servlet's routes under its url-patterns: `/users` is the path; `/users/*` serves `/users` and
 * everything below it (also `/users/{pathInfo}` when the servlet reads `getPathInfo()`), with a
 * note; `*.do` becomes `/{name}.do`; `/` and `/*` the root. `source` names where the patterns come from.
 */
export function placeServletRoutes(routes: readonly JavaRouteFact[], patterns: readonly string[], source: string): JavaRouteFact[] {
  const paths: { path: string; wildcard: boolean }[] = [];
  const params: ParamFact[] = [];
  for (const pattern of patterns) {
    if (pattern.startsWith('*.')) {
      paths.push({ path: `/{name}${pattern.slice(1)}`, wildcard: false });
      params.push({ name: 'name', in: 'path', required: true, schema: { type: 'string' } });
    } else paths.push({ path: pattern.replace(/\/?\*$/, '') || '', wildcard: /\*$/.test(pattern) });
  }
  const notes: string[] = [];
  for (const p of patterns) if (/\/\*$/.test(p) && p !== '/*') notes.push(`url-pattern ${p} (${source}) also serves every path below ${p.slice(0, -2)}`);
  return routes.map((r) => {
    const pathInfo = readsPathInfo(r);
    const routePaths = paths.flatMap((p) => (p.wildcard && pathInfo ? [p.path, `${p.path}/{pathInfo}`] : [p.path]));
    const allNotes = [...notes, ...(r.notes ?? [])];
    return { ...r, paths: [...new Set(routePaths)], params: [...params, ...r.params], ...(allNotes.length ? { notes: allNotes } : {}) };
  });
}

function lowerFirst(s: string): string {
  return s ? s[0]!.toLowerCase() + s.slice(1) : s;
}

/** What a servlet reads from its request object. */
function readRequest(bodies: readonly SyntaxNode[], req: string, cls: ClassInfo, ctx: ExtractContext): { params: ParamFact[]; pathInfo: boolean; contentType?: string; body?: { schema: Schema } } {
  let pathInfo = false;
  let contentType: string | undefined;
  let body: { schema: Schema } | undefined;
  for (const b of bodies) {
    for (const call of descendants(b, 'method_invocation')) {
      const name = call.childForFieldName('name')?.text;
      const obj = call.childForFieldName('object');
      const args = call.childForFieldName('arguments')?.namedChildren ?? [];
      if (name === 'setContentType' && args[0]) {
        const v = evalString(args[0], cls, ctx.file);
        if (v && !v.includes('{{const:')) contentType = v.replace(/;.*$/, '').trim();
        continue;
      }
      if ((name === 'readValue' || name === 'fromJson') && args.length >= 2) {
        const cl = args[args.length - 1]!;
        if (cl.type === 'class_literal' && /getReader|getInputStream/.test(args[0]!.text)) body = { schema: { $ref: `#/components/schemas/${cl.namedChildren[0]!.text}` } as Schema };
        continue;
      }
      if (obj?.text === req && name === 'getPathInfo') pathInfo = true;
    }
  }
  // Header and query reads, also in the helpers the handler hands its request to (names another
  // file defines stay placeholders for the link step).
  const params = requestReads(bodies, { file: ctx.file, cls });
  return { params, pathInfo, ...(contentType ? { contentType } : {}), ...(body ? { body } : {}) };
}
