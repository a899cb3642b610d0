/**
 * Route attributes an application declares itself: `class RestGetByIdAttribute : Attribute,
 * IActionHttpMethodProvider, IRouteTemplateProvider { HttpMethods => new[] { "GET" }; Template =>
 * "{id:int}" }`, `class RestPutByIdAttribute : HttpPutAttribute { ctor : base("{id:int?}") }`,
 * `class V3ApiControllerAttribute : VersionedApiControllerAttribute { ctor(string resource =
 * "[controller]") : base(3, resource) }` with `Template = $"api/v{version}/{resource}"`.
 *
 * The file declaring such a class records an `AttributeFact`: its constructor parameters (with
 * defaults), its template and HTTP methods with `{{arg:name}}` where a constructor argument goes,
 * and its base class with the arguments passed to it. A controller using an attribute this file
 * does not know records the use (`AttributeUse`). Before the frame's link step the uses are
 * evaluated against all files' attribute facts: a class-level one gives the controller's prefix,
 * a method-level one the action's verbs and template (a query parameter named in the template
 * becomes a path parameter). Unresolved uses on an action leave it out, with a diagnostic.
 */
import type { FileAnalysis } from '../model.js';
import type { HttpMethod, ParamFact, RouteFact, RouterFact } from '../service/facts.js';
import { normalizePath } from '../service/paths.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { CsFacts } from './handler-refs.js';
import type { CsFile, TypeDecl } from './scope.js';
import { simpleTypeName } from './scope.js';
import { intValue, modifiersOf, sameNode, stringValue, type Attribute } from './syntax.js';

/** An attribute use the declaring file did not know: name and constant arguments (null: not constant). */
export interface AttributeUse {
  name: string;
  args: (string | null)[];
  named: Record<string, string | null>;
}

export interface AttributeFact {
  /** Without the `Attribute` suffix. */
  name: string;
  /** Base class, without the `Attribute` suffix (`HttpPut`, `VersionedApiController`). */
  base?: string;
  params: { name: string; default?: string | null }[];
  /** Arguments to the base constructor, `{{arg:name}}` for constructor parameters. */
  baseArgs?: (string | null)[];
  template?: string | null;
  methods?: HttpMethod[];
}

export type RouterWithUses = RouterFact & { attributeUses?: AttributeUse[] };
export type RouteWithUses = RouteFact & {
  attributeUses?: AttributeUse[];
  action?: string;
  /** Has no template of its own and its controller's prefix comes only from an attribute use: dropped when that does not resolve. */
  needsPrefix?: boolean;
};

const FRAMEWORK_VERBS: Record<string, HttpMethod> = { HttpGet: 'get', HttpPost: 'post', HttpPut: 'put', HttpDelete: 'delete', HttpPatch: 'patch' };
const ROUTE_INTERFACES = /^(IRouteTemplateProvider|IActionHttpMethodProvider|IHttpMethodMetadata)$/;

/** Attributes known to carry no route, never recorded as uses. */
export const NON_ROUTE_ATTRIBUTES = new Set([
  'ApiController', 'Controller', 'NonController', 'NonAction', 'Area', 'ActionName', 'Authorize', 'AllowAnonymous', 'Produces', 'ProducesResponseType',
  'ProducesDefaultResponseType', 'ProducesErrorResponseType', 'Consumes', 'ApiExplorerSettings', 'ApiVersion', 'MapToApiVersion', 'ApiConventionMethod',
  'ApiConventionType', 'ResponseCache', 'Obsolete', 'Description', 'DisplayName', 'SwaggerOperation', 'SwaggerResponse', 'SwaggerTag', 'SwaggerIgnore',
  'OpenApiOperation', 'Tags', 'EndpointSummary', 'EndpointDescription', 'EnableCors', 'DisableCors', 'RequestSizeLimit', 'DisableRequestSizeLimit',
  'RequestFormLimits', 'ValidateAntiForgeryToken', 'IgnoreAntiforgeryToken', 'AutoValidateAntiforgeryToken', 'RequireHttps', 'TypeFilter', 'ServiceFilter',
  'FormatFilter', 'EnableRateLimiting', 'DisableRateLimiting', 'OutputCache', 'SkipStatusCodePages', 'DebuggerStepThrough', 'ExcludeFromCodeCoverage',
  'SuppressMessage', 'GeneratedCode', 'EditorBrowsable', 'MethodImpl', 'AsyncStateMachine', 'Conditional', 'SkipValidation', 'DefaultValue', 'Route',
  'RoutePrefix', 'AcceptVerbs', 'HttpGet', 'HttpPost', 'HttpPut', 'HttpDelete', 'HttpPatch', 'HttpHead', 'HttpOptions', 'Http',
]);

