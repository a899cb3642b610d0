/**
 * Spring MVC / WebFlux annotated controllers: `@RestController`, and `@Controller` whose class or
 * method has `@ResponseBody` or whose method returns `ResponseEntity`/`HttpEntity` (a plain
 * `@Controller` method returning a view name or `ModelAndView` renders HTML, so it is no JSON
 * API operation: it is left out and named in an info diagnostic). Class- and method-level
 * `@RequestMapping` (value/path arrays, method arrays, consumes/produces, params/headers
 * conditions) and the `@Get/Post/Put/Delete/PatchMapping` shortcuts; a `@RequestMapping` with
 * no `method` serves every method and is written as GET with a note. Parameters from
 * `@PathVariable`, `@RequestParam`, `@RequestHeader`, `@CookieValue`, `@RequestBody`,
 * `@RequestPart`, `@ModelAttribute` (and Spring's implicit binding of unannotated parameters),
 * `Pageable`; responses from the return type, `@ResponseStatus` and the body.
 * Interfaces and abstract classes with mappings are templates served by their implementations.
 */
import type { HttpMethod, ParamFact, RouteFact } from '../service/facts.js';
import { joinPaths } from '../service/paths.js';
import type { Schema } from '../service/schema.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { applyModelAttributes } from './advice.js';
import { constraintStatement } from './constraints.js';
import { defaultFor, docsOf, handlerResponses, mediaTypes, mergeTemplateParams, normalizeTemplate, paramSchema, resolvePropertyPlaceholders, returnInfo, type ExtractContext } from './handlers.js';
import { requestReads } from './request-reads.js';
import { statusOf } from './responses.js';
import type { JavaRouteFact } from './facts.js';
import { annotationsOf, booleanValue, elementsOf, enumName, evalString, evalStrings, findAnnotation, modifierWords, type Annotation, type ClassInfo } from './syntax.js';
import { isSimpleType, parseType, schemaOf } from './types.js';

const SHORTCUTS: Record<string, HttpMethod> = {
  GetMapping: 'get', PostMapping: 'post', PutMapping: 'put', DeleteMapping: 'delete', PatchMapping: 'patch',
  // Spring 6.1+ serves `@HttpExchange` interfaces implemented by a controller.
  GetExchange: 'get', PostExchange: 'post', PutExchange: 'put', DeleteExchange: 'delete', PatchExchange: 'patch',
};
const MAPPINGS = new Set(['RequestMapping', 'HttpExchange', ...Object.keys(SHORTCUTS)]);

export function isSpringController(c: ClassInfo): boolean {
  return !!findAnnotation(c.annotations, 'RestController', 'Controller');
}

export function hasSpringMappings(c: ClassInfo): boolean {
  return c.methods.some((m) => annotationsOf(m).some((a) => MAPPINGS.has(a.name)));
}

interface Mapping {
  methods: HttpMethod[];
  anyMethod: boolean;
  paths: string[];
  consumes: string[];
  produces: string[];
  conditions: ParamFact[];
}

function readMapping(a: Annotation, cls: ClassInfo, ctx: ExtractContext): Mapping {
  const { file } = ctx;
  let methods: HttpMethod[] = [];
  let anyMethod = false;
  if (SHORTCUTS[a.name]) methods = [SHORTCUTS[a.name]!];
  else {
    for (const e of elementsOf(a.args.get('method'))) {
      const m = (enumName(e) ?? evalString(e, cls, ctx.file))?.toLowerCase();
      // `RequestMethod.HEAD` is listed only where the code names it (Spring answers HEAD for GETs on its own).
      if (m === 'get' || m === 'post' || m === 'put' || m === 'delete' || m === 'patch' || m === 'head') methods.push(m);
    }
    if (!a.args.has('method')) anyMethod = true;
  }
  const raw = [...evalStrings(a.value, cls, file), ...evalStrings(a.args.get('path'), cls, file), ...evalStrings(a.args.get('url'), cls, file)];
  const paths = raw.length ? raw.map((p) => resolvePropertyPlaceholders(p, ctx.config)) : [''];
  const conditions: ParamFact[] = [];
  for (const [key, where] of [['params', 'query'], ['headers', 'header']] as const) {
    for (const cond of evalStrings(a.args.get(key), cls, file)) {
      const m = /^\s*([^!=\s]+)\s*(!?=)?\s*(.*)$/.exec(cond);
      if (!m || cond.trim().startsWith('!') || m[2] === '!=') continue;
      const name = m[1]!;
      if (where === 'header' && /^(accept|content-type)$/i.test(name)) continue;
      conditions.push({ name, in: where, required: true, schema: m[3] ? ({ type: 'string', const: m[3] } as Schema) : { type: 'string' } });
    }
  }
  return { methods, anyMethod, paths, consumes: mediaTypes(a.args.get('consumes'), cls, file), produces: mediaTypes(a.args.get('produces'), cls, file), conditions };
}

