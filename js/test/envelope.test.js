// Tests for pack/unpack in ../sente.js. Run: node --test js/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { pack, unpack, AJAX_CB, isCbSuccess, expBackoffMs, CHSK_CLOSED, CHSK_TIMEOUT, CHSK_ERROR } from '../sente.js';
import { parse, stringify, kw, EdnError } from '../edn.js';

// [wire, payload as EDN, cb as EDN or null], copied from PROTOCOL vectors/frames-edn.jsonl
// (server→client frames of every writer family) and vectors/unpack-edn.jsonl.
const FRAMES = [
  ['-[:chsk/handshake ["alice" nil]]', '[:chsk/handshake ["alice" nil]]', null],
  ['+[[:chsk/handshake ["alice" nil]]]', '[:chsk/handshake ["alice" nil]]', null],
  ['[[:chsk/handshake ["alice" nil]]]', '[:chsk/handshake ["alice" nil]]', null],
  ['+[[:chsk/handshake ["alice" nil {:plan :free}]]]', '[:chsk/handshake ["alice" nil {:plan :free}]]', null],
  ['[[:chsk/handshake ["alice" nil nil]] nil]', '[:chsk/handshake ["alice" nil nil]]', null],
  ['[[:chsk/handshake [:sente/nil-uid nil nil]] nil]', '[:chsk/handshake [:sente/nil-uid nil nil]]', null],
  ['-[[:my-app/alert {:msg "hi"}]]', '[[:my-app/alert {:msg "hi"}]]', null],
  ['+[[[:my-app/alert {:msg "hi"}]]]', '[[:my-app/alert {:msg "hi"}]]', null],
  ['[[[:my-app/alert {:msg "hi"}]]]', '[[:my-app/alert {:msg "hi"}]]', null],
  ['[[[:my-app/tick 1] [:my-app/tick 2] [:my-app/note "done"]] nil]', '[[:my-app/tick 1] [:my-app/tick 2] [:my-app/note "done"]]', null],
  ['-:chsk/ws-ping', ':chsk/ws-ping', null],
  ['+[:chsk/ws-ping]', ':chsk/ws-ping', null],
  ['[:chsk/ws-ping]', ':chsk/ws-ping', null],
  ['[:chsk/ws-ping nil]', ':chsk/ws-ping', null],
  ['-:chsk/timeout', ':chsk/timeout', null],
  ['+[:chsk/timeout]', ':chsk/timeout', null],
  ['[:chsk/timeout nil]', ':chsk/timeout', null],
  ['+[{:ok true, :n 2} "4f2a1b"]', '{:ok true, :n 2}', '"4f2a1b"'],
  ['[{:ok true, :n 2} "4f2a1b"]', '{:ok true, :n 2}', '"4f2a1b"'],
  ['+[nil "4f2a1b"]', 'nil', '"4f2a1b"'],
  ['["pong" "4f2a1b"]', '"pong"', '"4f2a1b"'],
  ['-{:ok true}', '{:ok true}', null],
  ['+[{:ok true}]', '{:ok true}', null],
  ['[{:ok true} nil]', '{:ok true}', null],
  ['+[:chsk/dummy-cb-200]', ':chsk/dummy-cb-200', null],
  ['[:chsk/dummy-cb-200 nil]', ':chsk/dummy-cb-200', null],
  ['+[[:my-app/save {:id 7}] 0]', '[:my-app/save {:id 7}]', ':ajax'],
  ['[[:my-app/save {:id 7}] :ajax]', '[:my-app/save {:id 7}]', ':ajax'],
  ['[[:my-app/save {:id 7}] false]', '[:my-app/save {:id 7}]', 'false'],
  ['  \n[[:my-app/save 1] nil]', '[:my-app/save 1]', null],
  ['[[:my-app/save 1] nil extra]', '[:my-app/save 1]', null],
  ['([:my-app/save 1] "cb")', '[:my-app/save 1]', '"cb"'],
  ['[nil nil]', 'nil', null],
  ['nil', 'nil', null],
  ['', 'nil', null],
  ['+', 'nil', null],
];

test('unpack reads +, - and unprefixed envelopes of every Sente version', () => {
  for (const [wire, payload, cb] of FRAMES) {
    const got = unpack(wire);
    assert.equal(stringify(got.payload), stringify(parse(payload)), `payload of ${JSON.stringify(wire)}`);
    assert.equal(got.cb === null ? null : stringify(got.cb), cb, `cb of ${JSON.stringify(wire)}`);
  }
  assert.equal(unpack('+[[:x/y] 0]').cb, AJAX_CB);
  assert.equal(unpack('[:chsk/ws-ping nil]').payload, kw('chsk/ws-ping'));
});

test('unpack rejects frames that are not envelopes', () => {
  for (const wire of ['42', '{:a 1}', ':chsk/ws-ping', 'garbage', '"ab"', '[[:my-app/save 1]', '+[unclosed', '   ']) {
    assert.throws(() => unpack(wire), EdnError, JSON.stringify(wire));
  }
  assert.throws(() => unpack(new ArrayBuffer(4)), EdnError);
});

test('pack writes the HEAD form [payload cb-or-nil] (vectors/frames-edn.jsonl @1.21+)', () => {
  const save = [kw('my-app/save'), { id: 7 }];
  assert.equal(pack(save), '[[:my-app/save {:id 7}] nil]');
  assert.equal(pack(save, '4f2a1b'), '[[:my-app/save {:id 7}] "4f2a1b"]');
  assert.equal(pack(save, AJAX_CB), '[[:my-app/save {:id 7}] :ajax]');
  assert.equal(pack([kw('chsk/ws-ping')], '4f2a1b'), '[[:chsk/ws-ping] "4f2a1b"]');
  assert.equal(pack([kw('chsk/ws-pong')]), '[[:chsk/ws-pong] nil]');
});

test('isCbSuccess tells replies from the client-side outcomes', () => {
  for (const v of [CHSK_CLOSED, CHSK_TIMEOUT, CHSK_ERROR]) assert.equal(isCbSuccess(v), false);
  for (const v of [null, false, 0, '', 'pong', kw('chsk/dummy-cb-200'), new Map()]) assert.equal(isCbSuccess(v), true);
});

test('expBackoffMs follows Encore exp-backoff and honours the cap', () => {
  const lo = () => 0;
  const hi = () => 0.999999;
  assert.equal(expBackoffMs(1, { random: lo }), 1000);
  assert.equal(expBackoffMs(2, { random: lo }), 2000);
  assert.equal(expBackoffMs(3, { random: hi }), 7999);
  assert.equal(expBackoffMs(6, { random: hi }), 63999);
  assert.equal(expBackoffMs(100, { random: lo }), expBackoffMs(36, { random: lo }), 'n is capped at 36');
  for (let n = 1; n < 40; n++) {
    const ms = expBackoffMs(n, { maxMs: 60000 });
    assert.ok(ms >= 0 && ms <= 60000, `attempt ${n}: ${ms}`);
  }
  assert.ok(expBackoffMs(10, { maxMs: 60000, random: lo }) >= 30000, 'capped delays keep jitter in [max/2, max]');
});
