/**
 * Keeps secrets out of the store: before a request/response pair is saved as a discrepancy,
 * credentials headers (Authorization, Cookie, Set-Cookie, Proxy-Authorization, and any
 * configured header) are replaced, and configured JSON body paths (`$.card.number`) are
 * masked. Bodies are kept as exact text (JSON re-serialised losslessly, big integers intact).
 */
import { isLosslessNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { matchPath } from './compare.js';

export const REDACTED = '[redacted]';

/** Headers never stored, whatever the config says. */
export const ALWAYS_REDACTED_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

export interface Redactor {
  headers(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]>;
  /** Returns the body as stored: text (JSON with paths masked) or base64 for binary. */
  body(body: Buffer | undefined, contentType: string | string[] | undefined): { body: string; bodyEncoding: 'utf8' | 'base64' } | undefined;
}

const TEXTUAL = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript|[\w.+-]+\+(json|xml)))/i;
const JSONISH = /^application\/(json|[\w.+-]+\+json)/i;

export function createRedactor(bodyPaths: readonly string[], extraHeaders: readonly string[] = []): Redactor {
  const headerSet = new Set([...ALWAYS_REDACTED_HEADERS, ...extraHeaders.map((h) => h.toLowerCase())]);

  const maskJson = (value: unknown, path: string): unknown => {
    if (bodyPaths.some((p) => matchPath(p, path))) return REDACTED;
    if (Array.isArray(value)) return value.map((v, i) => maskJson(v, `${path}[${i}]`));
    if (value && typeof value === 'object' && !isLosslessNumber(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = maskJson(v, /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}['${k.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`);
      return out;
    }
    return value;
  };

  return {
    headers(headers) {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(headers)) {
        if (v === undefined) continue;
        out[k] = headerSet.has(k.toLowerCase()) ? REDACTED : v;
      }
      return out;
    },
    body(body, contentType) {
      if (!body || body.length === 0) return undefined;
      const ct = (Array.isArray(contentType) ? contentType[0] : contentType) ?? '';
      if (JSONISH.test(ct) || (!ct && looksLikeJson(body))) {
        const text = body.toString('utf8');
        if (bodyPaths.length === 0) return { body: text, bodyEncoding: 'utf8' };
        try {
          return { body: String(stringifyLossless(maskJson(parseLossless(text), '$'))), bodyEncoding: 'utf8' };
        } catch {
          // Not valid JSON after all: the paths cannot be applied, so store nothing rather than a secret.
          return { body: REDACTED, bodyEncoding: 'utf8' };
        }
      }
      if (TEXTUAL.test(ct)) return { body: body.toString('utf8'), bodyEncoding: 'utf8' };
      return { body: body.toString('base64'), bodyEncoding: 'base64' };
    },
  };
}

function looksLikeJson(body: Buffer): boolean {
  const first = body.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  return first === 0x7b || first === 0x5b;
}
