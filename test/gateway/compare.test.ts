import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import {
  compileRules,
  decodeBody,
  generalizePath,
  matchPath,
  structuralCompare,
  type CapturedResponse,
  type CompareRules,
  type Comparison,
  type Difference,
} from '../../gateway/compare.js';

const JSON_CT = { 'content-type': 'application/json' };

function res(body: string | Buffer, headers: CapturedResponse['headers'] = JSON_CT, status = 200): CapturedResponse {
  return { status, headers, body: typeof body === 'string' ? Buffer.from(body) : body };
}

/** Compares two JSON texts (served as application/json, 200) under `rules`. */
function cmp(legacy: string, modern: string, rules: CompareRules = {}): Comparison {
  return structuralCompare(res(legacy), res(modern), rules);
}

function assertMatch(legacy: string, modern: string, rules: CompareRules = {}): void {
  const r = cmp(legacy, modern, rules);
  assert.deepEqual(r.differences, [], `${legacy} vs ${modern}`);
  assert.equal(r.match, true);
  assert.equal(r.truncated, false);
}

function assertDiffs(legacy: string, modern: string, rules: CompareRules, expected: Difference[]): void {
  const r = cmp(legacy, modern, rules);
  assert.deepEqual(r.differences, expected, `${legacy} vs ${modern}`);
  assert.equal(r.match, expected.length === 0);
}

describe('JSON bodies: structure and numbers', () => {
  test('key order and number formatting are noise', () => {
    assertMatch('{"a":1.0,"b":[1,2]}', '{"b":[1,2],"a":1}');
    assertMatch('{"x":{"p":1,"q":{"r":true,"s":null}}}', '{"x":{"q":{"s":null,"r":true},"p":1}}');
  });

  test('numbers are equal by exact decimal value, whatever their spelling', () => {
    for (const [a, b] of [
      ['1', '1e0'],
      ['1', '1.000'],
      ['1', '10e-1'],
      ['100', '1e2'],
      ['100', '1E+2'],
      ['0', '-0'],
      ['0.5', '5e-1'],
      ['-12.50', '-1.25e1'],
      ['12345678901234567890', '1.234567890123456789e19'],
      ['1e400', '10e399'],
    ]) {
      assertMatch(`[${a}]`, `[${b}]`);
    }
  });

  test('integers beyond 2^53 are compared exactly and reported as strings', () => {
    assertDiffs('{"id":9007199254740993}', '{"id":9007199254740992}', {}, [
      // 2^53 itself is exact as a double, so it stays a number; 2^53 + 1 is not.
      { path: '$.id', kind: 'value', legacy: '9007199254740993', modern: 9007199254740992 },
    ]);
    assertDiffs('[123456789012345678901234567890]', '[123456789012345678901234567891]', {}, [
      { path: '$[0]', kind: 'value', legacy: '123456789012345678901234567890', modern: '123456789012345678901234567891' },
    ]);
    assertMatch('{"id":9007199254740993}', '{"id":9007199254740993.0}');
  });

  test('decimals that a double would round are told apart', () => {
    assertDiffs('[0.1]', '[0.10000000000000001]', {}, [{ path: '$[0]', kind: 'value', legacy: 0.1, modern: '0.10000000000000001' }]);
    assertDiffs('[0.3]', '[0.30000000000000004]', {}, [{ path: '$[0]', kind: 'value', legacy: 0.3, modern: 0.30000000000000004 }]);
    assertDiffs('[1e-400]', '[0]', {}, [{ path: '$[0]', kind: 'value', legacy: '1e-400', modern: 0 }]);
    assertDiffs('[1e400]', '[2e400]', {}, [{ path: '$[0]', kind: 'value', legacy: '1e400', modern: '2e400' }]);
  });

  test('every kind of JSON difference, at concrete paths', () => {
    assertDiffs(
      '{"a":1,"b":"x","c":true,"d":null,"e":{"f":1},"gone":1,"a b":1,"it\'s":1}',
      '{"a":"1","b":"y","c":false,"d":0,"e":[1],"new":2,"a b":2,"it\'s":2}',
      {},
      [
        { path: '$.a', kind: 'type', legacy: 1, modern: '1' },
        { path: '$.b', kind: 'value', legacy: 'x', modern: 'y' },
        { path: '$.c', kind: 'value', legacy: true, modern: false },
        { path: '$.d', kind: 'type', legacy: null, modern: 0 },
        { path: '$.e', kind: 'type', legacy: { f: 1 }, modern: [1] },
        { path: '$.gone', kind: 'missing', legacy: 1 },
        { path: "$['a b']", kind: 'value', legacy: 1, modern: 2 },
        { path: "$['it\\'s']", kind: 'value', legacy: 1, modern: 2 },
        { path: '$.new', kind: 'extra', modern: 2 },
      ],
    );
  });

  test('duplicate keys: the last one wins, as for a JSON.parse client', () => {
    assertMatch('{"a":1,"a":2}', '{"a":2}');
    assertMatch('{"id":9007199254740993,"id":1}', '{"id":1}');
  });

  test('a "__proto__" key is an ordinary key', () => {
    assertDiffs('{"__proto__":{"x":1}}', '{"__proto__":{"x":2}}', {}, [{ path: '$.__proto__.x', kind: 'value', legacy: 1, modern: 2 }]);
    assertDiffs('{"__proto__":1}', '{}', {}, [{ path: '$.__proto__', kind: 'missing', legacy: 1 }]);
  });

  test('reported values are JSON-safe and cut past 200 characters', () => {
    const long = 'x'.repeat(500);
    const r = cmp(JSON.stringify({ s: long, o: { big: Array.from({ length: 100 }, (_, i) => i) } }), JSON.stringify({ s: 'y', o: 1 }));
    const [s, o] = r.differences;
    assert.equal(s?.legacy, 'x'.repeat(200) + '…');
    assert.equal(typeof o?.legacy, 'string');
    assert.ok((o?.legacy as string).startsWith('{"big":[0,1,2,'));
    assert.equal((o?.legacy as string).length, 201);
    assert.doesNotThrow(() => JSON.stringify(r));
    const nested = cmp('{"o":{"n":12345678901234567890}}', '{"o":1}');
    assert.deepEqual(nested.differences, [{ path: '$.o', kind: 'type', legacy: { n: '12345678901234567890' }, modern: 1 }]);
  });
});

