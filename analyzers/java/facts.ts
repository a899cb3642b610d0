/**
 * What the Java extractor records beyond the shared `ServiceFacts`, for the Java link step
 * (`inherit.ts`) to settle across files before the shared one runs: mappings declared on
 * interfaces and abstract classes that controllers implement or extend, exceptions thrown by
 * handlers and the statuses exception classes and handlers give them, JAX-RS `@ApplicationPath`
 * and `@BeanParam` classes. Plain JSON inside the cached facts.
 */
import type { Evidence } from '../model.js';
import type { ParamFact, PathText, ResponseFact, RouteFact, ServiceFacts } from '../service/facts.js';

export type Framework = 'spring' | 'jaxrs';

/** Routes declared on an interface or abstract class, served only by the classes that implement/extend it. */
export interface TemplateFact {
  name: string;
  qualified: string;
  framework: Framework;
  prefixes: PathText[];
  /** Route facts with `router` set to the template's name. */
  routes: JavaRouteFact[];
  /** Supertypes of the template (an API interface extending another). */
  supers: string[];
  /** MicroProfile REST client / Feign interface: a client, never served. */
  client: boolean;
}

/** What a handler method of an implementing class adds to a template's route. */
export interface MethodFact {
  responses: ResponseFact[];
  ruleIds: string[];
  thrown: ThrownFact[];
  evidence: Evidence;
}

/** A class that may serve templates it implements or extends. */
export interface ImplementationFact {
  /** Router id in this file when the class is already a router (a `@RestController`). */
  router?: string;
  className: string;
  localName: string;
  framework: Framework | 'unknown';
  supers: { name: string; module?: string }[];
  /** The class has its own `@RequestMapping`/`@Path`, which wins over the template's. */
  ownPrefix: boolean;
  /** Non-abstract methods by name, for the bodies behind inherited mappings. */
  methods: Record<string, MethodFact>;
  evidence: Evidence;
}

export interface ThrownFact {
  name: string;
  message?: string;
  evidence: Evidence;
}

/** An exception type mapped to a status: `@ResponseStatus` on the class, an `@ExceptionHandler`, an `ExceptionMapper`. */
export interface ExceptionStatusFact {
  name: string;
  status: string;
  reason?: string;
  /** Where the mapping is declared. */
  evidence: Evidence;
  via: 'annotation' | 'handler' | 'mapper';
}

/** What kind of request handling a class plugs into, as its supertypes say (see `filters.ts`). */
export type InterceptorKind = 'filter' | 'interceptor' | 'webfilter' | 'jaxrs-filter';

/**
 * A class that sees requests before the handlers (a servlet filter, a Spring `HandlerInterceptor`,
 * a WebFlux `WebFilter`, a JAX-RS `ContainerRequestFilter`), or any class extending a project class
 * that reads request headers (it may be a filter through that base).
 */
export interface InterceptorFact {
  name: string;
  qualified: string;
  /** Known from its own supertypes; else from its superclass's fact, if any. */
  kind?: InterceptorKind;
  superclass?: string;
  /** Headers it reads by name (names may hold `{{const:…}}` placeholders). */
  params: ParamFact[];
  /**
   * Applied without a registration in code: a Spring bean (Spring Boot puts every `Filter` and
   * `WebFilter` bean on every request), `@WebFilter(urlPatterns)`, a JAX-RS `@Provider`, a web.xml
   * `<filter-mapping>`. `patterns` empty: every request.
   */
  auto?: { as: 'filter' | 'bean' | 'provider'; patterns: string[]; via: string; evidence: Evidence };
  /** Annotations on the class: a JAX-RS `@NameBinding` among them limits it to the resources that carry it. */
  annotations?: string[];
  evidence: Evidence;
}

/** A Spring `HandlerMethodArgumentResolver`: the parameter types and annotations it claims, and what it reads. */
export interface ResolverFact {
  name: string;
  qualified: string;
  /** Class literals compared with the parameter's type in `supportsParameter`. */
  types: string[];
  /** Annotations `supportsParameter` looks for (`hasParameterAnnotation(CurrentUser.class)`). */
  annotations: string[];
  params: ParamFact[];
  evidence: Evidence;
}

/**
 * Code that puts a filter, interceptor, servlet or JAX-RS provider on URL patterns:
 * `FilterRegistrationBean#setFilter` + `addUrlPatterns`, `new ServletRegistrationBean<>(servlet,
 * "/metrics/*")`, `registry.addInterceptor(x).addPathPatterns(...)`, `servletContext.addFilter(...)`,
 * Spring Security's `addFilterBefore`, Jersey's `register(X.class)`, a `@Bean` method returning a filter.
 */
