/**
 * Framework objects a Python file creates and uses: `X = Call(...)` assignments anywhere in the
 * file (module level, app factories, `if __name__` blocks), and the router a name used in a
 * decorator or mount stands for — one created here, or one imported from another file (then a
 * `sameAs` router the link step hangs below the original).
 */
import type { RouterFact } from '../service/facts.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { PyContext } from './context.js';
import { callName, dottedName, lastName } from './syntax.js';

export interface Construction {
  /** Variable assigned (`app`, `bp`, `self.router`). */
  name: string;
  call: SyntaxNode;
  /** Dotted name of the called class or function (`Blueprint`, `flask.Flask`). */
  callee: string;
  statement: SyntaxNode;
}

/** Every `name = Call(...)` (also `name: T = Call(...)`) in the file, in order. */
export function constructions(ctx: PyContext): Construction[] {
  return ctx.memo('constructions', () => {
    const found: Construction[] = [];
    for (const a of ctx.root.descendantsOfType('assignment')) {
      const left = a.childForFieldName('left');
      const right = a.childForFieldName('right');
      const name = dottedName(left);
      if (name === undefined || right?.type !== 'call') continue;
      const callee = callName(right);
      if (callee === undefined) continue;
      found.push({ name, call: right, callee, statement: a.parent?.type === 'expression_statement' ? a.parent : a });
    }
    return found;
  });
}

/** Constructions whose callee (or a class deriving from it, across files) is one of `classes`. */
export function constructionsOf(ctx: PyContext, classes: ReadonlySet<string>): Construction[] {
  return constructions(ctx).filter((c) => {
    const last = lastName(c.callee);
    return classes.has(last) || ctx.inherits(last, classes);
  });
}

/**
 * The router id a name used as a router stands for: a router of this file, or (imported from
 * another module) a new `sameAs` router; undefined for names this file cannot place.
 */
export function routerFor(node: SyntaxNode | null | undefined, ctx: PyContext, label?: string): string | undefined {
  const name = dottedName(node);
  if (name === undefined || !node) return undefined;
  if (ctx.router(name)) return name;
  const first = name.split('.')[0]!;
  if (!ctx.imports.has(first)) return undefined;
  const ref = ctx.ref(node);
  if (!ref) return undefined;
  const router: RouterFact = { id: name, prefixes: [''], root: false, evidence: ctx.evidence(node), label: label ?? name, sameAs: ref };
  ctx.addRouter(router);
  return name;
}
