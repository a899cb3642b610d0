/**
 * The generated documents the MCP server serves: the analyzer's `openapi.yaml` (whole, or cut
 * down to one operation or path with the component schemas it references) and the bridge's
 * AsyncAPI document (the event types it declares and the topic each travels on). Files are read
 * at each call, so a re-run of `ficus analyze` or the bridge is seen without a restart.
 */
import { readFileSync } from 'node:fs';
import type { OpenAPIV3_1 } from 'openapi-types';
import { parse, stringify } from 'yaml';

/** The text of a generated file, or `undefined` when it does not exist (yet). */
export function readGenerated(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** One operation of the spec, for listings. */
export interface OperationSummary {
  operationId: string | null;
  method: string;
  path: string;
  summary: string | null;
  rules: string[];
}

export function parseOpenApi(text: string): OpenAPIV3_1.Document {
  return parse(text) as OpenAPIV3_1.Document;
}

export function listOperations(doc: OpenAPIV3_1.Document): OperationSummary[] {
  const out: OperationSummary[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method] as (OpenAPIV3_1.OperationObject & { 'x-ficus-rules'?: string[] }) | undefined;
      if (!op) continue;
      out.push({ operationId: op.operationId ?? null, method: method.toUpperCase(), path, summary: op.summary ?? null, rules: op['x-ficus-rules'] ?? [] });
    }
  }
  return out;
}

/**
 * The spec cut down to the operation with `operationId`, or to the path item `path`, with the
 * components it references (transitively). `undefined` when nothing matches.
 */
export function filterOpenApi(doc: OpenAPIV3_1.Document, filter: { operationId?: string; path?: string }): OpenAPIV3_1.Document | undefined {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!item) continue;
    if (filter.path !== undefined && path !== filter.path) continue;
    if (filter.operationId !== undefined) {
      for (const method of METHODS) {
        const op = item[method];
        if (op?.operationId === filter.operationId) {
          const { get: _g, put: _pu, post: _po, delete: _d, options: _o, head: _h, patch: _pa, trace: _t, ...shared } = item;
          paths[path] = { ...shared, [method]: op };
        }
      }
    } else paths[path] = item as Record<string, unknown>;
  }
  if (Object.keys(paths).length === 0) return undefined;
  const components = doc.components as Record<string, Record<string, unknown>> | undefined;
  const kept: Record<string, Record<string, unknown>> = {};
  const seen = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string' && x.startsWith('#/components/') && !seen.has(x)) {
          seen.add(x);
          const [, , section, name] = x.split('/');
          const target = section && name ? components?.[section]?.[name] : undefined;
          if (section && name && target !== undefined) {
            (kept[section] ??= {})[name] = target;
            visit(target);
          }
        } else visit(x);
      }
    }
  };
  visit(paths);
  return {
    openapi: doc.openapi,
    info: doc.info,
    paths: paths as OpenAPIV3_1.PathsObject,
    ...(Object.keys(kept).length ? { components: kept as OpenAPIV3_1.ComponentsObject } : {}),
  } as OpenAPIV3_1.Document;
}

export function openApiYaml(doc: OpenAPIV3_1.Document): string {
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** An event type the AsyncAPI document declares. */
export interface DeclaredEventType {
  type: string;
  summary: string | null;
  topics: string[];
}

/** The event types (message names) of an AsyncAPI 3 document and the channel addresses they travel on. */
export function declaredEventTypes(text: string): DeclaredEventType[] {
  const doc = parse(text) as {
    channels?: Record<string, { address?: string; messages?: Record<string, { $ref?: string }> }>;
    components?: { messages?: Record<string, { name?: string; summary?: string }> };
  };
  const byType = new Map<string, DeclaredEventType>();
  const messages = doc.components?.messages ?? {};
  const topicsOf = new Map<string, string[]>();
  for (const [id, channel] of Object.entries(doc.channels ?? {})) {
    for (const m of Object.values(channel.messages ?? {})) {
      const msgId = m.$ref?.split('/').pop();
      if (msgId) topicsOf.set(msgId, [...(topicsOf.get(msgId) ?? []), channel.address ?? id]);
    }
  }
  for (const [id, m] of Object.entries(messages)) {
    const type = m.name ?? id;
    const entry = byType.get(type) ?? { type, summary: m.summary ?? null, topics: [] };
    for (const t of topicsOf.get(id) ?? []) if (!entry.topics.includes(t)) entry.topics.push(t);
    if (entry.summary === null && m.summary) entry.summary = m.summary;
    else if (m.summary && entry.summary !== m.summary && !entry.summary?.includes(m.summary)) entry.summary = `${entry.summary} / ${m.summary}`;
    byType.set(type, entry);
  }
  return [...byType.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/** Every channel address of an AsyncAPI 3 document (the Kafka topics a bridge publishes to). */
export function declaredTopics(text: string): string[] {
  const doc = parse(text) as { channels?: Record<string, { address?: string }> };
  return [...new Set(Object.entries(doc.channels ?? {}).map(([id, c]) => c.address ?? id))].sort();
}
