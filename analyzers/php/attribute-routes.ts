/**
 * Routes declared as PHP 8 attributes on controller classes: spatie/laravel-route-attributes
 * (`#[Prefix('articles')]` on the class, `#[Get('/{slug}', middleware: 'auth')]`,
 * `#[Route(['GET', 'POST'], 'x')]`, `#[Where('id', '[0-9]+')]`, `#[WhereNumber('id')]`) and Symfony
 * (`#[Route('/api/posts')]` on the class as a prefix, `#[Route('/{id<\d+>}', methods: ['GET'])]`,
 * `requirements: ['id' => '\d+']`). Each such class is one router (its prefix, under the prefix
 * that registers its directory: `laravel-config.ts` reads Spatie's `registerDirectory` and
 * Symfony's `config/routes.yaml`); each method route names the method as its handler, so the
 * method's facts (`controllers.ts`) are merged by the link step. Only attributes imported from
 * those packages count (an OpenAPI `#[OA\Get]` is documentation, not a route).
 */
import type { HttpMethod, ServiceFacts } from '../service/facts.js';
import { normalizePath } from '../service/paths.js';
import type { Schema } from '../service/schema.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { argsOf, arrayMap, stringList, stringValue, type Arg, type Names } from './syntax.js';

const SPATIE = /^Spatie\\RouteAttributes\\Attributes\\(\w+)$/;
const SYMFONY = /^Symfony\\Component\\Routing\\(Annotation|Attribute)\\Route$/;
const VERBS: Record<string, HttpMethod[]> = { Get: ['get'], Post: ['post'], Put: ['put'], Patch: ['patch'], Delete: ['delete'], Any: ['get', 'post', 'put', 'patch', 'delete'] };
const WHERE_HELPERS: Record<string, string> = { WhereNumber: '[0-9]+', WhereAlpha: '[a-zA-Z]+', WhereAlphaNumeric: '[a-zA-Z0-9]+', WhereUuid: 'uuid' };

interface Attribute {
  /** Qualified name. */
  name: string;
  args: Arg[];
}

function attributesOf(node: SyntaxNode, names: Names): Attribute[] {
  const list = node.childForFieldName('attributes') ?? node.namedChildren.find((c) => c.type === 'attribute_list');
  if (!list) return [];
  const out: Attribute[] = [];
  for (const group of list.namedChildren) {
    for (const a of group.namedChildren) {
      if (a.type !== 'attribute') continue;
      const n = a.namedChildren.find((c) => c.type === 'name' || c.type === 'qualified_name');
      if (!n) continue;
      out.push({ name: names.qualify(n.text), args: a.childForFieldName('parameters') ? argsOf(a) : [] });
    }
  }
  return out;
}

const arg = (args: Arg[], position: number, name: string): SyntaxNode | undefined => args.find((a) => a.name === name)?.value ?? args.filter((a) => !a.name)[position]?.value;

