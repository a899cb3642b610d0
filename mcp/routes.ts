/**
 * `route_status`: the gateway's routes, modes and confidence, read from its admin API
 * (`GET /api/routes`, specs/admin-api.openapi.yaml) with the bearer token. Only GET is ever sent:
 * the server cannot approve, roll back or change a mode. Failures (gateway down, wrong token) are
 * translated here, at the one boundary with undici, into a message for the agent.
 */
import { errors as undiciErrors, request } from 'undici';
import type { RouteView } from '../gateway/route-controller.js';

export interface GatewayAdmin {
  readonly admin: string;
  readonly token?: string;
}

/** What an agent needs to judge a route: mode, traffic split, confidence and why it is not further. */
export interface RouteStatus {
  id: string;
  match: string;
  mode: RouteView['mode'];
  modernPercent: number;
  confidence: number;
  confidenceInterval: RouteView['confidenceInterval'];
  matchRate: number | null;
  samples: number;
  matches: number;
  mismatches: number;
  notCompared: number;
  fallbacks: number;
  errors: RouteView['errors'];
  sinceStep: RouteView['sinceStep'];
  pendingApproval: RouteView['pendingApproval'];
  /** Responses (and requests) checked against the spec, per side; absent from gateways older than the spec check. */
  specChecked?: RouteView['specChecked'];
  /** Of those, how many broke the spec (undeclared status, body or parameters not as declared). */
  specViolations?: RouteView['specViolations'];
}

/** A gateway that could not be read; `message` is for the agent. */
export class RouteStatusUnavailable extends Error {}

/** Reads the routes; `timeoutMs` bounds the whole call. */
export async function fetchRouteStatus(gw: GatewayAdmin, options: { route?: string; timeoutMs?: number } = {}): Promise<RouteStatus[]> {
  const timeout = options.timeoutMs ?? 5000;
  let res;
  try {
    res = await request(`${gw.admin}/api/routes`, {
      method: 'GET',
      headers: { accept: 'application/json', ...(gw.token ? { authorization: `Bearer ${gw.token}` } : {}) },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      signal: AbortSignal.timeout(timeout),
    });
  } catch (err) {
    throw translateUndiciError(err, gw.admin);
  }
  const text = await res.body.text();
  if (res.statusCode === 401) throw new RouteStatusUnavailable(`the gateway admin API at ${gw.admin} refused the token (401): set mcp.gateway.token, gateway.adminToken or FICUS_ADMIN_TOKEN`);
  if (res.statusCode !== 200) throw new RouteStatusUnavailable(`GET ${gw.admin}/api/routes answered ${res.statusCode}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { routes: RouteView[] };
  return body.routes
    .filter((r) => options.route === undefined || r.id === options.route)
    .map((r) => ({
      id: r.id,
      match: r.match,
      mode: r.mode,
      modernPercent: r.modernPercent,
      confidence: r.confidence,
      confidenceInterval: r.confidenceInterval,
      matchRate: r.matchRate,
      samples: r.samples,
      matches: r.matches,
      mismatches: r.mismatches,
      notCompared: r.notCompared,
      fallbacks: r.fallbacks,
      errors: r.errors,
      sinceStep: r.sinceStep,
      pendingApproval: r.pendingApproval,
      ...(r.specChecked ? { specChecked: r.specChecked } : {}),
      ...(r.specViolations ? { specViolations: r.specViolations } : {}),
    }));
}

function translateUndiciError(err: unknown, admin: string): RouteStatusUnavailable {
  const code = (err as { code?: string }).code;
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || (err as Error).name === 'TimeoutError') {
    return new RouteStatusUnavailable(`the gateway admin API at ${admin} did not answer in time`);
  }
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? code;
  return new RouteStatusUnavailable(`cannot reach the gateway admin API at ${admin} (${cause ?? (err instanceof Error ? err.message : String(err))}); is ficus gateway running?`);
}
