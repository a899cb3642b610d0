/**
 * Deployment facts outside the Java sources that change the served paths, read once per run by
 * the frontend's `prepare`: the servlet context path and the Spring MVC / JAX-RS base paths from
 * `application.properties` / `application.yml` (Spring Boot, Quarkus), and the `web.xml`
 * servlet declarations and mappings (plain servlets, a DispatcherServlet or a JAX-RS servlet
 * under `/api/*`). Each applies to the Java files of its module: the directory above
 * `src/main/...` (or above `WEB-INF`), the longest such prefix of a file's path winning.
 */
import { parseAllDocuments } from 'yaml';
import type { TreeFile } from '../model.js';

export interface ServletDecl {
  name: string;
  className?: string;
  patterns: string[];
  /** `javax.ws.rs.Application` init-param, when the servlet serves a JAX-RS application. */
  application?: string;
  line: number;
}

/** A web.xml `<filter>` with the url-patterns of its `<filter-mapping>`s (servlet-name mappings resolved to that servlet's patterns). */
export interface FilterDecl {
  name: string;
  className?: string;
  patterns: string[];
  /** The web.xml it is declared in, and the line of its `<filter>`. */
  path: string;
  line: number;
}

export interface ModuleConfig {
  /** Module root, relative, `''` for the tree's root, else ending with `/`. */
  root: string;
  /** The files these facts come from, for notes. */
  sources: string[];
  /** `server.servlet.context-path`, `server.context-path`, `quarkus.http.root-path`. */
  contextPath?: string;
  /** `spring.mvc.servlet.path`, or the url-pattern of a DispatcherServlet in web.xml. */
  springPath?: string;
  /** `spring.jersey.application-path` (wins over `@ApplicationPath`), Quarkus `quarkus.resteasy.path`/`quarkus.rest.path`, or a JAX-RS servlet's url-pattern. */
  jaxrsPath?: string;
  jaxrsPathWins?: boolean;
  servlets: ServletDecl[];
  /** web.xml servlet filters. */
  filters?: FilterDecl[];
  /** `spring.data.web.pageable.page-parameter` / `size-parameter`. */
  pageable?: { page?: string; size?: string };
  /** Properties whose value is a path (starts with `/`), for `${prop}` placeholders in mappings. */
  pathProperties?: Record<string, string>;
}

export interface JavaContext {
  javaConfig?: ModuleConfig[];
}

const PROPERTIES = /(^|\/)application\.(properties|ya?ml)$/;
const WEB_XML = /(^|\/)WEB-INF\/web\.xml$|(^|\/)web\.xml$/;

