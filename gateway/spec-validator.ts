/**
 * The spec's operations as validators, compiled once at start (ajv, JSON Schema 2020-12, every
 * `$ref` resolved inside openapi.yaml). For a request it finds the operation called (the
 * catalog's matching) and checks the request against it: required query/path/header parameters,
 * scalar parameter values against their schemas, and the request body (required, media type,
 * JSON schema). For a response it finds the declared response for the status (exact, then
 * `2XX`, then `default`: OpenAPI 3.1 Responses Object) and checks the media type, the JSON body
 * schema and required headers; an undeclared status is a finding of its own. Pure once
 * compiled: no I/O, no clock. Errors never carry a value from the traffic, only where
 * (`instancePath`, a JSON pointer into the HTTP message: `/body/rate`, `/query/limit`,
 * `/headers/x-id`, `/status`) and which rule (`schemaPath`, a JSON pointer into openapi.yaml).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { decodeBody } from './compare.js';
import { SpecsFileProblem, type SpecCatalog, type SpecOperation } from './specs.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** `status`: the status is not declared; `schema`: the response breaks its declaration; `request`: the client's request breaks the operation's. */
export type SpecViolationKind = 'status' | 'schema' | 'request';

export const specViolationKinds: readonly SpecViolationKind[] = Object.freeze(['status', 'schema', 'request']);

/** One broken rule: where in the HTTP message, what, and which part of openapi.yaml says so. */
export interface SpecError {
  instancePath: string;
  message: string;
  schemaPath: string;
}

/** What one check found; `dropped` counts errors beyond the bound, not kept. */
export interface SpecFinding {
  kind: SpecViolationKind;
  errors: SpecError[];
  dropped: number;
}

export interface CheckedRequest {
  method: string;
  /** Path and query string as received. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The body when the gateway buffered it (dry-run and read-back routes); otherwise undefined and only its presence is known. */
  body: Buffer | undefined;
}

/** A response as checked; without `body` only the status is checked (nothing was captured). */
export interface CheckedResponse {
  status: number;
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer;
}

/** One operation, compiled. */
export interface OperationCheck {
  readonly operation: SpecOperation;
  checkRequest(request: CheckedRequest, pathParams: Readonly<Record<string, string>>): SpecFinding | undefined;
  checkResponse(method: string, response: CheckedResponse): SpecFinding | undefined;
}

export interface SpecValidators {
  /** How many operations were compiled. */
  readonly operations: number;
  /** Warnings from compiling (unknown formats, ignored parameters), for the start-up log. */
  readonly warnings: readonly string[];
  /** Whether any operation could serve a route (`methods` + fastify path): routes with none are never checked. */
  covers(methods: readonly string[], routePath: string): boolean;
  /** The operation a concrete request calls, with its path parameters (decoded), or undefined. */
  match(method: string, url: string): { check: OperationCheck; pathParams: Record<string, string> } | undefined;
}

export interface CompileOptions {
  /** Errors kept per finding (default 20); the rest are counted in `dropped`. */
  maxErrors?: number;
}

/** The key the document is registered under in ajv: refs `#/components/...` resolve against it. */
const DOC = 'ficus-openapi';
const JSON_MEDIA = /^application\/(json|[\w.+-]+\+json)$/;
const NO_BODY_STATUS = new Set([204, 304]);
/** Header parameters OpenAPI says to ignore (Parameter Object, `in: header`). */
const IGNORED_HEADER_PARAMS = new Set(['accept', 'content-type', 'authorization']);
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/** OpenAPI's own formats (Data Types); ajv-formats knows the JSON Schema ones. */
function addOpenApiFormats(ajv: Ajv2020): void {
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -0x8000_0000 && n <= 0x7fff_ffff });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  ajv.addFormat('binary', true);
  ajv.addFormat('password', true);
}

/** `a/b~c` → `a~1b~0c` (RFC 6901). */
function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `application/JSON; charset=utf-8` → `application/json`. */
function mediaType(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const t = v.split(';')[0]!.trim().toLowerCase();
  return t || undefined;
}

interface Media {
  key: string;
  type: string;
  pointer: string;
  validate?: ValidateFunction;
}

interface ResponseDecl {
  pointer: string;
  media: Media[];
  requiredHeaders: { name: string; pointer: string }[];
}

