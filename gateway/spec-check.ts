/**
 * Live traffic against the spec (`gateway.specs` + `gateway.specCheck`): after the client has
 * its answer, each side's response to a routed request is checked against the operation the
 * request calls (spec-validator.ts), and the request itself once, on the side that served it.
 * It uses only what the gateway already holds: bodies captured for comparison, or, when nothing
 * was captured (legacy mode, unsampled or canary-to-modern requests), the status alone. The
 * route's counters and Prometheus count every check; each violation is stored redacted
 * (bounded per route and side) and announced on `ficus:gateway:spec-violation`. Nothing here
 * runs on the client's path except `sampled()`, and nothing here throws.
 */
import { channel } from 'node:diagnostics_channel';
import type { Logger } from '../core/logger.js';
import type { Side } from './confidence.js';
import type { Redactor } from './redact.js';
import type { RouteController } from './route-controller.js';
import type { CheckedRequest, CheckedResponse, SpecError, SpecFinding, SpecValidators, SpecViolationKind } from './spec-validator.js';
import type { GatewayState, StoredExchange, StoredRequest } from './state.js';

/** Published for every violation, when someone listens. */
export const specViolationChannel = channel('ficus:gateway:spec-violation');

/** What `ficus:gateway:spec-violation` carries (no request or body: errors name places, never values). */
export interface SpecViolationEvent {
  route: string;
  side: Side;
  operationId: string;
  status: number;
  kind: SpecViolationKind;
  errors: SpecError[];
}

/** One routed request and what each side answered (`responses` holds only the sides that can be checked). */
export interface SpecExchange {
  controller: RouteController;
  request: CheckedRequest;
  /** The side whose answer the client got: the request is checked with it. */
  served: Side;
  responses: Partial<Record<Side, CheckedResponse>>;
}

export interface SpecChecker {
  /** Whether a route can be checked at all (some spec operation serves it). Cached per route. */
  covers(controller: RouteController): boolean;
  /** Hot path: whether this request is in the sample (`specCheck.sample`; one random draw at most). */
  sampled(): boolean;
  /** Off path: checks and records. Never throws. */
  check(exchange: SpecExchange): void;
}

export interface SpecCheckerDeps {
  validators: SpecValidators;
  state: GatewayState;
  redactor: Redactor;
  logger: Logger;
  /** Share of requests checked, 0..1. */
  sample: number;
  /** Random source in [0, 1) for sampling. */
  random?: () => number;
}

export function createSpecChecker(deps: SpecCheckerDeps): SpecChecker {
  const { validators, state, redactor, logger, sample } = deps;
  const random = deps.random ?? Math.random;
  const coverage = new Map<string, boolean>();

  const storedRequest = (r: CheckedRequest): StoredRequest => {
    const body = redactor.body(r.body, r.headers['content-type']);
    return { method: r.method, url: r.url, headers: redactor.headers(r.headers), ...(body ?? {}) };
  };
  const storedResponse = (r: CheckedResponse): StoredExchange | undefined => {
    if (r.body === undefined) return undefined;
    const headers = r.headers ?? {};
    const body = redactor.body(r.body, headers['content-type']);
    return { status: r.status, headers: redactor.headers(headers), ...(body ?? { body: '' }) } as StoredExchange;
  };

  function record(x: SpecExchange, side: Side, response: CheckedResponse, operationId: string, findings: SpecFinding[]): void {
    const ctl = x.controller;
    ctl.recordSpecCheck(side, findings.map((f) => f.kind));
    if (findings.length === 0) return;
    const request = storedRequest(x.request);
    for (const f of findings) {
      const stored = f.kind === 'request' ? undefined : storedResponse(response);
      state.addSpecViolation({
        routeId: ctl.options.id,
        side,
        operationId,
        status: response.status,
        kind: f.kind,
        errors: f.errors,
        dropped: f.dropped,
        request,
        ...(stored ? { response: stored } : {}),
      });
      if (specViolationChannel.hasSubscribers) {
        specViolationChannel.publish({ route: ctl.options.id, side, operationId, status: response.status, kind: f.kind, errors: f.errors } satisfies SpecViolationEvent);
      }
    }
  }

  return {
    covers(controller) {
      let c = coverage.get(controller.options.id);
      if (c === undefined) coverage.set(controller.options.id, (c = validators.covers(controller.options.methods, controller.options.path)));
      return c;
    },
    sampled() {
      if (sample >= 1) return true;
      if (sample <= 0) return false;
      return random() < sample;
    },
    check(x) {
      try {
        const m = validators.match(x.request.method, x.request.url);
        if (!m) return; // undocumented traffic: GET /api/traffic lists it
        const operationId = m.check.operation.operationId;
        for (const side of ['legacy', 'modern'] as const) {
          const response = x.responses[side];
          if (!response) continue;
          const findings: SpecFinding[] = [];
          const r = m.check.checkResponse(x.request.method, response);
          if (r) findings.push(r);
          if (side === x.served) {
            const q = m.check.checkRequest(x.request, m.pathParams);
            if (q) findings.push(q);
          }
          record(x, side, response, operationId, findings);
        }
      } catch (err) {
        // A check must never take the gateway down; say what failed and go on.
        logger.warn({ err, route: x.controller.options.id, url: x.request.url }, 'spec check failed');
      }
    },
  };
}
