/**
 * The `when` language of business-event mapping rules: a small, side-effect-free condition over
 * one row change, compiled once into a tree of closures and evaluated per change. It owns the
 * grammar, the comparison semantics and their exact decimal arithmetic; parsing is jsep's
 * (https://github.com/EricSmekens/jsep), with jsep's process-wide operator tables swapped for
 * ours only for the duration of one synchronous parse, so other jsep users are unaffected.
 * Nothing here calls `eval`, `Function`, or reads a property that is not a row's own column.
 *
 * Grammar (lowest precedence first):
 *   - `a or b`, `a || b`; then `a and b`, `a && b`;
 *   - `not a`, `!a`: below comparisons, as in Python and SQL, so `not after.qty > 0` is
 *     `not (after.qty > 0)`; a parenthesized `(not a)` stays a condition;
 *   - comparisons, never chained: `==`, `!=`, `<`, `<=`, `>`, `>=`, `x in [..]`, `x not in [..]`,
 *     `x is null`, `x is not null`;
 *   - operands: `before.<column>`, `after.<column>` (or `after['odd name']`), `op` (`'c'`, `'u'`,
 *     `'d'`, `'r'`), `table` (schema-qualified, e.g. `'public.orders'`), and literals: strings in
 *     single or double quotes (backslash escapes), numbers (`-12.50`, `1e3`), `true`, `false`, `null`.
 *   No function calls, no deeper member access, no assignment, no other operators; operators and
 *   literals are lowercase. Errors carry the 1-based column (UTF-16 offset + 1 in the expression).
 *
 * Values are the JSON the sources produce (see bridges/change.ts); a missing row or column is null.
 *   - null: `x == null` and `x is null` are the same test; `null == null` is true; `!=` is the
 *     negation of `==`; `<`, `<=`, `>`, `>=` with a null side are false (so is `null <= null`).
 *   - Numbers compare exactly by decimal value whenever either side is numeric: a number literal, a
 *     JSON number, or a column the caller declared numeric (`kinds`). The other side may be a JSON
 *     number or a decimal string (numeric/decimal/bigint are carried as exact strings), so
 *     `after.total >= 1000` compares '1000.50' with 1000 exactly, '10.0' == 10 is true, and
 *     '123456789012345678901234.5' > '123456789012345678901234.4' is true; no float is involved.
 *     A side that is not a decimal (e.g. 'NaN', 'abc') makes `==` false and ordering false.
 *   - Two strings, neither from a numeric column, compare by UTF-16 code units (JavaScript `<`),
 *     not by any database collation. ISO-8601 timestamps in one zone compare chronologically.
 *   - Booleans are equal or not, never ordered; `true` equals 1 and `false` equals 0 (MySQL carries
 *     BOOLEAN as TINYINT(1)). JSON objects/arrays are equal by structure; never ordered.
 *   - Values of different kinds are different (`!=` true), never ordered.
 *   - A bare operand used as a condition (`after.is_vip and ...`) is true only for `true` or a
 *     non-zero number; to test presence write `is not null`. With `kinds`, a bare non-boolean
 *     column is refused at compile time for that reason.
 * Evaluation never throws: an unexpected failure evaluates to false.
 */
import jsep from 'jsep';
import type { ColumnInfo, JsonValue, Op, Row } from './change.js';
import { ExpressionError } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/** How a column's values are carried in events, as far as comparisons care. */
export type ValueKind = 'number' | 'boolean' | 'string' | 'json';

/** What an expression is evaluated against; a `RowChange` is one. */
export interface ExpressionInput {
  op: Op;
  /** With `schema`, the `table` identifier evaluates to `schema.table`. */
  schema?: string;
  table: string;
  before: Row | null;
  after: Row | null;
}

