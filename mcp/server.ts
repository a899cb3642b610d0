/**
 * `ficus mcp`: a Model Context Protocol server (https://modelcontextprotocol.io) that lets AI
 * agents read what the three parts of Ficus produce: the bridge's business events, the
 * analyzer's OpenAPI spec and rules catalog, and the gateway's routes and confidence. It is
 * read-only by design: no tool changes routing or data (the gateway is only sent GETs, the event
 * store is opened read-only, Kafka offsets are never committed). Inputs are validated with zod
 * by the SDK before a tool runs; every answer is bounded (see mcp/limits.ts) and says when it
 * was cut. A source that is not configured or not there yet gives a tool result that says so
 * (`isError: true`), never a crash.
 */
import { join } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import type { RulesDocument } from '../analyzers/output.js';
import type { Logger } from '../core/logger.js';
import { BadCursorError, createEmbeddedEventReader, createKafkaEventReader, EventSourceUnavailable, type EventReader } from './events.js';
import { clipText, MAX_EVENTS, MAX_RULES } from './limits.js';
import type { McpOptions } from './options.js';
import { fetchRouteStatus, RouteStatusUnavailable } from './routes.js';
import { ruleKinds, searchRules } from './rules.js';
import { declaredEventTypes, declaredTopics, filterOpenApi, listOperations, openApiYaml, parseOpenApi, readGenerated } from './specs.js';

/** URIs of the documents served as MCP resources. */
export const resourceUris = Object.freeze({
  openapi: 'ficus://specs/openapi.yaml',
  asyncapi: 'ficus://specs/asyncapi.yaml',
  rules: 'ficus://specs/rules.json',
});

/** Names of the tools, in the order they are listed. */
export const toolNames = Object.freeze(['list_event_types', 'read_events', 'get_openapi', 'search_rules', 'route_status'] as const);

export interface McpServerDeps {
  logger: Logger;
  /** Ficus version, announced to clients. */
  version: string;
  /** Where events are read; default {@link defaultEventReader} from `options.events`. */
  events?: EventReader;
}

/** The reader `options.events` names, or `undefined` when events are not configured. */
export function defaultEventReader(options: McpOptions, logger: Logger): EventReader | undefined {
  const ev = options.events;
  if (!ev) return undefined;
  if (ev.kind === 'embedded') return createEmbeddedEventReader(ev.store);
  return createKafkaEventReader(ev, {
    logger,
    topics: () => {
      const text = readGenerated(options.asyncapi);
      return text === undefined ? undefined : declaredTopics(text);
    },
  });
}

const json = (value: unknown): CallToolResult => {
  const clipped = clipText(JSON.stringify(value, null, 2));
  return { content: [{ type: 'text', text: clipped.text }] };
};
const failure = (message: string): CallToolResult => ({ content: [{ type: 'text', text: message }], isError: true });

