/**
 * Business rules in Python function bodies (route handlers, view methods, dependency functions,
 * pydantic validators, serializer `validate_<field>` methods), each tied to its exact lines:
 * - guard clauses that reject input (`if not user: abort(404)`, `if x < 0: raise
 *   HTTPException(400, ...)`, `return {...}, 400`, `raise ValidationError(...)`, an `except` that
 *   answers 404, `assert`) → `validation`, with the condition and the status and message;
 * - assignments that compute business values with arithmetic (`total = item.price * qty`) →
 *   `calculation`;
 * - `match` on string literals and `if/elif` chains comparing one subject with string literals →
 *   `decision`.
 * Trivial code (counters, pagination arithmetic, string building, `request.method` dispatch) makes
 * no rule.
 */
import type { Rule } from '../model.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import { endLineOf, lineOf } from '../service/tree-sitter.js';
import type { PyContext } from './context.js';
import { statusOfStatement, type StatusUse } from './statuses.js';
import { callName, comparisonOperators, dottedName, lastName, literalValue, oneLine, statementsOf, stringValue } from './syntax.js';

export interface RuleOptions {
  /** `UserController.create`, `UserCreate.check_age`: part of the rule ids. */
  scope: string;
  /** Validators reject with any `raise` (ValueError, ValidationError); handlers need an HTTP status or an exception. */
  mode: 'handler' | 'validator';
  /** What a validator validates (`UserCreate.password`), named in statements and fields. */
  subject?: string;
  /** Status the framework answers when a validator rejects (422 for pydantic in FastAPI, 400 for DRF). */
  validatorStatus?: number;
}

interface Cond {
  text: string;
}

/** Adds the rules of one function body to the file's rules; returns their ids in source order. */
export function functionRules(fn: SyntaxNode, ctx: PyContext, options: RuleOptions): string[] {
  const body = fn.childForFieldName('body');
  if (!body) return [];
  const ids: string[] = [];
  const add = (rule: Rule): void => {
    ids.push(rule.id);
  };
  walk(body, [], ctx, options, add);
  return ids;
}

function walk(block: SyntaxNode, path: Cond[], ctx: PyContext, o: RuleOptions, add: (r: Rule) => void): void {
  for (const s of statementsOf(block)) {
    switch (s.type) {
      case 'if_statement':
        ifRules(s, path, ctx, o, add);
        break;
      case 'match_statement':
        matchRule(s, path, ctx, o, add);
        for (const c of s.childForFieldName('body')?.namedChildren ?? []) {
          const cons = c.childForFieldName('consequence');
          if (cons) walk(cons, [...path, { text: `case ${oneLine(c.namedChildren.find((x) => x.type === 'case_pattern') ?? c, 60)}` }], ctx, o, add);
        }
        break;
      case 'try_statement':
        for (const c of s.namedChildren) {
          if (c.type === 'block') walk(c, path, ctx, o, add);
          else if (c.type === 'except_clause') exceptRule(c, path, ctx, o, add);
          else if (c.type === 'else_clause' || c.type === 'finally_clause') {
            const b = c.namedChildren.find((x) => x.type === 'block');
            if (b) walk(b, path, ctx, o, add);
          }
        }
        break;
      case 'for_statement':
      case 'while_statement':
      case 'with_statement': {
        const b = s.childForFieldName('body') ?? s.namedChildren.find((x) => x.type === 'block');
        const head = s.type === 'for_statement' ? `for ${oneLine(s.childForFieldName('left') ?? s, 40)} in ${oneLine(s.childForFieldName('right') ?? s, 60)}` : s.type === 'while_statement' ? `while ${oneLine(s.childForFieldName('condition') ?? s, 80)}` : undefined;
        if (b) walk(b, head ? [...path, { text: head }] : path, ctx, o, add);
        break;
      }
      case 'assert_statement':
        if (o.mode === 'validator') assertRule(s, path, ctx, o, add);
        break;
      case 'expression_statement':
        calculationRule(s, path, ctx, o, add);
        break;
      default:
        break;
    }
  }
}

