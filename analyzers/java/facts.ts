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
}

export type JavaServiceFacts = ServiceFacts & { routes: JavaRouteFact[]; java?: JavaFacts };

export function emptyJavaFacts(): JavaFacts {
  return { templates: [], implementations: [], exceptionStatuses: [], superclasses: {}, applicationPaths: [], jaxrsRouters: [], beans: {}, usesJaxrs: false };
}
