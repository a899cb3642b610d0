/**
 * The validated `bridge:` config section, turned into frozen options, plus the checks that need
 * the source's schema (unknown tables, bad `when` expressions), reported as config issues with
 * file and line once the source has described its tables.
 */
import type { LoadedConfig } from '../core/config.js';
import type { ConfigIssue } from '../core/errors.js';
import type { SnapshotMode, TableInfo } from './change.js';
import type { EventRule } from './mapping.js';
import { validateEventRules } from './mapping.js';

export interface BridgeConfig {
  name: string;
  source: { kind: 'postgres' | 'mysql' | 'sqlite'; url?: string; path?: string; tables: string[]; slot?: string; publication?: string; serverId?: number; pollMs?: number };
  snapshot: SnapshotMode;
  sink: { kind: 'kafka' | 'embedded'; brokers?: string[]; topicPrefix: string; mode: 'binary' | 'structured'; clientId?: string };
  events: EventRule[];
  store?: string;
  listen: string;
  asyncapi?: string;
}

export interface BridgeOptions extends BridgeConfig {
  readonly storePath: string;
  readonly listenAt: { host: string; port: number };
}

export function bridgeOptions(bridge: BridgeConfig, defaults: { storePath: string }): BridgeOptions {
  const i = bridge.listen.lastIndexOf(':');
  return Object.freeze({
    ...bridge,
    storePath: bridge.store ?? defaults.storePath,
    listenAt: { host: bridge.listen.slice(0, i) || '127.0.0.1', port: Number(bridge.listen.slice(i + 1)) },
  });
}

/** Checks configured tables and event rules against what the source reports. */
export function checkAgainstSchema(loaded: Pick<LoadedConfig<unknown>, 'issue'>, options: BridgeOptions, tables: readonly TableInfo[]): ConfigIssue[] {
  return validateEventRules(options.events, tables).map((p) => loaded.issue(['bridge', 'events', p.index, p.field], p.message));
}