describe('arrays', () => {
  test('the same elements in another order are one `order` difference', () => {
    assertDiffs('[1,2,3,4]', '[4,2,3,1]', {}, [{ path: '$', kind: 'order', legacy: [1, 2, 3, 4], modern: [4, 2, 3, 1] }]);
    assertDiffs('{"l":[{"id":1},{"id":2}]}', '{"l":[{"id":2},{"id":1}]}', {}, [
      { path: '$.l', kind: 'order', legacy: [{ id: 1 }, { id: 2 }], modern: [{ id: 2 }, { id: 1 }] },
    ]);
  });

  test('elements changed in place are reported where they changed', () => {
    assertDiffs('[{"id":1,"v":1},{"id":2,"v":1}]', '[{"id":1,"v":2},{"id":2,"v":3}]', {}, [
      { path: '$[0].v', kind: 'value', legacy: 1, modern: 2 },
      { path: '$[1].v', kind: 'value', legacy: 1, modern: 3 },
    ]);
  });

  test('length mismatch: `size`, then just the inserted or removed run', () => {
    assertDiffs('[1,2,3,4]', '[1,2,9,8,3,4]', {}, [
      { path: '$', kind: 'size', legacy: 4, modern: 6 },
      { path: '$[2]', kind: 'extra', modern: 9 },
      { path: '$[3]', kind: 'extra', modern: 8 },
    ]);
    assertDiffs('[1,2,3,4]', '[2,3,4]', {}, [
      { path: '$', kind: 'size', legacy: 4, modern: 3 },
      { path: '$[0]', kind: 'missing', legacy: 1 },
    ]);
  });

  test('length mismatch without a single run: positions compared, then the tail', () => {
    assertDiffs('[1,2,3]', '[1,7,8,9]', {}, [
      { path: '$', kind: 'size', legacy: 3, modern: 4 },
      { path: '$[1]', kind: 'value', legacy: 2, modern: 7 },
      { path: '$[2]', kind: 'value', legacy: 3, modern: 8 },
      { path: '$[3]', kind: 'extra', modern: 9 },
    ]);
  });
});

