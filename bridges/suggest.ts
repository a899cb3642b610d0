/**
 * Proposes a `bridge.events` mapping from the source schema, for a person to review before use
 * (`ficus bridge suggest`). Per table: `<entity>_created`, `_updated` and `_deleted`; for a
 * soft-delete column (`deleted_at`, `is_deleted`, `active`, ...), `<entity>_deleted` on the update
 * that sets it; for a status-like column (name token status/state/stage/phase, or an enum),
 * `<entity>_<column>_changed` on updates that change it, plus commented-out transition rules to
 * specific values for the reviewer to pick. The output is both the rules and a commented YAML
 * snippet (review markers included, since a person reads it) and notes on what to check.
 * Heuristics only, from names and types: no LLM here. Naming hints (`llmNames`) come from the
 * caller, so a later LLM pass can rename entities without this module knowing about it; so do
 * `eventNames`, the business-event names the analyzer wrote into rules.json (`events`: table +
 * INSERT/UPDATE/DELETE → `LoanDecisionRecorded`), which replace `<entity>_created` and friends
 * (as `loan_decision_recorded`, the event-type syntax) for the tables the legacy code writes.
 */
import { Document, Scalar, type YAMLMap } from 'yaml';
import type { ColumnInfo, TableInfo } from './change.js';
import { valueKindOf, type ValueKind } from './expression.js';
import { entityName, EVENT_TYPE_PATTERN, type EventRule } from './mapping.js';

export interface SuggestOptions {
  /** Entity name per table (`schema.table` or bare table name), e.g. `{ 'public.tbl_ord': 'order' }`. */
  llmNames?: Record<string, string>;
  /** Event names per table and operation, as the analyzer's rules.json `events` lists them; tables match case-insensitively, bare or `schema.table`. */
  eventNames?: readonly { table: string; operation: string; name: string; description?: string }[];
}

export interface Suggestion {
  /** The active rules, in the order the YAML lists them. */
  rules: EventRule[];
  /** `events:` with comments, to paste under `bridge:` after review. */
  yaml: string;
  /** What the reviewer should check, one sentence each. */
  notes: string[];
}

/** Proposes event rules for `tables`; see the module header for the heuristics. */
export function suggestEventRules(tables: readonly TableInfo[], options: SuggestOptions = {}): Suggestion {
  const notes: string[] = [];
  const entries: Entry[] = [];
  const entities = new Map<string, string>();
  const used = new Set<NonNullable<SuggestOptions['eventNames']>[number]>();

  for (const info of tables) {
    const qualified = `${info.schema}.${info.table}`;
    const entity = chooseEntity(info, options.llmNames, notes);
    const clash = entities.get(entity);
    if (clash) notes.push(`${qualified} and ${clash} both map to entity "${entity}": their event types collide (topics differ); rename one in the rules`);
    else entities.set(entity, qualified);

    const tableEntries: Entry[] = [
      { rule: { table: qualified, op: 'insert', type: `${entity}_created` }, comment: [`${qualified} → entity "${entity}"`, `Every insert. (Also the default event; listed so the mapping reads whole.)`] },
      { rule: { table: qualified, op: 'update', type: `${entity}_updated` }, comment: ['Every update, including the ones that also raise the events below (every matching rule emits).'] },
      { rule: { table: qualified, op: 'delete', type: `${entity}_deleted` }, comment: ['Every delete.'] },
    ];
    for (const entry of tableEntries) {
      const named = analyzerName(options.eventNames, info, entry.rule.op as string, used);
      if (!named) continue;
      const type = snake(named.name);
      if (!EVENT_TYPE_PATTERN.test(type)) {
        notes.push(`ignored the analyzer's event name ${JSON.stringify(named.name)} for ${entry.rule.op} on ${qualified}: not usable as an event type`);
        continue;
      }
      entry.comment.push(`Named from the analyzer's rules.json: ${named.name}${named.description ? ` (${named.description})` : ''}; the default would be ${entry.rule.type}.`);
      entry.rule = { ...entry.rule, type };
    }
    let comparesBefore = false;

    for (const column of info.columns) {
      const soft = softDelete(column, entity, qualified);
      if (soft === 'text') {
        notes.push(`${qualified}.${column.name} looks like a soft-delete flag but holds text: write its ${entity}_deleted rule by hand (e.g. when: "after.${column.name} == 'Y'")`);
      } else if (soft) {
        tableEntries.push(soft);
        comparesBefore = true;
      }
    }
    for (const column of info.columns) {
      if (!isStatusLike(column, info)) continue;
      tableEntries.push(statusEntry(column, entity, qualified));
      comparesBefore = true;
      if (/(^|_)state$/.test(snake(column.name)) && info.columns.some((c) => /city|country|zip|postal/i.test(c.name))) {
        notes.push(`${qualified}.${column.name} may be part of an address rather than a lifecycle state: drop ${entity}_${snake(column.name)}_changed if so`);
      }
    }
    if (comparesBefore) {
      notes.push(
        `${qualified}: some rules compare before with after, which needs the whole old row: on PostgreSQL run ALTER TABLE ${qualified} REPLICA IDENTITY FULL (otherwise before holds only the key and these rules fire on every update); MySQL needs binlog_row_image=FULL`,
      );
    }
    entries.push(...tableEntries);
  }
  if (tables.length === 0) notes.push('the source reported no tables: nothing to suggest');
  for (const e of options.eventNames ?? []) {
    if (!used.has(e)) notes.push(`the analyzer named ${e.name} for ${e.operation} on ${e.table}, a table this bridge does not capture (or an operation it does not map)`);
  }

  return { rules: entries.map((e) => e.rule), yaml: render(entries, tables.length), notes };
}

