/**
 * The COBOL parser: expanded tokens → programs (`ast.ts`). A hand-written recursive-descent
 * reader of the four divisions: PROGRAM-ID; FILE-CONTROL; data description entries of the FILE,
 * WORKING-STORAGE, LOCAL-STORAGE and LINKAGE sections (levels 01-49, 66, 77, 88 and their
 * clauses); and the procedure division as sections, paragraphs and statements with their scopes
 * (IF/ELSE, EVALUATE/WHEN, inline PERFORM, SEARCH, and conditional phrases such as AT END, ON
 * SIZE ERROR, INVALID KEY). Sentences end at a period, which closes every open scope, as COBOL
 * requires. Anything it cannot read becomes a diagnostic with its line and is skipped to the next
 * period; the rest of the program is still parsed. Nested programs are returned as siblings.
 */
import type { ConditionalPhrase, DataItem, FileControl, FileDescription, Paragraph, ProgramNode, Section, Statement, StorageSection, Usage, WhenClause } from './ast.js';
import type { FileDiagnostic } from './copybooks.js';
import type { Token } from './lexer.js';

/** Words that begin a statement. */
export const VERBS: ReadonlySet<string> = new Set([
  'ACCEPT', 'ADD', 'ALLOCATE', 'ALTER', 'CALL', 'CANCEL', 'CLOSE', 'COMPUTE', 'CONTINUE', 'DELETE', 'DISPLAY', 'DIVIDE',
  'ENTRY', 'EVALUATE', 'EXIT', 'FREE', 'GENERATE', 'GO', 'GOBACK', 'IF', 'INITIALIZE', 'INITIATE', 'INSPECT', 'INVOKE',
  'JSON', 'MERGE', 'MOVE', 'MULTIPLY', 'OPEN', 'PERFORM', 'RAISE', 'READ', 'RELEASE', 'RESUME', 'RETURN', 'REWRITE',
  'SEARCH', 'SET', 'SORT', 'START', 'STOP', 'STRING', 'SUBTRACT', 'SUPPRESS', 'TERMINATE', 'UNSTRING', 'USE',
  'VALIDATE', 'WRITE', 'XML',
]);

const USAGE_WORDS: Record<string, Usage> = {
  DISPLAY: 'DISPLAY', COMP: 'COMP', COMPUTATIONAL: 'COMP', 'COMP-1': 'COMP-1', 'COMPUTATIONAL-1': 'COMP-1',
  'COMP-2': 'COMP-2', 'COMPUTATIONAL-2': 'COMP-2', 'COMP-3': 'COMP-3', 'COMPUTATIONAL-3': 'COMP-3',
  'COMP-4': 'COMP-4', 'COMPUTATIONAL-4': 'COMP-4', 'COMP-5': 'COMP-5', 'COMPUTATIONAL-5': 'COMP-5',
  'COMP-X': 'COMP-X', 'COMPUTATIONAL-X': 'COMP-X', BINARY: 'BINARY', 'PACKED-DECIMAL': 'PACKED-DECIMAL',
  INDEX: 'INDEX', POINTER: 'POINTER', NATIONAL: 'NATIONAL', 'FUNCTION-POINTER': 'FUNCTION-POINTER',
  'PROCEDURE-POINTER': 'PROCEDURE-POINTER', 'BINARY-CHAR': 'BINARY', 'BINARY-SHORT': 'BINARY', 'BINARY-LONG': 'BINARY',
  'BINARY-DOUBLE': 'BINARY', 'FLOAT-SHORT': 'COMP-1', 'FLOAT-LONG': 'COMP-2',
};

const CLAUSE_WORDS = new Set([
  'PIC', 'PICTURE', 'USAGE', 'VALUE', 'VALUES', 'OCCURS', 'REDEFINES', 'SIGN', 'LEADING', 'TRAILING', 'SEPARATE',
  'JUST', 'JUSTIFIED', 'BLANK', 'SYNC', 'SYNCHRONIZED', 'GLOBAL', 'EXTERNAL', 'RENAMES', 'IS', 'BASED', 'TYPEDEF',
  ...Object.keys(USAGE_WORDS),
]);

const FIGURATIVE = new Set(['ZERO', 'ZEROS', 'ZEROES', 'SPACE', 'SPACES', 'HIGH-VALUE', 'HIGH-VALUES', 'LOW-VALUE', 'LOW-VALUES', 'QUOTE', 'QUOTES', 'NULL', 'NULLS', 'ALL']);

/** Verbs that may carry AT END / ON SIZE ERROR / INVALID KEY / ON EXCEPTION / ON OVERFLOW phrases. */
const HANDLER_VERBS = new Set(['READ', 'RETURN', 'WRITE', 'REWRITE', 'DELETE', 'START', 'ADD', 'SUBTRACT', 'MULTIPLY', 'DIVIDE', 'COMPUTE', 'STRING', 'UNSTRING', 'CALL', 'ACCEPT', 'DISPLAY', 'SEARCH', 'INVOKE', 'JSON', 'XML']);