/** Reads every application.properties/yml and web.xml of the tree (test resources excluded). */
export function readJavaConfig(tree: readonly TreeFile[]): JavaContext {
  const modules = new Map<string, ModuleConfig>();
  const moduleOf = (root: string): ModuleConfig => {
    let m = modules.get(root);
    if (!m) {
      m = { root, sources: [], servlets: [] };
      modules.set(root, m);
    }
    return m;
  };
  for (const f of tree) {
    if (/(^|\/)src\/test\//.test(f.path)) continue;
    if (PROPERTIES.test(f.path)) {
      const text = f.read();
      if (text === undefined) continue;
      const props = f.path.endsWith('.properties') ? parseProperties(text) : parseYamlProperties(text);
      const m = moduleOf(moduleRoot(f.path));
      const get = (...keys: string[]): string | undefined => {
        for (const k of keys) {
          const v = props.get(relaxed(k));
          if (v !== undefined) return v;
        }
        return undefined;
      };
      const context = get('server.servlet.context-path', 'server.context-path', 'quarkus.http.root-path');
      const spring = get('spring.mvc.servlet.path');
      const jersey = get('spring.jersey.application-path');
      const quarkus = get('quarkus.rest.path', 'quarkus.resteasy.path', 'quarkus.resteasy-reactive.path');
      let used = false;
      const page = get('spring.data.web.pageable.page-parameter');
      const size = get('spring.data.web.pageable.size-parameter');
      if (page || size) (m.pageable = { ...m.pageable, ...(page ? { page } : {}), ...(size ? { size } : {}) }), (used = true);
      for (const [k, v] of props.raw) if (v.startsWith('/')) (m.pathProperties ??= {})[k] ??= v;
      if (context !== undefined && m.contextPath === undefined) (m.contextPath = context), (used = true);
      if (spring !== undefined && m.springPath === undefined) (m.springPath = spring), (used = true);
      if (jersey !== undefined) (m.jaxrsPath = jersey), (m.jaxrsPathWins = true), (used = true);
      else if (quarkus !== undefined && m.jaxrsPath === undefined) (m.jaxrsPath = quarkus), (used = true);
      if (used) m.sources.push(f.path);
    } else if (WEB_XML.test(f.path)) {
      const text = f.read();
      if (text === undefined || !/<web-app\b/.test(text)) continue;
      const m = moduleOf(moduleRoot(f.path));
      const servlets = parseWebXml(text);
      m.servlets.push(...servlets);
      const filters = parseWebXmlFilters(text, f.path, servlets);
      if (filters.length) (m.filters ??= []).push(...filters);
      m.sources.push(f.path);
      for (const s of servlets) {
        const base = s.patterns.map(patternBase).find((p) => p !== undefined);
        if (base === undefined) continue;
        if (s.className && /DispatcherServlet$/.test(s.className)) m.springPath ??= base;
        else if (s.application || /(ServletContainer|HttpServletDispatcher|CXFNonSpringJaxrsServlet|CXFServlet)$/.test(s.className ?? '')) m.jaxrsPath ??= base;
      }
      const prefix = /<param-name>\s*resteasy\.servlet\.mapping\.prefix\s*<\/param-name>\s*<param-value>\s*([^<\s]+)\s*<\/param-value>/.exec(text);
      if (prefix) m.jaxrsPath = prefix[1]!;
    }
  }
  return modules.size ? { javaConfig: [...modules.values()].sort((a, b) => a.root.localeCompare(b.root)) } : {};
}

/** The module configuration that applies to a Java file. */
export function configFor(context: JavaContext, path: string): ModuleConfig | undefined {
  let best: ModuleConfig | undefined;
  for (const m of context.javaConfig ?? []) {
    if (path.startsWith(m.root) && (!best || m.root.length > best.root.length)) best = m;
  }
  return best;
}

/** `/users/*` → `/users`, `/` and `/*` → ``; extension patterns have no base. */
export function patternBase(pattern: string): string | undefined {
  if (pattern.startsWith('*.')) return undefined;
  return pattern.replace(/\/?\*$/, '').replace(/\/$/, '');
}

function moduleRoot(path: string): string {
  // `mod/src/main/resources/application.yml`, `mod/src/main/webapp/WEB-INF/web.xml`, or the same
  // with `src/main` itself analyzed (`resources/...`, `webapp/...`), or `WEB-INF/web.xml`.
  const m = /^(.*?\/)?(?:src\/main\/)?(?:resources|webapp|WebContent|web|WEB-INF|config)\//.exec(path);
  if (m) return m[1] ?? '';
  const slash = path.lastIndexOf('/');
  return slash >= 0 ? path.slice(0, slash + 1) : '';
}

/** Spring's relaxed binding: `context-path`, `contextPath` and `context_path` are one key. */
function relaxed(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

/** `${VAR:default}` → `default`; a placeholder without default leaves the value unknown. */
function resolvePlaceholders(value: string): string | undefined {
  let unknown = false;
  const out = value.replace(/\$\{([^}:]*)(?::([^}]*))?\}/g, (_m, _name: string, def: string | undefined) => {
    if (def === undefined) unknown = true;
    return def ?? '';
  });
  return unknown ? undefined : out.trim();
}

/** Properties by relaxed key, and `raw` by the key as written. */
export type Props = Map<string, string> & { raw: Map<string, string> };

function newProps(): Props {
  return Object.assign(new Map<string, string>(), { raw: new Map<string, string>() });
}

export function parseProperties(text: string): Props {
  const out = newProps();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '');
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    const m = /^((?:\\.|[^=:\s])+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (!m) continue;
    const value = resolvePlaceholders(m[2]!);
    const key = m[1]!.replace(/\\(.)/g, '$1');
    if (value !== undefined) out.set(relaxed(key), value), out.raw.set(key, value);
  }
  return out;
}

