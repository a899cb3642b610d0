/**
 * JavaScript/TypeScript syntax helpers over tree-sitter nodes (grammars `javascript`,
 * `typescript`, `tsx`): what counts as a function, its parameters, literal string values,
 * dotted member paths, and the wrappers (`await`, `as T`, `x!`, parentheses) that never change
 * which value an expression designates. Everything here is about the shape of one node; what a
 * name refers to is `scope.ts`.
 */
import type { SyntaxNode } from '../service/tree-sitter.js';

/** Node types that open a function (a new parameter list and body). */
export const FUNCTION_TYPES: readonly string[] = [
  'function_declaration',
  'function_expression',
  'function',
  'generator_function_declaration',
  'generator_function',
  'arrow_function',
  'method_definition',
];
const FUNCTION_SET = new Set(FUNCTION_TYPES);

export function isFunction(node: SyntaxNode | null | undefined): boolean {
  return !!node && FUNCTION_SET.has(node.type);
}

/** The expression an expression stands for once `await`, `(…)`, `as T`, `<T>x`, `x!` and `satisfies T` are peeled off. */
export function unwrap(node: SyntaxNode | null | undefined): SyntaxNode | null {
  let n = node ?? null;
  while (n) {
    switch (n.type) {
      case 'parenthesized_expression':
      case 'await_expression':
      case 'non_null_expression':
        n = n.namedChildren.find((c) => c.type !== 'comment') ?? null;
        continue;
      case 'as_expression':
      case 'satisfies_expression':
      case 'type_assertion':
        n = n.namedChildren.find((c) => !c.type.endsWith('_type') && c.type !== 'type_identifier' && c.type !== 'type_arguments' && c.type !== 'generic_type') ?? null;
        continue;
      case 'sequence_expression':
        n = n.namedChildren[n.namedChildren.length - 1] ?? null;
        continue;
      default:
        return n;
    }
  }
  return n;
}

/** The type node of `x as T` / `<T>x` / `x satisfies T`, if the expression is one. */
export function assertedType(node: SyntaxNode | null | undefined): SyntaxNode | null {
  let n = node ?? null;
  while (n && (n.type === 'parenthesized_expression' || n.type === 'await_expression' || n.type === 'non_null_expression')) n = n.namedChildren[0] ?? null;
  if (!n || !['as_expression', 'satisfies_expression', 'type_assertion'].includes(n.type)) return null;
  const kids = n.namedChildren;
  return n.type === 'type_assertion' ? (kids[0] ?? null) : (kids[kids.length - 1] ?? null);
}

/** The value of a string literal or a template without substitutions; undefined otherwise. */
export function stringValue(node: SyntaxNode | null | undefined): string | undefined {
  const n = unwrap(node);
  if (!n) return undefined;
  if (n.type === 'string') return unquote(n);
  if (n.type === 'template_string' && !n.namedChildren.some((c) => c.type === 'template_substitution')) return n.text.slice(1, -1);
  return undefined;
}

/** The text between the quotes of a `string` node, escapes resolved. */
export function unquote(node: SyntaxNode): string {
  let out = '';
  for (const c of node.namedChildren) {
    if (c.type === 'string_fragment') out += c.text;
    else if (c.type === 'escape_sequence') out += unescape(c.text);
  }
  return out;
}

/** The character an escape sequence (`\\n`, `\\u00e9`, `\\$`) stands for. */
export function unescape(seq: string): string {
  const c = seq[1];
  switch (c) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case 'u':
    case 'x': {
      const hex = seq.replace(/^\\[ux]\{?|\}$/g, '');
      const code = Number.parseInt(hex, 16);
      return Number.isFinite(code) ? String.fromCodePoint(code) : seq;
    }
    default:
      return seq.slice(1);
  }
}

