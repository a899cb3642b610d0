import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { analyze } from '../../../analyzers/analyze.js';
import { csharpFrontend } from '../../../analyzers/csharp/index.js';
import { buildOutputs } from '../../../analyzers/output.js';
import { repoRoot, tempDir } from '../../helpers/tmp.js';
import { writeTree } from '../toy-tree.js';
import { analyzeFixture, fixturesRoot, operations } from './harness.js';

const validateRules = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(
  JSON.parse(readFileSync(join(repoRoot, 'specs', 'rules.schema.json'), 'utf8')) as object,
);

test('every fixture: openapi.yaml is valid OpenAPI 3.1 and rules.json follows specs/rules.schema.json', async () => {
  const cases = readdirSync(fixturesRoot, { withFileTypes: true }).filter((d) => d.isDirectory());
  assert.ok(cases.length >= 8);
  for (const c of cases) {
    const run = await analyzeFixture(c.name);
    const validator = new Validator();
    const res = await validator.validate(run.outputs.files['openapi.yaml']);
    assert.equal(res.valid, true, `${c.name}: ${JSON.stringify(res.errors, null, 2)}`);
    assert.equal(validator.version, '3.1');
    assert.ok(validateRules(run.rules), `${c.name}: ${JSON.stringify(validateRules.errors, null, 2)}`);
    // Every rule an operation lists exists, and every rule naming an operation is listed by it.
    for (const item of Object.values(run.doc.paths)) {
      for (const op of Object.values(item)) {
        for (const id of op['x-ficus-rules'] ?? []) assert.equal(run.rules.rules.find((r) => r.id === id)?.operation, op.operationId, `${c.name}: ${id}`);
      }
    }
  }
});

test('all fixtures together: one consistent document, no conflicting operation or schema', async () => {
  const result = await analyze({ paths: [fixturesRoot], frontends: [csharpFrontend] });
  const outputs = buildOutputs(result, { toolVersion: '0.0.0-test' });
  const res = await new Validator().validate(outputs.files['openapi.yaml']);
  assert.equal(res.valid, true, JSON.stringify(res.errors));
  const conflicts = outputs.rules.diagnostics.filter((d) => /already defined|differs from the one/.test(d.message));
  assert.deepEqual(conflicts, []);
});

test('a file without routes: no operation, and the info diagnostic says what was looked for', async () => {
  const run = await analyzeFixture('no-routes');
  assert.deepEqual(run.result.files.flatMap((f) => f.operations), []);
  assert.deepEqual(
    run.rules.diagnostics.map((d) => [d.path, d.line, d.severity]),
    [['Domain.cs', 1, 'info']],
  );
  assert.match(run.rules.diagnostics[0]!.message, /no HTTP routes found in the 1 csharp file analyzed \(looked for ASP\.NET Core controllers, minimal APIs/);
});

test('broken syntax: a warning with the lines, no crash, the parseable routes still written', async () => {
  const run = await analyzeFixture('broken');
  assert.deepEqual(
    run.rules.diagnostics.map((d) => [d.path, d.line, d.severity]),
    [['BrokenController.cs', 10, 'warning']],
  );
  assert.match(run.rules.diagnostics[0]!.message, /lines 10, 17/);
  assert.deepEqual(Object.keys(operations(run.doc)), ['GET /api/broken/{id}', 'POST /api/broken']);
});

test('garbage, empty and binary-looking .cs files never abort the run', async (t) => {
  const root = writeTree(t, {
    'src/Empty.cs': '',
    'src/Garbage.cs': '}}}} class { [HttpGet("x")] public void ( {{ \u0000 \n'.repeat(50),
    'src/Deep.cs': `class A { void M() { var x = ${'('.repeat(3000)}1${')'.repeat(3000)}; } }`,
    'src/Ok.cs': '[ApiController][Route("ok")] public class OkController : ControllerBase { [HttpGet] public int Get() => 1; }',
  });
  const result = await analyze({ paths: [join(root, 'src')], frontends: [csharpFrontend] });
  const outputs = buildOutputs(result, { toolVersion: '0.0.0-test' });
  assert.deepEqual(Object.keys(operations(parse(outputs.files['openapi.yaml']) as never)), ['GET /ok']);
  assert.ok(outputs.rules.diagnostics.some((d) => d.path === 'Garbage.cs' && d.severity === 'warning' && d.line >= 1));
  assert.ok(!outputs.rules.diagnostics.some((d) => d.severity === 'error'), JSON.stringify(outputs.rules.diagnostics));
});

test('prepare: <Nullable>enable</Nullable> makes non-nullable reference types required; a global JsonStringEnumConverter makes enums strings', async (t) => {
  const files = {
    'src/Api.csproj': '<Project><PropertyGroup><Nullable>enable</Nullable></PropertyGroup></Project>',
    'src/Program.cs': 'builder.Services.AddControllers().AddJsonOptions(o => o.JsonSerializerOptions.Converters.Add(new JsonStringEnumConverter()));',
    'src/ThingsController.cs': [
      '[ApiController, Route("things")]',
      'public class ThingsController : ControllerBase',
      '{',
      '    [HttpPost] public Thing Create(Thing thing, string tag, string? note) => thing;',
      '}',
      'public class Thing { public string Name { get; set; } = default!; public string? Nick { get; set; } public Color Color { get; set; } public List<string> Tags { get; set; } = new(); }',
      'public enum Color { Red, Green }',
    ].join('\n'),
  };
  const root = writeTree(t, files);
  const result = await analyze({ paths: [join(root, 'src')], frontends: [csharpFrontend] });
  const doc = parse(buildOutputs(result, { toolVersion: '0.0.0-test' }).files['openapi.yaml']) as {
    paths: Record<string, Record<string, { parameters: { name: string; required?: boolean }[] }>>;
    components: { schemas: Record<string, { required?: string[]; type?: string; enum?: unknown[] }> };
  };
  assert.deepEqual(doc.components.schemas.Thing!.required, ['name']);
  const { type, enum: values } = doc.components.schemas.Color!;
  assert.deepEqual({ type, values }, { type: 'string', values: ['Red', 'Green'] });
  assert.deepEqual(
    doc.paths['/things']!.post!.parameters.map((p) => [p.name, p.required ?? false]),
    [
      ['tag', true],
      ['note', false],
    ],
  );
});

test('ficus analyze CLI on a C# tree: exit 0, the three files, operations counted', (t) => {
  const out = join(tempDir(t), 'out');
  const cwd = tempDir(t);
  writeFileSync(join(cwd, 'ficus.yaml'), `store:\n  path: ${join(cwd, 'ficus.db')}\n`);
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli', 'ficus.js'), 'analyze', join(fixturesRoot, 'minimal'), '--out', out, '--no-cache'], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /3 files \(3 analyzed, 0 cached, 0 failed\).*, 10 operations;/);
  const rules = JSON.parse(readFileSync(join(out, 'rules.json'), 'utf8')) as { sources: { language: string }[] };
  assert.deepEqual([...new Set(rules.sources.map((s) => s.language))], ['csharp']);
  assert.match(readFileSync(join(out, 'openapi.yaml'), 'utf8'), /operationId: CreateTodo/);
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /## Rules/);
});
