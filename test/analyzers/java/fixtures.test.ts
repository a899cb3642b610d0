/**
 * The Java frontend on the fixtures under test/fixtures/java/<case>/ (written for these tests, one
 * per framework idiom), through the real `analyze()` + `buildOutputs()` path: the operations
 * ("METHOD /path") must be exactly those of expected.json, with exactly its parameters (name:in)
 * and statuses; `details` and `schemas` are compared as subsets of the generated document.
 * Every generated openapi.yaml must validate as OpenAPI 3.1 and rules.json against its schema.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/tmp.js';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { analyzeFixture, fixtures, type Doc } from './harness.js';
const validateRules = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(
  JSON.parse(readFileSync(join(repoRoot, 'specs', 'rules.schema.json'), 'utf8')) as object,
);

interface Expected {
  operations: Record<string, { parameters: string[]; statuses: string[] }>;
  details?: Record<string, unknown>;
  schemas?: Record<string, unknown>;
}

/** True when every key/item of `expected` is in `actual` (arrays: each expected item matches some actual item). */
function isSubset(expected: unknown, actual: unknown): boolean {
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.every((e) => actual.some((a) => isSubset(e, a)));
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([k, v]) => isSubset(v, (actual as Record<string, unknown>)[k]));
  }
  return expected === actual;
}

function operationsOf(doc: Doc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) out[`${method.toUpperCase()} ${path}`] = op;
  return out;
}

const cases = readdirSync(fixtures).filter((d) => existsSync(join(fixtures, d, 'expected.json')));

for (const name of cases) {
  test(`java fixture ${name}: operations, parameters and statuses as expected.json; valid OpenAPI 3.1 and rules.json`, async () => {
    const expected = JSON.parse(readFileSync(join(fixtures, name, 'expected.json'), 'utf8')) as Expected;
    const { doc, rules, yaml } = await analyzeFixture(name);
    const ops = operationsOf(doc);
    assert.deepEqual(Object.keys(ops).sort(), Object.keys(expected.operations).sort(), 'the operations');
    for (const [key, want] of Object.entries(expected.operations)) {
      const op = ops[key] as Doc['paths'][string][string];
      assert.deepEqual((op.parameters ?? []).map((p) => `${p.name}:${p.in}`).sort(), want.parameters, `${key} parameters`);
      assert.deepEqual(Object.keys(op.responses).sort(), want.statuses, `${key} statuses`);
    }
    for (const [key, want] of Object.entries(expected.details ?? {})) {
      assert.ok(isSubset(want, ops[key]), `${key} details: expected ${JSON.stringify(want)}\ngot ${JSON.stringify(ops[key])}`);
    }
    for (const [schema, want] of Object.entries(expected.schemas ?? {})) {
      assert.ok(isSubset(want, doc.components.schemas[schema]), `schema ${schema}: expected ${JSON.stringify(want)}\ngot ${JSON.stringify(doc.components.schemas[schema])}`);
    }
    const validator = new Validator();
    const res = await validator.validate(yaml);
    assert.equal(res.valid, true, JSON.stringify(res.errors, null, 2));
    assert.equal(validator.version, '3.1');
    assert.ok(validateRules(rules), JSON.stringify(validateRules.errors, null, 2));
    assert.deepEqual(rules.diagnostics.filter((d) => d.severity === 'error'), []);
  });
}
