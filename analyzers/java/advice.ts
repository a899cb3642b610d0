/**
 * Methods Spring MVC runs before handlers: `@ModelAttribute` methods (without a request mapping)
 * run before every handler of their controller, and those of a `@ControllerAdvice` /
 * `@RestControllerAdvice` before every handler of the controllers it selects (`basePackages`/
 * `value`, `basePackageClasses`, `assignableTypes`; all when none is given). Their parameters bind
 * from the request like a handler's (`@RequestHeader("X-Tenant") String tenant`), and their bodies
 * may read the raw request, so those are inputs of every operation they run for.
 */
import type { ParamFact } from '../service/facts.js';
import { evidenceOf } from '../service/tree-sitter.js';
import type { JavaRouteFact } from './facts.js';
import { paramSchema, type ExtractContext } from './handlers.js';
import type { Entry } from './inherit.js';
import { requestReads } from './request-reads.js';
import { handlerBodies } from './responses.js';
import { annotationsOf, booleanValue, elementsOf, evalString, evalStrings, findAnnotation, type Annotation, type ClassInfo } from './syntax.js';
import { parseType } from './types.js';

const BINDINGS: Record<string, ParamFact['in']> = { RequestHeader: 'header', RequestParam: 'query', CookieValue: 'cookie' };
const MAPPINGS = /^(RequestMapping|GetMapping|PostMapping|PutMapping|DeleteMapping|PatchMapping)$/;

/** What the `@ModelAttribute` methods of a class read from the request, and their names for notes. */
export function modelAttributeReads(cls: ClassInfo, ctx: ExtractContext): { params: ParamFact[]; methods: string[] } {
  const params: ParamFact[] = [];
  const methods: string[] = [];
  const add = (p: ParamFact): void => {
    if (!params.some((q) => q.in === p.in && (p.in === 'header' ? q.name.toLowerCase() === p.name.toLowerCase() : q.name === p.name))) params.push(p);
  };
  for (const method of cls.methods) {
    const anns = annotationsOf(method);
    if (!findAnnotation(anns, 'ModelAttribute') || anns.some((a) => MAPPINGS.test(a.name))) continue;
    const name = method.childForFieldName('name')?.text ?? '?';
    const before = params.length;
    for (const p of method.childForFieldName('parameters')?.namedChildren ?? []) {
      if (p.type !== 'formal_parameter') continue;
      const pAnns = annotationsOf(p);
      const binding = pAnns.find((a) => a.name in BINDINGS);
      if (!binding) continue;
      const type = parseType(p.childForFieldName('type'));
      if (/^(Map|MultiValueMap|HttpHeaders)$/.test(type?.name ?? '') && !binding.value && !binding.args.has('name')) continue;
      const pname = nameOf(binding, cls, ctx) ?? p.childForFieldName('name')?.text ?? '?';
      const ps = paramSchema(type, pAnns, cls, ctx.file);
      const required = booleanValue(binding.args.get('required')) !== false && !binding.args.has('defaultValue') && type?.name !== 'Optional';
      add({ name: pname, in: BINDINGS[binding.name]!, required: required || ps.required, schema: ps.schema, evidence: evidenceOf(ctx.file.path, p) });
    }
    for (const read of requestReads(handlerBodies(method, cls), { file: ctx.file, cls })) add(read);
    if (params.length > before) methods.push(`${cls.name}.${name} (${ctx.file.path}:${evidenceOf(ctx.file.path, method).startLine})`);
  }
  return { params, methods };
}

function nameOf(a: Annotation, cls: ClassInfo, ctx: ExtractContext): string | undefined {
  return evalString(a.args.get('name') ?? a.value, cls, ctx.file) || undefined;
}

