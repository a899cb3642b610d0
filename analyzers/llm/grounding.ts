/**
 * The grounding check: an LLM-proposed rule becomes a rule only when the source lines it cites
 * back it. A proposal is grounded when every evidence range (1) names the file that was analyzed,
 * (2) lies within the lines the model was shown and within the file, (3) spans at most
 * `maxSpan` lines (citing a whole file proves nothing), and together the cited lines (4) hold
 * code, not just comments: comment text never counts as evidence, which is what defeats
 * instructions planted in comments, (5) contain every field the rule names and every data name
 * written in its statement or condition, as whole words, and (6) contain every literal it names
 * or writes in its statement or condition: quoted codes as quoted literals, numbers by value.
 * A proposal with nothing checkable (no field, no literal) is not grounded either.
 */
import type { Evidence } from '../model.js';
import { cobolCodeArea } from './chunks.js';

/** A rule as the model proposes it (already schema-valid). */
export interface Proposal {
  kind: 'validation' | 'calculation' | 'decision' | 'constraint';
  title: string;
  statement: string;
  condition?: string | null;
  fields: string[];
  literals: string[];
  evidence: Evidence[];
}

export interface GroundingContext {
  /** The analyzed file, relative to the root. */
  path: string;
  language: string;
  /** Every line of the file. */
  lines: readonly string[];
  /** The lines the model was shown (1-based, inclusive). */
  shownStart: number;
  shownEnd: number;
  /** Longest evidence range accepted. */
  maxSpan?: number;
}

export type GroundingResult = { grounded: true; evidence: Evidence[] } | { grounded: false; reason: string };

/** Languages whose identifiers and keywords are case-insensitive. */
const CASE_INSENSITIVE = new Set(['cobol']);

/** The code on a line, comments removed ('' for a comment line). */
export function codeOf(line: string, language: string): string {
  if (language.toLowerCase() === 'cobol') return cobolCodeArea(line);
  // Whole-line comments of the C family, scripting languages and SQL.
  if (/^\s*(\/\/|#|\*|\/\*|--)/.test(line)) return '';
  return line;
}

/** Checks one proposal against the file it names. */
export function checkGrounding(p: Proposal, ctx: GroundingContext): GroundingResult {
  const maxSpan = ctx.maxSpan ?? 40;
  if (!p.evidence.length) return { grounded: false, reason: 'cites no evidence lines' };
  const evidence: Evidence[] = [];
  const code: string[] = [];
  for (const e of p.evidence) {
    const where = `${e.path}:${e.startLine}-${e.endLine}`;
    if (e.path !== ctx.path) return { grounded: false, reason: `cites ${where}, not the analyzed file ${ctx.path}` };
    if (!Number.isInteger(e.startLine) || !Number.isInteger(e.endLine) || e.startLine < 1 || e.endLine < e.startLine) {
      return { grounded: false, reason: `cites an invalid line range ${where}` };
    }
    if (e.endLine > ctx.lines.length) return { grounded: false, reason: `cites ${where}, past the end of the file (${ctx.lines.length} lines)` };
    if (e.startLine < ctx.shownStart || e.endLine > ctx.shownEnd) {
      return { grounded: false, reason: `cites ${where}, outside the lines analyzed (${ctx.shownStart}-${ctx.shownEnd})` };
    }
    if (e.endLine - e.startLine + 1 > maxSpan) return { grounded: false, reason: `cites ${where}, more than ${maxSpan} lines` };
    evidence.push({ path: e.path, startLine: e.startLine, endLine: e.endLine });
    for (let n = e.startLine; n <= e.endLine; n++) code.push(codeOf(ctx.lines[n - 1] ?? '', ctx.language));
  }
  const fold = CASE_INSENSITIVE.has(ctx.language.toLowerCase());
  const text = fold ? code.join('\n').toUpperCase() : code.join('\n');
  if (!text.trim()) return { grounded: false, reason: 'the cited lines hold no code (comments only)' };

  const prose = `${p.statement}\n${p.condition ?? ''}`;
  const names = new Set([...p.fields, ...dataNamesIn(prose)].map((n) => n.trim()).filter(Boolean));
  const literals = new Set([...p.literals, ...literalsIn(stripNames(prose))].map((l) => l.trim()).filter(Boolean));
  if (!names.size && !literals.size) return { grounded: false, reason: 'names no field and no literal that could be checked' };

  for (const name of names) {
    if (!hasWord(text, fold ? name.toUpperCase() : name)) return { grounded: false, reason: `field ${name} is not in the cited lines` };
  }
  const numbers = numbersIn(stripNames(text));
  const quoted = quotedIn(text);
  for (const lit of literals) {
    if (!hasLiteral(lit, { text, numbers, quoted, fold })) return { grounded: false, reason: `literal ${lit} is not in the cited lines` };
  }
  return { grounded: true, evidence };
}

/** Data names written in prose the way code writes them: `WS-DTI-RATIO`, `LOAN_DECISIONS`. */
export function dataNamesIn(text: string): string[] {
  return text.match(/\b[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]+)+\b/g) ?? [];
}

/** Data names in a text that do not occur in the given code (for explanations and glossary entries). */
export function unknownNames(text: string, code: string, language: string): string[] {
  const fold = CASE_INSENSITIVE.has(language.toLowerCase());
  const hay = fold ? code.toUpperCase() : code;
  return dataNamesIn(text).filter((n) => !hasWord(hay, fold ? n.toUpperCase() : n));
}

function stripNames(text: string): string {
  return text.replace(/\b[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)+\b/g, ' ');
}

/** Quoted strings and numbers written in a statement. */
function literalsIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/'([^']*)'|"([^"]*)"/g)) out.push(`'${m[1] ?? m[2] ?? ''}'`);
  const unquoted = text.replace(/'[^']*'|"[^"]*"/g, ' ');
  for (const m of unquoted.matchAll(/(?<![A-Za-z0-9_.])\d+(?:\.\d+)?(?![A-Za-z0-9_])/g)) out.push(m[0]);
  return out;
}

