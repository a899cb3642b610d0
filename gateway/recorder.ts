/**
 * What happens to a judged exchange, on the main thread and off the client's path: learned A/A
 * noise into the store, version tracking, statistics, and, for a mismatch, a redacted discrepancy
 * in the store. Judging itself (`verdict.ts`) runs here for `record`, or in the shadow worker,
 * whose verdicts arrive through `apply`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CapturedResponse, Comparator } from './compare.js';
import type { Redactor } from './redact.js';
import type { RouteController } from './route-controller.js';
import type { ShadowResult } from './shadow.js';
import type { GatewayState, StoredExchange } from './state.js';
import { judgeExchange, type ExchangeOutcome, type JudgeContext, type Verdict } from './verdict.js';

export type { ExchangeOutcome } from './verdict.js';

/** The client's request as the recorder keeps it (for a discrepancy). */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer | undefined;
}

export interface Comparison {
  controller: RouteController;
  request: RecordedRequest;
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

export interface Recorder {
  /** Judges a finished exchange on this thread, then applies the verdict. */
  record(c: Comparison): void;
  /** Applies a verdict reached elsewhere (the shadow worker) for `controller`'s route. */
  apply(controller: RouteController, request: RecordedRequest, verdict: Verdict): void;
}

/** What judging needs from a route as of now (also what the shadow worker is sent). */
export function judgeContext(ctl: RouteController, compare: Comparator, versionHeader: string | undefined): JudgeContext {
  return { compare, rules: ctl.rules, autoIgnoreNoise: ctl.options.autoIgnoreNoise, knownNoise: ctl.knownNoise, versionHeader };
}

export function createRecorder(deps: RecorderDeps): Recorder {
  const { compare, state, redactor, versionHeader } = deps;

  const exchange = (r: CapturedResponse): StoredExchange => {
    const body = redactor.body(r.body, r.headers['content-type']);
    return { status: r.status, headers: redactor.headers(r.headers), ...(body ? body : { body: '' }) } as StoredExchange;
  };

  function apply(ctl: RouteController, request: RecordedRequest, v: Verdict): void {
    if (v.kind === 'not_compared') {
      if (v.errorSide) ctl.recordError(v.errorSide);
      return ctl.recordNotCompared(v.reason);
    }
    if (v.noisePaths) learnNoise(ctl, v.noisePaths);
    if (v.versions) {
      ctl.observeVersion('legacy', v.versions.legacy);
      ctl.observeVersion('modern', v.versions.modern);
    }
    if (v.modernStatus >= 500) ctl.recordError('modern');
    ctl.recordComparison(v.match, v.deltaMs, v.differences);
    if (v.mismatch) {
      const reqBody = redactor.body(request.body, request.headers['content-type']);
      state.addDiscrepancy({
        routeId: ctl.options.id,
        request: { method: request.method, url: request.url, headers: redactor.headers(request.headers), ...(reqBody ? reqBody : {}) },
        legacy: exchange(v.mismatch.legacy),
        modern: exchange(v.mismatch.modern),
        differences: v.differences,
      });
    }
  }

  /** Records each sighting; a path new to the store is accepted or proposed, and the route's rules are rebuilt. */
  function learnNoise(ctl: RouteController, paths: readonly string[]): void {
    const status = ctl.options.autoIgnoreNoise ? 'accepted' : 'proposed';
    let added = false;
    for (const path of paths) {
      if (!ctl.knownNoise.has(path)) added = true;
      state.recordNoise(ctl.options.id, path, status);
    }
    // Also for proposed paths: the route's known set (which the shadow worker mirrors) must include them.
    if (added) ctl.refreshRules();
  }

  return {
    record(c) {
      apply(c.controller, c.request, judgeExchange(c, judgeContext(c.controller, compare, versionHeader)));
    },
    apply,
  };
}
