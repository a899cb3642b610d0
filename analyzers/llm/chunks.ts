/**
 * Splits a source file into the chunks the LLM sees, so no request passes the context window
 * (`analyze.llm.maxInputTokens`). A file that fits is one chunk (the usual case). A larger file
 * is cut only at structural boundaries: for COBOL, division headers and the paragraphs and
 * sections the parser found (its call graph, entry and dead code); for other languages,
 * top-level lines (no indentation) after a blank line. Consecutive pieces are packed greedily up
 * to the limit. Only a single paragraph larger than the limit is cut between lines, and the chunk
 * says so (`forced`).
 */
import type { FileAnalysis } from '../model.js';

export interface Chunk {
  path: string;
  language: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  lines: string[];
  /** Programs of the file (all of them: chunks share the file's programs). */
  programs: string[];
  /** True when a structural unit was larger than the limit and had to be cut between lines. */
  forced: boolean;
}

/** Lines of a text as editors count them (a final newline does not start another line). */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** 1-based line numbers where a structural unit starts (always includes 1). */
export function structuralBoundaries(file: FileAnalysis, lines: readonly string[]): number[] {
  const starts = new Set<number>([1]);
  if (file.source.language.toLowerCase() === 'cobol') {
    const names = new Set<string>();
    for (const p of file.programs) {
      if (p.entry) names.add(p.entry.toUpperCase());
      for (const [from, tos] of Object.entries(p.callGraph ?? {})) {
        names.add(from.toUpperCase());
        for (const to of tos) names.add(to.toUpperCase());
      }
      for (const d of p.deadCode ?? []) starts.add(d.startLine);
    }
    lines.forEach((raw, i) => {
      const code = cobolCodeArea(raw).trim().toUpperCase();
      if (/^[A-Z0-9-]+\s+DIVISION\b/.test(code)) starts.add(i + 1);
      const m = /^([A-Z0-9][A-Z0-9-]*)(\s+SECTION)?\s*\.$/.exec(code);
      if (m && names.has(m[1]!)) starts.add(i + 1);
    });
  } else {
    lines.forEach((l, i) => {
      if (i > 0 && lines[i - 1]!.trim() === '' && /^\S/.test(l)) starts.add(i + 1);
    });
  }
  return [...starts].filter((n) => n >= 1 && n <= Math.max(1, lines.length)).sort((a, b) => a - b);
}

/** Cuts a file into chunks of at most `maxChars` characters at structural boundaries. */
export function chunkFile(file: FileAnalysis, text: string, maxChars: number): Chunk[] {
  const lines = splitLines(text);
  const programs = file.programs.map((p) => p.name);
  const make = (start: number, end: number, forced: boolean): Chunk => ({
    path: file.source.path,
    language: file.source.language,
    startLine: start,
    endLine: end,
    lines: lines.slice(start - 1, end),
    programs,
    forced,
  });
  if (!lines.length) return [];
  const size = (start: number, end: number): number => lines.slice(start - 1, end).reduce((n, l) => n + l.length + 1, 0);
  if (size(1, lines.length) <= maxChars) return [make(1, lines.length, false)];

  const starts = structuralBoundaries(file, lines);
  const units = starts.map((s, i) => ({ start: s, end: (starts[i + 1] ?? lines.length + 1) - 1 }));
  const chunks: Chunk[] = [];
  let current: { start: number; end: number } | undefined;
  const flush = (): void => {
    if (current) chunks.push(make(current.start, current.end, false));
    current = undefined;
  };
  for (const unit of units) {
    if (size(unit.start, unit.end) > maxChars) {
      flush();
      // One paragraph over the limit: cut between lines, as a last resort.
      let start = unit.start;
      while (start <= unit.end) {
        let end = start;
        while (end < unit.end && size(start, end + 1) <= maxChars) end++;
        chunks.push(make(start, end, true));
        start = end + 1;
      }
      continue;
    }
    if (current && size(current.start, unit.end) <= maxChars) current.end = unit.end;
    else {
      flush();
      current = { ...unit };
    }
  }
  flush();
  return chunks;
}

/**
 * The code part of a fixed-format COBOL line: columns 8-72 (sequence area 1-6, indicator 7 and
 * identification area 73-80 dropped); a comment line (`*` or `/` in column 7) has none. Free
 * format lines (no sequence area) are returned with any `*>` comment removed.
 */
export function cobolCodeArea(line: string): string {
  if (/^[0-9 ]{6}[ \-*/dD]/.test(line) || /^.{6}[*/]/.test(line)) {
    const indicator = line[6] ?? ' ';
    if (indicator === '*' || indicator === '/') return '';
    return stripFloatingComment(line.slice(7, 72));
  }
  if (/^\s*\*>/.test(line) || /^\*/.test(line)) return '';
  return stripFloatingComment(line);
}

function stripFloatingComment(code: string): string {
  // `*>` starts a comment unless inside a literal.
  let quote: string | null = null;
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '*' && code[i + 1] === '>') return code.slice(0, i);
  }
  return code;
}
