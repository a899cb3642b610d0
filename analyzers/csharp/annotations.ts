/**
 * System.ComponentModel.DataAnnotations (and the JSON/binding "required" markers) as JSON Schema
 * keywords and as plain-language validation statements: `[Required]`, `[StringLength(50,
 * MinimumLength = 2)]`, `[MaxLength]`, `[MinLength]`, `[Length]`, `[Range]`,
 * `[RegularExpression]`, `[EmailAddress]`, `[Url]`, `[Phone]`, `[CreditCard]`, `[Compare]`,
 * `[AllowedValues]`, `[DeniedValues]`, `[Base64String]`. Used for DTO properties, record
 * parameters and action parameters alike.
 */
import type { Schema } from '../service/schema.js';
import { compact, literalString, numberValue, type Attribute } from './syntax.js';

export interface Constraint {
  attr: Attribute;
  /** Plain-language statement of what the value must satisfy. */
  statement: string;
  /** Schema keywords and the declared error message, for the rule's effects. */
  effects: string[];
}

export interface Annotations {
  required: boolean;
  /** Keywords to merge into the value's schema. */
  keywords: Record<string, unknown>;
  constraints: Constraint[];
}

const REQUIRED_MARKERS = new Set(['Required', 'JsonRequired', 'BindRequired']);

/**
 * Reads the annotations on one value. `subject` names it in statements (`CreateUser.Name`);
 * `shape` tells strings and arrays apart (`[MaxLength]` means maxLength or maxItems).
 */
