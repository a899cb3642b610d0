import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FileAnalysis } from '../../analyzers/model.js';
import { emptyFacts, type RouteFact, type RouterFact, type ServiceFacts, type TypeFact } from '../../analyzers/service/facts.js';
import { linkServiceFiles } from '../../analyzers/service/link.js';

/**
 * The link step's inheritance support (`RouterFact.bases`, `abstract`, `tokens`, route
 * `tokens`) and per-property bindings of `fromType` expansion (`TypeFact.bindings`), with
 * hand-written facts: language-neutral, as any frontend would produce them.
 */
const ev = (path: string, line: number) => ({ path, startLine: line, endLine: line });

function file(path: string, facts: Partial<ServiceFacts>): FileAnalysis {
  return {
    source: { path, language: 'x', sha256: '', lines: 10 },
    programs: [],
    operations: [],
    rules: [],
    diagnostics: [],
    facts: { ...emptyFacts(), ...facts },
  };
}

const router = (id: string, prefixes: string[], extra: Partial<RouterFact> = {}): RouterFact => ({ id, prefixes, root: true, evidence: ev('x', 1), ...extra });
const route = (routerId: string, method: RouteFact['methods'][number], path: string, handler: string, extra: Partial<RouteFact> = {}): RouteFact => ({
  router: routerId,
  methods: [method],
  paths: [path],
  handler,
  params: [],
  responses: [],
  evidence: ev('x', 2),
  ruleIds: [],
  ...extra,
});

function ops(files: FileAnalysis[]): string[] {
  return files.flatMap((f) => f.operations.map((o) => `${o.method.toUpperCase()} ${o.path} ${o.operationId}`)).sort();
}

test('an abstract base router serves its routes only under each router inheriting it, with their tokens and prefixes', () => {
  const base = file('base.cs', {
    routers: [router('CrudBase', ['api/{{token:controller}}'], { abstract: true, tokens: { controller: 'CrudBase' } })],
    routes: [route('CrudBase', 'get', '', 'CrudBase.List', { operationName: '{{token:controller}}_List' }), route('CrudBase', 'get', '{id}', 'CrudBase.Get')],
  });
  const books = file('books.cs', {
    routers: [router('BooksController', [], { bases: [{ name: 'CrudBase' }], tokens: { controller: 'Books' } })],
    // Overrides `Get`: the base's route for it is not inherited.
    routes: [route('BooksController', 'get', 'by-id/{id}', 'BooksController.Get')],
  });
  const authors = file('authors.cs', {
    routers: [router('AuthorsController', ['v2/writers'], { bases: [{ name: 'CrudBase' }], tokens: { controller: 'Authors' } })],
  });
  const out = linkServiceFiles([base, books, authors], { language: 'x', frameworks: 'x' });
  assert.deepEqual(ops(out), [
    'GET /api/Books Books_List',
    'GET /api/Books/by-id/{id} Get',
    'GET /v2/writers Authors_List',
    'GET /v2/writers/{id} Get_2',
  ]);
  assert.deepEqual(out[0]!.operations, [], 'the abstract base itself serves nothing');
  assert.equal(out[1]!.operations.length, 2, "inherited operations belong to the inheriting router's file");
});

test('route tokens win over router tokens; a token without a value leaves its name', () => {
  const f = file('a.cs', {
    routers: [router('R', ['{{token:area}}/{{token:controller}}/{{token:action}}'], { tokens: { controller: 'Reports' } })],
    routes: [route('R', 'get', '', 'R.Daily', { tokens: { action: 'Daily' } })],
  });
  const out = linkServiceFiles([f], { language: 'x', frameworks: 'x' });
  assert.deepEqual(ops(out), ['GET /area/Reports/Daily Daily']);
});

test('fromType expansion: binding names and locations, skipped services, base-class properties, scalar types as one parameter', () => {
  const types: TypeFact[] = [
    {
      name: 'Paging',
      schema: { allOf: [{ $ref: '#/components/schemas/Base' }, { type: 'object', properties: { pageSize: { type: 'integer' }, db: { type: 'object' }, tenant: { type: 'string' } }, required: ['pageSize'] }] } as never,
      evidence: ev('t.cs', 1),
      bindings: { pageSize: { name: 'PageSize' }, db: { skip: true }, tenant: { name: 'X-Tenant', in: 'header' } },
    },
    { name: 'Base', schema: { type: 'object', properties: { sort: { type: 'string' } } }, evidence: ev('t.cs', 5) },
    { name: 'Kind', schema: { type: 'integer', enum: [0, 1] }, evidence: ev('t.cs', 9) },
  ];
  const f = file('a.cs', {
    types,
    routers: [router('R', ['items'])],
    routes: [
      route('R', 'get', '', 'R.List', {
        params: [
          { name: 'paging', in: 'query', fromType: 'Paging' },
          { name: 'kind', in: 'query', fromType: 'Kind', schema: { $ref: '#/components/schemas/Kind' } as never },
        ],
      }),
    ],
  });
  const [op] = linkServiceFiles([f], { language: 'x', frameworks: 'x' })[0]!.operations;
  assert.deepEqual(
    op!.parameters!.map((p) => [p.name, p.in, p.required ?? false]),
    [
      ['sort', 'query', false],
      ['PageSize', 'query', true],
      ['kind', 'query', false],
      ['X-Tenant', 'header', false],
    ],
  );
});

test("a generic base's type parameter in schemas takes the type argument of the router inheriting it, through a chain of bases", () => {
  const tokenRef = (name: string) => ({ $ref: `#/components/schemas/{{token:${name}}}` }) as never;
  const base = file('base.cs', {
    routers: [router('Rest', [], { abstract: true })],
    routes: [route('Rest', 'put', '{id}', 'Rest.Update', { body: { schema: tokenRef('type:Rest:0') }, responses: [{ status: '200', schema: { type: 'array', items: tokenRef('type:Rest:0') } as never }] })],
  });
  const middle = file('middle.cs', {
    routers: [router('RestWithEvents', [], { abstract: true, bases: [{ name: 'Rest' }], tokens: { 'type:Rest:0': '{{token:type:RestWithEvents:0}}' } })],
  });
  const tags = file('tags.cs', {
    routers: [router('TagsController', ['tags'], { bases: [{ name: 'RestWithEvents' }], tokens: { 'type:RestWithEvents:0': 'TagResource' } })],
    types: [{ name: 'TagResource', schema: { type: 'object', properties: { label: { type: 'string' } } }, evidence: ev('tags.cs', 9) }],
  });
  const out = linkServiceFiles([base, middle, tags], { language: 'x', frameworks: 'x' });
  const [op] = out[2]!.operations;
  assert.equal(`${op!.method} ${op!.path}`, 'put /tags/{id}');
  assert.deepEqual(op!.requestSchema, { $ref: '#/components/schemas/TagResource' });
  assert.deepEqual(op!.responseSchema, { type: 'array', items: { $ref: '#/components/schemas/TagResource' } });
  assert.deepEqual(Object.keys(op!.schemas ?? {}), ['TagResource']);
});