/** A use of an attribute, with its constant arguments. */
export function attributeUse(a: Attribute, lookup: (n: string) => string | undefined): AttributeUse {
  const value = (n: SyntaxNode): string | null => {
    const s = stringValue(n, lookup);
    if (s !== undefined && !s.includes('{{const:')) return s;
    const i = intValue(n);
    return i !== undefined ? String(i) : null;
  };
  return { name: a.name, args: a.positional.map(value), named: Object.fromEntries([...a.named].map(([k, v]) => [k, value(v)])) };
}

/** Attribute classes of a file that may carry routes (derive from a route attribute, implement a route interface, or derive from another attribute). */
export function extractAttributeFacts(file: CsFile): Record<string, AttributeFact> {
  const out: Record<string, AttributeFact> = {};
  for (const decl of file.types) {
    if (decl.kind !== 'class' || !decl.simple.endsWith('Attribute') || decl.modifiers.has('static')) continue;
    const bases = decl.bases.map(simpleTypeName);
    const base = bases.find((b) => !/^I[A-Z]/.test(b) && b !== 'Attribute');
    const routeLike = bases.some((b) => ROUTE_INTERFACES.test(b)) || (base !== undefined && base.endsWith('Attribute'));
    if (!routeLike) continue;
    out[strip(decl.simple)] = attributeFact(file, decl, base);
  }
  return out;
}

function strip(name: string): string {
  return name.length > 'Attribute'.length && name.endsWith('Attribute') ? name.slice(0, -'Attribute'.length) : name;
}

function attributeFact(file: CsFile, decl: TypeDecl, base: string | undefined): AttributeFact {
  const fact: AttributeFact = { name: strip(decl.simple), params: [] };
  if (base) fact.base = strip(base);
  const ctor = decl.members.find((m) => m.type === 'constructor_declaration' && !modifiersOf(m).has('static') && !modifiersOf(m).has('private'));
  const aliases = new Map<string, string>();
  const lookupIn = (n: string): string | undefined => {
    if (aliases.has(n)) return aliases.get(n);
    return file.constant(n, decl);
  };
  if (ctor) {
    for (const p of ctor.childForFieldName('parameters')?.namedChildren ?? []) {
      const name = p.childForFieldName('name')?.text;
      if (!name) continue;
      const def = p.namedChildren.find((c) => !sameNode(c, p.childForFieldName('name')) && !sameNode(c, p.childForFieldName('type')) && c.type !== 'attribute_list' && c.type !== 'modifier');
      fact.params.push({ name, ...(def ? { default: constantOf(def, (n) => file.constant(n, decl)) } : {}) });
      aliases.set(name, `{{arg:${name}}}`);
    }
    const init = ctor.namedChildren.find((c) => c.type === 'constructor_initializer');
    if (init && /^:\s*base\b/.test(init.text)) {
      const args = init.namedChildren.find((c) => c.type === 'argument_list')?.namedChildren ?? [];
      fact.baseArgs = args.map((a) => constantOf(a.namedChildren[a.namedChildren.length - 1]!, lookupIn));
    }
    // `Version = version;` then `Template = $"feed/v{Version}/{resource}";`
    const body = ctor.childForFieldName('body');
    for (const assign of body?.descendantsOfType('assignment_expression') ?? []) {
      const left = assign.childForFieldName('left')?.text.replace(/^this\./, '');
      const right = assign.childForFieldName('right');
      if (!left || !right) continue;
      const v = constantOf(right, lookupIn);
      if (left === 'Template') fact.template = v;
      else if (v !== null) aliases.set(left, v);
    }
  }
  for (const m of decl.members) {
    if (m.type !== 'property_declaration') continue;
    const name = m.childForFieldName('name')?.text;
    const value = m.childForFieldName('value');
    const expr = value?.type === 'arrow_expression_clause' ? value.namedChildren[0] : value;
    if (!expr) continue;
    if (name === 'Template') fact.template = constantOf(expr, lookupIn);
    if (name === 'HttpMethods') {
      fact.methods = expr
        .descendantsOfType('string_literal')
        .map((s) => stringValue(s, () => undefined)?.toLowerCase())
        .filter((v): v is HttpMethod => ['get', 'post', 'put', 'patch', 'delete'].includes(v ?? ''));
    }
  }
  return fact;
}

