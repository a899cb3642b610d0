/**
 * The one boundary to the native tree-sitter binding and the registry grammars (issue #6):
 * loads a grammar on first use, keeps one parser per grammar for the frontend that created it,
 * parses each file once, and offers the few node helpers every service frontend needs (text,
 * 1-based lines, evidence, typed descendants, syntax-error lines). Frontends query the tree they
 * were handed; nothing here re-parses.
 *
 * The grammars are CommonJS packages except tree-sitter-c-sharp, an ES module with a top-level
 * await, which is why loading is asynchronous.
 */
import { createRequire } from 'node:module';
import type ParserType from 'tree-sitter';
import type { Evidence } from '../model.js';

export type SyntaxNode = ParserType.SyntaxNode;
export type Tree = ParserType.Tree;

/** The grammars Ficus ships (see package.json: pinned with `overrides`). */
export type GrammarName = 'java' | 'c-sharp' | 'php' | 'python' | 'javascript' | 'typescript' | 'tsx';

const require = createRequire(import.meta.url);

async function loadLanguage(name: GrammarName): Promise<unknown> {
  switch (name) {
    case 'java':
      return require('tree-sitter-java');
    case 'python':
      return require('tree-sitter-python');
    case 'javascript':
      return require('tree-sitter-javascript');
    case 'typescript':
      return (require('tree-sitter-typescript') as { typescript: unknown }).typescript;
    case 'tsx':
      return (require('tree-sitter-typescript') as { tsx: unknown }).tsx;
    case 'php':
      // `php` parses files with `<?php` tags and inline HTML; `php_only` would reject templates.
      return (require('tree-sitter-php') as { php: unknown }).php;
    case 'c-sharp': {
      const mod = (await import('tree-sitter-c-sharp/bindings/node/index.js')) as { default: unknown };
      return mod.default;
    }
  }
}

/**
 * The binding builds one JS subclass per named node type and means to store the type name on
 * its prototype (`nodeSubclass.prototype.type = typeName`), but that assignment is silently
 * ignored: `SyntaxNode.prototype.type` is a getter without a setter (sloppy mode). So every
 * `node.type` crosses into native code; in the services bench that was 12 % of the run. Each
 * subclass stands for exactly one node type, so the first answer of the native getter for an
 * instance of it is cached as a plain value on that subclass's prototype. Nodes of the base
 * class (anonymous tokens, ERROR) keep the native getter. The test suite checks the cached
 * value against the native one on every node of real files in every grammar.
 */
function cacheNodeTypes(language: unknown): void {
  const subclasses = (language as { nodeSubclasses?: (abstract new (...args: never[]) => unknown)[] }).nodeSubclasses;
  if (!Array.isArray(subclasses)) return;
  const base = Object.getPrototypeOf(subclasses.find((s) => s && Object.getPrototypeOf(s.prototype) !== Object.prototype)?.prototype ?? {}) as object;
  const native = Object.getOwnPropertyDescriptor(base, 'type')?.get;
  if (!native) return;
  for (const subclass of new Set(subclasses)) {
    const proto = subclass?.prototype as object | undefined;
    if (!proto || proto === base || Object.getOwnPropertyDescriptor(proto, 'type')) continue;
    Object.defineProperty(proto, 'type', {
      configurable: true,
      get(this: object): unknown {
        const type = native.call(this) as unknown;
        Object.defineProperty(proto, 'type', { value: type, configurable: true, writable: false });
        return type;
      },
    });
  }
}

/** Parsers per grammar, created on first use; one set per frontend instance (no module-level state). */
export interface Parsers {
  parse(grammar: GrammarName, text: string): Promise<Tree>;
}