describe('rules', () => {
  test('ignore drops whole subtrees, with wildcards, `..` and bracketed names', () => {
    const legacy = JSON.stringify({ meta: { t: 1 }, items: [{ id: 1, n: 'a', at: 1 }, { id: 2, n: 'b' }], deep: { x: { updatedAt: 1 } }, 'weird key': 1, keep: 1 });
    const modern = JSON.stringify({ meta: { t: 2, u: 3 }, items: [{ id: 9, n: 'a' }, { id: 8, n: 'b', at: 5 }], deep: { x: { updatedAt: 2 } }, 'weird key': 2, keep: 2 });
    assertDiffs(legacy, modern, { ignore: ['$.meta', '$.items[*].id', '$..at', '$..updatedAt', "$['weird key']"] }, [
      { path: '$.keep', kind: 'value', legacy: 1, modern: 2 },
    ]);
    assertDiffs('{"a":[1,2],"b":1}', '{"a":[1,3],"b":1}', { ignore: ['$.a[1]'] }, []);
    assertDiffs('{"a":1}', '{"a":2}', { ignore: ['$'] }, []);
  });

  test('numeric tolerance is absolute and exact in decimal', () => {
    // 1.1 − 1.0 in doubles is 0.10000000000000009: a float comparison would call this a difference.
    assertMatch('{"p":1.0}', '{"p":1.1}', { tolerance: { '$.p': 0.1 } });
    assertDiffs('{"p":1.0}', '{"p":1.11}', { tolerance: { '$.p': 0.1 } }, [{ path: '$.p', kind: 'value', legacy: 1, modern: 1.11 }]);
    assertMatch('[{"p":10},{"p":20}]', '[{"p":10.5},{"p":19.5}]', { tolerance: { '$[*].p': 0.5 } });
    assertMatch('{"n":9007199254740993}', '{"n":9007199254740992}', { tolerance: { '$.n': 1 } });
    assertDiffs('{"p":1,"q":1}', '{"p":1.1,"q":1.1}', { tolerance: { '$.p': 0.1 } }, [{ path: '$.q', kind: 'value', legacy: 1, modern: 1.1 }]);
    // The loosest of several matching tolerances applies.
    assertMatch('{"p":1}', '{"p":1.4}', { tolerance: { '$.p': 0.1, '$..p': 0.5 } });
  });

  test('unordered arrays compare as multisets, duplicates counted', () => {
    assertMatch('[1,2,1,3]', '[3,1,1,2]', { unordered: ['$'] });
    assertDiffs('[1,1,2]', '[1,2,2]', { unordered: ['$'] }, [
      { path: '$[1]', kind: 'missing', legacy: 1 },
      { path: '$[1]', kind: 'extra', modern: 2 },
    ]);
    assertDiffs('{"t":["a","b","b"]}', '{"t":["b","a"]}', { unordered: ['$.t'] }, [
      { path: '$.t', kind: 'size', legacy: 3, modern: 2 },
      { path: '$.t[2]', kind: 'missing', legacy: 'b' },
    ]);
    // Elements are equal under the same rules: key order, number spelling, nested unordered arrays.
    assertMatch('{"l":[{"id":1,"tags":["x","y"]},{"id":2,"tags":[]}]}', '{"l":[{"tags":[],"id":2.0},{"tags":["y","x"],"id":1}]}', {
      unordered: ['$.l', '$.l[*].tags'],
    });
  });

  test('unordered arrays apply tolerance, ignore and dates inside elements', () => {
    const rules: CompareRules = { unordered: ['$.l'], tolerance: { '$.l[*].p': 0.01 }, ignore: ['$.l[*].seen'], dates: ['$..at'] };
    assertMatch(
      '{"l":[{"id":1,"p":1.00,"seen":1,"at":"2024-01-02T03:04:05Z"},{"id":2,"p":2.00,"seen":2,"at":"2024-01-02T03:04:05Z"}]}',
      '{"l":[{"id":2,"p":2.01,"seen":9,"at":"2024-01-02T04:04:05+01:00"},{"id":1,"p":0.995,"at":1704164645000}]}',
      rules,
    );
    assertDiffs('{"l":[{"id":1,"p":1.00},{"id":2,"p":2.00}]}', '{"l":[{"id":2,"p":2.01},{"id":1,"p":1.02}]}', rules, [
      { path: '$.l[0]', kind: 'missing', legacy: { id: 1, p: 1 } },
      { path: '$.l[1]', kind: 'extra', modern: { id: 1, p: 1.02 } },
    ]);
  });

  test('large unordered arrays stay fast (canonical forms, not pairwise)', () => {
    const n = 20_000;
    const a = Array.from({ length: n }, (_, i) => ({ id: i, v: `v${i % 7}` }));
    const b = [...a].reverse();
    b[5] = { id: -1, v: 'new' };
    const started = process.hrtime.bigint();
    const r = cmp(JSON.stringify(a), JSON.stringify(b), { unordered: ['$'] });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.deepEqual(r.differences, [
      { path: `$[${n - 6}]`, kind: 'missing', legacy: { id: n - 6, v: `v${(n - 6) % 7}` } },
      { path: '$[5]', kind: 'extra', modern: { id: -1, v: 'new' } },
    ]);
    assert.ok(ms < 5000, `took ${ms} ms`); // generous: a quadratic pass would take minutes
  });

  test('large shuffled unordered arrays under a tolerance: sorted merge, not pairwise', () => {
    const n = 5000;
    const legacy = Array.from({ length: n }, (_, i) => i / 4);
    // Deterministic shuffle, a little rounding noise everywhere, one value really changed.
    const modern = legacy.map((v, i) => ({ v: v + (i % 2 ? 0.001 : -0.001), k: (i * 7919) % n })).sort((x, y) => x.k - y.k).map((e) => e.v);
    const at = modern.findIndex((v) => Math.abs(v - 100) < 0.01);
    modern[at] = 100.5;
    const started = process.hrtime.bigint();
    const r = cmp(JSON.stringify(legacy), JSON.stringify(modern), { unordered: ['$'], tolerance: { '$[*]': 0.01 } });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.deepEqual(r.differences, [
      { path: '$[400]', kind: 'missing', legacy: 100 },
      { path: `$[${at}]`, kind: 'extra', modern: 100.5 },
    ]);
    assert.ok(ms < 5000, `took ${ms} ms`);
  });

  test('dates: the same instant across zones, fractions and epoch millis', () => {
    const rules: CompareRules = { dates: ['$..at'] };
    for (const [a, b] of [
      ['"2024-01-02T03:04:05Z"', '"2024-01-02T04:04:05+01:00"'],
      ['"2024-01-02T03:04:05Z"', '"2024-01-02T03:04:05.000Z"'],
      ['"2024-01-02T03:04:05Z"', '"2024-01-01T22:04:05-0500"'],
      ['"2024-01-02T03:04:05.120Z"', '"2024-01-02T03:04:05.12+00:00"'],
      ['"2024-01-02T03:04:05Z"', '1704164645000'],
      ['"2024-01-02T03:04:05.5Z"', '1704164645500.0'],
      ['"2024-01-02"', '"2024-01-02T00:00:00Z"'],
      ['"Tue, 02 Jan 2024 03:04:05 GMT"', '"2024-01-02T03:04:05Z"'],
    ]) {
      assertMatch(`{"x":{"at":${a}}}`, `{"x":{"at":${b}}}`, rules);
    }
    // Sub-millisecond digits count.
    assertDiffs('{"at":"2024-01-02T03:04:05.123456Z"}', '{"at":"2024-01-02T03:04:05.123457Z"}', rules, [
      { path: '$.at', kind: 'value', legacy: '2024-01-02T03:04:05.123456Z', modern: '2024-01-02T03:04:05.123457Z' },
    ]);
    assertDiffs('{"at":"2024-01-02T03:04:05Z"}', '{"at":"2024-01-02T03:04:06Z"}', rules, [
      { path: '$.at', kind: 'value', legacy: '2024-01-02T03:04:05Z', modern: '2024-01-02T03:04:06Z' },
    ]);
    // Not a date: compared as what it is.
    assertDiffs('{"at":"soon"}', '{"at":"2024-01-02T03:04:05Z"}', rules, [{ path: '$.at', kind: 'value', legacy: 'soon', modern: '2024-01-02T03:04:05Z' }]);
    assertDiffs('{"at":"2024-02-30T00:00:00Z"}', '{"at":"2024-03-01T00:00:00Z"}', rules, [
      { path: '$.at', kind: 'value', legacy: '2024-02-30T00:00:00Z', modern: '2024-03-01T00:00:00Z' },
    ]);
    assertDiffs('{"at":"soon"}', '{"at":5}', rules, [{ path: '$.at', kind: 'type', legacy: 'soon', modern: 5 }]);
    // Outside `dates` paths, strings are strings.
    assertDiffs('{"t":"2024-01-02T03:04:05Z"}', '{"t":"2024-01-02T03:04:05.000Z"}', rules, [
      { path: '$.t', kind: 'value', legacy: '2024-01-02T03:04:05Z', modern: '2024-01-02T03:04:05.000Z' },
    ]);
    // A tolerance at a dates path is in milliseconds.
    assertMatch('{"at":"2024-01-02T03:04:05Z"}', '{"at":"2024-01-02T03:04:05.900Z"}', { dates: ['$.at'], tolerance: { '$.at': 1000 } });
  });

  test('invalid rules are rejected when compiled, naming the entry', () => {
    assert.throws(() => compileRules({ ignore: ['a.b'] }), { name: 'SyntaxError', message: /"a\.b"/ });
    assert.throws(() => compileRules({ ignore: ["$['open"] }), { name: 'SyntaxError' });
    assert.throws(() => compileRules({ unordered: ['$.a['] }), { name: 'SyntaxError' });
    assert.throws(() => compileRules({ tolerance: { '$.a': -1 } }), { name: 'RangeError', message: /\$\.a/ });
    assert.throws(() => compileRules({ tolerance: { '$.a': Number.NaN } }), { name: 'RangeError' });
    assert.throws(() => compileRules({ maxDifferences: 1.5 }), { name: 'RangeError' });
  });

  test('spreading compiled rules gives plain rules again (route-controller adds noise paths so)', () => {
    const base = compileRules({ ignore: ['$.a'] });
    const extended: CompareRules = { ...base, ignore: [...base.ignore, '$.b'] };
    assertMatch('{"a":1,"b":1}', '{"a":2,"b":2}', extended);
    assertMatch('{"a":1,"b":1}', '{"a":2,"b":2}', compileRules(extended));
    assertDiffs('{"a":1,"b":1}', '{"a":2,"b":2}', base, [{ path: '$.b', kind: 'value', legacy: 1, modern: 2 }]);
  });

  test('compiled rules are frozen, defaulted, reusable and equivalent to raw rules', () => {
    const raw: CompareRules = { ignore: ['$.t'], tolerance: { '$.p': 0.5 } };
    const compiled = compileRules(raw);
    assert.ok(Object.isFrozen(compiled));
    assert.equal(compiled.status, true);
    assert.deepEqual(compiled.headers, ['content-type']);
    assert.equal(compiled.maxDifferences, 100);
    assert.equal(compileRules(compiled), compiled);
    for (const rules of [raw, compiled, raw, compiled]) {
      assertMatch('{"t":1,"p":1}', '{"t":2,"p":1.5}', rules);
      assertDiffs('{"t":1,"p":1}', '{"t":2,"p":2}', rules, [{ path: '$.p', kind: 'value', legacy: 1, modern: 2 }]);
    }
  });
});

