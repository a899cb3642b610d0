/**
 * Business rules in Java method bodies, each tied to its lines: guard clauses that reject a
 * request (`if (...) throw new ...`, `return ResponseEntity.badRequest()...`,
 * `response.sendError(400, ...)`, `orElseThrow(NotFoundException::new)`) as validations;
 * assignments, declarations and setter calls that compute a value with arithmetic on named
 * values as calculations; `switch` over strings or enum constants, and `if / else if` chains
 * comparing one value with several literals, as decisions. Trivial code (counters, string
 * building, index arithmetic) is not a rule.
 */
import type { Rule } from '../model.js';
import type { RuleInput } from '../service/rules.js';
import { descendants, evidenceOf, lineOf, type SyntaxNode } from '../service/tree-sitter.js';
import { statusOf } from './responses.js';
import { compact, evalString, type ClassInfo, type JavaFile } from './syntax.js';

const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);
const BIG_MATH = new Set(['add', 'subtract', 'multiply', 'divide', 'remainder', 'pow', 'negate', 'plus', 'minus', 'times', 'dividedBy', 'multipliedBy']);
const NUMERIC = /^(int|long|short|byte|double|float|Integer|Long|Short|Double|Float|BigDecimal|BigInteger|Number|Money|MonetaryAmount)$/;
const TRIVIAL_TARGETS = /^(i|j|k|n|idx|index|count|counter|offset|len|length|size|pos|position|start|end|page|limit|retries|attempts|attempt|hash|hashCode|result)$/i;

/** Rules of every method in the file, by method node id. */
export function extractRules(file: JavaFile, add: (r: RuleInput) => Rule): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const cls of file.classes) {
    const members = cls.body ? cls.body.namedChildren.filter((m) => m.type === 'method_declaration' || m.type === 'constructor_declaration') : [];
    for (const m of members) {
      const body = m.childForFieldName('body');
      if (!body) continue;
      const scope = `${cls.localName}.${m.childForFieldName('name')?.text ?? '<init>'}`;
      const ids = methodRules(body, m, cls, file, scope, add).map((r) => r.id);
      if (ids.length) out.set(m.id, ids);
    }
  }
  return out;
}

function methodRules(body: SyntaxNode, method: SyntaxNode, cls: ClassInfo, file: JavaFile, scope: string, add: (r: RuleInput) => Rule): Rule[] {
  const rules: Rule[] = [];
  const types = declaredTypes(body, method, cls);
  const nodes = descendants(body, ['if_statement', 'method_invocation', 'assignment_expression', 'variable_declarator', 'switch_expression'], { stopAt: ['class_body'] });
  for (const node of nodes) {
    switch (node.type) {
      case 'if_statement': {
        const guard = guardRule(node, cls, file, scope);
        if (guard) rules.push(add(guard));
        const decision = ifChainDecision(node, file, scope);
        if (decision) rules.push(add(decision));
        break;
      }
      case 'method_invocation': {
        const name = node.childForFieldName('name')?.text;
        if (name === 'orElseThrow') {
          const r = orElseThrowRule(node, cls, file, scope);
          if (r) rules.push(add(r));
        } else if (name && /^set[A-Z]/.test(name)) {
          const arg = node.childForFieldName('arguments')?.namedChildren;
          if (arg?.length === 1) {
            const target = `${node.childForFieldName('object') ? compact(node.childForFieldName('object')!) + '.' : ''}${name[3]!.toLowerCase()}${name.slice(4)}`;
            const r = calculation(target, arg[0]!, node, types, undefined, file, scope);
            if (r) rules.push(add(r));
          }
        }
        break;
      }
      case 'assignment_expression': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        const op = node.childForFieldName('operator')?.text ?? '=';
        if (!left || !right) break;
        const r = calculation(compact(left), right, node, types, op === '=' ? undefined : op.slice(0, -1), file, scope);
        if (r) rules.push(add(r));
        break;
      }
      case 'variable_declarator': {
        const name = node.childForFieldName('name')?.text;
        const value = node.childForFieldName('value');
        if (!name || !value || node.parent?.type !== 'local_variable_declaration') break;
        const r = calculation(name, value, node.parent, types, undefined, file, scope);
        if (r) rules.push(add(r));
        break;
      }
      case 'switch_expression': {
        const r = switchDecision(node, file, scope);
        if (r) rules.push(add(r));
        break;
      }
    }
  }
  return rules;
}

