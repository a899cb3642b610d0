/**
 * The `mcp:` config section turned into frozen options for `ficus mcp`, with its defaults taken
 * from the sections of the parts whose output the server reads: the analyzer's specs directory
 * (`gateway.specs`, else `specs`), the bridge's AsyncAPI document and event log (`bridge:`), and
 * the gateway's admin API (`gateway.admin`, `gateway.adminToken` or `FICUS_ADMIN_TOKEN`).
 * Every source is optional: a tool whose source is not configured answers saying so.
 */
import { isAbsolute, join, resolve } from 'node:path';

/** `mcp:` as written in ficus.yaml (validated by specs/config.schema.json). */
export interface McpConfig {
  specs?: string;
  asyncapi?: string;
  gateway?: { admin: string; token?: string };
  events?: {
    kind: 'embedded' | 'kafka';
    store?: string;
    brokers?: string[];
    topics?: string[];
    topicPrefix?: string;
    clientId?: string;
    maxWaitMs?: number;
  };
}

/** The parts of the whole config the defaults come from. */
export interface McpSourceConfig {
  store?: { path: string };
  mcp?: McpConfig;
  gateway?: { admin?: string; adminToken?: string; specs?: string };
  bridge?: {
    store?: string;
    asyncapi?: string;
    sink?: { kind: 'kafka' | 'embedded'; brokers?: string[]; topicPrefix?: string; clientId?: string };
  };
}

export type McpEventsOptions =
  | { readonly kind: 'embedded'; readonly store: string }
  | {
      readonly kind: 'kafka';
      readonly brokers: readonly string[];
      /** Topics to read; when absent, the AsyncAPI channels, else every topic under `topicPrefix`. */
      readonly topics?: readonly string[];
      readonly topicPrefix: string;
      readonly clientId: string;
      /** Longest a `read_events` call waits for records, ms. */
      readonly maxWaitMs: number;
    };

/** What the server reads, every path absolute. */
export interface McpOptions {
  /** Directory holding `openapi.yaml` and `rules.json` (ficus analyze --out). */
  readonly specsDir: string;
  /** The bridge's AsyncAPI document. */
  readonly asyncapi: string;
  readonly gateway?: { readonly admin: string; readonly token?: string };
  readonly events?: McpEventsOptions;
}

/** Default directory of the generated specs when no section names one. */
export const DEFAULT_SPECS_DIR = 'specs';
/** Default bound on one Kafka read. */
export const DEFAULT_KAFKA_WAIT_MS = 5000;

/** Resolves the options from a validated config; `env` and `cwd` come from the CLI edge. */
export function mcpOptions(config: McpSourceConfig, edge: { env: Readonly<Record<string, string | undefined>>; cwd: string }): McpOptions {
  const abs = (p: string) => (isAbsolute(p) || p === ':memory:' ? p : resolve(edge.cwd, p));
  const mcp = config.mcp ?? {};
  const specsDir = abs(mcp.specs ?? config.gateway?.specs ?? DEFAULT_SPECS_DIR);
  const asyncapi = abs(mcp.asyncapi ?? config.bridge?.asyncapi ?? join(specsDir, 'asyncapi.yaml'));

  let gateway: McpOptions['gateway'];
  const token = mcp.gateway?.token ?? config.gateway?.adminToken ?? (edge.env.FICUS_ADMIN_TOKEN || undefined);
  if (mcp.gateway) gateway = { admin: mcp.gateway.admin.replace(/\/+$/, ''), ...(token ? { token } : {}) };
  else if (config.gateway) {
    const admin = config.gateway.admin ?? '127.0.0.1:9901';
    const hostPort = admin.startsWith(':') || admin.startsWith('0.0.0.0:') ? `127.0.0.1:${admin.slice(admin.lastIndexOf(':') + 1)}` : admin;
    gateway = { admin: `http://${hostPort}`, ...(token ? { token } : {}) };
  }

  let events: McpEventsOptions | undefined;
  const ev = mcp.events;
  const sink = config.bridge?.sink;
  const kind = ev?.kind ?? (config.bridge ? (sink?.kind ?? 'embedded') : undefined);
  if (kind === 'embedded') {
    events = { kind, store: abs(ev?.store ?? config.bridge?.store ?? config.store?.path ?? '.ficus/ficus.db') };
  } else if (kind === 'kafka') {
    const brokers = ev?.brokers ?? sink?.brokers ?? [];
    if (brokers.length) {
      events = {
        kind,
        brokers: Object.freeze([...brokers]),
        ...(ev?.topics ? { topics: Object.freeze([...ev.topics]) } : {}),
        topicPrefix: ev?.topicPrefix ?? sink?.topicPrefix ?? 'ficus',
        clientId: ev?.clientId ?? 'ficus-mcp',
        maxWaitMs: ev?.maxWaitMs ?? DEFAULT_KAFKA_WAIT_MS,
      };
    }
  }

  return Object.freeze({ specsDir, asyncapi, ...(gateway ? { gateway: Object.freeze(gateway) } : {}), ...(events ? { events: Object.freeze(events) } : {}) });
}
