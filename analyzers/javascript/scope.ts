/**
 * What a name in a JS/TS file refers to: an import (ESM `import`, CommonJS `require`, TS
 * `import x = require()`), a declared value, a destructured part of one, a function, a class, or
 * a function parameter. Scopes are function-level (block scoping is ignored: two different
 * `const x` in sibling blocks of one function are rare in route code, and the first wins). The
 * scope also turns an expression that designates something in another file into a `SymbolRef`
 * the link step can follow.
 */
import type { SymbolRef } from '../service/facts.js';
import { descendants, type SyntaxNode } from '../service/tree-sitter.js';
import { resolveSpecifier, type ModuleTarget, type PathAliases } from './modules.js';
import { FUNCTION_TYPES, isFunction, memberPath, parameterPattern, parametersOf, propertyKey, stringValue, unwrap } from './syntax.js';

export type Binding =
  /** `imported` is `default`, `*` (namespace), or the exported name, dotted for a member of it (`default.router`). */
  | { kind: 'import'; name: string; imported: string; target: ModuleTarget; node: SyntaxNode }
  | { kind: 'value'; name: string; value: SyntaxNode | null; node: SyntaxNode }
  /** `const { a: { b } } = source` → `b` with path `['a', 'b']`. */
  | { kind: 'pattern'; name: string; source: SyntaxNode; path: string[]; node: SyntaxNode }
  | { kind: 'function'; name: string; node: SyntaxNode }
  | { kind: 'class'; name: string; node: SyntaxNode }
  | { kind: 'enum'; name: string; node: SyntaxNode }
  /** Parameter `index` of `fn`, or a destructured part (`path`) of it. */
  | { kind: 'param'; name: string; fn: SyntaxNode; index: number; path: string[]; node: SyntaxNode };

const FUNCTION_NODE_TYPES = new Set(FUNCTION_TYPES);
const SCOPE_DECLARATIONS = ['variable_declarator', 'function_declaration', 'generator_function_declaration', 'class_declaration', 'abstract_class_declaration', 'import_statement', 'enum_declaration'];

export interface Scope {
  readonly path: string;
  readonly root: SyntaxNode;
  /** The binding a name has at a node, or undefined (a global, or not declared in this file). */
  lookup(name: string, at: SyntaxNode): Binding | undefined;
  /** The binding of an identifier node. */
  bindingOf(identifier: SyntaxNode): Binding | undefined;
  /** Identifiers in `within` that refer to `binding`. */
  references(binding: Binding, within: SyntaxNode): SyntaxNode[];
  /** Where an expression comes from when it names something imported: `{ module, name }` or a package. */
  importOf(expr: SyntaxNode | null): { target: ModuleTarget; name: string } | undefined;
  /** `importOf` as a SymbolRef of a module in the analyzed tree. */
  refOf(expr: SyntaxNode | null): SymbolRef | undefined;
  /** True when the expression is (a member of) the given package's import, e.g. `express`, `@koa/router`. */
  fromPackage(expr: SyntaxNode | null, packages: readonly string[]): string | undefined;
  /** Resolves a specifier the way imports in this file do. */
  resolve(specifier: string): ModuleTarget;
}

