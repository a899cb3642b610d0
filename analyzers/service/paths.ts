/**
 * Route path templates: every framework's parameter syntax normalized to OpenAPI's `{name}`,
 * with the parameter type the syntax states (`<int:id>` → integer), and prefixes joined. One
 * place, so `:id`, `<int:id>`, `{id:int}`, `{id: [0-9]+}` and `(?P<id>\d+)` all read the same
 * in the output (issue #6: "path parameter syntaxes are normalised to OpenAPI templates").
 */
import type { OpenAPIV3_1 } from 'openapi-types';

export type PathSyntax =
  /** Express, Koa, Fastify: `:id`, `:id?`, `:id(\\d+)`, `*`. */
  | 'colon'
  /** Flask, Django `path()`: `<id>`, `<int:id>`, `<path:rest>`. */
  | 'angle'
  /** Spring, JAX-RS, ASP.NET, Laravel, FastAPI: `{id}`, `{id:regex}`, `{id:int}`, `{id?}`, `{*slug}`, `{p:path}`. */
  | 'brace'
  /** Django `re_path`, Rails-like regex routes: `^users/(?P<id>[0-9]+)/$`. */
  | 'regex';

export interface PathParam {
  name: string;
  schema: OpenAPIV3_1.SchemaObject;
  /** Optional in the framework (`:id?`, `{id?}`); OpenAPI path parameters are always required. */
  optional?: boolean;
}

export interface NormalizedPath {
  /** OpenAPI template, starting with `/` unless empty (a prefix-relative empty path). */
  path: string;
  params: PathParam[];
}

const TYPE_OF: Record<string, OpenAPIV3_1.SchemaObject> = {
  int: { type: 'integer' },
  integer: { type: 'integer' },
  long: { type: 'integer', format: 'int64' },
  float: { type: 'number' },
  double: { type: 'number' },
  decimal: { type: 'number' },
  number: { type: 'number' },
  bool: { type: 'boolean' },
  boolean: { type: 'boolean' },
  uuid: { type: 'string', format: 'uuid' },
  guid: { type: 'string', format: 'uuid' },
  datetime: { type: 'string', format: 'date-time' },
  slug: { type: 'string' },
  str: { type: 'string' },
  string: { type: 'string' },
  path: { type: 'string' },
  alpha: { type: 'string' },
};

/** The schema a regex implies when it is plainly numeric, else a string (with the pattern). */
function schemaOfRegex(regex: string): OpenAPIV3_1.SchemaObject {
  const r = regex.trim();
  if (/^(\\d|\[0-9\])(\+|\*|\{\d+(,\d*)?\})$/.test(r)) return { type: 'integer' };
  return r ? { type: 'string', pattern: `^${r.replace(/^\^/, '').replace(/\$$/, '')}$` } : { type: 'string' };
}

/** Finds the end of a balanced group starting at `open` (an index of `open` char). */
function balancedEnd(s: string, start: number, open: string, close: string): number {
  let depth = 0;
  for (let i = start; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === open) depth++;
    else if (c === close && --depth === 0) return i;
  }
  return -1;
}

