/**
 * FluentValidation validators: `class FooValidator : AbstractValidator<Foo>` with
 * `RuleFor(x => x.Name).NotEmpty().MaximumLength(50).WithMessage("...")` chains. Each chain is
 * one validation rule for `Foo.Name` (its checks as effects, `.When(...)` as condition); when
 * `Foo` is declared in the same file its schema also gets the constraints (`required`,
 * `minLength`, `maxLength`, `minimum`, `maximum`, `pattern`, `format`) and the rule ids, so the
 * link step ties the rules to the operation taking `Foo` as its body.
 */
import type { TypeFact } from '../service/facts.js';
import { refName, type Schema } from '../service/schema.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import type { RuleSink } from './rules.js';
import type { CsFile } from './scope.js';
import { simpleTypeName } from './scope.js';
import { camelCase, compact, identifierOf, literalString, numberValue } from './syntax.js';

interface Check {
  text: string;
  keywords: Record<string, unknown>;
  required?: boolean;
}

export function extractFluentValidation(file: CsFile, sink: RuleSink, types: TypeFact[]): void {
  for (const decl of file.types) {
    const base = decl.bases[0];
    if (!base || simpleTypeName(base) !== 'AbstractValidator') continue;
    const target = base.type === 'generic_name' ? base : base.type === 'qualified_name' ? base.childForFieldName('name') : null;
    const typeArg = target?.namedChildren.find((c) => c.type === 'type_argument_list')?.namedChildren[0];
    if (!typeArg) continue;
    const typeName = file.resolveTypeName(typeArg.text.replace(/\s+/g, '').replace(/<.*$/, ''), decl.outer);
    const fact = types.find((t) => t.name === typeName);
    for (const call of decl.node.descendantsOfType('invocation_expression')) {
      const fn = call.childForFieldName('function');
      const fnName = fn ? identifierOf(fn.type === 'member_access_expression' ? fn.childForFieldName('name')! : fn) : '';
      if (fnName !== 'RuleFor' && fnName !== 'RuleForEach') continue;
      // Only the chain's head: the `RuleFor(...)` call directly.
      const property = propertyOf(call);
      if (!property) continue;
      const { checks, condition, outer, messages } = chainOf(call);
      if (checks.length === 0) continue;
      const stmt = outer.parent?.type === 'expression_statement' ? outer.parent : outer;
      const subject = `${typeName}.${property}`;
      const statement = `${subject}${fnName === 'RuleForEach' ? ' (each item)' : ''} ${checks.map((c) => c.text).join(', ')}${condition ? ` when ${condition}` : ''}`;
      const rule = sink.add({
        kind: 'validation',
        scope: `${decl.name}.${property}`,
        statement,
        condition: condition ?? null,
        effects: [...checks.map((c) => c.text), ...messages.map((m) => `message "${m}"`)],
        fields: [subject],
        evidence: [evidenceOf(file.path, stmt)],
      });
      if (!fact) continue;
      (fact.ruleIds ??= []).push(rule.id);
      // Conditional and per-item checks are rules only: the schema states what always holds.
      if (fnName !== 'RuleForEach' && !condition) applyToSchema(fact, property, checks);
    }
  }
}

/** `x => x.Name` → `Name` (nested `x => x.Address.City` → `Address.City`). */
function propertyOf(call: SyntaxNode): string | undefined {
  const arg = call.childForFieldName('arguments')?.namedChildren[0]?.namedChildren[0];
  if (arg?.type !== 'lambda_expression') return undefined;
  const body = arg.childForFieldName('body');
  if (body?.type !== 'member_access_expression') return undefined;
  return body.text.replace(/\s+/g, '').replace(/^[^.]+\./, '');
}

