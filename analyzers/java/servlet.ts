/**
 * Servlets: a class extending `HttpServlet` mapped by `@WebServlet` (`value`, `urlPatterns`) or by
 * a `<servlet>`/`<servlet-mapping>` pair in web.xml. `doGet/doPost/doPut/doDelete` (and `service`,
 * written as GET and POST) become operations; `request.getParameter("x")` a query parameter for
 * GET/DELETE and a form field for POST/PUT (typed when passed to `Integer.parseInt` and
 * friends), `getParameterValues` an array, `getHeader` a header, `getPathInfo` a trailing path
 * parameter; statuses from `sendError`, `setStatus` and `sendRedirect`.
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
  if (!mapped || mapped.patterns.length === 0) {
    ctx.diagnostics.push({ path: file.path, line: evidenceOf(file.path, cls.node).startLine, severity: 'info', message: `servlet ${cls.name} has no @WebServlet and no web.xml mapping in the analyzed tree; its handlers are not operations` });
    return;
  }
  const contextPath = ctx.config?.contextPath ?? '';
  const paths: { path: string; wildcard: boolean }[] = [];
  const params: ParamFact[] = [];
  for (const pattern of mapped.patterns) {
    if (pattern.startsWith('*.')) {
      paths.push({ path: `/{name}${pattern.slice(1)}`, wildcard: false });
      params.push({ name: 'name', in: 'path', required: true, schema: { type: 'string' } });
    } else paths.push({ path: pattern.replace(/\/?\*$/, '') || '', wildcard: /\*$/.test(pattern) });
  }
  facts.routers.push({ id: cls.localName, prefixes: [contextPath ? joinPaths(contextPath) : ''], root: true, evidence: evidenceOf(file.path, cls.node), label: cls.name });
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
      const routePaths = paths.flatMap((p) => (p.wildcard && read.pathInfo ? [p.path, `${p.path}/{pathInfo}`] : [p.path]));
      const notes: string[] = [];
      for (const p of mapped.patterns) if (/\/\*$/.test(p) && p !== '/*') notes.push(`url-pattern ${p} (${mapped.source}) also serves every path below ${p.slice(0, -2)}`);
      if (name === 'service') notes.push('service() overrides every HTTP method; written as GET and POST');
      const responses: ResponseFact[] = analysis.responses.map((r) => (read.contentType && /^2/.test(r.status) ? { ...r, contentType: read.contentType } : r));
      if (!responses.some((r) => /^2/.test(r.status))) responses.unshift({ status: '200', ...(read.contentType ? { contentType: read.contentType, schema: read.contentType.includes('json') ? ({} as Schema) : { type: 'string' } } : {}) });
      const javadoc = javadocOf(method);
      const route: JavaRouteFact = {
        router: cls.localName,
        methods: [verb],
        paths: [...new Set(routePaths)],
        handler: `${cls.name}.${name}`,
        operationName: verbs.length > 1 ? `${cls.name}_${verb}` : `${lowerFirst(cls.name)}${name.slice(2)}`,
        params: [
          ...params,
          ...(read.pathInfo ? [{ name: 'pathInfo', in: 'path' as const, required: true, schema: { type: 'string' } as Schema }] : []),
          ...read.params.map((p) => (p.in === 'query' && form ? { ...p, in: 'form' as const } : p)),
        ],
        responses,
        evidence: evidenceOf(file.path, method),
        ruleIds: [...new Set(bodies.flatMap((b) => ctx.rulesOf(b.parent ?? b)))],
        tags: [cls.name],
        ...(javadoc ? { summary: firstSentence(javadoc) } : {}),
        ...(notes.length ? { notes } : {}),
        ...(analysis.thrown.length ? { thrown: analysis.thrown } : {}),
        ...(read.body && form ? { body: read.body } : {}),
      };
      facts.routes.push(route);
    }
  }
}

function lowerFirst(s: string): string {
  return s ? s[0]!.toLowerCase() + s.slice(1) : s;
}

const PARSERS: Record<string, Schema> = {
  parseInt: { type: 'integer', format: 'int32' },
  parseLong: { type: 'integer', format: 'int64' },
  parseDouble: { type: 'number', format: 'double' },
  parseFloat: { type: 'number', format: 'float' },
  parseBoolean: { type: 'boolean' },
};

/** What a servlet reads from its request object. */
function readRequest(bodies: readonly SyntaxNode[], req: string, cls: ClassInfo, ctx: ExtractContext): { params: ParamFact[]; pathInfo: boolean; contentType?: string; body?: { schema: Schema } } {
  const params: ParamFact[] = [];
  const seen = new Set<string>();
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
      if (!obj || obj.text !== req) continue;
      if (name === 'getPathInfo') {
        pathInfo = true;
        continue;
      }
      const where = name === 'getParameter' || name === 'getParameterValues' ? 'query' : name === 'getHeader' || name === 'getHeaders' || name === 'getIntHeader' || name === 'getDateHeader' ? 'header' : undefined;
      if (!where || args.length !== 1) continue;
      const pname = evalString(args[0], cls, ctx.file);
      if (!pname || pname.includes('{{const:')) continue;
      const key = `${where}:${pname.toLowerCase()}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let schema: Schema = { type: 'string' };
      const parent = call.parent?.parent;
      const parser = parent?.type === 'method_invocation' ? parent.childForFieldName('name')?.text : undefined;
      if (name === 'getParameterValues' || name === 'getHeaders') schema = { type: 'array', items: { type: 'string' } } as Schema;
      else if (name === 'getIntHeader') schema = { type: 'integer' };
      else if (parser && PARSERS[parser]) schema = { ...PARSERS[parser]! };
      else if (parser === 'valueOf' && /^(Integer|Long)$/.test(parent?.childForFieldName('object')?.text ?? '')) schema = { type: 'integer' };
      params.push({ name: pname, in: where, schema, evidence: evidenceOf(ctx.file.path, call) });
    }
  }
  return { params, pathInfo, ...(contentType ? { contentType } : {}), ...(body ? { body } : {}) };
}
