/**
 * JAX-RS resources (javax.ws.rs and jakarta.ws.rs, Jersey, RESTEasy, Quarkus, CXF): `@Path` on
 * classes and methods, `@GET/@POST/@PUT/@DELETE/@PATCH/@HEAD` (a declared `@HEAD` method is an
 * operation of its own; `@OPTIONS` is left out: the output has no OPTIONS), `@PathParam`, `@QueryParam`, `@HeaderParam`,
 * `@CookieParam`, `@FormParam` (a form body), multipart parts, `@BeanParam` (expanded by the Java
 * link step from the bean's annotated fields), `@DefaultValue`, the unannotated entity
 * parameter as the body, `@Consumes/@Produces`, sub-resource locators (a `@Path` method without
 * an HTTP method: a mount of the returned class under that path), and `Application` /
 * `ResourceConfig` subclasses with `@ApplicationPath` (the base of every root resource).
 * `@MatrixParam` is not a parameter OpenAPI can describe in a path template; it is skipped.
 */
import type { HttpMethod, ParamFact } from '../service/facts.js';
import type { Schema } from '../service/schema.js';
import { descendants, evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import type { JavaRouteFact, TemplateFact } from './facts.js';
import { defaultFor, docsOf, handlerResponses, mediaTypes, mergeTemplateParams, normalizeTemplate, paramSchema, returnInfo, type ExtractContext } from './handlers.js';
import { requestReads } from './request-reads.js';
import { statusOf } from './responses.js';
import { paramRule } from './spring.js';
import { annotationsOf, evalString, findAnnotation, modifierWords, qualifiedRef, type Annotation, type ClassInfo } from './syntax.js';
import { parseType, schemaOf } from './types.js';

const VERBS: Record<string, HttpMethod | null> = { GET: 'get', POST: 'post', PUT: 'put', DELETE: 'delete', PATCH: 'patch', HEAD: 'head', OPTIONS: null };
const PARAMS: Record<string, ParamFact['in']> = {
  PathParam: 'path', QueryParam: 'query', HeaderParam: 'header', CookieParam: 'cookie', FormParam: 'form',
  RestPath: 'path', RestQuery: 'query', RestHeader: 'header', RestCookie: 'cookie', RestForm: 'form', FormDataParam: 'form',
};
const NOT_ENTITY = new Set(['Context', 'Suspended', 'BeanParam', 'MatrixParam', 'Auth', 'Inject', 'MultipartForm', ...Object.keys(PARAMS)]);

function verbOf(anns: readonly Annotation[]): { verb?: HttpMethod; ignored?: string } {
  for (const a of anns) {
    if (a.name in VERBS) {
      const v = VERBS[a.name];
      return v ? { verb: v } : { ignored: a.name };
    }
  }
  return {};
}

export function isJaxrsResource(cls: ClassInfo): boolean {
  if (findAnnotation(cls.annotations, 'Path')) return true;
  return cls.methods.some((m) => {
    const anns = annotationsOf(m);
    return anns.some((a) => a.name in VERBS) || (!!findAnnotation(anns, 'Path') && !findAnnotation(anns, 'GetMapping', 'RequestMapping'));
  });
}

/** A class path, normalized (`{id: \\d+}` → `{id}`). */
function pathOf(a: Annotation | undefined, cls: ClassInfo, ctx: ExtractContext): string {
  const raw = a ? evalString(a.value, cls, ctx.file) : undefined;
  return raw === undefined ? '' : normalizeTemplate(raw).path;
}

/** Router, routes and sub-resource mounts of a resource class. */
export function extractJaxrsResource(cls: ClassInfo, ctx: ExtractContext): void {
  const { file, facts } = ctx;
  const classPath = findAnnotation(cls.annotations, 'Path');
  const root = !!classPath;
  facts.routers.push({ id: cls.localName, prefixes: [pathOf(classPath, cls, ctx)], root, evidence: evidenceOf(file.path, cls.node), label: cls.name });
  if (root) facts.java.jaxrsRouters.push(cls.localName);
  for (const r of jaxrsRoutes(cls, cls.localName, ctx)) facts.routes.push(r);
}

/** A resource interface: its routes wait for an implementing class (or are a REST client's). */
export function jaxrsTemplate(cls: ClassInfo, ctx: ExtractContext): TemplateFact {
  const classPath = findAnnotation(cls.annotations, 'Path');
  return {
    name: cls.name,
    qualified: cls.qualified,
    framework: 'jaxrs',
    prefixes: classPath ? [pathOf(classPath, cls, ctx)] : [],
    routes: jaxrsRoutes(cls, cls.name, ctx),
    supers: [...cls.interfaces, ...(cls.superclass ? [cls.superclass] : [])],
    client: !!findAnnotation(cls.annotations, 'RegisterRestClient', 'RegisterClientHeaders', 'RegisterProvider'),
  };
}

export function jaxrsRoutes(cls: ClassInfo, routerId: string, ctx: ExtractContext): JavaRouteFact[] {
  const { file } = ctx;
  const classConsumes = mediaTypes(findAnnotation(cls.annotations, 'Consumes')?.value, cls, file);
  const classProduces = mediaTypes(findAnnotation(cls.annotations, 'Produces')?.value, cls, file);
  const routes: JavaRouteFact[] = [];
  for (const method of cls.methods) {
    const anns = annotationsOf(method);
    const { verb, ignored } = verbOf(anns);
    const pathAnn = findAnnotation(anns, 'Path');
    const name = method.childForFieldName('name')?.text ?? '?';
    if (ignored) continue;
    if (!verb) {
      if (pathAnn) locator(method, pathAnn, cls, routerId, ctx);
      continue;
    }
    const template = normalizeTemplate(pathAnn ? (evalString(pathAnn.value, cls, file) ?? '') : '');
    const sub = template.path;
    const consumes = mediaTypes(findAnnotation(anns, 'Consumes')?.value, cls, file);
    const produces = mediaTypes(findAnnotation(anns, 'Produces')?.value, cls, file);
    const contentIn = (consumes.length ? consumes : classConsumes)[0];
    const contentOut = (produces.length ? produces : classProduces)[0];
    const declared = returnInfo(method, new Set(cls.typeParams));
    const status = statusOf(findAnnotation(anns, 'ResponseStatus')?.value) ?? (declared.void && !declared.statusCarrying ? 204 : 200);
    const { responses, body: analysis, bodies } = handlerResponses(method, cls, ctx, declared, status, contentOut && contentOut !== 'application/json' ? contentOut : undefined);
    const route: JavaRouteFact = {
      router: routerId,
      methods: [verb],
      paths: [sub],
      handler: `${cls.name}.${name}`,
      operationName: name,
      params: [],
      responses,
      evidence: evidenceOf(file.path, method),
      ruleIds: [...new Set(bodies.flatMap((b) => ctx.rulesOf(b.parent ?? b)))],
      tags: [cls.name],
      servedBy: 'jaxrs',
      ...(anns.length + cls.annotations.length > 0 ? { bindings: [...new Set([...anns, ...cls.annotations].map((a) => a.name))] } : {}),
      ...docsOf(method, anns, cls, file),
    };
    const multipart = contentIn === 'multipart/form-data';
    let validated: SyntaxNode | undefined;
    for (const p of method.childForFieldName('parameters')?.namedChildren ?? []) {
      if (p.type !== 'formal_parameter') continue;
      const pAnns = annotationsOf(p);
      const pName = p.childForFieldName('name')?.text ?? '?';
      const type = parseType(p.childForFieldName('type'));
      const ev = evidenceOf(file.path, p);
      if (findAnnotation(pAnns, 'Valid')) validated ??= p;
      const bean = findAnnotation(pAnns, 'BeanParam', 'MultipartForm');
      if (bean) {
        if (type) (route.beanParams ??= []).push(type.name);
        continue;
      }
      const binding = pAnns.find((a) => a.name in PARAMS);
      if (binding) {
        const where = PARAMS[binding.name]!;
        const pname = evalString(binding.value, cls, file) || pName;
        const ps = paramSchema(type, pAnns, cls, file);
        const def = evalString(findAnnotation(pAnns, 'DefaultValue')?.value, cls, file);
        const schema = def !== undefined && !def.includes('{{const:') ? ({ ...ps.schema, default: defaultFor(ps.schema, def) } as Schema) : ps.schema;
        route.params.push({ name: pname, in: where, required: where === 'path' || ps.required, schema, evidence: ev });
        paramRule(ctx, route, pname, ps.constrained, ev);
        continue;
      }
      if (pAnns.some((a) => NOT_ENTITY.has(a.name)) || !type) continue;
      if (/^(AsyncResponse|SecurityContext|UriInfo|HttpHeaders|Request|HttpServletRequest|HttpServletResponse|ContainerRequestContext|Sse|SseEventSink|RoutingContext|HttpServerRequest)$/.test(type.name)) continue;
      const schema = schemaOf(type) ?? {};
      route.body = { schema, ...(contentIn && contentIn !== 'application/json' ? { contentType: contentIn } : {}) };
    }
    if (multipart && !route.body) {
      // Multipart parts are form fields with their own content.
      const parts = route.params.filter((p) => p.in === 'form');
      if (parts.length) {
        route.params = route.params.filter((p) => p.in !== 'form');
        route.body = {
          schema: { type: 'object', properties: Object.fromEntries(parts.map((p) => [p.name, p.schema ?? { type: 'string' }])), ...(parts.some((p) => p.required) ? { required: parts.filter((p) => p.required).map((p) => p.name) } : {}) } as Schema,
          contentType: 'multipart/form-data',
        };
      }
    }
    mergeTemplateParams(route.params, template.params);
    // Headers and query parameters read from an injected request (`@Context HttpHeaders h; h.getHeaderString("X")`).
    for (const read of requestReads(bodies, { file, cls })) {
      const key = `${read.in}:${read.in === 'header' ? read.name.toLowerCase() : read.name}`;
      if (!route.params.some((q) => `${q.in}:${q.in === 'header' ? q.name.toLowerCase() : q.name}` === key)) route.params.push(read);
    }
    if (validated) route.validated = { exception: 'ConstraintViolationException', evidence: evidenceOf(file.path, validated) };
    if (analysis.thrown.length) route.thrown = analysis.thrown;
    routes.push(route);
  }
  return routes;
}

/** A sub-resource locator: mounts the class it returns under its `@Path`. */
function locator(method: SyntaxNode, pathAnn: Annotation, cls: ClassInfo, routerId: string, ctx: ExtractContext): void {
  const { file, facts } = ctx;
  let target = parseType(method.childForFieldName('type'));
  if (target?.name === 'Class' && target.args[0]) target = target.args[0];
  let targetName = target?.name;
  if (!targetName || targetName === 'Object' || targetName === '?' || targetName === 'void') {
    // `return new ItemResource(...)` or `resourceContext.getResource(ItemResource.class)`.
    const body = method.childForFieldName('body');
    const created = body ? descendants(body, ['object_creation_expression', 'class_literal']) : [];
    targetName = created.map((n) => parseType(n.type === 'class_literal' ? n.namedChildren[0] : n.childForFieldName('type'))?.name).find((n) => n && n !== 'Object');
  }
  const evidence = evidenceOf(file.path, method);
  if (!targetName) {
    ctx.diagnostics.push({ path: file.path, line: evidence.startLine, severity: 'warning', message: `sub-resource locator ${cls.name}.${method.childForFieldName('name')?.text} returns a type the analyzer cannot tell; its routes are not mounted` });
    return;
  }
  const raw = evalString(pathAnn.value, cls, file) ?? '';
  const module = qualifiedRef(file, targetName);
  facts.mounts.push({ parent: routerId, prefixes: [normalizeTemplate(raw).path], target: { name: targetName, ...(module && module !== `${file.pkg}.${targetName}` ? { module } : {}) }, evidence });
}

/** `@ApplicationPath` on an `Application` / `ResourceConfig` subclass. */
export function readApplicationPath(cls: ClassInfo, ctx: ExtractContext): void {
  const a = findAnnotation(cls.annotations, 'ApplicationPath');
  if (!a) return;
  const path = evalString(a.value, cls, ctx.file);
  if (path === undefined) return;
  ctx.facts.java.applicationPaths.push({ path: normalizeTemplate(path.replace(/\/\*$/, '')).path, evidence: evidenceOf(ctx.file.path, cls.node) });
}

/** Fields and setters of a class annotated with JAX-RS parameter annotations (a `@BeanParam` class). */
export function readBean(cls: ClassInfo, ctx: ExtractContext): void {
  const { file } = ctx;
  const params: ParamFact[] = [];
  for (const m of cls.body?.namedChildren ?? []) {
    if (m.type !== 'field_declaration' && m.type !== 'method_declaration') continue;
    const anns = annotationsOf(m);
    const binding = anns.find((a) => a.name in PARAMS);
    if (!binding) continue;
    let typeNode = m.childForFieldName('type');
    let fallback = m.namedChildren.find((c) => c.type === 'variable_declarator')?.childForFieldName('name')?.text;
    if (m.type === 'method_declaration') {
      const p = m.childForFieldName('parameters')?.namedChildren.find((c) => c.type === 'formal_parameter');
      typeNode = p?.childForFieldName('type') ?? null;
      fallback = m.childForFieldName('name')?.text.replace(/^set(.)/, (_x, c: string) => c.toLowerCase());
    }
    const where = PARAMS[binding.name]!;
    const name = evalString(binding.value, cls, file) || fallback;
    if (!name) continue;
    const ps = paramSchema(parseType(typeNode), anns, cls, file);
    const def = evalString(findAnnotation(anns, 'DefaultValue')?.value, cls, file);
    params.push({ name, in: where, required: where === 'path' || ps.required, schema: def !== undefined ? ({ ...ps.schema, default: defaultFor(ps.schema, def) } as Schema) : ps.schema, evidence: evidenceOf(file.path, m) });
  }
  if (params.length) ctx.facts.java.beans[cls.name] = params;
}

export function isAbstract(cls: ClassInfo): boolean {
  return cls.kind === 'interface' || modifierWords(cls.node).has('abstract');
}
