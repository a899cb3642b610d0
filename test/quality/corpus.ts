/**
 * The issue 6 quality corpus manifest (test/quality/corpus.json): its shape, its validation, and the
 * bar a project's comparison is judged against. run.ts reads it; fetch-corpus.sh reads the same file.
 */
import type { SpecComparison } from './spec-recall.js';

/** `METHOD /path` plus why. */
export interface Adjustment {
  operation: string;
  reason: string;
}

/** `METHOD /path`, a parameter of it as `in name` (`header X-Flow-Id`), plus why. */
export interface ParameterAdjustment {
  operation: string;
  parameter: string;
  reason: string;
}

/** One corpus project (test/quality/corpus.json). */
export interface CorpusProject {
  name: string;
  repo: string;
  commit: string;
  framework: string;
  language: string;
  sourceDirs: string[];
  extract?: string[];
  removeFromInput: string[];
  /**
   * The published spec. `union`: more spec files at the same repo and commit; REFERENCE.yaml is then the
   * union of `path` and these (union-specs.ts), for a service that publishes one document per API version.
   */
  reference: { repo: string; commit: string; path: string; union?: string[]; note?: string };
  base: { strip: string[]; note?: string };
  ignoreCase?: boolean;
  exclusions: Adjustment[];
  codeOnly: Adjustment[];
  /** Reference parameters the code verifiably does not read (documented only): removed from the reference. */
  parameterExclusions: ParameterAdjustment[];
  /** Why this project is shown but not counted towards the bar. */
  informational?: string;
  notes?: string;
}

export interface Bar {
  operationRecall: number;
  operationPrecision: number;
  queryRecall: number;
  headerRecall: number;
}

export interface CorpusManifest {
  bar: Bar;
  projects: CorpusProject[];
}

/** A manifest that does not have the shape above. */
export class ManifestInvalidError extends Error {
  static readonly code = 'FICUS_QA_MANIFEST_INVALID';
  readonly code = ManifestInvalidError.code;
  constructor(reason: string) {
    super(reason);
    this.name = 'ManifestInvalidError';
  }
}

