/**
 * Business rules in C# code, each with its exact lines: guard clauses that reject a request
 * (`if (x <= 0) return BadRequest("...")`, `throw new XException(HttpStatusCode.NotFound, ...)`,
 * `x is null ? Results.NotFound() : ...`) → `validation`; assignments computing a business value
 * with arithmetic (`order.Total = order.Price * order.Qty`, expression-bodied properties) →
 * `calculation`; switches and `if`/`else if` chains on string or enum values → `decision`.
 * DataAnnotations on DTOs become `validation` rules through `addConstraint`.
 *
 * Kept precise on purpose: null checks that throw `ArgumentNullException`, `ModelState.IsValid`
 * boilerplate, counters, string concatenation and paging arithmetic make no rule. Guards outside
 * route handlers count only when they throw.
 */
import type { Rule } from '../model.js';
import { createRuleCollector, type RuleInput } from '../service/rules.js';
import { endLineOf, lineOf, type SyntaxNode } from '../service/tree-sitter.js';
import type { Constraint } from './annotations.js';
import type { CsFile } from './scope.js';
import { CONTROLLER_HELPERS, RESULT_CLASSES, RESULTS_FACTORIES, statusOf } from './statuses.js';
import { compact, identifierOf, literalString, sameNode } from './syntax.js';

export interface RuleSink {
  readonly rules: Rule[];
  add(input: RuleInput): Rule;
  /** A DataAnnotations constraint on `Type.Member`, evidence from the attribute to the member's name. */
  addConstraint(typeName: string, member: string, subject: string, c: Constraint, memberNode: SyntaxNode): Rule;
}

export function createRuleSink(path: string): RuleSink {
  const collector = createRuleCollector('CS', path);
  return {
    rules: collector.rules,
    add: (input) => collector.add(input),
    addConstraint(typeName, member, subject, c, memberNode) {
      const nameNode = memberNode.childForFieldName('name') ?? memberNode;
      const start = Math.min(lineOf(c.attr.node), lineOf(nameNode));
      return collector.add({
        kind: 'validation',
        scope: `${typeName}.${member}`,
        statement: c.statement,
        condition: compact(c.attr.node),
        effects: c.effects,
        fields: [subject],
        evidence: [{ path, startLine: start, endLine: Math.max(start, lineOf(nameNode)) }],
      });
    },
  };
}

/** A rule found in code, with the node it covers (routes collect the rules inside their handler). */
export interface CodeRule {
  rule: Rule;
  node: SyntaxNode;
}

/** What a rejecting statement does: the status (when known), the exception, the message. */
interface Rejection {
  status?: number;
  exception?: string;
  message?: string;
  node: SyntaxNode;
}

const FUNCTION_NODES = ['method_declaration', 'constructor_declaration', 'local_function_statement', 'lambda_expression', 'anonymous_method_expression', 'property_declaration', 'accessor_declaration', 'operator_declaration', 'conversion_operator_declaration'];

/**
 * Every rule in the file's code. `isHandler(node)` tells whether a node lies in a route handler
 * (where rejecting returns are guards); elsewhere only throwing guards count.
 */
