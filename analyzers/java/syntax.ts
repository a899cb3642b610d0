/**
 * The Java source model the framework extractors share: a file's package, imports and every
 * type declaration (nested ones flattened, each knowing its outer class), annotations with their
 * arguments, and the evaluation of compile-time string constants (`"/api" + Paths.USERS`) into
 * path text, where a constant declared in another file stays a `{{const:Class.NAME}}`
 * placeholder for the link step. Pure reads of the tree-sitter tree; nothing here knows Spring,
 * JAX-RS or servlets.
 */
import { childrenOfType, type SyntaxNode } from '../service/tree-sitter.js';

export interface Annotation {
  /** Simple name: `GetMapping` for `@org.springframework.web.bind.annotation.GetMapping`. */
  name: string;
  node: SyntaxNode;
  /** The single unnamed argument, or `value = ...`. */
  value?: SyntaxNode;
  /** Named arguments (`path = "/x"`), `value` included when written by name. */
  args: Map<string, SyntaxNode>;
}

export type DeclarationKind = 'class' | 'interface' | 'record' | 'enum';

export interface ClassInfo {
  node: SyntaxNode;
  kind: DeclarationKind;
  /** Simple name. */
  name: string;
  /** `Outer.Inner` for nested types, else the simple name: unique in the file, used as router id. */
  localName: string;
  /** Package-qualified name (`com.acme.Outer.Inner`). */
  qualified: string;
  outer?: ClassInfo;
  annotations: Annotation[];
  modifiers: Set<string>;
  /** Simple names (type arguments dropped) of the superclass and implemented/extended interfaces. */
  superclass?: string;
  interfaces: string[];
  typeParams: string[];
  body?: SyntaxNode;
  /** Constant initializers (static final fields, interface fields) by name. */
  constants: Map<string, SyntaxNode>;
  /** Declared types of the instance and static fields, by name (for local type inference). */
  fieldTypes: Map<string, SyntaxNode>;
  methods: SyntaxNode[];
}

export interface JavaFile {
  path: string;
  pkg: string;
  /** Simple name → qualified name, from single-type imports. */
  imports: Map<string, string>;
  /** Imported package prefixes (`javax.ws.rs`). */
  wildcardImports: string[];
  /** Statically imported member → `Class.MEMBER`. */
  staticImports: Map<string, string>;
  classes: ClassInfo[];
  root: SyntaxNode;
}

/** Text of a node with whitespace runs collapsed (for conditions and statements). */
export function compact(node: SyntaxNode | string): string {
  return (typeof node === 'string' ? node : node.text).replace(/\s+/g, ' ').trim();
}

/** Last identifier of a possibly qualified name (`a.b.C` → `C`). */
export function simpleName(text: string): string {
  const t = text.replace(/<[\s\S]*$/, '').trim();
  return t.slice(t.lastIndexOf('.') + 1);
}

export function modifiersOf(node: SyntaxNode): SyntaxNode | undefined {
  return node.namedChildren.find((c) => c.type === 'modifiers');
}

/** Annotations written on a declaration or parameter (in its `modifiers`, or directly for methods). */
export function annotationsOf(node: SyntaxNode): Annotation[] {
  const holders = [node, ...(modifiersOf(node) ? [modifiersOf(node)!] : [])];
  const out: Annotation[] = [];
  for (const h of holders) {
    for (const a of h.namedChildren) {
      if (a.type !== 'annotation' && a.type !== 'marker_annotation') continue;
      out.push(parseAnnotation(a));
    }
  }
  return out;
}

export function parseAnnotation(a: SyntaxNode): Annotation {
  const nameNode = a.childForFieldName('name');
  const ann: Annotation = { name: simpleName(nameNode?.text ?? ''), node: a, args: new Map() };
  const args = a.childForFieldName('arguments');
  if (args) {
    for (const arg of args.namedChildren) {
      if (arg.type === 'element_value_pair') {
        const key = arg.childForFieldName('key')?.text;
        const value = arg.childForFieldName('value');
        if (key && value) ann.args.set(key, value);
      } else if (arg.type !== 'line_comment' && arg.type !== 'block_comment') {
        ann.value ??= arg;
      }
    }
  }
  ann.value ??= ann.args.get('value');
  return ann;
}

export function findAnnotation(list: readonly Annotation[], ...names: string[]): Annotation | undefined {
  return list.find((a) => names.includes(a.name));
}