/** Class-level mapping of a controller or template: prefixes and defaults for its methods. */
export function classMapping(cls: ClassInfo, ctx: ExtractContext): Mapping | undefined {
  const a = findAnnotation(cls.annotations, 'RequestMapping', 'HttpExchange');
  return a ? readMapping(a, cls, ctx) : undefined;
}

/** Routes of the mapped methods of a controller (router id `routerId`) or template. */
export function springRoutes(cls: ClassInfo, routerId: string, ctx: ExtractContext, options: { template: boolean }): JavaRouteFact[] {
  const classMap = classMapping(cls, ctx);
  const classBody = !!findAnnotation(cls.annotations, 'RestController', 'ResponseBody');
  const routes: JavaRouteFact[] = [];
  const views: string[] = [];
  for (const method of cls.methods) {
    const anns = annotationsOf(method);
    const mappingAnn = anns.find((a) => MAPPINGS.has(a.name));
    if (!mappingAnn) continue;
    const name = method.childForFieldName('name')?.text ?? '?';
    const declared = returnInfo(method, new Set(cls.typeParams));
    const returnName = declared.type?.name;
    const isJson = classBody || !!findAnnotation(anns, 'ResponseBody') || declared.statusCarrying || (options.template && !findAnnotation(cls.annotations, 'Controller'));
    if (!isJson && (returnName === 'String' || returnName === 'ModelAndView' || returnName === 'View' || returnName === 'void' || returnName === 'RedirectView' || !declared.statusCarrying)) {
      views.push(name);
      continue;
    }
    const route = springRoute(method, anns, mappingAnn, cls, routerId, classMap, ctx, declared);
    if (route) routes.push(route);
  }
  if (views.length > 0 && !options.template) {
    ctx.diagnostics.push({
      path: ctx.file.path,
      line: evidenceOf(ctx.file.path, cls.node).startLine,
      severity: 'info',
      message: `${cls.name} is a @Controller without @ResponseBody: ${views.join(', ')} render${views.length === 1 ? 's' : ''} a view (HTML), not a JSON API operation, and ${views.length === 1 ? 'is' : 'are'} left out of openapi.yaml`,
    });
  }
  return routes;
}

