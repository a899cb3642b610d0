/**
 * The Python frontend (issue #6): Flask, FastAPI, Django and Django REST framework services read
 * with tree-sitter into the shared service facts (analyzers/service), linked across files into
 * operations with request and response schemas, plus the business rules of handlers, validators
 * and serializers. One file per framework or concept: flask.ts (with Flask-RESTful, flask-restx,
 * webargs), fastapi.ts, django.ts (URLconfs, function views), drf.ts (routers, viewsets, API view
 * bodies, pagination, filters, drf-spectacular), class-views.ts (class-based views of either
 * world), serializers.ts (DRF, marshmallow, restx models), models.ts (pydantic, dataclasses,
 * enums), handler.ts (what a handler body reads), statuses.ts (what it answers), rules.ts,
 * route-paths.ts, bindings.ts (what a variable holds where it is used), modules.ts (module names,
 * imports), objects.ts (router objects), project.ts (the cross-file index `prepare` builds),
 * context.ts, types.ts, syntax.ts. Test files (`tests/`, `test_*.py`, `conftest.py`) are not
 * analyzed: they are not served.
 */
import type { FrontendContext } from '../model.js';
import { createServiceFrontend, type Extracted, type ExtractInput } from '../service/frontend.js';
import { extractViewClasses, type ViewDecorator } from './class-views.js';
import { createContext, type PyContext } from './context.js';
import { extractDjango } from './django.js';
import { decorateApiView, extractDrf, isDrfView } from './drf.js';
import { extractFastApi } from './fastapi.js';
import { decorate as decorateFlaskView, extractFlask, usesFlask } from './flask.js';
import { htmlResponse } from './handler.js';
import { moduleInfo } from './modules.js';
import { extractModels } from './models.js';
import { emptyProjectIndex, scanProject, type ProjectIndex } from './project.js';
import { extractSerializers } from './serializers.js';

/** Bump when the extraction changes: cached results of older versions are redone. */
export const PYTHON_ANALYZER_VERSION = '2';

const TEST_FILE = /(^|\/)(tests?|testing)\/|(^|\/)(test_[^/]*|[^/]*_tests?|conftest)\.py$/;

export function acceptsPython(path: string): boolean {
  return /\.py$/.test(path) && !TEST_FILE.test(path);
}

function projectOf(context: FrontendContext): ProjectIndex {
  const p = (context as FrontendContext & { python?: unknown }).python;
  if (p && typeof p === 'object' && 'classes' in p && 'dependencies' in p) return p as ProjectIndex;
  return emptyProjectIndex();
}

export function extractPython({ path, tree, context }: ExtractInput): Extracted {
  const ctx = createContext(path, tree.rootNode, projectOf(context));
  extractModels(ctx);
  extractSerializers(ctx);
  extractFlask(ctx);
  extractFastApi(ctx);
  extractDrf(ctx);
  extractDjango(ctx);
  extractViewClasses(ctx, (name) => viewDecorator(name, ctx));
  // Class attributes (`Settings.api_prefix`) also answer to their simple name, for
  // `settings.api_prefix` on an instance in another file.
  const constants = Object.fromEntries(ctx.constants);
  for (const [k, v] of ctx.constants) {
    const simple = k.slice(k.lastIndexOf('.') + 1);
    if (simple !== k && !(simple in constants)) constants[simple] = v;
  }
  ctx.facts.constants = constants;
  return { facts: ctx.facts, rules: ctx.rules.rules, diagnostics: ctx.diagnostics };
}

const TEMPLATE_VIEWS = new Set(['TemplateView', 'ListView', 'DetailView', 'FormView', 'CreateView', 'UpdateView', 'DeleteView', 'ArchiveIndexView', 'TemplateResponseMixin']);

/** DRF API views get serializers, pagination and filters; Flask views their extensions' decorators; Django template views an HTML page. */
function viewDecorator(className: string, ctx: PyContext): ViewDecorator | undefined {
  if (isDrfView(className, ctx)) return (route, view, name, cls) => decorateApiView(route, view, name, cls, ctx);
  if (ctx.inherits(className, TEMPLATE_VIEWS)) {
    return (route) => {
      if (route.methods[0] === 'get' && !route.responses.some((r) => /^2/.test(r.status))) route.responses.unshift(htmlResponse(route.evidence));
    };
  }
  if (usesFlask(ctx)) return (route, view, _name, cls) => decorateFlaskView(route, view.fn, ctx, view.method, cls);
  return undefined;
}

export const pythonFrontend = createServiceFrontend({
  language: 'python',
  version: PYTHON_ANALYZER_VERSION,
  frameworks: 'Flask, FastAPI, Django or Django REST framework routes',
  accepts: (path) => acceptsPython(path),
  grammarFor: () => 'python',
  prepare: (tree) => ({ python: scanProject(tree.filter((f) => acceptsPython(f.path)), (p, prefix) => moduleInfo(p, prefix).name) }),
  extract: extractPython,
});