function parseYamlProperties(text: string): Props {
  const out = newProps();
  let docs;
  try {
    docs = parseAllDocuments(text);
  } catch {
    return out;
  }
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    let value: unknown;
    try {
      value = doc.toJS();
    } catch {
      continue;
    }
    const flat = new Map<string, string>();
    flatten(value, '', flat);
    // Profile-specific documents do not apply by default.
    if (flat.has('spring.config.activate.on-profile') || flat.has('spring.profiles')) continue;
    for (const [k, v] of flat) {
      if (!out.has(relaxed(k))) out.set(relaxed(k), v);
      if (!out.raw.has(k)) out.raw.set(k, v);
    }
  }
  return out;
}

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    const v = resolvePlaceholders(String(value));
    if (v !== undefined) out.set(prefix, v);
  }
}

/** `<servlet>` and `<servlet-mapping>` of a web.xml, joined by servlet name. */
export function parseWebXml(text: string): ServletDecl[] {
  const clean = text.replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '));
  const tag = (block: string, name: string): string | undefined => new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(block)?.[1];
  const byName = new Map<string, ServletDecl>();
  for (const m of clean.matchAll(/<servlet>([\s\S]*?)<\/servlet>/g)) {
    const block = m[1]!;
    const name = tag(block, 'servlet-name');
    if (!name) continue;
    const className = tag(block, 'servlet-class');
    const app = /<param-name>\s*(?:javax|jakarta)\.ws\.rs\.Application\s*<\/param-name>\s*<param-value>\s*([^<\s]+)/.exec(block)?.[1];
    const line = clean.slice(0, m.index).split('\n').length;
    byName.set(name, { name, ...(className ? { className } : {}), patterns: [], ...(app ? { application: app } : /\.|Application$/.test(name) && !className ? { application: name } : {}), line });
  }
  for (const m of clean.matchAll(/<servlet-mapping>([\s\S]*?)<\/servlet-mapping>/g)) {
    const block = m[1]!;
    const name = tag(block, 'servlet-name');
    if (!name) continue;
    const decl = byName.get(name) ?? { name, patterns: [], line: clean.slice(0, m.index).split('\n').length, ...(/\.|Application$/.test(name) ? { application: name } : {}) };
    byName.set(name, decl);
    for (const p of block.matchAll(/<url-pattern>\s*([^<]*?)\s*<\/url-pattern>/g)) decl.patterns.push(p[1]!);
  }
  return [...byName.values()];
}

/** `<filter>` and `<filter-mapping>` of a web.xml, joined by filter name; a mapping by `<servlet-name>` takes that servlet's url-patterns. */
export function parseWebXmlFilters(text: string, path: string, servlets: readonly ServletDecl[]): FilterDecl[] {
  const clean = text.replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '));
  const tag = (block: string, name: string): string | undefined => new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(block)?.[1];
  const byName = new Map<string, FilterDecl>();
  for (const m of clean.matchAll(/<filter>([\s\S]*?)<\/filter>/g)) {
    const name = tag(m[1]!, 'filter-name');
    if (!name) continue;
    const className = tag(m[1]!, 'filter-class');
    byName.set(name, { name, ...(className ? { className } : {}), patterns: [], path, line: clean.slice(0, m.index).split('\n').length });
  }
  for (const m of clean.matchAll(/<filter-mapping>([\s\S]*?)<\/filter-mapping>/g)) {
    const decl = byName.get(tag(m[1]!, 'filter-name') ?? '');
    if (!decl) continue;
    for (const p of m[1]!.matchAll(/<url-pattern>\s*([^<]*?)\s*<\/url-pattern>/g)) decl.patterns.push(p[1]!);
    for (const s of m[1]!.matchAll(/<servlet-name>\s*([^<]*?)\s*<\/servlet-name>/g)) decl.patterns.push(...(s[1] === '*' ? ['/*'] : (servlets.find((x) => x.name === s[1])?.patterns ?? [])));
  }
  return [...byName.values()].filter((f) => f.patterns.length > 0);
}
