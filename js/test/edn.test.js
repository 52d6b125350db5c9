// Tests for ../edn.js. Run: node --test js/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  parse, stringify, kw, sym, list, uuid, equals, toJS,
  Keyword, Sym, List, UUID, Tagged, EdnError, DEFAULT_MAX_DEPTH,
} from '../edn.js';

// [edn as Clojure prints it, what a ClojureScript client prints after reading it]
// Copied from PROTOCOL vectors/edn-values.jsonl (fields `edn` and `cljs_reads_as`).
const CLJ_TO_CLJS = [
  ['nil', 'nil'],
  ['true', 'true'],
  ['false', 'false'],
  ['0', '0'],
  ['-1', '-1'],
  ['42', '42'],
  ['9223372036854775807', '9223372036854776000'],
  ['-9223372036854775808', '-9223372036854776000'],
  ['9007199254740993', '9007199254740992'],
  ['42N', '42'],
  ['12345678901234567890N', '12345678901234567000'],
  ['99999999999999999999N', '100000000000000000000'],
  ['1.0', '1'],
  ['-0.0', '0'],
  ['1.5', '1.5'],
  ['100.0', '100'],
  ['1.0E7', '10000000'],
  ['9999999.0', '9999999'],
  ['0.001', '0.001'],
  ['1.0E-4', '0.0001'],
  ['1.5E-7', '1.5e-7'],
  ['1.0E21', '1e+21'],
  ['3.141592653589793', '3.141592653589793'],
  ['##NaN', '##NaN'],
  ['##Inf', '##Inf'],
  ['##-Inf', '##-Inf'],
  ['1/3', '0.3333333333333333'],
  ['-22/7', '-3.142857142857143'],
  ['1.5M', '1.5'],
  ['3M', '3'],
  ['1.50M', '1.5'],
  ['""', '""'],
  ['"hello world"', '"hello world"'],
  ['"say \\"hi\\""', '"say \\"hi\\""'],
  ['"C:\\\\path"', '"C:\\\\path"'],
  ['"line1\\nline2"', '"line1\\nline2"'],
  ['"a\\tb\\rc"', '"a\\tb\\rc"'],
  ['"x\\by\\fz"', '"x\\by\\fz"'],
  ['"héllo ಬಾ"', '"héllo ಬಾ"'],
  ['"😀"', '"😀"'],
  ['"a\u0001b"', '"a\u0001b"'],
  ['"a\u0000b"', '"a\u0000b"'],
  ['"a\u2028b"', '"a\u2028b"'],
  ['"#uuid \\"x\\""', '"#uuid \\"x\\""'],
  ['\\a', '"a"'],
  ['\\newline', '"\\n"'],
  ['\\space', '" "'],
  ['\\tab', '"\\t"'],
  ['\\return', '"\\r"'],
  ['\\backspace', '"\\b"'],
  ['\\formfeed', '"\\f"'],
  ['\\\\', '"\\\\"'],
  ['\\"', '"\\""'],
  ['\\é', '"é"'],
  ['\\\u0000', '"\u0000"'],
  [':a', ':a'],
  [':my-app/some-event', ':my-app/some-event'],
  [':my.app.ns/ev', ':my.app.ns/ev'],
  [':handshake?', ':handshake?'],
  [':taoensso.sente/nil-uid', ':taoensso.sente/nil-uid'],
  ['foo', 'foo'],
  ['my.ns/foo', 'my.ns/foo'],
  ['+', '+'],
  ['-', '-'],
  ['[]', '[]'],
  ['[1 2 3]', '[1 2 3]'],
  ['[[1 [2 [3]]] []]', '[[1 [2 [3]]] []]'],
  ['()', '()'],
  ['(1 2)', '(1 2)'],
  ['{}', '{}'],
  ['{:a 1, :b 2}', '{:a 1, :b 2}'],
  ['{:user {:id 1, :name "Ann"}}', '{:user {:id 1, :name "Ann"}}'],
  ['{[1 2] :v}', '{[1 2] :v}'],
  ['{nil 1}', '{nil 1}'],
  ['{{:a 1} :x}', '{{:a 1} :x}'],
  ['{:k 1, "s" 2, 3 4, nil 5}', '{:k 1, "s" 2, 3 4, nil 5}'],
  ['{:user/a 1, :user/b 2}', '{:user/a 1, :user/b 2}'],
  ['#:user{:a 1, :b 2}', '{:user/a 1, :user/b 2}'],
  ['{:k8 8, :k5 5, :k7 7, :k6 6, :k0 0, :k3 3, :k4 4, :k1 1, :k2 2}', '{:k8 8, :k5 5, :k7 7, :k6 6, :k0 0, :k3 3, :k4 4, :k1 1, :k2 2}'],
  ['#{}', '#{}'],
  ['#{:a}', '#{:a}'],
  ['#{1 3 2}', '#{1 3 2}'],
  ['#{"a" "b" "c"}', '#{"a" "b" "c"}'],
  ['#uuid "66d96ab4-9834-40db-a3cd-42b361503ab9"', '#uuid "66d96ab4-9834-40db-a3cd-42b361503ab9"'],
  ['#inst "1970-01-01T00:00:00.000-00:00"', '#inst "1970-01-01T00:00:00.000-00:00"'],
  ['#inst "2023-11-14T22:13:20.123-00:00"', '#inst "2023-11-14T22:13:20.123-00:00"'],
  ['#inst "1969-12-31T23:59:59.999-00:00"', '#inst "1969-12-31T23:59:59.999-00:00"'],
  ['#inst "1970-01-01T00:00:00.000000000-00:00"', '#inst "1970-01-01T00:00:00.000-00:00"'],
];

