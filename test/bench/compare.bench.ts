/**
 * Micro-benchmark of the gateway's structural comparator on two ~100 KB JSON bodies, against a
 * baseline measured in the same run: `JSON.parse` of both bodies plus a naive key-order-insensitive
 * deep-equal (what a comparator that ignored exact numbers and rules would cost at least).
 * Prints ops/s and the ratio to the baseline; no assertions (CONVENTIONS.md: benchmarks are
 * never timed assertions). Run: `npx tsc -p tsconfig.json && node dist/test/bench/compare.bench.js [iterations]`.
 */
import { compileRules, structuralCompare, type CapturedResponse, type CompareRules } from '../../gateway/compare.js';

const iterations = Number(process.argv[2] ?? 200);

/** A deterministic pseudo-random source, so every run compares the same documents. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Item {
  id: number;
  sku: string;
  name: string;
  price: number;
  qty: number;
  tags: string[];
  updatedAt: string;
  dims: { w: number; h: number; unit: string };
  active: boolean;
  note: string | null;
}

function items(n: number): Item[] {
  const rnd = lcg(42);
  return Array.from({ length: n }, (_, i) => ({
    id: 100000 + i,
    sku: `SKU-${(rnd() * 1e6) | 0}`,
    name: `Item number ${i} of the catalogue`,
    price: Math.round(rnd() * 100000) / 100,
    qty: (rnd() * 50) | 0,
    tags: ['alpha', 'beta', 'gamma'].slice(0, 1 + ((rnd() * 3) | 0)),
    updatedAt: new Date(Date.UTC(2024, 0, 1) + ((rnd() * 1e9) | 0)).toISOString(),
    dims: { w: (rnd() * 100) | 0, h: (rnd() * 100) | 0, unit: 'cm' },
    active: rnd() > 0.2,
    note: rnd() > 0.7 ? 'handle with care' : null,
  }));
}

/** Same document, the way another serialiser writes it: keys reversed, integers as `n.0`. */
function reserialise(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(reserialise).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).reverse();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + reserialise((v as Record<string, unknown>)[k])).join(',') + '}';
  }
  if (typeof v === 'number' && Number.isInteger(v)) return `${v}.0`;
  return JSON.stringify(v);
}

/** The baseline: structural equality with key order ignored, numbers compared as doubles. */
function naiveDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!naiveDeepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!naiveDeepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** At least `iterations` runs and at least half a second, after a warm-up, so fast cases get JIT-compiled too. */
function opsPerSecond(fn: () => unknown): number {
  const warmUntil = performance.now() + 200;
  while (performance.now() < warmUntil) fn();
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  while (runs < iterations || elapsed < 500) {
    for (let i = 0; i < 10; i++) fn();
    runs += 10;
    elapsed = performance.now() - start;
  }
  return runs / (elapsed / 1000);
}

const res = (body: string): CapturedResponse => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) });

const doc = { total: 450, page: 1, items: items(450) };
const legacyText = JSON.stringify(doc);
const modernText = reserialise(doc);
// Snowflake-size ids force the lossless parser (a double could round them).
const bigDoc = { ...doc, items: doc.items.map((it) => ({ ...it, id: `@${1234567890123456000 + it.id}` })) };
const bigLegacy = JSON.stringify(bigDoc).replace(/"@(\d+)"/g, '$1');
const bigModern = reserialise(bigDoc).replace(/"@(\d+)"/g, '$1');

const rules: CompareRules = compileRules({
  ignore: ['$..note'],
  unordered: ['$.items[*].tags'],
  tolerance: { '$.items[*].price': 0.01 },
  dates: ['$..updatedAt'],
});

const cases: [string, CapturedResponse, CapturedResponse, CompareRules][] = [
  ['equivalent bodies, no rules', res(legacyText), res(modernText), {}],
  ['equivalent bodies, with rules', res(legacyText), res(modernText), rules],
  ['big-integer ids (lossless parser)', res(bigLegacy), res(bigModern), {}],
  ['byte-identical bodies (fast path)', res(legacyText), res(legacyText), {}],
];

const baseline = opsPerSecond(() => naiveDeepEqual(JSON.parse(legacyText), JSON.parse(modernText)));
console.log(`compare.bench: bodies ${(legacyText.length / 1024).toFixed(0)} KB / ${(modernText.length / 1024).toFixed(0)} KB, ${iterations} iterations, node ${process.version}`);
console.log(`baseline JSON.parse ×2 + naive deep-equal: ${baseline.toFixed(0)} ops/s`);
for (const [name, a, b, r] of cases) {
  const result = structuralCompare(a, b, r);
  if (!result.match) console.log(`  (unexpected mismatch in "${name}": ${JSON.stringify(result.differences.slice(0, 3))})`);
  const ops = opsPerSecond(() => structuralCompare(a, b, r));
  console.log(`${name.padEnd(36)} ${ops.toFixed(0).padStart(7)} ops/s   ratio to baseline ${(ops / baseline).toFixed(2)}`);
}
