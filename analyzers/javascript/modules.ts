/**
 * How JS/TS files name each other: a relative import (`./routes/users.js`, `../users`) or a
 * tsconfig/jsconfig path alias (`@/routes/users`, `src/routes/users` under `baseUrl`) becomes a
 * root-relative module name without extension (`src/routes/users`), the name every file also
 * publishes for itself (`SymbolRef.module` / `ServiceFacts.moduleNames`). Directory imports
 * (`require('./routes')`) resolve through `routes/index`, which the link step tries. Anything
 * else is a package (`express`, `@koa/router`).
 */
import { dirname, join, normalize } from 'node:path/posix';
import type { TreeFile } from '../model.js';

/** Extensions of the files this frontend reads; stripped from module names. */
export const SOURCE_EXTENSIONS: readonly string[] = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

/** tsconfig/jsconfig `compilerOptions.paths` (+ `baseUrl`), root-relative, from `prepare`. */
export interface PathAliases {
  /** `@/*` → [`src/*`]: patterns with at most one `*`. */
  paths: Record<string, string[]>;
  /** Root-relative `baseUrl` directories (non-relative imports are tried under them). */
  baseUrls: string[];
}

export type ModuleTarget = { module: string } | { package: string };

export function stripExtension(path: string): string {
  for (const ext of SOURCE_EXTENSIONS) if (path.endsWith(ext)) return path.slice(0, -ext.length);
  return path;
}

/** The names other files import this one by. */
export function moduleNamesOf(path: string): string[] {
  return [stripExtension(path)];
}

/** Resolves an import specifier written in `fromPath`. */
export function resolveSpecifier(specifier: string, fromPath: string, aliases?: PathAliases, known?: ReadonlySet<string>): ModuleTarget {
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') {
    return { module: clean(join(dirname(fromPath), specifier)) };
  }
  if (aliases) {
    for (const [pattern, targets] of Object.entries(aliases.paths)) {
      const star = pattern.indexOf('*');
      const matched = star < 0 ? (specifier === pattern ? '' : undefined) : specifier.startsWith(pattern.slice(0, star)) && specifier.endsWith(pattern.slice(star + 1)) ? specifier.slice(star, specifier.length - (pattern.length - star - 1)) : undefined;
      if (matched === undefined) continue;
      const candidates = targets.map((t) => clean(t.replace('*', matched)));
      const hit = known ? candidates.find((c) => known.has(c) || known.has(`${c}/index`)) : undefined;
      if (hit ?? candidates[0]) return { module: hit ?? candidates[0]! };
    }
    for (const base of aliases.baseUrls) {
      const candidate = clean(join(base, specifier));
      if (known?.has(candidate) || known?.has(`${candidate}/index`)) return { module: candidate };
    }
  }
  return { package: specifier };
}

function clean(p: string): string {
  return stripExtension(normalize(p).replace(/^\.\/+/, '').replace(/\/+$/, ''));
}

/**
 * Reads path aliases from the tsconfig.json / jsconfig.json files of the tree (comments and
 * trailing commas allowed, as tsc allows them). Each config's patterns are relative to its
 * `baseUrl`, or to its own directory.
 */
export function readPathAliases(tree: readonly TreeFile[]): PathAliases & { modules: string[] } {
  const aliases: PathAliases & { modules: string[] } = { paths: {}, baseUrls: [], modules: [] };
  for (const f of tree) {
    if (SOURCE_EXTENSIONS.some((e) => f.path.endsWith(e)) && !f.path.endsWith('.d.ts')) aliases.modules.push(stripExtension(f.path));
    if (!/(^|\/)(tsconfig|jsconfig)(\.[\w.-]+)?\.json$/.test(f.path) || f.path.includes('node_modules/')) continue;
    const options = parseConfig(f.read() ?? '')?.compilerOptions;
    if (!options || typeof options !== 'object') continue;
    const dir = dirname(f.path);
    const baseUrl = typeof options.baseUrl === 'string' ? clean(join(dir, options.baseUrl)) : undefined;
    if (baseUrl !== undefined && !aliases.baseUrls.includes(baseUrl)) aliases.baseUrls.push(baseUrl);
    const paths = options.paths;
    if (paths && typeof paths === 'object') {
      for (const [pattern, targets] of Object.entries(paths as Record<string, unknown>)) {
        if (!Array.isArray(targets) || aliases.paths[pattern]) continue;
        aliases.paths[pattern] = targets.filter((t): t is string => typeof t === 'string').map((t) => join(baseUrl ?? dir, t));
      }
    }
  }
  aliases.baseUrls.sort();
  // The file list only matters for `baseUrl` lookups; without one it stays out of the cache key.
  if (aliases.baseUrls.length === 0) aliases.modules = [];
  aliases.modules.sort();
  return aliases;
}

function parseConfig(text: string): { compilerOptions?: Record<string, unknown> } | undefined {
  // JSONC: drop comments outside strings, then trailing commas.
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const end = skipString(text, i);
      out += text.slice(i, end);
      i = end - 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else out += c;
  }
  try {
    return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1')) as { compilerOptions?: Record<string, unknown> };
  } catch {
    return undefined;
  }
}

function skipString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}
