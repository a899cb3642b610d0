/**
 * Rule construction for the service frontends: stable ids (from path, enclosing scope, kind and
 * content, never from run order, so rules.json diffs cleanly between runs) and the common shape.
 */
import { createHash } from 'node:crypto';
import type { Evidence, Rule, RuleKind } from '../model.js';

export interface RuleInput {
  kind: RuleKind;
  /** Enclosing class/function, e.g. `UserController.create`; part of the id. */
  scope: string;
  statement: string;
  condition: string | null;
  effects: string[];
  fields: string[];
  evidence: Evidence[];
  /** Enclosing conditions, outermost first. */
  path?: string[];
}

/** Collects the rules of one file with ids `<PREFIX>-<12 hex>` (a counter suffix for identical rules). */
export function createRuleCollector(prefix: string, filePath: string): { add(rule: RuleInput): Rule; rules: Rule[] } {
  const rules: Rule[] = [];
  const seen = new Map<string, number>();
  return {
    rules,
    add(input) {
      const base = createHash('sha256')
        .update([filePath, input.scope, (input.path ?? []).join('\u0002'), input.kind, input.condition ?? '', ...input.effects].join('\u0000'))
        .digest('hex')
        .slice(0, 12);
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      const rule: Rule = {
        id: `${prefix}-${base}${n > 1 ? `-${n}` : ''}`,
        kind: input.kind,
        statement: input.statement,
        condition: input.condition,
        effects: input.effects,
        fields: [...new Set(input.fields)],
        evidence: input.evidence,
        origin: 'parser',
        operation: null,
        ...(input.path && input.path.length > 0 ? { path: input.path } : {}),
      };
      rules.push(rule);
      return rule;
    },
  };
}
