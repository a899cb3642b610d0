/**
 * Which prefix each Laravel route file is served under, read once per run (`Frontend.prepare`)
 * from the files that load them: `app/Providers/RouteServiceProvider.php`
 * (`Route::prefix('api')->middleware('api')->group(base_path('routes/api.php'))`, or
 * `Route::group(['prefix' => 'api'], function () { require base_path('routes/api.php'); })`)
 * and Laravel 11's `bootstrap/app.php` (`->withRouting(api: __DIR__.'/../routes/api.php',
 * apiPrefix: 'api/v1')`). Without such a file, Laravel's default applies: `routes/api.php` under
 * `/api`, every other route file at the root; a Lumen application (`Laravel\Lumen\Application` in
 * `bootstrap/app.php`) adds no prefix. These are text scans of two well-known files, not parses:
 * the statements they look at are one-liners in every Laravel release.
 */
import { normalize } from 'node:path/posix';
import type { TreeFile } from '../model.js';

export interface LaravelRouting {
  /** Route file (root-relative) → prefix it is served under (`/api`, `''`). */
  prefixes: Record<string, string>;
  /** Laravel application roots (root-relative, `''` for the analyzed root) that are Lumen. */
  lumen: string[];
  /**
   * Directories (root-relative, no trailing `/`) whose controllers declare routes as attributes,
   * with the prefix they are registered under: Spatie's `registerDirectory(app_path('Http/Controllers/Api'))`
   * in a `Route::prefix('api')` group or `config/route-attributes.php`, Symfony's
   * `config/routes.yaml` (`resource: ../src/Controller/`, `prefix: /api`).
   */
  attributeDirs: Record<string, string>;
}

const LOADERS = /(^|\/)(app\/Providers\/[\w/]*\.php|bootstrap\/app\.php)$/;

export function isRoutingLoader(path: string): boolean {
  return LOADERS.test(path);
}

