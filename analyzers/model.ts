/**
 * The language-neutral result every analyzer frontend (COBOL now; Java, C#, PHP, Python, JS
 * later) produces for the files it reads, and from which `analyzers/output.ts` writes the shared
 * contract: `openapi.yaml`, `rules.json` and `report.md`. Frontends never write files themselves.
 * Paths are relative to the analyzed root, lines 1-based.
 */
import type { OpenAPIV3_1 } from 'openapi-types';

export interface Evidence {
  path: string;
  startLine: number;
  endLine: number;
}

export type RuleKind = 'validation' | 'calculation' | 'decision' | 'constraint';

/** One business rule, tied to the exact source lines it came from. */
export interface Rule {
  /** Stable across runs on unchanged code (derived from path, program, location path and content, not from run order). */
  id: string;
  kind: RuleKind;
  /** Plain-language statement (parser-generated; the LLM layer may add a better one without removing facts). */
  statement: string;
  /** The condition in readable form, 88-level names resolved; null for unconditional calculations. */
  condition: string | null;
  /** Fields set, codes/messages produced: e.g. `WS-RATE := WS-BASE * 1.05`, `MOVE 'E01' TO WS-ERR-CODE`. */
  effects: string[];
  /** Data names involved (read or written). */
  fields: string[];
  evidence: Evidence[];
  origin: 'parser' | 'llm';
  /** Operation this rule governs, if any. */
  operation: string | null;
  /** Enclosing conditions, outermost first, e.g. ["IF WS-APPROVED", "WHEN WS-CREDIT < 660"]. */
  path?: string[];
  /** Short business title (LLM layer; `statement` and the other parser facts stay as the parser wrote them). */
  title?: string;
  /** Plain-language explanation for business readers (LLM layer; never replaces `statement`). */
  explanation?: string;
}

export interface Dependency {
  kind: 'sql' | 'file' | 'cics' | 'call';
  /** Table, file, CICS resource/program, or called program name. */
  target: string;
  /** SELECT/INSERT/UPDATE/DELETE, OPEN INPUT/OUTPUT/I-O/EXTEND, READ/WRITE/LINK/XCTL/..., CALL. */
  operations: string[];
  evidence?: Evidence[];
}

export interface Program {
  path: string;
  name: string;
  language: string;
  /** The entry paragraph/section/function. */
  entry: string | null;
  /** Programs this one calls (CALL, LINK, XCTL). */
  calls: string[];
  /** Paragraphs/sections never reached from the entry. */
  deadCode: { name: string; startLine: number; endLine: number }[];
  dependencies: Dependency[];
  /** PERFORM/GO TO graph: paragraph → paragraphs it transfers to. */
  callGraph?: Record<string, string[]>;
}

export interface Diagnostic {
  path: string;
  line: number;
  severity: 'error' | 'warning' | 'info';
  message: string;
}

/** An API operation found in the code, with request/response schemas (JSON Schema 2020-12 as OpenAPI 3.1 uses). */
export interface Operation {
  operationId: string;
  /** `head` only where the code declares a HEAD handler of its own (frameworks' implicit HEAD-for-GET is not listed). */
  method: 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head';
  /** OpenAPI path template, e.g. `/loans/{id}`. */
  path: string;
  summary: string;
  description?: string;
  parameters?: OpenAPIV3_1.ParameterObject[];
  requestSchema?: OpenAPIV3_1.SchemaObject;
  responseSchema?: OpenAPIV3_1.SchemaObject;
  /** Named schemas this operation's schemas refer to (`#/components/schemas/<name>`). */
  schemas?: Record<string, OpenAPIV3_1.SchemaObject>;
  /** Media type of the request body; `application/json` when absent. */
  requestContentType?: string;
  /**
   * Responses the code can produce, by status code (`200`, `404`, `default`); when absent, one
   * `200` with `responseSchema`. A status whose schema is absent has no body the analyzer knows.
   */
  responses?: Record<string, { description: string; schema?: OpenAPIV3_1.SchemaObject; contentType?: string; evidence?: Evidence[] }>;
  evidence: Evidence[];
  /** How input and output were told apart, or other notes for the architect. */
  notes?: string[];
  /** Summary and description written by the LLM layer; the parser's `summary`/`description` stay as they are. */
  llm?: { summary: string; description?: string };
}

export interface SourceFile {
  path: string;
  language: string;
  sha256: string;
  lines: number;
}

