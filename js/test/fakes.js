// Fakes of WebSocket and fetch that the tests drive from the server's side,
// and a bounded wait for conditions.

/** Polls pred every few ms; fails the test after ms milliseconds. */
export async function waitFor(pred, what = 'condition', ms = 2000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A WebSocket class whose instances the test drives from the "server" side. */
export function fakeWebSocketClass() {
  const sockets = [];
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      this.closeCalls = [];
      sockets.push(this);
    }

    send(data) {
      if (this.readyState !== 1) throw new Error('InvalidStateError');
      this.sent.push(data);
    }

    close(code, reason) {
      this.closeCalls.push([code, reason]);
      if (this.readyState === 3) return;
      this.readyState = 3;
      setTimeout(() => this.onclose && this.onclose({ code, reason, wasClean: true }), 0);
    }

    // Server side.
    accept() {
      this.readyState = 1;
      if (this.onopen) this.onopen({});
    }

    push(text) {
      if (this.onmessage) this.onmessage({ data: text });
    }

    fail() {
      this.readyState = 3;
      if (this.onerror) this.onerror({ type: 'error' });
      if (this.onclose) this.onclose({ code: 1006, reason: '', wasClean: false });
    }

    drop(code = 1000, wasClean = true) {
      this.readyState = 3;
      if (this.onclose) this.onclose({ code, reason: '', wasClean });
    }
  }
  FakeWebSocket.sockets = sockets;
  return FakeWebSocket;
}

/** A fetch whose calls stay pending until the test answers them. */
export function fakeFetch() {
  const calls = [];
  const fetch = (url, init = {}) => new Promise((resolve, reject) => {
    const call = {
      url: String(url),
      init,
      done: false,
      reply(body, status = 200) {
        if (call.done) return;
        call.done = true;
        resolve(new Response(body, { status }));
      },
    };
    if (init.signal) {
      init.signal.addEventListener('abort', () => {
        if (call.done) return;
        call.done = true;
        reject(new DOMException('The operation was aborted.', 'AbortError'));
      });
    }
    calls.push(call);
  });
  fetch.calls = calls;
  return fetch;
}
