/**
 * Code that puts request handling on URL patterns, read where it is written (usually a
 * `@Configuration` class) and settled across files by the Java link step:
 * - servlet filters: `FilterRegistrationBean#setFilter` / `new FilterRegistrationBean<>(filter)` with
 *   `addUrlPatterns`/`setUrlPatterns`, `ServletContext#addFilter(name, filter)` with
 *   `addMappingForUrlPatterns`, Spring Security's `addFilterBefore/After/At`, and a `@Bean` method
 *   returning a filter (Spring Boot puts filter beans on every request);
 * - Spring MVC interceptors: `registry.addInterceptor(x).addPathPatterns(...).excludePathPatterns(...)`;
 * - servlets: `new ServletRegistrationBean<>(servlet, "/metrics/*")`, `setServlet` + `addUrlMappings`,
 *   `ServletContext#addServlet(name, servlet).addMapping(...)`;
 * - JAX-RS providers: `register(X.class)` (Jersey `ResourceConfig`).
 * The registered class is read from `new X(...)`, `X.class`, a local, field or parameter (a helper
 * such as `createRegistration(new XFilter(), order)` is followed to its callers in the same
 * class), or a method of the class returning one. Anonymous filters (`new OncePerRequestFilter() {…}`)
 * are registered under a name of their own (see `filters.ts`).
 */