/** A number literal's value. */
export function numberValue(node: SyntaxNode | null | undefined): number | undefined {
  const n = unwrap(node);
  if (!n) return undefined;
  if (n.type === 'number') {
    const v = Number(n.text.replace(/_/g, ''));
    return Number.isFinite(v) ? v : undefined;
  }
  if (n.type === 'unary_expression' && n.child(0)?.type === '-') {
    const v = numberValue(n.namedChildren[0]);
    return v === undefined ? undefined : -v;
  }
  return undefined;
}

/** A property key's name: `a`, `'a'`, `"a-b"`, `[‘a’]`, `1`. */
export function propertyKey(node: SyntaxNode | null | undefined): string | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'property_identifier':
    case 'identifier':
    case 'private_property_identifier':
    case 'shorthand_property_identifier':
    case 'shorthand_property_identifier_pattern':
      return node.text;
    case 'string':
      return unquote(node);
    case 'number':
      return node.text;
    case 'computed_property_name':
      return stringValue(node.namedChildren[0]);
    default:
      return undefined;
  }
}

/**
 * `a.b.c`, `a['b']`, `this.b`, `a?.b` as a list of names (`this` for `this`); undefined when a
 * part is computed or the base is not a name.
 */
export function memberPath(node: SyntaxNode | null | undefined): string[] | undefined {
  const n = unwrap(node);
  if (!n) return undefined;
  if (n.type === 'identifier' || n.type === 'property_identifier' || n.type === 'shorthand_property_identifier') return [n.text];
  if (n.type === 'this') return ['this'];
  if (n.type === 'member_expression') {
    const base = memberPath(n.childForFieldName('object'));
    const prop = n.childForFieldName('property');
    if (!base || !prop) return undefined;
    return [...base, prop.text];
  }
  if (n.type === 'subscript_expression') {
    const base = memberPath(n.childForFieldName('object'));
    const key = stringValue(n.childForFieldName('index'));
    if (!base || key === undefined) return undefined;
    return [...base, key];
  }
  return undefined;
}

/** For `obj.name(…)`: `{ object, name }`; for `name(…)`: `{ object: null, name }`. */
export function callParts(call: SyntaxNode): { object: SyntaxNode | null; name: string; args: SyntaxNode[] } | undefined {
  if (call.type !== 'call_expression' && call.type !== 'new_expression') return undefined;
  const fn = unwrap(call.childForFieldName(call.type === 'new_expression' ? 'constructor' : 'function'));
  const args = argumentsOf(call);
  if (!fn) return undefined;
  if (fn.type === 'member_expression') {
    const prop = fn.childForFieldName('property');
    return prop ? { object: fn.childForFieldName('object'), name: prop.text, args } : undefined;
  }
  if (fn.type === 'identifier') return { object: null, name: fn.text, args };
  return undefined;
}

/** Argument expressions of a call or `new` (none for a tagged template). */
export function argumentsOf(call: SyntaxNode): SyntaxNode[] {
  const args = call.childForFieldName('arguments');
  if (!args || args.type !== 'arguments') return [];
  return args.namedChildren.filter((c) => c.type !== 'comment');
}

/** The parameter nodes of a function (each may be a pattern, an assignment, a rest, or a TS required/optional parameter). */
export function parametersOf(fn: SyntaxNode): SyntaxNode[] {
  const params = fn.childForFieldName('parameters');
  if (params) return params.namedChildren.filter((c) => c.type !== 'comment' && c.type !== 'decorator');
  // `x => …`: a single identifier parameter.
  const single = fn.childForFieldName('parameter');
  return single ? [single] : [];
}

/** The binding pattern of a parameter (identifier, object/array pattern), without default or type. */
export function parameterPattern(param: SyntaxNode): SyntaxNode {
  let p = param;
  if (p.type === 'required_parameter' || p.type === 'optional_parameter') p = p.childForFieldName('pattern') ?? p;
  if (p.type === 'assignment_pattern') p = p.childForFieldName('left') ?? p;
  if (p.type === 'rest_pattern') p = p.namedChildren[0] ?? p;
  return p;
}

