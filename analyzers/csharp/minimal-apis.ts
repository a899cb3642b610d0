/**
 * ASP.NET Core minimal APIs: `MapGet/MapPost/MapPut/MapDelete/MapPatch(pattern, handler)` and
 * `MapMethods(pattern, verbs, handler)` on the application or on route groups
 * (`var api = app.MapGroup("/api")`, nested, chained, or a method's `RouteGroupBuilder`/
 * `IEndpointRouteBuilder` parameter), with handlers as lambdas or method groups
 * (`app.MapGet("/x", Handlers.Get)`, looked up in this file), and the endpoint conventions
 * chained after them: `.WithName` (operationId), `.WithSummary`, `.WithDescription`,
 * `.WithTags`, `.Produces<T>(status)`, `.ProducesProblem`, `.ProducesValidationProblem`,
 * `.Accepts<T>`.
 *
 * Each builder is a router: the application (`app`, root), a group (mounted on its parent with
 * the group's prefix), or a method taking a builder parameter (id: the method's name). Calling
 * such a method on a builder (`app.MapGroup("/todos").MapTodosApi()`, `TodoEndpoints.Map(app)`)
 * mounts it there, across files: the link step follows it.
 */
import type { Diagnostic } from '../model.js';
import type { BodyFact, HttpMethod, MountFact, ParamFact, ResponseFact, RouterFact } from '../service/facts.js';
import type { CsRouteFact } from './handler-refs.js';
import { normalizePath } from '../service/paths.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { thrownWithoutStatus } from './exceptions.js';
import { bindParameters, templateParamNames } from './parameters.js';
import { declaredResponses, declaredResult, handlerResponses } from './responses.js';
import type { RuleSink } from './rules.js';
import type { CsFile, TypeDecl } from './scope.js';
import { attributesOf, compact, docComment, identifierOf, literalString, sameNode, stringValue } from './syntax.js';
import { statusOf } from './statuses.js';
import { typeSchema, type TypeScope } from './types.js';

export interface Extracted {
  routers: RouterFact[];
  routes: CsRouteFact[];
  mounts: MountFact[];
  handlers: SyntaxNode[];
}

const MAP_VERBS: Record<string, HttpMethod[]> = { MapGet: ['get'], MapPost: ['post'], MapPut: ['put'], MapDelete: ['delete'], MapPatch: ['patch'] };
const BUILDER_TYPES = /^(IEndpointRouteBuilder|WebApplication|RouteGroupBuilder|IVersionedEndpointRouteBuilder|IApplicationBuilder)$/;
/** Framework and library `Map*` extension methods that are not the application's own endpoint groups. */
const FRAMEWORK_MAPS = /^(Map|MapGet|MapPost|MapPut|MapDelete|MapPatch|MapMethods|MapGroup|MapControllers|MapControllerRoute|MapDefaultControllerRoute|MapAreaControllerRoute|MapRazorPages|MapBlazorHub|MapFallback\w*|MapHub|MapHealthChecks|MapGrpcService|MapGrpcReflectionService|MapOpenApi|MapSwagger|MapScalarApiReference|MapIdentityApi|MapStaticAssets|MapRazorComponents|MapReverseProxy|MapWhen|MapConnectionHandler|MapDynamicControllerRoute|MapDynamicPageRoute|MapFallbackToFile|MapMetrics|MapPrometheusScrapingEndpoint|MapGraphQL\w*|MapMcp|MapHttpRoute|MapRoute|MapAdditionalIdentityEndpoints|MapDefaultEndpoints|MapForwarder|MapGrpcHealthChecksService|MapHangfireDashboard\w*|MapCarter|MapFastEndpoints|MapWolverineEndpoints|MapBlazorHub|MapNotFound|MapShortCircuit)$/;

interface Scope {
  /** Variables holding a builder, by name → router id. */
  vars: Map<string, string>;
  /** Parameters holding a builder, by name → router id. */
  params: Map<string, string>;
}

