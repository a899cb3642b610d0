/** Shared setup for the JS/TS frontend tests: run the real `analyze()` + `buildOutputs()` over test/fixtures/javascript/<case>. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenAPIV3_1 } from 'openapi-types';
import { analyze, type AnalyzeResult } from '../../../analyzers/analyze.js';
import { javascriptFrontend } from '../../../analyzers/javascript/index.js';
import { buildOutputs, type Outputs } from '../../../analyzers/output.js';
import { repoRoot } from '../../helpers/tmp.js';

export const fixturesRoot = join(repoRoot, 'test', 'fixtures', 'javascript');

export async function analyzeFixture(name: string): Promise<{ result: AnalyzeResult; outputs: Outputs }> {
  const result = await analyze({ paths: [join(fixturesRoot, name)], frontends: [javascriptFrontend] });
  return { result, outputs: buildOutputs(result, { toolVersion: '0.0.0-test' }) };
}

/** One operation as the expected.json files describe it. */
export interface OperationSummary {
  operationId: string;
  /** `in:name`, sorted. */
  params: string[];
  statuses: string[];
  body: boolean;
  rules: number;
}

/** `METHOD /path` → summary, from a generated document. */
export function operationsOf(doc: OpenAPIV3_1.Document): Record<string, OperationSummary> {
  const out: Record<string, OperationSummary> = {};
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item ?? {}) as [string, OpenAPIV3_1.OperationObject & { 'x-ficus-rules'?: string[] }][]) {
      out[`${method.toUpperCase()} ${path}`] = {
        operationId: op.operationId ?? '',
        params: ((op.parameters ?? []) as OpenAPIV3_1.ParameterObject[]).map((p) => `${p.in}:${p.name}`).sort(),
        statuses: Object.keys(op.responses ?? {}).sort(),
        body: op.requestBody !== undefined,
        rules: (op['x-ficus-rules'] ?? []).length,
      };
    }
  }
  return out;
}

export interface Expected {
  operations: Record<string, Partial<OperationSummary>>;
}

export function expectedOf(name: string): Expected {
  return JSON.parse(readFileSync(join(fixturesRoot, name, 'expected.json'), 'utf8')) as Expected;
}