describe('paths', () => {
  test('matchPath: whole-path matches of JSONPath-like patterns', () => {
    const yes: [string, string][] = [
      ['$', '$'],
      ['$.a.b', '$.a.b'],
      ['$.items[0].id', '$.items[0].id'],
      ['$.items[*].id', '$.items[3].id'],
      ['$.*.id', '$.x.id'],
      ['$.*.id', '$[2].id'],
      ['$..updatedAt', '$.updatedAt'],
      ['$..updatedAt', '$.a[3].b.updatedAt'],
      ['$..[*]', '$.a[3]'],
      ['$..b..c', '$.x.b.y.z.c'],
      ["$['weird key']", "$['weird key']"],
      ['$["weird key"].x', "$['weird key'].x"],
      ['$.a-b', "$['a-b']"],
      ["$['it\\'s']", "$['it\\'s']"],
      ['$.items[*].ts', '$.items[*].ts'],
      ['$..ts', '$.items[*].ts'],
    ];
    for (const [p, path] of yes) assert.equal(matchPath(p, path), true, `${p} ~ ${path}`);
    const no: [string, string][] = [
      ['$.a', '$.a.b'],
      ['$.a.b', '$.a'],
      ['$.items[0].id', '$.items[1].id'],
      ['$.items[*].id', '$.items.id'],
      ['$.a[0]', "$.a['0']"],
      ["$['*']", '$.x'],
      ['$..updatedAt', '$.updatedAtX'],
      ['$.items[0].ts', '$.items[*].ts'],
      ['$.a', 'not a path'],
    ];
    for (const [p, path] of no) assert.equal(matchPath(p, path), false, `${p} !~ ${path}`);
    assert.throws(() => matchPath('a', '$.a'), { name: 'SyntaxError' });
  });

  test('generalizePath turns indexes into [*] and leaves other paths alone', () => {
    assert.equal(generalizePath('$.items[3].ts'), '$.items[*].ts');
    assert.equal(generalizePath("$['a b'][0][12].c"), "$['a b'][*][*].c");
    assert.equal(generalizePath('$'), '$');
    assert.equal(generalizePath('status'), 'status');
    assert.equal(generalizePath('header:content-type'), 'header:content-type');
    // Round trip: a generalised difference path, used as an ignore rule, silences that difference.
    const r = cmp('{"l":[{"ts":1},{"ts":2}]}', '{"l":[{"ts":3},{"ts":4}]}');
    const ignore = [...new Set(r.differences.map((d) => generalizePath(d.path)))];
    assert.deepEqual(ignore, ['$.l[*].ts']);
    assertMatch('{"l":[{"ts":1},{"ts":2}]}', '{"l":[{"ts":3},{"ts":4}]}', { ignore });
  });

  test('difference paths render the way matchPath reads them', () => {
    const keys = ['plain', 'a b', "it's", 'back\\slash', '0', 'new\nline', '*', '$ref'];
    const legacy = JSON.stringify(Object.fromEntries(keys.map((k) => [k, 1])));
    const modern = JSON.stringify(Object.fromEntries(keys.map((k) => [k, 2])));
    const r = cmp(legacy, modern);
    assert.equal(r.differences.length, keys.length);
    for (const d of r.differences) assert.equal(r.differences.filter((e) => matchPath(d.path, e.path)).length, 1, d.path);
    assert.deepEqual(
      r.differences.map((d) => d.path),
      ["$['0']", '$.plain', "$['a b']", "$['it\\'s']", "$['back\\\\slash']", "$['new\\u000aline']", "$['*']", '$.$ref'],
    );
  });
});