export function extractMinimalApis(file: CsFile, rules: RuleSink, diagnostics: Diagnostic[]): Extracted {
  const out: Extracted = { routers: [], routes: [], mounts: [], handlers: [] };
  const path = file.path;
  const routerIds = new Set<string>();
  const scopes = new Map<number, Scope>();
  let anonymous = 0;

  const addRouter = (r: RouterFact): string => {
    let id = r.id;
    for (let n = 2; routerIds.has(id); n++) id = `${r.id}#${n}`;
    routerIds.add(id);
    out.routers.push({ ...r, id });
    return id;
  };

  /** The function (method, local function, top level) whose variables a node sees. */
  const scopeNodeOf = (node: SyntaxNode): SyntaxNode => {
    for (let p = node.parent; p; p = p.parent) {
      if (p.type === 'method_declaration' || p.type === 'local_function_statement' || p.type === 'constructor_declaration') return p;
    }
    return file.root;
  };
  const scopeOf = (fn: SyntaxNode): Scope => {
    let s = scopes.get(fn.id);
    if (!s) {
      s = { vars: new Map(), params: new Map() };
      scopes.set(fn.id, s);
      if (fn.type !== 'compilation_unit') {
        // Builder parameters: `this IEndpointRouteBuilder app`, `RouteGroupBuilder group`.
        for (const p of fn.childForFieldName('parameters')?.namedChildren ?? []) {
          const type = p.childForFieldName('type');
          const name = p.childForFieldName('name')?.text;
          if (!type || !name || !BUILDER_TYPES.test(identifierOf(type))) continue;
          const methodName = fn.childForFieldName('name')?.text ?? 'endpoints';
          const id = addRouter({
            id: methodName,
            prefixes: [''],
            root: identifierOf(type) !== 'RouteGroupBuilder',
            evidence: evidenceOf(path, p),
            label: `${methodName}(${name})`,
          });
          s.params.set(name, id);
        }
      }
    }
    return s;
  };

  /** The router a builder expression stands for, creating groups as they are met. */
  const routerOf = (expr: SyntaxNode | null | undefined, createRoot: boolean): string | undefined => {
    if (!expr) return undefined;
    if (expr.type === 'identifier') {
      const scope = scopeOf(scopeNodeOf(expr));
      const known = scope.vars.get(expr.text) ?? scope.params.get(expr.text);
      if (known) return known;
      // Top-level statements (`app.MapGet`): the application itself.
      if (!createRoot) return undefined;
      const rootScope = scopeOf(file.root);
      const existing = rootScope.vars.get(expr.text);
      if (existing) return existing;
      const id = addRouter({ id: expr.text, prefixes: [''], root: true, evidence: evidenceOf(path, expr), label: expr.text });
      scope.vars.set(expr.text, id);
      return id;
    }
    if (expr.type === 'parenthesized_expression') return routerOf(expr.namedChildren[0], createRoot);
    if (expr.type === 'invocation_expression') {
      const fn = expr.childForFieldName('function');
      if (fn?.type !== 'member_access_expression') return undefined;
      const name = identifierOf(fn.childForFieldName('name')!);
      const receiver = fn.childForFieldName('expression');
      if (name === 'MapGroup') return groupOf(expr, receiver, undefined);
      if (MAP_VERBS[name] || name === 'MapMethods') return undefined;
      // `.WithTags(...)`, `.RequireAuthorization()`, `NewVersionedApi()`, `HasApiVersion(1, 0)`: the same builder.
      return routerOf(receiver, createRoot);
    }
    return undefined;
  };

  const groupOf = (call: SyntaxNode, receiver: SyntaxNode | null, variable: string | undefined): string | undefined => {
    const memo = groupByCall.get(call.id);
    if (memo) return memo;
    const parent = routerOf(receiver, true);
    if (!parent) return undefined;
    const arg = call.childForFieldName('arguments')?.namedChildren[0]?.namedChildren[0];
    const prefix = stringValue(arg, (n) => file.constant(n, file.enclosingType(call)));
    const normalized = normalizePath(prefix ?? '', 'brace');
    const id = addRouter({ id: variable ?? `group${++anonymous}`, prefixes: [normalized.path], root: false, evidence: evidenceOf(path, call), label: `group ${prefix ?? '?'}` });
    groupParams.set(id, normalized.params);
    // Asp.Versioning: `app.NewVersionedApi()` then `.MapGroup(...).HasApiVersion(1, 0)`.
    const chain = outermostChain(call);
    const rootVar = chainRoot(call);
    if (VERSIONING.test(chain.text) || (rootVar?.type === 'identifier' && versionedVars.has(`${scopeNodeOf(call).id}:${rootVar.text}`))) versions.set(id, versionsIn(chain.text));
    out.mounts.push({ parent, prefixes: [''], target: { name: id }, evidence: evidenceOf(path, call) });
    groupByCall.set(call.id, id);
    return id;
  };
  const groupByCall = new Map<number, string>();
  const versions = new Map<string, string[]>();
  const versionedVars = new Set<string>();
  const groupParams = new Map<string, ReturnType<typeof normalizePath>['params']>();

  // Pass 1, in document order: builder variables and groups.
  for (const decl of file.root.descendantsOfType('variable_declarator')) {
    const name = decl.childForFieldName('name')?.text;
    const value = decl.namedChildren[decl.namedChildren.length - 1];
    if (!name || !value || value.type !== 'invocation_expression') continue;
    const chainHasGroup = firstMapGroup(value);
    const scope = scopeOf(scopeNodeOf(decl));
    if (chainHasGroup) {
      const fn = chainHasGroup.childForFieldName('function')!;
      // Register intermediate groups first (`app.MapGroup("/a").MapGroup("/b")`).
      const id = groupOf(chainHasGroup, fn.childForFieldName('expression'), sameNode(value, chainHasGroup) || onlyConventionsAfter(value, chainHasGroup) ? name : undefined);
      if (id) scope.vars.set(name, id);
      continue;
    }
    // `var vApi = app.NewVersionedApi("Catalog")`, `var app = builder.Build()`.
    if (/\.NewVersionedApi\s*\(/.test(value.text)) versionedVars.add(`${scopeNodeOf(decl).id}:${name}`);
    const root = chainRoot(value);
    if (root?.type === 'identifier' && (scope.vars.has(root.text) || scope.params.has(root.text))) {
      const id = routerOf(value, false);
      if (id) scope.vars.set(name, id);
    } else if (/\.Build\(\)$/.test(value.text.replace(/\s+/g, '')) && /builder|Builder/.test(value.text)) {
      scope.vars.set(name, addRouter({ id: name, prefixes: [''], root: true, evidence: evidenceOf(path, decl), label: name }));
    }
  }

  // Pass 2: endpoints and cross-file group methods.
  for (const call of file.root.descendantsOfType('invocation_expression')) {
    const fn = call.childForFieldName('function');
    if (fn?.type !== 'member_access_expression') {
      continue;
    }
    const name = identifierOf(fn.childForFieldName('name')!);
    const receiver = fn.childForFieldName('expression');
    const args = call.childForFieldName('arguments')?.namedChildren ?? [];
    if (MAP_VERBS[name] || name === 'MapMethods') {
      const router = routerOf(receiver, true);
      if (!router) continue;
      endpoint(call, name, args, router);
      continue;
    }
    if (FRAMEWORK_MAPS.test(name) || !/^Map[A-Z]/.test(name)) {
      // `Endpoints.MapTodos(app)`: a static group method given a builder.
      if (/^Map[A-Z]|Endpoints?$|Routes$/.test(name) && !FRAMEWORK_MAPS.test(name) && receiver && /^[A-Z]/.test(receiver.text)) {
        const arg = args[0]?.namedChildren[0];
        const parent = arg ? routerOf(arg, false) : undefined;
        if (parent) out.mounts.push({ parent, prefixes: [''], target: { name }, evidence: evidenceOf(path, call) });
      }
      continue;
    }
    // `app.MapTodosApi()`, `app.MapGroup("/todos").MapTodosApi()`: the method's router mounted here.
    const parent = routerOf(receiver, false);
    if (parent) out.mounts.push({ parent, prefixes: [''], target: { name }, evidence: evidenceOf(path, call) });
  }

  function endpoint(call: SyntaxNode, name: string, args: SyntaxNode[], router: string): void {
    const lookup = (n: string) => file.constant(n, file.enclosingType(call));
    const pattern = stringValue(args[0]?.namedChildren[args[0]!.namedChildren.length - 1], lookup);
    let methods: HttpMethod[] = MAP_VERBS[name] ?? [];
    let handlerArg = args[1];
    if (name === 'MapMethods') {
      methods = (args[1]?.descendantsOfType(['string_literal', 'member_access_expression']) ?? [])
        .map((n) => (literalString(n) ?? identifierOf(n.childForFieldName('name') ?? n)).toLowerCase())
        .filter((v): v is HttpMethod => ['get', 'post', 'put', 'patch', 'delete'].includes(v));
      handlerArg = args[2];
    }
    if (pattern === undefined) {
      diagnostics.push({ path, line: call.startPosition.row + 1, severity: 'warning', message: `${name} with a route pattern that is not a constant (${compact(args[0] ?? call).slice(0, 60)}); not written` });
      return;
    }
    if (methods.length === 0) {
      diagnostics.push({ path, line: call.startPosition.row + 1, severity: 'info', message: `${name} ${pattern} serves only methods the OpenAPI output does not hold (${compact(args[1] ?? call).slice(0, 60)}: HEAD, OPTIONS, TRACE) or methods that are not constants; not written` });
      return;
    }
    const normalized = normalizePath(pattern, 'brace');
    const handlerValue = handlerArg?.namedChildren[handlerArg.namedChildren.length - 1];
    const conventions = conventionsAfter(call, file);
    const handler = resolveHandler(file, handlerValue, call);
    const templates = [pattern, ...groupPrefixes(router)];
    const label = `${methods.map((m) => m.toUpperCase()).join(',')} ${pattern}`;
    const scope: TypeScope = { file, ...(handler.owner ? { from: handler.owner } : {}), typeParams: new Set(handler.owner?.typeParams ?? []) };
    const doc = handler.node && handler.node.type === 'method_declaration' ? docComment(handler.node) : { params: {} as Record<string, string>, summary: undefined, remarks: undefined };
    const bound = bindParameters({
      parameters: handler.parameters,
      scope,
      style: 'minimal',
      templateParams: templateParamNames(templates),
      methods,
      docs: doc.params,
      handler: handler.name ?? label,
      rules,
    });
    const declaredPathNames = new Set(bound.params.filter((p) => p.in === 'path').map((p) => p.name.toLowerCase()));
    const versioned = versionsOf(router) ?? (VERSIONING.test(outermostChain(call).text) ? versionsIn(outermostChain(call).text) : undefined);
    const params = [
      ...bound.params,
      ...normalized.params.filter((p) => !declaredPathNames.has(p.name.toLowerCase())).map((p) => ({ name: p.name, in: 'path' as const, required: true, schema: p.schema })),
      ...groupPathParams(router).filter((p) => !declaredPathNames.has(p.name.toLowerCase())).map((p) => ({ name: p.name, in: 'path' as const, required: true, schema: p.schema })),
      ...(versioned && !templateParamNames(templates).has('version') ? [apiVersionParam(versioned)] : []),
    ];
    const extra: ResponseFact[] = [...declaredResponses(handler.attrs, scope, path), ...conventions.responses];
    // A handler declared elsewhere answers what its file says (see handler-refs.ts).
    const responses = handler.node ? handlerResponses({ path, body: handler.body, declared: declaredResult(handler.returns, scope), extra, scope, minimal: true }) : extra;
    const notes = [...bound.notes];
    if (!handler.node && handlerValue) notes.push(`handler ${compact(handlerValue)} is not declared in ${path}; its parameters and responses are not read`);
    if (conventions.excluded) notes.push('excluded from the published API description (ExcludeFromDescription)');
    const body: BodyFact | undefined = conventions.accepts ?? bound.body;
    const route: CsRouteFact = {
      router,
      methods,
      paths: [normalized.path],
      handler: handler.name ?? label,
      operationName: conventions.name ?? handler.name?.split('.').pop() ?? nameOf(methods, [...groupPrefixes(router)].reverse().concat(normalized.path)),
      params,
      ...(body ? { body } : {}),
      responses,
      ...((conventions.summary ?? doc.summary) ? { summary: conventions.summary ?? doc.summary } : {}),
      ...((conventions.description ?? doc.remarks) ? { description: conventions.description ?? doc.remarks } : {}),
      evidence: evidenceOf(path, call),
      ruleIds: bound.ruleIds,
      ...(notes.length ? { notes } : {}),
      ...(conventions.tags.length ? { tags: conventions.tags } : {}),
    };
    const throws = handler.node ? thrownWithoutStatus(path, handler.body) : [];
    if (throws.length) route.throws = throws;
    if (!handler.node && handler.name) route.csHandlerRef = { name: handler.name, templateNames: Object.fromEntries(templateParamNames(templates)) };
    out.routes.push(route);
    out.handlers.push(handler.node ?? call);
  }

  /** API versions of the nearest versioned group above a router in this file, if any. */
  function versionsOf(router: string): string[] | undefined {
    for (let id: string | undefined = router, n = 0; id && n < 20; id = out.mounts.find((m) => m.target.name === id)?.parent, n++) {
      const v = versions.get(id);
      if (v) return v;
    }
    return undefined;
  }

  /** Prefix templates of the groups above a router in this file (for the handler's path parameters). */
  function groupPrefixes(router: string): string[] {
    const out2: string[] = [];
    for (let id: string | undefined = router; id; id = out.mounts.find((m) => m.target.name === id)?.parent) {
      const r = out.routers.find((x) => x.id === id);
      if (r) out2.push(...r.prefixes);
      if (out2.length > 20) break;
    }
    return out2;
  }
  function groupPathParams(router: string): ReturnType<typeof normalizePath>['params'] {
    const ps: ReturnType<typeof normalizePath>['params'] = [];
    for (let id: string | undefined = router, n = 0; id && n < 20; id = out.mounts.find((m) => m.target.name === id)?.parent, n++) ps.push(...(groupParams.get(id) ?? []));
    return ps;
  }

  return out;
}

const VERSIONING = /\.(HasApiVersion|HasDeprecatedApiVersion|MapToApiVersion|WithApiVersionSet|NewVersionedApi)\s*\(/;

/** `HasApiVersion(1, 0)`, `HasApiVersion(2.0)`, `HasApiVersion(new ApiVersion(1, 0))` → `1.0`, `2.0`. */
export function versionsIn(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/(?:Has|HasDeprecated|MapTo)ApiVersion\s*\(\s*(?:new\s+ApiVersion\s*\()?\s*(\d+(?:\.\d+)?)\s*(?:,\s*(\d+))?/g)) {
    out.add(m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1]!.includes('.') ? m[1]! : `${m[1]}.0`);
  }
  return [...out];
}

/** The query parameter Asp.Versioning reads by default (`QueryStringApiVersionReader`). */
export function apiVersionParam(versions: readonly string[]): ParamFact {
  return {
    name: 'api-version',
    in: 'query',
    required: true,
    schema: versions.length ? { type: 'string', enum: [...versions] } : { type: 'string' },
    description: `The API version${versions.length ? `: ${versions.join(', ')}` : ''} (Asp.Versioning query string reader)`,
  };
}

/** The whole builder chain a call is part of (`g.MapGroup("/x").HasApiVersion(1, 0)` from the MapGroup call). */
function outermostChain(call: SyntaxNode): SyntaxNode {
  let e = call;
  while (e.parent?.type === 'member_access_expression' && e.parent.parent?.type === 'invocation_expression') e = e.parent.parent;
  return e;
}

/** An operation name for an anonymous handler: the verb and the words of its path (`getApiTodosId`). */
function nameOf(methods: readonly HttpMethod[], parts: readonly string[]): string {
  const words = parts
    .join('/')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return `${methods.length === 1 ? methods[0] : 'handle'}${words.join('') || 'Root'}`;
}

function chainRoot(expr: SyntaxNode): SyntaxNode | null {
  let e: SyntaxNode | null = expr;
  while (e && (e.type === 'invocation_expression' || e.type === 'member_access_expression')) {
    e = e.type === 'invocation_expression' ? e.childForFieldName('function') : e.childForFieldName('expression');
  }
  return e;
}

/** The outermost `MapGroup(...)` call in a builder chain (`app.MapGroup("/x").WithTags("x")` → the MapGroup call). */
function firstMapGroup(expr: SyntaxNode): SyntaxNode | undefined {
  for (let e: SyntaxNode | null = expr; e && e.type === 'invocation_expression'; ) {
    const fn = e.childForFieldName('function');
    if (fn?.type !== 'member_access_expression') return undefined;
    if (identifierOf(fn.childForFieldName('name')!) === 'MapGroup') return e;
    e = fn.childForFieldName('expression');
  }
  return undefined;
}

function onlyConventionsAfter(outer: SyntaxNode, group: SyntaxNode): boolean {
  for (let e: SyntaxNode | null = outer; e && !sameNode(e, group); ) {
    const fn = e.childForFieldName('function');
    if (fn?.type !== 'member_access_expression') return false;
    const name = identifierOf(fn.childForFieldName('name')!);
    if (name === 'MapGroup') return false;
    e = fn.childForFieldName('expression');
  }
  return true;
}

interface Conventions {
  name?: string;
  summary?: string;
  description?: string;
  tags: string[];
  responses: ResponseFact[];
  accepts?: BodyFact;
  excluded: boolean;
}

/** `.WithName(...)`, `.Produces<T>(...)`... chained after a `Map*` call. */
function conventionsAfter(call: SyntaxNode, file: CsFile): Conventions {
  const out: Conventions = { tags: [], responses: [], excluded: false };
  const scope: TypeScope = { file, ...(file.enclosingType(call) ? { from: file.enclosingType(call)! } : {}) };
  for (let e: SyntaxNode = call; e.parent?.type === 'member_access_expression' && e.parent.parent?.type === 'invocation_expression'; e = e.parent.parent) {
    const nameNode = e.parent.childForFieldName('name')!;
    const name = identifierOf(nameNode);
    const inv = e.parent.parent;
    const args = (inv.childForFieldName('arguments')?.namedChildren ?? []).map((a) => a.namedChildren[a.namedChildren.length - 1]!);
    const typeArg = nameNode.type === 'generic_name' ? nameNode.namedChildren.find((c) => c.type === 'type_argument_list')?.namedChildren[0] : undefined;
    switch (name) {
      case 'WithName':
      case 'WithDisplayName': {
        const v = literalString(args[0]);
        if (v && name === 'WithName') out.name = v;
        break;
      }
      case 'WithSummary':
        out.summary = literalString(args[0]) ?? out.summary;
        break;
      case 'WithDescription':
        out.description = literalString(args[0]) ?? out.description;
        break;
      case 'WithTags':
        for (const a of args) {
          const v = literalString(a);
          if (v) out.tags.push(v);
        }
        break;
      case 'ExcludeFromDescription':
        out.excluded = true;
        break;
      case 'Produces':
      case 'ProducesProblem':
      case 'ProducesValidationProblem': {
        let status = name === 'ProducesValidationProblem' ? 400 : name === 'ProducesProblem' ? undefined : 200;
        let schemaNode = typeArg;
        let contentType: string | undefined;
        for (const a of args) {
          const s = statusOf(a);
          if (s !== undefined) status = s;
          else if (a?.type === 'typeof_expression') schemaNode = a.childForFieldName('type') ?? undefined;
          else if (literalString(a) !== undefined) contentType = literalString(a);
        }
        if (status === undefined) break;
        out.responses.push({
          status: String(status),
          ...(schemaNode ? { schema: typeSchema(schemaNode, scope) } : {}),
          ...(contentType ? { contentType } : name !== 'Produces' ? { contentType: 'application/problem+json' } : {}),
          evidence: evidenceOf(file.path, inv),
        });
        break;
      }
      case 'Accepts': {
        if (typeArg) out.accepts = { schema: typeSchema(typeArg, scope), contentType: literalString(args[0]) ?? 'application/json' };
        break;
      }
    }
  }
  return out;
}
interface Handler {
  node?: SyntaxNode;
  name?: string;
  owner?: TypeDecl;
  parameters: SyntaxNode | null;
  body: SyntaxNode | null;
  returns: SyntaxNode | null;
  attrs: ReturnType<typeof attributesOf>;
}

/** A handler argument: a lambda, or a method group found in this file. */
function resolveHandler(file: CsFile, value: SyntaxNode | undefined, call: SyntaxNode): Handler {
  const none: Handler = { parameters: null, body: null, returns: null, attrs: [] };
  if (!value) return none;
  if (value.type === 'lambda_expression' || value.type === 'anonymous_method_expression') {
    const owner = file.enclosingType(call);
    return {
      node: value,
      ...(owner ? { owner } : {}),
      parameters: value.childForFieldName('parameters'),
      body: value.childForFieldName('body'),
      returns: value.childForFieldName('type'),
      attrs: attributesOf(value),
    };
  }
  if (value.type === 'identifier' || value.type === 'member_access_expression') {
    const methodName = value.type === 'identifier' ? value.text : identifierOf(value.childForFieldName('name')!);
    const qualifier = value.type === 'member_access_expression' ? value.childForFieldName('expression')?.text : undefined;
    const callerType = file.enclosingType(call);
    const candidates = file.types.filter((t) => (qualifier ? t.simple === qualifier.split('.').pop() : true));
    const ordered = [...candidates].sort((a, b) => Number(b === callerType) - Number(a === callerType));
    for (const t of ordered) {
      const m = t.members.find((x) => x.type === 'method_declaration' && x.childForFieldName('name')?.text === methodName);
      if (m) {
        return {
          node: m,
          name: `${t.name}.${methodName}`,
          owner: t,
          parameters: m.childForFieldName('parameters'),
          body: m.childForFieldName('body'),
          returns: m.childForFieldName('returns'),
          attrs: attributesOf(m),
        };
      }
    }
    // A local function in top-level statements or the same method.
    const local = file.root.descendantsOfType('local_function_statement').find((f) => f.childForFieldName('name')?.text === methodName);
    if (local) {
      return { node: local, name: methodName, parameters: local.childForFieldName('parameters'), body: local.childForFieldName('body'), returns: local.childForFieldName('type'), attrs: attributesOf(local) };
    }
    return { ...none, name: qualifier ? `${qualifier}.${methodName}` : methodName };
  }
  return none;
}