function springRoute(
  method: SyntaxNode,
  anns: Annotation[],
  mappingAnn: Annotation,
  cls: ClassInfo,
  routerId: string,
  classMap: Mapping | undefined,
  ctx: ExtractContext,
  declared: ReturnType<typeof returnInfo>,
): JavaRouteFact | undefined {
  const { file } = ctx;
  const name = method.childForFieldName('name')?.text ?? '?';
  const mapping = readMapping(mappingAnn, cls, ctx);
  const notes: string[] = [];
  let methods = mapping.methods;
  if (methods.length === 0 && classMap && classMap.methods.length > 0) methods = classMap.methods;
  if (methods.length === 0) {
    methods = ['get'];
    notes.push('@RequestMapping without `method` serves every HTTP method; written as GET');
  }
  const params: ParamFact[] = [...(classMap?.conditions ?? []), ...mapping.conditions];
  const paths: string[] = [];
  const templateParams: ParamFact[] = [];
  for (const raw of mapping.paths) {
    const n = normalizeTemplate(raw);
    paths.push(n.path);
    templateParams.push(...n.params.filter((p) => !templateParams.some((t) => t.name === p.name)));
  }
  // Path parameter types come from the @PathVariable declarations below; the template supplies the rest.
  const consumes = mapping.consumes.length ? mapping.consumes : (classMap?.consumes ?? []);
  const produces = mapping.produces.length ? mapping.produces : (classMap?.produces ?? []);
  const responseStatus = findAnnotation(anns, 'ResponseStatus');
  const success = statusOf(responseStatus?.value ?? responseStatus?.args.get('code')) ?? 200;
  const evidence = evidenceOf(file.path, method);
  const produced = produces[0] ?? (declared.type?.name === 'String' ? 'text/plain' : undefined);
  const { responses, body: analysis, bodies } = handlerResponses(method, cls, ctx, declared, success, produced && produced !== 'application/json' ? produced : undefined);
  const route: JavaRouteFact = {
    router: routerId,
    methods: [...new Set(methods)],
    paths: [...new Set(paths)],
    handler: `${cls.name}.${name}`,
    operationName: name,
    params,
    responses,
    evidence,
    ruleIds: [...new Set(bodies.flatMap((b) => ctx.rulesOf(b.parent ?? b)))],
    tags: [cls.name],
    servedBy: 'spring',
    ...docsOf(method, anns, cls, file),
  };
  let validated: SyntaxNode | undefined;
  const multipart: Record<string, Schema> = {};
  const multipartRequired: string[] = [];
  for (const p of method.childForFieldName('parameters')?.namedChildren ?? []) {
    if (p.type !== 'formal_parameter') continue;
    const pAnns = annotationsOf(p);
    const pName = p.childForFieldName('name')?.text ?? '?';
    const type = parseType(p.childForFieldName('type'));
    const typeName = type?.name ?? '';
    const nameArg = (a: Annotation): string => evalString(a.args.get('name') ?? a.value, cls, file) || pName;
    const optional = typeName === 'Optional';
    if (findAnnotation(pAnns, 'Valid', 'Validated')) validated ??= p;
    const path = findAnnotation(pAnns, 'PathVariable');
    const query = findAnnotation(pAnns, 'RequestParam');
    const header = findAnnotation(pAnns, 'RequestHeader');
    const cookie = findAnnotation(pAnns, 'CookieValue');
    const bodyAnn = findAnnotation(pAnns, 'RequestBody');
    const part = findAnnotation(pAnns, 'RequestPart');
    const model = findAnnotation(pAnns, 'ModelAttribute');
    const isMap = /^(Map|HashMap|MultiValueMap|LinkedMultiValueMap|HttpHeaders)$/.test(typeName);
    const ev = evidenceOf(file.path, p);
    const addParam = (where: ParamFact['in'], a: Annotation): void => {
      if (isMap && !a.value && !a.args.has('name')) return;
      const ps = paramSchema(type, pAnns, cls, file);
      const def = evalString(a.args.get('defaultValue'), cls, file);
      let required = where === 'path' ? true : booleanValue(a.args.get('required')) !== false && def === undefined && !optional;
      if (ps.required) required = true;
      const schema = def !== undefined && !def.includes('{{const:') ? ({ ...ps.schema, default: defaultFor(ps.schema, def) } as Schema) : ps.schema;
      const pname = nameArg(a);
      if (typeName === 'MultipartFile' || typeName === 'Part' || (type?.args[0]?.name === 'MultipartFile')) {
        multipart[pname] = schemaOf(type) ?? { type: 'string', format: 'binary' };
        if (required) multipartRequired.push(pname);
        return;
      }
      params.push({ name: pname, in: where, required, schema, evidence: ev });
      paramRule(ctx, route, pname, ps.constrained, ev);
    };
    if (path) addParam('path', path);
    else if (query) addParam('query', query);
    else if (header) addParam('header', header);
    else if (cookie) addParam('cookie', cookie);
    else if (bodyAnn) {
      const schema = schemaOf(type) ?? {};
      route.body = { schema, ...(consumes[0] && consumes[0] !== 'application/json' ? { contentType: consumes[0] } : {}) };
    } else if (part) {
      const pname = nameArg(part);
      multipart[pname] = schemaOf(type) ?? { type: 'string', format: 'binary' };
      if (booleanValue(part.args.get('required')) !== false) multipartRequired.push(pname);
    } else if (typeName === 'Pageable') {
      route.pageable = true;
      params.push({ name: 'page', in: 'query', schema: { type: 'integer', minimum: 0 } as Schema }, { name: 'size', in: 'query', schema: { type: 'integer', minimum: 1 } as Schema }, { name: 'sort', in: 'query', schema: { type: 'array', items: { type: 'string' } } as Schema });
    } else if (typeName === 'Sort') {
      params.push({ name: 'sort', in: 'query', schema: { type: 'array', items: { type: 'string' } } as Schema });
    } else if (typeName === 'HttpEntity' || typeName === 'RequestEntity') {
      route.body = { schema: schemaOf(type?.args[0]) ?? {} };
    } else {
      const builtIn = IGNORED_PARAMS.has(typeName) || /^(javax|jakarta|org\.springframework)/.test(p.childForFieldName('type')?.text ?? '');
      let bound: NonNullable<JavaRouteFact['resolvable']>[number]['bound'] = 'none';
      if (model || (pAnns.every((a) => a.name === 'Valid' || a.name === 'Validated' || a.name === 'ModelAttribute') && !builtIn)) {
        // Spring binds an unannotated simple parameter as a request parameter, any other as a model attribute.
        if (isSimpleType(type) && !model) {
          const ps = paramSchema(type, pAnns, cls, file);
          params.push({ name: pName, in: 'query', required: ps.required, schema: ps.schema, evidence: ev });
          bound = 'query';
        } else if (type && !isSimpleType(type) && !isMap && schemaOf(type) && '$ref' in (schemaOf(type) as object)) {
          params.push({ name: pName, in: 'query', fromType: type.name, evidence: ev });
          bound = 'fromType';
        }
      }
      // Custom argument resolvers come before Spring's catch-all binding: the Java link step hands
      // this parameter to one that supports its type or annotation, when the sources declare one.
      if (!model && !builtIn && typeName) {
        const annotations = pAnns.map((a) => a.name).filter((a) => a !== 'Valid' && a !== 'Validated');
        (route.resolvable ??= []).push({ name: pName, type: typeName, annotations, bound });
      }
    }
  }
  // Headers and query parameters the handler reads from the raw request (`request.getHeader("X")`).
  for (const read of requestReads(bodies, { file, cls })) {
    const key = `${read.in}:${read.in === 'header' ? read.name.toLowerCase() : read.name}`;
    if (params.some((q) => `${q.in}:${q.in === 'header' ? q.name.toLowerCase() : q.name}` === key)) continue;
    params.push(read);
  }
  mergeTemplateParams(params, templateParams);
  if (Object.keys(multipart).length > 0 && !route.body) {
    route.body = { schema: { type: 'object', properties: multipart, ...(multipartRequired.length ? { required: multipartRequired } : {}) } as Schema, contentType: 'multipart/form-data' };
  }
  if (validated) route.validated = { exception: route.body ? 'MethodArgumentNotValidException' : 'ConstraintViolationException', evidence: evidenceOf(file.path, validated) };
  if (analysis.thrown.length) route.thrown = analysis.thrown;
  if (notes.length) route.notes = notes;
  if (mapping.conditions.length) route.conditioned = true;
  return route;
}

