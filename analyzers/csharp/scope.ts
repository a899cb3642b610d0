/**
 * What one C# file declares, indexed once for every extractor: namespaces, type declarations
 * with their nesting (`Create.Command` for `class Command` inside `class Create`), attributes,
 * base types and members, and string constants (`const string` and `static readonly string`
 * fields, top-level `const` locals) with their values resolved through each other. Also the
 * per-file switches the run's `prepare` found (nullable context, string enums).
 */
import type { SyntaxNode, Tree } from '../service/tree-sitter.js';
import { attributesOf, identifierOf, lastNameNode, modifiersOf, sameNode, stringValue, type Attribute } from './syntax.js';

export type TypeKind = 'class' | 'record' | 'struct' | 'interface' | 'enum';

export interface TypeDecl {
  node: SyntaxNode;
  kind: TypeKind;
  /** Nested name: `Outer.Inner`, or the simple name at top level. */
  name: string;
  simple: string;
  namespace: string;
  outer?: TypeDecl;
  attrs: Attribute[];
  modifiers: Set<string>;
  /** Types in the base list, in order (base class first when there is one). */
  bases: SyntaxNode[];
  typeParams: string[];
  /** Children of the body (`declaration_list`). */
  members: SyntaxNode[];
}

/** Switches found across the tree by `prepare`, handed to every file. */
export interface CsharpOptions {
  /** `<Nullable>enable</Nullable>` in a project file: non-nullable reference types are required. */
  nullable: boolean;
  /** A `JsonStringEnumConverter`/`StringEnumConverter` is registered globally: enums are strings. */
  stringEnums: boolean;
  /**
   * Swashbuckle's `DescribeAllParametersInCamelCase()`: the application documents its parameters
   * in camelCase (ASP.NET binds them case-insensitively), so properties bound as parameters are
   * named as in JSON.
   */
  camelCaseParameters?: boolean;
}

export interface CsFile {
  path: string;
  text: string;
  root: SyntaxNode;
  types: TypeDecl[];
  /** Types by nested name. */
  typeByName: Map<string, TypeDecl>;
  /** Constants by simple, class-qualified and namespace-qualified name. */
  constants: Record<string, string>;
  /** True when non-nullable reference types mean "required" in this file. */
  nullable: boolean;
  stringEnums: boolean;
  camelCaseParameters: boolean;
  namespaces: string[];
  /** The type declaration directly enclosing a node. */
  enclosingType(node: SyntaxNode): TypeDecl | undefined;
  /** Resolves a type name as written inside `from` to a nested name of this file when it names one. */
  resolveTypeName(name: string, from?: TypeDecl): string;
  /** Value of a constant as referred to from `from`, for `stringValue`. */
  constant(name: string, from?: TypeDecl): string | undefined;
}

const TYPE_NODES: Record<string, TypeKind> = {
  class_declaration: 'class',
  record_declaration: 'record',
  record_struct_declaration: 'record',
  struct_declaration: 'struct',
  interface_declaration: 'interface',
  enum_declaration: 'enum',
};