export interface ExpressionOptions {
  /**
   * Columns that may be referenced in `before` and `after`. A null set means that row never exists
   * for the changes this expression is used with (referencing it is an error). Omitted: any
   * column name is accepted (a missing one is null at run time).
   */
  columns?: { before: ReadonlySet<string> | null; after: ReadonlySet<string> | null };
  /** Name of the table, for error messages (`unknown column x in after (table public.orders has: ...)`). */
  table?: string;
  /** Value kind per column (see {@link valueKindOf}): turns on numeric comparison of decimal strings and type checks. */
  kinds?: ReadonlyMap<string, ValueKind>;
}

/** A compiled `when` expression. */
export interface CompiledExpression {
  /** The expression text as given. */
  readonly source: string;
  /** True when the change satisfies the expression. Never throws. */
  evaluate(change: ExpressionInput): boolean;
  /** Row columns referenced, as `before.<column>` / `after.<column>`, in order of first use. */
  readonly columns: string[];
}

/**
 * Parses and type-checks `source` and compiles it to a closure tree.
 * @throws ExpressionError (`FICUS_BR_EXPRESSION`, with `.column`) on a syntax error, an unknown
 *   name or column, a reference to an unavailable row, or a comparison that can never make sense.
 */
export function compileExpression(source: string, options: ExpressionOptions = {}): CompiledExpression {
  if (typeof source !== 'string') throw new ExpressionError(String(source), 1, 'expression must be a string');
  const parsed = parse(source);
  const compiler = new Compiler(source, parsed, options);
  const root = compiler.predicate(parsed.ast);
  const evaluate = (change: ExpressionInput): boolean => {
    try {
      return root(change);
    } catch {
      return false;
    }
  };
  return Object.freeze({ source, evaluate, columns: compiler.referenced });
}

/**
 * The value kind of a column from what its source reports: the JSON Schema type first, then the
 * database type name (PostgreSQL numeric/bigint are JSON strings but compare as numbers).
 */
export function valueKindOf(column: ColumnInfo): ValueKind {
  const t = column.type.trim().toLowerCase();
  // MySQL's BOOLEAN is TINYINT(1), carried as 0/1.
  if (/^(bool|boolean|tinyint\s*\(\s*1\s*\)|bit\s*\(\s*1\s*\)|bit)$/.test(t)) return 'boolean';
  const types = schemaTypes(column.jsonSchema);
  if (types.has('number') || types.has('integer')) return 'number';
  if (types.has('boolean')) return 'boolean';
  if (types.has('object') || types.has('array')) return 'json';
  // Exact numerics travel as decimal strings; only the database type says they are numbers.
  if (/^(numeric|decimal|dec|number|fixed|bigint|int|integer|int2|int4|int8|smallint|mediumint|tinyint|serial|bigserial|smallserial|serial4|serial8|real|float|float4|float8|double)\b/.test(t)) {
    return 'number';
  }
  if (/^(json|jsonb)\b/.test(t) || t.endsWith('[]')) return 'json';
  return 'string';
}

/** The JSON types a schema allows, looking through `anyOf` (as sources write nullable or NaN-able types). */
function schemaTypes(schema: Record<string, unknown>): Set<unknown> {
  const out = new Set<unknown>();
  const declared = schema['type'];
  for (const t of Array.isArray(declared) ? declared : [declared]) if (t !== undefined && t !== 'null') out.add(t);
  const anyOf = schema['anyOf'];
  if (Array.isArray(anyOf)) {
    for (const sub of anyOf) if (sub && typeof sub === 'object') for (const t of schemaTypes(sub as Record<string, unknown>)) out.add(t);
  }
  return out;
}

/** The kind of every column of a table, for {@link ExpressionOptions.kinds}. */
export function valueKinds(columns: readonly ColumnInfo[]): Map<string, ValueKind> {
  return new Map(columns.map((c) => [c.name, valueKindOf(c)]));
}

// ---------------------------------------------------------------------------------------------
// Parsing: jsep with our operator tables and position tracking
// ---------------------------------------------------------------------------------------------

type Node = jsep.Expression;

/** The parts of jsep's parser class we use; its typings do not export the class. */
interface JsepParser {
  index: number;
  readonly expr: string;
  readonly char: string;
  gobbleSpaces(): void;
  gobbleExpression(): Node | false | undefined;
  gobbleToken(): Node | false | undefined;
  gobbleIdentifier(): Node;
  gobbleGroup(): Node | false | undefined;
  gobbleBinaryOp(): string | false;
  throwError(message: string): never;
  parse(): Node;
}