const SECTION_NAMES: Record<string, StorageSection> = {
  FILE: 'file', 'WORKING-STORAGE': 'working-storage', 'LOCAL-STORAGE': 'local-storage', LINKAGE: 'linkage', SCREEN: 'screen', REPORT: 'report', COMMUNICATION: 'report',
};

/** Parses every program in the token stream. Never throws. */
export function parsePrograms(tokens: Token[], diagnostics: FileDiagnostic[]): ProgramNode[] {
  const p = new Parser(tokens, diagnostics);
  return p.programs();
}

/** Splits tokens at top-level (parenthesis depth 0) occurrences of a word. */
export function splitAtWord(tokens: readonly Token[], word: string): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === '(') depth++;
    else if (t.kind === 'punct' && t.text === ')') depth--;
    if (depth === 0 && t.kind === 'word' && t.upper === word) {
      parts.push([]);
      continue;
    }
    parts[parts.length - 1]!.push(t);
  }
  return parts;
}

class Parser {
  private pos = 0;
  private readonly n: number;
  constructor(
    private readonly toks: Token[],
    private readonly diags: FileDiagnostic[],
  ) {
    this.n = toks.length;
  }

  private peek(k = 0): Token | undefined {
    return this.toks[this.pos + k];
  }
  private is(word: string, k = 0): boolean {
    const t = this.toks[this.pos + k];
    return t !== undefined && t.kind === 'word' && t.upper === word;
  }
  private diag(t: Token | undefined, severity: FileDiagnostic['severity'], message: string): void {
    const at = t ?? this.toks[this.n - 1];
    this.diags.push({ file: at?.file ?? 0, line: at?.line ?? 1, severity, message });
  }
  private skipToPeriod(): void {
    while (this.pos < this.n && this.toks[this.pos]!.kind !== 'period') this.pos++;
    if (this.pos < this.n) this.pos++;
  }
  private isDivision(k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.kind === 'word' && (t.upper === 'IDENTIFICATION' || t.upper === 'ID' || t.upper === 'ENVIRONMENT' || t.upper === 'DATA' || t.upper === 'PROCEDURE') && this.is('DIVISION', k + 1);
  }
  private isEndProgram(): boolean {
    return this.is('END') && (this.is('PROGRAM', 1) || this.is('FUNCTION', 1) || this.is('CLASS', 1));
  }

  programs(): ProgramNode[] {
    const out: ProgramNode[] = [];
    while (this.pos < this.n) {
      if ((this.is('IDENTIFICATION') || this.is('ID')) && this.is('DIVISION', 1)) {
        out.push(this.program());
        continue;
      }
      if (this.isDivision() || this.is('PROGRAM-ID')) {
        // A program without IDENTIFICATION DIVISION (allowed by some compilers).
        out.push(this.program());
        continue;
      }
      if (out.length === 0) {
        const t = this.peek()!;
        this.diag(t, 'warning', `text before IDENTIFICATION DIVISION ignored (starts with '${t.text}')`);
        while (this.pos < this.n && !((this.is('IDENTIFICATION') || this.is('ID')) && this.is('DIVISION', 1)) && !this.is('PROGRAM-ID')) this.pos++;
        continue;
      }
      const t = this.peek()!;
      this.diag(t, 'warning', `unexpected '${t.text}' after the end of program ${out[out.length - 1]!.name}`);
      this.skipToPeriod();
    }
    return out;
  }

  private program(): ProgramNode {
    const first = this.peek()!;
    const prog: ProgramNode = {
      name: '', first, last: first, fileControls: [], files: [], records: [], items: new Map(), conditionNames: new Map(),
      using: [], sections: [], paragraphs: [], hasProcedure: false,
    };
    if (this.is('IDENTIFICATION') || this.is('ID')) {
      this.pos += 2;
      if (this.peek()?.kind === 'period') this.pos++;
    }
    // IDENTIFICATION DIVISION paragraphs
    while (this.pos < this.n && !this.isDivision() && !this.isEndProgram()) {
      if (this.is('PROGRAM-ID') || this.is('FUNCTION-ID')) {
        this.pos++;
        if (this.peek()?.kind === 'period') this.pos++;
        const nameTok = this.peek();
        if (nameTok && (nameTok.kind === 'word' || nameTok.kind === 'string')) {
          prog.name = nameTok.kind === 'string' ? nameTok.text.slice(1, -1).toUpperCase() : nameTok.upper;
          this.pos++;
        } else this.diag(nameTok, 'error', 'PROGRAM-ID without a program name');
        this.skipToPeriod();
        continue;
      }
      this.pos++; // AUTHOR, DATE-WRITTEN, ... comment entries
    }
    if (!prog.name) {
      this.diag(first, 'warning', 'no PROGRAM-ID; program named after the file');
    }
    while (this.pos < this.n) {
      if (this.isEndProgram()) {
        this.pos += 2;
        this.skipToPeriod();
        break;
      }
      if ((this.is('IDENTIFICATION') || this.is('ID')) && this.is('DIVISION', 1)) break;
      if (this.is('ENVIRONMENT') && this.is('DIVISION', 1)) {
        this.pos += 2;
        this.environment(prog);
        continue;
      }
      if (this.is('DATA') && this.is('DIVISION', 1)) {
        this.pos += 2;
        this.dataDivision(prog);
        continue;
      }
      if (this.is('PROCEDURE') && this.is('DIVISION', 1)) {
        this.procedureDivision(prog);
        continue;
      }
      const t = this.peek()!;
      this.diag(t, 'warning', `unexpected '${t.text}' outside any division; skipped to the next period`);
      this.skipToPeriod();
    }
    prog.last = this.toks[Math.max(0, this.pos - 1)]!;
    return prog;
  }

