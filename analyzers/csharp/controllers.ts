/**
 * ASP.NET Core MVC / Web API controllers and classic ASP.NET Web API 2 `ApiController`s with
 * attribute routing. A controller is a public class deriving from `ControllerBase`/`Controller`/
 * `ApiController`, marked `[ApiController]`/`[Controller]`, or named `*Controller`; each is a
 * router whose prefixes are its `[Route]`/`[RoutePrefix]` templates (none: it takes its base
 * class's, see `RouterFact.bases`). `[controller]`, `[action]` and `[area]` stay `{{token:...}}`
 * placeholders until the link step knows the concrete class (a base class's
 * `[Route("api/[controller]")]` names each derived controller).
 *
 * Actions: public methods with `[HttpGet]`...`[HttpPatch]`, `[AcceptVerbs]`, `[Route]`
 * (templates combine as ASP.NET does: a verb attribute with its own template is one selector;
 * a `[Route]` takes the verbs of the template-less verb attributes), `[ActionName]`,
 * `[NonAction]` excluded, templates starting with `/` or `~/` ignoring the controller's prefix
 * (served by a second, prefix-less router `<Class>~`). Web API 2 actions without a verb
 * attribute take it from their name (`GetX` → GET). Public methods with no route at all rely on
 * conventional routing (`MapControllerRoute`), which this analyzer cannot resolve: a diagnostic
 * names them and no operation is invented.
 */
import type { Diagnostic } from '../model.js';
import type { HttpMethod, ParamFact, RouteFact, RouterFact, SymbolRef } from '../service/facts.js';
import { normalizePath } from '../service/paths.js';
import { evidenceOf, lineOf, type SyntaxNode } from '../service/tree-sitter.js';
import { thrownWithoutStatus } from './exceptions.js';
import type { CsRouteFact } from './handler-refs.js';
import { apiVersionParam } from './minimal-apis.js';
import { bindParameters, templateParamNames, type BindingStyle } from './parameters.js';
import { attributeUse, NON_ROUTE_ATTRIBUTES, type RouterWithUses, type RouteWithUses } from './route-attributes.js';
import { declaredResponses, declaredResult, handlerResponses } from './responses.js';
import type { RuleSink } from './rules.js';
import type { CsFile, TypeDecl } from './scope.js';
import { simpleTypeName } from './scope.js';
import { attributesOf, docComment, findAttribute, hasAttribute, literalString, modifiersOf, stringValue, type Attribute } from './syntax.js';

export interface Extracted {
  routers: RouterFact[];
  routes: RouteFact[];
  /** Handler node of each route (same order as `routes`), for the rules inside it. */
  handlers: SyntaxNode[];
}

/** Attributes of classes and methods that are neither routes nor candidates for application route attributes. */
const KNOWN_CLASS_ATTRIBUTES = /^(Serializable|DataContract|Table|Index|JsonConverter|Keyless|Owned|ComVisible|Guid|SignalRHub|Hub)$/;
const KNOWN_METHOD_ATTRIBUTES = /^(Required|FromBody|FromQuery|FromRoute|FromHeader|FromForm|FromServices|Fact|Theory|Test|TestMethod|HttpOptions)$/;

const FRAMEWORK_BASES = new Set(['Controller', 'ControllerBase', 'ApiController', 'ODataController', 'AbpController', 'AbpControllerBase', 'MvcController']);
const VERBS: Record<string, HttpMethod[]> = {
  HttpGet: ['get'],
  HttpPost: ['post'],
  HttpPut: ['put'],
  HttpDelete: ['delete'],
  HttpPatch: ['patch'],
  // A HEAD action the code declares itself (ASP.NET answers HEAD for GETs on its own; those are not listed).
  HttpHead: ['head'],
};
/** Web API 2 actions without a verb attribute: the verb their name starts with, else POST. */
const WEBAPI_NAME_VERB = /^(Get|Post|Put|Delete|Patch)/;

export function extractControllers(file: CsFile, rules: RuleSink, diagnostics: Diagnostic[]): Extracted {
  const out: Extracted = { routers: [], routes: [], handlers: [] };
  for (const decl of file.types) {
    if (decl.kind !== 'class' || !isController(decl)) continue;
    extractController(file, decl, rules, diagnostics, out);
  }
  return out;
}

function baseNames(decl: TypeDecl): string[] {
  return decl.bases.map(simpleTypeName);
}

