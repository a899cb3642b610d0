/**
 * One `ficus analyze` run over a tree that mixes every language (issue #6: "the language is
 * detected per file; one run can mix languages"): each fixture keeps the operations it has when
 * analyzed alone, operation ids stay unique across languages (rules follow a renamed id), and
 * the outputs validate (OpenAPI 3.1, rules.schema.json).
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { analyze } from '../../analyzers/analyze.js';
import { frontends } from '../../analyzers/frontends.js';
import { buildOutputs } from '../../analyzers/output.js';
import { repoRoot, tempDir } from '../helpers/tmp.js';

const FIXTURES: [string, string][] = [
  ['cobol', 'loan'],
  ['java', 'spring-controller'],
  ['csharp', 'controllers'],
  ['php', 'laravel-groups'],
  ['python', 'fastapi-routers'],
  ['javascript', 'express-require'],
];

async function operationsOf(dir: string, includePaths: string[] = []): Promise<{ ops: string[]; languages: Record<string, number> }> {
  const result = await analyze({ paths: [dir], frontends, includePaths });
  const doc = buildOutputs(result, { toolVersion: '0.0.0-test' }).openapi;
  const ops: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) for (const m of Object.keys(item ?? {})) ops.push(`${m.toUpperCase()} ${path}`);
  return { ops: ops.sort(), languages: result.summary.languages };
}

test('one run over every language: the union of what each finds alone, valid outputs', async (t) => {
  const root = tempDir(t);
  const alone: string[] = [];
  for (const [lang, name] of FIXTURES) {
    const src = join(repoRoot, 'test', 'fixtures', lang, name);
    const dest = join(root, lang);
    cpSync(src, dest, { recursive: true });
    const { ops } = await operationsOf(dest, lang === 'cobol' ? [join(dest, 'copybooks')] : []);
    assert.ok(ops.length > 0, `${lang}/${name} alone finds operations`);
    alone.push(...ops);
  }
  const result = await analyze({ paths: [root], frontends, includePaths: [join(root, 'cobol', 'copybooks')] });
  assert.deepEqual(Object.keys(result.summary.languages).sort(), ['cobol', 'csharp', 'java', 'javascript', 'php', 'python']);
  const outputs = buildOutputs(result, { toolVersion: '0.0.0-test' });
  const mixed: string[] = [];
  for (const [path, item] of Object.entries(outputs.openapi.paths ?? {})) for (const m of Object.keys(item ?? {})) mixed.push(`${m.toUpperCase()} ${path}`);
  // Same method and path from two services would be a real conflict; these fixtures have none.
  assert.deepEqual(mixed.sort(), [...new Set(alone)].sort());

  const ids = result.files.flatMap((f) => f.operations.map((o) => o.operationId));
  assert.equal(new Set(ids).size, ids.length, 'operation ids unique across languages');
  const known = new Set(ids);
  for (const rule of result.files.flatMap((f) => f.rules)) if (rule.operation !== null) assert.ok(known.has(rule.operation), `${rule.id} → ${rule.operation}`);

  const res = await new Validator().validate(outputs.files['openapi.yaml']);
  assert.equal(res.valid, true, JSON.stringify(res.errors));
  const validateRules = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync(join(repoRoot, 'specs', 'rules.schema.json'), 'utf8')) as object);
  assert.ok(validateRules(JSON.parse(outputs.files['rules.json'])), JSON.stringify(validateRules.errors));
});

test('the same operation id in two languages: the later one is renamed and its rules follow', async (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'py'));
  mkdirSync(join(root, 'js'));
  writeFileSync(
    join(root, 'py', 'app.py'),
    'from fastapi import FastAPI, HTTPException\n\napp = FastAPI()\n\n\n@app.get("/py/users/{user_id}")\ndef getUser(user_id: int):\n    if user_id < 0:\n        raise HTTPException(status_code=400, detail="bad id")\n    return {}\n',
  );
  writeFileSync(
    join(root, 'js', 'app.js'),
    "const express = require('express');\nconst app = express();\n\nfunction getUser(req, res) {\n  if (!req.params.id) {\n    return res.status(400).json({ error: 'id required' });\n  }\n  res.json({});\n}\n\napp.get('/js/users/:id', getUser);\n\nmodule.exports = app;\n",
  );
  const result = await analyze({ paths: [root], frontends });
  const byLang = new Map(result.files.map((f) => [f.source.language, f]));
  const py = byLang.get('python')!;
  const js = byLang.get('javascript')!;
  const ids = [...py.operations, ...js.operations].map((o) => o.operationId);
  assert.equal(new Set(ids).size, 2, `distinct ids: ${ids.join(', ')}`);
  for (const f of [py, js]) {
    const opId = f.operations[0]!.operationId;
    const guards = f.rules.filter((r) => r.kind === 'validation' && r.operation !== null);
    assert.ok(guards.length > 0, `${f.source.language} has a guard rule tied to its operation`);
    for (const g of guards) assert.equal(g.operation, opId);
  }
  const doc = parse(buildOutputs(result, { toolVersion: '0' }).files['openapi.yaml']) as { paths: Record<string, unknown> };
  assert.deepEqual(Object.keys(doc.paths).sort(), ['/js/users/{id}', '/py/users/{user_id}']);
});
