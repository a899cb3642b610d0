/**
 * Reading PHP syntax trees (tree-sitter-php): literal values (strings, integers, arrays, `X::class`),
 * call arguments, fluent call chains (`Route::prefix('v1')->middleware('auth')->group(...)`),
 * and the namespace/`use` table that turns a class name written in a file into its qualified name.
 * Every helper returns `undefined` for what is not a literal rather than guessing.
 */
import { sameNode, type SyntaxNode } from '../service/tree-sitter.js';

/** The value of a string literal without interpolation (`'a'`, `"a"`, a nowdoc), else undefined. */
export function stringValue(node: SyntaxNode | null | undefined): string | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'string': {
      let out = '';
      for (const c of node.namedChildren) {
        if (c.type === 'string_content') out += c.text;
        else if (c.type === 'escape_sequence') out += c.text === "\\'" ? "'" : c.text === '\\\\' ? '\\' : c.text;
      }
      return out;
    }
    case 'encapsed_string': {
      let out = '';
      for (const c of node.namedChildren) {
        if (c.type === 'string_content') out += c.text;
        else if (c.type === 'escape_sequence') out += unescapeDouble(c.text);
        else return undefined;
      }
      return out;
    }
    case 'nowdoc':
    case 'heredoc': {
      const body = node.childForFieldName('value');
      if (!body || body.namedChildren.some((c) => c.type !== 'string_content' && c.type !== 'escape_sequence')) return undefined;
      return body.text;
    }
    case 'binary_expression': {
      if (operatorOf(node) !== '.') return undefined;
      const l = stringValue(node.childForFieldName('left'));
      const r = stringValue(node.childForFieldName('right'));
      return l !== undefined && r !== undefined ? l + r : undefined;
    }
    case 'parenthesized_expression':
      return stringValue(node.namedChildren[0]);
    default:
      return undefined;
  }
}

function unescapeDouble(seq: string): string {
  const map: Record<string, string> = { '\\n': '\n', '\\t': '\t', '\\r': '\r', '\\"': '"', '\\\\': '\\', '\\$': '$' };
  return map[seq] ?? seq;
}

/** The operator token of a binary/assignment expression (`.`, `===`, `*`, `+=`). */
export function operatorOf(node: SyntaxNode): string {
  const op = node.childForFieldName('operator');
  if (op) return op.text;
  for (const c of node.children) if (!c.isNamed) return c.type;
  return '';
}

/** An integer literal's value (`404`, `0x1F`), else undefined. */
export function intValue(node: SyntaxNode | null | undefined): number | undefined {
  if (!node) return undefined;
  if (node.type === 'integer') {
    const n = Number(node.text.replace(/_/g, ''));
    return Number.isFinite(n) ? n : undefined;
  }
  if (node.type === 'unary_op_expression' && node.text.startsWith('-')) {
    const v = intValue(node.namedChildren[0]);
    return v === undefined ? undefined : -v;
  }
  return undefined;
}

/** A number literal (integer or float), else undefined. */
export function numberValue(node: SyntaxNode | null | undefined): number | undefined {
  if (!node) return undefined;
  if (node.type === 'float') return Number(node.text.replace(/_/g, ''));
  return intValue(node);
}

/** The class named by `X::class`, `X`, `\A\B\X` (the name as written, leading `\` kept). */
export function classNameOf(node: SyntaxNode | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'class_constant_access_expression') {
    const [scope, member] = node.namedChildren;
    if (member?.text !== 'class' || !scope) return undefined;
    return scope.type === 'name' || scope.type === 'qualified_name' ? scope.text : undefined;
  }
  if (node.type === 'name' || node.type === 'qualified_name') return node.text;
  return undefined;
}

export interface ArrayEntry {
  key?: SyntaxNode;
  value: SyntaxNode;
}

/** Entries of an array literal (`[...]`, `array(...)`), else undefined. */
export function arrayEntries(node: SyntaxNode | null | undefined): ArrayEntry[] | undefined {
  if (!node || node.type !== 'array_creation_expression') return undefined;
  const out: ArrayEntry[] = [];
  for (const el of node.namedChildren) {
    if (el.type !== 'array_element_initializer') continue;
    const parts = el.namedChildren.filter((c) => c.type !== 'comment');
    if (parts.length === 0) continue;
    if (parts.length >= 2) out.push({ key: parts[0]!, value: parts[parts.length - 1]! });
    else if (!el.text.startsWith('...')) out.push({ value: parts[0]! });
  }
  return out;
}