export function buildFile(path: string, text: string, tree: Tree, options: CsharpOptions): CsFile {
  const root = tree.rootNode;
  const types: TypeDecl[] = [];
  const byNode = new Map<number, TypeDecl>();
  const namespaces = new Set<string>();
  // Constant declarations, resolved after the walk (they may refer to each other).
  const rawConstants: { names: string[]; value: SyntaxNode; owner?: TypeDecl }[] = [];

  const visit = (node: SyntaxNode, namespace: string, outer: TypeDecl | undefined): void => {
    let ns = namespace;
    for (const child of node.namedChildren) {
      const type = child.type;
      if (type === 'file_scoped_namespace_declaration') {
        ns = child.childForFieldName('name')?.text.replace(/\s+/g, '') ?? ns;
        namespaces.add(ns);
        // In older grammars the file-scoped namespace holds the declarations that follow it.
        visit(child, ns, outer);
        continue;
      }
      if (type === 'namespace_declaration') {
        const name = child.childForFieldName('name')?.text.replace(/\s+/g, '') ?? '';
        const full = ns ? `${ns}.${name}` : name;
        namespaces.add(full);
        const body = child.childForFieldName('body');
        if (body) visit(body, full, outer);
        continue;
      }
      const kind = TYPE_NODES[type];
      if (kind) {
        const simple = child.childForFieldName('name')?.text ?? '';
        if (!simple) continue;
        const body = child.childForFieldName('body') ?? child.namedChildren.find((c) => c.type === 'declaration_list' || c.type === 'enum_member_declaration_list');
        const baseList = child.namedChildren.find((c) => c.type === 'base_list');
        const decl: TypeDecl = {
          node: child,
          kind,
          name: outer ? `${outer.name}.${simple}` : simple,
          simple,
          namespace: ns,
          ...(outer ? { outer } : {}),
          attrs: attributesOf(child),
          modifiers: modifiersOf(child),
          bases: (baseList?.namedChildren ?? []).filter((c) => c.type !== 'argument_list').map((c) => (c.type === 'primary_constructor_base_type' ? (c.childForFieldName('type') ?? c) : c)),
          typeParams: (child.namedChildren.find((c) => c.type === 'type_parameter_list')?.namedChildren ?? []).map((p) => p.namedChildren.find((x) => x.type === 'identifier')?.text ?? p.text),
          members: flattenPreprocessor(body?.namedChildren ?? []),
        };
        types.push(decl);
        byNode.set(child.id, decl);
        if (kind !== 'enum') {
          for (const m of decl.members) {
            if (m.type === 'field_declaration') collectConstants(m, decl);
          }
          if (body) visit(body, ns, decl);
        }
        continue;
      }
      if (type === 'global_statement') {
        const stmt = child.namedChildren[0];
        if (stmt?.type === 'local_declaration_statement' && modifiersOf(stmt).has('const')) collectConstants(stmt, undefined);
        continue;
      }
      if (type === 'declaration_list' || type === 'preproc_if' || type === 'preproc_else' || type === 'preproc_elif') visit(child, ns, outer);
    }
  };
  const collectConstants = (decl: SyntaxNode, owner: TypeDecl | undefined): void => {
    const mods = modifiersOf(decl);
    if (!mods.has('const') && !(mods.has('static') && mods.has('readonly'))) return;
    const vd = decl.namedChildren.find((c) => c.type === 'variable_declaration');
    for (const v of vd?.namedChildren ?? []) {
      if (v.type !== 'variable_declarator') continue;
      const name = v.childForFieldName('name')?.text;
      const value = v.namedChildren.filter((c) => !sameNode(c, v.childForFieldName('name'))).pop();
      if (!name || !value) continue;
      const names = [name];
      if (owner) {
        names.push(`${owner.name}.${name}`);
        if (owner.namespace) names.push(`${owner.namespace}.${owner.name}.${name}`);
      }
      rawConstants.push({ names, value, owner });
    }
  };
  visit(root, '', undefined);
  // `const string Header = "x";` inside methods and lambdas: by simple name, after the fields.
  for (const stmt of root.descendantsOfType('local_declaration_statement')) {
    if (stmt.parent?.type !== 'global_statement' && modifiersOf(stmt).has('const')) collectConstants(stmt, undefined);
  }

  const typeByName = new Map(types.map((t) => [t.name, t]));
  const constants: Record<string, string> = {};
  const resolving = new Set<string>();
  const lookup = (name: string, from?: TypeDecl): string | undefined => {
    // Inside a class, a simple name means its own (or an enclosing class's) member first.
    const candidates: string[] = [];
    for (let t = from; t; t = t.outer) candidates.push(`${t.name}.${name}`);
    candidates.push(name);
    for (const c of candidates) {
      const raw = rawByName.get(c);
      if (!raw || resolving.has(c)) continue;
      if (constants[c] !== undefined) return constants[c];
      resolving.add(c);
      const v = stringValue(raw.value, (n) => lookup(n, raw.owner));
      resolving.delete(c);
      // A value that still needs another file's constant is left to the link step.
      if (v !== undefined && !v.includes('{{const:')) {
        for (const n of raw.names) constants[n] ??= v;
        return v;
      }
      return undefined;
    }
    return undefined;
  };
  const rawByName = new Map<string, (typeof rawConstants)[number]>();
  for (const r of rawConstants) for (const n of r.names) if (!rawByName.has(n)) rawByName.set(n, r);
  for (const r of rawConstants) lookup(r.names[r.names.length - 1]!);

  const text0 = text.slice(0, 4000);
  const nullableInFile = /^\s*#nullable\s+enable\b/m.test(text0) ? true : /^\s*#nullable\s+disable\b/m.test(text0) ? false : undefined;

  return {
    path,
    text,
    root,
    types,
    typeByName,
    constants,
    nullable: nullableInFile ?? options.nullable,
    stringEnums: options.stringEnums,
    camelCaseParameters: options.camelCaseParameters ?? false,
    namespaces: [...namespaces],
    enclosingType(node) {
      for (let p = node.parent; p; p = p.parent) {
        const d = byNode.get(p.id);
        if (d) return d;
      }
      return undefined;
    },
    resolveTypeName(name, from) {
      for (let t = from; t; t = t.outer) if (typeByName.has(`${t.name}.${name}`)) return `${t.name}.${name}`;
      if (typeByName.has(name)) return name;
      // `Namespace.Type` naming a type of this file.
      if (name.includes('.')) for (const t of types) if (`${t.namespace}.${t.name}` === name) return t.name;
      return name;
    },
    constant: (name, from) => lookup(name, from),
  };
}

/** Members inside `#if`/`#else` blocks count as members: both branches are read. */
function flattenPreprocessor(nodes: readonly SyntaxNode[]): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const n of nodes) {
    if (/^preproc_(if|else|elif|region)$/.test(n.type)) out.push(...flattenPreprocessor(n.namedChildren));
    else if (!/^preproc_/.test(n.type)) out.push(n);
  }
  return out;
}

/** The simple name of a type node (`List` for `System.Collections.Generic.List<int>`). */
export function simpleTypeName(node: SyntaxNode): string {
  return identifierOf(lastNameNode(node));
}
