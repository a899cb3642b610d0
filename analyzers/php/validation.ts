/**
 * Laravel validation rules (`$request->validate([...])`, `Validator::make($data, [...])`, a
 * FormRequest's `rules()`): each field's rule list (`'required|string|max:255'`, `['required',
 * Rule::in([...])]`) becomes JSON Schema constraints on the request body (required, type, format,
 * minLength/maxLength, minimum/maximum, enum, pattern; dotted keys like `article.title` and
 * `items.*.id` nest) and one validation rule per field, worded in plain language, with evidence.
 * Laravel answers a failed validation with 422 (JSON requests) — the callers add that response.
 */
import type { Evidence, Rule } from '../model.js';
import type { RuleInput } from '../service/rules.js';
import type { Schema } from '../service/schema.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { arrayEntries, calleeName, classNameOf, intValue, stringList, stringValue } from './syntax.js';

export interface ValidatedField {
  /** As written: `email`, `article.title`, `items.*.id`. */
  name: string;
  /** Rule tokens, each `name` or `name:params` (`required`, `max:255`, `in:a,b`). */
  rules: string[];
  evidence: Evidence;
}

/** The fields of a rules array literal; undefined when the node is not one. */
export function parseRulesArray(node: SyntaxNode, path: string): ValidatedField[] | undefined {
  const entries = arrayEntries(node);
  if (!entries) return undefined;
  const out: ValidatedField[] = [];
  for (const e of entries) {
    const name = stringValue(e.key);
    if (name === undefined) continue;
    out.push({ name, rules: ruleTokens(e.value), evidence: evidenceOf(path, e.key ?? e.value, e.value) });
  }
  return out;
}

/**
 * The fields of rules assembled in a variable inside `body` (a FormRequest's `rules()` or a
 * controller method): `$rules = [...]`, then `$rules['key'] = ...` and `$rules = array_merge($rules,
 * [...])`, under conditions or not, up to `before` (a source offset) when given. A key assigned on
 * several paths keeps only the rule tokens all of them share (what holds whichever path ran), so
 * `required` in one branch alone does not make the field required. Undefined when nothing is
 * assigned to the variable as rules.
 */
export function assembledRules(body: SyntaxNode, variable: string, path: string, before?: number): ValidatedField[] | undefined {
  const fields = new Map<string, ValidatedField>();
  let found = false;
  const put = (f: ValidatedField): void => {
    const prior = fields.get(f.name);
    if (!prior) fields.set(f.name, f);
    else {
      // `in:` lists of the paths together: the values any of them accepts.
      const lists = [prior.rules, f.rules].map((r) => r.find((t) => t.startsWith('in:')));
      const both = lists[0] && lists[1] ? `in:${[...new Set(lists.flatMap((t) => t!.slice(3).split(',')))].join(',')}` : undefined;
      prior.rules = [...prior.rules.filter((t) => f.rules.includes(t) && !t.startsWith('in:')), ...(both ? [both] : [])];
      prior.evidence = { ...prior.evidence, endLine: Math.max(prior.evidence.endLine, f.evidence.endLine) };
    }
  };
  const visit = (n: SyntaxNode): void => {
    for (const c of n.namedChildren) {
      if (before !== undefined && c.startIndex >= before) return;
      if (c.type === 'function_definition' || c.type === 'anonymous_function' || c.type === 'arrow_function' || c.type === 'class_declaration') continue;
      if (c.type === 'assignment_expression') {
        const left = c.childForFieldName('left');
        const right = c.childForFieldName('right');
        if (left && right && left.text === variable) {
          const merged = right.type === 'function_call_expression' && calleeName(right) === 'array_merge' ? (right.childForFieldName('arguments')?.namedChildren ?? []).map((a) => a.namedChildren[a.namedChildren.length - 1]!) : [right];
          for (const part of merged) {
            const parsed = parseRulesArray(part, path);
            if (parsed) {
              found = true;
              parsed.forEach(put);
            }
          }
        } else if (left?.type === 'subscript_expression' && right) {
          const [obj, idx] = left.namedChildren;
          const key = stringValue(idx);
          if (obj?.text === variable && key !== undefined) {
            found = true;
            put({ name: key, rules: ruleTokens(right), evidence: evidenceOf(path, left, right) });
          }
        }
      }
      visit(c);
    }
  };
  visit(body);
  return found ? [...fields.values()] : undefined;
}

