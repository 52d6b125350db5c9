// Tests for the SenteClient state machine in ../sente.js, against fake
// WebSocket and fetch implementations. Run: node --test js/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { SenteClient, connect, SenteError } from '../sente.js';
import { kw, stringify } from '../edn.js';
import { fakeWebSocketClass, fakeFetch, waitFor, sleep } from './fakes.js';

// ---------------------------------------------------------------------------
// Fakes and helpers

/** A client wired to fakes, recording everything it emits. */
function setup(t, opts = {}) {
  const WS = fakeWebSocketClass();
  const fetch = fakeFetch();
  const rec = { events: [], states: [], handshakes: [], warnings: [] };
  const client = new SenteClient('http://app.test/chsk', {
    WebSocket: WS,
    fetch,
    csrfToken: 'Ab+/cd==',
    clientId: 'cid-1',
    backoffMs: () => 0,
    logger: { warn: (...a) => rec.warnings.push(a.map(String).join(' ')) },
    onEvent: (ev) => rec.events.push(ev),
    onState: (_old, next) => rec.states.push(next),
    onHandshake: (h) => rec.handshakes.push(h),
    ...opts,
  });
  t.after(() => client.disconnect());
  return { client, WS, fetch, ...rec };
}

const HANDSHAKE = '[[:chsk/handshake ["alice" nil {:plan :free}]] nil]';

/** Connects over WebSocket and completes the handshake. */
async function openWs(ctx, frame = HANDSHAKE) {
  ctx.client.connect();
  const ws = ctx.WS.sockets.at(-1);
  ws.accept();
  ws.push(frame);
  assert.equal(ctx.client.state.open, true);
  return ws;
}

const CB_FRAME = /^\[(.*) "([0-9a-f]{6})"\]$/;

// ---------------------------------------------------------------------------
// WebSocket

test('WS: URL carries params, client-id and csrf-token; handshake opens the client', async (t) => {
  const ctx = setup(t, { params: { room: 'a b*' } });
  ctx.client.connect();
  assert.equal(ctx.WS.sockets.length, 1);
  const ws = ctx.WS.sockets[0];
  assert.equal(ws.url, 'ws://app.test/chsk?room=a%20b%2A&client-id=cid-1&csrf-token=Ab%2B%2Fcd%3D%3D');
  assert.equal(ctx.states.length, 0, 'connect() emits nothing synchronously');
  ws.accept();
  assert.equal(ctx.client.state.open, false, 'open only after the handshake frame');
  ws.push(HANDSHAKE);
  const s = ctx.client.state;
  assert.equal(s.open, true);
  assert.equal(s.type, 'ws');
  assert.equal(s.uid, 'alice');
  assert.equal(stringify(s.handshakeData), '{:plan :free}');
  assert.equal(ctx.handshakes.length, 1);
  assert.equal(ctx.handshakes[0].uid, 'alice');
  assert.equal(ctx.handshakes[0].firstHandshake, true);
  const opened = ctx.states.at(-1);
  assert.equal(opened.opened, true);
  assert.equal(opened.firstOpen, true);
  assert.equal(opened.openChanged, true);
});

test('WS: https pages use wss and no token means no csrf-token parameter', (t) => {
  const WS = fakeWebSocketClass();
  const client = connect('https://app.test/chsk', { WebSocket: WS, fetch: fakeFetch(), csrfToken: null, clientId: 'c' });
  t.after(() => client.disconnect());
  assert.equal(WS.sockets[0].url, 'wss://app.test/chsk?client-id=c');
});

test('client ids are random v4 UUIDs, also where crypto.randomUUID is missing (plain-http pages)', (t) => {
  const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const make = () => new SenteClient('http://x.test/chsk', { WebSocket: fakeWebSocketClass(), fetch: fakeFetch() });
  assert.match(make().clientId, v4);
  Object.defineProperty(globalThis.crypto, 'randomUUID', { value: undefined, configurable: true });
  t.after(() => delete globalThis.crypto.randomUUID);
  const a = make().clientId;
  assert.match(a, v4);
  assert.notEqual(a, make().clientId);
});

