/**
 * Golden fixtures of the PHP frontend, one per framework idiom (test/fixtures/php/<case>/, each
 * with expected.json): the operations `METHOD /path` are compared exactly; for each operation the
 * listed parameters (name, location, and type when given), statuses and body properties must be
 * present (a subset of what is generated). Every generated openapi.yaml must be valid OpenAPI 3.1
 * and every rules.json valid against specs/rules.schema.json.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { deref, fixtures, runPhp, validateRules, type OpenApiDoc, type OpenApiOperation } from './harness.js';

interface ExpectedOperation {
  /** [name, in] or [name, in, schema type]. */
  parameters?: [string, string, string?][];
  statuses?: string[];
  /** [name, in] that must not be generated (an input key that is a body property, not a parameter). */
  absentParameters?: [string, string][];
  /** Properties of the JSON request body. */
  body?: string[];
  /** Properties the JSON request body must not have (keys read from the query string). */
  absentBody?: string[];
  /** Properties of the form request body. */
  formBody?: string[];
  bodyRef?: string;
  noBody?: boolean;
  responseRef?: string;
}

interface ExpectedRule {
  kind: string;
  path: string;
  startLine: number;
  endLine: number;
  condition?: string;
  effects?: string[];
  operation?: string;
}

interface Expected {
  operations: Record<string, ExpectedOperation>;
  schemas?: Record<string, unknown>;
  rules?: ExpectedRule[];
}

const cases = readdirSync(fixtures).filter((c) => existsSync(join(fixtures, c, 'expected.json')));

function bodyProperties(doc: OpenApiDoc, op: OpenApiOperation, media: string): string[] {
  const keys = (schema: Record<string, unknown> | undefined): string[] => {
    const s = deref(doc, schema);
    return [...((s?.allOf as Record<string, unknown>[] | undefined) ?? []).flatMap(keys), ...Object.keys((s?.properties as Record<string, unknown> | undefined) ?? {})];
  };
  return keys(op.requestBody?.content[media]?.schema);
}

for (const name of cases) {
  test(`php fixture ${name}: operations, parameters, statuses, bodies`, async () => {
    const expected = JSON.parse(readFileSync(join(fixtures, name, 'expected.json'), 'utf8')) as Expected;
    const run = await runPhp(join(fixtures, name));
    assert.deepEqual([...run.operations.keys()].sort(), Object.keys(expected.operations).sort(), 'operations');
    for (const [key, want] of Object.entries(expected.operations)) {
      const op = run.operations.get(key)!;
      const params = op.parameters ?? [];
      for (const [pname, loc, type] of want.parameters ?? []) {
        const p = params.find((x) => x.name === pname && x.in === loc);
        assert.ok(p, `${key}: parameter ${pname} in ${loc}; got ${JSON.stringify(params.map((x) => [x.name, x.in]))}`);
        if (type) assert.equal(p.schema?.type, type, `${key}: type of ${pname}`);
      }
      for (const [pname, loc] of want.absentParameters ?? []) assert.ok(!params.some((x) => x.name === pname && x.in === loc), `${key}: no parameter ${pname} in ${loc}`);
      for (const s of want.statuses ?? []) assert.ok(op.responses[s], `${key}: status ${s}; got ${Object.keys(op.responses).join(', ')}`);
      for (const prop of want.body ?? []) assert.ok(bodyProperties(run.doc, op, 'application/json').includes(prop), `${key}: body property ${prop}`);
      for (const prop of want.absentBody ?? []) assert.ok(!bodyProperties(run.doc, op, 'application/json').includes(prop), `${key}: no body property ${prop}`);
      for (const prop of want.formBody ?? []) assert.ok(bodyProperties(run.doc, op, 'application/x-www-form-urlencoded').includes(prop), `${key}: form property ${prop}`);
      if (want.bodyRef) {
        // The declared type, alone or extended (`allOf`) with what the handler reads besides (files).
        const schema = op.requestBody?.content['application/json']?.schema;
        const ref = (deref(run.doc, schema)?.allOf as Record<string, unknown>[] | undefined)?.[0]?.$ref ?? schema?.$ref;
        assert.equal(ref, `#/components/schemas/${want.bodyRef}`, `${key}: body type`);
      }
      if (want.noBody) assert.equal(op.requestBody, undefined, `${key}: no request body`);
      if (want.responseRef) assert.match(JSON.stringify(deref(run.doc, op.responses['200']?.content?.['application/json']?.schema)), new RegExp(`#/components/schemas/${want.responseRef}"`), `${key}: response type`);
    }
    for (const [sname, schema] of Object.entries(expected.schemas ?? {})) {
      const { 'x-ficus-evidence': _evidence, ...got } = run.doc.components?.schemas?.[sname] ?? {};
      assert.deepEqual(got, schema, `schema ${sname}`);
    }
    for (const want of expected.rules ?? []) {
      const rule = run.rules.rules.find((r) => r.kind === want.kind && r.evidence[0]!.path === want.path && r.evidence[0]!.startLine === want.startLine);
      assert.ok(rule, `rule ${want.kind} at ${want.path}:${want.startLine}; got ${JSON.stringify(run.rules.rules.map((r) => [r.kind, r.evidence[0]]))}`);
      assert.equal(rule.evidence[0]!.endLine, want.endLine, `end line of the rule at ${want.path}:${want.startLine}`);
      if (want.condition !== undefined) assert.equal(rule.condition, want.condition);
      if (want.effects) assert.deepEqual(rule.effects, want.effects);
      if (want.operation) assert.equal(rule.operation, want.operation);
    }
    if (expected.rules) assert.equal(run.rules.rules.length, expected.rules.length, `rules: ${JSON.stringify(run.rules.rules.map((r) => [r.kind, r.evidence[0]]))}`);
  });

  test(`php fixture ${name}: openapi.yaml is OpenAPI 3.1, rules.json follows its schema`, async () => {
    const run = await runPhp(join(fixtures, name));
    const validator = new Validator();
    const res = await validator.validate(run.yaml);
    assert.equal(res.valid, true, JSON.stringify(res.errors, null, 2));
    assert.equal(validator.version, '3.1');
    assert.ok(validateRules(JSON.parse(JSON.stringify(run.rules))), JSON.stringify(validateRules.errors));
  });
}
