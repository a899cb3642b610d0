/**
 * Business rules in PHP code, with evidence lines: guard clauses that reject a request
 * (`if ($x) { abort(422, '...'); }`, `abort_if`, `throw_unless`, `return response()->json(..., 4xx)`,
 * `throw new DomainException('...')` in an `if`) → validation; assignments computing a business
 * field with arithmetic (`$order->total = $order->subtotal * 1.2`) → calculation; `switch`/`match`
 * and `if`/`elseif` chains over string values (`case 'gold':`) → decision. Counters, pagination
 * arithmetic and string building are not rules. Every function, method, closure and the
 * file's top-level code is read once; callers ask for the rules within a line range.
 */
import type { Rule } from '../model.js';
import type { RuleInput } from '../service/rules.js';
import { descendants, endLineOf, evidenceOf, lineOf, type SyntaxNode } from '../service/tree-sitter.js';
import { responseAt, type ResponseAt } from './responses.js';
import { argsOf, calleeName, oneLine, operatorOf, stringValue } from './syntax.js';

export interface RuleBook {
  add(rule: RuleInput): Rule;
  /** Ids of the rules whose first evidence starts within the lines. */
  idsWithin(startLine: number, endLine: number): string[];
}

export function createRuleBook(add: (rule: RuleInput) => Rule): RuleBook {
  const all: Rule[] = [];
  return {
    add(input) {
      const r = add(input);
      all.push(r);
      return r;
    },
    idsWithin(start, end) {
      return all.filter((r) => r.evidence[0] && r.evidence[0].startLine >= start && r.evidence[0].startLine <= end).map((r) => r.id);
    },
  };
}

const ARITHMETIC = new Set(['+', '-', '*', '/', '%', '**']);
const COMPOUND = new Set(['+=', '-=', '*=', '/=', '%=', '**=']);
/** Names that count, index, page or time things: arithmetic on them is plumbing, not business. */
const TECHNICAL = /^(i|j|k|n|x|y|z|idx|index|count|counter|cnt|num|len|length|size|page|pages|perpage|per_page|offset|limit|skip|take|start|end|pos|position|step|level|depth|width|height|time|timestamp|now|ms|seconds|minutes|hours|elapsed|duration|retries|attempts|tries|line|row|col|column|key|loop|iteration|total_pages|totalpages|last_page|lastpage)$/i;