// ---------------------------------------------------------------------------------------------

type EventName = NonNullable<SuggestOptions['eventNames']>[number];

/** The analyzer's name for `op` on this table, if any (COBOL tables are upper case, so case-insensitive). */
function analyzerName(names: readonly EventName[] | undefined, info: TableInfo, op: string, used: Set<EventName>): EventName | undefined {
  if (!names) return undefined;
  const bare = info.table.toLowerCase();
  const qualified = `${info.schema}.${info.table}`.toLowerCase();
  const found = names.find((n) => {
    const t = n.table.toLowerCase();
    return (t === bare || t === qualified) && n.operation.toLowerCase() === op;
  });
  if (found) used.add(found);
  return found;
}

/** A suggested rule with the comment lines that explain it and optional commented-out alternatives. */
interface Entry {
  rule: EventRule;
  comment: string[];
  /** Rules shown commented out after this one, for the reviewer to enable. */
  alternatives?: EventRule[];
}

function snake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function chooseEntity(info: TableInfo, hints: Record<string, string> | undefined, notes: string[]): string {
  const qualified = `${info.schema}.${info.table}`;
  const hint = hints && (Object.hasOwn(hints, qualified) ? hints[qualified] : Object.hasOwn(hints, info.table) ? hints[info.table] : undefined);
  if (hint !== undefined) {
    const name = snake(String(hint));
    if (/^[a-z][a-z0-9_]*$/.test(name)) return name;
    notes.push(`ignored the naming hint ${JSON.stringify(hint)} for ${qualified}: not usable in an event type`);
  }
  return entityName(info.table);
}

const SOFT_DELETE_AT = /^(deleted|removed|archived)_(at|on|date|time|timestamp)$|^deletion_(date|time)$/;
const SOFT_DELETE_FLAG = /^(is_)?(deleted|removed)$/;
const ACTIVE_FLAG = /^(is_)?active$/;

function softDelete(column: ColumnInfo, entity: string, table: string): Entry | 'text' | undefined {
  const name = snake(column.name);
  const c = column.name;
  const kind = valueKindOf(column);
  const rule = (when: string): EventRule => ({ table, op: 'update', when, type: `${entity}_deleted` });
  if (SOFT_DELETE_AT.test(name)) {
    return {
      rule: rule(`before.${c} is null and after.${c} is not null`),
      comment: [`Soft delete: ${c} gets set. This update also emits ${entity}_updated; add "when: after.${c} is null" there if consumers should see only one.`],
    };
  }
  const flag = SOFT_DELETE_FLAG.test(name);
  const active = ACTIVE_FLAG.test(name);
  if (!flag && !active) return undefined;
  if (kind !== 'boolean' && kind !== 'number') return 'text';
  // `== true` also matches 1 (MySQL BOOLEAN is TINYINT(1)); `!= true` is true for a null before.
  if (flag) {
    return {
      rule: rule(`before.${c} != true and after.${c} == true`),
      comment: [`Soft delete: ${c} turns true. This update also emits ${entity}_updated.`],
    };
  }
  return {
    rule: rule(`before.${c} != false and after.${c} == false`),
    comment: [
      `Soft delete: ${c} turns false. This update also emits ${entity}_updated.`,
      `TODO(review): if an inactive ${entity} is not a deleted one, rename this to ${entity}_deactivated.`,
    ],
  };
}

const STATUS_TOKENS = new Set(['status', 'state', 'stage', 'phase']);
/** Columns about a status rather than the status itself (`status_changed_at`, `state_reason`). */
const NOT_STATUS_SUFFIX = new Set(['at', 'on', 'date', 'time', 'timestamp', 'by', 'reason', 'note', 'notes', 'message', 'text', 'comment', 'description']);

