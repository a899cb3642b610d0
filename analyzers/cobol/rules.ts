/**
 * Business rule extraction: every IF, EVALUATE-WHEN and SEARCH-WHEN that decides or validates,
 * every COMPUTE and arithmetic verb that calculates, and every ON SIZE ERROR that guards a
 * calculation becomes a `Rule` with its kind, readable condition (88-levels resolved), effects,
 * fields and exact evidence (copybook-aware: lines in a copybook cite the copybook). Nested rules
 * keep the path of enclosing conditions. Rules whose data are all technical (SQLCODE, EIB
 * fields, file status, end-of-file flags) and loop-counter increments are left out: they steer
 * the program, not the business. Ids hash the file path, program, paragraph, condition path and
 * the rule's normalized text, so they survive line moves and re-runs.
 *
 * Kinds: `calculation` for arithmetic; `constraint` for a limit check (a comparison with `<`,
 * `>`, `<=`, `>=` whose branch rejects: sets an error/message/status field or performs an error
 * routine) and for ON SIZE ERROR; `validation` for other checks that reject, and for class tests
 * (NUMERIC, ALPHABETIC) and emptiness tests (SPACES, ZERO, LOW-VALUES); `decision` otherwise.
 */
import { createHash } from 'node:crypto';
import type { Evidence, Rule, RuleKind } from '../model.js';
import { statementTokens, type DataItem, type Paragraph, type ProgramNode, type Statement } from './ast.js';
import type { SourceEntry } from './copybooks.js';
import { fieldsIn, operands, renderCondition, renderTokens, renderWhen, statementEffects } from './conditions.js';
import type { Token } from './lexer.js';

export interface RuleContext {
  prog: ProgramNode;
  files: readonly SourceEntry[];
  /** Path of the analyzed program file (for ids). */
  path: string;
}

const ARITHMETIC = new Set(['COMPUTE', 'ADD', 'SUBTRACT', 'MULTIPLY', 'DIVIDE']);
const ERROR_NAME = /(^|-)(ERR|ERROR|ERRORS|MSG|MESSAGE|MESS|STATUS|STAT|RC|RETURN-CODE|REASON|REJECT|REJECTED|INVALID|RESULT|RESP-CODE|RESPONSE-CODE)(-|$)/;
const ERROR_PARAGRAPH = /(ERR|ERROR|REJECT|INVALID|ABEND|FAIL)/;
const COUNTER_NAME = /(^|-)(I|J|K|N|IX|IDX|INDEX|SUB|SUBSCRIPT|CNT|CTR|COUNT|COUNTER|POS|PTR)$/;
const TECHNICAL_NAME = /^(SQLCODE|SQLSTATE|SQLERRD|SQLERRM|SQLWARN\d?|EIB[A-Z0-9]*|DFHRESP|RESP|RESP2)$|(^|-)(EOF|END-OF-FILE|FILE-STATUS|FS|FSTAT|FILE-STAT|RESP|RESP2|RESP-CD|RESP-CODE|REAS-CD|REASON-CD)$/;

interface Frame {
  /** Path entry, e.g. `IF WS-APPROVED` or `WHEN WS-CREDIT < 660`. */
  label: string;
  /** Condition contributed to calculations below (null for loops and handlers). */
  condition: string | null;
}