/** Checks the untyped manifest against the shape the runner and fetch-corpus.sh rely on. */
export function validateManifest(value: unknown): CorpusManifest {
  const fail = (why: string): never => {
    throw new ManifestInvalidError(why);
  };
  const obj = (v: unknown, where: string): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(`${where} is not an object`);
  const str = (v: unknown, where: string): string => (typeof v === 'string' && v !== '' ? v : fail(`${where} is not a non-empty string`));
  const strs = (v: unknown, where: string): string[] => (Array.isArray(v) ? v.map((s, i) => str(s, `${where}[${i}]`)) : fail(`${where} is not an array`));
  const num = (v: unknown, where: string): number => (typeof v === 'number' && v >= 0 && v <= 1 ? v : fail(`${where} is not a ratio`));
  const adjustments = (v: unknown, where: string): Adjustment[] =>
    Array.isArray(v)
      ? v.map((a, i) => {
          const o = obj(a, `${where}[${i}]`);
          const operation = str(o.operation, `${where}[${i}].operation`);
          if (!/^[A-Za-z]+ \/\S*$/.test(operation)) fail(`${where}[${i}].operation ${JSON.stringify(operation)} is not "METHOD /path"`);
          return { operation, reason: str(o.reason, `${where}[${i}].reason`) };
        })
      : fail(`${where} is not an array`);
  const parameterAdjustments = (v: unknown, where: string): ParameterAdjustment[] =>
    Array.isArray(v)
      ? v.map((a, i) => {
          const o = obj(a, `${where}[${i}]`);
          const { operation, reason } = adjustments([{ operation: o.operation, reason: o.reason }], where)[0]!;
          const parameter = str(o.parameter, `${where}[${i}].parameter`);
          if (!/^(query|header|cookie) \S+$/.test(parameter)) fail(`${where}[${i}].parameter ${JSON.stringify(parameter)} is not "query|header|cookie name"`);
          return { operation, parameter, reason };
        })
      : fail(`${where} is not an array`);

  const root = obj(value, 'the manifest');
  const bar = obj(root.bar, 'bar');
  if (!Array.isArray(root.projects)) fail('projects is not an array');
  const names = new Set<string>();
  const projects = (root.projects as unknown[]).map((raw, i): CorpusProject => {
    const p = obj(raw, `projects[${i}]`);
    const name = str(p.name, `projects[${i}].name`);
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) fail(`projects[${i}].name ${JSON.stringify(name)} is not kebab-case`);
    if (names.has(name)) fail(`project ${name} is listed twice`);
    names.add(name);
    const at = `project ${name}`;
    const ref = obj(p.reference, `${at}: reference`);
    const base = obj(p.base, `${at}: base`);
    const commit = str(p.commit, `${at}: commit`);
    if (!/^[0-9a-f]{40}$/.test(commit)) fail(`${at}: commit is not a full sha`);
    return {
      name,
      repo: str(p.repo, `${at}: repo`),
      commit,
      framework: str(p.framework, `${at}: framework`),
      language: str(p.language, `${at}: language`),
      sourceDirs: strs(p.sourceDirs, `${at}: sourceDirs`),
      ...(p.extract !== undefined ? { extract: strs(p.extract, `${at}: extract`) } : {}),
      removeFromInput: strs(p.removeFromInput ?? [], `${at}: removeFromInput`),
      reference: {
        repo: str(ref.repo, `${at}: reference.repo`),
        commit: str(ref.commit, `${at}: reference.commit`),
        path: str(ref.path, `${at}: reference.path`),
        ...(ref.union !== undefined ? { union: strs(ref.union, `${at}: reference.union`) } : {}),
        ...(ref.note !== undefined ? { note: str(ref.note, `${at}: reference.note`) } : {}),
      },
      base: { strip: strs(base.strip, `${at}: base.strip`), ...(base.note !== undefined ? { note: str(base.note, `${at}: base.note`) } : {}) },
      ...(p.ignoreCase !== undefined ? { ignoreCase: p.ignoreCase === true } : {}),
      exclusions: adjustments(p.exclusions ?? [], `${at}: exclusions`),
      codeOnly: adjustments(p.codeOnly ?? [], `${at}: codeOnly`),
      parameterExclusions: parameterAdjustments(p.parameterExclusions ?? [], `${at}: parameterExclusions`),
      ...(p.informational !== undefined ? { informational: str(p.informational, `${at}: informational`) } : {}),
      ...(p.notes !== undefined ? { notes: str(p.notes, `${at}: notes`) } : {}),
    };
  });
  return {
    bar: {
      operationRecall: num(bar.operationRecall, 'bar.operationRecall'),
      operationPrecision: num(bar.operationPrecision, 'bar.operationPrecision'),
      queryRecall: num(bar.queryRecall, 'bar.queryRecall'),
      headerRecall: num(bar.headerRecall, 'bar.headerRecall'),
    },
    projects,
  };
}

/** Which bar lines a comparison misses (empty: it meets the bar). A location with nothing to recall is not judged. */
export function barFailures(c: SpecComparison, bar: Bar): string[] {
  const failures: string[] = [];
  const below = (value: number | null, min: number) => value === null || value < min;
  if (below(c.operations.recall, bar.operationRecall)) failures.push(`operation recall < ${bar.operationRecall}`);
  if (below(c.operations.precision, bar.operationPrecision)) failures.push(`operation precision < ${bar.operationPrecision}`);
  if (c.parameters.query.reference > 0 && below(c.parameters.query.recall, bar.queryRecall)) failures.push(`query recall < ${bar.queryRecall}`);
  if (c.parameters.header.reference > 0 && below(c.parameters.header.recall, bar.headerRecall)) failures.push(`header recall < ${bar.headerRecall}`);
  return failures;
}