import type { Evidence } from '../model.js';
import { joinPaths } from '../service/paths.js';
import { descendants, evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import type { RegistrationFact } from './facts.js';
import type { ExtractContext } from './handlers.js';
import type { Entry } from './inherit.js';
import { placeServletRoutes } from './servlet.js';
import { annotationsOf, evalString, findAnnotation, qualifiedRef, simpleName, type ClassInfo } from './syntax.js';
import { parseType } from './types.js';

/** A class an expression evaluates to an instance (or `Class`) of, and where that is written. */
export interface ResolvedClass {
  name: string;
  /** `new Base() { … }`: the anonymous class body. */
  anonymous?: SyntaxNode;
  site: SyntaxNode;
}

const PATTERN_CALLS: Record<string, 'include' | 'exclude'> = {
  addUrlPatterns: 'include',
  setUrlPatterns: 'include',
  addUrlMappings: 'include',
  setUrlMappings: 'include',
  addMapping: 'include',
  addMappingForUrlPatterns: 'include',
  addMappingForServletNames: 'include',
  addPathPatterns: 'include',
  excludePathPatterns: 'exclude',
};

const REGISTRATION_TYPES = /^(FilterRegistrationBean|ServletRegistrationBean|DelegatingFilterProxyRegistrationBean|ServletListenerRegistrationBean|InterceptorRegistration|Dynamic)$/;

/**
 * The registrations written in a class's methods and constructors; `anonymous` receives the
 * anonymous filter classes found as registered objects, with the name they are registered under.
 */
export function readRegistrations(cls: ClassInfo, ctx: ExtractContext, anonymous: (name: string, body: SyntaxNode, base: string, site: SyntaxNode) => void): RegistrationFact[] {
  const out: RegistrationFact[] = [];
  const members = (cls.body?.namedChildren ?? []).filter((m) => m.type === 'method_declaration' || m.type === 'constructor_declaration');
  const resolver = createClassResolver(cls, members);
  const add = (method: SyntaxNode, as: RegistrationFact['as'], targetExpr: SyntaxNode | null | undefined, what: string, patterns: Patterns): void => {
    for (const target of resolver.classOf(targetExpr, method)) {
      const host = enclosingMember(target.site) ?? method;
      const via = `${what} in ${cls.name}.${memberName(host)}`;
      let name = target.name;
      if (target.anonymous) {
        name = `anonymous ${target.name} in ${cls.name}.${memberName(host)}`;
        anonymous(name, target.anonymous, target.name, target.site);
      }
      const module = target.anonymous ? undefined : qualifiedRef(ctx.file, name);
      out.push({
        target: name,
        ...(module ? { module } : {}),
        as,
        patterns: patterns.include,
        excludes: patterns.exclude,
        ...(patterns.unresolved ? { unresolved: true } : {}),
        via,
        evidence: evidenceOf(ctx.file.path, target.site),
      });
    }
  };
  for (const method of members) {
    const body = method.childForFieldName('body');
    if (!body) continue;
    for (const call of descendants(body, ['method_invocation', 'object_creation_expression'])) {
      const args = call.childForFieldName('arguments')?.namedChildren ?? [];
      if (call.type === 'object_creation_expression') {
        const type = parseType(call.childForFieldName('type'))?.name ?? '';
        if ((type !== 'FilterRegistrationBean' && type !== 'ServletRegistrationBean') || args.length === 0) continue;
        const patterns = patternsOf(call, method, ctx, cls);
        // `ServletRegistrationBean(servlet, String... urlMappings)`; a filter's further arguments are servlet registrations.
        if (type === 'ServletRegistrationBean') patterns.include.unshift(...strings(args.slice(1), ctx, cls, patterns));
        add(method, type === 'ServletRegistrationBean' ? 'servlet' : 'filter', args[0], type, patterns);
        continue;
      }
      const name = call.childForFieldName('name')?.text ?? '';
      const firstIsName = args.length === 2 && args[0]!.type === 'string_literal';
      if (name === 'setFilter' && args.length === 1) add(method, 'filter', args[0], 'FilterRegistrationBean', patternsOf(call, method, ctx, cls));
      else if (name === 'setServlet' && args.length === 1) add(method, 'servlet', args[0], 'ServletRegistrationBean', patternsOf(call, method, ctx, cls));
      else if (name === 'addFilter' && firstIsName) add(method, 'filter', args[1], 'ServletContext.addFilter', patternsOf(call, method, ctx, cls));
      else if (name === 'addServlet' && firstIsName) add(method, 'servlet', args[1], 'ServletContext.addServlet', patternsOf(call, method, ctx, cls));
      else if (/^addFilter(Before|After|At)?$/.test(name) && !firstIsName && args.length >= 1) add(method, 'filter', args[0], `security filter chain (${name})`, { include: [], exclude: [] });
      else if ((name === 'addInterceptor' || name === 'addWebRequestInterceptor') && args.length === 1) add(method, 'interceptor', args[0], `InterceptorRegistry.${name}`, patternsOf(call, method, ctx, cls));
      else if (name === 'register' && args.length === 1 && (args[0]!.type === 'class_literal' || args[0]!.type === 'object_creation_expression')) add(method, 'provider', args[0], 'register', { include: [], exclude: [] });
    }
    // A `@Bean` method handing out a filter: Spring Boot registers it for every request.
    if (method.type === 'method_declaration' && findAnnotation(annotationsOf(method), 'Bean')) {
      const returned = parseType(method.childForFieldName('type'))?.name ?? '';
      if (!REGISTRATION_TYPES.test(returned)) {
        const targets = resolver.returnedBy(method);
        const evidence = evidenceOf(ctx.file.path, method);
        if (targets.length === 0 && returned && returned !== 'void') out.push({ target: returned, ...(qualifiedRef(ctx.file, returned) ? { module: qualifiedRef(ctx.file, returned)! } : {}), as: 'bean', patterns: [], excludes: [], via: `@Bean ${cls.name}.${memberName(method)}`, evidence });
        for (const t of targets) {
          if (t.anonymous) continue; // registered through `anonymous` when some registration hands it out
          const module = qualifiedRef(ctx.file, t.name);
          out.push({ target: t.name, ...(module ? { module } : {}), as: 'bean', patterns: [], excludes: [], via: `@Bean ${cls.name}.${memberName(method)}`, evidence });
        }
        for (const t of targets.filter((x) => x.anonymous)) {
          const name = `anonymous ${t.name} in ${cls.name}.${memberName(method)}`;
          anonymous(name, t.anonymous!, t.name, t.site);
          out.push({ target: name, as: 'bean', patterns: [], excludes: [], via: `@Bean ${cls.name}.${memberName(method)}`, evidence });
        }
      }
    }
  }
  return out;
}

interface Patterns {
  include: string[];
  exclude: string[];
  unresolved?: boolean;
}

/**
 * Patterns given to the registration a call belongs to: calls chained on it
 * (`addInterceptor(x).addPathPatterns(...)`, `addServlet(...).addMapping(...)`) and calls in the same
 * method on the variable that holds it (`bean.addUrlPatterns(...)`).
 */
function patternsOf(call: SyntaxNode, method: SyntaxNode, ctx: ExtractContext, cls: ClassInfo): Patterns {
  const out: Patterns = { include: [], exclude: [] };
  const take = (c: SyntaxNode): void => {
    const name = c.childForFieldName('name')?.text ?? '';
    const kind = PATTERN_CALLS[name];
    if (!kind || name === 'addMappingForServletNames') return;
    let args = c.childForFieldName('arguments')?.namedChildren ?? [];
    if (name === 'addMappingForUrlPatterns') args = args.slice(2);
    out[kind].push(...strings(args, ctx, cls, out));
  };
  // Chained calls, innermost first.
  let cur = call;
  while (cur.parent?.type === 'method_invocation' && isSame(cur.parent.childForFieldName('object'), cur)) {
    cur = cur.parent;
    take(cur);
  }
  // The variable the registration lives in: `bean.setFilter(f)`, `Dynamic d = ctx.addFilter(...)`, `bean = new FilterRegistrationBean<>(f)`.
  let holder: string | undefined;
  const obj = call.type === 'method_invocation' ? call.childForFieldName('object') : null;
  if (obj?.type === 'identifier' && /^set(Filter|Servlet)$/.test(call.childForFieldName('name')?.text ?? '')) holder = obj.text;
  else if (cur.parent?.type === 'variable_declarator') holder = cur.parent.childForFieldName('name')?.text;
  else if (cur.parent?.type === 'assignment_expression' && cur.parent.childForFieldName('left')?.type === 'identifier') holder = cur.parent.childForFieldName('left')!.text;
  const body = method.childForFieldName('body');
  if (holder && body) {
    for (const c of descendants(body, 'method_invocation')) {
      if (c.childForFieldName('object')?.text === holder) take(c);
    }
  }
  return out;
}

/** String values of pattern arguments: literals, constants, arrays, `List.of`/`Arrays.asList`. */
function strings(args: readonly SyntaxNode[], ctx: ExtractContext, cls: ClassInfo, into: Patterns, depth = 0): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (depth > 4) break;
    if (a.type === 'array_creation_expression') {
      const init = a.namedChildren.find((c) => c.type === 'array_initializer');
      out.push(...strings(init?.namedChildren ?? [], ctx, cls, into, depth + 1));
      continue;
    }
    if (a.type === 'array_initializer') {
      out.push(...strings(a.namedChildren, ctx, cls, into, depth + 1));
      continue;
    }
    if (a.type === 'method_invocation' && /^(asList|of|singletonList|singleton|newArrayList|newHashSet|copyOf)$/.test(a.childForFieldName('name')?.text ?? '')) {
      out.push(...strings(a.childForFieldName('arguments')?.namedChildren ?? [], ctx, cls, into, depth + 1));
      continue;
    }
    if (a.type === 'identifier') {
      let found: SyntaxNode | undefined;
      for (let c: ClassInfo | undefined = cls; c && !found; c = c.outer) found = c.constants.get(a.text);
      if (found && found.type === 'array_initializer') {
        out.push(...strings(found.namedChildren, ctx, cls, into, depth + 1));
        continue;
      }
    }
    const v = evalString(a, cls, ctx.file);
    if (v !== undefined && !v.includes('{{const:') && !v.includes('${')) out.push(v);
    else into.unresolved = true;
  }
  return out;
}

