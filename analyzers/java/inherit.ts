/**
 * The Java part of the cross-file step, run on the cached facts before the shared link
 * (`analyzers/service/link.ts`): it settles what Java spreads over files. Mappings declared on
 * interfaces and abstract classes become routes of the controllers/resources that implement or
 * extend them (with the implementing method's statuses and rules); thrown exceptions get the
 * status their class, an `@ExceptionHandler` or an `ExceptionMapper` declares; `@Valid` handlers
 * answer the validation failure status; `@BeanParam` classes expand into parameters; JAX-RS root
 * resources move under the `@ApplicationPath` (or the configured JAX-RS path) and the context
 * path; constants defined from constants of other files are resolved; servlets registered in
 * code get their routes, argument resolvers take the parameters they support, and the headers
 * that filters, interceptors and `@ControllerAdvice` read go onto the operations they cover.
 */
import { dirname } from 'node:path/posix';
import type { Diagnostic, FileAnalysis } from '../model.js';
import type { ResponseFact, RouterFact } from '../service/facts.js';
import { joinPaths } from '../service/paths.js';
import type { ExceptionStatusFact, ImplementationFact, JavaFacts, JavaRouteFact, JavaServiceFacts, TemplateFact } from './facts.js';
import type { TypeFact } from '../service/facts.js';
import { primitiveSchema, refsIn, typeRef, type Schema } from '../service/schema.js';
import { JAXRS_EXCEPTIONS } from './responses.js';
import { TYPE_PARAM } from './types.js';
import { applyControllerAdvice } from './advice.js';
import { applyRequestFilters } from './filters.js';
import { coversPaths, placeRegisteredServlets } from './registrations.js';
import { applyArgumentResolvers } from './resolvers.js';

export interface Entry {
  file: FileAnalysis;
  facts: JavaServiceFacts & { java: JavaFacts };
  diagnostics: Diagnostic[];
}

/** Returns copies of the results with their facts settled for the shared link step. */
export function settleJavaFacts(files: readonly FileAnalysis[]): FileAnalysis[] {
  const out = files.map((f) => {
    const facts = f.facts as JavaServiceFacts | undefined;
    if (!facts?.java || !Array.isArray(facts.routes)) return f;
    return { ...f, diagnostics: [...f.diagnostics], rules: f.rules.map((r) => ({ ...r, effects: [...r.effects] })), facts: structuredClone(facts) };
  });
  const entries: Entry[] = [];
  for (const f of out) {
    const facts = f.facts as JavaServiceFacts | undefined;
    if (facts?.java) entries.push({ file: f, facts: facts as Entry['facts'], diagnostics: f.diagnostics });
  }
  resolveConstants(entries);
  specializeGenerics(entries);
  inheritTemplates(entries);
  dropUnmountedSubresources(entries);
  applyExceptions(entries);
  expandBeans(entries);
  renamePageable(entries);
  applyApplicationPaths(entries);
  placeRegisteredServlets(entries);
  const expandName = constantExpander(entries);
  applyArgumentResolvers(entries, expandName);
  applyControllerAdvice(entries);
  applyRequestFilters(entries, expandName, coversPaths);
  resolveParamNames(entries, expandName);
  return out;
}

// ---------------------------------------------------------------- constants

