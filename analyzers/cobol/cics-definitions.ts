/**
 * CICS definitions found in the analyzed tree, which name the ways programs are reached: CSD
 * `DEFINE TRANSACTION(...) PROGRAM(...)` and `DEFINE URIMAP(...) PATH(...) PROGRAM(...)`
 * (DFHCSDUP input), and web-service assistant jobs — DFHLS2WS (program → service) and DFHWS2LS
 * (service → program) — whose parameters give the URI, PGMNAME, LANG and the request/response
 * copybooks (REQMEM/RESPMEM). `ficus analyze` calls `collectCicsDefinitions` once with every
 * candidate file of the tree and hands the result to the COBOL frontend in its context
 * (`CobolFrontendContext.cics`); `interface.ts` uses it for operation paths, names and schemas.
 */
import type { Evidence, FrontendContext } from '../model.js';

export interface CicsTransaction {
  transaction: string;
  program: string;
  group?: string;
  evidence: Evidence;
}

export interface CicsUriMap {
  name: string;
  path: string;
  program?: string;
  transaction?: string;
  evidence: Evidence;
}

export interface CicsWebService {
  kind: 'DFHLS2WS' | 'DFHWS2LS';
  program: string;
  uri?: string;
  language?: string;
  /** Copybook (PDS member) describing the request / response structure. */
  requestCopybook?: string;
  responseCopybook?: string;
  /** PGMINT: COMMAREA or CHANNEL. */
  interface?: string;
  evidence: Evidence;
}

export interface CicsDefinitions {
  transactions: CicsTransaction[];
  uriMaps: CicsUriMap[];
  webServices: CicsWebService[];
}

/** The COBOL frontend's context: the shared one plus CICS definitions collected from the tree. */
export interface CobolFrontendContext extends FrontendContext {
  cics?: CicsDefinitions;
}

/** File extensions worth passing to `collectCicsDefinitions` (content is checked too). */
export const CICS_DEFINITION_EXTENSIONS: readonly string[] = ['.csd', '.jcl', '.txt', '.cntl', '.ctl', '.job', '.prm', '.dfhcsd', '.cics'];

/** True when a file may hold CICS definitions (by extension; `collectCicsDefinitions` checks content). */
export function isCicsDefinitionFile(path: string): boolean {
  const lower = path.toLowerCase();
  return CICS_DEFINITION_EXTENSIONS.some((e) => lower.endsWith(e));
}

/** Empty definitions (the default when the tree has none). */
export function emptyCicsDefinitions(): CicsDefinitions {
  return { transactions: [], uriMaps: [], webServices: [] };
}

const lineOf = (text: string, offset: number): number => {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
};

function options(stmt: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of stmt.matchAll(/\b([A-Za-z][A-Za-z0-9]*)\s*\(\s*([^)]*?)\s*\)/g)) out.set(m[1]!.toUpperCase(), m[2]!.replace(/^'(.*)'$/, '$1'));
  return out;
}

/**
 * Reads CSD definitions and web-service assistant job parameters from the given files
 * (paths relative to the analyzed root). Files without any are ignored. Never throws.
 */
export function collectCicsDefinitions(files: Iterable<{ path: string; text: string }>): CicsDefinitions {
  const defs = emptyCicsDefinitions();
  for (const { path, text } of files) {
    try {
      collectCsd(path, text, defs);
      collectAssistantJobs(path, text, defs);
    } catch {
      /* malformed definitions are skipped: they only refine paths and names */
    }
  }
  return defs;
}

function collectCsd(path: string, text: string, defs: CicsDefinitions): void {
  if (!/\bDEFINE\s+(TRANSACTION|TRANS|URIMAP)\s*\(/i.test(text)) return;
  // A DEFINE runs until the next DEFINE or another DFHCSDUP command; continuation lines may split it.
  const re = /\bDEFINE\s+(TRANSACTION|TRANS|URIMAP)\s*\(\s*([^)\s]+)\s*\)([\s\S]*?)(?=\bDEFINE\b|\b(?:ADD|LIST|DELETE|ALTER|INSTALL)\s+GROUP\b|$)/gi;
  for (const m of text.matchAll(re)) {
    const kind = m[1]!.toUpperCase();
    const name = m[2]!.toUpperCase();
    const body = m[3]!.replace(/^\s*\*.*$/gm, '');
    const opts = options(body);
    const start = lineOf(text, m.index);
    const end = start + (m[0].replace(/\s+$/, '').match(/\n/g)?.length ?? 0);
    const evidence = { path, startLine: start, endLine: end };
    if (kind === 'URIMAP') {
      const p = opts.get('PATH');
      if (p) {
        const um: CicsUriMap = { name, path: p.startsWith('/') ? p : `/${p}`, evidence };
        if (opts.get('PROGRAM')) um.program = opts.get('PROGRAM')!.toUpperCase();
        if (opts.get('TRANSACTION')) um.transaction = opts.get('TRANSACTION')!.toUpperCase();
        defs.uriMaps.push(um);
      }
      continue;
    }
    const program = opts.get('PROGRAM');
    if (!program) continue;
    const tx: CicsTransaction = { transaction: name, program: program.toUpperCase(), evidence };
    if (opts.get('GROUP')) tx.group = opts.get('GROUP')!.toUpperCase();
    defs.transactions.push(tx);
  }
}

function collectAssistantJobs(path: string, text: string, defs: CicsDefinitions): void {
  const re = /\bEXEC\s+(?:PROC=)?(DFHLS2WS|DFHWS2LS)\b/gi;
  const starts = [...text.matchAll(re)];
  for (let k = 0; k < starts.length; k++) {
    const m = starts[k]!;
    const from = m.index;
    const to = k + 1 < starts.length ? starts[k + 1]!.index : text.length;
    const chunk = text.slice(from, to);
    const params = new Map<string, { value: string; offset: number }>();
    for (const p of chunk.matchAll(/^(?:\/\/\s*)?\s*([A-Z][A-Z0-9-]*)=(.*)$/gim)) {
      const key = p[1]!.toUpperCase();
      let value = p[2]!.trim().replace(/,$/, '').replace(/^'(.*)'$/, '$1').trim();
      if (value.startsWith('//') && key !== 'PDSLIB') value = value.slice(2);
      if (!params.has(key)) params.set(key, { value, offset: from + p.index });
    }
    const program = params.get('PGMNAME')?.value;
    if (!program) continue;
    const startLine = lineOf(text, from);
    const last = Math.max(...[...params.values()].map((v) => v.offset), from);
    const ws: CicsWebService = { kind: m[1]!.toUpperCase() as CicsWebService['kind'], program: program.toUpperCase(), evidence: { path, startLine, endLine: lineOf(text, last) } };
    const get = (k: string): string | undefined => params.get(k)?.value || undefined;
    if (get('URI')) ws.uri = get('URI')!.startsWith('/') ? get('URI')! : `/${get('URI')!}`;
    if (get('LANG')) ws.language = get('LANG')!.toUpperCase();
    if (get('REQMEM')) ws.requestCopybook = get('REQMEM')!.toUpperCase();
    if (get('RESPMEM')) ws.responseCopybook = get('RESPMEM')!.toUpperCase();
    if (get('PGMINT')) ws.interface = get('PGMINT')!.toUpperCase();
    defs.webServices.push(ws);
  }
}