/** Extracts the rules of one program. */
export function extractRules(ctx: RuleContext): Rule[] {
  const rules: Rule[] = [];
  const technical = technicalFields(ctx.prog);
  const counters = counterFields(ctx.prog);
  const seen = new Map<string, number>();
  for (const para of ctx.prog.paragraphs) walk(para.statements, para, []);
  return rules;

  function add(kind: RuleKind, condition: string | null, effects: string[], fields: string[], first: Token, last: Token, frames: Frame[], para: Paragraph, node: Statement | undefined, statement: string): void {
    const path = frames.map((f) => f.label);
    const normalized = [kind, condition ?? '', ...effects].join('\u0001');
    const base = createHash('sha256')
      .update([ctx.path, ctx.prog.name, para.name, path.join('\u0002'), normalized].join('\u0000'))
      .digest('hex')
      .slice(0, 12);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const id = `${ctx.prog.name || 'COBOL'}-${base}${n > 1 ? `-${n}` : ''}`;
    rules.push({
      id,
      kind,
      statement,
      condition,
      effects,
      fields,
      evidence: evidenceOf(first, last, node, ctx.files),
      origin: 'parser',
      operation: null,
      ...(path.length > 0 ? { path } : {}),
    });
  }

  function walk(stmts: readonly Statement[] | undefined, para: Paragraph, frames: Frame[]): void {
    if (!stmts) return;
    for (const s of stmts) visit(s, para, frames);
  }

  function visit(s: Statement, para: Paragraph, frames: Frame[]): void {
    const prog = ctx.prog;
    const where = `in ${para.name}`;
    if (s.verb === 'IF') {
      const cond = renderCondition(s.condition ?? [], prog);
      const thenEffects = effectsOf(s.then);
      const elseEffects = effectsOf(s.else);
      const fields = fieldsIn(s.condition ?? [], prog);
      addStatementFields(s.then, fields);
      addStatementFields(s.else, fields);
      const condFields = fieldsIn(s.condition ?? [], prog);
      if (!isTechnical(condFields, s.condition ?? [])) {
        const kind = classify(s.condition ?? [], cond, s.then, s.else);
        const effects = [...thenEffects, ...elseEffects.map((e) => `ELSE ${e}`)];
        const statement = `${kindLabel(kind)}If ${cond}${thenEffects.length ? `, then ${thenEffects.join('; ')}` : ''}${elseEffects.length ? `; otherwise ${elseEffects.join('; ')}` : ''} (${where}).`;
        add(kind, cond, effects, fields, s.first, s.last, frames, para, s, statement);
      }
      walk(s.then, para, [...frames, { label: `IF ${cond}`, condition: cond }]);
      if (s.else) walk(s.else, para, [...frames, { label: `ELSE (NOT ${wrap(cond)})`, condition: `NOT ${wrap(cond)}` }]);
      return;
    }
    if (s.verb === 'EVALUATE' || s.verb === 'SEARCH') {
      const previous: string[] = [];
      const subjectText = s.verb === 'EVALUATE' ? (s.subjects ?? []).map((x) => renderCondition(x, prog)).join(' ALSO ') : renderTokens(s.tokens.slice(1));
      const subjectFields = s.verb === 'EVALUATE' ? fieldsIn((s.subjects ?? []).flat(), prog) : [];
      const label = `${s.verb} ${subjectText}`;
      if (s.verb === 'SEARCH') for (const h of s.handlers ?? []) walk(h.body, para, [...frames, { label: `${label} ${h.phrase}`, condition: null }]);
      for (const w of s.whens ?? []) {
        let cond: string | null;
        if (w.other) cond = previous.length > 0 ? `NOT (${previous.join(' OR ')})` : 'OTHER';
        else {
          const alts = w.alternatives
            .map((objs) => (s.verb === 'EVALUATE' ? renderWhen(s.subjects ?? [], objs, prog) : renderCondition(objs.flat(), prog)))
            .filter((x): x is string => x !== null);
          cond = alts.length === 0 ? 'ANY' : alts.length === 1 ? alts[0]! : alts.map(wrap).join(' OR ');
          previous.push(wrap(cond));
        }
        if (cond.length > 400) cond = `${cond.slice(0, 399)}…`;
        const whenTokens = w.alternatives.flat(2);
        const fields = [...subjectFields];
        fieldsIn(whenTokens, prog, fields);
        addStatementFields(w.body, fields);
        const condFields = [...subjectFields];
        fieldsIn(whenTokens, prog, condFields);
        const effects = effectsOf(w.body);
        if (!isTechnical(condFields, [...(s.subjects ?? []).flat(), ...whenTokens]) && (effects.length > 0 || (w.body ?? []).length > 0)) {
          const kind = classify(whenTokens, cond, w.body, undefined);
          const statement = `${kindLabel(kind)}When ${cond}${effects.length ? `: ${effects.join('; ')}` : ''} (${s.verb} ${where}).`;
          add(kind, cond, effects, fields, w.first, w.last, frames, para, undefined, statement);
        }
        walk(w.body, para, [...frames, { label: `WHEN ${cond}`, condition: cond }]);
      }
      return;
    }
    if (ARITHMETIC.has(s.verb)) {
      const effects = statementEffects(s, prog);
      const fields = fieldsIn(s.tokens, prog);
      const trivial = (s.verb === 'ADD' || s.verb === 'SUBTRACT') && isCounterStep(s, counters);
      if (!trivial && !isTechnical(fields)) {
        const conds = frames.map((f) => f.condition).filter((c): c is string => c !== null);
        const condition = conds.length > 0 ? conds.map((c) => (conds.length > 1 ? wrap(c) : c)).join(' AND ') : null;
        const statement = `Calculation: ${effects.join('; ')}${condition ? ` when ${condition}` : ''} (${where}).`;
        add('calculation', condition, effects, fields, s.first, s.last, frames, para, s, statement);
      }
      for (const h of s.handlers ?? []) {
        const hEffects = effectsOf(h.body);
        const hFields = [...fields];
        addStatementFields(h.body, hFields);
        const cond = `${h.phrase.startsWith('NOT') ? 'no ' : ''}size error (result does not fit) in ${effects.join('; ')}`;
        if (!h.phrase.startsWith('NOT')) {
          add('constraint', cond, hEffects, hFields, h.first, lastToken(h.body) ?? h.first, frames, para, undefined, `Constraint: on ${cond}: ${hEffects.join('; ')} (${where}).`);
        }
        walk(h.body, para, [...frames, { label: `${h.phrase} (${s.verb})`, condition: null }]);
      }
      return;
    }
    if (s.verb === 'PERFORM' && s.body) {
      walk(s.body, para, [...frames, { label: renderTokens(s.tokens), condition: null }]);
      return;
    }
    for (const h of s.handlers ?? []) walk(h.body, para, [...frames, { label: `${h.phrase} (${renderTokens(s.tokens.slice(0, 2))})`, condition: null }]);
  }

  function effectsOf(stmts: readonly Statement[] | undefined): string[] {
    const out: string[] = [];
    for (const s of stmts ?? []) {
      if (s.verb === 'IF') out.push(`IF ${renderCondition(s.condition ?? [], ctx.prog)} …`);
      else if (s.verb === 'EVALUATE') out.push(`EVALUATE ${(s.subjects ?? []).map((x) => renderCondition(x, ctx.prog)).join(' ALSO ')} …`);
      else out.push(...statementEffects(s, ctx.prog));
    }
    return out;
  }

  function addStatementFields(stmts: readonly Statement[] | undefined, into: string[]): void {
    for (const s of stmts ?? []) {
      if (s.verb === 'IF' || s.verb === 'EVALUATE' || s.verb === 'SEARCH') continue;
      fieldsIn(s.tokens, ctx.prog, into);
    }
  }

  function isTechnical(fields: readonly string[], tokens: readonly Token[] = []): boolean {
    // Undeclared special registers (EIBCALEN without DFHEIBLK in the tree) count too.
    const all = [...fields];
    for (const t of tokens) if (t.kind === 'word' && TECHNICAL_NAME.test(t.upper) && !all.includes(t.upper)) all.push(t.upper);
    return all.length > 0 && all.every((f) => technical.has(f) || TECHNICAL_NAME.test(f));
  }

  function classify(condTokens: readonly Token[], cond: string, thenPart: readonly Statement[] | undefined, elsePart: readonly Statement[] | undefined): RuleKind {
    const rejects = rejectsIn(thenPart) || rejectsIn(elsePart);
    const classTest = condTokens.some((t) => t.kind === 'word' && ['NUMERIC', 'ALPHABETIC', 'ALPHABETIC-LOWER', 'ALPHABETIC-UPPER', 'SPACE', 'SPACES', 'LOW-VALUE', 'LOW-VALUES'].includes(t.upper));
    if (rejects && /(^|\s)(<|>|<=|>=)\s/.test(cond)) return 'constraint';
    if (rejects || classTest) return 'validation';
    return 'decision';
  }

  function rejectsIn(stmts: readonly Statement[] | undefined): boolean {
    for (const s of stmts ?? []) {
      if (s.verb === 'MOVE' || s.verb === 'SET' || s.verb === 'STRING' || s.verb === 'INITIALIZE') {
        const to = s.tokens.findIndex((t) => t.upper === 'TO' || t.upper === 'INTO');
        const targets = s.verb === 'SET' ? s.tokens.slice(1, to >= 0 ? to : undefined) : to >= 0 ? s.tokens.slice(to + 1) : s.tokens.slice(1);
        for (const t of targets) {
          if (t.kind !== 'word') continue;
          if (ERROR_NAME.test(t.upper)) return true;
          const c = ctx.prog.conditionNames.get(t.upper)?.[0];
          if (c && (ERROR_NAME.test(c.name) || (c.parent && ERROR_NAME.test(c.parent.name)) || /(REJECT|INVALID|DECLIN|DENIED|ERROR)/.test(c.name))) return true;
        }
      }
      if ((s.verb === 'PERFORM' || s.verb === 'GO') && s.tokens.slice(1).some((t) => t.kind === 'word' && ERROR_PARAGRAPH.test(t.upper))) return true;
    }
    return false;
  }
}

