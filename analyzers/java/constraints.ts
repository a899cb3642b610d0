/**
 * Bean Validation (javax/jakarta.validation, Hibernate Validator) on DTO fields, record
 * components and handler parameters: each constraint becomes JSON Schema keywords (required,
 * minLength, maxLength, minimum, exclusiveMinimum, pattern, format...) and one plain-language
 * clause of the field's validation rule, so the spec and rules.json say the same thing.
 */
import type { Schema } from '../service/schema.js';
import { booleanValue, compact, evalString, numberValue, type Annotation, type ClassInfo, type JavaFile } from './syntax.js';

export interface ConstraintResult {
  /** The schema with the constraint keywords added. */
  schema: Schema;
  required: boolean;
  /** Plain-language clauses, e.g. `must not be blank`, `at most 100 characters`. */
  clauses: string[];
  /** The annotations applied, as written (`@Size(max = 100)`), for the rule's condition. */
  applied: string[];
  /** Messages given in the annotations (`message = "can't be empty"`). */
  messages: string[];
}

const NAMES = new Set([
  'NotNull', 'NonNull', 'NotBlank', 'NotEmpty', 'Size', 'Length', 'Min', 'Max', 'DecimalMin', 'DecimalMax', 'Positive', 'PositiveOrZero',
  'Negative', 'NegativeOrZero', 'Pattern', 'Email', 'Range', 'URL', 'Past', 'PastOrPresent', 'Future', 'FutureOrPresent', 'Digits',
  'AssertTrue', 'AssertFalse', 'Null',
]);

export function isConstraint(a: Annotation): boolean {
  return NAMES.has(a.name);
}

