/**
 * What one Python file cannot know about the others, gathered once per run before any file is
 * analyzed (`Frontend.prepare`): class hierarchies (a view whose base class sits in another
 * module: `class UserList(BaseListView)` → `generics.ListAPIView`), the HTTP-method and action
 * methods and a few DRF attributes those classes define, Django model fields (for
 * `ModelSerializer` `Meta.fields`), FastAPI dependency functions and `Annotated[..., Depends()]`
 * aliases, the DRF settings (`REST_FRAMEWORK`: default pagination and filter backends), and the
 * package the analyzed root belongs to. A cheap line scan, not a parse: it only has to find
 * `class`/`def` headers and a few assignments, and its JSON is part of every file's cache key.
 */
import type { TreeFile } from '../model.js';

export interface ClassSummary {
  /** Module the class is defined in (dotted, as `moduleInfo` names it). */
  module: string;
  /** Base classes as written (`generics.ListAPIView`, `Generic[T]` → `Generic`). */
  bases: string[];
  /** Methods defined in the class body. */
  methods: string[];
  /** A few class attributes whose values matter across files (`lookup_field`, `serializer_class`...), source text. */
  attrs?: Record<string, string>;
  /** Django model fields: name → field class (`CharField`, `ForeignKey`). */
  fields?: Record<string, string>;
}

export interface RouterFactory {
  /** Module the factory is defined in. */
  module: string;
  params: string[];
  prefix?: { param: string } | { literal: string };
  app?: boolean;
  /** The local variable holding the router it returns (routes may be declared on it inside the factory). */
  variable?: string;
  /** Some file calls it (`name(` besides its `def`): its router is a template of the routers built. */
  called?: boolean;
}

export interface ProjectIndex {
  /**
   * Package the analyzed root itself is (its directory name when it holds `__init__.py`, under
   * the packages above it when the code's absolute imports name them: `prefect.server`), else ''.
   */
  packagePrefix: string;
  classes: Record<string, ClassSummary[]>;
  /** Module-level functions used as FastAPI dependencies (`Depends(fn)`), by name. */
  dependencies: string[];
  /** `CurrentUser = Annotated[User, Depends(get_current_user)]`: alias → dependency function ('' when `Depends()` takes the type). */
  dependsAliases: Record<string, string>;
  /**
   * Module-level instances used as dependencies (`checker = VersionChecker(...)` then
   * `Depends(checker)`): instance name → the class called (last segment). FastAPI calls the
   * instance, so its class's `__call__` declares the parameters.
   */
  instances: Record<string, string>;
  /**
   * Dependency factories: module-level functions that return a function they define (`def
   * get_repo(cls): def _get(db = Depends(get_db)): ...; return _get`, used as
   * `Depends(get_repo(Repo))`), or `Depends()` of one (`def LimitBody(): def get_limit(limit:
   * int = Body(None)): ...; return Depends(get_limit)`, used as a default `limit = LimitBody()`).
   * Name → the inner function, and whether the factory returns the `Depends` marker itself.
   */
  factories: Record<string, { inner: string; marker: boolean }>;
  /**
   * Router factories: module-level functions that return a router or app they build (`def
   * make_router(prefix: str): return APIRouter(prefix=prefix, dependencies=[...])`, also through a
   * local variable), used as `router = make_router('/users')`. Name → its parameters, where the
   * router's prefix comes from (one of them, or a literal), and whether it builds an app.
   */
  routerFactories: Record<string, RouterFactory>;
  /** `REST_FRAMEWORK` settings that shape every DRF list operation. */
  drf: { pagination?: string; pageSize?: boolean; filterBackends?: string[] };
}

const CLASS_ATTRS = new Set([
  'lookup_field', 'lookup_url_kwarg', 'lookup_value_regex', 'serializer_class', 'pagination_class', 'filter_backends', 'filterset_class',
  'filterset_fields', 'filter_fields', 'search_fields', 'ordering_fields', 'http_method_names', 'methods', 'page_size_query_param', 'limit_query_param',
  'offset_query_param', 'cursor_query_param', 'page_query_param', 'queryset', 'model',
]);

