/**
 * Shared setup for the Python frontend tests: runs the real `analyze()` + `buildOutputs()` path
 * over a fixture directory of test/fixtures/python, and compares the generated OpenAPI document
 * with the fixture's expected.json (operations exactly; per operation, parameters exactly and the
 * other details as a subset).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenAPIV3_1 } from 'openapi-types';
import { analyze, type AnalyzeResult } from '../../../analyzers/analyze.js';
import { buildOutputs, type Outputs } from '../../../analyzers/output.js';
import { pythonFrontend } from '../../../analyzers/python/index.js';
import { repoRoot } from '../../helpers/tmp.js';

export const fixturesRoot = join(repoRoot, 'test', 'fixtures', 'python');

export interface FixtureRun {
  result: AnalyzeResult;
  outputs: Outputs;
  doc: OpenAPIV3_1.Document;
}

/** Analyzes `test/fixtures/python/<name>` (or an absolute directory) with the Python frontend. */
export async function analyzeFixture(name: string): Promise<FixtureRun> {
  const dir = name.startsWith('/') ? name : join(fixturesRoot, name);
  const result = await analyze({ paths: [dir], frontends: [pythonFrontend], cwd: repoRoot });
  const outputs = buildOutputs(result, { toolVersion: '0.0.0-test' });
  return { result, outputs, doc: outputs.openapi };
}

export type Op = OpenAPIV3_1.OperationObject & { 'x-ficus-rules'?: string[] };

/** `METHOD /path` → operation. */
export function operations(doc: OpenAPIV3_1.Document): Map<string, Op> {
  const out = new Map<string, Op>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const op = (item as Record<string, Op | undefined>)[method];
      if (op) out.set(`${method.toUpperCase()} ${path}`, op);
    }
  }
  return out;
}

export interface ExpectedOperation {
  /** `in:name`, compared exactly (order ignored). */
  parameters?: string[];
  /** Statuses that must be among the responses. */
  statuses?: string[];
  /** Statuses that must not be among the responses. */
  notStatuses?: string[];
  /** Path parameter → JSON Schema type. */
  pathTypes?: Record<string, string>;
  requestContentType?: string;
  /** Properties the request body schema (resolved through components) requires. */
  requestRequired?: string[];
  /** `$ref` name (or `array of <name>`) of the request body schema. */
  requestSchema?: string;
  /** Status → `$ref` name (or `array of <name>`) of its response schema. */
  responseSchemas?: Record<string, string>;
  /** Status → the media type of its response body. */
  responseContentTypes?: Record<string, string>;
  /** Parameters that are required, as `in:name`. */
  required?: string[];
  /** Parameter `in:name` → JSON Schema keywords it must have (subset). */
  parameterSchemas?: Record<string, Record<string, unknown>>;
}

export function expectedOf(name: string): { operations: Record<string, ExpectedOperation> } | undefined {
  const file = join(fixturesRoot, name, 'expected.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { operations: Record<string, ExpectedOperation> }) : undefined;
}

/** A schema's type name; an array (also one output.ts hoisted into components) as `array of <name>`. */
function schemaName(doc: OpenAPIV3_1.Document, schema: unknown): string | undefined {
  const s = schema as { $ref?: string; type?: string; items?: unknown } | undefined;
  if (!s) return undefined;
  if (s.$ref) {
    const name = s.$ref.replace('#/components/schemas/', '');
    const target = doc.components?.schemas?.[name] as { type?: string } | undefined;
    return target?.type === 'array' ? schemaName(doc, target) : name;
  }
  if (s.type === 'array') return `array of ${schemaName(doc, s.items) ?? '?'}`;
  return undefined;
}

function resolve(doc: OpenAPIV3_1.Document, schema: unknown): Record<string, unknown> {
  let s = schema as Record<string, unknown> | undefined;
  for (let i = 0; i < 5 && s && typeof s.$ref === 'string'; i++) s = doc.components?.schemas?.[(s.$ref as string).replace('#/components/schemas/', '')] as Record<string, unknown>;
  return s ?? {};
}

/** Asserts the generated document against an expected.json. */
export function assertExpected(doc: OpenAPIV3_1.Document, expected: { operations: Record<string, ExpectedOperation> }): void {
  const ops = operations(doc);
  assert.deepEqual([...ops.keys()].sort(), Object.keys(expected.operations).sort(), 'operations');
  for (const [key, want] of Object.entries(expected.operations)) {
    const op = ops.get(key)!;
    const params = ((op.parameters ?? []) as OpenAPIV3_1.ParameterObject[]).map((p) => `${p.in}:${p.name}`);
    if (want.parameters) assert.deepEqual([...params].sort(), [...want.parameters].sort(), `${key}: parameters`);
    const statuses = Object.keys(op.responses ?? {});
    for (const s of want.statuses ?? []) assert.ok(statuses.includes(s), `${key}: status ${s} in ${statuses.join(', ')}`);
    for (const s of want.notStatuses ?? []) assert.ok(!statuses.includes(s), `${key}: no status ${s} (${statuses.join(', ')})`);
    for (const [name, type] of Object.entries(want.pathTypes ?? {})) {
      const p = ((op.parameters ?? []) as OpenAPIV3_1.ParameterObject[]).find((x) => x.in === 'path' && x.name === name);
      assert.equal((p?.schema as { type?: string } | undefined)?.type, type, `${key}: type of path parameter ${name}`);
    }
    for (const r of want.required ?? []) {
      const p = ((op.parameters ?? []) as OpenAPIV3_1.ParameterObject[]).find((x) => `${x.in}:${x.name}` === r);
      assert.equal(p?.required, true, `${key}: ${r} required`);
    }
    for (const [r, keywords] of Object.entries(want.parameterSchemas ?? {})) {
      const p = ((op.parameters ?? []) as OpenAPIV3_1.ParameterObject[]).find((x) => `${x.in}:${x.name}` === r);
      for (const [k, v] of Object.entries(keywords)) assert.deepEqual((p?.schema as Record<string, unknown> | undefined)?.[k], v, `${key}: ${r} schema ${k}`);
    }
    const body = op.requestBody as OpenAPIV3_1.RequestBodyObject | undefined;
    if (want.requestContentType) assert.deepEqual(Object.keys(body?.content ?? {}), [want.requestContentType], `${key}: request content type`);
    const bodySchema = body ? Object.values(body.content)[0]?.schema : undefined;
    if (want.requestSchema) assert.equal(schemaName(doc, bodySchema), want.requestSchema, `${key}: request schema`);
    if (want.requestRequired) {
      const required = (resolve(doc, bodySchema).required as string[] | undefined) ?? [];
      for (const r of want.requestRequired) assert.ok(required.includes(r), `${key}: request requires ${r} (${required.join(', ')})`);
    }
    for (const [status, type] of Object.entries(want.responseContentTypes ?? {})) {
      const response = op.responses?.[status] as OpenAPIV3_1.ResponseObject | undefined;
      assert.deepEqual(Object.keys(response?.content ?? {}), [type], `${key}: ${status} content type`);
    }
    for (const [status, name] of Object.entries(want.responseSchemas ?? {})) {
      const response = op.responses?.[status] as OpenAPIV3_1.ResponseObject | undefined;
      const schema = response?.content ? Object.values(response.content)[0]?.schema : undefined;
      assert.equal(schemaName(doc, schema), name, `${key}: ${status} response schema`);
    }
  }
}