test('reads what Clojure prints and prints it back as ClojureScript does', () => {
  for (const [clj, cljs] of CLJ_TO_CLJS) {
    assert.equal(stringify(parse(clj)), cljs, `reading ${JSON.stringify(clj)}`);
  }
});

test('reads scalar types to the documented JS types', () => {
  assert.equal(parse('nil'), null);
  assert.equal(parse('42N'), 42);
  assert.equal(parse('0x1F'), 31);
  assert.equal(parse('-0x10'), -16);
  assert.equal(parse('017'), 15);
  assert.equal(parse('2r1010'), 10);
  assert.equal(parse('36rZZ'), 36 * 36 - 1);
  assert.equal(parse('+7'), 7);
  assert.ok(Object.is(parse('-0'), 0), '-0 integer reads as 0');
  assert.ok(Object.is(parse('-0.0'), -0), '-0.0 stays a negative zero double');
  assert.equal(parse('1e+21'), 1e21);
  assert.equal(parse('1.'), 1);
  assert.ok(Number.isNaN(parse('##NaN')));
  assert.equal(parse('\\u00e9'), 'é');
  assert.equal(parse('\\o101'), 'A');
  assert.equal(parse('\\('), '(');
  assert.equal(parse('"\\u0041\\101\\0"'), 'AA\u0000');
  assert.ok(parse(':a/b') instanceof Keyword);
  assert.ok(parse('a/b') instanceof Sym);
  assert.ok(parse('(1)') instanceof List);
  assert.ok(Array.isArray(parse('(1)')));
  assert.ok(!(parse('[1]') instanceof List));
  assert.ok(parse('{}') instanceof Map);
  assert.ok(parse('#{}') instanceof Set);
  assert.ok(parse('#inst "2020"') instanceof Date);
  assert.ok(parse('#uuid "66d96ab4-9834-40db-a3cd-42b361503ab9"') instanceof UUID);
});

