/**
 * Fastify idioms: the instance (`Fastify()`, `require('fastify')()`), plugins (functions taking
 * the instance, wrapped or not in `fastify-plugin`), `register(plugin, { prefix })`,
 * `@fastify/autoload` (every plugin file under a directory, prefixed by its folder names, `_id`
 * folders as `:id`), route options (`fastify.get(url, { schema }, handler)`,
 * `fastify.route({ method, url, schema, handler })`) and route schemas: `querystring`,
 * `params`, `headers`, `body` and `response` are exact JSON Schemas (literals, consts, TypeBox or
 * fluent-json-schema), so they win over what the handler code suggests.
 */
import { dirname, join, normalize } from 'node:path/posix';
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { Schema } from '../service/schema.js';
import { isPlainObject, type Evaluator } from './evaluate.js';
import type { RouteSchemaFact } from './facts.js';
import type { Scope } from './scope.js';
import { argumentsOf, memberPath, propertyKey, stringValue, unwrap } from './syntax.js';
import type { Validators } from './validators.js';

export const FASTIFY_PACKAGES = ['fastify'];
export const PLUGIN_WRAPPERS = ['fastify-plugin'];
export const AUTOLOAD_PACKAGES = ['@fastify/autoload', 'fastify-autoload'];
export const SWAGGER_PACKAGES = ['@fastify/swagger', 'fastify-swagger'];

/** `@fastify/autoload` registration: plugin files under `dir` are mounted on `parent`. */
export interface AutoloadFact {
  parent: string;
  /** Root-relative directory. */
  dir: string;
  prefix: string;
  /** False with `dirNameRoutePrefix: false`. */
  dirNamePrefix: boolean;
  line: number;
}

export function fastifyCreation(node: SyntaxNode, scope: Scope): { root: boolean } | undefined {
  if (node.type !== 'call_expression') return undefined;
  const fn = unwrap(node.childForFieldName('function'));
  if (!fn) return undefined;
  if (scope.fromPackage(fn, FASTIFY_PACKAGES)) return { root: true };
  if (fn.type === 'identifier' && /^(fastify|Fastify)$/.test(fn.text) && !scope.lookup(fn.text, fn)) return { root: true };
  return undefined;
}

/** `fp(plugin, opts)` / `fastifyPlugin(plugin)`: the plugin function. */
export function unwrapPlugin(node: SyntaxNode, scope: Scope): SyntaxNode | undefined {
  const n = unwrap(node);
  if (n?.type !== 'call_expression') return undefined;
  const fn = unwrap(n.childForFieldName('function'));
  if (!fn) return undefined;
  const wrapper = scope.fromPackage(fn, PLUGIN_WRAPPERS) || (fn.type === 'identifier' && /^(fp|fastifyPlugin)$/.test(fn.text) && !scope.lookup(fn.text, fn));
  return wrapper ? argumentsOf(n)[0] : undefined;
}

export function isAutoload(node: SyntaxNode, scope: Scope): boolean {
  return !!scope.fromPackage(node, AUTOLOAD_PACKAGES) || (node.type === 'identifier' && /^(autoload|AutoLoad|autoLoad)$/.test(node.text) && !scope.lookup(node.text, node));
}