interface ParamDecl {
  name: string;
  in: 'query' | 'path' | 'header';
  required: boolean;
  pointer: string;
  /** `object`: spread over several query keys; `other`: no schema (`content`) or a composite one, presence only. */
  shape: 'scalar' | 'array' | 'object' | 'other';
  style: string;
  explode: boolean;
  validate?: ValidateFunction;
}

/**
 * Compiles every operation of the catalog's document. Throws `SpecsFileProblem` naming
 * openapi.yaml, the operation and the place when a schema cannot be compiled (an unresolvable
 * `$ref`, an invalid keyword value), so a bad spec stops the gateway at start, not at traffic.
 */
export function compileSpecValidators(catalog: SpecCatalog, options: CompileOptions = {}): SpecValidators {
  const maxErrors = options.maxErrors ?? 20;
  const file = catalog.specFile ?? `${catalog.dir}/openapi.yaml`;
  const doc = catalog.document;
  if (!doc) throw new SpecsFileProblem(file, 'has no document to check traffic against');
  const warnings: string[] = [];
  const logger = { log() {}, warn: (...args: unknown[]) => warnings.push(args.map(String).join(' ')), error: (...args: unknown[]) => warnings.push(args.map(String).join(' ')) };
  // verbose: errors carry the schema object they come from, mapped back to its place in the file.
  // Their `data` (the traffic's value) is never copied out.
  const base = { allErrors: true, strict: false, verbose: true, allowUnionTypes: true, logger } as const;
  const ajv = new Ajv2020(base);
  // Parameters arrive as strings: their values are coerced (`"5"` → 5) on a separate instance so
  // body validation never coerces.
  const coercing = new Ajv2020({ ...base, coerceTypes: true });
  for (const a of [ajv, coercing]) {
    addFormats(a);
    addOpenApiFormats(a);
    // The whole document, not only components: operations' inline schemas are compiled by
    // pointer, and `#/components/schemas/X` inside them resolves against the document.
    a.addSchema(doc as object, DOC, undefined, false);
  }

  // Where every object of the document is, to turn ajv's schema objects back into pointers.
  const where = new WeakMap<object, string>();
  const index = (v: unknown, p: string) => {
    if (typeof v !== 'object' || v === null || where.has(v)) return;
    where.set(v, p);
    for (const [k, x] of Object.entries(v)) index(x, `${p}/${escapePointer(k)}`);
  };
  index(doc, '#');

  /** Follows local `$ref`s of non-schema objects (responses, parameters, request bodies). */
  const deref = (value: unknown, pointer: string, what: string): { value: unknown; pointer: string } => {
    let v = value;
    let p = pointer;
    for (let hops = 0; isObject(v) && typeof v.$ref === 'string'; hops++) {
      const ref = v.$ref;
      if (hops > 20) throw new Error(`${what}: $ref cycle at ${p}`);
      if (!ref.startsWith('#/')) throw new Error(`${what}: only local $refs ("#/...") are supported (got ${JSON.stringify(ref)})`);
      let target: unknown = doc;
      for (const raw of ref.slice(2).split('/')) {
        const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
        target = isObject(target) || Array.isArray(target) ? (target as Record<string, unknown>)[seg] : undefined;
      }
      if (target === undefined) throw new Error(`${what}: cannot resolve $ref ${JSON.stringify(ref)}`);
      v = target;
      p = ref;
    }
    return { value: v, pointer: p };
  };

  const compileAt = (instance: Ajv2020, pointer: string, wrap: boolean): ValidateFunction => {
    const uri = `${DOC}#${pointer.slice(1).split('/').map(encodeURIComponent).join('/')}`;
    return wrap ? instance.compile({ type: 'object', properties: { value: { $ref: uri } } }) : instance.compile({ $ref: uri });
  };

  const mediaOf = (content: unknown, pointer: string): Media[] => {
    if (!isObject(content)) return [];
    return Object.entries(content).map(([key, m]) => {
      const p = `${pointer}/${escapePointer(key)}`;
      const type = mediaType(key) ?? key;
      const hasSchema = isObject(m) && m.schema !== undefined;
      return { key, type, pointer: p, ...(hasSchema ? { validate: compileAt(ajv, `${p}/schema`, false) } : {}) };
    });
  };

  const checks = new Map<SpecOperation, OperationCheck>();
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const op of catalog.operations) {
    const item = paths[op.path];
    const itemPointer = `#/paths/${escapePointer(op.path)}`;
    const opPointer = `${itemPointer}/${op.method.toLowerCase()}`;
    const raw = isObject(item) ? item[op.method.toLowerCase()] : undefined;
    if (!isObject(item) || !isObject(raw)) continue;
    const name = `${op.method} ${op.path}`;
    try {
      checks.set(op, compileOperation(op, item, raw, itemPointer, opPointer));
    } catch (err) {
      throw new SpecsFileProblem(file, `${name}: ${err instanceof Error ? err.message : String(err)} (gateway.specCheck.enabled: false starts without checking traffic against the spec)`);
    }
  }

  function compileOperation(op: SpecOperation, item: Record<string, unknown>, raw: Record<string, unknown>, itemPointer: string, opPointer: string): OperationCheck {
    // Path-level parameters, overridden by operation-level ones of the same name and location.
    const params = new Map<string, ParamDecl>();
    const addParams = (list: unknown, pointer: string) => {
      if (!Array.isArray(list)) return;
      list.forEach((entry, i) => {
        const { value, pointer: p } = deref(entry, `${pointer}/${i}`, `parameters[${i}]`);
        if (!isObject(value) || typeof value.name !== 'string') return;
        const loc = value.in;
        if (loc !== 'query' && loc !== 'path' && loc !== 'header') return; // cookies: never read (they carry sessions)
        const pname = loc === 'header' ? value.name.toLowerCase() : value.name;
        if (loc === 'header' && IGNORED_HEADER_PARAMS.has(pname)) return;
        let shape: ParamDecl['shape'] = 'other';
        let validate: ValidateFunction | undefined;
        if (value.schema !== undefined) {
          const s = deref(value.schema, `${p}/schema`, `parameter ${value.name}`).value;
          const types = isObject(s) ? (Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type]) : [];
          if (isObject(s) && types.length === 0 && (s.enum !== undefined || s.const !== undefined)) shape = 'scalar';
          else if (types.length > 0 && types.every((t) => typeof t === 'string' && SCALAR_TYPES.has(t))) shape = 'scalar';
          else if (types.length === 1 && types[0] === 'array') shape = 'array';
          else if ((types.length === 1 && types[0] === 'object') || (isObject(s) && types.length === 0 && isObject(s.properties))) shape = 'object';
          if (shape === 'scalar' || shape === 'array') validate = compileAt(coercing, `${p}/schema`, true);
        }
        const style = typeof value.style === 'string' ? value.style : loc === 'query' ? 'form' : 'simple';
        const explode = typeof value.explode === 'boolean' ? value.explode : style === 'form';
        params.set(`${loc}:${pname}`, { name: pname, in: loc, required: loc === 'path' || value.required === true, pointer: p, shape, style, explode, ...(validate ? { validate } : {}) });
      });
    };
    addParams(item.parameters, `${itemPointer}/parameters`);
    addParams(raw.parameters, `${opPointer}/parameters`);

    let body: { required: boolean; pointer: string; media: Media[] } | undefined;
    if (raw.requestBody !== undefined) {
      const { value, pointer } = deref(raw.requestBody, `${opPointer}/requestBody`, 'requestBody');
      if (isObject(value)) body = { required: value.required === true, pointer, media: mediaOf(value.content, `${pointer}/content`) };
    }

    const responses = new Map<string, ResponseDecl>();
    const declared = isObject(raw.responses) ? raw.responses : undefined;
    if (declared) {
      for (const [key, entry] of Object.entries(declared)) {
        if (key.startsWith('x-')) continue;
        const { value, pointer } = deref(entry, `${opPointer}/responses/${escapePointer(key)}`, `response ${key}`);
        if (!isObject(value)) continue;
        const requiredHeaders: ResponseDecl['requiredHeaders'] = [];
        if (isObject(value.headers)) {
          for (const [h, decl] of Object.entries(value.headers)) {
            const d = deref(decl, `${pointer}/headers/${escapePointer(h)}`, `response ${key} header ${h}`);
            if (isObject(d.value) && d.value.required === true && h.toLowerCase() !== 'content-type') requiredHeaders.push({ name: h.toLowerCase(), pointer: `${d.pointer}/required` });
          }
        }
        responses.set(key.toUpperCase(), { pointer, media: mediaOf(value.content, `${pointer}/content`), requiredHeaders });
      }
    }
    const declaredList = [...responses.keys()].map((k) => k.toLowerCase() === 'default' ? 'default' : k).join(', ');
    const responseFor = (status: number) => responses.get(String(status)) ?? responses.get(`${Math.floor(status / 100)}XX`) ?? responses.get('DEFAULT');

    return Object.freeze({
      operation: op,
      checkRequest(request: CheckedRequest, pathParams: Readonly<Record<string, string>>): SpecFinding | undefined {
        const errors: SpecError[] = [];
        const q = request.url.indexOf('?');
        const query = new URLSearchParams(q < 0 ? '' : request.url.slice(q + 1));
        for (const p of params.values()) {
          let values: string[];
          if (p.in === 'path') values = pathParams[p.name] === undefined ? [] : [pathParams[p.name]!];
          else if (p.in === 'query' && p.shape === 'object') {
            // An object in the query: `name[key]=` (deepObject) names it; exploded form spreads
            // its keys as parameters of their own, so its presence cannot be told: not checked.
            if (p.style === 'form' && p.explode) continue;
            const prefix = `${p.name}[`;
            values = [...query.keys()].some((k) => k === p.name || (p.style === 'deepObject' && k.startsWith(prefix))) ? [''] : [];
          } else if (p.in === 'query') values = query.getAll(p.name);
          else {
            const h = request.headers[p.name];
            values = h === undefined ? [] : Array.isArray(h) ? h : [h];
          }
          const at = `/${p.in === 'header' ? 'headers' : p.in}/${escapePointer(p.name)}`;
          if (values.length === 0) {
            if (p.required) errors.push({ instancePath: at, message: `must have required ${p.in === 'header' ? 'header' : `${p.in} parameter`} '${p.name}'`, schemaPath: `${p.pointer}/required` });
            continue;
          }
          if (!p.validate) continue;
          let value: unknown = values[0];
          if (p.shape === 'array') value = p.in === 'query' && p.explode ? values : values.join(',').split(',').map((x) => x.trim());
          const v = p.validate;
          if (!v({ value })) errors.push(...mapErrors(v, '/value', at));
        }
        if (body) {
          const length = Number(request.headers['content-length'] ?? 0);
          const present = request.body !== undefined ? request.body.length > 0 : length > 0 || request.headers['transfer-encoding'] !== undefined;
          if (!present) {
            if (body.required) errors.push({ instancePath: '/body', message: 'request body is required', schemaPath: `${body.pointer}/required` });
          } else if (body.media.length > 0) {
            errors.push(...checkBody(body.media, `${body.pointer}/content`, request.headers, request.body));
          }
        }
        return finding('request', errors);
      },
      checkResponse(method: string, response: CheckedResponse): SpecFinding | undefined {
        if (!declared) return undefined; // nothing declared, nothing to hold the response to
        const decl = responseFor(response.status);
        if (!decl) {
          return finding('status', [{ instancePath: '/status', message: `status ${response.status} is not declared (declared: ${declaredList || 'none'})`, schemaPath: `${opPointer}/responses` }]);
        }
        if (response.body === undefined) return undefined; // status only: nothing else was captured
        const headers = response.headers ?? {};
        const errors: SpecError[] = [];
        for (const h of decl.requiredHeaders) {
          if (headers[h.name] === undefined) errors.push({ instancePath: `/headers/${escapePointer(h.name)}`, message: `must have required header '${h.name}'`, schemaPath: h.pointer });
        }
        if (method !== 'HEAD' && !NO_BODY_STATUS.has(response.status) && decl.media.length > 0) {
          errors.push(...checkBody(decl.media, `${decl.pointer}/content`, headers, response.body));
        }
        return finding('schema', errors);
      },
    });
  }

  /** Media type, then (JSON only) the body against its schema; `body` undefined: type only. */
  function checkBody(media: readonly Media[], contentPointer: string, headers: Record<string, string | string[] | undefined>, body: Buffer | undefined): SpecError[] {
    const type = mediaType(headers['content-type']);
    const declaredTypes = media.map((m) => m.key).join(', ');
    let decoded: Buffer | undefined;
    if (body !== undefined) {
      try {
        decoded = decodeBody(body, headers['content-encoding']);
      } catch (err) {
        return [{ instancePath: '/body', message: `cannot be decoded (${err instanceof Error ? err.message : String(err)})`, schemaPath: contentPointer }];
      }
    }
    if (decoded !== undefined && decoded.length === 0 && type === undefined) {
      // No body at all where content is declared: a finding only when a schema says what it should be.
      return media.some((m) => m.validate) ? [{ instancePath: '/body', message: `is empty (declared: ${declaredTypes})`, schemaPath: contentPointer }] : [];
    }
    const m =
      (type && media.find((x) => x.type === type)) ||
      (type && media.find((x) => x.type === `${type.split('/')[0]}/*`)) ||
      media.find((x) => x.type === '*/*');
    if (!m) {
      const message = type === undefined ? `is missing (declared: ${declaredTypes})` : `${type} is not declared (declared: ${declaredTypes})`;
      return [{ instancePath: '/headers/content-type', message, schemaPath: contentPointer }];
    }
    if (!m.validate || decoded === undefined || type === undefined || !JSON_MEDIA.test(type)) return [];
    let data: unknown;
    try {
      data = JSON.parse(decoded.toString('utf8')) as unknown;
    } catch {
      return [{ instancePath: '/body', message: `is not valid JSON (declared: ${m.key})`, schemaPath: m.pointer }];
    }
    return m.validate(data) ? [] : mapErrors(m.validate, '', '/body');
  }

  /** ajv's errors as SpecErrors: paths re-rooted, schema paths into the file, no data. */
  function mapErrors(v: ValidateFunction, strip: string, prefix: string): SpecError[] {
    const out = (v.errors ?? []).map((e: ErrorObject) => {
      const rest = e.instancePath.startsWith(strip) ? e.instancePath.slice(strip.length) : e.instancePath;
      const from = typeof e.parentSchema === 'object' && e.parentSchema !== null ? where.get(e.parentSchema) : undefined;
      const params = e.params as { additionalProperty?: string; unevaluatedProperty?: string };
      const extra = params.additionalProperty ?? params.unevaluatedProperty;
      return {
        instancePath: prefix + rest,
        message: `${e.message ?? e.keyword}${extra !== undefined ? ` ('${extra}')` : ''}`,
        schemaPath: from ? `${from}/${e.keyword}` : e.schemaPath.replace(/^[^#]*/, ''),
      };
    });
    v.errors = null; // the errors hold the traffic's values (verbose); drop them now
    return out;
  }

  function finding(kind: SpecViolationKind, errors: SpecError[]): SpecFinding | undefined {
    if (errors.length === 0) return undefined;
    return { kind, errors: errors.slice(0, maxErrors), dropped: Math.max(0, errors.length - maxErrors) };
  }

  // Template parameter positions per operation, to read path parameters from a concrete path.
  const pathNames = new Map<SpecOperation, (string | undefined)[]>();
  for (const op of checks.keys()) {
    pathNames.set(op, op.path.split('/').filter(Boolean).map((s) => /^\{([^}]*)\}$/.exec(s)?.[1]));
  }

  return Object.freeze({
    operations: checks.size,
    warnings: Object.freeze([...new Set(warnings)]),
    covers(methods: readonly string[], routePath: string): boolean {
      return catalog.operationsFor(methods, routePath).some((o) => checks.has(o));
    },
    match(method: string, url: string) {
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const op = catalog.operationMatching(method, path);
      const check = op && checks.get(op);
      if (!op || !check) return undefined;
      const names = pathNames.get(op)!;
      const segs = path.split('/').filter(Boolean);
      const pathParams: Record<string, string> = {};
      names.forEach((n, i) => {
        if (n === undefined || segs[i] === undefined) return;
        try {
          pathParams[n] = decodeURIComponent(segs[i]!);
        } catch {
          pathParams[n] = segs[i]!;
        }
      });
      return { check, pathParams };
    },
  });
}
