/** Validates events against the published contract, specs/event.schema.json. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { repoRoot } from './tmp.js';

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
(addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(join(repoRoot, 'specs', 'event.schema.json'), 'utf8')) as object);

export function assertValidEvent(event: unknown): void {
  assert.ok(validate(event), `event does not match specs/event.schema.json: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(event).slice(0, 600)}`);
}
