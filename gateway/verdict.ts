/**
 * What one finished exchange amounts to, decided where its bodies are: on the main thread, or in
 * the shadow worker (`shadow-worker.ts`) when `gateway.shadow.worker` is on. A/A noise first (so
 * noise accepted now applies to this very comparison), then the versions each side reported and
 * the structural comparison. Pure: no store, no clock, no route state beyond what the caller
 * passes in; the recorder (`recorder.ts`) applies a verdict to the route and the store on the
 * main thread. One function for both threads is what keeps their behaviour the same.
 */
import type { CapturedResponse, Comparator, CompareRules, Difference } from './compare.js';
import { generalizePath } from './compare.js';
import type { NotComparedReason, Side } from './confidence.js';
import type { ShadowResult } from './shadow.js';

/** A side's answer as captured, or why it was not; `status` when a response came but its body was not kept (streamed, too large). */
export type ExchangeOutcome = { ok: true; response: CapturedResponse; ms: number } | { ok: false; reason: NotComparedReason; detail: string; status?: number };

/** The answers to one client request, as the gateway holds them once every call has settled. */
export interface ExchangeToJudge {
  /** Which side `primary` came from. */
  served: Side;
  primary: ExchangeOutcome;
  other: ShadowResult;
  /** A second legacy answer to the same request (A/A), when sampled. */
  noise?: ShadowResult | undefined;
}

/** What judging needs to know about the route, as of now. */
export interface JudgeContext {
  compare: Comparator;
  /** The route's rules, accepted noise included. */
  rules: CompareRules;
  autoIgnoreNoise: boolean;
  /** Noise paths the store already holds, whatever their status: only new ones can be accepted automatically. */
  knownNoise: ReadonlySet<string>;
  /** Lower-case response header carrying each side's version (`gateway.versionHeader`). */
  versionHeader?: string | undefined;
}

export type Verdict =
  | {
      kind: 'not_compared';
      reason: NotComparedReason;
      /** The side whose failure (error, timeout) also counts as its upstream error. */
      errorSide?: Side;
    }
  | {
      kind: 'compared';
      match: boolean;
      differences: Difference[];
      /** Modern's latency minus legacy's for this request, ms. */
      deltaMs: number;
      modernStatus: number;
      /** Where the A/A sample differed from legacy's answer, in recording order (duplicates kept: each is a sighting). */
      noisePaths?: string[];
      /** What `versionHeader` said on each side, when configured. */
      versions?: { legacy: string | undefined; modern: string | undefined };
      /** Both responses, on a mismatch only: the discrepancy to store. */
      mismatch?: { legacy: CapturedResponse; modern: CapturedResponse };
    };

/** Judges one exchange (see the module header). Never throws for bad bodies: the comparator reports them. */
export function judgeExchange(x: ExchangeToJudge, ctx: JudgeContext): Verdict {
  if (!x.primary.ok) return { kind: 'not_compared', reason: x.primary.reason };
  const otherSide: Side = x.served === 'legacy' ? 'modern' : 'legacy';
  if (!x.other.ok) {
    const failed = x.other.reason === 'error' || x.other.reason === 'timeout';
    return { kind: 'not_compared', reason: x.other.reason, ...(failed ? { errorSide: otherSide } : {}) };
  }
  const legacy = x.served === 'legacy' ? x.primary : x.other;
  const modern = x.served === 'legacy' ? x.other : x.primary;

  let rules = ctx.rules;
  let noisePaths: string[] | undefined;
  if (x.noise?.ok) {
    // Paths that differ between two legacy answers to one request are noise, not regressions.
    const aa = ctx.compare(legacy.response, x.noise.response, rules);
    if (!aa.match) {
      noisePaths = [];
      const fresh: string[] = [];
      for (const d of aa.differences) {
        if (d.kind === 'status') continue; // a flapping status is an outage, not noise
        const path = d.kind === 'header' ? d.path : generalizePath(d.path);
        noisePaths.push(path);
        if (ctx.autoIgnoreNoise && !ctx.knownNoise.has(path) && !fresh.includes(path)) fresh.push(path);
      }
      // The recorder stores these as accepted and the route's rules gain them; this comparison already uses them.
      if (fresh.length) rules = { ...rules, ignore: [...(rules.ignore ?? []), ...fresh] };
    }
  }

  const vh = ctx.versionHeader;
  const result = ctx.compare(legacy.response, modern.response, rules);
  return {
    kind: 'compared',
    match: result.match,
    differences: result.differences,
    deltaMs: modern.ms - legacy.ms,
    modernStatus: modern.response.status,
    ...(noisePaths ? { noisePaths } : {}),
    ...(vh ? { versions: { legacy: headerValue(legacy.response.headers[vh]), modern: headerValue(modern.response.headers[vh]) } } : {}),
    ...(result.match ? {} : { mismatch: { legacy: legacy.response, modern: modern.response } }),
  };
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