/** What a frontend returns for one analyzed file (or a program spread over a file and its copybooks). */
export interface FileAnalysis {
  source: SourceFile;
  programs: Program[];
  operations: Operation[];
  rules: Rule[];
  diagnostics: Diagnostic[];
  /** Data layouts found in the file (e.g. COBOL records), for `components.schemas`; each may carry `x-ficus-evidence`. */
  schemas?: Record<string, OpenAPIV3_1.SchemaObject>;
  /**
   * What a frontend with a `link` step extracted from this file for that step (routes, mounts,
   * types, imports): plain JSON, cached with the rest, never written to the outputs.
   */
  facts?: unknown;
}

/** A file of the analyzed tree, whatever its language, for `Frontend.prepare`. */
export interface TreeFile {
  /** Relative to the analyzed root. */
  path: string;
  absolutePath: string;
  read(): string | undefined;
}

/** A frontend: detects its files and analyzes one at a time. */
export interface Frontend {
  readonly language: string;
  /** True when this frontend handles the file (by extension and, if needed, content sniffing). */
  accepts(path: string, head: string): boolean;
  /**
   * Optional, called once per run with every file of the tree before any `analyze`: what it
   * returns is merged into this frontend's context (e.g. COBOL reads CICS definitions from
   * CSD and JCL files), and its JSON is part of the cache key.
   */
  prepare?(tree: readonly TreeFile[]): Record<string, unknown>;
  /** Never throws for bad input: problems become diagnostics with line numbers. */
  analyze(file: { path: string; absolutePath: string; text: string }, context: FrontendContext): Promise<FileAnalysis> | FileAnalysis;
  /**
   * Optional, called once per run after every file was analyzed (or taken from the cache), with
   * all of this frontend's results in path order: joins what single files cannot know alone
   * (a router mounted under a prefix in another file, a DTO declared elsewhere) and returns the
   * results to output, one per input, same order. Works from `FileAnalysis.facts` only: it must
   * not read or re-parse files. Never throws for bad input.
   */
  link?(files: readonly FileAnalysis[], context: { root: string }): FileAnalysis[];
}

export interface FrontendContext {
  /** Absolute root being analyzed. */
  root: string;
  /** Directories searched for copybooks / includes, absolute. */
  includePaths: readonly string[];
  /** Reads a file (for copybooks); returns undefined when missing. */
  readFile(absolutePath: string): string | undefined;
}

/** A data name explained in plain language by the LLM layer, e.g. `WS-DTI-RATIO` → "debt-to-income ratio". */
export interface GlossaryEntry {
  name: string;
  meaning: string;
  /** Files the name was explained from (the name occurs in their code, not only in comments). */
  paths: string[];
}

/** A business-event name for changes to a table, e.g. LOAN_DECISIONS + INSERT → `LoanDecisionRecorded`. */
export interface EventNameSuggestion {
  table: string;
  /** INSERT, UPDATE or DELETE. */
  operation: string;
  name: string;
  description?: string;
}

/** A rule the LLM proposed that failed the grounding check: never written as a rule, listed in the report. */
export interface UnverifiedSuggestion {
  path: string;
  statement: string;
  evidence: Evidence[];
  /** Why it was rejected, e.g. `literal 'A00' not in the cited lines`. */
  reason: string;
}

/** What the LLM layer did in a run, for rules.json, report.md and the stderr summary. */
export interface Enrichment {
  /** False when enrichment was off; `reason` says why (`--llm none`, no API key). */
  enabled: boolean;
  reason?: string;
  model?: string;
  promptVersion?: string;
  glossary: GlossaryEntry[];
  events: EventNameSuggestion[];
  unverified: UnverifiedSuggestion[];
  /** Chunks not enriched (budget reached, endpoint unavailable), as `path:start-end (why)`. */
  unanalyzed: string[];
  /** Counts and cost of this run's calls. */
  usage: {
    /** Requests made (retries of one request count once). */
    calls: number;
    /** Answers taken from the cache instead of a request. */
    cachedChunks: number;
    /** Answers needed: one per chunk, plus one for business-event names when there are tables. */
    chunks: number;
    inputTokens: number;
    outputTokens: number;
    cacheCreationInputTokens: number;
    cacheReadInputTokens: number;
    /** null when the model has no price in the table. */
    costUsd: number | null;
    budgetUsd: number | null;
    rulesAdded: number;
    rulesExplained: number;
    rejected: number;
  };
}