export function createScope(root: SyntaxNode, path: string, aliases?: PathAliases & { modules?: string[] }): Scope {
  const known = new Set(aliases?.modules ?? []);
  const tables = new Map<number, Map<string, Binding>>();
  const resolve = (specifier: string): ModuleTarget => resolveSpecifier(specifier, path, aliases, known);

  const requireTarget = (node: SyntaxNode | null): ModuleTarget | undefined => {
    const n = unwrap(node);
    if (!n || n.type !== 'call_expression') return undefined;
    const fn = n.childForFieldName('function');
    if (fn?.type !== 'identifier' && fn?.type !== 'import') return undefined;
    if (fn.type === 'identifier' && fn.text !== 'require') return undefined;
    const arg = n.childForFieldName('arguments')?.namedChildren[0];
    const spec = stringValue(arg);
    return spec === undefined ? undefined : resolve(spec);
  };

  const tableOf = (scopeNode: SyntaxNode): Map<string, Binding> => {
    let table = tables.get(scopeNode.id);
    if (table) return table;
    table = new Map();
    tables.set(scopeNode.id, table);
    const add = (b: Binding): void => {
      if (!table!.has(b.name)) table!.set(b.name, b);
    };
    if (isFunction(scopeNode)) {
      parametersOf(scopeNode).forEach((param, index) => {
        for (const { name, path: p, node } of patternNames(parameterPattern(param))) add({ kind: 'param', name, fn: scopeNode, index, path: p, node });
      });
    }
    const body = isFunction(scopeNode) ? scopeNode.childForFieldName('body') : scopeNode;
    if (!body) return table;
    for (const d of descendants(body, SCOPE_DECLARATIONS, { stopAt: FUNCTION_TYPES })) {
      switch (d.type) {
        case 'variable_declarator': {
          const nameNode = d.childForFieldName('name');
          const value = d.childForFieldName('value');
          if (!nameNode) break;
          const direct = requireTarget(value);
          const inner = unwrap(value);
          // `const r = require('./x').router`
          const viaMember = !direct && inner?.type === 'member_expression' ? requireTarget(inner.childForFieldName('object')) : undefined;
          if (nameNode.type === 'identifier') {
            if (direct) add({ kind: 'import', name: nameNode.text, imported: 'default', target: direct, node: d });
            else if (viaMember) add({ kind: 'import', name: nameNode.text, imported: inner!.childForFieldName('property')?.text ?? 'default', target: viaMember, node: d });
            else add({ kind: 'value', name: nameNode.text, value, node: d });
          } else {
            for (const { name, path: p } of patternNames(nameNode)) {
              if (direct) add({ kind: 'import', name, imported: p.join('.'), target: direct, node: d });
              else if (value) add({ kind: 'pattern', name, source: value, path: p, node: d });
            }
          }
          break;
        }
        case 'function_declaration':
        case 'generator_function_declaration': {
          const name = d.childForFieldName('name')?.text;
          if (name) add({ kind: 'function', name, node: d });
          break;
        }
        case 'class_declaration':
        case 'abstract_class_declaration': {
          const name = d.childForFieldName('name')?.text;
          if (name) add({ kind: 'class', name, node: d });
          break;
        }
        case 'enum_declaration': {
          const name = d.childForFieldName('name')?.text;
          if (name) add({ kind: 'enum', name, node: d });
          break;
        }
        case 'import_statement': {
          const spec = stringValue(d.childForFieldName('source'));
          const clause = d.namedChildren.find((c) => c.type === 'import_clause');
          const requireClause = d.namedChildren.find((c) => c.type === 'import_require_clause');
          if (requireClause) {
            // TS `import x = require('./y')`
            const id = requireClause.namedChildren.find((c) => c.type === 'identifier');
            const s = stringValue(requireClause.namedChildren.find((c) => c.type === 'string'));
            if (id && s !== undefined) add({ kind: 'import', name: id.text, imported: 'default', target: resolve(s), node: d });
            break;
          }
          if (spec === undefined || !clause) break;
          const target = resolve(spec);
          for (const c of clause.namedChildren) {
            if (c.type === 'identifier') add({ kind: 'import', name: c.text, imported: 'default', target, node: d });
            else if (c.type === 'namespace_import') {
              const id = c.namedChildren.find((x) => x.type === 'identifier');
              if (id) add({ kind: 'import', name: id.text, imported: '*', target, node: d });
            } else if (c.type === 'named_imports') {
              for (const s of c.namedChildren.filter((x) => x.type === 'import_specifier')) {
                const imported = propertyKey(s.childForFieldName('name')) ?? s.childForFieldName('name')?.text;
                const local = s.childForFieldName('alias')?.text ?? imported;
                if (imported && local) add({ kind: 'import', name: local, imported, target, node: d });
              }
            }
          }
          break;
        }
      }
    }
    return table;
  };

  // Scope nodes around a node, innermost first, memoized along the way up (parent walks are slow native calls).
  const chains = new Map<number, SyntaxNode[]>();
  const scopesOf = (at: SyntaxNode): SyntaxNode[] => {
    const path: SyntaxNode[] = [];
    let tail: SyntaxNode[] = [];
    for (let n: SyntaxNode | null = at; n; n = n.parent) {
      const cached = chains.get(n.id);
      if (cached) {
        tail = cached;
        break;
      }
      path.push(n);
    }
    let acc = tail;
    for (let i = path.length - 1; i >= 0; i--) {
      const node = path[i]!;
      if (isFunction(node) || node.type === 'program') acc = [node, ...acc];
      chains.set(node.id, acc);
    }
    return acc;
  };

  const lookup = (name: string, at: SyntaxNode): Binding | undefined => {
    for (const n of scopesOf(at)) {
      const b = tableOf(n).get(name);
      if (b) return b;
    }
    return undefined;
  };

  const bindingOf = (identifier: SyntaxNode): Binding | undefined => lookup(identifier.text, identifier);

  const importOf = (expr: SyntaxNode | null): { target: ModuleTarget; name: string } | undefined => {
    const n = unwrap(expr);
    if (!n) return undefined;
    const direct = requireTarget(n);
    if (direct) return { target: direct, name: 'default' };
    if (n.type === 'member_expression' || n.type === 'subscript_expression') {
      const base = importOf(n.childForFieldName('object'));
      const prop = n.type === 'member_expression' ? n.childForFieldName('property')?.text : stringValue(n.childForFieldName('index'));
      if (!base || prop === undefined) return undefined;
      return { target: base.target, name: base.name === '*' ? prop : `${base.name}.${prop}` };
    }
    if (n.type !== 'identifier' && n.type !== 'type_identifier') return undefined;
    const b = bindingOf(n);
    if (!b) return undefined;
    if (b.kind === 'import') return { target: b.target, name: b.imported };
    if (b.kind === 'pattern') {
      const base = importOf(b.source);
      if (!base) return undefined;
      const rest = b.path.join('.');
      return { target: base.target, name: base.name === '*' || base.name === 'default' ? rest : `${base.name}.${rest}` };
    }
    if (b.kind === 'value' && b.value && isAlias(b.value)) return importOf(b.value);
    return undefined;
  };

  return {
    path,
    root,
    lookup,
    bindingOf,
    references(binding, within) {
      // One cursor walk; a nested function that declares the same name hides it.
      const out: SyntaxNode[] = [];
      const name = binding.name;
      const cursor = within.walk();
      if (!cursor.gotoFirstChild()) return out;
      let depth = 1;
      for (;;) {
        const type = cursor.nodeType;
        let descend = true;
        if (FUNCTION_NODE_TYPES.has(type)) {
          const b = tableOf(cursor.currentNode).get(name);
          if (b && b !== binding) descend = false;
        } else if ((type === 'identifier' || type === 'shorthand_property_identifier') && cursor.endIndex - cursor.startIndex === name.length && cursor.nodeText === name) {
          const id = cursor.currentNode;
          const parent = id.parent;
          // Declarations themselves are not uses.
          if (!(parent?.type === 'variable_declarator' && parent.childForFieldName('name')?.id === id.id)) out.push(id);
        }
        if (descend && cursor.gotoFirstChild()) {
          depth++;
          continue;
        }
        while (!cursor.gotoNextSibling()) {
          if (!cursor.gotoParent() || --depth === 0) return out;
        }
      }
    },
    importOf,
    refOf(expr) {
      const imp = importOf(expr);
      return imp && 'module' in imp.target ? { name: imp.name, module: imp.target.module } : undefined;
    },
    fromPackage(expr, packages) {
      const imp = importOf(expr);
      return imp && 'package' in imp.target && packages.includes(imp.target.package) ? imp.target.package : undefined;
    },
    resolve,
  };
}