/** Modifier keywords (`public`, `static`, `final`, `abstract`, `default`) of a declaration. */
export function modifierWords(node: SyntaxNode): Set<string> {
  const m = modifiersOf(node);
  const out = new Set<string>();
  if (m) for (const c of m.children) if (!c.isNamed || c.type === 'static' || c.type === 'final') out.add(c.type);
  return out;
}

/** Elements of an annotation value: the items of `{a, b}`, or the value itself. */
export function elementsOf(node: SyntaxNode | undefined): SyntaxNode[] {
  if (!node) return [];
  if (node.type === 'element_value_array_initializer' || node.type === 'array_initializer') {
    return node.namedChildren.filter((c) => c.type !== 'line_comment' && c.type !== 'block_comment');
  }
  return [node];
}

/** Reads a Java string literal's value (escapes resolved). */
export function stringValue(node: SyntaxNode): string | undefined {
  if (node.type !== 'string_literal') return undefined;
  const raw = node.text;
  if (raw.startsWith('"""')) {
    // Text block: drop the delimiters and the incidental indentation.
    const body = raw.slice(3, -3).replace(/^[^\n]*\n/, '');
    const lines = body.split('\n');
    const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length));
    return lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n');
  }
  return unescape(raw.slice(1, -1));
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e[0] === 'u') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', s: ' ' } as Record<string, string>)[e] ?? e;
  });
}

/** An integer literal's value (`404`, `0x1F`, `10_000L`). */
export function intValue(node: SyntaxNode | undefined): number | undefined {
  if (!node) return undefined;
  if (node.type === 'decimal_integer_literal') return parseInt(node.text.replace(/[_lL]/g, ''), 10);
  if (node.type === 'hex_integer_literal') return parseInt(node.text.replace(/[_lL]/g, '').slice(2), 16);
  if (node.type === 'unary_expression' && node.childForFieldName('operator')?.text === '-') {
    const v = intValue(node.childForFieldName('operand') ?? undefined);
    return v === undefined ? undefined : -v;
  }
  return undefined;
}

/** A numeric literal's value, integers and decimals (`1.5`, `-2`, `"10.5"` as a string too). */
export function numberValue(node: SyntaxNode | undefined): number | undefined {
  if (!node) return undefined;
  const i = intValue(node);
  if (i !== undefined) return i;
  if (node.type === 'decimal_floating_point_literal') return parseFloat(node.text.replace(/[_fFdD]/g, ''));
  if (node.type === 'string_literal') {
    const s = stringValue(node)?.trim();
    return s !== undefined && /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : undefined;
  }
  if (node.type === 'unary_expression' && node.childForFieldName('operator')?.text === '-') {
    const v = numberValue(node.childForFieldName('operand') ?? undefined);
    return v === undefined ? undefined : -v;
  }
  return undefined;
}

export function booleanValue(node: SyntaxNode | undefined): boolean | undefined {
  if (node?.type === 'true') return true;
  if (node?.type === 'false') return false;
  return undefined;
}

/** The last identifier of an enum-like reference (`RequestMethod.GET`, `GET`, `HttpStatus.NOT_FOUND`). */
export function enumName(node: SyntaxNode | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'identifier') return node.text;
  if (node.type === 'field_access') return node.childForFieldName('field')?.text;
  return undefined;
}

// ---------------------------------------------------------------- file structure

export function readJavaFile(path: string, root: SyntaxNode): JavaFile {
  const file: JavaFile = { path, pkg: '', imports: new Map(), wildcardImports: [], staticImports: new Map(), classes: [], root };
  for (const child of root.namedChildren) {
    if (child.type === 'package_declaration') {
      file.pkg = child.namedChildren.find((c) => c.type === 'scoped_identifier' || c.type === 'identifier')?.text ?? '';
    } else if (child.type === 'import_declaration') {
      const isStatic = child.children.some((c) => c.type === 'static');
      const wildcard = child.children.some((c) => c.type === 'asterisk');
      const name = child.namedChildren.find((c) => c.type === 'scoped_identifier' || c.type === 'identifier')?.text ?? '';
      if (!name) continue;
      if (isStatic && !wildcard) {
        const parts = name.split('.');
        file.staticImports.set(parts[parts.length - 1]!, parts.slice(-2).join('.'));
      } else if (wildcard) file.wildcardImports.push(name);
      else file.imports.set(simpleName(name), name);
    }
  }
  const visit = (node: SyntaxNode, outer: ClassInfo | undefined): void => {
    for (const child of node.namedChildren) {
      const kind = declarationKind(child.type);
      if (!kind) continue;
      const info = classInfo(child, kind, outer, file.pkg);
      file.classes.push(info);
      if (info.body) visit(info.body, info);
      // Enum bodies hold their members in enum_body_declarations.
      const decls = info.body?.namedChildren.find((c) => c.type === 'enum_body_declarations');
      if (decls) visit(decls, info);
    }
  };
  visit(root, undefined);
  return file;
}