function isController(decl: TypeDecl): boolean {
  if (hasAttribute(decl.attrs, 'NonController')) return false;
  if (decl.modifiers.has('static')) return false;
  if (hasAttribute(decl.attrs, 'ApiController', 'Controller', 'RoutePrefix')) return true;
  if (baseNames(decl).some((b) => FRAMEWORK_BASES.has(b))) return true;
  // `RestControllerWithSignalR<T>`, `MyController : ApiControllerBase`: a controller or a base of one.
  if (/Controller/.test(decl.simple) || baseNames(decl).some((b) => /Controller/.test(b) && !/^I[A-Z]/.test(b))) return true;
  // A class of actions under another name (a base class from another file).
  return decl.members.some((m) => m.type === 'method_declaration' && attributesOf(m).some((a) => a.name in VERBS || a.name === 'AcceptVerbs'));
}

/** `[controller]`, `[action]`, `[area]` (any case) → link placeholders; `[[`/`]]` escapes → brackets. */
function tokenize(template: string, action?: string): string {
  return template
    .replace(/\[(controller|action|area)\]/gi, (_m, t: string) => (t.toLowerCase() === 'action' && action !== undefined ? action : `{{token:${t.toLowerCase()}}}`))
    .replace(/\[\[/g, '[')
    .replace(/\]\]/g, ']');
}