test('keywords and symbols are interned, so === and Map lookups work', () => {
  assert.equal(kw('my-app/save'), kw('my-app/save'));
  assert.equal(kw(':my-app/save'), kw('my-app', 'save'));
  assert.equal(parse(':my-app/save'), kw('my-app/save'));
  assert.equal(parse('x.y/z'), sym('x.y/z'));
  const k = kw('counter/changed');
  assert.equal(k.ns, 'counter');
  assert.equal(k.name, 'changed');
  assert.equal(k.fqn, 'counter/changed');
  assert.equal(String(k), ':counter/changed');
  assert.equal(JSON.stringify({ k }), '{"k":"counter/changed"}');
  const m = parse('{:count 3, "s" 4, 5 6, nil 7}');
  assert.equal(m.get(kw('count')), 3);
  assert.equal(m.get('s'), 4);
  assert.equal(m.get(5), 6);
  assert.equal(m.get(null), 7);
  assert.throws(() => new Keyword('x', null, 'y'), TypeError);
});

test('invalid keyword and symbol names are refused when created', () => {
  for (const bad of ['', 'has space', 'a/b/c', 'a/', '/a', 'a:', '::a', 'a,b', 'x[1]', 'a/1']) {
    assert.throws(() => kw(bad), EdnError, `kw(${JSON.stringify(bad)})`);
  }
  for (const bad of ['', '1a', '+1', ':a', '#a', 'nil', 'true', 'a b']) {
    assert.throws(() => sym(bad), EdnError, `sym(${JSON.stringify(bad)})`);
  }
  assert.equal(kw('/').fqn, '/');
  assert.equal(sym('/').fqn, '/');
  assert.equal(kw('1').fqn, '1');
});

test('namespaced maps qualify keyword and symbol keys; :_/k means no namespace', () => {
  const m = parse('#:user{:a 1, :_/b 2, :other/c 3, d 4, "e" 5}');
  assert.deepEqual([...m.keys()], [kw('user/a'), kw('b'), kw('other/c'), sym('user/d'), 'e']);
  assert.equal(stringify(parse('#:user {:a 1}')), '{:user/a 1}');
});

test('whitespace, commas, comments, discards and trailing text', () => {
  assert.equal(stringify(parse('  \n\t,[1,2 ;comment ]\n 3 #_4 #_ #_ 5 6 7] trailing )))')), '[1 2 3 7]');
  assert.equal(stringify(parse('#! shebang-style comment\n:x')), ':x');
  assert.equal(parse('#_[1 2] 3'), 3);
  assert.equal(stringify(parse('[[:my-app/save 1] nil] ]]] trailing')), '[[:my-app/save 1] nil]');
});

test('#inst accepts RFC 3339 variants and rejects impossible dates', () => {
  const ms = (s) => parse(`#inst "${s}"`).getTime();
  assert.equal(ms('2020'), Date.UTC(2020, 0, 1));
  assert.equal(ms('2020-02-29'), Date.UTC(2020, 1, 29));
  assert.equal(ms('2020-01-02T03:04:05.678Z'), Date.UTC(2020, 0, 2, 3, 4, 5, 678));
  assert.equal(ms('2020-01-02T03:04:05.678+01:30'), Date.UTC(2020, 0, 2, 1, 34, 5, 678));
  assert.equal(ms('2020-01-02T03:04:05.6-00:00'), Date.UTC(2020, 0, 2, 3, 4, 5, 600));
  assert.equal(ms('0001-01-01T00:00:00Z'), -62135596800000);
  for (const bad of ['2021-02-29', '2020-13-01', '2020-01-01T24:00', '20200101', 'x']) {
    assert.throws(() => parse(`#inst "${bad}"`), EdnError, bad);
  }
  assert.throws(() => parse('#inst 0'), EdnError);
});

test('custom tag readers', () => {
  const tags = { 'my.app/Point': ([x, y]) => ({ x, y }) };
  assert.deepEqual(parse('#my.app/Point [1 2]', { tags }), { x: 1, y: 2 });
  assert.throws(() => parse('#my.app/Point [1 2]'), /No reader function for tag my.app\/Point/);
  assert.throws(() => parse('#my.app/Point 1', { tags }), EdnError, 'a throwing reader becomes an EdnError');
  assert.equal(stringify(new Tagged('my.app/Point', [1, 2])), '#my.app/Point [1 2]');
});