/** jsep's mutable static grammar tables (process-wide). */
interface JsepGrammar {
  unary_ops: Record<string, number>;
  binary_ops: Record<string, number>;
  max_unop_len: number;
  max_binop_len: number;
  right_associative: Set<string>;
  additional_identifier_chars: Set<string>;
  literals: Record<string, unknown>;
  this_str: string;
  hooks: object;
}
type JsepClass = (new (expr: string) => JsepParser) & JsepGrammar;

const Jsep = (jsep as unknown as { Jsep: JsepClass }).Jsep;

/** Precedence: higher binds tighter. All comparisons share one level, as in Python. */
const CMP = 6;
const GRAMMAR: JsepGrammar = {
  unary_ops: { not: 1, '!': 1, '-': 1 },
  binary_ops: { or: 1, '||': 1, and: 2, '&&': 2, '==': CMP, '!=': CMP, '<': CMP, '<=': CMP, '>': CMP, '>=': CMP, in: CMP, 'not in': CMP, is: CMP, 'is not': CMP },
  max_unop_len: 3,
  max_binop_len: 6,
  right_associative: new Set(),
  additional_identifier_chars: new Set(['$', '_']),
  literals: { true: true, false: false, null: null },
  this_str: '', // no identifier is empty: `this` is an ordinary (unknown) name
  hooks: {}, // no plugins: jsep's default ternary hook would accept `a ? b : c`
};
const GRAMMAR_KEYS = Object.keys(GRAMMAR) as (keyof JsepGrammar)[];

// Operators are matched here rather than by jsep so that word operators may be spaced freely
// (`is  not`, `not\nin`) and common slips get a pointed message instead of "Unexpected".
const WORD_OP = /(not\s+in|is\s+not|and|or|in|is)(?![A-Za-z0-9_$\u0080-\uffff])/iy;
const SYMBOL_OP = /==|!=|<=|>=|&&|\|\||<|>/y;

interface Parsed {
  ast: Node;
  /** Offset where each token node starts. */
  starts: WeakMap<object, number>;
  /** Nodes written inside parentheses (so `(not a) == b` is not read as `not (a == b)`). */
  grouped: WeakSet<object>;
}

class Parser extends Jsep {
  readonly starts = new WeakMap<object, number>();
  readonly grouped = new WeakSet<object>();

  override parse(): Node {
    const node = this.gobbleExpression();
    if (!node) this.throwError(this.index < this.expr.length ? `unexpected "${this.char}"` : 'empty expression');
    if (this.index < this.expr.length) this.throwError(`expected an operator or the end, got "${this.char}"`);
    return node;
  }

  override gobbleToken(): Node | false | undefined {
    this.gobbleSpaces();
    const start = this.index;
    const node = super.gobbleToken();
    if (node && !this.starts.has(node)) this.starts.set(node, start);
    return node;
  }

  override gobbleIdentifier(): Node {
    const start = this.index;
    const node = super.gobbleIdentifier();
    this.starts.set(node, start);
    return node;
  }

  override gobbleGroup(): Node | false | undefined {
    const node = super.gobbleGroup();
    if (node) this.grouped.add(node);
    return node;
  }

  override gobbleBinaryOp(): string | false {
    this.gobbleSpaces();
    const at = this.index;
    WORD_OP.lastIndex = at;
    const word = WORD_OP.exec(this.expr);
    if (word) {
      const op = word[1]!.replace(/\s+/, ' ');
      if (op !== op.toLowerCase()) this.throwError(`write the operator ${op.toLowerCase()} in lowercase`);
      this.index = WORD_OP.lastIndex;
      return op;
    }
    const slip = ['===', '!==', '<>'].find((s) => this.expr.startsWith(s, at)) ?? (this.char === '=' && !this.expr.startsWith('==', at) ? '=' : undefined);
    if (slip) this.throwError(`unknown operator ${slip}: use ${slip === '===' || slip === '=' ? '==' : '!='} to compare`);
    SYMBOL_OP.lastIndex = at;
    const symbol = SYMBOL_OP.exec(this.expr);
    if (symbol) {
      this.index = SYMBOL_OP.lastIndex;
      return symbol[0];
    }
    return false;
  }
}

