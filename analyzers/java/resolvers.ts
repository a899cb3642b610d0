/**
 * Spring `HandlerMethodArgumentResolver`s (Spring MVC and WebFlux): a handler parameter whose type
 * or annotation a resolver supports is built by it, not bound from the query string or a model
 * attribute (Spring consults custom resolvers before its catch-all binding). `supportsParameter`
 * says what it claims: class literals compared with the parameter type
 * (`parameter.getParameterType().equals(Client.class)`, `Client.class.isAssignableFrom(...)`) and
 * annotations looked for (`parameter.hasParameterAnnotation(CurrentUser.class)`); what the resolver
 * reads from the request (`webRequest.getHeader("X-Tenant")`) becomes the operation's parameters.
 *
 * A resolver in the sources is taken as registered: registration (`addArgumentResolvers`) names a
 * bean, a field or a list in ways too varied to follow, and an unregistered resolver is dead code.
 */
import { descendants, evidenceOf } from '../service/tree-sitter.js';
import type { JavaRouteFact, ResolverFact } from './facts.js';
import type { ExtractContext } from './handlers.js';
import type { Entry } from './inherit.js';
import { requestReads } from './request-reads.js';
import type { ClassInfo } from './syntax.js';
import { parseType } from './types.js';

const ANNOTATION_LOOKUPS = /^(hasParameterAnnotation|getParameterAnnotation|hasMethodAnnotation|getMethodAnnotation|isAnnotationPresent|getAnnotation|findAnnotation|hasAnnotation)$/;

export function isArgumentResolver(cls: ClassInfo): boolean {
  return cls.kind === 'class' && cls.interfaces.includes('HandlerMethodArgumentResolver');
}

export function readArgumentResolver(cls: ClassInfo, ctx: ExtractContext): void {
  const supports = cls.methods.find((m) => m.childForFieldName('name')?.text === 'supportsParameter');
  const types: string[] = [];
  const annotations: string[] = [];
  const body = supports?.childForFieldName('body');
  for (const lit of body ? descendants(body, 'class_literal') : []) {
    const name = parseType(lit.namedChildren[0])?.name;
    if (!name) continue;
    const call = lit.parent?.parent;
    const lookup = call?.type === 'method_invocation' && ANNOTATION_LOOKUPS.test(call.childForFieldName('name')?.text ?? '');
    const list = lookup ? annotations : types;
    if (!list.includes(name)) list.push(name);
  }
  const fact: ResolverFact = { name: cls.name, qualified: cls.qualified, types, annotations, params: requestReads([cls.node], { file: ctx.file, cls }), evidence: evidenceOf(ctx.file.path, cls.node) };
  (ctx.facts.java.resolvers ??= []).push(fact);
}

/** Hands the parameters resolvers claim to them: their own binding goes, what they read comes in. */
export function applyArgumentResolvers(entries: Entry[], expandName: (name: string, from: Entry) => string | undefined): void {
  const resolvers = entries.flatMap((e) => (e.facts.java.resolvers ?? []).map((r) => ({ entry: e, resolver: r })));
  if (resolvers.length === 0) return;
  const superclasses = new Map<string, string>();
  for (const e of entries) for (const [k, v] of Object.entries(e.facts.java.superclasses)) if (!superclasses.has(k)) superclasses.set(k, v);
  const lineage = (type: string): string[] => {
    const out = [type];
    for (let cur = superclasses.get(type); cur && out.length < 8 && !out.includes(cur); cur = superclasses.get(cur)) out.push(cur);
    return out;
  };
  for (const e of entries) {
    for (const route of e.facts.routes as JavaRouteFact[]) {
      for (const cand of route.resolvable ?? []) {
        const types = lineage(cand.type);
        const found = resolvers.find(({ resolver: r }) => r.types.some((t) => types.includes(t)) || r.annotations.some((a) => cand.annotations.includes(a)));
        if (!found) continue;
        const { resolver: r, entry: from } = found;
        route.params = route.params.filter((p) => p.name !== cand.name || !((cand.bound === 'fromType' && p.fromType === cand.type) || (cand.bound === 'query' && p.in === 'query' && !p.fromType)));
        const reads: string[] = [];
        for (const p of r.params) {
          const name = expandName(p.name, from);
          if (!name) continue;
          if (route.params.some((q) => q.in === p.in && (p.in === 'header' ? q.name.toLowerCase() === name.toLowerCase() : q.name === name))) continue;
          route.params.push({ ...p, name, required: false, description: `Read by ${r.name}, which resolves the handler's ${cand.type} parameter.` });
          reads.push(`${p.in} ${name}`);
        }
        (route.notes ??= []).push(`parameter ${cand.name} (${cand.type}) is resolved by argument resolver ${r.name} (${r.evidence.path}:${r.evidence.startLine})${reads.length ? `, which reads ${reads.join(', ')}` : ', not bound from the request'}`);
      }
    }
  }
}