/** Tokens of one field's rules: a `|` string, or an array of strings and `Rule::` objects. */
function ruleTokens(node: SyntaxNode): string[] {
  const s = stringValue(node);
  if (s !== undefined) return splitRuleString(s);
  const entries = arrayEntries(node);
  if (!entries) return [];
  const out: string[] = [];
  for (const e of entries) {
    const v = stringValue(e.value);
    if (v !== undefined) {
      out.push(...(v.startsWith('regex:') || v.startsWith('not_regex:') ? [v] : splitRuleString(v)));
      continue;
    }
    const t = ruleObjectToken(e.value);
    if (t) out.push(t);
  }
  return out;
}

/** Splits `'required|regex:/a|b/'` on `|`, keeping a regex (always last by Laravel's docs) whole. */
function splitRuleString(s: string): string[] {
  const out: string[] = [];
  const parts = s.split('|');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!.trim();
    if (/^(not_)?regex:/.test(p)) {
      out.push(parts.slice(i).join('|').trim());
      break;
    }
    if (p) out.push(p);
  }
  return out;
}

/** `Rule::in([...])`, `Rule::unique('users')`, `Password::min(8)`, `new Enum(X::class)` as a token. */
function ruleObjectToken(node: SyntaxNode): string | undefined {
  // Unwrap fluent chains such as Rule::unique('users')->ignore($id) or Password::min(8)->mixedCase().
  let n = node;
  while ((n.type === 'member_call_expression' || n.type === 'nullsafe_member_call_expression') && n.childForFieldName('object')) n = n.childForFieldName('object')!;
  if (n.type === 'scoped_call_expression') {
    const scope = n.childForFieldName('scope')?.text.replace(/^\\/, '').split('\\').pop();
    const name = calleeName(n);
    const args = n.childForFieldName('arguments')?.namedChildren.map((a) => a.namedChildren[a.namedChildren.length - 1]!) ?? [];
    if (scope === 'Rule') {
      switch (name) {
        case 'in':
        case 'notIn': {
          const values = args.length === 1 ? stringList(args[0]) : args.map((a) => stringValue(a)).filter((v): v is string => v !== undefined);
          return values ? `${name === 'in' ? 'in' : 'not_in'}:${values.join(',')}` : undefined;
        }
        case 'unique':
        case 'exists':
          return `${name}:${stringValue(args[0]) ?? classNameOf(args[0]) ?? ''}`;
        case 'enum':
          return `enum:${classNameOf(args[0]) ?? ''}`;
        case 'requiredIf':
          return 'required_if';
        case 'dimensions':
          return 'dimensions';
        default:
          return name ? snake(name) : undefined;
      }
    }
    if (scope === 'Password' && name === 'min') return `min:${intValue(args[0]) ?? ''}`;
    if (scope === 'Password') return 'string';
    if (scope === 'File' && name === 'image') return 'image';
    if (scope === 'File') return 'file';
    return undefined;
  }
  if (n.type === 'object_creation_expression') {
    const cls = n.namedChildren.find((c) => c.type === 'name' || c.type === 'qualified_name')?.text.split('\\').pop();
    if (cls === 'Enum') return `enum:${classNameOf(n.namedChildren.find((c) => c.type === 'arguments')?.namedChildren[0]?.namedChildren[0]) ?? ''}`;
    if (cls === 'Password') return 'string';
    return cls ? `custom:${cls}` : undefined;
  }
  return undefined;
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const NUMERIC = new Set(['integer', 'numeric', 'decimal', 'int']);

function ruleName(t: string): string {
  const i = t.indexOf(':');
  return (i < 0 ? t : t.slice(0, i)).trim().toLowerCase();
}
function ruleParams(t: string): string[] {
  const i = t.indexOf(':');
  return i < 0 ? [] : t.slice(i + 1).split(',').map((p) => p.trim());
}

/** The JSON Schema of one field's rules (no `required`: that belongs to the parent). */
export function fieldSchema(rules: readonly string[]): Schema {
  const names = rules.map(ruleName);
  const s: Record<string, unknown> = {};
  const numeric = names.some((n) => NUMERIC.has(n));
  const isArray = names.includes('array');
  const isFile = names.some((n) => n === 'file' || n === 'image' || n === 'mimes' || n === 'mimetypes');
  if (names.includes('integer') || names.includes('int')) s.type = 'integer';
  else if (numeric) s.type = 'number';
  else if (names.includes('boolean') || names.includes('bool') || names.includes('accepted') || names.includes('declined')) s.type = 'boolean';
  else if (isArray || names.includes('list')) s.type = 'array';
  else if (isFile) Object.assign(s, { type: 'string', format: 'binary' });
  else if (names.includes('json')) s.type = 'string';
  else if (names.some((n) => ['string', 'email', 'url', 'active_url', 'uuid', 'ulid', 'date', 'date_format', 'ip', 'ipv4', 'ipv6', 'alpha', 'alpha_num', 'alpha_dash', 'timezone', 'regex', 'confirmed', 'in', 'lowercase', 'uppercase', 'hex_color', 'mac_address'].includes(n))) s.type = 'string';
  const sized = (min: number | undefined, max: number | undefined): void => {
    if (numeric) {
      if (min !== undefined) s.minimum = min;
      if (max !== undefined) s.maximum = max;
    } else if (isArray) {
      if (min !== undefined) s.minItems = min;
      if (max !== undefined) s.maxItems = max;
    } else if (!isFile && s.type !== 'boolean') {
      if (min !== undefined) s.minLength = min;
      if (max !== undefined) s.maxLength = max;
    }
  };
  for (const t of rules) {
    const name = ruleName(t);
    const p = ruleParams(t);
    const n0 = p[0] !== undefined && p[0] !== '' && Number.isFinite(Number(p[0])) ? Number(p[0]) : undefined;
    const n1 = p[1] !== undefined && p[1] !== '' && Number.isFinite(Number(p[1])) ? Number(p[1]) : undefined;
    switch (name) {
      case 'max':
        sized(undefined, n0);
        break;
      case 'min':
        sized(n0, undefined);
        break;
      case 'between':
      case 'digits_between':
        if (name === 'digits_between') {
          if (n0 !== undefined && n1 !== undefined) s.pattern = `^\\d{${n0},${n1}}$`;
        } else sized(n0, n1);
        break;
      case 'size':
        sized(n0, n0);
        break;
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        if (n0 !== undefined) s[{ gt: 'exclusiveMinimum', gte: 'minimum', lt: 'exclusiveMaximum', lte: 'maximum' }[name]] = n0;
        break;
      case 'digits':
        if (n0 !== undefined) s.pattern = `^\\d{${n0}}$`;
        break;
      case 'in':
        if (p.length > 0) s.enum = p.map((v) => (s.type === 'integer' && /^-?\d+$/.test(v) ? Number(v) : v.replace(/^"(.*)"$/, '$1')));
        break;
      case 'email':
        s.format = 'email';
        break;
      case 'url':
      case 'active_url':
        s.format = 'uri';
        break;
      case 'uuid':
        s.format = 'uuid';
        break;
      case 'date':
        s.format = 'date';
        break;
      case 'ip':
      case 'ipv4':
        s.format = 'ipv4';
        break;
      case 'ipv6':
        s.format = 'ipv6';
        break;
      case 'alpha':
        s.pattern = '^[A-Za-z]+$';
        break;
      case 'alpha_num':
        s.pattern = '^[A-Za-z0-9]+$';
        break;
      case 'alpha_dash':
        s.pattern = '^[A-Za-z0-9_-]+$';
        break;
      case 'regex': {
        const re = phpRegexBody(t.slice(t.indexOf(':') + 1));
        if (re !== undefined) s.pattern = re;
        break;
      }
    }
  }
  if (names.includes('nullable') && typeof s.type === 'string') s.type = [s.type, 'null'];
  return s as Schema;
}

/** `/^[a-z]+$/i` → `^[a-z]+$` (delimiters and flags dropped), undefined when not a delimited regex. */
function phpRegexBody(re: string): string | undefined {
  const m = /^(.)([\s\S]*)\1[a-zA-Z]*$/.exec(re.trim());
  return m ? m[2] : undefined;
}

/** The body schema of a list of validated fields; dotted names nest (`a.b`, `items.*.id`). */
export function rulesSchema(fields: readonly ValidatedField[]): Schema {
  const root: Record<string, unknown> = { type: 'object', properties: {} };
  for (const f of fields) {
    const parts = f.name.split('.');
    let node = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      if (part === '*') {
        node.type = 'array';
        delete node.properties;
        node.items ??= last ? {} : { type: 'object', properties: {} };
        node = node.items as Record<string, unknown>;
        if (last) Object.assign(node, fieldSchema(f.rules));
        continue;
      }
      if (node.type !== 'object' || !node.properties) {
        node.type = 'object';
        node.properties = {};
      }
      const props = node.properties as Record<string, Record<string, unknown>>;
      props[part] ??= last ? {} : { type: 'object', properties: {} };
      if (last) {
        const own = fieldSchema(f.rules);
        // A parent declared with its own rules (`items` => 'array') keeps the children added later.
        props[part] = { ...own, ...(props[part]!.properties ? { properties: props[part]!.properties } : {}), ...(props[part]!.items ? { items: props[part]!.items } : {}) };
        if (f.rules.some((r) => ruleName(r) === 'required')) {
          const req = (node.required as string[] | undefined) ?? [];
          if (!req.includes(part)) req.push(part);
          node.required = req;
        }
      }
      node = props[part]!;
    }
  }
  return root as Schema;
}

