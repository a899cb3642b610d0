/**
 * The COBOL tokenizer: program text from `source.ts` → tokens, each tagged with the file and
 * physical line it came from (so evidence can point into copybooks). It knows the lexical rules
 * that decide meaning early: picture strings after PIC/PICTURE are one token, `EXEC ...
 * END-EXEC` blocks are one opaque token (their own languages are read by `structure.ts`),
 * `==` pseudo-text delimiters for COPY REPLACING, signed numeric literals (COBOL requires spaces
 * around arithmetic operators, so `-1` is a literal and `A - 1` is not), and prefixed literals
 * (X'..', N'..', Z'..'). Comma and semicolon separators are dropped.
 */
import { lineLocator, type SourceText } from './source.js';

export type TokenKind =
  | 'word' // COBOL word or keyword (may contain digits and hyphens)
  | 'number' // numeric literal (incl. sign and decimal point)
  | 'string' // alphanumeric/national/hex literal; `text` keeps the quotes
  | 'period' // separator period
  | 'punct' // ( ) : = < > <= >= <> + - * / ** & and other single characters
  | 'pseudo' // `==` pseudo-text delimiter
  | 'pic' // picture character-string
  | 'exec'; // EXEC SQL/CICS/DLI ... END-EXEC block

export interface Token {
  kind: TokenKind;
  /** Source text as written (for `exec`: the body between the subsystem word and END-EXEC, whitespace collapsed). */
  text: string;
  /** Upper-cased text, for keyword comparisons. For `exec`: the subsystem, e.g. `SQL`, `CICS`. */
  upper: string;
  /** Index of the file in the analysis' file table. */
  file: number;
  /** 1-based physical line where the token starts. */
  line: number;
  /** Last physical line of the token (differs for `exec` blocks and continued literals). */
  endLine: number;
  /** Offset of the token in its file's program text (for COPY REPLACING partial words). */
  offset: number;
}

export interface LexDiagnostic {
  line: number;
  severity: 'error' | 'warning' | 'info';
  message: string;
}

const isWordChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f || c >= 0x80;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d || c === 0x0c;
const LITERAL_PREFIXES = new Set(['X', 'N', 'NX', 'Z', 'G', 'B', 'U', 'BX']);

