import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createParsers, descendants, type GrammarName, type SyntaxNode } from '../../../analyzers/service/tree-sitter.js';
import { repoRoot } from '../../helpers/tmp.js';

function files(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p, ext));
    else if (ext.test(name)) out.push(p);
  }
  return out;
}

const GRAMMARS: [GrammarName, string, RegExp][] = [
  ['java', 'java', /\.java$/],
  ['c-sharp', 'csharp', /\.cs$/],
  ['php', 'php', /\.php$/],
  ['python', 'python', /\.py$/],
  ['javascript', 'javascript', /\.(js|mjs|cjs)$/],
  ['typescript', 'javascript', /\.ts$/],
];

test('cached node types equal the native ones on every node of every fixture, in every grammar', async () => {
  const parsers = createParsers();
  let checked = 0;
  for (const [grammar, dir, ext] of GRAMMARS) {
    let root: string;
    try {
      root = join(repoRoot, 'test', 'fixtures', dir);
      statSync(root);
    } catch {
      continue;
    }
    for (const file of files(root, ext)) {
      const tree = await parsers.parse(grammar, readFileSync(file, 'utf8'));
      const stack: SyntaxNode[] = [tree.rootNode];
      while (stack.length > 0) {
        const node = stack.pop()!;
        // The native getter, from the base class, bypassing the cached value.
        let proto = Object.getPrototypeOf(node) as object;
        while (!Object.getOwnPropertyDescriptor(proto, 'type')?.get || Object.getPrototypeOf(proto) !== Object.prototype) {
          const next = Object.getPrototypeOf(proto) as object | null;
          if (!next || next === Object.prototype) break;
          proto = next;
        }
        const native = Object.getOwnPropertyDescriptor(proto, 'type')!.get!.call(node) as string;
        assert.equal(node.type, native, `${file}: node at ${node.startPosition.row + 1}:${node.startPosition.column + 1}`);
        assert.equal(node.type, native, 'second read, from the cache');
        checked++;
        stack.push(...node.children);
      }
    }
  }
  assert.ok(checked > 10_000, `checked ${checked} nodes`);
});

test('descendants finds named nodes of the given types in document order, stopping where asked', async () => {
  const parsers = createParsers();
  const tree = await parsers.parse('python', 'def f():\n    def g():\n        pass\n    return 1\n\ndef h():\n    pass\n');
  assert.deepEqual(descendants(tree.rootNode, 'function_definition').map((n) => n.childForFieldName('name')!.text), ['f', 'g', 'h']);
  assert.deepEqual(descendants(tree.rootNode, 'function_definition', { stopAt: ['function_definition'] }).map((n) => n.childForFieldName('name')!.text), ['f', 'h']);
  assert.deepEqual(descendants(tree.rootNode.child(0)!, ['return_statement', 'pass_statement']).map((n) => n.type), ['pass_statement', 'return_statement']);
});