/** Reads which class an expression stands for, within one class's members. */
function createClassResolver(cls: ClassInfo, members: readonly SyntaxNode[]) {
  const fieldInits = new Map<string, SyntaxNode>();
  for (const f of cls.body?.namedChildren.filter((m) => m.type === 'field_declaration') ?? []) {
    for (const d of f.namedChildren.filter((c) => c.type === 'variable_declarator')) {
      const n = d.childForFieldName('name')?.text;
      const v = d.childForFieldName('value');
      if (n && v) fieldInits.set(n, v);
    }
  }
  const paramsOf = (m: SyntaxNode): SyntaxNode[] => m.childForFieldName('parameters')?.namedChildren.filter((p) => p.type === 'formal_parameter' || p.type === 'spread_parameter') ?? [];
  const classOf = (expr: SyntaxNode | null | undefined, method: SyntaxNode, depth = 0): ResolvedClass[] => {
    if (!expr || depth > 4) return [];
    switch (expr.type) {
      case 'parenthesized_expression':
        return classOf(expr.namedChildren[0], method, depth + 1);
      case 'cast_expression':
        return classOf(expr.childForFieldName('value'), method, depth + 1);
      case 'object_creation_expression': {
        const name = parseType(expr.childForFieldName('type'))?.name;
        if (!name) return [];
        const body = expr.namedChildren.find((c) => c.type === 'class_body');
        return [{ name, ...(body ? { anonymous: body } : {}), site: expr }];
      }
      case 'class_literal': {
        const name = parseType(expr.namedChildren[0])?.name;
        return name ? [{ name, site: expr }] : [];
      }
      case 'method_invocation': {
        const obj = expr.childForFieldName('object');
        if (obj && obj.type !== 'this') return [];
        const name = expr.childForFieldName('name')?.text;
        const argc = expr.childForFieldName('arguments')?.namedChildren.length ?? 0;
        const target = members.find((m) => m.type === 'method_declaration' && memberName(m) === name && paramsOf(m).length === argc);
        return target ? returnedBy(target, depth + 1) : [];
      }
      case 'identifier': {
        const body = method.childForFieldName('body');
        // A local: its initializer, else its last assignment in the method.
        for (const d of body ? descendants(body, 'variable_declarator') : []) {
          if (d.childForFieldName('name')?.text !== expr.text) continue;
          const value = d.childForFieldName('value');
          const found = classOf(value, method, depth + 1);
          if (found.length) return found;
          const declared = declaredClass(d.parent?.childForFieldName('type'), expr);
          return declared ? [declared] : [];
        }
        // A parameter: what the callers in this class pass.
        const params = paramsOf(method);
        const index = params.findIndex((p) => p.childForFieldName('name')?.text === expr.text);
        if (index >= 0) {
          const name = memberName(method);
          const found: ResolvedClass[] = [];
          for (const m of members) {
            const b = m.childForFieldName('body');
            for (const c of b ? descendants(b, 'method_invocation') : []) {
              const obj = c.childForFieldName('object');
              const args = c.childForFieldName('arguments')?.namedChildren ?? [];
              if ((obj && obj.type !== 'this') || c.childForFieldName('name')?.text !== name || args.length !== params.length) continue;
              found.push(...classOf(args[index], m, depth + 1));
            }
          }
          if (found.length) return found;
          const declared = declaredClass(params[index]!.childForFieldName('type'), expr);
          return declared ? [declared] : [];
        }
        // A field: its initializer, else its declared type (an injected bean).
        const init = fieldInits.get(expr.text);
        const fromInit = init ? classOf(init, method, depth + 1) : [];
        if (fromInit.length) return fromInit;
        const declared = declaredClass(cls.fieldTypes.get(expr.text), expr);
        return declared ? [declared] : [];
      }
      case 'field_access': {
        if (expr.childForFieldName('object')?.type !== 'this') return [];
        const field = expr.childForFieldName('field');
        return field ? classOf(field, method, depth + 1) : [];
      }
    }
    return [];
  };
  const returnedBy = (method: SyntaxNode, depth = 0): ResolvedClass[] => {
    const body = method.childForFieldName('body');
    const found: ResolvedClass[] = [];
    for (const r of body ? descendants(body, 'return_statement', { stopAt: ['class_body', 'lambda_expression'] }) : []) found.push(...classOf(r.namedChildren[0], method, depth + 1));
    return found;
  };
  return { classOf, returnedBy };
}

