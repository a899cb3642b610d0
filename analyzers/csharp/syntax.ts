/**
 * C# syntax helpers over the tree-sitter-c-sharp tree: attributes with their positional and
 * named arguments, compile-time string values (literals of every kind, concatenation, `nameof`,
 * interpolation, constants), integers and HTTP status expressions, type names, modifiers, XML
 * doc comments, and the JSON naming policy. Everything that reads C# syntax but knows nothing
 * of ASP.NET lives here.
 */
import type { SyntaxNode } from '../service/tree-sitter.js';

/** One attribute as written: `[HttpGet("{id}", Name = "x")]` → name `HttpGet`, one positional, one named. */
export interface Attribute {
  /** Simple name without namespace and without the `Attribute` suffix. */
  name: string;
  /** `property`, `return`, ... for `[property: Required]`; empty when absent. */
  target: string;
  positional: SyntaxNode[];
  named: Map<string, SyntaxNode>;
  /** Type arguments of a generic attribute (`[ProducesResponseType<Foo>(200)]`). */
  typeArgs: SyntaxNode[];
  node: SyntaxNode;
}

/** The attributes of a declaration or parameter, in source order. */
export function attributesOf(node: SyntaxNode | null | undefined): Attribute[] {
  if (!node) return [];
  const out: Attribute[] = [];
  for (const list of node.namedChildren) {
    if (list.type !== 'attribute_list') continue;
    const target = list.namedChildren.find((c) => c.type === 'attribute_target_specifier')?.text.replace(/:$/, '').trim() ?? '';
    for (const attr of list.namedChildren) {
      if (attr.type !== 'attribute') continue;
      const nameNode = attr.childForFieldName('name');
      if (!nameNode) continue;
      const last = lastNameNode(nameNode);
      const typeArgs = last.type === 'generic_name' ? (last.namedChildren.find((c) => c.type === 'type_argument_list')?.namedChildren ?? []) : [];
      const raw = identifierOf(last);
      const name = raw.length > 'Attribute'.length && raw.endsWith('Attribute') ? raw.slice(0, -'Attribute'.length) : raw;
      const positional: SyntaxNode[] = [];
      const named = new Map<string, SyntaxNode>();
      const args = attr.namedChildren.find((c) => c.type === 'attribute_argument_list');
      for (const arg of args?.namedChildren ?? []) {
        if (arg.type !== 'attribute_argument') continue;
        const argName = arg.childForFieldName('name');
        const value = arg.namedChildren.filter((c) => !sameNode(c, argName) && c.type !== 'name_colon' && c.type !== 'name_equals').pop();
        if (!value) continue;
        const colon = arg.namedChildren.find((c) => c.type === 'name_colon');
        if (argName) named.set(argName.text, value);
        else if (colon) named.set(colon.text.replace(/:$/, '').trim(), value);
        else positional.push(value);
      }
      out.push({ name, target, positional, named, typeArgs, node: attr });
    }
  }
  return out;
}

export function findAttribute(attrs: readonly Attribute[], ...names: string[]): Attribute | undefined {
  return attrs.find((a) => names.includes(a.name));
}

export function hasAttribute(attrs: readonly Attribute[], ...names: string[]): boolean {
  return attrs.some((a) => names.includes(a.name));
}

/**
 * Whether two nodes are the same node. The binding creates a new object for each access, so
 * nodes are compared by id, never with `===`.
 */
export function sameNode(a: SyntaxNode | null | undefined, b: SyntaxNode | null | undefined): boolean {
  return !!a && !!b && a.id === b.id;
}

/** The right-most simple name of a (qualified, generic, alias-qualified) name node. */
export function lastNameNode(node: SyntaxNode): SyntaxNode {
  if (node.type === 'qualified_name' || node.type === 'alias_qualified_name') {
    const name = node.childForFieldName('name');
    return name ? lastNameNode(name) : node;
  }
  return node;
}

/** The identifier of a name node (`List` for `List<int>`). */
export function identifierOf(node: SyntaxNode): string {
  if (node.type === 'generic_name') return node.namedChildren.find((c) => c.type === 'identifier')?.text ?? node.text;
  if (node.type === 'qualified_name' || node.type === 'alias_qualified_name') return identifierOf(lastNameNode(node));
  return node.text;
}

/** Modifiers of a declaration (`public`, `static`, `abstract`, `this` on a parameter...). */
export function modifiersOf(node: SyntaxNode): Set<string> {
  return new Set(node.namedChildren.filter((c) => c.type === 'modifier').map((c) => c.text));
}