describe('status and headers', () => {
  test('status codes', () => {
    const r = structuralCompare(res('{}', JSON_CT, 200), res('{}', JSON_CT, 503), {});
    assert.deepEqual(r.differences, [{ path: 'status', kind: 'status', legacy: 200, modern: 503 }]);
    assert.equal(structuralCompare(res('{}', JSON_CT, 200), res('{}', JSON_CT, 503), { status: false }).match, true);
    assert.equal(structuralCompare(res('{}', JSON_CT, 200), res('{}', JSON_CT, 503), { ignore: ['status'] }).match, true);
  });

  test('content-type is compared by media type, charset by canonical name', () => {
    const same = (a: string, b: string) => structuralCompare(res('{}', { 'content-type': a }), res('{}', { 'content-type': b }), {}).match;
    assert.equal(same('application/json; charset=UTF-8', 'application/json;charset=utf-8'), true);
    assert.equal(same('application/json; charset=utf8', 'Application/JSON; charset="UTF-8"'), true);
    assert.equal(same('application/json', 'application/json; charset=utf-8'), true);
    assert.equal(same('text/html; charset=utf-8', 'text/html; charset=iso-8859-1'), false);
    const r = structuralCompare(res('{}', { 'content-type': 'application/json' }), res('{}', { 'content-type': 'application/problem+json' }), {});
    assert.deepEqual(r.differences, [{ path: 'header:content-type', kind: 'header', legacy: 'application/json', modern: 'application/problem+json' }]);
  });

  test('only allowlisted headers count; names are case-insensitive on both sides', () => {
    const a = res('{}', { 'Content-Type': 'application/json', 'X-Total-Count': '10', date: 'Mon', 'set-cookie': ['a=1', 'b=2'] });
    const b = res('{}', { 'content-type': 'application/json', 'x-total-count': '11', date: 'Tue', 'set-cookie': ['a=1'] });
    assert.equal(structuralCompare(a, b, {}).match, true);
    assert.deepEqual(structuralCompare(a, b, { headers: ['Content-Type', 'X-TOTAL-COUNT', 'Set-Cookie', 'x-absent'] }).differences, [
      { path: 'header:x-total-count', kind: 'header', legacy: '10', modern: '11' },
      { path: 'header:set-cookie', kind: 'header', legacy: 'a=1, b=2', modern: 'a=1' },
    ]);
    assert.deepEqual(structuralCompare(a, res('{}', {}), { headers: ['x-total-count'] }).differences, [
      { path: 'header:x-total-count', kind: 'header', legacy: '10' },
    ]);
    // Accepted noise arrives as `header:<name>` ignore rules.
    assert.equal(structuralCompare(a, b, { headers: ['x-total-count'], ignore: ['header:X-Total-Count'] }).match, true);
  });
});

