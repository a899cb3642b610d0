/**
 * What happens to a finished pair of responses, off the client's path: A/A noise learning
 * first (so accepted noise applies to this very comparison), then the structural comparison,
 * version tracking, statistics, and, for a mismatch, a redacted discrepancy in the store.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CapturedResponse, Comparator } from './compare.js';
import { generalizePath } from './compare.js';
import type { NotComparedReason } from './confidence.js';
import type { Redactor } from './redact.js';
import type { RouteController } from './route-controller.js';
import type { ShadowResult } from './shadow.js';
import type { GatewayState, StoredExchange } from './state.js';

/** A side's answer as captured, or why it was not; `status` when a response came but its body was not kept (streamed, too large). */
export type ExchangeOutcome = { ok: true; response: CapturedResponse; ms: number } | { ok: false; reason: NotComparedReason; detail: string; status?: number };

export interface Comparison {
  controller: RouteController;
  request: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer | undefined };
  /** Which side `primary` came from. */
  served: 'legacy' | 'modern';
  primary: ExchangeOutcome;
  other: ShadowResult;
  /** A second legacy answer to the same request (A/A), when sampled. */
  noise?: ShadowResult;
}

export interface RecorderDeps {
  compare: Comparator;
  state: GatewayState;
  redactor: Redactor;
  versionHeader?: string;
}

export function createRecorder(deps: RecorderDeps): (c: Comparison) => void {
  const { compare, state, redactor, versionHeader } = deps;

  const exchange = (r: CapturedResponse): StoredExchange => {
    const body = redactor.body(r.body, r.headers['content-type']);
    return { status: r.status, headers: redactor.headers(r.headers), ...(body ? body : { body: '' }) } as StoredExchange;
  };

  return function record(c: Comparison): void {
    const ctl = c.controller;
    if (!c.primary.ok) return ctl.recordNotCompared(c.primary.reason);
    if (!c.other.ok) {
      if (c.other.reason === 'error' || c.other.reason === 'timeout') ctl.recordError(c.served === 'legacy' ? 'modern' : 'legacy');
      return ctl.recordNotCompared(c.other.reason);
    }
    const legacy = c.served === 'legacy' ? c.primary : c.other;
    const modern = c.served === 'legacy' ? c.other : c.primary;

    if (c.noise?.ok) learnNoise(ctl, legacy.response, c.noise.response);

    if (versionHeader) {
      ctl.observeVersion('legacy', headerValue(legacy.response.headers[versionHeader]));
      ctl.observeVersion('modern', headerValue(modern.response.headers[versionHeader]));
    }
    if (modern.response.status >= 500) ctl.recordError('modern');

    const result = compare(legacy.response, modern.response, ctl.rules);
    ctl.recordComparison(result.match, modern.ms - legacy.ms, result.differences);
    if (!result.match) {
      const reqBody = redactor.body(c.request.body, c.request.headers['content-type']);
      state.addDiscrepancy({
        routeId: ctl.options.id,
        request: { method: c.request.method, url: c.request.url, headers: redactor.headers(c.request.headers), ...(reqBody ? reqBody : {}) },
        legacy: exchange(legacy.response),
        modern: exchange(modern.response),
        differences: result.differences,
      });
    }
  };

  /** Paths that differ between two legacy answers to one request are noise, not regressions. */
  function learnNoise(ctl: RouteController, first: CapturedResponse, second: CapturedResponse): void {
    const aa = compare(first, second, ctl.rules);
    if (aa.match) return;
    const known = new Map(state.noise(ctl.options.id).map((n) => [n.path, n.status]));
    let accepted = false;
    for (const d of aa.differences) {
      if (d.kind === 'status') continue; // a flapping status is an outage, not noise
      const path = d.kind === 'header' ? d.path : generalizePath(d.path);
      const status = ctl.options.autoIgnoreNoise ? 'accepted' : 'proposed';
      if (!known.has(path) && status === 'accepted') accepted = true;
      state.recordNoise(ctl.options.id, path, status);
      known.set(path, status);
    }
    if (accepted) ctl.refreshRules();
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
