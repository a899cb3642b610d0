/**
 * Record layouts → JSON Schema (2020-12, as OpenAPI 3.1 uses), following issue #5:
 * `PIC X(10)` → string maxLength 10; `PIC 9(3)` → integer 0..999; `PIC S9(7)V99` → number with
 * minimum/maximum and multipleOf 0.01; level-88 values → `enum`, each condition named in the
 * description; OCCURS → array with maxItems (minItems and the counter for DEPENDING ON);
 * REDEFINES → `oneOf` of the redefined layout and each redefinition (each titled with its COBOL
 * name). FILLER items are left out (a FILLER group's named children are lifted into the parent).
 * Every property carries `x-cobol` with its picture and usage so the physical format is not lost.
 */
import type { OpenAPIV3_1 } from 'openapi-types';
import type { DataItem } from './ast.js';
import { literalValue, type Token } from './lexer.js';

export type Schema = OpenAPIV3_1.SchemaObject & Record<string, unknown>;

export interface PictureInfo {
  category: 'alphanumeric' | 'alphabetic' | 'numeric' | 'numeric-edited' | 'alphanumeric-edited' | 'national' | 'boolean';
  /** Characters in the displayed form. */
  length: number;
  /** Digit positions (9s) before and after the implied decimal point. */
  integerDigits: number;
  fractionDigits: number;
  /** P scaling positions left (fraction side) / right (integer side) of the digits. */
  scaleLeft: number;
  scaleRight: number;
  signed: boolean;
}

/** Reads a picture string (`S9(7)V99`, `X(10)`, `ZZ,ZZ9.99-`). */
export function analyzePicture(pic: string): PictureInfo {
  const info: PictureInfo = { category: 'alphanumeric', length: 0, integerDigits: 0, fractionDigits: 0, scaleLeft: 0, scaleRight: 0, signed: false };
  let seenV = false;
  let digitsSeen = false;
  let x = false, a = false, nine = false, edited = false, national = false, one = false;
  const p = pic.toUpperCase();
  for (let i = 0; i < p.length; i++) {
    let c = p[i]!;
    if ((c === 'C' && p[i + 1] === 'R') || (c === 'D' && p[i + 1] === 'B')) {
      i++;
      info.length += 2;
      edited = true;
      info.signed = true;
      continue;
    }
    let count = 1;
    if (p[i + 1] === '(') {
      const close = p.indexOf(')', i + 2);
      if (close > 0) {
        count = Number.parseInt(p.slice(i + 2, close), 10) || 1;
        i = close;
      }
    }
    switch (c) {
      case '9':
        nine = true;
        digitsSeen = true;
        if (seenV) info.fractionDigits += count;
        else info.integerDigits += count;
        info.length += count;
        break;
      case 'X':
        x = true;
        info.length += count;
        break;
      case 'A':
        a = true;
        info.length += count;
        break;
      case 'N':
        national = true;
        info.length += count;
        break;
      case '1':
        one = true;
        info.length += count;
        break;
      case 'S':
        info.signed = true;
        break;
      case 'V':
        seenV = true;
        break;
      case 'P':
        if (digitsSeen && !seenV) info.scaleRight += count;
        else info.scaleLeft += count;
        break;
      case '.':
        seenV = true;
        edited = true;
        info.length += count;
        break;
      case '+':
      case '-':
        info.signed = true;
        edited = true;
        info.length += count;
        // Floating insertion: all but the first count as digit positions.
        if (seenV) info.fractionDigits += count - 1;
        else info.integerDigits += count - 1;
        break;
      case 'Z':
      case '*':
      case '$':
        edited = true;
        info.length += count;
        if (seenV) info.fractionDigits += c === '$' ? count - 1 : count;
        else info.integerDigits += c === '$' ? count - 1 : count;
        break;
      case ',':
      case 'B':
      case '0':
      case '/':
        edited = true;
        info.length += count;
        break;
      case 'E':
        edited = true;
        info.length += count;
        break;
      default:
        c = '';
        info.length += count;
    }
  }
  if (national) info.category = 'national';
  else if (one && !x && !nine) info.category = 'boolean';
  else if (edited && !x && !a) info.category = 'numeric-edited';
  else if (edited || (x && nine) || (a && nine)) info.category = 'alphanumeric-edited';
  else if (nine && !x && !a) info.category = 'numeric';
  else if (a && !x) info.category = 'alphabetic';
  return info;
}

