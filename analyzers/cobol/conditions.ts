/**
 * Readable conditions and effects: renders COBOL conditions the way an architect reads them —
 * relational words as operators (`GREATER THAN OR EQUAL TO` → `>=`), abbreviated combined
 * relations expanded (`A > 1 AND < 5` → `A > 1 AND A < 5`), and level-88 condition names
 * resolved to the test they stand for (`LA-UNEMPLOYED` → `LA-EMPLOYMENT-TYPE = 'U'`). Also
 * renders statements as effects (`WS-RATE := WS-BASE * 1.05`) and lists the data names a token
 * run mentions.
 */
import type { DataItem, ProgramNode, Statement } from './ast.js';
import { describeValues } from './data.js';
import type { Token } from './lexer.js';
import { splitAtWord } from './parser.js';

const RELATIONAL = new Set(['=', '<', '>', '<=', '>=', '<>']);
const FIGURATIVE = new Set(['ZERO', 'ZEROS', 'ZEROES', 'SPACE', 'SPACES', 'HIGH-VALUE', 'HIGH-VALUES', 'LOW-VALUE', 'LOW-VALUES', 'QUOTE', 'QUOTES', 'NULL', 'NULLS']);
const CLASS_WORDS = new Set(['NUMERIC', 'ALPHABETIC', 'ALPHABETIC-LOWER', 'ALPHABETIC-UPPER', 'POSITIVE', 'NEGATIVE', 'OMITTED']);

/** Resolves a condition name (optionally qualified) to its level-88 item. */
export function conditionItem(prog: ProgramNode, name: string, qualifier?: string): DataItem | undefined {
  const list = prog.conditionNames.get(name);
  if (!list) return undefined;
  if (qualifier) {
    for (const c of list) {
      for (let p = c.parent; p; p = p.parent) if (p.name === qualifier) return c;
    }
  }
  return list[0];
}

/** `PARENT = 'U'`, `PARENT IN ('A', 'B')`, `PARENT BETWEEN 1 AND 5`, or a disjunction of those. */
export function expandConditionName(cond: DataItem): string {
  const subject = cond.parent?.name ?? cond.name;
  const singles = cond.values.filter((v) => !v.through).map((v) => v.value.text);
  const ranges = cond.values.filter((v) => v.through).map((v) => `${subject} BETWEEN ${v.value.text} AND ${v.through!.text}`);
  const parts: string[] = [];
  if (singles.length === 1) parts.push(`${subject} = ${singles[0]}`);
  else if (singles.length > 1) parts.push(`${subject} IN (${singles.join(', ')})`);
  parts.push(...ranges);
  if (parts.length === 0) return `${cond.name} (${describeValues(cond)})`;
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}

/** Joins rendered words with COBOL-like spacing: `X(I)`, `(A = 1)`. */
function joinParts(parts: string[]): string {
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i === 0) {
      out = p;
      continue;
    }
    const prev = parts[i - 1]!;
    const noSpace = p === ')' || p === ':' || prev === '(' || prev === ':' || (p === '(' && /[A-Za-z0-9)]$/.test(prev) && !/^(AND|OR|NOT|IN|BETWEEN)$/.test(prev) && !RELATIONAL.has(prev));
    out += noSpace ? p : ` ${p}`;
  }
  return out;
}