function declaredClass(type: SyntaxNode | null | undefined, site: SyntaxNode): ResolvedClass | undefined {
  const name = type ? simpleName(type.text) : '';
  return name && name !== 'var' ? { name, site } : undefined;
}

function isSame(a: SyntaxNode | null | undefined, b: SyntaxNode): boolean {
  return !!a && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}

function enclosingMember(node: SyntaxNode): SyntaxNode | undefined {
  for (let n: SyntaxNode | null = node.parent; n; n = n.parent) if (n.type === 'method_declaration' || n.type === 'constructor_declaration') return n;
  return undefined;
}

function memberName(m: SyntaxNode): string {
  return m.childForFieldName('name')?.text ?? '<init>';
}

/** Where a registration is written, for notes: `WebConfig.java:95`. */
export function registrationSite(r: { via: string; evidence: Evidence }): string {
  return `${r.via} (${r.evidence.path}:${r.evidence.startLine})`;
}

// ---------------------------------------------------------------- link step

/**
 * Whether a registration's patterns cover one of an operation's paths. Servlet url-patterns
 * (Servlet spec §12.2): `/x/*` a prefix, `*.ext` an extension, `/` and `/*` everything, else an
 * exact path. Ant patterns (Spring `PathPattern`): `**` any segments, `*` and `{name}` one
 * segment's characters, `?` one character. An operation path's `{param}` segments stand for any value.
 */