function kindLabel(kind: RuleKind): string {
  return kind === 'decision' ? '' : `${kind[0]!.toUpperCase()}${kind.slice(1)}: `;
}

function wrap(c: string): string {
  return / (AND|OR) /.test(c) && !(c.startsWith('(') && c.endsWith(')')) ? `(${c})` : c;
}

function lastToken(stmts: readonly Statement[]): Token | undefined {
  return stmts.length > 0 ? stmts[stmts.length - 1]!.last : undefined;
}

/** Fields that only steer the program: SQL/CICS status, FILE STATUS items and their 88s. */
function technicalFields(prog: ProgramNode): Set<string> {
  const out = new Set<string>();
  for (const fc of prog.fileControls) if (fc.status) out.add(fc.status);
  for (const [name, list] of prog.conditionNames) {
    const c = list[0]!;
    if (c.parent && (out.has(c.parent.name) || TECHNICAL_NAME.test(c.parent.name))) out.add(name);
    if (/(EOF|END-OF-FILE|NO-MORE|END-OF-DATA)/.test(name)) out.add(name);
  }
  for (const [name] of prog.conditionNames) if (out.has(name)) {
    const p = prog.conditionNames.get(name)![0]!.parent;
    if (p) out.add(p.name);
  }
  return out;
}

