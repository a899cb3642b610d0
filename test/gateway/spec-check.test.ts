/**
 * Live traffic against the spec (`gateway.specs` + `gateway.specCheck`): real legacy and modern
 * servers, a real gateway, violations read through the admin API (checked against its contract),
 * Prometheus and the raw SQLite rows. What is checked: each side's response (declared status,
 * exact → `2XX` → `default`; JSON body schema with `$ref`s), the client's request (required
 * parameters, parameter values, JSON body), and, where nothing is captured, the status alone.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { parseConfig } from '../../core/config.js';
import { gatewayOptions, type GatewayConfig } from '../../gateway/options.js';
import type { SpecViolationEvent } from '../../gateway/spec-check.js';
import { compileSpecValidators } from '../../gateway/spec-validator.js';
import { loadSpecs } from '../../gateway/specs.js';
import type { SpecViolationRecord } from '../../gateway/state.js';
import { tempDir } from '../helpers/tmp.js';
import { assertMatchesSpec } from './admin-contract.js';
import { call, eventually, routeView, startGateway, startUpstream, type StartedGateway } from './harness.js';

const TOKEN = 'spec-check-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

const SPEC = `openapi: 3.1.0
info: { title: Loans, version: "1" }
paths:
  /loans/{id}:
    parameters:
      - { name: id, in: path, required: true, schema: { type: integer } }
    get:
      operationId: getLoan
      parameters:
        - { name: currency, in: query, required: true, schema: { type: string, enum: [EUR, USD] } }
        - { name: x-tenant, in: header, schema: { type: string } }
      responses:
        "200":
          description: The loan.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Loan" }
        4XX:
          description: A client error.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Problem" }
  /loans:
    post:
      operationId: createLoan
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "#/components/schemas/NewLoan" }
      responses:
        "201":
          description: Created.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Loan" }
        default:
          description: Any other answer.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Problem" }
components:
  schemas:
    Loan:
      type: object
      required: [id, rate, holder]
      properties:
        id: { type: integer, format: int64 }
        rate: { $ref: "#/components/schemas/Rate" }
        holder:
          type: object
          required: [name]
          properties:
            name: { type: string }
            ssn: { type: string }
    Rate: { type: number, minimum: 0 }
    NewLoan:
      type: object
      required: [amount]
      properties:
        amount: { type: number, exclusiveMinimum: 0 }
        card: { type: object, properties: { number: { type: string } } }
    Problem:
      type: object
      required: [error]
      properties: { error: { type: string } }
`;

const RULES = JSON.stringify({ version: 1, sources: [], rules: [], programs: [], diagnostics: [] });

function specsDir(t: TestContext, spec = SPEC): string {
  const dir = join(tempDir(t), 'specs');
  mkdirSync(dir);
  writeFileSync(join(dir, 'openapi.yaml'), spec);
  writeFileSync(join(dir, 'rules.json'), RULES);
  return dir;
}

const loan = (id: number) => ({ id, rate: 5.25, holder: { name: 'Ada', ssn: '078-05-1120' } });

async function violations(gw: StartedGateway, route: string, query = ''): Promise<SpecViolationRecord[]> {
  const r = await call(`${gw.admin}/api/routes/${route}/spec-violations${query}`, { headers: auth });
  assert.equal(r.status, 200, r.text);
  assertMatchesSpec('/api/routes/{id}/spec-violations', 'get', 200, r.json());
  return r.json<{ violations: SpecViolationRecord[] }>().violations;
}

function route(id: string, match: string, extra = ''): string {
  return `  - id: ${id}\n    match: ${match}\n    noiseSample: 0\n${extra}`;
}

test('a conforming exchange is checked on both sides and finds nothing', async (t) => {
  const legacy = await startUpstream(t, (c) => ({ body: loan(Number(/\/loans\/(\d+)/.exec(c.url)![1])) }));
  const modern = await startUpstream(t, (c) => ({ body: loan(Number(/\/loans\/(\d+)/.exec(c.url)![1])) }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nspecs: ${specsDir(t)}\nroutes:\n${route('loan', 'GET /loans/:id')}`, { legacy: legacy.url, modern: modern.url });
  const r = await call(`${gw.proxy}/loans/7?currency=EUR`, { headers: { 'x-tenant': 'acme' } });
  assert.equal(r.status, 200);
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'loan', TOKEN);
    return v.specChecked.legacy === 1 && v.specChecked.modern === 1 ? v : undefined;
  }, 5000, 'both sides checked');
  assert.deepEqual(v.specViolations, { legacy: 0, modern: 0 });
  assert.equal(v.matches, 1, 'the comparison is unaffected');
  assert.deepEqual(await violations(gw, 'loan'), []);
  const metrics = (await call(`${gw.admin}/metrics`, { headers: auth })).text;
  assert.match(metrics, /ficus_gateway_spec_checks_total\{route="loan",side="legacy"\} 1/);
  assert.match(metrics, /ficus_gateway_spec_checks_total\{route="loan",side="modern"\} 1/);
  assert.doesNotMatch(metrics, /ficus_gateway_spec_violations_total\{/);
});

test("modern's body missing a required field is a schema violation with its instancePath and schemaPath", async (t) => {
  const legacy = await startUpstream(t, () => ({ body: loan(1) }));
  const modern = await startUpstream(t, () => ({ body: { id: 1, holder: { name: 'Ada' }, extra: true } }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nspecs: ${specsDir(t)}\nroutes:\n${route('loan', 'GET /loans/:id')}`, { legacy: legacy.url, modern: modern.url });
  const events: SpecViolationEvent[] = [];
  const listen = (m: unknown) => events.push(m as SpecViolationEvent);
  subscribe('ficus:gateway:spec-violation', listen);
  t.after(() => unsubscribe('ficus:gateway:spec-violation', listen));

  await call(`${gw.proxy}/loans/1?currency=EUR`);
  const [v] = await eventually(async () => {
    const list = await violations(gw, 'loan');
    return list.length ? list : undefined;
  }, 5000, 'a violation');
  assert.equal(v!.side, 'modern');
  assert.equal(v!.kind, 'schema');
  assert.equal(v!.operationId, 'getLoan');
  assert.equal(v!.status, 200);
  assert.deepEqual(v!.errors, [{ instancePath: '/body', message: "must have required property 'rate'", schemaPath: '#/components/schemas/Loan/required' }]);
  assert.equal(v!.dropped, 0);
  assert.equal(v!.response?.status, 200, 'the offending response is kept with the violation');
  assert.deepEqual(JSON.parse(v!.response!.body as string), { id: 1, holder: { name: 'Ada' }, extra: true });

  const view = await routeView(gw.admin, 'loan', TOKEN);
  assert.deepEqual(view.specChecked, { legacy: 1, modern: 1 });
  assert.deepEqual(view.specViolations, { legacy: 0, modern: 1 });
  assert.deepEqual(events.map((e) => [e.route, e.side, e.kind, e.operationId, e.errors[0]!.instancePath]), [['loan', 'modern', 'schema', 'getLoan', '/body']]);
  const metrics = (await call(`${gw.admin}/metrics`, { headers: auth })).text;
  assert.match(metrics, /ficus_gateway_spec_violations_total\{route="loan",side="modern",kind="schema"\} 1/);

  // A value breaking a referenced schema deeper down: the pointer names the component it breaks.
  const modern2 = await startUpstream(t, () => ({ body: { id: 2, rate: -1, holder: { name: 7 } } }));
  const gw2 = await startGateway(t, `adminToken: ${TOKEN}\nspecs: ${specsDir(t)}\nroutes:\n${route('loan', 'GET /loans/:id')}`, { legacy: legacy.url, modern: modern2.url });
  await call(`${gw2.proxy}/loans/2?currency=USD`);
  const [deep] = await eventually(async () => {
    const list = await violations(gw2, 'loan');
    return list.length ? list : undefined;
  });
  assert.deepEqual(
    deep!.errors.map((e) => [e.instancePath, e.schemaPath]),
    [
      ['/body/rate', '#/components/schemas/Rate/minimum'],
      ['/body/holder/name', '#/components/schemas/Loan/properties/holder/properties/name/type'],
    ],
  );
});

test('an undeclared status is a status violation; a status in a declared range (4XX) is not', async (t) => {
  const legacy = await startUpstream(t, () => ({ status: 404, body: { error: 'no such loan' } }));
  const modern = await startUpstream(t, () => ({ status: 202, body: { queued: true } }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nspecs: ${specsDir(t)}\nroutes:\n${route('loan', 'GET /loans/:id')}`, { legacy: legacy.url, modern: modern.url });
  await call(`${gw.proxy}/loans/404?currency=EUR`);
  const list = await eventually(async () => {
    const l = await violations(gw, 'loan');
    return l.length ? l : undefined;
  });
  assert.equal(list.length, 1);
  assert.equal(list[0]!.side, 'modern');
  assert.equal(list[0]!.kind, 'status');
  assert.equal(list[0]!.status, 202);
  assert.deepEqual(list[0]!.errors, [{ instancePath: '/status', message: 'status 202 is not declared (declared: 200, 4XX)', schemaPath: '#/paths/~1loans~1{id}/get/responses' }]);
  const view = await routeView(gw.admin, 'loan', TOKEN);
  assert.deepEqual(view.specChecked, { legacy: 1, modern: 1 }, "legacy's 404 matched 4XX and its Problem body conforms");
  assert.deepEqual(view.specViolations, { legacy: 0, modern: 1 });
});

test('a request missing a required query parameter, or with a bad path parameter, is a request violation on the serving side', async (t) => {
  const up = await startUpstream(t, () => ({ body: loan(1) }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nspecs: ${specsDir(t)}\nroutes:\n${route('loan', 'GET /loans/:id')}`, { legacy: up.url, modern: up.url });
  await call(`${gw.proxy}/loans/1`);
  await call(`${gw.proxy}/loans/abc?currency=GBP`);
  const list = await eventually(async () => {
    const l = await violations(gw, 'loan');
    return l.length === 2 ? l : undefined;
  });
  assert.ok(list.every((v) => v.kind === 'request' && v.side === 'legacy'), 'shadow mode: legacy served the client');
  const byUrl = new Map(list.map((v) => [v.request.url, v]));
  assert.deepEqual(byUrl.get('/loans/1')!.errors, [{ instancePath: '/query/currency', message: "must have required query parameter 'currency'", schemaPath: '#/paths/~1loans~1{id}/get/parameters/0/required' }]);
  assert.deepEqual(
    byUrl.get('/loans/abc?currency=GBP')!.errors.map((e) => [e.instancePath, e.message, e.schemaPath]),
    [
      ['/path/id', 'must be integer', '#/paths/~1loans~1{id}/parameters/0/schema/type'],
      ['/query/currency', 'must be equal to one of the allowed values', '#/paths/~1loans~1{id}/get/parameters/0/schema/enum'],
    ],
  );
  assert.equal(byUrl.get('/loans/1')!.response, undefined, 'a request violation keeps the request, not the response');
  const view = await routeView(gw.admin, 'loan', TOKEN);
  assert.deepEqual(view.specViolations, { legacy: 2, modern: 0 });
  assert.deepEqual(view.specChecked, { legacy: 2, modern: 2 });
  assert.equal((await violations(gw, 'loan', '?side=modern')).length, 0);
  assert.equal((await violations(gw, 'loan', '?limit=1')).length, 1);
});

test('stored violations are redacted: Authorization, Cookie, Set-Cookie and configured body paths never reach the store', async (t) => {
  const legacy = await startUpstream(t, (c) => (c.method === 'POST' ? { status: 201, body: loan(3) } : { body: loan(3), headers: { 'set-cookie': 'sid=legacy-session-secret' } }));
  const modern = await startUpstream(t, (c) => (c.method === 'POST' ? { status: 201, body: loan(3) } : { body: { id: 3, holder: { name: 'Ada', ssn: '078-05-1120' } }, headers: { 'set-cookie': 'sid=modern-session-secret' } }));
  const gw = await startGateway(
    t,
    `adminToken: ${TOKEN}\nspecs: ${specsDir(t)}\nredact: ["$.holder.ssn", "$.card.number"]\nroutes:\n${route('loan', 'GET /loans/:id')}${route('new-loan', 'POST /loans', '    shadowWrites: dry-run\n')}`,
    { legacy: legacy.url, modern: modern.url },
  );
  const secrets = { authorization: 'Bearer client-secret-token', cookie: 'sid=client-cookie-secret' };
  // No currency: a request violation (request kept) and modern's body without rate: a schema violation (response kept).
  await call(`${gw.proxy}/loans/3`, { headers: secrets });
  // A buffered (dry-run) body without the required amount: the request body is kept, redacted.
  await call(`${gw.proxy}/loans`, { method: 'POST', headers: { ...secrets, 'content-type': 'application/json' }, body: '{"card":{"number":"5500005555555559"}}' });
  const [post] = await eventually(async () => {
    const l = await violations(gw, 'new-loan');
    return l.length ? l : undefined;
  });
  assert.equal(post!.kind, 'request');
  assert.deepEqual(post!.errors, [{ instancePath: '/body', message: "must have required property 'amount'", schemaPath: '#/components/schemas/NewLoan/required' }]);
  assert.deepEqual(JSON.parse(post!.request.body as string), { card: { number: '[redacted]' } });
  const list = await eventually(async () => {
    const l = await violations(gw, 'loan');
    return l.length === 2 ? l : undefined;
  });
  const schema = list.find((v) => v.kind === 'schema')!;
  assert.equal(schema.request.headers.authorization, '[redacted]');
  assert.equal(schema.request.headers.cookie, '[redacted]');
  assert.equal(schema.response!.headers['set-cookie'], '[redacted]');
  assert.deepEqual(JSON.parse(schema.response!.body as string), { id: 3, holder: { name: 'Ada', ssn: '[redacted]' } });
  await gw.close();
  // The bytes on disk, WAL included, not only what the API shows.
  const raw = new Database(gw.storePath, { readonly: true });
  const rows = raw.prepare('SELECT * FROM gateway_spec_violations').all();
  raw.close();
  assert.equal(rows.length, 3);
  const dump = JSON.stringify(rows);
  for (const secret of ['client-secret-token', 'client-cookie-secret', 'legacy-session-secret', 'modern-session-secret', '078-05-1120', '5500005555555559']) {
    assert.ok(!dump.includes(secret), `${secret} leaked into the store`);
  }
});

test('specCheck.sample 0 checks nothing (comparison goes on)', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: loan(1) }));
  const modern = await startUpstream(t, () => ({ status: 202, body: {} }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nspecs: ${specsDir(t)}\nspecCheck: { sample: 0 }\nroutes:\n${route('loan', 'GET /loans/:id')}`, { legacy: legacy.url, modern: modern.url });
  for (let i = 0; i < 5; i++) await call(`${gw.proxy}/loans/${i}`);
  const v = await eventually(async () => {
    const v = await routeView(gw.admin, 'loan', TOKEN);
    return v.mismatches === 5 ? v : undefined;
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual((await routeView(gw.admin, 'loan', TOKEN)).specChecked, { legacy: 0, modern: 0 });
  assert.deepEqual(v.specViolations, { legacy: 0, modern: 0 });
  const r = (await call(`${gw.admin}/api/routes/loan/spec-violations`, { headers: auth })).json<{ specCheck: { enabled: boolean; sample: number }; violations: unknown[] }>();
  assert.deepEqual(r, { specCheck: { enabled: true, sample: 0 }, violations: [] });
});

test('a legacy-mode route (nothing captured) is held to the declared statuses only', async (t) => {
  let status = 200;
  const legacy = await startUpstream(t, () => ({ status, body: { not: 'a loan' } }));
  const modern = await startUpstream(t, () => ({ body: loan(1) }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nspecs: ${specsDir(t)}\nroutes:\n${route('loan', 'GET /loans/:id', '    mode: legacy\n')}`, { legacy: legacy.url, modern: modern.url });
  await call(`${gw.proxy}/loans/1?currency=EUR`);
  status = 299;
  await call(`${gw.proxy}/loans/1?currency=EUR`);
  const list = await eventually(async () => {
    const l = await violations(gw, 'loan');
    return l.length ? l : undefined;
  });
  assert.deepEqual(list.map((v) => [v.side, v.kind, v.status]), [['legacy', 'status', 299]]);
  assert.equal(list[0]!.response, undefined, 'no body was captured, none is stored');
  const view = await routeView(gw.admin, 'loan', TOKEN);
  assert.deepEqual(view.specChecked, { legacy: 2, modern: 0 }, 'the 200 with a non-conforming body counts as checked: its status is declared');
  assert.equal(modern.calls.length, 0, 'legacy mode never calls modern');
});

test('counters and violations survive a gateway restart', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: loan(1) }));
  const modern = await startUpstream(t, () => ({ status: 202, body: {} }));
  const specs = specsDir(t);
  const yaml = `adminToken: ${TOKEN}\nspecs: ${specs}\nroutes:\n${route('loan', 'GET /loans/:id')}`;
  const first = await startGateway(t, yaml, { legacy: legacy.url, modern: modern.url });
  await call(`${first.proxy}/loans/1?currency=EUR`);
  await eventually(async () => (await routeView(first.admin, 'loan', TOKEN)).specViolations.modern === 1);
  await first.close();

  const second = await startGateway(t, yaml, { legacy: legacy.url, modern: modern.url, storePath: first.storePath });
  const before = await routeView(second.admin, 'loan', TOKEN);
  assert.deepEqual(before.specChecked, { legacy: 1, modern: 1 });
  assert.deepEqual(before.specViolations, { legacy: 0, modern: 1 });
  assert.equal((await violations(second, 'loan')).length, 1);
  await call(`${second.proxy}/loans/1?currency=EUR`);
  await eventually(async () => (await routeView(second.admin, 'loan', TOKEN)).specViolations.modern === 2, 5000, 'counting goes on from the stored figures');
  assert.equal((await violations(second, 'loan')).length, 2);
});

test('violations are bounded per route and side (specCheck.max), oldest pruned', async (t) => {
  const legacy = await startUpstream(t, () => ({ body: loan(1) }));
  const modern = await startUpstream(t, () => ({ status: 203, body: {} }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nspecs: ${specsDir(t)}\nspecCheck: { max: 3 }\nroutes:\n${route('loan', 'GET /loans/:id')}`, { legacy: legacy.url, modern: modern.url });
  // Legacy: request violations (no currency); modern: status ones. One at a time, so the order is known.
  for (let i = 0; i < 5; i++) {
    await call(`${gw.proxy}/loans/${i}`);
    await eventually(async () => {
      const v = await routeView(gw.admin, 'loan', TOKEN);
      return v.specViolations.legacy === i + 1 && v.specViolations.modern === i + 1;
    });
  }
  assert.equal((await violations(gw, 'loan', '?side=legacy')).length, 3);
  assert.deepEqual((await violations(gw, 'loan', '?side=modern')).map((v) => v.request.url), ['/loans/4', '/loans/3', '/loans/2']);
});

test('admin answers for spec checking match specs/admin-api.openapi.yaml, errors included', async (t) => {
  const up = await startUpstream(t, () => ({ body: loan(1) }));
  const gw = await startGateway(t, `adminToken: ${TOKEN}\nroutes:\n${route('plain', 'GET /plain')}`, { legacy: up.url, modern: up.url });
  await call(`${gw.proxy}/plain`);
  await eventually(async () => (await routeView(gw.admin, 'plain', TOKEN)).matches === 1);
  const get = async (url: string, path: string) => {
    const r = await call(`${gw.admin}${url}`, { headers: auth });
    assertMatchesSpec(path, 'get', r.status, r.json());
    return r;
  };
  const routes = (await get('/api/routes', '/api/routes')).json<{ routes: { specChecked: unknown; specViolations: unknown }[] }>().routes;
  assert.deepEqual([routes[0]!.specChecked, routes[0]!.specViolations], [{ legacy: 0, modern: 0 }, { legacy: 0, modern: 0 }], 'zeros without gateway.specs');
  await get('/api/routes/plain', '/api/routes/{id}');
  assert.deepEqual((await get('/api/routes/plain/spec-violations', '/api/routes/{id}/spec-violations')).json(), { specCheck: { enabled: false }, violations: [] });
  const bad = await get('/api/routes/plain/spec-violations?side=both', '/api/routes/{id}/spec-violations');
  assert.equal(bad.status, 400);
  assert.equal(bad.json<{ error: { code: string } }>().error.code, 'FICUS_GW_BAD_REQUEST');
  assert.equal((await get('/api/routes/plain/spec-violations?limit=0', '/api/routes/{id}/spec-violations')).status, 400);
  assert.equal((await get('/api/routes/nope/spec-violations', '/api/routes/{id}/spec-violations')).status, 404);
  const unauthorized = await call(`${gw.admin}/api/routes/plain/spec-violations`);
  assert.equal(unauthorized.status, 401);
  assertMatchesSpec('/api/routes/{id}/spec-violations', 'get', 401, unauthorized.json());
});

test('bad specCheck options and uncompilable schemas are refused with file and line', (t) => {
  const dir = specsDir(t);
  const load = (yaml: string) => {
    const loaded = parseConfig<{ gateway: GatewayConfig }>(`gateway:\n  upstreams: {legacy: "http://127.0.0.1:1", modern: "http://127.0.0.1:2"}\n${yaml}`, 'ficus.yaml');
    return gatewayOptions(loaded, loaded.config.gateway, { storePath: ':memory:', env: {} });
  };
  assert.throws(() => load('  specCheck:\n    sample: 1.5\n'), (err: { code: string; issues: { line: number; path: string }[] }) => {
    assert.equal(err.code, 'FICUS_CFG_INVALID');
    assert.deepEqual(err.issues.map((i) => `${i.line}:${i.path}`), ['4:gateway.specCheck.sample']);
    return true;
  });
  assert.throws(() => load('  specCheck: { enabled: "yes", max: 0 }\n'), { code: 'FICUS_CFG_INVALID' });

  const noSpecs = load('  specCheck:\n    enabled: true\n');
  assert.deepEqual(noSpecs.issues.map((i) => `${i.line}:${i.path}`), ['4:gateway.specCheck.enabled']);

  const off = load(`  specs: ${dir}\n  specCheck: { enabled: false }\n`);
  assert.deepEqual(off.issues, []);
  assert.equal(off.options.specCheck, undefined);
  const on = load(`  specs: ${dir}\n`);
  assert.deepEqual(on.issues, []);
  assert.deepEqual([on.options.specCheck?.sample, on.options.specCheck?.max, on.options.specCheck?.validators.operations], [1, 50, 2], 'on by default with specs');

  const broken = specsDir(t, SPEC.replace('"#/components/schemas/Rate"', '"#/components/schemas/Nope"'));
  const bad = load(`  specs: ${broken}\n`);
  assert.equal(bad.issues.length, 1);
  assert.equal(bad.issues[0]!.path, 'gateway.specs');
  assert.equal(bad.issues[0]!.line, 3);
  assert.match(bad.issues[0]!.message, /openapi\.yaml: GET \/loans\/\{id\}: .*Nope/);
  assert.equal(load(`  specs: ${broken}\n  specCheck: { enabled: false }\n`).issues.length, 0, 'the catalog alone does not compile schemas');
});

test('response matching: exact status, then 2XX, then default; media types, encodings, HEAD and 204', (t) => {
  const dir = specsDir(
    t,
    `openapi: 3.1.0
info: { title: t, version: "1" }
paths:
  /things/{id}:
    get:
      operationId: getThing
      responses:
        "200": { description: ok, content: { application/json: { schema: { type: object, required: [id] } } }, headers: { x-request-id: { required: true, schema: { type: string } } } }
        2XX: { description: other success, content: { "text/*": { schema: { type: string } } } }
        default: { description: error, content: { application/problem+json: { schema: { type: object, required: [title] } } } }
  /things/search:
    get:
      operationId: searchThings
      responses:
        "200": { description: ok, content: { application/json: { schema: { type: array } } } }
`,
  );
  const v = compileSpecValidators(loadSpecs(dir));
  const json = (o: unknown) => Buffer.from(JSON.stringify(o));
  const m = v.match('GET', '/things/9?x=1')!;
  assert.equal(m.check.operation.operationId, 'getThing');
  assert.deepEqual(m.pathParams, { id: '9' });
  assert.equal(v.match('GET', '/things/search')!.check.operation.operationId, 'searchThings', 'a concrete path wins over a template');
  assert.equal(v.match('POST', '/things/9'), undefined);
  const check = (status: number, headers: Record<string, string>, body: Buffer | undefined, method = 'GET') =>
    m.check.checkResponse(method, { status, headers, ...(body ? { body } : {}) })?.errors.map((e) => `${e.instancePath} ${e.message}`);
  const ct = { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'r1' };
  assert.equal(check(200, ct, json({ id: 1 })), undefined);
  assert.deepEqual(check(200, { 'content-type': 'application/json' }, json({ id: 1 })), ["/headers/x-request-id must have required header 'x-request-id'"]);
  assert.deepEqual(check(200, ct, Buffer.from('{"id":')), ['/body is not valid JSON (declared: application/json)']);
  assert.deepEqual(check(200, { ...ct, 'content-type': 'text/html' }, Buffer.from('<p>')), ['/headers/content-type text/html is not declared (declared: application/json)']);
  assert.equal(check(200, { ...ct, 'content-encoding': 'gzip' }, gzipSync(json({ id: 1 }))), undefined, 'bodies are decoded first');
  assert.equal(check(201, { 'content-type': 'text/plain' }, Buffer.from('made')), undefined, '201 falls to 2XX');
  assert.deepEqual(check(201, ct, json({})), ['/headers/content-type application/json is not declared (declared: text/*)']);
  assert.deepEqual(check(500, { 'content-type': 'application/problem+json' }, json({})), ["/body must have required property 'title'"], '500 falls to default');
  assert.equal(check(200, ct, Buffer.alloc(0), 'HEAD'), undefined, 'HEAD has no body to check');
  assert.equal(check(204, {}, Buffer.alloc(0)), undefined, '204 falls to 2XX and has no body');
  assert.equal(check(200, {}, undefined), undefined, 'status only');
  const search = v.match('GET', '/things/search')!.check;
  assert.deepEqual(search.checkResponse('GET', { status: 404 })?.errors.map((e) => e.message), ['status 404 is not declared (declared: 200)']);
});

test('request matching: parameters of every shape, bodies buffered or only announced', (t) => {
  const dir = specsDir(
    t,
    `openapi: 3.1.0
info: { title: t, version: "1" }
paths:
  /orders:
    post:
      operationId: createOrder
      parameters:
        - { name: tag, in: query, schema: { type: array, items: { type: integer } } }
        - { name: ids, in: query, explode: false, schema: { type: array, items: { type: integer } } }
        - { name: filter, in: query, required: true, style: deepObject, schema: { type: object } }
        - { name: page, in: query, required: true, schema: { type: object, properties: { size: { type: integer } } } }
        - { name: X-Tenant, in: header, required: true, schema: { type: string, minLength: 2 } }
        - { name: Authorization, in: header, required: true, schema: { type: string } }
        - { $ref: "#/components/parameters/Dry" }
      requestBody:
        required: true
        content: { application/json: { schema: { type: object, required: [sku] } } }
      responses: { default: { description: any } }
components:
  parameters:
    Dry: { name: dry, in: query, schema: { type: boolean } }
`,
  );
  const v = compileSpecValidators(loadSpecs(dir));
  const check = (url: string, headers: Record<string, string>, body?: string) => {
    const m = v.match('POST', url)!;
    return m.check.checkRequest({ method: 'POST', url, headers, body: body === undefined ? undefined : Buffer.from(body) }, m.pathParams)?.errors.map((e) => `${e.instancePath} ${e.message}`) ?? [];
  };
  const json = { 'content-type': 'application/json', 'x-tenant': 'acme' };
  assert.deepEqual(check('/orders?filter[state]=open&tag=1&tag=2&ids=3,4&dry=true', json, '{"sku":"a"}'), [], 'deepObject present, exploded object not checkable, arrays and a $ref parameter fine; Authorization is ignored as OpenAPI says');
  assert.deepEqual(check('/orders?tag=1&tag=x&ids=3,y&dry=maybe', { ...json, 'x-tenant': 'a' }, '{"sku":"a"}'), [
    '/query/tag/1 must be integer',
    '/query/ids/1 must be integer',
    "/query/filter must have required query parameter 'filter'",
    '/headers/x-tenant must NOT have fewer than 2 characters',
    '/query/dry must be boolean',
  ]);
  assert.deepEqual(check('/orders?filter[a]=1', { 'x-tenant': 'acme', 'content-type': 'application/json' }, '{}'), ["/body must have required property 'sku'"]);
  assert.deepEqual(check('/orders?filter[a]=1', { 'x-tenant': 'acme', 'content-type': 'text/plain' }, 'sku'), ['/headers/content-type text/plain is not declared (declared: application/json)']);
  // Not buffered: the body is known only from its headers.
  assert.deepEqual(check('/orders?filter[a]=1', { 'x-tenant': 'acme' }), ['/body request body is required']);
  assert.deepEqual(check('/orders?filter[a]=1', { 'x-tenant': 'acme', 'content-type': 'application/json', 'content-length': '12' }), []);
  assert.deepEqual(check('/orders?filter[a]=1', { 'x-tenant': 'acme', 'transfer-encoding': 'chunked', 'content-type': 'application/xml' }), ['/headers/content-type application/xml is not declared (declared: application/json)']);
});