export function extractCodeRules(file: CsFile, sink: RuleSink, isHandler: (node: SyntaxNode) => boolean): CodeRule[] {
  const out: CodeRule[] = [];
  const path = file.path;
  const evidence = (node: SyntaxNode, last: SyntaxNode = node) => [{ path, startLine: lineOf(node), endLine: Math.max(lineOf(node), endLineOf(last)) }];

  const visit = (node: SyntaxNode): void => {
    switch (node.type) {
      case 'if_statement':
        guardOfIf(node);
        decisionOfIfChain(node);
        break;
      case 'conditional_expression':
        guardOfConditional(node);
        break;
      case 'switch_statement':
      case 'switch_expression':
        decisionOfSwitch(node);
        break;
      case 'assignment_expression':
        calculationOfAssignment(node);
        break;
      case 'variable_declarator':
        calculationOfDeclarator(node);
        break;
      case 'property_declaration':
        calculationOfProperty(node);
        break;
    }
    for (const c of node.namedChildren) visit(c);
  };

  const scopeOf = (node: SyntaxNode): string => {
    const type = file.enclosingType(node);
    for (let p: SyntaxNode | null = node; p; p = p.parent) {
      if (p.type === 'method_declaration' || p.type === 'constructor_declaration' || p.type === 'property_declaration' || p.type === 'local_function_statement') {
        const name = p.childForFieldName('name')?.text ?? p.type;
        return type ? `${type.name}.${name}` : name;
      }
    }
    return type?.name ?? '<top-level>';
  };

  /** Enclosing conditions of a node inside its function, outermost first. */
  const pathOf = (node: SyntaxNode, stopAt?: SyntaxNode): string[] => {
    const conds: string[] = [];
    let child = node;
    for (let p = node.parent; p && !FUNCTION_NODES.includes(p.type); child = p, p = p.parent) {
      if (sameNode(p, stopAt)) continue;
      if (p.type === 'if_statement') {
        const cond = p.childForFieldName('condition');
        if (!cond || sameNode(child, cond)) continue;
        const inElse = p.childForFieldName('alternative')?.id === child.id;
        conds.unshift(inElse ? `not (${compact(cond)})` : compact(cond));
      } else if (p.type === 'switch_section') {
        const labels = p.namedChildren.filter((c) => c.type !== 'expression_statement' && !c.type.endsWith('_statement') && c.type !== 'block');
        const sw = p.parent?.parent;
        const value = sw?.childForFieldName('value');
        if (labels.length && value) conds.unshift(`${compact(value)} is ${labels.map(compact).join(' or ')}`);
      }
    }
    return conds;
  };

  // ------------------------------------------------------------ guards

  const rejectionOf = (stmt: SyntaxNode | null | undefined, inHandler: boolean): Rejection | undefined => {
    if (!stmt) return undefined;
    if (stmt.type === 'block') {
      const stmts = stmt.namedChildren.filter((c) => c.type !== 'comment');
      return stmts.length > 0 && stmts.length <= 4 ? rejectionOf(stmts[stmts.length - 1], inHandler) : undefined;
    }
    if (stmt.type === 'throw_statement' || stmt.type === 'throw_expression') return throwRejection(stmt);
    if (stmt.type === 'return_statement' && inHandler) return resultRejection(stmt.namedChildren[0], stmt);
    return undefined;
  };

  const throwRejection = (stmt: SyntaxNode): Rejection | undefined => {
    const created = stmt.namedChildren[0];
    if (!created || created.type !== 'object_creation_expression') return undefined;
    const typeNode = created.childForFieldName('type');
    const exception = typeNode ? identifierOf(typeNode) : 'Exception';
    if (/^Argument(Null)?Exception$/.test(exception) && /Null/.test(exception)) return undefined;
    const args = created.childForFieldName('arguments')?.namedChildren ?? [];
    let status: number | undefined;
    let message: string | undefined;
    for (const a of args) {
      const value = a.namedChildren[a.namedChildren.length - 1];
      status ??= statusOf(value);
      message ??= messageOf(value);
    }
    if (status === undefined && /^BadHttpRequestException$/.test(exception)) status = 400;
    return { exception, ...(status !== undefined ? { status } : {}), ...(message !== undefined ? { message } : {}), node: stmt };
  };

  const resultRejection = (expr: SyntaxNode | undefined, node: SyntaxNode): Rejection | undefined => {
    const r = resultStatus(expr);
    if (!r || r.status < 400) return undefined;
    return { status: r.status, ...(r.message !== undefined ? { message: r.message } : {}), node };
  };

  const guardOfIf = (node: SyntaxNode): void => {
    const cond = node.childForFieldName('condition');
    if (!cond || trivialCondition(cond)) return;
    const inHandler = isHandler(node);
    const consequence = rejectionOf(node.childForFieldName('consequence'), inHandler);
    const alternative = consequence ? undefined : rejectionOf(node.childForFieldName('alternative'), inHandler);
    const rejection = consequence ?? alternative;
    if (!rejection) return;
    if (!inHandler && (rejection.exception === undefined || onlyNullChecks(cond))) return;
    const condition = consequence ? compact(cond) : `not (${compact(cond)})`;
    addGuard(node, condition, cond, rejection, consequence ? node.childForFieldName('consequence')! : node);
  };

  const guardOfConditional = (node: SyntaxNode): void => {
    if (!isHandler(node)) return;
    const cond = node.childForFieldName('condition');
    if (!cond || trivialCondition(cond)) return;
    const yes = resultRejection(node.childForFieldName('consequence') ?? undefined, node);
    const no = yes ? undefined : resultRejection(node.childForFieldName('alternative') ?? undefined, node);
    const rejection = yes ?? no;
    if (!rejection) return;
    addGuard(node, yes ? compact(cond) : `not (${compact(cond)})`, cond, rejection, node);
  };

  const addGuard = (node: SyntaxNode, condition: string, condNode: SyntaxNode, r: Rejection, last: SyntaxNode): void => {
    const effect = `${r.status ?? `throws ${r.exception}`}${r.status && r.exception ? ` (${r.exception})` : ''}${r.message ? ` "${r.message}"` : ''}`;
    const message = r.message ? `: "${r.message}"` : '';
    const statement = isHandler(node)
      ? `The request is rejected with ${r.status ?? `an exception (${r.exception})`} when ${condition}${message}`
      : `${r.exception ?? 'An exception'} is thrown${r.status ? ` (status ${r.status})` : ''} when ${condition}${message}`;
    const rule = sink.add({
      kind: 'validation',
      scope: scopeOf(node),
      statement,
      condition,
      effects: [effect],
      fields: fieldsIn(condNode),
      evidence: evidence(node, last),
      path: pathOf(node),
    });
    out.push({ rule, node });
  };

  // ------------------------------------------------------------ calculations

  const calculationOfAssignment = (node: SyntaxNode): void => {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const op = node.childForFieldName('operator')?.type ?? '=';
    if (!left || !right) return;
    if (op === '=' ? !isCalculation(right) || isConstruction(right) : !['+=', '-=', '*=', '/=', '%='].includes(op) || !isCompoundCalculation(left, right)) return;
    if (counterLike(left.text) || textLike(left.text)) return;
    addCalculation(node.parent?.type === 'expression_statement' ? node.parent : node, compact(left), `${compact(left)} ${op} ${compact(right)}`, [left, right]);
  };

  const calculationOfDeclarator = (node: SyntaxNode): void => {
    const name = node.childForFieldName('name');
    const value = node.namedChildren[node.namedChildren.length - 1];
    if (!name || !value || sameNode(value, name) || !isCalculation(value) || isConstruction(value) || counterLike(name.text) || textLike(name.text)) return;
    const stmt = node.parent?.parent?.type === 'local_declaration_statement' || node.parent?.parent?.type === 'field_declaration' ? node.parent.parent : node;
    addCalculation(stmt, name.text, `${name.text} = ${compact(value)}`, [name, value]);
  };

  const calculationOfProperty = (node: SyntaxNode): void => {
    const value = node.childForFieldName('value');
    if (value?.type !== 'arrow_expression_clause') return;
    const expr = value.namedChildren[0];
    const name = node.childForFieldName('name');
    if (!expr || !name || !isCalculation(expr)) return;
    addCalculation(node, name.text, `${name.text} => ${compact(expr)}`, [name, expr]);
  };

  const addCalculation = (stmt: SyntaxNode, target: string, effect: string, parts: SyntaxNode[]): void => {
    const conds = pathOf(stmt);
    const rule = sink.add({
      kind: 'calculation',
      scope: scopeOf(stmt),
      statement: `${target} ${describeEffect(effect)}${conds.length ? ` when ${conds.join(' and ')}` : ''}`,
      condition: conds.length ? conds.join(' AND ') : null,
      effects: [effect],
      fields: [target, ...parts.slice(1).flatMap(fieldsIn)],
      evidence: evidence(stmt),
      path: conds.slice(0, -1),
    });
    out.push({ rule, node: stmt });
  };

  // ------------------------------------------------------------ decisions

  const decisionOfSwitch = (node: SyntaxNode): void => {
    const value = node.type === 'switch_statement' ? node.childForFieldName('value') : node.namedChildren[0];
    if (!value) return;
    const arms: string[] = [];
    let constants = 0;
    if (node.type === 'switch_statement') {
      for (const section of node.childForFieldName('body')?.namedChildren ?? []) {
        if (section.type !== 'switch_section') continue;
        const labels = section.namedChildren.filter((c) => /pattern$/.test(c.type) || c.type === 'default_switch_label' || c.type === 'when_clause');
        const body = section.namedChildren.filter((c) => !labels.some((l) => sameNode(l, c)));
        const labelText = labels.length ? labels.map(compact).join(' or ') : 'default';
        constants += labels.filter(isEnumLikeLabel).length;
        const first = body.find((b) => b.type !== 'break_statement') ?? body[0];
        arms.push(`${labelText} → ${first ? truncate(compact(first)) : '(falls through)'}`);
      }
    } else {
      for (const arm of node.namedChildren.filter((c) => c.type === 'switch_expression_arm')) {
        const pattern = arm.namedChildren[0];
        const result = arm.namedChildren[arm.namedChildren.length - 1];
        if (!pattern || !result) continue;
        if (isEnumLikeLabel(pattern)) constants++;
        arms.push(`${compact(pattern)} → ${truncate(compact(result))}`);
      }
    }
    if (constants < 2) return;
    addDecision(node, compact(value), arms, [value]);
  };

  const decisionOfIfChain = (node: SyntaxNode): void => {
    // Only the head of an `if / else if` chain.
    if (node.parent?.type === 'if_statement' && node.parent.childForFieldName('alternative')?.id === node.id) return;
    const arms: string[] = [];
    let subject: string | undefined;
    let last: SyntaxNode = node;
    let constants = 0;
    for (let n: SyntaxNode | null = node; n && n.type === 'if_statement'; n = n.childForFieldName('alternative')) {
      const m = equalityWithConstant(n.childForFieldName('condition'));
      if (!m || (subject !== undefined && m.subject !== subject)) break;
      subject = m.subject;
      constants++;
      const body = n.childForFieldName('consequence');
      arms.push(`${m.constant} → ${body ? truncate(compact(firstStatement(body))) : ''}`);
      last = n.childForFieldName('consequence') ?? n;
      const alt = n.childForFieldName('alternative');
      if (alt && alt.type !== 'if_statement') {
        arms.push(`otherwise → ${truncate(compact(firstStatement(alt)))}`);
        last = alt;
      }
    }
    if (!subject || constants < 2) return;
    addDecision(node, subject, arms, [node.childForFieldName('condition')!], last);
  };

  const addDecision = (node: SyntaxNode, subject: string, arms: string[], fieldsFrom: SyntaxNode[], last: SyntaxNode = node): void => {
    const conds = pathOf(node);
    const rule = sink.add({
      kind: 'decision',
      scope: scopeOf(node),
      statement: `Depending on ${subject}: ${arms.join('; ')}`,
      condition: subject,
      effects: arms,
      fields: fieldsFrom.flatMap(fieldsIn),
      evidence: evidence(node, last),
      path: conds,
    });
    out.push({ rule, node });
  };

  visit(file.root);
  return out;
}