function extractController(file: CsFile, decl: TypeDecl, rules: RuleSink, diagnostics: Diagnostic[], out: Extracted): void {
  const path = file.path;
  const bases = baseNames(decl);
  const webApi2 = bases.includes('ApiController') || hasAttribute(decl.attrs, 'RoutePrefix');
  const style: BindingStyle = hasAttribute(decl.attrs, 'ApiController') || webApi2 || !bases.includes('Controller') ? 'api' : 'mvc';
  const lookup = (n: string) => file.constant(n, decl);
  const classTemplates = decl.attrs
    .filter((a) => a.name === 'Route' || a.name === 'RoutePrefix')
    .map((a) => templateOf(a, lookup))
    .filter((t): t is string => t !== undefined);
  const prefixParams: ParamFact[] = [];
  const prefixes = classTemplates.map((t) => {
    const n = normalizePath(tokenize(t), 'brace');
    for (const p of n.params) prefixParams.push({ name: p.name, in: 'path', required: true, schema: p.schema });
    return n.path;
  });
  const controllerName = decl.simple.replace(/Controller$/, '') || decl.simple;
  const area = literalString(findAttribute(decl.attrs, 'Area')?.positional[0]);
  const tokens: Record<string, string> = { controller: controllerName, ...(area ? { area } : {}), ...typeArgumentTokens(file, decl) };
  const abstract = decl.modifiers.has('abstract') || decl.typeParams.length > 0;
  const ownBases: SymbolRef[] = bases.filter((b) => !FRAMEWORK_BASES.has(b) && !/^I[A-Z]/.test(b)).map((name) => ({ name: file.resolveTypeName(name, decl.outer) }));
  // Route attributes the application declares itself (`[V3ApiController]`): resolved across files before the link.
  const classUses = decl.attrs.filter((a) => !NON_ROUTE_ATTRIBUTES.has(a.name) && !KNOWN_CLASS_ATTRIBUTES.test(a.name)).map((a) => attributeUse(a, lookup));
  const router: RouterWithUses = {
    ...(classUses.length ? { attributeUses: classUses } : {}),
    id: decl.name,
    prefixes,
    root: true,
    evidence: evidenceOf(path, decl.node.childForFieldName('name') ?? decl.node),
    label: decl.name,
    tokens,
    ...(ownBases.length ? { bases: ownBases } : {}),
    ...(abstract ? { abstract: true } : {}),
  };
  // Templates starting with `/` or `~/` ignore the prefix: a second router without one.
  const absolute: RouterFact = {
    id: `${decl.name}~`,
    prefixes: [''],
    root: true,
    evidence: router.evidence,
    label: decl.name,
    tokens,
    ...(ownBases.length ? { bases: ownBases.map((b) => ({ name: `${b.name}~` })) } : {}),
    ...(abstract ? { abstract: true } : {}),
  };
  out.routers.push(router);
  let usesAbsolute = ownBases.length > 0;

  const unrouted: string[] = [];
  const anyVerb: string[] = [];
  for (const m of decl.members) {
    if (m.type !== 'method_declaration') continue;
    const mods = modifiersOf(m);
    if (!mods.has('public') || mods.has('static') || mods.has('abstract')) continue;
    const attrs = attributesOf(m);
    const methodName = m.childForFieldName('name')?.text ?? '';
    if (hasAttribute(attrs, 'NonAction')) {
      // `[NonAction] public override ...`: hides the base class's action. A route without methods
      // serves nothing but names the handler, which is how the link step knows it is overridden.
      if (mods.has('override') && ownBases.length > 0) {
        out.routes.push({ router: router.id, methods: [], paths: [''], handler: handlerName(decl, m), params: [], responses: [], evidence: evidenceOf(path, m), ruleIds: [] });
        out.handlers.push(m);
      }
      continue;
    }
    if (/^(Dispose|ToString|Equals|GetHashCode|OnActionExecuting|OnActionExecuted|OnActionExecutionAsync|OnAuthorization)$/.test(methodName)) continue;
    const action = literalString(findAttribute(attrs, 'ActionName')?.positional[0]) ?? methodName.replace(/(.)Async$/, '$1');
    const selectors = selectorsOf(attrs, lookup);
    const uses = selectors.length === 0 ? attrs.filter((a) => !NON_ROUTE_ATTRIBUTES.has(a.name) && !KNOWN_METHOD_ATTRIBUTES.test(a.name)) : [];
    if (uses.length > 0) {
      // `[RestGetById]`: verbs and template come from the attribute's declaration, maybe in another file.
      const route: RouteWithUses = buildRoute(file, decl, m, attrs, {
        router: router.id,
        methods: [],
        path: '',
        pathParams: prefixParams,
        templateParams: templateParamNames(classTemplates.map((t) => tokenize(t, action))),
        style,
        action,
        rules,
      });
      route.attributeUses = uses.map((a) => attributeUse(a, lookup));
      route.action = action;
      out.routes.push(route);
      out.handlers.push(m);
      continue;
    }
    const hasPrefix = prefixes.length > 0 || classUses.length > 0;
    if (selectors.length === 0) {
      if (prefixes.length === 0 && classUses.length > 0 && ownBases.length === 0 && !abstract) {
        // Whether the class attribute is a route is known only across files: a marker (no methods)
        // the attribute step reports as unrouted when it is not one.
        const marker: RouteWithUses = { router: router.id, methods: [], paths: [''], handler: handlerName(decl, m), params: [], responses: [], evidence: evidenceOf(path, m), ruleIds: [], needsPrefix: true };
        out.routes.push(marker);
        out.handlers.push(m);
        continue;
      }
      if (hasPrefix && !classTemplates.some((t) => /\[action\]/i.test(t)) && !webApi2) anyVerb.push(methodName);
      else if (prefixes.length > 0 && webApi2) selectors.push({ methods: [webApiVerb(methodName)], template: undefined });
      else if (classTemplates.some((t) => /\[action\]/i.test(t))) anyVerb.push(methodName);
      else unrouted.push(methodName);
      if (selectors.length === 0) continue;
    }
    for (const sel of selectors) {
      if (sel.methods.length === 0) {
        if (webApi2) sel.methods = [webApiVerb(methodName)];
        else {
          anyVerb.push(methodName);
          continue;
        }
      }
      // An abstract base's template-less actions take the prefix of the controllers deriving from it.
      if (sel.template === undefined && !hasPrefix && ownBases.length === 0 && !abstract) {
        unrouted.push(methodName);
        continue;
      }
      const raw = tokenize(sel.template ?? '', action);
      const isAbsolute = /^~?\//.test(raw);
      const normalized = normalizePath(raw.replace(/^~/, ''), 'brace');
      if (isAbsolute) usesAbsolute = true;
      const templates = [...classTemplates.map((t) => tokenize(t, action)), raw];
      const route = buildRoute(file, decl, m, attrs, {
        router: isAbsolute ? absolute.id : router.id,
        methods: sel.methods,
        path: normalized.path,
        pathParams: [...(isAbsolute ? [] : prefixParams), ...normalized.params.map((p) => ({ name: p.name, in: 'path' as const, required: true, schema: p.schema }))],
        templateParams: templateParamNames(templates),
        style,
        action,
        routeName: sel.name,
        rules,
      });
      if (classTemplates.some((t) => /\[action\]/i.test(t))) route.tokens = { action };
      if (sel.template === undefined && prefixes.length === 0 && ownBases.length === 0 && classUses.length > 0 && !abstract) (route as RouteWithUses).needsPrefix = true;
      // Asp.Versioning with the default query string reader, unless the version is in the URL.
      const versionAttrs = [...decl.attrs, ...attrs].filter((a) => a.name === 'ApiVersion' || a.name === 'MapToApiVersion');
      if (versionAttrs.length && !templates.some((t) => /\{version:apiVersion\}/i.test(t))) {
        route.params.push(apiVersionParam(versionAttrs.map((a) => literalString(a.positional[0]) ?? a.positional[0]?.text ?? '').filter(Boolean)));
      }
      out.routes.push(route);
      out.handlers.push(m);
    }
  }
  if (usesAbsolute) out.routers.push(absolute);
  if (unrouted.length > 0 && !abstract) {
    diagnostics.push({
      path,
      line: lineOf(decl.node),
      severity: 'warning',
      message: `${decl.name}: action${unrouted.length > 1 ? 's' : ''} ${unrouted.join(', ')} ha${unrouted.length > 1 ? 've' : 's'} no route attribute; conventional routing (MapControllerRoute, MapRoute) is not analyzed, so no operation is written for ${unrouted.length > 1 ? 'them' : 'it'}`,
    });
  }
  if (anyVerb.length > 0) {
    diagnostics.push({
      path,
      line: lineOf(decl.node),
      severity: 'warning',
      message: `${decl.name}: action${anyVerb.length > 1 ? 's' : ''} ${[...new Set(anyVerb)].join(', ')} ha${anyVerb.length > 1 ? 've' : 's'} a route but no HTTP method attribute, so ASP.NET answers every method there; no operation is written for ${anyVerb.length > 1 ? 'them' : 'it'}`,
    });
  }
}

