/**
 * Turns the validated `gateway:` config section into the frozen options the gateway runs on:
 * route defaults merged (gateway-wide `compare`/`promotion` under each route's own), match
 * strings parsed, and the semantic checks a schema cannot express (duplicate ids or matches,
 * a non-loopback admin listener without a token) reported with file and line.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { LoadedConfig } from '../core/config.js';
import type { ConfigIssue } from '../core/errors.js';
import { compileRules, type CompareRules } from './compare.js';
import type { RouteMode } from './modes.js';
import { defaultPromotionPolicy, type PromotionPolicy } from './promotion.js';
import { parseMatch, type HttpMethod } from './router.js';
import { compileSpecValidators, type SpecValidators } from './spec-validator.js';
import { loadSpecs, SpecsFileProblem, type SpecCatalog } from './specs.js';

/** The `gateway:` section as the schema guarantees it (defaults applied). */
export interface GatewayConfig {
  listen: string;
  admin: string;
  adminToken?: string;
  store?: string;
  upstreams: { legacy: string; modern: string };
  shadow: { timeoutMs: number; concurrency: number; queueSize: number; maxBodyBytes: number; worker: boolean };
  timeoutMs: number;
  versionHeader?: string;
  versionDecay: number;
  discrepancies: { max: number };
  redact: string[];
  compare?: CompareRules;
  promotion?: Partial<PromotionPolicy>;
  routes: RouteConfig[];
  /** The analyzer's output directory (rules.json + openapi.yaml), for the dashboard and the spec check. */
  specs?: string;
  /** Live traffic against `specs`' schemas; `enabled` defaults to whether `specs` is set. */
  specCheck?: { enabled?: boolean; sample: number; max: number };
}

export interface RouteConfig {
  id: string;
  match: string;
  mode: RouteMode;
  percent?: number;
  sticky?: { header?: string; cookie?: string; query?: string };
  sample?: number;
  legacySample?: number;
  noiseSample?: number;
  autoIgnoreNoise?: boolean;
  compare?: CompareRules;
  promotion?: Partial<PromotionPolicy>;
  shadowWrites?: 'off' | 'dry-run';
  shadowHeader?: string;
  verify?: { readBack: string };
  fallback?: boolean;
  timeoutMs?: number;
}

export interface HostPort {
  host: string;
  port: number;
}

export interface RouteOptions {
  readonly id: string;
  readonly match: string;
  readonly methods: readonly HttpMethod[];
  readonly path: string;
  readonly mode: RouteMode;
  readonly percent: number;
  readonly sticky?: { readonly kind: 'header' | 'cookie' | 'query'; readonly name: string };
  readonly sample: number;
  readonly legacySample: number;
  readonly noiseSample: number;
  readonly autoIgnoreNoise: boolean;
  readonly compare: CompareRules;
  readonly promotion: PromotionPolicy;
  readonly shadowWrites: 'off' | 'dry-run';
  readonly shadowHeader: string;
  readonly verify?: { readonly readBack: string };
  readonly fallback: boolean;
  readonly timeoutMs: number;
}

export interface GatewayOptions {
  readonly listen: HostPort;
  readonly admin: HostPort;
  readonly adminToken?: string;
  readonly storePath: string;
  readonly upstreams: { readonly legacy: string; readonly modern: string };
  /** Off-path calls; with `worker`, they and the comparison run on a worker thread (`shadow-offload.ts`). */
  readonly shadow: { readonly timeoutMs: number; readonly concurrency: number; readonly queueSize: number; readonly maxBodyBytes: number; readonly worker: boolean };
  readonly timeoutMs: number;
  readonly versionHeader?: string;
  readonly versionDecay: number;
  readonly discrepancies: { readonly max: number };
  readonly redact: readonly string[];
  readonly routes: readonly RouteOptions[];
  /** The analyzer's spec and rules, read at start from `gateway.specs`. */
  readonly specs?: SpecCatalog;
  /** Checking live traffic against the spec, when enabled: the compiled operations and how much to check and keep. */
  readonly specCheck?: { readonly validators: SpecValidators; readonly sample: number; readonly max: number };
}