/** Normalizes one framework path (no prefix joining) to an OpenAPI template. */
export function normalizePath(raw: string, syntax: PathSyntax): NormalizedPath {
  const params: PathParam[] = [];
  let out = '';
  const s = syntax === 'regex' ? stripRegexAnchors(raw) : raw;
  let wildcard = 0;
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (syntax === 'colon' && c === ':' && /[A-Za-z_$]/.test(s[i + 1] ?? '')) {
      const m = /^:([A-Za-z_$][\w$]*)/.exec(s.slice(i))!;
      let j = i + m[0].length;
      let schema: OpenAPIV3_1.SchemaObject = { type: 'string' };
      if (s[j] === '(') {
        const end = balancedEnd(s, j, '(', ')');
        if (end > j) {
          schema = schemaOfRegex(s.slice(j + 1, end));
          j = end + 1;
        }
      }
      const optional = s[j] === '?';
      if (optional || s[j] === '+' || s[j] === '*') j++;
      params.push({ name: m[1]!, schema, ...(optional ? { optional } : {}) });
      out += `{${m[1]}}`;
      i = j;
    } else if (syntax === 'colon' && c === '*') {
      const name = wildcard++ === 0 ? 'wildcard' : `wildcard${wildcard}`;
      params.push({ name, schema: { type: 'string' } });
      out += `{${name}}`;
      i++;
    } else if (syntax === 'angle' && c === '<') {
      const end = s.indexOf('>', i);
      if (end < 0) {
        out += s.slice(i);
        break;
      }
      const inner = s.slice(i + 1, end);
      const colon = inner.lastIndexOf(':');
      const name = (colon >= 0 ? inner.slice(colon + 1) : inner).trim();
      const converter = colon >= 0 ? inner.slice(0, colon).trim().toLowerCase() : 'string';
      params.push({ name, schema: { ...(TYPE_OF[converter] ?? { type: 'string' }) } });
      out += `{${name}}`;
      i = end + 1;
    } else if (c === '{' && s[i + 1] === '{' && /^\{\{(const|token):[^}]+\}\}/.test(s.slice(i))) {
      // A `{{const:Name}}` / `{{token:name}}` placeholder for the link step passes through.
      const end = s.indexOf('}}', i) + 2;
      out += s.slice(i, end);
      i = end;
    } else if (syntax === 'brace' && c === '{') {
      const end = balancedEnd(s, i, '{', '}');
      if (end < 0) {
        out += s.slice(i);
        break;
      }
      let inner = s.slice(i + 1, end).trim();
      let optional = false;
      if (inner.startsWith('*')) inner = inner.replace(/^\*+/, '');
      const colon = inner.indexOf(':');
      let name = (colon >= 0 ? inner.slice(0, colon) : inner).trim();
      if (name.endsWith('?')) {
        optional = true;
        name = name.slice(0, -1);
      }
      let schema: OpenAPIV3_1.SchemaObject = { type: 'string' };
      if (colon >= 0) {
        // ASP.NET constraints (`int`, `guid`, `min(1)`, chained with `:`), JAX-RS/Spring regexes, FastAPI `path`.
        const constraint = inner.slice(colon + 1).trim();
        const first = constraint.split(':')[0]!.replace(/\(.*$/, '').replace(/\?$/, '').toLowerCase();
        if (constraint.endsWith('?')) optional = true;
        schema = TYPE_OF[first] ? { ...TYPE_OF[first]! } : /^[a-z]+(\(.*\))?$/i.test(constraint) ? { type: 'string' } : schemaOfRegex(constraint);
      }
      params.push({ name, schema, ...(optional ? { optional } : {}) });
      out += `{${name}}`;
      i = end + 1;
    } else if (syntax === 'regex' && c === '(') {
      const end = balancedEnd(s, i, '(', ')');
      if (end < 0) {
        out += s.slice(i);
        break;
      }
      const group = s.slice(i + 1, end);
      const named = /^\?P?<([A-Za-z_]\w*)>([\s\S]*)$/.exec(group);
      if (named) {
        params.push({ name: named[1]!, schema: schemaOfRegex(named[2]!) });
        out += `{${named[1]}}`;
      } else if (group.startsWith('?:')) {
        // A non-capturing group of literal alternatives: keep the first alternative.
        out += group.slice(2).split('|')[0]!.replace(/\\(.)/g, '$1');
      } else {
        const name = `param${params.length + 1}`;
        params.push({ name, schema: schemaOfRegex(group) });
        out += `{${name}}`;
      }
      i = end + 1;
    } else if (syntax === 'regex' && c === '\\') {
      out += s[i + 1] ?? '';
      i += 2;
    } else if (syntax === 'regex' && (c === '?' || c === '$' || c === '^')) {
      // `/?` optional slash and anchors carry no path text.
      if (c === '?' && out.endsWith('/')) out = out.slice(0, -1);
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return { path: out, params };
}

function stripRegexAnchors(raw: string): string {
  return raw.replace(/^\^/, '').replace(/\/\?\$$/, '').replace(/\$$/, '');
}

/**
 * Joins prefixes and a path into one template: single slashes, a leading `/`, no trailing
 * slash unless the last non-empty part declares one (Django `users/`), `/` for the root.
 */
export function joinPaths(...parts: readonly string[]): string {
  const present = parts.filter((p) => p !== '' && p !== undefined);
  if (present.length === 0) return '/';
  const trailing = /\/$/.test(present[present.length - 1]!) && present[present.length - 1] !== '/';
  const joined = present
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p !== '')
    .join('/');
  if (joined === '') return '/';
  return `/${joined}${trailing ? '/' : ''}`;
}

/** Parameter names in an OpenAPI template, in order. */
export function templateParams(template: string): string[] {
  return [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
}