function isStatusLike(column: ColumnInfo, info: TableInfo): boolean {
  if (info.primaryKey.includes(column.name)) return false;
  const kind = valueKindOf(column);
  if (kind === 'boolean' || kind === 'json') return false;
  const tokens = snake(column.name).split('_');
  const last = tokens[tokens.length - 1] ?? '';
  if (/(date|time)/i.test(column.type) || NOT_STATUS_SUFFIX.has(last)) return false;
  return tokens.some((t) => STATUS_TOKENS.has(t)) || enumValues(column) !== undefined;
}

/** The values of an enum column, from its JSON Schema or a MySQL `enum('a','b')` type. */
function enumValues(column: ColumnInfo): (string | number)[] | undefined {
  const fromSchema = column.jsonSchema['enum'];
  if (Array.isArray(fromSchema)) {
    return fromSchema.filter((v): v is string | number => (typeof v === 'string' && v !== '') || typeof v === 'number');
  }
  const m = /^enum\s*\((.*)\)$/is.exec(column.type.trim());
  if (!m) return undefined;
  return [...m[1]!.matchAll(/'((?:[^']|'')*)'/g)].map((v) => v[1]!.replace(/''/g, "'")).filter((v) => v !== '');
}

const MAX_TRANSITIONS = 12;

function statusEntry(column: ColumnInfo, entity: string, table: string): Entry {
  const c = column.name;
  const name = snake(c);
  const changed = `${entity}_${name}_changed`;
  const kind: ValueKind = valueKindOf(column);
  const values = enumValues(column);
  const known = values !== undefined && values.length > 0;
  const examples = known ? values.slice(0, MAX_TRANSITIONS) : [kind === 'number' ? 0 : 'VALUE'];
  // `order_shipped` for a column named status; `order_payment_status_paid` for others.
  const prefix = STATUS_TOKENS.has(name) ? entity : `${entity}_${name}`;
  const alternatives = examples.map((v): EventRule => {
    const literal = typeof v === 'number' ? String(v) : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    const suffix = snake(String(v)) || 'value';
    return { table, op: 'update', when: `before.${c} != ${literal} and after.${c} == ${literal}`, type: `${prefix}_${suffix}` };
  });
  const comment = [
    `${c} looks like a lifecycle ${known ? `(enum: ${values.slice(0, MAX_TRANSITIONS).join(', ')}${values.length > MAX_TRANSITIONS ? ', ...' : ''})` : '(by its name)'}: any change of it.`,
    `TODO(review): consumers usually want the transitions that matter to the business: uncomment the transition rules just below${known ? '' : ' (replace VALUE in the condition and the type)'}, and drop this rule if they are enough.`,
  ];
  return { rule: { table, op: 'update', when: `before.${c} != after.${c}`, type: changed }, comment, alternatives };
}

function render(entries: readonly Entry[], tableCount: number): string {
  const doc = new Document({ events: [] as unknown[] });
  doc.commentBefore = [
    ` Event mapping suggested by ficus bridge suggest from the source schema (${tableCount} table${tableCount === 1 ? '' : 's'}).`,
    ' TODO(review): check every rule, then paste this under bridge: in ficus.yaml.',
    ' Every matching rule emits its event. A change that no rule matches emits the default',
    ' <entity>_created / _updated / _deleted; snapshot reads emit <entity>_snapshot (op any does not match them).',
  ].join('\n');
  const seq = doc.get('events') as { items: unknown[] };
  entries.forEach((entry, i) => {
    const node = doc.createNode(entry.rule) as YAMLMap;
    quoteWhen(node);
    // Alternatives go before the rule they refine, as list items at the same indentation, so
    // uncommenting them gives valid YAML.
    node.commentBefore = [...entry.comment, ...(entry.alternatives ? commentedOut(entry.alternatives) : [])].map((line) => ` ${line}`).join('\n');
    // A blank line before each table's first rule.
    if (i > 0 && entry.rule.table !== entries[i - 1]!.rule.table) node.spaceBefore = true;
    seq.items.push(node);
  });
  return doc.toString({ lineWidth: 0 });
}

function quoteWhen(node: YAMLMap): void {
  const when = node.get('when', true);
  if (when instanceof Scalar) when.type = Scalar.QUOTE_DOUBLE;
}

/** Rules as YAML list items, to show as comment lines. */
function commentedOut(rules: readonly EventRule[]): string[] {
  const doc = new Document(rules);
  for (const item of (doc.contents as { items: unknown[] }).items) quoteWhen(item as YAMLMap);
  return doc.toString({ lineWidth: 0 }).trimEnd().split('\n');
}
