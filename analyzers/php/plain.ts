/**
 * Plain PHP entry points: a file the web server runs directly (`api/users.php`). It is an entry
 * point when its top-level code (outside functions and classes) handles a request: reads
 * `$_GET`/`$_POST`/`$_REQUEST`/`$_FILES`/`php://input`, dispatches on
 * `$_SERVER['REQUEST_METHOD']`, or answers JSON (`json_encode`, a JSON content type). Files that
 * only declare functions and classes, and pages that only print HTML, are not.
 *
 * Methods come from the dispatch (`switch ($_SERVER['REQUEST_METHOD'])`, `if ($method === 'POST')`,
 * a guard `if ($_SERVER['REQUEST_METHOD'] !== 'POST') { http_response_code(405); exit; }`); each
 * branch is its own operation with its own inputs and statuses, plus what the shared code reads.
 * Without a dispatch: GET, and POST too when the body is read. The path is the file's path
 * under the web root, guessed as the part after `public/`, `public_html/`, `htdocs/`, `www/` or
 * `web/`, else the path from the analyzed root (`/api/users.php`).
 */
import type { HttpMethod, ParamFact, ResponseFact, ServiceFacts } from '../service/facts.js';
import { HTTP_METHODS } from '../service/facts.js';
import { endLineOf, lineOf, type SyntaxNode } from '../service/tree-sitter.js';
import { analyzeCode, type CodeFacts } from './handlers.js';
import type { RuleBook } from './rules.js';
import { calleeName, operatorOf, stringValue, type Names } from './syntax.js';

export interface PlainInput {
  path: string;
  root: SyntaxNode;
  names: Names;
  book: RuleBook;
  facts: ServiceFacts;
}