/** One synchronous parse under our grammar; jsep's tables are restored before returning. */
function parse(source: string): Parsed {
  const saved = {} as Record<keyof JsepGrammar, unknown>;
  const target = Jsep as unknown as Record<keyof JsepGrammar, unknown>;
  for (const key of GRAMMAR_KEYS) {
    saved[key] = target[key];
    target[key] = GRAMMAR[key];
  }
  try {
    const parser = new Parser(source);
    const ast = parser.parse();
    return { ast, starts: parser.starts, grouped: parser.grouped };
  } catch (err) {
    throw translateParseError(source, err);
  } finally {
    for (const key of GRAMMAR_KEYS) target[key] = saved[key];
  }
}

/** jsep throws plain Errors with `index` and `description`: the one boundary where they become ours. */
function translateParseError(source: string, err: unknown): unknown {
  if (err instanceof Error && typeof (err as { index?: unknown }).index === 'number') {
    const { index, description } = err as Error & { index: number; description?: unknown };
    const message = typeof description === 'string' ? description : err.message;
    return new ExpressionError(source, Math.min(index, source.length) + 1, lowerFirst(message));
  }
  return err;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

// ---------------------------------------------------------------------------------------------
// Exact decimals
// ---------------------------------------------------------------------------------------------

/** sign × 0.digits × 10^exp, `digits` without leading or trailing zeros; ±Infinity has exp Infinity. */
interface Decimal {
  sign: -1 | 0 | 1;
  exp: number;
  digits: string;
}

const ZERO: Decimal = { sign: 0, exp: 0, digits: '' };
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** The exact value of a decimal text (`-12.50`, `.5`, `1e-3`, `Infinity`), or undefined. */
function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL.exec(text);
  if (!m) {
    if (text === 'Infinity' || text === '+Infinity') return { sign: 1, exp: Infinity, digits: '' };
    if (text === '-Infinity') return { sign: -1, exp: Infinity, digits: '' };
    return undefined;
  }
  const int = m[2]!;
  const frac = m[3] ?? '';
  if (int === '' && frac === '') return undefined;
  const all = int + frac;
  let lead = 0;
  while (lead < all.length && all.charCodeAt(lead) === 48) lead++;
  if (lead === all.length) return ZERO;
  let end = all.length;
  while (all.charCodeAt(end - 1) === 48) end--;
  const e = m[4] === undefined ? 0 : Number(m[4]);
  if (!Number.isSafeInteger(e)) return undefined;
  return { sign: m[1] === '-' ? -1 : 1, exp: int.length - lead + e, digits: all.slice(lead, end) };
}

function compareDecimal(a: Decimal, b: Decimal): -1 | 0 | 1 {
  if (a.sign !== b.sign) return a.sign < b.sign ? -1 : 1;
  if (a.sign === 0) return 0;
  // Same sign: the larger exponent has the larger magnitude; with equal exponents the digit
  // strings compare lexicographically (no trailing zeros, so a proper prefix is smaller).
  const magnitude = a.exp !== b.exp ? (a.exp < b.exp ? -1 : 1) : a.digits < b.digits ? -1 : a.digits > b.digits ? 1 : 0;
  return (magnitude * a.sign) as -1 | 0 | 1;
}