/** PERFORM VARYING variables and OCCURS indexes. */
function counterFields(prog: ProgramNode): Set<string> {
  const out = new Set<string>();
  const visit = (item: DataItem): void => {
    for (const i of item.occurs?.indexedBy ?? []) out.add(i);
    for (const c of item.children) visit(c);
  };
  for (const r of prog.records) visit(r);
  for (const p of prog.paragraphs) {
    const stack = [...p.statements];
    while (stack.length > 0) {
      const s = stack.pop()!;
      const v = s.tokens.findIndex((t) => t.upper === 'VARYING');
      if (s.verb === 'PERFORM' && v >= 0 && s.tokens[v + 1]) out.add(s.tokens[v + 1]!.upper);
      stack.push(...(s.then ?? []), ...(s.else ?? []), ...(s.body ?? []), ...(s.whens ?? []).flatMap((w) => w.body), ...(s.handlers ?? []).flatMap((h) => h.body));
    }
  }
  return out;
}

function isCounterStep(s: Statement, counters: Set<string>): boolean {
  const ops = operands(s.tokens.slice(1));
  if (ops.length < 3) return false;
  const amount = ops[0]!;
  if (amount.length !== 1 || amount[0]!.text !== '1') return false;
  const target = ops[2]![0]!.upper;
  return counters.has(target) || COUNTER_NAME.test(target);
}

/** Evidence of a token span; spans crossing files (a COPY inside the span) cite each file. */
export function evidenceOf(first: Token, last: Token, node: Statement | undefined, files: readonly SourceEntry[]): Evidence[] {
  if (first.file === last.file && !node) return [{ path: files[first.file]!.path, startLine: first.line, endLine: Math.max(first.line, last.endLine) }];
  const toks = node ? statementTokens(node) : [first, last];
  const byFile = new Map<number, { start: number; end: number }>();
  for (const t of toks) {
    const e = byFile.get(t.file);
    if (!e) byFile.set(t.file, { start: t.line, end: t.endLine });
    else {
      if (t.line < e.start) e.start = t.line;
      if (t.endLine > e.end) e.end = t.endLine;
    }
  }
  if (byFile.size === 1 && first.file === last.file) {
    return [{ path: files[first.file]!.path, startLine: first.line, endLine: Math.max(first.line, last.endLine) }];
  }
  const order = [first.file, ...[...byFile.keys()].filter((f) => f !== first.file)];
  return order.filter((f) => byFile.has(f)).map((f) => ({ path: files[f]!.path, startLine: byFile.get(f)!.start, endLine: byFile.get(f)!.end }));
}