/** Renders a condition's tokens readably, with 88-level names resolved. */
export function renderCondition(tokens: readonly Token[], prog: ProgramNode): string {
  const parts: string[] = [];
  let clauseStart = 0;
  let lastSubject: string | undefined;
  let lastOp: string | undefined;
  let afterLogical = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const u = t.upper;
    // Relational operators written in words
    let op: string | undefined;
    let consumed = 0;
    if (t.kind === 'word' || t.kind === 'punct') {
      const w = (k: number): string => tokens[i + k]?.upper ?? '';
      let k = 0;
      let negate = false;
      if (u === 'IS') k = 1;
      if (w(k) === 'NOT' && (['GREATER', 'LESS', 'EQUAL', 'EQUALS'].includes(w(k + 1)) || RELATIONAL.has(w(k + 1)))) {
        negate = true;
        k++;
      }
      const head = w(k);
      if (head === 'GREATER' || head === 'LESS') {
        let j = k + 1;
        if (w(j) === 'THAN') j++;
        let orEqual = false;
        if (w(j) === 'OR' && (w(j + 1) === 'EQUAL')) {
          orEqual = true;
          j += 2;
          if (w(j) === 'TO') j++;
        }
        op = head === 'GREATER' ? (orEqual ? '>=' : '>') : orEqual ? '<=' : '<';
        consumed = j;
      } else if (head === 'EQUAL' || head === 'EQUALS') {
        op = '=';
        consumed = w(k + 1) === 'TO' ? k + 2 : k + 1;
      } else if (RELATIONAL.has(head) && tokens[i + k]?.kind === 'punct') {
        op = head;
        consumed = k + 1;
      }
      if (op && negate) op = ({ '=': '<>', '>': '<=', '<': '>=', '>=': '<', '<=': '>', '<>': '=' } as Record<string, string>)[op]!;
      if (!op && u === 'IS' && tokens[i + 1] && (CLASS_WORDS.has(tokens[i + 1]!.upper) || tokens[i + 1]!.upper === 'NOT' || FIGURATIVE.has(tokens[i + 1]!.upper))) {
        parts.push('IS');
        continue;
      }
    }
    if (op) {
      if (afterLogical && lastSubject !== undefined) parts.push(lastSubject);
      else lastSubject = joinParts(parts.slice(clauseStart));
      parts.push(op);
      lastOp = op;
      afterLogical = false;
      i += consumed - 1;
      continue;
    }
    if (t.kind === 'word' && (u === 'AND' || u === 'OR')) {
      parts.push(u);
      clauseStart = parts.length;
      afterLogical = true;
      continue;
    }
    if (t.kind === 'punct' && t.text === '(') {
      parts.push('(');
      if (afterLogical || parts.length === 1 || parts[parts.length - 2] === 'NOT' || parts[parts.length - 2] === '(') clauseStart = parts.length;
      continue;
    }
    if (t.kind === 'word' && u === 'NOT') {
      parts.push('NOT');
      if (afterLogical) clauseStart = parts.length;
      continue;
    }
    // Condition name (88)?
    if (t.kind === 'word' && prog.conditionNames.has(u)) {
      let qualifier: string | undefined;
      if ((tokens[i + 1]?.upper === 'OF' || tokens[i + 1]?.upper === 'IN') && tokens[i + 2]) {
        qualifier = tokens[i + 2]!.upper;
        i += 2;
      }
      const cond = conditionItem(prog, u, qualifier)!;
      const expanded = expandConditionName(cond);
      if (parts[parts.length - 1] === 'NOT' && / = /.test(expanded) && !/ (OR|IN|BETWEEN) /.test(expanded)) {
        parts.pop();
        parts.push(expanded.replace(' = ', ' <> '));
      } else if (parts[parts.length - 1] === 'NOT') {
        parts.push(expanded.startsWith('(') ? expanded : `(${expanded})`);
      } else parts.push(expanded);
      afterLogical = false;
      continue;
    }
    // Abbreviated object: `A = 1 OR 2` → `A = 1 OR A = 2`
    if (afterLogical && lastSubject !== undefined && lastOp !== undefined && (t.kind === 'number' || t.kind === 'string' || FIGURATIVE.has(u))) {
      const next = tokens[i + 1];
      if (!next || next.upper === 'AND' || next.upper === 'OR' || next.text === ')') {
        parts.push(lastSubject, lastOp);
      }
    }
    afterLogical = false;
    parts.push(t.kind === 'word' ? t.upper : t.text);
  }
  return joinParts(parts);
}

/** Renders tokens as written (upper-cased words), for expressions and effects. */
export function renderTokens(tokens: readonly Token[]): string {
  return joinParts(tokens.map((t) => (t.kind === 'word' ? t.upper : t.text)));
}

/** Data names (declared items and condition names) mentioned in tokens, in order of appearance. */
export function fieldsIn(tokens: readonly Token[], prog: ProgramNode, into: string[] = []): string[] {
  for (const t of tokens) {
    if (t.kind === 'word') {
      if (prog.items.has(t.upper)) {
        if (!into.includes(t.upper)) into.push(t.upper);
      } else if (prog.conditionNames.has(t.upper)) {
        const c = prog.conditionNames.get(t.upper)![0]!;
        if (c.parent && !into.includes(c.parent.name)) into.push(c.parent.name);
        if (!into.includes(t.upper)) into.push(t.upper);
      }
    } else if (t.kind === 'exec') {
      for (const m of t.text.matchAll(/:([A-Za-z0-9][A-Za-z0-9-]*)/g)) {
        const name = m[1]!.toUpperCase();
        if (prog.items.has(name) && !into.includes(name)) into.push(name);
      }
    }
  }
  return into;
}

