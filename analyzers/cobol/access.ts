/**
 * Read/write analysis of data items: which items each statement reads and which it writes, by
 * the verb's grammar (MOVE ... TO x writes x; ADD a TO b reads a and reads-and-writes b; SET
 * cond TO TRUE writes the condition's parent; SELECT ... INTO :h writes h; EXEC CICS INTO(x)
 * writes x; conditions, DISPLAY, WRITE ... FROM read; CALL ... USING reads and may write).
 * `interface.ts` uses it to tell a program's input fields from its output fields.
 */
import { forEachStatement, type DataItem, type ProgramNode, type Statement } from './ast.js';
import type { Token } from './lexer.js';

export interface Access {
  read: boolean;
  written: boolean;
}

/** Access of each named data item (as referenced directly; group/child propagation is the caller's). */
export function dataAccess(prog: ProgramNode): Map<DataItem, Access> {
  const acc = new Map<DataItem, Access>();
  const mark = (name: string, kind: 'read' | 'written'): void => {
    const cond = prog.conditionNames.get(name)?.[0];
    const items = cond?.parent ? [cond.parent] : prog.items.get(name);
    if (!items) return;
    for (const item of items) {
      let a = acc.get(item);
      if (!a) acc.set(item, (a = { read: false, written: false }));
      a[kind] = true;
    }
  };
  /** Marks identifiers in a token run: top-level ones with `kind`, subscripts read. */
  const markRun = (tokens: readonly Token[], kind: 'read' | 'written' | 'both'): void => {
    let depth = 0;
    for (const t of tokens) {
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      if (t.kind !== 'word') continue;
      if (depth > 0 || kind === 'read') mark(t.upper, 'read');
      else if (kind === 'written') mark(t.upper, 'written');
      else {
        mark(t.upper, 'read');
        mark(t.upper, 'written');
      }
    }
  };
  const split = (tokens: readonly Token[], words: readonly string[]): { before: Token[]; parts: Map<string, Token[]> } => {
    const before: Token[] = [];
    const parts = new Map<string, Token[]>();
    let current: Token[] = before;
    let depth = 0;
    for (const t of tokens) {
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      if (depth === 0 && t.kind === 'word' && words.includes(t.upper)) {
        current = parts.get(t.upper) ?? [];
        parts.set(t.upper, current);
        continue;
      }
      current.push(t);
    }
    return { before, parts };
  };

  const visit = (s: Statement): void => {
    const rest = s.tokens.slice(1);
    switch (s.verb) {
      case 'MOVE': {
        const { before, parts } = split(rest, ['TO']);
        markRun(before, 'read');
        markRun(parts.get('TO') ?? [], 'written');
        return;
      }
      case 'COMPUTE': {
        const eq = rest.findIndex((t) => t.text === '=' || t.upper === 'EQUAL');
        markRun(rest.slice(0, Math.max(0, eq)), 'written');
        markRun(rest.slice(eq + 1), 'read');
        return;
      }
      case 'ADD':
      case 'SUBTRACT':
      case 'MULTIPLY':
      case 'DIVIDE': {
        const { before, parts } = split(rest, ['TO', 'FROM', 'BY', 'INTO', 'GIVING', 'REMAINDER']);
        markRun(before, 'read');
        const giving = parts.get('GIVING');
        const target = s.verb === 'ADD' ? 'TO' : s.verb === 'SUBTRACT' ? 'FROM' : s.verb === 'MULTIPLY' ? 'BY' : 'INTO';
        for (const [k, v] of parts) {
          if (k === 'GIVING' || k === 'REMAINDER') markRun(v, 'written');
          else markRun(v, k === target && !giving ? 'both' : 'read');
        }
        return;
      }
      case 'SET': {
        const { before, parts } = split(rest, ['TO', 'UP', 'DOWN']);
        markRun(before, parts.has('TO') ? 'written' : 'both');
        for (const v of parts.values()) markRun(v, 'read');
        return;
      }
      case 'INITIALIZE': {
        const { before } = split(rest, ['REPLACING', 'WITH', 'TO']);
        markRun(before, 'written');
        return;
      }
      case 'ACCEPT': {
        const { before } = split(rest, ['FROM']);
        markRun(before, 'written');
        return;
      }
      case 'STRING': {
        const { before, parts } = split(rest, ['INTO', 'POINTER']);
        markRun(before, 'read');
        markRun(parts.get('INTO') ?? [], 'written');
        markRun(parts.get('POINTER') ?? [], 'both');
        return;
      }
      case 'UNSTRING': {
        const { before, parts } = split(rest, ['INTO', 'TALLYING', 'POINTER']);
        markRun(before, 'read');
        markRun(parts.get('INTO') ?? [], 'written');
        markRun(parts.get('TALLYING') ?? [], 'written');
        markRun(parts.get('POINTER') ?? [], 'both');
        return;
      }
      case 'INSPECT': {
        const { before, parts } = split(rest, ['TALLYING', 'REPLACING', 'CONVERTING']);
        markRun(before, parts.has('REPLACING') || parts.has('CONVERTING') ? 'both' : 'read');
        const tally = parts.get('TALLYING');
        if (tally && tally[0]) markRun([tally[0]], 'written');
        return;
      }
      case 'READ':
      case 'RETURN': {
        const { parts } = split(rest, ['INTO', 'KEY']);
        markRun(parts.get('INTO') ?? [], 'written');
        return;
      }
      case 'CALL': {
        const { parts } = split(rest, ['USING', 'RETURNING', 'GIVING']);
        markRun(parts.get('USING') ?? [], 'both');
        markRun(parts.get('RETURNING') ?? parts.get('GIVING') ?? [], 'written');
        return;
      }
      case 'PERFORM': {
        const v = rest.findIndex((t) => t.upper === 'VARYING');
        if (v >= 0 && rest[v + 1]) markRun([rest[v + 1]!], 'both');
        markRun(rest, 'read');
        return;
      }
      case 'EXEC': {
        execAccess(s.first, mark);
        return;
      }
      default:
        if (s.condition) markRun(s.condition, 'read');
        else markRun(rest, 'read');
        if (s.subjects) for (const x of s.subjects) markRun(x, 'read');
        if (s.whens) for (const w of s.whens) for (const alt of w.alternatives) for (const part of alt) markRun(part, 'read');
    }
  };
  for (const p of prog.paragraphs) forEachStatement(p.statements, visit);
  return acc;
}

