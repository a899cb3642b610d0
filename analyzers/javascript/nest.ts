/**
 * NestJS controllers: `@Controller('users')` classes are routers (the application's
 * `setGlobalPrefix` is added across files), `@Get(':id')`/`@Post()`/… methods are routes,
 * parameter decorators say where each argument comes from (`@Param('id')`, `@Query('page')`,
 * `@Query() filter: FilterDto`, `@Body() dto: CreateUserDto`, `@Headers('x-api-key')`), pipes
 * type them (`ParseIntPipe`), `@HttpCode` sets the success status (POST answers 201 by default),
 * the return type is the response body, and thrown `NotFoundException`s and friends are
 * statuses. DTO classes and their class-validator constraints are `types.ts`.
 */
import type { HttpMethod, ParamFact, ResponseFact, RouterFact } from '../service/facts.js';
import { refName, type Schema } from '../service/schema.js';
import { descendants, evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import type { Evaluator } from './evaluate.js';
import type { JsRouteFact } from './facts.js';
import { requestInputs, type HandlerAnalyzer } from './handlers.js';
import { normalizeTemplate, paramsOfSchema } from './routing.js';
import type { RuleExtraction } from './rules.js';
import type { Scope } from './scope.js';
import { decoratorCall, decoratorsOf, memberPath, parametersOf, parameterType, propertyKey, stringValue, typeOfAnnotation } from './syntax.js';
import { typeSchema } from './types.js';
import type { Validators } from './validators.js';

const VERBS: Record<string, HttpMethod[]> = {
  Get: ['get'],
  Post: ['post'],
  Put: ['put'],
  Patch: ['patch'],
  Delete: ['delete'],
  All: ['get', 'post', 'put', 'patch', 'delete'],
};

export function extractNest(input: { path: string; root: SyntaxNode; scope: Scope; evaluator: Evaluator; validators: Validators; handlers: HandlerAnalyzer; rules: RuleExtraction }): { routers: RouterFact[]; routes: JsRouteFact[] } {
  const { path, root, evaluator, handlers, rules } = input;
  const routers: RouterFact[] = [];
  const routes: JsRouteFact[] = [];
  for (const cls of descendants(root, ['class_declaration', 'abstract_class_declaration'])) {
    const holder = cls.parent?.type === 'export_statement' ? cls.parent : cls;
    const controller = [...decoratorsOf(cls), ...decoratorsOf(holder)].map((d) => decoratorCall(d)).find((d) => d?.name === 'Controller');
    if (!controller) continue;
    const name = cls.childForFieldName('name')?.text ?? 'Controller';
    const prefixes = prefixesOf(controller.args[0], evaluator).map((p) => normalizeTemplate(p).template);
    routers.push({ id: name, prefixes: prefixes.length > 0 ? prefixes : [''], root: true, evidence: evidenceOf(path, holder), label: `${name} (NestJS controller)` });
    for (const m of cls.childForFieldName('body')?.namedChildren ?? []) {
      if (m.type !== 'method_definition') continue;
      const decos = decoratorsOf(m).map((d) => ({ node: d, call: decoratorCall(d) })).filter((d) => d.call);
      const verb = decos.find((d) => VERBS[d.call!.name]);
      if (!verb) continue;
      const methods = VERBS[verb.call!.name]!;
      const paths = prefixesOf(verb.call!.args[0], evaluator);
      const variants = (paths.length > 0 ? paths : ['']).flatMap((p) => normalizeTemplate(p).variants);
      const pathParams = (paths.length > 0 ? paths : ['']).flatMap((p) => normalizeTemplate(p).params);
      const method = propertyKey(m.childForFieldName('name')) ?? 'handler';
      const details = handlers.summarize(m);
      const route: JsRouteFact = {
        router: name,
        methods,
        paths: variants,
        handler: `${name}.${method}`,
        operationName: method,
        params: pathParams.map((p) => ({ name: p.name, in: 'path' as const, required: true, schema: p.schema })),
        responses: [],
        evidence: evidenceOf(path, decos[0]!.node, m),
        ruleIds: [...new Set([...rules.within(m), ...details.ruleIds, ...details.validatorRuleIds])],
        nest: true,
      };
      const reads: string[] = [];
      // Where each method parameter comes from, as a path under the request, for forwarded calls.
      const roots: (string | null)[] = [];
      parametersOf(m).forEach((p, index) => {
        roots[index] = null;
        const pd = decoratorsOf(p).map((d) => decoratorCall(d)).find((d) => d && /^(Param|Query|Body|Headers|Req|Request|Res|Response|Ip|HostParam|UploadedFile|UploadedFiles)$/.test(d.name));
        if (!pd) return;
        const key = stringValue(pd.args[0]);
        const root = { Query: 'query', Body: 'body', Headers: 'headers', Param: 'params', Req: '', Request: '' }[pd.name];
        if (root !== undefined) {
          roots[index] = key !== undefined && root !== '' ? `${root}.${key}` : root;
          // `@Query() query` read field by field (`query.page`), here or in a helper.
          if (key === undefined) for (const r of details.reads[index] ?? []) reads.push(root ? `${root}.${r}` : r);
        }
        const t = parameterType(p);
        const declared = t ? typeSchema(t) : undefined;
        const piped = pd.args.some((a) => /ParseIntPipe/.test(a.text)) ? ({ type: 'integer' } as Schema) : pd.args.some((a) => /ParseFloatPipe/.test(a.text)) ? ({ type: 'number' } as Schema) : pd.args.some((a) => /ParseBoolPipe/.test(a.text)) ? ({ type: 'boolean' } as Schema) : pd.args.some((a) => /ParseUUIDPipe/.test(a.text)) ? ({ type: 'string', format: 'uuid' } as Schema) : undefined;
        const schema = piped ?? (declared && Object.keys(declared).length > 0 ? declared : undefined);
        const optional = p.type === 'optional_parameter';
        switch (pd.name) {
          case 'Param':
            if (key !== undefined) {
              const existing = route.params.find((x) => x.in === 'path' && x.name === key);
              if (existing && schema && !refName(schema)) existing.schema = schema;
            } else if (schema && refName(schema)) route.params.push({ name: refName(schema)!, in: 'path', fromType: refName(schema)! });
            break;
          case 'Query':
            if (key !== undefined) route.params.push({ name: key, in: 'query', ...(optional ? {} : {}), schema: schema ?? { type: 'string' } });
            else if (schema) route.params.push(...paramsOfSchema(schema, 'query'));
            break;
          case 'Headers':
            if (key !== undefined) route.params.push({ name: key.toLowerCase(), in: 'header', schema: schema ?? { type: 'string' } });
            break;
          case 'Body':
            if (key !== undefined) {
              const props = ((route.body?.schema as { properties?: Record<string, Schema> } | undefined)?.properties ?? {}) as Record<string, Schema>;
              props[key] = schema ?? {};
              route.body = { schema: { type: 'object', properties: props } as Schema };
            } else route.body = { schema: schema ?? ({ type: 'object' } as Schema) };
            break;
          case 'UploadedFile':
          case 'UploadedFiles':
            route.body = { schema: { type: 'object', properties: { [key ?? 'file']: { type: 'string', format: 'binary' } } } as Schema, contentType: 'multipart/form-data' };
            break;
          case 'Req':
          case 'Request':
            break;
          default:
            break;
        }
      });
      const forwards = details.forwards
        .map((f) => ({ ...f, args: f.args.map((a) => (a && roots[a.param] !== null && roots[a.param] !== undefined ? { param: 0, path: [roots[a.param], a.path].filter(Boolean).join('.') } : null)) }))
        .filter((f) => f.args.some((a) => a) || f.args.length === 0);
      if (forwards.length > 0) route.forwards = forwards;
      const inputs = requestInputs(reads);
      for (const p of inputs.params) if (!route.params.some((x) => x.in === p.in && x.name === p.name)) route.params.push({ ...p, schema: { type: 'string' } } as ParamFact);
      const httpCode = decos.find((d) => d.call!.name === 'HttpCode');
      const code = httpCode ? handlers.statusOf(httpCode.call!.args[0]) : undefined;
      const success = String(code ?? (methods.length === 1 && methods[0] === 'post' ? 201 : 200));
      const ret = typeOfAnnotation(m.childForFieldName('return_type'));
      const returned = ret && !/^(Promise<\s*)?(void|any|unknown)\s*>?$/.test(ret.text) ? typeSchema(ret) : details.returned.find((s) => Object.keys(s).length > 0);
      const responses: ResponseFact[] = [{ status: success, ...(returned && Object.keys(returned).length > 0 ? { schema: returned } : {}), evidence: evidenceOf(path, m.childForFieldName('name') ?? m) }];
      for (const r of details.responses) if (!responses.some((x) => x.status === r.status)) responses.push(r);
      route.responses = responses;
      const doc = decos.find((d) => d.call!.name === 'ApiOperation');
      const summary = doc ? descendants(doc.node, 'pair').find((p) => propertyKey(p.childForFieldName('key')) === 'summary') : undefined;
      const summaryText = summary ? stringValue(summary.childForFieldName('value')) : undefined;
      if (summaryText) route.summary = summaryText;
      routes.push(route);
    }
  }
  return { routers, routes };
}

function prefixesOf(arg: SyntaxNode | undefined, evaluator: Evaluator): string[] {
  if (!arg) return [];
  const v = evaluator.value(arg);
  const list = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const x of list) {
    if (typeof x === 'string') out.push(x);
    else if (x && typeof x === 'object' && !Array.isArray(x) && 'path' in x) {
      const p = (x as Record<string, unknown>).path;
      if (typeof p === 'string') out.push(p);
    }
  }
  if (out.length === 0) {
    const s = evaluator.string(arg);
    if (s) out.push(s.text);
    else if (memberPath(arg)) out.push(`{{const:${memberPath(arg)!.slice(-2).join('.')}}}`);
  }
  return out;
}
