/** The Java frontend's edges: files without routes, broken syntax, deployment configuration, the CLI path. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { parse } from 'yaml';
import { analyze } from '../../../analyzers/analyze.js';
import { frontends } from '../../../analyzers/frontends.js';
import { configFor, parseProperties, parseWebXml, readJavaConfig } from '../../../analyzers/java/config.js';
import { javaFrontend } from '../../../analyzers/java/index.js';
import type { TreeFile } from '../../../analyzers/model.js';
import { repoRoot, tempDir } from '../../helpers/tmp.js';
import { analyzeFixture, fixtures } from './harness.js';


test('java files without routes: no operation, and an info diagnostic that says what was looked for', async () => {
  const { doc, rules } = await analyzeFixture('no-routes');
  assert.deepEqual(doc.paths, {});
  assert.deepEqual(rules.diagnostics, [
    { path: 'src/util/Strings.java', line: 1, severity: 'info', message: 'no HTTP routes found in the 1 java file analyzed (looked for Spring MVC, JAX-RS or servlet routes); no operations written for them' },
  ]);
});

test('broken syntax: a warning with the lines, no crash, and the routes of the parsable parts are kept', async () => {
  const { doc, rules } = await analyzeFixture('broken');
  const warnings = rules.diagnostics.filter((d) => d.severity === 'warning');
  assert.deepEqual(warnings.map((d) => [d.path, d.line]), [
    ['src/Broken.java', 14],
    ['src/Garbage.java', 1],
  ]);
  assert.match(warnings[0]!.message, /lines 14, 15/);
  assert.ok(doc.paths['/broken/ok']?.get, 'the route before the broken method is still found');
  assert.equal(rules.diagnostics.filter((d) => d.severity === 'error').length, 0);
});

test('the java frontend is registered after cobol and takes .java files only', () => {
  const languages = frontends.map((f) => f.language);
  assert.equal(languages[0], 'cobol');
  assert.ok(languages.includes('java'));
  assert.equal(javaFrontend.accepts('src/A.java', ''), true);
  assert.equal(javaFrontend.accepts('src/A.kt', ''), false);
  assert.equal(javaFrontend.accepts('svc/src/test/java/ApiTest.java', ''), false, 'test sources are not the service');
});

test('application.properties: relaxed keys, continuation lines, ${...:default} placeholders', () => {
  const p = parseProperties('# c\nserver.servlet.contextPath = /a\\\n  pp\nspring.mvc.servlet.path=${BASE:/mvc}\nx=${UNSET}\n');
  assert.equal(p.get('server.servlet.contextpath'), '/app', 'contextPath and context-path are one key');
  assert.equal(p.raw.get('server.servlet.contextPath'), '/app');
  assert.equal(p.get('spring.mvc.servlet.path'), '/mvc');
  assert.equal(p.get('x'), undefined);
});

test('web.xml: servlets joined with their mappings, commented mappings ignored, JAX-RS and DispatcherServlet bases', () => {
  const xml = `<web-app>
  <servlet><servlet-name>a</servlet-name><servlet-class>x.A</servlet-class></servlet>
  <!-- <servlet-mapping><servlet-name>a</servlet-name><url-pattern>/gone</url-pattern></servlet-mapping> -->
  <servlet-mapping><servlet-name>a</servlet-name><url-pattern>/a/*</url-pattern><url-pattern>*.do</url-pattern></servlet-mapping>
  <servlet><servlet-name>jersey</servlet-name><servlet-class>org.glassfish.jersey.servlet.ServletContainer</servlet-class></servlet>
  <servlet-mapping><servlet-name>jersey</servlet-name><url-pattern>/rest/*</url-pattern></servlet-mapping>
  <servlet><servlet-name>mvc</servlet-name><servlet-class>org.springframework.web.servlet.DispatcherServlet</servlet-class></servlet>
  <servlet-mapping><servlet-name>mvc</servlet-name><url-pattern>/mvc/*</url-pattern></servlet-mapping>
</web-app>`;
  assert.deepEqual(parseWebXml(xml).map((s) => [s.name, s.className, s.patterns, s.line]), [
    ['a', 'x.A', ['/a/*', '*.do'], 2],
    ['jersey', 'org.glassfish.jersey.servlet.ServletContainer', ['/rest/*'], 5],
    ['mvc', 'org.springframework.web.servlet.DispatcherServlet', ['/mvc/*'], 7],
  ]);
  const tree: TreeFile[] = [
    { path: 'svc/src/main/webapp/WEB-INF/web.xml', absolutePath: '/x', read: () => xml },
    { path: 'svc/src/main/resources/application.yml', absolutePath: '/y', read: () => 'server:\n  servlet:\n    context-path: /ctx\n' },
    { path: 'svc/src/test/resources/application.yml', absolutePath: '/z', read: () => 'server:\n  servlet:\n    context-path: /test\n' },
  ];
  const config = configFor(readJavaConfig(tree), 'svc/src/main/java/x/A.java')!;
  assert.equal(config.contextPath, '/ctx');
  assert.equal(config.jaxrsPath, '/rest');
  assert.equal(config.springPath, '/mvc');
  assert.equal(configFor(readJavaConfig(tree), 'other/src/main/java/B.java'), undefined);
});

test('ficus analyze on a Java tree: exit 0, valid OpenAPI 3.1, a cached re-run gives the same spec', async (t) => {
  const out = join(tempDir(t), 'out');
  const bin = join(repoRoot, 'dist', 'cli', 'ficus.js');
  const cwd = tempDir(t);
  const run = () => spawnSync(process.execPath, [bin, 'analyze', join(fixtures, 'spring-inheritance'), '--out', out], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 });
  const first = run();
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /11 files \(11 analyzed, 0 cached, 0 failed\).* 13 operations/);
  const yaml = readFileSync(join(out, 'openapi.yaml'), 'utf8');
  const res = await new Validator().validate(yaml);
  assert.equal(res.valid, true, JSON.stringify(res.errors));
  const again = run();
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /\(0 analyzed, 11 cached, 0 failed\)/);
  assert.equal(readFileSync(join(out, 'openapi.yaml'), 'utf8'), yaml, 'linked from cached facts: byte-identical');
  assert.ok((parse(yaml) as { paths: Record<string, unknown> }).paths['/api/v1/users/{id}']);
});

test('a JAX-RS class with resource methods that no locator returns is left out with an info diagnostic; REST client interfaces are not served', async () => {
  const { doc, rules } = await analyzeFixture('jaxrs-app');
  assert.deepEqual(rules.diagnostics, [
    {
      path: 'src/main/java/org/acme/library/OrphanResource.java',
      line: 5,
      severity: 'info',
      message: 'OrphanResource has resource methods but no @Path, and no analyzed sub-resource locator returns it; its 1 route is left out',
    },
  ]);
  assert.ok(!Object.keys(doc.paths).some((p) => p.includes('remote')));
});

test('a Spring controller implementing an interface the sources lack (generated at build time) gets a warning, not invented routes', async (t) => {
  const dir = tempDir(t);
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'PetController.java'), 'package x;\nimport org.springframework.web.bind.annotation.*;\n@RestController\n@RequestMapping("/api")\npublic class PetController implements PetsApi {\n  @Override\n  public String listPets() { return ""; }\n}\n');
  const { analyze } = await import('../../../analyzers/analyze.js');
  const result = await analyze({ paths: [dir], frontends: [javaFrontend] });
  const diagnostics = result.files.flatMap((f) => f.diagnostics);
  assert.equal(result.files.flatMap((f) => f.operations).length, 0);
  assert.ok(diagnostics.some((d) => d.severity === 'warning' && d.line === 3 && /implements PetsApi, not found in the analyzed sources/.test(d.message)), JSON.stringify(diagnostics));
});

test('HEAD operations only where the code declares them: JAX-RS @HEAD, Spring RequestMethod.HEAD', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(
    join(dir, 'src', 'Ping.java'),
    `package acme;\n\nimport javax.ws.rs.*;\n\n@Path("/ping")\npublic class Ping {\n  @GET\n  public String get() { return "pong"; }\n\n  @HEAD\n  public void head() { }\n}\n`,
  );
  writeFileSync(
    join(dir, 'src', 'Files.java'),
    `package acme;\n\nimport org.springframework.web.bind.annotation.*;\n\n@RestController\npublic class Files {\n  @RequestMapping(value = "/files/{id}", method = {RequestMethod.GET, RequestMethod.HEAD})\n  public String file(@PathVariable String id) { return id; }\n\n  @GetMapping("/docs")\n  public String docs() { return ""; }\n}\n`,
  );
  const result = await analyze({ paths: [dir], frontends: [javaFrontend] });
  const ops = result.files.flatMap((f) => f.operations.map((o) => `${o.method.toUpperCase()} ${o.path} ${o.operationId}`)).sort();
  assert.deepEqual(ops, ['GET /docs docs', 'GET /files/{id} file', 'GET /ping get', 'HEAD /files/{id} file_head', 'HEAD /ping head']);
});
