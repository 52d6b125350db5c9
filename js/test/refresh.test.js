// Tests of the CSRF token refresh in ../sente.js: a client whose token the
// server refuses (restarted with in-memory sessions) asks refreshCsrfToken
// for a new one and reconnects with it. Run: node --test js/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { SenteClient, csrfTokenFromHtml, fetchPageCsrfToken, CSRF_REFRESH_HEADER } from '../sente.js';
import { fakeWebSocketClass, fakeFetch, waitFor } from './fakes.js';

const HS = (uid) => `[[:chsk/handshake ["${uid}" nil nil]] nil]`;

function setup(t, opts = {}) {
  const WS = fakeWebSocketClass();
  const fetch = fakeFetch();
  const refreshes = [];
  const warnings = [];
  let next = 'new+tok/en=';
  const client = new SenteClient('http://app.test/chsk', {
    WebSocket: WS,
    fetch,
    csrfToken: 'old-token',
    clientId: 'cid',
    backoffMs: () => 0,
    logger: { warn: (...a) => warnings.push(a.map(String).join(' ')) },
    refreshCsrfToken: async () => {
      refreshes.push(1);
      return next;
    },
    ...opts,
  });
  t.after(() => client.disconnect());
  return { client, WS, fetch, refreshes, warnings, setNext: (v) => { next = v; } };
}

test('WS: a socket that closes before its handshake asks for a token; a new one is used at once', async (t) => {
  const ctx = setup(t);
  ctx.client.connect();
  const ws0 = ctx.WS.sockets[0];
  ws0.accept();
  ws0.push(HS('alice'));
  ws0.drop(1006, false); // server restarted
  const ws1 = await waitFor(() => ctx.WS.sockets[1], 'first retry');
  assert.equal(ctx.refreshes.length, 0, 'a socket that had its handshake is not a refused token');
  assert.match(ws1.url, /csrf-token=old-token$/);
  ws1.fail(); // the upgrade was refused (403): the browser only says "error"
  const ws2 = await waitFor(() => ctx.WS.sockets[2], 'retry with the new token');
  assert.equal(ctx.refreshes.length, 1);
  assert.equal(ws2.url, 'ws://app.test/chsk?client-id=cid&csrf-token=new%2Btok%2Fen%3D');
  assert.equal(ctx.client.state.csrfToken, 'new+tok/en=');
  ws2.accept();
  ws2.push(HS('bob'));
  assert.equal(ctx.client.state.open, true);
  assert.equal(ctx.client.state.uid, 'bob');
  assert.deepEqual(ctx.warnings, []);
});

test('WS: the same token again, null, or a failing refresher leave the normal back-off', async (t) => {
  for (const next of ['old-token', null, new Error('net down: http://x/?csrf-token=secret')]) {
    const attempts = [];
    const ctx = setup(t, {
      type: 'ws', // 'auto' would switch to Ajax: no socket of this client ever had its handshake
      backoffMs: (n) => { attempts.push(n); return 0; },
      refreshCsrfToken: async () => {
        if (next instanceof Error) throw next;
        return next;
      },
    });
    ctx.client.connect();
    ctx.WS.sockets[0].fail();
    const ws1 = await waitFor(() => ctx.WS.sockets[1], 'retry');
    ws1.fail();
    await waitFor(() => ctx.WS.sockets[2], 'second retry');
    assert.deepEqual(attempts, [1, 2], `back-off grows for ${next}`);
    assert.match(ctx.WS.sockets[2].url, /csrf-token=old-token$/);
    assert.ok(ctx.warnings.every((w) => !w.includes('secret')), 'no message of the error is logged');
    ctx.client.disconnect();
  }
});

test('Ajax: a 403 poll asks for a token; the next handshake sends it', async (t) => {
  const ctx = setup(t, { type: 'ajax' });
  ctx.client.connect();
  const call = (i, what) => waitFor(() => ctx.fetch.calls[i], what);
  (await call(0, 'handshake')).reply(HS('alice'));
  (await call(1, 'poll')).reply('Bad CSRF token', 403);
  const again = await call(2, 'handshake with the new token');
  assert.equal(ctx.refreshes.length, 1);
  assert.equal(again.init.headers['X-CSRF-Token'], 'new+tok/en=');
  assert.match(again.url, /handshake%3F=1$/);
  again.reply(HS('bob'));
  await waitFor(() => ctx.client.state.open, 'open again');
  assert.equal(ctx.client.state.uid, 'bob');
  assert.deepEqual(ctx.warnings, [], 'a refused token is handled, not warned about');
});

test('refreshCsrfToken: must be a function or null; outside a page there is no default', (t) => {
  assert.throws(() => new SenteClient('http://x.test/chsk', { refreshCsrfToken: 'x', fetch: fakeFetch() }), TypeError);
  const c = new SenteClient('http://x.test/chsk', { fetch: fakeFetch(), type: 'ajax' });
  assert.equal(c._refreshToken, null);
});

test('csrfTokenFromHtml reads the div in any attribute order and quoting, with entities', () => {
  assert.equal(csrfTokenFromHtml('<div id="sente-csrf-token" data-csrf-token="abc+/="></div>'), 'abc+/=');
  assert.equal(csrfTokenFromHtml("<DIV data-csrf-token='a&amp;b&#x2B;&#61;' class=x ID='sente-csrf-token'>"), 'a&b+=');
  assert.equal(csrfTokenFromHtml('<p>x</p><div id=sente-csrf-token data-csrf-token=tok1>'), 'tok1');
  assert.equal(csrfTokenFromHtml('<div id="sente-csrf-token-2" data-csrf-token="no">'), null);
  assert.equal(csrfTokenFromHtml('<div id="sente-csrf-token" data-csrf-token="">'), null);
  assert.equal(csrfTokenFromHtml('<html>no div</html>'), null);
  assert.equal(csrfTokenFromHtml(null), null);
});

test('fetchPageCsrfToken: a same-origin GET with cookies and the refresh header', async () => {
  const fetch = fakeFetch();
  const p = fetchPageCsrfToken('http://app.test/page', { fetch });
  const call = await waitFor(() => fetch.calls[0], 'page fetch');
  assert.equal(call.url, 'http://app.test/page');
  assert.equal(call.init.method, 'GET');
  assert.equal(call.init.mode, 'same-origin');
  assert.equal(call.init.credentials, 'same-origin');
  assert.equal(call.init.cache, 'no-store');
  assert.equal(call.init.headers[CSRF_REFRESH_HEADER], '1');
  call.reply('<div id="sente-csrf-token" data-csrf-token="fresh"></div>');
  assert.equal(await p, 'fresh');

  const p2 = fetchPageCsrfToken('http://app.test/page', { fetch });
  (await waitFor(() => fetch.calls[1], 'second fetch')).reply('oops', 500);
  assert.equal(await p2, null);
  await assert.rejects(fetchPageCsrfToken(undefined, { fetch }), TypeError);
});
