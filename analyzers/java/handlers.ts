/**
 * What Spring MVC and JAX-RS handlers share once their annotations are read: path templates
 * (constant placeholders kept intact), the responses a handler declares and produces merged into
 * one list, media types from `MediaType` constants, summaries from OpenAPI annotations or Javadoc,
 * and the per-file context every extractor writes into (facts, rules, diagnostics).
 */
import type { Diagnostic, Rule } from '../model.js';
import type { ParamFact, ResponseFact } from '../service/facts.js';
import { normalizePath } from '../service/paths.js';
import type { RuleInput } from '../service/rules.js';
import type { Schema } from '../service/schema.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { applyConstraints } from './constraints.js';
import type { ModuleConfig } from './config.js';
import type { JavaFacts, JavaServiceFacts } from './facts.js';
import { analyzeBodies, handlerBodies, localTypes, type BodyAnalysis } from './responses.js';
import { annotationsOf, evalString, evalStrings, enumName, findAnnotation, firstSentence, javadocOf, parseAnnotation, type Annotation, type ClassInfo, type JavaFile } from './syntax.js';
import { WRAPPERS, parseType, schemaOf, type JavaType } from './types.js';

export interface ExtractContext {
  file: JavaFile;
  facts: JavaServiceFacts & { java: JavaFacts };
  addRule: (r: RuleInput) => Rule;
  diagnostics: Diagnostic[];
  config: ModuleConfig | undefined;
  /** Rule ids found in a method body (guards, calculations, decisions), by method node id. */
  rulesOf: (method: SyntaxNode) => string[];
}

/** Normalizes a `{name}` / `{name:regex}` template, leaving `{{const:X}}` placeholders as they are. */
export function normalizeTemplate(raw: string): { path: string; params: ParamFact[] } {
  const saved: string[] = [];
  const protectedRaw = raw.replace(/\{\{const:[^}]+\}\}/g, (m) => `\u0000${saved.push(m) - 1}\u0000`);
  const n = normalizePath(protectedRaw, 'brace');
  const path = n.path.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => saved[Number(i)]!);
  // Keep each `{name:regex}` as a string pattern: the Java parameter's own type decides the rest.
  const regexes = new Map<string, string>();
  for (const m of raw.matchAll(/\{\s*([A-Za-z_]\w*)\s*:\s*((?:[^{}]|\{[^{}]*\})+)\}/g)) regexes.set(m[1]!, m[2]!.trim());
  return {
    path,
    params: n.params.map((p) => {
      const re = regexes.get(p.name);
      const schema = re ? ({ type: 'string', pattern: `^${re.replace(/^\^/, '').replace(/\$$/, '')}$` } as Schema) : p.schema;
      return { name: p.name, in: 'path' as const, required: true, schema };
    }),
  };
}

/** Spring `${prop:default}` placeholders in mapping paths: the module's property, else the default. */
export function resolvePropertyPlaceholders(raw: string, config: ModuleConfig | undefined): string {
  return raw.replace(/\$\{([^}:]*)(?::([^}]*))?\}/g, (_m, name: string, def: string | undefined) => config?.pathProperties?.[name] ?? def ?? '');
}

const MEDIA_TYPES: Record<string, string> = {
  APPLICATION_FORM_URLENCODED: 'application/x-www-form-urlencoded',
  APPLICATION_PROBLEM_JSON: 'application/problem+json',
  APPLICATION_PROBLEM_XML: 'application/problem+xml',
  APPLICATION_JSON_UTF8: 'application/json',
  APPLICATION_JSON_PATCH_JSON: 'application/json-patch+json',
  APPLICATION_NDJSON: 'application/x-ndjson',
  APPLICATION_STREAM_JSON: 'application/stream+json',
  APPLICATION_SVG_XML: 'image/svg+xml',
  APPLICATION_ATOM_XML: 'application/atom+xml',
  APPLICATION_XHTML_XML: 'application/xhtml+xml',
  WILDCARD: '*/*',
  ALL: '*/*',
  SERVER_SENT_EVENTS: 'text/event-stream',
  TEXT_EVENT_STREAM: 'text/event-stream',
};

