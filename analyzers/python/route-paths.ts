/**
 * Route paths and prefixes as Python code spells them: string literals, module constants
 * (`API_PREFIX`), settings attributes (`settings.API_V1_STR`), f-strings
 * (`f"{settings.API_V1_STR}/users"`) and `+` concatenations. Literal parts are normalized with
 * the framework's parameter syntax (service/paths.ts); names this file cannot resolve become
 * `{{const:Name}}` placeholders the link step fills from every file's constants.
 */
import type { ParamFact } from '../service/facts.js';
import { normalizePath, type PathSyntax } from '../service/paths.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import type { PyContext } from './context.js';
import { dottedName, stringValue } from './syntax.js';

type Piece = { text: string } | { constant: string };

function pieces(node: SyntaxNode | null | undefined, ctx: PyContext, depth = 0): Piece[] | undefined {
  if (!node || depth > 8) return undefined;
  const literal = stringValue(node);
  if (literal !== undefined) return [{ text: literal }];
  switch (node.type) {
    case 'identifier':
    case 'attribute': {
      const name = dottedName(node);
      if (name === undefined) return undefined;
      const local = ctx.constants.get(name);
      return local !== undefined ? [{ text: local }] : [{ constant: name }];
    }
    case 'binary_operator': {
      if (node.child(1)?.type !== '+') return undefined;
      const left = pieces(node.childForFieldName('left'), ctx, depth + 1);
      const right = pieces(node.childForFieldName('right'), ctx, depth + 1);
      return left && right ? [...left, ...right] : undefined;
    }
    case 'parenthesized_expression':
      return pieces(node.namedChild(0), ctx, depth + 1);
    case 'string': {
      // f-string: literal parts and `{name}` interpolations of names.
      const out: Piece[] = [];
      for (const c of node.namedChildren) {
        if (c.type === 'string_content') out.push({ text: c.text });
        else if (c.type === 'interpolation') {
          const inner = pieces(c.childForFieldName('expression') ?? c.namedChild(0), ctx, depth + 1);
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

export interface RoutePath {
  /** OpenAPI template, possibly with `{{const:Name}}` placeholders. */
  path: string;
  /** Parameters the syntax declares, with their types. */
  params: ParamFact[];
}

/** Reads and normalizes a route path or prefix expression; undefined when it is not a path the code spells out. */
export function routePath(node: SyntaxNode | null | undefined, ctx: PyContext, syntax: PathSyntax): RoutePath | undefined {
  const ps = pieces(node, ctx);
  if (!ps) return undefined;
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