/** Parameters Spring resolves from the request machinery, never from request data. */
const IGNORED_PARAMS = new Set([
  'HttpServletRequest', 'HttpServletResponse', 'ServletRequest', 'ServletResponse', 'HttpSession', 'Principal', 'Authentication', 'Model',
  'ModelMap', 'BindingResult', 'Errors', 'Locale', 'TimeZone', 'ZoneId', 'WebRequest', 'NativeWebRequest', 'ServerWebExchange',
  'ServerHttpRequest', 'ServerHttpResponse', 'UriComponentsBuilder', 'RedirectAttributes', 'SessionStatus', 'InputStream', 'Reader',
  'OutputStream', 'Writer', 'HttpMethod', 'HttpHeaders', 'JwtAuthenticationToken', 'Jwt', 'OAuth2User', 'OidcUser', 'UserDetails',
  'Map', 'MultiValueMap', 'SecurityContext', 'ServerRequest', 'Continuation',
]);

/** A validation rule for a constrained handler parameter. */
export function paramRule(ctx: ExtractContext, route: RouteFact, name: string, c: { clauses: string[]; applied: string[]; messages: string[] }, evidence: RouteFact['evidence']): void {
  if (c.applied.length === 0) return;
  const rule = ctx.addRule({
    kind: 'validation',
    scope: route.handler,
    statement: `${constraintStatement(`parameter ${name}`, c.clauses)}${c.messages.length ? ` (message: ${c.messages.map((m) => `"${m}"`).join(', ')})` : ''}`,
    condition: c.applied.join(' '),
    effects: c.messages.length ? c.messages.map((m) => `reject with "${m}"`) : ['reject the request (400) when violated'],
    fields: [name],
    evidence: [evidence],
  });
  route.ruleIds.push(rule.id);
}

