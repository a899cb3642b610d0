/**
 * Program structure: the paragraph/section graph (PERFORM, PERFORM ... THRU, GO TO [DEPENDING
 * ON], fall-through), the entry, paragraphs unreachable from it (dead code), CALL targets
 * (static literals, or identifiers resolved through their VALUE), and data dependencies: SQL
 * tables with SELECT/INSERT/UPDATE/DELETE, files with their OPEN modes and I/O verbs, CICS
 * commands with their resources (FILE, PROGRAM, MAP, QUEUE, TRANSID, ...).
 *
 * Reachability follows COBOL control flow: a paragraph entered by GO TO or by falling through
 * continues into the next one unless it ends in GO TO / STOP RUN / GOBACK / EXIT PROGRAM /
 * EXEC CICS RETURN or XCTL; a PERFORMed range runs from its first to its last paragraph and
 * returns. Declarative sections are reachable (the runtime invokes them).
 */
import type { Dependency, Program } from '../model.js';
import { forEachStatement, type ProgramNode, type Statement } from './ast.js';
import type { SourceEntry } from './copybooks.js';
import { literalValue, type Token } from './lexer.js';
import { evidenceOf } from './rules.js';

const MAX_EVIDENCE = 20;

/** Structure of one program, in the shared model's shape (rules are added by the caller). */
export function programStructure(prog: ProgramNode, path: string, files: readonly SourceEntry[]): Program {
  const paras = prog.paragraphs;
  const index = new Map<string, number>();
  paras.forEach((p, i) => {
    if (!index.has(p.name)) index.set(p.name, i);
  });
  const sectionRange = new Map<string, [number, number]>();
  for (const s of prog.sections) {
    if (s.paragraphs.length === 0) continue;
    sectionRange.set(s.name, [paras.indexOf(s.paragraphs[0]!), paras.indexOf(s.paragraphs[s.paragraphs.length - 1]!)]);
  }
  const rangeOf = (name: string): [number, number] | undefined => {
    const i = index.get(name);
    const sec = sectionRange.get(name);
    if (sec && (i === undefined || paras[i]!.implicit)) return sec;
    return i === undefined ? undefined : [i, i];
  };

  const callGraph: Record<string, string[]> = {};
  const performs: { from: number; range: [number, number] }[] = [];
  const gotos: { from: number; to: number }[] = [];
  paras.forEach((p, i) => {
    const targets: string[] = [];
    const addTarget = (t: string): void => {
      if (!targets.includes(t)) targets.push(t);
    };
    forEachStatement(p.statements, (s) => {
      if (s.verb === 'PERFORM' && !s.body) {
        const t = performTarget(s);
        if (!t) return;
        const a = rangeOf(t.from);
        const b = t.thru ? rangeOf(t.thru) : a;
        addTarget(t.from);
        if (t.thru) addTarget(t.thru);
        if (a && b) performs.push({ from: i, range: [a[0], Math.max(a[0], b[1])] });
      } else if (s.verb === 'GO') {
        for (const t of goTargets(s)) {
          addTarget(t);
          const r = rangeOf(t);
          if (r) gotos.push({ from: i, to: r[0] });
        }
      } else if (s.verb === 'ALTER') {
        // ALTER a TO [PROCEED TO] b: b becomes a GO TO target of a.
        const words = s.tokens.filter((t) => t.kind === 'word' && !['ALTER', 'TO', 'PROCEED'].includes(t.upper));
        for (const w of words.slice(1)) {
          const r = rangeOf(w.upper);
          if (r) gotos.push({ from: i, to: r[0] });
        }
      }
    });
    callGraph[p.name] = targets;
  });

  // Reachability over (paragraph, mode) states.
  const reached = new Set<number>();
  const seenFlow = new Set<number>();
  const seenRange = new Set<string>();
  const work: { i: number; end: number | null }[] = [];
  if (paras.length > 0) work.push({ i: 0, end: null });
  paras.forEach((p, i) => {
    const sec = prog.sections.find((s) => s.name === p.section);
    if (sec?.declarative) work.push({ i, end: null });
  });
  while (work.length > 0) {
    const { i, end } = work.pop()!;
    if (end === null) {
      if (seenFlow.has(i)) continue;
      seenFlow.add(i);
    } else {
      const key = `${i}:${end}`;
      if (seenRange.has(key)) continue;
      seenRange.add(key);
    }
    const firstVisit = !reached.has(i);
    reached.add(i);
    void firstVisit;
    for (const pf of performs) if (pf.from === i) work.push({ i: pf.range[0], end: pf.range[1] });
    // A GO TO inside a PERFORMed range that lands before the range's end still returns there.
    for (const g of gotos) if (g.from === i) work.push({ i: g.to, end: end !== null && g.to <= end ? end : null });
    const terminal = endsTerminal(paras[i]!.statements);
    if (end === null) {
      if (!terminal && i + 1 < paras.length) work.push({ i: i + 1, end: null });
    } else if (i < end) work.push({ i: i + 1, end });
  }
  const deadCode = paras
    .map((p, i) => ({ p, i }))
    .filter(({ p, i }) => !reached.has(i) && !p.implicit)
    .map(({ p }) => ({ name: p.name, startLine: p.first.line, endLine: Math.max(p.first.line, p.last.endLine) }));

  const deps = dependencies(prog, files);
  const calls: string[] = [];
  for (const d of deps) {
    if (d.kind === 'call' || (d.kind === 'cics' && d.operations.some((o) => o === 'LINK' || o === 'XCTL'))) {
      if (!calls.includes(d.target)) calls.push(d.target);
    }
  }
  return {
    path,
    name: prog.name,
    language: 'cobol',
    entry: paras[0]?.name ?? null,
    calls,
    deadCode,
    dependencies: deps,
    callGraph,
  };
}