/** Largest value with `digits` integer and `fraction` fraction digits, as an exact decimal. */
function maxDecimal(intDigits: number, fraction: number): number {
  const text = `${intDigits > 0 ? '9'.repeat(intDigits) : '0'}${fraction > 0 ? `.${'9'.repeat(fraction)}` : ''}`;
  return Number(text);
}

/** JSON Schema of an elementary item (no OCCURS applied). */
export function elementarySchema(item: DataItem): Schema {
  const cobol = [item.pic ? `PIC ${item.pic}` : '', item.usage && item.usage !== 'DISPLAY' ? item.usage : ''].filter(Boolean).join(' ');
  let schema: Schema;
  if (item.usage === 'COMP-1' || item.usage === 'COMP-2') {
    schema = { type: 'number', format: item.usage === 'COMP-1' ? 'float' : 'double' };
  } else if (item.usage === 'INDEX') {
    schema = { type: 'integer', minimum: 0 };
  } else if (item.usage === 'POINTER' || item.usage === 'FUNCTION-POINTER' || item.usage === 'PROCEDURE-POINTER') {
    schema = { type: 'integer', description: 'address (not meaningful outside the program)' };
  } else if (!item.pic) {
    schema = item.usage === 'BINARY' ? { type: 'integer' } : { type: 'string' };
  } else {
    const pi = analyzePicture(item.pic);
    if (pi.category === 'numeric') {
      const intDigits = pi.integerDigits;
      const fraction = pi.fractionDigits + pi.scaleLeft;
      const totalDigits = pi.integerDigits + pi.fractionDigits;
      if (fraction === 0) {
        schema = { type: 'integer' };
        if (totalDigits + pi.scaleRight <= 15) {
          const max = maxDecimal(intDigits, 0) * 10 ** pi.scaleRight;
          schema.minimum = pi.signed ? -max : 0;
          schema.maximum = max;
          if (pi.scaleRight > 0) schema.multipleOf = 10 ** pi.scaleRight;
        } else schema.description = `${totalDigits} digits`;
      } else {
        schema = { type: 'number' };
        if (intDigits + fraction <= 15) {
          const max = pi.scaleLeft > 0 ? Number(`0.${'0'.repeat(pi.scaleLeft)}${'9'.repeat(pi.fractionDigits)}`) : maxDecimal(intDigits, fraction);
          schema.minimum = pi.signed ? -max : 0;
          schema.maximum = max;
        } else schema.description = `${totalDigits} digits, ${fraction} after the decimal point`;
        schema.multipleOf = Number(`1e-${fraction}`);
      }
      if (item.usage === 'COMP-5' || item.usage === 'COMP-X') {
        // Native binary: the value may use the whole binary field, beyond the picture's digits.
        delete schema.minimum;
        delete schema.maximum;
        schema.description = 'native binary: range set by the storage size, not the picture';
      }
    } else if (pi.category === 'numeric-edited') {
      schema = { type: 'string', maxLength: pi.length, description: `numeric-edited (PIC ${item.pic})` };
    } else if (pi.category === 'boolean') {
      schema = { type: 'boolean' };
    } else {
      schema = { type: 'string', maxLength: pi.length };
      if (pi.category === 'alphabetic') schema.pattern = '^[A-Za-z ]*$';
    }
  }
  if (cobol) schema['x-cobol'] = cobol;
  const numeric = schema.type === 'integer' || schema.type === 'number';
  if (item.conditions.length > 0) applyConditions(schema, item, numeric);
  if (item.values.length === 1 && !item.values[0]!.through && item.section !== 'linkage' && item.section !== 'file') {
    const v = constantValue(item.values[0]!.value, numeric);
    if (v !== undefined) schema.default = v;
  }
  return schema;
}

/** A literal token as a JSON value for a field of the given kind (figurative constants expanded). */
export function constantValue(tok: Token, numeric: boolean): string | number | undefined {
  if (tok.kind === 'number') return numeric ? Number(tok.text) : tok.text;
  if (tok.kind === 'string') return literalValue(tok);
  switch (tok.upper) {
    case 'ZERO':
    case 'ZEROS':
    case 'ZEROES':
      return numeric ? 0 : '0';
    case 'SPACE':
    case 'SPACES':
      return numeric ? undefined : ' ';
    default:
      return undefined;
  }
}

/** Renders a value list of a level-88 for descriptions and conditions: `'A'`, `1 THRU 5`. */
export function describeValues(item: DataItem): string {
  return item.values.map((v) => (v.through ? `${v.value.text} THRU ${v.through.text}` : v.value.text)).join(', ');
}

