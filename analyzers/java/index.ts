/**
 * The Java frontend (issue #6): Spring MVC / WebFlux annotated controllers, JAX-RS resources and
 * servlets, read with tree-sitter through the shared service frame. Per file it extracts routers
 * (controllers, resources, servlets), routes with parameters, bodies and statuses, sub-resource
 * mounts, DTO schemas with Bean Validation, string constants and business rules, and what runs
 * around the handlers (filters, interceptors, argument resolvers, `@ModelAttribute` advice, and
 * the code that registers them and servlets: `filters.ts`, `resolvers.ts`, `advice.ts`,
 * `registrations.ts`); `prepare` reads context paths and servlet mappings from
 * application.properties/yml and web.xml; the link step first settles what Java spreads over
 * files (`inherit.ts`: interface-declared mappings, exception statuses, `@ApplicationPath`,
 * `@BeanParam`, registrations, filters, resolvers, advice), then runs the shared link.
 */
import type { FileAnalysis, TreeFile } from '../model.js';
import { emptyFacts } from '../service/facts.js';
import { createServiceFrontend, type ExtractInput, type Extracted, type ServiceFrontend } from '../service/frontend.js';
import { createRuleCollector } from '../service/rules.js';
import { descendants, evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { configFor, readJavaConfig, type JavaContext } from './config.js';
import { isExceptionClass, readExceptionStatuses } from './exceptions.js';
import { emptyJavaFacts, type ImplementationFact, type JavaFacts, type JavaServiceFacts, type MethodFact } from './facts.js';
import type { ExtractContext } from './handlers.js';
import { settleJavaFacts } from './inherit.js';
import { extractJaxrsResource, isAbstract, isJaxrsResource, jaxrsTemplate, readApplicationPath, readBean } from './jaxrs.js';
import { analyzeBodies, handlerBodies, localTypes } from './responses.js';
import { extractRules } from './rules.js';
import { extractServlet, isServletClass } from './servlet.js';
import { readControllerAdvice } from './advice.js';
import { interceptorKind, readAnonymousInterceptor, readInterceptor, readNameBindings } from './filters.js';
import { readRegistrations } from './registrations.js';
import { isArgumentResolver, readArgumentResolver } from './resolvers.js';
import { classMapping, extractSpringController, hasSpringMappings, isSpringController, springRoutes } from './spring.js';
import { fileConstants, findAnnotation, modifierWords, qualifiedRef, readJavaFile, stringValue, type ClassInfo } from './syntax.js';
import { extractTypes } from './types.js';
import { normalizeTemplate } from './handlers.js';

/** Bump when the extraction changes: cached results of older versions are redone. */
export const JAVA_ANALYZER_VERSION = 'java-3';

const TEST_SOURCES = /(^|\/)src\/(test|it|integrationTest|integration-test|testFixtures)\//;

function extract({ path, tree, context }: ExtractInput): Extracted {
  const file = readJavaFile(path, tree.rootNode);
  const config = configFor(context as unknown as JavaContext, path);
  const collector = createRuleCollector('JAVA', path);
  const java = emptyJavaFacts();
  java.usesJaxrs = [...file.imports.values(), ...file.wildcardImports].some((i) => /^(javax|jakarta)\.ws\.rs\b/.test(i));
  if (config?.contextPath) java.contextPath = config.contextPath;
  if (config?.jaxrsPath !== undefined) java.jaxrsBase = { path: config.jaxrsPath, wins: !!config.jaxrsPathWins };
  const facts: JavaServiceFacts & { java: JavaFacts } = { ...emptyFacts(file.classes.map((c) => c.qualified)), constants: fileConstants(file), java };
  const diagnostics: Extracted['diagnostics'] = [];
  const pageable = { ...config?.pageable, ...pageableRenames(tree.rootNode) };
  if (Object.keys(pageable).length) java.pageableNames = pageable;
  const ruleMap = extractRules(file, collector.add);
  const ctx: ExtractContext = { file, facts, addRule: collector.add, diagnostics, config, rulesOf: (m) => ruleMap.get(m.id) ?? [] };

  readNameBindings(tree.rootNode, ctx);
  const notDto = new Set<ClassInfo>();
  for (const cls of file.classes) {
    if (cls.superclass) java.superclasses[cls.name] = cls.superclass;
    readExceptionStatuses(cls, ctx);
    // Request handling around the handlers, and the code that registers it (and servlets).
    const registrations = readRegistrations(cls, ctx, (name, body, base, site) => readAnonymousInterceptor(name, body, base, site, cls, ctx));
    if (registrations.length) (java.registrations ??= []).push(...registrations);
    readInterceptor(cls, ctx);
    readControllerAdvice(cls, ctx);
    if (interceptorKind(cls, ctx)) notDto.add(cls);
    if (isArgumentResolver(cls)) {
      readArgumentResolver(cls, ctx);
      notDto.add(cls);
    }
    if (findAnnotation(cls.annotations, 'ApplicationPath')) {
      readApplicationPath(cls, ctx);
      notDto.add(cls);
      continue;
    }
    if (isExceptionClass(cls) || findAnnotation(cls.annotations, 'ControllerAdvice', 'RestControllerAdvice', 'Provider', 'Service', 'Repository', 'Component', 'Configuration')) notDto.add(cls);
    let framework: ImplementationFact['framework'] = 'unknown';
    let router: string | undefined;
    if (isAbstract(cls)) {
      if (hasSpringMappings(cls)) {
        const client = !!findAnnotation(cls.annotations, 'FeignClient', 'HttpExchange');
        java.templates.push({
          name: cls.name,
          qualified: cls.qualified,
          framework: 'spring',
          prefixes: (classMapping(cls, ctx)?.paths ?? []).map((p) => normalizeTemplate(p).path),
          routes: client ? [] : springRoutes(cls, cls.name, ctx, { template: true }),
          supers: [...cls.interfaces, ...(cls.superclass ? [cls.superclass] : [])],
          client,
        });
        notDto.add(cls);
      } else if (isJaxrsResource(cls)) {
        java.templates.push(jaxrsTemplate(cls, ctx));
        notDto.add(cls);
      }
      continue;
    }
    if (isSpringController(cls)) {
      extractSpringController(cls, ctx);
      framework = 'spring';
      router = cls.localName;
      notDto.add(cls);
    } else if (isJaxrsResource(cls)) {
      extractJaxrsResource(cls, ctx);
      framework = 'jaxrs';
      router = cls.localName;
      notDto.add(cls);
    } else if (isServletClass(cls)) {
      extractServlet(cls, ctx);
      notDto.add(cls);
      continue;
    } else {
      readBean(cls, ctx);
    }
    const supers = [...cls.interfaces, ...(cls.superclass ? [cls.superclass] : [])].filter((s) => !/^(Serializable|Cloneable|Comparable|AutoCloseable|Closeable|Runnable)$/.test(s));
    // Any concrete class may implement a resource interface (JAX-RS serves beans implementing them).
    if (supers.length > 0 && cls.kind === 'class') {
      java.implementations.push({
        ...(router ? { router } : {}),
        className: cls.name,
        localName: cls.localName,
        framework,
        supers: supers.map((name) => {
          const module = qualifiedRef(file, name);
          return { name, ...(module ? { module } : {}) };
        }),
        ownPrefix: !!findAnnotation(cls.annotations, 'RequestMapping', 'Path'),
        methods: methodFacts(cls, ctx),
        evidence: evidenceOf(path, cls.node),
      });
    }
  }
  facts.types = extractTypes(file, collector.add, (c) => notDto.has(c));
  return { facts, rules: collector.rules, diagnostics };
}

/** `resolver.setPageParameterName("offset")` / `setSizeParameterName("limit")` in a Spring configuration. */
function pageableRenames(root: SyntaxNode): { page?: string; size?: string } {
  const out: { page?: string; size?: string } = {};
  for (const call of descendants(root, 'method_invocation')) {
    const name = call.childForFieldName('name')?.text;
    if (name !== 'setPageParameterName' && name !== 'setSizeParameterName') continue;
    const arg = call.childForFieldName('arguments')?.namedChildren[0];
    const value = arg?.type === 'string_literal' ? stringValue(arg) : undefined;
    if (value) out[name === 'setPageParameterName' ? 'page' : 'size'] = value;
  }
  return out;
}

/** Statuses, thrown exceptions and rules of a class's concrete methods, for inherited mappings. */
function methodFacts(cls: ClassInfo, ctx: ExtractContext): Record<string, MethodFact> {
  const out: Record<string, MethodFact> = {};
  for (const m of cls.methods) {
    const name = m.childForFieldName('name')?.text;
    const words = modifierWords(m);
    if (!name || !m.childForFieldName('body') || name in out || words.has('static') || words.has('private')) continue;
    const bodies = handlerBodies(m, cls);
    const analysis = analyzeBodies(bodies, { file: ctx.file, cls, method: m, locals: localTypes(bodies, m) });
    out[name] = {
      responses: analysis.responses,
      thrown: analysis.thrown,
      ruleIds: [...new Set(bodies.flatMap((b) => ctx.rulesOf(b.parent ?? b)))],
      evidence: evidenceOf(ctx.file.path, m),
    };
  }
  return out;
}

const base = createServiceFrontend({
  language: 'java',
  version: JAVA_ANALYZER_VERSION,
  frameworks: 'Spring MVC, JAX-RS or servlet routes',
  // Test sources (Maven/Gradle `src/test`, `src/it`) declare mock controllers and assertions, not the service.
  accepts: (path) => path.toLowerCase().endsWith('.java') && !TEST_SOURCES.test(path),
  grammarFor: () => 'java',
  prepare: (tree: readonly TreeFile[]) => readJavaConfig(tree) as Record<string, unknown>,
  extract,
});

/** The Java frontend: the shared service frame, with the Java link step before the shared one. */
export const javaFrontend: ServiceFrontend = {
  ...base,
  link: (files: readonly FileAnalysis[], context: { root: string }) => base.link(settleJavaFacts(files), context),
};
