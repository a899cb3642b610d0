/**
 * The published admin contract (specs/admin-api.openapi.yaml) as a test assertion: a response
 * body must match the schema the contract gives for its path, method and status, so spec and
 * code cannot drift. Shared by every test that calls the admin API.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/tmp.js';

const spec = parse(readFileSync(join(repoRoot, 'specs', 'admin-api.openapi.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: Record<string, { schema: object }> }> }>>;
  components: { responses: Record<string, { content: Record<string, { schema: object }> }> };
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema({ $id: 'admin', components: spec.components } as object);

/** Asserts `body` is what the contract promises for `method path` answering `status`. */
export function assertMatchesSpec(path: string, method: string, status: number, body: unknown): void {
  const op = spec.paths[path]?.[method];
  assert.ok(op, `spec has ${method.toUpperCase()} ${path}`);
  let response = op.responses[String(status)];
  assert.ok(response, `spec documents ${status} for ${method.toUpperCase()} ${path}`);
  if (response.$ref) response = spec.components.responses[response.$ref.split('/').pop()!]!;
  const schema = response.content?.['application/json']?.schema;
  assert.ok(schema, `${method} ${path} ${status} has a JSON schema`);
  const rewritten = JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"admin#/components/')) as object;
  const validate = ajv.compile(rewritten);
  assert.ok(validate(body), `${method.toUpperCase()} ${path} ${status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
}
