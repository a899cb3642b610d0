/**
 * The COBOL syntax tree `parser.ts` builds and the extractors (`data.ts`, `rules.ts`,
 * `structure.ts`, `interface.ts`) read. Every node keeps its first and last token so evidence can
 * cite exact files and lines, including lines inside copybooks. Statements not modelled in
 * detail keep their tokens, which is enough to find the data they read and write.
 */
import type { Token } from './lexer.js';

export type Usage =
  | 'DISPLAY'
  | 'COMP'
  | 'COMP-1'
  | 'COMP-2'
  | 'COMP-3'
  | 'COMP-4'
  | 'COMP-5'
  | 'COMP-X'
  | 'BINARY'
  | 'PACKED-DECIMAL'
  | 'INDEX'
  | 'POINTER'
  | 'NATIONAL'
  | 'FUNCTION-POINTER'
  | 'PROCEDURE-POINTER';

export type StorageSection = 'file' | 'working-storage' | 'local-storage' | 'linkage' | 'screen' | 'report';

export interface ConditionValue {
  value: Token;
  through?: Token;
}

/** A data description entry. */
export interface DataItem {
  level: number;
  /** Upper-case name; `FILLER` for unnamed items. */
  name: string;
  pic?: string;
  usage?: Usage;
  occurs?: { min: number; max: number; dependingOn?: string; indexedBy: string[]; keys: string[] };
  redefines?: string;
  /** VALUE of an elementary item / 88-level values. */
  values: ConditionValue[];
  signSeparate?: boolean;
  renames?: { from: string; through?: string };
  isExternal?: boolean;
  section: StorageSection;
  /** Level-88 condition names under this item. */
  conditions: DataItem[];
  children: DataItem[];
  parent?: DataItem;
  /** For FILE SECTION records: the FD/SD name. */
  fileName?: string;
  first: Token;
  last: Token;
}

export interface FileControl {
  name: string;
  assign?: string;
  organization?: string;
  access?: string;
  status?: string;
  first: Token;
}

export interface FileDescription {
  kind: 'FD' | 'SD';
  name: string;
  records: DataItem[];
  first: Token;
}

export interface ConditionalPhrase {
  /** e.g. `AT END`, `NOT AT END`, `ON SIZE ERROR`, `INVALID KEY`, `ON EXCEPTION`. */
  phrase: string;
  body: Statement[];
  first: Token;
}

export interface WhenClause {
  /** One entry per stacked WHEN (they share the body); each lists the ALSO-separated objects. */
  alternatives: Token[][][];
  other: boolean;
  body: Statement[];
  first: Token;
  last: Token;
}

export interface Statement {
  /** Upper-case verb: IF, EVALUATE, MOVE, ..., `EXEC` for EXEC blocks, `NEXT SENTENCE`. */
  verb: string;
  /** The statement's own tokens (verb included), without nested statements. For IF: up to the condition's end. */
  tokens: Token[];
  first: Token;
  last: Token;
  /** IF */
  condition?: Token[];
  then?: Statement[];
  else?: Statement[];
  elseToken?: Token;
  /** EVALUATE: ALSO-separated subjects */
  subjects?: Token[][];
  whens?: WhenClause[];
  /** Inline PERFORM body / SEARCH */
  body?: Statement[];
  /** AT END / ON SIZE ERROR / INVALID KEY / ... */
  handlers?: ConditionalPhrase[];
  /** Explicit scope terminator (END-IF, END-COMPUTE, ...) when present. */
  terminator?: Token;
}

export interface Paragraph {
  name: string;
  section?: string;
  first: Token;
  last: Token;
  statements: Statement[];
  /** True for the implicit paragraph holding statements before the first paragraph name. */
  implicit?: boolean;
}

export interface Section {
  name: string;
  first: Token;
  last: Token;
  paragraphs: Paragraph[];
  declarative: boolean;
}

export interface ProgramNode {
  name: string;
  first: Token;
  last: Token;
  fileControls: FileControl[];
  files: FileDescription[];
  /** All level-01/77 items (and 66) per section, in order. */
  records: DataItem[];
  /** Every named item by upper-case name (first declaration wins; duplicates kept in `allItems`). */
  items: Map<string, DataItem[]>;
  /** Level-88 condition names. */
  conditionNames: Map<string, DataItem[]>;
  using: string[];
  returning?: string;
  procedureFirst?: Token;
  sections: Section[];
  paragraphs: Paragraph[];
  /** True when the source had a PROCEDURE DIVISION. */
  hasProcedure: boolean;
}

/** Calls `fn` for every statement, depth first, with nested statements after their parent. */
export function forEachStatement(stmts: readonly Statement[] | undefined, fn: (s: Statement) => void): void {
  if (!stmts) return;
  for (const s of stmts) {
    fn(s);
    forEachStatement(s.then, fn);
    forEachStatement(s.else, fn);
    forEachStatement(s.body, fn);
    if (s.whens) for (const w of s.whens) forEachStatement(w.body, fn);
    if (s.handlers) for (const h of s.handlers) forEachStatement(h.body, fn);
  }
}

/** Every token of a statement, nested statements included (for evidence spanning copybooks). */
export function statementTokens(s: Statement, out: Token[] = []): Token[] {
  for (const t of s.tokens) out.push(t);
  if (s.whens) for (const w of s.whens) for (const alt of w.alternatives) for (const part of alt) for (const t of part) out.push(t);
  forEachStatement([...(s.then ?? []), ...(s.else ?? []), ...(s.body ?? []), ...(s.whens ?? []).flatMap((w) => w.body), ...(s.handlers ?? []).flatMap((h) => h.body)], (c) => {
    for (const t of c.tokens) out.push(t);
  });
  if (s.terminator) out.push(s.terminator);
  return out;
}
