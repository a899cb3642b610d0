/**
 * Shared setup for the C# frontend tests: runs the real `analyze()` + `buildOutputs()` over a
 * fixture directory under test/fixtures/csharp, and reduces the outputs to what the expected
 * files state: operations (`METHOD /path` → operationId, parameters as `name:in`, statuses,
 * request body), rules (kind, operation, condition, effects, fields, evidence lines) and
 * diagnostics. With FICUS_UPDATE_GOLDEN=1 the `operations`, `rules` and `diagnostics` of
 * expected.json are rewritten (hand-written `details` are kept): review the diff before committing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { analyze, type AnalyzeResult } from '../../../analyzers/analyze.js';
import { csharpFrontend } from '../../../analyzers/csharp/index.js';
import { buildOutputs, type Outputs, type RulesDocument } from '../../../analyzers/output.js';
import { repoRoot } from '../../helpers/tmp.js';

export const fixturesRoot = join(repoRoot, 'test', 'fixtures', 'csharp');

export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}
interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, unknown>;
  'x-ficus-rules'?: string[];
}

export interface Run {
  result: AnalyzeResult;
  outputs: Outputs;
  doc: OpenApiDoc;
  rules: RulesDocument;
}

export async function analyzeFixture(name: string): Promise<Run> {
  const result = await analyze({ paths: [join(fixturesRoot, name)], frontends: [csharpFrontend] });
  const outputs = buildOutputs(result, { toolVersion: '0.0.0-test' });
  return { result, outputs, doc: parse(outputs.files['openapi.yaml']) as OpenApiDoc, rules: outputs.rules };
}

export interface OperationSummary {
  operationId: string;
  parameters: string[];
  responses: string[];
  requestBody?: string;
}

/** Every operation as `METHOD /path` → its id, `name:in` parameters, statuses and body (`media type schema-ref`). */
export function operations(doc: OpenApiDoc): Record<string, OperationSummary> {
  const out: Record<string, OperationSummary> = {};
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      const body = op.requestBody ? Object.entries(op.requestBody.content)[0] : undefined;
      out[`${method.toUpperCase()} ${path}`] = {
        operationId: op.operationId,
        parameters: (op.parameters ?? []).map((p) => `${p.name}:${p.in}${p.required ? '!' : ''}`),
        responses: Object.keys(op.responses),
        ...(body ? { requestBody: `${body[0]} ${body[1].schema.$ref ?? 'inline'}` } : {}),
      };
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function ruleSummaries(rules: RulesDocument): unknown[] {
  return rules.rules.map((r) => ({
    kind: r.kind,
    operation: r.operation,
    statement: r.statement,
    condition: r.condition,
    effects: r.effects,
    fields: r.fields,
    evidence: r.evidence.map((e) => `${e.path}:${e.startLine}-${e.endLine}`),
    ...(r.path ? { path: r.path } : {}),
  }));
}

export function diagnosticSummaries(rules: RulesDocument): string[] {
  return rules.diagnostics.map((d) => `${d.path}:${d.line} ${d.severity} ${d.message}`);
}

export interface Expected {
  operations: Record<string, OperationSummary>;
  rules: unknown[];
  diagnostics: string[];
  /** Hand-written: a subset of openapi.yaml that must be present as written. */
  details?: unknown;
}

/** The expected file of a fixture; rewritten from `actual` with FICUS_UPDATE_GOLDEN=1 (details kept). */
export function expected(name: string, actual: Omit<Expected, 'details'>): Expected {
  const file = join(fixturesRoot, name, 'expected.json');
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Expected) : undefined;
  if (process.env.FICUS_UPDATE_GOLDEN === '1' || !previous) {
    if (process.env.CI === 'true' && !previous) throw new Error(`expected file ${name}/expected.json is missing`);
    const next = { ...actual, ...(previous?.details !== undefined ? { details: previous.details } : {}) };
    writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`);
    return next;
  }
  return previous;
}

/** Paths where `actual` lacks or differs from what `subset` states (arrays: same length, element-wise). */
export function subsetMismatches(subset: unknown, actual: unknown, at = ''): string[] {
  if (subset === null || typeof subset !== 'object') return Object.is(subset, actual) ? [] : [`${at || '/'}: expected ${JSON.stringify(subset)}, got ${JSON.stringify(actual)}`];
  if (Array.isArray(subset)) {
    if (!Array.isArray(actual) || actual.length !== subset.length) return [`${at}: expected ${JSON.stringify(subset)}, got ${JSON.stringify(actual)}`];
    return subset.flatMap((s, i) => subsetMismatches(s, actual[i], `${at}/${i}`));
  }
  if (!actual || typeof actual !== 'object') return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
  return Object.entries(subset).flatMap(([k, v]) => subsetMismatches(v, (actual as Record<string, unknown>)[k], `${at}/${k.replace(/\//g, '~1')}`));
}