/**
 * Resolves a name used as a string: returns its value, or a `{{const:Name}}` placeholder for the
 * link step when the file does not define it. Undefined when the name is not constant-like.
 */
export type ConstantLookup = (name: string) => string | undefined;

/**
 * The compile-time string value of an expression, or undefined when it is not one: literals
 * (regular, verbatim, raw, UTF-8), `+` concatenation, `nameof(X)`, interpolation of constants,
 * and constants (resolved by `lookup`, else left as `{{const:Name}}` for the link step).
 */
export function stringValue(node: SyntaxNode | null | undefined, lookup: ConstantLookup): string | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'string_literal': {
      let s = '';
      for (const c of node.namedChildren) {
        if (c.type === 'string_literal_content') s += c.text;
        else if (c.type === 'escape_sequence') s += unescape(c.text);
      }
      return s;
    }
    case 'verbatim_string_literal':
      return node.text.replace(/^@"/, '').replace(/"(u8)?$/, '').replace(/""/g, '"');
    case 'raw_string_literal':
      return node.namedChildren
        .filter((c) => c.type === 'raw_string_content')
        .map((c) => c.text)
        .join('');
    case 'interpolated_string_expression': {
      let s = '';
      const verbatim = /^\$?@|^@\$/.test(node.text);
      for (const c of node.namedChildren) {
        if (c.type === 'string_content') s += verbatim ? c.text.replace(/""/g, '"') : c.text;
        else if (c.type === 'escape_sequence') s += unescape(c.text);
        else if (c.type === 'interpolation') {
          const expr = c.namedChildren.find((x) => x.type !== 'interpolation_brace' && x.type !== 'interpolation_alignment_clause' && x.type !== 'interpolation_format_clause');
          const v = stringValue(expr, lookup);
          if (v === undefined) return undefined;
          s += v;
        }
      }
      return s;
    }
    case 'parenthesized_expression':
      return stringValue(node.namedChildren[0], lookup);
    case 'binary_expression': {
      if (node.childForFieldName('operator')?.type !== '+') return undefined;
      const l = stringValue(node.childForFieldName('left'), lookup);
      const r = stringValue(node.childForFieldName('right'), lookup);
      return l !== undefined && r !== undefined ? l + r : undefined;
    }
    case 'invocation_expression': {
      const fn = node.childForFieldName('function');
      if (fn?.type === 'identifier' && fn.text === 'nameof') {
        const arg = node.childForFieldName('arguments')?.namedChildren[0]?.namedChildren[0];
        return arg ? identifierOf(arg.type === 'member_access_expression' ? (arg.childForFieldName('name') ?? arg) : arg) : undefined;
      }
      return undefined;
    }
    case 'identifier':
    case 'member_access_expression':
    case 'qualified_name': {
      const name = node.text.replace(/\s+/g, '');
      if (!/^[A-Za-z_][\w.]*$/.test(name)) return undefined;
      return lookup(name) ?? `{{const:${name}}}`;
    }
    default:
      return undefined;
  }
}

function unescape(seq: string): string {
  const map: Record<string, string> = { '\\n': '\n', '\\t': '\t', '\\r': '\r', '\\0': '\0', '\\\\': '\\', '\\"': '"', "\\'": "'" };
  if (map[seq] !== undefined) return map[seq]!;
  const u = /^\\[uUx]([0-9a-fA-F]+)$/.exec(seq);
  return u ? String.fromCodePoint(parseInt(u[1]!, 16)) : seq.slice(1);
}

/** A string literal's value only (no constants): for messages and attribute texts. */
export function literalString(node: SyntaxNode | null | undefined): string | undefined {
  const v = stringValue(node, () => undefined);
  return v === undefined || v.includes('{{const:') ? undefined : v;
}

/** An integer expression's value: literals, unary minus, casts, parentheses. */
export function intValue(node: SyntaxNode | null | undefined): number | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'integer_literal': {
      const t = node.text.replace(/_/g, '').replace(/[uUlL]+$/, '');
      const n = /^0[xX]/.test(t) ? parseInt(t, 16) : /^0[bB]/.test(t) ? parseInt(t.slice(2), 2) : parseInt(t, 10);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'real_literal': {
      const n = Number(node.text.replace(/_/g, '').replace(/[fFdDmM]$/, ''));
      return Number.isFinite(n) ? n : undefined;
    }
    case 'prefix_unary_expression': {
      const v = intValue(node.namedChildren[0]);
      if (v === undefined) return undefined;
      return node.text.trim().startsWith('-') ? -v : node.text.trim().startsWith('+') ? v : undefined;
    }
    case 'parenthesized_expression':
      return intValue(node.namedChildren[0]);
    case 'cast_expression':
      return intValue(node.childForFieldName('value'));
    default:
      return undefined;
  }
}

