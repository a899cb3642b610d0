/**
 * The cross-file step of the service frontends: joins every file's `ServiceFacts` into
 * operations. It follows mounts from roots down to each router (`app.use('/api', users)` in one
 * file, `router.get('/:id')` in another → `GET /api/{id}`), substitutes constants used as paths,
 * resolves DTO types by name into `components.schemas`, turns declared parameters and bodies
 * into OpenAPI, makes operation ids unique, and ties each route's rules to its operation. Routes
 * whose handler is declared in another file (`RouteFact.handlerRef`: a Laravel controller method
 * named in a route file) get that handler's params, body, responses and rules merged in, following
 * the helpers it calls and the classes it inherits from (`HandlerFact.calls`, `ServiceFacts.inherits`);
 * what global handlers (middleware run for every request, the exception handler) read is added to
 * every operation. It reads no files and parses nothing: everything comes from the cached facts.
 */
import { dirname } from 'node:path/posix';
import type { OpenAPIV3_1 } from 'openapi-types';
import type { Diagnostic, Evidence, FileAnalysis, Operation, Rule } from '../model.js';
import type { HandlerFact, MountFact, ParamFact, RouteFact, RouterFact, ServiceFacts, SymbolRef, TypeFact } from './facts.js';
import { joinPaths, templateParams } from './paths.js';
import { mapRefs, refName, type Schema } from './schema.js';

export interface LinkOptions {
  language: string;
  /** What the frontend looks for, named in the diagnostic when a run finds no route at all. */
  frameworks: string;
}

interface Entry {
  index: number;
  path: string;
  facts: ServiceFacts;
  diagnostics: Diagnostic[];
}

interface ResolvedType {
  entry: Entry;
  type: TypeFact;
  /** Another type has the same name and a different schema. */
  ambiguous?: boolean;
}

interface RouterNode {
  key: string;
  entry: Entry;
  router: RouterFact;
}

interface Chain {
  prefix: string;
  /** Routers on the way, outermost first (labels), for notes. */
  via: string[];
  mounted: boolean;
  /** Typed parameters the prefixes on the way declare (`MountFact.params`, `RouterFact.params`). */
  params: ParamFact[];
  /** Set by the innermost mount that decides the trailing slash (`MountFact.trailingSlash`). */
  trailingSlash?: boolean;
  /** The mount that made this base replaces the router's own prefixes (`MountFact.replacesPrefix`). */
  replaceOwn?: boolean;
}