/** A list of string literals (`['a', 'b']`, or a single `'a'`), else undefined. */
export function stringList(node: SyntaxNode | null | undefined): string[] | undefined {
  const single = stringValue(node);
  if (single !== undefined) return [single];
  const entries = arrayEntries(node);
  if (!entries) return undefined;
  const out: string[] = [];
  for (const e of entries) {
    const v = stringValue(e.value);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** A `'key' => value` map of an array literal, string keys only. */
export function arrayMap(node: SyntaxNode | null | undefined): Map<string, SyntaxNode> | undefined {
  const entries = arrayEntries(node);
  if (!entries) return undefined;
  const out = new Map<string, SyntaxNode>();
  for (const e of entries) {
    const k = stringValue(e.key);
    if (k !== undefined) out.set(k, e.value);
  }
  return out;
}

export interface Arg {
  /** PHP 8 named argument (`prefix: 'x'`). */
  name?: string;
  value: SyntaxNode;
}

/** The arguments of a call node (function, method, static, `new`). */
export function argsOf(call: SyntaxNode): Arg[] {
  const list = call.childForFieldName('arguments') ?? call.namedChildren.find((c) => c.type === 'arguments');
  if (!list) return [];
  const out: Arg[] = [];
  for (const a of list.namedChildren) {
    if (a.type !== 'argument') continue;
    const name = a.childForFieldName('name');
    const value = a.namedChildren.find((c) => !sameNode(c, name) && c.type !== 'comment');
    if (value) out.push({ ...(name ? { name: name.text } : {}), value });
  }
  return out;
}

/** The name of the called method or function (`validate`, `abort`, `json`), else undefined. */
export function calleeName(call: SyntaxNode): string | undefined {
  if (call.type === 'function_call_expression') {
    const f = call.childForFieldName('function');
    return f && (f.type === 'name' || f.type === 'qualified_name') ? f.text.replace(/^\\/, '') : undefined;
  }
  const n = call.childForFieldName('name');
  return n && n.type === 'name' ? n.text : undefined;
}

export const CALL_TYPES = ['function_call_expression', 'member_call_expression', 'nullsafe_member_call_expression', 'scoped_call_expression'] as const;

export function isCall(node: SyntaxNode): boolean {
  return (CALL_TYPES as readonly string[]).includes(node.type);
}

export interface ChainCall {
  name: string;
  args: Arg[];
  node: SyntaxNode;
}

/**
 * A fluent chain, innermost call first: `Route::prefix('a')->middleware('b')->group(f)` is
 * `{ root: 'Route', rootKind: 'static', calls: [prefix, middleware, group] }`; `$router->get(...)`
 * is `{ root: 'router', rootKind: 'variable' }`. Undefined for anything else.
 */
export interface Chain {
  root: string;
  rootKind: 'static' | 'variable' | 'property';
  calls: ChainCall[];
}

export function chainOf(node: SyntaxNode): Chain | undefined {
  const calls: ChainCall[] = [];
  let n: SyntaxNode | null = node;
  while (n && (n.type === 'member_call_expression' || n.type === 'nullsafe_member_call_expression')) {
    const name = calleeName(n);
    if (!name) return undefined;
    calls.unshift({ name, args: argsOf(n), node: n });
    n = n.childForFieldName('object');
  }
  if (!n) return undefined;
  if (n.type === 'scoped_call_expression') {
    const scope = n.childForFieldName('scope');
    const name = calleeName(n);
    if (!scope || !name) return undefined;
    calls.unshift({ name, args: argsOf(n), node: n });
    return { root: scope.text.replace(/^\\/, ''), rootKind: 'static', calls };
  }
  if (calls.length === 0) return undefined;
  if (n.type === 'variable_name') return { root: n.text.replace(/^\$/, ''), rootKind: 'variable', calls };
  if (n.type === 'member_access_expression') return { root: n.text.replace(/^\$/, ''), rootKind: 'property', calls };
  return undefined;
}

/** Namespace and `use` imports of a file: class names as written → qualified names. */
export interface Names {
  namespace: string;
  /** Qualified name (no leading `\`) of a class as written in this file. */
  qualify(written: string): string;
  /** The simple (last) segment of a class name. */
  simple(written: string): string;
}

export function namesOf(root: SyntaxNode): Names {
  let namespace = '';
  const uses = new Map<string, string>();
  const visit = (n: SyntaxNode): void => {
    for (const c of n.namedChildren) {
      if (c.type === 'namespace_definition') {
        namespace = c.childForFieldName('name')?.text ?? namespace;
        const body = c.childForFieldName('body');
        if (body) visit(body);
      } else if (c.type === 'namespace_use_declaration') {
        if (c.children.some((k) => k.type === 'function' || k.type === 'const')) continue;
        const group = c.namedChildren.find((k) => k.type === 'namespace_use_group');
        const prefix = group ? (c.namedChildren.find((k) => k.type === 'namespace_name')?.text ?? '') : '';
        for (const clause of (group ?? c).namedChildren.filter((k) => k.type === 'namespace_use_clause' || k.type === 'namespace_use_group_clause')) {
          const parts = clause.namedChildren;
          const target = parts[0];
          if (!target) continue;
          const full = (prefix ? `${prefix}\\` : '') + target.text.replace(/^\\/, '');
          const alias = parts.length > 1 ? parts[parts.length - 1]!.text : full.split('\\').pop()!;
          uses.set(alias.toLowerCase(), full);
        }
      }
    }
  };
  visit(root);
  return {
    namespace,
    qualify(written) {
      if (written.startsWith('\\')) return written.slice(1);
      const [first, ...rest] = written.split('\\');
      const imported = uses.get(first!.toLowerCase());
      if (imported) return [imported, ...rest].join('\\');
      return namespace ? `${namespace}\\${written}` : written;
    },
    simple(written) {
      return written.split('\\').pop()!;
    },
  };
}

/** The nearest ancestor of one of the given types, stopping at `stop` types. */
export function ancestor(node: SyntaxNode, types: readonly string[], stop: readonly string[] = []): SyntaxNode | undefined {
  for (let p = node.parent; p; p = p.parent) {
    if (types.includes(p.type)) return p;
    if (stop.includes(p.type)) return undefined;
  }
  return undefined;
}

/** Source text of a node on one line, whitespace collapsed, for conditions and effects. */
export function oneLine(node: SyntaxNode, max = 200): string {
  const t = node.text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Function-like nodes: their bodies are separate scopes. */
export const FUNCTION_TYPES = ['function_definition', 'method_declaration', 'anonymous_function', 'arrow_function'] as const;
