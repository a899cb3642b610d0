/**
 * The C# frontend (issue #6): ASP.NET Core controllers and minimal APIs, and classic ASP.NET
 * Web API 2 controllers with attribute routing, read with tree-sitter-c-sharp through the
 * shared service frame (`analyzers/service/`). Per file it extracts routers and routes
 * (`controllers.ts`, `minimal-apis.ts`), DTO types with DataAnnotations (`types.ts`,
 * `annotations.ts`), FluentValidation rules (`fluent-validation.ts`) and the business rules in
 * code (`rules.ts`); the frame's link step joins files (base controllers, route groups mapped
 * in another file, DTOs declared elsewhere, constants used as routes).
 *
 * `prepare` reads two application-wide switches that change every file's schemas: the nullable
 * context of the project files (`<Nullable>enable</Nullable>`: non-nullable reference types are
 * required), a globally registered string enum converter (enums are names, not numbers), and
 * Swashbuckle's `DescribeAllParametersInCamelCase()` (parameters bound from properties are named
 * in camelCase).
 */
import type { TreeFile } from '../model.js';
import { emptyFacts } from '../service/facts.js';
import { createServiceFrontend, type ExtractInput, type Extracted, type ServiceFrontend } from '../service/frontend.js';
import type { SyntaxNode } from '../service/tree-sitter.js';
import { extractControllers } from './controllers.js';
import { extractExceptionFacts, resolveThrownExceptions } from './exceptions.js';
import { extractFluentValidation } from './fluent-validation.js';
import { extractHandlerCandidates, linkWithHandlers, type CsFacts } from './handler-refs.js';
import { extractMinimalApis } from './minimal-apis.js';
import { extractAttributeFacts, resolveRouteAttributes } from './route-attributes.js';
import { createRuleSink, extractCodeRules } from './rules.js';
import { buildFile, type CsharpOptions } from './scope.js';
import { extractTypes } from './types.js';

/** Files where a global JSON enum converter is usually registered. */
const STARTUP_FILE = /(^|\/)(Program|Startup|[^/]*(Extensions?|Configuration|Config|Setup|Json|Serializ)[^/]*)\.cs$/i;
const PROJECT_FILE = /(^|\/)([^/]+\.csproj|Directory\.Build\.props)$/i;
const GLOBAL_STRING_ENUMS = /Converters\s*\.\s*Add\s*\(\s*new\s+(?:System\.Text\.Json\.Serialization\.)?(?:Json)?StringEnumConverter\b/;

export const CSHARP_DEFAULT_OPTIONS: CsharpOptions = Object.freeze({ nullable: false, stringEnums: false });

/** Application-wide switches from project files and startup code. */
export function prepareCsharp(tree: readonly TreeFile[]): { csharp: CsharpOptions } {
  let nullable = false;
  let stringEnums = false;
  let camelCaseParameters = false;
  for (const f of tree) {
    if (!nullable && PROJECT_FILE.test(f.path)) nullable = /<Nullable>\s*enable\s*<\/Nullable>/i.test(f.read() ?? '');
    else if ((!stringEnums || !camelCaseParameters) && STARTUP_FILE.test(f.path)) {
      const text = f.read() ?? '';
      stringEnums ||= GLOBAL_STRING_ENUMS.test(text);
      camelCaseParameters ||= /\.DescribeAllParametersInCamelCase\s*\(/.test(text);
    }
  }
  return { csharp: { nullable, stringEnums, ...(camelCaseParameters ? { camelCaseParameters } : {}) } };
}

function acceptsCsharp(path: string): boolean {
  const lower = path.toLowerCase();
  if (!lower.endsWith('.cs')) return false;
  // Generated code: designer files, source-generator output, build output.
  return !/\.(g|g\.i|designer|generated)\.cs$/.test(lower) && !/(^|\/)(obj|bin)\//.test(lower);
}

/** One file's facts, rules and diagnostics. */
export function extractCsharp(input: ExtractInput): Extracted {
  const options = (input.context as { csharp?: CsharpOptions }).csharp ?? CSHARP_DEFAULT_OPTIONS;
  const file = buildFile(input.path, input.text, input.tree, options);
  const diagnostics: Extracted['diagnostics'] = [];
  const sink = createRuleSink(input.path);
  const facts: CsFacts = emptyFacts(moduleNames(file.namespaces, file.types.filter((t) => !t.outer).map((t) => t.name)));

  facts.types = extractTypes(file, sink);
  const controllers = extractControllers(file, sink, diagnostics);
  const minimal = extractMinimalApis(file, sink, diagnostics);
  facts.routers = [...controllers.routers, ...minimal.routers];
  facts.routes = [...controllers.routes, ...minimal.routes];
  facts.mounts = minimal.mounts;
  const handlers = [...controllers.handlers, ...minimal.handlers];
  extractFluentValidation(file, sink, facts.types);
  const exceptions = extractExceptionFacts(file);
  if (exceptions) facts.exceptions = exceptions;
  const attributes = extractAttributeFacts(file);
  if (Object.keys(attributes).length) facts.attributes = attributes;
  const candidates = extractHandlerCandidates(file, sink, new Set(handlers.map((h) => h.id)));
  if (Object.keys(candidates.facts).length) facts.csHandlers = candidates.facts;

  // Rules in code; those inside a handler govern its route.
  const within = (outer: SyntaxNode, node: SyntaxNode): boolean => outer.startIndex <= node.startIndex && node.endIndex <= outer.endIndex;
  const handlerNodes = [...handlers, ...candidates.nodes.values()];
  const codeRules = extractCodeRules(file, sink, (node) => handlerNodes.some((h) => within(h, node)));
  facts.routes.forEach((route, i) => {
    for (const { rule, node } of codeRules) if (within(handlers[i]!, node) && !route.ruleIds.includes(rule.id)) route.ruleIds.push(rule.id);
  });
  for (const [name, node] of candidates.nodes) {
    for (const { rule, node: n } of codeRules) if (within(node, n)) candidates.facts[name]!.ruleIds.push(rule.id);
  }
  facts.constants = file.constants;
  return { facts, rules: sink.rules, diagnostics };
}

/** Namespace-qualified names of the file's top-level types, and its namespaces, for `SymbolRef.module`. */
function moduleNames(namespaces: string[], types: string[]): string[] {
  const out = new Set<string>(namespaces);
  for (const t of types) {
    out.add(t);
    for (const ns of namespaces) out.add(`${ns}.${t}`);
  }
  return [...out];
}

const frame = createServiceFrontend({
  language: 'csharp',
  version: '2',
  frameworks: 'ASP.NET Core controllers, minimal APIs, or ASP.NET Web API 2 attribute routes',
  accepts: (path) => acceptsCsharp(path),
  grammarFor: () => 'c-sharp',
  prepare: (tree) => prepareCsharp(tree),
  extract: (input) => extractCsharp(input),
});

/** The C# frontend: the frame's, with application route attributes and minimal-API handlers resolved across files around its link step. */
export const csharpFrontend: ServiceFrontend = {
  ...frame,
  link: (files, context) => linkWithHandlers(resolveRouteAttributes(files), context, (merged) => frame.link(resolveThrownExceptions(merged), context)),
};