// ---------------------------------------------------------------- guards

/** The rejection a statement makes: a thrown exception, an error response, `sendError`. */
function rejection(stmt: SyntaxNode, cls: ClassInfo, file: JavaFile): string | undefined {
  if (stmt.type === 'block') {
    for (const s of stmt.namedChildren) {
      const r = rejection(s, cls, file);
      if (r) return r;
    }
    return undefined;
  }
  if (stmt.type === 'throw_statement') {
    const created = stmt.namedChildren[0];
    if (created?.type !== 'object_creation_expression') return undefined;
    return describeException(created, cls, file);
  }
  if (stmt.type === 'return_statement' || stmt.type === 'expression_statement') {
    const e = stmt.namedChildren[0];
    if (!e) return undefined;
    return errorResponse(e, cls, file);
  }
  return undefined;
}

function describeException(created: SyntaxNode, cls: ClassInfo, file: JavaFile): string {
  const type = created.childForFieldName('type')?.text ?? 'Exception';
  const args = created.childForFieldName('arguments')?.namedChildren ?? [];
  const status = args.map((a) => statusOf(a)).find((s) => s !== undefined);
  const message = args.map((a) => evalString(a, cls, file)).find((m) => m !== undefined && !m.includes('{{const:'));
  if (status !== undefined && /^(ResponseStatusException|WebApplicationException|ClientErrorException)$/.test(type)) return `${status}${message ? ` "${message}"` : ''}`;
  return `throw ${type}${message ? `("${message}")` : ''}`;
}

/** `ResponseEntity.badRequest().body("x")`, `Response.status(404)...`, `resp.sendError(400, "x")` with a 4xx/5xx status. */
function errorResponse(e: SyntaxNode, cls: ClassInfo, file: JavaFile): string | undefined {
  if (e.type !== 'method_invocation' && e.type !== 'object_creation_expression') return undefined;
  let status: number | undefined;
  let message: string | undefined;
  const visit = (n: SyntaxNode): void => {
    if (n.type === 'method_invocation') {
      const name = n.childForFieldName('name')?.text ?? '';
      const args = n.childForFieldName('arguments')?.namedChildren ?? [];
      const fixed: Record<string, number> = { badRequest: 400, notFound: 404, unprocessableEntity: 422, internalServerError: 500, serverError: 500 };
      if (fixed[name]) status = fixed[name];
      else if ((name === 'status' || name === 'sendError' || name === 'setStatus') && args[0]) status = statusOf(args[0]) ?? status;
      if ((name === 'body' || name === 'entity' || name === 'sendError') && args.length) {
        const m = evalString(args[args.length - 1], cls, file);
        if (m !== undefined && !m.includes('{{const:')) message = m;
      }
      const obj = n.childForFieldName('object');
      if (obj) visit(obj);
    } else if (n.type === 'object_creation_expression' && /^ResponseEntity/.test(n.childForFieldName('type')?.text ?? '')) {
      const args = n.childForFieldName('arguments')?.namedChildren ?? [];
      status = statusOf(args[args.length - 1]);
      const m = args.length >= 2 ? evalString(args[0], cls, file) : undefined;
      if (m !== undefined && !m.includes('{{const:')) message = m;
    }
  };
  visit(e);
  return status !== undefined && status >= 400 ? `${status}${message ? ` "${message}"` : ''}` : undefined;
}

function guardRule(node: SyntaxNode, cls: ClassInfo, file: JavaFile, scope: string): RuleInput | undefined {
  const cond = node.childForFieldName('condition');
  const then = node.childForFieldName('consequence');
  if (!cond || !then) return undefined;
  const effect = rejection(then, cls, file);
  if (!effect) return undefined;
  const condition = compact(cond).replace(/^\((.*)\)$/s, '$1');
  const outcome = effect.startsWith('throw ') ? `${effect.slice(6)} is thrown` : `the request is rejected with ${effect}`;
  return {
    kind: 'validation',
    scope,
    statement: `When ${condition}, ${outcome}`,
    condition,
    effects: [effect],
    fields: fieldsOf(cond),
    evidence: [{ path: file.path, startLine: lineOf(node), endLine: evidenceOf(file.path, then).endLine }],
  };
}

