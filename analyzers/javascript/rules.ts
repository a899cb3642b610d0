/**
 * Business rules in JS/TS code, with the lines they come from:
 * - `validation`: guard clauses that reject a request with a 4xx status — `if (!email) return
 *   res.status(400).json({ error: '…' })`, `throw new NotFoundError()`, `next(createError(404))`,
 *   `ctx.throw(400, '…')`, `ctx.assert(x, 422, '…')`, `reply.code(409).send(…)`, also in the `else`
 *   branch (the condition is then negated);
 * - `calculation`: an assignment (or an object property) whose value is arithmetic over named
 *   fields, `order.total = order.subtotal * (1 + TAX_RATE)`, leaving out counters, string
 *   concatenation, pagination and time arithmetic;
 * - `decision`: a `switch` or an `if/else if` chain on one value against two or more string
 *   literals.
 * Declarative constraints (Joi, zod, class-validator, express-validator) are `validators.ts`.
 */
import type { Rule } from '../model.js';
import { descendants, evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import type { HandlerAnalyzer } from './handlers.js';
import { argumentsOf, callParts, compact, enclosingClass, functionName, isFunction, memberPath, stringValue, unwrap } from './syntax.js';
import type { RuleSink } from './validators.js';

/**
 * Names whose arithmetic is bookkeeping, not business: judged by the last word of a camelCase or
 * snake_case name (`matchIndex`, `rangeEnd`, `node.nodeSize`, `max_length`).
 */
const TECHNICAL_WORDS = new Set(
  'i j k n x y z idx index indexes indices len length lengths count counter counts retries retry attempt attempts tries depth level levels offset offsets skip page pages limit per size sizes take start end from to width height port pos position positions line lines col column columns row rows cursor max min bytes byte chars char ms millis seconds second minutes minute hours hour delay timeout ttl age padding margin gap step steps chunk chunks batch idx1 idx2 left right top bottom'.split(' '),
);
/** Targets that hold text: `+` on them is concatenation, not arithmetic. */
const TEXT_WORDS = new Set('url urls uri path paths html text name names title message messages tag tags key keys id ids label query prefix suffix str string sql css class classes content body header headers token slug markdown md'.split(' '));
function textual(name: string): boolean {
  const last = name.split('.').pop() ?? name;
  const words = last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').split(/[\s_]+/).filter(Boolean);
  return TEXT_WORDS.has((words[words.length - 1] ?? last).toLowerCase());
}
function technical(name: string): boolean {
  const last = name.split('.').pop() ?? name;
  const words = last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').split(/[\s_]+/).filter(Boolean);
  const word = (words[words.length - 1] ?? last).toLowerCase();
  return TECHNICAL_WORDS.has(word);
}
const TIME = /(date|time|now|ms|millis|seconds?|minutes?|hours?|expires?|expiry|ttl|timeout|delay|duration|elapsed|age|getTime)/i;

export interface RuleExtraction {
  rules: Rule[];
  /** Rule ids whose evidence lies inside a node (a handler function). */
  within(node: SyntaxNode): string[];
}

export function extractRules(root: SyntaxNode, path: string, handlers: HandlerAnalyzer, sink: RuleSink & { rules: Rule[] }): RuleExtraction {
  const placed: { id: string; start: number; end: number }[] = [];
  const place = (rule: Rule | undefined, node: SyntaxNode): void => {
    if (rule) placed.push({ id: rule.id, start: node.startIndex, end: node.endIndex });
  };

  for (const n of descendants(root, ['if_statement', 'call_expression', 'assignment_expression', 'augmented_assignment_expression', 'variable_declarator', 'pair', 'switch_statement'])) {
    switch (n.type) {
      case 'if_statement':
        place(guardRule(n, path, handlers, sink), n);
        if (!isElseIf(n)) place(ifChainDecision(n, path, sink), n);
        break;
      case 'call_expression':
        place(assertRule(n, path, handlers, sink), n);
        break;
      case 'switch_statement':
        place(switchDecision(n, path, sink), n);
        break;
      default:
        place(calculationRule(n, path, sink), n);
    }
  }
  return {
    rules: sink.rules,
    within(node) {
      return placed.filter((p) => p.start >= node.startIndex && p.end <= node.endIndex).map((p) => p.id);
    },
  };
}

/** The 4xx a statement answers with, if it is a rejection: status and message. */
function rejection(stmt: SyntaxNode, handlers: HandlerAnalyzer): { status: number; message?: string } | undefined {
  let n: SyntaxNode | null = stmt;
  if (n.type === 'expression_statement') n = n.namedChildren[0] ?? null;
  if (n?.type === 'return_statement') n = n.namedChildren[0] ?? null;
  if (!n) return undefined;
  if (stmt.type === 'throw_statement') {
    const e = handlers.errorStatus(stmt.namedChildren[0]);
    return e && e.status >= 400 && e.status < 500 ? e : undefined;
  }
  n = unwrap(n);
  if (!n) return undefined;
  if (n.type === 'assignment_expression') {
    // ctx.status = 400
    const left = memberPath(n.childForFieldName('left'));
    if (left && /^(status|statusCode)$/.test(left[left.length - 1]!)) {
      const s = handlers.statusOf(n.childForFieldName('right'));
      return s !== undefined && s >= 400 && s < 500 ? { status: s } : undefined;
    }
    return undefined;
  }
  if (n.type !== 'call_expression') return undefined;
  const parts = callParts(n);
  if (!parts) return undefined;
  if (parts.object === null && /^(next|done|cb|callback)$/.test(parts.name)) {
    const e = handlers.errorStatus(parts.args[0]);
    return e && e.status >= 400 && e.status < 500 ? e : undefined;
  }
  if (parts.name === 'throw' && parts.object) {
    const s = handlers.statusOf(parts.args[0]);
    if (s !== undefined && s >= 400 && s < 500) {
      const message = stringValue(parts.args[1]);
      return { status: s, ...(message !== undefined ? { message } : {}) };
    }
    const e = handlers.errorStatus(parts.args[0]);
    return e && e.status >= 400 && e.status < 500 ? e : undefined;
  }
  // res.status(400).json({ error }) / res.sendStatus(404) / reply.code(409).send(…)
  let status: number | undefined;
  let payload: SyntaxNode | undefined;
  for (let c: SyntaxNode | null = n; c && c.type === 'call_expression'; ) {
    const p = callParts(c);
    if (!p || !p.object) break;
    if ((p.name === 'status' || p.name === 'code' || p.name === 'sendStatus') && p.args.length === 1) status ??= handlers.statusOf(p.args[0]);
    else if (['json', 'send', 'jsonp', 'end'].includes(p.name)) payload ??= p.args[0];
    c = unwrap(p.object);
  }
  if (status === undefined) {
    // reply.badRequest('…') (@fastify/sensible)
    const e = handlers.errorStatus(n);
    if (e && e.status >= 400 && e.status < 500 && parts.object && !/Error$|Exception$/.test(parts.name)) return e;
    return undefined;
  }
  if (status < 400 || status >= 500) return undefined;
  const message = payload ? messageIn(payload) : undefined;
  return { status, ...(message !== undefined ? { message } : {}) };
}

function messageIn(payload: SyntaxNode): string | undefined {
  const direct = stringValue(payload);
  if (direct !== undefined) return direct;
  const n = unwrap(payload);
  if (n?.type !== 'object') return undefined;
  // The first string literal in the payload: `{ error: 'Email is required' }`, `{ errors: { body: ['…'] } }`.
  for (const s of descendants(n, ['string', 'template_string'])) {
    if (s.parent?.type === 'pair' && s.parent.childForFieldName('key')?.id === s.id) continue;
    const v = stringValue(s);
    if (v !== undefined && v.length > 0) return v;
  }
  return undefined;
}

function topStatements(block: SyntaxNode | null): SyntaxNode[] {
  if (!block) return [];
  if (block.type === 'statement_block') return block.namedChildren.filter((c) => c.type !== 'comment');
  if (block.type === 'else_clause') return topStatements(block.namedChildren[0] ?? null);
  return [block];
}

function guardRule(ifNode: SyntaxNode, path: string, handlers: HandlerAnalyzer, sink: RuleSink): Rule | undefined {
  const conditionNode = ifNode.childForFieldName('condition');
  const consequence = ifNode.childForFieldName('consequence');
  const alternative = ifNode.childForFieldName('alternative');
  // A condition the grammar could not parse would be quoted wrong.
  if (!conditionNode || !consequence || conditionNode.hasError) return undefined;
  const cond = conditionText(conditionNode);
  const pick = (block: SyntaxNode): { status: number; message?: string } | undefined => {
    // `err.status = 404; return next(err)`: the statement that carries the message wins.
    const all = topStatements(block).map((s) => rejection(s, handlers)).filter((r): r is { status: number; message?: string } => !!r);
    return all.find((r) => r.message !== undefined) ?? all[0];
  };
  let found = pick(consequence);
  let condition = cond;
  let last: SyntaxNode = consequence;
  if (!found && alternative) {
    const alt = alternative.namedChildren[0];
    // `else if` chains are their own if statements.
    if (alt && alt.type !== 'if_statement') {
      found = pick(alternative);
      condition = `!(${cond})`;
      last = alternative;
    }
  }
  if (!found) return undefined;
  if (found.message === undefined) {
    // Koa: `ctx.status = 404; ctx.body = { error: '…' }` in the same block.
    for (const st of topStatements(last)) {
      const a = st.type === 'expression_statement' ? st.namedChildren[0] : null;
      const left = a?.type === 'assignment_expression' ? memberPath(a.childForFieldName('left')) : undefined;
      if (left && left[left.length - 1] === 'body') {
        const message = messageIn(a!.childForFieldName('right')!);
        if (message !== undefined) found = { ...found, message };
      }
    }
  }
  const effect = `${found.status}${found.message !== undefined ? ` ${JSON.stringify(found.message)}` : ''}`;
  return sink.add({
    kind: 'validation',
    scope: scopeOf(ifNode),
    statement: `Rejects with ${effect} when \`${condition}\``,
    condition,
    effects: [effect],
    fields: fieldsIn(conditionNode),
    evidence: [evidenceOf(path, ifNode, last === consequence ? consequence : last)],
    path: enclosingConditions(ifNode),
  });
}

function assertRule(call: SyntaxNode, path: string, handlers: HandlerAnalyzer, sink: RuleSink): Rule | undefined {
  const parts = callParts(call);
  if (!parts || parts.name !== 'assert' || !parts.object || parts.args.length < 2) return undefined;
  // ctx.assert(value, status, message) (Koa, http-assert)
  const status = handlers.statusOf(parts.args[1]);
  if (status === undefined || status < 400 || status >= 500) return undefined;
  const message = stringValue(parts.args[2]);
  const condition = `!(${compact(parts.args[0]!.text)})`;
  const effect = `${status}${message !== undefined ? ` ${JSON.stringify(message)}` : ''}`;
  return sink.add({
    kind: 'validation',
    scope: scopeOf(call),
    statement: `Rejects with ${effect} when \`${condition}\``,
    condition,
    effects: [effect],
    fields: fieldsIn(parts.args[0]!),
    evidence: [evidenceOf(path, call)],
    path: enclosingConditions(call),
  });
}

const ARITH = new Set(['*', '/', '%', '**', '-', '+']);

function calculationRule(n: SyntaxNode, path: string, sink: RuleSink): Rule | undefined {
  let left: SyntaxNode | null = null;
  let right: SyntaxNode | null = null;
  let op = '=';
  if (n.type === 'assignment_expression' || n.type === 'augmented_assignment_expression') {
    left = n.childForFieldName('left');
    right = n.childForFieldName('right');
    op = n.type === 'augmented_assignment_expression' ? (n.child(1)?.text ?? '=') : '=';
  } else if (n.type === 'variable_declarator') {
    left = n.childForFieldName('name');
    right = n.childForFieldName('value');
  } else if (n.type === 'pair') {
    left = n.childForFieldName('key');
    right = n.childForFieldName('value');
    if (n.parent?.type !== 'object') return undefined;
  }
  if (!left || !right) return undefined;
  const target = n.type === 'pair' ? left.text.replace(/^['"]|['"]$/g, '') : memberPath(left)?.filter((p) => p !== 'this').join('.');
  if (!target) return undefined;
  const value = unwrap(right);
  if (!value) return undefined;
  const augmented = op !== '=' && /^[-+*/%]=$|^\*\*=$/.test(op);
  if (!augmented && (value.type !== 'binary_expression' || !ARITH.has(value.child(1)?.type ?? ''))) return undefined;
  const operands = arithmeticOperands(value);
  if (!operands) return undefined;
  const names = operands.names;
  const targetLast = target.split('.').pop()!;
  if (names.length === 0 && !augmented) return undefined;
  if (augmented && names.length === 0 && operands.numbers.every((x) => x === 1)) return undefined;
  // Positions, lengths, sizes and counters: the target or every operand says so.
  if (technical(targetLast) || (names.length > 0 && names.every(technical))) return undefined;
  if (textual(targetLast) && /\+/.test(augmented ? op : value.text)) return undefined;
  if ([...names, target].some((x) => TIME.test(x)) || operands.time) return undefined;
  if (names.some((x) => /\.length$/.test(x)) && names.length === 1) return undefined;
  // `x + 1` / `x - 1`: counters and off-by-one fixes.
  if (!augmented && names.length === 1 && operands.numbers.length === 1 && operands.numbers[0] === 1 && /^[+-]$/.test(value.child(1)?.type ?? '')) return undefined;
  const expr = compact(value.text, 160);
  const assignment = augmented ? `${target} ${op} ${expr}` : `${target} := ${expr}`;
  return sink.add({
    kind: 'calculation',
    scope: scopeOf(n),
    statement: augmented ? `Updates \`${target}\` by \`${op} ${expr}\`` : `Computes \`${target}\` as \`${expr}\``,
    condition: innermostCondition(n),
    effects: [assignment],
    fields: [target, ...names],
    evidence: [evidenceOf(path, statementOf(n))],
    path: enclosingConditions(n),
  });
}

/** Operand names and numbers of a purely arithmetic expression; undefined when it is not one (strings, calls other than Math/Number). */
function arithmeticOperands(n: SyntaxNode): { names: string[]; numbers: number[]; time: boolean } | undefined {
  const names: string[] = [];
  const numbers: number[] = [];
  let time = false;
  let ok = true;
  const visit = (x: SyntaxNode | null): void => {
    const u = unwrap(x);
    if (!u || !ok) return;
    switch (u.type) {
      case 'binary_expression':
        if (!ARITH.has(u.child(1)?.type ?? '')) {
          ok = false;
          return;
        }
        visit(u.childForFieldName('left'));
        visit(u.childForFieldName('right'));
        return;
      case 'unary_expression':
        visit(u.namedChildren[0] ?? null);
        return;
      case 'number':
        numbers.push(Number(u.text));
        return;
      case 'identifier':
      case 'member_expression':
      case 'subscript_expression': {
        const p = memberPath(u);
        if (!p) {
          ok = false;
          return;
        }
        if (p[0] === 'Date' || p[0] === 'performance') time = true;
        names.push(p.filter((s) => s !== 'this').join('.'));
        return;
      }
      case 'call_expression': {
        const callee = memberPath(u.childForFieldName('function'))?.join('.') ?? '';
        if (/^Date\.now$|getTime$|^performance\.now$|^process\.hrtime/.test(callee)) {
          time = true;
          return;
        }
        if (/^(Math\.\w+|Number|parseFloat|parseInt|Number\.parseFloat|Number\.parseInt)$/.test(callee)) {
          for (const a of argumentsOf(u)) visit(a);
          return;
        }
        ok = false;
        return;
      }
      default:
        ok = false;
    }
  };
  visit(n);
  return ok ? { names: [...new Set(names)], numbers, time } : undefined;
}

function switchDecision(sw: SyntaxNode, path: string, sink: RuleSink): Rule | undefined {
  const value = sw.childForFieldName('value');
  const body = sw.childForFieldName('body');
  if (!value || !body) return undefined;
  const cases = body.namedChildren.filter((c) => c.type === 'switch_case');
  const branches: string[] = [];
  for (const c of cases) {
    const v = stringValue(c.childForFieldName('value'));
    if (v === undefined) continue;
    const first = c.namedChildren.slice(1).find((s) => s.type !== 'comment' && s.type !== 'break_statement');
    branches.push(`${JSON.stringify(v)} → ${first ? compact(first.text, 80) : '(falls through)'}`);
  }
  if (branches.length < 2) return undefined;
  const def = body.namedChildren.find((c) => c.type === 'switch_default');
  const defFirst = def?.namedChildren.find((s) => s.type !== 'comment' && s.type !== 'break_statement');
  if (defFirst) branches.push(`otherwise → ${compact(defFirst.text, 80)}`);
  const subject = compact(value.text.replace(/^\(|\)$/g, ''), 120);
  return sink.add({
    kind: 'decision',
    scope: scopeOf(sw),
    statement: `Decides on \`${subject}\`: ${branches.length} branches`,
    condition: `switch (${subject})`,
    effects: branches,
    fields: fieldsIn(value),
    evidence: [evidenceOf(path, sw)],
    path: enclosingConditions(sw),
  });
}

function isElseIf(n: SyntaxNode): boolean {
  return n.parent?.type === 'else_clause';
}

/** `if (x === 'a') … else if (x === 'b') …` on one subject. */
function ifChainDecision(first: SyntaxNode, path: string, sink: RuleSink): Rule | undefined {
  const branches: string[] = [];
  let subject: string | undefined;
  let last: SyntaxNode = first;
  for (let n: SyntaxNode | null = first; n && n.type === 'if_statement'; ) {
    const cond = unwrap(n.childForFieldName('condition'));
    const cmp = cond ? equalityWithString(cond) : undefined;
    if (!cmp || (subject !== undefined && cmp.subject !== subject)) break;
    subject = cmp.subject;
    const cons = topStatements(n.childForFieldName('consequence'))[0];
    branches.push(`${cmp.values.map((v) => JSON.stringify(v)).join(' or ')} → ${cons ? compact(cons.text, 80) : '(nothing)'}`);
    last = n;
    const alt: SyntaxNode | null = n.childForFieldName('alternative');
    const next: SyntaxNode | null = alt?.namedChildren[0] ?? null;
    if (next?.type === 'if_statement') n = next;
    else {
      if (next) {
        const s = topStatements(alt)[0];
        branches.push(`otherwise → ${s ? compact(s.text, 80) : '(nothing)'}`);
        last = alt!;
      }
      break;
    }
  }
  if (!subject || branches.filter((b) => !b.startsWith('otherwise')).length < 2) return undefined;
  return sink.add({
    kind: 'decision',
    scope: scopeOf(first),
    statement: `Decides on \`${subject}\`: ${branches.length} branches`,
    condition: `${subject} in (${branches.filter((b) => !b.startsWith('otherwise')).map((b) => b.split(' → ')[0]).join(', ')})`,
    effects: branches,
    fields: [subject],
    evidence: [evidenceOf(path, first, last)],
    path: enclosingConditions(first),
  });
}

function equalityWithString(cond: SyntaxNode): { subject: string; values: string[] } | undefined {
  if (cond.type !== 'binary_expression') return undefined;
  const op = cond.child(1)?.type;
  if (op === '||') {
    const l = equalityWithString(unwrap(cond.childForFieldName('left'))!);
    const r = equalityWithString(unwrap(cond.childForFieldName('right'))!);
    return l && r && l.subject === r.subject ? { subject: l.subject, values: [...l.values, ...r.values] } : undefined;
  }
  if (op !== '===' && op !== '==') return undefined;
  const l = cond.childForFieldName('left');
  const r = cond.childForFieldName('right');
  const ls = stringValue(l);
  const rs = stringValue(r);
  if (rs !== undefined && l && ls === undefined) return { subject: compact(l.text, 120), values: [rs] };
  if (ls !== undefined && r && rs === undefined) return { subject: compact(r.text, 120), values: [ls] };
  return undefined;
}

function conditionText(cond: SyntaxNode): string {
  const inner = cond.type === 'parenthesized_expression' ? (cond.namedChildren[0] ?? cond) : cond;
  return compact(inner.text, 200);
}

/** Field names a condition reads: `req.body.email` → `email`, `user.balance` → `user.balance`. */
function fieldsIn(node: SyntaxNode): string[] {
  const out: string[] = [];
  const visit = (n: SyntaxNode): void => {
    if (n.type === 'member_expression' || n.type === 'subscript_expression') {
      const p = memberPath(n);
      if (p) {
        const parent = n.parent;
        // Only the outermost member path (`a.b.c`, not `a.b`), and not a called method (`x.isEmpty()`).
        if (parent?.type === 'member_expression' && parent.childForFieldName('object')?.id === n.id) {
          /* inner part */
        } else if (parent?.type === 'call_expression' && parent.childForFieldName('function')?.id === n.id) {
          const obj = memberPath(n.childForFieldName('object'));
          if (obj) out.push(readable(obj));
        } else out.push(readable(p));
        return;
      }
    }
    if (n.type === 'identifier' && !(n.parent?.type === 'call_expression' && n.parent.childForFieldName('function')?.id === n.id)) {
      if (!/^(undefined|null|NaN|Infinity)$/.test(n.text)) out.push(n.text);
      return;
    }
    for (const c of n.namedChildren) visit(c);
  };
  visit(node);
  return [...new Set(out.filter((f) => f && !/^(req|res|ctx|request|reply|this)$/.test(f)))];
}

function readable(p: string[]): string {
  let parts = p.filter((x) => x !== 'this');
  if (/^(req|request|ctx|context)$/.test(parts[0] ?? '')) {
    parts = parts.slice(1);
    if (parts[0] === 'request') parts = parts.slice(1);
    if (/^(body|query|params|headers|cookies|state)$/.test(parts[0] ?? '') && parts.length > 1) parts = parts.slice(1);
  }
  if (parts[parts.length - 1] === 'length' && parts.length > 1) parts = parts.slice(0, -1);
  return parts.join('.');
}

function enclosingConditions(node: SyntaxNode): string[] {
  const out: string[] = [];
  let child = node;
  for (let p = node.parent; p && !isFunction(p); child = p, p = p.parent) {
    if (p.type === 'if_statement' && p.id !== node.id) {
      const cond = p.childForFieldName('condition');
      const inElse = p.childForFieldName('alternative')?.id === child.id;
      if (cond && p.childForFieldName('condition')?.id !== child.id) out.unshift(inElse ? `else of if (${conditionText(cond)})` : `if (${conditionText(cond)})`);
    } else if (p.type === 'switch_case') {
      const v = p.childForFieldName('value');
      if (v) out.unshift(`case ${compact(v.text, 60)}`);
    }
  }
  return out;
}

function innermostCondition(node: SyntaxNode): string | null {
  const conds = enclosingConditions(node);
  return conds.length > 0 ? conds[conds.length - 1]! : null;
}

function statementOf(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (n.parent && !/(_statement|_declaration)$/.test(n.type) && n.parent.type !== 'statement_block' && n.parent.type !== 'program' && n.type !== 'pair') n = n.parent;
  return n;
}

/** `Class.method`, `function`, or `line N` for top-level code: the rule id's scope. */
function scopeOf(node: SyntaxNode): string {
  let fn: SyntaxNode | null = null;
  for (let p = node.parent; p; p = p.parent) if (isFunction(p)) {
    fn = p;
    break;
  }
  if (!fn) return '<module>';
  const cls = enclosingClass(fn)?.childForFieldName('name')?.text;
  const name = functionName(fn) ?? routeLabel(fn) ?? '<anonymous>';
  return cls ? `${cls}.${name}` : name;
}

/** `get /users/:id` for an inline route handler, so its rule ids do not depend on line numbers. */
function routeLabel(fn: SyntaxNode): string | undefined {
  let p = fn.parent;
  while (p && (p.type === 'arguments' || p.type === 'call_expression') && p.parent?.type !== 'expression_statement') {
    if (p.type === 'call_expression') {
      const parts = callParts(p);
      const first = parts?.args[0];
      const route = stringValue(first);
      if (parts && route !== undefined) return `${parts.name} ${route}`;
    }
    p = p.parent;
  }
  if (p?.type === 'call_expression') {
    const parts = callParts(p);
    const route = stringValue(parts?.args[0]);
    if (parts && route !== undefined) return `${parts.name} ${route}`;
  }
  return undefined;
}
