/**
 * What traffic the gateway has seen, for comparing it with the spec: requests that hit no
 * configured route (they go to legacy untouched) grouped by method and a normalized path
 * template (numeric, UUID and long hex segments become `{id}`), and which methods each route
 * served. Memory only and bounded (`maxTemplates`; further new templates are counted as
 * overflow), so a crawler cannot grow it. Hot path cost: one string normalization and a Map update.
 */

export interface UnmatchedTemplate {
  method: string;
  /** e.g. `/loans/{id}/history`. */
  path: string;
  count: number;
  firstAt: string;
  lastAt: string;
}

export interface TrafficTracker {
  /** A request no route matched. */
  unmatched(method: string, url: string): void;
  /** A request a configured route handled. */
  routed(routeId: string, method: string): void;
  unmatchedTemplates(): UnmatchedTemplate[];
  /** Methods each route has served at least once, with counts. */
  routedMethods(): ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** New templates not tracked because the set was full. */
  readonly overflow: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER = /^-?\d+(?:\.\d+)?$/;
const HEX = /^[0-9a-f]{16,}$/i;

/** `/loans/42/history?x=1` → `/loans/{id}/history`. */
export function normalizePath(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const segs = path.split('/').map((s) => {
    let d = s;
    try {
      d = decodeURIComponent(s);
    } catch {
      /* keep the raw segment */
    }
    return NUMBER.test(d) || UUID.test(d) || HEX.test(d) ? '{id}' : s;
  });
  const out = segs.join('/');
  return out.length > 1 && out.endsWith('/') ? out.slice(0, -1) : out || '/';
}

export function createTrafficTracker(opts: { maxTemplates?: number; now?: () => Date } = {}): TrafficTracker {
  const max = opts.maxTemplates ?? 1000;
  const now = opts.now ?? (() => new Date());
  const templates = new Map<string, UnmatchedTemplate>();
  const routes = new Map<string, Map<string, number>>();
  let overflow = 0;
  return {
    unmatched(method, url) {
      const path = normalizePath(url);
      const key = `${method} ${path}`;
      const at = now().toISOString();
      const t = templates.get(key);
      if (t) {
        t.count++;
        t.lastAt = at;
      } else if (templates.size < max) templates.set(key, { method, path, count: 1, firstAt: at, lastAt: at });
      else overflow++;
    },
    routed(routeId, method) {
      let m = routes.get(routeId);
      if (!m) routes.set(routeId, (m = new Map()));
      m.set(method, (m.get(method) ?? 0) + 1);
    },
    unmatchedTemplates() {
      return [...templates.values()].map((t) => ({ ...t })).sort((a, b) => b.count - a.count);
    },
    routedMethods() {
      return routes;
    },
    get overflow() {
      return overflow;
    },
  };
}