test('options: undefined means default, bad values are refused early', () => {
  const base = { WebSocket: fakeWebSocketClass(), fetch: fakeFetch() };
  const c = new SenteClient('http://x.test/chsk', { ...base, type: null, wsKaliveMs: undefined, logger: undefined });
  assert.equal(c.state.type, 'ws');
  assert.throws(() => new SenteClient('http://x.test/chsk', { ...base, type: 'sse' }), TypeError);
  assert.throws(() => new SenteClient('http://x.test/chsk', { ...base, wsKaliveMs: 0 }), RangeError);
  assert.throws(() => new SenteClient('http://x.test/chsk', { ...base, ajaxTimeoutMs: '5' }), RangeError);
  assert.throws(() => new SenteClient('http://x.test/chsk', { ...base, type: 'ws', WebSocket: null }), TypeError);
  assert.throws(() => new SenteClient('chsk', base), TypeError, 'relative URL needs a page location');
});

test('WS: reads a v1.17 server: + prefix, 2-slot handshake, nil-uid', async (t) => {
  const ctx = setup(t);
  await openWs(ctx, '+[[:chsk/handshake [:taoensso.sente/nil-uid nil]]]');
  assert.equal(ctx.client.state.uid, null);
  assert.equal(ctx.client.state.handshakeData, null);
});

test('WS: request gets its reply by callback id; frames are unprefixed [payload cb]', async (t) => {
  const ctx = setup(t);
  const ws = await openWs(ctx);
  const p1 = ctx.client.request(['counter/inc', { by: 1 }], 1000);
  const p2 = ctx.client.request([kw('counter/get')], { timeoutMs: 1000 });
  const [, ev1, id1] = CB_FRAME.exec(ws.sent[0]);
  const [, ev2, id2] = CB_FRAME.exec(ws.sent[1]);
  assert.equal(ev1, '[:counter/inc {:by 1}]');
  assert.equal(ev2, '[:counter/get]');
  assert.notEqual(id1, id2);
  ws.push(`+[{:count 7} "${id2}"]`); // a v1.17 server's reply
  ws.push(`[{:count 3} "${id1}"]`);
  assert.equal((await p1).get(kw('count')), 3);
  assert.equal((await p2).get(kw('count')), 7);
  assert.equal(ctx.client.send(['counter/inc']), true);
  assert.equal(ws.sent[2], '[[:counter/inc] nil]');
});

test('WS: send() callbacks get :chsk/closed before the handshake and :chsk/timeout without reply', async (t) => {
  const ctx = setup(t);
  ctx.client.connect();
  const outcomes = [];
  assert.equal(ctx.client.send(['my-app/x'], { cb: (r) => outcomes.push(r), timeoutMs: 10 }), false);
  assert.deepEqual(outcomes, [kw('chsk/closed')]);
  await assert.rejects(ctx.client.request(['my-app/x']), (e) => e instanceof SenteError && e.code === 'chsk/closed');

  const ws = ctx.WS.sockets[0];
  ws.accept();
  ws.push(HANDSHAKE);
  const started = Date.now();
  await assert.rejects(ctx.client.request(['my-app/slow'], 20), (e) => e.code === 'chsk/timeout');
  assert.ok(Date.now() - started >= 15, 'timed out after about timeoutMs');
  const [, , id] = CB_FRAME.exec(ws.sent[0]);
  ws.push(`[:late "${id}"]`);
  assert.match(ctx.warnings.at(-1), /unknown or expired callback/);
  assert.equal(ctx.client.state.open, true);
});

test('WS: invalid events and unprintable data throw at send time', async (t) => {
  const ctx = setup(t);
  await openWs(ctx);
  assert.throws(() => ctx.client.send(['no-namespace']), TypeError);
  assert.throws(() => ctx.client.send([]), TypeError);
  assert.throws(() => ctx.client.send(['a/b', 1, 2]), TypeError);
  assert.throws(() => ctx.client.send(['a/b', () => 1]), /Cannot print/);
  await assert.rejects(ctx.client.request(['a/b', { 'bad key': 1 }]), /Invalid keyword/);
  assert.throws(() => ctx.client.send(['a/b'], { cb: () => {}, timeoutMs: -1 }), TypeError);
});