function constantOf(node: SyntaxNode, lookup: (n: string) => string | undefined): string | null {
  const s = stringValue(node, lookup);
  if (s !== undefined && !s.includes('{{const:')) return s;
  const i = intValue(node);
  return i !== undefined ? String(i) : null;
}

/** What a use of an attribute amounts to: its template and methods, following bases (depth-limited). */
function evaluate(use: AttributeUse, facts: Map<string, AttributeFact>, depth = 0): { template?: string; methods?: HttpMethod[] } | undefined {
  const fact = facts.get(use.name);
  if (!fact || depth > 8) return undefined;
  const env = new Map<string, string>();
  fact.params.forEach((p, i) => {
    const v = use.named[p.name] ?? use.args[i] ?? p.default;
    if (v !== undefined && v !== null) env.set(p.name, v);
  });
  const subst = (s: string | null | undefined): string | undefined => {
    if (s === null || s === undefined) return undefined;
    let missing = false;
    const out = s.replace(/\{\{arg:(\w+)\}\}/g, (_m, n: string) => {
      const v = env.get(n);
      if (v === undefined) missing = true;
      return v ?? '';
    });
    return missing ? undefined : out;
  };
  let template = subst(fact.template);
  let methods = fact.methods;
  if (fact.base) {
    const verb = FRAMEWORK_VERBS[fact.base];
    if (verb) {
      methods ??= [verb];
      template ??= subst(fact.baseArgs?.[0]);
    } else if (fact.base === 'Route') {
      template ??= subst(fact.baseArgs?.[0]);
    } else {
      const inherited = evaluate({ name: fact.base, args: (fact.baseArgs ?? []).map((a) => subst(a) ?? null), named: {} }, facts, depth + 1);
      template ??= inherited?.template;
      methods ??= inherited?.methods;
    }
  }
  return template === undefined && !methods?.length ? undefined : { ...(template !== undefined ? { template } : {}), ...(methods?.length ? { methods } : {}) };
}

/** `[controller]`/`[action]`/`[area]` as in controllers.ts. */
function tokenize(template: string, action?: string): string {
  return template.replace(/\[(controller|action|area)\]/gi, (_m, t: string) => (t.toLowerCase() === 'action' && action !== undefined ? action : `{{token:${t.toLowerCase()}}}`));
}

