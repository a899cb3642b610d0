/**
 * The COBOL frontend: reads a program file (fixed or free format), expands its copybooks,
 * parses it, and returns the shared `FileAnalysis` — programs with structure and dependencies,
 * business rules, an operation for programs with a call interface, record layouts as JSON
 * Schema (`schemas`, an addition to the model; see `CobolFileAnalysis`) and diagnostics.
 * Copybooks are not programs: they are read through COPY from the including file's directory
 * and `context.includePaths`, never analyzed on their own. Nothing here throws for bad input.
 */
import { createHash } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import type { OpenAPIV3_1 } from 'openapi-types';
import type { Diagnostic, FileAnalysis, Frontend, FrontendContext, Rule, TreeFile } from '../model.js';
import { collectCicsDefinitions, isCicsDefinitionFile, type CobolFrontendContext, type CicsDefinitions } from './cics-definitions.js';
import { createCopybookLocator, expandCopybooks, type CopybookLocator, type FileDiagnostic, type SourceEntry } from './copybooks.js';
import { itemEvidence, recordSchema } from './data.js';
import { programOperation } from './interface.js';
import { lex } from './lexer.js';
import { parsePrograms } from './parser.js';
import { extractRules } from './rules.js';
import { readSource } from './source.js';
import { programStructure } from './structure.js';

export { collectCicsDefinitions, isCicsDefinitionFile, CICS_DEFINITION_EXTENSIONS, type CicsDefinitions, type CobolFrontendContext } from './cics-definitions.js';

/** Extensions of COBOL program files. Copybook extensions (.cpy, .copy) are deliberately absent. */
export const COBOL_EXTENSIONS: readonly string[] = ['.cbl', '.cob', '.cobol', '.ccp', '.sqb', '.pco'];

/** What the COBOL frontend returns: the shared result plus every record layout as JSON Schema. */
export interface CobolFileAnalysis extends FileAnalysis {
  /** Record layouts (WORKING-STORAGE, LOCAL-STORAGE, LINKAGE, FILE SECTION, copybooks), keyed `PROGRAM.RECORD`; each has `x-ficus-evidence`. */
  schemas: Record<string, OpenAPIV3_1.SchemaObject>;
}

export interface CobolFrontendOptions {
  /** CICS definitions to use when the context carries none (`CobolFrontendContext.cics` wins). */
  cics?: CicsDefinitions;
}

const SNIFF = /\b(IDENTIFICATION|ID)\s+DIVISION\b|\bPROGRAM-ID\b/i;

/** Creates a COBOL frontend. */
export function createCobolFrontend(options: CobolFrontendOptions = {}): Frontend & { analyze(file: { path: string; absolutePath: string; text: string }, context: FrontendContext): CobolFileAnalysis } {
  // Copybook lookups are cached per analysis context (one `ficus analyze` run).
  const locators = new WeakMap<FrontendContext, CopybookLocator>();
  const locatorFor = (ctx: FrontendContext): CopybookLocator => {
    let l = locators.get(ctx);
    if (!l) {
      l = createCopybookLocator({ includePaths: ctx.includePaths, readFile: (p) => ctx.readFile(p), join, dirname });
      locators.set(ctx, l);
    }
    return l;
  };
  return {
    language: 'cobol',
    accepts(path: string, head: string): boolean {
      const lower = path.toLowerCase();
      if (COBOL_EXTENSIONS.some((e) => lower.endsWith(e))) return true;
      if (lower.endsWith('.cpy') || lower.endsWith('.copy')) return false;
      // Extensionless members (mainframe PDS exports) and .txt: sniff.
      return (!/\.[a-z0-9]{1,8}$/.test(lower) || lower.endsWith('.txt')) && SNIFF.test(head);
    },
    // CICS resource definitions (CSD, web-service assistant JOBs) anywhere in the tree name the
    // programs' transactions and URIs.
    prepare(tree: readonly TreeFile[]): Record<string, unknown> {
      if (options.cics) return {};
      return { cics: collectCicsDefinitions(tree.filter((f) => isCicsDefinitionFile(f.path)).map((f) => ({ path: f.path, text: f.read() ?? '' }))) };
    },
    analyze(file, context): CobolFileAnalysis {
      const cics = (context as CobolFrontendContext).cics ?? options.cics;
      return analyzeCobol(file, context, locatorFor(context), cics);
    },
  };
}

