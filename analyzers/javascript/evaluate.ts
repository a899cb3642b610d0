/**
 * Static values in a JS/TS file: what a path argument, a route options object or a schema
 * literal evaluates to without running anything. Literals, templates, `+` concatenation,
 * `path.join`, consts, object/array literals (with spreads), members of those, class fields read
 * through `this`, and destructured parts are followed inside the file; what comes from another
 * file stays a placeholder the link step fills (`{{const:Name}}`) or an `Opaque` carrying the
 * `SymbolRef`. Anything computed at run time is `Opaque` (or undefined for strings).
 */
import type { SymbolRef } from '../service/facts.js';
import { descendants, type SyntaxNode } from '../service/tree-sitter.js';
import type { Scope } from './scope.js';
import { argumentsOf, compact, enclosingClass, memberPath, numberValue, propertyKey, stringValue, unescape, unquote, unwrap } from './syntax.js';

/** A value known only by its node (a call, a function, a regex) or by where it is imported from. */
export class Opaque {
  constructor(
    readonly node: SyntaxNode,
    readonly ref?: SymbolRef,
  ) {}
}

export type JsValue = string | number | boolean | null | JsValue[] | { [key: string]: JsValue } | Opaque;

/** A JSON copy of a value: what is only known by its node (`Opaque`) is left out. */
export function plain(v: unknown): unknown {
  if (v instanceof Opaque || typeof v === 'function' || v === undefined) return undefined;
  if (Array.isArray(v)) return v.map(plain).filter((x) => x !== undefined);
  if (v && typeof v === 'object') {
    if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return undefined;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = plain(x);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  return typeof v === 'number' && !Number.isFinite(v) ? undefined : v;
}

export function isPlainObject(v: JsValue | undefined): v is { [key: string]: JsValue } {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Opaque);
}

/** A string that may hold `{{const:Name}}` placeholders; `dropped` names parts read from run-time options (treated as empty). */
export interface StringResult {
  text: string;
  dropped: string[];
}

/** Names that hold a mount prefix at run time (`options.prefix`, `opts.prefix`): read as empty, since the mount adds the prefix. */
const RUNTIME_PREFIX = /^(prefix|basePath|base_path|baseUrl|routePrefix|apiPrefix|API_PREFIX|root)$/i;

const MAX_DEPTH = 12;

export interface Evaluator {
  value(node: SyntaxNode | null | undefined): JsValue | undefined;
  string(node: SyntaxNode | null | undefined): StringResult | undefined;
  /** Module-level string constants (`USERS`, `Paths.USERS`) for the link step. */
  constants(): Record<string, string>;
}