export function createParsers(): Parsers {
  const Parser = require('tree-sitter') as typeof ParserType;
  const parsers = new Map<GrammarName, Promise<ParserType>>();
  const parserFor = (grammar: GrammarName): Promise<ParserType> => {
    let p = parsers.get(grammar);
    if (!p) {
      p = loadLanguage(grammar).then((language) => {
        const parser = new Parser();
        parser.setLanguage(language as Parameters<ParserType['setLanguage']>[0]);
        cacheNodeTypes(language);
        return parser;
      });
      parsers.set(grammar, p);
    }
    return p;
  };
  return {
    async parse(grammar, text) {
      const parser = await parserFor(grammar);
      // The binding copies the string in chunks; a larger buffer saves round trips on big files.
      return parser.parse(text, null, { bufferSize: Math.max(32 * 1024, Math.min(text.length * 2 + 16, 4 * 1024 * 1024)) });
    },
  };
}

/** 1-based first line of a node. */
export function lineOf(node: SyntaxNode): number {
  return node.startPosition.row + 1;
}

/** 1-based last line of a node (a node ending at column 0 ends on the line before). */
export function endLineOf(node: SyntaxNode): number {
  const { row, column } = node.endPosition;
  return column === 0 && row > node.startPosition.row ? row : row + 1;
}

export function evidenceOf(path: string, node: SyntaxNode, last: SyntaxNode = node): Evidence {
  return { path, startLine: lineOf(node), endLine: Math.max(lineOf(node), endLineOf(last)) };
}

/** Named descendants of the given types, in document order, found with one cursor walk. */
export function descendants(node: SyntaxNode, types: string | readonly string[], options: { stopAt?: readonly string[] } = {}): SyntaxNode[] {
  const list = typeof types === 'string' ? [types] : types;
  if (!options.stopAt || options.stopAt.length === 0) {
    // The binding's own search walks in native code and builds objects only for the matches:
    // several times faster than a cursor walk driven from JS. It includes `node` itself.
    return node.descendantsOfType(list as string[]).filter((n) => n.isNamed && !sameNode(n, node));
  }
  const wanted = new Set(list);
  const stop = new Set(options.stopAt);
  const out: SyntaxNode[] = [];
  const cursor = node.walk();
  let depth = 0;
  // Pre-order walk of the subtree below `node`.
  if (!cursor.gotoFirstChild()) return out;
  depth = 1;
  for (;;) {
    const type = cursor.nodeType;
    // Materializing a node object is the costly part of a walk: only for the ones asked for.
    if (wanted.has(type) && cursor.nodeIsNamed) out.push(cursor.currentNode);
    if (!stop.has(type) && cursor.gotoFirstChild()) {
      depth++;
      continue;
    }
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) return out;
      depth--;
      if (depth === 0) return out;
    }
  }
}

/** Named children of a node with the given type(s). */
export function childrenOfType(node: SyntaxNode, types: string | readonly string[]): SyntaxNode[] {
  const wanted = typeof types === 'string' ? [types] : types;
  return node.namedChildren.filter((c) => wanted.includes(c.type));
}

/** Lines holding syntax errors (ERROR or MISSING nodes), at most `limit`, for diagnostics. */
export function syntaxErrorLines(tree: Tree, limit = 5): number[] {
  if (!tree.rootNode.hasError) return [];
  const lines: number[] = [];
  const visit = (n: SyntaxNode): void => {
    if (lines.length >= limit) return;
    if (n.type === 'ERROR' || n.isMissing) {
      const line = lineOf(n);
      if (!lines.includes(line)) lines.push(line);
      return;
    }
    if (!n.hasError) return;
    for (const c of n.children) visit(c);
  };
  visit(tree.rootNode);
  return lines;
}

/**
 * Whether two node objects stand for the same syntax node. The binding does not promise one JS
 * object per node (the same node reached by a field and by `namedChildren` can be two objects),
 * so never compare nodes with `===`.
 */
export function sameNode(a: SyntaxNode | null | undefined, b: SyntaxNode | null | undefined): boolean {
  if (!a || !b) return a === b;
  return a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}
