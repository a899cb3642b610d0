/**
 * The state of one Python file's extraction, shared by the framework extractors: the parsed
 * module, its imports and module names, the project index from `prepare`, the facts and rules
 * being built, and the lookups every extractor needs (classes and functions of the file, string
 * constants, a class's ancestors across files, routers by variable name).
 */
import type { Diagnostic, Evidence } from '../model.js';
import { emptyFacts, type RouterFact, type ServiceFacts, type SymbolRef } from '../service/facts.js';
import { createRuleCollector } from '../service/rules.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { moduleInfo, readImports, symbolRef, type Imported, type ModuleInfo } from './modules.js';
import { ancestors, type ProjectIndex } from './project.js';
import { assignmentsIn, callArgs, callName, definitionOf, dottedName, lastName, statementsOf, stringValue } from './syntax.js';

export const RULE_PREFIX = 'PY';

export interface PyContext {
  path: string;
  root: SyntaxNode;
  module: ModuleInfo;
  imports: Map<string, Imported>;
  project: ProjectIndex;
  facts: ServiceFacts;
  rules: ReturnType<typeof createRuleCollector>;
  diagnostics: Diagnostic[];
  /** Module-level classes (and classes nested in module-level `if`/`try`), by name. */
  classes: Map<string, SyntaxNode>;
  /** Module-level functions, by name. */
  functions: Map<string, SyntaxNode>;
  /**
   * Module-level string constants (`API_PREFIX = '/api/v1'`) and string attributes of
   * module-level classes (`Settings.api_prefix`, also `api_prefix: str = Field('/api', ...)`).
   */
  constants: Map<string, string>;
  evidence(node: SyntaxNode, last?: SyntaxNode): Evidence;
  /** Ancestor class names (last segments) of a class of this file or of the project, nearest first. */
  ancestorsOf(className: string): string[];
  /** True when the class (of this file or the project) has one of `bases` among its ancestors. */
  inherits(className: string, bases: ReadonlySet<string>): boolean;
  router(id: string): RouterFact | undefined;
  addRouter(router: RouterFact): RouterFact;
  ref(node: SyntaxNode | null | undefined): SymbolRef | undefined;
  /** Computes a per-file value once (indexes the extractors build over the tree). */
  memo<T>(key: string, make: () => T): T;
}

export function createContext(path: string, root: SyntaxNode, project: ProjectIndex): PyContext {
  const module = moduleInfo(path, project.packagePrefix);
  const imports = readImports(root, module);
  const facts = emptyFacts(module.names);
  const classes = new Map<string, SyntaxNode>();
  const functions = new Map<string, SyntaxNode>();
  const constants = new Map<string, string>();
  const collect = (block: SyntaxNode, depth: number): void => {
    for (const s of statementsOf(block)) {
      const def = definitionOf(s);
      if (def?.type === 'class_definition') {
        const name = def.childForFieldName('name')?.text;
        if (name && !classes.has(name)) classes.set(name, def);
        if (name) {
          for (const a of assignmentsIn(def.childForFieldName('body'))) {
            const v = stringValue(a.value) ?? fieldDefault(a.value);
            if (v !== undefined && !a.augmented) constants.set(`${name}.${a.name}`, v);
          }
        }
      } else if (def?.type === 'function_definition') {
        const name = def.childForFieldName('name')?.text;
        if (name && !functions.has(name)) functions.set(name, def);
      } else if (depth < 2 && (s.type === 'if_statement' || s.type === 'try_statement')) {
        for (const c of s.namedChildren) {
          if (c.type === 'block') collect(c, depth + 1);
          else if (c.type === 'else_clause' || c.type === 'except_clause' || c.type === 'elif_clause') {
            const b = c.namedChildren.find((x) => x.type === 'block');
            if (b) collect(b, depth + 1);
          }
        }
      }
    }
    for (const a of assignmentsIn(block)) {
      const v = stringValue(a.value);
      if (v !== undefined && !a.augmented && !constants.has(a.name)) constants.set(a.name, v);
    }
  };
  collect(root, 0);
  const routers = new Map<string, RouterFact>();
  const localBases = (name: string): string[] | undefined => {
    const cls = classes.get(name);
    if (!cls) return undefined;
    const list = cls.childForFieldName('superclasses');
    if (!list) return [];
    return list.namedChildren
      .map((b) => (b.type === 'subscript' ? dottedName(b.childForFieldName('value')) : dottedName(b)))
      .filter((b): b is string => b !== undefined);
  };
  const ancestorCache = new Map<string, string[]>();
  const memos = new Map<string, unknown>();
  const ctx: PyContext = {
    path,
    root,
    module,
    imports,
    project,
    facts,
    rules: createRuleCollector(RULE_PREFIX, path),
    diagnostics: [],
    classes,
    functions,
    constants,
    evidence: (node, last) => evidenceOf(path, node, last),
    ancestorsOf(className) {
      let a = ancestorCache.get(className);
      if (!a) {
        a = ancestors(className, project, localBases);
        ancestorCache.set(className, a);
      }
      return a;
    },
    inherits(className, bases) {
      return ctx.ancestorsOf(className).some((b) => bases.has(b));
    },
    router: (id) => routers.get(id),
    addRouter(router) {
      const existing = routers.get(router.id);
      if (existing) return existing;
      routers.set(router.id, router);
      facts.routers.push(router);
      return router;
    },
    ref: (node) => symbolRef(node, imports),
    memo<T>(key: string, make: () => T): T {
      if (!memos.has(key)) memos.set(key, make());
      return memos.get(key) as T;
    },
  };
  return ctx;
}

/** The string default of a pydantic `Field('/api', ...)` / `Field(default='/api')` (settings classes). */
function fieldDefault(node: SyntaxNode | undefined): string | undefined {
  if (node?.type !== 'call' || lastName(callName(node) ?? '') !== 'Field') return undefined;
  const args = callArgs(node);
  return stringValue(args.positional[0] ?? args.keywords.get('default'));
}