function chainOf(head: SyntaxNode): { checks: Check[]; condition?: string; outer: SyntaxNode; messages: string[] } {
  const checks: Check[] = [];
  const messages: string[] = [];
  let condition: string | undefined;
  let outer = head;
  for (let e: SyntaxNode = head; e.parent?.type === 'member_access_expression' && e.parent.parent?.type === 'invocation_expression'; e = e.parent.parent) {
    const name = identifierOf(e.parent.childForFieldName('name')!);
    const inv = e.parent.parent;
    outer = inv;
    const args = (inv.childForFieldName('arguments')?.namedChildren ?? []).map((a) => a.namedChildren[a.namedChildren.length - 1]!);
    const n0 = numberValue(args[0]);
    const n1 = numberValue(args[1]);
    switch (name) {
      case 'NotEmpty':
        checks.push({ text: 'must not be empty', keywords: {}, required: true });
        break;
      case 'NotNull':
        checks.push({ text: 'must be present', keywords: {}, required: true });
        break;
      case 'MaximumLength':
        if (n0 !== undefined) checks.push({ text: `must be at most ${n0} characters long`, keywords: { maxLength: n0 } });
        break;
      case 'MinimumLength':
        if (n0 !== undefined) checks.push({ text: `must be at least ${n0} characters long`, keywords: { minLength: n0 } });
        break;
      case 'Length':
        if (n0 !== undefined && n1 !== undefined) checks.push({ text: `must be between ${n0} and ${n1} characters long`, keywords: { minLength: n0, maxLength: n1 } });
        else if (n0 !== undefined) checks.push({ text: `must be exactly ${n0} characters long`, keywords: { minLength: n0, maxLength: n0 } });
        break;
      case 'GreaterThan':
        checks.push({ text: `must be greater than ${compact(args[0] ?? inv)}`, keywords: n0 !== undefined ? { exclusiveMinimum: n0 } : {} });
        break;
      case 'GreaterThanOrEqualTo':
        checks.push({ text: `must be at least ${compact(args[0] ?? inv)}`, keywords: n0 !== undefined ? { minimum: n0 } : {} });
        break;
      case 'LessThan':
        checks.push({ text: `must be less than ${compact(args[0] ?? inv)}`, keywords: n0 !== undefined ? { exclusiveMaximum: n0 } : {} });
        break;
      case 'LessThanOrEqualTo':
        checks.push({ text: `must be at most ${compact(args[0] ?? inv)}`, keywords: n0 !== undefined ? { maximum: n0 } : {} });
        break;
      case 'InclusiveBetween':
        checks.push({ text: `must be between ${compact(args[0] ?? inv)} and ${compact(args[1] ?? inv)}`, keywords: n0 !== undefined && n1 !== undefined ? { minimum: n0, maximum: n1 } : {} });
        break;
      case 'ExclusiveBetween':
        checks.push({ text: `must be strictly between ${compact(args[0] ?? inv)} and ${compact(args[1] ?? inv)}`, keywords: n0 !== undefined && n1 !== undefined ? { exclusiveMinimum: n0, exclusiveMaximum: n1 } : {} });
        break;
      case 'EmailAddress':
        checks.push({ text: 'must be an email address', keywords: { format: 'email' } });
        break;
      case 'Matches': {
        const p = literalString(args[0]);
        checks.push({ text: `must match ${p ?? compact(args[0] ?? inv)}`, keywords: p ? { pattern: p } : {} });
        break;
      }
      case 'Equal':
        checks.push({ text: `must equal ${compact(args[0] ?? inv)}`, keywords: {} });
        break;
      case 'NotEqual':
        checks.push({ text: `must not equal ${compact(args[0] ?? inv)}`, keywords: {} });
        break;
      case 'IsInEnum':
        checks.push({ text: 'must be a defined enum value', keywords: {} });
        break;
      case 'Empty':
        checks.push({ text: 'must be empty', keywords: {} });
        break;
      case 'Null':
        checks.push({ text: 'must be absent', keywords: {} });
        break;
      case 'PrecisionScale':
        checks.push({ text: `must have at most ${compact(args[0] ?? inv)} digits with ${compact(args[1] ?? inv)} decimals`, keywords: {} });
        break;
      case 'Must':
      case 'MustAsync':
        checks.push({ text: `must satisfy ${args[0] ? lambdaText(args[0]).slice(0, 120) : 'a custom check'}`, keywords: {} });
        break;
      case 'SetValidator':
        checks.push({ text: `must pass ${args[0] ? compact(args[0]) : 'a nested validator'}`, keywords: {} });
        break;
      case 'WithMessage': {
        const m = literalString(args[0]);
        if (m) messages.push(m);
        break;
      }
      case 'When':
      case 'WhenAsync':
        condition = args[0] ? lambdaText(args[0]) : condition;
        break;
      case 'Unless':
        condition = args[0] ? `not (${lambdaText(args[0])})` : condition;
        break;
    }
  }
  return { checks, ...(condition ? { condition } : {}), outer, messages };
}

/** A lambda's body (`x => x.Amount > 100` → `x.Amount > 100`), other expressions as written. */
function lambdaText(node: SyntaxNode): string {
  const body = node.type === 'lambda_expression' ? node.childForFieldName('body') : null;
  return compact(body ?? node);
}

function applyToSchema(fact: TypeFact, property: string, checks: Check[]): void {
  if (property.includes('.')) return;
  const own = ownObject(fact.schema);
  if (!own) return;
  const props = (own.properties ??= {});
  const key = Object.keys(props).find((k) => k === camelCase(property) || k.toLowerCase() === property.toLowerCase());
  if (!key) return;
  let prop = props[key]!;
  for (const c of checks) {
    if (c.required && !(own.required ??= []).includes(key)) own.required.push(key);
    if (Object.keys(c.keywords).length === 0) continue;
    prop = refName(prop) !== undefined ? ({ allOf: [prop], ...c.keywords } as Schema) : ({ ...prop, ...c.keywords } as Schema);
  }
  props[key] = prop;
}

/** The object schema holding a type's own properties (itself, or its own `allOf` member). */
function ownObject(schema: Schema): { properties?: Record<string, Schema>; required?: string[] } | undefined {
  const s = schema as { properties?: Record<string, Schema>; allOf?: Schema[] };
  if (s.properties) return s;
  for (const m of s.allOf ?? []) if ((m as { properties?: unknown }).properties) return m as { properties?: Record<string, Schema> };
  return undefined;
}
