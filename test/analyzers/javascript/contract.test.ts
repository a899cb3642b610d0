import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { repoRoot, tempDir } from '../../helpers/tmp.js';
import { analyzeFixture, fixturesRoot } from './harness.js';

const validateRules = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(
  JSON.parse(readFileSync(join(repoRoot, 'specs', 'rules.schema.json'), 'utf8')) as object,
);

const cases = ['express-require', 'express-esm-ts', 'express-validators', 'koa-router', 'fastify-plugins', 'nest-controller', 'no-routes', 'broken'];

for (const name of cases) {
  test(`${name}: openapi.yaml is valid OpenAPI 3.1 and rules.json follows specs/rules.schema.json`, async () => {
    const { outputs } = await analyzeFixture(name);
    const validator = new Validator();
    const res = await validator.validate(outputs.files['openapi.yaml']);
    assert.equal(res.valid, true, JSON.stringify(res.errors, null, 2));
    assert.equal(validator.version, '3.1');
    const rules = JSON.parse(outputs.files['rules.json']) as unknown;
    assert.ok(validateRules(rules), JSON.stringify(validateRules.errors, null, 2));
  });
}

test('ficus analyze on a TypeScript Express service: exit 0, the contract written and valid', async (t) => {
  const out = join(tempDir(t), 'out');
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli', 'ficus.js'), 'analyze', join(fixturesRoot, 'express-esm-ts'), '--out', out, '--no-cache'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    cwd: tempDir(t),
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  // expected.json is the one file no frontend reads.
  assert.match(r.stdout, /9 files \(9 analyzed, 0 cached, 0 failed\), 1 ignored; 0 programs, \d+ rules, 6 operations; diagnostics: 0 errors, 0 warnings, 0 info/);
  const res = await new Validator().validate(readFileSync(join(out, 'openapi.yaml'), 'utf8'));
  assert.equal(res.valid, true, JSON.stringify(res.errors));
  assert.ok(validateRules(JSON.parse(readFileSync(join(out, 'rules.json'), 'utf8'))), JSON.stringify(validateRules.errors));
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /src\/routes\/transfers\.ts:8-10/);
});