/** Media types of `@Consumes`/`@Produces`/`consumes =`: literals and `MediaType.X(_VALUE)` constants. */
export function mediaTypes(node: SyntaxNode | undefined, scope: ClassInfo, file: JavaFile): string[] {
  const out: string[] = [];
  const elements = node?.type === 'element_value_array_initializer' ? node.namedChildren : node ? [node] : [];
  for (const e of elements) {
    const constant = enumName(e);
    if (constant && /^[A-Z][A-Z0-9_]+$/.test(constant)) {
      const key = constant.replace(/_(VALUE|TYPE)$/, '');
      const known = MEDIA_TYPES[key];
      if (known) out.push(known);
      else if (/^(APPLICATION|TEXT|MULTIPART|IMAGE|AUDIO|VIDEO)_/.test(key)) {
        const [top, ...rest] = key.toLowerCase().split('_');
        out.push(`${top}/${rest.join('-')}`);
      }
      continue;
    }
    for (const v of evalStrings(e, scope, file)) {
      for (const part of v.split(',')) if (part.trim() && !part.includes('{{const:')) out.push(part.trim().replace(/;.*$/, ''));
    }
  }
  return out;
}

/** Summary and description from `@Operation`/`@ApiOperation` or the Javadoc. */
export function docsOf(method: SyntaxNode, annotations: readonly Annotation[], scope: ClassInfo, file: JavaFile): { summary?: string; description?: string } {
  const op = findAnnotation(annotations, 'Operation', 'ApiOperation');
  const summary = evalString(op?.args.get('summary') ?? (op?.name === 'ApiOperation' ? op.value : undefined), scope, file);
  const description = evalString(op?.args.get('description') ?? op?.args.get('notes'), scope, file);
  const javadoc = javadocOf(method);
  const out: { summary?: string; description?: string } = {};
  if (summary && !summary.includes('{{const:')) out.summary = summary;
  else if (javadoc) out.summary = firstSentence(javadoc);
  if (description && !description.includes('{{const:')) out.description = description;
  else if (javadoc && javadoc !== out.summary) out.description = javadoc;
  return out;
}

/**
 * Statuses documented on the handler: Swagger 2 `@ApiResponses({@ApiResponse(code = 404, message = ...)})`
 * and OpenAPI 3 `@ApiResponse(responseCode = "404", description = ...)`, repeated or grouped.
 */
export function documentedResponses(annotations: readonly Annotation[], scope: ClassInfo, file: JavaFile): ResponseFact[] {
  const out: ResponseFact[] = [];
  const read = (a: Annotation): void => {
    const code = a.args.get('responseCode') ?? a.args.get('code');
    const raw = code ? (evalString(code, scope, file) ?? code.text) : undefined;
    if (!raw || !/^([1-5]\d\d|default)$/.test(raw)) return;
    const description = evalString(a.args.get('description') ?? a.args.get('message'), scope, file);
    out.push({ status: raw, evidence: evidenceOf(file.path, a.node), ...(description && !description.includes('{{const:') ? { description } : {}) });
  };
  for (const a of annotations) {
    if (a.name === 'ApiResponse') read(a);
    else if (a.name === 'ApiResponses') {
      for (const e of a.value?.type === 'element_value_array_initializer' ? a.value.namedChildren : a.value ? [a.value] : []) {
        if (e.type === 'annotation') read(parseAnnotation(e));
      }
    }
  }
  return out;
}

/** Declared return type of a handler, its wrappers and whether it carries its own status. */
export interface ReturnInfo {
  type?: JavaType;
  schema?: Schema;
  /** `ResponseEntity`, JAX-RS `Response`: the status comes from the code. */
  statusCarrying: boolean;
  void: boolean;
}

export function returnInfo(method: SyntaxNode, typeParams: ReadonlySet<string>): ReturnInfo {
  const type = parseType(method.childForFieldName('type'));
  const unwrapped = unwrap(type);
  const statusCarrying = !!type && containsType(type, /^(ResponseEntity|Response|RestResponse|HttpEntity|ServerResponse)$/);
  const schema = schemaOf(type, { typeParams });
  const isVoid = !type || type.name === 'void' || unwrapped?.name === 'Void' || unwrapped?.name === 'void';
  return { ...(type ? { type } : {}), ...(schema && Object.keys(schema).length ? { schema } : {}), statusCarrying, void: isVoid };
}