function resolveConstants(entries: Entry[]): void {
  const global = new Map<string, string>();
  for (const e of entries) for (const [k, v] of Object.entries(e.facts.constants)) if (!global.has(k)) global.set(k, v);
  for (let round = 0; round < 5; round++) {
    let changed = false;
    for (const e of entries) {
      for (const [k, v] of Object.entries(e.facts.constants)) {
        if (!v.includes('{{const:')) continue;
        const next = v.replace(/\{\{const:([^}]+)\}\}/g, (m, name: string) => {
          const found = e.facts.constants[name] ?? global.get(name) ?? (name.includes('.') ? global.get(name.split('.').pop()!) : undefined);
          return found !== undefined && found !== v ? found : m;
        });
        if (next !== v) {
          e.facts.constants[k] = next;
          global.set(k, next);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
}

/** Expands `{{const:…}}` in a name from the constants of all files; undefined when one stays unknown. */
function constantExpander(entries: Entry[]): (name: string, from: Entry) => string | undefined {
  const global = new Map<string, string>();
  for (const e of entries) for (const [k, v] of Object.entries(e.facts.constants)) if (!global.has(k)) global.set(k, v);
  return (name, from) => {
    if (!name.includes('{{const:')) return name;
    const out = name.replace(/\{\{const:([^}]+)\}\}/g, (m, n: string) => from.facts.constants[n] ?? global.get(n) ?? (n.includes('.') ? global.get(n.split('.').pop()!) : undefined) ?? m);
    return out.includes('{{const:') ? undefined : out;
  };
}

/** Parameters read by a name another file defines (`request.getHeader(Headers.TENANT)`): that name, or left out when unknown. */
function resolveParamNames(entries: Entry[], expandName: (name: string, from: Entry) => string | undefined): void {
  for (const e of entries) {
    for (const route of e.facts.routes) {
      if (!route.params.some((p) => p.name.includes('{{const:'))) continue;
      route.params = route.params.flatMap((p) => {
        if (!p.name.includes('{{const:')) return [p];
        const name = expandName(p.name, e);
        return name ? [{ ...p, name }] : [];
      });
    }
  }
}

// ---------------------------------------------------------------- generic DTOs

/**
 * `Envelope<UserDto>` is referred to as `Envelope_UserDto`: built here from the generic
 * declaration `Envelope<T>` by putting the argument's schema where its fields use `T`.
 */
function specializeGenerics(entries: Entry[]): void {
  const declared = new Map<string, { entry: Entry; type: TypeFact & { typeParams?: string[] } }>();
  for (const e of entries) for (const t of e.facts.types) if (!declared.has(t.name)) declared.set(t.name, { entry: e, type: t });
  const wanted = new Set<string>();
  for (const e of entries) refsIn([e.facts.routes, e.facts.types], wanted);
  const pending = [...wanted];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (declared.has(name) || !name.includes('_')) continue;
    const [base, ...args] = name.split('_');
    const generic = declared.get(base!);
    const params = generic?.type.typeParams;
    if (!generic || !params || params.length !== args.length) continue;
    const argSchemas = args.map((a) => primitiveSchema(a) ?? (a === 'UUID' ? ({ type: 'string', format: 'uuid' } as Schema) : typeRef(a)));
    const schema = substitute(generic.type.schema, (p) => argSchemas[params.indexOf(p)]);
    const specialized: TypeFact = { name, schema, evidence: generic.type.evidence };
    generic.entry.facts.types.push(specialized);
    declared.set(name, { entry: generic.entry, type: specialized });
    for (const r of refsIn(schema)) if (!declared.has(r)) pending.push(r);
  }
}

function substitute(schema: Schema, argOf: (param: string) => Schema | undefined): Schema {
  const visit = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(visit);
    if (v && typeof v === 'object') {
      const param = (v as Record<string, unknown>)[TYPE_PARAM];
      if (typeof param === 'string') return argOf(param) ?? {};
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, visit(x)]));
    }
    return v;
  };
  return visit(schema) as Schema;
}

// ---------------------------------------------------------------- interfaces and abstract classes

function inheritTemplates(entries: Entry[]): void {
  const templates = new Map<string, { entry: Entry; template: TemplateFact }[]>();
  for (const e of entries) {
    for (const t of e.facts.java.templates) {
      for (const key of [t.name, t.qualified]) {
        const list = templates.get(key) ?? [];
        list.push({ entry: e, template: t });
        templates.set(key, list);
      }
    }
  }
  const find = (name: string, module: string | undefined, from: Entry): TemplateFact | undefined => {
    const list = (module ? templates.get(module) : undefined) ?? templates.get(name) ?? [];
    if (list.length <= 1) return list[0]?.template;
    return (list.find((l) => dirname(l.entry.file.source.path) === dirname(from.file.source.path)) ?? list[0]!).template;
  };
  for (const e of entries) {
    for (const impl of e.facts.java.implementations) {
      const found: TemplateFact[] = [];
      const missing: string[] = [];
      const visit = (name: string, module: string | undefined, depth: number): void => {
        const t = find(name, module, e);
        if (!t) {
          if (depth === 0) missing.push(name);
          return;
        }
        if (found.includes(t) || depth > 5) return;
        found.push(t);
        for (const s of t.supers) visit(s, undefined, depth + 1);
      };
      for (const s of impl.supers) visit(s.name, s.module, 0);
      // Spring serves an interface's mappings only through a controller; JAX-RS through any implementing bean.
      const served = found.filter((t) => !t.client && t.routes.length > 0 && (t.framework === 'jaxrs' ? impl.framework !== 'spring' : impl.framework === 'spring' && !!impl.router));
      if (served.length === 0) {
        noteUnknownApi(e, impl, missing);
        continue;
      }
      copyRoutes(e, impl, served);
    }
  }
}

