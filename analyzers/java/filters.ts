/**
 * Request handling that runs around the handlers and reads the request itself: servlet filters
 * (`javax/jakarta.servlet.Filter`, `OncePerRequestFilter`, `GenericFilterBean`, `HttpFilter`, Spring
 * Security filters), Spring MVC interceptors (`HandlerInterceptor`, `AsyncHandlerInterceptor`,
 * `WebRequestInterceptor`, `HandlerInterceptorAdapter`), WebFlux `WebFilter`s and JAX-RS
 * `ContainerRequestFilter`s. A header such a class reads by name (`request.getHeader("X-Flow-Id")`)
 * is an input of every operation it covers, so the link step writes it as an optional header
 * parameter of those operations, with a note naming the class and its registration.
 *
 * Which operations a class covers comes from its registration (`registrations.ts`): the URL
 * patterns of a `FilterRegistrationBean` or `@WebFilter` (servlet url-patterns), an interceptor's
 * `addPathPatterns`/`excludePathPatterns` (Ant patterns), or every request for a filter bean
 * (Spring Boot), a `@Provider` JAX-RS filter, a security-chain filter. Servlet filters see every
 * request of the servlet container (Spring, JAX-RS and plain servlets); interceptors and WebFlux
 * filters only Spring's handlers; JAX-RS filters only JAX-RS resources, and a JAX-RS filter carrying
 * a `@NameBinding` annotation only the resource methods or classes annotated with it. A class
 * nothing registers is dead code here and covers nothing. A class extending a project filter
 * inherits its kind and reads.
 *
 * Standard HTTP headers a filter reads for logging, tracing or content coding (`User-Agent`,
 * `Content-Encoding`, `Accept-Encoding`, `X-Forwarded-For`, …) are not written: every client and
 * proxy sends them, they are no input of the API, and OpenAPI keeps `Accept`, `Content-Type` and
 * `Authorization` out of parameters anyway. A handler's own reads of them stay.
 */
