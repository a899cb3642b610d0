/**
 * Turns the `bridge.events` rules into the mapper the bridge asks, per row change, which business
 * events the change raises and on which topic. It owns the rule semantics, their validation
 * against the source's real schema, and the default event names (`<entity>_created`, ...).
 *
 * Semantics, chosen for consumers that subscribe by event type:
 *   - Rules are tried in config order, and EVERY matching rule emits its event: one update can be
 *     both `order_updated` and `order_shipped`, so a consumer of either sees it. Two rules naming
 *     the same type and topic emit it once.
 *   - When no rule matches, the change emits its default event, so no captured change is ever
 *     silent: `<entity>_created` (op c), `_updated` (u), `_deleted` (d), and `_snapshot` (r).
 *     Snapshot reads get their own type because they are rows that already existed, not new
 *     business facts: a consumer sending welcome mails on `customer_created` must not mail every
 *     existing customer when a bridge starts.
 *   - For the same reason `op: any` (the default) matches live changes only (insert, update,
 *     delete); only `op: snapshot` rules see snapshot reads.
 *   - entity = the table name in snake_case, singular (`orders` → `order`, `order_items` →
 *     `order_item`, `categories` → `category`, `status` → `status`), via `pluralize`.
 *   - topic = rule.topic ?? `<topicPrefix>.<schema>.<table>`; default events use the latter.
 * Validation (`validateEventRules`) lists every problem at once, for the config loader to print
 * with file and line; `createEventMapper` throws the first.
 */
import pluralize from 'pluralize';
import { ConfigInvalidError } from '../core/errors.js';
import type { Op, RowChange, TableInfo } from './change.js';
import { ExpressionError, UnknownTableError } from './errors.js';
import { compileExpression, valueKinds, type CompiledExpression } from './expression.js';

/** Which changes a rule applies to. `any` is insert, update and delete (not snapshot reads). */
export type EventRuleOp = 'insert' | 'update' | 'delete' | 'snapshot' | 'any';

/** One `bridge.events` entry. */
export interface EventRule {
  /** `schema.table`, or a bare table name when only one captured table has it. */
  table: string;
  /** Default `any`. */
  op?: EventRuleOp;
  /** Condition over the change (bridges/expression.ts); absent: always. */
  when?: string;
  /** Event type, e.g. `order_shipped`; the CloudEvent `type`. */
  type: string;
  /** Topic to publish to; default `<topicPrefix>.<schema>.<table>`. */
  topic?: string;
}

/** A problem with one rule, for `file:line: bridge.events[index].field: message`. */
export interface EventRuleIssue {
  index: number;
  field: 'table' | 'op' | 'when' | 'type' | 'topic';
  message: string;
}

/** An event a change raises. Instances are shared and frozen. */
export interface MappedEvent {
  readonly type: string;
  readonly topic: string;
}

export interface EventMapper {
  /** The events `change` raises, at least one; rule order. Never throws. */
  map(change: RowChange): MappedEvent[];
}

export interface EventMapperOptions {
  /** First part of default topic names, e.g. `ficus` → `ficus.public.orders`. Empty: `public.orders`. */
  topicPrefix: string;
}

/** What an event type may look like (also the CloudEvent `type`): lowercase, starting with a letter. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_.-]*$/;
/** Kafka's legal topic names (https://kafka.apache.org/documentation/#topicconfigs: 249 chars of [a-zA-Z0-9._-], not . or ..). */
const TOPIC_PATTERN = /^[A-Za-z0-9._-]{1,249}$/;
const RULE_OPS: Readonly<Record<EventRuleOp, readonly Op[]>> = Object.freeze({
  insert: ['c'],
  update: ['u'],
  delete: ['d'],
  snapshot: ['r'],
  any: ['c', 'u', 'd'],
});
const DEFAULT_SUFFIX: Readonly<Record<Op, string>> = Object.freeze({ c: 'created', u: 'updated', d: 'deleted', r: 'snapshot' });
const ALL_OPS: readonly Op[] = ['c', 'u', 'd', 'r'];

/** Words pluralize would wrongly singularize as table names (`data` → `datum`). */
const KEEP_AS_IS = new Set(['data', 'metadata', 'sms', 'mms', 'gps', 'dns', 'news', 'series']);

/**
 * The entity a table holds, as used in event types: snake_case, singular, and a valid event type
 * prefix (`OrderItems` → `order_item`, `tbl_customers` → `tbl_customer`, `2fa` → `t_2fa`).
 */