/** Adds a controller's router and routes to the facts. */
export function extractSpringController(cls: ClassInfo, ctx: ExtractContext): void {
  const { file, facts } = ctx;
  const classMap = classMapping(cls, ctx);
  const springPath = ctx.config?.springPath ?? '';
  const contextPath = ctx.config?.contextPath ?? '';
  const prefixes = (classMap?.paths ?? ['']).map((p) => joinPaths(contextPath, springPath, normalizeTemplate(p).path));
  facts.routers.push({ id: cls.localName, prefixes: prefixes.map((p) => (p === '/' ? '' : p)), root: true, evidence: evidenceOf(file.path, cls.node), label: cls.name });
  const routes = mergeVariants(springRoutes(cls, cls.localName, ctx, { template: false }));
  applyModelAttributes(routes, cls, ctx);
  for (const r of routes) facts.routes.push(r);
}

/**
 * Handlers of one method and path told apart by `params`/`headers` conditions (`params = "author"`)
 * are one OpenAPI operation: their parameters are united (required only where every variant
 * requires them), and so are their statuses and rules.
 */
export function mergeVariants(routes: JavaRouteFact[]): JavaRouteFact[] {
  const out: JavaRouteFact[] = [];
  const byKey = new Map<string, JavaRouteFact[]>();
  for (const r of routes) {
    const key = `${r.methods.join(',')} ${r.paths.join(',')}`;
    const list = byKey.get(key);
    if (list) list.push(r);
    else {
      byKey.set(key, [r]);
      out.push(r);
    }
  }
  for (const list of byKey.values()) {
    if (list.length < 2 || !list.some((r) => r.conditioned)) continue;
    const first = list.find((r) => !r.conditioned) ?? list[0]!;
    const names = new Map<string, ParamFact>();
    for (const r of list) for (const p of r.params) if (!names.has(`${p.in}:${p.name}`)) names.set(`${p.in}:${p.name}`, { ...p });
    for (const [key, p] of names) if (p.required && p.in !== 'path' && !list.every((r) => r.params.some((q) => `${q.in}:${q.name}` === key && q.required))) p.required = false;
    first.params = [...names.values()];
    first.responses = list.flatMap((r) => r.responses);
    first.ruleIds = [...new Set(list.flatMap((r) => r.ruleIds))];
    first.thrown = list.flatMap((r) => r.thrown ?? []);
    first.notes = [...(first.notes ?? []), `served by ${list.length} handlers chosen by request parameters or headers: ${list.map((r) => r.handler).join(', ')}`];
    first.pageable = list.some((r) => r.pageable) || undefined;
    const at = out.indexOf(list[0]!);
    out.splice(at, 1, first);
  }
  return out;
}

/** Whether a class declares abstract methods only (an interface) or is abstract. */
export function isTemplateClass(cls: ClassInfo): boolean {
  return cls.kind === 'interface' || modifierWords(cls.node).has('abstract');
}