function numbersIn(text: string): Set<number> {
  const set = new Set<number>();
  const unquoted = text.replace(/'[^']*'|"[^"]*"/g, ' ');
  for (const m of unquoted.matchAll(/(?<![A-Za-z0-9_])\d*\.?\d+/g)) set.add(Number(m[0]));
  return set;
}

function quotedIn(text: string): Set<string> {
  const set = new Set<string>();
  for (const m of text.matchAll(/'([^']*)'|"([^"]*)"/g)) set.add(m[1] ?? m[2] ?? '');
  return set;
}

function hasLiteral(lit: string, code: { text: string; numbers: Set<number>; quoted: Set<string>; fold: boolean }): boolean {
  const q = /^'(.*)'$|^"(.*)"$/.exec(lit);
  if (q) {
    const inner = q[1] ?? q[2] ?? '';
    const want = code.fold ? inner.toUpperCase() : inner;
    return code.quoted.has(want) || [...code.quoted].some((s) => s.includes(want) && want.length >= 3);
  }
  const numeric = lit.replace(/[%,]/g, '');
  if (/^[+-]?\d*\.?\d+$/.test(numeric)) return code.numbers.has(Math.abs(Number(numeric)));
  const want = code.fold ? lit.toUpperCase() : lit;
  return code.quoted.has(want) || hasWord(code.text, want);
}

/** `name` occurs in `text` not as part of a longer identifier (letters, digits, `-`, `_`). */
function hasWord(text: string, name: string): boolean {
  let from = 0;
  for (;;) {
    const i = text.indexOf(name, from);
    if (i < 0) return false;
    const before = text[i - 1];
    const after = text[i + name.length];
    if ((before === undefined || !/[A-Za-z0-9_-]/.test(before)) && (after === undefined || !/[A-Za-z0-9_-]/.test(after))) return true;
    from = i + 1;
  }
}