function declarationKind(type: string): DeclarationKind | undefined {
  switch (type) {
    case 'class_declaration':
      return 'class';
    case 'interface_declaration':
      return 'interface';
    case 'record_declaration':
      return 'record';
    case 'enum_declaration':
      return 'enum';
  }
  return undefined;
}

function classInfo(node: SyntaxNode, kind: DeclarationKind, outer: ClassInfo | undefined, pkg: string): ClassInfo {
  const name = node.childForFieldName('name')?.text ?? '?';
  const localName = outer ? `${outer.localName}.${name}` : name;
  const info: ClassInfo = {
    node,
    kind,
    name,
    localName,
    qualified: pkg ? `${pkg}.${localName}` : localName,
    ...(outer ? { outer } : {}),
    annotations: annotationsOf(node),
    modifiers: modifierWords(node),
    interfaces: [],
    typeParams: [],
    constants: new Map(),
    fieldTypes: new Map(),
    methods: [],
  };
  const body = node.childForFieldName('body');
  if (body) info.body = body;
  const superclass = node.childForFieldName('superclass');
  const superType = superclass?.namedChildren[0];
  if (superType) info.superclass = typeBaseName(superType);
  const lists = [node.childForFieldName('interfaces'), ...childrenOfType(node, 'extends_interfaces')];
  for (const l of lists) {
    const typeList = l?.namedChildren.find((c) => c.type === 'type_list');
    for (const t of typeList?.namedChildren ?? []) info.interfaces.push(typeBaseName(t));
  }
  const tps = node.childForFieldName('type_parameters');
  for (const tp of tps?.namedChildren ?? []) {
    const id = tp.namedChildren.find((c) => c.type === 'type_identifier' || c.type === 'identifier');
    if (id) info.typeParams.push(id.text);
  }
  const members = body ? [...body.namedChildren, ...(body.namedChildren.find((c) => c.type === 'enum_body_declarations')?.namedChildren ?? [])] : [];
  for (const m of members) {
    if (m.type === 'method_declaration') info.methods.push(m);
    else if (m.type === 'field_declaration' || m.type === 'constant_declaration') {
      const words = modifierWords(m);
      const type = m.childForFieldName('type');
      const isConstant = m.type === 'constant_declaration' || kind === 'interface' || (words.has('static') && words.has('final'));
      for (const d of m.namedChildren.filter((c) => c.type === 'variable_declarator')) {
        const n = d.childForFieldName('name')?.text;
        const value = d.childForFieldName('value');
        if (!n) continue;
        if (type) info.fieldTypes.set(n, type);
        if (isConstant && value) info.constants.set(n, value);
      }
    }
  }
  return info;
}

/** Simple base name of a type node (`List<Foo>` → `List`, `a.b.Foo` → `Foo`). */
export function typeBaseName(node: SyntaxNode): string {
  if (node.type === 'generic_type') return typeBaseName(node.namedChildren[0]!);
  if (node.type === 'annotated_type') return typeBaseName(node.namedChildren[node.namedChildren.length - 1]!);
  return simpleName(node.text);
}

/** Every class in the file by simple and local name. */
export function classIndex(file: JavaFile): Map<string, ClassInfo> {
  const m = new Map<string, ClassInfo>();
  for (const c of file.classes) {
    if (!m.has(c.name)) m.set(c.name, c);
    m.set(c.localName, c);
  }
  return m;
}

/** The qualified name a simple type name refers to from this file, when an import says so. */
export function qualifiedRef(file: JavaFile, name: string): string | undefined {
  const explicit = file.imports.get(name);
  if (explicit) return explicit;
  if (file.classes.some((c) => c.name === name)) return file.classes.find((c) => c.name === name)!.qualified;
  return undefined;
}