/** A JSON number's exact decimal (its shortest round-trip text), or a decimal string's. */
function toDecimal(v: JsonValue): Decimal | undefined {
  if (typeof v === 'number') return parseDecimal(String(v));
  if (typeof v === 'string') return parseDecimal(v);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

// Outcomes of comparing two values: ordered (LT, EQ, GT), or unordered but equal or different.
const LT = -1;
const EQ = 0;
const GT = 1;
const SAME = 2;
const DIFF = 3;

/** Static facts about an operand that comparisons use. */
interface Operand {
  get: (c: ExpressionInput) => JsonValue;
  /** Compare it numerically with decimal strings (number literal, or numeric column). */
  numeric: boolean;
  /** For literals: the value's exact decimal, computed once. */
  dec: Decimal | undefined;
  kind: ValueKind | 'null' | 'op' | 'table' | undefined;
  literal: boolean;
  /** The constant value, for literals. */
  value: JsonValue;
  /** As written, for messages. */
  text: string;
  node: Node;
}

function compareValues(a: JsonValue, ao: Operand, b: JsonValue, bo: Operand): number {
  if (a === null || b === null) return a === b ? SAME : DIFF;
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'number' && tb === 'number') return (a as number) < (b as number) ? LT : (a as number) > (b as number) ? GT : EQ;
  if (ta === 'number' || tb === 'number' || ao.numeric || bo.numeric) {
    if (ta === 'boolean' || tb === 'boolean') return boolNumber(a, b);
    const da = ao.dec ?? toDecimal(a);
    const db = bo.dec ?? toDecimal(b);
    if (da !== undefined && db !== undefined) return compareDecimal(da, db);
  }
  if (ta === 'string' && tb === 'string') return a < b ? LT : a > b ? GT : EQ;
  if (ta === 'boolean' && tb === 'boolean') return a === b ? SAME : DIFF;
  if (ta === 'object' && tb === 'object') return jsonEqual(a, b) ? SAME : DIFF;
  return DIFF;
}

/** true == 1, false == 0 (MySQL BOOLEAN is TINYINT(1)); never ordered. */
function boolNumber(a: JsonValue, b: JsonValue): number {
  const norm = (v: JsonValue): JsonValue => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
  return norm(a) === norm(b) ? SAME : DIFF;
}

function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]!));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k]!, b[k]!));
}

type Test = (outcome: number) => boolean;
const TESTS: Record<string, Test> = {
  '==': (r) => r === EQ || r === SAME,
  '!=': (r) => r !== EQ && r !== SAME,
  '<': (r) => r === LT,
  '<=': (r) => r === LT || r === EQ,
  '>': (r) => r === GT,
  '>=': (r) => r === GT || r === EQ,
};

function truthy(v: JsonValue): boolean {
  return v === true || (typeof v === 'number' && v !== 0);
}

// ---------------------------------------------------------------------------------------------
// Compilation to closures
// ---------------------------------------------------------------------------------------------

type Predicate = (c: ExpressionInput) => boolean;

const OPS: readonly string[] = ['c', 'u', 'd', 'r'];
const ROWS = new Set(['before', 'after']);

class Compiler {
  readonly referenced: string[] = [];

  constructor(
    private readonly source: string,
    private readonly parsed: Parsed,
    private readonly options: ExpressionOptions,
  ) {}

  fail(node: Node, message: string): never {
    throw new ExpressionError(this.source, this.position(node) + 1, message);
  }

  position(node: Node): number {
    const at = this.parsed.starts.get(node);
    if (at !== undefined) return at;
    if (node.type === 'BinaryExpression') return this.position((node as jsep.BinaryExpression).left);
    if (node.type === 'MemberExpression') return this.position((node as jsep.MemberExpression).object);
    return 0;
  }

  predicate(node: Node): Predicate {
    if (node.type === 'BinaryExpression') {
      const { operator, left, right } = node as jsep.BinaryExpression;
      if (operator === 'and' || operator === '&&') {
        const l = this.predicate(left);
        const r = this.predicate(right);
        return (c) => l(c) && r(c);
      }
      if (operator === 'or' || operator === '||') {
        const l = this.predicate(left);
        const r = this.predicate(right);
        return (c) => l(c) || r(c);
      }
      // jsep binds prefix operators to the next token, reading `not a == b` as `(not a) == b`;
      // we give `not` its Python/SQL meaning, `not (a == b)`, unless the author wrote the parentheses.
      if (isNot(left) && !this.parsed.grouped.has(left)) {
        const inner: jsep.BinaryExpression = { type: 'BinaryExpression', operator, left: (left as jsep.UnaryExpression).argument, right };
        this.parsed.starts.set(inner, this.position(left));
        const p = this.predicate(inner);
        return (c) => !p(c);
      }
      return this.comparison(node as jsep.BinaryExpression);
    }
    if (isNot(node)) {
      const p = this.predicate((node as jsep.UnaryExpression).argument);
      return (c) => !p(c);
    }
    return this.condition(node);
  }