function noteUnknownApi(e: Entry, impl: ImplementationFact, missing: string[]): void {
  if (impl.framework !== 'spring' || !impl.router || missing.length === 0) return;
  if (e.facts.routes.some((r) => r.router === impl.router)) return;
  e.diagnostics.push({
    path: e.file.source.path,
    line: impl.evidence.startLine,
    severity: 'warning',
    message: `${impl.className} is a controller without mapped methods; it implements ${missing.join(', ')}, not found in the analyzed sources (generated at build time?), so its routes are unknown`,
  });
}

function copyRoutes(e: Entry, impl: ImplementationFact, served: TemplateFact[]): void {
  let router: RouterFact | undefined = impl.router ? e.facts.routers.find((r) => r.id === impl.router) : undefined;
  const ownPrefix = impl.ownPrefix;
  if (!router) {
    router = { id: impl.localName, prefixes: [''], root: true, evidence: impl.evidence, label: impl.className };
    e.facts.routers.push(router);
    if (impl.framework !== 'spring') e.facts.java.jaxrsRouters.push(router.id);
  } else if (!router.root && !ownPrefix) {
    router.root = true;
    if (impl.framework !== 'spring' && !e.facts.java.jaxrsRouters.includes(router.id)) e.facts.java.jaxrsRouters.push(router.id);
  }
  const own = new Set(e.facts.routes.filter((r) => r.router === router!.id).map((r) => r.operationName));
  for (const t of served) {
    const prefixes = ownPrefix || t.prefixes.length === 0 ? [''] : t.prefixes;
    for (const r of t.routes) {
      if (own.has(r.operationName)) continue;
      own.add(r.operationName);
      const method = r.operationName ? impl.methods[r.operationName] : undefined;
      const route: JavaRouteFact = {
        ...structuredClone(r),
        router: router.id,
        paths: prefixes.flatMap((p) => r.paths.map((x) => joinPaths(p, x))).map((p) => (p === '/' ? '' : p)),
        handler: `${impl.className}.${r.operationName ?? r.handler.split('.').pop()}`,
        // Rule ids name rules of the file the route lands in: the implementing method's.
        ruleIds: method?.ruleIds ?? [],
        tags: [impl.className],
        notes: [...(r.notes ?? []), `mapping declared on ${t.name}${method ? `, implemented by ${impl.className}.${r.operationName} (${method.evidence.path}:${method.evidence.startLine})` : ''}`],
      };
      if (method) {
        route.responses = mergeResponses(r.responses, method.responses);
        if (method.thrown.length) route.thrown = [...(route.thrown ?? []), ...method.thrown];
      }
      e.facts.routes.push(route);
    }
  }
}

/** The template's declared success plus what the implementation's body answers. */
function mergeResponses(declared: ResponseFact[], body: ResponseFact[]): ResponseFact[] {
  const hasSuccess = body.some((r) => /^2/.test(r.status));
  const schema = declared.find((r) => /^2/.test(r.status) && r.schema)?.schema;
  const out = body.map((r) => (/^2/.test(r.status) && r.status !== '204' && !r.schema && schema ? { ...r, schema } : r));
  return hasSuccess ? [...out, ...declared.filter((d) => !/^2/.test(d.status))] : [...declared, ...out];
}

/**
 * A JAX-RS class with resource methods but no `@Path` is served only through a sub-resource
 * locator; when no analyzed locator returns it, its paths are unknown: no operation is invented.
 */
function dropUnmountedSubresources(entries: Entry[]): void {
  const targets = new Set(entries.flatMap((e) => e.facts.mounts.map((m) => m.target.name)));
  for (const e of entries) {
    for (const router of e.facts.routers) {
      if (router.root || targets.has(router.id) || targets.has(router.id.split('.').pop()!)) continue;
      const routes = e.facts.routes.filter((r) => r.router === router.id);
      if (routes.length === 0) continue;
      e.facts.routes = e.facts.routes.filter((r) => r.router !== router.id);
      e.diagnostics.push({
        path: e.file.source.path,
        line: router.evidence.startLine,
        severity: 'info',
        message: `${router.label ?? router.id} has resource methods but no @Path, and no analyzed sub-resource locator returns it; its ${routes.length} route${routes.length === 1 ? ' is' : 's are'} left out`,
      });
    }
  }
}

// ---------------------------------------------------------------- exceptions