/** Resolves every file's attribute uses with all files' attribute facts (a new array; files without uses are passed through). */
export function resolveRouteAttributes(files: readonly FileAnalysis[]): FileAnalysis[] {
  const facts = new Map<string, AttributeFact>();
  for (const f of files) for (const [name, fact] of Object.entries((f.facts as CsFacts | undefined)?.attributes ?? {})) if (!facts.has(name)) facts.set(name, fact);
  return files.map((f) => {
    const cs = f.facts as (Omit<CsFacts, 'routers' | 'routes'> & { routers: RouterWithUses[]; routes: RouteWithUses[] }) | undefined;
    if (!cs || (!cs.routers.some((r) => r.attributeUses) && !cs.routes.some((r) => r.attributeUses || r.needsPrefix))) return f;
    const diagnostics = [...f.diagnostics];
    const prefixParams = new Map<string, ParamFact[]>();
    const unresolved = new Set<string>();
    const routers = cs.routers.map((r) => {
      if (!r.attributeUses) return r;
      const { attributeUses, ...rest } = r;
      for (const use of attributeUses) {
        const v = evaluate(use, facts);
        if (v?.template === undefined) continue;
        const n = normalizePath(tokenize(v.template), 'brace');
        prefixParams.set(r.id, n.params.map((p) => ({ name: p.name, in: 'path', required: true, schema: p.schema })));
        return { ...rest, prefixes: [...rest.prefixes, n.path] };
      }
      unresolved.add(r.id);
      return rest;
    });
    const routes: RouteFact[] = [];
    const unrouted = new Map<string, { line: number; names: string[] }>();
    for (const route of cs.routes) {
      if (route.needsPrefix && unresolved.has(route.router)) {
        // `[SecurityHeaders] class AccountController : Controller` with `[HttpGet] Login()`: conventional routing after all.
        const router = route.router;
        const entry = unrouted.get(router) ?? { line: cs.routers.find((r) => r.id === router)?.evidence.startLine ?? route.evidence.startLine, names: [] };
        entry.names.push(route.handler.split('.').pop()!.replace(/\(.*$/, ''));
        unrouted.set(router, entry);
        continue;
      }
      const { needsPrefix: _needsPrefix, ...plain } = route;
      if (!plain.attributeUses) {
        routes.push(withPrefixParams(plain, prefixParams.get(route.router)));
        continue;
      }
      const { attributeUses, action, ...rest } = plain;
      let resolved = false;
      for (const use of attributeUses) {
        const v = evaluate(use, facts);
        if (!v?.methods?.length) continue;
        const n = normalizePath(tokenize(v.template ?? '', action), 'brace');
        const names = new Map(n.params.map((p) => [p.name.toLowerCase(), p]));
        const params: ParamFact[] = rest.params.map((p) => {
          const t = p.in === 'query' ? names.get(p.name.toLowerCase()) : undefined;
          return t ? { ...p, name: t.name, in: 'path', required: true, schema: p.schema ?? t.schema } : p;
        });
        for (const p of n.params) if (!params.some((x) => x.in === 'path' && x.name.toLowerCase() === p.name.toLowerCase())) params.push({ name: p.name, in: 'path', required: true, schema: p.schema });
        routes.push(withPrefixParams({ ...rest, methods: v.methods, paths: [n.path], params }, prefixParams.get(route.router)));
        resolved = true;
        break;
      }
      if (!resolved) {
        diagnostics.push({
          path: f.source.path,
          line: route.evidence.startLine,
          severity: 'warning',
          message: `${route.handler}: attribute${attributeUses.length > 1 ? 's' : ''} ${attributeUses.map((u) => `[${u.name}]`).join(', ')} not found among the analyzed route attributes, and no other route; no operation is written for it`,
        });
      }
    }
    for (const [router, { line, names }] of unrouted) {
      const list = [...new Set(names)];
      diagnostics.push({
        path: f.source.path,
        line,
        severity: 'warning',
        message: `${router}: action${list.length > 1 ? 's' : ''} ${list.join(', ')} ha${list.length > 1 ? 've' : 's'} no route template (no [Route] on the controller, its attributes are not route attributes); conventional routing (MapControllerRoute, MapRoute) is not analyzed, so no operation is written for ${list.length > 1 ? 'them' : 'it'}`,
      });
    }
    return { ...f, diagnostics, facts: { ...cs, routers, routes } };
  });
}

/** Path parameters of a resolved class-level template, for the routes that do not declare them. */
function withPrefixParams(route: RouteFact, prefix: ParamFact[] | undefined): RouteFact {
  if (!prefix?.length) return route;
  const declared = new Set(route.params.filter((p) => p.in === 'path').map((p) => p.name.toLowerCase()));
  const params = route.params.map((p) => (p.in === 'query' && prefix.some((x) => x.name.toLowerCase() === p.name.toLowerCase()) ? { ...p, in: 'path' as const, required: true } : p));
  for (const p of prefix) if (!declared.has(p.name.toLowerCase()) && !params.some((x) => x.in === 'path' && x.name.toLowerCase() === p.name.toLowerCase())) params.push(p);
  return { ...route, params };
}