test('WS: answers server pings with [[:chsk/ws-pong] nil] and reports them as events', async (t) => {
  const ctx = setup(t);
  const ws = await openWs(ctx);
  ws.push('[:chsk/ws-ping nil]');
  ws.push('+[:chsk/ws-ping]');
  assert.deepEqual(ws.sent, ['[[:chsk/ws-pong] nil]', '[[:chsk/ws-pong] nil]']);
  assert.deepEqual(ctx.events, [[kw('chsk/ws-ping')], [kw('chsk/ws-ping')]]);
});

test('WS: pushes are delivered in order, unwrapped; invalid and chsk/* events are dropped', async (t) => {
  const ctx = setup(t);
  const ws = await openWs(ctx);
  ws.push('[[[:my-app/tick 1] [:my-app/tick 2] [:chsk/recv 1] [:no-ns 1] 42 [:my-app/note "done"]] nil]');
  ws.push('+[[[:my-app/refresh]]]');
  assert.equal(stringify(ctx.events), '[[:my-app/tick 1] [:my-app/tick 2] [:my-app/note "done"] [:my-app/refresh]]');
  assert.equal(ctx.warnings.filter((w) => /invalid pushed event/.test(w)).length, 3);
  ws.push('[[:my-app/save 1]');
  ws.push('42');
  assert.equal(ctx.warnings.filter((w) => /unreadable frame/.test(w)).length, 2);
  assert.equal(ctx.client.state.open, true, 'bad frames do not break the connection');
});

test('WS: idle client pings with a callback; "pong" keeps it, no pong reconnects', async (t) => {
  const ctx = setup(t, { wsKaliveMs: 10, wsPingTimeoutMs: 40 });
  const ws = await openWs(ctx);
  const ping1 = await waitFor(() => ws.sent.find((f) => f.startsWith('[[:chsk/ws-ping] "')), 'first ping');
  const [, , id] = CB_FRAME.exec(ping1);
  ws.push(`["pong" "${id}"]`);
  await waitFor(() => ws.sent.filter((f) => f.startsWith('[[:chsk/ws-ping]')).length === 2, 'second ping');
  assert.equal(ctx.WS.sockets.length, 1, 'answered ping kept the socket');
  await waitFor(() => ctx.WS.sockets.length === 2, 'reconnect after the unanswered ping');
  assert.equal(ctx.client.state.lastClose.reason, 'ws-ping-timeout');
  assert.deepEqual(ws.closeCalls[0], [1000, 'CLOSE_NORMAL']);
});

test('WS: activity suppresses the keep-alive ping', async (t) => {
  const ctx = setup(t, { wsKaliveMs: 15 });
  const ws = await openWs(ctx);
  for (let i = 0; i < 10; i++) {
    ws.push('[[[:my-app/tick 1]] nil]');
    await sleep(5);
  }
  assert.ok(!ws.sent.some((f) => f.startsWith('[[:chsk/ws-ping]')), 'no ping while traffic flows');
});

test('WS: wsPingTimeoutMs 0 sends v1.17-style pings without callback and never times out', async (t) => {
  const ctx = setup(t, { wsKaliveMs: 5, wsPingTimeoutMs: 0 });
  const ws = await openWs(ctx);
  await waitFor(() => ws.sent.filter((f) => f === '[[:chsk/ws-ping] nil]').length >= 2, 'two pings');
  assert.equal(ctx.WS.sockets.length, 1);
});

test('WS: reconnects after any close; first retry immediate, then back-off; handshake resets', async (t) => {
  const attempts = [];
  const ctx = setup(t, { backoffMs: (n) => { attempts.push(n); return 0; } });
  const ws0 = await openWs(ctx);
  ws0.drop(1000, true); // server closed cleanly: HEAD clients reconnect anyway
  assert.equal(ctx.client.state.open, false);
  assert.equal(ctx.client.state.lastClose.reason, 'clean');
  assert.equal(ctx.client.state.lastWsClose.code, 1000);
  const ws1 = await waitFor(() => ctx.WS.sockets[1], 'second socket');
  ws1.fail(); // after a successful handshake an 'auto' client stays on WebSocket
  const ws2 = await waitFor(() => ctx.WS.sockets[2], 'third socket');
  assert.equal(ctx.client.state.type, 'ws');
  assert.equal(ctx.client.state.lastClose.reason, 'ws-error');
  ws2.accept();
  ws2.push(HANDSHAKE);
  assert.equal(ctx.handshakes.at(-1).firstHandshake, false);
  assert.equal(ctx.states.at(-1).firstOpen, false);
  ws2.drop(1006, false);
  assert.equal(ctx.client.state.lastClose.reason, 'unexpected');
  await waitFor(() => ctx.WS.sockets[3], 'fourth socket');
  assert.deepEqual(attempts, [1, 2, 1]);
});