export function coversPaths(reg: { patterns: readonly string[]; excludes: readonly string[]; style: 'servlet' | 'ant' }, paths: readonly string[]): boolean {
  const match = (pattern: string, path: string): boolean => {
    const p = path === '' ? '/' : path;
    if (reg.style === 'servlet') {
      if (pattern === '/' || pattern === '/*' || pattern === '') return true;
      if (pattern.startsWith('*.')) return p.endsWith(pattern.slice(1));
      if (pattern.endsWith('/*')) {
        const base = pattern.slice(0, -2);
        return p === base || p.startsWith(`${base}/`);
      }
      return antRegex(pattern).test(p);
    }
    return antRegex(pattern).test(p);
  };
  const included = (path: string): boolean => (reg.patterns.length === 0 || reg.patterns.some((pt) => match(pt, path))) && !reg.excludes.some((pt) => match(pt, path));
  return paths.some(included);
}

function antRegex(pattern: string): RegExp {
  let re = '';
  const p = pattern.startsWith('/') ? pattern : `/${pattern}`;
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (p.startsWith('/**', i)) {
      re += '(?:/.*)?';
      i += 2;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '{') {
      const close = p.indexOf('}', i);
      re += '[^/]+';
      i = close < 0 ? p.length : close;
    } else re += ch.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}/?$`);
}

/**
 * Servlets whose class has no mapping of its own get their routes where a registration in code
 * puts them (`new ServletRegistrationBean<>(new MetricsServlet(), "/metrics/*")`); a servlet no
 * analyzed code registers is reported, not invented.
 */
export function placeRegisteredServlets(entries: Entry[]): void {
  const registrations = entries.flatMap((e) => (e.facts.java.registrations ?? []).filter((r) => r.as === 'servlet').map((r) => ({ entry: e, registration: r })));
  for (const e of entries) {
    for (const servlet of e.facts.java.servlets ?? []) {
      const mine = registrations.filter(({ registration: r }) => (r.module ? r.module === servlet.qualified : r.target === servlet.name));
      const patterns = [...new Set(mine.flatMap(({ registration: r }) => r.patterns))];
      if (mine.length === 0 || patterns.length === 0) {
        e.diagnostics.push({
          path: e.file.source.path,
          line: servlet.evidence.startLine,
          severity: 'info',
          message:
            mine.length === 0
              ? `servlet ${servlet.name} has no @WebServlet, no web.xml mapping and no registration in the analyzed code; its handlers are not operations`
              : `servlet ${servlet.name} is registered by ${registrationSite(mine[0]!.registration)} with url mappings the analyzer cannot read; its handlers are not operations`,
        });
        continue;
      }
      const source = mine.map(({ registration: r }) => registrationSite(r)).join(', ');
      const context = mine[0]!.entry.facts.java.contextPath ?? e.facts.java.contextPath ?? '';
      const id = servlet.localName;
      if (!e.facts.routers.some((r) => r.id === id)) e.facts.routers.push({ id, prefixes: [context ? joinPaths(context) : ''], root: true, evidence: servlet.evidence, label: servlet.name });
      for (const route of placeServletRoutes(servlet.routes, patterns, source)) {
        // A `/x/*` pattern's note already names the registration.
        if (!route.notes?.some((n) => n.includes(source))) route.notes = [...(route.notes ?? []), `servlet registered by ${source} for ${patterns.join(', ')}`];
        e.facts.routes.push(route);
      }
    }
  }
}
