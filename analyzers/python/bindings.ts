/**
 * What a name stands for where the code uses it, as far as one file shows: the values assigned to
 * it in the innermost scope that binds it (a function's parameters with their defaults, its
 * assignments and nested `def`s, the module's assignments), the elements of the iterable a `for`
 * loop takes it from (`for router in API_ROUTERS:`, tuple targets included), and the items of a
 * list-valued name, with the `append`/`extend`/`+=` calls of its scope
 * (`dependencies.append(Depends(check))`). Framework extractors use it for paths, routers and
 * dependencies given through variables instead of literals. Names bound nowhere in the file
 * (imported, or from a `*` import) are `free`: another file may define them.
 */
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { PyContext } from './context.js';
import { dottedName, functionParams, ownDescendants } from './syntax.js';

export interface Bindings {
  /** `local`: a parameter or variable of an enclosing function (or a `for` target); `module`: a module-level name; `free`: bound nowhere in this file. */
  scope: 'local' | 'module' | 'free';
  /** Expressions (or `function_definition`s) the name may hold, in source order; a parameter's default first. */
  values: SyntaxNode[];
  /** The body of the function (or the module) that binds it. */
  block: SyntaxNode;
}

const MAX_DEPTH = 6;

/** The bindings of the identifier `name` as seen from `at` (`depth`: how deep in a chain of names this lookup is). */
export function bindingsOf(name: string, at: SyntaxNode, ctx: PyContext, depth = 0): Bindings {
  if (depth > MAX_DEPTH) return { scope: 'free', values: [], block: ctx.root };
  for (let n: SyntaxNode | null = at.parent, child: SyntaxNode = at; n; child = n, n = n.parent) {
    if (n.type === 'for_statement' && child.id !== n.childForFieldName('right')?.id) {
      const values = forTargetValues(name, n, ctx, depth);
      if (values) return { scope: scopeOf(n), values, block: scopeNode(n, ctx) };
    }
    // A function's parameter defaults and annotations belong to the scope around it.
    if (n.type === 'function_definition' && child.id === n.childForFieldName('body')?.id) {
      const values = functionBindings(name, n);
      if (values) return { scope: 'local', values, block: child };
    }
  }
  const values = scopeBindings(name, ctx.root, ctx, depth);
  return values ? { scope: 'module', values, block: ctx.root } : { scope: 'free', values: [], block: ctx.root };
}

/** The items a list- or tuple-valued expression holds: literal elements, `*splats`, `a + b`, names bound to lists and what their scope appends. */
export function elementsOf(node: SyntaxNode | null | undefined, ctx: PyContext, depth = 0): SyntaxNode[] {
  if (!node || depth > MAX_DEPTH) return [];
  switch (node.type) {
    case 'list':
    case 'tuple':
    case 'set':
    case 'expression_list':
      return node.namedChildren.flatMap((c) => (c.type === 'comment' ? [] : c.type === 'list_splat' ? elementsOf(c.namedChild(0), ctx, depth + 1) : [c]));
    case 'parenthesized_expression':
      return elementsOf(node.namedChild(0), ctx, depth + 1);
    case 'binary_operator':
      return node.child(1)?.type === '+' ? [...elementsOf(node.childForFieldName('left'), ctx, depth + 1), ...elementsOf(node.childForFieldName('right'), ctx, depth + 1)] : [];
    case 'call': {
      // `list(ROUTERS)`, `tuple(...)`, `[*a, *b]` spelled as a call.
      const fn = dottedName(node.childForFieldName('function'));
      const arg = node.childForFieldName('arguments')?.namedChildren.find((c) => c.type !== 'comment');
      return fn === 'list' || fn === 'tuple' ? elementsOf(arg, ctx, depth + 1) : [];
    }
    case 'identifier': {
      const { scope, values, block } = bindingsOf(node.text, node, ctx, depth + 1);
      if (scope === 'free') return [];
      const out = values.flatMap((v) => elementsOf(v, ctx, depth + 1));
      // In-place growth in the binding scope: `deps.append(x)`, `deps.extend([...])`, `deps.insert(0, x)`.
      for (const call of ownDescendants(block, ['call'])) {
        const f = call.childForFieldName('function');
        if (f?.type !== 'attribute' || f.childForFieldName('object')?.text !== node.text) continue;
        const method = f.childForFieldName('attribute')?.text;
        const args = (call.childForFieldName('arguments')?.namedChildren ?? []).filter((c) => c.type !== 'comment' && c.type !== 'keyword_argument');
        if (method === 'append' && args[0]) out.push(args[0]);
        else if (method === 'insert' && args[1]) out.push(args[1]);
        else if (method === 'extend' && args[0]) out.push(...elementsOf(args[0], ctx, depth + 1));
      }
      return out;
    }
    default:
      return [];
  }
}

