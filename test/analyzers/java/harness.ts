/** Runs the Java frontend on a fixture of test/fixtures/java through analyze() and buildOutputs(). */
import { join } from 'node:path';
import { parse } from 'yaml';
import { analyze } from '../../../analyzers/analyze.js';
import { javaFrontend } from '../../../analyzers/java/index.js';
import { buildOutputs, type RulesDocument } from '../../../analyzers/output.js';
import { repoRoot } from '../../helpers/tmp.js';

export const fixtures = join(repoRoot, 'test', 'fixtures', 'java');

export type Doc = {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};

export async function analyzeFixture(name: string): Promise<{ doc: Doc; rules: RulesDocument; yaml: string }> {
  const result = await analyze({ paths: [join(fixtures, name)], frontends: [javaFrontend] });
  const outputs = buildOutputs(result, { toolVersion: '0.0.0-test' });
  return { doc: parse(outputs.files['openapi.yaml']) as Doc, rules: outputs.rules, yaml: outputs.files['openapi.yaml'] };
}