export function entityName(table: string): string {
  const snake = table
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const words = snake.split('_');
  const last = words.pop() ?? '';
  const singular = KEEP_AS_IS.has(last) ? last : pluralize.singular(last);
  const name = [...words, singular].filter((w) => w !== '').join('_');
  if (name === '') return 'row';
  return /^[a-z]/.test(name) ? name : `t_${name}`;
}

/** The default event type for a change of `op` to rows of `entity`. */
export function defaultEventType(entity: string, op: Op): string {
  return `${entity}_${DEFAULT_SUFFIX[op]}`;
}

/** The default topic of a table's events. */
export function defaultTopic(topicPrefix: string, schema: string, table: string): string {
  return topicPrefix === '' ? `${schema}.${table}` : `${topicPrefix}.${schema}.${table}`;
}

/** Every problem with `rules` against the captured `tables`; empty when all are good. */
export function validateEventRules(rules: readonly EventRule[], tables: readonly TableInfo[]): EventRuleIssue[] {
  const issues: EventRuleIssue[] = [];
  rules.forEach((rule, index) => {
    for (const problem of checkRule(rule, tables)) issues.push({ index, field: problem.field, message: problem.error.message });
  });
  return issues;
}

/**
 * Builds the mapper.
 * @throws UnknownTableError for a rule on a table the source does not capture, ExpressionError for
 *   a bad `when` (with its column), ConfigInvalidError for a bad op, type or topic.
 */
export function createEventMapper(rules: readonly EventRule[], tables: readonly TableInfo[], options: EventMapperOptions): EventMapper {
  const events = new Map<string, MappedEvent>();
  const event = (type: string, topic: string): MappedEvent => {
    const key = `${type}\n${topic}`;
    let e = events.get(key);
    if (!e) events.set(key, (e = Object.freeze({ type, topic })));
    return e;
  };

  interface CompiledRule {
    when: CompiledExpression | undefined;
    event: MappedEvent;
  }
  interface TableMapping {
    rules: Record<Op, CompiledRule[]>;
    defaults: Record<Op, MappedEvent>;
  }
  const mappingFor = (schema: string, table: string): TableMapping => {
    const entity = entityName(table);
    const topic = defaultTopic(options.topicPrefix, schema, table);
    return {
      rules: { c: [], u: [], d: [], r: [] },
      defaults: { c: event(defaultEventType(entity, 'c'), topic), u: event(defaultEventType(entity, 'u'), topic), d: event(defaultEventType(entity, 'd'), topic), r: event(defaultEventType(entity, 'r'), topic) },
    };
  };

  // schema → table → mapping: two map lookups per change, no string building.
  const bySchema = new Map<string, Map<string, TableMapping>>();
  const lookup = (schema: string, table: string): TableMapping | undefined => bySchema.get(schema)?.get(table);
  for (const t of tables) {
    let m = bySchema.get(t.schema);
    if (!m) bySchema.set(t.schema, (m = new Map()));
    m.set(t.table, mappingFor(t.schema, t.table));
  }

  rules.forEach((rule, index) => {
    const [problem] = checkRule(rule, tables);
    if (problem) {
      if (problem.error instanceof UnknownTableError || problem.error instanceof ExpressionError) throw problem.error;
      throw new ConfigInvalidError([{ file: 'event rules', line: 0, path: `bridge.events[${index}].${problem.field}`, message: problem.error.message }]);
    }
    const info = resolveTable(rule.table, tables) as TableInfo;
    const mapping = lookup(info.schema, info.table)!;
    const compiled: CompiledRule = {
      when: rule.when === undefined ? undefined : compileExpression(rule.when, expressionOptions(info, rule.op ?? 'any')),
      event: event(rule.type, rule.topic ?? defaultTopic(options.topicPrefix, info.schema, info.table)),
    };
    for (const op of RULE_OPS[rule.op ?? 'any']) mapping.rules[op].push(compiled);
  });

  // Changes for a table the source was not described with cannot come from a correct source;
  // they still get their default event rather than vanish.
  const strays = new Map<string, TableMapping>();

  return Object.freeze({
    map(change: RowChange): MappedEvent[] {
      let mapping = lookup(change.schema, change.table);
      if (!mapping) {
        const key = `${change.schema}.${change.table}`;
        mapping = strays.get(key);
        if (!mapping) strays.set(key, (mapping = mappingFor(change.schema, change.table)));
      }
      const candidates = mapping.rules[change.op];
      let out: MappedEvent[] | undefined;
      if (candidates) {
        for (const rule of candidates) {
          if (rule.when === undefined || rule.when.evaluate(change)) {
            if (out === undefined) out = [rule.event];
            else if (!out.includes(rule.event)) out.push(rule.event);
          }
        }
      }
      if (out) return out;
      const fallback = mapping.defaults[change.op];
      return fallback ? [fallback] : [];
    },
  });
}