test('WS: default back-off retries at once, then waits seconds', async (t) => {
  const WS = fakeWebSocketClass();
  const client = connect('http://app.test/chsk', { WebSocket: WS, fetch: fakeFetch(), type: 'ws', logger: null });
  t.after(() => client.disconnect());
  WS.sockets[0].fail();
  const due1 = client.state.udtNextReconnect - Date.now();
  assert.ok(due1 <= 5, `first retry immediate, got ${due1} ms`);
  const ws1 = await waitFor(() => WS.sockets[1], 'immediate retry');
  ws1.fail();
  const due2 = client.state.udtNextReconnect - Date.now();
  assert.ok(due2 >= 1900 && due2 <= 4000, `second retry after 2-4 s, got ${due2} ms`);
});

test("type 'ws': a WebSocket error never falls back to Ajax", async (t) => {
  const ctx = setup(t, { type: 'ws' });
  ctx.client.connect();
  ctx.WS.sockets[0].fail();
  await waitFor(() => ctx.WS.sockets[1], 'WebSocket retry');
  assert.equal(ctx.fetch.calls.length, 0);
});

// ---------------------------------------------------------------------------
// auto fallback

test('auto: a WebSocket error before any handshake switches to Ajax for good', async (t) => {
  const ctx = setup(t);
  ctx.client.connect();
  ctx.WS.sockets[0].fail();
  assert.equal(ctx.client.state.type, 'ajax');
  assert.equal(ctx.client.state.lastClose.reason, 'downgrading-ws-to-ajax');
  assert.ok(ctx.client.state.lastWsError);
  const hs = await waitFor(() => ctx.fetch.calls[0], 'handshake GET');
  assert.match(hs.url, /^http:\/\/app\.test\/chsk\?udt=\d+&client-id=cid-1&handshake%3F=1$/);
  assert.equal(hs.init.method, 'GET');
  assert.equal(hs.init.headers['X-CSRF-Token'], 'Ab+/cd==');
  assert.equal(hs.init.credentials, 'same-origin');
  hs.reply('[[:chsk/handshake ["alice" nil nil]] nil]');
  await waitFor(() => ctx.client.state.open, 'open over Ajax');
  assert.equal(ctx.client.state.type, 'ajax');
  const poll = await waitFor(() => ctx.fetch.calls[1], 'first long-poll');
  assert.doesNotMatch(poll.url, /handshake/);

  ctx.client.reconnect();
  assert.equal(ctx.WS.sockets.length, 1, 'no WebSocket after the downgrade');
  assert.equal(poll.done, true, 'the parked poll was aborted');
  await waitFor(() => ctx.fetch.calls[2] && /handshake%3F=1/.test(ctx.fetch.calls[2].url), 'new handshake GET');
});

test('auto: without a WebSocket implementation the client uses Ajax directly', async (t) => {
  const ctx = setup(t, { WebSocket: null });
  assert.equal(ctx.client.state.type, 'ajax');
  ctx.client.connect();
  await waitFor(() => ctx.fetch.calls[0], 'handshake GET');
});

// ---------------------------------------------------------------------------
// Ajax

