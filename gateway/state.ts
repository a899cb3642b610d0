/**
 * The gateway's tables in the SQLite store: route state (mode, percent, pending approval,
 * counters, spec-check counters), the audit log of every mode change, stored discrepancies
 * (bounded per route, oldest pruned), spec violations (bounded per route and side, oldest
 * pruned) and learned noise. Everything a restart must not lose lives here.
 */
import type { Migration, Store } from '../core/store.js';
import type { Difference } from './compare.js';
import type { Side } from './confidence.js';
import type { RouteMode } from './modes.js';
import type { SpecError, SpecViolationKind } from './spec-validator.js';

export const gatewayMigrations: readonly Migration[] = Object.freeze([
  {
    component: 'gateway',
    version: 1,
    description: 'routes, audit log, discrepancies, noise',
    up: `
      CREATE TABLE gateway_routes (
        id TEXT PRIMARY KEY,
        mode TEXT NOT NULL,
        percent REAL NOT NULL,
        pending_approval TEXT,
        config_mode TEXT NOT NULL,
        config_percent REAL NOT NULL,
        stats TEXT NOT NULL,
        versions TEXT NOT NULL DEFAULT '{}',
        updated_at TEXT NOT NULL
      );
      CREATE TABLE gateway_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        route_id TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        from_mode TEXT, from_percent REAL,
        to_mode TEXT, to_percent REAL,
        reason TEXT NOT NULL
      );
      CREATE INDEX gateway_audit_route ON gateway_audit (route_id, id);
      CREATE TABLE gateway_discrepancies (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        route_id TEXT NOT NULL,
        at TEXT NOT NULL,
        request TEXT NOT NULL,
        legacy TEXT NOT NULL,
        modern TEXT NOT NULL,
        differences TEXT NOT NULL
      );
      CREATE INDEX gateway_discrepancies_route ON gateway_discrepancies (route_id, id);
      CREATE TABLE gateway_noise (
        route_id TEXT NOT NULL,
        path TEXT NOT NULL,
        seen INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('proposed', 'accepted', 'rejected')),
        first_at TEXT NOT NULL,
        last_at TEXT NOT NULL,
        PRIMARY KEY (route_id, path)
      );
    `,
  },
  {
    component: 'gateway',
    version: 2,
    description: 'spec-check counters per route, spec violations',
    up: `
      ALTER TABLE gateway_routes ADD COLUMN spec TEXT NOT NULL DEFAULT '{}';
      CREATE TABLE gateway_spec_violations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        route_id TEXT NOT NULL,
        side TEXT NOT NULL CHECK (side IN ('legacy', 'modern')),
        at TEXT NOT NULL,
        operation_id TEXT NOT NULL,
        status INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('status', 'schema', 'request')),
        errors TEXT NOT NULL,
        dropped INTEGER NOT NULL DEFAULT 0,
        request TEXT NOT NULL,
        response TEXT
      );
      CREATE INDEX gateway_spec_violations_route ON gateway_spec_violations (route_id, side, id);
    `,
  },
]);

export interface PersistedRoute {
  id: string;
  mode: RouteMode;
  percent: number;
  /** The step waiting for a person, if any. */
  pendingApproval: { mode: RouteMode; percent: number; reason: string } | null;
  configMode: RouteMode;
  configPercent: number;
  stats: unknown;
  versions: { legacy?: string; modern?: string };
  /** Spec-check counters (`SpecCounters` in route-controller.ts); `{}` before any check. */
  spec: unknown;
}

export interface AuditEntry {
  id: number;
  at: string;
  routeId: string;
  actor: string;
  action: string;
  from: { mode: RouteMode; percent: number } | null;
  to: { mode: RouteMode; percent: number } | null;
  reason: string;
}

export interface StoredExchange {
  status: number;
  headers: Record<string, string | string[]>;
  body: unknown;
}

export interface StoredRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  body?: unknown;
}

export interface DiscrepancyRecord {
  id: number;
  routeId: string;
  at: string;
  request: StoredRequest;
  legacy: StoredExchange;
  modern: StoredExchange;
  differences: Difference[];
}

/** A response or request that broke the spec, as stored (redacted). */
export interface SpecViolationRecord {
  id: number;
  routeId: string;
  at: string;
  side: Side;
  operationId: string;
  /** The status of the checked response (for a request violation, the served response's). */
  status: number;
  kind: SpecViolationKind;
  errors: SpecError[];
  /** Errors found beyond the kept ones. */
  dropped: number;
  request: StoredRequest;
  /** The response, when its body was captured and it is what broke the spec. */
  response?: StoredExchange;
}