/** Links the results of one frontend's files (same order in and out). */
export function linkServiceFiles(files: readonly FileAnalysis[], options: LinkOptions): FileAnalysis[] {
  const out = files.map((f) => ({ ...f, operations: [...f.operations], rules: f.rules.map((r) => ({ ...r })), diagnostics: [...f.diagnostics] }));
  const entries: Entry[] = [];
  out.forEach((f, index) => {
    const facts = f.facts as ServiceFacts | undefined;
    if (facts && Array.isArray(facts.routes)) entries.push({ index, path: f.source.path, facts, diagnostics: f.diagnostics });
  });

  // Indexes over all files.
  const routers = new Map<string, RouterNode>();
  const routersById = new Map<string, RouterNode[]>();
  const modules = new Map<string, Entry[]>();
  const types = new Map<string, { entry: Entry; type: TypeFact }[]>();
  const constants = new Map<string, string[]>();
  const handlers = new Map<string, { entry: Entry; handler: HandlerFact }[]>();
  const handlerOwners = new Set<string>();
  const inherits = new Map<string, string[]>();
  for (const entry of entries) {
    for (const h of entry.facts.handlers ?? []) {
      push(handlers, h.name, { entry, handler: h });
      if (h.qualified && h.qualified !== h.name) push(handlers, h.qualified, { entry, handler: h });
      handlerOwners.add(ownerOf(h.name));
    }
    for (const [cls, parents] of Object.entries(entry.facts.inherits ?? {})) {
      const list = inherits.get(cls) ?? [];
      for (const p of parents) if (!list.includes(p)) list.push(p);
      inherits.set(cls, list);
    }
    for (const router of entry.facts.routers) {
      const node = { key: `${entry.path}#${router.id}`, entry, router };
      routers.set(node.key, node);
      push(routersById, router.id, node);
    }
    for (const m of entry.facts.moduleNames ?? []) push(modules, m, entry);
    for (const t of entry.facts.types ?? []) {
      push(types, t.name, { entry, type: t });
      if (t.qualified && t.qualified !== t.name) push(types, t.qualified, { entry, type: t });
    }
    for (const [k, v] of Object.entries(entry.facts.constants ?? {})) push(constants, k, v);
  }

  const resolveRouter = (ref: SymbolRef, from: Entry): RouterNode | undefined => {
    const inEntry = (e: Entry): RouterNode | undefined => {
      const id = e.facts.exports?.[ref.name] ?? ref.name;
      const direct = routers.get(`${e.path}#${id}`);
      if (direct) return direct;
      if (ref.name === 'default' && e.facts.routers.length === 1) return routers.get(`${e.path}#${e.facts.routers[0]!.id}`);
      return undefined;
    };
    if (ref.module !== undefined) {
      for (const candidate of [ref.module, `${ref.module}/index`, `${ref.module}.__init__`]) {
        for (const e of modules.get(candidate) ?? []) {
          const found = inEntry(e);
          if (found) return found;
        }
      }
      // `from app.api import users` names a module, not a router in it.
      const asModule = modules.get(`${ref.module}.${ref.name}`) ?? modules.get(`${ref.module}/${ref.name}`);
      for (const e of asModule ?? []) if (e.facts.routers.length >= 1) return routers.get(`${e.path}#${e.facts.exports?.default ?? e.facts.routers[0]!.id}`);
      // A package re-exporting its modules' names (`from .misc import *` in `__init__.py`, `export * from './x'`):
      // a router of that name in a module inside the package.
      const inside = (routersById.get(ref.name) ?? []).filter((n) => (n.entry.facts.moduleNames ?? []).some((m) => m.startsWith(`${ref.module}.`) || m.startsWith(`${ref.module}/`)));
      if (inside.length === 1) return inside[0];
      return undefined;
    }
    const local = inEntry(from);
    if (local) return local;
    const named = routersById.get(ref.name) ?? [];
    if (named.length <= 1) return named[0];
    const dir = dirname(from.path);
    return named.find((n) => dirname(n.entry.path) === dir) ?? named[0];
  };

  // Types of the same name with different schemas (same-named DTOs in two packages/namespaces).
  const ambiguousNames = new Map<string, boolean>();
  const resolveType = (name: string, from: Entry): ResolvedType | undefined => {
    const all = types.get(name);
    if (!all || all.length === 0) return undefined;
    if (all.length === 1) return all[0];
    const dir = dirname(from.path);
    const found = all.find((t) => t.entry === from) ?? all.find((t) => dirname(t.entry.path) === dir) ?? all[0]!;
    let ambiguous = ambiguousNames.get(name);
    if (ambiguous === undefined) {
      const first = JSON.stringify(all[0]!.type.schema);
      ambiguous = all.some((t) => JSON.stringify(t.type.schema) !== first);
      ambiguousNames.set(name, ambiguous);
    }
    return ambiguous ? { ...found, ambiguous } : found;
  };

  // A handler by qualified name, then simple name (same file, same directory, first), then as
  // inherited from the owner's parents and traits.
  const findHandler = (name: string, qualified: string | undefined, from: Entry, seen: Set<string> = new Set()): { entry: Entry; handler: HandlerFact } | undefined => {
    const pick = (list: { entry: Entry; handler: HandlerFact }[]): { entry: Entry; handler: HandlerFact } | undefined => {
      if (list.length <= 1) return list[0];
      const dir = dirname(from.path);
      return list.find((h) => h.entry === from) ?? list.find((h) => dirname(h.entry.path) === dir) ?? list[0];
    };
    if (qualified) {
      const q = pick((handlers.get(qualified) ?? []).filter((h) => h.handler.qualified === qualified));
      if (q) return q;
    }
    // By simple name, but not another namespace's class of that name (`Admin\UserController`
    // when `Api\UserController` is meant and inherits the method): that one is not in the chain.
    const direct = pick((handlers.get(name) ?? []).filter((h) => h.handler.name === name && (!qualified || !h.handler.qualified)));
    if (direct) return direct;
    const owner = ownerOf(name);
    const member = name.slice(owner.length + 1);
    if (!owner || !member) return undefined;
    seen.add(owner);
    for (const parent of inherits.get(owner) ?? []) {
      if (seen.has(parent)) continue;
      const found = findHandler(`${parent}.${member}`, undefined, from, seen);
      if (found) return found;
    }
    return undefined;
  };
  const ownerKnown = (name: string): boolean => handlerOwners.has(ownerOf(name)) || inherits.has(ownerOf(name));

  // What handlers that run for every request read (`HandlerFact.global`), with the helpers they
  // call: their query, header and cookie parameters, gathered once for all operations.
  let globalParams: ParamFact[] | undefined;
  const globalsRead = (): ParamFact[] => {
    if (globalParams) return globalParams;
    globalParams = [];
    const seen = new Set<HandlerFact>();
    const walk = (h: HandlerFact, from: Entry, depth: number): void => {
      if (seen.has(h)) return;
      seen.add(h);
      for (const p of h.params) if (p.in === 'query' || p.in === 'header' || p.in === 'cookie') globalParams!.push(p);
      if (depth >= 6) return;
      // Calls to its own class stay in its namespace (an exception handler is often just `Handler`).
      const own = ownerOf(h.name);
      const ownQualified = h.qualified ? ownerOf(h.qualified) : undefined;
      for (const call of h.calls ?? []) {
        const next = findHandler(call, ownQualified && ownerOf(call) === own ? `${ownQualified}.${call.slice(own.length + 1)}` : undefined, from);
        if (next) walk(next.handler, next.entry, depth + 1);
      }
    };
    for (const entry of entries) for (const h of entry.facts.handlers ?? []) if (h.global) walk(h, entry, 0);
    return globalParams;
  };

  /**
   * The route with its handler's facts merged in, the rules that govern it, or undefined when it
   * is no operation; `ran`: the handlers it runs; `shared`: its `input` parameters that helpers
   * (not the handler itself) read, with the helper.
   */
  interface Linked {
    route: RouteFact;
    rules: { entry: Entry; ids: string[] }[];
    evidence: Evidence[];
    ran: Set<HandlerFact>;
    shared: Map<ParamFact, HandlerFact>;
  }
  const linkedMemo = new Map<RouteFact, Linked | undefined>();
  const linkedOf = (route: RouteFact, entry: Entry): Linked | undefined => {
    if (!linkedMemo.has(route)) linkedMemo.set(route, withHandler(route, entry));
    return linkedMemo.get(route);
  };
  const withHandler = (route: RouteFact, entry: Entry): Linked | undefined => {
    const rules = [{ entry, ids: route.ruleIds }];
    const ref = route.handlerRef;
    const global = globalsRead();
    const shared = new Map<ParamFact, HandlerFact>();
    if (!ref && !route.calls?.length) return { route: global.length > 0 ? { ...route, params: [...route.params, ...global] } : route, rules, evidence: [], ran: new Set(), shared };
    const found = ref ? findHandler(ref.name, ref.qualified, entry) : undefined;
    if (ref && !found && route.requireHandler && ownerKnown(ref.name)) return undefined;
    if (route.dropIfView && found?.handler.view) return undefined;
    const params = [...route.params];
    const responses = [...route.responses];
    const notes = [...(route.notes ?? [])];
    if (ref && !found) notes.push(`handler ${ref.qualified ?? ref.name} not found in the analyzed files; parameters and responses come from the route declaration only`);
    let body = route.body;
    const visited = new Set<HandlerFact>(found ? [found.handler] : []);
    // `receiver`: the class the handler was asked of (with its qualified name when known, so that a
    // same-named class of another namespace is not taken for it). A method found in an ancestor that
    // calls its own class's members is dispatched to the receiver's overrides first (virtual dispatch).
    interface Receiver {
      name: string;
      qualified?: string;
    }
    const receiverOf = (call: string, next: { handler: HandlerFact }): Receiver => {
      const q = next.handler.name === call && next.handler.qualified ? ownerOf(next.handler.qualified) : undefined;
      return { name: ownerOf(call), ...(q ? { qualified: q } : {}) };
    };
    const visit = (h: HandlerFact, from: Entry, depth: number, receiver: Receiver): void => {
      for (const p of h.params) {
        if (depth > 0 && p.in === 'path') continue;
        params.push(p);
        if (depth > 0 && p.in === 'input') shared.set(p, h);
      }
      body ??= h.body;
      responses.push(...h.responses);
      // A helper's rules serve every operation calling it: only the handler's own are tied to this one.
      if (depth === 0) rules.push({ entry: from, ids: h.ruleIds });
      notes.push(...(h.notes ?? []));
      if (depth >= 6) return;
      const own = ownerOf(h.name);
      for (const call of h.calls ?? []) {
        const member = call.slice(ownerOf(call).length + 1);
        const asReceiver = (cls: string): string | undefined => (receiver.qualified && cls === receiver.name ? `${receiver.qualified}.${member}` : undefined);
        const virtual = own && receiver.name !== own && ownerOf(call) === own ? findHandler(`${receiver.name}.${member}`, asReceiver(receiver.name), from) : undefined;
        const next = virtual ?? findHandler(call, asReceiver(ownerOf(call)), from);
        if (!next || visited.has(next.handler)) continue;
        visited.add(next.handler);
        visit(next.handler, next.entry, depth + 1, virtual || ownerOf(call) === receiver.name ? receiver : receiverOf(call, next));
      }
    };
    if (found) visit(found.handler, found.entry, 0, { name: ownerOf(ref!.name), ...(ref!.qualified ? { qualified: ownerOf(ref!.qualified) } : {}) });
    for (const call of route.calls ?? []) {
      const next = findHandler(call, undefined, entry);
      if (!next || visited.has(next.handler)) continue;
      visited.add(next.handler);
      visit(next.handler, next.entry, 1, receiverOf(call, next));
    }
    params.push(...global);
    const merged: RouteFact = { ...route, params, responses, ...(body ? { body } : {}), ...(notes.length > 0 ? { notes: [...new Set(notes)] } : {}) };
    const h = found?.handler;
    if (!h) return { route: merged, rules, evidence: [], ran: visited, shared };
    if (!route.summary && h.summary) merged.summary = h.summary;
    if (!route.description && h.description) merged.description = h.description;
    const same = h.evidence.path === route.evidence.path && h.evidence.startLine === route.evidence.startLine;
    return { route: merged, rules, evidence: same ? [] : [h.evidence], ran: visited, shared };
  };

  // Handlers that GET, HEAD and DELETE operations run. An `input` key such shared code reads comes from
  // the query string there; on the operations with a body that run it too, the same read is the
  // same option (Fractal's `include` read by a base controller's response builder), so it is a
  // query parameter there as well, not a property of the payload.
  const readOnQuery = new Set<HandlerFact>();
  for (const entry of entries) {
    for (const route of entry.facts.routes) {
      if (!route.methods.some((m) => m === 'get' || m === 'head' || m === 'delete')) continue;
      for (const h of linkedOf(route, entry)?.ran ?? []) readOnQuery.add(h);
    }
  }
  const queryOption = (linked: Linked) => (p: ParamFact): boolean => {
    const h = linked.shared.get(p);
    return h !== undefined && readOnQuery.has(h);
  };

  const constant = (name: string, from: Entry): string | undefined => {
    const own = from.facts.constants?.[name];
    if (own !== undefined) return own;
    const all = constants.get(name) ?? [];
    if (all.length > 0) return all[0];
    // `Paths.USERS` declared as `USERS` in class `Paths` is also indexed under its simple name.
    const simple = name.split('.').pop()!;
    return simple !== name ? (constants.get(simple) ?? [])[0] : undefined;
  };
  const expand = (text: string, from: Entry, line: number): string =>
    text.replace(/\{\{const:([^}]+)\}\}/g, (_m, name: string) => {
      const v = constant(name, from);
      if (v !== undefined) return v;
      from.diagnostics.push({ path: from.path, line, severity: 'warning', message: `constant ${name} used in a route path is not defined in the analyzed files; its name stands in the path` });
      return name;
    });

  // Mounts, indexed by the router they attach.
  const mountsOf = new Map<string, { parent: RouterNode; mount: MountFact }[]>();
  for (const entry of entries) {
    for (const mount of entry.facts.mounts ?? []) {
      const parent = routers.get(`${entry.path}#${mount.parent}`);
      const child = resolveRouter(mount.target, entry);
      if (!parent || !child) {
        const what = `${mount.target.module ? `${mount.target.module}:` : ''}${mount.target.name}`;
        entry.diagnostics.push({
          path: entry.path,
          line: mount.evidence.startLine,
          severity: 'warning',
          message: `${what} is mounted here but ${child ? 'its parent router' : 'no router of that name'} was found in the analyzed files; its routes are not under this prefix`,
        });
        continue;
      }
      push(mountsOf, child.key, { parent, mount });
    }
  }

  // Routers declared on another file's router (`sameAs`) hang below it without a prefix.
  for (const entry of entries) {
    for (const router of entry.facts.routers) {
      if (!router.sameAs) continue;
      const self = routers.get(`${entry.path}#${router.id}`)!;
      const target = resolveRouter(router.sameAs, entry);
      if (!target || target.key === self.key) {
        const what = `${router.sameAs.module ? `${router.sameAs.module}:` : ''}${router.sameAs.name}`;
        entry.diagnostics.push({ path: entry.path, line: router.evidence.startLine, severity: 'warning', message: `routes are declared here on ${what}, but no router of that name was found in the analyzed files; their paths lack its prefixes` });
        continue;
      }
      push(mountsOf, self.key, { parent: target, mount: { parent: target.router.id, prefixes: [''], target: router.sameAs, evidence: router.evidence } });
    }
  }

  const routesOf = (node: RouterNode): RouteFact[] => routesOfFacts(node.entry.facts, node.router.id);
  // Inheritance: the routers a router inherits from, nearest first, each once (cycles cut).
  const basesMemo = new Map<string, RouterNode[]>();
  const basesOf = (node: RouterNode): RouterNode[] => {
    const memo = basesMemo.get(node.key);
    if (memo) return memo;
    const found: RouterNode[] = [];
    const seen = new Set([node.key]);
    const queue = [node];
    while (queue.length > 0) {
      const current = queue.shift()!;
      for (const ref of current.router.bases ?? []) {
        const base = resolveRouter(ref, current.entry);
        if (!base || seen.has(base.key)) continue;
        seen.add(base.key);
        found.push(base);
        queue.push(base);
      }
    }
    basesMemo.set(node.key, found);
    return found;
  };
  // A router without prefixes of its own takes those of its nearest base that declares some.
  const ownPrefixes = (node: RouterNode): { text: string; from: RouterNode }[] => {
    for (const n of [node, ...basesOf(node)]) if (n.router.prefixes.length > 0) return n.router.prefixes.map((text) => ({ text, from: n }));
    return [{ text: '', from: node }];
  };
  const tokensOf = (node: RouterNode | undefined, route: RouteFact): Record<string, string> => {
    const tokens: Record<string, string> = {};
    if (node) for (const n of [...basesOf(node)].reverse().concat(node)) Object.assign(tokens, n.router.tokens);
    return Object.assign(tokens, route.tokens);
  };

  const chains = new Map<string, Chain[]>();
  const chainsOf = (node: RouterNode, visiting: Set<string>): Chain[] => {
    const memo = chains.get(node.key);
    if (memo) return memo;
    const own = ownPrefixes(node);
    const label = node.router.label ?? node.router.id;
    let bases: Chain[] = [];
    const incoming = mountsOf.get(node.key) ?? [];
    if (incoming.length === 0 || visiting.has(node.key)) {
      bases = [{ prefix: '', via: [], mounted: node.router.root, params: [] }];
    } else {
      visiting.add(node.key);
      for (const { parent, mount } of incoming) {
        for (const p of chainsOf(parent, visiting)) {
          for (const mp of mount.prefixes.length > 0 ? mount.prefixes : ['']) {
            const trailingSlash = mount.trailingSlash ?? p.trailingSlash;
            bases.push({
              prefix: joinPaths(p.prefix, expand(mp, parent.entry, mount.evidence.startLine)),
              via: [...p.via, parent.router.label ?? parent.router.id],
              mounted: true,
              params: [...p.params, ...(mount.params ?? [])],
              ...(trailingSlash !== undefined ? { trailingSlash } : {}),
              ...(mount.replacesPrefix ? { replaceOwn: true } : {}),
            });
          }
        }
      }
      visiting.delete(node.key);
    }
    const result: Chain[] = [];
    const seen = new Set<string>();
    for (const b of bases) {
      for (const o of b.replaceOwn ? [{ text: '', from: node }] : own) {
        const prefix = joinPaths(b.prefix, expand(o.text, o.from.entry, o.from.router.evidence.startLine));
        if (seen.has(prefix)) continue;
        seen.add(prefix);
        const { replaceOwn: _replaced, ...base } = b;
        result.push({ ...base, prefix: prefix === '/' && o.text === '' && b.prefix === '' ? '' : prefix, via: [...b.via, label], params: [...b.params, ...(node.router.params ?? [])] });
      }
    }
    chains.set(node.key, result);
    return result;
  };

  const usedIds = new Map<string, number>();
  const uniqueId = (wanted: string): string => {
    const base = sanitizeId(wanted) || 'operation';
    const n = (usedIds.get(base) ?? 0) + 1;
    usedIds.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  };

  const typeRuleTargets = new Map<string, string[]>();
  let total = 0;
  const rulesByFile = new Map<number, Map<string, Rule>>();
  const rulesOf = (e: Entry): Map<string, Rule> => {
    let m = rulesByFile.get(e.index);
    if (!m) rulesByFile.set(e.index, (m = new Map(out[e.index]!.rules.map((r) => [r.id, r]))));
    return m;
  };
  // Emits a route (declared in `entry`) as served by `node`: its own router, or one inheriting it.
  const emit = (declared: RouteFact, entry: Entry, node: RouterNode | undefined): void => {
    const linked = linkedOf(declared, entry);
    if (!linked) return;
    const file = out[(node?.entry ?? entry).index]!;
    const tokens = tokensOf(node, linked.route);
    // Tokens may also stand in schemas (a generic base's `T`, named by the router inheriting it).
    const route = Object.keys(tokens).length > 0 && JSON.stringify(linked.route).includes('{{token:') ? (JSON.parse(substituteTokens(JSON.stringify(linked.route), tokens)) as RouteFact) : linked.route;
    let routeChains: Chain[] = node ? chainsOf(node, new Set()) : [{ prefix: '', via: [], mounted: true, params: [] }];
    // A view that only a URLconf makes reachable has no operation until one mounts it.
    if (node?.router.mountedOnly) routeChains = routeChains.filter((c) => c.mounted);
    let first: string | undefined;
    const bodyTypes = new Set<string>();
    const declaredType = route.body ? refName(route.body.schema) : undefined;
    if (declaredType !== undefined) bodyTypes.add(declaredType);
    for (const chain of routeChains) {
      for (const rawPath of route.paths.length > 0 ? route.paths : ['']) {
        const path = substituteTokens(withTrailingSlash(joinPaths(chain.prefix, expand(rawPath, entry, route.evidence.startLine)), chain.trailingSlash), tokens);
        for (const method of route.methods) {
          const op = buildOperation(route, method, path, chain, entry, resolveType, uniqueId(substituteTokens(nameFor(route, method, route.methods.length > 1), tokens)), queryOption(linked));
          op.evidence.push(...linked.evidence);
          file.operations.push(op);
          total++;
          first ??= op.operationId;
          if (op.requestSchema) for (const t of directRefs(op.requestSchema)) bodyTypes.add(t);
        }
      }
    }
    // One route declared for several methods or paths is one target of its body type's rules.
    if (first) for (const t of bodyTypes) push(typeRuleTargets, t, first);
    if (first) {
      for (const { entry: owner, ids } of linked.rules) {
        for (const id of ids) {
          const rule = rulesOf(owner).get(id);
          if (rule && rule.operation === null) rule.operation = first;
        }
      }
    }
  };
  for (const entry of entries) {
    for (const route of entry.facts.routes) {
      const node = routers.get(`${entry.path}#${route.router}`);
      if (node?.router.abstract) continue;
      emit(route, entry, node);
    }
  }
  // Inherited routes, under each concrete router that inherits them; a method the router (or a
  // nearer base) declares again overrides the farther one.
  for (const node of routers.values()) {
    if (node.router.abstract || !node.router.bases?.length) continue;
    const declared = new Set(routesOf(node).map(handlerName));
    for (const base of basesOf(node)) {
      const routes = routesOf(base).filter((r) => !declared.has(handlerName(r)));
      for (const route of routes) emit(route, base.entry, node);
      for (const r of routesOf(base)) declared.add(handlerName(r));
    }
  }
  // A DTO's validation rules govern the operation that takes it as its body, when there is one.
  for (const entry of entries) {
    const file = out[entry.index]!;
    const rulesById = new Map(file.rules.map((r) => [r.id, r]));
    for (const t of entry.facts.types ?? []) {
      const targets = [...new Set([...(typeRuleTargets.get(t.name) ?? []), ...((t.qualified && typeRuleTargets.get(t.qualified)) || [])])];
      if (targets.length !== 1) continue;
      for (const id of t.ruleIds ?? []) {
        const rule = rulesById.get(id);
        if (rule && rule.operation === null) rule.operation = targets[0]!;
      }
    }
  }

  if (total === 0 && entries.length > 0) {
    const firstEntry = entries[0]!;
    firstEntry.diagnostics.push({
      path: firstEntry.path,
      line: 1,
      severity: 'info',
      message: `no HTTP routes found in the ${entries.length} ${options.language} file${entries.length === 1 ? '' : 's'} analyzed (looked for ${options.frameworks}); no operations written for them`,
    });
  }
  return out;
}