/** Runs a tool body, turning the failures this server expects into tool errors for the agent. */
async function answer(body: () => Promise<CallToolResult>, logger: Logger, tool: string): Promise<CallToolResult> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof BadCursorError || err instanceof EventSourceUnavailable || err instanceof RouteStatusUnavailable) return failure(err.message);
    logger.error({ err, tool }, 'mcp tool failed');
    return failure(`${tool} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Builds the server with its tools and resources; connect it to a transport to serve. */
export function createMcpServer(options: McpOptions, deps: McpServerDeps): McpServer {
  const { logger } = deps;
  const events = deps.events ?? defaultEventReader(options, logger);
  const openapiFile = join(options.specsDir, 'openapi.yaml');
  const rulesFile = join(options.specsDir, 'rules.json');
  const notConfigured = {
    events: 'No event source is configured: add a bridge: section, or mcp.events (kind: embedded with store, or kind: kafka with brokers), to the config ficus mcp reads.',
    gateway: 'No gateway is configured: add a gateway: section, or mcp.gateway.admin (e.g. http://127.0.0.1:9901), to the config ficus mcp reads.',
    openapi: `No OpenAPI spec at ${openapiFile}: run ficus analyze --out DIR on the legacy code and set mcp.specs (or gateway.specs) to DIR.`,
    rules: `No rules catalog at ${rulesFile}: run ficus analyze --out DIR on the legacy code and set mcp.specs (or gateway.specs) to DIR.`,
  };

  const server = new McpServer(
    { name: 'ficus', version: deps.version },
    {
      instructions:
        'Ficus modernizes a legacy system route by route. Read-only tools: list_event_types and read_events (business events from legacy database changes, CloudEvents), get_openapi (the spec extracted from the legacy code), search_rules (business rules with the source lines they come from), route_status (which routes the gateway serves from the modern system, and how confident it is).',
    },
  );
  const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true } as const;

  server.registerTool(
    'list_event_types',
    {
      title: 'List event types',
      description:
        'The business event types the bridge publishes: those declared in its AsyncAPI document (with a summary and topic) and, for the embedded event log, those present in the log with their counts and the cursor of the latest one.',
      inputSchema: {},
      annotations: { ...readOnly, openWorldHint: false },
    },
    async () =>
      answer(async () => {
        const asyncapiText = readGenerated(options.asyncapi);
        const declared = asyncapiText === undefined ? [] : declaredEventTypes(asyncapiText);
        let counts: Awaited<ReturnType<EventReader['typeCounts']>>;
        let countsNote: string | undefined;
        if (!events) countsNote = notConfigured.events;
        else {
          try {
            counts = await events.typeCounts();
            if (counts === undefined) countsNote = `counts are not available from ${events.description}; use read_events`;
          } catch (err) {
            if (!(err instanceof EventSourceUnavailable)) throw err;
            countsNote = err.message;
          }
        }
        if (asyncapiText === undefined && !counts) {
          return failure(`No AsyncAPI document at ${options.asyncapi} (written by the bridge when bridge.asyncapi is set, or by ficus bridge asyncapi --out) and ${countsNote ?? 'no events'}.`);
        }
        const types = new Map<string, { type: string; summary: string | null; topics: string[]; declared: boolean; count?: number; lastCursor?: string }>();
        for (const d of declared) types.set(d.type, { type: d.type, summary: d.summary, topics: [...d.topics], declared: true, ...(counts ? { count: 0 } : {}) });
        for (const c of counts ?? []) {
          const t = types.get(c.type) ?? { type: c.type, summary: null, topics: [], declared: false, count: 0 };
          t.count = (t.count ?? 0) + c.count;
          if (!t.topics.includes(c.topic)) t.topics.push(c.topic);
          if (t.lastCursor === undefined || Number(c.lastCursor) > Number(t.lastCursor)) t.lastCursor = c.lastCursor;
          types.set(c.type, t);
        }
        return json({
          asyncapi: asyncapiText === undefined ? null : resourceUris.asyncapi,
          source: events?.description ?? null,
          ...(countsNote ? { note: countsNote } : {}),
          types: [...types.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0)),
        });
      }, logger, 'list_event_types'),
  );

  server.registerTool(
    'read_events',
    {
      title: 'Read events',
      description: `Business events (CloudEvents 1.0 with a Debezium-style change in data), oldest first, optionally of some types, after a cursor; at most ${MAX_EVENTS} per call. Pass the answer's next as after to read on. Embedded log: the cursor is a sequence number ("42"). Kafka: comma-separated topic:partition:offset entries (the next offset per partition); the call waits a bounded time for records.`,
      inputSchema: {
        types: z.array(z.string().min(1).max(200)).max(50).optional().describe('Only these event types (e.g. ["order_placed"]).'),
        after: z.string().max(20_000).optional().describe('Cursor: read events after it (the next of a previous answer). Default: from the start.'),
        limit: z.number().int().min(1).max(MAX_EVENTS).default(20).describe(`How many events, 1-${MAX_EVENTS} (default 20).`),
      },
      annotations: { ...readOnly, openWorldHint: false },
    },
    async ({ types, after, limit }) =>
      answer(async () => {
        if (!events) return failure(notConfigured.events);
        const page = await events.read({ ...(types ? { types } : {}), ...(after !== undefined ? { after } : {}), limit });
        return json({ source: events.description, ...page });
      }, logger, 'read_events'),
  );

  server.registerTool(
    'get_openapi',
    {
      title: 'Get the OpenAPI spec',
      description:
        'The OpenAPI 3.1 spec ficus analyze extracted from the legacy code (YAML), whole or cut down to one operationId or one path with the schemas it references. x-ficus-rules lists the ids of the rules governing an operation (see search_rules), x-ficus-evidence the source lines.',
      inputSchema: {
        operationId: z.string().min(1).max(300).optional().describe('Only this operation.'),
        path: z.string().min(1).max(2000).optional().describe('Only this path, e.g. /customers/credit-inquiry.'),
      },
      annotations: { ...readOnly, openWorldHint: false },
    },
    async ({ operationId, path }) =>
      answer(async () => {
        const text = readGenerated(openapiFile);
        if (text === undefined) return failure(notConfigured.openapi);
        if (operationId === undefined && path === undefined) {
          const clipped = clipText(text);
          return { content: [{ type: 'text', text: clipped.text }] };
        }
        const doc = parseOpenApi(text);
        const cut = filterOpenApi(doc, { ...(operationId !== undefined ? { operationId } : {}), ...(path !== undefined ? { path } : {}) });
        if (!cut) {
          const ops = listOperations(doc).map((o) => `${o.operationId ?? '(no operationId)'} = ${o.method} ${o.path}`);
          return failure(`No operation matches ${JSON.stringify({ operationId, path })}. Operations in the spec: ${ops.join('; ') || '(none)'}`);
        }
        return { content: [{ type: 'text', text: clipText(openApiYaml(cut)).text }] };
      }, logger, 'get_openapi'),
  );

  server.registerTool(
    'search_rules',
    {
      title: 'Search business rules',
      description: `Search the business rules ficus analyze found in the legacy code (rules.json). Every word of query must occur (case-insensitive) in a rule's statement, condition, fields, effects or id; field matches a data name inside fields/effects (rate finds WS-RATE). Filter by kind, program (name or source path) and operation (operationId). Each hit has its evidence (file and lines) and says where it matched. At most ${MAX_RULES} per call; page with offset.`,
      inputSchema: {
        query: z.string().max(500).optional(),
        field: z.string().min(1).max(200).optional(),
        kind: z.enum(ruleKinds).optional(),
        program: z.string().min(1).max(500).optional(),
        operation: z.string().min(1).max(300).optional(),
        limit: z.number().int().min(1).max(MAX_RULES).default(20),
        offset: z.number().int().min(0).max(1_000_000).default(0),
      },
      annotations: { ...readOnly, openWorldHint: false },
    },
    async (q) =>
      answer(async () => {
        const text = readGenerated(rulesFile);
        if (text === undefined) return failure(notConfigured.rules);
        const doc = JSON.parse(text) as RulesDocument;
        return json({ catalog: resourceUris.rules, ...searchRules(doc, q) });
      }, logger, 'search_rules'),
  );

  server.registerTool(
    'route_status',
    {
      title: 'Route status',
      description:
        "The gateway's routes: mode (legacy, shadow, canary, modern), percent of traffic served by the modern system, confidence (Wilson 95 % lower bound of the match rate since the last step) with its interval, samples, mismatches, fallbacks and any step waiting for a person's approval. Read-only: nothing here changes routing.",
      inputSchema: { route: z.string().min(1).max(200).optional().describe('Only this route id.') },
      annotations: { ...readOnly, openWorldHint: true },
    },
    async ({ route }) =>
      answer(async () => {
        if (!options.gateway) return failure(notConfigured.gateway);
        const routes = await fetchRouteStatus(options.gateway, route !== undefined ? { route } : {});
        if (route !== undefined && routes.length === 0) return failure(`The gateway has no route ${JSON.stringify(route)}; call route_status without route to list them.`);
        return json({ gateway: options.gateway.admin, routes });
      }, logger, 'route_status'),
  );

  const fileResource = (name: string, uri: string, file: string, mimeType: string, description: string, missing: string) =>
    server.registerResource(name, uri, { title: name, description, mimeType }, async () => {
      const text = readGenerated(file);
      if (text === undefined) throw new Error(missing);
      return { contents: [{ uri, mimeType, text }] };
    });
  fileResource('openapi.yaml', resourceUris.openapi, openapiFile, 'application/yaml', 'OpenAPI 3.1 spec extracted from the legacy code by ficus analyze.', notConfigured.openapi);
  fileResource('asyncapi.yaml', resourceUris.asyncapi, options.asyncapi, 'application/yaml', 'AsyncAPI 3 document of the business events the bridge publishes.', `No AsyncAPI document at ${options.asyncapi}.`);
  fileResource('rules.json', resourceUris.rules, rulesFile, 'application/json', 'Business rules catalog (specs/rules.schema.json) with the source lines each rule comes from.', notConfigured.rules);
  return server;
}