  /** An operand standing alone as a condition. */
  condition(node: Node): Predicate {
    const v = this.operand(node);
    if (v.literal) {
      if (typeof v.value !== 'boolean') this.fail(node, `${v.text} is not a condition: compare it (==, !=, <, ...) or use true/false`);
      const value = v.value;
      return () => value;
    }
    if (v.kind === 'op' || v.kind === 'table') this.fail(node, `${v.text} is not a condition: compare it, e.g. ${v.kind === 'op' ? "op == 'u'" : "table == 'public.orders'"}`);
    if (v.kind !== undefined && v.kind !== 'boolean') {
      this.fail(node, `${v.text} is a ${v.kind} column, not a condition: write ${v.text} is not null, or compare it`);
    }
    const get = v.get;
    return (c) => truthy(get(c));
  }

  comparison(node: jsep.BinaryExpression): Predicate {
    const { operator, left, right } = node;
    if (operator === 'is' || operator === 'is not') {
      const negate = operator === 'is not' || (isNot(right) && !this.parsed.grouped.has(right));
      const target = negate && operator === 'is' ? (right as jsep.UnaryExpression).argument : right;
      if (!(target.type === 'Literal' && (target as jsep.Literal).value === null)) {
        this.fail(target, `${operator} compares with null only (x ${operator} null); use == or != for values`);
      }
      const get = this.value(left, operator).get;
      return negate ? (c) => get(c) !== null : (c) => get(c) === null;
    }
    if (operator === 'in' || operator === 'not in') {
      const p = this.membership(left, right);
      return operator === 'in' ? p : (c) => !p(c);
    }
    const test = TESTS[operator];
    if (!test) this.fail(node, `unsupported operator ${operator}`);
    const a = this.value(left, operator);
    const b = this.value(right, operator);
    this.checkComparable(a, b, operator);
    this.checkComparable(b, a, operator);
    // Equality with a literal that no other value can equal loosely is plain `===`.
    if (operator === '==' || operator === '!=') {
      const fast = strictLiteral(a, b) ?? strictLiteral(b, a);
      if (fast) {
        const { get, value } = fast;
        return operator === '==' ? (c) => get(c) === value : (c) => get(c) !== value;
      }
    }
    const ga = a.get;
    const gb = b.get;
    return (c) => test(compareValues(ga(c), a, gb(c), b));
  }

  membership(left: Node, right: Node): Predicate {
    const a = this.value(left, 'in');
    if (right.type !== 'ArrayExpression') this.fail(right, 'in needs a list: x in [\'a\', \'b\']');
    const elements = (right as jsep.ArrayExpression).elements.map((e) => {
      if (e === null) this.fail(right, 'empty element in list');
      const v = this.value(e, 'in');
      this.checkComparable(a, v, '==');
      this.checkComparable(v, a, '==');
      return v;
    });
    // The common case, a column in a list of plain strings, is a set lookup.
    if (!a.numeric && elements.every((e) => e.literal && typeof e.value === 'string' && e.dec === undefined)) {
      const set = new Set(elements.map((e) => e.value as string));
      const get = a.get;
      return (c) => {
        const v = get(c);
        return typeof v === 'string' && set.has(v);
      };
    }
    const get = a.get;
    return (c) => {
      const v = get(c);
      for (const e of elements) {
        const r = compareValues(v, a, e.get(c), e);
        if (r === EQ || r === SAME) return true;
      }
      return false;
    };
  }

