/**
 * `search_rules`: text and field search over the analyzer's rules catalog (`rules.json`,
 * specs/rules.schema.json). A rule matches when every term of the query occurs, case-insensitive,
 * in its statement, condition, fields, effects or id; filters narrow by kind, program (name or
 * path) and operationId. Each hit carries its evidence (file and lines) and says where it matched.
 */
import type { RulesDocument } from '../analyzers/output.js';
import { clipStrings, MAX_RULES } from './limits.js';

type Rule = RulesDocument['rules'][number];

export const ruleKinds = ['validation', 'calculation', 'decision', 'constraint'] as const;

export interface RuleQuery {
  /** Words that must all occur (statement, condition, fields, effects, id). */
  query?: string;
  /** A data name, matched as a substring of the rule's fields and effects (`rate` finds `WS-RATE`). */
  field?: string;
  kind?: (typeof ruleKinds)[number];
  /** Program name (`LOANAPRV`) or source path (`loan/LOANAPRV.cbl`). */
  program?: string;
  /** operationId in openapi.yaml. */
  operation?: string;
  limit?: number;
  offset?: number;
}

export interface RuleHit {
  id: string;
  kind: Rule['kind'];
  statement: string;
  condition: string | null;
  fields: string[];
  effects: string[];
  operation: string | null;
  program: string | null;
  evidence: Rule['evidence'];
  /** Which parts of the rule the query or field matched. */
  matchedIn: string[];
}

export interface RuleSearchResult {
  /** Rules matching, before the limit. */
  total: number;
  offset: number;
  returned: number;
  /** True when more rules matched than were returned, or a long string was clipped. */
  truncated: boolean;
  rules: RuleHit[];
}

/** Searches a parsed rules.json. */
export function searchRules(doc: RulesDocument, q: RuleQuery): RuleSearchResult {
  const limit = Math.min(q.limit ?? 20, MAX_RULES);
  const offset = q.offset ?? 0;
  const terms = (q.query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const field = q.field?.toLowerCase();
  const program = q.program?.toLowerCase();
  const programs = doc.programs.filter((p) => program === undefined || p.name.toLowerCase() === program || p.path.toLowerCase() === program);
  const programOf = (r: Rule): string | null =>
    doc.programs.find((p) => r.evidence.some((e) => e.path === p.path) || r.id.startsWith(`${p.name}-`))?.name ?? null;

  const hits: RuleHit[] = [];
  for (const r of doc.rules) {
    if (q.kind && r.kind !== q.kind) continue;
    if (q.operation !== undefined && r.operation !== q.operation) continue;
    if (program !== undefined && !programs.some((p) => r.evidence.some((e) => e.path === p.path) || r.id.startsWith(`${p.name}-`))) continue;
    const parts: [string, string][] = [
      ['statement', r.statement],
      ['condition', r.condition ?? ''],
      ['fields', r.fields.join('\n')],
      ['effects', r.effects.join('\n')],
      ['id', r.id],
    ];
    const matchedIn = new Set<string>();
    let ok = true;
    for (const term of terms) {
      const where = parts.filter(([, text]) => text.toLowerCase().includes(term)).map(([name]) => name);
      if (where.length === 0) {
        ok = false;
        break;
      }
      where.forEach((w) => matchedIn.add(w));
    }
    if (!ok) continue;
    if (field !== undefined) {
      const inFields = r.fields.some((f) => f.toLowerCase().includes(field));
      const inEffects = r.effects.some((f) => f.toLowerCase().includes(field));
      if (!inFields && !inEffects) continue;
      if (inFields) matchedIn.add('fields');
      if (inEffects) matchedIn.add('effects');
    }
    hits.push({
      id: r.id,
      kind: r.kind,
      statement: r.statement,
      condition: r.condition,
      fields: r.fields,
      effects: r.effects,
      operation: r.operation,
      program: programOf(r),
      evidence: r.evidence,
      matchedIn: [...matchedIn],
    });
  }
  const page = hits.slice(offset, offset + limit);
  const clipped = clipStrings(page);
  return { total: hits.length, offset, returned: page.length, truncated: offset + page.length < hits.length || clipped.truncated, rules: clipped.value };
}