/** A statement that rejects: an HTTP 4xx, or (validators) any raise; handlers also count a raise of an application exception. */
function rejectionOf(stmt: SyntaxNode, o: RuleOptions): { status?: number; message?: string; effect: string } | undefined {
  const use: StatusUse | undefined = statusOfStatement(stmt);
  // A client error is a rejection of the input; a 5xx is a failure, not a rule.
  if (use && use.status >= 400 && use.status < 500) return { status: use.status, ...(use.message !== undefined ? { message: use.message } : {}), effect: effectText(use.status, use.message) };
  if (use) return undefined;
  if (stmt.type === 'raise_statement') {
    const value = stmt.namedChildren.find((c) => c.type !== 'comment');
    if (!value) return undefined; // bare re-raise
    const message = value.type === 'call' ? firstString(value) : undefined;
    const status = o.mode === 'validator' ? o.validatorStatus : undefined;
    const name = value.type === 'call' ? callName(value) : dottedName(value);
    const effect = status !== undefined ? effectText(status, message) : message !== undefined ? `raise ${name ?? 'error'} "${message}"` : `raise ${oneLine(value, 80)}`;
    return { ...(status !== undefined ? { status } : {}), ...(message !== undefined ? { message } : {}), effect };
  }
  return undefined;
}

function effectText(status: number, message: string | undefined): string {
  return message !== undefined ? `${status} "${oneLine(message, 120)}"` : `${status}`;
}

function firstString(call: SyntaxNode): string | undefined {
  for (const a of call.childForFieldName('arguments')?.namedChildren ?? []) {
    const v = stringValue(a.type === 'keyword_argument' ? a.childForFieldName('value') : a);
    if (v !== undefined) return v;
  }
  return undefined;
}

function guardRule(condNode: SyntaxNode | string, clauseStart: SyntaxNode, consequence: SyntaxNode, path: Cond[], ctx: PyContext, o: RuleOptions, add: (r: Rule) => void): void {
  const stmts = statementsOf(consequence);
  // The rejection must be what the branch does: its first or its last statement (logging may come first).
  for (const stmt of [stmts[0], stmts[stmts.length - 1]]) {
    if (!stmt) continue;
    const rej = rejectionOf(stmt, o);
    if (!rej) continue;
    const condition = typeof condNode === 'string' ? condNode : oneLine(condNode);
    const fields = typeof condNode === 'string' ? [] : fieldsIn(condNode);
    const what = o.subject ? `${o.subject} is invalid` : 'the request is rejected';
    const statement = `When ${condition}, ${what}${rej.status !== undefined ? ` with ${rej.status}` : ''}${rej.message !== undefined ? `: "${oneLine(rej.message, 120)}"` : rej.status === undefined ? ` (${rej.effect})` : ''}.`;
    add(
      ctx.rules.add({
        kind: 'validation',
        scope: o.scope,
        statement,
        condition,
        effects: [rej.effect],
        fields: o.subject ? [lastName(o.subject), ...fields] : fields,
        evidence: [{ path: ctx.path, startLine: lineOf(clauseStart), endLine: Math.max(lineOf(clauseStart), endLineOf(stmt)) }],
        path: path.map((p) => p.text),
      }),
    );
    return;
  }
}

function ifRules(s: SyntaxNode, path: Cond[], ctx: PyContext, o: RuleOptions, add: (r: Rule) => void): void {
  const cond = s.childForFieldName('condition');
  const cons = s.childForFieldName('consequence');
  if (!cond || !cons) return;
  decisionRule(s, path, ctx, o, add);
  const dispatch = isMethodDispatch(cond);
  if (!dispatch) guardRule(cond, s, cons, path, ctx, o, add);
  walk(cons, dispatch ? path : [...path, { text: `if ${oneLine(cond, 100)}` }], ctx, o, add);
  const previous = [oneLine(cond, 100)];
  for (const alt of s.namedChildren) {
    if (alt.type === 'elif_clause') {
      const c = alt.childForFieldName('condition');
      const b = alt.childForFieldName('consequence');
      if (!c || !b) continue;
      if (!isMethodDispatch(c)) guardRule(c, alt, b, path, ctx, o, add);
      walk(b, isMethodDispatch(c) ? path : [...path, { text: `elif ${oneLine(c, 100)}` }], ctx, o, add);
      previous.push(oneLine(c, 100));
    } else if (alt.type === 'else_clause') {
      const b = alt.childForFieldName('body') ?? alt.namedChildren.find((x) => x.type === 'block');
      if (!b) continue;
      const negated = previous.map((p) => negate(p)).join(' and ');
      if (!dispatch) guardRule(negated, alt, b, path, ctx, o, add);
      walk(b, dispatch ? path : [...path, { text: `else (${negated})` }], ctx, o, add);
    }
  }
}