  /** An operand of a comparison: not itself a condition. */
  value(node: Node, operator: string): Operand {
    if (isNot(node)) this.fail(node, `cannot compare a negated condition with ${operator}; put not before the whole comparison`);
    if (node.type === 'BinaryExpression') {
      const what = (node as jsep.BinaryExpression).operator;
      if (['and', 'or', '&&', '||'].includes(what)) this.fail(node, `cannot compare the result of ${what} with ${operator}: compare each operand of ${what} instead`);
      this.fail(node, `comparisons cannot be chained (${what} then ${operator}); join them with and`);
    }
    return this.operand(node);
  }

  operand(node: Node): Operand {
    switch (node.type) {
      case 'Literal':
        return this.literal(node as jsep.Literal, node);
      case 'UnaryExpression': {
        const u = node as jsep.UnaryExpression;
        if (u.operator === '-' && u.argument.type === 'Literal' && typeof (u.argument as jsep.Literal).value === 'number') {
          const lit = u.argument as jsep.Literal;
          return this.literal({ ...lit, value: -(lit.value as number), raw: `-${lit.raw}` }, node);
        }
        return this.fail(node, `${u.operator} only applies to a number literal here`);
      }
      case 'Identifier':
        return this.identifier(node as jsep.Identifier);
      case 'MemberExpression':
        return this.column(node as jsep.MemberExpression);
      case 'CallExpression':
        return this.fail(node, 'function calls are not supported');
      case 'ArrayExpression':
        return this.fail(node, 'a list is only allowed after in / not in');
      case 'SequenceExpression':
      case 'Compound':
        return this.fail(node, 'expected one expression, found several separated by , or ;');
      default:
        return this.fail(node, `unsupported syntax (${node.type})`);
    }
  }

  literal(lit: jsep.Literal, node: Node): Operand {
    const base = { literal: true, text: lit.raw, node };
    const v = lit.value;
    if (typeof v === 'number') {
      const dec = parseDecimal(lit.raw);
      if (dec === undefined) this.fail(node, `bad number ${lit.raw}`);
      // Keep the double only when it is exactly the written decimal; otherwise the text, so that
      // 12345678901234567890.5 is compared as written, never rounded.
      const exact = Number.isFinite(v) && compareDecimal(parseDecimal(String(v))!, dec) === 0;
      const value = exact ? v : lit.raw;
      return { ...base, get: () => value, numeric: true, dec, kind: 'number', value };
    }
    if (typeof v === 'string') return { ...base, get: () => v, numeric: false, dec: parseDecimal(v), kind: 'string', value: v };
    if (typeof v === 'boolean') return { ...base, get: () => v, numeric: false, dec: undefined, kind: 'boolean', value: v };
    if (v === null) return { ...base, get: () => null, numeric: false, dec: undefined, kind: 'null', value: null };
    return this.fail(node, `unsupported literal ${lit.raw}`);
  }

  identifier(id: jsep.Identifier): Operand {
    const base = { numeric: false, dec: undefined, literal: false, value: null, text: id.name, node: id };
    if (id.name === 'op') return { ...base, get: (c) => c.op, kind: 'op' };
    if (id.name === 'table') {
      return { ...base, get: (c) => (c.schema ? `${c.schema}.${c.table}` : c.table), kind: 'table' };
    }
    if (ROWS.has(id.name)) return this.fail(id, `${id.name} needs a column: ${id.name}.<column>`);
    return this.fail(id, `unknown name ${id.name}: use before.<column>, after.<column>, op or table`);
  }

