/**
 * Code Laravel runs for every request, whatever route it hits: global middleware (the HTTP
 * kernel's `$middleware` stack, Laravel 11's `->withMiddleware(fn ($m) => $m->append(...))`,
 * Lumen's `$app->middleware([...])`) and the application's exception handler (a class extending
 * `Illuminate\Foundation\Exceptions\Handler`, Laravel 11's `->withExceptions(...)` closure).
 * They become handler facts marked `global`: the link step adds the query, header and cookie
 * parameters they read (and the helpers they call read) to every operation. That is how a
 * `$request->expectsJson()` in the exception handler's `render()` — JSON errors instead of HTML
 * for requests sending `X-Requested-With: XMLHttpRequest` — reaches each operation's parameters.
 */
import type { HandlerFact, ServiceFacts } from '../service/facts.js';
import { evidenceOf, type SyntaxNode } from '../service/tree-sitter.js';
import { analyzeFunction } from './handlers.js';
import type { RuleBook } from './rules.js';
import { arrayEntries, chainOf, classNameOf, stringValue, type Names } from './syntax.js';

const EXCEPTION_HANDLER = /^Illuminate\\Foundation\\Exceptions\\Handler$/;
const HTTP_KERNEL = /^Illuminate\\Foundation\\Http\\Kernel$/;

/** The class is the application's exception handler (its parent, qualified). */
export function isExceptionHandler(parentQualified: string | undefined): boolean {
  return parentQualified !== undefined && EXCEPTION_HANDLER.test(parentQualified);
}

/** The class is the HTTP kernel, whose `$middleware` is the global stack. */
export function isHttpKernel(parentQualified: string | undefined): boolean {
  return parentQualified !== undefined && HTTP_KERNEL.test(parentQualified);
}

/**
 * A method of the exception handler that runs while a request is answered: one given the request
 * (`render($request, $e)`, `unauthenticated($request, ...)`, `shouldReturnJson($request, $e)`),
 * or `register()`, whose `renderable(fn ($e, $request) => ...)` callbacks render errors. Not
 * `report()`, which logs.
 */
export function handlesRequest(method: SyntaxNode): boolean {
  if (method.childForFieldName('name')?.text === 'register') return true;
  return (method.childForFieldName('parameters')?.namedChildren ?? []).some((p) => {
    const type = p.childForFieldName('type')?.text.replace(/^\?/, '').split('\\').pop() ?? '';
    return p.childForFieldName('name')?.text === '$request' || /^(Request|ServerRequestInterface)$/.test(type);
  });
}

/** `X::class` and `'App\\Http\\Middleware\\X'` entries of a middleware list as `X.handle` calls. */
export function middlewareClassCalls(node: SyntaxNode | undefined): string[] {
  const entries = arrayEntries(node) ?? (node ? [{ value: node }] : []);
  const out: string[] = [];
  for (const e of entries) {
    const cls = classNameOf(e.value) ?? stringValue(e.value);
    if (cls && /^\\?[A-Z][\w\\]*$/.test(cls)) out.push(`${cls.split('\\').pop()}.handle`);
  }
  return out;
}

export interface BootstrapInput {
  path: string;
  root: SyntaxNode;
  names: Names;
  book: RuleBook;
  facts: ServiceFacts;
}

/**
 * Laravel 11's `Application::configure()->withMiddleware(...)->withExceptions(...)` and Lumen's
 * `$app->middleware([...])`, anywhere in the file: the closures and lists become global handlers.
 */
export function extractBootstrapGlobals(input: BootstrapInput): void {
  const { path, root, facts } = input;
  const add = (h: HandlerFact): void => {
    (facts.handlers ??= []).push(h);
  };
  const visit = (n: SyntaxNode): void => {
    for (const c of n.namedChildren) {
      // A whole chain once, from its outermost call (`...->withExceptions(...)->create()`).
      const inner = c.parent?.type === 'member_call_expression' && c.parent.childForFieldName('object')?.id === c.id;
      if (c.type === 'member_call_expression' && !inner) {
        const chain = chainOf(c);
        for (const call of chain?.calls ?? []) {
          const arg = call.args[0]?.value;
          if ((call.name === 'withExceptions' || call.name === 'withMiddleware') && arg && (arg.type === 'anonymous_function' || arg.type === 'arrow_function')) {
            const scope = `${path} ${call.name}`;
            const code = analyzeFunction(arg, { path, names: input.names, book: input.book, scope });
            // `$middleware->append(X::class)`, `->prepend([...])`, `->use([...])`: the global stack.
            const stack = call.name === 'withMiddleware' ? globalStackCalls(arg) : [];
            add({ name: scope, params: code.params, responses: [], ruleIds: [], calls: [...new Set([...code.calls, ...stack])], global: true, evidence: evidenceOf(path, call.node) });
          }
        }
        // Lumen: `$app->middleware([...])` registers global middleware.
        if (chain?.rootKind === 'variable' && chain.root === 'app' && chain.calls.length === 1 && chain.calls[0]!.name === 'middleware') {
          const calls = middlewareClassCalls(chain.calls[0]!.args[0]?.value);
          if (calls.length > 0) add({ name: `${path} middleware`, params: [], responses: [], ruleIds: [], calls, global: true, evidence: evidenceOf(path, c) });
        }
      }
      if (c.type !== 'class_declaration' && c.type !== 'function_definition') visit(c);
    }
  };
  visit(root);
}

/** Middleware classes a `withMiddleware` closure puts on the global stack. */
function globalStackCalls(fn: SyntaxNode): string[] {
  const out: string[] = [];
  for (const call of fn.descendantsOfType('member_call_expression')) {
    const chain = chainOf(call);
    const last = chain?.calls[chain.calls.length - 1];
    if (!chain || chain.rootKind !== 'variable' || chain.calls.length !== 1 || !last) continue;
    if (last.name === 'append' || last.name === 'prepend' || last.name === 'use') out.push(...middlewareClassCalls(last.args[0]?.value));
  }
  return out;
}