function applyExceptions(entries: Entry[]): void {
  const mapped = new Map<string, ExceptionStatusFact[]>();
  const supers = new Map<string, string>();
  for (const e of entries) {
    for (const x of e.facts.java.exceptionStatuses) mapped.set(x.name, [...(mapped.get(x.name) ?? []), x]);
    for (const [k, v] of Object.entries(e.facts.java.superclasses)) if (!supers.has(k)) supers.set(k, v);
  }
  const statusOf = (name: string, jaxrs: boolean): ExceptionStatusFact | { status: string; reason?: string } | undefined => {
    let cur: string | undefined = name;
    for (let depth = 0; cur && depth < 10; depth++) {
      const list = mapped.get(cur);
      // A handler wins over the class annotation (Spring consults handlers first).
      if (list?.length) return list.find((x) => x.via !== 'annotation') ?? list[0];
      if (jaxrs && JAXRS_EXCEPTIONS[cur] !== undefined && !supers.has(cur)) return { status: String(JAXRS_EXCEPTIONS[cur]) };
      cur = supers.get(cur);
    }
    return undefined;
  };
  for (const e of entries) {
    // Rules that throw a mapped exception say which status the client gets.
    for (const rule of e.file.rules) {
      const m = /^throw (\w+)/.exec(rule.effects[0] ?? '');
      const found = m ? statusOf(m[1]!, e.facts.java.usesJaxrs || !supers.has(m[1]!)) : undefined;
      if (!found) continue;
      rule.effects[0] = `${rule.effects[0]} → ${found.status}`;
      rule.statement = `${rule.statement} (status ${found.status})`;
    }
    for (const route of e.facts.routes) {
      for (const t of route.thrown ?? []) {
        const found = statusOf(t.name, e.facts.java.usesJaxrs || !supers.has(t.name));
        if (!found) continue;
        const description = t.message ?? ('reason' in found && found.reason ? found.reason : undefined);
        route.responses.push({ status: found.status, evidence: t.evidence, ...(description ? { description } : {}) });
      }
      if (route.validated) {
        const found = statusOf(route.validated.exception, false) ?? statusOf('ValidationException', false) ?? statusOf('BindException', false);
        route.responses.push({ status: found?.status ?? '400', evidence: route.validated.evidence, description: 'Validation failed' });
      }
    }
  }
}

// ---------------------------------------------------------------- bean params

function expandBeans(entries: Entry[]): void {
  const beans = new Map<string, JavaFacts['beans'][string]>();
  for (const e of entries) for (const [k, v] of Object.entries(e.facts.java.beans)) if (!beans.has(k)) beans.set(k, v);
  for (const e of entries) {
    for (const route of e.facts.routes) {
      for (const name of route.beanParams ?? []) {
        const params = e.facts.java.beans[name] ?? beans.get(name);
        if (!params) {
          (route.notes ??= []).push(`@BeanParam ${name} not expanded: class not found in the analyzed sources`);
          continue;
        }
        const forms = params.filter((p) => p.in === 'form');
        route.params.push(...params.filter((p) => p.in !== 'form'));
        if (forms.length) route.params.push(...forms);
      }
    }
  }
}

// ---------------------------------------------------------------- Spring Data paging

function renamePageable(entries: Entry[]): void {
  const global = entries.find((e) => e.facts.java.pageableNames)?.facts.java.pageableNames;
  for (const e of entries) {
    const names = e.facts.java.pageableNames ?? global;
    if (!names) continue;
    for (const route of e.facts.routes) {
      if (!route.pageable) continue;
      for (const p of route.params) {
        if (p.in !== 'query') continue;
        if (p.name === 'page' && names.page) p.name = names.page;
        else if (p.name === 'size' && names.size) p.name = names.size;
      }
    }
  }
}

// ---------------------------------------------------------------- JAX-RS application path

function applyApplicationPaths(entries: Entry[]): void {
  const apps = entries.flatMap((e) => e.facts.java.applicationPaths.map((a) => ({ ...a, dir: dirname(e.file.source.path) })));
  for (const e of entries) {
    const java = e.facts.java;
    if (java.jaxrsRouters.length === 0) continue;
    const path = e.file.source.path;
    // The nearest @ApplicationPath: the one whose directory shares the longest prefix with this file.
    let app: (typeof apps)[number] | undefined;
    let best = -1;
    for (const a of apps) {
      const shared = commonPrefix(a.dir, dirname(path));
      if (shared > best) (best = shared), (app = a);
    }
    const base = java.jaxrsBase?.wins ? java.jaxrsBase.path : (app?.path ?? java.jaxrsBase?.path ?? '');
    for (const router of e.facts.routers) {
      if (!java.jaxrsRouters.includes(router.id)) continue;
      router.prefixes = router.prefixes.map((p) => {
        const joined = joinPaths(java.contextPath ?? '', base, p);
        return joined === '/' ? '' : joined;
      });
    }
  }
}

function commonPrefix(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  let i = 0;
  while (i < pa.length && i < pb.length && pa[i] === pb[i]) i++;
  return i;
}