export interface NoiseEntry {
  path: string;
  seen: number;
  status: 'proposed' | 'accepted' | 'rejected';
  firstAt: string;
  lastAt: string;
}

/** Prepared statements over the gateway tables. */
export function createGatewayState(store: Store, limits: { discrepanciesPerRoute: number; specViolationsPerSide?: number }) {
  const specViolationsPerSide = limits.specViolationsPerSide ?? 50;
  const db = store.db;
  const getRoute = db.prepare('SELECT * FROM gateway_routes WHERE id = ?');
  const putRoute = db.prepare(`
    INSERT INTO gateway_routes (id, mode, percent, pending_approval, config_mode, config_percent, stats, versions, spec, updated_at)
    VALUES (@id, @mode, @percent, @pending, @configMode, @configPercent, @stats, @versions, @spec, @at)
    ON CONFLICT(id) DO UPDATE SET mode = excluded.mode, percent = excluded.percent, pending_approval = excluded.pending_approval,
      config_mode = excluded.config_mode, config_percent = excluded.config_percent, stats = excluded.stats,
      versions = excluded.versions, spec = excluded.spec, updated_at = excluded.updated_at`);
  const addAudit = db.prepare(`INSERT INTO gateway_audit (at, route_id, actor, action, from_mode, from_percent, to_mode, to_percent, reason)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const listAudit = db.prepare('SELECT * FROM gateway_audit WHERE (? IS NULL OR route_id = ?) ORDER BY id DESC LIMIT ?');
  const addDiscrepancy = db.prepare('INSERT INTO gateway_discrepancies (route_id, at, request, legacy, modern, differences) VALUES (?, ?, ?, ?, ?, ?)');
  const pruneDiscrepancies = db.prepare(`DELETE FROM gateway_discrepancies WHERE route_id = ? AND id <= (
      SELECT id FROM gateway_discrepancies WHERE route_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`);
  const listDiscrepancies = db.prepare('SELECT * FROM gateway_discrepancies WHERE route_id = ? ORDER BY id DESC LIMIT ?');
  const getDiscrepancy = db.prepare('SELECT * FROM gateway_discrepancies WHERE id = ?');
  const upsertNoise = db.prepare(`INSERT INTO gateway_noise (route_id, path, seen, status, first_at, last_at) VALUES (?, ?, 1, ?, ?, ?)
    ON CONFLICT(route_id, path) DO UPDATE SET seen = seen + 1, last_at = excluded.last_at`);
  const listNoise = db.prepare('SELECT * FROM gateway_noise WHERE route_id = ? ORDER BY path');
  const setNoiseStatus = db.prepare('UPDATE gateway_noise SET status = ? WHERE route_id = ? AND path = ?');
  const addSpecViolation = db.prepare(`INSERT INTO gateway_spec_violations (route_id, side, at, operation_id, status, kind, errors, dropped, request, response)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const pruneSpecViolations = db.prepare(`DELETE FROM gateway_spec_violations WHERE route_id = ? AND side = ? AND id <= (
      SELECT id FROM gateway_spec_violations WHERE route_id = ? AND side = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`);
  const listSpecViolations = db.prepare('SELECT * FROM gateway_spec_violations WHERE route_id = ? AND (? IS NULL OR side = ?) ORDER BY id DESC LIMIT ?');

  type Row = Record<string, unknown>;
  const toAudit = (r: Row): AuditEntry => ({
    id: r.id as number,
    at: r.at as string,
    routeId: r.route_id as string,
    actor: r.actor as string,
    action: r.action as string,
    from: r.from_mode ? { mode: r.from_mode as RouteMode, percent: r.from_percent as number } : null,
    to: r.to_mode ? { mode: r.to_mode as RouteMode, percent: r.to_percent as number } : null,
    reason: r.reason as string,
  });
  const toDiscrepancy = (r: Row): DiscrepancyRecord => ({
    id: r.id as number,
    routeId: r.route_id as string,
    at: r.at as string,
    request: JSON.parse(r.request as string) as StoredRequest,
    legacy: JSON.parse(r.legacy as string) as StoredExchange,
    modern: JSON.parse(r.modern as string) as StoredExchange,
    differences: JSON.parse(r.differences as string) as Difference[],
  });

  return {
    loadRoute(id: string): PersistedRoute | undefined {
      const r = getRoute.get(id) as Row | undefined;
      if (!r) return undefined;
      return {
        id,
        mode: r.mode as RouteMode,
        percent: r.percent as number,
        pendingApproval: r.pending_approval ? (JSON.parse(r.pending_approval as string) as PersistedRoute['pendingApproval']) : null,
        configMode: r.config_mode as RouteMode,
        configPercent: r.config_percent as number,
        stats: JSON.parse(r.stats as string) as unknown,
        versions: JSON.parse(r.versions as string) as PersistedRoute['versions'],
        spec: JSON.parse(r.spec as string) as unknown,
      };
    },
    saveRoute(route: PersistedRoute): void {
      putRoute.run({
        id: route.id,
        mode: route.mode,
        percent: route.percent,
        pending: route.pendingApproval ? JSON.stringify(route.pendingApproval) : null,
        configMode: route.configMode,
        configPercent: route.configPercent,
        stats: JSON.stringify(route.stats),
        versions: JSON.stringify(route.versions),
        spec: JSON.stringify(route.spec),
        at: new Date().toISOString(),
      });
    },
    audit(entry: Omit<AuditEntry, 'id' | 'at'>): void {
      addAudit.run(new Date().toISOString(), entry.routeId, entry.actor, entry.action, entry.from?.mode ?? null, entry.from?.percent ?? null, entry.to?.mode ?? null, entry.to?.percent ?? null, entry.reason);
    },
    auditLog(routeId: string | null, limit: number): AuditEntry[] {
      return (listAudit.all(routeId, routeId, limit) as Row[]).map(toAudit);
    },
    /** Stores a (redacted) discrepancy and prunes the route's oldest beyond the limit. */
    addDiscrepancy(d: Omit<DiscrepancyRecord, 'id' | 'at'>): number {
      const info = db.transaction(() => {
        const res = addDiscrepancy.run(d.routeId, new Date().toISOString(), JSON.stringify(d.request), JSON.stringify(d.legacy), JSON.stringify(d.modern), JSON.stringify(d.differences));
        pruneDiscrepancies.run(d.routeId, d.routeId, limits.discrepanciesPerRoute);
        return res;
      })();
      return Number(info.lastInsertRowid);
    },
    discrepancies(routeId: string, limit: number): DiscrepancyRecord[] {
      return (listDiscrepancies.all(routeId, limit) as Row[]).map(toDiscrepancy);
    },
    discrepancy(id: number): DiscrepancyRecord | undefined {
      const r = getDiscrepancy.get(id) as Row | undefined;
      return r ? toDiscrepancy(r) : undefined;
    },
    /** Stores a (redacted) spec violation and prunes the oldest of its route and side beyond the limit. */
    addSpecViolation(v: Omit<SpecViolationRecord, 'id' | 'at'>): number {
      const info = db.transaction(() => {
        const res = addSpecViolation.run(
          v.routeId,
          v.side,
          new Date().toISOString(),
          v.operationId,
          v.status,
          v.kind,
          JSON.stringify(v.errors),
          v.dropped,
          JSON.stringify(v.request),
          v.response ? JSON.stringify(v.response) : null,
        );
        pruneSpecViolations.run(v.routeId, v.side, v.routeId, v.side, specViolationsPerSide);
        return res;
      })();
      return Number(info.lastInsertRowid);
    },
    /** Newest first; `side` null for both. */
    specViolations(routeId: string, side: Side | null, limit: number): SpecViolationRecord[] {
      return (listSpecViolations.all(routeId, side, side, limit) as Row[]).map((r) => ({
        id: r.id as number,
        routeId: r.route_id as string,
        at: r.at as string,
        side: r.side as Side,
        operationId: r.operation_id as string,
        status: r.status as number,
        kind: r.kind as SpecViolationKind,
        errors: JSON.parse(r.errors as string) as SpecError[],
        dropped: r.dropped as number,
        request: JSON.parse(r.request as string) as StoredRequest,
        ...(r.response ? { response: JSON.parse(r.response as string) as StoredExchange } : {}),
      }));
    },
    recordNoise(routeId: string, path: string, status: 'proposed' | 'accepted'): void {
      const now = new Date().toISOString();
      upsertNoise.run(routeId, path, status, now, now);
    },
    noise(routeId: string): NoiseEntry[] {
      return (listNoise.all(routeId) as Row[]).map((r) => ({
        path: r.path as string,
        seen: r.seen as number,
        status: r.status as NoiseEntry['status'],
        firstAt: r.first_at as string,
        lastAt: r.last_at as string,
      }));
    },
    setNoiseStatus(routeId: string, path: string, status: 'accepted' | 'rejected'): boolean {
      return setNoiseStatus.run(status, routeId, path).changes > 0;
    },
  };
}

export type GatewayState = ReturnType<typeof createGatewayState>;