describe('encodings and non-JSON bodies', () => {
  const doc = JSON.stringify({ items: [1, 2, 3], name: 'ficus' });

  test('gzip, deflate (zlib and raw) and br bodies are decoded before comparing', () => {
    const plain = res(doc);
    for (const [enc, body] of [
      ['gzip', gzipSync(doc)],
      ['x-gzip', gzipSync(doc)],
      ['deflate', deflateSync(doc)],
      ['deflate', deflateRawSync(doc)],
      ['br', brotliCompressSync(doc)],
      ['gzip, br', brotliCompressSync(gzipSync(doc))],
      ['identity', Buffer.from(doc)],
    ] as const) {
      const r = structuralCompare(res(body, { ...JSON_CT, 'content-encoding': enc }), plain, {});
      assert.equal(r.match, true, enc);
    }
    const changed = structuralCompare(res(gzipSync(doc), { ...JSON_CT, 'content-encoding': 'gzip' }), res(brotliCompressSync(doc.replace('ficus', 'fig')), { ...JSON_CT, 'content-encoding': 'br' }), {});
    assert.deepEqual(changed.differences, [{ path: '$.name', kind: 'value', legacy: 'ficus', modern: 'fig' }]);
  });

  test('a body that does not decode is a `value` difference at $, not a throw', () => {
    const r = structuralCompare(res(doc), res(Buffer.from('not gzip at all'), { ...JSON_CT, 'content-encoding': 'gzip' }), {});
    assert.equal(r.match, false);
    assert.equal(r.differences.length, 1);
    const [d] = r.differences;
    assert.equal(d?.path, '$');
    assert.equal(d?.kind, 'value');
    assert.deepEqual(d?.legacy, { bytes: doc.length, sha256: createHash('sha256').update(doc).digest('hex').slice(0, 16) });
    assert.match(String(d?.modern), /^cannot decode content-encoding gzip: /);
    const unknown = structuralCompare(res(doc), res(doc, { ...JSON_CT, 'content-encoding': 'zz' }), {});
    assert.match(String(unknown.differences[0]?.modern), /unsupported content-encoding "zz"/);
    // Identical raw bytes under the same coding match without decoding, even if undecodable.
    const bad = res(Buffer.from('junk'), { 'content-encoding': 'gzip' });
    assert.equal(structuralCompare(bad, bad, {}).match, true);
  });

  test('decodeBody', () => {
    assert.equal(decodeBody(gzipSync('hi'), 'GZIP').toString(), 'hi');
    assert.equal(decodeBody(gzipSync(brotliCompressSync('hi')), ['br', 'gzip']).toString(), 'hi');
    assert.equal(decodeBody(Buffer.from('hi'), undefined).toString(), 'hi');
    assert.equal(decodeBody(Buffer.alloc(0), 'gzip').length, 0);
    assert.throws(() => decodeBody(Buffer.from('x'), 'br'), (e: unknown) => e instanceof Error && /^cannot decode content-encoding br/.test(e.message));
    assert.throws(() => decodeBody(gzipSync(Buffer.alloc(1 << 20)), 'gzip', { maxOutputLength: 1024 }), /exceeds 1024 bytes/);
  });

  test('JSON on one side and not on the other is a `type` difference at $', () => {
    const r = structuralCompare(res('{"ok":true}'), res('<html>oops</html>', { 'content-type': 'text/html' }), { headers: [] });
    assert.deepEqual(r.differences, [{ path: '$', kind: 'type', legacy: { ok: true }, modern: '<html>oops</html>' }]);
    // Declared JSON that does not parse is text.
    const broken = structuralCompare(res('{"ok":true}'), res('{"ok":tru'), {});
    assert.deepEqual(broken.differences, [{ path: '$', kind: 'type', legacy: { ok: true }, modern: '{"ok":tru' }]);
  });

  test('without a content-type, JSON is recognised by parsing', () => {
    assert.equal(structuralCompare(res('{"a":1,"b":2}', {}), res('{"b":2,"a":1.0}', {}), {}).match, true);
    const r = structuralCompare(res('{"a":1}', {}), res('a=1', {}), {});
    assert.equal(r.differences[0]?.kind, 'type');
  });

  test('text bodies: line endings normalised, the rest exact, snippets around the change', () => {
    const text = { 'content-type': 'text/plain; charset=utf-8' };
    assert.equal(structuralCompare(res('a\r\nb\rc\n', text), res('a\nb\nc\n', text), {}).match, true);
    assert.deepEqual(structuralCompare(res('hello', text), res('hello ', text), {}).differences, [{ path: '$', kind: 'value', legacy: 'hello', modern: 'hello ' }]);
    const long = 'x'.repeat(1000);
    const [d] = structuralCompare(res(long + 'A' + long, text), res(long + 'B' + long, text), {}).differences;
    assert.equal(d?.legacy, '…' + 'x'.repeat(40) + 'A' + 'x'.repeat(159) + '…');
    assert.equal(d?.modern, '…' + 'x'.repeat(40) + 'B' + 'x'.repeat(159) + '…');
    // Charsets are decoded before comparing.
    const latin1 = res(Buffer.from('café', 'latin1'), { 'content-type': 'text/plain; charset=iso-8859-1' });
    assert.equal(structuralCompare(latin1, res('café', text), { headers: [] }).match, true);
  });

  test('other bodies are exact bytes, reported by size and sha256 prefix', () => {
    const bin = { 'content-type': 'application/octet-stream' };
    const sha16 = (b: number[]) => createHash('sha256').update(Buffer.from(b)).digest('hex').slice(0, 16);
    assert.equal(structuralCompare(res(Buffer.from([1, 2, 3]), bin), res(Buffer.from([1, 2, 3]), bin), {}).match, true);
    const r = structuralCompare(res(Buffer.from([1, 2, 3]), bin), res(Buffer.from([1, 2, 4]), bin), {});
    assert.deepEqual(r.differences, [
      { path: '$', kind: 'value', legacy: { bytes: 3, sha256: sha16([1, 2, 3]) }, modern: { bytes: 3, sha256: sha16([1, 2, 4]) } },
    ]);
  });

  test('byte-identical bodies match without being parsed', () => {
    // Not JSON although declared so: still a match, because the bytes are the same.
    assert.equal(structuralCompare(res('{nope'), res('{nope'), {}).match, true);
  });

  test('pathologically deep bodies do not throw', () => {
    const deep = (x: string) => '['.repeat(200_000) + x + ']'.repeat(200_000);
    const r = structuralCompare(res(deep('1')), res(deep('2')), {});
    assert.equal(r.match, false);
    assert.equal(r.differences.length, 1);
    assert.equal(r.differences[0]?.path, '$');
  });
});