test('malformed input fails with EdnError (PROTOCOL §14.8 bad packages and more)', () => {
  const bad = [
    '', '   ', '[[:my-app/save 1]', '[[:my-app/save {:a}] nil]', '[[:my-app/save {:a 1 :a 2}] nil]',
    '[[:my-app/save #{1 1}] nil]', '#{[1 2] (1 2)}', '{[1] 1, (1) 2}', '#{{:a 1 :b 2} {:b 2 :a 1}}',
    '[[:my-app/save #my/tag 1] nil]', '[[:my-app/save "abc] nil]', '[[:my-app/save #"a+"] nil]',
    '[[:my-app/save #object[java.time.Instant 0x1 "x"]] nil]', ':a/b/c', '::a', ':', '08', '1a', '1.5e',
    '1/0', '\\ab', '\\', '"\\q"', '"\\u00"', ']', '(]', '{:a 1]', '#', '##Foo', '#(+ 1 %)', "#'x",
    '#?(:clj 1)', '#::{:a 1}', '#:a/b{}', '#:a 1', '@x', '^:m []', '#uuid "not-a-uuid"', '#uuid 1',
    '1r0', '37r1', '2r2', 'a/b/c', '/a', '#_', '#_ 1',
  ];
  for (const text of bad) {
    assert.throws(() => parse(text), EdnError, JSON.stringify(text));
  }
});

test('nesting depth is bounded when reading and printing', () => {
  const nested = (n) => '['.repeat(n) + ']'.repeat(n);
  assert.doesNotThrow(() => parse(nested(DEFAULT_MAX_DEPTH)));
  assert.throws(() => parse(nested(DEFAULT_MAX_DEPTH + 1)), /Nesting deeper than 512/);
  assert.throws(() => parse('{:a '.repeat(20) + '1' + '}'.repeat(20), { maxDepth: 10 }), /Nesting/);
  assert.throws(() => parse('#_'.repeat(100) + '1 '.repeat(100), { maxDepth: 10 }), /Nesting/);
  assert.throws(() => parse('#inst '.repeat(1000) + '"2020"'), /Nesting/);
  assert.throws(() => parse(nested(100000)), EdnError, 'hostile depth fails cleanly, no stack overflow');
  const cyclic = [];
  cyclic.push(cyclic);
  assert.throws(() => stringify(cyclic), /Nesting deeper than 512/);
});

test('prints JS values as ClojureScript pr-str does (vectors/cljs-print.jsonl)', () => {
  const cases = [
    [[kw('my-app/save'), { id: 7 }], '[:my-app/save {:id 7}]'],
    [[kw('my-app/nums'), [1.0, 1.5, -0.0, 1e21, 1e-7, 0.1]], '[:my-app/nums [1 1.5 0 1e+21 1e-7 0.1]]'],
    [[kw('my-app/nums'), [NaN, Infinity, -Infinity]], '[:my-app/nums [##NaN ##Inf ##-Inf]]'],
    // eslint-disable-next-line no-loss-of-precision
    [[kw('my-app/n'), 9007199254740993], '[:my-app/n 9007199254740992]'],
    [[kw('my-app/at'), new Date(1700000000123)], '[:my-app/at #inst "2023-11-14T22:13:20.123-00:00"]'],
    [[kw('my-app/id'), uuid('66d96ab4-9834-40db-a3cd-42b361503ab9')], '[:my-app/id #uuid "66d96ab4-9834-40db-a3cd-42b361503ab9"]'],
    [[kw('my-app/s'), new Set([1, 2, 3])], '[:my-app/s #{1 2 3}]'],
    [[kw('my-app/s'), 'q"b\\n\nt\tr\rb\bf\fc\u0001é😀'], '[:my-app/s "q\\"b\\\\n\\nt\\tr\\rb\\bf\\fc\u0001é😀"]'],
    [[kw('my-app/l'), list(1, 2)], '[:my-app/l (1 2)]'],
    [[kw('my-app/m'), new Map([[kw('user/a'), 1], [kw('user/b'), 2]])], '[:my-app/m {:user/a 1, :user/b 2}]'],
    [[[kw('my-app/save'), { id: 7 }], '4f2a1b'], '[[:my-app/save {:id 7}] "4f2a1b"]'],
    [[[kw('my-app/save'), { id: 7 }], kw('ajax')], '[[:my-app/save {:id 7}] :ajax]'],
  ];
  for (const [value, edn] of cases) assert.equal(stringify(value), edn);
});

