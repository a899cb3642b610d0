/**
 * Request handling around the handlers (servlet filters, interceptors, JAX-RS filters, argument
 * resolvers) and servlets registered in code: the regressions the spring-filters and
 * jaxrs-filters fixtures do not state as operation lists.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../../analyzers/analyze.js';
import { javaFrontend } from '../../../analyzers/java/index.js';
import { parseWebXml, parseWebXmlFilters } from '../../../analyzers/java/config.js';
import { coversPaths } from '../../../analyzers/java/registrations.js';
import { buildOutputs } from '../../../analyzers/output.js';
import { parse } from 'yaml';
import { tempDir } from '../../helpers/tmp.js';
import { analyzeFixture, type Doc } from './harness.js';

type Param = { name: string; in: string; required?: boolean; description?: string };

function params(doc: Doc, path: string, method: string): Param[] {
  return (doc.paths[path]?.[method]?.parameters ?? []) as Param[];
}

test('servlet url-patterns and Ant path patterns decide which operations a filter or interceptor covers', () => {
  const servlet = (patterns: string[], excludes: string[] = []) => ({ patterns, excludes, style: 'servlet' as const });
  const ant = (patterns: string[], excludes: string[] = []) => ({ patterns, excludes, style: 'ant' as const });
  assert.equal(coversPaths(servlet([]), ['/anything']), true, 'no pattern: every request');
  assert.equal(coversPaths(servlet(['/*']), ['/a/b']), true);
  assert.equal(coversPaths(servlet(['/api/*']), ['/api']), true, '/api/* also serves /api');
  assert.equal(coversPaths(servlet(['/api/*']), ['/api/users/{id}']), true);
  assert.equal(coversPaths(servlet(['/api/*']), ['/apix']), false);
  assert.equal(coversPaths(servlet(['*.do']), ['/orders/{name}.do']), true);
  assert.equal(coversPaths(servlet(['/status']), ['/status', '/statusx']), true);
  assert.equal(coversPaths(servlet(['/status']), ['/statusx']), false);
  assert.equal(coversPaths(ant(['/**']), ['/x/y/z']), true);
  assert.equal(coversPaths(ant(['/api/**']), ['/api']), true);
  assert.equal(coversPaths(ant(['/users/*']), ['/users/{id}']), true);
  assert.equal(coversPaths(ant(['/users/*']), ['/users/{id}/orders']), false, 'one * is one segment');
  assert.equal(coversPaths(ant(['/users/{id}/orders']), ['/users/{userId}/orders']), true);
  assert.equal(coversPaths(ant(['/**'], ['/internal/**']), ['/internal/ping']), false, 'excluded');
  assert.equal(coversPaths(ant(['/v?/items']), ['/v1/items']), true);
});

test('headers read by filters and resolvers are optional parameters; standard and unregistered ones are left out', async () => {
  const { doc } = await analyzeFixture('spring-filters');
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const list = (op.parameters ?? []) as Param[];
      for (const p of list.filter((x) => x.in === 'header')) assert.notEqual(p.required, true, `${method} ${path} ${p.name}`);
      assert.ok(!list.some((p) => /^(User-Agent|X-Debug)$/i.test(p.name)), `${method} ${path}: ${list.map((p) => p.name)}`);
    }
  }
  // Without the resolver, Tenant's fields would be query parameters (model attribute binding).
  assert.deepEqual(params(doc, '/orders', 'get').filter((p) => p.in === 'query').map((p) => p.name), ['status']);
});

test('a JAX-RS filter bound by a @NameBinding annotation covers only the resources carrying it; an unregistered servlet is reported', async () => {
  const { doc, rules } = await analyzeFixture('jaxrs-filters');
  const withToken = Object.keys(doc.paths).filter((path) => params(doc, path, 'get').some((p) => p.name === 'X-Admin-Token'));
  assert.deepEqual(withToken, ['/api/items/{id}']);
  assert.deepEqual(params(doc, '/status', 'get'), [], 'JAX-RS filters and /api/items/* filters do not cover the servlet');
  assert.deepEqual(rules.diagnostics, [
    {
      path: 'src/main/java/org/acme/depot/UnregisteredServlet.java',
      line: 8,
      severity: 'info',
      message: 'servlet UnregisteredServlet has no @WebServlet, no web.xml mapping and no registration in the analyzed code; its handlers are not operations',
    },
  ]);
});

test('a servlet registered through ServletContext#addServlet and a filter through addFilter get their url mappings', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'src'));
  writeFileSync(
    join(dir, 'src', 'Boot.java'),
    `package x;
import javax.servlet.*;
public class Boot implements ServletContainerInitializer {
  private static final String[] REPORTS = {"/reports/*"};
  public void onStartup(java.util.Set<Class<?>> c, ServletContext ctx) {
    ServletRegistration.Dynamic reports = ctx.addServlet("reports", new ReportServlet());
    reports.addMapping(REPORTS);
    ctx.addFilter("sign", SignatureFilter.class).addMappingForUrlPatterns(null, false, "/reports/*");
  }
}
`,
  );
  writeFileSync(
    join(dir, 'src', 'ReportServlet.java'),
    `package x;
import javax.servlet.http.*;
public class ReportServlet extends HttpServlet {
  protected void doGet(HttpServletRequest req, HttpServletResponse resp) {
    String id = req.getPathInfo();
    String fmt = req.getHeader(Names.FORMAT);
  }
}
`,
  );
  writeFileSync(join(dir, 'src', 'Names.java'), 'package x;\npublic interface Names {\n  String FORMAT = "X-Report-Format";\n}\n');
  writeFileSync(
    join(dir, 'src', 'SignatureFilter.java'),
    `package x;
import javax.servlet.*;
import javax.servlet.http.HttpServletRequest;
public class SignatureFilter implements Filter {
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) {
    HttpServletRequest http = (HttpServletRequest) req;
    http.getHeader("X-Signature");
  }
}
`,
  );
  const result = await analyze({ paths: [dir], frontends: [javaFrontend] });
  const doc = parse(buildOutputs(result, { toolVersion: '0.0.0-test' }).files['openapi.yaml']!) as Doc;
  assert.deepEqual(Object.keys(doc.paths).sort(), ['/reports', '/reports/{pathInfo}']);
  assert.deepEqual(params(doc, '/reports/{pathInfo}', 'get').map((p) => `${p.name}:${p.in}`).sort(), ['X-Report-Format:header', 'X-Signature:header', 'pathInfo:path']);
});

test('web.xml filters: url-pattern and servlet-name mappings, commented and unmapped filters left out', () => {
  const xml = `<web-app>
  <servlet><servlet-name>api</servlet-name><servlet-class>x.Api</servlet-class></servlet>
  <servlet-mapping><servlet-name>api</servlet-name><url-pattern>/api/*</url-pattern></servlet-mapping>
  <filter><filter-name>auth</filter-name><filter-class>x.AuthFilter</filter-class></filter>
  <filter><filter-name>idle</filter-name><filter-class>x.IdleFilter</filter-class></filter>
  <filter-mapping><filter-name>auth</filter-name><url-pattern>/admin/*</url-pattern><servlet-name>api</servlet-name></filter-mapping>
  <!-- <filter-mapping><filter-name>idle</filter-name><url-pattern>/*</url-pattern></filter-mapping> -->
</web-app>`;
  const filters = parseWebXmlFilters(xml, 'WEB-INF/web.xml', parseWebXml(xml));
  assert.deepEqual(filters.map((f) => [f.name, f.className, f.patterns, f.line]), [['auth', 'x.AuthFilter', ['/admin/*', '/api/*'], 4]]);
});