/** A value that merely renames another (`const r = users.router`), so imports pass through it. */
function isAlias(value: SyntaxNode): boolean {
  const n = unwrap(value);
  return !!n && (n.type === 'identifier' || n.type === 'member_expression') && memberPath(n) !== undefined;
}

/** Names bound by a pattern, with the property path that leads to each. */
export function patternNames(pattern: SyntaxNode, path: string[] = []): { name: string; path: string[]; node: SyntaxNode }[] {
  switch (pattern.type) {
    case 'identifier':
      return [{ name: pattern.text, path, node: pattern }];
    case 'shorthand_property_identifier_pattern':
      return [{ name: pattern.text, path: [...path, pattern.text], node: pattern }];
    case 'object_pattern': {
      const out: { name: string; path: string[]; node: SyntaxNode }[] = [];
      for (const c of pattern.namedChildren) {
        if (c.type === 'shorthand_property_identifier_pattern') out.push({ name: c.text, path: [...path, c.text], node: c });
        else if (c.type === 'pair_pattern') {
          const key = propertyKey(c.childForFieldName('key'));
          const value = c.childForFieldName('value');
          if (key !== undefined && value) out.push(...patternNames(value.type === 'assignment_pattern' ? (value.childForFieldName('left') ?? value) : value, [...path, key]));
        } else if (c.type === 'object_assignment_pattern') {
          const left = c.childForFieldName('left');
          if (left) out.push(...patternNames(left, path));
        }
      }
      return out;
    }
    case 'assignment_pattern': {
      const left = pattern.childForFieldName('left');
      return left ? patternNames(left, path) : [];
    }
    default:
      return [];
  }
}