export function parseHostPort(value: string): HostPort {
  const i = value.lastIndexOf(':');
  let host = value.slice(0, i) || '0.0.0.0';
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(value.slice(i + 1)) };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Builds gateway options, listing every semantic problem with its line. */
export function gatewayOptions(
  loaded: Pick<LoadedConfig<unknown>, 'issue'>,
  gw: GatewayConfig,
  defaults: { storePath: string; env: Readonly<Record<string, string | undefined>>; cwd?: string },
): { options: GatewayOptions; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const adminToken = gw.adminToken ?? (defaults.env.FICUS_ADMIN_TOKEN || undefined);
  const admin = parseHostPort(gw.admin);
  const listen = parseHostPort(gw.listen);
  if (!adminToken && !isLoopback(admin.host)) {
    issues.push(loaded.issue(['gateway', 'admin'], `is not a loopback address and no admin token is set (gateway.adminToken or FICUS_ADMIN_TOKEN) (got ${JSON.stringify(gw.admin)})`));
  }
  if (adminToken !== undefined && adminToken.length < 16) {
    issues.push(loaded.issue(['gateway', 'adminToken'], 'must be at least 16 characters'));
  }
  for (const [name, hp] of [['listen', listen], ['admin', admin]] as const) {
    if (!(hp.port >= 0 && hp.port <= 65535)) issues.push(loaded.issue(['gateway', name], `port must be 0..65535 (got ${hp.port})`));
  }

  const ids = new Map<string, number>();
  const matches = new Map<string, number>();
  const routes: RouteOptions[] = [];
  gw.routes.forEach((r, i) => {
    const at = (...rest: (string | number)[]) => ['gateway', 'routes', i, ...rest];
    if (ids.has(r.id)) issues.push(loaded.issue(at('id'), `duplicate route id (also routes[${ids.get(r.id)}]) (got ${JSON.stringify(r.id)})`));
    ids.set(r.id, i);
    const parsed = parseMatch(r.match);
    if ('error' in parsed) {
      issues.push(loaded.issue(at('match'), `${parsed.error} (got ${JSON.stringify(r.match)})`));
      return;
    }
    for (const m of parsed.methods) {
      const key = `${m} ${parsed.path.replace(/:[^/]+/g, ':')}`;
      const prev = matches.get(key);
      if (prev !== undefined) issues.push(loaded.issue(at('match'), `${m} ${parsed.path} is already matched by routes[${prev}] (got ${JSON.stringify(r.match)})`));
      matches.set(key, i);
    }
    const promotion: PromotionPolicy = { ...defaultPromotionPolicy, ...gw.promotion, ...r.promotion };
    const steps = promotion.steps;
    if (steps.some((s, k) => k > 0 && s <= steps[k - 1]!)) issues.push(loaded.issue(at('promotion', 'steps'), `must increase (got ${JSON.stringify(steps)})`));
    // Shadow → modern skips the canary stage, which the transition table refuses.
    else if (!(steps[0]! >= 1 && steps[0]! <= 99)) issues.push(loaded.issue(at('promotion', 'steps'), `must start with a canary percent from 1 to 99 (got ${JSON.stringify(steps)})`));
    const percent = r.mode === 'modern' ? 100 : r.mode === 'canary' ? (r.percent ?? steps[0] ?? 1) : 0;
    if (r.mode === 'canary' && !(percent >= 1 && percent <= 99)) {
      issues.push(loaded.issue(at('percent'), `canary needs a percent from 1 to 99 (got ${percent})`));
    }
    if (r.percent !== undefined && r.mode !== 'canary' && r.percent !== percent) {
      issues.push(loaded.issue(at('percent'), `only canary mode takes a percent; ${r.mode} is always ${percent} (got ${r.percent})`));
    }
    const compare = mergeCompare(gw.compare, r.compare);
    try {
      compileRules(compare);
    } catch (err) {
      issues.push(loaded.issue(at('compare'), `bad rule: ${err instanceof Error ? err.message : String(err)}`));
    }
    const stickyEntry = r.sticky ? (Object.entries(r.sticky)[0] as ['header' | 'cookie' | 'query', string]) : undefined;
    routes.push(
      Object.freeze({
        id: r.id,
        match: r.match,
        methods: Object.freeze(parsed.methods),
        path: parsed.path,
        mode: r.mode,
        percent,
        ...(stickyEntry ? { sticky: Object.freeze({ kind: stickyEntry[0], name: stickyEntry[0] === 'header' ? stickyEntry[1].toLowerCase() : stickyEntry[1] }) } : {}),
        sample: r.sample ?? 1,
        legacySample: r.legacySample ?? 0.1,
        noiseSample: r.noiseSample ?? 0.05,
        autoIgnoreNoise: r.autoIgnoreNoise ?? false,
        compare: Object.freeze(compare),
        promotion: Object.freeze(promotion),
        shadowWrites: r.shadowWrites ?? 'off',
        shadowHeader: (r.shadowHeader ?? 'x-ficus-shadow').toLowerCase(),
        ...(r.verify ? { verify: Object.freeze({ readBack: r.verify.readBack }) } : {}),
        fallback: r.fallback ?? true,
        timeoutMs: r.timeoutMs ?? gw.timeoutMs,
      }),
    );
  });

  let specs: SpecCatalog | undefined;
  if (gw.specs !== undefined) {
    // Read once at start: a bad file is a config error naming the file, not a surprise later.
    try {
      specs = loadSpecs(resolve(defaults.cwd ?? '.', gw.specs));
    } catch (err) {
      if (!(err instanceof SpecsFileProblem)) throw err;
      issues.push({ ...loaded.issue(['gateway', 'specs'], `${err.file}: ${err.message}`) });
    }
  }
  let specCheck: GatewayOptions['specCheck'];
  const check = gw.specCheck;
  if (check?.enabled === true && gw.specs === undefined) {
    issues.push(loaded.issue(['gateway', 'specCheck', 'enabled'], 'needs gateway.specs (the directory with openapi.yaml to check traffic against) (got true)'));
  } else if (specs && (check?.enabled ?? true)) {
    // Compiled once, here: a schema ajv cannot compile is a config error naming the operation.
    try {
      specCheck = Object.freeze({ validators: compileSpecValidators(specs), sample: check?.sample ?? 1, max: check?.max ?? 50 });
    } catch (err) {
      if (!(err instanceof SpecsFileProblem)) throw err;
      issues.push(loaded.issue(['gateway', 'specs'], `${err.file}: ${err.message}`));
    }
  }

  const options: GatewayOptions = Object.freeze({
    listen,
    admin,
    ...(adminToken ? { adminToken } : {}),
    storePath: gw.store ?? defaults.storePath,
    upstreams: Object.freeze({ legacy: stripSlash(gw.upstreams.legacy), modern: stripSlash(gw.upstreams.modern) }),
    shadow: Object.freeze({ ...gw.shadow }),
    timeoutMs: gw.timeoutMs,
    ...(gw.versionHeader ? { versionHeader: gw.versionHeader.toLowerCase() } : {}),
    versionDecay: gw.versionDecay,
    discrepancies: Object.freeze({ ...gw.discrepancies }),
    redact: Object.freeze([...gw.redact]),
    routes: Object.freeze(routes),
    ...(specs ? { specs } : {}),
    ...(specCheck ? { specCheck } : {}),
  });
  return { options, issues };
}

function stripSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

/** Route rules extend the gateway-wide ones: lists concatenate, scalars and maps override. */
function mergeCompare(base: CompareRules | undefined, own: CompareRules | undefined): CompareRules {
  const b = base ?? {};
  const o = own ?? {};
  const list = (k: 'ignore' | 'unordered' | 'dates') => [...(b[k] ?? []), ...(o[k] ?? [])];
  return {
    ...b,
    ...o,
    ignore: list('ignore'),
    unordered: list('unordered'),
    dates: list('dates'),
    tolerance: { ...(b.tolerance ?? {}), ...(o.tolerance ?? {}) },
    ...(o.headers ?? b.headers ? { headers: o.headers ?? b.headers } : {}),
  };
}