function unwrap(t: JavaType | undefined): JavaType | undefined {
  let cur = t;
  while (cur && WRAPPERS.has(cur.name) && cur.args.length) cur = cur.args[cur.args.length - 1];
  return cur;
}

function containsType(t: JavaType, re: RegExp): boolean {
  if (re.test(t.name)) return true;
  return WRAPPERS.has(t.name) && t.args.some((a) => containsType(a, re));
}

/** Reads the handler body and merges its statuses with the declared success. */
export function handlerResponses(
  method: SyntaxNode,
  cls: ClassInfo,
  ctx: ExtractContext,
  declared: ReturnInfo,
  successStatus: number,
  responseContentType: string | undefined,
): { responses: ResponseFact[]; body: BodyAnalysis; bodies: SyntaxNode[] } {
  const bodies = handlerBodies(method, cls);
  const body = analyzeBodies(bodies, { file: ctx.file, cls, method, locals: localTypes(bodies, method) });
  const responses: ResponseFact[] = [];
  const documented = documentedResponses(annotationsOf(method), cls, ctx.file);
  const hasSuccess = body.responses.some((r) => /^2/.test(r.status)) || documented.some((r) => /^2/.test(r.status));
  for (const r of body.responses) {
    const success = /^2/.test(r.status) && r.status !== '204';
    const schema = r.schema ?? (success && declared.schema ? declared.schema : undefined);
    responses.push({ ...r, ...(schema ? { schema } : {}), ...(success && responseContentType ? { contentType: responseContentType } : {}) });
  }
  for (const d of documented) {
    const existing = responses.find((r) => r.status === d.status);
    if (existing) {
      if (!existing.description && d.description) existing.description = d.description;
      continue;
    }
    const success = /^2/.test(d.status) && d.status !== '204';
    responses.push({ ...d, ...(success && declared.schema ? { schema: declared.schema } : {}), ...(success && responseContentType ? { contentType: responseContentType } : {}) });
  }
  if (!hasSuccess) {
    const status = successStatus;
    responses.unshift({
      status: String(status),
      ...(declared.schema && status !== 204 ? { schema: declared.schema } : {}),
      ...(responseContentType && declared.schema ? { contentType: responseContentType } : {}),
    });
  }
  return { responses, body, bodies };
}

/** A parameter's schema with its Bean Validation constraints, and whether they make it required. */
export function paramSchema(type: JavaType | undefined, annotations: readonly Annotation[], scope: ClassInfo, file: JavaFile): { schema: Schema; required: boolean; constrained: ReturnType<typeof applyConstraints> } {
  const base = schemaOf(type) ?? { type: 'string' };
  const constrained = applyConstraints(base, annotations, scope, file);
  return { schema: constrained.schema, required: constrained.required, constrained };
}

/** A default value as JSON for the schema (`"20"` → 20 for integers). */
export function defaultFor(schema: Schema, raw: string): unknown {
  const t = (schema as { type?: unknown }).type;
  if ((t === 'integer' || t === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (t === 'boolean' && /^(true|false)$/.test(raw)) return raw === 'true';
  return raw;
}

/**
 * Path parameters the template itself types (`{id:[0-9]+}`, `{isbn: \\d{13}}`): declared
 * parameters keep their Java type and gain the template's pattern; undeclared ones are added.
 */
export function mergeTemplateParams(params: ParamFact[], fromTemplate: readonly ParamFact[]): void {
  for (const t of fromTemplate) {
    const declared = params.find((p) => p.in === 'path' && p.name === t.name);
    const pattern = (t.schema as { pattern?: string } | undefined)?.pattern;
    if (!declared) params.push(t);
    else if (pattern && (declared.schema as { type?: unknown } | undefined)?.type === 'string' && !(declared.schema as { pattern?: string }).pattern) {
      declared.schema = { ...declared.schema, pattern } as Schema;
    }
  }
}