/** Tokenizes one file's program text. Never throws; oddities become diagnostics. */
export function lex(src: SourceText, file: number, diagnostics: LexDiagnostic[] = []): Token[] {
  const text = src.text;
  const n = text.length;
  const lineAt = lineLocator(src);
  const tokens: Token[] = [];
  let i = 0;
  let picPending = false;
  const push = (kind: TokenKind, start: number, end: number, value?: string, upper?: string, endLine?: number): void => {
    const t = value ?? text.slice(start, end);
    const line = lineAt(start);
    tokens.push({ kind, text: t, upper: upper ?? t.toUpperCase(), file, line, endLine: endLine ?? line, offset: start });
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c) || c === 0x2c || c === 0x3b) {
      i++;
      continue;
    }
    const start = i;
    if (picPending) {
      // A picture string runs to the next space; a final '.' or ',' followed by space separates.
      let j = i;
      while (j < n && !isSpace(text.charCodeAt(j))) j++;
      let end = j;
      while (end > i + 1 && (text.charCodeAt(end - 1) === 0x2e || text.charCodeAt(end - 1) === 0x2c || text.charCodeAt(end - 1) === 0x3b)) end--;
      const word = text.slice(i, end).toUpperCase();
      if (word === 'IS') {
        push('word', i, end);
        i = end;
        continue;
      }
      picPending = false;
      push('pic', i, end);
      i = end;
      continue;
    }
    if (isWordChar(c) && c !== 0x2d) {
      let j = i + 1;
      while (j < n && isWordChar(text.charCodeAt(j))) j++;
      // A word may not end with a hyphen; give trailing hyphens back.
      while (j > i + 1 && text.charCodeAt(j - 1) === 0x2d) j--;
      // Decimal numbers: digits '.' digits (the '.' is not a separator when a digit follows).
      let allDigits = true;
      for (let k = i; k < j; k++) if (!isDigit(text.charCodeAt(k))) { allDigits = false; break; }
      if (allDigits && text.charCodeAt(j) === 0x2e && isDigit(text.charCodeAt(j + 1))) {
        j++;
        while (j < n && isDigit(text.charCodeAt(j))) j++;
        if ((text.charCodeAt(j) === 0x45 || text.charCodeAt(j) === 0x65) && (text.charCodeAt(j + 1) === 0x2b || text.charCodeAt(j + 1) === 0x2d)) {
          j += 2;
          while (j < n && isDigit(text.charCodeAt(j))) j++;
        }
        push('number', i, j);
        i = j;
        continue;
      }
      const q = text.charCodeAt(j);
      if ((q === 0x27 || q === 0x22) && LITERAL_PREFIXES.has(text.slice(i, j).toUpperCase())) {
        i = lexString(j, start);
        continue;
      }
      const word = text.slice(i, j);
      const upper = word.toUpperCase();
      if (upper === 'EXEC' || upper === 'EXECUTE') {
        const m = /^\s+([A-Za-z][A-Za-z0-9-]*)/.exec(text.slice(j, j + 40));
        if (m) {
          const bodyStart = j + m[0].length;
          const endRe = /END-EXEC\b/gi;
          endRe.lastIndex = bodyStart;
          const found = endRe.exec(text);
          const bodyEnd = found ? found.index : n;
          const after = found ? found.index + 8 : n;
          if (!found) diagnostics.push({ line: lineAt(i), severity: 'error', message: `EXEC ${m[1]!.toUpperCase()} without END-EXEC` });
          const body = text.slice(bodyStart, bodyEnd).replace(/\s+/g, ' ').trim();
          const startLine = lineAt(i);
          const endLine = lineAt(Math.max(i, after - 1));
          tokens.push({ kind: 'exec', text: body, upper: m[1]!.toUpperCase(), file, line: startLine, endLine, offset: i });
          i = after;
          continue;
        }
      }
      push(allDigits ? 'number' : 'word', i, j, word, upper);
      if (upper === 'PIC' || upper === 'PICTURE') picPending = true;
      i = j;
      continue;
    }
    if (c === 0x27 || c === 0x22) {
      i = lexString(i, start);
      continue;
    }
    if (c === 0x2e) {
      // '.5' numeric literal, otherwise a separator period.
      if (isDigit(text.charCodeAt(i + 1)) && (i === 0 || isSpace(text.charCodeAt(i - 1)))) {
        let j = i + 1;
        while (j < n && isDigit(text.charCodeAt(j))) j++;
        push('number', i, j);
        i = j;
        continue;
      }
      push('period', i, i + 1);
      i++;
      continue;
    }
    if ((c === 0x2b || c === 0x2d) && (isDigit(text.charCodeAt(i + 1)) || (text.charCodeAt(i + 1) === 0x2e && isDigit(text.charCodeAt(i + 2))))) {
      // Signed literal: operators need a space after them, literals do not.
      let j = i + 1;
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === 0x2e && isDigit(text.charCodeAt(j + 1))) {
        j++;
        while (j < n && isDigit(text.charCodeAt(j))) j++;
      }
      push('number', i, j);
      i = j;
      continue;
    }
    if (c === 0x3d && text.charCodeAt(i + 1) === 0x3d) {
      push('pseudo', i, i + 2);
      i += 2;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '<=' || two === '>=' || two === '<>' || two === '**') {
      push('punct', i, i + 2);
      i += 2;
      continue;
    }
    push('punct', i, i + 1);
    i++;
  }
  return tokens;

  function lexString(quoteAt: number, start: number): number {
    const q = text.charCodeAt(quoteAt);
    let j = quoteAt + 1;
    for (;;) {
      if (j >= n || text.charCodeAt(j) === 0x0a) {
        diagnostics.push({ line: lineAt(start), severity: 'warning', message: 'unterminated literal' });
        break;
      }
      if (text.charCodeAt(j) === q) {
        if (text.charCodeAt(j + 1) === q) {
          j += 2;
          continue;
        }
        j++;
        break;
      }
      j++;
    }
    const value = text.slice(start, j);
    push('string', start, j, value, value, lineAt(Math.max(start, j - 1)));
    return j;
  }
}

/** The value of a string token without quotes or prefix, doubled quotes undone. */
export function literalValue(token: Token): string {
  const t = token.text;
  const q = t.search(/['"]/);
  if (q < 0) return t;
  const quote = t[q]!;
  let body = t.slice(q + 1);
  if (body.endsWith(quote)) body = body.slice(0, -1);
  return body.split(quote + quote).join(quote);
}