export function emptyProjectIndex(): ProjectIndex {
  return { packagePrefix: '', classes: {}, dependencies: [], dependsAliases: {}, instances: {}, factories: {}, routerFactories: {}, drf: {} };
}

/** Scans every `.py` file of the tree (files over 2 MB are skipped). */
export function scanProject(tree: readonly TreeFile[], moduleOf: (path: string, packagePrefix: string) => string): ProjectIndex {
  const index = emptyProjectIndex();
  const pyFiles = tree.filter((f) => /\.pyi?$/.test(f.path));
  if (pyFiles.some((f) => f.path === '__init__.py')) {
    const first = pyFiles[0]!;
    const root = first.absolutePath.slice(0, first.absolutePath.length - first.path.length).replace(/[\\/]+$/, '');
    const base = root.split(/[\\/]/).pop() ?? '';
    if (/^[A-Za-z_]\w*$/.test(base)) index.packagePrefix = base;
  }
  const texts = pyFiles.map((f) => {
    const text = f.read();
    return text === undefined || text.length > 2_000_000 ? undefined : text;
  });
  if (index.packagePrefix) {
    const above = packagesAbove(index.packagePrefix, new Set(pyFiles.map((f) => moduleOf(f.path, index.packagePrefix))), texts);
    if (above) index.packagePrefix = `${above}.${index.packagePrefix}`;
  }
  const dependsNames = new Set<string>();
  const moduleFunctions = new Set<string>();
  const instances: Record<string, string> = {};
  const returned: ScanState['returned'] = {};
  pyFiles.forEach((f, i) => {
    const text = texts[i];
    if (text !== undefined) scanFile(text, moduleOf(f.path, index.packagePrefix), index, { dependsNames, moduleFunctions, instances, returned });
  });
  for (const [name, r] of Object.entries(returned)) {
    const cls = r.callee.split('.').pop()!;
    const kinds = [cls, ...ancestors(cls, index, () => undefined)];
    const app = kinds.includes('FastAPI');
    if (!app && !kinds.includes('APIRouter')) continue;
    const calls = texts.reduce((n, t) => n + (t === undefined ? 0 : (t.match(new RegExp(`(?<!\\w)${name}\\s*\\(`, 'g'))?.length ?? 0)), 0);
    const factory: RouterFactory = { module: r.module, params: r.params, ...(app ? { app } : {}), ...(r.variable ? { variable: r.variable } : {}), ...(calls > 1 ? { called: true } : {}) };
    const prefix = /\bprefix\s*=\s*(?:(['"])(.*?)\1|([A-Za-z_]\w*)\s*[,)])/.exec(r.text);
    if (prefix?.[3] !== undefined && r.params.includes(prefix[3])) factory.prefix = { param: prefix[3] };
    else if (prefix?.[2] !== undefined) factory.prefix = { literal: prefix[2] };
    index.routerFactories[name] = factory;
  }
  index.dependencies = [...dependsNames].filter((n) => moduleFunctions.has(n) || index.classes[n] !== undefined).sort();
  // A factory that returns a plain function is a dependency only where `Depends(factory(...))` says so (not a decorator).
  for (const [name, f] of Object.entries(index.factories)) if (!f.marker && !dependsNames.has(name)) delete index.factories[name];
  for (const name of [...dependsNames].sort()) {
    const cls = instances[name];
    if (cls !== undefined && index.classes[cls] !== undefined && !moduleFunctions.has(name)) index.instances[name] = cls;
  }
  return index;
}

/**
 * The packages the analyzed root package sits in, as the code's own absolute imports spell them:
 * `src/prefect/server` analyzed alone imports its modules as `prefect.server.api.flows`, not
 * `server.api.flows`. The ancestor most imports put before a module of the root (more often than
 * they import it from the root itself), or undefined.
 */
function packagesAbove(root: string, modules: ReadonlySet<string>, texts: readonly (string | undefined)[]): string | undefined {
  const known = new Set<string>();
  for (const m of modules) {
    const parts = m.split('.');
    for (let i = 1; i <= parts.length; i++) known.add(parts.slice(0, i).join('.'));
  }
  const votes = new Map<string, number>();
  let fromRoot = 0;
  for (const text of texts) {
    if (text === undefined) continue;
    for (const m of text.matchAll(/^[ \t]*(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b|import[ \t]+([A-Za-z_][\w.]*))/gm)) {
      const parts = (m[1] ?? m[2])!.split('.');
      const at = parts.indexOf(root);
      if (at < 0 || !known.has(parts.slice(at).join('.'))) continue;
      if (at === 0) fromRoot++;
      else {
        const above = parts.slice(0, at).join('.');
        votes.set(above, (votes.get(above) ?? 0) + 1);
      }
    }
  }
  const [best, count] = [...votes.entries()].sort((a, b) => b[1] - a[1])[0] ?? [undefined, 0];
  return best !== undefined && count >= 2 && count > fromRoot ? best : undefined;
}

interface ScanState {
  /** Names passed to `Depends(...)`/`Security(...)` anywhere. */
  dependsNames: Set<string>;
  moduleFunctions: Set<string>;
  /** Every module-level `name = Callee(...)`: name → callee (last segment). */
  instances: Record<string, string>;
  /** Module-level functions returning a call (`return APIRouter(...)`, or a variable assigned one): the call, the variable, the function's parameters. */
  returned: Record<string, { callee: string; text: string; params: string[]; module: string; variable?: string }>;
}

interface OpenFunction {
  name: string;
  indent: number;
  nested: Set<string>;
  params: string[];
  /** Local `name = Callee(...)`: the callee and the call's text. */
  calls: Map<string, { callee: string; text: string }>;
}

/** The text of a call starting on line `i` (at `from`), up to its closing parenthesis (40 lines at most). */
function callText(lines: readonly string[], i: number, from: number): string {
  let text = lines[i]!.slice(from);
  for (let j = i; depthOf(text) > 0 && j + 1 < lines.length && j - i < 40; ) text += ` ${lines[++j]!.trim()}`;
  return text;
}

/** Parameter names of a `def` header starting on line `i`. */
function paramNames(lines: readonly string[], i: number): string[] {
  const line = lines[i]!;
  const open = line.indexOf('(');
  if (open < 0) return [];
  let header = line.slice(open + 1);
  for (let j = i; depthOf(header) > -1 && j + 1 < lines.length && j - i < 40; ) header += ` ${lines[++j]!.trim()}`;
  return splitTopLevel(header).map((p) => /^\s*([A-Za-z_]\w*)/.exec(p)?.[1]).filter((p): p is string => p !== undefined && p !== 'self');
}

interface OpenClass {
  indent: number;
  bodyIndent: number | undefined;
  summary: ClassSummary;
  name: string;
}

function scanFile(text: string, module: string, index: ProjectIndex, state: ScanState): void {
  const { dependsNames, moduleFunctions } = state;
  const lines = text.split(/\r?\n/);
  const stack: OpenClass[] = [];
  // The module-level function being read, for dependency factories.
  let fn: OpenFunction | undefined;
  for (const m of text.matchAll(/\b(?:Depends|Security)\(\s*(?:dependency\s*=\s*)?([A-Za-z_][\w.]*)/g)) dependsNames.add(m[1]!.split('.').pop()!);
  // `params: Pagination = Depends()`: the annotated class is the dependency.
  for (const m of text.matchAll(/:\s*([A-Za-z_][\w.]*)\s*=\s*(?:Depends|Security)\(\s*\)/g)) dependsNames.add(m[1]!.split('.').pop()!);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim() || /^\s*#/.test(line)) continue;
    const indent = line.length - line.trimStart().length;
    while (stack.length > 0 && indent <= stack[stack.length - 1]!.indent) stack.pop();
    if (fn && indent <= fn.indent && !/^\s*[)\]}]/.test(line)) fn = undefined;
    if (fn) {
      const nested = /^\s+(?:async\s+)?def\s+([A-Za-z_]\w*)/.exec(line);
      if (nested) fn.nested.add(nested[1]!);
      const ret = /^\s+return\s+(?:(?:[\w.]*\.)?(?:Depends|Security)\(\s*(?:dependency\s*=\s*)?)?([A-Za-z_]\w*)\s*\)?\s*(?:#.*)?$/.exec(line);
      if (ret && fn.nested.has(ret[1]!)) index.factories[fn.name] = { inner: ret[1]!, marker: /\b(?:Depends|Security)\(/.test(line) };
      const local = /^\s+([A-Za-z_]\w*)\s*(?::[^=]+)?=\s*([A-Za-z_][\w.]*)\(/.exec(line);
      if (local) fn.calls.set(local[1]!, { callee: local[2]!, text: callText(lines, i, local[0].length - 1) });
      const returnsCall = /^\s+return\s+([A-Za-z_][\w.]*)\(/.exec(line);
      const made = returnsCall ? { callee: returnsCall[1]!, text: callText(lines, i, returnsCall[0].length - 1) } : ret && fn.calls.has(ret[1]!) ? { ...fn.calls.get(ret[1]!)!, variable: ret[1]! } : undefined;
      if (made) state.returned[fn.name] ??= { ...made, params: fn.params, module };
    }
    const top = stack[stack.length - 1];
    if (top && top.bodyIndent === undefined) top.bodyIndent = indent;
    const inBody = top !== undefined && indent === top.bodyIndent;

    const cls = /^(\s*)class\s+([A-Za-z_]\w*)\s*([(:])/.exec(line);
    if (cls) {
      let bases: string[] = [];
      if (cls[3] === '(') {
        let header = line.slice(cls[0].length);
        let j = i;
        while (depthOf(header) > -1 && j + 1 < lines.length && j - i < 30) header += ` ${lines[++j]!.trim()}`;
        i = j;
        bases = splitBases(header);
      }
      const summary: ClassSummary = { module, bases, methods: [] };
      (index.classes[cls[2]!] ??= []).push(summary);
      stack.push({ indent, bodyIndent: undefined, summary, name: cls[2]! });
      continue;
    }
    // pydantic `class Config: alias_generator = to_camel` / `model_config = ConfigDict(alias_generator=to_camel)`
    const generator = /\balias_generator\s*=\s*([A-Za-z_][\w.]*)/.exec(line);
    if (generator) {
      const owner = [...stack].reverse().find((c) => c.name !== 'Config' && c.name !== 'Meta');
      if (owner) (owner.summary.attrs ??= {}).alias_generator = generator[1]!;
    }
    const def = /^(\s*)(?:async\s+)?def\s+([A-Za-z_]\w*)/.exec(line);
    if (def) {
      if (indent === 0) {
        moduleFunctions.add(def[2]!);
        fn = { name: def[2]!, indent: 0, nested: new Set(), params: paramNames(lines, i), calls: new Map() };
      }
      if (inBody) top!.summary.methods.push(def[2]!);
      continue;
    }
    if (inBody) {
      const attr = /^\s*([A-Za-z_]\w*)\s*(?::[^=]+)?=\s*(.+)$/.exec(line);
      if (attr) {
        const [, name, value] = attr;
        const field = /^(?:[\w.]*\.)?(\w*Field|ForeignKey|OneToOneField|ManyToManyField|GenericRelation|TaggableManager)\s*\(/.exec(value!);
        if (field) (top!.summary.fields ??= {})[name!] = field[1]!;
        else if (CLASS_ATTRS.has(name!)) {
          let v = value!.trim();
          let j = i;
          while (depthOf(v) > 0 && j + 1 < lines.length && j - i < 40) v += ` ${lines[++j]!.trim()}`;
          i = j;
          (top!.summary.attrs ??= {})[name!] = v.replace(/\s*#.*$/, '');
        }
      }
    }
    if (indent === 0) {
      const instance = /^([A-Za-z_]\w*)\s*(?::[^=]+)?=\s*([A-Za-z_][\w.]*)\(/.exec(line);
      if (instance) state.instances[instance[1]!] ??= instance[2]!.split('.').pop()!;
      const alias = /^([A-Za-z_]\w*)\s*(?::\s*\w+\s*)?=\s*(?:typing\.)?Annotated\[/.exec(line);
      if (alias) {
        let v = line.slice(alias[0].length - 1);
        let j = i;
        while (depthOf(v) > 0 && j + 1 < lines.length && j - i < 20) v += ` ${lines[++j]!.trim()}`;
        const dep = /\b(?:Depends|Security)\(\s*(?:dependency\s*=\s*)?([A-Za-z_][\w.]*)?/.exec(v);
        if (dep) index.dependsAliases[alias[1]!] = dep[1] ? dep[1].split('.').pop()! : '';
      }
      if (/^REST_FRAMEWORK\s*(?::[^=]+)?=\s*\{/.test(line)) {
        let v = line;
        let j = i;
        while (depthOf(v) > 0 && j + 1 < lines.length && j - i < 200) v += ` ${lines[++j]!.trim()}`;
        readDrfSettings(v, index);
      }
    }
  }
}

/** Bracket depth at the end of `s` (strings ignored roughly): > 0 open, -1 when a `)` closed more than opened. */
function depthOf(s: string): number {
  let depth = 0;
  let quote = '';
  for (let k = 0; k < s.length; k++) {
    const c = s[k]!;
    if (quote) {
      if (c === '\\') k++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#') break;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth < 0) return -1;
    }
  }
  return depth;
}

/** `A, b.B, Generic[T], metaclass=M):` → `['A', 'b.B', 'Generic']`. */
/**
 * The comma-separated items of `text` up to the bracket that closes the list it opens in, commas
 * inside (), [] and {} left alone: a signature's parameters, a class's bases.
 */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) break;
      depth--;
    }
    if (c === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

function splitBases(header: string): string[] {
  return splitTopLevel(header)
    .map((b) => b.trim().replace(/\[.*$/, ''))
    .filter((b) => /^[A-Za-z_][\w.]*$/.test(b));
}

function readDrfSettings(text: string, index: ProjectIndex): void {
  const pagination = /['"]DEFAULT_PAGINATION_CLASS['"]\s*:\s*['"]([\w.]+)['"]/.exec(text);
  if (pagination) index.drf.pagination = pagination[1]!.split('.').pop()!;
  if (/['"]PAGE_SIZE['"]\s*:/.test(text)) index.drf.pageSize = true;
  const filters = /['"]DEFAULT_FILTER_BACKENDS['"]\s*:\s*[[(]([^\])]*)/.exec(text);
  if (filters) index.drf.filterBackends = [...filters[1]!.matchAll(/['"]([\w.]+)['"]/g)].map((m) => m[1]!.split('.').pop()!);
}

/** The class summary of a name (the first definition; `module` narrows when given and known). */
export function findClass(index: ProjectIndex, name: string, module?: string): ClassSummary | undefined {
  const all = index.classes[name];
  if (!all || all.length === 0) return undefined;
  if (module) {
    const exact = all.find((c) => c.module === module || c.module.endsWith(`.${module}`) || module.endsWith(`.${c.module}`));
    if (exact) return exact;
  }
  return all[0];
}

/**
 * Every ancestor class name of `name` (last segments), nearest first, following the index
 * across files; `local` answers for classes of the file being analyzed (their bases as written).
 * Stops at names the index does not know (framework classes), which are included.
 */
export function ancestors(name: string, index: ProjectIndex, local: (name: string) => string[] | undefined): string[] {
  const out: string[] = [];
  const seen = new Set<string>([name]);
  const queue = [...(local(name) ?? findClass(index, name)?.bases ?? [])];
  while (queue.length > 0 && out.length < 60) {
    const base = queue.shift()!;
    const simple = base.split('.').pop()!;
    if (seen.has(simple)) continue;
    seen.add(simple);
    out.push(simple);
    const next = local(simple) ?? findClass(index, simple)?.bases;
    if (next) queue.push(...next);
  }
  return out;
}
