/**
 * COPY expansion: finds `COPY name [OF|IN library] [SUPPRESS] [REPLACING ...].` statements and
 * `EXEC SQL INCLUDE name END-EXEC` in a token stream, locates the copybook on the search path,
 * reads and tokenizes it, applies REPLACING, and splices its tokens in place. Tokens keep the
 * copybook's own file index and lines, so a rule found in copybook code cites the copybook.
 * REPLACING works on whole text words and pseudo-text (`==a b== BY ==c==`, identifiers,
 * literals); LEADING/TRAILING and tag-style pseudo-text (`==:TAG:==`, the common IBM convention)
 * replace parts of words and are applied to the copybook text before tokenizing. Nested COPY is
 * expanded; a cycle or a missing copybook becomes a diagnostic, never an exception.
 */
import { lex, type Token } from './lexer.js';
import { readSource, type SourceText } from './source.js';

/** One file taking part in an analysis: the program file (index 0) and each copybook. */
export interface SourceEntry {
  /** Path relative to the analyzed root (used in evidence). */
  path: string;
  absolutePath: string;
  source: SourceText;
  /** Raw text (for sha256/line counts by the caller). */
  text: string;
}

/** A diagnostic tied to a file of the analysis by index. */
export interface FileDiagnostic {
  file: number;
  line: number;
  severity: 'error' | 'warning' | 'info';
  message: string;
}

/** Finds copybooks: returns the absolute path and text, or undefined. */
export interface CopybookLocator {
  find(name: string, library: string | undefined, fromAbsolutePath: string): { absolutePath: string; text: string } | undefined;
  /** Directories searched, for the "not found" diagnostic. */
  readonly searched: readonly string[];
}

/** Extensions tried, in order, for a copybook named without one. */
export const COPYBOOK_EXTENSIONS: readonly string[] = ['', '.cpy', '.CPY', '.cbl', '.CBL', '.cob', '.COB', '.copy', '.COPY', '.inc', '.INC', '.dcl', '.DCL'];

/** Copybooks supplied by compilers and CICS/DB2 precompilers: absent from most trees, so their absence is only `info`. */
const SYSTEM_COPYBOOKS = new Set(['SQLCA', 'SQLDA', 'DFHAID', 'DFHBMSCA', 'DFHEIBLK', 'DFHCOMMAREA', 'DFHATTR', 'DFHRESP']);

/**
 * Builds a locator over the search directories (absolute) plus the including file's directory,
 * with a cache of lookups. `readFile` returns undefined for a missing file.
 */
export function createCopybookLocator(options: {
  includePaths: readonly string[];
  readFile: (absolutePath: string) => string | undefined;
  join: (...parts: string[]) => string;
  dirname: (p: string) => string;
}): CopybookLocator {
  const cache = new Map<string, { absolutePath: string; text: string } | null>();
  const { includePaths, readFile, join, dirname } = options;
  return {
    searched: includePaths,
    find(name, library, from) {
      const fromDir = dirname(from);
      const key = `${name}\u0000${library ?? ''}\u0000${fromDir}`;
      const hit = cache.get(key);
      if (hit !== undefined) return hit ?? undefined;
      const dirs = [fromDir, ...includePaths];
      const names = name === name.toUpperCase() ? [name, name.toLowerCase()] : [name, name.toUpperCase(), name.toLowerCase()];
      let found: { absolutePath: string; text: string } | undefined;
      outer: for (const dir of dirs) {
        const bases = library ? [join(dir, library), join(dir, library.toLowerCase()), dir] : [dir];
        for (const base of bases) {
          for (const nm of names) {
            for (const ext of COPYBOOK_EXTENSIONS) {
              if (ext !== '' && /\.[A-Za-z0-9]{1,5}$/.test(nm)) continue;
              const candidate = join(base, nm + ext);
              const text = readFile(candidate);
              if (text !== undefined) {
                found = { absolutePath: candidate, text };
                break outer;
              }
            }
          }
        }
      }
      cache.set(key, found ?? null);
      return found;
    },
  };
}

interface Replacement {
  from: string[]; // upper-case token texts
  to: Token[];
  partial: 'leading' | 'trailing' | 'tag' | null;
  fromText: string;
  toText: string;
}