const DECLARATIONS = new Set(['function_definition', 'class_declaration', 'interface_declaration', 'trait_declaration', 'enum_declaration', 'namespace_definition', 'namespace_use_declaration', 'const_declaration', 'comment', 'php_tag', 'text_interpolation', 'declare_statement', 'text']);
const REQUEST_INPUT = /\$_(GET|POST|REQUEST|FILES)\b|php:\/\/input|REQUEST_METHOD|filter_input\s*\(\s*INPUT_(GET|POST)/;
const JSON_OUTPUT = /json_encode\s*\(|application\/json/;

/** The web path a file is served at. */
export function webPath(path: string): string {
  const m = /(?:^|\/)(?:public|public_html|htdocs|www|web|httpdocs)\/(.*)$/.exec(path);
  return `/${m ? m[1] : path}`;
}

/** Adds the entry point's routes; true when the file is one. */
export function extractPlainEntry(input: PlainInput): boolean {
  const { path, root, facts } = input;
  const top = topLevel(root);
  if (top.length === 0) return false;
  const text = top.map((n) => n.text).join('\n');
  if (!REQUEST_INPUT.test(text) && !JSON_OUTPUT.test(text)) return false;
  // A front controller (Laravel/Symfony public/index.php) hands the request to a kernel: no own API.
  if (/->handle\s*\(|::capture\s*\(|->run\s*\(\s*\)/.test(text) && !/\$_(GET|POST|REQUEST)/.test(text)) return false;

  const url = webPath(path);
  const ctx = { path, names: input.names, book: input.book, scope: `${path}` };
  const whole = analyzeCode({ nodes: top, range: { start: 1, end: endLineOf(root) } }, ctx);
  const branches = methodBranches(top);
  facts.routers.push({ id: '<file>', prefixes: [''], root: true, evidence: { path, startLine: 1, endLine: 1 }, label: path });

  if (branches.length === 0) {
    const methods: HttpMethod[] = ['get'];
    if (whole.params.some((p) => p.in === 'form') || whole.body || /php:\/\/input/.test(text)) methods.push('post');
    if (!/\$_GET|INPUT_GET/.test(text) && methods.length > 1) methods.shift();
    facts.routes.push({
      router: '<file>',
      methods,
      paths: [url],
      handler: path,
      operationName: operationName(path),
      params: whole.params.filter((p) => p.in !== 'path'),
      ...(whole.body ? { body: whole.body } : {}),
      responses: whole.responses,
      evidence: { path, startLine: lineOf(top[0]!), endLine: endLineOf(top[top.length - 1]!) },
      ruleIds: whole.ruleIds,
    });
    return true;
  }

  // Shared code: what is read or answered outside every branch applies to each method.
  const inBranch = (line: number): boolean => branches.some((b) => b.nodes.some((n) => line >= lineOf(n) && line <= endLineOf(n)));
  const shared: CodeFacts = {
    ...whole,
    params: whole.params.filter((p) => p.in !== 'path' && (!p.evidence || !inBranch(p.evidence.startLine))),
    responses: whole.responses.filter((r) => !r.evidence || !inBranch(r.evidence.startLine)).filter((r) => r.status !== '405'),
    ruleIds: [],
  };
  // Rules of the shared code govern every branch; they are tied to the first.
  const sharedRules = whole.ruleIds.filter((id) => !branches.some((b) => input.book.idsWithin(b.range.start, b.range.end).includes(id)));
  for (const [i, b] of branches.entries()) {
    const code = analyzeCode({ nodes: b.nodes, range: b.range }, { ...ctx, scope: `${path} ${b.methods.join('|').toUpperCase()}` });
    const params: ParamFact[] = [...code.params.filter((p) => p.in !== 'path'), ...shared.params];
    const responses: ResponseFact[] = [...code.responses, ...shared.responses];
    const body = code.body ?? shared.body;
    facts.routes.push({
      router: '<file>',
      methods: b.methods,
      paths: [url],
      handler: `${path} ${b.methods.join('|').toUpperCase()}`,
      operationName: `${operationName(path)}${b.methods.length === 1 ? b.methods[0]![0]!.toUpperCase() + b.methods[0]!.slice(1) : ''}`,
      params,
      ...(body ? { body } : {}),
      responses,
      evidence: { path, startLine: b.range.start, endLine: b.range.end },
      ruleIds: i === 0 ? [...sharedRules, ...code.ruleIds] : code.ruleIds,
    });
  }
  return true;
}

/** Statements outside declarations (a `namespace X { ... }` body counts). */
function topLevel(root: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const c of root.namedChildren) {
    if (DECLARATIONS.has(c.type)) continue;
    if (c.type === 'expression_statement') {
      const e = c.namedChildren[0];
      if (e && /^(require|include)(_once)?_expression$/.test(e.type)) continue;
      if (e?.type === 'function_call_expression' && /^(define|session_start|error_reporting|ini_set|date_default_timezone_set|set_error_handler|spl_autoload_register)$/.test(calleeName(e) ?? '')) continue;
    }
    out.push(c);
  }
  return out;
}

interface Branch {
  methods: HttpMethod[];
  /** The statements run for these methods. */
  nodes: SyntaxNode[];
  /** The whole branch, for evidence. */
  at: SyntaxNode;
  /** Lines of the branch's code (a guard's branch is the rest of the file). */
  range: { start: number; end: number };
}

/** Branches of a dispatch on the request method, in order; empty when the file has none. */
function methodBranches(top: readonly SyntaxNode[]): Branch[] {
  const methodVars = new Set<string>();
  const isMethodExpr = (n: SyntaxNode | null | undefined): boolean => {
    if (!n) return false;
    if (/\$_SERVER\s*\[\s*['"]REQUEST_METHOD['"]\s*\]/.test(n.text) && n.text.length < 80) return true;
    return n.type === 'variable_name' && methodVars.has(n.text);
  };
  const out: Branch[] = [];
  const visitAll = (nodes: readonly SyntaxNode[]): void => {
    for (const [i, st] of nodes.entries()) {
      const expr = st.type === 'expression_statement' ? st.namedChildren[0] : undefined;
      if (expr?.type === 'assignment_expression' && isMethodExpr(expr.childForFieldName('right'))) methodVars.add(expr.childForFieldName('left')!.text);
      if (st.type === 'switch_statement' && isMethodExpr(unparen(st.childForFieldName('condition')))) {
        let pending: HttpMethod[] = [];
        for (const c of st.childForFieldName('body')?.namedChildren ?? []) {
          if (c.type !== 'case_statement') continue;
          const m = stringValue(c.childForFieldName('value'))?.toLowerCase();
          if (m && (HTTP_METHODS as readonly string[]).includes(m)) pending.push(m as HttpMethod);
          const body = c.namedChildren.filter((n) => n.id !== c.childForFieldName('value')?.id);
          if (body.length > 0 && pending.length > 0) {
            out.push({ methods: pending, nodes: body, at: c, range: { start: lineOf(c), end: endLineOf(c) } });
            pending = [];
          }
        }
        continue;
      }
      if (st.type === 'if_statement') {
        const chain = ifChain(st);
        const parsed = chain.map((b) => ({ ...b, m: methodTest(b.condition, isMethodExpr) }));
        if (parsed.length > 0 && parsed[0]!.m) {
          // `if ($_SERVER['REQUEST_METHOD'] !== 'POST') { 405; exit; }` guards the rest of the file.
          const first = parsed[0]!;
          if (first.m!.negated && parsed.length === 1) {
            const rest = nodes.slice(i + 1);
            const at = rest.length > 0 ? rest[0]! : st;
            out.push({ methods: first.m!.methods, nodes: rest, at, range: { start: lineOf(at), end: endLineOf(rest.length > 0 ? rest[rest.length - 1]! : st) } });
            return;
          }
          for (const b of parsed) {
            if (!b.m || b.m.negated || !b.body) continue;
            out.push({ methods: b.m.methods, nodes: [b.body], at: b.node, range: { start: lineOf(b.node), end: endLineOf(b.body) } });
          }
          continue;
        }
      }
    }
  };
  visitAll(top);
  return out;
}

function unparen(n: SyntaxNode | null | undefined): SyntaxNode | null | undefined {
  let x = n;
  while (x?.type === 'parenthesized_expression') x = x.namedChildren[0];
  // strtoupper($_SERVER['REQUEST_METHOD'])
  if (x?.type === 'function_call_expression' && /^(strtoupper|strtolower|trim)$/.test(calleeName(x) ?? '')) return x.childForFieldName('arguments')?.namedChildren[0]?.namedChildren[0];
  return x;
}

function ifChain(st: SyntaxNode): { condition: SyntaxNode | null; body: SyntaxNode | null; node: SyntaxNode }[] {
  const out = [{ condition: st.childForFieldName('condition'), body: st.childForFieldName('body'), node: st }];
  for (const alt of st.namedChildren) {
    if (alt.type === 'else_if_clause') out.push({ condition: alt.childForFieldName('condition'), body: alt.childForFieldName('body'), node: alt });
  }
  return out;
}

/** `$method === 'POST'`, `'GET' == $_SERVER['REQUEST_METHOD']`, `... || ...`, `!==` (negated). */
function methodTest(cond: SyntaxNode | null, isMethodExpr: (n: SyntaxNode | null | undefined) => boolean): { methods: HttpMethod[]; negated: boolean } | undefined {
  const c = unparen(cond);
  if (!c || c.type !== 'binary_expression') return undefined;
  const op = operatorOf(c);
  if (op === '||' || op === 'or') {
    const l = methodTest(c.childForFieldName('left'), isMethodExpr);
    const r = methodTest(c.childForFieldName('right'), isMethodExpr);
    return l && r && !l.negated && !r.negated ? { methods: [...l.methods, ...r.methods], negated: false } : undefined;
  }
  if (!['==', '===', '!=', '!==', '<>'].includes(op)) return undefined;
  const l = c.childForFieldName('left');
  const r = c.childForFieldName('right');
  const value = isMethodExpr(unparen(l)) ? stringValue(r) : isMethodExpr(unparen(r)) ? stringValue(l) : undefined;
  const m = value?.toLowerCase();
  if (!m || !(HTTP_METHODS as readonly string[]).includes(m)) return undefined;
  return { methods: [m as HttpMethod], negated: op.startsWith('!') || op === '<>' };
}

function operationName(path: string): string {
  const words = path.replace(/\.php$/, '').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1))).join('');
}