test('plain objects print as maps with keyword keys', () => {
  assert.equal(stringify({ msg: 'Hello World!' }), '{:msg "Hello World!"}');
  assert.equal(stringify({ 'my-app/k': [1, null, undefined, true, 10n ** 20n] }),
    '{:my-app/k [1 nil nil true 100000000000000000000]}');
  assert.equal(stringify(Object.assign(Object.create(null), { a: {} })), '{:a {}}');
  assert.throws(() => stringify({ 'has space': 1 }), EdnError);
});

test('values with no EDN form are refused', () => {
  for (const v of [() => 1, Symbol('s'), new Uint8Array(1), /re/, new Date(NaN), new (class Foo {})()]) {
    assert.throws(() => stringify(v), EdnError, String(v));
  }
  assert.throws(() => stringify([1, { f() {} }]), EdnError);
});

test('round trips keep values equal', () => {
  const texts = [
    '[:my-app/save {:id 7, :tags #{:a :b}, :at #inst "2020-01-02T03:04:05.678-00:00", :who nil}]',
    '{[1 2] (3 4), #{1} {:x "y"}, "s" \\c}',
    '#{[1 2] [2 1] {:a 1} (1)}',
    '(a/b + - [##Inf ##-Inf 0.5 -7])',
    '#uuid "66D96AB4-9834-40DB-A3CD-42B361503AB9"',
  ];
  for (const t of texts) {
    const v = parse(t);
    assert.ok(equals(parse(stringify(v)), v), t);
  }
});

test('equals compares by value', () => {
  assert.ok(equals(parse('[1 2]'), parse('(1 2)')));
  assert.ok(equals(parse('{:a 1 :b 2}'), parse('{:b 2 :a 1}')));
  assert.ok(equals(parse('#{1 2}'), new Set([2, 1])));
  assert.ok(equals(parse('{:a 1}'), { a: 1 }));
  assert.ok(!equals(parse('[1 2]'), parse('[2 1]')));
  assert.ok(!equals(parse(':a'), parse('a')));
  assert.ok(!equals(parse('"1"'), 1));
});

test('List is an Array whose derived arrays are vectors', () => {
  const l = parse('(1 2 3)');
  assert.equal(l.length, 3);
  assert.equal(l[1], 2);
  assert.equal(stringify(l.map((x) => x * 2)), '[2 4 6]');
  assert.equal(stringify(list()), '()');
});

test('toJS converts to plain data without prototype tricks', () => {
  const js = toJS(parse('{:count 3, :by/who "alice", :tags #{:x}, "s" (1 2), [1] :v, "__proto__" {:polluted true}}'));
  assert.deepEqual(Object.keys(js), ['count', 'by/who', 'tags', 's', '[1]', '__proto__']);
  assert.equal(js.count, 3);
  assert.equal(js['by/who'], 'alice');
  assert.deepEqual(js.tags, ['x']);
  assert.deepEqual(js.s, [1, 2]);
  assert.equal(js['[1]'], 'v');
  assert.equal(Object.getPrototypeOf(js), Object.prototype);
  assert.equal({}.polluted, undefined);
});