export function createEvaluator(scope: Scope): Evaluator {
  const value = (node: SyntaxNode | null | undefined, depth = 0): JsValue | undefined => {
    const n = unwrap(node);
    if (!n || depth > MAX_DEPTH) return undefined;
    switch (n.type) {
      case 'string':
        return unquote(n);
      case 'template_string': {
        const s = string(n, depth);
        return s && !s.text.includes('{{const:') ? s.text : new Opaque(n);
      }
      case 'number':
      case 'unary_expression': {
        const v = numberValue(n);
        return v === undefined ? new Opaque(n) : v;
      }
      case 'true':
        return true;
      case 'false':
        return false;
      case 'null':
      case 'undefined':
        return null;
      case 'object': {
        const out: { [key: string]: JsValue } = {};
        for (const c of n.namedChildren) {
          if (c.type === 'pair') {
            const key = propertyKey(c.childForFieldName('key')) ?? keyOfComputed(c.childForFieldName('key'), depth);
            const v = value(c.childForFieldName('value'), depth + 1);
            if (key !== undefined && v !== undefined) out[key] = v;
          } else if (c.type === 'shorthand_property_identifier') {
            const v = value(c, depth + 1);
            out[c.text] = v ?? new Opaque(c);
          } else if (c.type === 'spread_element') {
            const v = value(c.namedChildren[0], depth + 1);
            if (isPlainObject(v)) Object.assign(out, v);
          } else if (c.type === 'method_definition') {
            const key = propertyKey(c.childForFieldName('name'));
            if (key !== undefined) out[key] = new Opaque(c);
          }
        }
        return out;
      }
      case 'array': {
        const out: JsValue[] = [];
        for (const c of n.namedChildren) {
          if (c.type === 'spread_element') {
            const v = value(c.namedChildren[0], depth + 1);
            if (Array.isArray(v)) out.push(...v);
          } else if (c.type !== 'comment') out.push(value(c, depth + 1) ?? new Opaque(c));
        }
        return out;
      }
      case 'identifier':
      case 'shorthand_property_identifier': {
        const b = scope.lookup(n.text, n);
        if (!b) return new Opaque(n);
        switch (b.kind) {
          case 'value':
            // A `let` reassigned later is not a constant, but route code rarely does that to paths.
            return b.value ? (value(b.value, depth + 1) ?? new Opaque(b.value)) : undefined;
          case 'pattern': {
            const v = value(b.source, depth + 1);
            return pick(v, b.path) ?? new Opaque(n, scope.refOf(n));
          }
          case 'import':
            return new Opaque(n, scope.refOf(n));
          case 'function':
          case 'class':
          case 'enum':
          case 'param':
            return new Opaque(b.kind === 'param' ? n : b.node);
        }
        return undefined;
      }
      case 'member_expression':
      case 'subscript_expression': {
        const objNode = n.childForFieldName('object');
        const key = n.type === 'member_expression' ? n.childForFieldName('property')?.text : stringValue(n.childForFieldName('index'));
        if (key === undefined) return new Opaque(n);
        if (unwrap(objNode)?.type === 'this') {
          const field = classField(n, key);
          return field ? (value(field, depth + 1) ?? new Opaque(field)) : new Opaque(n);
        }
        const obj = value(objNode, depth + 1);
        if (isPlainObject(obj) && key in obj) return obj[key];
        if (Array.isArray(obj) && /^\d+$/.test(key)) return obj[Number(key)];
        const ref = scope.refOf(n);
        return new Opaque(n, ref);
      }
      default:
        return new Opaque(n);
    }
  };

  const keyOfComputed = (key: SyntaxNode | null, depth: number): string | undefined => {
    if (key?.type !== 'computed_property_name') return undefined;
    const inner = key.namedChildren[0];
    const v = value(inner, depth + 1);
    if (typeof v === 'string') return v;
    // `[Segments.BODY]` (celebrate) and other enum-like members: their last name.
    return memberPath(inner)?.slice(-1)[0];
  };

  const classField = (at: SyntaxNode, name: string): SyntaxNode | null => {
    const cls = enclosingClass(at);
    const body = cls?.childForFieldName('body');
    if (!body) return null;
    for (const m of body.namedChildren) {
      if (m.type !== 'public_field_definition' && m.type !== 'field_definition') continue;
      const key = propertyKey(m.childForFieldName('name') ?? m.childForFieldName('property'));
      if (key === name) return m.childForFieldName('value');
    }
    // `this.path = '/users'` in the constructor.
    for (const a of descendants(body, 'assignment_expression')) {
      const left = memberPath(a.childForFieldName('left'));
      if (left && left.length === 2 && left[0] === 'this' && left[1] === name) return a.childForFieldName('right');
    }
    return null;
  };

  const string = (node: SyntaxNode | null | undefined, depth = 0): StringResult | undefined => {
    const n = unwrap(node);
    if (!n || depth > MAX_DEPTH) return undefined;
    switch (n.type) {
      case 'string':
        return { text: unquote(n), dropped: [] };
      case 'template_string': {
        let text = '';
        const dropped: string[] = [];
        for (const c of n.children) {
          if (c.type === 'string_fragment') text += c.text;
          else if (c.type === 'escape_sequence') text += unescape(c.text);
          else if (c.type === 'template_substitution') {
            const part = string(c.namedChildren[0], depth + 1);
            if (!part) return undefined;
            text += part.text;
            dropped.push(...part.dropped);
          }
        }
        return { text, dropped };
      }
      case 'binary_expression': {
        const op = n.child(1)?.type;
        if (op === '||' || op === '??') {
          // `process.env.PREFIX || '/api'`: the default when the left side is only known at run time.
          const left = string(n.childForFieldName('left'), depth + 1);
          if (left && left.dropped.length === 0 && !left.text.includes('{{const:')) return left;
          const right = string(n.childForFieldName('right'), depth + 1);
          return right ? { text: right.text, dropped: [...right.dropped, compact(n.childForFieldName('left')?.text ?? '', 60)] } : undefined;
        }
        if (op !== '+') return undefined;
        const left = string(n.childForFieldName('left'), depth + 1);
        const right = string(n.childForFieldName('right'), depth + 1);
        return left && right ? { text: left.text + right.text, dropped: [...left.dropped, ...right.dropped] } : undefined;
      }
      case 'number':
        return { text: n.text, dropped: [] };
      case 'call_expression': {
        // path.join / path.posix.join / String(x)
        const callee = memberPath(n.childForFieldName('function'))?.join('.');
        const args = argumentsOf(n);
        if (callee && /^(path\.(posix\.)?join|join|posix\.join)$/.test(callee)) {
          const parts = args.map((a) => string(a, depth + 1));
          if (parts.some((p) => !p)) return undefined;
          const text = parts.map((p) => p!.text).join('/').replace(/\/{2,}/g, '/');
          return { text, dropped: parts.flatMap((p) => p!.dropped) };
        }
        if (callee === 'String' && args.length === 1) return string(args[0], depth + 1);
        return undefined;
      }
      case 'identifier':
      case 'member_expression':
      case 'subscript_expression': {
        const v = value(n, depth + 1);
        if (typeof v === 'string') return { text: v, dropped: [] };
        if (typeof v === 'number') return { text: String(v), dropped: [] };
        const path = memberPath(n);
        const last = path?.[path.length - 1];
        if (v instanceof Opaque && v.ref) {
          // Resolved by the link step from the constants of all files (`Paths.USERS`, else `USERS`).
          const name = path && path.length > 1 ? path.slice(-2).join('.') : v.ref.name.split('.').pop()!;
          return { text: `{{const:${name}}}`, dropped: [] };
        }
        if (last && RUNTIME_PREFIX.test(last)) return { text: '', dropped: [n.text] };
        if (v instanceof Opaque && path && path.length >= 1) {
          const b = scope.lookup(path[0]!, n);
          // A name not declared in this file (a global, or a constant class of another file).
          if (!b || b.kind === 'import') return { text: `{{const:${path.slice(-2).join('.')}}}`, dropped: [] };
        }
        return undefined;
      }
      default:
        return undefined;
    }
  };

  return {
    value: (n) => value(n),
    string: (n) => string(n),
    constants() {
      const out: Record<string, string> = {};
      for (const d of descendants(scope.root, 'variable_declarator', { stopAt: ['function_declaration', 'arrow_function', 'function_expression', 'class_body', 'method_definition'] })) {
        const name = d.childForFieldName('name');
        if (name?.type !== 'identifier') continue;
        const v = value(d.childForFieldName('value'));
        if (typeof v === 'string') out[name.text] = v;
        else if (isPlainObject(v)) {
          for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[`${name.text}.${k}`] = x;
        }
      }
      return out;
    },
  };
}

function pick(v: JsValue | undefined, path: readonly string[]): JsValue | undefined {
  let cur = v;
  for (const p of path) {
    if (!isPlainObject(cur) || !(p in cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}