/**
 * `OrdersController.Get(id)`: the parameter names tell overloads apart, so that an override
 * (same name and parameters) hides the base class's action and another overload does not.
 */
function handlerName(decl: TypeDecl, m: SyntaxNode): string {
  const params = (m.childForFieldName('parameters')?.namedChildren ?? []).filter((p) => p.type === 'parameter').map((p) => p.childForFieldName('name')?.text ?? '_');
  return `${decl.name}.${m.childForFieldName('name')?.text ?? ''}(${params.join(', ')})`;
}

/** The link-step token for the i-th type parameter of a generic controller. */
function typeToken(className: string, index: number): string {
  return `{{token:type:${className}:${index}}}`;
}

/**
 * What `class TagsController : RestController<TagResource>` says about its base's type
 * parameters: `type:RestController:0` → `TagResource` (or, from a generic class, its own parameter's token).
 */
function typeArgumentTokens(file: CsFile, decl: TypeDecl): Record<string, string> {
  const out: Record<string, string> = {};
  for (const base of decl.bases) {
    const g = base.type === 'qualified_name' ? base.childForFieldName('name') : base;
    if (g?.type !== 'generic_name') continue;
    const baseName = file.resolveTypeName(simpleTypeName(base), decl.outer);
    const args = g.namedChildren.find((c) => c.type === 'type_argument_list')?.namedChildren ?? [];
    args.forEach((arg, i) => {
      if (arg.type !== 'identifier' && arg.type !== 'qualified_name') return;
      const own = decl.typeParams.indexOf(arg.text);
      if (own >= 0) out[`type:${baseName}:${i}`] = typeToken(decl.name, own);
      else if (/^[A-Z]/.test(simpleTypeName(arg)) && !/^(String|Int32|Int64|Guid|DateTime|Object|Boolean|Decimal|Double)$/.test(simpleTypeName(arg))) out[`type:${baseName}:${i}`] = file.resolveTypeName(arg.text, decl.outer);
    });
  }
  return out;
}

function webApiVerb(methodName: string): HttpMethod {
  const m = WEBAPI_NAME_VERB.exec(methodName);
  return (m ? m[1]!.toLowerCase() : 'post') as HttpMethod;
}

interface Selector {
  methods: HttpMethod[];
  /** Undefined: no template of its own (the controller's prefix alone). */
  template: string | undefined;
  name?: string;
}

function templateOf(a: Attribute, lookup: (n: string) => string | undefined): string | undefined {
  const node = a.positional[0] ?? a.named.get('Template') ?? a.named.get('template');
  return node ? stringValue(node, lookup) : undefined;
}