function orElseThrowRule(node: SyntaxNode, cls: ClassInfo, file: JavaFile, scope: string): RuleInput | undefined {
  const arg = node.childForFieldName('arguments')?.namedChildren[0];
  const receiver = node.childForFieldName('object');
  if (!arg || !receiver) return undefined;
  let effect: string | undefined;
  if (arg.type === 'method_reference' && /::\s*new$/.test(arg.text)) effect = `throw ${arg.text.replace(/\s*::\s*new$/, '')}`;
  else if (arg.type === 'lambda_expression') {
    const b = arg.childForFieldName('body');
    if (b?.type === 'object_creation_expression') effect = describeException(b, cls, file);
  }
  if (!effect) return undefined;
  // `repo.findBySlug(slug).map(a -> ...).orElseThrow(...)`: the lookup is what finds nothing.
  let lookup = receiver;
  while (lookup.type === 'method_invocation' && /^(map|flatMap|filter|or)$/.test(lookup.childForFieldName('name')?.text ?? '') && lookup.childForFieldName('object')) {
    lookup = lookup.childForFieldName('object')!;
  }
  const what = compact(lookup);
  return {
    kind: 'validation',
    scope,
    statement: `When ${what} finds nothing, ${effect.startsWith('throw ') ? `${effect.slice(6)} is thrown` : `the request is rejected with ${effect}`}`,
    condition: `${what} is empty`,
    effects: [effect],
    fields: fieldsOf(lookup),
    evidence: [evidenceOf(file.path, node)],
  };
}

// ---------------------------------------------------------------- calculations

function declaredTypes(body: SyntaxNode, method: SyntaxNode, cls: ClassInfo): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of cls.fieldTypes) out.set(k, v.text);
  for (const p of method.childForFieldName('parameters')?.namedChildren ?? []) {
    const n = p.childForFieldName('name')?.text;
    const t = p.childForFieldName('type')?.text;
    if (n && t) out.set(n, t);
  }
  for (const d of descendants(body, 'local_variable_declaration', { stopAt: ['class_body'] })) {
    const t = d.childForFieldName('type')?.text;
    for (const v of d.namedChildren.filter((c) => c.type === 'variable_declarator')) {
      const n = v.childForFieldName('name')?.text;
      if (n && t) out.set(n, t);
    }
  }
  return out;
}

function calculation(target: string, value: SyntaxNode, at: SyntaxNode, types: Map<string, string>, compoundOp: string | undefined, file: JavaFile, scope: string): RuleInput | undefined {
  const simple = target.replace(/^this\./, '').split('.').pop()!;
  if (TRIVIAL_TARGETS.test(simple)) return undefined;
  const targetType = types.get(target.replace(/^this\./, ''));
  if (targetType && !NUMERIC.test(targetType)) return undefined;
  const expr = value.type === 'parenthesized_expression' ? value.namedChildren[0]! : value;
  if (!isCalculation(expr, types, compoundOp, targetType)) return undefined;
  if (compoundOp && /^(1|1L)$/.test(expr.text)) return undefined;
  const text = compact(expr);
  if (text.length > 300) return undefined;
  const effect = compoundOp ? `${target} := ${target} ${compoundOp} ${text}` : `${target} := ${text}`;
  const conditions = enclosingConditions(at);
  return {
    kind: 'calculation',
    scope,
    statement: `${target} is calculated as ${compoundOp ? `${target} ${compoundOp} ${text}` : text}${conditions.length ? ` when ${conditions[conditions.length - 1]}` : ''}`,
    condition: conditions.length ? conditions[conditions.length - 1]! : null,
    effects: [effect],
    fields: [simple, ...fieldsOf(expr)],
    evidence: [evidenceOf(file.path, at.type === 'variable_declarator' ? at.parent! : at.parent?.type === 'expression_statement' ? at.parent : at)],
    ...(conditions.length > 1 ? { path: conditions.slice(0, -1).map((c) => `if (${c})`) } : {}),
  };
}