  column(m: jsep.MemberExpression): Operand {
    const object = m.object;
    if (object.type !== 'Identifier' || !ROWS.has((object as jsep.Identifier).name)) {
      if (object.type === 'MemberExpression') this.fail(m.property, 'only one level of member access: before.<column> or after.<column>');
      return this.fail(object, 'only before.<column> and after.<column> have members');
    }
    const row = (object as jsep.Identifier).name as 'before' | 'after';
    if (m.optional) this.fail(m, `?. is not needed: a missing ${row} row or column is null`);
    let name: string;
    if (!m.computed && m.property.type === 'Identifier') name = (m.property as jsep.Identifier).name;
    else if (m.computed && m.property.type === 'Literal' && typeof (m.property as jsep.Literal).value === 'string') name = (m.property as jsep.Literal).value as string;
    else return this.fail(m.property, `a column name must be an identifier or a quoted string: ${row}.<column> or ${row}['<column>']`);

    const available = this.options.columns;
    if (available) {
      const set = available[row];
      if (set === null) this.fail(m, `${row}.${name}: there is no ${row} row in the changes this expression applies to`);
      if (!set.has(name)) {
        const table = this.options.table ? `table ${this.options.table}` : row;
        this.fail(m.property, `unknown column ${name} in ${row} (${table} has: ${[...set].join(', ')})`);
      }
    } else if (name === '__proto__') {
      this.fail(m.property, `unknown column ${name}`);
    }
    const ref = `${row}.${name}`;
    if (!this.referenced.includes(ref)) this.referenced.push(ref);
    const kind = this.options.kinds?.get(name);
    // Own properties only: a column named `constructor` must not reach Object.prototype.
    const get =
      row === 'before'
        ? (c: ExpressionInput): JsonValue => {
            const r = c.before;
            return r != null && Object.hasOwn(r, name) ? (r[name] ?? null) : null;
          }
        : (c: ExpressionInput): JsonValue => {
            const r = c.after;
            return r != null && Object.hasOwn(r, name) ? (r[name] ?? null) : null;
          };
    return { get, numeric: kind === 'number', dec: undefined, kind, literal: false, value: null, text: ref, node: m };
  }

  /** Refuses comparisons of `a` with `b` that can never be true or are certainly a mistake. */
  checkComparable(a: Operand, b: Operand, operator: string): void {
    const ordering = operator !== '==' && operator !== '!=';
    if (ordering && b.literal && (b.kind === 'null' || b.kind === 'boolean')) {
      this.fail(b.node, `${b.text} cannot be ordered with ${operator}${b.kind === 'null' ? '; use is null / is not null' : ''}`);
    }
    if (a.kind === 'op') {
      if (ordering) this.fail(a.node, `op can only be compared with ==, != or in`);
      if (b.literal && (typeof b.value !== 'string' || !OPS.includes(b.value))) {
        this.fail(b.node, `op is one of 'c' (insert), 'u' (update), 'd' (delete), 'r' (snapshot read); got ${b.text}`);
      }
    }
    if (a.kind === 'table' && b.literal && (typeof b.value !== 'string' || !b.value.includes('.'))) {
      this.fail(b.node, `table is schema-qualified, e.g. 'public.orders'; got ${b.text}`);
    }
    if (!a.literal && a.kind === 'boolean' && ordering) this.fail(a.node, `${a.text} is a boolean column and cannot be ordered with ${operator}`);
    if (!a.literal && b.literal && b.kind !== 'null') {
      if (a.kind === 'number' && b.kind === 'string' && b.dec === undefined) {
        this.fail(b.node, `${a.text} is a number column; ${b.text} is not a number`);
      }
      if (a.kind === 'boolean') {
        if (b.kind === 'string' || (b.kind === 'number' && b.value !== 0 && b.value !== 1)) {
          this.fail(b.node, `${a.text} is a boolean column; compare it with true or false, not ${b.text}`);
        }
      }
    }
  }
}

function isNot(node: Node): boolean {
  return node.type === 'UnaryExpression' && ((node as jsep.UnaryExpression).operator === 'not' || (node as jsep.UnaryExpression).operator === '!');
}

/**
 * When `b` is a literal that equals a value exactly when the value is `===` to it (a string that
 * is not a decimal, or null) and `a` is not numeric, `==` is `===`.
 */
function strictLiteral(a: Operand, b: Operand): { get: Operand['get']; value: JsonValue } | undefined {
  if (!b.literal || a.numeric || a.literal) return undefined;
  if (b.kind === 'null' || (b.kind === 'string' && b.dec === undefined)) return { get: a.get, value: b.value };
  return undefined;
}
