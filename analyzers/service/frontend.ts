/**
 * The frame every tree-sitter service frontend plugs into: a language supplies file detection,
 * the grammar per file and an `extract` over the parsed tree; this module parses each file once,
 * turns syntax errors into diagnostics, never lets an extractor bug abort the run, and links all
 * files at the end (`link.ts`). The output contract is the COBOL analyzer's: operations, rules
 * and diagnostics per file, written by `analyzers/output.ts`.
 */
import type { Diagnostic, FileAnalysis, Frontend, FrontendContext, Program, Rule, TreeFile } from '../model.js';
import { emptyFacts, type ServiceFacts } from './facts.js';
import { linkServiceFiles } from './link.js';
import { createParsers, syntaxErrorLines, type GrammarName, type Tree } from './tree-sitter.js';

export interface ExtractInput {
  /** Relative to the analyzed root, POSIX separators. */
  path: string;
  text: string;
  tree: Tree;
  /** The run's context, including what `prepare` returned. */
  context: FrontendContext;
}

export interface Extracted {
  facts: ServiceFacts;
  rules: Rule[];
  diagnostics: Diagnostic[];
  programs?: Program[];
}

export interface ServiceLanguage {
  /** `java`, `csharp`, `php`, `python`, `javascript`. */
  language: string;
  /** Bump when the extraction changes, so cached results are redone. */
  version: string;
  /** Named in the diagnostic when nothing is found, e.g. `Spring MVC, JAX-RS or Servlet routes`. */
  frameworks: string;
  accepts(path: string, head: string): boolean;
  grammarFor(path: string): GrammarName;
  /** Tree-wide facts outside the language's own files (application.properties, web.xml). */
  prepare?(tree: readonly TreeFile[]): Record<string, unknown>;
  extract(input: ExtractInput): Extracted;
}

export type ServiceFrontend = Frontend & { readonly version: string; link(files: readonly FileAnalysis[], context: { root: string }): FileAnalysis[] };

export function createServiceFrontend(lang: ServiceLanguage): ServiceFrontend {
  const parsers = createParsers();
  return {
    language: lang.language,
    version: lang.version,
    accepts: (path, head) => lang.accepts(path, head),
    ...(lang.prepare ? { prepare: (tree: readonly TreeFile[]) => lang.prepare!(tree) } : {}),
    async analyze(file, context): Promise<FileAnalysis> {
      const result: FileAnalysis = {
        source: { path: file.path, language: lang.language, sha256: '', lines: 0 },
        programs: [],
        operations: [],
        rules: [],
        diagnostics: [],
        facts: emptyFacts(),
      };
      const tree = await parsers.parse(lang.grammarFor(file.path), file.text);
      const errors = syntaxErrorLines(tree);
      if (errors.length > 0) {
        result.diagnostics.push({
          path: file.path,
          line: errors[0]!,
          severity: 'warning',
          message: `syntax the ${lang.language} grammar does not accept at line${errors.length > 1 ? 's' : ''} ${errors.join(', ')}; routes in those parts may be missed`,
        });
      }
      try {
        const extracted = lang.extract({ path: file.path, text: file.text, tree, context });
        result.facts = extracted.facts;
        result.rules = extracted.rules;
        result.diagnostics.push(...extracted.diagnostics);
        if (extracted.programs) result.programs = extracted.programs;
      } catch (err) {
        result.diagnostics.push({
          path: file.path,
          line: 1,
          severity: 'error',
          message: `internal error in the ${lang.language} analyzer, this file is not analyzed: ${(err as Error)?.message ?? String(err)}`,
        });
      }
      return result;
    },
    link: (files) => linkServiceFiles(files, { language: lang.language, frameworks: lang.frameworks }),
  };
}
