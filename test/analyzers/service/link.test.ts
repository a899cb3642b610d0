import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FileAnalysis, Rule } from '../../../analyzers/model.js';
import { emptyFacts, type ServiceFacts } from '../../../analyzers/service/facts.js';
import { linkServiceFiles } from '../../../analyzers/service/link.js';
import { typeRef } from '../../../analyzers/service/schema.js';

const ev = (path: string, line: number) => ({ path, startLine: line, endLine: line });

function file(path: string, facts: Partial<ServiceFacts>, rules: Rule[] = []): FileAnalysis {
  return {
    source: { path, language: 'test', sha256: '', lines: 10 },
    programs: [],
    operations: [],
    rules,
    diagnostics: [],
    facts: { ...emptyFacts(), ...facts },
  };
}

function rule(id: string, path: string): Rule {
  return { id, kind: 'validation', statement: 's', condition: null, effects: [], fields: [], evidence: [ev(path, 3)], origin: 'parser', operation: null };
}

const opts = { language: 'test', frameworks: 'test routers' };

test('prefixes follow mounts across files, through several levels, by module and export name', () => {
  const app = file('src/app.js', {
    moduleNames: ['src/app'],
    routers: [{ id: 'app', prefixes: [''], root: true, evidence: ev('src/app.js', 1) }],
    mounts: [{ parent: 'app', prefixes: ['/api'], target: { name: 'default', module: 'src/routes' }, evidence: ev('src/app.js', 4) }],
  });
  const index = file('src/routes/index.js', {
    moduleNames: ['src/routes/index'],
    exports: { default: 'router' },
    routers: [{ id: 'router', prefixes: [''], root: false, evidence: ev('src/routes/index.js', 1) }],
    mounts: [{ parent: 'router', prefixes: ['/users', '/people'], target: { name: 'users', module: 'src/routes/users' }, evidence: ev('src/routes/index.js', 3) }],
  });
  const users = file('src/routes/users.js', {
    moduleNames: ['src/routes/users'],
    exports: { users: 'r' },
    routers: [{ id: 'r', prefixes: [''], root: false, evidence: ev('src/routes/users.js', 1) }],
    routes: [
      { router: 'r', methods: ['get'], paths: ['/:id'.replace(':id', '{id}')], handler: 'getUser', params: [{ name: 'id', in: 'path', schema: { type: 'integer' } }, { name: 'X-Trace', in: 'header' }], responses: [{ status: '404' }], evidence: ev('src/routes/users.js', 5), ruleIds: ['R1'] },
    ],
  }, [rule('R1', 'src/routes/users.js')]);
  const [, , linked] = linkServiceFiles([app, index, users], opts);
  const ops = linked!.operations.map((o) => `${o.method} ${o.path} ${o.operationId}`);
  assert.deepEqual(ops, ['get /api/users/{id} getUser', 'get /api/people/{id} getUser_2']);
  const op = linked!.operations[0]!;
  assert.deepEqual(op.parameters, [
    { name: 'id', in: 'path', required: true, schema: { type: 'integer' } },
    { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
  ]);
  assert.deepEqual(Object.keys(op.responses!).sort(), ['200', '404']);
  assert.equal(linked!.rules[0]!.operation, 'getUser');
  assert.equal(users.rules[0]!.operation, null, 'inputs are not mutated');
});

test('a router nobody mounts keeps its own prefix, with a note; an unknown mount target is a warning', () => {
  const lone = file('lone.js', {
    routers: [{ id: 'r', prefixes: ['/v1'], root: false, evidence: ev('lone.js', 1) }],
    routes: [{ router: 'r', methods: ['post'], paths: ['/things'], handler: 'POST /things', params: [], responses: [{ status: '201' }], evidence: ev('lone.js', 2), ruleIds: [] }],
    mounts: [{ parent: 'r', prefixes: ['/x'], target: { name: 'missing', module: 'nowhere' }, evidence: ev('lone.js', 9) }],
  });
  const [linked] = linkServiceFiles([lone], opts);
  assert.equal(linked!.operations.length, 1);
  const op = linked!.operations[0]!;
  assert.equal(op.path, '/v1/things');
  assert.equal(op.operationId, 'POSTThings');
  assert.deepEqual(Object.keys(op.responses!), ['201']);
  assert.match(op.notes![0]!, /not mounted/);
  assert.equal(linked!.diagnostics[0]!.severity, 'warning');
  assert.equal(linked!.diagnostics[0]!.line, 9);
});

test('constants used as paths resolve from another file; unknown ones warn and keep their name', () => {
  const paths = file('Paths.java', { constants: { 'Paths.USERS': '/users', USERS: '/users' } });
  const ctl = file('UserController.java', {
    routers: [{ id: 'UserController', prefixes: ['{{const:Paths.USERS}}'], root: true, evidence: ev('UserController.java', 3) }],
    routes: [
      { router: 'UserController', methods: ['get'], paths: ['{{const:NOPE}}'], handler: 'UserController.list', operationName: 'list', params: [], responses: [], evidence: ev('UserController.java', 6), ruleIds: [] },
    ],
  });
  const [, linked] = linkServiceFiles([paths, ctl], opts);
  assert.equal(linked!.operations[0]!.path, '/users/NOPE');
  assert.equal(linked!.diagnostics.filter((d) => d.severity === 'warning').length, 1);
});

test('types resolve by name across files, transitively; unknown types become open objects; fromType expands to parameters', () => {
  const dto = file('dto.py', {
    types: [
      { name: 'CreateUser', schema: { type: 'object', properties: { name: { type: 'string', maxLength: 50 }, address: typeRef('Address'), tag: typeRef('Unknown') }, required: ['name'] }, evidence: ev('dto.py', 1), ruleIds: ['V1'] },
      { name: 'Address', schema: { type: 'object', properties: { city: { type: 'string' } } }, evidence: ev('dto.py', 8) },
      { name: 'Filter', schema: { type: 'object', properties: { page: { type: 'integer' }, q: { type: 'string' } }, required: ['q'] }, evidence: ev('dto.py', 12) },
    ],
  }, [rule('V1', 'dto.py')]);
  const api = file('api.py', {
    routers: [{ id: 'app', prefixes: [''], root: true, evidence: ev('api.py', 1) }],
    routes: [
      { router: 'app', methods: ['post'], paths: ['/users'], handler: 'create_user', params: [], body: { schema: typeRef('CreateUser') }, responses: [{ status: '201', schema: typeRef('Address') }], evidence: ev('api.py', 3), ruleIds: [] },
      { router: 'app', methods: ['get'], paths: ['/users'], handler: 'list_users', params: [{ name: 'f', in: 'query', fromType: 'Filter' }], responses: [], evidence: ev('api.py', 9), ruleIds: [] },
    ],
  });
  const [dtoOut, apiOut] = linkServiceFiles([dto, api], opts);
  const [create, list] = apiOut!.operations;
  assert.deepEqual(create!.requestSchema, { $ref: '#/components/schemas/CreateUser' });
  assert.deepEqual(Object.keys(create!.schemas!).sort(), ['Address', 'CreateUser']);
  assert.deepEqual((create!.schemas!.CreateUser as { properties: Record<string, unknown> }).properties.tag, { type: 'object', description: 'Unknown (type not found in the analyzed sources)' });
  assert.deepEqual(create!.responseSchema, { $ref: '#/components/schemas/Address' });
  assert.deepEqual(list!.parameters!.map((p) => [p.name, p.in, p.required ?? false]), [['page', 'query', false], ['q', 'query', true]]);
  assert.equal(dtoOut!.rules[0]!.operation, 'create_user', 'a DTO rule governs the one operation taking it as body');
});

test('form parameters become a urlencoded body; several methods get method-suffixed ids', () => {
  const f = file('servlet.java', {
    routers: [{ id: 'S', prefixes: ['/login'], root: true, evidence: ev('servlet.java', 1) }],
    routes: [{ router: 'S', methods: ['get', 'post'], paths: [''], handler: 'LoginServlet', params: [{ name: 'user', in: 'form', required: true }], responses: [], evidence: ev('servlet.java', 2), ruleIds: [] }],
  });
  const [linked] = linkServiceFiles([f], opts);
  assert.deepEqual(linked!.operations.map((o) => o.operationId), ['LoginServlet_get', 'LoginServlet_post']);
  assert.equal(linked!.operations[0]!.requestContentType, 'application/x-www-form-urlencoded');
  assert.deepEqual(linked!.operations[0]!.requestSchema, { type: 'object', properties: { user: { type: 'string' } }, required: ['user'] });
});

test('no route anywhere: one info diagnostic, no operation invented', () => {
  const [a, b] = linkServiceFiles([file('a.rb', {}), file('b.rb', {})], opts);
  assert.equal(a!.operations.length + b!.operations.length, 0);
  assert.equal(a!.diagnostics.length, 1);
  assert.equal(a!.diagnostics[0]!.severity, 'info');
  assert.match(a!.diagnostics[0]!.message, /no HTTP routes found in the 2 test files/);
});

test('mount cycles terminate', () => {
  const f = file('c.js', {
    routers: [
      { id: 'a', prefixes: [''], root: false, evidence: ev('c.js', 1) },
      { id: 'b', prefixes: [''], root: false, evidence: ev('c.js', 2) },
    ],
    mounts: [
      { parent: 'a', prefixes: ['/b'], target: { name: 'b' }, evidence: ev('c.js', 3) },
      { parent: 'b', prefixes: ['/a'], target: { name: 'a' }, evidence: ev('c.js', 4) },
    ],
    routes: [{ router: 'a', methods: ['get'], paths: ['/x'], handler: 'x', params: [], responses: [], evidence: ev('c.js', 5), ruleIds: [] }],
  });
  const [linked] = linkServiceFiles([f], opts);
  assert.ok(linked!.operations.length >= 1);
});

test('a global handler adds the query, header and cookie parameters it and its helpers read to every operation, not its body, inputs or responses', () => {
  const routes = file('routes.php', {
    routers: [{ id: '<file>', prefixes: [''], root: true, evidence: ev('routes.php', 1) }],
    routes: [
      { router: '<file>', methods: ['get'], paths: ['/a'], handler: 'GET /a', params: [{ name: 'x-requested-with', in: 'header', description: 'own' }], responses: [], evidence: ev('routes.php', 2), ruleIds: [] },
      { router: '<file>', methods: ['post'], paths: ['/b'], handler: 'C.b', handlerRef: { name: 'C.b' }, params: [], responses: [], evidence: ev('routes.php', 3), ruleIds: [] },
    ],
    handlers: [{ name: 'C.b', params: [{ name: 'title', in: 'input' }], responses: [{ status: '201' }], ruleIds: [], evidence: ev('routes.php', 5) }],
  });
  const handler = file('Handler.php', {
    handlers: [
      {
        name: 'Handler.render',
        global: true,
        params: [{ name: 'X-Requested-With', in: 'header' }, { name: 'debug', in: 'input' }],
        body: { schema: { type: 'object', properties: { no: { type: 'string' } } } },
        responses: [{ status: '404' }],
        ruleIds: [],
        calls: ['Helper.locale'],
        evidence: ev('Handler.php', 1),
      },
      { name: 'Helper.locale', params: [{ name: 'lang', in: 'query' }, { name: 'session', in: 'cookie' }], responses: [{ status: '418' }], ruleIds: [], evidence: ev('Handler.php', 9) },
    ],
  });
  const [linked] = linkServiceFiles([routes, handler], opts);
  const params = (path: string): string[] => (linked!.operations.find((o) => o.path === path)!.parameters ?? []).map((p) => `${p.in}:${p.name}`);
  assert.deepEqual(params('/a'), ['query:lang', 'header:x-requested-with', 'cookie:session'], 'the route\'s own header wins, case-insensitively');
  assert.deepEqual(params('/b'), ['query:lang', 'header:X-Requested-With', 'cookie:session']);
  const b = linked!.operations.find((o) => o.path === '/b')!;
  assert.deepEqual(Object.keys((b.requestSchema as { properties: object }).properties), ['title'], 'global inputs and bodies stay out');
  assert.deepEqual(Object.keys(b.responses!).sort(), ['201']);
});

test('an input key read by a helper that GET operations also run is a query option on operations with a body; a helper only they run reads their payload', () => {
  const routes = file('routes.php', {
    routers: [{ id: '<file>', prefixes: [''], root: true, evidence: ev('routes.php', 1) }],
    routes: [
      { router: '<file>', methods: ['get'], paths: ['/items'], handler: 'C.index', handlerRef: { name: 'C.index' }, params: [], responses: [], evidence: ev('routes.php', 2), ruleIds: [] },
      { router: '<file>', methods: ['post'], paths: ['/items'], handler: 'C.store', handlerRef: { name: 'C.store' }, params: [], responses: [], evidence: ev('routes.php', 3), ruleIds: [] },
    ],
    handlers: [
      { name: 'C.index', params: [], responses: [], ruleIds: [], calls: ['C.respond'], evidence: ev('C.php', 1) },
      { name: 'C.store', params: [{ name: 'title', in: 'input' }, { name: 'embed', in: 'input' }], responses: [], ruleIds: [], calls: ['Service.create', 'C.respond'], evidence: ev('C.php', 5) },
      { name: 'C.respond', params: [{ name: 'include', in: 'input' }, { name: 'embed', in: 'input' }], responses: [], ruleIds: [], evidence: ev('C.php', 9) },
      { name: 'Service.create', params: [{ name: 'body', in: 'input' }], responses: [], ruleIds: [], evidence: ev('Service.php', 1) },
    ],
  });
  const [linked] = linkServiceFiles([routes], opts);
  const store = linked!.operations.find((o) => o.method === 'post')!;
  assert.deepEqual((store.parameters ?? []).map((p) => `${p.in}:${p.name}`), ['query:include']);
  assert.deepEqual(Object.keys((store.requestSchema as { properties: object }).properties), ['title', 'embed', 'body'], 'the handler\'s own reads and a helper only it runs are the payload');
  const index = linked!.operations.find((o) => o.method === 'get')!;
  assert.deepEqual((index.parameters ?? []).map((p) => `${p.in}:${p.name}`), ['query:include', 'query:embed']);
});

test('virtual dispatch stays in the receiver\'s namespace: a same-named class elsewhere does not override', () => {
  const routes = file('routes.php', {
    routers: [{ id: '<file>', prefixes: [''], root: true, evidence: ev('routes.php', 1) }],
    routes: [{ router: '<file>', methods: ['get'], paths: ['/a'], handler: 'UserController.show', handlerRef: { name: 'UserController.show', qualified: 'Api\\UserController.show' }, params: [], responses: [], evidence: ev('routes.php', 2), ruleIds: [] }],
    handlers: [
      { name: 'UserController.show', qualified: 'Api\\UserController.show', params: [], responses: [], ruleIds: [], calls: ['UserController.respond'], evidence: ev('api.php', 1) },
      { name: 'Base.respond', qualified: 'Base.respond', params: [{ name: 'envelope', in: 'query' }], responses: [], ruleIds: [], calls: ['Base.wrap'], evidence: ev('base.php', 1) },
      { name: 'Base.wrap', qualified: 'Base.wrap', params: [{ name: 'pretty', in: 'query' }], responses: [], ruleIds: [], evidence: ev('base.php', 5) },
      { name: 'UserController.respond', qualified: 'Admin\\UserController.respond', params: [{ name: 'admin', in: 'query' }], responses: [], ruleIds: [], evidence: ev('admin.php', 1) },
      { name: 'UserController.wrap', qualified: 'Admin\\UserController.wrap', params: [{ name: 'admin_wrap', in: 'query' }], responses: [], ruleIds: [], evidence: ev('admin.php', 5) },
    ],
    inherits: { UserController: ['Base'] },
  });
  const [linked] = linkServiceFiles([routes], opts);
  assert.deepEqual((linked!.operations[0]!.parameters ?? []).map((p) => p.name), ['envelope', 'pretty']);
});

test('a global handler\'s calls to its own class stay in its namespace (an inherited method, not another namespace\'s same-named class)', () => {
  const routes = file('routes.php', {
    routers: [{ id: '<file>', prefixes: [''], root: true, evidence: ev('routes.php', 1) }],
    routes: [{ router: '<file>', methods: ['get'], paths: ['/a'], handler: 'GET /a', params: [], responses: [], evidence: ev('routes.php', 2), ruleIds: [] }],
  });
  const jobs = file('app/Jobs/Handler.php', {
    handlers: [{ name: 'Handler.prepare', qualified: 'App\\Jobs\\Handler.prepare', params: [{ name: 'job', in: 'query' }], responses: [], ruleIds: [], evidence: ev('app/Jobs/Handler.php', 1) }],
  });
  const exceptions = file('app/Exceptions/Handler.php', {
    handlers: [
      { name: 'Handler.render', qualified: 'App\\Exceptions\\Handler.render', global: true, params: [], responses: [], ruleIds: [], calls: ['Handler.prepare'], evidence: ev('app/Exceptions/Handler.php', 1) },
      { name: 'RendersJson.prepare', qualified: 'App\\Concerns\\RendersJson.prepare', params: [{ name: 'X-Debug', in: 'header' }], responses: [], ruleIds: [], evidence: ev('app/Exceptions/Handler.php', 5) },
    ],
    inherits: { Handler: ['RendersJson'] },
  });
  const [linked] = linkServiceFiles([routes, jobs, exceptions], opts);
  assert.deepEqual((linked!.operations[0]!.parameters ?? []).map((p) => p.name), ['X-Debug']);
});