/** `PERFORM a [THRU b]` target names, or undefined for an inline PERFORM. */
export function performTarget(s: Statement): { from: string; thru?: string } | undefined {
  const t = s.tokens[1];
  if (!t || (t.kind !== 'word' && t.kind !== 'number')) return undefined;
  if (['UNTIL', 'VARYING', 'WITH', 'TEST', 'FOREVER'].includes(t.upper) || s.tokens[2]?.upper === 'TIMES') return undefined;
  let k = 2;
  if ((s.tokens[k]?.upper === 'OF' || s.tokens[k]?.upper === 'IN') && s.tokens[k + 1]) k += 2;
  const thruWord = s.tokens[k]?.upper;
  if ((thruWord === 'THRU' || thruWord === 'THROUGH') && s.tokens[k + 1]) return { from: t.upper, thru: s.tokens[k + 1]!.upper };
  return { from: t.upper };
}

function goTargets(s: Statement): string[] {
  const out: string[] = [];
  for (const t of s.tokens.slice(1)) {
    if (t.upper === 'TO') continue;
    if (t.upper === 'DEPENDING') break;
    if (t.kind === 'word' || t.kind === 'number') out.push(t.upper);
  }
  return out;
}

function endsTerminal(stmts: readonly Statement[]): boolean {
  const last = stmts[stmts.length - 1];
  if (!last) return false;
  if (last.verb === 'GO' && !last.tokens.some((t) => t.upper === 'DEPENDING')) return true;
  if (last.verb === 'GOBACK') return true;
  if (last.verb === 'STOP' && last.tokens[1]?.upper === 'RUN') return true;
  if (last.verb === 'EXIT' && last.tokens[1]?.upper === 'PROGRAM') return true;
  if (last.verb === 'EXEC' && last.first.upper === 'CICS' && /^(RETURN|XCTL)\b/i.test(last.first.text)) return true;
  if (last.verb === 'IF' && last.else) return endsTerminal(last.then ?? []) && endsTerminal(last.else);
  return false;
}