export interface RegistrationFact {
  /** The registered class, simple name; `module` its qualified name when the file's imports say. */
  target: string;
  module?: string;
  as: 'filter' | 'interceptor' | 'servlet' | 'provider' | 'bean';
  /** Servlet url-patterns (`filter`, `servlet`) or Ant path patterns (`interceptor`); empty: every request. */
  patterns: string[];
  excludes: string[];
  /** Some patterns are computed at run time (a property, a method call) and could not be read. */
  unresolved?: boolean;
  /** Human description for notes: `FilterRegistrationBean in WebConfig.flowIdRequestFilter`. */
  via: string;
  evidence: Evidence;
}

/** A servlet without `@WebServlet` or web.xml mapping: its routes wait for a registration (paths relative to the pattern). */
export interface ServletTemplateFact {
  name: string;
  qualified: string;
  localName: string;
  routes: JavaRouteFact[];
  /** It reads `getPathInfo()`: a `/x/*` pattern also gives `/x/{pathInfo}`. */
  pathInfo: boolean;
  evidence: Evidence;
}

/** A `@ControllerAdvice` whose `@ModelAttribute` methods read the request before the handlers it selects (`advice.ts`). */
export interface AdviceFact {
  name: string;
  /** `Advice.method (file:line)`, for notes. */
  methods: string[];
  params: ParamFact[];
  basePackages: string[];
  assignableTypes: string[];
  /** Selects controllers by their annotations: not applied. */
  byAnnotation?: boolean;
  evidence: Evidence;
}

export interface JavaFacts {
  templates: TemplateFact[];
  implementations: ImplementationFact[];
  exceptionStatuses: ExceptionStatusFact[];
  /** Class → superclass simple names (to map subclasses of mapped exceptions). */
  superclasses: Record<string, string>;
  /** `@ApplicationPath` values of `Application`/`ResourceConfig` subclasses. */
  applicationPaths: { path: string; evidence: Evidence }[];
  /** Root JAX-RS routers of this file (they take the application path). */
  jaxrsRouters: string[];
  /** JAX-RS base path from configuration (`spring.jersey.application-path`, Quarkus, web.xml), and whether it wins over `@ApplicationPath`. */
  jaxrsBase?: { path: string; wins: boolean };
  /** Servlet context path of the module, for routers the link step creates. */
  contextPath?: string;
  /** Fields and setters of `@BeanParam` classes, by class simple name. */
  beans: Record<string, ParamFact[]>;
  /** Spring Data's `Pageable` parameter names when this file renames them (`setPageParameterName`) or the configuration does. */
  pageableNames?: { page?: string; size?: string; sort?: string };
  /** True when the file imports javax/jakarta.ws.rs (its `NotFoundException` is JAX-RS's). */
  usesJaxrs: boolean;
  interceptors?: InterceptorFact[];
  resolvers?: ResolverFact[];
  registrations?: RegistrationFact[];
  servlets?: ServletTemplateFact[];
  advice?: AdviceFact[];
  /** Annotation types declared here with JAX-RS `@NameBinding` (`@Secured`). */
  nameBindings?: string[];
}

/** A route with what only the Java link step settles; the shared link step ignores the extra keys. */
export interface JavaRouteFact extends RouteFact {
  /** Exceptions the handler throws whose status is not known in its file. */
  thrown?: ThrownFact[];
  /** A `@Valid` body or parameter: the status of the validation exception comes from the exception handlers. */
  validated?: { exception: string; evidence: Evidence };
  /** `@BeanParam` classes, expanded into parameters by the Java link step. */
  beanParams?: string[];
  /** Takes a Spring Data `Pageable` (its `page`/`size` names may be configured elsewhere). */
  pageable?: boolean;
  /** Selected by `params`/`headers` conditions among handlers of the same method and path. */
  conditioned?: boolean;
  /** Annotations on the JAX-RS resource method and its class, for `@NameBinding` filters. */
  bindings?: string[];
  /** Which dispatch serves it: servlet filters see every request, Spring interceptors only `spring` ones, JAX-RS filters `jaxrs` ones. */
  servedBy?: 'spring' | 'jaxrs' | 'servlet';
  /**
   * Handler parameters no built-in Spring binding claims (unannotated objects, custom annotations):
   * a registered `HandlerMethodArgumentResolver` that supports the type or annotation resolves them
   * instead of model-attribute binding. `bound` names the parameter facts this one produced.
   */
  resolvable?: { name: string; type: string; annotations: string[]; bound: 'query' | 'fromType' | 'none' }[];
}

export type JavaServiceFacts = ServiceFacts & { routes: JavaRouteFact[]; java?: JavaFacts };

export function emptyJavaFacts(): JavaFacts {
  return { templates: [], implementations: [], exceptionStatuses: [], superclasses: {}, applicationPaths: [], jaxrsRouters: [], beans: {}, usesJaxrs: false };
}