describe('the differences cap', () => {
  const many = (n: number, v: number) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, v])));

  test('stops at maxDifferences (default 100) and says so', () => {
    const r = cmp(many(150, 1), many(150, 2));
    assert.equal(r.differences.length, 100);
    assert.equal(r.truncated, true);
    assert.equal(r.match, false);
    assert.equal(r.differences[99]?.path, '$.k99');
    const exact = cmp(many(5, 1), many(5, 2), { maxDifferences: 5 });
    assert.equal(exact.differences.length, 5);
    assert.equal(exact.truncated, false);
  });

  test('maxDifferences 0 only answers whether the responses match', () => {
    assert.deepEqual(cmp(many(3, 1), many(3, 2), { maxDifferences: 0 }), { match: false, differences: [], truncated: true });
    assert.deepEqual(cmp(many(3, 1), many(3, 1.0), { maxDifferences: 0 }), { match: true, differences: [], truncated: false });
  });

  test('status and header differences count towards the cap', () => {
    const r = structuralCompare(res('[1]', JSON_CT, 200), res('[2]', { 'content-type': 'text/plain' }, 500), { maxDifferences: 2 });
    assert.deepEqual(
      r.differences.map((d) => d.kind),
      ['status', 'header'],
    );
    assert.equal(r.truncated, true);
  });
});

describe('golden fixtures', () => {
  const root = new URL('../../../', import.meta.url);
  const dir = new URL('test/fixtures/compare/', root);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

  test('there are enough of them', () => {
    assert.ok(files.length >= 6, `${files.length} fixtures`);
  });

  type Side = { status: number; headers: CapturedResponse['headers']; body: string | { base64: string } };
  interface Fixture {
    description: string;
    legacy: Side;
    modern: Side;
    rules: CompareRules;
    expected: { match: boolean; differences: Difference[]; truncated?: boolean };
  }
  const side = (s: Side): CapturedResponse => ({
    status: s.status,
    headers: s.headers,
    body: typeof s.body === 'string' ? Buffer.from(s.body) : Buffer.from(s.body.base64, 'base64'),
  });

  for (const file of files) {
    test(file, () => {
      const fx = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Fixture;
      const r = structuralCompare(side(fx.legacy), side(fx.modern), fx.rules);
      assert.deepEqual(r.differences, fx.expected.differences, fx.description);
      assert.equal(r.match, fx.expected.match);
      assert.equal(r.truncated, fx.expected.truncated ?? false);
    });
  }
});