/** Resolves an identifier to its VALUE literal (dynamic CALL / CICS PROGRAM(ws-name)). */
function resolveName(prog: ProgramNode, tok: Token | undefined, raw?: string): string | undefined {
  if (raw !== undefined) {
    const r = raw.trim();
    if (/^['"]/.test(r)) return r.slice(1, -1).trim().toUpperCase();
    const item = prog.items.get(r.toUpperCase())?.[0];
    const v = item?.values[0]?.value;
    if (v && v.kind === 'string') return literalValue(v).trim().toUpperCase();
    return r.toUpperCase();
  }
  if (!tok) return undefined;
  if (tok.kind === 'string') return literalValue(tok).trim().toUpperCase();
  const item = prog.items.get(tok.upper)?.[0];
  const v = item?.values[0]?.value;
  if (v && v.kind === 'string') return literalValue(v).trim().toUpperCase();
  return tok.upper;
}

/** Data and program dependencies of one program. */
export function dependencies(prog: ProgramNode, files: readonly SourceEntry[]): Dependency[] {
  const deps = new Map<string, Dependency>();
  const add = (kind: Dependency['kind'], target: string, operation: string, s: Statement): void => {
    const key = `${kind}\u0000${target}`;
    let d = deps.get(key);
    if (!d) {
      d = { kind, target, operations: [], evidence: [] };
      deps.set(key, d);
    }
    if (!d.operations.includes(operation)) d.operations.push(operation);
    if (d.evidence!.length < MAX_EVIDENCE) d.evidence!.push(...evidenceOf(s.first, s.last, undefined, files));
  };
  const recordToFile = new Map<string, string>();
  for (const fd of prog.files) for (const r of fd.records) recordToFile.set(r.name, fd.name);
  const cursors = new Map<string, string[]>();
  for (const para of prog.paragraphs) {
    forEachStatement(para.statements, (s) => {
      switch (s.verb) {
        case 'CALL': {
          const target = resolveName(prog, s.tokens[1]);
          if (target) add('call', target, 'CALL', s);
          break;
        }
        case 'OPEN': {
          let mode = '';
          for (const t of s.tokens.slice(1)) {
            if (['INPUT', 'OUTPUT', 'I-O', 'EXTEND'].includes(t.upper)) mode = t.upper;
            else if (t.kind === 'word' && mode && !['WITH', 'NO', 'REWIND', 'LOCK', 'SHARING', 'REVERSED'].includes(t.upper)) add('file', t.upper, `OPEN ${mode}`, s);
          }
          break;
        }
        case 'READ':
        case 'DELETE':
        case 'START':
          if (s.tokens[1]?.kind === 'word') add('file', s.tokens[1].upper, s.verb, s);
          break;
        case 'WRITE':
        case 'REWRITE': {
          const rec = s.tokens[1]?.upper;
          if (rec) add('file', recordToFile.get(rec) ?? rec, s.verb, s);
          break;
        }
        case 'EXEC':
          if (s.first.upper === 'SQL') sqlDependencies(s.first.text, cursors).forEach(([table, op]) => add('sql', table, op, s));
          else if (s.first.upper === 'CICS') {
            const c = cicsCommand(s.first.text);
            if (!c) break;
            const target = c.target ? (c.target.includes('(MAPSET') ? c.target : resolveName(prog, undefined, c.target) ?? c.target) : '(none)';
            add('cics', target, c.command, s);
          }
          break;
        default:
      }
    });
  }
  return [...deps.values()];
}

const SQL_STOP = /\b(WHERE|GROUP|ORDER|HAVING|UNION|FETCH|FOR|WITH|INTO|SET|VALUES|ON|LEFT|RIGHT|INNER|OUTER|FULL|CROSS|JOIN|EXCEPT|INTERSECT|OPTIMIZE|QUERYNO|SKIP|ISOLATION)\b/i;

/** (table, operation) pairs of one EXEC SQL body. Cursors declared FOR SELECT count as SELECT. */
export function sqlDependencies(body: string, cursors: Map<string, string[]> = new Map()): [string, string][] {
  const text = body.replace(/'(?:[^']|'')*'/g, "''");
  const verb = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? '';
  const out: [string, string][] = [];
  const tableName = (s: string): string => s.replace(/["`]/g, '').toUpperCase();
  const fromTables = (sql: string): string[] => {
    const tables: string[] = [];
    for (const m of sql.matchAll(/\bFROM\s+([\s\S]*?)(?=\bWHERE\b|\bGROUP\b|\bORDER\b|\bHAVING\b|\bUNION\b|\bFETCH\b|\bFOR\b|\bWITH\b|\bEXCEPT\b|\bINTERSECT\b|\)|$)/gi)) {
      for (const part of m[1]!.split(',')) {
        const segs = part.split(/\b(?:LEFT|RIGHT|INNER|OUTER|FULL|CROSS)?\s*(?:OUTER\s+)?JOIN\b/i);
        for (const seg of segs) {
          const name = /^\s*([A-Za-z0-9_$#@".]+)/.exec(seg.split(SQL_STOP)[0] ?? '')?.[1];
          if (name && name !== '(' && !/^SELECT$/i.test(name)) tables.push(tableName(name));
        }
      }
    }
    return tables;
  };
  if (verb === 'SELECT' || verb === 'WITH') for (const t of fromTables(text)) out.push([t, 'SELECT']);
  else if (verb === 'DECLARE') {
    const m = /^\s*DECLARE\s+([A-Za-z0-9_-]+)\s+(?:[A-Z\s]*?)CURSOR\b[\s\S]*?\bFOR\b([\s\S]*)$/i.exec(text);
    if (m) {
      const tables = fromTables(m[2]!);
      cursors.set(m[1]!.toUpperCase(), tables);
      for (const t of tables) out.push([t, 'SELECT']);
      if (/\bFOR\s+UPDATE\b/i.test(m[2]!)) for (const t of tables) out.push([t, 'UPDATE']);
    }
  } else if (verb === 'INSERT') {
    const m = /^\s*INSERT\s+INTO\s+([A-Za-z0-9_$#@".]+)/i.exec(text);
    if (m) out.push([tableName(m[1]!), 'INSERT']);
    for (const t of fromTables(text)) out.push([t, 'SELECT']);
  } else if (verb === 'UPDATE') {
    const m = /^\s*UPDATE\s+([A-Za-z0-9_$#@".]+)/i.exec(text);
    if (m) out.push([tableName(m[1]!), 'UPDATE']);
  } else if (verb === 'DELETE') {
    const m = /^\s*DELETE\s+FROM\s+([A-Za-z0-9_$#@".]+)/i.exec(text);
    if (m) out.push([tableName(m[1]!), 'DELETE']);
  } else if (verb === 'MERGE') {
    const m = /^\s*MERGE\s+INTO\s+([A-Za-z0-9_$#@".]+)/i.exec(text);
    if (m) {
      out.push([tableName(m[1]!), 'INSERT']);
      out.push([tableName(m[1]!), 'UPDATE']);
    }
  }
  return out;
}

const TWO_WORD = new Set(['SEND', 'RECEIVE', 'WRITEQ', 'READQ', 'DELETEQ', 'HANDLE', 'GET', 'PUT', 'INVOKE', 'WEB', 'IGNORE', 'PUSH', 'POP', 'SYNCPOINT']);
const TARGET_OPTIONS = ['FILE', 'DATASET', 'PROGRAM', 'MAP', 'QUEUE', 'QNAME', 'TRANSID', 'CONTAINER', 'CHANNEL', 'SERVICE', 'WEBSERVICE', 'URIMAP', 'TSQUEUE', 'TDQUEUE'];

/** A CICS command's name and primary resource: `READ` + `CUSTFILE`, `LINK` + `CREDITCK`. */
export function cicsCommand(body: string): { command: string; target?: string; options: Map<string, string> } | undefined {
  // The second word of SEND MAP('M') / WRITEQ TS QUEUE(...) names the command even when it takes a value.
  const words = /^\s*([A-Za-z]+)\b(?:\s+([A-Za-z]+)\b)?/.exec(body);
  if (!words) return undefined;
  let command = words[1]!.toUpperCase();
  const second = words[2]?.toUpperCase();
  if (second && TWO_WORD.has(command)) command = `${command} ${second}`;
  const options = new Map<string, string>();
  for (const m of body.matchAll(/\b([A-Za-z][A-Za-z0-9-]*)\s*\(((?:[^()]|\([^()]*\))*)\)/g)) options.set(m[1]!.toUpperCase(), m[2]!.trim());
  let target: string | undefined;
  for (const o of TARGET_OPTIONS) {
    const v = options.get(o);
    if (v !== undefined) {
      target = v;
      if (o === 'MAP' && options.get('MAPSET')) target = `${v.replace(/['"]/g, '')} (MAPSET ${options.get('MAPSET')!.replace(/['"]/g, '')})`;
      break;
    }
  }
  return target !== undefined ? { command, target, options } : { command, options };
}
