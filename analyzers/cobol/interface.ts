/**
 * Program interfaces → API operations. A program with `PROCEDURE DIVISION USING` (called
 * programs) or a LINKAGE `DFHCOMMAREA` (CICS programs) becomes one POST operation whose request
 * and response schemas come from those LINKAGE records.
 *
 * How input is told from output (issue #5 asks us to say): every elementary field of the
 * interface records is classified by how the procedure division uses it (`access.ts`), a
 * reference to a group counting for all its subordinate fields:
 *   - only read (conditions, sources of MOVE/COMPUTE, keys)      → request;
 *   - only written (MOVE/COMPUTE/SET targets, INTO phrases)      → response;
 *   - read and written                                           → both;
 *   - never referenced                                           → both (the caller's bytes come
 *     back unchanged in a COMMAREA), marked `x-ficus-access: unused`.
 * Each property carries `x-ficus-access`, and the operation's notes list the decision per field.
 * Where a web-service assistant job (DFHLS2WS/DFHWS2LS) names REQMEM/RESPMEM copybooks that
 * the program includes, those layouts are the request/response as they are, no inference.
 * Paths and names come from CICS definitions when present (web-service URI, URIMAP PATH,
 * transaction id), else `/programs/<name>`.
 */
import type { Evidence, Operation } from '../model.js';
import { dataAccess, type Access } from './access.js';
import type { DataItem, ProgramNode } from './ast.js';
import type { CicsDefinitions } from './cics-definitions.js';
import type { SourceEntry } from './copybooks.js';
import { descendants, itemEvidence as spanOf, recordSchema, type Schema } from './data.js';

export const ACCESS_NOTE =
  'Request/response split by how the program uses each LINKAGE/COMMAREA field: only read → request; only written → response; read and written → both; never referenced → both (x-ficus-access: unused). A reference to a group counts for all its fields.';

type Use = 'read' | 'written' | 'read-write' | 'unused';

function itemEvidence(item: DataItem, files: readonly SourceEntry[]): Evidence[] {
  return spanOf(item, files.map((f) => f.path));
}

function fileStem(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/\.[^.]*$/, '').toUpperCase();
}