/** Arithmetic on at least one named value (not only literals), and not string building. */
function isCalculation(expr: SyntaxNode, types: Map<string, string>, compoundOp: string | undefined, targetType: string | undefined): boolean {
  const ops: string[] = [];
  let named = 0;
  let stringy = false;
  const visit = (n: SyntaxNode): void => {
    if (n.type === 'binary_expression') {
      const op = n.childForFieldName('operator')?.text ?? '';
      if (ARITHMETIC.has(op)) ops.push(op);
      else if (!['<', '>', '<=', '>=', '==', '!='].includes(op)) return;
    }
    if (n.type === 'method_invocation') {
      const name = n.childForFieldName('name')?.text ?? '';
      if (BIG_MATH.has(name)) ops.push(name);
      if (/^(toString|format|concat|append|join|valueOf|substring|trim|replace|size|length|indexOf)$/.test(name)) stringy = stringy || name !== 'valueOf';
      if (/^(get[A-Z]\w*|[a-z]\w*)$/.test(name) && !BIG_MATH.has(name)) named++;
    }
    if (n.type === 'string_literal' || n.type === 'character_literal') stringy = true;
    if (n.type === 'identifier') {
      named++;
      const t = types.get(n.text);
      if (t && /^(String|StringBuilder|char|Character)$/.test(t)) stringy = true;
    }
    if (n.type === 'field_access') named++;
    for (const c of n.namedChildren) if (c.type !== 'argument_list' || n.type !== 'method_invocation' || BIG_MATH.has(n.childForFieldName('name')?.text ?? '')) visit(c);
  };
  visit(expr);
  if (stringy || named === 0) return false;
  if (compoundOp) return ARITHMETIC.has(compoundOp) && (compoundOp !== '+' || !!targetType);
  if (ops.length === 0) return false;
  // `a + b` alone might be text: only with a numeric target or another operator.
  if (ops.every((o) => o === '+') && !targetType) return false;
  return true;
}

function enclosingConditions(node: SyntaxNode): string[] {
  const out: string[] = [];
  for (let p = node.parent, child: SyntaxNode = node; p && p.type !== 'method_declaration' && p.type !== 'constructor_declaration'; child = p, p = p.parent) {
    if (p.type === 'if_statement') {
      const cond = compact(p.childForFieldName('condition') ?? p).replace(/^\((.*)\)$/s, '$1');
      out.unshift(p.childForFieldName('alternative')?.id === child.id ? `!(${cond})` : cond);
    }
  }
  return out;
}

// ---------------------------------------------------------------- decisions

function switchDecision(node: SyntaxNode, file: JavaFile, scope: string): RuleInput | undefined {
  const subject = node.childForFieldName('condition');
  const block = node.childForFieldName('body');
  if (!subject || !block) return undefined;
  const effects: string[] = [];
  let labels = 0;
  for (const group of block.namedChildren) {
    const caseLabels = group.namedChildren.filter((c) => c.type === 'switch_label');
    const values = caseLabels.flatMap((l) => l.namedChildren.map((v) => compact(v)));
    const literal = caseLabels.every((l) => l.text.trim() === 'default' || l.namedChildren.every((v) => v.type === 'string_literal' || v.type === 'identifier' || v.type === 'field_access' || /_literal$/.test(v.type)));
    if (!literal) return undefined;
    labels += values.length;
    const action = group.namedChildren.filter((c) => c.type !== 'switch_label' && c.type !== 'break_statement').map((c) => compact(c)).join(' ');
    effects.push(`${values.length ? values.join(', ') : 'default'} → ${action.length > 160 ? `${action.slice(0, 157)}...` : action || '(falls through)'}`);
  }
  if (labels < 2) return undefined;
  const what = compact(subject).replace(/^\((.*)\)$/s, '$1');
  return {
    kind: 'decision',
    scope,
    statement: `Depending on ${what}: ${effects.map((e) => e.split(' → ')[0]).join(' / ')}`,
    condition: what,
    effects,
    fields: fieldsOf(subject),
    evidence: [evidenceOf(file.path, node)],
  };
}

