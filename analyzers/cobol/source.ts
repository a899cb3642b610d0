/**
 * The COBOL source reader: turns the physical lines of one file (fixed or free reference
 * format) into a single buffer of program text plus a map from buffer offsets back to physical
 * lines. It owns everything about columns: the sequence area (cols 1-6), the indicator area
 * (col 7: `*` `/` comments, `-` continuation, `D` debugging lines), the program-text area
 * (cols 8-72, later columns ignored), floating `*>` comments, and the `>>SOURCE FORMAT` /
 * `$SET SOURCEFORMAT` directives that switch format mid-file. Continued words and literals are
 * joined so the lexer never sees a line break inside them, while every token can still be traced
 * to the physical line it started on. Format is auto-detected when no directive says it.
 */

export type SourceFormat = 'fixed' | 'free';

/** A diagnostic from the reader, with a 1-based physical line. */
export interface ReaderDiagnostic {
  line: number;
  severity: 'error' | 'warning' | 'info';
  message: string;
}

/** The program text of one file, ready for the lexer. */
export interface SourceText {
  /** Program text: logical lines separated by `\n`; continuations joined. */
  text: string;
  /** Offsets in `text` where a piece from a new physical line starts (ascending). */
  segmentStarts: number[];
  /** The 1-based physical line of each segment. */
  segmentLines: number[];
  /** Format in effect at the start of the file (directives may switch it later). */
  format: SourceFormat;
  /** Number of physical lines. */
  lines: number;
  diagnostics: ReaderDiagnostic[];
}

export interface ReadOptions {
  /** Force a format; default: auto-detect (directives still win). */
  format?: SourceFormat;
  /** Applied to each line's program text before joining: COPY ... REPLACING of partial words. */
  rewrite?: (code: string) => string;
}

const FORMAT_DIRECTIVE = /^\s*>>\s*SOURCE(?:\s+FORMAT)?(?:\s+IS)?\s+(FREE|FIXED)\b/i;
const MF_FORMAT_DIRECTIVE = /\$\s*SET\s+.*SOURCEFORMAT\s*[("']*\s*(FREE|FIXED)/i;
const DIVISION_AT_MARGIN = /^(?:IDENTIFICATION|ID|ENVIRONMENT|DATA|PROCEDURE)\s+DIVISION\b|^PROGRAM-ID\b|^\*>/i;

/**
 * Guesses the reference format from the first lines: free when program text starts in the
 * sequence area (a division header or `*>` at the margin), fixed otherwise (mainframe default).
 */
export function detectFormat(lines: readonly string[]): SourceFormat {
  let fixedVotes = 0;
  let freeVotes = 0;
  const n = Math.min(lines.length, 400);
  for (let i = 0; i < n; i++) {
    const line = lines[i]!;
    const m = FORMAT_DIRECTIVE.exec(line) ?? MF_FORMAT_DIRECTIVE.exec(line);
    if (m) return m[1]!.toUpperCase() === 'FREE' ? 'free' : 'fixed';
    if (line.trim() === '') continue;
    if (DIVISION_AT_MARGIN.test(line)) freeVotes += 3;
    else if (/^[ 0-9]{6}[*\/-]/.test(line)) fixedVotes += 1;
    else if (/^[ 0-9A-Za-z]{6} {1,4}(?:IDENTIFICATION|ID|PROCEDURE|DATA|ENVIRONMENT)\s+DIVISION/i.test(line)) fixedVotes += 3;
    else if (/^\S/.test(line) && !/^[0-9]{6}/.test(line) && /^[A-Za-z]/.test(line) && line.length < 7) freeVotes += 1;
  }
  return freeVotes > fixedVotes ? 'free' : 'fixed';
}

/** Finds the end of the text before a floating `*>` comment, outside literals; also reports an open literal at the end. */
function scanCode(code: string, openQuote: number): { end: number; openQuote: number } {
  let quote = openQuote;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) {
        if (code.charCodeAt(i + 1) === quote) i++;
        else quote = 0;
      }
    } else if (c === 0x27 || c === 0x22) {
      quote = c;
    } else if (c === 0x2a && code.charCodeAt(i + 1) === 0x3e) {
      return { end: i, openQuote: 0 };
    }
  }
  return { end: code.length, openQuote: quote };
}