/** A numeric literal as written (`0.01`, `100`), also from a string (`Range(typeof(decimal), "0.01", "10")`). */
export function numberValue(node: SyntaxNode | null | undefined): number | undefined {
  if (!node) return undefined;
  const i = intValue(node);
  if (i !== undefined) return i;
  const s = literalString(node);
  if (s !== undefined && /^-?\d+(\.\d+)?$/.test(s.trim())) return Number(s);
  if (node.type === 'member_access_expression') {
    const t = node.text.replace(/\s+/g, '');
    if (/\.MaxValue$/.test(t) || /\.MinValue$/.test(t)) return undefined;
  }
  return undefined;
}

/** Whitespace-normalized source text of a node, for conditions and effects. */
export function compact(node: SyntaxNode): string {
  return node.text.replace(/\s+/g, ' ').trim();
}

/** The nearest enclosing node of one of the given types. */
export function ancestor(node: SyntaxNode, types: readonly string[]): SyntaxNode | null {
  for (let p = node.parent; p; p = p.parent) if (types.includes(p.type)) return p;
  return null;
}

/**
 * The XML documentation comment before a declaration: `<summary>` as text, `<param name>`
 * texts and `<remarks>`; attributes between the comment and the declaration are skipped.
 */
export function docComment(node: SyntaxNode): { summary?: string; remarks?: string; params: Record<string, string>; returns?: string } {
  const lines: string[] = [];
  for (let p = node.previousSibling; p && p.type === 'comment'; p = p.previousSibling) {
    if (!p.text.startsWith('///')) break;
    lines.unshift(p.text.replace(/^\/\/\/ ?/, ''));
  }
  const xml = lines.join('\n');
  const out: { summary?: string; remarks?: string; params: Record<string, string>; returns?: string } = { params: {} };
  if (!xml) return out;
  const clean = (s: string): string =>
    s
      .replace(/<see\s+(?:cref|langword|href)="(?:[A-Z]:)?([^"]+)"\s*\/>/g, '$1')
      .replace(/<paramref\s+name="([^"]+)"\s*\/>/g, '$1')
      .replace(/<[^>]+>/g, '')
      .replace(/\s+/g, ' ')
      .trim();
  const summary = /<summary>([\s\S]*?)<\/summary>/.exec(xml);
  if (summary && clean(summary[1]!)) out.summary = clean(summary[1]!);
  const remarks = /<remarks>([\s\S]*?)<\/remarks>/.exec(xml);
  if (remarks && clean(remarks[1]!)) out.remarks = clean(remarks[1]!);
  const returns = /<returns>([\s\S]*?)<\/returns>/.exec(xml);
  if (returns && clean(returns[1]!)) out.returns = clean(returns[1]!);
  for (const m of xml.matchAll(/<param\s+name="([^"]+)"\s*>([\s\S]*?)<\/param>/g)) {
    const text = clean(m[2]!);
    if (text) out.params[m[1]!] = text;
  }
  return out;
}

/**
 * System.Text.Json's `JsonNamingPolicy.CamelCase`, ASP.NET Core's default for JSON bodies:
 * the leading run of capitals is lower-cased, keeping the capital that starts the next word
 * (`Id` → `id`, `URL` → `url`, `IOStream` → `ioStream`).
 */
export function camelCase(name: string): string {
  if (!name || !/^[A-Z]/.test(name)) return name;
  const chars = [...name];
  for (let i = 0; i < chars.length; i++) {
    if (i === 1 && !/[A-Z]/.test(chars[i]!)) break;
    const hasNext = i + 1 < chars.length;
    if (i > 0 && hasNext && !/[A-Z]/.test(chars[i + 1]!)) {
      // A space after the capital keeps it; the STJ algorithm also keeps the capital before a lower-case letter.
      if (chars[i + 1] === ' ') chars[i] = chars[i]!.toLowerCase();
      break;
    }
    chars[i] = chars[i]!.toLowerCase();
  }
  return chars.join('');
}