function execAccess(tok: Token, mark: (name: string, kind: 'read' | 'written') => void): void {
  const body = tok.text;
  if (tok.upper === 'SQL') {
    // Host variables after INTO (SELECT ... INTO, FETCH ... INTO) are written; all others read.
    const into = /\bINTO\s+((?::[A-Za-z0-9-]+(?:\s*:[A-Za-z0-9-]+)?\s*,?\s*)+)/i.exec(body);
    const written = new Set<string>();
    if (into && !/^\s*INSERT\b/i.test(body)) for (const m of into[1]!.matchAll(/:([A-Za-z0-9-]+)/g)) written.add(m[1]!.toUpperCase());
    for (const m of body.matchAll(/:([A-Za-z0-9-]+)/g)) {
      const name = m[1]!.toUpperCase();
      mark(name, written.has(name) ? 'written' : 'read');
    }
    return;
  }
  if (tok.upper === 'CICS') {
    for (const m of body.matchAll(/\b([A-Za-z][A-Za-z0-9-]*)\s*\(\s*([A-Za-z][A-Za-z0-9-]*)\s*\)/g)) {
      const opt = m[1]!.toUpperCase();
      const name = m[2]!.toUpperCase();
      if (['INTO', 'SET', 'RESP', 'RESP2'].includes(opt)) mark(name, 'written');
      else if (opt === 'COMMAREA' && /^\s*RETURN\b/i.test(body)) continue; // hands the area back: neither reads nor writes it
      else if (opt === 'COMMAREA' && /^\s*(LINK|XCTL)\b/i.test(body)) {
        mark(name, 'read');
        mark(name, 'written');
      } else mark(name, 'read');
    }
  }
}
