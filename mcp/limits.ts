/**
 * Bounds on what one MCP tool call returns, so an agent's context is never flooded: counts per
 * tool, the longest string kept inside a result, and the largest text answer. Every cut is said
 * in the result (`truncated: true`, a `…[N more characters]` marker), never silent.
 */

/** Most events one `read_events` call returns. */
export const MAX_EVENTS = 200;
/** Most rules one `search_rules` call returns. */
export const MAX_RULES = 50;
/** Longest string kept inside an event or rule. */
export const MAX_STRING_CHARS = 2000;
/** Largest text a tool or resource returns (a spec, a JSON answer). */
export const MAX_TEXT_CHARS = 200_000;

/** Cuts `s` to `max` characters with a marker saying how much was left out. */
export function clipText(s: string, max = MAX_TEXT_CHARS): { text: string; truncated: boolean } {
  if (s.length <= max) return { text: s, truncated: false };
  return { text: `${s.slice(0, max)}…[${s.length - max} more characters]`, truncated: true };
}

/** A deep copy of `value` with every string longer than `max` clipped; `truncated` says if any was. */
export function clipStrings<T>(value: T, max = MAX_STRING_CHARS): { value: T; truncated: boolean } {
  let truncated = false;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const c = clipText(v, max);
      if (c.truncated) truncated = true;
      return c.text;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { value: walk(value) as T, truncated };
}