/** The (verbs, template) pairs of an action, as ASP.NET Core builds its selectors. */
function selectorsOf(attrs: readonly Attribute[], lookup: (n: string) => string | undefined): Selector[] {
  const templated: Selector[] = [];
  const bareVerbs: HttpMethod[] = [];
  let bareName: string | undefined;
  const routes: { template: string; name?: string }[] = [];
  for (const a of attrs) {
    const verbs = VERBS[a.name];
    if (verbs) {
      const template = templateOf(a, lookup);
      const name = literalString(a.named.get('Name'));
      if (template !== undefined) templated.push({ methods: [...verbs], template, ...(name ? { name } : {}) });
      else {
        bareVerbs.push(...verbs);
        bareName ??= name;
      }
    } else if (a.name === 'AcceptVerbs') {
      const methods = a.positional
        .flatMap((p) => (p.type === 'array_creation_expression' || p.type === 'implicit_array_creation_expression' ? p.descendantsOfType('string_literal') : [p]))
        .map((p) => (literalString(p) ?? p.text.replace(/^.*\./, '')).toLowerCase())
        .filter((v): v is HttpMethod => ['get', 'post', 'put', 'patch', 'delete', 'head'].includes(v));
      const template = literalString(a.named.get('Route'));
      if (template !== undefined) templated.push({ methods, template });
      else bareVerbs.push(...methods);
    } else if (a.name === 'Route') {
      const template = templateOf(a, lookup);
      const name = literalString(a.named.get('Name'));
      if (template !== undefined) routes.push({ template, ...(name ? { name } : {}) });
    } else if (/^Http(Get|Post|Put|Delete|Patch)$/.test(a.name)) {
      // Web API 2 verb attributes without arguments are covered above; nothing else here.
    }
  }
  const out = [...templated];
  for (const r of routes) out.push({ methods: [...new Set(bareVerbs)], template: r.template, ...((r.name ?? bareName) ? { name: r.name ?? bareName } : {}) });
  if (out.length === 0 && bareVerbs.length > 0) out.push({ methods: [...new Set(bareVerbs)], template: undefined, ...(bareName ? { name: bareName } : {}) });
  return out;
}

interface RouteInput {
  router: string;
  methods: HttpMethod[];
  path: string;
  pathParams: ParamFact[];
  templateParams: Map<string, string>;
  style: BindingStyle;
  action: string;
  routeName?: string;
  rules: RuleSink;
}

function buildRoute(file: CsFile, decl: TypeDecl, m: SyntaxNode, attrs: Attribute[], input: RouteInput): CsRouteFact {
  const methodName = m.childForFieldName('name')?.text ?? input.action;
  const handler = handlerName(decl, m);
  const scope = {
    file,
    from: decl,
    typeParams: new Set([...decl.typeParams, ...(m.childForFieldName('type_parameters')?.namedChildren ?? []).map((p) => p.text)]),
    typeParamRefs: new Map(decl.typeParams.map((t, i) => [t, typeToken(decl.name, i)])),
  };
  const doc = docComment(m);
  const bound = bindParameters({
    parameters: m.childForFieldName('parameters'),
    scope,
    style: input.style,
    templateParams: input.templateParams,
    methods: input.methods,
    docs: doc.params,
    handler: `${decl.name}.${methodName}`,
    rules: input.rules,
  });
  // Path parameters typed by their template constraints, unless the action declares the parameter itself.
  const declared = new Set(bound.params.filter((p) => p.in === 'path').map((p) => p.name.toLowerCase()));
  const params = [...bound.params, ...input.pathParams.filter((p) => !declared.has(p.name.toLowerCase()))];
  const declaredType = declaredResult(m.childForFieldName('returns'), scope);
  const extra = [...declaredResponses(decl.attrs, scope, file.path), ...declaredResponses(attrs, scope, file.path)];
  const responses = handlerResponses({ path: file.path, body: m.childForFieldName('body'), declared: declaredType, extra, scope });
  const summary = doc.summary;
  const throws = thrownWithoutStatus(file.path, m.childForFieldName('body'));
  const notes = [...bound.notes];
  if (hasAttribute(attrs, 'SwaggerIgnore') || hasAttribute(decl.attrs, 'SwaggerIgnore') || /IgnoreApi\s*=\s*true/.test(findAttribute([...attrs, ...decl.attrs], 'ApiExplorerSettings')?.node.text ?? '')) {
    notes.push('served, but left out of the published API description ([SwaggerIgnore] / [ApiExplorerSettings(IgnoreApi = true)])');
  }
  return {
    router: input.router,
    methods: input.methods,
    paths: [input.path],
    handler,
    operationName: input.routeName ?? `{{token:controller}}_${input.action}`,
    params,
    ...(bound.body ? { body: bound.body } : {}),
    responses,
    ...(summary ? { summary } : {}),
    ...(doc.remarks ? { description: doc.remarks } : {}),
    evidence: evidenceOf(file.path, m),
    ruleIds: bound.ruleIds,
    ...(notes.length ? { notes } : {}),
    ...(throws.length ? { throws } : {}),
    tags: [decl.simple.replace(/Controller$/, '')],
  };
}