/** Extracts every rule of the file into the book. */
export function extractRules(root: SyntaxNode, path: string, book: RuleBook, scopeOf: (node: SyntaxNode) => string): void {
  const seenIfs = new Set<number>();
  const visit = (node: SyntaxNode, conditions: string[]): void => {
    for (const child of node.namedChildren) {
      switch (child.type) {
        case 'if_statement':
          ifRules(child, conditions);
          continue;
        case 'switch_statement':
          switchRule(child, conditions);
          break;
        case 'match_expression':
          matchRule(child, conditions);
          break;
        case 'assignment_expression':
        case 'augmented_assignment_expression':
          calculation(child, conditions);
          break;
        case 'function_call_expression':
          guardCall(child, conditions);
          break;
      }
      visit(child, conditions);
    }
  };

  const ifRules = (node: SyntaxNode, conditions: string[]): void => {
    if (!seenIfs.has(node.id)) decisionChain(node, conditions);
    // Walk the if/elseif/else chain: each branch is visited under its own condition.
    let current: SyntaxNode | null = node;
    const negated: string[] = [];
    while (current) {
      seenIfs.add(current.id);
      const cond = condText(current.childForFieldName('condition'));
      const body = current.childForFieldName('body');
      if (body) {
        guard(current, body, cond, conditions);
        visit(body, [...conditions, ...negated.map((c) => `NOT (${c})`), `IF ${cond}`]);
      }
      negated.push(cond);
      const alternatives: SyntaxNode[] = current.namedChildren.filter((c) => c.type === 'else_if_clause' || c.type === 'else_clause');
      current = null;
      for (const alt of alternatives as SyntaxNode[]) {
        if (alt.type === 'else_if_clause') {
          const altCond = condText(alt.childForFieldName('condition'));
          const altBody = alt.childForFieldName('body');
          if (altBody) {
            guard(alt, altBody, altCond, [...conditions, ...negated.map((c) => `NOT (${c})`)]);
            visit(altBody, [...conditions, ...negated.map((c) => `NOT (${c})`), `IF ${altCond}`]);
          }
          negated.push(altCond);
        } else {
          const b: SyntaxNode | undefined = alt.childForFieldName('body') ?? alt.namedChildren[0];
          if (b?.type === 'if_statement') {
            current = b;
          } else if (b) visit(alt, [...conditions, ...negated.map((c) => `NOT (${c})`)]);
        }
      }
    }
  };

  /** A branch that rejects the request (4xx answer, or an exception with a message). */
  const guard = (ifNode: SyntaxNode, body: SyntaxNode, cond: string, conditions: string[]): void => {
    // Dispatching on the HTTP method is routing, not a business rule.
    if (isRequestMethod(ifNode.childForFieldName('condition') ?? ifNode)) return;
    const statements = body.type === 'compound_statement' ? body.namedChildren : [body];
    for (const st of statements) {
      const r = rejection(st);
      if (!r) continue;
      const effect = effectText(r);
      book.add({
        kind: 'validation',
        scope: scopeOf(ifNode),
        statement: `${r.exception && r.status >= 500 ? `Fails with ${r.exception}` : `Rejects the request with ${r.status}`}${r.message ? ` "${r.message}"` : ''} when ${cond}`,
        condition: cond,
        effects: [effect],
        fields: fieldsIn(ifNode.childForFieldName('condition')),
        evidence: [evidenceOf(path, ifNode, body)],
        path: conditions,
      });
      return;
    }
  };

  const guardCall = (call: SyntaxNode, conditions: string[]): void => {
    const name = calleeName(call);
    if (!name || !/^(abort|throw)_(if|unless)$/.test(name)) return;
    const r = responseAt(call);
    if (!r?.guard || (r.status < 400 && !r.exception)) return;
    const raw = condText(r.guard.condition);
    const cond = r.guard.negated ? `NOT (${raw})` : raw;
    book.add({
      kind: 'validation',
      scope: scopeOf(call),
      statement: `${r.exception && r.status >= 500 ? `Fails with ${r.exception}` : `Rejects the request with ${r.status}`}${r.message ? ` "${r.message}"` : ''} when ${cond}`,
      condition: cond,
      effects: [effectText(r)],
      fields: fieldsIn(r.guard.condition),
      evidence: [evidenceOf(path, call)],
      path: conditions,
    });
  };

  const calculation = (node: SyntaxNode, conditions: string[]): void => {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (!left || !right) return;
    const target = fieldName(left);
    if (!target || TECHNICAL.test(target.split('.').pop()!)) return;
    const op = operatorOf(node);
    let operands: SyntaxNode[];
    if (node.type === 'augmented_assignment_expression') {
      if (!COMPOUND.has(op)) return;
      operands = [right];
      if (right.type === 'integer' && (op === '+=' || op === '-=') && right.text === '1') return;
    } else {
      const arithmetic = arithmeticNodes(right);
      if (arithmetic.length === 0) return;
      operands = arithmetic.flatMap((a) => [a.childForFieldName('left')!, a.childForFieldName('right')!]).filter(Boolean);
    }
    const names = operands.flatMap((o) => namedValues(o)).filter((n) => n !== target || node.type === 'augmented_assignment_expression');
    const business = names.filter((n) => !TECHNICAL.test(n.split('.').pop()!));
    if (business.length === 0) return;
    // `$i = $i + 1` style self-increments are counters.
    if (node.type === 'assignment_expression' && names.every((n) => n === target)) return;
    const expr = oneLine(right);
    book.add({
      kind: 'calculation',
      scope: scopeOf(node),
      statement: `Computes ${target} ${node.type === 'augmented_assignment_expression' ? op : '='} ${expr}`,
      condition: conditions.length > 0 ? conditions[conditions.length - 1]!.replace(/^IF /, '') : null,
      effects: [`${target} ${node.type === 'augmented_assignment_expression' ? op : ':='} ${expr}`],
      fields: [target, ...business],
      evidence: [evidenceOf(path, node)],
      path: conditions,
    });
  };

  const switchRule = (node: SyntaxNode, conditions: string[]): void => {
    const subject = node.childForFieldName('condition');
    const body = node.childForFieldName('body');
    if (!subject || !body || isRequestMethod(subject)) return;
    const cases = body.namedChildren.filter((c) => c.type === 'case_statement' || c.type === 'default_statement');
    const labelled = cases.filter((c) => c.type === 'case_statement' && stringValue(c.childForFieldName('value')) !== undefined);
    if (labelled.length < 2) return;
    const effects = cases.map((c) => {
      const label = c.type === 'default_statement' ? 'default' : `'${stringValue(c.childForFieldName('value')) ?? c.childForFieldName('value')?.text ?? ''}'`;
      const first = c.namedChildren.find((s) => s.type !== 'comment' && s.id !== c.childForFieldName('value')?.id && s.type !== 'break_statement');
      return `${label}: ${first ? oneLine(first, 100) : '(falls through)'}`;
    });
    const subj = condText(subject);
    book.add({
      kind: 'decision',
      scope: scopeOf(node),
      statement: `Decides by ${subj} among ${labelled.map((c) => `'${stringValue(c.childForFieldName('value'))}'`).join(', ')}`,
      condition: subj,
      effects,
      fields: fieldsIn(subject),
      evidence: [evidenceOf(path, node)],
      path: conditions,
    });
  };

  const matchRule = (node: SyntaxNode, conditions: string[]): void => {
    const subject = node.childForFieldName('condition');
    const body = node.childForFieldName('body');
    if (!subject || !body || isRequestMethod(subject)) return;
    const arms = body.namedChildren.filter((c) => c.type === 'match_conditional_expression' || c.type === 'match_default_expression');
    const labels = arms.flatMap((a) => a.childForFieldName('conditional_expressions')?.namedChildren.map((c) => stringValue(c)).filter((v): v is string => v !== undefined) ?? []);
    if (labels.length < 2) return;
    const subj = condText(subject);
    book.add({
      kind: 'decision',
      scope: scopeOf(node),
      statement: `Decides by ${subj} among ${labels.map((l) => `'${l}'`).join(', ')}`,
      condition: subj,
      effects: arms.map((a) => {
        const conds = a.childForFieldName('conditional_expressions');
        const ret = a.childForFieldName('return_expression');
        return `${conds ? conds.namedChildren.map((c) => c.text).join(', ') : 'default'} => ${ret ? oneLine(ret, 100) : ''}`;
      }),
      fields: fieldsIn(subject),
      evidence: [evidenceOf(path, node)],
      path: conditions,
    });
  };

  /** `if ($plan === 'gold') ... elseif ($plan === 'silver') ...`: one decision over the subject. */
  const decisionChain = (node: SyntaxNode, conditions: string[]): void => {
    const branches: { subject: string; value: string; body: SyntaxNode | null }[] = [];
    const compare = (c: SyntaxNode | null): { subject: string; value: string } | undefined => {
      let e = c;
      while (e?.type === 'parenthesized_expression') e = e.namedChildren[0] ?? null;
      if (!e || e.type !== 'binary_expression' || !['==', '==='].includes(operatorOf(e))) return undefined;
      const l = e.childForFieldName('left');
      const r = e.childForFieldName('right');
      const lv = stringValue(l);
      const rv = stringValue(r);
      if (rv !== undefined && l && lv === undefined) return { subject: oneLine(l), value: rv };
      if (lv !== undefined && r && rv === undefined) return { subject: oneLine(r), value: lv };
      return undefined;
    };
    const first = compare(node.childForFieldName('condition'));
    if (!first) return;
    branches.push({ ...first, body: node.childForFieldName('body') });
    for (const alt of node.namedChildren) {
      if (alt.type !== 'else_if_clause') continue;
      const c = compare(alt.childForFieldName('condition'));
      if (!c || c.subject !== first.subject) return;
      branches.push({ ...c, body: alt.childForFieldName('body') });
    }
    if (branches.length < 2) return;
    const subjectNode = node.childForFieldName('condition');
    if (subjectNode && /REQUEST_METHOD/.test(subjectNode.text)) return;
    book.add({
      kind: 'decision',
      scope: scopeOf(node),
      statement: `Decides by ${first.subject} among ${branches.map((b) => `'${b.value}'`).join(', ')}`,
      condition: first.subject,
      effects: branches.map((b) => {
        const st = b.body?.type === 'compound_statement' ? b.body.namedChildren.find((s) => s.type !== 'comment') : b.body;
        return `'${b.value}': ${st ? oneLine(st, 100) : ''}`;
      }),
      fields: fieldsIn(subjectNode),
      evidence: [evidenceOf(path, node)],
      path: conditions,
    });
  };

  visit(root, []);
}