test('Ajax: long-poll loop re-polls on :chsk/timeout, delivers pushes, backs off on errors', async (t) => {
  const ctx = setup(t, { type: 'ajax', params: { room: 'r1' } });
  ctx.client.connect();
  const call = (i, what) => waitFor(() => ctx.fetch.calls[i], what);
  const hs = await call(0, 'handshake');
  assert.match(hs.url, /^http:\/\/app\.test\/chsk\?room=r1&udt=\d+&client-id=cid-1&handshake%3F=1$/);
  hs.reply('+[[:chsk/handshake ["bob" nil]]]'); // v1.17 server
  (await call(1, 'poll 1')).reply('[:chsk/timeout nil]');
  (await call(2, 'poll 2')).reply('+[[[:my-app/alert {:msg "hi"}]]]');
  (await call(3, 'poll 3')).reply('[[[:my-app/tick 1] [:my-app/tick 2]] nil]');
  const p4 = await call(4, 'poll 4');
  assert.match(p4.url, /^http:\/\/app\.test\/chsk\?room=r1&udt=\d+&client-id=cid-1$/);
  assert.equal(ctx.client.state.uid, 'bob');
  assert.equal(stringify(ctx.events), '[[:my-app/alert {:msg "hi"}] [:my-app/tick 1] [:my-app/tick 2]]');
  p4.reply('Bad CSRF token', 403);
  await waitFor(() => !ctx.client.state.open, 'closed after 403');
  assert.equal(ctx.client.state.lastClose.reason, 'unexpected');
  const again = await call(5, 'handshake after failure');
  assert.match(again.url, /handshake%3F=1$/);
  again.reply('[[:chsk/handshake ["bob" nil nil]] nil]');
  await waitFor(() => ctx.client.state.open, 'open again');
  assert.equal(ctx.handshakes.length, 2);
});

test('Ajax: unreadable bodies and errors back off; a successful poll resets the count', async (t) => {
  const attempts = [];
  const ctx = setup(t, { type: 'ajax', backoffMs: (n) => { attempts.push(n); return 0; } });
  ctx.client.connect();
  const call = (i) => waitFor(() => ctx.fetch.calls[i], `call ${i}`);
  (await call(0)).reply('[[:chsk/handshake ["bob" nil nil]] nil]');
  (await call(1)).reply(''); // unreadable poll body
  await waitFor(() => !ctx.client.state.open, 'closed');
  const hs = await call(2);
  assert.match(hs.url, /handshake%3F=1$/);
  hs.reply('not found', 404);
  (await call(3)).reply('[[:chsk/handshake ["bob" nil nil]] nil]');
  (await call(4)).reply('[:chsk/timeout nil]');
  (await call(5)).reply('{:not "an envelope"}');
  const hs2 = await call(6);
  assert.match(hs2.url, /handshake%3F=1$/);
  hs2.reply('[:chsk/timeout nil]'); // a 2xx that is not a handshake still resets the count
  (await call(7)).reply('oops', 500);
  await call(8);
  assert.deepEqual(attempts, [1, 2, 1, 1]);
});

test('Ajax: a client-side poll timeout re-polls at once and stays open', async (t) => {
  const ctx = setup(t, { type: 'ajax', ajaxTimeoutMs: 20 });
  ctx.client.connect();
  (await waitFor(() => ctx.fetch.calls[0])).reply('[[:chsk/handshake ["bob" nil nil]] nil]');
  const first = await waitFor(() => ctx.fetch.calls[1], 'poll');
  await waitFor(() => ctx.fetch.calls[2], 'poll after timeout');
  assert.equal(first.done, true);
  assert.doesNotMatch(ctx.fetch.calls[2].url, /handshake/);
  assert.equal(ctx.client.state.open, true);
});