  // ---------------------------------------------------------------- ENVIRONMENT DIVISION
  private environment(prog: ProgramNode): void {
    while (this.pos < this.n && !this.isDivision() && !this.isEndProgram()) {
      if (this.is('SELECT')) {
        const first = this.peek()!;
        this.pos++;
        if (this.is('OPTIONAL')) this.pos++;
        const fc: FileControl = { name: this.peek()?.upper ?? '', first };
        this.pos++;
        while (this.pos < this.n && this.peek()!.kind !== 'period') {
          const w = this.peek()!.upper;
          if (w === 'ASSIGN') {
            this.pos++;
            while (this.is('TO') || this.is('USING') || this.is('EXTERNAL') || this.is('DYNAMIC')) this.pos++;
            const t = this.peek();
            if (t) fc.assign = t.kind === 'string' ? t.text.slice(1, -1) : t.text;
          } else if (w === 'ORGANIZATION') {
            this.pos++;
            if (this.is('IS')) this.pos++;
            if (this.is('LINE')) { this.pos++; fc.organization = 'LINE SEQUENTIAL'; }
            else fc.organization = this.peek()?.upper;
          } else if (w === 'ACCESS') {
            this.pos++;
            if (this.is('MODE')) this.pos++;
            if (this.is('IS')) this.pos++;
            fc.access = this.peek()?.upper;
          } else if (w === 'STATUS') {
            this.pos++;
            if (this.is('IS')) this.pos++;
            fc.status = this.peek()?.upper;
          }
          this.pos++;
        }
        this.pos++;
        prog.fileControls.push(fc);
        continue;
      }
      this.pos++;
    }
  }

  // ---------------------------------------------------------------- DATA DIVISION
  private dataDivision(prog: ProgramNode): void {
    if (this.peek()?.kind === 'period') this.pos++;
    let section: StorageSection = 'working-storage';
    let fd: FileDescription | undefined;
    const stack: DataItem[] = [];
    let lastItem: DataItem | undefined;
    while (this.pos < this.n && !this.isDivision() && !this.isEndProgram()) {
      const t = this.peek()!;
      if (t.kind === 'period' || t.kind === 'exec') {
        this.pos++;
        continue;
      }
      if (t.kind === 'word' && this.is('SECTION', 1)) {
        const s = SECTION_NAMES[t.upper];
        if (!s) this.diag(t, 'warning', `unknown DATA DIVISION section '${t.text}'`);
        section = s ?? 'working-storage';
        fd = undefined;
        stack.length = 0;
        lastItem = undefined;
        this.pos += 2;
        if (this.peek()?.kind === 'period') this.pos++;
        continue;
      }
      if (t.kind === 'word' && (t.upper === 'FD' || t.upper === 'SD' || t.upper === 'RD' || t.upper === 'CD')) {
        this.pos++;
        const name = this.peek();
        if (t.upper === 'FD' || t.upper === 'SD') {
          fd = { kind: t.upper, name: name?.upper ?? '', records: [], first: t };
          prog.files.push(fd);
        } else fd = undefined;
        stack.length = 0;
        this.skipToPeriod();
        continue;
      }
      if (t.kind === 'number') {
        try {
          const item = this.dataEntry(section, prog);
          if (!item) continue;
          if (item.level === 88) {
            if (lastItem) {
              item.parent = lastItem;
              lastItem.conditions.push(item);
            } else this.diag(item.first, 'warning', `level-88 ${item.name} has no data item to belong to`);
            pushMap(prog.conditionNames, item.name, item);
            continue;
          }
          if (item.level === 66) {
            prog.records.push(item);
            pushMap(prog.items, item.name, item);
            continue;
          }
          if (item.level === 1 || item.level === 77) {
            stack.length = 0;
            prog.records.push(item);
            if (fd && section === 'file') {
              item.fileName = fd.name;
              fd.records.push(item);
            }
          } else if (item.level >= 2 && item.level <= 49) {
            while (stack.length > 0 && stack[stack.length - 1]!.level >= item.level) stack.pop();
            const parent = stack[stack.length - 1];
            if (parent) {
              item.parent = parent;
              parent.children.push(item);
            } else {
              this.diag(item.first, 'warning', `level ${String(item.level).padStart(2, '0')} ${item.name} has no level-01 record above it; treated as a record`);
              prog.records.push(item);
            }
          } else {
            this.diag(item.first, 'warning', `invalid level number ${item.level} for ${item.name}`);
            continue;
          }
          stack.push(item);
          lastItem = item;
          pushMap(prog.items, item.name, item);
        } catch (err) {
          this.diag(t, 'error', `could not read data entry: ${(err as Error).message}`);
          this.skipToPeriod();
        }
        continue;
      }
      if (section !== 'screen' && section !== 'report') this.diag(t, 'warning', `unexpected '${t.text}' in DATA DIVISION; skipped to the next period`);
      this.skipToPeriod();
    }
  }

