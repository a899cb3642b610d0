import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeFixture, diagnosticSummaries, expected, operations, ruleSummaries, subsetMismatches } from './harness.js';

/**
 * One fixture per framework idiom (test/fixtures/csharp/<case>, written for these tests), run
 * through `analyze()` + `buildOutputs()`. The operations (`METHOD /path` with operationId,
 * parameters `name:in` (`!` = required), statuses, request body), the rules and the diagnostics
 * must equal expected.json exactly; its hand-written `details` must be present in openapi.yaml.
 * Regenerate with `FICUS_UPDATE_GOLDEN=1 node --test dist/test/analyzers/csharp/` and review the diff.
 */
const cases: { name: string; idioms: string }[] = [
  { name: 'controllers', idioms: '[ApiController], [controller] token, Name=, ProducesResponseType, ActionResult<T>, absolute ~/ and / routes, convention binding' },
  { name: 'inheritance', idioms: 'base controller routes across files, generic CRUD base, several [Route]s, [action]/[ActionName], AcceptVerbs, two verbs' },
  { name: 'minimal', idioms: 'MapGet..MapMethods, nested MapGroup, method-group handlers in another file, Results/TypedResults, WithName, Produces<T>' },
  { name: 'versioning', idioms: 'Asp.Versioning query api-version (NewVersionedApi/HasApiVersion, [ApiVersion]) or {version:apiVersion} in the URL, [AsParameters] with services and [FromHeader] properties' },
  { name: 'webapi2', idioms: 'Web API 2 RoutePrefix + Route, verbs from method names, [FromUri], constants in routes, HttpResponseMessage' },
  { name: 'validation', idioms: 'FluentValidation, DataAnnotations, guard clauses, calculations, decisions' },
  { name: 'exceptions', idioms: 'thrown exceptions as responses: status passed to the base class, middleware switch and catch mappings' },
  { name: 'binding', idioms: 'IFormFile/[FromForm] multipart, [FromRoute(Name)], [FromHeader], [Required] query, MapPatch, Produces<T>/ProducesProblem/ProducesValidationProblem, records with bodies, Dictionary, arrays, [JsonProperty], MinLength/MaxLength/Url' },
  { name: 'route-attributes', idioms: 'route attributes the application declares (IRouteTemplateProvider, HttpPutAttribute subclasses, chained constructors) used across files, inherited by generic base controllers, [NonAction] overrides; a filter attribute is no route' },
  { name: 'conventional', idioms: 'conventional routing: a diagnostic, no invented operation' },
  { name: 'no-routes', idioms: 'no routes: no operation and the info diagnostic' },
  { name: 'broken', idioms: 'syntax errors: a diagnostic with lines, the rest still analyzed' },
];

describe('C# fixtures', () => {
  for (const c of cases) {
    test(`${c.name}: ${c.idioms}`, async () => {
      const run = await analyzeFixture(c.name);
      const actual = { operations: operations(run.doc), rules: ruleSummaries(run.rules), diagnostics: diagnosticSummaries(run.rules) };
      const want = expected(c.name, actual);
      assert.deepEqual(Object.keys(actual.operations), Object.keys(want.operations), 'operations');
      assert.deepEqual(actual.operations, want.operations);
      assert.deepEqual(actual.rules, want.rules);
      assert.deepEqual(actual.diagnostics, want.diagnostics);
      if (want.details !== undefined) assert.deepEqual(subsetMismatches(want.details, run.doc), []);
    });
  }
});