/** Splits operand lists at the given keywords: `[before, afterKw1, ...]` keyed by keyword. */
function sectionsOf(tokens: readonly Token[], keywords: readonly string[]): Map<string, Token[]> {
  const out = new Map<string, Token[]>();
  let current = '';
  out.set(current, []);
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    if (depth === 0 && t.kind === 'word' && keywords.includes(t.upper)) {
      current = t.upper;
      if (!out.has(current)) out.set(current, []);
      continue;
    }
    out.get(current)!.push(t);
  }
  return out;
}

/** Operands (identifiers with subscripts, literals) in a token run. */
export function operands(tokens: readonly Token[]): Token[][] {
  const out: Token[][] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'word' && depth === 0 && ['ROUNDED', 'CORRESPONDING', 'CORR', 'ON', 'SIZE', 'ERROR', 'TRUE', 'FALSE'].includes(t.upper) && !(t.upper === 'TRUE' || t.upper === 'FALSE')) continue;
    if (t.text === '(' && depth === 0 && out.length > 0) {
      depth++;
      out[out.length - 1]!.push(t);
      continue;
    }
    if (depth > 0) {
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      out[out.length - 1]!.push(t);
      continue;
    }
    if ((t.upper === 'OF' || t.upper === 'IN') && out.length > 0) {
      out[out.length - 1]!.push(t);
      continue;
    }
    const prev = out[out.length - 1];
    if (prev && prev.length > 0 && (prev[prev.length - 1]!.upper === 'OF' || prev[prev.length - 1]!.upper === 'IN')) {
      prev.push(t);
      continue;
    }
    out.push([t]);
  }
  return out;
}

const TERMINAL_TEXT = 160;