// ---------------------------------------------------------------------------------------------

interface RuleProblem {
  field: EventRuleIssue['field'];
  error: Error;
}

/** `schema.table` exactly, else a bare name that exactly one captured table has. */
function resolveTable(name: string, tables: readonly TableInfo[]): TableInfo | UnknownTableError {
  const qualified = tables.find((t) => `${t.schema}.${t.table}` === name);
  if (qualified) return qualified;
  const bare = tables.filter((t) => t.table === name);
  if (bare.length === 1) return bare[0]!;
  const captured = tables.map((t) => `${t.schema}.${t.table}`).join(', ') || 'none';
  if (bare.length > 1) return new UnknownTableError(name, `is ambiguous, write schema.table (${bare.map((t) => `${t.schema}.${t.table}`).join(', ')})`);
  return new UnknownTableError(name, `is not captured by this bridge (captured: ${captured})`);
}

function expressionOptions(info: TableInfo, op: EventRuleOp): Parameters<typeof compileExpression>[1] {
  const names = new Set(info.columns.map((c) => c.name));
  return {
    table: `${info.schema}.${info.table}`,
    columns: {
      before: op === 'insert' || op === 'snapshot' ? null : names,
      after: op === 'delete' ? null : names,
    },
    kinds: valueKinds(info.columns),
  };
}

function checkRule(rule: EventRule, tables: readonly TableInfo[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const bad = (field: RuleProblem['field'], message: string): void => {
    problems.push({ field, error: new Error(message) });
  };
  if (rule === null || typeof rule !== 'object') {
    bad('table', `a rule must be an object with table and type, got ${JSON.stringify(rule)}`);
    return problems;
  }

  let info: TableInfo | undefined;
  if (typeof rule.table !== 'string' || rule.table === '') bad('table', `table must be a table name (schema.table), got ${JSON.stringify(rule.table)}`);
  else {
    const resolved = resolveTable(rule.table, tables);
    if (resolved instanceof UnknownTableError) problems.push({ field: 'table', error: resolved });
    else info = resolved;
  }

  const op = rule.op ?? 'any';
  const opKnown = Object.hasOwn(RULE_OPS, op);
  if (!opKnown) bad('op', `op must be one of ${Object.keys(RULE_OPS).join(', ')}, got ${JSON.stringify(rule.op)}`);

  if (typeof rule.type !== 'string' || !EVENT_TYPE_PATTERN.test(rule.type)) {
    bad('type', `type must match ${EVENT_TYPE_PATTERN.source} (lowercase, e.g. order_shipped), got ${JSON.stringify(rule.type)}`);
  }
  if (rule.topic !== undefined && (typeof rule.topic !== 'string' || !TOPIC_PATTERN.test(rule.topic) || rule.topic === '.' || rule.topic === '..')) {
    bad('topic', `topic must be a Kafka topic name (1-249 of A-Z a-z 0-9 . _ -), got ${JSON.stringify(rule.topic)}`);
  }

  if (rule.when !== undefined) {
    if (typeof rule.when !== 'string') bad('when', `when must be an expression string, got ${JSON.stringify(rule.when)}`);
    else {
      try {
        checkWhen(rule.when, info, opKnown ? op : 'any');
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        problems.push({ field: 'when', error: err });
      }
    }
  }
  return problems;
}

/** Compiles `when` as the mapper will; throws ExpressionError. Without the table, syntax only. */
function checkWhen(when: string, info: TableInfo | undefined, op: EventRuleOp): void {
  if (!info) {
    compileExpression(when);
    return;
  }
  const { columns } = compileExpression(when, expressionOptions(info, 'any'));
  const missing = op === 'insert' || op === 'snapshot' ? 'before' : op === 'delete' ? 'after' : undefined;
  const misuse = missing && columns.find((r) => r.startsWith(`${missing}.`));
  if (!misuse) return;
  // Compiling again without that row fails at its first use: the column to point at.
  let column = 1;
  try {
    compileExpression(when, expressionOptions(info, op));
  } catch (err) {
    if (err instanceof ExpressionError) column = err.column;
  }
  const why = missing === 'before' ? `${op === 'insert' ? 'inserts' : 'snapshot reads'} have no before row` : 'deletes have no after row';
  throw new ExpressionError(when, column, `a rule with op ${op} may not reference ${missing} (${why}): ${misuse}`);
}