function buildOperation(
  route: RouteFact,
  method: RouteFact['methods'][number],
  path: string,
  chain: Chain,
  entry: Entry,
  resolveType: (name: string, from: Entry) => ResolvedType | undefined,
  operationId: string,
  /** An `input` parameter that is a query option of shared code (see `readOnQuery`). */
  queryOption: (p: ParamFact) => boolean = () => false,
): Operation {
  const schemas: Record<string, Schema> = {};
  const notes: string[] = [...(route.notes ?? [])];
  // Resolves named types into `schemas` (closure), each type's own references from its own file;
  // unknown names become an open object that says so. A name that two different types share is
  // written under the qualified name of the one meant (`Articles.Create.Command`, `Users.Create.Command`).
  const keys = new Map<string, string | null>();
  const keyOf = (name: string, from: Entry): string | null => {
    const memo = `${from.path}\u0000${name}`;
    if (keys.has(memo)) return keys.get(memo)!;
    const found = resolveType(name, from);
    if (!found) {
      keys.set(memo, null);
      return null;
    }
    const key = found.ambiguous && found.type.qualified ? found.type.qualified : name;
    keys.set(memo, key);
    if (!(key in schemas)) {
      schemas[key] = {} as Schema;
      schemas[key] = { ...withKeys(found.type.schema, found.entry), 'x-ficus-evidence': [found.type.evidence] } as unknown as Schema;
    }
    return key;
  };
  const withKeys = (schema: Schema, from: Entry): Schema =>
    mapRefs(schema, (name) => {
      const key = keyOf(name, from);
      return key === null ? ({ type: 'object', description: `${name} (type not found in the analyzed sources)` } as Schema) : ({ $ref: `#/components/schemas/${key}` } as Schema);
    });
  const resolveSchema = (schema: Schema): Schema => withKeys(schema, entry);

  // Parameters: declared ones, properties of parameter objects, then any template name left.
  const params: OpenAPIV3_1.ParameterObject[] = [];
  const formFields: ParamFact[] = [];
  const inputFields: ParamFact[] = [];
  /** Files read on a route whose declared body does not describe them: added to that body. */
  const undeclaredFiles: ParamFact[] = [];
  const seen = new Set<string>();
  const add = (p: ParamFact): void => {
    if (p.in === 'input') {
      // Query string on methods without a body; on the others a body property, or, when the
      // route declares a body without that property, the query string.
      if (method === 'get' || method === 'head' || method === 'delete') p = { ...p, in: 'query' };
      else if (route.body) {
        if (declaredBody().has(p.name)) return;
        // An uploaded file never travels in the query string: it extends the declared body.
        if ((p.schema as { format?: unknown } | undefined)?.format === 'binary') {
          if (!undeclaredFiles.some((f) => f.name === p.name)) undeclaredFiles.push(p);
          return;
        }
        p = { ...p, in: 'query' };
      } else if (queryOption(p) && !inputFields.some((f) => f.name === p.name)) {
        p = { ...p, in: 'query' };
      } else {
        if (!inputFields.some((f) => f.name === p.name)) inputFields.push(p);
        return;
      }
    }
    if (p.in === 'form') {
      formFields.push(p);
      return;
    }
    const key = `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
    if (seen.has(key)) return;
    seen.add(key);
    params.push({
      name: p.name,
      in: p.in,
      ...(p.in === 'path' ? { required: true } : p.required ? { required: true } : {}),
      ...(p.description ? { description: p.description } : {}),
      schema: resolveSchema(p.schema ?? { type: 'string' }),
    } as OpenAPIV3_1.ParameterObject);
  };
  let bodyProps: Set<string> | undefined;
  const declaredBody = (): Set<string> => (bodyProps ??= new Set(Object.keys(objectProperties(route.body!.schema, (name) => resolveType(name, entry)?.type.schema).properties)));
  const templateNames = new Set(templateParams(path));
  const queryBody = route.body?.input && (method === 'get' || method === 'head' || method === 'delete') ? route.body : undefined;
  // The route's own parameters first, then those its routers and mounts declare.
  for (const p of [...route.params, ...chain.params]) {
    if (p.fromType) {
      const found = resolveType(p.fromType, entry);
      const props = found ? propertiesOf(found.type, entry, resolveType) : [];
      const kind = found?.type.schema as { type?: unknown; enum?: unknown } | undefined;
      if (kind && (kind.enum !== undefined || (kind.type !== undefined && kind.type !== 'object'))) {
        // A scalar type after all (an enum declared in another file): one parameter.
        add({ ...p, fromType: undefined, schema: p.schema ?? ({ $ref: `#/components/schemas/${p.fromType}` } as Schema) } as ParamFact);
        continue;
      }
      // A type found without properties (a dependency that reads nothing from this location) adds nothing, silently.
      if (!found) notes.push(`parameters of ${p.fromType} not expanded: type not found in the analyzed sources`);
      if (!found || props.length === 0) continue;
      for (const prop of props) {
        if (prop.binding?.skip) continue;
        const paramName = prop.binding?.name ?? prop.name;
        const description = (prop.schema as { description?: unknown }).description;
        add({ name: paramName, in: templateNames.has(paramName) ? 'path' : (prop.binding?.in ?? p.in), required: prop.required, schema: prop.schema, ...(typeof description === 'string' ? { description } : {}) });
      }
      continue;
    }
    if (p.in === 'path' && !templateNames.has(p.name)) continue;
    add(p);
  }
  if (queryBody) {
    const { properties, required } = objectProperties(queryBody.schema, (name) => resolveType(name, entry)?.type.schema);
    for (const [prop, s] of Object.entries(properties)) if (!templateNames.has(prop)) add({ name: prop, in: 'query', required: required.has(prop), schema: s });
  }
  for (const name of templateNames) {
    if (!seen.has(`path:${name}`)) add({ name, in: 'path', required: true, schema: { type: 'string' } });
  }
  params.sort((a, b) => order(a) - order(b));

  const op: Operation = {
    operationId,
    method,
    path,
    summary: route.summary ?? `${route.handler}`,
    evidence: [route.evidence],
  };
  if (route.description) op.description = route.description;
  if (params.length > 0) op.parameters = params;
  if (route.body && !queryBody) {
    op.requestSchema = resolveSchema(route.body.schema);
    if (undeclaredFiles.length > 0) {
      const files = Object.fromEntries(undeclaredFiles.map((f) => [f.name, resolveSchema(f.schema ?? { type: 'string', format: 'binary' })]));
      op.requestSchema = { allOf: [op.requestSchema, { type: 'object', properties: files }] } as Schema;
    }
    if (route.body.contentType && route.body.contentType !== 'application/json') op.requestContentType = route.body.contentType;
  } else if (formFields.length > 0 || inputFields.length > 0) {
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const f of formFields.length > 0 ? [...formFields, ...inputFields] : inputFields) {
      properties[f.name] = resolveSchema(f.schema ?? { type: 'string' });
      if (f.required) required.push(f.name);
    }
    op.requestSchema = { type: 'object', properties, ...(required.length ? { required } : {}) } as Schema;
    if (formFields.length > 0) op.requestContentType = 'application/x-www-form-urlencoded';
  }
  const responses: NonNullable<Operation['responses']> = {};
  for (const r of route.responses) {
    const existing = responses[r.status];
    if (existing) {
      if (!existing.schema && r.schema) existing.schema = resolveSchema(r.schema);
      if (r.evidence) (existing.evidence ??= []).push(r.evidence);
      continue;
    }
    responses[r.status] = {
      description: r.description ?? describeStatus(r.status),
      ...(r.schema ? { schema: resolveSchema(r.schema) } : {}),
      ...(r.contentType ? { contentType: r.contentType } : {}),
      ...(r.evidence ? { evidence: [r.evidence] } : {}),
    };
  }
  if (!Object.keys(responses).some((s) => /^2/.test(s))) responses['200'] = { description: describeStatus('200') };
  op.responses = responses;
  const success = Object.keys(responses).filter((s) => /^2/.test(s)).sort()[0]!;
  if (responses[success]?.schema) op.responseSchema = responses[success]!.schema!;
  if (Object.keys(schemas).length > 0) op.schemas = schemas;
  if (!chain.mounted) notes.push(`${chain.via[chain.via.length - 1] ?? route.router} is not mounted by any analyzed file; the path is relative to it`);
  if (notes.length > 0) op.notes = [...new Set(notes)];
  return op;
}