export function readAnnotations(attrs: readonly Attribute[], subject: string, shape: 'string' | 'array' | 'other'): Annotations {
  const out: Annotations = { required: false, keywords: {}, constraints: [] };
  const add = (attr: Attribute, statement: string, keywords: Record<string, unknown>): void => {
    // `[Required]` implies minLength 1 for strings; a longer minimum from another attribute wins, in any order.
    for (const [k, v] of Object.entries(keywords)) {
      const old = out.keywords[k];
      out.keywords[k] = typeof old === 'number' && typeof v === 'number' ? (/^(min|exclusiveMin)/.test(k) ? Math.max(old, v) : /^(max|exclusiveMax)/.test(k) ? Math.min(old, v) : v) : v;
    }
    const effects = Object.entries(keywords).map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    const message = literalString(attr.named.get('ErrorMessage'));
    if (message) effects.push(`message "${message}"`);
    out.constraints.push({ attr, statement, effects });
  };
  for (const a of attrs) {
    const p0 = a.positional[0];
    const p1 = a.positional[1];
    switch (a.name) {
      case 'Required':
      case 'JsonRequired':
      case 'BindRequired': {
        out.required = true;
        const allowEmpty = a.named.get('AllowEmptyStrings')?.text === 'true';
        if (a.name === 'Required' && shape === 'string' && !allowEmpty) add(a, `${subject} is required and must not be empty`, { required: true, minLength: 1 });
        else add(a, `${subject} is required`, { required: true });
        break;
      }
      case 'StringLength': {
        const max = numberValue(p0);
        const min = numberValue(a.named.get('MinimumLength'));
        const k: Record<string, unknown> = {};
        if (max !== undefined) k.maxLength = max;
        if (min !== undefined && min > 0) k.minLength = min;
        if (Object.keys(k).length) add(a, min ? `${subject} must be between ${min} and ${max} characters long` : `${subject} must be at most ${max} characters long`, k);
        break;
      }
      case 'MaxLength': {
        const max = numberValue(p0);
        if (max === undefined) break;
        if (shape === 'array') add(a, `${subject} must have at most ${max} items`, { maxItems: max });
        else add(a, `${subject} must be at most ${max} characters long`, { maxLength: max });
        break;
      }
      case 'MinLength': {
        const min = numberValue(p0);
        if (min === undefined) break;
        if (shape === 'array') add(a, `${subject} must have at least ${min} item${min === 1 ? '' : 's'}`, { minItems: min });
        else add(a, `${subject} must be at least ${min} character${min === 1 ? '' : 's'} long`, { minLength: min });
        break;
      }
      case 'Length': {
        const min = numberValue(p0);
        const max = numberValue(p1);
        if (min === undefined || max === undefined) break;
        if (shape === 'array') add(a, `${subject} must have between ${min} and ${max} items`, { minItems: min, maxItems: max });
        else add(a, `${subject} must be between ${min} and ${max} characters long`, { minLength: min, maxLength: max });
        break;
      }
      case 'Range': {
        // `Range(1, 100)` or `Range(typeof(decimal), "0.01", "999")`.
        const args = p0?.type === 'typeof_expression' ? a.positional.slice(1) : a.positional;
        const min = numberValue(args[0]);
        const max = numberValue(args[1]);
        const k: Record<string, unknown> = {};
        const minExclusive = a.named.get('MinimumIsExclusive')?.text === 'true';
        const maxExclusive = a.named.get('MaximumIsExclusive')?.text === 'true';
        if (min !== undefined && !isUnbounded(args[0]?.text)) k[minExclusive ? 'exclusiveMinimum' : 'minimum'] = min;
        if (max !== undefined && !isUnbounded(args[1]?.text)) k[maxExclusive ? 'exclusiveMaximum' : 'maximum'] = max;
        if (!Object.keys(k).length) break;
        const lo = k.minimum ?? k.exclusiveMinimum;
        const hi = k.maximum ?? k.exclusiveMaximum;
        const statement =
          lo !== undefined && hi !== undefined
            ? `${subject} must be between ${lo} and ${hi}${minExclusive || maxExclusive ? ' (bounds excluded where marked)' : ''}`
            : lo !== undefined
              ? `${subject} must be ${minExclusive ? 'greater than' : 'at least'} ${lo}`
              : `${subject} must be ${maxExclusive ? 'less than' : 'at most'} ${hi}`;
        add(a, statement, k);
        break;
      }
      case 'RegularExpression': {
        const pattern = literalString(p0);
        if (pattern !== undefined) add(a, `${subject} must match the pattern ${pattern}`, { pattern });
        break;
      }
      case 'EmailAddress':
        add(a, `${subject} must be an email address`, { format: 'email' });
        break;
      case 'Url':
        add(a, `${subject} must be an absolute http, https or ftp URL`, { format: 'uri' });
        break;
      case 'Phone':
        add(a, `${subject} must be a phone number`, {});
        break;
      case 'CreditCard':
        add(a, `${subject} must be a credit card number`, {});
        break;
      case 'Compare': {
        const other = literalString(p0) ?? (p0 ? compact(p0).replace(/^nameof\((.*)\)$/, '$1') : undefined);
        if (other) add(a, `${subject} must equal ${other}`, {});
        break;
      }
      case 'AllowedValues': {
        const values = a.positional.map((n) => literalString(n) ?? numberValue(n)).filter((v) => v !== undefined);
        if (values.length) add(a, `${subject} must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, { enum: values });
        break;
      }
      case 'DeniedValues': {
        const values = a.positional.map((n) => literalString(n) ?? numberValue(n)).filter((v) => v !== undefined);
        if (values.length) add(a, `${subject} must not be any of ${values.map((v) => JSON.stringify(v)).join(', ')}`, { not: { enum: values } });
        break;
      }
      case 'Base64String':
        add(a, `${subject} must be Base64 text`, { contentEncoding: 'base64' });
        break;
      case 'FileExtensions': {
        const ext = literalString(a.named.get('Extensions')) ?? 'png,jpg,jpeg,gif';
        add(a, `${subject} must end with one of the extensions ${ext}`, {});
        break;
      }
    }
  }
  delete out.keywords.required;
  return out;
}

function isUnbounded(text: string | undefined): boolean {
  return !!text && /\.(MaxValue|MinValue|PositiveInfinity|NegativeInfinity)$/.test(text.replace(/\s+/g, ''));
}

/** Applies keywords to a schema: onto the non-null branch of a nullable reference (`anyOf`). */
export function applyKeywords(schema: Schema, keywords: Record<string, unknown>): Schema {
  if (!Object.keys(keywords).length) return schema;
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') return { allOf: [schema], ...keywords } as Schema;
  const merged: Record<string, unknown> = { ...s, ...keywords };
  // `required` is an object keyword in JSON Schema: the property's `required` lives on its parent.
  return merged as Schema;
}

export function isRequiredMarker(attrs: readonly Attribute[]): boolean {
  return attrs.some((a) => REQUIRED_MARKERS.has(a.name));
}