// ---------------------------------------------------------------- constants

/**
 * Evaluates a string expression (literals, `+`, constants, parentheses) to path text. Constants
 * of this file resolve here; others become `{{const:Class.NAME}}` / `{{const:NAME}}`.
 * Undefined when the expression is not a compile-time string (a method call, a number).
 */
export function evalString(node: SyntaxNode | undefined, scope: ClassInfo | undefined, file: JavaFile, depth = 0): string | undefined {
  if (!node || depth > 20) return undefined;
  switch (node.type) {
    case 'string_literal':
      return stringValue(node);
    case 'parenthesized_expression':
      return evalString(node.namedChildren[0], scope, file, depth + 1);
    case 'binary_expression': {
      if (node.childForFieldName('operator')?.text !== '+') return undefined;
      const l = node.childForFieldName('left');
      const r = node.childForFieldName('right');
      const lv = evalString(l ?? undefined, scope, file, depth + 1) ?? (l ? numberText(l) : undefined);
      const rv = evalString(r ?? undefined, scope, file, depth + 1) ?? (r ? numberText(r) : undefined);
      return lv !== undefined && rv !== undefined ? lv + rv : undefined;
    }
    case 'identifier': {
      for (let c = scope; c; c = c.outer) {
        const v = c.constants.get(node.text);
        if (v) return evalString(v, c, file, depth + 1);
      }
      const imported = file.staticImports.get(node.text);
      if (imported) return resolveQualifiedConstant(imported, file, depth) ?? `{{const:${imported}}}`;
      // Only names written like constants; a local variable or parameter is not a path.
      return /^[A-Z][A-Z0-9_]*$/.test(node.text) ? `{{const:${node.text}}}` : undefined;
    }
    case 'field_access': {
      const text = node.text.replace(/\s+/g, '');
      if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+$/.test(text)) return undefined;
      const parts = text.split('.');
      const key = parts.slice(-2).join('.');
      return resolveQualifiedConstant(key, file, depth) ?? `{{const:${key}}}`;
    }
  }
  return undefined;
}

function numberText(node: SyntaxNode): string | undefined {
  const v = numberValue(node);
  return v === undefined || node.type === 'string_literal' ? undefined : String(v);
}

function resolveQualifiedConstant(key: string, file: JavaFile, depth: number): string | undefined {
  const [cls, name] = key.split('.') as [string, string];
  const owner = file.classes.find((c) => c.name === cls);
  const v = owner?.constants.get(name!);
  return v ? evalString(v, owner, file, depth + 1) : undefined;
}

/** String values of an annotation element (`"/a"`, `{"/a", "/b"}`, `BASE + "/x"`). */
export function evalStrings(node: SyntaxNode | undefined, scope: ClassInfo | undefined, file: JavaFile): string[] {
  const out: string[] = [];
  for (const e of elementsOf(node)) {
    const v = evalString(e, scope, file);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Every constant of the file for the facts: `NAME`, `Class.NAME`, `Outer.Class.NAME`, `pkg.Class.NAME`. */
export function fileConstants(file: JavaFile): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of file.classes) {
    for (const [name, init] of c.constants) {
      const v = evalString(init, c, file);
      if (v === undefined) continue;
      for (const key of [`${c.localName}.${name}`, `${c.name}.${name}`, `${c.qualified}.${name}`, name]) if (!(key in out)) out[key] = v;
    }
  }
  return out;
}

/** The Javadoc comment just before a declaration (its annotations included), as plain text. */
export function javadocOf(node: SyntaxNode): string | undefined {
  const prev = node.previousNamedSibling;
  if (!prev || prev.type !== 'block_comment' || !prev.text.startsWith('/**')) return undefined;
  if (node.startPosition.row - prev.endPosition.row > 1) return undefined;
  const text = prev.text
    .replace(/^\/\*\*|\*\/$/g, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, ''))
    .filter((l) => !/^\s*@/.test(l))
    .join(' ')
    .replace(/<[^>]+>/g, '')
    .replace(/\{@\w+\s+([^}]*)\}/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  return text || undefined;
}

/** First sentence of a text, for summaries. */
export function firstSentence(text: string): string {
  const m = /^(.+?[.!?])(\s|$)/.exec(text);
  return (m ? m[1]! : text).slice(0, 200);
}