/** Applies the constraint annotations in `annotations` to `schema`. */
export function applyConstraints(schema: Schema, annotations: readonly Annotation[], scope: ClassInfo | undefined, file: JavaFile): ConstraintResult {
  const s = { ...schema } as Record<string, unknown>;
  const out: ConstraintResult = { schema: s as Schema, required: false, clauses: [], applied: [], messages: [] };
  const type = typeOfSchema(s);
  const isArray = type === 'array';
  const isObjectMap = type === 'object';
  const num = (a: Annotation, key: string): number | undefined => numberValue(a.args.get(key) ?? (key === 'value' ? a.value : undefined));
  const lengthWords = (min?: number, max?: number): string => {
    const unit = isArray ? 'items' : isObjectMap ? 'entries' : 'characters';
    if (min !== undefined && max !== undefined) return `between ${min} and ${max} ${unit}`;
    if (min !== undefined) return `at least ${min} ${unit}`;
    return `at most ${max} ${unit}`;
  };
  const setLength = (min?: number, max?: number): void => {
    const [kMin, kMax] = isArray ? ['minItems', 'maxItems'] : isObjectMap ? ['minProperties', 'maxProperties'] : ['minLength', 'maxLength'];
    if (min !== undefined && min > 0) s[kMin] = Math.max(min, (s[kMin] as number | undefined) ?? 0);
    if (max !== undefined && max < 2147483647) s[kMax] = max;
  };
  for (const a of annotations) {
    if (!NAMES.has(a.name)) continue;
    let used = true;
    switch (a.name) {
      case 'NotNull':
      case 'NonNull':
        out.required = true;
        out.clauses.push('is required');
        break;
      case 'NotBlank':
        out.required = true;
        setLength(1);
        out.clauses.push('must not be blank');
        break;
      case 'NotEmpty':
        out.required = true;
        setLength(1);
        out.clauses.push('must not be empty');
        break;
      case 'Size':
      case 'Length': {
        const min = num(a, 'min');
        const max = num(a, 'max');
        if (min === undefined && max === undefined) {
          used = false;
          break;
        }
        setLength(min, max);
        out.clauses.push(`must be ${lengthWords(min, max)}`);
        break;
      }
      case 'Min':
      case 'DecimalMin': {
        const v = num(a, 'value');
        if (v === undefined) {
          used = false;
          break;
        }
        const exclusive = booleanValue(a.args.get('inclusive')) === false;
        s[exclusive ? 'exclusiveMinimum' : 'minimum'] = v;
        out.clauses.push(`must be ${exclusive ? 'greater than' : 'at least'} ${v}`);
        break;
      }
      case 'Max':
      case 'DecimalMax': {
        const v = num(a, 'value');
        if (v === undefined) {
          used = false;
          break;
        }
        const exclusive = booleanValue(a.args.get('inclusive')) === false;
        s[exclusive ? 'exclusiveMaximum' : 'maximum'] = v;
        out.clauses.push(`must be ${exclusive ? 'less than' : 'at most'} ${v}`);
        break;
      }
      case 'Range': {
        const min = num(a, 'min');
        const max = num(a, 'max');
        if (min !== undefined) s.minimum = min;
        if (max !== undefined && max < 9223372036854775807) s.maximum = max;
        out.clauses.push(`must be between ${min ?? 0} and ${max ?? 'any'}`);
        break;
      }
      case 'Positive':
        s.exclusiveMinimum = 0;
        out.clauses.push('must be greater than 0');
        break;
      case 'PositiveOrZero':
        s.minimum = 0;
        out.clauses.push('must be 0 or more');
        break;
      case 'Negative':
        s.exclusiveMaximum = 0;
        out.clauses.push('must be less than 0');
        break;
      case 'NegativeOrZero':
        s.maximum = 0;
        out.clauses.push('must be 0 or less');
        break;
      case 'Pattern': {
        const re = evalString(a.args.get('regexp'), scope, file);
        if (re === undefined || re.includes('{{const:')) {
          out.clauses.push(`must match the pattern ${compact(a.args.get('regexp') ?? a.node)}`);
          break;
        }
        // Bean Validation matches the whole value; JSON Schema patterns are unanchored.
        s.pattern = /^\^/.test(re) && /\$$/.test(re) ? re : `^(?:${re})$`;
        out.clauses.push(`must match ${re}`);
        break;
      }
      case 'Email':
        s.format = 'email';
        out.clauses.push('must be an e-mail address');
        break;
      case 'URL':
        s.format = 'uri';
        out.clauses.push('must be a URL');
        break;
      case 'Past':
      case 'PastOrPresent':
      case 'Future':
      case 'FutureOrPresent':
        out.clauses.push(`must be in the ${a.name.replace('OrPresent', ' or present').replace(/^Past/, 'past').replace(/^Future/, 'future')}`);
        break;
      case 'Digits': {
        const i = num(a, 'integer');
        const f = num(a, 'fraction');
        out.clauses.push(`must have at most ${i ?? '?'} integer digits and ${f ?? '?'} decimals`);
        break;
      }
      case 'AssertTrue':
        s.const = true;
        out.clauses.push('must be true');
        break;
      case 'AssertFalse':
        s.const = false;
        out.clauses.push('must be false');
        break;
      case 'Null':
        out.clauses.push('must be absent');
        break;
    }
    if (!used) continue;
    out.applied.push(compact(a.node));
    const message = evalString(a.args.get('message'), scope, file);
    if (message !== undefined && !message.includes('{{const:') && !/^\{.*\}$/.test(message)) out.messages.push(message);
  }
  return out;
}

function typeOfSchema(s: Record<string, unknown>): string | undefined {
  const t = s.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.find((x) => x !== 'null') as string | undefined;
  return undefined;
}

/** `email must not be blank and must be an e-mail address`. */
export function constraintStatement(subject: string, clauses: readonly string[]): string {
  if (clauses.length === 0) return subject;
  const parts = [...clauses];
  const last = parts.pop()!;
  return `${subject} ${parts.length ? `${parts.join(', ')} and ${last}` : last}`;
}