/** The operation a program offers, or undefined when it has no call interface. */
export function programOperation(prog: ProgramNode, files: readonly SourceEntry[], cics: CicsDefinitions | undefined): Operation | undefined {
  const linkage = prog.records.filter((r) => r.section === 'linkage' && (r.level === 1 || r.level === 77));
  let params = prog.using.map((name) => linkage.find((r) => r.name === name)).filter((r): r is DataItem => r !== undefined);
  const commarea = linkage.find((r) => r.name === 'DFHCOMMAREA');
  const isCics = commarea !== undefined;
  if (params.length === 0 && commarea) params = [commarea];
  const ws = cics?.webServices.find((w) => w.program === prog.name);
  if (params.length === 0 && !ws) return undefined;

  const name = prog.name || 'PROGRAM';
  const tx = cics?.transactions.find((t) => t.program === prog.name);
  const uriMap = cics?.uriMaps.find((u) => u.program === prog.name || (tx && u.transaction === tx.transaction));
  const path = ws?.uri ?? uriMap?.path ?? (tx ? `/transactions/${tx.transaction.toLowerCase()}` : `/programs/${name.toLowerCase()}`);
  const notes: string[] = [];
  const evidence: Evidence[] = [];
  if (prog.procedureFirst) evidence.push({ path: files[prog.procedureFirst.file]!.path, startLine: prog.procedureFirst.line, endLine: prog.procedureFirst.line });
  for (const p of params) evidence.push(...itemEvidence(p, files));
  for (const d of [ws, uriMap, tx]) if (d) evidence.push(d.evidence);

  let request: Schema | undefined;
  let response: Schema | undefined;
  // Web-service assistant copybooks: exact request/response layouts.
  if (ws && (ws.requestCopybook || ws.responseCopybook)) {
    const fromCopybook = (member: string | undefined): Schema | undefined => {
      if (!member) return undefined;
      // The copybook's top items: declared in it, under a parent declared elsewhere (or none).
      const recs = prog.records.flatMap((r) => descendants(r)).filter((d) => fileStem(files[d.first.file]!.path) === member && (!d.parent || d.parent.first.file !== d.first.file));
      if (recs.length === 0) {
        notes.push(`copybook ${member} named by ${ws.kind} is not included by ${name}; schema inferred from LINKAGE instead`);
        return undefined;
      }
      const schemas = recs.map((r) => recordSchema(r)).filter((s): s is Schema => s !== undefined);
      const s: Schema = schemas.length === 1 ? schemas[0]! : { type: 'object', properties: Object.fromEntries(recs.map((r, i) => [r.name, schemas[i]!])) };
      s['x-ficus-evidence'] = recs.flatMap((r) => itemEvidence(r, files));
      return s;
    };
    request = fromCopybook(ws.requestCopybook);
    response = fromCopybook(ws.responseCopybook);
    if (request || response) notes.push(`request/response layouts from ${ws.kind} REQMEM/RESPMEM (${ws.evidence.path}:${ws.evidence.startLine})`);
  }

  if ((!request || !response) && params.length > 0) {
    const access = dataAccess(prog);
    const uses = new Map<DataItem, Use>();
    const decide = (item: DataItem, inherited: Access): void => {
      const own = access.get(item);
      const a: Access = { read: inherited.read || (own?.read ?? false), written: inherited.written || (own?.written ?? false) };
      if (item.children.length === 0) {
        uses.set(item, a.read && a.written ? 'read-write' : a.read ? 'read' : a.written ? 'written' : 'unused');
      }
      for (const c of item.children) decide(c, a);
    };
    for (const p of params) decide(p, { read: false, written: false });
    // Redefinitions share storage: a use of either view counts for the other (by byte overlap we cannot see, so per group).
    const include = (wanted: (u: Use) => boolean) => (item: DataItem) => {
      const u = uses.get(item);
      return u !== undefined && wanted(u);
    };
    const build = (wanted: (u: Use) => boolean): Schema | undefined => {
      const parts = params.map((p) => ({ p, s: recordSchema(p, { include: include(wanted) }) })).filter((x): x is { p: DataItem; s: Schema } => x.s !== undefined);
      if (parts.length === 0) return undefined;
      for (const x of parts) annotate(x.s, x.p, uses);
      const s: Schema = parts.length === 1 ? parts[0]!.s : { type: 'object', properties: Object.fromEntries(parts.map((x) => [x.p.name, x.s])) };
      s['x-ficus-evidence'] = parts.flatMap((x) => itemEvidence(x.p, files));
      return s;
    };
    request ??= build((u) => u !== 'written');
    response ??= build((u) => u !== 'read');
    notes.push(ACCESS_NOTE);
    const byUse = new Map<Use, string[]>();
    for (const [item, u] of uses) if (item.name !== 'FILLER') byUse.set(u, [...(byUse.get(u) ?? []), item.name]);
    for (const u of ['read', 'written', 'read-write', 'unused'] as Use[]) {
      const list = byUse.get(u);
      if (list) notes.push(`${u === 'read' ? 'request only (read)' : u === 'written' ? 'response only (written)' : u === 'read-write' ? 'request and response (read and written)' : 'request and response (never referenced)'}: ${list.join(', ')}`);
    }
  }

  const op: Operation = {
    operationId: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    method: 'post',
    path,
    summary: `${isCics ? 'CICS program' : 'Program'} ${name}${tx ? ` (transaction ${tx.transaction})` : ''}`,
    description: `${isCics ? `Invoked with a COMMAREA (${params.map((p) => p.name).join(', ')})` : params.length > 0 ? `Called with USING ${params.map((p) => p.name).join(', ')}` : 'Web service'}${ws ? `; exposed by ${ws.kind} as ${ws.uri ?? 'a web service'}` : ''}.`,
    evidence,
    notes,
  };
  // Inline (the model types these as schema objects, not references); titled for writers that hoist them.
  if (request) op.requestSchema = { ...request, title: `${name}-Request` };
  if (response) op.responseSchema = { ...response, title: `${name}-Response` };
  return op;
}

/** Adds `x-ficus-access` to the properties of a pruned record schema, matching items by name. */
function annotate(schema: Schema, record: DataItem, uses: Map<DataItem, Use>): void {
  const byName = new Map<string, Use>();
  for (const d of descendants(record)) {
    const u = uses.get(d);
    if (u) byName.set(d.name, u);
  }
  const visit = (s: Schema): void => {
    const props = s.properties as Record<string, Schema> | undefined;
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        const u = byName.get(k);
        const target = (v.type === 'array' ? (v.items as Schema) : v) ?? v;
        if (u && !target.properties) target['x-ficus-access'] = u;
        visit(v);
      }
    }
    if (s.type === 'array' && s.items) visit(s.items as Schema);
    if (Array.isArray(s.oneOf)) for (const o of s.oneOf as Schema[]) visit(o);
  };
  visit(schema);
}