/** Top-level properties of an object schema, through `$ref`s and `allOf` (an extended type). */
function objectProperties(schema: Schema, lookup: (name: string) => Schema | undefined, depth = 0): { properties: Record<string, Schema>; required: Set<string> } {
  const properties: Record<string, Schema> = {};
  const required = new Set<string>();
  if (depth > 8) return { properties, required };
  const name = refName(schema);
  const s = (name !== undefined ? lookup(name) : schema) as { properties?: Record<string, Schema>; required?: string[]; allOf?: Schema[] } | undefined;
  for (const part of s?.allOf ?? []) {
    const inner = objectProperties(part, lookup, depth + 1);
    Object.assign(properties, inner.properties);
    for (const r of inner.required) required.add(r);
  }
  Object.assign(properties, s?.properties ?? {});
  for (const r of s?.required ?? []) required.add(r);
  return { properties, required };
}

/** Properties of a type for `fromType` expansion, those of `allOf` members (a base class) first. */
function propertiesOf(
  type: TypeFact,
  entry: Entry,
  resolveType: (name: string, from: Entry) => { entry: Entry; type: TypeFact } | undefined,
  seen: Set<TypeFact> = new Set(),
): { name: string; schema: Schema; required: boolean; binding?: NonNullable<TypeFact['bindings']>[string] }[] {
  if (seen.has(type)) return [];
  seen.add(type);
  const out: ReturnType<typeof propertiesOf> = [];
  const collect = (schema: Schema, owner: TypeFact, from: Entry): void => {
    const s = schema as { properties?: Record<string, Schema>; required?: string[]; allOf?: Schema[] };
    for (const member of s.allOf ?? []) {
      const name = refName(member);
      const base = name !== undefined ? resolveType(name, from) : undefined;
      if (base) out.push(...propertiesOf(base.type, base.entry, resolveType, seen));
      else if (name === undefined) collect(member, owner, from);
    }
    const required = new Set(s.required ?? []);
    for (const [name, prop] of Object.entries(s.properties ?? {})) {
      const binding = owner.bindings?.[name];
      out.push({ name, schema: prop, required: required.has(name), ...(binding ? { binding } : {}) });
    }
  };
  collect(type.schema, type, entry);
  return out;
}

