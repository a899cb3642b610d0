import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { repoRoot } from '../../helpers/tmp.js';
import { analyzeFixture, assertExpected, expectedOf, fixturesRoot } from './harness.js';

const validateRules = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(
  JSON.parse(readFileSync(join(repoRoot, 'specs', 'rules.schema.json'), 'utf8')) as object,
);

const cases = readdirSync(fixturesRoot, { withFileTypes: true })
  .filter((d) => d.isDirectory() && expectedOf(d.name) !== undefined)
  .map((d) => d.name)
  .sort();

test('every Python fixture with an expected spec has one', () => {
  assert.ok(cases.length >= 5, cases.join(', '));
});

for (const name of cases) {
  test(`fixture ${name}: operations, parameters and statuses as expected.json says; valid OpenAPI 3.1 and rules.json`, async () => {
    const { outputs, doc, result } = await analyzeFixture(name);
    assertExpected(doc, expectedOf(name)!);
    const res = await new Validator().validate(outputs.files['openapi.yaml']);
    assert.equal(res.valid, true, JSON.stringify(res.errors, null, 2));
    assert.ok(validateRules(outputs.rules), JSON.stringify(validateRules.errors, null, 2));
    const problems = result.files.flatMap((f) => f.diagnostics).filter((d) => d.severity !== 'info');
    assert.deepEqual(problems, [], 'no warnings on a fixture');
  });
}