/** The negation of a condition, simplified for the common shapes (`x is not None` → `x is None`). */
function negate(text: string): string {
  if (/^not \(.*\)$/.test(text) && balanced(text.slice(5, -1))) return text.slice(5, -1);
  if (/^not [\w.]+$/.test(text)) return text.slice(4);
  if (/^[\w.\[\]'"]+$/.test(text)) return `not ${text}`;
  const flips: [RegExp, string][] = [
    [/^([\w.]+) is not None$/, '$1 is None'],
    [/^([\w.]+) is None$/, '$1 is not None'],
    [/^([\w.]+) == (.+)$/, '$1 != $2'],
    [/^([\w.]+) != (.+)$/, '$1 == $2'],
  ];
  for (const [re, to] of flips) if (re.test(text) && !/ (and|or) /.test(text)) return text.replace(re, to);
  return `not (${text})`;
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** `request.method == 'POST'`: routing, not a business rule. */
function isMethodDispatch(cond: SyntaxNode): boolean {
  return /\b(request|req)\.method\b/.test(cond.text);
}

function exceptRule(clause: SyntaxNode, path: Cond[], ctx: PyContext, o: RuleOptions, add: (r: Rule) => void): void {
  const block = clause.namedChildren.find((c) => c.type === 'block');
  if (!block) return;
  const what = clause.namedChildren.find((c) => c.type !== 'block' && c.type !== 'comment');
  const types = what ? oneLine(what.type === 'as_pattern' ? what.namedChild(0) ?? what : what, 100) : 'any error';
  // `except Exception:` answers every failure alike: no business rule in it.
  if (!/^(Exception|BaseException|any error)$/.test(types)) guardRule(`${types} is raised`, clause, block, path, ctx, o, add);
  walk(block, [...path, { text: `except ${types}` }], ctx, o, add);
}

function assertRule(s: SyntaxNode, path: Cond[], ctx: PyContext, o: RuleOptions, add: (r: Rule) => void): void {
  const [expr, msg] = s.namedChildren.filter((c) => c.type !== 'comment');
  if (!expr) return;
  const message = stringValue(msg);
  const condition = `not (${oneLine(expr)})`;
  const status = o.validatorStatus;
  add(
    ctx.rules.add({
      kind: 'validation',
      scope: o.scope,
      statement: `When ${condition}, ${o.subject ?? 'the value'} is invalid${status !== undefined ? ` with ${status}` : ''}${message !== undefined ? `: "${oneLine(message, 120)}"` : ''}.`,
      condition,
      effects: [status !== undefined ? effectText(status, message) : message !== undefined ? `AssertionError "${message}"` : 'AssertionError'],
      fields: [...(o.subject ? [lastName(o.subject)] : []), ...fieldsIn(expr)],
      evidence: [ctx.evidence(s)],
      path: path.map((p) => p.text),
    }),
  );
}

/** Names read in a condition: dotted names and subscripts with string keys, not called functions. */
function fieldsIn(node: SyntaxNode): string[] {
  const out: string[] = [];
  const visit = (n: SyntaxNode): void => {
    if (n.type === 'attribute' || n.type === 'identifier') {
      const called = n.parent?.type === 'call' && n.parent.childForFieldName('function')?.id === n.id;
      // `x.startswith(...)`: the method is no field, its object is.
      if (called) {
        if (n.type === 'attribute') visit(n.childForFieldName('object')!);
        return;
      }
      const name = dottedName(n);
      if (name !== undefined && !BUILTIN_NAMES.has(name)) {
        out.push(name);
        return;
      }
      if (n.type === 'identifier') return;
    }
    if (n.type === 'subscript') {
      const key = stringValue(n.childForFieldName('subscript'));
      const base = dottedName(n.childForFieldName('value'));
      if (key !== undefined && base !== undefined) {
        out.push(`${base}['${key}']`);
        return;
      }
    }
    for (const c of n.namedChildren) visit(c);
  };
  visit(node);
  return [...new Set(out)];
}

const BUILTIN_NAMES = new Set(['self', 'cls', 'None', 'True', 'False', 'len', 'isinstance', 'str', 'int', 'float', 'bool', 'any', 'all', 'not']);

// ---- decisions -----------------------------------------------------------------------------

function decisionRule(s: SyntaxNode, path: Cond[], ctx: PyContext, o: RuleOptions, add: (r: Rule) => void): void {
  if (s.parent?.type === 'elif_clause') return;
  const branches: { subject: string; value: string; body: SyntaxNode }[] = [];
  const read = (cond: SyntaxNode | null, body: SyntaxNode | null): boolean => {
    if (!cond || !body || cond.type !== 'comparison_operator') return false;
    const ops = comparisonOperators(cond);
    const [left, right] = cond.namedChildren;
    if (ops.length !== 1 || !left || !right) return false;
    if (ops[0] === '==') {
      const lit = literalValue(right);
      if (typeof lit !== 'string') return false;
      branches.push({ subject: oneLine(left, 80), value: `'${lit}'`, body });
      return true;
    }
    if (ops[0] === 'in') {
      const lits = literalValue(right);
      if (!Array.isArray(lits) || !lits.every((v) => typeof v === 'string')) return false;
      branches.push({ subject: oneLine(left, 80), value: lits.map((v) => `'${v}'`).join(' | '), body });
      return true;
    }
    return false;
  };
  if (!read(s.childForFieldName('condition'), s.childForFieldName('consequence'))) return;
  for (const alt of s.namedChildren) {
    if (alt.type === 'elif_clause' && !read(alt.childForFieldName('condition'), alt.childForFieldName('consequence'))) break;
  }
  const subject = branches[0]!.subject;
  const same = branches.filter((b) => b.subject === subject);
  if (same.length < 2 || /\b(request|req)\.method\b|^method$/.test(subject)) return;
  const last = lastClause(s);
  const effects = same.map((b) => `${b.value} → ${firstStatementText(b.body)}`);
  const elseBody = s.namedChildren.find((c) => c.type === 'else_clause');
  if (elseBody) effects.push(`otherwise → ${firstStatementText(elseBody.childForFieldName('body') ?? elseBody.namedChildren.find((x) => x.type === 'block') ?? elseBody)}`);
  add(
    ctx.rules.add({
      kind: 'decision',
      scope: o.scope,
      statement: `Decides on ${subject}: ${same.map((b) => b.value).join(', ')}${elseBody ? ', otherwise' : ''}.`,
      condition: subject,
      effects,
      fields: [subject],
      evidence: [{ path: ctx.path, startLine: lineOf(s), endLine: endLineOf(last) }],
      path: path.map((p) => p.text),
    }),
  );
}

function lastClause(s: SyntaxNode): SyntaxNode {
  const clauses = s.namedChildren.filter((c) => c.type === 'elif_clause' || c.type === 'else_clause');
  return clauses[clauses.length - 1] ?? s;
}

function firstStatementText(block: SyntaxNode): string {
  const first = statementsOf(block)[0];
  return first ? oneLine(first, 80) : 'pass';
}

function matchRule(s: SyntaxNode, path: Cond[], ctx: PyContext, o: RuleOptions, add: (r: Rule) => void): void {
  const subject = s.childForFieldName('subject');
  const cases = (s.childForFieldName('body')?.namedChildren ?? []).filter((c) => c.type === 'case_clause');
  if (!subject || cases.length < 2) return;
  const effects: string[] = [];
  let literal = 0;
  for (const c of cases) {
    const pattern = c.namedChildren.find((x) => x.type === 'case_pattern');
    const raw = pattern ? oneLine(pattern, 60) : '_';
    const patternText = raw === '_' ? 'otherwise' : raw;
    if (pattern && /^(['"]|-?\d)/.test(patternText)) literal++;
    const cons = c.childForFieldName('consequence');
    effects.push(`${patternText} → ${cons ? firstStatementText(cons) : 'pass'}`);
  }
  if (literal < 2) return;
  const subjectText = oneLine(subject, 80);
  add(
    ctx.rules.add({
      kind: 'decision',
      scope: o.scope,
      statement: `Decides on ${subjectText}: ${effects.map((e) => e.split(' → ')[0]).join(', ')}.`,
      condition: subjectText,
      effects,
      fields: [subjectText],
      evidence: [ctx.evidence(s)],
      path: path.map((p) => p.text),
    }),
  );
}

// ---- calculations --------------------------------------------------------------------------

const ARITHMETIC = new Set(['+', '-', '*', '/', '//', '%', '**']);
/** Names of counters and paging arithmetic: computing them is not a business rule. */
const TRIVIAL = /^(i|j|k|n|x|y|idx|index|count|counter|offset|limit|page|page_size|per_page|size|start|end|skip|total_pages|pages|retries|attempts?|elapsed|duration|timeout|delay|length|len|_)$/i;
const WRAPPERS = new Set(['round', 'int', 'float', 'Decimal', 'abs', 'min', 'max', 'sum', 'ceil', 'floor', 'math.ceil', 'math.floor', 'quantize']);

function calculationRule(s: SyntaxNode, path: Cond[], ctx: PyContext, o: RuleOptions, add: (r: Rule) => void): void {
  const a = s.namedChild(0);
  if (!a || (a.type !== 'assignment' && a.type !== 'augmented_assignment')) return;
  const left = a.childForFieldName('left');
  const right = a.childForFieldName('right');
  if (!left || !right) return;
  const target = left.type === 'subscript' ? `${dottedName(left.childForFieldName('value')) ?? oneLine(left)}['${stringValue(left.childForFieldName('subscript')) ?? '?'}']` : dottedName(left);
  if (target === undefined || TRIVIAL.test(lastName(target))) return;
  const op = a.type === 'augmented_assignment' ? a.child(1)?.type?.replace(/=$/, '') : undefined;
  if (op !== undefined && !ARITHMETIC.has(op)) return;
  const arithmetic = op !== undefined ? right : findArithmetic(right);
  if (!arithmetic) return;
  const operands = leaves(op !== undefined ? right : arithmetic);
  if (operands.some((l) => l.type === 'string' || l.type === 'concatenated_string')) return;
  const named = operands.filter((l) => l.type !== 'integer' && l.type !== 'float').map((l) => operandName(l)).filter((n): n is string => n !== undefined);
  const business = named.filter((n) => !TRIVIAL.test(lastName(n)) && !/^(len|time|datetime|timezone|now|utcnow|timedelta)\b/.test(n));
  if (business.length === 0 && op === undefined) return;
  if (op !== undefined && named.length === 0 && (literalValue(right) === 1 || literalValue(right) === -1)) return;
  const expression = oneLine(a, 160);
  add(
    ctx.rules.add({
      kind: 'calculation',
      scope: o.scope,
      statement: `${target} is calculated as ${op !== undefined ? `${target} ${op} ${oneLine(right, 120)}` : oneLine(right, 120)}.`,
      condition: path.length > 0 ? path[path.length - 1]!.text.replace(/^(if|elif) /, '') : null,
      effects: [expression],
      fields: [target, ...business],
      evidence: [ctx.evidence(s)],
      path: path.map((p) => p.text),
    }),
  );
}

function findArithmetic(n: SyntaxNode): SyntaxNode | undefined {
  if (n.type === 'parenthesized_expression') return n.namedChild(0) ? findArithmetic(n.namedChild(0)!) : undefined;
  if (n.type === 'binary_operator' && ARITHMETIC.has(n.childForFieldName('operator')?.type ?? n.child(1)?.type ?? '')) return n;
  if (n.type === 'call' && WRAPPERS.has(callName(n) ?? '')) {
    for (const a of n.childForFieldName('arguments')?.namedChildren ?? []) {
      const f = findArithmetic(a);
      if (f) return f;
    }
  }
  return undefined;
}

function leaves(n: SyntaxNode): SyntaxNode[] {
  if (n.type === 'binary_operator' || n.type === 'parenthesized_expression' || n.type === 'unary_operator') return n.namedChildren.flatMap(leaves);
  if (n.type === 'call' && WRAPPERS.has(callName(n) ?? '')) return (n.childForFieldName('arguments')?.namedChildren ?? []).flatMap(leaves);
  return [n];
}

function operandName(n: SyntaxNode): string | undefined {
  if (n.type === 'identifier' || n.type === 'attribute') return dottedName(n);
  if (n.type === 'subscript') {
    const key = stringValue(n.childForFieldName('subscript'));
    const base = dottedName(n.childForFieldName('value'));
    return key !== undefined && base !== undefined ? `${base}['${key}']` : undefined;
  }
  if (n.type === 'call') return callName(n);
  return undefined;
}
