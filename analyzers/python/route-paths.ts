/**
 * Route paths and prefixes as Python code spells them: string literals, module constants
 * (`API_PREFIX`), settings attributes (`settings.API_V1_STR`), f-strings
 * (`f"{settings.API_V1_STR}/users"`) and `+` concatenations. Literal parts are normalized with
 * the framework's parameter syntax (service/paths.ts). Names bound in this file resolve through
 * their bindings (a function parameter's default, a local or module variable: bindings.ts), and
 * one bound to nothing readable makes the path unreadable, never its name a path segment; names
 * bound elsewhere (imported, settings attributes) become `{{const:Name}}` placeholders the link
 * step fills from every file's constants.
 */
import type { ParamFact } from '../service/facts.js';
import { normalizePath, type PathSyntax } from '../service/paths.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { PyContext } from './context.js';
import { bindingsOf } from './bindings.js';
import { dottedName, fStringText, oneLine, stringValue } from './syntax.js';

type Piece = { text: string } | { constant: string };

/**
 * `unresolved` collects the names bound in this file to nothing readable (a parameter without a
 * string default, `path = build_path(...)`): no other file can tell their value either.
 */
function pieces(node: SyntaxNode | null | undefined, ctx: PyContext, unresolved: string[], depth = 0): Piece[] | undefined {
  if (!node || depth > 8) return undefined;
  const literal = stringValue(node);
  if (literal !== undefined) return [{ text: literal }];
  switch (node.type) {
    case 'identifier':
    case 'attribute': {
      const name = dottedName(node);
      // `get_settings().api_prefix`: a settings attribute, whatever object holds it.
      if (name === undefined) return node.type === 'attribute' && node.childForFieldName('object')?.type === 'call' ? attributeConstant(node, ctx) : undefined;
      if (node.type === 'identifier') {
        // A function's parameter or variable (`health_path: str = "/health"`), or a module-level
        // name assigned something other than a plain string (`API = PREFIX + "/v1"`).
        const bound = bindingsOf(name, node, ctx);
        if (bound.scope === 'local' || (bound.scope === 'module' && !ctx.constants.has(name))) {
          for (const v of bound.values) {
            const found = pieces(v, ctx, [], depth + 1);
            if (found) return found;
          }
          unresolved.push(name);
          return undefined;
        }
      }
      const local = ctx.constants.get(name);
      return local !== undefined ? [{ text: local }] : [{ constant: name }];
    }
    case 'binary_operator': {
      if (node.child(1)?.type !== '+') return undefined;
      const left = pieces(node.childForFieldName('left'), ctx, unresolved, depth + 1);
      const right = pieces(node.childForFieldName('right'), ctx, unresolved, depth + 1);
      return left && right ? [...left, ...right] : undefined;
    }
    case 'parenthesized_expression':
      return pieces(node.namedChild(0), ctx, unresolved, depth + 1);
    case 'string': {
      // f-string: literal parts and `{name}` interpolations of names.
      const out: Piece[] = [];
      const prefix = (node.namedChildren.find((c) => c.type === 'string_start')?.text ?? '').replace(/['"]+$/, '').toLowerCase();
      for (const c of node.namedChildren) {
        if (c.type === 'string_content') out.push({ text: fStringText(c.text, prefix) });
        else if (c.type === 'interpolation') {
          const inner = pieces(c.childForFieldName('expression') ?? c.namedChild(0), ctx, unresolved, depth + 1);
          if (!inner) return undefined;
          out.push(...inner);
        }
      }
      return out;
    }
    default:
      return undefined;
  }
}

function attributeConstant(node: SyntaxNode, ctx: PyContext): Piece[] | undefined {
  const attr = node.childForFieldName('attribute')?.text;
  if (!attr) return undefined;
  const local = ctx.constants.get(attr);
  return local !== undefined ? [{ text: local }] : [{ constant: attr }];
}

export interface RoutePath {
  /** OpenAPI template, possibly with `{{const:Name}}` placeholders. */
  path: string;
  /** Parameters the syntax declares, with their types. */
  params: ParamFact[];
}

/**
 * Reads and normalizes a route path or prefix expression; undefined when it is not a path the
 * code spells out. With `what`, an unreadable one is reported (a warning saying the route is
 * skipped or the prefix left out) rather than dropped silently.
 */
export function routePath(node: SyntaxNode | null | undefined, ctx: PyContext, syntax: PathSyntax, what?: 'route' | 'prefix'): RoutePath | undefined {
  const unresolved: string[] = [];
  const ps = pieces(node, ctx, unresolved);
  if (!ps) {
    if (what && node) {
      const why = unresolved.length > 0 ? ` (${[...new Set(unresolved)].join(', ')}: bound in this file to no string it can read)` : '';
      ctx.diagnostics.push({ path: ctx.path, line: node.startPosition.row + 1, severity: 'warning', message: `${what} path ${oneLine(node, 80)} is not a string this analyzer can read${why}; ${what === 'route' ? 'the route is skipped' : 'the prefix is left out'}` });
    }
    return undefined;
  }
  return normalizePieces(ps, syntax, node ? ctx.evidence(node) : undefined);
}

/** Normalizes a literal path (no placeholders). */
export function literalRoutePath(raw: string, syntax: PathSyntax): RoutePath {
  return normalizePieces([{ text: raw }], syntax, undefined);
}

function normalizePieces(ps: Piece[], syntax: PathSyntax, evidence: ParamFact['evidence']): RoutePath {
  let path = '';
  const params: ParamFact[] = [];
  // Adjacent literal pieces are normalized together, so `'/users/' + '<int:id>'` still reads.
  let buffer = '';
  const flush = (): void => {
    if (!buffer) return;
    const n = normalizePath(buffer, syntax);
    path += n.path;
    for (const p of n.params) params.push({ name: p.name, in: 'path', required: true, schema: p.schema, ...(evidence ? { evidence } : {}) });
    buffer = '';
  };
  for (const p of ps) {
    if ('text' in p) buffer += p.text;
    else {
      flush();
      path += `{{const:${p.constant}}}`;
    }
  }
  flush();
  return { path, params };
}