/** Reads the loaders among the tree's files. */
export function readLaravelRouting(tree: readonly TreeFile[]): LaravelRouting {
  const prefixes: Record<string, string> = {};
  const lumen: string[] = [];
  const attributeDirs: Record<string, string> = {};
  for (const file of tree) {
    if (/(^|\/)config\/route-attributes\.php$/.test(file.path)) {
      const root = file.path.replace(/(^|\/)config\/route-attributes\.php$/, '');
      for (const m of (file.read() ?? '').matchAll(/app_path\(\s*['"]([^'"]+)['"]\s*\)\s*(?:=>\s*\[([^\]]*)\])?/g)) {
        const prefix = /['"]prefix['"]\s*=>\s*['"]([^'"]*)['"]/.exec(m[2] ?? '')?.[1] ?? '';
        attributeDirs[join(root, `app/${m[1]!.replace(/\/$/, '')}`)] = slash(prefix);
      }
      continue;
    }
    if (/(^|\/)config\/routes(\/[\w.-]+)?\.ya?ml$/.test(file.path)) {
      symfonyRoutes(file.path, file.read() ?? '', attributeDirs);
      continue;
    }
    if (!isRoutingLoader(file.path)) continue;
    const text = file.read();
    if (!text) continue;
    const root = appRoot(file.path);
    if (/Laravel\\Lumen\\Application/.test(text)) lumen.push(root);
    for (const m of text.matchAll(/registerDirectory\(\s*app_path\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const statement = statementBefore(text, m.index!);
      const prefix = /prefix\s*\(\s*['"]([^'"]*)['"]\s*\)/.exec(statement)?.[1] ?? '';
      attributeDirs[join(root, `app/${m[1]!.replace(/\/$/, '')}`)] = slash(prefix);
    }
    if (!/routes[/\\]/.test(text)) continue;
    // Laravel 11: withRouting(web: ..., api: ..., apiPrefix: '...').
    const withRouting = /withRouting\s*\(([\s\S]*?)\)\s*(->|;)/.exec(text);
    if (withRouting) {
      const args = withRouting[1]!;
      const apiPrefix = /apiPrefix\s*:\s*['"]([^'"]*)['"]/.exec(args)?.[1] ?? 'api';
      for (const m of args.matchAll(/\b(web|api)\s*:\s*([^,]*?routes\/([\w./-]+\.php)['"])/g)) {
        prefixes[join(root, `routes/${m[3]}`)] = m[1] === 'api' ? slash(apiPrefix) : '';
      }
    }
    // Every `routes/x.php` a statement loads, with the prefix that statement gives it.
    for (const m of text.matchAll(/['"]((?:\/?\.\.\/)*\/?routes\/[\w./-]+\.php)['"]/g)) {
      const file = join(root, m[1]!.replace(/^(\/?\.\.\/)+|^\//g, ''));
      if (prefixes[file] !== undefined && withRouting && withRouting.index <= m.index! && m.index! <= withRouting.index + withRouting[0].length) continue;
      const statement = statementBefore(text, m.index!);
      const prefix = /prefix\s*\(\s*['"]([^'"]*)['"]\s*\)/.exec(statement)?.[1] ?? /['"]prefix['"]\s*=>\s*['"]([^'"]*)['"]/.exec(statement)?.[1];
      prefixes[file] = prefix !== undefined ? slash(prefix) : (prefixes[file] ?? '');
    }
  }
  return { prefixes, lumen, attributeDirs };
}

/** The prefix of the attribute-routed directory holding `path`, longest first; undefined when none. */
export function attributeDirPrefix(path: string, routing: LaravelRouting | undefined): string | undefined {
  let best: string | undefined;
  let bestLength = -1;
  for (const [dir, prefix] of Object.entries(routing?.attributeDirs ?? {})) {
    if ((dir === '' || path.startsWith(`${dir}/`)) && dir.length > bestLength) {
      best = prefix;
      bestLength = dir.length;
    }
  }
  return best;
}

/** Symfony `config/routes.yaml` blocks: `resource: ../src/Controller/` (or `path:`) with `prefix:`. */
function symfonyRoutes(path: string, text: string, into: Record<string, string>): void {
  const configDir = path.slice(0, Math.max(0, path.lastIndexOf('/')));
  for (const block of text.split(/\n(?=\S)/)) {
    const resource = /resource:[ \t]*(?:\{\s*path:\s*)?['"]?([^'"\s,}]+)/.exec(block)?.[1] ?? /\n\s+path:\s*['"]?([^'"\s]+)/.exec(block)?.[1];
    if (!resource || !/\.\.|src\//.test(resource)) continue;
    const prefix = /\bprefix:\s*['"]?([^'"\s]*)/.exec(block)?.[1] ?? '';
    const projectRel = resource.replace(/^%kernel\.project_dir%\/?/, '');
    const base = projectRel !== resource ? configDir.replace(/\/?config(\/routes)?$/, '') : configDir;
    const dir = normalize(base ? `${base}/${projectRel}` : projectRel).replace(/\/$/, '');
    into[dir === '.' ? '' : dir] = slash(prefix);
  }
}

/** The prefix of a route file: as loaded, else Laravel's defaults. */
export function routeFilePrefix(path: string, routing: LaravelRouting | undefined): string {
  const configured = routing?.prefixes[path];
  if (configured !== undefined) return configured;
  const m = /^(.*?)(?:^|\/)routes\/api\.php$/.exec(path);
  if (!m) return '';
  const root = path.slice(0, path.length - 'routes/api.php'.length).replace(/\/$/, '');
  return routing?.lumen.includes(root) ? '' : '/api';
}

/** `proj/app/Providers/X.php` → `proj`; `bootstrap/app.php` → `''`. */
function appRoot(path: string): string {
  const i = path.search(/(^|\/)(app\/Providers|bootstrap)\//);
  return i <= 0 ? '' : path.slice(0, i);
}

function join(root: string, rel: string): string {
  return normalize(root ? `${root}/${rel}` : rel);
}

function slash(prefix: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p ? `/${p}` : '';
}

/** Text of the statement that contains `index`, back to the previous `;`. */
function statementBefore(text: string, index: number): string {
  return text.slice(Math.max(text.lastIndexOf(';', index), 0), index);
}