  private dataEntry(section: StorageSection, prog: ProgramNode): DataItem | undefined {
    void prog;
    const first = this.peek()!;
    const level = Number.parseInt(first.text, 10);
    this.pos++;
    let name = 'FILLER';
    const nt = this.peek();
    if (nt && nt.kind === 'word' && !CLAUSE_WORDS.has(nt.upper)) {
      name = nt.upper;
      this.pos++;
    }
    const item: DataItem = { level, name, values: [], section, conditions: [], children: [], first, last: first };
    const lenient = section === 'screen' || section === 'report';
    let reported = false;
    while (this.pos < this.n) {
      const t = this.peek()!;
      if (t.kind === 'period') {
        item.last = t;
        this.pos++;
        return item;
      }
      if (t.kind === 'number' && !lenient && (/^\d{1,2}$/.test(t.text)) && this.peek(1)?.kind === 'word') {
        // A level number where a clause should be: the previous entry lacks its period.
        this.diag(t, 'warning', `data entry ${name} not ended by a period`);
        item.last = this.toks[this.pos - 1]!;
        return item;
      }
      if (this.isDivision() || (t.kind === 'word' && this.is('SECTION', 1))) {
        this.diag(t, 'warning', `data entry ${name} not ended by a period`);
        item.last = this.toks[this.pos - 1]!;
        return item;
      }
      const w = t.upper;
      if (t.kind === 'word' && (w === 'PIC' || w === 'PICTURE')) {
        this.pos++;
        if (this.is('IS')) this.pos++;
        const pic = this.peek();
        if (pic && pic.kind === 'pic') {
          item.pic = pic.upper;
          this.pos++;
        } else this.diag(t, 'warning', `PIC without a picture string in ${name}`);
        continue;
      }
      if (t.kind === 'word' && w === 'USAGE') {
        this.pos++;
        if (this.is('IS')) this.pos++;
        continue;
      }
      if (t.kind === 'word' && USAGE_WORDS[w]) {
        item.usage = USAGE_WORDS[w];
        this.pos++;
        if (this.is('SIGNED') || this.is('UNSIGNED')) this.pos++;
        continue;
      }
      if (t.kind === 'word' && w === 'OCCURS') {
        this.pos++;
        const a = Number.parseInt(this.peek()?.text ?? '', 10);
        this.pos++;
        let min = Number.isFinite(a) ? a : 1;
        let max = min;
        if (this.is('TO')) {
          this.pos++;
          const b = Number.parseInt(this.peek()?.text ?? '', 10);
          this.pos++;
          if (Number.isFinite(b)) max = b;
        } else if (this.is('UNBOUNDED')) this.pos++;
        if (!Number.isFinite(a)) {
          this.diag(t, 'warning', `OCCURS without a count in ${name}`);
          min = 0;
        }
        const occ: NonNullable<DataItem['occurs']> = { min, max, indexedBy: [], keys: [] };
        if (this.is('TIMES')) this.pos++;
        for (;;) {
          if (this.is('DEPENDING')) {
            this.pos++;
            if (this.is('ON')) this.pos++;
            occ.dependingOn = this.peek()?.upper;
            this.pos++;
            while ((this.is('OF') || this.is('IN')) && this.peek(1)) this.pos += 2;
            continue;
          }
          if (this.is('ASCENDING') || this.is('DESCENDING')) {
            this.pos++;
            if (this.is('KEY')) this.pos++;
            if (this.is('IS')) this.pos++;
            while (this.peek()?.kind === 'word' && !CLAUSE_WORDS.has(this.peek()!.upper) && !['INDEXED', 'ASCENDING', 'DESCENDING', 'DEPENDING'].includes(this.peek()!.upper)) {
              occ.keys.push(this.peek()!.upper);
              this.pos++;
            }
            continue;
          }
          if (this.is('INDEXED')) {
            this.pos++;
            if (this.is('BY')) this.pos++;
            while (this.peek()?.kind === 'word' && !CLAUSE_WORDS.has(this.peek()!.upper) && !['ASCENDING', 'DESCENDING', 'DEPENDING'].includes(this.peek()!.upper)) {
              occ.indexedBy.push(this.peek()!.upper);
              this.pos++;
            }
            continue;
          }
          break;
        }
        item.occurs = occ;
        continue;
      }
      if (t.kind === 'word' && w === 'REDEFINES') {
        this.pos++;
        item.redefines = this.peek()?.upper;
        this.pos++;
        continue;
      }
      if (t.kind === 'word' && w === 'RENAMES') {
        this.pos++;
        const from = this.peek()?.upper ?? '';
        this.pos++;
        let through: string | undefined;
        if (this.is('THRU') || this.is('THROUGH')) {
          this.pos++;
          through = this.peek()?.upper;
          this.pos++;
        }
        item.renames = through ? { from, through } : { from };
        continue;
      }
      if (t.kind === 'word' && (w === 'VALUE' || w === 'VALUES')) {
        this.pos++;
        if (this.is('IS') || this.is('ARE')) this.pos++;
        for (;;) {
          const v = this.literal();
          if (!v) break;
          if (this.is('THRU') || this.is('THROUGH')) {
            this.pos++;
            const th = this.literal();
            item.values.push(th ? { value: v, through: th } : { value: v });
          } else item.values.push({ value: v });
        }
        if (item.values.length === 0) this.diag(t, 'warning', `VALUE without a literal in ${name}`);
        continue;
      }
      if (t.kind === 'word' && (w === 'SIGN' || w === 'LEADING' || w === 'TRAILING' || w === 'SEPARATE' || w === 'CHARACTER')) {
        if (w === 'SEPARATE') item.signSeparate = true;
        this.pos++;
        continue;
      }
      if (t.kind === 'word' && ['JUST', 'JUSTIFIED', 'RIGHT', 'LEFT', 'BLANK', 'WHEN', 'ZERO', 'ZEROS', 'ZEROES', 'SYNC', 'SYNCHRONIZED', 'GLOBAL', 'IS', 'BASED', 'TYPEDEF', 'ANY', 'LENGTH', 'DYNAMIC', 'STRONG'].includes(w)) {
        this.pos++;
        continue;
      }
      if (t.kind === 'word' && w === 'EXTERNAL') {
        item.isExternal = true;
        this.pos++;
        continue;
      }
      if (!lenient && !reported) {
        this.diag(t, 'warning', `unrecognized clause '${t.text}' in data entry ${name}; ignored`);
        reported = true;
      }
      this.pos++;
    }
    item.last = this.toks[this.n - 1]!;
    return item;
  }