/** Expands COPY statements in `tokens` (belonging to `files[fileIndex]`). Mutates `files` and `diagnostics`. */
export function expandCopybooks(
  tokens: Token[],
  fileIndex: number,
  files: SourceEntry[],
  diagnostics: FileDiagnostic[],
  locator: CopybookLocator,
  relativePath: (absolutePath: string) => string,
  stack: string[] = [],
): Token[] {
  const out: Token[] = [];
  const n = tokens.length;
  for (let i = 0; i < n; i++) {
    const t = tokens[i]!;
    if (t.kind === 'word' && (t.upper === 'EJECT' || t.upper === 'SKIP1' || t.upper === 'SKIP2' || t.upper === 'SKIP3')) {
      if (tokens[i + 1]?.kind === 'period') i++;
      continue;
    }
    if (t.kind === 'exec' && t.upper === 'SQL') {
      const m = /^INCLUDE\s+([A-Za-z0-9_#@$-]+|'[^']+'|"[^"]+")\s*$/i.exec(t.text);
      if (m) {
        const name = m[1]!.replace(/^['"]|['"]$/g, '');
        include(name, undefined, [], t, i);
        if (tokens[i + 1]?.kind === 'period') i++;
        continue;
      }
    }
    if (t.kind !== 'word' || t.upper !== 'COPY') {
      out.push(t);
      continue;
    }
    // COPY statement
    let j = i + 1;
    const nameTok = tokens[j];
    if (!nameTok || (nameTok.kind !== 'word' && nameTok.kind !== 'string' && nameTok.kind !== 'number')) {
      diagnostics.push({ file: t.file, line: t.line, severity: 'error', message: 'COPY without a copybook name' });
      continue;
    }
    const name = nameTok.kind === 'string' ? nameTok.text.slice(1, -1) : nameTok.text;
    j++;
    let library: string | undefined;
    if (tokens[j]?.kind === 'word' && (tokens[j]!.upper === 'OF' || tokens[j]!.upper === 'IN') && tokens[j + 1]) {
      const lib = tokens[j + 1]!;
      library = lib.kind === 'string' ? lib.text.slice(1, -1) : lib.text;
      j += 2;
    }
    if (tokens[j]?.upper === 'SUPPRESS') j++;
    const replacements: Replacement[] = [];
    if (tokens[j]?.upper === 'REPLACING') {
      j++;
      while (j < n && tokens[j]!.kind !== 'period') {
        let partial: Replacement['partial'] = null;
        if (tokens[j]!.upper === 'LEADING') { partial = 'leading'; j++; }
        else if (tokens[j]!.upper === 'TRAILING') { partial = 'trailing'; j++; }
        const from = operand(j);
        if (!from) break;
        j = from.next;
        if (tokens[j]?.upper !== 'BY') {
          diagnostics.push({ file: tokens[j]?.file ?? t.file, line: tokens[j]?.line ?? t.line, severity: 'error', message: `COPY ${name} REPLACING: expected BY, got '${tokens[j]?.text ?? 'end of file'}'` });
          break;
        }
        const to = operand(j + 1);
        if (!to) break;
        j = to.next;
        if (partial === null && from.tokens.length > 0 && /[:(]|^[^A-Za-z0-9]/.test(from.raw) && !from.tokens.every((x) => x.kind === 'word' || x.kind === 'string' || x.kind === 'number')) partial = 'tag';
        replacements.push({ from: from.tokens.map((x) => x.upper), to: to.tokens, partial, fromText: from.raw, toText: to.raw });
      }
    }
    if (tokens[j]?.kind !== 'period') {
      diagnostics.push({ file: t.file, line: t.line, severity: 'warning', message: `COPY ${name}: statement not ended by a period` });
      j--;
    }
    include(name, library, replacements, t, j);
    i = j;
  }
  return out;

  function operand(j: number): { tokens: Token[]; raw: string; next: number } | undefined {
    const tok = tokens[j];
    if (!tok) return undefined;
    if (tok.kind === 'pseudo') {
      let k = j + 1;
      while (k < n && tokens[k]!.kind !== 'pseudo') k++;
      const inner = tokens.slice(j + 1, k);
      const src = files[tok.file]!.source.text;
      const raw = k < n ? src.slice(tok.offset + 2, tokens[k]!.offset).trim() : inner.map((x) => x.text).join(' ');
      return { tokens: inner, raw, next: k + 1 };
    }
    return { tokens: [tok], raw: tok.text, next: j + 1 };
  }

  function include(name: string, library: string | undefined, replacements: Replacement[], at: Token, lastIndex: number): void {
    void lastIndex;
    const from = files[at.file]!.absolutePath;
    const found = locator.find(name, library, from);
    if (!found) {
      const upper = name.toUpperCase();
      const system = SYSTEM_COPYBOOKS.has(upper);
      diagnostics.push({
        file: at.file,
        line: at.line,
        severity: system ? 'info' : 'warning',
        message: system
          ? `system copybook ${upper} not in the tree; its fields are unknown to the analysis`
          : `copybook ${name}${library ? ` OF ${library}` : ''} not found (searched the program's directory${locator.searched.length ? ` and ${locator.searched.join(', ')}` : ''}); its contents were not analyzed`,
      });
      return;
    }
    if (stack.includes(found.absolutePath) || found.absolutePath === files[0]!.absolutePath) {
      diagnostics.push({ file: at.file, line: at.line, severity: 'error', message: `COPY ${name} is recursive (${[...stack, found.absolutePath].map(relativePath).join(' → ')}); not expanded again` });
      return;
    }
    if (stack.length >= 50) {
      diagnostics.push({ file: at.file, line: at.line, severity: 'error', message: `COPY ${name}: nesting deeper than 50 copybooks; not expanded` });
      return;
    }
    // Partial-word replacements work on the text; single-word ones join them there so the
    // first matching operand in the REPLACING list wins, as the standard orders them.
    const partial = replacements.some((r) => r.partial !== null);
    const textual = partial ? replacements.filter((r) => r.partial !== null || r.from.length === 1) : [];
    const whole = replacements.filter((r) => !textual.includes(r));
    const rewrite = textual.length > 0 ? makeRewrite(textual) : undefined;
    const source = readSource(found.text, rewrite ? { rewrite } : {});
    let index = files.findIndex((f) => f.absolutePath === found.absolutePath);
    if (index < 0) {
      index = files.length;
      files.push({ path: relativePath(found.absolutePath), absolutePath: found.absolutePath, source, text: found.text });
      for (const d of source.diagnostics) diagnostics.push({ file: index, ...d });
    }
    const lexDiags: { line: number; severity: 'error' | 'warning' | 'info'; message: string }[] = [];
    let copied = lex(source, index, lexDiags);
    if (files[index]!.source !== source) {
      // Seen before: token offsets must refer to the text lexed now (REPLACING may differ).
    }
    for (const d of lexDiags) diagnostics.push({ file: index, ...d });
    if (whole.length > 0) copied = applyReplacing(copied, whole);
    const expanded = expandCopybooks(copied, index, files, diagnostics, locator, relativePath, [...stack, found.absolutePath]);
    for (const tok of expanded) out.push(tok);
  }
}

function makeRewrite(items: Replacement[]): (code: string) => string {
  const W = '[A-Za-z0-9_-]';
  const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const alternatives = items.map((r, i) => {
    const e = esc(r.fromText);
    const body = r.partial === 'leading' ? `(?<!${W})${e}` : r.partial === 'trailing' ? `${e}(?!${W})` : r.partial === 'tag' ? e : `(?<!${W})${e}(?!${W})`;
    return `(?<r${i}>${body})`;
  });
  const re = new RegExp(alternatives.join('|'), 'gi');
  return (code: string) =>
    code.replace(re, (...args: unknown[]) => {
      const groups = args[args.length - 1] as Record<string, string | undefined>;
      for (let i = 0; i < items.length; i++) if (groups[`r${i}`] !== undefined) return items[i]!.toText;
      return String(args[0]);
    });
}

/** Whole-word / pseudo-text replacement over copybook tokens; replacement tokens take the place (file, line) of what they replace. */
export function applyReplacing(tokens: Token[], replacements: readonly Replacement[]): Token[] {
  const out: Token[] = [];
  outer: for (let i = 0; i < tokens.length; ) {
    for (const r of replacements) {
      const len = r.from.length;
      if (len === 0 || i + len > tokens.length) continue;
      let ok = true;
      for (let k = 0; k < len; k++) {
        if (tokens[i + k]!.upper !== r.from[k]) { ok = false; break; }
      }
      if (!ok) continue;
      const at = tokens[i]!;
      for (const t of r.to) out.push({ ...t, file: at.file, line: at.line, endLine: at.line, offset: at.offset });
      i += len;
      continue outer;
    }
    out.push(tokens[i]!);
    i++;
  }
  return out;
}