/** A controller's own `@ModelAttribute` reads onto each of its routes. */
export function applyModelAttributes(routes: JavaRouteFact[], cls: ClassInfo, ctx: ExtractContext): void {
  const { params, methods } = modelAttributeReads(cls, ctx);
  if (params.length === 0) return;
  for (const route of routes) addParams(route, params, `read by @ModelAttribute method${methods.length > 1 ? 's' : ''} ${methods.join(', ')}, which Spring runs before every handler of ${cls.name}`);
}

/** Records what a `@ControllerAdvice` reads before handlers, and which controllers it selects. */
export function readControllerAdvice(cls: ClassInfo, ctx: ExtractContext): void {
  const advice = findAnnotation(cls.annotations, 'ControllerAdvice', 'RestControllerAdvice');
  if (!advice) return;
  const { params, methods } = modelAttributeReads(cls, ctx);
  if (params.length === 0) return;
  const classes = (key: string): string[] => elementsOf(advice.args.get(key)).flatMap((e) => (e.type === 'class_literal' ? [parseType(e.namedChildren[0])?.name ?? ''] : [])).filter(Boolean);
  (ctx.facts.java.advice ??= []).push({
    name: cls.name,
    methods,
    params,
    basePackages: [...evalStrings(advice.value, cls, ctx.file), ...evalStrings(advice.args.get('basePackages'), cls, ctx.file), ...classes('basePackageClasses').map((c) => packageOf(ctx.file.imports.get(c) ?? `${ctx.file.pkg}.${c}`))],
    assignableTypes: classes('assignableTypes'),
    // Selection by the controllers' annotations: not known at link time, the advice is not applied.
    ...(advice.args.has('annotations') ? { byAnnotation: true } : {}),
    evidence: evidenceOf(ctx.file.path, advice.node),
  });
}

/** `@ControllerAdvice` reads onto the Spring routes of the controllers each selects. */
export function applyControllerAdvice(entries: Entry[]): void {
  const all = entries.flatMap((e) => e.facts.java.advice ?? []);
  if (all.length === 0) return;
  const superclasses = new Map<string, string>();
  for (const e of entries) for (const [k, v] of Object.entries(e.facts.java.superclasses)) if (!superclasses.has(k)) superclasses.set(k, v);
  for (const e of entries) {
    for (const route of e.facts.routes) {
      if ((route.servedBy ?? 'spring') !== 'spring') continue;
      const controller = route.handler.slice(0, route.handler.lastIndexOf('.'));
      const qualified = (e.facts.moduleNames ?? []).find((m) => m === controller || m.endsWith(`.${controller}`)) ?? controller;
      const lineage: string[] = [controller];
      for (let cur = superclasses.get(controller); cur && lineage.length < 8 && !lineage.includes(cur); cur = superclasses.get(cur)) lineage.push(cur);
      for (const a of all) {
        if (a.byAnnotation) continue;
        const selective = a.basePackages.length > 0 || a.assignableTypes.length > 0;
        const selected = !selective || a.basePackages.some((p) => qualified.startsWith(`${p}.`)) || a.assignableTypes.some((t) => lineage.includes(t));
        if (!selected) continue;
        addParams(route, a.params, `read by @ModelAttribute method${a.methods.length > 1 ? 's' : ''} ${a.methods.join(', ')} of @ControllerAdvice ${a.name}, which Spring runs before ${selective ? 'the handlers it selects' : 'every handler'}`);
      }
    }
  }
}

function addParams(route: JavaRouteFact, params: readonly ParamFact[], why: string): void {
  const added: string[] = [];
  for (const p of params) {
    if (route.params.some((q) => q.in === p.in && (p.in === 'header' ? q.name.toLowerCase() === p.name.toLowerCase() : q.name === p.name))) continue;
    route.params.push({ ...p });
    added.push(`${p.in} ${p.name}`);
  }
  if (added.length) (route.notes ??= []).push(`${added.join(', ')} ${why}`);
}

function packageOf(qualified: string): string {
  return qualified.slice(0, Math.max(0, qualified.lastIndexOf('.')));
}
