/**
 * Runs the PHP frontend over a fixture tree through the real `analyze()` + `buildOutputs()` path
 * and reads back the generated OpenAPI document and rules.json, as a user of `ficus analyze` sees them.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { analyze } from '../../../analyzers/analyze.js';
import { buildOutputs, type RulesDocument } from '../../../analyzers/output.js';
import { phpFrontend } from '../../../analyzers/php/index.js';
import { repoRoot } from '../../helpers/tmp.js';

export const fixtures = join(repoRoot, 'test', 'fixtures', 'php');

export const validateRules = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(
  JSON.parse(readFileSync(join(repoRoot, 'specs', 'rules.schema.json'), 'utf8')) as object,
);

export interface OpenApiOperation {
  operationId: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }> }>;
  'x-ficus-rules'?: string[];
}

export interface OpenApiDoc {
  paths?: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, Record<string, unknown>> };
}

export interface Run {
  yaml: string;
  doc: OpenApiDoc;
  rules: RulesDocument;
  /** `METHOD /path` → operation. */
  operations: Map<string, OpenApiOperation>;
}

/** Analyzes a directory (a fixture case or a temporary tree) with the PHP frontend only. */
export async function runPhp(dir: string): Promise<Run> {
  const result = await analyze({ paths: [dir], frontends: [phpFrontend] });
  const outputs = buildOutputs(result, { toolVersion: '0.0.0-test' });
  const yaml = outputs.files['openapi.yaml'];
  const doc = parse(yaml) as OpenApiDoc;
  const operations = new Map<string, OpenApiOperation>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) operations.set(`${method.toUpperCase()} ${path}`, op);
  }
  return { yaml, doc, rules: outputs.rules, operations };
}

/** Follows one `$ref` into `components.schemas`. */
export function deref(doc: OpenApiDoc, schema: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const ref = schema?.$ref;
  if (typeof ref !== 'string') return schema;
  return doc.components?.schemas?.[ref.replace('#/components/schemas/', '')];
}