/** One statement as effects (`X := expr`, `PERFORM P`, `DISPLAY 'msg'`); nested conditionals are their own rules. */
export function statementEffects(s: Statement, prog: ProgramNode): string[] {
  const rest = s.tokens.slice(1);
  const r = (ts: readonly Token[]): string => renderTokens(ts);
  switch (s.verb) {
    case 'MOVE': {
      const sec = sectionsOf(rest, ['TO']);
      const src = r(sec.get('')!.filter((t) => t.upper !== 'CORRESPONDING' && t.upper !== 'CORR'));
      return operands(sec.get('TO') ?? []).map((o) => `${r(o)} := ${src}`);
    }
    case 'COMPUTE': {
      const eq = rest.findIndex((t) => t.text === '=' || t.upper === 'EQUAL');
      if (eq < 0) return [r(s.tokens)];
      const targets = operands(rest.slice(0, eq));
      const rounded = rest.slice(0, eq).some((t) => t.upper === 'ROUNDED');
      const expr = r(rest.slice(eq + 1));
      return targets.map((o) => `${r(o)} := ${expr}${rounded ? ' (rounded)' : ''}`);
    }
    case 'ADD':
    case 'SUBTRACT':
    case 'MULTIPLY':
    case 'DIVIDE': {
      const sec = sectionsOf(rest, ['TO', 'FROM', 'BY', 'INTO', 'GIVING', 'REMAINDER']);
      const rounded = rest.some((t) => t.upper === 'ROUNDED');
      const suffix = rounded ? ' (rounded)' : '';
      const first = operands(sec.get('')!).map(r);
      const giving = sec.get('GIVING');
      const out: string[] = [];
      const opnd = (k: string): string[] => operands(sec.get(k) ?? []).map(r);
      if (s.verb === 'ADD') {
        if (giving) out.push(...operands(giving).map((g) => `${r(g)} := ${[...first, ...opnd('TO')].join(' + ')}${suffix}`));
        else for (const t of opnd('TO')) out.push(`${t} := ${t} + ${first.join(' + ')}${suffix}`);
      } else if (s.verb === 'SUBTRACT') {
        if (giving) out.push(...operands(giving).map((g) => `${r(g)} := ${opnd('FROM')[0] ?? '?'} - ${first.join(' - ')}${suffix}`));
        else for (const t of opnd('FROM')) out.push(`${t} := ${t} - ${first.join(' - ')}${suffix}`);
      } else if (s.verb === 'MULTIPLY') {
        if (giving) out.push(...operands(giving).map((g) => `${r(g)} := ${first[0] ?? '?'} * ${opnd('BY')[0] ?? '?'}${suffix}`));
        else for (const t of opnd('BY')) out.push(`${t} := ${t} * ${first[0] ?? '?'}${suffix}`);
      } else {
        if (giving) {
          const expr = sec.has('BY') ? `${first[0] ?? '?'} / ${opnd('BY')[0] ?? '?'}` : `${opnd('INTO')[0] ?? '?'} / ${first[0] ?? '?'}`;
          out.push(...operands(giving).map((g) => `${r(g)} := ${expr}${suffix}`));
          for (const rem of opnd('REMAINDER')) out.push(`${rem} := remainder of ${expr}`);
        } else for (const t of opnd('INTO')) out.push(`${t} := ${t} / ${first[0] ?? '?'}${suffix}`);
      }
      return out.length > 0 ? out : [r(s.tokens)];
    }
    case 'SET': {
      const sec = sectionsOf(rest, ['TO', 'UP', 'DOWN']);
      const targets = operands(sec.get('')!);
      const to = sec.get('TO');
      if (to && to.length === 1 && to[0]!.upper === 'TRUE') {
        return targets.map((o) => {
          const c = prog.conditionNames.get(o[0]!.upper)?.[0];
          if (c?.parent && c.values[0]) return `${c.parent.name} := ${c.values[0].value.text} (${c.name})`;
          return `${r(o)} := TRUE`;
        });
      }
      if (to) return targets.map((o) => `${r(o)} := ${r(to)}`);
      const by = sec.get('UP') ?? sec.get('DOWN');
      if (by) return targets.map((o) => `${r(o)} := ${r(o)} ${sec.has('UP') ? '+' : '-'} ${r(by.filter((t) => t.upper !== 'BY'))}`);
      return [r(s.tokens)];
    }
    case 'EXEC':
      return [`EXEC ${s.first.upper} ${truncate(s.first.text)}`];
    case 'IF':
    case 'EVALUATE':
    case 'SEARCH':
      return [];
    case 'PERFORM':
      if (s.body) return [];
      return [truncate(r(s.tokens))];
    default:
      return [truncate(r(s.tokens))];
  }
}

function truncate(text: string): string {
  return text.length > TERMINAL_TEXT ? `${text.slice(0, TERMINAL_TEXT - 1)}…` : text;
}

/** The readable condition of one WHEN against the EVALUATE subjects. */
export function renderWhen(subjects: readonly Token[][], objects: readonly Token[][], prog: ProgramNode): string | null {
  const parts: string[] = [];
  for (let k = 0; k < objects.length; k++) {
    const subj = subjects[k] ?? [];
    let obj = objects[k]!;
    const subjText = subj.length === 1 && (subj[0]!.upper === 'TRUE' || subj[0]!.upper === 'FALSE') ? subj[0]!.upper : renderCondition(subj, prog);
    if (obj.length === 1 && obj[0]!.upper === 'ANY') continue;
    let negate = false;
    if (obj[0]?.upper === 'NOT') {
      negate = true;
      obj = obj.slice(1);
    }
    if (subjText === 'TRUE' || subjText === 'FALSE') {
      const c = renderCondition(obj, prog);
      parts.push(subjText === 'FALSE' !== negate ? `NOT (${c})` : c);
      continue;
    }
    if (obj.length === 1 && (obj[0]!.upper === 'TRUE' || obj[0]!.upper === 'FALSE')) {
      parts.push(obj[0]!.upper === 'FALSE' !== negate ? `NOT (${subjText})` : subjText);
      continue;
    }
    const thru = splitAtWord(obj, 'THRU').length > 1 ? splitAtWord(obj, 'THRU') : splitAtWord(obj, 'THROUGH');
    if (thru.length > 1) {
      const text = `${subjText} BETWEEN ${renderTokens(thru[0]!)} AND ${renderTokens(thru[1]!)}`;
      parts.push(negate ? `NOT (${text})` : text);
      continue;
    }
    parts.push(`${subjText} ${negate ? '<>' : '='} ${renderCondition(obj, prog)}`);
  }
  return parts.length === 0 ? null : parts.join(' AND ');
}
