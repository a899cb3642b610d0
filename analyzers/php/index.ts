/**
 * The PHP frontend (issue #6): Laravel, Lumen, Slim and FastRoute route files, the controllers
 * and FormRequests they name (linked across files), and plain PHP entry points, on the shared
 * tree-sitter service frame (`analyzers/service`). Per file it extracts routes (`routes.ts`), or,
 * for a script with no route registrations, its entry point (`plain.ts`); every class becomes
 * handler/type facts (`controllers.ts`); rules come from all code (`rules.ts`, `validation.ts`).
 *
 * Choices a user should know:
 * - `routes/api.php` is served under `/api` unless the RouteServiceProvider or Laravel 11's
 *   `bootstrap/app.php` says otherwise (`laravel-config.ts`); other route files at the root.
 * - A route whose handler only renders views (`view()`, `Inertia::render`) is a page, not an API
 *   operation, in any route file; `Route::view`/`Route::redirect` are never operations. Web routes
 *   to controllers answering data (JSON, redirects after a form post) are operations.
 * - What global middleware and the exception handler read (`X-Requested-With` through
 *   `$request->expectsJson()`) is a parameter of every operation (`global-handlers.ts`).
 * - `vendor/`, Blade templates (`*.blade.php`), `storage/` and `bootstrap/cache/` are not read.
 */
import type { TreeFile } from '../model.js';
import { emptyFacts } from '../service/facts.js';
import { createServiceFrontend, type Extracted, type ExtractInput } from '../service/frontend.js';
import { createRuleCollector } from '../service/rules.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import { extractClasses } from './controllers.js';
import { extractBootstrapGlobals } from './global-handlers.js';
import { attributeDirPrefix, isRoutingLoader, readLaravelRouting, routeFilePrefix, type LaravelRouting } from './laravel-config.js';
import { extractPlainEntry } from './plain.js';
import { createRuleBook, extractRules } from './rules.js';
import { extractRoutes } from './routes.js';
import { namesOf } from './syntax.js';

/** Bump when extraction changes (cache key). */
export const PHP_ANALYZER_VERSION = '2';

const SKIPPED = /(^|\/)(vendor|storage|node_modules|bootstrap\/cache)\//;

/** The context `prepare` adds. */
export interface PhpContext {
  laravelRouting?: LaravelRouting;
}

export const phpFrontend = createServiceFrontend({
  language: 'php',
  version: PHP_ANALYZER_VERSION,
  frameworks: 'Laravel/Lumen routes (Route::get, $router->get, resources), Slim/FastRoute routes ($app->get), or plain PHP entry points reading $_GET/$_POST or dispatching on REQUEST_METHOD',
  accepts(path) {
    const lower = path.toLowerCase();
    return lower.endsWith('.php') && !lower.endsWith('.blade.php') && !SKIPPED.test(path);
  },
  grammarFor: () => 'php',
  prepare(tree: readonly TreeFile[]) {
    return { laravelRouting: readLaravelRouting(tree) };
  },
  extract(input: ExtractInput): Extracted {
    const { path, tree } = input;
    const root = tree.rootNode;
    const facts = emptyFacts([path]);
    const diagnostics: Extracted['diagnostics'] = [];
    const collector = createRuleCollector('PHP', path);
    const book = createRuleBook((r) => collector.add(r));
    const names = namesOf(root);
    extractRules(root, path, book, (node) => scopeOf(node, path));
    const routing = (input.context as PhpContext).laravelRouting;
    extractClasses({ path, root, names, book, facts, attributePrefix: attributeDirPrefix(path, routing) ?? '' });
    if (/->with(?:Exceptions|Middleware)\s*\(|\$app->middleware\s*\(/.test(input.text)) extractBootstrapGlobals({ path, root, names, book, facts });
    const routes = facts.routes.length > 0 || extractRoutes({ path, root, names, book, facts, diagnostics, filePrefix: routeFilePrefix(path, routing), loader: isRoutingLoader(path) });
    if (!routes) extractPlainEntry({ path, root, names, book, facts });
    return { facts, rules: collector.rules, diagnostics };
  },
});

/** Rule scope: the enclosing `Class.method`, function, or the file's top level. */
function scopeOf(node: SyntaxNode, path: string): string {
  for (let p: SyntaxNode | null = node.parent; p; p = p.parent) {
    if (p.type === 'method_declaration') {
      const cls = p.parent?.parent?.childForFieldName('name')?.text;
      return `${cls ?? '?'}.${p.childForFieldName('name')?.text ?? '?'}`;
    }
    if (p.type === 'function_definition') return p.childForFieldName('name')?.text ?? path;
  }
  return path;
}