const LOCATION_ORDER: Record<string, number> = { path: 0, query: 1, header: 2, cookie: 3 };
function order(p: OpenAPIV3_1.ParameterObject): number {
  return LOCATION_ORDER[p.in] ?? 9;
}

function withTrailingSlash(path: string, trailingSlash: boolean | undefined): string {
  if (trailingSlash === true && !path.endsWith('/')) return `${path}/`;
  if (trailingSlash === false && path.length > 1 && path.endsWith('/')) return path.slice(0, -1);
  return path;
}

function routesOfFacts(facts: ServiceFacts, router: string): RouteFact[] {
  return facts.routes.filter((r) => r.router === router);
}

function handlerName(route: RouteFact): string {
  return route.handler.split('.').pop() ?? route.handler;
}

/** Replaces `{{token:NAME}}` placeholders (values may hold tokens themselves); a token without a value leaves its name. */
function substituteTokens(text: string, tokens: Record<string, string>): string {
  let out = text;
  for (let depth = 0; depth < 8 && out.includes('{{token:'); depth++) {
    const next = out.replace(/\{\{token:([^}]+)\}\}/g, (_m, name: string) => tokens[name] ?? name);
    if (next === out) break;
    out = next;
  }
  return out;
}

function nameFor(route: RouteFact, method: string, several: boolean): string {
  const base = route.operationName ?? route.handler.split('.').pop() ?? route.handler;
  // A HEAD declared beside other methods is named after them (`getStatus_head`) and does not
  // rename them: adding `[HttpHead]` to an action keeps its GET's operation id.
  const others = route.methods.filter((m) => m !== 'head');
  if (method === 'head') return others.length > 0 ? `${base}_head` : base;
  return several && others.length > 1 ? `${base}_${method}` : base;
}