/** One validation rule per field, in plain words. Fields whose rules say nothing checkable get none. */
export function validationRules(fields: readonly ValidatedField[], scope: string, add: (r: RuleInput) => Rule): string[] {
  const ids: string[] = [];
  for (const f of fields) {
    const phrases = f.rules.map(describeRule).filter((p): p is string => p !== undefined);
    if (phrases.length === 0) continue;
    const rule = add({
      kind: 'validation',
      scope,
      statement: `${f.name} ${phrases.join(', ')}; otherwise the request is rejected (422)`,
      condition: `${f.name}: ${f.rules.join('|')}`,
      effects: [`422 "The ${f.name.replace(/_/g, ' ')} field is invalid."`],
      fields: [f.name],
      evidence: [f.evidence],
    });
    ids.push(rule.id);
  }
  return ids;
}

function describeRule(t: string): string | undefined {
  const name = ruleName(t);
  const p = ruleParams(t);
  switch (name) {
    case 'required':
      return 'is required';
    case 'required_if':
    case 'required_with':
    case 'required_without':
    case 'required_unless':
      return `is required ${name.slice(9)} ${p.join(', ')}`.trim();
    case 'string':
      return 'must be text';
    case 'integer':
    case 'int':
      return 'must be an integer';
    case 'numeric':
    case 'decimal':
      return 'must be a number';
    case 'boolean':
    case 'bool':
      return 'must be true or false';
    case 'array':
      return 'must be a list';
    case 'email':
      return 'must be an email address';
    case 'url':
    case 'active_url':
      return 'must be a URL';
    case 'date':
      return 'must be a date';
    case 'date_format':
      return `must be a date formatted ${p.join(',')}`;
    case 'uuid':
      return 'must be a UUID';
    case 'max':
      return `must be at most ${p[0]}`;
    case 'min':
      return `must be at least ${p[0]}`;
    case 'between':
      return `must be between ${p[0]} and ${p[1]}`;
    case 'size':
      return `must have size ${p[0]}`;
    case 'digits':
      return `must have ${p[0]} digits`;
    case 'in':
      return `must be one of ${p.join(', ')}`;
    case 'not_in':
      return `must not be one of ${p.join(', ')}`;
    case 'regex':
      return `must match ${t.slice(6)}`;
    case 'unique':
      return `must not already exist in ${p[0] || 'the table'}`;
    case 'exists':
      return `must exist in ${p[0] || 'the table'}`;
    case 'confirmed':
      return `must match ${'its confirmation field'}`;
    case 'same':
      return `must equal ${p[0]}`;
    case 'different':
      return `must differ from ${p[0]}`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return `must be ${{ gt: 'greater than', gte: 'at least', lt: 'less than', lte: 'at most' }[name]} ${p[0]}`;
    case 'after':
    case 'before':
    case 'after_or_equal':
    case 'before_or_equal':
      return `must be ${name.replace(/_/g, ' ')} ${p[0]}`;
    case 'image':
      return 'must be an image';
    case 'file':
      return 'must be a file';
    case 'mimes':
      return `must be a file of type ${p.join(', ')}`;
    case 'accepted':
      return 'must be accepted';
    case 'enum':
      return `must be a value of ${p[0]}`;
    case 'alpha':
    case 'alpha_num':
    case 'alpha_dash':
      return `must be ${name.replace('_', '-')} characters only`;
    default:
      return undefined;
  }
}