import type { ParamFact } from '../service/facts.js';
import { joinPaths } from '../service/paths.js';
import { descendants, evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import type { InterceptorFact, InterceptorKind, JavaRouteFact, RegistrationFact } from './facts.js';
import type { ExtractContext } from './handlers.js';
import type { Entry } from './inherit.js';
import { registrationSite } from './registrations.js';
import { requestReads } from './request-reads.js';
import { evalStrings, findAnnotation, type ClassInfo } from './syntax.js';

const FILTER_SUPERCLASSES = /^(OncePerRequestFilter|GenericFilterBean|HttpFilter|GenericFilter|AbstractRequestLoggingFilter|CommonsRequestLoggingFilter|AbstractAuthenticationProcessingFilter|AbstractPreAuthenticatedProcessingFilter|RequestHeaderAuthenticationFilter|BasicAuthenticationFilter|UsernamePasswordAuthenticationFilter)$/;
const FRAMEWORK_PACKAGE = /^(javax\.servlet|jakarta\.servlet|org\.springframework)\./;

/** Headers any HTTP client or proxy sends (RFC 9110, 9111, 6265, 7239, 6454, CORS, fetch metadata, de-facto proxy headers). */
const STANDARD_HEADERS = new Set(
  [
    'Accept', 'Accept-Charset', 'Accept-Encoding', 'Accept-Language', 'Authorization', 'Cache-Control', 'Connection', 'Content-Encoding',
    'Content-Language', 'Content-Length', 'Content-Location', 'Content-MD5', 'Content-Range', 'Content-Type', 'Cookie', 'Date', 'Expect',
    'Forwarded', 'From', 'Host', 'Keep-Alive', 'Max-Forwards', 'Origin', 'Pragma', 'Proxy-Authorization', 'Proxy-Connection', 'Referer',
    'TE', 'Trailer', 'Transfer-Encoding', 'Upgrade', 'Upgrade-Insecure-Requests', 'User-Agent', 'Via', 'Warning', 'DNT',
    'Access-Control-Request-Method', 'Access-Control-Request-Headers', 'Sec-Fetch-Dest', 'Sec-Fetch-Mode', 'Sec-Fetch-Site', 'Sec-Fetch-User',
    'X-Forwarded-For', 'X-Forwarded-Host', 'X-Forwarded-Proto', 'X-Forwarded-Port', 'X-Forwarded-Prefix', 'X-Forwarded-Ssl', 'X-Real-IP',
  ].map((h) => h.toLowerCase()),
);

const KIND_LABEL: Record<InterceptorKind, string> = {
  filter: 'servlet filter',
  interceptor: 'Spring MVC interceptor',
  webfilter: 'WebFlux filter',
  'jaxrs-filter': 'JAX-RS request filter',
};

/** The kind of request handling a class's own supertypes name, if any. */
export function interceptorKind(cls: ClassInfo, ctx: ExtractContext): InterceptorKind | undefined {
  return kindOfSupers(cls.superclass, cls.interfaces, ctx);
}

function kindOfSupers(superclass: string | undefined, interfaces: readonly string[], ctx: ExtractContext): InterceptorKind | undefined {
  const imported = (name: string): string | undefined => ctx.file.imports.get(name) ?? (ctx.file.wildcardImports.some((w) => /^(javax|jakarta)\.servlet$/.test(w)) ? `javax.servlet.${name}` : undefined);
  if (superclass) {
    if (FILTER_SUPERCLASSES.test(superclass)) return 'filter';
    if (/Filter$/.test(superclass) && FRAMEWORK_PACKAGE.test(imported(superclass) ?? '') && !/\.reactive\./.test(imported(superclass) ?? '')) return 'filter';
    if (superclass === 'HandlerInterceptorAdapter') return 'interceptor';
  }
  for (const i of interfaces) {
    if (i === 'Filter' && /^(javax|jakarta)\.servlet\.Filter$/.test(imported(i) ?? '')) return 'filter';
    if (i === 'HandlerInterceptor' || i === 'AsyncHandlerInterceptor' || i === 'WebRequestInterceptor') return 'interceptor';
    if (i === 'WebFilter') return 'webfilter';
    if (i === 'ContainerRequestFilter') return 'jaxrs-filter';
  }
  return undefined;
}

/**
 * Records a class as request handling when its supertypes say so, or when it extends some class and
 * reads request headers (its base may be a project filter).
 */
export function readInterceptor(cls: ClassInfo, ctx: ExtractContext): void {
  if (cls.kind !== 'class') return;
  const kind = interceptorKind(cls, ctx);
  if (!kind && !cls.superclass) return;
  const params = requestReads([cls.node], { file: ctx.file, cls });
  const auto = autoRegistration(cls, ctx);
  if (!kind && params.length === 0 && !auto) return;
  const fact: InterceptorFact = { name: cls.name, qualified: cls.qualified, ...(kind ? { kind } : {}), ...(cls.superclass ? { superclass: cls.superclass } : {}), params, evidence: evidenceOf(ctx.file.path, cls.node) };
  if (auto) fact.auto = auto;
  if (cls.annotations.length) fact.annotations = cls.annotations.map((a) => a.name);
  (ctx.facts.java.interceptors ??= []).push(fact);
}

/** An anonymous class handed to a registration (`new OncePerRequestFilter() { … }`), under the name the registration uses. */
export function readAnonymousInterceptor(name: string, body: SyntaxNode, base: string, site: SyntaxNode, cls: ClassInfo, ctx: ExtractContext): void {
  const kind = kindOfSupers(base, [base], ctx);
  const params = requestReads([body], { file: ctx.file, cls });
  if (!kind && params.length === 0) return;
  (ctx.facts.java.interceptors ??= []).push({ name, qualified: name, ...(kind ? { kind } : { superclass: base }), params, evidence: evidenceOf(ctx.file.path, site) });
}

/**
 * Registration without code: `@WebFilter`, a web.xml `<filter-mapping>`, a Spring bean (Spring Boot puts filter beans on every
 * request), a JAX-RS `@Provider`. Whether it applies depends on the kind, settled at link time
 * (the kind may come from a base class in another file).
 */
function autoRegistration(cls: ClassInfo, ctx: ExtractContext): InterceptorFact['auto'] {
  const web = findAnnotation(cls.annotations, 'WebFilter');
  if (web) {
    const patterns = [...evalStrings(web.value, cls, ctx.file), ...evalStrings(web.args.get('urlPatterns'), cls, ctx.file)];
    return { as: 'filter', patterns, via: '@WebFilter', evidence: evidenceOf(ctx.file.path, web.node) };
  }
  const declared = ctx.config?.filters?.find((f) => f.className === cls.qualified);
  if (declared) return { as: 'filter', patterns: [...new Set(declared.patterns)], via: `web.xml <filter> ${declared.name}`, evidence: { path: declared.path, startLine: declared.line, endLine: declared.line } };
  const bean = findAnnotation(cls.annotations, 'Component', 'Service', 'Named', 'Configuration');
  if (bean) return { as: 'bean', patterns: [], via: `@${bean.name} (Spring Boot registers filter beans for every request)`, evidence: evidenceOf(ctx.file.path, bean.node) };
  const provider = findAnnotation(cls.annotations, 'Provider');
  if (provider) return { as: 'provider', patterns: [], via: '@Provider', evidence: evidenceOf(ctx.file.path, provider.node) };
  return undefined;
}

/** Annotation types this file declares with `@NameBinding`. */
export function readNameBindings(root: SyntaxNode, ctx: ExtractContext): void {
  for (const decl of descendants(root, 'annotation_type_declaration')) {
    const mods = decl.namedChildren.find((c) => c.type === 'modifiers');
    const isBinding = (mods?.namedChildren ?? []).some((a) => (a.type === 'marker_annotation' || a.type === 'annotation') && /(^|\.)NameBinding$/.test(a.childForFieldName('name')?.text ?? ''));
    const name = decl.childForFieldName('name')?.text;
    if (isBinding && name) (ctx.facts.java.nameBindings ??= []).push(name);
  }
}

// ---------------------------------------------------------------- link step

interface Coverage {
  className: string;
  /** JAX-RS name bindings: only resources carrying one of these. */
  bindings: string[];
  kind: InterceptorKind;
  params: ParamFact[];
  patterns: string[];
  excludes: string[];
  style: 'servlet' | 'ant';
  unresolved: boolean;
  registration: string;
}

/** Writes the headers filters and interceptors read onto the operations they cover. */
export function applyRequestFilters(entries: Entry[], expandName: (name: string, from: Entry) => string | undefined, covers: (c: Pick<Coverage, 'patterns' | 'excludes' | 'style'>, paths: readonly string[]) => boolean): void {
  const facts = new Map<string, { entry: Entry; fact: InterceptorFact }>();
  const superclasses = new Map<string, string>();
  for (const e of entries) {
    for (const f of e.facts.java.interceptors ?? []) {
      const item = { entry: e, fact: f };
      for (const key of [f.name, f.qualified]) if (!facts.has(key)) facts.set(key, item);
    }
    for (const [k, v] of Object.entries(e.facts.java.superclasses)) if (!superclasses.has(k)) superclasses.set(k, v);
  }
  // The class and its project bases: the nearest kind, every read.
  const resolve = (name: string, module?: string): { name: string; kind: InterceptorKind; params: ParamFact[] } | undefined => {
    let kind: InterceptorKind | undefined;
    const params: ParamFact[] = [];
    let cur: string | undefined = name;
    let first = module ? facts.get(module) : undefined;
    for (let depth = 0; cur && depth < 8; depth++) {
      const found: { entry: Entry; fact: InterceptorFact } | undefined = first ?? facts.get(cur);
      first = undefined;
      if (found) {
        kind ??= found.fact.kind;
        for (const p of found.fact.params) {
          const pname = expandName(p.name, found.entry);
          if (!pname || (p.in === 'header' && STANDARD_HEADERS.has(pname.toLowerCase()))) continue;
          if (!params.some((q) => q.in === p.in && q.name.toLowerCase() === pname.toLowerCase())) params.push({ ...p, name: pname });
        }
      }
      cur = found?.fact.superclass ?? superclasses.get(cur);
    }
    return kind && params.length > 0 ? { name, kind, params } : undefined;
  };

  const nameBindings = new Set(entries.flatMap((e) => e.facts.java.nameBindings ?? []));
  const bindingsOf = (name: string): string[] => (facts.get(name)?.fact.annotations ?? []).filter((a) => nameBindings.has(a));
  const coverages: Coverage[] = [];
  const explicit = new Set<string>();
  const registrations: RegistrationFact[] = entries.flatMap((e) => e.facts.java.registrations ?? []);
  for (const r of registrations) if (r.as === 'filter') explicit.add(r.target);
  const accepts = (kind: InterceptorKind, as: RegistrationFact['as']): boolean =>
    kind === 'filter' ? as === 'filter' || as === 'bean' : kind === 'interceptor' ? as === 'interceptor' : kind === 'webfilter' ? as === 'bean' || as === 'filter' : as === 'provider';
  const seen = new Set<string>();
  for (const r of registrations) {
    if (r.as === 'bean' && explicit.has(r.target)) continue; // Spring Boot: the registration bean replaces the bean's own registration
    const found = resolve(r.target, r.module);
    if (!found || !accepts(found.kind, r.as)) continue;
    const key = `${found.name}\u0000${r.as}\u0000${r.patterns.join(',')}\u0000${r.excludes.join(',')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    coverages.push({ className: found.name, bindings: bindingsOf(found.name), kind: found.kind, params: found.params, patterns: r.patterns, excludes: r.excludes, style: r.as === 'interceptor' ? 'ant' : 'servlet', unresolved: !!r.unresolved, registration: registrationSite(r) });
  }
  const registered = new Set(coverages.map((c) => c.className));
  for (const { fact } of new Set(facts.values())) {
    if (!fact.auto || registered.has(fact.name) || explicit.has(fact.name)) continue;
    const found = resolve(fact.name, fact.qualified);
    if (!found || !accepts(found.kind, fact.auto.as)) continue;
    coverages.push({ className: fact.name, bindings: bindingsOf(fact.name), kind: found.kind, params: found.params, patterns: fact.auto.patterns, excludes: [], style: 'servlet', unresolved: false, registration: `${fact.auto.via} (${fact.auto.evidence.path}:${fact.auto.evidence.startLine})` });
  }
  if (coverages.length === 0) return;

  for (const e of entries) {
    const routers = new Map(e.facts.routers.map((r) => [r.id, r]));
    for (const route of e.facts.routes as JavaRouteFact[]) {
      const served = route.servedBy ?? 'spring';
      const router = routers.get(route.router);
      const full = (router?.prefixes ?? ['']).flatMap((prefix) => route.paths.map((p) => joinPaths(prefix, p)));
      const expanded = full.map((p) => p.replace(/\{\{const:([^}]+)\}\}/g, (m, name: string) => expandName(`{{const:${name}}}`, e) ?? m));
      const context = e.facts.java.contextPath;
      const candidates = context ? [...expanded, ...expanded.map((p) => (p.startsWith(context) ? p.slice(context.length) || '/' : p))] : expanded;
      for (const c of coverages) {
        if (c.kind === 'interceptor' || c.kind === 'webfilter' ? served !== 'spring' : c.kind === 'jaxrs-filter' ? served !== 'jaxrs' : false) continue;
        if (!covers(c, candidates)) continue;
        if (c.bindings.length && !c.bindings.some((b) => route.bindings?.includes(b))) continue;
        const added: string[] = [];
        for (const p of c.params) {
          const key = p.in === 'header' ? p.name.toLowerCase() : p.name;
          if (route.params.some((q) => q.in === p.in && (q.in === 'header' ? q.name.toLowerCase() : q.name) === key)) continue;
          const where = c.bindings.length ? `the resources annotated @${c.bindings.join(', @')}` : c.patterns.length === 0 ? 'every request' : `requests to ${c.patterns.join(', ')}`;
          route.params.push({ name: p.name, in: p.in, required: false, schema: p.schema ?? { type: 'string' }, description: `Read by ${KIND_LABEL[c.kind]} ${c.className} on ${where}.`, ...(p.evidence ? { evidence: p.evidence } : {}) });
          added.push(`${p.in} ${p.name}${p.evidence ? ` (${p.evidence.path}:${p.evidence.startLine})` : ''}`);
        }
        if (added.length === 0) continue;
        const scope = c.bindings.length ? `for the resources annotated @${c.bindings.join(', @')}` : c.patterns.length === 0 ? (c.unresolved ? 'for url patterns computed at run time (taken as every request)' : 'for every request') : `for ${c.patterns.join(', ')}${c.excludes.length ? ` except ${c.excludes.join(', ')}` : ''}`;
        (route.notes ??= []).push(`${added.join(', ')} read by ${KIND_LABEL[c.kind]} ${c.className}, registered by ${c.registration} ${scope}`);
      }
    }
  }
}
