/**
 * Parses route `match` strings (`GET /accounts/:id`, `GET,HEAD /x`, `* /reports/*`) into the
 * methods and fastify/find-my-way path they register. Matching itself is fastify's router:
 * each configured route becomes a fastify route, so lookup costs what fastify's does.
 */

export const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof ALL_METHODS)[number];

/** Methods whose repetition has no side effects (RFC 9110 §9.2.2); only these are shadowed by default. */
export const IDEMPOTENT_READS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface ParsedMatch {
  methods: HttpMethod[];
  /** Path in fastify syntax: `:param`, trailing `*`. */
  path: string;
  /** Names of the path parameters, in order. */
  params: string[];
}

/** Parses a match string; returns an error message instead of throwing (config validation lists them all). */
export function parseMatch(match: string): ParsedMatch | { error: string } {
  const m = /^(\*|[A-Z]+(?:,[A-Z]+)*) (\/\S*)$/.exec(match);
  if (!m) return { error: `must be "METHOD /path" like "GET /accounts/:id"` };
  const [, methodPart, path] = m as unknown as [string, string, string];
  let methods: HttpMethod[];
  if (methodPart === '*') methods = [...ALL_METHODS];
  else {
    methods = [];
    for (const raw of methodPart.split(',')) {
      if (!(ALL_METHODS as readonly string[]).includes(raw)) return { error: `unknown HTTP method ${raw}` };
      methods.push(raw as HttpMethod);
    }
  }
  // Accept OpenAPI-style {id} too, since specs written by the analyzers use it.
  const fastifyPath = path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
  const params: string[] = [];
  for (const seg of fastifyPath.split('/')) {
    if (seg.startsWith(':')) {
      const name = seg.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return { error: `bad path parameter '${seg}'` };
      if (params.includes(name)) return { error: `path parameter ':${name}' appears twice` };
      params.push(name);
    } else if (seg.includes('*') && seg !== '*') return { error: `'*' must be a whole last segment (got '${seg}')` };
  }
  if (fastifyPath.includes('*') && !fastifyPath.endsWith('/*')) return { error: `'*' is only allowed as the last segment` };
  return { methods, path: fastifyPath, params };
}

/** Fills `:name` placeholders from route params, then from top-level fields of a JSON object. */
export function fillPath(template: string, params: Record<string, string>, fallback?: unknown): string | undefined {
  let missing = false;
  const out = template.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    const fromParams = params[name];
    if (fromParams !== undefined) return encodeURIComponent(fromParams);
    if (fallback && typeof fallback === 'object' && name in fallback) {
      const v = (fallback as Record<string, unknown>)[name];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return encodeURIComponent(String(v));
    }
    missing = true;
    return '';
  });
  return missing ? undefined : out;
}