/** The rejection a statement makes: a 4xx answer, a 4xx `abort`, or an exception. */
function rejection(st: SyntaxNode): ResponseAt | undefined {
  const expr = st.type === 'return_statement' || st.type === 'expression_statement' ? st.namedChildren[0] : st.type === 'echo_statement' ? undefined : undefined;
  if (!expr) return undefined;
  const candidates = [expr, ...descendants(expr, ['function_call_expression', 'member_call_expression', 'scoped_call_expression', 'object_creation_expression', 'throw_expression'], { stopAt: ['anonymous_function', 'arrow_function'] })];
  for (const c of candidates) {
    const r = responseAt(c);
    if (!r || r.guard) continue;
    if (r.status >= 400 && r.status < 500) return r;
    if (r.exception && c.type === 'throw_expression' && r.message) return r;
  }
  return undefined;
}

function effectText(r: ResponseAt): string {
  if (r.exception && r.status >= 500) return `throws ${r.exception}${r.message ? ` "${r.message}"` : ''}`;
  return `${r.status}${r.message ? ` "${r.message}"` : ''}`;
}

function condText(node: SyntaxNode | null | undefined): string {
  if (!node) return '';
  let n = node;
  while (n.type === 'parenthesized_expression' && n.namedChildren.length === 1) n = n.namedChildren[0]!;
  return oneLine(n);
}