/** Follows a name through its bindings to what it finally holds (aliases `dep = verify` followed); non-name values as they are. */
export function resolvedValues(node: SyntaxNode, ctx: PyContext, depth = 0): SyntaxNode[] {
  if (node.type !== 'identifier' || depth > MAX_DEPTH) return [node];
  const { values } = bindingsOf(node.text, node, ctx, depth);
  if (values.length === 0) return [node];
  return values.flatMap((v) => (v.type === 'identifier' && v.text !== node.text ? resolvedValues(v, ctx, depth + 1) : [v]));
}

/** The body of the function (or the module) whose scope a node's names live in. */
function scopeNode(at: SyntaxNode, ctx: PyContext): SyntaxNode {
  for (let n = at.parent, child = at; n; child = n, n = n.parent) if (n.type === 'function_definition' && child.id === n.childForFieldName('body')?.id) return child;
  return ctx.root;
}

function scopeOf(at: SyntaxNode): 'local' | 'module' {
  for (let n = at.parent, child = at; n; child = n, n = n.parent) if (n.type === 'function_definition' && child.id === n.childForFieldName('body')?.id) return 'local';
  return 'module';
}

/** A parameter, an assignment or a nested `def` of the function binds the name: what it may hold. */
function functionBindings(name: string, fn: SyntaxNode): SyntaxNode[] | undefined {
  let bound = false;
  const values: SyntaxNode[] = [];
  for (const p of functionParams(fn)) {
    if (p.name !== name) continue;
    bound = true;
    if (p.default) values.push(p.default);
  }
  const body = fn.childForFieldName('body');
  if (body) {
    const own = assignedIn(name, body);
    if (own) {
      bound = true;
      values.push(...own);
    }
  }
  return bound ? values : undefined;
}

/** Module-level bindings (assignments, `def`s, `for` targets outside functions). */
function scopeBindings(name: string, block: SyntaxNode, ctx: PyContext, depth: number): SyntaxNode[] | undefined {
  const own = assignedIn(name, block);
  const fn = ctx.functions.get(name);
  if (fn && !own?.some((v) => v.id === fn.id)) return [...(own ?? []), fn];
  if (own) return own;
  for (const f of ownDescendants(block, ['for_statement'])) {
    const values = forTargetValues(name, f, ctx, depth);
    if (values) return values;
  }
  return undefined;
}

/** `name = v`, `name: T = v`, `name += v` and nested `def name` directly in a scope (not in nested functions or classes). */
function assignedIn(name: string, block: SyntaxNode): SyntaxNode[] | undefined {
  let bound = false;
  const values: SyntaxNode[] = [];
  for (const n of ownDescendants(block, ['assignment', 'augmented_assignment', 'function_definition'])) {
    if (n.type === 'function_definition') {
      if (n.childForFieldName('name')?.text === name) {
        bound = true;
        values.push(n);
      }
      continue;
    }
    if (n.childForFieldName('left')?.type !== 'identifier' || n.childForFieldName('left')?.text !== name) continue;
    bound = true;
    const right = n.childForFieldName('right');
    if (right) values.push(right);
  }
  return bound ? values : undefined;
}

/** When the `for` loop's target binds `name`: the matching part of each element of its iterable. */
function forTargetValues(name: string, loop: SyntaxNode, ctx: PyContext, depth: number): SyntaxNode[] | undefined {
  const left = loop.childForFieldName('left');
  const path = left ? targetPath(left, name) : undefined;
  if (!path) return undefined;
  const out: SyntaxNode[] = [];
  if (depth > MAX_DEPTH) return out;
  for (const element of elementsOf(loop.childForFieldName('right'), ctx, depth + 1)) {
    let v: SyntaxNode | undefined = element;
    for (const i of path) {
      while (v?.type === 'parenthesized_expression') v = v.namedChild(0) ?? undefined;
      v = v && (v.type === 'tuple' || v.type === 'list') ? v.namedChildren.filter((c) => c.type !== 'comment')[i] : undefined;
    }
    if (v) out.push(v);
  }
  return out;
}

/** Positions of `name` in a (nested) unpacking target: `[]` for the whole element, `[1, 0]` in `a, (b, c)` for `b`. */
function targetPath(target: SyntaxNode, name: string): number[] | undefined {
  if (target.type === 'identifier') return target.text === name ? [] : undefined;
  if (target.type === 'pattern_list' || target.type === 'tuple_pattern' || target.type === 'list_pattern' || target.type === 'parenthesized_expression' || target.type === 'tuple') {
    const parts = target.namedChildren.filter((c) => c.type !== 'comment');
    if (target.type === 'parenthesized_expression') return parts[0] ? targetPath(parts[0], name) : undefined;
    for (let i = 0; i < parts.length; i++) {
      const inner = targetPath(parts[i]!, name);
      if (inner) return [i, ...inner];
    }
  }
  return undefined;
}