/** Adds a router and routes for a class with route attributes; `prefix` is its directory's. */
export function extractAttributeRoutes(cls: SyntaxNode, className: string, qualified: string, names: Names, path: string, facts: ServiceFacts, directoryPrefix: string): void {
  const body = cls.childForFieldName('body');
  if (!body) return;
  const classAttrs = attributesOf(cls, names);
  let prefix = '';
  const wheres: Record<string, string> = {};
  const middleware: string[] = [];
  for (const a of classAttrs) {
    const spatie = SPATIE.exec(a.name)?.[1];
    if (spatie === 'Prefix') prefix = stringValue(arg(a.args, 0, 'prefix')) ?? prefix;
    else if (spatie === 'Middleware') middleware.push(...a.args.flatMap((x) => stringList(x.value) ?? []));
    else if (spatie) collectWhere(spatie, a.args, wheres);
    else if (SYMFONY.test(a.name)) {
      prefix = stringValue(arg(a.args, 0, 'path')) ?? prefix;
      Object.assign(wheres, requirements(arg(a.args, 99, 'requirements')));
    }
  }
  let any = false;
  for (const m of body.namedChildren) {
    if (m.type !== 'method_declaration') continue;
    const method = m.childForFieldName('name')?.text;
    if (!method) continue;
    const ownWheres = { ...wheres };
    const routes: { methods: HttpMethod[]; uri: string; middleware: string[]; name?: string }[] = [];
    for (const a of attributesOf(m, names)) {
      const spatie = SPATIE.exec(a.name)?.[1];
      if (spatie && VERBS[spatie]) {
        const uri = stringValue(arg(a.args, 0, 'uri'));
        const name = stringValue(arg(a.args, 1, 'name'));
        if (uri !== undefined) routes.push({ methods: VERBS[spatie]!, uri, middleware: stringList(arg(a.args, 2, 'middleware')) ?? [], ...(name ? { name } : {}) });
      } else if (spatie === 'Route') {
        const methods = (stringList(arg(a.args, 0, 'methods')) ?? []).map((x) => x.toLowerCase()).filter((x): x is HttpMethod => ['get', 'post', 'put', 'patch', 'delete'].includes(x));
        const uri = stringValue(arg(a.args, 1, 'uri'));
        if (uri !== undefined && methods.length > 0) routes.push({ methods, uri, middleware: stringList(arg(a.args, 3, 'middleware')) ?? [] });
      } else if (spatie) collectWhere(spatie, a.args, ownWheres);
      else if (SYMFONY.test(a.name)) {
        const uri = stringValue(arg(a.args, 0, 'path'));
        if (uri === undefined) continue;
        const listed = (stringList(arg(a.args, 99, 'methods')) ?? []).map((x) => x.toLowerCase()).filter((x): x is HttpMethod => ['get', 'post', 'put', 'patch', 'delete'].includes(x));
        Object.assign(ownWheres, requirements(arg(a.args, 99, 'requirements')));
        const name = stringValue(arg(a.args, 1, 'name'));
        // No `methods`: Symfony matches every method; the spec lists it once, as GET.
        routes.push({ methods: listed.length > 0 ? listed : ['get'], uri: symfonyInline(uri, ownWheres), middleware: [], ...(name ? { name } : {}) });
      }
    }
    for (const r of routes) {
      const raw = r.uri.replace(/\{(\w+)(\?)?\}/g, (whole, n: string, opt: string | undefined) => (ownWheres[n] ? `{${n}${opt ?? ''}:${ownWheres[n]}}` : whole));
      const n = normalizePath(raw.startsWith('/') || raw === '' ? raw : `/${raw}`, 'brace');
      const params = n.params
        .filter((p) => !(Object.keys(p.schema).length === 1 && (p.schema as { type?: string }).type === 'string'))
        .map((p) => ({ name: p.name, in: 'path' as const, required: true, schema: p.schema as Schema }));
      const mw = [...middleware, ...r.middleware];
      facts.routes.push({
        router: className,
        methods: r.methods,
        paths: [n.path || '/'],
        handler: `${className}.${method}`,
        operationName: r.name ?? `${className.replace(/Controller$/, '').replace(/^./, (c) => c.toLowerCase())}${method[0]!.toUpperCase()}${method.slice(1)}`,
        params,
        responses: mw.some((x) => /^auth(:|$)/.test(x)) ? [{ status: '401', description: 'Unauthenticated.', evidence: evidenceOf(path, m) }] : [],
        evidence: evidenceOf(path, m),
        ruleIds: [],
        handlerRef: { name: `${className}.${method}`, qualified: `${qualified}.${method}` },
        dropIfView: true,
        ...(mw.length > 0 ? { notes: [`middleware: ${mw.join(', ')}`] } : {}),
      });
      any = true;
    }
  }
  if (any) facts.routers.push({ id: className, prefixes: [joinPrefix(directoryPrefix, prefix)], root: true, evidence: evidenceOf(path, cls), label: className });
}

function collectWhere(attr: string, args: Arg[], into: Record<string, string>): void {
  if (attr === 'Where') {
    const n = stringValue(arg(args, 0, 'param'));
    const re = stringValue(arg(args, 1, 'constraint'));
    if (n && re) into[n] = re;
  } else if (WHERE_HELPERS[attr]) {
    const n = stringValue(arg(args, 0, 'param'));
    if (n) into[n] = WHERE_HELPERS[attr]!;
  }
}

function requirements(node: SyntaxNode | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of arrayMap(node) ?? []) {
    const re = stringValue(v);
    if (re) out[k] = re;
  }
  return out;
}

/** Symfony inline requirements and defaults: `{id<\d+>?1}` → `{id}` with the requirement noted. */
function symfonyInline(uri: string, wheres: Record<string, string>): string {
  return uri.replace(/\{(\w+)<([^>]+)>(\?[^}]*)?\}/g, (_m, n: string, re: string) => {
    wheres[n] = re;
    return `{${n}}`;
  }).replace(/\{(\w+)\?[^}]*\}/g, '{$1}');
}

function joinPrefix(a: string, b: string): string {
  const parts = [a, b].map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean);
  return parts.length > 0 ? `/${parts.join('/')}` : '';
}