function isRequestMethod(node: SyntaxNode): boolean {
  return /REQUEST_METHOD|getMethod\(\)|->method\(\)/.test(node.text);
}

function arithmeticNodes(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const visit = (n: SyntaxNode): void => {
    if (n.type === 'binary_expression' && ARITHMETIC.has(operatorOf(n))) out.push(n);
    if (['anonymous_function', 'arrow_function'].includes(n.type)) return;
    // Arguments of calls are computed elsewhere (`round($a * $b, 2)` is still this assignment's).
    for (const c of n.namedChildren) visit(c);
  };
  visit(node);
  return out;
}

/** `$total` → `total`, `$order->total` → `order.total`, `$data['total']` → `data.total`. */
export function fieldName(node: SyntaxNode): string | undefined {
  switch (node.type) {
    case 'variable_name':
      return node.text.replace(/^\$/, '');
    case 'member_access_expression':
    case 'nullsafe_member_access_expression': {
      const obj = node.childForFieldName('object');
      const name = node.childForFieldName('name');
      if (!obj || !name || name.type !== 'name') return undefined;
      const base = obj.text === '$this' ? undefined : fieldName(obj);
      return base ? `${base}.${name.text}` : name.text;
    }
    case 'subscript_expression': {
      const [obj, idx] = node.namedChildren;
      const key = stringValue(idx);
      if (!obj || key === undefined) return undefined;
      const base = fieldName(obj);
      return base ? `${base}.${key}` : key;
    }
    default:
      return undefined;
  }
}

/** Data names read in an expression: variables, properties, array keys, `$request->input('x')`. */
function namedValues(node: SyntaxNode): string[] {
  const out: string[] = [];
  const visit = (n: SyntaxNode): void => {
    if (n.type === 'variable_name' && n.text === '$this') return;
    const f = fieldName(n);
    if (f) {
      out.push(f);
      return;
    }
    if ((n.type === 'member_call_expression' || n.type === 'function_call_expression') && /^(input|get|query|post|request|old)$/.test(calleeName(n) ?? '')) {
      const key = stringValue(argsOf(n)[0]?.value);
      if (key) {
        out.push(key);
        return;
      }
    }
    for (const c of n.namedChildren) visit(c);
  };
  visit(node);
  return out;
}

function fieldsIn(node: SyntaxNode | null | undefined): string[] {
  if (!node) return [];
  return [...new Set(namedValues(node).filter((n) => n !== 'this' && !/^_(GET|POST|SERVER|REQUEST)$/.test(n)))];
}

export { lineOf, endLineOf };