function sanitizeId(s: string): string {
  const words = s.replace(/[{}]/g, '').split(/[^A-Za-z0-9_]+/).filter(Boolean);
  if (words.length === 0) return '';
  return words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
}

function directRefs(schema: Schema): string[] {
  const name = refName(schema);
  if (name !== undefined) return [name];
  const items = (schema as { items?: Schema }).items;
  const r = items ? refName(items) : undefined;
  return r !== undefined ? [r] : [];
}

const STATUS_TEXT: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'No Content',
  '301': 'Moved Permanently',
  '302': 'Found',
  '304': 'Not Modified',
  '400': 'Bad Request',
  '401': 'Unauthorized',
  '403': 'Forbidden',
  '404': 'Not Found',
  '405': 'Method Not Allowed',
  '409': 'Conflict',
  '410': 'Gone',
  '415': 'Unsupported Media Type',
  '422': 'Unprocessable Content',
  '429': 'Too Many Requests',
  '500': 'Internal Server Error',
  '501': 'Not Implemented',
  '503': 'Service Unavailable',
};
export function describeStatus(status: string): string {
  return STATUS_TEXT[status] ?? (status === 'default' ? 'Other responses' : `Status ${status}`);
}

/** `UserController` of `UserController.show` (`''` for a bare name). */
function ownerOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(0, dot);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
