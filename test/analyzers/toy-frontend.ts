/**
 * A real frontend for a line-oriented toy language (`*.toy`), the test double of the analyzer
 * plug-in interface: it exercises every part of the output contract (programs, call graph, dead
 * code, dependencies, operations with schemas, rules with nesting, includes read through the
 * context, diagnostics, and a crash) without depending on any real frontend. Exported as
 * `default` so the CLI can load it with `--frontend`.
 *
 *   program NAME            starts a program (entry is its first paragraph)
 *   para NAME               a paragraph
 *   perform NAME            the current paragraph transfers to NAME
 *   call PROG               calls another program
 *   sql|file|cics OP TARGET a data dependency (OP may be `OPEN-INPUT` for `OPEN INPUT`)
 *   op METHOD /path ID      an operation; following rules govern it
 *   if COND                 opens a nested condition (closed by `end`)
 *   rule KIND FIELD := EXPR a rule under the open conditions
 *   copy NAME               reads NAME.toy from the include paths; its `field X` lines become schema properties
 *   throw                   the frontend throws (a bug), with the line
 *   anything else           a warning diagnostic
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Dependency, FileAnalysis, Frontend, FrontendContext, Operation, Program, Rule } from '../../analyzers/model.js';

export function createToyFrontend(language = 'toy'): Frontend & { version: string } {
  return {
    language,
    version: '1',
    accepts: (path, head) => path.endsWith('.toy') || head.startsWith('%toy'),
    analyze(file, context) {
      return analyzeToy(file, context, language);
    },
  };
}

function analyzeToy(file: { path: string; text: string }, context: FrontendContext, language: string): FileAnalysis {
  const lines = file.text.split(/\r?\n/);
  const result: FileAnalysis = {
    source: { path: file.path, language, sha256: '', lines: lines.length },
    programs: [],
    operations: [],
    rules: [],
    diagnostics: [],
  };
  let program: (Program & { paras: Map<string, { start: number; end: number }> }) | undefined;
  let para: string | undefined;
  let operation: Operation | undefined;
  const conditions: { text: string; line: number }[] = [];
  const fields: string[] = [];

  lines.forEach((raw, i) => {
    const line = i + 1;
    const text = raw.trim();
    if (!text || text.startsWith('%') || text.startsWith('#')) return;
    const [word, ...rest] = text.split(/\s+/);
    if (program && para) program.paras.get(para)!.end = line;
    switch (word) {
      case 'program':
        program = { path: file.path, name: rest[0]!, language, entry: null, calls: [], deadCode: [], dependencies: [], callGraph: {}, paras: new Map() };
        result.programs.push(program);
        para = undefined;
        return;
      case 'para':
        if (!program) break;
        para = rest[0]!;
        program.paras.set(para, { start: line, end: line });
        program.entry ??= para;
        program.callGraph![para] ??= [];
        return;
      case 'perform':
        if (!program || !para) break;
        program.callGraph![para]!.push(rest[0]!);
        return;
      case 'call':
        if (!program) break;
        program.calls.push(rest[0]!);
        program.dependencies.push({ kind: 'call', target: rest[0]!, operations: ['CALL'], evidence: [{ path: file.path, startLine: line, endLine: line }] });
        return;
      case 'sql':
      case 'file':
      case 'cics':
        if (!program) break;
        program.dependencies.push({ kind: word as Dependency['kind'], target: rest[1]!, operations: [rest[0]!.replace(/-/g, ' ')] });
        return;
      case 'op': {
        const [method, path, id] = rest as [Operation['method'], string, string];
        const op: Operation = {
          operationId: id,
          method,
          path,
          summary: `${id} from ${file.path}`,
          requestSchema: { $ref: `#/components/schemas/${id}Input` } as Operation['requestSchema'],
          responseSchema: { type: 'object', properties: { status: { type: 'string', maxLength: 2 } } },
          schemas: { [`${id}Input`]: { type: 'object', properties: Object.fromEntries(fields.map((f) => [f, { type: 'string' }])) } },
          evidence: [{ path: file.path, startLine: line, endLine: line }],
          notes: ['toy: every copied field is input'],
        };
        operation = op;
        result.operations.push(op);
        return;
      }
      case 'if':
        conditions.push({ text: rest.join(' '), line });
        return;
      case 'end':
        conditions.pop();
        return;
      case 'rule': {
        const [kind, field, , ...expr] = rest;
        const condition = conditions.length ? conditions.map((c) => c.text).join(' AND ') : null;
        const startLine = conditions[0]?.line ?? line;
        const rule: Rule = {
          id: `TOY-${createHash('sha256').update(`${file.path}\0${program?.name}\0${line}\0${text}`).digest('hex').slice(0, 10)}`,
          kind: kind as Rule['kind'],
          statement: `${field} is set to ${expr.join(' ')}${condition ? ` when ${condition}` : ''}`,
          condition,
          effects: [`${field} := ${expr.join(' ')}`],
          fields: [field!, ...conditions.flatMap((c) => c.text.split(/\s+/).filter((t) => /^[A-Z][A-Z0-9-]*$/.test(t)))],
          evidence: [{ path: file.path, startLine, endLine: line }],
          origin: 'parser',
          operation: operation?.operationId ?? null,
          ...(conditions.length > 1 ? { path: conditions.slice(0, -1).map((c) => `IF ${c.text}`) } : {}),
        };
        result.rules.push(rule);
        return;
      }
      case 'copy': {
        const name = `${rest[0]}.toy`;
        let found: string | undefined;
        for (const dir of context.includePaths) {
          found = context.readFile(join(dir, name));
          if (found !== undefined) break;
        }
        if (found === undefined) {
          result.diagnostics.push({ path: file.path, line, severity: 'warning', message: `copybook ${rest[0]} not found` });
        } else {
          for (const l of found.split('\n')) if (l.startsWith('field ')) fields.push(l.slice(6).trim());
        }
        return;
      }
      case 'throw':
        throw Object.assign(new Error(`toy frontend crashed on purpose`), { line });
    }
    result.diagnostics.push({ path: file.path, line, severity: 'warning', message: `unknown statement: ${text}` });
  });

  for (const p of result.programs as (Program & { paras?: Map<string, { start: number; end: number }> })[]) {
    const paras = p.paras!;
    const reached = new Set<string>();
    const visit = (n: string): void => {
      if (reached.has(n)) return;
      reached.add(n);
      for (const to of p.callGraph?.[n] ?? []) visit(to);
    };
    if (p.entry) visit(p.entry);
    p.deadCode = [...paras].filter(([n]) => !reached.has(n)).map(([name, r]) => ({ name, startLine: r.start, endLine: r.end }));
    delete p.paras;
  }
  return result;
}

const toy = createToyFrontend();
export default toy;