function applyConditions(schema: Schema, item: DataItem, numeric: boolean): void {
  const names = item.conditions.map((c) => `${c.name} = ${describeValues(c)}`);
  const discrete = item.conditions.every((c) => c.values.every((v) => !v.through && constantValue(v.value, numeric) !== undefined));
  if (discrete) {
    const seen = new Set<string>();
    const values: (string | number)[] = [];
    for (const c of item.conditions)
      for (const v of c.values) {
        const value = constantValue(v.value, numeric)!;
        const key = typeof value + String(value);
        if (!seen.has(key)) {
          seen.add(key);
          values.push(value);
        }
      }
    schema.enum = values;
  }
  const text = `88-level conditions: ${names.join('; ')}`;
  schema.description = schema.description ? `${schema.description}. ${text}` : text;
}

export interface SchemaOptions {
  /** Decides whether an elementary item is included (interface pruning); default: all. */
  include?: (item: DataItem) => boolean;
}

/** JSON Schema of an item and its subordinates; undefined when pruning leaves nothing. */
export function itemSchema(item: DataItem, options: SchemaOptions = {}): Schema | undefined {
  let schema: Schema | undefined;
  if (item.children.length === 0) {
    if (options.include && !options.include(item)) return undefined;
    schema = elementarySchema(item);
  } else {
    const props = groupProperties(item.children, options);
    if (!props) return undefined;
    schema = { type: 'object', properties: props };
    if (item.conditions.length > 0) applyConditions(schema, item, false);
  }
  if (item.occurs) {
    const arr: Schema = { type: 'array', items: schema, maxItems: item.occurs.max };
    if (item.occurs.dependingOn) {
      arr.minItems = item.occurs.min;
      arr.description = `OCCURS ${item.occurs.min} TO ${item.occurs.max} DEPENDING ON ${item.occurs.dependingOn}: the number of entries is in ${item.occurs.dependingOn}`;
    }
    schema = arr;
  }
  return schema;
}

function groupProperties(children: readonly DataItem[], options: SchemaOptions): Record<string, Schema> | undefined {
  const props: Record<string, Schema> = {};
  const redefined = new Set<string>();
  let any = false;
  for (const child of children) {
    if (child.level === 66 || child.level === 88) continue;
    const s = itemSchema(child, options);
    if (!s) continue;
    if (child.name === 'FILLER') {
      // Unnamed group: lift its named fields; unnamed elementary fillers carry no data.
      if (child.children.length > 0 && s.type === 'object' && s.properties) {
        for (const [k, v] of Object.entries(s.properties)) {
          props[k] = v as Schema;
          any = true;
        }
      }
      continue;
    }
    if (child.redefines && props[child.redefines]) {
      const base = props[child.redefines]!;
      const alternatives = redefined.has(child.redefines) ? (base.oneOf as Schema[]) : [{ title: child.redefines, ...base }];
      alternatives.push({ title: child.name, ...s });
      redefined.add(child.redefines);
      props[child.redefines] = { oneOf: alternatives, description: `${child.redefines} is redefined by ${alternatives.slice(1).map((x) => x.title).join(', ')}` };
      any = true;
      continue;
    }
    props[child.name] = s;
    any = true;
  }
  return any ? props : undefined;
}

/** The schema of a record (level 01/77), titled with its name. */
export function recordSchema(item: DataItem, options: SchemaOptions = {}): Schema | undefined {
  const s = itemSchema(item, options);
  if (!s) return undefined;
  return { title: item.name, ...s };
}

/** All items subordinate to `item` (itself included), depth first. */
export function descendants(item: DataItem, out: DataItem[] = []): DataItem[] {
  out.push(item);
  for (const c of item.children) descendants(c, out);
  return out;
}

/** Evidence of an item with all its subordinates (and 88s); one entry per file when a COPY sits inside it. */
export function itemEvidence(item: DataItem, paths: readonly string[]): { path: string; startLine: number; endLine: number }[] {
  const byFile = new Map<number, { start: number; end: number }>();
  const visit = (d: DataItem): void => {
    for (const t of [d.first, d.last]) {
      const e = byFile.get(t.file);
      if (!e) byFile.set(t.file, { start: t.line, end: t.endLine });
      else {
        e.start = Math.min(e.start, t.line);
        e.end = Math.max(e.end, t.endLine);
      }
    }
    for (const c of d.conditions) visit(c);
    for (const c of d.children) visit(c);
  };
  visit(item);
  const order = [item.first.file, ...[...byFile.keys()].filter((f) => f !== item.first.file)];
  return order.map((f) => ({ path: paths[f]!, startLine: byFile.get(f)!.start, endLine: byFile.get(f)!.end }));
}