/** The directory an autoload `dir` option names (`path.join(__dirname, 'routes')`), relative to the root. */
export function autoloadDir(dirNode: SyntaxNode | null | undefined, filePath: string, evaluator: Evaluator): string | undefined {
  const n = unwrap(dirNode);
  if (!n) return undefined;
  const direct = stringValue(n);
  const parts: string[] = [];
  if (direct !== undefined) parts.push(direct);
  else if (n.type === 'call_expression') {
    const callee = memberPath(n.childForFieldName('function'))?.join('.') ?? '';
    if (!/(^|\.)(join|resolve)$/.test(callee)) return undefined;
    for (const a of argumentsOf(n)) {
      const s = stringValue(a) ?? (() => {
        const v = evaluator.value(a);
        return typeof v === 'string' ? v : undefined;
      })();
      // __dirname, import.meta.dirname, dirname(fileURLToPath(import.meta.url)) stand for this file's directory.
      if (s !== undefined) parts.push(s);
    }
  } else return undefined;
  const dir = normalize(join(dirname(filePath), ...parts.map((p) => p.replace(/^\.\//, '')))).replace(/\/+$/, '');
  return dir === '.' ? '' : dir;
}

/** A route `schema` object (an object literal, or a const holding one) as JSON Schemas per request part. */
export function routeSchemaOf(node: SyntaxNode | null | undefined, scope: Scope, validators: Validators): { schema: RouteSchemaFact; nodes: Partial<Record<keyof RouteSchemaFact, SyntaxNode>> } | undefined {
  let n = unwrap(node);
  if (n?.type === 'identifier') {
    const b = scope.lookup(n.text, n);
    n = b?.kind === 'value' && b.value ? unwrap(b.value) : null;
  }
  if (!n || n.type !== 'object') return undefined;
  const out: RouteSchemaFact = {};
  const nodes: Partial<Record<keyof RouteSchemaFact, SyntaxNode>> = {};
  let any = false;
  for (const pair of n.namedChildren) {
    if (pair.type !== 'pair' && pair.type !== 'shorthand_property_identifier') continue;
    const key = pair.type === 'pair' ? propertyKey(pair.childForFieldName('key')) : pair.text;
    const value = pair.type === 'pair' ? pair.childForFieldName('value') : pair;
    if (!key || !value) continue;
    const part = key === 'query' || key === 'querystring' ? 'querystring' : key === 'params' ? 'params' : key === 'headers' ? 'headers' : key === 'body' ? 'body' : key === 'response' ? 'response' : undefined;
    if (!part) continue;
    any = true;
    if (part === 'response') {
      let r = unwrap(value);
      if (r?.type === 'identifier') {
        const b = scope.lookup(r.text, r);
        r = b?.kind === 'value' && b.value ? unwrap(b.value) : r;
      }
      if (r?.type !== 'object') continue;
      const responses: Record<string, Schema> = {};
      for (const rp of r.namedChildren.filter((c) => c.type === 'pair')) {
        const status = propertyKey(rp.childForFieldName('key'));
        const s = validators.schemaOf(rp.childForFieldName('value'));
        if (status && s) responses[/^\dxx$/i.test(status) ? `${status[0]}00` : status] = s;
      }
      out.response = responses;
    } else {
      const s = validators.schemaOf(value);
      if (s) {
        out[part] = s;
        nodes[part] = value;
      }
    }
  }
  return any ? { schema: out, nodes } : undefined;
}

/** The options of an `opts` route argument: schema node, handler node, hook middlewares. */
export interface RouteOptions {
  schema?: SyntaxNode;
  handler?: SyntaxNode;
  hooks: SyntaxNode[];
  method?: SyntaxNode;
  url?: SyntaxNode;
  /** `exposeHeadRoute: false`: no automatic HEAD route for this GET. */
  exposeHeadRoute?: SyntaxNode;
}

export function routeOptions(optsNode: SyntaxNode | null | undefined, scope: Scope): RouteOptions | undefined {
  let n = unwrap(optsNode);
  if (n?.type === 'identifier') {
    const b = scope.lookup(n.text, n);
    n = b?.kind === 'value' && b.value ? unwrap(b.value) : null;
  }
  if (!n || n.type !== 'object') return undefined;
  const out: RouteOptions = { hooks: [] };
  for (const c of n.namedChildren) {
    const key = c.type === 'pair' ? propertyKey(c.childForFieldName('key')) : c.type === 'shorthand_property_identifier' ? c.text : c.type === 'method_definition' ? propertyKey(c.childForFieldName('name')) : undefined;
    const value = c.type === 'pair' ? c.childForFieldName('value') : c;
    if (!key || !value) continue;
    if (key === 'schema') out.schema = value;
    else if (key === 'handler') out.handler = value;
    else if (key === 'method') out.method = value;
    else if (key === 'url' || key === 'path') out.url = value;
    else if (key === 'exposeHeadRoute') out.exposeHeadRoute = value;
    else if (/^(preHandler|preValidation|onRequest|preParsing|beforeHandler)$/.test(key)) {
      const v = unwrap(value);
      if (v?.type === 'array') out.hooks.push(...v.namedChildren);
      else out.hooks.push(value);
    }
  }
  return out;
}

/**
 * `register(fastifySwagger, { exposeHeadRoutes: true })`: the document the service publishes
 * lists, for every GET route, the HEAD route Fastify adds by itself (its `exposeHeadRoutes`
 * server option, on by default since v4). Without that swagger option the automatic HEAD routes
 * stay out of the document, as they stay out of ours.
 */
export function swaggerListsHeadRoutes(plugin: SyntaxNode, optsNode: SyntaxNode | null | undefined, scope: Scope, evaluator: Evaluator): boolean | undefined {
  if (!scope.fromPackage(plugin, SWAGGER_PACKAGES)) return undefined;
  return optionValue(optsNode, 'exposeHeadRoutes', evaluator) === true;
}

/** `Fastify({ exposeHeadRoutes: false })`: the server adds no HEAD route for its GET routes. */
export function serverExposesHeadRoutes(creation: SyntaxNode, evaluator: Evaluator): boolean {
  return optionValue(argumentsOf(creation)[0], 'exposeHeadRoutes', evaluator) !== false;
}

function optionValue(optsNode: SyntaxNode | null | undefined, key: string, evaluator: Evaluator): unknown {
  const n = unwrap(optsNode);
  if (!n || n.type !== 'object') return undefined;
  for (const c of n.namedChildren) {
    if (c.type === 'pair' && propertyKey(c.childForFieldName('key')) === key) return evaluator.value(c.childForFieldName('value'));
  }
  return undefined;
}

/** `{ prefix: '/v1' }` of `register`. */
export function registerPrefix(optsNode: SyntaxNode | null | undefined, evaluator: Evaluator): string | undefined {
  const n = unwrap(optsNode);
  if (!n || n.type !== 'object') return undefined;
  for (const c of n.namedChildren) {
    if (c.type === 'pair' && propertyKey(c.childForFieldName('key')) === 'prefix') {
      const s = evaluator.string(c.childForFieldName('value'));
      return s?.text;
    }
  }
  const v = evaluator.value(n);
  return isPlainObject(v) && typeof v.prefix === 'string' ? v.prefix : undefined;
}