test('Ajax: POST body, headers and reply outcomes', async (t) => {
  const ctx = setup(t, { type: 'ajax' });
  ctx.client.connect();
  (await waitFor(() => ctx.fetch.calls[0])).reply('[[:chsk/handshake ["bob" nil nil]] nil]');
  await waitFor(() => ctx.fetch.calls[1], 'parked poll');
  const posts = () => ctx.fetch.calls.filter((c) => c.init.method === 'POST');

  const saved = ctx.client.request(['my-app/save', { id: 7 }], 1000);
  const post = posts()[0];
  assert.equal(post.url, 'http://app.test/chsk');
  assert.equal(post.init.headers['Content-Type'], 'application/x-www-form-urlencoded;charset=utf-8');
  assert.equal(post.init.headers['X-CSRF-Token'], 'Ab+/cd==');
  assert.match(post.init.body,
    /^udt=\d+&client-id=cid-1&ppstr=%5B%5B%3Amy-app%2Fsave%20%7B%3Aid%207%7D%5D%20%3Aajax%5D$/);
  post.reply('[{:ok true} nil]');
  assert.equal(stringify(await saved), '{:ok true}');

  assert.equal(ctx.client.send(['my-app/note', 'x y']), true);
  const plain = posts()[1];
  assert.match(plain.init.body, /&ppstr=%5B%5B%3Amy-app%2Fnote%20%22x%20y%22%5D%20nil%5D$/);
  plain.reply('[:chsk/dummy-cb-200 nil]');

  const failed = ctx.client.request(['my-app/save', 1], 1000);
  posts()[2].reply('Internal error', 500);
  await assert.rejects(failed, (e) => e.code === 'chsk/error');
  assert.equal(ctx.client.state.open, true, 'a failed POST does not close the connection');

  const serverTimeout = ctx.client.request(['my-app/save', 2], 1000);
  posts()[3].reply('+[:chsk/timeout]');
  await assert.rejects(serverTimeout, (e) => e.code === 'chsk/timeout');

  await assert.rejects(ctx.client.request(['my-app/save', 3], 15), (e) => e.code === 'chsk/timeout');
  assert.equal(posts()[4].done, true, 'the timed-out POST was aborted');

  const empty = ctx.client.request(['my-app/save', 4], 1000);
  posts()[5].reply('');
  await assert.rejects(empty, (e) => e.code === 'chsk/error');
  await sleep(5);
  assert.equal(ctx.warnings.filter((w) => /without callback/.test(w)).length, 0);
});

// ---------------------------------------------------------------------------
// Lifecycle

test('disconnect() never reconnects; reconnect() does', async (t) => {
  const ctx = setup(t);
  const ws = await openWs(ctx);
  ctx.client.disconnect();
  assert.deepEqual(ws.closeCalls, [[1000, 'CLOSE_NORMAL']]);
  assert.equal(ctx.client.state.open, false);
  assert.equal(ctx.client.state.lastClose.reason, 'requested-disconnect');
  assert.equal(ctx.states.at(-1).closed, true);
  await sleep(20);
  assert.equal(ctx.WS.sockets.length, 1);
  assert.equal(ctx.client.send(['my-app/x']), false);

  ctx.client.reconnect();
  assert.equal(ctx.WS.sockets.length, 2);
  ctx.WS.sockets[1].accept();
  ctx.WS.sockets[1].push(HANDSHAKE);
  assert.equal(ctx.handshakes.at(-1).firstHandshake, false);
  ctx.client.reconnect();
  assert.equal(ctx.client.state.lastClose.reason, 'requested-reconnect');
  assert.equal(ctx.WS.sockets.length, 3);
});

test('no reconnect while the page is hidden/unloading; it resumes on pageshow', async (t) => {
  const win = new EventTarget();
  globalThis.window = win;
  t.after(() => delete globalThis.window);
  const ctx = setup(t);
  const ws = await openWs(ctx);
  win.dispatchEvent(new Event('pagehide'));
  ws.drop(1001, true);
  await sleep(20);
  assert.equal(ctx.WS.sockets.length, 1, 'no retry while unloading');
  win.dispatchEvent(new Event('pageshow'));
  await waitFor(() => ctx.WS.sockets[1], 'retry after pageshow');
});

test('listener exceptions are contained; on() returns an unsubscribe function', async (t) => {
  const ctx = setup(t);
  ctx.client.on('event', () => { throw new Error('boom'); });
  const seen = [];
  const off = ctx.client.on('event', (ev) => seen.push(ev));
  const ws = await openWs(ctx);
  ws.push('[[[:my-app/tick 1]] nil]');
  off();
  ws.push('[[[:my-app/tick 2]] nil]');
  assert.equal(seen.length, 1);
  assert.equal(ctx.events.length, 2);
  assert.ok(ctx.warnings.some((w) => /event listener threw/.test(w)));
  assert.throws(() => ctx.client.on('nope', () => {}), TypeError);
});

test('a listener may disconnect from inside the handshake', async (t) => {
  const ctx = setup(t);
  ctx.client.on('handshake', () => ctx.client.disconnect());
  ctx.client.connect();
  const ws = ctx.WS.sockets[0];
  ws.accept();
  ws.push(HANDSHAKE);
  assert.equal(ctx.client.state.open, false);
  await sleep(20);
  assert.equal(ctx.WS.sockets.length, 1);
});