/** The default COBOL frontend (CICS definitions come from `CobolFrontendContext.cics`). */
export const cobolFrontend = createCobolFrontend();

function toPosix(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}

/** Analyzes one COBOL file. Never throws: internal failures become an error diagnostic. */
export function analyzeCobol(
  file: { path: string; absolutePath: string; text: string },
  context: FrontendContext,
  locator: CopybookLocator = createCopybookLocator({ includePaths: context.includePaths, readFile: (p) => context.readFile(p), join, dirname }),
  cics?: CicsDefinitions,
): CobolFileAnalysis {
  const sha256 = createHash('sha256').update(file.text).digest('hex');
  const result: CobolFileAnalysis = {
    source: { path: file.path, language: 'cobol', sha256, lines: 0 },
    programs: [],
    operations: [],
    rules: [],
    diagnostics: [],
    schemas: {},
  };
  const fdiags: FileDiagnostic[] = [];
  const files: SourceEntry[] = [];
  try {
    const source = readSource(file.text);
    result.source.lines = source.lines;
    files.push({ path: file.path, absolutePath: file.absolutePath, source, text: file.text });
    for (const d of source.diagnostics) fdiags.push({ file: 0, ...d });
    const lexDiags: { line: number; severity: 'error' | 'warning' | 'info'; message: string }[] = [];
    const tokens = lex(source, 0, lexDiags);
    for (const d of lexDiags) fdiags.push({ file: 0, ...d });
    const rel = (abs: string): string => toPosix(relative(context.root, abs));
    const expanded = expandCopybooks(tokens, 0, files, fdiags, locator, rel);
    const programs = parsePrograms(expanded, fdiags);
    if (programs.length === 0) {
      fdiags.push({ file: 0, line: 1, severity: 'info', message: 'no PROGRAM-ID or PROCEDURE DIVISION: not a program (a copybook?); analyze it through the programs that COPY it' });
    }
    const fallbackName = (file.path.split('/').pop() ?? file.path).replace(/\.[^.]*$/, '').toUpperCase();
    for (const prog of programs) {
      if (!prog.name) prog.name = fallbackName;
      const program = programStructure(prog, file.path, files);
      const rules: Rule[] = extractRules({ prog, files, path: file.path });
      const op = programOperation(prog, files, cics);
      if (op) {
        for (const r of rules) r.operation = op.operationId;
        (op as { 'x-ficus-rules'?: string[] })['x-ficus-rules'] = rules.map((r) => r.id);
        result.operations.push(op);
      }
      for (const rec of prog.records) {
        if (rec.level !== 1 && rec.level !== 77) continue;
        if (rec.section === 'screen' || rec.section === 'report') continue;
        const s = recordSchema(rec);
        if (!s) continue;
        s['x-ficus-evidence'] = itemEvidence(rec, files.map((f) => f.path));
        s['x-ficus-section'] = rec.section;
        result.schemas[`${prog.name}.${rec.name}`] = s;
      }
      result.programs.push(program);
      result.rules.push(...rules);
    }
  } catch (err) {
    fdiags.push({ file: 0, line: 1, severity: 'error', message: `internal error in the COBOL analyzer, analysis of this file is incomplete: ${(err as Error)?.message ?? String(err)}` });
  }
  // Deterministic order: the program file first, then copybooks, each by line.
  fdiags.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file - b.file));
  result.diagnostics = fdiags.map((d): Diagnostic => ({ path: files[d.file]?.path ?? file.path, line: d.line, severity: d.severity, message: d.message }));
  return result;
}