/** `if (x.equals("A")) ... else if ("B".equals(x)) ... else ...` with one subject and 2+ literals. */
function ifChainDecision(node: SyntaxNode, file: JavaFile, scope: string): RuleInput | undefined {
  if (node.parent?.type === 'if_statement' && node.parent.childForFieldName('alternative')?.id === node.id) return undefined;
  const branches: { value: string; action: string }[] = [];
  let subject: string | undefined;
  let cur: SyntaxNode | null = node;
  let last: SyntaxNode = node;
  while (cur?.type === 'if_statement') {
    const cond = cur.childForFieldName('condition')?.namedChildren[0];
    const cmp = cond ? comparison(cond) : undefined;
    if (!cmp || (subject !== undefined && cmp.subject !== subject)) return undefined;
    subject = cmp.subject;
    const then = cur.childForFieldName('consequence');
    branches.push({ value: cmp.value, action: then ? compact(then).replace(/^\{\s*|\s*\}$/g, '') : '' });
    last = cur;
    const alt: SyntaxNode | null = cur.childForFieldName('alternative');
    if (alt && alt.type !== 'if_statement') {
      branches.push({ value: 'otherwise', action: compact(alt).replace(/^\{\s*|\s*\}$/g, '') });
      last = alt;
    }
    cur = alt;
  }
  if (branches.filter((b) => b.value !== 'otherwise').length < 2 || !subject) return undefined;
  return {
    kind: 'decision',
    scope,
    statement: `Depending on ${subject}: ${branches.map((b) => b.value).join(' / ')}`,
    condition: subject,
    effects: branches.map((b) => `${b.value} → ${b.action.length > 160 ? `${b.action.slice(0, 157)}...` : b.action}`),
    fields: [subject.split('.').pop()!.replace(/\(\)$/, '')],
    evidence: [{ path: file.path, startLine: lineOf(node), endLine: evidenceOf(file.path, last).endLine }],
  };
}

function comparison(cond: SyntaxNode): { subject: string; value: string } | undefined {
  if (cond.type === 'method_invocation' && /^(equals|equalsIgnoreCase)$/.test(cond.childForFieldName('name')?.text ?? '')) {
    const obj = cond.childForFieldName('object');
    const arg = cond.childForFieldName('arguments')?.namedChildren[0];
    if (!obj || !arg) return undefined;
    if (obj.type === 'string_literal') return { subject: compact(arg), value: obj.text };
    if (arg.type === 'string_literal') return { subject: compact(obj), value: arg.text };
    return undefined;
  }
  if (cond.type === 'binary_expression' && cond.childForFieldName('operator')?.text === '==') {
    const l = cond.childForFieldName('left');
    const r = cond.childForFieldName('right');
    if (!l || !r) return undefined;
    const isConst = (n: SyntaxNode): boolean => (n.type === 'field_access' && /^[A-Z][A-Z0-9_]*$/.test(n.childForFieldName('field')?.text ?? '')) || /^(decimal_integer_literal|character_literal)$/.test(n.type);
    if (isConst(r) && !isConst(l)) return { subject: compact(l), value: compact(r) };
    if (isConst(l) && !isConst(r)) return { subject: compact(r), value: compact(l) };
  }
  return undefined;
}

/** Data names in an expression: identifiers, fields and getter names (`getAmount()` → `amount`). */
function fieldsOf(node: SyntaxNode): string[] {
  const out: string[] = [];
  for (const n of [node, ...descendants(node, ['identifier', 'method_invocation', 'field_access'])]) {
    if (n.type === 'identifier' && /^[a-z_]/.test(n.text) && n.parent?.type !== 'method_invocation') out.push(n.text);
    else if (n.type === 'identifier' && n.parent?.type === 'method_invocation' && n.parent.childForFieldName('object')?.id === n.id && /^[a-z_]/.test(n.text)) out.push(n.text);
    else if (n.type === 'method_invocation') {
      const name = n.childForFieldName('name')?.text ?? '';
      const m = /^(get|is)([A-Z]\w*)$/.exec(name);
      if (m) out.push(m[2]![0]!.toLowerCase() + m[2]!.slice(1));
    }
  }
  return [...new Set(out)].filter((f) => !/^(this|null|true|false)$/.test(f));
}