/** Reads one file's text into program text with a line map. Never throws. */
export function readSource(source: string, options: ReadOptions = {}): SourceText {
  const physical = source.split(/\r\n|\n|\r/);
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
  let format: SourceFormat = options.format ?? detectFormat(physical);
  const initialFormat = format;
  const parts: string[] = [];
  let length = 0;
  const segmentStarts: number[] = [];
  const segmentLines: number[] = [];
  const diagnostics: ReaderDiagnostic[] = [];
  const rewrite = options.rewrite;

  // The last program-text line, kept open so a following continuation line can extend it.
  let pending: string | null = null;
  let pendingQuote = 0;

  const flush = (): void => {
    if (pending === null) return;
    parts.push(pending, '\n');
    length += pending.length + 1;
    pending = null;
  };
  const startSegment = (line: number): void => {
    const at = length + (pending?.length ?? 0);
    if (segmentStarts.length > 0 && segmentStarts[segmentStarts.length - 1] === at) {
      segmentLines[segmentLines.length - 1] = line;
    } else {
      segmentStarts.push(at);
      segmentLines.push(line);
    }
  };

  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i]!;
    const lineNo = i + 1;
    const trimmedStart = raw.trimStart();
    if (trimmedStart.startsWith('>>') || /^\s{0,7}\$\s*SET\b/i.test(raw)) {
      const m = FORMAT_DIRECTIVE.exec(trimmedStart) ?? MF_FORMAT_DIRECTIVE.exec(raw);
      if (m) format = m[1]!.toUpperCase() === 'FREE' ? 'free' : 'fixed';
      continue; // other compiler directives (>>IF, >>DEFINE, ...) carry no program text we use
    }
    let code: string;
    let continuation = false;
    if (format === 'fixed') {
      if (raw.length < 7) {
        if (raw.trim() !== '' && !/^[ 0-9]*$/.test(raw)) {
          // Shorter than the indicator column: likely free-format text in a fixed file.
          code = raw.trim();
        } else continue;
      } else {
        const indicator = raw[6]!;
        if (indicator === '*' || indicator === '/' || indicator === 'D' || indicator === 'd' || indicator === '$') continue;
        if (indicator === '-') continuation = true;
        else if (indicator !== ' ' && indicator !== '\t') {
          diagnostics.push({ line: lineNo, severity: 'warning', message: `unknown indicator '${indicator}' in column 7; line read as program text` });
        }
        code = raw.length > 72 ? raw.slice(7, 72) : raw.slice(7);
      }
    } else {
      if (trimmedStart.startsWith('*>')) continue;
      // Free format allows a fixed-style continuation only via a `-` indicator in column 1 in
      // some dialects; we support the standard free form: literals end on their line.
      code = raw;
    }
    if (continuation) {
      if (pending === null) {
        diagnostics.push({ line: lineNo, severity: 'warning', message: 'continuation line with no line to continue' });
        continue;
      }
      // Cols 8-72 are 65 characters; an open literal runs to column 72, so pad before slicing.
      const padded = format === 'fixed' ? code.padEnd(65, ' ') : code;
      let body: string;
      let quote: number;
      if (pendingQuote !== 0) {
        const q = padded.search(/\S/);
        let rest: string;
        if (q >= 0 && (padded.charCodeAt(q) === 0x27 || padded.charCodeAt(q) === 0x22)) rest = padded.slice(q + 1);
        else {
          diagnostics.push({ line: lineNo, severity: 'warning', message: 'continued literal: continuation line does not start with a quote' });
          rest = padded.trimStart();
        }
        const s = scanCode(rest, pendingQuote);
        body = rest.slice(0, s.end);
        quote = s.openQuote;
      } else {
        pending = pending.trimEnd();
        const q = padded.search(/\S/);
        const rest = q < 0 ? '' : padded.slice(q);
        const s = scanCode(rest, 0);
        body = s.openQuote !== 0 ? rest.slice(0, s.end) : rest.slice(0, s.end).trimEnd();
        quote = s.openQuote;
      }
      if (rewrite) body = rewrite(body);
      startSegment(lineNo);
      pending = pending + body;
      pendingQuote = quote;
      continue;
    }
    const scanned = scanCode(code, 0);
    let body = scanned.end < code.length ? code.slice(0, scanned.end) : code;
    if (body.trim() === '') {
      continue;
    }
    if (rewrite) body = rewrite(body);
    flush();
    startSegment(lineNo);
    pending = format === 'fixed' ? body : body.trimEnd();
    pendingQuote = scanned.openQuote;
    if (pendingQuote !== 0 && format === 'fixed') {
      // Pad an open literal to column 72 (cols 8-72 = 65 characters) as the standard requires.
      pending = pending.padEnd(65, ' ');
    }
  }
  flush();
  return { text: parts.join(''), segmentStarts, segmentLines, format: initialFormat, lines: physical.length, diagnostics };
}

/** Returns a function mapping a buffer offset to its physical line; offsets must not decrease between calls for O(1) cost. */
export function lineLocator(src: SourceText): (offset: number) => number {
  let seg = 0;
  const starts = src.segmentStarts;
  const lines = src.segmentLines;
  return (offset: number): number => {
    if (starts.length === 0) return 1;
    if (seg > 0 && starts[seg]! > offset) seg = 0;
    while (seg + 1 < starts.length && starts[seg + 1]! <= offset) seg++;
    return lines[seg]!;
  };
}