  /** A literal operand of VALUE: string, number, figurative constant, ALL literal. */
  private literal(): Token | undefined {
    const t = this.peek();
    if (!t) return undefined;
    if (t.kind === 'string' || t.kind === 'number') {
      this.pos++;
      return t;
    }
    if (t.kind === 'word' && FIGURATIVE.has(t.upper)) {
      this.pos++;
      if (t.upper === 'ALL') {
        const v = this.peek();
        if (v && (v.kind === 'string' || v.kind === 'number' || FIGURATIVE.has(v.upper))) {
          this.pos++;
          return { ...v, text: `ALL ${v.text}`, upper: `ALL ${v.upper}` };
        }
      }
      return t;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- PROCEDURE DIVISION
  private procedureDivision(prog: ProgramNode): void {
    prog.hasProcedure = true;
    prog.procedureFirst = this.peek();
    this.pos += 2;
    if (this.is('USING')) {
      this.pos++;
      while (this.pos < this.n && this.peek()!.kind !== 'period' && !this.is('RETURNING')) {
        const t = this.peek()!;
        if (t.kind === 'word' && !['BY', 'REFERENCE', 'VALUE', 'CONTENT', 'OPTIONAL'].includes(t.upper)) prog.using.push(t.upper);
        this.pos++;
      }
    }
    if (this.is('RETURNING')) {
      this.pos++;
      prog.returning = this.peek()?.upper;
    }
    this.skipToPeriod();
    let section: Section | undefined;
    let paragraph: Paragraph | undefined;
    let declarative = false;
    const closeParagraph = (): void => {
      if (paragraph) paragraph.last = this.toks[Math.max(0, this.pos - 1)]!;
    };
    const closeSection = (): void => {
      if (section) section.last = this.toks[Math.max(0, this.pos - 1)]!;
    };
    while (this.pos < this.n) {
      const t = this.peek()!;
      if (this.isEndProgram() || ((this.is('IDENTIFICATION') || this.is('ID')) && this.is('DIVISION', 1))) break;
      if (t.kind === 'period') {
        this.pos++;
        continue;
      }
      if (this.is('DECLARATIVES') || (this.is('END') && this.is('DECLARATIVES', 1))) {
        declarative = this.is('DECLARATIVES');
        this.pos += declarative ? 1 : 2;
        if (this.peek()?.kind === 'period') this.pos++;
        continue;
      }
      if ((t.kind === 'word' || t.kind === 'number') && this.is('SECTION', 1) && !VERBS.has(t.upper)) {
        closeParagraph();
        closeSection();
        section = { name: t.upper, first: t, last: t, paragraphs: [], declarative };
        prog.sections.push(section);
        paragraph = undefined;
        this.pos += 2;
        if (this.peek()?.kind === 'number') this.pos++;
        if (this.peek()?.kind === 'period') this.pos++;
        else this.diag(t, 'warning', `section header ${t.text} not ended by a period`);
        continue;
      }
      if ((t.kind === 'word' || t.kind === 'number') && this.peek(1)?.kind === 'period' && !VERBS.has(t.upper)) {
        closeParagraph();
        paragraph = { name: t.upper, first: t, last: t, statements: [] };
        if (section) {
          paragraph.section = section.name;
          section.paragraphs.push(paragraph);
        }
        prog.paragraphs.push(paragraph);
        this.pos += 2;
        continue;
      }
      if (!paragraph) {
        paragraph = { name: section ? section.name : 'PROCEDURE DIVISION', first: t, last: t, statements: [], implicit: true };
        if (section) {
          paragraph.section = section.name;
          section.paragraphs.push(paragraph);
        }
        prog.paragraphs.push(paragraph);
      }
      // A sentence
      const before = this.pos;
      try {
        const stmts = this.statements(EMPTY);
        for (const s of stmts) paragraph.statements.push(s);
      } catch (err) {
        this.diag(this.peek(), 'error', `could not parse statement: ${(err as Error).message}; skipped to the next period`);
        this.skipToPeriod();
        continue;
      }
      const next = this.peek();
      if (next && next.kind !== 'period') {
        if (this.isEndProgram() || this.isDivision()) continue;
        if (next.kind === 'word' && (this.is('SECTION', 1) || this.peek(1)?.kind === 'period') && !VERBS.has(next.upper) && !SCOPE_TERMINATORS.has(next.upper) && next.upper !== 'ELSE' && next.upper !== 'WHEN') continue;
        if (next.kind === 'word' && (SCOPE_TERMINATORS.has(next.upper) || next.upper === 'ELSE' || next.upper === 'WHEN')) {
          this.diag(next, 'warning', `'${next.text}' without a matching statement; ignored`);
          this.pos++;
          continue;
        }
        this.diag(next, 'warning', `unexpected '${next.text}'; skipped to the next period`);
        this.skipToPeriod();
      }
      if (this.pos === before) this.pos++; // never loop without progress
    }
    closeParagraph();
    closeSection();
  }

  /** True when a conditional phrase (AT END, ON SIZE ERROR, INVALID KEY, ...) starts here. */
  private handlerStart(): number {
    let k = 0;
    if (this.is('NOT')) k = 1;
    const a = this.peek(k)?.upper;
    const b = this.peek(k + 1)?.upper;
    if (this.peek(k)?.kind !== 'word') return 0;
    if (a === 'AT' && (b === 'END' || b === 'END-OF-PAGE' || b === 'EOP')) return k + 2;
    if (a === 'END' && k === 1) return 2;
    if (a === 'END-OF-PAGE' || a === 'EOP') return k + 1;
    if (a === 'INVALID') return k + (b === 'KEY' ? 2 : 1);
    if (a === 'ON' && b === 'SIZE' && this.peek(k + 2)?.upper === 'ERROR') return k + 3;
    if (a === 'SIZE' && b === 'ERROR') return k + 2;
    if (a === 'ON' && (b === 'OVERFLOW' || b === 'EXCEPTION')) return k + 2;
    if (a === 'OVERFLOW' || a === 'EXCEPTION') return k + 1;
    return 0;
  }

  private statements(terms: ReadonlySet<string>): Statement[] {
    const out: Statement[] = [];
    while (this.pos < this.n) {
      const t = this.peek()!;
      if (t.kind === 'period') break;
      if (t.kind === 'exec') {
        this.pos++;
        out.push({ verb: 'EXEC', tokens: [t], first: t, last: t });
        continue;
      }
      if (t.kind === 'word') {
        if (terms.has(t.upper)) break;
        if (this.handlerStart() > 0 && terms.has('#HANDLER')) break;
        if (this.isEndProgram() || this.isDivision()) break;
        if (t.upper === 'NEXT' && this.is('SENTENCE', 1)) {
          this.pos += 2;
          out.push({ verb: 'NEXT SENTENCE', tokens: [t, this.toks[this.pos - 1]!], first: t, last: this.toks[this.pos - 1]! });
          continue;
        }
        if (VERBS.has(t.upper)) {
          out.push(this.statement(terms));
          continue;
        }
        if (SCOPE_TERMINATORS.has(t.upper) || t.upper === 'ELSE' || t.upper === 'WHEN') {
          if (terms.size > 0) break; // closes an enclosing scope, or is reported by the sentence loop
          this.diag(t, 'warning', `'${t.text}' without a matching statement; ignored`);
          this.pos++;
          continue;
        }
        // A paragraph name after a missing period: let the sentence loop see it.
        if (this.peek(1)?.kind === 'period' || this.is('SECTION', 1)) break;
      }
      this.diag(t, 'warning', `unrecognized statement starting with '${t.text}'; skipped`);
      this.pos++;
      while (this.pos < this.n) {
        const u = this.peek()!;
        if (u.kind === 'period' || u.kind === 'exec' || (u.kind === 'word' && (VERBS.has(u.upper) || terms.has(u.upper) || SCOPE_TERMINATORS.has(u.upper)))) break;
        this.pos++;
      }
    }
    return out;
  }

  /** Tokens of the current statement until a verb, scope word, conditional phrase or period. */
  private collect(terms: ReadonlySet<string>, verb: string, stopAt?: ReadonlySet<string>, ownsEnd = true): { tokens: Token[]; terminator?: Token } {
    const tokens: Token[] = [];
    // An out-of-line PERFORM has no scope: an END-PERFORM after it closes an enclosing inline PERFORM.
    const endWord = ownsEnd ? `END-${verb}` : '';
    let depth = 0;
    while (this.pos < this.n) {
      const t = this.peek()!;
      if (t.kind === 'period' || t.kind === 'exec') break;
      if (t.kind === 'punct') {
        if (t.text === '(') depth++;
        else if (t.text === ')') depth--;
      }
      if (t.kind === 'word' && depth <= 0) {
        const u = t.upper;
        if (u === endWord) {
          this.pos++;
          return { tokens, terminator: t };
        }
        if (stopAt?.has(u)) break;
        if (VERBS.has(u) || terms.has(u) || u === 'ELSE' || u === 'WHEN' || SCOPE_TERMINATORS.has(u)) break;
        if (u === 'NEXT' && this.is('SENTENCE', 1)) break;
        if (this.handlerStart() > 0) break;
        if (this.isEndProgram() || this.isDivision()) break;
      }
      tokens.push(t);
      this.pos++;
    }
    return { tokens };
  }

  private statement(terms: ReadonlySet<string>): Statement {
    const first = this.peek()!;
    const verb = first.upper;
    this.pos++;
    if (verb === 'IF') return this.ifStatement(first, terms);
    if (verb === 'EVALUATE') return this.evaluate(first, terms);
    if (verb === 'PERFORM') return this.perform(first, terms);
    if (verb === 'SEARCH') return this.search(first, terms);
    let verbName = verb;
    if (verb === 'GO' && this.is('TO')) verbName = 'GO';
    const { tokens, terminator } = this.collect(terms, verb);
    const stmt: Statement = { verb: verbName, tokens: [first, ...tokens], first, last: tokens[tokens.length - 1] ?? first };
    if (terminator) {
      stmt.terminator = terminator;
      stmt.last = terminator;
      return stmt;
    }
    if (HANDLER_VERBS.has(verb)) this.handlers(stmt, terms);
    return stmt;
  }

  private handlers(stmt: Statement, terms: ReadonlySet<string>): void {
    const endWord = `END-${stmt.verb}`;
    for (;;) {
      const k = this.handlerStart();
      if (k === 0) break;
      const first = this.peek()!;
      const phrase = this.toks.slice(this.pos, this.pos + k).map((t) => t.upper).join(' ');
      this.pos += k;
      if (this.is('KEY')) this.pos++;
      const body = this.statements(union(terms, [endWord, '#HANDLER']));
      (stmt.handlers ??= []).push({ phrase, body, first } satisfies ConditionalPhrase);
      stmt.last = lastOf(body) ?? this.toks[this.pos - 1]!;
    }
    if (this.is(endWord)) {
      stmt.terminator = this.peek()!;
      stmt.last = stmt.terminator;
      this.pos++;
    }
  }

  private ifStatement(first: Token, terms: ReadonlySet<string>): Statement {
    const { tokens: cond } = this.collect(terms, 'IF', THEN_SET);
    if (this.is('THEN')) this.pos++;
    const stmt: Statement = { verb: 'IF', tokens: [first, ...cond], first, last: cond[cond.length - 1] ?? first, condition: cond };
    if (cond.length === 0) this.diag(first, 'warning', 'IF without a condition');
    stmt.then = this.statements(union(terms, ['ELSE', 'END-IF']));
    stmt.last = lastOf(stmt.then) ?? stmt.last;
    if (this.is('ELSE')) {
      stmt.elseToken = this.peek()!;
      this.pos++;
      stmt.else = this.statements(union(terms, ['END-IF']));
      stmt.last = lastOf(stmt.else) ?? stmt.elseToken;
    }
    if (this.is('END-IF')) {
      stmt.terminator = this.peek()!;
      stmt.last = stmt.terminator;
      this.pos++;
    }
    return stmt;
  }

  private evaluate(first: Token, terms: ReadonlySet<string>): Statement {
    const { tokens: subj } = this.collect(terms, 'EVALUATE');
    const stmt: Statement = { verb: 'EVALUATE', tokens: [first, ...subj], first, last: subj[subj.length - 1] ?? first, subjects: splitAtWord(subj, 'ALSO'), whens: [] };
    const bodyTerms = union(terms, ['WHEN', 'END-EVALUATE']);
    while (this.is('WHEN')) {
      const whenTok = this.peek()!;
      const clause: WhenClause = { alternatives: [], other: false, body: [], first: whenTok, last: whenTok };
      while (this.is('WHEN')) {
        this.pos++;
        if (this.is('OTHER')) {
          clause.other = true;
          clause.last = this.peek()!;
          this.pos++;
          continue;
        }
        const { tokens: objs } = this.collect(terms, 'EVALUATE', WHEN_STOP);
        clause.alternatives.push(splitAtWord(objs, 'ALSO'));
        clause.last = objs[objs.length - 1] ?? clause.last;
      }
      clause.body = this.statements(bodyTerms);
      clause.last = lastOf(clause.body) ?? clause.last;
      stmt.whens!.push(clause);
      stmt.last = clause.last;
    }
    if (stmt.whens!.length === 0) this.diag(first, 'warning', 'EVALUATE without WHEN');
    if (this.is('END-EVALUATE')) {
      stmt.terminator = this.peek()!;
      stmt.last = stmt.terminator;
      this.pos++;
    }
    return stmt;
  }

  private perform(first: Token, terms: ReadonlySet<string>): Statement {
    const next = this.peek();
    const outOfLine =
      next !== undefined &&
      (next.kind === 'word' || (next.kind === 'number' && this.peek(1)?.upper !== 'TIMES')) &&
      !['UNTIL', 'VARYING', 'WITH', 'TEST', 'FOREVER'].includes(next.upper) &&
      !VERBS.has(next.upper) &&
      this.peek(1)?.upper !== 'TIMES';
    const { tokens, terminator } = this.collect(terms, 'PERFORM', undefined, !outOfLine);
    const stmt: Statement = { verb: 'PERFORM', tokens: [first, ...tokens], first, last: terminator ?? tokens[tokens.length - 1] ?? first };
    if (terminator) {
      stmt.terminator = terminator;
      if (!outOfLine) stmt.body = [];
      return stmt;
    }
    if (outOfLine) return stmt;
    stmt.body = this.statements(union(terms, ['END-PERFORM']));
    if (this.is('END-PERFORM')) {
      stmt.terminator = this.peek()!;
      stmt.last = stmt.terminator;
      this.pos++;
    } else {
      this.diag(first, 'warning', 'inline PERFORM without END-PERFORM');
      stmt.last = lastOf(stmt.body) ?? stmt.last;
    }
    return stmt;
  }

  private search(first: Token, terms: ReadonlySet<string>): Statement {
    const { tokens } = this.collect(terms, 'SEARCH');
    const stmt: Statement = { verb: 'SEARCH', tokens: [first, ...tokens], first, last: tokens[tokens.length - 1] ?? first, whens: [] };
    this.handlers(stmt, union(terms, ['WHEN']));
    if (stmt.terminator) return stmt;
    const bodyTerms = union(terms, ['WHEN', 'END-SEARCH']);
    while (this.is('WHEN')) {
      const whenTok = this.peek()!;
      this.pos++;
      const { tokens: cond } = this.collect(terms, 'SEARCH', WHEN_STOP);
      const clause: WhenClause = { alternatives: [[cond]], other: false, body: [], first: whenTok, last: cond[cond.length - 1] ?? whenTok };
      clause.body = this.statements(bodyTerms);
      clause.last = lastOf(clause.body) ?? clause.last;
      stmt.whens!.push(clause);
      stmt.last = clause.last;
    }
    if (this.is('END-SEARCH')) {
      stmt.terminator = this.peek()!;
      stmt.last = stmt.terminator;
      this.pos++;
    }
    return stmt;
  }
}

/** Explicit scope terminators (data names may also start with END-, so only these close scopes). */
const SCOPE_TERMINATORS: ReadonlySet<string> = new Set([
  'END-ACCEPT', 'END-ADD', 'END-CALL', 'END-COMPUTE', 'END-DELETE', 'END-DISPLAY', 'END-DIVIDE', 'END-EVALUATE', 'END-IF',
  'END-INVOKE', 'END-JSON', 'END-MULTIPLY', 'END-PERFORM', 'END-READ', 'END-RECEIVE', 'END-RETURN', 'END-REWRITE',
  'END-SEARCH', 'END-SEND', 'END-START', 'END-STRING', 'END-SUBTRACT', 'END-UNSTRING', 'END-WRITE', 'END-XML',
]);
const EMPTY: ReadonlySet<string> = new Set();
const THEN_SET: ReadonlySet<string> = new Set(['THEN']);
const WHEN_STOP: ReadonlySet<string> = new Set(['WHEN']);

function union(a: ReadonlySet<string>, more: string[]): Set<string> {
  const s = new Set(a);
  for (const m of more) s.add(m);
  return s;
}

function lastOf(stmts: Statement[] | undefined): Token | undefined {
  return stmts && stmts.length > 0 ? stmts[stmts.length - 1]!.last : undefined;
}

function pushMap<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
