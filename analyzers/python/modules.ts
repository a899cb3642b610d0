/**
 * Python modules and imports: the dotted names other files use to import a file (its path from
 * the analyzed root, and every shorter suffix, since the analyzed root is rarely the import root:
 * `backend/app/api/users.py` is imported as `app.api.users`), the names a file imports, and how an
 * expression that names a router, view or type (`users.router`, `views.UserDetail`,
 * `user.views.blueprint`) becomes a `SymbolRef` the link step resolves across files.
 */
import type { SymbolRef } from '../service/facts.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import { dottedName, statementsOf } from './syntax.js';

export interface ModuleInfo {
  /** Full dotted name from the import root, e.g. `conduit.apps.articles.urls`. */
  name: string;
  /** The package relative imports start from (`conduit.apps.articles`; the module itself for `__init__.py`). */
  packageName: string;
  /** Every name other files may use for it (see the module header). */
  names: string[];
}

/**
 * Module names of a file at `path` (POSIX, relative to the analyzed root). `packagePrefix` is the
 * dotted package the analyzed root itself is part of (when the root holds an `__init__.py`, its
 * directory name), so `conduit/` analyzed alone still answers to `conduit.apps.articles.urls`.
 */
export function moduleInfo(path: string, packagePrefix = ''): ModuleInfo {
  const parts = path.replace(/\.pyi?$/, '').split('/').filter(Boolean);
  const isPackage = parts[parts.length - 1] === '__init__';
  if (isPackage) parts.pop();
  const all = [...(packagePrefix ? packagePrefix.split('.') : []), ...parts];
  const name = all.join('.');
  const names: string[] = [];
  for (let i = 0; i < all.length; i++) names.push(all.slice(i).join('.'));
  return { name, packageName: isPackage ? name : all.slice(0, -1).join('.'), names: names.filter(Boolean) };
}

/** What a local name stands for after an import. */
export interface Imported {
  /** The module named in the import (absolute, relative imports resolved). */
  module: string;
  /** The imported member (`from m import name`); absent for `import m` / `import m as x` (a module). */
  name?: string;
}

/** Every import of the file (module level and inside functions, as Flask app factories do), by local name. */
export function readImports(root: SyntaxNode, mod: ModuleInfo): Map<string, Imported> {
  const out = new Map<string, Imported>();
  const visit = (block: SyntaxNode): void => {
    for (const s of statementsOf(block)) {
      if (s.type === 'import_statement') {
        for (const n of s.namedChildren) {
          if (n.type === 'dotted_name') {
            // `import a.b.c` binds `a`, through which `a.b.c` is reachable.
            const first = n.namedChild(0)?.text;
            if (first && !out.has(first)) out.set(first, { module: first });
          } else if (n.type === 'aliased_import') {
            const target = dottedName(n.childForFieldName('name'));
            const alias = n.childForFieldName('alias')?.text;
            if (target && alias) out.set(alias, { module: target });
          }
        }
      } else if (s.type === 'import_from_statement') {
        const modNode = s.childForFieldName('module_name');
        const from = modNode ? resolveModuleName(modNode, mod) : undefined;
        if (from === undefined) continue;
        for (const n of s.namedChildren) {
          if (modNode && n.id === modNode.id) continue;
          if (n.type === 'dotted_name') out.set(n.text, { module: from, name: n.text });
          else if (n.type === 'aliased_import') {
            const target = dottedName(n.childForFieldName('name'));
            const alias = n.childForFieldName('alias')?.text;
            if (target && alias) out.set(alias, { module: from, name: target });
          }
        }
      } else if (s.type === 'function_definition' || s.type === 'decorated_definition' || s.type === 'if_statement' || s.type === 'try_statement') {
        for (const c of s.namedChildren) if (c.type === 'block' || c.type === 'function_definition' || c.type === 'else_clause' || c.type === 'except_clause') visit(c.type === 'function_definition' ? c.childForFieldName('body') ?? c : c);
      }
    }
  };
  visit(root);
  return out;
}

function resolveModuleName(node: SyntaxNode, mod: ModuleInfo): string | undefined {
  if (node.type === 'dotted_name') return node.text;
  if (node.type !== 'relative_import') return undefined;
  const prefix = node.namedChildren.find((c) => c.type === 'import_prefix')?.text ?? '.';
  const rest = node.namedChildren.find((c) => c.type === 'dotted_name')?.text;
  const base = mod.packageName ? mod.packageName.split('.') : [];
  const up = prefix.length - 1;
  if (up > base.length) return rest;
  const parts = base.slice(0, base.length - up);
  if (rest) parts.push(rest);
  return parts.join('.');
}

/**
 * The symbol an expression names, for the link step: `bp` (this file or imported),
 * `users.router` (`from app.api.routes import users`), `user.views.blueprint`
 * (`from conduit import user`), `views.UserDetail`. Undefined for calls and other expressions.
 */
export function symbolRef(node: SyntaxNode | null | undefined, imports: ReadonlyMap<string, Imported>): SymbolRef | undefined {
  const name = dottedName(node);
  return name === undefined ? undefined : symbolRefOf(name, imports);
}

export function symbolRefOf(dotted: string, imports: ReadonlyMap<string, Imported>): SymbolRef {
  const parts = dotted.split('.');
  const imported = imports.get(parts[0]!);
  // Not imported: a name of this file, or of a module the file reaches some other way (`*` imports).
  if (!imported) return { name: parts[parts.length - 1]! };
  if (parts.length === 1) return imported.name !== undefined ? { name: imported.name, module: imported.module } : { name: 'default', module: imported.module };
  const base = imported.name !== undefined ? `${imported.module}.${imported.name}` : imported.module;
  // `import a` then `a.b.c.router`: `a.b.c` is the module; `import a.b as x` then `x.router`.
  const module = [base, ...parts.slice(1, -1)].join('.');
  return { name: parts[parts.length - 1]!, module };
}