function firstStatement(node: SyntaxNode): SyntaxNode {
  if (node.type === 'block') return node.namedChildren.find((c) => c.type !== 'comment') ?? node;
  return node;
}

function truncate(s: string, max = 80): string {
  const t = s.replace(/;$/, '');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** A label that is a string literal or an enum-like member (`Status.Open`, `"open"`). */
function isEnumLikeLabel(node: SyntaxNode): boolean {
  const inner = node.type === 'constant_pattern' ? node.namedChildren[0] : node;
  if (!inner) return false;
  if (inner.type === 'string_literal' || inner.type === 'verbatim_string_literal') return true;
  if (inner.type === 'member_access_expression') return /^[A-Z]/.test(inner.childForFieldName('name')?.text ?? '');
  if (node.type === 'or_pattern') return isEnumLikeLabel(node.childForFieldName('left')!) && isEnumLikeLabel(node.childForFieldName('right')!);
  return false;
}

/** `x == "a"`, `x.Equals("a")`, `x == Status.Open`, `"a" == x` → subject and constant. */
function equalityWithConstant(cond: SyntaxNode | null): { subject: string; constant: string } | undefined {
  if (!cond) return undefined;
  if (cond.type === 'parenthesized_expression') return equalityWithConstant(cond.namedChildren[0] ?? null);
  if (cond.type === 'binary_expression' && cond.childForFieldName('operator')?.type === '==') {
    const l = cond.childForFieldName('left')!;
    const r = cond.childForFieldName('right')!;
    if (isConstant(r) && !isConstant(l)) return { subject: compact(l), constant: compact(r) };
    if (isConstant(l) && !isConstant(r)) return { subject: compact(r), constant: compact(l) };
  }
  if (cond.type === 'is_pattern_expression') {
    const pattern = cond.childForFieldName('pattern');
    const expr = cond.childForFieldName('expression');
    if (pattern && expr && isEnumLikeLabel(pattern)) return { subject: compact(expr), constant: compact(pattern) };
  }
  if (cond.type === 'invocation_expression') {
    const fn = cond.childForFieldName('function');
    const arg = cond.childForFieldName('arguments')?.namedChildren[0]?.namedChildren[0];
    if (fn?.type === 'member_access_expression' && fn.childForFieldName('name')?.text === 'Equals' && arg && isConstant(arg)) {
      return { subject: compact(fn.childForFieldName('expression')!), constant: compact(arg) };
    }
  }
  return undefined;
}

function isConstant(n: SyntaxNode): boolean {
  if (n.type === 'string_literal' || n.type === 'verbatim_string_literal') return true;
  if (n.type === 'member_access_expression') {
    const name = n.childForFieldName('name')?.text ?? '';
    const expr = n.childForFieldName('expression')?.text ?? '';
    return /^[A-Z]/.test(name) && /^[A-Z][A-Za-z0-9_.]*$/.test(expr) && !/\b(string|String)$/.test(expr);
  }
  return false;
}

/** `!ModelState.IsValid` and similar framework boilerplate. */
function trivialCondition(cond: SyntaxNode): boolean {
  return /ModelState\.IsValid/.test(cond.text);
}

/** True when the condition only tests for null (`x == null`, `x is null`, `a == null || b == null`). */
function onlyNullChecks(cond: SyntaxNode): boolean {
  const t = cond.text.replace(/\s+/g, ' ');
  const parts = t.split(/\|\||&&/).map((p) => p.trim().replace(/^\(+|\)+$/g, ''));
  return parts.every((p) => /^[\w.?!]+ (==|is) null$/.test(p) || /^null == [\w.]+$/.test(p));
}

/** The status and message of a result expression (`BadRequest("x")`, `Results.NotFound()`, `new NotFoundResult()`, `StatusCode(409, "x")`). */
export function resultStatus(expr: SyntaxNode | undefined | null): { status: number; message?: string } | undefined {
  if (!expr) return undefined;
  if (expr.type === 'await_expression' || expr.type === 'parenthesized_expression') return resultStatus(expr.namedChildren[0]);
  if (expr.type === 'invocation_expression') {
    const fn = expr.childForFieldName('function');
    const args = expr.childForFieldName('arguments')?.namedChildren ?? [];
    let helper;
    if (fn?.type === 'identifier' || fn?.type === 'generic_name') helper = CONTROLLER_HELPERS[identifierOf(fn)];
    else if (fn?.type === 'member_access_expression') {
      const owner = fn.childForFieldName('expression')?.text;
      const name = identifierOf(fn.childForFieldName('name')!);
      if (owner === 'Results' || owner === 'TypedResults') helper = RESULTS_FACTORIES[name];
      else if (owner === 'this' || owner === 'base') helper = CONTROLLER_HELPERS[name];
      // Web API 2: `Request.CreateResponse(HttpStatusCode.NotFound, value)`.
      else if (name === 'CreateResponse' || name === 'CreateErrorResponse') helper = { status: 0, statusArg: 0, bodyArg: 1 };
    }
    if (!helper) return undefined;
    let status = helper.status;
    const statusNamed = args.find((a) => a.childForFieldName('name')?.text === 'statusCode');
    if (statusNamed) status = statusOf(statusNamed.namedChildren[statusNamed.namedChildren.length - 1]) ?? status;
    else if (helper.statusArg !== undefined) status = statusOf(args[helper.statusArg]?.namedChildren[0]) ?? 0;
    if (!status) return undefined;
    const message = args.map((a) => messageOf(a.namedChildren[a.namedChildren.length - 1])).find((m) => m !== undefined);
    return { status, ...(message !== undefined ? { message } : {}) };
  }
  if (expr.type === 'object_creation_expression') {
    const type = expr.childForFieldName('type');
    const typeName = type ? identifierOf(type) : '';
    const helper = typeName === 'HttpResponseMessage' ? { status: 200, statusArg: 0 } : RESULT_CLASSES[typeName];
    if (!helper) return undefined;
    const args = expr.childForFieldName('arguments')?.namedChildren ?? [];
    let status = helper.statusArg !== undefined ? (statusOf(args[helper.statusArg]?.namedChildren[0]) ?? helper.status) : helper.status;
    const init = expr.childForFieldName('initializer');
    for (const a of init?.namedChildren ?? []) {
      if (a.type === 'assignment_expression' && a.childForFieldName('left')?.text === 'StatusCode') status = statusOf(a.childForFieldName('right')) ?? status;
    }
    if (!status) return undefined;
    const message = args.map((a) => messageOf(a.namedChildren[a.namedChildren.length - 1])).find((m) => m !== undefined);
    return { status, ...(message !== undefined ? { message } : {}) };
  }
  return undefined;
}

/** A message in an argument: a string literal, an interpolated string (as written), or one inside `new { error = "..." }`. */
function messageOf(node: SyntaxNode | undefined): string | undefined {
  if (!node) return undefined;
  const s = literalString(node);
  if (s !== undefined) return s;
  if (node.type === 'interpolated_string_expression') return node.text.replace(/^\$@?"|^@\$"|"$/g, '');
  if (/object_creation_expression$/.test(node.type) || node.type === 'implicit_object_creation_expression') {
    // `new { error = "..." }`, `new Dictionary<...> { ["field"] = new[] { "..." } }`: the first sentence-like text.
    const texts = node.descendantsOfType(['string_literal', 'interpolated_string_expression']).map(messageOf).filter((m): m is string => m !== undefined);
    return texts.find((t) => /\s/.test(t)) ?? texts[0];
  }
  return undefined;
}

const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);
const COUNTERS = /^(i|j|k|n|x|y|idx|index|count|counter|offset|skip|take|page|pageIndex|pageNumber|retries|retry|attempts|attempt|position|pos|length|len|size|order|sortOrder)\d*$/i;
/** `startIndex`, `nzLength2`, `endPos`: positions and sizes, not business values. */
const POSITION_SUFFIX = /[a-z](Index|Idx|Offset|Length|Len|Count|Counter|Position|Pos|Start|End)\d*$/;

function counterLike(target: string): boolean {
  const last = (target.split('.').pop() ?? target).replace(/^_/, '').replace(/\[.*$/, '');
  return COUNTERS.test(last) || POSITION_SUFFIX.test(last);
}

/** Arithmetic on named values, not string concatenation, not index/paging math. */
function isCalculation(expr: SyntaxNode): boolean {
  const ops = [expr, ...expr.descendantsOfType('binary_expression')].filter((b) => b.type === 'binary_expression' && ARITHMETIC.has(b.childForFieldName('operator')?.type ?? ''));
  if (ops.length === 0) return false;
  if (expr.descendantsOfType(['string_literal', 'interpolated_string_expression', 'verbatim_string_literal', 'raw_string_literal']).length > 0 || expr.type === 'string_literal') return false;
  // `a + b` where an operand is text concatenates.
  if (ops.some((b) => b.childForFieldName('operator')?.type === '+' && hasTextOperand(b))) return false;
  // `x + 1`, `n - 1` alone: stepping, not a calculation.
  if (ops.length === 1 && /^[+-]$/.test(ops[0]!.childForFieldName('operator')?.type ?? '') && ops[0]!.childForFieldName('right')?.text === '1') return false;
  // Arithmetic inside projections (`Select(g => new { ... })`) shapes a query result.
  const shaping = (b: SyntaxNode): boolean => {
    for (let p = b.parent; p && !sameNode(p, expr.parent); p = p.parent) if (p.type === 'anonymous_object_creation_expression' || (p.type === 'initializer_expression' && p.parent?.type !== 'array_creation_expression')) return true;
    return false;
  };
  if (ops.every(shaping)) return false;
  return ops.some((b) => {
    const names = [b.childForFieldName('left')!, b.childForFieldName('right')!].flatMap(fieldsIn);
    return names.length > 0 && names.some((n) => !counterLike(n) && !/\b(Length|Count|Count\(\))$/.test(n) && n.split('.').pop()!.length > 2);
  });
}

const COMPOUND_WORDS: Record<string, string> = { '+=': 'is increased by', '-=': 'is decreased by', '*=': 'is multiplied by', '/=': 'is divided by', '%=': 'takes the remainder of its division by' };

/** `x = a * b` → `is computed as a * b`; `x += y` → `is increased by y`. */
function describeEffect(effect: string): string {
  const m = /^\S+(?:\s\S+)*? (=>|=|\+=|-=|\*=|\/=|%=) ([\s\S]*)$/.exec(effect);
  if (!m) return `is computed as ${effect}`;
  return m[1] === '=' || m[1] === '=>' ? `is computed as ${m[2]}` : `${COMPOUND_WORDS[m[1]!]} ${m[2]}`;
}

/** Names of text values (paths, URLs, messages): `+` on them concatenates. */
const TEXT_NAME = /(Path|File|FileName|Folder|Dir|Directory|Url|Uri|Name|Title|Text|Message|Html|Query|Sql|Part|Label|Description|Format|Extension|Key|Prefix|Suffix|Str|String|Json|Xml|Token|Email|Slug)$/i;

function textLike(target: string): boolean {
  return TEXT_NAME.test(target.split('.').pop() ?? target);
}

/** `new Foo { A = x * y }`: the initializer's assignments are rules of their own. */
function isConstruction(expr: SyntaxNode): boolean {
  return /object_creation_expression$|array_creation_expression$|^collection_expression$|^initializer_expression$/.test(expr.type);
}

/** The right side of `x += y`: a named value (not a literal 1, not an event handler, not text). */
function isCompoundCalculation(left: SyntaxNode, right: SyntaxNode): boolean {
  if (right.descendantsOfType(['string_literal', 'interpolated_string_expression']).length > 0 || /string_literal|interpolated|lambda|anonymous_method|object_creation/.test(right.type)) return false;
  // `Changed += OnChanged`: an event subscription.
  if (/^(identifier|member_access_expression)$/.test(right.type) && /(^|\.)(On[A-Z]\w*|\w*Handler)$/.test(right.text)) return false;
  if (/(Changed|Changing|Event|Handler|Completed|Received|Click)$/.test(left.text)) return false;
  if (hasTextOperand(right)) return false;
  const names = fieldsIn(right);
  return names.some((n) => !counterLike(n) && n.split('.').pop()!.length > 2);
}

/** Operands that are text: `string.Empty`, `.ToString()`, `Path.Combine(...)`, ranges of strings, text-named values. */
function hasTextOperand(expr: SyntaxNode): boolean {
  if (/\b(string|String)\.(Empty|Join|Format|Concat)\b|\.(ToString|ToLower\w*|ToUpper\w*|Trim\w*|Substring|Replace|GetExtension|GetFileName\w*|Combine|Join|Format|Translate|Serialize)\s*\(|\[\s*\.\.|\.\.\^/.test(expr.text)) return true;
  const operands = expr.type === 'binary_expression' ? [expr.childForFieldName('left')!, expr.childForFieldName('right')!] : [expr];
  return operands.some((o) => (o.type === 'identifier' || o.type === 'member_access_expression') && textLike(o.text));
}

/** Data names in an expression: member chains (`order.Total`) and plain identifiers, not method names or types. */
export function fieldsIn(node: SyntaxNode): string[] {
  const out: string[] = [];
  const visit = (n: SyntaxNode): void => {
    switch (n.type) {
      case 'member_access_expression': {
        const parent = n.parent;
        const isCallee = parent?.type === 'invocation_expression' && parent.childForFieldName('function')?.id === n.id;
        if (isCallee) {
          // `request.Items.Any()` reads `request.Items`; `_orders.Exists(id)` calls a service.
          const inner = n.childForFieldName('expression');
          if (inner && !(inner.type === 'identifier' && /^_/.test(inner.text))) visit(inner);
          return;
        }
        const text = n.text.replace(/\s+/g, '').replace(/\?\./g, '.');
        if (/^[A-Za-z_][\w.]*$/.test(text) && !/^(string|String|int|Math|DateTime|DateTimeOffset|Guid|StatusCodes|HttpStatusCode|this)\./.test(text) && !/^[A-Z][\w]*\.[A-Z][\w]*$/.test(text)) out.push(text.replace(/^this\./, ''));
        else if (/^this\./.test(text)) out.push(text.slice(5));
        else n.namedChildren.forEach(visit);
        return;
      }
      case 'identifier': {
        const parent = n.parent;
        if (parent?.type === 'invocation_expression' && parent.childForFieldName('function')?.id === n.id) return;
        if (parent?.type === 'declaration_pattern' || parent?.type === 'recursive_pattern' || parent?.type === 'type_pattern') return;
        if (n.text !== 'null' && n.text !== 'value') out.push(n.text);
        return;
      }
      case 'lambda_expression':
        n.childForFieldName('body') && visit(n.childForFieldName('body')!);
        return;
      case 'argument_list':
      case 'arguments':
        n.namedChildren.forEach(visit);
        return;
      case 'string_literal':
      case 'interpolated_string_expression':
      case 'type_argument_list':
      case 'predefined_type':
        return;
      default:
        n.namedChildren.forEach(visit);
    }
  };
  visit(node);
  return [...new Set(out)];
}