/** The declared type of a TS parameter (`req: Request<…>`), as the type node inside the annotation. */
export function parameterType(param: SyntaxNode): SyntaxNode | null {
  const t = param.childForFieldName('type');
  return t ? typeOfAnnotation(t) : null;
}

export function typeOfAnnotation(annotation: SyntaxNode | null): SyntaxNode | null {
  if (!annotation) return null;
  if (annotation.type === 'type_annotation') return annotation.namedChildren[0] ?? null;
  return annotation;
}

/** A parameter's simple name, when it is not destructured. */
export function parameterName(param: SyntaxNode): string | undefined {
  const p = parameterPattern(param);
  return p.type === 'identifier' ? p.text : undefined;
}

/** The body of a function: a statement block, or the expression of an arrow function. */
export function functionBody(fn: SyntaxNode): SyntaxNode | null {
  return fn.childForFieldName('body');
}

/** A readable name for a function: its own name, the variable/property it is assigned to, else undefined. */
export function functionName(fn: SyntaxNode): string | undefined {
  const own = fn.childForFieldName('name');
  if (own && fn.type !== 'arrow_function') return propertyKey(own) ?? own.text;
  let p = fn.parent;
  // `asyncHandler(async (req, res) => …)` keeps the name of what it is assigned to.
  while (p && (p.type === 'arguments' || p.type === 'call_expression' || p.type === 'parenthesized_expression' || p.type === 'as_expression')) p = p.parent;
  if (!p) return undefined;
  if (p.type === 'variable_declarator') return p.childForFieldName('name')?.text;
  if (p.type === 'pair') return propertyKey(p.childForFieldName('key'));
  if (p.type === 'assignment_expression') return memberPath(p.childForFieldName('left'))?.join('.');
  if (p.type === 'public_field_definition' || p.type === 'field_definition') return propertyKey(p.childForFieldName('name') ?? p.childForFieldName('property'));
  return undefined;
}

/** The nearest enclosing function of a node (not the node itself). */
export function enclosingFunction(node: SyntaxNode): SyntaxNode | null {
  for (let p = node.parent; p; p = p.parent) if (isFunction(p)) return p;
  return null;
}

/** The class a method or field belongs to, if any. */
export function enclosingClass(node: SyntaxNode): SyntaxNode | null {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'class_declaration' || p.type === 'class' || p.type === 'abstract_class_declaration') return p;
  return null;
}

/** Source text with runs of whitespace collapsed, cut at `max` characters. */
export function compact(text: string, max = 200): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Decorators attached to a class member or parameter (tree-sitter puts method decorators before the method as siblings). */
export function decoratorsOf(node: SyntaxNode): SyntaxNode[] {
  const own = node.children.filter((c) => c.type === 'decorator');
  if (node.type !== 'method_definition' && node.type !== 'abstract_method_signature') return own;
  const before: SyntaxNode[] = [];
  for (let s = node.previousNamedSibling; s && s.type === 'decorator'; s = s.previousNamedSibling) before.unshift(s);
  return [...before, ...own];
}

/** `@Name(args)` / `@Name` → name and argument nodes. */
export function decoratorCall(decorator: SyntaxNode): { name: string; args: SyntaxNode[] } | undefined {
  const inner = decorator.namedChildren[0];
  if (!inner) return undefined;
  if (inner.type === 'call_expression') {
    const fn = inner.childForFieldName('function');
    const name = fn?.type === 'member_expression' ? fn.childForFieldName('property')?.text : fn?.text;
    return name ? { name, args: argumentsOf(inner) } : undefined;
  }
  if (inner.type === 'identifier') return { name: inner.text, args: [] };
  if (inner.type === 'member_expression') return { name: inner.childForFieldName('property')?.text ?? inner.text, args: [] };
  return undefined;
}
